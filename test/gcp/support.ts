/** A world with two GCP MIGs behind the Compute emulator, and the adapter pointed at it with fast retries. */
import type { PoolRef } from '../../shared/domain/ports.ts';
import {
  createGcpAdapters,
  type GcpAdapterOptions,
  type GcpAdapters,
  staticToken,
} from '../../shared/adapters/gcp/index.ts';
import { type GcpEmulator, type GcpEmulatorOptions, startGcpEmulator } from '../../local/emulators/gcp/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

export const T0 = Date.parse('2026-01-05T00:00:00Z');
export const PROJECT = 'gpu-fleet-prod';

export const ZONAL: WorldPoolSpec = {
  id: 'gcp-l4-spot',
  cloud: 'gcp',
  kind: 'gcp-mig',
  name: 'gpu-l4-spot',
  region: 'us-central1',
  zones: ['us-central1-a'],
  instanceType: 'g2-standard-8',
  capacityType: 'spot',
  desired: 3,
  min: 0,
  max: 50,
  bootSeconds: 60,
  readySeconds: 300,
  hourlyPrice: 0.35,
  scope: PROJECT,
};

export const REGIONAL: WorldPoolSpec = {
  id: 'gcp-a100-od',
  cloud: 'gcp',
  kind: 'gcp-regional-mig',
  name: 'gpu-a100',
  region: 'us-east1',
  zones: ['us-east1-b', 'us-east1-c', 'us-east1-d'],
  instanceType: 'a2-highgpu-1g',
  capacityType: 'on-demand',
  desired: 2,
  min: 0,
  max: 50,
  bootSeconds: 90,
  readySeconds: 600,
  hourlyPrice: 3.67,
  scope: PROJECT,
};

export const refOf = (spec: WorldPoolSpec, over: Partial<PoolRef> = {}): PoolRef => ({
  id: spec.id,
  cloud: 'gcp',
  kind: spec.kind,
  resource: spec.name,
  location: { region: spec.region, zones: spec.zones },
  scope: spec.scope,
  ...over,
});

/**
 * Fast settings for tests: 5 ms backoff, 10 ms poll interval, a 300 ms timeout on `operations.wait` (a hung wait
 * is a test of its own). A request gets 3 s: a loaded 2-core machine (the whole suite at once) took more than
 * 300 ms over a fresh client's first request, and the retry after that timeout broke the tests that count calls.
 */
export const FAST: GcpAdapterOptions = {
  project: PROJECT,
  authClient: staticToken('fake-token-for-tests'),
  retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
  poll: { intervalMs: 10, timeoutMs: 2_000 },
  timeouts: { requestMs: 3_000, waitMs: 300 },
};

export interface Env {
  world: World;
  emulator: GcpEmulator;
  gcp: GcpAdapters;
  close(): Promise<void>;
}

export async function startEnv(
  opts: { emulator?: GcpEmulatorOptions; adapter?: GcpAdapterOptions; pools?: WorldPoolSpec[] } = {},
): Promise<Env> {
  const world = new World({ start: T0, seed: 7 });
  for (const p of opts.pools ?? [ZONAL, REGIONAL]) world.addPool(p);
  const emulator = await startGcpEmulator(world, { waitMs: 5, ...opts.emulator });
  const gcp = createGcpAdapters({ ...FAST, endpoint: emulator.endpoint, ...opts.adapter });
  return {
    world,
    emulator,
    gcp,
    close: async () => {
      await gcp.close();
      await emulator.close();
    },
  };
}

/** The Compute methods the emulator served, in order. */
export const methods = (world: World): string[] => world.callsTo('compute').map((c) => c.operation);
