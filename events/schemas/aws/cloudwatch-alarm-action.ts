import { z } from 'zod';
import { awsAccountId, awsRegion, identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { AlarmDataSchema, alarmSignal } from './cloudwatch-alarm.ts';

/**
 * A CloudWatch alarm invoking a Lambda function directly as its alarm action. Not an EventBridge envelope:
 * there is no `id` and no `detail-type`; the alarm sits in `alarmData` (same shape as the EventBridge
 * `detail`). The composite-alarm variant has different `alarmArn` and `alarmName`. The signal's `eventId` is
 * `<alarmArn>@<state timestamp>`, stable across Lambda's retries of one invocation.
 *
 * @example
 * ```json
 * {
 *   "source": "aws.cloudwatch",
 *   "alarmArn": "arn:aws:cloudwatch:us-east-1:731482956104:alarm:chat-queue-depth-high",
 *   "accountId": "731482956104", "time": "2025-03-04T10:15:00.120+0000", "region": "us-east-1",
 *   "alarmData": {
 *     "alarmName": "chat-queue-depth-high",
 *     "state": { "value": "ALARM", "reasonData": "{\"recentDatapoints\":[42.0],\"threshold\":20.0}", "timestamp": "2025-03-04T10:15:00.120+0000" },
 *     "previousState": { "value": "OK", "timestamp": "2025-03-04T09:10:00.000+0000" },
 *     "configuration": { "metrics": [{ "id": "m1", "metricStat": { "metric": { "namespace": "GpuFleet", "name": "QueueDepth", "dimensions": { "Fleet": "chat" } }, "period": 60, "stat": "Maximum" }, "returnData": true }] }
 *   }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda
 */
export const CloudWatchAlarmActionSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: identifier('a CloudWatch alarm ARN', /^arn:aws[\w-]*:cloudwatch:/),
  accountId: awsAccountId,
  time: isoTime(),
  region: awsRegion,
  alarmData: AlarmDataSchema,
});
export type CloudWatchAlarmActionEvent = z.infer<typeof CloudWatchAlarmActionSchema>;

export const cloudWatchAlarmAction: Decoder<typeof CloudWatchAlarmActionSchema> = {
  schema: CloudWatchAlarmActionSchema,
  toSignal: (e, ctx) =>
    alarmSignal(
      e.alarmData,
      { eventId: `${e.alarmArn}@${e.alarmData.state.timestamp}`, source: e.source, time: e.time },
      ctx,
    ),
};
