import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultDayTrace,
  isTraceError,
  loadTraceCsv,
  meanRps,
  offeredRequests,
  parseTraceCsv,
  scaleTrace,
  SEED_HOURLY_RPS,
  seedPatternAt,
  splitCsv,
  type TraceCsvOptions,
  type TraceError,
  timeUnitOfColumn,
} from '../../local/sim/trace.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const traces = path.resolve(repoRoot, '..', 'shared', 'traces');
const haveTraces = existsSync(traces);

describe('parseTraceCsv', () => {
  it('reads offset_s,requests with the defaults: counts per interval become rates', () => {
    const t = parseTraceCsv('offset_s,requests\n0,60\n60,120\n120,30\n', 'a.csv');
    expect(t.stepSeconds).toBe(60);
    expect(t.points).toEqual([
      { t: 0, rps: 1 },
      { t: 60, rps: 2 },
      { t: 120, rps: 0.5 },
    ]);
    // The last interval is as long as the one before it.
    expect(t.durationSeconds).toBe(180);
    expect(t.source).toBe('a.csv');
  });

  it.each<{
    name: string;
    csv: string;
    options: TraceCsvOptions;
    expected: Array<{ t: number; rps: number }>;
    duration: number;
  }>([
    {
      name: 'rpm is divided by 60',
      csv: 'minute_s,rate\n0,120\n60,60\n',
      options: { timeColumn: 'minute_s', valueColumn: 'rate', valueUnit: 'rpm' },
      expected: [
        { t: 0, rps: 2 },
        { t: 60, rps: 1 },
      ],
      duration: 120,
    },
    {
      name: 'rps is taken as is, whatever the interval',
      csv: 'offset_s,rps\n0,5\n10,7\n40,1\n',
      options: { valueColumn: 'rps', valueUnit: 'rps' },
      expected: [
        { t: 0, rps: 5 },
        { t: 10, rps: 7 },
        { t: 40, rps: 1 },
      ],
      duration: 70,
    },
    {
      // Intervals of 10 s and 30 s; the last one is 30 s like the one before.
      name: 'counts over irregular intervals',
      csv: 'offset_s,requests\n0,20\n10,60\n40,30\n',
      options: {},
      expected: [
        { t: 0, rps: 2 },
        { t: 10, rps: 2 },
        { t: 40, rps: 1 },
      ],
      duration: 70,
    },
    {
      // 7.2 min = 432 s; the trace starts at its first row.
      name: 'offset_min is read in minutes, the first row is t = 0',
      csv: 'offset_min,rpm_mid\n7.2,600\n14.4,1200\n',
      options: { timeColumn: 'offset_min', valueColumn: 'rpm_mid', valueUnit: 'rpm' },
      expected: [
        { t: 0, rps: 10 },
        { t: 432, rps: 20 },
      ],
      duration: 864,
    },
    {
      name: '--time-unit overrides the name',
      csv: 'at,requests\n0,3600\n1,7200\n',
      options: { timeColumn: 'at', timeUnit: 'h' },
      expected: [
        { t: 0, rps: 1 },
        { t: 3600, rps: 2 },
      ],
      duration: 7200,
    },
    {
      name: 'ISO timestamps without a zone are UTC',
      csv: 't_start_utc,requests\n2023-11-16T18:17:00,60\n2023-11-16T18:18:00,0\n2023-11-16T18:19:30Z,90\n',
      options: { timeColumn: 't_start_utc' },
      expected: [
        { t: 0, rps: 1 },
        { t: 60, rps: 0 },
        { t: 150, rps: 1 },
      ],
      duration: 240,
    },
    {
      name: 'quoted fields, CRLF line ends and a byte order mark',
      csv: '\uFEFF"offset_s","requests","note"\r\n0,"60","a, b"\r\n60,"0",""""\r\n',
      options: {},
      expected: [
        { t: 0, rps: 1 },
        { t: 60, rps: 0 },
      ],
      duration: 120,
    },
  ])('$name', ({ csv, options, expected, duration }) => {
    const t = parseTraceCsv(csv, 'x.csv', options);
    expect(t.points).toHaveLength(expected.length);
    t.points.forEach((p, i) => {
      expect(p.t).toBeCloseTo(expected[i]!.t, 6);
      expect(p.rps).toBeCloseTo(expected[i]!.rps, 9);
    });
    expect(t.durationSeconds).toBeCloseTo(duration, 6);
  });

  it.each<{ name: string; csv: string; options?: TraceCsvOptions; line?: number; column?: string; message: RegExp }>([
    { name: 'empty file', csv: '', message: /empty file/ },
    { name: 'header only', csv: 'offset_s,requests\n', message: /no data rows/ },
    {
      name: 'missing value column',
      csv: 'offset_s,count\n0,1\n',
      line: 1,
      message: /no column 'requests'.*offset_s, count/,
    },
    { name: 'missing time column', csv: 'time,requests\n0,1\n', line: 1, message: /no column 'offset_s'/ },
    {
      name: 'value not a number',
      csv: 'offset_s,requests\n0,1\n60,lots\n',
      line: 3,
      column: 'requests',
      message: /expected a number >= 0, got 'lots'/,
    },
    {
      name: 'negative value',
      csv: 'offset_s,requests\n0,-4\n',
      line: 2,
      column: 'requests',
      message: /expected a number >= 0/,
    },
    { name: 'empty value', csv: 'offset_s,requests\n0,\n', line: 2, column: 'requests', message: /got ''/ },
    {
      name: 'time not a number',
      csv: 'offset_s,requests\n0,1\nsoon,2\n',
      line: 3,
      column: 'offset_s',
      message: /expected a number, got 'soon'/,
    },
    {
      name: 'time going back',
      csv: 'offset_s,requests\n0,1\n60,1\n30,1\n',
      line: 4,
      column: 'offset_s',
      message: /times must increase/,
    },
    {
      name: 'repeated time',
      csv: 'offset_s,requests\n0,1\n0,1\n',
      line: 3,
      column: 'offset_s',
      message: /times must increase/,
    },
    { name: 'wrong field count', csv: 'offset_s,requests\n0,1,2\n', line: 2, message: /expected 2 fields, found 3/ },
    {
      name: 'a bad timestamp after ISO ones',
      csv: 't,requests\n2024-05-10T00:07,1\nyesterday,1\n',
      options: { timeColumn: 't' },
      line: 3,
      column: 't',
      message: /ISO-8601/,
    },
    {
      name: 'blank lines are skipped but counted',
      csv: 'offset_s,requests\n\n0,1\n\n60,x\n',
      line: 5,
      column: 'requests',
      message: /got 'x'/,
    },
  ])('rejects $name, naming the file, line and column', ({ csv, options, line, column, message }) => {
    let err: unknown;
    try {
      parseTraceCsv(csv, 'bad.csv', options);
    } catch (e) {
      err = e;
    }
    expect(isTraceError(err)).toBe(true);
    const te = err as TraceError;
    expect(te.file).toBe('bad.csv');
    expect(te.message).toMatch(/^bad\.csv/);
    expect(te.message).toMatch(message);
    expect(te.line).toBe(line);
    expect(te.column).toBe(column);
  });

  it('says which file it could not read', async () => {
    await expect(loadTraceCsv('/nonexistent/trace.csv')).rejects.toThrow(
      /\/nonexistent\/trace\.csv: cannot read the trace/,
    );
  });

  it('knows time units from column names', () => {
    expect(['offset_s', 'offset_min', 'offset_ms', 'elapsed_h', 'hours', 'offset'].map(timeUnitOfColumn)).toEqual([
      's',
      'min',
      'ms',
      'h',
      's',
      's',
    ]);
  });

  it('splits CSV rows with their line numbers', () => {
    expect(splitCsv('a,b\n"x\ny",2\n3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ny', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
  });
});

describe('offeredRequests', () => {
  const t = parseTraceCsv('offset_s,requests\n0,60\n60,120\n120,30\n', 'a.csv');

  it.each([
    // 1 rps for 60 s + 2 rps for 60 s + 0.5 rps for 60 s
    { name: 'the whole trace', from: 0, to: 180, expected: 210 },
    { name: 'inside one interval', from: 10, to: 40, expected: 30 },
    // 30 s at 1 rps + 30 s at 2 rps
    { name: 'across two intervals', from: 30, to: 90, expected: 90 },
    // Past the end the trace repeats: [180, 240) is [0, 60) again.
    { name: 'past the end, looped', from: 150, to: 240, expected: 15 + 60 },
    { name: 'two whole loops', from: 0, to: 360, expected: 420 },
    { name: 'an empty range', from: 50, to: 50, expected: 0 },
  ])('$name', ({ from, to, expected }) => {
    expect(offeredRequests(t, from, to)).toBeCloseTo(expected, 9);
  });

  it('gives the mean rate over a range', () => {
    expect(meanRps(t, 30, 90)).toBeCloseTo(1.5, 9);
  });

  it('scales a trace', () => {
    const doubled = scaleTrace(t, 2);
    expect(offeredRequests(doubled, 0, 180)).toBeCloseTo(420, 9);
    expect(doubled.source).toBe('a.csv x 2');
    expect(() => scaleTrace(t, 0)).toThrow(/> 0/);
  });
});

describe('defaultDayTrace', () => {
  it('follows seed 002 hour by hour, scaled, one point a minute', () => {
    const day = defaultDayTrace({ seed: 7, scale: 3 });
    expect(day.points).toHaveLength(1440);
    expect(day.stepSeconds).toBe(60);
    expect(day.durationSeconds).toBe(86_400);
    expect(day.points.every((p) => p.rps >= 0)).toBe(true);
    // Over the day the noise averages out: the mean stays within 3% of the pattern's mean x scale
    // (8% noise, correlated over ~3 steps: the standard error of a 1440-step mean is well under 1%).
    const mean = offeredRequests(day, 0, 86_400) / 86_400;
    const patternMean = (SEED_HOURLY_RPS.reduce((a, b) => a + b, 0) / 24) * 3;
    expect(Math.abs(mean / patternMean - 1)).toBeLessThan(0.03);
    // The 14:00 hour is the seed's peak, 200 rps: its mean is near 200 x 3 (interpolation towards 180 and 185
    // on both sides of the hour's middle pulls it a little down).
    const peakHour = meanRps(day, 14 * 3600, 15 * 3600);
    expect(peakHour).toBeGreaterThan(0.9 * 600);
    expect(peakHour).toBeLessThan(1.05 * 600);
  });

  it('repeats for a seed and differs between seeds', () => {
    const a = defaultDayTrace({ seed: 1, scale: 1 });
    const b = defaultDayTrace({ seed: 1, scale: 1 });
    const c = defaultDayTrace({ seed: 2, scale: 1 });
    expect(a.points).toEqual(b.points);
    expect(a.points).not.toEqual(c.points);
  });

  it('has no noise with noise 0: the interpolated pattern itself', () => {
    const day = defaultDayTrace({ seed: 1, scale: 2, noise: 0 });
    // Minute 870 is 14:30, the middle of the 14:00 hour: 200 x 2, exactly.
    expect(day.points[870]!.rps).toBeCloseTo(seedPatternAt(870 * 60 + 30) * 2, 9);
    expect(seedPatternAt(14.5 * 3600)).toBe(200);
    // Halfway between 14:30 (200) and 15:30 (185).
    expect(seedPatternAt(15 * 3600)).toBeCloseTo(192.5, 9);
    // Midnight wraps: halfway between 23:30 (25) and 00:30 (20).
    expect(seedPatternAt(0)).toBeCloseTo(22.5, 9);
  });
});

describe.skipIf(!haveTraces)('real traces in ../shared/traces (skipped when that folder is absent)', () => {
  const file = (p: string) => path.join(traces, p);

  it.each([
    { name: 'azure2023_code_per_minute.csv', total: 8819 },
    { name: 'azure2023_code_per_second.csv', total: 8819 },
    { name: 'azure2023_conv_per_minute.csv', total: 19366 },
  ])('2023 $name loads with the defaults and keeps every request', async ({ name, total }) => {
    const t = await loadTraceCsv(file(`azure_llm_2023/${name}`));
    // The sum of the requests column, counted independently of the parser.
    const rows = readFileSync(file(`azure_llm_2023/${name}`), 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1);
    const direct = rows.reduce((s, r) => s + Number(r.split(',')[2]), 0);
    expect(direct).toBe(total);
    expect(offeredRequests(t, 0, t.durationSeconds)).toBeCloseTo(total, 6);
    // About an hour.
    expect(t.durationSeconds).toBeGreaterThan(3400);
    expect(t.durationSeconds).toBeLessThan(3700);
  });

  it('2023 per second shows the bursts: code peaks at 67 requests in one second', async () => {
    const t = await loadTraceCsv(file('azure_llm_2023/azure2023_code_per_second.csv'));
    expect(t.stepSeconds).toBe(1);
    expect(Math.max(...t.points.map((p) => p.rps))).toBe(67);
  });

  it.each(['azure2024_code_digitized_rpm.csv', 'azure2024_conv_digitized_rpm.csv'])(
    '2024 %s loads with --time-column offset_min --value-column rpm_mid --value-unit rpm',
    async (name) => {
      const rows = readFileSync(file(`azure_llm_2024/${name}`), 'utf8')
        .trim()
        .split(/\r?\n/);
      const col = rows[0]!.split(',').indexOf('rpm_mid');
      const meanRpm = rows.slice(1).reduce((s, r) => s + Number(r.split(',')[col]), 0) / (rows.length - 1);
      const t = await loadTraceCsv(file(`azure_llm_2024/${name}`), {
        timeColumn: 'offset_min',
        valueColumn: 'rpm_mid',
        valueUnit: 'rpm',
      });
      // One row every ~7.2 minutes over one week.
      expect(t.stepSeconds).toBeGreaterThan(420);
      expect(t.stepSeconds).toBeLessThan(440);
      expect(t.durationSeconds / 86_400).toBeGreaterThan(6.9);
      expect(t.durationSeconds / 86_400).toBeLessThan(7.1);
      // Rows are nearly evenly spaced, so the time-weighted mean is within 1% of the rows' mean (computed
      // from the file beside the parser).
      expect(Math.abs((meanRps(t, 0, t.durationSeconds) * 60) / meanRpm - 1)).toBeLessThan(0.01);
    },
  );
});
