/**
 * A demand trace file (CSV, JSON lines, JSON or Parquet) whose layout is not known in advance: the benchmark scores every one it finds under
 * ../shared/traces, including traces added after this code was written. Which column is time and which is
 * demand is read from the header (names compared without case):
 *
 *   - time: the first of `TIME_COLUMNS` present, else the first column whose name holds `time`, `offset`,
 *     `date` or `ts`. Numeric times take their unit from the name (`offset_min`, `minute`: minutes; `_ms`:
 *     milliseconds; `_h`, `hour`: hours; otherwise seconds); other times are ISO-8601 (UTC without a zone),
 *     or a date-time in a form `trace-time.ts` reads (`11/16/2023 6:15 PM`, `16.11.2023 18:15`, a time of day
 *     beside a column of dates), rewritten as ISO-8601 before the rest reads it;
 *   - demand: the first of `VALUE_COLUMNS` present, with its unit: a rate per second (`rps`, `qps`, `rate`), a
 *     rate per minute (`rpm`; of a digitized low/mid/high band, the middle), or a count of requests in each row's
 *     interval (`requests`, `count`, `invocations`, ...);
 *   - no demand column: a log of requests, one row per request at its time (the Azure LLM inference traces'
 *     raw form, BurstGPT's), counted per minute;
 *   - a column per minute, named by its number (`1` to `1440`: the Azure Functions traces' invocations per
 *     function and minute), each row one source, where no column is time: the requests of each minute summed
 *     over the rows;
 *   - beside a time column and no demand column, columns named by a number are sources (a function each, as in
 *     the Huawei serverless traces), summed per row; and rows that share a time (a row per source and time)
 *     are summed per time.
 * JSON lines (`.jsonl`, one object per request: the Mooncake traces) and JSON (`.json`, an array of such
 * objects, or an object with one such array) are read as the CSV of their scalar fields; there a unit-less
 * numeric time is milliseconds (`JSONL_UNITLESS_TIME`), unless its size says epoch seconds (from 1e9) or
 * epoch ms, us or ns (from 1e11, 1e14, 1e17: `unitOfTime`). Parquet (`.parquet`, trace-parquet.ts) is read
 * the same way (its timestamps as UTC times, a numeric time in seconds unless its name or size says otherwise;
 * `readParquet`). Numeric times from 1e9 s on are epoch times and date the trace.
 * The first row's ISO-8601 timestamp, in the time column or beside numeric offsets (`t_start_utc` and
 * `offset_s`), dates the trace (`originMs`: the UTC time of t = 0), so a simulation can show its weekday and
 * time of day. What cannot be read this way is a `TraceError` saying which file and why.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { cell, RecordsCsv } from './records-csv.ts';
import { openParquet, type ParquetTrace } from './trace-parquet.ts';
import { DateOrderVote, dateTimeNote, parseDateTime, parseTimeOfDay, withReadableTimes } from './trace-time.ts';
import {
  type DemandTrace,
  isNumeric,
  loadTraceCsv,
  parseIsoTime,
  parseTraceCsv,
  SECONDS_PER,
  splitCsv,
  type TimeUnit,
  type TraceCsvOptions,
  TraceError,
  traceOfSeries,
  type ValueUnit,
} from './trace.ts';

/** Time columns, most specific first. */
export const TIME_COLUMNS = [
  'offset_s',
  'offset_sec',
  'offset_seconds',
  'offset_ms',
  'offset_min',
  'offset_minutes',
  'offset_h',
  'offset_hours',
  'timestamp',
  'time',
  't',
  'ts',
  'datetime',
  'date',
  'minute',
  't_start_utc',
  't_approx_utc',
] as const;

/** Demand columns, most specific first, with the unit each is in. */
export const VALUE_COLUMNS: ReadonlyArray<readonly [name: string, unit: ValueUnit]> = [
  ['requests', 'count'],
  ['request_count', 'count'],
  ['num_requests', 'count'],
  ['count', 'count'],
  ['invocations', 'count'],
  ['calls', 'count'],
  ['arrivals', 'count'],
  ['rps', 'rps'],
  ['qps', 'rps'],
  ['requests_per_second', 'rps'],
  ['rate', 'rps'],
  ['rpm', 'rpm'],
  ['rpm_mid', 'rpm'],
  ['requests_per_minute', 'rpm'],
  ['value', 'count'],
];

export interface DetectedTrace {
  trace: DemandTrace;
  /** UTC epoch ms of the trace's t = 0, when the file dates it. */
  originMs?: number;
  /** How it was read, for reports: `offset_s (s) x requests (count per interval)`. */
  layout: string;
  /** What `withoutPartialEdges` cut off, when it cut anything. */
  cut?: string;
}

/**
 * The unit of a numeric time column, from its name. When the name says none: epoch milliseconds,
 * microseconds or nanoseconds by the size of the first time (`first`; from 1e11, 1e14 and 1e17: epoch seconds
 * stay below 1e11 until the year 5138, and an export of epoch times in ms, as JavaScript and many loggers
 * write them, or in ns, as pandas does, would otherwise be read as seconds, a week as two centuries), epoch
 * seconds from 1e9 (where `unitless` is another unit: JSON's milliseconds), else `unitless`.
 */
function unitOfTime(name: string, unitless: TimeUnit = 's', first?: string): TimeUnit {
  const n = name.toLowerCase();
  if (/(^|_)ns$|nanos/.test(n)) return 'ns';
  if (/(^|_)us$|micros/.test(n)) return 'us';
  if (/(^|_)ms$|millis/.test(n)) return 'ms';
  if (/(^|_)(min|mins|minute|minutes)$/.test(n)) return 'min';
  if (/(^|_)(h|hour|hours)$/.test(n)) return 'h';
  if (/(^|_)(s|sec|secs|seconds)$/.test(n)) return 's';
  const size = first !== undefined && isNumeric(first) ? Math.abs(Number(first)) : 0;
  if (size >= 1e17) return 'ns';
  if (size >= 1e14) return 'us';
  if (size >= 1e11) return 'ms';
  // Epoch seconds where the unitless default is another unit (JSON's milliseconds).
  if (size >= EPOCH_SECONDS) return 's';
  return unitless;
}

/**
 * Numeric times past this many seconds are epoch times (2001-09-09 on): they date the trace. Offsets from a
 * trace's start stay far below it (a year is 3.2e7 s).
 */
const EPOCH_SECONDS = 1e9;

/** The index of a header's time column (see the file comment), -1 without one. */
function timeIndex(header: readonly string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const name of TIME_COLUMNS) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return lower.findIndex((h) => /time|offset|date|(^|_)ts($|_)/.test(h));
}

/**
 * A demand column under another name than `VALUE_COLUMNS` (`num_invocations`, `total_requests`,
 * `requests_per_min`, `query_rate`): a word of demand, and none of a request's size, timing or identity
 * (`Request tokens` is BurstGPT's prompt size, `ContextTokens` Azure's: those files are logs, a row a request).
 */
const DEMAND_WORDS = /request|invocation|quer(y|ies)|call|arrival|hits|(^|_)(rps|qps|rpm)($|_)|count|traffic/;
const NOT_DEMAND =
  /token|byte|size|len(gth)?($|_)|latency|duration|delay|time|date|offset|(^|_)ts($|_)|(^|_)id($|_)|hash|model|type|status|code|cpu|gpu|mem|error|fail/;

/** The unit of a demand column found by its words: a rate per second or per minute, else a count per row. */
function demandUnit(name: string): ValueUnit {
  if (/(^|_)(rps|qps)($|_)|(per_?|\/)s(ec(ond)?)?($|_)|_rate($|_)|^rate/.test(name)) return 'rps';
  if (/(^|_)rpm($|_)|(per_?|\/)min(ute)?($|_)/.test(name)) return 'rpm';
  return 'count';
}

/**
 * Which columns a header names: time, and demand with its unit (`VALUE_COLUMNS`, else a name with a word of
 * demand: `DEMAND_WORDS`); without a demand column, the columns named by
 * a number (`sources`: one per function or model, each counting its requests in the row's interval, as in the
 * Huawei serverless traces' `day,time,0,1,...`), or none (a log of requests).
 */
export function detectColumns(
  header: readonly string[],
  file: string,
  firstRow?: readonly string[],
): { time: string; value?: string; unit?: ValueUnit; sources?: string[] } {
  const lower = header.map((h) => h.trim().toLowerCase());
  const find = (name: string) => lower.indexOf(name);
  const ti = timeIndex(header);
  if (ti < 0) {
    throw new TraceError(
      file,
      `no time column in the header (columns: ${header.join(', ')}; expected one of ${TIME_COLUMNS.join(', ')}, or a name with time, offset, date or ts)`,
    );
  }
  for (const [name, unit] of VALUE_COLUMNS) {
    const vi = find(name);
    if (vi >= 0 && vi !== ti) return { time: header[ti]!.trim(), value: header[vi]!.trim(), unit };
  }
  // Found by its words, a column must hold a number in the first row (`firstRow`, when given): a log's
  // `request` or `query` column of text (a web or query log) is not a count.
  const named = lower.findIndex(
    (h, i) =>
      i !== ti &&
      DEMAND_WORDS.test(h) &&
      !NOT_DEMAND.test(h) &&
      (firstRow === undefined || isNumeric(firstRow[i]?.trim() ?? '')),
  );
  if (named >= 0) return { time: header[ti]!.trim(), value: header[named]!.trim(), unit: demandUnit(lower[named]!) };
  const sources = header.map((h) => h.trim()).filter((h, i) => i !== ti && /^\d+$/.test(h));
  return sources.length >= 2 ? { time: header[ti]!.trim(), sources } : { time: header[ti]!.trim() };
}

/**
 * The columns of a wide layout: a column per minute, named by its number (1..N or 0..N-1, N >= 60; the Azure
 * Functions traces' `HashOwner,HashApp,HashFunction,Trigger,1,...,1440`), each row one source (a function)
 * counting its requests in each minute. Undefined when the header is not one.
 */
export function minuteColumns(header: readonly string[]): number[] | undefined {
  const at = header.map((h, i) => [h.trim(), i] as const).filter(([h]) => /^\d+$/.test(h));
  if (at.length < 60) return undefined;
  const first = Number(at[0]![0]);
  if (first !== 0 && first !== 1) return undefined;
  for (let k = 0; k < at.length; k++) if (Number(at[k]![0]) !== first + k) return undefined;
  return at.map(([, i]) => i);
}

/** A wide layout's requests per minute, summed over its rows (read line by line: such files are large). */
function wideTrace(text: string, columns: readonly number[], file: string): DemandTrace {
  const sums = new Array<number>(columns.length).fill(0);
  const lines = text.split(/\r?\n/);
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === '') continue;
    const fields = line.split(',');
    for (let k = 0; k < columns.length; k++) {
      const raw = fields[columns[k]!]?.trim() ?? '';
      const v = raw === '' ? 0 : Number(raw);
      if (!Number.isFinite(v) || v < 0) {
        throw new TraceError(file, `expected a count >= 0, got '${raw}'`, { line: l + 1, column: String(k + 1) });
      }
      sums[k]! += v;
    }
  }
  return {
    stepSeconds: 60,
    points: sums.map((n, k) => ({ t: k * 60, rps: n / 60 })),
    durationSeconds: sums.length * 60,
    source: file,
  };
}

/**
 * Reads a demand trace CSV of any layout `detectColumns` or `minuteColumns` knows (see the file comment).
 * `unitlessTime`: the unit of a numeric time column whose name says none (seconds for CSV).
 */
export function detectTraceCsv(text: string, file: string, unitlessTime: TimeUnit = 's'): DetectedTrace {
  const bare = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Lines ended by CR alone (classic Mac OS, old Excel for Mac), as the file reader (readline) reads them.
  const lines = bare.includes('\n') || !bare.includes('\r') ? bare : bare.replace(/\r/g, '\n');
  const read = withReadableTimes(lines, timeIndex);
  const d = detectReadableCsv(read.body, file, unitlessTime);
  return read.note ? { ...d, layout: `${d.layout} (${read.note})` } : d;
}

/** `detectTraceCsv` of a text whose times are numbers or ISO-8601 (`withReadableTimes`). */
function detectReadableCsv(text: string, file: string, unitlessTime: TimeUnit): DetectedTrace {
  const body = withClockColumns(text);
  const end = body.search(/\r?\n/);
  const headerFields = (end < 0 ? body : body.slice(0, end)).split(',');
  // Minutes as columns only where no column is time (with one, numbered columns are sources: detectColumns).
  const wide = timeIndex(headerFields) < 0 ? minuteColumns(headerFields) : undefined;
  if (wide) {
    return {
      trace: wideTrace(body, wide, file),
      layout: `a column per minute (${wide.length}), requests summed over every row`,
    };
  }
  // A log of requests without quoted fields (the large files: millions of rows) is read line by line.
  const firstLine =
    end < 0
      ? ''
      : (body
          .slice(end)
          .replace(/^(\s*\r?\n)+/, '')
          .split(/\r?\n/, 1)[0] ?? '');
  const log = detectColumnsOrUndefined(headerFields, file, firstLine.split(','));
  if (log && log.value === undefined && log.sources === undefined && !body.includes('"')) {
    const lines = plainRows(body);
    const second = lines.next();
    if (second.done) throw new TraceError(file, 'expected a header row and at least one data row');
    const ti = headerFields.findIndex((h) => h.trim() === log.time);
    return logTrace(
      (function* () {
        yield second.value;
        yield* lines;
      })(),
      second.value.fields[ti]?.trim() ?? '',
      ti,
      log.time,
      unitlessTime,
      file,
    );
  }
  const rows = splitCsv(body);
  if (rows.length < 2) throw new TraceError(file, 'expected a header row and at least one data row');
  const header = rows[0]!.fields.map((h) => h.trim());
  const { time, value, unit, sources } = detectColumns(header, file, rows[1]!.fields);
  const ti = header.indexOf(time);
  const first = rows[1]!.fields[ti]?.trim() ?? '';
  const numericTime = isNumeric(first);
  const timeUnit = unitOfTime(time, unitlessTime, first);
  const epoch = numericTime && Number(first) * SECONDS_PER[timeUnit] >= EPOCH_SECONDS;
  const timeLabel = `${time}${numericTime ? ` (${timeUnit})` : ' (ISO-8601)'}`;
  // A row per source and time (several rows at one time), or a column per source: the requests summed per time.
  const columns = value !== undefined ? [value] : (sources ?? []);
  if (columns.length > 0 && (sources !== undefined || !increasing(rows, ti))) {
    const summed = sumPerTime(
      rows.slice(1),
      ti,
      time,
      numericTime,
      timeUnit,
      columns.map((c) => header.indexOf(c)),
      columns,
      file,
    );
    const trace = traceOfSeries(summed.times, summed.values, unit ?? 'count', file);
    return {
      trace,
      ...(!numericTime || epoch ? { originMs: summed.times[0]! * 1000 } : {}),
      layout:
        sources !== undefined
          ? `${timeLabel} x ${sources.length} numbered columns (requests per row, summed)`
          : `${timeLabel} x ${value} (${unit === 'count' ? 'requests per row' : unit}), summed over the rows of each time`,
    };
  }
  if (value !== undefined && unit !== undefined) {
    const trace = parseTraceCsv(body, file, {
      timeColumn: time,
      valueColumn: value,
      valueUnit: unit,
      ...(numericTime ? { timeUnit } : {}),
    });
    // parseTraceCsv puts t = 0 at the first row.
    const origin = epoch ? Number(first) * SECONDS_PER[timeUnit] * 1000 : firstRowTime(header, rows[1]!.fields, ti);
    return {
      trace,
      ...(origin !== undefined ? { originMs: origin } : {}),
      layout: `${time}${numericTime ? ` (${timeUnit})` : ' (ISO-8601)'} x ${value} (${unit === 'count' ? 'requests per row' : unit})`,
    };
  }
  return logTrace(rows.slice(1), first, ti, time, unitlessTime, file);
}

/** A log of requests (`requestLog`) with how it was read; `first` is the first data row's time. */
function logTrace(
  rows: Iterable<{ line: number; fields: string[] }>,
  first: string,
  ti: number,
  time: string,
  unitlessTime: TimeUnit,
  file: string,
): DetectedTrace {
  const unit = unitOfTime(time, unitlessTime, first);
  return logDetected(requestLog(rows, ti, time, isNumeric(first), unit, file), time, first, unit);
}

/**
 * A log's counts as a detected trace: dated where its times are ISO or epoch ones (t = 0 is the first
 * request's minute), with how it was read.
 */
function logDetected(
  counted: { trace: DemandTrace; t0: number },
  time: string,
  first: string,
  unit: TimeUnit,
  sep: Separator = ',',
): DetectedTrace {
  const numeric = isNumeric(first);
  const epoch = numeric && Number(first) * SECONDS_PER[unit] >= EPOCH_SECONDS;
  return {
    trace: counted.trace,
    // ISO and epoch times are epoch seconds here: t = 0 is the first request's minute.
    ...(!numeric || epoch ? { originMs: counted.t0 * 1000 } : {}),
    layout: `${separated(sep)}${time}${numeric ? ` (${unit})` : ' (ISO-8601)'}, one request per row, counted per minute`,
  };
}

/** A time cell in seconds (numeric in `unit`, else ISO-8601 as epoch seconds), or a `TraceError` where it is not one. */
function secondsOf(
  raw: string,
  numeric: boolean,
  unit: TimeUnit,
  file: string,
  where: { line: number; column: string },
): number {
  const s = numeric
    ? isNumeric(raw)
      ? Number(raw) * SECONDS_PER[unit]
      : Number.NaN
    : (parseIsoTime(raw) ?? NaN) / 1000;
  if (!Number.isFinite(s)) {
    throw new TraceError(
      file,
      numeric ? `expected a number like the first row's, got '${raw}'` : `expected an ISO-8601 timestamp, got '${raw}'`,
      where,
    );
  }
  return s;
}

/** Whether a column's times strictly increase, read as they come (numbers, else ISO-8601). */
function increasing(rows: ReadonlyArray<{ fields: string[] }>, ti: number): boolean {
  let previous = Number.NEGATIVE_INFINITY;
  for (let r = 1; r < rows.length; r++) {
    const raw = rows[r]!.fields[ti]?.trim() ?? '';
    const t = isNumeric(raw) ? Number(raw) : (parseIsoTime(raw) ?? Number.NaN);
    if (!(t > previous)) return false;
    previous = t;
  }
  return true;
}

/** Times (epoch or offset seconds, ascending, each once) and the sum of `columns` over the rows at each. */
function sumPerTime(
  rows: ReadonlyArray<{ line: number; fields: string[] }>,
  ti: number,
  timeColumn: string,
  numeric: boolean,
  unit: TimeUnit,
  columns: readonly number[],
  names: readonly string[],
  file: string,
): { times: number[]; values: number[] } {
  const sums = new Map<number, number>();
  for (const row of rows) {
    const t = secondsOf(row.fields[ti]?.trim() ?? '', numeric, unit, file, { line: row.line, column: timeColumn });
    let v = 0;
    for (let k = 0; k < columns.length; k++) {
      const cell = row.fields[columns[k]!]?.trim() ?? '';
      const x = cell === '' ? 0 : Number(cell);
      if (!Number.isFinite(x) || x < 0) {
        throw new TraceError(file, `expected a number >= 0, got '${cell}'`, { line: row.line, column: names[k] });
      }
      v += x;
    }
    sums.set(t, (sums.get(t) ?? 0) + v);
  }
  const times = [...sums.keys()].sort((a, b) => a - b);
  return { times, values: times.map((t) => sums.get(t)!) };
}

/** The first row's ISO-8601 timestamp in any column (the time column first): when the series' t = 0 was. */
function firstRowTime(header: readonly string[], firstRow: readonly string[], ti: number): number | undefined {
  for (const i of [ti, ...header.keys()]) {
    const at = parseIsoTime(firstRow[i]?.trim() ?? '');
    if (at !== undefined) return at;
  }
  return undefined;
}

/** One request per row: counted per 60 s from the first row's minute. */
/** `detectColumns`, or undefined where it finds no time column (the caller says why). */
function detectColumnsOrUndefined(header: readonly string[], file: string, firstRow?: readonly string[]) {
  return timeIndex(header) < 0 ? undefined : detectColumns(header, file, firstRow);
}

/** The names of an hour-of-day column beside a date (`withClockColumns`). */
const HOUR_COLUMNS = new Set(['hour', 'hr', 'hour_of_day']);

/**
 * A table whose time is a date (`YYYY-MM-DD`) with the hour, and perhaps the minute, in columns of their own
 * (`date,hour,requests`): the same text with a `timestamp` column first, `YYYY-MM-DDTHH:MM:00`, which the
 * detection then takes as its time (it comes before `date` in `TIME_COLUMNS`). Read by the date alone, every
 * hour of a day would share one time and be summed into a day. Any other text, or one with quoted fields, is
 * returned as it is.
 */
function withClockColumns(body: string): string {
  const end = body.search(/\r?\n/);
  if (end < 0 || body.includes('"')) return body;
  const header = body.slice(0, end).split(',');
  const lower = header.map((h) => h.trim().toLowerCase());
  const di = timeIndex(header);
  const hi = lower.findIndex((h) => HOUR_COLUMNS.has(h));
  const mi = lower.findIndex((h) => h === 'minute' || h === 'min' || h === 'minute_of_hour');
  if (di < 0 || hi < 0 || di === hi || di === mi || lower.includes('timestamp')) return body;
  const lines = body.split(/\r?\n/);
  const first = lines
    .slice(1)
    .find((l) => l.trim() !== '')
    ?.split(',');
  if (!first || !/^\d{4}-\d{2}-\d{2}$/.test(first[di]?.trim() ?? '') || !isNumeric(first[hi]?.trim() ?? ''))
    return body;
  const two = (x: string | undefined) => String(Math.trunc(Number((x ?? '').trim() || '0'))).padStart(2, '0');
  const out = [`timestamp,${lines[0]}`];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // Blank lines stay, so errors name the file's own line numbers.
    if (line.trim() === '') {
      out.push(line);
      continue;
    }
    const f = line.split(',');
    out.push(`${f[di]?.trim()}T${two(f[hi])}:${mi >= 0 ? two(f[mi]) : '00'}:00,${line}`);
  }
  return out.join('\n');
}

/** The data rows of CSV text without quoted fields, one at a time (the header skipped, blank lines too). */
function* plainRows(body: string): Generator<{ line: number; fields: string[] }> {
  let at = body.indexOf('\n');
  let line = 1;
  while (at >= 0 && at < body.length) {
    const next = body.indexOf('\n', at + 1);
    const text = body.slice(at + 1, next < 0 ? body.length : next).replace(/\r$/, '');
    line++;
    if (text.trim() !== '') yield { line, fields: text.split(',') };
    at = next;
  }
}

function requestLog(
  rows: Iterable<{ line: number; fields: string[] }>,
  ti: number,
  column: string,
  numeric: boolean,
  unit: TimeUnit,
  file: string,
): { trace: DemandTrace; t0: number } {
  const counts = new MinuteCounts();
  for (const row of rows) {
    counts.add(secondsOf(row.fields[ti]?.trim() ?? '', numeric, unit, file, { line: row.line, column }));
  }
  return counts.trace(file);
}

/**
 * Requests counted per clock minute of their time (seconds; the minute of `s` is `floor(s / 60)`), in any
 * order, without keeping the times: a log of tens of millions of rows costs a count per minute.
 */
class MinuteCounts {
  private readonly counts = new Map<number, number>();
  private least = Number.POSITIVE_INFINITY;
  private most = Number.NEGATIVE_INFINITY;
  /** The minute being counted and its count so far (logs come sorted: most rows add to the same minute). */
  private minute = Number.NaN;
  private run = 0;

  add(seconds: number): void {
    const m = Math.floor(seconds / 60);
    if (m === this.minute) {
      this.run++;
      return;
    }
    this.flush();
    this.minute = m;
    this.run = 1;
    if (m < this.least) this.least = m;
    if (m > this.most) this.most = m;
  }

  /** The counts as a trace, t = 0 at the first request's minute (`t0`, seconds). */
  trace(file: string): { trace: DemandTrace; t0: number } {
    this.flush();
    const n = this.most - this.least + 1;
    // A point per minute from the first request to the last: a placeholder time (0, 1970, 0001-01-01) among
    // real ones would ask for millions of them (and exhaust the heap), so a span past two years is refused.
    if (n > MAX_LOG_MINUTES) {
      const at = (m: number) => new Date(m * 60_000).toISOString();
      throw new TraceError(
        file,
        `its requests span ${Math.round(n / 1440)} days (from ${at(this.least)} to ${at(this.most)}): more than a trace of ${MAX_LOG_MINUTES / 1440} days; a placeholder time among them?`,
      );
    }
    return {
      trace: {
        stepSeconds: 60,
        points: Array.from({ length: n }, (_, k) => ({ t: k * 60, rps: (this.counts.get(this.least + k) ?? 0) / 60 })),
        durationSeconds: n * 60,
        source: file,
      },
      t0: this.least * 60,
    };
  }

  private flush(): void {
    if (this.run > 0) this.counts.set(this.minute, (this.counts.get(this.minute) ?? 0) + this.run);
    this.run = 0;
  }
}

/**
 * A log of requests (a time column, no demand column: `detectColumns`) read from its file a line at a time,
 * counted per minute as it comes (`MinuteCounts`), so that a file larger than a string can hold is read: V8's
 * strings stop at 512 MiB, and the raw Azure LLM 2024 week logs run to 17 and 27 million rows (about 0.8 and
 * 1.2 GB). Undefined when the file is not such a log, or holds a quoted field (then it is read whole, as
 * before). The same figures as `detectTrace` on the file's text.
 */
async function streamedLog(file: string, shownAs: string): Promise<DetectedTrace | undefined> {
  if (/\.jsonl?(\.gz)?$/i.test(file)) return undefined;
  const { lines, close } = fileLines(file);
  // Times as date-times in another form than ISO-8601 (trace-time.ts): counted in two passes (`datedLog`).
  let dated: DatedLog | undefined;
  try {
    let header: string[] | undefined;
    let sep: Separator = ',';
    let column: string | undefined;
    let ti = -1;
    let unit: TimeUnit = 's';
    let first: string | undefined;
    let numeric = false;
    let line = 0;
    const counts = new MinuteCounts();
    for await (const read of lines) {
      line++;
      const text = line === 1 && read.charCodeAt(0) === 0xfeff ? read.slice(1) : read;
      if (header === undefined) {
        if (text.includes('"')) return undefined;
        sep = separatorOf(text);
        header = text.split(sep);
        if (timeIndex(header) < 0) return undefined;
        // A clock split over columns (`withClockColumns`) is read whole.
        if (header.some((h) => HOUR_COLUMNS.has(h.trim().toLowerCase()))) return undefined;
        continue;
      }
      if (text.trim() === '') continue;
      if (text.includes('"')) return undefined;
      if (column === undefined) {
        // The layout, from the header and the first row (a column found by its words must hold a number).
        let log: ReturnType<typeof detectColumnsOrUndefined>;
        try {
          log = detectColumnsOrUndefined(header, shownAs, text.split(sep));
        } catch {
          return undefined;
        }
        if (!log || log.value !== undefined || log.sources !== undefined) return undefined;
        const time = log.time;
        column = time;
        ti = header.findIndex((h) => h.trim() === time);
      }
      // Another separator with a comma in the row: read whole, where detectTrace says what it cannot read.
      if (sep !== ',' && text.includes(',')) return undefined;
      const cell = text.split(sep, ti + 1)[ti]?.trim() ?? '';
      if (first === undefined) {
        first = cell;
        numeric = isNumeric(first);
        if (!numeric && parseIsoTime(first) === undefined) {
          // Date-times in another form: counted in two passes; times of day alone (and others) are read whole.
          if (parseDateTime(first, 'mdy') === undefined && parseDateTime(first, 'dmy') === undefined) return undefined;
          dated = { column, ti, sep, first };
          break;
        }
        unit = unitOfTime(column, 's', first);
      }
      counts.add(secondsOf(cell, numeric, unit, shownAs, { line, column }));
    }
    if (!dated) {
      if (column === undefined || first === undefined) return undefined;
      return logDetected(counts.trace(shownAs), column, first, unit, sep);
    }
  } catch (e) {
    throw readError(e, shownAs);
  } finally {
    close();
  }
  return datedLog(file, shownAs, dated);
}

/** A trace file's lines (gzip inflated), read one at a time; `close` ends the read. */
function fileLines(file: string) {
  const raw = createReadStream(file);
  const lines = createInterface({ input: /\.gz$/i.test(file) ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
  return {
    lines,
    close: () => {
      lines.close();
      raw.destroy();
    },
  };
}

/** An error met reading a trace file, as a `TraceError` naming the file (one that is stays as it is). */
function readError(e: unknown, shownAs: string): TraceError {
  return e instanceof TraceError ? e : new TraceError(shownAs, `cannot read the trace: ${(e as Error).message}`);
}

/** A streamed log whose times are date-times in another form than ISO-8601 (`streamedLog`). */
interface DatedLog {
  column: string;
  ti: number;
  sep: Separator;
  first: string;
}

/**
 * A log of requests whose times are date-times in another form than ISO-8601 (`11/16/2023 18:15:46`), read a
 * line at a time in two passes: the first finds how its dates are ordered from every value (`DateOrderVote`,
 * as `withReadableTimes` does when it reads the file whole), the second counts them per minute. The same
 * figures and layout as the file read whole.
 */
async function datedLog(file: string, shownAs: string, log: DatedLog): Promise<DetectedTrace | undefined> {
  const { column, ti, sep, first } = log;
  const eachTime = async (f: (cell: string, line: number) => void) => {
    const { lines, close } = fileLines(file);
    try {
      let line = 0;
      for await (const text of lines) {
        line++;
        if (line === 1 || text.trim() === '') continue;
        // A quoted field (a comma or a line end in it) is read whole, as `streamedLog` hands such files over.
        if (text.includes('"')) throw QUOTED;
        f(text.split(sep, ti + 1)[ti]?.trim() ?? '', line);
      }
    } catch (e) {
      if (e === QUOTED) throw e;
      throw readError(e, shownAs);
    } finally {
      close();
    }
  };
  const vote = new DateOrderVote();
  try {
    await eachTime((cell) => vote.add(cell));
  } catch (e) {
    if (e === QUOTED) return undefined;
    throw e;
  }
  const order = vote.order();
  const counts = new MinuteCounts();
  await eachTime((cell, line) => {
    const ms = parseDateTime(cell, order) ?? parseIsoTime(cell);
    if (ms === undefined) {
      throw new TraceError(shownAs, `expected an ISO-8601 timestamp, got '${cell}'`, { line, column });
    }
    counts.add(ms / 1000);
  });
  const d = logDetected(counts.trace(shownAs), column, first, 's', sep);
  return { ...d, layout: `${d.layout} (${dateTimeNote(column, first, order)})` };
}

/** The longest log counted per minute: two years. */
const MAX_LOG_MINUTES = 2 * 365 * 1440;

/** `datedLog` met a quoted field: the file is read whole instead. */
const QUOTED = Symbol('quoted');

/**
 * Reads a trace file as `detectTrace` reads its text: a log of requests a line at a time (`streamedLog`, files
 * of any size), any other layout whole. Edges as they are (`withoutPartialEdges` cuts them).
 */
export async function readDetectedTrace(file: string, shownAs = file): Promise<DetectedTrace> {
  if (PARQUET.test(file)) {
    const d = await readParquet(file, shownAs);
    return { ...d, layout: `Parquet: ${d.layout}` };
  }
  return (await streamedLog(file, shownAs)) ?? detectTrace(await readTraceText(file, shownAs), shownAs);
}

/** A Parquet file (trace-parquet.ts), read by its path only: a binary format, not text. */
const PARQUET = /\.parquet$/i;

/**
 * A Parquet trace, read as the CSV of its columns would be read. Only the columns a layout can use are decoded
 * (`parquetWanted`: a log's token counts, models and ids are not), all of them where none is such. A log of
 * requests (a time column and no demand column) is counted per minute from its rows (`parquetLog`), with no
 * CSV text between: a log of tens of millions of rows would not fit in one string. Any other layout, or a log
 * whose times are text in another form than ISO-8601, goes through `detectTraceCsv` (`RecordsCsv`).
 */
async function readParquet(file: string, shownAs: string): Promise<DetectedTrace> {
  const parquet = await openParquet(file, shownAs);
  const wanted = parquet.columns.filter(parquetWanted);
  const header = wanted.length > 0 ? wanted : parquet.columns;
  const [first] = await parquet.rows(header, 1);
  if (!first) throw new TraceError(shownAs, 'expected rows in the Parquet file, found none');
  const log = detectColumnsOrUndefined(
    header,
    shownAs,
    header.map((h) => cell(first[h])),
  );
  if (log && log.value === undefined && log.sources === undefined) {
    const counted = await parquetLog(parquet, shownAs, log.time, first[log.time]);
    if (counted) return counted;
  }
  const records = new RecordsCsv();
  for (const r of await parquet.rows(header)) records.add(r);
  return detectTraceCsv(records.text(), shownAs);
}

/** Whether a Parquet column may be part of a trace's layout: a time, a demand, a clock or a numbered column. */
function parquetWanted(name: string): boolean {
  const n = name.trim().toLowerCase();
  return (
    (TIME_COLUMNS as readonly string[]).includes(n) ||
    /time|offset|date|(^|_)ts($|_)/.test(n) ||
    VALUE_COLUMNS.some(([v]) => v === n) ||
    (DEMAND_WORDS.test(n) && !NOT_DEMAND.test(n)) ||
    HOUR_COLUMNS.has(n) ||
    /^\d+$/.test(n)
  );
}

/**
 * A Parquet log's requests counted per minute of their time (`MinuteCounts`), from its time column alone
 * (`ParquetTrace.columnValues`): a TIMESTAMP column's times, or numbers in the unit the column's name or the first
 * one's size says (`unitOfTime`, seconds by default, as in a CSV), or ISO-8601 text. `first` is the first row's
 * value as `ParquetTrace.rows` gives it. Undefined for text in another form (the CSV path rewrites it: trace-time.ts).
 */
async function parquetLog(
  parquet: ParquetTrace,
  shownAs: string,
  time: string,
  first: unknown,
): Promise<DetectedTrace | undefined> {
  const stamp = first instanceof Date;
  const firstText = stamp ? first.toISOString() : typeof first === 'string' ? first.trim() : cell(first);
  const numeric = !stamp && isNumeric(firstText);
  if (!stamp && !numeric && parseIsoTime(firstText) === undefined) return undefined;
  const unit = numeric ? unitOfTime(time, 's', firstText) : 's';
  const counts = new MinuteCounts();
  await parquet.columnValues(time, (values, firstRow) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const seconds = stamp
        ? Number(v) / 1000
        : numeric
          ? Number(v) * SECONDS_PER[unit]
          : (parseIsoTime(typeof v === 'string' ? v.trim() : '') ?? Number.NaN) / 1000;
      if (v === null || v === undefined || !Number.isFinite(seconds)) {
        throw new TraceError(
          shownAs,
          `expected a time like the first row's in column '${time}', row ${firstRow + i + 1}, got '${String(v)}'`,
        );
      }
      counts.add(seconds);
    }
  });
  return logDetected(counts.trace(shownAs), time, firstText, unit);
}

/**
 * JSON lines (`.jsonl`), one object per line, as the CSV of its scalar fields (the first object's keys): the
 * Mooncake traces' layout, `{"timestamp": 3052, "input_length": 7234, "output_length": 794, "hash_ids": [...]}`.
 */
export function jsonlAsCsv(text: string, file: string): string {
  const lines = text.split(/\r?\n/);
  const records = new RecordsCsv();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new TraceError(file, `expected a JSON object per line: ${(e as Error).message}`, { line: i + 1 });
    }
    if (!isRecord(o)) throw new TraceError(file, 'expected a JSON object per line', { line: i + 1 });
    records.add(o);
  }
  return records.text();
}

/**
 * A JSON file (`.json`) of request or interval records, as the CSV of their scalar fields: an array of objects,
 * or an object with one array of objects among its fields (`{"requests": [...]}`).
 */
export function jsonAsCsv(text: string, file: string): string {
  let o: unknown;
  try {
    o = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new TraceError(file, `expected JSON: ${(e as Error).message}`);
  }
  // Beside the records, other arrays (an empty `errors`, a list of names) are not candidates.
  const arrays = Array.isArray(o)
    ? [o]
    : isRecord(o)
      ? Object.values(o).filter((v) => Array.isArray(v) && v.length > 0 && v.every(isRecord))
      : [];
  const list = arrays.length === 1 ? (arrays[0] as unknown[]) : undefined;
  if (!list || list.length === 0 || !list.every(isRecord)) {
    throw new TraceError(
      file,
      'expected an array of objects (a record each), or an object with one such array among its fields',
    );
  }
  const records = new RecordsCsv();
  for (const r of list) records.add(r);
  return records.text();
}

const isRecord = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o);

/**
 * The unit of a JSON-lines trace's unit-less numeric time: milliseconds since the first request, the Mooncake
 * trace format's `timestamp` (kvcache-ai/Mooncake; NVIDIA Dynamo's and aiperf's trace loaders read it so).
 */
export const JSONL_UNITLESS_TIME: TimeUnit = 'ms';

/** Whether the benchmark and `simulate` read a file as a demand trace: CSV, JSON lines, JSON or Parquet. */
const TRACE_FILE = /\.(csv|tsv|jsonl|json)(\.gz)?$|\.parquet$/i;
export const isTraceFile = (file: string) => TRACE_FILE.test(file);

/**
 * Whether a `.txt` file is a CSV trace by another name (the Azure Functions 2021 invocation trace is
 * `AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt`, a CSV of `app,func,end_timestamp,duration`): its first
 * line is a header of two or more comma-separated names, one of them a time column, and its second a row of as
 * many fields with a time (a number or ISO-8601) under that column. Reads the file's first 64 KiB only. Notes
 * and licences (`.txt` too) are not.
 */
export async function isCsvText(file: string): Promise<boolean> {
  if (!/\.txt$/i.test(file)) return false;
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0);
    const [first = '', second = ''] = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 2);
    const header = first.split(',').map((h) => h.trim());
    const row = second.split(',').map((x) => x.trim());
    const ti = timeIndex(header);
    const time = row[ti] ?? '';
    return (
      header.length >= 2 &&
      row.length === header.length &&
      ti >= 0 &&
      (isNumeric(time) ||
        parseIsoTime(time) !== undefined ||
        parseDateTime(time) !== undefined ||
        parseTimeOfDay(time) !== undefined)
    );
  } finally {
    await handle.close();
  }
}

/** A trace file's name without its kind (`.csv`, `.tsv`, `.json`, `.jsonl`, any gzipped, `.parquet` or `.txt`). */
export const traceName = (file: string) => file.replace(TRACE_FILE, '').replace(/\.txt$/i, '');

/** A trace file's text: gzip (`.gz`) inflated. An unreadable file is a `TraceError`. */
export async function readTraceText(file: string, shownAs = file): Promise<string> {
  try {
    const bytes = await readFile(file);
    return (/\.gz$/i.test(file) ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    throw new TraceError(shownAs, `cannot read the trace: ${(e as Error).message}`);
  }
}

/** Reads a demand trace of either kind `isTraceFile` names, from its text. */
export function detectTrace(text: string, file: string): DetectedTrace {
  if (/\.jsonl(\.gz)?$/i.test(file)) {
    const d = detectTraceCsv(jsonlAsCsv(text, file), file, JSONL_UNITLESS_TIME);
    return { ...d, layout: `JSON lines: ${d.layout}` };
  }
  if (/\.json(\.gz)?$/i.test(file)) {
    const d = detectTraceCsv(jsonAsCsv(text, file), file, JSONL_UNITLESS_TIME);
    return { ...d, layout: `JSON: ${d.layout}` };
  }
  const sep = separatorOf(text);
  if (sep === ',') return detectTraceCsv(text, file);
  // Semicolons where the comma is the decimal mark (`0,5`): the same table with points and commas. Every comma
  // lies between digits, and one at least is not followed by exactly three (`1,500` may be a thousand).
  if (
    sep === ';' &&
    !text.includes('"') &&
    !text.replace(/(\d),(?=\d)/g, '').includes(',') &&
    /\d,(\d{1,2}|\d{4,})(?!\d)/.test(text)
  ) {
    const d = detectTraceCsv(text.replace(/(\d),(?=\d)/g, '$1.').replaceAll(';', ','), file);
    return { ...d, layout: `semicolon-separated, decimal commas: ${d.layout}` };
  }
  // Tab- or semicolon-separated, without a comma or a quote anywhere: the same table with commas.
  if (text.includes(',') || text.includes('"')) {
    throw new TraceError(
      file,
      `fields are separated by '${sep === '\t' ? '\\t' : sep}' and hold commas or quotes: save it as CSV`,
    );
  }
  const d = detectTraceCsv(text.replaceAll(sep, ','), file);
  return { ...d, layout: `${separated(sep)}${d.layout}` };
}

type Separator = ',' | '\t' | ';';

/** How a table's separator is said before its layout: nothing for a comma. */
const separated = (sep: Separator) => (sep === ',' ? '' : `${sep === '\t' ? 'tab' : 'semicolon'}-separated: `);

/**
 * The field separator of a table's header line: a comma, else a tab, else a semicolon (a TSV export, or a CSV
 * written where the comma is the decimal mark), when that splits it into two or more names.
 */
export function separatorOf(text: string): Separator {
  const header = text.slice(0, Math.max(0, text.search(/\r?\n/)) || text.length);
  if (header.includes(',')) return ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}

/** A length of time in whole minutes, or in seconds. */
const span = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** How far into a trace, and before its end, rows of 0 are taken for padding (`withoutPartialEdges`). */
const EDGE_SECONDS = 60;

/**
 * The demand of a command's `--trace FILE` (`simulate`, `advise`): with a column or unit named, read as named
 * (`loadTraceCsv`); with none, read from the header as the benchmark reads every trace (`loadDetectedTrace`),
 * its partial edges cut, and what was cut said through `note`; where the file dates it, the UTC time of its
 * t = 0 goes to `dated`.
 */
export async function loadTraceArg(
  file: string,
  columns: TraceCsvOptions,
  note: (line: string) => void,
  dated?: (originMs: number) => void,
): Promise<DemandTrace> {
  if (columns.timeColumn ?? columns.valueColumn ?? columns.valueUnit ?? columns.timeUnit) {
    return loadTraceCsv(file, columns);
  }
  const detected = await loadDetectedTrace(file);
  if (detected.cut) note(detected.cut);
  if (detected.originMs !== undefined) dated?.(detected.originMs);
  return detected.trace;
}

/** Reads a trace file and its layout (`detectTrace`), its edges cut (`withoutPartialEdges`); an unreadable file is a `TraceError` too. */
export async function loadDetectedTrace(file: string): Promise<DetectedTrace> {
  return withoutPartialEdges(await readDetectedTrace(file));
}

/**
 * A whole trace from its first request to its last, without the intervals at either end, which may cover
 * only part of their time. A file's first and last rows seldom span a whole interval: a log counted per clock
 * minute starts at its first request, inside a minute (the Azure 2023 conversation log's first request is at
 * 18:15:46, so its first minute holds 14 s of requests), and a per-minute or per-second aggregate of such a
 * log repeats its partial first and last minutes, or pads them with rows of 0 (the same trace per second has
 * 46 of them). Read as they are, they would be a short dip in demand, and every controller's start, sized for
 * the first minute (`--cold-start` aside), would be sized for a fraction of it. The benchmark's named 2023
 * scenarios have always dropped their first and last minutes for this reason; every other trace, and
 * `simulate --trace`, now does the same. Rows of 0 before the first request and after the last are dropped
 * first when they lie within the trace's first or last minute (`EDGE_SECONDS`: longer quiet spells are
 * demand); then the first and the last interval, as long as three or more remain. `originMs` moves with the
 * start and `layout` says what was cut. Applied to a whole trace (all its parts), never to one part of it.
 */
export function withoutPartialEdges(d: DetectedTrace): DetectedTrace {
  const { points } = d.trace;
  const end = (i: number) => (i + 1 < points.length ? points[i + 1]!.t : d.trace.durationSeconds);
  const busy = points.findIndex((p) => p.rps > 0);
  if (busy < 0) return d;
  let latest = points.length - 1;
  while (!(points[latest]!.rps > 0)) latest--;
  // Rows of 0 are padding only within the first and the last minute; longer quiet spells are the demand's own.
  let first = points[busy]!.t < EDGE_SECONDS ? busy : 0;
  let last = end(latest) > d.trace.durationSeconds - EDGE_SECONDS ? latest : points.length - 1;
  const zeros = first > 0 || last < points.length - 1;
  // The edges go when five or more intervals hold them and some request lies between them.
  const edges = last - first + 1 >= 5 && points.slice(first + 1, last).some((p) => p.rps > 0);
  if (edges) {
    first++;
    last--;
  }
  if (!zeros && !edges) return d;
  const from = points[first]!.t;
  const to = end(last);
  const cut: DemandTrace = {
    stepSeconds: d.trace.stepSeconds,
    points: points.slice(first, last + 1).map((p) => ({ t: p.t - from, rps: p.rps })),
    durationSeconds: to - from,
    source: d.trace.source,
  };
  const said = [
    zeros ? `${first + (points.length - 1 - last) - (edges ? 2 : 0)} row(s) of 0 at its ends` : '',
    edges ? 'its first and last interval' : '',
  ]
    .filter((x) => x)
    .join(' and ');
  const note = `without ${said}, which may cover part of their time: ${span(cut.durationSeconds)} of ${span(d.trace.durationSeconds)}, from ${from} s`;
  return {
    trace: cut,
    ...(d.originMs !== undefined ? { originMs: d.originMs + from * 1000 } : {}),
    layout: `${d.layout}; ${note}`,
    cut: note,
  };
}
