/**
 * Shared setup for the Azure tests: a world with GPU scale sets, the ARM emulator over https with its test
 * CA, and the real adapter pointed at it with test-sized retry, poll and timeout settings.
 */
import https from 'node:https';
import {
  createAzureAdapters,
  type AzureAdapterOptions,
  type TokenCredential,
} from '../../shared/adapters/azure/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import {
  type AzureEmulator,
  type AzureEmulatorOptions,
  startAzureEmulator,
} from '../../local/emulators/azure/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

export const SUBSCRIPTION = '6f1c2b7e-0000-4000-8000-00000000a2e1';
export const RESOURCE_GROUP = 'rg-gpu-inference';
export const TOKEN = 'fake-arm-token-for-tests';
export const START = Date.parse('2025-06-01T12:00:00Z');

/** A TokenCredential that hands out a fixed fake token (no identity library, no network). */
export const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export const SPOT_POOL: WorldPoolSpec = {
  id: 'azure-a100-spot',
  cloud: 'azure',
  kind: 'azure-vmss',
  name: 'vmss-a100-spot',
  region: 'eastus',
  zones: ['eastus-1', 'eastus-2'],
  instanceType: 'Standard_NC24ads_A100_v4',
  capacityType: 'spot',
  desired: 3,
  min: 0,
  max: 40,
  bootSeconds: 90,
  readySeconds: 420,
  hourlyPrice: 1.47,
  scope: `${SUBSCRIPTION}/${RESOURCE_GROUP}`,
};

export const ON_DEMAND_POOL: WorldPoolSpec = {
  ...SPOT_POOL,
  id: 'azure-h100-od',
  name: 'vmss-h100-od',
  zones: ['eastus-3'],
  instanceType: 'Standard_ND96isr_H100_v5',
  capacityType: 'on-demand',
  desired: 1,
  hourlyPrice: 98.32,
};

export function refFor(spec: WorldPoolSpec, overrides: Partial<PoolRef> = {}): PoolRef {
  return {
    id: spec.id,
    cloud: 'azure',
    kind: 'azure-vmss',
    resource: spec.name,
    location: { region: spec.region, zones: spec.zones },
    scope: spec.scope,
    ...overrides,
  };
}

export interface AzureTestEnv {
  world: World;
  emulator: AzureEmulator;
  adapters: ReturnType<typeof createAzureAdapters>;
  /** Another adapter on the same emulator, with other options. */
  adapter(overrides: Partial<AzureAdapterOptions>): ReturnType<typeof createAzureAdapters>;
  close(): Promise<void>;
}

export async function startAzureTestEnv(
  pools: WorldPoolSpec[] = [SPOT_POOL, ON_DEMAND_POOL],
  emulatorOptions: AzureEmulatorOptions = {},
): Promise<AzureTestEnv> {
  const world = new World({ start: START, seed: 7 });
  for (const p of pools) world.addPool(p);
  const emulator = await startAzureEmulator(world, emulatorOptions);
  const base: AzureAdapterOptions = {
    subscriptionId: SUBSCRIPTION,
    endpoint: emulator.endpoint,
    ca: emulator.ca,
    credential: fakeCredential,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    poll: { intervalMs: 10, timeoutMs: 3_000 },
    requestTimeoutMs: 400,
    now: () => new Date(world.now()),
  };
  return {
    world,
    emulator,
    adapters: createAzureAdapters(base),
    adapter: (overrides) => createAzureAdapters({ ...base, ...overrides }),
    close: () => emulator.close(),
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One raw https request to the emulator, trusting `ca` (or nothing, to see verification fail). */
export function armRequest(
  endpoint: string,
  path: string,
  opts: { method?: string; ca?: string; token?: string | null; body?: unknown; raw?: string } = {},
): Promise<RawAnswer> {
  const url = new URL(path, endpoint);
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (payload) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? 'GET', headers, ca: opts.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export const vmssPath = (name: string, rg = RESOURCE_GROUP, sub = SUBSCRIPTION) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
