/**
 * Which Kubernetes clusters a configuration's nodes join, in one place. A pool's cluster is its own
 * (`pools[].cluster`), else its fleet Deployment's (`deployment.cluster`): the configuration resolves that
 * into the pool's `tags.cluster` once, and everything else reads it from here. Pure.
 */
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
