/**
 * Properties of the Kubernetes HPA semantics (engine/hpa-*.ts) over random counts, metrics, scaling rules,
 * recorded recommendations and scale-event histories.
 *
 * What they hold is what the HPA documentation and the autoscaling/v2 API say: a scaling policy allows its
 * value (pods, or a percentage of the count at the start of its period) per period, `selectPolicy` picks the
 * policy allowing the largest (Max) or smallest (Min) change or forbids the direction (Disabled); a
 * stabilization window takes the lowest recommendation of the up window and the highest of the down window
 * ("the safest value"); the replica calculator is `ceil(current x metric / target)` outside the tolerance band,
 * nothing inside it, and missing pods only ever dampen a change. Histories are drawn as consistent
 * trajectories (a count moving by recorded scale events), so the count at a period's start is known
 * independently of the code under test. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy, ScalingRules } from '../../shared/domain/types.ts';
import { applyBehavior, scaleDownLimit, scaleUpLimit } from '../../shared/engine/hpa-behavior.ts';
import { normalize } from '../../shared/engine/hpa-normalize.ts';
import {
  isWithinTolerance,
  metricCapacity,
  metricReplicas,
  type Tolerances,
} from '../../shared/engine/hpa-replicas.ts';
import { stabilize } from '../../shared/engine/hpa-stabilization.ts';
import type { FleetHistory, ScaleEvent, TimedRecommendation } from '../../shared/engine/history.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { policy } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const NOW = Date.parse('2026-03-02T12:00:00Z');

// --- Arbitraries -------------------------------------------------------------------------------------------------

/** Periods, often the usual ones (an event exactly a period ago is outside it: the HPA counts strictly after). */
const periodArb = fc.oneof(fc.constantFrom(15, 60, 300, 600), fc.integer({ min: 1, max: 1800 }));

const policyArb = (maxPercent: number): fc.Arbitrary<ScalingPolicy> =>
  fc.oneof(
    fc.record({ type: fc.constant('Pods' as const), value: fc.integer({ min: 1, max: 50 }), periodSeconds: periodArb }),
    fc.record({
      type: fc.constant('Percent' as const),
      value: fc.integer({ min: 1, max: maxPercent }),
      periodSeconds: periodArb,
    }),
  );

/** Scaling rules; at least one policy (the API discards rules without). Scale-down percentages up to 100. */
const rulesArb = (maxPercent: number, select?: ScalingRules['selectPolicy']): fc.Arbitrary<ScalingRules> =>
  fc.record({
    stabilizationWindowSeconds: fc.oneof(fc.constantFrom(0, 60, 300), fc.integer({ min: 0, max: 3600 })),
    selectPolicy: select ? fc.constant(select) : fc.constantFrom('Max', 'Min', 'Disabled' as const),
    policies: fc.array(policyArb(maxPercent), { minLength: 1, maxLength: 3 }),
  });
const upRules = (select?: ScalingRules['selectPolicy']) => rulesArb(1000, select);
const downRules = (select?: ScalingRules['selectPolicy']) => rulesArb(100, select);

/** Seconds before now, often exactly on a usual period's edge. */
const agoArb = fc.oneof(fc.constantFrom(0, 15, 60, 300, 600), fc.integer({ min: 0, max: 1800 }));

interface Trajectory {
  /** The count now. */
  current: number;
  events: { scaleUps: ScaleEvent[]; scaleDowns: ScaleEvent[] };
  /** The count at an instant (after the events recorded at or before it). */
  countAt: (t: number) => number;
}

function trajectory(start: number, moves: readonly { ago: number; delta: number }[], now = NOW): Trajectory {
  const steps: { at: number; delta: number }[] = [];
  let count = start;
  for (const m of [...moves].sort((a, b) => b.ago - a.ago)) {
    const delta = Math.max(m.delta, -count);
    if (delta === 0) continue;
    count += delta;
    steps.push({ at: now - m.ago * 1000, delta });
  }
  return {
    current: count,
    events: {
      scaleUps: steps.filter((s) => s.delta > 0).map((s) => ({ at: s.at, change: s.delta })),
      scaleDowns: steps.filter((s) => s.delta < 0).map((s) => ({ at: s.at, change: -s.delta })),
    },
    countAt: (t) => steps.reduce((c, s) => (s.at <= t ? c + s.delta : c), start),
  };
}

/** A count that moved by scale events over the last half hour. */
const trajectoryArb: fc.Arbitrary<Trajectory> = fc
  .tuple(
    fc.integer({ min: 0, max: 60 }),
    fc.array(fc.record({ ago: agoArb, delta: fc.integer({ min: -20, max: 20 }) }), { maxLength: 8 }),
  )
  .map(([start, moves]) => trajectory(start, moves));

const recommendationsArb: fc.Arbitrary<TimedRecommendation[]> = fc.array(
  fc.record({ ago: agoArb, replicas: fc.integer({ min: 0, max: 80 }) }).map((r) => ({
    at: NOW - r.ago * 1000,
    replicas: r.replicas,
  })),
  { maxLength: 8 },
);

/** What a Pods or Percent policy allows from the count at its period's start (the HPA's rounding). */
const upBound = (p: ScalingPolicy, start: number) =>
  p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
const downBound = (p: ScalingPolicy, start: number) =>
  p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));

const between = (x: number, a: number, b: number) => x >= Math.min(a, b) && x <= Math.max(a, b);

const tolerancesArb: fc.Arbitrary<Tolerances> = fc.oneof(
  fc.constant({ scaleUp: 0.1, scaleDown: 0.1 }),
  fc.record({
    scaleUp: fc.double({ min: 0, max: 2, noNaN: true }),
    scaleDown: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

/** A metric value and target, the ratio sometimes exactly on the default band's edges or at 1. */
const metricArb = fc.oneof(
  fc.record({
    value: fc.double({ min: 0, max: 1000, noNaN: true }),
    target: fc.double({ min: 0.01, max: 500, noNaN: true }),
  }),
  fc
    .tuple(fc.constantFrom(0, 0.5, 0.9, 1, 1.1, 2), fc.integer({ min: 1, max: 200 }))
    .map(([ratio, target]) => ({ value: ratio * target, target })),
);

// --- Behavior policies -------------------------------------------------------------------------------------------

describe('hpa behavior: properties', () => {
  it('applyBehavior moves from current towards desired, never past it, and says when a policy held it back', () => {
    fc.assert(
      fc.property(trajectoryArb, fc.integer({ min: 0, max: 150 }), upRules(), downRules(), (h, desired, up, down) => {
        const r = applyBehavior(h.current, desired, h.events, up, down, NOW);
        expect(between(r.replicas, h.current, desired)).toBe(true);
        if (r.replicas === desired) expect(r.limitedBy).toBeUndefined();
        else {
          expect(r.limitedBy).toBe(desired > h.current ? 'scaleUp' : 'scaleDown');
          expect(r.limit).toBe(r.replicas);
        }
        // Within what the direction's policies allow, the desired count passes unchanged.
        if (desired > h.current && desired <= scaleUpLimit(h.current, h.events, up, NOW))
          expect(r.replicas).toBe(desired);
        if (desired < h.current && desired >= scaleDownLimit(h.current, h.events, down, NOW))
          expect(r.replicas).toBe(desired);
      }),
      RUNS,
    );
  });

  it('each direction follows its own rules only; selectPolicy Disabled forbids that direction and nothing else', () => {
    fc.assert(
      fc.property(
        trajectoryArb,
        fc.integer({ min: 0, max: 150 }),
        fc.tuple(upRules(), upRules()),
        fc.tuple(downRules(), downRules()),
        (h, desired, [up, otherUp], [down, otherDown]) => {
          const r = applyBehavior(h.current, desired, h.events, up, down, NOW).replicas;
          if (desired > h.current)
            expect(applyBehavior(h.current, desired, h.events, up, otherDown, NOW).replicas).toBe(r);
          if (desired < h.current)
            expect(applyBehavior(h.current, desired, h.events, otherUp, down, NOW).replicas).toBe(r);
          const noUp = applyBehavior(h.current, desired, h.events, { ...up, selectPolicy: 'Disabled' }, down, NOW);
          const noDown = applyBehavior(h.current, desired, h.events, up, { ...down, selectPolicy: 'Disabled' }, NOW);
          expect(noUp.replicas).toBe(desired > h.current ? h.current : r);
          expect(noDown.replicas).toBe(desired < h.current ? h.current : r);
        },
      ),
      RUNS,
    );
  });

  it('a policy counts from the count at the start of its period (events exactly a period ago are before it)', () => {
    fc.assert(
      fc.property(trajectoryArb, policyArb(1000), policyArb(100), (h, up, down) => {
        const upStart = h.countAt(NOW - up.periodSeconds * 1000);
        const downStart = h.countAt(NOW - down.periodSeconds * 1000);
        const rules = (p: ScalingPolicy, selectPolicy: ScalingRules['selectPolicy']): ScalingRules => ({
          stabilizationWindowSeconds: 0,
          selectPolicy,
          policies: [p],
        });
        // With one policy, Max and Min are the same.
        for (const select of ['Max', 'Min'] as const) {
          expect(scaleUpLimit(h.current, h.events, rules(up, select), NOW)).toBe(upBound(up, upStart));
          expect(scaleDownLimit(h.current, h.events, rules(down, select), NOW)).toBe(downBound(down, downStart));
        }
      }),
      RUNS,
    );
  });

  it('selectPolicy Max takes the policy allowing the largest change, Min the smallest, in any order of the policies', () => {
    fc.assert(
      fc.property(trajectoryArb, upRules('Max'), downRules('Max'), fc.func(fc.integer()), (h, up, down, key) => {
        const one = (r: ScalingRules, p: ScalingPolicy, select: 'Max' | 'Min') => ({
          ...r,
          selectPolicy: select,
          policies: [p],
        });
        const ups = up.policies.map((p) => scaleUpLimit(h.current, h.events, one(up, p, 'Max'), NOW));
        const downs = down.policies.map((p) => scaleDownLimit(h.current, h.events, one(down, p, 'Max'), NOW));
        const upMax = scaleUpLimit(h.current, h.events, up, NOW);
        const upMin = scaleUpLimit(h.current, h.events, { ...up, selectPolicy: 'Min' }, NOW);
        const downMax = scaleDownLimit(h.current, h.events, down, NOW);
        const downMin = scaleDownLimit(h.current, h.events, { ...down, selectPolicy: 'Min' }, NOW);
        expect(upMax).toBe(Math.max(...ups));
        expect(upMin).toBe(Math.min(...ups));
        // On the way down the largest change is the lowest count.
        expect(downMax).toBe(Math.min(...downs));
        expect(downMin).toBe(Math.max(...downs));
        const shuffle = <T>(xs: T[]) =>
          xs
            .map((x, i) => ({ x, k: key(i) }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
        expect(scaleUpLimit(h.current, h.events, { ...up, policies: shuffle(up.policies) }, NOW)).toBe(upMax);
        expect(scaleDownLimit(h.current, h.events, { ...down, policies: shuffle(down.policies) }, NOW)).toBe(downMax);
      }),
      RUNS,
    );
  });

  it('a larger policy value never allows less, and scale-ups already made in the period never allow more', () => {
    fc.assert(
      fc.property(
        trajectoryArb,
        upRules(),
        downRules(),
        fc.nat(2),
        fc.integer({ min: 1, max: 50 }),
        fc.record({ ago: agoArb, change: fc.integer({ min: 1, max: 10 }) }),
        (h, up, down, i, more, extra) => {
          const bump = (r: ScalingRules, max: number): ScalingRules => ({
            ...r,
            policies: r.policies.map((p, k) =>
              k === i % r.policies.length ? { ...p, value: Math.min(max, p.value + more) } : p,
            ),
          });
          const c = h.current;
          expect(scaleUpLimit(c, h.events, bump(up, 1000), NOW)).toBeGreaterThanOrEqual(
            scaleUpLimit(c, h.events, up, NOW),
          );
          expect(scaleDownLimit(c, h.events, bump(down, 100), NOW)).toBeLessThanOrEqual(
            scaleDownLimit(c, h.events, down, NOW),
          );
          // One more scale-up recorded (the count now the same): the period started lower.
          const event = { at: NOW - extra.ago * 1000, change: extra.change };
          const withUp = { ...h.events, scaleUps: [...h.events.scaleUps, event] };
          expect(scaleUpLimit(c, withUp, up, NOW)).toBeLessThanOrEqual(scaleUpLimit(c, h.events, up, NOW));
        },
      ),
      RUNS,
    );
  });

  it('in a closed loop every scale-up stays within each policy (Min) or one of them (Max) from its period start', () => {
    // The HPA applying its own results: decisions at random intervals towards random desired counts, each
    // change recorded as a scale event. Against the count at the period's start (from the loop's own record),
    // a scale-up never exceeds what the policies allow, a scale-down never goes below, Disabled never moves.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        upRules(),
        downRules(),
        fc.array(fc.record({ gap: fc.integer({ min: 1, max: 240 }), desired: fc.integer({ min: 0, max: 120 }) }), {
          minLength: 1,
          maxLength: 25,
        }),
        (start, up, down, decisions) => {
          const steps: { at: number; delta: number }[] = [];
          const countAt = (t: number) => steps.reduce((c, s) => (s.at <= t ? c + s.delta : c), start);
          let count = start;
          let now = NOW;
          for (const d of decisions) {
            now += d.gap * 1000;
            const events = {
              scaleUps: steps.filter((s) => s.delta > 0).map((s) => ({ at: s.at, change: s.delta })),
              scaleDowns: steps.filter((s) => s.delta < 0).map((s) => ({ at: s.at, change: -s.delta })),
            };
            const next = applyBehavior(count, d.desired, events, up, down, now).replicas;
            const rules = next > count ? up : down;
            const within = (p: ScalingPolicy) => {
              const from = countAt(now - p.periodSeconds * 1000);
              return next > count ? next <= upBound(p, from) : next >= downBound(p, from);
            };
            if (next !== count) {
              expect(rules.selectPolicy).not.toBe('Disabled');
              if (rules.selectPolicy === 'Min') expect(rules.policies.every(within)).toBe(true);
              else expect(rules.policies.some(within)).toBe(true);
              steps.push({ at: now, delta: next - count });
              count = next;
            }
          }
        },
      ),
      RUNS,
    );
  });
});

// --- Stabilization -----------------------------------------------------------------------------------------------

describe('hpa stabilization: properties', () => {
  const windowArb = fc.oneof(fc.constantFrom(0, 15, 60, 300, 600), fc.integer({ min: 0, max: 3600 }));

  it('up: the lowest recommendation of the up window; down: the highest of the down window; never past current', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        recommendationsArb,
        windowArb,
        windowArb,
        (current, desired, recommendations, upWindowSeconds, downWindowSeconds) => {
          const got = stabilize({ current, desired, recommendations, now: NOW, upWindowSeconds, downWindowSeconds });
          const inUp = recommendations.filter((r) => r.at > NOW - upWindowSeconds * 1000).map((r) => r.replicas);
          const inDown = recommendations.filter((r) => r.at > NOW - downWindowSeconds * 1000).map((r) => r.replicas);
          if (desired > current) expect(got).toBe(Math.max(current, Math.min(desired, ...inUp)));
          else if (desired < current) expect(got).toBe(Math.min(current, Math.max(desired, ...inDown)));
          else expect(got).toBe(current);
          // So: between current and desired, up only if every recommendation of the up window is above the
          // current count, down only if every one of the down window is below it.
          expect(between(got, current, desired)).toBe(true);
          if (got > current) expect(inUp.every((r) => r > current)).toBe(true);
          if (got < current) expect(inDown.every((r) => r < current)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('is monotone in the new recommendation, ignores the order of the old ones, and wider windows never move more', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        recommendationsArb,
        windowArb,
        windowArb,
        fc.integer({ min: 0, max: 1800 }),
        fc.integer({ min: 0, max: 1800 }),
        (current, d1, d2, recommendations, up, down, upMore, downMore) => {
          const at = (desired: number, recs = recommendations, u = up, d = down) =>
            stabilize({ current, desired, recommendations: recs, now: NOW, upWindowSeconds: u, downWindowSeconds: d });
          expect(at(Math.min(d1, d2))).toBeLessThanOrEqual(at(Math.max(d1, d2)));
          expect(at(d1, [...recommendations].reverse())).toBe(at(d1));
          expect(Math.abs(at(d1, recommendations, up + upMore, down + downMore) - current)).toBeLessThanOrEqual(
            Math.abs(at(d1) - current),
          );
          // No window, no past recommendation in force: the new one as is.
          expect(at(d1, recommendations, 0, 0)).toBe(d1);
        },
      ),
      RUNS,
    );
  });

  it('replays the KEP-853 example: scale-down stabilization of 600 s over one recommendation a minute', () => {
    // KEP-853 "Stabilization before scaling down": recommendations [10, 9, 8, 9, 9, 8, 9, 8, 9] then 8 -> 10 stays;
    // a minute later (the first one out of the window), 7 -> the largest is 9. Generalized: random minutes.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 30 }),
        (history, current) => {
          // history[k] was recommended k+1 minutes ago; the window (600 s) keeps those less than 10 minutes old.
          const recommendations = history.map((replicas, k) => ({ at: NOW - (k + 1) * 60_000, replicas }));
          const desired = Math.min(current, ...history);
          const kept = history.slice(0, 9);
          const got = stabilize({
            current,
            desired,
            recommendations,
            now: NOW,
            upWindowSeconds: 0,
            downWindowSeconds: 600,
          });
          expect(got).toBe(Math.min(current, Math.max(desired, ...kept)));
        },
      ),
      RUNS,
    );
  });
});

// --- Normalization -----------------------------------------------------------------------------------------------

describe('hpa normalize: properties', () => {
  it('stabilizes then applies the policies, stays between current and desired, and records each step that moved it', () => {
    fc.assert(
      fc.property(
        trajectoryArb,
        fc.integer({ min: 0, max: 150 }),
        recommendationsArb,
        upRules(),
        downRules(),
        (h, desired, recommendations, up, down) => {
          const history: FleetHistory = {
            recommendations,
            ...h.events,
            lastScaleUp: Number.NEGATIVE_INFINITY,
            lastScaleDown: Number.NEGATIVE_INFINITY,
          };
          const reasons = new Reasons();
          const got = normalize(h.current, desired, history, policy({ scaleUp: up, scaleDown: down }), NOW, reasons);
          const stabilized = stabilize({
            current: h.current,
            desired,
            recommendations,
            now: NOW,
            upWindowSeconds: up.stabilizationWindowSeconds,
            downWindowSeconds: down.stabilizationWindowSeconds,
          });
          expect(got).toBe(applyBehavior(h.current, stabilized, h.events, up, down, NOW).replicas);
          expect(between(got, h.current, desired)).toBe(true);
          if (desired > h.current && up.selectPolicy === 'Disabled') expect(got).toBe(h.current);
          if (desired < h.current && down.selectPolicy === 'Disabled') expect(got).toBe(h.current);
          // The reasons chain from desired to the result, one per step that changed the count.
          const list = reasons.list;
          expect(list.length === 0).toBe(got === desired);
          expect(list.map((r) => r.code)).toEqual([
            ...(stabilized !== desired ? ['hpa.stabilized'] : []),
            ...(got !== stabilized ? [desired > h.current ? 'limit.scale-up-rate' : 'limit.scale-down-rate'] : []),
          ]);
          let before = desired;
          for (const r of list) {
            expect(r.kind).toBe('limit');
            expect(r.before).toBe(before);
            expect(r.after).not.toBe(before);
            before = r.after ?? Number.NaN;
          }
          expect(before).toBe(got);
        },
      ),
      RUNS,
    );
  });
});

// --- Replica calculator ------------------------------------------------------------------------------------------

describe('hpa replica calculator: properties', () => {
  /** Current replicas and ready ones, ready at most current (nodes booting are missing, not extra). */
  const countsArb = fc
    .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }))
    .map(([a, b]) => ({ current: Math.max(a, b), ready: Math.min(a, b) }));
  const fullArb = fc.integer({ min: 1, max: 200 }).map((n) => ({ current: n, ready: n }));
  const anyCountsArb = fc.oneof(countsArb, fullArb);

  it('within the tolerance band, or with no ready node, the count stays (any readiness)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        metricArb,
        tolerancesArb,
        (current, ready, { value, target }, tolerances) => {
          const r = metricReplicas({ current, ready, value, target, tolerances });
          expect(r.ratio).toBe(value / target);
          if (ready === 0) expect(r).toEqual({ replicas: current, ratio: value / target, outcome: 'no-ready-nodes' });
          if (isWithinTolerance(r.ratio, tolerances)) expect(r.replicas).toBe(current);
        },
      ),
      RUNS,
    );
  });

  it('with every node ready, outside the band: ceil(current x value / target) (the documentation formula)', () => {
    fc.assert(
      fc.property(fullArb, metricArb, tolerancesArb, ({ current, ready }, { value, target }, tolerances) => {
        const r = metricReplicas({ current, ready, value, target, tolerances });
        if (isWithinTolerance(value / target, tolerances)) expect(r.outcome).toBe('within-tolerance');
        else
          expect(r).toEqual({
            replicas: Math.ceil((value / target) * current),
            ratio: value / target,
            outcome: 'scaled',
          });
      }),
      RUNS,
    );
  });

  it('never moves against the metric, and missing nodes only dampen: between current and ceil(current x ratio)', () => {
    fc.assert(
      fc.property(anyCountsArb, metricArb, tolerancesArb, ({ current, ready }, { value, target }, tolerances) => {
        const r = metricReplicas({ current, ready, value, target, tolerances });
        const ratio = value / target;
        expect(Number.isInteger(r.replicas) && r.replicas >= 0).toBe(true);
        if (r.replicas > current) expect(ratio).toBeGreaterThan(1 + tolerances.scaleUp);
        if (r.replicas < current) expect(ratio).toBeLessThan(1 - tolerances.scaleDown);
        expect(between(r.replicas, current, Math.ceil(ratio * current))).toBe(true);
      }),
      RUNS,
    );
  });

  it('is monotone in the metric value; a wider band only holds more; each direction reads its own tolerance', () => {
    fc.assert(
      fc.property(
        anyCountsArb,
        metricArb,
        fc.double({ min: 0, max: 1000, noNaN: true }),
        tolerancesArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ current, ready }, { value, target }, other, tolerances, wider, otherTolerance) => {
          const at = (v: number, t = tolerances) =>
            metricReplicas({ current, ready, value: v, target, tolerances: t }).replicas;
          expect(at(Math.min(value, other))).toBeLessThanOrEqual(at(Math.max(value, other)));
          const widened = { scaleUp: tolerances.scaleUp + wider, scaleDown: Math.min(1, tolerances.scaleDown + wider) };
          expect([at(value), current]).toContain(at(value, widened));
          const ratio = value / target;
          if (ratio < 1) expect(at(value, { ...tolerances, scaleUp: otherTolerance })).toBe(at(value));
          if (ratio > 1) expect(at(value, { ...tolerances, scaleDown: otherTolerance })).toBe(at(value));
        },
      ),
      RUNS,
    );
  });

  it('metricCapacity with equal nodes is metricReplicas x rpsPerNode (nodes booting, none leaving)', () => {
    fc.assert(
      fc.property(
        anyCountsArb,
        metricArb,
        tolerancesArb,
        fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 100 }), fc.double({ min: 0.1, max: 500, noNaN: true })),
        ({ current, ready }, { value, target }, tolerances, rpsPerNode) => {
          const nodes = metricReplicas({ current, ready, value, target, tolerances });
          const cap = metricCapacity({
            lasting: current * rpsPerNode,
            serving: ready * rpsPerNode,
            value,
            target,
            tolerances,
          });
          expect(cap.ratio).toBe(nodes.ratio);
          // In requests/s the HPA's ratio over all nodes rounds differently: on a band's edge (or at 1) the two
          // may fall on either side. With one request/s per node the sums are the same.
          const ratio = value / target;
          const missing = Math.max(0, current - ready);
          const overAll = missing > 0 && ready > 0 ? (ratio * ready + (ratio < 1 ? missing : 0)) / current : ratio;
          const edges = [1 - tolerances.scaleDown, 1 + tolerances.scaleUp, 1];
          if (rpsPerNode !== 1 && edges.some((e) => Math.abs(overAll - e) < 1e-9)) return;
          expect(cap.outcome).toBe(nodes.outcome);
          if (nodes.outcome !== 'scaled') expect(cap.rps).toBe(current * rpsPerNode);
          else if (rpsPerNode === 1) expect(Math.ceil(cap.rps)).toBe(nodes.replicas);
          else {
            const inNodes = cap.rps / rpsPerNode;
            const slack = 1e-9 * Math.max(1, inNodes);
            expect(nodes.replicas).toBeGreaterThanOrEqual(inNodes - slack);
            expect(nodes.replicas).toBeLessThan(inNodes + 1 + slack);
          }
        },
      ),
      RUNS,
    );
  });

  it('metricCapacity holds what serves now or will within the band, is monotone in the value, never moves against it', () => {
    const capacityArb = fc.record({
      lasting: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.integer({ min: 0, max: 100 })),
      serving: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.integer({ min: 0, max: 100 })),
    });
    fc.assert(
      fc.property(
        capacityArb,
        metricArb,
        fc.double({ min: 0, max: 1000, noNaN: true }),
        tolerancesArb,
        ({ lasting, serving }, { value, target }, other, tolerances) => {
          const at = (v: number) => metricCapacity({ lasting, serving, value: v, target, tolerances });
          const hold = Math.max(lasting, serving);
          const r = at(value);
          const ratio = value / target;
          const slack = 1e-9 * Math.max(1, hold);
          if (isWithinTolerance(ratio, tolerances) || serving <= 0) expect(r.rps).toBe(hold);
          if (r.rps > hold + slack) expect(ratio).toBeGreaterThan(1 + tolerances.scaleUp);
          if (r.rps < hold - slack) expect(ratio).toBeLessThan(1 - tolerances.scaleDown);
          expect(r.rps).toBeGreaterThanOrEqual(0);
          const lo = at(Math.min(value, other)).rps;
          const hi = at(Math.max(value, other)).rps;
          expect(lo).toBeLessThanOrEqual(hi + slack);
        },
      ),
      RUNS,
    );
  });
});
