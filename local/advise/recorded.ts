/**
 * The fleet's recorded demand from its metrics store: the same query the decisions read (`demandQuery`, by
 * default `sum(fleet_rps{fleet="<id>"})`), one sample a minute over the last `hours`, as a demand trace that
 * starts at the first sample (`originMs`, its UTC time). Gaps (minutes without a sample) keep the sample before
 * them, as a step line.
 */
import { type MetricsPort, metricsQueryText } from '../../shared/domain/ports.ts';
import type { Fleet } from '../../shared/domain/types.ts';
import { demandQuery } from '../../shared/app/inputs.ts';
import type { DemandTrace } from '../sim/trace.ts';

export const RECORDED_STEP_SECONDS = 60;

export class NoRecordedDemandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoRecordedDemandError';
  }
}

export async function recordedDemand(
  metrics: MetricsPort,
  fleet: Fleet,
  configuredQuery: string | undefined,
  now: Date,
  hours: number,
): Promise<DemandTrace & { originMs: number }> {
  const typed = demandQuery(fleet, configuredQuery);
  const query = metricsQueryText(typed);
  const series = await metrics.queryRange(
    typed,
    new Date(now.getTime() - hours * 3600_000),
    now,
    RECORDED_STEP_SECONDS,
  );
  const byTime = new Map<number, number>();
  for (const s of series)
    for (const [t, v] of s.points) if (Number.isFinite(v)) byTime.set(t, (byTime.get(t) ?? 0) + v);
  const times = [...byTime.keys()].sort((a, b) => a - b);
  if (times.length < 2)
    throw new NoRecordedDemandError(
      `the metrics store has ${times.length ? 'one sample' : 'no sample'} of ${query} over the last ${hours} h: no recorded demand to advise on`,
    );
  const start = times[0]!;
  const points = times.map((t) => ({ t: t - start, rps: Math.max(0, byTime.get(t)!) }));
  return {
    stepSeconds: RECORDED_STEP_SECONDS,
    points,
    durationSeconds: points[points.length - 1]!.t + RECORDED_STEP_SECONDS,
    source: `${query} over ${hours} h from ${new Date(start * 1000).toISOString()}`,
    originMs: start * 1000,
  };
}
