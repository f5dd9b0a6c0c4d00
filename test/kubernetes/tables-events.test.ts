/**
 * Server-side printing (Table responses, as kubectl asks for them) and Events: the emulator serves core v1
 * Events and their events.k8s.io/v1 view, and the adapter records one for each thing it does to a node, a
 * Deployment or a NodePool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventBody, eventName } from '../../shared/adapters/kubernetes/events.ts';
import { humanDuration, tableVersion } from '../../local/emulators/kubernetes/table.ts';
import { World } from '../../local/emulators/world.ts';
import { closeAll, httpsJson, karpenterWorld, pool, raw, startCluster, T0 } from './support.ts';

afterEach(closeAll);

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function tableGet(emu: Parameters<typeof raw>[0], path: string, accept = KUBECTL_ACCEPT) {
  return httpsJson(emu, 'GET', path, { headers: { authorization: `Bearer ${emu.token}`, accept } });
}

type Table = {
  kind: string;
  apiVersion: string;
  columnDefinitions: Array<{ name: string; priority: number }>;
  rows: Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string } } }>;
};

describe('Accept negotiation and ages', () => {
  it.each([
    { accept: KUBECTL_ACCEPT, v: 'v1' },
    { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', v: 'v1beta1' },
    { accept: 'application/json', v: undefined },
    { accept: undefined, v: undefined },
    { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', v: undefined },
  ])('$accept -> $v', ({ accept, v }) => {
    expect(tableVersion(accept)).toBe(v);
  });

  it.each([
    { s: 0, text: '0s' },
    { s: 119, text: '119s' },
    { s: 150, text: '2m30s' },
    { s: 600, text: '10m' },
    { s: 3 * 3600 + 300, text: '3h5m' },
    { s: 30 * 3600, text: '30h' },
    { s: 50 * 3600, text: '2d2h' },
    { s: 20 * 86400, text: '20d' },
  ])('humanDuration($s) = $text (kubectl)', ({ s, text }) => {
    expect(humanDuration(s)).toBe(text);
  });
});

describe('server-side printing', () => {
  it('nodes: NAME, STATUS (cordoned: SchedulingDisabled), ROLES, AGE, VERSION, and the wide columns at priority 1', async () => {
    const world = karpenterWorld(2);
    world.advance(3600);
    const { emu, adapters } = await startCluster(world);
    const [first] = await adapters.cluster.listGpuNodes();
    await adapters.cluster.cordon(first!.name);
    const r = await tableGet(emu, '/api/v1/nodes');
    expect(r.status).toBe(200);
    const t = r.body as unknown as Table;
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Status',
      'Roles',
      'Age',
      'Version',
    ]);
    expect(t.columnDefinitions.some((c) => c.name === 'OS-Image' && c.priority === 1)).toBe(true);
    const cordoned = t.rows.find((row) => row.cells[0] === first!.name)!;
    expect(cordoned.cells[1]).toBe('Ready,SchedulingDisabled');
    expect(cordoned.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: first!.name } });
    expect(t.rows).toHaveLength(2);
  });

  it('a single object, a Deployment with READY and UP-TO-DATE, includeObject=None and Object, and v1beta1', async () => {
    const world = karpenterWorld(2);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 2 });
    const one = (await tableGet(emu, '/apis/apps/v1/namespaces/ml/deployments/llm')).body as unknown as Table;
    expect(one.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
    ]);
    expect(one.rows).toHaveLength(1);
    expect(one.rows[0]!.cells[0]).toBe('llm');
    expect(String(one.rows[0]!.cells[1])).toMatch(/^\d\/2$/);
    const none = (await tableGet(emu, '/apis/apps/v1/namespaces/ml/deployments?includeObject=None'))
      .body as unknown as Table;
    expect(none.rows[0]).not.toHaveProperty('object');
    const full = (await tableGet(emu, '/apis/apps/v1/namespaces/ml/deployments?includeObject=Object'))
      .body as unknown as Table;
    expect(full.rows[0]!.object.kind).toBe('Deployment');
    const beta = await tableGet(emu, '/api/v1/nodes', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
    expect(beta.body.apiVersion).toBe('meta.k8s.io/v1beta1');
    // Without the Table media type, the plain list.
    expect((await raw(emu, 'GET', '/api/v1/nodes')).body.kind).toBe('NodeList');
  });

  it('pods and NodePools (Karpenter printer columns)', async () => {
    const world = karpenterWorld(1);
    const { emu } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    const pods = (await tableGet(emu, '/api/v1/namespaces/ml/pods')).body as unknown as Table;
    expect(pods.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
    ]);
    expect(pods.rows).toHaveLength(1);
    const nodepools = (await tableGet(emu, '/apis/karpenter.sh/v1/nodepools')).body as unknown as Table;
    expect(nodepools.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'NodeClass',
      'Nodes',
      'Ready',
      'Age',
    ]);
  });
});

describe('Events', () => {
  it('the API: create (201, server fields added), list, get, the events.k8s.io/v1 view, and field selectors', async () => {
    const { emu } = await startCluster(new World({ start: T0 }));
    const body = {
      metadata: { name: 'n1.17f0', namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'n1', apiVersion: 'v1' },
      reason: 'Cordoned',
      message: 'Marked unschedulable',
      type: 'Normal',
      source: { component: 'test' },
    };
    const created = await raw(emu, 'POST', '/api/v1/namespaces/default/events', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Event', count: 1, metadata: { namespace: 'default' } });
    expect((created.body.metadata as { uid?: string }).uid).toBeTruthy();
    const list = await raw(emu, 'GET', '/api/v1/events?fieldSelector=involvedObject.name%3Dn1');
    expect((list.body.items as unknown[]).length).toBe(1);
    const none = await raw(emu, 'GET', '/api/v1/events?fieldSelector=involvedObject.name%3Dn2');
    expect(none.body.items).toEqual([]);
    const v1 = await raw(emu, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events/n1.17f0');
    expect(v1.body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      regarding: { kind: 'Node', name: 'n1' },
      note: 'Marked unschedulable',
      reportingController: 'test',
    });
    const table = (await tableGet(emu, '/api/v1/namespaces/default/events')).body as unknown as Table;
    expect(table.rows[0]!.cells.slice(1, 4)).toEqual(['Normal', 'Cordoned', 'node/n1']);
  });

  it.each([
    { name: 'no reason', body: { metadata: { name: 'x' }, involvedObject: { kind: 'Node', name: 'n' } }, status: 422 },
    { name: 'no involvedObject', body: { metadata: { name: 'x' }, reason: 'R' }, status: 422 },
    {
      name: 'another namespace in the body',
      body: { metadata: { name: 'x', namespace: 'ml' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'R' },
      status: 400,
    },
    {
      name: 'a type other than Normal or Warning',
      body: { metadata: { name: 'x' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'R', type: 'Info' },
      status: 422,
    },
  ])('refused: $name ($status)', async ({ body, status }) => {
    const { emu } = await startCluster(new World({ start: T0 }));
    const r = await raw(emu, 'POST', '/api/v1/namespaces/default/events', body);
    expect(r.status).toBe(status);
    expect(r.body.kind).toBe('Status');
  });

  it('the adapter records Cordoned, Drained and SuccessfulRescale, with the reason given', async () => {
    const world = new World({ start: T0 });
    world.addPool(pool({ id: 'aws-g6', cloud: 'aws', kind: 'auto-scaling-group', name: 'asg-g6', desired: 2 }));
    world.advance(600);
    const { emu, adapters } = await startCluster(world);
    emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1, terminationGracePeriodSeconds: 0 });
    const [node] = await adapters.cluster.listGpuNodes();
    const drained = await adapters.cluster.drain(node!.name, new Date(world.now() + 60_000), 'spot interruption');
    expect(drained.complete).toBe(true);
    await adapters.cluster.scaleDeployment('ml', 'llm', 3, 'demand 120 rps');
    // Unchanged: nothing happened, no Event.
    await adapters.cluster.scaleDeployment('ml', 'llm', 3, 'demand 120 rps');
    const events = (await raw(emu, 'GET', '/api/v1/events')).body.items as Array<Record<string, unknown>>;
    const summary = events.map((e) => [
      (e.involvedObject as { kind: string }).kind,
      e.reason,
      e.message,
      (e.source as { component: string }).component,
    ]);
    expect(summary).toEqual([
      ['Node', 'Cordoned', 'Marked unschedulable: spot interruption', 'gpu-fleet-autoscaler'],
      ['Node', 'Drained', `Evicted ${drained.evicted.length} pod(s): spot interruption`, 'gpu-fleet-autoscaler'],
      ['Deployment', 'SuccessfulRescale', 'New size: 3 (was 1); reason: demand 120 rps', 'gpu-fleet-autoscaler'],
    ]);
    expect(events.map((e) => (e.metadata as { namespace: string }).namespace)).toEqual(['default', 'default', 'ml']);
    expect(adapters.cluster.events.dropped).toBe(0);
  });

  it('an Event that cannot be written never fails the action (counted as dropped)', async () => {
    const world = karpenterWorld(1);
    const { adapters } = await startCluster(world, { retry: { maxAttempts: 1 } });
    world.faults.inject({ service: 'kubernetes', operation: 'events.create', kind: 'server-error', times: 5 });
    const [node] = await adapters.cluster.listGpuNodes();
    await expect(adapters.cluster.cordon(node!.name)).resolves.toBeUndefined();
    expect(adapters.cluster.events.dropped).toBe(1);
  });

  it('names Events as client-go does (<object>.<hex time>) and caps the message at 1 KiB', () => {
    const at = new Date(T0);
    expect(eventName('n1', at)).toMatch(/^n1\.[0-9a-f]+$/);
    expect(eventName('n1', at)).not.toBe(eventName('n1', at));
    const body = eventBody(
      { kind: 'Node', apiVersion: 'v1', name: 'n1' },
      { type: 'Normal', reason: 'Cordoned', message: 'x'.repeat(2000) },
      at,
    );
    expect(body.message).toHaveLength(1024);
    expect(body.metadata.namespace).toBe('default');
  });
});
