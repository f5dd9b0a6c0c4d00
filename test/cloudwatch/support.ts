/**
 * A metrics store with a small GPU fleet's series, the AWS emulator serving it as CloudWatch, and the
 * CloudWatch adapter pointed at it with short retries. Every test gets its own world, store and emulator.
 *
 * Series (one sample a minute from T0, for `MINUTES` minutes):
 *   fleet_rps{fleet="llm"}                       10 + k (k = minute index)
 *   gpu_utilization{fleet="llm",pool="a"}        40 + (k mod 7)
 *   gpu_utilization{fleet="llm",pool="b"}        60 - (k mod 5)
 *   gpu_utilization{fleet="llm",pool="c"}        90, from minute 10 on (a pool that starts serving)
 *   alb_requests{lb="app/llm/50dc6c49"}          600 * (1 + k mod 3) requests a minute (a count)
 */
import {
  type CloudWatchMetrics,
  type CloudWatchMetricsOptions,
  createCloudWatchMetrics,
} from '../../shared/adapters/cloudwatch/index.ts';
import type { CloudError } from '../../shared/domain/errors.ts';
import type { MetricQuery } from '../../shared/domain/ports.ts';
import { isCloudError } from '../../shared/domain/errors.ts';
import { type AwsEmulator, type CloudWatchEmulatorOptions, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { MetricsStore } from '../../local/emulators/prometheus/store.ts';
import { World } from '../../local/emulators/world.ts';

export const REGION = 'us-east-1';

/**
 * A typed metric query written in PromQL's notation for reading (`avg(gpu_utilization{fleet="llm"})`): the
 * tests' shorthand only; the adapter itself never reads PromQL.
 */
export function q(text: string): MetricQuery {
  const m = /^(sum|avg|min|max)\(([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\)$/.exec(text);
  if (!m) throw new Error(`test shorthand: '${text}' is not agg(metric{label="value",...})`);
  const labels: Record<string, string> = {};
  for (const [, k, dq, sq] of (m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)')/g))
    labels[k!] = dq ?? sq ?? '';
  return { metric: m[2]!, labels, aggregation: m[1] as MetricQuery['aggregation'] };
}
/** 2025-03-03T09:00:00Z, in seconds: a whole hour. */
export const T0 = Date.parse('2025-03-03T09:00:00Z') / 1000;
export const MINUTES = 60;
export const CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key-for-tests-only' };
export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

export const at = (minute: number) => new Date((T0 + minute * 60) * 1000);

export function fillStore(store = new MetricsStore()): MetricsStore {
  for (let k = 0; k < MINUTES; k++) {
    const t = T0 + k * 60;
    store.add('fleet_rps', { fleet: 'llm' }, t, 10 + k);
    store.add('gpu_utilization', { fleet: 'llm', pool: 'a' }, t, 40 + (k % 7));
    store.add('gpu_utilization', { fleet: 'llm', pool: 'b' }, t, 60 - (k % 5));
    if (k >= 10) store.add('gpu_utilization', { fleet: 'llm', pool: 'c' }, t, 90);
    store.add('alb_requests', { lb: 'app/llm/50dc6c49' }, t, 600 * (1 + (k % 3)));
  }
  return store;
}

/** The emulator's view: GPU utilization renamed as the CloudWatch agent would publish it, the rest as is. */
export const EMULATOR_MAPPING: Omit<CloudWatchEmulatorOptions, 'store'> = {
  namespace: 'GpuFleet',
  metrics: [
    {
      namespace: 'GpuFleet',
      metricName: 'GPUUtilization',
      series: 'gpu_utilization',
      dimensions: { FleetId: 'fleet', Pool: 'pool' },
    },
    {
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      series: 'alb_requests',
      dimensions: { LoadBalancer: 'lb' },
    },
  ],
};

/** The adapter's view of the same metrics (what an operator would write in `clouds.cloudwatch`). */
export const ADAPTER_MAPPING: Pick<CloudWatchMetricsOptions, 'namespace' | 'metrics'> = {
  namespace: 'GpuFleet',
  metrics: {
    gpu_utilization: {
      metricName: 'GPUUtilization',
      labels: { fleet: 'FleetId', pool: 'Pool' },
      dimensions: ['FleetId', 'Pool'],
    },
    alb_rps: {
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      labels: { lb: 'LoadBalancer' },
      stat: 'Sum',
      perSecond: true,
    },
  },
};

export interface Harness {
  world: World;
  store: MetricsStore;
  emulator: AwsEmulator;
  metrics: CloudWatchMetrics;
  /** GetMetricData requests the emulator received, their JSON bodies. */
  requests(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { pageSize?: number; adapter?: Partial<CloudWatchMetricsOptions> } = {},
): Promise<Harness> {
  const world = new World({ start: T0 * 1000 });
  const store = fillStore();
  const emulator = await startAwsEmulator(world, {
    cloudwatch: { store, ...EMULATOR_MAPPING, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
  });
  const metrics = createCloudWatchMetrics({
    region: REGION,
    endpoint: emulator.endpoints.cloudwatch,
    credentials: CREDENTIALS,
    retry: FAST_RETRY,
    requestTimeoutMs: 2_000,
    ...ADAPTER_MAPPING,
    ...options.adapter,
  });
  return {
    world,
    store,
    emulator,
    metrics,
    requests: () =>
      world.calls
        .filter((c) => c.service === 'cloudwatch' && c.operation === 'GetMetricData')
        .map((c) => (c.params as { body: Record<string, unknown> }).body),
    close: async () => {
      metrics.close();
      await emulator.close();
    },
  };
}

export async function caught(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    if (isCloudError(e)) return e;
    throw e;
  }
  throw new Error('expected a CloudError');
}
