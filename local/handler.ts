/**
 * A trigger's handler composed for running in-process (the local stack, the CLI, the simulation, tests and
 * benchmarks): the shipped handler (`shared/runtime/handler.ts`) with `events/`'s normalizer, as each
 * function file composes it for Lambda.
 */
import { normalizeEvent } from '../events/index.ts';
import { type AutoscalerHandler, createHandler, type HandlerOptions } from '../shared/runtime/handler.ts';

export function localHandler(options: Omit<HandlerOptions, 'normalize'>): AutoscalerHandler {
  return createHandler({ ...options, normalize: normalizeEvent });
}
