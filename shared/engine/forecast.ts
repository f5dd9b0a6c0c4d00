/**
 * The forecast demand that matters now: the highest expected rps between now and the moment a node asked
 * for now would serve (the fleet's longest time to ready), the end point interpolated between the forecast
 * points around it. As in EC2 predictive scaling, the forecast only raises capacity ahead of demand; it never
 * scales in (the reactive metrics do).
 */
import type { Reasons } from './reasons.ts';
import { ms } from './time.ts';
import type { DecisionInput, ForecastPoint } from './types.ts';

/**
 * The MASE against the last value at or above which the forecast is not used (shared/forecast/skill.ts): a
 * forecast that predicts the coming minutes no better than the last value (Hyndman and Koehler 2006: MASE 1
 * is the naive forecast's own error) cannot add what the SLO headroom, the last value scaled by the quantile
 * the fleet's history asks for, does not already hold.
 */
export const FORECAST_MASE_LIMIT = 1;

/**
 * Fewest replayed origins for that verdict: an hour of them at the forecast's 5-minute step (the forecast
 * schedule's `rate(5 minutes)`); on fewer the forecast is used as it comes.
 */
export const FORECAST_SKILL_MIN_ORIGINS = 12;

/**
 * The forecast the decision uses: the input's, unless its skill on the fleet's own recent demand says it
 * predicts no better than the last value; the reasons say which, with the figures.
 */
export function usableForecast(input: DecisionInput, reasons: Reasons): ForecastPoint[] | undefined {
  const forecast = input.forecast;
  const skill = input.forecastSkill;
  if (!forecast || forecast.length === 0 || !skill || skill.origins < FORECAST_SKILL_MIN_ORIGINS) return forecast;
  const figures =
    `over the last ${(skill.windowSeconds / 3600).toFixed(0)} h of the fleet's demand (${skill.origins} origins, ` +
    `${skill.points} points) its mean absolute error was ${skill.mae.toFixed(1)} rps against ` +
    `${skill.maeLastValue.toFixed(1)} rps for the last value (MASE ${skill.mase.toFixed(2)})`;
  if (skill.mase >= FORECAST_MASE_LIMIT) {
    reasons.add(
      'rule',
      'forecast.unskilled',
      `forecast not used: ${figures}; no better than the last value the SLO headroom scales`,
    );
    return undefined;
  }
  reasons.add('rule', 'forecast.skill', `forecast used: ${figures}`);
  return forecast;
}

/** Peak forecast rps in (now, now + leadSeconds], or undefined when no point informs that interval. */
export function forecastPeak(points: readonly ForecastPoint[], now: number, leadSeconds: number): number | undefined {
  const end = now + leadSeconds * 1000;
  const sorted = points
    .map((p) => ({ at: ms(p.at), rps: p.rps }))
    .filter((p) => !Number.isNaN(p.at) && Number.isFinite(p.rps))
    .sort((a, b) => a.at - b.at);
  let peak: number | undefined;
  const consider = (rps: number) => {
    peak = peak === undefined ? rps : Math.max(peak, rps);
  };
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    if (p.at > now && p.at <= end) consider(p.rps);
    const next = sorted[i + 1];
    // The value just after `now`, between a point at or before it and the next after it: the interval is open
    // at `now`, but the line reaches that value (without it, a longer lead could give a lower peak).
    if (next && p.at <= now && next.at > now && next.at > p.at) {
      consider(p.rps + ((next.rps - p.rps) * (now - p.at)) / (next.at - p.at));
    }
    // The value at `end`, between the points around it.
    if (next && p.at <= end && next.at > end && next.at > p.at) {
      consider(p.rps + ((next.rps - p.rps) * (end - p.at)) / (next.at - p.at));
    }
  }
  return peak;
}
