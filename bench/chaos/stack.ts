/**
 * The demo fleet in a world behind every emulator and dynalite on 127.0.0.1, with the real handlers: what
 * each chaos scenario runs against. Each scenario gets its own (a server on port 0 starts in milliseconds).
 */
import { fileURLToPath } from 'node:url';
import { type CallRecord, World } from '../../local/emulators/world.ts';
import { MetricsStore } from '../../local/emulators/prometheus/store.ts';
import { seedDeployments, seedWorld } from '../../local/seed.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { loadConfigFile, type ResolvedConfig } from '../../shared/config/load.ts';
import { type FunctionName, localContext } from '../../shared/runtime/handler.ts';
import { localHandler } from '../../local/handler.ts';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.json', import.meta.url));
/** Monday 2026-01-05 10:00 in New York: inside the demo's business-hours window. */
export const T0 = Date.parse('2026-01-05T15:00:00Z');
export const FLEET = 'llm-demo';

/** Calls that read (describe, list, get, wait for an operation): everything else changes something. */
const READ = /^(Describe|List|Get)|\.(get|list\w*|wait|getInstanceView)$|^discovery|^unknown$/;

export interface ChaosStack {
  world: World;
  stack: LocalStack;
  resolved: ResolvedConfig;
  metrics: MetricsStore;
  /** Invokes a function as Lambda would, with its own time limit; throws what the handler throws. */
  invoke(fn: FunctionName, event: unknown, timeoutMs?: number): Promise<unknown>;
  /**
   * The same in a container of its own (its own handler and middlewares, the same clouds and table): what
   * deliveries at the same time get from Lambda, which never runs two invocations in one container.
   */
  invokeInNewContainer(fn: FunctionName, event: unknown, timeoutMs?: number): Promise<unknown>;
  /** Calls that changed something in a cloud or a cluster (not reads, not the event bus). */
  writes(): CallRecord[];
  close(): Promise<void>;
}

export async function chaosStack(
  options: { desired?: Record<string, number>; resolved?: ResolvedConfig; clock?: () => Date } = {},
): Promise<ChaosStack> {
  const resolved = options.resolved ?? (await loadConfigFile(DEMO_CONFIG));
  const world = new World({ start: T0, seed: 11 });
  seedWorld(world, resolved, (id, min) => options.desired?.[id] ?? min);
  const metrics = new MetricsStore();
  const stack = await startLocalStack({
    world,
    resolved,
    metricsStore: metrics,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  seedDeployments(world, resolved, stack.kubernetes);
  const handlers = new Map<FunctionName, ReturnType<typeof localHandler>>();
  return {
    world,
    stack,
    resolved,
    metrics,
    invoke: async (fn, event, timeoutMs = 60_000) => {
      let h = handlers.get(fn);
      if (!h) {
        h = localHandler({ trigger: fn, deps: async () => stack.deps });
        handlers.set(fn, h);
      }
      return h(structuredClone(event), localContext(fn, timeoutMs));
    },
    invokeInNewContainer: (fn, event, timeoutMs = 60_000) =>
      localHandler({ trigger: fn, deps: async () => stack.deps })(structuredClone(event), localContext(fn, timeoutMs)),
    writes: () => world.calls.filter((c) => c.service !== 'events' && !READ.test(c.operation)),
    close: () => stack.close(),
  };
}
