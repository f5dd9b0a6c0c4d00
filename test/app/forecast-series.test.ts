/**
 * The series the forecaster reads: the demand a minute at a time, averaged over each forecast step. Read at
 * the forecast's step, a range returns one minute per step (the store evaluates the query at each step), so a
 * burst in the step's other minutes was missing and one in its minute stood for the whole step.
 */
import { describe, expect, it } from 'vitest';
import { forecastSeries, stepMeans } from '../../shared/app/inputs.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import type { DecisionExtras } from '../../shared/app/inputs.ts';
import type { Fleet } from '../../shared/domain/types.ts';

describe('stepMeans', () => {
  it('averages the readings of each step (t - step, t], steps ending at the end given', () => {
    const end = 10_000;
    const pts: Array<[number, number]> = [];
    for (let t = end - 899 + 59; t <= end; t += 60) pts.push([t, t]);
    // Readings at end-840 .. end, a minute apart: steps ending at end-600, end-300 and end.
    expect(stepMeans(pts, 300, end)).toEqual([
      [end - 600, (end - 840 + end - 780 + end - 720 + end - 660 + end - 600) / 5],
      [end - 300, (end - 540 + end - 480 + end - 420 + end - 360 + end - 300) / 5],
      [end, (end - 240 + end - 180 + end - 120 + end - 60 + end) / 5],
    ]);
  });

  it('leaves out readings after the end and values that are not numbers, and steps without a reading', () => {
    expect(
      stepMeans(
        [
          [100, 1],
          [160, Number.NaN],
          [700, 3],
          [1000, 5],
          [1100, 9],
        ],
        300,
        1000,
      ),
    ).toEqual([
      [100, 1],
      [700, 3],
      [1000, 5],
    ]);
  });
});

describe('forecastSeries', () => {
  const fleet = { id: 'llm', pools: [] } as unknown as Fleet;
  const now = new Date('2026-03-03T10:00:00Z');
  const t0 = now.getTime() / 1000;

  function depsWith(stepSeconds: number, asked: number[], starts: number[] = []): AppDeps {
    return {
      resolved: { config: { forecast: { lookbackHours: 1, seasonHours: 24, stepSeconds }, fleets: [] } },
      metrics: {
        queryRange: async (_q: unknown, start: Date, end: Date, step: number) => {
          asked.push(step);
          starts.push(start.getTime() / 1000);
          const points: Array<[number, number]> = [];
          // 100 rps, and a burst of 600 in the minute before each step's end but one.
          for (let t = start.getTime() / 1000; t <= end.getTime() / 1000; t += step)
            points.push([t, (t0 - t) % 300 === 60 ? 600 : 100]);
          return [{ labels: {}, points }];
        },
        queryInstant: async () => undefined,
      },
    } as unknown as AppDeps;
  }

  it('reads a minute at a time and gives each step its mean (the burst minute counted once in five)', async () => {
    const asked: number[] = [];
    const starts: number[] = [];
    const extras: DecisionExtras = { notes: [], failures: [] };
    const points = await forecastSeries(fleet, depsWith(300, asked, starts), now, extras);
    expect(asked).toEqual([60]);
    // The lookback (an hour here) and the forecaster's level window (30 min) before it.
    expect(starts).toEqual([t0 - 3600 - 1800]);
    expect(points!.at(-1)).toEqual([t0, 200]);
    expect(points!.map(([t]) => t0 - t).slice(-3)).toEqual([600, 300, 0]);
  });

  it('reads at the step itself when it is not a whole number of minutes above one', async () => {
    const asked: number[] = [];
    await forecastSeries(fleet, depsWith(90, asked), now, { notes: [], failures: [] });
    expect(asked).toEqual([90]);
  });
});
