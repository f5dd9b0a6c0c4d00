/**
 * The CloudWatch metrics adapter through the real SDK against the AWS emulator's GetMetricData: instant and
 * range reads, paging across NextToken, long ranges split into calls, errors and retries, and the queries it
 * refuses. Series and their values: support.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DATAPOINTS } from '../../shared/adapters/cloudwatch/index.ts';
import { metricsQueryText } from '../../shared/domain/ports.ts';
import { at, caught, type Harness, MINUTES, q, startHarness, T0 } from './support.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(options?: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

describe('instant queries', () => {
  it.each([
    // fleet_rps is 10 + k at minute k.
    { name: 'one metric (MetricStat)', query: 'sum(fleet_rps{fleet="llm"})', minute: 30, expected: 40 },
    { name: 'between two samples: the latest', query: 'sum(fleet_rps{fleet="llm"})', minute: 30.5, expected: 40 },
    // Minute 3: pool a 43, pool b 57 (pool c starts at minute 10).
    { name: 'avg over a search', query: 'avg(gpu_utilization{fleet="llm"})', minute: 3, expected: 50 },
    { name: 'sum over a search', query: 'sum(gpu_utilization{fleet="llm"})', minute: 3, expected: 100 },
    { name: 'max over a search', query: 'max(gpu_utilization{fleet="llm"})', minute: 3, expected: 57 },
    { name: 'min over a search', query: 'min(gpu_utilization{fleet="llm"})', minute: 3, expected: 43 },
    // Minute 12: a 45, b 58, c 90.
    {
      name: 'a series that started later joins',
      query: 'avg(gpu_utilization{fleet="llm"})',
      minute: 12,
      expected: 193 / 3,
    },
    {
      name: 'all dimensions pinned: one metric',
      query: 'max(gpu_utilization{fleet="llm",pool="b"})',
      minute: 12,
      expected: 58,
    },
    { name: 'one series, pinned', query: 'max(gpu_utilization{fleet="llm",pool="c"})', minute: 12, expected: 90 },
    // Minute 1: 1,200 requests in the minute = 20/s.
    { name: 'a per-period count as a rate', query: 'sum(alb_rps{lb="app/llm/50dc6c49"})', minute: 1, expected: 20 },
    // The last sample (minute 59, value 69) is 4 minutes old: within the 5-minute lookback.
    { name: 'the last sample within the lookback', query: 'sum(fleet_rps{fleet="llm"})', minute: 63, expected: 69 },
    { name: 'nothing within the lookback', query: 'sum(fleet_rps{fleet="llm"})', minute: 65, expected: undefined },
    { name: 'an unknown fleet', query: 'sum(fleet_rps{fleet="other"})', minute: 30, expected: undefined },
  ])('$name', async ({ query, minute, expected }) => {
    const h = await harness();
    const value = await h.metrics.queryInstant(q(query), at(minute));
    if (expected === undefined) expect(value).toBeUndefined();
    else expect(value).toBeCloseTo(expected, 9);
  });

  it('sends a 60 s MetricStat over the last five minutes, newest first', async () => {
    const h = await harness();
    await h.metrics.queryInstant(q('sum(fleet_rps{fleet="llm"})'), at(30));
    expect(h.requests()).toEqual([
      {
        MetricDataQueries: [
          {
            Id: 'q0',
            MetricStat: {
              Metric: { Namespace: 'GpuFleet', MetricName: 'fleet_rps', Dimensions: [{ Name: 'fleet', Value: 'llm' }] },
              Period: 60,
              Stat: 'Average',
            },
            ReturnData: true,
          },
        ],
        StartTime: T0 + 25 * 60,
        // EndTime is exclusive: one second past `at`, so the period starting at `at` counts.
        EndTime: T0 + 30 * 60 + 1,
        ScanBy: 'TimestampDescending',
        MaxDatapoints: MAX_DATAPOINTS,
      },
    ]);
  });

  it('aggregates a search over the metric schema for a partly pinned selector', async () => {
    const h = await harness();
    await h.metrics.queryInstant(q('avg(gpu_utilization{fleet="llm"})'), at(3));
    const [query] = h.requests()[0]!.MetricDataQueries as Array<Record<string, unknown>>;
    expect(query).toEqual({
      Id: 'q0',
      Expression: `AVG(SEARCH('{GpuFleet,FleetId,Pool} MetricName="GPUUtilization" FleetId="llm"', 'Average', 60))`,
      Period: 60,
      ReturnData: true,
    });
  });
});

describe('range queries', () => {
  it('reads one point per step, ascending, the end included', async () => {
    const h = await harness();
    const series = await h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(4), 60);
    expect(series).toEqual([
      {
        labels: {},
        points: [
          [T0, 10],
          [T0 + 60, 11],
          [T0 + 120, 12],
          [T0 + 180, 13],
          [T0 + 240, 14],
        ],
      },
    ]);
    expect(h.requests()).toHaveLength(1);
    expect(h.requests()[0]).toMatchObject({ ScanBy: 'TimestampAscending', StartTime: T0, EndTime: T0 + 241 });
  });

  it('labels the aggregated series as Prometheus does: no labels', async () => {
    const h = await harness();
    const [series] = await h.metrics.queryRange(q('avg(gpu_utilization{fleet="llm",pool="a"})'), at(0), at(1), 60);
    expect(series!.labels).toEqual({});
  });

  it('a step longer than the samples: the statistic over the period', async () => {
    const h = await harness();
    const [rps] = await h.metrics.queryRange(q('sum(alb_rps{lb="app/llm/50dc6c49"})'), at(0), at(5), 300);
    // Minutes 0-4 hold 600+1200+1800+600+1200 = 5,400 requests: 18/s over 300 s; minutes 5-9 (the period
    // starting at the end) hold 1800+600+1200+1800+600 = 6,000 but only minute 5 is before EndTime: 1800/300.
    expect(rps!.points).toEqual([
      [T0, 18],
      [T0 + 300, 6],
    ]);
  });

  it('rounds the start down to the minute, as CloudWatch does', async () => {
    const h = await harness();
    const [series] = await h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(2.5), at(4), 60);
    expect(series!.points.map(([t]) => (t - T0) / 60)).toEqual([2, 3, 4]);
    expect(h.requests()[0]).toMatchObject({ StartTime: T0 + 120 });
  });

  it('no data: no series', async () => {
    const h = await harness();
    expect(await h.metrics.queryRange(q('sum(fleet_rps{fleet="other"})'), at(0), at(10), 60)).toEqual([]);
    expect(await h.metrics.queryRange(q('avg(gpu_utilization{fleet="other"})'), at(0), at(10), 60)).toEqual([]);
  });
});

describe('paging and splitting', () => {
  it('follows NextToken until the last page', async () => {
    const h = await harness({ pageSize: 4 });
    const [series] = await h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(19), 60);
    expect(series!.points).toHaveLength(20);
    expect(series!.points.map(([, v]) => v)).toEqual(Array.from({ length: 20 }, (_, k) => 10 + k));
    // 20 datapoints, 4 a page: 5 calls, the first without a token, every other with the previous one's.
    const requests = h.requests();
    expect(requests).toHaveLength(5);
    expect(requests[0]!.NextToken).toBeUndefined();
    for (const r of requests.slice(1)) expect(typeof r.NextToken).toBe('string');
    expect(new Set(requests.map((r) => `${r.StartTime}-${r.EndTime}`)).size).toBe(1);
  });

  it('splits a range of more periods than one call may return into consecutive calls', async () => {
    const h = await harness({ adapter: { maxDatapoints: 7 } });
    const [series] = await h.metrics.queryRange(q('avg(gpu_utilization{fleet="llm"})'), at(0), at(19), 60);
    const whole = await (await harness()).metrics.queryRange(q('avg(gpu_utilization{fleet="llm"})'), at(0), at(19), 60);
    expect(series).toEqual(whole[0]);
    expect(series!.points).toHaveLength(20);
    // 20 periods, 7 a call: [0, 7), [7, 14), [14, 19 + 1 s) minutes.
    expect(h.requests().map((r) => [(Number(r.StartTime) - T0) / 60, (Number(r.EndTime) - T0) / 60])).toEqual([
      [0, 7],
      [7, 14],
      [14, 19 + 1 / 60],
    ]);
    expect(h.requests().every((r) => r.MaxDatapoints === 7)).toBe(true);
  });

  it('splits and pages together', async () => {
    const h = await harness({ pageSize: 3, adapter: { maxDatapoints: 7 } });
    const [series] = await h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(19), 60);
    expect(series!.points.map(([, v]) => v)).toEqual(Array.from({ length: 20 }, (_, k) => 10 + k));
    // Chunks of 7, 7 and 6 datapoints, 3 a page: 3 + 3 + 2 calls.
    expect(h.requests()).toHaveLength(8);
  });

  it('splits at GetMetricData’s 100,800 datapoints by default', async () => {
    const h = await harness();
    // 100,801 one-minute periods (the end included): one full call and one for the last period.
    const end = at(MAX_DATAPOINTS);
    const [series] = await h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), end, 60);
    expect(series!.points).toHaveLength(MINUTES);
    const requests = h.requests();
    expect(requests).toHaveLength(2);
    expect(Number(requests[0]!.EndTime) - Number(requests[0]!.StartTime)).toBe(MAX_DATAPOINTS * 60);
    expect(requests[1]!.StartTime).toBe(requests[0]!.EndTime);
    expect(requests[1]!.EndTime).toBe(end.getTime() / 1000 + 1);
  });
});

describe('errors and retries', () => {
  const query = 'sum(fleet_rps{fleet="llm"})';

  it('a throttled call is retried and succeeds', async () => {
    const h = await harness();
    h.world.faults.inject({ service: 'cloudwatch', operation: 'GetMetricData', kind: 'throttle' });
    expect(await h.metrics.queryInstant(q(query), at(30))).toBe(40);
    expect(h.world.faults.fired).toEqual([{ service: 'cloudwatch', operation: 'GetMetricData', kind: 'throttle' }]);
    expect(h.requests()).toHaveLength(2);
  });

  it.each([
    // maxAttempts 3: retried twice, then the error.
    {
      name: 'throttling, every attempt',
      kind: 'throttle',
      times: 3,
      expected: { kind: 'throttled', code: 'Throttling', status: 400 },
      calls: 3,
    },
    {
      name: 'server error, every attempt',
      kind: 'server-error',
      times: 3,
      expected: { kind: 'transient', code: 'InternalServiceError', status: 500 },
      calls: 3,
    },
    {
      name: 'access denied: not retried',
      kind: 'unauthorized',
      times: 3,
      expected: { kind: 'unauthorized', code: 'AccessDenied', status: 403 },
      calls: 1,
    },
  ] as const)('$name', async ({ kind, times, expected, calls }) => {
    const h = await harness();
    h.world.faults.inject({ service: 'cloudwatch', operation: 'GetMetricData', kind, times });
    const err = await caught(h.metrics.queryRange(q(query), at(0), at(5), 60));
    expect(err).toMatchObject({ ...expected, cloud: 'aws', operation: `querying cloudwatch range ${query}` });
    expect(h.requests()).toHaveLength(calls);
  });

  it('a value CloudWatch refuses: InvalidParameterValue -> invalid, not retried', async () => {
    const h = await harness();
    // Dimension values are at most 1,024 characters.
    const err = await caught(h.metrics.queryInstant(q(`sum(fleet_rps{fleet="${'x'.repeat(1100)}"})`), at(30)));
    expect(err).toMatchObject({ kind: 'invalid', code: 'InvalidParameterValue', status: 400 });
    expect(h.requests()).toHaveLength(1);
  });

  it('a call that hangs times out and is retried, then fails as transient', async () => {
    const h = await harness({ adapter: { requestTimeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } } });
    h.world.faults.inject({
      service: 'cloudwatch',
      operation: 'GetMetricData',
      kind: 'timeout',
      times: 2,
      delayMs: 1_000,
    });
    const err = await caught(h.metrics.queryInstant(q(query), at(30)));
    expect(err).toMatchObject({ kind: 'transient', code: 'TimeoutError' });
    expect(h.requests()).toHaveLength(2);
  });
});

describe('queries CloudWatch cannot express', () => {
  it.each([
    {
      query: q('avg(gpu_utilization{fleet="llm",zone="a"})'),
      says: "'zone' is not a dimension of GpuFleet/GPUUtilization",
    },
    { query: q('sum(fleet_rps{fleet=""})'), says: 'empty value' },
    { query: q(`avg(gpu_utilization{fleet="it's"})`), says: 'quote or backslash' },
    // A fleet's configured demandQuery is PromQL: CloudWatch runs none, and the adapter does not parse it.
    { query: { promql: 'sum(fleet_rps{fleet="llm"})' }, says: 'CloudWatch runs no PromQL' },
    { query: { promql: 'rate(fleet_rps{fleet="llm"}[5m])' }, says: 'CloudWatch runs no PromQL' },
  ])('$says', async ({ query, says }) => {
    const h = await harness();
    const text = metricsQueryText(query);
    const err = await caught(h.metrics.queryInstant(query, at(30)));
    expect(err).toMatchObject({ kind: 'invalid', code: 'UnsupportedQuery', operation: `querying cloudwatch ${text}` });
    expect(err.message).toContain(text);
    expect(err.message).toContain(says);
    expect(h.requests()).toHaveLength(0);
  });

  it('a step that is not a CloudWatch period', async () => {
    const h = await harness();
    const err = await caught(h.metrics.queryRange(q('sum(fleet_rps{fleet="llm"})'), at(0), at(10), 45));
    expect(err).toMatchObject({ kind: 'invalid', code: 'InvalidPeriod' });
    expect(err.message).toContain('step 45 s is not a CloudWatch period');
    expect(h.requests()).toHaveLength(0);
  });
});
