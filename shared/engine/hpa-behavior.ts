/**
 * Kubernetes HPA scaling policies (`behavior.scaleUp/scaleDown.policies`, "Configurable scaling behavior").
 *
 * Mirrors `calculateScaleUpLimitWithScalingRules` and `calculateScaleDownLimitWithBehaviors` in
 * pkg/controller/podautoscaler/horizontal.go: for each policy, the replica count at the start of its period
 * is the current count minus what was added plus what was removed by the scale events of that period; a
 * Pods policy allows `value` replicas more (fewer) than that, a Percent policy `value`% of it (rounded up on
 * the way up, truncated on the way down). `selectPolicy: Max` takes the policy allowing the largest change,
 * `Min` the smallest, `Disabled` forbids the direction. A limit that would move against the direction
 * (too many recent events) keeps the current count (`convertDesiredReplicasWithBehaviorRate`).
 */
import type { ScalingRules } from '../domain/types.ts';
import { changeInPeriod, type ScaleEvent } from './history.ts';

export interface BehaviorEvents {
  scaleUps: readonly ScaleEvent[];
  scaleDowns: readonly ScaleEvent[];
}

const periodStart = (current: number, events: BehaviorEvents, periodSeconds: number, now: number): number =>
  current - changeInPeriod(events.scaleUps, periodSeconds, now) + changeInPeriod(events.scaleDowns, periodSeconds, now);

/** The highest count a scale-up may reach now. */
export function scaleUpLimit(current: number, events: BehaviorEvents, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const policy of rules.policies) {
    const start = periodStart(current, events, policy.periodSeconds, now);
    const proposed = policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The lowest count a scale-down may reach now. */
export function scaleDownLimit(current: number, events: BehaviorEvents, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  // For a scale-down the smallest change is the highest floor.
  let result = pickMin ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const policy of rules.policies) {
    const start = periodStart(current, events, policy.periodSeconds, now);
    const proposed = policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export interface BehaviorResult {
  replicas: number;
  /** Set when a policy limited the change. */
  limitedBy?: 'scaleUp' | 'scaleDown';
  limit?: number;
}

/** Applies the scaling policies of the direction of `desired` (without min/max, applied later). */
export function applyBehavior(
  current: number,
  desired: number,
  events: BehaviorEvents,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
  now: number,
): BehaviorResult {
  if (desired > current) {
    const limit = Math.max(current, scaleUpLimit(current, events, scaleUp, now));
    return desired > limit ? { replicas: limit, limitedBy: 'scaleUp', limit } : { replicas: desired };
  }
  if (desired < current) {
    const limit = Math.min(current, scaleDownLimit(current, events, scaleDown, now));
    return desired < limit ? { replicas: limit, limitedBy: 'scaleDown', limit } : { replicas: desired };
  }
  return { replicas: desired };
}
