/**
 * What the Kubernetes ports share: lazily built clients, retry and poll settings, the clock, and the
 * paged list helpers.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './client.ts';
import { toCloudError } from './errors.ts';
import { type RetryOptions, withRetry } from './retry.ts';

export interface PollOptions {
  /** How often drain re-tries evictions a PodDisruptionBudget refused. */
  intervalMs: number;
}

export interface AdapterContext {
  /** Builds the clients on first use. */
  clients(): KubeClients;
  retry: RetryOptions;
  poll: PollOptions;
  /** Items per list page (`limit`). */
  pageSize: number;
  /** The adapter's clock (observation times, drain deadlines). */
  now(): Date;
}

/** The clients, with a failure to build them (bad kubeconfig) reported as a CloudError of that operation. */
export function clientsFor(ctx: AdapterContext, operation: string): KubeClients {
  try {
    return ctx.clients();
  } catch (e) {
    throw toCloudError(e, operation);
  }
}

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

/** Follows `continue` tokens until the list is complete; each page is retried on its own. */
export async function listAll<T>(
  ctx: AdapterContext,
  operation: string,
  page: (cont: string | undefined, limit: number) => Promise<Page<T>>,
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const p = await withRetry(operation, ctx.retry, () => page(cont, ctx.pageSize));
    out.push(...p.items);
    cont = p.metadata?._continue || undefined;
  } while (cont);
  return out;
}

export function listNodes(ctx: AdapterContext, operation: string, labelSelector?: string): Promise<V1Node[]> {
  const c = clientsFor(ctx, operation);
  return listAll(ctx, operation, (cont, limit) => c.core.listNode({ labelSelector, limit, _continue: cont }, c.call()));
}

export function listPods(
  ctx: AdapterContext,
  operation: string,
  query: { namespace?: string; labelSelector?: string; fieldSelector?: string },
): Promise<V1Pod[]> {
  const c = clientsFor(ctx, operation);
  const { namespace, labelSelector, fieldSelector } = query;
  return listAll(ctx, operation, (cont, limit) =>
    namespace
      ? c.core.listNamespacedPod({ namespace, labelSelector, fieldSelector, limit, _continue: cont }, c.call())
      : c.core.listPodForAllNamespaces({ labelSelector, fieldSelector, limit, _continue: cont }, c.call()),
  );
}
