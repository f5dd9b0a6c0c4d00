/**
 * Hostile events: deterministic mutations of real payloads (the project's samples, and the corpus beside the
 * repository when it is there). Each mutation, at one path of the document (the root included): drop the
 * field, replace it with a hostile value (wrong type, empty, huge, a placeholder, a date out of range, a
 * deeply nested value, a long string), or truncate it. The same seed gives the same events.
 *
 * The judge, stated: an event is handled right when normalizing it gives
 * - a `ParseError` (rejected: kept with its reason, never acted on), or a no-op; or
 * - a signal that is well formed: it passes the strict schema of normalized signals (non-empty ids, canonical
 *   ISO times, known enums, finite numbers, no unknown fields), and none of its ids is a placeholder
 *   (`[...]`, `%s`, `{...}`, `<...>`) or longer than 1,024 characters.
 * Anything else thrown is a crash; a signal that breaks the rules is a malformed event accepted as
 * actionable; a normalization slower than 100 ms is slow.
 */
import { mulberry32 } from '../../local/emulators/world.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Key = string | number;

/** The emulators' seeded PRNG (mulberry32, uniform in [0, 1)), so a seed's mutations repeat. */
export const prng = mulberry32;

function nested(depth: number): Json {
  let v: Json = 'deep';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

export const HOSTILE: readonly Json[] = [
  null,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  'x',
  true,
  [],
  {},
  [null],
  { __proto__: 'x', constructor: 'y' } as unknown as Json,
  '__proto__',
  '2025-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  'yyyy-mm-ddThh:mm:ssZ',
  '[Customer Account ID]',
  '%s',
  '{instance-id}',
  '<placeholder>',
  '0x10',
  ' 5 ',
  'Tue, 31 Feb 2025 10:00:00 GMT',
  'not base64 !!',
  'a'.repeat(5_000),
  '{'.repeat(2_000),
  nested(200),
];

export type MutationOp = 'drop' | 'replace' | 'truncate';

/** Every path in the document, the root included. */
export function pathsOf(v: Json, prefix: Key[] = []): Key[][] {
  const out: Key[][] = [prefix];
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push(...pathsOf(x, [...prefix, i]));
    });
  } else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

function truncate(v: Json, keep: number): Json {
  if (typeof v === 'string') return v.slice(0, keep % (v.length + 1));
  if (Array.isArray(v)) return v.slice(0, keep % (v.length + 1));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).slice(0, keep % 4));
  if (typeof v === 'number') return Math.trunc(v / 10);
  return v;
}

/** One mutation of a copy of `doc`, chosen by `random`; says what it did. */
export function mutate(doc: Json, random: () => number): { doc: Json; what: string } {
  const copy = structuredClone(doc);
  const paths = pathsOf(copy);
  const at = paths[Math.floor(random() * paths.length)]!;
  const ops: MutationOp[] = ['drop', 'replace', 'truncate'];
  const op = ops[Math.floor(random() * ops.length)]!;
  const value = HOSTILE[Math.floor(random() * HOSTILE.length)]!;
  const keep = Math.floor(random() * 40);
  const where = at.join('.') || '(root)';
  if (at.length === 0) {
    return op === 'truncate'
      ? { doc: truncate(copy, keep), what: `truncate ${where}` }
      : { doc: structuredClone(value), what: `replace ${where}` };
  }
  const parent = at.slice(0, -1).reduce<Json>((node, k) => (node as Record<Key, Json>)[k]!, copy) as
    | Json[]
    | Record<string, Json>;
  const key = at.at(-1)!;
  if (op === 'drop') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else {
    (parent as Record<Key, Json>)[key] =
      op === 'replace' ? structuredClone(value) : truncate((parent as Record<Key, Json>)[key]!, keep);
  }
  return { doc: copy, what: `${op} ${where}` };
}

const PLACEHOLDER = /^\[.*\]$|%s|^\{.*\}$|^<.*>$/;

/** Ids a signal carries, wherever they are. */
function idsOf(signal: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ['eventId', 'fleetId', 'poolId', 'alarmName']) if (typeof signal[k] === 'string') out.push(signal[k]);
  for (const k of ['instanceIds', 'reservationIds'])
    if (Array.isArray(signal[k]))
      out.push(...(signal[k] as unknown[]).filter((x): x is string => typeof x === 'string'));
  return out;
}

/** Why a signal breaks the judge's id rules, or undefined. */
export function badIds(signal: Record<string, unknown>): string | undefined {
  for (const id of idsOf(signal)) {
    if (id.length > 1024) return `an id of ${id.length} characters`;
    if (PLACEHOLDER.test(id)) return `a placeholder id ${JSON.stringify(id.slice(0, 40))}`;
  }
  return undefined;
}
