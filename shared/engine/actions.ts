/**
 * Turns the final layout into the plan's pools and its ordered actions.
 *
 * Order of execution: record backoffs, grow pools, replace instances at risk, drain (and remove) nodes that
 * go, shrink pools, report — capacity is added before any is taken away. A `set-desired` target leaves
 * out the instances that drain/replace actions remove from its pool: each removal lowers the pool by one
 * (CapacityPort.removeInstance), so the pool ends at its planned count without terminating the wrong node.
 */
import type { Fleet } from '../domain/types.ts';
import { DEFAULT_DRAIN_SECONDS } from './defaults.ts';
import type { InterruptionEffects } from './interruptions.ts';
import type { Layout } from './layout.ts';
import type { Reasons } from './reasons.ts';
import { iso } from './time.ts';
import type {
  Action,
  CordonDrainAction,
  MarkOfferingAction,
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
  operatorDrains: Array<{ node: string; eventId: string; reason: string }>;
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
      hourlyPrice: pool.hourlyPrice,
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

  // Pools that gained nodes above the baseline take the rebalance replacements, in placement order.
  const gains: string[] = [];
  for (let i = 0; i < final.slots.length; i++) {
    for (let k = baseline.counts[i]; k < final.counts[i]; k++) gains.push(final.slots[i].pool.id);
  }
  for (const r of effects.rebalances) {
    const toPool = gains.shift();
    if (toPool)
      replaces.push({
        type: 'replace',
        instanceId: r.instanceId,
        fromPool: r.poolId,
        toPool,
        reason: `rebalance notice ${r.eventId}`,
      });
    else {
      // The fleet shrinks anyway: the instance at risk is among the nodes that go.
      drains.push({
        type: 'cordon-drain',
        poolId: r.poolId,
        instanceId: r.instanceId,
        deadline: iso(now + DEFAULT_DRAIN_SECONDS * 1000),
        remove: true,
        reason: `rebalance notice ${r.eventId}, fleet scaling in`,
      });
    }
  }
  for (const d of input.operatorDrains) {
    drains.push({
      type: 'cordon-drain',
      node: d.node,
      deadline: iso(now + DEFAULT_DRAIN_SECONDS * 1000),
      remove: false,
      reason: d.reason,
    });
  }

  for (const pool of fleet.pools) {
    const target = final.counts[final.indexOf(pool.id)];
    const to = target + (effects.leaving.get(pool.id) ?? 0);
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
  return [...input.marks, ...grow, ...replaces, ...drains, ...shrink, ...input.reports];
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
