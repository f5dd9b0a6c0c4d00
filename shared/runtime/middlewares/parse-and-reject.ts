/**
 * Middleware: parse the event into a signal, and settle what needs no decision.
 *
 * - a malformed event (ParseError) or one this function does not accept (sent by the wrong rule): recorded
 *   with the reason in the table (`REJECTED#day`), answered `rejected`, never retried; the malformed items of
 *   a batch are recorded one by one and the valid ones go on;
 * - an event the autoscaler does not act on: answered `no-op` with the reason;
 * - else `request.internal.signal` is the signal, and `request.event` becomes it (the idempotency key is its
 *   event id).
 */
import type { AppDeps } from '../../app/deps.ts';
import { routingOf } from '../../config/routing.ts';
import type { AnyTrigger, TriggerResult } from '../../app/triggers/trigger.ts';
import { isParseError } from '../../domain/errors.ts';
import type { NormalizeContext, Normalizer } from '../../domain/routing.ts';
import { isRecord } from '../../domain/types.ts';
import type { AutoscalerMiddleware, AutoscalerRequest } from './request.ts';

/**
 * The normalizer's context: the configuration's routing (alarm names and prefixes, resource names and
 * schedule names -> fleets; resolved once per configuration) and the time the event was received.
 */
export function normalizeContext(deps: AppDeps, now: Date): NormalizeContext {
  return { ...routingOf(deps.resolved), now: now.toISOString() };
}

export interface ParseAndRejectOptions {
  trigger: Pick<AnyTrigger, 'name' | 'accepts'>;
  /** The event normalizer (`events/`'s `normalizeEvent`), given by the function that composes the handler. */
  normalize: Normalizer;
}

/** Stores one rejected event (or item of a batch) with its reason; never retried for what it holds. */
async function rejectItem(deps: AppDeps, fn: string, eventId: string, raw: unknown, reason: string, path?: string) {
  const at = deps.clock().toISOString();
  const record = { at, eventId, fn, reason, ...(path ? { path } : {}) };
  try {
    await deps.store.putRejected({ ...record, raw });
  } catch (e) {
    // A rejection is never retried for what the event holds: if its copy could not be stored, the reason is
    // stored without it. A store that is down fails this second write too, and the event is retried.
    deps.logger.error('rejected event not stored whole; storing the reason only', { eventId, error: String(e) });
    await deps.store.putRejected({ ...record, raw: { notStored: `the event could not be stored: ${String(e)}` } });
  }
  deps.counters?.count('Rejected');
  deps.logger.warn('event rejected', { reason, path, eventId });
}

async function reject(request: AutoscalerRequest, fn: string, reason: string, path?: string): Promise<TriggerResult> {
  const raw = request.event;
  const eventId = isRecord(raw) && typeof raw.id === 'string' ? raw.id : `unknown-${crypto.randomUUID()}`;
  await rejectItem(request.internal.deps!, fn, eventId, raw, reason, path);
  return { status: 'rejected', reason, ...(path ? { path } : {}) };
}

export function parseAndReject({ trigger, normalize }: ParseAndRejectOptions): AutoscalerMiddleware {
  const parseAndRejectBefore = async (request: AutoscalerRequest): Promise<void> => {
    const deps = request.internal.deps!;
    let normalized: ReturnType<Normalizer>;
    try {
      normalized = normalize(request.event, normalizeContext(deps, deps.clock()));
    } catch (e) {
      if (!isParseError(e)) throw e;
      request.internal.settled = await reject(request, trigger.name, e.message, e.path);
      return;
    }
    if (normalized.rejected?.length) {
      // Malformed items of a batch: each is recorded on its own; the valid ones go on.
      const { rejected, ...rest } = normalized;
      normalized = rest as typeof normalized;
      const event = request.event;
      const parent = normalized.eventId ?? (isRecord(event) && typeof event.id === 'string' ? event.id : 'batch');
      for (const r of rejected)
        await rejectItem(deps, trigger.name, r.eventId ?? `${parent}#${r.path}`, r.item, r.reason, r.path);
    }
    if (normalized.type === 'no-op') {
      deps.counters?.count('NoOps');
      deps.logger.info('no-op', { reason: normalized.reason, eventId: normalized.eventId });
      request.internal.settled = { status: 'no-op', reason: normalized.reason };
      return;
    }
    if (!trigger.accepts.includes(normalized.type)) {
      request.internal.settled = await reject(
        request,
        trigger.name,
        `an event of type ${normalized.type} is not for the ${trigger.name} function (check the rule that sent it)`,
      );
      return;
    }
    request.internal.signal = normalized;
    request.event = normalized;
  };
  return { before: parseAndRejectBefore };
}
