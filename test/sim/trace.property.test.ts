/**
 * Properties of reading demand traces whose layout is not known in advance (local/sim/trace-detect.ts,
 * trace-time.ts, trace.ts): one random per-minute demand series, written in each layout the file comments
 * promise (a per-interval table with its time as numeric offsets in the unit its name says, epoch numbers,
 * ISO-8601 with and without a zone, or a date-time form trace-time.ts reads; its demand as a count, a rate
 * per second or per minute; a log of one row per request; JSON lines and JSON; a column per minute; numbered
 * source columns; a row per source and time), in CSV, TSV or with semicolons, LF or CRLF, with or without a
 * BOM, quoted fields, extra columns, blank lines and rows out of order, reads back as the same per-minute
 * demand. What cannot be read is a `TraceError` naming the file, never another exception; rescaling to a peak
 * gives that peak; the partial edges go as `withoutPartialEdges` says. `PROP_RUNS` sets the runs per property
 * (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DetectedTrace, detectTrace, withoutPartialEdges } from '../../local/sim/trace-detect.ts';
import { parseDateTime } from '../../local/sim/trace-time.ts';
import {
  offeredRequests,
  parseIsoTime,
  peakStepRps,
  scaleTrace,
  TraceError,
  traceOfSeries,
} from '../../local/sim/trace.ts';
import {
  close,
  DATE_TIME_FORMS,
  countsArb,
  expectOrigin,
  expectPerMinute,
  expectWellFormed,
  FMT,
  formatArb,
  ISO_FORMS,
  logCase,
  perMinuteLog,
  readTable,
  reorder,
  startArb,
  table,
  tableCase,
} from './trace-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };

describe('a per-minute demand series written in any layout reads back as the same demand', () => {
  it('a table of one row per minute: time in any form, demand as a count or a rate, extra columns, any order', () => {
    fc.assert(
      fc.property(tableCase, ({ text, format, form, counts, start, shuffled, dated }) => {
        const d = readTable(text, format);
        if (!d) return;
        expectPerMinute(d, counts);
        // Rows out of order are summed per time: dated by their times only, as the first row no longer is t = 0.
        if (form.dated || (dated && !shuffled)) expectOrigin(d, start);
        else if (!dated) expect(d.originMs).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('a log of one row per request: counted per clock minute from the first request to the last', () => {
    fc.assert(
      fc.property(logCase, ({ text, format, form, counts, start }) => {
        const d = readTable(text, format);
        if (!d) return;
        if (form.clockAlone) {
          // Minutes from the first request's time, not the clock's: every request, none twice.
          const all = counts.reduce((x, y) => x + y, 0);
          close(offeredRequests(d.trace, 0, d.trace.durationSeconds), all, 'requests');
          return;
        }
        expectPerMinute(d, counts);
        if (form.dated) expectOrigin(d, start);
        else expect(d.originMs).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('JSON lines and JSON: a record per request (Mooncake) or per minute, with text, lists and objects beside', () => {
    fc.assert(
      fc.property(
        perMinuteLog,
        startArb,
        fc.constantFrom('offsets ms', 'epoch s', 'epoch ms', 'epoch us', 'ISO'),
        fc.constantFrom('timestamp', 'time', 'arrival_time', 'ts'),
        fc.constantFrom('jsonl', 'json', 'wrapped json'),
        fc.record({ perMinute: fc.boolean(), shuffle: fc.boolean(), bom: fc.boolean(), timeLast: fc.boolean() }),
        fc.constantFrom('\n', '\r\n'),
        // A prompt's text: commas, quotes, line ends and all.
        fc.string({
          unit: fc.constantFrom('a', ' ', ',', '"', '\n', '\r\n', '\t', 'é', '😀', '{', ']'),
          maxLength: 12,
        }),
        (log, start, timeKind, key, kind, { perMinute, shuffle, bom, timeLast }, eol, prompt) => {
          const time = (ms: number): string | number =>
            timeKind === 'offsets ms'
              ? ms - start
              : timeKind === 'epoch s'
                ? ms / 1000
                : timeKind === 'epoch ms'
                  ? ms
                  : timeKind === 'epoch us'
                    ? ms * 1000
                    : new Date(ms).toISOString();
          const record = (ms: number, rest: Record<string, unknown>) =>
            timeLast ? { ...rest, [key]: time(ms) } : { [key]: time(ms), ...rest };
          const records: ReadonlyArray<Record<string, unknown>> = perMinute
            ? log.counts.map((c, k) => record(start + k * 60_000, { model: 'm', requests: c }))
            : log.times.map((ms, i) =>
                record(start + ms, {
                  input_length: 100 + i,
                  prompt,
                  hash_ids: [i, i + 1],
                  meta: { gpu: 'a100', ok: true },
                  output_length: 7,
                }),
              );
          const ordered = shuffle ? reorder(records, log.order) : records;
          // A BOM before JSON lines; not before a JSON document, which jsonAsCsv refuses (a known gap).
          const text =
            kind === 'jsonl'
              ? `${bom ? '\ufeff' : ''}${ordered.map((r) => JSON.stringify(r)).join(eol)}${eol}`
              : JSON.stringify(
                  kind === 'json' ? ordered : { model: 'x', requests: ordered },
                  null,
                  eol === '\n' ? 0 : 2,
                );
          const d = detectTrace(text, kind === 'jsonl' ? 'trace.jsonl' : 'trace.json');
          expectPerMinute(d, log.counts);
          if (timeKind !== 'offsets ms') expectOrigin(d, start);
        },
      ),
      RUNS,
    );
  });

  it('a column per minute (Azure Functions), numbered columns beside a time (Huawei), a row per source and time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat({ max: 9 }), { minLength: 60, maxLength: 90 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('wide from 1', 'wide from 0', 'huawei', 'long'),
        formatArb(false),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        (sources, layout, f, order, empties) => {
          const n = Math.min(...sources.map((s) => s.length));
          const perSource = sources.map((s) => s.slice(0, n));
          const counts = Array.from({ length: n }, (_, k) => perSource.reduce((sum, s) => sum + s[k]!, 0));
          const cell = (x: number) => (empties && x === 0 ? '' : String(x));
          let header: string[];
          let rows: string[][];
          if (layout === 'wide from 1' || layout === 'wide from 0') {
            const from = layout === 'wide from 1' ? 1 : 0;
            header = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...counts.map((_, k) => String(k + from))];
            rows = perSource.map((s, i) => [`o${i}`, `a${i}`, `f${i}`, 'http', ...s.map(cell)]);
          } else if (layout === 'huawei') {
            // Two sources at least: numbered columns are sources from two on.
            const cols = perSource.length >= 2 ? perSource : [...perSource, perSource[0]!.map(() => 0)];
            header = ['day', 'time', ...cols.map((_, i) => String(i))];
            rows = counts.map((_, k) => ['0', String(k * 60), ...cols.map((s) => cell(s[k]!))]);
          } else {
            header = ['function_id', 'timestamp', 'requests'];
            rows = reorder(
              perSource.flatMap((s, i) => s.map((x, k) => [String(7 + i), String(k * 60), String(x)])),
              order,
            );
          }
          const d = readTable(table(header, rows, f), f);
          if (d) expectPerMinute(d, counts);
        },
      ),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });
});

describe('the date-time forms trace-time.ts reads', () => {
  it('read back as the time written (to the precision of the form)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }),
        fc.constantFrom(...DATE_TIME_FORMS.filter((f) => f.header.length === 1 && !f.clockAlone)),
        (ms, form) => {
          fc.pre(form.accepts?.(ms) ?? true);
          const [text] = form.cells(ms);
          const order = /^\d{2}[./-]\d{2}[./-]\d{4}/.test(text!) && form.label.startsWith('day') ? 'dmy' : 'mdy';
          const read = parseDateTime(text!, order);
          expect(read).toBeDefined();
          // Forms with seconds keep them; those without keep the minute; only the dotted one keeps ms.
          const precision = /\d:\d{2}:\d{2}\.\d/.test(text!) ? 1 : /\d:\d{2}:\d{2}/.test(text!) ? 1000 : 60_000;
          expect(read).toBe(Math.floor(ms / precision) * precision);
        },
      ),
      RUNS,
    );
  });

  it('ISO-8601 with and without a zone reads back as the time written', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }),
        fc.constantFrom(...ISO_FORMS),
        (ms, form) => {
          const text = form.cells(ms)[0]!;
          const precision = text.length === 16 ? 60_000 : /\.\d/.test(text) ? 1 : 1000;
          expect(parseIsoTime(text)).toBe(Math.floor(ms / precision) * precision);
        },
      ),
      RUNS,
    );
  });
});

describe('other intervals than a minute', () => {
  /** Dates alone, as spreadsheets and databases write a day (`withReadableTimes` reads them as midnight UTC). */
  const DAY_FORMS: ReadonlyArray<readonly [label: string, write: (ms: number) => string, rows?: number]> = [
    ['ISO', (ms) => new Date(ms).toISOString().slice(0, 10)],
    ['year first, slashes', (ms) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/')],
    ['month first', (ms) => new Date(ms).toLocaleDateString('en-US', { timeZone: 'UTC' })],
    // Day first with slashes is told from month first by its numbers over 12, or by its days running closer
    // together: from two rows on.
    ['day first', (ms) => new Date(ms).toLocaleDateString('en-GB', { timeZone: 'UTC' }), 2],
    [
      'day first, dots',
      (ms) =>
        new Date(ms).toLocaleDateString('de-DE', {
          timeZone: 'UTC',
          day: '2-digit',
          month: '2-digit',
          year: 'numeric',
        }),
    ],
    ['day, month name', (ms) => new Date(ms).toUTCString().slice(5, 16)],
    ['month name first', (ms) => new Date(ms).toLocaleDateString('en-US', { timeZone: 'UTC', dateStyle: 'medium' })],
  ];

  it('a table of one row per day, its date in any form: each day its count over 86,400 s, dated', () => {
    fc.assert(
      fc.property(
        // Two rows at least: a single row's interval is a minute (`traceOfSeries`), there being none before it.
        fc.array(fc.nat({ max: 1e6 }), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 7305, max: 24_000 }).map((d) => d * 86_400_000),
        fc.constantFrom(...DAY_FORMS),
        fc.constantFrom('date', 'Date', 'day_date', 'datetime'),
        (counts, start, [, write, rows], name) => {
          fc.pre(counts.length >= (rows ?? 1));
          const text = table(
            [name, 'requests'],
            counts.map((c, k) => [write(start + k * 86_400_000), String(c)]),
            FMT,
          );
          const d = detectTrace(text, 'daily.csv');
          expect(d.trace.points.map((p) => p.t)).toEqual(counts.map((_, k) => k * 86_400));
          for (const [k, p] of d.trace.points.entries()) close(p.rps * 86_400, counts[k]!, `day ${k}`);
          expect(d.trace.durationSeconds).toBe(counts.length * 86_400);
          expect(d.originMs).toBe(start);
        },
      ),
      RUNS,
    );
  });

  it('rows at any times: each count over its interval up to the next row, the last as long as the one before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 7200 }), fc.nat({ max: 1000 })), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('offset_s', 'offset_ms', 'timestamp'),
        (rows, name) => {
          let at = 0;
          const times = rows.map(([gap]) => {
            at += gap;
            return at;
          });
          const scale = name === 'offset_ms' ? 1000 : 1;
          const text = table(
            [name, 'requests'],
            rows.map(([, c], i) => [String(times[i]! * scale), String(c)]),
            FMT,
          );
          const d = detectTrace(text, 'irregular.csv');
          const gaps = times.slice(1).map((t, i) => t - times[i]!);
          const last = gaps[gaps.length - 1] ?? 60;
          expect(d.trace.points.map((p) => p.t)).toEqual(times.map((t) => t - times[0]!));
          expect(d.trace.durationSeconds).toBe(times[times.length - 1]! - times[0]! + last);
          // Every request counted once over the whole trace.
          const total = rows.reduce((sum, [, c]) => sum + c, 0);
          close(offeredRequests(d.trace, 0, d.trace.durationSeconds), total, 'requests');
          for (const [i, p] of d.trace.points.entries()) close(p.rps * (gaps[i] ?? last), rows[i]![1], `row ${i}`);
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Rescaling and the partial edges

describe('rescaling to a peak and cutting the partial edges', () => {
  /** A trace of random rows: per second, per minute or per 432 s, counts or rates. */
  const traceArb = fc
    .record({
      step: fc.constantFrom(1, 10, 60, 432, 3600),
      values: fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 200 }),
      unit: fc.constantFrom('count' as const, 'rps' as const, 'rpm' as const),
    })
    .map(({ step, values, unit }) =>
      traceOfSeries(
        values.map((_, i) => i * step),
        values,
        unit,
        'x.csv',
      ),
    );

  it('a trace rescaled to a peak has that peak over 60 s steps (--peak-rps)', () => {
    fc.assert(
      fc.property(traceArb, fc.double({ min: 0.01, max: 1e5, noNaN: true }), (trace, peak) => {
        const before = peakStepRps(trace, 60);
        fc.pre(before > 0);
        const scaled = scaleTrace(trace, peak / before);
        close(peakStepRps(scaled, 60), peak, 'peak after rescaling');
        // The shape stays: every rate by the same factor.
        for (const [i, p] of scaled.points.entries()) close(p.rps, (trace.points[i]!.rps * peak) / before, `rate ${i}`);
      }),
      RUNS,
    );
  });

  it("a per-minute trace's peak over 60 s steps is its busiest minute", () => {
    fc.assert(
      fc.property(countsArb, (counts) => {
        const d = detectTrace(
          table(
            ['offset_s', 'requests'],
            counts.map((c, k) => [String(60 * k), String(c)]),
            FMT,
          ),
          'm.csv',
        );
        close(peakStepRps(d.trace, 60), Math.max(...counts) / 60, 'peak');
        close(
          offeredRequests(d.trace, 0, d.trace.durationSeconds),
          counts.reduce((a, b) => a + b, 0),
          'requests',
        );
      }),
      RUNS,
    );
  });

  it("a log's first and last minute go, and its date moves with them, when five minutes or more hold a request between", () => {
    fc.assert(
      fc.property(logCase, ({ text, format, form, counts, start }) => {
        fc.pre(!form.clockAlone);
        const d = readTable(text, format);
        if (!d) return;
        const cut = withoutPartialEdges(d);
        if (counts.length >= 5 && counts.slice(1, -1).some((c) => c > 0)) {
          expectPerMinute(cut, counts.slice(1, -1));
          if (form.dated) expectOrigin(cut, start + 60_000);
          expect(cut.cut).toMatch(/first and last interval/);
        } else expect(cut).toBe(d);
      }),
      RUNS,
    );
  });

  it('withoutPartialEdges: rows of 0 within the first and last minute go, then the first and last interval', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 5, 60),
        fc.nat({ max: 130 }),
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 130 }),
        fc.option(startArb, { nil: undefined }),
        (step, zerosBefore, middle, zerosAfter, origin) => {
          const core = [1 + middle[0]!, ...middle.slice(1, -1), 1 + middle[middle.length - 1]!].slice(
            0,
            Math.max(1, middle.length),
          );
          const lead = Math.floor(zerosBefore / step);
          const tail = Math.floor(zerosAfter / step);
          const values = [...Array<number>(lead).fill(0), ...core, ...Array<number>(tail).fill(0)];
          const trace = traceOfSeries(
            values.map((_, i) => i * step),
            values,
            'count',
            'x.csv',
          );
          const d: DetectedTrace = { trace, layout: 'x', ...(origin !== undefined ? { originMs: origin } : {}) };
          const cut = withoutPartialEdges(d);
          // The model (the function's comment): zeros lying within the first or last minute are padding.
          let first = lead * step < 60 ? lead : 0;
          let last = values.length - 1 - (tail * step < 60 ? tail : 0);
          const zeros = first > 0 || last < values.length - 1;
          const edges = last - first + 1 >= 5 && values.slice(first + 1, last).some((v) => v > 0);
          if (edges) {
            first++;
            last--;
          }
          if (!zeros && !edges) {
            expect(cut).toBe(d);
            return;
          }
          const from = first * step;
          expect(cut.trace.points.map((p) => p.t)).toEqual(values.slice(first, last + 1).map((_, i) => i * step));
          expect(cut.trace.points.map((p) => p.rps)).toEqual(values.slice(first, last + 1).map((v) => v / step));
          expect(cut.trace.durationSeconds).toBe((last - first + 1) * step);
          expect(cut.originMs).toBe(origin === undefined ? undefined : origin + from * 1000);
          expect(cut.cut).toBeDefined();
          expectWellFormed(cut.trace);
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Robustness: what cannot be read is a TraceError naming the file

describe('any text is a well-formed trace or a TraceError naming the file', () => {
  const HEADERS = [
    'offset_s',
    'offset_ms',
    'offset_min',
    'timestamp',
    'time',
    'date',
    'hour',
    'minute',
    't_start_utc',
    'requests',
    'rps',
    'rpm',
    'count',
    'total_requests',
    'model',
    'tokens',
    '0',
    '1',
    '2',
    'x',
    '',
    ' ',
  ];
  const CELLS = [
    '0',
    '1',
    '60',
    '-5',
    '1.5',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    '',
    ' ',
    'abc',
    '2023-11-16T18:15:46Z',
    '2023-11-16 18:16:00',
    '2023-11-16',
    '2023-02-30T00:00:00',
    '11/16/2023 6:15 PM',
    '16.11.2023 18:15',
    '13/13/2023',
    '18:15',
    '25:61',
    '12:00 PM',
    'Nov 16, 2023',
    '"',
    '""',
    '"a,b"',
    'a"b',
    '\t',
    ';',
    '1,5',
  ];
  const line = fc
    .array(fc.constantFrom(...CELLS), { maxLength: 5 })
    .chain((cells) => fc.constantFrom(',', '\t', ';').map((sep) => cells.join(sep)));
  const text = fc.record({
    header: fc
      .array(fc.constantFrom(...HEADERS), { minLength: 0, maxLength: 5 })
      .chain((h) => fc.constantFrom(',', '\t', ';').map((sep) => h.join(sep))),
    rows: fc.array(line, { maxLength: 8 }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
  });
  const file = fc.constantFrom('f.csv', 'f.tsv', 'f.jsonl', 'f.json', 'f.csv.gz');

  it('CSV-like text', () => {
    fc.assert(
      fc.property(text, file, ({ header, rows, eol, bom }, name) => {
        readOrTraceError(`${bom ? '\ufeff' : ''}${[header, ...rows].join(eol)}`, name);
      }),
      RUNS,
    );
  });

  it('a header it knows above rows of random characters', () => {
    // Cells of five characters at most, no exponent: a log's numbers then span a bounded number of minutes.
    const chars = fc.constantFrom(...'0123456789-:.T Z,;"\t\r\nAPM/x');
    fc.assert(
      fc.property(
        text,
        fc.array(fc.string({ unit: chars, maxLength: 5 }), { maxLength: 30 }),
        file,
        ({ header, eol }, cells, name) => {
          // Any character may be a separator or a line end; a run of digits stays a short one.
          const body = cells.join('').replace(/\d{6,}/g, (d) => d.slice(0, 5));
          readOrTraceError(`${header}${eol}${body}`, name);
        },
      ),
      RUNS,
    );
  });

  it('JSON-like text', () => {
    const scalar = fc.oneof(
      fc.constantFrom(...CELLS),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.constant(null),
      fc.boolean(),
    );
    const record = fc.dictionary(fc.constantFrom(...HEADERS), scalar, { maxKeys: 4 });
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 6 }),
        fc.constantFrom('jsonl', 'json', 'wrapped'),
        fc.constantFrom('f.jsonl', 'f.json'),
        (records, kind, name) => {
          const body =
            kind === 'jsonl'
              ? records.map((r) => JSON.stringify(r)).join('\n')
              : JSON.stringify(kind === 'json' ? records : { data: records });
          readOrTraceError(body, name);
        },
      ),
      RUNS,
    );
  });
});

/** `detectTrace` of a text gives a well-formed trace, or throws a `TraceError` naming the file. */
function readOrTraceError(body: string, file: string): void {
  let d: DetectedTrace;
  try {
    d = detectTrace(body, file);
  } catch (e) {
    if (!(e instanceof TraceError)) throw new Error(`not a TraceError: ${String(e)}`, { cause: e });
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}`)).toBe(true);
    return;
  }
  expectWellFormed(d.trace);
  if (d.originMs !== undefined) expect(Number.isFinite(d.originMs)).toBe(true);
}
