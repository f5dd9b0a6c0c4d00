/**
 * The placement of every fleet size from one baseline: the sequence of nodes `addOne` adds above it and
 * `removeOne` removes below it, extended lazily. The layout for `n` nodes is the baseline plus the first
 * adds (or minus the first removals), so capacity and cost are monotone in `n` and the demand conversion,
 * the budget cut and the final placement all agree on which nodes a count means.
 */
import type { Layout } from './layout.ts';
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
        const pool = this.up.slots[step.index].pool;
        this.adds.push(step.index);
        this.addModes.push(step.mode);
        this.upCapacity.push(this.upCapacity[this.adds.length - 1] + Math.max(0, pool.rpsPerNode));
        this.upCost.push(this.upCost[this.adds.length - 1] + pool.hourlyPrice);
      }
    }
    while (n < this.down.total && !this.downDone) {
      const i = removeOne(this.down);
      if (i === undefined) this.downDone = true;
      else {
        const pool = this.down.slots[i].pool;
        this.removes.push(i);
        this.downCapacity.push(this.downCapacity[this.removes.length - 1] - Math.max(0, pool.rpsPerNode));
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
    let n = this.base;
    if (this.capacityAt(n) >= rps) {
      while (n > 0 && this.reach(n - 1) === n - 1 && this.capacityAt(n - 1) >= rps) n--;
      return { nodes: n, short: false };
    }
    while (this.reach(n + 1) === n + 1) {
      n++;
      if (this.capacityAt(n) >= rps) return { nodes: n, short: false };
    }
    return { nodes: n, short: true };
  }
}
