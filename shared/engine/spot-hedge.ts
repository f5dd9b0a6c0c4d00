/**
 * The spot hedge: the fleet must still serve its demand at the conditional target when the offerings of a
 * loss scenario all go at once (`spot-risk.ts`). Two ways meet it, and the cheaper wins:
 *   - more nodes along the placement (more spot spread over the other zones and clouds, SpotHedge's
 *     over-provisioning);
 *   - a larger on-demand base (the regular nodes the mix keeps before it buys spot): SkyServe/SpotHedge's
 *     dynamic fallback to on-demand, sized for the scenario rather than for every spot node.
 * Every on-demand base from the policy's up to what the largest requirement needs in regular nodes alone is
 * tried, each with the fewest nodes that meet every scenario; the cheapest layout is kept. Warm capacity (stopped
 * nodes that resume in about the time a spot notice gives) counts as capacity that is not spot: with enough
 * of it, neither is needed (warm.ts sizes the warm pools for the scenarios).
 */
import { Layout } from './layout.ts';
import { PlacementPath } from './placement-path.ts';
import { capacityLost, type LossScenario } from './spot-risk.ts';

/** A scenario to survive: the capacity left when its offerings go must serve `rps`. */
export interface HedgeRequirement extends LossScenario {
  target: number;
  rps: number;
  /**
   * What the running capacity left must serve on its own while warm nodes resume (requests/s; default 0): a
   * node under notice is drained at the notice, so the warm nodes resumed for it serve a resume time later.
   */
  runningRps?: number;
}

export interface Hedge {
  path: PlacementPath;
  nodes: number;
  /** Regular nodes added to the policy's on-demand base. */
  extraBase: number;
  /** The scenario that bound it (least slack at the chosen layout). */
  binding?: HedgeRequirement;
}

/** Throughput that lasts (ending reservations excluded), counted in full: the scenario says what goes. */
function rawCapacity(layout: Layout): number {
  let rps = 0;
  for (let i = 0; i < layout.slots.length; i++) {
    if (!layout.slots[i].ending) rps += layout.counts[i] * Math.max(0, layout.slots[i].pool.rpsPerNode);
  }
  return rps;
}

/**
 * Capacity left in the scenario beyond what it must serve (negative: short), with `warmRps` of warm capacity
 * counted as not spot: resumed when the notices come (an AWS notice gives 2 minutes, a stopped node resumes
 * in about as long), it takes the place of the spot lost.
 */
export function slack(layout: Layout, r: HedgeRequirement, warmRps = 0): number {
  const counts = layout.slots.map((s, i) => ({ pool: s.pool, nodes: layout.counts[i] }));
  const left = rawCapacity(layout) - capacityLost(r.losses, counts);
  return Math.min(left + Math.max(0, warmRps) - r.rps, left - (r.runningRps ?? 0));
}

const meets = (layout: Layout, reqs: readonly HedgeRequirement[], warmRps: number) =>
  reqs.every((r) => slack(layout, r, warmRps) >= -1e-9 * Math.max(1, r.rps));

/** The fewest nodes from `from` up whose layout meets every requirement, or undefined within `limit`. */
function fewest(path: PlacementPath, from: number, limit: number, reqs: readonly HedgeRequirement[], warmRps: number) {
  for (let n = from; n <= limit; n++) {
    if (path.reach(n) !== n) return undefined;
    if (meets(path.at(n), reqs, warmRps)) return n;
  }
  return undefined;
}

/**
 * The cheapest layout that serves `requiredRps` and survives every requirement; undefined when no layout
 * within `limit` nodes does (the pools cannot hedge it: the plan stays as the demand asks).
 */
export function hedge(
  baseline: Layout,
  path: PlacementPath,
  requiredRps: number,
  fromNodes: number,
  limit: number,
  reqs: readonly HedgeRequirement[],
  /** Warm capacity (requests/s) the fleet can resume now: it counts in every scenario (see `slack`). */
  warmRps = 0,
): Hedge | undefined {
  if (reqs.length === 0) return undefined;
  let best: (Hedge & { cost: number }) | undefined;
  const base = baseline.policy.onDemandBase;
  // A base larger than the regular nodes the largest requirement needs on its own cannot pay off.
  const regular = baseline.slots.filter((s) => s.tier !== 'spot' && s.pool.rpsPerNode > 0);
  const smallest = Math.min(...regular.map((s) => s.pool.rpsPerNode));
  const most = Math.max(...reqs.map((r) => r.rps));
  const kMax = Number.isFinite(smallest) ? Math.min(limit, Math.ceil(most / smallest) + 1) : 0;
  for (let k = 0; k <= kMax; k++) {
    const p =
      k === 0
        ? path
        : new PlacementPath(
            new Layout(baseline.slots, { ...baseline.policy, onDemandBase: base + k }, baseline.counts),
          );
    const from = Math.max(fromNodes, p.nodesFor(requiredRps).nodes);
    const n = fewest(p, from, limit, reqs, warmRps);
    if (n === undefined) continue;
    const cost = p.costAt(n);
    if (!best || cost < best.cost - 1e-9) best = { path: p, nodes: n, extraBase: k, cost };
  }
  if (!best) return undefined;
  const layout = best.path.at(best.nodes);
  let binding: HedgeRequirement | undefined;
  for (const r of reqs) if (!binding || slack(layout, r, warmRps) < slack(layout, binding, warmRps)) binding = r;
  return { path: best.path, nodes: best.nodes, extraBase: best.extraBase, binding };
}
