/**
 * Properties of the warm plan (engine/warm.ts) and the warm policy (domain/warm.ts), over random warm pools,
 * plans, decision histories and held needs.
 *
 * The rises are the largest rise of the required capacity within a horizon (checked against every pair of
 * samples). Every warm pool ends within [warm.min, warm.max]; with the SLO sizing it is refilled to this
 * decision's need (less the nodes out on bridges), keeps what it has up to its held need (all of it after a
 * return), and prepares nothing beyond the need; a scale-in returns as many nodes as the pool has room for up to
 * warm.max (with the rule sizing, up to the rule target) and the next state keeps them from now, each pool's held
 * need untouched. The rule sizing
 * gives fewer warm nodes to more running headroom and more to more demand or a higher warm.max. Reasons state
 * the disk cost of the nodes kept against the same capacity running (proportional to their count), and when the
 * rises within a resume time exceed the running headroom. Through `decide`, a bridge resumes no more warm nodes
 * than are ready. A warm node's price is its disks (and, hibernated or suspended, its memory), proportional to
 * their size. Deterministic; the plan survives JSON. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityType, Cloud, Fleet, Pool, PoolKind, WarmState } from '../../shared/domain/types.ts';
import { CLOUD_OF_KIND } from '../../shared/domain/types.ts';
import {
  DEFAULT_DISK_TYPE,
  DEFAULT_RESUME_SECONDS,
  DISK_PRICES,
  DISK_TYPES,
  type DiskType,
  HOURS_PER_MONTH,
  WARM_STATES,
  WARM_STATES_OF_KIND,
  warmHourlyPrice,
  warmUnsupportedReason,
} from '../../shared/domain/warm.ts';
import { decide } from '../../shared/engine/decide.ts';
import { DEFAULT_SCALE_UP } from '../../shared/engine/defaults.ts';
import type {
  DecisionInput,
  HeldNeed,
  HistoryEntry,
  Plan,
  SetDesiredAction,
  WarmHold,
  WarmPlan,
} from '../../shared/engine/types.ts';
import { maxRise, planWarm, WARM_LOOKBACK_SECONDS, withWarm } from '../../shared/engine/warm.ts';
import { poolHold, type WarmPool, warmHoldSeconds } from '../../shared/engine/warm-sizing.ts';
import { fleetInput } from './arbitraries.ts';
import { at, fleet, input, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const t0 = T0.getTime();

describe('maxRise: the largest rise within a horizon', () => {
  /** Samples sorted by time, as `planWarm` reads them (several may share a time). */
  const seriesArb = fc
    .array(fc.record({ t: fc.integer({ min: 0, max: 7200 }), rps: fc.double({ min: 0, max: 1000, noNaN: true }) }), {
      maxLength: 12,
    })
    .map((xs) => xs.map((x) => ({ t: x.t * 1000, rps: x.rps })).sort((a, b) => a.t - b.t));
  /** Every pair of a sample and a later one within the horizon: what the sliding window must find. */
  const brute = (s: readonly { t: number; rps: number }[], h: number) => {
    let best = 0;
    for (let i = 0; i < s.length; i++)
      for (let j = i + 1; j < s.length; j++)
        if (s[j]!.t - s[i]!.t <= h * 1000) best = Math.max(best, s[j]!.rps - s[i]!.rps);
    return best;
  };

  it('is the largest rise over every pair within the horizon, 0 when it never rose, undefined below two samples', () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 0, max: 7200 }), (s, h) => {
        const r = maxRise(s, h);
        if (s.length < 2) expect(r).toBeUndefined();
        else expect(r).toBe(brute(s, h));
      }),
      RUNS,
    );
  });

  it('never falls as the horizon grows, and ignores a level added to every sample', () => {
    fc.assert(
      fc.property(
        seriesArb,
        fc.integer({ min: 0, max: 7200 }),
        fc.integer({ min: 0, max: 7200 }),
        fc.integer({ min: 0, max: 1000 }),
        (s, a, b, level) => {
          if (s.length < 2) return;
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(maxRise(s, hi)!).toBeGreaterThanOrEqual(maxRise(s, lo)!);
          const lifted = s.map((x) => ({ t: x.t, rps: x.rps + level }));
          expect(maxRise(lifted, lo)!).toBeCloseTo(maxRise(s, lo)!, 6);
        },
      ),
      RUNS,
    );
  });
});

describe('the warm policy: which pools may keep warm capacity, and what a warm node costs', () => {
  const kinds = Object.keys(CLOUD_OF_KIND) as PoolKind[];

  it('a pool kind keeps warm capacity only with its cloud primitive, and never on spot', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.constantFrom<CapacityType>('spot', 'on-demand', 'reserved'),
        (kind, capacityType) => {
          const why = warmUnsupportedReason(kind, capacityType);
          const states = WARM_STATES_OF_KIND[kind];
          expect(why === undefined).toBe(states !== undefined && capacityType !== 'spot');
          // A warm pool's states are warm states, each with a default resume time shorter than none.
          for (const s of states ?? []) {
            expect(WARM_STATES).toContain(s);
            expect(DEFAULT_RESUME_SECONDS[s]).toBeGreaterThan(0);
          }
          // A kind's cloud has a default disk whose price is that cloud's.
          const cloud = CLOUD_OF_KIND[kind];
          if (cloud !== 'kubernetes') expect(DISK_PRICES[DEFAULT_DISK_TYPE[cloud]].cloud).toBe(cloud);
        },
      ),
      RUNS,
    );
  });

  it('a warm node costs its disks: non-negative, proportional to their size, memory only when not stopped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DISK_TYPES),
        fc.constantFrom(...WARM_STATES),
        fc.double({ min: 0, max: 4000, noNaN: true }),
        fc.double({ min: 0, max: 4000, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.integer({ min: 0, max: 64 }),
        (type, state, a, b, memory, k) => {
          const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, y));
          const perGbHour = DISK_PRICES[type].perGbMonth / HOURS_PER_MONTH;
          const price = warmHourlyPrice(type, a, state, memory);
          expect(price).toBeGreaterThanOrEqual(0);
          close(price, (a + (state === 'stopped' ? 0 : memory)) * perGbHour);
          // Proportional to the size: k times the disk, k times the price; two disks, the sum of their prices.
          close(warmHourlyPrice(type, k * a, 'stopped'), k * warmHourlyPrice(type, a, 'stopped'));
          close(
            warmHourlyPrice(type, a + b, 'stopped'),
            warmHourlyPrice(type, a, 'stopped') + warmHourlyPrice(type, b, 'stopped'),
          );
          // A larger disk never costs less; a stopped node pays no memory, a hibernated or suspended one does.
          expect(warmHourlyPrice(type, Math.max(a, b), state, memory)).toBeGreaterThanOrEqual(
            warmHourlyPrice(type, Math.min(a, b), state, memory),
          );
          expect(warmHourlyPrice(type, a, 'stopped', memory)).toBe(warmHourlyPrice(type, a, 'stopped'));
          if (state !== 'stopped') expect(price).toBeGreaterThanOrEqual(warmHourlyPrice(type, a, 'stopped'));
        },
      ),
      RUNS,
    );
  });
});

/** Warm-capable kinds, their cloud and their disk types. */
const WARM_KINDS: Array<{ cloud: Cloud; kind: PoolKind; disks: DiskType[] }> = [
  { cloud: 'aws', kind: 'auto-scaling-group', disks: ['gp3'] },
  { cloud: 'azure', kind: 'azure-vmss', disks: ['premium-ssd', 'standard-ssd'] },
  { cloud: 'gcp', kind: 'gcp-mig', disks: ['pd-balanced', 'pd-ssd'] },
  { cloud: 'gcp', kind: 'gcp-regional-mig', disks: ['pd-balanced', 'pd-ssd'] },
];

interface PoolDraw {
  pool: Pool;
  /** The plan's running target for the pool. */
  target: number;
}

const warmPoolArb = (i: number): fc.Arbitrary<PoolDraw> =>
  fc
    .record({
      kind: fc.nat(WARM_KINDS.length - 1),
      disk: fc.nat(1),
      stateIndex: fc.nat(1),
      capacityType: fc.constantFrom<CapacityType>('on-demand', 'reserved'),
      hourlyPrice: fc.double({ min: 0.05, max: 12, noNaN: true }),
      rpsPerNode: fc.integer({ min: 1, max: 50 }),
      desired: fc.integer({ min: 0, max: 20 }),
      target: fc.integer({ min: 0, max: 25 }),
      timeToReadySeconds: fc.integer({ min: 60, max: 900 }),
      min: fc.integer({ min: 0, max: 3 }),
      span: fc.integer({ min: 0, max: 8 }),
      resumeSeconds: fc.integer({ min: 30, max: 300 }),
      diskGb: fc.integer({ min: 20, max: 500 }),
      memoryGiB: fc.integer({ min: 0, max: 64 }),
      observed: fc.option(
        fc.record({
          ready: fc.integer({ min: 0, max: 12 }),
          warming: fc.integer({ min: 0, max: 4 }),
          target: fc.integer({ min: 0, max: 12 }),
        }),
        { nil: undefined, freq: 4 },
      ),
    })
    .map((r) => {
      const k = WARM_KINDS[r.kind]!;
      const states = WARM_STATES_OF_KIND[k.kind]!;
      const state: WarmState = states[r.stateIndex % states.length]!;
      const diskType = k.disks[r.disk % k.disks.length]!;
      return {
        pool: pool({
          id: `w${i}`,
          cloud: k.cloud,
          kind: k.kind,
          capacityType: r.capacityType,
          hourlyPrice: r.hourlyPrice,
          rpsPerNode: r.rpsPerNode,
          desired: r.desired,
          timeToReadySeconds: r.timeToReadySeconds,
          warm: {
            min: r.min,
            max: r.min + r.span,
            state,
            resumeSeconds: r.resumeSeconds,
            diskType,
            diskGb: r.diskGb,
            hourlyPrice: warmHourlyPrice(diskType, r.diskGb, state, r.memoryGiB),
          },
          ...(r.observed ? { warmObserved: r.observed } : {}),
        }),
        target: r.target,
      };
    });

/** A spot pool beside the warm ones (no warm pool: its running capacity counts in the headroom only). */
const spotPoolArb: fc.Arbitrary<PoolDraw> = fc
  .record({
    desired: fc.integer({ min: 0, max: 20 }),
    target: fc.integer({ min: 0, max: 25 }),
    rpsPerNode: fc.integer({ min: 1, max: 50 }),
  })
  .map((r) => ({
    pool: pool({
      id: 'spot',
      kind: 'ec2-fleet',
      capacityType: 'spot',
      hourlyPrice: 0.4,
      rpsPerNode: r.rpsPerNode,
      desired: r.desired,
    }),
    target: r.target,
  }));

/** Past decisions: scattered ones (some another fleet's, dry runs, beyond the day, in the future), or a ramp a minute apart. */
const scatteredArb: fc.Arbitrary<HistoryEntry[]> = fc.array(
  fc
    .record({
      // Most within a cold launch's time to ready; some beyond the lookback (a day), some in the future.
      secondsAgo: fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 1200 }), weight: 3 },
        fc.integer({ min: -600, max: WARM_LOOKBACK_SECONDS + 3600 }),
      ),
      requiredRps: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: undefined, freq: 6 }),
      dryRun: fc.boolean(),
      otherFleet: fc.boolean(),
    })
    .map((h) => ({
      at: at(-h.secondsAgo),
      recommendation: 0,
      from: 0,
      to: 0,
      applied: false,
      ...(h.requiredRps !== undefined ? { requiredRps: h.requiredRps } : {}),
      ...(h.dryRun ? { dryRun: true } : {}),
      ...(h.otherFleet ? { fleetId: 'other' } : {}),
    })),
  { maxLength: 8 },
);
const rampArb: fc.Arbitrary<HistoryEntry[]> = fc
  .record({
    start: fc.integer({ min: 0, max: 500 }),
    steps: fc.array(fc.integer({ min: -20, max: 150 }), { minLength: 1, maxLength: 16 }),
  })
  .map(({ start, steps }) => {
    let rps = start;
    return steps.map((step, k) => {
      rps = Math.max(0, rps + step);
      return { at: at(-(steps.length - k) * 60), recommendation: 0, from: 0, to: 0, applied: false, requiredRps: rps };
    });
  });
const historyArb = fc.oneof(scatteredArb, rampArb);

/** Per pool: the SLO sizing's targets (held need, this decision's need) and what the state holds for it. */
const sizingArb = fc.record({
  held: fc.nat(12),
  need: fc.nat(12),
  kept: fc.option(fc.record({ nodes: fc.nat(14), ago: fc.integer({ min: 0, max: 200_000 }) }), { nil: undefined }),
  out: fc.option(fc.record({ nodes: fc.nat(5), ago: fc.integer({ min: 0, max: 1200 }) }), { nil: undefined }),
});

interface WarmCase {
  input: DecisionInput;
  plan: Plan;
}

/** A fleet of 1-3 warm pools (and sometimes a spot pool), a plan for it, the history, and with `slo` a WarmPlan. */
function caseArb(slo: boolean): fc.Arbitrary<WarmCase> {
  return fc
    .integer({ min: 1, max: 3 })
    .chain((n) =>
      fc.record({
        warm: fc.tuple(...Array.from({ length: n }, (_, i) => warmPoolArb(i))),
        spot: fc.option(spotPoolArb, { nil: undefined }),
        sizing: fc.array(sizingArb, { minLength: n, maxLength: n }),
        history: historyArb,
        requiredRps: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: undefined, freq: 5 }),
        // The demand now, as a share of what the plan's running target serves (headroom from none to plenty).
        demand: fc.option(fc.double({ min: 0, max: 1.5, noNaN: true }), { nil: undefined, freq: 5 }),
        buffer: fc.double({ min: 0, max: 0.5, noNaN: true }),
        paused: fc.boolean(),
        dryRun: fc.boolean(),
      }),
    )
    .map((g) => {
      const draws = [...g.warm, ...(g.spot ? [g.spot] : [])];
      const f = fleet(
        draws.map((d) => d.pool),
        { demandBuffer: g.buffer },
      );
      const warmPools = g.warm.map((d) => d.pool);
      const clampTo = (p: Pool, k: number) => Math.min(p.warm!.max, Math.max(p.warm!.min, k));
      const warmPlan: WarmPlan | undefined = slo
        ? {
            targets: Object.fromEntries(warmPools.map((p, k) => [p.id, clampTo(p, g.sizing[k]!.held)])),
            needTargets: Object.fromEntries(warmPools.map((p, k) => [p.id, clampTo(p, g.sizing[k]!.need)])),
            needRps: 0,
            demandRps: 0,
            hedgeRps: 0,
            leftRps: 0,
          }
        : undefined;
      const hold: WarmHold | undefined = slo
        ? {
            rps: 0,
            at: at(-60),
            pools: Object.fromEntries(
              warmPools.map((p, k): [string, HeldNeed] => {
                const s = g.sizing[k]!;
                return [
                  p.id,
                  {
                    rps: 0,
                    at: at(-60),
                    ...(s.kept ? { kept: { nodes: s.kept.nodes, at: at(-s.kept.ago) } } : {}),
                    ...(s.out ? { out: { nodes: s.out.nodes, at: at(-s.out.ago) } } : {}),
                  },
                ];
              }),
            ),
          }
        : undefined;
      const sets: SetDesiredAction[] = draws
        .filter((d) => d.target !== d.pool.desired)
        .map((d) => ({ type: 'set-desired', poolId: d.pool.id, from: d.pool.desired, to: d.target, reason: 'prop' }));
      const plan: Plan = {
        fleetId: f.id,
        at: T0.toISOString(),
        dryRun: g.dryRun,
        paused: g.paused,
        currentNodes: draws.reduce((s, d) => s + d.pool.desired, 0),
        readyNodes: draws.reduce((s, d) => s + d.pool.ready, 0),
        recommendedNodes: draws.reduce((s, d) => s + d.target, 0),
        ...(g.requiredRps !== undefined ? { requiredRps: g.requiredRps } : {}),
        targetNodes: draws.reduce((s, d) => s + d.target, 0),
        pools: draws.map((d) => ({
          poolId: d.pool.id,
          cloud: d.pool.cloud,
          capacityType: d.pool.capacityType,
          current: d.pool.desired,
          target: d.target,
          delta: d.target - d.pool.desired,
          hourlyPrice: d.pool.hourlyPrice,
        })),
        // A pause holds back every cloud change (decide.ts applyPause).
        actions: g.paused ? [] : sets,
        suppressedActions: g.paused ? sets : [],
        reasons: [],
        costPerHour: 0,
        currentCostPerHour: 0,
        ...(warmPlan ? { warm: warmPlan } : {}),
        historyEntry: { at: T0.toISOString(), recommendation: 0, from: 0, to: 0, applied: false },
        nextState: { offeringBackoff: [], ...(hold ? { warmHold: hold } : {}) },
      };
      return {
        input: input(f, {
          history: g.history,
          ...(g.demand !== undefined
            ? { demand: { rps: g.demand * draws.reduce((s, d) => s + d.target * d.pool.rpsPerNode, 0) } }
            : {}),
          ...(g.dryRun ? { dryRun: true } : {}),
        }),
        plan,
      };
    });
}

/** What the doc comment says a pool has around the plan: ready and warming warm nodes, resumed, shrunk. */
function poolView(c: WarmCase, p: Pool) {
  const ready = Math.max(0, p.warmObserved?.ready ?? 0);
  const have = ready + Math.max(0, p.warmObserved?.warming ?? 0);
  const pp = c.plan.pools.find((x) => x.poolId === p.id)!;
  // A warm pool's scale-out resumes its ready warm nodes first: never more than are ready.
  const resumed = Math.min(ready, Math.max(0, pp.target - pp.current));
  const shrink = Math.max(0, pp.current - pp.target);
  return { ready, have, haveAfter: have - resumed, shrink };
}

/** The warm target the plan gives each pool: its `warm.pool` reason's `after` (also the `set-warm` action's `to`). */
function warmAfter(r: ReturnType<typeof planWarm>, poolId: string): number {
  const why = r.reasons.find((x) => x.code === 'warm.pool' && x.poolId === poolId);
  expect(why).toBeDefined();
  return why!.after!;
}

const warmPoolsOf = (c: WarmCase) => c.input.fleet.pools.filter((p) => p.warm);

describe('planWarm: the warm targets', () => {
  it('keeps every warm pool within [warm.min, warm.max], with a reason for each and an action where it changes', () => {
    fc.assert(
      fc.property(fc.boolean().chain(caseArb), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        for (const p of c.input.fleet.pools) {
          const action = r.actions.find((a) => a.poolId === p.id);
          if (!p.warm) {
            expect(action).toBeUndefined();
            continue;
          }
          const n = warmAfter(r, p.id);
          expect(n).toBeGreaterThanOrEqual(p.warm.min);
          expect(n).toBeLessThanOrEqual(p.warm.max);
          const from = p.warmObserved?.target ?? 0;
          if (n !== from) expect(action).toMatchObject({ type: 'set-warm', from, to: n, state: p.warm.state });
          else expect(action).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('with the SLO sizing: refilled to the need (less the nodes out on bridges), keeps what it has up to its held need, prepares nothing beyond', () => {
    fc.assert(
      fc.property(caseArb(true), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        for (const p of warmPoolsOf(c)) {
          const w = p.warm!;
          const { haveAfter, shrink } = poolView(c, p);
          const back = r.returns.get(p.id) ?? 0;
          const present = haveAfter + back;
          const need = c.plan.warm!.needTargets![p.id]!;
          const held = c.plan.warm!.targets[p.id]!;
          const own = c.plan.nextState.warmHold!.pools![p.id]!;
          const outAt = own.out ? Date.parse(own.out.at) : Number.NaN;
          const out = own.out && t0 - outAt < p.timeToReadySeconds * 1000 ? own.out.nodes : 0;
          const keptAt = own.kept ? Date.parse(own.kept.at) : Number.NaN;
          const kept = own.kept && t0 - keptAt < warmHoldSeconds(p as WarmPool) * 1000 ? own.kept.nodes : 0;
          const n = warmAfter(r, p.id);
          // Never below this decision's need, less the nodes bridges resumed that are not back yet.
          expect(n).toBeGreaterThanOrEqual(Math.min(w.max, Math.max(w.min, need - out)));
          // Never above what it keeps: nothing prepared beyond the need (a resume is not refilled).
          expect(n).toBeLessThanOrEqual(Math.max(w.min, need, present));
          // What it has stays, up to the held need and the nodes kept within their break-even time; after a
          // return, all of it.
          const keeps = back > 0 ? Number.POSITIVE_INFINITY : Math.max(held, kept);
          expect(n).toBeGreaterThanOrEqual(Math.min(w.max, present, keeps));
          // A scale-in returns as many nodes as the pool has room for, up to warm.max.
          if (shrink > 0) expect(back).toBe(Math.min(shrink, Math.max(0, w.max - haveAfter)));
          else expect(r.returns.has(p.id)).toBe(false);
          // The nodes returned are kept from now, and are no longer out.
          if (back > 0) {
            expect(r.kept.get(p.id)).toEqual({ nodes: Math.max(kept, present), at: T0.toISOString() });
            if (out > 0) expect(r.out.get(p.id)?.nodes).toBe(Math.max(0, out - back));
          } else expect(r.kept.has(p.id)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('with the rule sizing: a scale-in returns nodes up to the rule target only, never more than it takes out', () => {
    fc.assert(
      fc.property(caseArb(false), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        for (const p of warmPoolsOf(c)) {
          const { haveAfter, shrink } = poolView(c, p);
          const n = warmAfter(r, p.id);
          const back = r.returns.get(p.id);
          if (shrink === 0) {
            expect(back).toBeUndefined();
            continue;
          }
          expect(back).toBeGreaterThanOrEqual(0);
          expect(back).toBeLessThanOrEqual(shrink);
          expect(back).toBe(Math.min(shrink, Math.max(0, n - haveAfter)));
        }
        expect(r.kept.size).toBe(0);
        expect(r.out.size).toBe(0);
      }),
      RUNS,
    );
  });

  it('with the rule sizing and nothing to learn rises from (under two samples, or no demand reading), each pool keeps warm.min', () => {
    fc.assert(
      fc.property(caseArb(false), fc.boolean(), (c, noDemand) => {
        const i: DecisionInput = noDemand
          ? { ...c.input, demand: undefined }
          : { ...c.input, history: c.input.history.slice(0, 1).map((h) => ({ ...h, dryRun: true })) };
        const plan: Plan = { ...c.plan, requiredRps: undefined };
        const r = planWarm(i, plan, T0);
        expect(r.reasons.map((x) => x.code)).toContain('warm.minimum');
        for (const p of warmPoolsOf(c)) expect(warmAfter(r, p.id)).toBe(p.warm!.min);
      }),
      RUNS,
    );
  });

  it('with the rule sizing: more running headroom never more warm nodes, more demand or a higher warm.max never fewer', () => {
    fc.assert(
      fc.property(
        caseArb(false),
        fc.array(fc.nat(6), { minLength: 4, maxLength: 4 }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.nat(6),
        (c, more, extra, wider) => {
          const base = planWarm(c.input, c.plan, T0);
          // More running target in each pool (the plan's headroom grows).
          const raised: Plan = {
            ...c.plan,
            pools: c.plan.pools.map((p, k) => ({ ...p, target: p.target + more[k]!, delta: p.delta + more[k]! })),
          };
          const up = planWarm(c.input, raised, T0);
          // More demand now (less headroom).
          const d = c.input.demand;
          const busier = planWarm(d ? { ...c.input, demand: { rps: d.rps + extra } } : c.input, c.plan, T0);
          for (const p of warmPoolsOf(c)) {
            expect(warmAfter(up, p.id)).toBeLessThanOrEqual(warmAfter(base, p.id));
            expect(warmAfter(busier, p.id)).toBeGreaterThanOrEqual(warmAfter(base, p.id));
          }
          // A higher warm.max of a lone warm pool.
          const lone = warmPoolsOf(c)[0]!;
          const f: Fleet = {
            ...c.input.fleet,
            pools: c.input.fleet.pools
              .filter((p) => !p.warm || p.id === lone.id)
              .map((p) => (p.id === lone.id ? { ...p, warm: { ...p.warm!, max: p.warm!.max + wider } } : p)),
          };
          const one: Fleet = { ...f, pools: f.pools.map((p) => (p.id === lone.id ? lone : p)) };
          const narrow = planWarm({ ...c.input, fleet: one }, c.plan, T0);
          const wide = planWarm({ ...c.input, fleet: f }, c.plan, T0);
          expect(warmAfter(wide, lone.id)).toBeGreaterThanOrEqual(warmAfter(narrow, lone.id));
        },
      ),
      RUNS,
    );
  });

  it('with the rule sizing: says when the rises within a resume time exceed the running headroom', () => {
    fc.assert(
      fc.property(caseArb(false), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        const codes = r.reasons.map((x) => x.code);
        if (codes.includes('warm.minimum')) return;
        // The rise within the shortest resume, over every pair of the day's samples and now's.
        const { fleet: f, history, demand } = c.input;
        const samples = history
          .filter((h) => !h.dryRun && h.requiredRps !== undefined && (h.fleetId ?? f.id) === f.id)
          .map((h) => ({ t: Date.parse(h.at), rps: h.requiredRps! }))
          .filter((s) => s.t <= t0 && s.t >= t0 - WARM_LOOKBACK_SECONDS * 1000);
        if (c.plan.requiredRps !== undefined) samples.push({ t: t0, rps: c.plan.requiredRps });
        const resume = Math.min(...warmPoolsOf(c).map((p) => p.warm!.resumeSeconds));
        let rise = 0;
        for (const a of samples)
          for (const b of samples) if (b.t > a.t && b.t - a.t <= resume * 1000) rise = Math.max(rise, b.rps - a.rps);
        const running = c.plan.pools.reduce(
          (s, p) => s + p.target * f.pools.find((x) => x.id === p.poolId)!.rpsPerNode,
          0,
        );
        const now = demand?.rps ?? c.plan.requiredRps! / (1 + f.policy.demandBuffer);
        const headroom = Math.max(0, running - now);
        // Samples at the same time count in either order: only clear cases are asserted.
        if (new Set(samples.map((s) => s.t)).size < samples.length) return;
        if (rise > headroom + 1e-6) expect(codes).toContain('warm.short');
        if (rise < headroom - 1e-6) expect(codes).not.toContain('warm.short');
      }),
      RUNS,
    );
  });

  it('states the disk cost of the nodes kept against the same capacity running, proportional to their count', () => {
    const usd = (s: string) => Number(s.slice(1));
    fc.assert(
      fc.property(fc.boolean().chain(caseArb), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        for (const p of warmPoolsOf(c)) {
          const why = r.reasons.find((x) => x.code === 'warm.pool' && x.poolId === p.id)!;
          const m = why.message.match(
            /keep (\d+) warm node\(s\) \w+ \((\d+) now\): (\$[\d.]+)\/h for their disks, against (\$[\d.]+)\/h for the same ([\d.]+) rps/,
          );
          expect(m).not.toBeNull();
          const n = Number(m![1]);
          expect(n).toBe(why.after);
          expect(Number(m![2])).toBe(why.before);
          const disks = usd(m![3]!);
          const running = usd(m![4]!);
          // Printed to 3 decimals below $1, 2 above.
          expect(disks).toBeGreaterThanOrEqual(0);
          expect(Math.abs(disks - n * p.warm!.hourlyPrice)).toBeLessThanOrEqual(0.0051);
          expect(Math.abs(running - n * p.hourlyPrice)).toBeLessThanOrEqual(0.0051);
          expect(Number(m![5])).toBeCloseTo(n * p.rpsPerNode, 1);
          const ret = r.reasons.find((x) => x.code === 'warm.return' && x.poolId === p.id);
          if (ret) {
            const each = ret.message.match(/(\$[\d.]+)\/h each for their disks/);
            expect(Math.abs(usd(each![1]!) - p.warm!.hourlyPrice)).toBeLessThanOrEqual(0.0051);
          }
        }
      }),
      RUNS,
    );
  });

  it("withWarm keeps every warm pool's held need; the nodes a return keeps and those still out are the plan's", () => {
    fc.assert(
      fc.property(caseArb(true), (c) => {
        const r = planWarm(c.input, c.plan, T0);
        const plan = withWarm(c.input, c.plan, T0);
        if (c.plan.paused || c.plan.dryRun) return;
        const before = c.plan.nextState.warmHold;
        const after = plan.nextState.warmHold;
        for (const p of warmPoolsOf(c)) {
          const was = poolHold(before, p.id);
          const now = poolHold(after, p.id);
          // The need held (and since when) is the decision's, untouched.
          expect(now?.rps).toBe(was?.rps);
          expect(now?.at).toBe(was?.at);
          const kept = r.kept.get(p.id);
          expect(now?.kept).toEqual(kept ?? was?.kept);
          const out = r.out.has(p.id) ? r.out.get(p.id) : was?.out;
          // (A record of none out is the same as none.)
          expect(now?.out?.nodes ?? 0).toBe(out?.nodes ?? 0);
          if ((out?.nodes ?? 0) > 0) expect(now?.out?.at).toBe(out?.at);
        }
      }),
      RUNS,
    );
  });

  it('is deterministic, and withWarm marks each shrink with what goes back; its plan survives JSON', () => {
    fc.assert(
      fc.property(fc.boolean().chain(caseArb), (c) => {
        const a = planWarm(c.input, c.plan, T0);
        const b = planWarm(structuredClone(c.input), structuredClone(c.plan), new Date(t0));
        expect(b).toEqual(a);
        const plan = withWarm(c.input, c.plan, T0);
        expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
        const held = c.plan.paused || c.plan.dryRun;
        // Held back while paused (suppressed) or in a dry run (nowhere); the shrinks still say what goes back.
        if (held) expect(plan.actions.some((x) => x.type === 'set-warm')).toBe(false);
        if (c.plan.dryRun && !c.plan.paused)
          expect(plan.suppressedActions.some((x) => x.type === 'set-warm')).toBe(false);
        if (held) expect(plan.nextState).toEqual(c.plan.nextState);
        for (const x of [...plan.actions, ...plan.suppressedActions]) {
          if (x.type !== 'set-desired' || x.to >= x.from) continue;
          const p = c.input.fleet.pools.find((q) => q.id === x.poolId)!;
          if (!p.warm) {
            expect(x.toWarm).toBeUndefined();
            continue;
          }
          expect(x.toWarm).toEqual({ nodes: a.returns.get(p.id), warm: warmAfter(a, p.id), state: p.warm.state });
        }
      }),
      RUNS,
    );
  });
});

/**
 * Fleets where warm nodes bridge (warm-sizing.test.ts): SLO-sized, warm pools with ready warm nodes, a cheaper pool
 * (spot, sometimes under an interruption notice), a demand that may jump past what the rate limits let in.
 */
const bridgeArb: fc.Arbitrary<DecisionInput> = fc
  .record({
    warm: fc.array(
      fc.record({
        desired: fc.nat(8),
        readyShare: fc.double({ min: 0, max: 1, noNaN: true }),
        warmReady: fc.nat(10),
        warming: fc.nat(3),
        min: fc.nat(2),
        span: fc.nat(12),
        rpsPerNode: fc.integer({ min: 5, max: 20 }),
        hourlyPrice: fc.double({ min: 0.5, max: 3, noNaN: true }),
        max: fc.integer({ min: 4, max: 64 }),
        resumeSeconds: fc.integer({ min: 30, max: 300 }),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    cheap: fc.record({
      desired: fc.nat(10),
      max: fc.constantFrom(2, 64, 64),
      hourlyPrice: fc.double({ min: 0.2, max: 4, noNaN: true }),
      spot: fc.boolean(),
      notice: fc.nat(3),
    }),
    rps: fc.oneof(fc.double({ min: 0, max: 500, noNaN: true }), fc.double({ min: 100, max: 800, noNaN: true })),
    level: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: undefined }),
    free: fc.boolean(),
    maxStepUp: fc.integer({ min: 1, max: 30 }),
    availability: fc.constantFrom(0.99, 0.999),
    bridged: fc.nat(4),
  })
  .map((g) => {
    const warmPools = g.warm.map((w, k) =>
      pool({
        id: `od${k}`,
        desired: w.desired,
        ready: Math.floor(w.desired * w.readyShare),
        max: w.max,
        rpsPerNode: w.rpsPerNode,
        hourlyPrice: w.hourlyPrice,
        timeToReadySeconds: 600,
        warm: {
          min: w.min,
          max: w.min + w.span,
          state: 'stopped',
          resumeSeconds: w.resumeSeconds,
          diskType: 'gp3',
          diskGb: 100,
          hourlyPrice: 0.011,
        },
        warmObserved: { ready: Math.min(w.warmReady, w.min + w.span), warming: w.warming, target: w.min + w.span },
      }),
    );
    const cheap = pool({
      id: 'cheap',
      capacityType: g.cheap.spot ? 'spot' : 'on-demand',
      hourlyPrice: g.cheap.hourlyPrice,
      desired: g.cheap.desired,
      max: Math.max(g.cheap.max, g.cheap.desired),
      timeToReadySeconds: 600,
    });
    const f = fleet([...warmPools, cheap], {
      metrics: [],
      ...(g.free ? {} : { scaleUp: DEFAULT_SCALE_UP }),
      placement: { onDemandBase: 0, spotShare: 1, maxSpotSharePerZone: 1 },
      safety: { maxStepUp: g.maxStepUp },
    });
    f.slo.availability = g.availability;
    const now = Math.floor(t0 / 1000);
    const notice = Math.min(g.cheap.notice, g.cheap.desired);
    return input(f, {
      demand: { rps: g.rps },
      demandHistory:
        g.level === undefined
          ? []
          : Array.from({ length: 120 }, (_, k): [number, number] => [now - (120 - k) * 60, g.level!]),
      signals:
        notice > 0
          ? [
              {
                source: 'test',
                time: T0.toISOString(),
                type: 'interruption',
                eventId: 'int-1',
                cloud: 'aws',
                kind: 'warning',
                poolId: 'cheap',
                instanceIds: Array.from({ length: notice }, (_, k) => `i-${k}`),
                deadline: at(120),
              },
            ]
          : [],
      state: { offeringBackoff: [], ...(g.bridged > 0 ? { warmBridge: { od0: g.bridged } } : {}) },
    });
  });

describe('withWarm and a hold saved before the per-pool holds', () => {
  it('keeps the held need of every warm pool, not only of those a return or a bridge names', () => {
    // A counterexample the property found: a return in one pool wrote its hold alone, and the other warm pool's
    // held need (the old hold, every pool's) was gone at the next decision.
    fc.assert(
      fc.property(caseArb(true), (c) => {
        const legacy = { rps: 40, at: at(-60) };
        const plan: Plan = {
          ...c.plan,
          paused: false,
          dryRun: false,
          nextState: { ...c.plan.nextState, warmHold: legacy },
        };
        const after = withWarm(c.input, plan, T0).nextState.warmHold;
        for (const p of warmPoolsOf(c)) {
          expect(poolHold(after, p.id)?.rps).toBe(40);
          expect(poolHold(after, p.id)?.at).toBe(legacy.at);
        }
      }),
      RUNS,
    );
  });
});

describe('warm capacity through decide', () => {
  it('a bridge resumes no more warm nodes than are ready (beside those the scale-out resumes)', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: bridgeArb, weight: 3 }, fleetInput({ slo: true })), (i) => {
        const plan = decide(i, T0);
        for (const r of plan.reasons) {
          if (r.code !== 'warm.bridge') continue;
          const p = i.fleet.pools.find((x) => x.id === r.poolId)!;
          const n = Number(r.message.match(/: \+(\d+) warm node\(s\) resumed now/)![1]);
          const ready = Math.max(0, p.warmObserved?.ready ?? 0);
          const target = plan.pools.find((x) => x.poolId === p.id)!.target;
          // The pool's scale-out beside the bridge resumes its ready warm nodes first.
          const added = Math.max(0, target - n - p.desired);
          expect(n).toBeGreaterThan(0);
          expect(n + Math.min(ready, added)).toBeLessThanOrEqual(ready);
        }
      }),
      RUNS,
    );
  });

  // A warm pool with nodes the cloud ends (maintenance that terminates them): the group grows by their
  // replacements, then each removal takes one off.
  const noticeOnWarmArb: fc.Arbitrary<DecisionInput> = fc
    .record({
      desired: fc.integer({ min: 1, max: 10 }),
      warmReady: fc.nat(8),
      warmMax: fc.integer({ min: 1, max: 10 }),
      ending: fc.integer({ min: 1, max: 4 }),
      rps: fc.integer({ min: 0, max: 150 }),
      level: fc.integer({ min: 0, max: 150 }),
      held: fc.integer({ min: 0, max: 100 }),
    })
    .map((g) => {
      const od = pool({
        id: 'od',
        desired: g.desired,
        timeToReadySeconds: 600,
        warm: {
          min: 0,
          max: Math.max(g.warmMax, g.warmReady),
          state: 'stopped',
          resumeSeconds: 60,
          diskType: 'gp3',
          diskGb: 100,
          hourlyPrice: 0.011,
        },
        warmObserved: { ready: g.warmReady, warming: 0, target: g.warmReady },
      });
      const now = Math.floor(t0 / 1000);
      return input(fleet([od], { metrics: [] }), {
        demand: { rps: g.rps },
        demandHistory: Array.from({ length: 120 }, (_, k): [number, number] => [now - (120 - k) * 60, g.level]),
        state: {
          offeringBackoff: [],
          warmHold: { rps: g.held, at: at(-60), pools: { od: { rps: g.held, at: at(-60) } } },
        },
        signals: [
          {
            source: 'test',
            time: T0.toISOString(),
            type: 'interruption',
            eventId: 'm-1',
            cloud: 'aws',
            kind: 'maintenance',
            action: 'terminate',
            poolId: 'od',
            instanceIds: Array.from({ length: Math.min(g.ending, g.desired) }, (_, k) => `i-${k}`),
            deadline: at(600),
          },
        ],
      });
    });

  it("a warm pool's scale-out (replacements included) resumes its ready warm nodes first: what it resumed is not refilled beyond the need", () => {
    // A counterexample the property found: 4 nodes, one ended, 4 warm: the group went 4 -> 6 (one removed
    // after), resuming 2, and the plan counted the net +1 as resumed: it prepared one warm node beyond the need.
    fc.assert(
      fc.property(noticeOnWarmArb, (i) => {
        const plan = withWarm(i, decide(i, T0), T0);
        if (!plan.warm) return;
        for (const p of i.fleet.pools) {
          if (!p.warm) continue;
          const ready = p.warmObserved?.ready ?? 0;
          const have = ready + (p.warmObserved?.warming ?? 0);
          const sets = [...plan.actions, ...plan.suppressedActions].filter(
            (a) => a.type === 'set-desired' && a.poolId === p.id,
          );
          const out = sets.reduce((n, a) => n + (a.type === 'set-desired' ? Math.max(0, a.to - a.from) : 0), 0);
          const back = sets.reduce((n, a) => n + (a.type === 'set-desired' ? (a.toWarm?.nodes ?? 0) : 0), 0);
          const n = plan.reasons.find((r) => r.code === 'warm.pool' && r.poolId === p.id)!.after!;
          const need = plan.warm.needTargets?.[p.id] ?? p.warm.min;
          expect(n).toBeLessThanOrEqual(Math.max(p.warm.min, need, have - Math.min(ready, out) + back));
        }
      }),
      RUNS,
    );
  });
});
