/** Arbitraries and a capturing rig for the runtime's property tests (`runtime.property.test.ts`). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import fc from 'fast-check';
import { normalizeEvent } from '../../events/index.ts';
import { RetryableActionsError } from '../../shared/app/outcome.ts';
import type { AnyTrigger, TriggerResult } from '../../shared/app/triggers/trigger.ts';
import type { ResolvedConfig } from '../../shared/config/load.ts';
import { CLOUD_ERROR_KINDS, CloudError, ConfigError, ParseError } from '../../shared/domain/errors.ts';
import { createHandler, localContext } from '../../shared/runtime/handler.ts';
import { DrainClaimBusyError, LeaseBusyError, StaleStateError } from '../../shared/state/records.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';

export const T0 = new Date('2026-03-02T15:00:00Z');

/** A valid CloudWatch alarm event for the demo fleet, with the given id. */
export const alarmEvent = (id = 'a1b2c3d4-0000-4000-8000-000000000001', time = T0.toISOString()) => ({
  version: '0',
  id,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time,
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:llm-demo-gpu-utilization-high'],
  detail: {
    alarmName: 'llm-demo-gpu-utilization-high',
    state: { value: 'ALARM', reason: 'above', timestamp: time },
    previousState: { value: 'OK', reason: 'below', timestamp: time },
    configuration: { metrics: [] },
  },
});

/** An error a trigger may throw, with the classification the error policy documents for it. */
export interface Thrown {
  error: unknown;
  retryable: boolean;
  label: string;
}

const RETRYABLE_KINDS = new Set(['throttled', 'transient', 'conflict']);
const word = fc.stringMatching(/^[a-z0-9-]{1,12}$/);

export const thrownArb: fc.Arbitrary<Thrown> = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom(...CLOUD_ERROR_KINDS),
      cloud: fc.constantFrom('aws', 'azure', 'gcp', 'kubernetes' as const),
      operation: word,
      message: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      attempts: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    })
    .map((init) => ({
      error: new CloudError(init),
      retryable: RETRYABLE_KINDS.has(init.kind),
      label: `CloudError ${init.kind}`,
    })),
  fc.tuple(word, word).map(([f, o]) => ({ error: new LeaseBusyError(f, o), retryable: true, label: 'LeaseBusy' })),
  fc
    .tuple(word, fc.nat(100))
    .map(([f, v]) => ({ error: new StaleStateError(f, v), retryable: true, label: 'StaleState' })),
  fc.tuple(word, word).map(([f, c]) => ({
    error: new DrainClaimBusyError(f, c, { owner: 'o', by: 'b', until: 0 }),
    retryable: true,
    label: 'DrainClaimBusy',
  })),
  fc.tuple(word, fc.constantFrom('throttled', 'transient', 'insufficient-capacity')).map(([f, kind]) => ({
    error: new RetryableActionsError(f, [{ action: 'set-desired', error: 'x', kind }] as never),
    retryable: true,
    label: 'RetryableActions',
  })),
  word.map((m) => ({ error: new TypeError(m), retryable: false, label: 'TypeError' })),
  word.map((m) => ({ error: new Error(m), retryable: false, label: 'Error' })),
  word.map((m) => ({ error: new ConfigError('config', 'x', m), retryable: false, label: 'ConfigError' })),
  word.map((m) => ({ error: new ParseError('src', 'detail', m), retryable: false, label: 'ParseError' })),
  // Not an Error at all, an object without a prototype too (fast-check makes some: String() of one throws).
  fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.record({ code: word })).map((v) => ({
    error: v,
    retryable: false,
    label: `non-Error ${typeof v}`,
  })),
);

/** A JSON-ish value, with what JSON drops or changes (undefined, Dates, class instances, -0). */
class Box {
  readonly n: number;
  readonly hidden = () => 1;
  constructor(n: number) {
    this.n = n;
  }
}
export const looseValueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 8 }),
    fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
    fc.integer().map((n) => new Box(n)),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(word, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Where a mutation puts its value in the alarm event. */
export const ALARM_PATHS: readonly (readonly string[])[] = [
  ['id'],
  ['source'],
  ['detail-type'],
  ['time'],
  ['resources'],
  ['detail'],
  ['detail', 'alarmName'],
  ['detail', 'state'],
  ['detail', 'state', 'value'],
  ['detail', 'state', 'timestamp'],
  ['detail', 'previousState'],
  ['detail', 'configuration'],
];

export const jsonValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('ALARM', 'OK', '', 'llm-demo-gpu-utilization-high', '2026-13-40T99:00:00Z'),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(word, fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

/** The alarm event with one field set to a value, or deleted. */
export const mutationArb = fc.record({
  path: fc.constantFrom(...ALARM_PATHS),
  value: fc.option(jsonValueArb, { nil: undefined, freq: 4 }),
});

export function mutate(event: Record<string, unknown>, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(event) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (typeof next !== 'object' || next === null) return copy;
    cur = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** One handler over fakes, with the Powertools logger's and metrics' output captured. */
export interface Rig {
  handler: ReturnType<typeof createHandler>;
  world: FakeWorld;
  runs: unknown[];
  /** Every log line: Powertools' and the application logger's (as JSON). */
  logs: string[];
  /** Every EMF document published. */
  emf: Array<Record<string, unknown>>;
}

export function rig(
  resolved: ResolvedConfig,
  run: (signal: unknown) => Promise<TriggerResult>,
  options: { idempotency?: { tableName: string; client: unknown }; now?: Date } = {},
): Rig {
  const world = fakeDeps(resolved, options.now ?? T0);
  const logs: string[] = [];
  const emf: Array<Record<string, unknown>> = [];
  const sink = (...args: unknown[]) => void logs.push(args.map(String).join(' '));
  // The test setup silences Powertools (log level SILENT, metrics disabled): here both write, to these sinks.
  const logger = new Logger({ serviceName: 'gpu-autoscaler-alarm', logLevel: 'DEBUG' });
  (logger as unknown as { console: unknown }).console = {
    log: sink,
    info: sink,
    warn: sink,
    error: sink,
    debug: sink,
    trace: sink,
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const metrics = new Metrics({ namespace: 'GpuAutoscaler', serviceName: 'alarm', logger: silent as never });
  (metrics as unknown as { disabled: boolean }).disabled = false;
  const msink = (s: unknown) => void emf.push(JSON.parse(String(s)) as Record<string, unknown>);
  (metrics as unknown as { console: unknown }).console = {
    log: msink,
    info: msink,
    warn: () => {},
    error: () => {},
    debug: () => {},
  };
  const appLog = (level: string) => (m: string, x?: Record<string, unknown>) =>
    void logs.push(JSON.stringify({ level, m, ...(x ?? {}) }));
  world.deps.logger = { debug: appLog('debug'), info: appLog('info'), warn: appLog('warn'), error: appLog('error') };
  if (options.idempotency) world.deps.idempotency = options.idempotency as never;
  const runs: unknown[] = [];
  const trigger: AnyTrigger = {
    name: 'alarm',
    accepts: ['metric-alarm'],
    run: async (signal: unknown) => {
      runs.push(signal);
      return run(signal);
    },
  };
  const handler = createHandler({ trigger, normalize: normalizeEvent, deps: async () => world.deps, logger, metrics });
  return { handler, world, runs, logs, emf };
}

/** Invokes the handler; the answer or the error it threw. */
export async function invoke(
  r: Rig,
  event: unknown,
): Promise<{ ok: true; answer: TriggerResult } | { ok: false; error: unknown }> {
  try {
    return { ok: true, answer: await r.handler(event, localContext('alarm')) };
  } catch (error) {
    return { ok: false, error };
  }
}
