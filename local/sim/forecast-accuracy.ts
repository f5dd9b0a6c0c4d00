/**
 * How well the seasonal forecaster (shared/forecast/seasonal.ts) predicts a demand trace, as the functions
 * use it: every forecast step (`stepSeconds`, 300 s in the demo's configuration) once a season of history
 * exists, it is given what the metrics store would hold (the demand of each minute, stamped at the minute's
 * end) as the app's range query reads it: every `stepSeconds`, over the last `lookbackHours` and the level
 * window before them, and
 * forecasts the points up to `horizonSeconds` ahead (the pools' time to ready plus a step). Each point is
 * compared with the demand that came: the mean over the `stepSeconds` window centred on the point's time, the
 * forecaster's own resolution.
 *
 * MASE here is the ratio of mean absolute errors over the same points: the forecaster's over a naive
 * forecast's. Two naive forecasts: the seasonal naive (the demand one season earlier at the same time) and the
 * last value (the latest reading at the time of the forecast). Below 1, the forecaster beats the naive one.
 *
 * Pure: the trace in, figures out.
 */
import { DEFAULT_LEVEL_WINDOW_SECONDS, seasonalForecast } from '../../shared/forecast/seasonal.ts';
import { type DemandTrace, meanRps } from './trace.ts';

export interface AccuracyOptions {
  /** Season, seconds (default a day). */
  seasonSeconds?: number;
  /** The forecast's spacing and the metrics query's step, seconds (default 300). */
  stepSeconds?: number;
  /** How far ahead, seconds (default 900: the demo's time to ready, 600 s, plus a step). */
  horizonSeconds?: number;
  /** History the forecaster reads, hours (default 48). */
  lookbackHours?: number;
}

export interface ForecastAccuracy {
  /** Forecast origins evaluated. */
  origins: number;
  /** Points compared (origins x horizons). */
  points: number;
  /** Mean absolute error of the forecaster, requests/s. */
  mae: number;
  maeSeasonalNaive: number;
  maeLastValue: number;
  /** mae / maeSeasonalNaive, mae / maeLastValue. */
  maseSeasonal: number;
  maseLastValue: number;
  /** Mean demand over the evaluated points, requests/s (to read the MAE against). */
  meanDemand: number;
}

/** Undefined when the trace has no season of history before a full horizon. */
export function forecastAccuracy(trace: DemandTrace, options: AccuracyOptions = {}): ForecastAccuracy | undefined {
  const season = options.seasonSeconds ?? 86_400;
  const step = options.stepSeconds ?? 300;
  const horizon = options.horizonSeconds ?? 900;
  const lookback = (options.lookbackHours ?? 48) * 3600;
  const end = trace.durationSeconds;
  const minutes = Math.floor(end / 60);
  // What the metrics store holds: each minute's mean, stamped at its end.
  const minute = Array.from({ length: minutes }, (_, m) => meanRps(trace, m * 60, (m + 1) * 60));
  const reading = (t: number) => minute[Math.floor(t / 60) - 1];
  const actual = (t: number) => meanRps(trace, t - step / 2, t + step / 2);

  let n = 0;
  let origins = 0;
  let err = 0;
  let errSeasonal = 0;
  let errLast = 0;
  let demand = 0;
  for (let t = season + step; t + horizon + step / 2 <= end; t += step) {
    // As the app reads it (shared/app/inputs.ts, forecastSeries): a reading every step, over the lookback and the
    // level window before it.
    const history: Array<[number, number]> = [];
    for (let s = Math.max(step, t - lookback - DEFAULT_LEVEL_WINDOW_SECONDS); s <= t; s += step) {
      const v = reading(s);
      if (v !== undefined) history.push([s, v]);
    }
    const points = seasonalForecast(history, new Date(t * 1000), {
      seasonSeconds: season,
      horizonSeconds: horizon,
      stepSeconds: step,
    });
    const last = reading(t)!;
    origins++;
    for (const p of points) {
      const at = Date.parse(p.at) / 1000;
      const truth = actual(at);
      err += Math.abs(p.rps - truth);
      errSeasonal += Math.abs(actual(at - season) - truth);
      errLast += Math.abs(last - truth);
      demand += truth;
      n++;
    }
  }
  if (n === 0) return undefined;
  return {
    origins,
    points: n,
    mae: err / n,
    maeSeasonalNaive: errSeasonal / n,
    maeLastValue: errLast / n,
    maseSeasonal: ratio(err, errSeasonal),
    maseLastValue: ratio(err, errLast),
    meanDemand: demand / n,
  };
}

/** a / b, with 0 / 0 = 1 (both exact) and x / 0 = Infinity. */
function ratio(a: number, b: number): number {
  if (b > 0) return a / b;
  return a > 0 ? Number.POSITIVE_INFINITY : 1;
}
