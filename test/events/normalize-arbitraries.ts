/**
 * fast-check generators and small reference models for the normalizer's properties
 * (normalize.property.test.ts): JSON payloads biased towards the envelopes the router recognises, field
 * mutations of real samples, ISO / RFC 1123 / epoch times with their expected canonical form, and Azure
 * Scheduled Events built from random events (with the signal the README's rules give for them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { listSamples } from '../../events/samples.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Key = string | number;

/** Every sample, parsed (the caller clones before changing one). */
export const SAMPLES: readonly { name: string; doc: Json }[] = listSamples().map((s) => ({
  name: `${s.source}/${s.name}`,
  doc: JSON.parse(readFileSync(s.file, 'utf8')) as Json,
}));
export const VALID_SAMPLES = SAMPLES.filter((s) => !s.name.endsWith('/invalid'));
export const sampleDoc = (name: string): Json => structuredClone(SAMPLES.find((s) => s.name === name)!.doc);

/** Keys the router dispatches on, so that random objects reach every shape and not only the last error. */
const ENVELOPE_KEYS = [
  'Records',
  'alarmData',
  'schemaId',
  'essentials',
  'data',
  'DocumentIncarnation',
  'Events',
  'eventType',
  'subject',
  'eventTime',
  'specversion',
  'message',
  'subscription',
  'protoPayload',
  'logName',
  'insertId',
  'incident',
  'command',
  'scheduleArn',
  'scheduledTime',
  'kind',
  'detail-type',
  'detail_type',
  'detail',
  'source',
  'action',
  'time',
  'id',
  '__proto__',
  'constructor',
];

/** Any JSON value, often an object holding some of the router's envelope keys. */
export const envelopeLike: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc
    .array(fc.tuple(fc.constantFrom(...ENVELOPE_KEYS), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>), {
      maxLength: 6,
    })
    // Built through JSON.parse, so `__proto__` is an own key as it is in a parsed payload.
    .map((entries) =>
      JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`),
    ),
);

/** Every path in a document, the root included, and the value there. */
export function pathsOf(v: Json, prefix: Key[] = []): Key[][] {
  const out: Key[][] = [prefix];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...pathsOf(x, [...prefix, i]));
  } else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

export const valueAt = (doc: Json, path: readonly Key[]): Json =>
  path.reduce<Json>((node, k) => (node as Record<Key, Json>)[k]!, doc);

/** How the normalizer writes a path: `Records[0].Sns.Message`, `detail.instance-id`. */
export const formatPath = (path: readonly Key[]): string =>
  path.reduce<string>(
    (out, k) => (typeof k === 'number' ? `${out}[${k}]` : out === '' ? String(k) : `${out}.${k}`),
    '',
  );

/** A replacement of another type, or junk, for a field. */
export const junkValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, 0, -1, 1e21, '', [], {}, [null], { nested: { deeper: [1, 'two', null] } }),
  fc.constant('x'.repeat(3000)),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** Keys no schema reads and no shape dispatches on. */
export const JUNK_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x-junk', 'ключ', '🚀'];

export interface Mutation {
  op: 'remove' | 'retype' | 'long-string' | 'unicode';
  at: number;
  value: Json;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('remove', 'retype', 'long-string', 'unicode'),
  at: fc.nat(),
  value: junkValue,
});

/** Applies `m` to a non-root path of `doc` (changed in place); returns the path changed (none: `[]`, unchanged). */
export function applyMutation(doc: Json, m: Mutation): Key[] {
  const all = pathsOf(doc).slice(1);
  // An empty object or array (a sample of `{}`) has no field to change.
  if (all.length === 0) return [];
  const at = all[m.at % all.length]!;
  const parent = valueAt(doc, at.slice(0, -1)) as Record<Key, Json> | Json[];
  const key = at.at(-1)!;
  const old = (parent as Record<Key, Json>)[key]!;
  if (m.op === 'remove') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (m.op === 'retype') (parent as Record<Key, Json>)[key] = structuredClone(m.value);
  else if (m.op === 'long-string')
    (parent as Record<Key, Json>)[key] =
      typeof old === 'string' ? old.repeat(Math.ceil(3000 / (old.length || 1)) + 1) : 'y'.repeat(3000);
  else (parent as Record<Key, Json>)[key] = typeof old === 'string' ? `${old}\u00e9\u{1F680}\u200b` : '\u{1F680}';
  return at;
}

/** Adds `key: value` to the object at `path` as a parsed payload would hold it (an own property, even `__proto__`). */
export function addOwnKey(doc: Json, path: readonly Key[], key: string, value: Json): Json {
  const target = path.length === 0 ? doc : valueAt(doc, path);
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return doc;
}

// ---- times -------------------------------------------------------------------------------------------

/** The latest time the normalizer accepts (events/fields.ts `LATEST_MILLIS`). */
export const LATEST_MILLIS = Date.UTC(9999, 11, 1);

export interface IsoCase {
  text: string;
  /** The canonical ISO string, or undefined when the time is outside [1970, 1 December 9999]. */
  expected: string | undefined;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An ISO 8601 time as clouds write it (`T` or space, 0-9 fraction digits, `Z`, `z`, `+hh:mm`, `-hhmm`). */
export const isoCase: fc.Arbitrary<IsoCase> = fc
  .record({
    y: fc.integer({ min: 1970, max: 9999 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    frac: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 9 }),
    sep: fc.constantFrom('T', ' '),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z'),
      fc.record({
        sign: fc.constantFrom('+', '-'),
        oh: fc.integer({ min: 0, max: 14 }),
        om: fc.constantFrom(0, 15, 30, 45),
        colon: fc.boolean(),
      }),
    ),
  })
  .map(({ y, mo, d, h, mi, s, frac, sep, zone }) => {
    const zoneText =
      typeof zone === 'string' ? zone : `${zone.sign}${pad(zone.oh)}${zone.colon ? ':' : ''}${pad(zone.om)}`;
    const offsetMin = typeof zone === 'string' ? 0 : (zone.sign === '-' ? -1 : 1) * (zone.oh * 60 + zone.om);
    const ms = Number(frac.padEnd(3, '0').slice(0, 3));
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, ms);
    const t = date.getTime() - offsetMin * 60_000;
    return {
      text: `${pad(y, 4)}-${pad(mo)}-${pad(d)}${sep}${pad(h)}:${pad(mi)}:${pad(s)}${frac ? `.${frac}` : ''}${zoneText}`,
      expected: t >= 0 && t <= LATEST_MILLIS ? new Date(t).toISOString() : undefined,
    };
  });

/** Whole seconds from the epoch to the latest accepted time. */
export const secondsInRange = fc.integer({ min: 0, max: Math.floor(LATEST_MILLIS / 1000) });

/** `Tue, 04 Mar 2025 10:15:30 GMT`. */
export const httpDateOf = (seconds: number): string => new Date(seconds * 1000).toUTCString();

// ---- Azure Scheduled Events --------------------------------------------------------------------------

export type EventType = 'Freeze' | 'Reboot' | 'Redeploy' | 'Preempt' | 'Terminate';

export interface ScheduledEvent {
  EventId: string;
  EventStatus: 'Scheduled' | 'Started';
  EventType: EventType;
  ResourceType: 'VirtualMachine';
  Resources: string[];
  NotBefore: string;
  EventSource: 'Platform' | 'User';
  DurationInSeconds: number;
}

const vmName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}_\d{1,3}$/);
/** Scheduled event ids: GUIDs, and now and then longer ids (a forwarder's own), so merged ids overflow. */
const eventId = fc.oneof(
  { weight: 4, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9A-F][0-9A-F-]{0,299}$/) },
);
/** NotBefore times within a day of 2025-03-04T10:00Z, whole seconds. */
export const BASE_SECONDS = Date.UTC(2025, 2, 4, 10) / 1000;

export const scheduledEventArb = (id: string): fc.Arbitrary<ScheduledEvent> =>
  fc
    .record({
      status: fc.constantFrom<'Scheduled' | 'Started'>('Scheduled', 'Started'),
      type: fc.constantFrom<EventType>('Freeze', 'Reboot', 'Redeploy', 'Preempt', 'Terminate'),
      resources: fc.uniqueArray(vmName, { minLength: 1, maxLength: 3 }),
      notBefore: fc.integer({ min: 0, max: 86_400 }),
      blank: fc.boolean(),
      source: fc.constantFrom<'Platform' | 'User'>('Platform', 'User'),
      duration: fc.integer({ min: -1, max: 600 }),
    })
    .map((r) => ({
      EventId: id,
      EventStatus: r.status,
      EventType: r.type,
      ResourceType: 'VirtualMachine' as const,
      Resources: r.resources,
      NotBefore: r.status === 'Started' && r.blank ? '' : httpDateOf(BASE_SECONDS + r.notBefore),
      EventSource: r.source,
      DurationInSeconds: r.duration,
    }));

/** Items of an `Events` list that are not scheduled events: each must be rejected on its own. */
export const malformedItem: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, 42, 'Preempt', [], {}),
  fc.constant<Json>({
    EventId: 'BAD-TYPE',
    EventStatus: 'Scheduled',
    EventType: 'Explode',
    ResourceType: 'VirtualMachine',
    Resources: ['vm_1'],
    NotBefore: 'Tue, 04 Mar 2025 10:15:30 GMT',
  }),
  fc.constant<Json>({
    EventId: 'NO-VMS',
    EventStatus: 'Scheduled',
    EventType: 'Preempt',
    ResourceType: 'VirtualMachine',
    Resources: [],
    NotBefore: 'Tue, 04 Mar 2025 10:15:30 GMT',
  }),
  fc.constant<Json>({
    EventId: 'NO-TIME',
    EventStatus: 'Scheduled',
    EventType: 'Reboot',
    ResourceType: 'VirtualMachine',
    Resources: ['vm_1'],
    NotBefore: '',
  }),
  fc.constant<Json>({
    EventId: '[EventId]',
    EventStatus: 'Scheduled',
    EventType: 'Preempt',
    ResourceType: 'VirtualMachine',
    Resources: ['vm_1'],
    NotBefore: 'Tue, 04 Mar 2025 10:15:30 GMT',
  }),
);

/** A document's items: valid events with distinct ids, and malformed items at random places. */
export const scheduledItemsArb: fc.Arbitrary<{ items: Json[]; malformed: number[]; events: ScheduledEvent[] }> = fc
  .tuple(fc.uniqueArray(eventId, { maxLength: 12 }), fc.array(malformedItem, { maxLength: 3 }), fc.nat())
  .chain(([ids, bad, seed]) => fc.tuple(fc.tuple(...ids.map(scheduledEventArb)), fc.constant(bad), fc.constant(seed)))
  .map(([events, bad, seed]) => {
    const items: Json[] = events.map((e) => ({ ...e }) as unknown as Json);
    const malformed: number[] = [];
    bad.forEach((b, j) => {
      const i = (seed + j * 7) % (items.length + 1);
      items.splice(i, 0, b);
    });
    items.forEach((it, i) => {
      if (bad.includes(it)) malformed.push(i);
    });
    return { items, malformed, events };
  });

/** The merged id the README documents (`mergedEventId`), written again from its description. */
export function mergedIdModel(ids: readonly string[]): string {
  const joined = ids.join('+');
  if (joined.length <= 256) return joined;
  const digest = createHash('sha256').update(joined).digest('hex').slice(0, 32);
  return `${[...(ids[0] ?? '')].slice(0, 64).join('')}+${ids.length - 1}-more~${digest}`;
}

const RANK: Record<Exclude<EventType, 'Freeze'>, number> = { Preempt: 0, Redeploy: 1, Reboot: 2, Terminate: 3 };

/** What the README's Azure rules say a set of valid events gives (the fields the functions key on). */
export function scheduledEventsModel(
  events: readonly ScheduledEvent[],
  time: string,
): Record<string, unknown> | { type: 'no-op'; eventId?: string } {
  if (events.length === 0) return { type: 'no-op' };
  const actionable = events.filter((e) => e.EventType !== 'Freeze');
  if (actionable.length === 0) return { type: 'no-op', eventId: events.map((e) => e.EventId).join('+') };
  const rank = (e: ScheduledEvent) => RANK[e.EventType as Exclude<EventType, 'Freeze'>];
  const top = Math.min(...actionable.map(rank));
  const group = actionable.filter((e) => rank(e) === top);
  const times = group.filter((e) => e.NotBefore !== '').map((e) => Date.parse(e.NotBefore));
  const notBefore = times.length ? new Date(Math.min(...times)).toISOString() : undefined;
  const type = group[0]!.EventType;
  return {
    type: type === 'Terminate' ? 'capacity-notice' : 'interruption',
    kind: type === 'Preempt' ? 'preempt' : type === 'Terminate' ? 'terminate-scheduled' : 'maintenance',
    eventId: mergedIdModel(group.map((e) => e.EventId)),
    instanceIds: [...new Set(group.flatMap((e) => e.Resources))],
    time,
    ...(type === 'Terminate' ? {} : { deadline: notBefore ?? time }),
  };
}
