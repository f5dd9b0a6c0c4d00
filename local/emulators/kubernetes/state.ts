/**
 * The cluster behind the Kubernetes emulator. Nodes come from the World (see nodes.ts); everything else is
 * kept here: Deployments and their pods, DaemonSets, static (mirror) pods, PodDisruptionBudgets, Karpenter
 * NodePools and node state the World does not have (unschedulable, taints, patched labels).
 *
 * The controllers are played on every `sync()` (the server calls it before each request):
 * - pod GC: pods bound to a node that is gone are deleted;
 * - ReplicaSet: a Deployment with N replicas has N pods; missing ones are created pending, surplus ones
 *   are removed (unscheduled first, then not ready, then newest), evicted ones are replaced;
 * - DaemonSet: one pod per node;
 * - scheduler: pending pods go, oldest first, to the Ready, schedulable node that tolerates them, matches
 *   their nodeSelector and has the most free GPUs (least allocated; ties by name). Each pod requests
 *   `gpusPerPod` GPUs (default 1: one pod per GPU); a pod with 0 GPUs fits any node (110 pods per node).
 * A pod is Ready when it is bound to a Ready node (no image pull or model load time of its own: the World's
 * `readySeconds` already covers it).
 *
 * NodePools bound to a World pool (a `karpenter-nodepool` pool of the same name) drive it: a write that
 * changes `spec.replicas` (static NodePool) sets the pool's desired count to it; on a NodePool without
 * `spec.replicas`, a write that changes the GPU limit sets it to `floor(limit / gpus per node)`. The
 * emulator treats the limit as the target, not only as a ceiling: the autoscaler owns the pending pods
 * Karpenter would provision for, so this is what it would see.
 */
import { EventStore } from './events.ts';
import { mulberry32, type World, type WorldPool } from '../world.ts';
import { budgetOf, refusesEviction } from './disruption.ts';
import { isNode, type NodeView, nodeOf } from './nodes.ts';
import { defaultNodePoolSpec, parseQuantity, targetNodes, validateNodePool } from './nodepools.ts';
import {
  type Budget,
  DERIVED_TAINTS,
  DEFAULT_TERMINATION_GRACE_SECONDS,
  type DeploymentRecord,
  type Meta,
  type NodeOverlay,
  type NodePoolRecord,
  type PdbRecord,
  type PodRecord,
  renderDeployment,
  renderNode,
  renderNodePool,
  renderPdb,
  renderPod,
  renderScale,
  type Taint,
  type Toleration,
} from './objects.ts';
import { applyPatch, clone, type Json, PatchError } from './patch.ts';
import { schedule } from './scheduler.ts';
import { matchesLabels, requirementsOf } from './selectors.ts';
import {
  badRequest,
  conflict,
  disruptionBudgetViolated,
  type FieldError,
  internalError,
  invalid,
  notFound,
  preconditionFailed,
  type ResourceId,
  unprocessable,
} from './status.ts';

export interface DeploymentSeed {
  namespace: string;
  name: string;
  replicas: number;
  /** GPUs each pod requests (default 1). */
  gpusPerPod?: number;
  /** Default `nvidia.com/gpu`. */
  gpuResource?: string;
  /** Extra pod labels; `app: <name>` is always there and is the selector. */
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** The pod template's `terminationGracePeriodSeconds` (default: none set, the API's 30). */
  terminationGracePeriodSeconds?: number;
}

export interface PdbSeed {
  namespace: string;
  name: string;
  /** `spec.selector.matchLabels`. */
  selector: Record<string, string>;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface NodePoolSeed {
  name: string;
  /** `spec.limits`, e.g. `{ 'nvidia.com/gpu': '8' }`. */
  limits?: Record<string, string | number>;
  /** `spec.replicas` (static NodePool). */
  replicas?: number;
  weight?: number;
  /** A whole `spec` (e.g. from a real manifest); `limits`/`replicas`/`weight` above are merged over it. */
  spec?: Record<string, unknown>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DaemonSetSeed {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
}

export interface StaticPodSeed {
  namespace: string;
  name: string;
  nodeName: string;
}

export interface KubernetesStateOptions {
  /** Only pools joined to this cluster are nodes; default every pool with `cluster` set. */
  cluster?: string;
  /** Seed for uids and generated names. */
  seed?: number;
}

const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';
const GPU_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu'];

export const RESOURCES = {
  nodes: { group: '', resource: 'nodes' },
  pods: { group: '', resource: 'pods' },
  deployments: { group: 'apps', resource: 'deployments' },
  pdbs: { group: 'policy', resource: 'poddisruptionbudgets' },
  nodepools: { group: 'karpenter.sh', resource: 'nodepools' },
} as const;

const id = (r: { group: string; resource: string }, name: string): ResourceId => ({ ...r, name });
const key = (namespace: string, name: string) => `${namespace}/${name}`;
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class KubernetesState {
  private readonly world: World;
  private readonly cluster?: string;
  private readonly rand: () => number;
  private rv = 1000;
  private readonly deployments = new Map<string, DeploymentRecord>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly pdbs = new Map<string, PdbRecord>();
  private readonly daemonSets = new Map<string, DaemonSetSeed & { uid: string }>();
  private readonly staticPods = new Map<string, StaticPodSeed>();
  private readonly nodePools = new Map<string, NodePoolRecord>();
  private readonly overlays = new Map<string, NodeOverlay>();
  private view = new Map<string, NodeView>();
  /** Core v1 Events (and their events.k8s.io/v1 view). */
  readonly events: EventStore;

  constructor(world: World, options: KubernetesStateOptions = {}) {
    this.world = world;
    this.cluster = options.cluster;
    this.rand = mulberry32(options.seed ?? 7);
    this.events = new EventStore({ now: () => this.world.now(), nextRv: () => this.nextRv(), uid: () => this.uid() });
  }

  // ---- seeding -------------------------------------------------------------------------------------------
  addDeployment(seed: DeploymentSeed): void {
    const k = key(seed.namespace, seed.name);
    if (this.deployments.has(k)) throw new Error(`deployment ${k} exists`);
    if (!Number.isInteger(seed.replicas) || seed.replicas < 0) throw new Error(`replicas must be >= 0: ${k}`);
    const gpus = seed.gpusPerPod ?? 1;
    const res = seed.gpuResource ?? 'nvidia.com/gpu';
    const resources: Json = gpus > 0 ? { requests: { [res]: String(gpus) }, limits: { [res]: String(gpus) } } : {};
    const podSpec: Record<string, Json> = {
      containers: [{ name: 'server', image: 'registry.example.com/inference/server:1.0', resources }],
    };
    if (seed.nodeSelector) podSpec.nodeSelector = { ...seed.nodeSelector };
    if (seed.tolerations) podSpec.tolerations = clone(seed.tolerations) as Json;
    if (seed.terminationGracePeriodSeconds !== undefined)
      podSpec.terminationGracePeriodSeconds = seed.terminationGracePeriodSeconds;
    this.deployments.set(k, {
      namespace: seed.namespace,
      name: seed.name,
      meta: this.meta({ app: seed.name }, { 'deployment.kubernetes.io/revision': '1' }, 1),
      spec: {
        replicas: seed.replicas,
        selector: { matchLabels: { app: seed.name } },
        template: { metadata: { labels: { app: seed.name, ...seed.labels } }, spec: podSpec },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
      hash: this.randomString(10),
      rsUid: this.uid(),
    });
    this.sync();
  }

  addPdb(seed: PdbSeed): void {
    const k = key(seed.namespace, seed.name);
    if (this.pdbs.has(k)) throw new Error(`pdb ${k} exists`);
    if ((seed.minAvailable === undefined) === (seed.maxUnavailable === undefined)) {
      throw new Error(`pdb ${k}: set exactly one of minAvailable and maxUnavailable`);
    }
    this.pdbs.set(k, {
      namespace: seed.namespace,
      name: seed.name,
      meta: this.meta({}, {}, 1),
      selector: { matchLabels: { ...seed.selector } },
      minAvailable: seed.minAvailable,
      maxUnavailable: seed.maxUnavailable,
      unhealthyPodEvictionPolicy: seed.unhealthyPodEvictionPolicy,
    });
  }

  addNodePool(seed: NodePoolSeed): void {
    if (this.nodePools.has(seed.name)) throw new Error(`nodepool ${seed.name} exists`);
    const pool = this.boundPool(seed.name);
    const spec = (seed.spec ? clone(seed.spec) : defaultNodePoolSpec(pool)) as Record<string, Json>;
    if (seed.limits) spec.limits = { ...(isObject(spec.limits) ? spec.limits : {}), ...seed.limits };
    if (seed.replicas !== undefined) spec.replicas = seed.replicas;
    if (seed.weight !== undefined) spec.weight = seed.weight;
    const errors = validateNodePool(spec);
    if (errors.length)
      throw new Error(`nodepool ${seed.name}: ${errors.map((e) => `${e.field} ${e.detail}`).join('; ')}`);
    this.nodePools.set(seed.name, {
      name: seed.name,
      meta: this.meta(seed.labels ?? {}, seed.annotations ?? {}, 1),
      spec,
    });
  }

  /** A DaemonSet: one pod on every node, 0 GPUs (think of the NVIDIA device plugin). */
  addDaemonSet(seed: DaemonSetSeed): void {
    this.daemonSets.set(key(seed.namespace, seed.name), { ...seed, uid: this.uid() });
    this.sync();
  }

  /** A static pod on a node, seen in the API as a mirror pod named `<name>-<node>`. */
  addStaticPod(seed: StaticPodSeed): void {
    this.sync();
    if (!this.view.has(seed.nodeName)) throw new Error(`no node ${seed.nodeName}`);
    this.staticPods.set(key(seed.namespace, `${seed.name}-${seed.nodeName}`), seed);
    this.sync();
  }

  // ---- controllers ---------------------------------------------------------------------------------------
  /** Plays the controllers against the World as it is now. */
  sync(): void {
    const now = this.world.now();
    const view = new Map<string, NodeView>();
    for (const pool of this.world.allPools()) {
      if (!pool.cluster || (this.cluster !== undefined && pool.cluster !== this.cluster)) continue;
      for (const inst of this.world.instancesOf(pool.id)) {
        if (isNode(inst, now)) view.set(inst.nodeName, nodeOf(pool, inst, now));
      }
    }
    this.view = new Map([...view].sort(([a], [b]) => a.localeCompare(b)));
    for (const name of this.overlays.keys()) if (!view.has(name)) this.overlays.delete(name);
    for (const name of view.keys()) {
      if (!this.overlays.has(name))
        this.overlays.set(name, { uid: this.uid(), resourceVersion: this.nextRv(), annotations: {} });
    }
    // Pod GC: pods bound to nodes that are gone. The kubelet: terminating pods whose grace period is over.
    for (const [k, p] of this.pods) if (p.nodeName !== undefined && !view.has(p.nodeName)) this.pods.delete(k);
    for (const [k, p] of this.pods)
      if (p.deletionTimestamp !== undefined && p.deletionTimestamp <= now) this.pods.delete(k);
    for (const [k, s] of this.staticPods) if (!view.has(s.nodeName)) this.staticPods.delete(k);
    this.reconcileStaticPods();
    this.reconcileDaemonSets();
    for (const d of this.deployments.values()) this.reconcileDeployment(d);
    this.schedule();
  }

  private reconcileStaticPods(): void {
    for (const [k, s] of this.staticPods) {
      if (this.pods.has(k)) continue;
      this.pods.set(k, {
        namespace: s.namespace,
        name: `${s.name}-${s.nodeName}`,
        uid: this.uid(),
        resourceVersion: this.nextRv(),
        createdAt: this.world.now(),
        labels: { component: s.name, tier: 'node' },
        annotations: { 'kubernetes.io/config.mirror': this.randomString(32), 'kubernetes.io/config.source': 'file' },
        owner: { apiVersion: 'v1', kind: 'Node', name: s.nodeName, uid: this.overlays.get(s.nodeName)!.uid },
        nodeName: s.nodeName,
        scheduledAt: this.world.now(),
        gpus: 0,
        gpuResource: 'nvidia.com/gpu',
      });
    }
  }

  private reconcileDaemonSets(): void {
    for (const [dsKey, ds] of this.daemonSets) {
      const have = new Set(
        [...this.pods.values()]
          .filter((p) => p.controller?.key === dsKey && p.controller.kind === 'DaemonSet')
          .map((p) => p.nodeName),
      );
      for (const node of this.view.keys()) {
        if (have.has(node)) continue;
        const name = `${ds.name}-${this.randomString(5)}`;
        this.pods.set(key(ds.namespace, name), {
          namespace: ds.namespace,
          name,
          uid: this.uid(),
          resourceVersion: this.nextRv(),
          createdAt: this.world.now(),
          labels: { app: ds.name, ...ds.labels },
          annotations: {},
          owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.name, uid: ds.uid },
          controller: { kind: 'DaemonSet', key: dsKey },
          nodeName: node,
          scheduledAt: this.world.now(),
          gpus: 0,
          gpuResource: 'nvidia.com/gpu',
        });
      }
    }
  }

  private reconcileDeployment(d: DeploymentRecord): void {
    const k = key(d.namespace, d.name);
    const mine = this.podsOfDeployment(k);
    if (mine.length < d.spec.replicas) {
      const template = isObject(d.spec.template) ? d.spec.template : {};
      const tmeta = isObject(template.metadata) ? template.metadata : {};
      const tspec = isObject(template.spec) ? template.spec : {};
      const labels = { ...((tmeta.labels as Record<string, string>) ?? {}), 'pod-template-hash': d.hash };
      let gpus = 0;
      let gpuResource = 'nvidia.com/gpu';
      for (const c of Array.isArray(tspec.containers) ? tspec.containers : []) {
        const req = isObject(c) && isObject(c.resources) && isObject(c.resources.requests) ? c.resources.requests : {};
        for (const r of GPU_RESOURCES) {
          const n = parseQuantity(req[r]);
          if (n) {
            gpus += n;
            gpuResource = r;
          }
        }
      }
      for (let i = mine.length; i < d.spec.replicas; i++) {
        const rs = `${d.name}-${d.hash}`;
        const name = `${rs}-${this.randomString(5)}`;
        this.pods.set(key(d.namespace, name), {
          namespace: d.namespace,
          name,
          uid: this.uid(),
          resourceVersion: this.nextRv(),
          createdAt: this.world.now(),
          labels,
          annotations: {},
          owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: d.rsUid },
          controller: { kind: 'Deployment', key: k },
          gpus,
          gpuResource,
          nodeSelector: isObject(tspec.nodeSelector)
            ? (clone(tspec.nodeSelector) as Record<string, string>)
            : undefined,
          tolerations: Array.isArray(tspec.tolerations) ? (clone(tspec.tolerations) as Toleration[]) : undefined,
          terminationGracePeriodSeconds:
            typeof tspec.terminationGracePeriodSeconds === 'number' ? tspec.terminationGracePeriodSeconds : undefined,
        });
      }
    } else if (mine.length > d.spec.replicas) {
      // ReplicaSet's deletion order: unscheduled, then not ready, then the newest.
      const rank = (p: PodRecord) => (p.nodeName === undefined ? 0 : this.podReady(p) ? 2 : 1);
      const surplus = mine
        .sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt || b.name.localeCompare(a.name))
        .slice(0, mine.length - d.spec.replicas);
      for (const p of surplus) this.pods.delete(key(p.namespace, p.name));
    }
  }

  private schedule(): void {
    schedule(
      this.pods.values(),
      [...this.view.values()],
      (node) => this.overlays.get(node)!,
      (pod, node) => {
        pod.nodeName = node;
        pod.scheduledAt = this.world.now();
        pod.resourceVersion = this.nextRv();
      },
    );
  }

  // ---- reads (for tests and the simulation: each syncs with the World first) ----------------------------
  /** Nodes now, by name. */
  nodeViews(): NodeView[] {
    this.sync();
    return [...this.view.values()];
  }
  nodeView(name: string): NodeView | undefined {
    this.sync();
    return this.view.get(name);
  }
  nodeOverlay(name: string): NodeOverlay | undefined {
    this.sync();
    return this.overlays.get(name);
  }
  /** Pods (records), optionally only one namespace or one node's. */
  podRecords(filter: { namespace?: string; nodeName?: string } = {}): PodRecord[] {
    this.sync();
    return this.pods_(filter);
  }
  /** A Deployment's replicas as its controller sees them. */
  deploymentStatus(namespace: string, name: string): { desired: number; pods: number; ready: number } | undefined {
    this.sync();
    const d = this.deployments.get(key(namespace, name));
    if (!d) return undefined;
    const pods = this.podsOfDeployment(key(namespace, name));
    return { desired: d.spec.replicas, pods: pods.length, ready: pods.filter((p) => this.podReady(p)).length };
  }
  nodePoolSpec(name: string): Record<string, Json> | undefined {
    const np = this.nodePools.get(name);
    return np ? clone(np.spec) : undefined;
  }

  private pods_(filter: { namespace?: string; nodeName?: string }): PodRecord[] {
    return [...this.pods.values()]
      .filter((p) => filter.namespace === undefined || p.namespace === filter.namespace)
      .filter((p) => filter.nodeName === undefined || p.nodeName === filter.nodeName)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }
  /** Ready: bound to a Ready node and not terminating (the disruption controller counts no terminating pod). */
  private podReady(p: PodRecord): boolean {
    return p.deletionTimestamp === undefined && p.nodeName !== undefined && this.view.get(p.nodeName)?.ready === true;
  }
  /** The Deployment's active pods: a terminating pod is no longer counted, and its ReplicaSet replaces it. */
  private podsOfDeployment(k: string): PodRecord[] {
    return [...this.pods.values()].filter(
      (p) => p.controller?.kind === 'Deployment' && p.controller.key === k && p.deletionTimestamp === undefined,
    );
  }

  // ---- API objects (the server syncs before each request) ----------------------------------------------
  nodeObjects(): Json[] {
    return [...this.view.values()].map((v) => renderNode(v, this.overlays.get(v.name)!));
  }
  nodeObject(name: string): Record<string, Json> {
    const v = this.view.get(name);
    if (!v) throw notFound(id(RESOURCES.nodes, name));
    return renderNode(v, this.overlays.get(name)!);
  }
  podObjects(namespace?: string): Json[] {
    const now = this.world.now();
    return this.pods_({ namespace }).map((p) =>
      renderPod(p, p.nodeName ? this.view.get(p.nodeName) : undefined, now, this.view.size),
    );
  }
  podObject(namespace: string, name: string): Record<string, Json> {
    const p = this.pods.get(key(namespace, name));
    if (!p) throw notFound(id(RESOURCES.pods, name));
    return renderPod(p, p.nodeName ? this.view.get(p.nodeName) : undefined, this.world.now(), this.view.size);
  }
  deploymentObjects(namespace?: string): Json[] {
    return [...this.deployments.values()]
      .filter((d) => namespace === undefined || d.namespace === namespace)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
      .map((d) => this.renderDeploymentRecord(d));
  }
  deploymentObject(namespace: string, name: string): Record<string, Json> {
    return this.renderDeploymentRecord(this.requireDeployment(namespace, name));
  }
  scaleObject(namespace: string, name: string): Record<string, Json> {
    const d = this.requireDeployment(namespace, name);
    return renderScale(d, this.podsOfDeployment(key(namespace, name)).length);
  }
  pdbObjects(namespace?: string): Json[] {
    const now = this.world.now();
    return [...this.pdbs.values()]
      .filter((p) => namespace === undefined || p.namespace === namespace)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
      .map((p) => renderPdb(p, this.budget(p), now));
  }
  pdbObject(namespace: string, name: string): Record<string, Json> {
    const p = this.pdbs.get(key(namespace, name));
    if (!p) throw notFound(id(RESOURCES.pdbs, name));
    return renderPdb(p, this.budget(p), this.world.now());
  }
  nodePoolObjects(): Json[] {
    return [...this.nodePools.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((np) => this.renderNodePoolRecord(np));
  }
  nodePoolObject(name: string): Record<string, Json> {
    return this.renderNodePoolRecord(this.requireNodePool(name));
  }

  private renderDeploymentRecord(d: DeploymentRecord): Record<string, Json> {
    const pods = this.podsOfDeployment(key(d.namespace, d.name));
    return renderDeployment(d, pods.length, pods.filter((p) => this.podReady(p)).length);
  }
  private renderNodePoolRecord(np: NodePoolRecord): Record<string, Json> {
    const nodes = [...this.view.values()].filter(
      (v) => (this.overlays.get(v.name)?.labels ?? v.labels)['karpenter.sh/nodepool'] === np.name,
    );
    const gpus: Record<string, number> = {};
    for (const v of nodes) gpus[v.gpuResource] = (gpus[v.gpuResource] ?? 0) + v.gpus;
    return renderNodePool(np, nodes, gpus);
  }
  private requireDeployment(namespace: string, name: string): DeploymentRecord {
    const d = this.deployments.get(key(namespace, name));
    if (!d) throw notFound(id(RESOURCES.deployments, name));
    return d;
  }
  private requireNodePool(name: string): NodePoolRecord {
    const np = this.nodePools.get(name);
    if (!np) throw notFound(id(RESOURCES.nodepools, name));
    return np;
  }

  // ---- writes --------------------------------------------------------------------------------------------
  /** Applies a patch to an object's current rendering; a `metadata.resourceVersion` in it is a precondition. */
  private patched(
    current: Record<string, Json>,
    contentType: string,
    body: unknown,
    rid: ResourceId,
  ): Record<string, Json> {
    let next: Json;
    try {
      next = applyPatch(contentType, current, body);
    } catch (e) {
      if (e instanceof PatchError) throw unprocessable(e.message);
      throw e;
    }
    if (!isObject(next)) throw badRequest('the patched object is not a JSON object');
    this.checkResourceVersion(current, next, rid);
    return next;
  }

  private checkResourceVersion(current: Record<string, Json>, next: Record<string, Json>, rid: ResourceId): void {
    const want = isObject(next.metadata) ? next.metadata.resourceVersion : undefined;
    const have = isObject(current.metadata) ? current.metadata.resourceVersion : undefined;
    if (want !== undefined && want !== null && want !== '' && want !== have) throw conflict(rid);
  }

  patchNode(name: string, contentType: string, body: unknown): Record<string, Json> {
    const current = this.nodeObject(name);
    const next = this.patched(current, contentType, body, id(RESOURCES.nodes, name));
    const o = this.overlays.get(name)!;
    const meta = isObject(next.metadata) ? next.metadata : {};
    const spec = isObject(next.spec) ? next.spec : {};
    const updated: NodeOverlay = {
      ...o,
      labels: isObject(meta.labels) ? (clone(meta.labels) as Record<string, string>) : {},
      annotations: isObject(meta.annotations) ? (clone(meta.annotations) as Record<string, string>) : {},
      unschedulable: spec.unschedulable === true,
      taints: (Array.isArray(spec.taints) ? (clone(spec.taints) as unknown as Taint[]) : []).filter(
        (t) => !DERIVED_TAINTS.includes(t.key),
      ),
    };
    const before = this.nodeObject(name);
    this.overlays.set(name, updated);
    const after = this.nodeObject(name);
    if (same(before, after)) this.overlays.set(name, o);
    else {
      updated.resourceVersion = this.nextRv();
      this.sync();
    }
    return this.nodeObject(name);
  }

  patchDeployment(namespace: string, name: string, contentType: string, body: unknown): Record<string, Json> {
    const d = this.requireDeployment(namespace, name);
    const next = this.patched(
      this.deploymentObject(namespace, name),
      contentType,
      body,
      id(RESOURCES.deployments, name),
    );
    this.writeDeployment(d, next);
    return this.deploymentObject(namespace, name);
  }

  private writeDeployment(d: DeploymentRecord, next: Record<string, Json>): void {
    const spec = isObject(next.spec) ? next.spec : {};
    const meta = isObject(next.metadata) ? next.metadata : {};
    const errors: FieldError[] = [];
    const replicas = spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      errors.push({ field: 'spec.replicas', value: replicas ?? null, detail: 'must be greater than or equal to 0' });
    }
    if (!same(spec.selector, d.spec.selector)) {
      errors.push({ field: 'spec.selector', value: spec.selector ?? null, detail: 'field is immutable' });
    }
    if (errors.length) throw invalid('Deployment', id(RESOURCES.deployments, d.name), errors);
    const labels = isObject(meta.labels) ? (clone(meta.labels) as Record<string, string>) : {};
    const annotations = isObject(meta.annotations) ? (clone(meta.annotations) as Record<string, string>) : {};
    const specChanged = !same(spec, d.spec);
    if (!specChanged && same(labels, d.meta.labels) && same(annotations, d.meta.annotations)) return;
    d.spec = clone(spec) as DeploymentRecord['spec'];
    d.meta.labels = labels;
    d.meta.annotations = annotations;
    if (specChanged) d.meta.generation += 1;
    d.meta.resourceVersion = this.nextRv();
    this.sync();
  }

  patchScale(namespace: string, name: string, contentType: string, body: unknown): Record<string, Json> {
    const d = this.requireDeployment(namespace, name);
    const next = this.patched(this.scaleObject(namespace, name), contentType, body, id(RESOURCES.deployments, name));
    this.setReplicas(d, isObject(next.spec) ? next.spec.replicas : undefined);
    return this.scaleObject(namespace, name);
  }

  replaceScale(namespace: string, name: string, body: unknown): Record<string, Json> {
    const d = this.requireDeployment(namespace, name);
    if (!isObject(body)) throw badRequest('the body of the request is not a Scale object');
    const meta = isObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    }
    this.checkResourceVersion(this.scaleObject(namespace, name), body, id(RESOURCES.deployments, name));
    this.setReplicas(d, isObject(body.spec) ? body.spec.replicas : undefined);
    return this.scaleObject(namespace, name);
  }

  private setReplicas(d: DeploymentRecord, replicas: Json | undefined): void {
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', { group: 'autoscaling', resource: 'scale', name: d.name }, [
        { field: 'spec.replicas', value: replicas ?? null, detail: 'must be greater than or equal to 0' },
      ]);
    }
    if (replicas === d.spec.replicas) return;
    d.spec.replicas = replicas;
    d.meta.generation += 1;
    d.meta.resourceVersion = this.nextRv();
    this.sync();
  }

  patchNodePool(name: string, contentType: string, body: unknown): Record<string, Json> {
    const np = this.requireNodePool(name);
    const next = this.patched(this.nodePoolObject(name), contentType, body, id(RESOURCES.nodepools, name));
    this.writeNodePool(np, next);
    return this.nodePoolObject(name);
  }

  replaceNodePool(name: string, body: unknown): Record<string, Json> {
    const np = this.requireNodePool(name);
    if (!isObject(body)) throw badRequest('the body of the request is not a NodePool object');
    const meta = isObject(body.metadata) ? body.metadata : {};
    if (meta.name !== name)
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    this.checkResourceVersion(this.nodePoolObject(name), body, id(RESOURCES.nodepools, name));
    this.writeNodePool(np, body);
    return this.nodePoolObject(name);
  }

  private writeNodePool(np: NodePoolRecord, next: Record<string, Json>): void {
    const spec = isObject(next.spec) ? next.spec : {};
    const meta = isObject(next.metadata) ? next.metadata : {};
    const errors = validateNodePool(spec);
    if (errors.length) throw invalid('NodePool', id(RESOURCES.nodepools, np.name), errors);
    const labels = isObject(meta.labels) ? (clone(meta.labels) as Record<string, string>) : {};
    const annotations = isObject(meta.annotations) ? (clone(meta.annotations) as Record<string, string>) : {};
    const specChanged = !same(spec, np.spec);
    if (!specChanged && same(labels, np.meta.labels) && same(annotations, np.meta.annotations)) return;
    const previous = np.spec;
    np.spec = clone(spec);
    np.meta.labels = labels;
    np.meta.annotations = annotations;
    if (specChanged) np.meta.generation += 1;
    np.meta.resourceVersion = this.nextRv();
    if (specChanged) this.driveWorld(np, previous);
    this.sync();
  }

  /** A NodePool write moves its World pool (see the file comment). */
  private driveWorld(np: NodePoolRecord, previous: Record<string, Json>): void {
    const pool = this.boundPool(np.name);
    const target = pool ? targetNodes(pool, np.spec, previous) : undefined;
    if (pool && target !== undefined) this.world.setDesired(pool.id, target);
  }

  private boundPool(name: string): WorldPool | undefined {
    return this.world
      .allPools()
      .find(
        (p) =>
          p.kind === 'karpenter-nodepool' &&
          p.name === name &&
          (this.cluster === undefined || p.cluster === this.cluster),
      );
  }

  // ---- evictions -----------------------------------------------------------------------------------------
  /** The pod's budget as the disruption controller computes it. */
  budget(pdb: PdbRecord): Budget {
    const reqs = requirementsOf(pdb.selector);
    const pods = [...this.pods.values()].filter((p) => p.namespace === pdb.namespace && matchesLabels(p.labels, reqs));
    return budgetOf(
      pdb,
      pods,
      (k) => this.deployments.get(k)?.spec.replicas ?? 0,
      (p) => this.podReady(p),
    );
  }

  /**
   * The eviction subresource: a pod that is not scheduled goes at once; otherwise its (single) budget must
   * allow one more disruption (for a pod that is not Ready: `IfHealthyBudget` needs the budget healthy,
   * `AlwaysAllow` does not). `deleteOptions.preconditions` (uid, resourceVersion) must match, `dryRun`
   * (query or deleteOptions) checks without evicting. The pod is deleted with `deleteOptions.gracePeriodSeconds`,
   * else its own `terminationGracePeriodSeconds`: it terminates (listed with `deletionTimestamp`, no longer
   * Ready, no longer counted by its controller, which replaces it) until the grace period ends on the World's
   * clock, then is gone. A grace of 0, or a pod not scheduled, goes at once. A pod already terminating skips
   * the budget (as the API server does) and may only have its grace shortened.
   */
  evict(namespace: string, name: string, body: unknown, dryRunQuery: boolean): void {
    const pod = this.pods.get(key(namespace, name));
    if (!pod) throw notFound(id(RESOURCES.pods, name));
    const meta = isObject(body) && isObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) {
      throw badRequest('name in URL does not match name in Eviction object');
    }
    const options = isObject(body) && isObject(body.deleteOptions) ? body.deleteOptions : {};
    const pre = isObject(options.preconditions) ? options.preconditions : {};
    if (typeof pre.uid === 'string' && pre.uid !== pod.uid) {
      throw preconditionFailed(id(RESOURCES.pods, name), 'UID', pre.uid, pod.uid);
    }
    if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== pod.resourceVersion) {
      throw preconditionFailed(id(RESOURCES.pods, name), 'ResourceVersion', pre.resourceVersion, pod.resourceVersion);
    }
    const dryRun = dryRunQuery || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
    const asked = options.gracePeriodSeconds;
    if (asked !== undefined && (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 0)) {
      throw badRequest('deleteOptions.gracePeriodSeconds must be a non-negative integer');
    }
    if (pod.nodeName !== undefined && pod.deletionTimestamp === undefined) {
      const pdbs = [...this.pdbs.values()].filter(
        (p) => p.namespace === namespace && matchesLabels(pod.labels, requirementsOf(p.selector)),
      );
      if (pdbs.length > 1) {
        throw internalError(
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        );
      }
      const pdb = pdbs[0];
      if (pdb) {
        const b = this.budget(pdb);
        const blocked = refusesEviction(pdb, b, this.podReady(pod));
        if (blocked) throw disruptionBudgetViolated(pdb.name, b.desiredHealthy, b.currentHealthy);
      }
    }
    if (dryRun) return;
    // Controllers replace what they own: the ReplicaSet a new pod elsewhere, the DaemonSet and the kubelet
    // (mirror pods) the same pod on this node.
    const grace = asked ?? pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
    const now = this.world.now();
    if (pod.nodeName === undefined || grace === 0) this.pods.delete(key(namespace, name));
    else if (pod.deletionTimestamp === undefined || now + grace * 1000 < pod.deletionTimestamp) {
      pod.deletionTimestamp = now + grace * 1000;
      pod.deletionGracePeriodSeconds = grace;
      pod.resourceVersion = this.nextRv();
    }
    this.sync();
  }

  // ---- ids -----------------------------------------------------------------------------------------------
  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }
  /** The newest resourceVersion handed out (a list's resourceVersion). */
  currentRv(): string {
    return String(this.rv);
  }
  private meta(labels: Record<string, string>, annotations: Record<string, string>, generation: number): Meta {
    return {
      uid: this.uid(),
      resourceVersion: this.nextRv(),
      generation,
      createdAt: this.world.now(),
      labels: { ...labels },
      annotations: { ...annotations },
    };
  }
  private uid(): string {
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(this.rand() * 16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
  }
  private randomString(n: number): string {
    return Array.from({ length: n }, () => ALPHANUM[Math.floor(this.rand() * ALPHANUM.length)]).join('');
  }
}
