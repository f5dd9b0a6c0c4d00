/**
 * `npm run bench`: the project's benchmark. Prints, for the README:
 *
 * 1. the handlers' warm decision latency (p50, p99), as a ratio of a DynamoDB round trip measured in the same
 *    run (bench/latency.ts);
 * 2. on the default day and on the Azure LLM demand traces in ../shared/traces (when present), spot
 *    preemptions on: each controller's cost and SLO attainment, the autoscaler's cost as a ratio of the
 *    oracle's and of each baseline's, and the issue's targets, PASS or MISS (bench/sim.ts);
 * 3. per bundled function, its size and import time as a ratio of a bare Node start (bench/bundles.ts, run
 *    as its own process: it times fresh Node processes).
 *
 * A missed target is reported, not an error: the process exits 0 unless a part of the benchmark could not
 * run. Progress goes to standard error; `--json` prints one JSON object on standard output instead of the
 * report.
 *
 *   npm run bench -- [--json] [--seed N] [--only latency,sim,bundles] [--traces DIR] [--rounds N] [--bundle-runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatLatency, type LatencyResult, measureDecisionLatency } from './latency.ts';
import { formatScenario, formatSimSummary, runScenario, type ScenarioResult, scenarios } from './sim.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PARTS = ['latency', 'sim', 'bundles'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [options]
  --json              one JSON object on standard output instead of the report
  --seed N            seed of the default day, the spot process and the worlds (default 1)
  --only LIST         some of: ${PARTS.join(', ')} (comma-separated; default all)
  --traces DIR        the public traces (default ../shared/traces from the repository)
  --rounds N          measured rounds of the latency part (default 200)
  --bundle-runs N     runs of each import timing in the bundles part (default 5)`;

interface Options {
  json: boolean;
  seed: number;
  parts: Set<Part>;
  traces: string;
  rounds: number;
  bundleRuns: number;
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
      'bundle-runs': { type: 'string', default: '5' },
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
  return {
    json: values.json === true,
    seed: whole('seed', values.seed, 0),
    parts: new Set(only as Part[]),
    traces: path.resolve(values.traces ?? path.join(ROOT, '..', 'shared', 'traces')),
    rounds: whole('rounds', values.rounds, 1),
    bundleRuns: whole('bundle-runs', values['bundle-runs'], 1),
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
  const tty = process.stderr.isTTY
    ? { write: (t: string) => void process.stderr.write(t), columns: process.stderr.columns }
    : undefined;
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
  if (o.parts.has('latency')) {
    log('bench: decision latency...');
    try {
      latency = await measureDecisionLatency({ rounds: o.rounds });
      out(`== Decision latency ==\n${formatLatency(latency)}\n`);
    } catch (e) {
      fail('latency', e);
    }
  }

  const sims: ScenarioResult[] = [];
  let skipped: string | undefined;
  if (o.parts.has('sim')) {
    try {
      const s = await scenarios(o.seed, o.traces);
      skipped = s.skipped;
      for (const e of s.errors) fail('simulation', e);
      out('== Simulation (spot preemptions on) ==');
      if (skipped) out(`${skipped}\n`);
      for (const scenario of s.scenarios) {
        log(`bench: simulating ${scenario.name}...`);
        try {
          const r = await runScenario(scenario, { seed: o.seed, cwd: ROOT, log, ...(tty ? { tty } : {}) });
          sims.push(r);
          out(`${formatScenario(r)}\n`);
        } catch (e) {
          fail(`simulation ${scenario.name}`, e);
        }
      }
    } catch (e) {
      fail('simulation', e);
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

  if (sims.length > 0) {
    out(
      '== Summary: the autoscaler against the oracle and the baselines (targets: SLO >= 99.5%; cost <= 1.3 x oracle; cost <= 0.7 x the cheapest baseline at the same SLO) ==',
    );
    out(formatSimSummary(sims));
    out('');
  }
  if (latency) {
    out(
      `decision latency: ${latency.handlers.map((h) => `${h.handler} p50 ${h.p50_ms.toFixed(1)} ms (${h.p50_ratio.toFixed(0)}x), p99 ${h.p99_ms.toFixed(1)} ms (${h.p99_ratio.toFixed(0)}x)`).join('; ')} of a GetItem round trip`,
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
          ...(o.parts.has('sim') ? { simulation: { scenarios: sims, ...(skipped ? { skipped } : {}) } } : {}),
          ...(bundles ? { bundles } : {}),
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
