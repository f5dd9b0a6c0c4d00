/**
 * The whole system on one machine: the cloud emulators (AWS, Azure over https with a test CA, GCP,
 * one Kubernetes API server per cluster) over one simulated World, a Prometheus emulator over a metrics
 * store, dynalite for the table, and the application's dependencies wired to them with the real SDK
 * clients. Tests, the CLI's local mode and the offline simulation use it. Everything listens on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../shared/config/load.ts';
import { type AppDeps, type AppLogger, silentLogger } from '../shared/app/deps.ts';
import type { DecisionEvent, EventsPort } from '../shared/domain/ports.ts';
import { type AwsEmulator, startAwsEmulator } from './emulators/aws/index.ts';
import { type AzureEmulator, startAzureEmulator } from './emulators/azure/index.ts';
import { type GcpEmulator, startGcpEmulator } from './emulators/gcp/index.ts';
import { type KubernetesEmulator, startKubernetesEmulator } from './emulators/kubernetes/index.ts';
import { type PrometheusEmulator, startPrometheusEmulator } from './emulators/prometheus/server.ts';
import type { MetricsStore } from './emulators/prometheus/store.ts';
import type { World } from './emulators/world.ts';
import type { RequestTap, ServedRequest } from './emulators/tap.ts';
import type { ReceivedEvent } from './emulators/aws/context.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../shared/domain/drain-command.ts';
import { functionSpec } from '../stacks/function-specs.ts';
import { localContext } from '../shared/runtime/handler.ts';
import { localHandler } from './handler.ts';
import { createPrometheusMetrics } from '../shared/adapters/prometheus/index.ts';
import { type LocalDynamo, startLocalDynamo } from './dynalite.ts';
import { StateStore } from '../shared/state/store.ts';
import { type CloudConnections, configuredClusters, createClouds } from '../shared/runtime/clouds.ts';
import { messageOf } from '../shared/domain/errors.ts';

export const FAKE_AWS_CREDENTIALS = {
  accessKeyId: 'AKIAFAKEFAKEFAKEFAKE',
  secretAccessKey: 'fake-secret-for-the-emulator',
};

export interface LocalStackOptions {
  world: World;
  resolved: ResolvedConfig;
  /** Demand and utilization series the forecast and alarms read (served over the Prometheus HTTP API). */
  metricsStore?: MetricsStore;
  /** The application's clock; default the world's. */
  clock?: () => Date;
  logger?: AppLogger;
  /** Short retries and polls (tests, simulation); production-like intervals otherwise. */
  fast?: boolean;
  /** Reuse a running dynalite instead of starting one. */
  dynamo?: LocalDynamo;
  /**
   * Round trips added at every server, and each request reported (latency benchmarks): DynamoDB's on dynalite
   * (not on a reused one), the clouds' on the emulators (the Kubernetes API servers and Prometheus included).
   */
  network?: NetworkOptions;
  /**
   * The autoscaler bus's `Drain Requested` events delivered to the drain function, as its rule delivers them
   * (stacks/patterns.ts): `'invoke'` runs the drain handler in-process for each, asynchronously as Lambda's
   * asynchronous invocation does (retried as the function's spec says; `idle()` waits for them), or a
   * function receives each event (the simulation and the benchmark run it themselves). With either, the
   * decisions on notices hand their drains off (`AppDeps.drainStep`); without, they drain themselves.
   */
  drains?: 'invoke' | ((event: DeliveredEvent) => void);
}

/** An event as EventBridge delivers it to a rule's target. */
export type DeliveredEvent = Omit<ReceivedEvent, 'eventBusName'>;

export interface NetworkOptions {
  /** Added to each DynamoDB request, ms. */
  dynamodbMs?: number;
  /** Added to each request to a cloud, a cluster or the metrics store, ms. */
  cloudMs?: number;
  /** Each request, once answered. */
  served?(request: ServedRequest): void;
}

export interface LocalStack {
  deps: AppDeps;
  connections: CloudConnections;
  aws: AwsEmulator;
  azure: AzureEmulator;
  gcp: GcpEmulator;
  kubernetes: Map<string, KubernetesEmulator>;
  prometheus?: PrometheusEmulator;
  dynamo: LocalDynamo;
  /** Decision events published on the bus (as the EventBridge emulator received them). */
  published(): DecisionEvent[];
  /** Resolves once every drain delivered with `drains: 'invoke'` has ended (retries included). */
  idle(): Promise<void>;
  /** The drain deliveries (`drains: 'invoke'`) that failed every attempt, with the last error: the dead letters. */
  deadLetters: Array<{ event: DeliveredEvent; error: string }>;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { world, resolved } = options;
  const clock = options.clock ?? (() => new Date(world.now()));
  const fast = options.fast ?? true;
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const net = options.network;
    const tap = (delayMs: number | undefined): RequestTap | undefined =>
      net ? { ...(delayMs ? { delayMs } : {}), ...(net.served ? { served: net.served } : {}) } : undefined;
    const cloudTap = tap(net?.cloudMs);
    const dynamo = options.dynamo ?? (await startLocalDynamo({ tap: tap(net?.dynamodbMs) }));
    if (!options.dynamo) started.push(dynamo);
    // The drain function's rule: each `Drain Requested` event to its target, after PutEvents answered.
    const inFlight = new Set<Promise<void>>();
    const deadLetters: LocalStack['deadLetters'] = [];
    let deliver: ((event: DeliveredEvent) => void) | undefined;
    const onEvent = options.drains
      ? (e: ReceivedEvent) => {
          if (e.source !== DRAIN_SOURCE || e['detail-type'] !== DRAIN_DETAIL_TYPE) return;
          const { eventBusName: _bus, ...event } = e;
          setImmediate(() => deliver?.(event));
        }
      : undefined;
    const aws = await startAwsEmulator(world, { tap: cloudTap, ...(onEvent ? { onEvent } : {}) });
    started.push(aws);
    const azure = await startAzureEmulator(world, { tap: cloudTap });
    started.push(azure);
    const gcp = await startGcpEmulator(world, { tap: cloudTap });
    started.push(gcp);
    const kubernetes = new Map<string, KubernetesEmulator>();
    for (const name of configuredClusters(resolved)) {
      const k = await startKubernetesEmulator(world, { cluster: name, tap: cloudTap });
      started.push(k);
      kubernetes.set(name, k);
    }
    const prometheus = options.metricsStore
      ? await startPrometheusEmulator(options.metricsStore, { now: () => clock().getTime(), tap: cloudTap })
      : undefined;
    if (prometheus) started.push(prometheus);

    const retry = fast ? { maxAttempts: 4, baseDelayMs: 5 } : undefined;
    const connections: CloudConnections = {
      aws: {
        region: resolved.config.clouds.aws?.region ?? 'us-east-1',
        endpoints: aws.endpoints,
        credentials: FAKE_AWS_CREDENTIALS,
        ...(retry ? { retry } : {}),
        ...(fast ? { poll: { intervalMs: 10, timeoutMs: 10_000 } } : {}),
        eventBusName: resolved.config.events.busName ?? 'gpu-autoscaler',
        clock,
      },
      azure: {
        subscriptionId: resolved.config.clouds.azure?.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
        endpoint: azure.endpoint,
        ca: azure.ca,
        credential: {
          getToken: async () => ({ token: 'fake-azure-token', expiresOnTimestamp: Date.now() + 3600_000 }),
        },
        ...(fast
          ? { retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 }, poll: { intervalMs: 10, timeoutMs: 10_000 } }
          : {}),
        now: clock,
      },
      gcp: {
        project: resolved.config.clouds.gcp?.project ?? 'emulator-project',
        endpoint: gcp.endpoint,
        authClient: { getRequestHeaders: async () => ({ authorization: 'Bearer fake-gcp-token' }) },
        ...(fast ? { retry: { maxAttempts: 4, baseDelayMs: 5 }, poll: { intervalMs: 10, timeoutMs: 10_000 } } : {}),
        clock: () => clock().getTime(),
      },
      kubernetes: Object.fromEntries(
        [...kubernetes].map(([name, k]) => [
          name,
          { kubeconfig: k.kubeconfig, ...(fast ? { retry: { baseDelayMs: 5 }, poll: { intervalMs: 20 } } : {}), clock },
        ]),
      ),
    };
    const clouds = createClouds(connections);
    const store = new StateStore({
      client: dynamo.client,
      tableName: dynamo.tableName,
      auditTtlDays: resolved.config.audit.ttlDays,
    });
    const events: EventsPort = clouds.events!;
    const deps: AppDeps = {
      resolved,
      store,
      idempotency: { tableName: store.tableName, client: store.client },
      clouds,
      events,
      ...(prometheus ? { metrics: createPrometheusMetrics({ url: prometheus.url, timeoutMs: 5_000 }) } : {}),
      clock,
      logger: options.logger ?? silentLogger,
      leaseWaitMs: 10_000,
      newId: randomUUID,
      ...(options.drains ? { drainStep: true } : {}),
    };
    if (typeof options.drains === 'function') deliver = options.drains;
    else if (options.drains === 'invoke') {
      const spec = functionSpec('drain');
      const handler = localHandler({ trigger: 'drain', deps: async () => deps });
      deliver = (event) => {
        const run = (async () => {
          // Lambda's asynchronous invocation: the first attempt and the spec's retries, then the dead letters.
          let last: unknown;
          for (let attempt = 0; attempt <= spec.retries; attempt++) {
            try {
              await handler(event, localContext('drain', spec.timeoutSeconds * 1000));
              return;
            } catch (e) {
              last = e;
            }
          }
          deadLetters.push({ event, error: messageOf(last) });
        })();
        inFlight.add(run);
        void run.finally(() => inFlight.delete(run));
      };
    }
    return {
      deps,
      connections,
      aws,
      azure,
      gcp,
      kubernetes,
      ...(prometheus ? { prometheus } : {}),
      dynamo,
      published: () =>
        aws.events.received.map((e) => ({
          source: e.source,
          detailType: e['detail-type'],
          detail: e.detail as Record<string, unknown>,
          time: e.time,
        })),
      idle: async () => {
        // Deliveries started by the ones awaited (none today) are waited for too.
        while (inFlight.size) await Promise.all([...inFlight]);
        await new Promise((r) => setImmediate(r));
        while (inFlight.size) await Promise.all([...inFlight]);
      },
      deadLetters,
      close: async () => {
        while (inFlight.size) await Promise.allSettled([...inFlight]);
        for (const s of started.reverse()) await s.close().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw e;
  }
}
