/** What the baselines share: one pool they scale, everything else at zero. */
import type { DemoFleet } from '../demo.ts';
import { demoPool } from '../demo.ts';
import type { Pool } from '../../../shared/domain/types.ts';

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
