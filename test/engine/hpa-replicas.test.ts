/**
 * The HPA replica calculator on fleet-level averages. Cases come from the Kubernetes documentation
 * ("Algorithm details", the v1.33 configurable-tolerance blog post) and from
 * pkg/controller/podautoscaler/replica_calculator_test.go, translated to one average value per metric
 * (the Go tests give per-pod levels in milli-units; their average is what we pass).
 */
import { describe, expect, it } from 'vitest';
import {
  isWithinTolerance,
  metricCapacity,
  metricReplicas,
  type Tolerances,
} from '../../shared/engine/hpa-replicas.ts';

const tol = (down: number, up: number): Tolerances => ({ scaleDown: down, scaleUp: up });
const DEFAULT = tol(0.1, 0.1);

interface Case {
  name: string;
  current: number;
  ready?: number;
  value: number;
  target: number;
  tolerances?: Tolerances;
  expected: number;
}

const cases: Case[] = [
  // Kubernetes docs, "Algorithm details": current 200m, desired 100m -> the replicas double.
  { name: 'docs: 200m vs 100m doubles the replicas', current: 4, value: 200, target: 100, expected: 8 },
  // Same section: current 50m -> halve.
  { name: 'docs: 50m vs 100m halves the replicas', current: 4, value: 50, target: 100, expected: 2 },
  // Kubernetes v1.33 tolerance blog post: 50 replicas at 90% CPU with a 75% target -> 50 x 90/75 = 60.
  { name: 'blog: 50 replicas at 90% for 75% -> 60', current: 50, value: 90, target: 75, expected: 60 },
  // Ratio 1.05 is within the default 10% tolerance: no change.
  { name: 'default tolerance holds at ratio 1.05', current: 10, value: 105, target: 100, expected: 10 },
  // Ratio 0.9 is exactly on the band's edge (1 - 0.1 <= ratio): held.
  { name: 'edge of the band (0.9) holds', current: 10, value: 90, target: 100, expected: 10 },
  // TestReplicaCalcScaleUpCM: levels 20000, 10000, 30000 (avg 20000) for 15000 -> ceil(3 x 1.333) = 4.
  { name: 'TestReplicaCalcScaleUpCM', current: 3, value: 20000, target: 15000, expected: 4 },
  // TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: avg (50000+10000+30000)/3 = 30000 -> 3 x 2 = 6.
  { name: 'TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale', current: 3, value: 30000, target: 15000, expected: 6 },
  // TestReplicaCalcScaleDownCM: 5 x 12000/20000 = 3.
  { name: 'TestReplicaCalcScaleDownCM', current: 5, value: 12000, target: 20000, expected: 3 },
  // TestReplicaCalcToleranceCM: avg 20666 for 20000 = 1.033, within 10%.
  { name: 'TestReplicaCalcToleranceCM', current: 3, value: 20666, target: 20000, expected: 3 },
  // TestReplicaCalcConfigurableToleranceCM: same, with a 1% scale-up tolerance -> ceil(3 x 1.033) = 4.
  {
    name: 'TestReplicaCalcConfigurableToleranceCM (1% up)',
    current: 3,
    value: 20666,
    target: 20000,
    tolerances: tol(0.1, 0.01),
    expected: 4,
  },
  // TestReplicaCalcConfigurableTolerance "Outside of a 0% tolerance": 101% of 100% -> ceil(3 x 1.01) = 4.
  { name: 'outside a 0% tolerance', current: 3, value: 101, target: 100, tolerances: tol(0, 0), expected: 4 },
  // "Within a 200% scale-up tolerance": 190% of 100% stays.
  {
    name: 'within a 200% scale-up tolerance',
    current: 3,
    value: 190,
    target: 100,
    tolerances: tol(0.1, 2),
    expected: 3,
  },
  // "Outside 8% scale-up tolerance (and superfluous scale-down tolerance)": 109% -> ceil(3.27) = 4.
  {
    name: 'outside an 8% scale-up tolerance',
    current: 3,
    value: 109,
    target: 100,
    tolerances: tol(2, 0.08),
    expected: 4,
  },
  // "Within a 36% scale-down tolerance": 65% stays.
  {
    name: 'within a 36% scale-down tolerance',
    current: 3,
    value: 65,
    target: 100,
    tolerances: tol(0.36, 0.1),
    expected: 3,
  },
  // "Outside a 34% scale-down tolerance": 65% -> ceil(3 x 0.65) = ceil(1.95) = 2.
  {
    name: 'outside a 34% scale-down tolerance',
    current: 3,
    value: 65,
    target: 100,
    tolerances: tol(0.34, 0.1),
    expected: 2,
  },
  // TestReplicaCalcMissingMetrics: 4 replicas, 2 report 24% for 100%. Scaling down, the 2 missing count as
  // at target: (0.24 x 2 + 2) / 4 = 0.62 -> ceil(0.62 x 4) = 3 (without the correction we'd expect 1).
  {
    name: 'TestReplicaCalcMissingMetrics (down, missing at target)',
    current: 4,
    ready: 2,
    value: 24,
    target: 100,
    expected: 3,
  },
  // Scaling up with 2 of 4 booting: they count as 0 -> 150% x 2 / 4 = 0.75 < 1 flips the direction: hold.
  {
    name: 'missing nodes on the way up flip the direction: hold',
    current: 4,
    ready: 2,
    value: 150,
    target: 100,
    expected: 4,
  },
  // 3 of 4 report 200%: (2 x 3) / 4 = 1.5 -> ceil(1.5 x 4) = 6.
  { name: 'missing node on the way up counted as 0', current: 4, ready: 3, value: 200, target: 100, expected: 6 },
  // 9 of 10 report 120%: the booting node pulls the ratio to 1.08, within tolerance: hold (else 11).
  {
    name: 'missing node pulls the ratio into the band: hold',
    current: 10,
    ready: 9,
    value: 120,
    target: 100,
    expected: 10,
  },
  // No node reports: the HPA has no metric and does not scale.
  { name: 'no ready node: hold', current: 3, ready: 0, value: 500, target: 100, expected: 3 },
];

describe('metricReplicas (HPA replica calculator)', () => {
  it.each(cases)('$name', (c) => {
    const r = metricReplicas({
      current: c.current,
      ready: c.ready ?? c.current,
      value: c.value,
      target: c.target,
      tolerances: c.tolerances ?? DEFAULT,
    });
    expect(r.replicas).toBe(c.expected);
  });

  it('isWithin is inclusive on both edges, per direction', () => {
    expect(isWithinTolerance(0.95, tol(0.05, 0))).toBe(true);
    expect(isWithinTolerance(1.0001, tol(0.05, 0))).toBe(false);
    expect(isWithinTolerance(0.949, tol(0.05, 0))).toBe(false);
  });
});

describe('metricCapacity (the calculator in requests/s, for unequal nodes)', () => {
  it.each(cases)('equal nodes of 10 rps: $name gives the replicas x 10', (c) => {
    const r = metricCapacity({
      lasting: c.current * 10,
      serving: (c.ready ?? c.current) * 10,
      value: c.value,
      target: c.target,
      tolerances: c.tolerances ?? DEFAULT,
    });
    // The capacity is not rounded to nodes: the placement does that.
    expect(Math.ceil(r.rps / 10 - 1e-9)).toBe(c.expected);
  });

  it.each([
    // A p5.48xlarge (2290 rps) and two g5.xlarge (39 rps each) at 140% of a 70% target: the load is
    // 2368 x 140/70 = 4736 rps of capacity. Counting nodes as equal would ask ceil(3 x 2) = 6 nodes.
    { name: 'unequal nodes: the load scales, not the count', lasting: 2368, serving: 2368, value: 140, rps: 4736 },
    // Half the target on the same fleet: 1184 rps (the p5 alone serves it; the placement says so).
    { name: 'unequal nodes on the way down', lasting: 2368, serving: 2368, value: 35, rps: 1184 },
    // A reservation ending: 2290 rps serve now but do not last (lasting 78). Within tolerance the capacity
    // that serves now is kept, so its replacement is placed.
    { name: 'ending capacity within tolerance: keep what serves', lasting: 78, serving: 2368, value: 72, rps: 2368 },
    // 2290 rps booting, 78 serving at 150%: the booting capacity counts as idle on the way up,
    // (1.5 x 78) / 2368 < 1 flips the direction: hold the 2368 asked for.
    { name: 'booting capacity on the way up: hold', lasting: 2368, serving: 78, value: 105, rps: 2368 },
    // Nothing serves: no metric to act on, hold.
    { name: 'nothing serving: hold', lasting: 78, serving: 0, value: 500, rps: 78 },
  ])('$name', ({ lasting, serving, value, rps }) => {
    const r = metricCapacity({ lasting, serving, value, target: 70, tolerances: DEFAULT });
    expect(r.rps).toBeCloseTo(rps, 6);
  });
});
