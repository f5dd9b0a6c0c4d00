/**
 * The simulation part of `npm run bench`: the autoscaler (the real handlers over the emulators) and the
 * baselines on the default day and on the public Azure LLM demand traces, spot preemptions on, with the same
 * building blocks as `autoscaler simulate` (local/cli/commands/simulate.ts). Per scenario: each
 * controller's cost and SLO attainment, the autoscaler's cost as a ratio of each, and the issue's targets.
 *
 * Scenarios:
 * - the default day (seed 002's pattern, local/sim/README.md), 24 h, the default seeded spot process: the
 *   same run as `autoscaler simulate --seed N`;
 * - the same day with the AWS2 spot traces (`--spot-trace ../shared/traces/spot_availability/AWS2`);
 * - the 2023 conversation and code traces (~1 h, per minute) and one day (Tuesday 2024-05-14 UTC) of the
 *   2024 conversation and code traces, with the default spot process.
 *
 * Scaling a trace to the demo fleet: the default day's peak is seed 002's busiest hour (200 requests/s)
 * times the demo's scale (the baseline pool's rpsPerNode / 10 = 3.9): 781 requests/s, 20 g5.xlarge nodes'
 * worth. A trace is multiplied by that peak over its own busiest interval within the measured window (a
 * minute for 2023, ~7.2 minutes for 2024), so its busiest interval asks for the default day's peak.
 *
 * Warm-up: every controller but the oracle starts with a small fleet (the demo's 4 nodes, reactive's 2),
 * which fits the default day's midnight but not a trace cut in the middle of its activity: the first
 * 10 minutes (the time to ready) would be lost by everyone, whatever the autoscaler does. So a trace run
 * starts early and the figures (cost, SLO) are measured after a warm-up: the 2024 day starts at 22:00 the
 * day before (2 h of the trace itself); a 2023 trace is played twice and measured on the second pass. The
 * 2024 runs also give the autoscaler up to 48 h of the trace before the run (the metrics history its
 * forecaster reads in production; the conversation trace has 46 h before it). The simulated clock shows the trace's own weekday and UTC time of day (the
 * demo's business-hours schedule and capacity block follow it).
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createAutoscalerController } from '../local/sim/autoscaler.ts';
import { createBaselines } from '../local/sim/baselines/index.ts';
import { DEMO_START, type DemoFleet, demoFleet } from '../local/sim/demo.ts';
import { createProgressReporter } from '../local/sim/progress.ts';
import { type ControllerRun, type ControllerSummary, type RunResult, runSimulation } from '../local/sim/runner.ts';
import { defaultSpotProcess, loadSpotTraces, scheduleFromTraces, spotSlots } from '../local/sim/spot.ts';
import {
  type DemandTrace,
  defaultDayTrace,
  loadTraceCsv,
  SEED_HOURLY_RPS,
  scaleTrace,
  splitCsv,
  type TraceCsvOptions,
} from '../local/sim/trace.ts';

const STEP_SECONDS = 60;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The issue's first targets. */
export const TARGETS = { sloAttainment: 0.995, maxCostVsOracle: 1.3, maxCostVsBaseline: 0.7 } as const;
/** The controllers the autoscaler's cost is compared with for the third target (the oracle is a bound, not one). */
export const BASELINES = ['reactive', 'hpa', 'static'] as const;

export interface Scenario {
  /** Short name for the summary table, e.g. `azure2024 conv (Tue)`. */
  name: string;
  /** As simulated: t = 0 at the run's start (the warm-up included). */
  trace: DemandTrace;
  hours: number;
  /** Steps at the start of the run left out of the figures. */
  warmupSteps: number;
  /** The simulated start (ms since the epoch). */
  startMs: number;
  /** A folder or file of spot traces; the default seeded process without. */
  spotTrace?: string;
  /** Demand before the run for the autoscaler's forecaster (t < 0). */
  history?: DemandTrace;
  /** How the trace was cut and scaled, for the report. */
  notes: string[];
}

/** Figures over the measured window (after the warm-up). */
export interface WindowFigures {
  cost_usd: number;
  slo_attainment: number;
  offered_requests: number;
  served_requests: number;
  unserved_requests: number;
}

export interface TargetCheck {
  target: string;
  /** null: the target does not apply (no baseline reaches the autoscaler's attainment). */
  pass: boolean | null;
  detail: string;
}

export interface ScenarioResult {
  scenario: { name: string; hours: number; warmup_hours: number; start: string; notes: string[] };
  run: { trace: string; spot: string; seed: number };
  /** By controller, measured after the warm-up; `autoscaler_cost_ratio` is the autoscaler's cost / this one's. */
  results: Record<string, WindowFigures & { autoscaler_cost_ratio: number | null }>;
  /** Each controller's figures over the whole run, warm-up included (the runner's summary). */
  whole_run: Record<string, ControllerSummary>;
  targets: TargetCheck[];
  seconds: number;
}

/** Seed 002's busiest hour on the demo fleet: the default day's peak (781 requests/s) that traces are scaled to. */
export function defaultDayPeakRps(demo: DemoFleet): number {
  return Math.max(...SEED_HOURLY_RPS) * demo.defaultDayScale;
}

/**
 * The part of a trace in [from, to) seconds, t = 0 at `from` (an interval cut by `from` starts at 0). Rates
 * are piecewise constant, so nothing is interpolated.
 */
export function sliceTrace(trace: DemandTrace, from: number, to: number, source = trace.source): DemandTrace {
  if (!(from >= 0 && to > from && to <= trace.durationSeconds + 1e-9)) {
    throw new Error(`cannot cut [${from}, ${to}) s out of ${trace.source} (${trace.durationSeconds} s long)`);
  }
  const points = trace.points
    .filter((p, i) => {
      const end = i + 1 < trace.points.length ? trace.points[i + 1]!.t : trace.durationSeconds;
      return end > from && p.t < to;
    })
    .map((p) => ({ t: Math.max(0, p.t - from), rps: p.rps }));
  return { stepSeconds: trace.stepSeconds, points, durationSeconds: to - from, source };
}

/** The highest rate of any interval of a trace. */
export const peakRps = (trace: DemandTrace) => Math.max(...trace.points.map((p) => p.rps));

/** The demo's start moved to the same weekday (DEMO_START is a Monday) and UTC time of day as `utcMs`. */
export function alignedStart(utcMs: number): number {
  const d = new Date(utcMs);
  const dayOfWeekFromMonday = (d.getUTCDay() + 6) % 7;
  return DEMO_START + dayOfWeekFromMonday * DAY_MS + (((utcMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The figures of a run after its first `fromStep` steps, from the runner's per-step series. */
export function windowFigures(run: ControllerRun, fromStep: number, stepSeconds: number): WindowFigures {
  const s = run.series;
  if (fromStep < 0 || fromStep >= s.t.length) throw new Error(`window start ${fromStep} outside 0..${s.t.length - 1}`);
  let offered = 0;
  let served = 0;
  for (let k = fromStep; k < s.t.length; k++) {
    offered += s.offeredRps[k]! * stepSeconds;
    served += s.servedRps[k]! * stepSeconds;
  }
  const cost = s.costUsd[s.costUsd.length - 1]! - (fromStep > 0 ? s.costUsd[fromStep - 1]! : 0);
  return {
    cost_usd: cost,
    slo_attainment: offered > 0 ? served / offered : 1,
    offered_requests: offered,
    served_requests: served,
    unserved_requests: Math.max(0, offered - served),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;

/** The issue's targets for the autoscaler against the oracle and the baselines (figures of one window). */
export function checkTargets(figures: Record<string, WindowFigures>): TargetCheck[] {
  const a = figures.autoscaler;
  const oracle = figures.oracle;
  if (!a || !oracle) throw new Error('the targets need the autoscaler and the oracle');
  const vsOracle = a.cost_usd / oracle.cost_usd;
  const reaching = BASELINES.filter((b) => figures[b] && figures[b]!.slo_attainment >= a.slo_attainment).sort(
    (x, y) => figures[x]!.cost_usd - figures[y]!.cost_usd,
  );
  const cheapest = reaching[0];
  const vsBaseline = cheapest ? a.cost_usd / figures[cheapest]!.cost_usd : undefined;
  return [
    {
      target: `SLO attainment >= ${pct(TARGETS.sloAttainment)}`,
      pass: a.slo_attainment >= TARGETS.sloAttainment,
      detail: pct(a.slo_attainment),
    },
    {
      target: `cost <= ${TARGETS.maxCostVsOracle} x oracle`,
      pass: vsOracle <= TARGETS.maxCostVsOracle,
      detail: `${vsOracle.toFixed(2)}x ($${a.cost_usd.toFixed(2)} vs $${oracle.cost_usd.toFixed(2)})`,
    },
    cheapest && vsBaseline !== undefined
      ? {
          target: `cost <= ${TARGETS.maxCostVsBaseline} x cheapest baseline at the same SLO`,
          pass: vsBaseline <= TARGETS.maxCostVsBaseline,
          detail: `${vsBaseline.toFixed(2)}x ${cheapest} ($${figures[cheapest]!.cost_usd.toFixed(2)}, ${pct(figures[cheapest]!.slo_attainment)})`,
        }
      : {
          target: `cost <= ${TARGETS.maxCostVsBaseline} x cheapest baseline at the same SLO`,
          pass: null,
          detail: `no baseline reaches ${pct(a.slo_attainment)}`,
        },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

/** The default day, as `autoscaler simulate` runs it; with the spot traces of `spotTrace` if given. */
export function defaultDayScenario(seed: number, spotTrace?: string): Scenario {
  const demo = demoFleet();
  return {
    name: spotTrace ? `default day, spot ${path.basename(spotTrace)}` : 'default day',
    trace: defaultDayTrace({ seed, scale: demo.defaultDayScale, hours: 24, stepSeconds: STEP_SECONDS }),
    hours: 24,
    warmupSteps: 0,
    startMs: demo.startMs,
    ...(spotTrace ? { spotTrace } : {}),
    notes: [
      `seed 002's hourly pattern x ${demo.defaultDayScale.toFixed(2)} (peak ${defaultDayPeakRps(demo).toFixed(0)} requests/s) with 8% AR(1) noise`,
    ],
  };
}

/** The UTC time of a trace's t = 0: its first row's timestamp minus that row's offset. */
async function traceOriginMs(file: string, timestampColumn: string, offsetColumn: string, offsetSeconds: number) {
  const rows = splitCsv(await readFile(file, 'utf8'));
  const header = rows[0]!.fields.map((h) => h.trim());
  const first = rows[1]!.fields;
  const stamp = Date.parse(`${first[header.indexOf(timestampColumn)]!.trim()}Z`);
  const offset = Number(first[header.indexOf(offsetColumn)]);
  if (!Number.isFinite(stamp) || !Number.isFinite(offset)) throw new Error(`${file}: cannot read the first row's time`);
  // Timestamps are rounded to the minute: so is the origin.
  return { origin: Math.round((stamp - offset * offsetSeconds * 1000) / 60_000) * 60_000, firstOffset: offset };
}

/**
 * A 2023 trace (per minute, ~1 h): its first and last minutes are dropped (the capture starts and ends inside
 * them), the rest scaled to the default day's peak, played twice and measured on the second pass.
 */
export async function azure2023Scenario(tracesDir: string, kind: 'conv' | 'code'): Promise<Scenario> {
  const file = path.join(tracesDir, 'azure_llm_2023', `azure2023_${kind}_per_minute.csv`);
  const raw = await loadTraceCsv(file);
  const { origin } = await traceOriginMs(file, 't_start_utc', 'offset_s', 1);
  const cut = sliceTrace(raw, 60, raw.durationSeconds - 60);
  const demo = demoFleet();
  const factor = Number((defaultDayPeakRps(demo) / peakRps(cut)).toFixed(3));
  const trace = scaleTrace(
    { ...cut, source: `${path.relative(path.dirname(tracesDir), file)} minutes 2..${raw.points.length - 1}` },
    factor,
  );
  const hours = (2 * trace.durationSeconds) / 3600;
  return {
    name: `azure2023 ${kind}`,
    trace,
    hours,
    warmupSteps: Math.round(trace.durationSeconds / STEP_SECONDS),
    startMs: alignedStart(origin + 60_000),
    notes: [
      `${new Date(origin + 60_000).toISOString().slice(0, 16)} UTC, ${(trace.durationSeconds / 60).toFixed(0)} min (first and last, partial, minutes dropped)`,
      `x ${factor}: busiest minute ${peakRps(cut).toFixed(2)} -> ${defaultDayPeakRps(demo).toFixed(0)} requests/s (mean ${meanOf(trace).toFixed(0)})`,
      'played twice, measured on the second pass',
    ],
  };
}

function meanOf(trace: DemandTrace): number {
  let total = 0;
  trace.points.forEach((p, i) => {
    const end = i + 1 < trace.points.length ? trace.points[i + 1]!.t : trace.durationSeconds;
    total += p.rps * (end - p.t);
  });
  return total / trace.durationSeconds;
}

/**
 * One UTC day of a 2024 trace (digitized rpm, one week), scaled to the default day's peak over that day,
 * with a 2 h warm-up on the trace before it and up to 48 h of history before that for the forecaster.
 */
export async function azure2024Scenario(
  tracesDir: string,
  kind: 'conv' | 'code',
  dayUtc = '2024-05-14',
): Promise<Scenario> {
  const file = path.join(tracesDir, 'azure_llm_2024', `azure2024_${kind}_digitized_rpm.csv`);
  const options: TraceCsvOptions = { timeColumn: 'offset_min', valueColumn: 'rpm_mid', valueUnit: 'rpm' };
  const raw = await loadTraceCsv(file, options);
  const { origin, firstOffset } = await traceOriginMs(file, 't_approx_utc', 'offset_min', 60);
  // loadTraceCsv puts t = 0 at the first row, which is `firstOffset` minutes after the origin.
  const t0 = origin + firstOffset * 60_000;
  const dayStart = Date.parse(`${dayUtc}T00:00:00Z`);
  const warmup = 2 * 3600;
  const from = (dayStart - t0) / 1000 - warmup;
  const to = (dayStart + DAY_MS - t0) / 1000;
  if (from < 0 || to > raw.durationSeconds) throw new Error(`${file} does not cover ${dayUtc} and the 2 h before it`);
  const demo = demoFleet({ startMs: alignedStart(t0 + from * 1000) });
  const day = sliceTrace(raw, from + warmup, to);
  const factor = Number((defaultDayPeakRps(demo) / peakRps(day)).toFixed(3));
  const source = `${path.relative(path.dirname(tracesDir), file)} ${dayUtc} (from 22:00 the day before)`;
  const trace = scaleTrace(sliceTrace(raw, from, to, source), factor);
  const historyFrom = Math.max(0, from - 48 * 3600);
  const past = scaleTrace(sliceTrace(raw, historyFrom, from), factor);
  const history: DemandTrace = {
    ...past,
    points: past.points.map((p) => ({ t: p.t - (from - historyFrom), rps: p.rps })),
  };
  const weekday = new Date(dayStart).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return {
    name: `azure2024 ${kind} (${weekday})`,
    trace,
    hours: (to - from) / 3600,
    warmupSteps: warmup / STEP_SECONDS,
    startMs: demo.startMs,
    history,
    notes: [
      `${dayUtc} (${weekday}) 00:00-24:00 UTC, rpm_mid (digitized, ~7.2 min steps)`,
      `x ${factor}: busiest interval of the day ${peakRps(day).toFixed(1)} -> ${defaultDayPeakRps(demo).toFixed(0)} requests/s (mean ${meanOf(scaleTrace(day, factor)).toFixed(0)})`,
      `2 h warm-up (22:00-24:00 the day before), ${((from - historyFrom) / 3600).toFixed(0)} h of history before it for the forecaster`,
    ],
  };
}

/**
 * Every scenario; the trace scenarios only when `tracesDir` exists (else `skipped` says why). A trace that
 * cannot be read is reported in `errors` and the others still run.
 */
export async function scenarios(
  seed: number,
  tracesDir: string,
): Promise<{ scenarios: Scenario[]; skipped?: string; errors: string[] }> {
  const list: Scenario[] = [defaultDayScenario(seed)];
  try {
    await access(tracesDir);
  } catch {
    return {
      scenarios: list,
      skipped: `${tracesDir} is absent: the spot-trace and demand-trace runs are skipped`,
      errors: [],
    };
  }
  const errors: string[] = [];
  const builders: Array<[string, () => Scenario | Promise<Scenario>]> = [
    ['default day, spot AWS2', () => defaultDayScenario(seed, path.join(tracesDir, 'spot_availability', 'AWS2'))],
    ['azure2023 conv', () => azure2023Scenario(tracesDir, 'conv')],
    ['azure2023 code', () => azure2023Scenario(tracesDir, 'code')],
    ['azure2024 conv', () => azure2024Scenario(tracesDir, 'conv')],
    ['azure2024 code', () => azure2024Scenario(tracesDir, 'code')],
  ];
  for (const [name, build] of builders) {
    try {
      list.push(await build());
    } catch (e) {
      errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { scenarios: list, errors };
}

// ---------------------------------------------------------------------------------------------------------
// Running

export interface RunScenarioOptions {
  seed: number;
  cwd: string;
  /** Progress and diagnostics (standard error). */
  log: (line: string) => void;
  tty?: { write: (text: string) => void; columns?: number };
}

/** Runs the autoscaler and the baselines on a scenario, as `autoscaler simulate` assembles a run. */
export async function runScenario(s: Scenario, o: RunScenarioOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const demo = demoFleet({ startMs: s.startMs });
  const slots = spotSlots(demo.worldPools);
  const spot = s.spotTrace
    ? scheduleFromTraces(await loadSpotTraces(s.spotTrace), slots, s.hours * 3600, s.spotTrace)
    : defaultSpotProcess({ seed: o.seed, slots, durationSeconds: s.hours * 3600 });
  const autoscaler = createAutoscalerController({
    demo,
    seed: o.seed,
    hours: s.hours,
    stepSeconds: STEP_SECONDS,
    cwd: o.cwd,
    log: o.log,
    ...(s.history ? { history: s.history } : {}),
  });
  const progress = createProgressReporter({
    ...(o.tty ? { tty: o.tty } : {}),
    line: (t) => o.log(t.replace(/^simulate:/, `${s.name}:`)),
  });
  let result: RunResult;
  try {
    result = await runSimulation({
      trace: s.trace,
      spot,
      demo,
      hours: s.hours,
      seed: o.seed,
      stepSeconds: STEP_SECONDS,
      controllers: [autoscaler, ...createBaselines()],
      onProgress: progress.update,
    });
  } finally {
    progress.done();
  }
  const figures: Record<string, WindowFigures> = {};
  for (const r of result.runs) {
    figures[r.name] = windowFigures(r, s.warmupSteps, result.stepSeconds);
    if (s.warmupSteps === 0) assertSameAsSummary(r, figures[r.name]!);
  }
  const a = figures.autoscaler!;
  return {
    scenario: {
      name: s.name,
      hours: s.hours,
      warmup_hours: (s.warmupSteps * STEP_SECONDS) / 3600,
      start: new Date(s.startMs).toISOString(),
      notes: s.notes,
    },
    run: { trace: result.trace.source, spot: result.spot.source, seed: o.seed },
    results: Object.fromEntries(
      Object.entries(figures).map(([name, f]) => [
        name,
        { ...f, autoscaler_cost_ratio: f.cost_usd > 0 ? a.cost_usd / f.cost_usd : null },
      ]),
    ),
    whole_run: Object.fromEntries(result.runs.map((r) => [r.name, r.summary])),
    targets: checkTargets(figures),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Without a warm-up the window is the whole run: the series must add up to the runner's own summary. */
function assertSameAsSummary(run: ControllerRun, f: WindowFigures): void {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  const s = run.summary;
  if (
    !close(f.cost_usd, s.cost_usd) ||
    !close(f.offered_requests, s.offered_requests) ||
    !close(f.served_requests, s.served_requests)
  ) {
    throw new Error(
      `${run.name}: the per-step series (cost ${f.cost_usd}, served ${f.served_requests}/${f.offered_requests}) ` +
        `do not add up to the run's summary (cost ${s.cost_usd}, served ${s.served_requests}/${s.offered_requests})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Printing

const mark = (pass: boolean | null) => (pass === null ? 'n/a ' : pass ? 'PASS' : 'MISS');

/** Columns aligned: the first left, the others right. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One scenario: how it was built, each controller's figures, the autoscaler's whole-run events, the targets. */
export function formatScenario(r: ScenarioResult): string {
  const order = ['autoscaler', 'reactive', 'hpa', 'static', 'oracle'];
  const names = [...order.filter((n) => r.results[n]), ...Object.keys(r.results).filter((n) => !order.includes(n))];
  const oracle = r.results.oracle!;
  const rows = names.map((n) => {
    const f = r.results[n]!;
    return [
      n,
      f.cost_usd.toFixed(2),
      (f.cost_usd / oracle.cost_usd).toFixed(2),
      f.autoscaler_cost_ratio === null ? '-' : f.autoscaler_cost_ratio.toFixed(2),
      pct(f.slo_attainment),
      Math.round(f.unserved_requests).toLocaleString('en-US'),
    ];
  });
  const a = r.whole_run.autoscaler!;
  const measured =
    r.scenario.warmup_hours > 0
      ? `measured over the last ${(r.scenario.hours - r.scenario.warmup_hours).toFixed(2)} h of ${r.scenario.hours.toFixed(2)} h`
      : `${r.scenario.hours} h`;
  return [
    `${r.scenario.name}: ${measured}, simulated from ${r.scenario.start}; ${r.seconds.toFixed(0)} s`,
    ...r.scenario.notes.map((n) => `  ${n}`),
    `  spot: ${r.run.spot}`,
    '',
    table(['controller', 'cost USD', 'x oracle', 'autoscaler / this', 'SLO', 'unserved'], rows),
    '',
    `autoscaler over the whole run: ${a.scaling_actions} scaling actions, ${a.interruptions} interruptions, ` +
      `longest replacement ${a.max_replacement_seconds === null ? '-' : `${Math.round(a.max_replacement_seconds)} s`}, ` +
      `${a.unreplaced_interruptions} not replaced`,
    ...r.targets.map((t) => `  ${mark(t.pass)}  ${t.target}: ${t.detail}`),
  ].join('\n');
}

/** All scenarios in one table: the autoscaler's SLO and cost ratios, each baseline's SLO, the targets. */
export function formatSimSummary(results: ScenarioResult[]): string {
  const rows = results.map((r) => {
    const f = r.results;
    const ratio = (n: string) => (f[n]?.autoscaler_cost_ratio == null ? '-' : f[n]!.autoscaler_cost_ratio!.toFixed(2));
    return [
      r.scenario.name,
      pct(f.autoscaler!.slo_attainment),
      ratio('oracle'),
      ...BASELINES.map((b) => `${ratio(b)} (${f[b] ? pct(f[b]!.slo_attainment) : '-'})`),
      r.targets.map((t) => mark(t.pass).trim()).join(' '),
    ];
  });
  return table(
    [
      'scenario',
      'autoscaler SLO',
      'cost / oracle',
      ...BASELINES.map((b) => `cost / ${b} (its SLO)`),
      'targets: SLO, oracle, baseline',
    ],
    rows,
  );
}
