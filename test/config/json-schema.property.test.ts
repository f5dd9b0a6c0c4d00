/**
 * config/schema.json (what editors check a file against) and the loader agree: every configuration the loader
 * accepts is valid against the JSON Schema, and every change the JSON Schema refuses, the loader refuses too,
 * naming the field. The JSON Schema is checked by the small validator below, for exactly the keywords
 * config/schema.json uses (a keyword it does not know fails the test); `format: uri` is checked as editors
 * do (vscode-json-languageservice: a URI with a scheme). `PROP_RUNS` sets the runs per property (300 by default).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../events/support.ts';
import { clone, DEMO, type Doc, load, validDoc } from './config-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };

interface Schema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  anyOf?: Schema[];
}
const SCHEMA = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'schema.json'), 'utf8')) as Schema;

const VALIDATION = new Set([
  'type',
  'const',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'pattern',
  'format',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'anyOf',
]);
const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default']);

type Path = Array<string | number>;
/** A path as the loader writes it: `fleets[0].pools[1].warm`. */
/** A path as the loader writes it: `pools[0].tags["kubernetes.io/cluster"]` (keys that are no identifier in brackets). */
const show = (p: Path) =>
  p
    .map((k) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`))
    .join('')
    .replace(/^\./, '');

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const TYPES: Record<string, (v: unknown) => boolean> = {
  object: isObject,
  array: Array.isArray,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
};
/** vscode-json-languageservice's check of `format: uri`: a URI reference with a scheme. */
const URI = /^(([^:/?#]+?):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?/;

/** The paths where `value` breaks `schema` (none: valid). */
function violations(schema: Schema, value: unknown, at: Path = []): string[] {
  const out: string[] = [];
  const bad = () => out.push(show(at));
  if (schema.type !== undefined && !TYPES[schema.type]!(value)) return [show(at)];
  if ('const' in schema && !isDeepStrictEqual(schema.const, value)) bad();
  if (schema.enum && !schema.enum.some((e) => isDeepStrictEqual(e, value))) bad();
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) bad();
    if (schema.maximum !== undefined && value > schema.maximum) bad();
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) bad();
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) bad();
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) bad();
    if (schema.format === 'uri' && !URI.exec(value)?.[2]) bad();
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) bad();
    if (schema.maxItems !== undefined && value.length > schema.maxItems) bad();
    if (schema.items) out.push(...value.flatMap((v, i) => violations(schema.items!, v, [...at, i])));
  }
  if (isObject(value)) {
    for (const k of schema.required ?? []) if (!Object.hasOwn(value, k)) out.push(show([...at, k]));
    for (const [k, v] of Object.entries(value)) {
      if (schema.propertyNames) out.push(...violations(schema.propertyNames, k, [...at, k]));
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (sub === false) bad();
      else if (sub && sub !== true) out.push(...violations(sub, v, [...at, k]));
    }
  }
  if (schema.anyOf && !schema.anyOf.some((s) => violations(s, value, at).length === 0)) bad();
  return out;
}

/** One place of a valid document with the schema that applies there. */
interface Site {
  at: Path;
  schema: Schema;
  value: unknown;
  /** The innermost `anyOf` around it: the loader may name that instead (no alternative matched). */
  union?: Path;
}

function sites(schema: Schema, value: unknown, at: Path = [], union?: Path): Site[] {
  if (schema.anyOf) {
    const branch = schema.anyOf.find((s) => violations(s, value).length === 0);
    return branch ? sites({ ...schema, anyOf: undefined, ...branch }, value, at, at) : [];
  }
  const here: Site = { at, schema, value, ...(union ? { union } : {}) };
  if (Array.isArray(value) && schema.items) {
    return [here, ...value.flatMap((v, i) => sites(schema.items!, v, [...at, i], union))];
  }
  if (isObject(value)) {
    return [
      here,
      ...Object.entries(value).flatMap(([k, v]) => {
        const sub = schema.properties?.[k] ?? schema.additionalProperties;
        return sub && sub !== true ? sites(sub, v, [...at, k], union) : [];
      }),
    ];
  }
  return [here];
}

/** A change at one place that the keywords there refuse, and the path the refusal is about. */
interface Change {
  what: string;
  apply: (doc: Doc) => void;
  at: Path;
}

const REMOVE = Symbol('remove');

/** Sets the value at `at` (REMOVE: removes the field). */
function set(doc: Doc, at: Path, value: unknown): void {
  const parent = at.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], doc) as Record<
    string | number,
    unknown
  >;
  const key = at.at(-1)!;
  if (value === REMOVE) delete parent[key];
  else parent[key] = value;
}

/** Every change the keywords of `site` refuse. */
function changes(site: Site): Change[] {
  const { at, schema, value } = site;
  const out: Change[] = [];
  const to = (what: string, v: unknown, where: Path = at) =>
    out.push({ what, at: where, apply: (d) => set(d, where, v) });
  if (schema.type) {
    for (const v of [null, true, 'x', 1.5, 7, [], {}]) {
      if (!TYPES[schema.type]!(v)) to(`not ${schema.type}`, v);
    }
  }
  if (typeof schema.const === 'number') to('another constant', schema.const + 1);
  if (schema.enum) to('outside the enum', 'not-one-of-them');
  if (schema.type === 'integer' && typeof value === 'number') to('a fraction', value + 0.5);
  if (schema.minimum !== undefined) {
    to('below the minimum', schema.minimum - 1);
    if (schema.type === 'number') to('just below the minimum', schema.minimum - 1e-9);
  }
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) {
    to('above the maximum', schema.maximum + 1);
    if (schema.type === 'number') to('just above the maximum', schema.maximum + 1e-9);
  }
  if (schema.maximum === Number.MAX_SAFE_INTEGER) to('above the largest safe integer', 2 ** 53);
  if (schema.exclusiveMinimum !== undefined) {
    to('at the exclusive minimum', schema.exclusiveMinimum);
    to('below the exclusive minimum', schema.exclusiveMinimum - 1);
  }
  if (schema.minLength) to('empty', '');
  if (schema.pattern) {
    const re = new RegExp(schema.pattern, 'u');
    for (const v of ['', 'Not Valid!', '24:00', '7:5', 'a'.repeat(64), 'x\n', '10']) {
      if (!re.test(v)) to(`not matching ${schema.pattern}`, v);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems) to('too few items', value.slice(0, schema.minItems - 1));
    if (schema.maxItems !== undefined && value.length) {
      to(
        'too many items',
        Array.from({ length: schema.maxItems + 1 }, () => value[0]),
      );
    }
  }
  if (isObject(value)) {
    if (schema.additionalProperties === false) to('an unknown field', { ...value, unknownField: 1 });
    for (const k of schema.required ?? []) to(`without ${k}`, REMOVE, [...at, k]);
    const names = schema.propertyNames;
    const first = Object.keys(value)[0];
    if (names && first !== undefined && (names.enum || names.pattern)) {
      const { [first]: v, ...rest } = value;
      to('a key of the wrong form', { ...rest, 'Not a key!': v });
    }
  }
  return out;
}

describe('config/schema.json and the loader', () => {
  it('the checker here knows every keyword config/schema.json uses', () => {
    const unknown = new Set<string>();
    const walk = (s: unknown): void => {
      if (!isObject(s)) return;
      for (const [k, v] of Object.entries(s)) {
        if (!VALIDATION.has(k) && !ANNOTATIONS.has(k)) unknown.add(k);
        if (k === 'properties') Object.values(v as object).forEach(walk);
        else if (k === 'anyOf') (v as unknown[]).forEach(walk);
        else if (k !== 'default' && k !== 'const' && k !== 'enum') walk(v);
      }
    };
    walk(SCHEMA);
    expect([...unknown]).toEqual([]);
    expect(violations(SCHEMA, DEMO)).toEqual([]);
  });

  it('every configuration the loader accepts, and its parsed form, is valid against the JSON Schema', () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const o = load(doc);
        if (!o.ok) throw new Error(`refused: ${o.error.message}`);
        expect(violations(SCHEMA, doc)).toEqual([]);
        expect(violations(SCHEMA, JSON.parse(JSON.stringify(o.resolved.config)))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('every change the JSON Schema refuses, the loader refuses, naming the field', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(), fc.nat(), (doc, i, j) => {
        const all = sites(SCHEMA, doc);
        const site = all[i % all.length]!;
        const options = changes(site);
        fc.pre(options.length > 0);
        const change = options[j % options.length]!;
        const changed = clone(doc);
        change.apply(changed);
        // Within an anyOf, another alternative may take the changed value: then the JSON Schema does not refuse it.
        fc.pre(violations(SCHEMA, changed).length > 0);
        const o = load(changed);
        expect(o.ok, `${show(change.at)}: ${change.what}`).toBe(false);
        if (o.ok) return;
        const p = show(change.at);
        const union = site.union && show(site.union);
        const named = o.error.issues.some(
          (x) => x.path === p || x.path.startsWith(`${p}.`) || x.path.startsWith(`${p}[`) || x.path === union,
        );
        expect(named, `${p}: ${change.what}: ${o.error.message}`).toBe(true);
        expect(o.error.message).toMatch(/^c\.json: /);
      }),
      RUNS,
    );
  });

  it('whatever one value becomes, the loader accepts it only where the JSON Schema does', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 1 }),
      fc.constantFrom(
        0,
        -0,
        1,
        -1,
        0.5,
        1e-300,
        2 ** 53,
        2 ** 53 - 1,
        1e308,
        '',
        ' ',
        '08:00',
        '24:00',
        '10%',
        '100.5%',
      ),
      fc.integer({ min: -2000, max: 100_000 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(validDoc, fc.nat(), value, (doc, i, v) => {
        const all = sites(SCHEMA, doc).filter((s) => s.at.length > 0);
        const site = all[i % all.length]!;
        const changed = clone(doc);
        set(changed, site.at, v);
        const o = load(changed);
        if (o.ok) expect(violations(SCHEMA, changed), show(site.at)).toEqual([]);
      }),
      RUNS,
    );
  });
});
