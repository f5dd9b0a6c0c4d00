/**
 * Events: every function starts here, turning a raw event into a typed domain signal.
 *
 * - `normalizeEvent(raw, ctx?)` returns a `Signal` or a `NoOp` and throws a `ParseError` (source, field path,
 *   what was expected) for a malformed event. Unknown but well-formed events (an EventBridge detail-type we
 *   do not act on, an Event Grid event of another type, an audit log of another method) are no-ops with a
 *   reason: acknowledge them, never retry them. A `ParseError` is never worth a retry either.
 * - `safeNormalize(raw, ctx?)` returns `{ success: true, value }` or `{ success: false, error }`.
 * - `parseOperatorCommand(raw, now)` is the ops function's and the CLI's entry for operator commands.
 *
 * One delivery gives one result. Deliveries that batch events (an Event Grid array, a Scheduled Events
 * document with several events) are merged by `combine`: the most urgent signal wins and interruptions of
 * one kind are merged (all instance ids, the earliest deadline). Lambda SQS batches are not read here: call
 * `normalizeEvent(JSON.parse(record.body))` per record to keep per-message failures.
 *
 * Each source has a zod schema in `schemas/<provider>/<source>.ts` (types from `z.infer`, a documented
 * example, the provider's page) and a pure `toSignal`. Parsing does no I/O and reads no clock: the time a
 * payload lacks comes from `ctx.now`. Mapping an instance id to its pool needs the cloud: the functions do it.
 */
import { isParseError, ParseError } from '../shared/domain/errors.ts';
import type { Normalized, OperatorCommandSignal } from '../shared/domain/signals.ts';
import type { NormalizeContext } from './context.ts';
import { findPlaceholder, MAX_ALARM_NAME_LENGTH, MAX_SIGNAL_EVENT_ID_LENGTH } from './fields.ts';
import { parseWith } from './parse.ts';
import { routeEvent } from './router.ts';
import { commandSignal, OPS_SOURCE, OperatorCommandSchema } from './schemas/ops/operator-command.ts';

export type { FleetHints, FleetRef, NormalizeContext, TickRule } from './context.ts';
export { alarmRef, NormalizeContextSchema, resolveFleet } from './context.ts';
export type { Decoder } from './parse.ts';
export { EVENTBRIDGE_ROUTES, findEventBridgeDecoder } from './registry.ts';
export { KNOWN_SHAPES } from './router.ts';
export * from './schemas/aws/autoscaling.ts';
export * from './schemas/aws/capacity-block.ts';
export * from './schemas/aws/capacity-reservation-interruption.ts';
export * from './schemas/aws/cloudwatch-alarm.ts';
export * from './schemas/aws/cloudwatch-alarm-action.ts';
export * from './schemas/aws/ec2-fleet-instance-change.ts';
export * from './schemas/aws/eventbridge.ts';
export * from './schemas/aws/future-capacity-reservation.ts';
export * from './schemas/aws/health.ts';
export * from './schemas/aws/imds-spot-instance-action.ts';
export * from './schemas/aws/instance-state-change.ts';
export * from './schemas/aws/rebalance-recommendation.ts';
export * from './schemas/aws/scheduled-event.ts';
export * from './schemas/aws/scheduler.ts';
export * from './schemas/aws/sns.ts';
export * from './schemas/aws/spot-interruption.ts';
export * from './schemas/azure/event-grid.ts';
export * from './schemas/azure/monitor-alert.ts';
export * from './schemas/azure/scheduled-events.ts';
export * from './schemas/gcp/audit-log.ts';
export * from './schemas/gcp/envelopes.ts';
export * from './schemas/gcp/monitoring-incident.ts';
export * from './schemas/ops/operator-command.ts';
export * from './schemas/autoscaler/drain-command.ts';

/**
 * The longest id a signal may carry, by field: fleet, pool and alarm names are names (a CloudWatch alarm
 * name is at most 255 characters; fleets and pools are named in the configuration, and a tag value is at most
 * 256 on AWS and GCP labels 63), and instance, reservation and event ids are ids (an ARM resource id, the
 * longest, stays under a few hundred characters; a merged Scheduled Events id joins a few GUIDs).
 */
const SIGNAL_ID_LIMITS: ReadonlyArray<readonly [field: string, max: number]> = [
  ['fleetId', MAX_ALARM_NAME_LENGTH],
  ['poolId', MAX_ALARM_NAME_LENGTH],
  ['alarmName', MAX_ALARM_NAME_LENGTH],
  ['eventId', MAX_SIGNAL_EVENT_ID_LENGTH],
  ['instanceIds', 1024],
  ['reservationIds', 1024],
];

/**
 * Every schema bounds and checks the fields it reads, but a signal's ids come from many places (tags,
 * labels, merged documents, operator commands): this last check, on the signal itself, keeps an id that is
 * too long to be real or a documentation placeholder from reaching a decision, whatever field it came from.
 */
function checkSignalIds(n: Normalized): Normalized {
  if (n.type === 'no-op') return n;
  const signal = n as unknown as Record<string, unknown>;
  for (const [field, max] of SIGNAL_ID_LIMITS) {
    const value = signal[field];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    values.forEach((v, i) => {
      if (typeof v !== 'string') return;
      const path = Array.isArray(value) ? `${field}.${i}` : field;
      const source = typeof signal.source === 'string' ? signal.source : 'event';
      if (v.length > max)
        throw new ParseError(source, `(signal) ${path}`, `an id of at most ${max} characters`, {
          received: `${v.length} characters`,
        });
      const p = findPlaceholder(v);
      if (p !== undefined)
        throw new ParseError(source, `(signal) ${path}`, 'a real id, not a documentation placeholder', {
          received: `'${p}'`,
        });
    });
  }
  return n;
}

/** The signal or no-op for a raw event. Throws `ParseError` when the event is malformed. */
export function normalizeEvent(raw: unknown, ctx: NormalizeContext = {}): Normalized {
  return checkSignalIds(routeEvent(raw, ctx, []));
}

export type SafeNormalizeResult = { success: true; value: Normalized } | { success: false; error: ParseError };

/** `normalizeEvent` without throwing for malformed events (other exceptions are bugs and still throw). */
export function safeNormalize(raw: unknown, ctx: NormalizeContext = {}): SafeNormalizeResult {
  try {
    return { success: true, value: normalizeEvent(raw, ctx) };
  } catch (e) {
    if (isParseError(e)) return { success: false, error: e };
    throw e;
  }
}

/**
 * An operator command (the bare `OperatorCommandSchema` object, not an envelope) as a signal. `now` dates a
 * command that has no `time` and anchors its `ttl`. Throws `ParseError` naming the missing or wrong field.
 */
export function parseOperatorCommand(raw: unknown, now?: string): OperatorCommandSignal {
  return commandSignal(parseWith(OperatorCommandSchema, raw, `${OPS_SOURCE} / operator command`), { now });
}
