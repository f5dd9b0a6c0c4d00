/**
 * A drain command acts once, whichever path runs it: the drain function on the bus's delivery (and each
 * redelivery), or the deciding invocation itself when the command may not be on the bus (`handoff.ts`). Each
 * takes the command's claim in the state store before the drain acts (`StatePort.claimDrain`: a conditional
 * put keyed by the fleet and the command's id, which names the decision's event and the node); the path that
 * finds it taken does nothing and says so (`DrainClaimLost`).
 *
 * The claim is a lease: its holder's invocation cannot outlive its own deadline (Lambda ends it there), so the
 * lease ends then, and a holder that died mid-drain leaves a claim a later delivery takes over and finishes
 * (the drain of an emptied node and a removal already recorded change nothing: `drain-step.ts`). A holder that
 * ends settles it: done (kept: no later delivery acts again) or, after a failure a retry can fix, released.
 */
import { randomUUID } from 'node:crypto';
import type { DrainClaimHolder } from '../domain/ports.ts';
import { DrainClaimBusyError } from '../state/records.ts';
import type { AppDeps } from './deps.ts';

/**
 * A claim's lease without a known deadline (the CLI, local runs): AWS Lambda's longest function timeout
 * (15 minutes, the Lambda quotas page), the longest any invocation of the stack can hold it.
 */
export const DRAIN_CLAIM_MAX_MS = 15 * 60_000;
/** Added to the holder's deadline for the clocks of two invocations to differ by. A documented choice. */
export const DRAIN_CLAIM_MARGIN_MS = 5_000;
/** Kept from a waiting delivery's own deadline to record what it did (as the executor keeps 10 s). */
const RECORD_RESERVE_MS = 10_000;

/** The claim was another's: nothing was drained or removed by this path. */
export interface DrainClaimLost {
  commandId: string;
  /** Who holds it: done (the drain made), or still acting until `holder.until`. */
  holder: DrainClaimHolder;
}

export interface DrainClaim {
  readonly commandId: string;
  /** Whether this invocation holds it (once `take` said so). */
  readonly held: boolean;
  /**
   * Takes it: undefined when this invocation now holds it, else who does. With `wait`, a claim another holds
   * and has not done is asked again until it is done, its lease ends (taken over), or this invocation's own
   * time to wait is over: then `DrainClaimBusyError` (retryable).
   */
  take(): Promise<DrainClaimLost | undefined>;
  /** Ends it when held: `done`, or `released` for a retry to act. */
  settle(how: 'done' | 'released'): Promise<void>;
}

export function drainClaim(
  deps: AppDeps,
  c: { fleetId: string; commandId: string; by: string; wait: boolean },
): DrainClaim {
  const owner = (deps.newId ?? randomUUID)();
  let held = false;
  const ask = () => {
    const now = deps.clock().getTime();
    const deadline = deps.deadline?.();
    const until = deadline !== undefined ? deadline + DRAIN_CLAIM_MARGIN_MS : now + DRAIN_CLAIM_MAX_MS;
    return deps.store.claimDrain(c.fleetId, { commandId: c.commandId, owner, by: c.by, now, until });
  };
  return {
    commandId: c.commandId,
    get held() {
      return held;
    },
    async take() {
      // Real time, as the fleet lease's wait: the application's clock may stand still (tests, simulation).
      const deadline = deps.deadline?.();
      const budget =
        deadline !== undefined ? deadline - deps.clock().getTime() - RECORD_RESERVE_MS : (deps.leaseWaitMs ?? 10_000);
      const waitUntil = Date.now() + Math.max(0, budget);
      let delay = 25;
      for (;;) {
        const answer = await ask();
        if (answer.held) {
          held = true;
          return undefined;
        }
        const { holder } = answer;
        if (holder.done || !c.wait) return { commandId: c.commandId, holder };
        if (Date.now() + delay > waitUntil) throw new DrainClaimBusyError(c.fleetId, c.commandId, holder);
        deps.counters?.count('Retries');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1_000);
      }
    },
    async settle(how) {
      if (!held) return;
      held = false;
      await deps.store.settleDrain(c.fleetId, c.commandId, owner, how);
    },
  };
}

/**
 * What the audit record says of a command whose claim this path lost (beside the command's handoff). The
 * deciding invocation's fallback adds what became of the command's publish (`publish`: refused, or without an
 * answer) and its error.
 */
export function notClaimedApplied(
  lost: DrainClaimLost,
  drain: { poolId?: string; cluster: string; node: string },
  by: string,
  publish?: { publish: 'refused' | 'unknown'; error: string },
): { poolId?: string; action: 'drain-not-claimed'; detail: Record<string, unknown> } {
  return {
    ...(drain.poolId ? { poolId: drain.poolId } : {}),
    action: 'drain-not-claimed',
    detail: {
      command: lost.commandId,
      cluster: drain.cluster,
      node: drain.node,
      by,
      heldBy: lost.holder.by,
      done: lost.holder.done,
      ...(publish ?? {}),
    },
  };
}
