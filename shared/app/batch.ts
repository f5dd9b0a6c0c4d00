/**
 * A fleet's notices decided together. In a mass reclaim, dozens of notices for one fleet arrive within
 * seconds, each in its own invocation; decided one after the other under the fleet's lease, the last waits
 * for all the decisions before it. Instead, each invocation records its notice with the fleet's state in
 * the same request that tries the lease (`StatePort.enlist`, one unconditional write), and whichever
 * invocation holds the lease decides every notice recorded and not yet handled, its own among them: their
 * replacements are placed in one plan, and the state save that releases the lease marks each notice handled
 * by that decision (with the instances the cloud refuted in it). An invocation whose notice another decision
 * handled stops waiting, writes the notice's own audit record pointing at that decision, and returns its
 * outcome; it decides nothing.
 *
 * Exactly once: a notice is recorded once (`if_not_exists`), handled once (marked in the conditional,
 * versioned state save of the decision that handled it), and a redelivery of its event finds it handled
 * (or, if its own decision handled it, decides again as before: a retry of a failed action). The engine's
 * handled interruptions still keep an instance from being acted on twice.
 */
import type { FleetRead, NoticeHandled, NoticeUpdate, PendingNotice } from '../domain/ports.ts';
import type { InterruptionSignal, Signal } from '../domain/signals.ts';
import { MAX_NOTICE_AGE_MS } from '../engine/plausibility.ts';
import type { HistoryEntry } from '../engine/types.ts';
import { type AuditRecord, type FleetState, LeaseBusyError } from '../state/records.ts';
import { type EarlyCordon, earlyApplied, uncordonRefuted } from './cordon-first.ts';
import type { AppDeps } from './deps.ts';
import type { FleetReads } from './fleet-reads.ts';

/** A handled notice is kept this long (Powertools' idempotency records expire after an hour too). */
export const HANDLED_KEPT_MS = 3600_000;

/**
 * The longest pause between two reads of a waiting notice: shorter than a decision's 500 ms between lease
 * attempts, since the read is small and a mass reclaim's notices wait for the decision before theirs. A
 * documented choice, not a measured figure.
 */
export const NOTICE_POLL_MAX_MS = 200;

export type Enlistment =
  | { held: true; read: FleetRead<FleetState, HistoryEntry> }
  | { held: false; handled: NoticeHandled };

/**
 * Records the notice and waits for the fleet's lease (retrying with backoff, as for any decision, up to
 * `leaseWaitMs`), until either the lease is ours or another decision has handled the notice. A lease expired,
 * or held for this same event by an invocation that never gave it back, is taken over. Throws
 * LeaseBusyError when the wait ends first (the event is retried, and finds its notice recorded).
 */
export async function enlistNotice(
  deps: AppDeps,
  fleetId: string,
  owner: string,
  signal: InterruptionSignal,
  /** Settled with the fleet's state as the first enlistment read it (or not read: it failed). */
  reads?: FleetReads,
): Promise<Enlistment> {
  const ttl = deps.leaseTtlMs ?? 150_000;
  const waitUntil = Date.now() + (deps.leaseWaitMs ?? 10_000);
  const notice = { eventId: signal.eventId, at: deps.clock().toISOString(), signal };
  let delay = 25;
  // Between attempts, a small read says whether the notice was handled and whether the lease is free: the
  // item holds every notice of the fleet, so enlisting again only when the lease is free keeps a burst of
  // waiting invocations from reading it all, many times a second.
  let holder: { owner: string; until: number; eventId?: string } | undefined;
  let attempt = true;
  for (;;) {
    if (attempt) {
      const e = await deps.store.enlist(fleetId, owner, deps.clock(), ttl, notice).then(
        (read) => {
          reads?.settle(fleetId, read.state);
          return read;
        },
        (err: unknown) => {
          reads?.settle(fleetId);
          throw err;
        },
      );
      const mine = e.notices.find((n) => n.eventId === signal.eventId);
      if (mine?.handled && mine.handled.by !== signal.eventId) {
        if (e.held) await deps.store.releaseLease(fleetId, owner).catch(() => undefined);
        return { held: false, handled: mine.handled };
      }
      if (e.held) return { held: true, read: e };
      holder = e.holder;
    }
    if (holder && (holder.until < deps.clock().getTime() || holder.eventId === signal.eventId)) {
      try {
        return { held: true, read: await deps.store.acquireLease(fleetId, owner, deps.clock(), ttl, signal.eventId) };
      } catch (err) {
        if (!(err instanceof LeaseBusyError)) throw err;
      }
    }
    if (Date.now() + delay > waitUntil) throw new LeaseBusyError(fleetId, holder?.owner ?? 'another invocation');
    deps.counters?.count('Retries');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, NOTICE_POLL_MAX_MS);
    const now = await deps.store.noticeStatus(fleetId, signal.eventId);
    if (now.handled && now.handled.by !== signal.eventId) return { held: false, handled: now.handled };
    holder = now.holder;
    attempt = holder === undefined;
  }
}

/**
 * The notices a decision under the lease takes with its own: those recorded, not handled, not its own event's,
 * and not older than a notice can plausibly be.
 */
export function pendingNotices(
  read: FleetRead<FleetState, HistoryEntry>,
  eventId: string,
  now: number,
): PendingNotice[] {
  return (read.notices ?? []).filter(
    (n) => !n.handled && n.eventId !== eventId && Date.parse(n.at) >= now - MAX_NOTICE_AGE_MS,
  );
}

/**
 * What the decision's state save writes of the notices: its own and the ones it took marked handled by it
 * (with the instances refuted in each), and the ones past keeping dropped (handled more than an hour ago, or
 * pending past a notice's plausible age).
 */
export function noticeUpdate(
  read: FleetRead<FleetState, HistoryEntry>,
  taken: readonly PendingNotice[],
  eventId: string,
  handled: Omit<NoticeHandled, 'refused'>,
  refused: ReadonlyArray<{ eventId: string; instanceId: string; reason: string }>,
  now: number,
): NoticeUpdate | undefined {
  const all = read.notices ?? [];
  if (!all.length) return undefined;
  const mark = all.filter((n) => n.eventId === eventId || taken.some((t) => t.key === n.key));
  const drop = all.filter(
    (n) =>
      !mark.includes(n) &&
      (n.handled ? Date.parse(n.handled.at) < now - HANDLED_KEPT_MS : Date.parse(n.at) < now - MAX_NOTICE_AGE_MS),
  );
  return {
    handled: mark.map((n) => {
      const mine = refused.filter((r) => r.eventId === n.eventId);
      return {
        key: n.key,
        handled: {
          ...handled,
          ...(mine.length ? { refused: mine.map(({ instanceId, reason }) => ({ instanceId, reason })) } : {}),
        },
      };
    }),
    ...(drop.length ? { drop: drop.map((n) => n.key) } : {}),
  };
}

/**
 * A notice another decision handled: the nodes this invocation cordoned for it whose instances that decision
 * found refuted are uncordoned (it cannot know of a cordon made after it read the notice), and the notice's
 * own audit record says which decision handled it (`handledBy`, status `batched`) and what was done here.
 */
export async function handledElsewhere(
  deps: AppDeps,
  req: { fn: string; fleetId: string; eventId: string; source: string; signals: readonly Signal[] },
  enlisted: Extract<Enlistment, { held: false }>,
  early: Promise<readonly EarlyCordon[]> | undefined,
): Promise<AuditRecord['outcome']> {
  const { handled } = enlisted;
  const cordons = early ? await early : [];
  const refuted = new Map((handled.refused ?? []).map((r) => [r.instanceId, { reason: r.reason }]));
  const undone = await uncordonRefuted(cordons, refuted, deps);
  const before = earlyApplied(cordons, () => undefined);
  const outcome: AuditRecord['outcome'] = {
    status: 'batched',
    applied: [...before.applied, ...undone.applied],
    failed: undone.failed,
  };
  const audit: AuditRecord = {
    fleetId: req.fleetId,
    at: deps.clock().toISOString(),
    eventId: req.eventId,
    trigger: { fn: req.fn, signal: req.signals.map((s) => s.type).join(','), source: req.source },
    dryRun: false,
    paused: false,
    outcome,
    handledBy: { eventId: handled.by, at: handled.at },
    notes: [
      `decided with the notices of its fleet in the decision of event ${handled.by} at ${handled.at} (its audit record)`,
      ...before.notes,
      ...(handled.refused ?? []).map((r) => `${r.instanceId} refused there: ${r.reason}`),
    ],
  };
  await deps.store.putAudit(audit);
  deps.logger.info('notice decided in another decision', {
    fleetId: req.fleetId,
    eventId: req.eventId,
    by: handled.by,
    at: handled.at,
  });
  return outcome;
}
