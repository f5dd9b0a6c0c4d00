/**
 * The Lambda handler every function shares: middy with Powertools (logger with the event's correlation id,
 * EMF metrics, idempotency on DynamoDB keyed on the event id), the event schemas from `events/`, and an error
 * policy that separates what to retry from what to drop:
 *
 * - malformed events (ParseError) and events for the wrong function: recorded with the reason in the table
 *   (REJECTED#day) and acknowledged — they change no capacity and are never retried;
 * - events the autoscaler does not act on: acknowledged as a no-op with the reason;
 * - throttling, transient cloud errors, a busy fleet lease: rethrown, so Lambda retries and then sends the
 *   event to the function's dead-letter queue;
 * - a failure in one pool or cloud: recorded in the decision's audit record, the others applied; then
 *   rethrown when a retry can fix it (throttling, a 5xx), else the result is `partial`.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { isRecord } from '../../events/fields.ts';
import { normalizeEvent } from '../../events/index.ts';
import type { NormalizeContext } from '../../events/context.ts';
import type { AppDeps, AppMetrics } from '../app/deps.ts';
import { OpsError, type OpsResult, runOperatorCommand } from '../app/ops.ts';
import { type ProcessResult, processSignal } from '../app/process.ts';
import { isParseError } from '../domain/errors.ts';
import type { OperatorCommandSignal, Signal } from '../domain/signals.ts';
import { type BuiltClouds, clusterNames } from './clouds.ts';

export const FUNCTION_NAMES = [
  'alarm',
  'spot-interruption',
  'capacity-reservation',
  'forecast',
  'schedule',
  'ops',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The signal types each function acts on; anything else is acknowledged as not for it. */
export const ACCEPTS: Record<FunctionName, ReadonlyArray<Signal['type']>> = {
  alarm: ['metric-alarm'],
  'spot-interruption': ['interruption', 'capacity-notice'],
  'capacity-reservation': ['reservation-change', 'interruption', 'capacity-notice'],
  forecast: ['tick'],
  schedule: ['tick'],
  ops: ['operator-command'],
};

export type HandlerResult =
  | { status: 'rejected'; reason: string; path?: string }
  | { status: 'no-op'; reason: string }
  | ({ status: 'decided' | 'partial' } & ProcessResult)
  | ({ status: 'ops' } & OpsResult);

/** The normalizer's context from the configuration: alarm names, resource names and schedule names -> fleets. */
export function normalizeContext(deps: AppDeps, now: Date): NormalizeContext {
  const alarms: NonNullable<NormalizeContext['alarms']> = {};
  for (const a of deps.resolved.config.alarms) {
    if (!a.alarm.endsWith('*')) alarms[a.alarm] = { fleetId: a.fleetId, ...(a.poolId ? { poolId: a.poolId } : {}) };
  }
  const dimensions: NonNullable<NormalizeContext['dimensions']> = {
    AutoScalingGroupName: {},
    FleetId: {},
    VMScaleSetName: {},
  };
  for (const f of deps.resolved.fleets) {
    for (const p of f.pools) {
      const ref = { fleetId: f.id, poolId: p.id };
      if (p.kind === 'auto-scaling-group') dimensions.AutoScalingGroupName![p.resource] = ref;
      if (p.kind === 'ec2-fleet') dimensions.FleetId![p.resource] = ref;
      if (p.kind === 'azure-vmss') dimensions.VMScaleSetName![p.resource] = ref;
    }
  }
  const ticks: NonNullable<NormalizeContext['ticks']> = {};
  for (const s of deps.resolved.config.schedules) ticks[s.name] = { purpose: 'schedule', window: s.name };
  return { now: now.toISOString(), alarms, dimensions, ticks };
}

export interface HandlerOptions {
  name: FunctionName;
  /** Builds (once per container) what the function needs. */
  deps: () => Promise<AppDeps>;
  /** Logger and metrics; the defaults write JSON logs and EMF to stdout as Lambda expects. */
  logger?: Logger;
  metrics?: Metrics;
}

export function createHandler(options: HandlerOptions) {
  const logger = options.logger ?? new Logger({ serviceName: `gpu-autoscaler-${options.name}` });
  const metrics = options.metrics ?? new Metrics({ namespace: 'GpuAutoscaler', serviceName: options.name });
  // What the application layer counts (decisions, actions, their failures, retries) as EMF metrics.
  const counters: AppMetrics = { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
  let depsPromise: Promise<AppDeps> | undefined;
  let idempotent: ((signal: Signal, deps: AppDeps) => Promise<HandlerResult>) | undefined;
  let idempotencyConfig: IdempotencyConfig | undefined;

  const getDeps = async (): Promise<AppDeps> => {
    depsPromise ??= options.deps().catch((e) => {
      depsPromise = undefined;
      throw e;
    });
    return depsPromise;
  };

  /** JSON only (no undefined, no class instances): what Lambda returns and the idempotency store keeps. */
  const plain = (r: HandlerResult): HandlerResult => JSON.parse(JSON.stringify(r)) as HandlerResult;

  const act = async (signal: Signal, deps: AppDeps): Promise<HandlerResult> => plain(await actOn(signal, deps));

  const actOn = async (signal: Signal, deps: AppDeps): Promise<HandlerResult> => {
    if (signal.type === 'operator-command') {
      try {
        return { status: 'ops', ...(await runOperatorCommand(deps, signal as OperatorCommandSignal)) };
      } catch (e) {
        if (e instanceof OpsError)
          return { status: 'ops', command: (signal as OperatorCommandSignal).command, ok: false, message: e.message };
        throw e;
      }
    }
    const r = await processSignal(options.name, signal, deps);
    if (r.status === 'no-op') return { status: 'no-op', reason: r.reason ?? '' };
    return { ...r, status: r.status };
  };

  const reject = async (deps: AppDeps, raw: unknown, reason: string, path?: string): Promise<HandlerResult> => {
    const eventId = isRecord(raw) && typeof raw.id === 'string' ? raw.id : `unknown-${crypto.randomUUID()}`;
    await rejectItem(deps, eventId, raw, reason, path);
    return { status: 'rejected', reason, ...(path ? { path } : {}) };
  };

  /** Stores one rejected event (or item of a batch) with its reason; never retried for what it holds. */
  const rejectItem = async (deps: AppDeps, eventId: string, raw: unknown, reason: string, path?: string) => {
    const at = deps.clock().toISOString();
    const record = { at, eventId, fn: options.name, reason, ...(path ? { path } : {}) };
    try {
      await deps.store.putRejected({ ...record, raw });
    } catch (e) {
      // A rejection is never retried for what the event holds: if its copy could not be stored, the reason is
      // stored without it. A store that is down fails this second write too, and the event is retried.
      logger.error('rejected event not stored whole; storing the reason only', { eventId, error: String(e) });
      await deps.store.putRejected({ ...record, raw: { notStored: `the event could not be stored: ${String(e)}` } });
    }
    metrics.addMetric('Rejected', MetricUnit.Count, 1);
    logger.warn('event rejected', { reason, path, eventId });
  };

  const core = async (event: unknown, context: Context): Promise<HandlerResult> => {
    const deps = await getDeps();
    const started = Date.now();
    const now = deps.clock();
    let normalized: ReturnType<typeof normalizeEvent>;
    try {
      normalized = normalizeEvent(event, normalizeContext(deps, now));
    } catch (e) {
      if (isParseError(e)) return reject(deps, event, e.message, e.path);
      throw e;
    }
    if (normalized.rejected?.length) {
      // Malformed items of a batch: each is recorded on its own; the valid ones go on.
      const { rejected, ...rest } = normalized;
      normalized = rest as typeof normalized;
      const parent = normalized.eventId ?? (isRecord(event) && typeof event.id === 'string' ? event.id : 'batch');
      for (const r of rejected) await rejectItem(deps, r.eventId ?? `${parent}#${r.path}`, r.item, r.reason, r.path);
    }
    if (normalized.type === 'no-op') {
      metrics.addMetric('NoOps', MetricUnit.Count, 1);
      logger.info('no-op', { reason: normalized.reason, eventId: normalized.eventId });
      return { status: 'no-op', reason: normalized.reason };
    }
    if (!ACCEPTS[options.name].includes(normalized.type)) {
      return reject(
        deps,
        event,
        `an event of type ${normalized.type} is not for the ${options.name} function (check the rule that sent it)`,
      );
    }
    logger.setCorrelationId(normalized.eventId);
    if (!idempotent) {
      idempotencyConfig = new IdempotencyConfig({
        // A document updated in place keeps its id and changes its revision: an update acts, a redelivery not.
        eventKeyJmesPath: '[eventId, revision]',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: 3600,
      });
      const persistenceStore = new DynamoDBPersistenceLayer({
        tableName: deps.store.tableName,
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: `idempotency#${options.name}`,
        expiryAttr: 'expiresAt',
        awsSdkV3Client: deps.store.client,
      });
      idempotent = makeIdempotent(act, { persistenceStore, config: idempotencyConfig, dataIndexArgument: 0 });
    }
    if (typeof context?.getRemainingTimeInMillis === 'function') idempotencyConfig!.registerLambdaContext(context);
    // This invocation's own deadline: drains and long-running operations must end before it.
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const invocationDeps: AppDeps = {
      ...deps,
      counters: deps.counters ?? counters,
      ...(remaining === undefined
        ? {}
        : { deadline: () => deps.clock().getTime() + remaining - (Date.now() - started) }),
    };
    // Read-only operator commands are not deduplicated: asking twice must answer twice.
    const readOnly =
      normalized.type === 'operator-command' && ['status', 'plan', 'explain', 'history'].includes(normalized.command);
    const result = readOnly ? await act(normalized, invocationDeps) : await idempotent(normalized, invocationDeps);
    metrics.addMetric('DecisionLatency', MetricUnit.Milliseconds, Date.now() - started);
    return result;
  };

  const handler = middy(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }));
  /**
   * Builds the dependencies and loads every adapter the configuration's pools and clusters use, now: for a
   * function whose first event must not wait for a cold start (called during init).
   */
  const warm = async (): Promise<void> => {
    const deps = await getDeps();
    const clouds = deps.clouds as BuiltClouds;
    const pools = deps.resolved.fleets.flatMap((f) => f.pools);
    await clouds.preload?.(pools, clusterNames(deps.resolved));
  };
  return Object.assign(handler, { warm });
}

/** A Lambda context for running a handler in-process (CLI, tests, simulation), with its own time limit. */
export function localContext(name: string, timeoutMs = 60_000): Context {
  const start = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `gpu-autoscaler-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:gpu-autoscaler-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/gpu-autoscaler-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
