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
 *     window: its demand at the start `d` and its peak `P = max d(u)` over the window;
 *   - the multiplier is the smallest `m >= 1` whose share of requests lost stays within the target:
 *     `sum max(0, P - m x d)  <=  (1 - availability) x sum P` (a window served with capacity `m x d` loses
 *     the excess of its peak, counted as if the peak lasted the whole window: the conservative side). It
 *     never falls as the target rises (the left side falls as `m` grows);
 *   - until the history speaks for the target, a prior: one pseudo-window at `priorRatio(lead)` (demand
 *     doubling within a 900 s lead time, the same growth compounded over another) at the history's mean
 *     demand. It decides alone without history, and
 *     fades as windows accumulate: at a 0.999 target its pull drops below the history's after several
 *     hundred windows (minutes);
 *   - capacity above both the highest demand the history has seen and the prior's reach (`prior x d`)
 *     would serve nothing the fleet has seen or expects: the headroom is capped there. A trace that jumps
 *     from idle to its peak (a ratio no multiplier bounds) is then held at its peak, like a static fleet.
 *
 * The result is `headroom(...)`: the capacity (requests/s) needed within the lead time, the multiplier, the
 * quantile and the window it was learned over. It is the seam other capacity planners build on (warm
 * capacity asks the same question over its own, shorter lead time: `estimateHeadroom` with that lead).
 * Pure: the application gathers the demand history as data.
 */

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

/** One lead window of the history: the demand at its start and the peak over it. */
export interface PeakRatio {
  /** Peak demand over the window / demand at its start. */
  ratio: number;
  /** Demand at the start (requests/s). */
  start: number;
  /** Peak demand over the window (requests/s): the requests at stake. */
  peak: number;
}

/**
 * The peak-to-now ratio of every sample whose lead window the history covers (its last sample at or after
 * the window's end, within half a step). Samples at zero demand give no ratio (nothing to scale from).
 */
export function peakRatios(samples: readonly DemandSample[], leadSeconds: number): PeakRatio[] {
  const s = samples
    .filter((p) => Number.isFinite(p.at) && Number.isFinite(p.rps) && p.rps >= 0)
    .sort((a, b) => a.at - b.at);
  if (s.length < 2 || !(leadSeconds > 0)) return [];
  const lead = leadSeconds * 1000;
  const step = medianStep(s);
  const lastAt = s[s.length - 1].at;
  const out: PeakRatio[] = [];
  // Sliding-window maximum over (t_i, t_i + lead]: a deque of indices with decreasing demand.
  const deque: number[] = [];
  let head = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const end = s[i].at + lead;
    if (end > lastAt + step / 2) break;
    while (j < s.length && s[j].at <= end + 1e-6) {
      while (deque.length > head && s[deque[deque.length - 1]].rps <= s[j].rps) deque.pop();
      deque.push(j);
      j++;
    }
    while (head < deque.length && deque[head] <= i) head++;
    if (head >= deque.length || s[i].rps <= 0) continue;
    const peak = s[deque[head]].rps;
    out.push({ ratio: peak / s[i].rps, start: s[i].rps, peak });
  }
  return out;
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
  let lost = 0;
  let total = 0;
  for (const w of windows) {
    total += w.peak;
    lost += Math.max(0, w.peak - m * w.start);
  }
  return total > 0 ? lost / total : 0;
}

export interface HeadroomEstimate {
  /** Capacity multiplier on the demand of now (>= 1). */
  multiplier: number;
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
 * The smallest multiplier (>= 1) whose expected share of lost requests over the history's lead windows, plus
 * the prior's pseudo-window, stays within `1 - availability`. Monotone: a higher target never gives less.
 */
export function estimateHeadroom(
  samples: readonly DemandSample[],
  leadSeconds: number,
  availability: number,
  prior0 = priorRatio(leadSeconds),
): HeadroomEstimate {
  const target = Math.min(1, Math.max(0, availability));
  const history = peakRatios(samples, leadSeconds);
  const meanStart = history.length ? history.reduce((w, r) => w + r.start, 0) / history.length : 1;
  const prior = Math.max(1, prior0);
  const withPrior = [...history, { ratio: prior, start: meanStart, peak: prior * meanStart }];
  const solve = (windows: readonly PeakRatio[]) => {
    const allowed = 1 - target;
    let hi = Math.max(1, ...windows.map((r) => r.ratio));
    let lo = 1;
    if (lossShare(windows, lo) <= allowed) return lo;
    // The loss share falls continuously as m grows and is 0 at the largest ratio: bisect to 1e-4.
    for (let k = 0; k < 60 && hi - lo > 1e-4; k++) {
      const mid = (lo + hi) / 2;
      if (lossShare(windows, mid) <= allowed) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const multiplier = solve(withPrior);
  const fromHistory = history.length ? solve(history) : 1;
  const at = samples.filter((p) => Number.isFinite(p.at)).map((p) => p.at);
  return {
    multiplier,
    availability: target,
    windows: history.length,
    prior: multiplier > fromHistory + 1e-4,
    historySeconds: at.length ? (Math.max(...at) - Math.min(...at)) / 1000 : 0,
    historyPeak: Math.max(0, ...samples.map((p) => (Number.isFinite(p.rps) ? p.rps : 0))),
  };
}

export interface Headroom extends HeadroomEstimate {
  /**
   * Capacity (requests/s) to hold, ready plus booting: demand now x multiplier, at most the larger of the
   * history's highest demand and the prior's reach (and never below the demand now).
   */
  rps: number;
  /** Whether the cap cut it. */
  capped: boolean;
  /** The lead time it covers, seconds (time to ready + decision interval). */
  leadSeconds: number;
}

/**
 * The capacity the fleet needs within `leadSeconds` at its availability target, given the demand now and
 * its recorded history: never below the demand of now.
 */
export function headroom(
  demandRps: number,
  samples: readonly DemandSample[],
  leadSeconds: number,
  availability: number,
): Headroom {
  const e = estimateHeadroom(samples, leadSeconds, availability);
  const d = Math.max(0, demandRps);
  const cap = Math.max(d * priorRatio(leadSeconds), e.historyPeak);
  const rps = Math.max(d, Math.min(d * e.multiplier, cap));
  return { ...e, rps, capped: rps < d * e.multiplier, leadSeconds };
}
