/**
 * From a signal to decisions: one decision per fleet the trigger routed it to. A failure in one fleet does
 * not stop the others; failures are rethrown at the end so that Lambda retries the event (and then
 * dead-letters it). Within a fleet, a pool whose action failed does not stop the other pools: a retryable
 * failure (throttling, a 5xx, a conflict) is rethrown once the decision is recorded, any other makes the
 * result `partial` (the audit record says what failed).
 *
 * Capacity refusals have one path: pools the cloud refused to grow become launch-failure signals
 * (`capacity-notice` `launch-unsuccessful`, as the clouds' own notices are) and one new decision, recorded
 * as such, backs their offerings off and places the nodes again.
 */
import type { CapacityNoticeSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import type { Reason } from '../engine/types.ts';
import { launchFailureSignal, REFUSED_GROW_SOURCE } from '../engine/signals.ts';
import { randomUUID } from 'node:crypto';
import { enlistNotice, handledElsewhere } from './batch.ts';
import type { FleetReads } from './fleet-reads.ts';
import { type DecisionOutcome, type DecisionRequest, type Gather, runDecision } from './decision.ts';
import type { EarlyCordon } from './cordon-first.ts';
import type { AppDeps } from './deps.ts';
import { classifyFailures, RetryableActionsError } from './outcome.ts';
import { messageOf } from '../domain/errors.ts';

/**
 * The rules a plan's count came from (its `rule` reasons' codes, in order) and the limits or safety checks that
 * clipped it, with the count before and after: the label of a decision in a timeline or a log line.
 */
export function ruleOf(reasons: readonly Reason[]): string {
  const rules = [...new Set(reasons.filter((r) => r.kind === 'rule').map((r) => r.code))];
  const clips = reasons
    .filter(
      (r) =>
        (r.kind === 'limit' || r.kind === 'safety') &&
        r.before !== undefined &&
        r.after !== undefined &&
        r.before !== r.after,
    )
    .map((r) => `${r.code} ${r.before}->${r.after}`);
  return `${rules.join('+') || 'no rule'}${clips.length ? `; ${clips.join(', ')}` : ''}`;
}

/** What a trigger adds to its fleets' decisions. */
export interface DecideOptions {
  /** The cordons made on the signal's notice ahead of the decisions (`cordon-first.ts`). */
  early?: Promise<readonly EarlyCordon[]>;
  /** An interruption notice is recorded with each fleet's state and decided with the others there (`batch.ts`). */
  batch?: boolean;
  /** The drains go to the drain function when one receives them (`handoff.ts`). */
  handoff?: boolean;
  /** Each fleet's state as its notice's enlistment reads it, for the cordons made ahead (`batch.ts`). */
  reads?: FleetReads;
}

/** Which fleets a signal concerns and what their decisions read; or why it concerns none. */
export type FleetRoute = { fleets: Fleet[]; gather: Gather } | { noOp: string };

export interface FleetsResult {
  status: 'decided' | 'partial';
  decisions: Array<{
    fleetId: string;
    status: string;
    targetNodes: number;
    currentNodes: number;
    /** The rules that decided (reason codes) and what clipped them, e.g. `demand.rps+demand.headroom; safety.max-step 12->8`. */
    rule: string;
    /** A notice decided in another invocation's decision (status `batched`): that decision's event and time. */
    handledBy?: { eventId: string; at: string };
  }>;
  errors: Array<{ fleetId: string; error: string }>;
}

/** The launch failures of pools a cloud refused to grow, as the engine reads the clouds' own notices. */
export function refusalSignals(signal: Signal, out: DecisionOutcome): CapacityNoticeSignal[] {
  return out.refused.flatMap((poolId) => {
    const pool = out.plan.pools.find((p) => p.poolId === poolId);
    if (!pool) return [];
    return [
      launchFailureSignal({
        source: REFUSED_GROW_SOURCE,
        cloud: pool.cloud,
        eventId: `${signal.eventId}#refused`,
        time: out.plan.at,
        fleetId: out.fleetId,
        poolId,
        detail: `growing ${poolId} was refused for capacity`,
      }),
    ];
  });
}

export async function decideForFleets(
  fn: string,
  signal: Signal,
  route: Extract<FleetRoute, { fleets: Fleet[] }>,
  deps: AppDeps,
  options: DecideOptions = {},
): Promise<FleetsResult> {
  const { early } = options;
  const decisions: FleetsResult['decisions'] = [];
  const errors: FleetsResult['errors'] = [];
  let retry: unknown;
  let partial = false;
  const record = (out: DecisionOutcome) => {
    decisions.push({
      fleetId: out.fleetId,
      status: out.audit.outcome.status,
      targetNodes: out.plan.targetNodes,
      currentNodes: out.plan.currentNodes,
      rule: ruleOf(out.plan.reasons),
    });
    const { retryable, other } = classifyFailures(out.failed);
    if (retryable.length) {
      const e = new RetryableActionsError(out.fleetId, retryable);
      errors.push({ fleetId: out.fleetId, error: e.message });
      retry ??= e;
    } else if (other) {
      // Failures a retry cannot fix (refused credentials, an invalid request, no capacity anywhere): the
      // event is acknowledged, the audit record says what failed.
      partial = true;
    }
  };
  await Promise.all(
    route.fleets.map(async (fleet) => {
      try {
        const request = {
          fn,
          fleetId: fleet.id,
          eventId: signal.eventId,
          source: signal.source,
          gather: route.gather,
          ...(options.handoff ? { handoff: true } : {}),
        };
        let lease: DecisionRequest['lease'];
        if (options.batch && signal.type === 'interruption') {
          // Recorded with the fleet's state, decided by whichever invocation holds the lease (batch.ts).
          const owner = (deps.newId ?? randomUUID)();
          const enlisted = await enlistNotice(deps, fleet.id, owner, signal, options.reads);
          if (!enlisted.held) {
            const handled = await handledElsewhere(deps, { ...request, signals: [signal] }, enlisted, early);
            decisions.push({
              fleetId: fleet.id,
              status: 'batched',
              targetNodes: enlisted.handled.targetNodes,
              currentNodes: enlisted.handled.currentNodes,
              rule: `decided with the notice of event ${enlisted.handled.by} (${enlisted.handled.at})`,
              handledBy: { eventId: enlisted.handled.by, at: enlisted.handled.at },
            });
            if (handled.failed.length) partial = true;
            return;
          }
          lease = { owner, read: enlisted.read };
        } else {
          // No enlistment reads this fleet's state: what waits on it does not wait for the decision.
          options.reads?.settle(fleet.id);
        }
        const out = await runDecision(deps, {
          ...request,
          signals: [signal],
          ...(early ? { early } : {}),
          ...(lease ? { lease } : {}),
        });
        const refusals = refusalSignals(signal, out);
        if (refusals.length) {
          // Placed again, once: a second refusal waits for the next event.
          record(out);
          record(await runDecision(deps, { ...request, eventId: refusals[0]!.eventId, signals: refusals }));
        } else record(out);
      } catch (e) {
        errors.push({ fleetId: fleet.id, error: messageOf(e) });
        deps.logger.error('decision failed', { fn, fleetId: fleet.id, eventId: signal.eventId, error: String(e) });
        // Every failure is rethrown once the other fleets are done: retryable ones (throttling, a busy lease)
        // succeed on Lambda's retry, the others end in the dead-letter queue with the event.
        retry ??= e;
      }
    }),
  );
  if (retry) throw retry;
  return { status: errors.length || partial ? 'partial' : 'decided', decisions, errors };
}
