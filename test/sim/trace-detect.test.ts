/** Demand trace CSVs of layouts not known in advance (local/sim/trace-detect.ts): what the benchmark finds. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  detectColumns,
  detectTrace,
  detectTraceCsv,
  loadTraceArg,
  readDetectedTrace,
  withoutPartialEdges,
} from '../../local/sim/trace-detect.ts';
import { TraceError } from '../../local/sim/trace.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('detectTraceCsv', () => {
  it("reads the 2023 traces' layout: offsets in seconds, requests per row, dated by t_start_utc", () => {
    const d = detectTraceCsv(
      csv(
        't_start_utc,offset_s,requests,context_tokens,generated_tokens',
        '2023-11-16T18:17:00,0,60,1,1',
        '2023-11-16T18:18:00,60,120,1,1',
        '2023-11-16T18:19:00,120,30,1,1',
      ),
      'a.csv',
    );
    expect(d.trace.points).toEqual([
      { t: 0, rps: 1 },
      { t: 60, rps: 2 },
      { t: 120, rps: 0.5 },
    ]);
    expect(d.originMs).toBe(Date.parse('2023-11-16T18:17:00Z'));
    expect(d.layout).toBe('offset_s (s) x requests (requests per row)');
  });

  it("reads the 2024 traces' layout: offsets in minutes, the middle of a digitized requests-per-minute band", () => {
    const d = detectTraceCsv(
      csv(
        't_approx_utc,offset_min,rpm_low,rpm_high,rpm_mid',
        '2024-05-10T00:07,7.2,100,140,120',
        '2024-05-10T00:14,14.4,40,80,60',
      ),
      'b.csv',
    );
    expect(d.trace.points.map((p) => [p.t, p.rps])).toEqual([
      [0, 2],
      [432, 1],
    ]);
    expect(d.trace.stepSeconds).toBeCloseTo(432, 9);
    expect(d.originMs).toBe(Date.parse('2024-05-10T00:07:00Z'));
  });

  it('reads ISO times with a rate per second, in any case of header', () => {
    const d = detectTraceCsv(csv('Time,QPS', '2025-01-01T00:00:00Z,5', '2025-01-01T00:01:00Z,7'), 'c.csv');
    expect(d.trace.points.map((p) => p.rps)).toEqual([5, 7]);
    expect(d.originMs).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(d.layout).toBe('Time (ISO-8601) x QPS (rps)');
  });

  it('counts a log of requests (one row per request, no demand column) per minute from the first minute', () => {
    const d = detectTraceCsv(
      csv(
        'TIMESTAMP,ContextTokens,GeneratedTokens',
        '2023-11-16 18:00:10.5,10,1',
        '2023-11-16 18:00:59.9,10,1',
        '2023-11-16 18:02:00,10,1',
      ),
      'log.csv',
    );
    expect(d.trace.points).toEqual([
      { t: 0, rps: 2 / 60 },
      { t: 60, rps: 0 },
      { t: 120, rps: 1 / 60 },
    ]);
    expect(d.trace.durationSeconds).toBe(180);
    expect(d.originMs).toBe(Date.parse('2023-11-16T18:00:00Z'));
    expect(d.layout).toContain('one request per row');
  });

  it('takes numeric log times in the unit their name says (milliseconds here), unsorted', () => {
    const d = detectTraceCsv(csv('arrival_time_ms,model', '125000,a', '1000,b', '61000,a'), 'ms.csv');
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([1, 1, 1]);
    expect(d.originMs).toBeUndefined();
  });

  it('sums a column per minute over the rows (the Azure Functions layout: one row per function)', () => {
    const minutes = Array.from({ length: 1440 }, (_, k) => String(k + 1));
    const row = (id: string, f: (k: number) => number) => [id, 'http', ...minutes.map((_, k) => f(k))].join(',');
    const d = detectTraceCsv(
      csv(
        ['HashFunction', 'Trigger', ...minutes].join(','),
        row('a', (k) => k % 2),
        row('b', () => 3),
      ),
      'd01.csv',
    );
    expect(d.trace.durationSeconds).toBe(86_400);
    expect(d.trace.points.slice(0, 3)).toEqual([
      { t: 0, rps: 3 / 60 },
      { t: 60, rps: 4 / 60 },
      { t: 120, rps: 3 / 60 },
    ]);
    expect(d.layout).toBe('a column per minute (1440), requests summed over every row');
    expect(() =>
      detectTraceCsv(csv(['f', ...minutes].join(','), ['a', ...minutes.map(() => '-1')].join(',')), 'w.csv'),
    ).toThrow(/w\.csv \(line 2, column '1'\): expected a count >= 0, got '-1'/);
  });

  it('sums the rows that share a time: a row per source and time (function, timestamp, requests)', () => {
    const d = detectTraceCsv(
      csv('function_id,timestamp,requests', '7,0,30', '9,0,30', '7,60,120', '9,120,15', '7,120,15'),
      'long.csv',
    );
    expect(d.trace.points).toEqual([
      { t: 0, rps: 1 },
      { t: 60, rps: 2 },
      { t: 120, rps: 0.5 },
    ]);
    expect(d.layout).toBe('timestamp (s) x requests (requests per row), summed over the rows of each time');
  });

  it('sums numbered columns beside a time column as sources (a function each), not as minutes', () => {
    const functions = Array.from({ length: 80 }, (_, i) => String(i));
    const row = (t: number, each: number) => [0, t, ...functions.map(() => each)].join(',');
    const d = detectTraceCsv(csv(['day', 'time', ...functions].join(','), row(0, 1), row(60, 2)), 'huawei.csv');
    expect(d.trace.points).toEqual([
      { t: 0, rps: 80 / 60 },
      { t: 60, rps: 160 / 60 },
    ]);
    expect(d.layout).toBe('time (s) x 80 numbered columns (requests per row, summed)');
  });

  it('reads JSON lines as the CSV of their scalar fields: a Mooncake trace, its timestamp in milliseconds', () => {
    const d = detectTrace(
      [
        '{"timestamp": 0, "input_length": 6755, "output_length": 500, "hash_ids": [0, 1, 2]}',
        '{"timestamp": 0, "input_length": 7319, "output_length": 490, "hash_ids": [0, 14]}',
        '{"timestamp": 3052, "input_length": 7234, "output_length": 794, "hash_ids": [0, 28]}',
        '{"timestamp": 61000, "input_length": 2287, "output_length": 316, "hash_ids": [0, 42]}',
        '',
      ].join('\n'),
      'mooncake/conversation_trace.jsonl',
    );
    expect(d.trace.points).toEqual([
      { t: 0, rps: 3 / 60 },
      { t: 60, rps: 1 / 60 },
    ]);
    expect(d.layout).toBe('JSON lines: timestamp (ms), one request per row, counted per minute');
    expect(() => detectTrace('{"timestamp": 1}\nnot json\n', 'x.jsonl')).toThrow(
      /x\.jsonl \(line 2\): expected a JSON object per line/,
    );
  });

  it('dates a trace whose numeric times are epoch times', () => {
    const d = detectTraceCsv(csv('ts,requests', '1700000000,60', '1700000060,120'), 'epoch.csv');
    expect(d.originMs).toBe(1_700_000_000_000);
    expect(d.trace.points.map((p) => p.t)).toEqual([0, 60]);
    // A log's t = 0 is its first request's minute (1,700,000,040 s is a whole minute).
    const log = detectTraceCsv(csv('timestamp_ms', '1700000050000', '1700000110000'), 'epoch-log.csv');
    expect(log.originMs).toBe(1_700_000_040_000);
    expect(log.trace.points.map((p) => p.rps * 60)).toEqual([1, 1]);
  });

  it('says which file and why when no column is time, and where a row is not a time', () => {
    expect(() => detectTraceCsv(csv('name,comment', 'a,b'), 'notes.csv')).toThrow(
      /notes\.csv: no time column in the header \(columns: name, comment/,
    );
    expect(() => detectTraceCsv(csv('timestamp', '2023-11-16T18:00:00', 'soon'), 'bad.csv')).toThrowError(
      new TraceError('bad.csv', "expected an ISO-8601 timestamp, got 'soon'", { line: 3, column: 'timestamp' }),
    );
    expect(() => detectTraceCsv('offset_s,requests\n', 'empty.csv')).toThrow(/empty\.csv: expected a header row/);
  });
});

describe('numeric times whose column names no unit', () => {
  it('reads epoch milliseconds, microseconds and nanoseconds by their size, not as seconds', () => {
    const at = Date.UTC(2024, 4, 10, 0, 0, 0);
    for (const [scale, unit] of [
      [1e-3, 's'],
      [1, 'ms'],
      [1e3, 'us'],
      [1e6, 'ns'],
    ] as const) {
      // A log: requests at 0 s, 30 s and 90 s after 2024-05-10 00:00 UTC, in the unit's epoch numbers.
      const rows = [0, 30_000, 90_000].map((ms) => `${(at + ms) * scale},x`);
      const d = detectTraceCsv(csv('timestamp,model', ...rows), 'e.csv');
      expect(d.layout).toBe(`timestamp (${unit}), one request per row, counted per minute`);
      expect(d.originMs).toBe(at);
      expect(d.trace.points.map((p) => p.rps * 60)).toEqual([2, 1]);
    }
    // Offsets from a trace's start stay seconds, and a name's unit wins over the size.
    expect(detectTraceCsv(csv('timestamp,model', '0,x', '61,x'), 'o.csv').trace.durationSeconds).toBe(120);
    expect(detectTraceCsv(csv('time_s,model', `${at / 1000},x`), 'n.csv').originMs).toBe(at);
  });
});

describe('withoutPartialEdges: a trace from its first request to its last, without its partial edges', () => {
  const iso = (s: number) => new Date(Date.UTC(2023, 10, 16, 18, 15, s)).toISOString();
  /** Per-minute rows (offset_s, requests) from 18:15:00. */
  const minutes = (...counts: number[]) =>
    detectTrace(
      csv('t_start_utc,offset_s,requests', ...counts.map((n, m) => `${iso(m * 60).slice(0, 19)},${m * 60},${n}`)),
      'm.csv',
    );

  it("drops the first and last minute of a log counted per clock minute, and moves the trace's date with them", () => {
    // A log whose first request is at 18:15:46: its first minute holds 14 s of requests, its last (18:21) 10 s.
    const times = [46, 50, 55, ...Array.from({ length: 5 * 30 }, (_, i) => 60 + 2 * i), 360, 365];
    const d = withoutPartialEdges(detectTrace(csv('TIMESTAMP,tokens', ...times.map((s) => `${iso(s)},1`)), 'log.csv'));
    expect(d.trace.points).toEqual([0, 60, 120, 180, 240].map((t) => ({ t, rps: 0.5 })));
    expect(d.trace.durationSeconds).toBe(300);
    expect(d.originMs).toBe(Date.parse('2023-11-16T18:16:00Z'));
    expect(d.cut).toBe(
      'without its first and last interval, which may cover part of their time: 5 min of 7 min, from 60 s',
    );
    expect(d.layout).toMatch(/one request per row, counted per minute; without its first and last interval/);
  });

  it('drops rows of 0 within the first and the last minute (padding), then the edge rows', () => {
    // Per second: 46 rows of 0 before the first request, 3 after the last.
    const rows = [...Array(46).fill(0), 1, ...Array(100).fill(2), 1, 0, 0, 0];
    const d = withoutPartialEdges(detectTrace(csv('offset_s,requests', ...rows.map((n, s) => `${s},${n}`)), 's.csv'));
    expect(d.trace.points.length).toBe(100);
    expect(d.trace.points.every((p) => p.rps === 2)).toBe(true);
    expect(d.trace.durationSeconds).toBe(100);
    expect(d.cut).toBe(
      'without 49 row(s) of 0 at its ends and its first and last interval, which may cover part of their time: 100 s of 151 s, from 47 s',
    );
  });

  it('keeps a quiet spell longer than a minute: it is demand, not padding', () => {
    const d = withoutPartialEdges(minutes(0, 0, 5, 60, 60, 60, 60, 9));
    // Only the edge rows go: the 0 of 18:15 and the 9 of 18:22.
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([0, 5, 60, 60, 60, 60]);
    expect(d.originMs).toBe(Date.parse('2023-11-16T18:16:00Z'));
  });

  it('changes nothing with fewer than five intervals, no request between the edges, or no request at all', () => {
    for (const d of [minutes(5, 60, 60, 9), minutes(5, 0, 0, 0, 0, 9), minutes(0, 0, 0, 0, 0, 0)]) {
      const same = withoutPartialEdges(d);
      expect(same).toBe(d);
      expect(same.cut).toBeUndefined();
    }
  });
});

describe('readDetectedTrace: a log of requests read a line at a time, files of any size', () => {
  const inDir = async (files: Record<string, string | Buffer>, run: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-read-'));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  // Out of order on purpose, with a blank line: counted per clock minute all the same.
  const iso = [46, 50, 200, 61, 62, 125, 0.5 + 3 * 60].map(
    (s) =>
      `${new Date(Date.UTC(2023, 10, 16, 18, 15, 0, s * 1000)).toISOString().replace('T', ' ').replace('Z', '')},7,1`,
  );
  const isoLog = csv('TIMESTAMP,ContextTokens,GeneratedTokens', ...iso.slice(0, 3), '', ...iso.slice(3));
  const numericLog = csv('Timestamp,Model,Request tokens', ...[5.5, 0.2, 61, 130, 1e-3].map((t) => `${t},m,1`));
  // A query log: its `query` column is text, not a count.
  const queryLog = csv('time,query', '2024-01-01T00:00:05,select 1', '2024-01-01T00:01:10,select 2');
  const tabLog = 'timestamp\tmodel\n2024-01-01T00:00:05\tm\n2024-01-01T00:01:10\tm\n2024-01-01T00:01:20\tm\n';

  it('gives what detectTrace gives on the whole text: ISO and numeric times, plain and gzipped', async () => {
    await inDir(
      {
        'a.csv': isoLog,
        'b.csv': numericLog,
        'a.csv.gz': gzipSync(isoLog),
        'c.csv': '\ufeff' + numericLog,
        'q.csv': queryLog,
        't.tsv': tabLog,
      },
      async (dir) => {
        for (const [name, text] of [
          ['a.csv', isoLog],
          ['b.csv', numericLog],
          ['a.csv.gz', isoLog],
          ['c.csv', numericLog],
          ['q.csv', queryLog],
          ['t.tsv', tabLog],
        ] as const) {
          const read = await readDetectedTrace(path.join(dir, name), name);
          const whole = detectTrace(text, name);
          expect({ ...read, trace: { ...read.trace } }).toEqual({ ...whole, trace: { ...whole.trace, source: name } });
        }
        const a = await readDetectedTrace(path.join(dir, 'a.csv'));
        // 18:15 holds 46 s and 50 s; 18:16 61 s and 62 s; 18:17 125 s; 18:18 180.5 s and 200 s.
        expect(a.trace.points.map((p) => p.rps * 60)).toEqual([2, 2, 1, 2]);
        expect(a.originMs).toBe(Date.parse('2023-11-16T18:15:00Z'));
      },
    );
  });

  it('reads any other layout whole, and says which line holds a time it cannot read', async () => {
    const perMinute = csv('offset_s,requests', '0,60', '60,120');
    const quoted = csv('timestamp,prompt', '2024-01-01T00:00:00,"a, b"', '2024-01-01T00:01:30,"c"');
    await inDir(
      { 'm.csv': perMinute, 'q.csv': quoted, 'bad.csv': csv('timestamp,x', '2024-01-01T00:00:00,1', 'soon,2') },
      async (dir) => {
        expect(await readDetectedTrace(path.join(dir, 'm.csv'), 'm.csv')).toEqual(detectTrace(perMinute, 'm.csv'));
        expect(await readDetectedTrace(path.join(dir, 'q.csv'), 'q.csv')).toEqual(detectTrace(quoted, 'q.csv'));
        await expect(readDetectedTrace(path.join(dir, 'bad.csv'), 'bad.csv')).rejects.toThrow(/bad\.csv.*line 3/);
      },
    );
  });
});

describe("loadTraceArg: a command's --trace", () => {
  it('reads the header when no column is named, cuts the edges and says so; named columns are read as named', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-arg-'));
    try {
      // A log (BurstGPT's layout, times in seconds from its start): 1 request at 30 s, then 2 a minute to 6 min.
      const times = [30, ...Array.from({ length: 10 }, (_, i) => 60 + 30 * i), 365];
      const file = path.join(dir, 'log.csv');
      await writeFile(file, csv('Timestamp,Model,Request tokens', ...times.map((t) => `${t},m,100`)));
      const notes: string[] = [];
      const t = await loadTraceArg(file, {}, (n) => notes.push(n));
      expect(t.points.map((p) => p.rps * 60)).toEqual([2, 2, 2, 2, 2]);
      expect(notes).toEqual([
        'without its first and last interval, which may cover part of their time: 5 min of 7 min, from 60 s',
      ]);
      // Named: as named, whole (each row's own interval), nothing said.
      const named = await loadTraceArg(file, { timeColumn: 'Timestamp', valueColumn: 'Request tokens' }, (n) =>
        notes.push(n),
      );
      expect(named.points[0]).toEqual({ t: 0, rps: 100 / 30 });
      expect(notes.length).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON: an array of request objects, or an object holding one', () => {
  it('reads them as the CSV of their scalar fields, times in ms unless their size says epoch seconds', () => {
    const at = Date.UTC(2024, 4, 10);
    const relative = JSON.stringify([
      { timestamp: 0, input_length: 10 },
      { timestamp: 61_000, input_length: 7 },
    ]);
    const d = detectTrace(relative, 'r.json');
    expect(d.layout).toBe('JSON: timestamp (ms), one request per row, counted per minute');
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([1, 1]);
    // Epoch seconds in a field that names no unit: seconds by their size, and they date the trace.
    const wrapped = JSON.stringify({
      model: 'x',
      requests: [0, 30, 65].map((s) => ({ timestamp: at / 1000 + s, hash_ids: [1, 2] })),
    });
    const e = detectTrace(wrapped, 'w.json');
    expect(e.layout).toBe('JSON: timestamp (s), one request per row, counted per minute');
    expect(e.originMs).toBe(at);
    expect(e.trace.points.map((p) => p.rps * 60)).toEqual([2, 1]);
  });

  it('says what it expected of a file that is not such records', () => {
    expect(() => detectTrace('{"metadata": {"gap_seconds": 300}, "data": [4, 2]}', 's.json')).toThrow(
      /s\.json: expected an array of objects/,
    );
    expect(() => detectTrace('[1, 2', 'b.json')).toThrow(/b\.json: expected JSON/);
  });
});

describe('a date with its hour in a column of its own', () => {
  it('reads date and hour (and minute) as one time, not every hour of a day as one', () => {
    const d = detectTraceCsv(
      csv('date,hour,requests', '2024-05-10,0,600', '2024-05-10,1,1200', '2024-05-10,2,300'),
      'h.csv',
    );
    expect(d.layout).toBe('timestamp (ISO-8601) x requests (requests per row)');
    expect(d.originMs).toBe(Date.UTC(2024, 4, 10, 0));
    expect(d.trace.points.map((p) => [p.t, p.rps])).toEqual([
      [0, 600 / 3600],
      [3600, 1200 / 3600],
      [7200, 300 / 3600],
    ]);
    const m = detectTraceCsv(csv('date,hour,minute,count', '2024-05-10,23,58,60', '2024-05-10,23,59,120'), 'm.csv');
    expect(m.trace.points.map((p) => p.rps)).toEqual([1, 2]);
    expect(m.originMs).toBe(Date.UTC(2024, 4, 10, 23, 58));
    // A date with a time of day in one column stays as it is.
    expect(detectTraceCsv(csv('date,requests', '2024-05-10T00:00,60', '2024-05-10T00:01,60'), 'd.csv').layout).toBe(
      'date (ISO-8601) x requests (requests per row)',
    );
  });
});

describe('tables separated by tabs or semicolons', () => {
  it('reads them as the same table with commas, and says which', () => {
    const tsv = detectTrace('timestamp\tmodel\n2024-01-01T00:00:05\tm\n2024-01-01T00:01:10\tm\n', 'l.tsv');
    expect(tsv.layout).toBe('tab-separated: timestamp (ISO-8601), one request per row, counted per minute');
    expect(tsv.trace.points.map((p) => p.rps * 60)).toEqual([1, 1]);
    const semi = detectTrace('offset_s;requests\n0;60\n60;120\n', 'm.csv');
    expect(semi.layout).toBe('semicolon-separated: offset_s (s) x requests (requests per row)');
    expect(semi.trace.points.map((p) => p.rps)).toEqual([1, 2]);
    // Decimal commas with semicolons are read as decimal points (trace-time.test.ts); commas that may be
    // a thousands separator (three digits after each), or quotes, with another separator: said, not misread.
    expect(detectTrace('offset_s;rps\n0;1,5\n60;2,5\n', 'd.csv').trace.points.map((p) => p.rps)).toEqual([1.5, 2.5]);
    expect(() => detectTrace('offset_s;rps\n0;1,500\n60;2,500\n', 'd.csv')).toThrow(
      /d\.csv: fields are separated by ';' and hold commas or quotes/,
    );
    expect(() => detectTrace('offset_s\tmodel\n0\t"a"\n', 'q.tsv')).toThrow(/q\.tsv: fields are separated by '\\t'/);
  });
});

describe('a column found by its words holds numbers', () => {
  it('a text column named for requests or queries is not a count: the file is a log of them', () => {
    expect(detectColumns(['timestamp', 'request', 'status'], 'w.csv', ['2024-01-01T00:00:00', 'GET /', '200'])).toEqual(
      {
        time: 'timestamp',
      },
    );
    expect(detectColumns(['minute', 'total_requests'], 'm.csv', ['0', '12'])).toEqual({
      time: 'minute',
      value: 'total_requests',
      unit: 'count',
    });
    const queries = csv(
      'time,query,rows',
      '2024-01-01T00:00:05,select 1,1',
      '2024-01-01T00:00:40,select 2,1',
      '2024-01-01T00:01:10,select 3,1',
    );
    const d = detectTraceCsv(queries, 'q.csv');
    expect(d.layout).toBe('time (ISO-8601), one request per row, counted per minute');
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([2, 1]);
  });
});

describe('detectColumns', () => {
  it.each([
    [['offset_s', 'requests'], { time: 'offset_s', value: 'requests', unit: 'count' }],
    [['ts', 'invocations'], { time: 'ts', value: 'invocations', unit: 'count' }],
    [['minute', 'rpm'], { time: 'minute', value: 'rpm', unit: 'rpm' }],
    [['end_time', 'rps'], { time: 'end_time', value: 'rps', unit: 'rps' }],
    [['Timestamp', 'Model', 'Request tokens'], { time: 'Timestamp' }],
    // Demand under other names: found by its words, with the unit they say.
    [['timestamp', 'func', 'num_invocations'], { time: 'timestamp', value: 'num_invocations', unit: 'count' }],
    [['minute', 'total_requests'], { time: 'minute', value: 'total_requests', unit: 'count' }],
    [['time', 'requests_per_min'], { time: 'time', value: 'requests_per_min', unit: 'rpm' }],
    [['ts', 'query_rate'], { time: 'ts', value: 'query_rate', unit: 'rps' }],
    [['date', 'Requests/s'], { time: 'date', value: 'Requests/s', unit: 'rps' }],
    [['date', 'calls/min'], { time: 'date', value: 'calls/min', unit: 'rpm' }],
    // A request's size, timing or identity is not demand: a log.
    [['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'], { time: 'TIMESTAMP' }],
    [['app', 'func', 'end_timestamp', 'duration'], { time: 'end_timestamp' }],
    [['timestamp', 'input_length', 'output_length', 'request_id'], { time: 'timestamp' }],
  ])('%j', (header, expected) => {
    expect(detectColumns(header, 'x.csv')).toEqual(expected);
  });
});
