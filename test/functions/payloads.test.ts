/** The simulation's event payloads are the clouds' real shapes: the production parsers read them. */
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import * as P from '../../local/sim/autoscaler-events.ts';

const o = { id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718', time: new Date('2026-01-05T10:00:00Z') };

describe('simulation payloads parse with the production schemas', () => {
  it('CloudWatch alarm state change -> metric alarm with the last datapoint', () => {
    const s = normalizeEvent(
      P.alarmStateChange(o, {
        alarmName: 'llm-demo-gpu-utilization-high',
        state: 'ALARM',
        previousState: 'OK',
        namespace: 'GpuFleet',
        metricName: 'GPUUtilization',
        dimensions: { fleet: 'llm-demo' },
        datapoints: [81, 84.5],
        threshold: 75,
        comparison: 'GreaterThanThreshold',
        periodSeconds: 60,
      }),
      { alarms: { 'llm-demo-gpu-utilization-high': { fleetId: 'llm-demo' } } },
    );
    expect(s).toMatchObject({
      type: 'metric-alarm',
      state: 'ALARM',
      previousState: 'OK',
      value: 84.5,
      threshold: 75,
      fleetId: 'llm-demo',
    });
  });

  it('spot warning -> interruption with the 2 minute deadline; rebalance -> rebalance', () => {
    expect(normalizeEvent(P.spotInterruptionWarning(o, 'i-0abc1234def567890', 'us-east-1a'))).toMatchObject({
      type: 'interruption',
      cloud: 'aws',
      kind: 'warning',
      instanceIds: ['i-0abc1234def567890'],
      deadline: '2026-01-05T10:02:00.000Z',
      // EC2 writes the zone where a region would be in the instance ARN.
      zone: 'us-east-1a',
    });
    expect(normalizeEvent(P.rebalanceRecommendation(o, 'i-0abc1234def567890', 'us-east-1a'))).toMatchObject({
      type: 'interruption',
      kind: 'rebalance',
      zone: 'us-east-1a',
    });
  });

  it('capacity block delivered and expiring -> reservation changes', () => {
    const end = new Date('2026-01-05T17:00:00Z');
    expect(normalizeEvent(P.capacityBlockEvent(o, 'delivered', 'cr-0c4b1d2e3f4a5b6c7', end))).toMatchObject({
      type: 'reservation-change',
      kind: 'delivered',
      reservationIds: ['cr-0c4b1d2e3f4a5b6c7'],
    });
    expect(normalizeEvent(P.capacityBlockEvent(o, 'expiring', 'cr-0c4b1d2e3f4a5b6c7', end))).toMatchObject({
      type: 'reservation-change',
      kind: 'expiring',
    });
  });

  it('Azure forwarder document -> preempt with NotBefore as the deadline', () => {
    const s = normalizeEvent(
      P.azurePreempt(
        o,
        {
          name: 'vmss-a_3',
          scaleSet: 'vmss-a',
          resourceGroup: 'rg',
          subscriptionId: 'sub',
          location: 'eastus',
          zone: '1',
        },
        new Date('2026-01-05T10:00:30Z'),
        3,
      ),
    );
    expect(s).toMatchObject({
      type: 'interruption',
      cloud: 'azure',
      kind: 'preempt',
      instanceIds: ['vmss-a_3'],
      deadline: '2026-01-05T10:00:30.000Z',
    });
  });

  it('GCP preemption log entry pushed by Pub/Sub -> preempt with a 30 s deadline', () => {
    const s = normalizeEvent(
      P.gcpPreemption(o, {
        name: 'mig-l4-x1y2',
        project: 'p',
        zone: 'us-central1-a',
        numericId: '5524190318742290211',
      }),
    );
    expect(s).toMatchObject({
      type: 'interruption',
      cloud: 'gcp',
      kind: 'preempt',
      instanceIds: ['mig-l4-x1y2'],
      deadline: '2026-01-05T10:00:30.000Z',
    });
  });

  it('scheduled rule ticks -> forecast and schedule ticks', () => {
    expect(normalizeEvent(P.scheduledTick(o, 'gpu-autoscaler-forecast'))).toMatchObject({
      type: 'tick',
      purpose: 'forecast',
    });
    expect(normalizeEvent(P.scheduledTick(o, 'gpu-autoscaler-schedule-business-hours'))).toMatchObject({
      type: 'tick',
      purpose: 'schedule',
      window: 'business-hours',
    });
  });
});
