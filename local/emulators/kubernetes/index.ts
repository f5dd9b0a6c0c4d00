/**
 * A Kubernetes API server on 127.0.0.1 for tests and the offline simulation, over the shared World.
 * It speaks https with the run's test CA (local/emulators/azure/tls.ts), as a real API server does, and takes
 * a fake bearer token: the kubeconfig below trusts that CA (`certificate-authority-data`), as a production
 * kubeconfig trusts its cluster's, so clients verify the server rather than skip TLS verification (and
 * kubectl, which sends a bearer token over https only, works with it).
 *
 * Faults (`world.faults.inject({ service: 'kubernetes', operation, kind })`) on operations named
 * `<resource>[.<subresource>].<verb>`: `nodes.list|get|patch`, `pods.list|get`, `pods.eviction.create`,
 * `deployments.list|get|patch`, `deployments.scale.get|patch|update`, `poddisruptionbudgets.list|get`,
 * `nodepools.list|get|patch|update`, `discovery.get`. Kinds: throttle -> 429 TooManyRequests with
 * Retry-After: 1; server-error, insufficient-capacity, operation-failed -> 500 InternalError (the API
 * server has no capacity or long-running-operation errors); timeout -> hang, then drop the connection;
 * conflict -> 409 Conflict; unauthorized -> 401 Unauthorized.
 */
import { createServer } from 'node:https';
import { testTls } from '../azure/tls.ts';
import type { AddressInfo } from 'node:net';
import type { World } from '../world.ts';
import { createHandler } from './server.ts';
import { KubernetesState, type KubernetesStateOptions } from './state.ts';
import { type RequestTap, tapServer } from '../tap.ts';

export type { DaemonSetSeed, DeploymentSeed, NodePoolSeed, PdbSeed, StaticPodSeed } from './state.ts';
export { KubernetesState } from './state.ts';

export interface KubernetesEmulatorOptions extends KubernetesStateOptions {
  /** The bearer token the server accepts (default `emulator-token`). */
  token?: string;
  /** Latency added to every request and a report of each (benchmarks); none by default. */
  tap?: RequestTap;
}

/** `@kubernetes/client-node` `KubeConfig.loadFromOptions` input. */
export interface KubeConfigOptions {
  clusters: Array<{ name: string; server: string; skipTLSVerify: boolean; caData?: string }>;
  users: Array<{ name: string; token: string }>;
  contexts: Array<{ name: string; cluster: string; user: string; namespace?: string }>;
  currentContext: string;
}

export interface KubernetesEmulator {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** PEM of the CA that signed the server's certificate: what a client must trust. */
  ca: string;
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
  const tls = testTls();
  const server = createServer(
    { cert: tls.cert, key: tls.key },
    createHandler({ world, state, token, serverAddress: () => address, timers }),
  );
  tapServer(server, 'kubernetes', options.tap);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  address = `127.0.0.1:${port}`;
  const url = `https://${address}`;
  const caData = Buffer.from(tls.ca).toString('base64');
  const kubeconfig: KubeConfigOptions = {
    clusters: [{ name: 'emulator', server: url, skipTLSVerify: false, caData }],
    users: [{ name: 'emulator', token }],
    contexts: [{ name: 'emulator', cluster: 'emulator', user: 'emulator', namespace: 'default' }],
    currentContext: 'emulator',
  };
  const kubeconfigText = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'emulator', cluster: { server: url, 'certificate-authority-data': caData } }],
    users: [{ name: 'emulator', user: { token } }],
    contexts: [{ name: 'emulator', context: { cluster: 'emulator', user: 'emulator', namespace: 'default' } }],
    'current-context': 'emulator',
  });
  return {
    server: url,
    endpoint: url,
    ca: tls.ca,
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
