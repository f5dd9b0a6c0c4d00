/**
 * GPU-aware demand: rps -> nodes through the pools' rpsPerNode and the demand buffer, filled in placement
 * order; the forecast ahead by the time to ready (scale-out only); KEDA activation and scale to zero; the
 * HPA's holds (no input, a metric without a value).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import { at, fleet, HPA_DEFAULTS, input, past, pool, T0 } from './fixtures.ts';

const codes = (plan: ReturnType<typeof decide>) => plan.reasons.map((r) => r.code);
const counts = (plan: ReturnType<typeof decide>) => Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]));

describe('demand to nodes', () => {
  it.each([
    // ceil(100 x 1.2 / 10) = 12
    { name: 'default 20% buffer', rps: 100, buffer: 0.2, expected: 12 },
    // ceil(100 / 10) = 10
    { name: 'no buffer', rps: 100, buffer: 0, expected: 10 },
    // ceil(101 x 1.2 / 10) = ceil(12.12) = 13
    { name: 'rounds up', rps: 101, buffer: 0.2, expected: 13 },
    // 0 rps: no demand, the floor (min 0) decides
    { name: 'no demand', rps: 0, buffer: 0.2, expected: 0 },
  ])('$name: $rps rps -> $expected nodes', ({ rps, buffer, expected }) => {
    const f = fleet([pool({ id: 'od', desired: 4 })], { metrics: [], demandBuffer: buffer });
    const plan = decide(input(f, { demand: { rps } }), T0);
    expect(plan.targetNodes).toBe(expected);
  });

  it('fills mixed pools in placement order, each with its own rpsPerNode', () => {
    const f = fleet(
      [
        // $2/h for 20 rps = $0.10 per rps: first, up to its max of 3 (60 rps).
        pool({ id: 'big', hourlyPrice: 2, rpsPerNode: 20, max: 3 }),
        // $1.2/h for 8 rps = $0.15 per rps: the rest, 60 rps / 8 = 7.5 -> 8 nodes.
        pool({ id: 'small', hourlyPrice: 1.2, rpsPerNode: 8 }),
      ],
      { metrics: [] },
    );
    const plan = decide(input(f, { demand: { rps: 100 } }), T0);
    expect(counts(plan)).toEqual({ big: 3, small: 8 });
    expect(plan.targetNodes).toBe(11);
  });

  it('keeps the nodes it has when they already serve the demand, and sheds the expensive ones', () => {
    // 5 x 20 + 5 x 8 = 140 rps serve 120 (100 x 1.2); removing the costliest per rps (small) while enough:
    // 140 - 8 x 2 = 124 >= 120, a third would leave 116. So 8 nodes.
    const f = fleet(
      [
        pool({ id: 'big', hourlyPrice: 2, rpsPerNode: 20, desired: 5 }),
        pool({ id: 'small', hourlyPrice: 1.2, rpsPerNode: 8, desired: 5 }),
      ],
      { metrics: [] },
    );
    const plan = decide(input(f, { demand: { rps: 100 } }), T0);
    expect(counts(plan)).toEqual({ big: 5, small: 3 });
  });

  it('takes the larger of demand and metrics, as the HPA takes the largest over metrics', () => {
    const f = fleet([pool({ id: 'od', desired: 4 })]);
    // Metric: ceil(4 x 140 / 70) = 8; demand: ceil(150 x 1.2 / 10) = 18.
    expect(
      decide(input(f, { demand: { rps: 150 }, metrics: [{ metric: 'gpu_utilization', value: 140 }] }), T0).targetNodes,
    ).toBe(18);
    // Metric 8, demand ceil(20 x 1.2 / 10) = 3.
    expect(
      decide(input(f, { demand: { rps: 20 }, metrics: [{ metric: 'gpu_utilization', value: 140 }] }), T0).targetNodes,
    ).toBe(8);
  });

  it('says when the pools cannot serve the demand', () => {
    const f = fleet([pool({ id: 'od', max: 5 })], { metrics: [] });
    const plan = decide(input(f, { demand: { rps: 1000 } }), T0);
    expect(plan.targetNodes).toBe(5);
    expect(plan.reasons.find((r) => r.code === 'demand.rps')?.message).toMatch(/short of capacity/);
  });

  it('says when a metric asks for more capacity than the pools can hold', () => {
    const f = fleet([pool({ id: 'od', desired: 4, max: 5 })]);
    // 40 rps serving x 350 / 70 = 200 rps of capacity (20 nodes' worth); the pool holds 5.
    const plan = decide(input(f, { metrics: [{ metric: 'gpu_utilization', value: 350 }] }), T0);
    expect(plan.targetNodes).toBe(5);
    expect(plan.requiredRps).toBeCloseTo(200);
    expect(plan.reasons.find((r) => r.code === 'hpa.metric')?.message).toMatch(/short of capacity/);
  });
});

describe('forecast (scale-out only, ahead by the lead time)', () => {
  const f = () => fleet([pool({ id: 'od', desired: 10, timeToReadySeconds: 600 })], { metrics: [] });

  it('raises capacity for demand expected within the time to ready', () => {
    // 200 rps in 5 minutes (within 600 s): ceil(200 x 1.2 / 10) = 24.
    const plan = decide(input(f(), { demand: { rps: 80 }, forecast: [{ at: at(300), rps: 200 }] }), T0);
    expect(plan.targetNodes).toBe(24);
    expect(codes(plan)).toContain('demand.forecast-ahead');
  });

  it('ignores forecast points beyond the time to ready', () => {
    // 200 rps in an hour: a node asked for now would be idle until then. Demand alone: ceil(96 / 10) = 10.
    const plan = decide(
      input(f(), {
        demand: { rps: 80 },
        forecast: [
          { at: at(3600), rps: 200 },
          { at: at(4000), rps: 200 },
        ],
      }),
      T0,
    );
    expect(plan.targetNodes).toBe(10);
  });

  it('interpolates the value at the end of the lead time', () => {
    // 100 rps now, 300 in 20 minutes. The lead time is the time to ready (600 s) plus the decision interval
    // (300 s by default): at +900 s, 250 rps -> ceil(250 x 1.2 / 10) = 30 nodes.
    const plan = decide(
      input(f(), {
        forecast: [
          { at: at(0), rps: 100 },
          { at: at(1200), rps: 300 },
        ],
      }),
      T0,
    );
    expect(plan.targetNodes).toBe(30);
  });

  it('looks ahead only the time to ready when decisions come more often', () => {
    // Decisions every 60 s: at +660 s, 210 rps -> ceil(252 / 10) = 26 nodes.
    const plan = decide(
      input(f(), {
        decisionIntervalSeconds: 60,
        forecast: [
          { at: at(0), rps: 100 },
          { at: at(1200), rps: 300 },
        ],
      }),
      T0,
    );
    expect(plan.targetNodes).toBe(26);
  });

  it('never scales in on a forecast', () => {
    // Only a low forecast: the fleet of 10 is held (no reactive input), not cut to ceil(12 / 10) = 2.
    const plan = decide(input(f(), { forecast: [{ at: at(300), rps: 10 }] }), T0);
    expect(plan.targetNodes).toBe(10);
  });

  const skill = (mase: number, origins = 288) => ({
    origins,
    points: origins * 3,
    mae: 10 * mase,
    maeLastValue: 10,
    mase,
    windowSeconds: 86_400,
  });
  it.each([
    // Better than the last value on the fleet's own demand: used, and the reasons say how good it was.
    {
      name: 'a forecast better than the last value is used',
      mase: 0.5,
      origins: 288,
      nodes: 24,
      code: 'forecast.skill',
    },
    // As good as the last value or worse: not used; demand alone, ceil(80 x 1.2 / 10) = 10.
    { name: 'one no better than the last value is not', mase: 1, origins: 288, nodes: 10, code: 'forecast.unskilled' },
    { name: 'one worse than it is not', mase: 3.45, origins: 288, nodes: 10, code: 'forecast.unskilled' },
    // Too few origins for a verdict (under an hour of them): used as it comes, without a word.
    { name: 'too few origins: used as it comes', mase: 3.45, origins: 11, nodes: 24, code: undefined },
  ])('$name', ({ mase, origins, nodes, code }) => {
    const plan = decide(
      input(f(), { demand: { rps: 80 }, forecast: [{ at: at(300), rps: 200 }], forecastSkill: skill(mase, origins) }),
      T0,
    );
    expect(plan.targetNodes).toBe(nodes);
    const said = plan.reasons.filter((r) => r.code.startsWith('forecast.'));
    expect(said.map((r) => r.code)).toEqual(code ? [code] : []);
    if (code) expect(said[0]!.message).toContain(`MASE ${mase.toFixed(2)}`);
  });
});

describe('KEDA activation and scale to zero', () => {
  const queue = { metric: 'queue_depth', target: 5, activation: 10 };

  it.each([
    // At zero the value is the total: 5 is at or below the activation threshold 10 -> stay at zero.
    { name: 'below the activation threshold stays at zero', value: 5, expected: 0 },
    { name: 'at the activation threshold stays at zero', value: 10, expected: 0 },
    // Above: activate to ceil(11 / 5) = 3 (at least 1).
    { name: 'above the threshold activates', value: 11, expected: 3 },
  ])('$name', ({ value, expected }) => {
    const f = fleet([pool({ id: 'od' })], { metrics: [queue], scaleToZero: true });
    expect(decide(input(f, { metrics: [{ metric: 'queue_depth', value }] }), T0).targetNodes).toBe(expected);
  });

  it('activates to at least one with the default threshold 0', () => {
    const f = fleet([pool({ id: 'od' })], { metrics: [{ metric: 'queue_depth', target: 5 }], scaleToZero: true });
    expect(decide(input(f, { metrics: [{ metric: 'queue_depth', value: 0.5 }] }), T0).targetNodes).toBe(1);
  });

  it('scales to zero once every input is at or below its threshold for the stabilization window', () => {
    const f = fleet([pool({ id: 'od', desired: 3 })], {
      metrics: [queue],
      scaleToZero: true,
      minNodes: 2,
      ...HPA_DEFAULTS,
    });
    const idle = { metrics: [{ metric: 'queue_depth', value: 2 }] };
    // An active recommendation of 3 two minutes ago is in the 300 s scale-down window: held at 3.
    const held = decide(input(f, { ...idle, history: [past(120, { recommendation: 3, from: 3, to: 3 })] }), T0);
    expect(held.targetNodes).toBe(3);
    // Six minutes later it is not: zero, below minNodes, because scale-to-zero owns the floor when inactive.
    const zero = decide(input(f, { ...idle, history: [past(360, { recommendation: 3, from: 3, to: 3 })] }), T0);
    expect(zero.targetNodes).toBe(0);
    expect(codes(zero)).toContain('keda.deactivation');
  });

  it('keeps minNodes while active (scale-to-zero floor is max(minNodes, 1))', () => {
    const f = fleet([pool({ id: 'od', desired: 3 })], { metrics: [queue], scaleToZero: true, minNodes: 2 });
    // 12 > 10 active; per node 12 / 5 x 3 = 7.2 -> 8.
    expect(decide(input(f, { metrics: [{ metric: 'queue_depth', value: 12 }] }), T0).targetNodes).toBe(8);
  });

  it('a fleet at zero without any input stays at zero', () => {
    const f = fleet([pool({ id: 'od' })], { metrics: [queue], scaleToZero: true, minNodes: 2 });
    expect(decide(input(f), T0).targetNodes).toBe(0);
  });

  it('without scale-to-zero an idle fleet keeps minNodes', () => {
    const f = fleet([pool({ id: 'od', desired: 3 })], { metrics: [queue], minNodes: 2 });
    expect(decide(input(f, { metrics: [{ metric: 'queue_depth', value: 0 }] }), T0).targetNodes).toBe(2);
  });
});

describe('HPA holds', () => {
  it('holds with no metric value and no demand', () => {
    const f = fleet([pool({ id: 'od', desired: 6 })]);
    const plan = decide(input(f), T0);
    expect(plan.targetNodes).toBe(6);
    expect(codes(plan)).toContain('hpa.no-metrics');
  });

  it('a policy metric without a value forbids a scale-down, not a scale-up', () => {
    const f = fleet([pool({ id: 'od', desired: 6 })], {
      metrics: [
        { metric: 'gpu_utilization', target: 70 },
        { metric: 'queue_depth', target: 5 },
      ],
    });
    const low = decide(input(f, { metrics: [{ metric: 'gpu_utilization', value: 20 }] }), T0);
    expect(low.targetNodes).toBe(6);
    expect(codes(low)).toContain('hpa.missing-metrics');
    // ceil(6 x 140 / 70) = 12
    expect(decide(input(f, { metrics: [{ metric: 'gpu_utilization', value: 140 }] }), T0).targetNodes).toBe(12);
  });

  it('uses the value an alarm carries when the metrics input lacks it', () => {
    const f = fleet([pool({ id: 'od', desired: 4 })]);
    const plan = decide(
      input(f, {
        signals: [
          {
            type: 'metric-alarm',
            eventId: 'a1',
            source: 'aws.cloudwatch',
            time: T0.toISOString(),
            cloud: 'aws',
            alarmName: 'gpu-high',
            state: 'ALARM',
            alarmKind: 'metric',
            metricName: 'gpu_utilization',
            value: 105,
            dimensions: {},
          },
        ],
      }),
      T0,
    );
    // ceil(4 x 105 / 70) = 6
    expect(plan.targetNodes).toBe(6);
    expect(codes(plan)).toContain('signal.metric-alarm');
  });
});
