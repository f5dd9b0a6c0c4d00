/**
 * From a normalized signal to decisions: which fleets it concerns, what each decision must read, and one
 * decision per fleet. A failure in one fleet does not stop the others; retryable failures are rethrown at the
 * end so that Lambda retries the event (and then dead-letters it).
 */
import type { MetricAlarmSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import type { AppDeps } from './deps.ts';
import { type DecisionOutcome, type Gather, runDecision } from './decision.ts';

export interface ProcessResult {
  status: 'decided' | 'no-op' | 'partial';
  reason?: string;
  decisions: Array<{ fleetId: string; status: string; targetNodes?: number; currentNodes?: number }>;
  errors: Array<{ fleetId: string; error: string }>;
}

interface Route {
  fleets: Fleet[];
  gather: Gather;
  noOp?: string;
}

function alarmFleet(s: MetricAlarmSignal, deps: AppDeps): string | undefined {
  if (s.fleetId) return s.fleetId;
  const m = deps.resolved.config.alarms.find((a) =>
    a.alarm.endsWith('*') ? s.alarmName.startsWith(a.alarm.slice(0, -1)) : a.alarm === s.alarmName,
  );
  return m?.fleetId ?? s.dimensions.fleet ?? s.dimensions.Fleet;
}

/** Which fleets a signal concerns, and what their decisions read. */
export function route(signal: Signal, deps: AppDeps): Route {
  const fleets = deps.resolved.fleets;
  const reactive: Gather = { metrics: true, demand: true };
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
      const byType = byId.length
        ? byId
        : fleets.filter((f) =>
            f.pools.some(
              (p) =>
                p.capacityType === 'reserved' &&
                p.cloud === signal.cloud &&
                (!signal.instanceType || p.instanceType === signal.instanceType),
            ),
          );
      if (!byType.length)
        return {
          fleets: [],
          gather: {},
          noOp: `reservation ${signal.reservationIds.join(', ')} backs no configured pool`,
        };
      return { fleets: byType, gather: { ...reactive, reservations: true } };
    }
    case 'tick': {
      if (signal.purpose === 'forecast') return { fleets, gather: { ...reactive, forecast: true, reservations: true } };
      const windows = deps.resolved.config.schedules.filter((w) => !signal.window || w.name === signal.window);
      const ids = new Set(windows.flatMap((w) => w.fleets));
      const scheduled = fleets.filter((f) => ids.has(f.id));
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
  return { status: errors.length ? 'partial' : 'decided', decisions, errors };
}
