import { describe, expect, it } from 'vitest';
import { forecastSkill } from '../../shared/forecast/skill.ts';

const DAY = 86_400;
const STEP = 300;
const now = new Date('2026-03-05T12:00:00Z');
const t0 = now.getTime() / 1000;
const options = { horizonSeconds: 900, stepSeconds: STEP };

/** Readings every 5 minutes over the last `hours`, by a function of the time. */
function readings(hours: number, rps: (t: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = t0 - hours * 3600; t <= t0; t += STEP) out.push([t, rps(t)]);
  return out;
}

/** A seeded random walk: the last value is the best forecast of it there is. */
function randomWalk(seed: number): (t: number) => number {
  let s = seed;
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const values = new Map<number, number>();
  let v = 500;
  for (let t = t0 - 72 * 3600; t <= t0; t += STEP) {
    v = Math.max(10, v + (rand() - 0.5) * 80);
    values.set(t, v);
  }
  return (t) => values.get(t) ?? 0;
}

describe('forecastSkill', () => {
  it('a demand that repeats its day: the seasonal forecaster beats the last value (MASE < 1)', () => {
    const daily = (t: number) => 300 + 250 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    const skill = forecastSkill(readings(48, daily), now, options)!;
    // A day of origins (every 5 minutes), each with its three points 5, 10 and 15 minutes ahead.
    expect(skill.origins).toBeGreaterThan(250);
    expect(skill.points).toBe(skill.origins * 3);
    expect(skill.windowSeconds).toBe(DAY);
    expect(skill.mase).toBeLessThan(0.2);
    expect(skill.mae).toBeLessThan(skill.maeLastValue);
  });

  it('a random walk: yesterday says nothing of the next minutes, the last value does (MASE > 1)', () => {
    const skill = forecastSkill(readings(48, randomWalk(7)), now, options)!;
    expect(skill.mase).toBeGreaterThan(1);
    expect(skill.mase).toBeCloseTo(skill.mae / skill.maeLastValue, 12);
  });

  it('is undefined without a season of history before any origin, or without readings', () => {
    expect(
      forecastSkill(
        readings(20, () => 100),
        now,
        options,
      ),
    ).toBeUndefined();
    expect(forecastSkill([], now, options)).toBeUndefined();
  });

  it('replays only the window asked for, and ignores readings after now and invalid ones', () => {
    const daily = (t: number) => 300 + 250 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    const pts = readings(48, daily);
    const hour = forecastSkill(pts, now, { ...options, windowSeconds: 3600 })!;
    // Origins in the last hour whose 15 minutes ahead have readings: (3600 - 900) / 300 + 1, the ends included.
    expect(hour.origins).toBe(10);
    const noisy = [...pts, [t0 + 600, 1e9], [t0 - 100, Number.NaN], [t0 - 200, -5]] as Array<[number, number]>;
    expect(forecastSkill(noisy, now, { ...options, windowSeconds: 3600 })).toEqual(hour);
  });
});
