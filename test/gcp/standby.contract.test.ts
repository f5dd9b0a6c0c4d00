/**
 * Contract tests: the standby pool of managed instance groups (standbyPolicy, targetStoppedSize,
 * targetSuspendedSize) through the real @google-cloud/compute client against the Compute emulator: patch and
 * resize with their operations, standby VMs in listManagedInstances, resume on scale-out, and a standby VM
 * that cannot start for capacity.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloudError } from '../../shared/domain/errors.ts';
import { type Env, methods, REGIONAL, refOf, startEnv, ZONAL } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const ZONAL_OD = { ...ZONAL, id: 'gcp-l4-od', name: 'gpu-l4-od', capacityType: 'on-demand' as const, desired: 2 };
const zonal = refOf(ZONAL_OD);
const regional = refOf(REGIONAL);

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

  it('resizes up from the standby pool first (SCALE_OUT_POOL), then refills it', async () => {
    const { gcp, world } = await start();
    await gcp.capacity.setWarm!(zonal, { size: 2, state: 'stopped', reason: 'test' });
    world.advance(ZONAL_OD.readySeconds);
    const parked = (await gcp.capacity.describePool(zonal)).warm!.instanceIds;
    await gcp.capacity.setDesired(zonal, { desired: 5, reason: 'burst' });
    const o = await gcp.capacity.describePool(zonal);
    expect(o.desired).toBe(5);
    for (const id of parked) expect(o.instances.map((i) => i.id)).toContain(id);
    expect(world.warmResumes(ZONAL_OD.id)).toEqual({ resumes: 2, failedResumes: 0 });
    expect(o.warm).toMatchObject({ target: 2, ready: 0, warming: 2 });
    world.advance(world.pool(ZONAL_OD.id)!.warm!.resumeSeconds);
    expect((await gcp.capacity.describePool(zonal)).ready).toBe(4);
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

  it('a standby VM that cannot start for capacity stays parked; the group creates a new VM instead', async () => {
    const { gcp, world } = await start();
    await gcp.capacity.setWarm!(zonal, { size: 1, state: 'stopped', reason: 'test' });
    world.advance(ZONAL_OD.readySeconds);
    world.failNextResumes(ZONAL_OD.id, 1);
    await gcp.capacity.setDesired(zonal, { desired: 3, reason: 'burst' });
    const o = await gcp.capacity.describePool(zonal);
    expect(o.instances).toHaveLength(3);
    expect(o.warm).toMatchObject({ ready: 1 });
    expect(world.warmResumes(ZONAL_OD.id)).toEqual({ resumes: 0, failedResumes: 1 });
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
