/**
 * The one retry helper of the adapters whose SDK does not retry for them (GCP Compute over REST, the
 * Kubernetes client, Prometheus over `fetch`), and the backoff the AWS SDK's retry strategy uses: capped exponential backoff with
 * jitter, a `Retry-After` the server sent honoured up to the cap, at most `maxAttempts` attempts, and a final
 * error that says how many were made.
 *
 * Each adapter says what it retries (its `RetryPolicy`: how a failure becomes a `CloudError`, which ones are
 * worth another attempt, where the server's hint is) and keeps its own defaults; the loop is this one.
 */
import type { CloudError } from '../domain/errors.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time, with jitter. */
  baseDelayMs: number;
  /** Cap on any one delay, a server's `Retry-After` included. */
  maxDelayMs: number;
}

/**
 * How the random part of a delay is drawn (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * `equal` waits between half and all of the step, `full` anywhere between 0 and the step.
 */
export type Jitter = 'equal' | 'full';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The delay after attempt `attempt` (1-based): the step min(max, base x 2^(attempt-1)), jittered, in whole ms. */
export function backoffDelay(
  attempt: number,
  opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
  jitter: Jitter = 'equal',
): number {
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return jitter === 'full' ? Math.floor(random() * step) : Math.round(step / 2 + random() * (step / 2));
}

/** What an adapter retries. */
export interface RetryPolicy {
  /** What was thrown, as the adapter's CloudError saying what was being done (a CloudError stays as it is). */
  classify(raw: unknown, operation: string): CloudError;
  /** Whether another attempt may cure it (default: throttled or transient). */
  retryable?(error: CloudError, raw: unknown): boolean;
  /** The delay the server asked for (`Retry-After`), in ms, when it said. */
  retryAfterMs?(raw: unknown): number | undefined;
}

/** Injected for tests: how to wait, and the jitter's random source. */
export interface RetryTiming {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const throttledOrTransient = (e: CloudError) => e.kind === 'throttled' || e.kind === 'transient';

/**
 * Runs `call` until it succeeds, fails with an error the policy does not retry, or runs out of attempts;
 * throws the classified CloudError, which says how many attempts were made when there was more than one.
 */
export async function withRetry<T>(
  operation: string,
  opts: RetryOptions,
  call: () => Promise<T>,
  policy: RetryPolicy,
  timing: RetryTiming = {},
): Promise<T> {
  const retryable = policy.retryable ?? throttledOrTransient;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (raw) {
      const err = policy.classify(raw, operation);
      if (!retryable(err, raw) || attempt >= opts.maxAttempts) throw err.afterAttempts(attempt);
      const asked = policy.retryAfterMs?.(raw) ?? 0;
      const delay = Math.max(backoffDelay(attempt, opts, timing.random), asked);
      await (timing.sleep ?? sleep)(Math.min(opts.maxDelayMs, delay));
    }
  }
}
