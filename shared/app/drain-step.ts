/**
 * The drain function's step (`triggers/drain.ts`): a drain handed off by a decision (`handoff.ts`), run apart
 * from the decision's invocation, as Karpenter's termination controller runs apart from its interruption
 * handler.
 *
 * 1. Validate the command against the configuration and what the decision recorded (one consistent read):
 *    the fleet, the pool and the cluster configured; for a notice's drain, the instance among the
 *    interruptions the fleet's state records as handled (its drain planned), its notice handled by the
 *    decision the command names, and not refuted there; for an operator's drain (a node, no instance), the
 *    command listed in the audit record of the decision it names (written before it was published). A
 *    command that fails is rejected with its reason (stored, as a malformed event is) and changes nothing.
 * 2. Wait, the node serving cordoned, until the drain's latest safe start (`startBy`), within this function's
 *    own timeout (`drainStart`).
 * 3. Re-validate: a notice's still handled and not refuted, the node still the instance's; the node still
 *    cordoned (one uncordoned meanwhile, by an operator or for a refuted notice, is left alone: skipped).
 * 4. Drain, then remove the instance (a notice's drain that plans it) under the fleet's lease
 *    (`afterTheLease`, as a decision does for a drain that outlives it), and complete the decision's audit
 *    record with both.
 *
 * Acts once: before the wait, the command's claim is taken (`drain-claim.ts`), which the deciding invocation
 * also takes when it drains a command that may not have reached the bus; a claim done is not acted on again
 * (`not-claimed`, said in the audit record), one another is acting on is waited for within this function's
 * time (then retried), one whose holder died is taken over. The command's id is also the idempotency key (a
 * command published twice is answered once), and a drain run again finds the node empty and the instance
 * removed by the earlier delivery (in the audit record, and the adapters change nothing for an instance
 * already ended); the record keeps each entry of a command once (the amend is keyed by the command and the
 * action).
 */
import { randomUUID } from 'node:crypto';
import { fleetClusters } from '../domain/clusters.ts';
import type { DrainCommandSignal } from '../domain/signals.ts';
import type { CordonDrainAction, RemoveInstanceAction } from '../engine/types.ts';
import type { AppliedAction, AuditRecord, FailedAction, FleetState } from '../state/records.ts';
import type { FleetRead } from '../domain/ports.ts';
import type { HistoryEntry } from '../engine/types.ts';
import { afterTheLease } from './decision.ts';
import type { AppDeps } from './deps.ts';
import { type DrainClaimLost, drainClaim, notClaimedApplied } from './drain-claim.ts';
import { isEntryOf, startDrain } from './execute.ts';
import { classifyFailures, RetryableActionsError } from './outcome.ts';
import { messageOf } from '../domain/errors.ts';

export interface DrainStepResult {
  fleetId: string;
  node: string;
  /** A notice's drain: its instance (an operator's names a node only). */
  instanceId?: string;
  /**
   * How it went: drained (and removed), skipped (with why), failed, or not claimed (another path acts or
   * acted on this command: nothing done here).
   */
  outcome: 'drained' | 'skipped' | 'failed' | 'not-claimed';
  skipped?: string;
  /** With `not-claimed`: who holds the command's claim. */
  claim?: DrainClaimLost;
  removed: boolean;
  applied: AppliedAction[];
  failed: FailedAction[];
}

export type DrainStep = { status: 'rejected'; reason: string; path?: string } | ({ status: 'drain' } & DrainStepResult);

/** Why the fleet's state does not back a notice's command (undefined: it does). */
export function stateRefutes(
  read: Pick<FleetRead<FleetState, HistoryEntry>, 'state' | 'notices'>,
  c: DrainCommandSignal,
): string | undefined {
  if (c.instanceId === undefined || c.poolId === undefined)
    return `command ${c.eventId} names no instance and pool: not a notice's drain`;
  const planned = (read.state.interruptedInstances ?? []).find(
    (i) => i.instanceId === c.instanceId && (i.poolId === undefined || i.poolId === c.poolId),
  );
  if (!planned)
    return `the fleet's state has no drain planned for instance ${c.instanceId} of pool ${c.poolId} (no decision handled its notice)`;
  const notice = (read.notices ?? []).find((n) => n.eventId === c.noticeEventId);
  // A notice recorded with the state (every notice the spot function takes) must be the one decided.
  if (notice) {
    if (!notice.handled) return `notice ${c.noticeEventId} is recorded but no decision has handled it`;
    if (notice.handled.by !== c.decision.eventId)
      return `notice ${c.noticeEventId} was handled by the decision of ${notice.handled.by}, not ${c.decision.eventId}`;
    if (!notice.signal.instanceIds.includes(c.instanceId))
      return `notice ${c.noticeEventId} does not name instance ${c.instanceId}`;
    const refused = notice.handled.refused?.find((r) => r.instanceId === c.instanceId);
    if (refused) return `the cloud refuted the notice for ${c.instanceId}: ${refused.reason}`;
  }
  return undefined;
}

/**
 * Why the decision's audit record does not back an operator's command (undefined: it does): the record must
 * exist, be no dry run, and list this command's handoff of this node in this cluster.
 */
export function auditRefutes(record: AuditRecord | undefined, c: DrainCommandSignal): string | undefined {
  const decision = `decision ${c.decision.eventId} (${c.decision.at})`;
  if (!record) return `the audit record of ${decision} was not found: no decision handed this drain off`;
  if (record.dryRun) return `${decision} was a dry run: it hands nothing off`;
  const listed = record.outcome.applied.some((a) => {
    if (a.action !== 'drain-handoff' || !a.detail || typeof a.detail !== 'object') return false;
    const d = a.detail as { command?: unknown; cluster?: unknown; node?: unknown };
    return d.command === c.eventId && d.cluster === c.cluster && d.node === c.node;
  });
  if (!listed)
    return `the audit record of ${decision} hands off no drain of node ${c.node} in ${c.cluster} as command ${c.eventId}`;
  return undefined;
}

/** What the configuration says against the command (undefined: nothing). */
function configRefutes(deps: AppDeps, c: DrainCommandSignal): { reason: string; path: string } | undefined {
  const fleet = deps.resolved.fleets.find((f) => f.id === c.fleetId);
  if (!fleet) return { reason: `fleet '${c.fleetId}' is not configured`, path: 'detail.fleetId' };
  if (c.poolId !== undefined && !fleet.pools.some((p) => p.id === c.poolId))
    return { reason: `pool '${c.poolId}' is not a pool of fleet '${c.fleetId}'`, path: 'detail.poolId' };
  if (!deps.clouds.cluster(c.cluster))
    return { reason: `cluster '${c.cluster}' is not configured`, path: 'detail.cluster' };
  if (!Number.isFinite(Date.parse(c.deadline)))
    return { reason: 'the deadline is not a time', path: 'detail.deadline' };
  return undefined;
}

async function reject(deps: AppDeps, c: DrainCommandSignal, reason: string, path?: string): Promise<DrainStep> {
  await deps.store.putRejected({
    at: deps.clock().toISOString(),
    eventId: c.eventId,
    fn: 'drain',
    reason,
    ...(path ? { path } : {}),
    raw: c,
  });
  deps.counters?.count('Rejected');
  deps.logger.warn('drain command rejected', { eventId: c.eventId, reason });
  return { status: 'rejected', reason, ...(path ? { path } : {}) };
}

/** The drain step for one command (see the module's comment). */
export async function runDrainCommand(deps: AppDeps, c: DrainCommandSignal): Promise<DrainStep> {
  const bad = configRefutes(deps, c);
  if (bad) return reject(deps, c, bad.reason, bad.path);
  // A notice's drain is backed by the fleet's state, an operator's by the decision's audit record.
  const ofNotice = c.instanceId !== undefined;
  const [read, found] = await Promise.all([
    ofNotice ? deps.store.readFleet(c.fleetId) : undefined,
    deps.store.findAudit(c.fleetId, c.decision.at, c.decision.eventId),
  ]);
  const refuted = read ? stateRefutes(read, c) : auditRefutes(found?.record, c);
  if (refuted) return reject(deps, c, refuted);

  // The command acts once, whichever path runs it: a claim another took is theirs (see the module's comment).
  const claim = drainClaim(deps, { fleetId: c.fleetId, commandId: c.eventId, by: 'drain', wait: true });
  const lost = await claim.take();
  if (lost) return mirrorToSharingFleets(deps, c, await notClaimed(deps, c, lost, found?.key));
  try {
    const step = await drainClaimed(deps, c, found);
    await claim.settle('done');
    return await mirrorToSharingFleets(deps, c, step);
  } catch (e) {
    // A retry (Lambda's redelivery) acts on it again.
    await claim.settle('released').catch(() => undefined);
    throw e;
  }
}

/**
 * An operator's drain is audited under every fleet whose nodes join the node's cluster (ops.ts writes a copy of
 * the decision's record under each): once this step has completed the decision's record, each copy is
 * written again from it, so that every fleet's status and history say how the drain ended, not only that it
 * was handed off. Only the copies there are: a fleet the operator's command did not reach gets none. A copy
 * that cannot be written is a failure of this step (said, not retried: the decision's own record is complete).
 */
async function mirrorToSharingFleets(deps: AppDeps, c: DrainCommandSignal, step: DrainStep): Promise<DrainStep> {
  if (step.status !== 'drain' || c.decision.fn !== 'ops') return step;
  const others = deps.resolved.fleets.filter((f) => f.id !== c.fleetId && fleetClusters(f).includes(c.cluster));
  if (others.length === 0) return step;
  const failed: FailedAction[] = [];
  try {
    const done = await deps.store.findAudit(c.fleetId, c.decision.at, c.decision.eventId);
    if (done) {
      await Promise.all(
        others.map(async (f) => {
          try {
            const copy = await deps.store.findAudit(f.id, c.decision.at, c.decision.eventId);
            if (copy) await deps.store.putAudit({ ...done.record, fleetId: f.id }, copy.key);
          } catch (e) {
            failed.push({ action: `audit-copy ${f.id}`, error: messageOf(e) });
          }
        }),
      );
    }
  } catch (e) {
    failed.push({ action: 'audit-copy', error: messageOf(e) });
  }
  if (failed.length) deps.logger.warn('drain audit copies not written', { eventId: c.eventId, failed });
  return failed.length ? { ...step, failed: [...step.failed, ...failed] } : step;
}

/** This path lost the command's claim: nothing done, said in the log and the decision's audit record. */
async function notClaimed(
  deps: AppDeps,
  c: DrainCommandSignal,
  lost: DrainClaimLost,
  auditKey: string | undefined,
): Promise<DrainStep> {
  const entry = notClaimedApplied(
    lost,
    { ...(c.poolId ? { poolId: c.poolId } : {}), cluster: c.cluster, node: c.node },
    'drain',
  );
  const failed: FailedAction[] = [];
  if (auditKey)
    await deps.store
      .amendAudit(c.fleetId, auditKey, {
        applied: [entry],
        failed: [],
        changed: false,
        keys: [`${c.eventId}#${entry.action}`],
      })
      .catch((e: unknown) => failed.push({ action: 'audit', error: messageOf(e) }));
  deps.logger.info('drain step', {
    eventId: c.eventId,
    fleetId: c.fleetId,
    node: c.node,
    outcome: 'not-claimed',
    heldBy: lost.holder.by,
    done: lost.holder.done,
  });
  return {
    status: 'drain',
    fleetId: c.fleetId,
    node: c.node,
    ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
    outcome: 'not-claimed',
    claim: lost,
    removed: false,
    applied: auditKey ? [entry] : [],
    failed,
  };
}

/** The drain and the removal after it, the command's claim held. */
async function drainClaimed(
  deps: AppDeps,
  c: DrainCommandSignal,
  found: { key: string; record: AuditRecord } | undefined,
): Promise<DrainStep> {
  const audit: AuditRecord = found?.record ?? {
    fleetId: c.fleetId,
    at: c.decision.at,
    eventId: c.decision.eventId,
    trigger: { fn: c.decision.fn, signal: 'interruption', source: c.source },
    dryRun: false,
    paused: false,
    outcome: { status: 'no-change', applied: [], failed: [] },
    notes: [`the audit record of this decision was not found: written by the drain step of command ${c.eventId}`],
  };
  const action: CordonDrainAction = {
    type: 'cordon-drain',
    ...(c.poolId !== undefined ? { poolId: c.poolId } : {}),
    ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
    node: c.node,
    cluster: c.cluster,
    deadline: c.deadline,
    ...(c.startBy ? { startBy: c.startBy } : {}),
    reason: c.reason,
  };
  // Removed by an earlier delivery of this command (the audit record says so): not removed again.
  const removal: RemoveInstanceAction | undefined =
    c.removeReason && c.poolId !== undefined && c.instanceId !== undefined
      ? { type: 'remove-instance', poolId: c.poolId, instanceId: c.instanceId, reason: c.removeReason }
      : undefined;
  const removedBefore = removal !== undefined && audit.outcome.applied.some((a) => isEntryOf(removal, a));
  const removals = removal && !removedBefore ? [removal] : [];
  const cluster = deps.clouds.cluster(c.cluster)!;
  const pending = startDrain(deps, {
    action,
    cluster: c.cluster,
    node: c.node,
    removals,
    // After the wait, before any eviction: the notice still stands and the node is still ours to drain.
    revalidate: async () => {
      if (c.instanceId === undefined) {
        // An operator's node, by its name; one gone is an empty drain.
        const node = (await cluster.listGpuNodes()).find((n) => n.name === c.node);
        if (node && !node.unschedulable) return `node ${c.node} was made schedulable again since the decision`;
        return undefined;
      }
      const [again, node] = await Promise.all([
        deps.store.readFleet(c.fleetId).then((r) => stateRefutes(r, c)),
        cluster.findNodeByInstance(c.instanceId),
      ]);
      if (again) return again;
      // A node gone is an empty drain: its instance's removal follows.
      if (node && node.name !== c.node) return `instance ${c.instanceId} is now node ${node.name}, not ${c.node}`;
      if (node && !node.unschedulable) return `node ${c.node} was made schedulable again since the decision`;
      return undefined;
    },
  });
  const owner = (deps.newId ?? randomUUID)();
  const before = audit.outcome.applied.length;
  const done = await afterTheLease(
    deps,
    { fleetId: c.fleetId, eventId: c.eventId },
    owner,
    audit,
    found?.key ?? '',
    [pending],
    undefined,
    // Other drains of the decision may complete its record at the same time: each appends what it adds, each
    // entry once per command (a redelivery after the amend, its idempotency record not completed, adds none).
    { retryBusyLease: true, appendToAudit: true, amendKey: (a) => `${c.eventId}#${a.action}` },
  );
  const o = pending.settled;
  const removed = done.applied.some((a) => a.action === 'remove-instance');
  const result: DrainStepResult = {
    fleetId: c.fleetId,
    node: c.node,
    ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
    outcome: o?.skipped !== undefined ? 'skipped' : o?.result ? 'drained' : 'failed',
    ...(o?.skipped !== undefined ? { skipped: o.skipped } : {}),
    removed,
    applied: done.audit.outcome.applied.slice(before),
    failed: done.failed,
  };
  deps.logger.info('drain step', { eventId: c.eventId, fleetId: c.fleetId, node: c.node, outcome: result.outcome });
  // A failure a retry can fix (a busy lease, throttling) is rethrown: Lambda delivers the command again, and
  // that delivery drains an empty node and removes what is left to remove.
  const { retryable } = classifyFailures(done.failed);
  if (retryable.length) throw new RetryableActionsError(c.fleetId, retryable);
  return { status: 'drain', ...result };
}
