/**
 * Offering backoffs in force for a decision: the state's (until they lapse) plus those this decision
 * records — interrupted offerings (interruptions.ts) and pools whose launch failed for capacity (in one zone
 * when the cloud names it).
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
  const out: MarkOfferingAction[] = [];
  for (const f of failures) {
    const pool = fleet.pools.find((p) => p.id === f.poolId);
    if (!pool) continue;
    // A zone the pool does not have says nothing of its own zones: the whole pool is backed off.
    const zone = f.zone !== undefined && pool.location.zones.includes(f.zone) ? f.zone : undefined;
    out.push({
      type: 'mark-offering',
      poolId: pool.id,
      ...(zone ? { zone } : {}),
      until,
      reason: 'insufficient-capacity',
    });
  }
  return out;
}

/**
 * The pools a launch failure of this decision left without a zone to launch in: their unlaunched nodes are
 * not coming (no launch grace, `shortfall.ts`). A failure that names no zone, in a pool of one zone, or in a
 * pool whose every zone is now backed off (the state's backoffs in force and this decision's marks) ends the
 * pool's launches; one in a zone of a pool whose other zones are open does not, since the group launches
 * there instead (Auto Scaling's default `balanced-best-effort` capacity distribution strategy: "If launches
 * fail in an Availability Zone, Auto Scaling will attempt to launch in another healthy Availability Zone
 * instead", API reference, AvailabilityZoneDistribution), and only that zone is backed off.
 */
export function launchStopped(
  failures: ReadonlyArray<{ poolId: string; zone?: string }>,
  fleet: Fleet,
  backoffs: readonly OfferingBackoff[],
  now: number,
): Set<string> {
  const out = new Set<string>();
  for (const f of failures) {
    const pool = fleet.pools.find((p) => p.id === f.poolId);
    if (!pool) continue;
    const zones = pool.location.zones;
    if (!f.zone || zones.length <= 1 || !zones.includes(f.zone)) {
      out.add(pool.id);
      continue;
    }
    const off = new Set(
      backoffs
        .filter((b) => b.poolId === pool.id && inForce(b.until, now))
        .map((b) => b.zone)
        .filter((z) => z !== undefined),
    );
    // A backoff of the whole pool (no zone) ends its launches as well.
    const whole = backoffs.some((b) => b.poolId === pool.id && b.zone === undefined && inForce(b.until, now));
    if (whole || zones.every((z) => off.has(z))) out.add(pool.id);
  }
  return out;
}

export function backoffsInForce(
  state: readonly OfferingBackoff[],
  marks: readonly MarkOfferingAction[],
  now: number,
): OfferingBackoff[] {
  return [...state.filter((b) => inForce(b.until, now)), ...marks];
}
