/**
 * Drain, as `kubectl drain` does it: cordon the node, then evict its pods through the policy/v1 Eviction
 * subresource, which enforces PodDisruptionBudgets. DaemonSet pods (their controller would put them back)
 * and mirror pods (the kubelet owns them) are left alone.
 *
 * Each round lists the node's pods and asks to evict every one not already terminating. A 429 (a budget
 * would be violated, or the API server is throttling) leaves the pod for the next round, one poll interval
 * later; a 404 means it is already gone; transient failures are retried, then left for the next round.
 * The drain is complete when a listing finds no evictable pod; at the deadline, the pods still there are
 * reported as `remaining`. `evicted` lists `namespace/name` of the pods that left (404s included).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound, isThrottled, isTransient } from '../../domain/errors.ts';
import type { DrainResult } from '../../domain/ports.ts';
import { type AdapterContext, clientsFor, listPods } from './context.ts';
import { sleep, withRetry } from './retry.ts';

export function isEvictable(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller !== false);
}

const idOf = (p: V1Pod) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;

type Outcome = 'evicted' | 'gone' | 'refused';

async function evict(ctx: AdapterContext, operation: string, pod: V1Pod): Promise<Outcome> {
  const c = clientsFor(ctx, operation);
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  try {
    await withRetry(
      operation,
      ctx.retry,
      () =>
        c.core.createNamespacedPodEviction(
          { name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } },
          c.call(),
        ),
      isTransient,
    );
    return 'evicted';
  } catch (e) {
    if (isNotFound(e)) return 'gone';
    if (isThrottled(e) || isTransient(e)) return 'refused';
    throw e;
  }
}

/** `cordon` is the port's own (idempotent, `not-found` when the node is gone). */
export async function drainNode(
  ctx: AdapterContext,
  cordon: (node: string) => Promise<void>,
  node: string,
  deadline: Date,
): Promise<DrainResult> {
  const operation = `draining kubernetes node ${node}`;
  const evicted: string[] = [];
  try {
    await cordon(node);
  } catch (e) {
    if (isNotFound(e)) return { node, evicted, remaining: [], complete: true };
    throw e;
  }
  for (let round = 0; ; round++) {
    const pods = (await listPods(ctx, operation, { fieldSelector: `spec.nodeName=${node}` })).filter(isEvictable);
    if (pods.length === 0) return { node, evicted, remaining: [], complete: true };
    // The first round always asks, even with a deadline already past.
    if (round > 0 && ctx.now().getTime() >= deadline.getTime()) {
      return { node, evicted, remaining: pods.map(idOf), complete: false };
    }
    // Sleep before the next round unless every pod was just evicted for the first time (then re-list at once).
    let wait = false;
    for (const pod of pods) {
      const id = idOf(pod);
      if (pod.metadata?.deletionTimestamp || evicted.includes(id)) {
        wait = true; // terminating: wait for it to go
        continue;
      }
      const outcome = await evict(ctx, operation, pod);
      if (outcome === 'refused') wait = true;
      else evicted.push(id);
    }
    const left = deadline.getTime() - ctx.now().getTime();
    if (wait && left > 0) await sleep(Math.min(ctx.poll.intervalMs, left));
  }
}
