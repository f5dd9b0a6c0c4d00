/**
 * The cost breakdown (local/sim/cost-breakdown.ts): each controller's cost split by what its nodes did, checked
 * by hand on small fleets, and adding up to the World's cost on the demo day.
 */
import { describe, expect, it } from 'vitest';
import { createBaselines } from '../../local/sim/baselines/index.ts';
import type { Controller, StepContext } from '../../local/sim/controller.ts';
import { COST_KINDS } from '../../local/sim/cost-breakdown.ts';
import { demoFleet } from '../../local/sim/demo.ts';
import { runSimulation } from '../../local/sim/runner.ts';
import { defaultSpotProcess, spotSlots } from '../../local/sim/spot.ts';
import { costRows } from '../../local/sim/summary.ts';
import { defaultDayTrace } from '../../local/sim/trace.ts';
import { NO_SPOT, stepTrace, tinyDemo } from './support.ts';

const once = (name: string, act: (ctx: StepContext) => void, at = 0): Controller => ({
  name,
  async start() {},
  async step(ctx) {
    if (ctx.stepIndex === at) act(ctx);
  },
  async stop() {},
});

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('cost breakdown', () => {
  it('splits running, booting and spot as the nodes spent their time', async () => {
    // 1 on-demand node ($1/h) and 2 spot nodes ($0.3/h) serve from the start; at 60 s a second on-demand node
    // launches: 600 s booting, then ready until the end (1800 s).
    const demo = tinyDemo([
      { id: 'od', desired: 1 },
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, desired: 2 },
    ]);
    const grow = once('grow', (ctx) => ctx.world.setDesired('od', 2));
    const r = await runSimulation({
      trace: stepTrace([[0, 10]], 1800),
      spot: NO_SPOT,
      demo,
      hours: 0.5,
      seed: 1,
      controllers: [grow],
    });
    const s = r.runs[0]!.summary;
    const b = s.cost_breakdown;
    expect(b.by_kind.running_on_demand).toBeCloseTo(0.5 + 1140 / 3600, 9);
    expect(b.by_kind.booting).toBeCloseTo(600 / 3600, 9);
    expect(b.by_kind.running_spot).toBeCloseTo(2 * 0.5 * 0.3, 9);
    expect(b.by_pool.spot!.running_spot).toBeCloseTo(0.3, 9);
    expect(sum(b.by_kind)).toBeCloseTo(s.cost_usd, 9);
    expect(b.by_kind.warm_preparing + b.by_kind.warm_disks + b.by_kind.resuming).toBe(0);
  });

  it('counts a warm node: its preparation at the running price, its disks, then its resume', async () => {
    // At 60 s a warm node is prepared (600 s at $1/h), stopped until 1200 s (disks), then started: it resumes
    // for the pool's resume time and serves until the end.
    const demo = tinyDemo([{ id: 'od', desired: 1 }]);
    let warmPrice = 0;
    let resumeSeconds = 0;
    const warm: Controller = {
      name: 'warm',
      async start() {},
      async step(ctx) {
        if (ctx.stepIndex === 0) {
          ctx.world.addWarm('od', 1);
          const pool = ctx.world.pool('od')!;
          warmPrice = pool.warm!.hourlyPrice;
          resumeSeconds = pool.warm!.resumeSeconds;
        }
        if (ctx.stepIndex === 19) {
          const ids = ctx.world.warmOf('od').map((w) => w.id);
          expect(ctx.world.startWarm('od', ids)).toEqual([]);
        }
      },
      async stop() {},
    };
    const r = await runSimulation({
      trace: stepTrace([[0, 5]], 1800),
      spot: NO_SPOT,
      demo,
      hours: 0.5,
      seed: 1,
      controllers: [warm],
    });
    const s = r.runs[0]!.summary;
    const b = s.cost_breakdown;
    expect(resumeSeconds).toBeGreaterThan(0);
    expect(b.by_kind.warm_preparing).toBeCloseTo(600 / 3600, 9);
    expect(b.by_kind.warm_disks).toBeCloseTo((540 / 3600) * warmPrice, 9);
    expect(b.by_kind.resuming).toBeCloseTo(resumeSeconds / 3600, 9);
    expect(b.by_kind.running_on_demand).toBeCloseTo(0.5 + (600 - resumeSeconds) / 3600, 9);
    expect(b.warm_preparations).toEqual({ od: 1 });
    expect(sum(b.by_kind)).toBeCloseTo(s.cost_usd, 9);
    expect(s.warm_cost_usd).toBeCloseTo(b.by_kind.warm_preparing + b.by_kind.warm_disks, 9);
  });

  it('adds up to every controller cost on the demo fleet, and shows in the summary rows', async () => {
    const demo = demoFleet();
    const r = await runSimulation({
      trace: defaultDayTrace({ seed: 3, scale: demo.defaultDayScale, hours: 2 }),
      spot: defaultSpotProcess({ seed: 3, slots: spotSlots(demo.worldPools), durationSeconds: 7200 }),
      demo,
      hours: 2,
      seed: 3,
      controllers: createBaselines(),
    });
    for (const run of r.runs) {
      const b = run.summary.cost_breakdown;
      expect(sum(b.by_kind)).toBeCloseTo(run.summary.cost_usd, 6);
      expect(Object.values(b.by_pool).reduce((a, p) => a + sum(p), 0)).toBeCloseTo(run.summary.cost_usd, 6);
      for (const k of COST_KINDS) expect(b.by_kind[k]).toBeGreaterThanOrEqual(-1e-9);
    }
    const rows = costRows(r);
    expect(rows.header.slice(0, 2)).toEqual(['controller', 'cost USD']);
    expect(rows.rows.map((row) => row[0])).toEqual(r.runs.map((x) => x.name));
  });
});
