/** The synthetic stress traces (bench/stress-traces.ts): their shapes, and the benchmark reads them as any trace. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildScenario } from '../../bench/sim.ts';
import { STRESS_MINUTES, stressCsv, stressTrace, writeStressTraces } from '../../bench/stress-traces.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('stress traces', () => {
  it('share their noise: spikes and bursts are the smooth level multiplied where they are', () => {
    const smooth = stressTrace('smooth');
    const spikes = stressTrace('spikes');
    const bursts = stressTrace('bursts');
    expect(smooth).toHaveLength(STRESS_MINUTES);
    for (let m = 0; m < STRESS_MINUTES; m++) {
      const k = m % 60 === 0 ? 1.8 : m % 30 === 0 ? 1.4 : 1;
      // Each rounded to whole requests: within half a request of v x k and of v.
      expect(Math.abs(spikes[m]! - smooth[m]! * k)).toBeLessThanOrEqual(0.5 + 0.5 * k);
      expect(bursts[m]!).toBeGreaterThanOrEqual(smooth[m]! - 1);
    }
    // The level swings about 4x between night and afternoon (hourly medians of the smooth shape).
    const hourly = Array.from({ length: 24 }, (_, h) => median(smooth.slice(h * 60, h * 60 + 60)));
    expect(Math.max(...hourly) / Math.min(...hourly)).toBeGreaterThan(3);
    expect(Math.max(...hourly) / Math.min(...hourly)).toBeLessThan(5.5);
  });

  it('bursts: a few a day, each x1.6-2.5 for 5-20 minutes', () => {
    const smooth = stressTrace('smooth');
    const bursts = stressTrace('bursts');
    const runs: { length: number; amp: number }[] = [];
    let run: number[] = [];
    for (let m = 0; m <= STRESS_MINUTES; m++) {
      const up = m < STRESS_MINUTES && bursts[m]! > smooth[m]! + 1;
      if (up) run.push(bursts[m]! / smooth[m]!);
      else if (run.length) {
        runs.push({ length: run.length, amp: median(run) });
        run = [];
      }
    }
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(15);
    for (const r of runs) {
      // Two bursts back to back read as one run of up to 40 minutes.
      expect(r.length).toBeGreaterThanOrEqual(5);
      expect(r.length).toBeLessThanOrEqual(40);
      expect(r.amp).toBeGreaterThan(1.55);
      expect(r.amp).toBeLessThan(2.55);
    }
  });

  it('office: the night at 3% of the day, a ramp at 09:00 every day; step: the level doubled from the third day', () => {
    const office = stressTrace('office');
    const smooth = stressTrace('smooth');
    const step = stressTrace('step');
    for (let day = 0; day < 3; day++) {
      const at = (h: number) => median(office.slice(day * 1440 + h * 60, day * 1440 + h * 60 + 30));
      expect(at(3) / at(12)).toBeLessThan(0.05);
      // Within the 6 minutes before 09:00 it climbs from the night's level to the day's.
      expect(office[day * 1440 + 9 * 60]! / office[day * 1440 + 9 * 60 - 7]!).toBeGreaterThan(20);
    }
    const launch = 2 * 1440 + 9 * 60;
    for (let m = 0; m < STRESS_MINUTES; m++) {
      if (m < launch) expect(step[m]).toBe(smooth[m]);
      else expect(Math.abs(step[m]! - 2 * smooth[m]!)).toBeLessThanOrEqual(1.5);
    }
  });

  it('repeat for a seed and differ between seeds', () => {
    expect(stressTrace('bursts', 3)).toEqual(stressTrace('bursts', 3));
    expect(stressTrace('bursts', 3)).not.toEqual(stressTrace('bursts', 4));
  });

  it('are CSVs the benchmark reads: the last day, with two days of history, spikes on the hours', async () => {
    expect(stressCsv([5, 6], Date.UTC(2026, 0, 5))).toBe(
      't_start_utc,requests\n2026-01-05T00:00:00,5\n2026-01-05T00:01:00,6\n',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'stress-'));
    try {
      const files = await writeStressTraces(dir);
      expect(files.map((f) => path.basename(f))).toEqual([
        'spikes.csv',
        'bursts.csv',
        'smooth.csv',
        'office.csv',
        'step.csv',
      ]);
      expect((await readFile(files[0]!, 'utf8')).split('\n')).toHaveLength(STRESS_MINUTES + 2);
      const s = await buildScenario({ demand: 'trace:spikes.csv', spot: 'default', seed: 1, tracesDir: dir });
      expect(s.name).toBe('spikes (last day)');
      expect(s.hours).toBe(24);
      expect(s.history).toBeDefined();
      // Scaled to the demo's peak, the busiest minute a spike.
      const rps = s.trace.points.map((p) => p.rps);
      const top = rps.indexOf(Math.max(...rps));
      expect(Math.max(...rps)).toBeCloseTo(781, 0);
      expect(rps[top]! / Math.max(rps[top - 1] ?? 0, rps[top + 1] ?? 0)).toBeGreaterThan(1.3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
