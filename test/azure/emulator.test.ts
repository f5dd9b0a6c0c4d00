/**
 * The ARM emulator at the wire: what it rejects (like ARM), the async-operation protocol, paging links, TLS,
 * and the shape of its answers against real ARM samples in ../shared/corpus/azure when that folder exists.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureEmulator } from '../../local/emulators/azure/index.ts';
import { World } from '../../local/emulators/world.ts';
import {
  type AzureTestEnv,
  armRequest,
  RESOURCE_GROUP,
  SPOT_POOL,
  SUBSCRIPTION,
  startAzureTestEnv,
  vmssPath,
} from './support.ts';

const API = 'api-version=2026-03-01';
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'azure');
const hasCorpus = existsSync(corpusDir);

let env: AzureTestEnv;
beforeAll(async () => {
  env = await startAzureTestEnv();
});
afterAll(async () => {
  await env.close();
});

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe('requests ARM rejects', () => {
  it.each([
    { name: 'no api-version', query: '', status: 400, code: 'MissingApiVersionParameter' },
    { name: 'a malformed api-version', query: '?api-version=latest', status: 400, code: 'InvalidApiVersionParameter' },
    // A well-formed version the provider does not serve: ARM says no provider is registered for it.
    {
      name: 'an unsupported api-version',
      query: '?api-version=2099-01-01',
      status: 400,
      code: 'NoRegisteredProviderFound',
    },
  ])('rejects $name', async ({ query, status, code }) => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}${query}`, { ca: env.emulator.ca });
    expect(res.status).toBe(status);
    expect(errorCode(res.body)).toBe(code);
  });

  it('names the region and the supported versions for an unsupported api-version', async () => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?api-version=2099-01-01`, {
      ca: env.emulator.ca,
    });
    const message = (res.body as { error: { message: string } }).error.message;
    expect(message).toContain("location 'eastus'");
    expect(message).toContain('2026-03-01');
  });

  it.each([
    { name: 'no Authorization header', token: null, code: 'AuthenticationFailed', challenge: true },
    { name: 'an empty bearer token', token: '', code: 'AuthenticationFailed', challenge: false },
  ])('answers 401 to $name', async ({ token, code, challenge }) => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, {
      ca: env.emulator.ca,
      token,
    });
    expect(res.status).toBe(401);
    expect(errorCode(res.body)).toBe(code);
    expect(res.headers['www-authenticate'] !== undefined).toBe(challenge);
  });

  it.each([
    { name: 'an unknown scale set', path: `${vmssPath('vmss-nope')}?${API}`, status: 404, code: 'ResourceNotFound' },
    {
      name: 'an unknown resource group',
      path: `${vmssPath('x', 'rg-nope')}?${API}`,
      status: 404,
      code: 'ResourceGroupNotFound',
    },
    {
      name: 'an unknown VM',
      path: `${vmssPath(SPOT_POOL.name)}/virtualMachines/99?${API}`,
      status: 404,
      code: 'ResourceNotFound',
    },
    {
      name: 'an unknown operation',
      path: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/operations/0f0f0f0f-0000-4000-a000-000000000000?${API}`,
      status: 404,
      code: 'NotFound',
    },
    {
      name: 'an unknown route',
      path: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/disks?${API}`,
      status: 404,
      code: 'InvalidResourceType',
    },
  ])('answers $status $code for $name', async ({ path: p, status, code }) => {
    const res = await armRequest(env.emulator.endpoint, p, { ca: env.emulator.ca });
    expect(res.status).toBe(status);
    expect(errorCode(res.body)).toBe(code);
  });

  it.each([
    { name: 'a body that is not JSON', raw: '{"sku": {', code: 'InvalidRequestContent' },
    { name: 'a body that is not an object', raw: '[1, 2]', code: 'InvalidRequestContent' },
    { name: 'a negative capacity', raw: '{"sku": {"capacity": -1}}', code: 'InvalidParameter' },
    { name: 'a fractional capacity', raw: '{"sku": {"capacity": 2.5}}', code: 'InvalidParameter' },
  ])('rejects a PATCH with $name', async ({ raw, code }) => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, {
      ca: env.emulator.ca,
      method: 'PATCH',
      raw,
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe(code);
  });
});

describe('async operations', () => {
  it('accepts a PATCH with an Azure-AsyncOperation URL that says InProgress, then Succeeded', async () => {
    env.emulator.configure({ operationPolls: 2, retryAfterSeconds: 0 });
    const patch = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, {
      ca: env.emulator.ca,
      method: 'PATCH',
      body: { sku: { capacity: 4 } },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ sku: { capacity: 4 }, properties: { provisioningState: 'Updating' } });
    const statusUrl = String(patch.headers['azure-asyncoperation']);
    expect(
      statusUrl.startsWith(
        `${env.emulator.endpoint}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/operations/`,
      ),
    ).toBe(true);
    // The world's desired count changes when the operation is accepted, as a real scale set starts creating VMs.
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(4);

    const first = await armRequest(env.emulator.endpoint, statusUrl, { ca: env.emulator.ca });
    expect(first.body).toMatchObject({ status: 'InProgress', startTime: env.world.nowIso() });
    expect(first.headers['retry-after']).toBe('0');
    const second = await armRequest(env.emulator.endpoint, statusUrl, { ca: env.emulator.ca });
    expect(second.body).toMatchObject({ status: 'Succeeded', endTime: env.world.nowIso() });
    const again = await armRequest(env.emulator.endpoint, statusUrl, { ca: env.emulator.ca });
    expect(again.body).toEqual(second.body);
    const vmss = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, { ca: env.emulator.ca });
    expect(vmss.body).toMatchObject({ properties: { provisioningState: 'Succeeded' } });
    env.emulator.configure({ operationPolls: 1 });
  });

  it('answers deleteInstances with 202, Azure-AsyncOperation and a Location that reads 200 when done', async () => {
    const del = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}/delete?${API}`, {
      ca: env.emulator.ca,
      method: 'POST',
      body: { instanceIds: ['0'] },
    });
    expect(del.status).toBe(202);
    const location = String(del.headers.location);
    expect(new URL(location).searchParams.get('monitor')).toBe('true');
    const status = await armRequest(env.emulator.endpoint, String(del.headers['azure-asyncoperation']), {
      ca: env.emulator.ca,
    });
    expect(status.body).toMatchObject({ status: 'Succeeded' });
    const done = await armRequest(env.emulator.endpoint, location, { ca: env.emulator.ca });
    expect(done.status).toBe(200);
    expect(done.body).toBeUndefined();
  });
});

describe('answers', () => {
  it('pages the VM list with absolute nextLinks that keep the api-version and $expand', async () => {
    env.world.setDesired(SPOT_POOL.id, 5);
    env.emulator.configure({ pageSize: 2 });
    const seen: string[] = [];
    let next: string | undefined = `${vmssPath(SPOT_POOL.name)}/virtualMachines?${API}&$expand=instanceView`;
    let pages = 0;
    while (next) {
      const page = await armRequest(env.emulator.endpoint, next, { ca: env.emulator.ca });
      const body = page.body as {
        value: Array<{ name: string; properties: { instanceView?: unknown } }>;
        nextLink?: string;
      };
      for (const vm of body.value) {
        seen.push(vm.name);
        expect(vm.properties.instanceView).toBeDefined();
      }
      next = body.nextLink;
      if (next) expect(new URL(next).searchParams.get('api-version')).toBe('2026-03-01');
      pages += 1;
    }
    // 5 VMs at 2 per page.
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    env.emulator.configure({ pageSize: 50 });
  });

  it('serves one VM and its instance view with the health extension state', async () => {
    const id = env.world.instancesOf(SPOT_POOL.id)[0]!.index;
    const view = await armRequest(
      env.emulator.endpoint,
      `${vmssPath(SPOT_POOL.name)}/virtualMachines/${id}/instanceView?${API}`,
      {
        ca: env.emulator.ca,
      },
    );
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ vmHealth: { status: { code: 'HealthState/healthy' } } });
    const vm = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}/virtualMachines/${id}?${API}`, {
      ca: env.emulator.ca,
    });
    expect(vm.body).toMatchObject({
      instanceId: String(id),
      name: `${SPOT_POOL.name}_${id}`,
      zones: [expect.stringMatching(/^[12]$/)],
    });
  });

  it('dates answers with the world clock', async () => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, { ca: env.emulator.ca });
    expect(res.headers.date).toBe(new Date(env.world.now()).toUTCString());
    expect((res.body as { properties: { timeCreated: string } }).properties.timeCreated).toBe(env.world.nowIso());
  });
});

describe('TLS', () => {
  it('serves a certificate for 127.0.0.1 signed by the test CA, refused by a client that does not trust it', async () => {
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, { ca: env.emulator.ca });
    expect(res.status).toBe(200);
    await expect(armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`)).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const ca = new X509Certificate(env.emulator.ca);
    expect(ca.ca).toBe(true);
  });

  it('shares one CA between emulators of a run', async () => {
    const other = await startAzureEmulator(new World({ start: 0 }));
    try {
      expect(other.ca).toBe(env.emulator.ca);
      expect(other.endpoint).not.toBe(env.emulator.endpoint);
    } finally {
      await other.close();
    }
  });
});

// ---- shape against real ARM samples ---------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const typeOf = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

/** Keys of `real` missing from `ours`, or of another JSON type; arrays compare their first elements. */
function shapeDiff(
  real: unknown,
  ours: unknown,
  at: string,
  skip: ReadonlySet<string>,
  opaque: ReadonlySet<string>,
): string[] {
  if (typeOf(real) !== typeOf(ours)) return [`${at || '(root)'}: ${typeOf(real)} in the sample, ${typeOf(ours)} here`];
  if (opaque.has(at)) return [];
  if (Array.isArray(real) && Array.isArray(ours)) {
    return real.length > 0 && ours.length > 0 ? shapeDiff(real[0], ours[0], `${at}[]`, skip, opaque) : [];
  }
  if (typeOf(real) !== 'object') return [];
  const out: string[] = [];
  const r = real as Record<string, unknown>;
  const o = ours as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const p = at ? `${at}.${key}` : key;
    if (skip.has(p)) continue;
    if (!(key in o)) out.push(`${p}: missing here`);
    else out.push(...shapeDiff(r[key], o[key], p, skip, opaque));
  }
  return out;
}

describe('shapeDiff (the comparison below)', () => {
  it.each([
    { name: 'same shape', real: { a: 1, b: { c: 'x' } }, ours: { a: 2, b: { c: 'y', d: true } }, diff: [] },
    { name: 'a missing key', real: { a: 1, b: { c: 'x' } }, ours: { a: 1, b: {} }, diff: ['b.c: missing here'] },
    {
      name: 'another type',
      real: { a: [{ n: 1 }] },
      ours: { a: [{ n: '1' }] },
      diff: ['a[].n: number in the sample, string here'],
    },
  ])('reports $name', ({ real, ours, diff }) => {
    expect(shapeDiff(real, ours, '', new Set(), new Set())).toEqual(diff);
  });
});

const readCorpus = (name: string) =>
  JSON.parse(readFileSync(path.join(corpusDir, name), 'utf8')) as Record<string, Json>;
const lower = (h: Record<string, unknown>) => new Set(Object.keys(h).map((k) => k.toLowerCase()));
/** Headers of the real answers that say something about ARM (not transport: encoding, chunking, server). */
const ARM_HEADERS = [
  'cache-control',
  'content-type',
  'date',
  'expires',
  'pragma',
  'strict-transport-security',
  'x-content-type-options',
  'x-ms-correlation-request-id',
  'x-ms-request-id',
  'x-ms-routing-request-id',
];

describe.skipIf(!hasCorpus)('shape of the answers against ../shared/corpus/azure', () => {
  it('GET virtualMachineScaleSets has the fields of the real example', async () => {
    const sample = readCorpus('arm-vmss-get-example-withuserdata.json');
    const real = (sample.responses as { '200': { body: Json } })['200'].body;
    const ours = (
      await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, { ca: env.emulator.ca })
    ).body;
    const skip = new Set([
      // Features our scale sets do not use: gallery applications, user data (only with $expand=userData),
      // dedicated hosts, per-NIC security groups, automatic OS upgrades (upgrade mode Automatic).
      'properties.virtualMachineProfile.applicationProfile',
      'properties.virtualMachineProfile.userData',
      'properties.hostGroup',
      'properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties.networkSecurityGroup',
      'properties.upgradePolicy.automaticOSUpgradePolicy',
    ]);
    expect(shapeDiff(real, ours, '', skip, new Set(['tags']))).toEqual([]);
    // And the fields this project reads, which the sample does not show, are there.
    expect(ours).toMatchObject({
      zones: ['1', '2'],
      properties: {
        orchestrationMode: 'Uniform',
        uniqueId: expect.any(String),
        timeCreated: expect.any(String),
        virtualMachineProfile: { priority: 'Spot', evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } },
      },
    });
  });

  it('PATCH answers like the real update example, with the async-operation headers of a real write', async () => {
    const update = readCorpus('arm-vmss-update-example-minimumset.json');
    const put = readCorpus('arm-recording-vm-put-201-azure-asyncoperation.json');
    const res = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, {
      ca: env.emulator.ca,
      method: 'PATCH',
      body: { sku: { capacity: 3 } },
    });
    expect(
      shapeDiff((update.responses as { '200': { body: Json } })['200'].body, res.body, '', new Set(), new Set()),
    ).toEqual([]);
    const realHeaders = put.ResponseHeaders as Record<string, string>;
    const ours = lower(res.headers);
    for (const h of [...ARM_HEADERS, 'azure-asyncoperation', 'azure-asyncnotification']) {
      expect(lower(realHeaders).has(h), `sample has ${h}`).toBe(true);
      expect(ours.has(h), `answer has ${h}`).toBe(true);
    }
    const realUrl = new URL(realHeaders['Azure-AsyncOperation']!);
    const ourUrl = new URL(String(res.headers['azure-asyncoperation']));
    const pattern =
      /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/locations\/[^/]+\/operations\/[0-9a-f-]{36}$/;
    expect(realUrl.pathname).toMatch(pattern);
    expect(ourUrl.pathname).toMatch(pattern);
    expect([...ourUrl.searchParams.keys()].sort()).toEqual([...realUrl.searchParams.keys()].sort());
  });

  it.each([
    { name: 'InProgress', file: 'arm-recording-compute-operation-status-inprogress.json', polls: 2 },
    { name: 'Succeeded', file: 'arm-recording-compute-operation-status-succeeded.json', polls: 1 },
  ])('operation status $name has the fields and headers of the real recording', async ({ file, polls }) => {
    const real = readCorpus(file);
    env.emulator.configure({ operationPolls: polls });
    const patch = await armRequest(env.emulator.endpoint, `${vmssPath(SPOT_POOL.name)}?${API}`, {
      ca: env.emulator.ca,
      method: 'PATCH',
      body: { sku: { capacity: 3 } },
    });
    const status = await armRequest(env.emulator.endpoint, String(patch.headers['azure-asyncoperation']), {
      ca: env.emulator.ca,
    });
    env.emulator.configure({ operationPolls: 1 });
    expect(shapeDiff(real.ResponseBody, status.body, '', new Set(), new Set())).toEqual([]);
    expect((status.body as { status: string }).status).toBe((real.ResponseBody as { status: string }).status);
    const ours = lower(status.headers);
    for (const h of ARM_HEADERS) expect(ours.has(h), `answer has ${h}`).toBe(true);
    expect(ours.has('retry-after')).toBe(lower(real.ResponseHeaders as Record<string, string>).has('retry-after'));
  });

  it('PATCH of a missing resource answers like the real PatchResourceNotFound recording', async () => {
    const recording = readCorpus('arm-recording-vm-patch-404-PatchResourceNotFound.json');
    const real = (
      recording.Entries as Array<{ StatusCode: number; ResponseBody: Json; ResponseHeaders: Record<string, string> }>
    )[0]!;
    const res = await armRequest(env.emulator.endpoint, `${vmssPath('vmss-gone')}?${API}`, {
      ca: env.emulator.ca,
      method: 'PATCH',
      body: { sku: { capacity: 1 } },
    });
    expect(res.status).toBe(real.StatusCode);
    expect(shapeDiff(real.ResponseBody, res.body, '', new Set(), new Set())).toEqual([]);
    expect(errorCode(res.body)).toBe(errorCode(real.ResponseBody));
    expect(res.headers['x-ms-failure-cause']).toBe(real.ResponseHeaders['x-ms-failure-cause']);
  });
});

if (!hasCorpus) {
  describe('shape of the answers against ../shared/corpus/azure', () => {
    it.skip(`skipped: ${corpusDir} is absent (the real ARM samples live beside the repository, not in it)`, () => {});
  });
}
