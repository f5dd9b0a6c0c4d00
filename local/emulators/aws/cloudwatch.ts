/**
 * CloudWatch `GetMetricData` in the AWS emulator, over the protocol the SDK (3.11xx) speaks: AWS JSON 1.0,
 * `x-amz-target: GraniteServiceVersion20100801.GetMetricData`, query-compatible (`x-amzn-query-mode: true`).
 * Timestamps travel as epoch seconds. Errors are JSON `{"__type": ..., "message": ...}` with the Query
 * protocol's code in `x-amzn-query-error: Code;Sender` (the SDK reads that code first).
 *
 * The datapoints come from a `MetricsStore` (the one the Prometheus emulator serves), through a mapping:
 *
 * - `metrics: [{ namespace: 'GpuFleet', metricName: 'GPUUtilization', series: 'gpu_utilization',
 *   dimensions: { FleetId: 'fleet' } }]`: every store series `gpu_utilization{...}` is a CloudWatch metric
 *   GpuFleet/GPUUtilization whose dimensions are its labels, `fleet` renamed `FleetId` (labels not listed
 *   keep their names: `gpu_utilization{fleet="a",pool="p"}` is {FleetId=a, pool=p});
 * - `namespace: 'GpuFleet'`: every store metric is also visible in that namespace under its own name, with
 *   its labels as dimensions (`fleet_rps{fleet="a"}` is GpuFleet/fleet_rps {fleet=a}).
 *
 * As in CloudWatch, a metric is its namespace, name and exact set of dimensions: a MetricStat for {fleet=a}
 * does not see a series published with {fleet=a, pool=p}. Statistics per period: `Average`, `Sum`,
 * `Minimum`, `Maximum`, `SampleCount` and percentiles `pNN` (nearest rank) of the samples in
 * [t, t + Period) within [StartTime, EndTime); a period without samples has no datapoint; non-finite samples
 * are left out (CloudWatch refuses them). StartTime is rounded down to the minute (the rule for data under
 * 15 days old; the coarser roundings and the retention roll-ups of older data are not emulated).
 *
 * Expressions: `SUM|AVG|MIN|MAX(SEARCH('{Namespace,Dim1,...} MetricName="m" Dim1="v"', 'Stat'[, period]))`,
 * with a schema and exact-match terms; other metric math and Metrics Insights queries are refused with
 * `InvalidParameterValue` saying the emulator does not evaluate them.
 *
 * Paging: at most `MaxDatapoints` (default 100,800) datapoints per answer, fewer with the `pageSize`
 * option; results cut by a page say `PartialData` and the answer carries a `NextToken` bound to the request.
 */
import { createHash } from 'node:crypto';
import type { Labels, MetricsStore, Series } from '../prometheus/store.ts';
import { AwsApiError } from './context.ts';
import { pageToken, readPageToken } from './wire.ts';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';
export const CLOUDWATCH_CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_DATAPOINTS = 100_800;
const MAX_QUERIES = 500;

export interface CloudWatchMetricMapping {
  namespace: string;
  metricName: string;
  /** Store metric name the datapoints come from. */
  series: string;
  /** Dimension name -> store label; labels not listed are dimensions of their own name. */
  dimensions?: Record<string, string>;
}

export interface CloudWatchEmulatorOptions {
  store: MetricsStore;
  /** Every store metric is also readable in this namespace, under its own name, labels as dimensions. */
  namespace?: string;
  metrics?: CloudWatchMetricMapping[];
  /** Caps the datapoints of one answer below the request's MaxDatapoints, to exercise paging. */
  pageSize?: number;
}

interface Metric {
  dims: Labels;
  series: Series;
}

interface Output {
  Id: string;
  Label: string;
  points: Array<[number, number]>;
}

/** Query codes -> the `__type` CloudWatch's JSON errors carry. */
const ERROR_TYPES: Record<string, string> = {
  InvalidParameterValue: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
  InvalidParameterCombination: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException',
  MissingParameter: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
  InvalidNextToken: 'com.amazonaws.cloudwatch#InvalidNextToken',
  InternalServiceError: 'com.amazonaws.cloudwatch#InternalServiceFault',
  LimitExceeded: 'com.amazonaws.cloudwatch#LimitExceededFault',
  Throttling: 'com.amazon.coral.availability#ThrottlingException',
  AccessDenied: 'com.amazon.coral.service#AccessDeniedException',
  MissingAuthenticationToken: 'com.amazon.coral.service#MissingAuthenticationTokenException',
  UnknownOperationException: 'com.amazon.coral.service#UnknownOperationException',
  SerializationException: 'com.amazon.coral.service#SerializationException',
};

/** An error as CloudWatch's JSON protocol sends it. */
export function cloudWatchError(e: AwsApiError): { headers: Record<string, string>; body: unknown } {
  return {
    headers: { 'x-amzn-query-error': `${e.code};${e.status >= 500 ? 'Receiver' : 'Sender'}` },
    body: { __type: ERROR_TYPES[e.code] ?? e.code, message: e.message },
  };
}

const invalid = (message: string) => new AwsApiError(400, 'InvalidParameterValue', message);

export function handleCloudWatch(
  options: CloudWatchEmulatorOptions | undefined,
  operation: string,
  input: unknown,
): unknown {
  if (operation !== 'GetMetricData')
    throw new AwsApiError(400, 'UnknownOperationException', `The emulator does not serve CloudWatch ${operation}`);
  return getMetricData(options, input);
}

function getMetricData(options: CloudWatchEmulatorOptions | undefined, raw: unknown): unknown {
  const input = (raw ?? {}) as Record<string, unknown>;
  const queries = input.MetricDataQueries;
  if (!Array.isArray(queries) || queries.length === 0)
    throw new AwsApiError(400, 'MissingParameter', 'The parameter MetricDataQueries is required.');
  if (queries.length > MAX_QUERIES)
    throw invalid(`The collection MetricDataQueries must not have more than ${MAX_QUERIES} members.`);
  const start = epoch(input.StartTime, 'StartTime');
  const end = epoch(input.EndTime, 'EndTime');
  if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = input.ScanBy ?? 'TimestampDescending';
  if (scanBy !== 'TimestampAscending' && scanBy !== 'TimestampDescending')
    throw invalid(`The value ${String(scanBy)} for parameter ScanBy is not valid.`);
  const max = input.MaxDatapoints ?? MAX_DATAPOINTS;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw invalid('The parameter MaxDatapoints must be a positive integer.');
  const from = Math.floor(start / 60) * 60;

  const seen = new Set<string>();
  const outputs: Output[] = [];
  queries.forEach((q: unknown, i: number) => {
    const where = `MetricDataQueries.member.${i + 1}`;
    const query = (q ?? {}) as Record<string, unknown>;
    const id = query.Id;
    if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9_]{0,254}$/.test(id))
      throw invalid(
        `The value ${String(id)} for parameter ${where}.Id is not valid: it must start with a lowercase letter.`,
      );
    if (seen.has(id)) throw invalid(`The value ${id} for parameter ${where}.Id is used twice.`);
    seen.add(id);
    const hasStat = query.MetricStat !== undefined;
    const hasExpr = query.Expression !== undefined;
    if (hasStat === hasExpr) {
      throw new AwsApiError(
        400,
        'InvalidParameterCombination',
        `Exactly one of ${where}.MetricStat and ${where}.Expression must be given.`,
      );
    }
    const out = hasStat
      ? metricStat(options, query.MetricStat, `${where}.MetricStat`, from, end, id)
      : expression(options, query, where, from, end, id);
    if (typeof query.Label === 'string') out.Label = query.Label;
    if (query.ReturnData !== false) outputs.push(out);
  });

  // Paging over the datapoints of every result, in result order, each in the requested time order.
  const flat: Array<{ result: number; point: [number, number] }> = [];
  outputs.forEach((o, result) => {
    const points = scanBy === 'TimestampAscending' ? o.points : [...o.points].reverse();
    for (const point of points) flat.push({ result, point });
  });
  const { NextToken: token, ...rest } = input;
  const binding = `GetMetricData/${createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16)}`;
  const offset = readPageToken(binding, typeof token === 'string' ? token : undefined);
  if (offset === undefined || offset > flat.length)
    throw new AwsApiError(400, 'InvalidNextToken', 'The service cannot process the NextToken supplied.');
  const size = Math.min(max, MAX_DATAPOINTS, options?.pageSize ?? MAX_DATAPOINTS);
  const slice = flat.slice(offset, offset + size);
  const next = offset + size < flat.length ? offset + size : undefined;
  const results = outputs.map((o, i) => {
    const mine = slice.filter((p) => p.result === i).map((p) => p.point);
    const continues = next !== undefined && flat.slice(next).some((p) => p.result === i);
    return {
      Id: o.Id,
      Label: o.Label,
      Timestamps: mine.map((p) => p[0]),
      Values: mine.map((p) => p[1]),
      StatusCode: continues ? 'PartialData' : 'Complete',
    };
  });
  // The first page lists every result (empty ones too); later pages only the results they carry.
  const listed = offset === 0 ? results : results.filter((r) => r.Timestamps.length > 0);
  return {
    MetricDataResults: listed,
    Messages: [],
    ...(next !== undefined ? { NextToken: pageToken(binding, next) } : {}),
  };
}

function epoch(v: unknown, name: string): number {
  if (v === undefined || v === null)
    throw new AwsApiError(400, 'MissingParameter', `The parameter ${name} is required.`);
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new AwsApiError(400, 'SerializationException', `${name} must be a timestamp in epoch seconds.`);
  return v;
}

function period(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || !([1, 5, 10, 30].includes(v) || v % 60 === 0))
    throw invalid(`The parameter ${where} must be 1, 5, 10, 30 or a multiple of 60.`);
  return v;
}

function metricStat(
  options: CloudWatchEmulatorOptions | undefined,
  raw: unknown,
  where: string,
  from: number,
  end: number,
  id: string,
): Output {
  const ms = (raw ?? {}) as Record<string, unknown>;
  const metric = (ms.Metric ?? {}) as Record<string, unknown>;
  const namespace = metric.Namespace;
  const metricName = metric.MetricName;
  if (typeof namespace !== 'string' || namespace === '')
    throw new AwsApiError(400, 'MissingParameter', `The parameter ${where}.Metric.Namespace is required.`);
  if (typeof metricName !== 'string' || metricName === '')
    throw new AwsApiError(400, 'MissingParameter', `The parameter ${where}.Metric.MetricName is required.`);
  const dims: Labels = {};
  const list = metric.Dimensions ?? [];
  if (!Array.isArray(list) || list.length > 30) throw invalid(`The parameter ${where}.Metric.Dimensions is not valid.`);
  for (const d of list as Array<Record<string, unknown>>) {
    if (typeof d?.Name !== 'string' || d.Name === '' || typeof d.Value !== 'string' || d.Value === '')
      throw invalid(`The parameter ${where}.Metric.Dimensions has a dimension without a name or value.`);
    if (d.Name.length > 255 || d.Value.length > 1024) {
      throw invalid(
        `The parameter ${where}.Metric.Dimensions has a name longer than 255 or a value longer than 1024 characters.`,
      );
    }
    if (d.Name in dims) throw invalid(`The parameter ${where}.Metric.Dimensions names ${d.Name} twice.`);
    dims[d.Name] = d.Value;
  }
  const p = period(ms.Period, `${where}.Period`);
  const stat = statistic(ms.Stat, `${where}.Stat`);
  const found = metricsOf(options, namespace, metricName).find((m) => sameDims(m.dims, dims));
  return { Id: id, Label: metricName, points: found ? aggregatePeriods(found.series, from, end, p, stat) : [] };
}

const FUNCTIONS: Record<string, (values: number[]) => number> = {
  SUM: (v) => v.reduce((a, b) => a + b, 0),
  AVG: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  MIN: (v) => Math.min(...v),
  MAX: (v) => Math.max(...v),
};

function expression(
  options: CloudWatchEmulatorOptions | undefined,
  query: Record<string, unknown>,
  where: string,
  from: number,
  end: number,
  id: string,
): Output {
  const text = query.Expression;
  if (typeof text !== 'string' || text.trim() === '') throw invalid(`The parameter ${where}.Expression is not valid.`);
  const m =
    /^\s*(SUM|AVG|MIN|MAX)\s*\(\s*SEARCH\s*\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'((?:[^'\\]|\\.)*)'\s*(?:,\s*(\d+)\s*)?\)\s*\)\s*$/.exec(
      text,
    );
  if (!m) {
    throw invalid(
      `The expression ${text} in ${where}.Expression is not one the emulator evaluates (SUM, AVG, MIN or MAX of one SEARCH).`,
    );
  }
  const p = period(m[4] !== undefined ? Number(m[4]) : query.Period, `${where}.Period`);
  const stat = statistic(unbackslash(m[3]!), `${where}.Expression`);
  const search = parseSearch(unbackslash(m[2]!), where);
  const matching = metricsOf(options, search.namespace, search.metricName).filter(
    (x) => sameKeys(x.dims, search.schema) && Object.entries(search.terms).every(([k, v]) => x.dims[k] === v),
  );
  const byTime = new Map<number, number[]>();
  for (const x of matching) {
    for (const [t, v] of aggregatePeriods(x.series, from, end, p, stat)) {
      const list = byTime.get(t) ?? [];
      list.push(v);
      byTime.set(t, list);
    }
  }
  const fn = FUNCTIONS[m[1]!]!;
  const points = [...byTime].sort((a, b) => a[0] - b[0]).map(([t, values]) => [t, fn(values)] as [number, number]);
  return { Id: id, Label: id, points };
}

function unbackslash(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

interface Search {
  namespace: string;
  schema: string[];
  metricName?: string;
  terms: Record<string, string>;
}

/** `{Namespace,Dim1,"Dim 2"} MetricName="m" Dim1="v"`: a schema and exact-match terms only. */
function parseSearch(text: string, where: string): Search {
  const refuse = (why: string) =>
    invalid(`The search '${text}' in ${where}.Expression is not one the emulator evaluates: ${why}.`);
  const schema = /^\s*\{([^}]*)\}(.*)$/s.exec(text);
  if (!schema) throw refuse('it needs a {Namespace,Dimension,...} schema');
  const names = schema[1]!.split(',').map((s) => unquote(s.trim()));
  if (names.some((n) => n === '')) throw refuse('the schema has an empty name');
  const [namespace, ...dims] = names;
  const terms: Record<string, string> = {};
  let metricName: string | undefined;
  const rest = schema[2]!.trim();
  const termRe = /("[^"]*"|[^\s="]+)="([^"]*)"/y;
  let i = 0;
  while (i < rest.length) {
    if (/\s/.test(rest[i]!)) {
      i++;
      continue;
    }
    termRe.lastIndex = i;
    const t = termRe.exec(rest);
    if (!t) throw refuse(`'${rest.slice(i)}' is not an exact-match term Name="value"`);
    const key = unquote(t[1]!);
    if (key === 'MetricName') metricName = t[2]!;
    else terms[key] = t[2]!;
    i = termRe.lastIndex;
  }
  return { namespace: namespace!, schema: dims, metricName, terms };
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

const BASIC = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'];

function statistic(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '')
    throw new AwsApiError(400, 'MissingParameter', `The parameter ${where} is required.`);
  if (BASIC.includes(v) || /^p(\d{1,2}(\.\d+)?|100)$/.test(v)) return v;
  throw invalid(
    `The value ${v} for parameter ${where} is not a statistic the emulator computes (${BASIC.join(', ')}, pNN).`,
  );
}

function computeStat(stat: string, values: number[]): number {
  switch (stat) {
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default: {
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.ceil((Number(stat.slice(1)) / 100) * sorted.length);
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
    }
  }
}

/** Datapoints of one metric: the statistic of its samples in each period [t, t + p) within [from, end). */
function aggregatePeriods(s: Series, from: number, end: number, p: number, stat: string): Array<[number, number]> {
  let lo = 0;
  let hi = s.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.times[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Array<[number, number]> = [];
  let bucket = -1;
  let values: number[] = [];
  const flush = () => {
    if (values.length) out.push([from + bucket * p, computeStat(stat, values)]);
    values = [];
  };
  for (let i = lo; i < s.times.length && s.times[i]! < end; i++) {
    const v = s.values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.floor((s.times[i]! - from) / p);
    if (k !== bucket) {
      flush();
      bucket = k;
    }
    values.push(v);
  }
  flush();
  return out;
}

/** The CloudWatch metrics the store holds in a namespace (of one name, when given). */
function metricsOf(options: CloudWatchEmulatorOptions | undefined, namespace: string, metricName?: string): Metric[] {
  if (!options) return [];
  const out: Metric[] = [];
  for (const m of options.metrics ?? []) {
    if (m.namespace !== namespace || (metricName !== undefined && m.metricName !== metricName)) continue;
    const rename = new Map(Object.entries(m.dimensions ?? {}).map(([dim, label]) => [label, dim]));
    for (const series of options.store.select([{ name: '__name__', op: '=', value: m.series }])) {
      out.push({ dims: dimsOf(series.labels, rename), series });
    }
  }
  if (options.namespace === namespace) {
    const names = metricName !== undefined ? [metricName] : options.store.names();
    for (const name of names) {
      for (const series of options.store.select([{ name: '__name__', op: '=', value: name }])) {
        out.push({ dims: dimsOf(series.labels, new Map()), series });
      }
    }
  }
  return out;
}

function dimsOf(labels: Labels, rename: Map<string, string>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__') out[rename.get(k) ?? k] = v;
  return out;
}

function sameDims(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function sameKeys(a: Labels, keys: string[]): boolean {
  const ka = Object.keys(a);
  return ka.length === keys.length && keys.every((k) => k in a);
}
