/**
 * A fleet's placement state: static facts about each pool for this decision (tier, price per unit of
 * throughput, bounds, zones for the spot spread) and the node count of each. Cheap to copy (the counts
 * are one array), so the placement can explore counts without touching the fleet.
 */
import type { Cloud, PlacementPolicy, Pool } from '../domain/types.ts';

export type Tier = 'reserved' | 'on-demand' | 'spot';

export interface Slot {
  pool: Pool;
  tier: Tier;
  /** Lowest count (the pool's min). */
  min: number;
  /** Highest count additions may reach: pool max, reservation room, or the current count when blocked. */
  growCap: number;
  /** USD per hour per request per second (hourlyPrice / rpsPerNode; Infinity without throughput). */
  costPerRps: number;
  /** Zones the spot spread counts for this pool (its zones minus backed-off ones, at least 1). */
  zones: number;
  /** An operator pinned this pool's count: the placement leaves it alone. */
  pinned: boolean;
  /**
   * Its reservation ends soon: the nodes on it stay (already paid, serving until the end), none is added or
   * removed, and their capacity does not count towards what the fleet needs (their replacements do).
   */
  ending?: boolean;
  /** Nodes of the pool's desired count the cloud could not launch (not ready, not coming). */
  notComing?: number;
  /**
   * Nodes of the pool's desired count leaving on a notice (ready until their deadline, then gone): a layout
   * that adds nodes to the pool adds new ones, which serve nothing yet, rather than keeping these.
   */
  leaving?: number;
  /**
   * Expected share of a node's throughput still there after the lead time (spot: its offering's survival,
   * `spot-risk.ts`); 1 when absent.
   */
  survival?: number;
  /** Why it may not grow, for the explanation. */
  blocked?: string;
  /**
   * A spot pool the placement fills after every other spot pool with room, and empties first (the spot
   * hedge's choice: its market's loss costs running capacity the other markets' does not, `spot-hedge.ts`).
   */
  deferred?: boolean;
}

/** A pool's priority (Cluster Autoscaler's priority expander): higher is preferred; default 0. */
export const priorityOf = (slot: Slot): number => slot.pool.priority ?? 0;

export const costPerRps = (pool: Pool): number =>
  pool.rpsPerNode > 0 ? pool.hourlyPrice / pool.rpsPerNode : Number.POSITIVE_INFINITY;

/**
 * Requests per second one node of the slot adds to what the fleet can count on over the lead time: 0 for an
 * ending reservation, a spot node at its expected survival.
 */
export const lastingRps = (slot: Slot): number =>
  slot.ending ? 0 : Math.max(0, slot.pool.rpsPerNode) * Math.min(1, Math.max(0, slot.survival ?? 1));

export class Layout {
  /** Slots sorted by priority (highest first), cost per unit of throughput, then pool id (the placement's order of preference). */
  readonly slots: readonly Slot[];
  readonly policy: PlacementPolicy;
  readonly counts: number[];
  readonly cloudTotals: Map<Cloud, number>;
  total = 0;
  spot = 0;
  reserved = 0;

  constructor(slots: readonly Slot[], policy: PlacementPolicy, counts: readonly number[]) {
    this.slots = slots;
    this.policy = policy;
    this.counts = [...counts];
    this.cloudTotals = new Map();
    for (let i = 0; i < slots.length; i++) this.bump(i, this.counts[i]);
  }

  private bump(i: number, by: number): void {
    const slot = this.slots[i];
    this.total += by;
    if (slot.tier === 'spot') this.spot += by;
    else if (slot.tier === 'reserved') this.reserved += by;
    this.cloudTotals.set(slot.pool.cloud, (this.cloudTotals.get(slot.pool.cloud) ?? 0) + by);
  }

  clone(): Layout {
    return new Layout(this.slots, this.policy, this.counts);
  }

  set(i: number, count: number): void {
    this.bump(i, count - this.counts[i]);
    this.counts[i] = count;
  }

  add(i: number): void {
    this.counts[i]++;
    this.bump(i, 1);
  }

  remove(i: number): void {
    this.counts[i]--;
    this.bump(i, -1);
  }

  cloudRoom(cloud: Cloud): number {
    const cap = this.policy.maxPerCloud?.[cloud];
    return cap === undefined ? Number.POSITIVE_INFINITY : cap - (this.cloudTotals.get(cloud) ?? 0);
  }

  /** Requests per second the layout's nodes serve once ready, without the nodes of ending reservations. */
  capacity(): number {
    let rps = 0;
    for (let i = 0; i < this.slots.length; i++) rps += this.counts[i] * lastingRps(this.slots[i]);
    return rps;
  }

  /**
   * Requests per second served right now by the nodes this layout keeps: per pool, its ready nodes less the
   * nodes the layout takes out of it — counted as ready ones, since a group may end any instance on a
   * scale-in — and less the nodes leaving on a notice, whatever it adds. Nodes the layout adds serve nothing
   * yet.
   */
  readyCapacity(): number {
    let rps = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const { pool, notComing = 0, leaving = 0 } = this.slots[i];
      const removed = Math.max(0, leaving, pool.desired - notComing - this.counts[i]);
      rps += Math.max(0, this.readyNodes(i) - removed) * Math.max(0, pool.rpsPerNode);
    }
    return rps;
  }

  /**
   * Ready nodes slot `i`'s pool has, of those it keeps asking for: its ready nodes, at most its desired count
   * less the nodes not coming (whatever this layout does with them).
   */
  readyNodes(i: number): number {
    const { pool, notComing = 0 } = this.slots[i];
    return Math.max(0, Math.min(pool.ready, pool.desired - notComing));
  }

  cost(): number {
    let usd = 0;
    for (let i = 0; i < this.slots.length; i++) usd += this.counts[i] * this.slots[i].pool.hourlyPrice;
    return usd;
  }

  /** GPUs of the layout's nodes (what the GPU limit, `safety.maxGpus`, counts). */
  gpus(): number {
    let n = 0;
    for (let i = 0; i < this.slots.length; i++) n += this.counts[i] * this.slots[i].pool.gpusPerNode;
    return n;
  }

  indexOf(poolId: string): number {
    return this.slots.findIndex((s) => s.pool.id === poolId);
  }
}

/** Sorts slots into the placement's order of preference: cheapest per unit of throughput, then pool id. */
export function sortSlots(slots: Slot[]): Slot[] {
  return slots.sort(
    (a, b) =>
      priorityOf(b) - priorityOf(a) ||
      a.costPerRps - b.costPerRps ||
      (a.pool.id < b.pool.id ? -1 : a.pool.id > b.pool.id ? 1 : 0),
  );
}
