/**
 * Properties of the raw recommendation (engine/recommend.ts) over random placement paths, demands, metrics,
 * SLO headrooms and forecasts.
 *
 * More demand never asks for less; with the demand known, metrics only raise the requirement; the forecast only
 * raises it; the requirement is the largest of the demand (with its buffer, or none beside an SLO headroom), the
 * headroom and the metrics counted, and the nodes are what the placement needs for it. Without demand, a metric
 * without a value forbids a scale-down, and with no input at all the count is held (`noData`). At zero, with
 * scale-to-zero, the fleet stays at zero until an input is above its activation threshold, and activates to at
 * least one node when one is; inputs all at or below their thresholds take it to zero. Deterministic; survives
 * JSON. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityType, Cloud, Fleet, MetricTarget } from '../../shared/domain/types.ts';
import { buildBaseline } from '../../shared/engine/baseline.ts';
import { DEFAULT_ACTIVATION } from '../../shared/engine/defaults.ts';
import { forecastPeak } from '../../shared/engine/forecast.ts';
import { type Headroom, LEVEL_NOW } from '../../shared/engine/headroom.ts';
import { PlacementPath } from '../../shared/engine/placement-path.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { type RecommendInput, recommend } from '../../shared/engine/recommend.ts';
import { at, fleet, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const t0 = T0.getTime();
/** Capacities are compared with the placement's own relative tolerance. */
const geq = (a: number, b: number) => a >= b - 1e-9 * Math.max(1, Math.abs(b));

const METRICS: MetricTarget[] = [
  { metric: 'gpu_utilization', target: 70 },
  { metric: 'queue_depth', target: 4, activation: 2 },
];

const poolArb = (i: number) =>
  fc
    .record({
      cloud: fc.constantFrom<Cloud>('aws', 'azure'),
      capacityType: fc.constantFrom<CapacityType>('spot', 'on-demand', 'reserved'),
      hourlyPrice: fc.double({ min: 0.1, max: 8, noNaN: true }),
      rpsPerNode: fc.integer({ min: 1, max: 40 }),
      min: fc.nat(2),
      span: fc.nat(14),
      desired: fc.nat(16),
      readyShare: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map((r) =>
      pool({
        id: `p${i}`,
        cloud: r.cloud,
        kind: r.cloud === 'aws' ? 'auto-scaling-group' : 'azure-vmss',
        capacityType: r.capacityType,
        hourlyPrice: r.hourlyPrice,
        rpsPerNode: r.rpsPerNode,
        min: r.min,
        max: r.min + r.span,
        desired: r.desired,
        ready: Math.floor(r.desired * r.readyShare),
      }),
    );

/** An SLO headroom as headroom.ts gives it (only `rps` and the words of the reason matter here). */
const headroomOf = (rps: number): Headroom => ({
  multiplier: 1,
  offsetRps: 0,
  availability: 0.99,
  windows: 0,
  prior: true,
  historySeconds: 0,
  historyPeak: 0,
  rps,
  levelRps: rps,
  level: LEVEL_NOW,
  capped: false,
  leadSeconds: 660,
});

interface Draw {
  input: RecommendInput;
}

const inputArb: fc.Arbitrary<Draw> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) =>
    fc.record({
      pools: fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i))),
      metrics: fc.constantFrom<MetricTarget[]>([], METRICS.slice(0, 1), METRICS),
      buffer: fc.double({ min: 0, max: 0.5, noNaN: true }),
      tolerance: fc.double({ min: 0, max: 0.3, noNaN: true }),
      gpu: fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: undefined }),
      queue: fc.option(fc.double({ min: 0, max: 40, noNaN: true }), { nil: undefined }),
      rps: fc.option(fc.double({ min: 0, max: 1500, noNaN: true }), { nil: undefined }),
      headroom: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: undefined }),
      forecast: fc.option(
        fc.array(
          fc.record({ in: fc.integer({ min: -300, max: 1200 }), rps: fc.double({ min: 0, max: 1500, noNaN: true }) }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        { nil: undefined },
      ),
      scaleToZero: fc.boolean(),
      atZero: fc.boolean(),
    }),
  )
  .map((g) => {
    const pools = g.atZero ? g.pools.map((p) => ({ ...p, desired: 0, ready: 0 })) : g.pools;
    const f: Fleet = fleet(pools, {
      metrics: g.metrics,
      demandBuffer: g.buffer,
      tolerance: g.tolerance,
      scaleToZero: g.scaleToZero,
    });
    const baseline = buildBaseline(
      {
        fleet: f,
        leaving: new Map(),
        backoffs: [],
        reservationNotices: [],
        reservationHorizonSeconds: 900,
        fillUpTo: 0,
        now: t0,
      },
      new Reasons(),
    );
    const metrics = new Map<string, number>();
    if (g.gpu !== undefined) metrics.set('gpu_utilization', g.gpu);
    if (g.queue !== undefined) metrics.set('queue_depth', g.queue);
    return {
      input: {
        fleet: f,
        current: pools.reduce((s, p) => s + p.desired, 0),
        ready: pools.reduce((s, p) => s + p.ready, 0),
        metrics,
        ...(g.rps !== undefined ? { demand: { rps: g.rps } } : {}),
        ...(g.forecast ? { forecast: g.forecast.map((x) => ({ at: at(x.in), rps: x.rps })) } : {}),
        scaleToZero: g.scaleToZero,
        path: new PlacementPath(baseline),
        now: t0,
        leadSeconds: 660,
        ...(g.headroom !== undefined ? { headroom: headroomOf(g.headroom) } : {}),
      },
    };
  });

const run = (i: RecommendInput) => recommend(i, new Reasons());

describe('recommend: the raw recommendation', () => {
  it('more demand never asks for fewer nodes or less capacity', () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.double({ min: 0, max: 1500, noNaN: true }),
        fc.double({ min: 0, max: 1500, noNaN: true }),
        ({ input }, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const fewer = run({ ...input, demand: { rps: lo } });
          const more = run({ ...input, demand: { rps: hi } });
          expect(more.nodes).toBeGreaterThanOrEqual(fewer.nodes);
          if (fewer.requiredRps !== undefined && more.requiredRps !== undefined)
            expect(geq(more.requiredRps, fewer.requiredRps)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('with the demand known, metrics only raise the requirement (without scale-to-zero)', () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0, max: 1500, noNaN: true }), ({ input }, rps) => {
        const i = { ...input, demand: { rps }, scaleToZero: false };
        const withMetrics = run(i);
        const without = run({ ...i, metrics: new Map() });
        expect(withMetrics.nodes).toBeGreaterThanOrEqual(without.nodes);
        expect(geq(withMetrics.requiredRps!, without.requiredRps!)).toBe(true);
      }),
      RUNS,
    );
  });

  it('the forecast only raises the recommendation, never lowers it', () => {
    fc.assert(
      fc.property(inputArb, ({ input }) => {
        if (!input.forecast) return;
        const { forecast: _f, ...rest } = input;
        const withForecast = run(input);
        const without = run(rest);
        expect(withForecast.nodes).toBeGreaterThanOrEqual(without.nodes);
        if (without.requiredRps !== undefined)
          expect(geq(withForecast.requiredRps ?? Number.NEGATIVE_INFINITY, without.requiredRps)).toBe(true);
        // What the fleet must serve now is not the forecast's.
        expect(withForecast.nowRps).toEqual(without.nowRps);
        if (withForecast.requiredRps !== undefined && withForecast.nowRps !== undefined)
          expect(geq(withForecast.requiredRps, withForecast.nowRps)).toBe(true);
      }),
      RUNS,
    );
  });

  it('with the demand known, the largest of the demand (buffered, or not beside a headroom), the headroom and the metrics wins', () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0, max: 1500, noNaN: true }), ({ input }, rps) => {
        const { forecast: _f, ...rest } = input;
        const i = { ...rest, demand: { rps }, scaleToZero: false, current: Math.max(1, input.current) };
        const r = run(i);
        const buffer = i.headroom ? 0 : i.fleet.policy.demandBuffer;
        const demand = rps * (1 + buffer);
        const required = r.requiredRps!;
        expect(geq(required, demand)).toBe(true);
        if (i.headroom) expect(geq(required, i.headroom.rps)).toBe(true);
        // Without metrics, exactly the larger of the two.
        const plain = run({ ...i, metrics: new Map() }).requiredRps!;
        expect(plain).toBeCloseTo(Math.max(demand, i.headroom?.rps ?? 0), 9);
        // The nodes are what the placement needs for it.
        expect(r.nodes).toBe(i.path.nodesFor(required).nodes);
        expect(r.nowRps).toBe(required);
        expect(r.noData).toBe(false);
      }),
      RUNS,
    );
  });

  it('without demand, the largest over the metrics wins', () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 40, noNaN: true }),
        ({ input }, gpu, queue) => {
          const { demand: _d, forecast: _f, ...rest } = input;
          if (rest.current === 0) return;
          const metrics = new Map([
            ['gpu_utilization', gpu],
            ['queue_depth', queue],
          ]);
          const only = (ms: MetricTarget[]) =>
            run({
              ...rest,
              scaleToZero: false,
              metrics,
              fleet: { ...rest.fleet, policy: { ...rest.fleet.policy, metrics: ms } },
            });
          const both = only(METRICS);
          const each = METRICS.map((m) => only([m]));
          expect(both.requiredRps).toBe(Math.max(...each.map((r) => r.requiredRps!)));
          expect(both.nodes).toBe(Math.max(...each.map((r) => r.nodes)));
        },
      ),
      RUNS,
    );
  });

  it('the nodes are what the placement needs for the requirement, the forecast peak (buffered) included', () => {
    fc.assert(
      fc.property(inputArb, ({ input }) => {
        if (input.current === 0) return;
        const r = run(input);
        if (r.requiredRps === undefined) return;
        // Scale-to-zero takes an idle fleet to zero, whatever its pools' minimums (bounds.ts restores those).
        if (r.activity === 'inactive' && input.scaleToZero) return;
        expect(r.nodes).toBe(input.path.nodesFor(r.requiredRps).nodes);
        const peak = input.forecast ? forecastPeak(input.forecast, input.now, input.leadSeconds) : undefined;
        const buffer = input.headroom ? 0 : input.fleet.policy.demandBuffer;
        if (peak !== undefined && peak > 0) expect(geq(r.requiredRps, peak * (1 + buffer))).toBe(true);
      }),
      RUNS,
    );
  });

  it('without demand: a metric without a value forbids a scale-down, and with no input at all the count is held', () => {
    fc.assert(
      fc.property(inputArb, fc.boolean(), ({ input }, none) => {
        const { demand: _d, forecast: _f, ...rest } = input;
        const i = none ? { ...rest, metrics: new Map<string, number>() } : rest;
        const r = run(i);
        const missing = i.fleet.policy.metrics.some((m) => !i.metrics.has(m.metric));
        if (missing && i.current > 0) expect(r.nodes).toBeGreaterThanOrEqual(i.current);
        if (i.metrics.size === 0) {
          expect(r.noData).toBe(true);
          expect(r.nodes).toBe(i.current);
          expect(r.requiredRps).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('at zero with scale-to-zero: stays at zero until an input is above its activation, then at least one node', () => {
    fc.assert(
      fc.property(inputArb, ({ input }) => {
        // The SLO headroom holds capacity for the demand the history says may come, whatever the demand now: not an
        // input with an activation threshold.
        const { forecast: _f, headroom: _h, ...rest } = input;
        const i = { ...rest, scaleToZero: true };
        const r = run(i);
        const activations = i.fleet.policy.metrics
          .filter((m) => i.metrics.has(m.metric))
          .map((m) => ({ value: i.metrics.get(m.metric)!, activation: m.activation ?? DEFAULT_ACTIVATION }));
        const metricAbove = activations.some((m) => m.value > m.activation);
        const above = metricAbove || (i.demand !== undefined && i.demand.rps > DEFAULT_ACTIVATION);
        const inputs = activations.length + (i.demand ? 1 : 0);
        // Every input at or below its threshold (and every metric read): to zero, at zero or not.
        const allRead = i.fleet.policy.metrics.every((m) => i.metrics.has(m.metric));
        if (inputs > 0 && !above && allRead) {
          expect(r.nodes).toBe(0);
          expect(r.activity).toBe('inactive');
        }
        if (i.current === 0) {
          // (No lower than the pools' minimums, which the placement holds: the fewest nodes it places.)
          if (!above) expect(r.nodes).toBeLessThanOrEqual(i.path.reach(0));
          // A metric's value at zero is the fleet's total: ceil(value / target) nodes, at least one. (The demand
          // asks for the nodes the placement has for it: none where the pools hold none.)
          if (metricAbove) expect(r.nodes).toBeGreaterThanOrEqual(1);
        }
        if (above) expect(r.activity).toBe('active');
      }),
      RUNS,
    );
  });

  it('is deterministic and survives JSON', () => {
    fc.assert(
      fc.property(inputArb, ({ input }) => {
        const ra = new Reasons();
        const rb = new Reasons();
        const a = recommend(input, ra);
        const b = recommend({ ...input, metrics: new Map(input.metrics) }, rb);
        expect(b).toEqual(a);
        expect(rb.list).toEqual(ra.list);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
      }),
      RUNS,
    );
  });
});
