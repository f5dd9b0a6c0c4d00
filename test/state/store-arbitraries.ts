/**
 * Random inputs for the state store's properties (`store.property.test.ts`): ids as the store may be given them
 * (short, unicode, past the key bound, shaped as another id's key, with unpaired surrogates), the fleet's
 * decision state, history entries, audit records and JSON-like details. Values are what DynamoDB can hold: its
 * strings are UTF-8 (no unpaired surrogates in values; ids in keys may have them, `keyId` bounds them) and its
 * numbers have 38 digits between 1E-130 and 9.9E125 (a double within a million and not denormal fits).
 * Map keys are what the application keys its maps by: pool ids (`[a-z0-9][a-z0-9-]*`, so `__proto__` is not one),
 * offerings (`pool/zone`) and names an object inherits (`constructor`, `toString`).
 */
import fc from 'fast-check';
import type { AuditRecord, FleetState } from '../../shared/state/records.ts';
import type { DecisionState, HistoryEntry } from '../../shared/engine/types.ts';
import { keyId } from '../../shared/state/bounded.ts';

/** Well-formed text: any code point (astral ones as pairs), or graphemes. */
export const text = (maxLength = 12) =>
  fc.oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));
export const nonEmptyText = (maxLength = 12) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
  );

/** A string of UTF-16 code units, unpaired surrogates included. */
const codeUnits = (maxLength: number) =>
  fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength })
    .map((units) => String.fromCharCode(...units));

/** An id as an event, a fleet or a command may carry: short or long, unicode, shaped as a key, ill-formed. */
export const anyId: fc.Arbitrary<string> = fc.oneof(
  nonEmptyText(20),
  fc.constantFrom('__proto__', 'constructor', 'STATE', 'AUDIT#', '#', '~', 'a'.repeat(200), 'é'.repeat(100)),
  // Past the 200 bytes kept verbatim: digested.
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.integer({ min: 201, max: 1500 }))
    .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
  // Another id's key, sent as an id.
  nonEmptyText(8).map((s) => keyId(s.repeat(300))),
  codeUnits(30),
);

/** A pool id, an offering, or a name objects inherit: the keys of the state's maps. */
export const mapKey = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/),
  fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'),
  fc
    .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), fc.constantFrom('*', 'us-east-1a', 'eastus-az2', 'zone 1'))
    .map(([p, z]) => `${p}/${z}`),
);

/** A number DynamoDB holds exactly as JavaScript reads it (no -0: DynamoDB has one zero). */
export const num = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc
    .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
    .map((x) => (Object.is(x, -0) || Math.abs(x) < 1e-100 ? 0 : x)),
);
export const count = fc.integer({ min: 0, max: 1000 });

/** An ISO time as the application writes them (toISOString). */
export const isoTime = fc
  .date({ min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2099-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** JSON-like values with keys from `keys`. */
const json = (keys: fc.Arbitrary<string>): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      num,
      text(16),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(keys, tie('value'), { maxKeys: 3, noNullPrototype: true }),
    ),
  })).value;

/** An audit entry's `detail`, keyed as the application keys its maps. */
export const detail = json(mapKey);

/**
 * A document as an event carries it (a rejected event's copy): any keys, `__proto__` (an own key once
 * JSON.parse made it) and `constructor` included.
 */
export const eventDocument = json(fc.oneof(text(8), fc.constantFrom('__proto__', 'constructor', 'toString')));

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops the keys whose value is undefined (what the store's marshalling does). */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const decisionState: fc.Arbitrary<DecisionState> = fc
  .record({
    paused: opt(fc.record({ until: opt(isoTime), by: text(), reason: text(40) }).map(defined)),
    manualTarget: opt(
      fc.record({ target: count, poolId: opt(mapKey), until: opt(isoTime), by: text(), reason: text(40) }).map(defined),
    ),
    offeringBackoff: fc.array(
      fc
        .record({
          poolId: mapKey,
          zone: opt(text()),
          until: isoTime,
          reason: fc.constantFrom('interrupted' as const, 'insufficient-capacity' as const),
        })
        .map(defined),
      { maxLength: 4 },
    ),
    interruptedInstances: opt(
      fc.array(
        fc
          .record({
            instanceId: nonEmptyText(30),
            poolId: opt(mapKey),
            deadline: opt(isoTime),
            at: isoTime,
            removing: opt(fc.constant(true as const)),
          })
          .map(defined),
        { maxLength: 4 },
      ),
    ),
    spotRisk: opt(
      fc.record({
        at: isoTime,
        offerings: fc.dictionary(mapKey, fc.record({ hours: num, losses: num }), { maxKeys: 4, noNullPrototype: true }),
        events: fc.array(fc.record({ at: isoTime, offering: mapKey, nodes: count, held: opt(num) }).map(defined), {
          maxLength: 3,
        }),
      }),
    ),
    warmHold: opt(
      fc
        .record({
          rps: num,
          at: isoTime,
          pools: opt(
            fc.dictionary(mapKey, fc.record({ rps: num, at: isoTime }), { maxKeys: 3, noNullPrototype: true }),
          ),
        })
        .map(defined),
    ),
    warmBridge: opt(fc.dictionary(mapKey, count, { maxKeys: 4, noNullPrototype: true })),
    lastKnown: opt(
      fc.dictionary(mapKey, fc.record({ desired: count, ready: count }), { maxKeys: 4, noNullPrototype: true }),
    ),
  })
  .map(defined);

/** A history entry; `marker` makes it tell apart from every other of its run (`recommendation`). */
export const historyEntry = (marker: number): fc.Arbitrary<HistoryEntry> =>
  fc
    .record({
      at: isoTime,
      fleetId: opt(text()),
      requiredRps: opt(num),
      from: count,
      to: count,
      taken: opt(count),
      applied: fc.boolean(),
      dryRun: opt(fc.boolean()),
      noData: opt(fc.boolean()),
      pools: opt(fc.array(fc.record({ poolId: mapKey, from: count, to: count }), { maxLength: 3 })),
      signalIds: opt(fc.array(text(30), { maxLength: 3 })),
    })
    .map((r) => defined({ ...r, recommendation: marker }));

export const auditRecord = (fleetId: string): fc.Arbitrary<AuditRecord> =>
  fc
    .record({
      at: isoTime,
      eventId: anyId.filter((s) => s.isWellFormed()),
      trigger: fc
        .record({
          fn: nonEmptyText(),
          signal: text(),
          source: text(),
          actor: opt(text()),
          reason: opt(text(40)),
        })
        .map(defined),
      dryRun: fc.boolean(),
      paused: fc.boolean(),
      outcome: fc.record({
        status: fc.constantFrom(
          'applied' as const,
          'partial' as const,
          'failed' as const,
          'dry-run' as const,
          'paused' as const,
          'no-change' as const,
          'rejected' as const,
          'batched' as const,
        ),
        applied: fc.array(fc.record({ poolId: opt(mapKey), action: text(), detail: opt(detail) }).map(defined), {
          maxLength: 3,
        }),
        failed: fc.array(
          fc
            .record({ poolId: opt(mapKey), action: text(), error: text(40), kind: opt(text()), code: opt(text()) })
            .map(defined),
          { maxLength: 2 },
        ),
      }),
      notes: opt(fc.array(text(40), { maxLength: 3 })),
      notices: opt(fc.array(text(30), { maxLength: 3 })),
      handledBy: opt(fc.record({ eventId: text(30), at: isoTime })),
    })
    .map((r) => defined({ fleetId, ...r }));

/** The state as every read gives it back after a save of `saved` at `version`. */
export function asRead(fleetId: string, saved: DecisionState, version: number): FleetState {
  return { ...saved, fleetId, version };
}
