/**
 * The configuration file: fleets, pools, policies, schedules and cloud connections, validated with zod.
 * README.md ("Configuration") documents the format with a full example; `config/demo.json` is a working one.
 */
import { z } from 'zod';
import { GUID } from '../domain/names.ts';
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
  minNodes: nonNegInt.optional().meta({ description: 'Fewest nodes of the fleet (HPA minReplicas).' }),
  maxNodes: nonNegInt.optional().meta({ description: 'Most nodes of the fleet (HPA maxReplicas).' }),
  tolerance: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .meta({ description: 'No change while the ratio to the target is within this (HPA: 0.1).' }),
  metrics: z
    .array(MetricTargetSchema)
    .optional()
    .meta({ description: 'Metric targets, HPA style: ceil(current * value / target) per metric.' }),
  demandBuffer: z
    .number()
    .min(0)
    .max(5)
    .optional()
    .meta({ description: 'Capacity kept above the demand, as a fraction (0.2 = 20%).' }),
  scaleUp: ScalingRulesSchema.optional().meta({
    description: 'HPA behavior.scaleUp: stabilization and rate policies.',
  }),
  scaleDown: ScalingRulesSchema.optional().meta({
    description: 'HPA behavior.scaleDown: stabilization and rate policies.',
  }),
  placement: z
    .strictObject({
      onDemandBase: nonNegInt.optional(),
      spotShare: z.number().min(0).max(1).optional(),
      maxSpotSharePerZone: z.number().gt(0).max(1).optional(),
      offeringBackoffSeconds: nonNegInt.optional(),
      maxPerCloud: z.partialRecord(z.enum(CLOUDS), nonNegInt).optional(),
      allowedClouds: z.array(z.enum(CLOUDS)).optional(),
      consolidation: z.enum(['replace', 'off']).optional().meta({
        description:
          'replace (default): a serving node is replaced by cheaper nodes of its tier, make-before-break, when they hold what the plan needs; off: never.',
      }),
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
  behavior: z
    .strictObject({ scaleUp: ScalingRulesSchema.optional(), scaleDown: ScalingRulesSchema.optional() })
    .optional()
    .meta({
      description:
        "Kubernetes HPA's spec.behavior: the same as scaleUp and scaleDown here (give one or the other, not both).",
    }),
  limits: z
    .strictObject({
      gpus: z
        .number()
        .int()
        .positive()
        .optional()
        .meta({ description: "GPUs the fleet may hold at most (Karpenter NodePool limits, 'nvidia.com/gpu')." }),
      hourlyUsd: posNum
        .optional()
        .meta({ description: 'USD per hour the fleet may cost at most (the same as safety.hourlyBudgetUsd).' }),
    })
    .optional()
    .meta({ description: "Karpenter NodePool's spec.limits: hard caps the plan never exceeds." }),
  fallback: z
    .strictObject({
      failureThreshold: z
        .number()
        .int()
        .positive()
        .meta({ description: 'Decisions in a row without any metric before the fallback applies.' }),
      replicas: nonNegInt.meta({ description: 'Nodes to go to (behavior static).' }),
      behavior: z
        .enum(['static', 'currentReplicas'])
        .default('static')
        .meta({ description: 'static: go to replicas (default); currentReplicas: hold the current count.' }),
    })
    .optional()
    .meta({
      description:
        "KEDA's fallback: what to do when the metrics store does not answer or has nothing for the fleet, failureThreshold decisions in a row.",
    }),
  disruption: z
    .strictObject({
      budgets: z
        .array(
          z.strictObject({
            nodes: z
              .union([
                z.number().int().min(0),
                z
                  .string()
                  .regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'a percentage such as 10%')
                  .transform((v) => v as `${number}%`),
              ])
              .meta({
                description:
                  'Nodes a scale-in may take away per window: a count, or a percentage of the fleet (rounded up).',
              }),
            windowSeconds: z
              .number()
              .int()
              .positive()
              .max(86_400)
              .optional()
              .meta({ description: 'The window the nodes are counted over (default 300 s).' }),
          }),
        )
        .min(1),
    })
    .optional()
    .meta({
      description:
        "Karpenter NodePool's spec.disruption.budgets: how many nodes scale-ins may remove per window; the strictest budget wins.",
    }),
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
  min: nonNegInt.default(0).meta({ description: 'Warm nodes always kept.' }),
  /** Warm nodes kept at most. */
  max: nonNegInt.meta({ description: 'Warm nodes kept at most.' }),
  state: z.enum(WARM_STATES).default('stopped'),
  /** Seconds from a resume request to a serving node; default by state (`DEFAULT_RESUME_SECONDS`). */
  resumeSeconds: z.number().int().positive().max(3600).optional().meta({
    description: 'Seconds from a resume request to a serving node; default by state (`DEFAULT_RESUME_SECONDS`).',
  }),
  /** USD per warm node-hour; default: the pool's disk (`diskType`, `diskGb`) at the catalog's price. */
  hourlyPrice: z.number().min(0).optional().meta({
    description: "USD per warm node-hour; default: the pool's disk (`diskType`, `diskGb`) at the catalog's price.",
  }),
});

export const PoolSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase id of letters, digits and dashes')
    .meta({ description: 'The pool id, unique across fleets.' }),
  kind: z.enum(POOL_KINDS).meta({ description: 'What the pool scales (EC2 Fleet, ASG, node group, VMSS, MIG, ...).' }),
  /** The cloud's name for it: fleet id, ASG name, `cluster/nodegroup`, VMSS name, MIG name, `namespace/name`, NodePool. */
  resource: z.string().min(1).meta({
    description:
      "The cloud's name for it: fleet id, ASG name, `cluster/nodegroup`, VMSS name, MIG name, `namespace/name`, NodePool.",
  }),
  region: z.string().min(1),
  zones: z.array(z.string().min(1)).min(1),
  instanceType: z.string().min(1),
  capacityType: z.enum(CAPACITY_TYPES).meta({ description: 'spot, on-demand or reserved.' }),
  min: nonNegInt.default(0).meta({ description: 'Fewest nodes of the pool.' }),
  max: nonNegInt.meta({ description: 'Most nodes of the pool.' }),
  timeToReadySeconds: z.number().int().positive().default(600),
  /** USD per node-hour; defaults to the catalog's on-demand or spot price (reserved: 0, already paid). */
  hourlyPrice: z.number().min(0).optional().meta({
    description: "USD per node-hour; defaults to the catalog's on-demand or spot price (reserved: 0, already paid).",
  }),
  /** Requests/s per node at the SLO; defaults to the capacity model's figure for the fleet's workload. */
  rpsPerNode: posNum.optional().meta({
    description: "Requests/s per node at the SLO; defaults to the capacity model's figure for the fleet's workload.",
  }),
  /** Azure `subscriptionId/resourceGroup`, GCP project, Kubernetes context. */
  scope: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Azure `subscriptionId/resourceGroup`, GCP project, Kubernetes context.' }),
  reservationId: z.string().min(1).optional(),
  /** Kubernetes cluster the pool's nodes join (for cordon and drain). */
  cluster: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Kubernetes cluster the pool's nodes join (for cordon and drain)." }),
  tags: z.record(z.string(), z.string()).optional(),
  /** The node's disk (its OS, image and model weights), for a warm node's price. Default: each cloud's general-purpose SSD. */
  diskType: z.enum(DISK_TYPES).optional().meta({
    description:
      "The node's disk (its OS, image and model weights), for a warm node's price. Default: each cloud's general-purpose SSD.",
  }),
  /** GB of disk per node; default `DEFAULT_DISK_GB`. */
  diskGb: z
    .number()
    .int()
    .positive()
    .max(65536)
    .optional()
    .meta({ description: 'GB of disk per node; default `DEFAULT_DISK_GB`.' }),
  warm: WarmSchema.optional(),
  priority: z.number().int().min(-1000).max(1000).optional().meta({
    description:
      "Cluster Autoscaler's priority expander: within a capacity tier, higher-priority pools are filled first and emptied last; price decides among equals (default 0).",
  }),
});

export const AlarmMappingSchema = z.strictObject({
  /** Alarm name (exact) or a prefix ending in `*`. */
  alarm: z.string().min(1).meta({ description: 'Alarm name (exact) or a prefix ending in `*`.' }),
  fleetId: z.string().min(1),
  poolId: z.string().min(1).optional(),
  /** The metric the alarm watches, as the engine knows it (e.g. `gpu_utilization`). */
  metric: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'The metric the alarm watches, as the engine knows it (e.g. `gpu_utilization`).' }),
  /** With `metric`: the deploy creates this CloudWatch alarm (its metric from `clouds.cloudwatch`). */
  threshold: z.number().optional().meta({
    description: 'With `metric`: the deploy creates this CloudWatch alarm (its metric from `clouds.cloudwatch`).',
  }),
  /** Whether the alarm fires above (default) or below the threshold. */
  comparison: z
    .enum(['above', 'below'])
    .optional()
    .meta({ description: 'Whether the alarm fires above (default) or below the threshold.' }),
  /** Period of the created alarm, seconds (default 60). */
  periodSeconds: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: 'Period of the created alarm, seconds (default 60).' }),
  /** Periods in breach before the created alarm fires (default 3). */
  evaluationPeriods: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: 'Periods in breach before the created alarm fires (default 3).' }),
  /** An SNS topic the alarm notifies: the deploy subscribes the alarm function to it. */
  snsTopicArn: z
    .string()
    .regex(/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'an SNS topic ARN')
    .optional()
    .meta({ description: 'An SNS topic the alarm notifies: the deploy subscribes the alarm function to it.' }),
});

export const FleetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase id of letters, digits and dashes'),
  endpoint: z.string().optional(),
  /** A preset name from the catalog (`llama3-8b`, ...) or a full workload description. */
  workload: z
    .union([z.string().min(1), WorkloadSchema])
    .optional()
    .meta({ description: 'A preset name from the catalog (`llama3-8b`, ...) or a full workload description.' }),
  slo: z
    .strictObject({ p95LatencyMs: posNum.default(15000), availability: z.number().gt(0).max(1).default(0.995) })
    .default({
      p95LatencyMs: 15000,
      availability: 0.995,
    }),
  policy: PolicySchema.default({}).meta({ description: 'Any field of `defaults`, for this fleet.' }),
  pools: z.array(PoolSchema).min(1).meta({ description: 'The node pools the fleet scales.' }),
  /** The Kubernetes Deployment that serves the model; scaled with the fleet (one replica per `gpusPerReplica` GPUs). */
  deployment: z
    .strictObject({
      cluster: z.string().min(1),
      namespace: z.string().min(1),
      name: z.string().min(1),
      gpusPerReplica: z.number().int().positive().default(1),
    })
    .optional(),
  /**
   * The PromQL query giving the fleet's demand in requests/s (Prometheus only), for the forecast and the
   * headroom; default `sum(fleet_rps{fleet="<id>"})`.
   */
  demandQuery: z.string().min(1).optional().meta({
    description:
      'The PromQL query giving the fleet\'s demand in requests/s (Prometheus only), for the forecast and the headroom; default `sum(fleet_rps{fleet="<id>"})`.',
  }),
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
      subscriptionId: z.string().regex(GUID, 'a subscription id (a GUID)'),
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
        kubeconfigSecret: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'Name of the secret (SST secret / env var) holding the kubeconfig.' }),
        server: z.url().optional(),
      }),
    )
    .optional(),
  prometheus: z.strictObject({ url: z.url() }).optional(),
  /**
   * Metrics from CloudWatch GetMetricData instead (used when `prometheus` is absent): the functions' metric
   * queries are read as shared/adapters/cloudwatch documents. Keys of `metrics` are the metric names
   * (`gpu_utilization`, `fleet_rps`); a fleet's PromQL `demandQuery` needs Prometheus.
   */
  cloudwatch: z
    .strictObject({
      /** Default: `clouds.aws.region`, else the function's region. */
      region: z
        .string()
        .min(1)
        .optional()
        .meta({ description: "Default: `clouds.aws.region`, else the function's region." }),
      /** Namespace of metrics without a mapping, read under their own names. */
      namespace: z
        .string()
        .min(1)
        .meta({ description: 'Namespace of metrics without a mapping, read under their own names.' }),
      metrics: z
        .record(
          z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name'),
          z.strictObject({
            namespace: z.string().min(1).optional(),
            metricName: z.string().min(1).optional(),
            /** Query label -> dimension name; labels not listed are dimensions of their own name. */
            labels: z.record(z.string(), z.string().min(1)).optional().meta({
              description: 'Query label -> dimension name; labels not listed are dimensions of their own name.',
            }),
            /** Every dimension the metric is published with; default: those the query matches. */
            dimensions: z
              .array(z.string().min(1))
              .max(30)
              .optional()
              .meta({ description: 'Every dimension the metric is published with; default: those the query matches.' }),
            /** Statistic within a period (`Average` by default, `Sum`, `Maximum`, `p99`...). */
            stat: z
              .string()
              .min(1)
              .optional()
              .meta({ description: 'Statistic within a period (`Average` by default, `Sum`, `Maximum`, `p99`...).' }),
            /** Divide by the period: a per-period count (`Sum` of `RequestCount`) read as a rate. */
            perSecond: z.boolean().optional().meta({
              description: 'Divide by the period: a per-period count (`Sum` of `RequestCount`) read as a rate.',
            }),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const ConfigSchema = z.strictObject({
  /** The JSON Schema editors validate the file with (config/schema.json); not read otherwise. */
  $schema: z
    .string()
    .optional()
    .meta({ description: 'The JSON Schema editors validate the file with (config/schema.json); not read otherwise.' }),
  version: z.literal(1).meta({ description: 'The configuration format version: 1.' }),
  /** Policy defaults for every fleet; a fleet's own `policy` overrides field by field. */
  defaults: PolicySchema.default({}).meta({
    description: "Policy defaults for every fleet; a fleet's own `policy` overrides field by field.",
  }),
  clouds: CloudsSchema.default({}),
  /** Catalog overrides (prices, new instance types), merged over the built-in catalog. */
  catalog: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'Catalog overrides (prices, new instance types), merged over the built-in catalog.' }),
  fleets: z.array(FleetSchema).min(1).meta({ description: 'The GPU fleets: each a model served by pools of nodes.' }),
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
      /**
       * The seasonal period (a day): the forecaster's, and the season the SLO headroom's seasonal level looks
       * back over (it needs `lookbackHours` of at least a season and a lead time to act).
       */
      seasonHours: z.number().int().positive().default(24).meta({
        description:
          "The seasonal period (a day): the forecaster's, and the season the SLO headroom's seasonal level looks back over (it needs lookbackHours of at least a season and a lead time to act).",
      }),
      /** Scale in on a forecast too (off by default, as EC2 predictive scaling). */
      scaleIn: z
        .boolean()
        .default(false)
        .meta({ description: 'Scale in on a forecast too (off by default, as EC2 predictive scaling).' }),
      stepSeconds: z.number().int().positive().default(300),
    })
    .default({ lookbackHours: 48, seasonHours: 24, scaleIn: false, stepSeconds: 300 }),
  events: z
    .strictObject({ source: z.string().min(1).default('gpu-autoscaler'), busName: z.string().optional() })
    .default({ source: 'gpu-autoscaler' }),
  audit: z.strictObject({ ttlDays: z.number().int().positive().default(90) }).default({ ttlDays: 90 }),
  /** How the deploy runs the functions. */
  lambda: z
    .strictObject({
      /**
       * Warm containers of the spot-interruption function (provisioned concurrency): a notice never waits for
       * a cold start. 0 for none (each costs about as much as a container running all the time).
       */
      interruptionProvisionedConcurrency: z.number().int().min(0).max(100).default(1).meta({
        description:
          'Warm containers of the spot-interruption function (provisioned concurrency); 0 for none. Default 1.',
      }),
      /** Fleet decisions of one forecast or schedule tick running at once (SQS maximum concurrency, 2..1000). */
      fleetConcurrency: z.number().int().min(2).max(1000).default(10).meta({
        description: 'Fleet decisions of one forecast or schedule tick running at once (2 to 1000). Default 10.',
      }),
    })
    .default({ interruptionProvisionedConcurrency: 1, fleetConcurrency: 10 })
    .meta({ description: 'How the deploy runs the functions.' }),
});

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;
export type PoolConfig = z.output<typeof PoolSchema>;
export type FleetConfig = z.output<typeof FleetSchema>;
export type ScheduleConfig = z.output<typeof ScheduleSchema>;
export type PolicyConfig = z.output<typeof PolicySchema>;
