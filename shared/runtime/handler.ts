/**
 * The Lambda handler of a trigger: middy with Powertools and the autoscaler's named middlewares, in order —
 *
 * 1. `injectLambdaContext` (Powertools logger: the event's correlation id) and `logMetrics` (EMF metrics);
 * 2. `errorPolicy`: every failure is logged with whether a retry can fix it, then rethrown (Lambda retries
 *    and then dead-letters the event);
 * 3. `parseAndReject`: the event becomes a signal; malformed events and events for another function are
 *    recorded and answered `rejected`, events the autoscaler ignores `no-op`;
 * 4. `idempotency`: Powertools' middleware on the event id (a redelivered event acts once);
 *
 * and the trigger itself (`shared/app/triggers/<name>.ts`), which decides for the fleets the signal concerns.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AppDeps, AppMetrics } from '../app/deps.ts';
import type { Normalizer } from '../domain/routing.ts';
import type { Signal } from '../domain/signals.ts';
import { type BuiltClouds, configuredClusters } from './clouds.ts';
import { TRIGGERS, type TriggerName } from '../app/triggers/index.ts';
import type { AnyTrigger, TriggerResult } from '../app/triggers/trigger.ts';
import { errorPolicy } from './middlewares/error-policy.ts';
import { idempotency } from './middlewares/idempotency.ts';
import { parseAndReject } from './middlewares/parse-and-reject.ts';
import type { AutoscalerMiddleware, AutoscalerRequest } from './middlewares/request.ts';
import { routingOf } from '../config/routing.ts';

export { normalizeContext } from './middlewares/parse-and-reject.ts';
export type HandlerResult = TriggerResult;
export type FunctionName = TriggerName;
/** The function names, one per trigger. */
export const FUNCTION_NAMES: readonly FunctionName[] = TRIGGERS.map((t) => t.name);
/** The signal types each function acts on; anything else is rejected as not for it. */
export const ACCEPTS = Object.fromEntries(TRIGGERS.map((t) => [t.name, t.accepts])) as Record<
  FunctionName,
  ReadonlyArray<Signal['type']>
>;

export interface HandlerOptions {
  /** The trigger (or its name). */
  trigger: AnyTrigger | FunctionName;
  /**
   * The event normalizer (`events/`'s `normalizeEvent`). Given by whoever composes the handler (the function
   * file, or `local/handler.ts` for the local stack), so that shared code never imports the event schemas above it.
   */
  normalize: Normalizer;
  /** Builds (once per container) what the function needs. */
  deps: () => Promise<AppDeps>;
  /** Logger and metrics; the defaults write JSON logs and EMF to stdout as Lambda expects. */
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * Middleware: the container's dependencies with this invocation's counters and deadline.
 */
function withDeps(getDeps: () => Promise<AppDeps>, metrics: Metrics): AutoscalerMiddleware {
  // What the application layer counts (decisions, actions, their failures, retries) as EMF metrics.
  const counters: AppMetrics = { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
  const withDepsBefore = async (request: AutoscalerRequest) => {
    const deps = await getDeps();
    const started = Date.now();
    const context = request.context as Partial<Context> | undefined;
    // This invocation's own deadline: drains and long-running operations must end before it.
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    request.internal.started = started;
    request.internal.deps = {
      ...deps,
      counters: deps.counters ?? counters,
      ...(remaining === undefined
        ? {}
        : { deadline: () => deps.clock().getTime() + remaining - (Date.now() - started) }),
    };
  };
  const withDepsAfter = async (request: AutoscalerRequest) => {
    if (request.internal.started !== undefined && !request.internal.settled)
      metrics.addMetric('DecisionLatency', MetricUnit.Milliseconds, Date.now() - request.internal.started);
  };
  return { before: withDepsBefore, after: withDepsAfter };
}

/** Middleware: the event's id as the logs' correlation id. */
function correlate(logger: Logger): AutoscalerMiddleware {
  return {
    before: async (request: AutoscalerRequest) => {
      const id = request.internal.signal?.eventId;
      if (id) logger.setCorrelationId(id);
    },
  };
}

export type AutoscalerHandler = ((event: unknown, context: Context) => Promise<TriggerResult>) & {
  /**
   * Builds the dependencies and loads every adapter the configuration's pools and clusters use, now: for a
   * function whose first event must not wait for a cold start (called during init).
   */
  warm(): Promise<void>;
};

export function createHandler(options: HandlerOptions): AutoscalerHandler {
  const trigger = typeof options.trigger === 'string' ? triggerOf(options.trigger) : options.trigger;
  const logger = options.logger ?? new Logger({ serviceName: `gpu-autoscaler-${trigger.name}` });
  const metrics = options.metrics ?? new Metrics({ namespace: 'GpuAutoscaler', serviceName: trigger.name });

  // The dependencies, built once per container (a failed build is retried on the next invocation).
  let built: Promise<AppDeps> | undefined;
  const getDeps = () => {
    // The configuration's routing (alarms, resources, schedules -> fleets) is resolved with them, once.
    built ??= options.deps().then(
      (deps) => {
        routingOf(deps.resolved);
        return deps;
      },
      (e) => {
        built = undefined;
        throw e;
      },
    );
    return built;
  };
  const warm = async (): Promise<void> => {
    const deps = await getDeps();
    const clouds = deps.clouds as BuiltClouds;
    const pools = deps.resolved.fleets.flatMap((f) => f.pools);
    await clouds.preload?.(pools, configuredClusters(deps.resolved));
  };

  // The handler sees the event and the context only: the middlewares' findings are found by the context.
  const invocations = new WeakMap<object, AutoscalerRequest['internal']>();
  const remember: AutoscalerMiddleware = {
    before: async (request: AutoscalerRequest) => {
      invocations.set(request.context, request.internal);
    },
  };

  /** The trigger on the parsed signal; JSON only (no undefined, no class instances), as Lambda returns it and the idempotency store keeps it. */
  const act = async (_event: unknown, context: Context): Promise<TriggerResult> => {
    const { settled, signal, deps } = invocations.get(context) ?? {};
    if (settled) return settled;
    if (!signal || !deps) throw new Error(`${trigger.name}: the middlewares left no signal to act on`);
    return JSON.parse(JSON.stringify(await trigger.run(signal as never, deps))) as TriggerResult;
  };

  const handler = middy<unknown, TriggerResult, Error, Context, AutoscalerRequest['internal']>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }))
    .use(withDeps(getDeps, metrics))
    .use(errorPolicy({ fn: trigger.name }))
    .use(parseAndReject({ trigger, normalize: options.normalize }))
    .use(correlate(logger))
    .use(idempotency({ trigger }))
    .use(remember);
  return Object.assign(handler.handler(act), { warm }) as unknown as AutoscalerHandler;
}

function triggerOf(name: FunctionName): AnyTrigger {
  const t = TRIGGERS.find((x) => x.name === name);
  if (!t) throw new Error(`no trigger '${name}'`);
  return t;
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
