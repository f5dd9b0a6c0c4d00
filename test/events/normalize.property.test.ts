/**
 * Properties of event normalization (events/index.ts, router.ts, combine.ts, fields.ts) and of the
 * EventBridge registry (registry.ts), over random JSON, mutated samples (and the corpus beside the repo,
 * when it is there), generated times and generated Azure Scheduled Events batches.
 *
 * What the code and events/README.md promise:
 * - any JSON value gives a well-formed signal or no-op, or a `ParseError` with a source, a field path and
 *   what was expected (one line); never another exception. Every rejected batch item has a path and a reason;
 * - normalization is pure: the same input gives the same result, and the input is not changed;
 * - a field of a valid sample changed (removed, retyped, made very long, given unicode) is accepted or
 *   rejected with a path that names that field (or a field around it); unknown keys (`__proto__` included)
 *   added to any object leave the meaning unchanged, or are rejected by a strict schema naming the key;
 * - times are carried exactly: ISO 8601 with any zone, fraction and separator to the canonical UTC string,
 *   RFC 1123 dates likewise, Cloud Monitoring epoch seconds (milliseconds refused); a spot warning's deadline
 *   is its time + 120 s; times past 1 December 9999 are refused naming the field;
 * - ids are carried exactly (EventBridge id, instance id, its zone from the ARN), up to 256 characters for
 *   an EventBridge id, and refused past it or when they hold a documentation placeholder;
 * - (source, detail-type) selects exactly one decoder: the registry finds a decoder only for a registered
 *   pair, and an EventBridge event's outcome is exactly its decoder's; other pairs are no-ops with the id;
 * - batches: each item of an Azure Scheduled Events document (bare, forwarded, through Event Grid) is checked
 *   on its own; the malformed ones are listed in `rejected` with their path, the valid ones give the README's
 *   signal (the most urgent type, all its VMs, the earliest NotBefore, ids merged by `mergedEventId`, bounded
 *   at 256 characters), the same through the three routes; an Event Grid array of preemptions merges likewise.
 *
 * `PROP_RUNS` sets the runs per property (200 by default).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENTBRIDGE_ROUTES,
  findEventBridgeDecoder,
  type NormalizeContext,
  normalizeEvent,
  safeNormalize,
} from '../../events/index.ts';
import { mergedEventId, parseHttpDate, parseIsoTime } from '../../events/fields.ts';
import { FORWARDED } from '../../shared/domain/forwarded.ts';
import { isParseError, type ParseError } from '../../shared/domain/errors.ts';
import type { Normalized } from '../../shared/domain/signals.ts';
import {
  addOwnKey,
  applyMutation,
  BASE_SECONDS,
  envelopeLike,
  formatPath,
  httpDateOf,
  isoCase,
  type Json,
  JUNK_KEYS,
  junkValue,
  mergedIdModel,
  mutationArb,
  pathsOf,
  SAMPLES,
  type ScheduledEvent,
  sampleDoc,
  scheduledEventArb,
  scheduledEventsModel,
  scheduledItemsArb,
  secondsInRange,
  VALID_SAMPLES,
  valueAt,
} from './normalize-arbitraries.ts';
import { CORPUS_CLOUDS, CORPUS_DIR, HAS_CORPUS, NormalizedSchema } from './support.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 200) };
const NOW = '2025-03-04T09:00:00.000Z';
const CTX: NormalizeContext = { now: NOW };

const CORPUS: { name: string; doc: Json }[] = HAS_CORPUS
  ? CORPUS_CLOUDS.flatMap((c) =>
      readdirSync(path.join(CORPUS_DIR, c))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ name: `corpus/${c}/${f}`, doc: JSON.parse(readFileSync(path.join(CORPUS_DIR, c, f), 'utf8')) })),
    )
  : [];
/** Valid samples, and the corpus documents the normalizer accepts (the corpus holds malformed ones too). */
const ACCEPTED: { name: string; doc: Json }[] = [
  ...VALID_SAMPLES,
  ...CORPUS.filter((c) => safeNormalize(structuredClone(c.doc), CTX).success),
].filter((s) => safeNormalize(structuredClone(s.doc), CTX).success);

type Outcome = { ok: true; value: Normalized } | { ok: false; error: ParseError };

/** Normalizes, checking the classification invariant; any other exception fails the property. */
function outcome(raw: unknown, ctx: NormalizeContext = CTX): Outcome {
  const r = safeNormalize(raw, ctx); // rethrows anything that is not a ParseError
  if (!r.success) {
    const e = r.error;
    expect(isParseError(e)).toBe(true);
    expect(e.source).not.toBe('');
    expect(e.expected).not.toBe('');
    expect(typeof e.path).toBe('string');
    expect(e.message).not.toMatch(/\n/);
    expect(e.message).toContain(`at ${e.path || '(root)'}`);
    return { ok: false, error: e };
  }
  const parsed = NormalizedSchema.safeParse(r.value);
  if (!parsed.success) throw new Error(`malformed result ${JSON.stringify(r.value)}: ${parsed.error.message}`);
  for (const item of r.value.rejected ?? []) {
    expect(item.reason).not.toBe('');
    expect(typeof item.path).toBe('string');
  }
  return { ok: true, value: r.value };
}

/** `e` names `field` (a formatted path): the field itself, a field inside it, or one of its parents. */
function names(e: ParseError, field: string): boolean {
  const p = e.path.replace(/^\(signal\) /, '');
  if (e.path.startsWith('(signal) ')) return true; // a signal field, whatever payload field it came from
  const within = (inner: string, outer: string) =>
    outer === '' || inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  if (within(p, field) || within(field, p)) return true;
  // Errors found inside a decoder (a batch's items) are reported relative to their event, not to the
  // delivery: `data.resources[0]...` for `[1].data.resources[0]...` (see the BUG block at the end). Accept
  // the path read from any enclosing object of the field.
  if (p === '') return false;
  for (let k = 1; k < field.length; k++) {
    if (field[k] !== '.' && field[k] !== '[') continue;
    const full = p.startsWith('[') ? `${field.slice(0, k)}${p}` : `${field.slice(0, k)}.${p}`;
    if (within(full, field) || within(field, full)) return true;
  }
  return false;
}

const arbSample = (list: readonly { name: string; doc: Json }[]) =>
  fc.nat({ max: list.length - 1 }).map((i) => ({ name: list[i]!.name, doc: structuredClone(list[i]!.doc) }));

describe('classification: a signal, a no-op or a ParseError naming a field', () => {
  it('for any JSON, often shaped like an envelope', () => {
    fc.assert(
      fc.property(envelopeLike, (v) => {
        outcome(v);
      }),
      RUNS,
    );
  });

  it('for any JSON inside a real envelope (SNS Message, Pub/Sub data, EventBridge detail, forwarded detail)', () => {
    const sns = sampleDoc('aws-cloudwatch-alarm-sns/valid') as { Records: { Sns: { Message: string } }[] };
    const push = sampleDoc('gcp-preemption-pubsub/valid') as { message: { data: string } };
    const forwarded = Object.values(FORWARDED);
    fc.assert(
      fc.property(envelopeLike, fc.nat({ max: 2 + forwarded.length }), (v, where) => {
        if (where === 0) {
          const doc = structuredClone(sns);
          doc.Records[0]!.Sns.Message = JSON.stringify(v);
          outcome(doc);
        } else if (where === 1) {
          const doc = structuredClone(push);
          doc.message.data = Buffer.from(JSON.stringify(v)).toString('base64');
          outcome(doc);
        } else {
          const f = forwarded[where - 2];
          const doc = sampleDoc('aws-spot-interruption/valid') as Record<string, Json>;
          if (f) Object.assign(doc, { source: f.source, 'detail-type': f.detailType });
          doc.detail = v;
          outcome(doc);
        }
      }),
      RUNS,
    );
  });
});

describe('purity', () => {
  it('the same input gives the same result, and the input is left as it was', () => {
    fc.assert(
      fc.property(arbSample(SAMPLES), fc.array(mutationArb, { maxLength: 2 }), (s, ms) => {
        for (const m of ms) applyMutation(s.doc, m);
        const before = structuredClone(s.doc);
        const a = safeNormalize(s.doc, CTX);
        expect(s.doc).toStrictEqual(before);
        const b = safeNormalize(structuredClone(before), CTX);
        if (a.success && b.success) expect(b.value).toStrictEqual(a.value);
        else if (!a.success && !b.success) expect(b.error.message).toBe(a.error.message);
        else expect.fail(`one run accepted and the other refused ${s.name}`);
      }),
      RUNS,
    );
  });
});

describe(`field mutations of accepted events (${ACCEPTED.length} events${HAS_CORPUS ? '' : ', corpus absent: skipped'})`, () => {
  it('are accepted, or rejected naming the field changed', () => {
    fc.assert(
      fc.property(arbSample(ACCEPTED), mutationArb, (s, m) => {
        const at = applyMutation(s.doc, m);
        const r = outcome(s.doc);
        if (!r.ok && !names(r.error, formatPath(at)))
          expect.fail(`${s.name}: ${m.op} of ${formatPath(at)} was refused at ${r.error.path}: ${r.error.message}`);
      }),
      RUNS,
    );
  });

  it('an unknown key (`__proto__` too) added to any object keeps the meaning or is refused naming it', () => {
    const objectPaths = (doc: Json) =>
      pathsOf(doc).filter((p) => {
        const v = valueAt(doc, p);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
    fc.assert(
      fc.property(arbSample(ACCEPTED), fc.nat(), fc.constantFrom(...JUNK_KEYS), junkValue, (s, i, key, value) => {
        const original = outcome(structuredClone(s.doc));
        const paths = objectPaths(s.doc);
        if (paths.length === 0) return;
        const at = paths[i % paths.length]!;
        const r = outcome(addOwnKey(s.doc, at, key, value));
        if (!original.ok) return;
        if (!r.ok) {
          // A strict schema (operator and drain commands) refuses the key, a typed map (tags, labels) its value.
          if (!names(r.error, formatPath([...at, key])))
            expect.fail(`${s.name}: ${key} at ${formatPath(at)} refused at ${r.error.path}: ${r.error.message}`);
          return;
        }
        const meaning = (n: Normalized) => {
          const { rejected: _r, dimensions: _d, ...rest } = n as Normalized & { dimensions?: unknown };
          return rest;
        };
        expect(meaning(r.value)).toStrictEqual(meaning(original.value));
      }),
      RUNS,
    );
  });
});

describe('times are carried exactly', () => {
  it('ISO 8601 in any zone becomes the canonical UTC string; the spot deadline is 120 s later', () => {
    fc.assert(
      fc.property(isoCase, ({ text, expected }) => {
        expect(parseIsoTime(text)).toBe(expected);
        const doc = sampleDoc('aws-spot-interruption/valid') as Record<string, Json>;
        doc.time = text;
        const r = outcome(doc);
        const deadline = expected === undefined ? undefined : Date.parse(expected) + 120_000;
        if (deadline === undefined || deadline > Date.UTC(9999, 11, 31, 23, 59, 59)) {
          if (expected === undefined) {
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.error.path).toBe('time');
          }
          return;
        }
        expect(r.ok).toBe(true);
        if (r.ok && r.value.type === 'interruption') {
          expect(r.value.time).toBe(expected);
          expect(r.value.deadline).toBe(new Date(deadline).toISOString());
        }
      }),
      RUNS,
    );
  });

  it('RFC 1123 dates become the canonical UTC string (Azure NotBefore is the deadline)', () => {
    fc.assert(
      fc.property(secondsInRange, (s) => {
        const iso = new Date(s * 1000).toISOString();
        expect(parseHttpDate(httpDateOf(s))).toBe(iso);
        const doc = sampleDoc('azure-scheduled-events/valid') as { Events: { NotBefore: string }[] };
        doc.Events[0]!.NotBefore = httpDateOf(s);
        const r = outcome(doc);
        expect(r.ok && r.value.type === 'interruption' && r.value.deadline).toBe(iso);
      }),
      RUNS,
    );
  });

  it('Cloud Monitoring epoch seconds are read as seconds, and milliseconds are refused naming the field', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999_999 }),
        fc.integer({ min: 0, max: 999 }),
        fc.boolean(),
        (sec, frac, asMillis) => {
          const doc = sampleDoc('gcp-monitoring-incident/valid') as { incident: { started_at: number } };
          const seconds = sec + frac / 1000;
          doc.incident.started_at = asMillis ? Math.max(sec, 1e8) * 1000 : seconds;
          const r = outcome(doc);
          if (asMillis) {
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.error.path).toBe('incident.started_at');
          } else {
            expect(r.ok).toBe(true);
            if (r.ok && r.value.type === 'metric-alarm')
              expect(r.value.time).toBe(new Date(Math.round(seconds * 1000)).toISOString());
          }
        },
      ),
      RUNS,
    );
  });
});

describe('ids are carried exactly, within their limits', () => {
  const idChars = fc.constantFrom(...'abcdef0123456789-ABCXYZ_.:/'.split(''));
  it('an EventBridge id up to 256 characters, the instance id and its zone from the ARN', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: idChars, minLength: 1, maxLength: 300 }),
        fc.stringMatching(/^i-[0-9a-f]{8,17}$/),
        fc.constantFrom('us-east-1a', 'eu-west-3c', 'ap-southeast-2b'),
        (id, instance, zone) => {
          const doc = sampleDoc('aws-spot-interruption/valid') as Record<string, Json>;
          doc.id = id;
          doc.resources = [`arn:aws:ec2:${zone}:instance/${instance}`];
          doc.detail = { 'instance-id': instance, 'instance-action': 'stop' };
          const r = outcome(doc);
          if (id.length > 256 || id.trim() === '' || /hh:mm/i.test(id)) {
            expect(r.ok).toBe(false);
            if (!r.ok) expect(r.error.path).toBe('id');
            return;
          }
          expect(r.ok).toBe(true);
          if (r.ok && r.value.type === 'interruption') {
            expect(r.value.eventId).toBe(id);
            expect(r.value.instanceIds).toEqual([instance]);
            expect(r.value.zone).toBe(zone);
          }
        },
      ),
      RUNS,
    );
  });

  it('a documentation placeholder in an id is refused naming the field', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('<account_number>', '[Customer Account ID]', '{subscription-id}', '%s'),
        // A printf verb followed by a hex digit may be a URL escape (`%d3`): fields.ts lets those be.
        fc.string({ maxLength: 10 }).filter((b) => !/^[0-9a-fA-F]/.test(b)),
        (a, p, b) => {
          const doc = sampleDoc('aws-spot-interruption/valid') as Record<string, Json>;
          doc.id = `${a}${p}${b}`;
          const r = outcome(doc);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.path).toBe('id');
        },
      ),
      RUNS,
    );
  });

  it('mergedEventId joins short lists, and stays within 256 characters, the same for the same ids', () => {
    const anyId = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2048 });
    fc.assert(
      fc.property(fc.array(anyId, { minLength: 1, maxLength: 40 }), (ids) => {
        const m = mergedEventId(ids);
        expect(m).toBe(mergedIdModel(ids));
        expect(m.length).toBeLessThanOrEqual(256);
        expect(mergedEventId([...ids])).toBe(m);
        if (ids.join('+').length <= 256) expect(m).toBe(ids.join('+'));
      }),
      RUNS,
    );
  });
});

describe('registry: (source, detail-type) selects exactly one decoder', () => {
  const pairs = EVENTBRIDGE_ROUTES.flatMap((r) => r.detailTypes.map((dt) => ({ source: r.source, dt, route: r })));
  const forwarded = Object.values(FORWARDED);
  const isForwarded = (s: string, dt: string) => forwarded.some((f) => f.source === s && f.detailType === dt);
  const eventBridgeSamples = SAMPLES.filter((s) => {
    const d = s.doc as Record<string, Json>;
    return d !== null && typeof d === 'object' && !Array.isArray(d) && 'detail' in d && 'source' in d;
  });

  it('each registered pair belongs to one route, and the registry finds a decoder for registered pairs only', () => {
    const keys = pairs.map((p) => JSON.stringify([p.source, p.dt]));
    expect(new Set(keys).size).toBe(keys.length);
    const strings = fc.oneof(
      fc.constantFrom(...pairs.map((p) => p.source), ...pairs.map((p) => p.dt), '__proto__', 'constructor', ''),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    fc.assert(
      fc.property(strings, strings, (s, dt) => {
        const hit = pairs.filter((p) => p.source === s && p.dt === dt);
        expect(findEventBridgeDecoder(s, dt)).toBe(hit[0]?.route.decoder);
      }),
      RUNS,
    );
  });

  it("an EventBridge event's outcome is exactly its decoder's, whatever the pair", () => {
    fc.assert(
      fc.property(arbSample(eventBridgeSamples), fc.nat({ max: pairs.length - 1 }), (s, i) => {
        const { source, dt, route } = pairs[i]!;
        const doc = s.doc as Record<string, Json>;
        delete doc.detail_type;
        Object.assign(doc, { source, 'detail-type': dt });
        const r = outcome(doc);
        const parsed = route.decoder.schema.safeParse(structuredClone(doc));
        if (!parsed.success) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.source).toBe(`${source} / ${dt}`);
          return;
        }
        let expected: Outcome;
        try {
          expected = { ok: true, value: route.decoder.toSignal(parsed.data, CTX) };
        } catch (e) {
          if (!isParseError(e)) throw e;
          expected = { ok: false, error: e };
        }
        if (expected.ok && r.ok) expect(r.value).toStrictEqual(expected.value);
        else if (!expected.ok) expect(r.ok ? r.value : r.error.message).toBe(expected.error.message);
        // else: the signal's own checks (index.ts checkSignalIds) refused what the decoder made
        else if (!r.ok) expect(r.error.path).toMatch(/^\(signal\) /);
      }),
      RUNS,
    );
  });

  it('any other pair on a well-formed envelope is a no-op carrying the event id', () => {
    const known = fc.constantFrom(...pairs.map((p) => p.source), 'aws.ec2', 'aws.health');
    fc.assert(
      fc.property(
        fc.oneof(known, fc.string({ minLength: 1, maxLength: 20 })),
        fc.string({ minLength: 1, maxLength: 40 }),
        (source, dt) => {
          fc.pre(!findEventBridgeDecoder(source, dt) && !isForwarded(source, dt));
          const doc = sampleDoc('aws-spot-interruption/valid') as Record<string, Json>;
          Object.assign(doc, { source, 'detail-type': dt });
          const r = outcome(doc);
          expect(r.ok && r.value).toMatchObject({ type: 'no-op', source, eventId: doc.id });
        },
      ),
      RUNS,
    );
  });
});

describe('batches: each item on its own, one merged signal with a bounded id', () => {
  const pick = (n: Normalized) => {
    const o = n as unknown as Record<string, unknown>;
    const keys = ['type', 'kind', 'eventId', 'instanceIds', 'time', 'deadline'];
    return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  };

  it('a bare Scheduled Events document: malformed items rejected by path, the rest merged as documented', () => {
    fc.assert(
      fc.property(scheduledItemsArb, ({ items, malformed, events }) => {
        const r = outcome({ DocumentIncarnation: 3, Events: items });
        if (events.length === 0 && malformed.length > 0) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.path.startsWith(`Events[${malformed[0]}]`)).toBe(true);
          return;
        }
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect((r.value.rejected ?? []).map((x) => x.path.match(/^Events\[\d+\]/)?.[0])).toEqual(
          malformed.map((i) => `Events[${i}]`),
        );
        const model = scheduledEventsModel(events, NOW);
        expect(pick(r.value)).toStrictEqual(model);
        if (r.value.type !== 'no-op') expect(r.value.eventId.length).toBeLessThanOrEqual(256);
      }),
      RUNS,
    );
  });

  it('the same events give the same signal bare, forwarded on the bus and through Event Grid', () => {
    const doc = (events: ScheduledEvent[]) => ({ DocumentIncarnation: 1, Events: events as unknown as Json[] });
    const batch = fc
      .uniqueArray(fc.uuid(), { minLength: 1, maxLength: 8 })
      .chain((ids) => fc.tuple(...ids.map((id) => scheduledEventArb(id.toUpperCase()))));
    fc.assert(
      fc.property(batch, (events) => {
        const bare = outcome(doc(events));
        const forwarded = sampleDoc('azure-scheduled-events-forwarded/valid') as Record<string, Json>;
        forwarded.detail = { ...doc(events), vmScaleSetName: 'chat-nc24-spot', location: 'eastus', zone: '2' };
        const viaBus = outcome(forwarded);
        const grid = sampleDoc('azure-event-grid/valid') as [{ data: { resources: Json[] } }];
        grid[0].data.resources = events.map((e) => ({ armResource: { location: 'eastus', properties: { ...e } } }));
        const viaGrid = outcome(grid);
        const same = (n: Outcome) => {
          expect(n.ok).toBe(true);
          const { time: _t, ...rest } = n.ok ? pick(n.value) : {};
          return rest;
        };
        const expected = same(bare);
        if (events.every((e) => e.EventType === 'Freeze')) return; // no-ops: each names its own delivery
        // A signal whose deadline is the time of the delivery (events started, no NotBefore) differs by it.
        const started = (n: Outcome) =>
          n.ok && (n.value as { deadline?: string; time?: string }).deadline === (n.value as { time?: string }).time;
        if (started(bare) || started(viaBus) || started(viaGrid)) return;
        expect(same(viaBus)).toStrictEqual(expected);
        expect(same(viaGrid)).toStrictEqual(expected);
      }),
      RUNS,
    );
  });

  it('an Event Grid array of preemptions merges: all VMs, the earliest deadline, the ids merged', () => {
    const preempt = (id: string) =>
      scheduledEventArb(id)
        .map((e) => ({ ...e, EventType: 'Preempt' as const, EventStatus: 'Scheduled' as const }))
        .map((e) => ({ ...e, NotBefore: e.NotBefore || httpDateOf(BASE_SECONDS) }));
    const batch = fc
      .uniqueArray(fc.uuid(), { minLength: 1, maxLength: 12 })
      .chain((ids) => fc.tuple(...ids.map((id) => preempt(id.toUpperCase()))));
    fc.assert(
      fc.property(batch, (events) => {
        const template = (sampleDoc('azure-event-grid/valid') as Json[])[0] as Record<string, Json>;
        const array = events.map((e, i) => ({
          ...structuredClone(template),
          id: `grid-${i}`,
          data: { resourceLocation: 'eastus', resources: [{ armResource: { properties: { ...e } } }] },
        }));
        const r = outcome(array);
        expect(r.ok).toBe(true);
        if (!r.ok || r.value.type !== 'interruption') return expect.fail('not an interruption');
        expect(r.value.eventId).toBe(mergedIdModel(events.map((e) => e.EventId)));
        expect(r.value.eventId.length).toBeLessThanOrEqual(256);
        expect(r.value.instanceIds).toEqual([...new Set(events.flatMap((e) => e.Resources))]);
        expect(r.value.deadline).toBe(new Date(Math.min(...events.map((e) => Date.parse(e.NotBefore)))).toISOString());
      }),
      RUNS,
    );
  });
});

describe('limits', () => {
  it('an Azure VM name is accepted up to 80 characters and refused past it, naming the item', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
        const doc = sampleDoc('azure-scheduled-events/valid') as { Events: { Resources: string[] }[] };
        doc.Events[0]!.Resources = ['v'.repeat(n)];
        const r = outcome(doc);
        if (n <= 80) expect(r.ok && r.value.type === 'interruption' && r.value.instanceIds).toEqual(['v'.repeat(n)]);
        else expect(!r.ok && r.error.path).toBe('Events[0].Resources[0]');
      }),
      RUNS,
    );
  });
});

describe('fixed: a time taken from NormalizeContext.now is canonical', () => {
  // events/schemas/azure/scheduled-events.ts:136 (`origin.time ?? ctx.now ?? notBefore`) and
  // events/schemas/ops/operator-command.ts:129 carry `ctx.now` as given. NormalizeContextSchema accepts any ISO
  // time with an offset, but events/fields.ts promises "Times are always turned into canonical ISO strings".
  // Counterexample: the bare document azure-scheduled-events/valid with now '2025-03-04T11:15:00+01:00' gives
  // time '2025-03-04T11:15:00+01:00' (not '2025-03-04T10:15:00.000Z').
  it('dates a bare Scheduled Events document with the canonical form of ctx.now', () => {
    const r = normalizeEvent(sampleDoc('azure-scheduled-events/valid'), { now: '2025-03-04T11:15:00+01:00' });
    expect(r.type !== 'no-op' && r.time).toBe('2025-03-04T10:15:00.000Z');
  });
});

describe('fixed: a rejected batch item inside an envelope is reported with the envelope path', () => {
  // events/schemas/azure/event-grid.ts:71 (`['data', 'resources', i]`) and scheduled-events.ts:179/226
  // (`['Events']`, `['detail', 'Events']`) build item paths from the event's own root: a decoder's `toSignal`
  // is not told where the event sat (parse.ts `decode`). events/parse.ts promises "Paths are prefixed with
  // where the payload sat in its envelope", and router.ts "error paths that say where it sat".
  // Counterexample: an Event Grid array [valid, the same with id 'grid-2' and resource 0's EventType
  // 'Explode'] gives rejected path 'data.resources[0].armResource.properties.EventType', naming no event of
  // the array (expected '[1].data.resources[0]...'); through SNS, a forwarded document's bad event is
  // 'detail.Events[1].EventType', not 'Records[0].Sns.Message.detail.Events[1].EventType'.
  it('prefixes the path of a rejected resource with its event index in the array', () => {
    const [good] = sampleDoc('azure-event-grid/valid') as Record<string, Json>[];
    const bad = structuredClone(good!) as { id: string; data: { resources: { armResource: { properties: Json } }[] } };
    bad.id = 'grid-2';
    (bad.data.resources[0]!.armResource.properties as Record<string, Json>).EventType = 'Explode';
    const n = normalizeEvent([good, bad] as unknown as Json, CTX);
    expect(n.rejected?.map((r) => r.path)).toEqual(['[1].data.resources[0].armResource.properties.EventType']);
  });
});
