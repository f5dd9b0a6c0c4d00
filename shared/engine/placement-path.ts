/**
 * The placement of every fleet size from one baseline: the sequence of nodes `addOne` adds above it and
 * `removeOne` removes below it, extended lazily. The layout for `n` nodes is the baseline plus the first
 * adds (or minus the first removals), so capacity and cost are monotone in `n` and the demand conversion,
 * the budget cut and the final placement all agree on which nodes a count means.
 */
import { type Layout, lastingRps } from './layout.ts';
import { type AddMode, addOne, removeOne } from './placement-steps.ts';

export class PlacementPath {
  readonly baseline: Layout;
  private readonly up: Layout;
  private readonly down: Layout;
  /** Slot index of each added / removed node, in order. */
  readonly adds: number[] = [];
  readonly addModes: AddMode[] = [];
  readonly removes: number[] = [];
  private upDone = false;
  private downDone = false;
  /** Capacity (rps) and cost (USD/h) after k adds / k removals: prefix sums along the path. */
  private readonly upCapacity: number[];
  private readonly upCost: number[];
  private readonly downCapacity: number[];
  private readonly downCost: number[];

  constructor(baseline: Layout) {
    this.baseline = baseline;
    this.up = baseline.clone();
    this.down = baseline.clone();
    const capacity = baseline.capacity();
    const cost = baseline.cost();
    this.upCapacity = [capacity];
    this.upCost = [cost];
    this.downCapacity = [capacity];
    this.downCost = [cost];
  }

  get base(): number {
    return this.baseline.total;
  }

  /** Extends the path so that `n` is placed if it can be; returns the nearest placeable count. */
  reach(n: number): number {
    while (n > this.up.total && !this.upDone) {
      const step = addOne(this.up);
      if (step === undefined) this.upDone = true;
      else {
        const slot = this.up.slots[step.index];
        const pool = slot.pool;
        this.adds.push(step.index);
        this.addModes.push(step.mode);
        this.upCapacity.push(this.upCapacity[this.adds.length - 1] + lastingRps(slot));
        this.upCost.push(this.upCost[this.adds.length - 1] + pool.hourlyPrice);
      }
    }
    while (n < this.down.total && !this.downDone) {
      const i = removeOne(this.down);
      if (i === undefined) this.downDone = true;
      else {
        const slot = this.down.slots[i];
        const pool = slot.pool;
        this.removes.push(i);
        this.downCapacity.push(this.downCapacity[this.removes.length - 1] - lastingRps(slot));
        this.downCost.push(this.downCost[this.removes.length - 1] - pool.hourlyPrice);
      }
    }
    return Math.min(Math.max(n, this.down.total), this.up.total);
  }

  /** The layout for `n` nodes (clamped to what can be placed). */
  at(n: number): Layout {
    const m = this.reach(n);
    const layout = this.baseline.clone();
    if (m >= this.base) for (let k = 0; k < m - this.base; k++) layout.add(this.adds[k]);
    else for (let k = 0; k < this.base - m; k++) layout.remove(this.removes[k]);
    return layout;
  }

  /** Requests per second the layout for `n` nodes serves. */
  capacityAt(n: number): number {
    const m = this.reach(n);
    return m >= this.base ? this.upCapacity[m - this.base] : this.downCapacity[this.base - m];
  }

  /** USD per hour of the layout for `n` nodes. */
  costAt(n: number): number {
    const m = this.reach(n);
    return m >= this.base ? this.upCost[m - this.base] : this.downCost[this.base - m];
  }

  /**
   * The fewest nodes whose layout serves `rps`, and whether even the largest placeable layout falls short.
   * Walks down from the baseline while capacity stays sufficient, or up until it is.
   */
  nodesFor(rps: number): { nodes: number; short: boolean } {
    // Capacities are sums of per-node figures: compare with a relative tolerance, so that a requirement of
    // exactly k nodes' worth is not rounded up by floating-point error.
    const need = rps - 1e-9 * Math.max(1, Math.abs(rps));
    let n = this.base;
    if (this.capacityAt(n) >= need) {
      while (n > 0 && this.reach(n - 1) === n - 1 && this.capacityAt(n - 1) >= need) n--;
      return { nodes: n, short: false };
    }
    while (this.reach(n + 1) === n + 1) {
      n++;
      if (this.capacityAt(n) >= need) return { nodes: n, short: false };
    }
    return { nodes: n, short: true };
  }

  /**
   * The fewest nodes, at most the baseline's, whose layout keeps serving `rps` right now with the nodes that
   * are ready (see `Layout.readyCapacity`) — or keeps all the ready capacity the baseline has when that is
   * less. A scale-in never goes below it: nodes still booting are not there yet to take the load of the
   * ready nodes it would remove.
   */
  readyFloor(rps: number): number {
    // The tolerance is relative to what must be kept, not to the demand: a demand far above the ready capacity
    // (1e9 times a node's) would otherwise excuse a whole node.
    const keep = Math.min(rps, this.baseline.readyCapacity());
    const need = keep - 1e-9 * Math.max(1, Math.abs(keep));
    const layout = this.baseline.clone();
    let n = this.base;
    while (n > 0 && this.reach(n - 1) === n - 1) {
      layout.remove(this.removes[this.base - n]);
      if (layout.readyCapacity() < need) break;
      n--;
    }
    return n;
  }
}
