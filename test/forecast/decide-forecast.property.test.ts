/**
 * Properties of the forecast in `decide` over the engine's random fleets (test/engine/arbitraries.ts): a forecast
 * whose skill says it predicts no better than the last value is not used, so the plan is the one without it
 * but for the reason that says so, and one that beats it is used as it comes (engine/forecast.ts `usableForecast`); and a forecast only raises capacity
 * ahead of demand, it never scales in (engine/types.ts `DecisionInput.forecast`, engine/recommend.ts).
 * `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import { FORECAST_MASE_LIMIT, FORECAST_SKILL_MIN_ORIGINS } from '../../shared/engine/forecast.ts';
import type { DecisionInput, ForecastPoint, ForecastSkill, Plan } from '../../shared/engine/types.ts';
import { fleetInput } from '../engine/arbitraries.ts';
import { at, T0 } from '../engine/fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };

/** A forecast every minute (some missing) over the next half hour, up to 1500 rps. */
const forecastArb: fc.Arbitrary<ForecastPoint[]> = fc
  .array(fc.option(fc.double({ min: 0, max: 1500, noNaN: true }), { freq: 4, nil: undefined }), {
    minLength: 1,
    maxLength: 30,
  })
  .map((values) => values.flatMap((rps, i) => (rps === undefined ? [] : [{ at: at((i + 1) * 60), rps }])))
  .filter((f) => f.length > 0);

/** A skill judged on enough origins: better than the last value (MASE below the limit) or not. */
const skillArb: fc.Arbitrary<ForecastSkill> = fc
  .record({
    origins: fc.integer({ min: FORECAST_SKILL_MIN_ORIGINS, max: 288 }),
    perOrigin: fc.integer({ min: 1, max: 4 }),
    maeLastValue: fc.double({ min: 0, max: 500, noNaN: true }),
    mase: fc.oneof(
      fc.double({ min: FORECAST_MASE_LIMIT, max: 10, noNaN: true }),
      fc.double({ min: 0, max: FORECAST_MASE_LIMIT, maxExcluded: true, noNaN: true }),
    ),
  })
  .map(({ origins, perOrigin, maeLastValue, mase }) => ({
    origins,
    points: origins * perOrigin,
    mae: maeLastValue * mase,
    maeLastValue,
    // Both errors 0: no better than the last value (skill.ts).
    mase: maeLastValue > 0 ? mase : FORECAST_MASE_LIMIT,
    windowSeconds: 86_400,
  }));

const without = (i: DecisionInput): DecisionInput => {
  const { forecast: _f, forecastSkill: _s, ...rest } = i;
  return rest;
};
/** The plan without the reasons of `code`; actions without their summary (which lists the first few codes). */
const reasonsBut = (plan: Plan, code: string) => {
  const bare = (actions: Plan['actions']) => actions.map((a) => ({ ...a, reason: '' }));
  return {
    ...plan,
    reasons: plan.reasons.filter((r) => r.code !== code),
    actions: bare(plan.actions),
    suppressedActions: bare(plan.suppressedActions),
  };
};

describe('decide: the forecast', () => {
  it('is used as it comes when its skill beats the last value, else not at all: the plan says which', () => {
    fc.assert(
      fc.property(fleetInput(), forecastArb, skillArb, (i, forecast, skill) => {
        const used = skill.mase < FORECAST_MASE_LIMIT;
        const code = used ? 'forecast.skill' : 'forecast.unskilled';
        const judged = decide({ ...without(i), forecast, forecastSkill: skill }, T0);
        const plain = decide(used ? { ...without(i), forecast } : without(i), T0);
        expect(judged.reasons.filter((r) => r.code.startsWith('forecast.')).map((r) => r.code)).toEqual([code]);
        expect(reasonsBut(judged, code)).toEqual(reasonsBut(plain, code));
      }),
      RUNS,
    );
  });

  it('never scales in: no forecast, or a lower one, never yields more nodes', () => {
    fc.assert(
      fc.property(
        fleetInput(),
        forecastArb,
        fc.array(fc.double({ min: 1, max: 3, noNaN: true }), { minLength: 30, maxLength: 30 }),
        (i, forecast, raise) => {
          const none = decide(without(i), T0);
          const lower = decide({ ...without(i), forecast }, T0);
          const higher = decide(
            { ...without(i), forecast: forecast.map((p, k) => ({ ...p, rps: p.rps * raise[k]! })) },
            T0,
          );
          expect(lower.targetNodes).toBeGreaterThanOrEqual(none.targetNodes);
          expect(higher.targetNodes).toBeGreaterThanOrEqual(lower.targetNodes);
        },
      ),
      RUNS,
    );
  });
});
