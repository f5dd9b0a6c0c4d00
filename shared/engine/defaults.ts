/**
 * Defaults of the engine, each from the behaviour it reproduces. Configuration code may use them to fill a
 * policy; the engine uses them where a policy leaves a value out.
 */
import { CAPACITY_DEFAULTS } from '../domain/capacity.ts';
import type { ScalingRules } from '../domain/types.ts';

/** Kubernetes HPA `--horizontal-pod-autoscaler-tolerance`: no change while |ratio - 1| <= 0.1. */
export const DEFAULT_TOLERANCE = 0.1;

/**
 * Kubernetes HPA default scale-up behavior (autoscaling/v2 defaults): no stabilization, and per 15 s the
 * larger of +100% and +4 pods.
 */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};

/**
 * Kubernetes HPA default scale-down behavior: 300 s stabilization (the highest recommendation of the last
 * five minutes), then up to 100% of the replicas may go per 15 s.
 */
export const DEFAULT_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/**
 * Headroom on demand: nodes needed = ceil(rps x (1 + 0.2) / rpsPerNode): the capacity model's `safety_buffer`
 * (1.2), one constant for the model and the engine.
 */
export const DEFAULT_DEMAND_BUFFER = CAPACITY_DEFAULTS.demandBuffer;

/** KEDA's default activation threshold: a fleet at zero activates when a metric is above 0. */
export const DEFAULT_ACTIVATION = 0;

/** Drain deadline when an interruption or a `drain` command gives none (EC2's two-minute spot notice). */
export const DEFAULT_DRAIN_SECONDS = 120;

/**
 * The pods' termination grace a drain leaves before a notice's deadline: Kubernetes' default
 * `terminationGracePeriodSeconds`, 30 s (the Pod API's default; the drain adapter shortens a pod's grace to
 * the time left when it must). Karpenter's interruption design drains through the Eviction API, which honours
 * each pod's grace, and aws-node-termination-handler drains with the pods' own grace by default.
 */
export const DRAIN_POD_GRACE_SECONDS = 30;

/**
 * Margin of a drain's start before its pods' grace: the eviction calls and their retries, and the 5 s the
 * drain keeps between a pod's end of grace and the deadline (`GRACE_MARGIN_SECONDS` of the Kubernetes
 * adapter). A documented choice, not a measured figure.
 */
export const DRAIN_START_MARGIN_SECONDS = 10;

/**
 * How long before its end date an EC2 Capacity Block's capacity is gone: "You can use all the instances you
 * reserved until 30 minutes before the end time of the Capacity Block. With 30 minutes left ... we begin
 * terminating any instances that are running in the Capacity Block" (EC2 User Guide, Capacity Blocks); the
 * expiration warning comes 40 minutes before the end date, 10 minutes before that (Monitor Capacity Blocks using
 * EventBridge). The end date DescribeCapacityReservations and the events give is the block's, not its capacity's.
 */
export const CAPACITY_BLOCK_RECLAIM_SECONDS = 1800;

/**
 * A reservation "about to expire" ends within the fleet's longest time to ready plus this margin (or within
 * the lead time, if that is longer): capacity moves off it early enough for the replacements to be serving
 * before the end. A GPU node is reported ready in about 5 to 16 minutes end to end (KAITO on one A100:
 * 284 s provisioning, 126 s node init, 101 s image pull, 195 s vLLM init, about 12 minutes), so a pool set to
 * the 10-minute default may take 6 minutes more; with the margin a decision that comes one interval late
 * (5 minutes, the forecast schedule) still launches them in time. Running them early costs minutes of the
 * replacements; late, the block's whole load is dropped.
 */
export const RESERVATION_EXIT_MARGIN_SECONDS = 600;

/**
 * Longest time between two decisions of a fleet when no alarm or notice comes: the forecast schedule's
 * period, `rate(5 minutes)` by default (`stacks/settings.ts`). A decision's capacity must last until the
 * nodes the next decision launches are ready: the lead time is the time to ready plus this.
 */
export const DEFAULT_DECISION_INTERVAL_SECONDS = 300;
