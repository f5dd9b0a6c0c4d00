/**
 * The series the forecaster reads: the fleet's demand over the lookback's whole seasons and the forecaster's
 * level window before them (a season counts only where the history covers its level window: see
 * shared/forecast/seasonal.ts), at the forecast's step.
 */
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../shared/app/deps.ts';
import { type DecisionExtras, demandHistory, forecastSeries } from '../../shared/app/inputs.ts';
import type { Fleet } from '../../shared/domain/types.ts';

describe('forecastSeries', () => {
  const fleet = { id: 'llm', pools: [] } as unknown as Fleet;
  const now = new Date('2026-03-03T10:00:00Z');
  const t0 = now.getTime() / 1000;

  it('reads the lookback and the level window before it, at the forecast step', async () => {
    const asked: Array<{ start: number; end: number; step: number }> = [];
    const deps = {
      resolved: { config: { forecast: { lookbackHours: 48, seasonHours: 24, stepSeconds: 300 }, fleets: [] } },
      metrics: {
        queryRange: async (_q: unknown, start: Date, end: Date, step: number) => {
          asked.push({ start: start.getTime() / 1000, end: end.getTime() / 1000, step });
          return [{ labels: {}, points: [[t0, 5]] }];
        },
        queryInstant: async () => undefined,
      },
    } as unknown as AppDeps;
    const extras: DecisionExtras = { notes: [], failures: [] };
    expect(await forecastSeries(fleet, deps, now, extras)).toEqual([[t0, 5]]);
    expect(asked).toEqual([{ start: t0 - 48 * 3600 - 1800, end: t0, step: 300 }]);
    expect(extras.notes).toEqual([]);
  });

  it('refuses a demand query that returns several series, as the instant query does, saying why', async () => {
    // A configured demandQuery not aggregated: read as one series, its readings at one time were averaged by the
    // forecast and each taken for the fleet's demand by the headroom.
    const deps = {
      resolved: { config: { forecast: { lookbackHours: 48, seasonHours: 24, stepSeconds: 300 }, fleets: [] } },
      metrics: {
        queryRange: async () => [
          { labels: { pod: 'a' }, points: [[t0, 5]] },
          { labels: { pod: 'b' }, points: [[t0, 7]] },
        ],
        queryInstant: async () => undefined,
      },
    } as unknown as AppDeps;
    const extras: DecisionExtras = { notes: [], failures: [] };
    expect(await forecastSeries(fleet, deps, now, extras)).toBeUndefined();
    await demandHistory(fleet, deps, now, extras);
    expect(extras.demandHistory).toEqual([]);
    expect(extras.notes).toEqual([
      'forecast: the query returned 2 series; aggregate it (sum, avg, ...) to one value',
      'demand history: the query returned 2 series; aggregate it (sum, avg, ...) to one value',
    ]);
  });
});
