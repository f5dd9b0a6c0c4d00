/** The benchmark's pure parts: the targets, the forecast accuracy, and its HTML report. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  buildScenario,
  checkReference,
  checkTargets,
  checkWarmTargets,
  discoverTraces,
  type Figures,
  formatMarkdown,
  formatTargets,
  jobsFor,
  ratioText,
  scenarioSpecs,
  openingBurst,
  steepestRise,
  unservableWhy,
} from '../../bench/sim.ts';
import { type BenchScenario, costSloChart, nines, renderBenchReport } from '../../local/sim/bench-report.ts';
import { forecastAccuracy } from '../../local/sim/forecast-accuracy.ts';
import type { DemandTrace } from '../../local/sim/trace.ts';
import { stepTrace } from './support.ts';

const fig = (slo: number, cost: number): Figures => ({
  cost_usd: cost,
  slo_attainment: slo,
  worst_hour_slo: slo,
  unserved_requests: 0,
  offered_requests: 0,
  interruptions: 0,
  max_replacement_seconds: null,
  unreplaced_interruptions: 0,
  scaling_actions: 0,
});

describe('the targets (availability 0.999)', () => {
  const baselines = (karpenter: Figures, reactive = fig(0.99, 50)) => ({
    reactive,
    hpa: fig(0.98, 40),
    karpenter,
    static: fig(1, 100),
    oracle: fig(1, 10),
  });
  it.each([
    {
      name: 'all three pass',
      autoscaler: { '0.999': fig(0.9995, 14) },
      karpenter: fig(0.999, 15),
      expected: [true, true, true],
    },
    {
      name: 'cost above 1.5 x oracle',
      autoscaler: { '0.999': fig(0.9995, 16) },
      karpenter: fig(0.999, 20),
      expected: [true, false, true],
    },
    {
      name: 'cheaper than karpenter but at a lower SLO: a miss',
      autoscaler: { '0.999': fig(0.9992, 12) },
      karpenter: fig(0.9995, 15),
      expected: [true, true, false],
    },
    {
      // Karpenter reaches 99.9%: the 99.9% target applies.
      name: 'servable by an online baseline: 99.9% required',
      autoscaler: { '0.999': fig(0.997, 12) },
      karpenter: fig(0.9991, 13),
      expected: [false, true, false],
    },
    {
      // Nobody online reaches 99.9%: 99.5% is the bar.
      name: 'not servable: 99.5% is enough',
      autoscaler: { '0.99': fig(0.99, 11), '0.999': fig(0.997, 12) },
      karpenter: fig(0.99, 13),
      expected: [true, true, true],
    },
  ])('$name', ({ autoscaler, karpenter, expected }) => {
    const { targets } = checkTargets(baselines(karpenter), autoscaler as Record<string, Figures>);
    expect(targets.map((t) => t.pass)).toEqual(expected);
  });

  it.each([
    // Oracle $10: 1.3x is $13.
    { name: 'all met', a: fig(0.9991, 12.9), karpenter: fig(0.97, 13), expected: [true, true, true] },
    // Issue 13 asks 99.9% everywhere (no servability exemption) and 1.3x the oracle.
    { name: 'below 99.9%, above 1.3x', a: fig(0.998, 14), karpenter: fig(0.97, 13), expected: [false, false, false] },
  ])('warm targets: $name', ({ a, karpenter, expected }) => {
    const targets = checkWarmTargets(baselines(karpenter), { '0.999': a });
    expect(targets.map((t) => t.pass)).toEqual(expected);
  });

  it.each([
    { name: 'cheaper at a higher SLO', a: fig(0.9995, 12), ref: fig(0.999, 13), expected: true },
    { name: 'cheaper at a lower SLO: a miss', a: fig(0.998, 12), ref: fig(0.999, 13), expected: false },
    { name: 'dearer at a higher SLO: a miss', a: fig(1, 14), ref: fig(0.999, 13), expected: false },
  ])('against spothedge, the reference: $name', ({ a, ref, expected }) => {
    const checks = checkReference({ ...baselines(fig(0.97, 20)), spothedge: ref }, { '0.999': a });
    expect(checks.map((t) => t.pass)).toEqual([expected]);
  });

  it('prints the comparison with spothedge apart from the targets, and not without it', () => {
    const a = { '0.999': fig(0.9995, 12) };
    const withRef = { ...baselines(fig(0.97, 20)), spothedge: fig(0.99, 30) };
    const scenario = (b: Record<string, Figures>) => ({
      name: 'day',
      spec: { demand: 'default', spot: 'default', seed: 1 },
      notes: [],
      baselines: b,
      autoscaler: a,
      targets: checkTargets(b, a).targets,
      reference: checkReference(b, a),
      seconds: 1,
    });
    const printed = formatTargets([scenario(withRef) as never]);
    expect(printed).toContain('targets: 3 PASS, 0 MISS');
    expect(printed).toContain('against spothedge: 1 PASS, 0 MISS');
    expect(formatMarkdown([scenario(withRef) as never])).toContain(
      '| day | PASS $12.00 at 99.950% vs $30.00 at 99.000% |',
    );
    expect(checkReference(baselines(fig(0.97, 20)), a)).toEqual([]);
    expect(formatTargets([scenario(baselines(fig(0.97, 20))) as never])).not.toContain('spothedge');
  });

  it('writes the Markdown target table from the same checks as the printed one, and none without targets', () => {
    const a = { '0.999': fig(0.9995, 12) };
    const b = baselines(fig(0.999, 15));
    const row = {
      name: 'day',
      spec: { demand: 'default', spot: 'default', seed: 1 },
      notes: [],
      baselines: b,
      seconds: 1,
    };
    const md = formatMarkdown([{ ...row, autoscaler: a, targets: checkTargets(b, a).targets } as never]).split('\n');
    const at = md.indexOf(
      '| scenario (availability 0.999) | SLO | cost <= 1.5 x oracle | cheaper than karpenter at an SLO at least as high |',
    );
    expect(at).toBeGreaterThan(0);
    expect(md[at - 1]).toBe('');
    expect(md[at + 1]).toBe('|---|---|---|---|');
    expect(md[at + 2]).toBe(
      '| day | PASS 99.950% (worst hour 99.95%) | PASS 1.20x ($12.00 vs $10.00) | PASS $12.00 at 99.950% vs $15.00 at 99.900% |',
    );
    // A scenario without the 0.999 run has no target row, and a run without any no target table.
    const none = formatMarkdown([{ ...row, autoscaler: { '0.99': fig(0.99, 11) }, targets: [] } as never]);
    expect(none).not.toContain('scenario (availability 0.999)');
  });

  it('prints a ratio to three decimals where two would read as the other side of the target', () => {
    // Oracle $10: $13.046 is 1.3046x, over issue 13's 1.3; "1.30x" beside its MISS would say otherwise.
    const [, cost] = checkWarmTargets(baselines(fig(0.97, 20)), { '0.999': fig(0.9995, 13.046) });
    expect(cost).toMatchObject({ pass: false, detail: '1.305x' });
    expect(ratioText(1.2949, 1.3)).toBe('1.29x');
    expect(ratioText(1.3, 1.3)).toBe('1.30x');
    expect(ratioText(1.5049, 1.5)).toBe('1.505x');
    expect(ratioText(1.4951, 1.5)).toBe('1.50x');
  });

  it('says why no online controller serves a trace, with figures', () => {
    const trace = stepTrace(
      [
        [0, 0],
        [20, 700],
      ],
      40,
    );
    const { unservable } = checkTargets(
      { reactive: fig(0.7, 5), hpa: fig(0.72, 5), karpenter: fig(0.73, 5), static: fig(1, 9), oracle: fig(1, 4) },
      { '0.999': fig(0.8, 5) },
      trace,
    );
    expect(unservable).toBe(
      "no online controller reaches 99.9% (best: autoscaler @0.999 80.000%); demand rises from 0 to 700 requests/s within 10 minutes at minute 20, faster than a node's 10-minute time to ready",
    );
    expect(steepestRise(trace)).toEqual({ from: 0, to: 700, atMinute: 20 });
    // No burst in the first 10 minutes: the opening is flat, the steepest rise is the reason.
    expect(openingBurst(trace)).toEqual({ from: 0, to: 0, atMinute: 0 });
  });

  it('names a burst at the opening, before any controller has seen a rise, beside the steepest rise later', () => {
    // The 2023 code hour's shape: idle, a burst at minute 2, idle again, the hour's peak from idle at minute 13.
    const trace = stepTrace(
      [
        [0, 0],
        [2, 700],
        [3, 100],
        [12, 0],
        [13, 780],
        [14, 0],
      ],
      30,
    );
    expect(openingBurst(trace)).toEqual({ from: 0, to: 700, atMinute: 2 });
    expect(unservableWhy(trace)).toBe(
      // 700 of the 30 minutes' 700 + 9 x 100 + 780 = 2,380 requests/s-minutes: 29.4%.
      'the trace opens at 0 requests/s, which every controller starts sized for, and reaches 700 at minute 2 ' +
        '(29.4% of its requests in that minute), before a node requested at the start is ready (10 minutes) and ' +
        'before a rise has been seen to resume a warm node for; later demand rises from 0 to 780 requests/s ' +
        'within 10 minutes at minute 13',
    );
    // Where the opening's highest minute is the steepest rise itself, one reason says it.
    const one = stepTrace(
      [
        [0, 0],
        [5, 600],
      ],
      30,
    );
    expect(unservableWhy(one)).toBe(
      "demand rises from 0 to 600 requests/s within 10 minutes at minute 5, faster than a node's 10-minute time to ready",
    );
  });

  it('runs the baselines once per scenario, the autoscaler once per target, and without warm at 0.999', () => {
    const spec = { demand: 'default' as const, spot: 'default' as const, seed: 1, tracesDir: '/x' };
    const jobs = jobsFor([spec, { ...spec, spot: 'AWS2' }], [0.99, 0.999]);
    expect(jobs.map((j) => [j.spec.spot, j.kind, j.availability, j.warm !== false])).toEqual([
      ['default', 'baselines', undefined, true],
      ['default', 'autoscaler', 0.99, true],
      ['default', 'autoscaler', 0.999, true],
      ['default', 'autoscaler', 0.999, false],
      ['AWS2', 'baselines', undefined, true],
      ['AWS2', 'autoscaler', 0.99, true],
      ['AWS2', 'autoscaler', 0.999, true],
      ['AWS2', 'autoscaler', 0.999, false],
    ]);
    expect(jobs.map((j) => j.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(jobsFor([spec], [0.99], [0.99, 0.999]).map((j) => j.warm)).toEqual([undefined, undefined, false]);
  });

  it('runs the 2024 traces on each day asked (held-out days), the other traces once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-days-'));
    try {
      await mkdir(path.join(dir, 'azure_llm_2024'));
      await writeFile(path.join(dir, 'azure_llm_2024', 'azure2024_code_digitized_rpm.csv'), '');
      const { specs, skipped } = await scenarioSpecs(1, dir, {
        demands: ['default', 'azure2024-code'],
        spots: ['default'],
        days: ['2024-05-13', '2024-05-15'],
      });
      expect(skipped).toBeUndefined();
      expect(specs.map((s) => [s.demand, s.dayUtc])).toEqual([
        ['default', undefined],
        ['azure2024-code', '2024-05-13'],
        ['azure2024-code', '2024-05-15'],
      ]);
      const one = await scenarioSpecs(1, dir, { demands: ['azure2024-code'], spots: ['default'] });
      expect(one.specs.map((s) => s.dayUtc)).toEqual([undefined]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('every demand trace of the traces folder, those added later too', () => {
  /** A traces folder: files by path, with contents. */
  const folder = async (files: Record<string, string | Buffer>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-traces-'));
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    return dir;
  };
  /** `hours` of a per-minute series (offsets in seconds, requests per minute), a sine over the day. */
  const series = (hours: number) =>
    [
      'offset_s,requests',
      ...Array.from(
        { length: hours * 60 },
        (_, m) => `${m * 60},${Math.round(600 + 300 * Math.sin((m / 1440) * 2 * Math.PI))}`,
      ),
    ].join('\n');

  it('finds the named traces by their files, any other CSV as trace:PATH, and every spot set', async () => {
    const dir = await folder({
      'azure_llm_2023/azure2023_conv_per_minute.csv': 'offset_s,requests\n0,1\n',
      'azure_llm_2023/azure2023_conv_per_second.csv': 'offset_s,requests\n0,1\n',
      'new/api_per_minute.csv': series(1),
      'new/gzipped.csv.gz': gzipSync(series(1)),
      'new/api_per_second.csv': 'offset_s,requests\n0,1\n1,2\n',
      'new/log.csv': `timestamp,tokens\n${Array.from({ length: 12 }, (_, m) => `2024-01-01T00:${String(m).padStart(2, '0')}:01,5`).join('\n')}\n`,
      'new/mooncake.jsonl': Array.from(
        { length: 12 },
        (_, m) => `{"timestamp": ${m * 60_000}, "hash_ids": [1]}\n`,
      ).join(''),
      'new/sources.csv': 'date,dataset\n2024-01-01,a\n2024-02-01,b\n',
      // A CSV by another name (the Azure Functions 2021 trace's layout), and prose that names a time.
      'new/functions.txt': `app,func,end_timestamp,duration\n${Array.from({ length: 14 }, (_, m) => `a,f,${m * 60 + 0.5},0.1`).join('\n')}\n`,
      'new/notes.txt': 'Collected over two weeks, time in seconds.\nSee the paper, section 3.\n',
      // Three days, requests on the first only: its last day, the part that runs, has none.
      'new/quiet.csv': [
        'offset_s,requests',
        ...Array.from({ length: 72 * 60 }, (_, m) => `${m * 60},${m < 1440 ? 10 : 0}`),
      ].join('\n'),
      'new/notes.csv': 'name,comment\na,b\n',
      'README.md': '# traces',
      // Parquet is read (and this one is not Parquet: said); a spreadsheet is not a format the benchmark reads.
      'new/trace.parquet': 'PAR1',
      'new/trace.xlsx': 'PK',
      'spot_availability/AWS9/us-east-1a.json': '{}',
      'spot_availability/summary.csv': 'zone,frac_time_any_available\na,1\n',
    });
    try {
      const found = await discoverTraces(dir);
      expect(found.demands).toEqual([
        'azure2023-conv',
        'trace:new/api_per_minute.csv',
        'trace:new/functions.txt',
        'trace:new/gzipped.csv.gz',
        'trace:new/log.csv',
        'trace:new/mooncake.jsonl',
      ]);
      expect(found.spots).toEqual(['default', 'AWS9']);
      // The .txt trace is a log of invocations by their end times, counted per minute, edges cut.
      const fn = await buildScenario({ demand: 'trace:new/functions.txt', spot: 'default', seed: 1, tracesDir: dir });
      expect(fn.name).toBe('new/functions');
      expect(fn.notes[0]).toMatch(/^end_timestamp \(s\), one request per row, counted per minute; without its first/);
      expect(fn.hours).toBeCloseTo(12 / 60, 9);
      expect(found.passed).toEqual([
        'new/trace.xlsx: not a .csv, .tsv, .json or .jsonl file (gzipped or not) or a .parquet file, the formats the benchmark reads',
        'new/api_per_second.csv: the same requests as new/api_per_minute.csv, per second (the minutes are scored)',
        expect.stringMatching(/^new\/notes\.csv: no time column in the header \(columns: name, comment/),
        'new/quiet.csv: no request in its last 24 h, the part the benchmark runs',
        'new/sources.csv: too little demand to simulate (44641 min, 2 step(s) with requests; at least 10 min and 10 steps)',
        expect.stringMatching(/^new\/trace\.parquet: cannot read the trace as Parquet: /),
      ]);
      // Unless named, the scenarios are all of them, with each spot process; what was passed over is said.
      const all = await scenarioSpecs(1, dir);
      expect(all.specs.map((x) => `${x.demand}/${x.spot}`)).toEqual(
        [
          'default',
          'azure2023-conv',
          'trace:new/api_per_minute.csv',
          'trace:new/functions.txt',
          'trace:new/gzipped.csv.gz',
          'trace:new/log.csv',
          'trace:new/mooncake.jsonl',
        ].flatMap((d) => [`${d}/default`, `${d}/AWS9`]),
      );
      expect(all.skipped).toContain('new/notes.csv: no time column');
      // A name the folder does not hold is an error, not an empty run.
      await expect(scenarioSpecs(1, dir, { demands: ['trace:new/none.csv'] })).rejects.toThrow(
        /no demand trace 'trace:new\/none\.csv'/,
      );
      await expect(scenarioSpecs(1, dir, { spots: ['AWS1'] })).rejects.toThrow(/no spot process 'AWS1'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the files of one trace split by day (names that differ in their last number) as one, in order', async () => {
    const day = (n: number) => series(24).replace(/\n(\d+),(\d+)/g, (_, t, r) => `\n${t},${Number(r) + n}`);
    const dir = await folder({ 'fn/day_10.csv': day(10), 'fn/day_9.csv': day(9), 'fn/day_11.csv': day(11) });
    try {
      expect((await discoverTraces(dir)).demands).toEqual(['trace:fn/day_#.csv']);
      const s = await buildScenario({ demand: 'trace:fn/day_#.csv', spot: 'default', seed: 1, tracesDir: dir });
      expect(s.name).toBe('fn/day_# (last day)');
      expect(s.notes[0]).toMatch(/^3 files in the order of their number \(day_9\.csv \.\. day_11\.csv\)/);
      // The whole, not each part, loses its first and last minute: 72 h - 2 min, whose last 24 h start in
      // day_10's last minute (599 + 10 requests), with the 48 h - 2 min before them as history.
      expect(s.notes[0]).toContain('without its first and last interval');
      expect(s.history?.points[0]?.t).toBe(-48 * 3600 + 120);
      const factor = s.trace.points[0]!.rps / ((599 + 10) / 60);
      // day_9 first: its second minute is the history's first (601 + 9 requests, scaled like the day).
      expect(s.history!.points[0]!.rps).toBeCloseTo(((601 + 9) / 60) * factor, 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs a trace up to 48 h whole, a longer one its last day with 48 h of history, scaled to the demo peak', async () => {
    const dir = await folder({ 'x/short.csv': series(3), 'x/week.csv': series(7 * 24) });
    try {
      const short = await buildScenario({ demand: 'trace:x/short.csv', spot: 'default', seed: 1, tracesDir: dir });
      expect(short.name).toBe('x/short');
      // Its first and last minute dropped (partial edges).
      expect(short.hours).toBeCloseTo(3 - 2 / 60, 9);
      expect(short.notes[0]).toContain(
        'without its first and last interval, which may cover part of their time: 178 min of 180 min',
      );
      expect(short.history).toBeUndefined();
      expect(Math.max(...short.trace.points.map((p) => p.rps))).toBeCloseTo(781, 0);
      const week = await buildScenario({ demand: 'trace:x/week.csv', spot: 'AWS2', seed: 1, tracesDir: dir });
      expect(week.name).toBe('x/week (last day), spot AWS2');
      expect(week.hours).toBe(24);
      expect(week.spotTrace).toBe(path.join(dir, 'spot_availability', 'AWS2'));
      expect(week.history?.points[0]?.t).toBe(-48 * 3600);
      expect(week.history?.points.at(-1)?.t).toBe(-60);
      expect(week.notes[0]).toContain('its last 24 h of 168 h, 48 h of history');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('forecast accuracy (MASE against the seasonal naive and the last value)', () => {
  /** Per minute, `days` days of `f(minute of day, day)`. */
  const daily = (days: number, f: (m: number, d: number) => number): DemandTrace => ({
    stepSeconds: 60,
    points: Array.from({ length: days * 1440 }, (_, k) => ({ t: k * 60, rps: f(k % 1440, Math.floor(k / 1440)) })),
    durationSeconds: days * 86_400,
    source: 'test',
  });
  const shape = (m: number) => 50 + 40 * Math.sin((2 * Math.PI * m) / 1440);

  it('needs a season of history', () => {
    expect(forecastAccuracy(daily(1, shape))).toBeUndefined();
  });

  it('is exact on flat demand: every error 0, ratios 1', () => {
    const a = forecastAccuracy(daily(2, () => 30))!;
    expect(a).toMatchObject({ mae: 0, maseSeasonal: 1, maseLastValue: 1 });
    // Every 5 minutes from 00:05 of day 2 while the last point's window (15 min ahead, +-2.5 min) ends within
    // the 48 h: origins 24:05 ... 47:42:30, (171750 - 86700) / 300 + 1 = 284, 3 horizons each.
    expect(a.origins).toBe(284);
    expect(a.points).toBe(3 * 284);
  });

  it('beats the seasonal naive on a day that runs 20% hotter than the one before', () => {
    const a = forecastAccuracy(daily(2, (m, d) => shape(m) * (d === 0 ? 1 : 1.2)))!;
    // The seasonal naive repeats yesterday: 20% low all day; the forecaster scales yesterday by today's level.
    expect(a.maseSeasonal).toBeLessThan(0.5);
  });
});

describe('the benchmark report', () => {
  const scenario: BenchScenario = {
    name: 'default day <test>',
    notes: ['a note'],
    autoscaler: { '0.99': { cost_usd: 12, slo_attainment: 0.995 }, '0.999': { cost_usd: 14, slo_attainment: 0.9992 } },
    baselines: {
      karpenter: { cost_usd: 15, slo_attainment: 0.998 },
      static: { cost_usd: 60, slo_attainment: 1 },
      oracle: { cost_usd: 10, slo_attainment: 1 },
    },
    targets: [{ target: 'cost <= 1.5 x oracle', pass: true, detail: '1.40x' }],
  };
  const html = renderBenchReport({ title: 'bench', subtitle: 'test', scenarios: [scenario] });

  it('is one self-contained file with a cost-versus-SLO chart: a point per target and per baseline', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link\b|@import|url\(/i);
    expect(new Set([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]))).toEqual(
      new Set(['http://www.w3.org/2000/svg']),
    );
    expect(html).toContain('data-chart="cost-slo"');
    expect([...html.matchAll(/data-point="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'autoscaler @0.99',
      'autoscaler @0.999',
      'karpenter',
      'static',
      'oracle',
    ]);
    expect(html).toContain('default day &lt;test&gt;');
    expect(html).toContain('PASS cost &lt;= 1.5 x oracle: 1.40x');
  });

  it.each([
    { slo: 0.99, expected: 2 },
    { slo: 0.999, expected: 3 },
    { slo: 1, expected: 5.3 },
    { slo: 0.5, expected: Math.log10(2) },
  ])('draws $slo at $expected nines', ({ slo, expected }) => {
    expect(nines(slo)).toBeCloseTo(expected, 9);
  });

  it('places the cheaper point left and the higher SLO up', () => {
    const svg = costSloChart(scenario);
    const at = (label: string) => {
      const m = new RegExp(`data-point="${label}"><circle cx="([\\d.]+)" cy="([\\d.]+)"`).exec(svg)!;
      return { x: Number(m[1]), y: Number(m[2]) };
    };
    expect(at('oracle').x).toBeLessThan(at('karpenter').x);
    expect(at('karpenter').x).toBeLessThan(at('static').x);
    expect(at('static').y).toBeLessThan(at('autoscaler @0\\.999').y);
    expect(at('autoscaler @0\\.999').y).toBeLessThan(at('autoscaler @0\\.99').y);
  });

  const CHROMIUM = '/usr/bin/chromium';
  describe.skipIf(!existsSync(CHROMIUM))(
    `in headless Chromium${existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`}`,
    () => {
      it('renders the chart with its points and no console error', async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'bench-report-'));
        const file = path.join(dir, 'bench-report.html');
        await writeFile(file, html, 'utf8');
        const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
          executablePath: CHROMIUM,
          headless: true,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        });
        try {
          const page = context.pages()[0] ?? (await context.newPage());
          const errors: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') errors.push(m.text());
          });
          const requests: string[] = [];
          page.on('request', (r) => requests.push(r.url()));
          await page.goto(`file://${file}`);
          const drawn = await page.$$eval('svg[data-chart="cost-slo"] g[data-point] circle', (cs) =>
            cs.map((c) => (c as SVGCircleElement).getBBox().width),
          );
          expect(drawn).toHaveLength(5);
          expect(drawn.every((w) => w > 0)).toBe(true);
          expect(errors).toEqual([]);
          expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
        } finally {
          await context.close();
          await rm(dir, { recursive: true, force: true });
        }
      }, 60_000);
    },
  );
});
