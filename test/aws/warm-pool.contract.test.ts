/**
 * Contract tests: EC2 Auto Scaling warm pools through the real SDK client (PutWarmPool, DescribeWarmPool,
 * DeleteWarmPool, the `Warmed:*` lifecycle states, scale-out from the pool) against the loopback emulator.
 * Pages are 2 items long, so DescribeWarmPool pages too.
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../shared/adapters/aws/index.ts';
import { keepingWarmPoolSize } from '../../shared/adapters/aws/warm-pool.ts';
import { CloudError, WarmFloorNotRestoredError } from '../../shared/domain/errors.ts';
import { type Env, FAST, POOLS, REGION, refOfSpec, startEnv } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const asg = refOfSpec(POOLS.asg);
const fleet = refOfSpec(POOLS.fleet);
const spotAsg = { ...asg, id: 'spot', resource: 'gpu-spot' };

async function start(): Promise<Env> {
  env = await startEnv();
  env.world.addPool({
    ...POOLS.asg,
    id: 'spot',
    name: 'gpu-spot',
    capacityType: 'spot',
    desired: 0,
  });
  return env;
}

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

describe('Auto Scaling warm pools', () => {
  it('keeps `size` stopped instances beside the group (MaxGroupPreparedCapacity = desired + size): Warmed:Pending while prepared, then Warmed:Stopped', async () => {
    const { aws, world } = await start();
    const r = await aws.capacity.setWarm!(asg, { size: 3, min: 1, state: 'stopped', reason: 'test' });
    expect(r).toEqual({ size: 3, previous: 0, unchanged: false });
    let o = await aws.capacity.describePool(asg);
    expect(o.warm).toMatchObject({ target: 3, ready: 0, warming: 3, state: 'stopped' });
    // Warm instances are not the group's: desired and the group's instances are unchanged.
    expect(o.desired).toBe(3);
    expect(o.instances).toHaveLength(3);
    world.advance(POOLS.asg.readySeconds);
    o = await aws.capacity.describePool(asg);
    expect(o.warm).toMatchObject({ target: 3, ready: 3, warming: 0 });
    // Setting the same again changes nothing.
    expect(await aws.capacity.setWarm!(asg, { size: 3, min: 1, state: 'stopped', reason: 'again' })).toMatchObject({
      unchanged: true,
    });
    // The SDK's own view: a pool relative to the group (3 running + 3 warm), MinSize the pool's floor, reuse on
    // scale-in, states.
    const clients = new AwsClients({ region: REGION, endpoints: env!.emulator.endpoints, ...FAST });
    try {
      const raw = await clients
        .autoscaling(REGION)
        .send(new DescribeWarmPoolCommand({ AutoScalingGroupName: POOLS.asg.name, MaxRecords: 2 }));
      expect(raw.WarmPoolConfiguration).toMatchObject({
        MinSize: 1,
        MaxGroupPreparedCapacity: 6,
        PoolState: 'Stopped',
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      });
      expect(raw.Instances).toHaveLength(2);
      expect(raw.NextToken).toBeDefined();
      expect(new Set(raw.Instances!.map((i) => i.LifecycleState))).toEqual(new Set(['Warmed:Stopped']));
    } finally {
      clients.destroy();
    }
  });

  it('scales out from the pool first: warm instances serve after their resume time; the pool refills only to MinSize', async () => {
    const { aws, world } = await start();
    await aws.capacity.setWarm!(asg, { size: 2, min: 1, state: 'hibernated', reason: 'test' });
    world.advance(POOLS.asg.readySeconds);
    const warmIds = (await aws.capacity.describePool(asg)).warm!.instanceIds;
    await aws.capacity.setDesired(asg, { desired: 6, reason: 'burst' });
    let o = await aws.capacity.describePool(asg);
    // Both warm instances are now the group's; the third new one is a cold launch.
    for (const id of warmIds) expect(o.instances.map((i) => i.id)).toContain(id);
    expect(world.warmResumes(POOLS.asg.id)).toEqual({ resumes: 2, failedResumes: 0 });
    // max(MinSize 1, 5 prepared - 6 desired): one new instance is prepared, not two.
    expect(o.warm).toMatchObject({ target: 1, ready: 0, warming: 1, state: 'hibernated' });
    // Resumed instances serve after the warm physics' resume time; the cold one after its full time to ready.
    world.advance(world.pool(POOLS.asg.id)!.warm!.resumeSeconds);
    o = await aws.capacity.describePool(asg);
    expect(o.ready).toBe(5);
    const activities = await activitiesOf(env!);
    expect(activities.filter((d) => d.startsWith('Launching a new EC2 instance from warm pool: '))).toHaveLength(2);
  });

  it('a warm instance that cannot start for capacity stays warm; a cold launch replaces it and a Failed activity says why', async () => {
    const { aws, world } = await start();
    await aws.capacity.setWarm!(asg, { size: 1, min: 1, state: 'stopped', reason: 'test' });
    world.advance(POOLS.asg.readySeconds);
    world.failNextResumes(POOLS.asg.id, 1);
    await aws.capacity.setDesired(asg, { desired: 4, reason: 'burst' });
    const o = await aws.capacity.describePool(asg);
    expect(o.instances).toHaveLength(4);
    expect(o.warm).toMatchObject({ ready: 1 });
    expect(world.warmResumes(POOLS.asg.id)).toEqual({ resumes: 0, failedResumes: 1 });
    const activities = await activitiesOf(env!);
    expect(activities.some((d) => /from warm pool\..*do not have sufficient g5\.12xlarge capacity/.test(d))).toBe(true);
  });

  it('a scale-in returns as many instances to the pool as the plan says (toWarm), keeping their disks; size 0 deletes the pool', async () => {
    const { aws, world } = await start();
    await aws.capacity.setWarm!(asg, { size: 1, state: 'stopped', reason: 'test' });
    world.advance(POOLS.asg.readySeconds);
    const running = (await aws.capacity.describePool(asg)).instances.map((i) => i.id);
    const prepared = world.warmCostUsd(POOLS.asg.id);
    // 3 -> 1: one of the two taken out goes back to the pool (2 warm after), the other is terminated.
    const r = await aws.capacity.setDesired(asg, {
      desired: 1,
      reason: 'quiet',
      toWarm: { nodes: 1, warm: 2, state: 'stopped' },
    });
    expect(r).toMatchObject({ desired: 1, previous: 3, unchanged: false });
    const warm = world.warmOf(POOLS.asg.id);
    expect(warm).toHaveLength(2);
    // The returned instance is one the group ran, warm at once: no new preparation, its disks billed from now.
    const back = warm.filter((w) => running.includes(w.id));
    expect(back).toHaveLength(1);
    expect(back[0]!.phase).toBe('warm');
    world.advance(3600);
    const perHour = world.pool(POOLS.asg.id)!.warm!.hourlyPrice;
    expect(world.warmCostUsd(POOLS.asg.id) - prepared).toBeCloseTo(2 * perHour, 6);
    const o = await aws.capacity.describePool(asg);
    expect(o.instances).toHaveLength(1);
    expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
    // A scale-out resumes both; the pool (MaxGroupPreparedCapacity 3, desired 3) prepares none.
    await aws.capacity.setDesired(asg, { desired: 3, reason: 'burst' });
    expect(world.warmResumes(POOLS.asg.id).resumes).toBe(2);
    expect(world.warmOf(POOLS.asg.id)).toHaveLength(0);
    const off = await aws.capacity.setWarm!(asg, { size: 0, state: 'stopped', reason: 'off' });
    expect(off).toEqual({ size: 0, previous: 0, unchanged: false });
    expect((await aws.capacity.describePool(asg)).warm).toBeUndefined();
  });

  it.each([
    { name: 'a stopped pool with no floor', state: 'stopped' as const, min: 0 },
    { name: 'a hibernated pool with a floor below its size', state: 'hibernated' as const, min: 1 },
  ])(
    'removing an instance (the group shrinks by one) keeps the warm pool its size, with nothing prepared: $name',
    async ({ state, min }) => {
      // The service keeps max(MinSize, MaxGroupPreparedCapacity - DesiredCapacity) warm (PutWarmPool's reference):
      // TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity lowers the desired count, which
      // would raise the pool's size by one (and prepare an instance, at the running price) until the next setWarm.
      const { aws, world } = await start();
      await aws.capacity.setWarm!(asg, { size: 2, min, state, reason: 'test' });
      world.advance(POOLS.asg.readySeconds);
      const before = world.warmOf(POOLS.asg.id).map((w) => w.id);
      const running = (await aws.capacity.describePool(asg)).instances.map((i) => i.id);
      await aws.capacity.removeInstance!(asg, running[0]!);
      const o = await aws.capacity.describePool(asg);
      expect(o.desired).toBe(running.length - 1);
      expect(o.instances.map((i) => i.id)).not.toContain(running[0]);
      expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0, state });
      expect(world.warmOf(POOLS.asg.id).map((w) => w.id)).toEqual(before);
      // The pool is still relative to the group, with its floor: the next scale-out draws on it, and setWarm
      // with the same size changes nothing.
      const clients = new AwsClients({ region: REGION, endpoints: env!.emulator.endpoints, ...FAST });
      try {
        const raw = await clients
          .autoscaling(REGION)
          .send(new DescribeWarmPoolCommand({ AutoScalingGroupName: POOLS.asg.name }));
        expect(raw.WarmPoolConfiguration).toMatchObject({
          MinSize: min,
          MaxGroupPreparedCapacity: running.length - 1 + 2,
          InstanceReusePolicy: { ReuseOnScaleIn: true },
        });
      } finally {
        clients.destroy();
      }
      expect(await aws.capacity.setWarm!(asg, { size: 2, min, state, reason: 'again' })).toMatchObject({
        unchanged: true,
      });
    },
  );

  it('a removal that fails leaves the warm pool as it was', async () => {
    const { aws, world } = await start();
    await aws.capacity.setWarm!(asg, { size: 2, state: 'stopped', reason: 'test' });
    world.advance(POOLS.asg.readySeconds);
    const e = await rejection(aws.capacity.removeInstance!(asg, 'i-0123456789abcdef0'));
    expect(e.kind).toBe('not-found');
    const o = await aws.capacity.describePool(asg);
    expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
  });

  describe('a removal whose terminate succeeds but whose PutWarmPool setting the floor back fails', () => {
    // The fault is armed once the instance is terminated, so only the PutWarmPool after it fails: the SDK
    // retries it (FAST: 3 attempts), then the adapter reports it beside a removal that succeeded.
    async function removeThenFail(env: Env, min: number, failures: number) {
      const clients = new AwsClients({ region: REGION, endpoints: env.emulator.endpoints, ...FAST });
      try {
        const auto = clients.autoscaling(REGION);
        const [group] = (
          await auto.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [POOLS.asg.name] }))
        ).AutoScalingGroups!;
        const victim = group!.Instances![0]!.InstanceId!;
        const result = await keepingWarmPoolSize(
          clients,
          REGION,
          group!,
          'test removal',
          async () => {
            await auto.send(
              new TerminateInstanceInAutoScalingGroupCommand({
                InstanceId: victim,
                ShouldDecrementDesiredCapacity: true,
              }),
            );
            env.world.faults.inject({
              service: 'autoscaling',
              operation: 'PutWarmPool',
              kind: 'server-error',
              times: failures,
            });
          },
          min,
        );
        const raw = await auto.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: POOLS.asg.name }));
        return { result, victim, config: raw.WarmPoolConfiguration! };
      } finally {
        clients.destroy();
      }
    }

    it.each([
      { name: 'no floor', min: 0 },
      { name: 'a floor below the size', min: 1 },
    ])(
      'one failure: the SDK retries it, the removal succeeds and the floor is the original ($name)',
      async ({ min }) => {
        const env = await start();
        await env.aws.capacity.setWarm!(asg, { size: 2, min, state: 'stopped', reason: 'test' });
        env.world.advance(POOLS.asg.readySeconds);
        const { result, victim, config } = await removeThenFail(env, min, 1);
        expect(result).toBeUndefined();
        expect(env.world.faults.fired).toEqual([
          { service: 'autoscaling', operation: 'PutWarmPool', kind: 'server-error' },
        ]);
        expect(config).toMatchObject({ MinSize: min, MaxGroupPreparedCapacity: 2 + 2 });
        const o = await env.aws.capacity.describePool(asg);
        expect(o.instances.map((i) => i.id)).not.toContain(victim);
        expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
      },
    );

    it.each([
      { name: 'no floor', min: 0 },
      { name: 'a floor below the size', min: 1 },
    ])(
      'every attempt fails: the removal succeeds, a typed warning names the original floor, and the next removal or setWarm sets it back ($name)',
      async ({ min }) => {
        const env = await start();
        await env.aws.capacity.setWarm!(asg, { size: 2, min, state: 'stopped', reason: 'test' });
        env.world.advance(POOLS.asg.readySeconds);
        const { result, victim, config } = await removeThenFail(env, min, FAST.retry!.maxAttempts!);
        // The instance is gone: the removal's outcome is success; the floor left raised is a warning beside it.
        expect(result).toBeInstanceOf(WarmFloorNotRestoredError);
        expect(result).toMatchObject({ resource: POOLS.asg.name, originalMinSize: min, temporaryMinSize: 2 });
        expect(result!.cause).toBeInstanceOf(CloudError);
        expect(config).toMatchObject({ MinSize: 2, MaxGroupPreparedCapacity: 2 + 2 });
        let o = await env.aws.capacity.describePool(asg);
        expect(o.instances.map((i) => i.id)).not.toContain(victim);
        // Meanwhile the pool keeps its size: nothing prepared, nothing removed.
        expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
        const floor = async () => {
          const clients = new AwsClients({ region: REGION, endpoints: env.emulator.endpoints, ...FAST });
          try {
            const raw = await clients
              .autoscaling(REGION)
              .send(new DescribeWarmPoolCommand({ AutoScalingGroupName: POOLS.asg.name }));
            return raw.WarmPoolConfiguration!;
          } finally {
            clients.destroy();
          }
        };
        // The next removal, given the configured floor, sets the original back (the MinSize it reads is the
        // temporary one) and keeps the pool's size.
        const next = o.instances[0]!.id;
        expect(await env.aws.capacity.removeInstance!(asg, next, { warmMin: min })).toBeUndefined();
        expect(await floor()).toMatchObject({ MinSize: min, MaxGroupPreparedCapacity: 1 + 2 });
        o = await env.aws.capacity.describePool(asg);
        expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
        expect(await env.aws.capacity.setWarm!(asg, { size: 2, min, state: 'stopped', reason: 'again' })).toMatchObject(
          {
            unchanged: true,
          },
        );
      },
    );

    it('every attempt fails: the next setWarm sets the configured floor back', async () => {
      const env = await start();
      await env.aws.capacity.setWarm!(asg, { size: 2, min: 1, state: 'stopped', reason: 'test' });
      env.world.advance(POOLS.asg.readySeconds);
      const { result } = await removeThenFail(env, 1, FAST.retry!.maxAttempts!);
      expect(result).toMatchObject({ originalMinSize: 1, temporaryMinSize: 2 });
      expect(await env.aws.capacity.setWarm!(asg, { size: 2, min: 1, state: 'stopped', reason: 'next' })).toMatchObject(
        {
          size: 2,
          previous: 2,
          unchanged: false,
        },
      );
      const o = await env.aws.capacity.describePool(asg);
      expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
      const clients = new AwsClients({ region: REGION, endpoints: env.emulator.endpoints, ...FAST });
      try {
        const raw = await clients
          .autoscaling(REGION)
          .send(new DescribeWarmPoolCommand({ AutoScalingGroupName: POOLS.asg.name }));
        expect(raw.WarmPoolConfiguration).toMatchObject({ MinSize: 1, MaxGroupPreparedCapacity: 2 + 2 });
      } finally {
        clients.destroy();
      }
    });
  });

  it.each([
    ['an EC2 Fleet (the adapter refuses)', fleet, 'stopped' as const, 'invalid'],
    ['a group that requests Spot Instances (the service refuses)', spotAsg, 'stopped' as const, 'invalid'],
    ['a suspended state (not an ASG state)', asg, 'suspended' as const, 'invalid'],
  ])('refuses %s', async (_name, ref, state, kind) => {
    const { aws } = await start();
    const e = await rejection(aws.capacity.setWarm!(ref, { size: 1, state, reason: 'test' }));
    expect(e.kind).toBe(kind);
  });

  it('answers PutWarmPool on a group that does not exist with a ValidationError, as the service does', async () => {
    const { emulator } = await start();
    const clients = new AwsClients({ region: REGION, endpoints: emulator.endpoints, ...FAST });
    try {
      const e = await clients
        .autoscaling(REGION)
        .send(new PutWarmPoolCommand({ AutoScalingGroupName: 'nope', MinSize: 1 }))
        .then(
          () => undefined,
          (err: unknown) => err as { name: string; message: string },
        );
      expect(e?.name).toBe('ValidationError');
      expect(e?.message).toMatch(/nope not found/);
    } finally {
      clients.destroy();
    }
  });
});

async function activitiesOf(env: Env): Promise<string[]> {
  const clients = new AwsClients({ region: REGION, endpoints: env.emulator.endpoints, ...FAST });
  try {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await clients
        .autoscaling(REGION)
        .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: POOLS.asg.name, NextToken: token }));
      out.push(...(r.Activities ?? []).map((a) => a.Description ?? ''));
      token = r.NextToken;
    } while (token);
    return out;
  } finally {
    clients.destroy();
  }
}
