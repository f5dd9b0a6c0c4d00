/**
 * A small in-memory time-series store: float samples by metric name and labels, appended in time order.
 * The offline simulation fills it every step (fleet_rps, gpu_utilization, ...); the Prometheus emulator
 * serves it over the real HTTP API. No clock, no I/O.
 */

export type Labels = Record<string, string>;

export interface Series {
  /** Every label, `__name__` included. */
  labels: Labels;
  /** Sample times, seconds since the epoch (may have a millisecond fraction), ascending. */
  times: number[];
  values: number[];
}

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Prometheus' default lookback: an instant selector sees the latest sample at most 5 minutes old. */
export const LOOKBACK_SECONDS = 300;

export class MetricsStore {
  private readonly series = new Map<string, Series>();
  private readonly byName = new Map<string, Series[]>();

  /**
   * Appends a sample. Samples of a series must not go back in time; a sample at the same time as the
   * last one replaces it.
   */
  add(name: string, labels: Labels, timeSeconds: number, value: number): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name '${name}'`);
    const all: Labels = { __name__: name, ...labels };
    const key = seriesKey(all);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: all, times: [], values: [] };
      this.series.set(key, s);
      const list = this.byName.get(name) ?? [];
      list.push(s);
      this.byName.set(name, list);
    }
    const last = s.times.length - 1;
    if (last >= 0 && timeSeconds < s.times[last]!) {
      throw new Error(`sample of ${key} at ${timeSeconds} is before the last one (${s.times[last]})`);
    }
    if (last >= 0 && timeSeconds === s.times[last]) s.values[last] = value;
    else {
      s.times.push(timeSeconds);
      s.values.push(value);
    }
  }

  /** Series matching every matcher (a `__name__` equality matcher narrows the search). */
  select(matchers: readonly LabelMatcher[]): Series[] {
    const nameEq = matchers.find((m) => m.name === '__name__' && m.op === '=');
    const candidates = nameEq ? (this.byName.get(nameEq.value) ?? []) : [...this.series.values()];
    const compiled = matchers.map((m) => ({ m, re: m.op === '=~' || m.op === '!~' ? anchored(m.value) : undefined }));
    return candidates.filter((s) =>
      compiled.every(({ m, re }) => {
        const v = s.labels[m.name] ?? '';
        switch (m.op) {
          case '=':
            return v === m.value;
          case '!=':
            return v !== m.value;
          case '=~':
            return re!.test(v);
          default:
            return !re!.test(v);
        }
      }),
    );
  }

  /** The latest sample of a series at or before `t` and no older than the lookback, if any. */
  static valueAt(s: Series, t: number, lookbackSeconds = LOOKBACK_SECONDS): number | undefined {
    let lo = 0;
    let hi = s.times.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s.times[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || s.times[found]! <= t - lookbackSeconds) return undefined;
    return s.values[found];
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Time of the latest sample in the store, seconds (undefined when empty). */
  latestTime(): number | undefined {
    let latest: number | undefined;
    for (const s of this.series.values()) {
      const t = s.times[s.times.length - 1];
      if (t !== undefined && (latest === undefined || t > latest)) latest = t;
    }
    return latest;
  }
}

export function seriesKey(labels: Labels): string {
  const { __name__, ...rest } = labels;
  const inner = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(',');
  return `${__name__ ?? ''}{${inner}}`;
}

/** Prometheus regex matchers are fully anchored (RE2 syntax; JavaScript's covers the common subset). */
function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new Error(`invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
}
