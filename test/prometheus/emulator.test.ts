import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateInstant,
  evaluateRange,
  parsePromql,
  PromqlParseError,
} from '../../local/emulators/prometheus/promql.ts';
import {
  formatValue,
  type PrometheusEmulator,
  startPrometheusEmulator,
  timestamp,
} from '../../local/emulators/prometheus/server.ts';
import { MetricsStore } from '../../local/emulators/prometheus/store.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'metrics');
const haveCorpus = existsSync(path.join(corpus, 'prometheus-api-v1-query-range-matrix.json'));

/** gpu_utilization of two pools and fleet_rps, one sample a minute for 10 minutes from t = 1000 s. */
function sampleStore(): MetricsStore {
  const s = new MetricsStore();
  for (let i = 0; i < 10; i++) {
    const t = 1000 + i * 60;
    s.add('gpu_utilization', { fleet: 'f', pool: 'a' }, t, 50 + i);
    s.add('gpu_utilization', { fleet: 'f', pool: 'b' }, t, 70);
    s.add('gpu_utilization', { fleet: 'g', pool: 'c' }, t, 10);
    s.add('fleet_rps', { fleet: 'f' }, t, 100 * i);
  }
  return s;
}

describe('PromQL subset', () => {
  it.each([
    { q: 'up', expected: { type: 'selector', matchers: [{ name: '__name__', op: '=', value: 'up' }] } },
    {
      q: 'gpu_utilization{fleet="f", pool!~"b|c",}',
      expected: {
        type: 'selector',
        matchers: [
          { name: '__name__', op: '=', value: 'gpu_utilization' },
          { name: 'fleet', op: '=', value: 'f' },
          { name: 'pool', op: '!~', value: 'b|c' },
        ],
      },
    },
    {
      q: "sum by (fleet) (gpu_utilization{pool!='x'})",
      expected: {
        type: 'aggregate',
        op: 'sum',
        grouping: { mode: 'by', labels: ['fleet'] },
        arg: {
          type: 'selector',
          matchers: [
            { name: '__name__', op: '=', value: 'gpu_utilization' },
            { name: 'pool', op: '!=', value: 'x' },
          ],
        },
      },
    },
    {
      q: 'avg(fleet_rps) without (pool)',
      expected: {
        type: 'aggregate',
        op: 'avg',
        grouping: { mode: 'without', labels: ['pool'] },
        arg: { type: 'selector', matchers: [{ name: '__name__', op: '=', value: 'fleet_rps' }] },
      },
    },
    {
      q: '{__name__="up",job=~".+"}',
      expected: {
        type: 'selector',
        matchers: [
          { name: '__name__', op: '=', value: 'up' },
          { name: 'job', op: '=~', value: '.+' },
        ],
      },
    },
  ])('parses $q', ({ q, expected }) => {
    expect(parsePromql(q)).toEqual(expected);
  });

  it.each([
    { q: '', message: '1:1: parse error: no expression found in input' },
    { q: 'up{job=}', message: '1:8: parse error: unexpected "}" in label matching, expected string' },
    { q: 'up{job="a"', message: '1:11: parse error: unexpected end of input in label matching, expected "}"' },
    { q: 'rate(up[5m])', message: /function or operator "rate" is not supported/ },
    { q: 'up{job~"a"}', message: /unexpected character: '~'/ },
    { q: 'sum(up', message: /expected "\)"/ },
    { q: '{}', message: /at least one non-empty matcher/ },
    { q: '{job=""}', message: /at least one non-empty matcher/ },
    { q: 'up{job=~"("}', message: /invalid regular expression/ },
    { q: 'up up', message: '1:4: parse error: unexpected "up"' },
    { q: 'sum by (a) (up) by (b)', message: /duplicate grouping clause/ },
  ])('rejects $q', ({ q, message }) => {
    let err: unknown;
    try {
      parsePromql(q);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromqlParseError);
    if (typeof message === 'string') expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);
  });

  it.each([
    {
      name: 'a selector',
      q: 'gpu_utilization{fleet="f"}',
      t: 1060,
      expected: [
        ['a', 51],
        ['b', 70],
      ],
    },
    // The last sample is at 1540; an instant selector looks back 5 minutes.
    { name: 'within the lookback', q: 'fleet_rps', t: 1839, expected: [['f', 900]] },
    { name: 'past the lookback', q: 'fleet_rps', t: 1840, expected: [] },
    { name: 'before the first sample', q: 'fleet_rps', t: 999, expected: [] },
    { name: 'sum of everything', q: 'sum(gpu_utilization)', t: 1000, expected: [['', 130]] },
    {
      name: 'avg by fleet',
      q: 'avg by (fleet) (gpu_utilization)',
      t: 1000,
      expected: [
        ['f', 60],
        ['g', 10],
      ],
    },
    {
      name: 'max without pool',
      q: 'max(gpu_utilization) without (pool)',
      t: 1000,
      expected: [
        ['f', 70],
        ['g', 10],
      ],
    },
    { name: 'count with a regex', q: 'count(gpu_utilization{pool=~"a|c"})', t: 1000, expected: [['', 2]] },
    { name: 'min', q: 'min(gpu_utilization{fleet="f"})', t: 1120, expected: [['', 52]] },
  ])('evaluates $name', ({ q, t, expected }) => {
    const out = evaluateInstant(sampleStore(), parsePromql(q), t).map((s) => [
      s.labels.pool ?? s.labels.fleet ?? '',
      s.value,
    ]);
    expect(out.sort()).toEqual(expected);
  });

  it('evaluates over a range at every step', () => {
    const [series] = evaluateRange(sampleStore(), parsePromql('sum(gpu_utilization{fleet="f"})'), 1000, 1120, 30);
    // Steps at 1000, 1030, 1060, 1090, 1120; between samples the previous one holds.
    expect(series!.times).toEqual([1000, 1030, 1060, 1090, 1120]);
    expect(series!.values).toEqual([120, 120, 121, 121, 122]);
    expect(series!.labels).toEqual({});
  });
});

describe('value and timestamp encoding (as Prometheus writes them)', () => {
  it.each([
    [1, '1'],
    [0.5, '0.5'],
    [-2.25, '-2.25'],
    [123456789012, '123456789012'],
    [0.000001, '0.000001'],
    [1e-7, '1e-07'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [0, '0'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])('%s -> %s', (v, s) => {
    expect(formatValue(v)).toBe(s);
  });

  it.each([
    [1435781430.781, '1435781430.781'],
    [1435781430, '1435781430'],
    [1.5, '1.500'],
    [1.05, '1.050'],
    [-1.5, '-1.500'],
  ])('timestamp %s -> %s', (t, s) => {
    expect(timestamp(t)).toBe(s);
  });
});

describe('the HTTP API', () => {
  let emulator: PrometheusEmulator;
  let store: MetricsStore;
  beforeAll(async () => {
    store = sampleStore();
    emulator = await startPrometheusEmulator(store, { now: () => 1_120_000 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  const get = async (p: string) => {
    const res = await fetch(`${emulator.url}${p}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('listens on loopback', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers query_range with a matrix, values as strings', async () => {
    const r = await get(
      `/api/v1/query_range?${new URLSearchParams({ query: 'fleet_rps{fleet="f"}', start: '1000', end: '1120', step: '1m' })}`,
    );
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.text).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"fleet_rps","fleet":"f"},"values":[[1000,"0"],[1060,"100"],[1120,"200"]]}]}}',
    );
  });

  it('answers query with a vector at "now" by default and accepts POST forms and RFC 3339 times', async () => {
    const byDefault = JSON.parse((await get('/api/v1/query?query=sum(gpu_utilization)')).text);
    expect(byDefault.data).toEqual({ resultType: 'vector', result: [{ metric: {}, value: [1120, '132'] }] });
    const res = await fetch(`${emulator.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        query: 'gpu_utilization{pool="a"}',
        time: new Date(1_060_500).toISOString(),
      }).toString(),
    });
    const body = await res.json();
    expect(body.data.result).toEqual([
      { metric: { __name__: 'gpu_utilization', fleet: 'f', pool: 'a' }, value: [1060.5, '51'] },
    ]);
  });

  it.each([
    {
      name: 'no start',
      path: '/api/v1/query_range?query=up&end=1&step=1',
      error: 'invalid parameter "start": cannot parse "" to a valid timestamp',
    },
    {
      name: 'a bad step',
      path: '/api/v1/query_range?query=up&start=1&end=2&step=often',
      error: 'invalid parameter "step": cannot parse "often" to a valid duration',
    },
    {
      name: 'a zero step',
      path: '/api/v1/query_range?query=up&start=1&end=2&step=0',
      error: 'zero or negative query resolution step widths are not accepted. Try a positive integer',
    },
    {
      name: 'end before start',
      path: '/api/v1/query_range?query=up&start=5&end=2&step=1',
      error: 'end timestamp must not be before start time',
    },
    {
      name: 'too many points',
      path: '/api/v1/query_range?query=up&start=0&end=11001&step=1',
      error:
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    },
    {
      name: 'a parse error',
      path: `/api/v1/query?query=${encodeURIComponent('up{')}`,
      error: 'invalid parameter "query": 1:4: parse error: unexpected end of input in label matching, expected label',
    },
    {
      name: 'a bad time',
      path: '/api/v1/query?query=up&time=noon',
      error: 'invalid parameter "time": cannot parse "noon" to a valid timestamp',
    },
  ])('refuses $name with 400 bad_data', async ({ path: p, error }) => {
    const r = await get(p);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ status: 'error', errorType: 'bad_data', error });
  });

  it('answers 404 off the API', async () => {
    const r = await get('/api/v1/labels');
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
  });

  describe.skipIf(!haveCorpus)('the corpus captures (skipped when ../shared/corpus is absent)', () => {
    const read = (name: string) => readFileSync(path.join(corpus, name), 'utf8');

    /** One capture's samples, in a store of their own. */
    async function corpusEmulator(name: string) {
      const s = new MetricsStore();
      const doc = JSON.parse(read(name));
      for (const r of doc.data.result) {
        const { __name__, ...labels } = r.metric;
        for (const [t, v] of r.values ?? [r.value]) s.add(__name__, labels, t, Number(v));
      }
      return startPrometheusEmulator(s);
    }

    it('answers query_range exactly as the captured matrix', async () => {
      const e = await corpusEmulator('prometheus-api-v1-query-range-matrix.json');
      try {
        const res = await fetch(
          `${e.url}/api/v1/query_range?query=up&start=1435781430.781&end=1435781460.781&step=15s`,
        );
        const text = await res.text();
        expect(JSON.parse(text)).toEqual(JSON.parse(read('prometheus-api-v1-query-range-matrix.json')));
        // Timestamps keep their milliseconds as written.
        expect(text).toContain('[1435781430.781,"1"]');
      } finally {
        await e.close();
      }
    });

    it('answers query exactly as the captured vector', async () => {
      const e = await corpusEmulator('prometheus-api-v1-query-vector.json');
      try {
        const res = await fetch(`${e.url}/api/v1/query?query=up&time=2015-07-01T20:10:51.781Z`);
        expect(await res.json()).toEqual(JSON.parse(read('prometheus-api-v1-query-vector.json')));
      } finally {
        await e.close();
      }
    });
  });
});
