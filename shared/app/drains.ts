/**
 * The drains an execution starts outside the fleet's lease (execute.ts), as data: what the application's
 * dependencies (`AppDeps.parked`) and the simulation see of them, apart from the executor that runs them.
 */
import type { DrainResult } from '../domain/ports.ts';
import type { CordonDrainAction, RemoveInstanceAction } from '../engine/types.ts';

/**
 * A drain started once its node was cordoned, not waited for under the lease: its instance's removal follows
 * it (under the lease still, when the drain was over before the plan's other actions; else after the lease).
 */
export interface PendingDrain {
  action: CordonDrainAction;
  cluster: string;
  node: string;
  removals: RemoveInstanceAction[];
  /** The drain, running; never rejects. */
  done: Promise<DrainOutcome>;
  /** Set when `done` has settled. */
  settled?: DrainOutcome;
  /** Set while the drain waits (`deps.waitUntil`) for its start (`drainStart`): ms on the application's clock. */
  waitingUntil?: number;
  /**
   * Asked once the wait is over, before any eviction (the drain function's re-validation, `drain-step.ts`): a
   * reason not to drain ends the drain there, skipped, and nothing follows it.
   */
  revalidate?: () => Promise<string | undefined>;
}

/**
 * A drain handed to the drain function (`handoff.ts`): its node cordoned under the decision's lease, the drain
 * and the removals that follow it left to that function, which runs apart from the decision's invocation.
 */
export interface HandedDrain {
  action: CordonDrainAction;
  cluster: string;
  node: string;
  removals: RemoveInstanceAction[];
}

export interface DrainOutcome {
  result?: DrainResult;
  error?: unknown;
  /** Not drained, and nothing done after it: why (`PendingDrain.revalidate`). */
  skipped?: string;
}
