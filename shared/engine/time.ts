/** Time helpers. Times travel as ISO strings; the engine compares epoch milliseconds and never reads the clock. */

/** Epoch ms of an ISO time; NaN when it does not parse (callers treat NaN as "absent"). */
export const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

/** ISO string of epoch ms. */
export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** True when `until` is absent (open-ended) or later than `now`. An unparsable time counts as open-ended. */
export function inForce(until: string | undefined, now: number): boolean {
  const t = ms(until);
  return Number.isNaN(t) || t > now;
}
