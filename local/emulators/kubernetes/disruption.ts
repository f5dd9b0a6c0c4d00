/**
 * PodDisruptionBudgets as the disruption controller and the eviction subresource apply them.
 * expectedPods counts a Deployment's replicas once (its scale), other pods one each; percentages round
 * up; disruptionsAllowed = currentHealthy - desiredHealthy (never below 0).
 */
import type { Budget, PdbRecord, PodRecord } from './objects.ts';

/** `minAvailable` / `maxUnavailable` against the expected pod count; percentages round up, like the API server. */
export function scaled(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number.parseInt(v, 10) || 0;
}

/** The budget over `pods` (the pods its selector matches). */
export function budgetOf(
  pdb: PdbRecord,
  pods: PodRecord[],
  replicasOf: (deployment: string) => number,
  ready: (p: PodRecord) => boolean,
): Budget {
  let expectedPods = 0;
  const counted = new Set<string>();
  for (const p of pods) {
    if (p.controller?.kind === 'Deployment') {
      if (!counted.has(p.controller.key)) expectedPods += replicasOf(p.controller.key);
      counted.add(p.controller.key);
    } else expectedPods += 1;
  }
  const currentHealthy = pods.filter(ready).length;
  const desiredHealthy =
    pdb.minAvailable !== undefined
      ? scaled(pdb.minAvailable, expectedPods)
      : Math.max(0, expectedPods - scaled(pdb.maxUnavailable ?? 0, expectedPods));
  return {
    expectedPods,
    currentHealthy,
    desiredHealthy,
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
  };
}

/**
 * Whether the budget refuses evicting a pod: a Ready pod needs a disruption allowed; a pod that is not
 * Ready needs the budget healthy under `IfHealthyBudget` (the default), nothing under `AlwaysAllow`.
 */
export function refusesEviction(pdb: PdbRecord, b: Budget, podReady: boolean): boolean {
  if (podReady) return b.disruptionsAllowed <= 0;
  return pdb.unhealthyPodEvictionPolicy !== 'AlwaysAllow' && b.currentHealthy < b.desiredHealthy;
}
