/**
 * MetricsPort over the Prometheus HTTP API (`/api/v1/query_range`, `/api/v1/query`), with `fetch`. A typed
 * query is sent as its PromQL (`avg(gpu_utilization{fleet="llm"})`); a configured PromQL query as it is.
 *
 * Works against Prometheus and the servers that speak its API (Thanos, Mimir, Cortex, VictoriaMetrics, and
 * managed ones behind a proxy that signs requests: pass `headers` or a `fetch` that does). Queries go as
 * POST form bodies (Prometheus accepts both GET and POST; POST has no URL length limit).
 *
 * Errors are CloudErrors (cloud `kubernetes`, where Prometheus usually runs) with Prometheus' `errorType`
 * as the code: bad_data / 400 and execution / 422 -> invalid; 429 -> throttled; timeouts, network errors,
 * 5xx and 503 `timeout`/`canceled` -> transient (retried); 401/403 -> unauthorized; 404 -> not-found.
 */
import { CloudError, type CloudErrorKind, isRetryable } from '../../domain/errors.ts';
import { type MetricSeries, type MetricsPort, metricsQueryText } from '../../domain/ports.ts';
import { type RetryPolicy, withRetry } from '../retry.ts';

export interface PrometheusRetryOptions {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts: number;
  /** Delay before the second attempt, doubling after; default 200 ms. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface PrometheusMetricsOptions {
  /** Base URL, e.g. `http://prometheus.monitoring:9090` (a path prefix such as `/prometheus` is kept). */
  url: string;
  fetch?: typeof fetch;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<PrometheusRetryOptions>;
  headers?: Record<string, string>;
}

/** Transient failures and throttling are retried (the adapters' helper); anything unexpected is not. */
const PROMETHEUS_RETRY: RetryPolicy = {
  classify: (e, operation) =>
    e instanceof CloudError ? e : fail(operation, 'invalid', { code: 'Unexpected', cause: e }),
  retryable: (err, raw) => raw instanceof CloudError && isRetryable(err),
};

export const DEFAULT_PROMETHEUS_RETRY: PrometheusRetryOptions = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Prometheus encodes sample values as strings: numbers in Go's format, and `NaN`, `+Inf`, `-Inf`. */
export function parseSampleValue(raw: unknown): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new TypeError(`sample value ${JSON.stringify(raw)} is not a number string`);
  const v = Number(raw);
  if (Number.isNaN(v)) throw new TypeError(`sample value ${JSON.stringify(raw)} is not a number string`);
  return v;
}

/**
 * The most points Prometheus returns per series from one range query: beyond it the query fails with
 * "exceeded maximum resolution of 11,000 points per timeseries" (the HTTP API's query_range limit). A week of
 * one-minute readings is 10,080 points; the forecast's lookback allows 14 days.
 */
export const MAX_RANGE_POINTS = 11_000;

export function createPrometheusMetrics(options: PrometheusMetricsOptions): MetricsPort {
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = { ...DEFAULT_PROMETHEUS_RETRY, ...options.retry };

  async function call(path: string, params: Record<string, string>, operation: string): Promise<unknown> {
    return withRetry(operation, retry, () => once(path, params, operation), PROMETHEUS_RETRY);
  }

  async function once(path: string, params: Record<string, string>, operation: string): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...options.headers,
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
      throw fail(operation, 'transient', { code: timedOut ? 'Timeout' : 'NetworkError', cause: e });
    }
    const text = await res.text().catch(() => '');
    let body: { status?: string; errorType?: string; error?: string; data?: unknown } | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok && body?.status === 'success') return body.data;
    const errorType = body?.errorType;
    const message = body?.error ?? (text.slice(0, 200) || `HTTP ${res.status}`);
    throw fail(operation, kindOf(res.status, errorType), {
      code: errorType ?? `HTTP${res.status}`,
      status: res.status,
      message,
    });
  }

  return {
    async queryRange(typed, start, end, stepSeconds) {
      const query = metricsQueryText(typed);
      const operation = `querying prometheus range ${query}`;
      // Prometheus answers at most MAX_RANGE_POINTS points per series (more is a 400 bad_data): a longer range
      // is asked in consecutive parts on the same step grid, and each series put back together.
      const from = start.getTime() / 1000;
      const to = end.getTime() / 1000;
      const span = (MAX_RANGE_POINTS - 1) * stepSeconds;
      const bySeries = new Map<string, MetricSeries>();
      for (let s = from; s <= to; s += span + stepSeconds) {
        const e = Math.min(to, s + span);
        const data = await call(
          '/api/v1/query_range',
          { query, start: seconds(new Date(s * 1000)), end: seconds(new Date(e * 1000)), step: String(stepSeconds) },
          operation,
        );
        for (const series of toSeries(data, operation)) {
          const key = JSON.stringify(Object.entries(series.labels).sort(([x], [y]) => (x < y ? -1 : 1)));
          const seen = bySeries.get(key);
          if (seen) seen.points.push(...series.points);
          else bySeries.set(key, { labels: series.labels, points: [...series.points] });
        }
      }
      return [...bySeries.values()];
    },
    async queryInstant(typed, at) {
      const query = metricsQueryText(typed);
      const operation = `querying prometheus ${query}`;
      const data = (await call('/api/v1/query', { query, time: seconds(at) }, operation)) as {
        resultType?: string;
        result?: unknown;
      };
      try {
        if (data?.resultType === 'scalar') return parseSampleValue((data.result as [number, string])[1]);
        if (data?.resultType !== 'vector' || !Array.isArray(data.result))
          throw new TypeError('expected a vector result');
        if (data.result.length === 0) return undefined;
        if (data.result.length > 1) {
          throw fail(operation, 'invalid', {
            code: 'MultipleSeries',
            message: `the query returned ${data.result.length} series; aggregate it (sum, avg, ...) to one value`,
          });
        }
        const r = data.result[0] as { value?: [number, string] };
        if (!Array.isArray(r.value)) throw new TypeError('vector sample without value');
        return parseSampleValue(r.value[1]);
      } catch (e) {
        if (e instanceof CloudError) throw e;
        throw fail(operation, 'invalid', { code: 'BadResponse', message: (e as Error).message, cause: e });
      }
    },
  };
}

function toSeries(data: unknown, operation: string): MetricSeries[] {
  const d = data as { resultType?: string; result?: unknown };
  try {
    if (d?.resultType !== 'matrix' || !Array.isArray(d.result))
      throw new TypeError(`expected a matrix result, got ${d?.resultType}`);
    return d.result.map((r: { metric?: Record<string, string>; values?: Array<[number, string]> }) => {
      if (!Array.isArray(r.values)) throw new TypeError('matrix series without values');
      return {
        labels: { ...(r.metric ?? {}) },
        points: r.values.map(([t, v]) => {
          if (typeof t !== 'number') throw new TypeError(`timestamp ${JSON.stringify(t)} is not a number`);
          return [t, parseSampleValue(v)] as [number, number];
        }),
      };
    });
  } catch (e) {
    throw fail(operation, 'invalid', { code: 'BadResponse', message: (e as Error).message, cause: e });
  }
}

function kindOf(status: number, errorType: string | undefined): CloudErrorKind {
  if (errorType === 'bad_data' || errorType === 'execution' || status === 400 || status === 422) return 'invalid';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  return 'transient';
}

function fail(
  operation: string,
  kind: CloudErrorKind,
  more: { code?: string; status?: number; message?: string; cause?: unknown },
): CloudError {
  return new CloudError({ kind, cloud: 'kubernetes', operation, ...more });
}

function seconds(d: Date): string {
  return (d.getTime() / 1000).toFixed(3);
}
