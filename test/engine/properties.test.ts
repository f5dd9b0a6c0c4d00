/**
 * Properties of `decide` over random fleets (1-6 pools on the four clouds), policies, histories, states
 * and signals.
 *
 * Hard limits (pool min/max, fleet max, each cloud's maximum, the budget, the GPU limit) always hold, with
 * one defined exception: when the fleet's floor alone costs more than the budget or holds more GPUs, the
 * floor is kept and the plan says so (`budgetCut.unmet`, the `limit.gpus` reason); a window that freezes
 * every change holds the count where it is. Rate limits (max step) hold relative to the nodes the fleet has
 * (not those the cloud never launched, `limit.rate-base`), except where a hard limit forces a bigger move —
 * then the plan names that limit. More demand never yields fewer nodes, and the same input always gives the
 * same plan. About half the inputs are sized for an SLO from a demand history, with warm pools and what
 * earlier decisions left (warm nodes out on bridges, a held warm need, the spot losses seen): the headroom,
 * the spot hedge, warm bridges and returns run under the same properties (arbitraries.ts). `PROP_RUNS` sets
 * the runs per property (300 by default; 20,000 each pass, measured).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import { withWarm } from '../../shared/engine/warm.ts';
import type { Pool } from '../../shared/domain/types.ts';
import type { DecisionInput, Plan } from '../../shared/engine/types.ts';
import { fleetInput } from './arbitraries.ts';
import { T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const EPS = 1e-6;
const has = (plan: Plan, ...codes: string[]) => plan.reasons.some((r) => codes.includes(r.code));
/**
 * The pools' minimums; with the plan, a pool the operator pinned counts at its pinned count (`placement.pinned`):
 * like a minimum, the engine holds it (engine/bounds.ts).
 */
const minOf = (p: Pool, plan?: Plan) => {
  const pinned = plan?.reasons
    .find((r) => r.code === 'placement.pinned' && r.poolId === p.id)
    ?.message.match(/pinned at (\d+)/);
  return pinned ? Number(pinned[1]) : p.min;
};
const poolMins = (i: DecisionInput, plan?: Plan) => i.fleet.pools.reduce((s, p) => s + minOf(p, plan), 0);
/**
 * The fleet's bounds with its schedule window (the inputs have at most one, active now): a window's floor and
 * ceiling tighten the policy's, a ceiling below a floor wins, and the pools' minimums hold beneath both
 * (engine/bounds.ts).
 */
const boundsOf = (i: DecisionInput, plan?: Plan) => {
  const w = i.schedule?.[0];
  // A window starting within the lead time sets its floor now (reached ready by its start), not its ceiling.
  const active = w?.start === '00:00';
  const hi = Math.min(i.fleet.policy.maxNodes, (active ? w?.maxNodes : undefined) ?? Number.POSITIVE_INFINITY);
  const lo = Math.min(hi, Math.max(i.fleet.policy.minNodes, w?.minNodes ?? 0));
  const mins = poolMins(i, plan);
  return { lo: Math.max(lo, mins), hi: Math.max(hi, mins) };
};
/** A window that freezes every change holds the count where it is, whatever the bounds. */
const frozen = (i: DecisionInput, plan: Plan) => !!i.schedule?.[0]?.freeze && plan.targetNodes === plan.currentNodes;

describe('decide: properties', () => {
  it('keeps every pool within [min, max]', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        for (const p of plan.pools) {
          const pool = i.fleet.pools.find((x) => x.id === p.poolId);
          expect(p.target).toBeGreaterThanOrEqual(pool?.min ?? 0);
          expect(p.target).toBeLessThanOrEqual(Math.max(pool?.min ?? 0, pool?.max ?? 0));
        }
        expect(plan.targetNodes).toBe(plan.pools.reduce((s, p) => s + p.target, 0));
      }),
      RUNS,
    );
  });

  it('keeps the fleet within [min, max] (min unless the pools cannot hold it or scale-to-zero idles it)', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        const { lo, hi } = boundsOf(i, plan);
        if (frozen(i, plan)) return;
        expect(plan.targetNodes).toBeLessThanOrEqual(hi);
        if (plan.targetNodes < lo) {
          const idle = i.fleet.policy.scaleToZero && has(plan, 'keda.deactivation', 'keda.inactive', 'hpa.no-metrics');
          expect(idle || has(plan, 'limit.capacity')).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("keeps each cloud within the placement's maxPerCloud (unless its pools' minimums or its nodes that stay exceed it)", () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        const caps = i.fleet.policy.placement.maxPerCloud ?? {};
        for (const [cloud, cap] of Object.entries(caps)) {
          if (cap === undefined) continue;
          const of = (p: { poolId: string }) => i.fleet.pools.find((x) => x.id === p.poolId)?.cloud === cloud;
          const total = plan.pools.filter(of).reduce((s, p) => s + p.target, 0);
          const current = plan.pools.filter(of).reduce((s, p) => s + p.current, 0);
          const mins = i.fleet.pools.filter((p) => p.cloud === cloud).reduce((s, p) => s + minOf(p, plan), 0);
          // A cap never forces a scale-in by itself beyond what the plan removes: above it, the cloud only shrinks.
          if (total > cap) expect(total <= Math.max(mins, current)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('keeps every warm pool within [warm.min, warm.max] and its running count within [min, max]', () => {
    fc.assert(
      fc.property(fleetInput({ slo: true }), (i) => {
        const plan = withWarm(i, decide(i, T0), T0);
        for (const a of plan.actions) {
          if (a.type !== 'set-warm') continue;
          const pool = i.fleet.pools.find((p) => p.id === a.poolId);
          expect(pool?.warm).toBeDefined();
          expect(a.to).toBeGreaterThanOrEqual(pool!.warm!.min);
          expect(a.to).toBeLessThanOrEqual(pool!.warm!.max);
        }
        for (const p of plan.pools) {
          const pool = i.fleet.pools.find((x) => x.id === p.poolId)!;
          expect(p.target).toBeGreaterThanOrEqual(pool.min);
          expect(p.target).toBeLessThanOrEqual(Math.max(pool.min, pool.max));
        }
      }),
      RUNS,
    );
  });

  it("returns to a warm pool no more nodes than a scale-in removes, within the pool's warm maximum", () => {
    fc.assert(
      fc.property(fleetInput({ slo: true }), (i) => {
        const plan = withWarm(i, decide(i, T0), T0);
        for (const a of [...plan.actions, ...plan.suppressedActions]) {
          if (a.type !== 'set-desired' || !a.toWarm) continue;
          const pool = i.fleet.pools.find((p) => p.id === a.poolId);
          expect(pool?.warm).toBeDefined();
          expect(a.toWarm.nodes).toBeGreaterThanOrEqual(0);
          expect(a.toWarm.nodes).toBeLessThanOrEqual(a.from - a.to);
          expect(a.toWarm.warm).toBeLessThanOrEqual(pool!.warm!.max);
        }
      }),
      RUNS,
    );
  });

  it('never holds more GPUs than maxGpus, unless the floor does or the nodes it keeps already did (it adds none)', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        const cap = i.fleet.policy.safety.maxGpus;
        if (cap === undefined) return;
        const gpus = (n: (p: Plan['pools'][number]) => number) =>
          plan.pools.reduce((s, p) => s + n(p) * (i.fleet.pools.find((x) => x.id === p.poolId)?.gpusPerNode ?? 0), 0);
        if (gpus((p) => p.target) <= cap) return;
        const floor = boundsOf(i, plan).lo;
        expect(gpus((p) => p.target) <= gpus((p) => p.current) || plan.targetNodes <= floor || frozen(i, plan)).toBe(
          true,
        );
      }),
      RUNS,
    );
  });

  it('never costs more than the budget, unless the floor alone does (then it keeps only the floor)', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        const budget = i.fleet.policy.safety.hourlyBudgetUsd;
        if (budget === undefined) return;
        if (plan.costPerHour > budget + EPS) {
          expect(plan.budgetCut?.unmet).toBe(true);
          const floor = Math.max(i.fleet.policy.scaleToZero ? 1 : 0, boundsOf(i, plan).lo);
          expect(plan.targetNodes).toBeLessThanOrEqual(floor);
        }
      }),
      RUNS,
    );
  });

  it('never exceeds the max step, except to reach a hard limit or replace ending reservations, which the plan names', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide(i, T0);
        const { maxStepUp, maxStepDown } = i.fleet.policy.safety;
        // Replacements for an ending reservation are launched all at once, past the rate limits and the step
        // (decide.ts): beyond the step by no more than the plan says they added.
        const replaced = plan.reasons
          .filter((r) => r.code === 'safety.replacements')
          .reduce((n, r) => n + (r.after ?? 0) - (r.before ?? 0), 0);
        // Nodes the cloud could not launch leave the count without being a step: the rate limits and the step
        // start from the nodes the fleet has, which the plan states (`limit.rate-base`).
        const fleetHas = plan.reasons.find((r) => r.code === 'limit.rate-base')?.message.match(/count the (\d+) node/);
        const base = fleetHas ? Number(fleetHas[1]) : plan.currentNodes;
        if (plan.targetNodes > base + maxStepUp + replaced) expect(has(plan, 'limit.min')).toBe(true);
        if (plan.targetNodes < base - maxStepDown)
          expect(has(plan, 'limit.max', 'limit.capacity', 'safety.budget', 'limit.gpus')).toBe(true);
      }),
      RUNS,
    );
  });

  it('never exceeds the max step for a fleet within its bounds', () => {
    fc.assert(
      fc.property(fleetInput({ inBounds: true, signals: false, budget: false, scaleToZero: false }), (i) => {
        const plan = decide({ ...i, state: { offeringBackoff: [] } }, T0);
        const { maxStepUp, maxStepDown } = i.fleet.policy.safety;
        expect(plan.targetNodes - plan.currentNodes).toBeLessThanOrEqual(maxStepUp);
        expect(plan.currentNodes - plan.targetNodes).toBeLessThanOrEqual(maxStepDown);
      }),
      RUNS,
    );
  });

  it('more demand (rps) never yields fewer nodes', () => {
    fc.assert(
      fc.property(
        fleetInput(),
        fc.double({ min: 0, max: 1500, noNaN: true }),
        fc.double({ min: 0, max: 1500, noNaN: true }),
        (i, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const fewer = decide({ ...i, demand: { rps: lo } }, T0);
          const more = decide({ ...i, demand: { rps: hi } }, T0);
          expect(more.targetNodes).toBeGreaterThanOrEqual(fewer.targetNodes);
        },
      ),
      RUNS,
    );
  });

  it('a higher metric value never yields fewer nodes', () => {
    fc.assert(
      fc.property(
        fleetInput(),
        fc.double({ min: 0, max: 400, noNaN: true }),
        fc.double({ min: 0, max: 400, noNaN: true }),
        (i, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const others = (i.metrics ?? []).filter((m) => m.metric !== 'gpu_utilization');
          // Alarms carry gpu_utilization too: keep only the metrics input as its source.
          const signals = i.signals.filter((s) => s.type !== 'metric-alarm');
          const fewer = decide({ ...i, signals, metrics: [...others, { metric: 'gpu_utilization', value: lo }] }, T0);
          const more = decide({ ...i, signals, metrics: [...others, { metric: 'gpu_utilization', value: hi }] }, T0);
          expect(more.targetNodes).toBeGreaterThanOrEqual(fewer.targetNodes);
        },
      ),
      RUNS,
    );
  });

  it('is deterministic and its plan survives JSON (storable for audit)', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const a = withWarm(i, decide(i, T0), T0);
        const j = structuredClone(i);
        const b = withWarm(j, decide(j, new Date(T0.getTime())), new Date(T0.getTime()));
        expect(b).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(b)));
      }),
      RUNS,
    );
  });

  it('holds back every cloud change while paused, warm pools included', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const held = { ...i, state: { ...i.state, paused: { by: 'p', reason: 'r' } } };
        const plan = withWarm(held, decide(held, T0), T0);
        const resumed = i.signals.some((s) => s.type === 'operator-command' && s.command === 'resume');
        if (resumed) return;
        expect(plan.actions.every((a) => a.type === 'mark-offering' || a.type === 'report')).toBe(true);
        expect(plan.historyEntry.applied).toBe(false);
      }),
      RUNS,
    );
  });

  it('set-desired actions account for every pool change', () => {
    fc.assert(
      fc.property(fleetInput(), (i) => {
        const plan = decide({ ...i, state: { ...i.state, paused: undefined } }, T0);
        if (plan.paused) return;
        for (const p of plan.pools) {
          const set = plan.actions.find((a) => a.type === 'set-desired' && a.poolId === p.poolId);
          const removals = plan.actions.filter(
            (a) =>
              (a.type === 'remove-instance' && a.poolId === p.poolId) ||
              (a.type === 'replace' && a.fromPool === p.poolId),
          ).length;
          const after = (set && set.type === 'set-desired' ? set.to : p.current) - removals;
          expect(after).toBe(p.target);
        }
      }),
      RUNS,
    );
  });
});
