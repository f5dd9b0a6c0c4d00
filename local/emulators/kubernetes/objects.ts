/**
 * What the emulator stores for each resource, and how it renders it in the API server's JSON: omitted
 * zero values (`omitempty`), RFC 3339 times to the second, list items without kind/apiVersion for built-in
 * types, `continue` tokens on pages.
 */
import type { NodeView } from './nodes.ts';
import type { Json } from './patch.ts';

export const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface Meta {
  uid: string;
  resourceVersion: string;
  generation: number;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface DeploymentRecord {
  namespace: string;
  name: string;
  meta: Meta;
  /** `apps/v1 DeploymentSpec` as last written. */
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: Json; [k: string]: Json };
  /** `pod-template-hash` of the (single) ReplicaSet. */
  hash: string;
  rsUid: string;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
  /** `namespace/name` of the Deployment or DaemonSet that owns it. */
  controller?: { kind: 'Deployment' | 'DaemonSet'; key: string };
  nodeName?: string;
  scheduledAt?: number;
  gpus: number;
  gpuResource: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** `spec.terminationGracePeriodSeconds` (default 30, the API's default). */
  terminationGracePeriodSeconds?: number;
  /** Set once deleted with a grace period: the pod terminates until then (ms), then is gone. */
  deletionTimestamp?: number;
  /** The grace period it was deleted with (seconds). */
  deletionGracePeriodSeconds?: number;
}

/** The API's default `terminationGracePeriodSeconds`. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

export interface PdbRecord {
  namespace: string;
  name: string;
  meta: Meta;
  selector: { matchLabels?: Record<string, string> };
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface NodePoolRecord {
  name: string;
  meta: Meta;
  spec: Record<string, Json>;
}

/** Node state that is not the World's: kept by node name, dropped when the node goes. */
export interface NodeOverlay {
  uid: string;
  resourceVersion: string;
  unschedulable?: boolean;
  taints?: Taint[];
  /** The full label map once someone patched labels. */
  labels?: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Budget {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

function metadata(name: string, m: Meta, extra: Record<string, Json> = {}): Record<string, Json> {
  const out: Record<string, Json> = { name, ...extra, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.generation > 0) out.generation = m.generation;
  out.creationTimestamp = rfc3339(m.createdAt);
  if (Object.keys(m.labels).length) out.labels = { ...m.labels };
  if (Object.keys(m.annotations).length) out.annotations = { ...m.annotations };
  return out;
}

/** Taints the node lifecycle controller adds; never stored in the overlay. */
export const DERIVED_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unschedulable'];

export function renderNode(v: NodeView, o: NodeOverlay): Record<string, Json> {
  const taints: Json[] = (o.taints ?? []).map((t) => ({ ...t }));
  if (!v.ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  if (o.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  const spec: Record<string, Json> = { providerID: v.providerID };
  if (o.unschedulable) spec.unschedulable = true;
  if (taints.length) spec.taints = taints;
  const resources = {
    cpu: '8',
    'ephemeral-storage': '104845292Ki',
    memory: '32386524Ki',
    pods: '110',
    [v.gpuResource]: String(v.gpus),
  };
  const ready = v.ready ? 'True' : 'False';
  const since = rfc3339(v.readySince);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: since,
    lastTransitionTime: since,
    reason,
    message,
  });
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: v.name,
      uid: o.uid,
      resourceVersion: o.resourceVersion,
      creationTimestamp: rfc3339(v.registeredAt),
      labels: { ...(o.labels ?? v.labels) },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...o.annotations },
    },
    spec,
    status: {
      capacity: resources,
      allocatable: { ...resources },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        v.ready
          ? condition('Ready', ready, 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', ready, 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false'),
      ],
      addresses: [{ type: 'Hostname', address: v.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: o.uid.replace(/-/g, ''),
        systemUUID: o.uid,
        bootID: o.uid,
        kernelVersion: '6.1.132-147.221.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.7.20250414',
        containerRuntimeVersion: 'containerd://1.7.27',
        kubeletVersion: 'v1.33.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** `nodes`: how many nodes the cluster has (for the scheduler's message on a pending pod). */
export function renderPod(p: PodRecord, node: NodeView | undefined, now: number, nodes: number): Record<string, Json> {
  const scheduled = p.nodeName !== undefined && node !== undefined;
  const ready = scheduled && node.ready;
  const resources = p.gpus > 0 ? { [p.gpuResource]: String(p.gpus) } : {};
  const meta: Record<string, Json> = {
    name: p.name,
    namespace: p.namespace,
    uid: p.uid,
    resourceVersion: p.resourceVersion,
    creationTimestamp: rfc3339(p.createdAt),
    labels: { ...p.labels },
  };
  if (p.owner?.kind === 'ReplicaSet') meta.generateName = `${p.owner.name}-`;
  if (p.deletionTimestamp !== undefined) {
    meta.deletionTimestamp = rfc3339(p.deletionTimestamp);
    meta.deletionGracePeriodSeconds = p.deletionGracePeriodSeconds ?? 0;
  }
  if (Object.keys(p.annotations).length) meta.annotations = { ...p.annotations };
  if (p.owner) meta.ownerReferences = [{ ...p.owner, controller: true, blockOwnerDeletion: true }];
  const spec: Record<string, Json> = {
    containers: [
      {
        name: 'server',
        image: 'registry.example.com/inference/server:1.0',
        resources: p.gpus > 0 ? { requests: resources, limits: { ...resources } } : {},
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: p.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS,
    schedulerName: 'default-scheduler',
  };
  if (p.nodeName) spec.nodeName = p.nodeName;
  if (p.nodeSelector) spec.nodeSelector = { ...p.nodeSelector };
  if (p.tolerations) spec.tolerations = p.tolerations.map((t) => ({ ...t }));
  const at = rfc3339(p.scheduledAt ?? p.createdAt);
  const status: Record<string, Json> = scheduled
    ? {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at },
        ],
        hostIP: '10.0.0.1',
        startTime: at,
        qosClass: 'Burstable',
      }
    : {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            lastTransitionTime: rfc3339(now),
            reason: 'Unschedulable',
            message: `0/${nodes} nodes are available: ${nodes} Insufficient ${p.gpuResource}.`,
          },
        ],
        qosClass: 'Burstable',
      };
  return { kind: 'Pod', apiVersion: 'v1', metadata: meta, spec, status };
}

export function renderDeployment(d: DeploymentRecord, pods: number, ready: number): Record<string, Json> {
  const status: Record<string, Json> = { observedGeneration: d.meta.generation };
  if (pods) status.replicas = pods;
  if (pods) status.updatedReplicas = pods;
  if (ready) status.readyReplicas = ready;
  if (ready) status.availableReplicas = ready;
  if (d.spec.replicas - ready > 0) status.unavailableReplicas = d.spec.replicas - ready;
  const at = rfc3339(d.meta.createdAt);
  const available = ready >= d.spec.replicas;
  status.conditions = [
    {
      type: 'Available',
      status: available ? 'True' : 'False',
      lastUpdateTime: at,
      lastTransitionTime: at,
      reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    },
    {
      type: 'Progressing',
      status: 'True',
      lastUpdateTime: at,
      lastTransitionTime: at,
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${d.name}-${d.hash}" has successfully progressed.`,
    },
  ];
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: metadata(d.name, d.meta, { namespace: d.namespace }),
    spec: JSON.parse(JSON.stringify(d.spec)) as Json,
    status,
  };
}

export const selectorString = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function renderScale(d: DeploymentRecord, pods: number): Record<string, Json> {
  const status: Record<string, Json> = { replicas: pods, selector: selectorString(d.spec.selector.matchLabels) };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: d.name,
      namespace: d.namespace,
      uid: d.meta.uid,
      resourceVersion: d.meta.resourceVersion,
      creationTimestamp: rfc3339(d.meta.createdAt),
    },
    spec: { replicas: d.spec.replicas },
    status,
  };
}

export function renderPdb(p: PdbRecord, b: Budget, now: number): Record<string, Json> {
  const spec: Record<string, Json> = { selector: JSON.parse(JSON.stringify(p.selector)) as Json };
  if (p.minAvailable !== undefined) spec.minAvailable = p.minAvailable;
  if (p.maxUnavailable !== undefined) spec.maxUnavailable = p.maxUnavailable;
  if (p.unhealthyPodEvictionPolicy) spec.unhealthyPodEvictionPolicy = p.unhealthyPodEvictionPolicy;
  const allowed = b.disruptionsAllowed > 0;
  return {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    metadata: metadata(p.name, p.meta, { namespace: p.namespace }),
    spec,
    status: {
      observedGeneration: p.meta.generation,
      disruptionsAllowed: b.disruptionsAllowed,
      currentHealthy: b.currentHealthy,
      desiredHealthy: b.desiredHealthy,
      expectedPods: b.expectedPods,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: allowed ? 'True' : 'False',
          reason: allowed ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: p.meta.generation,
          lastTransitionTime: rfc3339(now),
        },
      ],
    },
  };
}

export function renderNodePool(
  np: NodePoolRecord,
  nodes: NodeView[],
  gpuResources: Record<string, number>,
): Record<string, Json> {
  const resources: Record<string, Json> = {
    cpu: String(8 * nodes.length),
    memory: `${32386524 * nodes.length}Ki`,
    nodes: String(nodes.length),
    pods: String(110 * nodes.length),
  };
  for (const [r, n] of Object.entries(gpuResources)) resources[r] = String(n);
  const at = rfc3339(np.meta.createdAt);
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: metadata(np.name, np.meta),
    spec: JSON.parse(JSON.stringify(np.spec)) as Json,
    status: {
      resources,
      conditions: [
        {
          type: 'ValidationSucceeded',
          status: 'True',
          reason: 'ValidationSucceeded',
          message: '',
          lastTransitionTime: at,
          observedGeneration: np.meta.generation,
        },
        {
          type: 'NodeClassReady',
          status: 'True',
          reason: 'NodeClassReady',
          message: '',
          lastTransitionTime: at,
          observedGeneration: np.meta.generation,
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: '',
          lastTransitionTime: at,
          observedGeneration: np.meta.generation,
        },
      ],
    },
  };
}

/** A list response (`NodeList`, `PodList`...), one page of it. */
export function renderList(
  kind: string,
  apiVersion: string,
  items: Json[],
  resourceVersion: string,
  page?: { continue?: string; remaining?: number },
): Record<string, Json> {
  const metadata: Record<string, Json> = { resourceVersion };
  if (page?.continue) {
    metadata.continue = page.continue;
    if (page.remaining !== undefined) metadata.remainingItemCount = page.remaining;
  }
  return { kind, apiVersion, metadata, items };
}
