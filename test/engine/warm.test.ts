/**
 * Warm capacity planning (engine/warm.ts): warm nodes for the rises a running headroom cannot cover within a
 * cold launch's time to ready; the minimum without history; the trade-off in the reasons.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import type { HistoryEntry } from '../../shared/engine/types.ts';
import { formatAction } from '../../shared/engine/format.ts';
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

describe('scale-in returns nodes to the warm pool', () => {
  const ago = (seconds: number) => new Date(T0.getTime() - seconds * 1000).toISOString();
  /** A plan that takes `od` from `from` to `to` nodes, with the SLO sizing's warm targets (held, and the need's). */
  function planned(
    from: number,
    to: number,
    observed: { ready: number; warming?: number },
    warmPlan?: { held: number; need: number; holdAgeSeconds: number; kept?: { nodes: number; ageSeconds: number } },
  ) {
    const p = pool({
      id: 'od',
      desired: from,
      timeToReadySeconds: 600,
      hourlyPrice: 1,
      warm: warm({ min: 0, max: 6 }),
      warmObserved: { ready: observed.ready, warming: observed.warming ?? 0, target: observed.ready },
    });
    const i = input(fleet([p]));
    const base = decide(i, T0);
    const plan = {
      ...base,
      pools: base.pools.map((x) => ({ ...x, target: to, delta: to - from })),
      actions: to === from ? [] : [{ type: 'set-desired' as const, poolId: 'od', from, to, reason: 'test' }],
      ...(warmPlan
        ? {
            warm: {
              targets: { od: warmPlan.held },
              needTargets: { od: warmPlan.need },
              needRps: 0,
              demandRps: 0,
              hedgeRps: 0,
              leftRps: 0,
            },
            nextState: {
              ...base.nextState,
              warmHold: {
                rps: 0,
                at: ago(warmPlan.holdAgeSeconds),
                pools: {
                  od: {
                    rps: 0,
                    at: ago(warmPlan.holdAgeSeconds),
                    ...(warmPlan.kept
                      ? { kept: { nodes: warmPlan.kept.nodes, at: ago(warmPlan.kept.ageSeconds) } }
                      : {}),
                  },
                },
              },
            },
          }
        : {}),
    };
    return { i, plan };
  }

  it.each([
    // The nodes taken out were serving until now: kept (their disks) rather than given up (a new preparation
    // when needed again), up to warm.max (6), so all 3 return.
    ['up to warm.max', 6, 3, { ready: 2 }, { held: 4, need: 1, holdAgeSeconds: 3600 }, 3, 5],
    // However long ago the need was last raised (20 h > the 15 h break-even of a $1/h node with $0.011/h of
    // disks): the break-even time of the nodes returned starts now.
    [
      'long after the need was last raised, the same',
      6,
      3,
      { ready: 2 },
      { held: 4, need: 1, holdAgeSeconds: 72_000 },
      3,
      5,
    ],
    // Up to warm.max only: 4 there, room for 2.
    ['up to warm.max only', 6, 2, { ready: 4 }, { held: 1, need: 1, holdAgeSeconds: 60 }, 2, 6],
    // A full pool has no room: the nodes taken out end.
    ['none into a full pool', 6, 4, { ready: 6 }, { held: 6, need: 6, holdAgeSeconds: 60 }, 0, 6],
    // Without the SLO sizing (no demand history), up to the pool's rule target (its minimum, 0 here): none.
    ['without the SLO sizing, up to the rule target', 6, 3, { ready: 0 }, undefined, 0, 0],
  ])('%s', (_name, from, to, observed, warmPlan, back, warmAfter) => {
    const { i, plan } = planned(from, to, observed, warmPlan);
    const out = withWarm(i, plan, T0);
    const shrink = out.actions.find((a) => a.type === 'set-desired');
    expect(shrink).toMatchObject({ from, to, toWarm: { nodes: back, warm: warmAfter, state: 'stopped' } });
    const why = out.reasons.find((r) => r.code === 'warm.return')!;
    expect(why.message).toContain(
      `${back} of the ${from - to} node(s) the scale-in takes out go back to the warm pool`,
    );
    if (back < from - to) expect(why.message).toMatch(/\d+ end/);
    // The warm target follows what the pool then has (never an extra preparation for the returned nodes).
    const set = out.actions.find((a) => a.type === 'set-warm');
    if (warmAfter !== observed.ready) expect(set).toMatchObject({ to: warmAfter });
  });

  it.each([
    // A scale-out resumes 2 of the 3 ready warm nodes: with no need beyond the one left, nothing is refilled.
    ['a resume is not refilled beyond the need', 0, 1],
    // This decision's own need is 2 warm nodes: one is refilled.
    ['a pool below its need is refilled', 2, 2],
  ])('%s', (_name, need, expected) => {
    const { i, plan } = planned(3, 5, { ready: 3 }, { held: 3, need, holdAgeSeconds: 60 });
    const out = withWarm(i, plan, T0);
    expect(out.actions.find((a) => a.type === 'set-warm')).toMatchObject({ from: 3, to: expected });
  });

  it('records the nodes kept after a return, from now', () => {
    const { i, plan } = planned(6, 3, { ready: 2 }, { held: 4, need: 1, holdAgeSeconds: 72_000 });
    const out = withWarm(i, plan, T0);
    expect(out.nextState.warmHold?.pools?.od?.kept).toEqual({ nodes: 5, at: T0.toISOString() });
  });

  it.each([
    // Returned an hour ago: within the break-even time (15 h), the pool keeps them above its held need (2).
    { name: 'within the break-even time of their return, kept', keptAge: 3600, to: undefined },
    // Returned 20 h ago: the pool falls to its held need, no lower than this decision's need.
    { name: 'past it, the pool falls to its held need', keptAge: 72_000, to: 2 },
  ])('$name', ({ keptAge, to }) => {
    const { i, plan } = planned(
      3,
      3,
      { ready: 5 },
      {
        held: 2,
        need: 1,
        holdAgeSeconds: 60,
        kept: { nodes: 5, ageSeconds: keptAge },
      },
    );
    const out = withWarm(i, plan, T0);
    const set = out.actions.find((a) => a.type === 'set-warm');
    if (to === undefined) expect(set).toBeUndefined();
    else expect(set).toMatchObject({ from: 5, to });
  });

  it('shows the return in the plan text', () => {
    const { i, plan } = planned(6, 3, { ready: 2 }, { held: 4, need: 1, holdAgeSeconds: 3600 });
    const out = withWarm(i, plan, T0);
    expect(formatAction(out.actions.find((a) => a.type === 'set-desired')!)).toBe(
      'set-desired   od: 6 -> 3 (3 back to warm stopped, 5 warm after)',
    );
  });
});
