import { z } from 'zod';
import type { MetricAlarmSignal } from '../../../shared/domain/signals.ts';
import { resolveFleet, withFleet } from '../../context.ts';
import { epochSeconds, identifier, numeric, parseDecimal } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';

export const GCP_MONITORING = 'gcp.monitoring';

const labels = z.record(z.string(), z.string());

/**
 * A Cloud Monitoring incident, as a notification channel of type Pub/Sub (or webhook) sends it (schema
 * version 1.2). `open` is ALARM, `closed` is OK (after ALARM). Threshold conditions are metric alarms; MQL
 * and PromQL conditions are metric math. `observed_value` is text: a number while open, sometimes a sentence
 * once closed (then there is no value). Dimensions are the resource labels overlaid with the metric labels;
 * the policy's user labels (`fleet`, `pool`) map it to a fleet. The `eventId` is `<incident_id>/<state>`.
 *
 * @example
 * ```json
 * {
 *   "version": "1.2",
 *   "incident": { "incident_id": "0.n8k2x4p1r7qz", "scoping_project_id": "gpu-fleet-prod",
 *     "url": "https://console.cloud.google.com/monitoring/alerting/alerts/0.n8k2x4p1r7qz?project=gpu-fleet-prod",
 *     "started_at": 1741083300, "ended_at": null, "state": "open", "summary": "GPU duty cycle ... is above the threshold of 85.000 with a value of 93.400.",
 *     "policy_name": "chat-gpu-duty-cycle-high", "condition_name": "GPU duty cycle > 85%",
 *     "condition": { "name": "projects/gpu-fleet-prod/alertPolicies/1598/conditions/2204", "displayName": "GPU duty cycle > 85%",
 *       "conditionThreshold": { "comparison": "COMPARISON_GT", "thresholdValue": 85, "duration": "120s" } },
 *     "metric": { "type": "agent.googleapis.com/gpu/utilization", "displayName": "GPU utilization", "labels": { "gpu_number": "0" } },
 *     "resource": { "type": "gce_instance", "labels": { "instance_id": "5524190318742290211", "project_id": "gpu-fleet-prod", "zone": "us-central1-a" } },
 *     "metadata": { "system_labels": {}, "user_labels": { "fleet": "chat", "pool": "gcp-l4-spot" } },
 *     "observed_value": "93.400", "threshold_value": "85", "severity": "Warning" }
 * }
 * ```
 * @see https://cloud.google.com/monitoring/support/notification-options#schema-pubsub
 */
export const MonitoringIncidentSchema = z.object({
  version: z.string().regex(/^1\.\d+$/),
  incident: z.object({
    incident_id: identifier('an incident id'),
    policy_name: z.string().min(1),
    condition_name: z.string().optional(),
    state: z.enum(['open', 'closed']),
    started_at: epochSeconds(),
    ended_at: epochSeconds().nullish(),
    summary: z.string().optional(),
    url: z.string().optional(),
    condition: z
      .object({
        conditionThreshold: z.object({ comparison: z.string().optional() }).optional(),
        conditionMonitoringQueryLanguage: z.unknown().optional(),
        conditionPrometheusQueryLanguage: z.unknown().optional(),
      })
      .optional(),
    metric: z
      .object({ type: z.string().min(1), displayName: z.string().optional(), labels: labels.optional() })
      .optional(),
    resource: z.object({ type: z.string(), labels: labels.optional() }).optional(),
    metadata: z.object({ system_labels: labels.optional(), user_labels: labels.optional() }).optional(),
    policy_user_labels: labels.optional(),
    observed_value: z.string().optional(),
    threshold_value: numeric('a threshold (numeric string)').optional(),
  }),
});
export type MonitoringIncident = z.infer<typeof MonitoringIncidentSchema>;

export const monitoringIncident: Decoder<typeof MonitoringIncidentSchema> = {
  schema: MonitoringIncidentSchema,
  toSignal: ({ incident: i }, ctx) => {
    const open = i.state === 'open';
    // Free text when the incident was cancelled ("Incident cancelled because ..."): no value then.
    const value = i.observed_value === undefined ? undefined : parseDecimal(i.observed_value);
    const dimensions = { ...i.resource?.labels, ...i.metric?.labels };
    const math = i.condition?.conditionMonitoringQueryLanguage ?? i.condition?.conditionPrometheusQueryLanguage;
    const signal: MetricAlarmSignal = {
      type: 'metric-alarm',
      eventId: `${i.incident_id}/${i.state}`,
      source: GCP_MONITORING,
      time: open ? i.started_at : (i.ended_at ?? i.started_at),
      cloud: 'gcp',
      alarmName: i.policy_name,
      state: open ? 'ALARM' : 'OK',
      previousState: open ? undefined : 'ALARM',
      alarmKind: math !== undefined ? 'metric-math' : 'metric',
      namespace: i.resource?.type,
      metricName: i.metric?.type,
      value,
      threshold: i.threshold_value,
      comparison: i.condition?.conditionThreshold?.comparison,
      dimensions,
      reason: i.summary,
    };
    const tags = { ...i.metadata?.user_labels, ...i.policy_user_labels };
    return withFleet(signal, resolveFleet(ctx, { alarmName: i.policy_name, dimensions, tags }));
  },
};
