/**
 * SLO-driven headroom: how much capacity to hold above the demand of now so that the demand of the coming
 * lead time is served at the fleet's availability target (`slo.availability`).
 *
 * A node asked for now serves only after its time to ready, and the next decision comes one decision
 * interval later: the capacity held now (ready plus booting) is all the fleet has until then. So the
 * quantity that matters is the peak demand over the lead time (time to ready + decision interval) relative
 * to the demand now. The estimator learns its distribution online from the fleet's own recorded demand:
 *
 *   - every sample `d(t)` of the history whose lead window `(t, t + lead]` the history covers gives one
 *     window: its level `d` and its peak `P = max d(u)` over the window. The level is one of two bases
 *     (`LevelBasis`): the demand at `t` (`now`), or the highest demand since the previous decision,
 *     `[t - lookback, t]` with the decision interval as lookback (`recent-peak`): a burst that came and went
 *     between two decisions was seen by neither as the demand of now, and on bursty demand the next one
 *     comes from the lull that follows it;
 *   - the multiplier is the smallest `m >= 1` whose share of requests lost stays within the target:
 *     `sum max(0, P - m x d)  <=  (1 - availability) x sum P` (a window served with capacity `m x d` loses
 *     the excess of its peak, counted as if the peak lasted the whole window: the conservative side). It
 *     never falls as the target rises (the left side falls as `m` grows);
 *   - until the history speaks for the target, a prior: one pseudo-window at `priorRatio(lead)` (demand
 *     doubling within a 900 s lead time, the same growth compounded over another) at the history's mean
 *     demand. It decides alone without history, and
 *     fades as windows accumulate: at a 0.999 target its pull drops below the history's after several
 *     hundred windows (minutes);
 *   - capacity above both the highest demand the history has seen and the prior's reach from the demand of
 *     now (`prior x d`) would serve nothing the fleet has seen or expects: the headroom is capped there. A
 *     trace that jumps from idle to its peak (a ratio no multiplier bounds) is then held at its peak, like a
 *     static fleet.
 *
 * A third basis, `seasonal`, is the recent peak raised to what the demand reached over the same lead a season
 * (the fleet's `forecast.seasonHours`, `DecisionInput.demandSeasonSeconds`; a day, `HEADROOM_SEASON_SECONDS`,
 * by default) earlier: a ramp that comes at the same time every day (a business day's
 * start, a timer's jobs) is then a level reached ahead of it rather than a ratio of the night's demand held all
 * night. It is learned only from the windows a season of history stands behind, is a candidate only where it
 * predicts the lead's peak better than the recent level there (the forecast's skill rule), and wins only where,
 * fitted to and replayed over those windows beside the other choice fitted to the same span, it keeps the target
 * with less capacity.
 *
 * Which level (`chooseLevel`) is learned from the same history, at one reference target
 * (`LEVEL_CHOICE_AVAILABILITY`, 99.9%, whatever the fleet's own): each basis gets its
 * multiplier as above, and both are replayed over every lead window the history covers (those starting at
 * zero demand included: a level of zero holds nothing, so a burst from idle is lost whole). The basis that
 * keeps the loss within the target at the lower mean capacity wins; when neither does, the one that loses
 * less; at a tie (flat demand, or windows from idle only) `recent-peak`, as without a covered window: demand
 * the fleet saw minutes ago is the only scale it has (a rise from idle multiplies zero). Calm demand keeps
 * `now` (the recent peak only adds the noise of the last minutes); demand that bursts and falls back keeps
 * `recent-peak`. Replayed capacity is capped at the history's peak, as the headroom is.
 *
 * The result is `headroom(...)`: the capacity (requests/s) needed within the lead time, the multiplier, the
 * quantile and the window it was learned over. It is the seam other capacity planners build on (warm
 * capacity asks the same question over its own, shorter lead time: `estimateHeadroom` with that lead).
 * Pure: the application gathers the demand history as data. A decision reads it once (`DemandHistory`: sorted,
 * its lead windows and estimates kept), since it asks the same windows of every level candidate, both horizons
 * of warm capacity and every spot hedge target: the same answers at half the engine's time per decision.
 */

import { DEFAULT_DECISION_INTERVAL_SECONDS } from './defaults.ts';

/** One recorded demand sample. */
export interface DemandSample {
  /** Epoch milliseconds. */
  at: number;
  /** Requests per second at that time. */
  rps: number;
}

/**
 * Prior peak-to-now ratio over a lead time when the fleet has no history of its own: demand doubling. The
 * Kubernetes HPA's default scale-up behavior lets a workload double (+100%) per period, the growth its
 * defaults are built to follow (autoscaling/v2 defaults, `DEFAULT_SCALE_UP`); a controller without history
 * plans for that much. A prior, not a measurement: the fleet's own history replaces it.
 */
export const HEADROOM_PRIOR_RATIO = 2;

/**
 * The lead time the prior's doubling is stated over (seconds): a GPU node's 10-minute time to ready (the
 * default here; 5 to 16 minutes in the reports of ../shared/traces/README.md) plus the 5-minute decision
 * interval. Over another lead the prior is the same growth rate compounded: `priorRatio(lead)` =
 * 2^(lead / 900), so a shorter horizon (the time a warm node takes to serve) expects a smaller rise, and
 * the demo's cold lead (900 s) keeps x2.
 */
export const HEADROOM_PRIOR_LEAD_SECONDS = 900;

/** The prior peak-to-now ratio over `leadSeconds` (see `HEADROOM_PRIOR_LEAD_SECONDS`): at least 1. */
export function priorRatio(leadSeconds: number): number {
  if (!(leadSeconds > 0)) return 1;
  return HEADROOM_PRIOR_RATIO ** (leadSeconds / HEADROOM_PRIOR_LEAD_SECONDS);
}

/**
 * Resolution of the demand history the application gathers (seconds): Prometheus' default scrape interval
 * and CloudWatch's standard metric period are both one minute, the finest step minute-scale bursts show at.
 */
export const DEMAND_HISTORY_STEP_SECONDS = 60;

/**
 * The level a headroom scales: the demand now, the highest demand since the previous decision, or the higher of
 * that and what the demand reached over the same lead a season (a day by default) earlier (see the file comment).
 */
export type LevelBasis = 'now' | 'recent-peak' | 'seasonal';

/**
 * The availability target the level is chosen at (`chooseLevel`), whatever the fleet's: 99.9%, the SLO the
 * issue's benchmark holds every fleet to and the demo's `slo.availability`. The level says how the fleet's
 * demand bursts (from which base a burst is measured, and whether it scales with it or adds to it), not how much
 * of it to hold, which the fleet's own target decides on that level. Chosen at the fleet's target instead, a
 * higher target could pick a level that holds less now than the one a lower target picked (the choice weighs
 * the mean over the history): on random bursty histories, 2.9% of pairs of targets from 0.9 to 0.9995 held
 * less at the higher one, by up to 30%. With one level for every target, the headroom never falls as the target
 * rises (each level's headroom is monotone in it).
 */
export const LEVEL_CHOICE_AVAILABILITY = 0.999;

/**
 * The season the `seasonal` level looks back (seconds) by default: a day, the cycle of inference demand (the
 * forecast's default season, `forecast.seasonHours` 24, and the Azure LLM traces' own description of their daily
 * pattern). A ramp that comes at the same time every day (a business day's start) is then a level the fleet
 * reaches ahead of it, not a ratio of the night's demand held all night. A fleet whose demand repeats over
 * another period (a week) sets `forecast.seasonHours`, which the application passes as
 * `DecisionInput.demandSeasonSeconds`.
 */
export const HEADROOM_SEASON_SECONDS = 86_400;

/** The season a level looks back (seconds): 0 unless `seasonal`. */
export function seasonOf(level: Pick<Level, 'basis' | 'seasonSeconds'>): number {
  return level.basis === 'seasonal' ? Math.max(0, level.seasonSeconds ?? HEADROOM_SEASON_SECONDS) : 0;
}

/**
 * How far back the `recent-peak` level looks (seconds): the decision interval (the forecast schedule's period,
 * `DEFAULT_DECISION_INTERVAL_SECONDS`, `rate(5 minutes)`, unless the caller passes the fleet's), at most the
 * lead itself.
 */
export function levelLookbackSeconds(
  leadSeconds: number,
  intervalSeconds: number = DEFAULT_DECISION_INTERVAL_SECONDS,
): number {
  return Math.max(0, Math.min(leadSeconds, intervalSeconds));
}

/** One lead window of the history: its level (the demand it scales from) and the peak over it. */
export interface PeakRatio {
  /** Peak demand over the window / its level. */
  ratio: number;
  /** The window's level (requests/s): the demand at its start, or the highest since the lookback before it. */
  start: number;
  /** Peak demand over the window (requests/s): the requests at stake. */
  peak: number;
}

const validSorted = (samples: readonly DemandSample[]) =>
  samples.filter((p) => Number.isFinite(p.at) && Number.isFinite(p.rps) && p.rps >= 0).sort((a, b) => a.at - b.at);

/** A lead window: its level (the demand it scales from) and the peak over it. */
export interface LeadWindow {
  level: number;
  peak: number;
}

/**
 * Every lead window the history covers (its last sample at or after the window's end, within half a step):
 * the level (the highest demand over `[t - lookbackSeconds, t]`, the demand at `t` with no lookback; with a
 * season, also the highest over `(t - season, t - season + lead]`, and only the windows the history reaches a
 * season behind: the last ones of the list without a season) and the peak over `(t, t + lead]`. Levels of
 * zero included. `s`: valid samples in time order; `step`: their median step.
 */
function leadWindows(
  s: readonly DemandSample[],
  step: number,
  leadSeconds: number,
  lookbackSeconds: number,
  seasonSeconds = 0,
) {
  const out: LeadWindow[] = [];
  if (s.length < 2 || !(leadSeconds > 0)) return out;
  const lead = leadSeconds * 1000;
  const lookback = Math.max(0, lookbackSeconds) * 1000;
  const season = Math.max(0, seasonSeconds) * 1000;
  const lastAt = s[s.length - 1].at;
  // The same lead a season earlier: a third deque, over (t_i - season, t_i - season + lead].
  const past: number[] = [];
  let pHead = 0;
  let pj = 0;
  // Sliding-window maxima over (t_i, t_i + lead] ahead and [t_i - lookback, t_i] behind: deques of indices with
  // decreasing demand.
  const ahead: number[] = [];
  let head = 0;
  let j = 0;
  const behind: number[] = [];
  let bHead = 0;
  for (let i = 0; i < s.length; i++) {
    while (behind.length > bHead && s[behind[behind.length - 1]].rps <= s[i].rps) behind.pop();
    behind.push(i);
    while (bHead < behind.length && s[behind[bHead]].at < s[i].at - lookback - 1e-6) bHead++;
    const end = s[i].at + lead;
    if (end > lastAt + step / 2) break;
    while (j < s.length && s[j].at <= end + 1e-6) {
      while (ahead.length > head && s[ahead[ahead.length - 1]].rps <= s[j].rps) ahead.pop();
      ahead.push(j);
      j++;
    }
    while (head < ahead.length && ahead[head] <= i) head++;
    if (head >= ahead.length) continue;
    let level = s[behind[bHead]].rps;
    if (season > 0) {
      const from = s[i].at - season;
      while (pj < s.length && s[pj].at <= from + lead + 1e-6) {
        while (past.length > pHead && s[past[past.length - 1]].rps <= s[pj].rps) past.pop();
        past.push(pj);
        pj++;
      }
      while (pHead < past.length && s[past[pHead]].at <= from + 1e-6) pHead++;
      // Only the windows a season of history stands behind: the earlier ones are the suffix's complement.
      if (s[0].at > from + step / 2) continue;
      if (pHead < past.length) level = Math.max(level, s[past[pHead]].rps);
    }
    out.push({ level, peak: s[ahead[head]].rps });
  }
  return out;
}

/**
 * A demand history read once per decision: its valid samples in time order, its span and peak, and the lead
 * windows and estimates asked of it, kept (a decision asks for the same windows for every level candidate,
 * horizon and hedge target). Every function here takes it or the samples themselves; results are the same.
 * Immutable once built: what it keeps depends on nothing but the samples.
 */
export class DemandHistory {
  /** Valid samples (finite time, finite non-negative demand), in time order. */
  readonly sorted: readonly DemandSample[];
  /** Seconds between the first and the last sample with a finite time. */
  readonly spanSeconds: number;
  /** Highest finite demand (requests/s), 0 without one. */
  readonly peak: number;
  private readonly step: number;
  private readonly windowMemo = new Map<string, readonly LeadWindow[]>();
  private readonly ratioMemo = new Map<string, readonly PeakRatio[]>();
  private readonly estimateMemo = new Map<string, HeadroomEstimate>();
  private readonly seasonalMemo = new Map<string, number>();

  constructor(samples: readonly DemandSample[]) {
    this.sorted = validSorted(samples);
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let peak = 0;
    for (const p of samples) {
      if (Number.isFinite(p.at)) {
        first = Math.min(first, p.at);
        last = Math.max(last, p.at);
      }
      if (Number.isFinite(p.rps)) peak = Math.max(peak, p.rps);
    }
    this.spanSeconds = last >= first ? (last - first) / 1000 : 0;
    this.peak = peak;
    this.step = medianStep(this.sorted);
  }

  /** The history of `samples`: itself when it already is one. */
  static of(samples: readonly DemandSample[] | DemandHistory): DemandHistory {
    return samples instanceof DemandHistory ? samples : new DemandHistory(samples);
  }

  /** The lead windows over `leadSeconds` with levels over `lookbackSeconds` and a season before (see `leadWindows`). */
  windows(leadSeconds: number, lookbackSeconds: number, seasonSeconds = 0): readonly LeadWindow[] {
    const key = `${leadSeconds}:${lookbackSeconds}:${seasonSeconds}`;
    let w = this.windowMemo.get(key);
    if (w === undefined) {
      w = leadWindows(this.sorted, this.step, leadSeconds, lookbackSeconds, seasonSeconds);
      this.windowMemo.set(key, w);
    }
    return w;
  }

  /**
   * The windows with a level above zero, as ratios (see `peakRatios`). A level so small that its ratio is not a
   * finite number (a subnormal demand under a peak) counts as zero, as a window from idle: no multiplier bounds it.
   */
  ratios(leadSeconds: number, lookbackSeconds: number, seasonSeconds = 0): readonly PeakRatio[] {
    const key = `${leadSeconds}:${lookbackSeconds}:${seasonSeconds}`;
    let r = this.ratioMemo.get(key);
    if (r === undefined) {
      r = this.windows(leadSeconds, lookbackSeconds, seasonSeconds)
        .filter((w) => w.level > 0 && Number.isFinite(w.peak / w.level))
        .map((w) => ({ ratio: w.peak / w.level, start: w.level, peak: w.peak }));
      this.ratioMemo.set(key, r);
    }
    return r;
  }

  /** `estimateHeadroom` over this history, kept per lead, target, prior and level. */
  estimate(leadSeconds: number, target: number, prior0: number, level: Level): HeadroomEstimate {
    const key = `${leadSeconds}:${target}:${prior0}:${level.basis}:${level.lookbackSeconds}:${seasonOf(level)}:${level.form ?? 'ratio'}`;
    let e = this.estimateMemo.get(key);
    if (e === undefined) {
      e = estimateFrom(this, leadSeconds, target, prior0, level);
      this.estimateMemo.set(key, e);
    }
    return e;
  }

  /**
   * The highest demand over `(T - season, T - season + lead]`, `T` the last sample: what the coming lead reached a
   * season earlier. 0 when the history does not reach back a season (within half a step).
   */
  seasonalPeak(leadSeconds: number, seasonSeconds: number): number {
    const key = `${leadSeconds}:${seasonSeconds}`;
    let peak = this.seasonalMemo.get(key);
    if (peak === undefined) {
      peak = 0;
      const s = this.sorted;
      const from = s.length ? s[s.length - 1].at - seasonSeconds * 1000 : 0;
      if (s.length && seasonSeconds > 0 && leadSeconds > 0 && s[0].at <= from + this.step / 2) {
        const to = from + leadSeconds * 1000;
        for (const p of s) {
          if (p.at > to + 1e-6) break;
          if (p.at > from + 1e-6) peak = Math.max(peak, p.rps);
        }
      }
      this.seasonalMemo.set(key, peak);
    }
    return peak;
  }
}

/**
 * The peak-to-level ratio of every sample whose lead window the history covers; the level is the demand at the
 * sample (`lookbackSeconds` 0) or the highest demand over the lookback before it. A level of zero gives no
 * ratio (nothing to scale from).
 */
export function peakRatios(
  samples: readonly DemandSample[] | DemandHistory,
  leadSeconds: number,
  lookbackSeconds = 0,
): PeakRatio[] {
  return [...DemandHistory.of(samples).ratios(leadSeconds, lookbackSeconds)];
}

/**
 * The level of now for a basis: the demand now, or the highest of it and the history's samples within the
 * lookback before the history's last sample.
 */
export function recentLevel(
  demandRps: number,
  samples: readonly DemandSample[] | DemandHistory,
  lookbackSeconds: number,
): number {
  let level = Math.max(0, demandRps);
  const s = DemandHistory.of(samples).sorted;
  if (s.length === 0 || !(lookbackSeconds > 0)) return level;
  const from = s[s.length - 1].at - lookbackSeconds * 1000 - 1e-6;
  for (let i = s.length - 1; i >= 0 && s[i].at >= from; i--) level = Math.max(level, s[i].rps);
  return level;
}

/**
 * The level of now for `level` over a lead: `recentLevel`, and with the `seasonal` basis at least what the same
 * lead reached a season earlier (`DemandHistory.seasonalPeak`).
 */
export function levelOf(
  demandRps: number,
  samples: readonly DemandSample[] | DemandHistory,
  level: Level,
  leadSeconds: number,
): number {
  const recent = recentLevel(demandRps, samples, level.lookbackSeconds);
  const season = seasonOf(level);
  return season > 0 ? Math.max(recent, DemandHistory.of(samples).seasonalPeak(leadSeconds, season)) : recent;
}

function medianStep(s: readonly DemandSample[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < s.length; i++) if (s[i].at > s[i - 1].at) gaps.push(s[i].at - s[i - 1].at);
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/** Share of requests lost with capacity `m` x the demand at each window's start. */
function lossShare(windows: readonly PeakRatio[], m: number): number {
  let total = 0;
  for (const w of windows) total += w.peak;
  return total > 0 ? ratioLost(windows, m) / total : 0;
}

export interface HeadroomEstimate {
  /** Capacity multiplier on the level (>= 1; 1 in the `offset` form). */
  multiplier: number;
  /** Requests/s held above the level in the `offset` form (0 in the `ratio` form). */
  offsetRps: number;
  /** The availability target it was sized for. */
  availability: number;
  /** Lead windows learned from (0: the prior alone). */
  windows: number;
  /** Whether the prior still weighs on the result (the history alone would give less). */
  prior: boolean;
  /** Seconds of history the windows span. */
  historySeconds: number;
  /** Highest demand in the history (requests/s), 0 without history. */
  historyPeak: number;
}

/**
 * How the peak over a lead window relates to its level: `ratio`, a multiple of it (demand that grows in
 * proportion: the day's ramps), or `offset`, the level plus an amount (bursts of about the same size whatever
 * the level: a batch job's requests, an API client's retries, serverless invocations).
 */
export type HeadroomForm = 'ratio' | 'offset';

/** The level a headroom scales, how far back it looks (0 for `now`), and the form of the headroom above it. */
export interface Level {
  basis: LevelBasis;
  lookbackSeconds: number;
  /** `ratio` when absent. */
  form?: HeadroomForm;
  /** The `seasonal` basis's season (seconds); `HEADROOM_SEASON_SECONDS` when absent. */
  seasonSeconds?: number;
}

/** The demand of now as the level: the estimator's historical default. */
export const LEVEL_NOW: Level = { basis: 'now', lookbackSeconds: 0 };

/**
 * The smallest multiplier (>= 1) whose expected share of lost requests over the history's lead windows, plus
 * the prior's pseudo-window, stays within `1 - availability`. Monotone: a higher target never gives less.
 */
export function estimateHeadroom(
  samples: readonly DemandSample[] | DemandHistory,
  leadSeconds: number,
  availability: number,
  prior0 = priorRatio(leadSeconds),
  level: Level = LEVEL_NOW,
): HeadroomEstimate {
  const target = Math.min(1, Math.max(0, availability));
  return DemandHistory.of(samples).estimate(leadSeconds, target, prior0, level);
}

function estimateFrom(
  h: DemandHistory,
  leadSeconds: number,
  target: number,
  prior0: number,
  level: Level,
): HeadroomEstimate {
  const common = { availability: target, historySeconds: h.spanSeconds, historyPeak: h.peak };
  if (level.form === 'offset') {
    const windows = h.windows(leadSeconds, level.lookbackSeconds, seasonOf(level));
    const offsetRps = solveOffset(windows, target, prior0);
    // The prior weighs where the history alone would keep the target with less (by more than the solve's
    // tolerance): one replay at that amount, not a second solve.
    const less = offsetRps - 1e-4 * Math.max(1, offsetRps);
    return {
      ...common,
      multiplier: 1,
      offsetRps,
      windows: windows.length,
      prior: less >= 0 && offsetKeeps(windows, target, less),
    };
  }
  const history = h.ratios(leadSeconds, level.lookbackSeconds, seasonOf(level));
  const multiplier = solveMultiplier(history, target, prior0);
  return {
    ...common,
    multiplier,
    offsetRps: 0,
    windows: history.length,
    prior: multiplier - 1e-4 >= 1 && lossShare(history, multiplier - 1e-4) <= 1 - target,
  };
}

/** Requests lost over `windows`, each served with its level + `a`. */
function offsetLost(windows: readonly { level: number; peak: number }[], a: number): number {
  let lost = 0;
  for (const w of windows) lost += Math.max(0, w.peak - w.level - a);
  return lost;
}

/** Requests lost over `windows`, each served with `m` x the demand at its start. */
function ratioLost(windows: readonly PeakRatio[], m: number): number {
  let lost = 0;
  for (const w of windows) lost += Math.max(0, w.peak - m * w.start);
  return lost;
}

/** Whether the lead windows alone, each served with its level + `a`, lose within the target (none: they do). */
function offsetKeeps(windows: readonly { level: number; peak: number }[], target: number, a: number): boolean {
  let total = 0;
  for (const w of windows) total += w.peak;
  return !(total > 0) || offsetLost(windows, a) <= (1 - target) * total;
}

/**
 * The smallest amount a >= 0 whose loss share over the lead windows (capacity: each window's level + a; and the
 * prior's pseudo-window, when given: the mean level x the prior ratio at the mean level) fits the target.
 * Monotone: a higher target never gives less.
 */
function solveOffset(history: readonly { level: number; peak: number }[], target: number, prior0?: number): number {
  const windows = [...history];
  if (prior0 !== undefined && history.length > 0) {
    const meanLevel = history.reduce((w, r) => w + r.level, 0) / history.length;
    windows.push({ level: meanLevel, peak: Math.max(1, prior0) * meanLevel });
  }
  let total = 0;
  for (const w of windows) total += w.peak;
  if (!(total > 0)) return 0;
  const allowed = (1 - target) * total;
  // The windows that can still lose: once an amount is too small, every later try is larger, and a window
  // whose rise that amount already covered loses nothing at any of them (dropped: the sums are the same).
  let active = windows.filter((w) => w.peak - w.level > 0);
  const lost = (a: number) => offsetLost(active, a);
  if (lost(0) <= allowed) return 0;
  let lo = 0;
  let hi = Math.max(0, ...windows.map((w) => w.peak - w.level));
  // The loss falls continuously as a grows and is 0 at the largest rise: bisect to 1e-4 of it.
  const tol = 1e-4 * Math.max(1, hi);
  for (let k = 0; k < 60 && hi - lo > tol; k++) {
    const mid = lo + (hi - lo) / 2; // (lo + hi) / 2 overflows to Infinity near the largest double
    if (lost(mid) <= allowed) hi = mid;
    else {
      lo = mid;
      active = active.filter((w) => w.peak - w.level - lo > 0);
    }
  }
  return hi;
}

/** The smallest m >= 1 whose loss share over `history` (and the prior's pseudo-window, when given) fits the target. */
function solveMultiplier(history: readonly PeakRatio[], target: number, prior0?: number): number {
  const windows = [...history];
  if (prior0 !== undefined) {
    const meanStart = history.length ? history.reduce((w, r) => w + r.start, 0) / history.length : 1;
    const prior = Math.max(1, prior0);
    windows.push({ ratio: prior, start: meanStart, peak: prior * meanStart });
  }
  const allowed = 1 - target;
  let hi = Math.max(1, ...windows.map((r) => r.ratio));
  let lo = 1;
  if (lossShare(windows, lo) <= allowed) return lo;
  let total = 0;
  for (const w of windows) total += w.peak;
  // As in `solveOffset`: once a multiplier is too small, the windows it served lose nothing at any later try.
  let active = windows.filter((w) => w.peak - lo * w.start > 0);
  const share = (m: number) => ratioLost(active, m) / total;
  // The loss share falls continuously as m grows and is 0 at the largest ratio: bisect to 1e-4.
  for (let k = 0; k < 60 && hi - lo > 1e-4; k++) {
    const mid = lo + (hi - lo) / 2; // (lo + hi) / 2 overflows to Infinity near the largest double
    if (share(mid) <= allowed) hi = mid;
    else {
      lo = mid;
      active = active.filter((w) => w.peak - lo * w.start > 0);
    }
  }
  return hi;
}

/** How a level basis did over the history's lead windows (replayed with its multiplier). */
export interface LevelScore {
  basis: LevelBasis;
  form: HeadroomForm;
  multiplier: number;
  /** Requests/s above the level (the `offset` form). */
  offsetRps: number;
  /** Share of the windows' peak demand lost (windows starting at a level of zero lose their peak whole). */
  lossShare: number;
  /**
   * The same with the prior's pseudo-window in it, as the estimator sized the headroom: the candidate keeps the
   * target when this is within it.
   */
  sizedLossShare: number;
  /** Whether it keeps the target: `sizedLossShare` within `1 - availability`. */
  keepsTarget: boolean;
  /** Mean capacity held over the windows (requests/s): multiplier x level + offset. */
  meanRps: number;
}

/** The level the headroom scales, and why (see the file comment). */
export interface LevelChoice extends Level {
  /** Covered lead windows every candidate was replayed over (0: no history, `recent-peak` by default). */
  windows: number;
  /** The scores of every basis and form, the chosen first (empty without history). */
  scores: LevelScore[];
}

/**
 * Which level the fleet's headroom scales, learned from its history at `availability` (the decision passes
 * `LEVEL_CHOICE_AVAILABILITY` whatever the fleet's target; see the file
 * comment): the basis that keeps the replayed loss within the target at the lower mean capacity; if neither
 * does, the one that loses less; without a covered lead window, `recent-peak`. The seasonal level is judged
 * against that choice over the windows a season of history stands behind (both replayed there): it wins only
 * where it is better there.
 */
export function chooseLevel(
  samples: readonly DemandSample[] | DemandHistory,
  leadSeconds: number,
  availability: number,
  intervalSeconds: number = DEFAULT_DECISION_INTERVAL_SECONDS,
  /** The season the seasonal level looks back (`DecisionInput.demandSeasonSeconds`). */
  seasonSeconds: number = HEADROOM_SEASON_SECONDS,
): LevelChoice {
  const target = Math.min(1, Math.max(0, availability));
  const recent: Level = { basis: 'recent-peak', lookbackSeconds: levelLookbackSeconds(leadSeconds, intervalSeconds) };
  // In order of preference at a tie: the recent peak, then the demand now, each as a ratio, then as an offset.
  const candidates: Level[] = [recent, LEVEL_NOW, { ...recent, form: 'offset' }, { ...LEVEL_NOW, form: 'offset' }];
  const history = DemandHistory.of(samples);
  const replay = candidates.map((level) => history.windows(leadSeconds, level.lookbackSeconds));
  const covered = replay[1].length;
  if (covered === 0 || recent.lookbackSeconds <= 0) return { ...recent, windows: covered, scores: [] };
  const prior0 = Math.max(1, priorRatio(leadSeconds));
  const scores: LevelScore[] = candidates.map((level, k) =>
    scoreLevel(history, leadSeconds, target, prior0, level, replay[k]),
  );
  let k = 0;
  for (let c = 1; c < candidates.length; c++) {
    if (candidates[c].form === 'offset' && !scores[c].keepsTarget) continue;
    if (betterLevel(scores[c], scores[k])) k = c;
  }
  let chosen = candidates[k];
  let chosenScore = scores[k];
  const others = scores.filter((_, i) => i !== k);
  // The seasonal level, where the history reaches a season back: against the choice, both fitted to and
  // replayed over the same windows (those a season of history stands behind; the seasonal level is fitted to
  // them alone, so the choice is fitted to the history from a season after its start, as if it began there).
  const seasonal: Level = { basis: 'seasonal', lookbackSeconds: recent.lookbackSeconds, seasonSeconds };
  let incumbent: LevelScore | undefined;
  const candidatesWithSeason = seasonalSkill(history, leadSeconds, seasonal)
    ? [seasonal, { ...seasonal, form: 'offset' as const }]
    : [];
  for (const level of candidatesWithSeason) {
    const windows = history.windows(leadSeconds, level.lookbackSeconds, seasonOf(level));
    const score = scoreLevel(history, leadSeconds, target, prior0, level, windows);
    others.push(score);
    if (level.form === 'offset' && !score.keepsTarget) continue;
    if (!incumbent) {
      const from = history.sorted[0].at + (seasonOf(seasonal) - chosen.lookbackSeconds) * 1000 - 1e-6;
      const since = new DemandHistory(history.sorted.filter((p) => p.at >= from));
      incumbent = scoreLevel(
        since,
        leadSeconds,
        target,
        prior0,
        chosen,
        since.windows(leadSeconds, chosen.lookbackSeconds),
      );
    }
    if (betterLevel(score, incumbent)) {
      chosen = level;
      chosenScore = score;
      incumbent = score;
    }
  }
  return {
    ...chosen,
    windows: covered,
    scores: [chosenScore, ...others.filter((x) => x !== chosenScore)],
  };
}

/**
 * Whether the seasonal level predicts the peak of the coming lead better than the recent level over the windows a
 * season of history stands behind (the sum of absolute errors, as the forecast's skill is judged against the last
 * value: forecast/skill.ts): where the days do not repeat, what the same lead reached the day before is noise.
 */
function seasonalSkill(history: DemandHistory, leadSeconds: number, seasonal: Level): boolean {
  const withSeason = history.windows(leadSeconds, seasonal.lookbackSeconds, seasonOf(seasonal));
  if (withSeason.length === 0) return false;
  const plain = history.windows(leadSeconds, seasonal.lookbackSeconds);
  const offset = plain.length - withSeason.length;
  let seasonalError = 0;
  let recentError = 0;
  for (let i = 0; i < withSeason.length; i++) {
    seasonalError += Math.abs(withSeason[i].peak - withSeason[i].level);
    recentError += Math.abs(plain[offset + i].peak - plain[offset + i].level);
  }
  return seasonalError < recentError;
}

/**
 * A level candidate fitted to the history (its multiplier or amount, with the prior) and replayed over `replay`,
 * its windows: the share lost, whether that keeps the target as the estimator sized it, the mean capacity held.
 */
function scoreLevel(
  history: DemandHistory,
  leadSeconds: number,
  target: number,
  prior0: number,
  level: Level,
  replay: readonly LeadWindow[],
): LevelScore {
  const e = estimateHeadroom(history, leadSeconds, target, prior0, level);
  let lost = 0;
  let total = 0;
  let held = 0;
  for (const w of replay) {
    // As `headroom` holds it: capped at the history's peak (the prior's reach from the level is not known here).
    const c = Math.min(e.multiplier * w.level + e.offsetRps, Math.max(w.level, e.historyPeak));
    total += w.peak;
    lost += Math.max(0, w.peak - c);
    held += c;
  }
  // What keeping the target means is judged as the estimator sized the headroom: with the prior's pseudo-window
  // beside the history's (`solveMultiplier`: one window at the mean positive level; `solveOffset`: at the mean
  // level). Over the history's windows alone, a headroom sized with that window in the total loses a hair more
  // than the target (1 + prior / windows times as much), so every candidate missed it by rounding or not, and
  // the choice went to whichever fell under it, whatever capacity it held.
  const sizedOver =
    level.form === 'offset' ? replay : replay.filter((w) => w.level > 0 && Number.isFinite(w.peak / w.level));
  let levels = 0;
  for (const w of sizedOver) levels += w.level;
  const mean = sizedOver.length ? levels / sizedOver.length : 0;
  const priorPeak = prior0 * mean;
  const priorLost = Math.max(0, priorPeak - (e.multiplier * mean + e.offsetRps));
  const sized = total + priorPeak > 0 ? (lost + priorLost) / (total + priorPeak) : 0;
  return {
    basis: level.basis,
    form: level.form ?? 'ratio',
    multiplier: e.multiplier,
    offsetRps: e.offsetRps,
    lossShare: total > 0 ? lost / total : 0,
    sizedLossShare: sized,
    keepsTarget: sized <= 1 - target + 1e-12,
    meanRps: replay.length ? held / replay.length : 0,
  };
}

/**
 * Whether `a` is better than `b`: it keeps the target where `b` does not; both keeping it, it holds less on
 * average (by more than 1e-4); neither, it loses less. At equal loss and capacity (flat demand, or only windows
 * from idle) the earlier candidate stays, as without history. An amount above the level is a way to keep the
 * target at less capacity: the caller takes it only where it keeps it (where nothing does, each form's loss
 * replayed on the history it was fitted to says little of what the next burst costs; a multiple of the recent
 * peak, which holds the last burst, stays the fallback).
 */
function betterLevel(a: LevelScore, b: LevelScore): boolean {
  if (a.keepsTarget !== b.keepsTarget) return a.keepsTarget;
  return a.keepsTarget ? a.meanRps < b.meanRps * (1 - 1e-4) : a.lossShare < b.lossShare - 1e-9;
}

/** The level a headroom scales, in words (`levelRps` its value now). */
export function levelWords(level: Level, levelRps: number): string {
  const rps = `${levelRps.toFixed(0)} rps`;
  if (level.basis === 'now') return 'the demand now';
  if (level.basis === 'recent-peak') return `the highest demand of the last ${level.lookbackSeconds}s (${rps})`;
  const days = seasonOf(level) / 86_400;
  const season = days === 1 ? 'a day' : `${Number(days.toFixed(2))} day(s)`;
  return `the higher of the last ${level.lookbackSeconds}s's demand and what the same lead reached ${season} earlier (${rps})`;
}

/** The headroom above a level, in words: `x1.40` (ratio) or `+120 rps` (offset). */
export function headroomAbove(h: Pick<HeadroomEstimate, 'multiplier' | 'offsetRps'>): string {
  return h.offsetRps > 0 ? `+${h.offsetRps.toFixed(0)} rps` : `x${h.multiplier.toFixed(2)}`;
}

export interface Headroom extends HeadroomEstimate {
  /**
   * Capacity (requests/s) to hold, ready plus booting: the level x multiplier, at most the larger of the
   * history's highest demand and the prior's reach from the demand now (and never below the demand now).
   */
  rps: number;
  /** The level it scales (requests/s) and its basis. */
  levelRps: number;
  level: Level;
  /** Whether the cap cut it. */
  capped: boolean;
  /** The lead time it covers, seconds (time to ready + decision interval). */
  leadSeconds: number;
}

/**
 * The capacity the fleet needs within `leadSeconds` at its availability target, given the demand now, its
 * recorded history and the level its headroom scales (`chooseLevel`; the demand now by default): never below
 * the demand of now. For a given level it never falls as the target rises.
 */
export function headroom(
  demandRps: number,
  samples: readonly DemandSample[] | DemandHistory,
  leadSeconds: number,
  availability: number,
  level: Level = LEVEL_NOW,
): Headroom {
  const history = DemandHistory.of(samples);
  const e = estimateHeadroom(history, leadSeconds, availability, priorRatio(leadSeconds), level);
  const d = Math.max(0, demandRps);
  const levelRps = levelOf(d, history, level, leadSeconds);
  const cap = Math.max(d * priorRatio(leadSeconds), e.historyPeak);
  const wanted = levelRps * e.multiplier + e.offsetRps;
  const rps = Math.max(d, Math.min(wanted, cap));
  return { ...e, rps, levelRps, level, capped: rps < wanted, leadSeconds };
}
