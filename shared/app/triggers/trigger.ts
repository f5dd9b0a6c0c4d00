/**
 * A trigger is what one Lambda function reacts to: its name, the signal types it accepts (anything else is
 * rejected as sent to the wrong function) and what it does with one. Each trigger is one file in this folder;
 * `functions/<name>.ts` imports its own, and `index.ts` lists them all.
 */
import type { Signal } from '../../domain/signals.ts';
import type { Fleet } from '../../domain/types.ts';
import { FleetReads } from '../fleet-reads.ts';
import { type EarlyCordon, earlyRecorded } from '../cordon-first.ts';
import type { Gather } from '../decision.ts';
import type { AppDeps } from '../deps.ts';
import { decideForFleets, type FleetRoute, type FleetsResult } from '../fleets.ts';
import type { OpsResult } from '../ops.ts';
import type { DrainStepResult } from '../drain-step.ts';

export type TriggerResult =
  | { status: 'rejected'; reason: string; path?: string }
  | { status: 'no-op'; reason: string }
  | ({ status: 'decided' | 'partial' } & FleetsResult)
  | ({ status: 'ops' } & OpsResult)
  | ({ status: 'drain' } & DrainStepResult);

export interface Trigger<Name extends string = string, Accepts extends Signal['type'] = Signal['type']> {
  name: Name;
  /** The signal types this function acts on. */
  accepts: readonly Accepts[];
  /** Acts on an accepted signal. */
  run(signal: Extract<Signal, { type: Accepts }>, deps: AppDeps): Promise<TriggerResult>;
  /** Whether acting twice on this signal is harmless and expected (read-only operator commands): not deduplicated. */
  readOnly?(signal: Extract<Signal, { type: Accepts }>): boolean;
}

/** Any trigger, whatever it accepts (what the runtime holds). */
// biome-ignore lint/suspicious/noExplicitAny: the signal type is checked by the trigger's own `accepts`.
export type AnyTrigger = Trigger<string, any>;

/** What the fleets' decisions read on a reactive trigger: reservations too, so a reserved pool is never trusted blindly. */
export const REACTIVE: Gather = { metrics: true, demand: true, reservations: true };

/**
 * A trigger that decides for the fleets its `fleetsOf` picks: one decision per fleet, or a no-op with the reason.
 * `options.ahead`, when given, starts at the same time as the decisions (before their leases): what it does is
 * passed to them (the spot trigger's cordons, `cordon-first.ts`); `options.batch` decides a fleet's interruption
 * notices together (`batch.ts`).
 */
export function decisionTrigger<Name extends string, Accepts extends Signal['type']>(
  name: Name,
  accepts: readonly Accepts[],
  fleetsOf: (signal: Extract<Signal, { type: Accepts }>, deps: AppDeps) => FleetRoute,
  options: {
    ahead?: (
      signal: Extract<Signal, { type: Accepts }>,
      fleets: readonly Fleet[],
      deps: AppDeps,
      /** The fleets' states as their notices' enlistments read them (with `batch`). */
      reads?: FleetReads,
    ) => Promise<readonly EarlyCordon[]>;
    /** Interruption notices are decided together per fleet (`batch.ts`). */
    batch?: boolean;
    /** The drains of the nodes under notice go to the drain function, when one receives them (`handoff.ts`). */
    handoff?: boolean;
  } = {},
): Trigger<Name, Accepts> {
  return {
    name,
    accepts,
    async run(signal, deps) {
      const r = fleetsOf(signal, deps);
      if ('noOp' in r) {
        deps.counters?.count('NoOps');
        deps.logger.info('no-op', { fn: name, eventId: signal.eventId, reason: r.noOp });
        return { status: 'no-op', reason: r.noOp };
      }
      // With notices batched, the cordons read the fleets' pauses from the notice's enlistment (one request
      // fewer on the spot path); every read settles, at the latest when the decisions end.
      const reads = options.batch ? new FleetReads(r.fleets.map((f) => f.id)) : undefined;
      const early = options.ahead?.(signal, r.fleets, deps, reads);
      try {
        return await decideForFleets(name, signal, r, deps, {
          ...(early ? { early } : {}),
          ...(options.batch ? { batch: true } : {}),
          ...(options.handoff ? { handoff: true } : {}),
          ...(reads ? { reads } : {}),
        });
      } finally {
        reads?.settleAll();
        // The cordons' Events, recorded alongside the decision, before the invocation ends.
        await earlyRecorded(early);
      }
    },
  };
}
