import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusMetrics, parseSampleValue } from '../../shared/adapters/prometheus/index.ts';
import { type CloudError, isCloudError } from '../../shared/domain/errors.ts';
import { type MetricsPort, metricsQueryText } from '../../shared/domain/ports.ts';
import { type PrometheusEmulator, startPrometheusEmulator } from '../../local/emulators/prometheus/server.ts';
import { MetricsStore } from '../../local/emulators/prometheus/store.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'metrics');
const matrixFile = path.join(corpus, 'prometheus-api-v1-query-range-matrix.json');

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

async function caught(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    if (isCloudError(e)) return e;
    throw e;
  }
  throw new Error('expected a CloudError');
}

describe('a range longer than Prometheus answers at once', () => {
  it('is read in parts of at most 11,000 points on the same step grid, each series put back together', async () => {
    // Two weeks of one-minute readings (the forecast's longest lookback) for two pools: 20,161 points each.
    const store = new MetricsStore();
    const t0 = 1_767_225_600;
    const n = 14 * 1440 + 1;
    for (let i = 0; i < n; i++) {
      store.add('gpu_utilization', { fleet: 'llm', pool: 'a' }, t0 + i * 60, i);
      store.add('gpu_utilization', { fleet: 'llm', pool: 'b' }, t0 + i * 60, -i);
    }
    const emulator = await startPrometheusEmulator(store);
    try {
      const metrics = createPrometheusMetrics({ url: emulator.url, timeoutMs: 5000, retry: FAST });
      const series = await metrics.queryRange(
        { promql: 'gpu_utilization{fleet="llm"}' },
        new Date(t0 * 1000),
        new Date((t0 + (n - 1) * 60) * 1000),
        60,
      );
      expect(series.map((s) => s.labels.pool).sort()).toEqual(['a', 'b']);
      for (const s of series) {
        expect(s.points).toHaveLength(n);
        const sign = s.labels.pool === 'a' ? 1 : -1;
        expect(s.points.every(([t, v], i) => t === t0 + i * 60 && v === sign * i)).toBe(true);
      }
      const ranges = emulator.requests.filter((r) => r.path === '/api/v1/query_range');
      expect(ranges).toHaveLength(2);
      for (const r of ranges) expect((Number(r.params.end) - Number(r.params.start)) / 60).toBeLessThanOrEqual(11_000);
      // One part when it fits: the same single request as before.
      emulator.requests.length = 0;
      await metrics.queryRange({ promql: 'gpu_utilization' }, new Date(t0 * 1000), new Date((t0 + 3600) * 1000), 60);
      expect(emulator.requests.filter((r) => r.path === '/api/v1/query_range')).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });
});

describe('createPrometheusMetrics against the emulator', () => {
  let emulator: PrometheusEmulator;
  let metrics: MetricsPort;
  beforeAll(async () => {
    const store = new MetricsStore();
    for (let i = 0; i < 5; i++) {
      store.add('fleet_rps', { fleet: 'llm' }, 1000 + i * 60, 10 * i + 0.5);
      store.add('gpu_utilization', { fleet: 'llm', pool: 'a' }, 1000 + i * 60, 40);
      store.add('gpu_utilization', { fleet: 'llm', pool: 'b' }, 1000 + i * 60, 60);
    }
    emulator = await startPrometheusEmulator(store);
    metrics = createPrometheusMetrics({ url: `${emulator.url}/`, timeoutMs: 2000, retry: FAST });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('reads a range as numbers, labels included', async () => {
    const series = await metrics.queryRange(
      { promql: 'fleet_rps{fleet="llm"}' },
      new Date(1_000_000),
      new Date(1_240_000),
      60,
    );
    expect(series).toEqual([
      {
        labels: { __name__: 'fleet_rps', fleet: 'llm' },
        points: [
          [1000, 0.5],
          [1060, 10.5],
          [1120, 20.5],
          [1180, 30.5],
          [1240, 40.5],
        ],
      },
    ]);
    // Sent as a POST form with Unix seconds.
    const last = emulator.requests[emulator.requests.length - 1]!;
    expect(last).toMatchObject({
      method: 'POST',
      path: '/api/v1/query_range',
      params: { start: '1000.000', end: '1240.000', step: '60' },
    });
  });

  it('reads one value, or undefined when there is none', async () => {
    expect(await metrics.queryInstant({ promql: 'avg(gpu_utilization{fleet="llm"})' }, new Date(1_130_000))).toBe(50);
    expect(await metrics.queryInstant({ promql: 'fleet_rps{fleet="other"}' }, new Date(1_130_000))).toBeUndefined();
  });

  it('sends a typed query as its PromQL, label values quoted', async () => {
    const typed = { metric: 'gpu_utilization', labels: { fleet: 'llm' }, aggregation: 'avg' } as const;
    expect(await metrics.queryInstant(typed, new Date(1_130_000))).toBe(50);
    const last = emulator.requests[emulator.requests.length - 1]!;
    expect(last).toMatchObject({ path: '/api/v1/query', params: { query: 'avg(gpu_utilization{fleet="llm"})' } });
    const odd = { metric: 'x', labels: { a: 'say "hi"\\' }, aggregation: 'sum' } as const;
    expect(metricsQueryText(odd)).toBe('sum(x{a="say \\"hi\\"\\\\"})');
  });

  it('refuses a query that returns several series: it must be aggregated', async () => {
    const e = await caught(metrics.queryInstant({ promql: 'gpu_utilization' }, new Date(1_130_000)));
    expect(e).toMatchObject({ kind: 'invalid', code: 'MultipleSeries', cloud: 'kubernetes' });
    expect(e.message).toMatch(/returned 2 series/);
  });

  it("maps Prometheus' bad_data to an invalid CloudError that keeps its message, without retrying", async () => {
    const before = emulator.requests.length;
    const e = await caught(metrics.queryRange({ promql: 'rate(x[5m])' }, new Date(0), new Date(60_000), 15));
    expect(e).toMatchObject({ kind: 'invalid', code: 'bad_data', status: 400 });
    expect(e.message).toMatch(
      /^querying prometheus range rate\(x\[5m\]\): invalid \(bad_data\): invalid parameter "query"/,
    );
    expect(emulator.requests.length - before).toBe(1);
  });
});

describe('createPrometheusMetrics errors and retries (scripted fetch)', () => {
  /** A fetch that answers with the scripted responses in turn and counts calls. */
  function scripted(...answers: Array<() => Response | Promise<Response>>) {
    let calls = 0;
    const f = (async () => {
      const a = answers[Math.min(calls, answers.length - 1)]!;
      calls++;
      return a();
    }) as unknown as typeof fetch;
    return { f, calls: () => calls };
  }
  const json = (status: number, body: unknown) => () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const vector = json(200, {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [1, '7'] }] },
  });

  it.each([
    {
      name: '503 then success',
      answers: [json(503, { status: 'error', errorType: 'unavailable', error: 'busy' }), vector],
      calls: 2,
    },
    { name: '429 twice then success', answers: [json(429, {}), json(429, {}), vector], calls: 3 },
    {
      name: 'a network error then success',
      answers: [
        () => {
          throw new TypeError('fetch failed');
        },
        vector,
      ],
      calls: 2,
    },
  ])('retries $name', async ({ answers, calls }) => {
    const s = scripted(...answers);
    const m = createPrometheusMetrics({ url: 'http://127.0.0.1:9', fetch: s.f, retry: FAST });
    expect(await m.queryInstant({ promql: 'x' }, new Date(1000))).toBe(7);
    expect(s.calls()).toBe(calls);
  });

  it.each([
    {
      name: '503 every time',
      answer: json(503, { status: 'error', errorType: 'timeout', error: 'query timed out' }),
      kind: 'transient',
      code: 'timeout',
      calls: 3,
    },
    { name: '429 every time', answer: json(429, {}), kind: 'throttled', code: 'HTTP429', calls: 3 },
    {
      name: '422 execution error',
      answer: json(422, { status: 'error', errorType: 'execution', error: 'too many samples' }),
      kind: 'invalid',
      code: 'execution',
      calls: 1,
    },
    { name: '401', answer: json(401, {}), kind: 'unauthorized', code: 'HTTP401', calls: 1 },
    {
      name: '404 (wrong URL prefix)',
      answer: () => new Response('404 page not found', { status: 404 }),
      kind: 'not-found',
      code: 'HTTP404',
      calls: 1,
    },
    {
      name: 'a 200 that is not the API',
      answer: () => new Response('<html>', { status: 200 }),
      kind: 'transient',
      code: 'HTTP200',
      calls: 3,
    },
  ])('gives up on $name with a $kind error', async ({ answer, kind, code, calls }) => {
    const s = scripted(answer);
    const m = createPrometheusMetrics({ url: 'http://127.0.0.1:9', fetch: s.f, retry: FAST });
    const e = await caught(m.queryInstant({ promql: 'x' }, new Date(1000)));
    expect(e).toMatchObject({ kind, code });
    expect(s.calls()).toBe(calls);
  });

  it('times out a request that does not answer', async () => {
    const hang = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal!.addEventListener('abort', () => reject(init.signal!.reason));
      })) as unknown as typeof fetch;
    const m = createPrometheusMetrics({
      url: 'http://127.0.0.1:9',
      fetch: hang,
      timeoutMs: 20,
      retry: { maxAttempts: 1 },
    });
    const e = await caught(m.queryRange({ promql: 'x' }, new Date(0), new Date(1000), 1));
    expect(e).toMatchObject({ kind: 'transient', code: 'Timeout' });
  });

  it('refuses a malformed success', async () => {
    const s = scripted(
      json(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, 2]] }] } }),
    );
    const m = createPrometheusMetrics({ url: 'http://127.0.0.1:9', fetch: s.f, retry: FAST });
    const e = await caught(m.queryRange({ promql: 'x' }, new Date(0), new Date(1000), 1));
    expect(e).toMatchObject({ kind: 'invalid', code: 'BadResponse' });
  });

  it.skipIf(!existsSync(matrixFile))(
    'parses the captured matrix of ../shared/corpus (skipped when absent)',
    async () => {
      const body = readFileSync(matrixFile, 'utf8');
      const s = scripted(() => new Response(body, { status: 200 }));
      const m = createPrometheusMetrics({ url: 'http://127.0.0.1:9', fetch: s.f, retry: FAST });
      const series = await m.queryRange({ promql: 'up' }, new Date(0), new Date(1), 15);
      expect(series.map((x) => x.labels.instance)).toEqual(['localhost:9090', 'localhost:9091']);
      expect(series[1]!.points).toEqual([
        [1435781430.781, 0],
        [1435781445.781, 0],
        [1435781460.781, 1],
      ]);
    },
  );
});

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['0.25', 0.25],
    ['1e-07', 1e-7],
    ['-3', -3],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
  ])('%s -> %s', (raw, v) => {
    expect(parseSampleValue(raw)).toBe(v);
  });

  it('reads NaN', () => {
    expect(parseSampleValue('NaN')).toBeNaN();
  });

  it.each([[''], ['abc'], [3], [null]])('refuses %j', (raw) => {
    expect(() => parseSampleValue(raw)).toThrow(TypeError);
  });
});
