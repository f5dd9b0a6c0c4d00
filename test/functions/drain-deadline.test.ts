/**
 * When a drain must end, on one clock (the application's, which the drain adapters are given): the
 * interruption's deadline, never past the invocation's own deadline, and never mixed with the real clock
 * (a simulated clock far from the real one gives a deadline on the simulated one).
 */
import { describe, expect, it } from 'vitest';
import { drainDeadline, executePlan } from '../../shared/app/execute.ts';
import { type AppDeps, silentLogger } from '../../shared/app/deps.ts';
import type { ClusterPort } from '../../shared/domain/ports.ts';
import type { Fleet, Pool } from '../../shared/domain/types.ts';
import type { Plan } from '../../shared/engine/types.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');

function depsAt(clockMs: () => number, deadline?: number): AppDeps {
  return {
    clock: () => new Date(clockMs()),
    logger: silentLogger,
    ...(deadline !== undefined ? { deadline: () => deadline } : {}),
  } as AppDeps;
}

describe('drainDeadline', () => {
  const cases: Array<{ name: string; until: number; clock: number; deadline?: number; budgetMs: number }> = [
    // 120 s notice, 50 s of it already spent observing and deciding: 70 s left.
    { name: 'what is left of the notice', until: T0 + 120_000, clock: T0 + 50_000, budgetMs: 70_000 },
    { name: 'a notice already over', until: T0, clock: T0 + 10_000, budgetMs: 0 },
    // The invocation ends 30 s from now, less the 5 s kept to record the outcome.
    { name: 'capped by the invocation', until: T0 + 120_000, clock: T0, deadline: T0 + 30_000, budgetMs: 25_000 },
    { name: 'no deadline given: a minute', until: Number.NaN, clock: T0, budgetMs: 60_000 },
  ];
  it.each(cases)('$name', ({ until, clock, deadline, budgetMs }) => {
    expect(
      drainDeadline(
        depsAt(() => clock, deadline),
        until,
      ).getTime(),
    ).toBe(clock + budgetMs);
  });
});

describe('executePlan drains until the notice deadline, on the application clock', () => {
  it('whatever time the decision took before it', async () => {
    let clock = T0;
    const drains: Date[] = [];
    const cluster = {
      findNodeByInstance: async (id: string) => ({ name: `node-${id}`, gpus: 8, ready: true }),
      cordon: async () => {
        // Cordoning (like observing the pools before it) takes simulated time.
        clock += 50_000;
      },
      drain: async (node: string, deadline: Date) => {
        drains.push(deadline);
        return { node, evicted: [], remaining: [], complete: true };
      },
    } as unknown as ClusterPort;
    const pool = { id: 'p', cloud: 'aws', kind: 'auto-scaling-group', tags: { cluster: 'c' } } as unknown as Pool;
    const deps = {
      ...depsAt(() => clock),
      clouds: { capacityFor: () => undefined, cluster: () => cluster },
    } as unknown as AppDeps;
    const plan = {
      pools: [],
      actions: [
        {
          type: 'cordon-drain',
          poolId: 'p',
          instanceId: 'i-1',
          deadline: new Date(T0 + 120_000).toISOString(),
          reason: 'spot interruption',
        },
      ],
    } as unknown as Plan;
    const out = await executePlan(deps, plan, { fleet: { id: 'f', pools: [pool] } as unknown as Fleet, eventId: 'e' });
    expect(out.failed).toEqual([]);
    // The notice's own deadline on the application's clock: the 50 s the cordon took are already on it.
    expect(drains[0]!.getTime()).toBe(T0 + 120_000);
  });
});
