/**
 * Familiar vocabulary in the engine: pool `priority` (Cluster Autoscaler's priority expander) and the GPU
 * limit (Karpenter's NodePool `limits` on nvidia.com/gpu), each with its reason.
 */
import { describe, expect, it } from 'vitest';
import type { OperatorCommandSignal } from '../../shared/domain/signals.ts';
import type { FleetPolicy, Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import type { DecisionInput, HistoryEntry } from '../../shared/engine/types.ts';
import { fleet, input, past, pool, T0 } from './fixtures.ts';

const scaleTo = (target: number): OperatorCommandSignal => ({
  type: 'operator-command',
  eventId: `scale-${target}`,
  source: 'operator',
  time: T0.toISOString(),
  command: 'scale',
  actor: 'alice',
  target,
});
type Policy = Parameters<typeof fleet>[1];
function place(pools: Pool[], target: number, over: Policy = {}) {
  const plan = decide(input(fleet(pools, over), { signals: [scaleTo(target)] }), T0);
  return { plan, counts: Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target])) };
}

describe('pool priority (Cluster Autoscaler priority expander)', () => {
  it.each([
    ['price decides among equal priorities', { a: 0, b: 0 }, { a: 2, b: 1 }, { a: 0, b: 4 }],
    ['a higher priority is filled first, whatever its price', { a: 10, b: 0 }, { a: 2, b: 1 }, { a: 4, b: 0 }],
    ['until it is full, then the next priority', { a: 10, b: 0 }, { a: 2, b: 1 }, { a: 3, b: 1 }, 3],
  ])('%s', (_, priority, price, expected, maxA = 100) => {
    const { counts, plan } = place(
      [
        pool({ id: 'a', priority: priority.a, hourlyPrice: price.a, max: maxA }),
        pool({ id: 'b', priority: priority.b, hourlyPrice: price.b }),
      ],
      4,
    );
    expect(counts).toEqual(expected);
    if (priority.a > 0) expect(plan.reasons.find((r) => r.poolId === 'a')?.message).toMatch(/priority 10/);
  });

  it('a lower priority is emptied first on scale-in, whatever its price', () => {
    const { counts } = place(
      [
        pool({ id: 'a', priority: 5, hourlyPrice: 3, desired: 3 }),
        pool({ id: 'b', priority: 0, hourlyPrice: 1, desired: 3 }),
      ],
      3,
    );
    expect(counts).toEqual({ a: 3, b: 0 });
  });

  it('priority works within a capacity tier: reserved capacity still comes first', () => {
    const { counts } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, max: 2, reservationId: 'cr-1' }),
        pool({ id: 'od', priority: 100 }),
      ],
      3,
    );
    expect(counts).toEqual({ res: 2, od: 1 });
  });
});

describe('GPU limit (Karpenter NodePool limits)', () => {
  const pools = () => [pool({ id: 'g8', gpusPerNode: 8, rpsPerNode: 80, hourlyPrice: 8 })];
  it.each([
    ['under the limit: nothing clipped', 2, 24, 2, undefined],
    ['over it: the largest count that fits', 5, 24, 3, '40 GPUs over the limit of 24: 5 -> 3 node(s)'],
    ['exactly at it', 3, 24, 3, undefined],
  ])('%s', (_, target, gpus, expected, message) => {
    const { counts, plan } = place(pools(), target, { safety: { maxGpus: gpus } });
    expect(counts.g8).toBe(expected);
    const clip = plan.reasons.find((r) => r.code === 'limit.gpus');
    if (message === undefined) expect(clip).toBeUndefined();
    else expect(clip).toMatchObject({ before: target, after: expected, clippedBy: 'limits.gpus', message });
  });

  it('the floor wins over a limit that cannot hold it, and the reason says so', () => {
    const { counts, plan } = place(pools(), 5, { minNodes: 4, safety: { maxGpus: 24 } });
    expect(counts.g8).toBe(4);
    expect(plan.reasons.find((r) => r.code === 'limit.gpus')?.message).toMatch(/the floor wins/);
  });
});

describe('disruption budgets (Karpenter NodePool disruption.budgets)', () => {
  const pools = () => [pool({ id: 'a', desired: 10 })];
  /** A fleet of 10 nodes asked to go to 2 (a manual target would bypass budgets, so demand drives it). */
  function shrink(
    budgets: Array<{ nodes: number | `${number}%`; windowSeconds?: number }>,
    history: HistoryEntry[] = [],
  ) {
    const f = fleet(pools(), { safety: { disruptionBudgets: budgets } });
    const plan = decide(input(f, { demand: { rps: 10 }, history }), T0);
    return plan;
  }
  it.each([
    ['a count', [{ nodes: 3 }], [], 7],
    ['a percentage of the fleet, rounded up', [{ nodes: '25%' as const }], [], 7],
    ['the strictest of several', [{ nodes: 5 }, { nodes: 2 }], [], 8],
    ['zero: no scale-in', [{ nodes: 0 }], [], 10],
    ['what was removed in the window counts', [{ nodes: 3 }], [past(60, { from: 12, to: 10, applied: true })], 9],
    [
      'what was removed before the window does not',
      [{ nodes: 3, windowSeconds: 60 }],
      [past(120, { from: 12, to: 10, applied: true })],
      7,
    ],
  ])('%s', (_, budgets, history, expected) => {
    const plan = shrink(budgets as never, history as HistoryEntry[]);
    expect(plan.targetNodes).toBe(expected);
    if (expected !== 10 || budgets.length) {
      const clip = plan.reasons.find((r) => r.code === 'safety.disruption-budget');
      expect(clip).toMatchObject({ after: expected, clippedBy: expect.stringMatching(/^disruption\.budgets\[\d\]/) });
    }
  });

  it('a scale-out is never held', () => {
    const f = fleet([pool({ id: 'a', desired: 2 })], { safety: { disruptionBudgets: [{ nodes: 0 }] } });
    expect(decide(input(f, { demand: { rps: 100 } }), T0).targetNodes).toBeGreaterThan(2);
  });
});

describe("KEDA's fallback (no metric could be read)", () => {
  const noData = (secondsAgo: number) => past(secondsAgo, { from: 4, to: 4, noData: true });
  const withData = (secondsAgo: number) => past(secondsAgo, { from: 4, to: 4 });
  const decideWith = (fallback: FleetPolicy['fallback'], history: HistoryEntry[], over: Partial<DecisionInput> = {}) =>
    decide(input(fleet([pool({ id: 'a', desired: 4 })], fallback ? { fallback } : {}), { history, ...over }), T0);
  const static2 = { failureThreshold: 3, replicas: 2, behavior: 'static' as const };

  it.each([
    ['first failed read, no fallback: hold, said so', undefined, [], 4, 'fallback.none'],
    ['below the threshold: hold, said so', static2, [noData(60)], 4, 'fallback.pending'],
    ['at the threshold, static: go to replicas', static2, [noData(60), noData(120)], 2, 'fallback.replicas'],
    ['a read in between resets the count', static2, [noData(60), withData(120), noData(180)], 4, 'fallback.pending'],
    [
      'currentReplicas: hold',
      { ...static2, behavior: 'currentReplicas' as const },
      [noData(60), noData(120)],
      4,
      'fallback.hold',
    ],
  ])('%s', (_, fallback, history, target, code) => {
    const plan = decideWith(fallback, history);
    expect(plan.targetNodes).toBe(target);
    expect(plan.reasons.map((r) => r.code)).toContain(code);
    expect(plan.historyEntry.noData).toBe(true);
  });

  it('with a metric, nothing of it: no mark, no fallback reason', () => {
    const plan = decideWith(static2, [noData(60), noData(120)], {
      metrics: [{ metric: 'gpu_utilization', value: 70 }],
    });
    expect(plan.historyEntry.noData).toBeUndefined();
    expect(plan.reasons.some((r) => r.code.startsWith('fallback.'))).toBe(false);
    expect(plan.targetNodes).toBe(4);
  });
});
