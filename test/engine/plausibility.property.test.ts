/**
 * Properties of the plausibility of interruption notices (engine/plausibility.ts) over random notices of every
 * kind: times from days before to days after now, deadlines from before the notice to past each kind's
 * longest lead, times written with other offsets than `Z`, and texts that are no time at all.
 *
 * What the file comment promises: a notice is refused when its time does not parse, when it is more than 6
 * hours old or more than 5 minutes in the future, when its deadline does not parse, is before the notice by
 * more than that skew, or is later than the kind's longest lead after it; else it is plausible, with or
 * without a deadline. The reason says which of the two times was wrong and quotes it. Only the instants
 * count (not how they are written, not the clock's origin): a notice too old stays refused as time passes,
 * one in the future stays refused earlier. The oracles are the bounds as stated, in integer milliseconds.
 * `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InterruptionKind } from '../../shared/domain/signals.ts';
import {
  implausibleNotice,
  MAX_CLOCK_SKEW_MS,
  MAX_NOTICE_AGE_MS,
  MAX_NOTICE_LEAD_MS,
} from '../../shared/engine/plausibility.ts';
import { iso } from '../../shared/engine/time.ts';
import { T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const NOW = T0.getTime();
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const KINDS: InterruptionKind[] = ['warning', 'rebalance', 'preempt', 'reservation-interruption', 'maintenance'];
/** The leads as the file comment states them: one hour, and 35 days for maintenance. */
const LEAD: Record<InterruptionKind, number> = {
  warning: HOUR,
  rebalance: HOUR,
  preempt: HOUR,
  'reservation-interruption': HOUR,
  maintenance: 35 * DAY,
};

/** Offsets from now, in ms, dense around each bound (the bound itself, a millisecond either side). */
const aroundArb = (bounds: number[], spread: number) =>
  fc.oneof(
    fc.integer({ min: -spread, max: spread }),
    fc.tuple(fc.constantFrom(...bounds), fc.integer({ min: -2, max: 2 })).map(([b, d]) => b + d),
    fc.tuple(fc.constantFrom(...bounds), fc.integer({ min: -MINUTE, max: MINUTE })).map(([b, d]) => b + d),
  );
/** The notice's time, from now. */
const timeOffsetArb = aroundArb([-MAX_NOTICE_AGE_MS, MAX_CLOCK_SKEW_MS, 0], 2 * DAY);
/** The deadline, from the notice's time. */
const deadlineOffsetArb = aroundArb([-MAX_CLOCK_SKEW_MS, HOUR, 35 * DAY, 0], 40 * DAY);

/** An instant written as ISO 8601 with the UTC offset `offsetMinutes` (`Z` for 0 when `z`). */
function isoWithOffset(t: number, offsetMinutes: number, z: boolean): string {
  if (offsetMinutes === 0 && z) return iso(t);
  const local = new Date(t + offsetMinutes * MINUTE).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
const offsetArb = fc.record({
  minutes: fc.constantFrom(0, 60, -300, 330, 345, -570, 840, -720),
  z: fc.boolean(),
});

/** Texts that are no time: Date.parse gives NaN for each. */
const notTimeArb = fc
  .oneof(
    fc.constantFrom('', 'soon', 'yyyy-mm-ddThh:mm:ssZ', '2026-13-01T00:00:00Z', '2026-03-02T25:00:00Z', 'NaN', 'null'),
    fc.string({ maxLength: 12 }),
  )
  .filter((s) => Number.isNaN(Date.parse(s)));

type Verdict = 'plausible' | 'time' | 'deadline';
/** The oracle: which of the times the bounds refuse, in integer milliseconds. */
function expected(kind: InterruptionKind, timeFromNow: number, deadlineFromTime: number | undefined): Verdict {
  if (timeFromNow < -MAX_NOTICE_AGE_MS || timeFromNow > MAX_CLOCK_SKEW_MS) return 'time';
  if (deadlineFromTime === undefined) return 'plausible';
  if (deadlineFromTime < -MAX_CLOCK_SKEW_MS || deadlineFromTime > LEAD[kind]) return 'deadline';
  return 'plausible';
}
/** Which time a reason is about: each names its field ("its time", "dated" / "its deadline"). */
function verdictOf(reason: string | undefined): Verdict {
  if (reason === undefined) return 'plausible';
  return /deadline/.test(reason) ? 'deadline' : 'time';
}

describe('implausibleNotice: properties', () => {
  it('states its bounds as the file comment does: 6 hours old, 5 minutes ahead, 1 hour of lead, 35 days for maintenance', () => {
    expect(MAX_NOTICE_AGE_MS).toBe(6 * HOUR);
    expect(MAX_CLOCK_SKEW_MS).toBe(5 * MINUTE);
    expect(MAX_NOTICE_LEAD_MS).toEqual(LEAD);
  });

  it('refuses exactly the notices outside the bounds, the bounds themselves included in what passes, and says which time and quotes it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        timeOffsetArb,
        fc.option(deadlineOffsetArb, { nil: undefined }),
        offsetArb,
        offsetArb,
        (kind, dt, dd, to, dlo) => {
          const time = isoWithOffset(NOW + dt, to.minutes, to.z);
          const deadline = dd === undefined ? undefined : isoWithOffset(NOW + dt + dd, dlo.minutes, dlo.z);
          const reason = implausibleNotice({ kind, time, ...(deadline !== undefined ? { deadline } : {}) }, NOW);
          const want = expected(kind, dt, dd);
          expect(verdictOf(reason)).toBe(want);
          if (want === 'time') expect(reason).toContain(time);
          if (want === 'deadline') expect(reason).toContain(deadline);
        },
      ),
      RUNS,
    );
  });

  it('refuses a time or a deadline that does not parse, naming it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        notTimeArb,
        fc.integer({ min: -MAX_NOTICE_AGE_MS, max: MAX_CLOCK_SKEW_MS }),
        fc.option(deadlineOffsetArb, { nil: undefined }),
        (kind, bad, dt, dd) => {
          const good = iso(NOW + dt);
          const deadline = dd === undefined ? undefined : iso(NOW + dt + dd);
          const badTime = implausibleNotice({ kind, time: bad, ...(deadline ? { deadline } : {}) }, NOW);
          expect(badTime).toBe(`its time ${bad} is not a time`);
          const badDeadline = implausibleNotice({ kind, time: good, deadline: bad }, NOW);
          expect(badDeadline).toBe(`its deadline ${bad} is not a time`);
        },
      ),
      RUNS,
    );
  });

  it('depends on the instants only: the same verdict with the clock and both times shifted alike, however written', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        timeOffsetArb,
        fc.option(deadlineOffsetArb, { nil: undefined }),
        fc.integer({ min: -20 * 365 * DAY, max: 20 * 365 * DAY }),
        offsetArb,
        (kind, dt, dd, shift, o) => {
          const notice = (base: number, write: (t: number) => string) => ({
            kind,
            time: write(base + dt),
            ...(dd !== undefined ? { deadline: write(base + dt + dd) } : {}),
          });
          const here = implausibleNotice(notice(NOW, iso), NOW);
          const there = implausibleNotice(
            notice(NOW + shift, (t) => isoWithOffset(t, o.minutes, o.z)),
            NOW + shift,
          );
          expect(verdictOf(there)).toBe(verdictOf(here));
        },
      ),
      RUNS,
    );
  });

  it('a notice too old stays refused as time passes; one in the future stays refused earlier; a plausible one was so from 5 minutes before its time to 6 hours after', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        timeOffsetArb,
        fc.option(deadlineOffsetArb, { nil: undefined }),
        fc.integer({ min: 0, max: 2 * DAY }),
        (kind, dt, dd, later) => {
          const s = { kind, time: iso(NOW + dt), ...(dd !== undefined ? { deadline: iso(NOW + dt + dd) } : {}) };
          const reason = implausibleNotice(s, NOW);
          if (reason?.includes('more than 6 hours ago')) expect(implausibleNotice(s, NOW + later)).toBe(reason);
          if (reason?.includes('in the future')) expect(implausibleNotice(s, NOW - later)).toBe(reason);
          if (reason === undefined) {
            const t = NOW + dt;
            const at = t - MAX_CLOCK_SKEW_MS + (later % (MAX_NOTICE_AGE_MS + MAX_CLOCK_SKEW_MS + 1));
            expect(implausibleNotice(s, at)).toBeUndefined();
          }
        },
      ),
      RUNS,
    );
  });

  it('a deadline that passes for one kind passes for maintenance, whose lead is the longest', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), timeOffsetArb, deadlineOffsetArb, (kind, dt, dd) => {
        const s = { time: iso(NOW + dt), deadline: iso(NOW + dt + dd) };
        if (implausibleNotice({ ...s, kind }, NOW) === undefined)
          expect(implausibleNotice({ ...s, kind: 'maintenance' }, NOW)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('answers any text at all with a reason or undefined, never an exception', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.string(), fc.option(fc.string(), { nil: undefined }), (kind, t, d) => {
        const reason = implausibleNotice({ kind, time: t, ...(d !== undefined ? { deadline: d } : {}) }, NOW);
        expect(reason === undefined || typeof reason === 'string').toBe(true);
      }),
      RUNS,
    );
  });
});
