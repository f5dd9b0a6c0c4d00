/**
 * A Kubernetes API server on 127.0.0.1 for tests and the offline simulation, over the shared World.
 * Plain http with a fake bearer token: @kubernetes/client-node talks plain http only to a cluster marked
 * `skipTLSVerify` (`insecure-skip-tls-verify: true` in a kubeconfig), which `kubeconfig` below sets.
 *
 * Faults (`world.faults.inject({ service: 'kubernetes', operation, kind })`) on operations named
 * `<resource>[.<subresource>].<verb>`: `nodes.list|get|patch`, `pods.list|get`, `pods.eviction.create`,
 * `deployments.list|get|patch`, `deployments.scale.get|patch|update`, `poddisruptionbudgets.list|get`,
 * `nodepools.list|get|patch|update`, `discovery.get`. Kinds: throttle -> 429 TooManyRequests with
 * Retry-After: 1; server-error, insufficient-capacity, operation-failed -> 500 InternalError (the API
 * server has no capacity or long-running-operation errors); timeout -> hang, then drop the connection;
 * conflict -> 409 Conflict; unauthorized -> 401 Unauthorized.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { World } from '../world.ts';
import { createHandler } from './server.ts';
import { KubernetesState, type KubernetesStateOptions } from './state.ts';

export type { DaemonSetSeed, DeploymentSeed, NodePoolSeed, PdbSeed, StaticPodSeed } from './state.ts';
export { KubernetesState } from './state.ts';

export interface KubernetesEmulatorOptions extends KubernetesStateOptions {
  /** The bearer token the server accepts (default `emulator-token`). */
  token?: string;
}

/** `@kubernetes/client-node` `KubeConfig.loadFromOptions` input. */
export interface KubeConfigOptions {
  clusters: Array<{ name: string; server: string; skipTLSVerify: boolean }>;
  users: Array<{ name: string; token: string }>;
  contexts: Array<{ name: string; cluster: string; user: string; namespace?: string }>;
  currentContext: string;
}

export interface KubernetesEmulator {
  /** `http://127.0.0.1:<port>`. */
  server: string;
  /** Same as `server` (the name the other emulators use). */
  endpoint: string;
  token: string;
  /** The cluster, to seed Deployments, PDBs and NodePools and to look inside. */
  state: KubernetesState;
  /** A kubeconfig object for this server. */
  kubeconfig: KubeConfigOptions;
  /** The same as a kubeconfig file (JSON, which is YAML). */
  kubeconfigText: string;
  close(): Promise<void>;
}

export async function startKubernetesEmulator(
  world: World,
  options: KubernetesEmulatorOptions = {},
): Promise<KubernetesEmulator> {
  const token = options.token ?? 'emulator-token';
  const state = new KubernetesState(world, options);
  const timers = new Set<NodeJS.Timeout>();
  let address = '';
  const server = createServer(createHandler({ world, state, token, serverAddress: () => address, timers }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const kubeconfig: KubeConfigOptions = {
    clusters: [{ name: 'emulator', server: url, skipTLSVerify: true }],
    users: [{ name: 'emulator', token }],
    contexts: [{ name: 'emulator', cluster: 'emulator', user: 'emulator', namespace: 'default' }],
    currentContext: 'emulator',
  };
  const kubeconfigText = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'emulator', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'emulator', user: { token } }],
    contexts: [{ name: 'emulator', context: { cluster: 'emulator', user: 'emulator', namespace: 'default' } }],
    'current-context': 'emulator',
  });
  return {
    server: url,
    endpoint: url,
    token,
    state,
    kubeconfig,
    kubeconfigText,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
