import { z } from 'zod';
import type { MetricAlarmSignal } from '../../../shared/domain/signals.ts';
import { compact, resolveFleet, withFleet } from '../../context.ts';
import { alarmName, identifier, isoTime, jsonString, nameValueList } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { ALARM_STATES, type AlarmMetric, classifyAlarm } from './cloudwatch-alarm.ts';

const SnsMessageSchema = z.object({
  Type: z.string().optional(),
  MessageId: identifier('an SNS message id'),
  TopicArn: z.string(),
  Subject: z.string().nullish(),
  /** The published message: a CloudWatch alarm, or any event (e.g. an EventBridge event sent to SNS). */
  Message: z.string(),
  Timestamp: isoTime(),
  MessageAttributes: z.record(z.string(), z.unknown()).optional(),
});

/** One record of an SNS notification delivered to Lambda. */
export const SnsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  EventVersion: z.string().optional(),
  EventSubscriptionArn: z.string().optional(),
  Sns: SnsMessageSchema,
});

/**
 * SNS delivering to Lambda: one record (SNS never batches), the payload as JSON text in `Sns.Message`. The
 * router parses the message and normalizes it as an event of its own; CloudWatch alarm messages are read
 * with `CloudWatchAlarmSnsRecordSchema`.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
 */
export const SnsNotificationSchema = z.object({ Records: z.array(z.unknown()).min(1) });

const SnsMetricSchema = z.object({
  Id: z.string(),
  Expression: z.string().optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  MetricStat: z
    .object({
      Metric: z.object({
        Dimensions: nameValueList.optional(),
        MetricName: z.string().min(1),
        Namespace: z.string().min(1),
      }),
      Period: z.number().optional(),
      Stat: z.string().optional(),
    })
    .optional(),
});

/** The alarm message CloudWatch publishes to SNS (`Trigger` describes one metric, or `Metrics` for math). */
export const CloudWatchAlarmMessageSchema = z.object({
  AlarmName: alarmName,
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string(),
  NewStateValue: z.enum(ALARM_STATES),
  NewStateReason: z.string(),
  StateChangeTime: isoTime(),
  Region: z.string(),
  AlarmArn: z.string(),
  OldStateValue: z.enum(ALARM_STATES).optional(),
  AlarmRule: z.string().optional(),
  Trigger: z
    .object({
      MetricName: z.string().optional(),
      Namespace: z.string().optional(),
      Dimensions: nameValueList.optional(),
      Threshold: z.number().optional(),
      ComparisonOperator: z.string().optional(),
      Metrics: z.array(SnsMetricSchema).optional(),
    })
    .optional(),
});

/**
 * A CloudWatch alarm notification through SNS. The message holds no `reasonData`: the value is read from the
 * reason text (`... datapoints [1234.0 (06/03/15 17:43:27)] ...`) when it has one.
 *
 * @example
 * ```json
 * { "Records": [{ "EventSource": "aws:sns", "EventVersion": "1.0",
 *   "EventSubscriptionArn": "arn:aws:sns:us-east-1:731482956104:gpu-alarms:4f1c...",
 *   "Sns": { "Type": "Notification", "MessageId": "b6c3d1e2-...", "TopicArn": "arn:aws:sns:us-east-1:731482956104:gpu-alarms",
 *     "Subject": "ALARM: \"chat-gpu-util-high\" in US East (N. Virginia)",
 *     "Message": "{\"AlarmName\":\"chat-gpu-util-high\",\"NewStateValue\":\"ALARM\",\"OldStateValue\":\"OK\",\"StateChangeTime\":\"2025-03-04T10:15:00.120+0000\",\"Trigger\":{\"MetricName\":\"GpuUtilization\",\"Namespace\":\"GpuFleet\",\"Dimensions\":[{\"value\":\"chat-g5-spot\",\"name\":\"AutoScalingGroupName\"}],\"Threshold\":80.0,\"ComparisonOperator\":\"GreaterThanThreshold\"}, ...}",
 *     "Timestamp": "2025-03-04T10:15:00.150Z" } }] }
 * ```
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
export const CloudWatchAlarmSnsRecordSchema = SnsRecordSchema.extend({
  Sns: SnsMessageSchema.extend({ Message: jsonString(CloudWatchAlarmMessageSchema) }),
});
export type CloudWatchAlarmSnsRecord = z.infer<typeof CloudWatchAlarmSnsRecordSchema>;

const FIRST_DATAPOINT = /datapoints? \[([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/;

export const cloudWatchAlarmSns: Decoder<typeof CloudWatchAlarmSnsRecordSchema> = {
  schema: CloudWatchAlarmSnsRecordSchema,
  toSignal: (record, ctx) => {
    const m = record.Sns.Message;
    const t = m.Trigger;
    const metrics: AlarmMetric[] = t?.Metrics
      ? t.Metrics.map((x) =>
          compact({
            id: x.Id,
            expression: x.Expression,
            label: x.Label,
            returnData: x.ReturnData,
            metric: x.MetricStat && {
              namespace: x.MetricStat.Metric.Namespace,
              name: x.MetricStat.Metric.MetricName,
              dimensions: x.MetricStat.Metric.Dimensions ?? {},
            },
          }),
        )
      : t?.MetricName && t.Namespace
        ? [{ id: 'm1', metric: { namespace: t.Namespace, name: t.MetricName, dimensions: t.Dimensions ?? {} } }]
        : [];
    const facts = classifyAlarm(metrics, m.AlarmRule);
    const datapoint = FIRST_DATAPOINT.exec(m.NewStateReason)?.[1];
    const signal: MetricAlarmSignal = {
      type: 'metric-alarm',
      eventId: record.Sns.MessageId,
      source: 'aws.cloudwatch',
      time: m.StateChangeTime,
      cloud: 'aws',
      alarmName: m.AlarmName,
      state: m.NewStateValue,
      previousState: m.OldStateValue,
      ...facts,
      value: datapoint === undefined ? undefined : Number(datapoint),
      threshold: t?.Threshold,
      comparison: t?.ComparisonOperator,
      reason: m.NewStateReason,
    };
    return withFleet(signal, resolveFleet(ctx, { alarmName: m.AlarmName, dimensions: facts.dimensions }));
  },
};
