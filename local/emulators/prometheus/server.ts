/**
 * A Prometheus HTTP API emulator over a `MetricsStore`: `GET|POST /api/v1/query` and `/api/v1/query_range`
 * for the PromQL subset of promql.ts, with Prometheus' own response envelope, value encoding (sample values
 * as strings, timestamps as seconds with millisecond fractions) and errors
 * (`{"status":"error","errorType":"bad_data","error":"..."}` with HTTP 400).
 * Listens on 127.0.0.1, port 0 by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateInstant, evaluateRange, type Expr, parsePromql, sortSeries } from './promql.ts';
import type { Labels, MetricsStore } from './store.ts';
import { type RequestTap, tapServer } from '../tap.ts';

export interface PrometheusEmulatorOptions {
  /** "Now" for instant queries without `time`, ms since the epoch (the simulation's clock). */
  now?: () => number;
  host?: string;
  port?: number;
  /** Latency added to every request and a report of each (benchmarks); none by default. */
  tap?: RequestTap;
}

export interface PrometheusEmulator {
  url: string;
  port: number;
  /** Requests served, for tests. */
  readonly requests: Array<{ method: string; path: string; params: Record<string, string> }>;
  close(): Promise<void>;
}

/** Prometheus refuses range queries of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;

class BadData extends Error {}

export async function startPrometheusEmulator(
  store: MetricsStore,
  options: PrometheusEmulatorOptions = {},
): Promise<PrometheusEmulator> {
  const now = options.now ?? (() => (store.latestTime() ?? 0) * 1000);
  const requests: PrometheusEmulator['requests'] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, errorBody('internal', (e as Error).message)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (req.method === 'POST') {
      const body = await readBody(req);
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('application/x-www-form-urlencoded'))
        Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
    }
    requests.push({ method: req.method ?? 'GET', path: url.pathname, params });
    const route = url.pathname.replace(/\/+$/, '');
    if (route !== '/api/v1/query' && route !== '/api/v1/query_range') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, POST' });
      res.end('Method Not Allowed\n');
      return;
    }
    try {
      send(res, 200, route === '/api/v1/query' ? instant(params) : range(params));
    } catch (e) {
      if (e instanceof BadData) send(res, 400, errorBody('bad_data', e.message));
      else throw e;
    }
  }

  function parseQuery(params: Record<string, string>): Expr {
    try {
      return parsePromql(params.query ?? '');
    } catch (e) {
      throw new BadData(`invalid parameter "query": ${(e as Error).message}`);
    }
  }

  function instant(params: Record<string, string>): string {
    const t = params.time !== undefined && params.time !== '' ? parseTime(params.time, 'time') : roundMs(now() / 1000);
    const e = parseQuery(params);
    const samples = sortSeries(evaluateInstant(store, e, t));
    const result = samples.map(
      (s) => `{"metric":${labelsJson(s.labels)},"value":[${timestamp(t)},"${formatValue(s.value)}"]}`,
    );
    return `{"status":"success","data":{"resultType":"vector","result":[${result.join(',')}]}}`;
  }

  function range(params: Record<string, string>): string {
    const start = parseTime(params.start ?? '', 'start');
    const end = parseTime(params.end ?? '', 'end');
    const step = parseDuration(params.step ?? '', 'step');
    if (end < start) throw new BadData('end timestamp must not be before start time');
    if (step <= 0)
      throw new BadData('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end - start) / step > MAX_POINTS) {
      throw new BadData(
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    }
    const e = parseQuery(params);
    const series = evaluateRange(store, e, start, end, step);
    const result = series.map((s) => {
      const values = s.times.map((t, i) => `[${timestamp(t)},"${formatValue(s.values[i]!)}"]`);
      return `{"metric":${labelsJson(s.labels)},"values":[${values.join(',')}]}`;
    });
    return `{"status":"success","data":{"resultType":"matrix","result":[${result.join(',')}]}}`;
  }

  tapServer(server, 'prometheus', options.tap);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Prometheus `parseTime`: float seconds since the epoch, or RFC 3339. Seconds, millisecond resolution. */
export function parseTime(raw: string, name: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return roundMs(Number(raw));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) {
    const ms = Date.parse(raw);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  throw new BadData(`invalid parameter "${name}": cannot parse "${raw}" to a valid timestamp`);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Prometheus `parseDuration`: float seconds, or a duration like `1h30m`, `15s`, `500ms`. Seconds. */
export function parseDuration(raw: string, name: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    const v = Number(raw);
    if (Number.isFinite(v)) return roundMs(v);
  }
  if (raw !== '' && /^((\d+)(ms|s|m|h|d|w|y))+$/.test(raw)) {
    let total = 0;
    for (const m of raw.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    return roundMs(total);
  }
  throw new BadData(`invalid parameter "${name}": cannot parse "${raw}" to a valid duration`);
}

/**
 * A sample value as Prometheus writes it: Go's strconv 'f' format with the shortest exact digits, or 'e'
 * below 1e-6 and from 1e21 (exponent with at least two digits), and NaN, +Inf, -Inf.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  // JavaScript switches to exponents at the same bounds, so in between String() is Go's 'f' -1.
  return Object.is(v, -0) ? '-0' : String(v);
}

/** A timestamp as Prometheus writes it: whole seconds, then `.` and three digits of milliseconds if any. */
export function timestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const whole = Math.floor(abs / 1000);
  const fraction = abs % 1000;
  return fraction === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(fraction).padStart(3, '0')}`;
}

function labelsJson(labels: Labels): string {
  return JSON.stringify(labels);
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function errorBody(errorType: string, error: string): string {
  return JSON.stringify({ status: 'error', errorType, error });
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
