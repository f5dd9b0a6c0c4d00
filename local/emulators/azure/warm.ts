/**
 * Deallocated scale-set VMs: the world's warm instances of an `azure-vmss` pool, as ARM shows them. They are
 * members of the scale set (counted in `sku.capacity`, listed with the other VMs) whose power state is
 * `PowerState/deallocated` (`deallocating` while the world still prepares them); they bill their disks only.
 * `start` resumes them, `deallocate` stops running ones into them, `deleteInstances` removes them.
 */
import type { WorldInstance, WorldPool, WorldWarmInstance } from '../world.ts';
import { type VmssAddress, vmResource } from './resources.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function warmInstanceView(w: WorldWarmInstance): Record<string, unknown> {
  const deallocated = w.phase === 'warm';
  return {
    platformUpdateDomain: 0,
    platformFaultDomain: w.index % 5,
    computerName: w.nodeName,
    osName: 'ubuntu',
    osVersion: '22.04',
    statuses: [
      {
        code: 'ProvisioningState/succeeded',
        level: 'Info',
        displayStatus: 'Provisioning succeeded',
        time: iso(w.warmAt),
      },
      deallocated
        ? { code: 'PowerState/deallocated', level: 'Info', displayStatus: 'VM deallocated' }
        : { code: 'PowerState/deallocating', level: 'Info', displayStatus: 'VM deallocating' },
    ],
  };
}

export function warmVmResource(
  pool: WorldPool,
  a: VmssAddress,
  w: WorldWarmInstance,
  opts: { instanceView: boolean },
): Record<string, unknown> {
  const asInstance: WorldInstance = {
    id: w.id,
    poolId: w.poolId,
    cloud: 'azure',
    zone: w.zone,
    instanceType: w.instanceType,
    capacityType: pool.capacityType,
    state: 'ready',
    nodeName: w.nodeName,
    launchedAt: w.launchedAt,
    runningAt: w.launchedAt,
    readyAt: w.warmAt,
    index: w.index,
  };
  const r = vmResource(pool, a, asInstance, { instanceView: false, now: w.warmAt });
  const properties = r.properties as Record<string, unknown>;
  properties.provisioningState = 'Succeeded';
  if (opts.instanceView) properties.instanceView = warmInstanceView(w);
  return r;
}

/** The scale set's `sku.capacity`: running VMs and deallocated ones alike. */
export const capacityOf = (pool: WorldPool, warm: number) => pool.desired + warm;
