/**
 * The baseline layout: the fleet as observed, corrected for what must change whatever the fleet's size —
 * nodes leaving on an interruption, pools that may not grow (offering backoff, reservation ending, cloud not
 * allowed) and capacity moving off those that may not hold it (reservation ended or unusable, cloud not
 * allowed), nodes of an ending reservation kept until its end without counting them as capacity, pool and
 * per-cloud limits, an operator's pinned pool, and reserved nodes added onto a reservation that is free or
 * that a signal just made usable. Every size of the fleet is then placed from it.
 */
import type { CapacityReservation } from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { poolBackoff } from './backoff.ts';
import { costPerRps, Layout, type Slot, sortSlots, type Tier } from './layout.ts';
import type { Reasons } from './reasons.ts';
import { reservationView } from './reservations.ts';
import type { ReservationNotice } from './signals.ts';
import type { OfferingBackoff } from './types.ts';

export interface BaselineInput {
  fleet: Fleet;
  /** Nodes leaving each pool (interruptions). */
  leaving: ReadonlyMap<string, number>;
  /** Nodes each pool was asked for that the cloud could not launch (shortfall.ts): their launch is cancelled. */
  notComing?: ReadonlyMap<string, number>;
  /** Backoffs: the state's plus those this decision adds. */
  backoffs: readonly OfferingBackoff[];
  reservations?: readonly CapacityReservation[];
  reservationNotices: readonly ReservationNotice[];
  /** Seconds before its end a reservation stops taking nodes. */
  reservationHorizonSeconds: number;
  /** An operator's pool-level target. */
  pinned?: { poolId: string; target: number };
  /**
   * Highest fleet size the nodes added onto reservations may bring the baseline to (the fleet's ceiling and
   * the max step up, so that no later limit has to take ready nodes away to make room); 0 disables it
   * (a freeze).
   */
  fillUpTo: number;
  /** Expected survival of each pool's nodes over the lead time (spot risk), by pool id; 1 when absent. */
  survival?: ReadonlyMap<string, number>;
  now: number;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi);

function blockByBackoff(pool: Pool, slot: Slot, backoffs: readonly OfferingBackoff[], now: number): void {
  const { whole, zones } = poolBackoff(pool, backoffs, now);
  if (whole) slot.blocked = whole;
  else slot.zones = Math.max(1, slot.zones - zones.size);
}

export function buildBaseline(input: BaselineInput, reasons: Reasons): Layout {
  const { fleet, now } = input;
  const placement = fleet.policy.placement;
  const allowed = placement.allowedClouds;
  const counts = new Map<string, number>();
  const activated: Slot[] = [];
  const slots: Slot[] = fleet.pools.map((pool) => {
    const min = Math.max(0, pool.min);
    const slot: Slot = {
      pool,
      tier: pool.capacityType as Tier,
      min,
      growCap: Math.max(min, pool.max),
      costPerRps: costPerRps(pool),
      zones: Math.max(1, pool.location.zones.length),
      pinned: false,
    };
    const survival = input.survival?.get(pool.id);
    if (survival !== undefined && survival < 1) {
      // A node that may not last is worth less: it is compared at its price per throughput it keeps.
      slot.survival = Math.max(0, survival);
      slot.costPerRps = survival > 0 ? slot.costPerRps / survival : Number.POSITIVE_INFINITY;
    }
    const notComing = input.notComing?.get(pool.id) ?? 0;
    if (notComing > 0) slot.notComing = notComing;
    const leaving = input.leaving.get(pool.id) ?? 0;
    if (leaving > 0) slot.leaving = leaving;
    let count = Math.max(0, pool.desired - leaving - notComing);
    let offCode = 'placement.cloud-not-allowed';
    let lapsed = false;
    if (allowed && !allowed.includes(pool.cloud)) slot.blocked = `cloud ${pool.cloud} not allowed`;
    if (pool.capacityType === 'reserved') {
      const view = reservationView(
        pool,
        input.reservations,
        input.reservationNotices,
        now,
        input.reservationHorizonSeconds,
      );
      if (view.ending && !slot.blocked) {
        // Already paid and serving: the nodes stay until the cloud takes them back; replacements go elsewhere.
        slot.blocked = view.why;
        slot.ending = true;
        if (count > 0) {
          reasons.add(
            'placement',
            'placement.reservation-expiring',
            `${pool.id}: ${view.why}: its ${count} node(s) serve until then, replacements are placed ahead`,
            { poolId: pool.id },
          );
        }
      } else if (view.lapsed && !slot.blocked) {
        // Its nodes run on at on-demand rates: they stay (as on-demand ones: the mix counts them so, and a
        // scale-in takes them first), none is added, and they are priced so (cost, budget, consolidation).
        slot.blocked = view.why;
        slot.tier = 'on-demand';
        lapsed = true;
        const price = pool.onDemandHourlyPrice;
        if (price !== undefined && price !== pool.hourlyPrice) {
          slot.pool = { ...pool, hourlyPrice: price };
          slot.costPerRps = costPerRps(slot.pool);
        }
        if (count > 0) {
          reasons.add(
            'placement',
            'placement.reservation-lapsed',
            `${pool.id}: ${view.why}; its ${count} node(s) stay, none is added` +
              (price !== undefined ? `; they run at the on-demand price, $${price.toFixed(2)}/h each` : ''),
            { poolId: pool.id },
          );
        }
      } else if (!view.usable) {
        slot.blocked = view.why;
        offCode = view.ended ? 'placement.reservation-ended' : 'placement.reservation-unusable';
      } else {
        if (view.room !== undefined) slot.growCap = Math.max(min, Math.min(slot.growCap, pool.desired + view.room));
        // Free capacity (already paid) is taken as soon as it is usable; other reserved capacity when a
        // signal says it became usable.
        if (view.activated || pool.hourlyPrice <= 0) activated.push(slot);
      }
    }
    // Capacity moves off a pool that may not hold it (reservation ended or unusable, cloud not allowed).
    if (slot.blocked && !slot.ending && !lapsed && count > min) {
      reasons.add('placement', offCode, `${pool.id}: ${slot.blocked}, ${count - min} node(s) move off it`, {
        poolId: pool.id,
      });
      count = min;
    }
    if (!slot.blocked) blockByBackoff(pool, slot, input.backoffs, now);
    const clamped = clamp(count, min, Math.max(min, pool.max));
    if (clamped !== count) {
      reasons.add(
        'limit',
        clamped > count ? 'limit.pool-min' : 'limit.pool-max',
        `${pool.id}: ${count} -> ${clamped} (pool ${clamped > count ? 'min' : 'max'})`,
        { poolId: pool.id, before: count, after: clamped, clippedBy: clamped > count ? 'pool.min' : 'pool.max' },
      );
    }
    count = clamped;
    if (input.pinned?.poolId === pool.id) {
      count = clamp(input.pinned.target, min, Math.max(min, pool.max));
      slot.pinned = true;
      slot.min = count;
      slot.growCap = count;
      reasons.add('placement', 'placement.pinned', `${pool.id} pinned at ${count} by the operator`, {
        poolId: pool.id,
      });
    }
    if (slot.blocked && !slot.pinned) slot.growCap = count;
    counts.set(pool.id, count);
    return slot;
  });
  sortSlots(slots);
  const layout = new Layout(
    slots,
    placement,
    slots.map((s) => counts.get(s.pool.id) ?? 0),
  );
  enforceCloudMax(layout, reasons);
  for (const slot of activated) fillReservation(layout, layout.slots.indexOf(slot), input.fillUpTo, reasons);
  return layout;
}

/** Brings each cloud within its maximum, taking the most expensive per unit of throughput first. */
function enforceCloudMax(layout: Layout, reasons: Reasons): void {
  for (const [cloud, cap] of Object.entries(layout.policy.maxPerCloud ?? {})) {
    if (cap === undefined) continue;
    for (let i = layout.slots.length - 1; i >= 0 && (layout.cloudTotals.get(cloud as Pool['cloud']) ?? 0) > cap; i--) {
      const slot = layout.slots[i];
      if (slot.pool.cloud !== cloud || slot.pinned || slot.ending) continue;
      const excess = (layout.cloudTotals.get(slot.pool.cloud) ?? 0) - cap;
      const take = Math.min(excess, layout.counts[i] - slot.min);
      if (take <= 0) continue;
      layout.set(i, layout.counts[i] - take);
      reasons.add('limit', 'limit.cloud-max', `${slot.pool.id}: -${take} (cloud ${cloud} max ${cap})`, {
        poolId: slot.pool.id,
        clippedBy: `maxPerCloud.${cloud}`,
      });
    }
  }
}

/**
 * Takes the room of a reservation that is usable: its nodes are added, nothing is removed in the same plan.
 * The nodes it replaces go in later decisions, once the reserved nodes serve (the scale-in keeps the ready
 * capacity the demand needs: see `PlacementPath.readyFloor`).
 */
function fillReservation(layout: Layout, r: number, upTo: number, reasons: Reasons): void {
  const target = layout.slots[r];
  let added = 0;
  while (layout.counts[r] < target.growCap && layout.cloudRoom(target.pool.cloud) >= 1 && layout.total < upTo) {
    layout.add(r);
    added++;
  }
  if (added > 0) {
    reasons.add(
      'placement',
      'placement.reservation-active',
      `${added} node(s) onto reservation ${target.pool.reservationId ?? target.pool.id} (${target.pool.id}): already paid; the nodes it replaces go once it serves`,
      { poolId: target.pool.id },
    );
  }
}
