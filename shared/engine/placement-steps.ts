/**
 * One node at a time: where the next node goes, and which node goes first. Each choice depends only on the
 * layout, so adding (or removing) k nodes always follows the same path: counts are nested, and more nodes
 * never mean less capacity.
 *
 * Adding:
 *   1. reserved capacity first (already paid), while a reservation is usable and has room;
 *   2. then the capacity-type mix of Azure Spot Priority Mix: `onDemandBase` nodes stay regular (on-demand or
 *      reserved), and of the nodes above the base, `spotShare` are spot (rounded down: the rounding favours
 *      on-demand) — see `desiredSpot`;
 *   3. within a tier, the pools of the highest `priority` first (Cluster Autoscaler's priority expander; all 0
 *      by default), and among them the cheapest per unit of throughput (hourlyPrice / rpsPerNode) that has room — or, for a
 *      node that is there to meet a floor rather than for its throughput, the cheapest node: below its
 *      growth cap (pool max, reservation room, not backed off) and its cloud's maximum; a spot pool also keeps
 *      at most ceil(maxSpotSharePerZone x spot nodes) per zone (a pool spreads evenly over its zones); a spot
 *      pool the hedge deferred (`Slot.deferred`) only where no other pool of its tier and priority has room;
 *   4. spot wanted but no spot room: on-demand instead (the fallback); on-demand wanted but none has room:
 *      spot rather than no node.
 * Removing: spot while there is more spot than the mix wants (the most concentrated pool first, so the
 * spread improves), otherwise on-demand, then spot, reserved last (already paid: removing it saves
 * nothing); within a tier the pools that may not grow first, then the lowest priority, then a deferred spot
 * pool, then the most expensive per unit of throughput. Never below a pool's min, never a pinned pool; the nodes of an ending reservation (they serve,
 * already paid, until the cloud takes them back) go last of all.
 */
import type { PlacementPolicy } from '../domain/types.ts';
import { type Layout, priorityOf, type Slot, type Tier } from './layout.ts';

/** Spot nodes the mix wants for `total` nodes of which `reserved` are on reservations. */
export function desiredSpot(total: number, reserved: number, policy: PlacementPolicy): number {
  const above = Math.max(0, total - Math.max(policy.onDemandBase, reserved));
  return Math.min(Math.max(0, total - reserved), Math.floor(above * policy.spotShare + 1e-9));
}

/** Highest count one spot pool may hold when the fleet has `spotTotal` spot nodes. */
export function spotPoolCap(slot: Slot, spotTotal: number, policy: PlacementPolicy): number {
  if (policy.maxSpotSharePerZone >= 1) return Number.POSITIVE_INFINITY;
  return slot.zones * Math.max(1, Math.ceil(policy.maxSpotSharePerZone * spotTotal - 1e-9));
}

function canGrow(layout: Layout, i: number): boolean {
  const slot = layout.slots[i];
  if (slot.pinned || layout.counts[i] >= slot.growCap || layout.cloudRoom(slot.pool.cloud) < 1) return false;
  if (slot.tier !== 'spot') return true;
  return layout.counts[i] + 1 <= spotPoolCap(slot, layout.spot + 1, layout.policy);
}

/**
 * The slot of `tier` with room that is cheapest per unit of throughput (slots are sorted so), or per node. Only
 * the highest priority with room is chosen from (slots are sorted by priority first: Cluster Autoscaler's
 * priority expander), and within it a deferred spot pool only where no other pool has room: the hedge's
 * deferral is a cost choice, it does not override the operator's priorities.
 */
function cheapest(layout: Layout, tier: Tier, perNode = false): number {
  let top: number | undefined;
  let best = -1;
  let deferred = -1;
  for (let i = 0; i < layout.slots.length; i++) {
    const slot = layout.slots[i];
    if (slot.tier !== tier || !canGrow(layout, i)) continue;
    if (top === undefined) top = priorityOf(slot);
    else if (priorityOf(slot) < top) break;
    const pick = slot.deferred ? deferred : best;
    if (pick < 0 || (perNode && slot.pool.hourlyPrice < layout.slots[pick].pool.hourlyPrice)) {
      if (slot.deferred) deferred = i;
      else best = i;
    }
    if (!perNode && best >= 0) return best;
  }
  return best >= 0 ? best : deferred;
}

export type AddMode = 'reserved' | 'mix' | 'fallback-on-demand' | 'spot-over-share';

/**
 * Adds one node where the rules say; returns the slot index and why, or undefined when no pool has room.
 * `perNode`: the node is there for a count (a floor), not for its throughput, so within a tier the cheapest
 * node wins rather than the cheapest throughput.
 */
export function addOne(layout: Layout, perNode = false): { index: number; mode: AddMode } | undefined {
  const r = cheapest(layout, 'reserved', perNode);
  if (r >= 0) {
    layout.add(r);
    return { index: r, mode: 'reserved' };
  }
  const wantSpot = layout.spot < desiredSpot(layout.total + 1, layout.reserved, layout.policy);
  const first = cheapest(layout, wantSpot ? 'spot' : 'on-demand', perNode);
  if (first >= 0) {
    layout.add(first);
    return { index: first, mode: 'mix' };
  }
  const other = cheapest(layout, wantSpot ? 'on-demand' : 'spot', perNode);
  if (other < 0) return undefined;
  layout.add(other);
  return { index: other, mode: wantSpot ? 'fallback-on-demand' : 'spot-over-share' };
}

const removable = (layout: Layout, i: number, ending = false): boolean =>
  !layout.slots[i].pinned && (layout.slots[i].ending ?? false) === ending && layout.counts[i] > layout.slots[i].min;

/** The slot of `tier` to take a node from first, or -1. */
function firstToRemove(layout: Layout, tier: Tier): number {
  let best = -1;
  let bestKey = [0, 0, 0, 0, 0];
  for (let i = 0; i < layout.slots.length; i++) {
    const slot = layout.slots[i];
    if (slot.tier !== tier || !removable(layout, i)) continue;
    // Keys, compared in order: blocked first, the lowest priority, a deferred spot pool, (spot) the most
    // concentrated, the most expensive per throughput.
    const key = [
      slot.blocked ? 1 : 0,
      -priorityOf(slot),
      slot.deferred ? 1 : 0,
      tier === 'spot' ? layout.counts[i] / slot.zones : 0,
      slot.costPerRps,
    ];
    let better = best < 0;
    for (let k = 0; !better && k < key.length; k++) {
      if (key[k]! > bestKey[k]!) better = true;
      else if (key[k]! < bestKey[k]!) break;
      else if (k === key.length - 1) better = true;
    }
    if (better) {
      best = i;
      bestKey = key;
    }
  }
  return best;
}

/** Removes one node as the rules say; returns the slot index, or undefined when every pool is at its min. */
export function removeOne(layout: Layout): number | undefined {
  const spotExcess = layout.spot > desiredSpot(layout.total - 1, layout.reserved, layout.policy);
  // Reserved last: it is paid whether used or not, so removing it saves nothing. Spot within the mix goes
  // before it: fewer spot nodes than the share allows is the safe side of the mix.
  const order: Tier[] = spotExcess ? ['spot', 'on-demand', 'reserved'] : ['on-demand', 'spot', 'reserved'];
  for (const tier of order) {
    const i = firstToRemove(layout, tier);
    if (i >= 0) {
      layout.remove(i);
      return i;
    }
  }
  // Last of all, and only for a hard limit: the nodes of an ending reservation (they add no lasting capacity,
  // so a fleet sized by what it needs never gets here while it needs anything).
  for (let i = 0; i < layout.slots.length; i++) {
    if (removable(layout, i, true)) {
      layout.remove(i);
      return i;
    }
  }
  return undefined;
}
