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
 *
 * Grace: a pod keeps its own `terminationGracePeriodSeconds` (30 s by default) unless the time left before
 * the deadline is shorter: then the eviction asks for the time left less `GRACE_MARGIN_SECONDS` (at least
 * 1 s), so that the pod has stopped before the cloud takes the node back (an Azure or GCP notice leaves 30 s).
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

/** The API's default `terminationGracePeriodSeconds`. */
export const DEFAULT_POD_GRACE_SECONDS = 30;
/**
 * Seconds kept between a pod's end of grace and the drain deadline: the API server records the deletion,
 * the kubelet sends SIGTERM, then SIGKILL at the end of the grace period; this leaves room for those steps
 * and for the clock difference with the cloud's notice. A documented choice, not a measured figure.
 */
export const GRACE_MARGIN_SECONDS = 5;

/**
 * The grace period to evict `pod` with when `leftMs` remain before the deadline: its own grace when there is
 * time for it (then undefined: the eviction names none), else the time left less the margin, at least 1 s.
 */
export function evictionGraceSeconds(pod: V1Pod, leftMs: number): number | undefined {
  const own = pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS;
  const fits = Math.max(1, Math.floor(leftMs / 1000) - GRACE_MARGIN_SECONDS);
  return fits < own ? fits : undefined;
}

async function evict(ctx: AdapterContext, operation: string, pod: V1Pod, grace: number | undefined): Promise<Outcome> {
  const c = clientsFor(ctx, operation);
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  const body = {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name, namespace },
    ...(grace === undefined ? {} : { deleteOptions: { gracePeriodSeconds: grace } }),
  };
  try {
    await withRetry(
      operation,
      ctx.retry,
      () => c.core.createNamespacedPodEviction({ name, namespace, body }, c.call()),
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
  // The deadline is on the adapter's clock (the application's). A simulated clock may stand still while the
  // drain waits: time then still passes at the real rate, so a drain that cannot finish always ends.
  const startedAt = ctx.now().getTime();
  const startedReal = performance.now();
  const now = () => Math.max(ctx.now().getTime(), startedAt + (performance.now() - startedReal));
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
    if (round > 0 && now() >= deadline.getTime()) {
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
      const outcome = await evict(ctx, operation, pod, evictionGraceSeconds(pod, deadline.getTime() - now()));
      if (outcome === 'refused') wait = true;
      else evicted.push(id);
    }
    const left = deadline.getTime() - now();
    if (wait && left > 0) await sleep(Math.min(ctx.poll.intervalMs, left));
  }
}
