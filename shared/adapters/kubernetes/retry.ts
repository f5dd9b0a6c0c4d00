/**
 * Capped exponential backoff with jitter for idempotent calls (reads, merge patches that set absolute
 * values). Throttling (429) and transient failures (5xx, timeouts, dropped connections) are retried;
 * everything else is thrown at once as a CloudError. A Retry-After from the server is honoured, capped
 * at `maxDelayMs`.
 */
import type { CloudError } from '../../domain/errors.ts';
import { retryAfterMs, toCloudError } from './errors.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `attempt + 1`: half fixed, half random ("equal jitter"), capped. */
export function backoffMs(attempt: number, retry: RetryOptions, random: () => number = Math.random): number {
  const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return exp / 2 + random() * (exp / 2);
}

const retryableByDefault = (e: CloudError) => e.kind === 'throttled' || e.kind === 'transient';

export async function withRetry<T>(
  operation: string,
  retry: RetryOptions,
  fn: () => Promise<T>,
  retryOn: (e: CloudError) => boolean = retryableByDefault,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const e = toCloudError(raw, operation);
      if (!retryOn(e) || attempt >= retry.maxAttempts) throw e;
      const asked = retryAfterMs(raw) ?? 0;
      await sleep(Math.min(retry.maxDelayMs, Math.max(backoffMs(attempt, retry), asked)));
    }
  }
}
