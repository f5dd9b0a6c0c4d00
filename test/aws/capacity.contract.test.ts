/**
 * Contract tests: the AWS capacity adapter through the real SDK clients (EC2, Auto Scaling, EKS) against the
 * loopback emulator. Every page is 2 items long, so every listing here pages.
 */
import { DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudError, type CloudErrorKind } from '../../shared/domain/errors.ts';
import type { PoolObservation } from '../../shared/domain/ports.ts';
import type { FaultSpec } from '../../local/emulators/faults.ts';
import { AwsClients } from '../../shared/adapters/aws/index.ts';
import { type Env, FAST, POOLS, REGION, refOfSpec, START, startEnv } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start(options?: Parameters<typeof startEnv>[0]): Promise<Env> {
  env = await startEnv(options);
  return env;
}

const fleet = refOfSpec(POOLS.fleet);
const instantFleet = refOfSpec(POOLS.instantFleet);
const asg = refOfSpec(POOLS.asg);
const eks = refOfSpec(POOLS.eks);
const block = refOfSpec(POOLS.block);

function lifecycles(o: PoolObservation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of o.instances) out[i.lifecycle] = (out[i.lifecycle] ?? 0) + 1;
  return out;
}

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

describe('describePool', () => {
  it('describes an EC2 Fleet: target capacity, instances with zones, spot, node names, lifecycle from health', async () => {
    const { aws, world } = await start();
    await aws.capacity.setDesired(fleet, { desired: 7, reason: 'test' });
    world.advance(100); // past boot (90 s), before ready (420 s): the 2 new instances run but do not serve yet
    const o = await aws.capacity.describePool(fleet);
    expect(o.desired).toBe(7);
    expect(o.ready).toBe(5);
    expect(lifecycles(o)).toEqual({ ready: 5, running: 2 });
    const live = world.instancesOf(POOLS.fleet.id);
    expect(o.instances.map((i) => i.id).sort()).toEqual(live.map((i) => i.id).sort());
    for (const i of o.instances) {
      const w = world.instance(i.id)!;
      expect(i).toMatchObject({
        zone: w.zone,
        nodeName: w.nodeName,
        capacityType: 'spot',
        instanceType: 'g5.12xlarge',
      });
      expect(i.launchedAt).toBe(new Date(w.launchedAt).toISOString());
    }
    expect(o.observedAt).toBe(new Date(world.now()).toISOString());
  });

  it('pages through DescribeFleetInstances and DescribeInstances', async () => {
    const { aws, world } = await start();
    await aws.capacity.setDesired(fleet, { desired: 7, reason: 'test' });
    world.calls.length = 0;
    const o = await aws.capacity.describePool(fleet);
    expect(o.instances).toHaveLength(7);
    // 7 instances in pages of 2: 4 calls each.
    expect(world.callsTo('ec2', 'DescribeFleetInstances')).toHaveLength(4);
    expect(world.callsTo('ec2', 'DescribeInstances')).toHaveLength(4);
  });

  it('describes an Auto Scaling group: Pending -> pending, Pending:Wait -> running, InService -> ready', async () => {
    const { aws, world } = await start();
    await aws.capacity.setDesired(asg, { desired: 6, reason: 'test' });
    let o = await aws.capacity.describePool(asg);
    expect(o).toMatchObject({ desired: 6, ready: 3, min: 1, max: 8 });
    expect(lifecycles(o)).toEqual({ ready: 3, pending: 3 });
    world.advance(100);
    o = await aws.capacity.describePool(asg);
    expect(lifecycles(o)).toEqual({ ready: 3, running: 3 });
    world.advance(400); // 500 s after launch, past the 420 s to ready
    o = await aws.capacity.describePool(asg);
    expect(lifecycles(o)).toEqual({ ready: 6 });
    expect(o.instances.every((i) => i.capacityType === 'on-demand' && i.nodeName?.endsWith('.compute.internal'))).toBe(
      true,
    );
  });

  it('describes an EKS node group through the Auto Scaling group behind it', async () => {
    const { aws, world } = await start();
    const o = await aws.capacity.describePool(eks);
    expect(o).toMatchObject({ desired: 2, ready: 2, min: 0, max: 6 });
    expect(o.instances.map((i) => i.id).sort()).toEqual(
      world
        .instancesOf(POOLS.eks.id)
        .map((i) => i.id)
        .sort(),
    );
    expect(o.instances.every((i) => i.instanceType === 'g6.xlarge' && i.capacityType === 'on-demand')).toBe(true);
  });

  it('reports capacity-block instances as reserved', async () => {
    const { aws } = await start();
    const o = await aws.capacity.describePool(block);
    expect(o.instances).toHaveLength(2);
    expect(o.instances.every((i) => i.capacityType === 'reserved' && i.zone === 'us-east-1a')).toBe(true);
  });

  it('shows an instance under a spot interruption notice as EC2 does: serving until the deadline, then gone', async () => {
    const { aws, world } = await start();
    world.setSpotCapacity(POOLS.fleet.id, 'us-east-1a', 1);
    const o = await aws.capacity.describePool(fleet);
    // Zone a held 3 of the 5 spot instances; capacity 1 there takes 2 back with notice. EC2 keeps the 2
    // running and healthy until the deadline, and the fleet counts them until then: nothing in the pool's
    // description says they are leaving (the notice does: the engine counts them out).
    expect(lifecycles(o)).toEqual({ ready: 5 });
    expect(o.ready).toBe(world.readyCount(POOLS.fleet.id) + 2);
    world.advance(121);
    // Gone at the deadline, the maintain fleet replaces them where capacity is left (pending in zone b).
    const after = await aws.capacity.describePool(fleet);
    expect(lifecycles(after)).toEqual({ ready: 3, pending: 2 });
    expect(lifecycles(after).terminating ?? 0).toBe(0);
    expect(after.instances.map((i) => i.id).sort()).toEqual(
      world
        .instancesOf(POOLS.fleet.id)
        .map((i) => i.id)
        .sort(),
    );
  });

  it.each([
    { name: 'unknown fleet', ref: { ...fleet, resource: 'fleet-0000000000000dead' }, code: 'InvalidFleetId.NotFound' },
    {
      name: 'unknown group (left out of DescribeAutoScalingGroups)',
      ref: { ...asg, resource: 'no-such-group' },
      code: undefined,
    },
    { name: 'unknown node group', ref: { ...eks, resource: 'prod/no-such-ng' }, code: 'ResourceNotFoundException' },
    { name: 'unknown cluster', ref: { ...eks, resource: 'staging/gpu-l4' }, code: 'ResourceNotFoundException' },
  ])('$name is not-found', async ({ ref, code }) => {
    const { aws } = await start();
    const e = await rejection(aws.capacity.describePool(ref));
    expect(e.kind).toBe('not-found');
    expect(e.code).toBe(code);
    expect(e.cloud).toBe('aws');
  });

  it('refuses pools of other clouds and kinds as invalid', async () => {
    const { aws } = await start();
    const e = await rejection(aws.capacity.describePool({ ...asg, cloud: 'gcp', kind: 'gcp-mig' }));
    expect(e.kind).toBe('invalid');
  });
});

describe('setDesired', () => {
  it('modifies an EC2 Fleet target and reports the previous count', async () => {
    const { aws, world } = await start();
    const r = await aws.capacity.setDesired(fleet, { desired: 8, reason: 'queue depth', idempotencyToken: 'tok-1' });
    expect(r).toEqual({ desired: 8, previous: 5, unchanged: false });
    expect(world.pool(POOLS.fleet.id)!.desired).toBe(8);
    expect(world.callsTo('ec2', 'ModifyFleet')[0]!.params).toMatchObject({
      FleetId: POOLS.fleet.name,
      'TargetCapacitySpecification.TotalTargetCapacity': '8',
    });
  });

  it.each([
    { name: 'fleet', ref: fleet, desired: 5, mutation: ['ec2', 'ModifyFleet'] },
    { name: 'group', ref: asg, desired: 3, mutation: ['autoscaling', 'SetDesiredCapacity'] },
    { name: 'node group', ref: eks, desired: 2, mutation: ['eks', 'UpdateNodegroupConfig'] },
  ])('the current count again is unchanged and changes nothing ($name)', async ({ ref, desired, mutation }) => {
    const { aws, world } = await start();
    const r = await aws.capacity.setDesired(ref, { desired, reason: 'steady' });
    expect(r).toEqual({ desired, previous: desired, unchanged: true });
    expect(world.callsTo(mutation[0]!, mutation[1])).toHaveLength(0);
  });

  it('sets an Auto Scaling group desired capacity without honouring cooldowns', async () => {
    const { aws, world } = await start();
    const r = await aws.capacity.setDesired(asg, { desired: 5, reason: 'test' });
    expect(r).toEqual({ desired: 5, previous: 3, unchanged: false });
    expect(world.callsTo('autoscaling', 'SetDesiredCapacity')[0]!.params).toMatchObject({
      AutoScalingGroupName: POOLS.asg.name,
      DesiredCapacity: '5',
      HonorCooldown: 'false',
    });
    expect(world.instancesOf(POOLS.asg.id)).toHaveLength(5);
  });

  it('updates an EKS node group and polls the update until Successful', async () => {
    const { aws, world } = await start({ emulator: { eksUpdatePolls: 3 } });
    const r = await aws.capacity.setDesired(eks, { desired: 4, reason: 'test', idempotencyToken: 'decision-42' });
    expect(r).toMatchObject({ desired: 4, previous: 2, unchanged: false });
    expect(r.operationId).toMatch(/^[0-9a-f-]{36}$/);
    // Three answers InProgress, the fourth Successful.
    expect(world.callsTo('eks', 'DescribeUpdate')).toHaveLength(4);
    expect(world.callsTo('eks', 'UpdateNodegroupConfig')[0]!.params).toMatchObject({
      body: { scalingConfig: { desiredSize: 4 }, clientRequestToken: 'decision-42' },
    });
    expect(world.pool(POOLS.eks.id)!.desired).toBe(4);
    expect((await aws.capacity.describePool(eks)).desired).toBe(4);
  });

  it('a Failed EKS update is a CloudError carrying the update errors, and nothing changes', async () => {
    const { aws, world } = await start();
    world.faults.inject({ service: 'eks', operation: 'UpdateNodegroupConfig', kind: 'operation-failed' });
    const e = await rejection(aws.capacity.setDesired(eks, { desired: 5, reason: 'test' }));
    expect(e.code).toBe('NodeCreationFailure');
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(
      /update [0-9a-f-]+ failed: NodeCreationFailure: Instances failed to join the kubernetes cluster \(eks-gpu-l4-/,
    );
    expect(world.pool(POOLS.eks.id)!.desired).toBe(2);
  });

  it('an EKS update still in progress at the poll deadline is transient', async () => {
    const { aws } = await start({
      emulator: { eksUpdatePolls: 1_000 },
      adapter: { poll: { intervalMs: 5, timeoutMs: 60 } },
    });
    const e = await rejection(aws.capacity.setDesired(eks, { desired: 3, reason: 'test' }));
    expect(e).toMatchObject({ kind: 'transient', code: 'InProgress' });
  });

  it('EC2 Fleet: InsufficientInstanceCapacity (HTTP 500) is insufficient-capacity, not retried', async () => {
    const { aws, world } = await start();
    world.faults.inject({ service: 'ec2', operation: 'ModifyFleet', kind: 'insufficient-capacity' });
    const e = await rejection(aws.capacity.setDesired(fleet, { desired: 9, reason: 'test' }));
    expect(e).toMatchObject({ kind: 'insufficient-capacity', code: 'InsufficientInstanceCapacity', status: 500 });
    expect(world.callsTo('ec2', 'ModifyFleet')).toHaveLength(1);
    expect(world.pool(POOLS.fleet.id)!.desired).toBe(5);
  });

  it('EC2 Fleet: a launch that fails after ModifyFleet leaves the fleet short until the world advances', async () => {
    const { aws, world } = await start();
    world.faults.inject({ service: 'ec2', operation: 'ModifyFleet', kind: 'operation-failed' });
    await aws.capacity.setDesired(fleet, { desired: 7, reason: 'test' });
    expect((await aws.capacity.describePool(fleet)).instances).toHaveLength(5);
    world.advance(1);
    expect((await aws.capacity.describePool(fleet)).instances).toHaveLength(7);
  });

  it('Auto Scaling: a capacity failure is accepted, shows as a failed scaling activity and fewer instances', async () => {
    const { aws, world, emulator } = await start();
    world.faults.inject({ service: 'autoscaling', operation: 'SetDesiredCapacity', kind: 'insufficient-capacity' });
    const r = await aws.capacity.setDesired(asg, { desired: 6, reason: 'test' });
    expect(r.unchanged).toBe(false);
    const o = await aws.capacity.describePool(asg);
    expect(o.desired).toBe(6);
    expect(o.instances).toHaveLength(3);
    const clients = new AwsClients({ region: REGION, endpoints: emulator.endpoints, ...FAST });
    const acts = await clients
      .autoscaling()
      .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: POOLS.asg.name }));
    clients.destroy();
    expect(acts.Activities?.[0]).toMatchObject({ StatusCode: 'Failed' });
    expect(acts.Activities?.[0]?.StatusMessage).toContain('do not have sufficient g5.12xlarge capacity');
  });

  it('Auto Scaling: a zone out of capacity leaves a shortfall the group keeps', async () => {
    const { aws, world } = await start();
    world.setOnDemandCapacity(POOLS.asg.id, 'us-east-1a', 2);
    world.setOnDemandCapacity(POOLS.asg.id, 'us-east-1b', 2);
    await aws.capacity.setDesired(asg, { desired: 6, reason: 'test' });
    const o = await aws.capacity.describePool(asg);
    // 2 per zone in 2 zones: 4 of the 6 exist.
    expect(o).toMatchObject({ desired: 6 });
    expect(o.instances).toHaveLength(4);
  });

  it.each([
    { name: 'group above its max', ref: asg, desired: 9, code: 'ValidationError' },
    { name: 'node group above its max', ref: eks, desired: 7, code: 'InvalidParameterException' },
    { name: 'a negative count (refused before any call)', ref: asg, desired: -1, code: undefined },
    { name: 'a fraction (refused before any call)', ref: fleet, desired: 2.5, code: undefined },
    {
      name: 'an instant fleet (ModifyFleet takes maintain fleets only)',
      ref: instantFleet,
      desired: 2,
      code: undefined,
    },
  ])('$name is invalid', async ({ ref, desired, code }) => {
    const { aws, world } = await start();
    const e = await rejection(aws.capacity.setDesired(ref, { desired, reason: 'test' }));
    expect(e.kind).toBe('invalid');
    expect(e.code).toBe(code);
    expect(world.callsTo('ec2', 'ModifyFleet')).toHaveLength(0);
  });

  it.each([
    { name: 'fleet', ref: { ...fleet, resource: 'fleet-0000000000000dead' } },
    { name: 'group', ref: { ...asg, resource: 'gone' } },
    { name: 'node group', ref: { ...eks, resource: 'prod/gone' } },
  ])('a $name that is gone is not-found', async ({ ref }) => {
    const { aws } = await start();
    const e = await rejection(aws.capacity.setDesired(ref, { desired: 1, reason: 'test' }));
    expect(e.kind).toBe('not-found');
  });
});

describe('removeInstance', () => {
  it('terminates a chosen group instance and lowers the desired count', async () => {
    const { aws, world } = await start();
    const victim = world.instancesOf(POOLS.asg.id)[1]!.id;
    await aws.capacity.removeInstance!(asg, victim);
    expect(world.instance(victim)).toBeUndefined();
    expect(world.pool(POOLS.asg.id)!.desired).toBe(2);
    expect(world.callsTo('autoscaling', 'TerminateInstanceInAutoScalingGroup')[0]!.params).toMatchObject({
      InstanceId: victim,
      ShouldDecrementDesiredCapacity: 'true',
    });
  });

  it('removes a node group instance through its Auto Scaling group', async () => {
    const { aws, world } = await start();
    const victim = world.instancesOf(POOLS.eks.id)[0]!.id;
    await aws.capacity.removeInstance!(eks, victim);
    expect(world.pool(POOLS.eks.id)!.desired).toBe(1);
    expect((await aws.capacity.describePool(eks)).desired).toBe(1);
  });

  it('an instance of another group is not-found, and nothing is terminated', async () => {
    const { aws, world } = await start();
    const other = world.instancesOf(POOLS.block.id)[0]!.id;
    const e = await rejection(aws.capacity.removeInstance!(asg, other));
    expect(e.kind).toBe('not-found');
    expect(world.callsTo('autoscaling', 'TerminateInstanceInAutoScalingGroup')).toHaveLength(0);
  });

  it('a group at its min size refuses to shrink (invalid)', async () => {
    const { aws, world } = await start();
    await aws.capacity.setDesired(asg, { desired: 1, reason: 'test' });
    const e = await rejection(aws.capacity.removeInstance!(asg, world.instancesOf(POOLS.asg.id)[0]!.id));
    expect(e).toMatchObject({ kind: 'invalid', code: 'ValidationError' });
  });

  // EC2 Fleets: fleet-removal.contract.test.ts.
});

describe('listReservations', () => {
  it('lists the region capacity reservations and blocks, paging', async () => {
    const { aws, world } = await start();
    const rs = await aws.capacity.listReservations(REGION);
    // 5 AWS reservations in us-east-1 (one in us-west-2 and one on GCP are not), in pages of 2: 3 calls.
    expect(world.callsTo('ec2', 'DescribeCapacityReservations')).toHaveLength(3);
    const byId = Object.fromEntries(rs.map((r) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual([
      'cr-0b10c000000000001',
      'cr-0b10c000000000002',
      'cr-0d0c0000000000003',
      'cr-0e0c0000000000005',
      'cr-0f0c0000000000004',
    ]);
    // The block pool holds 2 of the 4 instances of the active block.
    expect(byId['cr-0b10c000000000001']).toEqual({
      id: 'cr-0b10c000000000001',
      cloud: 'aws',
      type: 'capacity-block',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 4,
      available: 2,
      state: 'active',
      startTime: new Date(START - 3_600_000).toISOString(),
      // The block's end date: 30 minutes after the world ends its capacity (EC2 terminates a block's instances
      // from 30 minutes before its end date).
      endTime: new Date(START + 24 * 3_600_000 + 30 * 60_000).toISOString(),
    });
    expect(byId['cr-0b10c000000000002']).toMatchObject({
      type: 'capacity-block',
      state: 'scheduled',
      total: 8,
      available: 8,
    });
    expect(byId['cr-0d0c0000000000003']).toMatchObject({ type: 'odcr', state: 'active', total: 3, available: 3 });
    expect(byId['cr-0f0c0000000000004']).toMatchObject({ type: 'future-odcr', state: 'scheduled', total: 10 });
    expect(byId['cr-0e0c0000000000005']).toMatchObject({ type: 'odcr', state: 'expired', available: 0 });
  });
});

describe('a Capacity Block past its capacity, before its end date', () => {
  it('is listed active with nothing available until its end date, then expired', async () => {
    const { aws, world } = await start();
    const block = () =>
      aws.capacity.listReservations(REGION).then((rs) => rs.find((r) => r.id === 'cr-0b10c000000000001')!);
    // The world ends the block's capacity 24 hours after the start; its end date is 30 minutes later.
    world.advance((24 - (world.now() - START) / 3_600_000) * 3600 + 600);
    expect(await block()).toMatchObject({ state: 'active', available: 0 });
    expect(world.instancesOf(POOLS.block.id)).toEqual([]);
    world.advance(1500);
    expect(await block()).toMatchObject({ state: 'expired', available: 0 });
  });
});

describe('retries, timeouts and error mapping', () => {
  interface RetryCase {
    name: string;
    fault: FaultSpec;
    run: (e: Env) => Promise<unknown>;
  }
  const retried: RetryCase[] = [
    {
      name: 'EC2 RequestLimitExceeded (503)',
      fault: { service: 'ec2', operation: 'DescribeFleets', kind: 'throttle', times: 2 },
      run: (e) => e.aws.capacity.describePool(fleet),
    },
    {
      name: 'EC2 InternalError (500)',
      fault: { service: 'ec2', operation: 'ModifyFleet', kind: 'server-error', times: 2 },
      run: (e) => e.aws.capacity.setDesired(fleet, { desired: 6, reason: 't' }),
    },
    {
      name: 'Auto Scaling Throttling (400)',
      fault: { service: 'autoscaling', operation: 'DescribeAutoScalingGroups', kind: 'throttle', times: 2 },
      run: (e) => e.aws.capacity.describePool(asg),
    },
    {
      name: 'Auto Scaling InternalFailure (500)',
      fault: { service: 'autoscaling', operation: 'SetDesiredCapacity', kind: 'server-error', times: 2 },
      run: (e) => e.aws.capacity.setDesired(asg, { desired: 4, reason: 't' }),
    },
    {
      name: 'EKS ThrottlingException (429)',
      fault: { service: 'eks', operation: 'DescribeNodegroup', kind: 'throttle', times: 2 },
      run: (e) => e.aws.capacity.describePool(eks),
    },
    {
      name: 'EKS ServerException (500) while polling',
      fault: { service: 'eks', operation: 'DescribeUpdate', kind: 'server-error', times: 2 },
      run: (e) => e.aws.capacity.setDesired(eks, { desired: 3, reason: 't' }),
    },
    {
      name: 'EC2 reservations throttled',
      fault: { service: 'ec2', operation: 'DescribeCapacityReservations', kind: 'throttle', times: 2 },
      run: (e) => e.aws.capacity.listReservations(REGION),
    },
  ];

  it.each(retried)('$name is retried and the call succeeds', async ({ fault, run }) => {
    const e = await start();
    e.world.faults.inject(fault);
    await run(e);
    expect(e.world.faults.fired).toHaveLength(2);
    expect(e.world.faults.armed).toBe(0);
    // Two refused attempts, then the one that succeeded (DescribeUpdate is also polled once more after).
    expect(e.world.callsTo(fault.service, fault.operation).length).toBeGreaterThanOrEqual(3);
  });

  it('gives up after maxAttempts and reports throttled with the AWS code', async () => {
    const { aws, world } = await start();
    world.faults.inject({ service: 'ec2', operation: 'DescribeFleets', kind: 'throttle', times: 3 });
    const e = await rejection(aws.capacity.describePool(fleet));
    expect(e).toMatchObject({ kind: 'throttled', code: 'RequestLimitExceeded', status: 503 });
    expect(e.retryable).toBe(true);
    expect(world.callsTo('ec2', 'DescribeFleets')).toHaveLength(3);
  });

  it('a request that hangs past the request timeout is retried and succeeds', async () => {
    const { aws, world } = await start();
    world.faults.inject({
      service: 'autoscaling',
      operation: 'DescribeAutoScalingGroups',
      kind: 'timeout',
      delayMs: 3_000,
    });
    const began = Date.now();
    const o = await aws.capacity.describePool(asg);
    expect(o.desired).toBe(3);
    expect(world.callsTo('autoscaling', 'DescribeAutoScalingGroups')).toHaveLength(2);
    // The client gave up after its 400 ms timeout, well before the server would have dropped the connection.
    expect(Date.now() - began).toBeLessThan(2_500);
  });

  it('timeouts on every attempt are transient (TimeoutError)', async () => {
    const { aws, world } = await start({
      adapter: { requestTimeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 5 } },
    });
    world.faults.inject({ service: 'ec2', operation: 'DescribeFleets', kind: 'timeout', delayMs: 2_000, times: 2 });
    const e = await rejection(aws.capacity.describePool(fleet));
    expect(e).toMatchObject({ kind: 'transient', code: 'TimeoutError' });
  });

  const mapped: Array<{
    name: string;
    fault: FaultSpec;
    run: (e: Env) => Promise<unknown>;
    kind: CloudErrorKind;
    code: string;
    status: number;
  }> = [
    {
      name: 'EC2 UnauthorizedOperation',
      fault: { service: 'ec2', kind: 'unauthorized' },
      run: (e) => e.aws.capacity.describePool(fleet),
      kind: 'unauthorized',
      code: 'UnauthorizedOperation',
      status: 403,
    },
    {
      name: 'Auto Scaling AccessDenied',
      fault: { service: 'autoscaling', kind: 'unauthorized' },
      run: (e) => e.aws.capacity.describePool(asg),
      kind: 'unauthorized',
      code: 'AccessDenied',
      status: 403,
    },
    {
      name: 'EKS AccessDeniedException',
      fault: { service: 'eks', kind: 'unauthorized' },
      run: (e) => e.aws.capacity.describePool(eks),
      kind: 'unauthorized',
      code: 'AccessDeniedException',
      status: 403,
    },
    {
      name: 'EC2 IncorrectState on ModifyFleet',
      fault: { service: 'ec2', operation: 'ModifyFleet', kind: 'conflict' },
      run: (e) => e.aws.capacity.setDesired(fleet, { desired: 6, reason: 't' }),
      kind: 'conflict',
      code: 'IncorrectState',
      status: 400,
    },
    {
      name: 'Auto Scaling ScalingActivityInProgress',
      fault: { service: 'autoscaling', operation: 'SetDesiredCapacity', kind: 'conflict' },
      run: (e) => e.aws.capacity.setDesired(asg, { desired: 4, reason: 't' }),
      kind: 'conflict',
      code: 'ScalingActivityInProgress',
      status: 400,
    },
    {
      name: 'EKS ResourceInUseException',
      fault: { service: 'eks', operation: 'UpdateNodegroupConfig', kind: 'conflict' },
      run: (e) => e.aws.capacity.setDesired(eks, { desired: 4, reason: 't' }),
      kind: 'conflict',
      code: 'ResourceInUseException',
      status: 409,
    },
  ];

  it.each(mapped)(
    '$name maps to $kind, keeps the code, and is not retried',
    async ({ fault, run, kind, code, status }) => {
      const e = await start();
      e.world.faults.inject(fault);
      const err = await rejection(run(e));
      expect(err).toMatchObject({ kind, code, status, cloud: 'aws' });
      expect(err.cause).toBeInstanceOf(Error);
      expect(e.world.faults.fired).toHaveLength(1);
    },
  );
});
