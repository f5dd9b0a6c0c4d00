/**
 * Bounds on what goes into a DynamoDB item: keys (a sort key holds at most 1,024 bytes, a partition key
 * 2,048) and the copy of a rejected event (an item holds at most 400 KB; `JSON.stringify` overflows the stack
 * on a document nested thousands of levels deep, which Lambda itself parses fine).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
 */
import { createHash } from 'node:crypto';

/** Longest id (UTF-8 bytes) used verbatim inside a key; well under the sort key's 1,024 with its prefixes. */
export const MAX_KEY_ID_BYTES = 200;

/** The form `keyId` gives a long id: up to 64 characters, `~` and 32 hex digits. */
const SHORT_FORM = /^[\s\S]{1,64}~[0-9a-f]{32}$/u;

/**
 * An id as it may appear inside a key: itself when short, else its first characters and a SHA-256 digest
 * (`<first 64 characters>~<32 hex>`), so keys stay bounded, distinct ids stay distinct and the records keep
 * the full id in an attribute of their own. A short id of that very form (another id's key, sent as an id)
 * is digested too, and an id with unpaired surrogates is digested as its UTF-16 code units (UTF-8 would make
 * each of them U+FFFD, and two such ids one key).
 */
export function keyId(id: string): string {
  const wellFormed = id.isWellFormed();
  if (wellFormed && Buffer.byteLength(id, 'utf8') <= MAX_KEY_ID_BYTES && !SHORT_FORM.test(id)) return id;
  const digest = createHash('sha256')
    .update(wellFormed ? Buffer.from(id, 'utf8') : Buffer.from(id, 'utf16le'))
    .digest('hex')
    .slice(0, 32);
  return `${Array.from(id.toWellFormed()).slice(0, 64).join('')}~${digest}`;
}

/** How deep a stored copy of an event may nest, and how long its JSON text may be (bytes). */
export const MAX_STORED_DEPTH = 64;
export const MAX_STORED_BYTES = 200_000;

/** What stands in for a value nested deeper than the limit. */
export const TOO_DEEP = `[nested deeper than ${MAX_STORED_DEPTH} levels: not stored]`;

/** A copy of a JSON value nested at most `maxDepth` levels; deeper values become the `TOO_DEEP` text. */
export function depthBounded(value: unknown, maxDepth = MAX_STORED_DEPTH): unknown {
  const copy = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? String(v) : v;
    if (depth >= maxDepth) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
    const out: Record<string, unknown> = {};
    // Defined, not assigned: a key `__proto__` (JSON.parse makes it an own key) would set the copy's prototype.
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      Object.defineProperty(out, k, {
        value: copy(x, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  };
  return copy(value, 0);
}

/**
 * The stored form of a rejected event: its JSON text with nesting bounded, cut to `maxBytes` (then
 * `truncated` is true and the text is no longer JSON). Never throws on any JSON value.
 */
export function storedForm(value: unknown, maxBytes = MAX_STORED_BYTES): { text: string; truncated: boolean } {
  const text = JSON.stringify(depthBounded(value)) ?? 'null';
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  // Cut on a character boundary: a byte cut could split a multi-byte character.
  const cut = Buffer.from(text, 'utf8')
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { text: cut, truncated: true };
}

/** A free text (reason, path) cut to `max` characters, saying how much was left out. */
export function boundedText(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}
