/** The karpenter baseline: its pure rules, then small scenarios checked by hand. */
import { describe, expect, it } from 'vitest';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import {
  allowedDisruptions,
  chooseOffering,
  createKarpenterBaseline,
  fleetFloor,
  KARPENTER_DEFAULTS,
  nodePoolLimits,
  type Offering,
  offeringsOf,
  staticNodePools,
  UnavailableOfferings,
} from '../../local/sim/baselines/karpenter.ts';
import type { DemoFleet } from '../../local/sim/demo.ts';
import { type RunOptions, runSimulation } from '../../local/sim/runner.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import { NO_SPOT, nightShift, stepTrace, T0, tinyDemo } from './support.ts';

const offering = (o: Partial<Offering> & Pick<Offering, 'poolId' | 'capacityType' | 'hourlyPrice'>): Offering => ({
  slots: 1,
  rpsPerNode: 10,
  zones: ['z1'],
  ...o,
});
const spotG5 = offering({ poolId: 'spot-g5', capacityType: 'spot', hourlyPrice: 0.3 });
const spotA100 = offering({ poolId: 'spot-a100', capacityType: 'spot', hourlyPrice: 0.73 });
const odG5 = offering({ poolId: 'od-g5', capacityType: 'on-demand', hourlyPrice: 1.01 });
const odL4 = offering({ poolId: 'od-l4', capacityType: 'on-demand', hourlyPrice: 0.7 });
const block = offering({ poolId: 'block', capacityType: 'reserved', hourlyPrice: 0, slots: 8 });

/** Spot pool `spot` with capacity in zones a and b from the start; zone a's taken back at `t` seconds. */
function zoneALostAt(t: number): SpotSchedule {
  return {
    source: 'test',
    mapping: [],
    changes: [
      { t: 0, poolId: 'spot', zone: 'a', capacity: 10 },
      { t: 0, poolId: 'spot', zone: 'b', capacity: 10 },
      { t, poolId: 'spot', zone: 'a', capacity: 0 },
    ],
  };
}

describe('chooseOffering: reserved, then spot, then on-demand, cheapest first', () => {
  it.each([
    {
      name: 'spot before on-demand, the cheapest spot',
      pending: 1,
      available: [odL4, odG5, spotA100, spotG5],
      expected: ['spot-g5', 1],
    },
    {
      name: 'the next spot when the cheapest is unavailable',
      pending: 1,
      available: [odL4, spotA100],
      expected: ['spot-a100', 1],
    },
    {
      name: 'on-demand, the cheapest, when no spot can launch',
      pending: 3,
      available: [odG5, odL4],
      expected: ['od-l4', 1],
    },
    // The NodeClaim grows while a type fits its pods: up to the 8 GPUs of the reserved node.
    {
      name: 'a reservation first, filled with up to 8 pods',
      pending: 11,
      available: [spotG5, block, odG5],
      expected: ['block', 8],
    },
    { name: 'a reservation even for one pod', pending: 1, available: [spotG5, block], expected: ['block', 1] },
  ])('$name', ({ pending, available, expected }) => {
    const choice = chooseOffering(pending, available)!;
    expect([choice.offering.poolId, choice.pods]).toEqual(expected);
  });

  it('has nothing to offer without pending pods or offerings', () => {
    expect(chooseOffering(0, [spotG5])).toBeUndefined();
    expect(chooseOffering(2, [])).toBeUndefined();
  });
});

describe('the disruption budget (nodes: 10%)', () => {
  it.each([
    { name: 'rounds up', total: 19, deleting: 0, notReady: 0, expected: 2 },
    { name: 'one node of a small pool', total: 3, deleting: 0, notReady: 0, expected: 1 },
    { name: 'nodes being deleted count against it', total: 20, deleting: 1, notReady: 0, expected: 1 },
    { name: 'so do nodes not ready', total: 20, deleting: 0, notReady: 5, expected: 0 },
  ])(
    '$name: $total nodes, $deleting deleting, $notReady not ready -> $expected',
    ({ total, deleting, notReady, expected }) => {
      expect(allowedDisruptions(total, deleting, notReady, KARPENTER_DEFAULTS.disruptionBudgetPercent)).toBe(expected);
    },
  );
});

describe('the insufficient-capacity cache', () => {
  it('keeps an offering out for 3 minutes, per zone', () => {
    const cache = new UnavailableOfferings(KARPENTER_DEFAULTS.unavailableOfferingsTtlSeconds * 1000);
    cache.mark('spot', 'a', 0);
    expect(cache.isUnavailable('spot', 'a', 179_999)).toBe(true);
    expect(cache.isUnavailable('spot', 'a', 180_000)).toBe(false);
    expect(cache.availableZones('spot', ['a', 'b'], 60_000)).toEqual(['b']);
  });
});

describe('karpenter on small fleets', () => {
  const run = async (over: Partial<RunOptions> & Pick<RunOptions, 'trace' | 'demo' | 'hours'>) =>
    (await runSimulation({ spot: NO_SPOT, seed: 1, controllers: [createKarpenterBaseline()], ...over })).runs[0]!;
  const actionsOf = (r: Awaited<ReturnType<typeof run>>) =>
    r.timeline.filter((e) => e.kind === 'action').map((e) => [(e.at - T0) / 60_000, e.message]);

  it('falls back to on-demand while spot cannot launch, and consolidates back to spot once it can', async () => {
    const demo = tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3 },
      { id: 'od', hourlyPrice: 1 },
    ]);
    // No spot capacity for the first 20 minutes.
    const spot: SpotSchedule = {
      source: 'test',
      mapping: [],
      changes: [
        { t: 0, poolId: 'spot', zone: 'z1', capacity: 0 },
        { t: 1200, poolId: 'spot', zone: 'z1', capacity: 10 },
      ],
    };
    const r = await run({ trace: stepTrace([[0, 35]], 60), demo, hours: 1, spot });
    // The start: 5 pods for 35 rps at 70% (5 x 10 x 0.7 = 35); spot fails, so 5 on-demand nodes.
    // Consolidation tries a cheaper spot replacement whenever the cache lets it (every 3 minutes: at 3, 6,
    // ..., 18 min, each failure caching spot again); spot has capacity from 20 min, so the try at 21 min
    // launches. The budget (roundup(5 x 10%) = 1) lets one on-demand node at a time be replaced; the
    // replacement is ready 10 minutes later and the old node goes then, and the next one starts.
    expect(actionsOf(r)).toEqual([
      [21, 'spot: desired 0 -> 1'],
      [31, 'spot: desired 1 -> 2'],
      [31, 'od: desired 5 -> 4'],
      [41, 'spot: desired 2 -> 3'],
      [41, 'od: desired 4 -> 3'],
      [51, 'spot: desired 3 -> 4'],
      [51, 'od: desired 3 -> 2'],
    ]);
    expect(r.summary.slo_attainment).toBe(1);
  });

  it('replaces interrupted nodes at once, away from the zone that lost its capacity', async () => {
    const demo = tinyDemo([
      { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones: ['a', 'b'] },
      { id: 'od', hourlyPrice: 1 },
    ]);
    const spot = zoneALostAt(330);
    const r = await run({ trace: stepTrace([[0, 35]], 30), demo, hours: 0.5, spot });
    // 5 spot nodes at the start, balanced a, b, a, b, a. Zone a is taken back at 330 s: 3 notices. At the next
    // step (360 s) Karpenter drains and ends the 3 nodes, marks spot in zone a unavailable and launches 3
    // spot nodes in zone b; the HPA holds 5 replicas (the 3 unready pods count as 0% on the way up).
    expect(r.summary).toMatchObject({ interruptions: 3, max_replacement_seconds: 30, unreplaced_interruptions: 0 });
    expect(actionsOf(r)).toEqual([[6, 'spot: desired 2 -> 5']]);
    // 15 rps short from 6 to 16 min: the drained nodes stop serving, their replacements serve 10 min later.
    expect(r.summary.unserved_requests).toBeCloseTo(15 * 60 * 10, 6);
  });

  it('deletes empty nodes after the HPA scales in, at most 10% of the nodes at a time', async () => {
    const demo = tinyDemo([{ id: 'od', hourlyPrice: 1 }]);
    const trace = stepTrace(
      [
        [0, 100],
        [30, 20],
      ],
      60,
    );
    const r = await run({ trace, demo, hours: 1 });
    // 15 nodes for 100 rps (15 x 10 x 0.7 = 105). Demand drops at 30 min: 20 / 150 = 13% busy, and the HPA
    // recommends ceil(0.133 / 0.7 x 15) = 3; its 300 s stabilization lets it scale in at 35 min; 12 nodes
    // are empty. The budget is roundup(10%) of the nodes: 2 of 15, 13 and 11, then 1 at a time.
    expect(actionsOf(r)).toEqual([
      [35, 'od: desired 15 -> 13'],
      [36, 'od: desired 13 -> 11'],
      [37, 'od: desired 11 -> 9'],
      [38, 'od: desired 9 -> 8'],
      [39, 'od: desired 8 -> 7'],
      [40, 'od: desired 7 -> 6'],
      [41, 'od: desired 6 -> 5'],
      [42, 'od: desired 5 -> 4'],
      [43, 'od: desired 4 -> 3'],
    ]);
    expect(r.summary.slo_attainment).toBe(1);
  });

  it('starts at one node (minReplicas 1) with --cold-start', async () => {
    const demo = tinyDemo([{ id: 'od', hourlyPrice: 1 }]);
    const r = await run({ trace: stepTrace([[0, 35]], 30), demo, hours: 0.5, startMode: 'cold' });
    expect(r.series.nodesByCloud.aws[0]).toBe(1);
  });
});

describe("karpenter holds the operator's ceilings: the dynamic NodePool's limits", () => {
  const run = async (demo: DemoFleet) =>
    (
      await runSimulation({
        spot: NO_SPOT,
        seed: 1,
        controllers: [createKarpenterBaseline()],
        trace: stepTrace([[0, 200]], 30),
        demo,
        hours: 0.5,
      })
    ).runs[0]!;
  const capped = (maxNodes: number, maxGpus?: number): DemoFleet => {
    // 200 rps asks for 29 pods at 70% of 10 rps; a pool minimum of 2 is a static NodePool.
    const demo = tinyDemo([
      { id: 'od', hourlyPrice: 1, min: 2 },
      { id: 'l4', hourlyPrice: 0.7 },
    ]);
    const policy = { ...demo.fleet.policy, maxNodes, safety: { ...demo.fleet.policy.safety, maxGpus } };
    return { ...demo, fleet: { ...demo.fleet, policy } };
  };
  const most = (r: Awaited<ReturnType<typeof run>>) =>
    Math.max(...r.series.t.map((_, k) => r.series.readyNodes[k]! + r.series.bootingNodes[k]!));

  it('derives nodes = maxNodes less the static replicas, and nvidia.com/gpu from maxGpus when set', () => {
    const demo = capped(9, 7);
    expect(nodePoolLimits(demo, staticNodePools(demo), offeringsOf(demo))).toEqual({ nodes: 7, gpus: 5 });
    expect(nodePoolLimits(capped(9), [], offeringsOf(demo))).toEqual({ nodes: 9, gpus: Number.POSITIVE_INFINITY });
  });

  it("never provisions past the fleet's maxNodes, nor past its maxGpus", async () => {
    const byNodes = await run(capped(9));
    expect(most(byNodes)).toBe(9);
    expect(byNodes.summary.slo_attainment).toBeLessThan(1);
    expect(most(await run(capped(64, 6)))).toBe(6);
    // Unbounded by them, it provisions for the 29 pods.
    expect(most(await run(capped(64)))).toBeGreaterThanOrEqual(29);
  });
});

describe("karpenter holds the operator's hard floors", () => {
  const run = async (over: Partial<RunOptions> & Pick<RunOptions, 'trace' | 'demo' | 'hours'>) =>
    (await runSimulation({ spot: NO_SPOT, seed: 1, controllers: [createKarpenterBaseline()], ...over })).runs[0]!;
  const withFloors = (demo: DemoFleet, minNodes: number, schedule: ScheduleWindow[] = []): DemoFleet => ({
    ...demo,
    fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, minNodes } },
    schedule,
  });
  // Every day, 01:00-02:00 UTC: at least 3 nodes.
  const window = nightShift(3);

  it('derives one static NodePool per pool minimum and the floor from minNodes and the windows', () => {
    const demo = withFloors(
      tinyDemo([
        { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, min: 2 },
        { id: 'od', hourlyPrice: 1, min: 1, max: 1 },
        { id: 'l4', hourlyPrice: 0.7 },
      ]),
      2,
      [window],
    );
    expect(staticNodePools(demo)).toEqual([
      { poolId: 'spot', replicas: 2 },
      { poolId: 'od', replicas: 1 },
    ]);
    const floor = fleetFloor(demo);
    const at = (minute: number) => floor(T0 + minute * 60_000);
    // The window raises it from 01:00; the HPA's 300 s stabilization holds it until 02:05.
    expect([0, 59, 60, 119, 120, 124, 125, 180].map(at)).toEqual([2, 2, 3, 3, 3, 3, 2, 2]);
  });

  it.each([
    {
      // Without the static NodePool, consolidation would replace the on-demand node with a cheaper spot one.
      name: 'an on-demand minimum next to cheaper spot, demand for 3 nodes then none',
      pieces: [
        [0, 21],
        [30, 0],
      ] as Array<[number, number]>,
    },
    { name: 'an on-demand minimum, no demand at all', pieces: [[0, 0]] as Array<[number, number]> },
  ])('keeps the pool minimum alive all along: $name', async ({ pieces }) => {
    const demo = withFloors(
      tinyDemo([
        { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3 },
        { id: 'od', hourlyPrice: 1, min: 1 },
      ]),
      0,
    );
    const r = await run({ trace: stepTrace(pieces, 120), demo, hours: 2 });
    // One on-demand node serving in every step, billed the whole run, never taken down.
    expect(r.series.capacityRpsByType['on-demand'].every((c) => c === 10)).toBe(true);
    expect(r.summary.cost_breakdown.by_pool.od?.running_on_demand).toBeCloseTo(2, 9);
    expect(r.timeline.filter((e) => e.kind === 'action' && e.poolId === 'od')).toEqual([]);
  });

  it("serves the model server's pods on the static node: no other node for demand it holds", async () => {
    const demo = withFloors(
      tinyDemo([
        { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3 },
        { id: 'od', hourlyPrice: 1, min: 1 },
      ]),
      1,
    );
    // 7 rps: one pod at 70% of a 10 rps node; it runs on the static node.
    const r = await run({ trace: stepTrace([[0, 7]], 60), demo, hours: 1 });
    expect(r.summary.slo_attainment).toBe(1);
    expect(r.summary.cost_usd).toBeCloseTo(1, 9);
    expect(r.timeline.filter((e) => e.kind === 'action')).toEqual([]);
  });

  it('replaces an interrupted static spot node at once, in a zone with capacity', async () => {
    const demo = withFloors(
      tinyDemo([
        { id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, zones: ['a', 'b'], min: 2 },
        { id: 'od', hourlyPrice: 1 },
      ]),
      1,
    );
    const spot = zoneALostAt(330);
    const r = await run({ trace: stepTrace([[0, 7]], 30), demo, hours: 0.5, spot });
    // The static NodePool's two nodes start in zones a and b (one pod: the other is idle, yet kept). Zone a's
    // notice comes at 330 s; at 360 s Karpenter ends that node and the static NodePool launches its
    // replacement in zone b (zone a cached as unavailable), ready 10 minutes later.
    expect(r.summary).toMatchObject({ interruptions: 1, max_replacement_seconds: 30, unreplaced_interruptions: 0 });
    const spotRps = r.series.capacityRpsByType.spot;
    expect(spotRps.slice(0, 6).every((c) => c === 20)).toBe(true);
    expect(spotRps.slice(6, 16).every((c) => c === 10)).toBe(true);
    expect(spotRps.slice(16).every((c) => c === 20)).toBe(true);
    expect(r.summary.slo_attainment).toBe(1);
    expect(r.summary.cost_breakdown.by_pool.od?.running_on_demand ?? 0).toBe(0);
  });

  it.each([
    { name: 'before the window', minute: 30, idle: 1, busy: 2 },
    { name: 'the last minute before it', minute: 59, idle: 1, busy: 2 },
    { name: 'its start', minute: 60, idle: 3, busy: 3 },
    { name: 'its last minute', minute: 119, idle: 3, busy: 3 },
    { name: 'within the HPA stabilization after it', minute: 124, idle: 3, busy: 3 },
    { name: 'scale-in, one node per step (budget 10% of 3 rounds up to 1)', minute: 125, idle: 2, busy: 2 },
    { name: 'after it', minute: 150, idle: 1, busy: 2 },
  ])('holds the window floor in the window and not outside: $name', async ({ minute, idle, busy }) => {
    const demo = withFloors(tinyDemo([{ id: 'od', hourlyPrice: 1 }]), 1, [window]);
    // Idle: one pod (minReplicas 1); busy: 14 rps, two pods on two nodes. The floor's nodes serve them: the
    // window holds 3 nodes, not 3 more.
    for (const [rps, expected] of [
      [0, idle],
      [14, busy],
    ] as const) {
      const r = await run({ trace: stepTrace([[0, rps]], 180), demo, hours: 3 });
      expect(r.series.nodesByCloud.aws[minute]).toBe(expected);
      expect(r.summary.slo_attainment).toBe(1);
    }
  });

  it("holds the fleet's minNodes with no window", async () => {
    const demo = withFloors(tinyDemo([{ id: 'od', hourlyPrice: 1 }]), 2);
    const r = await run({ trace: stepTrace([[0, 0]], 60), demo, hours: 1 });
    expect(r.series.nodesByCloud.aws.every((n) => n === 2)).toBe(true);
  });
});
