/**
 * Spot risk: survival per offering learned from the losses the fleet saw (with the prior), loss episodes as
 * correlated scenarios, the hedge the target asks for, and what `decide` does with them.
 */
import { describe, expect, it } from 'vitest';
import type { InterruptionSignal } from '../../shared/domain/signals.ts';
import { decide } from '../../shared/engine/decide.ts';
import {
  capacityLost,
  hedgeTargets,
  lossScenarios,
  poolSurvival,
  SPOT_PRIOR_ALL_LOST_PROBABILITY,
  SPOT_PRIOR_LOSS_RATE,
  SPOT_PRIOR_SPAN_SECONDS,
  updateSpotRisk,
} from '../../shared/engine/spot-risk.ts';
import type { SpotRiskState } from '../../shared/engine/types.ts';
import { at, fleet, input, pool, T0, warmSpec } from './fixtures.ts';

const t0 = T0.getTime();
const spot = (over: Parameters<typeof pool>[0]) =>
  pool({ capacityType: 'spot', hourlyPrice: 0.4, location: { region: 'r', zones: ['a', 'b'] }, ...over });

describe('updateSpotRisk', () => {
  const f = fleet([spot({ id: 's', desired: 4 }), pool({ id: 'od', desired: 2 })]);

  it('counts the node-hours held per zone since the last update, and the losses', () => {
    const first = updateSpotRisk(undefined, f, [], t0);
    expect(first.offerings).toEqual({
      's/*': { hours: 0, losses: 0 },
      's/a': { hours: 0, losses: 0 },
      's/b': { hours: 0, losses: 0 },
    });
    // An hour later, 4 nodes spread over 2 zones: 2 node-hours each (decayed by e^(-1/24) over the hour).
    const next = updateSpotRisk(first, f, [{ poolId: 's', zone: 'a', nodes: 3 }], t0 + 3_600_000);
    expect(next.offerings['s/a'].hours).toBeCloseTo(2, 9);
    expect(next.offerings['s/*'].hours).toBeCloseTo(4, 9);
    expect(next.offerings['s/a'].losses).toBe(3);
    // Zone a held half of the pool's 4 nodes when it lost 3 (more than it held: at least what it lost).
    expect(next.events).toEqual([{ at: at(3600), offering: 's/a', nodes: 3, held: 3 }]);
  });

  it("learns a loss under the pool's own spelling of its zone (Event Grid's eastus-az2 is the pool's 2), else as the pool's", () => {
    const z = spot({ id: 'z', cloud: 'azure', desired: 4, location: { region: 'eastus', zones: ['1', '2'] } });
    const fz = fleet([z]);
    const named = updateSpotRisk(undefined, fz, [{ poolId: 'z', zone: 'eastus-az2', nodes: 2 }], t0);
    expect(named.events).toEqual([{ at: at(0), offering: 'z/2', nodes: 2, held: 2 }]);
    expect(poolSurvival(named, z, 900)).toBeCloseTo(
      poolSurvival(updateSpotRisk(undefined, fz, [{ poolId: 'z', zone: '2', nodes: 2 }], t0), z, 900),
      12,
    );
    // A zone the pool does not have: the whole pool's (as its backoff is), not an offering nothing reads.
    const other = updateSpotRisk(undefined, fz, [{ poolId: 'z', zone: 'westus-az3', nodes: 2 }], t0);
    expect(other.events).toEqual([{ at: at(0), offering: 'z/*', nodes: 2, held: 4 }]);
    expect(poolSurvival(other, z, 900)).toBeLessThan(poolSurvival(undefined, z, 900));
  });

  it('ignores losses of pools that are not spot, and forgets episodes after a week', () => {
    const old: SpotRiskState = {
      at: at(-8 * 86_400),
      offerings: {},
      events: [{ at: at(-8 * 86_400), offering: 's/a', nodes: 1 }],
    };
    const next = updateSpotRisk(old, f, [{ poolId: 'od', nodes: 2 }], t0);
    expect(next.events).toEqual([]);
    expect(next.offerings['od/*']).toBeUndefined();
  });
});

describe('poolSurvival', () => {
  it.each([
    // No record: the prior, one loss per 1 / 0.287 node-hours: exp(-0.287 x 0.25) over 900 s.
    { name: 'prior', offerings: {} as SpotRiskState['offerings'], expected: Math.exp(-SPOT_PRIOR_LOSS_RATE * 0.25) },
    // 100 node-hours without a loss: (0 + 1) / (100 + 3.48) per hour -> exp(-0.00966 x 0.25).
    {
      name: 'a quiet record',
      offerings: {
        's/*': { hours: 200, losses: 0 },
        's/a': { hours: 100, losses: 0 },
        's/b': { hours: 100, losses: 0 },
      },
      expected: Math.exp((-1 / (100 + 1 / SPOT_PRIOR_LOSS_RATE)) * 0.25),
    },
    // Zone a lost 20 nodes over 10 node-hours; zone b none over 10: the pool averages its zones.
    {
      name: 'one risky zone',
      offerings: {
        's/*': { hours: 20, losses: 20 },
        's/a': { hours: 10, losses: 20 },
        's/b': { hours: 10, losses: 0 },
      },
      expected:
        (Math.exp((-21 / (10 + 1 / SPOT_PRIOR_LOSS_RATE)) * 0.25) +
          Math.exp((-21 / (20 + 1 / SPOT_PRIOR_LOSS_RATE)) * 0.25)) /
        2,
    },
  ])('$name', ({ offerings, expected }) => {
    const state: SpotRiskState = { at: at(0), offerings, events: [] };
    expect(poolSurvival(state, spot({ id: 's' }), 900)).toBeCloseTo(expected, 9);
  });

  it('is 1 for capacity that is not spot', () => {
    expect(poolSurvival(undefined, pool({ id: 'od' }), 900)).toBe(1);
  });
});

describe('lossScenarios and hedgeTargets', () => {
  it('makes each episode of losses within one lead time a scenario, with the share each offering lost', () => {
    const state: SpotRiskState = {
      at: at(0),
      offerings: {},
      events: [
        // Zone a lost all 4 of its nodes and the Azure pool 1 of 2, 5 minutes apart: one episode.
        { at: at(-7200), offering: 's/a', nodes: 4, held: 4 },
        { at: at(-6900), offering: 'z/1', nodes: 1, held: 2 },
        // Zone b lost 1 of 4 alone, an hour later; and again later the same.
        { at: at(-3600), offering: 's/b', nodes: 1, held: 4 },
        { at: at(-600), offering: 's/b', nodes: 1, held: 4 },
      ],
    };
    const s = lossScenarios(state, 900, t0);
    expect(s.map((x) => x.losses)).toEqual([{ 's/a': 1, 'z/1': 0.5 }, { 's/b': 0.25 }]);
    // Memory spans 2 h + one lead (8,100 s), and the prior adds one episode per SPOT_PRIOR_SPAN_SECONDS: once
    // (+1) x 900 s, and twice (+1).
    expect(s[0].probability).toBeCloseTo((2 * 900) / (8100 + SPOT_PRIOR_SPAN_SECONDS), 9);
    expect(s[1].probability).toBeCloseTo((3 * 900) / (8100 + SPOT_PRIOR_SPAN_SECONDS), 9);
  });

  it.each([
    // One episode in the first hour: the bare count over the span said 900 / 4,500 = 20% per lead window.
    { name: 'one episode in the first hour', episodes: 1, spanSeconds: 3600, max: 0.025 },
    // The same count over a week: the prior no longer weighs, the rate is the fleet's own.
    { name: 'one episode a day for a week', episodes: 7, spanSeconds: 7 * 86_400, near: 0.15 },
  ])('learns the episode rate with the prior worth one episode: $name', ({ episodes, spanSeconds, max, near }) => {
    const events = Array.from({ length: episodes }, (_, k) => ({
      at: at(-spanSeconds + 900 + (k * (spanSeconds - 900)) / Math.max(1, episodes)),
      offering: 's/a',
      nodes: 4,
      held: 4,
    }));
    const [s] = lossScenarios({ at: at(0), offerings: {}, events }, 900, t0);
    const bare = Math.min(1, (episodes * 900) / spanSeconds);
    if (max !== undefined) expect(s!.probability).toBeLessThan(Math.min(max, bare));
    if (near !== undefined) expect(Math.abs(s!.probability / bare - 1)).toBeLessThan(near);
  });

  it('hedges a seen episode more the more often it recurs', () => {
    const ev = (offs: number[]) =>
      lossScenarios(
        { at: at(0), offerings: {}, events: offs.map((o) => ({ at: at(o), offering: 's/a', nodes: 1, held: 1 })) },
        900,
        t0,
      )[0]!.probability;
    expect(ev([-7200, -3600, -600])).toBeGreaterThan(ev([-7200, -3600]));
    expect(ev([-7200, -3600])).toBeGreaterThan(ev([-7200]));
    // Still above the all-lost prior once seen: what the fleet saw adds to what it expected.
    expect(ev([-7200])).toBeGreaterThan(SPOT_PRIOR_ALL_LOST_PROBABILITY);
  });

  it('has no scenario before any loss: the survival prices the mean', () => {
    expect(lossScenarios(undefined, 900, t0)).toEqual([]);
  });

  it.each([
    // p = 0.1 at 99.9%: the capacity left must serve the demand at 1 - 0.001 / 0.1 = 99%.
    { name: 'likely scenario', probability: 0.1, availability: 0.999, target: 0.99 },
    // p at or below 1 - availability: the target tolerates it, no hedge.
    { name: 'rare scenario', probability: 0.0005, availability: 0.999, target: undefined },
  ])('$name', ({ probability, availability, target }) => {
    const out = hedgeTargets([{ losses: { 's/a': 1 }, probability, seen: at(0) }], availability);
    if (target === undefined) expect(out).toEqual([]);
    else expect(out[0]?.target).toBeCloseTo(target, 9);
  });

  it('counts the throughput a layout loses, a pool spread evenly over its zones', () => {
    const counts = [
      { pool: spot({ id: 's' }), nodes: 4 },
      { pool: pool({ id: 'od' }), nodes: 10 },
    ];
    expect(capacityLost({ 's/a': 1 }, counts)).toBe(20);
    expect(capacityLost({ 's/a': 0.5 }, counts)).toBe(10);
    expect(capacityLost({ 's/*': 1 }, counts)).toBe(40);
    expect(capacityLost({ 'od/*': 1 }, counts)).toBe(0);
  });
});

describe('decide with spot risk', () => {
  // Spot at $0.40 and on-demand at $1 per node, 10 rps each; the mix puts everything above one on-demand
  // node on spot; demand 100 rps with a long flat history (no headroom above the demand).
  const history = Array.from({ length: 2880 }, (_, i) => [t0 / 1000 - (2879 - i) * 60, 100] as const);
  const warm = (ready: number) => ({ ...warmSpec(), ready });
  const make = (spotPools: ReturnType<typeof spot>[], maxSpotSharePerZone = 1, warmReady?: number) =>
    fleet(
      [
        ...spotPools,
        pool({
          id: 'od',
          desired: 1,
          min: 1,
          ...(warmReady !== undefined
            ? { warm: warm(warmReady), warmObserved: { ready: warmReady, warming: 0, target: warmReady } }
            : {}),
        }),
      ],
      {
        metrics: [],
        placement: { onDemandBase: 1, spotShare: 1, maxSpotSharePerZone },
      },
    );
  const plan = (f: ReturnType<typeof make>, state?: SpotRiskState, signals: InterruptionSignal[] = []) =>
    decide(
      input(f, {
        demand: { rps: 100 },
        demandHistory: history,
        signals,
        state: { offeringBackoff: [], ...(state ? { spotRisk: state } : {}) },
      }),
      T0,
    );
  const target = (p: ReturnType<typeof decide>, id: string) => p.pools.find((x) => x.poolId === id)?.target ?? 0;

  it('buys spot for its expected survival, hedged by warm nodes', () => {
    // Ten warm on-demand nodes (100 rps) cover the prior correlated loss (all of the cloud's spot at once):
    // no running hedge, and the spot is bought for its survival. (The fleet already runs it: from one node,
    // warm nodes would also resume at once to serve while the spot boots.)
    const p = plan(make([spot({ id: 's', desired: 10, ready: 10 })], 1, 10));
    expect(p.reasons.some((r) => r.code === 'placement.spot-survival')).toBe(true);
    expect(p.reasons.some((r) => r.code === 'placement.spot-hedge')).toBe(false);
    // 100 rps (the SLO headroom replaces the buffer; flat history): 1 on-demand (10) + spot at 93% of 10 rps:
    // ceil(90 / 9.31) = 10 spot nodes, not 9.
    expect(target(p, 's')).toBeGreaterThanOrEqual(10);
    expect(target(p, 'od')).toBe(1);
  });

  it('hedges the first correlated loss with the prior, before any loss was seen', () => {
    // No warm capacity: losing all spot of the cloud at once (1.12% per 900 s, above 1 - 0.995) must leave
    // the demand served: the on-demand base grows to it.
    const p = plan(make([spot({ id: 's' })]));
    const r = p.reasons.find((x) => x.code === 'placement.spot-hedge');
    expect(r?.message).toContain('100% of s/*');
    expect(r?.message).toContain('the prior');
    expect(target(p, 'od') * 10).toBeGreaterThanOrEqual(100);
  });

  it('sizes the warm pool for the prior correlated loss, so the running hedge can go', () => {
    // Without warm nodes yet, the decision hedges with on-demand and asks the warm pool for the spot's
    // capacity: what the layout without the hedge lacks when all spot goes.
    const p = plan(make([spot({ id: 's' })], 1, 0));
    expect(p.warm?.hedgeRps).toBeGreaterThan(0);
    expect((p.warm?.targets.od ?? 0) * 10).toBeGreaterThanOrEqual(p.warm?.hedgeRps ?? 0);
  });

  it('falls back to on-demand for what one spot market cannot hedge', () => {
    // Both zones of the only spot pool failed together three times in the last day: losing both must
    // leave enough for the demand, which only on-demand can give.
    const events = [-80_000, -50_000, -20_000].flatMap((s) => [
      { at: at(s), offering: 's/a', nodes: 2, held: 2 },
      { at: at(s + 60), offering: 's/b', nodes: 2, held: 2 },
    ]);
    const state: SpotRiskState = { at: at(0), offerings: {}, events };
    const p = plan(make([spot({ id: 's' })]), state);
    const r = p.reasons.find((x) => x.code === 'placement.spot-hedge');
    expect(r?.message).toContain('100% of s/a + 100% of s/b');
    expect(r?.message).toContain('on-demand base');
    // What is left without spot (on-demand) serves at least the demand now.
    expect(target(p, 'od') * 10).toBeGreaterThanOrEqual(100);
  });

  it('hedges a loss seen once in its first minutes with warm nodes, not an on-demand fleet the size of the spot one', () => {
    // Both zones of the spot pool lost their nodes 10 minutes ago, the fleet's only episode. Learned with the
    // prior worth one episode, its chance per lead window is about 2%, and the ten warm nodes cover it; the
    // bare count over the 25 minutes of memory said 60%, and kept most of the demand running on on-demand
    // nodes for the warm nodes' resume.
    const state: SpotRiskState = {
      at: at(0),
      offerings: {},
      events: [
        { at: at(-600), offering: 's/a', nodes: 2, held: 2 },
        { at: at(-540), offering: 's/b', nodes: 2, held: 2 },
      ],
    };
    const p = plan(make([spot({ id: 's', desired: 10, ready: 10 })], 1, 10), state);
    expect(lossScenarios(state, 900, t0)[0]!.probability).toBeLessThan(0.025);
    expect(target(p, 'od')).toBeLessThanOrEqual(2);
    expect(target(p, 's')).toBeGreaterThanOrEqual(9);
  });

  it('spreads over another spot market when that costs less than on-demand', () => {
    // Two spot pools in different clouds, each of which failed alone before: losing either must leave
    // enough, and two spot nodes ($0.80) cost less than one on-demand ($1): the hedge buys spot on both
    // (the spread rule, at most half the spot nodes per pool and zone, alternates them).
    const events = [
      { at: at(-40_000), offering: 's/a', nodes: 2, held: 2 },
      { at: at(-20_000), offering: 'z/1', nodes: 2, held: 2 },
    ];
    const state: SpotRiskState = { at: at(0), offerings: {}, events };
    const z = spot({ id: 'z', cloud: 'azure', location: { region: 'r', zones: ['1'] } });
    const p = plan(make([spot({ id: 's', location: { region: 'r', zones: ['a'] } }), z], 0.5), state);
    expect(target(p, 'od')).toBeLessThan(10);
    expect(target(p, 's')).toBeGreaterThan(0);
    expect(target(p, 'z')).toBeGreaterThan(0);
    // Either spot pool alone, plus the on-demand node, still serves the demand now.
    expect((target(p, 's') + target(p, 'od')) * 10).toBeGreaterThanOrEqual(100);
    expect((target(p, 'z') + target(p, 'od')) * 10).toBeGreaterThanOrEqual(100);
  });

  it('spreads spot tighter than the policy asks when one market would hold it all, before any loss was seen', () => {
    // The cheaper market's two zones may take every spot node at a half per zone: the prior loss of that cloud's
    // spot would leave only on-demand (no warm nodes here). A tighter spread puts spot on the other cloud too:
    // either market alone then serves the demand, at about 0.8 x the on-demand base the hedge would grow.
    const two = { region: 'r', zones: ['a', 'b'] };
    const cheap = spot({ id: 's', hourlyPrice: 0.39, location: two });
    const z = spot({ id: 'z', cloud: 'azure', location: { region: 'r', zones: ['1', '2'] } });
    const p = plan(make([cheap, z], 0.5));
    const r = p.reasons.find((x) => x.code === 'placement.spot-hedge');
    // Per zone or per pool (each pool one failure domain), whichever is cheaper.
    expect(r?.message).toMatch(/spot spread at most \d+% per (zone|spot pool) \(policy 50% per zone\)/);
    expect(target(p, 's')).toBeGreaterThan(0);
    expect(target(p, 'z')).toBeGreaterThan(0);
    // On-demand stays far below the 10 nodes the base alone would need.
    const od = target(p, 'od');
    expect(od).toBeLessThanOrEqual(2);
    expect((target(p, 's') + od) * 10).toBeGreaterThanOrEqual(100);
    expect((target(p, 'z') + od) * 10).toBeGreaterThanOrEqual(100);
  });

  it("sizes the warm pools for what the hedge's spread layout lacks, not the placement without a hedge", () => {
    // At 99.9% the running share binds for an Azure loss (a third of the need: its 30 s notice is drained at
    // once, so the capacity is missing for a whole resume; one on-demand node is not enough), so the hedge
    // spreads spot over both markets; with it, a market's loss takes about half the spot, and the warm pools
    // need cover only that, not all the spot the unspread placement would lose.
    const cheap = spot({ id: 'z', cloud: 'azure', hourlyPrice: 0.39, location: { region: 'r', zones: ['1', '2'] } });
    const s = spot({ id: 's', location: { region: 'r', zones: ['a', 'b'] } });
    const f = make([cheap, s], 0.5, 20);
    const p = plan({ ...f, slo: { ...f.slo, availability: 0.999 } });
    const r = p.reasons.find((x) => x.code === 'placement.spot-hedge');
    expect(r?.message).toMatch(/spot spread at most/);
    // Unspread, every spot node (about 90 rps of the 100) would go with the cheaper market.
    expect(p.warm?.hedgeRps).toBeGreaterThan(0);
    expect(p.warm?.hedgeRps).toBeLessThan(70);
  });

  // An Azure spot pool cheaper per request/s than an AWS one ($0.035 against $0.038).
  const azureSpot = () =>
    spot({ id: 'z', cloud: 'azure', hourlyPrice: 1.4, rpsPerNode: 40, location: { region: 'r', zones: ['1'] } });
  const awsSpot = () => spot({ id: 's', hourlyPrice: 0.38 });

  it("places spot in the market whose loss the warm nodes cover, where the other market's loss asks for running nodes", () => {
    // At 99.9% with warm nodes, an Azure loss asks a third of the need to stay running (its 30 s notice is
    // drained at once: the capacity is missing for the whole 120 s resume), an AWS loss none (its node serves
    // 80 s of the 120 s notice). The Azure pool is the cheaper per request/s ($0.035 against $0.038), so the
    // placement fills it first and the running share then costs nodes: a spread over both markets (od + 2 z +
    // 3 s, $4.94/h) or a larger on-demand base. Spot placed in the AWS pool first meets every scenario for
    // less (od + 10 s, $4.80/h): the hedge defers the Azure pool.
    const f = make([azureSpot(), awsSpot()], 0.5, 20);
    const p = plan({ ...f, slo: { ...f.slo, availability: 0.999 } });
    const r = p.reasons.find((x) => x.code === 'placement.spot-hedge');
    expect(r?.message).toContain(
      'spot placed in z only where the other spot pools have no room (losing it asks 33.0% of the need to stay running for the 120s its capacity is missing)',
    );
    // The hedge's layout: the on-demand base and 10 AWS spot nodes ($4.80/h). (The warm on-demand nodes resumed
    // to serve while the spot boots, `warm.bridge`, come on top.)
    expect(r?.after).toBe(11);
    expect(target(p, 'z')).toBe(0);
    expect(target(p, 's')).toBe(10);
    expect(target(p, 's') * 0.38 + 1).toBeLessThan(4.94);
  });

  it('defers no spot pool when the running shares cost nothing', () => {
    // The same pools at 99.5%: no running share (the gap fits the allowance), so the cheapest market per
    // request/s comes first as the policy says.
    const f = make([azureSpot(), awsSpot()], 0.5, 20);
    const p = plan({ ...f, slo: { ...f.slo, availability: 0.995 } });
    for (const r of p.reasons) expect(r.message).not.toContain('only where the other spot pools have no room');
    expect(target(p, 'z')).toBeGreaterThan(0);
  });

  it('replaces an interrupted node in the decision that handles it, elsewhere, and learns the loss', () => {
    const f = make([spot({ id: 's', desired: 12, location: { region: 'r', zones: ['a'] } })]);
    const notice: InterruptionSignal = {
      type: 'interruption',
      eventId: 'e1',
      source: 'aws.ec2',
      time: at(0),
      cloud: 'aws',
      kind: 'warning',
      instanceIds: ['i-1', 'i-2'],
      poolId: 's',
      zone: 'a',
      deadline: at(120),
    };
    const p = plan(f, undefined, [notice]);
    // The two leave, the offering is backed off, and their capacity is on its way elsewhere: on-demand.
    expect(p.actions.filter((a) => a.type === 'cordon-drain')).toHaveLength(2);
    expect(p.actions.some((a) => a.type === 'mark-offering' && a.poolId === 's')).toBe(true);
    expect(target(p, 'od')).toBeGreaterThan(1);
    expect(p.spotRisk?.offerings['s/a'].losses).toBe(2);
    expect(p.spotRisk?.events).toEqual([{ at: at(0), offering: 's/a', nodes: 2, held: 12 }]);
  });

  it('leaves spot as the policy says without the demand history (no SLO sizing)', () => {
    const p = decide(input(make([spot({ id: 's' })]), { demand: { rps: 100 } }), T0);
    expect(p.reasons.some((r) => ['placement.spot-survival', 'placement.spot-hedge'].includes(r.code))).toBe(false);
    expect(p.spotRisk).toBeUndefined();
  });
});
