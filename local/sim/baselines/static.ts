/**
 * The static baseline: enough on-demand nodes of the baseline pool for the run's peak, all day, serving
 * from the start. Peak = the highest mean demand of any simulation step (the physics' resolution, so no
 * step is short of capacity); nodes = ceil(peak / rpsPerNode), no buffer on top: the capacity model's
 * throughput is already the rate at the latency target, and a buffer would only add cost to a fleet that
 * is never short; at least the run's highest floor (the pool's minimum, the fleet's `minNodes`, the schedule
 * windows' `minNodes`: `poolMinimum`, `scheduleFloors`), and held to the pool's maximum and the fleet's `maxNodes`
 * (`poolCeiling`). It never acts.
 */
import { ceilTolerant } from '../../../shared/domain/capacity.ts';
import type { Controller, Foresight } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import { baselinePool, onlyPool, poolCeiling, poolMinimum } from './common.ts';
import { scheduleFloors } from './oracle.ts';

export interface StaticOptions {
  name?: string;
  poolId?: string;
}

/** Nodes of `rpsPerNode` that serve the highest step of the run. */
export function staticNodes(foresight: Foresight, rpsPerNode: number): number {
  const peak = Math.max(0, ...foresight.offeredPerStep.map((r) => r / foresight.stepSeconds));
  return Math.max(1, ceilTolerant(peak / rpsPerNode));
}

export function createStaticBaseline(options: StaticOptions = {}): Controller {
  return {
    name: options.name ?? 'static',
    initialDesired(demo: DemoFleet, foresight: Foresight) {
      const pool = baselinePool(demo, options.poolId);
      // A fixed fleet keeps every floor of the run all along: the highest, within the ceilings.
      const windows = scheduleFloors(demo, foresight.offeredPerStep.length, foresight.stepSeconds);
      const floor = windows.reduce((a, b) => Math.max(a, b), poolMinimum(demo, pool));
      const n = Math.max(floor, staticNodes(foresight, pool.rpsPerNode));
      return onlyPool(demo, pool.id, Math.min(poolCeiling(demo, pool), n));
    },
    async start() {},
    async step() {},
    async stop() {},
  };
}
