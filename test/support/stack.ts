/**
 * An end-to-end harness: the demo configuration's pools in a World, every emulator and dynalite on
 * 127.0.0.1, and the real handlers (middy, Powertools, idempotency) wired to them.
 */
import { fileURLToPath } from 'node:url';
import { loadConfigFile, type ResolvedConfig } from '../../shared/config/load.ts';
import { MetricsStore } from '../../local/emulators/prometheus/store.ts';
import { type CallRecord, World } from '../../local/emulators/world.ts';
import { type FunctionName, type HandlerResult, localContext } from '../../shared/runtime/handler.ts';
import { type DeliveredEvent, type LocalStack, startLocalStack } from '../../local/stack.ts';
import { seedDeployments, seedWorld } from '../../local/seed.ts';
import type { AuditRecord, RejectedEvent } from '../../shared/state/store.ts';
import { localHandler } from '../../local/handler.ts';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.json', import.meta.url));
/** Monday 2026-01-05 10:00 in New York: inside the demo's business-hours window. */
export const T0 = Date.parse('2026-01-05T15:00:00Z');
/** The demo's Capacity Block (one p5.48xlarge in us-east-1a), active from an hour before the start for 7 hours. */
export const BLOCK_ID = 'cr-0c4b1d2e3f4a5b6c7';
export const FLEET = 'llm-demo';

/** Calls that read (describe, list, get, wait for an operation): everything else changes something. */
const READ = /^(Describe|List|Get)|\.(get\w*|list\w*|wait)$|^discovery|^unknown$/;

export interface HarnessOptions {
  /** Desired count per pool at the start (default each pool's `min`). */
  desired?: Record<string, number>;
  resolved?: ResolvedConfig;
  /** The world's start time (default T0); the Capacity Block is placed around it. */
  start?: number;
  /**
   * When the Capacity Block starts and ends (ms); default from an hour before the start for 7 hours. `null`:
   * no block at all (its pool cannot be used), for tests whose subject is not reserved capacity.
   */
  block?: { start: number; end: number } | null;
  /**
   * The drain function receives the drains handed off (`LocalStackOptions.drains`), or a test takes each
   * command as the bus delivers it (and invokes the drain function itself); default none.
   */
  drains?: 'invoke' | ((event: DeliveredEvent) => void);
}

export interface Harness {
  world: World;
  stack: LocalStack;
  resolved: ResolvedConfig;
  metrics: MetricsStore;
  start: number;
  invoke(fn: FunctionName, event: unknown): Promise<HandlerResult>;
  /** Each pool's desired count in the world (what the clouds were last asked for). */
  desired(): Record<string, number>;
  totalDesired(): number;
  /** Calls that changed something in a cloud or a cluster (not reads, not the event bus). */
  writes(): CallRecord[];
  /** The audit record of one event for a fleet (default the demo fleet). */
  audit(eventId: string, fleetId?: string): Promise<AuditRecord | undefined>;
  /** Every audit record of a fleet, newest first. */
  audits(fleetId?: string): Promise<AuditRecord[]>;
  /** Events rejected on the harness's start day. */
  rejected(): Promise<RejectedEvent[]>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const resolved = options.resolved ?? (await loadConfigFile(DEMO_CONFIG));
  const start = options.start ?? T0;
  const world = new World({ start, seed: 7 });
  if (options.block !== null) {
    world.addReservation({
      id: BLOCK_ID,
      cloud: 'aws',
      type: 'capacity-block',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 1,
      start: options.block?.start ?? start - 3600_000,
      end: options.block?.end ?? start + 6 * 3600_000,
    });
  }
  seedWorld(world, resolved, (id, min) => options.desired?.[id] ?? min);
  const metrics = new MetricsStore();
  const stack = await startLocalStack({
    world,
    resolved,
    metricsStore: metrics,
    ...(options.drains ? { drains: options.drains } : {}),
  });
  seedDeployments(world, resolved, stack.kubernetes);
  const handlers = new Map<FunctionName, ReturnType<typeof localHandler>>();
  const audits = (fleetId = FLEET) => stack.deps.store.listAudit(fleetId, 100);
  return {
    world,
    stack,
    resolved,
    metrics,
    start,
    invoke: async (fn, event) => {
      let h = handlers.get(fn);
      if (!h) {
        h = localHandler({ trigger: fn, deps: async () => stack.deps });
        handlers.set(fn, h);
      }
      return (await h(structuredClone(event), localContext(fn, 60_000))) as HandlerResult;
    },
    desired: () => Object.fromEntries(world.allPools().map((p) => [p.id, p.desired])),
    totalDesired: () => world.allPools().reduce((n, p) => n + p.desired, 0),
    writes: () => world.calls.filter((c) => c.service !== 'events' && !READ.test(c.operation)),
    audit: async (eventId, fleetId = FLEET) => (await audits(fleetId)).find((a) => a.eventId === eventId),
    audits,
    rejected: () => stack.deps.store.listRejected(new Date(start).toISOString().slice(0, 10)),
    close: () => stack.close(),
  };
}
