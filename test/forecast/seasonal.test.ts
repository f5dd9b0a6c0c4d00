import { describe, expect, it } from 'vitest';
import { seasonalForecast } from '../../shared/forecast/seasonal.ts';

const DAY = 86_400;
const now = new Date('2026-03-03T10:00:00Z');
const t0 = now.getTime() / 1000;
/** Yesterday: 100 rps until 10:30, then 200 rps (a morning ramp); every 5 min. */
function yesterday(scale = 1): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let t = t0 - DAY - 3600; t <= t0 - DAY + 7200; t += 300)
    pts.push([t, (t < t0 - DAY + 1800 ? 100 : 200) * scale]);
  return pts;
}

describe('seasonalForecast', () => {
  it('repeats yesterday at the same time of day when today runs at the same level', () => {
    const today: Array<[number, number]> = [];
    for (let t = t0 - 3600; t <= t0; t += 300) today.push([t, 100]);
    const f = seasonalForecast([...yesterday(), ...today], now, { horizonSeconds: 3600, stepSeconds: 300 });
    const at = (min: number) => f.find((p) => p.at === new Date((t0 + min * 60) * 1000).toISOString())?.rps;
    expect(at(15)).toBeCloseTo(100);
    // The 5-min bucket around 10:25 yesterday holds only the 10:25 point (100); at 10:30 the ramp began.
    expect(at(25)).toBeCloseTo(100);
    expect(at(30)).toBeCloseTo(200);
    expect(at(45)).toBeCloseTo(200);
  });

  it('scales the season by the ratio of today to yesterday (today is 20% hotter)', () => {
    const today: Array<[number, number]> = [];
    for (let t = t0 - 3600; t <= t0; t += 300) today.push([t, 120]);
    const f = seasonalForecast([...yesterday(), ...today], now, { horizonSeconds: 3600, stepSeconds: 300 });
    // 200 rps yesterday at 10:45 x (120 / 100) = 240.
    expect(f.find((p) => p.at === new Date((t0 + 2700) * 1000).toISOString())?.rps).toBeCloseTo(240);
  });

  it('bounds the level ratio (a 10x spike today forecasts at most 2x)', () => {
    const f = seasonalForecast([...yesterday(), [t0 - 60, 1000]], now, { horizonSeconds: 3600, stepSeconds: 300 });
    expect(Math.max(...f.map((p) => p.rps))).toBeCloseTo(400);
  });

  it('takes no level from a past season whose window the history barely covers (a burst at its edge)', () => {
    // Two days of 5-minute readings at 100 rps, the oldest exactly two days ago and a burst (1000 rps): the
    // window before it, two days back, holds that one reading alone.
    const pts: Array<[number, number]> = [];
    for (let t = t0 - 2 * DAY; t <= t0; t += 300) pts.push([t, t === t0 - 2 * DAY ? 1000 : 100]);
    const f = seasonalForecast(pts, now, { horizonSeconds: 900, stepSeconds: 300 });
    expect(f.map((p) => p.rps)).toEqual([100, 100, 100]);
    // With half the window covered, the season counts again: 45 min more history two days back at 200 rps
    // (the level window is 30 min) doubles that season's level, and today at 100 rps runs at 2/3 of the mean.
    const more: Array<[number, number]> = [];
    for (let t = t0 - 2 * DAY - 2700; t < t0 - 2 * DAY; t += 300) more.push([t, 200]);
    const g = seasonalForecast([...more, ...pts.slice(1), [t0 - 2 * DAY, 200]], now, {
      horizonSeconds: 300,
      stepSeconds: 300,
    });
    expect(g[0]!.rps).toBeCloseTo(((100 + 100) / 2) * (100 / ((200 + 100) / 2)));
  });

  it('reads the same seasons for the level and the points: a day whose level window is not covered is in neither', () => {
    // Two days back at 200 rps, yesterday and today at 100: the history starts exactly two days back.
    const pts: Array<[number, number]> = [];
    for (let t = t0 - 2 * DAY; t <= t0; t += 300) pts.push([t, t < t0 - DAY - 1800 ? 200 : 100]);
    const f = seasonalForecast(pts, now, { horizonSeconds: 900, stepSeconds: 300 });
    expect(f.map((p) => p.rps)).toEqual([100, 100, 100]);
    // Covered (45 min more two days back): in both, (200 + 100) / 2 at today's level over theirs, 100 / 150.
    const more: Array<[number, number]> = [];
    for (let t = t0 - 2 * DAY - 2700; t < t0 - 2 * DAY; t += 300) more.push([t, 200]);
    const g = seasonalForecast([...more, ...pts], now, { horizonSeconds: 900, stepSeconds: 300 });
    for (const p of g) expect(p.rps).toBeCloseTo(100);
  });

  it('falls back to the recent level without a season of history, and to nothing without data', () => {
    const f = seasonalForecast(
      [
        [t0 - 600, 50],
        [t0 - 300, 70],
      ],
      now,
      { horizonSeconds: 900, stepSeconds: 300 },
    );
    expect(f.map((p) => p.rps)).toEqual([60, 60, 60]);
    expect(seasonalForecast([], now, { horizonSeconds: 900, stepSeconds: 300 })).toEqual([]);
  });

  it('ignores points from the future and non-finite values', () => {
    const f = seasonalForecast(
      [
        [t0 - 300, 10],
        [t0 + 300, 1e9],
        [t0 - 200, Number.NaN],
      ],
      now,
      { horizonSeconds: 300, stepSeconds: 300 },
    );
    expect(f).toEqual([{ at: new Date((t0 + 300) * 1000).toISOString(), rps: 10 }]);
  });
});
