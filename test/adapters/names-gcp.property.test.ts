/**
 * Properties of the GCP capacity adapter (@google-cloud/compute over REST against the loopback Compute
 * emulator) over managed instance group names at Compute's documented limits: 1-63 characters complying with
 * RFC 1035, `[a-z]([-a-z0-9]*[a-z0-9])?` (InstanceGroupManager.name).
 *
 * Each run puts a target group and a neighbour in a project of its own: the neighbour a near-miss name in the
 * same zone (or region), or the same name in another zone, or a regional group of the same name (a zonal and
 * a regional group are different resources). It reads the target, resizes it and sets its standby pool, and
 * checks that every group call the emulator served named the target's project, location and name, and that
 * the neighbour is untouched. `PROP_RUNS` sets the runs per property (20 by default).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpAdapters, type GcpAdapters, staticToken } from '../../shared/adapters/gcp/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import type { PoolKind } from '../../shared/domain/types.ts';
import { type GcpEmulator, startGcpEmulator } from '../../local/emulators/gcp/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 20) };
const START = Date.parse('2026-01-05T00:00:00Z');

let world: World;
let emulator: GcpEmulator;
let gcp: GcpAdapters;
let run = 0;

beforeAll(async () => {
  world = new World({ start: START, seed: 17 });
  emulator = await startGcpEmulator(world, { waitMs: 1 });
  gcp = createGcpAdapters({
    project: 'unused-default',
    endpoint: emulator.endpoint,
    authClient: staticToken('fake-token-for-tests'),
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    poll: { intervalMs: 1, timeoutMs: 3_000 },
    timeouts: { requestMs: 3_000, waitMs: 3_000 },
    pageSize: 1,
  });
});
afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

function spec(id: string, project: string, kind: PoolKind, name: string, zone: string, desired: number): WorldPoolSpec {
  return {
    id,
    cloud: 'gcp',
    kind,
    name,
    region: 'us-central1',
    zones: kind === 'gcp-mig' ? [zone] : ['us-central1-a', 'us-central1-b'],
    instanceType: 'g2-standard-8',
    capacityType: 'on-demand',
    desired,
    min: 0,
    max: 50,
    bootSeconds: 0,
    readySeconds: 0,
    hourlyPrice: 0.7,
    scope: project,
  };
}

const refOf = (s: WorldPoolSpec): PoolRef => ({
  id: s.id,
  cloud: 'gcp',
  kind: s.kind,
  resource: s.name,
  location: { region: s.region, zones: s.zones },
  scope: s.scope,
});

// ---- names ------------------------------------------------------------------------------------------------

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const migChar = fc.constantFrom(...`${LOWER}0123456789-`);
const migValid = (s: string) => /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s);
const migName = fc
  .tuple(
    fc.constantFrom(...LOWER),
    fc.oneof(fc.string({ unit: migChar, maxLength: 12 }), fc.string({ unit: migChar, minLength: 58, maxLength: 62 })),
  )
  .map(([a, b]) => a + b)
  .filter(migValid);

type Neighbour = { name: string; kind: PoolKind; zone: string };
const cases = migName.chain((target) =>
  fc
    .oneof(
      migChar.map((c): Neighbour => ({ name: target + c, kind: 'gcp-mig', zone: 'us-central1-a' })),
      fc.constant<Neighbour>({ name: target.slice(0, -1), kind: 'gcp-mig', zone: 'us-central1-a' }),
      fc.tuple(fc.nat(target.length - 1), migChar).map(
        ([i, c]): Neighbour => ({
          name: target.slice(0, i) + c + target.slice(i + 1),
          kind: 'gcp-mig',
          zone: 'us-central1-a',
        }),
      ),
      fc.constant<Neighbour>({ name: target, kind: 'gcp-mig', zone: 'us-central1-b' }),
      fc.constant<Neighbour>({ name: target, kind: 'gcp-regional-mig', zone: 'us-central1-a' }),
    )
    .filter((n) => migValid(n.name) && !(n.name === target && n.kind === 'gcp-mig' && n.zone === 'us-central1-a'))
    .map((neighbour) => ({ target, neighbour })),
);

/** `project/zone-or-region/name` of every group call served. */
function addressedInCalls(): string[] {
  return world
    .callsTo('compute')
    .map((c) => c.params as Record<string, unknown>)
    .filter((p) => p.instanceGroupManager !== undefined)
    .map((p) => `${String(p.project)}/${String(p.zone ?? p.region)}/${String(p.instanceGroupManager)}`);
}

// ---- properties -------------------------------------------------------------------------------------------

describe('GCP resource names (real SDK against the Compute emulator)', () => {
  it('a managed instance group of any valid name is read, resized and given standby VMs, and only it', async () => {
    await fc.assert(
      fc.asyncProperty(
        cases,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        async ({ target, neighbour }, before, after, warm) => {
          run += 1;
          world.calls.length = 0;
          const project = `prop-run-${run}`;
          // The neighbour comes first in the world's list, so a loose match would find it.
          const other = world.addPool(spec(`n${run}`, project, neighbour.kind, neighbour.name, neighbour.zone, 2));
          const mine = world.addPool(spec(`t${run}`, project, 'gcp-mig', target, 'us-central1-a', before));
          const ref = refOf(mine);
          const seen = await gcp.capacity.describePool(ref);
          expect(seen.desired).toBe(before);
          expect(seen.instances).toHaveLength(before);
          const set = await gcp.capacity.setDesired(ref, { desired: after, reason: 'names' });
          expect(set).toMatchObject({ desired: after, previous: before, unchanged: after === before });
          expect(world.pool(mine.id)!.desired).toBe(after);
          await gcp.capacity.setWarm!(ref, { size: warm, state: 'stopped', reason: 'names' });
          expect(world.pool(mine.id)!.warmPolicy).toMatchObject({ min: warm });
          expect((await gcp.capacity.describePool(ref)).desired).toBe(after);
          expect(world.pool(other.id)!.desired).toBe(2);
          expect(world.pool(other.id)!.warmPolicy).toBeUndefined();
          expect(new Set(addressedInCalls())).toEqual(new Set([`${project}/us-central1-a/${target}`]));
        },
      ),
      RUNS,
    );
  });
});
