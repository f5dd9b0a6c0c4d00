/**
 * One fleet decision, end to end: take the fleet's lease, observe its pools (with the history, the metrics,
 * the forecast and the reservations, all at once), decide with the engine, execute the plan (unless dry run
 * or paused), then record: the history and the plan's next state together (the state write releases the
 * lease), then the audit record and the decision's event together. The lease and the versioned save make
 * two concurrent events for one fleet unable to act on the same stale state. Everything this decides is in
 * the plan: this module reads, executes and records.
 */
import { randomUUID } from 'node:crypto';
import type { InterruptionSignal, Signal } from '../domain/signals.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { decide } from '../engine/decide.ts';
import { withWarm } from '../engine/warm.ts';
import type { DecisionInput, Plan } from '../engine/types.ts';
import { type AuditRecord, type FleetState, LeaseBusyError } from '../state/records.ts';
import type { AppDeps } from './deps.ts';
import { type ExecutionResult, executePlan } from './execute.ts';
import {
  currentDemand,
  currentMetrics,
  type DecisionExtras,
  demandHistory,
  forecastDemand,
  reservationsOf,
} from './inputs.ts';
import { type FleetObservation, failureOf, observedInstance, observeFleet, type PoolFailure } from './observe.ts';
import { checkNotices } from './notices.ts';
import { historyOf, outcomeStatus } from './outcome.ts';

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

async function acquire(deps: AppDeps, fleetId: string, owner: string): Promise<FleetState> {
  const waitUntil = Date.now() + (deps.leaseWaitMs ?? 10_000);
  let delay = 25;
  for (;;) {
    try {
      return await deps.store.acquireLease(fleetId, owner, deps.clock(), deps.leaseTtlMs ?? 150_000);
    } catch (e) {
      if (!(e instanceof LeaseBusyError) || Date.now() + delay > waitUntil) throw e;
      deps.counters?.count('Retries');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
}

/**
 * Interruption signals name instances; the engine wants the pool. A notice acts only on instances observed
 * in one of the fleet's pools (the pools list the instances under notice too): each is resolved to the pool
 * and zone the cloud reports for it, whatever pool or zone the notice named. Instances observed nowhere
 * (another group's, a forged or mistyped name such as `__proto__`, an instance already gone) are passed on
 * without pool or zone, so the engine reports them and drains, lowers or backs off nothing for them. Only
 * when the pool the notice names could not be observed in this decision is the notice trusted as it came:
 * an outage of the cloud's API must not swallow a reclaim.
 */
function resolveInterruptions(signals: Signal[], obs: FleetObservation): Signal[] {
  const out: Signal[] = [];
  const unobserved = new Set(obs.failures.map((f) => f.poolId));
  for (const s of signals) {
    if (s.type !== 'interruption') {
      out.push(s);
      continue;
    }
    const byPool = new Map<string, { poolId: string; instanceIds: string[]; zone?: string }>();
    const trusted: string[] = [];
    const notOurs: string[] = [];
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
      else notOurs.push(id);
    }
    for (const g of byPool.values()) {
      const { zone: _zone, ...rest } = s;
      out.push({ ...rest, instanceIds: g.instanceIds, poolId: g.poolId, ...(g.zone ? { zone: g.zone } : {}) });
    }
    if (trusted.length) out.push({ ...s, instanceIds: trusted });
    if (notOurs.length) {
      const { zone: _zone, poolId: _pool, ...rest } = s;
      const split: InterruptionSignal = { ...rest, instanceIds: notOurs };
      out.push(split);
    }
  }
  return out;
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

async function gather(fleet: Fleet, signals: Signal[], req: DecisionRequest, deps: AppDeps, now: Date) {
  const extras: DecisionExtras = { notes: [], failures: [] };
  await Promise.all([
    req.gather.metrics ? currentMetrics(fleet, signals, deps, now, extras) : undefined,
    req.gather.demand ? currentDemand(fleet, deps, now, extras) : undefined,
    req.gather.demand ? demandHistory(fleet, deps, now, extras) : undefined,
    req.gather.forecast ? forecastDemand(fleet, deps, now, extras) : undefined,
    req.gather.reservations ? reservationsOf(fleet, deps, extras) : undefined,
  ]);
  return extras;
}

const NOTHING_EXECUTED: ExecutionResult = { applied: [], failed: [], refused: [], changed: false };

export async function runDecision(deps: AppDeps, req: DecisionRequest): Promise<DecisionOutcome> {
  const configured = fleetOf(deps, req.fleetId);
  const owner = (deps.newId ?? randomUUID)();
  const now = deps.clock();
  // A dry run changes nothing, so it reads without the lease.
  const locked = !req.dryRun;
  const state = locked ? await acquire(deps, req.fleetId, owner) : await deps.store.getState(req.fleetId);
  let saved: FleetState | undefined;
  try {
    // The history does not depend on the pools: read while they are described.
    const [observed, past] = await Promise.all([
      observeFleet(configured, deps),
      deps.store.loadHistory(req.fleetId, new Date(now.getTime() - HISTORY_LOOKBACK_MS)),
    ]);
    const { obs, unobserved } = keepLastKnown(observed, configured, state.lastKnown);
    const history = past.filter((h) => !h.dryRun);
    // Each notice checked against what its cloud says of the instances before it acts (app/notices.ts).
    const checked = await checkNotices(resolveInterruptions(req.signals, obs), obs, deps);
    const signals = checked.signals;
    const extras = await gather(obs.fleet, signals, req, deps, now);
    extras.notes.push(...checked.notes);
    const { fleetId: _f, version: _v, ...decisionState } = state;
    const input: DecisionInput = {
      fleet: obs.fleet,
      signals,
      ...(extras.metrics ? { metrics: extras.metrics } : {}),
      ...(extras.demand ? { demand: extras.demand } : {}),
      ...(extras.demandHistory ? { demandHistory: extras.demandHistory } : {}),
      ...(extras.forecast ? { forecast: extras.forecast } : {}),
      ...(extras.reservations ? { reservations: extras.reservations } : {}),
      ...(unobserved.length ? { unobservedPools: unobserved } : {}),
      schedule: deps.resolved.schedules[obs.fleet.id] ?? [],
      history,
      state: decisionState,
      dryRun: req.dryRun ?? false,
    };
    // Warm capacity is planned on the decision's plan (engine/warm.ts): a seam of its own.
    const plan = withWarm(input, decide(input, now), now);
    const result =
      plan.dryRun || plan.paused
        ? NOTHING_EXECUTED
        : await executePlan(deps, plan, {
            fleet: obs.fleet,
            eventId: req.eventId,
            // Fencing: every cloud write renews the lease first, and none is made once another holds it.
            ...(locked
              ? {
                  checkLease: async () => {
                    await deps.store.acquireLease(req.fleetId, owner, deps.clock(), deps.leaseTtlMs ?? 150_000);
                  },
                }
              : {}),
          });
    const failures: PoolFailure[] = [...obs.failures, ...extras.failures, ...result.failed];
    const status = outcomeStatus(plan, result, failures);
    const audit: AuditRecord = {
      fleetId: req.fleetId,
      at: now.toISOString(),
      eventId: req.eventId,
      trigger: {
        fn: req.fn,
        signal: req.signals.map((s) => s.type).join(',') || 'none',
        source: req.source,
        ...(req.actor ? { actor: req.actor } : {}),
        ...(req.reason ? { reason: req.reason } : {}),
      },
      dryRun: plan.dryRun,
      paused: plan.paused,
      plan,
      outcome: { status, applied: result.applied, failed: [...failures] },
      ...(extras.notes.length ? { notes: extras.notes } : {}),
    };

    if (locked && !plan.dryRun) {
      // The history and the next state together. What was done to the clouds stays done even when the state
      // cannot be saved: the history is written anyway, and the next decision's rate limits and cooldowns
      // see it. The state write releases the lease.
      const [appended, save] = await Promise.allSettled([
        deps.store.appendHistory(req.fleetId, [historyOf(plan, result)]),
        deps.store.saveState({ ...plan.nextState, fleetId: req.fleetId, version: state.version }, owner),
      ]);
      if (save.status === 'fulfilled') saved = save.value;
      const refused =
        save.status === 'rejected' ? save.reason : appended.status === 'rejected' ? appended.reason : undefined;
      if (refused !== undefined) {
        // Rethrown (Lambda retries the event), but not before the audit record says what was applied.
        audit.outcome.failed.push(
          failureOf(undefined, save.status === 'rejected' ? 'save-state' : 'append-history', refused),
        );
        await deps.store.putAudit(audit).catch(() => undefined);
        throw refused;
      }
    }
    // The audit record and the decision's event together; a bus that does not answer loses the event only.
    const [audited, published] = await Promise.allSettled([
      deps.store.putAudit(audit),
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
    ]);
    if (published.status === 'rejected') {
      failures.push(failureOf(undefined, 'publish', published.reason));
      deps.logger.warn('decision event not published', { fleetId: req.fleetId, error: String(published.reason) });
    }
    if (audited.status === 'rejected') throw audited.reason;
    deps.counters?.count('Decisions');
    // Nothing could be read: say so once per decision, in the log and as a metric (KEDA's fallback).
    const fallback = plan.reasons.find((r) => r.code.startsWith('fallback.'));
    if (fallback) {
      deps.logger.warn('metrics unavailable', { fleetId: req.fleetId, code: fallback.code, reason: fallback.message });
      deps.counters?.count('MetricsFallback');
    }
    deps.counters?.count('Actions', audit.outcome.applied.length);
    if (failures.length) deps.counters?.count('ActionFailures', failures.length);
    return {
      fleetId: req.fleetId,
      plan,
      audit,
      state: saved ?? state,
      refused: result.refused,
      failed: failures,
    };
  } finally {
    if (locked && !saved) await deps.store.releaseLease(req.fleetId, owner).catch(() => undefined);
  }
}
