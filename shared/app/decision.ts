/**
 * One fleet decision, end to end, in as few round trips in a row as the data allows:
 *
 * 1. take the fleet's lease (one request, which returns the state and the decision history with it);
 * 2. observe the pools (each pool's describes at once) and read everything else at the same time: metrics,
 *    demand and its history, the forecast's history, the reservations;
 * 3. decide with the engine;
 * 4. execute the plan (unless dry run or paused) from that observation: the nodes that go are cordoned while
 *    the pools grow, then the later stages;
 * 5. record: the next state and the history entry in one conditional write that releases the lease, then
 *    the audit record and the decision's event together;
 * 6. then, outside the lease, drain the cordoned nodes (each until its own deadline) and remove their
 *    instances (briefly under the lease again), and record that too.
 *
 * The lease and the versioned save make two concurrent events for one fleet unable to act on the same stale
 * state. Everything this decides is in the plan: this module reads, executes and records.
 */
import { randomUUID } from 'node:crypto';
import type { InterruptionKind, InterruptionSignal, Signal } from '../domain/signals.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { updateBoots, withLearnedTimeToReady } from '../engine/boot-times.ts';
import { decide } from '../engine/decide.ts';
import { withWarm } from '../engine/warm.ts';
import { type AuditChange, amendedStatus, type FleetRead } from '../domain/ports.ts';
import type { DecisionInput, DecisionState, HistoryEntry, Plan } from '../engine/types.ts';
import { type AppliedAction, type AuditRecord, type FleetState, LeaseBusyError } from '../state/records.ts';
import type { AppDeps } from './deps.ts';
import {
  drainOver,
  drainsOver,
  emptyExecution,
  type ExecutionResult,
  executeActions,
  executePlan,
  startDrain,
} from './execute.ts';
import type { PendingDrain } from './drains.ts';
import { type DrainClaim, drainClaim, notClaimedApplied } from './drain-claim.ts';
import { type DrainCommandOut, drainCommands, handedApplied, refusedApplied, undeliveredCommands } from './handoff.ts';
import { keyId } from '../state/bounded.ts';
import {
  currentDemand,
  currentMetrics,
  type DecisionExtras,
  demandHistory,
  forecastFrom,
  forecastSeries,
  listRegionReservations,
  reservationsOf,
} from './inputs.ts';
import {
  type FleetObservation,
  failureOf,
  observedFailureSignals,
  observedInstance,
  observeFleet,
  type PoolFailure,
} from './observe.ts';
import { checkNotices, prefetchStatuses } from './notices.ts';
import { noticeUpdate, pendingNotices } from './batch.ts';
import { type EarlyCordon, earlyApplied, uncordonRefuted } from './cordon-first.ts';
import { classifyFailures, historyOf, outcomeStatus } from './outcome.ts';

export interface Gather {
  metrics?: boolean;
  demand?: boolean;
  forecast?: boolean;
  reservations?: boolean;
}

export interface DecisionRequest {
  /** The function deciding (`alarm`, `spot-interruption`, ...), for the audit record. */
  fn: string;
  fleetId: string;
  /** The event that triggered it (its id keys idempotency tokens and the audit record). */
  eventId: string;
  source: string;
  signals: Signal[];
  gather: Gather;
  dryRun?: boolean;
  actor?: string;
  reason?: string;
  /**
   * The cordons made on the event's notice ahead of the decision (`cordon-first.ts`), running alongside the
   * lease: the executor does not cordon their nodes again, and the nodes of notices the cloud refutes are
   * uncordoned.
   */
  early?: Promise<readonly EarlyCordon[]>;
  /**
   * The lease, already taken for the decision with the fleet read in the same request (`batch.ts`): the
   * notices recorded with the state and not yet handled are decided with the request's own.
   */
  lease?: { owner: string; read: FleetRead<FleetState, HistoryEntry> };
  /**
   * The drains go to the drain function (`handoff.ts`) when the dependencies say one receives them
   * (`AppDeps.drainStep`): this decision cordons, records and ends.
   */
  handoff?: boolean;
}

export interface DecisionOutcome {
  fleetId: string;
  plan: Plan;
  audit: AuditRecord;
  state: FleetState;
  /** Pools whose growth the cloud refused for capacity: a new decision places their nodes again. */
  refused: string[];
  /** Failures of this decision, the audit record's and the bus event's. */
  failed: PoolFailure[];
}

const HISTORY_LOOKBACK_MS = 60 * 60_000;

function fleetOf(deps: AppDeps, id: string): Fleet {
  const fleet = deps.resolved.fleets.find((f) => f.id === id);
  if (!fleet) throw new Error(`no fleet '${id}' in the configuration`);
  return fleet;
}

async function acquire(
  deps: AppDeps,
  fleetId: string,
  owner: string,
  eventId?: string,
): Promise<FleetRead<FleetState, HistoryEntry>> {
  const waitUntil = Date.now() + (deps.leaseWaitMs ?? 10_000);
  let delay = 25;
  for (;;) {
    try {
      return await deps.store.acquireLease(fleetId, owner, deps.clock(), deps.leaseTtlMs ?? 150_000, eventId);
    } catch (e) {
      if (!(e instanceof LeaseBusyError) || Date.now() + delay > waitUntil) throw e;
      deps.counters?.count('Retries');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
}

/**
 * Fencing without a request per write: the lease is ours until `taken + ttl` on the clock it was taken
 * with, so a write made while less than half of it has gone by (on the application's clock and in real
 * time, whichever says more) is under the lease. Past that, the lease is renewed first, and that throws
 * (LeaseBusyError) once another invocation took it: an invocation held past its lease writes nothing more.
 */
export function leaseCheck(deps: AppDeps, fleetId: string, owner: string): () => Promise<void> {
  const ttl = deps.leaseTtlMs ?? 150_000;
  let taken = deps.clock().getTime();
  let takenReal = performance.now();
  return async () => {
    const held = Math.max(deps.clock().getTime() - taken, performance.now() - takenReal);
    if (held < ttl / 2) return;
    const at = deps.clock();
    const real = performance.now();
    await deps.store.acquireLease(fleetId, owner, at, ttl);
    taken = at.getTime();
    takenReal = real;
  };
}

/**
 * Interruption signals name instances; the engine wants the pool. A notice acts only on instances observed
 * in one of the fleet's pools (the pools list the instances under notice too): each is resolved to the pool
 * and zone the cloud reports for it, whatever pool or zone the notice named. Instances observed nowhere
 * (another group's, a forged or mistyped name such as `__proto__`, an instance already gone) are passed on
 * without pool or zone, so the engine reports them and drains, lowers or backs off nothing for them. Only
 * when the pool the notice names could not be observed in this decision is the notice trusted as it came:
 * an outage of the cloud's API must not swallow a reclaim.
 *
 * One exception, a notice that came late: a spot reclaim (an EC2 warning, an Azure or GCP preemption) read
 * after its deadline, for instances gone from the spot pool its routing names (the forwarder's scale set, the
 * group in the event). The cloud took them back as it announced: an Azure Spot VM is deleted 30 s after its
 * Preempt notice, a GCP one stopped 30 s after its preemption, sooner than a delayed or retried delivery. The
 * notice keeps that pool and its zone, marked `gone`: the engine learns the loss and backs the offering off,
 * and drains, removes or lowers nothing (the pool's count no longer holds them). Before its deadline an
 * instance observed nowhere is still not ours.
 */
function resolveInterruptions(signals: Signal[], obs: FleetObservation, now: number): Signal[] {
  const out: Signal[] = [];
  const unobserved = new Set(obs.failures.map((f) => f.poolId));
  for (const s of signals) {
    if (s.type !== 'interruption') {
      out.push(s);
      continue;
    }
    const byPool = new Map<string, { poolId: string; instanceIds: string[]; zone?: string }>();
    const trusted: string[] = [];
    const gone: string[] = [];
    const notOurs: string[] = [];
    const late = takenBackLate(s, obs, now);
    for (const id of s.instanceIds) {
      const found = observedInstance(obs, id);
      if (found && found.instance.lifecycle !== 'terminated') {
        // One signal per pool and zone: each instance's offering is the one backed off.
        const zone = found.instance.zone ?? s.zone;
        const key = `${found.poolId}\u0000${zone ?? ''}`;
        const group = byPool.get(key) ?? { poolId: found.poolId, instanceIds: [], ...(zone ? { zone } : {}) };
        group.instanceIds.push(id);
        byPool.set(key, group);
      } else if (s.poolId && unobserved.has(s.poolId)) trusted.push(id);
      else if (late) gone.push(id);
      else notOurs.push(id);
    }
    for (const g of byPool.values()) {
      const { zone: _zone, ...rest } = s;
      out.push({ ...rest, instanceIds: g.instanceIds, poolId: g.poolId, ...(g.zone ? { zone: g.zone } : {}) });
    }
    if (trusted.length) out.push({ ...s, instanceIds: trusted });
    if (gone.length) out.push({ ...s, instanceIds: gone, gone: true });
    if (notOurs.length) {
      const { zone: _zone, poolId: _pool, ...rest } = s;
      const split: InterruptionSignal = { ...rest, instanceIds: notOurs };
      out.push(split);
    }
  }
  return out;
}

/** Spot reclaims: the notices whose instances the cloud takes back at the deadline. */
const RECLAIMS: ReadonlySet<InterruptionKind> = new Set<InterruptionKind>(['warning', 'preempt']);

/**
 * Whether the instances of this notice that are gone were taken back as it announced (`resolveInterruptions`):
 * a spot reclaim, read at or after its deadline, naming one of the fleet's spot pools by its routing.
 */
function takenBackLate(s: InterruptionSignal, obs: FleetObservation, now: number): boolean {
  if (!RECLAIMS.has(s.kind) || s.poolId === undefined || s.deadline === undefined) return false;
  const deadline = Date.parse(s.deadline);
  if (Number.isNaN(deadline) || deadline > now) return false;
  return obs.fleet.pools.some((p) => p.id === s.poolId && p.capacityType === 'spot');
}

/**
 * A pool that could not be observed keeps its last known count (the state's `lastKnown`, which the engine's
 * next state keeps up to date) for everything that depends on it: it goes into the decision at the count
 * (desired and ready) last observed, pinned there (min = max), so the engine neither resizes it nor counts
 * its nodes as lost, and the Deployment keeps their replicas. A pool never observed has no last known count:
 * it stays out, and is named to the engine, which then does not scale the Deployment.
 */
export function keepLastKnown(
  obs: FleetObservation,
  configured: Fleet,
  lastKnown: FleetState['lastKnown'],
): { obs: FleetObservation; unobserved: string[] } {
  const pinned: Pool[] = [];
  const unobserved: string[] = [];
  for (const pool of configured.pools) {
    if (obs.fleet.pools.some((p) => p.id === pool.id)) continue;
    const last = Object.hasOwn(lastKnown ?? {}, pool.id) ? lastKnown![pool.id] : undefined;
    if (last) pinned.push({ ...pool, desired: last.desired, ready: last.ready, min: last.desired, max: last.desired });
    else if (pool.kind !== 'k8s-deployment') unobserved.push(pool.id);
  }
  if (!pinned.length) return { obs, unobserved };
  return { obs: { ...obs, fleet: { ...obs.fleet, pools: [...obs.fleet.pools, ...pinned] } }, unobserved };
}

/** What a decision reads besides the pools, read while they are described (nothing here depends on them). */
async function gather(configured: Fleet, req: DecisionRequest, deps: AppDeps, now: Date) {
  const extras: DecisionExtras = { notes: [], failures: [] };
  const [, , , points, reservations] = await Promise.all([
    req.gather.metrics ? currentMetrics(configured, req.signals, deps, now, extras) : undefined,
    req.gather.demand ? currentDemand(configured, deps, now, extras) : undefined,
    req.gather.demand ? demandHistory(configured, deps, now, extras) : undefined,
    req.gather.forecast ? forecastSeries(configured, deps, now, extras) : undefined,
    req.gather.reservations ? listRegionReservations(configured, deps) : undefined,
  ]);
  return { extras, points, reservations };
}

export async function runDecision(deps: AppDeps, req: DecisionRequest): Promise<DecisionOutcome> {
  const configured = fleetOf(deps, req.fleetId);
  const owner = req.lease?.owner ?? (deps.newId ?? randomUUID)();
  const now = deps.clock();
  // A dry run changes nothing, so it reads without the lease.
  const locked = !req.dryRun;
  const read =
    req.lease?.read ??
    (locked ? await acquire(deps, req.fleetId, owner, req.eventId) : await deps.store.readFleet(req.fleetId));
  // The other notices recorded for the fleet and not yet handled are decided with this one (batch.ts).
  const taken = req.lease ? pendingNotices(read, req.eventId, now.getTime()) : [];
  const requested = taken.length ? [...req.signals, ...taken.map((n) => n.signal)] : req.signals;
  // What an earlier delivery of this event applied before it died: not made again.
  const done = read.progress?.eventId === req.eventId ? new Set(read.progress.applied) : undefined;
  // The key of this decision's history entry (recorded with its progress, then saved with the state).
  const entryKey = (plan: Plan) => `${plan.at}#${keyId(req.eventId)}#${owner.slice(0, 8)}`;
  // Fencing: no cloud write once another holds the lease (counted from when it was taken).
  const checkLease = locked ? leaseCheck(deps, req.fleetId, owner) : undefined;
  // The drains go to the drain function, when one receives them (handoff.ts).
  const handoff = req.handoff === true && deps.drainStep === true;
  const state = read.state;
  let saved: FleetState | undefined;
  let pending: PendingDrain[] = [];
  /** The claims of the commands this invocation drains itself (its handoff not published): settled at the end. */
  const claims: DrainClaim[] = [];
  /**
   * The command of each drain this invocation runs itself, by its node and its instance: its record's entries are
   * keyed as the drain function keys them (`<command>#<action>`), so that a delivery of the command after this
   * adds none of them twice.
   */
  const commandOf = new Map<string, string>();
  let outcome: DecisionOutcome;
  let auditKey = '';
  let savedEntry: HistoryEntry | undefined;
  // Some drains handed off and others not: the record is completed by appending (the drain function's too).
  let appendOnly = false;
  try {
    const since = now.getTime() - HISTORY_LOOKBACK_MS;
    const history = read.history.filter((h) => Date.parse(h.at) >= since && !h.dryRun);
    // The pools under the lease, and everything else at the same time, the notices' checks included where
    // the pool they are for can be told before the observation.
    const ahead = prefetchStatuses(requested, configured, deps);
    const [observed, gathered] = await Promise.all([
      observeFleet(configured, deps),
      gather(configured, req, deps, now),
    ]);
    const { obs, unobserved } = keepLastKnown(observed, configured, state.lastKnown);
    // Each notice checked against what its cloud says of the instances before it acts (app/notices.ts).
    const checked = await checkNotices(resolveInterruptions(requested, obs, now.getTime()), obs, deps, ahead);
    // The nodes cordoned ahead of the decision for a notice the cloud refuted are made schedulable again,
    // alongside the plan's actions.
    const refuted = new Map(checked.refused.map((r) => [r.instanceId, { poolId: r.poolId, reason: r.reason }]));
    const early = req.early;
    const undone = early && refuted.size ? early.then((e) => uncordonRefuted(e, refuted, deps)) : undefined;
    // Creations a cloud keeps failing for capacity, seen in the observation, act as its launch-failure notices.
    const signals = [...checked.signals, ...observedFailureSignals(obs, req.eventId, now)];
    const extras = gathered.extras;
    extras.notes.push(...checked.notes);
    if (gathered.points) {
      const { forecast, skill } = forecastFrom(gathered.points, obs.fleet, deps, now);
      extras.forecast = forecast;
      if (skill) extras.forecastSkill = skill;
    }
    if (gathered.reservations) reservationsOf(obs.fleet, gathered.reservations, extras);
    const { fleetId: _f, version: _v, ...observedState } = state;
    // The launches the observation shows serving or still starting (engine/boot-times.ts): a pool whose nodes
    // took longer than configured is planned at what they took.
    const warmIds = new Map([...obs.observations].map(([id, o]) => [id, o.warm?.instanceIds ?? []]));
    const boots = updateBoots(observedState.boots, obs.fleet.pools, obs.instances, now, warmIds);
    const decisionState = { ...observedState, boots };
    const stillThere = removalsStillThere(decisionState.interruptedInstances, obs);
    const input: DecisionInput = {
      fleet: withLearnedTimeToReady(obs.fleet, boots),
      signals,
      ...(extras.metrics ? { metrics: extras.metrics } : {}),
      ...(extras.demand ? { demand: extras.demand } : {}),
      ...(extras.demandHistory
        ? { demandHistory: extras.demandHistory, demandSeasonSeconds: deps.resolved.config.forecast.seasonHours * 3600 }
        : {}),
      ...(extras.forecast ? { forecast: extras.forecast } : {}),
      ...(extras.forecastSkill ? { forecastSkill: extras.forecastSkill } : {}),
      ...(extras.reservations ? { reservations: extras.reservations } : {}),
      ...(unobserved.length ? { unobservedPools: unobserved } : {}),
      ...(stillThere.length ? { stillThere } : {}),
      schedule: deps.resolved.schedules[obs.fleet.id] ?? [],
      ...(deps.decisionIntervalSeconds ? { decisionIntervalSeconds: deps.decisionIntervalSeconds } : {}),
      history,
      state: decisionState,
      dryRun: req.dryRun ?? false,
    };
    // Warm capacity is planned on the decision's plan (engine/warm.ts): a seam of its own.
    const plan = withWarm(input, decide(input, now), now);
    const progress = locked
      ? progressRecorder(deps, req, owner, entryKey(plan), (so) => historyOf(plan, so))
      : undefined;
    const result =
      plan.dryRun || plan.paused
        ? emptyExecution()
        : await executePlan(deps, plan, {
            fleet: obs.fleet,
            eventId: req.eventId,
            instances: obs.instances,
            observations: obs.observations,
            ...(checkLease ? { checkLease } : {}),
            ...(done ? { done } : {}),
            ...(progress ? { onApplied: progress.applied } : {}),
            ...(early ? { early } : {}),
            ...(handoff ? { handoff } : {}),
          });
    await progress?.settled();
    if (early) {
      // The audit record says what was cordoned ahead of the decision, and what was undone.
      const before = earlyApplied(await early, (id) => observedInstance(obs, id)?.poolId);
      const after = (await undone) ?? { applied: [], failed: [] };
      result.applied.unshift(...before.applied);
      result.applied.push(...after.applied);
      result.failed.push(...after.failed);
      extras.notes.push(...before.notes);
      for (const u of after.applied) {
        const d = u.detail as { node: string; why: string };
        extras.notes.push(`node ${d.node} uncordoned: ${d.why}`);
      }
    }
    pending = result.pending;
    // Each drain handed off is one command on the bus, published with the decision's event; the audit record
    // says so now, and the drain function completes it.
    const commands = drainCommands(req, now.toISOString(), result.handed, signals);
    result.applied.push(...handedApplied(commands));
    const failures: PoolFailure[] = [...obs.failures, ...extras.failures, ...result.failed];
    const status = outcomeStatus(plan, result, failures);
    // The record as first written: a value of its own (no array shared with the execution), never changed
    // after it is handed to a write; each later write is a new value built from the one before (`withChange`).
    const audit: AuditRecord = {
      fleetId: req.fleetId,
      at: now.toISOString(),
      eventId: req.eventId,
      trigger: triggerOf(req),
      dryRun: plan.dryRun,
      paused: plan.paused,
      plan,
      outcome: { status, applied: [...result.applied], failed: [...failures] },
      ...(taken.length ? { notices: taken.map((n) => n.eventId) } : {}),
      ...(extras.notes.length ? { notes: extras.notes } : {}),
    };

    if (locked && !plan.dryRun) {
      // The next state and the history entry in one conditional write, which releases the lease (entries
      // older than the engine reads are dropped in it). What was done to the clouds stays done even when the
      // state cannot be saved: the history is then appended on its own, so the next decision's rate limits
      // and cooldowns see it.
      const entry = historyOf(plan, result);
      // Entries read from before the history was kept with the state have no key: they move in with this one.
      const carried = read.history.filter((h, i) => read.historyKeys[i] === '' && Date.parse(h.at) >= since);
      const drop = read.historyKeys.filter((k, i) => k !== '' && Date.parse(read.history[i]!.at) < since);
      try {
        saved = await deps.store.saveState(
          { ...plan.nextState, fleetId: req.fleetId, version: state.version },
          owner,
          {
            append: [...carried, entry],
            drop,
            // Under its own key: the entry recorded with the progress, if any, is replaced, not added to.
            keys: [...carried.map(() => undefined), entryKey(plan)],
          },
          noticeUpdate(
            read,
            taken,
            req.eventId,
            { by: req.eventId, at: plan.at, currentNodes: plan.currentNodes, targetNodes: plan.targetNodes },
            checked.refused,
            now.getTime(),
          ),
        );
        savedEntry = entry;
      } catch (refused) {
        const appended = await deps.store.appendHistory(req.fleetId, [entry]).then(
          () => undefined,
          (e: unknown) => e,
        );
        // Rethrown (Lambda retries the event), but not before the audit record says what was applied.
        const failed = [
          failureOf(undefined, 'save-state', refused),
          ...(appended !== undefined ? [failureOf(undefined, 'append-history', appended)] : []),
        ];
        await deps.store
          .putAudit({ ...audit, outcome: { ...audit.outcome, failed: [...audit.outcome.failed, ...failed] } })
          .catch(() => undefined);
        throw refused;
      }
    }
    // The audit record and the decision's event together; a bus that does not answer loses the event only.
    const auditing = deps.store.putAudit(audit);
    const publishCommands = () => deps.events.publish(commands.map((c) => c.event));
    const [audited, published, handed] = await Promise.allSettled([
      auditing,
      deps.events.publish([
        {
          source: deps.resolved.config.events.source,
          detailType: 'Scaling Decision',
          time: now.toISOString(),
          detail: {
            fleetId: req.fleetId,
            eventId: req.eventId,
            status,
            fn: req.fn,
            currentNodes: plan.currentNodes,
            targetNodes: plan.targetNodes,
            costPerHour: plan.costPerHour,
            dryRun: plan.dryRun,
            paused: plan.paused,
            pools: plan.pools.map((p) => ({ poolId: p.poolId, current: p.current, target: p.target })),
            reasons: plan.reasons.map((r) => r.message).slice(0, 20),
            failed: failures.map((f) => ({ poolId: f.poolId, action: f.action, kind: f.kind })),
          },
        },
      ]),
      // The drain commands on their own request, alongside: whether they reached the bus is known apart. A
      // command the drain function finds in this audit record (an operator's drain) goes once it is written.
      !commands.length
        ? undefined
        : commands.some((c) => c.checkedBy === 'audit')
          ? auditing.then(publishCommands)
          : publishCommands(),
    ]);
    // What this invocation adds to the record for the commands it drains itself (or found claimed).
    let fellBack: { applied: AppliedAction[]; failed: PoolFailure[] } | undefined;
    if (handed.status === 'rejected') {
      // Not handed off, or not known to be: those drains run here, after the lease, as without a drain function,
      // each under its command's claim (the drain function may have the command too: one acts). Only the
      // commands the bus refused or may not have taken: the others are on it, and the drain function drains them.
      const why = handed.reason instanceof Error ? handed.reason.message : String(handed.reason);
      const { refused, unknown } = undeliveredCommands(commands, handed.reason);
      const taken = await fallbackClaims(deps, req, refused, unknown, why);
      claims.push(...taken.claims);
      for (const { command } of taken.drained) {
        commandOf.set(`node:${command.drain.node}`, command.commandId);
        const instanceId = command.drain.action.instanceId;
        if (instanceId !== undefined) commandOf.set(`instance:${instanceId}`, command.commandId);
      }
      pending = [...pending, ...taken.drained.map((d) => startDrain(deps, d.command.drain))];
      // Each command said so in its own entry, beside its handoff (every one refused included: the record is
      // only ever appended to, whichever commands the drain function has).
      fellBack = {
        applied: [
          ...refusedApplied(
            taken.drained.filter((d) => d.fate === 'refused').map((d) => d.command),
            why,
          ),
          ...refusedApplied(
            taken.drained.filter((d) => d.fate === 'unknown').map((d) => d.command),
            why,
            'unknown',
          ),
          ...taken.lost,
        ],
        failed: taken.failed,
      };
      deps.logger.warn('drain handoff not published', {
        fleetId: req.fleetId,
        refused: refused.map((c) => c.commandId),
        unknown: unknown.map((c) => c.commandId),
        drainedHere: taken.drained.map((d) => d.command.commandId),
        notClaimed: taken.lost.map((a) => (a.detail as { command: string }).command),
        error: String(handed.reason),
      });
    }
    if (published.status === 'rejected') {
      failures.push(failureOf(undefined, 'publish', published.reason));
      deps.logger.warn('decision event not published', { fleetId: req.fleetId, error: String(published.reason) });
    }
    if (audited.status === 'rejected') {
      // Nothing drains here after all: the commands' claims are given back for the retry.
      await Promise.all(claims.map((c) => c.settle('released').catch(() => undefined)));
      throw audited.reason;
    }
    auditKey = audited.value;
    // A command may be on the bus: the drain function completes the record at the same time, so it is only
    // appended to from now on (never written whole again, which would lose what the drain function added).
    appendOnly = commands.length > 0;
    let record = audit;
    if (fellBack && (fellBack.applied.length || fellBack.failed.length)) {
      failures.push(...fellBack.failed);
      const change = {
        applied: fellBack.applied,
        failed: fellBack.failed,
        changed: false,
        keys: fellBack.applied.map((a) => `${(a.detail as { command: string }).command}#${a.action}`),
      };
      // After the record's first write (settled above), before anything else is written to it.
      record = withChange(record, change);
      await deps.store
        .amendAudit(req.fleetId, auditKey, change)
        .catch((e: unknown) => failures.push(failureOf(undefined, 'audit', e)));
    }
    deps.counters?.count('Decisions');
    // Nothing could be read: say so once per decision, in the log and as a metric (KEDA's fallback).
    const fallback = plan.reasons.find((r) => r.code.startsWith('fallback.'));
    if (fallback) {
      deps.logger.warn('metrics unavailable', { fleetId: req.fleetId, code: fallback.code, reason: fallback.message });
      deps.counters?.count('MetricsFallback');
    }
    deps.counters?.count('Actions', record.outcome.applied.length);
    if (failures.length) deps.counters?.count('ActionFailures', failures.length);
    outcome = {
      fleetId: req.fleetId,
      plan,
      audit: record,
      state: saved ?? state,
      refused: result.refused,
      failed: failures,
    };
  } finally {
    if (locked && !saved) await deps.store.releaseLease(req.fleetId, owner).catch(() => undefined);
  }
  if (pending.length) {
    const entry = savedEntry ? { key: entryKey(outcome.plan), entry: savedEntry } : undefined;
    const after = await afterTheLease(
      deps,
      req,
      owner,
      outcome.audit,
      auditKey,
      pending,
      entry,
      appendOnly ? { appendToAudit: true, amendKey: (a) => commandKey(commandOf, a) } : {},
    );
    outcome.failed.push(...after.failed);
    outcome.audit = after.audit;
    // Done, unless a retry can still fix something: then given back, for a delivery of the command to act.
    const how = classifyFailures(after.failed).retryable.length ? 'released' : 'done';
    await Promise.all(
      claims.map((c) =>
        c.settle(how).catch((e: unknown) => {
          deps.logger.warn('drain claim not settled', { fleetId: req.fleetId, command: c.commandId, error: String(e) });
        }),
      ),
    );
  }
  return outcome;
}

/**
 * The instances an earlier decision planned to remove after a notice (`HandledInterruption.removing`) that the
 * observation still shows in their pool, not terminated: the engine does not count them as capacity until
 * their deadline (`DecisionInput.stillThere`). One shutting down still counts: a cloud may show an instance
 * under a notice as leaving (GCP: a preempted VM is `STOPPING`; EC2 and Azure keep it running until the
 * deadline). Its removal drains first and so comes within seconds of the deadline (10 s before it for an EC2
 * notice; about at it for a 30 s one, drained at once): a decision in between counts the pool one node short
 * until the deadline.
 */
export function removalsStillThere(
  handled: DecisionState['interruptedInstances'],
  obs: Pick<FleetObservation, 'instances'>,
): string[] {
  const out: string[] = [];
  for (const h of handled ?? []) {
    if (!h.removing || h.poolId === undefined) continue;
    const i = obs.instances.get(h.poolId)?.find((x) => x.id === h.instanceId || x.nodeName === h.instanceId);
    if (i && i.lifecycle !== 'terminated') out.push(h.instanceId);
  }
  return out;
}

/**
 * The claims of the commands the deciding invocation drains itself (`drain-claim.ts`), taken at once (never
 * waited for: a claim another holds is the drain function's, acting on a delivery of the command). A command
 * the bus refused is drained here even when its claim cannot be taken (the store failing: nothing else has the
 * command); one whose fate is unknown only under its claim (the drain function may be draining it), else left
 * to the delivery, with the failure recorded.
 */
async function fallbackClaims(
  deps: AppDeps,
  req: Pick<DecisionRequest, 'fleetId' | 'fn'>,
  refused: readonly DrainCommandOut[],
  unknown: readonly DrainCommandOut[],
  /** The publish's error, said in the entry of a command found claimed. */
  why: string,
): Promise<{
  drained: Array<{ command: DrainCommandOut; fate: 'refused' | 'unknown' }>;
  claims: DrainClaim[];
  lost: AppliedAction[];
  failed: PoolFailure[];
}> {
  const all = [
    ...refused.map((command) => ({ command, fate: 'refused' as const })),
    ...unknown.map((command) => ({ command, fate: 'unknown' as const })),
  ];
  // Taken together, kept in the commands' order.
  const taken = await Promise.all(
    all.map(async ({ command, fate }) => {
      const claim = drainClaim(deps, { fleetId: req.fleetId, commandId: command.commandId, by: req.fn, wait: false });
      const { drain } = command;
      try {
        const lost = await claim.take();
        if (lost)
          return {
            lost: notClaimedApplied(lost, { ...drain, poolId: drain.action.poolId }, req.fn, {
              publish: fate,
              error: why,
            }),
          };
        return { drained: { command, fate }, claim };
      } catch (e) {
        const failed = failureOf(drain.action.poolId, `drain-claim ${drain.node}`, e);
        return fate === 'unknown' ? { failed } : { failed, drained: { command, fate } };
      }
    }),
  );
  return {
    drained: taken.flatMap((t) => (t.drained ? [t.drained] : [])),
    claims: taken.flatMap((t) => (t.claim ? [t.claim] : [])),
    lost: taken.flatMap((t) => (t.lost ? [t.lost] : [])),
    failed: taken.flatMap((t) => (t.failed ? [t.failed] : [])),
  };
}

/**
 * The audit record with `change` added to its outcome, as a new value (`record` is left as it is: a write may
 * still hold it): the entries appended and the status moved as the store's `amendAudit` moves it.
 */
export function withChange(record: AuditRecord, change: AuditChange): AuditRecord {
  return {
    ...record,
    outcome: {
      ...record.outcome,
      applied: [...record.outcome.applied, ...(change.applied as AuditRecord['outcome']['applied'])],
      failed: [...record.outcome.failed, ...(change.failed as AuditRecord['outcome']['failed'])],
      status: amendedStatus(record.outcome.status, change) ?? record.outcome.status,
    },
  };
}

/**
 * Less than this left before the invocation's deadline, each applied action is recorded as it completes (the
 * executor keeps 10 s to record the outcome at the end; as much again covers a last slow write). A
 * documented choice, not a measured figure.
 */
export const PROGRESS_WITHIN_MS = 20_000;

/**
 * Near the invocation's deadline, what was applied is recorded as each action completes (`saveProgress`:
 * the applied actions' keys and the history entry of what was done so far, one request each, in order),
 * so that a redelivery of the event after the invocation died carries on from there: it takes over the
 * lease, sees the resizes in the history, and makes none of the applied actions again.
 */
function progressRecorder(
  deps: AppDeps,
  req: Pick<DecisionRequest, 'fleetId' | 'eventId'>,
  owner: string,
  key: string,
  entryOf: (so: ExecutionResult) => HistoryEntry,
) {
  const applied: string[] = [];
  let chain: Promise<void> = Promise.resolve();
  const near = () => {
    const hard = deps.deadline?.();
    return hard !== undefined && hard - deps.clock().getTime() < PROGRESS_WITHIN_MS;
  };
  return {
    applied: async (k: string, so: ExecutionResult): Promise<void> => {
      applied.push(k);
      if (!near()) return;
      const record = { eventId: req.eventId, applied: [...applied], entry: entryOf(so), key };
      chain = chain.then(() =>
        deps.store.saveProgress(req.fleetId, owner, record).catch((e: unknown) => {
          deps.logger.warn('progress not recorded', { fleetId: req.fleetId, error: String(e) });
        }),
      );
      await chain;
    },
    /** Every progress write made. */
    settled: () => chain,
  };
}

function triggerOf(req: DecisionRequest): AuditRecord['trigger'] {
  return {
    fn: req.fn,
    signal: req.signals.map((s) => s.type).join(',') || 'none',
    source: req.source,
    ...(req.actor ? { actor: req.actor } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
  };
}

/**
 * The drains of a decision still running when its lease was given back: each waited for (until its own
 * deadline; a drain that reaches it with pods left is reported and goes on to what follows it); then the
 * removals of the drained instances, under the lease taken again for them (they change the pools' counts),
 * and the decision's audit record completed with it all. A lease another decision holds past the wait
 * leaves the removals undone and recorded (the instances end with their notice, and the next decisions see
 * the pools as they are).
 */
export async function afterTheLease(
  deps: AppDeps,
  req: Pick<DecisionRequest, 'fleetId' | 'eventId'>,
  owner: string,
  audit: AuditRecord,
  auditKey: string,
  pending: PendingDrain[],
  entry: { key: string; entry: HistoryEntry } | undefined,
  options: {
    /** A lease another holds past the wait is a conflict (retryable: the drain step's command is retried). */
    retryBusyLease?: boolean;
    /**
     * What this adds is appended to the record at `auditKey` (`amendAudit`) rather than the record written
     * whole: the drain step, one of several completing one decision's record at the same time.
     */
    appendToAudit?: boolean;
    /**
     * With `appendToAudit`: each entry's key (`AuditChange.keys`), so that a redelivery of the same command
     * after its amend adds nothing twice.
     */
    amendKey?: (entry: AppliedAction) => string | undefined;
  } = {},
): Promise<Pick<ExecutionResult, 'applied' | 'failed' | 'changed'> & { audit: AuditRecord }> {
  const out = emptyExecution();
  // The record as this writes it (`audit` itself is left as it was given: a write may hold it).
  let written = audit;
  const outcomes = await drainsOver(deps, pending);
  // A drain its re-validation skipped is followed by nothing.
  const removals = pending.flatMap((p, i) => (outcomes[i]!.skipped === undefined ? p.removals : []));
  const fleet = fleetOf(deps, req.fleetId);
  let changed = false;
  if (removals.length) {
    let release: Promise<void> | undefined;
    let drainsRecorded = false;
    try {
      await acquire(deps, req.fleetId, owner, req.eventId);
      const checkLease = leaseCheck(deps, req.fleetId, owner);
      // Progress near the deadline keeps the decision's own history entry as it was saved.
      const progress = entry ? progressRecorder(deps, req, owner, entry.key, () => entry.entry) : undefined;
      const ctx = {
        fleet,
        eventId: req.eventId,
        checkLease,
        ...(progress ? { onApplied: progress.applied } : {}),
      };
      // The drains, as applied under this lease (a redelivery then does not drain again).
      for (const [i, p] of pending.entries()) await drainOver(p, outcomes[i]!, ctx, out);
      drainsRecorded = true;
      try {
        const r = await executeActions(deps, removals, ctx);
        await progress?.settled();
        out.applied.push(...r.applied);
        out.failed.push(...r.failed);
        changed = r.changed;
      } finally {
        // Given back while the record is written.
        release = deps.store.releaseLease(req.fleetId, owner).catch(() => undefined);
      }
    } catch (e) {
      // The lease not taken: the drains were made all the same, and are recorded (what they evicted, or why
      // they failed); only the removals wait for a retry.
      if (!drainsRecorded)
        for (const [i, p] of pending.entries()) await drainOver(p, outcomes[i]!, { fleet, eventId: req.eventId }, out);
      const busy = options.retryBusyLease && e instanceof LeaseBusyError ? { kind: 'conflict' } : {};
      for (const r of removals)
        out.failed.push({ ...failureOf(r.poolId, `remove-instance ${r.instanceId}`, e), ...busy });
    }
    await Promise.all([release, amend()]);
  } else {
    for (const [i, p] of pending.entries()) await drainOver(p, outcomes[i]!, { fleet, eventId: req.eventId }, out);
    await amend();
  }
  deps.counters?.count('Actions', out.applied.length);
  if (out.failed.length) deps.counters?.count('ActionFailures', out.failed.length);
  return { applied: out.applied, failed: out.failed, changed, audit: written };

  async function amend() {
    const change = {
      applied: [...out.applied],
      failed: [...out.failed],
      changed,
      ...(options.amendKey ? { keys: out.applied.map(options.amendKey) } : {}),
    };
    written = withChange(audit, change);
    const write =
      options.appendToAudit && auditKey
        ? deps.store.amendAudit(req.fleetId, auditKey, change)
        : deps.store.putAudit(written, auditKey || undefined);
    await write.catch((e: unknown) => {
      out.failed.push(failureOf(undefined, 'audit', e));
    });
  }
}

/** The key of a record's entry made for a drain command (`<command>#<action>`), by its node or instance. */
function commandKey(commandOf: ReadonlyMap<string, string>, a: AppliedAction): string | undefined {
  const d = a.detail as { node?: unknown; instanceId?: unknown } | string | undefined;
  const node = typeof d === 'object' && typeof d.node === 'string' ? commandOf.get(`node:${d.node}`) : undefined;
  const instanceId = typeof d === 'string' ? d : typeof d === 'object' ? d.instanceId : undefined;
  const command = node ?? (typeof instanceId === 'string' ? commandOf.get(`instance:${instanceId}`) : undefined);
  return command === undefined ? undefined : `${command}#${a.action}`;
}
