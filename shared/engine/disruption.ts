/**
 * Disruption budgets, after Karpenter's NodePool `spec.disruption.budgets`: how many nodes a scale-in may
 * take away. Karpenter counts the nodes being disrupted at once; a decision here removes nodes at once and
 * the cloud drains them, so a budget counts the nodes removed by applied scale-ins within its window
 * (`windowSeconds`, default 300 s, the HPA's default scale-down window) plus this decision's.
 *   - `nodes`: a count, or a percentage of the fleet's current nodes rounded up (as Karpenter does);
 *   - several budgets: the most restrictive one wins (as in Karpenter); `nodes: 0` forbids scale-in.
 * Nodes the cloud takes back (spot, reservations) are not a voluntary disruption and are not counted; an
 * operator's manual target is not held by budgets (as with cooldowns).
 */
import type { DisruptionBudget } from '../domain/types.ts';
import { changeInPeriod, type FleetHistory } from './history.ts';
import type { Reasons } from './reasons.ts';

/** The default window of a budget: the HPA's default scale-down stabilization window. */
export const DEFAULT_DISRUPTION_WINDOW_SECONDS = 300;

/** Nodes a budget allows for a fleet of `current` nodes. */
export function budgetNodes(b: DisruptionBudget, current: number): number {
  if (typeof b.nodes === 'number') return b.nodes;
  return Math.ceil((Number.parseFloat(b.nodes) / 100) * current - 1e-9);
}

export function applyDisruptionBudgets(
  current: number,
  x: number,
  budgets: readonly DisruptionBudget[] | undefined,
  history: FleetHistory,
  now: number,
  reasons: Reasons,
): number {
  if (!budgets?.length || x >= current) return x;
  let floor = Number.NEGATIVE_INFINITY;
  let by = '';
  for (const [i, b] of budgets.entries()) {
    const window = b.windowSeconds ?? DEFAULT_DISRUPTION_WINDOW_SECONDS;
    const allowed = budgetNodes(b, current);
    const removed = changeInPeriod(history.disruptions ?? history.scaleDowns, window, now);
    const left = Math.max(0, allowed - removed);
    if (current - left > floor) {
      floor = current - left;
      by = `disruption.budgets[${i}] (${b.nodes} per ${window}s: ${removed} removed, ${left} left)`;
    }
  }
  if (x >= floor) return x;
  return reasons.clip('safety', 'safety.disruption-budget', x, floor, by, `scale-in held at ${floor} by ${by}`);
}
