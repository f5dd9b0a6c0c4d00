import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHpaBaseline } from '../../local/sim/baselines/hpa.ts';
import { createOracle, planOracle, scheduleFloors } from '../../local/sim/baselines/oracle.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import { DEMO_CONFIG_FILE } from '../../local/sim/autoscaler.ts';
import { demoFleet } from '../../local/sim/demo.ts';
import { createReactiveBaseline, reactiveDecision, SEED_REACTIVE_POLICY } from '../../local/sim/baselines/reactive.ts';
import { createStaticBaseline } from '../../local/sim/baselines/static.ts';
import type { Controller } from '../../local/sim/controller.ts';
import type { DemoFleet } from '../../local/sim/demo.ts';
import { type RunOptions, runSimulation } from '../../local/sim/runner.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import { SEED_HOURLY_RPS } from '../../local/sim/trace.ts';
import { NO_SPOT, nightShift, stepTrace, T0, tinyDemo } from './support.ts';

const run = async (
  controller: Controller,
  over: Partial<RunOptions> & Pick<RunOptions, 'trace' | 'demo' | 'hours'>,
) => {
  const result = await runSimulation({ spot: NO_SPOT, seed: 1, controllers: [controller], ...over });
  return result.runs[0]!;
};
const actionsOf = (r: Awaited<ReturnType<typeof run>>) =>
  r.timeline.filter((e) => e.kind === 'action').map((e) => [(e.at - T0) / 60_000, e.message]);

describe('reactive (seed 002)', () => {
  /** Seed 002's simulate_auto_scaling, transliterated: replicas after each minute's decision. */
  function seedSimulation(traffic: readonly number[], hours: number, rpsPerReplica: number): number[] {
    const out: number[] = [];
    let current = 2;
    let last = 0;
    for (let minute = 0; minute < hours * 60; minute++) {
      const rps = traffic[Math.floor(minute / 60) % traffic.length]!;
      const utilization = (rps / (current * rpsPerReplica)) * 100;
      const since = minute - last;
      if (utilization > 75 && since >= 5) {
        current = Math.min(Math.trunc(current * 1.5), 100);
        last = minute;
      } else if (utilization < 30 && since >= 15) {
        current = Math.max(Math.trunc(current * 0.75), 2);
        last = minute;
      }
      out.push(current);
    }
    return out;
  }

  it('reproduces the seed minute by minute on its own daily pattern when nodes are ready at once', async () => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 0 }]);
    const trace = stepTrace(
      SEED_HOURLY_RPS.map((rps, h) => [h * 60, rps]),
      24 * 60,
    );
    // A cold start: at the minimum, 2 nodes, as the seed starts.
    const r = await run(createReactiveBaseline(), { trace, demo, hours: 24, startMode: 'cold' });
    const seed = seedSimulation(SEED_HOURLY_RPS, 24, 10);
    // nodes[m] is the count serving in minute m: the seed's count after the decision of minute m - 1.
    const nodes = r.series.nodesByCloud.aws;
    expect(nodes[0]).toBe(2);
    expect(nodes.slice(1)).toEqual(seed.slice(0, -1));
    expect(r.summary.scaling_actions).toBeGreaterThan(10);
  });

  it('truncates as the seed does: 2, 3, 4, 6, 9, 13, 19 every 5 minutes under 100 rps', async () => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 0 }]);
    const r = await run(createReactiveBaseline(), {
      trace: stepTrace([[0, 100]], 60),
      demo,
      hours: 1,
      startMode: 'cold',
    });
    // int(9 x 1.5) = 13 and int(13 x 1.5) = 19; at 19 nodes 100 rps is 53% busy: no further action.
    expect(actionsOf(r)).toEqual([
      [6, 'od: desired 2 -> 3'],
      [11, 'od: desired 3 -> 4'],
      [16, 'od: desired 4 -> 6'],
      [21, 'od: desired 6 -> 9'],
      [26, 'od: desired 9 -> 13'],
      [31, 'od: desired 13 -> 19'],
    ]);
  });

  it('starts warm with the fewest nodes its rule keeps at or below 75% for the first minute', async () => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 0 }]);
    const r = await run(createReactiveBaseline(), { trace: stepTrace([[0, 100]], 60), demo, hours: 1 });
    // ceil(100 / (10 x 0.75)) = 14 nodes: 71% busy, between 30% and 75%: it never acts.
    expect(r.series.nodesByCloud.aws[0]).toBe(14);
    expect(r.summary).toMatchObject({ scaling_actions: 0, slo_attainment: 1 });
  });

  it.each([
    // 2 x 1.5 = 3; the cooldown since the last action in either direction is what counts.
    { name: 'scale up after 5 minutes', replicas: 2, util: 80, since: 5, expected: { replicas: 3, acted: true } },
    { name: 'no scale up within 5 minutes', replicas: 2, util: 80, since: 4, expected: { replicas: 2, acted: false } },
    { name: '75% is not above 75%', replicas: 2, util: 75, since: 50, expected: { replicas: 2, acted: false } },
    // int(10 x 0.75) = 7.
    { name: 'scale down after 15 minutes', replicas: 10, util: 20, since: 15, expected: { replicas: 7, acted: true } },
    {
      name: 'no scale down within 15 minutes',
      replicas: 10,
      util: 20,
      since: 14,
      expected: { replicas: 10, acted: false },
    },
    // int(2 x 0.75) = 1, raised to the minimum 2: still an action (it restarts the cooldown).
    {
      name: 'at the minimum, a scale down changes nothing but acts',
      replicas: 2,
      util: 5,
      since: 15,
      expected: { replicas: 2, acted: true },
    },
    { name: 'never above 100', replicas: 80, util: 99, since: 5, expected: { replicas: 100, acted: true } },
  ])('$name', ({ replicas, util, since, expected }) => {
    expect(reactiveDecision(replicas, util, since, SEED_REACTIVE_POLICY)).toEqual(expected);
  });
});

describe('hpa (Kubernetes defaults, 70% target)', () => {
  it('follows 70%: up at once, holds while nodes boot, down after the 300 s stabilization', async () => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 600 }]);
    const trace = stepTrace(
      [
        [0, 50],
        [30, 100],
        [90, 50],
      ],
      150,
    );
    const r = await run(createHpaBaseline(), { trace, demo, hours: 2.5 });
    // Warm start: ceil(50 / (10 x 0.7)) = 8, 62.5% busy: a ratio of 0.893, just outside the tolerance, but
    // ceil(0.893 x 8) = 8 again. At 31 min 100 rps on 8 nodes is 125%: ceil(1.786 x 8) = 15, within
    // max(+100%, +4). While 7 of them boot, the HPA counts them at 0%: 1.786 x 8 / 15 = 0.95, within
    // tolerance: it holds. At 15 nodes, 66.7%: within tolerance. Demand halves at 90 min; the recommendation
    // of 8 wins once the last recommendation of 15 (made at 90 min) leaves the 300 s window: at 95 min.
    expect(actionsOf(r)).toEqual([
      [31, 'od: desired 8 -> 15'],
      [95, 'od: desired 15 -> 8'],
    ]);
    // Unserved: 20 rps over the 11 minutes (30..40) before the new nodes serve at 41 min.
    expect(r.summary.unserved_requests).toBeCloseTo(20 * 60 * 11, 6);
    // 8 nodes for 2.5 h, and 7 more from 31 to 95 min, at 1 USD/h.
    expect(r.summary.cost_usd).toBeCloseTo(8 * 2.5 + (7 * 64) / 60, 9);
  });
});

describe('hpa: the pods it counts', () => {
  it('counts the ready nodes not being deleted: 9 serving of which 4 leave, 5 replicas at 85% of the target, is no scale-up', async () => {
    // Before, the 9 serving were the HPA's ready pods: ceil(0.85 x 9) = 8 replicas for a metric below target.
    const demo = tinyDemo([{ id: 'od' }]);
    const hpa = createHpaBaseline({ poolId: 'od' });
    await hpa.start({ demo } as unknown as Parameters<Controller['start']>[0]);
    const set: number[] = [];
    const offeredRps = 0.85 * 0.7 * 9 * 10; // 85% of the 70% target over the 9 serving nodes of 10 rps
    await hpa.step({
      now: T0 + 60_000,
      stepMetrics: { offeredRps, pools: [{ poolId: 'od', serving: 9, ready: 5, rpsPerNode: 10 }] },
      world: { pool: () => ({ desired: 5 }), setDesired: (_id: string, n: number) => set.push(n) },
    } as unknown as Parameters<Controller['step']>[0]);
    expect(set.filter((n) => n > 5)).toEqual([]);
  });
});

describe('static', () => {
  it('holds enough nodes for the peak from the start: never unserved, never acts', async () => {
    const demo = tinyDemo([{ id: 'od' }]);
    const trace = stepTrace(
      [
        [0, 20],
        [60, 95],
        [90, 40],
      ],
      180,
    );
    const r = await run(createStaticBaseline(), { trace, demo, hours: 3 });
    // ceil(95 / 10) = 10 nodes for 3 h at 1 USD/h.
    expect(r.series.nodesByCloud.aws.every((n) => n === 10)).toBe(true);
    expect(r.summary).toMatchObject({ slo_attainment: 1, unserved_requests: 0, scaling_actions: 0 });
    expect(r.summary.cost_usd).toBeCloseTo(30, 9);
  });
});

describe('the one-pool baselines keep the ceilings', () => {
  // 200 rps needs 20 nodes of 10 rps (29 at the HPA's 70%); the pool holds 12 at most, the fleet 9.
  const ceilings = (poolMax: number, fleetMax: number) => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 60, max: poolMax }]);
    return { ...demo, fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, maxNodes: fleetMax } } };
  };
  const cases = [
    { name: 'reactive', make: () => createReactiveBaseline() },
    { name: 'hpa', make: () => createHpaBaseline() },
    { name: 'static', make: () => createStaticBaseline() },
  ];
  it.each(cases)("$name holds at most the pool's maximum, then the fleet's maxNodes", async ({ make }) => {
    const trace = stepTrace(
      [
        [0, 5],
        [10, 200],
      ],
      60,
    );
    for (const [poolMax, fleetMax, most] of [
      [12, 64, 12],
      [12, 9, 9],
    ] as const) {
      for (const startMode of ['warm', 'cold'] as const) {
        const r = await run(make(), { trace, demo: ceilings(poolMax, fleetMax), hours: 1, startMode });
        const nodes = r.series.nodesByCloud.aws;
        // It reaches the ceiling (the demand asks for more) and never goes past it: the rest is unserved.
        expect(Math.max(...nodes)).toBe(most);
        expect(r.summary.slo_attainment).toBeLessThan(1);
      }
    }
  });
});

describe("the one-pool baselines keep the operator's floors", () => {
  // The fleet's minNodes 2 (the pool's minimum 1); every day 01:00-02:00 UTC a window of 5 nodes; no demand.
  const window = nightShift(5);
  const floors = (): DemoFleet => {
    const demo = tinyDemo([{ id: 'od', readySeconds: 0, min: 1 }]);
    return { ...demo, fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, minNodes: 2 } }, schedule: [window] };
  };
  const trace = stepTrace([[0, 0]], 180);
  const at = (nodes: readonly number[]) => [0, 59, 61, 119, 127, 179].map((m) => nodes[m]);

  it('reactive: at least the fleet minimum, the window floor while it is active', async () => {
    const r = await run(createReactiveBaseline(), { trace, demo: floors(), hours: 3 });
    // The seed's minimum 2 is the fleet's; the window's 5 from 01:00 (set in its first minute, serving the
    // next); once the window is over its scale-downs by a quarter, 15 minutes apart: 5 -> 3 (at 02:00, the
    // floor's raise restarting no cooldown) -> 2.
    expect(at(r.series.nodesByCloud.aws)).toEqual([2, 2, 5, 5, 3, 2]);
  });

  it("hpa: minReplicas the fleet's minNodes; a cron trigger's floor, held 300 s past its window", async () => {
    for (const startMode of ['warm', 'cold'] as const) {
      const r = await run(createHpaBaseline(), { trace, demo: floors(), hours: 3, startMode });
      // Without demand the HPA alone would hold its default minimum, 1.
      expect(at(r.series.nodesByCloud.aws)).toEqual([2, 2, 5, 5, 2, 2]);
      // The last proposal of 5 (01:59:45) leaves the 300 s window at 02:04:45: 2 serve from 02:05.
      const nodes = r.series.nodesByCloud.aws;
      expect(nodes.findIndex((n, m) => m > 120 && n === 2)).toBe(125);
    }
  });

  it("static: the run's highest floor all along", async () => {
    const r = await run(createStaticBaseline(), { trace, demo: floors(), hours: 3 });
    expect(r.series.nodesByCloud.aws.every((n) => n === 5)).toBe(true);
  });
});

describe('oracle', () => {
  const trace = stepTrace(
    [
      [0, 20],
      [60, 100],
      [120, 20],
    ],
    180,
  );

  it('serves everything for less than static, launching each node its time to ready ahead', async () => {
    const demo = tinyDemo([{ id: 'od' }]);
    const oracle = await run(createOracle(), { trace, demo, hours: 3 });
    const fixed = await run(createStaticBaseline(), { trace, demo, hours: 3 });
    expect(oracle.summary.slo_attainment).toBe(1);
    expect(oracle.summary.cost_usd).toBeLessThan(fixed.summary.cost_usd);
    // 2 nodes all along (6 USD), and 8 more launched at 50 min (10 minutes ahead of the peak at 60) and
    // stopped at 120 min: 8 x 70 min.
    expect(oracle.summary.cost_usd).toBeCloseTo(6 + (8 * 70) / 60, 9);
    expect(actionsOf(oracle)).toEqual([
      [50, 'od: desired 2 -> 10'],
      [120, 'od: desired 10 -> 2'],
    ]);
  });

  it('uses spot where it stays available for the node whole life, and is never interrupted', async () => {
    const demo = tinyDemo([
      { id: 'od', hourlyPrice: 1 },
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones: ['a', 'b'] },
    ]);
    // 5 places per zone, none from 60 to 120 min in zone b.
    const spot: SpotSchedule = {
      source: 'test',
      mapping: [],
      changes: [
        { t: 0, poolId: 'spot', zone: 'a', capacity: 5 },
        { t: 0, poolId: 'spot', zone: 'b', capacity: 5 },
        { t: 3600, poolId: 'spot', zone: 'b', capacity: 0 },
        { t: 7200, poolId: 'spot', zone: 'b', capacity: 5 },
      ],
    };
    const flat = stepTrace([[0, 50]], 180);
    const r = await run(createOracle(), { trace: flat, demo, hours: 3, spot });
    expect(r.summary).toMatchObject({ slo_attainment: 1, interruptions: 0 });
    // All on-demand would cost 5 nodes x 3 h = 15 USD.
    expect(r.summary.cost_usd).toBeLessThan(15);
    expect(r.series.nodesByCloud.aws[0]).toBe(5);
  });

  it('uses a capacity block while it lasts and leaves it before it expires', async () => {
    const demo = tinyDemo(
      [
        { id: 'od', hourlyPrice: 1 },
        { id: 'block', capacityType: 'reserved', hourlyPrice: 0, rpsPerNode: 100, reservationId: 'cb-1', max: 1 },
      ],
      [
        {
          id: 'cb-1',
          cloud: 'aws',
          type: 'capacity-block',
          instanceType: 'p5.48xlarge',
          zone: 'z1',
          total: 1,
          start: T0 + 3_600_000,
          end: T0 + 7_200_000,
        },
      ],
    );
    const r = await run(createOracle(), { trace: stepTrace([[0, 50]], 180), demo, hours: 3 });
    expect(r.summary).toMatchObject({ slo_attainment: 1, interruptions: 0 });
    // The block serves from 70 min (launched when delivered at 60); on-demand stops then and comes back
    // 10 minutes before the block's last usable minute: 5 nodes x (70 + 71) min instead of 5 x 180.
    expect(r.summary.cost_usd).toBeCloseTo((5 * (70 + 71)) / 60, 9);
  });

  it("keeps the operator's hard floors as every controller must: pool minimums, then the fleet's minimum", () => {
    // No demand, 4 steps of an hour. The on-demand pool's minimum (1) is alive all along ($1 x 4); the fleet's
    // minNodes (2) is made up with the cheapest node with room: spot at $0.30 (x 4).
    const plan = planOracle(
      [0, 0, 0, 0],
      [
        { poolId: 'od', rpsPerNode: 10, hourlyPrice: 1, lagSteps: 1, available: new Array(4).fill(Infinity), min: 1 },
        { poolId: 'spot', rpsPerNode: 10, hourlyPrice: 0.3, lagSteps: 1, available: new Array(4).fill(Infinity) },
      ],
      3600,
      'warm',
      { minNodes: 2 },
    );
    expect(plan.alive).toEqual({ od: [1, 1, 1, 1], spot: [1, 1, 1, 1] });
    expect(plan.costUsd).toBeCloseTo(5.2, 9);
  });

  it("keeps the schedule windows' floors too, while they are active", () => {
    // minNodes 2 all along, 3 in steps 1..2 (a window): the third node is the cheapest with room, alive while the
    // window is. Launched its lag (1 step) ahead of the window, but a cold start launches nothing before the end
    // of step 0: it is launched then (it was alive in step 0 before, where the floor is 2).
    const plan = planOracle(
      [0, 0, 0, 0],
      [
        { poolId: 'od', rpsPerNode: 10, hourlyPrice: 1, lagSteps: 1, available: new Array(4).fill(Infinity), min: 1 },
        { poolId: 'spot', rpsPerNode: 10, hourlyPrice: 0.3, lagSteps: 1, available: new Array(4).fill(Infinity) },
      ],
      3600,
      'cold',
      { minNodes: 2, minNodesAt: [0, 3, 3, 0] },
    );
    expect(plan.alive).toEqual({ od: [1, 1, 1, 1], spot: [1, 2, 2, 1] });
  });

  it('property: every step holds its floor and serves its demand, and a higher floor never costs less', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(4), { minLength: 12, maxLength: 12 }),
        fc.nat(3),
        fc.constantFrom<'warm' | 'cold'>('warm', 'cold'),
        (demand, windows, minNodes, mode) => {
          const n = demand.length;
          const sources = [
            {
              poolId: 'od',
              rpsPerNode: 10,
              hourlyPrice: 1,
              lagSteps: 1,
              available: new Array(n).fill(Infinity),
              min: 1,
            },
            { poolId: 'spot', rpsPerNode: 25, hourlyPrice: 0.6, lagSteps: 2, available: new Array(n).fill(3) },
          ];
          const minNodesAt = windows.slice(0, n);
          const plan = planOracle(demand, sources, 3600, mode, { minNodes, minNodesAt });
          const lag = Math.max(...sources.map((x) => x.lagSteps));
          for (let k = 0; k < n; k++) {
            const total = plan.alive.od![k]! + plan.alive.spot![k]!;
            expect(total).toBeGreaterThanOrEqual(Math.max(1, minNodes, minNodesAt[k]!));
            // What is alive serves the demand, once launches are past their lag (cold) or from the start (warm).
            if (mode === 'warm' || k >= lag) {
              expect(plan.alive.od![k]! * 10 + plan.alive.spot![k]! * 25).toBeGreaterThanOrEqual(demand[k]! - 1e-6);
            }
          }
          const without = planOracle(demand, sources, 3600, mode, { minNodes });
          expect(plan.costUsd).toBeGreaterThanOrEqual(without.costUsd - 1e-9);
        },
      ),
    );
  });

  it("keeps the operator's ceilings too: each pool's maximum and the fleet's maxNodes, leaving the rest unserved", () => {
    // 50 rps in each of 3 steps of an hour against pools of 10 rps a node: on-demand at most 3 nodes, spot
    // cheaper but only 1 available. Without the fleet's ceiling: 1 spot + 3 on-demand, 10 rps a step unserved.
    const sources = [
      { poolId: 'od', rpsPerNode: 10, hourlyPrice: 1, lagSteps: 1, available: new Array(3).fill(3) },
      { poolId: 'spot', rpsPerNode: 10, hourlyPrice: 0.3, lagSteps: 1, available: new Array(3).fill(1) },
    ];
    const pools = planOracle([50, 50, 50], sources, 3600, 'warm');
    expect(pools.alive).toEqual({ od: [3, 3, 3], spot: [1, 1, 1] });
    expect(pools.unservedRpsSteps).toBeCloseTo(30, 9);
    // With the fleet at most 2 nodes: the cheapest per request first (spot), then one on-demand node.
    const fleet = planOracle([50, 50, 50], sources, 3600, 'warm', { maxNodes: 2 });
    expect(fleet.alive).toEqual({ od: [1, 1, 1], spot: [1, 1, 1] });
    expect(fleet.unservedRpsSteps).toBeCloseTo(90, 9);
    // A floor above the ceiling is held at the ceiling.
    expect(planOracle([0, 0, 0], sources, 3600, 'warm', { minNodes: 4, maxNodes: 2 }).alive).toEqual({
      od: [1, 1, 1],
      spot: [1, 1, 1],
    });
  });

  it("holds the oracle of a configured fleet within its pools' maxima: no bar above what the fleet may hold", async () => {
    // The demo with its GCP pool alone at most 4 nodes (25.7 rps each): the day's peak needs far more.
    const base = demoFleet();
    const demo = {
      ...base,
      worldPools: base.worldPools.filter((p) => p.id === 'gcp-l4').map((p) => ({ ...p, max: 4 })),
      fleet: { ...base.fleet, pools: base.fleet.pools.filter((p) => p.id === 'gcp-l4').map((p) => ({ ...p, max: 4 })) },
    };
    const r = await run(createOracle(), { trace: stepTrace([[0, 200]], 120), demo, hours: 2 });
    expect(r.summary.slo_attainment).toBeCloseTo((4 * 25.7) / 200, 2);
    expect(r.summary.gpu_hours).toBeCloseTo(4 * 2, 9);
  });

  it("reads the demo's business hours as the autoscaler's configuration states them", async () => {
    const demo = demoFleet();
    const resolved = await loadConfigFile(DEMO_CONFIG_FILE);
    expect(demo.schedule).toEqual(resolved.schedules['llm-demo']);
    // Monday 5 January 2026: 08:00-18:00 in New York (UTC-5) is 13:00-23:00 UTC.
    const floors = scheduleFloors(demo, 24, 3600);
    expect(floors.map((f, h) => (f > 0 ? h : -1)).filter((h) => h >= 0)).toEqual([
      13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
    ]);
    expect(Math.max(...floors)).toBe(3);
  });

  it('plans as the file comment says on a hand-checked case', () => {
    // One pool at 10 rps and 1 USD/h, lag 2 steps of an hour: demand 5 rps in steps 3 and 6.
    // Gap of 2 steps (4, 5) <= lag: one life from step 1 to 7 (launched 2 ahead), 6 node-hours.
    const plan = planOracle(
      [0, 0, 0, 5, 0, 0, 5, 0],
      [{ poolId: 'p', rpsPerNode: 10, hourlyPrice: 1, lagSteps: 2, available: new Array(8).fill(Infinity) }],
      3600,
    );
    expect(plan.lives).toEqual([{ poolId: 'p', from: 1, to: 7, servesFrom: 3 }]);
    expect(plan.costUsd).toBe(6);
    expect(plan.unservedRpsSteps).toBe(0);
  });
});
