/**
 * The part of PromQL the emulator understands: instant vector selectors (`name`, `name{l="v",m=~"re"}`,
 * `{__name__="name"}`) and the aggregations `sum`, `avg`, `min`, `max` and `count` of an expression, with
 * an optional `by (...)` or `without (...)` clause before or after the argument. Anything else is a parse
 * error, reported as Prometheus does (`1:col: parse error: ...`).
 */
import { promqlLexer, type Token } from './promql-lexer.ts';
import { type Labels, type LabelMatcher, type MatchOp, MetricsStore, type Series, seriesKey } from './store.ts';

export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export type Expr =
  | { type: 'selector'; matchers: LabelMatcher[] }
  | { type: 'aggregate'; op: Aggregation; grouping?: { mode: 'by' | 'without'; labels: string[] }; arg: Expr };

export class PromqlParseError extends Error {
  readonly position: number;
  constructor(position: number, message: string) {
    super(`1:${position + 1}: parse error: ${message}`);
    this.name = 'PromqlParseError';
    this.position = position;
  }
}

const tokenize = promqlLexer({
  punctuation: ['!=', '=~', '!~', '{', '}', '(', ')', ',', '=', '[', ']'],
  // Numbers and durations (`5m`): not part of the subset, but read whole so errors name them.
  numbers: true,
  unknown: 'error',
  error: (position, message) => new PromqlParseError(position, message),
});

export function parsePromql(input: string): Expr {
  const tokens = tokenize(input);
  let k = 0;
  const peek = () => tokens[k]!;
  const isPunct = (t: Token, value: string) => t.kind === 'punct' && t.value === value;
  const next = () => tokens[k++]!;
  const describe = (t: Token) =>
    t.kind === 'eof' ? 'end of input' : t.kind === 'string' ? `string "${t.value}"` : `"${t.value}"`;
  const expectPunct = (value: string, context: string) => {
    const t = next();
    if (t.kind !== 'punct' || t.value !== value)
      throw new PromqlParseError(t.pos, `unexpected ${describe(t)} in ${context}, expected "${value}"`);
  };

  const grouping = (): { mode: 'by' | 'without'; labels: string[] } => {
    const mode = next() as { value: 'by' | 'without' };
    expectPunct('(', 'grouping opts');
    const labels: string[] = [];
    while (!isPunct(peek(), ')')) {
      const t = next();
      if (t.kind !== 'ident')
        throw new PromqlParseError(t.pos, `unexpected ${describe(t)} in grouping opts, expected label`);
      labels.push(t.value);
      if (isPunct(peek(), ',')) next();
      else break;
    }
    expectPunct(')', 'grouping opts');
    return { mode: mode.value, labels };
  };
  const isGrouping = (t: Token) => t.kind === 'ident' && (t.value === 'by' || t.value === 'without');

  const matchers = (): LabelMatcher[] => {
    expectPunct('{', 'vector selector');
    const out: LabelMatcher[] = [];
    while (!isPunct(peek(), '}')) {
      const name = next();
      if (name.kind !== 'ident')
        throw new PromqlParseError(name.pos, `unexpected ${describe(name)} in label matching, expected label`);
      const op = next();
      if (op.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.value)) {
        throw new PromqlParseError(
          op.pos,
          `unexpected ${describe(op)} in label matching, expected label matching operator`,
        );
      }
      const value = next();
      if (value.kind !== 'string')
        throw new PromqlParseError(value.pos, `unexpected ${describe(value)} in label matching, expected string`);
      if (op.value === '=~' || op.value === '!~') {
        try {
          new RegExp(`^(?:${value.value})$`);
        } catch (e) {
          throw new PromqlParseError(value.pos, `invalid regular expression "${value.value}": ${(e as Error).message}`);
        }
      }
      out.push({ name: name.value, op: op.value as MatchOp, value: value.value });
      if (isPunct(peek(), ',')) next();
      else break;
    }
    expectPunct('}', 'label matching');
    return out;
  };

  const expr = (): Expr => {
    const t = peek();
    if (t.kind === 'ident' && (AGGREGATIONS as readonly string[]).includes(t.value)) {
      next();
      let group = isGrouping(peek()) ? grouping() : undefined;
      expectPunct('(', 'aggregation');
      const arg = expr();
      expectPunct(')', 'aggregation');
      if (isGrouping(peek())) {
        if (group) throw new PromqlParseError(peek().pos, 'duplicate grouping clause');
        group = grouping();
      }
      return { type: 'aggregate', op: t.value as Aggregation, grouping: group, arg };
    }
    if (t.kind === 'ident') {
      next();
      if (isPunct(peek(), '(')) {
        throw new PromqlParseError(
          t.pos,
          `function or operator "${t.value}" is not supported by this emulator (only sum, avg, min, max, count)`,
        );
      }
      const m: LabelMatcher[] = [{ name: '__name__', op: '=', value: t.value }];
      if (isPunct(peek(), '{')) m.push(...matchers());
      return { type: 'selector', matchers: m };
    }
    if (t.kind === 'punct' && t.value === '{') {
      const m = matchers();
      if (m.every(matchesEmpty)) {
        throw new PromqlParseError(t.pos, 'vector selector must contain at least one non-empty matcher');
      }
      return { type: 'selector', matchers: m };
    }
    if (t.kind === 'eof') throw new PromqlParseError(t.pos, 'no expression found in input');
    throw new PromqlParseError(t.pos, `unexpected ${describe(t)}`);
  };

  const e = expr();
  const rest = peek();
  if (rest.kind !== 'eof') throw new PromqlParseError(rest.pos, `unexpected ${describe(rest)}`);
  return e;
}

export interface Sample {
  labels: Labels;
  value: number;
}

/** Evaluates an expression at time `t` (seconds), as an instant vector. */
export function evaluateInstant(store: MetricsStore, e: Expr, t: number): Sample[] {
  if (e.type === 'selector') {
    const out: Sample[] = [];
    for (const s of store.select(e.matchers)) {
      const v = MetricsStore.valueAt(s, t);
      if (v !== undefined) out.push({ labels: s.labels, value: v });
    }
    return out;
  }
  const input = evaluateInstant(store, e.arg, t);
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of input) {
    const labels = groupLabels(s.labels, e.grouping);
    const key = seriesKey(labels);
    const g = groups.get(key) ?? { labels, values: [] };
    g.values.push(s.value);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: aggregate(e.op, g.values) }));
}

/** Evaluates an expression at start, start + step, ... <= end: one series per label set. */
export function evaluateRange(store: MetricsStore, e: Expr, start: number, end: number, step: number): Series[] {
  const out = new Map<string, Series>();
  const n = Math.floor((end - start) / step + 1e-9);
  for (let i = 0; i <= n; i++) {
    // Millisecond resolution, as Prometheus evaluates.
    const t = Math.round((start + i * step) * 1000) / 1000;
    for (const s of evaluateInstant(store, e, t)) {
      const key = seriesKey(s.labels);
      const series = out.get(key) ?? { labels: s.labels, times: [], values: [] };
      series.times.push(t);
      series.values.push(s.value);
      out.set(key, series);
    }
  }
  return sortSeries([...out.values()]);
}

export function sortSeries<T extends { labels: Labels }>(xs: T[]): T[] {
  return xs.sort((a, b) =>
    seriesKey(a.labels) < seriesKey(b.labels) ? -1 : seriesKey(a.labels) > seriesKey(b.labels) ? 1 : 0,
  );
}

/** Whether a matcher matches a missing label (the empty string): a selector needs one that does not. */
function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test('');
  }
}

function groupLabels(labels: Labels, grouping: { mode: 'by' | 'without'; labels: string[] } | undefined): Labels {
  const out: Labels = {};
  if (!grouping) return out;
  if (grouping.mode === 'by') {
    for (const l of grouping.labels) if (labels[l] !== undefined && labels[l] !== '') out[l] = labels[l]!;
    return out;
  }
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && !grouping.labels.includes(k)) out[k] = v;
  return out;
}

function aggregate(op: Aggregation, values: number[]): number {
  switch (op) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'count':
      return values.length;
  }
}
