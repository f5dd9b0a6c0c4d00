/**
 * Offering backoffs in force for a decision: the state's (until they lapse) plus those this decision
 * records — interrupted offerings (interruptions.ts) and pools whose launch failed for capacity (in one zone
 * when the cloud names it).
 */
import type { Fleet, Pool } from '../domain/types.ts';
import { zoneInPool } from '../domain/zones.ts';
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
    // The zone as the pool writes it (Azure `eastus-az2` is the pool's `2`); a zone the pool does not have says
    // nothing of its own zones: the whole pool is backed off.
    const zone =
      f.zone === undefined
        ? undefined
        : zoneInPool(pool.cloud, f.zone, pool.location.zones, undefined, pool.location.region);
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
 * How the backoffs in force hold a pool back: `whole` when it may not grow at all (a backoff without a zone,
 * any backoff of a pool of one zone, or every one of its zones backed off), else the zones it may not grow in.
 */
export function poolBackoff(
  pool: Pool,
  backoffs: readonly OfferingBackoff[],
  now: number,
): { whole?: string; zones: Set<string> } {
  const zones = new Set<string>();
  for (const b of backoffs) {
    if (b.poolId !== pool.id || !inForce(b.until, now)) continue;
    if (!b.zone || pool.location.zones.length <= 1)
      return { whole: `offering backed off until ${b.until} (${b.reason})`, zones };
    if (pool.location.zones.includes(b.zone)) zones.add(b.zone);
  }
  if (zones.size > 0 && zones.size >= pool.location.zones.length) return { whole: 'all zones backed off', zones };
  return { zones };
}

/**
 * The pools a launch failure of this decision left without a zone to launch in: their unlaunched nodes are
 * not coming (no launch grace, `shortfall.ts`). `backoffs` are those in force with this decision's marks
 * (`launchFailureMarks`: a failure naming no zone, or one the pool does not have, backs off the whole pool).
 * A pool that may still grow in a zone keeps its launches: the group launches there instead (Auto Scaling's
 * default `balanced-best-effort` capacity distribution strategy: "If launches fail in an Availability Zone,
 * Auto Scaling will attempt to launch in another healthy Availability Zone instead", API reference,
 * AvailabilityZoneDistribution).
 */
export function launchStopped(
  failures: ReadonlyArray<{ poolId: string }>,
  fleet: Fleet,
  backoffs: readonly OfferingBackoff[],
  now: number,
): Set<string> {
  const out = new Set<string>();
  for (const f of failures) {
    const pool = fleet.pools.find((p) => p.id === f.poolId);
    if (pool && poolBackoff(pool, backoffs, now).whole) out.add(pool.id);
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
