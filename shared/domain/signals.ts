/**
 * Domain signals: what a raw event means to the autoscaler. Parsers in `events/` produce them; the engine
 * consumes them. Every signal keeps the id of the event it came from (for idempotency and audit).
 */
import type { Cloud } from './types.ts';

interface SignalBase {
  /** Id of the source event (EventBridge id, Event Grid id, Pub/Sub messageId, ...). */
  eventId: string;
  /** The event's source, e.g. `aws.cloudwatch`, `azure.scheduledevents`, `gcp.compute.preemption`. */
  source: string;
  /** ISO time the event says it happened. */
  time: string;
  /** Fleet and pool the signal maps to, when configuration or tags say so. */
  fleetId?: string;
  poolId?: string;
  /**
   * For a document the cloud updates in place under the same id (an Azure scheduled event going from
   * Scheduled to Started, its NotBefore moved): a digest of what the signal was made from. Deduplication
   * keys on `eventId` and `revision`, so an update is acted on and a mere redelivery is not.
   */
  revision?: string;
  /** Items of a batch delivery that were malformed: each is rejected on its own, the valid ones act. */
  rejected?: RejectedItem[];
}

/** One malformed item of a batch (an Event Grid array, a Scheduled Events document's `Events`). */
export interface RejectedItem {
  /** The item's own id when it has a readable one, else the delivery's id and the item's path. */
  eventId?: string;
  source: string;
  /** Where the item sat in the delivery and what was wrong (the `ParseError`'s fields). */
  path: string;
  reason: string;
  /** The item as received. */
  item: unknown;
}

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

export interface MetricAlarmSignal extends SignalBase {
  type: 'metric-alarm';
  cloud: Cloud;
  alarmName: string;
  state: AlarmState;
  previousState?: AlarmState;
  /** `metric`, `metric-math`, `anomaly-detection`, `composite`. */
  alarmKind: 'metric' | 'metric-math' | 'anomaly-detection' | 'composite';
  namespace?: string;
  metricName?: string;
  /** The latest value the alarm evaluated, when the event carries it. */
  value?: number;
  threshold?: number;
  comparison?: string;
  dimensions: Record<string, string>;
  reason?: string;
}

export type InterruptionKind = 'warning' | 'rebalance' | 'preempt' | 'reservation-interruption' | 'maintenance';

/** What a maintenance notice may say the cloud does after which the node does not come back. */
export const MAINTENANCE_ENDS = new Set(['terminate', 'delete', 'stop', 'hibernate']);

/**
 * Whether a notice leaves its node in place: a rebalance recommendation (the node is at risk, replaced ahead,
 * and goes when its interruption comes) and maintenance it comes back from (a reboot, a freeze, a redeploy).
 * A later notice that ends such a node is a new one for it, not a repeat.
 */
export function noticeKeepsNode(kind: InterruptionKind, action?: string): boolean {
  return kind === 'rebalance' || (kind === 'maintenance' && !MAINTENANCE_ENDS.has(action ?? ''));
}

export interface InterruptionSignal extends SignalBase {
  type: 'interruption';
  cloud: Cloud;
  kind: InterruptionKind;
  /** EC2 instance ids, Azure VM names / resource ids, GCP instance names. */
  instanceIds: string[];
  /** When the capacity is taken back (ISO). Absent for a rebalance recommendation. */
  deadline?: string;
  /** What the cloud says it will do: terminate, stop, hibernate, delete, reboot, freeze. */
  action?: string;
  zone?: string;
  region?: string;
  /**
   * Set by the decision that reads the notice, never by a parser (`resolveInterruptions`): the instances had
   * gone from the pool the notice named when it was read, its deadline passed (a notice that came late: an
   * Azure or GCP Spot VM is deleted or stopped 30 s after its notice). Their loss is learned and their offering
   * backed off; nothing is drained, removed or lowered for them (the pool's own count no longer holds them).
   */
  gone?: true;
}

export type ReservationChangeKind =
  | 'delivered'
  | 'active'
  | 'expiring'
  | 'expired'
  | 'interrupted'
  | 'underutilized'
  | 'scheduled';

export interface ReservationChangeSignal extends SignalBase {
  type: 'reservation-change';
  cloud: Cloud;
  kind: ReservationChangeKind;
  reservationIds: string[];
  /** `capacity-block` | `odcr` | `future-odcr` | `interruptible-odcr`. */
  reservationType?: string;
  instanceType?: string;
  zone?: string;
  region?: string;
  instanceCount?: number;
  /** For underutilization: the share (0..1) of the reservation in use. */
  utilization?: number;
  startTime?: string;
  endTime?: string;
  /** Instances affected (interruption of reservation instances). */
  instanceIds?: string[];
}

export interface TickSignal extends SignalBase {
  type: 'tick';
  /** `forecast`: run the forecaster; `schedule`: apply business-hours windows. */
  purpose: 'forecast' | 'schedule';
  /** For schedule ticks: the window name the schedule was created for, if any. */
  window?: string;
}

export const OPERATOR_COMMANDS = [
  'status',
  'plan',
  'scale',
  'clear-target',
  'pause',
  'resume',
  'drain',
  'explain',
  'history',
] as const;
export type OperatorCommandName = (typeof OPERATOR_COMMANDS)[number];

export interface OperatorCommandSignal extends SignalBase {
  type: 'operator-command';
  command: OperatorCommandName;
  /** Who asked (IAM principal, user name). Required for anything that changes state. */
  actor: string;
  reason?: string;
  /** For `scale`: the fleet-wide target; with `poolId`, the pool's. */
  target?: number;
  /** ISO time after which a manual `scale` target or a `pause` lapses. */
  expiresAt?: string;
  /** For `drain`: the node (Kubernetes node name or cloud instance id). */
  node?: string;
  /** For `drain`: the cluster the node was found in, when the ops function looked it up. */
  cluster?: string;
  dryRun?: boolean;
  /** For `history`: which audit records (all of the fleet's, or every fleet's, newest first, by default). */
  history?: HistoryQuery;
}

/** An audit-trail query: a time range (ISO, inclusive), the trigger (function or signal type) and who asked. */
export interface HistoryQuery {
  since?: string;
  until?: string;
  /** A function name (`alarm`, `ops`, ...) or a signal type (`metric-alarm`, `operator-command`, ...). */
  trigger?: string;
  actor?: string;
  /** At most this many records per fleet (default 50). */
  limit?: number;
}

/** Capacity lifecycle we observe but do not drive on (launch results, state changes): logged, then no-op. */
export interface CapacityNoticeSignal extends SignalBase {
  type: 'capacity-notice';
  cloud: Cloud;
  /** e.g. `launch-successful`, `launch-unsuccessful`, `terminate-lifecycle`, `state-change`, `fleet-change`. */
  kind: string;
  instanceIds: string[];
  /**
   * The zone the cloud names for it (Auto Scaling's `Details['Availability Zone']`): a launch that failed there
   * backs off that zone only, where the pool has others (the group launches in another zone instead).
   */
  zone?: string;
  detail?: string;
  /** Auto Scaling lifecycle actions: what a function needs to complete the action (after draining). */
  lifecycleAction?: { autoScalingGroupName: string; hookName: string; token: string; transition: string };
}

/**
 * A drain handed off by a decision (`shared/app/handoff.ts`): the node of an instance under notice, cordoned
 * by that decision, to drain from its latest safe start and then remove, in a function of its own. It names
 * the decision (its event and time: its audit record), so the drain re-validates against what that decision
 * recorded and completes its audit record.
 */
export interface DrainCommandSignal extends SignalBase {
  type: 'drain-command';
  fleetId: string;
  /** The decision that handed the drain off: its event and its time (its audit record's). */
  decision: { eventId: string; at: string; fn: string };
  /**
   * The notice's event whose instance this is (a batched notice's own event, else the decision's). Absent,
   * with `instanceId` and `poolId`: an operator's drain, of a node only.
   */
  noticeEventId?: string;
  cluster: string;
  node: string;
  instanceId?: string;
  /** The pool the instance was observed in. */
  poolId?: string;
  /** When the capacity is taken back (ISO): the drain ends by then. */
  deadline: string;
  /** The drain's latest safe start (ISO): the node serves, cordoned, until then. */
  startBy?: string;
  reason: string;
  /** Present when the plan removes the instance once drained (its `remove-instance`): that action's reason. */
  removeReason?: string;
}

export type Signal =
  | MetricAlarmSignal
  | DrainCommandSignal
  | InterruptionSignal
  | ReservationChangeSignal
  | TickSignal
  | OperatorCommandSignal
  | CapacityNoticeSignal;

/** An event we understood and decided not to act on. Acknowledged, never retried. */
export interface NoOp {
  type: 'no-op';
  eventId?: string;
  source: string;
  reason: string;
  rejected?: RejectedItem[];
}

export type Normalized = Signal | NoOp;
