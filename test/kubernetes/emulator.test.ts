/**
 * The Kubernetes emulator on the wire: what it serves, what it refuses and how (Status bodies shaped like
 * the API server's), and how the cluster follows the World.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, httpsJson, karpenterWorld, pool, raw, startCluster, T0 } from './support.ts';
import { World } from '../../local/emulators/world.ts';

afterEach(closeAll);

interface Item {
  metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}
interface List {
  kind: string;
  metadata: { continue?: string; remainingItemCount?: number };
  items: Item[];
}

const readyOf = (n: Item) =>
  (n.status.conditions as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready')?.status;

describe('kubernetes emulator: requests it refuses', () => {
  it('answers 404 with the API server Status shape for an unknown deployment and an unknown path', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const missing = await raw(emu, 'GET', '/apis/apps/v1/namespaces/ml/deployments/x');
    expect(missing).toEqual({
      status: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "x" not found',
        reason: 'NotFound',
        details: { name: 'x', group: 'apps', kind: 'deployments' },
        code: 404,
      },
    });
    const unknown = await raw(emu, 'GET', '/apis/apps/v1/namespaces/ml/statefulsets');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
  });

  it('refuses a request without the bearer token with 401 Unauthorized', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    const res = await httpsJson(emu, 'GET', '/api/v1/nodes');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it.each([
    // The real server takes a JSON patch here; the emulator refuses it so a client's default content type is caught.
    [
      'a JSON patch of deployments/scale',
      '/apis/apps/v1/namespaces/ml/deployments/llm/scale',
      'application/json-patch+json',
    ],
    ['server-side apply of a node', '/api/v1/nodes/NODE', 'application/apply-patch+yaml'],
    [
      'a strategic merge patch of a custom resource',
      '/apis/karpenter.sh/v1/nodepools/gpu-l4',
      'application/strategic-merge-patch+json',
    ],
    ['a patch sent as plain JSON', '/apis/apps/v1/namespaces/ml/deployments/llm', 'application/json'],
  ])('refuses %s with 415 UnsupportedMediaType', async (_name, urlPath, contentType) => {
    const { emu } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    emu.state.addNodePool({ name: 'gpu-l4' });
    const node = emu.state.nodeViews()[0]!.name;
    const res = await raw(emu, 'PATCH', urlPath.replace('NODE', node), { spec: { replicas: 2 } }, contentType);
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'UnsupportedMediaType', code: 415 });
  });

  it('rejects a write carrying a stale resourceVersion with 409 Conflict, and accepts the current one', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const scalePath = '/apis/apps/v1/namespaces/ml/deployments/llm/scale';
    const first = (await raw(emu, 'GET', scalePath)).body as unknown as Item;
    const patched = await raw(emu, 'PATCH', scalePath, { spec: { replicas: 2 } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const stale = { ...first, spec: { replicas: 3 } };
    const put = await raw(emu, 'PUT', scalePath, stale);
    expect(put.status).toBe(409);
    expect(put.body).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on deployments.apps "llm": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'llm', group: 'apps', kind: 'deployments' },
    });
    const stalePatch = await raw(
      emu,
      'PATCH',
      '/apis/apps/v1/namespaces/ml/deployments/llm',
      { metadata: { resourceVersion: first.metadata.resourceVersion }, spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    expect(stalePatch.status).toBe(409);
    const current = (patched.body as unknown as Item).metadata.resourceVersion;
    const ok = await raw(emu, 'PUT', scalePath, {
      ...first,
      metadata: { ...first.metadata, resourceVersion: current },
      spec: { replicas: 3 },
    });
    expect(ok.status).toBe(200);
    expect(Number((ok.body as unknown as Item).metadata.resourceVersion)).toBeGreaterThan(Number(current));
  });

  it('keeps the resourceVersion on a patch that changes nothing', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2 });
    const p = '/apis/apps/v1/namespaces/ml/deployments/llm/scale';
    const before = (await raw(emu, 'GET', p)).body as unknown as Item;
    const after = (await raw(emu, 'PATCH', p, { spec: { replicas: 2 } }, 'application/merge-patch+json'))
      .body as unknown as Item;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('answers 422 Invalid for a negative replica count and a NodePool weight out of range', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    emu.state.addNodePool({ name: 'gpu-l4' });
    const scale = await raw(
      emu,
      'PATCH',
      '/apis/apps/v1/namespaces/ml/deployments/llm/scale',
      { spec: { replicas: -1 } },
      'application/merge-patch+json',
    );
    expect(scale.status).toBe(422);
    expect(scale.body).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'spec.replicas' }] } });
    const weight = await raw(
      emu,
      'PATCH',
      '/apis/karpenter.sh/v1/nodepools/gpu-l4',
      { spec: { weight: 0 } },
      'application/merge-patch+json',
    );
    expect(weight.status).toBe(422);
    expect(weight.body.message).toMatch(/^NodePool\.karpenter\.sh "gpu-l4" is invalid: spec\.weight/);
  });
});

describe('kubernetes emulator: nodes follow the World', () => {
  it('shows running and ready instances as nodes, Ready only when the instance is ready', async () => {
    const world = karpenterWorld(1, { bootSeconds: 60, readySeconds: 300 });
    const { emu } = await startCluster(world);
    world.setDesired('aws-l4-karpenter', 3);
    const names = async () => ((await raw(emu, 'GET', '/api/v1/nodes')).body as unknown as List).items;
    // Two new instances are pending (VM not up): only the first node exists.
    expect(await names()).toHaveLength(1);
    world.advance(60);
    const booted = await names();
    // The two new VMs are up (nodes) but not ready yet.
    expect(booted.map(readyOf).sort()).toEqual(['False', 'False', 'True']);
    world.advance(240);
    expect((await names()).map(readyOf)).toEqual(['True', 'True', 'True']);
  });

  it('keeps a node under interruption notice until the instance is gone, then forgets its cordon', async () => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    const [victim] = world.instancesOf('aws-l4-karpenter');
    const nodePath = `/api/v1/nodes/${victim!.nodeName}`;
    await raw(emu, 'PATCH', nodePath, { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
    world.interrupt(victim!, 'spot', 120);
    const during = await raw(emu, 'GET', nodePath);
    expect(during.status).toBe(200);
    expect((during.body as unknown as Item).spec.unschedulable).toBe(true);
    expect(readyOf(during.body as unknown as Item)).toBe('True');
    world.advance(120);
    expect((await raw(emu, 'GET', nodePath)).status).toBe(404);
    expect(emu.state.nodeOverlay(victim!.nodeName)).toBeUndefined();
  });

  it('applies a JSON patch to a node (and refuses one whose test fails with 422)', async () => {
    const world = karpenterWorld(1);
    const { emu } = await startCluster(world);
    const name = emu.state.nodeViews()[0]!.name;
    const ok = await raw(
      emu,
      'PATCH',
      `/api/v1/nodes/${name}`,
      [
        { op: 'add', path: '/spec/unschedulable', value: true },
        { op: 'add', path: '/metadata/labels/team', value: 'ml' },
      ],
      'application/json-patch+json',
    );
    expect(ok.status).toBe(200);
    const node = ok.body as unknown as Item;
    expect(node.spec.unschedulable).toBe(true);
    expect(node.metadata.labels?.team).toBe('ml');
    expect(node.spec.taints).toEqual([{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    const failed = await raw(
      emu,
      'PATCH',
      `/api/v1/nodes/${name}`,
      [{ op: 'test', path: '/spec/unschedulable', value: false }],
      'application/json-patch+json',
    );
    expect(failed.status).toBe(422);
  });

  it('derives GPUs per node from the pool tag `gpus`, 1 by default, amd.com/gpu for AMD pools', async () => {
    const world = new World({ start: T0 });
    world.addPool(pool({ id: 'a', cloud: 'aws', kind: 'auto-scaling-group', name: 'a', tags: { gpus: '8' } }));
    world.addPool(pool({ id: 'b', cloud: 'aws', kind: 'auto-scaling-group', name: 'b', tags: {} }));
    world.addPool(
      pool({ id: 'c', cloud: 'aws', kind: 'auto-scaling-group', name: 'c', tags: { gpus: '4', gpuVendor: 'amd' } }),
    );
    const { emu } = await startCluster(world);
    const nodes = ((await raw(emu, 'GET', '/api/v1/nodes')).body as unknown as List).items;
    const capacity = (pid: string) => {
      const n = nodes.find((x) => x.metadata.name === world.instancesOf(pid)[0]!.nodeName)!;
      return n.status.capacity as Record<string, string>;
    };
    expect(capacity('a')['nvidia.com/gpu']).toBe('8');
    expect(capacity('b')['nvidia.com/gpu']).toBe('1');
    expect(capacity('c')['amd.com/gpu']).toBe('4');
  });
});

describe('kubernetes emulator: pods, deployments, evictions', () => {
  it('schedules one pod per GPU onto Ready nodes and leaves the rest pending', async () => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 3 });
    const pods = ((await raw(emu, 'GET', '/api/v1/namespaces/ml/pods?labelSelector=app%3Dllm')).body as unknown as List)
      .items;
    expect(pods.map((p) => p.status.phase).sort()).toEqual(['Pending', 'Running', 'Running']);
    const dep = (await raw(emu, 'GET', '/apis/apps/v1/namespaces/ml/deployments/llm')).body as unknown as Item;
    // 3 pods exist, 2 fit on the 2 one-GPU nodes.
    expect(dep.status).toMatchObject({ replicas: 3, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 });
    world.setDesired('aws-l4-karpenter', 3);
    world.advance(300);
    const after = (await raw(emu, 'GET', '/apis/apps/v1/namespaces/ml/deployments/llm')).body as unknown as Item;
    expect(after.status).toMatchObject({ readyReplicas: 3 });
  });

  it('selects pods by spec.nodeName and pages lists with limit and continue', async () => {
    const world = karpenterWorld(3);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 3 });
    const node = emu.state.nodeViews()[0]!.name;
    const onNode = (await raw(emu, 'GET', `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`))
      .body as unknown as List;
    expect(onNode.items.map((p) => p.spec.nodeName)).toEqual([node]);
    const page1 = (await raw(emu, 'GET', '/api/v1/nodes?limit=2')).body as unknown as List;
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata.remainingItemCount).toBe(1);
    const page2 = (await raw(emu, 'GET', `/api/v1/nodes?limit=2&continue=${page1.metadata.continue}`))
      .body as unknown as List;
    expect(page2.items).toHaveLength(1);
    expect(page2.metadata.continue).toBeUndefined();
    const bad = await raw(emu, 'GET', '/api/v1/pods?fieldSelector=spec.priority%3D1');
    expect(bad.status).toBe(400);
  });

  it('evicts a pod (201) and its ReplicaSet recreates it on another schedulable node', async () => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const [pod] = emu.state.podRecords({ namespace: 'ml' });
    const from = pod!.nodeName!;
    await raw(emu, 'PATCH', `/api/v1/nodes/${from}`, { spec: { unschedulable: true } }, 'application/merge-patch+json');
    const res = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod!.name, namespace: 'ml' },
    });
    expect(res).toEqual({
      status: 201,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
    });
    // The evicted pod terminates for its grace period (30 s by default); its ReplicaSet replaces it at once.
    const pods = emu.state.podRecords({ namespace: 'ml' });
    const replacement = pods.find((p) => p.name !== pod!.name);
    expect(pods.find((p) => p.name === pod!.name)?.deletionTimestamp).toBe(world.now() + 30_000);
    expect(replacement?.nodeName).toBeDefined();
    expect(replacement?.nodeName).not.toBe(from);
    world.advance(30);
    expect(emu.state.podRecords({ namespace: 'ml' }).map((p) => p.name)).toEqual([replacement!.name]);
  });

  it.each([
    { name: "the pod's own terminationGracePeriodSeconds", podGrace: 45, body: {}, gone: 45 },
    {
      name: 'deleteOptions.gracePeriodSeconds',
      podGrace: 45,
      body: { deleteOptions: { gracePeriodSeconds: 12 } },
      gone: 12,
    },
    { name: 'a grace of 0: at once', podGrace: 45, body: { deleteOptions: { gracePeriodSeconds: 0 } }, gone: 0 },
  ])('an evicted pod terminates for $name, shown in its object, then is gone', async ({ podGrace, body, gone }) => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1, terminationGracePeriodSeconds: podGrace });
    const [pod] = emu.state.podRecords({ namespace: 'ml' });
    const path = `/api/v1/namespaces/ml/pods/${pod!.name}`;
    expect((await raw(emu, 'GET', path)).body).toMatchObject({ spec: { terminationGracePeriodSeconds: podGrace } });
    const res = await raw(emu, 'POST', `${path}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', ...body });
    expect(res.status).toBe(201);
    if (gone > 0) {
      const seen = await raw(emu, 'GET', path);
      expect(seen.body).toMatchObject({
        metadata: {
          deletionTimestamp: new Date(world.now() + gone * 1000).toISOString().replace('.000', ''),
          deletionGracePeriodSeconds: gone,
        },
      });
      world.advance(gone - 1);
      expect((await raw(emu, 'GET', path)).status).toBe(200);
      world.advance(1);
    }
    expect((await raw(emu, 'GET', path)).status).toBe(404);
  });

  it('refuses a negative grace period', async () => {
    const world = karpenterWorld(1);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const [pod] = emu.state.podRecords({ namespace: 'ml' });
    const res = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      deleteOptions: { gracePeriodSeconds: -1 },
    });
    expect(res.status).toBe(400);
  });

  it.each([
    // 2 ready pods, minAvailable 2: no disruption allowed.
    { name: 'minAvailable 2 of 2', pdb: { minAvailable: 2 }, allowed: false },
    { name: 'minAvailable 1 of 2', pdb: { minAvailable: 1 }, allowed: true },
    { name: 'maxUnavailable 0', pdb: { maxUnavailable: 0 }, allowed: false },
    // 50% of 2 expected pods rounds up to 1 unavailable allowed.
    { name: 'maxUnavailable 50%', pdb: { maxUnavailable: '50%' }, allowed: true },
    // 100% of 2 must stay available.
    { name: 'minAvailable 100%', pdb: { minAvailable: '100%' }, allowed: false },
  ])('applies the PodDisruptionBudget to an eviction: $name', async ({ pdb, allowed }) => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2 });
    emu.state.addPdb({ namespace: 'ml', name: 'llm', selector: { app: 'llm' }, ...pdb });
    const [pod] = emu.state.podRecords({ namespace: 'ml' });
    const res = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, {
      metadata: { name: pod!.name, namespace: 'ml' },
    });
    if (allowed) {
      expect(res.status).toBe(201);
      return;
    }
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      code: 429,
      details: { causes: [{ reason: 'DisruptionBudget' }] },
    });
    expect(emu.state.podRecords({ namespace: 'ml' }).map((p) => p.name)).toContain(pod!.name);
  });

  it('answers 404 for the eviction of an unknown pod and 400 when the body names another pod', async () => {
    const { emu } = await startCluster(karpenterWorld(1));
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const gone = await raw(emu, 'POST', '/api/v1/namespaces/ml/pods/nope/eviction', { metadata: { name: 'nope' } });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ message: 'pods "nope" not found', details: { kind: 'pods', group: '' } });
    const [pod] = emu.state.podRecords({ namespace: 'ml' });
    const mismatch = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, {
      metadata: { name: 'other' },
    });
    expect(mismatch.status).toBe(400);
  });
});

describe('kubernetes emulator: Karpenter NodePools drive the World', () => {
  it('sets the bound pool desired count from spec.replicas of a static NodePool', async () => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', replicas: 2 });
    const res = await raw(
      emu,
      'PATCH',
      '/apis/karpenter.sh/v1/nodepools/gpu-l4',
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    expect(res.status).toBe(200);
    expect(world.pool('aws-l4-karpenter')!.desired).toBe(4);
  });

  it('sets it from the GPU limit over GPUs per node on a dynamic NodePool', async () => {
    const world = karpenterWorld(1, { tags: { gpus: '4' } });
    const { emu } = await startCluster(world);
    emu.state.addNodePool({ name: 'gpu-l4', limits: { cpu: '1000', 'nvidia.com/gpu': '4' } });
    await raw(
      emu,
      'PATCH',
      '/apis/karpenter.sh/v1/nodepools/gpu-l4',
      { spec: { limits: { 'nvidia.com/gpu': '14' } } },
      'application/merge-patch+json',
    );
    // floor(14 GPUs / 4 per node) = 3 nodes.
    expect(world.pool('aws-l4-karpenter')!.desired).toBe(3);
    const np = (await raw(emu, 'GET', '/apis/karpenter.sh/v1/nodepools/gpu-l4')).body as unknown as Item;
    // A merge patch merges limits key by key.
    expect(np.spec.limits).toEqual({ cpu: '1000', 'nvidia.com/gpu': '14' });
    expect(np.metadata).toMatchObject({ name: 'gpu-l4' });
  });
});

describe('kubernetes emulator: injected faults', () => {
  it.each([
    { kind: 'throttle' as const, status: 429, reason: 'TooManyRequests' },
    { kind: 'server-error' as const, status: 500, reason: 'InternalError' },
    { kind: 'conflict' as const, status: 409, reason: 'Conflict' },
    { kind: 'unauthorized' as const, status: 401, reason: 'Unauthorized' },
  ])('renders $kind as $status $reason, once', async ({ kind, status, reason }) => {
    const world = karpenterWorld(1);
    const { emu } = await startCluster(world);
    world.faults.inject({ service: 'kubernetes', operation: 'nodes.list', kind });
    const res = await raw(emu, 'GET', '/api/v1/nodes');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ kind: 'Status', reason, code: status });
    expect((await raw(emu, 'GET', '/api/v1/nodes')).status).toBe(200);
    expect(world.callsTo('kubernetes', 'nodes.list')).toHaveLength(2);
  });

  it('drops the connection of a timed-out request', async () => {
    const world = karpenterWorld(1);
    const { emu } = await startCluster(world);
    world.faults.inject({ service: 'kubernetes', operation: 'nodes.get', kind: 'timeout', delayMs: 50 });
    await expect(raw(emu, 'GET', '/api/v1/nodes/x')).rejects.toThrow();
  });
});
