/**
 * What a decision reads besides the pools: current metrics and demand (metrics port), the demand forecast
 * (seasonal baseline over the history), the schedule windows and the capacity reservations. Every read is
 * best effort: a metrics store or a cloud that does not answer leaves that input out and says so.
 */
import { alarmRef } from '../domain/routing.ts';
import { routingOf } from '../config/routing.ts';
import type { CapacityReservation, MetricQuery, MetricSeries, MetricsQuery } from '../domain/ports.ts';
import type { MetricAlarmSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import type { ForecastPoint, ForecastSkill, MetricValue } from '../engine/types.ts';
import { DEMAND_HISTORY_STEP_SECONDS } from '../engine/headroom.ts';
import { DEFAULT_LEVEL_WINDOW_SECONDS, seasonalForecast } from '../forecast/seasonal.ts';
import { forecastSkill } from '../forecast/skill.ts';
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
  /** How well the forecaster predicted the same history (shared/forecast/skill.ts). */
  forecastSkill?: ForecastSkill;
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

/**
 * The demand's one series over time, or why not: a query that returns several (a configured `demandQuery` not
 * aggregated) is refused as the instant query refuses it (the store's `MultipleSeries`), not read as one
 * series whose readings at the same time are the demand of each (the forecast averaged them, the headroom
 * learned from each as if it were the fleet's).
 */
function oneSeries(series: readonly MetricSeries[]): MetricSeries['points'] | string {
  if (series.length > 1) return `the query returned ${series.length} series; aggregate it (sum, avg, ...) to one value`;
  return series[0]?.points ?? [];
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
    const one = oneSeries(series);
    if (typeof one === 'string') {
      extras.demandHistory = [];
      extras.notes.push(`demand history: ${one}`);
      return;
    }
    extras.demandHistory = one.map(([t, v]) => [t, v] as [number, number]);
  } catch (e) {
    extras.demandHistory = [];
    extras.notes.push(`demand history: metrics store did not answer (${(e as Error).message})`);
  }
}

/**
 * The demand forecast over the fleet's time to ready, from the history in the metrics store: read
 * (`forecastSeries`, with everything else a decision reads) and then computed for the pools observed
 * (`forecastFrom`: their time to ready sets how far ahead).
 */
export async function forecastSeries(
  fleet: Fleet,
  deps: AppDeps,
  now: Date,
  extras: DecisionExtras,
): Promise<Array<[number, number]> | undefined> {
  if (!deps.metrics) {
    extras.notes.push('forecast: no metrics store configured');
    return undefined;
  }
  const f = deps.resolved.config.forecast;
  const cfg = deps.resolved.config.fleets.find((x) => x.id === fleet.id);
  try {
    const series = await deps.metrics.queryRange(
      demandQuery(fleet, cfg?.demandQuery),
      // The lookback's whole seasons and the level window before the oldest: the forecaster reads a season's
      // level over that window, and counts a season only where the history covers at least half of it.
      new Date(now.getTime() - f.lookbackHours * 3600_000 - DEFAULT_LEVEL_WINDOW_SECONDS * 1000),
      now,
      f.stepSeconds,
    );
    const one = oneSeries(series);
    if (typeof one === 'string') {
      extras.notes.push(`forecast: ${one}`);
      return undefined;
    }
    return one;
  } catch (e) {
    extras.notes.push(`forecast: metrics store did not answer (${(e as Error).message})`);
    return undefined;
  }
}

export function forecastFrom(
  points: Array<[number, number]>,
  fleet: Fleet,
  deps: AppDeps,
  now: Date,
): { forecast: ForecastPoint[]; skill?: ForecastSkill } {
  const f = deps.resolved.config.forecast;
  const lead = Math.max(300, ...fleet.pools.map((p) => p.timeToReadySeconds));
  const options = {
    seasonSeconds: f.seasonHours * 3600,
    horizonSeconds: lead + f.stepSeconds,
    stepSeconds: f.stepSeconds,
  };
  // The forecaster replayed over the same readings, the last season of them: how much it is worth (the engine
  // does not use a forecast no better than the last value).
  const skill = forecastSkill(points, now, options);
  return { forecast: seasonalForecast(points, now, options), ...(skill ? { skill } : {}) };
}

/** The reservations of one cloud and region, or why they could not be listed. */
export type RegionReservations = { reservations: CapacityReservation[] } | { failure: PoolFailure };

/** The key of a reserved pool's cloud and region. */
export const reservationRegion = (pool: Fleet['pools'][number]) => `${pool.cloud}/${pool.location.region}`;

/** Capacity reservations and blocks in each region of the fleet's reserved pools, all regions at once. */
export async function listRegionReservations(fleet: Fleet, deps: AppDeps): Promise<Map<string, RegionReservations>> {
  const out = new Map<string, RegionReservations>();
  const firsts = new Map<string, Fleet['pools'][number]>();
  for (const pool of fleet.pools.filter((p) => p.capacityType === 'reserved' && p.reservationId))
    if (!firsts.has(reservationRegion(pool))) firsts.set(reservationRegion(pool), pool);
  await Promise.all(
    [...firsts].map(async ([key, pool]) => {
      const port = deps.clouds.capacityFor(pool);
      if (!port) return;
      try {
        out.set(key, { reservations: await port.listReservations(pool.location.region) });
      } catch (e) {
        out.set(key, { failure: failureOf(pool.id, 'list-reservations', e) });
      }
    }),
  );
  return out;
}

/**
 * The reservations a decision sees: those of the regions of its reserved pools (the pools observed), in
 * their order; the regions that could not be listed are failures.
 */
export function reservationsOf(fleet: Fleet, listed: ReadonlyMap<string, RegionReservations>, extras: DecisionExtras) {
  const reserved = fleet.pools.filter((p) => p.capacityType === 'reserved' && p.reservationId);
  if (!reserved.length) return;
  const seen = new Set<string>();
  const out: CapacityReservation[] = [];
  for (const pool of reserved) {
    const key = reservationRegion(pool);
    if (seen.has(key)) continue;
    seen.add(key);
    const r = listed.get(key);
    if (!r) continue;
    if ('failure' in r) extras.failures.push({ ...r.failure, poolId: pool.id });
    else out.push(...r.reservations);
  }
  extras.reservations = out;
}
