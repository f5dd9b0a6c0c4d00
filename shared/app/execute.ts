/**
 * Executing a plan, and nothing else: each action through its port, stage by stage in the engine's order
 * (`stageOf`: capacity asked for before any is taken away), the actions of one stage at the same time. The
 * executor decides nothing: it does not change a count, skip an action or pick another pool. A failure in
 * one pool or cloud does not stop the others; it is recorded with its kind and the cloud's code. Pools whose
 * growth the cloud refused for capacity come back as `refused`: the caller turns them into launch-failure
 * signals for a new decision (backed off, placed again) rather than deciding here.
 *
 * Fencing: every cloud write first renews the fleet's lease (`checkLease`). Once another invocation holds
 * it, that write and every later one are not made (each recorded as failed, kind `conflict`, so the event
 * is retried), and an invocation held past its lease never overwrites a newer decision.
 */
import { isInsufficientCapacity } from '../domain/errors.ts';
import { type ClusterPort, type OperationProgress, refOf, type WaitLimit } from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { stageOf } from '../engine/actions.ts';
import type { Action, CordonDrainAction, Plan } from '../engine/types.ts';
import type { AppliedAction, FailedAction } from '../state/records.ts';
import type { AppDeps } from './deps.ts';
import { failureOf } from './observe.ts';

export interface ExecutionResult {
  /** Set once the lease was found lost: nothing more is written. */
  leaseLost?: boolean;
  applied: AppliedAction[];
  failed: FailedAction[];
  /** Pools whose growth the cloud refused for capacity. */
  refused: string[];
  /** True when at least one pool's count changed. */
  changed: boolean;
}

export interface ExecutionContext {
  fleet: Fleet;
  eventId: string;
  /** Renews the fleet's lease; throws (LeaseBusyError) once another invocation holds it. */
  checkLease?: () => Promise<void>;
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

/**
 * When a drain must end, on the application's clock (`deps.clock()`, the one the drain adapters are given):
 * `until` (ms on that clock), capped by the invocation's own deadline (also on that clock) less a margin to
 * record the outcome. An `until` that is not a number leaves a minute from now.
 */
export function drainDeadline(deps: AppDeps, until: number): Date {
  const at = deps.clock().getTime();
  let end = Number.isFinite(until) ? Math.max(at, until) : at + 60_000;
  const hard = deps.deadline?.();
  if (hard !== undefined) end = Math.min(end, Math.max(at, hard - 5_000));
  return new Date(end);
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

/** The clusters of a fleet: its Deployment's, then its pools'. */
export function fleetClusters(fleet: Fleet): string[] {
  const names = new Set<string>();
  if (fleet.deployment) names.add(fleet.deployment.cluster);
  for (const p of fleet.pools) if (p.tags?.cluster) names.add(p.tags.cluster);
  return [...names];
}

async function cordonDrain(deps: AppDeps, action: CordonDrainAction, ctx: ExecutionContext, out: ExecutionResult) {
  const target = action.node ?? action.instanceId ?? '?';
  try {
    const { cluster, name, node } = await locate(deps, ctx.fleet, action);
    if (!cluster) {
      out.applied.push({
        poolId: action.poolId,
        action: 'cordon-drain',
        detail: `no cluster configured for ${action.poolId ?? target}: not drained`,
      });
      return;
    }
    if (!node) {
      out.applied.push({
        poolId: action.poolId,
        action: 'cordon-drain',
        detail: `no node for ${target} in cluster ${name}: nothing to drain`,
      });
      return;
    }
    if (!(await mayWrite(ctx, out, action.poolId, 'cordon-drain'))) return;
    await cluster.cordon(node);
    const result = await cluster.drain(node, drainDeadline(deps, Date.parse(action.deadline)));
    out.applied.push({ poolId: action.poolId, action: 'cordon-drain', detail: { cluster: name, ...result } });
  } catch (e) {
    out.failed.push(failureOf(action.poolId, `cordon-drain ${target}`, e));
  }
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
      try {
        const r = await port.setDesired(refOf(pool), {
          desired: action.to,
          reason: action.reason,
          idempotencyToken: `${ctx.eventId}:${pool.id}:${action.to}`.slice(0, 64),
          ...waitLimit(deps),
        });
        out.applied.push({
          poolId: pool.id,
          action: 'set-desired',
          detail: { from: r.previous, to: r.desired, ...progressOf(r) },
        });
        if (!r.unchanged) out.changed = true;
      } catch (e) {
        out.failed.push(failureOf(pool.id, 'set-desired', e));
        if (isInsufficientCapacity(e) && action.to > action.from) out.refused.push(pool.id);
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
      try {
        const r = await port.removeInstance(refOf(pool), action.instanceId, waitLimit(deps));
        out.applied.push({
          poolId: pool.id,
          action: 'remove-instance',
          detail: r?.pending ? { instanceId: action.instanceId, ...progressOf(r) } : action.instanceId,
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
        const { cluster, node } = await locate(deps, ctx.fleet, action);
        if (cluster && node) {
          if (!(await mayWrite(ctx, out, action.fromPool, 'replace'))) return;
          await cluster.cordon(node);
        }
        out.applied.push({
          poolId: action.fromPool,
          action: 'replace',
          detail: cluster
            ? { toPool: action.toPool, cordoned: node ?? null }
            : `replacement in ${action.toPool}; no cluster to cordon ${action.instanceId}`,
        });
      } catch (e) {
        out.failed.push(failureOf(action.fromPool, `replace ${action.instanceId}`, e));
      }
      return;
    }
    case 'cordon-drain':
      await cordonDrain(deps, action, ctx, out);
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
      if (!(await mayWrite(ctx, out, id, 'scale-deployment'))) return;
      try {
        const r = await cluster.scaleDeployment(action.namespace, action.name, action.replicas);
        out.applied.push({ poolId: id, action: 'scale-deployment', detail: { from: r.previous, to: r.desired } });
      } catch (e) {
        out.failed.push(failureOf(id, 'scale-deployment', e));
      }
      return;
    }
  }
}

export async function executePlan(deps: AppDeps, plan: Plan, ctx: ExecutionContext): Promise<ExecutionResult> {
  const out: ExecutionResult = { applied: [], failed: [], refused: [], changed: false };
  const stages = new Map<number, Action[]>();
  for (const a of plan.actions) stages.set(stageOf(a), [...(stages.get(stageOf(a)) ?? []), a]);
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    await Promise.all(stages.get(stage)!.map((a) => execute(deps, a, ctx, out)));
  }
  return out;
}
