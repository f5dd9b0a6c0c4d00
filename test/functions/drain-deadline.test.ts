/**
 * When a drain must end, on one clock (the application's, which the drain adapters are given): the
 * interruption's deadline, never past the invocation's own deadline, and never mixed with the real clock
 * (a simulated clock far from the real one gives a deadline on the simulated one). When it starts: the node
 * is cordoned at once and its pods evicted at the plan's latest safe start (`startBy`), no later than the
 * invocation can still wait for it.
 */
import { describe, expect, it } from 'vitest';
import type { PendingDrain } from '../../shared/app/drains.ts';
import { drainDeadline, drainStart, drainsOver, executePlan } from '../../shared/app/execute.ts';
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

describe('drainStart', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  // An EC2 Spot notice at T0: deadline T0 + 120 s, latest safe start 40 s before it (30 s of pod grace, 10 s).
  const aws = { deadline: iso(T0 + 120_000), startBy: iso(T0 + 80_000) };
  const cases: Array<{
    name: string;
    action: { deadline: string; startBy?: string };
    clock: number;
    deadline?: number;
    start: number | undefined;
  }> = [
    { name: 'the latest safe start, without an invocation deadline', action: aws, clock: T0, start: T0 + 80_000 },
    // A 125 s invocation that began with the notice: it can wait until the latest safe start.
    { name: 'an invocation long enough', action: aws, clock: T0 + 3_000, deadline: T0 + 128_000, start: T0 + 80_000 },
    // A 60 s invocation: the drain needs its 40 s and 5 s to record before the invocation ends.
    { name: 'bounded by the invocation', action: aws, clock: T0 + 3_000, deadline: T0 + 63_000, start: T0 + 18_000 },
    { name: 'an invocation too short to wait: now', action: aws, clock: T0, deadline: T0 + 40_000, start: undefined },
    { name: 'the latest safe start already past: now', action: aws, clock: T0 + 90_000, start: undefined },
    // An Azure or GCP notice of 30 s: the plan gives no start, the drain starts at once.
    { name: 'no start in the plan: now', action: { deadline: iso(T0 + 30_000) }, clock: T0, start: undefined },
  ];
  it.each(cases)('$name', ({ action, clock, deadline, start }) => {
    expect(
      drainStart(
        depsAt(() => clock, deadline),
        action,
      ),
    ).toBe(start);
  });
});

describe('executePlan cordons at once and evicts at the latest safe start', () => {
  function setup(waits: boolean) {
    let clock = T0;
    const log: string[] = [];
    const cluster = {
      findNodeByInstance: async (id: string) => ({ name: `node-${id}`, gpus: 1, ready: true }),
      cordon: async (node: string) => {
        log.push(`cordon ${node} at ${(clock - T0) / 1000}s`);
      },
      drain: async (node: string, deadline: Date) => {
        log.push(`drain ${node} at ${(clock - T0) / 1000}s until ${(deadline.getTime() - T0) / 1000}s`);
        return { node, evicted: [], remaining: [], complete: true };
      },
    } as unknown as ClusterPort;
    const pool = { id: 'p', cloud: 'aws', kind: 'ec2-fleet', tags: { cluster: 'c' } } as unknown as Pool;
    let parked: readonly PendingDrain[] = [];
    let release: (() => void) | undefined;
    const deps = {
      ...depsAt(() => clock),
      clouds: { capacityFor: () => undefined, cluster: () => cluster },
      parked: (d: readonly PendingDrain[]) => {
        parked = d;
      },
      // Resolved by the test once the application's clock gets there.
      ...(waits
        ? {
            waitUntil: (at: number) => {
              log.push(`wait until ${(at - T0) / 1000}s`);
              return new Promise<void>((resolve) => {
                release = () => {
                  clock = at;
                  resolve();
                };
              });
            },
          }
        : {}),
    } as unknown as AppDeps;
    const plan = {
      pools: [],
      actions: [
        {
          type: 'cordon-drain',
          poolId: 'p',
          instanceId: 'i-1',
          deadline: new Date(T0 + 120_000).toISOString(),
          startBy: new Date(T0 + 80_000).toISOString(),
          reason: 'warning notice e',
        },
      ],
    } as unknown as Plan;
    const fleet = { id: 'f', pools: [pool] } as unknown as Fleet;
    return { log, deps, plan, fleet, parked: () => parked, release: () => release?.() };
  }

  it('waits on the application clock for the start, then drains until the deadline', async () => {
    const { log, deps, plan, fleet, parked, release } = setup(true);
    const out = await executePlan(deps, plan, { fleet, eventId: 'e' });
    expect(out.pending).toHaveLength(1);
    // Cordoned under the lease; the wait starts with it and nothing is evicted yet.
    expect(out.pending[0]!.waitingUntil).toBe(T0 + 80_000);
    expect(log).toEqual(['cordon node-i-1 at 0s', 'wait until 80s']);
    const over = drainsOver(deps, out.pending);
    expect(parked()).toEqual(out.pending);
    release();
    const outcomes = await over;
    expect(outcomes[0]!.result?.complete).toBe(true);
    expect(log).toEqual(['cordon node-i-1 at 0s', 'wait until 80s', 'drain node-i-1 at 80s until 120s']);
    expect(out.pending[0]!.waitingUntil).toBeUndefined();
  });

  it('drains at once when the application cannot wait on its clock', async () => {
    const { log, deps, plan, fleet } = setup(false);
    const out = await executePlan(deps, plan, { fleet, eventId: 'e' });
    // Over before the plan's other actions: nothing left pending.
    expect(out.pending).toEqual([]);
    expect(log).toEqual(['cordon node-i-1 at 0s', 'drain node-i-1 at 0s until 120s']);
  });
});
