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
 *
 * The HPA applies them at each sync, every 15 s; this autoscaler decides on events, often minutes apart. A
 * policy is a rate ("+100% per 15 s"), so a scale-up is allowed what the HPA's syncs since the fleet's previous
 * decision would have allowed with this decision's recommendation, each sync's growth a scale event of the
 * next's periods (`scaleUpLimitSince`): a decision a minute after the last may go four syncs' way, not one.
 * The scale-up that follows a burst's alarm is then held by the safety's max step, not by a limit meant for a
 * controller that looks four times a minute. A scale-down keeps one sync per decision: its stabilization
 * window and the safety's cooldown and max step pace it, and a slower scale-in loses no request.
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

/**
 * Kubernetes' `--horizontal-pod-autoscaler-sync-period` default: the HPA evaluates every 15 s (kube-controller-
 * manager reference; "Horizontal Pod Autoscaling: How does a HorizontalPodAutoscaler work?").
 */
export const HPA_SYNC_PERIOD_SECONDS = 15;

/** At most this many syncs are replayed (an hour's): a longer time since the previous decision counts as an hour. */
const MAX_SYNCS = 240;

/**
 * The highest count a scale-up may reach now when the HPA's syncs since `since` (the previous decision, epoch
 * ms; one sync when it is not known or not earlier) each applied the policies towards `desired`.
 */
export function scaleUpLimitSince(
  current: number,
  desired: number,
  events: BehaviorEvents,
  rules: ScalingRules,
  now: number,
  since: number,
): number {
  const step = HPA_SYNC_PERIOD_SECONDS * 1000;
  const syncs =
    Number.isFinite(since) && since < now ? Math.min(MAX_SYNCS, Math.max(1, Math.floor((now - since) / step))) : 1;
  const scaleUps = [...events.scaleUps];
  let count = current;
  for (let k = syncs - 1; k >= 0; k--) {
    const at = now - k * step;
    const limit = Math.max(count, scaleUpLimit(count, { scaleUps, scaleDowns: events.scaleDowns }, rules, at));
    if (limit >= desired) return limit;
    if (limit === count) continue; // a period still holds earlier growth: a later sync may allow some
    scaleUps.push({ at, change: limit - count });
    count = limit;
  }
  return count;
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
  since = Number.NEGATIVE_INFINITY,
): BehaviorResult {
  if (desired > current) {
    const limit = scaleUpLimitSince(current, desired, events, scaleUp, now, since);
    return desired > limit ? { replicas: limit, limitedBy: 'scaleUp', limit } : { replicas: desired };
  }
  if (desired < current) {
    const limit = Math.min(current, scaleDownLimit(current, events, scaleDown, now));
    return desired < limit ? { replicas: limit, limitedBy: 'scaleDown', limit } : { replicas: desired };
  }
  return { replicas: desired };
}
