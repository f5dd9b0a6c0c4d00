/**
 * The SDK's retry strategy with settable delays. It plugs into the SDK's own retry middleware
 * (`RetryStrategyV2`), which classifies every failure (throttling, transient: 500/502/503/504, timeouts,
 * connection resets) and sends the attempt headers; this strategy decides whether and when to try again:
 * exponential backoff with full jitter (the adapters' `backoffDelay`, ../retry.ts), a longer base for
 * throttling, a `Retry-After` hint honoured up to the cap, at most `maxAttempts` attempts. The SDK runs the
 * loop, so this adapter needs no loop of its own.
 *
 * One difference from the SDK's standard strategy: capacity errors are never retried, even when EC2 sends
 * them as HTTP 500 (`InsufficientInstanceCapacity`). Trying the same offering again at once rarely helps;
 * the engine fails over to another offering instead (Karpenter does the same).
 */
import { backoffDelay } from '../retry.ts';
import { awsErrorCode, insufficientCapacityErrorCodes } from './errors.ts';

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number;
  /** Base of the exponential backoff for transient errors (default 100 ms). */
  baseDelayMs?: number;
  /** Base for throttling errors (default 5 x baseDelayMs). */
  throttlingBaseDelayMs?: number;
  /** Cap on any one delay (default 20 s). */
  maxDelayMs?: number;
  /** Random source for the jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

type RetryErrorType = 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';

interface RetryErrorInfo {
  error?: unknown;
  errorType: RetryErrorType;
  retryAfterHint?: Date;
}

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

class Token implements RetryToken {
  private readonly count: number;
  private readonly delay: number;
  constructor(count: number, delay: number) {
    this.count = count;
    this.delay = delay;
  }
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

export class BackoffRetryStrategy {
  readonly mode = 'standard';
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly throttlingBaseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.throttlingBaseDelayMs = options.throttlingBaseDelayMs ?? this.baseDelayMs * 5;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.random = options.random ?? Math.random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const attempts = token.getRetryCount() + 1;
    if (!this.shouldRetry(info) || attempts >= this.maxAttempts) throw new Error('No retry token available');
    return new Token(attempts, this.delayFor(token.getRetryCount(), info));
  }

  recordSuccess(_token: RetryToken): void {}

  /** Delay before retry number `retry + 1`: full jitter over base x 2^retry, capped; at least a Retry-After hint. */
  delayFor(retry: number, info: RetryErrorInfo): number {
    const baseDelayMs = info.errorType === 'THROTTLING' ? this.throttlingBaseDelayMs : this.baseDelayMs;
    let delay = backoffDelay(retry + 1, { baseDelayMs, maxDelayMs: this.maxDelayMs }, this.random, 'full');
    if (info.retryAfterHint instanceof Date) {
      const hinted = info.retryAfterHint.getTime() - Date.now();
      delay = Math.max(delay, Math.min(hinted, this.maxDelayMs));
    }
    return Math.max(0, delay);
  }

  private shouldRetry(info: RetryErrorInfo): boolean {
    if (info.errorType !== 'THROTTLING' && info.errorType !== 'TRANSIENT') return false;
    const code = awsErrorCode(info.error);
    return code === undefined || !insufficientCapacityErrorCodes.has(code);
  }
}
