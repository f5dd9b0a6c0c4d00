/**
 * What the fleets' notice enlistments read, shared with what runs beside the decisions (`batch.ts`,
 * `cordon-first.ts`).
 */
import type { FleetState } from '../state/records.ts';

/**
 * Each fleet's state as the first request of its notice's enlistment read it (`StatePort.enlist` returns the
 * whole item): what the cordons made ahead of the decisions read of the fleets' pauses (`cordon-first.ts`),
 * instead of a read of their own. A fleet whose enlistment failed, or never ran, reads as `undefined` (not read).
 * Every entry settles: the trigger settles what is left once its decisions end.
 */
export class FleetReads {
  private readonly entries = new Map<
    string,
    { read: Promise<FleetState | undefined>; settle: (s?: FleetState) => void }
  >();

  constructor(fleetIds: Iterable<string>) {
    for (const id of fleetIds) {
      let settle: (s?: FleetState) => void = () => {};
      const read = new Promise<FleetState | undefined>((resolve) => {
        settle = resolve;
      });
      this.entries.set(id, { read, settle });
    }
  }

  /** The fleet's state as its enlistment read it; undefined when it was not read (or the fleet is not here). */
  stateOf(fleetId: string): Promise<FleetState | undefined> {
    return this.entries.get(fleetId)?.read ?? Promise.resolve(undefined);
  }

  /** Settles the fleet's entry (the first settle wins); without a state: not read. */
  settle(fleetId: string, state?: FleetState): void {
    this.entries.get(fleetId)?.settle(state);
  }

  /** Settles every entry not settled yet as not read. */
  settleAll(): void {
    for (const id of this.entries.keys()) this.settle(id);
  }
}
