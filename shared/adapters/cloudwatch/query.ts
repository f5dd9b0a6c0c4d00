/**
 * From a typed metric query (`{metric, labels, aggregation}`) to one GetMetricData `MetricDataQuery`. Pure:
 * no SDK call, no clock. The rules (documented with examples in index.ts):
 *
 * - the metric name picks a mapping (`metrics[name]`), else the metric is read under its own name in the
 *   default namespace; labels become dimensions (renamed by the mapping's `labels`);
 * - when the labels pin every dimension the metric is published with (`dimensions`, default: the ones
 *   given), the read is one metric: a `MetricStat` with the mapping's statistic (default `Average`), which
 *   the aggregation of one series leaves as it is;
 * - otherwise the read is metric math over a search of that schema, aggregated:
 *   `AVG(SEARCH('{GpuFleet,fleet,pool} MetricName="gpu_utilization" fleet="a"', 'Average', 300))`;
 * - a label that is not a dimension of the metric cannot be expressed, and a query in PromQL (a fleet's
 *   configured `demandQuery`) is not read: CloudWatch runs no PromQL.
 */
import type { MetricAggregation, MetricsQuery } from '../../domain/ports.ts';

/** A query CloudWatch cannot express, and why. */
export class UnsupportedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedQueryError';
  }
}

/** How one Prometheus-style metric name is read from CloudWatch. */
export interface CloudWatchMetricMapping {
  /** Namespace (default: the adapter's `namespace`). */
  namespace?: string;
  /** CloudWatch metric name (default: the query's metric name). */
  metricName?: string;
  /** Query label -> dimension name, e.g. `{ fleet: 'FleetId' }`; labels not listed are dimensions of their own name. */
  labels?: Record<string, string>;
  /**
   * Every dimension name the metric is published with (its schema, CloudWatch names), e.g.
   * `['FleetId', 'Pool']`. When the query pins them all, one metric is read; otherwise a SEARCH over the
   * schema is aggregated. Default: exactly the dimensions the query matches.
   */
  dimensions?: string[];
  /** Statistic of one metric within a period: `Average` (default), `Sum`, `Maximum`, `Minimum`, `SampleCount`, `p99`... */
  stat?: string;
  /** The statistic is a count per period (`Sum` of ALB `RequestCount`): divide by the period for a rate per second. */
  perSecond?: boolean;
}

export interface MetricDataQueryShape {
  Id: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> };
    Period: number;
    Stat: string;
  };
  Expression?: string;
  Period?: number;
  ReturnData: boolean;
}

export interface CloudWatchRead {
  query: MetricDataQueryShape;
  /** Labels of the one series the read returns (as Prometheus labels it). */
  labels: Record<string, string>;
  period: number;
  /** Divide values by the period (per-second rates from per-period counts). */
  perSecond: boolean;
}

/** Metric math function for each aggregation (they ignore series without a value at a timestamp). */
const MATH: Record<MetricAggregation, string> = { sum: 'SUM', avg: 'AVG', min: 'MIN', max: 'MAX' };

/** The statistics CloudWatch accepts: the five basic ones, percentiles and trimmed/winsorized variants. */
const STATISTIC =
  /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts)(\d{1,2}(\.\d{1,10})?|100)|(PR|TM|WM|TC|TS)\([0-9.:%]*\))$/;

export function isCloudWatchStatistic(stat: string): boolean {
  return STATISTIC.test(stat);
}

/** CloudWatch periods: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds. */
export function isCloudWatchPeriod(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds > 0 && ([1, 5, 10, 30].includes(seconds) || seconds % 60 === 0);
}

/**
 * Translates a query for one period. Throws `UnsupportedQueryError` when CloudWatch cannot express it.
 * `id` is the MetricDataQuery id (a lowercase letter first).
 */
export function translate(
  query: MetricsQuery,
  options: { namespace: string; metrics?: Record<string, CloudWatchMetricMapping> },
  period: number,
  id = 'q0',
): CloudWatchRead {
  if ('promql' in query)
    throw new UnsupportedQueryError(
      `CloudWatch runs no PromQL (${query.promql}): give the fleet's demand as a metric (clouds.cloudwatch.metrics)`,
    );
  const mapping = options.metrics?.[query.metric] ?? {};
  const namespace = mapping.namespace ?? options.namespace;
  const metricName = mapping.metricName ?? query.metric;
  const stat = mapping.stat ?? 'Average';
  const dimensions = Object.entries(query.labels).map(([label, value]) => {
    if (value === '') throw new UnsupportedQueryError(`label ${label}="" cannot be expressed: empty value`);
    return { Name: mapping.labels?.[label] ?? label, Value: value };
  });
  const schema = mapping.dimensions ?? dimensions.map((d) => d.Name);
  const twice = dimensions.find((d, i) => dimensions.findIndex((e) => e.Name === d.Name) !== i);
  if (twice) throw new UnsupportedQueryError(`two labels map to the dimension '${twice.Name}'`);
  for (const d of dimensions) {
    if (!schema.includes(d.Name)) {
      throw new UnsupportedQueryError(
        `'${d.Name}' is not a dimension of ${namespace}/${metricName} (its dimensions: ${schema.join(', ') || 'none'})`,
      );
    }
  }
  const pinned = schema.every((name) => dimensions.some((d) => d.Name === name));
  if (pinned) {
    return {
      query: {
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: namespace,
            MetricName: metricName,
            Dimensions: [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)),
          },
          Period: period,
          Stat: stat,
        },
        ReturnData: true,
      },
      labels: {},
      period,
      perSecond: mapping.perSecond ?? false,
    };
  }
  const terms = [
    `MetricName=${quoted(metricName)}`,
    ...dimensions.map((d) => `${schemaName(d.Name)}=${quoted(d.Value)}`),
  ];
  const search = `{${[namespace, ...schema].map(schemaName).join(',')}} ${terms.join(' ')}`;
  const expression = `${MATH[query.aggregation]}(SEARCH('${search}', '${stat}', ${period}))`;
  return {
    query: { Id: id, Expression: expression, Period: period, ReturnData: true },
    labels: {},
    period,
    perSecond: mapping.perSecond ?? false,
  };
}

/** A namespace or dimension name in a search schema: bare when plain, else double-quoted. */
function schemaName(s: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(s) ? s : quoted(s);
}

/**
 * An exact-match search term, double-quoted. The search sits in a single-quoted metric math string, so a
 * name or value with a quote or a backslash has no unambiguous spelling: it is refused.
 */
function quoted(s: string): string {
  if (/["'\\]/.test(s)) throw new UnsupportedQueryError(`'${s}' has a quote or backslash, which a search cannot match`);
  return `"${s}"`;
}
