/**
 * Replacement consolidation (engine/consolidate.ts and decide): a serving node replaced by cheaper nodes of its
 * tier, make-before-break, only when it pays for its overlap and what the plan needs still holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import type { DecisionInput, SpotRiskState } from '../../shared/engine/types.ts';
import { at, fleet, HPA_DEFAULTS, input, past, pool, T0 } from './fixtures.ts';

const t0 = T0.getTime();
const flat = (rps: number) => Array.from({ length: 2880 }, (_, i) => [t0 / 1000 - (2879 - i) * 60, rps] as const);
const warm = {
  min: 0,
  max: 8,
  state: 'stopped' as const,
  resumeSeconds: 120,
  diskType: 'gp3' as const,
  diskGb: 100,
  hourlyPrice: 0.011,
};
/** The demo's shapes: an on-demand g5 with warm nodes, an Azure A100 spot pool and an AWS g5 spot pool. */
const od = (desired: number) =>
  pool({
    id: 'od',
    hourlyPrice: 1.01,
    rpsPerNode: 39,
    desired,
    min: 1,
    timeToReadySeconds: 600,
    warm,
    warmObserved: { ready: 4, warming: 0, target: 4 },
  });
const big = (desired: number, over: Partial<Pool> = {}) =>
  pool({
    id: 'big',
    cloud: 'azure',
    kind: 'azure-vmss',
    capacityType: 'spot',
    hourlyPrice: 0.73,
    rpsPerNode: 97.5,
    desired,
    timeToReadySeconds: 600,
    location: { region: 'eastus', zones: ['1', '2'] },
    ...over,
  });
const small = (desired: number, ready = desired, over: Partial<Pool> = {}) =>
  pool({
    id: 'small',
    capacityType: 'spot',
    hourlyPrice: 0.3,
    rpsPerNode: 39,
    desired,
    ready,
    timeToReadySeconds: 600,
    location: { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] },
    ...over,
  });
const night = (pools: Pool[], rps = 40, over: Partial<DecisionInput> = {}) => {
  const f = fleet(pools, { metrics: [], placement: { onDemandBase: 1, spotShare: 1, maxSpotSharePerZone: 1 } });
  f.slo.availability = 0.999;
  return input(f, { demand: { rps }, demandHistory: flat(rps), ...over });
};
const target = (p: ReturnType<typeof decide>, id: string) => p.pools.find((x) => x.poolId === id)?.target ?? 0;
const why = (p: ReturnType<typeof decide>) => p.reasons.find((r) => r.code === 'placement.consolidate');

describe('replacement consolidation, make-before-break', () => {
  // 40 rps at night: the on-demand node (39 rps) and one spot node are needed; the A100 spot node the day left
  // ($0.73/h) holds 97.5 where a g5 spot node ($0.30/h) holds what is needed.
  it('launches the cheaper node first and keeps the serving one', () => {
    const p = decide(night([od(1), big(1), small(0)]), T0);
    expect([target(p, 'od'), target(p, 'big'), target(p, 'small')]).toEqual([1, 1, 1]);
    expect(p.targetNodes).toBe(3);
    expect(why(p)).toMatchObject({ kind: 'placement', before: 2, after: 3, poolId: 'big' });
    expect(why(p)?.message).toMatch(
      /one big node .* replaced by 1 small node.*\$0\.43\/h saved; 1 launched now.*make-before-break/,
    );
  });

  it('waits while the replacement boots: nothing more launched, nothing removed', () => {
    const p = decide(night([od(1), big(1), small(1, 0)]), T0);
    expect([target(p, 'od'), target(p, 'big'), target(p, 'small')]).toEqual([1, 1, 1]);
    expect(p.actions.filter((a) => a.type !== 'scale-deployment' && a.type !== 'set-warm')).toEqual([]);
  });

  it('removes the dearer node once the replacement serves', () => {
    const p = decide(night([od(1), big(1), small(1)]), T0);
    expect([target(p, 'od'), target(p, 'big'), target(p, 'small')]).toEqual([1, 0, 1]);
    expect(p.costPerHour).toBeCloseTo(1.31, 6);
  });

  it('ends steady: no swap once the fleet is the cheap layout', () => {
    const p = decide(night([od(1), big(0), small(1)]), T0);
    expect(why(p)).toBeUndefined();
    expect([target(p, 'od'), target(p, 'big'), target(p, 'small')]).toEqual([1, 0, 1]);
  });

  it.each([
    // 100 rps: the od node and the A100 serve it; three g5 spot nodes ($0.90/h) would cost more than the A100.
    { name: 'the cheaper nodes would cost more in the number needed', rps: 100, bigPrice: 0.73 },
    // The A100 at $0.50/h: $0.20/h saved does not pay for the g5 node's $0.30/h while it boots within a time to ready.
    { name: 'the saving does not pay for the overlap within a time to ready', rps: 40, bigPrice: 0.5 },
  ])('no swap when $name', ({ rps, bigPrice }) => {
    const p = decide(night([od(1), big(1, { hourlyPrice: bigPrice }), small(0)], rps), T0);
    expect(why(p)).toBeUndefined();
    expect(target(p, 'small')).toBe(0);
    expect(target(p, 'big')).toBe(1);
  });

  it('a swap onto nodes already there needs no payback', () => {
    // The A100 at $0.50/h and a g5 spot node already serving beside it (the plan keeps one spot node): the
    // A100 goes, the g5 stays.
    const p = decide(night([od(1), big(1, { hourlyPrice: 0.5 }), small(1)]), T0);
    expect([target(p, 'big'), target(p, 'small')]).toEqual([0, 1]);
  });

  it('a disruption budget of 0 nodes holds the removal: both nodes stay', () => {
    const held = night([od(1), big(1), small(1)]);
    held.fleet.policy.safety.disruptionBudgets = [{ nodes: 0 }];
    const p = decide(held, T0);
    expect([target(p, 'big'), target(p, 'small')]).toEqual([1, 1]);
    const free = night([od(1), big(1), small(1)]);
    expect(target(decide(free, T0), 'big')).toBe(0);
  });

  it('none when the fleet turns it off (placement.consolidation: off)', () => {
    const i = night([od(1), big(1), small(0)]);
    i.fleet.policy.placement.consolidation = 'off';
    const p = decide(i, T0);
    expect(why(p)).toBeUndefined();
    expect([target(p, 'big'), target(p, 'small')]).toEqual([1, 0]);
  });

  it.each([
    { name: 'an operator target', over: { signals: [] }, manual: true },
    { name: 'the replacement pool backed off', over: {}, blocked: true },
  ])('no swap under $name', ({ over, manual, blocked }) => {
    const i = night([od(1), big(1), small(0, 0, blocked ? { max: 0 } : {})], 40, over);
    if (manual)
      i.state = {
        ...i.state,
        manualTarget: { target: 2, by: 'ops', reason: 'test' },
      };
    const p = decide(i, T0);
    expect(why(p)).toBeUndefined();
    expect(target(p, 'small')).toBe(0);
  });

  it('launches no replacement within a lead time of a scale-out, but completes a swap onto nodes there', () => {
    // The fleet grew 1 -> 2 five minutes ago (the lead is 900 s): the capacity a rise added is for the rise.
    const history = [past(300, { recommendation: 2, from: 1, to: 2, applied: true })];
    const rising = decide(night([od(1), big(1), small(0)], 40, { history }), T0);
    expect(why(rising)).toBeUndefined();
    expect(target(rising, 'small')).toBe(0);
    const ready = decide(night([od(1), big(1), small(1)], 40, { history }), T0);
    expect([target(ready, 'big'), target(ready, 'small')]).toEqual([0, 1]);
    // Past the lead time it launches.
    const later = decide(
      night([od(1), big(1), small(0)], 40, {
        history: [past(900, { recommendation: 2, from: 1, to: 2, applied: true })],
      }),
      T0,
    );
    expect(target(later, 'small')).toBe(1);
  });

  it.each([
    // The g5 spot offering lost a node an hour ago: its survival falls below the prior's and the A100's.
    { name: 'seen failing more than the prior and the A100', losses: 1, swap: false },
    { name: 'no loss seen (both at the prior)', losses: 0, swap: true },
  ])('replacement offering $name', ({ losses, swap }) => {
    const spotRisk: SpotRiskState = {
      at: T0.toISOString(),
      offerings: losses ? { 'small/us-east-1a': { hours: 2, losses }, 'small/us-east-1b': { hours: 2, losses } } : {},
      events: losses ? [{ at: at(-3600), offering: 'small/us-east-1a', nodes: 1, held: 1 }] : [],
    };
    const p = decide(night([od(1), big(1), small(0)], 40, { state: { offeringBackoff: [], spotRisk } }), T0);
    expect(why(p) !== undefined).toBe(swap);
    expect(target(p, 'small')).toBe(swap ? 1 : 0);
  });

  it('never removes a node the ready nodes still need', () => {
    // 60 rps now: more than the od node serves alone; the g5 spot node booting beside the A100 serves nothing yet.
    const p = decide(night([od(1), big(1), small(1, 0)], 60), T0);
    expect(target(p, 'big')).toBe(1);
  });

  it('returns on-demand nodes to spot while the mix wants more spot, several per decision, make-before-break', () => {
    // 400 rps on 12 on-demand nodes (a burst took them: warm nodes resumed, or spot could not launch): 11 hold
    // it, and the mix wants every node above the base of 1 on spot. One decision replaces 10% of the nodes,
    // rounded up (2): two g5 spot nodes launch, and the on-demand nodes they replace stay until they serve.
    const p = decide(night([od(12), big(0), small(0)], 400), T0);
    const swaps = p.reasons.filter((r) => r.code === 'placement.consolidate');
    expect(swaps.map((r) => [r.before, r.after])).toEqual([
      [11, 12],
      [12, 13],
    ]);
    for (const r of swaps) expect(r.message).toMatch(/one od node .* replaced by 1 small node\(s\).*make-before-break/);
    expect([target(p, 'od'), target(p, 'small')]).toEqual([11, 2]);
    // Once they serve, the on-demand nodes they replace go, and the next two spot nodes launch.
    const next = decide(night([od(11), big(0), small(2)], 400), T0);
    expect([target(next, 'od'), target(next, 'small')]).toEqual([9, 4]);
  });

  it('returns on-demand to spot within a lead time of a scale-out: the on-demand node serves until the spot one does', () => {
    // The fleet grew 2 -> 3 five minutes ago (the lead is 900 s); 100 rps on 3 on-demand nodes, and the mix
    // wants two of them on spot. A swap within a tier would wait; this one launches.
    const history = [past(300, { recommendation: 3, from: 2, to: 3, applied: true })];
    const p = decide(night([od(3), big(0), small(0)], 100, { history }), T0);
    expect(why(p)?.message).toMatch(/one od node .* replaced by 1 small node\(s\).*1 launched now.*make-before-break/);
    expect([target(p, 'od'), target(p, 'small')]).toEqual([3, 1]);
  });

  it('no swap while the scale-down stabilization holds the fleet above its need', () => {
    // 40 rps needs 2 nodes; a recommendation of 3 a minute ago holds the count at 3. A swap there would replace
    // nodes the scale-in removes once the window passes (measured: launching a spot node for each on-demand node
    // so held made the 2023 code hour $11.98 -> $13.19).
    const history = [past(60, { recommendation: 3, from: 3, to: 3, applied: true })];
    const i = night([od(2), big(1), small(0)], 40, { history });
    i.fleet.policy.scaleDown = HPA_DEFAULTS.scaleDown;
    const p = decide(i, T0);
    expect(p.targetNodes).toBeGreaterThan(p.recommendedNodes);
    expect(why(p)).toBeUndefined();
    expect([target(p, 'od'), target(p, 'big'), target(p, 'small')]).toEqual([2, 1, 0]);
  });

  it('never swaps the fleet below its floor (one node out, none in)', () => {
    // 76 rps needs the 3 nodes there by the placement's order; the fleet's floor is 3 too, and a GPU limit of 2
    // (the floor wins over it). Dropping the g5 spot node (none in) still holds 76 rps over the lead on the other
    // two and fits the GPU limit, but leaves 2 nodes under a floor of 3: before the fix the swap was made (found
    // by the consolidation property under the hard limits).
    const i = night([od(1), big(1, { hourlyPrice: 0.2, rpsPerNode: 40 }), small(1, 1, { hourlyPrice: 0.05 })], 76);
    i.fleet.policy.minNodes = 3;
    i.fleet.policy.maxNodes = 3;
    i.fleet.policy.safety.maxGpus = 2;
    const p = decide(i, T0);
    expect(p.targetNodes).toBe(3);
    expect(why(p)?.message ?? '').not.toMatch(/replaced by 0 /);
  });

  it('never returns on-demand nodes to spot past the mix', () => {
    // The mix keeps half of the nodes above the base regular: the fleet already holds that much spot.
    const i = night([od(6), big(0), small(6)], 400);
    i.fleet.policy.placement.spotShare = 0.5;
    const p = decide(i, T0);
    expect(p.reasons.filter((r) => r.code === 'placement.consolidate' && /one od node/.test(r.message))).toEqual([]);
  });

  it('property: the plan keeps the capacity it needs and the ready nodes keep serving the demand of now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 5, max: 300 }),
        fc.integer({ min: 0, max: 6 }),
        (bigN, smallN, smallReady, rps, minNodes) => {
          const pools = [od(1), big(bigN), small(smallN, Math.min(smallN, smallReady))];
          const i = night(pools, rps);
          i.fleet.policy.minNodes = minNodes;
          const p = decide(i, T0);
          // A swap never takes the fleet below its floor (a node out, none in, counts one fewer).
          expect(p.targetNodes).toBeGreaterThanOrEqual(Math.min(minNodes, i.fleet.policy.maxNodes));
          const survival = 0.931;
          const lasting = target(p, 'od') * 39 + (target(p, 'big') * 97.5 + target(p, 'small') * 39) * survival;
          expect(lasting).toBeGreaterThanOrEqual((p.requiredRps ?? 0) * 0.999);
          const readyNow = 39 + bigN * 97.5 + Math.min(smallN, smallReady) * 39;
          const kept =
            39 +
            Math.min(bigN, target(p, 'big')) * 97.5 +
            Math.min(Math.min(smallN, smallReady), target(p, 'small')) * 39;
          expect(kept).toBeGreaterThanOrEqual(Math.min(rps, readyNow) - 1e-9);
        },
      ),
      { numRuns: Number(process.env.PROP_RUNS ?? 60) },
    );
  });
});

describe('replacement consolidation under the hard limits', () => {
  /** Inputs of the property below that swap: three on-demand nodes, two g5 spot nodes not ready yet, 187 rps. */
  const SWAPPING = {
    odN: 3,
    bigN: 0,
    smallN: 2,
    smallReady: 0,
    bigPrice: 0.2,
    bigRps: 40,
    smallPrice: 0.05,
    rps: 187,
    minNodes: 0,
    maxNodes: 7,
    aws: undefined as number | undefined,
    budget: undefined as number | undefined,
    maxGpus: undefined as number | undefined,
    maxStepDown: undefined as number | undefined,
  };

  it("keeps a cloud's cap while the replaced node and its replacements are both there (a counterexample the property found)", () => {
    // Three on-demand g5 nodes and two g5 spot nodes not ready yet, all on AWS, capped at 6 nodes there: the
    // swap of an on-demand node for two more spot nodes ($0.05/h) held the on-demand node until they serve,
    // 7 AWS nodes meanwhile. The cap is checked on the layout with both in it: the swap goes to Azure instead.
    const i = night([od(3), big(0, { hourlyPrice: 0.2, rpsPerNode: 40 }), small(2, 0, { hourlyPrice: 0.05 })], 187);
    const p0 = i.fleet.policy;
    i.fleet.policy = { ...p0, minNodes: 0, maxNodes: 7, placement: { ...p0.placement, maxPerCloud: { aws: 6 } } };
    const p = decide(i, T0);
    expect(target(p, 'od') + target(p, 'small')).toBeLessThanOrEqual(6);
    expect(why(p)?.message).toContain('replaced by 1 big node(s)');
    // Without the cap the cheaper swap within AWS is made, make-before-break.
    i.fleet.policy = { ...i.fleet.policy, placement: p0.placement };
    const free = decide(i, T0);
    expect(why(free)?.message).toContain('replaced by 2 small node(s)');
    expect(target(free, 'od') + target(free, 'small')).toBe(7);
  });

  it('property: swaps keep the pools, the floor, the ceiling, the max step, each cloud, the budget and the GPUs, and the capacity', () => {
    let swaps = 0;
    fc.assert(
      fc.property(
        fc.record({
          odN: fc.integer({ min: 1, max: 4 }),
          bigN: fc.integer({ min: 0, max: 4 }),
          smallN: fc.integer({ min: 0, max: 6 }),
          smallReady: fc.integer({ min: 0, max: 6 }),
          bigPrice: fc.double({ min: 0.2, max: 3, noNaN: true }),
          bigRps: fc.integer({ min: 40, max: 200 }),
          smallPrice: fc.double({ min: 0.05, max: 1, noNaN: true }),
          rps: fc.integer({ min: 5, max: 400 }),
          minNodes: fc.integer({ min: 0, max: 6 }),
          maxNodes: fc.integer({ min: 1, max: 20 }),
          aws: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
          budget: fc.option(fc.double({ min: 0.5, max: 10, noNaN: true }), { nil: undefined }),
          maxGpus: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
          maxStepDown: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        }),
        (g) => {
          const pools = [
            od(g.odN),
            big(g.bigN, { hourlyPrice: g.bigPrice, rpsPerNode: g.bigRps }),
            small(g.smallN, Math.min(g.smallN, g.smallReady), { hourlyPrice: g.smallPrice }),
          ];
          const i = night(pools, g.rps);
          const p0 = i.fleet.policy;
          i.fleet.policy = {
            ...p0,
            minNodes: g.minNodes,
            maxNodes: Math.max(g.minNodes, g.maxNodes),
            placement: { ...p0.placement, ...(g.aws !== undefined ? { maxPerCloud: { aws: g.aws } } : {}) },
            safety: {
              ...p0.safety,
              ...(g.budget !== undefined ? { hourlyBudgetUsd: g.budget } : {}),
              ...(g.maxGpus !== undefined ? { maxGpus: g.maxGpus } : {}),
              ...(g.maxStepDown !== undefined ? { maxStepDown: g.maxStepDown } : {}),
            },
          };
          const p = decide(i, T0);
          if (why(p)) swaps++;
          const current = g.odN + g.bigN + g.smallN;
          for (const x of p.pools) {
            const pool = i.fleet.pools.find((q) => q.id === x.poolId)!;
            expect(x.target).toBeGreaterThanOrEqual(pool.min);
            expect(x.target).toBeLessThanOrEqual(Math.max(pool.min, pool.max, x.current));
          }
          const floor = Math.min(i.fleet.policy.minNodes, i.fleet.policy.maxNodes);
          const ceiling = Math.max(i.fleet.policy.maxNodes, 1);
          if (!why(p)) return;
          // Where consolidation swapped, the plan is within every hard limit it was within without the swap.
          expect(p.targetNodes).toBeGreaterThanOrEqual(Math.min(floor, current));
          expect(p.targetNodes).toBeLessThanOrEqual(Math.max(ceiling, current));
          const aws = p.pools.filter((x) => x.poolId !== 'big').reduce((s, x) => s + x.target, 0);
          if (g.aws !== undefined) expect(aws).toBeLessThanOrEqual(Math.max(g.aws, g.odN + g.smallN));
          if (g.budget !== undefined)
            expect(p.costPerHour).toBeLessThanOrEqual(Math.max(g.budget, p.currentCostPerHour) + 1e-9);
          if (g.maxGpus !== undefined) expect(p.targetNodes).toBeLessThanOrEqual(Math.max(g.maxGpus, current));
          // A swap that takes out more than it puts in is a scale-in: the max step holds it.
          if (g.maxStepDown !== undefined) expect(p.targetNodes).toBeGreaterThanOrEqual(current - g.maxStepDown);
          // And it keeps the capacity the plan needs over the lead (spot at its survival).
          const survival = 0.931;
          const lasting = target(p, 'od') * 39 + (target(p, 'big') * g.bigRps + target(p, 'small') * 39) * survival;
          expect(lasting).toBeGreaterThanOrEqual((p.requiredRps ?? 0) * 0.999 - 1e-9);
        },
      ),
      {
        numRuns: Number(process.env.PROP_RUNS ?? 200),
        // Swaps come in about 1% of the random inputs (2 of 200 on average): a run could draw none and check
        // nothing of them. These two always swap (an on-demand node for a spot one, within AWS make-before-break
        // and onto Azure under an AWS cap), so every run reaches the path, and the random ones add to it.
        examples: [[{ ...SWAPPING, aws: undefined }], [{ ...SWAPPING, aws: 6 }]],
      },
    );
    // The inputs reach the path they are about.
    expect(swaps).toBeGreaterThanOrEqual(2);
  });
});
