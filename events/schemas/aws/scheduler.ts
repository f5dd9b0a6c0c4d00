import { z } from 'zod';
import type { TickSignal } from '../../../shared/domain/signals.ts';
import { compact } from '../../context.ts';
import { identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';

/**
 * The input our EventBridge Scheduler schedules pass to the tick function (a Lambda templated target). The
 * project chose it: `kind` says what the tick is for, `window` names a business-hours window, and the
 * Scheduler context attributes are substituted into the other fields. An unsubstituted attribute
 * (`<aws.scheduler.scheduled-time>`) is a placeholder, hence malformed. The signal's `eventId` is
 * `<scheduleArn>@<scheduledTime>`: the same for every retry of one invocation (the execution id is not).
 *
 * @example
 * ```json
 * {
 *   "kind": "schedule", "window": "business-hours", "fleetId": "chat",
 *   "scheduleArn": "<aws.scheduler.schedule-arn>", "scheduledTime": "<aws.scheduler.scheduled-time>",
 *   "executionId": "<aws.scheduler.execution-id>", "attemptNumber": "<aws.scheduler.attempt-number>"
 * }
 * ```
 * arrives as
 * ```json
 * {
 *   "kind": "schedule", "window": "business-hours", "fleetId": "chat",
 *   "scheduleArn": "arn:aws:scheduler:us-east-1:731482956104:schedule/gpu-autoscaler/chat-business-hours-open",
 *   "scheduledTime": "2025-03-04T08:00:00Z", "executionId": "c7f1b0e2d3a4f5b6", "attemptNumber": "1"
 * }
 * ```
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
 */
export const SchedulerTickSchema = z.object({
  kind: z.enum(['forecast', 'schedule']),
  window: z.string().min(1).optional(),
  fleetId: identifier('a fleet id').optional(),
  scheduleArn: identifier(
    'an EventBridge Scheduler schedule ARN (arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME)',
    /^arn:aws[\w-]*:scheduler:[a-z0-9-]+:\d{12}:schedule\/[^/]+\/[^/]+$/,
  ),
  scheduledTime: isoTime(),
  executionId: identifier('a Scheduler execution id'),
  attemptNumber: z
    .union([z.number().int().min(1), z.string().regex(/^[1-9]\d*$/)], { error: 'an attempt number (1, 2, ...)' })
    .optional(),
});
export type SchedulerTick = z.infer<typeof SchedulerTickSchema>;

export const schedulerTick: Decoder<typeof SchedulerTickSchema> = {
  schema: SchedulerTickSchema,
  toSignal: (t): TickSignal =>
    compact({
      type: 'tick',
      eventId: `${t.scheduleArn}@${t.scheduledTime}`,
      source: 'aws.scheduler',
      time: t.scheduledTime,
      purpose: t.kind,
      window: t.kind === 'schedule' ? t.window : undefined,
      fleetId: t.fleetId,
    }),
};
