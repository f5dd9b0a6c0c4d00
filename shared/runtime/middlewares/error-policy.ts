/**
 * Middleware: what a failed invocation means. Every error is rethrown — Lambda retries the event and then
 * dead-letters it — but not silently: it is logged with whether a retry can fix it (throttling, a 5xx, a
 * busy lease, a state saved by another invocation) or not (the dead-letter queue is where it ends), and
 * counted. Failures the decision absorbed (a pool that failed while the others were applied) never get here:
 * the audit record has them.
 */
import { isRetryable as isRetryableCloudError, messageOf } from '../../domain/errors.ts';
import { RetryableActionsError } from '../../app/outcome.ts';
import { DrainClaimBusyError, LeaseBusyError, StaleStateError } from '../../state/records.ts';
import type { AutoscalerMiddleware, AutoscalerRequest } from './request.ts';

/** Whether a retry of the event can succeed where this attempt failed. */
export function retriesCanFix(e: unknown): boolean {
  if (
    e instanceof LeaseBusyError ||
    e instanceof StaleStateError ||
    e instanceof RetryableActionsError ||
    e instanceof DrainClaimBusyError
  )
    return true;
  return isRetryableCloudError(e);
}

export function errorPolicy(options: { fn: string }): AutoscalerMiddleware {
  const errorPolicyOnError = async (request: AutoscalerRequest): Promise<void> => {
    const e = request.error;
    const retryable = retriesCanFix(e);
    const deps = request.internal.deps;
    if (retryable) deps?.counters?.count('Retries');
    (deps?.logger.error ?? console.error)(retryable ? 'failed: retried' : 'failed: retried, then dead-lettered', {
      fn: options.fn,
      eventId: request.internal.signal?.eventId,
      retryable,
      // Any thrown value, one without a prototype too (String() of it throws, and the failure went unlogged).
      error: e instanceof Error ? `${e.name}: ${e.message}` : messageOf(e),
    });
    // The error stays: middy rethrows it and Lambda retries the event.
  };
  return { onError: errorPolicyOnError };
}
