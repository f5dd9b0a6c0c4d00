/**
 * What the engine's steps read from the decision's signals (`readSignals` fills it; the operator's
 * commands are read into it by `operator.ts`). Apart from both so that neither imports the other.
 */
import type { InterruptionKind, ReservationChangeKind } from '../domain/signals.ts';
import type { Cloud } from '../domain/types.ts';
import type { ManualTarget, PauseState } from './types.ts';

/** An interruption notice for one instance. */
export interface InstanceNotice {
  eventId: string;
  instanceId: string;
  kind: InterruptionKind;
  /** The cloud that sent it: a notice without a pool is matched to a pool of that cloud (or of Kubernetes). */
  cloud?: Cloud;
  /** Pool named by the signal (or, for reservation interruptions, found through the reservation). */
  poolId?: string;
  reservationIds?: string[];
  zone?: string;
  deadline?: string;
  /** What the cloud will do (terminate, stop, reboot, freeze...). */
  action?: string;
  /** Taken back before the decision read the notice (`InterruptionSignal.gone`): nothing left to drain or lower. */
  gone?: true;
}

export interface ReservationNotice {
  eventId: string;
  kind: ReservationChangeKind;
  reservationIds: string[];
  /** `capacity-block` | `odcr` | ...: a Capacity Block's capacity ends before its end date (`reservations.ts`). */
  reservationType?: string;
  utilization?: number;
  endTime?: string;
  instanceCount?: number;
}

export interface SignalContext {
  /** Ids of the signals that concern this fleet. */
  eventIds: string[];
  notices: InstanceNotice[];
  reservations: ReservationNotice[];
  /** Metric values carried by alarms, by metric name (the latest alarm wins). */
  alarmValues: Map<string, number>;
  /**
   * Pools whose launch failed for capacity (capacity notice `launch-unsuccessful`); `refusedGrow`: a grow the
   * executor saw refused; `observed`: creations the pool's observation shows failing (`OBSERVED_FAILURE_SOURCE`).
   */
  launchFailures: Array<{ poolId: string; zone?: string; eventId: string; refusedGrow?: boolean; observed?: boolean }>;
  dryRun: boolean;
  /** The manual target in force: from a `scale` command of this decision, else from the state. */
  manualTarget?: ManualTarget;
  /** The pause in force: from a `pause` command of this decision, else from the state (unless `resume`). */
  paused?: PauseState;
  /** Nodes an operator asked to drain. */
  drains: Array<{ node: string; cluster?: string; eventId: string; reason: string }>;
}
