/**
 * Synthetic demand traces for the shapes the repository's real traces lack, to read the autoscaler on demand
 * it was not built on (`npm run bench -- --only sim --traces DIR --scenarios trace:spikes.csv,...`):
 *
 *   - `spikes.csv`: a day-shaped level (a 4x swing between night and afternoon) with a minute of x1.8 at every
 *     hour's start and of x1.4 at every half hour: timer-triggered work, as serverless platforms see it;
 *   - `bursts.csv`: the same level with about two bursts a day, of x1.6-2.5 for 5-20 minutes, that come
 *     within a minute: a client's batch, a retry storm;
 *   - `smooth.csv`: the level alone;
 *   - `office.csv`: business hours: a night at 3% of the day, a ramp within 6 minutes at 09:00 to the day's
 *     level (a 15% swing) until 17:00, every day at the same time: work that starts with the office day;
 *   - `step.csv`: the smooth level, doubled from the third day's 09:00 on: a launch, which no history shows.
 *
 * Each is three days a minute apart (the benchmark replays the last day with the two before as history), with
 * the same noise: a slow drift (an AR(1) of the log level, coefficient 0.95, step sd 0.03) and a
 * minute-to-minute one (log sd 0.08). They are synthetic: the shapes are stated, not measured; the real traces
 * are in ../shared/traces.
 *
 *   node bench/stress-traces.ts DIR [--seed N]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../local/emulators/world.ts';
import { standardNormal } from '../local/sim/trace.ts';

export const STRESS_SHAPES = ['spikes', 'bursts', 'smooth', 'office', 'step'] as const;
export type StressShape = (typeof STRESS_SHAPES)[number];

/** Three days, a minute apart. */
export const STRESS_MINUTES = 3 * 1440;
/** Requests a minute at the level's mean. */
const MEAN_PER_MINUTE = 1000;
/** Bursts a day of the `bursts` shape (on average). */
const BURSTS_PER_DAY = 2;

/** Requests in each minute of a shape; minute 0 is a midnight (`stressCsv` dates it), so spikes fall on the hours. */
export function stressTrace(shape: StressShape, seed = 7): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  let drift = 0;
  let burstUntil = -1;
  let burstAmp = 1;
  for (let m = 0; m < STRESS_MINUTES; m++) {
    const hour = (m / 60) % 24;
    let level = MEAN_PER_MINUTE * (1 + 0.6 * Math.sin((2 * Math.PI * (hour - 9)) / 24));
    if (shape === 'office') level = MEAN_PER_MINUTE * officeLevel(hour);
    if (shape === 'step' && m >= 2 * 1440 + 9 * 60) level *= 2;
    drift = 0.95 * drift + 0.03 * standardNormal(rand);
    let v = level * Math.exp(drift + 0.08 * standardNormal(rand));
    // Drawn for every shape, so the three share their noise minute by minute.
    const startsBurst = rand() < BURSTS_PER_DAY / 1440;
    const length = 5 + Math.floor(rand() * 16);
    const amp = 1.6 + 0.9 * rand();
    if (shape === 'spikes') {
      if (m % 60 === 0) v *= 1.8;
      else if (m % 30 === 0) v *= 1.4;
    }
    if (shape === 'bursts' && m > burstUntil && startsBurst) {
      burstUntil = m + length - 1;
      burstAmp = amp;
    }
    if (m <= burstUntil) v *= burstAmp;
    out.push(Math.max(0, Math.round(v)));
  }
  return out;
}

/** The office day's level at `hour` (a multiple of the mean): 0.03 at night, 09:00-17:00 about 1.5, a 6-minute ramp. */
function officeLevel(hour: number): number {
  const ramp = 0.1;
  if (hour >= 9 && hour < 17) return 1.5 * (1 + 0.15 * Math.sin((2 * Math.PI * (hour - 9)) / 8));
  if (hour >= 9 - ramp && hour < 9) return 0.03 + (1.5 - 0.03) * ((hour - (9 - ramp)) / ramp);
  return 0.03;
}

/** The trace as CSV: `t_start_utc,requests`, one row a minute from `startMs`. */
export function stressCsv(requests: readonly number[], startMs: number): string {
  const rows = requests.map((r, i) => `${new Date(startMs + i * 60_000).toISOString().slice(0, 19)},${r}`);
  return `t_start_utc,requests\n${rows.join('\n')}\n`;
}

/** Writes the shapes into `dir`; returns their paths. */
export async function writeStressTraces(dir: string, seed = 7, startMs = Date.UTC(2026, 0, 5)): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const shape of STRESS_SHAPES) {
    const file = path.join(dir, `${shape}.csv`);
    await writeFile(file, stressCsv(stressTrace(shape, seed), startMs));
    files.push(file);
  }
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ options: { seed: { type: 'string' } }, allowPositionals: true });
  const dir = positionals[0];
  const seed = values.seed === undefined ? 7 : Number(values.seed);
  if (!dir || !Number.isInteger(seed)) {
    process.stderr.write('usage: node bench/stress-traces.ts DIR [--seed N]\n');
    process.exit(2);
  }
  for (const f of await writeStressTraces(dir, seed)) process.stdout.write(`${f}\n`);
}
