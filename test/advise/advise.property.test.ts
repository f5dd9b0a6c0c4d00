/**
 * Properties of `autoscaler advise` (local/advise/), over the demo fleet with its baseline on-demand pool's
 * type, limits, time to ready and warm capacity, its placement and latency target varied, and random recorded
 * demand (1-150 steps of 15 s to 15 min, quiet steps and spikes).
 *
 * What the modules' comments and the README promise:
 * - every option is a changed copy of the configuration that the loader accepts (`parseConfig` and
 *   `resolveConfig`, as `loadConfigFile` does from its JSON), and the configuration given is not changed;
 * - warm pool: "the count that covers the largest rise of the recorded demand within one time to ready", never
 *   above the baseline pool's max, and no option that repeats the warm capacity it already has;
 * - reservations: the floor is "the node count needed in 95% of the recorded minutes" of the baseline type,
 *   priced floor x on-demand price x 730 h, offered as an on-demand base of that size when above the base;
 *   a Capacity Block only for p5/p4d, of the largest block size not above the floor;
 * - candidates are pure: the same (configuration, demand) gives the same candidates;
 * - more demand (every step scaled up) never lowers the warm count nor the reserved floor;
 * - `choose`: the cheapest option at the availability target, else the highest SLO; the configuration as it
 *   is when it is that; the deltas are the chosen option's minus the configuration's;
 * - the recorded demand from the metrics store: finite, non-negative samples a minute apart from t = 0 (summed
 *   over series), and fewer than two samples is a NoRecordedDemandError naming the query and the hours;
 * - the command refuses `--hours`, `--seed` and `--from-metrics` out of range with a usage error (exit 2)
 *   naming the flag, before anything starts.
 * `PROP_RUNS` sets the runs per property (100 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choose, type Simulated } from '../../local/advise/evaluate.ts';
import { NoRecordedDemandError, RECORDED_STEP_SECONDS, recordedDemand } from '../../local/advise/recorded.ts';
import {
  baselinePool,
  CAPACITY_BLOCK_HOURLY,
  CAPACITY_BLOCK_SIZES,
  type Candidate,
  candidates,
  FLOOR_QUANTILE,
  HOURS_PER_MONTH,
  type RecordedDemand,
} from '../../local/advise/recommend.ts';
import { main } from '../../local/cli/main.ts';
import { parseConfig, type ResolvedConfig, resolveConfig } from '../../shared/config/load.ts';
import type { MetricSeries, MetricsPort } from '../../shared/domain/ports.ts';
import { fakeIo } from '../cli/support.ts';
import { configOf, demandArb, FLEET_ID, resolvedOf, variationArb } from './advise-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 100) };
/** Fewer runs for the properties that run the command line. */
const CLI_RUNS = { numRuns: Math.max(5, Math.round(RUNS.numRuns / 5)) };

const find = (list: Candidate[], kind: Candidate['kind']) => list.find((c) => c.kind === kind)!;
const advise = (resolved: ResolvedConfig, demand: RecordedDemand) =>
  candidates({ resolved, fleetId: FLEET_ID, demand });

/** Nodes of `perNode` needed for `rps`, as the capacity model counts them (the same 1e-9 tolerance). */
const need = (rps: number, perNode: number) => Math.ceil(rps / perNode - 1e-9);

/** The largest rise within `window` steps, by brute force over every pair of steps. */
function largestRise(rps: readonly number[], window: number): number {
  let rise = 0;
  for (let i = 0; i < rps.length; i++)
    for (let j = i + 1; j < rps.length && j - i <= window; j++) rise = Math.max(rise, rps[j]! - rps[i]!);
  return rise;
}

describe('advise: every option is a configuration the loader accepts', () => {
  it('each option applied validates and resolves; the configuration given is not changed', () => {
    fc.assert(
      fc.property(variationArb, demandArb, (v, demand) => {
        const resolved = resolvedOf(v);
        const before = JSON.stringify(resolved.config);
        for (const c of advise(resolved, demand))
          for (const o of c.options) {
            const changed = o.apply!(resolved.config);
            // As the loader reads it: JSON, validated, resolved.
            const again = resolveConfig(parseConfig(JSON.parse(JSON.stringify(changed)), o.label), o.label);
            expect(again.fleets.map((f) => f.id)).toContain(FLEET_ID);
            expect(JSON.stringify(changed)).not.toBe(before);
          }
        expect(JSON.stringify(resolved.config)).toBe(before);
      }),
      RUNS,
    );
  });
});

describe('advise: the warm pool covers the largest rise within a time to ready, within the pool', () => {
  it('warm n-n: n nodes cover the rise (unless capped at the pool max), n - 1 do not; never above max', () => {
    fc.assert(
      fc.property(variationArb, demandArb, (v, demand) => {
        const resolved = resolvedOf(v);
        const fleet = resolved.fleets[0]!;
        const base = baselinePool(fleet);
        const c = find(advise(resolved, demand), 'warm-pool');
        if (base.capacityType === 'spot' || base.kind === 'ec2-fleet') return;
        const window = Math.max(1, Math.round(base.timeToReadySeconds / demand.stepSeconds));
        const rise = largestRise(demand.rps, window);
        const warm = c.options.find((o) => o.label.startsWith('warm '));
        const labels = c.options.map((o) => o.label);
        expect(labels.includes('no warm pool')).toBe(base.warm !== undefined);
        if (!warm) {
          // No rise, or the pool already keeps exactly that count.
          const n = Math.min(base.max, need(rise, base.rpsPerNode));
          expect(n === 0 || (base.warm?.min === n && base.warm?.max === n)).toBe(true);
          return;
        }
        const n = Number(/^warm (\d+)-\1$/.exec(warm.label)![1]);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(base.max);
        if (n < base.max) expect(n * base.rpsPerNode).toBeGreaterThanOrEqual(rise - 1e-6);
        expect((n - 1) * base.rpsPerNode).toBeLessThan(rise);
        const pool = resolveConfig(warm.apply!(resolved.config)).fleets[0]!.pools.find((p) => p.id === base.id)!;
        expect([pool.warm!.min, pool.warm!.max]).toEqual([n, n]);
      }),
      RUNS,
    );
  });
});

describe('advise: the reserved floor is the node count needed in 95% of the steps', () => {
  it('floor nodes needed in >= 95% of steps, floor + 1 in fewer; priced and offered as documented', () => {
    fc.assert(
      fc.property(variationArb, demandArb, (v, demand) => {
        const resolved = resolvedOf(v);
        const fleet = resolved.fleets[0]!;
        const base = baselinePool(fleet);
        const c = find(advise(resolved, demand), 'reservation');
        const nodes = demand.rps.map((r) => need(r, base.rpsPerNode));
        const needed = Number(/at least (\d+) node/.exec(c.reasons[0]!)![1]);
        const n = nodes.length;
        const atLeast = (k: number) => nodes.filter((x) => x >= k).length;
        // "needed in 95% of the recorded minutes": at least 95% of the steps need that many nodes or more.
        expect(atLeast(needed) / n).toBeGreaterThanOrEqual(1 - FLOOR_QUANTILE - 1e-12);
        // ... and it is the largest such count.
        expect(atLeast(needed + 1) / n).toBeLessThan(1 - FLOOR_QUANTILE + 1e-12);
        // What is reserved: no more than the baseline pool and the fleet hold (the fixed block below).
        const floor = Math.min(needed, base.max, fleet.policy.maxNodes);
        if (floor === 0) {
          expect(c.options).toEqual([]);
          return;
        }
        const od = fleet.pools.find((p) => p.instanceType === base.instanceType && p.capacityType === 'on-demand');
        expect(c.prices!.capacity_reservation_usd_month).toBeCloseTo(
          floor * (od?.hourlyPrice ?? base.hourlyPrice) * HOURS_PER_MONTH,
          6,
        );
        const block = CAPACITY_BLOCK_HOURLY[base.instanceType];
        if (block === undefined) expect(c.prices!.capacity_block_usd_month).toBeUndefined();
        else {
          const size = Math.max(...CAPACITY_BLOCK_SIZES.filter((s) => s <= floor));
          expect(c.prices!.capacity_block_usd_month).toBeCloseTo(size * block * HOURS_PER_MONTH, 6);
        }
        const baseNow = fleet.policy.placement.onDemandBase;
        expect(c.options.length).toBe(floor > baseNow ? 1 : 0);
        if (c.options[0]) {
          const after = resolveConfig(c.options[0].apply!(resolved.config)).fleets[0]!;
          expect(after.policy.placement.onDemandBase).toBe(floor);
        }
      }),
      RUNS,
    );
  });
});

describe('advise: pure and monotone in the demand', () => {
  const figures = (list: Candidate[], resolved: ResolvedConfig) =>
    JSON.stringify(
      list.map((c) => ({
        ...c,
        options: c.options.map((o) => ({ label: o.label, config: o.apply!(resolved.config) })),
      })),
    );

  it('the same configuration and demand give the same candidates, applied options included', () => {
    fc.assert(
      fc.property(variationArb, demandArb, (v, demand) => {
        const a = resolvedOf(v);
        const b = resolveConfig(configOf(v));
        expect(figures(advise(b, structuredClone(demand)), b)).toBe(figures(advise(a, demand), a));
      }),
      RUNS,
    );
  });

  it('scaling every step of the demand up never lowers the warm count nor the reserved floor', () => {
    const warmOf = (c: Candidate) => Number(/needs (\d+) node/.exec(c.reasons[0]!)?.[1] ?? 0);
    const floorOf = (c: Candidate) => Number(/at least (\d+) node/.exec(c.reasons[0]!)![1]);
    fc.assert(
      fc.property(variationArb, demandArb, fc.double({ min: 1, max: 10, noNaN: true }), (v, demand, k) => {
        const resolved = resolvedOf(v);
        const lo = advise(resolved, demand);
        const hi = advise(resolved, { ...demand, rps: demand.rps.map((r) => r * k) });
        expect(warmOf(find(hi, 'warm-pool'))).toBeGreaterThanOrEqual(warmOf(find(lo, 'warm-pool')));
        expect(floorOf(find(hi, 'reservation'))).toBeGreaterThanOrEqual(floorOf(find(lo, 'reservation')));
      }),
      RUNS,
    );
  });
});

describe('choose: the cheapest at the target, else the highest SLO', () => {
  const simArb = (label: string) =>
    fc
      .record({
        usd: fc.integer({ min: 0, max: 10_000 }),
        slo: fc.oneof(fc.constantFrom(0.999, 1, 0.99), fc.double({ min: 0.9, max: 1, noNaN: true })),
      })
      .map(
        ({ usd, slo }): Simulated => ({
          label,
          cost_usd: usd,
          usd_per_month: usd,
          slo_attainment: slo,
          worst_hour_slo: slo,
          utilization: 0.5,
        }),
      );
  it('the pick meets the target and is the cheapest that does, or none does and it serves the most', () => {
    fc.assert(
      fc.property(
        simArb('now'),
        fc.integer({ min: 0, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => simArb(`o${i}`)))),
        fc.constantFrom(0.99, 0.999, 0.9999),
        (current, options, availability) => {
          const c: Candidate = {
            kind: 'spot-share',
            question: 'q',
            reasons: [],
            options: options.map((o) => ({ label: o.label })),
          };
          const r = choose(c, current, options, availability);
          const all = [current, ...options];
          const pick = r.chosen === undefined ? current : options.find((o) => o.label === r.chosen)!;
          const meeting = all.filter((s) => s.slo_attainment >= availability);
          if (meeting.length) {
            expect(pick.slo_attainment).toBeGreaterThanOrEqual(availability);
            expect(pick.usd_per_month).toBe(Math.min(...meeting.map((s) => s.usd_per_month)));
          } else expect(pick.slo_attainment).toBe(Math.max(...all.map((s) => s.slo_attainment)));
          // Kept only when cheaper than, or serving more than, the configuration as it is.
          if (r.chosen !== undefined)
            expect(pick.usd_per_month < current.usd_per_month || pick.slo_attainment > current.slo_attainment).toBe(
              true,
            );
          expect(r.delta_usd_per_month).toBe(pick.usd_per_month - current.usd_per_month);
          expect(r.delta_slo).toBe(pick.slo_attainment - current.slo_attainment);
        },
      ),
      RUNS,
    );
  });
});

describe('recorded demand from the metrics store', () => {
  const fleet = resolvedOf({
    odType: 'g5.xlarge',
    odMin: 1,
    odMax: 32,
    timeToReadySeconds: 600,
    warm: undefined,
    onDemandBase: 1,
    spotShare: 1,
    spotType: 'g5.xlarge',
    p95LatencyMs: 12_000,
    dropL4: false,
  }).fleets[0]!;
  const now = new Date('2026-01-05T12:00:00Z');
  const t0 = now.getTime() / 1000 - 3 * 3600;
  const valueArb = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 0, max: 500, noNaN: true }) },
    { weight: 1, arbitrary: fc.double({ min: -100, max: 0, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
  );
  const seriesArb: fc.Arbitrary<MetricSeries[]> = fc.array(
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 179 }), valueArb), { selector: (p) => p[0], maxLength: 30 })
      .map((pts) => ({
        labels: {},
        points: pts.sort((a, b) => a[0] - b[0]).map(([m, v]): [number, number] => [t0 + m * 60, v]),
      })),
    { maxLength: 3 },
  );
  const port = (series: MetricSeries[]): MetricsPort => ({
    queryRange: async () => series,
    queryInstant: async () => undefined,
  });

  it('finite, non-negative, summed over series, from t = 0 a minute apart; fewer than two samples: a clear error', async () => {
    await fc.assert(
      fc.asyncProperty(seriesArb, async (series) => {
        const sums = new Map<number, number>();
        for (const s of series)
          for (const [t, v] of s.points) if (Number.isFinite(v)) sums.set(t, (sums.get(t) ?? 0) + v);
        const times = [...sums.keys()].sort((a, b) => a - b);
        const read = recordedDemand(port(series), fleet, undefined, now, 3);
        if (times.length < 2) {
          await expect(read).rejects.toBeInstanceOf(NoRecordedDemandError);
          await expect(read).rejects.toThrow(/fleet_rps.*over the last 3 h/);
          return;
        }
        const trace = await read;
        expect(trace.stepSeconds).toBe(RECORDED_STEP_SECONDS);
        expect(trace.points.map((p) => p.t)).toEqual(times.map((t) => t - times[0]!));
        expect(trace.originMs).toBe(times[0]! * 1000);
        for (const [i, p] of trace.points.entries()) {
          expect(Number.isFinite(p.rps) && p.rps >= 0).toBe(true);
          expect(p.rps).toBe(Math.max(0, sums.get(times[i]!)!));
        }
        expect(trace.durationSeconds).toBe(trace.points.at(-1)!.t + RECORDED_STEP_SECONDS);
      }),
      RUNS,
    );
  });
});

describe('autoscaler advise refuses flags out of range', () => {
  const bad = fc.oneof(
    fc.integer({ min: -1000, max: 0 }).map(String),
    fc.constantFrom('NaN', 'abc', '1.5', 'Infinity', '', '1e9', '-0.5'),
  );
  it('--hours, --seed and --from-metrics out of range: exit 2 naming the flag', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('--hours', '--seed', '--from-metrics'),
        bad,
        fc.integer({ min: 745, max: 100_000 }),
        async (flag, value, tooBig) => {
          // --seed takes 0; --hours and --from-metrics have upper bounds.
          const v = flag === '--seed' && value === '0' ? '-1' : value;
          for (const x of flag === '--seed' ? [v] : [v, String(tooBig)]) {
            const io = fakeIo();
            expect(await main(['advise', '--fleet', 'llm-demo', `${flag}=${x}`], io)).toBe(2);
            expect(io.err.join('\n')).toContain(flag);
          }
        },
      ),
      CLI_RUNS,
    );
  });
});

/**
 * The reserved floor is not held to the pools' limits (the warm count is: `Math.min(base.max, ...)`): with the
 * baseline pool aws-g5-ondemand (g5.xlarge, 39.06 requests/s a node) at max 1 and gcp-l4 at max 16, one step
 * of 664.06 requests/s needs 18 nodes and the option sets an on-demand base of 18, more than the 17 on-demand
 * nodes the fleet's pools may hold; the README says the floor is "simulated as an on-demand base of that
 * size", which the pools cannot run, and the reservation is priced for 18 g5.xlarge where one fits.
 * local/advise/recommend.ts, reservationCandidate: `const floor = quantile(nodes, FLOOR_QUANTILE);`.
 */
describe('fixed: the reservation option sets no on-demand base above what the pools may hold', () => {
  const v = {
    odType: 'g5.xlarge',
    odMin: 0,
    odMax: 1,
    timeToReadySeconds: 30,
    warm: undefined,
    onDemandBase: 0,
    spotShare: 0,
    spotType: 'g5.xlarge',
    p95LatencyMs: 12_000,
    dropL4: false,
  };
  it('one step of 664.06 requests/s, on-demand pools of max 1 + 16: the base stays <= 17', () => {
    const resolved = resolvedOf(v);
    const c = find(advise(resolved, { stepSeconds: 15, rps: [664.0625000390627], source: 'bug' }), 'reservation');
    const after = resolveConfig(c.options[0]!.apply!(resolved.config)).fleets[0]!;
    expect(after.policy.placement.onDemandBase).toBeLessThanOrEqual(17);
  });

  it("property: never above the on-demand pools' max nor the fleet's maxNodes", () => {
    fc.assert(
      fc.property(variationArb, demandArb, (v, demand) => {
        const resolved = resolvedOf(v);
        const fleet = resolved.fleets[0]!;
        const c = find(advise(resolved, demand), 'reservation');
        if (!c.options[0]) return;
        const after = resolveConfig(c.options[0].apply!(resolved.config)).fleets[0]!;
        const odMax = fleet.pools.filter((p) => p.capacityType === 'on-demand').reduce((n, p) => n + p.max, 0);
        expect(after.policy.placement.onDemandBase).toBeLessThanOrEqual(Math.min(odMax, fleet.policy.maxNodes));
      }),
      RUNS,
    );
  });
});
