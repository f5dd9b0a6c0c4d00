/**
 * Kubernetes adapters: the only place that imports @kubernetes/client-node.
 *
 *   const { cluster, capacity } = createKubernetesAdapters({ kubeconfig: Resource.Kubeconfig.value });
 *   const { cluster } = createKubernetesAdapters({ kubeconfig: emulator.kubeconfig, retry: { baseDelayMs: 5 } });
 *
 * Clients are built on first use. Defaults suit production: 5 attempts from 200 ms up to 5 s apart,
 * 30 s per request, drain re-tries every 5 s, 500 items per list page.
 */
import type { CapacityPort, ClusterPort } from '../../domain/ports.ts';
import { KubernetesCapacity } from './capacity.ts';
import { type ConnectionOptions, KubeClients, loadKubeConfig } from './client.ts';
import { KubernetesCluster } from './cluster.ts';
import type { AdapterContext, PollOptions } from './context.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts';

export type { ConnectionOptions, KubeConfigObject } from './client.ts';
export { toCloudError } from './errors.ts';
export { capacityTypeOf, parseProviderId, toGpuNode } from './nodes.ts';
export type { RetryOptions } from './retry.ts';
export { KubernetesCapacity, KubernetesCluster };

export interface KubernetesAdapterOptions extends ConnectionOptions {
  retry?: Partial<RetryOptions>;
  poll?: Partial<PollOptions>;
  /** Items per list page. */
  pageSize?: number;
  /** The adapter's clock; default the real one. */
  clock?: () => Date;
}

export interface KubernetesAdapters {
  cluster: KubernetesCluster & ClusterPort;
  capacity: KubernetesCapacity & CapacityPort;
}

export function createKubernetesAdapters(options: KubernetesAdapterOptions = {}): KubernetesAdapters {
  let clients: KubeClients | undefined;
  const ctx: AdapterContext = {
    clients: () => {
      clients ??= new KubeClients(loadKubeConfig(options), options.timeoutMs ?? 30_000);
      return clients;
    },
    retry: { ...DEFAULT_RETRY, ...options.retry },
    poll: { intervalMs: 5_000, ...options.poll },
    pageSize: options.pageSize ?? 500,
    now: options.clock ?? (() => new Date()),
  };
  const cluster = new KubernetesCluster(ctx);
  return { cluster, capacity: new KubernetesCapacity(ctx, cluster) };
}
