/**
 * The adapter's own retries. The Compute SDK retries almost nothing on its REST transport: its client
 * config marks only `get`/`list`/`aggregatedList` as idempotent and retries them on gRPC UNAVAILABLE and
 * DEADLINE_EXCEEDED; `resize`, `listManagedInstances`, `deleteInstances` and `operations.wait` are
 * "non_idempotent" (no retry at all), and with google-auth-library's transport even an HTTP 503 arrives as a
 * GaxiosError the SDK does not recognise. So SDK retries are switched off (`retry: null`) and the adapters'
 * retry helper (../retry.ts) retries the calls that are safe to repeat: reads, operation polls, and writes
 * that carry a `requestId` (Compute returns the same operation for the same requestId).
 */
import { isRetryable } from '../../domain/errors.ts';
import { type RetryOptions, type RetryPolicy, withRetry as retrying } from '../retry.ts';
import { toCloudError } from './errors.ts';
import { GcpHttpError, GcpTransportError } from './transport.ts';

export { type RetryOptions, sleep } from '../retry.ts';

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * Only answers from the API and transport failures are retried (throttled, transient, conflict), never an
 * unexpected exception.
 */
export const GCP_RETRY: RetryPolicy = {
  classify: toCloudError,
  retryable: (err, raw) => (raw instanceof GcpHttpError || raw instanceof GcpTransportError) && isRetryable(err),
};

/** Runs `call` with the GCP policy; throws a CloudError saying what was being done. */
export function withRetry<T>(operation: string, opts: RetryOptions, call: () => Promise<T>): Promise<T> {
  return retrying(operation, opts, call, GCP_RETRY);
}
