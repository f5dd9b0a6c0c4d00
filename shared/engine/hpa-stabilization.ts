/**
 * Kubernetes HPA stabilization windows (`stabilizeRecommendationWithBehaviors` in
 * pkg/controller/podautoscaler/horizontal.go; "Stabilization window" in the HPA documentation).
 *
 * Over the recommendations of the scale-up window the HPA takes the lowest, over those of the scale-down
 * window the highest (the new recommendation included in both), and moves the current count only as far as
 * both allow: a scale-up needs every recommendation of the up window to be above the current count, a
 * scale-down every recommendation of the down window to be below it. Defaults: up 0 s, down 300 s.
 */
import type { TimedRecommendation } from './history.ts';

export interface StabilizeInput {
  current: number;
  /** The new, unstabilized recommendation. */
  desired: number;
  recommendations: readonly TimedRecommendation[];
  now: number;
  upWindowSeconds: number;
  downWindowSeconds: number;
}

export function stabilize(input: StabilizeInput): number {
  const { current, desired, recommendations, now } = input;
  const upCutoff = now - input.upWindowSeconds * 1000;
  const downCutoff = now - input.downWindowSeconds * 1000;
  let upRecommendation = desired;
  let downRecommendation = desired;
  for (const rec of recommendations) {
    if (rec.at > upCutoff) upRecommendation = Math.min(rec.replicas, upRecommendation);
    if (rec.at > downCutoff) downRecommendation = Math.max(rec.replicas, downRecommendation);
  }
  let recommendation = current;
  if (recommendation < upRecommendation) recommendation = upRecommendation;
  if (recommendation > downRecommendation) recommendation = downRecommendation;
  return recommendation;
}
