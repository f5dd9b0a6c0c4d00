/**
 * Properties of the spot risk (spot-risk.ts) over random fleets (1-4 pools, 0-3 zones each, most of them spot)
 * and random sequences of decisions, each a time step and the losses it learned of.
 *
 * What each function's comment promises: survival is a share (1 for capacity that is not spot), falls as the
 * lead grows and as an offering's losses grow, and one pool's losses say nothing of another's; the losses are
 * counted, decayed with the one-day constant, over the node-hours held spread evenly over the zones; the
 * episodes are remembered a week, at most `SPOT_MAX_EVENTS`; the state is pure data (the same input gives the
 * same state, and a JSON round trip between decisions changes nothing). The scenarios' probabilities and loss
 * shares are in [0, 1], read only the events up to now, do not depend on the order the events are stored in
 * or on the clock's origin, and a set seen failing once more is more likely; the hedge keeps the scenarios
 * above 1 - availability at 1 - (1 - availability) / p, more and higher as the target rises; the capacity a
 * scenario takes is never more than the spot capacity there. `PROP_RUNS` sets the runs per property (300 by
 * default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityType, Cloud, Fleet, Pool } from '../../shared/domain/types.ts';
import {
  capacityLost,
  hedgeTargets,
  type LossScenario,
  lossScenarios,
  offeringKey,
  poolSurvival,
  priorScenarios,
  SPOT_EPISODE_MEMORY_SECONDS,
  SPOT_MAX_EVENTS,
  SPOT_PRIOR_ALL_LOST_PROBABILITY,
  SPOT_PRIOR_WINDOW_SECONDS,
  SPOT_RISK_DECAY_SECONDS,
  type SpotLoss,
  updateSpotRisk,
} from '../../shared/engine/spot-risk.ts';
import type { SpotRiskState } from '../../shared/engine/types.ts';
import { iso } from '../../shared/engine/time.ts';
import { fleet, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const t0 = T0.getTime();
const ZONES = ['z-a', 'z-b', 'z-c'];
const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

const poolArb = (i: number): fc.Arbitrary<Pool> =>
  fc
    .record({
      cloud: fc.constantFrom<Cloud>('aws', 'azure', 'gcp', 'kubernetes'),
      // Mostly spot: the other types are there to be ignored.
      capacityType: fc.constantFrom<CapacityType>('spot', 'spot', 'spot', 'on-demand', 'reserved'),
      zones: fc.subarray(ZONES),
      desired: fc.integer({ min: 0, max: 30 }),
      rpsPerNode: fc.integer({ min: 1, max: 50 }),
    })
    .map((r) =>
      pool({
        id: `p${i}`,
        cloud: r.cloud,
        capacityType: r.capacityType,
        location: { region: 'r1', zones: r.zones },
        desired: r.desired,
        rpsPerNode: r.rpsPerNode,
      }),
    );

const fleetArb: fc.Arbitrary<Fleet> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i))))
  .map((pools) => fleet(pools));

/**
 * A loss as the engine passes them: a pool of the fleet (sometimes one it does not have), one of that pool's
 * zones or none, and a node count (sometimes none or negative: to be ignored).
 */
const lossArb = (f: Fleet): fc.Arbitrary<SpotLoss> =>
  fc
    .record({
      pool: fc.nat(f.pools.length),
      zone: fc.option(fc.nat(2), { nil: undefined }),
      nodes: fc.integer({ min: -1, max: 10 }),
    })
    .map((r) => {
      const p = f.pools[r.pool];
      const zones = p?.location.zones ?? [];
      const zone = r.zone !== undefined && zones.length > 0 ? zones[r.zone % zones.length] : undefined;
      return { poolId: p?.id ?? 'ghost', ...(zone !== undefined ? { zone } : {}), nodes: r.nodes };
    });

/** A loss the spot risk counts: nodes lost by a spot pool of the fleet. */
const counted = (f: Fleet, l: SpotLoss) =>
  l.nodes > 0 && f.pools.find((p) => p.id === l.poolId)?.capacityType === 'spot';

/** Decisions: the seconds since the one before (up to three days) and the losses each learned of. */
const stepsArb = (f: Fleet, maxLength = 8) =>
  fc.array(
    fc.record({
      dt: fc.oneof(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 3 * 86_400 })),
      losses: fc.array(lossArb(f), { maxLength: 6 }),
    }),
    { maxLength },
  );

type Steps = Array<{ dt: number; losses: SpotLoss[] }>;

/** The state after the decisions, from none at T0; `each` sees every state on the way. */
function fold(
  f: Fleet,
  steps: Steps,
  each?: (s: SpotRiskState, now: number, losses: SpotLoss[]) => void,
  roundTrip = false,
): { state: SpotRiskState | undefined; now: number } {
  let state: SpotRiskState | undefined;
  let now = t0;
  for (const { dt, losses } of steps) {
    now += dt * 1000;
    state = updateSpotRisk(roundTrip && state ? JSON.parse(JSON.stringify(state)) : state, f, losses, now);
    each?.(state, now, losses);
  }
  return { state, now };
}

const spotPools = (f: Fleet) => f.pools.filter((p) => p.capacityType === 'spot');
const leadArb = fc.oneof(fc.integer({ min: 0, max: 3600 }), fc.double({ min: 0, max: 1e6, noNaN: true }));

describe('poolSurvival: properties', () => {
  it('is a share in [0, 1], 1 at no lead and for capacity that is not spot', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), stepsArb(f), leadArb)),
        ([f, steps, lead]) => {
          const { state } = fold(f, steps);
          for (const p of f.pools) {
            const s = poolSurvival(state, p, lead);
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThanOrEqual(1);
            expect(poolSurvival(state, p, 0)).toBe(1);
            if (p.capacityType !== 'spot') expect(s).toBe(1);
          }
        },
      ),
      RUNS,
    );
  });

  it('does not grow as the lead grows', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), stepsArb(f), leadArb, leadArb)),
        ([f, steps, a, b]) => {
          const { state } = fold(f, steps);
          const [short, long] = a <= b ? [a, b] : [b, a];
          for (const p of f.pools)
            expect(poolSurvival(state, p, long)).toBeLessThanOrEqual(poolSurvival(state, p, short));
        },
      ),
      RUNS,
    );
  });

  it("does not grow with another loss of the pool, and another pool's loss leaves it as it is", () => {
    fc.assert(
      fc.property(
        fleetArb
          .filter((f) => spotPools(f).length > 0)
          .chain((f) =>
            fc.tuple(
              fc.constant(f),
              stepsArb(f),
              fc.integer({ min: 0, max: 86_400 }),
              fc.array(lossArb(f), { maxLength: 4 }),
              lossArb(f).filter((l) => counted(f, l)),
              leadArb,
            ),
          ),
        ([f, steps, dt, losses, extra, lead]) => {
          const { state, now } = fold(f, steps);
          const without = updateSpotRisk(state, f, losses, now + dt * 1000);
          const withIt = updateSpotRisk(state, f, [...losses, extra], now + dt * 1000);
          for (const p of f.pools) {
            if (p.id === extra.poolId)
              expect(poolSurvival(withIt, p, lead)).toBeLessThanOrEqual(poolSurvival(without, p, lead));
            else expect(poolSurvival(withIt, p, lead)).toBe(poolSurvival(without, p, lead));
          }
        },
      ),
      RUNS,
    );
  });

  it('falls with the first loss of a pool, in one of its zones or in none', () => {
    fc.assert(
      fc.property(
        fleetArb
          .filter((f) => spotPools(f).length > 0)
          .chain((f) =>
            fc.tuple(
              fc.constant(f),
              lossArb(f).filter((l) => counted(f, l)),
              fc.integer({ min: 1, max: 3600 }),
            ),
          ),
        ([f, loss, lead]) => {
          const p = f.pools.find((x) => x.id === loss.poolId) as Pool;
          const learned = updateSpotRisk(undefined, f, [loss], t0);
          expect(poolSurvival(learned, p, lead)).toBeLessThan(poolSurvival(undefined, p, lead));
        },
      ),
      RUNS,
    );
  });

  it('falls with the first loss of a pool whatever zone the loss names, and its episode takes capacity', () => {
    // A zone the pool does not have (another spelling, another zone) is a loss of the pool's, not of an offering
    // nothing reads (a counterexample the property found: learned under `s/z-x`, the survival stayed the prior's).
    fc.assert(
      fc.property(
        fc.record({
          cloud: fc.constantFrom<Cloud>('aws', 'azure', 'gcp'),
          zones: fc.subarray(ZONES),
          desired: fc.integer({ min: 0, max: 30 }),
          zone: fc.option(fc.constantFrom(...ZONES, 'z-x'), { nil: undefined }),
          nodes: fc.integer({ min: 1, max: 10 }),
          lead: fc.integer({ min: 1, max: 3600 }),
        }),
        ({ cloud, zones, desired, zone, nodes, lead }) => {
          const p = pool({ id: 's', cloud, capacityType: 'spot', desired, location: { region: 'r', zones } });
          const learned = updateSpotRisk(
            undefined,
            fleet([p]),
            [{ poolId: 's', ...(zone ? { zone } : {}), nodes }],
            t0,
          );
          expect(poolSurvival(learned, p, lead)).toBeLessThan(poolSurvival(undefined, p, lead));
          for (const s of lossScenarios(learned, lead, t0))
            expect(capacityLost(s.losses, [{ pool: p, nodes: 1 }])).toBeGreaterThan(0);
        },
      ),
      RUNS,
    );
  });
});

describe('updateSpotRisk: properties', () => {
  it('counts each loss of a spot pool, decays the earlier ones with the one-day constant, ignores the others', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) =>
          fc.tuple(
            fc.constant(f),
            stepsArb(f),
            fc.integer({ min: 0, max: 2 * 86_400 }),
            fc.array(lossArb(f), { maxLength: 8 }),
          ),
        ),
        ([f, steps, dt, losses]) => {
          const { state, now } = fold(f, steps);
          const next = updateSpotRisk(state, f, losses, now + dt * 1000);
          const valid = losses.filter((l) => counted(f, l));
          // Losses that are not counted change nothing.
          expect(next).toStrictEqual(updateSpotRisk(state, f, valid, now + dt * 1000));
          const decay = state ? Math.exp(-dt / SPOT_RISK_DECAY_SECONDS) : 1;
          const keys = new Set([...Object.keys(state?.offerings ?? {}), ...Object.keys(next.offerings)]);
          for (const k of keys) {
            const added = valid.filter((l) => offeringKey(l.poolId, l.zone) === k).reduce((n, l) => n + l.nodes, 0);
            const expected = (state?.offerings[k]?.losses ?? 0) * decay + added;
            expect(close(next.offerings[k]?.losses ?? 0, expected)).toBe(true);
          }
          // Each counted loss is remembered, in order, at least the nodes it lost held then.
          const fresh = next.events.slice(next.events.length - Math.min(valid.length, next.events.length));
          expect(fresh.map((e) => [e.at, e.offering, e.nodes])).toEqual(
            valid
              .slice(valid.length - fresh.length)
              .map((l) => [new Date(now + dt * 1000).toISOString(), offeringKey(l.poolId, l.zone), l.nodes]),
          );
          for (const e of fresh) expect(e.held ?? 0).toBeGreaterThanOrEqual(e.nodes);
        },
      ),
      RUNS,
    );
  });

  it("counts the node-hours a pool held spread evenly over its zones: a pool's are its zones' sum", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), stepsArb(f))),
        ([f, steps]) => {
          fold(f, steps, (s) => {
            for (const o of Object.values(s.offerings)) {
              expect(o.hours).toBeGreaterThanOrEqual(0);
              expect(o.losses).toBeGreaterThanOrEqual(0);
              expect(Number.isFinite(o.hours) && Number.isFinite(o.losses)).toBe(true);
            }
            for (const p of spotPools(f)) {
              if (p.location.zones.length === 0) continue;
              const zones = p.location.zones.reduce((h, z) => h + (s.offerings[offeringKey(p.id, z)]?.hours ?? 0), 0);
              expect(close(s.offerings[offeringKey(p.id)]?.hours ?? 0, zones)).toBe(true);
            }
          });
        },
      ),
      RUNS,
    );
  });

  it('stays bounded: events of the last week only, at most SPOT_MAX_EVENTS, the latest kept; offerings only those seen', () => {
    fc.assert(
      fc.property(
        fleetArb
          .filter((f) => spotPools(f).length > 0)
          .chain((f) =>
            fc.tuple(
              fc.constant(f),
              fc.array(
                fc.record({
                  dt: fc.oneof(fc.integer({ min: 0, max: 86_400 }), fc.integer({ min: 0, max: 4 * 86_400 })),
                  // A burst of losses (up to 250 in one decision), or a few of any kind.
                  burst: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 100, max: 250 })),
                  losses: fc.array(lossArb(f), { maxLength: 4 }),
                }),
                { maxLength: 6 },
              ),
            ),
          ),
        ([f, raw]) => {
          const spot = spotPools(f);
          const steps = raw.map((r) => ({
            dt: r.dt,
            losses: [
              ...r.losses,
              ...Array.from({ length: r.burst }, (_, k) => ({ poolId: spot[k % spot.length].id, nodes: 1 + (k % 3) })),
            ],
          }));
          const keys = new Set(
            spot.flatMap((p) => [offeringKey(p.id), ...p.location.zones.map((z) => offeringKey(p.id, z))]),
          );
          fold(f, steps, (s, now, losses) => {
            expect(s.events.length).toBeLessThanOrEqual(SPOT_MAX_EVENTS);
            // ISO times of one format compare as strings do.
            const [oldest, latest] = [iso(now - SPOT_EPISODE_MEMORY_SECONDS * 1000), iso(now)];
            expect(s.events.every((e) => e.at >= oldest && e.at <= latest)).toBe(true);
            // This decision's losses are the latest: kept, up to the limit.
            const valid = losses.filter((l) => counted(f, l));
            const fresh = valid.length > 0 ? s.events.slice(-Math.min(valid.length, SPOT_MAX_EVENTS)) : [];
            expect(fresh.every((e) => e.at === latest)).toBe(true);
            for (const l of valid) keys.add(offeringKey(l.poolId, l.zone));
            for (const k of Object.keys(s.offerings)) expect(keys.has(k)).toBe(true);
          });
        },
      ),
      RUNS,
    );
  });

  it('is pure data: the same input gives the same state, and a JSON round trip between decisions changes nothing', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), stepsArb(f))),
        ([f, steps]) => {
          const a = fold(f, steps);
          const b = fold(f, steps);
          const c = fold(f, steps, undefined, true);
          expect(b.state).toStrictEqual(a.state);
          expect(c.state).toStrictEqual(a.state);
          if (a.state) expect(JSON.parse(JSON.stringify(a.state))).toStrictEqual(a.state);
        },
      ),
      RUNS,
    );
  });
});

/** Events of a few offerings of two pools over the last eight days (some after now, some unparsable). */
const OFFERINGS = ['p0/*', 'p0/z-a', 'p0/z-b', 'p1/*', 'p1/z-a'];
const eventArb = (minAgo = -600) =>
  fc
    .record({
      ago: fc.oneof(fc.integer({ min: minAgo, max: 3 * 3600 }), fc.integer({ min: minAgo, max: 8 * 86_400 })),
      offering: fc.constantFrom(...OFFERINGS),
      nodes: fc.integer({ min: 1, max: 10 }),
      held: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    })
    .map((e) => ({
      at: new Date(t0 - e.ago * 1000).toISOString(),
      offering: e.offering,
      nodes: e.nodes,
      ...(e.held !== undefined ? { held: e.held } : {}),
    }));
const eventsArb = fc.array(
  fc.oneof({ weight: 20, arbitrary: eventArb() }, { weight: 1, arbitrary: eventArb().map((e) => ({ ...e, at: 'x' })) }),
  { maxLength: 12 },
);
const stateOf = (events: SpotRiskState['events']): SpotRiskState => ({ at: T0.toISOString(), offerings: {}, events });
const lossLeadArb = fc.integer({ min: 60, max: 3600 });
const setOf = (s: LossScenario) => Object.keys(s.losses).sort().join(',');

describe('lossScenarios: properties', () => {
  it('gives probabilities and loss shares in [0, 1], from the events up to now only', () => {
    fc.assert(
      fc.property(eventsArb, lossLeadArb, (events, lead) => {
        const scenarios = lossScenarios(stateOf(events), lead, t0);
        const seen = events.filter((e) => Date.parse(e.at) <= t0);
        expect(scenarios.length === 0).toBe(seen.length === 0);
        const offerings = new Set(seen.map((e) => e.offering));
        for (const s of scenarios) {
          expect(s.probability).toBeGreaterThan(0);
          expect(s.probability).toBeLessThanOrEqual(1);
          expect(s.prior).toBeUndefined();
          expect(Object.keys(s.losses).length).toBeGreaterThan(0);
          for (const [k, share] of Object.entries(s.losses)) {
            expect(offerings.has(k)).toBe(true);
            expect(share).toBeGreaterThan(0);
            expect(share).toBeLessThanOrEqual(1);
          }
          expect(seen.some((e) => e.at === s.seen)).toBe(true);
        }
        // One scenario per set of offerings that failed together.
        expect(new Set(scenarios.map(setOf)).size).toBe(scenarios.length);
      }),
      RUNS,
    );
  });

  it('does not depend on the order the events are stored in', () => {
    fc.assert(
      fc.property(
        eventsArb.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          ),
        ),
        lossLeadArb,
        ([events, shuffled], lead) => {
          expect(lossScenarios(stateOf(shuffled), lead, t0)).toStrictEqual(lossScenarios(stateOf(events), lead, t0));
        },
      ),
      RUNS,
    );
  });

  it("does not depend on the clock's origin: events and now shifted alike give the same scenarios, seen shifted", () => {
    fc.assert(
      fc.property(eventsArb, lossLeadArb, fc.integer({ min: -1e12, max: 1e12 }), (events, lead, shift) => {
        const moved = events.map((e) => ({
          ...e,
          at: e.at === 'x' ? e.at : new Date(Date.parse(e.at) + shift).toISOString(),
        }));
        const a = lossScenarios(stateOf(events), lead, t0);
        const b = lossScenarios(stateOf(moved), lead, t0 + shift);
        expect(b.map((s) => s.losses)).toEqual(a.map((s) => s.losses));
        expect(b.map((s) => s.probability)).toEqual(a.map((s) => s.probability));
        expect(b.map((s) => Date.parse(s.seen ?? ''))).toEqual(a.map((s) => Date.parse(s.seen ?? '') + shift));
      }),
      RUNS,
    );
  });

  it('makes a set of offerings seen failing once more more likely, and leaves the other sets as they were', () => {
    fc.assert(
      fc.property(
        lossLeadArb.chain((lead) =>
          fc.tuple(
            fc.constant(lead),
            // Every earlier event more than one lead before now: the new one is an episode of its own.
            fc.array(eventArb(lead + 1), { minLength: 1, maxLength: 10 }),
            fc.constantFrom(...OFFERINGS),
            fc.integer({ min: 1, max: 10 }),
            fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
          ),
        ),
        ([lead, events, offering, nodes, held]) => {
          const before = lossScenarios(stateOf(events), lead, t0);
          const again = { at: T0.toISOString(), offering, nodes, ...(held !== undefined ? { held } : {}) };
          const after = lossScenarios(stateOf([...events, again]), lead, t0);
          const prev = before.find((s) => setOf(s) === offering);
          const next = after.find((s) => setOf(s) === offering);
          expect(next).toBeDefined();
          if (prev && next) {
            if (prev.probability < 1) expect(next.probability).toBeGreaterThan(prev.probability);
            else expect(next.probability).toBe(1);
            expect(next.losses[offering]).toBeGreaterThanOrEqual(prev.losses[offering]);
            expect(next.seen).toBe(T0.toISOString());
          }
          const others = (l: LossScenario[]) => l.filter((s) => setOf(s) !== offering);
          expect(others(after)).toStrictEqual(others(before));
        },
      ),
      RUNS,
    );
  });
});

describe('priorScenarios: properties', () => {
  it("one per cloud with spot: all of its spot pools lost, at the prior's probability scaled to the lead", () => {
    fc.assert(
      fc.property(fleetArb, fc.oneof(fc.integer({ min: -900, max: 86_400 }), fc.double({ noNaN: true })), (f, lead) => {
        const prior = priorScenarios(f, lead);
        if (!(lead > 0)) return void expect(prior).toEqual([]);
        const clouds = new Set(spotPools(f).map((p) => p.cloud));
        expect(prior.length).toBe(clouds.size);
        const p = Math.min(1, (SPOT_PRIOR_ALL_LOST_PROBABILITY * lead) / SPOT_PRIOR_WINDOW_SECONDS);
        for (const s of prior) {
          expect(s.prior).toBe(true);
          expect(s.probability).toBe(p);
          expect(s.probability).toBeGreaterThanOrEqual(0);
          expect(s.probability).toBeLessThanOrEqual(1);
          const pools = f.pools.filter((x) => s.losses[offeringKey(x.id)] !== undefined);
          expect(Object.values(s.losses).every((v) => v === 1)).toBe(true);
          expect(Object.keys(s.losses).length).toBe(pools.length);
          expect(new Set(pools.map((x) => x.cloud)).size).toBe(1);
          expect(pools.every((x) => x.capacityType === 'spot')).toBe(true);
          expect(pools.length).toBe(spotPools(f).filter((x) => x.cloud === pools[0].cloud).length);
        }
      }),
      RUNS,
    );
  });

  it('is no less likely over a longer lead', () => {
    fc.assert(
      fc.property(fleetArb, fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 0, max: 86_400 }), (f, a, more) => {
        const short = priorScenarios(f, a);
        const long = priorScenarios(f, a + more);
        expect(long.map((s) => s.losses)).toEqual(short.map((s) => s.losses));
        long.forEach((s, k) => {
          expect(s.probability).toBeGreaterThanOrEqual(short[k].probability);
        });
      }),
      RUNS,
    );
  });
});

const scenariosArb = fc.array(
  fc.record({
    losses: fc.dictionary(fc.constantFrom(...OFFERINGS), fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 3 }),
    probability: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.05, noNaN: true })),
  }),
  { maxLength: 6 },
);
const availabilityArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, 0.9, 0.99, 0.995, 0.999, 0.9999, 1),
);

describe('hedgeTargets: properties', () => {
  it('keeps the scenarios above 1 - availability, each with the conditional target 1 - (1 - availability) / p', () => {
    fc.assert(
      fc.property(scenariosArb, availabilityArb, (scenarios, availability) => {
        const out = hedgeTargets(scenarios, availability);
        const allowed = 1 - availability;
        expect(out.map(({ target: _t, ...s }) => s)).toEqual(scenarios.filter((s) => s.probability > allowed));
        for (const s of out) {
          expect(s.target).toBeGreaterThanOrEqual(0);
          // Never more than the target itself (p <= 1), give or take rounding.
          expect(s.target).toBeLessThanOrEqual(availability + 1e-12);
          expect(close(s.target, Math.max(0, 1 - allowed / s.probability))).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('hedges more, and to a higher target, as the availability target rises', () => {
    fc.assert(
      fc.property(scenariosArb, availabilityArb, availabilityArb, (scenarios, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const tag = scenarios.map((s, id) => ({ ...s, seen: String(id) }));
        const low = hedgeTargets(tag, lo);
        const high = new Map(hedgeTargets(tag, hi).map((s) => [s.seen, s.target]));
        for (const s of low) {
          expect(high.has(s.seen)).toBe(true);
          expect(high.get(s.seen)).toBeGreaterThanOrEqual(s.target);
        }
      }),
      RUNS,
    );
  });
});

describe('capacityLost: properties', () => {
  const countsArb = (f: Fleet) =>
    fc.tuple(...f.pools.map((p) => fc.integer({ min: -2, max: 30 }).map((nodes) => ({ pool: p, nodes }))));
  const keysOf = (f: Fleet) => [
    ...f.pools.flatMap((p) => [offeringKey(p.id), ...p.location.zones.map((z) => offeringKey(p.id, z))]),
    'ghost/*',
  ];
  const sharesArb = (f: Fleet) =>
    fc.dictionary(fc.constantFrom(...keysOf(f)), fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 8 });
  const spotCapacity = (counts: ReadonlyArray<{ pool: Pool; nodes: number }>) =>
    counts.reduce((n, c) => n + (c.pool.capacityType === 'spot' && c.nodes > 0 ? c.nodes * c.pool.rpsPerNode : 0), 0);

  it('is never more than the spot capacity the layout has, nothing without a loss, and grows with the shares', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(countsArb(f), sharesArb(f), sharesArb(f))),
        ([counts, a, b]) => {
          const lost = capacityLost(a, counts);
          expect(lost).toBeGreaterThanOrEqual(0);
          expect(lost).toBeLessThanOrEqual(spotCapacity(counts) * (1 + 1e-12));
          expect(capacityLost({}, counts)).toBe(0);
          // Each share at least the other's: no less lost.
          const more = { ...b };
          for (const [k, v] of Object.entries(a)) more[k] = Math.max(v, more[k] ?? 0);
          expect(capacityLost(more, counts)).toBeGreaterThanOrEqual(lost * (1 - 1e-12));
          // Capacity that is not spot is never lost.
          expect(
            capacityLost(
              a,
              counts.filter((c) => c.pool.capacityType === 'spot'),
            ),
          ).toBe(lost);
        },
      ),
      RUNS,
    );
  });

  it("takes all of one cloud's spot capacity in the prior scenario of that cloud", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), countsArb(f))),
        ([f, counts]) => {
          for (const s of priorScenarios(f, 900)) {
            const of = counts.filter((c) => s.losses[offeringKey(c.pool.id)] !== undefined);
            expect(close(capacityLost(s.losses, counts), spotCapacity(of))).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it("loses no more than the spot capacity in the scenarios the fleet's own losses make", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), stepsArb(f), countsArb(f), lossLeadArb)),
        ([f, steps, counts, lead]) => {
          const { state, now } = fold(f, steps);
          for (const s of lossScenarios(state, lead, now)) {
            const lost = capacityLost(s.losses, counts);
            expect(lost).toBeGreaterThanOrEqual(0);
            expect(lost).toBeLessThanOrEqual(spotCapacity(counts) * (1 + 1e-12));
          }
        },
      ),
      RUNS,
    );
  });
});
