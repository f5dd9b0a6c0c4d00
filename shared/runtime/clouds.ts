/**
 * The clouds a function talks to, built from connection options and loaded lazily: an adapter module (and
 * its SDK) is imported on the first call that needs it, so a function that never touches Azure or GCP never
 * pays their import at cold start.
 */
import type { AwsAdapterOptions } from '../adapters/aws/index.ts';
import type { AzureAdapterOptions } from '../adapters/azure/index.ts';
import type { GcpAdapterOptions } from '../adapters/gcp/index.ts';
import type { KubernetesAdapterOptions } from '../adapters/kubernetes/index.ts';
import type { Clouds } from '../app/deps.ts';
import type { ResolvedConfig } from '../config/load.ts';
import type {
  CapacityPort,
  CapacityReservation,
  ClusterPort,
  DecisionEvent,
  EventsPort,
  GpuNode,
  InstanceStatus,
  RemoveInstanceOptions,
  RemoveInstanceResult,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
  SetWarmRequest,
  SetWarmResult,
} from '../domain/ports.ts';
import { CloudError } from '../domain/errors.ts';
import type { Cloud, Pool } from '../domain/types.ts';
import { clusterNames, poolCluster } from '../domain/clusters.ts';

export interface CloudConnections {
  aws?: AwsAdapterOptions;
  azure?: AzureAdapterOptions;
  gcp?: GcpAdapterOptions;
  /** Per cluster name. */
  kubernetes?: Record<string, KubernetesAdapterOptions>;
}

type Loader<T> = () => Promise<T>;

function once<T>(load: Loader<T>): Loader<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= load().catch((e) => {
      p = undefined;
      throw e;
    });
    return p;
  };
}

/**
 * A CapacityPort whose adapter is imported and built on first use. Whether it can remove a chosen instance
 * must be known before that (the caller lowers the desired count instead when it cannot), so it is told:
 * `removeInstance` exists only for the clouds whose adapter has it.
 */
class LazyCapacity implements CapacityPort {
  readonly cloud: Cloud;
  readonly removeInstance?: (
    ref: PoolRef,
    instanceId: string,
    options?: RemoveInstanceOptions,
  ) => Promise<RemoveInstanceResult | undefined>;
  private readonly load: Loader<CapacityPort>;
  constructor(cloud: Cloud, load: Loader<CapacityPort>, options: { removesInstances: boolean }) {
    this.cloud = cloud;
    this.load = once(load);
    if (options.removesInstances)
      this.removeInstance = (ref, instanceId, options) => this.remove(ref, instanceId, options);
  }
  /** Imports and builds the adapter now (at init), not on the first call, and its SDK clients where it can. */
  async preload(): Promise<void> {
    const port = (await this.load()) as CapacityPort & { preload?(): Promise<void> };
    await port.preload?.();
  }
  async describePool(ref: PoolRef): Promise<PoolObservation> {
    return (await this.load()).describePool(ref);
  }
  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    return (await this.load()).setDesired(ref, request);
  }
  async listReservations(region: string): Promise<CapacityReservation[]> {
    return (await this.load()).listReservations(region);
  }
  /** What the cloud says of these instances; nothing where the adapter cannot read it (nothing is then checked). */
  async instanceStatus(
    ref: PoolRef,
    instances: ReadonlyArray<{ id: string; zone?: string }>,
  ): Promise<InstanceStatus[]> {
    const port = await this.load();
    return port.instanceStatus ? port.instanceStatus(ref, instances) : [];
  }
  /** Warm capacity: the adapter's, or `invalid` where it has none (EC2 Fleets, EKS, Kubernetes). */
  async setWarm(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
    const port = await this.load();
    if (!port.setWarm) {
      throw new CloudError({
        kind: 'invalid',
        cloud: this.cloud,
        operation: `setting the warm capacity of ${ref.id}`,
        message: `the ${this.cloud} adapter keeps no warm capacity`,
      });
    }
    return port.setWarm(ref, request);
  }
  private async remove(
    ref: PoolRef,
    instanceId: string,
    options?: RemoveInstanceOptions,
  ): Promise<RemoveInstanceResult | undefined> {
    const port = await this.load();
    if (!port.removeInstance) {
      throw new CloudError({
        kind: 'invalid',
        cloud: this.cloud,
        operation: `removing instance ${instanceId} of ${ref.id}`,
        message: `the ${this.cloud} adapter cannot remove a single instance`,
      });
    }
    return port.removeInstance(ref, instanceId, options);
  }
}

class LazyCluster implements ClusterPort {
  private readonly load: Loader<ClusterPort>;
  constructor(load: Loader<ClusterPort>) {
    this.load = once(load);
  }
  async preload(): Promise<void> {
    await this.load();
  }
  async scaleDeployment(namespace: string, name: string, replicas: number, why?: string) {
    return (await this.load()).scaleDeployment(namespace, name, replicas, why);
  }
  async listGpuNodes(): Promise<GpuNode[]> {
    return (await this.load()).listGpuNodes();
  }
  async findNodeByInstance(instanceId: string) {
    return (await this.load()).findNodeByInstance(instanceId);
  }
  async cordon(node: string, why?: string) {
    return (await this.load()).cordon(node, why);
  }
  async uncordon(node: string, why?: string) {
    return (await this.load()).uncordon(node, why);
  }
  async drain(node: string, deadline: Date, why?: string, options?: { cordoned?: boolean }) {
    return (await this.load()).drain(node, deadline, why, options);
  }
}

class LazyEvents implements EventsPort {
  private readonly load: Loader<EventsPort>;
  constructor(load: Loader<EventsPort>) {
    this.load = once(load);
  }
  async preload(): Promise<void> {
    await this.load();
  }
  async publish(events: DecisionEvent[]): Promise<void> {
    return (await this.load()).publish(events);
  }
}

export interface BuiltClouds extends Clouds {
  /** EventBridge, when AWS is configured. */
  events?: EventsPort;
  /**
   * Imports and builds every adapter these pools and clusters use (no cloud call): what a function on the
   * interruption path does during init, so the first notice does not pay the imports.
   */
  preload?(pools: readonly Pool[], clusters: readonly string[]): Promise<void>;
}

/** The clusters a configuration names: its fleets' Deployments and pools (`shared/domain/clusters.ts`). */
export const configuredClusters = (resolved: ResolvedConfig): string[] => clusterNames(resolved.fleets);

export function createClouds(conn: CloudConnections): BuiltClouds {
  const aws = conn.aws
    ? once(async () => (await import('../adapters/aws/index.ts')).createAwsAdapters(conn.aws!))
    : undefined;
  const capacity: Partial<Record<Cloud, CapacityPort>> = {};
  // The AWS, Azure and GCP adapters remove a chosen instance; the Kubernetes one (Karpenter, Deployments) does not.
  const removes = { removesInstances: true };
  if (aws) capacity.aws = new LazyCapacity('aws', async () => (await aws()).capacity, removes);
  if (conn.azure) {
    capacity.azure = new LazyCapacity(
      'azure',
      async () => (await import('../adapters/azure/index.ts')).createAzureAdapters(conn.azure).capacity,
      removes,
    );
  }
  if (conn.gcp) {
    capacity.gcp = new LazyCapacity(
      'gcp',
      async () => (await import('../adapters/gcp/index.ts')).createGcpAdapters(conn.gcp).capacity,
      removes,
    );
  }
  const clusters = new Map<string, ClusterPort>();
  const k8sCapacity = new Map<string, CapacityPort>();
  for (const [name, options] of Object.entries(conn.kubernetes ?? {})) {
    const load = once(async () => (await import('../adapters/kubernetes/index.ts')).createKubernetesAdapters(options));
    clusters.set(name, new LazyCluster(async () => (await load()).cluster));
    k8sCapacity.set(
      name,
      new LazyCapacity('kubernetes', async () => (await load()).capacity, { removesInstances: false }),
    );
  }
  const events = aws ? new LazyEvents(async () => (await aws()).events) : undefined;
  return {
    capacityFor(pool: Pool): CapacityPort | undefined {
      if (pool.cloud === 'kubernetes') {
        // The pool's cluster; a configuration with one cluster needs to name none.
        const name = poolCluster(pool) ?? (k8sCapacity.size === 1 ? [...k8sCapacity.keys()][0] : undefined);
        return name ? k8sCapacity.get(name) : undefined;
      }
      return capacity[pool.cloud];
    },
    cluster: (name: string) => clusters.get(name),
    ...(events ? { events } : {}),
    async preload(pools: readonly Pool[], clusterNames: readonly string[]) {
      const ports = new Set<{ preload(): Promise<void> }>();
      for (const pool of pools) {
        const port = this.capacityFor(pool);
        if (port instanceof LazyCapacity) ports.add(port);
      }
      for (const name of clusterNames) {
        const c = clusters.get(name);
        if (c instanceof LazyCluster) ports.add(c);
      }
      if (events) ports.add(events);
      await Promise.all([...ports].map((p) => p.preload()));
    },
  };
}
