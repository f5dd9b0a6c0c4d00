/**
 * What an interruption notice does to the fleet (aws-node-termination-handler / Karpenter interruption
 * handling: a pure map from notice kind to action).
 *
 *   warning, preempt, reservation-interruption — the capacity is taken back at the deadline: the node is
 *     cordoned and drained before it (`cordon-drain`), then removed (`remove-instance`, where the pool's
 *     adapter can end a chosen instance) so its pool does not relaunch in the same offering; its pool leaves
 *     the count it had, the offering is backed off for `offeringBackoffSeconds`
 *     (`mark-offering`), and the placement puts the replacement elsewhere (on-demand as the fallback);
 *   rebalance — the instance is at elevated risk (EC2 rebalance recommendation): the replacement is
 *     launched elsewhere first and the instance removed once it serves (`replace`), no drain deadline; the
 *     offering is backed off too;
 *   maintenance — the VM is rebooted, frozen or redeployed and comes back: drain before the deadline, no
 *     replacement, unless the cloud says it will terminate, stop or delete it (then as a warning, without
 *     backing the offering off: maintenance is not a capacity shortage).
 * A notice read after its node was taken back (`gone`: a spot reclaim read past its deadline, the node no longer
 * in its pool) drains, removes and lowers nothing: its offering is backed off from the deadline and its loss
 * learned (`lostBefore`, less what the pool's shortfall counts already: `lateLosses`).
 * A notice is mapped to its pool by the pool id it carries, else its reservation, else the only pool of the
 * matching capacity type in its zone; an unmapped notice becomes a `report`.
 *
 * When the drain starts: a node under notice keeps serving until shortly before its deadline. It is cordoned
 * at once (nothing new is scheduled on it) and its pods are evicted at the latest safe start (`startBy`): the
 * deadline less the pods' termination grace (`DRAIN_POD_GRACE_SECONDS`) and a margin
 * (`DRAIN_START_MARGIN_SECONDS`). An EC2 Spot notice gives two minutes ("a warning that is issued two minutes
 * before Amazon EC2 stops or terminates your Spot Instance", EC2 User Guide, Spot Instance interruption
 * notices), so the node serves 80 s of it; Azure's Preempt scheduled event (at least 30 s ahead, Azure
 * Scheduled Events) and a GCP Spot VM's preemption (30 s between ACPI G2 Soft Off and G3 Mechanical Off,
 * Compute Engine `Scheduling.skipGuestOsShutdown`) leave no time beyond the grace: those drain at once.
 * Karpenter's interruption controller and aws-node-termination-handler both cordon and drain at the notice;
 * the replacements they start then serve minutes later, and the node's last minute and a half of service
 * is lost with it.
 */
import { MAINTENANCE_ENDS } from '../domain/signals.ts';
import type { Cloud, Pool } from '../domain/types.ts';
import { zoneInPool } from '../domain/zones.ts';
import { DEFAULT_DRAIN_SECONDS, DRAIN_POD_GRACE_SECONDS, DRAIN_START_MARGIN_SECONDS } from './defaults.ts';
import type { Reasons } from './reasons.ts';
import type { InstanceNotice } from './signals.ts';
import { iso, ms } from './time.ts';
import type {
  CordonDrainAction,
  HandledInterruption,
  MarkOfferingAction,
  RemoveInstanceAction,
  ReportAction,
} from './types.ts';

export interface InterruptionEffects {
  /** Nodes leaving each pool (instance removals). */
  leaving: Map<string, number>;
  /** Rebalance notices waiting for their replacement pool. */
  rebalances: Array<{ instanceId: string; poolId: string; eventId: string }>;
  drains: CordonDrainAction[];
  /** Instances ended after their drain (pools whose adapter can end a chosen instance). */
  removals: RemoveInstanceAction[];
  /** Nodes leaving pools whose adapter cannot end a chosen instance: those pools are lowered instead. */
  notRemoved: Map<string, number>;
  marks: MarkOfferingAction[];
  reports: ReportAction[];
  /** Nodes taken back, by pool and zone (what the spot risk learns from). */
  lost: Array<{ poolId: string; zone?: string; nodes: number }>;
  /**
   * Nodes taken back before the decision read their notice (`InstanceNotice.gone`), by pool and zone: their pool's
   * shortfall may count them already (`lateLosses`).
   */
  lostBefore: Array<{ poolId: string; zone?: string; nodes: number }>;
}

/** How long before its deadline a drain must start: the pods' grace and the margin, seconds. */
export const DRAIN_LEAD_SECONDS = DRAIN_POD_GRACE_SECONDS + DRAIN_START_MARGIN_SECONDS;

/**
 * The latest time (ms) a drain ending at `deadline` may start evicting, or undefined when that is not after
 * `now` (the drain starts at once).
 */
export function drainStartBy(deadline: number, now: number): number | undefined {
  const by = deadline - DRAIN_LEAD_SECONDS * 1000;
  return Number.isFinite(by) && by > now ? by : undefined;
}

/**
 * The notice each cloud gives before it takes spot capacity back, seconds: EC2 "a warning that is issued two
 * minutes before Amazon EC2 stops or terminates your Spot Instance" (EC2 User Guide, Spot Instance
 * interruption notices); Azure's Preempt scheduled event, at least 30 s ahead (Azure Scheduled Events); a
 * GCP Spot VM, 30 s between ACPI G2 Soft Off and G3 Mechanical Off (Compute Engine
 * `Scheduling.skipGuestOsShutdown`); a Kubernetes pool's nodes are one of those clouds', taken as the
 * shortest.
 */
export const SPOT_NOTICE_SECONDS: Readonly<Record<Cloud, number>> = { aws: 120, azure: 30, gcp: 30, kubernetes: 30 };

/**
 * How long the function that drains a node under notice may run, seconds: the drain function's Lambda timeout
 * (`stacks/function-specs.ts`; a test checks they agree), to which the decision on the notice hands the drain
 * (shared/app/handoff.ts). The drain waits for its latest safe start within it, keeping its lead and
 * `DRAIN_RECORD_SECONDS` before its end (shared/app/execute.ts `drainStart`).
 */
export const NOTICE_HANDLER_TIMEOUT_SECONDS = 150;
/** What a drain keeps before its invocation's end to record its outcome, seconds (execute.ts). */
export const DRAIN_RECORD_SECONDS = 5;

/**
 * Seconds a node under a spot notice of `cloud` keeps serving, cordoned, after its notice is handled: until
 * its drain starts, the notice less the drain's lead, within what the handler's invocation can wait (the
 * notice taken as handled when it is given; 0 when the notice is no longer than the drain's lead).
 */
export function servedUnderNotice(cloud: Cloud): number {
  const notice = SPOT_NOTICE_SECONDS[cloud] ?? 0;
  const wait = NOTICE_HANDLER_TIMEOUT_SECONDS - DRAIN_RECORD_SECONDS - DRAIN_LEAD_SECONDS;
  return Math.max(0, Math.min(notice - DRAIN_LEAD_SECONDS, wait));
}

function poolOf(notice: InstanceNotice, pools: readonly Pool[]): Pool | undefined {
  if (notice.poolId) return pools.find((p) => p.id === notice.poolId);
  if (notice.reservationIds) {
    const byReservation = pools.filter((p) => p.reservationId && notice.reservationIds?.includes(p.reservationId));
    if (byReservation.length === 1) return byReservation[0];
  }
  if (!notice.zone) return undefined;
  const type =
    notice.kind === 'reservation-interruption' ? 'reserved' : notice.kind === 'maintenance' ? undefined : 'spot';
  // Only pools of the cloud that sent it (or Kubernetes pools, whose nodes run on one): an AWS zone id such as
  // `use1-az1` reads as an Azure zone number.
  const candidates = pools.filter(
    (p) =>
      (notice.cloud === undefined || p.cloud === notice.cloud || p.cloud === 'kubernetes') &&
      zoneInPool(p.cloud, notice.zone as string, p.location.zones, undefined, p.location.region) !== undefined &&
      (type === undefined || p.capacityType === type),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** The cluster a pool's nodes join: the pool's own, else the fleet Deployment's. */
export function clusterOf(pool: Pool | undefined, fallback: string | undefined): { cluster?: string } {
  const name = pool?.tags?.cluster ?? fallback;
  return name ? { cluster: name } : {};
}

export function interruptionEffects(
  notices: readonly InstanceNotice[],
  pools: readonly Pool[],
  backoffSeconds: number,
  now: number,
  reasons: Reasons,
  /** The fleet Deployment's cluster, for pools that name none. */
  cluster?: string,
): InterruptionEffects {
  const fx: InterruptionEffects = {
    leaving: new Map(),
    rebalances: [],
    drains: [],
    removals: [],
    notRemoved: new Map(),
    marks: [],
    reports: [],
    lost: [],
    lostBefore: [],
  };
  const marked = new Map<string, MarkOfferingAction>();
  /**
   * Backs the notice's offering off from `from` (now by default) for `backoffSeconds`, unless that has lapsed;
   * returns its zone as the pool writes it (undefined: the whole pool).
   */
  const mark = (pool: Pool, noticeZone: string | undefined, from = now): string | undefined => {
    // The zone as the pool writes it (Azure `eastus-az2` is the pool's `2`): a backoff under another
    // spelling would match no offering and be ignored. A zone the pool does not know (an AWS zone id with
    // no alias) backs the whole pool off, and says so.
    const zone =
      noticeZone === undefined
        ? undefined
        : zoneInPool(pool.cloud, noticeZone, pool.location.zones, undefined, pool.location.region);
    if (noticeZone !== undefined && zone === undefined)
      reasons.add(
        'placement',
        'placement.zone-unknown',
        `zone ${noticeZone} of the notice is none of ${pool.id}'s zones (${pool.location.zones.join(', ')}): the whole pool is backed off`,
        { poolId: pool.id },
      );
    const key = `${pool.id}/${zone ?? ''}`;
    const until = iso(Math.min(now, from) + backoffSeconds * 1000);
    const earlier = marked.get(key);
    if (earlier) {
      if (until > earlier.until) earlier.until = until;
    } else if (until >= iso(now)) {
      const action: MarkOfferingAction = { type: 'mark-offering', poolId: pool.id, zone, until, reason: 'interrupted' };
      marked.set(key, action);
      fx.marks.push(action);
    }
    return zone;
  };
  const addLost = (list: InterruptionEffects['lost'], pool: Pool, zone: string | undefined) => {
    const lost = list.find((l) => l.poolId === pool.id && l.zone === zone);
    if (lost) lost.nodes++;
    else list.push({ poolId: pool.id, ...(zone ? { zone } : {}), nodes: 1 });
  };
  for (const n of notices) {
    const pool = poolOf(n, pools);
    if (!pool) {
      fx.reports.push({
        type: 'report',
        code: 'interruption.unmapped',
        message: `${n.kind} of instance ${n.instanceId} (event ${n.eventId}) matches no pool of this fleet`,
      });
      continue;
    }
    const deadlineMs = ms(n.deadline);
    const end = Number.isNaN(deadlineMs) ? now + DEFAULT_DRAIN_SECONDS * 1000 : deadlineMs;
    const deadline = iso(end);
    if (n.gone) {
      // Taken back before this decision read the notice: nothing to drain, remove or lower. The offering is
      // backed off from the reclaim (Karpenter's unavailable-offerings cache holds one 3 minutes from the
      // failure), and the loss is learned.
      const zone = mark(pool, n.zone, end);
      addLost(fx.lostBefore, pool, zone);
      reasons.add(
        'placement',
        'placement.interruption-late',
        `instance ${n.instanceId} of ${pool.id} was taken back by ${deadline}, before this decision read its notice: ` +
          `its pool no longer counts it (nothing to drain); ${zone ? `zone ${zone}` : 'the pool'} backed off, the loss learned`,
        { poolId: pool.id, eventId: n.eventId },
      );
      continue;
    }
    const startBy = drainStartBy(end, now);
    // Whether the node goes at the deadline (everything but maintenance the VM comes back from).
    const ends = n.kind !== 'maintenance' || MAINTENANCE_ENDS.has(n.action ?? '');
    if (ends) fx.leaving.set(pool.id, (fx.leaving.get(pool.id) ?? 0) + 1);
    if (n.kind === 'rebalance') {
      fx.rebalances.push({ instanceId: n.instanceId, poolId: pool.id, eventId: n.eventId });
      mark(pool, n.zone);
      reasons.add(
        'placement',
        'placement.rebalance',
        `instance ${n.instanceId} of ${pool.id} at risk: replaced elsewhere before it goes`,
        { poolId: pool.id, eventId: n.eventId },
      );
      continue;
    }
    const reason = `${n.kind} notice ${n.eventId}`;
    fx.drains.push({
      type: 'cordon-drain',
      poolId: pool.id,
      instanceId: n.instanceId,
      ...clusterOf(pool, cluster),
      deadline,
      ...(startBy !== undefined ? { startBy: iso(startBy) } : {}),
      reason,
    });
    if (ends && pool.removable !== false)
      fx.removals.push({ type: 'remove-instance', poolId: pool.id, instanceId: n.instanceId, reason });
    else if (ends) fx.notRemoved.set(pool.id, (fx.notRemoved.get(pool.id) ?? 0) + 1);
    if (n.kind !== 'maintenance') {
      // Lost in the offering the spot risk reads: the zone as the pool writes it, else the whole pool's.
      addLost(fx.lost, pool, mark(pool, n.zone));
    }
    // When its drain starts, and why: the node serves until then.
    const when =
      startBy !== undefined
        ? `cordoned now, it serves until its drain starts by ${iso(startBy)} (the deadline less ${DRAIN_POD_GRACE_SECONDS}s of pod grace and ${DRAIN_START_MARGIN_SECONDS}s of margin)`
        : `cordoned and drained now (${Math.max(0, Math.round((end - now) / 1000))}s left: no more than the pods' grace and margin, ${DRAIN_LEAD_SECONDS}s)`;
    reasons.add(
      'placement',
      'placement.interruption',
      ends
        ? `instance ${n.instanceId} of ${pool.id} is taken back by ${deadline}: ${when}; then removed, and replaced elsewhere now`
        : `instance ${n.instanceId} of ${pool.id} has maintenance by ${deadline}: ${when}; kept`,
      { poolId: pool.id, eventId: n.eventId },
    );
  }
  return fx;
}

/**
 * The losses of notices read after their nodes were taken back (`InterruptionEffects.lostBefore`) that the
 * spot risk does not learn otherwise: a group that could not launch their replacements is short of them, and
 * that shortfall (`missing` less the nodes `taken` before their removal, which it cancels) is learned as the
 * pool's loss already. Per pool, the nodes beyond it, in the zones the notices named.
 */
export function lateLosses(
  lostBefore: InterruptionEffects['lostBefore'],
  missing: ReadonlyMap<string, number>,
  taken: ReadonlyMap<string, number>,
): InterruptionEffects['lost'] {
  const counted = new Map<string, number>();
  for (const [poolId, n] of missing) counted.set(poolId, Math.max(0, n - (taken.get(poolId) ?? 0)));
  const out: InterruptionEffects['lost'] = [];
  for (const l of lostBefore) {
    const already = Math.min(l.nodes, counted.get(l.poolId) ?? 0);
    counted.set(l.poolId, (counted.get(l.poolId) ?? 0) - already);
    if (l.nodes > already) out.push({ ...l, nodes: l.nodes - already });
  }
  return out;
}

/**
 * Nodes still on their way out after a notice an earlier decision handled: their removal was planned
 * (`HandledInterruption.removing`), the observation still shows them (`stillThere`) and their deadline has not
 * passed. Their pool's count keeps them until the removal lowers it, but they serve only until their drain: a
 * later decision counts them as leaving, as the decision that handled the notice did (its replacements are not
 * undone by the next tick). Added to `fx.leaving`, with a reason per pool; returns how many (the fleet's count
 * holds them and their replacements: they are taken out of it once).
 */
export function addStillLeaving(
  fx: InterruptionEffects,
  handled: readonly HandledInterruption[] | undefined,
  stillThere: readonly string[] | undefined,
  pools: readonly Pool[],
  now: number,
  reasons: Reasons,
): number {
  if (!handled?.length || !stillThere?.length) return 0;
  const there = new Set(stillThere);
  const added = new Map<string, number>();
  for (const h of handled) {
    if (!h.removing || h.poolId === undefined || !there.has(h.instanceId)) continue;
    const deadline = ms(h.deadline);
    if (Number.isNaN(deadline) || deadline <= now) continue;
    if (!pools.some((p) => p.id === h.poolId && p.removable !== false)) continue;
    added.set(h.poolId, (added.get(h.poolId) ?? 0) + 1);
  }
  let total = 0;
  for (const [poolId, n] of added) {
    fx.leaving.set(poolId, (fx.leaving.get(poolId) ?? 0) + n);
    total += n;
    reasons.add(
      'placement',
      'placement.still-leaving',
      `${poolId}: ${n} node(s) under a notice handled earlier are still there until their removal: not counted as capacity (replaced then)`,
      { poolId },
    );
  }
  return total;
}

/**
 * Nodes an earlier decision replaced that the cloud took back before their removal lowered their pool's count:
 * their removal was planned (`HandledInterruption.removing`), the observation no longer shows them, their
 * deadline is at most the drain function's timeout (`NOTICE_HANDLER_TIMEOUT_SECONDS`, the invocation that was
 * to remove them) in the past, and their pool is short of what it was asked for (`missing`, of which they are
 * counted at most). The pool's shortfall cancels them; they are not placed again: the fleet's count leaves
 * them out, as their replacements are in it. By pool, with a reason per pool.
 */
export function takenBeforeRemoval(
  handled: readonly HandledInterruption[] | undefined,
  stillThere: readonly string[] | undefined,
  missing: ReadonlyMap<string, number>,
  now: number,
  reasons: Reasons,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!handled?.length || missing.size === 0) return out;
  const there = new Set(stillThere ?? []);
  for (const h of handled) {
    if (!h.removing || h.poolId === undefined || there.has(h.instanceId)) continue;
    const deadline = ms(h.deadline);
    if (Number.isNaN(deadline) || deadline < now - NOTICE_HANDLER_TIMEOUT_SECONDS * 1000) continue;
    const short = missing.get(h.poolId) ?? 0;
    if ((out.get(h.poolId) ?? 0) < short) out.set(h.poolId, (out.get(h.poolId) ?? 0) + 1);
  }
  for (const [poolId, n] of out)
    reasons.add(
      'placement',
      'placement.taken-before-removal',
      `${poolId}: ${n} of the node(s) it is short of were taken back under a notice handled earlier, before their removal: replaced then, not placed again`,
      { poolId },
    );
  return out;
}
