/**
 * An end-to-end harness: the demo configuration's pools in a World, every emulator and dynalite on
 * 127.0.0.1, and the real handlers (middy, Powertools, idempotency) wired to them.
 */
import { fileURLToPath } from 'node:url';
import { loadConfigFile, type ResolvedConfig } from '../../shared/config/load.ts';
import { MetricsStore } from '../../shared/emulators/prometheus/store.ts';
import { World } from '../../shared/emulators/world.ts';
import { createHandler, type FunctionName, type HandlerResult, localContext } from '../../shared/runtime/handler.ts';
import { type LocalStack, startLocalStack } from '../../shared/runtime/local.ts';
import { seedDeployments, seedWorld } from '../../shared/runtime/seed.ts';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.json', import.meta.url));
export const T0 = Date.parse('2026-01-05T15:00:00Z');

export interface Harness {
  world: World;
  stack: LocalStack;
  resolved: ResolvedConfig;
  metrics: MetricsStore;
  invoke(fn: FunctionName, event: unknown): Promise<HandlerResult>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { desired?: Record<string, number>; resolved?: ResolvedConfig } = {},
): Promise<Harness> {
  const resolved = options.resolved ?? (await loadConfigFile(DEMO_CONFIG));
  const world = new World({ start: T0, seed: 7 });
  world.addReservation({
    id: 'cr-0c4b1d2e3f4a5b6c7',
    cloud: 'aws',
    type: 'capacity-block',
    instanceType: 'p5.48xlarge',
    zone: 'us-east-1a',
    total: 1,
    start: T0 - 3600_000,
    end: T0 + 6 * 3600_000,
  });
  seedWorld(world, resolved, (id, min) => options.desired?.[id] ?? min);
  const metrics = new MetricsStore();
  const stack = await startLocalStack({ world, resolved, metricsStore: metrics });
  seedDeployments(world, resolved, stack.kubernetes);
  const handlers = new Map<FunctionName, ReturnType<typeof createHandler>>();
  return {
    world,
    stack,
    resolved,
    metrics,
    invoke: async (fn, event) => {
      let h = handlers.get(fn);
      if (!h) {
        h = createHandler({ name: fn, deps: async () => stack.deps });
        handlers.set(fn, h);
      }
      return (await h(structuredClone(event), localContext(fn, 60_000))) as HandlerResult;
    },
    close: () => stack.close(),
  };
}
