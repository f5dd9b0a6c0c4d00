/**
 * Where a run's money went, from the World's own billing: each step's cost of each pool (the World's
 * `costUsd`, exact) split over what the pool's nodes were doing at the start of the step:
 *
 * - `running_on_demand`, `running_spot`, `running_reserved`: ready nodes, by the pool's capacity type;
 * - `booting`: cold launches not serving yet (boot, join, image pull, model load: they bill and serve nothing);
 * - `resuming`: warm nodes started again, not serving yet (their resume time);
 * - `draining`: nodes under a spot notice or a reservation's end, until they are gone;
 * - `warm_preparing`: warm nodes being prepared (launched at the instance price until their model is on disk,
 *   then stopped);
 * - `warm_disks`: warm (stopped) nodes, billed their disks only.
 *
 * A step's cost is split in proportion to the node-hours of each kind at the start of the step, at the pool's
 * price for each (the step is the simulation's resolution: a node that changes state within a step is counted
 * in the state it had when the step began). The parts add up to the World's cost exactly.
 */
import type { World } from '../emulators/world.ts';

export const COST_KINDS = [
  'running_on_demand',
  'running_spot',
  'running_reserved',
  'booting',
  'resuming',
  'draining',
  'warm_preparing',
  'warm_disks',
] as const;
export type CostKind = (typeof COST_KINDS)[number];

export type CostByKind = Record<CostKind, number>;

export interface CostBreakdown {
  /** USD by what the nodes were doing (see the file comment); they add up to the run's cost. */
  by_kind: CostByKind;
  /** The same per pool. */
  by_pool: Record<string, CostByKind>;
  /** Warm nodes prepared (launched to be stopped) during the run, per pool: each bills its preparation. */
  warm_preparations: Record<string, number>;
}

function zero(): CostByKind {
  return Object.fromEntries(COST_KINDS.map((k) => [k, 0])) as CostByKind;
}

interface PoolMix {
  instanceCost: number;
  warmCost: number;
  /** Weight of each kind: nodes x their hourly rate. */
  weights: CostByKind;
}

/**
 * Accumulates a run's cost by kind: `open()` at the start of each step (after the controller's call of the
 * previous step), `close()` once the World has advanced to the step's end.
 */
export class CostLedger {
  private readonly byPool = new Map<string, CostByKind>();
  private readonly prepared = new Map<string, number>();
  private readonly seenWarm = new Set<string>();
  private mix = new Map<string, PoolMix>();
  private lastOpen = Number.NEGATIVE_INFINITY;

  private readonly world: World;

  constructor(world: World) {
    this.world = world;
  }

  open(): void {
    const now = this.world.now();
    this.mix = new Map();
    for (const pool of this.world.allPools()) {
      const weights = zero();
      const running: CostKind =
        pool.capacityType === 'spot'
          ? 'running_spot'
          : pool.capacityType === 'reserved'
            ? 'running_reserved'
            : 'running_on_demand';
      const resumeMs = (pool.warm?.resumeSeconds ?? pool.readySeconds) * 1000;
      for (const i of this.world.instancesOf(pool.id)) {
        let kind: CostKind;
        if (i.state === 'terminating') kind = 'draining';
        else if (i.state === 'ready') kind = running;
        else
          kind =
            pool.warm && i.readyAt - i.launchedAt <= resumeMs && resumeMs < pool.readySeconds * 1000
              ? 'resuming'
              : 'booting';
        weights[kind] += pool.hourlyPrice;
      }
      for (const w of this.world.warmOf(pool.id)) {
        if (w.phase === 'warming') {
          weights.warm_preparing += pool.hourlyPrice;
          // A node stopped into the warm pool while still booting keeps its launch time; one launched to be
          // stopped is a preparation.
          if (!this.seenWarm.has(w.id) && w.launchedAt > this.lastOpen) {
            this.prepared.set(pool.id, (this.prepared.get(pool.id) ?? 0) + 1);
          }
        } else weights.warm_disks += pool.warm?.hourlyPrice ?? 0;
        this.seenWarm.add(w.id);
      }
      this.mix.set(pool.id, {
        instanceCost: this.world.costUsd(pool.id) - this.world.warmCostUsd(pool.id),
        warmCost: this.world.warmCostUsd(pool.id),
        weights,
      });
    }
    this.lastOpen = now;
  }

  close(): void {
    for (const pool of this.world.allPools()) {
      const before = this.mix.get(pool.id);
      if (!before) continue;
      const acc = this.byPool.get(pool.id) ?? zero();
      this.byPool.set(pool.id, acc);
      const instanceDelta = this.world.costUsd(pool.id) - this.world.warmCostUsd(pool.id) - before.instanceCost;
      const warmDelta = this.world.warmCostUsd(pool.id) - before.warmCost;
      const w = before.weights;
      split(
        acc,
        instanceDelta,
        w,
        ['running_on_demand', 'running_spot', 'running_reserved', 'booting', 'resuming', 'draining'],
        'booting',
      );
      split(acc, warmDelta, w, ['warm_preparing', 'warm_disks'], 'warm_preparing');
    }
  }

  breakdown(): CostBreakdown {
    const byKind = zero();
    const byPool: Record<string, CostByKind> = {};
    for (const [id, acc] of [...this.byPool].sort(([a], [b]) => a.localeCompare(b))) {
      byPool[id] = { ...acc };
      for (const k of COST_KINDS) byKind[k] += acc[k];
    }
    return { by_kind: byKind, by_pool: byPool, warm_preparations: Object.fromEntries(this.prepared) };
  }
}

/** Adds `delta` to `acc` over `kinds` in proportion to their weights (all to `fallback` when none weighs). */
function split(acc: CostByKind, delta: number, weights: CostByKind, kinds: CostKind[], fallback: CostKind): void {
  if (Math.abs(delta) < 1e-12) return;
  const total = kinds.reduce((s, k) => s + weights[k], 0);
  if (!(total > 0)) {
    acc[fallback] += delta;
    return;
  }
  for (const k of kinds) acc[k] += (delta * weights[k]) / total;
}
