/**
 * SLO headroom: the peak-to-now ratios a demand history shows over a lead time, the multiplier a target
 * needs (with its prior), and what `decide` does with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import {
  chooseLevel,
  DemandHistory,
  type DemandSample,
  estimateHeadroom,
  HEADROOM_PRIOR_RATIO,
  headroom,
  LEVEL_NOW,
  type Level,
  levelLookbackSeconds,
  levelOf,
  levelWords,
  peakRatios,
  priorRatio,
  recentLevel,
} from '../../shared/engine/headroom.ts';
import { fleet, input, pool, T0, warmSpec } from './fixtures.ts';

const MIN = 60_000;
/** Samples a minute apart ending at T0, from per-minute demand values. */
const series = (values: readonly number[]): DemandSample[] =>
  values.map((rps, i) => ({ at: T0.getTime() - (values.length - 1 - i) * MIN, rps }));
/** Every basis and form of the level (recent peak over the demo's 300 s decision interval). */
const EVERY_LEVEL: readonly Level[] = [
  LEVEL_NOW,
  { basis: 'recent-peak', lookbackSeconds: 300 },
  { basis: 'now', lookbackSeconds: 0, form: 'offset' },
  { basis: 'recent-peak', lookbackSeconds: 300, form: 'offset' },
  // A season of half an hour, so that the property histories (up to 200 minutes) reach one back.
  { basis: 'seasonal', lookbackSeconds: 300, seasonSeconds: 1800 },
  { basis: 'seasonal', lookbackSeconds: 300, seasonSeconds: 1800, form: 'offset' },
];
/** As `decide` takes it: [unix seconds, rps]. */
const tuples = (values: readonly number[]) => series(values).map((s) => [s.at / 1000, s.rps] as const);

describe('peakRatios', () => {
  it.each([
    { name: 'flat demand: every ratio is 1', values: [10, 10, 10, 10, 10], lead: 120, expected: [1, 1, 1] },
    // From each minute, the peak of the next two: 10 -> max(20, 40) = 40 (x4), 20 -> 40 (x2), 40 -> 40 (x1).
    { name: 'rising demand', values: [10, 20, 40, 40, 40], lead: 120, expected: [4, 2, 1] },
    // Falling demand: the peak ahead is below now.
    { name: 'falling demand', values: [40, 20, 10], lead: 60, expected: [0.5, 0.5] },
    // A minute at zero has nothing to scale from: no ratio.
    { name: 'zero demand gives no ratio', values: [0, 10, 10], lead: 60, expected: [1] },
    // The last two minutes' windows are not covered by the history: left out.
    { name: 'uncovered windows are left out', values: [10, 10, 10], lead: 180, expected: [] },
  ])('$name', ({ values, lead, expected }) => {
    expect(peakRatios(series(values), lead).map((r) => r.ratio)).toEqual(expected);
  });

  it('keeps the demand at the start and the peak of each window', () => {
    expect(peakRatios(series([5, 10, 10]), 60).map((r) => [r.start, r.peak])).toEqual([
      [5, 10],
      [10, 10],
    ]);
  });

  it('reads samples in any order', () => {
    const s = series([10, 20, 40, 40, 40]);
    expect(peakRatios([...s].reverse(), 120)).toEqual(peakRatios(s, 120));
  });
});

describe('estimateHeadroom', () => {
  it('uses the prior alone without history', () => {
    // One pseudo-window at x2: it loses (2 - m) / 2 of its requests; within 0.001 needs m >= 2 x 0.999.
    const e = estimateHeadroom([], 900, 0.999);
    expect(e.multiplier).toBeCloseTo(HEADROOM_PRIOR_RATIO * 0.999, 3);
    expect(e.windows).toBe(0);
    expect(e.prior).toBe(true);
  });

  it('lets a long flat history outweigh the prior', () => {
    // Two days of flat demand: 2,865 windows at x1 against one at x2: (2 - m) / 2 / 2866 <= 0.001 for any m >= 1.
    const e = estimateHeadroom(series(new Array(2880).fill(100)), 900, 0.999);
    expect(e.multiplier).toBe(1);
    expect(e.windows).toBe(2880 - 15);
    expect(e.prior).toBe(false);
  });

  it('keeps the prior while a short history cannot speak for the target', () => {
    // An hour of flat demand: 45 windows at x1 (peak 100 each) and the prior's (100 -> 200): it loses
    // (2 - m) x 100 of 45 x 100 + 200 requests at stake; within 0.001 needs m >= 2 - 4.7 / 100 = 1.953.
    const e = estimateHeadroom(series(new Array(60).fill(100)), 900, 0.999);
    expect(e.multiplier).toBeCloseTo(2 - 0.047, 3);
    expect(e.prior).toBe(true);
  });

  it('holds enough for the bursts the history shows, more for a stricter target', () => {
    // A day at 100 rps with a one-minute burst to 300 every hour: each burst is within the lead window of
    // the 15 minutes before it, so ~25% of the windows peak at x3. A target that tolerates losing their
    // excess needs little; 99.9% needs nearly all of it.
    const values = Array.from({ length: 1440 }, (_, i) => (i % 60 === 59 ? 300 : 100));
    const loose = estimateHeadroom(series(values), 900, 0.5);
    const strict = estimateHeadroom(series(values), 900, 0.999);
    expect(loose.multiplier).toBeLessThan(1.5);
    expect(strict.multiplier).toBeGreaterThan(2.9);
    expect(strict.multiplier).toBeLessThanOrEqual(3);
  });

  it('headroom is the demand of now times the multiplier, for the lead it was asked for', () => {
    const h = headroom(50, [], 900, 0.999);
    expect(h.rps).toBeCloseTo(50 * h.multiplier, 9);
    expect(h.leadSeconds).toBe(900);
    expect(h.capped).toBe(false);
  });

  it('holds no more than the history has seen, unless the prior reaches higher', () => {
    // Idle minutes then bursts to 600: from an idle start no multiplier bounds the burst. At 200 rps now the
    // multiplier is large, but capacity above the highest demand seen (600) serves nothing: capped there.
    const values = Array.from({ length: 600 }, (_, i) => (i % 30 < 25 ? 1 : 600));
    const h = headroom(200, series(values), 900, 0.999);
    expect(h.multiplier).toBeGreaterThan(3);
    expect(h.rps).toBe(600);
    expect(h.capped).toBe(true);
    // At 400 rps the prior's reach (800) is above the history's peak: 400 x min(m, 2).
    expect(headroom(400, series(values), 900, 0.999).rps).toBe(800);
  });
});

describe('the level the headroom scales', () => {
  const RECENT: Level = { basis: 'recent-peak', lookbackSeconds: 300 };

  it.each([
    // From each minute, the peak of the next two over the highest of the last two minutes and now.
    {
      name: 'a burst then a lull: the lull scales from the burst',
      values: [10, 50, 5, 5, 50, 5],
      lead: 120,
      lookback: 120,
      expected: [5, 0.1, 1, 1],
    },
    {
      name: 'no lookback: the demand at the start',
      values: [10, 50, 5, 5, 50, 5],
      lead: 120,
      lookback: 0,
      expected: [5, 0.1, 10, 10],
    },
    {
      name: 'rising demand: the same as now',
      values: [10, 20, 40, 40, 40],
      lead: 120,
      lookback: 120,
      expected: [4, 2, 1],
    },
    // A lookback with no demand in it gives no window: nothing to scale from.
    { name: 'idle lookback gives no ratio', values: [0, 0, 0, 10, 10], lead: 60, lookback: 60, expected: [1] },
  ])('$name', ({ values, lead, lookback, expected }) => {
    expect(peakRatios(series(values), lead, lookback).map((r) => r.ratio)).toEqual(expected);
  });

  it('recentLevel is the highest demand of the lookback, now included', () => {
    const s = series([700, 200, 20]);
    expect(recentLevel(20, s, 0)).toBe(20);
    expect(recentLevel(20, s, 60)).toBe(200);
    expect(recentLevel(20, s, 300)).toBe(700);
    expect(recentLevel(900, s, 300)).toBe(900);
    expect(recentLevel(5, [], 300)).toBe(5);
  });

  it('looks back one decision interval, at most the lead', () => {
    expect(levelLookbackSeconds(900)).toBe(300);
    expect(levelLookbackSeconds(900, 60)).toBe(60);
    expect(levelLookbackSeconds(120)).toBe(120);
  });

  // Minute series, 10 h each.
  const shapes = {
    // Bursts every 6 minutes that fall back at once: from the lull, the next burst is 25x the demand now.
    bursty: Array.from({ length: 600 }, (_, i) => [500, 100, 20, 20, 20, 20][i % 6]),
    // An hourly ramp from 100 to 200 and a fall back: the recent peak holds the ramp's top after each fall.
    ramps: Array.from({ length: 600 }, (_, i) => 100 + 100 * ((i % 60) / 59)),
    flat: new Array(600).fill(100),
  };

  it.each([
    {
      name: 'no history: the recent peak (the only scale there is)',
      values: [] as number[],
      lead: 900,
      basis: 'recent-peak',
    },
    // The recent peak, or the demand now times 25 (or plus an amount): each holds the burst from the lull
    // (below); the demand now at 0.1% less on average.
    { name: 'bursts that fall back: scaled from the demand now', values: shapes.bursty, lead: 420, basis: 'now' },
    {
      name: 'ramps with falls: the demand now holds less at the target',
      values: shapes.ramps,
      lead: 900,
      basis: 'now',
    },
    { name: 'flat demand (a tie): the recent peak', values: shapes.flat, lead: 900, basis: 'recent-peak' },
  ])('$name', ({ values, lead, basis }) => {
    const c = chooseLevel(series(values), lead, 0.999);
    expect(c.basis).toBe(basis);
    expect(c.lookbackSeconds).toBe(basis === 'now' ? 0 : 300);
    if (values.length === 0) return expect(c.scores).toEqual([]);
    const [chosen, ...others] = c.scores;
    expect(chosen.basis).toBe(basis);
    expect(c.scores).toHaveLength(4);
    // The chosen one keeps the target (as its estimator sized it, the prior's window counted) at no more
    // capacity than any other that keeps it, or loses less.
    for (const other of others) {
      if (chosen.sizedLossShare <= 0.001 && other.sizedLossShare <= 0.001)
        expect(chosen.meanRps).toBeLessThanOrEqual(other.meanRps * 1.0001);
      else if (chosen.sizedLossShare > 0.001) expect(chosen.lossShare).toBeLessThanOrEqual(other.lossShare);
      else expect(chosen.sizedLossShare).toBeLessThanOrEqual(0.001);
    }
    // Whatever it picks, from the lull of the bursty series it holds the burst.
    if (values === shapes.bursty) expect(headroom(20, series(values), lead, 0.999, c).rps).toBeGreaterThan(495);
  });

  it.each([
    { name: 'a spike of x1.8 every 30 minutes', minutes: 600, spike: 1.8, every: 30, ripple: 0.1 },
    { name: 'the same over a day', minutes: 1440, spike: 1.8, every: 30, ripple: 0.1 },
    { name: 'an hourly spike, a small ripple', minutes: 600, spike: 1.8, every: 60, ripple: 0.05 },
    { name: 'a spike of x2.5 every 20 minutes', minutes: 600, spike: 2.5, every: 20, ripple: 0.1 },
  ])('never from idle, every candidate keeps the target as sized: the least capacity wins ($name)', (c) => {
    // A level swinging between 100 and 300 rps, a minute-to-minute ripple and spikes: no window starts from idle,
    // so each candidate's estimator sized it to the target (its loss with the prior's window within 0.1%). Judged
    // over the history alone, the prior's window no longer in the total, the multiples lost 0.1001-0.1002% here,
    // a rounding's worth, and the choice fell to whichever candidate's rounding stayed under the target.
    const values = Array.from(
      { length: c.minutes },
      (_, i) =>
        (200 + 100 * Math.sin((i / c.minutes) * 2 * Math.PI)) *
        (1 + c.ripple * Math.sin(i * 1.7)) *
        (i % c.every === 0 ? c.spike : 1),
    );
    const choice = chooseLevel(series(values), 900, 0.999);
    for (const x of choice.scores) expect(x.sizedLossShare).toBeLessThanOrEqual(0.001 + 1e-9);
    const least = Math.min(...choice.scores.map((x) => x.meanRps));
    expect(choice.scores[0]!.meanRps).toBe(least);
  });

  describe('the form: a multiple of the level, or the level plus an amount', () => {
    // 10 h a minute apart: a day-like swing of the level between 40 and 340 rps, and bursts of +300 rps for a
    // minute every 20 minutes, whatever the level (a batch client's requests on top of the traffic).
    const additive = Array.from(
      { length: 600 },
      (_, i) => 190 + 150 * Math.sin((i / 600) * 2 * Math.PI) + (i % 20 === 7 ? 300 : 0),
    );
    // Proportional growth: ramps that double the level within the lead, at every level.
    const proportional = Array.from(
      { length: 600 },
      (_, i) => (50 + (250 * Math.floor(i / 60)) / 9) * (1 + (i % 15) / 15),
    );

    it('bursts of one size at every level: an amount above the level holds less than a multiple', () => {
      const s = series(additive);
      const c = chooseLevel(s, 420, 0.999);
      expect(c.form).toBe('offset');
      const ratio = c.scores.find((x) => x.form === 'ratio' && x.basis === c.basis)!;
      expect(c.scores[0]!.meanRps).toBeLessThan(ratio.meanRps);
      const e = estimateHeadroom(s, 420, 0.999, undefined, c);
      expect(e.multiplier).toBe(1);
      expect(e.offsetRps).toBeGreaterThan(250);
      expect(e.offsetRps).toBeLessThan(320);
    });

    it('growth in proportion to the level: a multiple', () => {
      const c = chooseLevel(series(proportional), 900, 0.999);
      expect(c.form ?? 'ratio').toBe('ratio');
    });

    it('holds the level plus the amount, within the history peak, never below the demand now', () => {
      const s = series(additive);
      const level: Level = { basis: 'now', lookbackSeconds: 0, form: 'offset' };
      const e = estimateHeadroom(s, 420, 0.999, undefined, level);
      expect(headroom(100, s, 420, 0.999, level).rps).toBeCloseTo(100 + e.offsetRps, 6);
      // Capped at the larger of the history's peak and the prior's reach from the demand now.
      const cap = Math.max(600 * priorRatio(420), e.historyPeak);
      expect(headroom(600, s, 420, 0.999, level).rps).toBeCloseTo(Math.min(600 + e.offsetRps, cap), 6);
      // From idle: the amount alone (a burst from zero is what an amount can hold and a multiple cannot).
      expect(headroom(0, s, 420, 0.999, level).rps).toBeCloseTo(e.offsetRps, 6);
    });

    it('a stricter target never holds less', () => {
      const s = series(additive);
      const level: Level = { basis: 'now', lookbackSeconds: 0, form: 'offset' };
      const at = (a: number) => estimateHeadroom(s, 420, a, undefined, level).offsetRps;
      expect(at(0.99)).toBeLessThanOrEqual(at(0.995));
      expect(at(0.995)).toBeLessThanOrEqual(at(0.999));
      expect(at(0.9)).toBeLessThan(at(0.999));
    });
  });

  it('from a lull after a burst, the recent peak holds the burst; the demand now would not', () => {
    // The 2023 code trace's shape: idle, 709 rps, then a lull at 56.
    const s = series([0, 0, 709, 222, 202, 20, 56]);
    const now = headroom(56, s, 420, 0.999, LEVEL_NOW);
    const recent = headroom(56, s, 420, 0.999, RECENT);
    expect(recent.levelRps).toBe(709);
    expect(recent.rps).toBe(709); // capped at the history's peak
    expect(now.rps).toBeLessThan(100);
  });
});

describe('the seasonal level: what the same lead reached a season earlier', () => {
  const SEASONAL = (seasonSeconds: number, lookbackSeconds = 0): Level => ({
    basis: 'seasonal',
    lookbackSeconds,
    seasonSeconds,
  });
  /** Days a minute apart, ending at T0: 20 rps at night, a ramp within 3 minutes at 09:00 to 600 until 17:00. */
  const office = (days: number) =>
    series(
      Array.from({ length: days * 1440 }, (_, i) => {
        const m = i % 1440;
        const wobble = 1 + 0.05 * Math.sin(i * 0.7);
        if (m >= 540 && m < 1020) return 600 * wobble;
        if (m >= 537 && m < 540) return (200 + 130 * (m - 537)) * wobble;
        return 20 * wobble;
      }),
    );

  it('windows: only those a season of history stands behind, the level raised to what the season before reached', () => {
    // A 10-minute season, the ramp at its 9th minute; a 2-minute lead, no lookback.
    const day = [1, 1, 1, 1, 1, 1, 1, 1, 10, 10];
    const s = new DemandHistory(series([...day, ...day, ...day]));
    const plain = s.windows(120, 0);
    const seasonal = s.windows(120, 0, 600);
    // The first season has none behind it: the seasonal windows are the last ones of the plain list.
    expect(seasonal.length).toBe(plain.length - 10);
    expect(seasonal.map((w) => w.peak)).toEqual(plain.slice(10).map((w) => w.peak));
    // Two minutes before the ramp, the season before reached 10 over the coming lead: the level is 10, not 1.
    expect(seasonal.map((w) => w.level)).toEqual([1, 1, 1, 1, 1, 1, 10, 10, 10, 10, 1, 1, 1, 1, 1, 1, 10, 10]);
    expect(plain.slice(10).map((w) => w.level)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('the level of now is at least the recent one, and what the coming lead reached a season earlier', () => {
    const day = [1, 1, 1, 1, 1, 1, 1, 10, 10, 10];
    // The history ends at the 7th minute of its third season: the next 2 minutes reached 10 a season ago.
    const s = series([...day, ...day, ...day.slice(0, 7)]);
    expect(levelOf(1, s, SEASONAL(600), 120)).toBe(10);
    expect(levelOf(1, s, SEASONAL(600), 60)).toBe(10);
    expect(levelOf(30, s, SEASONAL(600), 120)).toBe(30);
    expect(levelOf(1, s, { basis: 'recent-peak', lookbackSeconds: 120 }, 120)).toBe(1);
    // A history shorter than a season gives nothing to look back at: the recent level alone.
    expect(levelOf(1, series(day.slice(0, 7)), SEASONAL(600), 120)).toBe(1);
  });

  it('a ramp at the same time every day: the seasonal level is chosen, the night holds little and 09:00 is met ahead', () => {
    const s = office(3);
    const level = chooseLevel(s, 900, 0.999);
    expect(level.basis).toBe('seasonal');
    // The night (the history ending 6 h before its last minute, 3 h before the ramp): a little above 20 rps, not
    // the day's 600 held all night as a multiple of the night's demand.
    const night = s.filter((p) => p.at <= T0.getTime() - 6 * 60 * MIN);
    expect(headroom(20, night, 900, 0.999, level).rps).toBeLessThan(200);
    expect(headroom(20, night, 900, 0.999, LEVEL_NOW).rps).toBeGreaterThan(500);
    // 15 h 10 min before its last minute the history is 8 minutes short of the ramp (the day's minute 529, the
    // ramp at 537-539): the ramp of the day before is within the lead, so the level is already the day's demand.
    const before = s.filter((p) => p.at <= T0.getTime() - (15 * 60 + 10) * MIN);
    expect(headroom(20, before, 900, 0.999, level).rps).toBeGreaterThanOrEqual(600);
  });

  it('looks back the season the fleet configures: a ramp every other day is met from two days earlier', () => {
    // Six days, the office day on every other one and the night's demand all through the others.
    const s = series(
      Array.from({ length: 6 * 1440 }, (_, i) => {
        const day = Math.floor(i / 1440);
        const m = i % 1440;
        const wobble = 1 + 0.05 * Math.sin(i * 0.7);
        if (day % 2 === 1) return 20 * wobble;
        if (m >= 540 && m < 1020) return 600 * wobble;
        if (m >= 537 && m < 540) return (200 + 130 * (m - 537)) * wobble;
        return 20 * wobble;
      }),
    );
    // A day's season predicts a ramp a day after each idle day and none after each office day: no skill.
    expect(chooseLevel(s, 900, 0.999).scores.map((x) => x.basis)).not.toContain('seasonal');
    // Two days: the same lead two days earlier.
    const twoDays = chooseLevel(s, 900, 0.999, undefined, 2 * 86_400);
    expect(twoDays).toMatchObject({ basis: 'seasonal', seasonSeconds: 2 * 86_400 });
    expect(levelWords(twoDays, 600)).toMatch(/2 day\(s\) earlier/);
  });

  it('a week of office days and quiet weekends: a day is no season there, a week is', () => {
    // Two weeks a minute apart: weekdays 600 rps from 09:00 to 17:00 and 60 through the night, weekends 100.
    const s = series(
      Array.from({ length: 14 * 1440 }, (_, i) => {
        const m = i % 1440;
        const weekend = Math.floor(i / 1440) % 7 >= 5;
        return (weekend ? 100 : m >= 540 && m < 1020 ? 600 : 60) * (1 + 0.1 * Math.sin(i * 0.37));
      }),
    );
    // What a day earlier reached misleads on every Saturday and Monday: no skill over the recent level.
    expect(chooseLevel(s, 900, 0.999).scores.map((x) => x.basis)).not.toContain('seasonal');
    expect(chooseLevel(s, 900, 0.999, undefined, 7 * 86_400)).toMatchObject({
      basis: 'seasonal',
      seasonSeconds: 7 * 86_400,
    });
  });

  it('is not a candidate before the history reaches a season back, nor chosen where days do not repeat', () => {
    const short = office(1);
    const choice = chooseLevel(short, 900, 0.999);
    expect(choice.basis).not.toBe('seasonal');
    expect(choice.scores.map((x) => x.basis)).not.toContain('seasonal');
    // Three days of bursts at times that do not repeat from one day to the next (a fixed pseudo-random walk).
    let x = 7;
    const random = series(
      Array.from({ length: 3 * 1440 }, () => {
        x = (x * 48271) % 2147483647;
        return x % 97 === 0 ? 400 : 100;
      }),
    );
    // What the same lead reached the day before predicts its peak worse than the recent level: no candidate.
    const r = chooseLevel(random, 900, 0.999);
    expect(r.basis).not.toBe('seasonal');
    expect(r.scores.map((x) => x.basis)).not.toContain('seasonal');
  });
});

describe('DemandHistory: the history read once per decision', () => {
  const history = fc.array(
    fc.record({
      at: fc.oneof(
        fc.integer({ min: 0, max: 7200 }).map((x) => T0.getTime() - x * 1000),
        fc.constant(Number.NaN),
      ),
      rps: fc.oneof(fc.double({ min: -10, max: 1000, noNaN: true }), fc.constant(Number.NaN)),
    }),
    { maxLength: 120 },
  );

  it('gives every estimate the raw samples give, whatever the samples (unsorted, invalid, repeated)', () => {
    fc.assert(
      fc.property(
        history,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 60, max: 1800 }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (s, target, lead, demand) => {
          const h = new DemandHistory(s);
          for (const level of EVERY_LEVEL) {
            // Asked twice: the second answer comes from what the history kept, and is the same.
            for (let k = 0; k < 2; k++) {
              expect(estimateHeadroom(h, lead, target, priorRatio(lead), level)).toEqual(
                estimateHeadroom(s, lead, target, priorRatio(lead), level),
              );
              expect(headroom(demand, h, lead, target, level)).toEqual(headroom(demand, s, lead, target, level));
            }
          }
          expect(chooseLevel(h, lead, target)).toEqual(chooseLevel(s, lead, target));
          expect(peakRatios(h, lead, 300)).toEqual(peakRatios(s, lead, 300));
          expect(recentLevel(demand, h, 300)).toBe(recentLevel(demand, s, 300));
        },
      ),
    );
  });

  it('keeps the lead windows it computed: the same array for the same lead and lookback', () => {
    const h = new DemandHistory(series([10, 20, 40, 40, 40]));
    expect(h.windows(120, 0)).toBe(h.windows(120, 0));
    expect(h.windows(120, 60)).not.toBe(h.windows(120, 0));
    expect(h.windows(120, 0).map((w) => [w.level, w.peak])).toEqual([
      [10, 40],
      [20, 40],
      [40, 40],
    ]);
    expect(DemandHistory.of(h)).toBe(h);
  });
});

describe('headroom: properties', () => {
  const history = fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 0, maxLength: 200 });

  it('never falls as the availability target rises', () => {
    fc.assert(
      fc.property(
        history,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 60, max: 1800 }),
        (values, a, b, lead) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const s = series(values);
          expect(estimateHeadroom(s, lead, hi).multiplier).toBeGreaterThanOrEqual(
            estimateHeadroom(s, lead, lo).multiplier - 1e-9,
          );
          // For either level, and for the level the fleet's history picks: the capacity held never falls.
          const demand = values.at(-1) ?? 0;
          for (const level of [...EVERY_LEVEL, chooseLevel(s, lead, lo)]) {
            expect(headroom(demand, s, lead, hi, level).rps).toBeGreaterThanOrEqual(
              headroom(demand, s, lead, lo, level).rps - 1e-9,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never falls as the fleet's target rises in a decision: one level for every target", () => {
    // Bursty minutes (spikes, idle minutes, a slow wave), as the choice of level meets them; the level is chosen
    // at LEVEL_CHOICE_AVAILABILITY whatever the fleet's target, so the capacity the decision holds for the SLO
    // (one on-demand pool, with and without warm nodes; no metric, no forecast) never falls as the target rises.
    // Chosen at the fleet's target, 2.9% of such pairs held less at the higher one, by up to 30%.
    const bursty = fc
      .record({
        base: fc.double({ min: 5, max: 500, noNaN: true }),
        length: fc.integer({ min: 20, max: 240 }),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
      })
      .map(({ base, length, seed }) => {
        let x = seed;
        const rnd = () => {
          x = (x * 1103515245 + 12345) % 2147483648;
          return x / 2147483648;
        };
        return Array.from({ length }, (_, k) => {
          const spike = rnd() < 0.1 ? 1 + 2 * rnd() : 1;
          const idle = rnd() < 0.05 ? 0 : 1;
          return base * (1 + 0.3 * Math.sin(k / 30)) * spike * (0.8 + 0.4 * rnd()) * idle;
        });
      });
    const target = fc.constantFrom(0.9, 0.95, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999);
    fc.assert(
      fc.property(bursty, target, target, fc.boolean(), (values, a, b, warm) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const held = (availability: number) => {
          const od = pool({
            id: 'od',
            desired: 10,
            rpsPerNode: 10,
            timeToReadySeconds: 600,
            ...(warm
              ? {
                  warm: warmSpec(),
                  warmObserved: { ready: 5, warming: 0, target: 5 },
                }
              : {}),
          });
          const f = fleet([od], { metrics: [] });
          f.slo.availability = availability;
          const plan = decide(input(f, { demand: { rps: values.at(-1)! }, demandHistory: tuples(values) }), T0);
          return plan.requiredRps ?? 0;
        };
        expect(held(hi)).toBeGreaterThanOrEqual(held(lo) - 1e-9);
      }),
      { numRuns: Number(process.env.PROP_RUNS ?? 150) },
    );
  });

  it('stays a number at the edges of floating point (a counterexample the property once found)', () => {
    // A subnormal level under a tiny peak: a ratio near the largest double, where bisecting as (lo + hi) / 2
    // overflowed to Infinity and the capacity held came out NaN (0 x Infinity).
    const s = series([5e-324, 4.440892098500634e-16, 0, 0, 0, 0]);
    const lo = estimateHeadroom(s, 271, 0).multiplier;
    const hi = estimateHeadroom(s, 271, 0.9999999999999966).multiplier;
    expect(Number.isFinite(hi)).toBe(true);
    expect(hi).toBeGreaterThanOrEqual(lo);
    for (const level of EVERY_LEVEL) {
      const held = headroom(0, s, 271, 0.9999999999999966, level).rps;
      expect(Number.isFinite(held)).toBe(true);
      expect(held).toBeGreaterThanOrEqual(headroom(0, s, 271, 0, level).rps - 1e-9);
    }
    // A level whose ratio is not finite at all is a window from idle: no multiplier bounds it.
    expect(peakRatios(series([5e-324, 1000, 0, 0, 0, 0]), 271)).toEqual([]);
  });

  it('never plans capacity below the demand of now', () => {
    fc.assert(
      fc.property(
        history,
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        (values, demand, availability, desired) => {
          const f = fleet([pool({ id: 'od', desired, timeToReadySeconds: 600 })], { metrics: [] });
          f.slo.availability = availability;
          const plan = decide(input(f, { demand: { rps: demand }, demandHistory: tuples(values) }), T0);
          expect(plan.requiredRps ?? 0).toBeGreaterThanOrEqual(demand - 1e-9);
          // No limit in the way (permissive policy, room for 100 nodes): the plan's capacity serves it.
          if (demand <= 1000) expect(plan.targetNodes * 10).toBeGreaterThanOrEqual(demand - 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('decide with the demand history', () => {
  const f = (availability: number) => {
    const x = fleet([pool({ id: 'od', desired: 10, timeToReadySeconds: 600 })], { metrics: [] });
    x.slo.availability = availability;
    return x;
  };

  it('without history holds the prior and says so', () => {
    // 100 rps x 1.998 (the prior at 99.9%) = 199.8 rps: 20 nodes; the demand alone would give 10 (the
    // headroom replaces the buffer).
    const plan = decide(input(f(0.999), { demand: { rps: 100 }, demandHistory: [] }), T0);
    expect(plan.targetNodes).toBe(20);
    const r = plan.reasons.find((x) => x.code === 'demand.headroom');
    expect(r?.message).toContain('SLO 99.90%');
    expect(r?.message).toContain('next 900s');
    expect(r?.message).toContain('+10 node(s) above the demand');
  });

  it('with a flat history the demand itself decides: the headroom replaces the buffer', () => {
    const plan = decide(
      input(f(0.999), { demand: { rps: 100 }, demandHistory: tuples(new Array(2880).fill(100)) }),
      T0,
    );
    expect(plan.targetNodes).toBe(10);
    expect(plan.reasons.find((x) => x.code === 'demand.headroom')?.message).toContain('within the demand');
  });

  it('without the history input the buffer alone sets the headroom (no SLO sizing)', () => {
    const plan = decide(input(f(0.999), { demand: { rps: 100 } }), T0);
    expect(plan.targetNodes).toBe(12);
    expect(plan.reasons.some((x) => x.code === 'demand.headroom')).toBe(false);
  });

  it('after a burst and a lull, holds for the burst and says which level it scales', () => {
    // Idle, a burst to 709 rps, then a lull at 56: without a lead window of history the recent peak is the level.
    const plan = decide(
      input(f(0.999), { demand: { rps: 56 }, demandHistory: tuples([0, 0, 709, 222, 202, 20, 56]) }),
      T0,
    );
    expect(plan.requiredRps).toBe(709);
    const level = plan.reasons.find((x) => x.code === 'demand.level');
    expect(level?.message).toContain('the highest demand of the last 300s (709 rps): no lead window');
    // What it did: the headroom on the demand now (56 x 2 x 0.999 = 112 rps: 12 nodes) against 709 rps (71).
    expect([level?.before, level?.after]).toEqual([12, 71]);
    const h = plan.reasons.find((x) => x.code === 'demand.headroom');
    expect(h?.message).toContain('the highest demand of the last 300s (709 rps)');
    expect(h?.after).toBeGreaterThan(h?.before ?? 0);
  });

  it('says of each level candidate what it loses, with the prior as sized, and whether it keeps the target', () => {
    // The spikes of the choice's test above, 10 h: every candidate keeps the target as sized; the multiple of the
    // demand now loses a rounding's worth more over the history alone, and is chosen (the least capacity).
    const values = Array.from(
      { length: 600 },
      (_, i) =>
        (200 + 100 * Math.sin((i / 600) * 2 * Math.PI)) * (1 + 0.1 * Math.sin(i * 1.7)) * (i % 30 === 0 ? 1.8 : 1),
    );
    const plan = decide(input(f(0.999), { demand: { rps: values.at(-1)! }, demandHistory: tuples(values) }), T0);
    const message = plan.reasons.find((x) => x.code === 'demand.level')?.message ?? '';
    expect(message).toMatch(/^the headroom scales the demand now: replayed over \d+ lead window/);
    expect(message).toMatch(/now x2\.\d+ loses 0\.100% \(0\.100% with the prior: keeps the target\) holding/);
    expect(message.match(/keeps the target/g)).toHaveLength(4);
    expect(message).not.toContain('misses the target');
    // Bursts of 500 rps from eight idle minutes every half hour: a multiple of zero holds none of them.
    const fromIdle = Array.from({ length: 180 }, (_, i) => (i % 30 < 8 ? 0 : i % 30 === 8 ? 500 : 40));
    const idle = decide(input(f(0.999), { demand: { rps: 40 }, demandHistory: tuples(fromIdle) }), T0);
    const said = idle.reasons.find((x) => x.code === 'demand.level')?.message ?? '';
    expect(said).toMatch(/^the headroom scales the highest demand of the last 300s \(\d+ rps\) plus an amount/);
    expect(said).toMatch(/recent-peak x12\.\d+ loses 25\.\d+% \(25\.\d+% with the prior: misses the target\)/);
    expect(said.match(/misses the target/g)).toHaveLength(2);
  });

  it('scale-in keeps what the bursts of the next lead time need', () => {
    // 40 nodes, demand fell to 100 rps; the history shows x3 one-minute bursts every hour. The buffered
    // demand alone would go to 12; the headroom keeps the capacity for a burst: 100 x m rps, 29-30 nodes.
    const values = Array.from({ length: 1440 }, (_, i) => (i % 60 === 59 ? 300 : 100));
    const x = fleet([pool({ id: 'od', desired: 40, timeToReadySeconds: 600 })], { metrics: [] });
    x.slo.availability = 0.999;
    const plan = decide(input(x, { demand: { rps: 100 }, demandHistory: tuples(values) }), T0);
    const m = estimateHeadroom(series(values), 900, 0.999).multiplier;
    expect(plan.targetNodes).toBe(Math.ceil((100 * m) / 10 - 1e-9));
    expect(plan.targetNodes).toBeGreaterThanOrEqual(29);
  });
});
