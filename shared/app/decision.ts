/**
 * One fleet decision, end to end: take the fleet's lease, observe its pools, gather the inputs, decide with
 * the engine, apply (unless dry run or paused), save the state with a version check, append the history,
 * write the audit record and publish the decision. The lease and the versioned save make two concurrent
 * events for one fleet unable to act on the same stale state.
 */
import { randomUUID } from 'node:crypto';
import type { InterruptionSignal, Signal } from '../domain/signals.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { decide } from '../engine/decide.ts';
import { withWarm } from '../engine/warm.ts';
import type { DecisionInput, HistoryEntry, Plan } from '../engine/types.ts';
import { type AuditRecord, type FleetState, LeaseBusyError } from '../state/store.ts';
import { type ApplyResult, applyPlan } from './apply.ts';
import type { AppDeps } from './deps.ts';
import {
  currentDemand,
  currentMetrics,
  type DecisionExtras,
  demandHistory,
  forecastDemand,
  reservationsOf,
} from './inputs.ts';
import { type FleetObservation, failureOf, observedInstance, observeFleet, type PoolFailure } from './observe.ts';

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
  /** A state change to make under the lease before deciding (operator commands). */
  mutate?: (state: FleetState, now: Date) => void;
  /** Decide at all (false: only the state change and its audit record). */
  decide?: boolean;
}

export interface DecisionOutcome {
  fleetId: string;
  plan?: Plan;
  audit: AuditRecord;
  state: FleetState;
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
 * A pool that could not be observed keeps its last known count for everything that depends on it: it goes
 * into the decision at the count (desired and ready) last observed, pinned there (min = max), so the engine
 * neither resizes it nor counts its nodes as lost, and the Deployment keeps their replicas. The counts of
 * the pools observed now are remembered in the state for the next decision. A pool never observed has no
 * last known count: it stays out, and the Deployment is not scaled (see `applyPlan`).
 */
function keepLastKnown(obs: FleetObservation, configured: Fleet, state: FleetState): FleetObservation {
  const known = { ...state.lastKnown };
  for (const p of obs.fleet.pools) known[p.id] = { desired: p.desired, ready: p.ready };
  state.lastKnown = known;
  const pinned: Pool[] = [];
  for (const f of obs.failures) {
    const pool = configured.pools.find((p) => p.id === f.poolId);
    const last = f.poolId === undefined ? undefined : known[f.poolId];
    if (!pool || !last || obs.fleet.pools.some((p) => p.id === pool.id)) continue;
    pinned.push({ ...pool, desired: last.desired, ready: last.ready, min: last.desired, max: last.desired });
  }
  if (!pinned.length) return obs;
  return { ...obs, fleet: { ...obs.fleet, pools: [...obs.fleet.pools, ...pinned] } };
}

/** Drops what has lapsed: backoffs, handled interruptions older than a day, expired pauses and manual targets. */
function pruneState(state: FleetState, now: Date): void {
  const t = now.getTime();
  state.offeringBackoff = state.offeringBackoff.filter((b) => Date.parse(b.until) > t);
  if (state.interruptedInstances) {
    state.interruptedInstances = state.interruptedInstances.filter((i) => Date.parse(i.at) > t - 86_400_000);
  }
  if (state.paused?.until && Date.parse(state.paused.until) <= t) delete state.paused;
  if (state.manualTarget?.until && Date.parse(state.manualTarget.until) <= t) delete state.manualTarget;
}

/** Folds what the plan says about the world into the state: backoffs and handled interruptions. */
function recordPlanFacts(state: FleetState, plan: Plan, shortOfCapacity: string[], fleet: Fleet, now: Date): void {
  if (plan.spotRisk) state.spotRisk = plan.spotRisk;
  for (const a of [...plan.actions, ...plan.suppressedActions]) {
    if (a.type === 'mark-offering') {
      const existing = state.offeringBackoff.find((b) => b.poolId === a.poolId && b.zone === a.zone);
      if (existing) {
        if (a.until > existing.until) existing.until = a.until;
      } else {
        state.offeringBackoff.push({
          poolId: a.poolId,
          ...(a.zone ? { zone: a.zone } : {}),
          until: a.until,
          reason: a.reason,
        });
      }
    }
    if ((a.type === 'cordon-drain' && a.instanceId) || a.type === 'replace') {
      const instanceId = a.instanceId!;
      state.interruptedInstances ??= [];
      if (!state.interruptedInstances.some((i) => i.instanceId === instanceId)) {
        state.interruptedInstances.push({
          instanceId,
          poolId: a.type === 'replace' ? a.fromPool : a.poolId,
          ...(a.type === 'cordon-drain' ? { deadline: a.deadline } : {}),
          at: now.toISOString(),
        });
      }
    }
  }
  for (const poolId of shortOfCapacity) {
    const until = new Date(now.getTime() + fleet.policy.placement.offeringBackoffSeconds * 1000).toISOString();
    if (!state.offeringBackoff.some((b) => b.poolId === poolId && !b.zone && b.until >= until)) {
      state.offeringBackoff.push({ poolId, until, reason: 'insufficient-capacity' });
    }
  }
}

async function gatherExtras(fleet: Fleet, signals: Signal[], req: DecisionRequest, deps: AppDeps, now: Date) {
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

function decideOnce(
  fleet: Fleet,
  signals: Signal[],
  extras: DecisionExtras,
  history: HistoryEntry[],
  state: FleetState,
  req: DecisionRequest,
  deps: AppDeps,
  now: Date,
): Plan {
  const { fleetId: _f, version: _v, ...decisionState } = state;
  const input: DecisionInput = {
    fleet,
    signals,
    ...(extras.metrics ? { metrics: extras.metrics } : {}),
    ...(extras.demand ? { demand: extras.demand } : {}),
    ...(extras.demandHistory ? { demandHistory: extras.demandHistory } : {}),
    ...(extras.forecast ? { forecast: extras.forecast } : {}),
    ...(extras.reservations ? { reservations: extras.reservations } : {}),
    schedule: deps.resolved.schedules[fleet.id] ?? [],
    history,
    state: decisionState,
    dryRun: req.dryRun ?? false,
  };
  // Warm capacity is planned on the decision's plan (engine/warm.ts): a seam of its own.
  return withWarm(input, decide(input, now), now);
}

export async function runDecision(deps: AppDeps, req: DecisionRequest): Promise<DecisionOutcome> {
  const configured = fleetOf(deps, req.fleetId);
  const fleetConfig = deps.resolved.config.fleets.find((f) => f.id === req.fleetId);
  const owner = (deps.newId ?? randomUUID)();
  const now = deps.clock();
  // A dry run changes nothing, so it reads without the lease.
  const locked = !req.dryRun;
  const state = locked ? await acquire(deps, req.fleetId, owner) : await deps.store.getState(req.fleetId);
  try {
    pruneState(state, now);
    req.mutate?.(state, now);
    const failures: PoolFailure[] = [];
    let plan: Plan | undefined;
    let result: ApplyResult | undefined;
    let notes: string[] = [];
    if (req.decide !== false) {
      // The history does not depend on the pools: read while they are described.
      const [observed, past] = await Promise.all([
        observeFleet(configured, deps),
        deps.store.loadHistory<HistoryEntry>(req.fleetId, new Date(now.getTime() - HISTORY_LOOKBACK_MS)),
      ]);
      let obs = keepLastKnown(observed, configured, state);
      const history = past.filter((h) => !h.dryRun);
      failures.push(...obs.failures);
      const signals = resolveInterruptions(req.signals, obs);
      const extras = await gatherExtras(obs.fleet, signals, req, deps, now);
      failures.push(...extras.failures);
      notes = extras.notes;
      plan = decideOnce(obs.fleet, signals, extras, history, state, req, deps, now);
      if (!plan.dryRun && !plan.paused) {
        const ctx = {
          fleet: obs.fleet,
          eventId: req.eventId,
          ...(fleetConfig?.deployment ? { deployment: fleetConfig.deployment } : {}),
          // Fencing: every cloud write renews the lease first, and is not made once another holds it.
          ...(locked
            ? {
                checkLease: async () => {
                  await deps.store.acquireLease(req.fleetId, owner, deps.clock(), deps.leaseTtlMs ?? 150_000);
                },
              }
            : {}),
        };
        result = await applyPlan(deps, plan, ctx);
        recordPlanFacts(state, plan, result.shortOfCapacity, obs.fleet, now);
        if (result.shortOfCapacity.length) {
          // The cloud refused to grow a pool for capacity: back that offering off and place again, once.
          notes.push(`short of capacity in ${result.shortOfCapacity.join(', ')}: re-placed`);
          obs = keepLastKnown(await observeFleet(configured, deps), configured, state);
          const retryPlan = decideOnce(obs.fleet, signals, extras, history, state, req, deps, now);
          const retry = await applyPlan(deps, retryPlan, { ...ctx, fleet: obs.fleet });
          recordPlanFacts(state, retryPlan, retry.shortOfCapacity, obs.fleet, now);
          result = {
            applied: [...result.applied, ...retry.applied],
            failed: [...result.failed, ...retry.failed],
            shortOfCapacity: [...result.shortOfCapacity, ...retry.shortOfCapacity],
            changed: result.changed || retry.changed,
          };
          plan = retryPlan;
        }
        failures.push(...result.failed);
      } else if (!plan.dryRun) {
        recordPlanFacts(state, plan, [], obs.fleet, now);
      }
    }

    const unobservable = failures.some((f) => f.action === 'describe');
    const status: AuditRecord['outcome']['status'] = !plan
      ? 'state-change'
      : plan.dryRun
        ? 'dry-run'
        : plan.paused
          ? 'paused'
          : unobservable
            ? 'partial'
            : failures.length && result?.applied.some((a) => a.action === 'set-desired' || a.action === 'cordon-drain')
              ? 'partial'
              : failures.length && plan.actions.length
                ? 'failed'
                : result?.changed
                  ? 'applied'
                  : 'no-change';
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
      dryRun: plan?.dryRun ?? req.dryRun ?? false,
      paused: plan?.paused ?? Boolean(state.paused),
      ...(plan ? { plan } : {}),
      outcome: { status, applied: result?.applied ?? [], failed: failures },
      ...(notes.length ? { notes } : {}),
    };

    let saved = state;
    if (locked) {
      try {
        // The history first: what was done to the clouds stays done even when the state cannot be saved, and
        // the next decision's rate limits and cooldowns must see it.
        if (plan && !plan.dryRun) {
          await deps.store.appendHistory(req.fleetId, [
            { ...plan.historyEntry, applied: Boolean(result?.changed) && !plan.paused } as unknown as {
              at: string;
            } & Record<string, unknown>,
          ]);
        }
        saved = await deps.store.saveState(state, owner);
      } catch (e) {
        // Rethrown (Lambda retries the event), but not before the audit record says what was applied.
        failures.push(failureOf(undefined, 'save-state', e));
        await deps.store.putAudit(audit).catch(() => undefined);
        throw e;
      }
    }
    try {
      await deps.events.publish([
        {
          source: deps.resolved.config.events.source,
          detailType: plan ? 'Scaling Decision' : 'Fleet State Changed',
          time: now.toISOString(),
          detail: {
            fleetId: req.fleetId,
            eventId: req.eventId,
            status,
            fn: req.fn,
            ...(plan
              ? {
                  currentNodes: plan.currentNodes,
                  targetNodes: plan.targetNodes,
                  costPerHour: plan.costPerHour,
                  dryRun: plan.dryRun,
                  paused: plan.paused,
                  pools: plan.pools.map((p) => ({ poolId: p.poolId, current: p.current, target: p.target })),
                  reasons: plan.reasons.map((r) => r.message).slice(0, 20),
                }
              : {}),
            failed: failures.map((f) => ({ poolId: f.poolId, action: f.action, kind: f.kind })),
          },
        },
      ]);
    } catch (e) {
      failures.push(failureOf(undefined, 'publish', e));
    }
    await deps.store.putAudit(audit);
    deps.counters?.count('Decisions');
    // Nothing could be read: say so once per decision, in the log and as a metric (KEDA's fallback).
    const fallback = plan?.reasons.find((r) => r.code.startsWith('fallback.'));
    if (fallback) {
      deps.logger.warn('metrics unavailable', { fleetId: req.fleetId, code: fallback.code, reason: fallback.message });
      deps.counters?.count('MetricsFallback');
    }
    deps.counters?.count('Actions', audit.outcome.applied.length);
    if (failures.length) deps.counters?.count('ActionFailures', failures.length);
    return { fleetId: req.fleetId, ...(plan ? { plan } : {}), audit, state: saved };
  } finally {
    if (locked) await deps.store.releaseLease(req.fleetId, owner).catch(() => undefined);
  }
}
