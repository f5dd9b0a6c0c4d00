/**
 * The project's own fixtures (events/samples/<source>/<name>.json): every sample has an expected outcome
 * here, every source has a valid and an invalid case, and `loadSample` hands out independent copies.
 */
import { describe, expect, it } from 'vitest';
import { normalizeEvent, safeNormalize } from '../../events/index.ts';
import { listSamples, loadSample } from '../../events/samples.ts';
import { NormalizedSchema } from './support.ts';

type Outcome = { signal: Record<string, unknown> } | { noop: RegExp } | { error: string };

const NOW = '2025-03-04T09:00:00.000Z';

const TABLE: Record<string, Outcome> = {
  'aws-autoscaling-lifecycle/valid': {
    signal: {
      type: 'capacity-notice',
      kind: 'terminate-lifecycle',
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      lifecycleAction: {
        autoScalingGroupName: 'chat-g5-spot',
        hookName: 'drain-before-terminate',
        token: '2f6b9c1d-3e5a-4c7e-9b1d-4f6a8c0e2b4d',
        transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      },
    },
  },
  'aws-autoscaling-lifecycle/launch': {
    signal: { type: 'capacity-notice', kind: 'launch-lifecycle', instanceIds: ['i-0f9e8d7c6b5a43210'] },
  },
  'aws-autoscaling-lifecycle/invalid': { error: 'detail.LifecycleTransition' },
  'aws-autoscaling-result/valid': {
    signal: { type: 'capacity-notice', kind: 'launch-successful', instanceIds: ['i-0f9e8d7c6b5a43210'] },
  },
  // A launch that failed for lack of capacity has no instance; its zone is the one it failed in.
  'aws-autoscaling-result/launch-unsuccessful': {
    signal: { type: 'capacity-notice', kind: 'launch-unsuccessful', instanceIds: [], zone: 'us-east-1b' },
  },
  'aws-autoscaling-result/terminate-successful': {
    signal: { type: 'capacity-notice', kind: 'terminate-successful', instanceIds: ['i-0a1b2c3d4e5f60718'] },
  },
  'aws-autoscaling-result/invalid': { error: 'detail.AutoScalingGroupName' },
  'aws-capacity-block/valid': {
    signal: {
      type: 'reservation-change',
      kind: 'delivered',
      reservationType: 'capacity-block',
      reservationIds: ['cr-0f1e2d3c4b5a69788'],
      endTime: '2025-03-17T11:30:00.000Z',
    },
  },
  'aws-capacity-block/reservation-delivered': { signal: { type: 'reservation-change', kind: 'delivered' } },
  'aws-capacity-block/expiration-warning': {
    signal: { type: 'reservation-change', kind: 'expiring', endTime: '2025-03-17T11:30:00.000Z' },
  },
  'aws-capacity-block/reservation-expiration-warning': { signal: { type: 'reservation-change', kind: 'expiring' } },
  'aws-capacity-block/invalid': { error: 'detail.capacity-reservation-id' },
  'aws-capacity-reservation-interruption/valid': {
    signal: {
      type: 'interruption',
      kind: 'reservation-interruption',
      instanceIds: ['i-07a8b9c0d1e2f3a4b'],
      deadline: '2025-03-17T11:00:00.000Z',
      zone: 'use2-az1',
      action: 'terminate',
    },
  },
  'aws-capacity-reservation-interruption/interruptible': {
    signal: {
      type: 'interruption',
      kind: 'reservation-interruption',
      zone: 'usw2-az2',
      deadline: '2025-03-06T14:02:00.000Z',
    },
  },
  'aws-capacity-reservation-interruption/invalid': { error: 'detail.instance-termination-time' },
  'aws-cloudwatch-alarm/valid': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'chat-gpu-util-high',
      state: 'ALARM',
      previousState: 'OK',
      alarmKind: 'metric',
      value: 91.5,
      threshold: 80,
      dimensions: { AutoScalingGroupName: 'chat-g5-spot' },
    },
  },
  'aws-cloudwatch-alarm/ok': { signal: { type: 'metric-alarm', state: 'OK', previousState: 'ALARM', value: 62 } },
  'aws-cloudwatch-alarm/insufficient-data': {
    signal: { type: 'metric-alarm', state: 'INSUFFICIENT_DATA', threshold: 80 },
  },
  'aws-cloudwatch-alarm/metric-math': {
    signal: {
      type: 'metric-alarm',
      alarmKind: 'metric-math',
      metricName: 'Queue depth per node',
      value: 31.5,
      dimensions: { Fleet: 'chat' },
    },
  },
  // 412 is above the upper band edge 298.7: that edge is the threshold crossed.
  'aws-cloudwatch-alarm/anomaly-detection': {
    signal: {
      type: 'metric-alarm',
      alarmKind: 'anomaly-detection',
      metricName: 'RequestsPerSecond',
      value: 412,
      threshold: 298.7,
    },
  },
  'aws-cloudwatch-alarm/composite': {
    signal: { type: 'metric-alarm', alarmKind: 'composite', alarmName: 'chat-scale-out-needed', dimensions: {} },
  },
  'aws-cloudwatch-alarm/invalid': { error: 'detail.state.value' },
  'aws-cloudwatch-alarm-configuration-change/valid': { noop: /configuration update/ },
  'aws-cloudwatch-alarm-configuration-change/invalid': { error: 'detail.operation' },
  'aws-cloudwatch-alarm-lambda-action/valid': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'chat-queue-depth-high',
      value: 42,
      threshold: 20,
      metricName: 'QueueDepth',
    },
  },
  'aws-cloudwatch-alarm-lambda-action/composite': { signal: { type: 'metric-alarm', alarmKind: 'composite' } },
  'aws-cloudwatch-alarm-lambda-action/invalid': { error: 'alarmData.state.timestamp' },
  // SNS reason text lists the newest datapoint first.
  'aws-cloudwatch-alarm-sns/valid': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'chat-gpu-util-high',
      value: 91.5,
      threshold: 80,
      dimensions: { AutoScalingGroupName: 'chat-g5-spot' },
    },
  },
  'aws-cloudwatch-alarm-sns/metric-math': {
    signal: { type: 'metric-alarm', alarmKind: 'metric-math', value: 31.5, namespace: 'GpuFleet' },
  },
  'aws-cloudwatch-alarm-sns/invalid': { error: 'Records[0].Sns.Message' },
  'aws-ec2-fleet-instance-change/valid': {
    signal: { type: 'capacity-notice', kind: 'fleet-change', detail: 'launched: g5.12xlarge in us-east-1b' },
  },
  'aws-ec2-fleet-instance-change/invalid': { error: 'detail.instance-id' },
  // EC2 Fleet could not launch (capacity or price): a launch-unsuccessful notice, as Auto Scaling's.
  'aws-ec2-fleet-notice/valid': {
    signal: {
      type: 'capacity-notice',
      source: 'aws.ec2fleet',
      kind: 'launch-unsuccessful',
      instanceIds: [],
      detail:
        'fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d: allLaunchSpecsTemporarilyBlacklisted: g5.12xlarge, ami-0c1d2e3f4a5b6c7d8, Linux/UNIX, us-east-1b: InsufficientInstanceCapacity: There is no Spot capacity available that matches your request.',
    },
  },
  'aws-ec2-fleet-notice/launch-spec-blacklisted': {
    signal: { type: 'capacity-notice', kind: 'launch-unsuccessful', instanceIds: [] },
  },
  'aws-ec2-fleet-notice/launch-spec-unusable': {
    signal: { type: 'capacity-notice', kind: 'launch-unsuccessful', instanceIds: [] },
  },
  // A limit of the account, not the offering's capacity: observed.
  'aws-ec2-fleet-notice/count-limit': {
    signal: {
      type: 'capacity-notice',
      kind: 'fleet-error',
      detail: 'fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d: spotInstanceCountLimitExceeded',
    },
  },
  'aws-ec2-fleet-notice/invalid': { error: 'detail.sub-type' },
  'aws-future-capacity-reservation/valid': {
    signal: { type: 'reservation-change', kind: 'active', reservationType: 'future-odcr' },
  },
  'aws-future-capacity-reservation/scheduled': { signal: { type: 'reservation-change', kind: 'scheduled' } },
  // A failed future-dated reservation will not deliver: `expired`.
  'aws-future-capacity-reservation/failed': { signal: { type: 'reservation-change', kind: 'expired' } },
  'aws-future-capacity-reservation/invalid': { error: 'detail.capacity-reservation-id' },
  // Mean of 25% and 12.5%.
  'aws-health-odcr-underutilization/valid': {
    signal: {
      type: 'reservation-change',
      kind: 'underutilized',
      utilization: 0.1875,
      instanceType: 'p5.48xlarge',
      reservationIds: ['cr-0a1b2c3d4e5f67890', 'cr-0b2c3d4e5f6a78901'],
    },
  },
  'aws-health-odcr-underutilization/notification': {
    signal: { type: 'reservation-change', kind: 'underutilized', reservationIds: ['cr-0a1b2c3d4e5f67890'] },
  },
  'aws-health-odcr-underutilization/invalid': { error: 'detail.affectedEntities[1].entityValue' },
  // The entities' tags map the instances to their fleet and pool.
  'aws-health-scheduled-change/valid': {
    signal: {
      type: 'interruption',
      kind: 'maintenance',
      action: 'stop',
      deadline: '2025-03-11T09:00:00.000Z',
      fleetId: 'chat',
      poolId: 'aws-g5-spot',
    },
  },
  'aws-health-scheduled-change/invalid': { error: 'detail.startTime' },
  'aws-imds-spot-instance-action/valid': {
    signal: {
      type: 'interruption',
      kind: 'warning',
      deadline: '2025-03-04T10:17:00.000Z',
      time: '2025-03-04T10:15:00.000Z',
    },
  },
  'aws-imds-spot-instance-action/invalid': { error: 'instance-id' },
  'aws-instance-state-change/valid': {
    signal: { type: 'capacity-notice', kind: 'state-change', detail: 'shutting-down' },
  },
  'aws-instance-state-change/invalid': { error: 'detail.state' },
  'aws-rebalance-recommendation/valid': {
    signal: { type: 'interruption', kind: 'rebalance', instanceIds: ['i-0a1b2c3d4e5f60718'] },
  },
  'aws-rebalance-recommendation/invalid': { error: 'time' },
  'aws-scheduled-event/valid': { signal: { type: 'tick', purpose: 'forecast' } },
  'aws-scheduled-event/schedule': { signal: { type: 'tick', purpose: 'schedule', window: 'business-hours' } },
  'aws-scheduled-event/invalid': { error: 'resources[0]' },
  'aws-scheduler/valid': { signal: { type: 'tick', purpose: 'forecast', fleetId: 'chat', source: 'aws.scheduler' } },
  'aws-scheduler/schedule': { signal: { type: 'tick', purpose: 'schedule', window: 'business-hours' } },
  'aws-scheduler/invalid': { error: 'scheduleArn' },
  // Spot warning: the deadline is two minutes after the event.
  'aws-spot-interruption/valid': {
    signal: { type: 'interruption', kind: 'warning', deadline: '2025-03-04T10:17:00.000Z', action: 'terminate' },
  },
  'aws-spot-interruption/invalid': { error: 'detail.instance-action' },
  'azure-event-grid/valid': {
    signal: {
      type: 'interruption',
      cloud: 'azure',
      kind: 'preempt',
      instanceIds: ['chat-nc24-spot_3'],
      deadline: '2025-03-04T10:15:31.000Z',
      zone: 'eastus-az2',
    },
  },
  'azure-event-grid/invalid': { error: '[0].eventTime' },
  'azure-monitor-alert/valid': {
    signal: {
      type: 'metric-alarm',
      cloud: 'azure',
      state: 'ALARM',
      value: 91.2,
      threshold: 80,
      fleetId: 'chat',
      poolId: 'azure-nc24-spot',
    },
  },
  'azure-monitor-alert/resolved': {
    signal: { type: 'metric-alarm', state: 'OK', previousState: 'ALARM', time: '2025-03-04T11:03:12.012Z' },
  },
  'azure-monitor-alert/log-alert': { noop: /only metric alerts/ },
  'azure-monitor-alert/invalid': { error: 'data.essentials.monitorCondition' },
  // A bare document has no time of its own: ctx.now dates it.
  'azure-scheduled-events/valid': {
    signal: {
      type: 'interruption',
      kind: 'preempt',
      instanceIds: ['chat-nc24-spot_3', 'chat-nc24-spot_5'],
      deadline: '2025-03-04T10:15:30.000Z',
      time: NOW,
    },
  },
  'azure-scheduled-events/terminate': {
    signal: { type: 'capacity-notice', kind: 'terminate-scheduled', instanceIds: ['chat-nc24-spot_1'] },
  },
  'azure-scheduled-events/reboot': { signal: { type: 'interruption', kind: 'maintenance', action: 'reboot' } },
  'azure-scheduled-events/redeploy': { signal: { type: 'interruption', kind: 'maintenance', action: 'redeploy' } },
  'azure-scheduled-events/freeze': { noop: /Freeze/ },
  'azure-scheduled-events/empty': { noop: /no scheduled events/ },
  'azure-scheduled-events/invalid': { error: 'Events[0].NotBefore' },
  'azure-scheduled-events-forwarded/valid': {
    signal: { type: 'interruption', kind: 'preempt', region: 'eastus', zone: '2', time: '2025-03-04T10:15:02.000Z' },
  },
  'azure-scheduled-events-forwarded/invalid': { error: 'detail.Events[0].EventType' },
  'gcp-monitoring-incident/valid': {
    signal: {
      type: 'metric-alarm',
      cloud: 'gcp',
      state: 'ALARM',
      value: 93.4,
      threshold: 85,
      fleetId: 'chat',
      poolId: 'gcp-l4-spot',
    },
  },
  'gcp-monitoring-incident/closed': { signal: { type: 'metric-alarm', state: 'OK', time: '2025-03-04T10:59:00.000Z' } },
  'gcp-monitoring-incident/pubsub': { signal: { type: 'metric-alarm', eventId: '0.n8k2x4p1r7qz/open' } },
  'gcp-monitoring-incident/invalid': { error: 'incident.state' },
  'gcp-preemption-cloudevent/valid': {
    signal: { type: 'interruption', cloud: 'gcp', kind: 'preempt', instanceIds: ['chat-l4-spot-7x2k'] },
  },
  'gcp-preemption-cloudevent/invalid': { error: 'specversion' },
  // 10:15:03.418 plus the 30 s grace period.
  'gcp-preemption-logentry/valid': {
    signal: {
      type: 'interruption',
      deadline: '2025-03-04T10:15:33.418Z',
      zone: 'us-central1-a',
      region: 'us-central1',
    },
  },
  'gcp-preemption-logentry/invalid': { error: 'protoPayload.resourceName' },
  'gcp-preemption-pubsub/valid': { signal: { type: 'interruption', eventId: '-k3v9d2e1a7b' } },
  'gcp-preemption-pubsub/invalid': { error: 'message.data' },
  // ttl 2h from 09:30.
  'operator-command/valid': {
    signal: {
      type: 'operator-command',
      command: 'scale',
      target: 6,
      expiresAt: '2025-03-04T11:30:00.000Z',
      eventId: 'ops-2025-03-04-0001',
    },
  },
  'operator-command/pause': {
    signal: { type: 'operator-command', command: 'pause', expiresAt: '2025-03-04T13:00:00.000Z' },
  },
  'operator-command/resume': { signal: { type: 'operator-command', command: 'resume' } },
  'operator-command/drain': {
    signal: { type: 'operator-command', command: 'drain', node: 'ip-10-0-12-34.ec2.internal', dryRun: true },
  },
  'operator-command/status': { signal: { type: 'operator-command', command: 'status', actor: 'anonymous' } },
  'operator-command/plan': { signal: { type: 'operator-command', command: 'plan', actor: 'jdoe' } },
  'operator-command/explain': { signal: { type: 'operator-command', command: 'explain' } },
  // On the bus: the envelope's id and time stand in; ttl 30m from 12:00.
  'operator-command/eventbridge': {
    signal: {
      type: 'operator-command',
      eventId: '1d3f5b7d-9f1b-4f3d-8c7e-9f1b3d5f7b9d',
      expiresAt: '2025-03-04T12:30:00.000Z',
    },
  },
  'operator-command/invalid': { error: 'reason' },
  // The node agent's notices (agent/): ids from the notice, so every put of one notice is one event.
  'agent-aws-spot-instance-action/valid': {
    signal: {
      type: 'interruption',
      eventId: 'imds-spot:i-0a1b2c3d4e5f60718@2025-03-04T10:17:00.000Z',
      kind: 'warning',
      cloud: 'aws',
      deadline: '2025-03-04T10:17:00.000Z',
      zone: 'us-east-1a',
    },
  },
  'agent-aws-spot-instance-action/invalid': { error: 'detail.instance-id' },
  'agent-aws-rebalance/valid': {
    signal: { type: 'interruption', kind: 'rebalance', instanceIds: ['i-0a1b2c3d4e5f60718'], region: 'us-east-1' },
  },
  'agent-aws-rebalance/invalid': { error: 'detail.noticeTime' },
  // Preemption: 30 s after the time the agent saw it.
  'agent-gce-preempted/valid': {
    signal: {
      type: 'interruption',
      kind: 'preempt',
      cloud: 'gcp',
      instanceIds: ['chat-l4-spot-7x2k'],
      deadline: '2025-03-04T10:15:31.000Z',
      region: 'us-central1',
    },
  },
  'agent-gce-preempted/invalid': { error: 'detail.zone' },
  // Maintenance: 60 s of notice.
  'agent-gce-maintenance/valid': {
    signal: { type: 'interruption', kind: 'maintenance', action: 'terminate', deadline: '2025-03-04T10:16:01.000Z' },
  },
  'agent-gce-maintenance/migrate': { noop: /live migration/ },
  'agent-gce-maintenance/invalid': { error: 'detail.maintenanceEvent' },
};

const samples = listSamples();

describe('samples', () => {
  it('has an expected outcome for every sample, and a sample for every outcome', () => {
    const names = samples.map((s) => `${s.source}/${s.name}`);
    expect(
      names.filter((n) => !(n in TABLE)),
      'samples missing from the table',
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((n) => !names.includes(n)),
      'table entries without a sample',
    ).toEqual([]);
  });

  it('has a valid and an invalid case for every source', () => {
    const sources = [...new Set(samples.map((s) => s.source))];
    for (const source of sources) {
      const names = samples.filter((s) => s.source === source).map((s) => s.name);
      expect(names, source).toEqual(expect.arrayContaining(['valid', 'invalid']));
    }
  });

  it.each(samples.map((s) => [`${s.source}/${s.name}`, s] as const))('%s', (key, s) => {
    const expected = TABLE[key]!;
    const r = safeNormalize(loadSample(s.source, s.name), { now: NOW });
    if ('error' in expected) {
      expect(r.success).toBe(false);
      if (!r.success) expect(r.error.path).toBe(expected.error);
      return;
    }
    if (!r.success) throw r.error;
    expect(NormalizedSchema.safeParse(r.value).error).toBeUndefined();
    if ('noop' in expected) {
      expect(r.value.type).toBe('no-op');
      if (r.value.type === 'no-op') expect(r.value.reason).toMatch(expected.noop);
    } else expect(r.value).toMatchObject(expected.signal);
  });

  it('loadSample returns a fresh copy on every call', () => {
    const a = loadSample<{ detail: { 'instance-id': string } }>('aws-spot-interruption');
    a.detail['instance-id'] = 'i-00000000000000000';
    const b = loadSample<{ detail: { 'instance-id': string } }>('aws-spot-interruption');
    expect(b.detail['instance-id']).toBe('i-0a1b2c3d4e5f60718');
    expect(() => loadSample('../corpus', 'valid')).toThrow(/bad sample reference/);
  });

  it('normalizes the same sample to the same signal (pure: no clock, no state)', () => {
    const once = normalizeEvent(loadSample('azure-scheduled-events'), { now: NOW });
    expect(normalizeEvent(loadSample('azure-scheduled-events'), { now: NOW })).toEqual(once);
  });
});
