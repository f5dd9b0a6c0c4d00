/**
 * The interruption path's cold start: `npm run bench:coldstart` (or `npm run bench -- --only coldstart`).
 *
 * Bundles the spot-interruption function the way `sst deploy` does (bench/bundles.ts's esbuild options; the
 * entry is bench/coldstart-entry.ts: the function's handler with its dependencies aimed at the emulators),
 * starts the local stack (every emulator and dynalite on 127.0.0.1, the demo configuration's world), and in a
 * fresh Node process per run times:
 * - init: importing the bundle, plus (`preload`) `warm()`: building the dependencies and loading every
 *   adapter the demo fleet's pools use, as the deployed function does during init (top-level await);
 * - the first decision: an EC2 Spot Instance Interruption Warning (events/samples, moved onto one of the demo
 *   fleet's spot instances, which the world takes back);
 * - a warm decision in the same process: the same warning for a second instance of the pool.
 * Each run has a fresh stack (a fresh world and table). Runs alternate with and without the preload (the
 * latter: deps and adapters built on the first event, as a function without `warm()` would).
 *
 * Prints the medians and the ratios first / warm (the target of issue 14: the preloaded first decision close
 * to a warm one) and first-without / first-with preload.
 *
 *   node bench/coldstart.ts [--runs N] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { loadSample } from '../events/samples.ts';
import { World } from '../local/emulators/world.ts';
import { seedDeployments, seedWorld } from '../local/seed.ts';
import { DEMO_CONFIG_FILE } from '../local/sim/autoscaler.ts';
import { demoFleet } from '../local/sim/demo.ts';
import { startLocalStack } from '../local/stack.ts';
import { loadConfigFile } from '../shared/config/load.ts';
import { functionBuildOptions } from './bundles.ts';
import type { ColdstartTargets } from './coldstart-entry.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTRY = 'bench/coldstart-entry.ts';
/** Monday 2026-01-05 10:00 in New York, as the tests' harness: inside the demo's business hours. */
const T0 = Date.parse('2026-01-05T15:00:00Z');
const SPOT_POOL = 'aws-g5-spot';
/** A run's child process is killed after this long (it should take a few seconds). */
const RUN_TIMEOUT_MS = 120_000;

export interface RunFigures {
  preload: boolean;
  /** Importing the bundle (ms). */
  import_ms: number;
  /** Import plus `warm()` (equal to import_ms without the preload). */
  init_ms: number;
  first_ms: number;
  warm_ms: number;
  statuses: [string, string];
}

export interface ColdstartResult {
  runs: RunFigures[];
  preloaded: { init_ms: number; first_ms: number; warm_ms: number; ratio: number };
  lazy: { init_ms: number; first_ms: number; warm_ms: number; ratio: number };
  /** First decision without the preload / with it (medians). */
  preload_gain: number;
  bundle_kib: number;
  seconds: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The EC2 Spot warning sample moved onto an instance of the world, at a time, with its own id. */
export function spotWarning(instance: { id: string; zone: string }, at: number, id: string): unknown {
  const sample = loadSample<Record<string, unknown>>('aws-spot-interruption', 'valid');
  const text = JSON.stringify(sample)
    .replaceAll('i-0a1b2c3d4e5f60718', instance.id)
    .replaceAll('us-east-1a', instance.zone);
  return { ...(JSON.parse(text) as Record<string, unknown>), id, time: new Date(at).toISOString().replace('.000', '') };
}

/** The line the child prints its figures on, and how it is found among anything else it writes. */
const MARK = 'COLDSTART_FIGURES ';
export function parseFigures(stdout: string): Omit<RunFigures, 'preload'> {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`the child printed no figures: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice(MARK.length)) as Omit<RunFigures, 'preload'>;
}

function childCode(entryUrl: string, preload: boolean): string {
  return `
const t0 = performance.now();
const m = await import(${JSON.stringify(entryUrl)});
const t1 = performance.now();
const h = m.spotInterruptionHandler();
${preload ? 'await h.warm();' : ''}
const t2 = performance.now();
const [first, second] = JSON.parse(process.env.COLDSTART_EVENTS);
const r1 = await h(first, m.localContext('spot-interruption'));
const t3 = performance.now();
const r2 = await h(second, m.localContext('spot-interruption'));
const t4 = performance.now();
console.log(${JSON.stringify(MARK)} + JSON.stringify({ import_ms: t1 - t0, init_ms: t2 - t0, first_ms: t3 - t2, warm_ms: t4 - t3, statuses: [r1.status, r2.status] }));
`;
}

/** Runs the child asynchronously (the emulators live in this process: it must keep serving meanwhile). */
function runChild(code: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env, cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status === 0) resolve(out);
      else reject(new Error(`the child exited ${status}: ${err.trim().slice(-1500)}`));
    });
  });
}

async function oneRun(entryUrl: string, preload: boolean, run: number): Promise<RunFigures> {
  const resolved = await loadConfigFile(DEMO_CONFIG_FILE);
  const world = new World({ start: T0, seed: 7 + run });
  // The demo's Capacity Block, active around the start (as the tests' harness places it).
  const block = demoFleet().reservations[0]!;
  world.addReservation({ ...block, start: T0 - 3600_000, end: T0 + 6 * 3600_000 });
  seedWorld(world, resolved, (id, min) => (id === SPOT_POOL ? Math.max(min, 3) : min));
  const stack = await startLocalStack({ world, resolved });
  try {
    seedDeployments(world, resolved, stack.kubernetes);
    const [a, b] = world.instancesOf(SPOT_POOL);
    if (!a || !b) throw new Error(`the world has fewer than 2 instances in ${SPOT_POOL}`);
    for (const i of [a, b]) world.interrupt(i, 'spot', 120);
    const targets: ColdstartTargets = {
      configFile: DEMO_CONFIG_FILE,
      now: world.now(),
      region: stack.connections.aws!.region,
      eventBusName: stack.connections.aws!.eventBusName ?? 'gpu-autoscaler',
      aws: stack.aws.endpoints,
      azure: {
        endpoint: stack.azure.endpoint,
        ca: stack.azure.ca,
        subscriptionId: stack.connections.azure!.subscriptionId!,
      },
      gcp: { endpoint: stack.gcp.endpoint, project: stack.connections.gcp!.project ?? 'emulator-project' },
      kubeconfigs: Object.fromEntries([...stack.kubernetes].map(([name, k]) => [name, k.kubeconfigText])),
      dynamo: { endpoint: stack.dynamo.endpoint, tableName: stack.dynamo.tableName },
    };
    const events = [
      spotWarning(a, world.now(), `coldstart-${run}-a`),
      spotWarning(b, world.now(), `coldstart-${run}-b`),
    ];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: targets.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'bench',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      COLDSTART_TARGETS: JSON.stringify(targets),
      COLDSTART_EVENTS: JSON.stringify(events),
    };
    const figures = parseFigures(await runChild(childCode(entryUrl, preload), env));
    return { preload, ...figures };
  } finally {
    await stack.close();
  }
}

export async function measureColdStart(options: { runs?: number; log?: (s: string) => void } = {}) {
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => undefined);
  const began = performance.now();
  const out = mkdtempSync(path.join(os.tmpdir(), 'coldstart-'));
  try {
    const result = await build(functionBuildOptions(ENTRY, out));
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === ENTRY && o.endsWith('.mjs'))!;
    const bytes = Object.entries(outputs)
      .filter(([o]) => o.endsWith('.mjs'))
      .reduce((n, [, v]) => n + v.bytes, 0);
    const entryUrl = pathToFileURL(path.resolve(ROOT, entry)).href;
    const all: RunFigures[] = [];
    for (let r = 0; r < runs; r++) {
      for (const preload of [true, false]) {
        const f = await oneRun(entryUrl, preload, r);
        log(
          `coldstart: run ${r + 1}/${runs} ${preload ? 'preload' : 'lazy'}: init ${f.init_ms.toFixed(0)} ms, first ${f.first_ms.toFixed(0)} ms, warm ${f.warm_ms.toFixed(0)} ms (${f.statuses.join(', ')})`,
        );
        const bad = f.statuses.filter((s) => s === 'rejected' || s === 'no-op');
        if (bad.length > 0) throw new Error(`a spot warning was not decided: ${f.statuses.join(', ')}`);
        all.push(f);
      }
    }
    const summary = (preload: boolean) => {
      const rs = all.filter((f) => f.preload === preload);
      const first = median(rs.map((f) => f.first_ms));
      const warm = median(rs.map((f) => f.warm_ms));
      return { init_ms: median(rs.map((f) => f.init_ms)), first_ms: first, warm_ms: warm, ratio: first / warm };
    };
    const preloaded = summary(true);
    const lazy = summary(false);
    return {
      runs: all,
      preloaded,
      lazy,
      preload_gain: lazy.first_ms / preloaded.first_ms,
      bundle_kib: bytes / 1024,
      seconds: (performance.now() - began) / 1000,
    } satisfies ColdstartResult;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function formatColdStart(r: ColdstartResult): string {
  const n = r.runs.length / 2;
  const row = (name: string, s: ColdstartResult['preloaded']) =>
    `${name.padEnd(22)} init ${s.init_ms.toFixed(0).padStart(5)} ms  first decision ${s.first_ms.toFixed(0).padStart(5)} ms  warm decision ${s.warm_ms.toFixed(0).padStart(4)} ms  first/warm ${s.ratio.toFixed(2)}`;
  return [
    `spot-interruption bundle (${r.bundle_kib.toFixed(0)} KiB, all chunks), a fresh Node process per run, medians of ${n} runs each:`,
    row('with preload (warm())', r.preloaded),
    row('without preload', r.lazy),
    `first decision without / with the preload: ${r.preload_gain.toFixed(2)}`,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`coldstart: --runs must be a whole number >= 1, got '${values.runs}'`);
    process.exitCode = 2;
  } else {
    const r = await measureColdStart({ runs, log: (s) => process.stderr.write(`${s}\n`) });
    console.log(values.json ? JSON.stringify(r, null, 2) : formatColdStart(r));
  }
}
