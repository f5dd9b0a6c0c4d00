import { describe, expect, it } from 'vitest';
import { backoffDelay, type RetryPolicy, withRetry } from '../../shared/adapters/retry.ts';
import { CloudError, type CloudErrorKind } from '../../shared/domain/errors.ts';

describe('backoffDelay', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };
  it.each([
    // Equal jitter: attempt n waits between half and all of the step min(max, base x 2^(n-1)).
    { jitter: 'equal', attempt: 1, random: 0, expected: 50 },
    { jitter: 'equal', attempt: 1, random: 1, expected: 100 },
    { jitter: 'equal', attempt: 2, random: 0, expected: 100 },
    { jitter: 'equal', attempt: 3, random: 0.5, expected: 300 },
    { jitter: 'equal', attempt: 4, random: 1, expected: 800 },
    // The step is capped at 1000 from attempt 5 (100 x 2^4 = 1600).
    { jitter: 'equal', attempt: 8, random: 0, expected: 500 },
    { jitter: 'equal', attempt: 8, random: 1, expected: 1_000 },
    // Full jitter: anywhere from 0 to the step, whole milliseconds (the AWS SDK strategy's).
    { jitter: 'full', attempt: 1, random: 0, expected: 0 },
    { jitter: 'full', attempt: 1, random: 0.5, expected: 50 },
    { jitter: 'full', attempt: 3, random: 0.999, expected: 399 },
    { jitter: 'full', attempt: 13, random: 0.5, expected: 500 },
  ] as const)('$jitter jitter, attempt $attempt, random $random -> $expected ms', (c) => {
    expect(backoffDelay(c.attempt, opts, () => c.random, c.jitter)).toBe(c.expected);
  });
});

/** A failure as the fake API throws it: the kind it maps to, and a Retry-After it may carry (ms). */
class FakeApiError extends Error {
  readonly kind: CloudErrorKind;
  readonly retryAfter?: number;
  constructor(kind: CloudErrorKind, retryAfter?: number) {
    super(`api says ${kind}`);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }
}

const policy: RetryPolicy = {
  classify: (raw, operation) =>
    raw instanceof CloudError
      ? raw
      : new CloudError({
          kind: raw instanceof FakeApiError ? raw.kind : 'invalid',
          cloud: 'gcp',
          operation,
          cause: raw,
        }),
  retryAfterMs: (raw) => (raw instanceof FakeApiError ? raw.retryAfter : undefined),
};

interface Case {
  name: string;
  /** What each attempt does, in order: throws that error, or answers 'ok'. */
  script: Array<Error | 'ok'>;
  maxAttempts?: number;
  retryable?: RetryPolicy['retryable'];
  calls: number;
  /** The waits between attempts (random 0: half the step; base 100 ms, cap 1 s). */
  sleeps: number[];
  /** Expected failure: its kind and attempts; undefined when the call succeeds. */
  error?: { kind: CloudErrorKind; attempts: number; gaveUp: boolean };
}

describe('withRetry', () => {
  const cases: Case[] = [
    { name: 'success at once', script: ['ok'], calls: 1, sleeps: [] },
    {
      name: 'transient twice, then success',
      script: [new FakeApiError('transient'), new FakeApiError('transient'), 'ok'],
      calls: 3,
      sleeps: [50, 100],
    },
    {
      name: 'throttled until the attempts run out',
      script: [new FakeApiError('throttled'), new FakeApiError('throttled'), new FakeApiError('throttled'), 'ok'],
      maxAttempts: 3,
      calls: 3,
      sleeps: [50, 100],
      error: { kind: 'throttled', attempts: 3, gaveUp: true },
    },
    {
      name: 'an error not worth retrying is thrown at once, as it is',
      script: [new FakeApiError('not-found'), 'ok'],
      calls: 1,
      sleeps: [],
      error: { kind: 'not-found', attempts: 1, gaveUp: false },
    },
    {
      name: 'an unexpected exception is classified and not retried',
      script: [new TypeError('bug'), 'ok'],
      calls: 1,
      sleeps: [],
      error: { kind: 'invalid', attempts: 1, gaveUp: false },
    },
    {
      // 800 ms asked, more than the 50 ms backoff.
      name: 'a Retry-After longer than the backoff is waited',
      script: [new FakeApiError('throttled', 800), 'ok'],
      calls: 2,
      sleeps: [800],
    },
    {
      name: 'a Retry-After beyond the cap waits the cap',
      script: [new FakeApiError('throttled', 60_000), 'ok'],
      calls: 2,
      sleeps: [1_000],
    },
    {
      name: "the adapter's own rule: conflicts retried, transient failures not",
      script: [new FakeApiError('conflict'), new FakeApiError('transient'), 'ok'],
      retryable: (e) => e.kind === 'conflict',
      calls: 2,
      sleeps: [50],
      error: { kind: 'transient', attempts: 2, gaveUp: true },
    },
    {
      // An inner retry that already gave up after 4 attempts keeps saying so through an outer one.
      name: 'an error that already counts more attempts keeps its count',
      script: [new CloudError({ kind: 'transient', cloud: 'gcp', operation: 'inner', attempts: 4 })],
      retryable: (e) => e.kind === 'conflict',
      calls: 1,
      sleeps: [],
      error: { kind: 'transient', attempts: 4, gaveUp: true },
    },
  ];

  it.each(cases)('$name', async (c) => {
    let calls = 0;
    const sleeps: number[] = [];
    const call = async () => {
      const step = c.script[calls++];
      if (step === undefined || step === 'ok') return 'answer';
      throw step;
    };
    const run = withRetry(
      'reading the thing',
      { maxAttempts: c.maxAttempts ?? 5, baseDelayMs: 100, maxDelayMs: 1_000 },
      call,
      { ...policy, ...(c.retryable ? { retryable: c.retryable } : {}) },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    );
    if (!c.error) {
      expect(await run).toBe('answer');
    } else {
      const e = await run.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(CloudError);
      expect(e).toMatchObject({ kind: c.error.kind, attempts: c.error.attempts });
      expect((e as CloudError).message.includes(`gave up after ${c.error.attempts} attempts`)).toBe(c.error.gaveUp);
    }
    expect(calls).toBe(c.calls);
    expect(sleeps).toEqual(c.sleeps);
  });
});
