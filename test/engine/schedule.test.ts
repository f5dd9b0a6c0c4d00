/** Schedule windows: local time in the window's zone (daylight saving included), wrapping midnight. */
import { describe, expect, it } from 'vitest';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import { activeWindows, combineWindows, isWindowActive } from '../../shared/engine/schedule.ts';

const w = (over: Partial<ScheduleWindow>): ScheduleWindow => ({
  name: 'w',
  timeZone: 'UTC',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
  ...over,
});
const t = (iso: string) => Date.parse(iso);

describe('isWindowActive', () => {
  it.each([
    // 2026-03-02 is a Monday. 12:00 UTC is 13:00 in Paris (UTC+1 in winter).
    { name: 'inside, Paris', win: w({ timeZone: 'Europe/Paris' }), now: '2026-03-02T12:00:00Z', active: true },
    { name: 'start is inclusive', win: w({ timeZone: 'Europe/Paris' }), now: '2026-03-02T08:00:00Z', active: true },
    { name: 'end is exclusive', win: w({ timeZone: 'Europe/Paris' }), now: '2026-03-02T16:00:00Z', active: false },
    { name: 'weekend day not listed', win: w({}), now: '2026-03-07T12:00:00Z', active: false },
    // New York moved to EDT (UTC-4) on 2026-03-08: 13:30 UTC is 09:30 on Monday the 9th, 08:30 on Friday the 6th.
    {
      name: 'after the DST change',
      win: w({ timeZone: 'America/New_York' }),
      now: '2026-03-09T13:30:00Z',
      active: true,
    },
    {
      name: 'before the DST change',
      win: w({ timeZone: 'America/New_York' }),
      now: '2026-03-06T13:30:00Z',
      active: false,
    },
    // Friday-night window 22:00-02:00: Saturday 01:00 belongs to Friday's window.
    {
      name: 'wraps midnight: evening part',
      win: w({ days: [5], start: '22:00', end: '02:00' }),
      now: '2026-03-06T23:00:00Z',
      active: true,
    },
    {
      name: 'wraps midnight: morning part of the day before',
      win: w({ days: [5], start: '22:00', end: '02:00' }),
      now: '2026-03-07T01:00:00Z',
      active: true,
    },
    {
      name: 'wraps midnight: morning of a day whose eve is not listed',
      win: w({ days: [5], start: '22:00', end: '02:00' }),
      now: '2026-03-06T01:00:00Z',
      active: false,
    },
    {
      name: 'start equal to end: the whole day',
      win: w({ days: [1], start: '00:00', end: '00:00' }),
      now: '2026-03-02T23:59:00Z',
      active: true,
    },
  ])('$name', ({ win, now, active }) => {
    expect(isWindowActive(win, t(now))).toBe(active);
  });

  it('throws on an unknown zone or a malformed time; activeWindows reports them', () => {
    expect(() => isWindowActive(w({ timeZone: 'Nowhere/Else' }), t('2026-03-02T12:00:00Z'))).toThrow(RangeError);
    expect(() => isWindowActive(w({ start: '9am' }), t('2026-03-02T12:00:00Z'))).toThrow(RangeError);
    const out = activeWindows(
      [w({ name: 'ok' }), w({ name: 'bad', timeZone: 'Nowhere/Else' })],
      t('2026-03-02T12:00:00Z'),
    );
    expect(out.active.map((x) => x.name)).toEqual(['ok']);
    expect(out.invalid).toEqual(['bad']);
  });
});

describe('combineWindows', () => {
  it('takes the highest floor, the lowest ceiling and any freeze', () => {
    const effect = combineWindows([
      w({ name: 'a', minNodes: 2, maxNodes: 10 }),
      w({ name: 'b', minNodes: 4, maxNodes: 8, freezeScaleDown: true }),
    ]);
    expect(effect).toEqual({
      minNodes: 4,
      maxNodes: 8,
      freeze: false,
      freezeScaleDown: true,
      scaleToZero: false,
      names: ['a', 'b'],
    });
  });
});
