/**
 * The adapter's own retries. The Compute SDK retries almost nothing on its REST transport: its client
 * config marks only `get`/`list`/`aggregatedList` as idempotent and retries them on gRPC UNAVAILABLE and
 * DEADLINE_EXCEEDED; `resize`, `listManagedInstances`, `deleteInstances` and `operations.wait` are
 * "non_idempotent" (no retry at all), and with google-auth-library's transport even an HTTP 503 arrives as a
 * GaxiosError the SDK does not recognise. So SDK retries are switched off (`retry: null`) and this loop
 * retries the calls that are safe to repeat: reads, operation polls, and writes that carry a `requestId`
 * (Compute returns the same operation for the same requestId).
 */
import { CloudError, isRetryable } from '../../domain/errors.ts';
import { GcpHttpError, GcpTransportError } from './transport.ts';
import { toCloudError } from './errors.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Capped exponential backoff with "equal jitter": half the step fixed, half random. */
export function backoffDelay(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Runs `call` until it succeeds, fails with an error not worth retrying, or runs out of attempts; throws a
 * CloudError saying what was being done. Only answers from the API and transport failures are retried
 * (throttled, transient, conflict), never an unexpected exception.
 */
export async function withRetry<T>(operation: string, opts: RetryOptions, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const err = toCloudError(e, operation);
      const fromApi = e instanceof GcpHttpError || e instanceof GcpTransportError;
      if (!fromApi || !isRetryable(err) || attempt >= opts.maxAttempts) throw withAttempts(err, attempt);
      await sleep(backoffDelay(attempt, opts));
    }
  }
}

function withAttempts(err: CloudError, attempts: number): CloudError {
  if (attempts <= 1) return err;
  return new CloudError({
    kind: err.kind,
    cloud: err.cloud,
    operation: err.operation,
    code: err.code,
    status: err.status,
    message: `gave up after ${attempts} attempts: ${err.cause instanceof Error ? err.cause.message : String(err.cause)}`,
    cause: err.cause,
  });
}
