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
import { renderReport } from '../../local/sim/report.ts';
import { type RunResult, runSimulation } from '../../local/sim/runner.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import { formatSummaryTable, summaryJson } from '../../local/sim/summary.ts';
import { defaultDayTrace } from '../../local/sim/trace.ts';

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
    html = renderReport(result);
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

  it('draws the three charts and one summary row per controller', () => {
    for (const chart of ['capacity', 'nodes', 'cost', 'timeline']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html.match(/<tbody>/g)?.length).toBeGreaterThanOrEqual(1);
    expect(result.runs.map((r) => r.name)).toEqual(['autoscaler', 'reactive', 'hpa', 'karpenter', 'static', 'oracle']);
    const table = formatSummaryTable(result);
    expect(table.split('\n')).toHaveLength(2 + 6);
    expect(table).toMatch(/^controller\s+cost USD\s+x oracle/);
  });

  it('prints the --json object with every figure for every controller', () => {
    const json = summaryJson(result);
    expect(Object.keys(json.results)).toEqual(['autoscaler', 'reactive', 'hpa', 'karpenter', 'static', 'oracle']);
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
    `in headless Chromium (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`,
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
          expect(charts.map((c) => c.name)).toEqual(['capacity', 'nodes', 'cost', 'timeline']);
          for (const c of charts) {
            expect(c.width, c.name!).toBeGreaterThan(100);
            expect(c.height, c.name!).toBeGreaterThan(50);
            expect(c.drawn, c.name!).toBeGreaterThan(0);
          }
          // The capacity chart stacks AWS (spot and on-demand g5) under the demand line; the cost chart has a
          // line per controller.
          expect(
            await page.$$eval('svg[data-chart="capacity"] path.area', (p) =>
              p.map((x) => x.getAttribute('data-series')),
            ),
          ).toEqual(['aws']);
          expect(await page.$$eval('svg[data-chart="cost"] path.line', (p) => p.length)).toBe(6);
          expect(await page.$$eval('table.summary tbody tr', (rows) => rows.length)).toBe(6);
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
