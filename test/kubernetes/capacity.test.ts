/**
 * CapacityPort contract tests for `k8s-deployment` and `karpenter-nodepool` pools, through the real client
 * against the emulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloudError } from '../../shared/domain/errors.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import type { PoolKind } from '../../shared/domain/types.ts';
import { closeAll, httpsJson, karpenterWorld, startCluster, T0 } from './support.ts';

afterEach(closeAll);

const clock = () => new Date(T0);
const ref = (kind: PoolKind, resource: string, tags?: Record<string, string>): PoolRef => ({
  id: `${kind}-${resource}`,
  cloud: 'kubernetes',
  kind,
  resource,
  location: { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] },
  tags,
});

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

describe('kubernetes capacity: k8s-deployment pools', () => {
  it.each(['eks-nodegroup', 'azure-vmss'] as const)('refuses a %s pool as invalid', async (kind) => {
    const { adapters } = await startCluster(karpenterWorld(1));
    expect(await rejection(adapters.capacity.describePool(ref(kind, 'x')))).toMatchObject({ kind: 'invalid' });
  });

  it('describes a deployment: desired, ready and its pods with their node zone and capacity type', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world, { clock });
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 3 });
    const obs = await adapters.capacity.describePool(ref('k8s-deployment', 'ml/llm'));
    // 3 replicas on two one-GPU nodes: 2 ready, 1 pending.
    expect(obs).toMatchObject({ desired: 3, ready: 2, observedAt: new Date(T0).toISOString() });
    expect(obs.instances.map((i) => i.lifecycle).sort()).toEqual(['pending', 'ready', 'ready']);
    const zones = new Map(world.instancesOf('aws-l4-karpenter').map((i) => [i.nodeName, i.zone]));
    for (const i of obs.instances.filter((x) => x.nodeName)) {
      expect(i).toMatchObject({ zone: zones.get(i.nodeName!), capacityType: 'spot', instanceType: 'g6.xlarge' });
    }
    const pending = obs.instances.find((i) => i.lifecycle === 'pending')!;
    expect(pending.nodeName).toBeUndefined();
    // An unscheduled pod has no node to say: the ref's tag, else on-demand.
    expect(pending.capacityType).toBe('on-demand');
  });

  it('reads `name` alone as a deployment in the default namespace and refuses a malformed resource', async () => {
    const { emu, adapters } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'default', name: 'llm', replicas: 1 });
    expect((await adapters.capacity.describePool(ref('k8s-deployment', 'llm'))).desired).toBe(1);
    expect(await rejection(adapters.capacity.describePool(ref('k8s-deployment', 'a/b/c')))).toMatchObject({
      kind: 'invalid',
    });
  });

  it('sets the desired replicas through the scale subresource', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const r = ref('k8s-deployment', 'ml/llm');
    expect(await adapters.capacity.setDesired(r, { desired: 2, reason: 'queue depth' })).toEqual({
      desired: 2,
      previous: 1,
      unchanged: false,
    });
    expect(await adapters.capacity.setDesired(r, { desired: 2, reason: 'queue depth' })).toMatchObject({
      unchanged: true,
    });
    expect(world.callsTo('kubernetes', 'deployments.scale.patch')).toHaveLength(1);
  });

  it('maps a missing deployment to not-found', async () => {
    const { adapters } = await startCluster(karpenterWorld(1));
    expect(await rejection(adapters.capacity.describePool(ref('k8s-deployment', 'ml/none')))).toMatchObject({
      kind: 'not-found',
      code: 'NotFound',
    });
  });
});

describe('kubernetes capacity: karpenter-nodepool pools', () => {
  it('describes a static NodePool: spec.replicas, its Ready nodes and their instance ids', async () => {
    const world = karpenterWorld(2, { bootSeconds: 60, readySeconds: 300 });
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', replicas: 3 });
    world.setDesired('aws-l4-karpenter', 3);
    world.advance(60);
    const obs = await adapters.capacity.describePool(ref('karpenter-nodepool', 'gpu-l4'));
    // The third node is up but not ready yet.
    expect(obs).toMatchObject({ desired: 3, ready: 2 });
    expect(obs.instances.map((i) => i.lifecycle).sort()).toEqual(['ready', 'ready', 'running']);
    expect(obs.instances.map((i) => i.id).sort()).toEqual(
      world
        .instancesOf('aws-l4-karpenter')
        .map((i) => i.id)
        .sort(),
    );
    expect(obs.instances.every((i) => i.capacityType === 'spot')).toBe(true);
  });

  it.each([
    // 8 GPUs / 4 per node (from the nodes' capacity) = 2 nodes.
    { name: 'gpus per node from the nodes', limit: '8', tags: undefined, desired: 2 },
    // 8 GPUs / 8 per node (the pool's tag wins over the nodes) = 1 node.
    { name: 'gpus per node from the pool tag', limit: '8', tags: { gpusPerNode: '8' }, desired: 1 },
    // floor(10 / 4) = 2 nodes.
    { name: 'a limit that is not a multiple', limit: '10', tags: undefined, desired: 2 },
  ])('derives the desired nodes of a dynamic NodePool from its GPU limit: $name', async ({ limit, tags, desired }) => {
    const world = karpenterWorld(1, { tags: { gpus: '4' } });
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', limits: { cpu: '1000', 'nvidia.com/gpu': limit } });
    expect((await adapters.capacity.describePool(ref('karpenter-nodepool', 'gpu-l4', tags))).desired).toBe(desired);
  });

  it('reports the nodes there are as desired for a NodePool without a GPU limit', async () => {
    const { emu, adapters } = await startCluster(karpenterWorld(2));
    emu.state.addNodePool({ name: 'gpu-l4' });
    expect((await adapters.capacity.describePool(ref('karpenter-nodepool', 'gpu-l4'))).desired).toBe(2);
  });

  it('sets a dynamic NodePool through its GPU limit, with the reason as an annotation', async () => {
    const world = karpenterWorld(1, { tags: { gpus: '4' } });
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', limits: { 'nvidia.com/gpu': '4' } });
    const r = ref('karpenter-nodepool', 'gpu-l4');
    expect(await adapters.capacity.setDesired(r, { desired: 3, reason: 'forecast peak' })).toEqual({
      desired: 3,
      previous: 1,
      unchanged: false,
    });
    // 3 nodes x 4 GPUs.
    expect(emu.state.nodePoolSpec('gpu-l4')?.limits).toEqual({ 'nvidia.com/gpu': '12' });
    expect(world.pool('aws-l4-karpenter')!.desired).toBe(3);
    const np = (
      await httpsJson(emu, 'GET', '/apis/karpenter.sh/v1/nodepools/gpu-l4', {
        headers: { authorization: `Bearer ${emu.token}` },
      })
    ).body as unknown as { metadata: { annotations: Record<string, string> } };
    expect(np.metadata.annotations['gpu-fleet-autoscaler/reason']).toBe('forecast peak');
    expect(await adapters.capacity.setDesired(r, { desired: 3, reason: 'again' })).toMatchObject({ unchanged: true });
    expect(world.callsTo('kubernetes', 'nodepools.patch')).toHaveLength(1);
  });

  it('sets a static NodePool through spec.replicas', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', replicas: 2, limits: { 'nvidia.com/gpu': '100' } });
    expect(
      await adapters.capacity.setDesired(ref('karpenter-nodepool', 'gpu-l4'), { desired: 0, reason: 'night' }),
    ).toEqual({
      desired: 0,
      previous: 2,
      unchanged: false,
    });
    expect(emu.state.nodePoolSpec('gpu-l4')).toMatchObject({ replicas: 0, limits: { 'nvidia.com/gpu': '100' } });
    expect(world.pool('aws-l4-karpenter')!.desired).toBe(0);
  });

  it('maps a missing NodePool to not-found, refuses other pool kinds, and has no reservations', async () => {
    const { adapters } = await startCluster(karpenterWorld(1));
    expect(await rejection(adapters.capacity.describePool(ref('karpenter-nodepool', 'none')))).toMatchObject({
      kind: 'not-found',
    });
    const asg = { ...ref('k8s-deployment', 'x'), kind: 'auto-scaling-group' as const };
    expect(await rejection(adapters.capacity.describePool(asg))).toMatchObject({ kind: 'invalid' });
    expect(await adapters.capacity.listReservations('us-east-1')).toEqual([]);
  });
});
