import { z } from 'zod';
import type { AlarmState, MetricAlarmSignal } from '../../../shared/domain/signals.ts';
import { compact, type NormalizeContext, noop, resolveFleet, withFleet } from '../../context.ts';
import { alarmName, isoTime, tryJson } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';

export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const satisfies readonly AlarmState[];

const AlarmStateSchema = z.object({
  value: z.enum(ALARM_STATES),
  reason: z.string().optional(),
  /** JSON text: `recentDatapoints`, `threshold`, anomaly bands, or `triggeringAlarms` for composites. */
  reasonData: z.string().optional(),
  timestamp: isoTime(),
  actionsSuppressedBy: z.string().optional(),
  actionsSuppressedReason: z.string().optional(),
});

const AlarmMetricSchema = z.object({
  id: z.string(),
  metricStat: z
    .object({
      metric: z.object({
        namespace: z.string().min(1),
        name: z.string().min(1),
        dimensions: z.record(z.string(), z.string()).optional(),
      }),
      period: z.number().optional(),
      stat: z.string().optional(),
    })
    .optional(),
  expression: z.string().optional(),
  label: z.string().optional(),
  returnData: z.boolean().optional(),
});

/**
 * The alarm as CloudWatch describes it in EventBridge `detail` and in a Lambda alarm action's `alarmData`:
 * metric alarms list one `metricStat`; metric-math alarms add `expression`s; anomaly-detection alarms use
 * `ANOMALY_DETECTION_BAND(...)`; composite alarms have an `alarmRule` and no metrics.
 */
export const AlarmDataSchema = z.object({
  alarmName: alarmName,
  state: AlarmStateSchema,
  previousState: AlarmStateSchema.optional(),
  configuration: z
    .object({
      description: z.string().optional(),
      metrics: z.array(AlarmMetricSchema).optional(),
      alarmRule: z.string().optional(),
      threshold: z.number().optional(),
      comparisonOperator: z.string().optional(),
    })
    .optional(),
});
export type AlarmData = z.infer<typeof AlarmDataSchema>;

/** One metric of an alarm, in a form shared by the EventBridge/Lambda (camelCase) and SNS (PascalCase) shapes. */
export interface AlarmMetric {
  id: string;
  expression?: string;
  label?: string;
  returnData?: boolean;
  metric?: { namespace: string; name: string; dimensions: Record<string, string> };
}

export type AlarmFacts = Pick<MetricAlarmSignal, 'alarmKind' | 'namespace' | 'metricName' | 'dimensions'>;

/** Dimensions shared by the alarm's metrics; a name whose values disagree between metrics is left out. */
function mergeDimensions(metrics: AlarmMetric[]): Record<string, string> {
  const out: Record<string, string> = {};
  const conflicting = new Set<string>();
  for (const m of metrics) {
    for (const [k, v] of Object.entries(m.metric?.dimensions ?? {})) {
      if (k in out && out[k] !== v) conflicting.add(k);
      else out[k] = v;
    }
  }
  for (const k of conflicting) delete out[k];
  return out;
}

/** What kind of alarm it is and what it watches, from its metric list (or its rule, for a composite). */
export function classifyAlarm(metrics: AlarmMetric[], alarmRule?: string): AlarmFacts {
  if (alarmRule !== undefined) return { alarmKind: 'composite', dimensions: {} };
  const stats = metrics.filter((m) => m.metric !== undefined);
  const expressions = metrics.filter((m) => m.expression !== undefined);
  const namespaces = [...new Set(stats.map((m) => m.metric!.namespace))];
  const namespace = namespaces.length === 1 ? namespaces[0] : undefined;
  const dimensions = mergeDimensions(stats);
  if (expressions.some((m) => /ANOMALY_DETECTION_BAND\s*\(/i.test(m.expression!))) {
    return compact({ alarmKind: 'anomaly-detection', namespace, metricName: stats[0]?.metric?.name, dimensions });
  }
  if (expressions.length > 0) {
    const returned = expressions.find((m) => m.returnData !== false) ?? expressions[0]!;
    return compact({ alarmKind: 'metric-math', namespace, metricName: returned.label ?? returned.id, dimensions });
  }
  return compact({ alarmKind: 'metric', namespace, metricName: stats[0]?.metric?.name, dimensions });
}

const ReasonDataSchema = z.object({
  recentDatapoints: z.array(z.number()).optional(),
  threshold: z.number().optional(),
  recentLowerThresholds: z.array(z.number()).optional(),
  recentUpperThresholds: z.array(z.number()).optional(),
});

/**
 * The latest evaluated value and the threshold it was compared with, from `reasonData`. For anomaly
 * detection the threshold is the band edge the value crossed (none while inside the band). Missing or
 * unreadable `reasonData` gives neither: it is informative, not required.
 */
export function valueAndThreshold(reasonData: string | undefined): { value?: number; threshold?: number } {
  const json = reasonData === undefined ? undefined : tryJson(reasonData);
  const parsed = json === undefined ? undefined : ReasonDataSchema.safeParse(json.value);
  if (!parsed?.success) return {};
  const rd = parsed.data;
  const value = rd.recentDatapoints?.at(-1);
  if (rd.threshold !== undefined) return compact({ value, threshold: rd.threshold });
  const lower = rd.recentLowerThresholds?.at(-1);
  const upper = rd.recentUpperThresholds?.at(-1);
  if (value !== undefined && lower !== undefined && value < lower) return { value, threshold: lower };
  if (value !== undefined && upper !== undefined && value > upper) return { value, threshold: upper };
  return compact({ value });
}

const fromCamelCase = (metrics: z.infer<typeof AlarmMetricSchema>[] | undefined) =>
  (metrics ?? []).map(
    (m): AlarmMetric =>
      compact({
        id: m.id,
        expression: m.expression,
        label: m.label,
        returnData: m.returnData,
        metric: m.metricStat && {
          namespace: m.metricStat.metric.namespace,
          name: m.metricStat.metric.name,
          dimensions: m.metricStat.metric.dimensions ?? {},
        },
      }),
  );

/** The metric-alarm signal for an `alarmData`/`detail` object, given the envelope fields. */
export function alarmSignal(
  data: AlarmData,
  envelope: { eventId: string; source: string; time: string },
  ctx: NormalizeContext,
): MetricAlarmSignal {
  const facts = classifyAlarm(fromCamelCase(data.configuration?.metrics), data.configuration?.alarmRule);
  const { value, threshold } = valueAndThreshold(data.state.reasonData);
  const signal: MetricAlarmSignal = {
    type: 'metric-alarm',
    ...envelope,
    cloud: 'aws',
    alarmName: data.alarmName,
    state: data.state.value,
    previousState: data.previousState?.value,
    ...facts,
    value,
    threshold: threshold ?? data.configuration?.threshold,
    comparison: data.configuration?.comparisonOperator,
    reason: data.state.reason,
  };
  return withFleet(signal, resolveFleet(ctx, { alarmName: data.alarmName, dimensions: facts.dimensions }));
}

/**
 * CloudWatch Alarm State Change: an alarm moved between ALARM, OK and INSUFFICIENT_DATA. Covers metric,
 * metric-math, anomaly-detection and composite alarms (see `AlarmDataSchema`).
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "5f1d2c8e-3a4b-4c6d-8e9f-0a1b2c3d4e5f",
 *   "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
 *   "account": "731482956104", "time": "2025-03-04T10:15:00Z", "region": "us-east-1",
 *   "resources": ["arn:aws:cloudwatch:us-east-1:731482956104:alarm:chat-gpu-util-high"],
 *   "detail": {
 *     "alarmName": "chat-gpu-util-high",
 *     "state": { "value": "ALARM", "reason": "Threshold Crossed: ...",
 *       "reasonData": "{\"recentDatapoints\":[91.5],\"threshold\":80.0}", "timestamp": "2025-03-04T10:15:00.120+0000" },
 *     "previousState": { "value": "OK", "timestamp": "2025-03-04T09:40:00.004+0000" },
 *     "configuration": { "metrics": [{ "id": "m1", "returnData": true, "metricStat": {
 *       "metric": { "namespace": "GpuFleet", "name": "GpuUtilization", "dimensions": { "AutoScalingGroupName": "chat-g5-spot" } },
 *       "period": 60, "stat": "Average" } }] }
 *   }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const CloudWatchAlarmStateChangeSchema = eventBridge(
  'aws.cloudwatch',
  ['CloudWatch Alarm State Change'],
  AlarmDataSchema,
);
export type CloudWatchAlarmStateChangeEvent = z.infer<typeof CloudWatchAlarmStateChangeSchema>;

export const cloudWatchAlarmStateChange: Decoder<typeof CloudWatchAlarmStateChangeSchema> = {
  schema: CloudWatchAlarmStateChangeSchema,
  toSignal: (e, ctx) => alarmSignal(e.detail, base(e), ctx),
};

/**
 * CloudWatch Alarm Configuration Change: an alarm was created, updated or deleted. Not acted on (the next
 * state change carries what matters); validated so that a malformed one is reported.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "9c3e1f7a-2b4d-4e6f-8a0b-1c2d3e4f5a6b",
 *   "detail-type": "CloudWatch Alarm Configuration Change", "source": "aws.cloudwatch",
 *   "account": "731482956104", "time": "2025-03-04T09:00:00Z", "region": "us-east-1",
 *   "resources": ["arn:aws:cloudwatch:us-east-1:731482956104:alarm:chat-gpu-util-high"],
 *   "detail": { "alarmName": "chat-gpu-util-high", "operation": "update", "state": { "value": "OK", "timestamp": "2025-03-04T08:59:58.000+0000" } }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const CloudWatchAlarmConfigurationChangeSchema = eventBridge(
  'aws.cloudwatch',
  ['CloudWatch Alarm Configuration Change'],
  z.object({ alarmName: alarmName, operation: z.enum(['create', 'update', 'delete']) }),
);

export const cloudWatchAlarmConfigurationChange: Decoder<typeof CloudWatchAlarmConfigurationChangeSchema> = {
  schema: CloudWatchAlarmConfigurationChangeSchema,
  toSignal: (e) =>
    noop(e.source, `alarm ${e.detail.alarmName} configuration ${e.detail.operation}: not acted on`, e.id),
};
