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
import { isParseError, type ParseError } from '../shared/domain/errors.ts';
import type { Normalized, OperatorCommandSignal } from '../shared/domain/signals.ts';
import type { NormalizeContext } from './context.ts';
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

/** The signal or no-op for a raw event. Throws `ParseError` when the event is malformed. */
export function normalizeEvent(raw: unknown, ctx: NormalizeContext = {}): Normalized {
  return routeEvent(raw, ctx, []);
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
