/**
 * MetricsPort over CloudWatch `GetMetricData`: the second metrics adapter, for operators whose GPU and
 * serving metrics land in CloudWatch (the CloudWatch agent scraping the DCGM exporter, Container Insights,
 * ALB metrics) rather than in Prometheus. The only place that imports `@aws-sdk/client-cloudwatch`.
 *
 * The functions ask by typed query (`{metric, labels, aggregation}`, shared/domain/ports.ts); the adapter
 * reads it as below, and refuses what CloudWatch cannot express, a fleet's PromQL `demandQuery` included,
 * with an `invalid` CloudError (code `UnsupportedQuery`) that names the query. A metric name is looked up
 * in `metrics`; unlisted names are read under their own name in `namespace`, with the labels as dimensions
 * of the same names. Example configuration (`clouds.cloudwatch`):
 *
 * ```json
 * {
 *   "namespace": "GpuFleet",
 *   "metrics": {
 *     "gpu_utilization": { "metricName": "GPUUtilization", "labels": { "fleet": "FleetId" },
 *                          "dimensions": ["FleetId", "Pool"] },
 *     "alb_rps": { "namespace": "AWS/ApplicationELB", "metricName": "RequestCount", "stat": "Sum",
 *                  "perSecond": true }
 *   }
 * }
 * ```
 *
 * | query (in PromQL's notation)                     | GetMetricData query                                        |
 * |--------------------------------------------------|------------------------------------------------------------|
 * | `sum(fleet_rps{fleet="llm"})`                    | MetricStat GpuFleet/fleet_rps {fleet=llm}, Average          |
 * | `avg(gpu_utilization{fleet="llm"})`              | `AVG(SEARCH('{GpuFleet,FleetId,Pool} MetricName="GPUUtilization" FleetId="llm"', 'Average', 300))` |
 * | `max(gpu_utilization{fleet="llm",Pool="a"})`     | MetricStat GpuFleet/GPUUtilization {FleetId=llm, Pool=a}, Average |
 * | `sum(alb_rps{LoadBalancer="app/llm/50dc6c49"})`  | MetricStat AWS/ApplicationELB/RequestCount, Sum, / period   |
 * | a PromQL `demandQuery`                           | refused: UnsupportedQuery                                   |
 *
 * The semantics follow PromQL's: a metric's statistic within each period (`stat`, default `Average`: a
 * gauge's reading) stands for a Prometheus sample, and the aggregation combines series, so a query that
 * pins one metric returns that metric whatever the aggregation (as `sum` of one series is that series).
 * When the metrics are published once per step, both adapters read the same numbers.
 *
 * Reads: `Period` = the step (1, 5, 10, 30 or a multiple of 60 s, else refused); `ScanBy:
 * TimestampAscending`; start rounded down to the minute as CloudWatch rounds it; `EndTime` (exclusive) one
 * second past `end`, so the period that starts at `end` is included as Prometheus includes `end`. Ranges
 * longer than `maxDatapoints` periods (GetMetricData's 100,800) are split into several calls, each paged
 * with `NextToken` until done; a result still `PartialData` after the last page (the service truncated
 * it: too many metrics for a search) fails rather than aggregate part of the series. An instant query
 * reads the last `lookbackSeconds` (300, Prometheus' lookback) at `instantPeriodSeconds` (60) and takes
 * the latest datapoint stamped within the lookback.
 *
 * Errors: see errors.ts (`Throttling`/`LimitExceeded` -> throttled, `InvalidParameterValue` -> invalid,
 * 5xx -> transient); retries are the AWS adapter's `BackoffRetryStrategy` inside the SDK.
 */
import { CloudWatchClient, type GetMetricDataCommandInput, paginateGetMetricData } from '@aws-sdk/client-cloudwatch';
import { CloudError, ConfigError } from '../../domain/errors.ts';
import { type MetricSeries, type MetricsPort, type MetricsQuery, metricsQueryText } from '../../domain/ports.ts';
import type { AwsCredentials } from '../aws/clients.ts';
import type { RetryOptions } from '../aws/retry.ts';
import { CloudWatchRetryStrategy, toCloudWatchError } from './errors.ts';
import {
  type CloudWatchMetricMapping,
  type CloudWatchRead,
  isCloudWatchPeriod,
  isCloudWatchStatistic,
  translate,
  UnsupportedQueryError,
} from './query.ts';

export { CloudWatchRetryStrategy, cloudWatchThrottlingErrorCodes, toCloudWatchError } from './errors.ts';
export {
  type CloudWatchMetricMapping,
  isCloudWatchPeriod,
  isCloudWatchStatistic,
  translate,
  UnsupportedQueryError,
} from './query.ts';

/** GetMetricData returns at most this many datapoints per call. */
export const MAX_DATAPOINTS = 100_800;

export interface CloudWatchMetricsOptions {
  region: string;
  /** Namespace of metrics without a mapping, e.g. `GpuFleet`. */
  namespace: string;
  /** Per Prometheus metric name: how it is read from CloudWatch. */
  metrics?: Record<string, CloudWatchMetricMapping>;
  /** Endpoint override (the emulator); the SDK's regional endpoint when absent. */
  endpoint?: string;
  /** Credentials or a provider; the SDK's default chain when absent. */
  credentials?: AwsCredentials;
  retry?: RetryOptions;
  /** Longest one request may take before it is abandoned and retried (default 10 s). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Datapoints one call may return (default and maximum 100,800); longer ranges are split. */
  maxDatapoints?: number;
  /** How far back an instant query looks for the latest value (default 300 s). */
  lookbackSeconds?: number;
  /** Period of an instant query (default 60 s). */
  instantPeriodSeconds?: number;
}

export interface CloudWatchMetrics extends MetricsPort {
  /** Releases the SDK client's sockets (tests, short-lived tools). */
  close(): void;
}

/** Validates the options (a bad statistic or period is a configuration error, found before any call). */
export function createCloudWatchMetrics(options: CloudWatchMetricsOptions): CloudWatchMetrics {
  const where = 'clouds.cloudwatch';
  if (!options.namespace) throw new ConfigError(where, 'namespace', 'a namespace is required');
  for (const [name, m] of Object.entries(options.metrics ?? {})) {
    if (m.stat !== undefined && !isCloudWatchStatistic(m.stat))
      throw new ConfigError(where, `metrics.${name}.stat`, `'${m.stat}' is not a CloudWatch statistic`);
  }
  const maxDatapoints = options.maxDatapoints ?? MAX_DATAPOINTS;
  if (!Number.isInteger(maxDatapoints) || maxDatapoints < 1 || maxDatapoints > MAX_DATAPOINTS)
    throw new ConfigError(where, 'maxDatapoints', `an integer from 1 to ${MAX_DATAPOINTS}`);
  const lookbackSeconds = options.lookbackSeconds ?? 300;
  const instantPeriod = options.instantPeriodSeconds ?? 60;
  if (!isCloudWatchPeriod(instantPeriod))
    throw new ConfigError(where, 'instantPeriodSeconds', 'a CloudWatch period (1, 5, 10, 30 or a multiple of 60)');

  const client = new CloudWatchClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts: options.retry?.maxAttempts ?? 4,
    retryStrategy: new CloudWatchRetryStrategy(options.retry),
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: options.connectTimeoutMs ?? 3_000,
      throwOnRequestTimeout: true,
    },
  });

  function planOf(query: MetricsQuery, period: number, operation: string): CloudWatchRead {
    if (!isCloudWatchPeriod(period)) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        code: 'InvalidPeriod',
        message: `step ${period} s is not a CloudWatch period (1, 5, 10, 30 or a multiple of 60 seconds)`,
      });
    }
    try {
      return translate(query, options, period);
    } catch (e) {
      if (!(e instanceof UnsupportedQueryError)) throw e;
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        code: 'UnsupportedQuery',
        message: `CloudWatch cannot express this query: ${e.message}`,
        cause: e,
      });
    }
  }

  /** One GetMetricData read of [start, end) seconds, every page: the returned series' points, by time. */
  async function read(
    plan: CloudWatchRead,
    startSeconds: number,
    endSeconds: number,
    scanBy: 'TimestampAscending' | 'TimestampDescending',
    operation: string,
  ): Promise<Array<[number, number]>> {
    const input: GetMetricDataCommandInput = {
      MetricDataQueries: [plan.query],
      StartTime: new Date(startSeconds * 1000),
      EndTime: new Date(endSeconds * 1000),
      ScanBy: scanBy,
      MaxDatapoints: maxDatapoints,
    };
    const points: Array<[number, number]> = [];
    let status: string | undefined;
    const messages: string[] = [];
    try {
      for await (const page of paginateGetMetricData({ client, stopOnSameToken: true }, input)) {
        for (const m of page.Messages ?? []) messages.push(`${m.Code}: ${m.Value}`);
        for (const r of page.MetricDataResults ?? []) {
          if (r.Id !== plan.query.Id) continue;
          for (const m of r.Messages ?? []) messages.push(`${m.Code}: ${m.Value}`);
          status = r.StatusCode;
          if (status === 'InternalError' || status === 'Forbidden') {
            throw new CloudError({
              kind: status === 'Forbidden' ? 'unauthorized' : 'transient',
              cloud: 'aws',
              operation,
              code: status,
              message: messages.join('; ') || `the result's status is ${status}`,
            });
          }
          const ts = r.Timestamps ?? [];
          const vs = r.Values ?? [];
          for (let i = 0; i < ts.length && i < vs.length; i++) {
            const v = plan.perSecond ? vs[i]! / plan.period : vs[i]!;
            points.push([ts[i]!.getTime() / 1000, v]);
          }
        }
      }
    } catch (e) {
      throw toCloudWatchError(e, operation);
    }
    if (status === 'PartialData') {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        code: 'PartialData',
        message: `CloudWatch returned partial data after the last page${messages.length ? ` (${messages.join('; ')})` : ''}`,
      });
    }
    return points;
  }

  return {
    async queryRange(query, start, end, stepSeconds) {
      const operation = `querying cloudwatch range ${metricsQueryText(query)}`;
      const r = planOf(query, stepSeconds, operation);
      const first = Math.floor(start.getTime() / 60_000) * 60;
      const endExclusive = end.getTime() / 1000 + 1;
      if (endExclusive <= first) return [];
      // Chunk boundaries stay on whole minutes, which CloudWatch does not round again.
      const unit = stepSeconds % 60 === 0 ? stepSeconds : 60;
      const chunk = Math.max(unit, Math.floor((maxDatapoints * stepSeconds) / unit) * unit);
      const byTime = new Map<number, number>();
      for (let from = first; from < endExclusive; from += chunk) {
        const to = Math.min(from + chunk, endExclusive);
        for (const [t, v] of await read(r, from, to, 'TimestampAscending', operation)) {
          if (!byTime.has(t)) byTime.set(t, v);
        }
      }
      if (byTime.size === 0) return [];
      const points = [...byTime].sort((a, b) => a[0] - b[0]);
      return [{ labels: r.labels, points }] satisfies MetricSeries[];
    },
    async queryInstant(query, at) {
      const operation = `querying cloudwatch ${metricsQueryText(query)}`;
      const r = planOf(query, instantPeriod, operation);
      const atSeconds = at.getTime() / 1000;
      const from = Math.floor((atSeconds - lookbackSeconds) / 60) * 60;
      const points = await read(r, from, atSeconds + 1, 'TimestampDescending', operation);
      // The latest datapoint stamped within (at - lookback, at], as Prometheus takes the latest sample.
      let latest: [number, number] | undefined;
      for (const p of points) {
        if (p[0] > atSeconds || p[0] <= atSeconds - lookbackSeconds) continue;
        if (!latest || p[0] > latest[0]) latest = p;
      }
      return latest?.[1];
    },
    close: () => client.destroy(),
  };
}
