/**
 * Executing a plan: each action through its port, in the engine's order (backoffs, grow, replace, drain,
 * shrink, reports). A failure in one pool or cloud does not stop the others: it is recorded with its kind
 * and the cloud's code. Capacity errors come back so the caller can back the offering off and re-decide.
 */
import { isInsufficientCapacity } from '../domain/errors.ts';
import { refOf } from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import type { Action, CordonDrainAction, Plan, SetWarmAction } from '../engine/types.ts';
import type { AppDeps } from './deps.ts';
import { failureOf, type PoolFailure } from './observe.ts';

export interface AppliedAction {
  poolId?: string;
  action: string;
  detail?: unknown;
}

export interface ApplyResult {
  /** Set once the lease was found lost: nothing more is written. */
  leaseLost?: boolean;
  applied: AppliedAction[];
  failed: PoolFailure[];
  /** Pools whose growth the cloud refused for capacity. */
  shortOfCapacity: string[];
  /** True when at least one pool's desired count changed. */
  changed: boolean;
  /** Pools whose adapter cannot remove a chosen instance (no `removeInstance`): their desired count is lowered instead. */
  lowerInstead?: Set<string>;
}

export interface ApplyContext {
  fleet: Fleet;
  eventId: string;
  /**
   * Fencing: called before every cloud write. It renews the fleet's lease, and throws (LeaseBusyError) when
   * another invocation took it meanwhile: that write and every later one are then not made (recorded as
   * failed, kind `conflict`), so an invocation held past its lease never overwrites a newer decision.
   */
  checkLease?: () => Promise<void>;
  /** Kubernetes Deployment that follows the fleet's GPUs. */
  deployment?: { cluster: string; namespace: string; name: string; gpusPerReplica: number };
}

/** True when a write may go ahead: the lease is still ours (renewed). Records the refusal otherwise. */
async function mayWrite(ctx: ApplyContext, out: ApplyResult, poolId: string | undefined, action: string) {
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

function deny(out: ApplyResult, poolId: string | undefined, action: string, e?: unknown) {
  // Recorded once per write not made; the first says why.
  if (out.failed.some((f) => f.action === action && f.poolId === poolId && f.kind === 'conflict')) return;
  out.failed.push({
    ...(poolId !== undefined ? { poolId } : {}),
    action,
    error: `not applied: the fleet's lease was taken by another invocation${e instanceof Error ? ` (${e.message})` : ''}`,
    kind: 'conflict',
  });
}

/** The cluster a pool's nodes join: the pool's own, else the fleet Deployment's. */
function clusterName(pool: Pool | undefined, ctx: ApplyContext): string | undefined {
  return pool?.tags?.cluster ?? ctx.deployment?.cluster;
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

async function cordonDrain(
  deps: AppDeps,
  action: CordonDrainAction,
  pool: Pool | undefined,
  ctx: ApplyContext,
  out: ApplyResult,
) {
  const name = clusterName(pool, ctx);
  const cluster = name ? deps.clouds.cluster(name) : undefined;
  const target = action.node ?? action.instanceId ?? '?';
  if (cluster) {
    if (!(await mayWrite(ctx, out, pool?.id, 'cordon-drain'))) return;
    try {
      const node =
        action.node ?? (action.instanceId ? (await cluster.findNodeByInstance(action.instanceId))?.name : undefined);
      if (node) {
        await cluster.cordon(node);
        const result = await cluster.drain(node, drainDeadline(deps, Date.parse(action.deadline)));
        out.applied.push({ poolId: pool?.id, action: 'cordon-drain', detail: result });
      } else {
        out.applied.push({
          poolId: pool?.id,
          action: 'cordon-drain',
          detail: `no node for ${target} in cluster ${name}: nothing to drain`,
        });
      }
    } catch (e) {
      out.failed.push(failureOf(pool?.id, `cordon-drain ${target}`, e));
    }
  } else {
    out.applied.push({
      poolId: pool?.id,
      action: 'cordon-drain',
      detail: `no cluster configured for ${pool?.id ?? target}: not drained`,
    });
  }
  if (action.remove && action.instanceId && pool) {
    const port = deps.clouds.capacityFor(pool);
    if (!port) {
      out.applied.push({
        poolId: pool.id,
        action: 'remove-instance',
        detail: `no adapter for ${pool.kind}: the cloud reclaims ${action.instanceId}`,
      });
      return;
    }
    if (!port.removeInstance) {
      // The adapter cannot end a chosen instance: once every action ran, the pool's desired count is lowered to
      // the plan's target (the group then chooses what it ends), so that it does not relaunch in the offering
      // being taken back.
      out.lowerInstead ??= new Set();
      out.lowerInstead.add(pool.id);
      out.applied.push({
        poolId: pool.id,
        action: 'remove-instance',
        detail: `${pool.kind} cannot remove ${action.instanceId} itself: its desired count is lowered instead`,
      });
      return;
    }
    // The drain may have taken long: the lease is checked again before the instance is ended.
    if (!(await mayWrite(ctx, out, pool.id, 'remove-instance'))) return;
    try {
      await port.removeInstance(refOf(pool), action.instanceId);
      out.applied.push({ poolId: pool.id, action: 'remove-instance', detail: action.instanceId });
      out.changed = true;
    } catch (e) {
      out.failed.push(failureOf(pool.id, `remove-instance ${action.instanceId}`, e));
    }
  }
}

async function execute(deps: AppDeps, action: Action, ctx: ApplyContext, out: ApplyResult): Promise<void> {
  const poolById = (id: string | undefined) => ctx.fleet.pools.find((p) => p.id === id);
  switch (action.type) {
    case 'mark-offering':
      // Recorded in the fleet state by the caller; nothing to call.
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
      if (!pool) {
        out.failed.push({ poolId: action.poolId, action: 'set-desired', error: 'pool not observed in this decision' });
        return;
      }
      const port = deps.clouds.capacityFor(pool);
      if (!port) {
        out.failed.push({ poolId: pool.id, action: 'set-desired', error: `no adapter for ${pool.kind}` });
        return;
      }
      if (!(await mayWrite(ctx, out, pool.id, 'set-desired'))) return;
      try {
        const r = await port.setDesired(refOf(pool), {
          desired: action.to,
          reason: action.reason,
          idempotencyToken: `${ctx.eventId}:${pool.id}:${action.to}`.slice(0, 64),
        });
        out.applied.push({
          poolId: pool.id,
          action: 'set-desired',
          detail: { from: r.previous, to: r.desired, operationId: r.operationId },
        });
        if (!r.unchanged) out.changed = true;
      } catch (e) {
        out.failed.push(failureOf(pool.id, 'set-desired', e));
        if (isInsufficientCapacity(e) && action.to > action.from) out.shortOfCapacity.push(pool.id);
      }
      return;
    }
    case 'replace': {
      // The replacement was launched by the grow actions before this one. The node at risk is cordoned so no
      // new work lands on it; it is drained and removed when its interruption arrives (or by an operator).
      const pool = poolById(action.fromPool);
      const name = clusterName(pool, ctx);
      const cluster = name ? deps.clouds.cluster(name) : undefined;
      if (!cluster) {
        out.applied.push({
          poolId: action.fromPool,
          action: 'replace',
          detail: `replacement in ${action.toPool}; no cluster to cordon ${action.instanceId}`,
        });
        return;
      }
      if (!(await mayWrite(ctx, out, action.fromPool, 'replace'))) return;
      try {
        const node = await cluster.findNodeByInstance(action.instanceId);
        if (node) await cluster.cordon(node.name);
        out.applied.push({
          poolId: action.fromPool,
          action: 'replace',
          detail: { toPool: action.toPool, cordoned: node?.name ?? null },
        });
      } catch (e) {
        out.failed.push(failureOf(action.fromPool, `replace ${action.instanceId}`, e));
      }
      return;
    }
    case 'cordon-drain':
      await cordonDrain(deps, action, poolById(action.poolId), ctx, out);
      return;
    case 'set-warm':
      await setWarm(deps, action, poolById(action.poolId), ctx, out);
      return;
  }
}

/** A pool's warm capacity through its adapter; one that cannot keep any is a failure of that pool only. */
async function setWarm(
  deps: AppDeps,
  action: SetWarmAction,
  pool: Pool | undefined,
  ctx: ApplyContext,
  out: ApplyResult,
) {
  const port = pool ? deps.clouds.capacityFor(pool) : undefined;
  if (!pool || !port?.setWarm) {
    out.failed.push({
      poolId: action.poolId,
      action: 'set-warm',
      error: pool ? `the ${pool.kind} adapter keeps no warm capacity` : 'pool not observed in this decision',
    });
    return;
  }
  try {
    const r = await port.setWarm(refOf(pool), {
      size: action.to,
      state: action.state,
      reason: action.reason,
      idempotencyToken: `${ctx.eventId}:${pool.id}:warm:${action.to}`.slice(0, 64),
    });
    out.applied.push({ poolId: pool.id, action: 'set-warm', detail: { from: r.previous, to: r.size } });
  } catch (e) {
    out.failed.push(failureOf(pool.id, 'set-warm', e));
  }
}

/** Scales the fleet's Kubernetes Deployment to the GPUs the plan targets (one replica per `gpusPerReplica`). */
async function followDeployment(deps: AppDeps, plan: Plan, ctx: ApplyContext, out: ApplyResult) {
  const d = ctx.deployment;
  if (!d) return;
  const cluster = deps.clouds.cluster(d.cluster);
  if (!cluster) {
    out.failed.push({
      poolId: `${d.namespace}/${d.name}`,
      action: 'scale-deployment',
      error: `no cluster '${d.cluster}' configured`,
    });
    return;
  }
  // A pool of the fleet that is in no plan (not observed, and no count known for it): its GPUs are unknown,
  // so the Deployment is left as it is rather than shrunk to the pools that answered.
  const configured = deps.resolved.fleets.find((f) => f.id === ctx.fleet.id)?.pools ?? [];
  const unknown = configured.filter((p) => p.kind !== 'k8s-deployment' && !plan.pools.some((x) => x.poolId === p.id));
  if (unknown.length) {
    out.failed.push({
      poolId: `${d.namespace}/${d.name}`,
      action: 'scale-deployment',
      error: `not scaled: no count known for ${unknown.map((p) => p.id).join(', ')} (not observed)`,
      kind: 'transient',
    });
    return;
  }
  // A pool whose resize failed stays where it was: no replicas for GPUs that are not coming.
  const unchanged = new Set(out.failed.filter((f) => f.action === 'set-desired').map((f) => f.poolId));
  let gpus = 0;
  for (const p of plan.pools) {
    const pool = ctx.fleet.pools.find((x) => x.id === p.poolId);
    if (pool && pool.kind !== 'k8s-deployment')
      gpus += (unchanged.has(p.poolId) ? p.current : p.target) * pool.gpusPerNode;
  }
  const replicas = Math.floor(gpus / d.gpusPerReplica);
  if (!(await mayWrite(ctx, out, `${d.namespace}/${d.name}`, 'scale-deployment'))) return;
  try {
    const r = await cluster.scaleDeployment(d.namespace, d.name, replicas);
    out.applied.push({
      poolId: `${d.namespace}/${d.name}`,
      action: 'scale-deployment',
      detail: { from: r.previous, to: r.desired },
    });
  } catch (e) {
    out.failed.push(failureOf(`${d.namespace}/${d.name}`, 'scale-deployment', e));
  }
}

export async function applyPlan(deps: AppDeps, plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  const out: ApplyResult = { applied: [], failed: [], shortOfCapacity: [], changed: false };
  // The engine's phases run in order (grow before drain before shrink); the actions of one phase (a run of
  // actions of the same type) touch different pools or nodes and run in parallel. Each failure is recorded
  // and the rest carry on.
  let i = 0;
  while (i < plan.actions.length) {
    let j = i;
    while (j < plan.actions.length && plan.actions[j]!.type === plan.actions[i]!.type) j++;
    await Promise.all(plan.actions.slice(i, j).map((a) => execute(deps, a, ctx, out)));
    i = j;
  }
  for (const poolId of out.lowerInstead ?? []) {
    const target = plan.pools.find((p) => p.poolId === poolId)?.target;
    if (target === undefined) continue;
    const removed = plan.actions.filter((a) => a.type === 'cordon-drain' && a.remove && a.poolId === poolId).length;
    const reason = `autoscaler: ${removed} instance(s) of ${poolId} taken back (event ${ctx.eventId})`;
    await execute(deps, { type: 'set-desired', poolId, from: target + removed, to: target, reason }, ctx, out);
  }
  delete out.lowerInstead;
  await followDeployment(deps, plan, ctx, out);
  return out;
}
