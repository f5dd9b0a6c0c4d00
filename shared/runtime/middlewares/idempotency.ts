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

export function idempotency(options: IdempotencyOptions): AutoscalerMiddleware {
  let inner: ReturnType<typeof makeHandlerIdempotent> | undefined;
  const skipped = (request: AutoscalerRequest) => (request.internal as Record<symbol, unknown>)[SKIP] === true;
  const readOnly = (signal: Signal) => options.trigger.readOnly?.(signal) ?? false;

  const idempotencyBefore = async (request: AutoscalerRequest) => {
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
    return (inner.before as (r: AutoscalerRequest) => Promise<unknown>)(request) as Promise<undefined>;
  };
  const idempotencyAfter = async (request: AutoscalerRequest) => {
    if (!skipped(request)) await (inner!.after as (r: AutoscalerRequest) => Promise<void>)(request);
  };
  const idempotencyOnError = async (request: AutoscalerRequest) => {
    if (!skipped(request) && inner) await (inner.onError as (r: AutoscalerRequest) => Promise<void>)(request);
  };
  return { before: idempotencyBefore, after: idempotencyAfter, onError: idempotencyOnError };
}
