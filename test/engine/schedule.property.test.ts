/**
 * Properties of the schedule windows (engine/schedule.ts) over random windows, instants and IANA zones:
 * fixed offsets (UTC, Asia/Kolkata, Asia/Kathmandu), daylight saving with whole-hour, half-hour and 45-minute
 * zones (America/New_York, Europe/Berlin, Australia/Lord_Howe, Pacific/Chatham, Europe/Dublin's negative DST,
 * America/St_Johns), zones that moved their clocks at midnight (America/Sao_Paulo, Asia/Tehran) or skipped a
 * day (Pacific/Apia, December 2011).
 *
 * The oracles are independent of the module: local time from the zone's UTC offset (`Intl` `longOffset`, the
 * only thing taken from the tz database) and UTC arithmetic; a window as intervals on the circle of the
 * week's minutes; a window's real-time length across a daylight-saving change from the change's size.
 * `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import {
  activeWindows,
  aheadInstants,
  combineWindows,
  isWindowActive,
  localTime,
  upcomingFloor,
} from '../../shared/engine/schedule.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK_MINUTES = 7 * 1440;

const FIXED = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu'];
const DST = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Europe/Dublin',
  'America/St_Johns',
];
const ODD = ['America/Sao_Paulo', 'Asia/Tehran', 'Pacific/Apia'];
const ZONES = [...FIXED, ...DST, ...ODD];

// --- Oracle: local time from the zone's offset ---------------------------------------------------------------

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at `t`, in seconds ("GMT", "GMT+05:30", "GMT-00:25:21" before standard time). */
function offsetSeconds(t: number, zone: string): number {
  let f = offsetFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormatters.set(zone, f);
  }
  const name = f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!m) throw new Error(`unexpected offset ${name}`);
  if (!m[1]) return 0;
  const s = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -s : s;
}

/** ISO weekday and minutes since local midnight, by UTC arithmetic on the shifted instant. */
function oracleLocal(t: number, zone: string): { day: number; minutes: number } {
  const d = new Date(t + offsetSeconds(t, zone) * 1000);
  return { day: ((d.getUTCDay() + 6) % 7) + 1, minutes: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const parse = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));

/**
 * The window as intervals of the week's minutes (Monday 00:00 = 0): one per listed day, from its start for
 * (end - start) minutes, through midnight into the next day when the end is not after the start, the calendar
 * day when they are equal; Sunday's runs into Monday.
 */
function modelActive(w: ScheduleWindow, local: { day: number; minutes: number }): boolean {
  const start = parse(w.start);
  const end = parse(w.end);
  const at = (local.day - 1) * 1440 + local.minutes;
  return w.days.some((d) => {
    const from = (d - 1) * 1440 + (start === end ? 0 : start);
    const length = start === end ? 1440 : start < end ? end - start : 1440 - start + end;
    return (((at - from) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES < length;
  });
}

// --- Daylight-saving changes -----------------------------------------------------------------------------------

const transitionCache = new Map<string, number[]>();

/** The instants of `year` at which the zone's offset changes (the first minute of the new offset). */
function transitions(zone: string, year: number): number[] {
  const key = `${zone}/${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const out: number[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  for (let t = Date.UTC(year, 0, 1); t < end; t += 7 * DAY) {
    const next = Math.min(t + 7 * DAY, end);
    if (offsetSeconds(t, zone) === offsetSeconds(next, zone)) continue;
    let lo = t;
    let hi = next;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offsetSeconds(mid, zone) === offsetSeconds(lo, zone)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  transitionCache.set(key, out);
  return out;
}

// --- Arbitraries -------------------------------------------------------------------------------------------------

const Y1800 = Date.UTC(1800, 0, 1);
const Y1970 = Date.UTC(1970, 0, 1);
const Y2000 = Date.UTC(2000, 0, 1);
const Y2100 = Date.UTC(2100, 0, 1);

/** An instant near one of the zone's offset changes (2000-2037), or anywhere 1970-2100. */
const instantIn = (zone: string): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min: Y1970, max: Y2100 }),
    fc
      .record({ year: fc.integer({ min: 2000, max: 2037 }), k: fc.nat(3), delta: fc.integer({ min: -3, max: 3 }) })
      .map(({ year, k, delta }) => {
        const ts = transitions(zone, year);
        const base = ts.length > 0 ? ts[k % ts.length] : Date.UTC(year, 5, 1);
        return base + delta * 15 * MINUTE;
      }),
  );

const daysArb = fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 7 });

/** A window's start and end, sometimes equal (the whole day), sometimes wrapping midnight. */
const timesArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 })),
  fc.integer({ min: 0, max: 1439 }).map((m) => [m, m] as [number, number]),
  fc.tuple(fc.integer({ min: 0, max: 95 }), fc.integer({ min: 0, max: 95 })).map(([a, b]) => [a * 15, b * 15]),
);

const windowArb = (zones: readonly string[], name = 'w'): fc.Arbitrary<ScheduleWindow> =>
  fc
    .record({
      zone: fc.constantFrom(...zones),
      days: daysArb,
      times: timesArb,
      minNodes: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      maxNodes: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      freeze: fc.option(fc.boolean(), { nil: undefined }),
      freezeScaleDown: fc.option(fc.boolean(), { nil: undefined }),
      scaleToZero: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((r) => ({
      name,
      timeZone: r.zone,
      days: r.days,
      start: hhmm(r.times[0]),
      end: hhmm(r.times[1]),
      ...(r.minNodes !== undefined ? { minNodes: r.minNodes } : {}),
      ...(r.maxNodes !== undefined ? { maxNodes: r.maxNodes } : {}),
      ...(r.freeze !== undefined ? { freeze: r.freeze } : {}),
      ...(r.freezeScaleDown !== undefined ? { freezeScaleDown: r.freezeScaleDown } : {}),
      ...(r.scaleToZero !== undefined ? { scaleToZero: r.scaleToZero } : {}),
    }));

/** Windows with distinct names (upcomingFloor tells a window active now by its name). */
const windowsArb = (zones: readonly string[], maxLength = 5): fc.Arbitrary<ScheduleWindow[]> =>
  fc.array(windowArb(zones), { maxLength }).map((ws) => ws.map((w, i) => ({ ...w, name: `w${i}` })));

/** A window and an instant, the instant often a minute either side of the window's start or end (local time). */
const windowAndInstant = windowArb(ZONES).chain((w) =>
  fc
    .tuple(instantIn(w.timeZone), fc.constantFrom('any', 'start', 'end'), fc.constantFrom(-MINUTE, -1, 0, MINUTE - 1))
    .map(([t, near, d]) => {
      if (near === 'any') return { w, t };
      const minute = t - (((t % MINUTE) + MINUTE) % MINUTE);
      const target = parse(near === 'start' ? w.start : w.end);
      return { w, t: minute + (target - oracleLocal(t, w.timeZone).minutes) * MINUTE + d };
    }),
);

describe('schedule: properties', () => {
  it("localTime is the zone's wall clock: the UTC offset applied to the instant (1800-2100)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Y1800, max: Y2100 }), (zone, t) => {
        const got = localTime(t, zone);
        expect(got).toEqual(oracleLocal(t, zone));
        expect(got.day).toBeGreaterThanOrEqual(1);
        expect(got.day).toBeLessThanOrEqual(7);
        expect(got.minutes).toBeGreaterThanOrEqual(0);
        expect(got.minutes).toBeLessThan(1440);
      }),
      RUNS,
    );
  });

  it('localTime is right around every daylight-saving change (2000-2037), minute by minute', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DST, ...ODD),
        fc.integer({ min: 2000, max: 2037 }),
        fc.nat(3),
        fc.integer({ min: -90, max: 90 }),
        (zone, year, k, minutes) => {
          const ts = transitions(zone, year);
          if (ts.length === 0) return;
          const t = ts[k % ts.length] + minutes * MINUTE;
          expect(localTime(t, zone)).toEqual(oracleLocal(t, zone));
        },
      ),
      RUNS,
    );
  });

  it("isWindowActive is the window's intervals on the week's minutes at the local time (wrapping midnight and Sunday)", () => {
    fc.assert(
      fc.property(windowAndInstant, ({ w, t }) => {
        expect(isWindowActive(w, t)).toBe(modelActive(w, oracleLocal(t, w.timeZone)));
      }),
      RUNS,
    );
  });

  it('in a fixed-offset zone each occurrence is one stretch of real time: active throughout, inactive just outside', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXED),
        fc.integer({ min: Y2000 / DAY, max: Y2100 / DAY }),
        timesArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (zone, date, [start, end], share) => {
          const offset = offsetSeconds(date * DAY, zone) * 1000;
          const midnight = date * DAY - offset;
          const day = ((new Date(date * DAY).getUTCDay() + 6) % 7) + 1;
          const w: ScheduleWindow = { name: 'w', timeZone: zone, days: [day], start: hhmm(start), end: hhmm(end) };
          const from = midnight + (start === end ? 0 : start * MINUTE);
          const length = (start === end ? 1440 : start < end ? end - start : 1440 - start + end) * MINUTE;
          expect(isWindowActive(w, from)).toBe(true);
          expect(isWindowActive(w, from + Math.floor(share * length))).toBe(true);
          expect(isWindowActive(w, from + length - 1)).toBe(true);
          expect(isWindowActive(w, from - 1)).toBe(false);
          expect(isWindowActive(w, from + length)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it("across a daylight-saving change a window lasts its local length less the clocks' jump (more when they fall back)", () => {
    // Windows on the day of a change: from the evening before, or from 00:00-01:00, until 04:00-12:00 (they hold
    // a change made between 01:00 and 03:45 local), the whole day (any change that day, midnight ones too),
    // from 12:00-13:45 (none). Activity changes only on a quarter hour (windows on quarter hours, offsets in
    // quarter hours), so sampling every 15 minutes is exact.
    const EARLY = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/Dublin'];
    const shape = fc.oneof(
      fc
        .tuple(fc.integer({ min: 72, max: 95 }), fc.integer({ min: 16, max: 48 }))
        .map(([s, e]) => ({ kind: 'evening', start: s * 15, end: e * 15 })),
      fc
        .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 16, max: 48 }))
        .map(([s, e]) => ({ kind: 'night', start: s * 15, end: e * 15 })),
      fc.integer({ min: 0, max: 95 }).map((s) => ({ kind: 'day', start: s * 15, end: s * 15 })),
      fc
        .tuple(fc.integer({ min: 48, max: 55 }), fc.integer({ min: 56, max: 95 }))
        .map(([s, e]) => ({ kind: 'afternoon', start: s * 15, end: e * 15 })),
    );
    fc.assert(
      fc.property(
        shape.chain((sh) =>
          fc.tuple(
            fc.constant(sh),
            fc.constantFrom(...EARLY, ...(sh.kind === 'day' ? ['America/Sao_Paulo', 'Asia/Tehran'] : [])),
          ),
        ),
        fc.integer({ min: 2000, max: 2018 }),
        fc.nat(1),
        ([{ kind, start, end }, zone], year, k) => {
          const ts = transitions(zone, year);
          fc.pre(ts.length > k);
          const change = ts[k];
          const jump = (offsetSeconds(change, zone) - offsetSeconds(change - MINUTE, zone)) / 60;
          const day = oracleLocal(change, zone).day;
          const w: ScheduleWindow = {
            name: 'w',
            timeZone: zone,
            days: [kind === 'evening' ? (day === 1 ? 7 : day - 1) : day],
            start: hhmm(start),
            end: hhmm(end),
          };
          const local = start < end ? end - start : 1440 - start + end;
          let minutes = 0;
          const quarter = 15 * MINUTE;
          const from = Math.floor((change - 26 * 3_600_000) / quarter) * quarter;
          for (let t = from; t < change + 26 * 3_600_000; t += quarter) if (isWindowActive(w, t)) minutes += 15;
          expect(minutes).toBe(kind === 'afternoon' ? local : local - jump);
        },
      ),
      RUNS,
    );
  });

  it('activeWindows keeps the windows active at the instant, in order, and names those it cannot evaluate', () => {
    const broken = (w: ScheduleWindow, how: number): ScheduleWindow =>
      how === 0 ? { ...w, timeZone: 'Nowhere/Else' } : how === 1 ? { ...w, start: '9am' } : { ...w, end: '25:00' };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(windowArb(ZONES), fc.option(fc.nat(2), { nil: undefined, freq: 4 })), { maxLength: 6 }),
        fc.integer({ min: Y2000, max: Y2100 }),
        (given, t) => {
          const windows = given.map(([w, how], i) => ({ ...(how === undefined ? w : broken(w, how)), name: `w${i}` }));
          const ok = (i: number) => given[i][1] === undefined;
          const { active, invalid } = activeWindows(windows, t);
          expect(active).toEqual(windows.filter((w, i) => ok(i) && modelActive(w, oracleLocal(t, w.timeZone))));
          expect(invalid).toEqual(windows.filter((_, i) => !ok(i)).map((w) => w.name));
        },
      ),
      RUNS,
    );
  });

  it('combineWindows takes the highest floor, the lowest ceiling and any freeze, whatever the order', () => {
    fc.assert(
      fc.property(
        windowsArb(ZONES, 6).chain((ws) =>
          fc.tuple(fc.constant(ws), fc.shuffledSubarray(ws, { minLength: ws.length })),
        ),
        ([windows, shuffled]) => {
          const effect = combineWindows(windows);
          const floors = windows.flatMap((w) => (w.minNodes === undefined ? [] : [w.minNodes]));
          const ceilings = windows.flatMap((w) => (w.maxNodes === undefined ? [] : [w.maxNodes]));
          expect(effect.minNodes).toBe(floors.length > 0 ? Math.max(...floors) : undefined);
          expect(effect.maxNodes).toBe(ceilings.length > 0 ? Math.min(...ceilings) : undefined);
          expect(effect.freeze).toBe(windows.some((w) => w.freeze === true));
          expect(effect.freezeScaleDown).toBe(windows.some((w) => w.freezeScaleDown === true));
          expect(effect.scaleToZero).toBe(windows.some((w) => w.scaleToZero === true));
          expect(effect.names).toEqual(windows.map((w) => w.name));
          const other = combineWindows(shuffled);
          expect({ ...other, names: [...other.names].sort() }).toEqual({ ...effect, names: [...effect.names].sort() });
          // A window repeated changes nothing but the names.
          expect({ ...combineWindows([...windows, ...windows]), names: effect.names }).toEqual(effect);
        },
      ),
      RUNS,
    );
  });

  it('upcomingFloor is the highest floor of the windows active at an instant looked at and not active now', () => {
    // Windows told apart by themselves, not by name: names drawn from two, so that a window about to start often
    // shares its name with one active now (a counterexample the property found: the second `peak` was skipped).
    fc.assert(
      fc.property(
        fc
          .array(fc.tuple(windowArb(ZONES), fc.constantFrom('a', 'b')), { maxLength: 6 })
          .map((ws) => ws.map(([w, name]) => ({ ...w, name }))),
        fc.integer({ min: Y2000, max: Y2100 }),
        fc.array(fc.integer({ min: 0, max: 2 * DAY }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 2 * DAY }), { maxLength: 2 }),
        (windows, now, ahead, more) => {
          const { active } = activeWindows(windows, now);
          const instants = ahead.map((d) => now + d);
          const out = upcomingFloor(windows, active, instants);
          const coming = instants.flatMap((at) =>
            windows.filter((w) => !active.includes(w) && w.minNodes !== undefined && isWindowActive(w, at)),
          );
          const floors = coming.map((w) => w.minNodes ?? 0);
          expect(out.minNodes).toBe(floors.length > 0 ? Math.max(...floors) : undefined);
          expect(out.names).toEqual([...new Set(coming.map((w) => w.name))]);
          // Looking at more instants never lowers the floor nor forgets a window.
          const wider = upcomingFloor(windows, active, [...instants, ...more.map((d) => now + d)]);
          expect(wider.minNodes ?? -1).toBeGreaterThanOrEqual(out.minNodes ?? -1);
          for (const n of out.names) expect(wider.names).toContain(n);
          // Looking nowhere: nothing upcoming.
          expect(upcomingFloor(windows, active, [])).toEqual({ names: [] });
        },
      ),
      RUNS,
    );
  });

  it("a window's floor holds from a lead time before its start to its end (windows at least a time to ready long)", () => {
    // As decide.ts looks ahead (`aheadInstants`: from now + time to ready to now + lead, a minute apart). A window
    // at least a time to ready long is seen from `lead` before its start, however much shorter than the decision
    // interval it is (looked at only at the two ends, one inside them was missed); from its start on, it is
    // active and combineWindows gives its floor.
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXED),
        fc.integer({ min: Y2000 / DAY, max: Y2100 / DAY }),
        fc.integer({ min: 0, max: 1800 }),
        fc.integer({ min: 0, max: 900 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 20 }),
        windowsArb(ZONES, 3),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (zone, date, ttr, interval, start, extra, minNodes, others, share) => {
          const length = Math.min(1439, Math.ceil(Math.max(ttr, 60) / 60) + extra);
          const offset = offsetSeconds(date * DAY, zone) * 1000;
          const from = date * DAY - offset + start * MINUTE;
          const day = ((new Date(date * DAY).getUTCDay() + 6) % 7) + 1;
          const w: ScheduleWindow = {
            name: 'ahead',
            timeZone: zone,
            days: [day],
            start: hhmm(start),
            end: hhmm((start + length) % 1440),
            minNodes,
          };
          const windows = [...others, w];
          const lead = ttr + interval;
          // A decision anywhere from `lead` before the start to the window's end.
          const now = from - lead * 1000 + Math.floor(share * (lead * 1000 + length * MINUTE));
          const { active } = activeWindows(windows, now);
          const effect = combineWindows(active);
          const soon = upcomingFloor(windows, active, aheadInstants(now, ttr, lead));
          expect(Math.max(effect.minNodes ?? 0, soon.minNodes ?? 0)).toBeGreaterThanOrEqual(minNodes);
        },
      ),
      RUNS,
    );
  });
});
