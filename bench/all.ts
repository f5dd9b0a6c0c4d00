/**
 * `npm run bench`: the project's benchmark. Prints, for the README:
 *
 * 1. the handlers' warm decision latency (p50, p99), as a ratio of a DynamoDB round trip measured in the same
 *    run, and the decision's critical path with round trips added at the servers (requests, round trips in a
 *    row to the first capacity write, the cordon and the end, the issue's targets PASS or MISS) (bench/latency.ts);
 * 2. on the default day and on every demand trace in ../shared/traces (when present), with the default spot
 *    process and with each set of spot availability traces (AWS1, AWS2, AWS3, GCP1), the autoscaler at availability 0.99, 0.995 and 0.999 with the
 *    demo's warm capacity (and at 0.999 without it, side by side) and the baselines (karpenter included):
 *    SLO attainment, worst hour, cost, cost / oracle, the SLO issue's and the warm issue's targets PASS or
 *    MISS (bench/sim.ts, run in worker processes by bench/sim-pool.ts), and an HTML report with a
 *    cost-versus-SLO chart per scenario (out/bench-report.html);
 *    the forecast's accuracy on the traces with a season of history (local/sim/forecast-accuracy.ts);
 * 3. per bundled function, its size and import time as a ratio of a bare Node start (bench/bundles.ts, run
 *    as its own process: it times fresh Node processes);
 * 4. the bundled spot-interruption function's init and first decision in a fresh process against a warm
 *    decision, with and without the adapters' preload, over the local stack (bench/coldstart.ts).
 *
 * A missed target is reported, not an error: the process exits 0 unless a part of the benchmark could not
 * run. Progress goes to standard error; `--json` prints one JSON object on standard output instead of the
 * report.
 *
 *   npm run bench -- [--json] [--seed N] [--only latency,sim,forecast,bundles,coldstart] [--quick] [--scenarios LIST]
 *                    [--spots LIST] [--days LIST] [--targets LIST] [--workers N] [--report FILE] [--traces DIR] [--rounds N] [--path-events N]
 *                    [--bundle-runs N] [--coldstart-runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { renderBenchReport } from '../local/sim/bench-report.ts';
import { type ForecastAccuracy, forecastAccuracy } from '../local/sim/forecast-accuracy.ts';
import { traceName } from '../local/sim/trace-detect.ts';
import { loadTraceCsv } from '../local/sim/trace.ts';
import { type ColdstartResult, formatColdStart, measureColdStart } from './coldstart.ts';
import {
  type CriticalPathResult,
  formatCriticalPath,
  formatLatency,
  type LatencyResult,
  measureCriticalPath,
  measureDecisionLatency,
  pathTargets,
  type SameRunBefore,
} from './latency.ts';
import {
  AVAILABILITIES,
  AZURE2024_CSV,
  buildScenario,
  checkTargets,
  checkReference,
  checkWarmTargets,
  DEMANDS,
  type Demand,
  discoverTraces,
  formatMarkdown,
  formatSimTable,
  formatTargets,
  jobsFor,
  loadTraceParts,
  type ScenarioResult,
  SPOTS,
  type Spot,
  TRACE_PREFIX,
  scenarioSpecs,
  table,
} from './sim.ts';
import { runJobs } from './sim-pool.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PARTS = ['latency', 'path', 'sim', 'forecast', 'bundles', 'coldstart'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [options]
  --json              one JSON object on standard output instead of the report
  --seed N            seed of the default day, the spot process and the worlds (default 1)
  --only LIST         some of: ${PARTS.join(', ')} (comma-separated; default all)
  --quick             the simulation at availability 0.999 with the default spot process only
  --scenarios LIST    demand traces of the simulation: ${DEMANDS.join(', ')}, or trace:PATH for any other
                      CSV in the traces folder (default: the default day and every demand trace there)
  --spots LIST        spot processes of the simulation: default, or a set of spot_availability in the
                      traces folder (${SPOTS.slice(1).join(', ')} there today; default: all of them)
  --days LIST         the 2024 traces' UTC days, YYYY-MM-DD (default 2024-05-14, a Tuesday; the code trace
                      covers 2024-05-10 to 2024-05-16 and the conversation trace 2024-05-12 to 2024-05-18, and a
                      day two days after its trace's start or later has 48 h of history; a day a trace does not
                      cover fails its scenarios with that said): other days are held out of any tuning, to check
                      that a change generalizes
  --targets LIST      the autoscaler's availability targets (default ${AVAILABILITIES.join(',')})
  --workers N         simulation worker processes (default 2)
  --report FILE       the HTML report (default out/bench-report.html)
  --traces DIR        the public traces (default ../shared/traces from the repository)
  --rounds N          measured rounds of the latency part (default 200)
  --path-events N     events per path (spot, alarm) of the critical path, round trips added (default 20)
                      (--only path: the critical path alone, without the warm latency)
  --against DIR       a checkout of an older commit (its node_modules linked): its critical path is measured
                      in the same run, alternately with this one, and the spot path's p50 compared
  --path-runs N       with --against, how many alternate runs of each (default 3)
  --bundle-runs N     runs of each import timing in the bundles part (default 5)
  --coldstart-runs N  fresh processes with and without the preload in the coldstart part (default 3 each)`;

interface Options {
  json: boolean;
  seed: number;
  parts: Set<Part>;
  traces: string;
  rounds: number;
  pathEvents: number;
  against?: string;
  pathRuns: number;
  bundleRuns: number;
  coldstartRuns: number;
  /** Absent: every demand the traces folder holds. */
  demands?: Demand[];
  /** Absent: the default process and every spot set the traces folder holds. */
  spots?: Spot[];
  /** The 2024 traces' UTC days (YYYY-MM-DD; Tuesday 2024-05-14 when empty). */
  days: string[];
  targets: number[];
  workers: number;
  report: string;
}

function options(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
      traces: { type: 'string' },
      rounds: { type: 'string', default: '200' },
      'path-events': { type: 'string', default: '20' },
      against: { type: 'string' },
      'path-runs': { type: 'string', default: '3' },
      'bundle-runs': { type: 'string', default: '5' },
      'coldstart-runs': { type: 'string', default: '3' },
      quick: { type: 'boolean' },
      scenarios: { type: 'string' },
      spots: { type: 'string' },
      days: { type: 'string' },
      targets: { type: 'string' },
      workers: { type: 'string', default: '2' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const whole = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got '${v}'`);
    return n;
  };
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...PARTS];
  for (const p of only) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part '${p}'`);
  const demandList = (v: string): Demand[] =>
    v.split(',').map((x) => {
      const d = x.trim();
      if (
        !(DEMANDS as readonly string[]).includes(d) &&
        !(d.startsWith(TRACE_PREFIX) && d.length > TRACE_PREFIX.length)
      )
        throw new Error(`--scenarios: unknown '${d}' (one of ${DEMANDS.join(', ')}, or trace:PATH)`);
      return d as Demand;
    });
  const targets =
    values.targets?.split(',').map((x) => {
      const n = Number(x);
      if (!(n > 0 && n < 1)) throw new Error(`--targets: '${x}' is not an availability between 0 and 1`);
      return n;
    }) ?? (values.quick ? [0.999] : [...AVAILABILITIES]);
  return {
    // Unless named, every demand trace and every spot set the traces folder holds (bench/sim.ts discoverTraces).
    ...(values.scenarios !== undefined ? { demands: demandList(values.scenarios) } : {}),
    ...(values.spots !== undefined
      ? { spots: values.spots.split(',').map((x) => x.trim()) }
      : values.quick
        ? { spots: ['default'] }
        : {}),
    days: (values.days?.split(',') ?? []).map((d) => {
      const day = d.trim();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))
        throw new Error(`--days: '${d}' is not a UTC day (YYYY-MM-DD)`);
      return day;
    }),
    targets,
    workers: whole('workers', values.workers, 1),
    report: path.resolve(values.report ?? path.join(ROOT, 'out', 'bench-report.html')),
    json: values.json === true,
    seed: whole('seed', values.seed, 0),
    parts: new Set(only as Part[]),
    traces: path.resolve(values.traces ?? path.join(ROOT, '..', 'shared', 'traces')),
    rounds: whole('rounds', values.rounds, 1),
    pathEvents: whole('path-events', values['path-events'], 1),
    ...(values.against ? { against: path.resolve(values.against) } : {}),
    pathRuns: whole('path-runs', values['path-runs'], 1),
    bundleRuns: whole('bundle-runs', values['bundle-runs'], 1),
    coldstartRuns: whole('coldstart-runs', values['coldstart-runs'], 1),
  };
}

interface BundlesResult {
  /** null when bench/bundles.ts is absent. */
  exit_code: number | null;
  output: string;
  errors: string;
  seconds: number;
}

/** bench/bundles.ts in its own process (it has no exported entry point; it spawns fresh Node processes to time). */
function runBundles(runs: number): BundlesResult {
  const file = path.join(ROOT, 'bench', 'bundles.ts');
  if (!existsSync(file)) {
    return {
      exit_code: null,
      output: '',
      errors: 'bench/bundles.ts does not exist yet: no bundle figures',
      seconds: 0,
    };
  }
  const began = performance.now();
  const r = spawnSync(process.execPath, [file, '--runs', String(runs)], { cwd: ROOT, encoding: 'utf8' });
  return {
    exit_code: r.status,
    output: r.stdout.trimEnd(),
    errors: (r.stderr || r.error?.message || '').trimEnd(),
    seconds: (performance.now() - began) / 1000,
  };
}

async function main(): Promise<number> {
  let o: Options | undefined;
  try {
    o = options(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  const began = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = (text: string) => {
    if (!o.json) console.log(text);
  };
  const errors: string[] = [];
  const fail = (part: string, e: unknown) => {
    const message = `${part}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    errors.push(message);
    log(`bench: ${message}`);
  };

  const header = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd();
  out(`${header}\nnode ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), seed ${o.seed}\n`);

  let latency: LatencyResult | undefined;
  let criticalPath: CriticalPathResult | undefined;
  if (o.parts.has('latency')) {
    log('bench: decision latency...');
    try {
      latency = await measureDecisionLatency({ rounds: o.rounds });
      out(`== Decision latency ==\n${formatLatency(latency)}\n`);
    } catch (e) {
      fail('latency', e);
    }
  }
  let before: SameRunBefore | undefined;
  if (o.parts.has('latency') || o.parts.has('path')) {
    log('bench: the critical path, with round trips added...');
    try {
      // The path before, from an older checkout, measured alternately with this one in the same process.
      const older = o.against
        ? ((await import(pathToFileURL(path.join(o.against, 'bench', 'latency.ts')).href)) as {
            measureCriticalPath: typeof measureCriticalPath;
          })
        : undefined;
      if (older) before = { what: o.against!, runs: [] };
      for (let run = 0; run < (older ? o.pathRuns : 1); run++) {
        if (older) log(`bench: critical path run ${run + 1} of ${o.pathRuns}: the path before, then this one`);
        const old = older ? await older.measureCriticalPath({ events: o.pathEvents }) : undefined;
        criticalPath = await measureCriticalPath({ events: o.pathEvents });
        const spotOf = (r: CriticalPathResult) => r.paths.find((p) => p.path === 'spot')?.p50_ms;
        const b = old ? spotOf(old) : undefined;
        const a = spotOf(criticalPath);
        if (before && b !== undefined && a !== undefined) before.runs.push({ before: b, after: a });
      }
      out(`== Critical path ==\n${formatCriticalPath(criticalPath!, before)}\n`);
    } catch (e) {
      fail('critical path', e);
    }
  }

  const sims: ScenarioResult[] = [];
  let skipped: string | undefined;
  if (o.parts.has('sim')) {
    try {
      const { specs, skipped: why } = await scenarioSpecs(o.seed, o.traces, {
        demands: o.demands,
        spots: o.spots,
        days: o.days,
      });
      skipped = why;
      const jobs = jobsFor(specs, o.targets);
      log(`bench: simulation: ${jobs.length} runs in ${specs.length} scenarios, ${o.workers} worker(s)...`);
      const simBegan = performance.now();
      const results = await runJobs(jobs, o.workers, (r, done, total) => {
        const job = jobs[r.id]!;
        log(
          `bench: ${done}/${total} ${job.spec.demand}/${job.spec.spot} ${job.kind}${job.availability ? ` @${job.availability}` : ''}${job.warm === false ? ' (no warm)' : ''}: ${r.error ? 'FAILED' : `${r.seconds.toFixed(0)} s`}`,
        );
      });
      for (const spec of specs) {
        const mine = results.filter((r) => jobs[r.id]!.spec === spec);
        // A scenario that cannot be built (its jobs failed the same way) is reported; the others still are.
        const scenario = await buildScenario(spec).catch((e: unknown) => {
          fail(`simulation ${spec.demand}/${spec.spot}`, e);
          return undefined;
        });
        if (!scenario) continue;
        for (const r of mine) if (r.error) fail(`simulation ${scenario.name} (job ${r.id})`, r.error);
        const baselines = mine.find((r) => jobs[r.id]!.kind === 'baselines')?.figures ?? {};
        const autoscaler: ScenarioResult['autoscaler'] = {};
        const autoscalerNoWarm: ScenarioResult['autoscaler'] = {};
        for (const r of mine) {
          const job = jobs[r.id]!;
          if (job.kind === 'autoscaler' && r.figures.autoscaler)
            (job.warm === false ? autoscalerNoWarm : autoscaler)[String(job.availability)] = r.figures.autoscaler;
        }
        const { targets, unservable } = checkTargets(baselines, autoscaler, scenario.trace);
        const warmTargets = checkWarmTargets(baselines, autoscaler);
        const reference = checkReference(baselines, autoscaler);
        const { tracesDir: _, ...plain } = spec;
        sims.push({
          name: scenario.name,
          spec: plain,
          notes: scenario.notes,
          baselines,
          autoscaler,
          autoscalerNoWarm,
          targets,
          warmTargets,
          reference,
          ...(unservable ? { unservable } : {}),
          seconds: mine.reduce((t, r) => t + r.seconds, 0),
        });
      }
      out('== Simulation: the autoscaler at each availability target and the baselines (SLO, cost USD) ==');
      if (skipped) out(skipped);
      for (const r of sims) out(`${r.name}: ${r.notes.join('; ')}`);
      out(`\n${formatSimTable(sims)}\n`);
      out(`simulation: ${((performance.now() - simBegan) / 1000).toFixed(0)} s on ${o.workers} worker(s)\n`);
    } catch (e) {
      fail('simulation', e);
    }
  }

  const accuracy: Array<{ trace: string; figures: ForecastAccuracy }> = [];
  if (o.parts.has('forecast')) {
    try {
      for (const kind of ['conv', 'code'] as const) {
        const file = path.join(o.traces, 'azure_llm_2024', `azure2024_${kind}_digitized_rpm.csv`);
        if (!existsSync(file)) continue;
        const figures = forecastAccuracy(await loadTraceCsv(file, AZURE2024_CSV));
        if (figures) accuracy.push({ trace: `azure2024 ${kind} (week)`, figures });
      }
      // Every other demand trace of the folder with a season of history, whole (those added later too).
      if (existsSync(o.traces)) {
        for (const d of (await discoverTraces(o.traces)).demands) {
          if (!d.startsWith(TRACE_PREFIX)) continue;
          const rel = d.slice(TRACE_PREFIX.length);
          const figures = forecastAccuracy((await loadTraceParts(o.traces, rel)).trace);
          if (figures) accuracy.push({ trace: `${traceName(rel)} (whole)`, figures });
        }
      }
      out('== Forecast accuracy (shared/forecast/seasonal.ts, every 5 min after the first day, 5-15 min ahead) ==');
      out(
        accuracy.length === 0
          ? 'no trace with a season (a day) of history: skipped'
          : table(
              ['trace', 'origins', 'MAE rps', 'mean rps', 'MASE vs seasonal naive', 'MASE vs last value'],
              accuracy.map((a) => [
                a.trace,
                String(a.figures.origins),
                a.figures.mae.toFixed(2),
                a.figures.meanDemand.toFixed(1),
                a.figures.maseSeasonal.toFixed(2),
                a.figures.maseLastValue.toFixed(2),
              ]),
            ),
      );
      out(
        '(the default day, the 2023 traces and any trace shorter than a day and the horizon have no season of history: not measured)\n',
      );
    } catch (e) {
      fail('forecast', e);
    }
  }

  let bundles: BundlesResult | undefined;
  if (o.parts.has('bundles')) {
    log('bench: bundles (bench/bundles.ts)...');
    bundles = runBundles(o.bundleRuns);
    out('== Bundles (bench/bundles.ts) ==');
    if (bundles.output) out(bundles.output);
    if (bundles.exit_code === null) out(bundles.errors);
    else if (bundles.exit_code !== 0) {
      out(`bench/bundles.ts exited ${bundles.exit_code}:\n${bundles.errors}`);
    }
    out('');
  }

  let coldstart: ColdstartResult | undefined;
  if (o.parts.has('coldstart')) {
    log('bench: cold start of the interruption path (bench/coldstart.ts)...');
    try {
      coldstart = await measureColdStart({ runs: o.coldstartRuns, log });
      out(
        `== Cold start: the bundled spot-interruption function (bench/coldstart.ts) ==\n${formatColdStart(coldstart)}\n`,
      );
    } catch (e) {
      fail('coldstart', e);
    }
  }

  if (sims.length > 0) {
    out(
      '== Targets (availability 0.999, warm capacity): SLO >= 99.9% where an online controller reaches it, >= 99.5% everywhere; cost <= 1.5 x oracle; cheaper than karpenter at an SLO at least as high. Warm capacity: SLO >= 99.9% everywhere; cost <= 1.3 x oracle; cheaper than karpenter ==',
    );
    out(formatTargets(sims));
    out('');
    out('== The same, as Markdown (README) ==');
    out(formatMarkdown(sims));
    out('');
    try {
      await mkdir(path.dirname(o.report), { recursive: true });
      await writeFile(
        o.report,
        renderBenchReport({
          title: 'Cost versus SLO: the autoscaler at each availability target and the baselines',
          subtitle: `${header}; node ${process.version}, ${os.cpus().length} CPUs, seed ${o.seed}`,
          scenarios: sims,
          ...(accuracy.length
            ? {
                sections: [
                  {
                    title: 'Forecast accuracy',
                    text: accuracy
                      .map(
                        (a) =>
                          `${a.trace}: MASE ${a.figures.maseSeasonal.toFixed(2)} vs seasonal naive, ${a.figures.maseLastValue.toFixed(2)} vs last value`,
                      )
                      .join('\n'),
                  },
                ],
              }
            : {}),
        }),
        'utf8',
      );
      out(`report: ${o.report}\n`);
    } catch (e) {
      fail('report', e);
    }
  }
  if (latency) {
    out(
      `decision latency: ${latency.handlers.map((h) => `${h.handler} p50 ${h.p50_ms.toFixed(1)} ms (${h.p50_ratio.toFixed(0)}x), p99 ${h.p99_ms.toFixed(1)} ms (${h.p99_ratio.toFixed(0)}x)`).join('; ')} of a GetItem round trip`,
    );
  }
  if (criticalPath) {
    const t = pathTargets(criticalPath, before);
    out(
      `critical path targets: ${t.filter((x) => x.pass === true).length} PASS, ${t.filter((x) => x.pass === false).length} MISS, ${t.filter((x) => x.pass === undefined).length} n/a`,
    );
  }
  const seconds = (performance.now() - began) / 1000;
  out(`bench: ${seconds.toFixed(0)} s${errors.length ? `; ${errors.length} part(s) failed to run (above)` : ''}`);

  if (o.json) {
    console.log(
      JSON.stringify(
        {
          command: header,
          node: process.version,
          cpus: os.cpus().length,
          seed: o.seed,
          seconds,
          ...(latency ? { latency } : {}),
          ...(criticalPath
            ? {
                critical_path: {
                  ...criticalPath,
                  targets: pathTargets(criticalPath, before),
                  ...(before ? { before } : {}),
                },
              }
            : {}),
          ...(o.parts.has('sim') ? { simulation: { scenarios: sims, ...(skipped ? { skipped } : {}) } } : {}),
          ...(o.parts.has('forecast') ? { forecast_accuracy: accuracy } : {}),
          ...(bundles ? { bundles } : {}),
          ...(coldstart ? { coldstart } : {}),
          errors,
        },
        null,
        2,
      ),
    );
  }
  return errors.length > 0 ? 1 : 0;
}

process.exitCode = await main();
