/**
 * The middy request as the autoscaler's middlewares share it: the dependencies (built once per container),
 * the signal the event means and, when the event is settled before any decision (rejected, a no-op), the
 * answer.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AppDeps } from '../../app/deps.ts';
import type { TriggerResult } from '../../app/triggers/trigger.ts';
import type { Signal } from '../../domain/signals.ts';

export interface AutoscalerInternal extends Record<string, unknown> {
  deps?: AppDeps;
  signal?: Signal;
  /** The answer when the event needs no decision. */
  settled?: TriggerResult;
  /** When the invocation started (ms since epoch, real time). */
  started?: number;
}

export type AutoscalerRequest = Request<unknown, TriggerResult, Error, Context, AutoscalerInternal>;
export type AutoscalerMiddleware = MiddlewareObj<unknown, TriggerResult, Error, Context, AutoscalerInternal>;
