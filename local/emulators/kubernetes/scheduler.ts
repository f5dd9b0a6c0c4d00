/**
 * The scheduler: pending pods go, oldest first, to the Ready, schedulable node that tolerates them,
 * matches their nodeSelector and has the most free GPUs (least allocated; ties by node name). A pod
 * requesting 0 GPUs fits any such node, up to 110 pods per node.
 */
import type { NodeView } from './nodes.ts';
import type { NodeOverlay, PodRecord, Taint, Toleration } from './objects.ts';

export const MAX_PODS_PER_NODE = 110;

export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some(
    (t) =>
      (t.key === undefined || t.key === taint.key) &&
      (t.effect === undefined || t.effect === taint.effect) &&
      (t.operator === 'Exists' || t.key === undefined || (t.value ?? '') === (taint.value ?? '')),
  );
}

interface Usage {
  gpus: Record<string, number>;
  pods: number;
}

/** Places what fits; `bind` records each placement. Pods that fit nowhere stay pending. */
export function schedule(
  pods: Iterable<PodRecord>,
  nodes: NodeView[],
  overlayOf: (node: string) => NodeOverlay,
  bind: (pod: PodRecord, node: string) => void,
): void {
  const all = [...pods];
  const pending = all
    .filter((p) => p.nodeName === undefined)
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  if (pending.length === 0) return;
  const used = new Map<string, Usage>(nodes.map((n) => [n.name, { gpus: {}, pods: 0 }]));
  const take = (u: Usage, p: PodRecord) => {
    u.pods += 1;
    u.gpus[p.gpuResource] = (u.gpus[p.gpuResource] ?? 0) + p.gpus;
  };
  for (const p of all) {
    const u = p.nodeName === undefined ? undefined : used.get(p.nodeName);
    if (u) take(u, p);
  }
  for (const p of pending) {
    let best: { node: NodeView; free: number } | undefined;
    for (const node of nodes) {
      const o = overlayOf(node.name);
      const u = used.get(node.name)!;
      if (!node.ready || o.unschedulable || u.pods >= MAX_PODS_PER_NODE) continue;
      const taints = (o.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
      if (!taints.every((t) => tolerates(p.tolerations, t))) continue;
      const labels = o.labels ?? node.labels;
      if (p.nodeSelector && !Object.entries(p.nodeSelector).every(([k, v]) => labels[k] === v)) continue;
      const capacity = node.gpuResource === p.gpuResource ? node.gpus : 0;
      const free = capacity - (u.gpus[p.gpuResource] ?? 0);
      if (free < p.gpus) continue;
      if (!best || free > best.free || (free === best.free && node.name < best.node.name)) best = { node, free };
    }
    if (!best) continue;
    bind(p, best.node.name);
    take(used.get(best.node.name)!, p);
  }
}
