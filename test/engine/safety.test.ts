/**
 * Safety: max step, cooldowns, the hourly budget (cut explained, and the rule when the floor alone is over
 * it), pause, schedule windows (floors, ceilings, freezes, scale to zero), manual targets and dry runs.
 */
import { describe, expect, it } from 'vitest';
import type { OperatorCommandSignal } from '../../shared/domain/signals.ts';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import { readHistory } from '../../shared/engine/history.ts';
import { cooldownHolding } from '../../shared/engine/safety.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { at, fleet, input, past, pool, T0 } from './fixtures.ts';

const gpu = (value: number) => ({ metrics: [{ metric: 'gpu_utilization', value }] });
const codes = (plan: Plan) => plan.reasons.map((r) => r.code);
const reason = (plan: Plan, code: string) => plan.reasons.find((r) => r.code === code);
const op = (
  command: OperatorCommandSignal['command'],
  over: Partial<OperatorCommandSignal> = {},
): OperatorCommandSignal => ({
  type: 'operator-command',
  eventId: `op-${command}`,
  source: 'operator',
  time: T0.toISOString(),
  command,
  actor: 'alice',
  ...over,
});
/** T0 is Monday 2026-03-02 12:00 UTC (13:00 in Paris). */
const window = (over: Partial<ScheduleWindow>): ScheduleWindow => ({
  name: 'business-hours',
  timeZone: 'Europe/Paris',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '18:00',
  ...over,
});

describe('max step per decision', () => {
  it.each([
    // ceil(4 x 280 / 70) = 16, at most +3 -> 7
    { name: 'up', value: 280, step: { maxStepUp: 3 }, expected: 7 },
    // ceil(10 x 14 / 70) = 2, at most -3 -> 7 (from 10)
    { name: 'down', value: 14, step: { maxStepDown: 3 }, expected: 7, current: 10 },
  ])('clips a scale-$name to the step and says so', ({ value, step, expected, current }) => {
    const f = fleet([pool({ id: 'od', desired: current ?? 4 })], { safety: step });
    const plan = decide(input(f, gpu(value)), T0);
    expect(plan.targetNodes).toBe(expected);
    expect(reason(plan, 'safety.max-step')).toMatchObject({
      after: expected,
      clippedBy: expect.stringMatching(/maxStep/),
    });
  });

  it('applies to a manual target too: reached over several decisions', () => {
    const f = fleet([pool({ id: 'od', desired: 2 })], { safety: { maxStepUp: 4 } });
    expect(decide(input(f, { signals: [op('scale', { target: 20 })] }), T0).targetNodes).toBe(6);
  });

  it('gives way to a hard floor: a fleet below its min goes straight to it', () => {
    const f = fleet([pool({ id: 'od', desired: 1 })], { minNodes: 8, safety: { maxStepUp: 2 } });
    const plan = decide(input(f, gpu(70)), T0);
    expect(plan.targetNodes).toBe(8);
    // Within tolerance the metric holds 1; the floor lifts it to 8 in one decision, past the step of 2.
    expect(reason(plan, 'limit.min')).toMatchObject({ before: 1, after: 8, clippedBy: 'minNodes' });
  });
});

describe('cooldowns per direction', () => {
  const f = () =>
    fleet([pool({ id: 'od', desired: 4 })], { safety: { scaleUpCooldownSeconds: 300, scaleDownCooldownSeconds: 600 } });
  const scaledUp = (secondsAgo: number) => past(secondsAgo, { recommendation: 4, from: 2, to: 4, applied: true });

  it('holds a scale-out within the scale-out cooldown', () => {
    const plan = decide(input(f(), { ...gpu(140), history: [scaledUp(120)] }), T0);
    expect(plan.targetNodes).toBe(4);
    expect(reason(plan, 'safety.cooldown')?.message).toMatch(/180s left/);
  });

  it('lets a scale-out through after the cooldown', () => {
    // ceil(4 x 140 / 70) = 8
    expect(decide(input(f(), { ...gpu(140), history: [scaledUp(301)] }), T0).targetNodes).toBe(8);
  });

  it('a scale-out cooldown does not hold a scale-in', () => {
    // ceil(4 x 14 / 70) = 1
    expect(decide(input(f(), { ...gpu(14), history: [scaledUp(60)] }), T0).targetNodes).toBe(1);
  });

  it.each([
    { name: 'a scale-out within the scale-out cooldown', x: 8, entry: scaledUp(120), held: 'scale-out', left: 180 },
    { name: 'a scale-out after it', x: 8, entry: scaledUp(301), held: undefined },
    { name: 'a scale-in within the scale-out cooldown', x: 2, entry: scaledUp(120), held: undefined },
    {
      name: 'a scale-in within the scale-in cooldown',
      x: 2,
      entry: past(100, { from: 6, to: 4, applied: true }),
      held: 'scale-in',
      left: 500,
    },
    { name: 'no change', x: 4, entry: scaledUp(10), held: undefined },
  ])('the predicate, from the policy, the history and the time: $name', ({ x, entry, held, left }) => {
    const safety = f().policy.safety;
    const c = cooldownHolding(4, x, safety, readHistory([entry], 'llm'), T0.getTime());
    expect(c?.direction).toBe(held);
    if (held) expect(c?.leftSeconds).toBe(left);
  });

  it('ignores dry-run and unapplied entries', () => {
    const history = [
      past(60, { from: 2, to: 4, applied: true, dryRun: true }),
      past(60, { from: 2, to: 4, applied: false }),
    ];
    expect(decide(input(f(), { ...gpu(140), history }), T0).targetNodes).toBe(8);
  });
});

describe('hourly budget', () => {
  it('removes the most expensive per throughput nodes first and explains the cut', () => {
    const f = fleet(
      [
        // $1/h for 10 rps = $0.10 per rps
        pool({ id: 'cheap', hourlyPrice: 1, rpsPerNode: 10, desired: 4 }),
        // $3/h for 20 rps = $0.15 per rps: removed first
        pool({ id: 'dear', hourlyPrice: 3, rpsPerNode: 20, desired: 4 }),
      ],
      { safety: { hourlyBudgetUsd: 10 } },
    );
    // Metrics hold 8 nodes ($16/h); the budget keeps 4 x $1 + 2 x $3 = $10/h.
    const plan = decide(input(f, gpu(70)), T0);
    expect(plan.targetNodes).toBe(6);
    expect(plan.costPerHour).toBe(10);
    expect(plan.budgetCut).toMatchObject({
      budgetUsd: 10,
      nodesBefore: 8,
      nodesAfter: 6,
      costBefore: 16,
      costAfter: 10,
      unmet: false,
      removed: [{ poolId: 'dear', nodes: 2, hourlyPrice: 3 }],
    });
    expect(reason(plan, 'safety.budget')).toMatchObject({ before: 8, after: 6, clippedBy: 'safety.hourlyBudgetUsd' });
  });

  it('caps a scale-out at what the budget buys', () => {
    const f = fleet([pool({ id: 'od', hourlyPrice: 2.5, desired: 2 })], { safety: { hourlyBudgetUsd: 12 } });
    // ceil(2 x 350 / 70) = 10 nodes = $25/h; $12 buys 4 ($10/h).
    expect(decide(input(f, gpu(350)), T0).targetNodes).toBe(4);
  });

  it('keeps the floor when even the floor is over budget, and reports it', () => {
    const f = fleet([pool({ id: 'od', hourlyPrice: 3, desired: 6 })], { minNodes: 5, safety: { hourlyBudgetUsd: 10 } });
    const plan = decide(input(f, gpu(70)), T0);
    // 5 x $3 = $15/h > $10/h: the min of 5 wins over the budget.
    expect(plan.targetNodes).toBe(5);
    expect(plan.budgetCut?.unmet).toBe(true);
    expect(codes(plan)).toContain('safety.budget-below-min');
    expect(plan.actions.some((a) => a.type === 'report' && a.code === 'budget.unmet')).toBe(true);
  });
});

describe('pause', () => {
  const f = () => fleet([pool({ id: 'od', desired: 4 })]);

  it('holds back every cloud change and says what it would have done', () => {
    const plan = decide(
      input(f(), { ...gpu(140), state: { offeringBackoff: [], paused: { by: 'bob', reason: 'incident' } } }),
      T0,
    );
    expect(plan.paused).toBe(true);
    expect(plan.targetNodes).toBe(8);
    expect(plan.actions).toEqual([]);
    expect(plan.suppressedActions).toEqual([
      expect.objectContaining({ type: 'set-desired', poolId: 'od', from: 4, to: 8 }),
    ]);
    expect(reason(plan, 'safety.paused')?.message).toMatch(/bob.*incident/);
    expect(plan.historyEntry.applied).toBe(false);
  });

  it('lapses at its end', () => {
    const plan = decide(
      input(f(), { ...gpu(140), state: { offeringBackoff: [], paused: { by: 'bob', reason: 'x', until: at(-1) } } }),
      T0,
    );
    expect(plan.paused).toBe(false);
    expect(plan.actions).toHaveLength(1);
  });

  it('follows pause and resume commands of the same decision', () => {
    expect(decide(input(f(), { ...gpu(140), signals: [op('pause')] }), T0).paused).toBe(true);
    const resumed = decide(
      input(f(), {
        ...gpu(140),
        signals: [op('resume')],
        state: { offeringBackoff: [], paused: { by: 'bob', reason: 'x' } },
      }),
      T0,
    );
    expect(resumed.paused).toBe(false);
  });
});

describe('schedule windows', () => {
  const f = (desired = 4) => fleet([pool({ id: 'od', desired })]);

  it.each([
    { name: 'a floor raises the fleet', w: { minNodes: 6 }, value: 70, expected: 6 },
    { name: 'a ceiling caps it', w: { maxNodes: 5 }, value: 280, expected: 5 },
    // Without the window: ceil(4 x 280 / 70) = 16.
    { name: 'an inactive window changes nothing', w: { maxNodes: 5, days: [6, 7] }, value: 280, expected: 16 },
    { name: 'freezeScaleDown holds a scale-in', w: { freezeScaleDown: true }, value: 14, expected: 4 },
    { name: 'freezeScaleDown lets a scale-out through', w: { freezeScaleDown: true }, value: 140, expected: 8 },
    { name: 'freeze holds a scale-out', w: { freeze: true }, value: 140, expected: 4 },
    { name: 'a ceiling below a floor: the ceiling wins', w: { minNodes: 8, maxNodes: 3 }, value: 70, expected: 3 },
  ])('$name', ({ w, value, expected }) => {
    expect(decide(input(f(), { ...gpu(value), schedule: [window(w)] }), T0).targetNodes).toBe(expected);
  });

  it('scaleToZero in a window lets an idle fleet go below its min, to zero', () => {
    const idle = fleet([pool({ id: 'od', desired: 4 })], { minNodes: 2 });
    expect(decide(input(idle, gpu(0)), T0).targetNodes).toBe(2);
    const plan = decide(input(idle, { ...gpu(0), schedule: [window({ scaleToZero: true })] }), T0);
    expect(plan.targetNodes).toBe(0);
    expect(reason(plan, 'safety.schedule')?.message).toMatch(/business-hours/);
  });

  it('a freeze still replaces interrupted capacity', () => {
    const pools = [pool({ id: 'spot', capacityType: 'spot', desired: 4, hourlyPrice: 0.4 }), pool({ id: 'od' })];
    const plan = decide(
      input(fleet(pools, { placement: { spotShare: 1 } }), {
        ...gpu(140),
        schedule: [window({ freeze: true })],
        signals: [
          {
            type: 'interruption',
            eventId: 'i1',
            source: 'aws.ec2',
            time: T0.toISOString(),
            cloud: 'aws',
            kind: 'warning',
            instanceIds: ['i-1'],
            poolId: 'spot',
            deadline: at(120),
          },
        ],
      }),
      T0,
    );
    expect(plan.targetNodes).toBe(4);
    expect(plan.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'set-desired', poolId: 'od', from: 0, to: 1 }),
        expect.objectContaining({ type: 'cordon-drain', instanceId: 'i-1' }),
        expect.objectContaining({ type: 'remove-instance', instanceId: 'i-1' }),
      ]),
    );
  });

  it('reports a window it cannot evaluate and ignores it', () => {
    const plan = decide(input(f(), { ...gpu(70), schedule: [window({ timeZone: 'Mars/Olympus', maxNodes: 1 })] }), T0);
    expect(plan.targetNodes).toBe(4);
    expect(plan.actions.some((a) => a.type === 'report' && a.code === 'schedule.invalid')).toBe(true);
  });
});

describe('manual targets', () => {
  const f = () =>
    fleet([pool({ id: 'a', desired: 2, hourlyPrice: 1 }), pool({ id: 'b', desired: 2, hourlyPrice: 2 })], {
      maxNodes: 30,
      safety: { scaleUpCooldownSeconds: 3600 },
    });

  it('a scale command sets the fleet target over the metrics, cooldowns and stabilization', () => {
    const history = [past(60, { recommendation: 4, from: 2, to: 4, applied: true })];
    const plan = decide(
      input(f(), { ...gpu(70), history, signals: [op('scale', { target: 12, reason: 'launch' })] }),
      T0,
    );
    expect(plan.recommendedNodes).toBe(12);
    expect(plan.targetNodes).toBe(12);
    expect(plan.manualTarget).toMatchObject({ target: 12, by: 'alice', reason: 'launch' });
    // The history keeps the metrics' own recommendation (4), not the operator's.
    expect(plan.historyEntry.recommendation).toBe(4);
  });

  it('a manual target from the state holds until it expires', () => {
    const manual = { target: 10, by: 'alice', reason: 'event', until: at(60) };
    expect(
      decide(input(f(), { ...gpu(70), state: { offeringBackoff: [], manualTarget: manual } }), T0).targetNodes,
    ).toBe(10);
    const expired = { ...manual, until: at(-60) };
    expect(
      decide(input(f(), { ...gpu(70), state: { offeringBackoff: [], manualTarget: expired } }), T0).targetNodes,
    ).toBe(4);
  });

  it('stays within the fleet max', () => {
    expect(decide(input(f(), { signals: [op('scale', { target: 50 })] }), T0).targetNodes).toBe(30);
  });

  it('a pool target pins that pool while the fleet keeps its size', () => {
    const plan = decide(input(f(), { ...gpu(70), signals: [op('scale', { target: 0, poolId: 'a' })] }), T0);
    expect(Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]))).toEqual({ a: 0, b: 4 });
  });
});

describe('dry run', () => {
  const f = () => fleet([pool({ id: 'od', desired: 4 })]);

  it.each([
    { name: 'input flag', extra: { dryRun: true } },
    { name: 'operator plan', extra: { signals: [op('plan')] } },
    { name: 'operator explain', extra: { signals: [op('explain')] } },
  ])('$name: the plan lists its actions, marked dry run, and does not count as applied', ({ extra }) => {
    const plan = decide(input(f(), { ...gpu(140), ...extra }), T0);
    expect(plan.dryRun).toBe(true);
    expect(plan.actions).toEqual([expect.objectContaining({ type: 'set-desired', to: 8 })]);
    expect(plan.historyEntry).toMatchObject({ dryRun: true, applied: false });
  });

  it('dry-run history does not stabilize later decisions', () => {
    const f2 = fleet([pool({ id: 'od', desired: 8 })], {
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
    const history = [past(60, { recommendation: 8, from: 8, to: 8, dryRun: true })];
    // ceil(8 x 35 / 70) = 4; a real recommendation of 8 a minute ago would hold 8.
    expect(decide(input(f2, { ...gpu(35), history }), T0).targetNodes).toBe(4);
    expect(decide(input(f2, { ...gpu(35), history: [{ ...history[0], dryRun: false }] }), T0).targetNodes).toBe(8);
  });
});

describe('edge cases', () => {
  it('reports a manual target for a pool the fleet does not have', () => {
    const f = fleet([pool({ id: 'od', desired: 2 })]);
    const plan = decide(input(f, { signals: [op('scale', { target: 5, poolId: 'nope' })] }), T0);
    expect(plan.targetNodes).toBe(2);
    expect(plan.actions).toEqual([expect.objectContaining({ type: 'report', code: 'manual.unknown-pool' })]);
  });

  it('decides for a fleet without pools', () => {
    const plan = decide(input(fleet([], { minNodes: 2 }), gpu(140)), T0);
    expect(plan).toMatchObject({ currentNodes: 0, targetNodes: 0, pools: [], actions: [] });
    expect(codes(plan)).toContain('limit.capacity');
  });
});

describe('operator commands that already expired', () => {
  it.each(['scale', 'pause'] as const)('%s with a past expiresAt is ignored', (command) => {
    const f = fleet([pool({ id: 'od', desired: 4 })]);
    const plan = decide(input(f, { ...gpu(140), signals: [op(command, { target: 20, expiresAt: at(-5) })] }), T0);
    expect(plan).toMatchObject({ targetNodes: 8, paused: false });
    expect(reason(plan, 'signal.ignored')?.message).toMatch(/expired/);
  });
});
