/**
 * ClusterPort contract tests: the Kubernetes adapter through the real @kubernetes/client-node against the
 * loopback emulator.
 */
import {
  ApisApi,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  type KubeConfig as KubeConfigType,
  VersionApi,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubernetesAdapters } from '../../shared/adapters/kubernetes/index.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import { World } from '../../local/emulators/world.ts';
import { closeAll, FAST, karpenterWorld, pool, startCluster, T0 } from './support.ts';

afterEach(closeAll);

function kubeConfigOf(options: object): KubeConfigType {
  const kc = new KubeConfig();
  kc.loadFromOptions(options);
  return kc;
}

/** Waits (polling every 5 ms) until a condition holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

/** A world with GPU pools of every cloud joined to cluster `prod`, and some that are not nodes. */
function multiCloudWorld(): World {
  const world = new World({ start: T0 });
  world.addPool(
    pool({ id: 'aws-karpenter', cloud: 'aws', kind: 'karpenter-nodepool', name: 'gpu-l4', capacityType: 'spot' }),
  );
  world.addPool(
    pool({
      id: 'aws-eks',
      cloud: 'aws',
      kind: 'eks-nodegroup',
      name: 'prod/gpu-a10g',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      tags: { gpus: '4' },
    }),
  );
  world.addPool(
    pool({
      id: 'azure-spot',
      cloud: 'azure',
      kind: 'azure-vmss',
      name: 'aks-gpuspot-12345678-vmss',
      region: 'eastus',
      zones: ['eastus-1'],
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType: 'spot',
      scope: '00000000-1111-2222-3333-444444444444/MC_ml_prod_eastus',
    }),
  );
  world.addPool(
    pool({
      id: 'azure-regular',
      cloud: 'azure',
      kind: 'azure-vmss',
      name: 'aks-gpu-87654321-vmss',
      region: 'eastus',
      zones: ['eastus-2'],
      instanceType: 'Standard_NC24ads_A100_v4',
      scope: '00000000-1111-2222-3333-444444444444/MC_ml_prod_eastus',
    }),
  );
  world.addPool(
    pool({
      id: 'gcp-l4',
      cloud: 'gcp',
      kind: 'gcp-mig',
      name: 'gke-prod-gpu-l4-1a2b3c4d-grp',
      region: 'us-central1',
      zones: ['us-central1-a'],
      instanceType: 'g2-standard-8',
      capacityType: 'spot',
      scope: 'ml-project',
    }),
  );
  // Not GPU nodes: a CPU pool, a pool in another cluster, a pool not in any cluster.
  world.addPool(pool({ id: 'cpu', cloud: 'aws', kind: 'auto-scaling-group', name: 'cpu', tags: { gpus: '0' } }));
  world.addPool(pool({ id: 'other', cloud: 'aws', kind: 'auto-scaling-group', name: 'other', cluster: 'staging' }));
  world.addPool(pool({ id: 'bare', cloud: 'aws', kind: 'ec2-fleet', name: 'fleet-1', cluster: undefined }));
  return world;
}

describe('kubernetes adapter: connection', () => {
  it('serves discovery to the real client (API versions, groups, resources, version)', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const kc = kubeConfigOf(emu.kubeconfig);
    const versions = await kc.makeApiClient(CoreApi).getAPIVersions();
    expect(versions.versions).toEqual(['v1']);
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'policy', 'karpenter.sh']));
    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['nodes', 'pods', 'pods/eviction']));
    const apps = await kc.makeApiClient(AppsV1Api).getAPIResources();
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({
      kind: 'Scale',
      group: 'autoscaling',
    });
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
  });

  it.each([
    ['a kubeconfig object', (emu: { kubeconfig: object }) => ({ kubeconfig: emu.kubeconfig as never })],
    ['a kubeconfig file content', (emu: { kubeconfigText: string }) => ({ kubeconfig: `${emu.kubeconfigText}\n` })],
    [
      'a base64 kubeconfig (an SST secret)',
      (emu: { kubeconfigText: string }) => ({ kubeconfig: Buffer.from(emu.kubeconfigText).toString('base64') }),
    ],
    [
      'server, token and the CA (https, verified)',
      (emu: { server: string; token: string; ca: string }) => ({ server: emu.server, token: emu.token, ca: emu.ca }),
    ],
  ])('connects from %s', async (_name, options) => {
    const { emu } = await startCluster(karpenterWorld(2));
    const { cluster } = createKubernetesAdapters({ ...FAST, ...options(emu as never) });
    expect(await cluster.listGpuNodes()).toHaveLength(2);
  });

  it("the emulator's kubeconfig is https with certificate-authority-data, never insecure-skip-tls-verify", async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const cfg = JSON.parse(emu.kubeconfigText) as { clusters: Array<{ cluster: Record<string, unknown> }> };
    const cluster = cfg.clusters[0]!.cluster;
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(String(cluster['certificate-authority-data']), 'base64').toString()).toBe(emu.ca);
    expect(cluster['insecure-skip-tls-verify']).toBeUndefined();
  });

  it('refuses a server whose certificate it cannot verify (no CA given: no silent skip)', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const { cluster } = createKubernetesAdapters({ ...FAST, server: emu.server, token: emu.token });
    await expect(cluster.listGpuNodes()).rejects.toThrow();
  });

  it('refuses plain http to an address that is not loopback, as an invalid CloudError on first use', async () => {
    const { cluster } = createKubernetesAdapters({ ...FAST, server: 'http://10.0.0.1:6443', token: 't' });
    const e = await rejection(cluster.listGpuNodes());
    expect(e).toMatchObject({ kind: 'invalid', code: 'ConfigError' });
  });

  it('maps a refused token to unauthorized (401, no body from the client)', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const { cluster } = createKubernetesAdapters({ ...FAST, server: emu.server, token: 'wrong', ca: emu.ca });
    const e = await rejection(cluster.listGpuNodes());
    expect(e).toMatchObject({ kind: 'unauthorized', code: 'Unauthorized', status: 401, cloud: 'kubernetes' });
  });
});

describe('kubernetes adapter: deployments', () => {
  it('scales through the scale subresource and reports the previous count, or unchanged', async () => {
    const world = karpenterWorld(3);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    expect(await adapters.cluster.scaleDeployment('ml', 'llm', 3)).toEqual({
      desired: 3,
      previous: 1,
      unchanged: false,
    });
    const deployment = { id: 'd', cloud: 'kubernetes', kind: 'k8s-deployment', resource: 'ml/llm' } as const;
    const location = { region: 'us-east-1', zones: ['us-east-1a'] };
    expect(await adapters.capacity.describePool({ ...deployment, location })).toMatchObject({ desired: 3, ready: 3 });
    const patches = world.callsTo('kubernetes', 'deployments.scale.patch').length;
    expect(await adapters.cluster.scaleDeployment('ml', 'llm', 3)).toEqual({
      desired: 3,
      previous: 3,
      unchanged: true,
    });
    expect(world.callsTo('kubernetes', 'deployments.scale.patch')).toHaveLength(patches);
  });

  it('sends a JSON merge patch, where the client would default to JSON Patch (which the emulator refuses)', async () => {
    const world = karpenterWorld(1);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    await adapters.cluster.scaleDeployment('ml', 'llm', 2);
    const [patch] = world.callsTo('kubernetes', 'deployments.scale.patch');
    expect(patch!.params).toMatchObject({
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
    // Control: the same call without the adapter's header option goes out as JSON Patch and fails.
    const apps = kubeConfigOf(emu.kubeconfig).makeApiClient(AppsV1Api);
    const plain = apps.patchNamespacedDeploymentScale({
      name: 'llm',
      namespace: 'ml',
      body: { spec: { replicas: 3 } },
    });
    await expect(plain).rejects.toMatchObject({ code: 415 });
    expect(world.callsTo('kubernetes', 'deployments.scale.patch')[1]!.params).toMatchObject({
      contentType: 'application/json-patch+json',
    });
  });

  it('maps a missing deployment to not-found with the Status reason as code', async () => {
    const { adapters } = await startCluster(karpenterWorld(1));
    const e = await rejection(adapters.cluster.scaleDeployment('ml', 'missing', 2));
    expect(e).toMatchObject({ kind: 'not-found', code: 'NotFound', status: 404 });
    expect(e.message).toContain('deployments.apps "missing" not found');
    expect(e.message).toContain('scaling kubernetes deployment ml/missing');
  });

  it('refuses a negative count before calling the API', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world);
    const e = await rejection(adapters.cluster.scaleDeployment('ml', 'llm', -1));
    expect(e.kind).toBe('invalid');
    expect(world.callsTo('kubernetes')).toHaveLength(0);
  });
});

describe('kubernetes adapter: retries', () => {
  it.each([
    { kind: 'throttle' as const, operation: 'deployments.scale.get' },
    { kind: 'server-error' as const, operation: 'deployments.scale.patch' },
    { kind: 'throttle' as const, operation: 'nodes.list' },
  ])('retries $kind on $operation twice and succeeds', async ({ kind, operation }) => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    world.faults.inject({ service: 'kubernetes', operation, kind, times: 2 });
    if (operation === 'nodes.list') expect(await adapters.cluster.listGpuNodes()).toHaveLength(2);
    else expect(await adapters.cluster.scaleDeployment('ml', 'llm', 2)).toMatchObject({ previous: 1, desired: 2 });
    expect(world.faults.fired).toHaveLength(2);
    // Two failed attempts, then the one that went through.
    expect(world.callsTo('kubernetes', operation)).toHaveLength(3);
  });

  it('retries a request that timed out (the server hung and dropped it)', async () => {
    const world = karpenterWorld(1);
    const { emu, adapters } = await startCluster(world, { timeoutMs: 200 });
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    await adapters.cluster.listGpuNodes(); // warm up the client: only the injected hang may time out
    world.faults.inject({
      service: 'kubernetes',
      operation: 'deployments.scale.patch',
      kind: 'timeout',
      delayMs: 1_000,
    });
    expect(await adapters.cluster.scaleDeployment('ml', 'llm', 2)).toMatchObject({ desired: 2, unchanged: false });
    expect(world.callsTo('kubernetes', 'deployments.scale.patch')).toHaveLength(2);
    expect(emu.state.deploymentStatus('ml', 'llm')?.desired).toBe(2);
  });

  it.each([
    { kind: 'throttle' as const, expected: { kind: 'throttled', code: 'TooManyRequests', status: 429 } },
    { kind: 'server-error' as const, expected: { kind: 'transient', code: 'InternalError', status: 500 } },
    { kind: 'unauthorized' as const, expected: { kind: 'unauthorized', code: 'Unauthorized', status: 401 } },
  ])('gives up after maxAttempts on $kind with the mapped error', async ({ kind, expected }) => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world);
    world.faults.inject({ service: 'kubernetes', operation: 'nodes.list', kind, times: 10 });
    const e = await rejection(adapters.cluster.listGpuNodes());
    expect(e).toMatchObject(expected);
    // 4 attempts for retryable kinds (FAST.retry.maxAttempts), 1 for unauthorized.
    expect(world.callsTo('kubernetes', 'nodes.list')).toHaveLength(expected.kind === 'unauthorized' ? 1 : 4);
  });

  it('maps a timeout that outlasts every attempt to transient (Timeout)', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world, {
      timeoutMs: 50,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    world.faults.inject({ service: 'kubernetes', operation: 'nodes.list', kind: 'timeout', delayMs: 500, times: 2 });
    const e = await rejection(adapters.cluster.listGpuNodes());
    expect(e).toMatchObject({ kind: 'transient', code: 'Timeout' });
  });
});

describe('kubernetes adapter: Karpenter NodePools', () => {
  it('merge-patches limits, static replicas and weight, with the resourceVersion read', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', replicas: 2, limits: { cpu: '1000' } });
    await adapters.cluster.patchNodePool('gpu-l4', { replicas: 5, weight: 50, limits: { 'nvidia.com/gpu': '8' } });
    expect(emu.state.nodePoolSpec('gpu-l4')).toMatchObject({
      replicas: 5,
      weight: 50,
      limits: { cpu: '1000', 'nvidia.com/gpu': '8' },
    });
    // The static NodePool's replicas moved the World pool.
    expect(world.pool('aws-l4-karpenter')!.desired).toBe(5);
    const [patch] = world.callsTo('kubernetes', 'nodepools.patch');
    expect(patch!.params).toMatchObject({
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: expect.any(String) } },
    });
  });

  it('re-reads and retries on a 409 conflict', async () => {
    const world = karpenterWorld(1);
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4' });
    world.faults.inject({ service: 'kubernetes', operation: 'nodepools.patch', kind: 'conflict' });
    await adapters.cluster.patchNodePool('gpu-l4', { weight: 20 });
    expect(emu.state.nodePoolSpec('gpu-l4')?.weight).toBe(20);
    expect(world.callsTo('kubernetes', 'nodepools.get')).toHaveLength(2);
    expect(world.callsTo('kubernetes', 'nodepools.patch')).toHaveLength(2);
  });

  it('gives up with a conflict error when every attempt conflicts', async () => {
    const world = karpenterWorld(1);
    const { emu, adapters } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4' });
    world.faults.inject({ service: 'kubernetes', operation: 'nodepools.patch', kind: 'conflict', times: 10 });
    const e = await rejection(adapters.cluster.patchNodePool('gpu-l4', { weight: 20 }));
    expect(e).toMatchObject({ kind: 'conflict', code: 'Conflict', status: 409 });
    expect(world.callsTo('kubernetes', 'nodepools.patch')).toHaveLength(FAST.retry!.maxAttempts!);
  });

  it.each([
    {
      name: 'a missing NodePool',
      setup: false,
      patch: { weight: 10 },
      expected: { kind: 'not-found', code: 'NotFound', status: 404 },
    },
    {
      name: 'a weight out of range',
      setup: true,
      patch: { weight: 0 },
      expected: { kind: 'invalid', code: 'Invalid', status: 422 },
    },
  ])('maps $name', async ({ setup, patch, expected }) => {
    const { emu, adapters } = await startCluster(karpenterWorld(1));
    if (setup) emu.state.addNodePool({ name: 'gpu-l4' });
    expect(await rejection(adapters.cluster.patchNodePool('gpu-l4', patch))).toMatchObject(expected);
  });
});

describe('kubernetes adapter: nodes', () => {
  it('lists GPU nodes of every cloud with instance id, zone, type and capacity type', async () => {
    const world = multiCloudWorld();
    const { adapters } = await startCluster(world);
    const nodes = await adapters.cluster.listGpuNodes();
    const byPool = (poolId: string) => {
      const inst = world.instancesOf(poolId)[0]!;
      return { inst, node: nodes.find((n) => n.name === inst.nodeName) };
    };
    // 5 GPU pools of one node each; cpu (0 GPUs), staging (other cluster) and the bare fleet are not listed.
    expect(nodes).toHaveLength(5);
    const cases = [
      { poolId: 'aws-karpenter', capacityType: 'spot', gpus: 1, providerId: /^aws:\/\/\/us-east-1a\/i-0[0-9a-f]{16}$/ },
      { poolId: 'aws-eks', capacityType: 'on-demand', gpus: 4, providerId: /^aws:\/\/\/us-east-1a\/i-0/ },
      {
        poolId: 'azure-spot',
        capacityType: 'spot',
        gpus: 1,
        providerId: /virtualMachineScaleSets\/aks-gpuspot-12345678-vmss\/virtualMachines\/0$/,
      },
      {
        poolId: 'azure-regular',
        capacityType: 'on-demand',
        gpus: 1,
        providerId: /^azure:\/\/\/subscriptions\/00000000-/,
      },
      {
        poolId: 'gcp-l4',
        capacityType: 'spot',
        gpus: 1,
        providerId: /^gce:\/\/ml-project\/us-central1-a\/gke-prod-gpu-l4/,
      },
    ];
    for (const c of cases) {
      const { inst, node } = byPool(c.poolId);
      expect(node, c.poolId).toMatchObject({
        instanceId: inst.id,
        zone: inst.zone,
        instanceType: inst.instanceType,
        capacityType: c.capacityType,
        gpus: c.gpus,
        ready: true,
        unschedulable: false,
      });
      expect(node!.providerId, c.poolId).toMatch(c.providerId);
    }
  });

  it('lists a node that is up but not ready yet as not ready', async () => {
    const world = karpenterWorld(1, { bootSeconds: 60, readySeconds: 300 });
    const { adapters } = await startCluster(world);
    world.setDesired('aws-l4-karpenter', 2);
    world.advance(60);
    const nodes = await adapters.cluster.listGpuNodes();
    expect(nodes.map((n) => n.ready).sort()).toEqual([false, true]);
  });

  it.each([
    ['aws', 'aws-karpenter'],
    ['aws (eks node group)', 'aws-eks'],
    ['azure', 'azure-spot'],
    ['gcp', 'gcp-l4'],
  ])('finds the node of a %s instance by its id', async (_cloud, poolId) => {
    const world = multiCloudWorld();
    const { adapters } = await startCluster(world);
    const inst = world.instancesOf(poolId)[0]!;
    expect((await adapters.cluster.findNodeByInstance(inst.id))?.name).toBe(inst.nodeName);
    expect((await adapters.cluster.findNodeByInstance(inst.nodeName))?.instanceId).toBe(inst.id);
  });

  it('finds no node for an unknown instance', async () => {
    const { adapters } = await startCluster(multiCloudWorld());
    expect(await adapters.cluster.findNodeByInstance('i-0doesnotexist')).toBeUndefined();
  });

  it('cordons in one merge patch, idempotently, and maps a missing node to not-found', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world);
    const [node] = await adapters.cluster.listGpuNodes();
    await adapters.cluster.cordon(node!.name);
    await adapters.cluster.cordon(node!.name);
    // No read before the write: one request each, the same patch.
    expect(world.callsTo('kubernetes', 'nodes.get')).toHaveLength(0);
    const patches = world.callsTo('kubernetes', 'nodes.patch').map((c) => (c.params as { body?: unknown }).body);
    expect(patches).toEqual([{ spec: { unschedulable: true } }, { spec: { unschedulable: true } }]);
    expect((await adapters.cluster.listGpuNodes())[0]!.unschedulable).toBe(true);
    expect(await rejection(adapters.cluster.cordon('ip-10-9-9-9.ec2.internal'))).toMatchObject({ kind: 'not-found' });
  });

  it('uncordons in one merge patch (a cordon undone), and maps a missing node to not-found', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world);
    const [node] = await adapters.cluster.listGpuNodes();
    await adapters.cluster.cordon(node!.name);
    await adapters.cluster.uncordon(node!.name, 'the notice was refuted');
    const patches = world.callsTo('kubernetes', 'nodes.patch').map((c) => (c.params as { body?: unknown }).body);
    expect(patches).toEqual([{ spec: { unschedulable: true } }, { spec: { unschedulable: false } }]);
    expect((await adapters.cluster.listGpuNodes())[0]!.unschedulable).toBe(false);
    expect(await rejection(adapters.cluster.uncordon('ip-10-9-9-9.ec2.internal'))).toMatchObject({ kind: 'not-found' });
  });
});

describe('kubernetes adapter: drain', () => {
  const soon = (ms: number) => new Date(Date.now() + ms);

  it('evicts the pods, which are recreated elsewhere, and leaves DaemonSet and mirror pods', async () => {
    const world = karpenterWorld(3);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDaemonSet({ namespace: 'kube-system', name: 'nvidia-device-plugin' });
    // Pods that stop at once (no grace period): the World's clock does not move in this test.
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2, terminationGracePeriodSeconds: 0 });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    const node = victim!.nodeName!;
    emu.state.addStaticPod({ namespace: 'kube-system', name: 'kube-proxy', nodeName: node });
    const result = await adapters.cluster.drain(node, soon(2_000));
    expect(result).toEqual({ node, evicted: [`ml/${victim!.name}`], remaining: [], complete: true });
    expect(emu.state.nodeOverlay(node)?.unschedulable).toBe(true);
    const ml = emu.state.podRecords({ namespace: 'ml' });
    // Still 2 replicas, both scheduled, none on the drained node.
    expect(ml).toHaveLength(2);
    expect(ml.every((p) => p.nodeName !== undefined && p.nodeName !== node)).toBe(true);
    expect(emu.state.deploymentStatus('ml', 'llm')).toMatchObject({ ready: 2 });
    const left = emu.state.podRecords({ nodeName: node }).map((p) => p.owner?.kind);
    expect(left.sort()).toEqual(['DaemonSet', 'Node']);
  });

  it('a node its caller cordoned is neither read nor patched before the evictions', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1, terminationGracePeriodSeconds: 0 });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    const node = victim!.nodeName!;
    await adapters.cluster.cordon(node);
    const result = await adapters.cluster.drain(node, soon(2_000), 'spot warning', { cordoned: true });
    expect(result).toMatchObject({ node, evicted: [`ml/${victim!.name}`], complete: true });
    expect(world.callsTo('kubernetes', 'nodes.get')).toHaveLength(0);
    expect(world.callsTo('kubernetes', 'nodes.patch')).toHaveLength(1);
  });

  it('stops at the deadline when a PodDisruptionBudget blocks, and reports what is left', async () => {
    const world = karpenterWorld(2);
    // The adapter's clock stands still until the test moves it past the deadline.
    let now = T0;
    const { emu, adapters } = await startCluster(world, { clock: () => new Date(now) });
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2 });
    emu.state.addPdb({ namespace: 'ml', name: 'llm', selector: { app: 'llm' }, minAvailable: 2 });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    const draining = adapters.cluster.drain(victim!.nodeName!, new Date(T0 + 60_000));
    // Refused evictions are retried every poll interval (10 ms) until the deadline.
    await until(() => world.callsTo('kubernetes', 'pods.eviction.create').length >= 3);
    now = T0 + 60_000;
    const result = await draining;
    expect(result).toEqual({ node: victim!.nodeName, evicted: [], remaining: [`ml/${victim!.name}`], complete: false });
    expect(emu.state.podRecords({ namespace: 'ml' }).map((p) => p.name)).toContain(victim!.name);
  });

  it('goes on once the budget allows it: another pod becomes ready as the World advances', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    // 3 replicas on 2 one-GPU nodes: one pod is pending until a third node is ready.
    world.setDesired('aws-l4-karpenter', 3);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 3, terminationGracePeriodSeconds: 0 });
    emu.state.addPdb({ namespace: 'ml', name: 'llm', selector: { app: 'llm' }, minAvailable: 2 });
    const victim = emu.state.podRecords({ namespace: 'ml' }).find((p) => p.nodeName !== undefined)!;
    const draining = adapters.cluster.drain(victim.nodeName!, soon(10_000));
    // Once the budget has refused the eviction twice, the third node becomes ready and the pending pod runs there.
    await until(() => world.callsTo('kubernetes', 'pods.eviction.create').length >= 2);
    world.advance(300);
    const result = await draining;
    expect(result).toEqual({ node: victim.nodeName, evicted: [`ml/${victim.name}`], remaining: [], complete: true });
    // The replacement has nowhere to go (the drained node is cordoned, the others are full).
    expect(emu.state.deploymentStatus('ml', 'llm')).toEqual({ desired: 3, pods: 3, ready: 2 });
  });

  // An Azure or GCP notice leaves 30 s; pods often keep 30 s or more of grace. The eviction asks for the time
  // left less a 5 s margin, so the pods have stopped before the node is taken back.
  it.each([
    { name: 'grace longer than the time left: the time left less 5 s', podGrace: undefined, leftS: 25, asked: 20 },
    { name: 'grace of 60 s, 30 s left', podGrace: 60, leftS: 30, asked: 25 },
    { name: 'almost no time left: 1 s', podGrace: 30, leftS: 3, asked: 1 },
    { name: 'grace that fits: the pod keeps its own', podGrace: 10, leftS: 60, asked: undefined },
  ])('evicts with $name', async ({ podGrace, leftS, asked }) => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world, { clock: () => new Date(world.now()) });
    emu.state.addDeployment({
      namespace: 'ml',
      name: 'llm',
      replicas: 2,
      ...(podGrace === undefined ? {} : { terminationGracePeriodSeconds: podGrace }),
    });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    const draining = adapters.cluster.drain(victim!.nodeName!, new Date(world.now() + leftS * 1000));
    await until(() => world.callsTo('kubernetes', 'pods.eviction.create').length >= 1);
    const body = (world.callsTo('kubernetes', 'pods.eviction.create')[0]!.params as { body?: Record<string, unknown> })
      .body;
    const got = (body?.deleteOptions as { gracePeriodSeconds?: number } | undefined)?.gracePeriodSeconds;
    if (asked === undefined) expect(body?.deleteOptions).toBeUndefined();
    // The drain's clock also runs at the real rate (for clocks that stand still): a second may have gone by.
    else expect(got).toBeOneOf(asked === 1 ? [1] : [asked - 1, asked]);
    // The pod terminates for its grace period on the World's clock, then is gone and the drain completes.
    const grace = got ?? podGrace ?? 30;
    const terminating = emu.state.podRecords({ namespace: 'ml' }).find((p) => p.name === victim!.name);
    expect(terminating?.deletionTimestamp).toBe(world.now() + grace * 1000);
    world.advance(grace);
    expect(await draining).toMatchObject({ evicted: [`ml/${victim!.name}`], remaining: [], complete: true });
  });

  it('on a clock that stands still, a drain waiting on a terminating pod still ends at its deadline', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world, { clock: () => new Date(T0) });
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2 });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    // 300 ms on the adapter's clock: it never moves, real time does.
    const result = await adapters.cluster.drain(victim!.nodeName!, new Date(T0 + 300));
    expect(result).toMatchObject({ complete: false, remaining: [`ml/${victim!.name}`] });
  });

  it('is an empty, complete drain for a node that is already gone', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world);
    expect(await adapters.cluster.drain('ip-10-1-2-3.ec2.internal', soon(100))).toEqual({
      node: 'ip-10-1-2-3.ec2.internal',
      evicted: [],
      remaining: [],
      complete: true,
    });
  });

  it('retries an eviction that failed with a 5xx', async () => {
    const world = karpenterWorld(2);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2, terminationGracePeriodSeconds: 0 });
    const [victim] = emu.state.podRecords({ namespace: 'ml' });
    world.faults.inject({ service: 'kubernetes', operation: 'pods.eviction.create', kind: 'server-error' });
    const result = await adapters.cluster.drain(victim!.nodeName!, soon(2_000));
    expect(result.complete).toBe(true);
    expect(result.evicted).toEqual([`ml/${victim!.name}`]);
    expect(world.callsTo('kubernetes', 'pods.eviction.create')).toHaveLength(2);
  });
});
