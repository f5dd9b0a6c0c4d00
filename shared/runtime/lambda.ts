/** A deployed function: its trigger's handler with dependencies from the environment. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { AnyTrigger } from '../app/triggers/trigger.ts';
import type { Normalizer } from '../domain/routing.ts';
import { createHandler } from './handler.ts';
import { productionDeps } from './production.ts';

/** `normalize` is `events/`'s `normalizeEvent`, passed by the function file (shared code never imports `events/`). */
export function lambdaHandler(trigger: AnyTrigger, normalize: Normalizer) {
  const logger = new Logger({ serviceName: `gpu-autoscaler-${trigger.name}` });
  const log = {
    debug: (m: string, x?: Record<string, unknown>) => logger.debug(m, x ?? {}),
    info: (m: string, x?: Record<string, unknown>) => logger.info(m, x ?? {}),
    warn: (m: string, x?: Record<string, unknown>) => logger.warn(m, x ?? {}),
    error: (m: string, x?: Record<string, unknown>) => logger.error(m, x ?? {}),
  };
  return createHandler({ trigger, normalize, logger, deps: () => productionDeps(log) });
}

/**
 * A deployed function that loads its configuration, clients and every adapter its pools use during init
 * (top-level await), so that a provisioned (warm) container has nothing left to load when a notice comes.
 */
export async function warmLambdaHandler(trigger: AnyTrigger, normalize: Normalizer) {
  const handler = lambdaHandler(trigger, normalize);
  await handler.warm();
  return handler;
}
