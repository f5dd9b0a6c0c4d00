/**
 * From a normalized signal to decisions: which fleets it concerns, what each decision must read, and one
 * decision per fleet. A failure in one fleet does not stop the others; failures are rethrown at the end so
 * that Lambda retries the event (and then dead-letters it). Within a fleet, a pool whose action failed does
 * not stop the other pools: a retryable failure (throttling, a 5xx, a conflict) is rethrown once the decision
 * is recorded, any other makes the result `partial` (the audit record says what failed).
 */
import { isRetryableKind } from '../domain/errors.ts';
import type { MetricAlarmSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import type { AppDeps } from './deps.ts';
import { type DecisionOutcome, type Gather, runDecision } from './decision.ts';
import { alarmMapping } from './inputs.ts';

export interface ProcessResult {
  status: 'decided' | 'no-op' | 'partial';
  reason?: string;
  decisions: Array<{ fleetId: string; status: string; targetNodes?: number; currentNodes?: number }>;
  errors: Array<{ fleetId: string; error: string }>;
}

/**
 * Capacity actions of a decision failed in a way a retry can fix (throttling, a 5xx, a conflict): the
 * decision recorded them and applied the rest; the event is retried, and the next decision re-observes the
 * pools and does only what is still missing.
 */
export class RetryableActionsError extends Error {
  readonly fleetId: string;
  readonly failed: Array<{ poolId?: string; action: string; kind?: string }>;
  constructor(fleetId: string, failed: Array<{ poolId?: string; action: string; error: string; kind?: string }>) {
    super(
      `fleet ${fleetId}: ${failed.map((f) => `${f.action} of ${f.poolId || '?'} failed (${f.kind})`).join('; ')}; retry`,
    );
    this.name = 'RetryableActionsError';
    this.fleetId = fleetId;
    this.failed = failed.map(({ poolId, action, kind }) => ({ ...(poolId ? { poolId } : {}), action, kind }));
  }
}

/**
 * Reads that leave an input out of one decision: the next decision reads them again, no retry. A pool that
 * could not be described is not one of them: the decision kept its last known count and is `partial`, and
 * the event is retried when a retry can help (throttling, a 5xx, an API that is down).
 */
const READS = new Set(['list-reservations', 'publish']);

interface Route {
  fleets: Fleet[];
  gather: Gather;
  noOp?: string;
}

function alarmFleet(s: MetricAlarmSignal, deps: AppDeps): string | undefined {
  if (s.fleetId) return s.fleetId;
  return alarmMapping(s.alarmName, deps)?.fleetId ?? s.dimensions.fleet ?? s.dimensions.Fleet;
}

/** Which fleets a signal concerns, and what their decisions read. */
export function route(signal: Signal, deps: AppDeps): Route {
  const fleets = deps.resolved.fleets;
  // Reservations are read on every decision of a fleet with reserved pools: without them the engine would
  // trust a reserved pool as configured and could place nodes on a reservation that is not active.
  const reactive: Gather = { metrics: true, demand: true, reservations: true };
  switch (signal.type) {
    case 'metric-alarm': {
      if (signal.state === 'INSUFFICIENT_DATA')
        return {
          fleets: [],
          gather: {},
          noOp: `alarm ${signal.alarmName} has insufficient data: no action on missing data`,
        };
      const id = alarmFleet(signal, deps);
      const fleet = fleets.find((f) => f.id === id);
      if (!fleet) return { fleets: [], gather: {}, noOp: `alarm ${signal.alarmName} maps to no configured fleet` };
      return { fleets: [fleet], gather: reactive };
    }
    case 'interruption': {
      const matching = fleets.filter((f) =>
        f.pools.some((p) =>
          signal.poolId
            ? p.id === signal.poolId
            : p.cloud === signal.cloud && (!signal.region || p.location.region === signal.region),
        ),
      );
      if (!matching.length)
        return { fleets: [], gather: {}, noOp: `no fleet has ${signal.cloud} pools for the interrupted instances` };
      return { fleets: matching, gather: reactive };
    }
    case 'reservation-change': {
      const byId = fleets.filter((f) =>
        f.pools.some((p) => p.reservationId && signal.reservationIds.includes(p.reservationId)),
      );
      // Else (an underutilization notice of reservations the pools do not name) the fleets with reserved pools
      // of that instance type in that region; an event naming neither id nor type of ours is not for us.
      const byType = byId.length
        ? byId
        : fleets.filter((f) =>
            f.pools.some(
              (p) =>
                p.capacityType === 'reserved' &&
                p.cloud === signal.cloud &&
                signal.instanceType !== undefined &&
                p.instanceType === signal.instanceType &&
                (!signal.region || p.location.region === signal.region),
            ),
          );
      if (!byType.length)
        return {
          fleets: [],
          gather: {},
          noOp: `reservation ${signal.reservationIds.join(', ')} backs no configured pool`,
        };
      return { fleets: byType, gather: reactive };
    }
    case 'tick': {
      // A tick for one fleet (an EventBridge Scheduler schedule per fleet) decides for that fleet only.
      const scoped = signal.fleetId ? fleets.filter((f) => f.id === signal.fleetId) : fleets;
      if (!scoped.length)
        return { fleets: [], gather: {}, noOp: `${signal.purpose} tick for fleet ${signal.fleetId}: no such fleet` };
      if (signal.purpose === 'forecast') return { fleets: scoped, gather: { ...reactive, forecast: true } };
      const windows = deps.resolved.config.schedules.filter((w) => !signal.window || w.name === signal.window);
      const ids = new Set(windows.flatMap((w) => w.fleets));
      const scheduled = scoped.filter((f) => ids.has(f.id));
      if (!scheduled.length)
        return { fleets: [], gather: {}, noOp: `schedule ${signal.window ?? '(any)'} applies to no fleet` };
      return { fleets: scheduled, gather: reactive };
    }
    case 'capacity-notice':
      return {
        fleets: [],
        gather: {},
        noOp: `${signal.kind} of ${signal.instanceIds.join(', ') || 'an instance'} observed; the groups reconcile it`,
      };
    case 'operator-command':
      return { fleets: [], gather: {}, noOp: 'operator commands go to the ops function' };
  }
}

export async function processSignal(fn: string, signal: Signal, deps: AppDeps): Promise<ProcessResult> {
  const r = route(signal, deps);
  if (r.noOp) {
    deps.counters?.count('NoOps');
    deps.logger.info('no-op', { fn, eventId: signal.eventId, reason: r.noOp });
    return { status: 'no-op', reason: r.noOp, decisions: [], errors: [] };
  }
  const decisions: ProcessResult['decisions'] = [];
  const errors: ProcessResult['errors'] = [];
  let retry: unknown;
  let partial = false;
  await Promise.all(
    r.fleets.map(async (fleet) => {
      try {
        const out: DecisionOutcome = await runDecision(deps, {
          fn,
          fleetId: fleet.id,
          eventId: signal.eventId,
          source: signal.source,
          signals: [signal],
          gather: r.gather,
        });
        decisions.push({
          fleetId: fleet.id,
          status: out.audit.outcome.status,
          ...(out.plan ? { targetNodes: out.plan.targetNodes, currentNodes: out.plan.currentNodes } : {}),
        });
        const failed = out.audit.outcome.failed;
        const retryable = failed.filter((f) => !READS.has(f.action) && isRetryableKind(f.kind));
        if (retryable.length) {
          const e = new RetryableActionsError(fleet.id, retryable);
          errors.push({ fleetId: fleet.id, error: e.message });
          retry ??= e;
        } else if (failed.some((f) => !READS.has(f.action))) {
          // Failures a retry cannot fix (refused credentials, an invalid request, no capacity anywhere): the
          // event is acknowledged, the audit record says what failed.
          partial = true;
        }
      } catch (e) {
        errors.push({ fleetId: fleet.id, error: e instanceof Error ? e.message : String(e) });
        deps.logger.error('decision failed', { fn, fleetId: fleet.id, eventId: signal.eventId, error: String(e) });
        // Every failure is rethrown once the other fleets are done: retryable ones (throttling, a busy lease)
        // succeed on Lambda's retry, the others end in the dead-letter queue with the event.
        retry ??= e;
      }
    }),
  );
  if (retry) throw retry;
  return { status: errors.length || partial ? 'partial' : 'decided', decisions, errors };
}
