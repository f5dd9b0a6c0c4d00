/**
 * What the application keeps between decisions, independent of where it is kept: the fleet's state, the
 * audit record of a decision and the errors of the state port. `StateStore` (DynamoDB) implements
 * `FleetStatePort`; the tests use the fake in `test/support/fakes.ts`.
 */
import type { Enlisted, FleetRead, StatePort } from '../domain/ports.ts';
import type { DecisionState, HistoryEntry, Plan } from '../engine/types.ts';

export type { RejectedEvent } from '../domain/ports.ts';

/**
 * The durable per-fleet state: what the engine reads as `DecisionState` (pause, manual target, offering
 * backoff, interruptions already handled), plus the version used for conditional writes.
 */
export interface FleetState extends DecisionState {
  fleetId: string;
  /** Bumped on every save; a save must name the version it read. */
  version: number;
}

/** `batched`: a notice decided in another invocation's decision (`handledBy`), which has its plan and outcome. */
export type OutcomeStatus =
  | 'applied'
  | 'partial'
  | 'failed'
  | 'dry-run'
  | 'paused'
  | 'no-change'
  | 'rejected'
  | 'batched';

export interface AppliedAction {
  /** The pool, or the Deployment (`namespace/name`). */
  poolId?: string;
  action: string;
  detail?: unknown;
}

export interface FailedAction {
  /** The pool, or the Deployment (`namespace/name`); none for what concerns no pool (publishing, saving). */
  poolId?: string;
  action: string;
  error: string;
  kind?: string;
  code?: string;
}

export interface AuditRecord {
  fleetId: string;
  at: string;
  eventId: string;
  /** What triggered it: the function, the signal type, the source, and for operators who asked and why. */
  trigger: { fn: string; signal: string; source: string; actor?: string; reason?: string };
  dryRun: boolean;
  paused: boolean;
  /** The plan as the engine produced it (with its reasons). */
  plan?: Plan;
  outcome: { status: OutcomeStatus; applied: AppliedAction[]; failed: FailedAction[] };
  /** Inputs that were missing or degraded (metrics store down, no forecast...). */
  notes?: string[];
  /** The other events whose interruption notices this decision took with its own (`shared/app/batch.ts`). */
  notices?: string[];
  /** For a notice another decision handled: that decision (its event and time: its own audit record). */
  handledBy?: { eventId: string; at: string };
}

export type FleetStatePort = StatePort<FleetState, HistoryEntry, AuditRecord>;

/**
 * What `enlist` answers, built the same way by every store: the fleet as read with the notice recorded (its
 * notices, none as an empty list), and whether the lease is `owner`'s; else its holder (the lease's fields
 * as they are then: `eventId` undefined when it was taken for no event).
 */
export function enlistedAnswer<State, Entry>(
  read: FleetRead<State, Entry>,
  owner: string,
  lease: { owner?: string; until?: number; eventId?: string },
): Enlisted<State, Entry> {
  const held = lease.owner === owner;
  return {
    ...read,
    notices: read.notices ?? [],
    held,
    ...(held
      ? {}
      : {
          holder: {
            owner: String(lease.owner),
            until: Number(lease.until),
            ...(lease.eventId !== undefined ? { eventId: lease.eventId } : {}),
          },
        }),
  };
}

/** Another invocation holds the fleet's lease. Retryable: Lambda retries the event. */
export class LeaseBusyError extends Error {
  readonly fleetId: string;
  constructor(fleetId: string, owner: string) {
    super(`fleet ${fleetId} is being decided by another invocation (${owner}); retry`);
    this.name = 'LeaseBusyError';
    this.fleetId = fleetId;
  }
}

/**
 * A drain command's claim stayed with another invocation, acting and not done, for as long as this one could
 * wait (`shared/app/drain-claim.ts`). Retryable: Lambda delivers the command again, and that delivery finds it
 * done (nothing to do) or its holder's lease over (it takes the drain over).
 */
export class DrainClaimBusyError extends Error {
  readonly fleetId: string;
  readonly commandId: string;
  readonly holder: { owner: string; by: string; until: number };
  constructor(fleetId: string, commandId: string, holder: { owner: string; by: string; until: number }) {
    super(
      `drain command ${commandId} of fleet ${fleetId} is being acted on by ${holder.by} (${holder.owner}) until ${new Date(holder.until).toISOString()}; retry`,
    );
    this.name = 'DrainClaimBusyError';
    this.fleetId = fleetId;
    this.commandId = commandId;
    this.holder = holder;
  }
}

/** No audit record of the fleet at the key `amendAudit` was given (nothing is created). Not retryable. */
export class AuditNotFoundError extends Error {
  readonly fleetId: string;
  readonly key: string;
  constructor(fleetId: string, key: string, options?: { cause?: unknown }) {
    super(`no audit record of fleet '${fleetId}' at ${key}`, options);
    this.name = 'AuditNotFoundError';
    this.fleetId = fleetId;
    this.key = key;
  }
}

/** The fleet state changed since it was read (another invocation saved first). Retryable. */
export class StaleStateError extends Error {
  readonly fleetId: string;
  constructor(fleetId: string, version: number) {
    super(`fleet ${fleetId} state changed since version ${version} was read; retry`);
    this.name = 'StaleStateError';
    this.fleetId = fleetId;
  }
}
