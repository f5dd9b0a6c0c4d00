import { z } from 'zod';
import type { TickSignal } from '../../../shared/domain/signals.ts';
import { compact, noop } from '../../context.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';
import { tickRule } from './ticks.ts';

const RULE_ARN = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:rule\/(?:[^/]+\/)?([^/]+)$/;

/**
 * Scheduled Event: an EventBridge rule with a `rate()` or `cron()` expression fired. The rule's ARN (in
 * `resources`) says what the tick is for: see `tickRule` (configuration, else `forecast`/`schedule` in the
 * rule name). A rule that is neither is a no-op. The docs sample has no `version`.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "e1a3c5e7-9b1d-4d3f-8a5c-6e8a0c2e4a6d",
 *   "detail-type": "Scheduled Event", "source": "aws.events",
 *   "account": "731482956104", "time": "2025-03-04T10:00:00Z", "region": "us-east-1",
 *   "resources": ["arn:aws:events:us-east-1:731482956104:rule/gpu-autoscaler-forecast"],
 *   "detail": {}
 * }
 * ```
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export const ScheduledEventSchema = eventBridge('aws.events', ['Scheduled Event'], z.object({})).superRefine(
  (e, ctx) => {
    if (!e.resources.some((r) => RULE_ARN.test(r)))
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 0],
        message: 'the ARN of the EventBridge rule (arn:aws:events:REGION:ACCOUNT:rule/NAME)',
      });
  },
);
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;

export const scheduledEvent: Decoder<typeof ScheduledEventSchema> = {
  schema: ScheduledEventSchema,
  toSignal: (e, ctx) => {
    const rule = e.resources.map((r) => RULE_ARN.exec(r)?.[1]).find((x) => x !== undefined)!;
    const tick = tickRule(rule, ctx);
    if (!tick) return noop(e.source, `scheduled rule ${rule} is neither a forecast nor a schedule tick`, e.id);
    const signal: TickSignal = compact({ type: 'tick', ...base(e), ...tick });
    return signal;
  },
};
