/**
 * Fakes of the ports, for testing the application layer in milliseconds (Karpenter's fake CloudProvider:
 * they record their calls, take the next error to throw, and reset). They keep just enough state to be
 * honest: a capacity fake's pools change with `setDesired` and `removeInstance`; the state fake versions
 * its writes and holds leases like the DynamoDB store.
 */
import type { AppDeps, AppLogger, Clouds } from '../../shared/app/deps.ts';
import type { ResolvedConfig } from '../../shared/config/load.ts';
import { PartialPublishError } from '../../shared/domain/errors.ts';
import {
  type CapacityPort,
  type CapacityReservation,
  type ClusterPort,
  type DecisionEvent,
  type DrainClaimAnswer,
  type DrainClaimHolder,
  type DrainClaimRequest,
  type DrainResult,
  type EventsPort,
  type FleetRead,
  type GpuNode,
  amendedStatus,
  type AuditChange,
  withoutHeld,
  type Enlisted,
  type InstanceStatus,
  type NoticeHandled,
  type NoticeUpdate,
  type PendingNotice,
  type MetricSeries,
  type MetricsPort,
  type MetricsQuery,
  metricsQueryText,
  type ObservedInstance,
  type PoolObservation,
  type PoolRef,
  type Progress,
  type RejectedEvent,
  type SetDesiredRequest,
  type SetDesiredResult,
  type SetWarmRequest,
  type SetWarmResult,
} from '../../shared/domain/ports.ts';
import type { Cloud, Pool } from '../../shared/domain/types.ts';
import type { HistoryEntry } from '../../shared/engine/types.ts';
import { keyId } from '../../shared/state/bounded.ts';
import {
  AuditNotFoundError,
  type AuditRecord,
  type FleetState,
  type FleetStatePort,
  enlistedAnswer,
  LeaseBusyError,
  StaleStateError,
} from '../../shared/state/records.ts';

export interface Call {
  method: string;
  args: unknown[];
}

/** A fake pool: its desired count and instances (ready unless said otherwise). */
export interface FakePool {
  desired: number;
  ready?: number;
  instances?: ObservedInstance[];
}

export class FakeCapacity implements CapacityPort {
  readonly cloud: Cloud;
  readonly calls: Call[] = [];
  /** Thrown by the next call (then cleared). */
  nextError: Error | undefined;
  /** Thrown by every `setDesired` of these pools (a cloud out of capacity there). */
  readonly refuse = new Map<string, Error>();
  readonly pools = new Map<string, FakePool>();
  reservations: CapacityReservation[] = [];
  readonly removeInstance?: (ref: PoolRef, instanceId: string) => Promise<undefined>;

  constructor(cloud: Cloud, options: { removesInstances?: boolean } = {}) {
    this.cloud = cloud;
    if (options.removesInstances ?? true) {
      this.removeInstance = async (ref, instanceId) => {
        this.record('removeInstance', ref.id, instanceId);
        const p = this.pool(ref.id);
        p.instances = (p.instances ?? []).filter((i) => i.id !== instanceId);
        p.desired = Math.max(0, p.desired - 1);
        return undefined;
      };
    }
  }

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
    const e = this.nextError;
    if (e) {
      this.nextError = undefined;
      throw e;
    }
  }

  private pool(id: string): FakePool {
    let p = this.pools.get(id);
    if (!p) {
      p = { desired: 0 };
      this.pools.set(id, p);
    }
    return p;
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    this.record('describePool', ref.id);
    const p = this.pool(ref.id);
    const instances =
      p.instances ??
      Array.from(
        { length: p.desired },
        (_, i): ObservedInstance => ({
          id: `${ref.id}-${i}`,
          capacityType: 'on-demand',
          lifecycle: 'ready',
        }),
      );
    return { ref, desired: p.desired, ready: p.ready ?? p.desired, instances };
  }

  /** Every setDesired request as made (with the observation it was written from, if any). */
  readonly requests: SetDesiredRequest[] = [];
  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    this.requests.push(request);
    this.record('setDesired', ref.id, request.desired);
    const refusal = this.refuse.get(ref.id);
    const p = this.pool(ref.id);
    if (refusal && request.desired > p.desired) throw refusal;
    const previous = p.desired;
    p.desired = request.desired;
    delete p.instances;
    delete p.ready;
    return { desired: request.desired, previous, unchanged: previous === request.desired };
  }

  /** Warm capacity kept per pool (`setWarm`). */
  readonly warm = new Map<string, number>();

  async setWarm(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
    this.record('setWarm', ref.id, request.size);
    const previous = this.warm.get(ref.id) ?? 0;
    this.warm.set(ref.id, request.size);
    return { size: request.size, previous, unchanged: previous === request.size };
  }

  /**
   * What the cloud says of instances (`instanceStatus`), by id; an id not here is unknown (`found: false`).
   * Empty: the fake reads no status (the notices act unchecked, as with an adapter that has no such read).
   */
  readonly statuses = new Map<string, InstanceStatus>();

  async instanceStatus(
    ref: PoolRef,
    instances: ReadonlyArray<{ id: string; zone?: string }>,
  ): Promise<InstanceStatus[]> {
    this.record(
      'instanceStatus',
      ref.id,
      instances.map((i) => i.id),
    );
    if (!this.statuses.size) return [];
    return instances.map((i) => this.statuses.get(i.id) ?? { id: i.id, found: false });
  }

  async listReservations(region: string): Promise<CapacityReservation[]> {
    this.record('listReservations', region);
    return this.reservations;
  }

  /** Calls of one method, by pool id. */
  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  reset(): void {
    this.calls.length = 0;
    this.nextError = undefined;
  }
}

export class FakeCluster implements ClusterPort {
  readonly calls: Call[] = [];
  nextError: Error | undefined;
  readonly nodes: GpuNode[] = [];
  readonly deployments = new Map<string, number>();

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
    const e = this.nextError;
    if (e) {
      this.nextError = undefined;
      throw e;
    }
  }

  addNode(name: string, instanceId: string): void {
    this.nodes.push({ name, instanceId, gpus: 1, ready: true, unschedulable: false, labels: {} });
  }

  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<SetDesiredResult> {
    this.record('scaleDeployment', `${namespace}/${name}`, replicas);
    const previous = this.deployments.get(`${namespace}/${name}`) ?? 0;
    this.deployments.set(`${namespace}/${name}`, replicas);
    return { desired: replicas, previous, unchanged: previous === replicas };
  }
  async listGpuNodes(): Promise<GpuNode[]> {
    this.record('listGpuNodes');
    return [...this.nodes];
  }
  async findNodeByInstance(instanceId: string): Promise<GpuNode | undefined> {
    this.record('findNodeByInstance', instanceId);
    return this.nodes.find((n) => n.instanceId === instanceId);
  }
  async cordon(node: string, _why?: string, options?: { onCordoned?: () => void }): Promise<void> {
    this.record('cordon', node);
    const n = this.nodes.find((x) => x.name === node);
    if (n) n.unschedulable = true;
    options?.onCordoned?.();
  }
  async uncordon(node: string): Promise<void> {
    this.record('uncordon', node);
    const n = this.nodes.find((x) => x.name === node);
    if (n) n.unschedulable = false;
  }
  /** The options each drain was called with, in order. */
  readonly drainOptions: Array<{ cordoned?: boolean }> = [];
  /** When set, every drain waits for it before it ends (a drain waiting for pods and budgets). */
  drainGate: Promise<void> | undefined;
  async drain(node: string, _deadline?: Date, _why?: string, options?: { cordoned?: boolean }): Promise<DrainResult> {
    this.record('drain', node);
    this.drainOptions.push(options ?? {});
    if (this.drainGate) await this.drainGate;
    return { node, evicted: [], remaining: [], complete: true };
  }
  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }
  reset(): void {
    this.calls.length = 0;
    this.nextError = undefined;
  }
}

/** The state port in memory, with the DynamoDB store's lease and version rules. */
export class FakeState implements FleetStatePort {
  readonly calls: Call[] = [];
  nextError: Error | undefined;
  readonly states = new Map<
    string,
    FleetState & { leaseOwner?: string; leaseUntil?: number; leaseEvent?: string; progress?: Progress }
  >();
  /** Each fleet's history by key, as the store keeps it with the state. */
  readonly history = new Map<string, Map<string, HistoryEntry>>();
  private seq = 0;
  readonly audit: AuditRecord[] = [];
  readonly rejected: RejectedEvent[] = [];

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
    const e = this.nextError;
    if (e) {
      this.nextError = undefined;
      throw e;
    }
  }

  private read(fleetId: string): FleetState {
    const s = this.states.get(fleetId);
    if (!s) return { fleetId, version: 0, offeringBackoff: [] };
    const { leaseOwner: _o, leaseUntil: _u, leaseEvent: _e, progress: _p, ...state } = structuredClone(s);
    return state;
  }

  async getState(fleetId: string): Promise<FleetState> {
    this.record('getState', fleetId);
    return this.read(fleetId);
  }
  /** The history as stored, oldest first, with its keys. */
  private kept(fleetId: string): { history: HistoryEntry[]; historyKeys: string[] } {
    const kept = [...(this.history.get(fleetId) ?? new Map<string, HistoryEntry>())].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return { history: structuredClone(kept.map(([, e]) => e)), historyKeys: kept.map(([k]) => k) };
  }
  private keyOf(entry: HistoryEntry): string {
    this.seq += 1;
    return `${entry.at}#${String(this.seq).padStart(6, '0')}`;
  }
  private progressOf(fleetId: string): { progress?: Progress } {
    const p = this.states.get(fleetId)?.progress;
    return p ? { progress: structuredClone(p) } : {};
  }
  async readFleet(fleetId: string): Promise<FleetRead<FleetState, HistoryEntry>> {
    this.record('readFleet', fleetId);
    return {
      state: this.read(fleetId),
      ...this.kept(fleetId),
      ...this.progressOf(fleetId),
      ...this.noticesOf(fleetId),
    };
  }
  async acquireLease(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    eventId?: string,
  ): Promise<FleetRead<FleetState, HistoryEntry>> {
    this.record('acquireLease', fleetId, owner);
    const s = this.states.get(fleetId) ?? { fleetId, version: 0, offeringBackoff: [] };
    const sameEvent = eventId !== undefined && s.leaseEvent === eventId;
    if (s.leaseUntil !== undefined && s.leaseUntil >= now.getTime() && s.leaseOwner !== owner && !sameEvent)
      throw new LeaseBusyError(fleetId, 'another invocation');
    const { leaseEvent: _e, ...rest } = s;
    this.states.set(fleetId, {
      ...rest,
      leaseOwner: owner,
      leaseUntil: now.getTime() + ttlMs,
      ...(eventId ? { leaseEvent: eventId } : {}),
    });
    return {
      state: this.read(fleetId),
      ...this.kept(fleetId),
      ...this.progressOf(fleetId),
      ...this.noticesOf(fleetId),
    };
  }
  async saveProgress(
    fleetId: string,
    owner: string,
    progress: Progress & { entry: HistoryEntry; key: string },
  ): Promise<void> {
    this.record('saveProgress', fleetId, owner, progress.applied);
    const s = this.states.get(fleetId);
    if (s?.leaseOwner !== owner) throw new StaleStateError(fleetId, -1);
    s.progress = { eventId: progress.eventId, applied: [...progress.applied] };
    const kept = this.history.get(fleetId) ?? new Map<string, HistoryEntry>();
    kept.set(progress.key, structuredClone(progress.entry));
    this.history.set(fleetId, kept);
  }
  /** Each fleet's notices by key, as the store keeps them with the state (`enlist`). */
  readonly notices = new Map<string, Map<string, PendingNotice>>();
  private noticesOf(fleetId: string): { notices?: PendingNotice[] } {
    const list = [...(this.notices.get(fleetId)?.values() ?? [])].sort((a, b) =>
      a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
    );
    return list.length ? { notices: structuredClone(list) } : {};
  }
  async enlist(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    notice: Omit<PendingNotice, 'key' | 'handled'>,
  ): Promise<Enlisted<FleetState, HistoryEntry>> {
    this.record('enlist', fleetId, owner, notice.eventId);
    const key = keyId(notice.eventId);
    const kept = this.notices.get(fleetId) ?? new Map<string, PendingNotice>();
    if (!kept.has(key)) kept.set(key, structuredClone({ ...notice, key }));
    this.notices.set(fleetId, kept);
    const s = this.states.get(fleetId) ?? { fleetId, version: 0, offeringBackoff: [] };
    // Free only when no one holds it (an expired lease is taken over by `acquireLease`, as in the store).
    if (s.leaseOwner === undefined)
      this.states.set(fleetId, {
        ...s,
        leaseOwner: owner,
        leaseUntil: now.getTime() + ttlMs,
        leaseEvent: notice.eventId,
      });
    const after = this.states.get(fleetId)!;
    const read = {
      state: this.read(fleetId),
      ...this.kept(fleetId),
      ...this.progressOf(fleetId),
      ...this.noticesOf(fleetId),
    };
    return enlistedAnswer(read, owner, {
      owner: after.leaseOwner,
      until: after.leaseUntil,
      eventId: after.leaseEvent,
    });
  }
  async noticeStatus(
    fleetId: string,
    eventId: string,
  ): Promise<{ handled?: NoticeHandled; holder?: { owner: string; until: number; eventId?: string } }> {
    this.record('noticeStatus', fleetId, eventId);
    const handled = this.notices.get(fleetId)?.get(keyId(eventId))?.handled;
    const s = this.states.get(fleetId);
    return {
      ...(handled ? { handled: structuredClone(handled) } : {}),
      ...(s?.leaseOwner !== undefined
        ? {
            holder: {
              owner: s.leaseOwner,
              until: s.leaseUntil!,
              ...(s.leaseEvent ? { eventId: s.leaseEvent } : {}),
            },
          }
        : {}),
    };
  }
  async releaseLease(fleetId: string, owner: string): Promise<void> {
    this.record('releaseLease', fleetId, owner);
    const s = this.states.get(fleetId);
    if (s?.leaseOwner === owner) {
      delete s.leaseOwner;
      delete s.leaseUntil;
      delete s.leaseEvent;
    }
  }
  async saveState(
    state: FleetState,
    owner?: string,
    history: { append: HistoryEntry[]; drop?: string[]; keys?: Array<string | undefined> } = { append: [] },
    notices?: NoticeUpdate,
  ): Promise<FleetState> {
    this.record('saveState', state.fleetId, owner);
    const current = this.states.get(state.fleetId);
    if ((current?.version ?? 0) !== state.version || (owner && current?.leaseOwner && current.leaseOwner !== owner))
      throw new StaleStateError(state.fleetId, state.version);
    const recorded = this.notices.get(state.fleetId) ?? new Map<string, PendingNotice>();
    for (const { key, handled } of notices?.handled ?? []) {
      const n = recorded.get(key);
      if (!n) throw new Error(`fake state: no notice ${key} to mark handled (the store's update would fail)`);
      n.handled = structuredClone(handled);
    }
    for (const key of notices?.drop ?? []) recorded.delete(key);
    this.notices.set(state.fleetId, recorded);
    const next = structuredClone({ ...state, version: state.version + 1 });
    this.states.set(state.fleetId, next);
    const kept = this.history.get(state.fleetId) ?? new Map<string, HistoryEntry>();
    for (const key of history.drop ?? []) kept.delete(key);
    for (const [i, e] of history.append.entries()) kept.set(history.keys?.[i] ?? this.keyOf(e), structuredClone(e));
    this.history.set(state.fleetId, kept);
    return structuredClone(next);
  }
  async appendHistory(fleetId: string, entries: HistoryEntry[]): Promise<void> {
    this.record('appendHistory', fleetId);
    const kept = this.history.get(fleetId) ?? new Map<string, HistoryEntry>();
    for (const e of entries) kept.set(this.keyOf(e), structuredClone(e));
    this.history.set(fleetId, kept);
  }
  async loadHistory(fleetId: string, since: Date): Promise<HistoryEntry[]> {
    this.record('loadHistory', fleetId);
    return this.kept(fleetId).history.filter((e) => Date.parse(e.at) >= since.getTime());
  }
  async putAudit(record: AuditRecord, key?: string): Promise<string> {
    this.record('putAudit', record.fleetId, record.eventId);
    const at = key === undefined ? -1 : Number(key);
    if (at >= 0 && at < this.audit.length) {
      this.audit[at] = structuredClone(record);
      return key!;
    }
    this.audit.push(structuredClone(record));
    return String(this.audit.length - 1);
  }
  /** The keys of the entries amends added, per audit record (the store's string set). */
  readonly amendKeys = new Map<string, Set<string>>();
  async amendAudit(fleetId: string, key: string, whole: AuditChange): Promise<void> {
    this.record('amendAudit', fleetId, key);
    const a = this.audit[Number(key)];
    if (!a || a.fleetId !== fleetId) throw new AuditNotFoundError(fleetId, key);
    const held = this.amendKeys.get(key) ?? new Set<string>();
    const change = withoutHeld(whole, held);
    if (change.applied.length === 0 && change.failed.length === 0 && whole.applied.length > 0) return;
    for (const k of change.keys ?? []) if (k !== undefined) held.add(k);
    this.amendKeys.set(key, held);
    a.outcome.applied.push(...(structuredClone(change.applied) as AuditRecord['outcome']['applied']));
    a.outcome.failed.push(...(structuredClone(change.failed) as AuditRecord['outcome']['failed']));
    a.outcome.status = amendedStatus(a.outcome.status, change) ?? a.outcome.status;
  }
  async findAudit(
    fleetId: string,
    at: string,
    eventId: string,
  ): Promise<{ key: string; record: AuditRecord } | undefined> {
    this.record('findAudit', fleetId, eventId);
    for (let i = this.audit.length - 1; i >= 0; i--) {
      const a = this.audit[i]!;
      if (a.fleetId === fleetId && a.at === at && a.eventId === eventId)
        return { key: String(i), record: structuredClone(a) };
    }
    return undefined;
  }
  async listAudit(
    fleetId: string,
    limit = 20,
    range: { since?: string; until?: string } = {},
    keep?: (record: AuditRecord) => boolean,
  ): Promise<AuditRecord[]> {
    this.record('listAudit', fleetId);
    return this.audit
      .filter((a) => a.fleetId === fleetId && a.at >= (range.since ?? '') && a.at <= (range.until ?? '~'))
      .filter((a) => !keep || keep(a))
      .reverse()
      .slice(0, limit);
  }
  async putRejected(rejected: RejectedEvent): Promise<void> {
    this.record('putRejected', rejected.eventId);
    this.rejected.push(rejected);
  }
  async listRejected(day: string): Promise<RejectedEvent[]> {
    this.record('listRejected', day);
    return this.rejected.filter((r) => r.at.startsWith(day));
  }
  /** Each drain command's claim by fleet and command id, with the store's rules. */
  readonly drainClaims = new Map<string, DrainClaimHolder>();
  async claimDrain(fleetId: string, claim: DrainClaimRequest): Promise<DrainClaimAnswer> {
    this.record('claimDrain', fleetId, claim.commandId, claim.owner);
    const key = `${fleetId}#${claim.commandId}`;
    const held = this.drainClaims.get(key);
    if (held && held.owner !== claim.owner && (held.done || held.until >= claim.now))
      return { held: false, holder: { ...held } };
    this.drainClaims.set(key, {
      owner: claim.owner,
      by: claim.by,
      until: claim.until,
      done: false,
      at: new Date(claim.now).toISOString(),
    });
    return { held: true };
  }
  async settleDrain(fleetId: string, commandId: string, owner: string, how: 'done' | 'released'): Promise<void> {
    this.record('settleDrain', fleetId, commandId, owner, how);
    const key = `${fleetId}#${commandId}`;
    const held = this.drainClaims.get(key);
    if (held?.owner !== owner) return;
    if (how === 'released') this.drainClaims.delete(key);
    else held.done = true;
  }
  /** The lease fields as stored (tests of the lease's release). */
  lease(fleetId: string): { owner?: string; until?: number } {
    const s = this.states.get(fleetId);
    return { ...(s?.leaseOwner ? { owner: s.leaseOwner } : {}), ...(s?.leaseUntil ? { until: s.leaseUntil } : {}) };
  }
}

/** Metrics by query, keyed by its text (`metricsQueryText`): a value for `queryInstant`, a series for `queryRange`. */
export class FakeMetrics implements MetricsPort {
  readonly calls: Call[] = [];
  nextError: Error | undefined;
  readonly values = new Map<string, number>();
  readonly series = new Map<string, MetricSeries[]>();
  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
    const e = this.nextError;
    if (e) {
      this.nextError = undefined;
      throw e;
    }
  }
  async queryInstant(query: MetricsQuery): Promise<number | undefined> {
    this.record('queryInstant', query);
    return this.values.get(metricsQueryText(query));
  }
  async queryRange(query: MetricsQuery): Promise<MetricSeries[]> {
    this.record('queryRange', query);
    return this.series.get(metricsQueryText(query)) ?? [];
  }
}

/**
 * The bus: what it accepted in `published`. `nextError` fails the next publish whole; `refuse` has it refuse
 * the entries it names, one by one, as EventBridge does: the others are published and a `PartialPublishError`
 * names the refused ones, as the adapter's; `answerLost` names entries whose fate is unknown.
 */
export class FakeEvents implements EventsPort {
  readonly published: DecisionEvent[] = [];
  nextError: Error | undefined;
  refuse: ((event: DecisionEvent) => boolean) | undefined;
  /**
   * The entries whose call's answer is lost (a timeout): named unknown in the error, and on the bus all the
   * same (`taken`) or not (`not-taken`).
   */
  answerLost: ((event: DecisionEvent) => 'taken' | 'not-taken' | undefined) | undefined;
  async publish(events: DecisionEvent[]): Promise<void> {
    const e = this.nextError;
    if (e) {
      this.nextError = undefined;
      throw e;
    }
    const lost = events.map((ev) => this.answerLost?.(ev));
    const unknown = lost.flatMap((l, i) => (l ? [i] : []));
    const refused = events.flatMap((ev, i) => (lost[i] || this.refuse?.(ev) ? [i] : []));
    this.published.push(...events.filter((_, i) => !refused.includes(i) || lost[i] === 'taken'));
    if (refused.length)
      throw new PartialPublishError({
        kind: 'transient',
        cloud: 'aws',
        operation: `publishing ${events.length} decision event(s)`,
        code: 'InternalFailure',
        message: `${refused.length} of ${events.length} entries failed`,
        refused,
        unknown,
        total: events.length,
      });
  }
}

export interface FakeWorld {
  deps: AppDeps;
  capacity: Record<'aws' | 'azure' | 'gcp' | 'kubernetes', FakeCapacity>;
  cluster: FakeCluster;
  state: FakeState;
  metrics: FakeMetrics;
  events: FakeEvents;
  /** Sets a pool's count in its cloud's fake. */
  set(poolId: string, pool: FakePool): void;
}

const quiet: AppLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Application dependencies over fakes, for a resolved configuration, at a fixed time. */
export function fakeDeps(resolved: ResolvedConfig, now: Date): FakeWorld {
  const capacity = {
    aws: new FakeCapacity('aws'),
    azure: new FakeCapacity('azure'),
    gcp: new FakeCapacity('gcp'),
    kubernetes: new FakeCapacity('kubernetes', { removesInstances: false }),
  };
  const cluster = new FakeCluster();
  const state = new FakeState();
  const metrics = new FakeMetrics();
  const events = new FakeEvents();
  const clouds: Clouds = {
    capacityFor: (pool: Pool) => capacity[pool.cloud],
    cluster: () => cluster,
  };
  let n = 0;
  const deps: AppDeps = {
    resolved,
    store: state,
    clouds,
    events,
    metrics,
    clock: () => now,
    logger: quiet,
    leaseWaitMs: 0,
    newId: () => `owner-${++n}`,
  };
  const poolsById = new Map(resolved.fleets.flatMap((f) => f.pools.map((p) => [p.id, p] as const)));
  return {
    deps,
    capacity,
    cluster,
    state,
    metrics,
    events,
    set(poolId, pool) {
      const p = poolsById.get(poolId);
      if (!p) throw new Error(`no pool ${poolId}`);
      capacity[p.cloud].pools.set(poolId, pool);
    },
  };
}
