/**
 * Contract tests: the GCP CapacityPort through the real @google-cloud/compute client (REST) against the
 * loopback Compute emulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requestIdFor } from '../../shared/adapters/gcp/index.ts';
import { type CloudError, isCloudError } from '../../shared/domain/errors.ts';
import { type Env, methods, REGIONAL, refOf, startEnv, T0, ZONAL } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function caught(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCloudError(e)) throw new Error(`expected a CloudError, got ${String(e)}`);
  return e;
}

describe('describePool', () => {
  it('reads targetSize, instances, zones, machine type and spot capacity from the template of a zonal MIG', async () => {
    env = await startEnv({ adapter: { clock: () => env!.world.now() } });
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    const worldIds = env.world.instancesOf(ZONAL.id).map((i) => i.id);
    expect(obs).toMatchObject({ desired: 3, ready: 3, observedAt: new Date(T0).toISOString() });
    expect(obs.instances.map((i) => i.id).sort()).toEqual(worldIds.sort());
    for (const i of obs.instances) {
      expect(i).toEqual({
        id: expect.stringMatching(/^gpu-l4-spot-[0-9a-f]{4}$/),
        zone: 'us-central1-a',
        instanceType: 'g2-standard-8',
        capacityType: 'spot',
        lifecycle: 'ready',
      });
    }
    expect(methods(env.world)).toEqual([
      'instanceGroupManagers.get',
      'instanceGroupManagers.listManagedInstances',
      'instanceTemplates.get',
    ]);
  });

  it('reads a regional MIG across its zones (on-demand template)', async () => {
    env = await startEnv();
    env.world.setDesired(REGIONAL.id, 3);
    const obs = await env.gcp.capacity.describePool(refOf(REGIONAL));
    expect(obs.desired).toBe(3);
    expect(obs.instances.map((i) => i.zone).sort()).toEqual(['us-east1-b', 'us-east1-c', 'us-east1-d']);
    expect(new Set(obs.instances.map((i) => i.capacityType))).toEqual(new Set(['on-demand']));
    expect(methods(env.world).slice(0, 2).sort()).toEqual([
      'regionInstanceGroupManagers.get',
      'regionInstanceGroupManagers.listManagedInstances',
    ]);
  });

  it('follows the lifecycle pending -> running -> ready through status, current action and health', async () => {
    env = await startEnv();
    const { world } = env;
    await env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 4, reason: 'scale out' });
    const lifecycles = async () =>
      (await env!.gcp.capacity.describePool(refOf(ZONAL))).instances.map((i) => i.lifecycle).sort();
    // 3 were serving at the start; the 4th boots in 60 s and serves after 300 s.
    expect(await lifecycles()).toEqual(['pending', 'ready', 'ready', 'ready']);
    world.advance(60);
    expect(await lifecycles()).toEqual(['ready', 'ready', 'ready', 'running']);
    world.advance(240);
    expect(await lifecycles()).toEqual(['ready', 'ready', 'ready', 'ready']);
    expect((await env.gcp.capacity.describePool(refOf(ZONAL))).ready).toBe(4);
  });

  it('reports a preempted spot VM as terminating', async () => {
    env = await startEnv();
    env.world.setSpotCapacity(ZONAL.id, 'us-central1-a', 2);
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    // Capacity 2 for 3 spot VMs: the newest gets the 30 s notice (STOPPING), and is still the group's: no
    // creation is pending for its seat.
    expect(obs.instances.map((i) => i.lifecycle).sort()).toEqual(['ready', 'ready', 'terminating']);
    expect(obs.ready).toBe(2);
    expect(obs).not.toHaveProperty('launchFailures');
  });

  it('recreates a preempted spot VM once it is gone, where a zone has capacity', async () => {
    env = await startEnv();
    const before = env.world.instancesOf(ZONAL.id).map((i) => i.id);
    env.world.setSpotCapacity(ZONAL.id, 'us-central1-a', 2);
    env.world.advance(29);
    expect((await env.gcp.capacity.describePool(refOf(ZONAL))).instances).toHaveLength(3);
    env.world.setSpotCapacity(ZONAL.id, 'us-central1-a', 3);
    env.world.advance(1);
    // Gone at its deadline; the group launches into its seat (booting), its target size unchanged.
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(obs.desired).toBe(3);
    expect(obs.instances.filter((i) => !before.includes(i.id)).map((i) => i.lifecycle)).toEqual(['pending']);
    expect(obs.instances).toHaveLength(3);
  });

  it('pages through listManagedInstances (7 instances, pages of 3 = 3 calls)', async () => {
    env = await startEnv({ emulator: { listManagedInstancesResults: 'PAGINATED' }, adapter: { pageSize: 3 } });
    env.world.setDesired(ZONAL.id, 7);
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(obs.instances).toHaveLength(7);
    expect(new Set(obs.instances.map((i) => i.id)).size).toBe(7);
    const lists = env.world.callsTo('compute', 'instanceGroupManagers.listManagedInstances');
    expect(lists.map((c) => (c.params as { pageToken?: string }).pageToken === undefined)).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('reads each instance template once per process (templates are immutable)', async () => {
    env = await startEnv();
    await env.gcp.capacity.describePool(refOf(ZONAL));
    await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(env.world.callsTo('compute', 'instanceTemplates.get')).toHaveLength(1);
  });

  it.each([
    { name: 'unknown MIG', ref: refOf(ZONAL, { resource: 'no-such-mig' }) },
    {
      name: 'MIG in another zone',
      ref: refOf(ZONAL, { location: { region: 'us-central1', zones: ['us-central1-f'] } }),
    },
    { name: 'MIG in another project', ref: refOf(ZONAL, { scope: 'other-project' }) },
  ])('throws not-found (404 notFound) for an $name', async ({ ref }) => {
    env = await startEnv();
    const e = await caught(env.gcp.capacity.describePool(ref));
    expect(e).toMatchObject({ kind: 'not-found', code: 'notFound', status: 404, cloud: 'gcp' });
    expect(e.message).toContain('describing gcp mig');
  });
});

describe('setDesired', () => {
  it('resizes a zonal MIG and waits for the zone operation', async () => {
    env = await startEnv({ emulator: { operationPolls: 3 } });
    const out = await env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 6, reason: 'queue depth' });
    expect(out).toMatchObject({
      desired: 6,
      previous: 3,
      unchanged: false,
      operationId: expect.stringMatching(/^operation-/),
    });
    expect(env.world.pool(ZONAL.id)!.desired).toBe(6);
    // 3 polls to DONE: the operation answers RUNNING twice, DONE on the third wait.
    expect(methods(env.world)).toEqual([
      'instanceGroupManagers.get',
      'instanceGroupManagers.resize',
      'zoneOperations.wait',
      'zoneOperations.wait',
      'zoneOperations.wait',
    ]);
  });

  it('resizes a regional MIG (to zero) and waits for the region operation', async () => {
    env = await startEnv();
    const out = await env.gcp.capacity.setDesired(refOf(REGIONAL), { desired: 0, reason: 'idle' });
    expect(out).toMatchObject({ desired: 0, previous: 2, unchanged: false });
    expect(env.world.instancesOf(REGIONAL.id)).toHaveLength(0);
    expect(methods(env.world)).toEqual([
      'regionInstanceGroupManagers.get',
      'regionInstanceGroupManagers.resize',
      'regionOperations.wait',
    ]);
  });

  it('does not resize when the group already has that size', async () => {
    env = await startEnv();
    const out = await env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 3, reason: 'steady' });
    expect(out).toEqual({ desired: 3, previous: 3, unchanged: true });
    expect(methods(env.world)).toEqual(['instanceGroupManagers.get']);
  });

  it('sends the idempotency token as requestId (a UUID derived from it) on every attempt', async () => {
    env = await startEnv();
    env.world.faults.inject({ service: 'compute', operation: 'instanceGroupManagers.resize', kind: 'server-error' });
    await env.gcp.capacity.setDesired(refOf(ZONAL), {
      desired: 5,
      reason: 'x',
      idempotencyToken: 'plan-42/gcp-l4-spot',
    });
    const ids = env.world
      .callsTo('compute', 'instanceGroupManagers.resize')
      .map((c) => (c.params as { requestId: string }).requestId);
    expect(ids).toEqual([requestIdFor('plan-42/gcp-l4-spot'), requestIdFor('plan-42/gcp-l4-spot')]);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gets the first operation back for a repeated requestId, without resizing twice', async () => {
    env = await startEnv();
    const ref = refOf(ZONAL);
    const first = await env.gcp.capacity.setDesired(ref, { desired: 5, reason: 'x', idempotencyToken: 'tok-1' });
    env.world.setDesired(ZONAL.id, 3); // someone else scaled it back meanwhile
    const replay = await env.gcp.capacity.setDesired(ref, { desired: 5, reason: 'x', idempotencyToken: 'tok-1' });
    expect(replay.operationId).toBe(first.operationId);
    // Compute deduplicated the request: the group stays where the other actor put it.
    expect(env.world.pool(ZONAL.id)!.desired).toBe(3);
  });

  it('rejects a size outside 0..1000 without calling the API', async () => {
    env = await startEnv();
    const e = await caught(env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 1001, reason: 'x' }));
    expect(e.kind).toBe('invalid');
    expect(methods(env.world)).toEqual([]);
  });

  it('throws not-found for a MIG that does not exist', async () => {
    env = await startEnv();
    const e = await caught(
      env.gcp.capacity.setDesired(refOf(ZONAL, { resource: 'gone' }), { desired: 1, reason: 'x' }),
    );
    expect(e).toMatchObject({ kind: 'not-found', code: 'notFound', status: 404 });
  });

  it('maps an operation that ends with ZONE_RESOURCE_POOL_EXHAUSTED to insufficient-capacity, keeping the code', async () => {
    env = await startEnv();
    env.world.faults.inject({
      service: 'compute',
      operation: 'instanceGroupManagers.resize',
      kind: 'insufficient-capacity',
    });
    const e = await caught(env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 6, reason: 'x' }));
    expect(e).toMatchObject({ kind: 'insufficient-capacity', code: 'ZONE_RESOURCE_POOL_EXHAUSTED', status: 503 });
    expect(e.retryable).toBe(false);
    // GCE keeps the new target and keeps trying: the three launches are pending, not VMs yet.
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(obs).toMatchObject({ desired: 6, ready: 3 });
    expect(obs.instances).toHaveLength(3);
    // The creations failing for capacity are reported once per zone, with the cloud's code: the decision
    // backs that offering off as it would on a launch-failure event.
    expect(obs.launchFailures).toEqual([{ zone: 'us-central1-a', code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }]);
    env.world.advance(1);
    const later = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(later.instances).toHaveLength(6);
    expect(later).not.toHaveProperty('launchFailures');
  });

  it('maps a failed operation (CONDITION_NOT_MET, 412) to conflict and changes nothing', async () => {
    env = await startEnv();
    env.world.faults.inject({
      service: 'compute',
      operation: 'regionInstanceGroupManagers.resize',
      kind: 'operation-failed',
    });
    const e = await caught(env.gcp.capacity.setDesired(refOf(REGIONAL), { desired: 5, reason: 'x' }));
    expect(e).toMatchObject({ kind: 'conflict', code: 'CONDITION_NOT_MET', status: 412 });
    expect(env.world.pool(REGIONAL.id)!.desired).toBe(2);
  });

  it('gives up waiting at the poll deadline with a transient error', async () => {
    env = await startEnv({
      emulator: { operationPolls: 1_000 },
      adapter: { poll: { intervalMs: 10, timeoutMs: 100 } },
    });
    const e = await caught(env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 4, reason: 'x' }));
    expect(e).toMatchObject({ kind: 'transient', code: 'OPERATION_TIMEOUT' });
  });
});

describe('retries', () => {
  it.each([
    {
      name: '503 backendError on resize',
      op: 'instanceGroupManagers.resize',
      kind: 'server-error' as const,
      emulator: {},
    },
    {
      name: '500 backendError on resize',
      op: 'instanceGroupManagers.resize',
      kind: 'server-error' as const,
      emulator: { serverErrorStatus: 500 as const },
    },
    { name: '403 rateLimitExceeded on get', op: 'instanceGroupManagers.get', kind: 'throttle' as const, emulator: {} },
    {
      name: '429 RESOURCE_EXHAUSTED on get',
      op: 'instanceGroupManagers.get',
      kind: 'throttle' as const,
      emulator: { throttleStatus: 429 as const },
    },
    {
      name: '400 resourceNotReady on resize',
      op: 'instanceGroupManagers.resize',
      kind: 'conflict' as const,
      emulator: {},
    },
    { name: '503 on zoneOperations.wait', op: 'zoneOperations.wait', kind: 'server-error' as const, emulator: {} },
    // Compute holds a wait open up to 2 minutes; here the wait timeout is 300 ms and the server hangs 2 s.
    { name: 'hung zoneOperations.wait', op: 'zoneOperations.wait', kind: 'timeout' as const, emulator: {} },
  ])('retries $name and succeeds (the world served the call twice)', async ({ op, kind, emulator }) => {
    env = await startEnv({ emulator });
    env.world.faults.inject({ service: 'compute', operation: op, kind });
    const out = await env.gcp.capacity.setDesired(refOf(ZONAL), { desired: 5, reason: 'x' });
    expect(out.desired).toBe(5);
    expect(env.world.callsTo('compute', op)).toHaveLength(2);
    expect(env.world.faults.fired).toHaveLength(1);
  });

  it('pages are retried on their own: a 503 on the second page repeats only that page', async () => {
    env = await startEnv({ emulator: { listManagedInstancesResults: 'PAGINATED' }, adapter: { pageSize: 2 } });
    let n = 0;
    // Arm the fault once the first page has been asked for, so it hits the second page.
    const orig = env.world.record.bind(env.world);
    env.world.record = (service, operation, params) => {
      orig(service, operation, params);
      if (operation === 'instanceGroupManagers.listManagedInstances' && ++n === 2) {
        env!.world.faults.inject({ service: 'compute', operation, kind: 'server-error' });
      }
    };
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(obs.instances).toHaveLength(3);
    const tokens = env.world
      .callsTo('compute', 'instanceGroupManagers.listManagedInstances')
      .map((c) => (c.params as { pageToken?: string }).pageToken);
    // page 1, page 2 (503), page 2 again: not a restart from page 1.
    expect(tokens[0]).toBeUndefined();
    expect(tokens[1]).toBeDefined();
    expect(tokens[2]).toBe(tokens[1]);
    expect(tokens).toHaveLength(3);
  });

  it('times out a hung request and succeeds on the retry', async () => {
    env = await startEnv({ adapter: { timeouts: { requestMs: 150, waitMs: 150 } } });
    env.world.faults.inject({
      service: 'compute',
      operation: 'instanceGroupManagers.get',
      kind: 'timeout',
      delayMs: 5_000,
    });
    const started = Date.now();
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(obs.desired).toBe(3);
    expect(env.world.callsTo('compute', 'instanceGroupManagers.get')).toHaveLength(2);
    // One 150 ms timeout and a short backoff, far from the 5 s the server would have hung.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops after maxAttempts and says so (transient, 503)', async () => {
    env = await startEnv();
    env.world.faults.inject({
      service: 'compute',
      operation: 'instanceGroupManagers.get',
      kind: 'server-error',
      times: 10,
    });
    const e = await caught(env.gcp.capacity.describePool(refOf(ZONAL)));
    expect(e).toMatchObject({ kind: 'transient', code: 'backendError', status: 503 });
    expect(e.message).toContain('gave up after 4 attempts');
    expect(env.world.callsTo('compute', 'instanceGroupManagers.get')).toHaveLength(4);
  });

  it('does not retry unauthorized (403 forbidden)', async () => {
    env = await startEnv();
    env.world.faults.inject({ service: 'compute', operation: 'instanceGroupManagers.get', kind: 'unauthorized' });
    const e = await caught(env.gcp.capacity.describePool(refOf(ZONAL)));
    expect(e).toMatchObject({ kind: 'unauthorized', code: 'forbidden', status: 403 });
    expect(env.world.callsTo('compute', 'instanceGroupManagers.get')).toHaveLength(1);
  });

  it('maps missing credentials (401 UNAUTHENTICATED) to unauthorized', async () => {
    env = await startEnv({ adapter: { authClient: { getRequestHeaders: async () => new Headers() } } });
    const e = await caught(env.gcp.capacity.describePool(refOf(ZONAL)));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
  });
});

describe('removeInstance', () => {
  it('deletes the instance through the MIG, which lowers targetSize by one', async () => {
    env = await startEnv();
    const victim = env.world.instancesOf(ZONAL.id)[1]!.id;
    await env.gcp.capacity.removeInstance!(refOf(ZONAL), victim);
    expect(env.world.instance(victim)).toBeUndefined();
    expect(env.world.pool(ZONAL.id)!.desired).toBe(2);
    const del = env.world.callsTo('compute', 'instanceGroupManagers.deleteInstances');
    expect(del).toHaveLength(1);
    expect(methods(env.world).at(-1)).toBe('zoneOperations.wait');
  });

  it('finds the zone of an instance of a regional MIG', async () => {
    env = await startEnv();
    const victim = env.world.instancesOf(REGIONAL.id)[0]!;
    await env.gcp.capacity.removeInstance!(refOf(REGIONAL), victim.id);
    expect(env.world.instance(victim.id)).toBeUndefined();
    expect(env.world.pool(REGIONAL.id)!.desired).toBe(1);
  });

  it('throws not-found for an instance that is not in the group', async () => {
    env = await startEnv();
    const other = env.world.instancesOf(REGIONAL.id)[0]!.id;
    const e = await caught(env.gcp.capacity.removeInstance!(refOf(ZONAL), other));
    expect(e.kind).toBe('not-found');
    expect(env.world.callsTo('compute', 'instanceGroupManagers.deleteInstances')).toHaveLength(0);
  });

  it('maps a failed delete operation to conflict and keeps the instance', async () => {
    env = await startEnv();
    env.world.faults.inject({
      service: 'compute',
      operation: 'instanceGroupManagers.deleteInstances',
      kind: 'operation-failed',
    });
    const victim = env.world.instancesOf(ZONAL.id)[0]!.id;
    const e = await caught(env.gcp.capacity.removeInstance!(refOf(ZONAL), victim));
    expect(e).toMatchObject({ kind: 'conflict', code: 'CONDITION_NOT_MET' });
    expect(env.world.instance(victim)).toBeDefined();
  });
});

describe('listReservations', () => {
  it("lists the region's active reservations with their use", async () => {
    env = await startEnv({
      pools: [{ ...ZONAL, capacityType: 'reserved', reservationId: 'res-l4-a', desired: 0 }, REGIONAL],
    });
    const { world } = env;
    world.addReservation({
      id: 'res-l4-a',
      cloud: 'gcp',
      type: 'odcr',
      instanceType: 'g2-standard-8',
      zone: 'us-central1-a',
      total: 8,
      start: T0 - 3_600_000,
      end: T0 + 86_400_000,
    });
    world.addReservation({
      id: 'res-a100-east',
      cloud: 'gcp',
      type: 'odcr',
      instanceType: 'a2-highgpu-1g',
      zone: 'us-east1-b',
      total: 4,
      start: T0 - 3_600_000,
      end: T0 + 86_400_000,
    });
    world.setDesired(ZONAL.id, 3);
    const list = await env.gcp.capacity.listReservations('us-central1');
    // 8 reserved, 3 used by the pool that consumes it.
    expect(list).toEqual([
      {
        id: 'res-l4-a',
        cloud: 'gcp',
        type: 'odcr',
        instanceType: 'g2-standard-8',
        zone: 'us-central1-a',
        total: 8,
        available: 5,
        state: 'active',
        startTime: new Date(T0 - 3_600_000).toISOString(),
        endTime: new Date(T0 + 86_400_000).toISOString(),
      },
    ]);
    const obs = await env.gcp.capacity.describePool(refOf(ZONAL));
    expect(new Set(obs.instances.map((i) => i.capacityType))).toEqual(new Set(['reserved']));
  });
});
