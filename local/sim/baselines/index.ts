/** The baselines the autoscaler is measured against (same trace, prices, physics and run). */
import type { Controller } from '../controller.ts';
import { createHpaBaseline } from './hpa.ts';
import { createOracle } from './oracle.ts';
import { createReactiveBaseline } from './reactive.ts';
import { createStaticBaseline } from './static.ts';

export { createHpaBaseline, type HpaOptions } from './hpa.ts';
export { createOracle, type OracleOptions, type OraclePlan, oracleSources, planOracle } from './oracle.ts';
export { createReactiveBaseline, type ReactiveOptions, reactiveDecision, SEED_REACTIVE_POLICY } from './reactive.ts';
export { createStaticBaseline, type StaticOptions, staticNodes } from './static.ts';

/** reactive, hpa, static, oracle: fresh instances (controllers keep state). */
export function createBaselines(): Controller[] {
  return [createReactiveBaseline(), createHpaBaseline(), createStaticBaseline(), createOracle()];
}
