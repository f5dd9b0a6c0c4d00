import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBaselines } from '../../local/sim/baselines/index.ts';
import type { Controller } from '../../local/sim/controller.ts';
import { demoFleet } from '../../local/sim/demo.ts';
import { formatHours, renderReport, sloWindows, verdict } from '../../local/sim/report.ts';
import { type RunResult, runSimulation } from '../../local/sim/runner.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import { formatSummaryTable, summaryJson } from '../../local/sim/summary.ts';
import { defaultDayTrace } from '../../local/sim/trace.ts';
import { CONTROLLERS } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

/** Stands in for the autoscaler in these tests: replaces interrupted spot nodes with on-demand ones. */
const replacer: Controller = {
  name: 'autoscaler',
  async start(ctx) {
    ctx.record({ kind: 'note', message: 'test controller <started> & ready' });
  },
  async step(ctx) {
    const notices = ctx.events.filter((e) => e.type === 'interruption-notice').length;
    if (notices > 0) ctx.world.setDesired('aws-g5-ondemand', ctx.world.pool('aws-g5-ondemand')!.desired + notices);
  },
  async stop() {},
};

async function twoHours(): Promise<RunResult> {
  const demo = demoFleet();
  // Spot capacity everywhere, then us-east-1a loses it all at 30 minutes.
  const spot: SpotSchedule = {
    source: 'test schedule',
    mapping: [],
    changes: [
      { t: 0, poolId: 'aws-g5-spot', zone: 'us-east-1a', capacity: 12 },
      { t: 0, poolId: 'aws-g5-spot', zone: 'us-east-1b', capacity: 12 },
      { t: 1800, poolId: 'aws-g5-spot', zone: 'us-east-1a', capacity: 0 },
    ],
  };
  return runSimulation({
    trace: defaultDayTrace({ seed: 3, scale: demo.defaultDayScale, hours: 2 }),
    spot,
    demo,
    hours: 2,
    seed: 3,
    controllers: [replacer, ...createBaselines()],
  });
}

describe('the report and the summary', () => {
  let result: RunResult;
  let html: string;
  beforeAll(async () => {
    result = await twoHours();
    html = renderReport(result, { availability: 0.999 });
  });

  it('is one self-contained file: no script, stylesheet, font or image from anywhere', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // The only URL is the SVG namespace.
    expect([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0])).toEqual(
      expect.arrayContaining(['http://www.w3.org/2000/svg']),
    );
    expect(new Set([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]))).toEqual(
      new Set(['http://www.w3.org/2000/svg']),
    );
    // Text from controllers is escaped.
    expect(html).toContain('test controller &lt;started&gt; &amp; ready');
  });

  it.each([
    { hours: 22.333333333333332, text: '22 h 20 min' },
    { hours: 2, text: '2 h' },
    { hours: 0.75, text: '45 min' },
    { hours: 50, text: '2 d 2 h' },
    { hours: 0.001, text: '4 s' },
  ])('formats a run of $hours h as $text', ({ hours, text }) => {
    expect(formatHours(hours)).toBe(text);
  });

  it('SLO over time: windows of ~1/96 of the run; a window without demand has no attainment; PASS at the target', () => {
    // 4 steps of 60 s over 4 minutes: a window per step.
    const w = sloWindows({ t: [0, 60, 120, 180], offeredRps: [10, 10, 0, 4], servedRps: [10, 5, 0, 4] }, 60, 4 / 60);
    expect(w.map((x) => x.attainment)).toEqual([1, 0.5, undefined, 1]);
    expect(w[1]).toMatchObject({ from: 1 / 60, to: 2 / 60 });
    expect(verdict(0.999, 0.999)).toBe('PASS');
    expect(verdict(0.99899, 0.999)).toBe('MISS');
  });

  it('the SLO chart has the target line and PASS or MISS per controller; capacity by type; a small multiple per other controller', () => {
    expect(html).toContain('data-chart="slo"');
    expect(html).toContain('data-series="target"');
    expect(html).toMatch(/<span class="(pass|miss)">(PASS|MISS)<\/span>/);
    expect(html.match(/data-chart="multiple"/g)).toHaveLength(6);
    expect(html).toContain('2 h from 2026-01-05T00:00:00Z');
    // The zone lost at 30 min: its interruption is marked on the capacity chart.
    const capacity = html.slice(html.indexOf('data-chart="capacity"'), html.indexOf('data-chart="multiple"'));
    expect(capacity).toContain('data-kind="interruption"');
  });

  it('capacity by type adds up to capacity by cloud at every step', () => {
    for (const run of result.runs) {
      run.series.t.forEach((_, k) => {
        const byType = Object.values(run.series.capacityRpsByType).reduce((a, xs) => a + xs[k]!, 0);
        const byCloud = Object.values(run.series.capacityRpsByCloud).reduce((a, xs) => a + xs[k]!, 0);
        expect(byType).toBeCloseTo(byCloud, 9);
      });
    }
  });

  it('a pool the cloud cannot grow (no spot capacity) is a launch failure on the timeline', async () => {
    const demo = demoFleet();
    const asker: Controller = {
      name: 'asker',
      async start() {},
      async step(ctx) {
        if (ctx.stepIndex === 2) ctx.world.setDesired('aws-g5-spot', 3);
      },
      async stop() {},
    };
    const r = await runSimulation({
      trace: defaultDayTrace({ seed: 3, scale: demo.defaultDayScale, hours: 0.1 }),
      spot: {
        source: 'none',
        mapping: [],
        changes: [
          { t: 0, poolId: 'aws-g5-spot', zone: 'us-east-1a', capacity: 0 },
          { t: 0, poolId: 'aws-g5-spot', zone: 'us-east-1b', capacity: 0 },
        ],
      },
      demo,
      hours: 0.1,
      seed: 3,
      controllers: [asker],
    });
    const failed = r.runs[0]!.timeline.filter((e) => e.kind === 'launch-failed');
    // The demo starts with 2 spot nodes asked for: short from the start. Asked for 3 at the end of step 2,
    // seen one more short at the start of step 3; not reported again while the shortfall stays the same.
    expect(failed.map((e) => [e.poolId, (e.at - r.startMs) / 60_000])).toEqual([
      ['aws-g5-spot', 0],
      ['aws-g5-spot', 3],
    ]);
    expect(failed[1]!.message).toBe('aws-g5-spot: 3 of 3 node(s) could not launch (no capacity)');
    expect(renderReport(r)).toContain('data-kind="launch-failed"');
  });

  it('without a target: no target line, no verdict', () => {
    const plain = renderReport(result);
    expect(plain).not.toContain('data-series="target"');
    expect(plain).toContain('target not given');
  });

  it('a decision is labelled with the rule that acted', () => {
    const run = result.runs[0]!;
    const labelled = {
      ...result,
      runs: [
        {
          ...run,
          timeline: [
            ...run.timeline,
            {
              at: result.startMs + 600_000,
              kind: 'action',
              message: 'forecast on tick: llm-demo 2 -> 4 nodes (applied)',
              rule: 'demand.rps+demand.headroom; safety.max-step 6->4',
            },
          ],
        },
        ...result.runs.slice(1),
      ],
    };
    const out = renderReport(labelled);
    expect(out).toContain('data-rule="demand.rps+demand.headroom; safety.max-step 6-&gt;4"');
    expect(out).toContain('<td>demand.rps+demand.headroom; safety.max-step 6-&gt;4</td>');
  });

  it('draws the charts and one summary row per controller', () => {
    for (const chart of ['slo', 'capacity', 'multiple', 'nodes', 'cost', 'timeline'])
      expect(html).toContain(`data-chart="${chart}"`);
    expect(html.match(/<tbody>/g)?.length).toBeGreaterThanOrEqual(1);
    expect(result.runs.map((r) => r.name)).toEqual([...CONTROLLERS]);
    const table = formatSummaryTable(result);
    expect(table.split('\n')).toHaveLength(2 + 7);
    expect(table).toMatch(/^controller\s+cost USD\s+x oracle/);
  });

  it('prints the --json object with every figure for every controller', () => {
    const json = summaryJson(result);
    expect(Object.keys(json.results)).toEqual([...CONTROLLERS]);
    for (const s of Object.values(json.results)) {
      for (const k of [
        'cost_usd',
        'slo_attainment',
        'unserved_requests',
        'gpu_hours',
        'idle_fraction',
        'scaling_actions',
        'interruptions',
        'worst_hour_slo',
      ]) {
        expect(typeof (s as unknown as Record<string, unknown>)[k]).toBe('number');
      }
    }
    // The zone lost at 30 min held one of the two spot nodes; the notice lands at 30:00 and the stand-in
    // replaces it in its call at 30:00: 0 s.
    expect(json.results.autoscaler!.interruptions).toBe(1);
    expect(json.results.autoscaler!.max_replacement_seconds).toBe(0);
    expect(json.results.oracle!.slo_attainment).toBe(1);
    expect(json.run).toMatchObject({ hours: 2, step_seconds: 60, seed: 3, spot: 'test schedule' });
  });

  describe.skipIf(!haveChromium)(
    `in headless Chromium${haveChromium ? '' : ` (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`}`,
    () => {
      it('renders every chart with drawn marks and no console error', async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'report-'));
        const file = path.join(dir, 'report.html');
        await writeFile(file, html, 'utf8');
        const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
          executablePath: CHROMIUM,
          headless: true,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        });
        try {
          const page = await context.newPage();
          const errors: string[] = [];
          const requests: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') errors.push(m.text());
          });
          page.on('pageerror', (e) => errors.push(e.message));
          page.on('request', (r) => requests.push(r.url()));
          await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
          const charts = await page.$$eval('svg.chart', (svgs) =>
            svgs.map((svg) => {
              const box = svg.getBoundingClientRect();
              const marks = Array.from(svg.querySelectorAll('path.area, path.line, rect.mark')).filter((el) => {
                const b = (el as SVGGraphicsElement).getBBox();
                return b.width > 0 && b.height > 0;
              });
              return {
                name: svg.getAttribute('data-chart'),
                width: box.width,
                height: box.height,
                drawn: marks.length,
              };
            }),
          );
          expect(charts.map((c) => c.name)).toEqual([
            'slo',
            'capacity',
            ...Array(6).fill('multiple'),
            'nodes',
            'cost',
            'timeline',
          ]);
          for (const c of charts) {
            expect(c.width, c.name!).toBeGreaterThan(100);
            expect(c.height, c.name!).toBeGreaterThan(50);
            expect(c.drawn, c.name!).toBeGreaterThan(0);
          }
          // The capacity chart stacks on-demand and spot (the g5 pools) under the demand line; the cost chart
          // has a line per controller; the SLO chart one per controller and the target.
          expect(
            await page.$$eval('svg[data-chart="capacity"] path.area', (p) =>
              p.map((x) => x.getAttribute('data-series')),
            ),
          ).toEqual(expect.arrayContaining(['on-demand', 'spot']));
          expect(await page.$$eval('svg[data-chart="slo"] path.line', (p) => p.length)).toBe(7);
          expect(await page.$$eval('svg[data-chart="slo"] line.target', (p) => p.length)).toBe(1);
          expect(await page.$$eval('svg[data-chart="cost"] path.line', (p) => p.length)).toBe(7);
          expect(await page.$$eval('table.summary tbody tr', (rows) => rows.length)).toBe(7);
          expect(await page.$$eval('table.costs tbody tr', (rows) => rows.length)).toBe(7);
          expect(errors).toEqual([]);
          expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
        } finally {
          await context.close();
          await rm(dir, { recursive: true, force: true });
        }
      });
    },
  );
});
