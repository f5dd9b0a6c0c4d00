/**
 * `autoscaler simulate`: the offline simulation. The autoscaler (local/sim/autoscaler.ts: the real handlers
 * against the emulated clouds) and the baselines (reactive, hpa, static, oracle) each run the same demand
 * trace on their own simulated world; prints a summary table (or one JSON object with --json) and writes a
 * self-contained HTML report.
 */
import { access, mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Advice } from '../../advise/evaluate.ts';
import { createBaselines, hasOnDemandBaseline, ON_DEMAND_ONLY } from '../../sim/baselines/index.ts';
import type { AutoscalerModule, Controller } from '../../sim/controller.ts';
import { loadConfigFile } from '../../../shared/config/load.ts';
import type { AuditRecord } from '../../../shared/state/records.ts';
import { parseDecimal } from '../../../events/fields.ts';
import { demoFromConfig } from '../../sim/from-config.ts';
import { alignedStart, DEMO_START, type DemoFleet, demoFleet } from '../../sim/demo.ts';
import { createProgressReporter } from '../../sim/progress.ts';
import { renderReport } from '../../sim/report.ts';
import { loadTraceArg } from '../../sim/trace-detect.ts';
import { runSimulation } from '../../sim/runner.ts';
import { defaultSpotProcess, loadSpotTraces, scheduleFromTraces, spotSlots } from '../../sim/spot.ts';
import { formatCostTable, formatSummaryTable, summaryJson } from '../../sim/summary.ts';
import {
  type DemandTrace,
  defaultDayTrace,
  offeredRequests,
  peakStepRps,
  scaleTrace,
  TIME_UNITS,
  type TimeUnit,
  VALUE_UNITS,
  type ValueUnit,
} from '../../sim/trace.ts';
import { type CliIo, type Command, UsageError } from '../io.ts';

export const SIMULATE_USAGE = `usage: autoscaler simulate [options]

Runs the autoscaler and the baselines (reactive, hpa, karpenter, spothedge, static, oracle) on the same demand,
prices and physics, each on its own simulated world, and reports cost and SLO attainment.

options:
  --trace FILE.csv       demand trace (default: a business day from seed 002's hourly pattern)
  --time-column NAME     time column of the trace (default offset_s); numbers or ISO timestamps
  --time-unit UNIT       ns, us, ms, s, min or h for a numeric time column (default from its name:
                         offset_min = min; else seconds, and a trace read from its header takes
                         epoch ms, us or ns from the size of its first time)
  --value-column NAME    value column of the trace (default requests)
  --value-unit UNIT      rps, rpm or count (requests in the interval; default count)
                         None of these four: the columns are read from the header (offset_s or another
                         time column, requests or another demand column; a time column alone is a log of
                         one request per row), as the benchmark reads every trace (docs/benchmarks.md),
                         and run from the first request to the last without the first and last
                         intervals, which may be partial (said on standard error)
  --peak-rps N           rescale the demand so its busiest step (60 s) is N requests/s
  --spot-trace PATH      spot availability file or folder (format of shared/traces/spot_availability);
                         default: a seeded process with those traces' preemption rate
  --config FILE          autoscaler configuration, passed to the autoscaler controller
  --hours N              length of the run (default 24, or the trace's length; a shorter trace repeats)
  --seed N               seed of the default day's noise, the spot process and the world (default 1)
  --availability X       the fleet's slo.availability for the autoscaler (0 < X <= 1; default: the config's)
  --cold-start           every controller starts at its minimums (default: at the count its own rule
                         holds for the first minute's demand, all ready)
  --json                 print one JSON object instead of the table
  --report FILE.html     where to write the report (default out/simulation-report.html)
  --decisions FILE.jsonl write every decision of the autoscaler there, one JSON object a line, oldest
                         first: the audit record the deployed functions keep (trigger, plan with its
                         reasons, outcome), which the operators' history and explain read
  --no-warm              no warm capacity (the demo keeps stopped nodes on its on-demand ASG and GCP group)
  --warm-start-failure P chance (0..1) that a warm node cannot start for capacity (default 0)
  --ready-seconds N      the simulated clouds' nodes serve N s after their launch, whatever the
                         configuration says (default: each pool's configured time to ready): how a
                         configuration that says less than its clouds take plays out
  --resume-seconds N     the same for a warm node's resume (default: each warm pool's resumeSeconds)
  --advise               also run the rightsizing advice (autoscaler advise) on the same demand and spot
                         process, and show it in the report (one more autoscaler run per option)
  -h, --help             this help`;

const STEP_SECONDS = 60;
/** The configuration the autoscaler runs with when --config is not given (as local/sim/autoscaler.ts). */
const DEMO_CONFIG = '../../../config/demo.json';
const AUTOSCALER_MODULE = '../../sim/autoscaler.ts';

type AutoscalerOptions = Parameters<AutoscalerModule['createAutoscalerController']>[0];

export interface SimulateDeps {
  /** Builds the autoscaler controller; default: `createAutoscalerController` of local/sim/autoscaler.ts. */
  loadAutoscaler?: (options: AutoscalerOptions) => Promise<Controller>;
}

/** The command, with its dependencies (tests replace the autoscaler's module). */
export function createSimulateCommand(deps: SimulateDeps = {}): Command {
  const load =
    deps.loadAutoscaler ??
    ((options: AutoscalerOptions) => loadAutoscalerModule(new URL(AUTOSCALER_MODULE, import.meta.url), options));
  return (args, io) => run(args, io, load);
}

export const simulate: Command = createSimulateCommand();

async function run(
  args: string[],
  io: CliIo,
  loadAutoscaler: (o: AutoscalerOptions) => Promise<Controller>,
): Promise<number> {
  const opts = parseOptions(args);
  if (opts.help) {
    io.stdout(SIMULATE_USAGE);
    return 0;
  }

  let configFile: string | undefined;
  if (opts.config) {
    configFile = resolve(io.cwd, opts.config);
    try {
      await access(configFile);
    } catch {
      throw new UsageError(`--config: cannot read ${opts.config}`);
    }
  }

  // A dated trace (read from its header) starts the run on its own weekday and UTC time of day, as the
  // benchmark runs it (`alignedStart`), so the business-hours window follows the trace's week.
  let trace: DemandTrace | undefined;
  let originMs: number | undefined;
  if (opts.trace) {
    const file = resolve(io.cwd, opts.trace);
    // Columns named: as named; none: read from the header, as the benchmark reads every trace (trace-detect.ts).
    // A detected trace runs from its first request to its last, without its partial edges (trace-detect.ts).
    trace = await asUsage('--trace', opts.trace, () =>
      loadTraceArg(
        file,
        {
          timeColumn: opts.timeColumn,
          valueColumn: opts.valueColumn,
          valueUnit: opts.valueUnit,
          timeUnit: opts.timeUnit,
        },
        (cut) => io.stderr(`simulate: ${opts.trace}: ${cut}`),
        (at) => {
          originMs = at;
        },
      ),
    );
  }
  const startMs = originMs === undefined ? DEMO_START : alignedStart(originMs);
  if (originMs !== undefined) {
    const day = new Date(originMs).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
    io.stderr(
      `simulate: ${opts.trace}: starts ${new Date(originMs).toISOString()}: the run starts on a ${day} at ` +
        `${new Date(startMs).toISOString().slice(11, 16)} UTC, as the trace does`,
    );
  }

  // The demo fleet, or the (first) fleet of --config with its pools in the World.
  let demo = configFile
    ? withWarmOptions(
        demoFromConfig(await asUsage('--config', opts.config!, () => loadConfigFile(configFile)), { startMs }),
        opts,
      )
    : demoFleet({ startMs, warm: opts.warm, warmStartFailureRate: opts.warmStartFailure });
  if (opts.readySeconds !== undefined) demo = withReadySeconds(demo, opts.readySeconds);
  if (opts.resumeSeconds !== undefined) demo = withResumeSeconds(demo, opts.resumeSeconds);

  let hours: number;
  if (trace) {
    hours = opts.hours ?? trace.durationSeconds / 3600;
    if (hours * 3600 > trace.durationSeconds + 1e-6) {
      io.stderr(
        `simulate: the trace covers ${(trace.durationSeconds / 3600).toFixed(2)} h; it repeats to fill ${hours} h`,
      );
    }
  } else {
    hours = opts.hours ?? 24;
    trace = defaultDayTrace({ seed: opts.seed, scale: demo.defaultDayScale, hours, stepSeconds: STEP_SECONDS });
  }

  if (opts.peakRps !== undefined) {
    const peak = peakStepRps(trace, STEP_SECONDS);
    if (!(peak > 0)) throw new UsageError('--peak-rps: the demand is 0 at every step: nothing to rescale');
    trace = scaleTrace(trace, opts.peakRps / peak);
  }

  const slots = spotSlots(demo.worldPools);
  const spot = opts.spotTrace
    ? scheduleFromTraces(
        await asUsage('--spot-trace', opts.spotTrace, () => loadSpotTraces(resolve(io.cwd, opts.spotTrace!))),
        slots,
        hours * 3600,
        opts.spotTrace,
      )
    : defaultSpotProcess({ seed: opts.seed, slots, durationSeconds: hours * 3600 });

  // The files written after the run are checked before it: a path that cannot be written fails now, not after
  // hours of simulation.
  const reportPath = resolve(io.cwd, opts.report ?? 'out/simulation-report.html');
  await writable(reportPath, '--report', opts.report ?? 'out/simulation-report.html');
  const decisionsPath = opts.decisions === undefined ? undefined : resolve(io.cwd, opts.decisions);
  if (decisionsPath) await writable(decisionsPath, '--decisions', opts.decisions!);
  const autoscaler = await loadAutoscaler({
    demo,
    configFile,
    seed: opts.seed,
    hours,
    stepSeconds: STEP_SECONDS,
    cwd: io.cwd,
    log: (line) => io.stderr(line),
    ...(opts.availability !== undefined ? { availability: opts.availability } : {}),
    ...(decisionsPath
      ? {
          decisions: async (records: readonly AuditRecord[]) => {
            await mkdir(dirname(decisionsPath), { recursive: true });
            await writeFile(decisionsPath, records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
            io.stderr(`simulate: ${records.length} decision(s) of the autoscaler written to ${decisionsPath}`);
          },
        }
      : {}),
  });
  if (!hasOnDemandBaseline(demo)) {
    io.stderr(
      `simulate: fleet '${demo.fleet.id}' has no on-demand pool: the ${ON_DEMAND_ONLY.join(', ')} baselines, which ` +
        'need one, are left out',
    );
  }
  const controllers: Controller[] = [autoscaler, ...createBaselines(demo)];

  const progress = createProgressReporter({ tty: io.tty, line: (t) => io.stderr(t) });
  let result: Awaited<ReturnType<typeof runSimulation>>;
  try {
    result = await runSimulation({
      trace,
      spot,
      demo,
      hours,
      seed: opts.seed,
      stepSeconds: STEP_SECONDS,
      controllers,
      onProgress: progress.update,
      startMode: opts.coldStart ? 'cold' : 'warm',
    });
  } finally {
    progress.done();
  }

  const availability = opts.availability ?? demo.fleet.slo.availability;
  let advice: Advice | undefined;
  if (opts.advise) {
    const [{ candidates }, { evaluate }] = await Promise.all([
      import('../../advise/recommend.ts'),
      import('../../advise/evaluate.ts'),
    ]);
    const resolved = await loadConfigFile(configFile ?? fileURLToPath(new URL(DEMO_CONFIG, import.meta.url)));
    const rps = Array.from(
      { length: Math.ceil((hours * 3600) / STEP_SECONDS) },
      (_, k) => offeredRequests(trace, k * STEP_SECONDS, (k + 1) * STEP_SECONDS) / STEP_SECONDS,
    );
    advice = await evaluate({
      resolved,
      fleetId: demo.fleet.id,
      candidates: candidates({
        resolved,
        fleetId: demo.fleet.id,
        demand: { stepSeconds: STEP_SECONDS, rps, source: trace.source },
      }),
      trace,
      spot: () => spot,
      hours,
      seed: opts.seed,
      stepSeconds: STEP_SECONDS,
      controller: loadAutoscaler,
      cwd: io.cwd,
      availability,
      log: (line) => io.stderr(line),
      onSimulated: (done, total) => io.stderr(`advise: simulated ${done}/${total}`),
    });
  }

  await mkdir(dirname(reportPath), { recursive: true });
  await writeFile(
    reportPath,
    renderReport(result, { primary: autoscaler.name, availability, ...(advice ? { advice } : {}) }),
    'utf8',
  );

  if (opts.json) io.stdout(JSON.stringify(advice ? { ...summaryJson(result), advice } : summaryJson(result), null, 2));
  else {
    io.stdout(formatSummaryTable(result));
    io.stdout(`\ncost by kind (USD):\n${formatCostTable(result)}`);
    io.stdout(`\nreport: ${reportPath}`);
  }
  return 0;
}

/**
 * Fails with a usage error when `file` cannot be written: its folder made if missing, the file opened for
 * appending (its content left as it is until the run writes it; one the check created is removed again).
 */
async function writable(file: string, option: string, given: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    const existed = await access(file).then(
      () => true,
      () => false,
    );
    await (await open(file, 'a')).close();
    if (!existed) await unlink(file);
  } catch (e) {
    throw new UsageError(
      `${option}: cannot write ${given}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/**
 * Loads the autoscaler controller's module (local/sim/autoscaler.ts, written against the Controller
 * interface) and builds the controller; fails clearly when the module is missing or does not export it.
 */
export async function loadAutoscalerModule(url: URL, options: AutoscalerOptions): Promise<Controller> {
  let mod: Partial<AutoscalerModule>;
  try {
    mod = (await import(url.href)) as Partial<AutoscalerModule>;
  } catch (e) {
    throw new Error(`cannot load the autoscaler controller from ${url.pathname}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (typeof mod.createAutoscalerController !== 'function') {
    throw new Error(`${url.pathname} does not export createAutoscalerController(options)`);
  }
  return await mod.createAutoscalerController(options);
}

interface SimulateOptions {
  help: boolean;
  trace?: string;
  timeColumn?: string;
  timeUnit?: TimeUnit;
  valueColumn?: string;
  valueUnit?: ValueUnit;
  spotTrace?: string;
  config?: string;
  hours?: number;
  seed: number;
  json: boolean;
  report?: string;
  peakRps?: number;
  availability?: number;
  coldStart: boolean;
  /** Warm capacity where the fleet declares it (default), or none (`--no-warm`). */
  warm: boolean;
  /** Chance (0..1) that a warm node fails to start for capacity. */
  warmStartFailure: number;
  /** Also run the rightsizing advice on the same demand and show it in the report. */
  advise: boolean;
  /** Where to write the autoscaler's decisions (JSON Lines), when asked. */
  decisions?: string;
  /** Seconds the simulated clouds' nodes take from launch to serving, whatever the configuration says. */
  readySeconds?: number;
  /** Seconds the simulated clouds' warm nodes take from resume to serving, whatever the configuration says. */
  resumeSeconds?: number;
}

/** The world's warm nodes serve `resumeSeconds` after their resume, the configuration kept. */
function withResumeSeconds(demo: DemoFleet, resumeSeconds: number): DemoFleet {
  return {
    ...demo,
    worldPools: demo.worldPools.map((w) => (w.warm ? { ...w, warm: { ...w.warm, resumeSeconds } } : w)),
  };
}

/**
 * The world's nodes serve `readySeconds` after their launch (their boot within it), the configuration kept:
 * every controller plans with the time to ready it was told, and every node takes the one given here.
 */
function withReadySeconds(demo: DemoFleet, readySeconds: number): DemoFleet {
  return {
    ...demo,
    worldPools: demo.worldPools.map((w) => ({
      ...w,
      readySeconds,
      bootSeconds: Math.min(w.bootSeconds, readySeconds),
    })),
  };
}

/** `--no-warm` and `--warm-start-failure` on a fleet from `--config`. */
function withWarmOptions(demo: DemoFleet, opts: SimulateOptions): DemoFleet {
  const warm = new Set(opts.warm ? demo.fleet.pools.filter((p) => p.warm).map((p) => p.id) : []);
  return {
    ...demo,
    fleet: {
      ...demo.fleet,
      pools: demo.fleet.pools.map((p) => {
        if (warm.has(p.id) || !p.warm) return p;
        const { warm: _w, ...rest } = p;
        return rest;
      }),
    },
    worldPools: demo.worldPools.map((w) => {
      if (!w.warm) return w;
      if (!warm.has(w.id)) {
        const { warm: _w, ...rest } = w;
        return rest;
      }
      return { ...w, warm: { ...w.warm, resumeFailureRate: opts.warmStartFailure } };
    }),
  };
}

export function parseOptions(args: string[]): SimulateOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        'time-column': { type: 'string' },
        'time-unit': { type: 'string' },
        'value-column': { type: 'string' },
        'value-unit': { type: 'string' },
        'spot-trace': { type: 'string' },
        config: { type: 'string' },
        hours: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        report: { type: 'string' },
        'peak-rps': { type: 'string' },
        availability: { type: 'string' },
        'cold-start': { type: 'boolean' },
        'no-warm': { type: 'boolean' },
        'warm-start-failure': { type: 'string' },
        'ready-seconds': { type: 'string' },
        'resume-seconds': { type: 'string' },
        advise: { type: 'boolean' },
        decisions: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
  const str = (k: string) => values[k] as string | undefined;
  for (const k of ['time-column', 'time-unit', 'value-column', 'value-unit']) {
    if (str(k) !== undefined && str('trace') === undefined) throw new UsageError(`--${k} needs --trace`);
  }
  const valueUnit = str('value-unit');
  if (valueUnit !== undefined && !(VALUE_UNITS as readonly string[]).includes(valueUnit)) {
    throw new UsageError(`--value-unit must be one of ${VALUE_UNITS.join(', ')}, got '${valueUnit}'`);
  }
  const timeUnit = str('time-unit');
  if (timeUnit !== undefined && !(TIME_UNITS as readonly string[]).includes(timeUnit)) {
    throw new UsageError(`--time-unit must be one of ${TIME_UNITS.join(', ')}, got '${timeUnit}'`);
  }
  let hours: number | undefined;
  if (str('hours') !== undefined) {
    hours = parseDecimal(str('hours')!) ?? Number.NaN;
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 31) {
      throw new UsageError(`--hours must be a number of hours > 0 and <= 744, got '${str('hours')}'`);
    }
  }
  let seed = 1;
  if (str('seed') !== undefined) {
    seed = parseDecimal(str('seed')!) ?? Number.NaN;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got '${str('seed')}'`);
    }
  }
  let peakRps: number | undefined;
  if (str('peak-rps') !== undefined) {
    // Decimal digits only, as --hours and --seed (no 0x1, no +5, no ' 5').
    peakRps = parseDecimal(str('peak-rps')!) ?? Number.NaN;
    if (!Number.isFinite(peakRps) || peakRps <= 0) {
      throw new UsageError(`--peak-rps must be a number of requests/s > 0, got '${str('peak-rps')}'`);
    }
  }
  let availability: number | undefined;
  if (str('availability') !== undefined) {
    availability = parseDecimal(str('availability')!) ?? Number.NaN;
    if (!Number.isFinite(availability) || availability <= 0 || availability > 1) {
      throw new UsageError(`--availability must be a number > 0 and <= 1 (e.g. 0.999), got '${str('availability')}'`);
    }
  }
  for (const k of ['trace', 'spot-trace', 'config', 'report', 'time-column', 'value-column', 'decisions']) {
    if (str(k) === '') throw new UsageError(`--${k} needs a value`);
  }
  let warmStartFailure = 0;
  if (str('warm-start-failure') !== undefined) {
    // A probability: 0, 1, 0.25, .25, 1.0 (decimal digits only).
    warmStartFailure = parseDecimal(str('warm-start-failure')!) ?? Number.NaN;
    if (!(warmStartFailure >= 0 && warmStartFailure <= 1) || Object.is(warmStartFailure, -0)) {
      throw new UsageError(
        `--warm-start-failure must be a probability from 0 to 1, got '${str('warm-start-failure')}'`,
      );
    }
  }
  /** A number of seconds from 0 to a day (decimal digits only), when the option is given. */
  const seconds = (k: string): number | undefined => {
    if (str(k) === undefined) return undefined;
    const n = parseDecimal(str(k)!) ?? Number.NaN;
    if (!Number.isFinite(n) || n < 0 || n > 86_400) {
      throw new UsageError(`--${k} must be a number of seconds from 0 to 86400, got '${str(k)}'`);
    }
    return n;
  };
  const readySeconds = seconds('ready-seconds');
  const resumeSeconds = seconds('resume-seconds');
  return {
    help: values.help === true,
    trace: str('trace'),
    timeColumn: str('time-column'),
    timeUnit: timeUnit as TimeUnit | undefined,
    valueColumn: str('value-column'),
    valueUnit: valueUnit as ValueUnit | undefined,
    spotTrace: str('spot-trace'),
    config: str('config'),
    hours,
    seed,
    json: values.json === true,
    report: str('report'),
    ...(peakRps !== undefined ? { peakRps } : {}),
    ...(availability !== undefined ? { availability } : {}),
    coldStart: values['cold-start'] === true,
    warm: values['no-warm'] !== true,
    warmStartFailure,
    advise: values.advise === true,
    ...(str('decisions') !== undefined ? { decisions: str('decisions') } : {}),
    ...(readySeconds !== undefined ? { readySeconds } : {}),
    ...(resumeSeconds !== undefined ? { resumeSeconds } : {}),
  };
}

/**
 * A file named on the command line read with `load`: one that cannot be read or parsed is a usage error naming
 * the flag and the file (exit 2, as `ops` and `advise` answer a configuration that does not validate).
 */
async function asUsage<T>(flag: string, file: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
