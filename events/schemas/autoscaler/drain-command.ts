import { z } from 'zod';
import type { DrainCommandSignal } from '../../../shared/domain/signals.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../../shared/domain/drain-command.ts';
import { compact } from '../../context.ts';
import {
  identifier,
  isoTime,
  MAX_ALARM_NAME_LENGTH,
  MAX_EVENT_ID_LENGTH,
  MAX_SIGNAL_EVENT_ID_LENGTH,
} from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { eventBridge } from '../aws/eventbridge.ts';

/**
 * A drain handed off by a decision to the drain function (`shared/app/handoff.ts`), on the autoscaler's own
 * bus: a node cordoned by that decision, to drain from its latest safe start. A notice's drain names the
 * instance, its pool and its notice (`instanceId`, `poolId`, `noticeEventId`: the instance is removed once
 * drained when `removeReason` says so); an operator's names the node only (the three absent together).
 * Strict: an unknown field is an error. `commandId` (the decision's event, `#drain#` and the instance or
 * node) is the idempotency key, whatever id EventBridge gave the envelope, so a command published twice acts
 * once.
 *
 * @example
 * ```json
 * { "version": "0", "id": "5c1f0e3a-8b2d-4e6f-9a1b-3c5d7e9f1a2b", "detail-type": "Drain Requested", "source": "autoscaler.drain",
 *   "account": "731482956104", "time": "2025-03-04T10:15:02Z", "region": "us-east-1", "resources": [],
 *   "detail": { "commandId": "0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21#drain#i-0a1b2c3d4e5f60718", "fleetId": "llm-demo",
 *     "decision": { "eventId": "0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21", "at": "2025-03-04T10:15:01.250Z", "fn": "spot-interruption" },
 *     "noticeEventId": "0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21", "cluster": "gpu-demo", "node": "ip-10-0-1-17.ec2.internal",
 *     "instanceId": "i-0a1b2c3d4e5f60718", "poolId": "aws-g5-spot", "deadline": "2025-03-04T10:17:00Z",
 *     "startBy": "2025-03-04T10:16:20Z", "reason": "spot warning", "removeReason": "drained: spot warning" } }
 * ```
 */
export const DrainCommandSchema = z
  .strictObject({
    commandId: identifier('the command id (decision event#drain#instance or node)', undefined, MAX_EVENT_ID_LENGTH),
    fleetId: identifier('a fleet id', undefined, MAX_ALARM_NAME_LENGTH),
    decision: z.strictObject({
      eventId: identifier('the deciding event id', undefined, MAX_SIGNAL_EVENT_ID_LENGTH),
      at: isoTime(),
      fn: identifier('the deciding function', /^[a-z][a-z-]*$/, 64),
    }),
    noticeEventId: identifier("the notice's event id", undefined, MAX_SIGNAL_EVENT_ID_LENGTH).optional(),
    cluster: identifier('a cluster name', undefined, MAX_ALARM_NAME_LENGTH),
    node: identifier('a node name', undefined, 253),
    instanceId: identifier('an instance id', undefined, 1024).optional(),
    poolId: identifier('a pool id', undefined, MAX_ALARM_NAME_LENGTH).optional(),
    deadline: isoTime(),
    startBy: isoTime().optional(),
    reason: z.string().trim().min(1, 'why (the plan action reason)').max(2000),
    removeReason: z.string().trim().min(1, 'why the instance is removed').max(2000).optional(),
  })
  .superRefine((c, ctx) => {
    // A notice's drain names all three; an operator's none.
    const named = [c.instanceId, c.poolId, c.noticeEventId].filter((v) => v !== undefined).length;
    if (named !== 0 && named !== 3)
      for (const field of ['instanceId', 'poolId', 'noticeEventId'] as const)
        if (c[field] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `required with ${['instanceId', 'poolId', 'noticeEventId'].filter((f) => f !== field).join(' and ')} (a notice's drain names all three)`,
          });
    if (c.removeReason !== undefined && c.instanceId === undefined)
      ctx.addIssue({ code: 'custom', path: ['removeReason'], message: 'a removal needs the instance (instanceId)' });
  });
export type DrainCommand = z.infer<typeof DrainCommandSchema>;

/**
 * The command in its EventBridge envelope (`source: autoscaler.drain`, `detail-type: Drain Requested`), as the
 * drain function's rule delivers it; the example above is one.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export const DrainCommandEventSchema = eventBridge(DRAIN_SOURCE, [DRAIN_DETAIL_TYPE], DrainCommandSchema);

export function drainSignal(c: DrainCommand, time: string): DrainCommandSignal {
  return compact({
    type: 'drain-command',
    eventId: c.commandId,
    source: DRAIN_SOURCE,
    time,
    fleetId: c.fleetId,
    poolId: c.poolId,
    decision: c.decision,
    noticeEventId: c.noticeEventId,
    cluster: c.cluster,
    node: c.node,
    instanceId: c.instanceId,
    deadline: c.deadline,
    startBy: c.startBy,
    reason: c.reason,
    removeReason: c.removeReason,
  }) as DrainCommandSignal;
}

export const drainCommandEvent: Decoder<typeof DrainCommandEventSchema> = {
  schema: DrainCommandEventSchema,
  toSignal: (e) => drainSignal(e.detail, e.time),
};
