/**
 * The fleet's hard bounds for this decision: [minNodes, maxNodes] of the policy, the floors and ceilings of
 * the active schedule windows, KEDA scale-to-zero, and the pools' own minimums.
 *
 *   - With scale-to-zero (policy, or an active window with `scaleToZero`), the floor is 0 while every input
 *     is at or below its activation threshold, and max(minNodes, 1) once one is above (KEDA: minReplicaCount
 *     0 with the HPA's minimum at 1 while active). With no evidence either way, a fleet at zero stays there.
 *   - A window's floor and ceiling tighten the policy's; when a ceiling falls below a floor, the ceiling wins
 *     (a window that caps spend is the operator's latest word).
 *   - The pools' minimums (and a pinned pool's count) are physical: the floor is at least their sum, and so
 *     is the ceiling.
 */
import type { FleetPolicy } from '../domain/types.ts';
import type { Reasons } from './reasons.ts';
import type { Activity } from './recommend.ts';
import type { WindowEffect } from './schedule.ts';

export interface Bounds {
  lo: number;
  hi: number;
  /** What set each bound, for the explanation of a clip. */
  loBy: string;
  hiBy: string;
}

export function fleetBounds(
  policy: FleetPolicy,
  windows: WindowEffect,
  activity: Activity,
  scaleToZero: boolean,
  current: number,
  poolMins: number,
  reasons: Reasons,
): Bounds {
  let lo = Math.max(0, policy.minNodes);
  let loBy = 'minNodes';
  if (scaleToZero) {
    const atZero = activity === 'inactive' || (activity === 'unknown' && current === 0);
    lo = atZero ? 0 : Math.max(lo, 1);
    loBy = atZero ? 'scale-to-zero' : 'minNodes (active)';
  }
  let hi = policy.maxNodes;
  let hiBy = 'maxNodes';
  if (windows.minNodes !== undefined && windows.minNodes > lo) {
    lo = windows.minNodes;
    loBy = `window ${windows.names.join(', ')}`;
  }
  if (windows.maxNodes !== undefined && windows.maxNodes < hi) {
    hi = windows.maxNodes;
    hiBy = `window ${windows.names.join(', ')}`;
  }
  if (lo > hi) {
    reasons.add('limit', 'limit.conflict', `floor ${lo} (${loBy}) above ceiling ${hi} (${hiBy}): the ceiling wins`);
    lo = hi;
    loBy = hiBy;
  }
  if (poolMins > lo) {
    lo = poolMins;
    loBy = 'pool minimums';
  }
  if (poolMins > hi) {
    reasons.add('limit', 'limit.conflict', `pool minimums (${poolMins}) above ceiling ${hi} (${hiBy}): the pools win`);
    hi = poolMins;
    hiBy = 'pool minimums';
  }
  return { lo, hi, loBy, hiBy };
}
