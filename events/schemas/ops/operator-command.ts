import { z } from 'zod';
import { ParseError } from '../../../shared/domain/errors.ts';
import {
  OPERATOR_COMMANDS,
  type OperatorCommandName,
  type OperatorCommandSignal,
} from '../../../shared/domain/signals.ts';
import { compact } from '../../context.ts';
import { addSeconds, identifier, isoTime, parseIsoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from '../aws/eventbridge.ts';

export const OPS_SOURCE = 'autoscaler.ops';
export const OPS_DETAIL_TYPE = 'Operator Command';

/** Commands that change what the autoscaler does: they must say who asked and why. */
export const CHANGING_COMMANDS: ReadonlySet<OperatorCommandName> = new Set([
  'scale',
  'clear-target',
  'pause',
  'resume',
  'drain',
]);

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds in a duration such as `90s`, `30m`, `2h`, `1d`, or undefined. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : undefined;
}

/** Which fields each command needs (besides `actor` and `reason` for the changing ones). */
const NEEDS: Record<OperatorCommandName, readonly ('fleetId' | 'target' | 'node')[]> = {
  status: [],
  plan: [],
  explain: [],
  history: [],
  scale: ['fleetId', 'target'],
  'clear-target': ['fleetId'],
  pause: ['fleetId'],
  resume: ['fleetId'],
  drain: ['node'],
};
const WHAT: Record<string, string> = {
  fleetId: 'a fleet id',
  target: 'a target node count (integer >= 0)',
  node: 'the node to drain (Kubernetes node name or instance id)',
  actor: 'who asks (IAM principal or user name)',
  reason: 'why (free text, kept in the audit log)',
};

/**
 * An operator command: what the ops function and the `autoscaler` CLI take. Strict: an unknown field is an
 * error (a typo must not be ignored). `scale`, `pause`, `resume` and `drain` require `actor` and `reason`;
 * `scale` requires `fleetId` and `target`, `clear-target`/`pause`/`resume` a `fleetId`, `drain` a `node`;
 * `status`, `plan`, `explain` and `history` without a `fleetId` cover every fleet. `history` takes a query:
 * `{ since, until, trigger, actor, limit }` (all optional). `clear-target` removes the fleet's manual target,
 * whichever pool it named.
 * A manual target or a pause may lapse: `expiresAt` (ISO) or `ttl` (`90s`, `30m`, `2h`, `1d`), not both.
 * `time` defaults to `NormalizeContext.now`; `requestId` (else `ops:<command>:<fleet>@<time>`) is the
 * idempotency key. Commands may also arrive on the bus as EventBridge events (`OperatorCommandEventSchema`).
 *
 * @example
 * ```json
 * { "command": "scale", "fleetId": "chat", "poolId": "aws-g5-spot", "target": 6, "ttl": "2h",
 *   "actor": "arn:aws:sts::731482956104:assumed-role/oncall/jdoe", "reason": "launch event traffic", "dryRun": false }
 * ```
 */
export const OperatorCommandSchema = z
  .strictObject({
    command: z.enum(OPERATOR_COMMANDS),
    fleetId: identifier(WHAT.fleetId!).optional(),
    poolId: identifier('a pool id').optional(),
    target: z.number({ error: WHAT.target }).int(WHAT.target).min(0, WHAT.target).optional(),
    reason: z.string().trim().min(1, WHAT.reason).optional(),
    actor: z.string().trim().min(1, WHAT.actor).optional(),
    expiresAt: isoTime().optional(),
    ttl: z
      .string()
      .refine((t) => durationSeconds(t) !== undefined, 'a duration such as 90s, 30m, 2h or 1d')
      .optional(),
    node: identifier(WHAT.node!).optional(),
    dryRun: z.boolean().optional(),
    history: z
      .strictObject({
        since: isoTime().optional(),
        until: isoTime().optional(),
        trigger: z.string().trim().min(1, 'a function or signal type').optional(),
        actor: z.string().trim().min(1, 'who asked').optional(),
        limit: z.number().int('a whole number from 1 to 1000').min(1).max(1000).optional(),
      })
      .optional(),
    requestId: identifier('a request id').optional(),
    time: isoTime().optional(),
  })
  .superRefine((c, ctx) => {
    const missing = (field: string) => ctx.addIssue({ code: 'custom', path: [field], message: WHAT[field]! });
    for (const field of NEEDS[c.command]) if (c[field] === undefined) missing(field);
    if (CHANGING_COMMANDS.has(c.command)) {
      if (c.actor === undefined) missing('actor');
      if (c.reason === undefined) missing('reason');
    }
    if (c.poolId !== undefined && c.fleetId === undefined) missing('fleetId');
    if (c.target !== undefined && c.command !== 'scale')
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'no target: only scale takes one' });
    if (c.node !== undefined && c.command !== 'drain')
      ctx.addIssue({ code: 'custom', path: ['node'], message: 'no node: only drain takes one' });
    for (const field of ['ttl', 'expiresAt'] as const) {
      if (c[field] !== undefined && c.command !== 'scale' && c.command !== 'pause')
        ctx.addIssue({ code: 'custom', path: [field], message: `no ${field}: only scale and pause lapse` });
    }
    if (c.history !== undefined && c.command !== 'history')
      ctx.addIssue({ code: 'custom', path: ['history'], message: 'no history query: only history takes one' });
    const h = c.history;
    if (h?.since !== undefined && h.until !== undefined && Date.parse(h.since) > Date.parse(h.until))
      ctx.addIssue({ code: 'custom', path: ['history', 'since'], message: 'since must not be after until' });
    if (c.ttl !== undefined && c.expiresAt !== undefined)
      ctx.addIssue({ code: 'custom', path: ['ttl'], message: 'either ttl or expiresAt, not both' });
  });
export type OperatorCommand = z.infer<typeof OperatorCommandSchema>;

/** The signal for a parsed command, given the envelope's id and time when it came on the bus. */
export function commandSignal(
  c: OperatorCommand,
  envelope: { eventId?: string; time?: string; now?: string },
): OperatorCommandSignal {
  // `now` as the context gives it may carry an offset: canonical like every time of a signal.
  const now = envelope.now === undefined ? undefined : (parseIsoTime(envelope.now) ?? envelope.now);
  const time = c.time ?? envelope.time ?? now;
  if (time === undefined)
    throw new ParseError(`${OPS_SOURCE} / ${c.command}`, 'time', 'the command time, or NormalizeContext.now');
  const ttl = c.ttl === undefined ? undefined : durationSeconds(c.ttl);
  return compact({
    type: 'operator-command',
    eventId: c.requestId ?? envelope.eventId ?? `ops:${c.command}:${c.fleetId ?? '*'}@${time}`,
    source: OPS_SOURCE,
    time,
    fleetId: c.fleetId,
    poolId: c.poolId,
    command: c.command,
    // Read-only commands may come without an actor; the audit log still needs a name.
    actor: c.actor ?? 'anonymous',
    reason: c.reason,
    target: c.target,
    expiresAt: c.expiresAt ?? (ttl === undefined ? undefined : addSeconds(time, ttl)),
    node: c.node,
    dryRun: c.dryRun,
    history: c.history,
  });
}

export const operatorCommand: Decoder<typeof OperatorCommandSchema> = {
  schema: OperatorCommandSchema,
  toSignal: (c, ctx) => commandSignal(c, { now: ctx.now }),
};

/**
 * An operator command put on the bus (`source: autoscaler.ops`, `detail-type: Operator Command`); the
 * envelope's `id` and `time` are used when the command has no `requestId` or `time`.
 *
 * @example
 * ```json
 * { "version": "0", "id": "1d3f5b7d-9f1b-4f3d-8c7e-9f1b3d5f7b9d", "detail-type": "Operator Command", "source": "autoscaler.ops",
 *   "account": "731482956104", "time": "2025-03-04T12:00:00Z", "region": "us-east-1", "resources": [],
 *   "detail": { "command": "pause", "fleetId": "chat", "ttl": "30m", "actor": "jdoe", "reason": "model rollout" } }
 * ```
 */
export const OperatorCommandEventSchema = eventBridge(OPS_SOURCE, [OPS_DETAIL_TYPE], OperatorCommandSchema);

export const operatorCommandEvent: Decoder<typeof OperatorCommandEventSchema> = {
  schema: OperatorCommandEventSchema,
  toSignal: (e) => commandSignal(e.detail, { eventId: base(e).eventId, time: e.time }),
};
