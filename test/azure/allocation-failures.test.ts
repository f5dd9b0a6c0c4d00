/**
 * VMs a scale set could not allocate (`ProvisioningState/failed/AllocationFailed` in their instance view, not
 * running) are reported per zone in the observation, so the decision backs the offering off
 * (`allocationFailureOf`, `AzureCapacity.describePool`). The emulator never leaves a VM Failed (its operation
 * fails instead), so the scale set and its VMs here are the SDK's shapes from a fake client.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { describe, expect, it } from 'vitest';
import { AzureCapacity, allocationFailureOf } from '../../shared/adapters/azure/capacity.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';

type Vm = Parameters<typeof allocationFailureOf>[0];
const status = (...codes: string[]) => ({ statuses: codes.map((code) => ({ code })) });
const vm = (id: string, provisioningState: string, codes: string[], zone = '1'): Vm =>
  ({ instanceId: id, name: `vmss-a100_${id}`, provisioningState, zones: [zone], instanceView: status(...codes) }) as Vm;

describe('allocationFailureOf', () => {
  it.each([
    [
      'allocation failed, not running',
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
    [
      'failed for another reason',
      vm('5', 'Failed', ['ProvisioningState/failed/NetworkingInternalOperationError']),
      undefined,
    ],
    ['succeeded', vm('6', 'Succeeded', ['ProvisioningState/succeeded', 'PowerState/running']), undefined],
    ['no instance view', { instanceId: '7', provisioningState: 'Failed' } as Vm, undefined],
  ])('%s', (_, v, code) => {
    expect(allocationFailureOf(v)).toBe(code);
  });
});

describe('describePool: the VMs a scale set could not allocate', () => {
  it('are reported once per zone with their code, and stay instances (members counted in the capacity)', async () => {
    const vms = [
      vm('0', 'Succeeded', ['ProvisioningState/succeeded', 'PowerState/running'], '1'),
      vm('1', 'Failed', ['ProvisioningState/failed/AllocationFailed'], '2'),
      vm('2', 'Failed', ['ProvisioningState/failed/AllocationFailed'], '2'),
      vm('3', 'Failed', ['ProvisioningState/failed/ZonalAllocationFailed'], '3'),
    ];
    const client = {
      virtualMachineScaleSets: {
        get: async () => ({ location: 'eastus', sku: { name: 'Standard_NC24ads_A100_v4', capacity: 4 } }),
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
    expect(obs.launchFailures).toEqual([
      { zone: 'eastus-2', code: 'AllocationFailed' },
      { zone: 'eastus-3', code: 'ZonalAllocationFailed' },
    ]);
    expect(obs.instances.map((i) => [i.id, i.lifecycle])).toEqual([
      ['vmss-a100_0', 'ready'],
      ['vmss-a100_1', 'pending'],
      ['vmss-a100_2', 'pending'],
      ['vmss-a100_3', 'pending'],
    ]);
    // Without failures, none reported.
    vms.splice(1);
    expect(await capacity.describePool(ref)).not.toHaveProperty('launchFailures');
  });
});
