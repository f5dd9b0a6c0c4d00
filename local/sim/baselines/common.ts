/** What the baselines share: one pool they scale, everything else at zero. */
import type { DemoFleet } from '../demo.ts';
import { demoPool } from '../demo.ts';
import type { Pool } from '../../../shared/domain/types.ts';
import { scheduleFloorAt } from './oracle.ts';

/** Desired counts with `n` on `poolId` and 0 elsewhere. */
export function onlyPool(demo: DemoFleet, poolId: string, n: number): Record<string, number> {
  return Object.fromEntries(demo.worldPools.map((p) => [p.id, p.id === poolId ? n : 0]));
}

/** The pool an on-demand baseline scales: `poolId`, or the demo's cheapest on-demand pool per request/s. */
export function baselinePool(demo: DemoFleet, poolId: string | undefined): Pool {
  const pool = demoPool(demo, poolId ?? demo.baselinePoolId);
  if (pool.capacityType !== 'on-demand')
    throw new Error(`baseline pool ${pool.id} is ${pool.capacityType}, not on-demand`);
  return pool;
}

/**
 * The most nodes a one-pool baseline holds: its pool's maximum and the fleet's `maxNodes`, the ceilings the
 * autoscaler and the oracle keep. A real group keeps the first too: an Auto Scaling group refuses a desired
 * capacity above its MaxSize ("New SetDesiredCapacity value ... is above max value ...", as the emulator
 * answers), and the Cluster Autoscaler never grows a node group past its maximum, so the HPA's pods beyond it
 * stay pending.
 */
export function poolCeiling(demo: DemoFleet, pool: Pool): number {
  return Math.max(0, Math.min(pool.max, demo.fleet.policy.maxNodes));
}

/**
 * The fewest nodes a one-pool baseline holds at any time: its pool's minimum and the fleet's `minNodes`, within
 * `poolCeiling`. The other pools' minimums are not its to keep: it scales one pool.
 */
export function poolMinimum(demo: DemoFleet, pool: Pool): number {
  return Math.min(poolCeiling(demo, pool), Math.max(pool.min, demo.fleet.policy.minNodes));
}

/**
 * The fewest nodes a one-pool baseline holds at `t` (epoch ms): `poolMinimum`, raised by the active schedule
 * windows' `minNodes`, within `poolCeiling`: the operator's hard floors, which bind every controller.
 */
export function poolFloorAt(demo: DemoFleet, pool: Pool, t: number): number {
  return Math.min(poolCeiling(demo, pool), Math.max(poolMinimum(demo, pool), scheduleFloorAt(demo, t)));
}
