/**
 * HPA scaling policies. The table is TestScalingWithRules of pkg/controller/podautoscaler/horizontal_test.go
 * (policies, previous scale events, min/max), then the examples of "Configurable scaling behavior" in the
 * HPA documentation, replayed decision by decision.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingRules } from '../../shared/domain/types.ts';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP } from '../../shared/engine/defaults.ts';
import fc from 'fast-check';
import {
  applyBehavior,
  type BehaviorEvents,
  HPA_SYNC_PERIOD_SECONDS,
  scaleDownLimit,
  scaleUpLimit,
  scaleUpLimitSince,
} from '../../shared/engine/hpa-behavior.ts';
import type { ScaleEvent } from '../../shared/engine/history.ts';

const NOW = Date.parse('2026-03-02T12:00:00Z');

/** horizontal_test.go `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilization)`. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window = 0): ScalingRules {
  const policies: ScalingRules['policies'] = [];
  if (pods) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

/**
 * horizontal_test.go `generateEventsUniformDistribution(changes, 120)`: events at the centres of equal
 * segments of the last 120 s — for 3 events 100 s, 60 s and 20 s ago; for 4 events 105, 75, 45 and 15 s
 * ago. An event exactly `period` ago is outside the period (the HPA counts events strictly after the cutoff).
 */
function uniform(changes: number[], periodSeconds = 120): ScaleEvent[] {
  const segment = periodSeconds / changes.length;
  return changes.map((change, i) => ({ at: NOW - (periodSeconds - segment * (i + 1) + segment / 2) * 1000, change }));
}

interface Case {
  name: string;
  current: number;
  desired: number;
  min: number;
  max: number;
  up?: ScalingRules;
  down?: ScalingRules;
  ups?: ScaleEvent[];
  downs?: ScaleEvent[];
  expected: number;
}

const cases: Case[] = [
  { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7 },
  { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2 },
  { name: 'within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0 },
  {
    name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit',
    current: 20,
    desired: 1000,
    min: 1,
    max: 10,
    expected: 10,
  },
  {
    name: 'desired replica count is more than the maximum replica count',
    current: 100,
    desired: 1000,
    min: 100,
    max: 150,
    expected: 150,
  },
  // 1% of 3 rounds up to one more pod.
  {
    name: 'scaleUpLimit < maxReplicas with user policies',
    current: 3,
    desired: 1000,
    min: 1,
    max: 2000,
    up: rules(0, 0, 1, 60),
    expected: 4,
  },
  {
    name: 'scaleDownLimit > minReplicas with user policies',
    current: 1000,
    desired: 3,
    min: 3,
    max: 2000,
    down: rules(20, 60, 0, 0),
    expected: 980,
  },
  // Default scale-up: max(+100%, +4) per 15 s -> 20.
  { name: 'scaleUp with default behavior', current: 10, desired: 50, min: 1, max: 1000, expected: 20 },
  {
    name: 'scaleUp with pods policy larger than percent policy',
    current: 10,
    desired: 500,
    min: 1,
    max: 1000,
    up: rules(100, 60, 100, 60),
    expected: 110,
  },
  {
    name: 'scaleUp with percent policy larger than pods policy',
    current: 10,
    desired: 500,
    min: 1,
    max: 1000,
    up: rules(2, 60, 100, 60),
    expected: 20,
  },
  {
    name: 'scaleUp with spec MaxReplicas limitation with large pod policy',
    current: 10,
    desired: 50,
    min: 1,
    max: 1000,
    up: rules(100, 60, 0, 0),
    expected: 50,
  },
  {
    name: 'scaleUp with spec MaxReplicas limitation with large percent policy',
    current: 10,
    desired: 50,
    min: 1,
    max: 1000,
    up: rules(10000, 60, 0, 0),
    expected: 50,
  },
  {
    name: 'scaleUp with pod policy limitation',
    current: 10,
    desired: 50,
    min: 1,
    max: 1000,
    up: rules(30, 60, 0, 0),
    expected: 40,
  },
  {
    name: 'scaleUp with percent policy limitation',
    current: 10,
    desired: 50,
    min: 1,
    max: 1000,
    up: rules(0, 0, 200, 60),
    expected: 30,
  },
  {
    name: 'scaleDown with percent policy larger than pod policy',
    current: 100,
    desired: 2,
    min: 1,
    max: 1000,
    down: rules(20, 60, 1, 60, 300),
    expected: 80,
  },
  {
    name: 'scaleDown with pod policy larger than percent policy',
    current: 100,
    desired: 2,
    min: 1,
    max: 1000,
    down: rules(2, 60, 1, 60, 300),
    expected: 98,
  },
  {
    name: 'scaleDown with spec MinReplicas limitation with large pod policy',
    current: 10,
    desired: 0,
    min: 1,
    max: 1000,
    down: rules(100, 60, 0, 0, 300),
    expected: 1,
  },
  {
    name: 'scaleDown with spec MinReplicas limitation with large percent policy',
    current: 10,
    desired: 2,
    min: 5,
    max: 1000,
    down: rules(0, 0, 100, 60, 300),
    expected: 5,
  },
  {
    name: 'scaleDown with pod policy limitation',
    current: 10,
    desired: 2,
    min: 1,
    max: 1000,
    down: rules(5, 60, 0, 0, 300),
    expected: 5,
  },
  {
    name: 'scaleDown with percent policy limitation',
    current: 10,
    desired: 5,
    min: 1,
    max: 1000,
    down: rules(0, 0, 50, 60, 300),
    expected: 5,
  },
  // Only the event 20 s ago is within 60 s: 100 - 9 + 300 = 391, above max 200.
  {
    name: 'scaleUp with MaxReplicas limitation, large pod policy and events',
    current: 100,
    desired: 500,
    min: 1,
    max: 200,
    up: rules(300, 60, 0, 0),
    ups: uniform([1, 5, 9]),
    expected: 200,
  },
  {
    name: 'scaleUp with MaxReplicas limitation, large percent policy and events',
    current: 100,
    desired: 500,
    min: 1,
    max: 200,
    up: rules(0, 0, 10000, 60),
    ups: uniform([1, 5, 9]),
    expected: 200,
  },
  // 120 s ago there were 100 - 15 replicas and only 5 may be added: keep 100 rather than go down.
  {
    name: 'scaleUp held at current by many recent scale-up events',
    current: 100,
    desired: 500,
    min: 1,
    max: 1000,
    up: rules(5, 120, 0, 0),
    ups: uniform([1, 5, 9]),
    expected: 100,
  },
  {
    name: 'scaleUp with pod policy and previous scale up events',
    current: 100,
    desired: 500,
    min: 1,
    max: 1000,
    up: rules(150, 120, 0, 0),
    ups: uniform([1, 5, 9]),
    expected: 235,
  }, // 100 - 15 + 150
  {
    name: 'scaleUp with percent policy and previous scale up events',
    current: 100,
    desired: 500,
    min: 1,
    max: 1000,
    up: rules(0, 0, 200, 120),
    ups: uniform([1, 5, 9]),
    expected: 255,
  }, // (100 - 15) x 3
  {
    name: 'scaleDown with default policy and previous events',
    current: 10,
    desired: 5,
    min: 1,
    max: 1000,
    downs: uniform([1, 5, 9]),
    expected: 5,
  },
  {
    name: 'scaleDown with MinReplicas limitation, large pod policy and events',
    current: 100,
    desired: 0,
    min: 5,
    max: 1000,
    down: rules(130, 120, 0, 0, 300),
    downs: uniform([1, 5, 9]),
    expected: 5,
  },
  // 100% removal always reaches 0, limited by min.
  {
    name: 'scaleDown with MinReplicas limitation, large percent policy and events',
    current: 100,
    desired: 2,
    min: 5,
    max: 1000,
    down: rules(0, 0, 100, 120, 300),
    downs: uniform([1, 5, 9]),
    expected: 5,
  },
  {
    name: 'scaleDown with pod policy limitation and previous events',
    current: 100,
    desired: 2,
    min: 1,
    max: 1000,
    down: rules(5, 120, 0, 0, 300),
    downs: uniform([1, 5, 9]),
    expected: 100,
  }, // 100 + 15 - 5 > 100
  {
    name: 'scaleDown with percent policy limitation and previous events',
    current: 100,
    desired: 0,
    min: 1,
    max: 1000,
    down: rules(0, 0, 50, 120, 300),
    downs: uniform([2, 4, 6]),
    expected: 56,
  }, // (100 + 12) x 50%
  // (100 + 30) - 10% = 117 > 100: keep 100.
  {
    name: 'scaleDown with previous events preventing further scale down',
    current: 100,
    desired: 0,
    min: 1,
    max: 1000,
    down: rules(0, 0, 10, 120, 300),
    downs: uniform([10, 10, 10]),
    expected: 100,
  },
  // (10 + 30) - 1000% = -360 < 5: the desired 5 stands.
  {
    name: 'scaleDown with previous events still allowing more scale down',
    current: 10,
    desired: 5,
    min: 1,
    max: 1000,
    down: rules(0, 0, 1000, 120, 300),
    downs: uniform([10, 10, 10]),
    expected: 5,
  },
  {
    name: "'outdated' events for one behavior, up",
    current: 100,
    desired: 200,
    min: 1,
    max: 1000,
    up: rules(1000, 60, 0, 0),
    ups: uniform([8, 12, 9, 11]),
    expected: 200,
  },
  {
    name: 'events for two up policies with different periods',
    current: 100,
    desired: 200,
    min: 1,
    max: 1000,
    up: rules(1000, 120, 100, 60),
    ups: uniform([8, 12, 9, 11]),
    expected: 200,
  },
  {
    name: "'outdated' events for one behavior, down",
    current: 100,
    desired: 5,
    min: 1,
    max: 1000,
    down: rules(1000, 60, 0, 0, 300),
    downs: uniform([8, 12, 9, 11]),
    expected: 5,
  },
  // Newer controllers count both directions in a period: +10 then -4 within 60 s leave 100 - 10 + 4 = 94 at
  // the period start, so Pods 10 allows 104.
  {
    name: 'scale-up and scale-down events both move the period start',
    current: 100,
    desired: 200,
    min: 1,
    max: 1000,
    up: rules(10, 60, 0, 0),
    ups: [{ at: NOW - 30_000, change: 10 }],
    downs: [{ at: NOW - 10_000, change: 4 }],
    expected: 104,
  },
];

describe('HPA scaling policies (TestScalingWithRules)', () => {
  it.each(cases)('$name', (c) => {
    const events = { scaleUps: c.ups ?? [], scaleDowns: c.downs ?? [] };
    const b = applyBehavior(c.current, c.desired, events, c.up ?? DEFAULT_SCALE_UP, c.down ?? DEFAULT_SCALE_DOWN, NOW);
    expect(Math.min(Math.max(b.replicas, c.min), c.max)).toBe(c.expected);
  });

  it('TestCalculateScaleUpLimitWithScalingRules: Min of +2 pods and +50% from 1 is 2', () => {
    const r: ScalingRules = { ...rules(2, 60, 50, 60, 300), selectPolicy: 'Min' };
    // Pods: 1 + 2 = 3; Percent: ceil(1 x 1.5) = 2; Min picks 2.
    expect(scaleUpLimit(1, { scaleUps: [], scaleDowns: [] }, r, NOW)).toBe(2);
  });

  it('TestCalculateScaleDownLimitWithBehaviors: Min of -2 pods and -50% from 5 is 3', () => {
    const r: ScalingRules = { ...rules(2, 60, 50, 60, 300), selectPolicy: 'Min' };
    // Pods: 5 - 2 = 3; Percent: trunc(5 x 0.5) = 2; the smallest change keeps the highest floor, 3.
    expect(scaleDownLimit(5, { scaleUps: [], scaleDowns: [] }, r, NOW)).toBe(3);
  });
});

/** Replays decisions every `everySeconds`, storing a scale event for each change, as the controller does. */
function replay(start: number, desired: number, down: ScalingRules, decisions: number, everySeconds: number): number[] {
  const counts = [start];
  const downs: ScaleEvent[] = [];
  let current = start;
  for (let k = 1; k <= decisions; k++) {
    const now = NOW + k * everySeconds * 1000;
    const next = applyBehavior(
      current,
      desired,
      { scaleUps: [], scaleDowns: downs },
      DEFAULT_SCALE_UP,
      down,
      now,
    ).replicas;
    if (next < current) downs.push({ at: now, change: current - next });
    current = next;
    counts.push(current);
  }
  return counts;
}

describe('HPA documentation: configurable scaling behavior', () => {
  it('scale-down 4 pods or 10% per minute, Max: 10% above 40 replicas, then 4 at a time', () => {
    const down: ScalingRules = {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 60 },
        { type: 'Percent', value: 10, periodSeconds: 60 },
      ],
    };
    // "if there are 80 replicas and the target has to be scaled down to 10 replicas then during the first
    // step 8 replicas will be reduced. In the next iteration when the number of replicas is 72, 10% of the
    // pods is 7.2 but the number is rounded up to 8" — then 10% (rounded up) while above 40, 4 at a time below.
    expect(replay(80, 10, down, 10, 61)).toEqual([80, 72, 64, 57, 51, 45, 40, 36, 32, 28, 24]);
  });

  it('a decision within the same minute does not remove more', () => {
    const down: ScalingRules = {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
    };
    // 80 -> 72 at +20 s; at +40 s the period still holds that event: its start was 80, 10% of it is used up.
    expect(replay(80, 10, down, 3, 20)).toEqual([80, 72, 72, 72]);
  });

  it('"no more than 5 Pods per minute": 10% and 5 pods with selectPolicy Min', () => {
    const down: ScalingRules = {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Min',
      policies: [
        { type: 'Percent', value: 10, periodSeconds: 60 },
        { type: 'Pods', value: 5, periodSeconds: 60 },
      ],
    };
    // 10% of 80 is 8, 5 pods is 5: Min picks the smaller change. At 40, 10% (4) is the smaller.
    expect(replay(80, 10, down, 9, 61)).toEqual([80, 75, 70, 65, 60, 55, 50, 45, 40, 36]);
  });

  it('selectPolicy Disabled forbids the direction', () => {
    const disabled: ScalingRules = { ...DEFAULT_SCALE_DOWN, selectPolicy: 'Disabled' };
    expect(applyBehavior(10, 2, { scaleUps: [], scaleDowns: [] }, DEFAULT_SCALE_UP, disabled, NOW).replicas).toBe(10);
    const noUp: ScalingRules = { ...DEFAULT_SCALE_UP, selectPolicy: 'Disabled' };
    expect(applyBehavior(10, 20, { scaleUps: [], scaleDowns: [] }, noUp, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(10);
  });

  it('default behavior: up max(+100%, +4) per 15 s, down 100% per 15 s', () => {
    const none = { scaleUps: [], scaleDowns: [] };
    // From 1: +100% is 2, +4 is 5 -> 5. From 10: 20 vs 14 -> 20.
    expect(applyBehavior(1, 50, none, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(5);
    expect(applyBehavior(10, 50, none, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(20);
    expect(applyBehavior(10, 0, none, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(0);
    // Ten seconds after +4 from 1: the period started at 1, so still 5; sixteen seconds after, 10.
    const afterUp = { scaleUps: [{ at: NOW - 10_000, change: 4 }], scaleDowns: [] };
    expect(applyBehavior(5, 50, afterUp, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(5);
    const later = { scaleUps: [{ at: NOW - 16_000, change: 4 }], scaleDowns: [] };
    expect(applyBehavior(5, 50, later, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(10);
  });
});

describe('a decision minutes after the last: the HPA syncs since then (every 15 s)', () => {
  const none: BehaviorEvents = { scaleUps: [], scaleDowns: [] };
  const up = (current: number, desired: number, sinceSeconds: number, events: BehaviorEvents = none) =>
    applyBehavior(current, desired, events, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW, NOW - sinceSeconds * 1000)
      .replicas;

  it('one sync when the previous decision is not known or within one sync', () => {
    // The code hour's alarm: 3 nodes, 709 requests/s needing 19. One sync: max(+100%, +4) = 7.
    expect(applyBehavior(3, 19, none, DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN, NOW).replicas).toBe(7);
    expect(up(3, 19, 10)).toBe(7);
    expect(up(3, 19, HPA_SYNC_PERIOD_SECONDS)).toBe(7);
    expect(scaleUpLimitSince(3, 19, none, DEFAULT_SCALE_UP, NOW, Number.NaN)).toBe(7);
    expect(scaleUpLimitSince(3, 19, none, DEFAULT_SCALE_UP, NOW, NOW + 60_000)).toBe(7);
  });

  it('compounds over the syncs since the previous decision: 3 -> 7 -> 14 -> 28', () => {
    expect(up(3, 19, 30)).toBe(14);
    expect(up(3, 19, 44)).toBe(14);
    expect(up(3, 19, 45)).toBe(19);
    expect(up(3, 100, 60)).toBe(56);
    // A minute of syncs from 1: +4 (5), +100% (10), 20, 40.
    expect(up(1, 1000, 60)).toBe(40);
  });

  it("a scale event of the last period still counts against the first of the syncs' periods", () => {
    // +4 ten seconds before the previous decision 15 s ago: at the one sync since, the 15 s period started
    // at 1 (the event 25 s ago is outside it): 10. Had the decision been 5 s ago: the period holds it, 5.
    expect(up(5, 50, 15, { scaleUps: [{ at: NOW - 25_000, change: 4 }], scaleDowns: [] })).toBe(10);
    expect(up(5, 50, 5, { scaleUps: [{ at: NOW - 10_000, change: 4 }], scaleDowns: [] })).toBe(5);
  });

  it('a scale-down is one sync whatever the time since: 10% per minute takes 80 to 72, ten minutes after', () => {
    const down: ScalingRules = {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
    };
    const r = applyBehavior(80, 10, none, DEFAULT_SCALE_UP, down, NOW, NOW - 600_000);
    expect(r.replicas).toBe(72);
  });

  it('Disabled stays disabled however long since', () => {
    const noUp: ScalingRules = { ...DEFAULT_SCALE_UP, selectPolicy: 'Disabled' };
    expect(applyBehavior(10, 20, none, noUp, DEFAULT_SCALE_DOWN, NOW, NOW - 3_600_000).replicas).toBe(10);
  });

  it('property: never below one sync, never above the desired count, never less for a longer time since', () => {
    const policy = fc.record({
      type: fc.constantFrom('Pods' as const, 'Percent' as const),
      value: fc.integer({ min: 1, max: 200 }),
      periodSeconds: fc.integer({ min: 1, max: 600 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(policy, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('Max' as const, 'Min' as const),
        fc.array(fc.record({ ago: fc.integer({ min: 1, max: 900 }), change: fc.integer({ min: 1, max: 8 }) }), {
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 3600 }),
        fc.integer({ min: 0, max: 3600 }),
        (current, extra, policies, selectPolicy, evs, a, b) => {
          const rules: ScalingRules = { stabilizationWindowSeconds: 0, selectPolicy, policies };
          const desired = current + extra;
          const [short, long] = a <= b ? [a, b] : [b, a];
          // Scale events are recorded by decisions: none after the previous one.
          const events = {
            scaleUps: evs.map((e) => ({ at: NOW - (long + e.ago) * 1000, change: e.change })),
            scaleDowns: [],
          };
          const one = Math.min(desired, Math.max(current, scaleUpLimit(current, events, rules, NOW)));
          const at = (s: number) =>
            Math.min(desired, scaleUpLimitSince(current, desired, events, rules, NOW, NOW - s * 1000));
          expect(at(short)).toBeGreaterThanOrEqual(one);
          expect(at(long)).toBeGreaterThanOrEqual(at(short));
          expect(at(long)).toBeLessThanOrEqual(desired);
        },
      ),
    );
  });
});
