/**
 * Scale-set VMs the platform could not allocate, as ARM shows them. A real scale set whose scale-out cannot be
 * placed keeps its new `sku.capacity`, ends the operation Failed with (Zonal)AllocationFailed, and leaves a VM
 * for each seat it could not fill: `provisioningState: Failed`, its instance view
 * `ProvisioningState/failed/AllocationFailed` and no power state, since it never ran. Compute does not retry
 * them; they stay members of the scale set (counted in its capacity, billed nothing) until someone deletes
 * them (`deleteInstances`, which lowers the capacity as for any VM).
 *
 * The world keeps the count and the seats it could not fill (`desired` above its live instances); this ledger
 * gives the seats a scale-out could not fill (`record`, from the PATCH that asked for them) the VMs ARM lists,
 * with stable instance ids (from `FAILED_INDEX_BASE`, clear of the world's own indices) and the time they
 * failed. Seats a Spot eviction vacates are not listed: Compute deletes an evicted VM. The world retries an
 * unfilled seat on every advance (a simplification: Compute does not); when it places one, the newest failed
 * VM leaves the list. Deleting one lowers the world's desired count by one and ends nothing that runs.
 */
import type { World, WorldPool } from '../world.ts';
import { allocationFailed } from './errors.ts';
import { armZone, type VmssAddress, uuidFrom, vmssId } from './resources.ts';

/** Instance ids of failed VMs start here: the world numbers its instances from 0 per run. */
export const FAILED_INDEX_BASE = 900_000;

export interface FailedVm {
  index: number;
  zone: string;
  failedAt: string;
}

export class FailedVms {
  private readonly byPool = new Map<string, FailedVm[]>();
  private next = FAILED_INDEX_BASE;
  private readonly world: World;

  constructor(world: World) {
    this.world = world;
  }

  /**
   * A scale-out of the pool could not fill `seats` seats: each gets a Failed VM (those it already has count).
   * Only a scale-out's seats: a seat a Spot eviction left is not a VM that failed to allocate.
   */
  record(pool: WorldPool, seats: number): void {
    const list = this.of(pool);
    while (list.length < seats) {
      const zone = pool.zones.length > 0 ? pool.zones[(this.next - FAILED_INDEX_BASE) % pool.zones.length]! : '';
      list.push({ index: this.next++, zone, failedAt: this.world.nowIso() });
    }
    this.byPool.set(pool.id, list);
  }

  /** The pool's failed VMs now, oldest first: at most one per seat the world has not filled. */
  of(pool: WorldPool): FailedVm[] {
    const seats = this.world.unfilledSeats(pool);
    const list = this.byPool.get(pool.id) ?? [];
    while (list.length > seats) list.pop();
    this.byPool.set(pool.id, list);
    return [...list];
  }

  find(pool: WorldPool, instanceId: string): FailedVm | undefined {
    return this.of(pool).find((f) => String(f.index) === instanceId);
  }

  /** Deletes failed VMs: each lowers the scale set's capacity (the world's desired count) by one. */
  delete(pool: WorldPool, instanceIds: readonly string[]): void {
    const list = this.of(pool);
    const gone = list.filter((f) => instanceIds.includes(String(f.index)));
    if (gone.length === 0) return;
    this.byPool.set(
      pool.id,
      list.filter((f) => !gone.includes(f)),
    );
    this.world.setDesired(pool.id, Math.max(0, pool.desired - gone.length));
  }
}

export function failedInstanceView(pool: WorldPool, f: FailedVm): Record<string, unknown> {
  const error = allocationFailed(pool.zones.length > 0);
  return {
    platformUpdateDomain: 0,
    platformFaultDomain: f.index % 5,
    statuses: [
      {
        code: `ProvisioningState/failed/${error.code}`,
        level: 'Error',
        displayStatus: 'Provisioning failed',
        message: error.message,
        time: f.failedAt,
      },
    ],
  };
}

export function failedVmResource(
  pool: WorldPool,
  a: VmssAddress,
  f: FailedVm,
  opts: { instanceView: boolean },
): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    latestModelApplied: true,
    modelDefinitionApplied: 'VirtualMachineScaleSet',
    vmId: uuidFrom(`vm:${pool.id}:failed:${f.index}`),
    provisioningState: 'Failed',
    timeCreated: f.failedAt,
  };
  if (opts.instanceView) properties.instanceView = failedInstanceView(pool, f);
  return {
    name: `${pool.name}_${f.index}`,
    id: `${vmssId(a)}/virtualMachines/${f.index}`,
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
    location: pool.region,
    tags: { ...(pool.tags ?? {}) },
    instanceId: String(f.index),
    sku: { name: pool.instanceType, tier: 'Standard' },
    ...(f.zone ? { zones: [armZone(f.zone)] } : {}),
    properties,
  };
}
