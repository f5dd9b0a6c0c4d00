import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { clusterNames, fleetClusters, poolCluster } from '../../shared/domain/clusters.ts';

const pool = (id: string, kind: string, cluster?: string) => ({
  id,
  kind,
  resource: kind === 'k8s-deployment' ? `ml/${id}` : id,
  region: 'us-east-1',
  zones: ['us-east-1a'],
  instanceType: 'g5.xlarge',
  capacityType: 'on-demand',
  min: 0,
  max: 4,
  timeToReadySeconds: 600,
  rpsPerNode: 1,
  ...(cluster ? { cluster } : {}),
});

const resolved = resolveConfig(
  parseConfig({
    version: 1,
    fleets: [
      {
        id: 'with-deployment',
        slo: { p95LatencyMs: 1000 },
        deployment: { cluster: 'main', namespace: 'ml', name: 'llm' },
        pools: [
          pool('asg-own', 'auto-scaling-group', 'side'),
          pool('asg-default', 'auto-scaling-group'),
          pool('np-default', 'karpenter-nodepool'),
        ],
      },
      {
        id: 'without',
        slo: { p95LatencyMs: 1000 },
        pools: [pool('asg-none', 'auto-scaling-group'), pool('np-own', 'karpenter-nodepool', 'edge')],
      },
    ],
  }),
);
const byId = new Map(resolved.fleets.flatMap((f) => f.pools.map((p) => [p.id, p] as const)));

describe('cluster names, resolved in one place', () => {
  it.each([
    ['a pool naming its cluster', 'asg-own', 'side'],
    ['a pool without one, in a fleet with a Deployment: the Deployment cluster', 'asg-default', 'main'],
    ['a Karpenter pool without one: the Deployment cluster', 'np-default', 'main'],
    ['a pool without one, in a fleet without a Deployment: none', 'asg-none', undefined],
    ['a Karpenter pool naming its own', 'np-own', 'edge'],
  ])('%s', (_, id, expected) => {
    expect(poolCluster(byId.get(id)!)).toBe(expected);
  });

  it("a fleet's clusters: its Deployment's first, then its pools', each once", () => {
    expect(fleetClusters(resolved.fleets[0]!)).toEqual(['main', 'side']);
    expect(fleetClusters(resolved.fleets[1]!)).toEqual(['edge']);
  });

  it('every cluster of the configuration, each once', () => {
    expect(clusterNames(resolved.fleets)).toEqual(['main', 'side', 'edge']);
  });
});
