/**
 * Contract tests of the Azure CapacityPort: the real @azure/arm-compute client over https (trusting only the
 * run's test CA) against the ARM emulator, with faults injected in the world.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudError } from '../../shared/domain/errors.ts';
import { isCloudError } from '../../shared/domain/errors.ts';
import type { CapacityPort } from '../../shared/domain/ports.ts';
import {
  armRequest,
  type AzureTestEnv,
  ON_DEMAND_POOL,
  RESOURCE_GROUP,
  refFor,
  SPOT_POOL,
  SUBSCRIPTION,
  startAzureTestEnv,
  vmssPath,
} from './support.ts';

async function failure(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    if (isCloudError(e)) return e;
    throw new Error(`expected a CloudError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected the call to fail');
}

interface VmProperties {
  provisioningState: string;
  instanceView: { statuses: Array<{ code: string }>; vmHealth: { status: { code: string } } };
}

let env: AzureTestEnv;
let capacity: CapacityPort;
const spot = refFor(SPOT_POOL);
const onDemand = refFor(ON_DEMAND_POOL);

beforeEach(async () => {
  env = await startAzureTestEnv();
  capacity = env.adapters.capacity;
});
afterEach(async () => {
  await env.close();
});

describe('describePool', () => {
  it('reports desired, ready and each VM with zone, type and capacity type', async () => {
    const obs = await capacity.describePool(spot);
    expect(obs.desired).toBe(3);
    // Pools present when the world starts are already serving.
    expect(obs.ready).toBe(3);
    expect(obs.observedAt).toBe('2025-06-01T12:00:00.000Z');
    expect(obs.instances.map((i) => i.id).sort()).toEqual(['vmss-a100-spot_0', 'vmss-a100-spot_1', 'vmss-a100-spot_2']);
    for (const i of obs.instances) {
      expect(i).toMatchObject({ capacityType: 'spot', lifecycle: 'ready', instanceType: 'Standard_NC24ads_A100_v4' });
      expect(SPOT_POOL.zones).toContain(i.zone);
      expect(i.nodeName).toMatch(/^vmss-a100-spot\d{6}$/);
    }
    const od = await capacity.describePool(onDemand);
    expect(od.instances.map((i) => i.capacityType)).toEqual(['on-demand']);
  });

  it.each([
    // bootSeconds 90, readySeconds 420 (SPOT_POOL): the new VMs are pending, then running, then ready.
    { name: 'just launched', advance: 0, lifecycle: 'pending', ready: 3 },
    { name: 'booted, health extension not healthy yet', advance: 90, lifecycle: 'running', ready: 3 },
    { name: 'health extension reports healthy', advance: 420, lifecycle: 'ready', ready: 5 },
  ])('maps a new VM: $name -> $lifecycle', async ({ advance, lifecycle, ready }) => {
    await capacity.setDesired(spot, { desired: 5, reason: 'test' });
    env.world.advance(advance);
    const obs = await capacity.describePool(spot);
    const fresh = obs.instances.filter((i) => i.id === 'vmss-a100-spot_3' || i.id === 'vmss-a100-spot_4');
    expect(fresh.map((i) => i.lifecycle)).toEqual([lifecycle, lifecycle]);
    expect(obs.ready).toBe(ready);
  });

  it('reports a spot VM under a Preempt notice as it was until the deadline (Azure keeps it running), then not at all', async () => {
    env.world.setSpotCapacity(SPOT_POOL.id, 'eastus-1', 0);
    const noticed = env.world.instancesOf(SPOT_POOL.id).filter((i) => i.zone === 'eastus-1');
    expect(noticed.length).toBeGreaterThan(0);
    expect(noticed.every((i) => i.state === 'terminating')).toBe(true);
    const ids = noticed.map((i) => i.id).sort();

    const during = await capacity.describePool(spot);
    const shown = during.instances.filter((i) => ids.includes(i.id));
    expect(shown.map((i) => i.lifecycle)).toEqual(ids.map(() => 'ready'));
    expect(during.ready).toBe(3);
    // Still members of the scale set: its capacity counts them, and nothing is launched in their place.
    expect(during.desired).toBe(3);
    expect(during.instances).toHaveLength(3);
    // The VM itself, over the SDK: running and healthy, provisioning Succeeded (not Deleting).
    const index = noticed[0]!.index;
    const res = await armRequest(
      env.emulator.endpoint,
      `${vmssPath(SPOT_POOL.name)}/virtualMachines/${index}?api-version=2026-03-01&$expand=instanceView`,
      { ca: env.emulator.ca },
    );
    const vm = (res.body as { properties: VmProperties }).properties;
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.instanceView.statuses.map((s) => s.code)).toContain('PowerState/running');
    expect(vm.instanceView.vmHealth.status.code).toBe('HealthState/healthy');

    env.world.advance(30);
    const after = await capacity.describePool(spot);
    expect(after.instances.filter((i) => ids.includes(i.id))).toEqual([]);
    expect(after.ready).toBe(3 - ids.length);
    // evictionPolicy Delete: the capacity drops with them, and the scale set launches none in their place.
    expect(after.desired).toBe(3 - ids.length);
    expect(after.instances).toHaveLength(3 - ids.length);
  });

  it('reads every page of the VM list', async () => {
    env.world.setDesired(SPOT_POOL.id, 7);
    env.emulator.configure({ pageSize: 2 });
    const obs = await capacity.describePool(spot);
    expect(new Set(obs.instances.map((i) => i.id)).size).toBe(7);
    // 7 VMs at 2 per page: 4 pages, the last one with a single VM.
    expect(env.world.callsTo('arm', 'virtualMachineScaleSetVMs.list')).toHaveLength(4);
  });

  it.each([
    { name: 'scale set missing', ref: refFor(SPOT_POOL, { resource: 'vmss-nope' }), code: 'ResourceNotFound' },
    {
      name: 'resource group missing',
      ref: refFor(SPOT_POOL, { scope: `${SUBSCRIPTION}/rg-nope` }),
      code: 'ResourceGroupNotFound',
    },
  ])('throws not-found when the $name', async ({ ref, code }) => {
    const e = await failure(capacity.describePool(ref));
    expect(e).toMatchObject({ kind: 'not-found', cloud: 'azure', code, status: 404 });
    expect(e.message).toMatch(/^describing azure vmss/);
  });

  it('is the azure capacity port', () => {
    expect(capacity.cloud).toBe('azure');
  });

  it('describes an empty scale set', async () => {
    await capacity.setDesired(spot, { desired: 0, reason: 'night' });
    expect(await capacity.describePool(spot)).toMatchObject({ desired: 0, ready: 0, instances: [] });
  });

  it('takes the default subscription from AZURE_SUBSCRIPTION_ID', async () => {
    const fromEnv = env.adapter({ subscriptionId: undefined, env: { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION } }).capacity;
    expect((await fromEnv.describePool(refFor(SPOT_POOL, { scope: RESOURCE_GROUP }))).desired).toBe(3);
  });

  it('accepts a bare resource group as scope (default subscription) and rejects a missing scope', async () => {
    const obs = await capacity.describePool(refFor(SPOT_POOL, { scope: RESOURCE_GROUP }));
    expect(obs.desired).toBe(3);
    const e = await failure(capacity.describePool(refFor(SPOT_POOL, { scope: undefined })));
    expect(e).toMatchObject({ kind: 'invalid', code: 'InvalidPoolScope' });
  });
});

describe('setDesired', () => {
  it('patches sku.capacity and waits for the async operation (InProgress, then Succeeded)', async () => {
    env.emulator.configure({ operationPolls: 2 });
    const result = await capacity.setDesired(spot, { desired: 5, reason: 'queue depth' });
    expect(result).toMatchObject({ desired: 5, previous: 3, unchanged: false });
    expect(result.operationId).toMatch(/^[0-9a-f-]{36}$/);
    const patch = env.world.callsTo('arm', 'virtualMachineScaleSets.update');
    expect(patch).toHaveLength(1);
    expect((patch[0]!.params as { body: unknown }).body).toEqual({ sku: { capacity: 5 } });
    // operationPolls 2: the first status poll says InProgress, the second Succeeded.
    expect(env.world.callsTo('arm', 'operationStatus.get')).toHaveLength(2);
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(5);
    expect((await capacity.describePool(spot)).desired).toBe(5);
  });

  it('scales in', async () => {
    const result = await capacity.setDesired(spot, { desired: 1, reason: 'idle' });
    expect(result).toMatchObject({ desired: 1, previous: 3, unchanged: false });
    expect(env.world.instancesOf(SPOT_POOL.id)).toHaveLength(1);
  });

  it('does nothing when the count is already set', async () => {
    const result = await capacity.setDesired(spot, { desired: 3, reason: 'steady' });
    expect(result).toEqual({ desired: 3, previous: 3, unchanged: true });
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.update')).toHaveLength(0);
  });

  it('maps a Failed async operation to insufficient-capacity with the ARM code, the world unchanged', async () => {
    env.world.faults.inject({ service: 'arm', operation: 'virtualMachineScaleSets.update', kind: 'operation-failed' });
    const e = await failure(capacity.setDesired(spot, { desired: 6, reason: 'burst' }));
    // The pool is zonal, so the platform says ZonalAllocationFailed.
    expect(e).toMatchObject({ kind: 'insufficient-capacity', code: 'ZonalAllocationFailed' });
    expect(e.message).toMatch(/^resizing azure vmss rg-gpu-inference\/vmss-a100-spot to 6/);
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(3);
  });

  it('fails the operation when the world cannot place every VM', async () => {
    env.world.setOnDemandCapacity(ON_DEMAND_POOL.id, 'eastus-3', 2);
    const e = await failure(capacity.setDesired(onDemand, { desired: 4, reason: 'burst' }));
    expect(e).toMatchObject({ kind: 'insufficient-capacity', code: 'ZonalAllocationFailed' });
    // Like a real scale set, the capacity stays at what was asked and the VMs that fit were created.
    expect(env.world.pool(ON_DEMAND_POOL.id)!.desired).toBe(4);
    expect(env.world.instancesOf(ON_DEMAND_POOL.id)).toHaveLength(2);
  });

  it.each([
    {
      name: 'SkuNotAvailable (sync 409)',
      kind: 'insufficient-capacity',
      fault: 'insufficient-capacity',
      code: 'SkuNotAvailable',
      status: 409,
    },
    { name: 'Conflict', kind: 'conflict', fault: 'conflict', code: 'Conflict', status: 409 },
    {
      name: 'AuthorizationFailed',
      kind: 'unauthorized',
      fault: 'unauthorized',
      code: 'AuthorizationFailed',
      status: 403,
    },
  ] as const)('maps $name to $kind', async ({ fault, kind, code, status }) => {
    env.world.faults.inject({ service: 'arm', operation: 'virtualMachineScaleSets.update', kind: fault });
    const e = await failure(capacity.setDesired(spot, { desired: 4, reason: 'test' }));
    expect(e).toMatchObject({ kind, code, status });
    expect(env.world.pool(SPOT_POOL.id)!.desired).toBe(3);
  });

  it('rejects a count outside the scale set limits as invalid', async () => {
    const e = await failure(capacity.setDesired(spot, { desired: 1001, reason: 'typo' }));
    expect(e).toMatchObject({ kind: 'invalid', code: 'InvalidParameter', status: 400 });
  });

  it('throws not-found for a missing scale set', async () => {
    const e = await failure(capacity.setDesired(refFor(SPOT_POOL, { resource: 'gone' }), { desired: 2, reason: 'x' }));
    expect(e).toMatchObject({ kind: 'not-found', code: 'ResourceNotFound' });
  });

  it('gives up on an operation that outlives poll.timeoutMs', async () => {
    env.emulator.configure({ operationPolls: 10_000 });
    const impatient = env.adapter({ poll: { intervalMs: 10, timeoutMs: 150 } }).capacity;
    const e = await failure(impatient.setDesired(spot, { desired: 4, reason: 'test' }));
    expect(e).toMatchObject({ kind: 'transient', code: 'OperationTimeout' });
  });
});

describe('retries', () => {
  it('retries 429 with Retry-After, then succeeds', async () => {
    env.world.faults.inject({ service: 'arm', operation: 'virtualMachineScaleSets.get', kind: 'throttle', times: 2 });
    const obs = await capacity.describePool(spot);
    expect(obs.desired).toBe(3);
    // Two throttled answers and the one that succeeded.
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.get')).toHaveLength(3);
    expect(env.world.faults.fired).toHaveLength(2);
  });

  it('retries 5xx on every kind of call, including operation status polls', async () => {
    env.world.faults.inject({
      service: 'arm',
      operation: 'virtualMachineScaleSetVMs.list',
      kind: 'server-error',
      times: 2,
    });
    env.world.faults.inject({ service: 'arm', operation: 'operationStatus.get', kind: 'server-error' });
    expect((await capacity.describePool(spot)).instances).toHaveLength(3);
    expect(await capacity.setDesired(spot, { desired: 4, reason: 'x' })).toMatchObject({ desired: 4 });
    expect(env.world.faults.fired.map((f) => f.operation)).toEqual([
      'virtualMachineScaleSetVMs.list',
      'virtualMachineScaleSetVMs.list',
      'operationStatus.get',
    ]);
  });

  it('reports throttling that outlasts the retries as throttled', async () => {
    env.world.faults.inject({ service: 'arm', operation: 'virtualMachineScaleSets.get', kind: 'throttle', times: 5 });
    const e = await failure(capacity.describePool(spot));
    expect(e).toMatchObject({ kind: 'throttled', code: 'TooManyRequests', status: 429 });
    // maxAttempts 3.
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.get')).toHaveLength(3);
  });

  it('retries an attempt that times out (the server hangs, the client gives up after requestTimeoutMs)', async () => {
    env.world.faults.inject({
      service: 'arm',
      operation: 'virtualMachineScaleSets.get',
      kind: 'timeout',
      delayMs: 10_000,
    });
    const started = performance.now();
    const obs = await capacity.describePool(spot);
    expect(obs.desired).toBe(3);
    // requestTimeoutMs is 400: far less than the 10 s the server would hang.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(env.world.callsTo('arm', 'virtualMachineScaleSets.get')).toHaveLength(2);
  });

  it('reports repeated timeouts as transient', async () => {
    env.world.faults.inject({
      service: 'arm',
      operation: 'virtualMachineScaleSets.get',
      kind: 'timeout',
      delayMs: 10_000,
      times: 3,
    });
    const fast = env.adapter({ requestTimeoutMs: 100 }).capacity;
    const e = await failure(fast.describePool(spot));
    expect(e).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT' });
  });
});

describe('removeInstance', () => {
  it.each([
    { name: 'VM name', id: 'vmss-a100-spot_1', gone: 'vmss-a100-spot_1' },
    { name: 'bare instance id', id: '2', gone: 'vmss-a100-spot_2' },
  ])('deletes the VM by $name and lowers the capacity', async ({ id, gone }) => {
    env.emulator.configure({ operationPolls: 2 });
    await capacity.removeInstance!(spot, id);
    const call = env.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances')[0]!;
    expect((call.params as { body: unknown }).body).toEqual({ instanceIds: [gone.split('_')[1]] });
    const obs = await capacity.describePool(spot);
    expect(obs.desired).toBe(2);
    expect(obs.instances.map((i) => i.id)).not.toContain(gone);
  });

  it('throws not-found for a VM that is not in the scale set', async () => {
    const e = await failure(capacity.removeInstance!(spot, 'vmss-a100-spot_42'));
    expect(e).toMatchObject({ kind: 'not-found', code: 'InvalidParameter', status: 400 });
  });

  it('maps a Failed delete operation to transient, keeping the code', async () => {
    env.world.faults.inject({
      service: 'arm',
      operation: 'virtualMachineScaleSets.deleteInstances',
      kind: 'operation-failed',
    });
    const e = await failure(capacity.removeInstance!(spot, '0'));
    expect(e).toMatchObject({ kind: 'transient', code: 'InternalExecutionError' });
    expect(env.world.instancesOf(SPOT_POOL.id)).toHaveLength(3);
  });
});

describe('listReservations', () => {
  it('lists capacity blocks (scheduled, then active) and targeted reservations with what is left', async () => {
    const hour = 3_600_000;
    env.world.addReservation({
      id: 'crg-h100-block',
      cloud: 'azure',
      type: 'capacity-block',
      instanceType: 'Standard_ND96isr_H100_v5',
      zone: 'eastus-2',
      total: 4,
      start: env.world.now() + 2 * hour,
      end: env.world.now() + 26 * hour,
    });
    env.world.addReservation({
      id: 'crg-a100-odcr',
      cloud: 'azure',
      type: 'odcr',
      instanceType: 'Standard_NC24ads_A100_v4',
      zone: 'eastus-1',
      total: 5,
      start: env.world.now() - hour,
      end: env.world.now() + 1000 * hour,
    });
    env.world.addPool({
      ...ON_DEMAND_POOL,
      id: 'azure-a100-reserved',
      name: 'vmss-a100-reserved',
      zones: ['eastus-1'],
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType: 'reserved',
      reservationId: 'crg-a100-odcr',
      desired: 2,
    });
    env.world.addReservation({
      id: 'crg-westus',
      cloud: 'azure',
      type: 'odcr',
      instanceType: 'Standard_NC24ads_A100_v4',
      zone: 'westus-1',
      total: 1,
      start: env.world.now() - hour,
      end: env.world.now() + hour,
    });
    const byId = async () =>
      Object.fromEntries((await capacity.listReservations('eastus')).map((r) => [r.id, r] as const));
    const before = await byId();
    expect(Object.keys(before).sort()).toEqual(['crg-a100-odcr', 'crg-h100-block']);
    // The reserved pool's 2 VMs use 2 of the 5 reserved.
    expect(before['crg-a100-odcr']).toMatchObject({
      type: 'odcr',
      zone: 'eastus-1',
      total: 5,
      available: 3,
      state: 'active',
    });
    expect(before['crg-h100-block']).toMatchObject({
      type: 'capacity-block',
      instanceType: 'Standard_ND96isr_H100_v5',
      zone: 'eastus-2',
      total: 4,
      available: 4,
      state: 'scheduled',
      startTime: '2025-06-01T14:00:00.000Z',
      endTime: '2025-06-02T14:00:00.000Z',
    });
    env.world.advance(3 * 3600);
    expect((await byId())['crg-h100-block']).toMatchObject({ state: 'active' });
    const reserved = await capacity.describePool(
      refFor({ ...ON_DEMAND_POOL, name: 'vmss-a100-reserved', id: 'azure-a100-reserved' }),
    );
    expect(reserved.instances.map((i) => i.capacityType)).toEqual(['reserved', 'reserved']);
  });

  it('returns [] where there are none', async () => {
    expect(await capacity.listReservations('eastus')).toEqual([]);
  });
});

describe('transport security', () => {
  it('verifies the server certificate: a client that does not trust the test CA cannot connect', async () => {
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    const untrusting = env.adapter({ ca: undefined }).capacity;
    const e = await failure(untrusting.describePool(spot));
    expect(e).toMatchObject({ kind: 'unauthorized', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(env.world.callsTo('arm')).toHaveLength(0);
  });

  it('is refused without a valid bearer token', async () => {
    const emulator = env.emulator;
    emulator.configure({ token: 'the-only-good-token' });
    const e = await failure(capacity.describePool(spot));
    expect(e).toMatchObject({ kind: 'unauthorized', code: 'InvalidAuthenticationToken', status: 401 });
  });
});
