/**
 * The baseline layout: the fleet as observed, corrected for what must change whatever the fleet's size —
 * nodes leaving on an interruption, pools that may not grow (offering backoff, reservation ending, cloud not
 * allowed) and capacity moving off them, pool and per-cloud limits, an operator's pinned pool, and capacity
 * moving onto a reservation that a signal just made usable. Every size of the fleet is then placed from it.
 */
import type { CapacityReservation } from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { costPerRps, Layout, type Slot, sortSlots, type Tier } from './layout.ts';
import type { Reasons } from './reasons.ts';
import { reservationView } from './reservations.ts';
import type { ReservationNotice } from './signals.ts';
import { inForce } from './time.ts';
import type { OfferingBackoff } from './types.ts';

export interface BaselineInput {
  fleet: Fleet;
  /** Nodes leaving each pool (interruptions). */
  leaving: ReadonlyMap<string, number>;
  /** Backoffs: the state's plus those this decision adds. */
  backoffs: readonly OfferingBackoff[];
  reservations?: readonly CapacityReservation[];
  reservationNotices: readonly ReservationNotice[];
  /** Seconds before its end a reservation stops taking nodes. */
  reservationHorizonSeconds: number;
  /** An operator's pool-level target. */
  pinned?: { poolId: string; target: number };
  now: number;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi);

function blockByBackoff(pool: Pool, slot: Slot, backoffs: readonly OfferingBackoff[], now: number): void {
  const zones = new Set<string>();
  for (const b of backoffs) {
    if (b.poolId !== pool.id || !inForce(b.until, now)) continue;
    if (!b.zone || pool.location.zones.length <= 1) {
      slot.blocked = `offering backed off until ${b.until} (${b.reason})`;
      return;
    }
    if (pool.location.zones.includes(b.zone)) zones.add(b.zone);
  }
  if (zones.size >= pool.location.zones.length && zones.size > 0) slot.blocked = `all zones backed off`;
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
    let count = Math.max(0, pool.desired - (input.leaving.get(pool.id) ?? 0));
    let offCode = 'placement.cloud-not-allowed';
    if (allowed && !allowed.includes(pool.cloud)) slot.blocked = `cloud ${pool.cloud} not allowed`;
    if (pool.capacityType === 'reserved') {
      const view = reservationView(
        pool,
        input.reservations,
        input.reservationNotices,
        now,
        input.reservationHorizonSeconds,
      );
      if (!view.usable) {
        slot.blocked = view.why;
        offCode = view.ending ? 'placement.reservation-expiring' : 'placement.reservation-unusable';
      } else {
        if (view.room !== undefined) slot.growCap = Math.max(min, Math.min(slot.growCap, pool.desired + view.room));
        if (view.activated) activated.push(slot);
      }
    }
    // Capacity moves off a pool that may not hold it (reservation ending, cloud not allowed).
    if (slot.blocked && count > min) {
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
  for (const slot of activated) moveOnto(layout, layout.slots.indexOf(slot), reasons);
  return layout;
}

/** Brings each cloud within its maximum, taking the most expensive per unit of throughput first. */
function enforceCloudMax(layout: Layout, reasons: Reasons): void {
  for (const [cloud, cap] of Object.entries(layout.policy.maxPerCloud ?? {})) {
    if (cap === undefined) continue;
    for (let i = layout.slots.length - 1; i >= 0 && (layout.cloudTotals.get(cloud as Pool['cloud']) ?? 0) > cap; i--) {
      const slot = layout.slots[i];
      if (slot.pool.cloud !== cloud || slot.pinned) continue;
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

/** Moves nodes onto a reservation a signal made usable, from the most expensive per throughput first. */
function moveOnto(layout: Layout, r: number, reasons: Reasons): void {
  const target = layout.slots[r];
  let moved = 0;
  for (let i = layout.slots.length - 1; i >= 0; i--) {
    const slot = layout.slots[i];
    if (slot.tier === 'reserved' || slot.pinned) continue;
    while (
      layout.counts[r] < target.growCap &&
      layout.counts[i] > slot.min &&
      (slot.pool.cloud === target.pool.cloud || layout.cloudRoom(target.pool.cloud) >= 1)
    ) {
      layout.remove(i);
      layout.add(r);
      moved++;
    }
  }
  if (moved > 0) {
    reasons.add(
      'placement',
      'placement.reservation-active',
      `${moved} node(s) move onto reservation ${target.pool.reservationId ?? target.pool.id} (${target.pool.id}): already paid`,
      { poolId: target.pool.id },
    );
  }
}
