/**
 * Nodes a pool was asked for that are not coming: the cloud accepted the desired count but could not launch
 * them (spot or on-demand capacity short in the pool's zones; EC2 Fleets, Auto Scaling groups and VM scale
 * sets keep the count and retry, silently). Counting them as capacity on its way would leave the demand
 * unserved until someone noticed, so a pool whose nodes are overdue is treated as short of capacity:
 * the missing nodes leave its count (their launch is cancelled), the offering is backed off like an
 * insufficient-capacity error, and the placement puts their replacements elsewhere.
 *
 * Overdue means, per pool:
 *   - when the observation says how many instances exist (`Pool.launched`): desired nodes never launched,
 *     beyond those asked for in the last `LAUNCH_GRACE_SECONDS` (the cloud may not have started them yet);
 *   - otherwise: desired nodes not ready, beyond those asked for within the pool's time to ready plus a
 *     grace (`LATE_GRACE_FRACTION` of it, at least `LAUNCH_GRACE_SECONDS`), read from the fleet's history
 *     of applied per-pool changes — only when that history reaches back past the window (an entry with
 *     per-pool changes at or before its start): without the engine's own record of when the nodes were
 *     asked for, a node not ready yet is taken as booting.
 * A pool the cloud said it could not launch in (a `launch-unsuccessful` notice in this decision: Auto
 * Scaling's EC2 Instance Launch Unsuccessful, EC2 Fleet's failed launch specifications) gets no launch
 * grace: its nodes never launched are not coming, even those asked for a moment ago (the notice comes
 * seconds after the failed launch, inside the grace, which is there only because nothing had said so yet).
 */
import type { Fleet, Pool } from '../domain/types.ts';
import type { Reasons } from './reasons.ts';
import { iso, ms } from './time.ts';
import type { HistoryEntry, MarkOfferingAction } from './types.ts';

/**
 * Seconds a cloud may take to start the instances of a new desired count: a default of this project's, two of
 * the one-minute metric periods the decisions read, not a cloud's figure (each cloud lists the instances of a new
 * desired count as pending within seconds: an Auto Scaling activity, a scale set's or a group's creating VMs).
 */
export const LAUNCH_GRACE_SECONDS = 120;
/**
 * Share of the time to ready a node may be late before it is taken as not coming: a default of this project's.
 * With the demo's 600 s a node asked for and not ready after 750 s is not coming; the Kubernetes Cluster
 * Autoscaler waits 15 minutes (`--max-node-provision-time`, default 15m) before it gives a node group up and
 * scales another, Karpenter 15 minutes for a node to register (its liveness timeout): a little later, where this
 * rule moves the missing nodes elsewhere once the lead a plan was sized for has passed. The time to ready a pool
 * counts is the learned one where its launches took longer (boot-times.ts), so a pool whose launches have shown
 * it slow is not taken as short for being slow.
 */
export const LATE_GRACE_FRACTION = 0.25;

export interface Shortfall {
  /** Nodes not coming, by pool. */
  missing: Map<string, number>;
  marks: MarkOfferingAction[];
}

/** Nodes added to `pool` by applied decisions after `since` (epoch ms). */
function raisedSince(history: readonly HistoryEntry[], fleetId: string, poolId: string, since: number): number {
  let n = 0;
  for (const e of history) {
    if (!e.applied || e.dryRun || (e.fleetId !== undefined && e.fleetId !== fleetId)) continue;
    const at = ms(e.at);
    if (Number.isNaN(at) || at <= since) continue;
    for (const c of e.pools ?? []) if (c.poolId === poolId && c.to > c.from) n += c.to - c.from;
  }
  return n;
}

/** Whether the history records per-pool changes from `since` on: an entry with them at or before it. */
function covers(history: readonly HistoryEntry[], fleetId: string, since: number): boolean {
  return history.some((e) => {
    if (e.dryRun || e.pools === undefined || (e.fleetId !== undefined && e.fleetId !== fleetId)) return false;
    const at = ms(e.at);
    return !Number.isNaN(at) && at <= since;
  });
}

function overdue(
  pool: Pool,
  history: readonly HistoryEntry[],
  fleetId: string,
  now: number,
  launchFailed: boolean,
): number {
  if (pool.launched !== undefined) {
    const unlaunched = pool.desired - Math.max(0, pool.launched);
    if (unlaunched <= 0) return 0;
    if (launchFailed) return unlaunched;
    return Math.max(0, unlaunched - raisedSince(history, fleetId, pool.id, now - LAUNCH_GRACE_SECONDS * 1000));
  }
  const unready = pool.desired - Math.max(0, pool.ready);
  if (unready <= 0) return 0;
  const late = pool.timeToReadySeconds + Math.max(LAUNCH_GRACE_SECONDS, LATE_GRACE_FRACTION * pool.timeToReadySeconds);
  const since = now - late * 1000;
  if (!covers(history, fleetId, since)) return 0;
  return Math.max(0, unready - raisedSince(history, fleetId, pool.id, since));
}

export function launchShortfalls(
  fleet: Fleet,
  history: readonly HistoryEntry[],
  now: number,
  reasons: Reasons,
  /** Pools with a `launch-unsuccessful` notice in this decision. */
  launchFailed: ReadonlySet<string> = new Set(),
): Shortfall {
  const out: Shortfall = { missing: new Map(), marks: [] };
  const until = iso(now + fleet.policy.placement.offeringBackoffSeconds * 1000);
  for (const pool of fleet.pools) {
    // Reserved pools are governed by their reservation (reservations.ts).
    if (pool.capacityType === 'reserved') continue;
    const n = overdue(pool, history, fleet.id, now, launchFailed.has(pool.id));
    if (n <= 0) continue;
    out.missing.set(pool.id, n);
    out.marks.push({ type: 'mark-offering', poolId: pool.id, until, reason: 'insufficient-capacity' });
    reasons.add(
      'placement',
      'placement.short-of-capacity',
      `${pool.id}: ${n} node(s) asked for are ${pool.launched !== undefined ? 'not launched' : 'still not ready'}: ` +
        `short of capacity, placed elsewhere (offering backed off until ${until})`,
      { poolId: pool.id },
    );
  }
  return out;
}
