/**
 * Demand traces: requests per second over time, read from a CSV file or built for the default business day.
 *
 * CSV format (see README.md in this folder): a header row, then one row per interval. The time column
 * (`offset_s` by default) gives the start of the interval: a number of seconds from the start of the trace
 * (the unit follows the column name's suffix: `_ms`, `_s`, `_min`, `_h`, or `timeUnit`), or an ISO-8601
 * timestamp. The value column (`requests` by default) is read in `valueUnit`: `count` = requests that
 * arrived in the interval, `rps` or `rpm` = a rate over the interval. An interval ends where the next row
 * starts; the last one is as long as the one before it. The trace starts at its first row (t = 0 there).
 *
 * Pure parsing and arithmetic, except `loadTraceCsv` which reads the file.
 */
import { readFile } from 'node:fs/promises';
import { mulberry32 } from '../emulators/world.ts';

export interface DemandPoint {
  /** Seconds from the start of the trace: the start of the interval. */
  t: number;
  /** Mean requests per second over the interval [t, next t). */
  rps: number;
}

export interface DemandTrace {
  /** Typical interval (the median one), seconds. */
  stepSeconds: number;
  /** In time order, starting at t = 0; the last interval is `[last.t, durationSeconds)`. */
  points: DemandPoint[];
  /** Where the last interval ends. */
  durationSeconds: number;
  /** Where it came from, for reports: a file path or `default day (seed N)`. */
  source: string;
}

export const VALUE_UNITS = ['rps', 'rpm', 'count'] as const;
export type ValueUnit = (typeof VALUE_UNITS)[number];
export const TIME_UNITS = ['ns', 'us', 'ms', 's', 'min', 'h'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];
export const SECONDS_PER: Record<TimeUnit, number> = { ns: 1e-9, us: 1e-6, ms: 0.001, s: 1, min: 60, h: 3600 };

export interface TraceCsvOptions {
  /** Default `offset_s`. */
  timeColumn?: string;
  /** Default `requests`. */
  valueColumn?: string;
  /** Default `count`. */
  valueUnit?: ValueUnit;
  /** Unit of a numeric time column; default from the column name's suffix (`_ms`, `_s`, `_min`, `_h`), else seconds. */
  timeUnit?: TimeUnit;
}

/** Bad trace input: says which file, line and column. */
export class TraceError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  constructor(file: string, message: string, where: { line?: number; column?: string } = {}) {
    const at = [where.line !== undefined ? `line ${where.line}` : '', where.column ? `column '${where.column}'` : '']
      .filter(Boolean)
      .join(', ');
    super(`${file}${at ? ` (${at})` : ''}: ${message}`);
    this.name = 'TraceError';
    this.file = file;
    this.line = where.line;
    this.column = where.column;
  }
}
export const isTraceError = (e: unknown): e is TraceError => e instanceof TraceError;

/** The unit a numeric time column is in, from its name: `offset_min` is minutes, `t_ms` milliseconds. */
export function timeUnitOfColumn(column: string): TimeUnit {
  const m = /_(ms|s|sec|min|h|hours?)$/i.exec(column);
  switch (m?.[1]?.toLowerCase()) {
    case 'ms':
      return 'ms';
    case 'min':
      return 'min';
    case 'h':
    case 'hour':
    case 'hours':
      return 'h';
    default:
      return 's';
  }
}

/** Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes, CRLF), with line numbers. */
export function splitCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '' && !fieldStarted)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (field !== '' || fields.length > 0 || fieldStarted) endRow();
  return rows;
}

/** Parses a demand trace from CSV text (see the file comment). `file` names it in errors. */
export function parseTraceCsv(text: string, file: string, options: TraceCsvOptions = {}): DemandTrace {
  const timeColumn = options.timeColumn ?? 'offset_s';
  const valueColumn = options.valueColumn ?? 'requests';
  const valueUnit = options.valueUnit ?? 'count';
  if (!VALUE_UNITS.includes(valueUnit))
    throw new TraceError(file, `unknown value unit '${valueUnit}' (rps, rpm, count)`);
  const timeUnit = options.timeUnit ?? timeUnitOfColumn(timeColumn);
  if (!TIME_UNITS.includes(timeUnit))
    throw new TraceError(file, `unknown time unit '${timeUnit}' (${TIME_UNITS.join(', ')})`);

  const rows = splitCsv(text);
  if (rows.length === 0) throw new TraceError(file, 'empty file: expected a header row and at least one data row');
  const header = rows[0]!.fields.map((h) => h.trim());
  const ti = header.indexOf(timeColumn);
  const vi = header.indexOf(valueColumn);
  for (const [col, idx] of [
    [timeColumn, ti],
    [valueColumn, vi],
  ] as const) {
    if (idx < 0) {
      throw new TraceError(file, `no column '${col}' in the header (columns: ${header.join(', ')})`, {
        line: rows[0]!.line,
      });
    }
  }
  const data = rows.slice(1);
  if (data.length === 0) throw new TraceError(file, 'no data rows after the header');

  // Times: all numeric, or all ISO timestamps (decided by the first row).
  const firstTime = data[0]!.fields[ti]?.trim() ?? '';
  const iso = !isNumeric(firstTime);
  const times: number[] = [];
  const values: number[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const row of data) {
    if (row.fields.length !== header.length) {
      throw new TraceError(file, `expected ${header.length} fields, found ${row.fields.length}`, { line: row.line });
    }
    const rawTime = row.fields[ti]!.trim();
    let seconds: number;
    if (iso) {
      const ms = parseIsoTime(rawTime);
      if (ms === undefined) {
        throw new TraceError(file, `expected an ISO-8601 timestamp like the first row's, got '${rawTime}'`, {
          line: row.line,
          column: timeColumn,
        });
      }
      seconds = ms / 1000;
    } else {
      if (!isNumeric(rawTime)) {
        throw new TraceError(file, `expected a number, got '${rawTime}'`, { line: row.line, column: timeColumn });
      }
      seconds = Number(rawTime) * SECONDS_PER[timeUnit];
    }
    if (!(seconds > previous)) {
      throw new TraceError(file, `times must increase: '${rawTime}' is not after the row before`, {
        line: row.line,
        column: timeColumn,
      });
    }
    previous = seconds;
    const rawValue = row.fields[vi]!.trim();
    const value = Number(rawValue);
    if (rawValue === '' || !Number.isFinite(value) || value < 0) {
      throw new TraceError(file, `expected a number >= 0, got '${rawValue}'`, { line: row.line, column: valueColumn });
    }
    times.push(seconds);
    values.push(value);
  }

  return traceOfSeries(times, values, valueUnit, file);
}

/**
 * A trace from its rows' times (seconds, ascending) and values in `valueUnit`: t = 0 at the first time, each
 * row's interval up to the next (the last as long as the one before it), the step the median interval.
 */
export function traceOfSeries(
  times: readonly number[],
  values: readonly number[],
  valueUnit: ValueUnit,
  source: string,
): DemandTrace {
  const t0 = times[0]!;
  const offsets = times.map((t) => t - t0);
  const intervals = offsets.slice(1).map((t, i) => t - offsets[i]!);
  const stepSeconds = intervals.length > 0 ? median(intervals) : 60;
  const lastInterval = intervals.length > 0 ? intervals[intervals.length - 1]! : stepSeconds;
  const points = offsets.map((t, i) => {
    const length = i < intervals.length ? intervals[i]! : lastInterval;
    const v = values[i]!;
    const rps = valueUnit === 'rps' ? v : valueUnit === 'rpm' ? v / 60 : v / length;
    return { t, rps };
  });
  return { stepSeconds, points, durationSeconds: offsets[offsets.length - 1]! + lastInterval, source };
}

/** Reads and parses a trace CSV file. */
export async function loadTraceCsv(file: string, options: TraceCsvOptions = {}): Promise<DemandTrace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TraceError(file, `cannot read the trace: ${(e as Error).message}`);
  }
  return parseTraceCsv(text, file, options);
}

// ---------------------------------------------------------------------------------------------------------
// The default business day

/**
 * Seed 002's daily traffic pattern (`daily_traffic`, requests per second by hour of the day, 00:00 to 23:00),
 * from its `MLAutoScalingModel` example. The seed assumes 10 requests per second per replica.
 */
export const SEED_HOURLY_RPS = [
  20, 15, 12, 10, 8, 12, 25, 40, 70, 95, 120, 140, 160, 180, 200, 185, 170, 150, 120, 100, 80, 60, 40, 25,
] as const;
/** Requests per second one replica serves in seed 002's example. */
export const SEED_RPS_PER_REPLICA = 10;

export interface DefaultDayOptions {
  /** Seed of the noise. */
  seed: number;
  /** Multiplies the seed's pattern (the demo fleet's choice: see demo.ts). */
  scale: number;
  /** Length of the trace; default 24 h. The pattern repeats every 24 h. */
  hours?: number;
  /** Default 60 s. */
  stepSeconds?: number;
  /** Standard deviation of the multiplicative minute-level noise; default 0.08 (8%). */
  noise?: number;
  /** Correlation of the noise from one step to the next (AR(1)); default 0.7. */
  noiseCorrelation?: number;
}

/** A standard normal draw from a uniform generator on [0, 1) (Box-Muller; 1 - u keeps log() away from 0). */
export function standardNormal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The default business day: seed 002's hourly pattern times `scale`, each hour's value placed at the middle
 * of its hour and interpolated linearly per step (wrapping at midnight), times (1 + AR(1) noise) from a
 * seeded generator: n_k = rho x n_{k-1} + sqrt(1 - rho^2) x sigma x z_k with z_k standard normal, so the
 * noise has standard deviation sigma at every step and is correlated over a few minutes as real demand is.
 * Never below 0.
 */
export function defaultDayTrace(options: DefaultDayOptions): DemandTrace {
  const step = options.stepSeconds ?? 60;
  const hours = options.hours ?? 24;
  const sigma = options.noise ?? 0.08;
  const rho = options.noiseCorrelation ?? 0.7;
  if (!(options.scale > 0)) throw new Error(`default day: scale must be > 0, got ${options.scale}`);
  if (!(step > 0) || !(hours > 0)) throw new Error('default day: hours and stepSeconds must be > 0');
  const rand = mulberry32(options.seed);
  const gaussian = () => standardNormal(rand);
  const n = Math.ceil((hours * 3600) / step);
  const points: DemandPoint[] = [];
  let noise = sigma * gaussian();
  for (let k = 0; k < n; k++) {
    const t = k * step;
    if (k > 0) noise = rho * noise + Math.sqrt(1 - rho * rho) * sigma * gaussian();
    const base = seedPatternAt(t + step / 2) * options.scale;
    points.push({ t, rps: Math.max(0, base * (1 + noise)) });
  }
  return { stepSeconds: step, points, durationSeconds: n * step, source: `default day (seed ${options.seed})` };
}

/** Seed 002's pattern (unscaled) at `t` seconds after midnight: linear between the middles of the hours. */
export function seedPatternAt(t: number): number {
  const hours = SEED_HOURLY_RPS.length;
  const h = (((t / 3600 - 0.5) % hours) + hours) % hours;
  const i = Math.floor(h);
  const frac = h - i;
  return SEED_HOURLY_RPS[i]! * (1 - frac) + SEED_HOURLY_RPS[(i + 1) % hours]! * frac;
}

// ---------------------------------------------------------------------------------------------------------
// Reading a trace over a run

/**
 * Requests arriving in [from, to) seconds: the integral of the trace's piecewise-constant rate. Past the end,
 * the trace repeats from its start (a run longer than its trace loops it).
 */
export function offeredRequests(trace: DemandTrace, from: number, to: number): number {
  if (to <= from) return 0;
  const d = trace.durationSeconds;
  let total = 0;
  let a = from;
  while (a < to) {
    const cycle = Math.floor(a / d);
    const base = cycle * d;
    const b = Math.min(to, base + d);
    total += integrate(trace.points, d, a - base, b - base);
    a = b;
  }
  return total;
}

/** Mean requests per second over [from, to). */
export function meanRps(trace: DemandTrace, from: number, to: number): number {
  return to > from ? offeredRequests(trace, from, to) / (to - from) : 0;
}

function integrate(points: DemandPoint[], duration: number, from: number, to: number): number {
  // Binary search the interval holding `from`.
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (points[mid]!.t <= from) lo = mid;
    else hi = mid - 1;
  }
  let total = 0;
  for (let i = lo; i < points.length; i++) {
    const start = Math.max(points[i]!.t, from);
    const end = Math.min(i + 1 < points.length ? points[i + 1]!.t : duration, to);
    if (end > start) total += points[i]!.rps * (end - start);
    if (end >= to) break;
  }
  return total;
}

export function isNumeric(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

/** ISO-8601 date-time; without a zone it is read as UTC (as the traces' `t_start_utc` columns are). */
export function parseIsoTime(raw: string): number | undefined {
  // A fraction after a comma (ISO 8601 allows it; Python's logging and log4j write it) and a zone of hours alone
  // (`+00`, PostgreSQL's timestamptz) are written as Date.parse reads them.
  const s = raw
    .replace(/(\d{2}:\d{2}:\d{2}),(\d+)/, '$1.$2')
    .replace(/(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})$/, '$1$2:00');
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) && s.length > 10;
  const ms = Date.parse(hasZone ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}${s.length > 10 ? 'Z' : 'T00:00:00Z'}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The same trace with every rate multiplied by `factor` (to fit a small trace to a bigger fleet). */
export function scaleTrace(trace: DemandTrace, factor: number): DemandTrace {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`trace scale must be a number > 0, got ${factor}`);
  return {
    ...trace,
    points: trace.points.map((p) => ({ t: p.t, rps: p.rps * factor })),
    source: factor === 1 ? trace.source : `${trace.source} x ${factor}`,
  };
}

/**
 * The highest mean rate of any `stepSeconds` step over one pass of the trace (steps from t = 0, the last one
 * cut at the trace's end): the busiest step the simulation sees.
 */
export function peakStepRps(trace: DemandTrace, stepSeconds: number): number {
  if (!(stepSeconds > 0)) throw new Error(`stepSeconds must be > 0, got ${stepSeconds}`);
  let peak = 0;
  for (let a = 0; a < trace.durationSeconds - 1e-9; a += stepSeconds) {
    const b = Math.min(trace.durationSeconds, a + stepSeconds);
    peak = Math.max(peak, offeredRequests(trace, a, b) / (b - a));
  }
  return peak;
}
