/**
 * Middleware: Powertools idempotency (its own middy middleware) keyed on the signal's event id (and revision), on the state
 * table in sort-key mode: a redelivered event acts once and gets the first answer. Skipped for what was
 * settled before any decision, for read-only commands (asking twice must answer twice) and without a table
 * (the fakes).
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { AnyTrigger } from '../../app/triggers/trigger.ts';
import type { Signal } from '../../domain/signals.ts';
import type { AutoscalerMiddleware, AutoscalerRequest } from './request.ts';

export interface IdempotencyOptions {
  trigger: Pick<AnyTrigger, 'name' | 'readOnly'>;
  /** How long a result is replayed for a redelivered event (s); default an hour (EventBridge retries for up to a day, Lambda async for 6 h, both far apart by then). */
  expiresAfterSeconds?: number;
}

const SKIP = Symbol('idempotency skipped');
/**
 * Set when this request acquired the in-progress record (not a replay, not a refusal). Only the owner may
 * delete it on error: Powertools' middleware (2.35) deletes the record in `onError` whoever holds it, so a
 * duplicate refused while the first delivery runs (`IdempotencyAlreadyInProgressError`) deleted the first
 * one's lock, or its completed record if that was saved in between, and a later retry decided again
 * (aws-powertools/powertools-lambda-typescript#5675, fixed upstream in #5676 after 2.35.0, the newest
 * release on npm). The rule here is that fix's: delete only what this request acquired and has not saved.
 */
const OWNS = Symbol('idempotency record acquired');

export function idempotency(options: IdempotencyOptions): AutoscalerMiddleware {
  let inner: ReturnType<typeof makeHandlerIdempotent> | undefined;
  const skipped = (request: AutoscalerRequest) => (request.internal as Record<symbol, unknown>)[SKIP] === true;
  const readOnly = (signal: Signal) => options.trigger.readOnly?.(signal) ?? false;

  const owned = (request: AutoscalerRequest) => (request.internal as Record<symbol, unknown>)[OWNS] === true;
  const own = (request: AutoscalerRequest, value: boolean) => {
    (request.internal as Record<symbol, unknown>)[OWNS] = value;
  };

  const idempotencyBefore = async (request: AutoscalerRequest) => {
    own(request, false);
    const { deps, signal, settled } = request.internal;
    if (settled || !signal || !deps?.idempotency || readOnly(signal)) {
      (request.internal as Record<symbol, unknown>)[SKIP] = true;
      return;
    }
    inner ??= makeHandlerIdempotent({
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: deps.idempotency.tableName,
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: `idempotency#${options.trigger.name}`,
        expiryAttr: 'expiresAt',
        awsSdkV3Client: deps.idempotency.client,
      }),
      config: new IdempotencyConfig({
        // A document updated in place keeps its id and changes its revision: an update acts, a redelivery not.
        eventKeyJmesPath: '[eventId, revision]',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: options.expiresAfterSeconds ?? 3600,
      }),
    });
    // Throws for a duplicate in progress (nothing acquired); returns the stored answer for a replay (nothing
    // acquired: middy returns it early); returns nothing when this request saved the in-progress record.
    const replay = await (inner.before as (r: AutoscalerRequest) => Promise<unknown>)(request);
    if (replay === undefined) own(request, true);
    return replay as undefined;
  };
  const idempotencyAfter = async (request: AutoscalerRequest) => {
    if (skipped(request)) return;
    // Saving the answer ends the ownership: a failed save must not delete the record either.
    own(request, false);
    await (inner!.after as (r: AutoscalerRequest) => Promise<void>)(request);
  };
  const idempotencyOnError = async (request: AutoscalerRequest) => {
    if (skipped(request) || !inner || !owned(request)) return;
    own(request, false);
    await (inner.onError as (r: AutoscalerRequest) => Promise<void>)(request);
  };
  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}
