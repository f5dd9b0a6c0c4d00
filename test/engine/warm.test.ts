/**
 * Warm capacity planning (engine/warm.ts): warm nodes for the rises a running headroom cannot cover within a
 * cold launch's time to ready; the minimum without history; the trade-off in the reasons.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import type { HistoryEntry } from '../../shared/engine/types.ts';
import { maxRise, planWarm, withWarm } from '../../shared/engine/warm.ts';
import { fleet, input, past, pool, T0 } from './fixtures.ts';

const warm = (over: Partial<NonNullable<ReturnType<typeof pool>['warm']>> = {}) => ({
  min: 0,
  max: 5,
  state: 'stopped' as const,
  resumeSeconds: 60,
  diskType: 'gp3' as const,
  diskGb: 100,
  hourlyPrice: 0.011,
  ...over,
});

/** Past decisions whose required capacity climbed `perMinute` rps every minute for `minutes` minutes. */
function ramp(perMinute: number, minutes: number, base = 20): HistoryEntry[] {
  return Array.from({ length: minutes + 1 }, (_, k) =>
    past((minutes - k) * 60 + 60, {
      recommendation: 0,
      requiredRps: base + k * perMinute,
      from: 0,
      to: 0,
      applied: false,
    }),
  );
}

describe('maxRise', () => {
  it.each([
    ['fewer than two samples', [{ t: 0, rps: 5 }], 60, undefined],
    ['a steady climb, within the horizon', [0, 1, 2, 3].map((k) => ({ t: k * 60_000, rps: 10 * k })), 120, 20],
    ['a fall is no rise', [0, 1, 2].map((k) => ({ t: k * 60_000, rps: 30 - 10 * k })), 600, 0],
    // The low at t=0 is outside the 60 s window of the peak at t=120 s: only 25 -> 40 counts.
    [
      'the window slides',
      [
        { t: 0, rps: 0 },
        { t: 60_000, rps: 25 },
        { t: 120_000, rps: 40 },
      ],
      60,
      25,
    ],
  ])('%s', (_name, series, horizon, expected) => {
    expect(maxRise(series, horizon)).toBe(expected);
  });
});

describe('planWarm', () => {
  const od = pool({ id: 'od', desired: 4, timeToReadySeconds: 600, warm: warm({ min: 1 }) });
  const spot = pool({ id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, desired: 0 });

  it('keeps each warm pool at its minimum without history', () => {
    const i = input(fleet([od, spot]));
    const { actions, reasons } = planWarm(i, decide(i, T0), T0);
    expect(actions).toEqual([expect.objectContaining({ type: 'set-warm', poolId: 'od', from: 0, to: 1 })]);
    expect(reasons.map((r) => r.code)).toContain('warm.minimum');
  });

  it('covers the rise within a time to ready that the running headroom does not', () => {
    // Demand 30 rps on 4 nodes of 10 rps: headroom 10 rps. Required capacity rose 3 rps a minute for 10
    // minutes: 30 rps within 600 s, 3 rps within 60 s. Warm: 30 - max(10, 3) = 20 rps = 2 nodes.
    const i = input(fleet([od]), { demand: { rps: 30 }, history: ramp(3, 10) });
    const plan = decide(i, T0);
    const headroom = plan.pools[0]!.target * 10 - 30;
    const { actions, reasons } = planWarm(i, plan, T0);
    const expected = Math.ceil((30 - Math.max(headroom, 3)) / 10);
    expect(actions).toEqual([expect.objectContaining({ poolId: 'od', to: Math.max(1, expected) })]);
    const why = reasons.find((r) => r.code === 'warm.pool')!;
    // The trade-off: disks against the same capacity running, and the time it buys.
    expect(why.message).toMatch(
      /for their disks, against \$\d+\.\d+\/h .* kept running; they serve within 60 s .* instead of 600 s/,
    );
  });

  it('clips at warm.max and says what is left to cold launches', () => {
    const small = pool({ id: 'od', desired: 1, timeToReadySeconds: 600, warm: warm({ max: 1 }) });
    const i = input(fleet([small]), { demand: { rps: 10 }, history: ramp(20, 10) });
    const { actions, reasons } = planWarm(i, decide(i, T0), T0);
    expect(actions[0]).toMatchObject({ to: 1 });
    expect(reasons.find((r) => r.code === 'warm.max')?.clippedBy).toBe('warm.max');
  });

  it('says when rises within a resume time exceed the running headroom', () => {
    const i = input(fleet([od]), { demand: { rps: 40 }, history: ramp(50, 3) });
    const { reasons } = planWarm(i, decide(i, T0), T0);
    expect(reasons.map((r) => r.code)).toContain('warm.short');
  });

  it('sets nothing when the observed warm target is already right, and nothing for pools without warm', () => {
    const kept = pool({ ...od, warmObserved: { ready: 1, warming: 0, target: 1 } });
    const i = input(fleet([kept, spot]));
    expect(planWarm(i, decide(i, T0), T0).actions).toEqual([]);
  });

  it('holds the warm actions back while paused or in a dry run, but explains them', () => {
    const i = input(fleet([od]), { dryRun: true });
    const plan = withWarm(i, decide(i, T0), T0);
    expect(plan.actions.some((a) => a.type === 'set-warm')).toBe(false);
    expect(plan.reasons.some((r) => r.code === 'warm.pool')).toBe(true);
  });
});
