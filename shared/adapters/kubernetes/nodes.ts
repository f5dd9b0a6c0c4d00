/**
 * Pure mapping of Kubernetes Nodes to the domain's GpuNode: provider ids to cloud instance ids and zones,
 * the capacity-type labels of Karpenter, EKS, AKS and GKE, GPU capacity. No I/O.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { GpuNode } from '../../domain/ports.ts';

export const GPU_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu'] as const;

export interface ProviderId {
  cloud: 'aws' | 'gcp' | 'azure' | 'other';
  /** EC2 instance id, GCE instance name, Azure VM name (`<vmss>_<n>` for scale set VMs). */
  instanceId: string;
  zone?: string;
  /** GCP project, Azure subscription. */
  project?: string;
  resourceGroup?: string;
  scaleSet?: string;
}

/**
 * `aws:///us-east-1a/i-0abc`, `gce://project/zone/name`,
 * `azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/x/virtualMachines/3`
 * (or `.../virtualMachines/<name>` for a plain VM), anything else by its last path segment (`kwok://n`).
 */
export function parseProviderId(providerId: string | undefined): ProviderId | undefined {
  if (!providerId) return undefined;
  let m = /^aws:\/\/\/(?:([^/]+)\/)?([^/]+)$/.exec(providerId);
  if (m) return { cloud: 'aws', zone: m[1], instanceId: m[2]! };
  m = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerId);
  if (m) return { cloud: 'gcp', project: m[1], zone: m[2], instanceId: m[3]! };
  m =
    /^azure:\/\/\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(?:virtualMachineScaleSets\/([^/]+)\/)?virtualMachines\/([^/]+)$/i.exec(
      providerId,
    );
  if (m) {
    const scaleSet = m[3];
    return {
      cloud: 'azure',
      project: m[1],
      resourceGroup: m[2],
      scaleSet,
      instanceId: scaleSet ? `${scaleSet}_${m[4]}` : m[4]!,
    };
  }
  const last = providerId.split('/').filter(Boolean).pop();
  return last ? { cloud: 'other', instanceId: last } : undefined;
}

const CAPACITY_LABELS = [
  'karpenter.sh/capacity-type',
  'eks.amazonaws.com/capacityType',
  'kubernetes.azure.com/scalesetpriority',
  'cloud.google.com/gke-provisioning',
  'node.kubernetes.io/lifecycle',
] as const;

const CAPACITY_VALUES: Record<string, string> = {
  spot: 'spot',
  on_demand: 'on-demand',
  'on-demand': 'on-demand',
  ondemand: 'on-demand',
  normal: 'on-demand',
  regular: 'on-demand',
  standard: 'on-demand',
  reserved: 'reserved',
  capacity_block: 'reserved',
};

/**
 * `spot` | `on-demand` | `reserved` from the node's labels; the raw value when it is none of these
 * (`flex-start`, `queued`...); undefined when no label says. AKS only labels spot nodes, so an AKS node
 * (`kubernetes.azure.com/agentpool`) without the priority label is on-demand; a GKE node with a
 * `cloud.google.com/reservation-name` runs on a reservation.
 */
export function capacityTypeOf(labels: Record<string, string>): string | undefined {
  if (labels['cloud.google.com/reservation-name']) return 'reserved';
  if (labels['cloud.google.com/gke-spot'] === 'true') return 'spot';
  for (const label of CAPACITY_LABELS) {
    const v = labels[label];
    if (v) return CAPACITY_VALUES[v.toLowerCase()] ?? v;
  }
  if (labels['kubernetes.azure.com/agentpool']) return 'on-demand';
  return undefined;
}

/** Whole units of a quantity (`4`, `2k`); undefined when it is not one. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(k|M|G)?$/.exec(q.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1);
}

export function gpusOf(node: V1Node): number {
  const capacity = node.status?.capacity ?? {};
  return GPU_RESOURCES.reduce((n, r) => n + Math.floor(parseQuantity(capacity[r]) ?? 0), 0);
}

export function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function toGpuNode(node: V1Node): GpuNode {
  const labels = { ...(node.metadata?.labels ?? {}) };
  const providerId = node.spec?.providerID;
  const parsed = parseProviderId(providerId);
  return {
    name: node.metadata?.name ?? '',
    providerId,
    instanceId: parsed?.instanceId,
    zone: labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? parsed?.zone,
    instanceType: labels['node.kubernetes.io/instance-type'] ?? labels['beta.kubernetes.io/instance-type'],
    capacityType: capacityTypeOf(labels),
    gpus: gpusOf(node),
    ready: isReady(node),
    unschedulable: node.spec?.unschedulable === true,
    labels,
  };
}

export { isNodeOf } from '../../domain/clusters.ts';
