/**
 * The configuration file: fleets, pools, policies, schedules and cloud connections, validated with zod.
 * README.md ("Configuration") documents the format with a full example; `config/demo.json` is a working one.
 */
import { z } from 'zod';
import { CAPACITY_TYPES, CLOUDS, POOL_KINDS } from '../domain/types.ts';
import { DISK_TYPES, WARM_STATES } from '../domain/warm.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (24 h)');
const nonNegInt = z.number().int().min(0);
const posNum = z.number().positive();

export const ScalingPolicySchema = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int().positive(),
  periodSeconds: z.number().int().positive().max(1800),
});

export const ScalingRulesSchema = z.strictObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(ScalingPolicySchema).optional(),
  tolerance: z.number().min(0).max(1).optional(),
});

export const MetricTargetSchema = z.strictObject({
  metric: z.string().min(1),
  target: posNum,
  activation: z.number().min(0).optional(),
});

export const PolicySchema = z.strictObject({
  minNodes: nonNegInt.optional(),
  maxNodes: nonNegInt.optional(),
  tolerance: z.number().min(0).max(1).optional(),
  metrics: z.array(MetricTargetSchema).optional(),
  demandBuffer: z.number().min(0).max(5).optional(),
  scaleUp: ScalingRulesSchema.optional(),
  scaleDown: ScalingRulesSchema.optional(),
  placement: z
    .strictObject({
      onDemandBase: nonNegInt.optional(),
      spotShare: z.number().min(0).max(1).optional(),
      maxSpotSharePerZone: z.number().gt(0).max(1).optional(),
      offeringBackoffSeconds: nonNegInt.optional(),
      maxPerCloud: z.partialRecord(z.enum(CLOUDS), nonNegInt).optional(),
      allowedClouds: z.array(z.enum(CLOUDS)).optional(),
    })
    .optional(),
  safety: z
    .strictObject({
      maxStepUp: z.number().int().positive().optional(),
      maxStepDown: z.number().int().positive().optional(),
      scaleUpCooldownSeconds: nonNegInt.optional(),
      scaleDownCooldownSeconds: nonNegInt.optional(),
      hourlyBudgetUsd: posNum.optional(),
    })
    .optional(),
  scaleToZero: z.boolean().optional(),
});

export const WorkloadSchema = z.strictObject({
  name: z.string().min(1),
  parametersBillions: posNum,
  bytesPerParam: posNum,
  computePerTokenTflops: posNum,
  avgTokensPerRequest: posNum,
  contextLength: z.number().int().positive(),
});

/**
 * Warm capacity (shared/domain/warm.ts): stopped, hibernated or suspended nodes the pool keeps beside its
 * running ones. Only some pool kinds can (the configuration's checks say which).
 */
export const WarmSchema = z.strictObject({
  /** Warm nodes always kept. */
  min: nonNegInt.default(0),
  /** Warm nodes kept at most. */
  max: nonNegInt,
  state: z.enum(WARM_STATES).default('stopped'),
  /** Seconds from a resume request to a serving node; default by state (`DEFAULT_RESUME_SECONDS`). */
  resumeSeconds: z.number().int().positive().max(3600).optional(),
  /** USD per warm node-hour; default: the pool's disk (`diskType`, `diskGb`) at the catalog's price. */
  hourlyPrice: z.number().min(0).optional(),
});

export const PoolSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase id of letters, digits and dashes'),
  kind: z.enum(POOL_KINDS),
  /** The cloud's name for it: fleet id, ASG name, `cluster/nodegroup`, VMSS name, MIG name, `namespace/name`, NodePool. */
  resource: z.string().min(1),
  region: z.string().min(1),
  zones: z.array(z.string().min(1)).min(1),
  instanceType: z.string().min(1),
  capacityType: z.enum(CAPACITY_TYPES),
  min: nonNegInt.default(0),
  max: nonNegInt,
  timeToReadySeconds: z.number().int().positive().default(600),
  /** USD per node-hour; defaults to the catalog's on-demand or spot price (reserved: 0, already paid). */
  hourlyPrice: z.number().min(0).optional(),
  /** Requests/s per node at the SLO; defaults to the capacity model's figure for the fleet's workload. */
  rpsPerNode: posNum.optional(),
  /** Azure `subscriptionId/resourceGroup`, GCP project, Kubernetes context. */
  scope: z.string().min(1).optional(),
  reservationId: z.string().min(1).optional(),
  /** Kubernetes cluster the pool's nodes join (for cordon and drain). */
  cluster: z.string().min(1).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** The node's disk (its OS, image and model weights), for a warm node's price. Default: each cloud's general-purpose SSD. */
  diskType: z.enum(DISK_TYPES).optional(),
  /** GB of disk per node; default `DEFAULT_DISK_GB`. */
  diskGb: z.number().int().positive().max(65536).optional(),
  warm: WarmSchema.optional(),
});

export const AlarmMappingSchema = z.strictObject({
  /** Alarm name (exact) or a prefix ending in `*`. */
  alarm: z.string().min(1),
  fleetId: z.string().min(1),
  poolId: z.string().min(1).optional(),
  /** The metric the alarm watches, as the engine knows it (e.g. `gpu_utilization`). */
  metric: z.string().min(1).optional(),
});

export const FleetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase id of letters, digits and dashes'),
  endpoint: z.string().optional(),
  /** A preset name from the catalog (`llama-3-8b`, ...) or a full workload description. */
  workload: z.union([z.string().min(1), WorkloadSchema]).optional(),
  slo: z
    .strictObject({ p95LatencyMs: posNum.default(15000), availability: z.number().gt(0).max(1).default(0.995) })
    .default({
      p95LatencyMs: 15000,
      availability: 0.995,
    }),
  policy: PolicySchema.default({}),
  pools: z.array(PoolSchema).min(1),
  /** The Kubernetes Deployment that serves the model; scaled with the fleet (one replica per `gpusPerReplica` GPUs). */
  deployment: z
    .strictObject({
      cluster: z.string().min(1),
      namespace: z.string().min(1),
      name: z.string().min(1),
      gpusPerReplica: z.number().int().positive().default(1),
    })
    .optional(),
  /** The metrics query giving the fleet's demand in requests/s (Prometheus), for the forecast. */
  demandQuery: z.string().min(1).optional(),
});

export const ScheduleSchema = z.strictObject({
  name: z.string().min(1),
  fleets: z.array(z.string().min(1)).min(1),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Paris'),
  days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
  start: hhmm,
  end: hhmm,
  minNodes: nonNegInt.optional(),
  maxNodes: nonNegInt.optional(),
  freezeScaleDown: z.boolean().optional(),
  freeze: z.boolean().optional(),
  scaleToZero: z.boolean().optional(),
});

export const CloudsSchema = z.strictObject({
  aws: z
    .strictObject({
      region: z.string().min(1),
      endpoints: z.record(z.string(), z.url()).optional(),
    })
    .optional(),
  azure: z
    .strictObject({
      subscriptionId: z.string().min(1),
      endpoint: z.url().optional(),
    })
    .optional(),
  gcp: z
    .strictObject({
      project: z.string().min(1),
      apiEndpoint: z.string().optional(),
    })
    .optional(),
  kubernetes: z
    .record(
      z.string(),
      z.strictObject({
        /** Name of the secret (SST secret / env var) holding the kubeconfig. */
        kubeconfigSecret: z.string().min(1).optional(),
        server: z.url().optional(),
      }),
    )
    .optional(),
  prometheus: z.strictObject({ url: z.url() }).optional(),
  /**
   * Metrics from CloudWatch GetMetricData instead (used when `prometheus` is absent): the functions' PromQL
   * queries are translated (shared/adapters/cloudwatch documents how). Keys of `metrics` are the query's
   * metric names (`gpu_utilization`, `fleet_rps`, those of a fleet's `demandQuery`).
   */
  cloudwatch: z
    .strictObject({
      /** Default: `clouds.aws.region`, else the function's region. */
      region: z.string().min(1).optional(),
      /** Namespace of metrics without a mapping, read under their own names. */
      namespace: z.string().min(1),
      metrics: z
        .record(
          z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name'),
          z.strictObject({
            namespace: z.string().min(1).optional(),
            metricName: z.string().min(1).optional(),
            /** Query label -> dimension name; labels not listed are dimensions of their own name. */
            labels: z.record(z.string(), z.string().min(1)).optional(),
            /** Every dimension the metric is published with; default: those the query matches. */
            dimensions: z.array(z.string().min(1)).max(30).optional(),
            /** Statistic within a period (`Average` by default, `Sum`, `Maximum`, `p99`...). */
            stat: z.string().min(1).optional(),
            /** Divide by the period: a per-period count (`Sum` of `RequestCount`) read as a rate. */
            perSecond: z.boolean().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const ConfigSchema = z.strictObject({
  /** The JSON Schema editors validate the file with (config/schema.json); not read otherwise. */
  $schema: z.string().optional(),
  version: z.literal(1),
  /** Policy defaults for every fleet; a fleet's own `policy` overrides field by field. */
  defaults: PolicySchema.default({}),
  clouds: CloudsSchema.default({}),
  /** Catalog overrides (prices, new instance types), merged over the built-in catalog. */
  catalog: z.record(z.string(), z.unknown()).optional(),
  fleets: z.array(FleetSchema).min(1),
  alarms: z.array(AlarmMappingSchema).default([]),
  schedules: z.array(ScheduleSchema).default([]),
  forecast: z
    .strictObject({
      /** How much history to read. */
      lookbackHours: z
        .number()
        .int()
        .positive()
        .max(24 * 14)
        .default(48),
      /** The seasonal period (a day). */
      seasonHours: z.number().int().positive().default(24),
      /** Scale in on a forecast too (off by default, as EC2 predictive scaling). */
      scaleIn: z.boolean().default(false),
      stepSeconds: z.number().int().positive().default(300),
    })
    .default({ lookbackHours: 48, seasonHours: 24, scaleIn: false, stepSeconds: 300 }),
  events: z
    .strictObject({ source: z.string().min(1).default('gpu-autoscaler'), busName: z.string().optional() })
    .default({ source: 'gpu-autoscaler' }),
  audit: z.strictObject({ ttlDays: z.number().int().positive().default(90) }).default({ ttlDays: 90 }),
});

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;
export type PoolConfig = z.output<typeof PoolSchema>;
export type FleetConfig = z.output<typeof FleetSchema>;
export type ScheduleConfig = z.output<typeof ScheduleSchema>;
export type PolicyConfig = z.output<typeof PolicySchema>;
