/**
 * ClusterPort over the Kubernetes API (see ports.ts for each method's contract).
 *
 * Writes are JSON merge patches that set absolute values, so retrying them after a 5xx or a timeout is
 * safe. NodePool patches carry the `metadata.resourceVersion` just read (optimistic concurrency): a 409
 * means someone else wrote in between, and the patch is re-read and re-sent.
 */
import { CloudError, isConflict } from '../../domain/errors.ts';
import type { ClusterPort, DrainResult, GpuNode, SetDesiredResult } from '../../domain/ports.ts';
import { type AdapterContext, clientsFor, listNodes } from './context.ts';
import { drainNode } from './drain.ts';
import { because, EventRecorder } from './events.ts';
import { isNodeOf, toGpuNode } from './nodes.ts';
import { withRetry } from './retry.ts';

/** A merge patch of a Karpenter NodePool (what `patchNodePool` sets). */
export interface NodePoolPatch {
  /** `spec.limits`, e.g. `{ 'nvidia.com/gpu': '16' }`. */
  limits?: Record<string, string>;
  /** `spec.replicas` for static NodePools. */
  replicas?: number;
  weight?: number;
}

export const KARPENTER = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' } as const;

/** The annotation a NodePool write leaves with its reason. */
export const REASON_ANNOTATION = 'gpu-fleet-autoscaler/reason';

interface NodePoolObject {
  metadata?: { resourceVersion?: string; name?: string };
  spec?: { replicas?: number; limits?: Record<string, string | number>; weight?: number };
}

export function invalidArgument(operation: string, message: string): CloudError {
  return new CloudError({ kind: 'invalid', cloud: 'kubernetes', operation, code: 'Invalid', message });
}

export class KubernetesCluster implements ClusterPort {
  private readonly ctx: AdapterContext;
  /** Kubernetes Events for what this adapter does (cordon, drain, scale, NodePool patches). */
  readonly events: EventRecorder;

  constructor(ctx: AdapterContext) {
    this.ctx = ctx;
    this.events = new EventRecorder(ctx);
  }

  async scaleDeployment(namespace: string, name: string, replicas: number, why?: string): Promise<SetDesiredResult> {
    const op = `scaling kubernetes deployment ${namespace}/${name} to ${replicas}`;
    if (!Number.isInteger(replicas) || replicas < 0) throw invalidArgument(op, 'replicas must be a whole number >= 0');
    const c = clientsFor(this.ctx, op);
    const scale = await withRetry(op, this.ctx.retry, () =>
      c.apps.readNamespacedDeploymentScale({ name, namespace }, c.call()),
    );
    const previous = scale.spec?.replicas ?? 0;
    if (previous === replicas) return { desired: replicas, previous, unchanged: true };
    const after = await withRetry(op, this.ctx.retry, () =>
      c.apps.patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas } } }, c.mergePatch()),
    );
    const desired = after.spec?.replicas ?? replicas;
    await this.events.emit(
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        name,
        namespace,
        ...(scale.metadata?.uid ? { uid: scale.metadata.uid } : {}),
      },
      {
        type: 'Normal',
        reason: 'SuccessfulRescale',
        message: `New size: ${desired} (was ${previous})${why ? `; reason: ${why}` : ''}`,
      },
    );
    return { desired, previous, unchanged: false };
  }

  /** Reads a NodePool (retrying throttling and 5xx). */
  async readNodePool(name: string, op = `reading karpenter nodepool ${name}`): Promise<NodePoolObject> {
    const c = clientsFor(this.ctx, op);
    return (await withRetry(op, this.ctx.retry, () =>
      c.custom.getClusterCustomObject({ ...KARPENTER, name }, c.call()),
    )) as NodePoolObject;
  }

  async patchNodePool(name: string, patch: NodePoolPatch, reason?: string): Promise<void> {
    const op = `patching karpenter nodepool ${name}`;
    const spec: Record<string, unknown> = {};
    if (patch.limits) spec.limits = { ...patch.limits };
    if (patch.replicas !== undefined) spec.replicas = patch.replicas;
    if (patch.weight !== undefined) spec.weight = patch.weight;
    const c = clientsFor(this.ctx, op);
    // A 409 means the NodePool changed since it was read: read it again and send the patch again.
    await withRetry(
      op,
      this.ctx.retry,
      async () => {
        const current = await this.readNodePool(name, op);
        if (Object.keys(spec).length === 0 && !reason) return;
        const body: Record<string, unknown> = {
          metadata: {
            resourceVersion: current.metadata?.resourceVersion,
            ...(reason ? { annotations: { [REASON_ANNOTATION]: reason } } : {}),
          },
          spec,
        };
        await withRetry(op, this.ctx.retry, () =>
          c.custom.patchClusterCustomObject({ ...KARPENTER, name, body }, c.mergePatch()),
        );
      },
      isConflict,
    );
    if (Object.keys(spec).length === 0 && !reason) return;
    const changes = Object.entries(spec).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    await this.events.emit(
      { kind: 'NodePool', apiVersion: 'karpenter.sh/v1', name },
      { type: 'Normal', reason: 'NodePoolUpdated', message: `${changes.join(', ') || 'annotated'}${because(reason)}` },
    );
  }

  async listGpuNodes(): Promise<GpuNode[]> {
    const nodes = await listNodes(this.ctx, 'listing kubernetes gpu nodes');
    return nodes.map(toGpuNode).filter((n) => n.gpus > 0);
  }

  async findNodeByInstance(instanceId: string): Promise<GpuNode | undefined> {
    const nodes = await listNodes(this.ctx, `finding the kubernetes node of ${instanceId}`);
    return nodes.map(toGpuNode).find((n) => isNodeOf(n, instanceId));
  }

  /** One merge patch, whatever the node was (no read first: the first write on an interruption's path). */
  async cordon(node: string, why?: string, options?: { onCordoned?: () => void }): Promise<void> {
    const op = `cordoning kubernetes node ${node}`;
    const c = clientsFor(this.ctx, op);
    const patched = await withRetry(op, this.ctx.retry, () =>
      c.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, c.mergePatch()),
    );
    options?.onCordoned?.();
    await this.cordoned(node, patched.metadata?.uid, why);
  }

  /** One merge patch back to schedulable (a cordon undone: the notice it was made on was refuted). */
  async uncordon(node: string, why?: string): Promise<void> {
    const op = `uncordoning kubernetes node ${node}`;
    const c = clientsFor(this.ctx, op);
    const patched = await withRetry(op, this.ctx.retry, () =>
      c.core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, c.mergePatch()),
    );
    await this.events.emit(
      { kind: 'Node', apiVersion: 'v1', name: node, ...(patched.metadata?.uid ? { uid: patched.metadata.uid } : {}) },
      { type: 'Normal', reason: 'Uncordoned', message: `Marked schedulable${because(why)}` },
    );
  }

  /** The drain's cordon: a node already cordoned (by the executor, just before) is not patched again. */
  private async cordonIfNeeded(node: string, why?: string): Promise<void> {
    const op = `cordoning kubernetes node ${node}`;
    const c = clientsFor(this.ctx, op);
    const current = await withRetry(op, this.ctx.retry, () => c.core.readNode({ name: node }, c.call()));
    if (current.spec?.unschedulable === true) return;
    await withRetry(op, this.ctx.retry, () =>
      c.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, c.mergePatch()),
    );
    await this.cordoned(node, current.metadata?.uid, why);
  }

  private async cordoned(node: string, uid: string | undefined, why: string | undefined): Promise<void> {
    await this.events.emit(
      { kind: 'Node', apiVersion: 'v1', name: node, ...(uid ? { uid } : {}) },
      { type: 'Normal', reason: 'Cordoned', message: `Marked unschedulable${because(why)}` },
    );
  }

  async drain(node: string, deadline: Date, why?: string, options?: { cordoned?: boolean }): Promise<DrainResult> {
    const cordon = options?.cordoned ? async () => {} : (n: string) => this.cordonIfNeeded(n, why);
    const result = await drainNode(this.ctx, cordon, node, deadline);
    const subject = { kind: 'Node', apiVersion: 'v1', name: node } as const;
    if (result.complete)
      await this.events.emit(subject, {
        type: 'Normal',
        reason: 'Drained',
        message: `Evicted ${result.evicted.length} pod(s)${because(why)}`,
      });
    else
      await this.events.emit(subject, {
        type: 'Warning',
        reason: 'DrainIncomplete',
        message: `Evicted ${result.evicted.length} pod(s); ${result.remaining.length} left at the deadline (${result.remaining.join(', ')}): their PodDisruptionBudgets allowed no eviction in time${because(why)}`,
      });
    return result;
  }
}
