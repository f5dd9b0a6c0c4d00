/**
 * Properties of what became of a decision (shared/app/outcome.ts) over random plans, executions and failures.
 *
 * What its comments promise. The status: a dry run is `dry-run` and a paused plan `paused` whatever happened; a
 * pool that could not be described makes the decision `partial`; failures beside an applied resize or drain
 * make it `partial`; without failures it is `applied` when a pool's count changed, else `no-change`. The
 * history entry: without a failed resize it is the plan's entry, applied when the execution changed something
 * and the plan is not paused; a pool whose resize failed is recorded with the count its cloud was found
 * holding, and left out when that is its count before or is not known; the fleet's `to` moves with it (a fleet
 * entry whose pools add up keeps adding up); the other pools stay as planned. The failures a retry can fix are
 * the throttled, transient and conflicting ones of actions that act (not the informational reads and the
 * decision's own event), and failing an informational one changes nothing of that. `PROP_RUNS` sets the runs
 * per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../shared/app/execute.ts';
import { classifyFailures, historyOf, outcomeStatus, RetryableActionsError } from '../../shared/app/outcome.ts';
import { CLOUD_ERROR_KINDS, isRetryableKind } from '../../shared/domain/errors.ts';
import type { HistoryEntry, Plan } from '../../shared/engine/types.ts';
import type { AppliedAction, FailedAction } from '../../shared/state/records.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const INFORMATIONAL = ['list-reservations', 'publish'];
const ACTING = ['set-desired', 'cordon-drain', 'remove-instance', 'set-warm', 'scale-deployment', 'describe', 'drain'];
const POOLS = ['gpu-a', 'gpu-b', 'gpu-c', 'gpu-d'];

const failureArb: fc.Arbitrary<FailedAction> = fc.record(
  {
    poolId: fc.constantFrom(...POOLS, ''),
    action: fc.constantFrom(...ACTING, ...INFORMATIONAL),
    error: fc.string({ maxLength: 20 }),
    kind: fc.constantFrom(...CLOUD_ERROR_KINDS, 'unknown-kind'),
  },
  { requiredKeys: ['action', 'error'] },
);
const appliedArb: fc.Arbitrary<AppliedAction> = fc.record(
  {
    poolId: fc.constantFrom(...POOLS),
    action: fc.constantFrom('set-desired', 'cordon-drain', 'cordon', 'mark-offering', 'set-warm', 'drain-handoff'),
  },
  { requiredKeys: ['action'] },
);

/** Only what outcome.ts reads of a plan and of an execution. */
function planOf(o: { dryRun: boolean; paused: boolean; actions: number; entry?: HistoryEntry }): Plan {
  return {
    dryRun: o.dryRun,
    paused: o.paused,
    actions: Array.from({ length: o.actions }, (_, i) => ({ type: 'set-desired', poolId: POOLS[i % POOLS.length] })),
    historyEntry: o.entry,
  } as unknown as Plan;
}
function resultOf(o: {
  applied?: AppliedAction[];
  failed?: FailedAction[];
  changed: boolean;
  held?: Map<string, number>;
}): ExecutionResult {
  return {
    applied: o.applied ?? [],
    failed: o.failed ?? [],
    refused: [],
    changed: o.changed,
    ...(o.held ? { heldAfterFailure: o.held } : {}),
    pending: [],
    touched: new Set(),
    handed: [],
  };
}

describe('outcomeStatus', () => {
  const caseArb = fc.record({
    dryRun: fc.boolean(),
    paused: fc.boolean(),
    actions: fc.nat({ max: 4 }),
    applied: fc.array(appliedArb, { maxLength: 4 }),
    changed: fc.boolean(),
    failures: fc.array(failureArb, { maxLength: 4 }),
  });

  it('a dry run is dry-run, a paused plan paused, whatever was applied or failed', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const s = outcomeStatus(planOf(c), resultOf(c), c.failures);
        if (c.dryRun) expect(s).toBe('dry-run');
        else if (c.paused) expect(s).toBe('paused');
        else expect(['dry-run', 'paused']).not.toContain(s);
      }),
      RUNS,
    );
  });

  it('a pool not described, or failures beside an applied resize or drain: partial', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(!c.dryRun && !c.paused);
        const s = outcomeStatus(planOf(c), resultOf(c), c.failures);
        const described = !c.failures.some((f) => f.action === 'describe');
        const acted = c.applied.some((a) => a.action === 'set-desired' || a.action === 'cordon-drain');
        if (!described || (c.failures.length > 0 && acted)) expect(s).toBe('partial');
      }),
      RUNS,
    );
  });

  it('without failures: applied when a count changed, else no-change', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        fc.pre(!c.dryRun && !c.paused);
        expect(outcomeStatus(planOf(c), resultOf(c), [])).toBe(c.changed ? 'applied' : 'no-change');
      }),
      RUNS,
    );
  });

  it('is one of the statuses an executed plan can have (never batched or rejected)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(['applied', 'partial', 'failed', 'dry-run', 'paused', 'no-change']).toContain(
          outcomeStatus(planOf(c), resultOf(c), c.failures),
        );
      }),
      RUNS,
    );
  });
});

describe('historyOf', () => {
  /** A history entry whose pools add up to its `to` (as the engine writes it), and what its execution did. */
  const arb = fc
    .record({
      pools: fc.uniqueArray(
        fc.record({ poolId: fc.constantFrom(...POOLS), from: fc.nat({ max: 20 }), to: fc.nat({ max: 20 }) }),
        { selector: (p) => p.poolId, maxLength: 4 },
      ),
      others: fc.nat({ max: 10 }),
      changed: fc.boolean(),
      paused: fc.boolean(),
      applied: fc.boolean(),
      // Which pools' resize failed (a pool not in the entry too), and what each cloud then held.
      failedPools: fc.subarray([...POOLS, 'gpu-z']),
      held: fc.dictionary(fc.constantFrom(...POOLS, 'gpu-z'), fc.nat({ max: 20 })),
      otherFailures: fc.array(
        failureArb.filter((f) => f.action !== 'set-desired'),
        { maxLength: 3 },
      ),
    })
    .map((c) => {
      const from = c.others + c.pools.reduce((s, p) => s + p.from, 0);
      const to = c.others + c.pools.reduce((s, p) => s + p.to, 0);
      const entry: HistoryEntry = {
        at: '2026-12-05T10:00:00.000Z',
        fleetId: 'f',
        recommendation: to,
        from,
        to,
        applied: c.applied,
        pools: c.pools,
      };
      // A held count is only known for a pool whose resize failed (execute.ts reads those again).
      const held = new Map(Object.entries(c.held).filter(([id]) => c.failedPools.includes(id)));
      const failed: FailedAction[] = [
        ...c.failedPools.map((poolId) => ({ poolId, action: 'set-desired', error: 'timed out', kind: 'transient' })),
        ...c.otherFailures,
      ];
      return { ...c, entry, held, failed };
    });

  it('records each failed resize with what its cloud holds, leaves out one that holds its count, keeps the rest', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const plan = planOf({ dryRun: false, paused: c.paused, actions: c.pools.length, entry: c.entry });
        const got = historyOf(plan, resultOf({ failed: c.failed, changed: c.changed, held: c.held }));
        const wanted = c.pools.flatMap((p) => {
          if (!c.failedPools.includes(p.poolId)) return [p];
          const h = c.held.get(p.poolId);
          return h === undefined || h === p.from ? [] : [{ ...p, to: h }];
        });
        expect(got.pools).toEqual(wanted);
        expect(got.from).toBe(c.entry.from);
        expect(got.at).toBe(c.entry.at);
        expect(got.recommendation).toBe(c.entry.recommendation);
      }),
      RUNS,
    );
  });

  it("the fleet's `to` moves with its pools: an entry that adds up keeps adding up", () => {
    fc.assert(
      fc.property(arb, (c) => {
        const plan = planOf({ dryRun: false, paused: c.paused, actions: c.pools.length, entry: c.entry });
        const got = historyOf(plan, resultOf({ failed: c.failed, changed: c.changed, held: c.held }));
        const moved = (got.pools ?? []).reduce((s, p) => s + p.to - p.from, 0);
        expect(got.to).toBe(got.from + moved);
      }),
      RUNS,
    );
  });

  it('applied: something changed (or a failed resize was taken), and the plan is not paused', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const plan = planOf({ dryRun: false, paused: c.paused, actions: c.pools.length, entry: c.entry });
        const got = historyOf(plan, resultOf({ failed: c.failed, changed: c.changed, held: c.held }));
        const taken = c.pools.some((p) => {
          const h = c.held.get(p.poolId);
          return c.failedPools.includes(p.poolId) && h !== undefined && h !== p.from;
        });
        expect(got.applied).toBe((c.changed || taken) && !c.paused);
      }),
      RUNS,
    );
  });

  it("without a failed resize it is the plan's own entry", () => {
    fc.assert(
      fc.property(arb, (c) => {
        const plan = planOf({ dryRun: false, paused: c.paused, actions: c.pools.length, entry: c.entry });
        const got = historyOf(plan, resultOf({ failed: c.otherFailures, changed: c.changed, held: c.held }));
        expect(got).toEqual({ ...c.entry, applied: c.changed && !c.paused });
      }),
      RUNS,
    );
  });
});

describe('classifyFailures', () => {
  const failuresArb = fc.array(failureArb, { maxLength: 8 });

  it('retryable: the acting failures of a retryable kind, in order; other: whether an acting one is not', () => {
    fc.assert(
      fc.property(failuresArb, (failures) => {
        const { retryable, other } = classifyFailures(failures);
        // A subsequence of the failures, in their order.
        let at = 0;
        for (const r of retryable) {
          at = failures.indexOf(r, at) + 1;
          expect(at).toBeGreaterThan(0);
        }
        for (const r of retryable) {
          expect(isRetryableKind(r.kind)).toBe(true);
          expect(INFORMATIONAL).not.toContain(r.action);
        }
        const acting = failures.filter((f) => !INFORMATIONAL.includes(f.action));
        expect(retryable).toHaveLength(acting.filter((f) => isRetryableKind(f.kind)).length);
        expect(other).toBe(acting.some((f) => !isRetryableKind(f.kind)));
      }),
      RUNS,
    );
  });

  it('failing an informational read or the decision event changes nothing of it', () => {
    fc.assert(
      fc.property(
        failuresArb,
        fc.array(failureArb.map((f) => ({ ...f, action: f.action === 'publish' ? 'publish' : 'list-reservations' }))),
        fc.nat(),
        (failures, informational, seed) => {
          const mixed = [...failures];
          for (const [i, f] of informational.entries()) mixed.splice((seed + i * 7) % (mixed.length + 1), 0, f);
          expect(classifyFailures(mixed)).toEqual(classifyFailures(failures));
        },
      ),
      RUNS,
    );
  });
});

describe('RetryableActionsError', () => {
  it('names the fleet and each failed action, keeping a pool only where there is one', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.array(failureArb, { minLength: 1, maxLength: 5 }),
        (fleet, failed) => {
          const e = new RetryableActionsError(fleet, failed);
          expect(e.fleetId).toBe(fleet);
          expect(e.message.startsWith(`fleet ${fleet}: `)).toBe(true);
          for (const f of failed) expect(e.message).toContain(`${f.action} of ${f.poolId || '?'} failed (${f.kind})`);
          expect(e.failed).toEqual(
            failed.map((f) => ({ ...(f.poolId ? { poolId: f.poolId } : {}), action: f.action, kind: f.kind })),
          );
        },
      ),
      RUNS,
    );
  });
});
