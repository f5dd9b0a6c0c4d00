/**
 * The parts of the adapter that need no CloudWatch: translating queries, validating its options, and
 * classifying errors; then the answers the emulator does not give (limit codes, PartialData after the last
 * page, a result in error) from a loopback server that replays canned JSON 1.0 answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloudWatchRetryStrategy,
  createCloudWatchMetrics,
  isCloudWatchPeriod,
  isCloudWatchStatistic,
  toCloudWatchError,
  translate,
} from '../../shared/adapters/cloudwatch/index.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import { ADAPTER_MAPPING, at, CREDENTIALS, caught, q, REGION, T0 } from './support.ts';

describe('translate', () => {
  it.each([
    {
      name: 'unmapped metric: own name, default namespace, labels as dimensions (sorted)',
      query: 'sum(fleet_rps{region="eu",fleet="llm"})',
      expected: {
        Id: 'q0',
        MetricStat: {
          Metric: {
            Namespace: 'GpuFleet',
            MetricName: 'fleet_rps',
            Dimensions: [
              { Name: 'fleet', Value: 'llm' },
              { Name: 'region', Value: 'eu' },
            ],
          },
          Period: 300,
          Stat: 'Average',
        },
        ReturnData: true,
      },
    },
    {
      name: 'mapped, renamed, pinned: one metric',
      query: 'avg(gpu_utilization{pool="a",fleet="llm"})',
      expected: {
        Id: 'q0',
        MetricStat: {
          Metric: {
            Namespace: 'GpuFleet',
            MetricName: 'GPUUtilization',
            Dimensions: [
              { Name: 'FleetId', Value: 'llm' },
              { Name: 'Pool', Value: 'a' },
            ],
          },
          Period: 300,
          Stat: 'Average',
        },
        ReturnData: true,
      },
    },
    {
      name: 'mapped, partly pinned: aggregated search',
      query: 'max(gpu_utilization{fleet="llm"})',
      expected: {
        Id: 'q0',
        Expression: `MAX(SEARCH('{GpuFleet,FleetId,Pool} MetricName="GPUUtilization" FleetId="llm"', 'Average', 300))`,
        Period: 300,
        ReturnData: true,
      },
    },
    {
      name: 'nothing pinned: the whole schema',
      query: 'sum(gpu_utilization)',
      expected: {
        Id: 'q0',
        Expression: `SUM(SEARCH('{GpuFleet,FleetId,Pool} MetricName="GPUUtilization"', 'Average', 300))`,
        Period: 300,
        ReturnData: true,
      },
    },
    {
      name: 'another namespace and statistic',
      query: "sum(alb_rps{lb='app/llm/50dc6c49'})",
      expected: {
        Id: 'q0',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [{ Name: 'LoadBalancer', Value: 'app/llm/50dc6c49' }],
          },
          Period: 300,
          Stat: 'Sum',
        },
        ReturnData: true,
      },
    },
  ])('$name', ({ query, expected }) => {
    expect(translate(q(query), ADAPTER_MAPPING, 300).query).toEqual(expected);
  });

  it('quotes schema names that are not plain', () => {
    const r = translate(
      q('avg(x{fleet="llm"})'),
      { namespace: 'My App', metrics: { x: { dimensions: ['fleet', 'gpu index'] } } },
      60,
    );
    expect(r.query.Expression).toBe(
      `AVG(SEARCH('{"My App",fleet,"gpu index"} MetricName="x" fleet="llm"', 'Average', 60))`,
    );
  });

  it.each([
    { query: `avg(gpu_utilization{fleet="it's"})`, says: 'quote or backslash' },
    { query: 'sum(x{a="1",b="2"})', says: "two labels map to the dimension 'D'" },
  ])('refuses $query', ({ query, says }) => {
    const options = { namespace: 'N', metrics: { x: { labels: { a: 'D', b: 'D' } } } };
    const mapping = query.startsWith('sum(x') ? options : ADAPTER_MAPPING;
    expect(() => translate(q(query), mapping, 60)).toThrow(says);
  });
});

describe('periods and statistics', () => {
  it.each([
    [1, true],
    [5, true],
    [10, true],
    [30, true],
    [60, true],
    [300, true],
    [3600, true],
    [0, false],
    [2, false],
    [45, false],
    [90, false],
    [60.5, false],
  ])('period %d: %s', (seconds, valid) => expect(isCloudWatchPeriod(seconds)).toBe(valid));

  it.each([
    ['Average', true],
    ['SampleCount', true],
    ['p99', true],
    ['p99.9', true],
    ['p100', true],
    ['tm90', true],
    ['IQM', true],
    ['TM(10%:90%)', true],
    ['Avg', false],
    ['average', false],
    ['p', false],
    ["PR(1:')", false],
  ])('statistic %s: %s', (stat, valid) => expect(isCloudWatchStatistic(stat)).toBe(valid));

  it.each([
    {
      name: 'a statistic CloudWatch does not know',
      options: { metrics: { x: { stat: 'Avg' } } },
      path: 'metrics.x.stat',
    },
    { name: 'too many datapoints per call', options: { maxDatapoints: 200_000 }, path: 'maxDatapoints' },
    { name: 'an instant period that is not one', options: { instantPeriodSeconds: 45 }, path: 'instantPeriodSeconds' },
    { name: 'no namespace', options: { namespace: '' }, path: 'namespace' },
  ])('options: $name is a ConfigError at $path', ({ options, path }) => {
    let error: unknown;
    try {
      createCloudWatchMetrics({ region: REGION, namespace: 'N', credentials: CREDENTIALS, ...options }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
  });
});

/** An SDK service exception as the JSON 1.0 query-compatible protocol builds it. */
function sdkError(name: string, Code: string | undefined, status: number) {
  return Object.assign(new Error('boom'), { name, ...(Code ? { Code } : {}), $metadata: { httpStatusCode: status } });
}

describe('error classification', () => {
  it.each([
    { name: 'Throttling', error: sdkError('Throttling', 'Throttling', 400), kind: 'throttled' },
    {
      name: 'LimitExceeded (the fault)',
      error: sdkError('LimitExceededFault', 'LimitExceeded', 400),
      kind: 'throttled',
    },
    {
      name: 'LimitExceededException',
      error: sdkError('LimitExceededException', 'LimitExceededException', 400),
      kind: 'throttled',
    },
    {
      name: 'InvalidParameterValue',
      error: sdkError('InvalidParameterValueException', 'InvalidParameterValue', 400),
      kind: 'invalid',
    },
    { name: 'InvalidNextToken', error: sdkError('InvalidNextToken', 'InvalidNextToken', 400), kind: 'invalid' },
    {
      name: 'MissingParameter',
      error: sdkError('MissingRequiredParameterException', 'MissingParameter', 400),
      kind: 'invalid',
    },
    { name: 'AccessDenied', error: sdkError('AccessDenied', 'AccessDenied', 403), kind: 'unauthorized' },
    {
      name: 'InternalServiceError (500)',
      error: sdkError('InternalServiceFault', 'InternalServiceError', 500),
      kind: 'transient',
    },
    { name: 'a 503 without a code', error: sdkError('Error', undefined, 503), kind: 'transient' },
    { name: 'a timeout', error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }), kind: 'transient' },
  ])('$name -> $kind', ({ error, kind }) => {
    const e = toCloudWatchError(error, 'querying cloudwatch x');
    expect(e).toMatchObject({ kind, cloud: 'aws', operation: 'querying cloudwatch x' });
    expect(e.cause).toBe(error);
  });

  it('the retry strategy retries the limit codes as throttling, and client errors not at all', async () => {
    const strategy = new CloudWatchRetryStrategy({ maxAttempts: 3, baseDelayMs: 10, random: () => 0.5 });
    const token = await strategy.acquireInitialRetryToken('');
    const limit = sdkError('LimitExceededFault', 'LimitExceeded', 400);
    // The SDK classifies LimitExceededFault as a client error; retried with the throttling base (5 x 10 ms).
    const retry = await strategy.refreshRetryTokenForRetry(token, { error: limit, errorType: 'CLIENT_ERROR' });
    expect(retry.getRetryCount()).toBe(1);
    expect(retry.getRetryDelay()).toBe(25);
    const invalid = sdkError('InvalidParameterValueException', 'InvalidParameterValue', 400);
    await expect(
      strategy.refreshRetryTokenForRetry(token, { error: invalid, errorType: 'CLIENT_ERROR' }),
    ).rejects.toThrow();
  });
});

// ---- canned answers ---------------------------------------------------------------------------------------

interface Canned {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Replays the answers in order (the last one forever) and records each request body. */
async function cannedServer(answers: Canned[]) {
  const bodies: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString('utf8');
    });
    req.on('end', () => {
      bodies.push(JSON.parse(raw) as Record<string, unknown>);
      const a = answers[Math.min(bodies.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, { 'content-type': 'application/x-amz-json-1.0', ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metrics = createCloudWatchMetrics({
    region: REGION,
    endpoint,
    credentials: CREDENTIALS,
    namespace: 'GpuFleet',
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return { bodies, metrics };
}

const LIMIT: Canned = {
  status: 400,
  headers: { 'x-amzn-query-error': 'LimitExceeded;Sender' },
  body: { __type: 'com.amazonaws.cloudwatch#LimitExceededFault', message: 'Too many concurrent requests' },
};

const result = (more: Record<string, unknown>): Canned => ({
  status: 200,
  body: {
    MetricDataResults: [{ Id: 'q0', Label: 'fleet_rps', Timestamps: [T0], Values: [42], ...more }],
    Messages: [],
  },
});

describe('answers the emulator does not give', () => {
  it('LimitExceeded is retried as throttling', async () => {
    const { bodies, metrics } = await cannedServer([LIMIT, result({ StatusCode: 'Complete' })]);
    expect(await metrics.queryInstant(q('sum(fleet_rps{fleet="llm"})'), at(0))).toBe(42);
    expect(bodies).toHaveLength(2);
    metrics.close();
  });

  it('LimitExceeded on every attempt: throttled', async () => {
    const { bodies, metrics } = await cannedServer([LIMIT]);
    const err = await caught(metrics.queryInstant(q('sum(fleet_rps{fleet="llm"})'), at(0)));
    expect(err).toMatchObject({ kind: 'throttled', code: 'LimitExceeded', status: 400 });
    expect(bodies).toHaveLength(3);
    metrics.close();
  });

  it('PartialData after the last page fails with the messages, not a partial aggregate', async () => {
    const { metrics } = await cannedServer([
      result({
        StatusCode: 'PartialData',
        Messages: [{ Code: 'MaxMetricsExceeded', Value: 'The search matched more than 500 metrics' }],
      }),
    ]);
    const err = await caught(metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(5), 60));
    expect(err).toMatchObject({ kind: 'invalid', code: 'PartialData' });
    expect(err.message).toContain('MaxMetricsExceeded: The search matched more than 500 metrics');
    metrics.close();
  });

  it('PartialData with a NextToken: keeps paging', async () => {
    const { bodies, metrics } = await cannedServer([
      {
        ...result({ StatusCode: 'PartialData' }),
        body: { ...(result({ StatusCode: 'PartialData' }).body as object), NextToken: 'more' },
      },
      {
        status: 200,
        body: { MetricDataResults: [{ Id: 'q0', Timestamps: [T0 + 60], Values: [43], StatusCode: 'Complete' }] },
      },
    ]);
    const [series] = await metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(5), 60);
    expect(series!.points).toEqual([
      [T0, 42],
      [T0 + 60, 43],
    ]);
    expect(bodies[1]!.NextToken).toBe('more');
    metrics.close();
  });

  it.each([
    { status: 'InternalError', kind: 'transient' },
    { status: 'Forbidden', kind: 'unauthorized' },
  ])('a result with StatusCode $status: $kind', async ({ status, kind }) => {
    const { metrics } = await cannedServer([result({ StatusCode: status, Timestamps: [], Values: [] })]);
    const err = await caught(metrics.queryInstant(q('sum(fleet_rps{fleet="llm"})'), at(0)));
    expect(err).toMatchObject({ kind, code: status });
    metrics.close();
  });
});
