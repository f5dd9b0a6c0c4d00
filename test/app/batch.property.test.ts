/**
 * Properties of the pure part of a fleet's notices decided together (shared/app/batch.ts): which recorded
 * notices a decision takes with its own (`pendingNotices`) and what its state save writes of them
 * (`noticeUpdate`), over random notices recorded around the plausible-age and keeping limits.
 *
 * What their comments promise. A decision takes exactly the notices recorded, not handled, not its own event's
 * and not older than a notice can plausibly be (MAX_NOTICE_AGE_MS), in their order; as time passes it takes
 * no new one. Its save marks its own notice and the ones it took handled by it (each with the instances
 * refuted in it, and only those), drops the ones past keeping (handled more than HANDLED_KEPT_MS ago, or
 * pending past a notice's plausible age), never both for one notice, and writes nothing when no notice is
 * recorded. Taking what `pendingNotices` answers, no notice is left pending and plausible after the save.
 * `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HANDLED_KEPT_MS, noticeUpdate, pendingNotices } from '../../shared/app/batch.ts';
import type { FleetRead, NoticeHandled, PendingNotice } from '../../shared/domain/ports.ts';
import type { InterruptionSignal } from '../../shared/domain/signals.ts';
import { MAX_NOTICE_AGE_MS } from '../../shared/engine/plausibility.ts';
import type { HistoryEntry } from '../../shared/engine/types.ts';
import type { FleetState } from '../../shared/state/records.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const NOW = Date.parse('2026-03-02T15:00:00Z');
const EVENTS = ['spot-i-1', 'spot-i-2', 'spot-i-3', 'spot-i-4', 'spot-i-5', 'spot-i-6'];

/** A time near `NOW - limit` (either side, to the millisecond), or anywhere in the last day or just ahead. */
const around = (limit: number) =>
  fc.oneof(
    fc.integer({ min: -3, max: 3 }).map((d) => NOW - limit + d),
    fc.integer({ min: NOW - 24 * 3600_000, max: NOW + 60_000 }),
  );
const iso = (t: number) => new Date(t).toISOString();

const handledArb: fc.Arbitrary<NoticeHandled> = fc.record({
  by: fc.constantFrom(...EVENTS, 'other-event'),
  at: around(HANDLED_KEPT_MS).map(iso),
  currentNodes: fc.nat({ max: 10 }),
  targetNodes: fc.nat({ max: 10 }),
});
/** Notices of distinct events (each recorded once), keyed as the store keys them. */
const noticesArb: fc.Arbitrary<PendingNotice[]> = fc
  .uniqueArray(fc.constantFrom(...EVENTS), { maxLength: EVENTS.length })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((eventId) =>
        fc.record(
          {
            key: fc.constant(`notice#${eventId}`),
            eventId: fc.constant(eventId),
            at: around(MAX_NOTICE_AGE_MS).map(iso),
            signal: fc.constant({ type: 'interruption', eventId } as unknown as InterruptionSignal),
            handled: handledArb,
          },
          { requiredKeys: ['key', 'eventId', 'at', 'signal'] },
        ),
      ),
    ),
  );
const readOf = (notices: PendingNotice[] | undefined) =>
  ({ state: {}, history: [], historyKeys: [], ...(notices ? { notices } : {}) }) as unknown as FleetRead<
    FleetState,
    HistoryEntry
  >;
const plausible = (n: PendingNotice, now: number) => Date.parse(n.at) >= now - MAX_NOTICE_AGE_MS;

describe('pendingNotices', () => {
  it('takes exactly the notices not handled, not its own and still plausible, in their order', () => {
    fc.assert(
      fc.property(noticesArb, fc.constantFrom(...EVENTS), (notices, own) => {
        const got = pendingNotices(readOf(notices), own, NOW);
        expect(got).toEqual(notices.filter((n) => !n.handled && n.eventId !== own && plausible(n, NOW)));
      }),
      RUNS,
    );
  });

  it('as time passes, takes no notice it did not take before', () => {
    fc.assert(
      fc.property(noticesArb, fc.constantFrom(...EVENTS), fc.nat({ max: 8 * 3600_000 }), (notices, own, later) => {
        const before = pendingNotices(readOf(notices), own, NOW);
        for (const n of pendingNotices(readOf(notices), own, NOW + later)) expect(before).toContain(n);
      }),
      RUNS,
    );
  });

  it('no notices recorded: none taken', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EVENTS), fc.integer(), (own, dt) => {
        expect(pendingNotices(readOf(undefined), own, NOW + dt)).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('noticeUpdate', () => {
  const refusedArb = fc.array(
    fc.record({
      eventId: fc.constantFrom(...EVENTS),
      instanceId: fc.constantFrom('i-1', 'i-2', 'i-3'),
      reason: fc.string({ maxLength: 12 }),
    }),
    { maxLength: 5 },
  );
  const decision = { by: 'spot-i-1', at: iso(NOW), currentNodes: 4, targetNodes: 5 };
  const caseArb = fc.record({
    notices: noticesArb,
    own: fc.constantFrom(...EVENTS),
    refused: refusedArb,
    // Which of the pending ones the decision took (all of them, as decision.ts does, or some).
    takeAll: fc.boolean(),
    pick: fc.nat(),
  });
  const takenOf = (c: { notices: PendingNotice[]; own: string; takeAll: boolean; pick: number }) => {
    const pending = pendingNotices(readOf(c.notices), c.own, NOW);
    return c.takeAll ? pending : pending.filter((_, i) => (c.pick >> i) & 1);
  };

  it('writes nothing when no notice is recorded', () => {
    fc.assert(
      fc.property(refusedArb, fc.constantFrom(...EVENTS), (refused, own) => {
        expect(noticeUpdate(readOf(undefined), [], own, decision, refused, NOW)).toBeUndefined();
        expect(noticeUpdate(readOf([]), [], own, decision, refused, NOW)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('marks its own notice and those it took, each with the instances refuted in it and only those', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(c.notices.length > 0);
        const taken = takenOf(c);
        const u = noticeUpdate(readOf(c.notices), taken, c.own, decision, c.refused, NOW)!;
        const marked = c.notices.filter((n) => n.eventId === c.own || taken.some((t) => t.key === n.key));
        expect(u.handled.map((h) => h.key)).toEqual(marked.map((n) => n.key));
        for (const h of u.handled) {
          const n = c.notices.find((x) => x.key === h.key)!;
          const mine = c.refused.filter((r) => r.eventId === n.eventId);
          expect(h.handled).toEqual({
            ...decision,
            ...(mine.length ? { refused: mine.map(({ instanceId, reason }) => ({ instanceId, reason })) } : {}),
          });
        }
      }),
      RUNS,
    );
  });

  it('drops exactly the notices past keeping, never one it marks', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(c.notices.length > 0);
        const taken = takenOf(c);
        const u = noticeUpdate(readOf(c.notices), taken, c.own, decision, c.refused, NOW)!;
        const marked = new Set(u.handled.map((h) => h.key));
        const drop = u.drop ?? [];
        if (u.drop) expect(u.drop.length).toBeGreaterThan(0);
        for (const k of drop) expect(marked.has(k)).toBe(false);
        const past = c.notices.filter(
          (n) =>
            !marked.has(n.key) && (n.handled ? Date.parse(n.handled.at) < NOW - HANDLED_KEPT_MS : !plausible(n, NOW)),
        );
        expect(drop).toEqual(past.map((n) => n.key));
      }),
      RUNS,
    );
  });

  it('taking what pendingNotices answers, no notice is left pending and plausible after the save', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(c.notices.length > 0);
        const taken = pendingNotices(readOf(c.notices), c.own, NOW);
        const u = noticeUpdate(readOf(c.notices), taken, c.own, decision, c.refused, NOW)!;
        const marked = new Set(u.handled.map((h) => h.key));
        const dropped = new Set(u.drop ?? []);
        const left = c.notices.filter((n) => !n.handled && !marked.has(n.key) && !dropped.has(n.key));
        expect(left).toEqual([]);
      }),
      RUNS,
    );
  });
});
