/** The spothedge baseline (SkyServe's spot policy with SpotHedge's placement): its rules, then small runs checked by hand. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSpotHedgeBaseline,
  hysteresis,
  SKYSERVE_DEFAULTS,
  SpotPlacer,
  spotLocationsOf,
} from '../../local/sim/baselines/spothedge.ts';
import type { DemoFleet } from '../../local/sim/demo.ts';
import { type RunOptions, runSimulation } from '../../local/sim/runner.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import { defaultSpotProcess, spotSlots } from '../../local/sim/spot.ts';
import { hoursOf, pieceTrace, piecesArb, runObserved, startModeArb } from './baselines-arbitraries.ts';
import { NO_SPOT, nightShift, stepTrace, tinyDemo } from './support.ts';

/** A spot schedule of these capacity changes. */
const spotOf = (changes: SpotSchedule['changes']): SpotSchedule => ({ source: 'test', mapping: [], changes });

describe('SkyServe defaults', () => {
  it('are the constants of sky/serve/constants.py, with no replica beyond the target', () => {
    expect(SKYSERVE_DEFAULTS).toMatchObject({
      qpsWindowSeconds: 60,
      decisionIntervalSeconds: 20,
      upscaleDelaySeconds: 300,
      downscaleDelaySeconds: 1200,
      numOverprovision: 0,
    });
  });
});

describe('hysteresis: the target moves after the computed count has stayed beyond it', () => {
  const periods = { up: 5, down: 20 };
  const run = (target: number, computed: readonly number[]) => {
    let t = { target, up: 0, down: 0 };
    return computed.map((c) => {
      t = hysteresis(t.target, c, { up: t.up, down: t.down }, periods);
      return t.target;
    });
  };

  it('rises on the fifth decision in a row above it, to the count computed then', () => {
    expect(run(5, [8, 9, 9, 9, 10, 10])).toEqual([5, 5, 5, 5, 10, 10]);
  });

  it('starts counting again when a decision is not above it', () => {
    expect(run(5, [8, 8, 5, 8, 8, 8, 8, 8])).toEqual([5, 5, 5, 5, 5, 5, 5, 8]);
    // Below it also resets the count up.
    expect(run(5, [8, 8, 8, 8, 3, 8])).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('falls on the twentieth decision in a row below it', () => {
    const down = run(10, Array(20).fill(4));
    expect(down.slice(0, 19).every((t) => t === 10)).toBe(true);
    expect(down[19]).toBe(4);
  });

  it('takes the computed count at once from zero', () => {
    expect(run(0, [7])).toEqual([7]);
  });
});

describe('SpotPlacer: dynamic placement over active and preempted locations', () => {
  const loc = (zone: string, hourlyPrice = 0.3, poolId = 'spot') => ({ poolId, zone, hourlyPrice });
  const a = loc('a');
  const b = loc('b');
  const c = loc('c');

  it('spreads: an active location holding no replica first, the cheapest; then the one with the fewest', () => {
    const placer = new SpotPlacer([a, b, c, loc('d', 0.2)]);
    expect(placer.next([])).toEqual(loc('d', 0.2));
    expect(placer.next([loc('d', 0.2)])).toEqual(a);
    expect(placer.next([loc('d', 0.2), a, b, c])).toEqual(loc('d', 0.2));
    // Price first: the cheapest keeps taking them once every location holds one.
    expect(placer.next([loc('d', 0.2), loc('d', 0.2), a, b, c])).toEqual(loc('d', 0.2));
    // At one price, the one with the fewest, in the locations' order at a tie.
    expect(new SpotPlacer([a, b, c]).next([a, a, b, c, c])).toEqual(b);
  });

  it('leaves preempted locations out, and makes all active again when fewer than two are left', () => {
    const placer = new SpotPlacer([a, b, c]);
    placer.setPreempted(a);
    expect(placer.active()).toEqual([b, c]);
    expect(placer.next([])).toEqual(b);
    placer.setPreempted(b);
    // One active left: all are active again (SkyServe's DynamicFallbackSpotPlacer.set_preemptive).
    expect(placer.active()).toEqual([a, b, c]);
  });

  it('makes a location active again once a launch there succeeds', () => {
    const placer = new SpotPlacer([a, b, c]);
    placer.setPreempted(a);
    placer.setActive(a);
    expect(placer.isActive(a)).toBe(true);
  });

  it('has nothing to offer when no allowed location is active', () => {
    const placer = new SpotPlacer([a, b]);
    expect(placer.next([], () => false)).toBeUndefined();
  });

  it('takes the locations from the spot pools of the replicas instance type only', () => {
    const demo = tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones: ['a', 'b'] },
      { id: 'other', capacityType: 'spot', hourlyPrice: 0.2, zones: ['x'] },
      { id: 'od', hourlyPrice: 1 },
    ]);
    const other = demo.worldPools.find((p) => p.id === 'other')!;
    const typed: DemoFleet = {
      ...demo,
      worldPools: demo.worldPools.map((p) => (p === other ? { ...p, instanceType: 'Standard_NC24ads_A100_v4' } : p)),
    };
    expect(spotLocationsOf(typed, 'g5.xlarge')).toEqual([
      { poolId: 'spot', zone: 'a', hourlyPrice: 0.3 },
      { poolId: 'spot', zone: 'b', hourlyPrice: 0.3 },
    ]);
  });
});

describe('spothedge on small fleets', () => {
  const run = async (over: Partial<RunOptions> & Pick<RunOptions, 'trace' | 'demo' | 'hours'>) =>
    (await runSimulation({ spot: NO_SPOT, seed: 1, controllers: [createSpotHedgeBaseline()], ...over })).runs[0]!;
  /** Spot pool `spot` (0.3 USD/h) in `zones`, on-demand pool `od` (1 USD/h, minimum 1: the base); 10 rps a node. */
  const fleet = (zones: string[]) =>
    tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones },
      { id: 'od', hourlyPrice: 1, min: 1 },
    ]);
  const byType = (r: Awaited<ReturnType<typeof run>>, type: 'spot' | 'on-demand', from: number, to: number) =>
    r.series.capacityRpsByType[type].slice(from, to);

  it('falls back to on-demand for the spot replicas that cannot launch, and lets them go once spot serves', async () => {
    // No spot capacity for the first 20 minutes.
    const spot: SpotSchedule = spotOf([
      { t: 0, poolId: 'spot', zone: 'z1', capacity: 0 },
      { t: 1200, poolId: 'spot', zone: 'z1', capacity: 10 },
    ]);
    const r = await run({ trace: stepTrace([[0, 35]], 60), demo: fleet(['z1']), hours: 1, spot });
    // 35 rps at 7 a replica (70% of 10): 5 replicas, 4 of them spot (the base is the on-demand pool's minimum).
    // Spot cannot launch: 1 + 4 on-demand from the start. Spot launches at 20 min and serves at 30; the 4
    // on-demand fallback replicas go then.
    expect(byType(r, 'on-demand', 0, 30).every((c) => c === 50)).toBe(true);
    expect(byType(r, 'spot', 0, 30).every((c) => c === 0)).toBe(true);
    expect(byType(r, 'on-demand', 30, 60).every((c) => c === 10)).toBe(true);
    expect(byType(r, 'spot', 30, 60).every((c) => c === 40)).toBe(true);
    expect(r.summary.slo_attainment).toBe(1);
    // Nothing beyond the target: 5 replicas serving all along, and the 4 spot nodes booting 10 minutes beside them.
    expect(r.summary.cost_breakdown.by_kind.booting).toBeCloseTo((4 * 0.3 * 10) / 60, 9);
  });

  it('sees a preemption only once the node is gone, then places its replacement away from the lost zone', async () => {
    // Zones a and b hold 10 spot nodes each; zone a's are taken back at 330 s (AWS: 120 s notice, gone at 450 s).
    const spot: SpotSchedule = spotOf([
      { t: 0, poolId: 'spot', zone: 'a', capacity: 10 },
      { t: 0, poolId: 'spot', zone: 'b', capacity: 10 },
      { t: 330, poolId: 'spot', zone: 'a', capacity: 0 },
    ]);
    const r = await run({ trace: stepTrace([[0, 35]], 30), demo: fleet(['a', 'b']), hours: 0.5, spot });
    // The start spreads the 4 spot replicas over a, b, a, b. The two in zone a serve until their notice ends
    // (450 s, within step 7) and are gone at the decision of 480 s: zone a is preempted (and, one location
    // left, all are active again), the try there fails, zone b takes both replacements; 2 on-demand replicas
    // fall back for them. All of them serve from 1080 s (18 min), when the fallback goes.
    expect(r.summary.interruptions).toBe(2);
    expect(byType(r, 'spot', 0, 8).every((c) => c === 40)).toBe(true);
    expect(byType(r, 'spot', 8, 18).every((c) => c === 20)).toBe(true);
    expect(byType(r, 'on-demand', 0, 30).every((c) => c === 10)).toBe(true);
    expect(byType(r, 'spot', 18, 30).every((c) => c === 40)).toBe(true);
    // Steps 8 to 17: 35 rps offered, 30 serving.
    expect(r.summary.unserved_requests).toBeCloseTo(5 * 60 * 10, 6);
    expect(r.summary.cost_breakdown.by_pool.od?.booting).toBeCloseTo((2 * 1 * 10) / 60, 9);
  });

  it('waits five minutes of higher demand to scale up, twenty of lower to scale in', async () => {
    const trace = stepTrace(
      [
        [0, 35],
        [10, 70],
        [40, 35],
      ],
      90,
    );
    const spot: SpotSchedule = spotOf([{ t: 0, poolId: 'spot', zone: 'z1', capacity: 50 }]);
    const r = await run({ trace, demo: fleet(['z1']), hours: 1.5, spot });
    // 70 rps asks 10 replicas from the decision at 11 min (minute 10's demand); the fifth such decision, at
    // 15 min, sets 10: 5 more spot replicas and 5 on-demand fallback ones, all serving at 25 min, when the
    // fallback goes. 35 rps again from 40 min: the twentieth lower decision, at 60 min, sets 5.
    const spotRps = r.series.capacityRpsByType.spot;
    expect(spotRps.slice(0, 25).every((c) => c === 40)).toBe(true);
    expect(spotRps.slice(25, 60).every((c) => c === 90)).toBe(true);
    expect(spotRps.slice(60).every((c) => c === 40)).toBe(true);
    expect(byType(r, 'on-demand', 0, 90).every((c) => c === 10)).toBe(true);
    expect(r.summary.cost_breakdown.by_pool.od?.booting).toBeCloseTo((5 * 1 * 10) / 60, 9);
  });

  it('holds the fleet minNodes and a schedule window floor as min_replicas, and starts at them cold', async () => {
    const window = nightShift(4);
    const demo = fleet(['z1']);
    const floors: DemoFleet = {
      ...demo,
      fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, minNodes: 2 } },
      schedule: [window],
    };
    const spot: SpotSchedule = spotOf([{ t: 0, poolId: 'spot', zone: 'z1', capacity: 50 }]);
    const r = await run({ trace: stepTrace([[0, 1]], 180), demo: floors, hours: 3, spot, startMode: 'cold' });
    const nodes = (k: number) => [r.series.readyNodes[k], r.series.bootingNodes[k]];
    // minNodes 2: the base on-demand replica and one spot. From 01:00 the window asks 4 (a new spec sets the
    // target at once): 2 more spot replicas and 2 on-demand ones falling back for them while they boot; at
    // 01:10 they serve and the fallback goes; at 02:00 the target is 2 again at once.
    expect(nodes(30)).toEqual([2, 0]);
    expect(nodes(65)).toEqual([2, 4]);
    expect(nodes(75)).toEqual([4, 0]);
    expect(nodes(125)).toEqual([2, 0]);
    expect(r.summary.slo_attainment).toBe(1);
  });

  it('never launches on pools of another instance type (a SkyServe service has one resources spec)', async () => {
    const demo = tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3 },
      { id: 'a100', capacityType: 'spot', hourlyPrice: 0.1 },
      { id: 'od', hourlyPrice: 1, min: 1 },
    ]);
    const typed: DemoFleet = {
      ...demo,
      worldPools: demo.worldPools.map((p) =>
        p.id === 'a100' ? { ...p, instanceType: 'Standard_NC24ads_A100_v4' } : p,
      ),
    };
    const spot: SpotSchedule = spotOf([
      { t: 0, poolId: 'spot', zone: 'z1', capacity: 50 },
      { t: 0, poolId: 'a100', zone: 'z1', capacity: 50 },
    ]);
    const r = await run({
      trace: stepTrace(
        [
          [0, 35],
          [20, 90],
        ],
        60,
      ),
      demo: typed,
      hours: 1,
      spot,
    });
    expect(r.summary.cost_breakdown.by_pool.a100 ?? {}).toEqual(
      Object.fromEntries(Object.keys(r.summary.cost_breakdown.by_kind).map((k) => [k, 0])),
    );
  });
});

describe('spothedge: properties over random demand and spot capacity', () => {
  const RUNS = { numRuns: Math.max(1, Math.ceil(Number(process.env.PROP_RUNS ?? 40) / 2)) };
  /** od (the base: its minimum), spot in zones a and b, and a spot pool of another instance type. */
  const world = (odMin: number, minNodes: number, maxNodes: number): DemoFleet => {
    const demo = tinyDemo([
      { id: 'od', hourlyPrice: 1, min: odMin },
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones: ['a', 'b'], max: 8 },
      { id: 'a100', capacityType: 'spot', hourlyPrice: 0.1, zones: ['a'] },
    ]);
    return {
      ...demo,
      worldPools: demo.worldPools.map((p) =>
        p.id === 'a100' ? { ...p, instanceType: 'Standard_NC24ads_A100_v4' } : p,
      ),
      fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, minNodes, maxNodes } },
    };
  };

  it('launches only replicas of its type, keeps the base on-demand, stays within max_replicas, never retries a failed location within a decision', async () => {
    await fc.assert(
      fc.asyncProperty(
        piecesArb(60, 10, 40),
        fc.nat(1000),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 3, max: 12 }),
        startModeArb,
        async (pieces, seed, odMin, minNodes, maxNodes, startMode) => {
          const demo = world(odMin, minNodes, maxNodes);
          const hours = hoursOf(pieces);
          const spot = defaultSpotProcess({
            seed,
            slots: spotSlots(demo.worldPools),
            durationSeconds: hours * 3600,
            hazardPerHour: 3,
          });
          const { obs } = await runObserved(createSpotHedgeBaseline(), {
            trace: pieceTrace(pieces),
            demo,
            hours,
            spot,
            seed,
            startMode,
          });
          expect(obs.attempts.every((a) => a.poolId === 'od' || a.poolId === 'spot')).toBe(true);
          const base = odMin;
          const maxReplicas = Math.max(base, minNodes, maxNodes);
          for (const call of obs.calls) {
            const after = [...call.after.values()].filter((i) => i.state !== 'terminated' && i.state !== 'terminating');
            const od = after.filter((i) => i.poolId === 'od').length;
            const sp = after.filter((i) => i.poolId === 'spot').length;
            expect(od, `on-demand after the call at step ${call.stepIndex}`).toBeGreaterThanOrEqual(base);
            expect(sp, `spot after the call at step ${call.stepIndex}`).toBeLessThanOrEqual(
              Math.max(0, maxReplicas - base),
            );
            // The base and a fallback for each spot replica wanted: never more than max_replicas on-demand.
            expect(od, `on-demand after the call at step ${call.stepIndex}`).toBeLessThanOrEqual(maxReplicas);
            const failed = call.attempts.filter((a) => a.poolId === 'spot' && !a.ok).map((a) => a.zones.join());
            expect(new Set(failed).size, 'a location that failed is not tried again in the call').toBe(failed.length);
          }
        },
      ),
      RUNS,
    );
  });

  it('started warm on constant demand with spot to spare, it never acts and serves everything', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2 }), async (rps, odMin) => {
        const demo = world(odMin, 1, 20);
        const spot = spotOf(['a', 'b'].map((zone) => ({ t: 0, poolId: 'spot', zone, capacity: 20 })));
        const { run } = await runObserved(createSpotHedgeBaseline(), {
          trace: stepTrace([[0, rps]], 40),
          demo,
          hours: 40 / 60,
          spot,
        });
        expect(run.summary.scaling_actions).toBe(0);
        expect(run.summary.slo_attainment).toBeCloseTo(1, 9);
      }),
      RUNS,
    );
  });

  it('without spot capacity it serves from on-demand alone, at least min_replicas of them', async () => {
    await fc.assert(
      fc.asyncProperty(piecesArb(60, 10, 40), fc.integer({ min: 1, max: 3 }), async (pieces, minNodes) => {
        const demo = world(1, minNodes, 20);
        const hours = hoursOf(pieces);
        const none: SpotSchedule = {
          source: 'test',
          mapping: [],
          changes: ['a', 'b'].map((zone) => ({ t: 0, poolId: 'spot', zone, capacity: 0 })),
        };
        const { obs } = await runObserved(createSpotHedgeBaseline(), {
          trace: pieceTrace(pieces),
          demo,
          hours,
          spot: none,
        });
        expect(obs.attempts.filter((a) => a.ok && a.poolId !== 'od')).toEqual([]);
        for (const call of obs.calls) {
          const od = [...call.after.values()].filter((i) => i.poolId === 'od' && i.state !== 'terminated').length;
          expect(od).toBeGreaterThanOrEqual(minNodes);
        }
      }),
      RUNS,
    );
  });
});
