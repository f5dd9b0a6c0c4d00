/**
 * Warm capacity in the SLO sizing: what running capacity a fleet with warm pools still needs, how many warm
 * nodes it keeps, and which warm nodes resume now.
 *
 * A node asked for now serves after its time to ready (a cold launch, ~10 minutes) or after its pool's
 * `warm.resumeSeconds` (a stopped node, ~2 minutes); the next decision may come one decision interval
 * later. So, at the availability target (headroom.ts, one model over two horizons):
 *
 *   cold lead    = time to ready + decision interval: the demand that may arrive before a cold launch of the
 *                  next decision serves, `cold` = headroom(demand, history, cold lead);
 *   warm lead    = decision interval + resume time: before a warm node resumed by the next decision serves,
 *                  `running` = headroom(demand, history, warm lead);
 *   held         = max(running, cold - warm available): running plus booting capacity covers what may
 *                  come within the warm lead; the warm nodes the fleet has (ready or being prepared, in pools
 *                  that may grow) cover the rest of the cold lead, and cold launches what comes later. The
 *                  forecast is read the same way: its peak within the warm lead for the running capacity, its
 *                  peak within the cold lead for running plus warm.
 *
 * The warm pools are sized (`warmTarget`) for the larger of:
 *   - the demand band: cold - max(running, demand), what warm nodes replace of the running headroom;
 *   - the spot hedge: what the capacity that is not spot lacks when the spot offerings of a loss scenario all
 *     go (spot-risk.ts; the prior scenario covers the first correlated loss before any is seen): a warm node
 *     resumes in about the two minutes an AWS notice gives.
 * A warm node bills its disks (~1% of its running price), and preparing one bills a time to ready at the
 * running price: so a prepared warm node is not given up before the break-even time of a pool (time to ready
 * x running price / disk price: the disk-hours that cost one preparation, ~15 h for a g5.xlarge with 100 GB
 * of gp3), the ski-rental rule: the need is held at its highest for that time, and the warm nodes there are
 * kept up to it, each pool for its own break-even time (its own time to ready, running price and disk price);
 * a pool is refilled (a preparation per node) only up to this decision's own need (warm.ts).
 *
 * Replacements and rises resume warm nodes first (`bridge`): when the capacity serving within a resume time
 * (ready nodes the plan keeps, nodes resuming in warm pools) is short of what the running headroom needs —
 * spot nodes under notice, or demand rising while cold launches boot — ready warm nodes resume at once, on
 * top of the plan's cold launches; the scale-in that follows once the cold nodes serve returns them to the
 * warm pool (warm.ts plans it, each cloud's primitive does it), so a resume costs no new preparation.
 *
 * Pure: no clock, no I/O.
 */
import type { Pool } from '../domain/types.ts';
import type { WarmPolicy } from '../domain/warm.ts';
import { type DemandHistory, type DemandSample, type Headroom, headroom, LEVEL_NOW, type Level } from './headroom.ts';
import type { Layout } from './layout.ts';
import type { PlacementPath } from './placement-path.ts';
import type { HeldNeed, WarmHold } from './types.ts';

export type WarmPool = Pool & { warm: WarmPolicy };

/** A pool that keeps warm nodes, as this decision sees it. */
export interface WarmPoolView {
  pool: WarmPool;
  /** Slot index in the layout. */
  index: number;
  /** Warm nodes ready to resume, and being prepared (observed). */
  ready: number;
  warming: number;
  /** Nodes the pool may still grow by (0 when backed off or full). */
  room: number;
}

/** The fleet's warm pools with throughput, cheapest per request/s running first. */
export function warmPoolsOf(layout: Layout): WarmPoolView[] {
  const out: WarmPoolView[] = [];
  layout.slots.forEach((slot, index) => {
    const pool = slot.pool;
    if (!pool.warm || !(pool.rpsPerNode > 0) || slot.pinned || slot.ending) return;
    out.push({
      pool: pool as WarmPool,
      index,
      ready: Math.max(0, pool.warmObserved?.ready ?? 0),
      warming: Math.max(0, pool.warmObserved?.warming ?? 0),
      room: slot.blocked ? 0 : Math.max(0, slot.growCap - layout.counts[index]),
    });
  });
  return out.sort((a, b) => a.pool.hourlyPrice / a.pool.rpsPerNode - b.pool.hourlyPrice / b.pool.rpsPerNode);
}

export interface WarmSizing {
  coldLeadSeconds: number;
  warmLeadSeconds: number;
  /** The longest resume of the warm pools counted, seconds. */
  resumeSeconds: number;
  /** Headroom over the cold lead and over the warm lead. */
  cold: Headroom;
  running: Headroom;
  /** The forecast peak within each lead, requests/s (0 without a forecast). */
  coldForecastRps: number;
  warmForecastRps: number;
  /**
   * What the running headroom leaves to warm nodes: max(cold, forecast within the cold lead) - max(running,
   * demand, forecast within the warm lead), requests/s.
   */
  demandBandRps: number;
  /** Warm nodes counted (see `warmCapacityFor`) and their throughput. */
  availableNodes: number;
  availableRps: number;
  /** Capacity (requests/s) running plus booting holds: max(running, cold need - available). */
  heldRps: number;
}

/** The forecast peaks within the cold and the warm lead (requests/s; 0 without a forecast). */
export interface ForecastNeeds {
  coldRps: number;
  warmRps: number;
}

/**
 * Warm capacity (nodes, requests/s) the warm pools hold for `needRps`: per pool the larger of its target for
 * that need and the warm nodes it has (ready or being prepared), within its room. Nodes asked for now are
 * prepared within a time to ready: counted like the cold launches they replace, which boot as long.
 */
export function warmCapacityFor(pools: readonly WarmPoolView[], needRps: number): { nodes: number; rps: number } {
  const { targets } = warmTarget(pools, needRps);
  let nodes = 0;
  let rps = 0;
  for (const v of pools) {
    const n = Math.min(v.room, Math.max(targets.get(v.pool.id) ?? 0, v.ready + v.warming));
    nodes += n;
    rps += n * v.pool.rpsPerNode;
  }
  return { nodes, rps };
}

/**
 * The two horizons of the SLO headroom with warm capacity; undefined without a warm pool. Warm nodes count only
 * in pools that may grow (not backed off, below their max): those there (ready or being prepared) and those
 * the demand band or `heldNeedRps` (a need the pools are refilled to) adds.
 */
export function sizeWithWarm(
  demandRps: number,
  samples: readonly DemandSample[] | DemandHistory,
  availability: number,
  coldLeadSeconds: number,
  intervalSeconds: number,
  demandNowRps: number,
  pools: readonly WarmPoolView[],
  heldNeedRps = 0,
  forecast: ForecastNeeds = { coldRps: 0, warmRps: 0 },
  /** The level both horizons scale (headroom.ts `chooseLevel`). */
  level: Level = LEVEL_NOW,
): WarmSizing | undefined {
  if (pools.length === 0) return undefined;
  const usable = pools.filter((v) => v.room > 0);
  const resumeSeconds = Math.max(
    ...(usable.length ? usable : pools).map((v) => Math.max(0, v.pool.warm.resumeSeconds)),
  );
  const warmLeadSeconds = Math.min(coldLeadSeconds, Math.max(0, intervalSeconds) + resumeSeconds);
  const cold = headroom(demandRps, samples, coldLeadSeconds, availability, level);
  const running = headroom(demandRps, samples, warmLeadSeconds, availability, level);
  const coldNeed = Math.max(cold.rps, forecast.coldRps);
  const demandBandRps = Math.max(0, coldNeed - Math.max(running.rps, demandNowRps, forecast.warmRps));
  const available = warmCapacityFor(pools, Math.max(demandBandRps, heldNeedRps));
  return {
    coldLeadSeconds,
    warmLeadSeconds,
    resumeSeconds,
    cold,
    running,
    coldForecastRps: forecast.coldRps,
    warmForecastRps: forecast.warmRps,
    demandBandRps,
    availableNodes: available.nodes,
    availableRps: available.rps,
    heldRps: Math.max(running.rps, coldNeed - available.rps),
  };
}

/** How long a warm target is held at its highest need before it may fall, seconds (see the file comment). */
export function warmHoldSeconds(pool: WarmPool): number {
  if (!(pool.warm.hourlyPrice > 0)) return Number.POSITIVE_INFINITY;
  return (Math.max(0, pool.timeToReadySeconds) * Math.max(0, pool.hourlyPrice)) / pool.warm.hourlyPrice;
}

/**
 * The held need after this decision: raised at once, lowered only once `holdSeconds` passed since the last raise.
 * A need the no-history prior raised (`prior`) is not a need any demand showed: it stands while the prior does
 * and gives way at once to the first need the history measures (the ski-rental rule weighs a preparation
 * against the disks of a need that may come again; the prior's was a guess the history has now replaced).
 */
export function holdWarmNeed(
  prev: HeldNeed | undefined,
  needRps: number,
  now: number,
  holdSeconds: number,
  prior = false,
): HeldNeed {
  const at = prev ? Date.parse(prev.at) : Number.NaN;
  const need = Math.max(0, needRps);
  const mark = prior ? { prior: true as const } : {};
  if (!prev || !Number.isFinite(at) || need >= prev.rps || now - at >= holdSeconds * 1000 || (prev.prior && !prior)) {
    return { rps: need, at: new Date(now).toISOString(), ...mark };
  }
  return { rps: prev.rps, at: prev.at, ...(prev.prior ? { prior: true as const } : {}) };
}

/**
 * Warm nodes of a pool out on bridges that count as the pool's still (`HeldNeed.out`): those not back yet,
 * for the pool's time to ready since the last went (a refill started later would be ready after they are
 * back, the cold launches they bridge serving by then; past it, a pool still short is refilled).
 */
export function outstanding(hold: HeldNeed | undefined, pool: Pool, now: number): number {
  const out = hold?.out;
  if (!out || !(out.nodes > 0)) return 0;
  const at = Date.parse(out.at);
  return Number.isFinite(at) && now - at < Math.max(0, pool.timeToReadySeconds) * 1000 ? out.nodes : 0;
}

/** The hold with the nodes a bridge resumed now added to each pool's `out` (what is still out counted). */
export function withBridged(
  hold: WarmHold,
  pools: readonly WarmPoolView[],
  resumed: ReadonlyMap<string, number>,
  now: number,
): WarmHold {
  const held: Record<string, HeldNeed> = { ...(hold.pools ?? {}) };
  for (const v of pools) {
    const n = resumed.get(v.pool.id) ?? 0;
    if (!(n > 0)) continue;
    const own = poolHold(hold, v.pool.id) ?? { rps: hold.rps, at: hold.at };
    const nodes = outstanding(own, v.pool, now) + n;
    held[v.pool.id] = { ...own, out: { nodes, at: new Date(now).toISOString() } };
  }
  return { ...hold, pools: held };
}

/** A pool's held need in a hold (a hold saved before the per-pool holds applies to every pool). */
export function poolHold(hold: WarmHold | undefined, poolId: string): HeldNeed | undefined {
  if (!hold) return undefined;
  if (hold.pools) return hold.pools[poolId];
  return { rps: hold.rps, at: hold.at };
}

/**
 * The held needs after this decision: each warm pool's own, raised at once and lowered only once its own
 * break-even time (`warmHoldSeconds`) passed since its last raise. Pools not in this decision keep theirs.
 */
export function holdWarmNeeds(
  prev: WarmHold | undefined,
  pools: readonly WarmPoolView[],
  needRps: number,
  now: number,
  /** The need is the no-history prior's (`HeldNeed.prior`). */
  prior = false,
): WarmHold {
  const held: Record<string, HeldNeed> = { ...(prev?.pools ?? {}) };
  for (const v of pools) {
    const before = poolHold(prev, v.pool.id);
    const h = holdWarmNeed(before, needRps, now, warmHoldSeconds(v.pool), prior);
    const out = outstanding(before, v.pool, now) > 0 ? before?.out : undefined;
    held[v.pool.id] = { ...h, ...(before?.kept ? { kept: before.kept } : {}), ...(out ? { out } : {}) };
  }
  let top: HeldNeed = { rps: 0, at: new Date(now).toISOString() };
  for (const v of pools) {
    const h = held[v.pool.id]!;
    if (h.rps > top.rps || (h.rps === top.rps && Date.parse(h.at) > Date.parse(top.at))) top = h;
  }
  return { rps: top.rps, at: top.at, ...(top.prior ? { prior: true as const } : {}), pools: held };
}

/**
 * Warm nodes per pool for the held needs: each pool its share of its own held need (cheapest per request/s
 * first, as `warmTarget`), and the capacity the maxima leave uncovered of the highest.
 */
export function heldWarmTargets(
  pools: readonly WarmPoolView[],
  hold: WarmHold,
): { targets: Map<string, number>; leftRps: number } {
  const targets = new Map<string, number>();
  for (const v of pools) {
    const rps = poolHold(hold, v.pool.id)?.rps ?? hold.rps;
    targets.set(v.pool.id, warmTarget(pools, rps).targets.get(v.pool.id) ?? 0);
  }
  return { targets, leftRps: warmTarget(pools, hold.rps).leftRps };
}

/**
 * Warm nodes per pool for `needRps`, cheapest per request/s running first, each within [warm.min, warm.max];
 * and the capacity the maxima leave uncovered.
 */
export function warmTarget(
  pools: readonly WarmPoolView[],
  needRps: number,
): { targets: Map<string, number>; leftRps: number } {
  const targets = new Map<string, number>();
  let left = Math.max(0, needRps);
  for (const v of pools) {
    const w = v.pool.warm;
    const n = Math.min(w.max, Math.max(w.min, Math.ceil(left / v.pool.rpsPerNode - 1e-9)));
    targets.set(v.pool.id, n);
    left = Math.max(0, left - n * v.pool.rpsPerNode);
  }
  return { targets, leftRps: left };
}

/**
 * Warm nodes to resume now, per pool (on top of the plan's count): the capacity serving within a resume time
 * falls short of `needRps`. Serving soon: the ready nodes the final layout keeps (not those under notice), the nodes booting in
 * warm pools (resumed ones: they serve within a resume time), and the nodes the plan adds to warm pools up to
 * their ready warm nodes (a warm pool's scale-out resumes them first). Only ready warm nodes resume, within
 * each pool's room.
 */
export function bridge(
  final: Layout,
  pools: readonly WarmPoolView[],
  needRps: number,
  /** Nodes leaving each pool (interruption notices): they serve until their notice ends, not beyond. */
  leaving: ReadonlyMap<string, number> = new Map(),
): { nodes: Map<string, number>; shortRps: number; soonRps: number } {
  let soon = 0;
  for (let i = 0; i < final.slots.length; i++) {
    const { pool, notComing = 0 } = final.slots[i];
    const removed = Math.max(0, pool.desired - notComing - final.counts[i], leaving.get(pool.id) ?? 0);
    soon += Math.max(0, Math.min(pool.ready, pool.desired) - removed) * Math.max(0, pool.rpsPerNode);
  }
  const spare = new Map<string, number>();
  for (const v of pools) {
    const p = v.pool;
    const count = final.counts[v.index];
    const notComing = final.slots[v.index].notComing ?? 0;
    const kept = Math.min(count, Math.max(0, p.desired - notComing));
    const booting = Math.max(0, kept - Math.min(p.ready, kept));
    const added = Math.max(0, count - Math.max(0, p.desired - notComing));
    const resumedByAdds = Math.min(added, v.ready);
    soon += (booting + resumedByAdds) * p.rpsPerNode;
    // Room left in the plan's layout itself: the view's room was measured before the placement, whose additions
    // (a reservation filled first, replacements for nodes under notice) `added` does not see when nodes leave.
    const slot = final.slots[v.index];
    const left = slot.blocked ? 0 : Math.max(0, slot.growCap - count);
    spare.set(p.id, Math.max(0, Math.min(v.ready - resumedByAdds, v.room - added, left)));
  }
  const nodes = new Map<string, number>();
  const short = Math.max(0, needRps - soon);
  let left = short;
  for (const v of pools) {
    if (left <= 1e-9) break;
    const n = Math.min(spare.get(v.pool.id) ?? 0, Math.ceil(left / v.pool.rpsPerNode - 1e-9));
    if (n <= 0) continue;
    nodes.set(v.pool.id, n);
    left = Math.max(0, left - n * v.pool.rpsPerNode);
  }
  return { nodes, shortRps: short, soonRps: soon };
}

/**
 * The scale-down hold for nodes that go back to warm pools. The scale-down stabilization window holds the
 * highest recommendation of its last minutes because a node that goes cannot serve again before a new one is
 * ready (issue 10: nodes go only when the headroom and the forecast say they will not be needed before a new
 * one could be ready). A node terminated is back after a cold lead (time to ready + decision interval: the
 * configured window, 900 s in the demo, is that); a node returned to a warm pool after the warm lead
 * (decision interval + resume time, `WarmSizing.warmLeadSeconds`). So the count the shorter window allows is
 * kept only as far as the nodes it takes out beyond `held` (the count the configured window holds) all go
 * back to warm pools with room: returns the lowest count from `held` down to `floor` whose extra removals are
 * all in warm pools, within each pool's room (`warm.max` less its warm nodes and those the scale-in to `held`
 * already returns).
 */
export function warmScaleIn(
  path: PlacementPath,
  baseline: Layout,
  held: number,
  floor: number,
  pools: readonly WarmPoolView[],
): number {
  if (floor >= held) return held;
  const at = path.at(held);
  const room = new Map<number, number>();
  for (const v of pools) {
    const returning = Math.max(0, baseline.counts[v.index] - at.counts[v.index]);
    room.set(v.index, Math.max(0, v.pool.warm.max - v.ready - v.warming - returning));
  }
  let y = held;
  while (y > floor) {
    const next = path.at(y - 1);
    if (next.total !== y - 1) break;
    let ok = true;
    for (let i = 0; i < next.slots.length && ok; i++) {
      const extra = at.counts[i] - next.counts[i];
      if (extra > 0 && extra > (room.get(i) ?? 0)) ok = false;
    }
    if (!ok) break;
    y--;
  }
  return y;
}
