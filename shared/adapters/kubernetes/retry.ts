/**
 * Retries of idempotent calls (reads, merge patches that set absolute values) through the adapters' retry
 * helper (../retry.ts): throttling (429) and transient failures (5xx, timeouts, dropped connections) by
 * default; everything else is thrown at once as a CloudError. A Retry-After from the server is honoured,
 * capped at `maxDelayMs`.
 */
import type { CloudError } from '../../domain/errors.ts';
import { type RetryOptions, withRetry as retrying } from '../retry.ts';
import { retryAfterMs, toCloudError } from './errors.ts';

export { type RetryOptions, sleep } from '../retry.ts';

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

const retryableByDefault = (e: CloudError) => e.kind === 'throttled' || e.kind === 'transient';

/** Runs `fn`, retrying what `retryOn` accepts (default: throttled or transient). */
export function withRetry<T>(
  operation: string,
  retry: RetryOptions,
  fn: () => Promise<T>,
  retryOn: (e: CloudError) => boolean = retryableByDefault,
): Promise<T> {
  return retrying(operation, retry, fn, { classify: toCloudError, retryable: retryOn, retryAfterMs });
}
