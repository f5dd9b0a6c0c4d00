/**
 * A seasonal baseline forecaster: the demand at a future time is the demand at the same time of day in the
 * previous seasons (days), averaged, and scaled by how today's recent level compares with those days at the
 * same hour (so a day that runs 20% hotter is forecast 20% hotter). Without a full season of history it
 * falls back to the recent level (a flat forecast), which never scales in anyway: forecasts only scale out.
 *
 * Pure: `(history, now, options) -> points`. No clock, no I/O.
 */
import type { ForecastPoint } from '../engine/types.ts';

export interface SeasonalOptions {
  /** Season length in seconds (a day by default). */
  seasonSeconds?: number;
  /** How far ahead to forecast, seconds. */
  horizonSeconds: number;
  /** Spacing of the forecast points, seconds. */
  stepSeconds: number;
  /** How much recent history sets today's level, seconds (default 30 min). */
  levelWindowSeconds?: number;
  /** Bounds on the level ratio, so one odd interval cannot blow the forecast up (default 0.5..2). */
  minLevelRatio?: number;
  maxLevelRatio?: number;
}

/**
 * How much recent history sets today's level (seconds). A reader that wants the oldest season it reads to count
 * asks for this much more than its whole seasons (the app's forecast series does).
 */
export const DEFAULT_LEVEL_WINDOW_SECONDS = 1800;

/** `history`: [unix seconds, requests per second] points, any order. */
export function seasonalForecast(
  history: ReadonlyArray<readonly [number, number]>,
  now: Date,
  options: SeasonalOptions,
): ForecastPoint[] {
  const t0 = now.getTime() / 1000;
  const pts = history
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v) && t <= t0)
    .slice()
    .sort((a, b) => a[0] - b[0]);
  return forecastSorted(pts, pts.length, t0, options);
}

/** Index of the first of the first `size` readings (sorted by time) at or after `t`: a binary search. */
export function indexAtOrAfter(pts: ReadonlyArray<readonly [number, number]>, t: number, size = pts.length): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid]![0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The forecast at `t0` (unix seconds) from the first `count` of `pts`: finite readings sorted by time, none
 * after `t0` among them (what `seasonalForecast` makes of its history). Replaying the forecaster at every
 * origin of a day (shared/forecast/skill.ts) passes one sorted array and a growing count.
 */
export function forecastSorted(
  pts: ReadonlyArray<readonly [number, number]>,
  count: number,
  t0: number,
  options: SeasonalOptions,
): ForecastPoint[] {
  const season = options.seasonSeconds ?? 86_400;
  const levelWindow = options.levelWindowSeconds ?? DEFAULT_LEVEL_WINDOW_SECONDS;
  const minRatio = options.minLevelRatio ?? 0.5;
  const maxRatio = options.maxLevelRatio ?? 2;
  const size = Math.min(count, pts.length);
  if (size === 0) return [];

  // The readings in [from, to), summed in time order (the window found by binary search: the forecast is
  // replayed at every origin of a day by shared/forecast/skill.ts).
  const mean = (from: number, to: number): number | undefined => {
    let sum = 0;
    let n = 0;
    for (let i = indexAtOrAfter(pts, from, size); i < size && pts[i]![0] < to; i++) {
      sum += pts[i]![1];
      n++;
    }
    return n ? sum / n : undefined;
  };
  const recent = mean(t0 - levelWindow, t0 + 1);
  // The past seasons the forecast reads: those whose level window the history covers at least half of. At the
  // history's edge a window holds a few readings, one when the history reaches back whole seasons (the metrics
  // query asks for exactly that), and one reading, a burst's, would set that season's level and the ratio of
  // the whole forecast with it (a burst two days ago at this minute scaled today's forecast by 0.6). The same
  // seasons give the level and the forecast points, so a day that ran hotter or cooler than the others is in
  // both or in neither. Without one, every season the history reaches gives the points, at today's level as is.
  const covered: number[] = [];
  for (let k = 1; t0 - k * season - levelWindow / 2 >= pts[0]![0]; k++) covered.push(k);
  const sameTimeBefore: number[] = [];
  for (const k of covered) {
    const v = mean(t0 - k * season - levelWindow, t0 - k * season + 1);
    if (v !== undefined) sameTimeBefore.push(v);
  }
  const baseLevel = sameTimeBefore.length
    ? sameTimeBefore.reduce((a, b) => a + b, 0) / sameTimeBefore.length
    : undefined;
  let ratio = 1;
  if (recent !== undefined && baseLevel !== undefined && baseLevel > 0) {
    ratio = Math.min(maxRatio, Math.max(minRatio, recent / baseLevel));
  }
  const reached = (t: number): number[] => {
    const ks: number[] = [];
    for (let k = 1; t - k * season >= pts[0]![0] - options.stepSeconds; k++) ks.push(k);
    return ks;
  };
  const seasonsBack = (t: number): number[] => {
    const vals: number[] = [];
    for (const k of covered.length > 0 ? covered : reached(t)) {
      const v = mean(t - k * season - options.stepSeconds / 2, t - k * season + options.stepSeconds / 2);
      if (v !== undefined) vals.push(v);
    }
    return vals;
  };

  const out: ForecastPoint[] = [];
  for (let dt = options.stepSeconds; dt <= options.horizonSeconds; dt += options.stepSeconds) {
    const t = t0 + dt;
    const past = seasonsBack(t);
    let rps: number | undefined;
    if (past.length) rps = (past.reduce((a, b) => a + b, 0) / past.length) * ratio;
    else if (recent !== undefined) rps = recent;
    if (rps !== undefined) out.push({ at: new Date(t * 1000).toISOString(), rps: Math.max(0, rps) });
  }
  return out;
}
