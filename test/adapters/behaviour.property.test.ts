/**
 * Properties of the capacity and cluster adapters' BEHAVIOUR (the real SDK clients against the loopback
 * emulators), over random sequences of operations per cloud. What is promised (shared/domain/ports.ts, the
 * adapters' doc comments, the README):
 *
 * - setDesired(n) within the group's limits: the result says `{ desired: n, previous, unchanged: n === previous }`,
 *   the emulator's group holds n and describePool observes n. Setting the current count again is a success
 *   with `unchanged: true` and makes no mutating call (SetDesiredCapacity, ModifyFleet, UpdateNodegroupConfig,
 *   the VMSS PATCH, the MIG resize).
 * - A count outside an Auto Scaling group's or EKS node group's min/max is refused (`invalid`) and nothing of
 *   it is applied (the group keeps its count).
 * - Observation matches the emulator's world: the instances' ids, zones and capacity types.
 * - Warm pools (ASG warm pool, VMSS deallocated VMs, MIG standby pool): the size set is observed back as the
 *   warm target; setting it again is `unchanged` with no mutating call.
 * - A long-running operation that fails (ARM operation Failed, Compute operation with an error) is a failure
 *   carrying the cloud's error code, never a success, and the group keeps its count.
 * - Kubernetes: after any sequence of cordons and uncordons, each node is unschedulable exactly when its last
 *   operation was a cordon (both idempotent). A drain evicts every evictable pod of the node whose
 *   PodDisruptionBudget allows it, leaves DaemonSet and mirror pods, reports the pods a budget kept as
 *   `remaining` at the deadline, and is `complete` exactly when none was kept.
 *
 * One emulator per cloud for the file; each run has a region or pool of its own. `PROP_RUNS` sets the runs per
 * property (8 by default: each run makes real HTTP calls).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsAdapters, createAwsAdapters } from '../../shared/adapters/aws/index.ts';
import { createAzureAdapters } from '../../shared/adapters/azure/index.ts';
import { createGcpAdapters, type GcpAdapters, staticToken } from '../../shared/adapters/gcp/index.ts';
import { isCloudError } from '../../shared/domain/errors.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import type { PoolKind } from '../../shared/domain/types.ts';
import { type AwsEmulator, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { type AzureEmulator, startAzureEmulator } from '../../local/emulators/azure/index.ts';
import { type GcpEmulator, startGcpEmulator } from '../../local/emulators/gcp/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';
import { closeAll, karpenterWorld, startCluster } from '../kubernetes/support.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 8) };
const START = Date.parse('2025-03-03T09:00:00Z');
const CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key-for-tests-only' };

/** The error a promise rejected with (fails when it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a success');
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** A sequence of set-desired and set-warm calls on a pool that keeps warm capacity. */
const warmOps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('desired' as const), n: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ op: fc.constant('warm' as const), n: fc.integer({ min: 0, max: 3 }) }),
  ),
  { minLength: 1, maxLength: 5 },
);

// ---- AWS ----------------------------------------------------------------------------------------------------

describe('AWS adapter behaviour (real SDK against the emulator)', () => {
  let world: World;
  let emulator: AwsEmulator;
  let run = 0;

  beforeAll(async () => {
    world = new World({ start: START, seed: 5 });
    emulator = await startAwsEmulator(world, { pageSize: 2, eksUpdatePolls: 1 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  function nextRun(): { region: string; aws: AwsAdapters } {
    run += 1;
    world.calls.length = 0;
    const region = `us-behave-${run}`;
    const aws = createAwsAdapters({
      region,
      endpoints: emulator.endpoints,
      credentials: CREDENTIALS,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      poll: { intervalMs: 1, timeoutMs: 2_000 },
      requestTimeoutMs: 2_000,
      clock: () => new Date(world.now()),
    });
    return { region, aws };
  }

  function spec(
    region: string,
    kind: PoolKind,
    name: string,
    desired: number,
    min: number,
    max: number,
  ): WorldPoolSpec {
    return {
      id: `${kind}-${run}`,
      cloud: 'aws',
      kind,
      name,
      region,
      zones: [`${region}a`, `${region}b`],
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      desired,
      min,
      max,
      bootSeconds: 0,
      readySeconds: 0,
      hourlyPrice: 5.67,
      warm: { resumeSeconds: 30, hourlyPrice: 0.1 },
    };
  }
  const refOf = (s: WorldPoolSpec, over: Partial<PoolRef> = {}): PoolRef => ({
    id: s.id,
    cloud: 'aws',
    kind: s.kind,
    resource: s.name,
    location: { region: s.region, zones: s.zones },
    ...over,
  });
  const count = (operation: string) => world.calls.filter((c) => c.operation === operation).length;

  /** What describePool says of the instances against the world's record of them. */
  async function observationMatchesWorld(aws: AwsAdapters, ref: PoolRef, poolId: string): Promise<void> {
    const seen = await aws.capacity.describePool(ref);
    expect(seen.desired).toBe(world.pool(poolId)!.desired);
    const live = world.instancesOf(poolId).filter((i) => i.state !== 'terminating');
    const observed = seen.instances.filter((i) => i.lifecycle !== 'terminating');
    expect(sorted(observed.map((i) => i.id))).toEqual(sorted(live.map((i) => i.id)));
    for (const o of observed) {
      const w = world.instance(o.id)!;
      expect(o.zone).toBe(w.zone);
      expect(o.capacityType).toBe(w.capacityType);
    }
  }

  const limits = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 2, max: 6 })).chain(([min, max]) =>
    fc.record({
      min: fc.constant(min),
      max: fc.constant(max),
      start: fc.integer({ min, max }),
      // Counts from below min to above max, a repeat of the one before often.
      ops: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: max + 3 }) },
          { weight: 1, arbitrary: fc.constant(-1) },
        ),
        { minLength: 1, maxLength: 5 },
      ),
    }),
  );

  it('an Auto Scaling group: set-desired applies within min/max, refuses outside, and skips no-ops', async () => {
    await fc.assert(
      fc.asyncProperty(limits, async ({ min, max, start, ops }) => {
        const { region, aws } = nextRun();
        try {
          const s = world.addPool(spec(region, 'auto-scaling-group', `asg-${run}`, start, min, max));
          const ref = refOf(s);
          let current = start;
          for (const op of ops) {
            const n = op < 0 ? current : op; // -1: the current count again
            const before = count('SetDesiredCapacity');
            if (n < min || n > max) {
              const e = await rejection(aws.capacity.setDesired(ref, { desired: n, reason: 'prop' }));
              expect(isCloudError(e) && e.kind).toBe('invalid');
            } else {
              const r = await aws.capacity.setDesired(ref, { desired: n, reason: 'prop' });
              expect(r).toEqual({ desired: n, previous: current, unchanged: n === current });
              expect(count('SetDesiredCapacity') - before).toBe(n === current ? 0 : 1);
              current = n;
            }
            expect(world.pool(s.id)!.desired).toBe(current);
            await observationMatchesWorld(aws, ref, s.id);
          }
        } finally {
          aws.close();
        }
      }),
      RUNS,
    );
  });

  it('an Auto Scaling warm pool: the size set is observed back, and setting it again changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.array(
          fc.record({
            size: fc.integer({ min: 0, max: 4 }),
            state: fc.constantFrom('stopped' as const, 'hibernated' as const),
            again: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (desired, ops) => {
          const { region, aws } = nextRun();
          try {
            const s = world.addPool(spec(region, 'auto-scaling-group', `warm-${run}`, desired, 0, 10));
            const ref = refOf(s, { warm: { state: 'stopped' } });
            for (const { size, state, again } of ops) {
              await aws.capacity.setWarm!(ref, { size, state, reason: 'prop' });
              const seen = await aws.capacity.describePool(ref);
              if (size === 0) expect(seen.warm).toBeUndefined();
              else expect(seen.warm).toMatchObject({ target: size, state });
              expect(seen.desired).toBe(desired);
              if (again) {
                const writes = count('PutWarmPool') + count('DeleteWarmPool');
                const r = await aws.capacity.setWarm!(ref, { size, state, reason: 'prop' });
                expect(r).toMatchObject({ size, previous: size, unchanged: true });
                expect(count('PutWarmPool') + count('DeleteWarmPool')).toBe(writes);
              }
            }
          } finally {
            aws.close();
          }
        },
      ),
      RUNS,
    );
  });

  it('an EC2 Fleet: set-desired applies the target, observed back, and skips no-ops', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.integer({ min: -1, max: 6 }), { minLength: 1, maxLength: 5 }),
        async (start, ops) => {
          const { region, aws } = nextRun();
          try {
            const id = `fleet-${run.toString(16).padStart(17, '0')}`;
            const s = world.addPool(spec(region, 'ec2-fleet', id, start, 0, 20));
            const ref = refOf(s);
            let current = start;
            for (const op of ops) {
              const n = op < 0 ? current : op;
              const before = count('ModifyFleet');
              const r = await aws.capacity.setDesired(ref, { desired: n, reason: 'prop' });
              expect(r).toEqual({ desired: n, previous: current, unchanged: n === current });
              expect(count('ModifyFleet') - before).toBe(n === current ? 0 : 1);
              current = n;
              expect(world.pool(s.id)!.desired).toBe(n);
              await observationMatchesWorld(aws, ref, s.id);
            }
          } finally {
            aws.close();
          }
        },
      ),
      RUNS,
    );
  });

  it('an EKS node group: set-desired applies within min/max, refuses outside, and skips no-ops', async () => {
    await fc.assert(
      fc.asyncProperty(limits, async ({ min, max, start, ops }) => {
        const { region, aws } = nextRun();
        try {
          const s = world.addPool(spec(region, 'eks-nodegroup', `prod${run}/gpu`, start, min, max));
          const ref = refOf(s);
          let current = start;
          for (const op of ops) {
            const n = op < 0 ? current : op;
            const before = count('UpdateNodegroupConfig');
            if (n < min || n > max) {
              const e = await rejection(aws.capacity.setDesired(ref, { desired: n, reason: 'prop' }));
              expect(isCloudError(e) && e.kind).toBe('invalid');
            } else {
              const r = await aws.capacity.setDesired(ref, { desired: n, reason: 'prop' });
              expect(r).toMatchObject({ desired: n, previous: current, unchanged: n === current });
              expect(count('UpdateNodegroupConfig') - before).toBe(n === current ? 0 : 1);
              current = n;
            }
            expect(world.pool(s.id)!.desired).toBe(current);
            expect((await aws.capacity.describePool(ref)).desired).toBe(current);
          }
        } finally {
          aws.close();
        }
      }),
      RUNS,
    );
  });

  it('an Auto Scaling group with a warm pool: set-desired and set-warm in any order, observed as documented', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), warmOps, async (start, ops) => {
        const { region, aws } = nextRun();
        try {
          const s = world.addPool(spec(region, 'auto-scaling-group', `mixed-${run}`, start, 0, 10));
          const ref = refOf(s, { warm: { state: 'stopped' } });
          let desired = start;
          // MaxGroupPreparedCapacity as the last setWarm put it (the group's desired + the size), or none.
          let prepared: number | undefined;
          for (const { op, n } of ops) {
            if (op === 'desired') {
              await aws.capacity.setDesired(ref, { desired: n, reason: 'prop' });
              desired = n;
            } else {
              await aws.capacity.setWarm!(ref, { size: n, state: 'stopped', reason: 'prop' });
              prepared = n === 0 ? undefined : desired + n;
            }
            const seen = await aws.capacity.describePool(ref);
            expect(seen.desired).toBe(desired);
            expect(world.pool(s.id)!.desired).toBe(desired);
            // The service keeps max(MinSize, MaxGroupPreparedCapacity - DesiredCapacity) (warm-pool.ts).
            if (prepared === undefined) expect(seen.warm).toBeUndefined();
            else expect(seen.warm?.target).toBe(Math.max(0, prepared - desired));
          }
        } finally {
          aws.close();
        }
      }),
      RUNS,
    );
  });
});

// ---- Azure --------------------------------------------------------------------------------------------------

const SUBSCRIPTION = '6f1c2b7e-0000-4000-8000-00000000a2e1';
const RESOURCE_GROUP = 'rg-behaviour';

describe('Azure adapter behaviour (real SDK against the ARM emulator)', () => {
  let world: World;
  let emulator: AzureEmulator;
  let azure: ReturnType<typeof createAzureAdapters>;
  let run = 0;

  beforeAll(async () => {
    world = new World({ start: START, seed: 5 });
    emulator = await startAzureEmulator(world, {});
    azure = createAzureAdapters({
      subscriptionId: SUBSCRIPTION,
      endpoint: emulator.endpoint,
      ca: emulator.ca,
      credential: { getToken: async () => ({ token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      poll: { intervalMs: 5, timeoutMs: 3_000 },
      requestTimeoutMs: 1_000,
      now: () => new Date(world.now()),
    });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  function addPool(desired: number, capacityType: 'on-demand' | 'spot'): { spec: WorldPoolSpec; ref: PoolRef } {
    run += 1;
    world.calls.length = 0;
    const spec: WorldPoolSpec = {
      id: `azure-${run}`,
      cloud: 'azure',
      kind: 'azure-vmss',
      name: `vmss-behave-${run}`,
      region: 'eastus',
      zones: ['eastus-1', 'eastus-2'],
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType,
      desired,
      min: 0,
      max: 40,
      bootSeconds: 0,
      readySeconds: 0,
      hourlyPrice: 1.47,
      scope: `${SUBSCRIPTION}/${RESOURCE_GROUP}`,
      warm: { resumeSeconds: 30, hourlyPrice: 0.1 },
    };
    world.addPool(spec);
    const ref: PoolRef = {
      id: spec.id,
      cloud: 'azure',
      kind: 'azure-vmss',
      resource: spec.name,
      location: { region: spec.region, zones: spec.zones },
      scope: spec.scope,
    };
    return { spec, ref };
  }
  const updates = () => world.callsTo('arm', 'virtualMachineScaleSets.update').length;

  it('a scale set: set-desired is observed back, no-ops make no PATCH, and a failed operation is a failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom('on-demand' as const, 'spot' as const),
        fc.array(fc.integer({ min: -1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 6 }),
        async (start, capacityType, ops, failing) => {
          const { spec, ref } = addPool(start, capacityType);
          let current = start;
          for (const op of ops) {
            const n = op < 0 ? current : op;
            const before = updates();
            const r = await azure.capacity.setDesired(ref, { desired: n, reason: 'prop' });
            expect(r).toMatchObject({ desired: n, previous: current, unchanged: n === current });
            expect(updates() - before).toBe(n === current ? 0 : 1);
            current = n;
            expect(world.pool(spec.id)!.desired).toBe(n);
            const seen = await azure.capacity.describePool(ref);
            expect(seen.desired).toBe(n);
            const live = world.instancesOf(spec.id).filter((i) => i.state !== 'terminating');
            const observed = seen.instances.filter((i) => i.lifecycle !== 'terminating');
            expect(observed).toHaveLength(live.length);
            expect(observed.every((i) => i.capacityType === capacityType)).toBe(true);
            expect(sorted(observed.map((i) => i.zone!))).toEqual(sorted(live.map((i) => i.zone)));
          }
          // The next write's operation ends Failed: a failure with ARM's code, and the scale set keeps its count.
          if (failing !== current) {
            world.faults.inject({
              service: 'arm',
              operation: 'virtualMachineScaleSets.update',
              kind: 'operation-failed',
            });
            const e = await rejection(azure.capacity.setDesired(ref, { desired: failing, reason: 'prop' }));
            expect(isCloudError(e)).toBe(true);
            expect((e as { code?: string }).code).toMatch(/AllocationFailed|InternalExecutionError/);
            expect(world.pool(spec.id)!.desired).toBe(current);
            expect((await azure.capacity.describePool(ref)).desired).toBe(current);
          }
        },
      ),
      RUNS,
    );
  });

  it('deallocated VMs: the warm size set is observed back, the running count kept, a repeat changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 3 }), again: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (desired, ops) => {
          const { spec, ref: base } = addPool(desired, 'on-demand');
          const ref: PoolRef = { ...base, warm: { state: 'stopped' } };
          for (const { size, again } of ops) {
            const r = await azure.capacity.setWarm!(ref, { size, state: 'stopped', reason: 'prop' });
            expect(r.size).toBe(size);
            const seen = await azure.capacity.describePool(ref);
            if (size === 0) expect(seen.warm).toBeUndefined();
            else expect(seen.warm?.target).toBe(size);
            expect(seen.desired).toBe(desired);
            expect(world.warmOf(spec.id)).toHaveLength(size);
            if (again) {
              const writes = world.calls.filter(
                (c) =>
                  c.service === 'arm' &&
                  c.operation !== 'operationStatus.get' &&
                  !/\.(get|list|getInstanceView)$/.test(c.operation),
              ).length;
              const again2 = await azure.capacity.setWarm!(ref, { size, state: 'stopped', reason: 'prop' });
              expect(again2).toMatchObject({ size, previous: size, unchanged: true });
              expect(
                world.calls.filter(
                  (c) =>
                    c.service === 'arm' &&
                    c.operation !== 'operationStatus.get' &&
                    !/\.(get|list|getInstanceView)$/.test(c.operation),
                ).length,
              ).toBe(writes);
            }
          }
        },
      ),
      RUNS,
    );
  });

  it('a scale set with deallocated VMs: set-desired starts them first, set-warm keeps them, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), warmOps, async (start, ops) => {
        const { spec, ref: base } = addPool(start, 'on-demand');
        const ref: PoolRef = { ...base, warm: { state: 'stopped' } };
        let desired = start;
        let warm = 0;
        for (const { op, n } of ops) {
          if (op === 'desired') {
            const r = await azure.capacity.setDesired(ref, { desired: n, reason: 'prop' });
            expect(r).toMatchObject({ desired: n, previous: desired, unchanged: n === desired });
            // Deallocated VMs are started before anything is created; none is prepared in their place.
            warm = Math.max(0, warm - Math.max(0, n - desired));
            desired = n;
          } else {
            await azure.capacity.setWarm!(ref, { size: n, state: 'stopped', reason: 'prop' });
            warm = n;
          }
          const seen = await azure.capacity.describePool(ref);
          expect(seen.desired).toBe(desired);
          expect(seen.warm?.target ?? 0).toBe(warm);
          expect(world.warmOf(spec.id)).toHaveLength(warm);
        }
      }),
      RUNS,
    );
  });
});

// ---- GCP ----------------------------------------------------------------------------------------------------

const PROJECT = 'gpu-fleet-behaviour';

describe('GCP adapter behaviour (real SDK against the Compute emulator)', () => {
  let world: World;
  let emulator: GcpEmulator;
  let gcp: GcpAdapters;
  let run = 0;

  beforeAll(async () => {
    world = new World({ start: START, seed: 5 });
    emulator = await startGcpEmulator(world, { waitMs: 5 });
    gcp = createGcpAdapters({
      project: PROJECT,
      authClient: staticToken('fake-token-for-tests'),
      retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
      poll: { intervalMs: 5, timeoutMs: 2_000 },
      timeouts: { requestMs: 1_000, waitMs: 300 },
      endpoint: emulator.endpoint,
    });
  });
  afterAll(async () => {
    await gcp?.close();
    await emulator?.close();
  });

  function addPool(desired: number, regional: boolean): { spec: WorldPoolSpec; ref: PoolRef } {
    run += 1;
    world.calls.length = 0;
    const spec: WorldPoolSpec = {
      id: `gcp-${run}`,
      cloud: 'gcp',
      kind: regional ? 'gcp-regional-mig' : 'gcp-mig',
      name: `mig-behave-${run}`,
      region: 'us-east1',
      zones: regional ? ['us-east1-b', 'us-east1-c', 'us-east1-d'] : ['us-east1-b'],
      instanceType: 'g2-standard-8',
      capacityType: 'on-demand',
      desired,
      min: 0,
      max: 50,
      bootSeconds: 0,
      readySeconds: 0,
      hourlyPrice: 0.7,
      scope: PROJECT,
      warm: { resumeSeconds: 30, hourlyPrice: 0.1 },
    };
    world.addPool(spec);
    const ref: PoolRef = {
      id: spec.id,
      cloud: 'gcp',
      kind: spec.kind,
      resource: spec.name,
      location: { region: spec.region, zones: spec.zones },
      scope: PROJECT,
    };
    return { spec, ref };
  }
  const resizes = () => world.calls.filter((c) => c.service === 'compute' && c.operation.endsWith('.resize')).length;

  it('a MIG: set-desired is observed back, no-ops make no resize, and a failed operation is a failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.array(fc.integer({ min: -1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 6 }),
        async (start, regional, ops, failing) => {
          const { spec, ref } = addPool(start, regional);
          let current = start;
          for (const op of ops) {
            const n = op < 0 ? current : op;
            const before = resizes();
            const r = await gcp.capacity.setDesired(ref, { desired: n, reason: 'prop' });
            expect(r).toMatchObject({ desired: n, previous: current, unchanged: n === current });
            expect(resizes() - before).toBe(n === current ? 0 : 1);
            current = n;
            expect(world.pool(spec.id)!.desired).toBe(n);
            const seen = await gcp.capacity.describePool(ref);
            expect(seen.desired).toBe(n);
            const live = world.instancesOf(spec.id).filter((i) => i.state !== 'terminating');
            const observed = seen.instances.filter((i) => i.lifecycle !== 'terminating');
            expect(sorted(observed.map((i) => i.zone!))).toEqual(sorted(live.map((i) => i.zone)));
          }
          if (failing !== current) {
            const operation = regional ? 'regionInstanceGroupManagers.resize' : 'instanceGroupManagers.resize';
            world.faults.inject({ service: 'compute', operation, kind: 'operation-failed' });
            const e = await rejection(gcp.capacity.setDesired(ref, { desired: failing, reason: 'prop' }));
            expect(isCloudError(e)).toBe(true);
            expect((e as { code?: string }).code).toBe('CONDITION_NOT_MET');
            expect(world.pool(spec.id)!.desired).toBe(current);
            expect((await gcp.capacity.describePool(ref)).desired).toBe(current);
          }
        },
      ),
      RUNS,
    );
  });

  it('a standby pool: the size set is observed back as the target, and setting it again changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.array(
          fc.record({
            size: fc.integer({ min: 0, max: 3 }),
            state: fc.constantFrom('stopped' as const, 'suspended' as const),
            again: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (desired, regional, ops) => {
          const { ref: base } = addPool(desired, regional);
          const ref: PoolRef = { ...base, warm: { state: 'stopped' } };
          for (const { size, state, again } of ops) {
            await gcp.capacity.setWarm!(ref, { size, state, reason: 'prop' });
            const seen = await gcp.capacity.describePool(ref);
            expect(seen.warm?.target ?? 0).toBe(size);
            expect(seen.desired).toBe(desired);
            if (again) {
              const writes = world.calls.filter((c) => c.operation.endsWith('.patch')).length;
              const r = await gcp.capacity.setWarm!(ref, { size, state, reason: 'prop' });
              expect(r).toMatchObject({ size, previous: size, unchanged: true });
              expect(world.calls.filter((c) => c.operation.endsWith('.patch')).length).toBe(writes);
            }
          }
        },
      ),
      RUNS,
    );
  });

  it('a MIG with a standby pool: set-desired starts standby VMs first, set-warm sets the pool, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.boolean(), warmOps, async (start, regional, ops) => {
        const { spec, ref: base } = addPool(start, regional);
        const ref: PoolRef = { ...base, warm: { state: 'stopped' } };
        let desired = start;
        let warm = 0;
        for (const { op, n } of ops) {
          if (op === 'desired') {
            const r = await gcp.capacity.setDesired(ref, { desired: n, reason: 'prop' });
            expect(r).toMatchObject({ desired: n, previous: desired, unchanged: n === desired });
            // Each standby VM started raises targetSize and lowers targetStoppedSize by one (capacity.ts).
            warm = Math.max(0, warm - Math.max(0, n - desired));
            desired = n;
          } else {
            await gcp.capacity.setWarm!(ref, { size: n, state: 'stopped', reason: 'prop' });
            warm = n;
          }
          const seen = await gcp.capacity.describePool(ref);
          expect(seen.desired).toBe(desired);
          expect(world.pool(spec.id)!.desired).toBe(desired);
          expect(seen.warm?.target ?? 0).toBe(warm);
        }
      }),
      RUNS,
    );
  });
});

// ---- Kubernetes ---------------------------------------------------------------------------------------------

describe('Kubernetes adapter behaviour (real client against the API emulator)', () => {
  afterAll(async () => {
    await closeAll();
  });

  it('after any sequence of cordons and uncordons, a node is unschedulable exactly when last cordoned', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.nat(2), fc.boolean()), { minLength: 1, maxLength: 6 }),
        async (nodes, ops) => {
          const { adapters } = await startCluster(karpenterWorld(nodes));
          try {
            const names = (await adapters.cluster.listGpuNodes()).map((n) => n.name).sort();
            expect(names).toHaveLength(nodes);
            const model = new Map(names.map((n) => [n, false]));
            for (const [i, cordon] of ops) {
              const node = names[i % nodes]!;
              if (cordon) await adapters.cluster.cordon(node, 'prop');
              else await adapters.cluster.uncordon(node, 'prop');
              model.set(node, cordon);
            }
            const seen = await adapters.cluster.listGpuNodes();
            expect(new Map(seen.map((n) => [n.name, n.unschedulable]))).toEqual(model);
          } finally {
            await closeAll();
          }
        },
      ),
      RUNS,
    );
  });

  /** Per Deployment: how many replicas, and its budget: none, one that allows every eviction, or one that allows none. */
  const deployments = fc.array(
    fc.record({ replicas: fc.integer({ min: 1, max: 4 }), pdb: fc.constantFrom('none', 'allows', 'blocks') }),
    { minLength: 1, maxLength: 3 },
  );

  it('a drain evicts every evictable pod its budget allows, keeps the rest, and leaves DaemonSet and mirror pods', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3 }), deployments, async (nodes, deps) => {
        const world = karpenterWorld(nodes, { tags: { gpus: '4' } });
        const { emu, adapters } = await startCluster(world);
        try {
          emu.state.addDaemonSet({ namespace: 'kube-system', name: 'nvidia-device-plugin' });
          deps.forEach((d, k) => {
            const name = `app${k}`;
            emu.state.addDeployment({ namespace: 'ml', name, replicas: d.replicas, terminationGracePeriodSeconds: 0 });
            if (d.pdb === 'allows')
              emu.state.addPdb({ namespace: 'ml', name, selector: { app: name }, maxUnavailable: d.replicas });
            if (d.pdb === 'blocks')
              emu.state.addPdb({ namespace: 'ml', name, selector: { app: name }, minAvailable: d.replicas });
          });
          // The node with the most pods of the Deployments.
          const byNode = new Map<string, string[]>();
          for (const p of emu.state.podRecords({ namespace: 'ml' })) {
            if (p.nodeName === undefined) continue;
            byNode.set(p.nodeName, [...(byNode.get(p.nodeName) ?? []), p.name]);
          }
          const [node, pods] = [...byNode].sort((a, b) => b[1].length - a[1].length)[0]!;
          emu.state.addStaticPod({ namespace: 'kube-system', name: 'kube-proxy', nodeName: node });
          const blocked = (pod: string) => deps[Number(/^app(\d+)-/.exec(pod)![1])]!.pdb === 'blocks';
          const kept = pods.filter(blocked).map((p) => `ml/${p}`);
          const evictable = pods.filter((p) => !blocked(p)).map((p) => `ml/${p}`);
          const result = await adapters.cluster.drain(node, new Date(Date.now() + (kept.length ? 150 : 2_000)), 'prop');
          expect(result.node).toBe(node);
          expect(sorted(result.evicted)).toEqual(sorted(evictable));
          expect(sorted(result.remaining)).toEqual(sorted(kept));
          expect(result.complete).toBe(kept.length === 0);
          expect(emu.state.nodeOverlay(node)?.unschedulable).toBe(true);
          const left = emu.state.podRecords({ nodeName: node });
          expect(sorted(left.filter((p) => p.namespace === 'ml').map((p) => `ml/${p.name}`))).toEqual(sorted(kept));
          expect(sorted(left.filter((p) => p.namespace === 'kube-system').map((p) => p.owner?.kind ?? ''))).toEqual([
            'DaemonSet',
            'Node',
          ]);
        } finally {
          await closeAll();
        }
      }),
      RUNS,
    );
  });
});
