/**
 * What became of a decision, in one place: the audit record's status, which failures a retry of the event
 * can fix, and the status the function answers with.
 */
import { isRetryableKind } from '../domain/errors.ts';
import type { HistoryEntry, Plan } from '../engine/types.ts';
import type { FailedAction, OutcomeStatus } from '../state/records.ts';
import type { ExecutionResult } from './execute.ts';

/**
 * Reads that leave an input out of one decision (the next decision reads them again) and the decision's own
 * event on the bus (informational): failing them fails nothing a retry would fix. A pool that could not be
 * described is not one of them: the decision kept its last known count and is `partial`, and the event is
 * retried when a retry can help (throttling, a 5xx, an API that is down).
 */
const INFORMATIONAL = new Set(['list-reservations', 'publish']);

/** The audit record's status of an executed (or held back) plan. */
export function outcomeStatus(plan: Plan, result: ExecutionResult, failures: readonly FailedAction[]): OutcomeStatus {
  if (plan.dryRun) return 'dry-run';
  if (plan.paused) return 'paused';
  if (failures.some((f) => f.action === 'describe')) return 'partial';
  if (failures.length && result.applied.some((a) => a.action === 'set-desired' || a.action === 'cordon-drain'))
    return 'partial';
  if (failures.length && plan.actions.length) return 'failed';
  return result.changed ? 'applied' : 'no-change';
}

/**
 * The history entry of an executed plan, as it happened: a pool whose resize failed is recorded with the
 * count its cloud was found holding after the failure (the write may have been taken before it failed), and
 * keeps its count when the cloud holds that or when what it holds is not known (a recorded raise that never
 * happened would count, for the engine's rate limits and its launch-shortfall check, as nodes asked for).
 * `applied` says whether anything changed.
 */
export function historyOf(plan: Plan, result: ExecutionResult): HistoryEntry {
  const entry = plan.historyEntry;
  const failed = new Set(result.failed.filter((f) => f.action === 'set-desired').map((f) => f.poolId));
  if (!failed.size) return { ...entry, applied: result.changed && !plan.paused };
  const pools: NonNullable<HistoryEntry['pools']> = [];
  let to = entry.to;
  let held = false;
  for (const p of entry.pools ?? []) {
    if (!failed.has(p.poolId)) {
      pools.push(p);
      continue;
    }
    const now = result.heldAfterFailure?.get(p.poolId);
    const kept = now ?? p.from;
    to += kept - p.to;
    if (kept === p.from) continue;
    pools.push({ ...p, to: kept });
    held = true;
  }
  return { ...entry, to, pools, applied: (result.changed || held) && !plan.paused };
}

/** Failures a retry of the event can fix (throttling, a 5xx, a conflict) and whether others remain. */
export function classifyFailures(failures: readonly FailedAction[]): { retryable: FailedAction[]; other: boolean } {
  const acting = failures.filter((f) => !INFORMATIONAL.has(f.action));
  const retryable = acting.filter((f) => isRetryableKind(f.kind));
  return { retryable, other: acting.length > retryable.length };
}

/**
 * Capacity actions of a decision failed in a way a retry can fix (throttling, a 5xx, a conflict): the
 * decision recorded them and applied the rest; the event is retried, and the next decision re-observes the
 * pools and does only what is still missing.
 */
export class RetryableActionsError extends Error {
  readonly fleetId: string;
  readonly failed: Array<{ poolId?: string; action: string; kind?: string }>;
  constructor(fleetId: string, failed: readonly FailedAction[]) {
    super(
      `fleet ${fleetId}: ${failed.map((f) => `${f.action} of ${f.poolId || '?'} failed (${f.kind})`).join('; ')}; retry`,
    );
    this.name = 'RetryableActionsError';
    this.fleetId = fleetId;
    this.failed = failed.map(({ poolId, action, kind }) => ({ ...(poolId ? { poolId } : {}), action, kind }));
  }
}
