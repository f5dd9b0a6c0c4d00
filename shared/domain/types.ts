/**
 * The domain model: pools, fleets, policies. Pure data, no I/O, no SDK.
 *
 * A pool is one scalable unit of GPU capacity (an EC2 Fleet, an Auto Scaling group, an EKS node group,
 * an Azure VM scale set, a GCP managed instance group, a Kubernetes Deployment or a Karpenter NodePool).
 * A fleet is the set of pools that serve one workload (a model behind one endpoint).
 */

export const CLOUDS = ['aws', 'azure', 'gcp', 'kubernetes'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const POOL_KINDS = [
  'ec2-fleet',
  'auto-scaling-group',
  'eks-nodegroup',
  'azure-vmss',
  'gcp-mig',
  'gcp-regional-mig',
  'k8s-deployment',
  'karpenter-nodepool',
] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

/** States a warm node waits in (`shared/domain/warm.ts` says which pool kinds offer which). */
export const WARM_STATES = ['stopped', 'hibernated', 'suspended'] as const;
export type WarmState = (typeof WARM_STATES)[number];

/** Block storage a warm node keeps, per cloud (prices in `shared/domain/warm.ts`). */
export const DISK_TYPES = ['gp3', 'premium-ssd', 'standard-ssd', 'pd-balanced', 'pd-ssd'] as const;
export type DiskType = (typeof DISK_TYPES)[number];

/** A pool's warm capacity, resolved (defaults applied, price computed). */
export interface WarmPolicy {
  /** Warm nodes the pool always keeps (beside its running ones). */
  min: number;
  /** Warm nodes the pool keeps at most. */
  max: number;
  state: WarmState;
  /** Seconds from a resume request to a serving node. */
  resumeSeconds: number;
  /**
   * Set when the pool's own resumes took longer than its configuration says (engine/boot-times.ts):
   * `resumeSeconds` is then the `observed` one, the configured one kept here.
   */
  resumeLearned?: { configured: number; observed: number; resumes: number };
  diskType: DiskType;
  diskGb: number;
  /** USD per warm node-hour: its disks only (and, hibernated or suspended, the memory saved on them). */
  hourlyPrice: number;
}

/** Which cloud each pool kind belongs to. EKS node groups and Karpenter NodePools are AWS/Kubernetes. */
export const CLOUD_OF_KIND: Record<PoolKind, Cloud> = {
  'ec2-fleet': 'aws',
  'auto-scaling-group': 'aws',
  'eks-nodegroup': 'aws',
  'azure-vmss': 'azure',
  'gcp-mig': 'gcp',
  'gcp-regional-mig': 'gcp',
  'k8s-deployment': 'kubernetes',
  'karpenter-nodepool': 'kubernetes',
};

export const CAPACITY_TYPES = ['spot', 'on-demand', 'reserved'] as const;
export type CapacityType = (typeof CAPACITY_TYPES)[number];

/** Where a pool lives. `zones` is the set it may place into; zonal kinds have exactly one. */
export interface Location {
  region: string;
  zones: string[];
}

/**
 * One scalable unit of GPU capacity, as configured and as observed.
 * Counts are nodes (VMs), except for `k8s-deployment` where they are replicas (pods).
 */
export interface Pool {
  /** Stable id used in configuration, state and plans, e.g. `aws-g5-spot`. */
  id: string;
  cloud: Cloud;
  kind: PoolKind;
  /** The cloud's own name or id of the resource (fleet id, ASG name, "cluster/nodegroup", VMSS name, MIG name). */
  resource: string;
  location: Location;
  instanceType: string;
  gpuModel: string;
  gpusPerNode: number;
  capacityType: CapacityType;
  /** USD per node-hour for this pool's capacity type (reserved capacity: the marginal price, usually 0). */
  hourlyPrice: number;
  /**
   * A reserved pool's on-demand price (USD per node-hour, from the catalog): what its nodes cost once an
   * On-Demand Capacity Reservation has expired or been cancelled, when they run on at on-demand rates (EC2
   * User Guide, capacity reservations). Absent when the catalog does not know the instance type.
   */
  onDemandHourlyPrice?: number;
  /** Requests per second one node serves at the SLO (from the capacity model, or measured). */
  rpsPerNode: number;
  min: number;
  max: number;
  /** Seconds from a scale-out request to a node that serves traffic (boot, join, image pull, model load). */
  timeToReadySeconds: number;
  /**
   * Set when the pool's own launches took longer than its configuration says (engine/boot-times.ts):
   * `timeToReadySeconds` is then the `observed` one, the configured one kept here.
   */
  timeToReadyLearned?: {
    /** The configured time to ready, seconds. */
    configured: number;
    /** The quantile of the launches' lower bounds, seconds. */
    observed: number;
    /** Launches it is learned from. */
    launches: number;
  };
  /** Observed: the count the cloud was last asked for. */
  desired: number;
  /** Observed: nodes that serve traffic now. */
  ready: number;
  /**
   * Observed, when the adapter knows: instances the cloud has started for the pool (pending, booting or
   * ready, not terminating). Fewer than `desired` means the cloud could not launch the rest (capacity).
   */
  launched?: number;
  /**
   * Whether the pool's adapter can end one chosen instance (and lower the count by one), as observed; absent
   * means it can. A pool that cannot is lowered to its target and its cloud chooses which instance ends.
   */
  removable?: boolean;
  /** Reservation or capacity block this pool draws on, when capacityType is `reserved`. */
  reservationId?: string;
  /** Free-form labels (cluster name, node labels); adapters may use them to find nodes. */
  tags?: Record<string, string>;
  /**
   * Preference over price, as Cluster Autoscaler's priority expander: within a capacity tier, pools of a
   * higher priority are filled first and emptied last; price decides among equals. Default 0.
   */
  priority?: number;
  /** Warm capacity the pool may keep (stopped nodes that resume in `warm.resumeSeconds`), when configured. */
  warm?: WarmPolicy;
  /** Observed, when the pool keeps warm capacity: warm nodes ready to resume, and those still being prepared. */
  warmObserved?: { ready: number; warming: number; target: number };
}

/** A metric-driven target, HPA style: keep `metric` at `target` per node. */
export interface MetricTarget {
  /** e.g. `gpu_utilization` (percent), `queue_depth` (requests per node), `p95_latency_ms`. */
  metric: string;
  /** The desired value per node (AverageValue) or utilization percent. */
  target: number;
  /** Value at or below which a fleet at zero stays at zero (KEDA activation threshold). */
  activation?: number;
}

/** Kubernetes autoscaling/v2 HPAScalingPolicy. */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** Kubernetes autoscaling/v2 HPAScalingRules. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
  /** Per-direction tolerance (fraction). Defaults to `FleetPolicy.tolerance`. */
  tolerance?: number;
}

export interface PlacementPolicy {
  /** Nodes that stay on-demand (or reserved) whatever the spot share (Azure Spot Priority Mix "base"). */
  onDemandBase: number;
  /** Share (0..1) of nodes above the base that may be spot. */
  spotShare: number;
  /** No more than this share (0..1) of the spot nodes in one pool+zone. */
  maxSpotSharePerZone: number;
  /** Seconds an offering stays skipped after an interruption or an insufficient-capacity error. */
  offeringBackoffSeconds: number;
  /** Per-cloud node maxima. */
  maxPerCloud?: Partial<Record<Cloud, number>>;
  /** Clouds this fleet may place on, in no particular order. */
  allowedClouds?: Cloud[];
  /**
   * Replacement consolidation (engine/consolidate.ts): `replace` (the default) replaces a serving node with
   * cheaper nodes of its tier, make-before-break, when they hold what the plan needs; `off` never does.
   */
  consolidation?: 'replace' | 'off';
}

export interface SafetyPolicy {
  /** Largest change in nodes for the whole fleet in one decision. */
  maxStepUp: number;
  maxStepDown: number;
  /** Seconds after a scale-out / scale-in before another one in the same direction. */
  scaleUpCooldownSeconds: number;
  scaleDownCooldownSeconds: number;
  /** USD per hour the fleet may cost at most (sum over pools of target x hourly price). */
  hourlyBudgetUsd?: number;
  /** GPUs the fleet may hold at most (Karpenter's NodePool `limits`, `nvidia.com/gpu`). */
  maxGpus?: number;
  /** How many nodes scale-ins may take away per window (Karpenter's disruption budgets); the strictest wins. */
  disruptionBudgets?: DisruptionBudget[];
}

/** A disruption budget: `nodes` (a count, or a percentage such as `10%`) per `windowSeconds`. */
export interface DisruptionBudget {
  nodes: number | `${number}%`;
  windowSeconds?: number;
}

export interface FleetPolicy {
  minNodes: number;
  maxNodes: number;
  /** HPA tolerance (default 0.1). */
  tolerance: number;
  metrics: MetricTarget[];
  /** Demand is turned into nodes with this buffer (default 0.2 = 20% headroom). */
  demandBuffer: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  placement: PlacementPolicy;
  safety: SafetyPolicy;
  /** Allow scaling to zero nodes when demand is below the activation threshold. */
  scaleToZero: boolean;
  /** What to do when the metrics cannot be read (KEDA's `fallback`). */
  fallback?: FallbackPolicy;
}

/** KEDA's fallback: after `failureThreshold` decisions without metrics, `replicas` nodes (static) or hold. */
export interface FallbackPolicy {
  failureThreshold: number;
  replicas: number;
  behavior: 'static' | 'currentReplicas';
}

export interface Slo {
  /** Latency target for one request, used to pick the batch size. */
  p95LatencyMs: number;
  /** Share of requests that must be served (e.g. 0.995). */
  availability: number;
}

/** The model a fleet serves; the capacity model turns it into throughput per GPU. */
export interface WorkloadModel {
  name: string;
  parametersBillions: number;
  /** Bytes per parameter: 2 for FP16/BF16, 1 for FP8/INT8, 0.5 for INT4, 4 for FP32. */
  bytesPerParam: number;
  /** TFLOPs of compute per generated token (the seed's `compute_per_token_tflops`). */
  computePerTokenTflops: number;
  avgTokensPerRequest: number;
  contextLength: number;
}

export interface Fleet {
  id: string;
  /** The endpoint or Kubernetes Deployment that serves the workload. */
  endpoint?: string;
  workload?: WorkloadModel;
  slo: Slo;
  policy: FleetPolicy;
  pools: Pool[];
  /** The Kubernetes Deployment that follows the fleet's GPUs (one replica per `gpusPerReplica`), if any. */
  deployment?: FleetDeployment;
}

export interface FleetDeployment {
  cluster: string;
  namespace: string;
  name: string;
  gpusPerReplica: number;
}

/** A window in the week during which limits change (business hours, freezes). */
export interface ScheduleWindow {
  name: string;
  /** IANA time zone, e.g. `Europe/Paris`. */
  timeZone: string;
  /** ISO weekdays 1 (Monday) .. 7 (Sunday). */
  days: number[];
  /** `HH:MM` local time, start inclusive, end exclusive; end may be before start to wrap midnight. */
  start: string;
  end: string;
  minNodes?: number;
  maxNodes?: number;
  /** No scale-in during the window. */
  freezeScaleDown?: boolean;
  /** No change at all during the window (except replacing interrupted capacity). */
  freeze?: boolean;
  /** Scale to zero during the window. */
  scaleToZero?: boolean;
}

/** A plain JSON object (not null, not an array): what a raw event or an item of a batch must be to be read. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
