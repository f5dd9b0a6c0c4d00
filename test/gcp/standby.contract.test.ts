/**
 * Contract tests: the standby pool of managed instance groups (standbyPolicy, targetStoppedSize,
 * targetSuspendedSize) through the real @google-cloud/compute client against the Compute emulator: patch and
 * resize with their operations, standby VMs in listManagedInstances, standby VMs started (resumed) first on a
 * scale-out without replenishing the pool, a standby VM that cannot start for capacity, and the emulator's
 * standby policy modes as documented (SCALE_OUT_POOL and MANUAL on a resize up).
 */
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudError } from '../../shared/domain/errors.ts';
import { type Env, methods, REGIONAL, refOf, startEnv, ZONAL } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const ZONAL_OD = { ...ZONAL, id: 'gcp-l4-od', name: 'gpu-l4-od', capacityType: 'on-demand' as const, desired: 2 };
// Pools that keep warm capacity say so in their ref (as the application builds it), with the state.
const zonal = refOf(ZONAL_OD, { warm: { state: 'stopped' } });
const regional = refOf(REGIONAL, { warm: { state: 'suspended' } });

async function start(): Promise<Env> {
  env = await startEnv({ pools: [ZONAL_OD, REGIONAL] });
  return env;
}

describe('MIG standby pools', () => {
  it.each([
    ['a zonal group, stopped', zonal, ZONAL_OD, 'stopped' as const, 'instanceGroupManagers.patch'],
    ['a regional group, suspended', regional, REGIONAL, 'suspended' as const, 'regionInstanceGroupManagers.patch'],
  ])(
    'keeps standby VMs in %s: patch with its operation, then prepared and parked',
    async (_n, ref, spec, state, method) => {
      const { gcp, world } = await start();
      const r = await gcp.capacity.setWarm!(ref, { size: 2, state, reason: 'test' });
      expect(r).toMatchObject({ size: 2, previous: 0, unchanged: false });
      expect(methods(world)).toContain(method);
      let o = await gcp.capacity.describePool(ref);
      expect(o.desired).toBe(spec.desired);
      expect(o.instances).toHaveLength(spec.desired);
      expect(o.warm).toMatchObject({ target: 2, ready: 0, warming: 2, state });
      world.advance(spec.readySeconds);
      o = await gcp.capacity.describePool(ref);
      expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
      expect(await gcp.capacity.setWarm!(ref, { size: 2, state, reason: 'again' })).toMatchObject({ unchanged: true });
    },
  );

  it.each([
    [
      'a zonal group, stopped (startInstances)',
      zonal,
      ZONAL_OD,
      'stopped' as const,
      'instanceGroupManagers.startInstances',
    ],
    [
      'a regional group, suspended (resumeInstances)',
      regional,
      REGIONAL,
      'suspended' as const,
      'regionInstanceGroupManagers.resumeInstances',
    ],
  ])(
    'a scale-out starts standby VMs first in %s, creates the rest new, and the pool is not replenished',
    async (_n, ref, spec, state, method) => {
      const { gcp, world } = await start();
      await gcp.capacity.setWarm!(ref, { size: 2, state, reason: 'test' });
      world.advance(spec.readySeconds);
      const parked = (await gcp.capacity.describePool(ref)).warm!.instanceIds;
      const r = await gcp.capacity.setDesired(ref, { desired: spec.desired + 3, reason: 'burst' });
      expect(r).toMatchObject({ desired: spec.desired + 3, previous: spec.desired, unchanged: false });
      expect(r.resumeFailures).toBeUndefined();
      expect(methods(world)).toContain(method);
      const o = await gcp.capacity.describePool(ref);
      expect(o.desired).toBe(spec.desired + 3);
      for (const id of parked) expect(o.instances.map((i) => i.id)).toContain(id);
      expect(world.warmResumes(spec.id)).toEqual({ resumes: 2, failedResumes: 0 });
      // The call lowered the standby target by the two it started: nothing is prepared in their place (a
      // preparation bills a time to ready at the running price); the engine refills up to its need.
      expect(o.warm).toBeUndefined();
      expect(world.warmOf(spec.id)).toHaveLength(0);
      world.advance(world.pool(spec.id)!.warm!.resumeSeconds);
      expect((await gcp.capacity.describePool(ref)).ready).toBe(spec.desired + 2);
    },
  );

  it('a scale-out within the standby pool starts only what it needs; a redelivery starts nothing more', async () => {
    const { gcp, world } = await start();
    await gcp.capacity.setWarm!(zonal, { size: 3, state: 'stopped', reason: 'test' });
    world.advance(ZONAL_OD.readySeconds);
    const request = { desired: ZONAL_OD.desired + 1, reason: 'burst', idempotencyToken: 'decision-1/od' };
    await gcp.capacity.setDesired(zonal, request);
    expect(await gcp.capacity.setDesired(zonal, request)).toMatchObject({ desired: ZONAL_OD.desired + 1 });
    const o = await gcp.capacity.describePool(zonal);
    expect(o.desired).toBe(ZONAL_OD.desired + 1);
    expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
    expect(world.warmResumes(ZONAL_OD.id).resumes).toBe(1);
  });

  it.each([
    [
      'a zonal group, stopped (stopInstances)',
      zonal,
      ZONAL_OD,
      'stopped' as const,
      'instanceGroupManagers.stopInstances',
    ],
    [
      'a regional group, suspended (suspendInstances)',
      regional,
      REGIONAL,
      'suspended' as const,
      'regionInstanceGroupManagers.suspendInstances',
    ],
  ])(
    'a scale-in returns VMs to the standby pool in %s, the rest deleted by a resize',
    async (_n, ref, spec, state, method) => {
      const { gcp, world } = await start();
      await gcp.capacity.setWarm!(ref, { size: 1, state, reason: 'test' });
      await gcp.capacity.setDesired(ref, { desired: spec.desired + 2, reason: 'burst' });
      world.advance(spec.readySeconds);
      const running = (await gcp.capacity.describePool(ref)).instances.map((i) => i.id);
      expect(running).toHaveLength(spec.desired + 2);
      // Two of the three taken out go back (standby target 1 -> 3), the third is deleted.
      const r = await gcp.capacity.setDesired(ref, {
        desired: spec.desired - 1,
        reason: 'quiet',
        toWarm: { nodes: 2, warm: 3, state },
      });
      expect(r).toMatchObject({ desired: spec.desired - 1, previous: spec.desired + 2, unchanged: false });
      expect(methods(world)).toContain(method);
      const o = await gcp.capacity.describePool(ref);
      expect(o.desired).toBe(spec.desired - 1);
      expect(o.instances).toHaveLength(spec.desired - 1);
      expect(o.warm).toMatchObject({ target: 3, ready: 3, warming: 0, state });
      // The two returned are VMs the group ran: parked at once, keeping their disks (no new preparation).
      const back = o.warm!.instanceIds.filter((id) => running.includes(id));
      expect(back).toHaveLength(2);
      // A resize up resumes them first.
      await gcp.capacity.setDesired(ref, { desired: spec.desired + 1, reason: 'again' });
      expect(world.warmResumes(spec.id).resumes).toBe(2);
    },
  );

  it('a standby VM that cannot start for capacity stays parked; the group creates a new VM instead, and the adapter says so', async () => {
    const { gcp, world } = await start();
    await gcp.capacity.setWarm!(zonal, { size: 1, state: 'stopped', reason: 'test' });
    world.advance(ZONAL_OD.readySeconds);
    world.failNextResumes(ZONAL_OD.id, 1);
    const r = await gcp.capacity.setDesired(zonal, { desired: 3, reason: 'burst' });
    expect(r).toMatchObject({ desired: 3, resumeFailures: 1 });
    const o = await gcp.capacity.describePool(zonal);
    expect(o.instances).toHaveLength(3);
    expect(o.warm).toMatchObject({ target: 1, ready: 1 });
    expect(world.warmResumes(ZONAL_OD.id)).toEqual({ resumes: 0, failedResumes: 1 });
  });

  it.each([
    // SCALE_OUT_POOL: a resize up resumes standby VMs first, then replenishes the pool to its target.
    { mode: 'SCALE_OUT_POOL', resumes: 2, standby: 2, warming: 2 },
    // MANUAL: a resize up creates new VMs; the standby pool is left as it is.
    { mode: 'MANUAL', resumes: 0, standby: 2, warming: 0 },
  ])(
    'the emulator, as the standby policy modes are documented: $mode on a resize up',
    async ({ mode, resumes, standby, warming }) => {
      const { world, emulator } = await start();
      const client = sdkClient(emulator.endpoint);
      try {
        const req = { project: ZONAL_OD.scope!, zone: ZONAL_OD.zones[0]!, instanceGroupManager: ZONAL_OD.name };
        // The emulator applies a call before it answers (its operation is DONE at once).
        await client.patch({
          ...req,
          instanceGroupManagerResource: { standbyPolicy: { mode }, targetStoppedSize: 2 },
        });
        world.advance(ZONAL_OD.readySeconds);
        await client.resize({ ...req, size: ZONAL_OD.desired + 2 });
        expect(world.warmResumes(ZONAL_OD.id).resumes).toBe(resumes);
        const parked = world.warmOf(ZONAL_OD.id);
        expect(parked).toHaveLength(standby);
        expect(parked.filter((w) => w.phase === 'warming')).toHaveLength(warming);
        const [mig] = await client.get(req);
        expect([mig.targetSize, mig.targetStoppedSize, mig.standbyPolicy?.mode]).toEqual([
          ZONAL_OD.desired + 2,
          2,
          mode,
        ]);
      } finally {
        await client.close();
      }
    },
  );

  it.each([
    { name: 'a running VM', pick: 'running', message: /only specify instances that are stopped/ },
    { name: 'a VM of no group', pick: 'stranger', message: /not a member of the instance group/ },
  ])('the emulator refuses startInstances of $name, as Compute does', async ({ pick, message }) => {
    const { world, emulator } = await start();
    const client = sdkClient(emulator.endpoint);
    try {
      const req = { project: ZONAL_OD.scope!, zone: ZONAL_OD.zones[0]!, instanceGroupManager: ZONAL_OD.name };
      const id = pick === 'running' ? world.instancesOf(ZONAL_OD.id)[0]!.id : 'nobody';
      const url = `https://www.googleapis.com/compute/v1/projects/${req.project}/zones/${req.zone}/instances/${id}`;
      const e = await client
        .startInstances({ ...req, instanceGroupManagersStartInstancesRequestResource: { instances: [url] } })
        .then(
          () => undefined,
          (err: unknown) => err as { message: string },
        );
      expect(e?.message).toMatch(message);
    } finally {
      await client.close();
    }
  });

  it('size 0 empties the pool; a group without a standby pool reports no warm capacity', async () => {
    const { gcp, world } = await start();
    expect((await gcp.capacity.describePool(zonal)).warm).toBeUndefined();
    await gcp.capacity.setWarm!(zonal, { size: 2, state: 'stopped', reason: 'test' });
    const r = await gcp.capacity.setWarm!(zonal, { size: 0, state: 'stopped', reason: 'off' });
    expect(r).toMatchObject({ size: 0, previous: 2, unchanged: false });
    expect(world.warmOf(ZONAL_OD.id)).toHaveLength(0);
  });

  it('refuses a hibernated standby pool', async () => {
    const { gcp } = await start();
    const e = await gcp.capacity.setWarm!(zonal, { size: 1, state: 'hibernated', reason: 'test' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CloudError);
    expect((e as CloudError).kind).toBe('invalid');
  });
});

/** The SDK's own zonal client against the emulator, with a fixed fake token. */
function sdkClient(endpoint: string): InstanceGroupManagersClient {
  const u = new URL(endpoint);
  return new InstanceGroupManagersClient({
    apiEndpoint: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    fallback: true,
    authClient: {
      getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake' }),
      fetch: (url: string, init: RequestInit) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', 'Bearer fake');
        return fetch(url, { ...init, headers });
      },
      // biome-ignore lint/suspicious/noExplicitAny: typed by the SDK as google-auth-library's AuthClient class
    } as any,
  });
}
