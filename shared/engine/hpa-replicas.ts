/**
 * The Kubernetes HPA replica calculator for one metric, on fleet-level averages.
 *
 * Mirrors `calcPlainMetricReplicas` in kubernetes/pkg/controller/podautoscaler/replica_calculator.go:
 *   - usageRatio = currentMetricValue / desiredMetricValue, the value being the average over the nodes that
 *     report it: the ready ones. Nodes still booting report nothing: they are the HPA's "missing pods";
 *   - within the tolerance band (1 - scaleDown.tolerance <= ratio <= 1 + scaleUp.tolerance) nothing changes
 *     (`Tolerances.isWithin`; per-direction tolerances are the HPAConfigurableTolerance fields, KEP-4951);
 *   - with every node reporting, desired = ceil(usageRatio x readyCount) ("Algorithm details" in the HPA
 *     documentation);
 *   - with nodes missing, the HPA is conservative: on a scale-down they count as exactly at target, on a
 *     scale-up as using 0; the ratio is recomputed over all nodes, and the HPA holds when the new ratio
 *     falls within the tolerance, flips the direction, or the new count would move against the direction.
 * With no ready node at all the HPA has no metric for the target and does not scale: the count is held.
 */

export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

/** HPA `Tolerances.isWithin`. */
export const isWithinTolerance = (ratio: number, t: Tolerances): boolean =>
  1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;

export interface MetricReplicasInput {
  /** Current replicas (the fleet's desired count). */
  current: number;
  /** Nodes that serve and report the metric. */
  ready: number;
  /** Average per ready node. */
  value: number;
  /** Target per node (> 0). */
  target: number;
  tolerances: Tolerances;
}

export type MetricOutcome = 'within-tolerance' | 'scaled' | 'missing-hold' | 'no-ready-nodes';

export interface MetricReplicasResult {
  replicas: number;
  /** usageRatio as the HPA computes it (before the unready correction). */
  ratio: number;
  outcome: MetricOutcome;
}

export function metricReplicas(input: MetricReplicasInput): MetricReplicasResult {
  const { current, value, target, tolerances } = input;
  const ready = Math.max(0, input.ready);
  const ratio = value / target;
  if (ready === 0) return { replicas: current, ratio, outcome: 'no-ready-nodes' };

  const missing = Math.max(0, current - ready);
  if (missing === 0) {
    if (isWithinTolerance(ratio, tolerances)) return { replicas: current, ratio, outcome: 'within-tolerance' };
    return { replicas: Math.ceil(ratio * ready), ratio, outcome: 'scaled' };
  }

  // Missing nodes count as at target on the way down, as using 0 on the way up.
  const counted = ready + missing;
  const assumed = ratio < 1 ? missing : 0;
  const newRatio = ratio === 1 ? 1 : (ratio * ready + assumed) / counted;
  if (isWithinTolerance(newRatio, tolerances) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { replicas: current, ratio, outcome: 'missing-hold' };
  }
  const replicas = Math.ceil(newRatio * counted);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) {
    return { replicas: current, ratio, outcome: 'missing-hold' };
  }
  return { replicas, ratio, outcome: 'scaled' };
}

export interface MetricCapacityInput {
  /** Requests/s the fleet can count on once its nodes are ready (booting ones included, leaving ones not). */
  lasting: number;
  /** Requests/s of the nodes that serve and report the metric now. */
  serving: number;
  /** Average per serving node. */
  value: number;
  /** Target per node (> 0). */
  target: number;
  tolerances: Tolerances;
}

export interface MetricCapacityResult {
  /** Requests/s of capacity the metric asks for. */
  rps: number;
  ratio: number;
  outcome: MetricOutcome;
}

/**
 * The same calculator in capacity rather than in nodes, for fleets whose nodes differ (a p5.48xlarge serves
 * ~60 g5.xlarge): the load the serving nodes carry, scaled to the target, is `ratio x serving` requests/s of
 * capacity, which the placement turns into nodes of each pool. Capacity still booting is the HPA's missing
 * pods (at target on the way down, idle on the way up), with the same holds; a hold keeps the capacity that
 * serves now or will, whichever is more (nodes leaving still serve and are replaced). With equal nodes it
 * gives `metricReplicas` x rpsPerNode.
 */
export function metricCapacity(input: MetricCapacityInput): MetricCapacityResult {
  const { lasting, value, target, tolerances } = input;
  const serving = Math.max(0, input.serving);
  const ratio = value / target;
  const hold = Math.max(lasting, serving);
  if (serving <= 0) return { rps: hold, ratio, outcome: 'no-ready-nodes' };
  const missing = lasting - serving;
  if (missing <= 1e-9 * Math.max(1, lasting)) {
    if (isWithinTolerance(ratio, tolerances)) return { rps: hold, ratio, outcome: 'within-tolerance' };
    return { rps: ratio * serving, ratio, outcome: 'scaled' };
  }
  const assumed = ratio < 1 ? missing : 0;
  const newRatio = ratio === 1 ? 1 : (ratio * serving + assumed) / lasting;
  if (isWithinTolerance(newRatio, tolerances) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { rps: hold, ratio, outcome: 'missing-hold' };
  }
  const rps = newRatio * lasting;
  if ((newRatio < 1 && rps > lasting) || (newRatio > 1 && rps < lasting))
    return { rps: hold, ratio, outcome: 'missing-hold' };
  return { rps, ratio, outcome: 'scaled' };
}
