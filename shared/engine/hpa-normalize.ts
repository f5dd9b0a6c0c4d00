/**
 * The HPA's normalization of a recommendation (`normalizeDesiredReplicasWithBehaviors` in
 * pkg/controller/podautoscaler/horizontal.go), without min/max (applied with the other hard bounds):
 * first the stabilization windows over the recorded recommendations, then the behavior policies over the
 * recorded scale events. Each step that changes the count says so.
 */
import type { FleetPolicy } from '../domain/types.ts';
import type { FleetHistory } from './history.ts';
import { applyBehavior } from './hpa-behavior.ts';
import { stabilize } from './hpa-stabilization.ts';
import type { Reasons } from './reasons.ts';

export function normalize(
  current: number,
  desired: number,
  history: FleetHistory,
  policy: FleetPolicy,
  now: number,
  reasons: Reasons,
): number {
  const stabilized = stabilize({
    current,
    desired,
    recommendations: history.recommendations,
    now,
    upWindowSeconds: policy.scaleUp.stabilizationWindowSeconds,
    downWindowSeconds: policy.scaleDown.stabilizationWindowSeconds,
  });
  const x = reasons.clip(
    'limit',
    'hpa.stabilized',
    desired,
    stabilized,
    'stabilizationWindowSeconds',
    desired >= current
      ? 'scale-up stabilized: the lowest recommendation of the up window'
      : 'scale-down stabilized: the highest recommendation of the down window',
  );
  const b = applyBehavior(current, x, history, policy.scaleUp, policy.scaleDown, now, history.lastDecision);
  return reasons.clip(
    'limit',
    b.limitedBy === 'scaleUp' ? 'limit.scale-up-rate' : 'limit.scale-down-rate',
    x,
    b.replicas,
    `behavior.${b.limitedBy}`,
    `behavior ${b.limitedBy} policies allow ${b.limit} now`,
  );
}
