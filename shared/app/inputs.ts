/**
 * What a decision reads besides the pools: current metrics and demand (metrics port), the demand forecast
 * (seasonal baseline over the history), the schedule windows and the capacity reservations. Every read is
 * best effort: a metrics store or a cloud that does not answer leaves that input out and says so.
 */
import { alarmRef } from '../../events/context.ts';
import { routingOf } from '../config/routing.ts';
import type { CapacityReservation, MetricQuery, MetricsQuery } from '../domain/ports.ts';
import type { MetricAlarmSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import type { ForecastPoint, MetricValue } from '../engine/types.ts';
import { DEMAND_HISTORY_STEP_SECONDS } from '../engine/headroom.ts';
import { seasonalForecast } from '../forecast/seasonal.ts';
import type { AppDeps } from './deps.ts';
import { failureOf, type PoolFailure } from './observe.ts';

/** The query for a policy metric of a fleet: the fleet-wide average per node. */
export const metricQuery = (fleetId: string, metric: string): MetricQuery => ({
  metric,
  labels: { fleet: fleetId },
  aggregation: 'avg',
});
/** The fleet's demand in requests/s: the fleet's `fleet_rps` summed, or the PromQL the user configured. */
export const demandQuery = (fleet: Fleet, configured?: string): MetricsQuery =>
  configured !== undefined
    ? { promql: configured }
    : { metric: 'fleet_rps', labels: { fleet: fleet.id }, aggregation: 'sum' };

export interface DecisionExtras {
  metrics?: MetricValue[];
  demand?: { rps: number };
  /** The recorded demand, [unix seconds, rps], a sample a minute over the forecast's lookback. */
  demandHistory?: Array<[number, number]>;
  forecast?: ForecastPoint[];
  reservations?: CapacityReservation[];
  notes: string[];
  failures: PoolFailure[];
}

/**
 * Current metric values: from the metrics store (the policy's metrics queried at once), else from the alarm
 * that fired (its last datapoint).
 */
export async function currentMetrics(
  fleet: Fleet,
  signals: Signal[],
  deps: AppDeps,
  now: Date,
  extras: DecisionExtras,
) {
  const values = await Promise.all(
    fleet.policy.metrics.map(async (target): Promise<MetricValue | undefined> => {
      let value: number | undefined;
      if (deps.metrics) {
        try {
          value = await deps.metrics.queryInstant(metricQuery(fleet.id, target.metric), now);
        } catch (e) {
          extras.notes.push(`metric ${target.metric}: metrics store did not answer (${(e as Error).message})`);
        }
      }
      if (value === undefined) {
        const alarm = signals.find(
          (s): s is MetricAlarmSignal =>
            s.type === 'metric-alarm' && s.value !== undefined && alarmMetric(s, deps) === target.metric,
        );
        value = alarm?.value;
      }
      return value !== undefined && Number.isFinite(value) ? { metric: target.metric, value } : undefined;
    }),
  );
  const found = values.filter((v): v is MetricValue => v !== undefined);
  if (found.length) extras.metrics = found;
}

/** The engine's name for the metric an alarm watches (configured, else the CloudWatch metric name lower-cased). */
function alarmMetric(s: MetricAlarmSignal, deps: AppDeps): string | undefined {
  const configured = alarmRef(routingOf(deps.resolved), s.alarmName)?.metric;
  if (configured) return configured;
  const m = s.metricName?.toLowerCase();
  if (!m) return undefined;
  if (m.includes('gpu') && m.includes('util')) return 'gpu_utilization';
  if (m.includes('queue')) return 'queue_depth';
  return m;
}

export async function currentDemand(fleet: Fleet, deps: AppDeps, now: Date, extras: DecisionExtras) {
  if (!deps.metrics) return;
  const cfg = deps.resolved.config.fleets.find((f) => f.id === fleet.id);
  try {
    const rps = await deps.metrics.queryInstant(demandQuery(fleet, cfg?.demandQuery), now);
    if (rps !== undefined && Number.isFinite(rps)) extras.demand = { rps };
  } catch (e) {
    extras.notes.push(`demand: metrics store did not answer (${(e as Error).message})`);
  }
}

/**
 * The fleet's recorded demand, one sample a minute over the forecast's lookback: the engine learns from it
 * how far above the demand of now the peaks of a lead time go (its SLO headroom). A store that does not
 * answer gives an empty history: the engine's prior then decides.
 */
export async function demandHistory(fleet: Fleet, deps: AppDeps, now: Date, extras: DecisionExtras) {
  if (!deps.metrics) return;
  const cfg = deps.resolved.config.fleets.find((f) => f.id === fleet.id);
  const hours = deps.resolved.config.forecast.lookbackHours;
  try {
    const series = await deps.metrics.queryRange(
      demandQuery(fleet, cfg?.demandQuery),
      new Date(now.getTime() - hours * 3600_000),
      now,
      DEMAND_HISTORY_STEP_SECONDS,
    );
    extras.demandHistory = series.flatMap((s) => s.points.map(([t, v]) => [t, v] as [number, number]));
  } catch (e) {
    extras.demandHistory = [];
    extras.notes.push(`demand history: metrics store did not answer (${(e as Error).message})`);
  }
}

/** The demand forecast over the fleet's time to ready, from the history in the metrics store. */
export async function forecastDemand(fleet: Fleet, deps: AppDeps, now: Date, extras: DecisionExtras) {
  if (!deps.metrics) {
    extras.notes.push('forecast: no metrics store configured');
    return;
  }
  const f = deps.resolved.config.forecast;
  const cfg = deps.resolved.config.fleets.find((x) => x.id === fleet.id);
  const lead = Math.max(300, ...fleet.pools.map((p) => p.timeToReadySeconds));
  try {
    const series = await deps.metrics.queryRange(
      demandQuery(fleet, cfg?.demandQuery),
      new Date(now.getTime() - f.lookbackHours * 3600_000),
      now,
      f.stepSeconds,
    );
    const points = series.flatMap((s) => s.points);
    extras.forecast = seasonalForecast(points, now, {
      seasonSeconds: f.seasonHours * 3600,
      horizonSeconds: lead + f.stepSeconds,
      stepSeconds: f.stepSeconds,
    });
  } catch (e) {
    extras.notes.push(`forecast: metrics store did not answer (${(e as Error).message})`);
  }
}

/** Capacity reservations and blocks in the regions of the fleet's reserved pools. */
export async function reservationsOf(fleet: Fleet, deps: AppDeps, extras: DecisionExtras) {
  const reserved = fleet.pools.filter((p) => p.capacityType === 'reserved' && p.reservationId);
  if (!reserved.length) return;
  const seen = new Set<string>();
  const out: CapacityReservation[] = [];
  for (const pool of reserved) {
    const key = `${pool.cloud}/${pool.location.region}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const port = deps.clouds.capacityFor(pool);
    if (!port) continue;
    try {
      out.push(...(await port.listReservations(pool.location.region)));
    } catch (e) {
      extras.failures.push(failureOf(pool.id, 'list-reservations', e));
    }
  }
  extras.reservations = out;
}
