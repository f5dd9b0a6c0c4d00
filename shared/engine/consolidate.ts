/**
 * Replacement consolidation: a serving node replaced by cheaper ones of the same tier when they serve what the
 * plan needs, make-before-break.
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
 * One swap per decision, the one that saves most: one node of pool A out, k >= 0 nodes of a pool B of the same
 * tier in (spot for spot, on-demand for on-demand: the capacity-type mix is the placement's), such that the
 * layout still holds the capacity the plan needs over the lead time (spot at its survival), meets every spot
 * hedge requirement, and keeps B within its growth caps and spread. Then:
 *   - when the layout with the swap serves the demand of now with the nodes that are ready (the B nodes are
 *     there and serving), A's node goes in this decision;
 *   - otherwise A's node stays, and the B nodes the swap needs are kept or launched: a later decision, once
 *     they serve, removes A's node (make-before-break). No state: each decision finds the same swap until it
 *     is done.
 * A swap that launches nodes must pay for its overlap within one time to ready, the horizon over which the
 * plan's need is known: the new nodes bill from their launch and serve a time to ready later, while A's node
 * still runs, so the hourly saving must be at least the launched nodes' price (a replacement that would only
 * pay back over hours of the demand staying low is not made; Karpenter's `Balanced` policy likewise approves
 * only the actions whose savings outweigh their disruption). Nodes already there need no payback. Only
 * serving nodes are replaced (A's nodes ready), never reserved ones (already paid), pinned pools or nodes of
 * an ending reservation, and never onto an offering the fleet has seen fail more (its survival over the lead
 * lower than the replaced node's). The decision runs it only in a steady plan: not within a lead time of a
 * scale-out (the capacity a rise added is for the rise), nor under a limit, floor, freeze, cooldown, budget,
 * notice or operator target. Pure.
 */
import type { Layout } from './layout.ts';
import { spotPoolCap } from './placement-steps.ts';
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
   * A spot offering's survival over the lead time with no loss seen (the prior loss rate's): a swap never goes
   * onto an offering whose survival the fleet has seen fall below both this and the replaced node's.
   */
  priorSurvival?: number;
  /** Whether a swap may launch nodes (false: only swaps onto nodes the fleet has). */
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
}

const eps = (x: number) => 1e-9 * Math.max(1, Math.abs(x));

/** The swap to make and the layout with it, or the plan's layout unchanged. */
export function consolidate(input: ConsolidationInput): { layout: Layout; swap?: Swap } {
  const { final, baseline } = input;
  let best: { swap: Swap; layout: Layout } | undefined;
  for (let a = 0; a < final.slots.length; a++) {
    const A = final.slots[a];
    if (A.tier === 'reserved' || A.pinned || A.ending || final.counts[a] <= A.min) continue;
    // Only a serving node: the node A keeps is one the fleet has, ready (never one this decision launches).
    if (final.counts[a] > baseline.counts[a] || baseline.readyNodes(a) < 1) continue;
    for (let b = 0; b < final.slots.length; b++) {
      const B = final.slots[b];
      if (b === a || B.tier !== A.tier || B.pinned || B.ending || !(B.pool.rpsPerNode > 0)) continue;
      // Never onto an offering the fleet has seen fail more than the prior expects and more than A's: a swap
      // saves money, it does not trade reliability.
      if ((B.survival ?? 1) < Math.min(A.survival ?? 1, input.priorSurvival ?? 1) - 1e-9) continue;
      const found = fewestReplacing(input, a, b);
      if (!found) continue;
      const { layout, add } = found;
      const saving = A.pool.hourlyPrice - add * B.pool.hourlyPrice;
      const launched = Math.max(0, layout.counts[b] - baseline.counts[b]);
      if (!(saving > eps(A.pool.hourlyPrice))) continue;
      if (launched > 0 && input.launch === false) continue;
      if (saving + eps(saving) < launched * B.pool.hourlyPrice) continue;
      const done = layout.readyCapacity() >= input.readyRps - eps(input.readyRps);
      // Make-before-break: A's node stays while the B nodes the swap needs are kept or launched.
      const next = done ? layout : final.clone();
      if (!done) next.set(b, layout.counts[b]);
      if (next.total > input.maxNodes || (input.allowed && !input.allowed(next))) continue;
      const swap: Swap = { from: a, to: b, add, launched, saving, done };
      if (
        !best ||
        saving > best.swap.saving + eps(saving) ||
        (Math.abs(saving - best.swap.saving) <= eps(saving) && launched < best.swap.launched)
      )
        best = { swap, layout: next };
    }
  }
  return best ? { layout: best.layout, swap: best.swap } : { layout: final };
}

/** The layout with one node of slot `a` out and the fewest nodes of slot `b` in that holds what the plan needs. */
function fewestReplacing(input: ConsolidationInput, a: number, b: number): { layout: Layout; add: number } | undefined {
  const { final, baseline } = input;
  const B = final.slots[b];
  const layout = final.clone();
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
    const enough = layout.capacity() >= input.requiredRps - eps(input.requiredRps);
    if (enough && (!input.hedge || meets(layout, input.hedge.reqs, input.hedge.warmRps))) return { layout, add };
    // More B nodes cannot pay for themselves once they cost as much as the node they replace.
    if ((add + 1) * B.pool.hourlyPrice >= final.slots[a].pool.hourlyPrice) return undefined;
  }
}
