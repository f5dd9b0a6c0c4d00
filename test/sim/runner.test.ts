import { describe, expect, it } from 'vitest';
import type { WorldEvent } from '../../local/emulators/world.ts';
import { createBaselines } from '../../local/sim/baselines/index.ts';
import type { Controller, StepContext } from '../../local/sim/controller.ts';
import type { LaunchFailure } from '../../local/sim/physics.ts';
import { demoFleet } from '../../local/sim/demo.ts';
import { runSimulation } from '../../local/sim/runner.ts';
import { defaultSpotProcess, type SpotSchedule, spotSlots } from '../../local/sim/spot.ts';
import { defaultDayTrace } from '../../local/sim/trace.ts';
import { NO_SPOT, stepTrace, T0, tinyDemo } from './support.ts';

/** A controller that runs a function at each step and does nothing else. */
const controller = (
  name: string,
  onStep: (ctx: StepContext) => void = () => {},
  extra: Partial<Controller> = {},
): Controller => ({
  name,
  async start() {},
  async step(ctx) {
    onStep(ctx);
  },
  async stop() {},
  ...extra,
});

describe('runSimulation on the demo fleet', () => {
  const demo = demoFleet();
  const runDemo = (seed: number) =>
    runSimulation({
      trace: defaultDayTrace({ seed, scale: demo.defaultDayScale, hours: 2 }),
      spot: defaultSpotProcess({ seed, slots: spotSlots(demo.worldPools), durationSeconds: 7200 }),
      demo,
      hours: 2,
      seed,
      controllers: createBaselines(),
    });

  it('repeats exactly for a seed, and differs for another', async () => {
    const a = await runDemo(42);
    const b = await runDemo(42);
    const c = await runDemo(43);
    expect(a.runs.map((r) => r.summary)).toEqual(b.runs.map((r) => r.summary));
    expect(a.runs.map((r) => r.series)).toEqual(b.runs.map((r) => r.series));
    expect(a.runs.map((r) => r.summary)).not.toEqual(c.runs.map((r) => r.summary));
  });

  it('gives every controller the same demand and its own world', async () => {
    const worlds = new Set<unknown>();
    const seen = (ctx: StepContext) => worlds.add(ctx.world);
    const r = await runSimulation({
      trace: defaultDayTrace({ seed: 1, scale: demo.defaultDayScale, hours: 1 }),
      spot: NO_SPOT,
      demo,
      hours: 1,
      seed: 1,
      controllers: [controller('a', seen), controller('b', seen)],
    });
    expect(worlds.size).toBe(2);
    expect(r.runs[0]!.summary.offered_requests).toBe(r.runs[1]!.summary.offered_requests);
    expect(r.runs[0]!.series.offeredRps).toEqual(r.runs[1]!.series.offeredRps);
    // The demo fleet starts with 2 spot and 2 on-demand g5 nodes serving.
    expect(r.runs[0]!.series.nodesByCloud.aws[0]).toBe(4);
  });

  it('refuses two controllers with one name', async () => {
    await expect(
      runSimulation({
        trace: stepTrace([[0, 1]], 10),
        spot: NO_SPOT,
        demo,
        hours: 0.1,
        seed: 1,
        controllers: [controller('x'), controller('x')],
      }),
    ).rejects.toThrow(/two controllers are named 'x'/);
  });
});

describe('what the runner measures', () => {
  const spotDemo = () =>
    tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, desired: 4 },
      { id: 'od', desired: 0 },
    ]);
  // 4 spot nodes; at 330 s the zone keeps only 2: two notices (AWS: 120 s).
  const drop: SpotSchedule = {
    source: 'test',
    mapping: [],
    changes: [
      { t: 0, poolId: 'spot', zone: 'z1', capacity: 10 },
      { t: 330, poolId: 'spot', zone: 'z1', capacity: 2 },
    ],
  };
  const trace = stepTrace([[0, 30]], 30);

  it('times a replacement from the notice to the controller call that raised a desired count', async () => {
    const replacer = controller('replacer', (ctx) => {
      const notices = ctx.events.filter((e) => e.type === 'interruption-notice').length;
      if (notices > 0) ctx.world.setDesired('od', ctx.world.pool('od')!.desired + notices);
    });
    const idle = controller('idle');
    const r = await runSimulation({
      trace,
      spot: drop,
      demo: spotDemo(),
      hours: 0.5,
      seed: 1,
      controllers: [replacer, idle],
    });
    const [a, b] = r.runs;
    // Notices at 330 s; the next call is at 360 s.
    expect(a!.summary).toMatchObject({
      interruptions: 2,
      max_replacement_seconds: 30,
      unreplaced_interruptions: 0,
      scaling_actions: 1,
    });
    expect(a!.replacements.map((x) => (x.replacedAt! - x.noticeAt) / 1000)).toEqual([30, 30]);
    expect(b!.summary).toMatchObject({
      interruptions: 2,
      max_replacement_seconds: null,
      unreplaced_interruptions: 2,
      scaling_actions: 0,
    });
    expect(a!.timeline.filter((e) => e.kind === 'interruption')).toHaveLength(2);
  });

  it('counts one action per pool changed in a call, however many calls to the cloud it took', async () => {
    let calls = 0;
    const busy = controller('busy', (ctx) => {
      if (calls++ > 0) return;
      ctx.world.setDesired('od', 1);
      ctx.world.setDesired('od', 3);
      ctx.world.setDesired('spot', 5);
      ctx.world.setDesired('spot', 4);
    });
    const r = await runSimulation({ trace, spot: NO_SPOT, demo: spotDemo(), hours: 0.5, seed: 1, controllers: [busy] });
    // od 0 -> 3 is an action; spot 4 -> 5 -> 4 ends where it started: none.
    expect(r.runs[0]!.summary.scaling_actions).toBe(1);
  });

  it('delivers a capacity block: active, expiring, expired, and counts what it takes back', async () => {
    const demo = tinyDemo(
      [
        {
          id: 'block',
          capacityType: 'reserved',
          hourlyPrice: 0,
          rpsPerNode: 100,
          reservationId: 'cb',
          desired: 1,
          max: 1,
        },
      ],
      [
        {
          id: 'cb',
          cloud: 'aws',
          type: 'capacity-block',
          instanceType: 'p5.48xlarge',
          zone: 'z1',
          total: 1,
          start: T0 + 600_000,
          end: T0 + 2_400_000,
        },
      ],
    );
    const seen: Array<[number, string]> = [];
    const watcher = controller('watcher', (ctx) => {
      for (const e of ctx.events) if (e.type === 'reservation') seen.push([(e.at - T0) / 60_000, e.kind]);
    });
    const r = await runSimulation({
      trace: stepTrace([[0, 50]], 60),
      spot: NO_SPOT,
      demo,
      hours: 1,
      seed: 1,
      controllers: [watcher],
    });
    // Delivered at 10 min, "expiring" 10 min before the end, gone at 40 min.
    expect(seen).toEqual([
      [10, 'active'],
      [30, 'expiring'],
      [40, 'expired'],
    ]);
    const run = r.runs[0]!;
    expect(run.summary.interruptions).toBe(1);
    // The group launches when the block is delivered; the node serves from 20 min to 40 min: 20 minutes
    // of 50 rps served out of 60.
    expect(run.summary.slo_attainment).toBeCloseTo(20 / 60, 9);
  });

  it('fills the metrics store at the end of every step', async () => {
    let store: StepContext['metricsStore'] | undefined;
    const grab = controller('grab', (ctx) => {
      store = ctx.metricsStore;
    });
    await runSimulation({
      trace: stepTrace([[0, 30]], 30),
      spot: NO_SPOT,
      demo: tinyDemo([{ id: 'od', desired: 5 }]),
      hours: 0.5,
      seed: 1,
      controllers: [grab],
    });
    const [rps] = store!.select([{ name: '__name__', op: '=', value: 'fleet_rps' }]);
    expect(rps!.times).toHaveLength(30);
    expect(rps!.times[0]).toBe(T0 / 1000 + 60);
    expect(rps!.values.every((v) => v === 30)).toBe(true);
    // 30 rps on 5 x 10 rps: 60% busy.
    const [util] = store!.select([{ name: '__name__', op: '=', value: 'gpu_utilization' }]);
    expect(util!.labels).toEqual({ __name__: 'gpu_utilization', fleet: 'tiny', pool: 'od', cloud: 'aws' });
    expect(util!.values[0]).toBeCloseTo(60, 9);
  });

  it('tells a controller of a launch that failed at the instant it failed, once while the shortfall lasts', async () => {
    // 2 spot nodes run in z1, the zone's capacity: asking for 4 (first call, 60 s) leaves 2 that cannot launch,
    // asking for 5 (fourth call, 240 s) one more. Each time the controller places the missing nodes on demand.
    const capped: SpotSchedule = {
      source: 'test',
      mapping: [],
      changes: [{ t: 0, poolId: 'spot', zone: 'z1', capacity: 2 }],
    };
    const demo = () =>
      tinyDemo([
        { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, desired: 2 },
        { id: 'od', desired: 0 },
      ]);
    const asks = (name: string, extra: Partial<Controller> = {}) => {
      let calls = 0;
      return controller(
        name,
        (ctx) => {
          calls++;
          if (calls === 1) ctx.world.setDesired('spot', 4);
          if (calls === 4) ctx.world.setDesired('spot', 5);
        },
        extra,
      );
    };
    const heard: LaunchFailure[][] = [];
    const listener = asks('listener', {
      async launchFailed(ctx, failures) {
        heard.push([...failures]);
        expect(ctx.now).toBe(failures[0]!.at);
        // On demand: what the spot pool is missing.
        for (const f of failures) ctx.world.setDesired('od', f.short);
      },
    });
    const deaf = asks('deaf');
    const r = await runSimulation({
      trace,
      spot: capped,
      demo: demo(),
      hours: 0.25,
      seed: 1,
      controllers: [listener, deaf],
    });
    expect(heard).toEqual([
      [{ poolId: 'spot', zone: 'z1', short: 2, desired: 4, live: 2, at: T0 + 60_000 }],
      [{ poolId: 'spot', zone: 'z1', short: 3, desired: 5, live: 2, at: T0 + 240_000 }],
    ]);
    const [a, b] = r.runs;
    // Both timelines say when the launches failed; only the listener placed the nodes elsewhere, at once.
    const failed = (run: typeof a) =>
      run!.timeline.filter((e) => e.kind === 'launch-failed').map((e) => [(e.at - T0) / 1000, e.message]);
    expect(failed(a)).toEqual([
      [60, 'spot: 2 of 4 node(s) could not launch (no capacity)'],
      [240, 'spot: 3 of 5 node(s) could not launch (no capacity)'],
    ]);
    expect(failed(b)).toEqual(failed(a));
    expect(a!.summary.scaling_actions).toBe(b!.summary.scaling_actions + 2);
  });

  it('stops a controller that fails, and reports its error', async () => {
    let stopped = false;
    const failing = controller(
      'failing',
      () => {
        throw new Error('boom');
      },
      {
        async stop() {
          stopped = true;
        },
      },
    );
    await expect(
      runSimulation({
        trace: stepTrace([[0, 1]], 10),
        spot: NO_SPOT,
        demo: tinyDemo([{ id: 'od' }]),
        hours: 0.1,
        seed: 1,
        controllers: [failing],
      }),
    ).rejects.toThrow('boom');
    expect(stopped).toBe(true);
  });

  it('loops a trace shorter than the run and says so', async () => {
    const events: WorldEvent[] = [];
    const r = await runSimulation({
      trace: stepTrace(
        [
          [0, 10],
          [5, 20],
        ],
        10,
      ),
      spot: NO_SPOT,
      demo: tinyDemo([{ id: 'od', desired: 3 }]),
      hours: 0.5,
      seed: 1,
      controllers: [controller('c', (ctx) => events.push(...ctx.events))],
    });
    expect(r.trace.looped).toBe(true);
    // 10 minutes repeated 3 times: 5 x 10 rps then 5 x 20 rps.
    expect(r.runs[0]!.series.offeredRps.slice(0, 12)).toEqual([10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 10, 10]);
    expect(r.runs[0]!.summary.offered_requests).toBe(3 * (5 * 60 * 10 + 5 * 60 * 20));
  });
});
