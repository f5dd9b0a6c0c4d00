/**
 * Familiar vocabulary in the engine: pool `priority` (Cluster Autoscaler's priority expander) and the GPU
 * limit (Karpenter's NodePool `limits` on nvidia.com/gpu), each with its reason.
 */
import { describe, expect, it } from 'vitest';
import type { OperatorCommandSignal } from '../../shared/domain/signals.ts';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import { fleet, input, pool, T0 } from './fixtures.ts';

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
