/**
 * Capacity reservation groups, from the world's Azure reservations. Pure: no I/O, no clock of its own.
 *
 * Mapping: each world reservation (cloud `azure`) is a capacity reservation group named by the reservation's id
 * (what a scale set's `capacityReservation.capacityReservationGroup` references) holding one capacity
 * reservation of the same name. `capacity-block` -> `reservationType: Block` with `scheduleProfile { start, end }`
 * (ISO date-times; the real API takes dates); `odcr` / `future-odcr` -> `Targeted`. A group lives in the
 * subscription and resource group of the first pool that draws on it (else in any subscription, resource group
 * `capacity-reservations`), and in that pool's region (else the region prefix of the reservation's zone).
 * Scheduled blocks are listed; scheduled targeted reservations, expired and cancelled ones are not (they do
 * not exist yet / any more). `virtualMachinesAssociated` lists the live VMs of the pools drawing on it.
 */
import type { World, WorldReservation } from '../world.ts';
import type { ArmErrorAnswer } from './errors.ts';
import { armErrors } from './errors.ts';
import { armZone, scopeOf, uuidFrom } from './resources.ts';

interface Placement {
  subscription?: string;
  resourceGroup: string;
  location: string;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function placement(world: World, r: WorldReservation): Placement {
  const pool = world.allPools().find((p) => p.cloud === 'azure' && p.reservationId === r.id);
  const scope = pool && scopeOf(pool);
  const location = pool?.region ?? /^(.*)-\d+$/.exec(r.zone)?.[1] ?? 'eastus';
  return {
    subscription: scope?.subscription,
    resourceGroup: scope?.resourceGroup ?? 'capacity-reservations',
    location,
  };
}

function listed(world: World, r: WorldReservation): boolean {
  if (r.cloud !== 'azure') return false;
  const state = world.reservationState(r);
  if (state === 'active') return true;
  return state === 'scheduled' && r.type === 'capacity-block';
}

function groupId(sub: string, p: Placement, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Compute/capacityReservationGroups/${name}`;
}

function associatedVms(world: World, sub: string, r: WorldReservation): Array<{ id: string }> {
  const out: Array<{ id: string }> = [];
  for (const pool of world.allPools()) {
    if (pool.cloud !== 'azure' || pool.reservationId !== r.id) continue;
    const s = scopeOf(pool);
    const base = `/subscriptions/${s?.subscription ?? sub}/resourceGroups/${s?.resourceGroup ?? 'capacity-reservations'}/providers/Microsoft.Compute/virtualMachineScaleSets/${pool.name}/virtualMachines`;
    for (const i of world.instancesOf(pool.id)) if (i.state !== 'terminating') out.push({ id: `${base}/${i.index}` });
  }
  return out;
}

/** `GET /subscriptions/{sub}/providers/Microsoft.Compute/capacityReservationGroups`. */
export function reservationGroupsResponse(world: World, sub: string): { value: unknown[] } {
  const value: unknown[] = [];
  for (const r of world.allReservations()) {
    if (!listed(world, r)) continue;
    const p = placement(world, r);
    if (p.subscription && !same(p.subscription, sub)) continue;
    const id = groupId(sub, p, r.id);
    value.push({
      name: r.id,
      id,
      type: 'Microsoft.Compute/capacityReservationGroups',
      location: p.location,
      zones: [armZone(r.zone)],
      properties: {
        capacityReservations: [{ id: `${id}/capacityReservations/${r.id}` }],
        virtualMachinesAssociated: associatedVms(world, sub, r),
        reservationType: r.type === 'capacity-block' ? 'Block' : 'Targeted',
      },
    });
  }
  return { value };
}

/** `GET .../capacityReservationGroups/{group}/capacityReservations[?$expand=instanceView]`. */
export function reservationsResponse(
  world: World,
  sub: string,
  rg: string,
  group: string,
  expand: string | null,
): { value: unknown[] } | ArmErrorAnswer {
  const r = world.allReservations().find((x) => same(x.id, group) && listed(world, x));
  const p = r && placement(world, r);
  if (!r || !p || !same(p.resourceGroup, rg) || (p.subscription && !same(p.subscription, sub))) {
    return armErrors.resourceNotFound('Microsoft.Compute/capacityReservationGroups', group, rg);
  }
  const id = `${groupId(sub, p, r.id)}/capacityReservations/${r.id}`;
  const vms = associatedVms(world, sub, r);
  const created = new Date(Math.min(r.start, world.now())).toISOString();
  const properties: Record<string, unknown> = {
    reservationId: uuidFrom(`reservation:${r.id}`),
    platformFaultDomainCount: 1,
    virtualMachinesAssociated: vms,
    provisioningTime: created,
    provisioningState: 'Succeeded',
    timeCreated: created,
  };
  if (r.type === 'capacity-block') {
    properties.scheduleProfile = { start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString() };
  }
  if (expand !== null && same(expand, 'instanceView')) {
    properties.instanceView = {
      utilizationInfo: { currentCapacity: r.total, virtualMachinesAllocated: vms },
      statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' }],
    };
  }
  return {
    value: [
      {
        name: r.id,
        id,
        type: 'Microsoft.Compute/capacityReservationGroups/capacityReservations',
        location: p.location,
        sku: { name: r.instanceType, capacity: r.total },
        zones: [armZone(r.zone)],
        properties,
      },
    ],
  };
}
