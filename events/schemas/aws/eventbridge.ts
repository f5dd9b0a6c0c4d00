import { z } from 'zod';
import type { Cloud } from '../../../shared/domain/types.ts';
import { awsAccountId, awsRegion, identifier, isoTime, MAX_EVENT_ID_LENGTH } from '../../fields.ts';

/**
 * The EventBridge envelope every AWS event (and every event a forwarder puts on the bus) arrives in. Each
 * source schema extends it with a literal `source`, its `detail-type` values and a `detail` schema.
 *
 * Variants seen in real payloads and accepted here: no `version` (scheduled events, the EC2 state-change
 * docs), `replay-name` (replayed events), `resources` as one string instead of an array (interruptible
 * Capacity Reservation docs). The Capacity Block docs spell `detail_type` and `customer_event_id`: the router
 * reads those as `detail-type` and `id` and reports errors under the documented names.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21",
 *   "detail-type": "EC2 Spot Instance Interruption Warning",
 *   "source": "aws.ec2",
 *   "account": "731482956104",
 *   "time": "2025-03-04T10:15:00Z",
 *   "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1a:instance/i-0a1b2c3d4e5f60718"],
 *   "detail": { "instance-id": "i-0a1b2c3d4e5f60718", "instance-action": "terminate" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export const EventBridgeSchema = z.object({
  version: z.string().optional(),
  id: identifier('an event id', undefined, MAX_EVENT_ID_LENGTH),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: awsAccountId,
  time: isoTime(),
  region: awsRegion,
  resources: z.union([z.array(z.string()), z.string().transform((s) => [s])], {
    error: 'an array of resource ARNs',
  }),
  detail: z.record(z.string(), z.unknown()),
  'replay-name': z.string().optional(),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeSchema>;

/** An EventBridge schema for one source, its detail-type(s) and its `detail`. */
export function eventBridge<const DT extends readonly [string, ...string[]], D extends z.ZodType>(
  source: string,
  detailTypes: DT,
  detail: D,
) {
  return EventBridgeSchema.extend({
    'detail-type': z.enum(detailTypes),
    source: z.literal(source),
    detail,
  });
}

/** The fields every signal built from an EventBridge event starts with. */
export const base = (e: EventBridgeEvent) => ({ eventId: e.id, source: e.source, time: e.time });
export const aws = (e: EventBridgeEvent) => ({ ...base(e), cloud: 'aws' as Cloud, region: e.region });

/**
 * The availability zone in an EC2 instance ARN of an event's `resources`: EC2's spot and rebalance events
 * write it where a region would be (`arn:aws:ec2:us-east-1a:instance/i-0abc...`). Undefined otherwise.
 */
export function zoneOfInstance(e: EventBridgeEvent, instanceId: string): string | undefined {
  for (const arn of e.resources) {
    const m = /^arn:aws[\w-]*:ec2:([a-z]{2}(?:-[a-z]+)+-\d+[a-z]):[^:]*:?instance\/(i-[0-9a-f]+)$/.exec(arn);
    if (m && m[2] === instanceId) return m[1];
  }
  return undefined;
}
