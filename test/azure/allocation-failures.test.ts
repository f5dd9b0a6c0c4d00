/**
 * VMs a scale set could not allocate (`ProvisioningState/failed/AllocationFailed` in their instance view, not
 * running): Compute leaves one for each seat of a scale-out it could not place and never retries them. The
 * adapter leaves them out of the pool's instances and reports them per zone (`launchFailures`), so the decision
 * backs the offering off and cancels them; a scale-in deletes them first, by id, before it lowers the capacity.
 * Over the SDK's shapes for the states the emulator does not make, then the real client against the emulator.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { afterEach, describe, expect, it } from 'vitest';
import { AzureCapacity, allocationFailureOf } from '../../shared/adapters/azure/capacity.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import { FAILED_INDEX_BASE } from '../../local/emulators/azure/failed.ts';
import { type AzureTestEnv, ON_DEMAND_POOL, refFor, SPOT_POOL, startAzureTestEnv } from './support.ts';

type Vm = Parameters<typeof allocationFailureOf>[0];
const status = (...codes: string[]) => ({ statuses: codes.map((code) => ({ code })) });
const vm = (id: string, provisioningState: string, codes: string[], zone = '1'): Vm =>
  ({ instanceId: id, name: `vmss-a100_${id}`, provisioningState, zones: [zone], instanceView: status(...codes) }) as Vm;

describe('allocationFailureOf', () => {
  it.each([
    [
      'allocation failed, no power state',
      vm('1', 'Failed', ['ProvisioningState/failed/AllocationFailed']),
      'AllocationFailed',
    ],
    [
      'zonal, stopped',
      vm('2', 'Failed', ['ProvisioningState/failed/ZonalAllocationFailed', 'PowerState/stopped']),
      'ZonalAllocationFailed',
    ],
    ['a quota', vm('3', 'Failed', ['ProvisioningState/failed/QuotaExceeded']), 'QuotaExceeded'],
    // A running VM's failed state is its last operation's, not its allocation's.
    [
      'failed but running',
      vm('4', 'Failed', ['ProvisioningState/failed/AllocationFailed', 'PowerState/running']),
      undefined,
    ],
    // A deallocated VM that could not start is warm capacity that did not resume, not a creation that failed.
    [
      'failed to start from deallocated',
      vm('5', 'Failed', ['ProvisioningState/failed/AllocationFailed', 'PowerState/deallocated']),
      undefined,
    ],
    [
      'failed for another reason',
      vm('6', 'Failed', ['ProvisioningState/failed/NetworkingInternalOperationError']),
      undefined,
    ],
    ['succeeded', vm('7', 'Succeeded', ['ProvisioningState/succeeded', 'PowerState/running']), undefined],
    ['no instance view', { instanceId: '8', provisioningState: 'Failed' } as Vm, undefined],
  ])('%s', (_, v, code) => {
    expect(allocationFailureOf(v)).toBe(code);
  });
});

describe('describePool over the SDK shapes', () => {
  it('leaves them out of the instances and reports each zone once with its code', async () => {
    const vms = [
      vm('0', 'Succeeded', ['ProvisioningState/succeeded', 'PowerState/running'], '1'),
      vm('1', 'Failed', ['ProvisioningState/failed/AllocationFailed'], '2'),
      vm('2', 'Failed', ['ProvisioningState/failed/AllocationFailed'], '2'),
      vm('3', 'Failed', ['ProvisioningState/failed/ZonalAllocationFailed'], '3'),
      // Failed, but running: an instance (pending), not a launch failure.
      vm('4', 'Failed', ['ProvisioningState/failed/NetworkingInternalOperationError', 'PowerState/running'], '1'),
    ];
    const client = {
      virtualMachineScaleSets: {
        get: async () => ({ location: 'eastus', sku: { name: 'Standard_NC24ads_A100_v4', capacity: 5 } }),
      },
      virtualMachineScaleSetVMs: {
        list: () =>
          (async function* () {
            yield* vms;
          })(),
      },
    } as unknown as ComputeManagementClient;
    const capacity = new AzureCapacity({
      compute: async () => client,
      operationErrors: new Map() as never,
      defaultSubscription: '00000000-0000-0000-0000-000000000000',
      poll: { intervalMs: 1, timeoutMs: 10 },
      now: () => new Date('2026-03-02T12:00:00Z'),
    });
    const ref = {
      id: 'azure-a100-spot',
      cloud: 'azure',
      kind: 'azure-vmss',
      resource: 'vmss-a100',
      scope: 'rg-gpu',
      location: { region: 'eastus', zones: ['eastus-1', 'eastus-2', 'eastus-3'] },
    } as PoolRef;
    const obs = await capacity.describePool(ref);
    expect(obs.desired).toBe(5);
    expect(obs.launchFailures).toEqual([
      { zone: 'eastus-2', code: 'AllocationFailed' },
      { zone: 'eastus-3', code: 'ZonalAllocationFailed' },
    ]);
    expect(obs.instances.map((i) => [i.id, i.lifecycle])).toEqual([
      ['vmss-a100_0', 'ready'],
      ['vmss-a100_4', 'pending'],
    ]);
    vms.splice(1, 3);
    expect(await capacity.describePool(ref)).not.toHaveProperty('launchFailures');
  });
});

describe('against the emulator: a scale-out the platform could not place', () => {
  let env: AzureTestEnv;
  afterEach(async () => {
    await env.close();
  });
  const onDemand = refFor(ON_DEMAND_POOL);

  /** The on-demand scale set (1 VM, room for 2 in its zone) asked for 4: 1 created, 2 seats failed. */
  async function failedScaleOut() {
    env = await startAzureTestEnv();
    env.world.setOnDemandCapacity(ON_DEMAND_POOL.id, 'eastus-3', 2);
    await expect(env.adapters.capacity.setDesired(onDemand, { desired: 4, reason: 'burst' })).rejects.toMatchObject({
      kind: 'insufficient-capacity',
      code: 'ZonalAllocationFailed',
    });
    return env.world.instancesOf(ON_DEMAND_POOL.id).map((i) => i.id);
  }

  it('lists a Failed VM for each seat, which the observation leaves out and reports for its zone', async () => {
    await failedScaleOut();
    const obs = await env.adapters.capacity.describePool(onDemand);
    expect(obs.desired).toBe(4);
    expect(obs.instances.map((i) => i.id)).toEqual(['vmss-h100-od_0', 'vmss-h100-od_1']);
    expect(obs.launchFailures).toEqual([{ zone: 'eastus-3', code: 'ZonalAllocationFailed' }]);
    // Compute does not retry them: still there later.
    env.world.advance(600);
    expect((await env.adapters.capacity.describePool(onDemand)).launchFailures).toHaveLength(1);
  });

  it('a scale-in deletes them by id first, and ends no VM that runs', async () => {
    const running = await failedScaleOut();
    const result = await env.adapters.capacity.setDesired(onDemand, { desired: 2, reason: 'cancel' });
    expect(result).toMatchObject({ desired: 2, previous: 4, unchanged: false });
    const deletes = env.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances');
    expect(deletes).toHaveLength(1);
    expect((deletes[0]!.params as { body: unknown }).body).toEqual({
      instanceIds: [String(FAILED_INDEX_BASE + 1), String(FAILED_INDEX_BASE)],
    });
    // The capacity dropped with the deletes: no PATCH after the one that failed.
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.update')).toHaveLength(1);
    expect(env.world.pool(ON_DEMAND_POOL.id)!.desired).toBe(2);
    expect(env.world.instancesOf(ON_DEMAND_POOL.id).map((i) => i.id)).toEqual(running);
    const obs = await env.adapters.capacity.describePool(onDemand);
    expect(obs).not.toHaveProperty('launchFailures');
    expect(obs.desired).toBe(2);
  });

  it('a scale-in below the VMs that run deletes the failed ones, then lowers the capacity for the rest', async () => {
    await failedScaleOut();
    await env.adapters.capacity.setDesired(onDemand, { desired: 1, reason: 'quiet' });
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances')).toHaveLength(1);
    const updates = env.world.callsTo('arm', 'virtualMachineScaleSets.update');
    expect(updates).toHaveLength(2);
    expect((updates[1]!.params as { body: unknown }).body).toEqual({ sku: { capacity: 1 } });
    expect(env.world.pool(ON_DEMAND_POOL.id)!.desired).toBe(1);
    expect(env.world.instancesOf(ON_DEMAND_POOL.id).filter((i) => i.state !== 'terminating')).toHaveLength(1);
  });

  it('lists none after a Spot eviction (Compute deletes an evicted VM and lowers the capacity with it)', async () => {
    env = await startAzureTestEnv();
    const spot = refFor(SPOT_POOL);
    for (const zone of SPOT_POOL.zones) env.world.setSpotCapacity(SPOT_POOL.id, zone, 0);
    env.world.advance(600);
    expect(env.world.instancesOf(SPOT_POOL.id)).toHaveLength(0);
    // evictionPolicy Delete: no seat is left for the scale set to fill again.
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(0);
    const obs = await env.adapters.capacity.describePool(spot);
    expect(obs).not.toHaveProperty('launchFailures');
    expect(obs.desired).toBe(0);
    // Raising it again fails for the seats asked while the zones have no Spot capacity.
    await expect(env.adapters.capacity.setDesired(spot, { desired: 2, reason: 'burst' })).rejects.toThrow();
    expect((await env.adapters.capacity.describePool(spot)).launchFailures).toHaveLength(2);
  });

  it('a scale set without failed VMs scales in by its capacity alone', async () => {
    env = await startAzureTestEnv();
    await env.adapters.capacity.setDesired(refFor(SPOT_POOL), { desired: 2, reason: 'quiet' });
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances')).toHaveLength(0);
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(2);
  });

  it('lists none when the emulator is told not to (listFailedVms: false)', async () => {
    env = await startAzureTestEnv(undefined, { listFailedVms: false });
    env.world.setOnDemandCapacity(ON_DEMAND_POOL.id, 'eastus-3', 2);
    await expect(env.adapters.capacity.setDesired(onDemand, { desired: 4, reason: 'burst' })).rejects.toThrow();
    const obs = await env.adapters.capacity.describePool(onDemand);
    expect(obs).not.toHaveProperty('launchFailures');
    expect(obs.instances).toHaveLength(2);
  });
});
