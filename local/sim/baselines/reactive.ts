/**
 * The reactive baseline: seed 002's `MLAutoScalingModel.simulate_auto_scaling`, on-demand only, exactly:
 *
 *   every minute m:  utilization = demand / capacity x 100
 *     if utilization > 75 and m - last_action >= 5:   replicas = min(int(replicas x 1.5), 100); last_action = m
 *     elif utilization < 30 and m - last_action >= 15: replicas = max(int(replicas x 0.75), 2); last_action = m
 *
 * with int() truncation, one `last_action` for both directions (starting at minute 0), and an action that
 * changes nothing (already at the minimum) still restarting the cooldown, as in the seed. Three differences
 * the simulation imposes: the capacity is that of the READY nodes (the seed's replicas serve at once; here
 * a node serves only after its time to ready); a replica is one GPU node of the baseline pool (its
 * throughput from the capacity model, where the seed assumes 10 requests/s); and it keeps the operator's floors
 * and ceilings, which bind every controller: the seed's 100 replicas at most held to the pool's maximum and the
 * fleet's `maxNodes` (`poolCeiling`: its group refuses more), its 2 at least raised to the pool's minimum and
 * the fleet's `minNodes` (`poolMinimum`), and an active schedule window's `minNodes` holding it up (a raise
 * to a floor is not an action of the seed's: no cooldown restarts). The decision of minute m reads
 * the metrics of minute m and applies at the end of it. It starts with the count its rule holds for the first
 * minute's demand: the fewest nodes (at least the minimum) that keep utilization at or below the scale-up
 * threshold, where it would not act (above 30% as well, unless at the minimum). A cold start: the minimum, 2
 * nodes, as the seed does.
 */
import { ceilTolerant } from '../../../shared/domain/capacity.ts';
import type { Controller, ControllerContext, Foresight, StartMode, StepContext } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import type { Pool } from '../../../shared/domain/types.ts';
import { baselinePool, onlyPool, poolCeiling, poolFloorAt, poolMinimum } from './common.ts';

export interface ReactiveOptions {
  name?: string;
  /** Default: the demo's cheapest on-demand pool. */
  poolId?: string;
  scaleUpThresholdPercent?: number;
  scaleDownThresholdPercent?: number;
  scaleUpCooldownMinutes?: number;
  scaleDownCooldownMinutes?: number;
  maxScaleUpPercent?: number;
  maxScaleDownPercent?: number;
  minReplicas?: number;
  maxReplicas?: number;
}

/** Seed 002's `scaling_policies`. */
export const SEED_REACTIVE_POLICY = {
  scaleUpThresholdPercent: 75,
  scaleDownThresholdPercent: 30,
  scaleUpCooldownMinutes: 5,
  scaleDownCooldownMinutes: 15,
  maxScaleUpPercent: 50,
  maxScaleDownPercent: 25,
  minReplicas: 2,
  maxReplicas: 100,
} as const;

/** One decision of the seed's loop, pure: the new replica count and whether it counts as an action. */
export function reactiveDecision(
  replicas: number,
  utilizationPercent: number,
  minutesSinceLastAction: number,
  p: Required<Omit<ReactiveOptions, 'name' | 'poolId'>>,
): { replicas: number; acted: boolean } {
  if (utilizationPercent > p.scaleUpThresholdPercent && minutesSinceLastAction >= p.scaleUpCooldownMinutes) {
    return { replicas: Math.min(Math.trunc(replicas * (1 + p.maxScaleUpPercent / 100)), p.maxReplicas), acted: true };
  }
  if (utilizationPercent < p.scaleDownThresholdPercent && minutesSinceLastAction >= p.scaleDownCooldownMinutes) {
    return { replicas: Math.max(Math.trunc(replicas * (1 - p.maxScaleDownPercent / 100)), p.minReplicas), acted: true };
  }
  return { replicas, acted: false };
}

export function createReactiveBaseline(options: ReactiveOptions = {}): Controller {
  const configured = { ...SEED_REACTIVE_POLICY, ...stripUndefined(options) };
  /**
   * The seed's policy, its maxReplicas held to the pool's maximum and the fleet's maxNodes, its minReplicas
   * raised to the pool's minimum and the fleet's minNodes.
   */
  let policy = configured;
  const bounded = (demo: DemoFleet, pool: Pool) => ({
    ...configured,
    minReplicas: Math.max(configured.minReplicas, poolMinimum(demo, pool)),
    maxReplicas: Math.min(configured.maxReplicas, poolCeiling(demo, pool)),
  });
  /** The schedule windows' floors at a time (epoch ms). */
  let floorAt: (t: number) => number = () => 0;
  let poolId = '';
  let lastActionMinute = 0;
  return {
    name: options.name ?? 'reactive',
    initialDesired(demo: DemoFleet, foresight: Foresight, mode: StartMode) {
      const pool = baselinePool(demo, options.poolId);
      poolId = pool.id;
      policy = bounded(demo, pool);
      if (mode === 'cold') return onlyPool(demo, poolId, policy.minReplicas);
      const rps = (foresight.offeredPerStep[0] ?? 0) / foresight.stepSeconds;
      const n = ceilTolerant(rps / (pool.rpsPerNode * (policy.scaleUpThresholdPercent / 100)));
      const floor = poolFloorAt(demo, pool, demo.startMs);
      return onlyPool(demo, poolId, Math.min(policy.maxReplicas, Math.max(policy.minReplicas, floor, n)));
    },
    async start(ctx: ControllerContext) {
      const pool = baselinePool(ctx.demo, options.poolId);
      poolId ||= pool.id;
      policy = bounded(ctx.demo, pool);
      floorAt = (t) => poolFloorAt(ctx.demo, pool, t);
      lastActionMinute = 0;
    },
    async step(ctx: StepContext) {
      const minute = ctx.stepMetrics.t / 60;
      const current = ctx.world.pool(poolId)!.desired;
      const decision = reactiveDecision(
        current,
        ctx.stepMetrics.demandUtilization * 100,
        minute - lastActionMinute,
        policy,
      );
      if (decision.acted) lastActionMinute = minute;
      // An active schedule window's floor holds it up (not an action of the seed's: no cooldown restarts).
      const replicas = Math.max(decision.replicas, floorAt(ctx.now));
      if (replicas !== current) ctx.world.setDesired(poolId, replicas);
    },
    async stop() {},
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'name' && k !== 'poolId'),
  ) as Partial<T>;
}
