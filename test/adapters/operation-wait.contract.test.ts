/**
 * Waits on long-running operations end at the caller's limit (`waitMs`, the invocation's deadline): the
 * operation is reported `pending` with its id and URL, and the next call for the same pool picks it up rather
 * than starting it again. Real SDK clients against the emulators, each holding its operations in progress
 * (many polls to done, a world clock that does not move) for as long as the test needs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCloudError } from '../../shared/domain/errors.ts';
import { startEnv as startAws, POOLS, refOfSpec, type Env as AwsEnv } from '../aws/support.ts';
import { refFor, SPOT_POOL, startAzureTestEnv, type AzureTestEnv } from '../azure/support.ts';
import { type Env as GcpEnv, refOf, startEnv as startGcp, ZONAL } from '../gcp/support.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A call that returns within `ms` of wall time, with what it returned. */
async function within<T>(ms: number, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const r = await call();
  expect(Date.now() - started).toBeLessThan(ms);
  return r;
}

describe('Azure: a VMSS update still running at the deadline', () => {
  async function env(): Promise<AzureTestEnv> {
    const e = await startAzureTestEnv([SPOT_POOL]);
    closers.push(() => e.close());
    // Every operation stays InProgress for 10,000 status polls: far past the test.
    e.emulator.configure({ operationPolls: 10_000 });
    return e;
  }
  const ref = refFor(SPOT_POOL);
  const updates = (e: AzureTestEnv) => e.world.callsTo('arm', 'virtualMachineScaleSets.update').length;

  it('is reported pending with its Azure-AsyncOperation URL, before the adapter poll timeout', async () => {
    const e = await env();
    // The adapter would wait 3 s; the invocation leaves 150 ms.
    const r = await within(1_500, () =>
      e.adapters.capacity.setDesired(ref, { desired: 5, reason: 'test', idempotencyToken: 'ev-1', waitMs: 150 }),
    );
    expect(r).toMatchObject({ desired: 5, previous: 3, unchanged: false, pending: true });
    expect(r.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.operationUrl).toContain(`/providers/Microsoft.Compute/locations/eastus/operations/${r.operationId}`);
    expect(updates(e)).toBe(1);
  });

  it('is not started again by the next call: it finds the scale set Updating at that capacity', async () => {
    const e = await env();
    await e.adapters.capacity.setDesired(ref, { desired: 5, reason: 'test', idempotencyToken: 'ev-1', waitMs: 50 });
    const again = await e.adapters.capacity.setDesired(ref, {
      desired: 5,
      reason: 'test',
      idempotencyToken: 'ev-2',
      waitMs: 50,
    });
    expect(again).toMatchObject({ desired: 5, previous: 5, unchanged: true, pending: true });
    expect(updates(e)).toBe(1);
  });

  it('waits to the end when the operation ends within the limit', async () => {
    const e = await env();
    e.emulator.configure({ operationPolls: 3 });
    const r = await e.adapters.capacity.setDesired(ref, { desired: 4, reason: 'test', waitMs: 2_000 });
    expect(r).toMatchObject({ desired: 4, unchanged: false });
    expect(r.pending).toBeUndefined();
  });

  it('a removal still running at the deadline is reported pending', async () => {
    const e = await env();
    const victim = e.world.instancesOf(SPOT_POOL.id)[0]!;
    const r = await within(1_500, () =>
      e.adapters.capacity.removeInstance!(ref, `${SPOT_POOL.name}_${victim.index}`, { waitMs: 100 }),
    );
    expect(r).toMatchObject({ pending: true, operationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });
});

describe('GCP: a MIG resize operation still running at the deadline', () => {
  async function env(): Promise<GcpEnv> {
    // RUNNING for 10,000 polls; the adapter itself would wait 60 s.
    const e = await startGcp({
      emulator: { operationPolls: 10_000 },
      adapter: { poll: { intervalMs: 20, timeoutMs: 60_000 } },
    });
    closers.push(() => e.close());
    return e;
  }
  const resizes = (e: GcpEnv) => e.world.callsTo('compute', 'instanceGroupManagers.resize').length;

  it('is reported pending with the operation name and selfLink, polled with get (not the 2-minute wait)', async () => {
    const e = await env();
    // Far below the adapter's 60 s (the first call also builds the Compute clients).
    const r = await within(10_000, () =>
      e.gcp.capacity.setDesired(refOf(ZONAL), { desired: 5, reason: 'x', idempotencyToken: 'ev-1', waitMs: 200 }),
    );
    expect(r).toMatchObject({ desired: 5, previous: 3, unchanged: false, pending: true });
    expect(r.operationId).toMatch(/^operation-/);
    expect(r.operationUrl).toMatch(new RegExp(`/zones/us-central1-a/operations/${r.operationId}$`));
    expect(e.world.callsTo('compute', 'zoneOperations.wait')).toHaveLength(0);
    expect(e.world.callsTo('compute', 'zoneOperations.get').length).toBeGreaterThan(0);
  });

  it('a redelivery (same token) gets the same operation back: the group is resized once', async () => {
    const e = await env();
    const ref = refOf(ZONAL);
    const first = await e.gcp.capacity.setDesired(ref, {
      desired: 5,
      reason: 'x',
      idempotencyToken: 'ev-1',
      waitMs: 50,
    });
    // Someone else set it back meanwhile: only the requestId can tell the redelivery from a new resize.
    e.world.setDesired(ZONAL.id, 3);
    const replay = await e.gcp.capacity.setDesired(ref, {
      desired: 5,
      reason: 'x',
      idempotencyToken: 'ev-1',
      waitMs: 50,
    });
    expect(replay).toMatchObject({ pending: true, operationId: first.operationId });
    expect(resizes(e)).toBe(2);
    expect(e.world.pool(ZONAL.id)!.desired).toBe(3);
  });

  it('the next decision for the same size starts nothing', async () => {
    const e = await env();
    const ref = refOf(ZONAL);
    await e.gcp.capacity.setDesired(ref, { desired: 5, reason: 'x', idempotencyToken: 'ev-1', waitMs: 50 });
    const next = await e.gcp.capacity.setDesired(ref, {
      desired: 5,
      reason: 'x',
      idempotencyToken: 'ev-2',
      waitMs: 50,
    });
    expect(next).toMatchObject({ unchanged: true });
    expect(resizes(e)).toBe(1);
  });
});

describe('EKS: a node group update still in progress at the deadline', () => {
  async function env(): Promise<AwsEnv> {
    // InProgress for 10,000 DescribeUpdate calls (and 30 s of a world clock that does not move).
    const e = await startAws({
      emulator: { eksUpdatePolls: 10_000 },
      adapter: { poll: { intervalMs: 20, timeoutMs: 60_000 } },
    });
    closers.push(() => e.close());
    return e;
  }
  const eks = refOfSpec(POOLS.eks);
  const updates = (e: AwsEnv) => e.world.callsTo('eks', 'UpdateNodegroupConfig').length;

  it('is reported pending with its update id; the node group keeps its old size meanwhile', async () => {
    const e = await env();
    const r = await within(10_000, () =>
      e.aws.capacity.setDesired(eks, { desired: 4, reason: 'x', idempotencyToken: 'ev-1', waitMs: 150 }),
    );
    expect(r).toMatchObject({ desired: 4, previous: 2, unchanged: false, pending: true });
    expect(r.operationId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await e.aws.capacity.describePool(eks)).desired).toBe(2);
  });

  it('the next decision waits on the running update instead of starting another, and sees it end', async () => {
    const e = await env();
    const first = await e.aws.capacity.setDesired(eks, {
      desired: 4,
      reason: 'x',
      idempotencyToken: 'ev-1',
      waitMs: 50,
    });
    const again = await e.aws.capacity.setDesired(eks, {
      desired: 4,
      reason: 'x',
      idempotencyToken: 'ev-2',
      waitMs: 50,
    });
    expect(again).toMatchObject({ pending: true, operationId: first.operationId });
    expect(e.world.callsTo('eks', 'ListUpdates').length).toBeGreaterThan(0);
    // The update ends (30 s of world time); the next call finds it Successful, still without a second one.
    e.world.advance(31);
    const done = await e.aws.capacity.setDesired(eks, {
      desired: 4,
      reason: 'x',
      idempotencyToken: 'ev-3',
      waitMs: 50,
    });
    expect(done).toMatchObject({ desired: 4, unchanged: true });
    expect(updates(e)).toBe(1);
    expect(e.world.pool(POOLS.eks.id)!.desired).toBe(4);
  });

  it('an update to another size still running at the limit makes the resize a conflict (retried)', async () => {
    const e = await env();
    await e.aws.capacity.setDesired(eks, { desired: 4, reason: 'x', idempotencyToken: 'ev-1', waitMs: 50 });
    const err = await e.aws.capacity
      .setDesired(eks, { desired: 5, reason: 'x', idempotencyToken: 'ev-2', waitMs: 100 })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(isCloudError(err) && err).toMatchObject({ kind: 'conflict', code: 'ResourceInUseException' });
    expect(updates(e)).toBe(1);
  });
});
