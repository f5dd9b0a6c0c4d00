/**
 * Nothing crashes: fast-check takes real events (our samples, and the corpus when it is beside the repo),
 * drops, retypes and truncates fields anywhere in them, and checks that the result is a well-formed
 * signal, a no-op, or a ParseError that names a source and a field, never another exception.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { listSamples } from '../../events/samples.ts';
import { isParseError } from '../../shared/domain/errors.ts';
import { CORPUS_CLOUDS, CORPUS_DIR, HAS_CORPUS, NormalizedSchema } from './support.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Key = string | number;

const inputs: { name: string; doc: Json }[] = [
  ...listSamples().map((s) => ({
    name: `samples/${s.source}/${s.name}`,
    doc: JSON.parse(readFileSync(s.file, 'utf8')),
  })),
  ...(HAS_CORPUS
    ? CORPUS_CLOUDS.flatMap((c) =>
        readdirSync(path.join(CORPUS_DIR, c)).map((f) => ({
          name: `corpus/${c}/${f}`,
          doc: JSON.parse(readFileSync(path.join(CORPUS_DIR, c, f), 'utf8')),
        })),
      )
    : []),
];

/** Every path in the document, the root included. */
function pathsOf(v: Json, prefix: Key[] = []): Key[][] {
  const out: Key[][] = [prefix];
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push(...pathsOf(x, [...prefix, i]));
    });
  } else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

interface Mutation {
  op: 'drop' | 'retype' | 'truncate';
  at: number;
  replacement: Json;
  keep: number;
}

const REPLACEMENTS: Json[] = [
  null,
  0,
  -1,
  1e21,
  Number.MAX_SAFE_INTEGER,
  '',
  'x',
  true,
  [],
  {},
  [null],
  { nested: 'object' },
  '2025-13-45T99:99:99Z',
  'yyyy-mm-ddThh:mm:ssZ',
  '[Customer Account ID]',
  '%s',
  'Tue, 31 Feb 2025 10:00:00 GMT',
  'not base64 !!',
];

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('drop', 'retype', 'truncate'),
  at: fc.nat(),
  replacement: fc.constantFrom(...REPLACEMENTS),
  keep: fc.nat({ max: 40 }),
});

function truncate(v: Json, keep: number): Json {
  if (typeof v === 'string') return v.slice(0, keep % (v.length + 1));
  if (Array.isArray(v)) return v.slice(0, keep % (v.length + 1));
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return Object.fromEntries(entries.slice(0, keep % (entries.length + 1)));
  }
  if (typeof v === 'number') return Math.trunc(v / 10);
  return v;
}

function apply(doc: Json, m: Mutation): Json {
  const all = pathsOf(doc);
  const at = all[m.at % all.length]!;
  // A copy: the replacements are shared by every run, and a later mutation of this document must not change
  // them (a retype of a replacement's own field with the replacement itself made it contain itself).
  const replacement = structuredClone(m.replacement);
  if (at.length === 0) return m.op === 'truncate' ? truncate(doc, m.keep) : replacement;
  const parent = at.slice(0, -1).reduce<Json>((node, k) => (node as Record<Key, Json>)[k]!, doc) as
    | Json[]
    | Record<string, Json>;
  const key = at.at(-1)!;
  if (m.op === 'drop') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else {
    const next = m.op === 'retype' ? replacement : truncate((parent as Record<Key, Json>)[key]!, m.keep);
    (parent as Record<Key, Json>)[key] = next;
  }
  return doc;
}

/** Normalizes and checks the invariant; returns what happened, for statistics. */
function check(raw: unknown): 'signal' | 'no-op' | 'parse-error' {
  let result: unknown;
  try {
    result = normalizeEvent(raw, { now: '2025-03-04T09:00:00.000Z' });
  } catch (e) {
    if (!isParseError(e)) throw e; // the property fails: only ParseError may escape
    expect(e.source).not.toBe('');
    expect(e.expected).not.toBe('');
    expect(typeof e.path).toBe('string');
    expect(e.message).not.toMatch(/\n/);
    return 'parse-error';
  }
  const parsed = NormalizedSchema.safeParse(result);
  if (!parsed.success) throw new Error(`malformed result ${JSON.stringify(result)}: ${parsed.error.message}`);
  return parsed.data.type === 'no-op' ? 'no-op' : 'signal';
}

describe('mutated real events', () => {
  it(`give a signal, a no-op or a ParseError (${inputs.length} events${HAS_CORPUS ? '' : ', corpus absent'})`, () => {
    const seen = { signal: 0, 'no-op': 0, 'parse-error': 0 };
    fc.assert(
      fc.property(
        fc.nat({ max: inputs.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (i, mutations) => {
          const doc = mutations.reduce(apply, structuredClone(inputs[i]!.doc));
          seen[check(doc)]++;
        },
      ),
      { numRuns: 300 },
    );
    // Mutations of a single field often leave a valid event: all three outcomes must show up.
    expect(seen.signal).toBeGreaterThan(0);
    expect(seen['parse-error']).toBeGreaterThan(0);
  });

  it('give the same invariant for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        check(v);
      }),
      { numRuns: 100 },
    );
  });

  it('give the same invariant for arbitrary JSON inside real envelopes', () => {
    // The payload of an envelope is replaced by arbitrary JSON: SNS Message, Pub/Sub data, EventBridge detail.
    const sns = inputs.find((x) => x.name === 'samples/aws-cloudwatch-alarm-sns/valid')!.doc;
    const push = inputs.find((x) => x.name === 'samples/gcp-preemption-pubsub/valid')!.doc;
    const spot = inputs.find((x) => x.name === 'samples/aws-spot-interruption/valid')!.doc;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('sns', 'pubsub', 'detail'), (v, where) => {
        if (where === 'sns') {
          const doc = structuredClone(sns) as { Records: { Sns: { Message: string } }[] };
          doc.Records[0]!.Sns.Message = JSON.stringify(v);
          check(doc);
        } else if (where === 'pubsub') {
          const doc = structuredClone(push) as { message: { data: string } };
          doc.message.data = Buffer.from(JSON.stringify(v)).toString('base64');
          check(doc);
        } else {
          check({ ...(spot as object), detail: v });
        }
      }),
      { numRuns: 100 },
    );
  });
});
