/**
 * Fair and reproducible comparisons: every controller starts from the count its own rule holds for the
 * first minute's demand (or at its minimums with a cold start), the worst clock hour, --peak-rps and
 * --availability.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSimulateCommand, parseOptions } from '../../local/cli/commands/simulate.ts';
import { type CliIo, UsageError } from '../../local/cli/io.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import { withAvailability } from '../../local/sim/autoscaler.ts';
import { createHpaBaseline } from '../../local/sim/baselines/hpa.ts';
import { createOracle } from '../../local/sim/baselines/oracle.ts';
import type { AutoscalerControllerOptions, Controller } from '../../local/sim/controller.ts';
import { demoFleet } from '../../local/sim/demo.ts';
import { minimumCounts, runSimulation, worstHourSlo } from '../../local/sim/runner.ts';
import { peakStepRps } from '../../local/sim/trace.ts';
import { NO_SPOT, stepTrace, T0, tinyDemo } from './support.ts';

const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.json', import.meta.url));

describe('worst_hour_slo', () => {
  it.each([
    {
      name: 'the hour with the lowest attainment',
      // Two clock hours of two 30-minute steps: 100% and 50% + 100% (75%).
      startMs: T0,
      t: [0, 1800, 3600, 5400],
      offered: [10, 10, 10, 10],
      served: [10, 10, 5, 10],
      expected: 0.75,
    },
    {
      name: 'clock hours, not hours from the start: a run from 00:30 has 00:00 and 01:00 partly',
      startMs: T0 + 1_800_000,
      t: [0, 1800, 3600],
      // 00:30 (alone in its hour), 01:00 and 01:30, 02:00.
      offered: [10, 10, 10],
      served: [4, 10, 10],
      expected: 0.4,
    },
    {
      name: 'an hour with no demand is left out',
      startMs: T0,
      t: [0, 3600],
      offered: [0, 10],
      served: [0, 9],
      expected: 0.9,
    },
    { name: 'no demand at all: 1', startMs: T0, t: [0], offered: [0], served: [0], expected: 1 },
  ])('$name', ({ startMs, t, offered, served, expected }) => {
    expect(worstHourSlo({ t, offeredRps: offered, servedRps: served }, startMs, 1800)).toBeCloseTo(expected, 12);
  });
});

describe('--peak-rps', () => {
  it.each([
    {
      name: 'per-minute steps',
      pieces: [
        [0, 10],
        [1, 40],
        [2, 20],
      ] as Array<[number, number]>,
      minutes: 3,
      expected: 40,
    },
    // 30 s at 100 in the second minute: its mean is 55.
    {
      name: 'a burst shorter than a step counts as its step mean',
      pieces: [
        [0, 10],
        [1.5, 100],
        [2, 10],
      ] as Array<[number, number]>,
      minutes: 3,
      expected: 55,
    },
  ])('the busiest step: $name', ({ pieces, minutes, expected }) => {
    expect(peakStepRps(stepTrace(pieces, minutes), 60)).toBeCloseTo(expected, 9);
  });

  it('rescales a trace so its busiest step is N requests/s', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'peak-'));
    try {
      await writeFile(path.join(dir, 't.csv'), 'offset_s,requests\n0,600\n60,1200\n120,300\n');
      const out: string[] = [];
      const io: CliIo = { stdout: (x) => out.push(x), stderr: () => {}, readStdin: async () => '', env: {}, cwd: dir };
      const holding = async (): Promise<Controller> => ({
        name: 'autoscaler',
        async start() {},
        async step() {},
        async stop() {},
      });
      await createSimulateCommand({ loadAutoscaler: holding })(
        ['--trace', 't.csv', '--peak-rps', '781', '--json', '--report', 'r.html'],
        io,
      );
      const json = JSON.parse(out.join('\n'));
      // 10, 20, 5 requests/s x 781 / 20.
      expect(json.results.static.offered_requests).toBeCloseTo((35 * 60 * 781) / 20, 6);
      expect(json.run.trace).toContain('x 39.05');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([['0'], ['-3'], ['lots'], ['']])('refuses --peak-rps %j', (v) => {
    expect(() => parseOptions([`--peak-rps=${v}`])).toThrow(UsageError);
    expect(() => parseOptions([`--peak-rps=${v}`])).toThrow(/--peak-rps must be a number of requests\/s > 0/);
  });
});

describe('--availability', () => {
  it('replaces the fleet slo.availability for the autoscaler, and only that', async () => {
    const resolved = await loadConfigFile(DEMO_CONFIG);
    const changed = withAvailability(resolved, 'llm-demo', 0.99);
    expect(changed.fleets[0]!.slo).toEqual({ ...resolved.fleets[0]!.slo, availability: 0.99 });
    expect(changed.config.fleets[0]!.slo.availability).toBe(0.99);
    expect(resolved.fleets[0]!.slo.availability).toBe(0.999);
    expect(() => withAvailability(resolved, 'llm-demo', 1.5)).toThrow(/availability must be a number > 0 and <= 1/);
  });

  it('passes --availability to the autoscaler, and refuses what is not a probability', async () => {
    const seen: AutoscalerControllerOptions[] = [];
    const out: string[] = [];
    const io: CliIo = {
      stdout: (x) => out.push(x),
      stderr: () => {},
      readStdin: async () => '',
      env: {},
      cwd: tmpdir(),
    };
    await createSimulateCommand({
      loadAutoscaler: async (o) => {
        seen.push(o);
        return { name: 'autoscaler', async start() {}, async step() {}, async stop() {} };
      },
    })(['--hours', '0.1', '--availability', '0.999', '--json', '--report', path.join(tmpdir(), 'avail.html')], io);
    expect(seen[0]!.availability).toBe(0.999);
    for (const v of ['0', '1.01', 'high']) {
      expect(() => parseOptions(['--availability', v])).toThrow(/--availability must be a number > 0 and <= 1/);
    }
  });
});

describe('the start', () => {
  it('is at the minimums with --cold-start: the fleet floor for the autoscaler, minReplicas for the HPA', () => {
    // The demo: spot 0, on-demand min 1, and minNodes 2 made up on the on-demand pool.
    expect(minimumCounts(demoFleet())).toEqual({
      'aws-g5-spot': 0,
      'aws-g5-ondemand': 2,
      'aws-p5-capacity-block': 0,
      'azure-a100-spot': 0,
      'gcp-l4': 0,
    });
  });

  it('sizes the HPA for the first minute (warm) or starts it at minReplicas (cold)', async () => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 600 }]);
    const trace = stepTrace([[0, 50]], 20);
    const runs = await Promise.all(
      (['warm', 'cold'] as const).map((startMode) =>
        runSimulation({
          trace,
          spot: NO_SPOT,
          demo,
          hours: 1 / 3,
          seed: 1,
          controllers: [createHpaBaseline()],
          startMode,
        }),
      ),
    );
    // ceil(50 / (10 x 0.7)) = 8 nodes, all serving: nothing lost. Cold: 1 node; the HPA scales at once but
    // the new nodes serve 10 minutes later: 40 rps lost for 11 minutes.
    expect(runs[0]!.runs[0]!.series.nodesByCloud.aws[0]).toBe(8);
    expect(runs[0]!.runs[0]!.summary.slo_attainment).toBe(1);
    expect(runs[1]!.runs[0]!.series.nodesByCloud.aws[0]).toBe(1);
    expect(runs[1]!.runs[0]!.summary.unserved_requests).toBeCloseTo(40 * 60 * 11, 6);
  });

  it('makes the oracle pay the time to ready from nothing with a cold start', async () => {
    const demo = tinyDemo([{ id: 'od' }]);
    const trace = stepTrace([[0, 50]], 30);
    const [warm, cold] = await Promise.all(
      (['warm', 'cold'] as const).map(
        async (startMode) =>
          (
            await runSimulation({
              trace,
              spot: NO_SPOT,
              demo,
              hours: 0.5,
              seed: 1,
              controllers: [createOracle()],
              startMode,
            })
          ).runs[0]!,
      ),
    );
    expect(warm.summary.slo_attainment).toBe(1);
    // Cold: only the fleet's minimum runs (1 node of 10 rps, the floor every controller keeps); the first launch
    // is at the end of step 0 (as for any controller), serving from 11 min: for 11 of 30 minutes, 10 of 50 rps.
    expect(cold.series.nodesByCloud.aws[0]).toBe(1);
    expect(cold.summary.slo_attainment).toBeCloseTo((19 + (11 * 10) / 50) / 30, 9);
  });
});
