import https from 'node:https';
/**
 * A World with GPU pools of every cloud joined to one cluster, the Kubernetes emulator over it, and the
 * adapter pointed at it with test-sized retry, poll and timeout settings.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKubernetesAdapters, type KubernetesAdapterOptions } from '../../shared/adapters/kubernetes/index.ts';
import {
  type KubernetesEmulator,
  type KubernetesEmulatorOptions,
  startKubernetesEmulator,
} from '../../local/emulators/kubernetes/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

export const T0 = Date.parse('2026-01-05T00:00:00Z');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'k8s');

/**
 * Small enough to keep every file in seconds. The request timeout is generous so that only injected hangs
 * time out (the tests of timeouts set their own, shorter one).
 */
export const FAST: KubernetesAdapterOptions = {
  retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
  poll: { intervalMs: 10 },
  timeoutMs: 2_000,
  pageSize: 2,
};

export const pool = (
  over: Partial<WorldPoolSpec> & Pick<WorldPoolSpec, 'id' | 'cloud' | 'kind' | 'name'>,
): WorldPoolSpec => ({
  region: 'us-east-1',
  zones: ['us-east-1a'],
  instanceType: 'g6.xlarge',
  capacityType: 'on-demand',
  desired: 1,
  min: 0,
  max: 10,
  bootSeconds: 60,
  readySeconds: 300,
  hourlyPrice: 1,
  cluster: 'prod',
  tags: { gpus: '1' },
  ...over,
});

/** One Karpenter NodePool on AWS: `nodes` Ready nodes of one GPU each. */
export function karpenterWorld(nodes: number, over: Partial<WorldPoolSpec> = {}): World {
  const world = new World({ start: T0 });
  world.addPool(
    pool({
      id: 'aws-l4-karpenter',
      cloud: 'aws',
      kind: 'karpenter-nodepool',
      name: 'gpu-l4',
      zones: ['us-east-1a', 'us-east-1b'],
      capacityType: 'spot',
      desired: nodes,
      ...over,
    }),
  );
  return world;
}

export interface Cluster {
  world: World;
  emu: KubernetesEmulator;
  adapters: ReturnType<typeof createKubernetesAdapters>;
}

const open: KubernetesEmulator[] = [];

export async function startCluster(
  world: World,
  options: KubernetesAdapterOptions = {},
  emulator: KubernetesEmulatorOptions = { cluster: 'prod' },
): Promise<Cluster> {
  const emu = await startKubernetesEmulator(world, emulator);
  open.push(emu);
  const adapters = createKubernetesAdapters({ kubeconfig: emu.kubeconfig, ...FAST, ...options });
  return { world, emu, adapters };
}

/** Stops every emulator started since the last call (afterEach / afterAll). */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((e) => e.close()));
}

/** A raw request to the emulator, for what the adapter does not do (wrong content types, stale versions). */
export async function raw(
  emu: KubernetesEmulator,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  return httpsJson(emu, method, urlPath, {
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A request to the emulator over https, trusting its CA (and nothing else). */
export function httpsJson(
  emu: KubernetesEmulator,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${emu.server}${urlPath}`,
      { method, headers: options.headers ?? {}, ca: emu.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
