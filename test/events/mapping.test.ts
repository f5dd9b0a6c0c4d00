import { describe, expect, it } from 'vitest';
import { type NormalizeContext, NormalizeContextSchema, normalizeEvent, resolveFleet } from '../../events/index.ts';
import { specificationZone } from '../../events/schemas/aws/ec2-fleet-notice.ts';
import { loadSample } from '../../events/samples.ts';

const ctx: NormalizeContext = {
  alarms: { 'chat-queue-per-node-high': { fleetId: 'chat' } },
  dimensions: {
    AutoScalingGroupName: { 'chat-g5-spot': { fleetId: 'chat', poolId: 'aws-g5-spot' } },
    FleetId: { 'fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': { fleetId: 'chat', poolId: 'aws-g5-fleet' } },
    VMScaleSetName: { 'chat-nc24-spot': { fleetId: 'chat', poolId: 'azure-nc24-spot' } },
    CapacityReservationId: { 'cr-0f1e2d3c4b5a69788': { fleetId: 'chat', poolId: 'aws-p5-block' } },
  },
};

describe('fleet and pool mapping', () => {
  it.each([
    ['alarm by dimension', 'aws-cloudwatch-alarm', 'valid', { fleetId: 'chat', poolId: 'aws-g5-spot' }],
    ['alarm by name', 'aws-cloudwatch-alarm', 'metric-math', { fleetId: 'chat' }],
    ['SNS alarm by dimension', 'aws-cloudwatch-alarm-sns', 'valid', { fleetId: 'chat', poolId: 'aws-g5-spot' }],
    ['lifecycle action by group', 'aws-autoscaling-lifecycle', 'valid', { fleetId: 'chat', poolId: 'aws-g5-spot' }],
    [
      'launch result by group',
      'aws-autoscaling-result',
      'launch-unsuccessful',
      { fleetId: 'chat', poolId: 'aws-g5-spot' },
    ],
    ['EC2 Fleet by fleet id', 'aws-ec2-fleet-instance-change', 'valid', { fleetId: 'chat', poolId: 'aws-g5-fleet' }],
    ['EC2 Fleet error by fleet id', 'aws-ec2-fleet-notice', 'valid', { fleetId: 'chat', poolId: 'aws-g5-fleet' }],
    [
      'EC2 Fleet information by fleet id',
      'aws-ec2-fleet-notice',
      'launch-spec-blacklisted',
      { fleetId: 'chat', poolId: 'aws-g5-fleet' },
    ],
    [
      'forwarded Azure document by scale set',
      'azure-scheduled-events-forwarded',
      'valid',
      { fleetId: 'chat', poolId: 'azure-nc24-spot' },
    ],
    ['Capacity Block by reservation', 'aws-capacity-block', 'valid', { fleetId: 'chat', poolId: 'aws-p5-block' }],
    [
      'Azure alert by custom properties',
      'azure-monitor-alert',
      'valid',
      { fleetId: 'chat', poolId: 'azure-nc24-spot' },
    ],
    ['GCP incident by policy labels', 'gcp-monitoring-incident', 'valid', { fleetId: 'chat', poolId: 'gcp-l4-spot' }],
  ])('%s', (_, source, name, expected) => {
    expect(normalizeEvent(loadSample(source, name), ctx)).toMatchObject(expected);
  });

  it.each([
    ['named', { 'Availability Zone': 'us-east-1b', 'Subnet ID': 'subnet-0a1b2c3d4e5f67890' }, 'us-east-1b'],
    ['empty', { 'Availability Zone': '' }, undefined],
    ['not a string', { 'Availability Zone': 3 }, undefined],
    ['absent', undefined, undefined],
  ])('the zone of an Auto Scaling launch result: %s', (_, details, zone) => {
    const e = loadSample('aws-autoscaling-result', 'launch-unsuccessful') as { detail: Record<string, unknown> };
    const event = { ...e, detail: { ...e.detail, Details: details } };
    if (details === undefined) delete event.detail.Details;
    const s = normalizeEvent(event, ctx);
    expect(s).toMatchObject({ type: 'capacity-notice', kind: 'launch-unsuccessful', poolId: 'aws-g5-spot' });
    if (zone) expect(s).toHaveProperty('zone', zone);
    else expect(s).not.toHaveProperty('zone');
  });

  it.each([
    ['one specification, its zone named', 'launchSpecTemporarilyBlacklisted', 'launch-spec-blacklisted', 'us-east-1b'],
    ['one specification under its price', 'launchSpecUnusable', 'launch-spec-unusable', 'us-east-1c'],
    [
      'every specification: the whole pool',
      'allLaunchSpecsTemporarilyBlacklisted',
      'launch-spec-blacklisted',
      undefined,
    ],
  ])('the zone of an EC2 Fleet launch failure: %s', (_, subType, sample, zone) => {
    const e = loadSample('aws-ec2-fleet-notice', sample) as { 'detail-type': string; detail: Record<string, unknown> };
    const detailType = subType.startsWith('all') ? 'EC2 Fleet Error' : e['detail-type'];
    const s = normalizeEvent({ ...e, 'detail-type': detailType, detail: { ...e.detail, 'sub-type': subType } }, ctx);
    expect(s).toMatchObject({ type: 'capacity-notice', kind: 'launch-unsuccessful', poolId: 'aws-g5-fleet' });
    if (zone) expect(s).toHaveProperty('zone', zone);
    else expect(s).not.toHaveProperty('zone');
  });

  it.each([
    [
      'g5.12xlarge, ami-0c1d2e3f4a5b6c7d8, Linux/UNIX, us-east-1b: InsufficientInstanceCapacity',
      'us-east-1',
      'us-east-1b',
    ],
    ['"g5.12xlarge, ami-1, Linux/UNIX, us-east-1b while launching spot instance". Retried', 'us-east-1', 'us-east-1b'],
    // Another region's zone, two zones, a zone id, or none: no zone.
    ['g5.12xlarge, ami-1, Linux/UNIX, us-east-2b: InsufficientInstanceCapacity', 'us-east-1', undefined],
    ['us-east-1a and us-east-1b', 'us-east-1', undefined],
    ['g5.12xlarge, ami-1, Linux/UNIX, use1-az2', 'us-east-1', undefined],
    ['There is no Spot capacity available', 'us-east-1', undefined],
    [undefined, 'us-east-1', undefined],
  ])('the zone a launch specification names: %j in %s', (description, region, zone) => {
    expect(specificationZone(description, region)).toBe(zone);
  });

  it('leaves signals unmapped without configuration or tags', () => {
    const s = normalizeEvent(loadSample('aws-cloudwatch-alarm'));
    expect(s).not.toHaveProperty('fleetId');
    expect(s).not.toHaveProperty('poolId');
  });

  it('prefers the alarm name, then dimensions, then tags', () => {
    const refs = {
      alarms: { a: { fleetId: 'by-name' } },
      dimensions: { D: { v: { fleetId: 'by-dimension' } } },
    };
    expect(resolveFleet(refs, { alarmName: 'a', dimensions: { D: 'v' }, tags: { fleet: 't' } })).toEqual({
      fleetId: 'by-name',
    });
    expect(resolveFleet(refs, { alarmName: 'b', dimensions: { D: 'v' }, tags: { fleet: 't' } })).toEqual({
      fleetId: 'by-dimension',
    });
    expect(resolveFleet(refs, { alarmName: 'b', tags: { fleet: 't', pool: 'p' } })).toEqual({
      fleetId: 't',
      poolId: 'p',
    });
    expect(resolveFleet({ tagKeys: { fleet: 'autoscaler:fleet' } }, { tags: { 'autoscaler:fleet': 'x' } })).toEqual({
      fleetId: 'x',
    });
  });

  it('does not map names that are Object prototype keys', () => {
    expect(resolveFleet({ alarms: {} }, { alarmName: 'constructor' })).toBeUndefined();
    expect(resolveFleet({ dimensions: { D: {} } }, { dimensions: { D: 'toString' } })).toBeUndefined();
  });

  it('takes tick purposes from configuration before the rule name', () => {
    const raw = loadSample<{ resources: string[] }>('aws-scheduled-event');
    raw.resources = ['arn:aws:events:us-east-1:731482956104:rule/nightly-2300'];
    expect(normalizeEvent(raw)).toMatchObject({
      type: 'no-op',
      reason: expect.stringMatching(/neither a forecast nor a schedule/),
    });
    expect(normalizeEvent(raw, { ticks: { 'nightly-2300': { purpose: 'schedule', window: 'night' } } })).toMatchObject({
      type: 'tick',
      purpose: 'schedule',
      window: 'night',
    });
  });

  it('validates a context read from a file', () => {
    expect(NormalizeContextSchema.safeParse(ctx).success).toBe(true);
    expect(NormalizeContextSchema.safeParse({ alarms: { a: { fleet: 'x' } } }).success).toBe(false);
  });
});
