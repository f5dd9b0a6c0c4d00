/**
 * The hourly budget cap: the plan never costs more per hour than `safety.hourlyBudgetUsd`.
 *
 * The fleet shrinks along its placement path until it fits: below the baseline that removes the most
 * expensive nodes per unit of throughput first (within the spot mix, see placement-steps.ts), above it the
 * last nodes added, which the placement added cheapest first. The count kept is the largest that fits, so
 * more demand never buys fewer nodes.
 *
 * When even the fleet's floor (its min, window floor, pool minimums) costs more than the budget, the floor
 * wins: availability the operator configured is not given up for a budget that cannot hold it. The plan
 * keeps the floor, says so (`safety.budget-below-min`, `budgetCut.unmet`) and reports it.
 */
import type { PlacementPath } from './placement-path.ts';
import type { Reasons } from './reasons.ts';
import type { BudgetCut } from './types.ts';

const EPSILON = 1e-9;

export interface BudgetResult {
  nodes: number;
  cut?: BudgetCut;
}

export function applyBudget(
  path: PlacementPath,
  x: number,
  lo: number,
  budget: number | undefined,
  reasons: Reasons,
): BudgetResult {
  if (budget === undefined || path.costAt(x) <= budget + EPSILON) return { nodes: x };
  let n = x;
  while (n > lo && path.reach(n - 1) === n - 1 && path.costAt(n) > budget + EPSILON) n--;
  const unmet = path.costAt(n) > budget + EPSILON;
  const before = path.at(x);
  const after = path.at(n);
  const removed: BudgetCut['removed'] = [];
  for (let i = 0; i < before.slots.length; i++) {
    const gone = before.counts[i] - after.counts[i];
    if (gone > 0)
      removed.push({ poolId: before.slots[i].pool.id, nodes: gone, hourlyPrice: before.slots[i].pool.hourlyPrice });
  }
  removed.sort((a, b) => b.hourlyPrice - a.hourlyPrice || (a.poolId < b.poolId ? -1 : 1));
  const cut: BudgetCut = {
    budgetUsd: budget,
    nodesBefore: x,
    nodesAfter: n,
    costBefore: before.cost(),
    costAfter: after.cost(),
    removed,
    unmet,
  };
  const what = removed.map((r) => `${r.nodes} x ${r.poolId} ($${r.hourlyPrice.toFixed(2)}/h)`).join(', ');
  reasons.add(
    'safety',
    'safety.budget',
    `$${cut.costBefore.toFixed(2)}/h over the $${budget.toFixed(2)}/h budget: ${x} -> ${n}${what ? `, removing ${what}` : ''}`,
    {
      before: x,
      after: n,
      clippedBy: 'safety.hourlyBudgetUsd',
    },
  );
  if (unmet) {
    reasons.add(
      'safety',
      'safety.budget-below-min',
      `the floor of ${n} node(s) costs $${cut.costAfter.toFixed(2)}/h, above the budget: the floor is kept`,
    );
  }
  return { nodes: n, cut };
}
