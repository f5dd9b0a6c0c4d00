/**
 * The simulation part of `npm run bench`: the autoscaler (the real handlers over the emulators) at each
 * availability target and the baselines (reactive, hpa, karpenter, static, oracle), on the default day and on
 * every demand trace in ../shared/traces, each with the default spot process and with each set of spot
 * availability traces there (AWS1, AWS2, AWS3, GCP1 today: SkyServe/SpotHedge's per-zone GPU spot capacity).
 * The same building blocks as `autoscaler simulate` (local/cli/commands/simulate.ts), with a warm start
 * (every controller at the count its own rule holds for the first minute's demand).
 *
 * Demand (each scaled so its busiest 60 s step is the default day's peak, `defaultDayPeakRps`: seed 002's
 * busiest hour, 200 requests/s, x the demo's scale, 3.9 = 781 requests/s, 20 g5.xlarge nodes' worth; the
 * default day's own busiest minute is higher, its 8% noise on top):
 * - the default day (seed 002's pattern, local/sim/README.md), 24 h: the same run as `autoscaler simulate`;
 * - the Azure LLM inference 2023 conversation and code traces, per minute (~1 h on 2023-11-16; the
 *   per-second files hold the same requests and sum to these minutes, the simulation's step), the partial
 *   first and last minutes dropped;
 * - the Azure LLM inference 2024 conversation and code traces (digitized from the dataset's week, one value
 *   every ~7.2 minutes): one UTC weekday of the week (`dayUtc`, Tuesday 2024-05-14 by default), with up to
 *   48 h of the trace before it as the metrics history the autoscaler's forecaster reads;
 * - every other demand trace CSV in the folder, those added after this was written too (`discoverTraces`,
 *   `traceScenario`): its columns read from the header, whole up to 48 h, else its last day with history.
 * The simulated clock shows each trace's own weekday and UTC time of day (the demo's business-hours schedule
 * and capacity block follow it).
 *
 * Runs are jobs (one per scenario for the baselines, one per scenario and target for the autoscaler) that
 * bench/sim-worker.ts runs in worker processes; the figures are deterministic for a seed whatever the order.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createAutoscalerController } from '../local/sim/autoscaler.ts';
import { createBaselines } from '../local/sim/baselines/index.ts';
import { alignedStart, type DemoFleet, demoFleet } from '../local/sim/demo.ts';
import { type ControllerSummary, runSimulation } from '../local/sim/runner.ts';
import { defaultSpotProcess, loadSpotTraces, scheduleFromTraces, spotSlots } from '../local/sim/spot.ts';
import {
  type DetectedTrace,
  isCsvText,
  isTraceFile,
  readDetectedTrace,
  traceName,
  withoutPartialEdges,
} from '../local/sim/trace-detect.ts';
import {
  type DemandTrace,
  defaultDayTrace,
  loadTraceCsv,
  meanRps,
  offeredRequests,
  peakStepRps,
  SEED_HOURLY_RPS,
  scaleTrace,
  splitCsv,
  type TraceCsvOptions,
} from '../local/sim/trace.ts';

const STEP_SECONDS = 60;

/** The issue's targets, checked with the fleet's `slo.availability` at 0.999. */
export const TARGETS = {
  availability: 0.999,
  /** Where some online controller reaches it. */
  sloServable: 0.999,
  /** Everywhere. */
  sloAll: 0.995,
  maxCostVsOracle: 1.5,
} as const;
/** Availability targets the autoscaler runs at. */
export const AVAILABILITIES = [0.99, 0.995, 0.999] as const;
/** Controllers that act on what they have seen only (static knows the run's peak; the oracle knows all). */
export const ONLINE_BASELINES = ['reactive', 'hpa', 'karpenter', 'spothedge'] as const;
export const BASELINES = ['reactive', 'hpa', 'karpenter', 'spothedge', 'static', 'oracle'] as const;
/** The demands with a scenario of their own (the traces' ones read the files `KNOWN_FILES` names). */
export const DEMANDS = ['default', 'azure2023-conv', 'azure2023-code', 'azure2024-conv', 'azure2024-code'] as const;
/**
 * A named demand, or any other demand trace CSV under the traces folder: `trace:<path in it>` (its columns read
 * by `detectTrace`; see `discoverTraces`).
 */
export type Demand = (typeof DEMANDS)[number] | `trace:${string}`;
export const TRACE_PREFIX = 'trace:';
/** The spot availability sets the repository's traces folder had when this was written (any other found runs too). */
export const SPOTS = ['default', 'AWS1', 'AWS2', 'AWS3', 'GCP1'] as const;
/** The default spot process, or a set of spot availability traces: a folder of ../shared/traces/spot_availability. */
export type Spot = string;

/**
 * The files each named trace scenario reads, relative to the traces folder, and the other forms of the same
 * requests (the 2023 traces per second sum to their minutes): none of these is scored again on its own.
 */
export const KNOWN_FILES: Readonly<Record<Exclude<(typeof DEMANDS)[number], 'default'>, readonly string[]>> = {
  'azure2023-conv': ['azure_llm_2023/azure2023_conv_per_minute.csv', 'azure_llm_2023/azure2023_conv_per_second.csv'],
  'azure2023-code': ['azure_llm_2023/azure2023_code_per_minute.csv', 'azure_llm_2023/azure2023_code_per_second.csv'],
  'azure2024-conv': ['azure_llm_2024/azure2024_conv_digitized_rpm.csv'],
  'azure2024-code': ['azure_llm_2024/azure2024_code_digitized_rpm.csv'],
};

/**
 * The least a discovered file must hold to be scored as demand: a GPU node's 10-minute time to ready (the
 * demo's; a shorter trace is over before a launch serves) and 10 steps with requests (a metadata table with a
 * date column is not demand).
 */
export const MIN_TRACE_SECONDS = 600;
export const MIN_TRACE_STEPS = 10;

/** The folder of the spot availability sets, in the traces folder. */
const SPOT_FOLDER = 'spot_availability';

/** Every file below `dir` (relative paths with `/`, links followed), folders and files starting with a dot left out. */
async function filesBelow(dir: string, rel = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const child = rel ? `${rel}/${e.name}` : e.name;
    // A link counts as what it points to (a traces folder assembled from links).
    const kind = e.isSymbolicLink() ? await stat(path.join(dir, child)).catch(() => undefined) : e;
    if (kind?.isDirectory()) out.push(...(await filesBelow(dir, child)));
    else if (kind?.isFile()) out.push(child);
  }
  return out;
}

export interface Discovered {
  /** The named trace demands whose files are there, then `trace:<path>` for every other demand trace CSV. */
  demands: Demand[];
  /** `default`, then every folder of spot_availability with a `.json` trace in it. */
  spots: Spot[];
  /** Files passed over, and why (a CSV whose columns could not be read, another form of a scored trace). */
  passed: string[];
}

/**
 * What the traces folder holds: the benchmark scores every demand trace in it, the ones added after this code
 * was written too. Every `.csv` or `.jsonl` outside spot_availability is a demand trace: the named scenarios' files as those
 * scenarios; any other as `trace:<path>`, read by `detectTrace` (a file it cannot read is passed over, with
 * the reason). A `_per_second` file beside a `_per_minute` one of the same name is the same requests at a finer
 * step: only the minutes are scored (the simulation's step is a minute). Files of one folder that differ only in
 * their last number (`...d01.csv` to `...d14.csv`) are the parts of one trace, `trace:<path with # for the
 * number>`, read in order (`loadTraceParts`).
 */
export async function discoverTraces(tracesDir: string): Promise<Discovered> {
  const files = await filesBelow(tracesDir);
  const demands: Demand[] = [];
  const passed: string[] = [];
  const claimed = new Set(Object.values(KNOWN_FILES).flat());
  for (const [demand, known] of Object.entries(KNOWN_FILES) as [Demand, readonly string[]][]) {
    if (files.includes(known[0]!)) demands.push(demand);
  }
  // A `.txt` file whose first line is a CSV header with a time column is a CSV trace by another name.
  const texts = new Set<string>();
  for (const f of files) {
    if (!f.startsWith(`${SPOT_FOLDER}/`) && (await isCsvText(path.join(tracesDir, f)))) texts.add(f);
  }
  const csvs = files.filter(
    (f) => (isTraceFile(f) || texts.has(f)) && !f.startsWith(`${SPOT_FOLDER}/`) && !claimed.has(f),
  );
  // Other files (besides notes: Markdown, text, licences) are said, so a trace in another format is not missed.
  for (const f of files) {
    if (f.startsWith(`${SPOT_FOLDER}/`) || isTraceFile(f) || texts.has(f) || claimed.has(f)) continue;
    if (/\.(md|txt|rst|pdf)$|(^|\/)(license|licence|notice|readme)[^/]*$/i.test(f)) continue;
    passed.push(
      `${f}: not a .csv, .tsv, .json or .jsonl file (gzipped or not) or a .parquet file, the formats the benchmark reads`,
    );
  }
  const candidates: string[] = [];
  for (const file of csvs) {
    const minutes = file.replace(/_per_second(\.csv)$/i, '_per_minute$1');
    if (minutes !== file && csvs.includes(minutes)) {
      passed.push(`${file}: the same requests as ${minutes}, per second (the minutes are scored)`);
      continue;
    }
    // Files that differ only in their last number (d01..d14, day_00..day_25) are the parts of one trace.
    const whole = partsPattern(file);
    if (csvs.filter((f) => partsPattern(f) === whole).length > 1) {
      if (!candidates.includes(whole)) candidates.push(whole);
    } else candidates.push(file);
  }
  for (const file of candidates) {
    try {
      const { trace } = await loadTraceParts(tracesDir, file);
      const busy = trace.points.filter((p) => p.rps > 0).length;
      const from = runFrom(trace.durationSeconds);
      if (from > 0 && !(peakStepRps(sliceTrace(trace, from, trace.durationSeconds), STEP_SECONDS) > 0)) {
        passed.push(`${file}: no request in its last 24 h, the part the benchmark runs`);
        continue;
      }
      if (trace.durationSeconds < MIN_TRACE_SECONDS || busy < MIN_TRACE_STEPS) {
        passed.push(
          `${file}: too little demand to simulate (${(trace.durationSeconds / 60).toFixed(0)} min, ${busy} step(s) with requests; at least ${MIN_TRACE_SECONDS / 60} min and ${MIN_TRACE_STEPS} steps)`,
        );
        continue;
      }
      demands.push(`${TRACE_PREFIX}${file}`);
    } catch (e) {
      passed.push(e instanceof Error ? e.message : String(e));
    }
  }
  const spotSets = [
    ...new Set(
      files.filter((f) => f.startsWith(`${SPOT_FOLDER}/`) && f.endsWith('.json')).map((f) => f.split('/')[1]!),
    ),
  ].filter((name) => files.some((f) => f.startsWith(`${SPOT_FOLDER}/${name}/`)));
  return { demands, spots: ['default', ...spotSets], passed };
}

/** A file's name with its last number as `#`: the same for every part of a trace split by day or hour. */
export function partsPattern(file: string): string {
  const slash = file.lastIndexOf('/');
  return file.slice(0, slash + 1) + file.slice(slash + 1).replace(/\d+(?=\D*$)/, '#');
}

/**
 * A demand trace of the traces folder: one file, or (a path with `#`) the files its pattern matches, in the
 * order of their number, each read by `detectTrace` and placed after the one before (each part starts where
 * the one before ends: a day's file after the day before); then the whole cut to its first request to its
 * last, without its partial first and last intervals (`withoutPartialEdges`).
 */
export function loadTraceParts(tracesDir: string, rel: string): Promise<DetectedTrace> {
  // Read once per process: every job of a trace (each spot set, target and warm setting) in a worker asks for
  // it, and a raw log of tens of millions of requests takes tens of seconds to read.
  const key = `${tracesDir}\0${rel}`;
  let loaded = loadedTraces.get(key);
  if (!loaded) {
    loaded = traceParts(tracesDir, rel).then(withoutPartialEdges);
    loadedTraces.set(key, loaded);
    // A failure is not kept: the next ask reads again (and says why again).
    loaded.catch(() => loadedTraces.delete(key));
  }
  return loaded;
}

/** The traces this process has read (`loadTraceParts`), by folder and path. */
const loadedTraces = new Map<string, Promise<DetectedTrace>>();

/** The file, or the files of its parts placed one after the other, as read. */
async function traceParts(tracesDir: string, rel: string): Promise<DetectedTrace> {
  if (!rel.includes('#')) return readDetectedTrace(path.join(tracesDir, rel), rel);
  const dir = path.dirname(rel);
  const base = path.basename(rel);
  const [head, tail] = base.split('#') as [string, string];
  const literal = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${literal(head)}(\\d+)${literal(tail)}$`);
  const names = (await readdir(path.join(tracesDir, dir)))
    .map((n) => ({ n, m: match.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
  if (names.length === 0) throw new Error(`no file of ${rel} in ${tracesDir}`);
  const parts: DetectedTrace[] = [];
  for (const { n } of names) {
    const file = dir === '.' ? n : `${dir}/${n}`;
    parts.push(await readDetectedTrace(path.join(tracesDir, file), file));
  }
  let offset = 0;
  const points: DemandTrace['points'] = [];
  for (const p of parts) {
    for (const x of p.trace.points) points.push({ t: x.t + offset, rps: x.rps });
    offset += p.trace.durationSeconds;
  }
  const first = parts[0]!;
  return {
    trace: { stepSeconds: first.trace.stepSeconds, points, durationSeconds: offset, source: rel },
    ...(first.originMs !== undefined ? { originMs: first.originMs } : {}),
    layout: `${parts.length} files in the order of their number (${names[0]!.n} .. ${names.at(-1)!.n}), each ${first.layout}`,
  };
}

/** What a worker needs to rebuild a scenario (plain data). */
export interface ScenarioSpec {
  demand: Demand;
  spot: Spot;
  seed: number;
  tracesDir: string;
  /** The 2024 traces' day (UTC). */
  dayUtc?: string;
}

export interface Scenario {
  spec: ScenarioSpec;
  /** e.g. `azure2024 code (Tue), spot AWS2`. */
  name: string;
  trace: DemandTrace;
  hours: number;
  startMs: number;
  spotTrace?: string;
  /** Demand before the run for the autoscaler's forecaster (t < 0). */
  history?: DemandTrace;
  notes: string[];
}

/** A controller's figures in a scenario. */
export type Figures = Pick<
  ControllerSummary,
  | 'cost_usd'
  | 'slo_attainment'
  | 'worst_hour_slo'
  | 'unserved_requests'
  | 'offered_requests'
  | 'interruptions'
  | 'max_replacement_seconds'
  | 'unreplaced_interruptions'
  | 'scaling_actions'
>;

export interface Job {
  id: number;
  spec: ScenarioSpec;
  /** `baselines`: every baseline; `autoscaler`: the autoscaler at `availability`. */
  kind: 'baselines' | 'autoscaler';
  availability?: number;
  /** Warm capacity as the demo declares it (default), or none (`--no-warm`). */
  warm?: boolean;
}

export interface JobResult {
  id: number;
  figures: Record<string, Figures>;
  seconds: number;
  error?: string;
}

/** Seed 002's busiest hour on the demo fleet: the peak every trace is scaled to (781 requests/s). */
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

const spotName = (spot: Spot) => (spot === 'default' ? '' : `, spot ${spot}`);

/** The 2024 traces' CSV options (digitized requests per minute). */
export const AZURE2024_CSV: TraceCsvOptions = { timeColumn: 'offset_min', valueColumn: 'rpm_mid', valueUnit: 'rpm' };

export async function buildScenario(spec: ScenarioSpec): Promise<Scenario> {
  const demo = demoFleet();
  const peak = defaultDayPeakRps(demo);
  const spotTrace = spec.spot === 'default' ? undefined : path.join(spec.tracesDir, 'spot_availability', spec.spot);
  const spotPart = spotTrace ? { spotTrace } : {};
  if (spec.demand === 'default') {
    const trace = defaultDayTrace({
      seed: spec.seed,
      scale: demo.defaultDayScale,
      hours: 24,
      stepSeconds: STEP_SECONDS,
    });
    return {
      spec,
      name: `default day${spotName(spec.spot)}`,
      trace,
      hours: 24,
      startMs: demo.startMs,
      ...spotPart,
      notes: [
        `seed 002's hourly pattern x ${demo.defaultDayScale.toFixed(2)} (pattern peak ${peak.toFixed(0)} requests/s; busiest minute with the noise ${peakStepRps(trace, STEP_SECONDS).toFixed(0)})`,
      ],
    };
  }
  if (spec.demand.startsWith(TRACE_PREFIX)) return traceScenario(spec, spotPart, peak, demo);
  const [, kind] = spec.demand.split('-') as [string, 'conv' | 'code'];
  if (spec.demand.startsWith('azure2023')) {
    const file = path.join(spec.tracesDir, 'azure_llm_2023', `azure2023_${kind}_per_minute.csv`);
    const raw = await loadTraceCsv(file);
    const { origin } = await traceOriginMs(file, 't_start_utc', 'offset_s', 1);
    const cut = sliceTrace(raw, 60, raw.durationSeconds - 60);
    const factor = peak / peakStepRps(cut, STEP_SECONDS);
    const trace = scaleTrace(
      { ...cut, source: `${path.relative(path.dirname(spec.tracesDir), file)} minutes 2..${raw.points.length - 1}` },
      Number(factor.toFixed(4)),
    );
    return {
      spec,
      name: `azure2023 ${kind}${spotName(spec.spot)}`,
      trace,
      hours: trace.durationSeconds / 3600,
      startMs: alignedStart(origin + 60_000),
      ...spotPart,
      notes: [
        `${new Date(origin + 60_000).toISOString().slice(0, 16)} UTC, ${(trace.durationSeconds / 60).toFixed(0)} min per minute (partial first and last minutes dropped), no history`,
        `x ${factor.toFixed(2)}: busiest minute ${peakStepRps(cut, STEP_SECONDS).toFixed(2)} -> ${peak.toFixed(0)} requests/s (mean ${meanRps(trace, 0, trace.durationSeconds).toFixed(0)})`,
      ],
    };
  }
  const dayUtc = spec.dayUtc ?? '2024-05-14';
  const file = path.join(spec.tracesDir, 'azure_llm_2024', `azure2024_${kind}_digitized_rpm.csv`);
  const raw = await loadTraceCsv(file, AZURE2024_CSV);
  const { origin, firstOffset } = await traceOriginMs(file, 't_approx_utc', 'offset_min', 60);
  // loadTraceCsv puts t = 0 at the first row, `firstOffset` minutes after the origin.
  const t0 = origin + firstOffset * 60_000;
  const dayStart = Date.parse(`${dayUtc}T00:00:00Z`);
  const from = (dayStart - t0) / 1000;
  const to = from + 86_400;
  if (from < 0 || to > raw.durationSeconds) throw new Error(`${file} does not cover ${dayUtc}`);
  const day = sliceTrace(raw, from, to, `${path.relative(path.dirname(spec.tracesDir), file)} ${dayUtc}`);
  const factor = peak / peakStepRps(day, STEP_SECONDS);
  const trace = scaleTrace(day, Number(factor.toFixed(4)));
  const { history, hours: historyHours } = historyBefore(raw, from, Number(factor.toFixed(4)));
  const weekday = new Date(dayStart).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return {
    spec,
    name: `azure2024 ${kind} (${weekday})${spotName(spec.spot)}`,
    trace,
    hours: 24,
    startMs: alignedStart(dayStart),
    ...spotPart,
    ...(history ? { history } : {}),
    notes: [
      `${dayUtc} (${weekday}) 00:00-24:00 UTC, rpm_mid (digitized, ~7.2 min steps), ${historyHours.toFixed(0)} h of history before it for the forecaster`,
      `x ${factor.toFixed(2)}: busiest step of the day ${peakStepRps(day, STEP_SECONDS).toFixed(1)} -> ${peak.toFixed(0)} requests/s (mean ${meanRps(trace, 0, trace.durationSeconds).toFixed(0)})`,
    ],
  };
}

/**
 * Up to 48 h of `raw` before `from` (seconds), scaled by `factor`, at t < 0: the metrics history the autoscaler's
 * forecaster and headroom read. Undefined (0 h) when the run starts at the trace's start.
 */
function historyBefore(raw: DemandTrace, from: number, factor: number): { history?: DemandTrace; hours: number } {
  const historyFrom = Math.max(0, from - 48 * 3600);
  if (!(from > historyFrom)) return { hours: 0 };
  const past = scaleTrace(sliceTrace(raw, historyFrom, from), factor);
  return {
    history: { ...past, points: past.points.map((p) => ({ t: p.t - (from - historyFrom), rps: p.rps })) },
    hours: (from - historyFrom) / 3600,
  };
}

/** How much of a trace `traceScenario` runs: traces up to this long run whole, longer ones their last day. */
export const WHOLE_TRACE_HOURS = 48;

/** Where the part of a trace `traceScenario` runs starts (seconds): 0, or its last day's start. */
export function runFrom(durationSeconds: number): number {
  return durationSeconds / 3600 > WHOLE_TRACE_HOURS ? durationSeconds - 86_400 : 0;
}

/**
 * A demand trace of the traces folder that has no named scenario (`trace:<path>`): read by `detectTrace`,
 * scaled like the others so its busiest 60 s step is the demo's peak. Up to `WHOLE_TRACE_HOURS` long it runs
 * whole, without history, as the 2023 hours do; a longer one runs its last 24 h, with up to 48 h before them as
 * the history the forecaster reads, as the 2024 days do. Dated traces show their own weekday and time of day.
 */
async function traceScenario(
  spec: ScenarioSpec,
  spotPart: { spotTrace?: string },
  peak: number,
  demo: DemoFleet,
): Promise<Scenario> {
  const rel = spec.demand.slice(TRACE_PREFIX.length);
  const file = path.join(spec.tracesDir, rel);
  const { trace: raw, originMs, layout } = await loadTraceParts(spec.tracesDir, rel);
  const hours = raw.durationSeconds / 3600;
  const from = runFrom(raw.durationSeconds);
  const window = sliceTrace(raw, from, raw.durationSeconds, `${path.relative(path.dirname(spec.tracesDir), file)}`);
  const busiest = peakStepRps(window, STEP_SECONDS);
  if (!(busiest > 0)) throw new Error(`${file}: no request in the part the benchmark runs`);
  const factor = Number((peak / busiest).toFixed(4));
  const trace = scaleTrace(window, factor);
  const { history, hours: historyHours } = historyBefore(raw, from, factor);
  const startUtc = originMs !== undefined ? originMs + from * 1000 : undefined;
  const part =
    from > 0
      ? `its last 24 h of ${hours.toFixed(0)} h, ${historyHours.toFixed(0)} h of history before them for the forecaster`
      : `${(trace.durationSeconds / 3600).toFixed(1)} h, whole, no history`;
  return {
    spec,
    name: `${traceName(rel)}${from > 0 ? ' (last day)' : ''}${spotName(spec.spot)}`,
    trace,
    hours: trace.durationSeconds / 3600,
    startMs: startUtc !== undefined ? alignedStart(startUtc) : demo.startMs,
    ...spotPart,
    ...(history ? { history } : {}),
    notes: [
      `${layout}; ${part}${startUtc !== undefined ? `, from ${new Date(startUtc).toISOString().slice(0, 16)} UTC` : ''}`,
      `x ${factor.toFixed(2)}: busiest minute ${busiest.toFixed(2)} -> ${peak.toFixed(0)} requests/s (mean ${meanRps(trace, 0, trace.durationSeconds).toFixed(0)})`,
    ],
  };
}

/** Every scenario spec (the traces' only when `tracesDir` exists; `skipped` says so). */
export async function scenarioSpecs(
  seed: number,
  tracesDir: string,
  filter: { demands?: readonly Demand[]; spots?: readonly Spot[]; days?: readonly string[] } = {},
): Promise<{ specs: ScenarioSpec[]; skipped?: string }> {
  let present = true;
  try {
    await access(tracesDir);
  } catch {
    present = false;
  }
  const found = present ? await discoverTraces(tracesDir) : undefined;
  if (found) {
    for (const d of filter.demands ?? [])
      if (d !== 'default' && !found.demands.includes(d))
        throw new Error(`no demand trace '${d}' in ${tracesDir} (there: ${found.demands.join(', ') || 'none'})`);
    for (const x of filter.spots ?? [])
      if (!found.spots.includes(x))
        throw new Error(
          `no spot process '${x}' (default, or a set in ${tracesDir}/${SPOT_FOLDER}: ${found.spots.slice(1).join(', ') || 'none'})`,
        );
  }
  const demands = (filter.demands ?? ['default', ...(found?.demands ?? [])]).filter((d) => present || d === 'default');
  const spots = (filter.spots ?? found?.spots ?? ['default']).filter((s) => present || s === 'default');
  const days = filter.days?.length ? filter.days : [undefined];
  const specs = demands.flatMap((demand) =>
    (demand.startsWith('azure2024') ? days : [undefined]).flatMap((dayUtc) =>
      spots.map((spot): ScenarioSpec => ({ demand, spot, seed, tracesDir, ...(dayUtc ? { dayUtc } : {}) })),
    ),
  );
  if (!present)
    return { specs, skipped: `${tracesDir} is absent: only the default day with the default spot process runs` };
  return found?.passed.length
    ? { specs, skipped: `passed over in ${tracesDir}: ${found.passed.join('; ')}` }
    : { specs };
}

/**
 * The jobs for some specs: the baselines once per scenario (on the demo with its warm capacity), the
 * autoscaler per availability with the demo's warm capacity, and without it (`warm: false`) at the
 * availabilities in `noWarmAt` (the targets' 0.999 by default: side by side where the targets are checked).
 */
export function jobsFor(
  specs: readonly ScenarioSpec[],
  availabilities: readonly number[],
  noWarmAt: readonly number[] = [TARGETS.availability],
): Job[] {
  const jobs: Job[] = [];
  for (const spec of specs) {
    jobs.push({ id: jobs.length, spec, kind: 'baselines' });
    for (const availability of availabilities) jobs.push({ id: jobs.length, spec, kind: 'autoscaler', availability });
    for (const availability of availabilities.filter((a) => noWarmAt.includes(a))) {
      jobs.push({ id: jobs.length, spec, kind: 'autoscaler', availability, warm: false });
    }
  }
  return jobs;
}

const pick = (s: ControllerSummary): Figures => ({
  cost_usd: s.cost_usd,
  slo_attainment: s.slo_attainment,
  worst_hour_slo: s.worst_hour_slo,
  unserved_requests: s.unserved_requests,
  offered_requests: s.offered_requests,
  interruptions: s.interruptions,
  max_replacement_seconds: s.max_replacement_seconds,
  unreplaced_interruptions: s.unreplaced_interruptions,
  scaling_actions: s.scaling_actions,
});

/** Runs one job in this process. */
export async function runJob(job: Job, cwd: string, log: (line: string) => void = () => {}): Promise<JobResult> {
  const began = performance.now();
  const s = await buildScenario(job.spec);
  const demo = demoFleet({ startMs: s.startMs, warm: job.warm !== false });
  const slots = spotSlots(demo.worldPools);
  const spot = s.spotTrace
    ? scheduleFromTraces(await loadSpotTraces(s.spotTrace), slots, s.hours * 3600, s.spotTrace)
    : defaultSpotProcess({ seed: job.spec.seed, slots, durationSeconds: s.hours * 3600 });
  const controllers =
    job.kind === 'baselines'
      ? createBaselines()
      : [
          createAutoscalerController({
            demo,
            seed: job.spec.seed,
            hours: s.hours,
            stepSeconds: STEP_SECONDS,
            cwd,
            log,
            ...(job.availability !== undefined ? { availability: job.availability } : {}),
            ...(s.history ? { history: s.history } : {}),
          }),
        ];
  const result = await runSimulation({
    trace: s.trace,
    spot,
    demo,
    hours: s.hours,
    seed: job.spec.seed,
    stepSeconds: STEP_SECONDS,
    controllers,
  });
  return {
    id: job.id,
    figures: Object.fromEntries(result.runs.map((r) => [r.name, pick(r.summary)])),
    seconds: (performance.now() - began) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Results and targets

export interface ScenarioResult {
  name: string;
  spec: Omit<ScenarioSpec, 'tracesDir'>;
  notes: string[];
  /** The baselines' figures by name. */
  baselines: Record<string, Figures>;
  /** The autoscaler's figures by availability target (`0.999`), with the demo's warm capacity. */
  autoscaler: Record<string, Figures>;
  /** The same without warm capacity (`--no-warm`). */
  autoscalerNoWarm?: Record<string, Figures>;
  /** Issue 13's targets (warm capacity), with availability 0.999. */
  warmTargets?: TargetCheck[];
  /** Against SkyServe/SpotHedge (`spothedge`), the reference issue 10 names: not one of its targets. */
  reference?: TargetCheck[];
  /** Why no online controller serves 99.9% (figures), when none does. */
  unservable?: string;
  targets: TargetCheck[];
  seconds: number;
}

export interface TargetCheck {
  target: string;
  pass: boolean;
  detail: string;
}

const pct = (x: number, digits = 3) => `${(x * 100).toFixed(digits)}%`;

/** The mean demand (requests/s) of each of the trace's first `minutes` minutes. */
function minuteRps(trace: DemandTrace, minutes: number): number[] {
  return Array.from({ length: minutes }, (_, m) => offeredRequests(trace, m * 60, (m + 1) * 60) / 60);
}

/**
 * The largest rise of the per-minute demand within one time to ready (10 minutes): from the lowest minute of
 * a window to its last one, requests/s, and when (minutes from the start).
 */
export function steepestRise(trace: DemandTrace, windowMinutes = 10): { from: number; to: number; atMinute: number } {
  const minutes = Math.floor(trace.durationSeconds / 60);
  const rps = minuteRps(trace, minutes);
  let best = { from: 0, to: 0, atMinute: 0 };
  for (let m = 0; m < minutes; m++) {
    const low = Math.min(...rps.slice(Math.max(0, m - windowMinutes), m + 1));
    if (rps[m]! - low > best.to - best.from) best = { from: low, to: rps[m]!, atMinute: m };
  }
  return best;
}

/**
 * The highest per-minute demand within the first time to ready (10 minutes) and its minute, beside the first
 * minute's demand, which every controller starts sized for (`simulate`'s fair start): a burst there comes before
 * a node requested at the start is ready, and before a controller has seen any rise to resume warm nodes for.
 */
export function openingBurst(trace: DemandTrace, windowMinutes = 10): { from: number; to: number; atMinute: number } {
  const rps = minuteRps(trace, Math.min(windowMinutes, Math.floor(trace.durationSeconds / 60)));
  const minutes = rps.length;
  let best = { from: rps[0] ?? 0, to: rps[0] ?? 0, atMinute: 0 };
  for (let m = 1; m < minutes; m++) if (rps[m]! > best.to) best = { ...best, to: rps[m]!, atMinute: m };
  return best;
}

/** Why no online controller serves a trace, in figures: the opening burst (if any) and the steepest rise. */
export function unservableWhy(trace: DemandTrace): string {
  const rise = steepestRise(trace);
  const open = openingBurst(trace);
  const rises = `demand rises from ${rise.from.toFixed(0)} to ${rise.to.toFixed(0)} requests/s within 10 minutes at minute ${rise.atMinute}`;
  if (!(open.to > open.from) || open.atMinute === rise.atMinute) {
    return `${rises}, faster than a node's 10-minute time to ready`;
  }
  // That minute's requests as a share of the trace's: what a controller that starts at the opening's size loses
  // there is most of them, against the 0.1% the target allows over the whole trace.
  const total = offeredRequests(trace, 0, trace.durationSeconds);
  const share = total > 0 ? (open.to * 60) / total : 0;
  return (
    `the trace opens at ${open.from.toFixed(0)} requests/s, which every controller starts sized for, and reaches ` +
    `${open.to.toFixed(0)} at minute ${open.atMinute} (${pct(share, 1)} of its requests in that minute), before a ` +
    `node requested at the start is ready (10 minutes) and before a rise has been seen to resume a warm node for; ` +
    `later ${rises}`
  );
}

/**
 * The issue's targets on one scenario, with the autoscaler at availability 0.999: SLO >= 99.9% where some
 * online controller (the autoscaler at any target, reactive, hpa, karpenter, spothedge) reaches it, >= 99.5% everywhere;
 * cost <= 1.5 x the oracle's; cheaper than karpenter at an SLO at least as high.
 */
export function checkTargets(
  baselines: Record<string, Figures>,
  autoscaler: Record<string, Figures>,
  trace?: DemandTrace,
): { targets: TargetCheck[]; unservable?: string } {
  const a = autoscaler[String(TARGETS.availability)];
  const oracle = baselines.oracle;
  const karpenter = baselines.karpenter;
  if (!a || !oracle || !karpenter) return { targets: [] };
  const online: Array<[string, number]> = [
    ...Object.entries(autoscaler).map(([t, f]) => [`autoscaler @${t}`, f.slo_attainment] as [string, number]),
    ...ONLINE_BASELINES.filter((b) => baselines[b]).map((b) => [b, baselines[b]!.slo_attainment] as [string, number]),
  ];
  const best = online.reduce((x, y) => (y[1] > x[1] ? y : x));
  const servable = best[1] >= TARGETS.sloServable;
  let unservable: string | undefined;
  if (!servable) {
    unservable =
      `no online controller reaches ${pct(TARGETS.sloServable, 1)} (best: ${best[0]} ${pct(best[1])})` +
      (trace ? `; ${unservableWhy(trace)}` : '');
  }
  const sloTarget = servable ? TARGETS.sloServable : TARGETS.sloAll;
  const vsOracle = a.cost_usd / oracle.cost_usd;
  return {
    targets: [
      {
        target: `SLO >= ${pct(sloTarget, 1)}${servable ? '' : ' (none online reaches 99.9%)'}`,
        pass: a.slo_attainment >= sloTarget,
        detail: `${pct(a.slo_attainment)} (worst hour ${pct(a.worst_hour_slo, 2)})`,
      },
      {
        target: `cost <= ${TARGETS.maxCostVsOracle} x oracle`,
        pass: vsOracle <= TARGETS.maxCostVsOracle,
        detail: `${ratioText(vsOracle, TARGETS.maxCostVsOracle)} ($${a.cost_usd.toFixed(2)} vs $${oracle.cost_usd.toFixed(2)})`,
      },
      {
        target: 'cheaper than karpenter at an SLO at least as high',
        pass: a.cost_usd < karpenter.cost_usd && a.slo_attainment >= karpenter.slo_attainment,
        detail: `$${a.cost_usd.toFixed(2)} at ${pct(a.slo_attainment)} vs $${karpenter.cost_usd.toFixed(2)} at ${pct(karpenter.slo_attainment)}`,
      },
    ],
    ...(unservable ? { unservable } : {}),
  };
}

/**
 * A cost ratio as the target tables print it: to two decimals, to three where two would read as the other side
 * of the target's `limit` (a ratio of 1.3046 against 1.3 is a MISS, and "1.30x" beside it would say otherwise).
 */
export function ratioText(ratio: number, limit: number): string {
  const two = Number(ratio.toFixed(2));
  return two <= limit !== ratio <= limit ? `${ratio.toFixed(3)}x` : `${ratio.toFixed(2)}x`;
}

/**
 * Against the reference issue 10 names for spot with a dynamic fallback to on-demand (SkyServe/SpotHedge, the
 * `spothedge` baseline), with availability 0.999: cheaper at an SLO at least as high. Printed beside the
 * targets, not counted among them.
 */
export function checkReference(baselines: Record<string, Figures>, autoscaler: Record<string, Figures>): TargetCheck[] {
  const a = autoscaler[String(TARGETS.availability)];
  const ref = baselines.spothedge;
  if (!a || !ref) return [];
  return [
    {
      target: 'cheaper than spothedge at an SLO at least as high',
      pass: a.cost_usd < ref.cost_usd && a.slo_attainment >= ref.slo_attainment,
      detail: `$${a.cost_usd.toFixed(2)} at ${pct(a.slo_attainment)} vs $${ref.cost_usd.toFixed(2)} at ${pct(ref.slo_attainment)}`,
    },
  ];
}

/** Warm capacity's targets (issue 13), with availability 0.999 and the demo's warm capacity. */
export const WARM_TARGETS = { slo: 0.999, maxCostVsOracle: 1.3 } as const;

/**
 * Issue 13's targets on one scenario: SLO >= 99.9% (every scenario), cost <= 1.3 x the oracle's, cheaper than
 * karpenter.
 */
export function checkWarmTargets(
  baselines: Record<string, Figures>,
  autoscaler: Record<string, Figures>,
): TargetCheck[] {
  const a = autoscaler[String(TARGETS.availability)];
  const oracle = baselines.oracle;
  const karpenter = baselines.karpenter;
  if (!a || !oracle || !karpenter) return [];
  const vsOracle = a.cost_usd / oracle.cost_usd;
  return [
    {
      target: `SLO >= ${pct(WARM_TARGETS.slo, 1)}`,
      pass: a.slo_attainment >= WARM_TARGETS.slo,
      detail: `${pct(a.slo_attainment)} (worst hour ${pct(a.worst_hour_slo, 2)})`,
    },
    {
      target: `cost <= ${WARM_TARGETS.maxCostVsOracle} x oracle`,
      pass: vsOracle <= WARM_TARGETS.maxCostVsOracle,
      detail: ratioText(vsOracle, WARM_TARGETS.maxCostVsOracle),
    },
    {
      target: 'cheaper than karpenter',
      pass: a.cost_usd < karpenter.cost_usd,
      detail: `$${a.cost_usd.toFixed(2)} vs $${karpenter.cost_usd.toFixed(2)}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Printing

export const mark = (pass: boolean) => (pass ? 'PASS' : 'MISS');

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

/** The autoscaler without warm capacity at a target: SLO and cost (x oracle). */
function noWarm(r: ScenarioResult, target: string): string {
  const f = r.autoscalerNoWarm?.[target];
  const oracle = r.baselines.oracle;
  if (!f) return '-';
  return `${pct(f.slo_attainment)} $${f.cost_usd.toFixed(2)}${oracle ? ` (${(f.cost_usd / oracle.cost_usd).toFixed(2)}x)` : ''}`;
}

/** Every scenario and target: the autoscaler's SLO, worst hour, cost and cost / oracle; each baseline's SLO and cost. */
export function formatSimTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const oracle = r.baselines.oracle;
    for (const [target, a] of Object.entries(r.autoscaler)) {
      rows.push([
        r.name,
        target,
        pct(a.slo_attainment),
        pct(a.worst_hour_slo, 2),
        a.cost_usd.toFixed(2),
        oracle ? (a.cost_usd / oracle.cost_usd).toFixed(2) : '-',
        noWarm(r, target),
        ...BASELINES.map((b) =>
          r.baselines[b] ? `${pct(r.baselines[b]!.slo_attainment)} $${r.baselines[b]!.cost_usd.toFixed(2)}` : '-',
        ),
      ]);
    }
  }
  return table(
    [
      'scenario',
      'target',
      'autoscaler SLO',
      'worst hour',
      'cost $',
      'x oracle',
      'no warm: SLO, cost',
      ...BASELINES.map((b) => `${b} SLO, cost`),
    ],
    rows,
  );
}

/** The targets with availability 0.999, one row per scenario. */
export function formatTargets(results: readonly ScenarioResult[]): string {
  const rows = results
    .filter((r) => r.targets.length > 0)
    .map((r) => [r.name, ...r.targets.map((t) => `${mark(t.pass)} ${t.detail}`)]);
  const lines = [table(['scenario (availability 0.999)', 'SLO target', 'cost <= 1.5 x oracle', 'vs karpenter'], rows)];
  for (const r of results) if (r.unservable) lines.push(`  ${r.name}: ${r.unservable}`);
  const all = results.flatMap((r) => r.targets);
  if (all.length > 0) {
    lines.push(`targets: ${all.filter((t) => t.pass).length} PASS, ${all.filter((t) => !t.pass).length} MISS`);
  }
  lines.push(
    ...checkSection(
      results,
      (r) => r.warmTargets,
      ['scenario (availability 0.999, warm)', 'SLO >= 99.9%', 'cost <= 1.3 x oracle', 'cheaper than karpenter'],
      'warm targets',
    ),
    ...checkSection(
      results,
      (r) => r.reference,
      ['scenario (availability 0.999)', 'against SkyServe/SpotHedge (the reference, not a target)'],
      'against spothedge',
    ),
  );
  return lines.join('\n');
}

/** The scenarios with checks of one kind: their table and the tally (`label: n PASS, m MISS`); none, nothing. */
function checkSection(
  results: readonly ScenarioResult[],
  checks: (r: ScenarioResult) => TargetCheck[] | undefined,
  header: string[],
  label: string,
): string[] {
  const rows = results.filter((r) => (checks(r) ?? []).length > 0);
  if (rows.length === 0) return [];
  const all = rows.flatMap((r) => checks(r)!);
  return [
    '',
    table(
      header,
      rows.map((r) => [r.name, ...checks(r)!.map((t) => `${mark(t.pass)} ${t.detail}`)]),
    ),
    `${label}: ${all.filter((t) => t.pass).length} PASS, ${all.filter((t) => !t.pass).length} MISS`,
  ];
}

/** The same as Markdown: a header row and one row per scenario with checks of that kind; none, nothing. */
function checkRows(
  results: readonly ScenarioResult[],
  checks: (r: ScenarioResult) => TargetCheck[] | undefined,
  header: string,
): string[] {
  const rows = results.filter((r) => (checks(r) ?? []).length > 0);
  if (rows.length === 0) return [];
  const cols = header.split(' | ').length;
  return [
    '',
    header,
    `|${'---|'.repeat(cols)}`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${checks(r)!
          .map((t) => `${mark(t.pass)} ${t.detail}`)
          .join(' | ')} |`,
    ),
  ];
}

/** The same figures as Markdown, for the README: one row per scenario and target, then the targets. */
export function formatMarkdown(results: readonly ScenarioResult[]): string {
  const lines = [
    '| scenario | target | autoscaler SLO | worst hour | cost | x oracle | no warm: SLO, cost | karpenter | spothedge | hpa | reactive | static | oracle |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cell = (f: Figures | undefined) => (f ? `${pct(f.slo_attainment)}, $${f.cost_usd.toFixed(2)}` : '-');
  for (const r of results) {
    const oracle = r.baselines.oracle;
    for (const [target, a] of Object.entries(r.autoscaler)) {
      lines.push(
        `| ${r.name} | ${target} | ${pct(a.slo_attainment)} | ${pct(a.worst_hour_slo, 2)} | $${a.cost_usd.toFixed(2)} | ${oracle ? (a.cost_usd / oracle.cost_usd).toFixed(2) : '-'} | ${noWarm(r, target)} | ${cell(r.baselines.karpenter)} | ${cell(r.baselines.spothedge)} | ${cell(r.baselines.hpa)} | ${cell(r.baselines.reactive)} | ${cell(r.baselines.static)} | ${cell(r.baselines.oracle)} |`,
      );
    }
  }
  lines.push(
    ...checkRows(
      results,
      (r) => r.targets,
      '| scenario (availability 0.999) | SLO | cost <= 1.5 x oracle | cheaper than karpenter at an SLO at least as high |',
    ),
    ...checkRows(
      results,
      (r) => r.warmTargets,
      '| scenario (availability 0.999, warm) | SLO >= 99.9% | cost <= 1.3 x oracle | cheaper than karpenter |',
    ),
    ...checkRows(
      results,
      (r) => r.reference,
      '| scenario (availability 0.999) | cheaper than spothedge at an SLO at least as high (the reference, not a target) |',
    ),
  );
  return lines.join('\n');
}
