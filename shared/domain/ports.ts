/**
 * Ports: what the core needs from a cloud, a cluster, an event bus and a metrics store.
 * Each cloud implements them in its own folder under `shared/adapters/<cloud>`, the only places that import
 * a cloud SDK. Every method throws `CloudError` (see errors.ts) and nothing else.
 */
import type { WarmFloorNotRestoredError } from './errors.ts';
import type { InterruptionSignal } from './signals.ts';
import type { CapacityType, Cloud, Pool, PoolKind } from './types.ts';
import type { WarmState } from './warm.ts';

export type InstanceLifecycle = 'pending' | 'running' | 'ready' | 'terminating' | 'terminated';

export interface ObservedInstance {
  /** EC2 instance id, Azure VM instance id / name, GCP instance name. */
  id: string;
  zone?: string;
  instanceType?: string;
  capacityType: CapacityType;
  lifecycle: InstanceLifecycle;
  /** Kubernetes node name, when the instance has joined a cluster and the cloud says so. */
  nodeName?: string;
  launchedAt?: string;
}

/** The pool's reference: enough for an adapter to find the cloud resource. */
export interface PoolRef {
  id: string;
  cloud: Cloud;
  kind: PoolKind;
  /** Fleet id / ASG name / `cluster/nodegroup` / VMSS name / MIG name / `namespace/deployment` / NodePool name. */
  resource: string;
  location: { region: string; zones: string[] };
  /** Azure: `subscriptionId/resourceGroup`; GCP: project id; Kubernetes: context. */
  scope?: string;
  tags?: Record<string, string>;
  /** Set when the pool keeps warm capacity: adapters that manage warm instances themselves look for them. */
  warm?: { state: WarmState };
}

export interface PoolObservation {
  ref: PoolRef;
  desired: number;
  /** Instances serving (running and, where the cloud knows, healthy). */
  ready: number;
  min?: number;
  max?: number;
  instances: ObservedInstance[];
  /** ISO time of the observation (the adapter's clock, passed in). */
  observedAt?: string;
  /** The pool's warm capacity, when it has a warm pool (or deallocated / standby instances). */
  warm?: WarmObservation;
  /**
   * Creations the cloud keeps failing for lack of capacity, one entry per zone with the cloud's code: a GCP
   * MIG lists each instance it has not managed to create, with its last attempt's errors
   * (`ZONE_RESOURCE_POOL_EXHAUSTED`), and retries by itself; an Azure scale set keeps a Failed VM for each seat
   * it could not allocate (`ProvisioningState/failed/AllocationFailed`), never retried, and not in `instances`.
   * The decision backs that zone's offering off and places the nodes elsewhere, as for a launch-failure event.
   */
  launchFailures?: Array<{ zone?: string; code: string }>;
}

/** Warm (stopped, hibernated, suspended) instances of a pool: not in `instances`, not counted in `desired`. */
export interface WarmObservation {
  /** Warm instances the cloud keeps (its warm pool's size, the standby target, or those deallocated). */
  target: number;
  /** Warm instances ready to resume. */
  ready: number;
  /** Warm instances still being prepared (launched, not yet stopped). */
  warming: number;
  state?: WarmState;
  instanceIds: string[];
}

/**
 * How long a call may wait on the long-running operation it starts (or finds already running): the
 * invocation's own deadline less what it needs to record the outcome. Past it, the call returns with the
 * operation `pending` instead of waiting on (an Azure VMSS update, a GCP zone or region operation, an EKS
 * node group update go on in the cloud by themselves); without it, the adapter's own poll timeout applies.
 */
export interface WaitLimit {
  /** Milliseconds from the call; 0 returns as soon as the operation is accepted. */
  waitMs?: number;
}

/** A long-running operation the cloud accepted, and whether it was still running when the wait ended. */
export interface OperationProgress {
  /** Long-running operation id, when there was one (EKS update id, GCP operation name, Azure async operation id). */
  operationId?: string;
  /** Where its status is read: the Azure-AsyncOperation URL, the GCP operation's selfLink. */
  operationUrl?: string;
  /**
   * True when the operation was still running at the end of the wait (`WaitLimit`): accepted, its outcome not
   * known yet. The next call for the same pool finds it and waits on it rather than starting it again.
   */
  pending?: boolean;
}

export interface RemoveInstanceOptions extends WaitLimit {
  /**
   * The pool's configured warm floor (`warm.min`), when it keeps warm capacity: an adapter that changes the
   * warm pool's floor for the time of the removal sets this one back, not the one it reads (which a removal
   * that failed half-way may have left raised).
   */
  warmMin?: number;
}

export interface RemoveInstanceResult extends OperationProgress {
  /**
   * The instance was removed, but something around it was left undone (the warm pool's floor not set back):
   * reported, never a failure of the removal.
   */
  warning?: WarmFloorNotRestoredError;
}

export interface SetWarmRequest extends WaitLimit {
  /** Warm instances to keep; 0 removes the warm pool. */
  size: number;
  /**
   * The fewest warm instances the cloud keeps by itself (the pool's `warm.min`, default 0): a scale-out that
   * draws on the pool is refilled only up to it; above it, the next `setWarm` says what is refilled.
   */
  min?: number;
  state: WarmState;
  reason: string;
  idempotencyToken?: string;
}

export interface SetWarmResult extends OperationProgress {
  size: number;
  previous: number;
  unchanged: boolean;
}

export interface SetDesiredRequest extends WaitLimit {
  desired: number;
  /** Why, in words; adapters put it where the API has room (ASG has none; EC2 Fleet has none; tags on MIGs). */
  reason: string;
  /** Idempotency token where the API has one (EC2 ClientToken); otherwise ignored. */
  idempotencyToken?: string;
  /**
   * The pool as observed under the fleet's lease, nothing written to it since: the adapter writes from it
   * (its desired count is the previous one) instead of reading the resource again. Without it, the adapter
   * reads the resource first.
   */
  observed?: PoolObservation;
  /**
   * A scale-in of a pool that keeps warm capacity: `nodes` of the instances that go are stopped back into the
   * warm pool (in `state`) instead of ending, and the pool keeps `warm` warm instances afterwards; the rest
   * end. Adapters without warm capacity ignore it. (ASG: the warm pool sized relative to the group,
   * MaxGroupPreparedCapacity = desired + warm, with ReuseOnScaleIn; VMSS: `deallocate` of chosen VMs; MIG:
   * `stopInstances` / `suspendInstances` of chosen VMs.)
   */
  toWarm?: { nodes: number; warm: number; state: WarmState };
}

export interface SetDesiredResult extends OperationProgress {
  /** The count the cloud accepted (may differ when the API clamps). */
  desired: number;
  /** The previous desired count, as the adapter saw it. */
  previous: number;
  /** True when the cloud already had that count and nothing was changed. */
  unchanged: boolean;
  /**
   * Warm instances the adapter tried to start that could not (capacity), replaced by new launches: the
   * offering is short of capacity. Only adapters that start warm instances themselves report it (Azure, GCP).
   */
  resumeFailures?: number;
}

/**
 * What the cloud itself says, now, of an instance an interruption notice names: the notice is checked
 * against it before anything is drained or terminated (`shared/domain/notices.ts`).
 */
export interface InstanceStatus {
  id: string;
  /** False when the cloud does not know the instance (never did, or has forgotten it). */
  found: boolean;
  /** The cloud's own state: EC2 `running` / `shutting-down` / `terminated`, Azure `PowerState/running`, GCP `RUNNING`. */
  state?: string;
  /**
   * True when the instance has already ended otherwise than by being taken back (EC2 `terminated` by a user
   * or the group, not `Server.SpotInstanceTermination`): there is nothing to interrupt. Ended by the cloud's
   * interruption is what a notice announced, and not this.
   */
  ended?: boolean;
  /** Whether the cloud runs it as spot: EC2 `instanceLifecycle` spot, VMSS priority Spot, GCP `SPOT` or preemptible. */
  spot?: boolean;
  /**
   * Whether the cloud has marked it for interruption, where it keeps such a mark (EC2: the spot request status
   * `marked-for-termination`, `marked-for-stop`, `marked-for-hibernation`, or an `instance-*-by-*`/`-no-capacity`
   * code once it happened); undefined where the cloud has none (Azure, GCP).
   */
  marked?: boolean;
  /** The cloud's words: the spot request's status code, the VM's power state, the instance's status. */
  detail?: string;
}

export interface CapacityReservation {
  id: string;
  cloud: Cloud;
  /** `capacity-block` | `odcr` | `future-odcr`. */
  type: string;
  instanceType: string;
  zone: string;
  total: number;
  available: number;
  /** `active`, `scheduled`, `payment-pending`, `expired`, `cancelled`, ... as the cloud says. */
  state: string;
  startTime?: string;
  endTime?: string;
}

/**
 * Capacity: the cloud's scalable groups (EC2 Fleet, ASG, EKS node group, VMSS, MIG).
 */
export interface CapacityPort {
  readonly cloud: Cloud;
  /**
   * Describes a pool: desired and ready counts and its instances.
   * Throws `not-found` when the resource does not exist. Retries throttling and 5xx itself.
   */
  describePool(ref: PoolRef): Promise<PoolObservation>;
  /**
   * Sets the pool's desired count and waits for the cloud to accept it (long-running operations are
   * polled until done or failed, or until `waitMs` passes: then the result is `pending`; not until the
   * instances are up). An operation for the same count already running (a redelivery, or an invocation
   * that stopped waiting) is waited on, not started again.
   * Setting the current count again is a success with `unchanged: true`.
   * Throws `not-found` if the pool is gone, `insufficient-capacity` when the cloud refuses for capacity,
   * `invalid` when the count is outside the group's own limits. Retries throttling and 5xx itself.
   */
  setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult>;
  /** Lists capacity reservations and capacity blocks in the region; [] when the cloud has no such thing. */
  listReservations(region: string): Promise<CapacityReservation[]>;
  /**
   * What the cloud says now of these instances of the pool (each with the zone it was observed in, where the
   * cloud needs it): one status per instance, `found: false` for one it does not know. Reads only.
   */
  instanceStatus?(ref: PoolRef, instances: ReadonlyArray<{ id: string; zone?: string }>): Promise<InstanceStatus[]>;
  /**
   * Terminates one instance of the pool and lowers its desired count by one (scale-in of a chosen node).
   * Waits on its long-running operation at most `limit.waitMs`; says so when it was still running.
   */
  removeInstance?(
    ref: PoolRef,
    instanceId: string,
    options?: RemoveInstanceOptions,
  ): Promise<RemoveInstanceResult | undefined>;
  /**
   * Sets how many warm instances the pool keeps, in which state, and waits for the cloud to accept it. Scale-out
   * (`setDesired`) then resumes warm instances before launching new ones; a warm instance that cannot start
   * for capacity is replaced by a cold launch. Only adapters whose cloud has the primitive implement it (ASG
   * warm pools, VMSS deallocate/start, MIG standby policy). Throws `invalid` where the pool cannot have one.
   */
  setWarm?(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult>;
}

export interface GpuNode {
  name: string;
  /** Cloud provider id, e.g. `aws:///us-east-1a/i-0abc`, `azure:///subscriptions/.../virtualMachines/3`, `gce://project/zone/name`. */
  providerId?: string;
  /** The cloud instance id or VM name derived from the provider id. */
  instanceId?: string;
  zone?: string;
  instanceType?: string;
  capacityType?: string;
  gpus: number;
  ready: boolean;
  unschedulable: boolean;
  labels: Record<string, string>;
}

export interface DrainResult {
  node: string;
  evicted: string[];
  /** Pods still there at the deadline (their budget did not allow eviction in time). */
  remaining: string[];
  /** Whether the node ended empty of evictable pods before the deadline. */
  complete: boolean;
}

/**
 * Cluster: a Kubernetes API server.
 */
export interface ClusterPort {
  /** Scales a Deployment through its scale subresource. Throws `not-found` if it does not exist. */
  scaleDeployment(namespace: string, name: string, replicas: number, why?: string): Promise<SetDesiredResult>;
  /** Lists nodes that have GPUs (`nvidia.com/gpu` or `amd.com/gpu` capacity). */
  listGpuNodes(): Promise<GpuNode[]>;
  /** Finds the node of a cloud instance (EC2 id, VM name, GCE instance name); undefined if none. */
  findNodeByInstance(instanceId: string): Promise<GpuNode | undefined>;
  /**
   * Marks a node unschedulable. Idempotent; `not-found` if the node is gone. `why` (here, in `drain` and in
   * `scaleDeployment`) goes into the Kubernetes Event the adapter records for what it did. `onCordoned` is
   * called once the node is unschedulable, before that Event is recorded (what waits for the cordon alone).
   */
  cordon(node: string, why?: string, options?: { onCordoned?: () => void }): Promise<void>;
  /**
   * Marks a node schedulable again: what undoes a cordon made on a notice the cloud then refuted. Idempotent;
   * `not-found` if the node is gone.
   */
  uncordon(node: string, why?: string): Promise<void>;
  /**
   * Evicts the node's pods (not DaemonSet pods, not mirror pods) through the Eviction API, which respects
   * PodDisruptionBudgets: a 429 is retried until `deadline`; what is left then is reported, not thrown.
   * A node that is already gone is an empty, complete drain. The node is cordoned first unless the caller
   * says it cordoned it itself (`cordoned`: then no read or write of the node precedes the evictions).
   */
  drain(node: string, deadline: Date, why?: string, options?: { cordoned?: boolean }): Promise<DrainResult>;
}

export interface DecisionEvent {
  /** EventBridge `detail-type`, e.g. `Scaling Decision`, `Scaling Action Failed`. */
  detailType: string;
  /** Source, e.g. `gpu-autoscaler`. */
  source: string;
  detail: Record<string, unknown>;
  time?: string;
}

/**
 * Events out: publishes decisions to a bus (EventBridge PutEvents). When any entry is not on the bus, throws
 * `PartialPublishError` (`shared/domain/errors.ts`) naming the refused entries by position: the others were
 * accepted (and will be delivered), so a caller falls back only for the refused ones.
 */
export interface EventsPort {
  publish(events: DecisionEvent[]): Promise<void>;
}

export interface MetricSeries {
  labels: Record<string, string>;
  /** [unix seconds, value] pairs in time order. */
  points: Array<[number, number]>;
}

export const METRIC_AGGREGATIONS = ['sum', 'avg', 'min', 'max'] as const;
export type MetricAggregation = (typeof METRIC_AGGREGATIONS)[number];

/**
 * A metric asked for by name: the series of `metric` whose labels equal `labels`, combined into one series by
 * `aggregation` (PromQL `avg(gpu_utilization{fleet="llm"})`; a CloudWatch read of the metric it maps to).
 */
export interface MetricQuery {
  metric: string;
  labels: Record<string, string>;
  aggregation: MetricAggregation;
}

/** A query the user configured in PromQL (a fleet's `demandQuery`), passed to the store as it is. */
export interface PromqlQuery {
  promql: string;
}

export type MetricsQuery = MetricQuery | PromqlQuery;

/** A query in PromQL's notation: what the Prometheus adapter sends, and how logs and errors name a query. */
export function metricsQueryText(q: MetricsQuery): string {
  if ('promql' in q) return q.promql;
  const quote = (v: string) => JSON.stringify(v);
  const labels = Object.entries(q.labels).map(([k, v]) => `${k}=${quote(v)}`);
  return `${q.aggregation}(${q.metric}${labels.length ? `{${labels.join(',')}}` : ''})`;
}

/**
 * Metrics in: demand history and current values (Prometheus query_range, CloudWatch GetMetricData). Queries are
 * typed; raw PromQL only where the user configured it (a store that cannot run it refuses it as `invalid`).
 */
export interface MetricsPort {
  queryRange(query: MetricsQuery, start: Date, end: Date, stepSeconds: number): Promise<MetricSeries[]>;
  /** The latest value of a query, or undefined if there is no data. */
  queryInstant(query: MetricsQuery, at: Date): Promise<number | undefined>;
}

/** A rejected event (malformed, or sent to the wrong function): kept with the reason, never retried. */
export interface RejectedEvent {
  at: string;
  eventId: string;
  fn: string;
  reason: string;
  /** The field path that was wrong, when known. */
  path?: string;
  raw: unknown;
}

/** A fleet's state and its decision history (oldest first), read together; `historyKeys[i]` names `history[i]`. */
export interface FleetRead<State, Entry> {
  state: State;
  history: Entry[];
  historyKeys: string[];
  /** What an invocation near its deadline had applied, action by action, when it recorded no outcome. */
  progress?: Progress;
  /** The interruption notices recorded with the state (`enlist`), oldest first: pending, or handled. */
  notices?: PendingNotice[];
}

/**
 * An interruption notice recorded with its fleet's state (`StatePort.enlist`), so that whichever invocation
 * holds the fleet's lease decides it with its own: notices that arrive together are decided together.
 */
export interface PendingNotice {
  /** Where the store keeps it (bounded: the event id, or its digest when long). */
  key: string;
  eventId: string;
  /** When it was recorded (the application's clock). */
  at: string;
  signal: InterruptionSignal;
  /** Set by the decision that handled it (in the same write that saves the fleet's state). */
  handled?: NoticeHandled;
}

/** Which decision handled a notice, and what became of it there. */
export interface NoticeHandled {
  /** The event of the deciding invocation (its audit record is keyed by it and `at`). */
  by: string;
  /** The decision's time (its audit record's `at`). */
  at: string;
  /** Instances of the notice the cloud refuted in that decision, with why. */
  refused?: Array<{ instanceId: string; reason: string }>;
  currentNodes: number;
  targetNodes: number;
}

/** What `enlist` finds: the fleet as read with it, whether the lease is now ours, and the notices recorded. */
export interface Enlisted<State, Entry> extends FleetRead<State, Entry> {
  held: boolean;
  /** The lease's holder when it is not ours. */
  holder?: { owner: string; until: number; eventId?: string };
  notices: PendingNotice[];
}

/** In a state save: the notices a decision handled (each marked with it, by key) and those dropped (by key). */
export interface NoticeUpdate {
  handled: Array<{ key: string; handled: NoticeHandled }>;
  drop?: string[];
}

/** The actions an invocation applied for an event (their keys), recorded as each completed. */
export interface Progress {
  eventId: string;
  applied: string[];
}

/**
 * State: each fleet's durable state under a lease, its decision history, the audit trail and the rejected
 * events (DynamoDB in `shared/state/store.ts`; a fake in `test/support/fakes.ts`). The record types are the
 * application's (`shared/state/records.ts`); the port only needs what it keys and versions them by.
 */
/** What `StatePort.amendAudit` adds to an audit record's outcome. */
export interface AuditChange {
  applied: readonly unknown[];
  failed: readonly unknown[];
  /** Whether something changed (a removal made): a `no-change` record becomes `applied`. */
  changed: boolean;
  /**
   * Each applied entry's key (parallel to `applied`; undefined: none): an entry whose key the record already
   * holds (an earlier delivery of the same command added it) is not added again, so that a redelivery after
   * the amend adds nothing twice. The record keeps the keys it was amended with.
   */
  keys?: readonly (string | undefined)[];
}

/** The change less the applied entries whose keys `held` has (those an earlier amend added). */
export function withoutHeld(change: AuditChange, held: ReadonlySet<string>): AuditChange {
  const keep = change.applied.map((_, i) => {
    const k = change.keys?.[i];
    return k === undefined || !held.has(k);
  });
  return {
    applied: change.applied.filter((_, i) => keep[i]),
    failed: change.failed,
    changed: change.changed,
    ...(change.keys ? { keys: change.keys.filter((_, i) => keep[i]) } : {}),
  };
}

/** The status an audit record's outcome moves to on `change`, from `status` (undefined: it stays). */
export function amendedStatus(status: string, change: AuditChange): 'partial' | 'applied' | undefined {
  if (change.failed.length) return status === 'applied' || status === 'no-change' ? 'partial' : undefined;
  return change.changed && status === 'no-change' ? 'applied' : undefined;
}

/**
 * A drain command's claim (`StatePort.claimDrain`): whoever acts on the command (the drain function on a
 * delivery, or the deciding invocation when the command may not have reached the bus) takes it before the drain
 * acts, so that the command acts once whichever path runs it.
 */
export interface DrainClaimRequest {
  /** The command's id (`handoff.ts` `drainCommandId`: the decision's event and the node). */
  commandId: string;
  /** This invocation (a fresh id per run). */
  owner: string;
  /** Who acts: `drain` (the drain function) or the deciding function's name. */
  by: string;
  /** Now and the lease's end, ms on the application's clock. */
  now: number;
  until: number;
}

/** Who holds a drain's claim: done (the drain and what follows it made), or acting until `until`. */
export interface DrainClaimHolder {
  owner: string;
  by: string;
  until: number;
  done: boolean;
  /** When it was taken (ISO). */
  at: string;
}

export type DrainClaimAnswer = { held: true } | { held: false; holder: DrainClaimHolder };

export interface StatePort<
  State extends { fleetId: string; version: number },
  Entry extends { at: string },
  Audit extends { fleetId: string; at: string; eventId: string },
> {
  /** The fleet's state (version 0 when there is none yet), read consistently. */
  getState(fleetId: string): Promise<State>;
  /** The fleet's state and the decision history kept with it, in one consistent read. */
  readFleet(fleetId: string): Promise<FleetRead<State, Entry>>;
  /**
   * Takes the fleet's lease until `now + ttlMs` (free, expired, or already `owner`'s; or, with `eventId`,
   * held for that same event by an invocation that never gave it back: a redelivery carries on) and returns
   * the state and the history read with it (one request). Throws `LeaseBusyError` when another owner holds it.
   */
  acquireLease(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    eventId?: string,
  ): Promise<FleetRead<State, Entry>>;
  /**
   * Records, while `owner` holds the lease, what has been applied for an event so far and the history entry
   * of it (`entry` under `key`, replaced by the next call or the save with the same key). Throws
   * `StaleStateError` once the lease is another's.
   */
  saveProgress(fleetId: string, owner: string, progress: Progress & { entry: Entry; key: string }): Promise<void>;
  /**
   * Records an interruption notice with the fleet's state (unless it is there already: a handled notice stays
   * handled) and takes the fleet's lease if it is free, in one request that never fails on a busy lease:
   * returns the fleet as read with it, whether the lease is now `owner`'s (`held`), its holder otherwise, and
   * every notice recorded. A lease expired or held for this same event is not taken here (`acquireLease` does).
   */
  enlist(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    notice: Omit<PendingNotice, 'key' | 'handled'>,
  ): Promise<Enlisted<State, Entry>>;
  /**
   * What a waiting invocation needs to know of its notice, in a small consistent read: whether a decision
   * handled it, and who holds the fleet's lease until when (undefined: no one).
   */
  noticeStatus(
    fleetId: string,
    eventId: string,
  ): Promise<{ handled?: NoticeHandled; holder?: { owner: string; until: number; eventId?: string } }>;
  /** Gives the lease back if `owner` still holds it (a no-op otherwise). */
  releaseLease(fleetId: string, owner: string): Promise<void>;
  /**
   * Saves the state if its version is still `state.version` (and, with `owner`, the lease is still ours),
   * bumps the version and releases the lease in the same write; in that write too, appends `history.append`
   * to the fleet's history and drops the entries named by `history.drop` (keys of a `FleetRead`). Throws
   * `StaleStateError` otherwise (nothing is written).
   */
  saveState(
    state: State,
    owner?: string,
    history?: { append: Entry[]; drop?: string[]; keys?: Array<string | undefined> },
    notices?: NoticeUpdate,
  ): Promise<State>;
  /** Appends history entries on their own (what was applied when the state could not be saved). */
  appendHistory(fleetId: string, entries: Entry[]): Promise<void>;
  /** History entries at or after `since`, oldest first. */
  loadHistory(fleetId: string, since: Date): Promise<Entry[]>;
  /**
   * Stores an audit record and returns its key; with `key` (one returned before), replaces that record (what
   * a decision did after its lease is added to its own record).
   */
  putAudit(record: Audit, key?: string): Promise<string>;
  /**
   * Adds to the outcome of the audit record at `key` (one `putAudit` returned) in one request: `applied` and
   * `failed` appended to its lists, so that invocations completing one decision's record at the same time
   * (the drains it handed off) each keep what they add; its status moved to `partial` when something failed
   * and it said `applied` or `no-change`, else to `applied` when `changed` and it said `no-change`. Idempotent
   * per entry key (`AuditChange.keys`): the entries an earlier amend added under the same keys are left out (a
   * change that adds nothing then changes nothing). Throws when there is no record of the fleet at `key`
   * (`AuditNotFoundError` in `shared/state/records.ts`).
   */
  amendAudit(fleetId: string, key: string, change: AuditChange): Promise<void>;
  /**
   * The audit record of the decision of `eventId` at `at` (its key, for `putAudit`, and the record), read
   * consistently; the latest when a retry at the same time wrote several; undefined when there is none.
   */
  findAudit(fleetId: string, at: string, eventId: string): Promise<{ key: string; record: Audit } | undefined>;
  /**
   * The fleet's audit records, newest first: at most `limit`, within `range` when given (ISO times, inclusive),
   * only those `keep` accepts when given (read until `limit` of them are found or the range ends).
   */
  listAudit(
    fleetId: string,
    limit?: number,
    range?: { since?: string; until?: string },
    keep?: (record: Audit) => boolean,
  ): Promise<Audit[]>;
  /**
   * Takes a drain command's claim (one conditional write): unclaimed, already `owner`'s, or held by an owner
   * whose lease ended before `now` without the drain being done (it died: the claim is taken over). Otherwise
   * answers its holder (one consistent read), done or still acting; never throws for a held claim.
   */
  claimDrain(fleetId: string, claim: DrainClaimRequest): Promise<DrainClaimAnswer>;
  /**
   * Ends `owner`'s claim: `done` keeps it, so that no later delivery acts again (until the record's expiry, as
   * an audit record's); `released` gives it back (a retry may act). A claim no longer `owner`'s is left alone.
   */
  settleDrain(fleetId: string, commandId: string, owner: string, how: 'done' | 'released'): Promise<void>;
  putRejected(rejected: RejectedEvent): Promise<void>;
  /** Rejected events of one day (yyyy-mm-dd). */
  listRejected(day: string): Promise<RejectedEvent[]>;
}

/** Convenience: a pool's ref from the domain pool. */
export function refOf(pool: Pool, scope?: string): PoolRef {
  return {
    id: pool.id,
    cloud: pool.cloud,
    kind: pool.kind,
    resource: pool.resource,
    location: pool.location,
    scope: scope ?? pool.tags?.scope,
    tags: pool.tags,
    ...(pool.warm ? { warm: { state: pool.warm.state } } : {}),
  };
}
