/** A deployed function: the shared handler with dependencies from the environment. */
import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler, type FunctionName } from './handler.ts';
import { productionDeps } from './production.ts';

export function lambdaHandler(name: FunctionName) {
  const logger = new Logger({ serviceName: `gpu-autoscaler-${name}` });
  const log = {
    debug: (m: string, x?: Record<string, unknown>) => logger.debug(m, x ?? {}),
    info: (m: string, x?: Record<string, unknown>) => logger.info(m, x ?? {}),
    warn: (m: string, x?: Record<string, unknown>) => logger.warn(m, x ?? {}),
    error: (m: string, x?: Record<string, unknown>) => logger.error(m, x ?? {}),
  };
  return createHandler({ name, logger, deps: () => productionDeps(log) });
}
