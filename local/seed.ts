/**
 * Seeding the emulated clouds from a configuration: one World pool per configured pool of nodes (named as the
 * cloud names it, at its `min` unless told otherwise, already serving; Karpenter NodePools included, a
 * Deployment pool counts pods, not nodes), and in the Kubernetes emulator of each cluster the fleets'
 * Deployments and the NodePools of their Karpenter pools. Used by the local CLI and the simulation's `--config`.
 */
import type { Pool } from '../shared/domain/types.ts';
import type { ResolvedConfig } from '../shared/config/load.ts';
import { poolCluster } from '../shared/domain/clusters.ts';
import type { KubernetesEmulator } from './emulators/kubernetes/index.ts';
import type { World, WorldPoolSpec } from './emulators/world.ts';

/** Seconds from launch to a running VM, when a pool's time to ready is longer (the rest is join, pull, load). */
export const BOOT_SECONDS = 120;

export function worldPoolsFromConfig(
  resolved: ResolvedConfig,
  desired: (poolId: string, min: number) => number = (_, min) => min,
): WorldPoolSpec[] {
  const out: WorldPoolSpec[] = [];
  for (const [fi, fleet] of resolved.fleets.entries()) {
    const cfg = resolved.config.fleets[fi]!;
    for (const pool of fleet.pools) {
      // A Deployment pool's count is pods on nodes of other pools, not nodes of its own.
      if (pool.kind === 'k8s-deployment') continue;
      const pc = cfg.pools.find((p) => p.id === pool.id)!;
      out.push({
        id: pool.id,
        cloud: pool.cloud,
        kind: pool.kind,
        name: pool.resource,
        region: pool.location.region,
        zones: pool.location.zones,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        desired: desired(pool.id, pool.min),
        min: pool.min,
        max: pool.max,
        bootSeconds: Math.min(BOOT_SECONDS, pool.timeToReadySeconds),
        readySeconds: pool.timeToReadySeconds,
        hourlyPrice: pool.hourlyPrice,
        ...(pool.reservationId ? { reservationId: pool.reservationId } : {}),
        ...(pool.warm ? { warm: { resumeSeconds: pool.warm.resumeSeconds, hourlyPrice: pool.warm.hourlyPrice } } : {}),
        ...(pc.scope ? { scope: pc.scope } : {}),
        ...(poolCluster(pool) ? { cluster: poolCluster(pool) } : {}),
        tags: { gpus: String(pool.gpusPerNode), fleet: fleet.id, pool: pool.id },
      });
    }
  }
  return out;
}

export function seedWorld(
  world: World,
  resolved: ResolvedConfig,
  desired?: (poolId: string, min: number) => number,
): void {
  for (const spec of worldPoolsFromConfig(resolved, desired)) if (!world.pool(spec.id)) world.addPool(spec);
  for (const fleet of resolved.fleets) for (const pool of fleet.pools) seedWarmPool(world, pool);
}

/**
 * A pool with warm capacity starts with its warm pool at its minimum, already prepared, as the deployment left
 * it: an ASG warm pool of that absolute size reusing instances on scale-in, a MIG standby pool resumed on
 * scale-out, or that many deallocated scale-set VMs.
 */
function seedWarmPool(world: World, pool: Pool): void {
  const w = pool.warm;
  const wp = world.pool(pool.id);
  if (!w || !wp || w.min <= 0 || wp.warmPolicy || world.warmOf(pool.id).length > 0) return;
  if (pool.kind === 'auto-scaling-group' || pool.kind === 'gcp-mig' || pool.kind === 'gcp-regional-mig') {
    world.setWarmPolicy(pool.id, {
      state: w.state,
      min: w.min,
      maxPrepared: w.min,
      reuseOnScaleIn: pool.kind === 'auto-scaling-group',
      autoRefill: false,
      autoResume: true,
    });
    world.addWarm(pool.id, w.min, { prepared: true });
    world.setWarmPolicy(pool.id, { ...wp.warmPolicy!, autoRefill: true });
  } else {
    world.addWarm(pool.id, w.min, { prepared: true });
  }
}

/**
 * Adds each fleet's Deployment to its cluster's emulator, sized to the GPUs the world has for the fleet, and
 * each Karpenter pool's NodePool (its GPU limit the World pool's nodes), bound to the World pool of its name.
 * Its pods stop at once when evicted (`terminationGracePeriodSeconds: 0`, or `options.terminationGraceSeconds`):
 * the World's clock only moves between events, so a pod given 30 s of grace would hold every drain until its
 * deadline in real time. The emulator honours a grace period when one is set (test/kubernetes shows it).
 */
export function seedDeployments(
  world: World,
  resolved: ResolvedConfig,
  clusters: Map<string, KubernetesEmulator>,
  options: { terminationGraceSeconds?: number } = {},
): void {
  for (const [fi, cfg] of resolved.config.fleets.entries()) {
    for (const pool of resolved.fleets[fi]!.pools) {
      if (pool.kind !== 'karpenter-nodepool') continue;
      const cluster = poolCluster(pool);
      const k = cluster ? clusters.get(cluster) : undefined;
      const seeded = (o: unknown) => (o as { metadata?: { name?: string } }).metadata?.name === pool.resource;
      if (!k || k.state.nodePoolObjects().some(seeded)) continue;
      const nodes = world.pool(pool.id)?.desired ?? pool.min;
      k.state.addNodePool({ name: pool.resource, limits: { 'nvidia.com/gpu': String(nodes * pool.gpusPerNode) } });
    }
    const d = cfg.deployment;
    if (!d) continue;
    const k = clusters.get(d.cluster);
    if (!k) continue;
    const fleet = resolved.fleets[fi]!;
    let gpus = 0;
    for (const p of fleet.pools) gpus += (world.pool(p.id)?.desired ?? 0) * p.gpusPerNode;
    k.state.addDeployment({
      namespace: d.namespace,
      name: d.name,
      replicas: Math.floor(gpus / d.gpusPerReplica),
      gpusPerPod: d.gpusPerReplica,
      terminationGracePeriodSeconds: options.terminationGraceSeconds ?? 0,
    });
  }
}
