/**
 * One metrics store served twice, over the Prometheus HTTP API and over CloudWatch GetMetricData, read by the
 * two MetricsPort adapters with the same queries: the numbers agree. The store is the demo fleet's minute
 * series (support.ts) plus a longer seeded demand trace; the step equals the publishing interval (one sample
 * a minute), which is when a CloudWatch period's Average and Prometheus' latest sample are the same number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchMetrics } from '../../shared/adapters/cloudwatch/index.ts';
import { createPrometheusMetrics } from '../../shared/adapters/prometheus/index.ts';
import type { MetricsPort } from '../../shared/domain/ports.ts';
import { type AwsEmulator, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { type PrometheusEmulator, startPrometheusEmulator } from '../../local/emulators/prometheus/server.ts';
import { World, mulberry32 } from '../../local/emulators/world.ts';
import {
  ADAPTER_MAPPING,
  at,
  CREDENTIALS,
  EMULATOR_MAPPING,
  FAST_RETRY,
  fillStore,
  MINUTES,
  q,
  REGION,
  T0,
} from './support.ts';

/** A day of per-minute demand for a second fleet: a daily wave plus seeded noise. */
const DAY = 24 * 60;

describe('the same series through Prometheus and through CloudWatch', () => {
  let prometheusEmulator: PrometheusEmulator;
  let awsEmulator: AwsEmulator;
  let prometheus: MetricsPort;
  let cloudwatch: ReturnType<typeof createCloudWatchMetrics>;

  beforeAll(async () => {
    const store = fillStore();
    const rand = mulberry32(42);
    for (let k = 0; k < DAY; k++) {
      const wave = 200 + 150 * Math.sin((2 * Math.PI * k) / DAY);
      store.add('fleet_rps', { fleet: 'chat' }, T0 + k * 60, Math.round((wave + 20 * rand()) * 1000) / 1000);
    }
    prometheusEmulator = await startPrometheusEmulator(store);
    awsEmulator = await startAwsEmulator(new World({ start: T0 * 1000 }), {
      cloudwatch: { store, ...EMULATOR_MAPPING },
    });
    prometheus = createPrometheusMetrics({ url: prometheusEmulator.url, retry: FAST_RETRY });
    cloudwatch = createCloudWatchMetrics({
      region: REGION,
      endpoint: awsEmulator.endpoints.cloudwatch,
      credentials: CREDENTIALS,
      retry: FAST_RETRY,
      ...ADAPTER_MAPPING,
    });
  });
  afterAll(async () => {
    cloudwatch.close();
    await awsEmulator.close();
    await prometheusEmulator.close();
  });

  const queries = [
    'sum(fleet_rps{fleet="llm"})',
    'avg(gpu_utilization{fleet="llm"})',
    'sum(gpu_utilization{fleet="llm"})',
    'max(gpu_utilization{fleet="llm"})',
    'min(gpu_utilization{fleet="llm"})',
    'avg(gpu_utilization{fleet="llm",pool="c"})',
    'max(gpu_utilization{fleet="llm",pool="a"})',
    'sum(fleet_rps{fleet="chat"})',
  ];

  it.each(queries)('range %s', async (query) => {
    // The whole hour of the small fleet: pool c starts at minute 10 on both sides.
    const [fromProm, fromCw] = await Promise.all([
      prometheus.queryRange(q(query), at(0), at(MINUTES - 1), 60),
      cloudwatch.queryRange(q(query), at(0), at(MINUTES - 1), 60),
    ]);
    expect(fromProm.length).toBe(1);
    expect(fromCw).toHaveLength(1);
    expect(fromCw[0]!.labels).toEqual(fromProm[0]!.labels);
    expect(fromCw[0]!.points.map(([t]) => t)).toEqual(fromProm[0]!.points.map(([t]) => t));
    fromCw[0]!.points.forEach(([, v], i) => {
      expect(v).toBeCloseTo(fromProm[0]!.points[i]![1], 9);
    });
  });

  it('a day of demand, as the forecast reads it', async () => {
    const query = 'sum(fleet_rps{fleet="chat"})';
    const [fromProm, fromCw] = await Promise.all([
      prometheus.queryRange(q(query), at(0), at(DAY - 1), 60),
      cloudwatch.queryRange(q(query), at(0), at(DAY - 1), 60),
    ]);
    expect(fromCw[0]!.points).toHaveLength(DAY);
    expect(fromCw[0]!.points).toEqual(fromProm[0]!.points);
  });

  it.each(
    // On a sample, between samples, at the edge of the lookback, and after it.
    queries.flatMap((query) => [0, 3, 12.5, 59, 63, 64, 64.9, 70].map((minute) => ({ query, minute }))),
  )('instant $query at minute $minute', async ({ query, minute }) => {
    const [fromProm, fromCw] = await Promise.all([
      prometheus.queryInstant(q(query), at(minute)),
      cloudwatch.queryInstant(q(query), at(minute)),
    ]);
    if (fromProm === undefined) expect(fromCw).toBeUndefined();
    else expect(fromCw).toBeCloseTo(fromProm, 9);
  });
});
