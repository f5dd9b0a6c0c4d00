/**
 * The forecast demand that matters now: the highest expected rps between now and the moment a node asked
 * for now would serve (the fleet's longest time to ready), the end point interpolated between the forecast
 * points around it. As in EC2 predictive scaling, the forecast only raises capacity ahead of demand; it never
 * scales in (the reactive metrics do).
 */
import { ms } from './time.ts';
import type { ForecastPoint } from './types.ts';

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
    // The value at `end`, between the points around it.
    if (next && p.at <= end && next.at > end && next.at > p.at) {
      consider(p.rps + ((next.rps - p.rps) * (end - p.at)) / (next.at - p.at));
    }
  }
  return peak;
}
