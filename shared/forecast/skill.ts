/**
 * What the seasonal forecaster is worth to a fleet, learned from the fleet's own history: the forecaster is
 * replayed on the readings a decision has (the metrics store's range query over the forecast's lookback), from
 * every reading of the last `windowSeconds` that has a season of history before it and its whole horizon of
 * readings after it, and each point it forecasts is compared with the reading at that time. The same points
 * are compared with the naive forecast the SLO headroom scales: the last reading at the origin.
 *
 * MASE, the mean absolute scaled error (Hyndman and Koehler, "Another look at measures of forecast accuracy",
 * International Journal of Forecasting 22(4), 2006), is the forecaster's mean absolute error over the naive
 * forecast's on the same points: below 1 the forecaster beats the last value, at or above 1 it does not. The
 * forecast only ever adds capacity on top of the headroom (engine/recommend.ts), so one that predicts the
 * coming minutes worse than the last value adds capacity it has not earned (engine/forecast.ts).
 *
 * Pure: `(history, now, options) -> skill`. No clock, no I/O.
 */
import type { ForecastSkill } from '../engine/types.ts';
import { forecastSorted, indexAtOrAfter, type SeasonalOptions } from './seasonal.ts';

export interface SkillOptions extends SeasonalOptions {
  /** How far back the origins go, seconds (default one season: every time of day once). */
  windowSeconds?: number;
}

/**
 * The forecaster's skill over the last `windowSeconds` of `history` (`[unix seconds, requests/s]`, any order);
 * undefined when no origin has a season of history before it and a horizon of readings after it.
 */
export function forecastSkill(
  history: ReadonlyArray<readonly [number, number]>,
  now: Date,
  options: SkillOptions,
): ForecastSkill | undefined {
  const season = options.seasonSeconds ?? 86_400;
  const window = options.windowSeconds ?? season;
  const step = options.stepSeconds;
  const t0 = now.getTime() / 1000;
  if (!(step > 0) || !(options.horizonSeconds > 0)) return undefined;
  const pts = atEachTime(
    history
      .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v) && v >= 0 && t <= t0)
      .map(([t, v]) => [t, v] as [number, number])
      .sort((a, b) => a[0] - b[0]),
  );
  if (pts.length < 2) return undefined;
  const first = pts[0]![0];
  const last = pts[pts.length - 1]![0];
  /** The reading within half a step of `t`, if any (binary search over the sorted readings). */
  const readingAt = (t: number): number | undefined => {
    const lo = indexAtOrAfter(pts, t);
    let best: [number, number] | undefined;
    for (const k of [lo - 1, lo]) {
      const p = pts[k];
      if (p && Math.abs(p[0] - t) <= step / 2 && (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t))) best = p;
    }
    return best?.[1];
  };

  let origins = 0;
  let n = 0;
  let err = 0;
  let errLast = 0;
  for (let i = 0; i < pts.length; i++) {
    const [o, lastValue] = pts[i]!;
    if (o < t0 - window || o - season < first || o + options.horizonSeconds > last + step / 2) continue;
    const forecast = forecastSorted(pts, i + 1, o, options);
    let counted = false;
    for (const p of forecast) {
      const truth = readingAt(Date.parse(p.at) / 1000);
      if (truth === undefined) continue;
      err += Math.abs(p.rps - truth);
      errLast += Math.abs(lastValue - truth);
      n++;
      counted = true;
    }
    if (counted) origins++;
  }
  if (n === 0) return undefined;
  return {
    origins,
    points: n,
    mae: err / n,
    maeLastValue: errLast / n,
    mase: errLast > 0 ? err / errLast : err > 0 ? Number.POSITIVE_INFINITY : 1,
    windowSeconds: window,
  };
}

/**
 * Sorted readings with one per time: those sharing a time averaged (as the forecaster reads them), so that the
 * skill does not depend on their order (which of them was the truth, the last value, or in the origin's
 * history).
 */
function atEachTime(sorted: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let sum = 0;
    while (j < sorted.length && sorted[j]![0] === sorted[i]![0]) sum += sorted[j++]![1];
    out.push([sorted[i]![0], sum / (j - i)]);
    i = j;
  }
  return out;
}
