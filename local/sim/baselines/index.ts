/** The baselines the autoscaler is measured against (same trace, prices, physics and run). */
import type { Controller } from '../controller.ts';
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

/** reactive, hpa, karpenter, spothedge, static, oracle: fresh instances (controllers keep state). */
export function createBaselines(): Controller[] {
  return [
    createReactiveBaseline(),
    createHpaBaseline(),
    createKarpenterBaseline(),
    createSpotHedgeBaseline(),
    createStaticBaseline(),
    createOracle(),
  ];
}
