/**
 * Properties of the adapters' retry loop (shared/adapters/retry.ts) over random scripts of failures, retry
 * options, jitter draws and Retry-After hints, with the wait and the random source injected (no real sleep;
 * one property runs the module's own `sleep` under fake timers).
 *
 * What its comments promise: at most `maxAttempts` calls, the first included; a call that succeeds on attempt
 * k is made exactly k times; what the policy does not retry (by default anything but throttled or transient)
 * is thrown after the attempt that met it; the error thrown is the classified CloudError, saying how many
 * attempts were made (never fewer than an inner retry already counted). Each wait is the backoff step
 * min(max, base x 2^(n-1)) with jitter (equal: half to all of the step; full: 0 to the step, in whole ms), at
 * least the server's Retry-After, and never more than `maxDelayMs`. The module has no deadline of its own: the
 * cap on each wait and on the attempts is what bounds a call. `PROP_RUNS` sets the runs per property (300 by
 * default).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, type RetryOptions, type RetryPolicy, withRetry } from '../../shared/adapters/retry.ts';
import { CLOUD_ERROR_KINDS, CloudError, type CloudErrorKind } from '../../shared/domain/errors.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const DEFAULT_RETRYABLE: ReadonlySet<CloudErrorKind> = new Set(['throttled', 'transient']);

/** A failure as a fake API throws it: the kind it maps to, and the Retry-After it carries (ms). */
class FakeApiError extends Error {
  readonly kind: CloudErrorKind;
  readonly retryAfter?: number;
  constructor(kind: CloudErrorKind, retryAfter?: number) {
    super(`api says ${kind}`);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }
}

const classify: RetryPolicy['classify'] = (raw, operation) =>
  raw instanceof CloudError
    ? raw
    : new CloudError({ kind: raw instanceof FakeApiError ? raw.kind : 'invalid', cloud: 'gcp', operation, cause: raw });
const policy: RetryPolicy = {
  classify,
  retryAfterMs: (raw) => (raw instanceof FakeApiError ? raw.retryAfter : undefined),
};

/** Whole milliseconds, as adapters configure them; a base of 0 is allowed (no wait but a Retry-After). */
const optionsArb: fc.Arbitrary<RetryOptions> = fc
  .record({
    maxAttempts: fc.integer({ min: 1, max: 12 }),
    baseDelayMs: fc.integer({ min: 0, max: 2_000 }),
    extra: fc.integer({ min: 0, max: 60_000 }),
  })
  .map(({ maxAttempts, baseDelayMs, extra }) => ({ maxAttempts, baseDelayMs, maxDelayMs: baseDelayMs + extra }));
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** A Retry-After in ms, when the server sent one (0, short, past any cap, or unbounded). */
const retryAfterArb = fc.option(
  fc.oneof(
    fc.integer({ min: 0, max: 120_000 }),
    fc.constantFrom(0, 1, 1_000, Number.POSITIVE_INFINITY),
    fc.integer({ min: -5_000, max: -1 }),
  ),
  { nil: undefined },
);
const retryableKind = fc.constantFrom<CloudErrorKind>('throttled', 'transient');
const finalKind = fc.constantFrom<CloudErrorKind>(...CLOUD_ERROR_KINDS.filter((k) => !DEFAULT_RETRYABLE.has(k)));
const failureArb = fc.record({ kind: retryableKind, retryAfter: retryAfterArb });

/** Runs `withRetry` over `script` (each attempt throws its error, or answers once the script ends). */
async function run(
  opts: RetryOptions,
  script: ReadonlyArray<Error>,
  randoms: readonly number[],
  over: Partial<RetryPolicy> = {},
) {
  let calls = 0;
  const sleeps: number[] = [];
  let draws = 0;
  const outcome = await withRetry(
    'resizing gcp mig gpu-a',
    opts,
    async () => {
      const step = script[calls++];
      if (step) throw step;
      return 'answer';
    },
    { ...policy, ...over },
    {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => randoms[draws++ % randoms.length] ?? 0,
    },
  ).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { outcome, calls, sleeps };
}

/** The step before attempt n+1 (the delay after attempt n), as the module's comment defines it. */
const stepOf = (n: number, o: RetryOptions) => Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (n - 1));

describe('backoffDelay', () => {
  const attemptArb = fc.integer({ min: 1, max: 64 });
  const boundsArb = fc
    .record({ baseDelayMs: fc.integer({ min: 0, max: 5_000 }), extra: fc.integer({ min: 0, max: 120_000 }) })
    .map(({ baseDelayMs, extra }) => ({ baseDelayMs, maxDelayMs: baseDelayMs + extra }));

  it('equal jitter waits whole ms between half and all of the step', () => {
    fc.assert(
      fc.property(attemptArb, boundsArb, randomArb, (attempt, o, r) => {
        const step = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
        const d = backoffDelay(attempt, o, () => r, 'equal');
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
      }),
      RUNS,
    );
  });

  it('full jitter waits whole ms between 0 and the step', () => {
    fc.assert(
      fc.property(attemptArb, boundsArb, randomArb, (attempt, o, r) => {
        const step = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
        const d = backoffDelay(attempt, o, () => r, 'full');
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(step);
      }),
      RUNS,
    );
  });

  it('with the same draw, a later attempt never waits less (the step doubles up to the cap)', () => {
    fc.assert(
      fc.property(
        attemptArb,
        attemptArb,
        boundsArb,
        randomArb,
        fc.constantFrom('equal', 'full' as const),
        (a, b, o, r, jitter) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(backoffDelay(lo, o, () => r, jitter)).toBeLessThanOrEqual(backoffDelay(hi, o, () => r, jitter));
        },
      ),
      RUNS,
    );
  });

  it('never exceeds the cap, however many attempts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        boundsArb.filter((o) => o.baseDelayMs > 0),
        randomArb,
        fc.constantFrom('equal', 'full' as const),
        (attempt, o, r, jitter) => {
          const d = backoffDelay(attempt, o, () => r, jitter);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(o.maxDelayMs);
        },
      ),
      RUNS,
    );
  });
});

describe('withRetry', () => {
  it('a call that succeeds on attempt k (within maxAttempts) is made exactly k times, waiting k-1 times', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb.chain((o) =>
          fc.tuple(fc.constant(o), fc.array(failureArb, { maxLength: o.maxAttempts - 1 }), fc.array(randomArb)),
        ),
        async ([o, failures, randoms]) => {
          const script = failures.map((f) => new FakeApiError(f.kind, f.retryAfter));
          const r = await run(o, script, randoms);
          expect(r.outcome).toEqual({ value: 'answer' });
          expect(r.calls).toBe(failures.length + 1);
          expect(r.sleeps).toHaveLength(failures.length);
        },
      ),
      RUNS,
    );
  });

  it('retryable failures past maxAttempts: exactly maxAttempts calls, then the last error, saying how many', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb.chain((o) =>
          fc.tuple(
            fc.constant(o),
            fc.array(failureArb, { minLength: o.maxAttempts, maxLength: o.maxAttempts + 4 }),
            fc.array(randomArb),
          ),
        ),
        async ([o, failures, randoms]) => {
          const script = failures.map((f) => new FakeApiError(f.kind, f.retryAfter));
          const r = await run(o, script, randoms);
          expect(r.calls).toBe(o.maxAttempts);
          expect(r.sleeps).toHaveLength(o.maxAttempts - 1);
          const e = (r.outcome as { error: unknown }).error;
          expect(e).toBeInstanceOf(CloudError);
          const err = e as CloudError;
          expect(err.kind).toBe(failures[o.maxAttempts - 1]!.kind);
          expect(err.cause).toBe(script[o.maxAttempts - 1]);
          expect(err.attempts).toBe(o.maxAttempts);
          expect(err.operation).toBe('resizing gcp mig gpu-a');
          expect(err.message.includes(`gave up after ${o.maxAttempts} attempts`)).toBe(o.maxAttempts > 1);
        },
      ),
      RUNS,
    );
  });

  it('an error the default policy does not retry is thrown after the attempt that met it', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb.chain((o) =>
          fc.tuple(
            fc.constant(o),
            fc.array(failureArb, { maxLength: o.maxAttempts - 1 }),
            fc.oneof(
              finalKind.map((k) => new FakeApiError(k) as Error),
              fc.constant(new TypeError('a bug, not an API answer')),
            ),
            fc.array(randomArb),
          ),
        ),
        async ([o, failures, last, randoms]) => {
          const script = [...failures.map((f) => new FakeApiError(f.kind, f.retryAfter)), last];
          const r = await run(o, script, randoms);
          expect(r.calls).toBe(script.length);
          expect(r.sleeps).toHaveLength(failures.length);
          const err = (r.outcome as { error: CloudError }).error;
          expect(err).toBeInstanceOf(CloudError);
          expect(err.kind).toBe(last instanceof FakeApiError ? last.kind : 'invalid');
          expect(DEFAULT_RETRYABLE.has(err.kind)).toBe(false);
          expect(err.attempts).toBe(script.length);
        },
      ),
      RUNS,
    );
  });

  it("the adapter's own rule decides what is retried, whatever the kind", async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb,
        fc.subarray([...CLOUD_ERROR_KINDS]),
        fc.array(fc.constantFrom(...CLOUD_ERROR_KINDS), { minLength: 1, maxLength: 14 }),
        async (o, retried, kinds) => {
          const rule = new Set<string>(retried);
          const r = await run(
            o,
            kinds.map((k) => new FakeApiError(k)),
            [0.5],
            { retryable: (e) => rule.has(e.kind) },
          );
          // Attempts go on while each failure is retried, up to maxAttempts; the answer comes after the script.
          const stop = kinds.findIndex((k) => !rule.has(k));
          const expected = Math.min(o.maxAttempts, stop === -1 ? kinds.length + 1 : stop + 1);
          expect(r.calls).toBe(expected);
          expect(r.sleeps).toHaveLength(expected - 1);
          if ('value' in r.outcome) expect(expected).toBe(kinds.length + 1);
          else expect((r.outcome.error as CloudError).kind).toBe(kinds[expected - 1]);
        },
      ),
      RUNS,
    );
  });

  it('each wait is the jittered step, at least the Retry-After, never above maxDelayMs', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb.chain((o) =>
          fc.tuple(
            fc.constant(o),
            fc.array(failureArb, { minLength: 1, maxLength: o.maxAttempts + 2 }),
            fc.array(randomArb, { minLength: 1 }),
          ),
        ),
        async ([o, failures, randoms]) => {
          const r = await run(
            o,
            failures.map((f) => new FakeApiError(f.kind, f.retryAfter)),
            randoms,
          );
          for (const [i, ms] of r.sleeps.entries()) {
            const step = stepOf(i + 1, o);
            const asked = failures[i]!.retryAfter ?? 0;
            expect(Number.isNaN(ms)).toBe(false);
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(o.maxDelayMs);
            // Equal jitter: at least half the step; a Retry-After is honoured up to the cap.
            expect(ms).toBeGreaterThanOrEqual(step / 2);
            expect(ms).toBeGreaterThanOrEqual(Math.min(o.maxDelayMs, asked));
            // Never more than the larger of the step and what the server asked.
            expect(ms).toBeLessThanOrEqual(Math.max(step, Math.min(o.maxDelayMs, asked)));
          }
        },
      ),
      RUNS,
    );
  });

  it('the waits in all are bounded by (maxAttempts - 1) x maxDelayMs', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb,
        fc.array(failureArb, { minLength: 12, maxLength: 16 }),
        fc.array(randomArb, { minLength: 1 }),
        async (o, failures, randoms) => {
          const r = await run(
            o,
            failures.map((f) => new FakeApiError(f.kind, f.retryAfter)),
            randoms,
          );
          const total = r.sleeps.reduce((s, x) => s + x, 0);
          expect(total).toBeLessThanOrEqual((o.maxAttempts - 1) * o.maxDelayMs);
        },
      ),
      RUNS,
    );
  });

  it('an error that already counts more attempts (an inner retry) keeps its count; else it gets this count', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, fc.integer({ min: 1, max: 20 }), retryableKind, async (o, inner, kind) => {
        const innerError = () => new CloudError({ kind, cloud: 'gcp', operation: 'inner', attempts: inner });
        const script = Array.from({ length: o.maxAttempts }, innerError);
        const r = await run(o, script, [0]);
        const err = (r.outcome as { error: CloudError }).error;
        expect(err.attempts).toBe(Math.max(inner, o.maxAttempts));
        expect(err.kind).toBe(kind);
        expect(err.operation).toBe('inner');
      }),
      RUNS,
    );
  });
});

describe('withRetry with its own sleep, under fake timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the time between attempts is the wait: within the step bounds and the cap', async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb.chain((o) =>
          fc.tuple(fc.constant(o), fc.array(retryableKind, { maxLength: o.maxAttempts - 1 }), randomArb),
        ),
        async ([o, kinds, random]) => {
          vi.useFakeTimers({ now: 0 });
          try {
            const times: number[] = [];
            let calls = 0;
            const p = withRetry(
              'reading the thing',
              o,
              async () => {
                times.push(Date.now());
                if (calls++ < kinds.length) throw new FakeApiError(kinds[calls - 1]!);
                return 'answer';
              },
              policy,
              { random: () => random },
            );
            await vi.runAllTimersAsync();
            expect(await p).toBe('answer');
            expect(times).toHaveLength(kinds.length + 1);
            for (let i = 1; i < times.length; i++) {
              const gap = times[i]! - times[i - 1]!;
              expect(gap).toBe(backoffDelay(i, o, () => random));
              expect(gap).toBeLessThanOrEqual(o.maxDelayMs);
            }
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { ...RUNS, numRuns: Math.max(1, Math.floor(RUNS.numRuns / 3)) },
    );
  });
});
