/**
 * Executing a plan, and nothing else: each action through its port. The executor decides nothing: it does
 * not change a count, skip an action or pick another pool. A failure in one pool or cloud does not stop the
 * others; it is recorded with its kind and the cloud's code. Pools whose growth the cloud refused for
 * capacity come back as `refused`: the caller turns them into launch-failure signals for a new decision
 * (backed off, placed again) rather than deciding here.
 *
 * Order, shortest first: the nodes that go are cordoned (by the names observed under the lease: no lookup)
 * at the same time as the pools grow, so no work lands on them from the first write on; then the engine's
 * later stages (`stageOf`: capacity asked for before any is taken away), the actions of one stage at once.
 * A drain starts as soon as its node is cordoned and runs alongside the rest; it is never waited for under
 * the lease (it waits for pods and budgets, and must not hold the fleet). The removal of a drained instance
 * follows its drain: under the lease when the drain was over by the end of the plan's other actions, else
 * after it (the drain comes back `pending`, for the caller). Every write is made from the observation taken under the lease: nothing is
 * read again before it is changed.
 *
 * Fencing: every cloud write first checks the fleet's lease (`checkLease`: renewed when half of it has gone
 * by). Once another invocation holds it, that write and every later one are not made (each recorded as
 * failed, kind `conflict`, so the event is retried), and an invocation held past its lease never
 * overwrites a newer decision.
 */
import { fleetClusters } from '../domain/clusters.ts';
import { isInsufficientCapacity, isNotFound } from '../domain/errors.ts';
import {
  type CapacityPort,
  type ClusterPort,
  type ObservedInstance,
  type OperationProgress,
  type PoolObservation,
  refOf,
  type WaitLimit,
} from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { stageOf } from '../engine/actions.ts';
import type { Action, CordonDrainAction, Plan, RemoveInstanceAction } from '../engine/types.ts';
import type { AppliedAction, FailedAction } from '../state/records.ts';
import type { AppDeps } from './deps.ts';
import type { EarlyCordon } from './cordon-first.ts';
import type { DrainOutcome, HandedDrain, PendingDrain } from './drains.ts';
import { failureOf } from './observe.ts';

export interface ExecutionResult {
  /** Set once the lease was found lost: nothing more is written. */
  leaseLost?: boolean;
  applied: AppliedAction[];
  failed: FailedAction[];
  /** Pools whose growth the cloud refused for capacity. */
  refused: string[];
  /** Pools whose growth failed in this execution, for any reason: the Deployment's replicas wait for them. */
  grewFailed?: string[];
  /** True when at least one pool's count changed. */
  changed: boolean;
  /**
   * Pools whose set-desired failed, with the desired count the cloud was found holding when the pool was read
   * again after the failure (a resize that timed out, or whose operation failed late, may have changed it).
   * A pool that could not be read again is not in it (what the cloud holds is then not known), nor one the
   * cloud refused for capacity (its nodes are not coming, whatever count it keeps: see `refused`).
   */
  heldAfterFailure?: Map<string, number>;
  /** Nodes cordoned and still to drain, outside the lease, each with the removals that follow its drain. */
  pending: PendingDrain[];
  /** Pools this execution wrote to (their observation is no longer what they are). */
  touched: Set<string>;
  /** With `ExecutionContext.handoff`: nodes cordoned whose drain (and the removals after it) is the drain function's. */
  handed: HandedDrain[];
}

export interface ExecutionContext {
  fleet: Fleet;
  eventId: string;
  /** The instances observed under the lease, by pool: their node names say what to cordon. */
  instances?: ReadonlyMap<string, readonly ObservedInstance[]>;
  /** The pools as observed under the lease: a pool's first write is made from its observation. */
  observations?: ReadonlyMap<string, PoolObservation>;
  /** Checks (and when due renews) the fleet's lease; throws (LeaseBusyError) once another invocation holds it. */
  checkLease?: () => Promise<void>;
  /** Actions an earlier delivery of the same event applied (`actionKey`): recorded as such, not made again. */
  done?: ReadonlySet<string>;
  /** Called as each action is applied (its `actionKey`), with what has been executed so far. */
  onApplied?: (key: string, so: ExecutionResult) => Promise<void>;
  /** The cordons made ahead of the decision (`cordon-first.ts`): their nodes are not cordoned again. */
  early?: Promise<readonly EarlyCordon[]>;
  /**
   * The drains are handed off (`handoff.ts`): each node is cordoned, and its drain and the removals that follow
   * it come back as `handed`, neither started nor made here.
   */
  handoff?: boolean;
}

/**
 * What identifies an applied action across deliveries of one event: the cloud write it makes. Bookkeeping
 * (backoffs, reports) has none.
 */
export function actionKey(a: Action): string | undefined {
  switch (a.type) {
    case 'set-desired':
      return `set-desired:${a.poolId}:${a.to}`;
    case 'remove-instance':
      return `remove-instance:${a.poolId}:${a.instanceId}`;
    case 'cordon-drain':
      return `cordon-drain:${a.instanceId ?? a.node}`;
    case 'replace':
      return `replace:${a.instanceId}`;
    case 'set-warm':
      return `set-warm:${a.poolId}:${a.to}`;
    case 'scale-deployment':
      return `scale-deployment:${a.namespace}/${a.name}:${a.replicas}`;
    default:
      return undefined;
  }
}

/** The instance a `remove-instance` entry records (its detail is the id, or an object with it while pending). */
function removedInstanceOf(e: AppliedAction): string | undefined {
  const d = e.detail;
  if (typeof d === 'string') return d;
  const id = d && typeof d === 'object' ? (d as { instanceId?: unknown }).instanceId : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** The applied entry an action leaves (one per pool, instance or node in a plan). */
export function isEntryOf(a: Action, e: AppliedAction): boolean {
  switch (a.type) {
    case 'set-desired':
    case 'set-warm':
      return e.action === a.type && e.poolId === a.poolId;
    case 'remove-instance':
      return e.action === a.type && e.poolId === a.poolId && removedInstanceOf(e) === a.instanceId;
    case 'replace':
      return e.action === a.type && e.poolId === a.fromPool;
    case 'scale-deployment':
      return e.action === a.type && e.poolId === `${a.namespace}/${a.name}`;
    case 'cordon-drain':
      return e.action === 'drain' && e.poolId === a.poolId;
    default:
      return false;
  }
}

/**
 * The desired count a pool holds, read again after its resize failed: the write may have been taken before
 * the failure (a call that timed out, an operation that failed late, a partial success). Undefined when the
 * read fails too: the count is then not known, and nothing is assumed.
 */
async function desiredNow(port: CapacityPort, pool: Pool): Promise<number | undefined> {
  try {
    const d = (await port.describePool(refOf(pool))).desired;
    return Number.isFinite(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one action unless an earlier delivery applied it; says when it is applied. */
async function run(deps: AppDeps, action: Action, ctx: ExecutionContext, out: ExecutionResult): Promise<void> {
  const key = actionKey(action);
  if (key && ctx.done?.has(key)) {
    out.applied.push({
      ...('poolId' in action && action.poolId ? { poolId: action.poolId } : {}),
      action: action.type,
      detail: 'applied by an earlier delivery of this event',
    });
    return;
  }
  const before = out.applied.length;
  await execute(deps, action, ctx, out);
  if (key && ctx.onApplied && out.applied.slice(before).some((e) => isEntryOf(action, e)))
    await ctx.onApplied(key, out);
}

/** True when a write may go ahead: the lease is still ours (renewed). Records the write not made otherwise. */
async function mayWrite(ctx: ExecutionContext, out: ExecutionResult, poolId: string | undefined, action: string) {
  if (!out.leaseLost && ctx.checkLease) {
    try {
      await ctx.checkLease();
    } catch (e) {
      out.leaseLost = true;
      deny(out, poolId, action, e);
      return false;
    }
  }
  if (out.leaseLost) {
    deny(out, poolId, action);
    return false;
  }
  return true;
}

function deny(out: ExecutionResult, poolId: string | undefined, action: string, e?: unknown) {
  // Recorded once per write not made; the first says why.
  if (out.failed.some((f) => f.action === action && f.poolId === poolId && f.kind === 'conflict')) return;
  out.failed.push({
    ...(poolId !== undefined ? { poolId } : {}),
    action,
    error: `not applied: the fleet's lease was taken by another invocation${e instanceof Error ? ` (${e.message})` : ''}`,
    kind: 'conflict',
  });
}

/** What a drain keeps before the invocation's deadline to record its outcome, ms. */
const DRAIN_RECORD_MARGIN_MS = 5_000;

/**
 * When a drain must end, on the application's clock (`deps.clock()`, the one the drain adapters are given):
 * `until` (ms on that clock), capped by the invocation's own deadline (also on that clock) less a margin to
 * record the outcome. An `until` that is not a number leaves a minute from now.
 */
export function drainDeadline(deps: AppDeps, until: number): Date {
  const at = deps.clock().getTime();
  let end = Number.isFinite(until) ? Math.max(at, until) : at + 60_000;
  const hard = deps.deadline?.();
  if (hard !== undefined) end = Math.min(end, Math.max(at, hard - DRAIN_RECORD_MARGIN_MS));
  return new Date(end);
}

/**
 * When a cordoned node's drain starts evicting its pods (ms on the application's clock), or undefined for
 * now. The plan says the latest safe start (`startBy`: the notice's deadline less the pods' grace and a
 * margin; until then the cordoned node keeps serving). The wait is bounded by the invocation: the drain still
 * needs that grace and margin (`deadline - startBy`) and the record margin before the invocation's own
 * deadline, so it starts no later than that. A plan without `startBy`, or a start already past, starts now.
 */
export function drainStart(deps: AppDeps, action: Pick<CordonDrainAction, 'deadline' | 'startBy'>): number | undefined {
  const by = Date.parse(action.startBy ?? '');
  if (!Number.isFinite(by)) return undefined;
  const end = Date.parse(action.deadline);
  const needs = Number.isFinite(end) ? Math.max(0, end - by) : 0;
  const hard = deps.deadline?.();
  const start = hard === undefined ? by : Math.min(by, hard - DRAIN_RECORD_MARGIN_MS - needs);
  return start > deps.clock().getTime() ? start : undefined;
}

/**
 * What the record of a decision needs once the last write is made (its history, state and audit writes and
 * the bus event, each well under a second, with the drains' 5 s of margin above): a long-running operation is
 * waited on until the invocation's deadline less this, then reported pending.
 */
const OPERATION_MARGIN_MS = 10_000;

/**
 * How long a cloud write may wait on its long-running operation (`WaitLimit`): until the invocation's
 * deadline (on the application's clock) less the margin; no limit without a deadline (the adapter's own).
 */
export function waitLimit(deps: AppDeps): WaitLimit {
  const hard = deps.deadline?.();
  if (hard === undefined) return {};
  return { waitMs: Math.max(0, hard - deps.clock().getTime() - OPERATION_MARGIN_MS) };
}

/** An operation still running when the wait ended, as the audit record says it: its id and where to read it. */
function progressOf(r: OperationProgress | undefined): Partial<OperationProgress> {
  if (!r?.pending) return r?.operationId ? { operationId: r.operationId } : {};
  return {
    pending: true,
    ...(r.operationId ? { operationId: r.operationId } : {}),
    ...(r.operationUrl ? { operationUrl: r.operationUrl } : {}),
  };
}

/**
 * The cluster holding a node the action names: its own cluster when the plan says, else the first of the
 * fleet's clusters that knows the node (an operator's drain names a node only).
 */
async function locate(
  deps: AppDeps,
  fleet: Fleet,
  action: { cluster?: string; node?: string; instanceId?: string },
): Promise<{ cluster?: ClusterPort; name?: string; node?: string }> {
  let first: { cluster: ClusterPort; name: string } | undefined;
  for (const name of action.cluster ? [action.cluster] : fleetClusters(fleet)) {
    const cluster = deps.clouds.cluster(name);
    if (!cluster) continue;
    if (action.node && action.cluster) return { cluster, name, node: action.node };
    first ??= { cluster, name };
    const byInstance = await cluster.findNodeByInstance(action.instanceId ?? action.node!);
    if (byInstance) return { cluster, name, node: byInstance.name };
    if (action.node && (await cluster.listGpuNodes()).some((n) => n.name === action.node))
      return { cluster, name, node: action.node };
  }
  return first ?? {};
}

/** The node of an instance as observed under the lease, when the cloud named it. */
function observedNode(ctx: ExecutionContext, instanceId: string | undefined): string | undefined {
  if (!instanceId || !ctx.instances) return undefined;
  for (const list of ctx.instances.values()) {
    const found = list.find((i) => i.id === instanceId || i.nodeName === instanceId);
    if (found?.nodeName) return found.nodeName;
  }
  return undefined;
}

/**
 * Cordons the node of an instance that goes: by the name observed under the lease in the action's cluster
 * (one request), else found in the fleet's clusters. Returns where it was cordoned, why nothing was, or
 * undefined when the lease was lost (the write not made is recorded).
 */
async function cordonFirst(
  deps: AppDeps,
  action: { cluster?: string; node?: string; instanceId?: string; reason?: string },
  ctx: ExecutionContext,
  out: ExecutionResult,
  record: { poolId: string | undefined; action: string },
): Promise<
  | { cluster: ClusterPort; name: string; node: string; early?: boolean }
  | { none: 'no-cluster' | 'no-node'; why: string }
  | undefined
> {
  const target = action.node ?? action.instanceId ?? '?';
  // Cordoned ahead of the decision (or found already unschedulable then): nothing to write again.
  const ahead =
    ctx.early && action.instanceId ? (await ctx.early).find((e) => e.instanceId === action.instanceId) : undefined;
  const aheadPort = ahead && !ahead.error ? deps.clouds.cluster(ahead.cluster) : undefined;
  if (ahead && aheadPort) return { cluster: aheadPort, name: ahead.cluster, node: ahead.node, early: true };
  const seen = action.node ?? observedNode(ctx, action.instanceId);
  const direct = action.cluster && seen ? deps.clouds.cluster(action.cluster) : undefined;
  if (direct && seen) {
    if (!(await mayWrite(ctx, out, record.poolId, record.action))) return undefined;
    try {
      await direct.cordon(seen, action.reason);
      return { cluster: direct, name: action.cluster!, node: seen };
    } catch (e) {
      // The cloud's name for the node is not the cluster's: look it up.
      if (!isNotFound(e)) throw e;
    }
  }
  const { cluster, name, node } = await locate(deps, ctx.fleet, action);
  if (!cluster || !name) return { none: 'no-cluster', why: `no cluster configured for ${record.poolId ?? target}` };
  if (!node) return { none: 'no-node', why: `no node for ${target} in cluster ${name}` };
  if (!(await mayWrite(ctx, out, record.poolId, record.action))) return undefined;
  await cluster.cordon(node, action.reason);
  return { cluster, name, node };
}

/**
 * Drains a cordoned node until its own deadline (the notice's end, capped by the invocation's): its pods are
 * evicted from `drainStart` on (the node serves until then), at once when the application cannot wait on its
 * clock (no `deps.waitUntil`). A drain that reaches its deadline with pods left says so (`complete: false`),
 * it does not throw: the instance goes anyway, and what follows it is done.
 */
export function startDrain(
  deps: AppDeps,
  drain: Omit<PendingDrain, 'done' | 'settled' | 'waitingUntil'>,
): PendingDrain {
  const pending = drain as PendingDrain;
  pending.done = (async (): Promise<DrainOutcome> => {
    const cluster = deps.clouds.cluster(drain.cluster);
    if (!cluster) return { error: new Error(`no cluster '${drain.cluster}' configured`) };
    try {
      const start = deps.waitUntil ? drainStart(deps, drain.action) : undefined;
      if (start !== undefined && deps.waitUntil) {
        pending.waitingUntil = start;
        try {
          await deps.waitUntil(start);
        } finally {
          pending.waitingUntil = undefined;
        }
      }
      const skipped = await drain.revalidate?.();
      if (skipped !== undefined) return { skipped };
      const deadline = drainDeadline(deps, Date.parse(drain.action.deadline));
      // The executor cordoned the node (or found it cordoned ahead of the decision): the drain evicts at once.
      return { result: await cluster.drain(drain.node, deadline, drain.action.reason, { cordoned: true }) };
    } catch (error) {
      return { error };
    }
  })().then((o) => {
    pending.settled = o;
    return o;
  });
  return pending;
}

/**
 * The outcomes of the drains an execution left pending, once each has ended. The invocation has nothing else
 * to do until then: it says so (`deps.parked`), and the simulation, whose clock stands still while an
 * invocation runs, parks it there until its clock reaches the drains' starts.
 */
export function drainsOver(deps: AppDeps, pending: readonly PendingDrain[]): Promise<DrainOutcome[]> {
  const all = Promise.all(pending.map((p) => p.done));
  deps.parked?.(pending);
  return all;
}

/** Records how a drain ended. */
export function recordDrain(out: Pick<ExecutionResult, 'applied' | 'failed'>, drain: PendingDrain, o: DrainOutcome) {
  const poolId = drain.action.poolId;
  if (o.skipped !== undefined)
    out.applied.push({
      ...(poolId ? { poolId } : {}),
      action: 'drain',
      detail: { cluster: drain.cluster, node: drain.node, skipped: o.skipped },
    });
  else if (o.result)
    out.applied.push({
      ...(poolId ? { poolId } : {}),
      action: 'drain',
      detail: { cluster: drain.cluster, ...o.result },
    });
  else out.failed.push(failureOf(poolId, `cordon-drain ${drain.node}`, o.error));
}

async function execute(deps: AppDeps, action: Action, ctx: ExecutionContext, out: ExecutionResult): Promise<void> {
  const poolById = (id: string | undefined): Pool | undefined => ctx.fleet.pools.find((p) => p.id === id);
  switch (action.type) {
    case 'mark-offering':
      // Part of the plan's next state, saved with it; nothing to call.
      out.applied.push({
        poolId: action.poolId,
        action: 'mark-offering',
        detail: { zone: action.zone, until: action.until, reason: action.reason },
      });
      return;
    case 'report':
      out.applied.push({ action: 'report', detail: { code: action.code, message: action.message } });
      return;
    case 'set-desired': {
      const pool = poolById(action.poolId);
      const port = pool ? deps.clouds.capacityFor(pool) : undefined;
      if (!pool || !port) {
        out.failed.push({
          poolId: action.poolId,
          action: 'set-desired',
          error: pool ? `no adapter for ${pool.kind}` : 'pool not observed in this decision',
        });
        return;
      }
      if (!(await mayWrite(ctx, out, pool.id, 'set-desired'))) return;
      // Written from the observation, unless this plan already changed the pool (a removal before a shrink).
      const observed = out.touched.has(pool.id) ? undefined : ctx.observations?.get(pool.id);
      out.touched.add(pool.id);
      try {
        const r = await port.setDesired(refOf(pool), {
          desired: action.to,
          reason: action.reason,
          idempotencyToken: `${ctx.eventId}:${pool.id}:${action.to}`.slice(0, 64),
          ...waitLimit(deps),
          ...(observed ? { observed } : {}),
          ...(action.toWarm ? { toWarm: action.toWarm } : {}),
        });
        out.applied.push({
          poolId: pool.id,
          action: 'set-desired',
          detail: { from: r.previous, to: r.desired, ...progressOf(r) },
        });
        if (!r.unchanged) out.changed = true;
      } catch (e) {
        out.failed.push(failureOf(pool.id, 'set-desired', e));
        // A refusal for capacity is the cloud's word that the nodes are not coming, whatever count it keeps: the
        // pool is backed off and its nodes placed elsewhere (`refused`), not given a launch grace.
        const held = isInsufficientCapacity(e) ? undefined : await desiredNow(port, pool);
        if (held !== undefined) out.heldAfterFailure = new Map(out.heldAfterFailure).set(pool.id, held);
        if (action.to > action.from) {
          out.grewFailed = [...(out.grewFailed ?? []), pool.id];
          if (isInsufficientCapacity(e)) out.refused.push(pool.id);
        }
      }
      return;
    }
    case 'remove-instance': {
      const pool = poolById(action.poolId);
      const port = pool ? deps.clouds.capacityFor(pool) : undefined;
      if (!pool || !port?.removeInstance) {
        out.failed.push({
          poolId: action.poolId,
          action: `remove-instance ${action.instanceId}`,
          error: pool ? `the ${pool.kind} adapter cannot end a chosen instance` : 'pool not observed in this decision',
        });
        return;
      }
      if (!(await mayWrite(ctx, out, pool.id, 'remove-instance'))) return;
      out.touched.add(pool.id);
      try {
        // The configured warm floor: an adapter that lowers the floor for the removal sets this one back.
        const r = await port.removeInstance(refOf(pool), action.instanceId, {
          ...waitLimit(deps),
          ...(pool.warm ? { warmMin: pool.warm.min } : {}),
        });
        if (r?.warning) {
          deps.logger.warn('instance removed; its warm pool left as it should not be', {
            poolId: pool.id,
            instanceId: action.instanceId,
            error: r.warning.message,
          });
        }
        out.applied.push({
          poolId: pool.id,
          action: 'remove-instance',
          detail:
            r?.pending || r?.warning
              ? {
                  instanceId: action.instanceId,
                  ...(r.pending ? progressOf(r) : {}),
                  // Done, but something beside it was not (the warm floor not set back): said, not failed.
                  ...(r.warning ? { warning: r.warning.message } : {}),
                }
              : action.instanceId,
        });
        out.changed = true;
      } catch (e) {
        out.failed.push(failureOf(pool.id, `remove-instance ${action.instanceId}`, e));
      }
      return;
    }
    case 'replace': {
      // The replacement is one of this plan's grows. The node at risk is cordoned so no new work lands on it;
      // it is drained and removed when its interruption arrives (or by an operator).
      try {
        const cordoned = await cordonFirst(deps, action, ctx, out, { poolId: action.fromPool, action: 'replace' });
        if (!cordoned) return;
        out.applied.push({
          poolId: action.fromPool,
          action: 'replace',
          detail:
            'none' in cordoned && cordoned.none === 'no-cluster'
              ? `replacement in ${action.toPool}; no cluster to cordon ${action.instanceId}`
              : { toPool: action.toPool, cordoned: 'node' in cordoned ? cordoned.node : null },
        });
      } catch (e) {
        out.failed.push(failureOf(action.fromPool, `replace ${action.instanceId}`, e));
      }
      return;
    }
    case 'cordon-drain':
      // Cordoned first and drained after the lease (executePlan); never run as a stage.
      return;
    case 'set-warm': {
      // A pool's warm capacity through its adapter; one that cannot keep any is a failure of that pool only.
      const pool = poolById(action.poolId);
      const port = pool ? deps.clouds.capacityFor(pool) : undefined;
      if (!pool || !port?.setWarm) {
        out.failed.push({
          poolId: action.poolId,
          action: 'set-warm',
          error: pool ? `the ${pool.kind} adapter keeps no warm capacity` : 'pool not observed in this decision',
        });
        return;
      }
      if (!(await mayWrite(ctx, out, pool.id, 'set-warm'))) return;
      try {
        const r = await port.setWarm(refOf(pool), {
          size: action.to,
          ...(pool.warm ? { min: Math.min(action.to, pool.warm.min) } : {}),
          state: action.state,
          reason: action.reason,
          idempotencyToken: `${ctx.eventId}:${pool.id}:warm:${action.to}`.slice(0, 64),
          ...waitLimit(deps),
        });
        out.applied.push({
          poolId: pool.id,
          action: 'set-warm',
          detail: { from: r.previous, to: r.size, ...progressOf(r) },
        });
      } catch (e) {
        out.failed.push(failureOf(pool.id, 'set-warm', e));
      }
      return;
    }
    case 'scale-deployment': {
      const id = `${action.namespace}/${action.name}`;
      const cluster = deps.clouds.cluster(action.cluster);
      if (!cluster) {
        out.failed.push({ poolId: id, action: 'scale-deployment', error: `no cluster '${action.cluster}' configured` });
        return;
      }
      if (out.grewFailed?.length && !out.changed) {
        // The replicas are sized for the GPUs of the whole plan: with its grows failed and no pool changed, they
        // would only wait as pending pods for nodes not coming. They stay as they are; the failed grow's retry
        // (or its re-placement, a new decision) decides them again with the capacity there is. When some pool
        // did grow, the replicas move as planned, so its new nodes get their pods as they become ready.
        out.applied.push({
          poolId: id,
          action: 'scale-deployment',
          detail: {
            held: action.replicas,
            why: `the grow of ${out.grewFailed.join(', ')} failed and no pool changed: the replicas follow the capacity there is`,
          },
        });
        return;
      }
      if (!(await mayWrite(ctx, out, id, 'scale-deployment'))) return;
      try {
        const r = await cluster.scaleDeployment(action.namespace, action.name, action.replicas, action.reason);
        out.applied.push({ poolId: id, action: 'scale-deployment', detail: { from: r.previous, to: r.desired } });
      } catch (e) {
        out.failed.push(failureOf(id, 'scale-deployment', e));
      }
      return;
    }
  }
}

/** Cordons the node of a drain; the drain is left pending with the removals of its instance. */
async function cordonForDrain(
  deps: AppDeps,
  action: CordonDrainAction,
  removals: RemoveInstanceAction[],
  ctx: ExecutionContext,
  out: ExecutionResult,
): Promise<RemoveInstanceAction[]> {
  const target = action.node ?? action.instanceId ?? '?';
  try {
    const cordoned = await cordonFirst(deps, action, ctx, out, { poolId: action.poolId, action: 'cordon-drain' });
    if (!cordoned) return [];
    if ('none' in cordoned) {
      out.applied.push({
        poolId: action.poolId,
        action: 'cordon-drain',
        detail: `${cordoned.why}: ${cordoned.none === 'no-cluster' ? 'not drained' : 'nothing to drain'}`,
      });
      return removals;
    }
    out.applied.push({
      poolId: action.poolId,
      action: 'cordon-drain',
      detail: { cluster: cordoned.name, node: cordoned.node, cordoned: cordoned.early ? 'before the lease' : true },
    });
    const drain = { action, cluster: cordoned.name, node: cordoned.node, removals };
    if (ctx.handoff) out.handed.push(drain);
    else out.pending.push(startDrain(deps, drain));
    return [];
  } catch (e) {
    out.failed.push(failureOf(action.poolId, `cordon-drain ${target}`, e));
    // Nothing to wait for: the instance's removal is made in its stage.
    return removals;
  }
}

/**
 * Runs a plan's actions under the lease: the cordons and the grows first, at once; then the engine's later
 * stages in order. Drains come back as `pending` (with the removals that follow them).
 */
export async function executePlan(deps: AppDeps, plan: Plan, ctx: ExecutionContext): Promise<ExecutionResult> {
  return executeActions(deps, plan.actions, ctx);
}

/** An execution that has done nothing yet. */
export function emptyExecution(): ExecutionResult {
  return { applied: [], failed: [], refused: [], changed: false, pending: [], touched: new Set(), handed: [] };
}

export async function executeActions(
  deps: AppDeps,
  actions: readonly Action[],
  ctx: ExecutionContext,
): Promise<ExecutionResult> {
  const out = emptyExecution();
  const drains = actions.filter((a): a is CordonDrainAction => a.type === 'cordon-drain');
  const drained = new Set(drains.map((d) => d.instanceId).filter((id): id is string => id !== undefined));
  const followers = (d: CordonDrainAction) =>
    actions.filter((a): a is RemoveInstanceAction => a.type === 'remove-instance' && a.instanceId === d.instanceId);
  const rest = actions.filter(
    (a) => a.type !== 'cordon-drain' && !(a.type === 'remove-instance' && drained.has(a.instanceId)),
  );
  // 1. The cordons of the nodes that go and the grows (the replacements), at once. A drain an earlier
  // delivery of the event finished is not started again (its instance's removal follows as planned).
  const first = rest.filter((a) => stageOf(a) <= 1 || a.type === 'replace');
  const now: RemoveInstanceAction[] = [];
  const drainDone = (d: CordonDrainAction) => ctx.done?.has(actionKey(d)!) ?? false;
  for (const d of drains.filter(drainDone)) {
    out.applied.push({
      ...(d.poolId ? { poolId: d.poolId } : {}),
      action: 'cordon-drain',
      detail: 'applied by an earlier delivery of this event',
    });
    now.push(...followers(d));
  }
  await Promise.all([
    ...first.map((a) => run(deps, a, ctx, out)),
    ...drains
      .filter((d) => !drainDone(d))
      .map(async (d) => now.push(...(await cordonForDrain(deps, d, followers(d), ctx, out)))),
  ]);
  // 2. The later stages in order: removals (those with no drain to wait for), shrinks, the Deployment, warm.
  const later = [...rest.filter((a) => !first.includes(a)), ...now];
  const stages = new Map<number, Action[]>();
  for (const a of later) stages.set(stageOf(a), [...(stages.get(stageOf(a)) ?? []), a]);
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    await Promise.all(stages.get(stage)!.map((a) => run(deps, a, ctx, out)));
  }
  // 3. The drains already over (they ran alongside the above): their instances' removals, under the lease
  // still. The others are left to the caller, for after the lease.
  const over = out.pending.filter((p) => p.settled);
  out.pending = out.pending.filter((p) => !p.settled);
  for (const p of over) await drainOver(p, p.settled!, ctx, out);
  const removals = over.filter((p) => p.settled!.skipped === undefined).flatMap((p) => p.removals);
  if (removals.length) await Promise.all(removals.map((a) => run(deps, a, ctx, out)));
  return out;
}

/** Records how a drain ended and, when it ended, says it was applied. */
export async function drainOver(p: PendingDrain, o: DrainOutcome, ctx: ExecutionContext, out: ExecutionResult) {
  recordDrain(out, p, o);
  if (o.result && ctx.onApplied) await ctx.onApplied(actionKey(p.action)!, out);
}
