/**
 * Nodes derived from the World: every instance of a pool joined to a cluster (`pool.cluster`) is a node
 * once its VM is up (`running`), is Ready when the world says the instance is `ready`, and stays a node
 * while it is `terminating` (under an interruption notice the kubelet keeps reporting until the VM is gone;
 * that is when the autoscaler cordons and drains it). It disappears with the instance.
 *
 * What the World does not know, the emulator decides here and documents:
 * - GPUs per node: the pool's tag `gpus` (default 1), as `nvidia.com/gpu`, or `amd.com/gpu` when the pool's
 *   tag `gpuVendor` is `amd`.
 * - Labels per kind: Karpenter (`karpenter.sh/nodepool`, `karpenter.sh/capacity-type`), EKS managed node
 *   groups (`eks.amazonaws.com/nodegroup`, `eks.amazonaws.com/capacityType`), AKS
 *   (`kubernetes.azure.com/agentpool`, `kubernetes.azure.com/scalesetpriority: spot` on spot pools only),
 *   GKE (`cloud.google.com/gke-nodepool`, `cloud.google.com/gke-provisioning`), self-managed AWS groups
 *   (`node.kubernetes.io/lifecycle: spot|normal`).
 * - Provider ids in each cloud's format; `kwok://<name>` for pools of the `kubernetes` cloud (Karpenter's
 *   own test provider).
 */
import type { WorldInstance, WorldPool } from '../world.ts';

export interface NodeView {
  name: string;
  instance: WorldInstance;
  pool: WorldPool;
  providerID: string;
  ready: boolean;
  gpus: number;
  gpuResource: string;
  /** Labels the kubelet and the cloud's node controller put on the node. */
  labels: Record<string, string>;
  /** When the kubelet registered (the VM is up). */
  registeredAt: number;
  /** When the Ready condition last changed. */
  readySince: number;
}

/** Whether an instance is a node now: its VM is up and not yet gone. */
export function isNode(inst: WorldInstance, now: number): boolean {
  if (inst.state === 'running' || inst.state === 'ready') return true;
  return inst.state === 'terminating' && inst.runningAt <= now;
}

export function gpusOf(pool: WorldPool): { gpus: number; resource: string } {
  const n = Number.parseInt(pool.tags?.gpus ?? '', 10);
  return {
    gpus: Number.isFinite(n) && n >= 0 ? n : 1,
    resource: pool.tags?.gpuVendor === 'amd' ? 'amd.com/gpu' : 'nvidia.com/gpu',
  };
}

export function providerIdOf(pool: WorldPool, inst: WorldInstance): string {
  switch (pool.cloud) {
    case 'aws':
      return `aws:///${inst.zone}/${inst.id}`;
    case 'gcp':
      return `gce://${pool.scope ?? 'emulated-project'}/${inst.zone}/${inst.id}`;
    case 'azure': {
      const [subscription = '00000000-0000-0000-0000-000000000000', group = 'emulated-rg'] = (pool.scope ?? '').split(
        '/',
      );
      return `azure:///subscriptions/${subscription || '00000000-0000-0000-0000-000000000000'}/resourceGroups/${group || 'emulated-rg'}/providers/Microsoft.Compute/virtualMachineScaleSets/${pool.name}/virtualMachines/${inst.index}`;
    }
    default:
      return `kwok://${inst.id}`;
  }
}

function capacityLabels(pool: WorldPool): Record<string, string> {
  const ct = pool.capacityType;
  switch (pool.kind) {
    case 'karpenter-nodepool':
      return {
        'karpenter.sh/nodepool': pool.name,
        'karpenter.sh/capacity-type': ct,
        'karpenter.sh/registered': 'true',
      };
    case 'eks-nodegroup':
      return {
        'eks.amazonaws.com/nodegroup': pool.name.split('/').pop()!,
        'eks.amazonaws.com/capacityType': ct === 'spot' ? 'SPOT' : ct === 'reserved' ? 'CAPACITY_BLOCK' : 'ON_DEMAND',
      };
    case 'azure-vmss':
      return {
        'kubernetes.azure.com/agentpool': pool.name,
        ...(ct === 'spot' ? { 'kubernetes.azure.com/scalesetpriority': 'spot' } : {}),
      };
    case 'gcp-mig':
    case 'gcp-regional-mig':
      return {
        'cloud.google.com/gke-nodepool': pool.name,
        'cloud.google.com/gke-provisioning': ct === 'spot' ? 'spot' : 'standard',
        ...(ct === 'spot' ? { 'cloud.google.com/gke-spot': 'true' } : {}),
        ...(ct === 'reserved' && pool.reservationId ? { 'cloud.google.com/reservation-name': pool.reservationId } : {}),
      };
    default:
      return { 'node.kubernetes.io/lifecycle': ct === 'spot' ? 'spot' : 'normal' };
  }
}

export function nodeOf(pool: WorldPool, inst: WorldInstance, now: number): NodeView {
  const { gpus, resource } = gpusOf(pool);
  const ready = inst.state === 'ready' || (inst.state === 'terminating' && inst.readyAt <= now);
  return {
    name: inst.nodeName,
    instance: inst,
    pool,
    providerID: providerIdOf(pool, inst),
    ready,
    gpus,
    gpuResource: resource,
    labels: {
      'kubernetes.io/hostname': inst.nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': inst.instanceType,
      'topology.kubernetes.io/region': pool.region,
      'topology.kubernetes.io/zone': inst.zone,
      ...capacityLabels(pool),
    },
    registeredAt: inst.runningAt,
    readySince: ready ? inst.readyAt : inst.runningAt,
  };
}
