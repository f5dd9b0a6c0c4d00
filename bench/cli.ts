/**
 * `npm run bench:cli`: how long the `autoscaler` command takes to answer, each as a ratio of a bare
 * `node -e ''` start measured in the same run (median of several fresh processes each):
 *
 *   - `--version` (the command line alone);
 *   - a rejected command (`scale` without `--reason`): it must start nothing, so it costs about what the
 *     command line does;
 *   - a local `status` on a warm machine: the local world already on disk (a first `status` made it), every
 *     emulator and dynalite started, the ops handler run, the world saved.
 *
 *   npm run bench:cli -- [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1, got ${values.runs}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(args: string[], expectCode: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== expectCode)
    throw new Error(`${args.join(' ')}: exit ${r.status}, wanted ${expectCode}\n${r.stderr}`);
  return ms;
}

const state = mkdtempSync(path.join(tmpdir(), 'bench-cli-'));
try {
  const cli = (...a: string[]) => ['bin/autoscaler.mjs', ...a];
  // The first status seeds the world and creates the table: the machine is warm after it.
  time(cli('status', '--state-dir', state), 0);
  const rows: Array<[string, number]> = [];
  const measure = (name: string, args: string[], code: number) => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push(time(args, code));
    rows.push([name, median(xs)]);
  };
  measure("bare node -e ''", ['-e', ''], 0);
  measure('autoscaler --version', cli('--version'), 0);
  measure(
    'rejected: scale without --reason',
    cli('scale', '--fleet', 'llm-demo', '--target', '3', '--state-dir', state),
    2,
  );
  measure('local status (warm world)', cli('status', '--state-dir', state), 0);
  const base = rows[0]![1];
  console.log(`node ${process.version}, median of ${runs} fresh processes each`);
  console.log('| command | time | ratio to a bare node start |');
  console.log('|---|---|---|');
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(0)} ms | ${(ms / base).toFixed(1)}x |`);
} finally {
  rmSync(state, { recursive: true, force: true });
}
