/**
 * Turning a zod failure into the project's `ParseError`: the source, the dotted path of the first offending
 * field (`detail.instance-id`, `Records[0].Sns.Message.NewStateValue`), what was expected there and a short
 * description of what was received. Paths are prefixed with where the payload sat in its envelope.
 */
import type { z } from 'zod';
import { isParseError, ParseError } from '../shared/domain/errors.ts';
import type { Normalized, RejectedItem } from '../shared/domain/signals.ts';
import type { NormalizeContext } from './context.ts';

export type Path = readonly (string | number)[];

/** A schema and the pure function that turns what it parsed into a signal or a no-op. */
export interface Decoder<S extends z.ZodType = z.ZodType> {
  schema: S;
  toSignal(event: z.output<S>, ctx: NormalizeContext): Normalized;
}

/** Field names the caller changed before parsing (documentation spellings), reported under their own name. */
export type Renames = Readonly<Record<string, string>>;

export function formatPath(path: Path, renames?: Renames, prefixLength = 0): string {
  let out = '';
  path.forEach((seg, i) => {
    const name = i === prefixLength && renames && typeof seg === 'string' ? (renames[seg] ?? seg) : seg;
    if (typeof name === 'number') out += `[${name}]`;
    else out += out === '' ? name : `.${name}`;
  });
  return out;
}

/** A one-line description of a received value, for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 57)}...` : v;
    return JSON.stringify(s);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return 'an object';
}

function valueAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  int: 'an integer',
  nonoptional: 'a value',
};

/** Default zod messages start with these words; anything else is one of our own "expected ..." phrases. */
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function expectedOf(issue: z.core.$ZodIssue): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return ARTICLE[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set')
        return `at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'a non-empty string';
      return `a value >= ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${issue.maximum} items` : `a value <= ${issue.maximum}`;
    case 'unrecognized_keys':
      return `no field named ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_union':
      return 'one of the accepted shapes';
    case 'invalid_format':
      return `a ${issue.format}`;
    default:
      return issue.message;
  }
}

/** The `ParseError` for the first issue of a zod failure. */
export function toParseError(error: z.ZodError, raw: unknown, source: string, at: Path, renames?: Renames) {
  const issue = error.issues[0]!;
  const inner = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const rel = inner.filter((s): s is string | number => typeof s !== 'symbol');
  const received = issue.code === 'unrecognized_keys' ? undefined : describeValue(valueAt(raw, rel));
  return new ParseError(
    source,
    formatPath([...at, ...rel], renames, at.length),
    expectedOf(issue).replace(/\s+/g, ' '),
    {
      cause: error,
      received,
    },
  );
}

/** Parses `raw` with `schema` or throws a `ParseError` naming the source and the field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: string,
  at: Path = [],
  renames?: Renames,
): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw toParseError(r.error, raw, source, at, renames);
}

/**
 * Parses with the decoder's schema and maps the result to a signal. The items a decoder rejects (and the error
 * it throws when it rejects them all) are named from its event's root (`Events[1].EventType`); they are
 * prefixed here with where the event sat
 * (`Records[0].Sns.Message.detail.Events[1].EventType`, `[1].data.resources[0]...` in an Event Grid array).
 */
export function decode<S extends z.ZodType>(
  decoder: Decoder<S>,
  raw: unknown,
  source: string,
  ctx: NormalizeContext,
  at: Path = [],
  renames?: Renames,
): Normalized {
  const event = parseWith(decoder.schema, raw, source, at, renames);
  if (at.length === 0) return decoder.toSignal(event, ctx);
  const prefix = formatPath(at);
  const under = (path: string) => (path === '' ? prefix : path.startsWith('[') ? prefix + path : `${prefix}.${path}`);
  let out: Normalized;
  try {
    out = decoder.toSignal(event, ctx);
  } catch (e) {
    // Every item of a batch malformed: the first one's error, named from the event's root too.
    if (!isParseError(e)) throw e;
    throw new ParseError(e.source, under(e.path), e.expected, {
      cause: e.cause ?? e,
      ...(e.received === undefined ? {} : { received: e.received }),
    });
  }
  if (!out.rejected?.length) return out;
  return { ...out, rejected: out.rejected.map((r) => ({ ...r, path: under(r.path) })) };
}

/** A readable id of a batch item (`EventId`, `id`), for the record of its rejection. */
function itemId(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const o = item as Record<string, unknown>;
  for (const key of ['EventId', 'id']) if (typeof o[key] === 'string' && o[key] !== '') return o[key] as string;
  return undefined;
}

/** The record of one malformed item of a batch. */
export function rejectedItem(error: ParseError, item: unknown): RejectedItem {
  const id = itemId(item);
  return {
    ...(id === undefined ? {} : { eventId: id }),
    source: error.source,
    path: error.path,
    reason: error.message,
    item,
  };
}

/**
 * Each item of a batch on its own: the ones `parse` accepts, and a `RejectedItem` for each it refuses with
 * a `ParseError` (other errors are bugs and propagate). When every item is refused, the first error is
 * thrown: the whole delivery is malformed. An empty batch gives no items and no rejections.
 */
export function partitionItems<T>(
  items: readonly unknown[],
  parse: (item: unknown, index: number) => T,
): { valid: T[]; rejected: RejectedItem[] } {
  const valid: T[] = [];
  const rejected: RejectedItem[] = [];
  let first: ParseError | undefined;
  items.forEach((item, i) => {
    try {
      valid.push(parse(item, i));
    } catch (e) {
      if (!isParseError(e)) throw e;
      first ??= e;
      rejected.push(rejectedItem(e, item));
    }
  });
  if (valid.length === 0 && first) throw first;
  return { valid, rejected };
}

/** `result` with `rejected` items added (none: `result` itself). */
export function withRejected<N extends Normalized>(result: N, rejected: readonly RejectedItem[]): N {
  if (rejected.length === 0) return result;
  return { ...result, rejected: [...(result.rejected ?? []), ...rejected] };
}
