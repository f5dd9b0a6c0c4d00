/**
 * The spot hedge: the fleet must still serve its demand at the conditional target when the offerings of a
 * loss scenario all go at once (`spot-risk.ts`). Two ways meet it, and the cheaper wins:
 *   - more nodes along the placement (more spot spread over the other zones and clouds, SpotHedge's
 *     over-provisioning);
 *   - a larger on-demand base (the regular nodes the mix keeps before it buys spot): SkyServe/SpotHedge's
 *     dynamic fallback to on-demand, sized for the scenario rather than for every spot node.
 * The spot spread meets it too: the placement puts spot in the cheapest spot pool first, up to the policy's share
 * per zone, so one cloud's spot market may hold all of it (a two-zone pool takes every spot node at a half
 * per zone), and a scenario that loses that market loses all the spot. A tighter share per zone (an even
 * spread over 2, 3, ... of the fleet's spot zones: `spreads`) puts spot on the other markets too, so that what is
 * left in the scenario is spot of another market, at spot prices, rather than on-demand (SpotHedge spreads its
 * spot replicas over zones and clouds for the same reason). Every on-demand base from the policy's up to what
 * the largest requirement needs in regular nodes alone is tried with every spread, each with the fewest nodes
 * that meet every scenario; the cheapest layout is kept (the policy's own spread and base win a tie). Warm capacity (stopped
 * nodes that resume in about the time a spot notice gives) counts as capacity that is not spot: with enough
 * of it, neither is needed (warm.ts sizes the warm pools for the scenarios). Running capacity keeps only the
 * share the target needs while the capacity lost is missing: from the drain of the nodes under notice to the
 * warm nodes' resume (`replacementGapSeconds`, `runningShare`). That share differs by market: an AWS node under
 * notice serves most of its 2 minutes, an Azure or GCP one is drained at once. Where it costs nodes (a layout
 * would be cheaper without it), the hedge also tries each spot pool deferred, and each cloud's spot pools
 * together (`Slot.deferred`: filled after every other spot pool with room; `deferrable`), so that spot goes to
 * the markets whose loss the warm nodes cover in time; the warm pools are sized without it (`at(w, false)`),
 * so deferring never asks for more of them.
 */
import type { Pool } from '../domain/types.ts';
import { servedUnderNotice } from './interruptions.ts';
import { Layout, type Slot } from './layout.ts';
import { PlacementPath } from './placement-path.ts';
import { capacityLost, type LossScenario } from './spot-risk.ts';

/** A scenario to survive: the capacity left when its offerings go must serve `rps`. */
export interface HedgeRequirement extends LossScenario {
  target: number;
  rps: number;
  /**
   * What the running capacity left must serve on its own while the capacity lost is missing (requests/s;
   * default 0): from its drain until the warm nodes resumed for it serve (`replacementGapSeconds`).
   */
  runningRps?: number;
  /** How long the capacity lost is missing, seconds (`replacementGapSeconds`). */
  gapSeconds?: number;
}

/**
 * How long the capacity a scenario loses is missing before the warm nodes resumed for it serve, seconds: a
 * warm node serves `resumeSeconds` after the notice, and a node under notice serves, cordoned, until its
 * drain starts (`servedUnderNotice`: its cloud's notice less the pods' grace and a margin, within what the
 * drain function's invocation can wait). The longest over the clouds of the offerings the scenario loses.
 */
export function replacementGapSeconds(
  losses: Readonly<Record<string, number>>,
  pools: readonly Pool[],
  resumeSeconds: number,
): number {
  let gap = 0;
  for (const [key, share] of Object.entries(losses)) {
    if (!(share > 0)) continue;
    const pool = pools.find((p) => p.id === key.slice(0, key.lastIndexOf('/')));
    gap = Math.max(gap, resumeSeconds - (pool ? servedUnderNotice(pool.cloud) : 0));
  }
  return Math.max(0, gap);
}

/**
 * The share of a scenario's need that running capacity keeps on its own (0..1): while the capacity lost is
 * missing (`gapSeconds`), the running capacity left serves alone; its loss then, p x gap / lead of the
 * scenario's need (p: the scenario's probability per lead window), must stay within the target's allowance
 * 1 - availability, so running capacity keeps 1 - (1 - availability) x lead / (p x gap). No gap, no share:
 * the warm nodes serve before the node under notice stops.
 */
export function runningShare(
  probability: number,
  availability: number,
  leadSeconds: number,
  gapSeconds: number,
): number {
  if (!(gapSeconds > 0) || !(probability > 0)) return 0;
  const allowed = 1 - Math.min(1, Math.max(0, availability));
  return Math.min(1, Math.max(0, 1 - (allowed * leadSeconds) / (probability * gapSeconds)));
}

export interface Hedge {
  path: PlacementPath;
  nodes: number;
  /** Regular nodes added to the policy's on-demand base. */
  extraBase: number;
  /** The spot share per zone of the chosen placement (the policy's `maxSpotSharePerZone`, or a tighter spread). */
  spotSharePerZone: number;
  /**
   * The spread counts each spot pool as one failure domain (its zones together): the share is per pool, not
   * per zone (`poolSpreads`).
   */
  perPool?: boolean;
  /** The spot pools placed after every other spot pool (`Slot.deferred`). */
  deferred?: string[];
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

/** Whether the layout meets every requirement with `warmRps` of warm capacity counted. */
export const meets = (layout: Layout, reqs: readonly HedgeRequirement[], warmRps: number): boolean =>
  reqs.every((r) => slack(layout, r, warmRps) >= -1e-9 * Math.max(1, r.rps));

/**
 * The fewest nodes from `from` up whose layout meets every requirement, or undefined within `limit` or below a
 * cost of `bound` USD per hour (a path's cost never falls as it grows, so the search stops there).
 */
function fewest(
  path: PlacementPath,
  from: number,
  limit: number,
  reqs: readonly HedgeRequirement[],
  warmRps: number,
  bound = Number.POSITIVE_INFINITY,
) {
  for (let n = from; n <= limit; n++) {
    if (path.reach(n) !== n || !(path.costAt(n) < bound)) return undefined;
    if (meets(path.at(n), reqs, warmRps)) return n;
  }
  return undefined;
}

/** One placement the hedge tries: a spot spread with an on-demand base, from the fewest nodes serving the demand. */
interface Candidate {
  path: PlacementPath;
  from: number;
  extraBase: number;
  spotSharePerZone: number;
  perPool?: boolean;
  deferred?: string[];
}

/**
 * The hedge's search for one decision: the placements it tries (every spread with every on-demand base, each
 * from the fewest nodes that serve `requiredRps` and at least `fromNodes`), built once; `at(warmRps)` is the
 * cheapest of them that survives every requirement with that much warm capacity counted. A decision with warm
 * pools asks twice, with different warm capacities: all the warm nodes the pools may hold (to size them), then
 * those they will hold (the hedge kept). Both read the same placements (their paths extend lazily and keep
 * what they placed), and an answer is kept per warm capacity.
 */
export class HedgeSearch {
  private readonly candidates: Candidate[] = [];
  private readonly answers = new Map<string, Hedge | undefined>();
  private readonly limit: number;
  private readonly reqs: readonly HedgeRequirement[];

  constructor(
    baseline: Layout,
    path: PlacementPath,
    requiredRps: number,
    fromNodes: number,
    limit: number,
    reqs: readonly HedgeRequirement[],
  ) {
    this.limit = limit;
    this.reqs = reqs;
    if (reqs.length === 0) return;
    const base = baseline.policy.onDemandBase;
    // A base larger than the regular nodes the largest requirement needs on its own cannot pay off.
    const regular = baseline.slots.filter((s) => s.tier !== 'spot' && s.pool.rpsPerNode > 0);
    const smallest = Math.min(...regular.map((s) => s.pool.rpsPerNode));
    const most = Math.max(...reqs.map((r) => r.rps));
    const kMax = Number.isFinite(smallest) ? Math.min(limit, Math.ceil(most / smallest) + 1) : 0;
    // Each spot pool as one failure domain: the same slots, each spot pool's zones counted as one.
    const pooled = baseline.slots.map((s) => (s.tier === 'spot' ? { ...s, zones: 1 } : s));
    const families: Array<{ slots: readonly Slot[]; shares: number[]; perPool: boolean; deferred?: string[] }> = [
      { slots: baseline.slots, shares: spreads(baseline), perPool: false },
      { slots: pooled, shares: poolSpreads(baseline), perPool: true },
    ];
    for (const group of deferrable(baseline.slots.filter(growingSpot))) {
      const ids = new Set(group.map((d) => d.pool.id));
      families.push({
        slots: baseline.slots.map((s) => (ids.has(s.pool.id) ? { ...s, deferred: true } : s)),
        shares: [baseline.policy.maxSpotSharePerZone],
        perPool: false,
        deferred: [...ids],
      });
    }
    for (const { slots, shares, perPool, deferred } of families) {
      for (const share of shares) {
        for (let k = 0; k <= kMax; k++) {
          const same = !perPool && !deferred && k === 0 && share === baseline.policy.maxSpotSharePerZone;
          const p = same
            ? path
            : new PlacementPath(
                new Layout(
                  slots,
                  { ...baseline.policy, onDemandBase: base + k, maxSpotSharePerZone: share },
                  baseline.counts,
                ),
              );
          const from = Math.max(fromNodes, p.nodesFor(requiredRps).nodes);
          this.candidates.push({
            path: p,
            from,
            extraBase: k,
            spotSharePerZone: share,
            ...(perPool ? { perPool } : {}),
            ...(deferred ? { deferred } : {}),
          });
        }
      }
    }
  }

  /**
   * The cheapest layout that survives every requirement with `warmRps` of warm capacity the fleet can resume
   * now (it counts in every scenario: see `slack`); undefined when no layout within the limit does (the pools
   * cannot hedge it: the plan stays as the demand asks). The policy's own spread and base win a tie.
   * `defer`: a deferred spot pool may be chosen (the plan); without it, as for sizing the warm pools.
   */
  at(warmRps = 0, defer = true): Hedge | undefined {
    const key = `${warmRps}/${defer}`;
    if (this.answers.has(key)) return this.answers.get(key);
    const answer = this.search(warmRps, defer);
    this.answers.set(key, answer);
    return answer;
  }

  private search(warmRps: number, defer: boolean): Hedge | undefined {
    if (this.reqs.length === 0) return undefined;
    let best = this.cheapest(this.reqs, warmRps, false);
    // Deferring a spot pool (its nodes placed after every other spot pool's) only pays where the running share
    // a market's loss asks for costs nodes: where a layout would be cheaper without it.
    if (defer && this.reqs.some((r) => (r.runningRps ?? 0) > 0)) {
      const bound = best ? best.cost - 1e-9 : Number.POSITIVE_INFINITY;
      const free = this.reqs.map((r) => ({ ...r, runningRps: 0 }));
      if (this.cheapest(free, warmRps, false, bound, true)) {
        best = this.cheapest(this.reqs, warmRps, true, bound) ?? best;
      }
    }
    if (!best) return undefined;
    const layout = best.path.at(best.nodes);
    let binding: HedgeRequirement | undefined;
    for (const r of this.reqs) {
      if (!binding || slack(layout, r, warmRps) < slack(layout, binding, warmRps)) binding = r;
    }
    return {
      path: best.path,
      nodes: best.nodes,
      extraBase: best.extraBase,
      spotSharePerZone: best.spotSharePerZone,
      ...(best.perPool ? { perPool: true } : {}),
      ...(best.deferred ? { deferred: best.deferred } : {}),
      binding,
    };
  }

  /**
   * The cheapest candidate (with a deferred spot pool, or without) that meets `reqs` for less than `bound` USD
   * per hour; the first wins a tie. `first`: any such candidate, not the cheapest.
   */
  private cheapest(
    reqs: readonly HedgeRequirement[],
    warmRps: number,
    deferred: boolean,
    bound = Number.POSITIVE_INFINITY,
    first = false,
  ): (Hedge & { cost: number }) | undefined {
    let best: (Hedge & { cost: number }) | undefined;
    for (const c of this.candidates) {
      if ((c.deferred !== undefined) !== deferred) continue;
      // Only a layout cheaper than the best so far can win: each path's search stops at that cost.
      const n = fewest(c.path, c.from, this.limit, reqs, warmRps, best ? best.cost - 1e-9 : bound);
      if (n === undefined) continue;
      const cost = c.path.costAt(n);
      if (!best || cost < best.cost - 1e-9) {
        best = {
          path: c.path,
          nodes: n,
          extraBase: c.extraBase,
          spotSharePerZone: c.spotSharePerZone,
          ...(c.perPool ? { perPool: true } : {}),
          ...(c.deferred ? { deferred: c.deferred } : {}),
          cost,
        };
        if (first) return best;
      }
    }
    return best;
  }
}

/**
 * The spot shares per pool the hedge tries, each spot pool one failure domain (its zones counted as one): an
 * even spread over 2, 3, ... p of the spot pools that may grow (1/2, 1/3, ... 1/p). A zone spread cannot part
 * two pools of two zones each at a few nodes (its per-zone cap rounds up to a node per zone, two per pool),
 * while the correlated losses the hedge plans for take a pool's market whole (the prior: every spot offering
 * of a cloud at once), so a fleet of 2 spot nodes would hold both in one market or buy on-demand instead.
 */
export function poolSpreads(layout: Layout): number[] {
  let pools = 0;
  for (const s of layout.slots) if (growingSpot(s)) pools++;
  const out: number[] = [];
  for (let p = 2; p <= pools; p++) out.push(1 / p);
  return out;
}

/**
 * The sets of spot pools the hedge tries deferred: each pool alone, and each cloud's pools together where it
 * has more than one (the prior loss takes a cloud's spot market whole, so deferring one of its pools would move
 * spot to another pool of the same market). None with fewer than two spot pools, or a cloud holding them all.
 */
function deferrable(spot: readonly Slot[]): Slot[][] {
  if (spot.length < 2) return [];
  const out: Slot[][] = spot.map((s) => [s]);
  const clouds = new Map<string, Slot[]>();
  for (const s of spot) clouds.set(s.pool.cloud, [...(clouds.get(s.pool.cloud) ?? []), s]);
  for (const group of clouds.values()) if (group.length > 1 && group.length < spot.length) out.push(group);
  return out;
}

/** A spot pool the placement may grow (not blocked, not pinned, with throughput). */
const growingSpot = (s: Slot): boolean => s.tier === 'spot' && !s.blocked && !s.pinned && s.pool.rpsPerNode > 0;

/**
 * The spot shares per zone the hedge tries: the policy's `maxSpotSharePerZone`, then each even spread over 2, 3,
 * ... z of the zones the fleet's spot pools may grow in (1/2, 1/3, ... 1/z), where tighter than the policy's.
 * A tighter share never breaks the policy (it is a maximum); the per-zone cap is ceil(share x spot nodes), so
 * 1/z lets no zone hold more than an even share over z zones.
 */
export function spreads(layout: Layout): number[] {
  const own = layout.policy.maxSpotSharePerZone;
  let zones = 0;
  for (const s of layout.slots) if (growingSpot(s)) zones += s.zones;
  const out = [own];
  for (let z = 2; z <= zones; z++) if (1 / z < Math.min(1, own) - 1e-9) out.push(1 / z);
  return out;
}
