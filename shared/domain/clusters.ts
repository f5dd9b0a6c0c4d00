/**
 * Which Kubernetes clusters a configuration's nodes join, in one place. A pool's cluster is its own
 * (`pools[].cluster`), else its fleet Deployment's (`deployment.cluster`): the configuration resolves that
 * into the pool's `tags.cluster` once, and everything else reads it from here. Pure.
 */
import type { GpuNode } from './ports.ts';
import type { Fleet, Pool } from './types.ts';

/** The cluster a pool's nodes join, when it has one (resolved with the configuration). */
export const poolCluster = (pool: Pool): string | undefined => pool.tags?.cluster;

/** The cluster of a pool in a configuration: the pool's own, else its fleet Deployment's. */
export const clusterOfPoolConfig = (
  pool: { cluster?: string },
  deployment: { cluster: string } | undefined,
): string | undefined => pool.cluster ?? deployment?.cluster;

/** The clusters of a fleet: its Deployment's, then its pools', each once. */
export function fleetClusters(fleet: Fleet): string[] {
  const names = new Set<string>();
  if (fleet.deployment) names.add(fleet.deployment.cluster);
  for (const p of fleet.pools) {
    const name = poolCluster(p);
    if (name) names.add(name);
  }
  return [...names];
}

/** Every cluster the fleets name, each once. */
export function clusterNames(fleets: readonly Fleet[]): string[] {
  return [...new Set(fleets.flatMap(fleetClusters))];
}

/**
 * Whether a node is the given cloud instance: its derived instance id or its name equals it, or its
 * provider id ends with `/<id>` (an Azure scale set VM can be named by its instance id alone, `3`, when
 * the caller knows the scale set; matching on that suffix is the last resort).
 */
export function isNodeOf(node: GpuNode, instanceId: string): boolean {
  if (node.instanceId === instanceId || node.name === instanceId) return true;
  if (node.instanceId && node.instanceId.toLowerCase() === instanceId.toLowerCase()) return true;
  return node.providerId?.toLowerCase().endsWith(`/${instanceId.toLowerCase()}`) ?? false;
}
