/**
 * Turns the final layout into the plan's pools and its ordered actions.
 *
 * Order: record backoffs, grow pools, replace instances at risk, drain nodes that go, remove them, shrink
 * pools, scale the Deployment, report — capacity is added before any is taken away (`ACTION_STAGES` says
 * which of them may run together). A `set-desired` target keeps the nodes that are leaving: each
 * `remove-instance` lowers the pool by one (CapacityPort.removeInstance), so the pool ends at its planned
 * count without terminating the wrong node, and an instance at risk (`replace`) leaves when its notice
 * comes. A pool whose adapter cannot end a chosen instance is set to its target instead, and its cloud
 * chooses which instance ends.
 */
import type { Fleet } from '../domain/types.ts';
import { DEFAULT_DRAIN_SECONDS } from './defaults.ts';
import { clusterOf } from './interruptions.ts';
import type { InterruptionEffects } from './interruptions.ts';
import type { Layout } from './layout.ts';
import type { Reasons } from './reasons.ts';
import { iso } from './time.ts';
import type {
  Action,
  CordonDrainAction,
  MarkOfferingAction,
  RemoveInstanceAction,
  ScaleDeploymentAction,
  PauseState,
  PoolPlan,
  ReplaceAction,
  ReportAction,
  SetDesiredAction,
} from './types.ts';

export interface ActionInput {
  fleet: Fleet;
  baseline: Layout;
  final: Layout;
  effects: InterruptionEffects;
  marks: MarkOfferingAction[];
  operatorDrains: Array<{ node: string; cluster?: string; eventId: string; reason: string }>;
  reports: ReportAction[];
  /** Summary of the decision for `SetDesiredRequest.reason`. */
  why: string;
  now: number;
}

export function poolPlans(fleet: Fleet, final: Layout): PoolPlan[] {
  return fleet.pools.map((pool) => {
    const i = final.indexOf(pool.id);
    const target = final.counts[i];
    const plan: PoolPlan = {
      poolId: pool.id,
      cloud: pool.cloud,
      capacityType: pool.capacityType,
      current: pool.desired,
      target,
      delta: target - pool.desired,
      // The slot's price: a lapsed reservation's nodes are priced at on-demand rates (baseline.ts).
      hourlyPrice: final.slots[i].pool.hourlyPrice,
    };
    if (final.slots[i].blocked) plan.blocked = final.slots[i].blocked;
    return plan;
  });
}

export function buildActions(input: ActionInput): Action[] {
  const { fleet, baseline, final, effects, now } = input;
  const grow: SetDesiredAction[] = [];
  const shrink: SetDesiredAction[] = [];
  const replaces: ReplaceAction[] = [];
  const drains: CordonDrainAction[] = [...effects.drains];
  const removals: RemoveInstanceAction[] = [...effects.removals];
  const notRemoved = new Map(effects.notRemoved);

  // Pools that gained nodes above the baseline take the rebalance replacements, in placement order.
  const gains: string[] = [];
  for (let i = 0; i < final.slots.length; i++) {
    for (let k = baseline.counts[i]; k < final.counts[i]; k++) gains.push(final.slots[i].pool.id);
  }
  for (const r of effects.rebalances) {
    const toPool = gains.shift();
    const pool = fleet.pools.find((p) => p.id === r.poolId);
    const cluster = clusterOf(pool, fleet.deployment?.cluster);
    if (toPool)
      replaces.push({
        type: 'replace',
        instanceId: r.instanceId,
        fromPool: r.poolId,
        toPool,
        ...cluster,
        reason: `rebalance notice ${r.eventId}`,
      });
    else {
      // The fleet shrinks anyway: the instance at risk is among the nodes that go.
      const reason = `rebalance notice ${r.eventId}, fleet scaling in`;
      drains.push({
        type: 'cordon-drain',
        poolId: r.poolId,
        instanceId: r.instanceId,
        ...cluster,
        deadline: iso(now + DEFAULT_DRAIN_SECONDS * 1000),
        reason,
      });
      if (pool?.removable !== false)
        removals.push({ type: 'remove-instance', poolId: r.poolId, instanceId: r.instanceId, reason });
      else notRemoved.set(r.poolId, (notRemoved.get(r.poolId) ?? 0) + 1);
    }
  }
  for (const d of input.operatorDrains) {
    drains.push({
      type: 'cordon-drain',
      node: d.node,
      ...(d.cluster ? { cluster: d.cluster } : {}),
      deadline: iso(now + DEFAULT_DRAIN_SECONDS * 1000),
      reason: d.reason,
    });
  }

  for (const pool of fleet.pools) {
    const target = final.counts[final.indexOf(pool.id)];
    // Nodes leaving stay in the count until their removal (or, for a rebalance, their notice) takes them out.
    const to = target + (effects.leaving.get(pool.id) ?? 0) - (notRemoved.get(pool.id) ?? 0);
    if (to === pool.desired) continue;
    const action: SetDesiredAction = {
      type: 'set-desired',
      poolId: pool.id,
      from: pool.desired,
      to,
      reason: input.why,
    };
    (to > pool.desired ? grow : shrink).push(action);
  }
  const deployment = deploymentAction(fleet, final, input.why);
  return [
    ...input.marks,
    ...grow,
    ...replaces,
    ...drains,
    ...removals,
    ...shrink,
    ...(deployment ? [deployment] : []),
    ...input.reports,
  ];
}

/**
 * The fleet's Deployment at the replicas the planned GPUs hold: one per `gpusPerReplica` GPUs of the pools'
 * targets (a `k8s-deployment` pool is replicas, not GPUs). Set on every executed decision, so a Deployment
 * changed by hand follows the fleet again.
 */
export function deploymentAction(fleet: Fleet, final: Layout, why: string): ScaleDeploymentAction | undefined {
  const d = fleet.deployment;
  if (!d) return undefined;
  let gpus = 0;
  for (const pool of fleet.pools) {
    if (pool.kind === 'k8s-deployment') continue;
    gpus += final.counts[final.indexOf(pool.id)] * pool.gpusPerNode;
  }
  return {
    type: 'scale-deployment',
    cluster: d.cluster,
    namespace: d.namespace,
    name: d.name,
    replicas: Math.floor(gpus / d.gpusPerReplica),
    reason: why,
  };
}

/**
 * Which actions may run together: the executor runs the stages in order and the actions of one stage at
 * the same time (they touch different pools or nodes). Capacity is asked for before any is taken away.
 */
export const ACTION_STAGES: Record<Action['type'], number> = {
  'mark-offering': 0,
  report: 0,
  'set-desired': 1, // a grow; a shrink is stage 4 (stageOf)
  replace: 2,
  'cordon-drain': 2,
  'remove-instance': 3,
  'scale-deployment': 5,
  'set-warm': 5,
};

export function stageOf(a: Action): number {
  if (a.type === 'set-desired' && a.to < a.from) return 4;
  return ACTION_STAGES[a.type];
}

/** Actions a pause lets through: bookkeeping and reports, no cloud change. */
export const allowedWhilePaused = (a: Action): boolean => a.type === 'mark-offering' || a.type === 'report';

/** Splits the actions into those a pause lets through and those it holds back, and says so. */
export function applyPause(
  all: Action[],
  paused: PauseState | undefined,
  reasons: Reasons,
): { actions: Action[]; suppressedActions: Action[] } {
  if (!paused) return { actions: all, suppressedActions: [] };
  const suppressedActions = all.filter((a) => !allowedWhilePaused(a));
  reasons.add(
    'safety',
    'safety.paused',
    `paused by ${paused.by} (${paused.reason})${paused.until ? ` until ${paused.until}` : ''}: ` +
      `${suppressedActions.length} action(s) held back`,
  );
  return { actions: all.filter(allowedWhilePaused), suppressedActions };
}

/** The `SetDesiredRequest.reason` of this decision: the size change and what drove it. */
export function reasonSummary(current: number, target: number, reasons: Reasons): string {
  const codes = reasons.list.map((r) => r.code).filter((c) => !c.startsWith('signal.') && !c.startsWith('placement.'));
  const drivers = [...new Set(codes)].slice(0, 4);
  return `autoscaler: ${current} -> ${target} nodes${drivers.length ? ` (${drivers.join(', ')})` : ''}`;
}
