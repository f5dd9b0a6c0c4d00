/**
 * CapacityPort for the two Kubernetes pool kinds.
 *
 * `k8s-deployment` (resource `namespace/name`; counts are pods): desired = `spec.replicas`, ready =
 * `status.readyReplicas`; instances are the pods the Deployment's selector matches, with the zone and
 * capacity type of their node. Lifecycle: unscheduled -> pending, Ready condition -> ready, scheduled but
 * not Ready -> running, being deleted -> terminating. setDesired scales through the scale subresource
 * (which has no room for the reason).
 *
 * `karpenter-nodepool` (resource = NodePool name; counts are nodes): instances are the nodes labelled
 * `karpenter.sh/nodepool=<name>` (Ready -> ready, else running; being deleted -> terminating), ready is
 * how many are Ready. Desired is:
 * - a static NodePool (`spec.replicas` set): `spec.replicas`;
 * - otherwise, with a GPU limit: `floor(limits['nvidia.com/gpu' | 'amd.com/gpu'] / gpus per node)`, the
 *   number of nodes the limit lets Karpenter run;
 * - otherwise (no GPU limit): the nodes there are now.
 * GPUs per node come from the pool's tag `gpusPerNode` (or `gpus`), else from the nodes' capacity, else 1.
 * setDesired patches `spec.replicas` on a static NodePool and the GPU limit (desired x gpus per node)
 * otherwise, with the reason in the `gpu-fleet-autoscaler/reason` annotation.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { CapacityType } from '../../domain/types.ts';
import type {
  CapacityPort,
  CapacityReservation,
  InstanceLifecycle,
  ObservedInstance,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
} from '../../domain/ports.ts';
import { invalidArgument, type KubernetesCluster } from './cluster.ts';
import { type AdapterContext, clientsFor, listNodes, listPods } from './context.ts';
import { GPU_RESOURCES, gpusOf, isReady, parseQuantity, toGpuNode } from './nodes.ts';
import { withRetry } from './retry.ts';
import { resourceNameProblem } from '../../domain/names.ts';

const CAPACITY_TYPES: readonly string[] = ['spot', 'on-demand', 'reserved'];

function capacityType(value: string | undefined, ref: PoolRef): CapacityType {
  if (value && CAPACITY_TYPES.includes(value)) return value as CapacityType;
  const tagged = ref.tags?.capacityType;
  return tagged && CAPACITY_TYPES.includes(tagged) ? (tagged as CapacityType) : 'on-demand';
}

const iso = (d: Date | string | undefined) => (d instanceof Date ? d.toISOString() : d);

export function splitDeployment(resource: string, op: string): { namespace: string; name: string } {
  // A name the API refuses is not sent: `.` or `..` would leave the request's path (`ml/.` scaled `ml/scale`).
  const bad = resourceNameProblem('k8s-deployment', resource);
  if (bad) throw invalidArgument(op, bad.message);
  const parts = resource.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: 'default', name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw invalidArgument(op, `a k8s-deployment resource is "namespace/name", got "${resource}"`);
}

function podLifecycle(p: V1Pod): InstanceLifecycle {
  if (p.metadata?.deletionTimestamp) return 'terminating';
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'terminated';
  if (!p.spec?.nodeName || phase === 'Pending') return 'pending';
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'ready' : 'running';
}

function labelSelector(selector: {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'In') terms.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return terms.join(',');
}

interface NodePoolState {
  desired: number;
  isStatic: boolean;
  gpuResource: string;
  gpusPerNode: number;
  nodes: V1Node[];
}

export class KubernetesCapacity implements CapacityPort {
  readonly cloud = 'kubernetes' as const;
  private readonly ctx: AdapterContext;
  private readonly cluster: KubernetesCluster;

  constructor(ctx: AdapterContext, cluster: KubernetesCluster) {
    this.ctx = ctx;
    this.cluster = cluster;
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    if (ref.kind === 'k8s-deployment') return this.describeDeployment(ref);
    if (ref.kind === 'karpenter-nodepool') return this.describeNodePool(ref);
    throw invalidArgument(`describing pool ${ref.id}`, `the kubernetes adapter does not handle ${ref.kind} pools`);
  }

  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    const op = `setting ${ref.kind} ${ref.resource} to ${request.desired}`;
    if (!Number.isInteger(request.desired) || request.desired < 0) {
      throw invalidArgument(op, 'desired must be a whole number >= 0');
    }
    if (ref.kind === 'k8s-deployment') {
      const { namespace, name } = splitDeployment(ref.resource, op);
      return this.cluster.scaleDeployment(namespace, name, request.desired);
    }
    if (ref.kind !== 'karpenter-nodepool') {
      throw invalidArgument(op, `the kubernetes adapter does not handle ${ref.kind} pools`);
    }
    const state = await this.nodePoolState(ref, op);
    if (state.desired === request.desired)
      return { desired: request.desired, previous: state.desired, unchanged: true };
    const patch = state.isStatic
      ? { replicas: request.desired }
      : { limits: { [state.gpuResource]: String(request.desired * state.gpusPerNode) } };
    await this.cluster.patchNodePool(ref.resource, patch, request.reason);
    return { desired: request.desired, previous: state.desired, unchanged: false };
  }

  /** Kubernetes has no capacity reservations of its own (they belong to the cloud adapters). */
  async listReservations(_region: string): Promise<CapacityReservation[]> {
    return [];
  }

  private async describeDeployment(ref: PoolRef): Promise<PoolObservation> {
    const op = `describing kubernetes deployment ${ref.resource}`;
    const { namespace, name } = splitDeployment(ref.resource, op);
    const c = clientsFor(this.ctx, op);
    const d = await withRetry(op, this.ctx.retry, () => c.apps.readNamespacedDeployment({ name, namespace }, c.call()));
    const selector = labelSelector(d.spec?.selector ?? {});
    const [pods, nodes] = await Promise.all([
      listPods(this.ctx, op, { namespace, labelSelector: selector }),
      listNodes(this.ctx, op),
    ]);
    const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', toGpuNode(n)]));
    const instances: ObservedInstance[] = pods.map((p) => {
      const node = p.spec?.nodeName ? byName.get(p.spec.nodeName) : undefined;
      return {
        id: p.metadata?.name ?? '',
        zone: node?.zone,
        instanceType: node?.instanceType,
        capacityType: capacityType(node?.capacityType, ref),
        lifecycle: podLifecycle(p),
        nodeName: p.spec?.nodeName,
        launchedAt: iso(p.metadata?.creationTimestamp),
      };
    });
    return {
      ref,
      desired: d.spec?.replicas ?? 1,
      ready: d.status?.readyReplicas ?? 0,
      instances,
      observedAt: this.ctx.now().toISOString(),
    };
  }

  private async nodePoolState(ref: PoolRef, op: string): Promise<NodePoolState> {
    const bad = resourceNameProblem('karpenter-nodepool', ref.resource);
    if (bad) throw invalidArgument(op, bad.message);
    const [np, nodes] = await Promise.all([
      this.cluster.readNodePool(ref.resource, op),
      listNodes(this.ctx, op, `karpenter.sh/nodepool=${ref.resource}`),
    ]);
    const limits = np.spec?.limits ?? {};
    const fromNodes = nodes.reduce((n, node) => Math.max(n, gpusOf(node)), 0);
    const tagged = Number.parseInt(ref.tags?.gpusPerNode ?? ref.tags?.gpus ?? '', 10);
    const gpusPerNode = tagged > 0 ? tagged : fromNodes > 0 ? fromNodes : 1;
    const withCapacity = nodes.find((n) => GPU_RESOURCES.some((r) => n.status?.capacity?.[r] !== undefined));
    const gpuResource =
      GPU_RESOURCES.find((r) => limits[r] !== undefined) ??
      GPU_RESOURCES.find((r) => withCapacity?.status?.capacity?.[r] !== undefined) ??
      'nvidia.com/gpu';
    if (typeof np.spec?.replicas === 'number') {
      return { desired: np.spec.replicas, isStatic: true, gpuResource, gpusPerNode, nodes };
    }
    const limit = parseQuantity(limits[gpuResource]);
    const desired = limit !== undefined ? Math.floor(limit / gpusPerNode) : nodes.length;
    return { desired, isStatic: false, gpuResource, gpusPerNode, nodes };
  }

  private async describeNodePool(ref: PoolRef): Promise<PoolObservation> {
    const op = `describing karpenter nodepool ${ref.resource}`;
    const state = await this.nodePoolState(ref, op);
    const instances: ObservedInstance[] = state.nodes.map((n) => {
      const g = toGpuNode(n);
      return {
        id: g.instanceId ?? g.name,
        zone: g.zone,
        instanceType: g.instanceType,
        capacityType: capacityType(g.capacityType, ref),
        lifecycle: n.metadata?.deletionTimestamp ? 'terminating' : isReady(n) ? 'ready' : 'running',
        nodeName: g.name,
        launchedAt: iso(n.metadata?.creationTimestamp),
      };
    });
    return {
      ref,
      desired: state.desired,
      ready: instances.filter((i) => i.lifecycle === 'ready').length,
      instances,
      observedAt: this.ctx.now().toISOString(),
    };
  }
}
