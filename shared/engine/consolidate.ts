/**
 * Replacement consolidation: a serving node replaced by cheaper ones of the same tier (or an on-demand node the
 * capacity-type mix does not want by spot) when they serve what the plan needs, make-before-break.
 *
 * The placement adds nodes along one path (placement-steps.ts): the cheapest per unit of throughput first, so
 * a large spot node (an A100, 97.5 requests/s at $0.73/h) is placed before a small one ($0.30/h for 39) at
 * high demand, and it stays when the demand falls: the scale-in can only remove nodes, and removing the large
 * one would leave too little. What the fleet then pays for is capacity it does not need. Karpenter's
 * consolidation replaces such a node: "if some combination of existing capacity plus a single new cheaper
 * node creation can support all of the pods, then we can launch the new cheaper node and *when it is ready*
 * delete the existing more expensive node" (Karpenter's consolidation design, "Node Replacement"; the
 * disruption controller "pre-spin[s] any replacement nodes ... and wait[s] for them to become ready",
 * Karpenter docs, Concepts / Disruption).
 *
 * Swaps, each the one that saves most on the layout with the swaps before it done: one node of pool A out,
 * k >= 0 nodes of a pool B in, of the same tier (spot for spot, on-demand for on-demand), or on-demand onto
 * spot while the layout holds fewer spot nodes than the capacity-type mix wants, never past it (a scale-out
 * took on-demand for lack of spot, or resumed warm on-demand nodes for a burst: SkyServe/SpotHedge's dynamic
 * fallback goes back to spot once it can, and the hedge's requirements still hold). Each keeps the capacity the
 * plan needs over the lead time (spot at its survival), meets every spot hedge requirement, and keeps B within
 * its growth caps and spread, and its cloud within `maxPerCloud` while A's node and its replacements are both
 * there. Up to 10% of the fleet's nodes per decision, rounded up (Karpenter's default disruption budget,
 * `CONSOLIDATION_NODES_SHARE`). Then, for each:
 *   - when the layout with the swap serves the demand of now with the nodes that are ready (the B nodes are
 *     there and serving), A's node goes in this decision;
 *   - otherwise A's node stays, and the B nodes the swap needs are kept or launched: a later decision, once
 *     they serve, removes A's node (make-before-break). No state: each decision finds the same swaps until
 *     they are done.
 * A swap within a tier launches nothing within a lead time of a scale-out (`launch`: what a rise added is for
 * the rise); on-demand onto spot does: the on-demand node serves until its spot replacement does, so the rise
 * keeps what it added.
 * A swap that launches nodes must pay for its overlap within one time to ready, the horizon over which the
 * plan's need is known: the new nodes bill from their launch and serve a time to ready later, while A's node
 * still runs, so the hourly saving must be at least the launched nodes' price (a replacement that would only
 * pay back over hours of the demand staying low is not made; Karpenter's `Balanced` policy likewise approves
 * only the actions whose savings outweigh their disruption). Nodes already there need no payback. Only
 * serving nodes are replaced (A's nodes ready), never reserved ones (already paid), pinned pools or nodes of
 * an ending reservation, and never onto an offering the fleet has seen fail more than the prior expects and
 * more than the replaced node (its survival over the lead lower than both). The decision runs it only in a plan
 * sized by its need alone that does not grow: not under a limit, floor, freeze, cooldown, budget, notice or
 * operator target, nor while the scale-down stabilization holds more than the need. Pure.
 */
import type { Layout } from './layout.ts';
import { desiredSpot, spotPoolCap } from './placement-steps.ts';
import { type HedgeRequirement, meets } from './spot-hedge.ts';

export interface ConsolidationInput {
  /** The plan's layout. */
  final: Layout;
  /** The fleet's layout now (its counts are the pools' desired counts). */
  baseline: Layout;
  /** Capacity the plan needs over the lead time (requests/s, spot at its survival). */
  requiredRps: number;
  /** What the ready nodes must serve now (requests/s): A's node goes only when the rest does. */
  readyRps: number;
  /** The spot hedge's requirements, and the warm capacity they count. */
  hedge?: { reqs: readonly HedgeRequirement[]; warmRps: number };
  /** The most nodes the plan may hold (rate limits, ceiling). */
  maxNodes: number;
  /**
   * The fewest nodes the plan may hold (its floor: `minNodes`, a schedule window's, the pools' minimums): a swap
   * that puts fewer nodes in than it takes out never takes the plan below it. 0 when absent.
   */
  minNodes?: number;
  /**
   * A spot offering's survival over the lead time with no loss seen (the prior loss rate's): a swap never goes
   * onto an offering whose survival the fleet has seen fall below both this and the replaced node's.
   */
  priorSurvival?: number;
  /**
   * Whether a swap within a tier may launch nodes (false: only swaps onto nodes the fleet has). An on-demand node
   * going back to spot may always launch its replacement: the on-demand node serves until it does.
   */
  launch?: boolean;
  /** A predicate the plan's limits impose on a layout (budget, GPUs): false rejects the swap. */
  allowed?: (layout: Layout) => boolean;
}

export interface Swap {
  /** Slot index of the node replaced, and of the pool replacing it. */
  from: number;
  to: number;
  /** Nodes of `to` the swap needs on top of the plan's, and how many of them are launched (not there). */
  add: number;
  launched: number;
  /** USD per hour saved once done. */
  saving: number;
  /** A's node goes in this decision (the replacements serve); otherwise it waits for them. */
  done: boolean;
  /** Nodes of the decision's layout once this swap (and the ones before it) are in it. */
  total: number;
}

/**
 * The share of a fleet's nodes that one decision may replace: Karpenter's default disruption budget, "If the
 * budgets field is not set, Karpenter will default to one budget with nodes: 10%" (Karpenter docs, Concepts /
 * Disruption, Budgets), rounded up, at least one node.
 */
export const CONSOLIDATION_NODES_SHARE = 0.1;

/** Spot nodes the capacity-type mix wants beyond the layout's (negative: more spot than it wants). */
const spotWanted = (l: Layout): number => desiredSpot(l.total, l.reserved, l.policy) - l.spot;

const eps = (x: number) => 1e-9 * Math.max(1, Math.abs(x));

/**
 * The swaps to make, best first, and the decision's layout with them (the plan's layout unchanged when none).
 * Each swap is chosen on the layout with every swap before it done (`target`), and applied to the decision's
 * layout (`now`) make-before-break: its replacements added, its node removed only when the ready nodes left
 * serve the demand of now.
 */
export function consolidate(input: ConsolidationInput): { layout: Layout; swaps: Swap[] } {
  const { final } = input;
  let target = final.clone();
  let now = final.clone();
  /** Nodes of each slot already swapped out (in `target`): a later swap takes another serving node. */
  const out = final.slots.map(() => 0);
  const swaps: Swap[] = [];
  const most = Math.max(1, Math.ceil(CONSOLIDATION_NODES_SHARE * final.total - 1e-9));
  while (swaps.length < most) {
    const best = bestSwap(input, target, now, out);
    if (!best) break;
    swaps.push(best.swap);
    target = best.target;
    now = best.now;
    out[best.swap.from]++;
  }
  return { layout: now, swaps };
}

function bestSwap(
  input: ConsolidationInput,
  target: Layout,
  now: Layout,
  out: readonly number[],
): { swap: Swap; target: Layout; now: Layout } | undefined {
  const { baseline } = input;
  let best: { swap: Swap; target: Layout; now: Layout } | undefined;
  for (let a = 0; a < target.slots.length; a++) {
    const A = target.slots[a];
    if (A.tier === 'reserved' || A.pinned || A.ending || target.counts[a] <= A.min) continue;
    // Only a serving node: the node A gives up is one the fleet has, ready (never one this decision launches),
    // and not one an earlier swap already gives up.
    if (target.counts[a] > baseline.counts[a] || baseline.readyNodes(a) - out[a] < 1) continue;
    for (let b = 0; b < target.slots.length; b++) {
      const B = target.slots[b];
      if (b === a || B.pinned || B.ending || !(B.pool.rpsPerNode > 0)) continue;
      // Within the tier; or on-demand onto spot while the layout holds fewer spot nodes than the capacity-type
      // mix wants (on-demand a scale-out took for lack of spot, or warm nodes resumed for a burst: SpotHedge's
      // dynamic fallback returns to spot once it can), never past the mix.
      const toSpot = A.tier === 'on-demand' && B.tier === 'spot';
      if (B.tier !== A.tier && !(toSpot && spotWanted(target) > 0)) continue;
      // Never onto an offering the fleet has seen fail more than the prior expects and more than A's: a swap
      // saves money, it does not trade reliability.
      if ((B.survival ?? 1) < Math.min(A.survival ?? 1, input.priorSurvival ?? 1) - 1e-9) continue;
      const found = fewestReplacing(input, target, a, b);
      if (!found) continue;
      const { layout, add } = found;
      if (B.tier !== A.tier && spotWanted(layout) < 0) continue;
      const saving = A.pool.hourlyPrice - add * B.pool.hourlyPrice;
      const launched = Math.max(0, layout.counts[b] - Math.max(baseline.counts[b], target.counts[b]));
      if (!(saving > eps(A.pool.hourlyPrice))) continue;
      if (launched > 0 && !toSpot && input.launch === false) continue;
      if (saving + eps(saving) < launched * B.pool.hourlyPrice) continue;
      // Make-before-break: A's node stays while the B nodes the swap needs are kept or launched.
      const next = now.clone();
      next.set(b, Math.max(now.counts[b], layout.counts[b]));
      const without = next.clone();
      without.remove(a);
      const done = without.readyCapacity() >= input.readyRps - eps(input.readyRps);
      const decided = done ? without : next;
      if (decided.total > input.maxNodes || decided.total < (input.minNodes ?? 0)) continue;
      // The cloud's cap (`maxPerCloud`) holds while both are there: A's node stays beside its replacements until
      // they serve, so a swap within one cloud needs room for them on top of it (never above the cap, or above
      // what the fleet holds there now if that is already more).
      const cloud = B.pool.cloud;
      if (decided.cloudRoom(cloud) < Math.min(0, baseline.cloudRoom(cloud))) continue;
      if (input.allowed && !input.allowed(decided)) continue;
      const swap: Swap = { from: a, to: b, add, launched, saving, done, total: decided.total };
      if (
        !best ||
        saving > best.swap.saving + eps(saving) ||
        (Math.abs(saving - best.swap.saving) <= eps(saving) && launched < best.swap.launched)
      )
        best = { swap, target: layout, now: decided };
    }
  }
  return best;
}

/** `target` with one node of slot `a` out and the fewest nodes of slot `b` in that holds what the plan needs. */
function fewestReplacing(
  input: ConsolidationInput,
  target: Layout,
  a: number,
  b: number,
): { layout: Layout; add: number } | undefined {
  const { baseline } = input;
  const B = target.slots[b];
  const layout = target.clone();
  layout.remove(a);
  // Growth beyond the nodes B has is held by its caps (pool max, reservation room, backoff) and its cloud's room.
  const most = Math.max(baseline.counts[b], B.growCap);
  for (let add = 0; ; add++) {
    if (add > 0) {
      if (layout.counts[b] + 1 > most) return undefined;
      const launching = layout.counts[b] + 1 > baseline.counts[b];
      if (launching && layout.cloudRoom(B.pool.cloud) < 1) return undefined;
      layout.add(b);
      if (launching && B.tier === 'spot' && layout.counts[b] > spotPoolCap(B, layout.spot, layout.policy))
        return undefined;
    }
    const enough =
      layout.capacity() >= input.requiredRps - eps(input.requiredRps) && layout.total >= (input.minNodes ?? 0);
    if (enough && (!input.hedge || meets(layout, input.hedge.reqs, input.hedge.warmRps))) return { layout, add };
    // More B nodes cannot pay for themselves once they cost as much as the node they replace.
    if ((add + 1) * B.pool.hourlyPrice >= target.slots[a].pool.hourlyPrice) return undefined;
  }
}
