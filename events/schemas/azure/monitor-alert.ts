import { z } from 'zod';
import type { MetricAlarmSignal } from '../../../shared/domain/signals.ts';
import { noop, resolveFleet, withFleet } from '../../context.ts';
import { identifier, isoTime, nameValueList, numeric } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';

export const AZURE_MONITOR = 'azure.monitor';

const MetricCriterionSchema = z.object({
  metricName: z.string().min(1),
  metricNamespace: z.string().optional(),
  operator: z.string().optional(),
  threshold: numeric('a threshold (number or numeric string)').optional(),
  timeAggregation: z.string().optional(),
  dimensions: nameValueList.optional(),
  metricValue: numeric('the metric value (number)').optional(),
  alertSensitivity: z.string().optional(),
});

const EssentialsSchema = z.object({
  alertId: identifier('an Azure Monitor alert id'),
  alertRule: z.string().min(1),
  severity: z.string().optional(),
  signalType: z.string().min(1),
  monitorCondition: z.enum(['Fired', 'Resolved']),
  monitoringService: z.string().optional(),
  alertTargetIDs: z.array(z.string()).optional(),
  configurationItems: z.array(z.string()).optional(),
  originAlertId: z.string().optional(),
  firedDateTime: isoTime(),
  resolvedDateTime: isoTime().optional(),
  description: z.string().optional(),
  essentialsVersion: z.string().optional(),
  alertContextVersion: z.string().optional(),
});

/**
 * An Azure Monitor alert in the common alert schema, as an action group's webhook (or Logic App / Function
 * forwarding it) delivers it. Metric alerts (`signalType: Metric`) become `metric-alarm` signals: Fired is
 * ALARM, Resolved is OK (after ALARM); `DynamicThresholdCriteria` is anomaly detection; the first criterion
 * gives the metric, value and threshold. The alert rule's custom properties (`fleet`, `pool`) map it to a
 * fleet when the rule name is not configured. Log and activity-log alerts are no-ops. The `eventId` is
 * `<alertId>/<monitorCondition>`, so a resolution is not taken for a retry of the firing.
 *
 * @example
 * ```json
 * {
 *   "schemaId": "azureMonitorCommonAlertSchema",
 *   "data": {
 *     "essentials": { "alertId": "/subscriptions/7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d/providers/Microsoft.AlertsManagement/alerts/3b5d7f9b-...",
 *       "alertRule": "chat-gpu-util-high", "severity": "Sev3", "signalType": "Metric", "monitorCondition": "Fired",
 *       "monitoringService": "Platform", "alertTargetIDs": ["/subscriptions/.../virtualMachineScaleSets/chat-nc24-spot"],
 *       "firedDateTime": "2025-03-04T10:15:04.5012345Z", "essentialsVersion": "1.0", "alertContextVersion": "1.0" },
 *     "alertContext": { "conditionType": "SingleResourceMultipleMetricCriteria", "condition": { "windowSize": "PT5M",
 *       "allOf": [{ "metricName": "Percentage CPU", "metricNamespace": "Microsoft.Compute/virtualMachineScaleSets",
 *         "operator": "GreaterThan", "threshold": "80", "timeAggregation": "Average", "dimensions": [], "metricValue": 91.2 }] } },
 *     "customProperties": { "fleet": "chat", "pool": "azure-nc24-spot" }
 *   }
 * }
 * ```
 * @see https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
 */
export const AzureMonitorAlertSchema = z.object({
  schemaId: z.literal('azureMonitorCommonAlertSchema'),
  data: z.object({
    essentials: EssentialsSchema,
    alertContext: z
      .object({
        conditionType: z.string().optional(),
        condition: z.object({ windowSize: z.string().optional(), allOf: z.array(MetricCriterionSchema) }).optional(),
      })
      .nullish(),
    customProperties: z.record(z.string(), z.string()).nullish(),
  }),
});
export type AzureMonitorAlert = z.infer<typeof AzureMonitorAlertSchema>;

export const azureMonitorAlert: Decoder<typeof AzureMonitorAlertSchema> = {
  schema: AzureMonitorAlertSchema,
  toSignal: (a, ctx) => {
    const { essentials: es, alertContext, customProperties } = a.data;
    const eventId = `${es.alertId}/${es.monitorCondition}`;
    if (es.signalType !== 'Metric')
      return noop(AZURE_MONITOR, `${es.signalType} alert ${es.alertRule}: only metric alerts are acted on`, eventId);
    const criterion = alertContext?.condition?.allOf[0];
    const fired = es.monitorCondition === 'Fired';
    const dimensions = criterion?.dimensions ?? {};
    const signal: MetricAlarmSignal = {
      type: 'metric-alarm',
      eventId,
      source: AZURE_MONITOR,
      time: fired ? es.firedDateTime : (es.resolvedDateTime ?? es.firedDateTime),
      cloud: 'azure',
      alarmName: es.alertRule,
      state: fired ? 'ALARM' : 'OK',
      previousState: fired ? undefined : 'ALARM',
      alarmKind: alertContext?.conditionType === 'DynamicThresholdCriteria' ? 'anomaly-detection' : 'metric',
      namespace: criterion?.metricNamespace,
      metricName: criterion?.metricName,
      value: criterion?.metricValue,
      threshold: criterion?.threshold,
      comparison: criterion?.operator,
      dimensions,
      reason: es.description || undefined,
    };
    return withFleet(
      signal,
      resolveFleet(ctx, { alarmName: es.alertRule, dimensions, tags: customProperties ?? undefined }),
    );
  },
};
