/**
 * The Compute emulator on the wire: validation and error shapes, operations, requestId, paging, and its
 * answers compared with the real samples in ../shared/corpus/gcp.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { type GcpEmulator, type GcpEmulatorOptions, startGcpEmulator } from '../../local/emulators/gcp/index.ts';
import { World } from '../../local/emulators/world.ts';
import { PROJECT, REGIONAL, T0, ZONAL } from './support.ts';

let emulator: GcpEmulator | undefined;
let world: World;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: GcpEmulatorOptions = {}): Promise<void> {
  world = new World({ start: T0, seed: 3 });
  world.addPool(ZONAL);
  world.addPool(REGIONAL);
  emulator = await startGcpEmulator(world, { waitMs: 5, ...options });
}

const MIG = `/compute/v1/projects/${PROJECT}/zones/us-central1-a/instanceGroupManagers/gpu-l4-spot`;
const RMIG = `/compute/v1/projects/${PROJECT}/regions/us-east1/instanceGroupManagers/gpu-a100`;
const UUID_A = '6f1c1b5e-3a43-4f7e-9d47-1f0a3c2b9e10';

async function call(
  verb: string,
  p: string,
  opts: { body?: unknown; auth?: boolean } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.auth !== false) headers.authorization = 'Bearer fake';
  const res = await fetch(`${emulator!.endpoint}${p}`, {
    method: verb,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const errorOf = (json: Record<string, unknown>) =>
  json.error as { code: number; message: string; errors: Array<{ reason: string; domain: string; message: string }> };

describe('Compute emulator: errors', () => {
  it.each([
    { name: 'unknown MIG', verb: 'GET', p: MIG.replace('gpu-l4-spot', 'nope'), status: 404, reason: 'notFound' },
    {
      name: 'unknown operation',
      verb: 'GET',
      p: `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/op-x`,
      status: 404,
      reason: 'notFound',
    },
    {
      name: 'unknown path',
      verb: 'GET',
      p: '/compute/v1/projects/p/zones/z/widgets/w',
      status: 404,
      reason: 'notFound',
    },
    { name: 'GET on a POST method', verb: 'GET', p: `${MIG}/resize?size=1`, status: 404, reason: 'notFound' },
    { name: 'resize without size', verb: 'POST', p: `${MIG}/resize`, status: 400, reason: 'required' },
    { name: 'negative size', verb: 'POST', p: `${MIG}/resize?size=-1`, status: 400, reason: 'invalid' },
    { name: 'size over the zonal limit', verb: 'POST', p: `${MIG}/resize?size=1001`, status: 400, reason: 'invalid' },
    {
      name: 'requestId not a UUID',
      verb: 'POST',
      p: `${MIG}/resize?size=2&requestId=abc`,
      status: 400,
      reason: 'invalid',
    },
    {
      name: 'maxResults over 500',
      verb: 'POST',
      p: `${MIG}/listManagedInstances?maxResults=501`,
      status: 400,
      reason: 'invalid',
    },
    {
      name: 'bad pageToken',
      verb: 'POST',
      p: `${MIG}/listManagedInstances?pageToken=zzz`,
      status: 400,
      reason: 'invalid',
    },
    {
      name: 'deleteInstances without instances',
      verb: 'POST',
      p: `${MIG}/deleteInstances`,
      status: 400,
      reason: 'required',
    },
  ])('$name -> $status $reason in the Google error shape', async ({ verb, p, status, reason }) => {
    await start();
    const r = await call(verb, p);
    expect(r.status).toBe(status);
    const err = errorOf(r.json);
    expect(err.code).toBe(status);
    expect(err.errors[0]).toMatchObject({ domain: 'global', reason, message: err.message });
  });

  it('answers 401 to a request without credentials', async () => {
    await start();
    const r = await call('GET', MIG, { auth: false });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({
      status: 'UNAUTHENTICATED',
      errors: [{ reason: 'required', location: 'Authorization' }],
    });
  });

  it('refuses to delete an instance of another group', async () => {
    await start();
    const other = world.instancesOf(REGIONAL.id)[0]!;
    const url = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${other.zone}/instances/${other.id}`;
    const r = await call('POST', `${MIG}/deleteInstances`, { body: { instances: [url] } });
    expect(r.status).toBe(400);
    expect(world.instance(other.id)).toBeDefined();
  });

  it.each([
    { kind: 'throttle' as const, status: 403, reason: 'rateLimitExceeded' },
    { kind: 'server-error' as const, status: 503, reason: 'backendError' },
    { kind: 'conflict' as const, status: 400, reason: 'resourceNotReady' },
    { kind: 'unauthorized' as const, status: 403, reason: 'forbidden' },
    // Operation faults on a call that has no operation.
    { kind: 'insufficient-capacity' as const, status: 503, reason: 'backendError' },
  ])('renders a $kind fault as $status $reason', async ({ kind, status, reason }) => {
    await start();
    world.faults.inject({ service: 'compute', operation: 'instanceGroupManagers.get', kind });
    const r = await call('GET', MIG);
    expect(r.status).toBe(status);
    expect(errorOf(r.json).errors[0]!.reason).toBe(reason);
    expect((await call('GET', MIG)).status).toBe(200);
  });
});

describe('Compute emulator: operations', () => {
  it('runs a resize operation to DONE after the configured polls, on the world clock', async () => {
    await start({ operationPolls: 2 });
    const r = await call('POST', `${MIG}/resize?size=5&requestId=${UUID_A}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      kind: 'compute#operation',
      operationType: 'compute.instanceGroupManagers.resize',
      status: 'RUNNING',
      progress: 0,
      insertTime: new Date(T0).toISOString(),
      targetLink: `https://www.googleapis.com${MIG}`,
      clientOperationId: UUID_A,
    });
    expect(world.pool(ZONAL.id)!.desired).toBe(5);
    world.advance(30);
    const opPath = `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/${r.json.name}`;
    expect((await call('GET', opPath)).json.status).toBe('RUNNING');
    const done = await call('POST', `${opPath}/wait`);
    expect(done.json).toMatchObject({ status: 'DONE', progress: 100, endTime: new Date(T0 + 30_000).toISOString() });
    expect(done.json.error).toBeUndefined();
    // The operation lives in its zone only.
    const elsewhere = await call('GET', opPath.replace('us-central1-a', 'us-central1-b'));
    expect(elsewhere.status).toBe(404);
  });

  it('answers a repeated requestId with the first operation and does not apply it again', async () => {
    await start();
    const first = await call('POST', `${RMIG}/resize?size=4&requestId=${UUID_A}`);
    const again = await call('POST', `${RMIG}/resize?size=9&requestId=${UUID_A}`);
    expect(again.json.name).toBe(first.json.name);
    expect(world.pool(REGIONAL.id)!.desired).toBe(4);
    expect(first.json).toMatchObject({ operationType: 'compute.regionInstanceGroupManagers.resize' });
    expect(String(first.json.selfLink)).toContain('/regions/us-east1/operations/');
  });

  it('ends an operation with ZONE_RESOURCE_POOL_EXHAUSTED and keeps the new target (GCE keeps trying)', async () => {
    await start();
    world.faults.inject({
      service: 'compute',
      operation: 'instanceGroupManagers.resize',
      kind: 'insufficient-capacity',
    });
    const r = await call('POST', `${MIG}/resize?size=6`);
    const opPath = `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/${r.json.name}`;
    const done = await call('POST', `${opPath}/wait`);
    expect(done.json).toMatchObject({
      status: 'DONE',
      httpErrorStatusCode: 503,
      error: { errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }] },
    });
    expect(world.pool(ZONAL.id)!.desired).toBe(6);
    expect(world.instancesOf(ZONAL.id)).toHaveLength(3);
    const list = await call('POST', `${MIG}/listManagedInstances`);
    const managed = list.json.managedInstances as Array<{
      currentAction: string;
      instanceStatus?: string;
      lastAttempt?: unknown;
    }>;
    // 3 VMs and 3 creations that failed for capacity.
    expect(managed.filter((m) => m.lastAttempt !== undefined && m.instanceStatus === undefined)).toHaveLength(3);
    expect((await call('GET', MIG)).json).toMatchObject({
      targetSize: 6,
      currentActions: { none: 3, creating: 3 },
      status: { isStable: false },
    });
  });

  it('holds a wait for an operation that is not DONE, then answers it still RUNNING', async () => {
    await start({ operationPolls: 5, waitMs: 30 });
    const r = await call('POST', `${MIG}/resize?size=4`);
    const started = Date.now();
    const w = await call('POST', `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/${r.json.name}/wait`);
    expect(w.json.status).toBe('RUNNING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});

describe('Compute emulator: listManagedInstances', () => {
  it('ignores maxResults on a PAGELESS group (GCE default) and pages a PAGINATED one', async () => {
    await start();
    world.setDesired(ZONAL.id, 5);
    const all = await call('POST', `${MIG}/listManagedInstances?maxResults=2`);
    expect((all.json.managedInstances as unknown[]).length).toBe(5);
    expect(all.json.nextPageToken).toBeUndefined();
    await emulator!.close();

    await start({ listManagedInstancesResults: 'PAGINATED' });
    world.setDesired(ZONAL.id, 5);
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await call('POST', `${MIG}/listManagedInstances?maxResults=2${token ? `&pageToken=${token}` : ''}`);
      names.push(...(r.json.managedInstances as Array<{ name: string }>).map((m) => m.name));
      token = r.json.nextPageToken as string | undefined;
      pages++;
    } while (token);
    // 5 instances in pages of 2: 2 + 2 + 1.
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(
      world
        .instancesOf(ZONAL.id)
        .map((i) => i.id)
        .sort(),
    );
  });
});

describe('the SDK alone', () => {
  // The Compute client retries nothing on resize (its config marks it non_idempotent) and only
  // UNAVAILABLE/DEADLINE_EXCEEDED on get: a 500 on get or a 503 on resize reaches the caller at once.
  it.each([
    { name: '503 on resize', operation: 'instanceGroupManagers.resize', status: 503 as const },
    { name: '500 on get', operation: 'instanceGroupManagers.get', status: 500 as const },
  ])('does not retry a $name (the world served it once)', async ({ operation, status }) => {
    await start({ serverErrorStatus: status });
    const u = new URL(emulator!.endpoint);
    const client = new InstanceGroupManagersClient({
      apiEndpoint: u.hostname,
      port: Number(u.port),
      protocol: 'http',
      fallback: true,
      // A minimal auth client (what google-gax calls on one): plain fetch with a fixed token.
      authClient: {
        getRequestHeaders: async () => new Headers({ authorization: 'Bearer fake' }),
        fetch: (url: string, init: RequestInit) => {
          const headers = new Headers(init.headers);
          headers.set('authorization', 'Bearer fake');
          return fetch(url, { ...init, headers });
        },
        // biome-ignore lint/suspicious/noExplicitAny: typed by the SDK as google-auth-library's AuthClient class
      } as any,
    });
    world.faults.inject({ service: 'compute', operation, kind: 'server-error' });
    const req = { project: PROJECT, zone: 'us-central1-a', instanceGroupManager: 'gpu-l4-spot' };
    const p = operation.endsWith('resize') ? client.resize({ ...req, size: 4 }) : client.get(req);
    await expect(p).rejects.toMatchObject({ code: status === 503 ? 14 : 13 });
    expect(world.callsTo('compute', operation)).toHaveLength(1);
    await client.close();
  });
});

const CORPUS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'gcp');

/** Every key of the sample is in the answer with the same JSON type (recursively; arrays by their first item). */
function shapeDiff(sample: unknown, ours: unknown, at = '$'): string[] {
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (type(sample) !== type(ours)) return [`${at}: ${type(sample)} in the sample, ${type(ours)} here`];
  if (Array.isArray(sample)) {
    return sample.length > 0 && (ours as unknown[]).length > 0
      ? shapeDiff(sample[0], (ours as unknown[])[0], `${at}[0]`)
      : [];
  }
  if (sample && typeof sample === 'object') {
    return Object.entries(sample).flatMap(([k, v]) =>
      k in (ours as object)
        ? shapeDiff(v, (ours as Record<string, unknown>)[k], `${at}.${k}`)
        : [`${at}.${k}: missing`],
    );
  }
  return [];
}

// The samples keep their quirks: `%s` placeholders, a duplicate `currentAction` key (JSON.parse keeps the
// last one), and a GKE-flavoured operation whose `zone` is a bare name. Only keys and types are compared.
const load = (file: string) => JSON.parse(readFileSync(path.join(CORPUS, file), 'utf8')) as unknown;

describe.skipIf(!existsSync(CORPUS))('Compute emulator vs the real samples in ../shared/corpus/gcp', () => {
  it('instanceGroupManagers.get', async () => {
    await start();
    expect(shapeDiff(load('compute-igm-get-targetsize4-template.json'), (await call('GET', MIG)).json)).toEqual([]);
  });

  it('listManagedInstances', async () => {
    await start();
    const ours = (await call('POST', `${MIG}/listManagedInstances`)).json;
    expect(shapeDiff(load('compute-igm-listmanagedinstances-template-dupkey.json'), ours)).toEqual([]);
  });

  it.each([
    { file: 'compute-zonal-operation-igm-resize-done.json', action: 'resize?size=4' },
    { file: 'compute-zonal-operation-igm-deleteinstances-done.json', action: 'deleteInstances' },
  ])('a DONE operation like $file', async ({ file, action }) => {
    await start();
    const victim = world.instancesOf(ZONAL.id)[0]!;
    const body =
      action === 'deleteInstances' ? { instances: [`zones/us-central1-a/instances/${victim.id}`] } : undefined;
    const op = (await call('POST', `${MIG}/${action}`, { body })).json;
    const done = (await call('POST', `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/${op.name}/wait`))
      .json;
    expect(done.status).toBe('DONE');
    expect(shapeDiff(load(file), done)).toEqual([]);
  });

  it('an operation that ended with an error (412 sample)', async () => {
    await start();
    world.faults.inject({ service: 'compute', operation: 'instanceGroupManagers.resize', kind: 'operation-failed' });
    const op = (await call('POST', `${MIG}/resize?size=4`)).json;
    const done = (await call('POST', `/compute/v1/projects/${PROJECT}/zones/us-central1-a/operations/${op.name}/wait`))
      .json;
    const sample = load('compute-operation-igm-createinstances-done-error-412.json') as Record<string, unknown>;
    expect(shapeDiff(sample, done)).toEqual([]);
    expect(done).toMatchObject({ httpErrorStatusCode: 412, httpErrorMessage: 'PRECONDITION FAILED' });
  });
});
