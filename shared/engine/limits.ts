/**
 * The GPU limit (Karpenter's NodePool `spec.limits` on `nvidia.com/gpu`): the plan never holds more GPUs
 * than `safety.maxGpus`. The fleet shrinks along its placement path (the last nodes added go first, as for
 * the hourly budget) until it fits. As with the budget, the floor the operator configured wins over a limit
 * that cannot hold it, and the plan says so.
 */
import type { PlacementPath } from './placement-path.ts';
import type { Reasons } from './reasons.ts';

/** GPUs of the layout the path has for `n` nodes. */
export function gpusAt(path: PlacementPath, n: number): number {
  return path.at(n).gpus();
}

export function applyGpuLimit(
  path: PlacementPath,
  x: number,
  lo: number,
  maxGpus: number | undefined,
  reasons: Reasons,
): number {
  if (maxGpus === undefined || gpusAt(path, x) <= maxGpus) return x;
  const before = gpusAt(path, x);
  let n = x;
  while (n > lo && path.reach(n - 1) === n - 1 && gpusAt(path, n) > maxGpus) n--;
  const after = gpusAt(path, n);
  const unmet = after > maxGpus ? ` (the floor of ${lo} node(s) holds ${after} GPUs: the floor wins)` : '';
  return reasons.clip(
    'limit',
    'limit.gpus',
    x,
    n,
    'limits.gpus',
    `${before} GPUs over the limit of ${maxGpus}: ${x} -> ${n} node(s)${unmet}`,
  );
}
