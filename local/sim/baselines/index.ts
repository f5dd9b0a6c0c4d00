/** The baselines the autoscaler is measured against (same trace, prices, physics and run). */
import type { Controller } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import { createHpaBaseline } from './hpa.ts';
import { createKarpenterBaseline } from './karpenter.ts';
import { createOracle } from './oracle.ts';
import { createReactiveBaseline } from './reactive.ts';
import { createSpotHedgeBaseline } from './spothedge.ts';
import { createStaticBaseline } from './static.ts';

export { createHpaBaseline, createHpaLoop, type HpaOptions } from './hpa.ts';
export {
  allowedDisruptions,
  chooseOffering,
  createKarpenterBaseline,
  KARPENTER_DEFAULTS,
  type KarpenterOptions,
  offeringsOf,
  UnavailableOfferings,
} from './karpenter.ts';
export { createOracle, type OracleOptions, type OraclePlan, oracleSources, planOracle } from './oracle.ts';
export { createReactiveBaseline, type ReactiveOptions, reactiveDecision, SEED_REACTIVE_POLICY } from './reactive.ts';
export {
  createSpotHedgeBaseline,
  hysteresis,
  SKYSERVE_DEFAULTS,
  type SpotHedgeOptions,
  type SpotLocation,
  SpotPlacer,
  spotLocationsOf,
} from './spothedge.ts';
export { createStaticBaseline, type StaticOptions, staticNodes } from './static.ts';

/**
 * The baselines that need the fleet's baseline pool, an on-demand one (`DemoFleet.baselinePoolId`): reactive,
 * hpa and static run on it alone, and spothedge falls back to it.
 */
export const ON_DEMAND_ONLY = ['reactive', 'hpa', 'spothedge', 'static'] as const;

/** Whether the fleet has an on-demand pool for the baselines of `ON_DEMAND_ONLY` (the cheapest per request/s). */
export function hasOnDemandBaseline(demo: DemoFleet): boolean {
  return demo.fleet.pools.some((p) => p.id === demo.baselinePoolId && p.capacityType === 'on-demand');
}

/**
 * reactive, hpa, karpenter, spothedge, static, oracle: fresh instances (controllers keep state). For a fleet
 * without an on-demand pool (`demo`), those that need one are left out.
 */
export function createBaselines(demo?: DemoFleet): Controller[] {
  const all = [
    createReactiveBaseline(),
    createHpaBaseline(),
    createKarpenterBaseline(),
    createSpotHedgeBaseline(),
    createStaticBaseline(),
    createOracle(),
  ];
  if (!demo || hasOnDemandBaseline(demo)) return all;
  return all.filter((c) => !(ON_DEMAND_ONLY as readonly string[]).includes(c.name));
}
