/**
 * Properties of the Azure capacity adapter (@azure/arm-compute against the loopback ARM emulator over https)
 * over resource names an operator may really use, at Azure's documented limits ("Naming rules and
 * restrictions for Azure resources"):
 *
 * - resource groups: 1-90 characters, underscores, hyphens, periods, parentheses and letters or digits
 *   (`Char.IsLetterOrDigit`, so Unicode letters too); not ending in a period;
 * - scale sets: 1-64 characters (Linux), alphanumerics, hyphens and underscores; not starting with an
 *   underscore, not ending in a hyphen.
 * Names are case-insensitive in ARM, so a neighbour never differs from the target by case alone.
 *
 * Each run puts a target scale set and a near-miss neighbour (another resource group or scale set name one
 * character, a case-insensitive twin excluded, apart) in a subscription of its own, reads the target (the VM
 * list paged one VM at a time, through the emulator's nextLinks), sets its capacity and its deallocated VMs,
 * and checks that every request the emulator served addressed the target's subscription, group and name
 * exactly, and that the neighbour is untouched. `PROP_RUNS` sets the runs per property (20 by default).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureAdapters, createAzureAdapters } from '../../shared/adapters/azure/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import { type AzureEmulator, startAzureEmulator } from '../../local/emulators/azure/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 20) };
const START = Date.parse('2025-06-01T12:00:00Z');

let world: World;
let emulator: AzureEmulator;
let run = 0;

beforeAll(async () => {
  world = new World({ start: START, seed: 13 });
  emulator = await startAzureEmulator(world, { pageSize: 1 });
});
afterAll(async () => {
  await emulator?.close();
});

/** A subscription no earlier run used (the emulator serves a pool in its own subscription only), and an adapter. */
function nextRun(): { subscription: string; azure: AzureAdapters } {
  run += 1;
  world.calls.length = 0;
  const subscription = `6f1c2b7e-0000-4000-8000-${run.toString(16).padStart(12, '0')}`;
  const azure = createAzureAdapters({
    subscriptionId: subscription,
    endpoint: emulator.endpoint,
    ca: emulator.ca,
    credential: { getToken: async () => ({ token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    poll: { intervalMs: 1, timeoutMs: 3_000 },
    requestTimeoutMs: 3_000,
    now: () => new Date(world.now()),
  });
  return { subscription, azure };
}

function spec(id: string, scope: string, name: string, desired: number): WorldPoolSpec {
  return {
    id,
    cloud: 'azure',
    kind: 'azure-vmss',
    name,
    region: 'eastus',
    zones: ['eastus-1', 'eastus-2'],
    instanceType: 'Standard_NC24ads_A100_v4',
    capacityType: 'on-demand',
    desired,
    min: 0,
    max: 40,
    bootSeconds: 0,
    readySeconds: 0,
    hourlyPrice: 3.67,
    scope,
  };
}

const refOf = (s: WorldPoolSpec): PoolRef => ({
  id: s.id,
  cloud: 'azure',
  kind: 'azure-vmss',
  resource: s.name,
  location: { region: s.region, zones: s.zones },
  scope: s.scope,
});

// ---- names ------------------------------------------------------------------------------------------------

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Letters or digits by .NET's Char.IsLetterOrDigit beyond ASCII (no letter whose lower case is longer). */
const UNICODE_ALNUM = ['é', 'ü', 'ß', 'Ω', 'ж', 'ñ', '日', '本', 'ä', '٣'];
const rgChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ALNUM) },
  { weight: 3, arbitrary: fc.constantFrom('.', '(', ')', '-', '_') },
  { weight: 2, arbitrary: fc.constantFrom(...UNICODE_ALNUM) },
);
const rgValid = (s: string) => s.length >= 1 && s.length <= 90 && !s.endsWith('.') && /^[\p{L}\p{Nd}._()-]+$/u.test(s);
const rgName = fc
  .oneof(
    fc.string({ unit: rgChar, minLength: 1, maxLength: 20 }),
    fc.string({ unit: rgChar, minLength: 86, maxLength: 90 }),
  )
  .filter(rgValid);

const vmssChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ALNUM) },
  { weight: 2, arbitrary: fc.constantFrom('-', '_') },
);
const vmssValid = (s: string) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s) && !s.endsWith('-');
const vmssName = fc
  .oneof(
    fc.string({ unit: vmssChar, minLength: 1, maxLength: 16 }),
    fc.string({ unit: vmssChar, minLength: 60, maxLength: 64 }),
  )
  .filter(vmssValid);

/** A near miss of a name: one character more, less or other; never the same name in ARM's eyes. */
function nearMiss(name: fc.Arbitrary<string>, char: fc.Arbitrary<string>, valid: (s: string) => boolean) {
  return name
    .chain((target) =>
      fc
        .oneof(
          char.map((c) => target + c),
          char.map((c) => c + target),
          fc.constant(target.slice(0, -1)),
          fc.constant(target.slice(1)),
          fc.tuple(fc.nat(target.length - 1), char).map(([i, c]) => target.slice(0, i) + c + target.slice(i + 1)),
        )
        .map((neighbour) => ({ target, neighbour })),
    )
    .filter(
      ({ target, neighbour }) =>
        valid(neighbour) &&
        neighbour.toLowerCase() !== target.toLowerCase() &&
        neighbour.toUpperCase() !== target.toUpperCase(),
    );
}

/** Target and neighbour scale sets: same group and near-miss names, or same name and near-miss groups. */
const pairs = fc.oneof(
  fc.tuple(rgName, nearMiss(vmssName, vmssChar, vmssValid)).map(([rg, v]) => ({
    target: { rg, name: v.target },
    neighbour: { rg, name: v.neighbour },
  })),
  fc.tuple(nearMiss(rgName, rgChar, rgValid), vmssName).map(([rg, name]) => ({
    target: { rg: rg.target, name },
    neighbour: { rg: rg.neighbour, name },
  })),
);

// ---- what the emulator was asked ---------------------------------------------------------------------------

const VMSS_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/virtualmachinescalesets\/([^/]+)(\/.*)?$/i;

/** `subscription/group/name` of every scale-set request served (operation polls name no scale set). */
function addressedInCalls(): string[] {
  return world
    .callsTo('arm')
    .map((c) => String((c.params as { path?: unknown } | undefined)?.path ?? ''))
    .filter((path) => !/\/operations\//i.test(path))
    .map((path) => {
      const m = VMSS_PATH.exec(path);
      return m ? [m[1]!, m[2]!, m[3]!].map(decodeURIComponent).join('/') : `unrouted ${path}`;
    });
}

// ---- properties -------------------------------------------------------------------------------------------

describe('Azure resource names (real SDK against the ARM emulator)', () => {
  it('a scale set of any valid group and name is read, resized and given deallocated VMs, and only it', async () => {
    await fc.assert(
      fc.asyncProperty(
        pairs,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        async ({ target, neighbour }, before, after, warm) => {
          const { subscription, azure } = nextRun();
          // The neighbour comes first in the world's list, so a loose match would find it.
          const other = world.addPool(spec(`n${run}`, `${subscription}/${neighbour.rg}`, neighbour.name, 2));
          const mine = world.addPool(spec(`t${run}`, `${subscription}/${target.rg}`, target.name, before));
          const ref = refOf(mine);
          const seen = await azure.capacity.describePool(ref);
          expect(seen.desired).toBe(before);
          expect(seen.instances).toHaveLength(before);
          const set = await azure.capacity.setDesired(ref, { desired: after, reason: 'names' });
          expect(set).toMatchObject({ desired: after, previous: before, unchanged: after === before });
          expect(world.pool(mine.id)!.desired).toBe(after);
          await azure.capacity.setWarm!(ref, { size: warm, state: 'stopped', reason: 'names' });
          expect(world.warmOf(mine.id)).toHaveLength(warm);
          expect((await azure.capacity.describePool(ref)).desired).toBe(after);
          // The neighbour: as it was, and never addressed.
          expect(world.pool(other.id)!.desired).toBe(2);
          expect(world.warmOf(other.id)).toHaveLength(0);
          expect(new Set(addressedInCalls())).toEqual(new Set([`${subscription}/${target.rg}/${target.name}`]));
        },
      ),
      RUNS,
    );
  });
});
