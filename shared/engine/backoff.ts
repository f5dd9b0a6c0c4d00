/**
 * Offering backoffs in force for a decision: the state's (until they lapse) plus those this decision
 * records — interrupted offerings (interruptions.ts) and pools whose launch failed for capacity.
 */
import type { Fleet } from '../domain/types.ts';
import { inForce, iso } from './time.ts';
import type { MarkOfferingAction, OfferingBackoff } from './types.ts';

export function launchFailureMarks(
  failures: ReadonlyArray<{ poolId: string; zone?: string }>,
  fleet: Fleet,
  now: number,
): MarkOfferingAction[] {
  const until = iso(now + fleet.policy.placement.offeringBackoffSeconds * 1000);
  return failures
    .filter((f) => fleet.pools.some((p) => p.id === f.poolId))
    .map((f) => ({ type: 'mark-offering', poolId: f.poolId, zone: f.zone, until, reason: 'insufficient-capacity' }));
}

export function backoffsInForce(
  state: readonly OfferingBackoff[],
  marks: readonly MarkOfferingAction[],
  now: number,
): OfferingBackoff[] {
  return [...state.filter((b) => inForce(b.until, now)), ...marks];
}
