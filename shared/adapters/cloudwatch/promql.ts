/**
 * The PromQL the functions send, read strictly: one selector with equality matchers (`fleet_rps{fleet="a"}`),
 * optionally inside one aggregation without grouping (`avg(gpu_utilization{fleet="a"})`). That is all a
 * CloudWatch read can express one-to-one; anything else (functions, ranges, regex or negative matchers,
 * `by`/`without`, `count`, arithmetic) is refused with a message that says what and where. Pure.
 */
import { promqlLexer, type Token } from '../../metrics/promql-lexer.ts';

export const AGGREGATIONS = ['sum', 'avg', 'min', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface ParsedQuery {
  /** The metric name (the selector's name or its `__name__="..."` matcher). */
  metric: string;
  /** Label equality matchers, `__name__` excluded, in the order written. */
  matchers: Array<{ label: string; value: string }>;
  aggregation?: Aggregation;
}

/** A query outside the subset: `position` is the 0-based offset of the offending text, when there is one. */
export class UnsupportedQueryError extends Error {
  readonly position: number | undefined;
  constructor(position: number | undefined, message: string) {
    super(position === undefined ? message : `at character ${position + 1}: ${message}`);
    this.name = 'UnsupportedQueryError';
    this.position = position;
  }
}

const tokenize = promqlLexer({
  // Comparison operators are known only so that an error names them whole.
  punctuation: ['!=', '=~', '!~', '==', '>=', '<=', '{', '}', '(', ')', ',', '='],
  numbers: false,
  // Numbers, durations, ranges, operators: read whole so the error names them.
  unknown: 'other',
  error: (position, message) => new UnsupportedQueryError(position, message),
});

const describe = (t: Token) =>
  t.kind === 'eof' ? 'end of query' : t.kind === 'string' ? `string "${t.value}"` : `'${t.value}'`;

/** Parses the subset; throws `UnsupportedQueryError` for anything else. */
export function parseQuery(input: string): ParsedQuery {
  const tokens = tokenize(input);
  let k = 0;
  const peek = () => tokens[k]!;
  const next = () => tokens[k++]!;
  const expect = (value: string, context: string) => {
    const t = next();
    if (t.kind !== 'punct' || t.value !== value)
      throw new UnsupportedQueryError(t.pos, `expected '${value}' ${context}, found ${describe(t)}`);
  };

  const selector = (): Omit<ParsedQuery, 'aggregation'> => {
    const first = peek();
    let metric: string | undefined;
    if (first.kind === 'ident') {
      next();
      if (peek().kind === 'punct' && peek().value === '(')
        throw new UnsupportedQueryError(first.pos, `function or aggregation '${first.value}' cannot be expressed`);
      if (first.value === 'by' || first.value === 'without')
        throw new UnsupportedQueryError(first.pos, `grouping ('${first.value}') cannot be expressed`);
      metric = first.value;
    } else if (!(first.kind === 'punct' && first.value === '{')) {
      throw new UnsupportedQueryError(first.pos, `expected a metric selector, found ${describe(first)}`);
    }
    const matchers: ParsedQuery['matchers'] = [];
    if (peek().kind === 'punct' && peek().value === '{') {
      next();
      while (!(peek().kind === 'punct' && peek().value === '}')) {
        const label = next();
        if (label.kind !== 'ident')
          throw new UnsupportedQueryError(label.pos, `expected a label name, found ${describe(label)}`);
        const op = next();
        if (op.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.value))
          throw new UnsupportedQueryError(op.pos, `expected a label matcher after '${label.value}'`);
        const value = next();
        if (value.kind !== 'string')
          throw new UnsupportedQueryError(value.pos, `expected a quoted value, found ${describe(value)}`);
        if (op.value !== '=')
          throw new UnsupportedQueryError(
            op.pos,
            `matcher ${label.value}${op.value}"${value.value}" cannot be expressed: CloudWatch dimensions match by equality only`,
          );
        if (value.value === '')
          throw new UnsupportedQueryError(value.pos, `matcher ${label.value}="" cannot be expressed: empty value`);
        if (label.value === '__name__') {
          if (metric !== undefined && metric !== value.value)
            throw new UnsupportedQueryError(label.pos, `two metric names ('${metric}', '${value.value}')`);
          metric = value.value;
        } else if (matchers.some((m) => m.label === label.value)) {
          throw new UnsupportedQueryError(label.pos, `label '${label.value}' is matched twice`);
        } else {
          matchers.push({ label: label.value, value: value.value });
        }
        if (peek().kind === 'punct' && peek().value === ',') next();
        else break;
      }
      expect('}', 'to close the label matchers');
    }
    if (metric === undefined) throw new UnsupportedQueryError(first.pos, 'the selector names no metric');
    const after = peek();
    if (after.kind === 'other' && after.value.startsWith('['))
      throw new UnsupportedQueryError(after.pos, `range selector '${after.value}' cannot be expressed`);
    return { metric, matchers };
  };

  const t = peek();
  let result: ParsedQuery;
  if (t.kind === 'ident' && tokens[k + 1]?.kind === 'punct' && tokens[k + 1]!.value === '(') {
    if (!(AGGREGATIONS as readonly string[]).includes(t.value)) {
      throw new UnsupportedQueryError(
        t.pos,
        `'${t.value}' cannot be expressed (only ${AGGREGATIONS.join(', ')} of one selector)`,
      );
    }
    next();
    next();
    const inner = selector();
    expect(')', `to close '${t.value}('`);
    result = { ...inner, aggregation: t.value as Aggregation };
  } else if (t.kind === 'ident' && (AGGREGATIONS as readonly string[]).includes(t.value)) {
    const g = tokens[k + 1];
    if (g?.kind === 'ident' && (g.value === 'by' || g.value === 'without'))
      throw new UnsupportedQueryError(g.pos, `grouping ('${g.value}') cannot be expressed`);
    result = selector();
  } else {
    result = selector();
  }
  const rest = peek();
  if (rest.kind === 'ident' && (rest.value === 'by' || rest.value === 'without'))
    throw new UnsupportedQueryError(rest.pos, `grouping ('${rest.value}') cannot be expressed`);
  if (rest.kind !== 'eof') throw new UnsupportedQueryError(rest.pos, `unexpected ${describe(rest)}`);
  return result;
}
