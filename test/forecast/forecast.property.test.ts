/**
 * Properties of the demand forecast: the seasonal forecaster (forecast/seasonal.ts), its skill replayed on the
 * fleet's own history (forecast/skill.ts), and what the decision reads of them (engine/forecast.ts: the peak
 * over a lead, the rule that drops a forecast no better than the last value).
 *
 * Each property is one the modules' comments state: readings in any order, only those up to now and finite
 * counting; a forecast point every step up to the horizon, never negative; the same time of day in the past
 * seasons, at today's level against theirs, and the recent level without a season; MASE, the forecaster's
 * mean absolute error over the last value's on the same points; the peak in (now, now + lead], the end point
 * interpolated. The oracles are independent of the modules: a periodic history's value at the same phase, the
 * forecaster called at every origin, the interpolated curve. `PROP_RUNS` sets the runs per property (300 by
 * default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forecastPeak, usableForecast } from '../../shared/engine/forecast.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import type { DecisionInput, ForecastPoint, ForecastSkill } from '../../shared/engine/types.ts';
import { type SeasonalOptions, seasonalForecast } from '../../shared/forecast/seasonal.ts';
import { forecastSkill, type SkillOptions } from '../../shared/forecast/skill.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
/** A time of day on every grid the properties use (a multiple of an hour), unix seconds. */
const T0 = Date.parse('2026-03-03T10:00:00Z') / 1000;

type Reading = [number, number];

/** Equal within `rel` of the larger magnitude (sums taken in another order, a ratio of equal means). */
const near = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
const seconds = (p: ForecastPoint) => Date.parse(p.at) / 1000;

// --- Arbitraries -------------------------------------------------------------------------------------------------

const rpsArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 1000 }),
  // Not below 1e-6: scaled by 1e-3 a subnormal reading would round to 0.
  fc.double({ min: 1e-6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
);

interface Setup {
  season: number;
  options: SeasonalOptions;
}

/** A season short enough for the history to hold a few, a step, a horizon of at most 30 steps, a level window. */
const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    season: fc.constantFrom(600, 1800, 3600, 7200, 86_400),
    step: fc.constantFrom(1, 7, 60, 90, 300, 900),
    steps: fc.integer({ min: 0, max: 30 }),
    extra: fc.nat(),
    level: fc.option(fc.integer({ min: 1, max: 7200 }), { nil: undefined }),
    ratio: fc.option(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 1, max: 5, noNaN: true })), {
      nil: undefined,
    }),
  })
  .map(({ season, step, steps, extra, level, ratio }) => {
    const options: SeasonalOptions = { seasonSeconds: season, stepSeconds: step, horizonSeconds: steps * step };
    options.horizonSeconds += extra % step;
    if (level !== undefined) options.levelWindowSeconds = level;
    if (ratio) {
      options.minLevelRatio = ratio[0];
      options.maxLevelRatio = ratio[1];
    }
    return { season, options };
  });

/**
 * Readings over the last few seasons, and a little after now: on the step's grid with gaps, or anywhere (any
 * order, sometimes at the same second).
 */
const historyArb = (s: Setup): fc.Arbitrary<Reading[]> => {
  const step = s.options.stepSeconds;
  const span = 4 * s.season + 7200;
  const grid = fc
    .tuple(fc.integer({ min: 0, max: Math.floor(span / step) }), fc.array(rpsArb, { maxLength: 80 }))
    .map(([back, values]) => values.map((v, i): Reading => [T0 - (back - i) * step, v]));
  const anywhere = fc.array(fc.tuple(fc.integer({ min: T0 - span, max: T0 + 3600 }), rpsArb), { maxLength: 60 });
  return fc.oneof(grid, anywhere, fc.array(fc.tuple(fc.constantFrom(T0 - step, T0), rpsArb), { maxLength: 4 }));
};

const caseArb = setupArb.chain((s) =>
  fc.record({ setup: fc.constant(s), history: historyArb(s), shuffle: fc.array(fc.nat(), { maxLength: 80 }) }),
);

/** `xs` reordered by the keys (a permutation, the same for the same keys). */
function permute<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs
    .map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)]! * 1000 + i }))
    .sort((a, b) => a.k - b.k)
    .map((e) => e.x);
}

const dateOf = (t: number) => new Date(t * 1000);

// --- The seasonal forecaster -------------------------------------------------------------------------------------

describe('seasonalForecast: properties', () => {
  it('gives finite, non-negative points at now + k steps up to the horizon, in order; none without readings', () => {
    fc.assert(
      fc.property(caseArb, ({ setup, history }) => {
        const f = seasonalForecast(history, dateOf(T0), setup.options);
        const { stepSeconds: step, horizonSeconds: horizon } = setup.options;
        let before = T0;
        for (const p of f) {
          expect(Number.isFinite(p.rps) && p.rps >= 0).toBe(true);
          const t = seconds(p);
          expect(t).toBeGreaterThan(before);
          expect(t).toBeLessThanOrEqual(T0 + horizon);
          expect((t - T0) % step).toBe(0);
          before = t;
        }
        if (!history.some(([t]) => t <= T0)) expect(f).toEqual([]);
      }),
      RUNS,
    );
  });

  it('reads its readings in any order, and ignores those after now and non-finite ones', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 100_000 }), rpsArb), { maxLength: 5 }),
        fc.array(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), { maxLength: 3 }),
        ({ setup, history, shuffle }, future, bad) => {
          const f = seasonalForecast(history, dateOf(T0), setup.options);
          const noisy: Reading[] = [
            ...permute(history, shuffle),
            ...future.map(([dt, v]): Reading => [T0 + dt, v]),
            ...bad.map((x, i): Reading => (i % 2 ? [T0 - 60, x] : [x, 5])),
          ];
          const g = seasonalForecast(permute(noisy, shuffle.slice(1)), dateOf(T0), setup.options);
          expect(g.map((p) => p.at)).toEqual(f.map((p) => p.at));
          for (const [i, p] of g.entries()) expect(near(p.rps, f[i]!.rps)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('is the same forecast, shifted, when the readings and now move by the same time', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: -400 * 86_400, max: 400 * 86_400 }), ({ setup, history }, shift) => {
        const f = seasonalForecast(history, dateOf(T0), setup.options);
        const moved = history.map(([t, v]): Reading => [t + shift, v]);
        const g = seasonalForecast(moved, dateOf(T0 + shift), setup.options);
        expect(g.map((p) => seconds(p) - shift)).toEqual(f.map(seconds));
        expect(g.map((p) => p.rps)).toEqual(f.map((p) => p.rps));
      }),
      RUNS,
    );
  });

  it('scales with the demand: readings times c > 0 forecast c times as much', () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ({ setup, history }, c) => {
        const f = seasonalForecast(history, dateOf(T0), setup.options);
        const g = seasonalForecast(
          history.map(([t, v]): Reading => [t, v * c]),
          dateOf(T0),
          setup.options,
        );
        expect(g.map((p) => p.at)).toEqual(f.map((p) => p.at));
        for (const [i, p] of g.entries()) expect(near(p.rps, f[i]!.rps * c)).toBe(true);
      }),
      RUNS,
    );
  });

  it('is deterministic and leaves the history as it was', () => {
    fc.assert(
      fc.property(caseArb, ({ setup, history }) => {
        const copy = history.map((r) => [...r]);
        const f = seasonalForecast(history, dateOf(T0), setup.options);
        expect(history).toEqual(copy);
        expect(seasonalForecast(history, dateOf(T0), setup.options)).toEqual(f);
      }),
      RUNS,
    );
  });

  it('without a season of history before its points, forecasts the recent level, flat (or nothing)', () => {
    fc.assert(
      fc.property(caseArb, ({ setup, history }) => {
        const { options } = setup;
        const past = history.filter(([t]) => t <= T0);
        if (past.length === 0) return;
        const first = Math.min(...past.map(([t]) => t));
        // No point's time a season back is within a step of the history.
        if (first <= T0 + options.horizonSeconds - setup.season + options.stepSeconds) return;
        const level = options.levelWindowSeconds ?? 1800;
        const recent = past.filter(([t]) => t >= T0 - level);
        const f = seasonalForecast(history, dateOf(T0), options);
        if (recent.length === 0) {
          expect(f).toEqual([]);
          return;
        }
        const mean = recent.reduce((a, [, v]) => a + v, 0) / recent.length;
        expect(f.length).toBe(Math.floor(options.horizonSeconds / options.stepSeconds));
        for (const p of f) expect(near(p.rps, mean)).toBe(true);
      }),
      RUNS,
    );
  });
});

// --- A periodic history ------------------------------------------------------------------------------------------

interface Periodic {
  step: number;
  season: number;
  pattern: number[];
  /** Grid readings back from the last grid time, and how far now is past it (seconds). */
  back: number;
  offset: number;
  level: number;
  horizon: number;
}

/** A demand that repeats every season exactly, read every step (the step divides the season), now anywhere. */
const periodicArb: fc.Arbitrary<Periodic> = fc
  .record({
    step: fc.constantFrom(60, 300),
    pattern: fc.array(rpsArb, { minLength: 2, maxLength: 48 }),
    seasons: fc.integer({ min: 0, max: 5 }),
    more: fc.nat(),
    offset: fc.nat(),
    level: fc.integer({ min: 1, max: 7200 }),
    steps: fc.integer({ min: 1, max: 30 }),
  })
  .map(({ step, pattern, seasons, more, offset, level, steps }) => ({
    step,
    season: pattern.length * step,
    pattern,
    back: seasons * pattern.length + (more % (2 * pattern.length)),
    offset: offset % step,
    level,
    horizon: steps * step,
  }));

/** The readings of a periodic demand and the times it reads them (grid times, the last at or before now). */
function periodicHistory(c: Periodic): { readings: Reading[]; value: (g: number) => number; first: number } {
  const m = c.pattern.length;
  const value = (g: number) => c.pattern[((((g - T0) / c.step) % m) + m) % m]!;
  const readings: Reading[] = [];
  for (let i = c.back; i >= 0; i--) readings.push([T0 - i * c.step, value(T0 - i * c.step)]);
  return { readings, value, first: T0 - c.back * c.step };
}

describe('seasonalForecast: a periodic demand', () => {
  it('is forecast as it repeats: the reading a season (or seasons) before each point, else the recent level', () => {
    fc.assert(
      fc.property(periodicArb, (c) => {
        const { readings, value, first } = periodicHistory(c);
        const now = T0 + c.offset;
        const options = { seasonSeconds: c.season, stepSeconds: c.step, horizonSeconds: c.horizon };
        const f = seasonalForecast(readings, dateOf(now), { ...options, levelWindowSeconds: c.level });
        /** Grid readings in [from, to). */
        const within = (from: number, to: number) => readings.filter(([t]) => t >= from && t < to);
        const recent = within(now - c.level, now + 1);
        // The seasons whose level window the history covers at least half of (seasonal.ts). The level is read
        // over the same stretch of the pattern today and in each of them only where each holds as many
        // readings as today's window: a season the history covers in part is compared on part of its window.
        const covered: number[] = [];
        for (let k = 1; now - k * c.season - c.level / 2 >= first; k++) covered.push(k);
        const sameWindows = covered.every(
          (k) => within(now - k * c.season - c.level, now - k * c.season + 1).length === recent.length,
        );
        if (!sameWindows) return;
        const recentMean = recent.reduce((a, [, v]) => a + v, 0) / recent.length;
        const ks = Array.from({ length: 100 }, (_, i) => i + 1);
        const expected: number[] = [];
        for (let dt = c.step; dt <= c.horizon; dt += c.step) {
          const t = now + dt;
          // The grid time in the step around t, a season before it is the same phase.
          const g = T0 + c.step * Math.ceil((t - c.step / 2 - T0) / c.step);
          const seasons = covered.length ? covered : ks.filter((k) => t - k * c.season >= first - c.step);
          const read = seasons.some((k) => g - k * c.season >= first && g - k * c.season <= T0);
          if (read) expected.push(value(g));
          else if (recent.length) expected.push(recentMean);
        }
        expect(f.length).toBe(expected.length);
        for (const [i, p] of f.entries()) expect(near(p.rps, expected[i]!, 1e-12)).toBe(true);
      }),
      RUNS,
    );
  });
});

// --- The forecaster's skill --------------------------------------------------------------------------------------

interface SkillCase {
  options: SkillOptions;
  history: Reading[];
}

/**
 * Readings over a few seasons (up to 6), on the step's grid with gaps, or jittered off it; `judged`: a window
 * and a history long enough for the dozen origins the skill rule asks for.
 */
const skillCaseOf = (judged: boolean): fc.Arbitrary<SkillCase> =>
  fc
    .record({
      step: fc.constantFrom(60, 300),
      seasonSteps: fc.integer({ min: 2, max: 24 }),
      horizonSteps: fc.integer({ min: 1, max: 4 }),
      window: judged
        ? fc.integer({ min: 14, max: 40 }).map((n) => n * 300)
        : fc.option(fc.integer({ min: 0, max: 3 * 3600 }), { nil: undefined }),
      level: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }),
      jittered: fc.boolean(),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        values: fc.array(fc.option(rpsArb, { freq: 8, nil: undefined }), {
          minLength: c.seasonSteps + (judged ? 20 : 0),
          maxLength: 6 * c.seasonSteps + (judged ? 48 : 8),
        }),
        jitter: fc.array(fc.integer({ min: -40, max: 40 }), { maxLength: 160 }),
      }),
    )
    .map(({ c, values, jitter }) => {
      const { step, seasonSteps, horizonSteps, window, level, jittered } = c;
      const options: SkillOptions = {
        seasonSeconds: step * seasonSteps,
        stepSeconds: step,
        horizonSeconds: step * horizonSteps,
      };
      if (window !== undefined) options.windowSeconds = window;
      if (level !== undefined) options.levelWindowSeconds = level;
      const history: Reading[] = [];
      values.forEach((v, i) => {
        const t = T0 - (values.length - 1 - i) * step + (jittered ? (jitter[i] ?? 0) : 0);
        if (v !== undefined) history.push([t, v]);
      });
      return { options, history };
    });
const skillCaseArb = skillCaseOf(false);

/**
 * The skill as skill.ts describes it, from the forecaster itself: every reading of the window with a season of
 * history before it and its horizon of readings after it is an origin; the forecaster is called there with the
 * readings up to it, and each point is compared with the reading within half a step of its time (the nearer,
 * the earlier of two as near), and the last value at the origin with the same reading.
 */
function skillOracle(history: Reading[], now: number, options: SkillOptions) {
  const season = options.seasonSeconds ?? 86_400;
  const window = options.windowSeconds ?? season;
  const step = options.stepSeconds;
  const pts = history.filter(([t, v]) => v >= 0 && t <= now).sort((a, b) => a[0] - b[0]);
  if (pts.length < 2) return undefined;
  const first = pts[0]![0];
  const last = pts[pts.length - 1]![0];
  let origins = 0;
  let err = 0;
  let errLast = 0;
  let n = 0;
  for (const [o, lastValue] of pts) {
    if (o < now - window || o - season < first || o + options.horizonSeconds > last + step / 2) continue;
    let counted = false;
    for (const p of seasonalForecast(pts, dateOf(o), options)) {
      const t = seconds(p);
      const near = pts
        .filter(([u]) => Math.abs(u - t) <= step / 2)
        .sort((a, b) => Math.abs(a[0] - t) - Math.abs(b[0] - t) || a[0] - b[0]);
      if (near.length === 0) continue;
      err += Math.abs(p.rps - near[0]![1]);
      errLast += Math.abs(lastValue - near[0]![1]);
      n++;
      counted = true;
    }
    if (counted) origins++;
  }
  return n === 0 ? undefined : { origins, points: n, err, errLast };
}

/** Timestamps all different (the oracle's nearest reading is then the one skill.ts picks). */
const distinct = (h: Reading[]) => new Set(h.map(([t]) => t)).size === h.length;

describe('forecastSkill: properties', () => {
  it('reports MASE as the forecaster’s mean absolute error over the last value’s, on counted points', () => {
    fc.assert(
      fc.property(skillCaseArb, ({ options, history }) => {
        const s = forecastSkill(history, dateOf(T0), options);
        if (!s) return;
        const perOrigin = Math.floor(options.horizonSeconds / options.stepSeconds);
        expect(s.origins).toBeGreaterThanOrEqual(1);
        expect(s.points).toBeGreaterThanOrEqual(s.origins);
        expect(s.points).toBeLessThanOrEqual(s.origins * perOrigin);
        expect(s.windowSeconds).toBe(options.windowSeconds ?? options.seasonSeconds);
        for (const x of [s.mae, s.maeLastValue]) expect(Number.isFinite(x) && x >= 0).toBe(true);
        if (s.maeLastValue > 0) expect(near(s.mase, s.mae / s.maeLastValue, 1e-12)).toBe(true);
        else expect(s.mase).toBe(s.mae > 0 ? Number.POSITIVE_INFINITY : 1);
        // Below 1 exactly when the forecaster's error is the smaller.
        expect(s.mase < 1).toBe(s.mae < s.maeLastValue);
      }),
      RUNS,
    );
  });

  it('replays the forecaster at every origin and compares each point with the reading at its time', () => {
    fc.assert(
      fc.property(skillCaseArb, ({ options, history }) => {
        if (!distinct(history)) return;
        const s = forecastSkill(history, dateOf(T0), options);
        const o = skillOracle(history, T0, options);
        expect(s === undefined).toBe(o === undefined);
        if (!s || !o) return;
        expect(s.origins).toBe(o.origins);
        expect(s.points).toBe(o.points);
        expect(near(s.mae, o.err / o.points)).toBe(true);
        expect(near(s.maeLastValue, o.errLast / o.points)).toBe(true);
      }),
      RUNS,
    );
  });

  it('reads its readings in any order, and ignores those after now, negative and non-finite ones', () => {
    fc.assert(
      fc.property(
        skillCaseArb,
        fc.array(fc.nat(), { maxLength: 120 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 100_000 }), rpsArb), { maxLength: 5 }),
        ({ options, history }, shuffle, future) => {
          if (!distinct(history)) return;
          const s = forecastSkill(history, dateOf(T0), options);
          const noisy: Reading[] = [
            ...history,
            ...future.map(([dt, v]): Reading => [T0 + dt, v]),
            [T0 - 30, Number.NaN],
            [T0 - 90, -5],
            [Number.NaN, 3],
          ];
          const g = forecastSkill(permute(noisy, shuffle), dateOf(T0), options);
          expect(g === undefined).toBe(s === undefined);
          if (!s || !g) return;
          expect({ ...g, mae: 0, maeLastValue: 0, mase: 0 }).toEqual({ ...s, mae: 0, maeLastValue: 0, mase: 0 });
          expect(near(g.mae, s.mae) && near(g.maeLastValue, s.maeLastValue)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('reads its readings in any order, two at the same time included', () => {
    // A counterexample the property found: two readings at one second, swapped, turned MASE 0.5 into infinity
    // (the forecast used, then dropped).
    fc.assert(
      fc.property(
        skillCaseArb,
        fc.array(fc.nat(), { maxLength: 120 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        ({ options, history }, shuffle, again) => {
          const twice = [
            ...history,
            ...again.flatMap((k): Reading[] => (history.length ? [[history[k % history.length]![0], k % 1000]] : [])),
          ];
          const s = forecastSkill(twice, dateOf(T0), options);
          const g = forecastSkill(permute(twice, shuffle), dateOf(T0), options);
          expect(g === undefined).toBe(s === undefined);
          if (!s || !g) return;
          expect([g.origins, g.points]).toEqual([s.origins, s.points]);
          expect(near(g.mae, s.mae) && near(g.maeLastValue, s.maeLastValue)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('is the same skill when the readings and now move by the same time', () => {
    fc.assert(
      fc.property(
        skillCaseArb,
        fc.integer({ min: -400 * 86_400, max: 400 * 86_400 }),
        ({ options, history }, shift) => {
          const s = forecastSkill(history, dateOf(T0), options);
          const moved = history.map(([t, v]): Reading => [t + shift, v]);
          expect(forecastSkill(moved, dateOf(T0 + shift), options)).toEqual(s);
        },
      ),
      RUNS,
    );
  });

  it('scales with the demand: errors times c, MASE unchanged', () => {
    fc.assert(
      fc.property(skillCaseArb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ({ options, history }, c) => {
        const s = forecastSkill(history, dateOf(T0), options);
        const g = forecastSkill(
          history.map(([t, v]): Reading => [t, v * c]),
          dateOf(T0),
          options,
        );
        expect(g === undefined).toBe(s === undefined);
        if (!s || !g) return;
        expect([g.origins, g.points]).toEqual([s.origins, s.points]);
        // To the rounding of the readings: an error of a few ulps of them scales by c only roughly.
        const top = Math.max(1, ...history.map(([, v]) => v));
        const within = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * top * Math.max(1, c);
        expect(within(g.mae, s.mae * c) && within(g.maeLastValue, s.maeLastValue * c)).toBe(true);
        if (s.mae > 1e-6 * top && s.maeLastValue > 1e-6 * top) expect(near(g.mase, s.mase, 1e-6)).toBe(true);
      }),
      RUNS,
    );
  });

  it('a demand that repeats its season is forecast without error where the seasons are read whole', () => {
    fc.assert(
      fc.property(periodicArb, fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }), (c, window) => {
        const { readings, first } = periodicHistory(c);
        const options: SkillOptions = {
          seasonSeconds: c.season,
          stepSeconds: c.step,
          // Within a season: a point further ahead falls a season back after its origin, unread yet.
          horizonSeconds: Math.min(c.horizon, c.season),
          levelWindowSeconds: c.level,
        };
        if (window !== undefined) options.windowSeconds = window;
        // At every origin, every season read for the level holds as many readings as today's window (see
        // the forecaster's periodic property).
        const count = (from: number, to: number) => readings.filter(([t]) => t >= from && t < to).length;
        const whole = readings.every(([o]) => {
          for (let k = 1; o - k * c.season - c.level / 2 >= first; k++)
            if (count(o - k * c.season - c.level, o - k * c.season + 1) !== count(o - c.level, o + 1)) return false;
          return true;
        });
        if (!whole) return;
        const s = forecastSkill(readings, dateOf(T0), options);
        if (!s) return;
        const top = Math.max(...c.pattern);
        expect(s.mae).toBeLessThanOrEqual(1e-12 * Math.max(1, top));
      }),
      RUNS,
    );
  });

  it('is deterministic and leaves the history as it was', () => {
    fc.assert(
      fc.property(skillCaseArb, ({ options, history }) => {
        const copy = history.map((r) => [...r]);
        const s = forecastSkill(history, dateOf(T0), options);
        expect(history).toEqual(copy);
        expect(forecastSkill(history, dateOf(T0), options)).toEqual(s);
      }),
      RUNS,
    );
  });
});

// --- The peak over a lead ----------------------------------------------------------------------------------------

const NOW = T0 * 1000;
const pointAt = (dtSeconds: number, rps: number): ForecastPoint => ({
  at: new Date(NOW + dtSeconds * 1000).toISOString(),
  rps,
});

/** Forecast points as the forecaster gives them: after now, on a step, some missing; or anywhere after now. */
const aheadArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(60, 300, 7), fc.array(fc.option(rpsArb, { freq: 5, nil: undefined }), { maxLength: 30 }))
    .map(([step, values]) => values.flatMap((v, i) => (v === undefined ? [] : [pointAt((i + 1) * step, v)]))),
  fc.array(
    fc.tuple(fc.integer({ min: 1, max: 7200 }), rpsArb).map(([dt, v]) => pointAt(dt, v)),
    { maxLength: 20 },
  ),
);

/** The forecast's curve: the points joined by straight lines (the later of two at the same time), undefined outside. */
function curve(points: readonly ForecastPoint[]): (t: number) => number | undefined {
  const ps = points.map((p) => ({ t: Date.parse(p.at), v: p.rps })).sort((a, b) => a.t - b.t);
  return (t) => {
    for (let i = 0; i + 1 < ps.length; i++) {
      const a = ps[i]!;
      const b = ps[i + 1]!;
      if (a.t <= t && t < b.t) return a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
    }
    const last = ps[ps.length - 1];
    return last && last.t === t ? last.v : undefined;
  };
}

const leadArb = fc.integer({ min: 1, max: 9000 });

describe('forecastPeak: properties', () => {
  it('is the highest point in (now, now + lead] or the curve at its end, and undefined when neither is', () => {
    fc.assert(
      fc.property(aheadArb, leadArb, (points, lead) => {
        const end = NOW + lead * 1000;
        const peak = forecastPeak(points, NOW, lead);
        const inside = points.filter((p) => Date.parse(p.at) > NOW && Date.parse(p.at) <= end).map((p) => p.rps);
        const atEnd = curve(points)(end);
        const candidates = atEnd === undefined ? inside : [...inside, atEnd];
        if (candidates.length === 0) expect(peak).toBeUndefined();
        else expect(near(peak!, Math.max(...candidates))).toBe(true);
      }),
      RUNS,
    );
  });

  it('never lowers over a longer lead', () => {
    fc.assert(
      fc.property(aheadArb, leadArb, leadArb, (points, a, b) => {
        const short = forecastPeak(points, NOW, Math.min(a, b));
        const long = forecastPeak(points, NOW, Math.max(a, b));
        if (short !== undefined) expect(long).toBeGreaterThanOrEqual(short - 1e-9 * Math.max(1, short));
      }),
      RUNS,
    );
  });

  it('never lowers over a longer lead, whatever the points (some at or before now)', () => {
    // A counterexample the property found: points 1 at now and 0 two seconds later gave 0.5 over one second
    // and 0 over two (the line just after now was not counted).
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: -600, max: 600 }), rpsArb).map(([dt, v]) => pointAt(dt, v)),
          { maxLength: 20 },
        ),
        leadArb,
        leadArb,
        (points, a, b) => {
          const short = forecastPeak(points, NOW, Math.min(a, b));
          const long = forecastPeak(points, NOW, Math.max(a, b));
          if (short !== undefined) expect(long).toBeGreaterThanOrEqual(short - 1e-9 * Math.max(1, short));
        },
      ),
      RUNS,
    );
  });

  it('reads its points in any order; scales with them; moves with now', () => {
    fc.assert(
      fc.property(
        aheadArb,
        leadArb,
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: -1e6, max: 1e6 }),
        (points, lead, shuffle, c, shift) => {
          const peak = forecastPeak(points, NOW, lead);
          const same = (x: number | undefined, y: number | undefined) =>
            x === undefined ? y === undefined : y !== undefined && near(x, y);
          if (new Set(points.map((p) => p.at)).size === points.length)
            expect(forecastPeak(permute(points, shuffle), NOW, lead)).toBe(peak);
          const scaled = forecastPeak(
            points.map((p) => ({ ...p, rps: p.rps * c })),
            NOW,
            lead,
          );
          expect(same(scaled, peak === undefined ? undefined : peak * c)).toBe(true);
          const moved = points.map((p) => ({ ...p, at: new Date(Date.parse(p.at) + shift * 1000).toISOString() }));
          expect(forecastPeak(moved, NOW + shift * 1000, lead)).toBe(peak);
        },
      ),
      RUNS,
    );
  });

  it('of the forecaster’s own forecast: finite, non-negative, never lower over a longer lead', () => {
    fc.assert(
      fc.property(caseArb, leadArb, leadArb, ({ setup, history }, a, b) => {
        const f = seasonalForecast(history, dateOf(T0), setup.options);
        const short = forecastPeak(f, NOW, Math.min(a, b));
        const long = forecastPeak(f, NOW, Math.max(a, b));
        for (const x of [short, long]) if (x !== undefined) expect(Number.isFinite(x) && x >= 0).toBe(true);
        if (short !== undefined) expect(long).toBeGreaterThanOrEqual(short - 1e-9 * Math.max(1, short));
      }),
      RUNS,
    );
  });
});

// --- The skill rule ----------------------------------------------------------------------------------------------

/** The input's forecast and skill; the rule reads nothing else of it. */
const ruleInput = (forecast: ForecastPoint[] | undefined, skill: ForecastSkill | undefined) =>
  ({
    ...(forecast ? { forecast } : {}),
    ...(skill ? { forecastSkill: skill } : {}),
  }) as DecisionInput;

describe('usableForecast: the skill rule', () => {
  it('drops a forecast whose replayed error is no smaller than the last value’s, on enough origins', () => {
    fc.assert(
      fc.property(fc.oneof(skillCaseArb, skillCaseOf(true)), fc.boolean(), ({ options, history }, forecastGiven) => {
        const skill = forecastSkill(history, dateOf(T0), options);
        const forecast = forecastGiven ? seasonalForecast(history, dateOf(T0), options) : undefined;
        const reasons = new Reasons();
        const used = usableForecast(ruleInput(forecast, skill), reasons);
        const judged = !!forecast && forecast.length > 0 && !!skill && skill.origins >= 12;
        if (!judged) {
          expect(used).toBe(forecast);
          expect(reasons.list).toEqual([]);
          return;
        }
        const dropped = skill.mae >= skill.maeLastValue;
        expect(used).toBe(dropped ? undefined : forecast);
        expect(reasons.list.map((r) => r.code)).toEqual([dropped ? 'forecast.unskilled' : 'forecast.skill']);
      }),
      RUNS,
    );
  });
});
