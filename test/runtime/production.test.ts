/** The deployed functions' dependencies come from their environment; what is missing is named. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/app/deps.ts';
import { kubeconfigVar, productionDeps } from '../../shared/runtime/production.ts';

const demo = fileURLToPath(new URL('../../config/demo.json', import.meta.url));

describe('productionDeps', () => {
  it('names the missing table', async () => {
    await expect(productionDeps(silentLogger, { AUTOSCALER_CONFIG_FILE: demo })).rejects.toThrow(/TABLE_NAME/);
  });

  it('names the missing configuration', async () => {
    await expect(productionDeps(silentLogger, { TABLE_NAME: 't' })).rejects.toThrow(/AUTOSCALER_CONFIG/);
  });

  it('builds the clouds of the configuration without touching any of them', async () => {
    const deps = await productionDeps(silentLogger, {
      AUTOSCALER_CONFIG_FILE: demo,
      TABLE_NAME: 't',
      AWS_REGION: 'us-east-1',
    });
    const fleet = deps.resolved.fleets[0]!;
    for (const pool of fleet.pools) expect(deps.clouds.capacityFor(pool)?.cloud).toBe(pool.cloud);
    // No kubeconfig in the environment: the cluster is not configured (and says so at use).
    expect(deps.clouds.cluster('gpu-demo')).toBeUndefined();
    expect(kubeconfigVar('gpu-demo')).toBe('KUBECONFIG_GPU_DEMO');
    // Deployed with the drain function: the spot decisions hand their drains to it.
    expect(deps.drainStep).toBe(true);
  });

  it('reads a cluster kubeconfig from its environment variable', async () => {
    const deps = await productionDeps(silentLogger, {
      AUTOSCALER_CONFIG_FILE: demo,
      TABLE_NAME: 't',
      KUBECONFIG_GPU_DEMO: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }),
    });
    expect(deps.clouds.cluster('gpu-demo')).toBeDefined();
  });

  it('offers removing a chosen instance only where the adapter can (else the group is lowered instead)', async () => {
    const deps = await productionDeps(silentLogger, {
      AUTOSCALER_CONFIG_FILE: demo,
      TABLE_NAME: 't',
      KUBECONFIG_GPU_DEMO: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }),
    });
    const aws = deps.resolved.fleets[0]!.pools.find((p) => p.cloud === 'aws')!;
    // Known before the adapter loads: applyPlan lowers the desired count of a pool whose port has none.
    expect(deps.clouds.capacityFor(aws)?.removeInstance).toBeTypeOf('function');
    const karpenter = { ...aws, id: 'karpenter', cloud: 'kubernetes' as const, kind: 'karpenter-nodepool' as const };
    expect(deps.clouds.capacityFor({ ...karpenter, tags: { cluster: 'gpu-demo' } })?.removeInstance).toBeUndefined();
  });
});
