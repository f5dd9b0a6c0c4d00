/**
 * The alarm function end to end: a real CloudWatch Alarm State Change through middy, Powertools, the event
 * schemas, the engine, the real SDK clients against the emulators, and DynamoDB (dynalite).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as P from '../../local/sim/autoscaler-events.ts';
import { type Harness, startHarness, T0 } from '../support/stack.ts';
import { capacityRps, gpusOf } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const alarm = (id: string, value: number, state: 'ALARM' | 'OK' = 'ALARM') =>
  P.alarmStateChange(
    { id, time: new Date(T0) },
    {
      alarmName: 'llm-demo-gpu-utilization-high',
      state,
      previousState: state === 'ALARM' ? 'OK' : 'ALARM',
      namespace: 'GpuFleet',
      metricName: 'GPUUtilization',
      dimensions: { fleet: 'llm-demo' },
      datapoints: [value],
      threshold: 75,
      comparison: 'GreaterThanThreshold',
      periodSeconds: 60,
    },
  );

/** Fleet utilization as the metrics store serves it to the function. */
function utilization(h: Harness, value: number) {
  h.metrics.add('gpu_utilization', { fleet: 'llm-demo' }, T0 / 1000 - 60, value);
  h.metrics.add('gpu_utilization', { fleet: 'llm-demo' }, T0 / 1000, value);
}

describe('alarm function', () => {
  it('scales the fleet out on a GPU utilization alarm, through the real cloud APIs, and audits it', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: null });
    utilization(h, 140);
    const before = capacityRps(h);
    const result = await h.invoke('alarm', alarm('8a1f0c2e-1111-4e6b-9d0a-000000000001', 140));
    expect(result).toMatchObject({
      status: 'decided',
      decisions: [{ fleetId: 'llm-demo', status: 'applied', currentNodes: 4 }],
    });
    // The desired counts changed in the clouds themselves: 4 nodes at 140% of the 70% target need twice the
    // capacity they have (in nodes of whichever pools the placement chose).
    const { targetNodes } = (result as { decisions: Array<{ targetNodes: number }> }).decisions[0]!;
    expect(h.totalDesired()).toBe(targetNodes);
    expect(capacityRps(h)).toBeGreaterThanOrEqual(2 * before);
    // Through the real protocols: an EC2 ModifyFleet or ASG SetDesiredCapacity, an ARM PATCH, a GCE resize...
    const calls = h.world.calls.map((c) => `${c.service}:${c.operation}`);
    expect(calls.some((c) => /ModifyFleet|SetDesiredCapacity|virtualMachineScaleSets\.update|resize/.test(c))).toBe(
      true,
    );
    // The Deployment follows the GPUs.
    const k = h.stack.kubernetes.get('gpu-demo')!;
    const gpus = gpusOf(h);
    expect(k.state.deploymentStatus('inference', 'llm-server')?.desired).toBe(gpus);
    // Audited, and published on the bus.
    const audit = await h.stack.deps.store.listAudit('llm-demo');
    expect(audit[0]).toMatchObject({
      trigger: { fn: 'alarm', signal: 'metric-alarm' },
      outcome: { status: 'applied' },
    });
    expect(h.stack.published().map((e) => e.detailType)).toContain('Scaling Decision');
  });

  it('acts once on a duplicate delivery of the same event', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    utilization(h, 140);
    const event = alarm('8a1f0c2e-1111-4e6b-9d0a-000000000002', 140);
    const first = await h.invoke('alarm', event);
    const writes = h.world.calls.filter((c) => /ModifyFleet|SetDesiredCapacity|update|resize/.test(c.operation)).length;
    expect(writes).toBeGreaterThan(0);
    const second = await h.invoke('alarm', event);
    expect(second).toEqual(first);
    expect(h.world.calls.filter((c) => /ModifyFleet|SetDesiredCapacity|update|resize/.test(c.operation)).length).toBe(
      writes,
    );
    expect(await h.stack.deps.store.listAudit('llm-demo')).toHaveLength(1);
  });

  it('records a malformed event with its reason and changes nothing', async () => {
    h = await startHarness();
    const bad = alarm('8a1f0c2e-1111-4e6b-9d0a-000000000003', 90) as Record<string, unknown>;
    (bad.detail as Record<string, unknown>).state = { value: 'ON_FIRE' };
    const before = h.world.allPools().map((p) => p.desired);
    const result = await h.invoke('alarm', bad);
    expect(result).toMatchObject({ status: 'rejected', path: expect.stringContaining('detail.state') });
    expect(h.world.allPools().map((p) => p.desired)).toEqual(before);
    const rejected = await h.stack.deps.store.listRejected(new Date(T0).toISOString().slice(0, 10));
    expect(rejected[0]).toMatchObject({ eventId: '8a1f0c2e-1111-4e6b-9d0a-000000000003', fn: 'alarm' });
    expect(rejected[0]!.reason).toMatch(/detail\.state/);
  });
});
