/**
 * Contract tests: warm capacity on Azure VM scale sets through the real @azure/arm-compute client against
 * the ARM emulator: deallocated VMs made with `update` + `deallocate`, started with `start` (long-running
 * operations), the running count set beside them, and a VM that cannot start for capacity.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloudError } from '../../shared/domain/errors.ts';
import { type AzureTestEnv, ON_DEMAND_POOL, refFor, SPOT_POOL, startAzureTestEnv } from './support.ts';

let env: AzureTestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const POOL = { ...ON_DEMAND_POOL, desired: 2, max: 20 };
const ref = refFor(POOL, { warm: { state: 'stopped' } });

async function start(): Promise<AzureTestEnv> {
  env = await startAzureTestEnv([SPOT_POOL, POOL], { pageSize: 2 });
  return env;
}

describe('Azure scale sets: deallocated VMs as warm capacity', () => {
  it('makes deallocated VMs: raises the capacity, then deallocates the new VMs; they count in sku.capacity', async () => {
    const { adapters, world } = await start();
    const r = await adapters.capacity.setWarm!(ref, { size: 3, state: 'stopped', reason: 'test' });
    expect(r).toMatchObject({ size: 3, previous: 0, unchanged: false });
    expect(world.pool(POOL.id)!.desired).toBe(2);
    expect(world.warmOf(POOL.id)).toHaveLength(3);
    let o = await adapters.capacity.describePool(ref);
    // Being stopped while they finish preparing (deallocating), then deallocated.
    expect(o).toMatchObject({ desired: 2, warm: { target: 3, ready: 0, warming: 3, state: 'stopped' } });
    expect(o.instances).toHaveLength(2);
    world.advance(POOL.readySeconds);
    o = await adapters.capacity.describePool(ref);
    expect(o.warm).toMatchObject({ ready: 3, warming: 0 });
    expect(world.callsTo('arm', 'virtualMachineScaleSets.deallocate')).toHaveLength(1);
    expect(await adapters.capacity.setWarm!(ref, { size: 3, state: 'stopped', reason: 'again' })).toMatchObject({
      unchanged: true,
    });
  });

  it('a scale-in returns VMs to the warm pool: the newest running VMs are deallocated, the capacity drops for the rest', async () => {
    const { adapters, world } = await start();
    await adapters.capacity.setDesired(ref, { desired: 5, reason: 'burst' });
    world.advance(POOL.readySeconds);
    const before = (await adapters.capacity.describePool(ref)).instances.map((i) => i.id);
    // 5 -> 1: two of the four go back deallocated, two are deleted.
    const r = await adapters.capacity.setDesired(ref, {
      desired: 1,
      reason: 'quiet',
      toWarm: { nodes: 2, warm: 2, state: 'stopped' },
    });
    expect(r).toMatchObject({ previous: 5, unchanged: false });
    expect(world.callsTo('arm', 'virtualMachineScaleSets.deallocate')).toHaveLength(1);
    const o = await adapters.capacity.describePool(ref);
    expect(o.desired).toBe(1);
    expect(o.instances).toHaveLength(1);
    // Deallocated at once (they were ready): members of the scale set that keep their disks, billing them only.
    expect(o.warm).toMatchObject({ target: 2, ready: 2, warming: 0 });
    expect(o.warm!.instanceIds.every((id) => before.includes(id))).toBe(true);
    expect(world.warmResumes(POOL.id)).toEqual({ resumes: 0, failedResumes: 0 });
    // The next scale-out starts them again: no new VM is prepared.
    await adapters.capacity.setDesired(ref, { desired: 3, reason: 'again' });
    expect(world.warmResumes(POOL.id)).toEqual({ resumes: 2, failedResumes: 0 });
  });

  it('scales out by starting deallocated VMs first, then raises the capacity for the rest', async () => {
    const { adapters, world } = await start();
    await adapters.capacity.setWarm!(ref, { size: 2, state: 'stopped', reason: 'test' });
    world.advance(POOL.readySeconds);
    const r = await adapters.capacity.setDesired(ref, { desired: 5, reason: 'burst' });
    expect(r).toMatchObject({ desired: 5, previous: 2, unchanged: false });
    expect(r.resumeFailures ?? 0).toBe(0);
    expect(world.warmResumes(POOL.id)).toEqual({ resumes: 2, failedResumes: 0 });
    expect(world.warmOf(POOL.id)).toHaveLength(0);
    expect(world.callsTo('arm', 'virtualMachineScaleSets.start')).toHaveLength(1);
    const o = await adapters.capacity.describePool(ref);
    expect(o.desired).toBe(5);
    expect(o.warm).toBeUndefined();
    world.advance(world.pool(POOL.id)!.warm!.resumeSeconds);
    // The two started VMs serve after the resume time; the cold one is still booting.
    expect((await adapters.capacity.describePool(ref)).ready).toBe(4);
  });

  it('a VM that cannot start for capacity stays deallocated: the capacity is raised instead, and it is reported', async () => {
    const { adapters, world } = await start();
    await adapters.capacity.setWarm!(ref, { size: 2, state: 'stopped', reason: 'test' });
    world.advance(POOL.readySeconds);
    world.failNextResumes(POOL.id, 1);
    const r = await adapters.capacity.setDesired(ref, { desired: 4, reason: 'burst' });
    expect(r).toMatchObject({ desired: 4, previous: 2, resumeFailures: 1 });
    expect(world.pool(POOL.id)!.desired).toBe(4);
    expect(world.warmOf(POOL.id)).toHaveLength(1);
    expect(world.warmResumes(POOL.id)).toEqual({ resumes: 1, failedResumes: 1 });
  });

  it('scales in the running VMs only, and deletes surplus deallocated VMs when asked for fewer', async () => {
    const { adapters, world } = await start();
    await adapters.capacity.setWarm!(ref, { size: 2, state: 'stopped', reason: 'test' });
    world.advance(POOL.readySeconds);
    await adapters.capacity.setDesired(ref, { desired: 1, reason: 'quiet' });
    expect(world.pool(POOL.id)!.desired).toBe(1);
    expect(world.warmOf(POOL.id)).toHaveLength(2);
    const r = await adapters.capacity.setWarm!(ref, { size: 0, state: 'stopped', reason: 'off' });
    expect(r).toMatchObject({ size: 0, previous: 2 });
    expect(world.warmOf(POOL.id)).toHaveLength(0);
    expect(world.pool(POOL.id)!.desired).toBe(1);
  });

  it.each([
    ['a Spot scale set', refFor(SPOT_POOL), 'stopped' as const],
    ['a hibernated state', ref, 'hibernated' as const],
  ])('refuses %s', async (_name, r, state) => {
    const { adapters } = await start();
    const e = await adapters.capacity.setWarm!(r, { size: 1, state, reason: 'test' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CloudError);
    expect((e as CloudError).kind).toBe('invalid');
  });
});
