/**
 * Demand traces written in the layouts trace-detect.ts promises to read, for the properties of
 * trace.property.test.ts and trace-file.property.test.ts: times in every form (`TimeForm`), tables in every
 * format (`Format`: separator, line ends, BOM, quotes, ...), a per-minute series as a table (`tableCase`) or
 * as a log of one row per request (`logCase`), and the checks of what is read back.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type DetectedTrace, detectTrace } from '../../local/sim/trace-detect.ts';
import { type DemandTrace, TraceError } from '../../local/sim/trace.ts';

// ---------------------------------------------------------------------------------------------------------
// Comparing figures

export const close = (actual: number, expected: number, what: string) => {
  if (!(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${what}: expected ${expected}, got ${actual}`);
  }
};

/** The trace is `counts` requests in each minute from t = 0, each minute its own interval. */
export function expectPerMinute(d: DetectedTrace, counts: readonly number[]): void {
  const { points } = d.trace;
  expect(points.map((p) => Math.round(p.rps * 60 * 1e6) / 1e6)).toEqual(counts);
  for (const [k, p] of points.entries()) {
    close(p.t, 60 * k, `t of point ${k}`);
    close(p.rps * 60, counts[k]!, `requests in minute ${k}`);
  }
  close(d.trace.durationSeconds, 60 * counts.length, 'durationSeconds');
  close(d.trace.stepSeconds, 60, 'stepSeconds');
}

/** The trace is dated at `ms` (within a ms: epoch ns and us pass through floating point). */
export function expectOrigin(d: DetectedTrace, ms: number): void {
  expect(d.originMs).toBeDefined();
  expect(Math.abs(d.originMs! - ms)).toBeLessThan(1);
}

/** A trace as the file comments promise one: from t = 0, in time order, finite rates >= 0, a positive step. */
export function expectWellFormed(t: DemandTrace): void {
  expect(t.points.length).toBeGreaterThan(0);
  expect(t.points[0]!.t).toBe(0);
  for (let i = 1; i < t.points.length; i++) expect(t.points[i]!.t).toBeGreaterThan(t.points[i - 1]!.t);
  for (const p of t.points) expect(Number.isFinite(p.rps) && p.rps >= 0).toBe(true);
  expect(t.durationSeconds).toBeGreaterThan(t.points[t.points.length - 1]!.t);
  expect(Number.isFinite(t.durationSeconds)).toBe(true);
  expect(Number.isFinite(t.stepSeconds) && t.stepSeconds > 0).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------
// Writing times

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The UTC fields of an epoch ms. */
function fields(ms: number) {
  const d = new Date(ms);
  return {
    Y: d.getUTCFullYear(),
    M: d.getUTCMonth() + 1,
    D: d.getUTCDate(),
    h: d.getUTCHours(),
    m: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    f: d.getUTCMilliseconds(),
    wd: d.getUTCDay(),
  };
}
const hms = (ms: number) => {
  const x = fields(ms);
  return `${pad(x.h)}:${pad(x.m)}:${pad(x.s)}`;
};
const twelve = (h: number) => `${h % 12 === 0 ? 12 : h % 12}`;
const half = (h: number) => (h < 12 ? 'AM' : 'PM');

/**
 * How a time is written: the columns it takes (`header`) and their cells at an epoch ms, whether the trace is
 * dated by it, and what a reader of it needs: `comma` (a cell holds a comma: CSV only, quoted), `plain` (no
 * quoted field anywhere: `withClockColumns`), `clockAlone` (times of day without a date: offsets from the
 * first row, in time order only). Forms without seconds or ms drop them: the minute stays.
 */
export interface TimeForm {
  label: string;
  header: string[];
  cells: (ms: number) => string[];
  dated: boolean;
  comma?: boolean;
  plain?: boolean;
  clockAlone?: boolean;
  /**
   * Whether a whole minute is no decimal in it (hours: 1/60 h), so a time written at one may read a hair before
   * it: a log's request is then kept a ms away from the minute's start.
   */
  inexact?: boolean;
  /** A precondition on the trace's first time (a day-first date with slashes needs a day over 12 to say so). */
  accepts?: (firstMs: number) => boolean;
}

/** Numeric offsets from `zeroMs` in the unit the column's name says (seconds where it says none). */
export const offsetForms = (zeroMs: number): TimeForm[] => {
  const s = (ms: number) => String((ms - zeroMs) / 1000);
  const msOf = (ms: number) => String(ms - zeroMs);
  const min = (ms: number) => String((ms - zeroMs) / 60_000);
  const hours = (ms: number) => String((ms - zeroMs) / 3_600_000);
  const of = (names: string[], cell: (ms: number) => string, inexact = false) =>
    names.map((name) => ({
      label: `${name} offsets`,
      header: [name],
      cells: (ms: number) => [cell(ms)],
      dated: false,
      inexact,
    }));
  return [
    ...of(['offset_s', 'offset_sec', 'offset_seconds', 'timestamp', 'Time', 't', 'ts', 'time_s', 'arrival_time'], s),
    ...of(['offset_ms', 'time_ms', 'Timestamp_ms', 'event_ts_ms'], msOf),
    ...of(['offset_min', 'offset_minutes', 'minute', 'time_min'], min),
    ...of(['offset_h', 'offset_hours', 'time_hours'], hours, true),
  ];
};

/** Epoch numbers: seconds, ms, us and ns by their size, or by the column's name. */
export const EPOCH_FORMS: TimeForm[] = [
  { label: 'epoch s', header: ['timestamp'], cells: (ms) => [String(ms / 1000)], dated: true },
  { label: 'epoch ms', header: ['timestamp'], cells: (ms) => [String(ms)], dated: true },
  { label: 'epoch us', header: ['ts'], cells: (ms) => [`${ms}000`], dated: true },
  { label: 'epoch ns', header: ['time'], cells: (ms) => [`${ms}000000`], dated: true },
  { label: 'epoch s named', header: ['time_s'], cells: (ms) => [String(ms / 1000)], dated: true },
  { label: 'epoch ms named', header: ['time_ms'], cells: (ms) => [String(ms)], dated: true },
];

/** ISO-8601, with and without a zone. */
export const ISO_FORMS: TimeForm[] = [
  { label: 'ISO Z', header: ['timestamp'], cells: (ms) => [new Date(ms).toISOString()], dated: true },
  {
    label: 'ISO no zone',
    header: ['TIMESTAMP'],
    cells: (ms) => [new Date(ms).toISOString().slice(0, 19)],
    dated: true,
  },
  {
    label: 'ISO space ms',
    header: ['time'],
    cells: (ms) => [new Date(ms).toISOString().slice(0, 23).replace('T', ' ')],
    dated: true,
  },
  {
    label: 'ISO minutes',
    header: ['date'],
    cells: (ms) => [new Date(ms).toISOString().slice(0, 16)],
    dated: true,
  },
  {
    label: 'ISO +05:30',
    header: ['datetime'],
    cells: (ms) => [`${new Date(ms + 330 * 60_000).toISOString().slice(0, 19)}+05:30`],
    dated: true,
  },
  {
    label: 'ISO -0800',
    header: ['t_start_utc'],
    cells: (ms) => [`${new Date(ms - 480 * 60_000).toISOString().slice(0, 23)}-0800`],
    dated: true,
  },
];

/** The date-time forms trace-time.ts reads. */
export const DATE_TIME_FORMS: TimeForm[] = [
  {
    label: 'year first, slashes',
    header: ['timestamp'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${x.Y}/${pad(x.M)}/${pad(x.D)} ${hms(ms)}`];
    },
    dated: true,
  },
  {
    label: 'year first, dots, ms',
    header: ['time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${x.Y}.${pad(x.M)}.${pad(x.D)} ${hms(ms)}.${pad(x.f, 3)}`];
    },
    dated: true,
  },
  {
    label: 'month first, 12-hour clock',
    header: ['Date'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${x.M}/${x.D}/${x.Y} ${twelve(x.h)}:${pad(x.m)}:${pad(x.s)} ${half(x.h)}`];
    },
    dated: true,
  },
  {
    label: 'month first, minutes',
    header: ['time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${pad(x.M)}/${pad(x.D)}/${x.Y} ${x.h}:${pad(x.m)}`];
    },
    dated: true,
  },
  {
    label: 'day first, dots',
    header: ['Zeitstempel_time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${pad(x.D)}.${pad(x.M)}.${x.Y} ${hms(ms)}`];
    },
    dated: true,
  },
  {
    label: 'day first, slashes',
    header: ['timestamp'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${pad(x.D)}/${pad(x.M)}/${x.Y} ${pad(x.h)}:${pad(x.m)}`];
    },
    dated: true,
    accepts: (ms) => fields(ms).D > 12,
  },
  {
    label: 'day first, dashes',
    header: ['time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${pad(x.D)}-${pad(x.M)}-${x.Y} ${hms(ms)}`];
    },
    dated: true,
    accepts: (ms) => fields(ms).D > 12,
  },
  {
    label: 'day, month name',
    header: ['time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${pad(x.D)}-${MONTHS[x.M - 1]}-${x.Y} ${hms(ms)}`];
    },
    dated: true,
  },
  {
    label: 'month name first',
    header: ['timestamp'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${LONG_MONTHS[x.M - 1]} ${x.D}, ${x.Y} ${twelve(x.h)}:${pad(x.m)} ${half(x.h)}`];
    },
    dated: true,
    comma: true,
  },
  {
    label: 'HTTP date',
    header: ['time'],
    cells: (ms) => [new Date(ms).toUTCString()],
    dated: true,
    comma: true,
  },
  {
    label: "JavaScript's Date string",
    header: ['timestamp'],
    cells: (ms) => {
      const x = fields(ms + 60 * 60_000);
      return [
        `${DAYS[x.wd]} ${MONTHS[x.M - 1]} ${pad(x.D)} ${x.Y} ${pad(x.h)}:${pad(x.m)}:${pad(x.s)} GMT+0100 (Central European Standard Time)`,
      ];
    },
    dated: true,
  },
  {
    label: 'BigQuery',
    header: ['time'],
    cells: (ms) => [`${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`],
    dated: true,
  },
  {
    label: 'date and time of day',
    header: ['date', 'time'],
    cells: (ms) => [new Date(ms).toISOString().slice(0, 10), hms(ms)],
    dated: true,
  },
  {
    label: 'US date and 12-hour time of day',
    header: ['Day', 'Time'],
    cells: (ms) => {
      const x = fields(ms);
      return [`${x.M}/${x.D}/${x.Y}`, `${twelve(x.h)}:${pad(x.m)}:${pad(x.s)} ${half(x.h)}`];
    },
    dated: true,
  },
  {
    label: 'date, hour and minute columns',
    header: ['date', 'hour', 'minute'],
    cells: (ms) => {
      const x = fields(ms);
      return [new Date(ms).toISOString().slice(0, 10), String(x.h), String(x.m)];
    },
    dated: true,
    plain: true,
  },
  {
    label: 'time of day alone',
    header: ['time'],
    cells: (ms) => [hms(ms)],
    dated: false,
    clockAlone: true,
  },
];

// ---------------------------------------------------------------------------------------------------------
// Writing tables

/** Columns beside time and demand: none of them a time, a demand or a numbered column. */
export const EXTRAS: ReadonlyArray<readonly [name: string, cell: (i: number, commas: boolean) => string]> = [
  ['model', (i) => ['llama-3-8b', 'gpt-4', 'mistral 7b'][i % 3]!],
  ['input_tokens', (i) => String(100 + ((i * 37) % 900))],
  ['Request tokens', (i) => String(7 + i)],
  ['region', (i) => ['us-east-1', 'eu-west-1'][i % 2]!],
  ['p99_latency_ms', (i) => (12.5 + i).toFixed(1)],
  ['status', () => '200'],
  ['request_id', (i) => String(9000 + i)],
  ['note', (i, commas) => (commas ? ['a, b', 'say "hi"', ''][i % 3]! : ['a b', 'x', ''][i % 3]!)],
];

export interface Format {
  sep: ',' | '\t' | ';';
  eol: '\n' | '\r\n';
  bom: boolean;
  /** CSV only: quote every field, or those that are not numbers (pandas' QUOTE_NONNUMERIC), or none. */
  quote: 'all' | 'text' | 'none';
  finalEol: boolean;
  /**
   * Blank lines after these data rows; not after the header, where a known bug turns a demand column found by
   * its words into a log (detectReadableCsv takes the line after the header for the first row).
   */
  blanks: number[];
  /** A space after each separator (unquoted only), as some writers put one. */
  space: boolean;
  /** The header in capitals. */
  upper: boolean;
  /** A separator at the end of every line (an unnamed empty last column, as spreadsheets export). */
  trailing: boolean;
  /** With semicolons, numbers with a decimal comma (`0,5`). */
  decimalComma: boolean;
}

export const formatArb = (allowQuotes: boolean): fc.Arbitrary<Format> =>
  fc
    .record({
      sep: fc.constantFrom<Format['sep']>(',', ',', '\t', ';'),
      eol: fc.constantFrom<Format['eol']>('\n', '\r\n'),
      bom: fc.boolean(),
      quote: allowQuotes ? fc.constantFrom<Format['quote']>('none', 'all', 'text') : fc.constant<'none'>('none'),
      finalEol: fc.boolean(),
      blanks: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 2 }),
      space: fc.boolean(),
      upper: fc.boolean(),
      trailing: fc.boolean(),
      decimalComma: fc.boolean(),
    })
    .map((f) => ({
      ...f,
      quote: f.sep === ',' ? f.quote : 'none',
      space: f.space && f.sep !== '\t' && (f.sep !== ',' || f.quote === 'none'),
      decimalComma: f.decimalComma && f.sep === ';',
    }));

/** CSV (or TSV, semicolons) of a header and rows, quoted where CSV needs it or as `quote` says. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], f: Format): string {
  const quote = (x: string) =>
    f.sep === ',' && (f.quote === 'all' || (f.quote === 'text' && !/^-?[\d.]+$/.test(x)) || /[",\r\n]/.test(x))
      ? `"${x.replace(/"/g, '""')}"`
      : x;
  // A header of one name has no separator to tell: decimal commas only with two columns or more.
  const commas = f.decimalComma && header.length + (f.trailing ? 1 : 0) >= 2;
  const decimal = (x: string) => (commas && /^-?\d+\.\d+$/.test(x) ? x.replace('.', ',') : x);
  const line = (cells: readonly string[]) =>
    [...cells.map(decimal).map(quote), ...(f.trailing ? [''] : [])].join(f.space ? `${f.sep} ` : f.sep);
  const lines = [line(header.map((h) => (f.upper ? h.toUpperCase() : h)))];
  rows.forEach((r, i) => {
    lines.push(line(r));
    if (f.blanks.includes(i)) lines.push('');
  });
  return `${f.bom ? '\ufeff' : ''}${lines.join(f.eol)}${f.finalEol ? f.eol : ''}`;
}

/**
 * A table with semicolons and decimal commas is read as such where one comma at least is not followed by
 * exactly three digits (`1,500` may be a thousand); else `detectTrace` says it cannot read it.
 */
export const unreadable = (text: string) => text.includes(',') && !/\d,(\d{1,2}|\d{4,})(?!\d)/.test(text);

/** The file name a format is read under. */
export const fileOf = (f: Format) => (f.sep === '\t' ? 'trace.tsv' : 'trace.csv');

/** Starts of traces: whole minutes from 2001-09-09 (epoch 1e9 s) to 2036. */
export const startArb = fc.integer({ min: 16_666_700, max: 34_700_000 }).map((m) => m * 60_000);

/** Demand columns by name, with how a minute's count is written in each. */
export const DEMAND: ReadonlyArray<readonly [name: string, write: (count: number) => string]> = [
  ['requests', String],
  ['request_count', String],
  ['Count', String],
  ['invocations', String],
  ['arrivals', String],
  ['value', String],
  ['num_invocations', String],
  ['total_requests', String],
  ['RPS', (c) => String(c / 60)],
  ['qps', (c) => String(c / 60)],
  ['rate', (c) => String(c / 60)],
  ['query_rate', (c) => String(c / 60)],
  ['Requests/s', (c) => String(c / 60)],
  ['rpm', String],
  ['rpm_mid', String],
  ['requests_per_minute', String],
  ['requests_per_min', String],
  ['calls/min', String],
];

export const countsArb = fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 24 });

/** Which extra columns, in which order with the others. */
export const columnsArb = fc.record({
  extras: fc.subarray([...EXTRAS.keys()], { maxLength: 3 }),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
});

/** `items` in an order from `keys` (a stable sort by key). */
export const reorder = <T>(items: readonly T[], keys: readonly number[]) =>
  items
    .map((x, i) => [x, keys[i % keys.length]!, i] as const)
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .map(([x]) => x);

/** Whether a form may be written in a format: commas and quotes only in CSV; no quotes where `plain`. */
export const fits = (form: TimeForm, f: Format) => !(form.comma && !quotable(f)) && !(form.plain && f.quote !== 'none');

/** Whether a cell may hold a comma or a quote in a format (quoted; not after a space). */
export const quotable = (f: Format) => f.sep === ',' && !f.space;

/** Requests at random ms within each minute from the start, the first and the last minute with one at least. */
export const perMinuteLog = fc
  .array(fc.array(fc.nat({ max: 59_999 }), { maxLength: 6 }), { minLength: 1, maxLength: 16 })
  .map((minutes) => {
    const m = minutes.map((x) => [...x]);
    if (m[0]!.length === 0) m[0]!.push(0);
    if (m[m.length - 1]!.length === 0) m[m.length - 1]!.push(59_999);
    return m;
  })
  .chain((minutes) => {
    const times = minutes.flatMap((x, k) => x.map((ms) => k * 60_000 + ms)).sort((a, b) => a - b);
    return fc.array(fc.nat(), { minLength: times.length, maxLength: times.length }).map((order) => ({
      counts: minutes.map((x) => x.length),
      times,
      order,
    }));
  });

/** Plain CSV. */
export const FMT: Format = {
  sep: ',',
  eol: '\n',
  bom: false,
  quote: 'none',
  finalEol: true,
  blanks: [],
  space: false,
  upper: false,
  trailing: false,
  decimalComma: false,
};

/**
 * `detectTrace` of a table written in `f`; undefined where it is a TraceError as documented (decimal commas
 * that may be thousands separators).
 */
export function readTable(text: string, f: Format): DetectedTrace | undefined {
  const file = fileOf(f);
  if (f.decimalComma && unreadable(text)) {
    expect(() => detectTrace(text, file)).toThrow(TraceError);
    return undefined;
  }
  return detectTrace(text, file);
}

/** A time form: numeric offsets (from a lead of minutes before the trace), epoch, ISO-8601 or another date-time. */
const formArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 500_000 }), fc.nat({ max: 1000 })).map(([lead, pick]) => (start: number) => {
    const forms = offsetForms(start - lead * 60_000);
    return forms[pick % forms.length]!;
  }),
  fc.constantFrom(...EPOCH_FORMS, ...ISO_FORMS, ...DATE_TIME_FORMS).map((form) => (_start: number) => form),
);

/** A demand table or log as written: its text, format and time form, and what it should read as. */
export interface Written {
  text: string;
  format: Format;
  form: TimeForm;
  /** Requests in each minute from the first minute. */
  counts: number[];
  /** Epoch ms of the first minute. */
  start: number;
  /** Whether the rows are out of time order. */
  shuffled: boolean;
  /** Whether the text dates the trace (its times, or a `t_start_utc` column beside offsets). */
  dated: boolean;
}

/** `header` and `rows` with the columns in an order from `keys`, as text in format `f`. */
const written = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  keys: readonly number[],
  f: Format,
) => {
  const order = reorder([...header.keys()], keys);
  return table(
    order.map((i) => header[i]!),
    rows.map((r) => order.map((i) => r[i]!)),
    f,
  );
};

/**
 * A per-minute series as a table of one row per minute: its time in any form, its demand as a count or a
 * rate under any name the detection knows, extra columns, columns and rows in any order (rows in time order
 * for times of day alone: they are read as offsets from the first).
 */
export const tableCase: fc.Arbitrary<Written> = fc
  .record({
    counts: countsArb,
    start: startArb,
    formOf: formArb,
    demand: fc.constantFrom(...DEMAND),
    columns: columnsArb,
    format: formatArb(true),
    shuffle: fc.option(fc.array(fc.nat(), { minLength: 24, maxLength: 24 }), { nil: undefined }),
    tStart: fc.boolean(),
  })
  .map((c) => ({ ...c, form: c.formOf(c.start) }))
  .filter((c) => fits(c.form, c.format) && (c.form.accepts?.(c.start) ?? true))
  .map(({ counts, start, form, demand: [demand, write], columns, format, shuffle, tStart }) => {
    const order = form.clockAlone ? undefined : shuffle;
    // Beside numeric offsets, the UTC time of each row (the Azure 2023 traces' `t_start_utc`) dates the trace.
    const dating = tStart && !form.dated && !form.clockAlone;
    const extras = [
      ...columns.extras.map((i) => EXTRAS[i]!),
      ...(dating
        ? [['t_start_utc', (k: number) => new Date(start + k * 60_000).toISOString().slice(0, 19)] as const]
        : []),
    ];
    // A clock over columns is read only from text without quoted fields (`withClockColumns`).
    const commas = quotable(format) && !form.plain;
    const rows = counts.map((c, k) => [
      ...form.cells(start + k * 60_000),
      write(c),
      ...extras.map(([, cell]) => cell(k, commas)),
    ]);
    const text = written(
      [...form.header, demand, ...extras.map(([n]) => n)],
      order ? reorder(rows, order) : rows,
      columns.order,
      format,
    );
    return { text, format, form, counts, start, shuffled: order !== undefined, dated: form.dated || dating };
  });

/**
 * A per-minute series as a log of one row per request, at random ms within each minute: its time in any form,
 * extra columns (none a demand), columns and rows in any order (rows in time order for times of day alone).
 */
export const logCase: fc.Arbitrary<Written> = fc
  .record({
    log: perMinuteLog,
    start: startArb,
    formOf: formArb,
    columns: columnsArb,
    format: formatArb(true),
    shuffle: fc.boolean(),
  })
  .map((c) => ({ ...c, form: c.formOf(c.start) }))
  .filter((c) => fits(c.form, c.format) && (c.form.accepts?.(c.start) ?? true))
  .map(({ log, start, form, columns, format, shuffle }) => {
    const extras = columns.extras.map((i) => EXTRAS[i]!);
    const commas = quotable(format) && !form.plain;
    const times = log.times.map((ms) => start + ms + (form.inexact && ms % 60_000 === 0 ? 1 : 0));
    const rows = times.map((ms, i) => [...form.cells(ms), ...extras.map(([, cell]) => cell(i, commas))]);
    const shuffled = shuffle && !form.clockAlone;
    const text = written(
      [...form.header, ...extras.map(([n]) => n)],
      shuffled ? reorder(rows, log.order) : rows,
      columns.order,
      format,
    );
    return { text, format, form, counts: log.counts, start, shuffled, dated: form.dated };
  });
