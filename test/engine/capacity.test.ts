/**
 * Recommendations in capacity, turned into nodes by the placement: unequal nodes (a big node serves many
 * small ones' worth), demand as the primary signal with metrics as a check, booting capacity counted as
 * capacity to come (no double scale-out, no scale-in below what the ready nodes must serve), and
 * stabilization over recorded capacities read in nodes of today's placement.
 */
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import type { DecisionInput, Plan } from '../../shared/engine/types.ts';
import { fleet, input, past, pool, T0 } from './fixtures.ts';

const counts = (plan: Plan) => Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]));
const codes = (plan: Plan) => plan.reasons.map((r) => r.code);
// $5/h for 100 rps ($0.05 per rps) and $1/h for 10 rps ($0.10 per rps): the big node is the cheaper capacity.
const big = (over: Partial<Pool> = {}) => pool({ id: 'big', hourlyPrice: 5, rpsPerNode: 100, max: 1, ...over });
const small = (over: Partial<Pool> = {}) => pool({ id: 'small', hourlyPrice: 1, rpsPerNode: 10, ...over });

describe('unequal nodes: the metrics ask for capacity, the placement for nodes', () => {
  it.each([
    {
      // 1 big + 2 small serve 120 rps at 140% of the 70% target: 240 rps are needed, 120 more: 12 small
      // nodes (the big pool is full). Counting nodes as equal, the HPA would ask ceil(3 x 2) = 6 nodes.
      name: 'scale-out adds the capacity the load needs',
      pools: [big({ desired: 1 }), small({ desired: 2 })],
      value: 140,
      expected: { big: 1, small: 14 },
    },
    {
      // 1 big + 4 small (140 rps) at 35%: 70 rps are needed; the small nodes go first (dearest per rps)
      // and the big one alone serves it. Counting nodes: ceil(5 x 0.5) = 3, i.e. 1 big + 2 small.
      name: 'scale-in removes the capacity the load does not need',
      pools: [big({ desired: 1 }), small({ desired: 4 })],
      value: 35,
      expected: { big: 1, small: 0 },
    },
  ])('$name', ({ pools, value, expected }) => {
    const plan = decide(input(fleet(pools), { metrics: [{ metric: 'gpu_utilization', value }] }), T0);
    expect(counts(plan)).toEqual(expected);
  });
});

describe('demand first, metrics as a check', () => {
  const f = () => fleet([small({ desired: 10 })]);
  it.each([
    // Demand 50 rps x 1.2 = 60 rps: 6 nodes. A cool metric does not hold the fleet at 10.
    { name: 'a metric below target does not hold a scale-in', demand: 50, value: 30, expected: 6 },
    // A metric hotter than the demand implies (100 rps serving at 140% of 70%: 200 rps) raises it to 20.
    { name: 'a metric above target raises the demand', demand: 50, value: 140, expected: 20 },
    // Within the metric's tolerance the demand decides alone.
    { name: 'a metric within tolerance leaves it to the demand', demand: 50, value: 72, expected: 6 },
  ])('$name', ({ demand, value, expected }) => {
    const plan = decide(input(f(), { demand: { rps: demand }, metrics: [{ metric: 'gpu_utilization', value }] }), T0);
    expect(plan.targetNodes).toBe(expected);
  });

  it('a policy metric without a value does not forbid a scale-in when the demand is known', () => {
    const plan = decide(input(f(), { demand: { rps: 50 } }), T0);
    expect(plan.targetNodes).toBe(6);
    expect(codes(plan)).not.toContain('hpa.missing-metrics');
  });
});

describe('booting nodes are capacity to come', () => {
  const run = (desired: number, ready: number, rps: number, over: Partial<DecisionInput> = {}) =>
    decide(input(fleet([small({ desired, ready })], { metrics: [] }), { demand: { rps }, ...over }), T0);

  it.each([
    // 8 asked for, 2 ready: 60 rps x 1.2 = 72 rps, 8 nodes' worth are on their way: nothing to add.
    { name: 'no second scale-out for what is already booting', desired: 8, ready: 2, rps: 60, expected: 8 },
    // 8 asked for, 4 ready, demand fell to 40 rps (48 rps: 5 nodes' worth). The 4 ready nodes serve 40 and
    // cannot lose any: removing one could take a ready node (a group may end any instance), so hold.
    { name: 'no scale-in while the ready nodes are all needed', desired: 8, ready: 4, rps: 40, expected: 8 },
    // 8 asked for, 6 ready, 48 rps needed: removing 2 still leaves 4 ready nodes... at worst 6 - 2 = 4 ready
    // (40 rps) < 48: only 1 may go (5 ready, 50 rps), so 7 rather than the 5 the demand alone asks.
    { name: 'scale-in only as far as the ready nodes still serve', desired: 8, ready: 6, rps: 40, expected: 7 },
    // All 8 ready: nothing boots, the demand decides: 5.
    { name: 'all ready: the demand decides', desired: 8, ready: 8, rps: 40, expected: 5 },
  ])('$name', ({ desired, ready, rps, expected }) => {
    const plan = run(desired, ready, rps);
    expect(plan.targetNodes).toBe(expected);
    if (expected !== desired && expected > 5) expect(codes(plan)).toContain('safety.not-ready');
  });

  it('says why it holds', () => {
    const plan = run(8, 4, 40);
    expect(plan.reasons.find((r) => r.code === 'safety.not-ready')).toMatchObject({ before: 5, after: 8 });
  });
});

describe('stabilization over recorded capacity', () => {
  // The fleet now has only small nodes: the big pool's cloud is not allowed any more.
  const now = () =>
    fleet([big({ cloud: 'gcp', desired: 0, max: 1 }), small({ desired: 10 })], {
      metrics: [],
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
      placement: { allowedClouds: ['aws'] },
    });

  it.each([
    // 2 minutes ago 100 rps were needed: 1 big node then, 10 small nodes now. The window holds 10.
    {
      name: 'a recorded capacity is read in nodes of the current placement',
      rec: { recommendation: 1, requiredRps: 100 },
      expected: 10,
    },
    // An entry without a capacity keeps its node count: max(1, 6) = 6.
    { name: 'an entry without a capacity keeps its node count', rec: { recommendation: 1 }, expected: 6 },
  ])('$name', ({ rec, expected }) => {
    // Demand now 50 rps x 1.2 = 60 rps: 6 small nodes.
    const plan = decide(input(now(), { demand: { rps: 50 }, history: [past(120, rec)] }), T0);
    expect(plan.targetNodes).toBe(expected);
  });

  it('records the capacity it asked for, forecast included', () => {
    const plan = decide(
      input(fleet([small({ desired: 10 })], { metrics: [] }), {
        demand: { rps: 50 },
        forecast: [{ at: new Date(T0.getTime() + 120_000).toISOString(), rps: 80 }],
      }),
      T0,
    );
    // Demand 60 rps, forecast 80 x 1.2 = 96 rps: the larger is recorded, and 10 nodes serve it.
    expect(plan.historyEntry.requiredRps).toBeCloseTo(96);
    expect(plan.requiredRps).toBeCloseTo(96);
    expect(plan.targetNodes).toBe(10);
  });
});

describe('an ending reservation', () => {
  it('does not count towards the floor: the floor is of lasting nodes', () => {
    const reservations = [
      {
        id: 'cr-1',
        cloud: 'aws' as const,
        type: 'capacity-block',
        instanceType: 'p5.48xlarge',
        zone: 'us-east-1a',
        total: 1,
        available: 0,
        state: 'active',
        // Its capacity ends in 10 minutes, 30 minutes before its end date.
        endTime: new Date(T0.getTime() + 40 * 60_000).toISOString(),
      },
    ];
    const f = fleet(
      [
        pool({
          id: 'res',
          capacityType: 'reserved',
          hourlyPrice: 0,
          rpsPerNode: 100,
          desired: 1,
          reservationId: 'cr-1',
        }),
        small({ desired: 1 }),
      ],
      { metrics: [], minNodes: 2 },
    );
    // 5 rps x 1.2 = 6 rps: 1 small node serves it; the reserved node stays until its end, and the floor of
    // 2 lasting nodes adds a second small one ahead of it.
    const plan = decide(input(f, { demand: { rps: 5 }, reservations }), T0);
    expect(counts(plan)).toEqual({ res: 1, small: 2 });
  });
});

describe('nodes for the floor go where a node costs least', () => {
  // $0.73/h for 97.5 rps ($0.0075 per rps) and $0.30/h for 39 rps ($0.0077 per rps): the big spot node is
  // the cheaper throughput, the small one the cheaper node.
  const pools = () => [
    pool({ id: 'big', capacityType: 'spot', hourlyPrice: 0.73, rpsPerNode: 97.5 }),
    pool({ id: 'small', capacityType: 'spot', hourlyPrice: 0.3, rpsPerNode: 39 }),
    pool({ id: 'od', hourlyPrice: 1.01, rpsPerNode: 39, desired: 1, min: 1 }),
  ];
  const run = (rps: number, minNodes: number) =>
    decide(input(fleet(pools(), { metrics: [], minNodes, placement: { spotShare: 1 } }), { demand: { rps } }), T0);

  it.each([
    // 30 rps x 1.2 = 36: the on-demand node serves it; a floor of 3 adds 2 nodes for the count only.
    { name: 'a floor above the need: the cheapest nodes', rps: 30, minNodes: 3, expected: { big: 0, small: 2, od: 1 } },
    // 100 rps x 1.2 = 120: 39 + 97.5 = 136.5 serve it, the throughput goes on the cheapest per rps.
    { name: 'capacity needed: the cheapest throughput', rps: 100, minNodes: 0, expected: { big: 1, small: 0, od: 1 } },
    // Both: the big node for the 120 rps, then 1 node for a floor of 3 on the cheapest node.
    { name: 'need, then the floor on top', rps: 100, minNodes: 3, expected: { big: 1, small: 1, od: 1 } },
  ])('$name', ({ rps, minNodes, expected }) => {
    const plan = run(rps, minNodes);
    expect(counts(plan)).toEqual(expected);
    if (expected.small > 0) expect(codes(plan)).toContain('placement.floor');
  });
});
