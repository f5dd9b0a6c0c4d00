/**
 * Properties of the AWS capacity adapter (the real SDK clients against the loopback emulator) over resource
 * names an operator may really use, at AWS's documented limits and with every character each name allows:
 *
 * - Auto Scaling group names: 1-255 characters of `[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]`
 *   (the API reference's pattern): spaces, `/`, `:`, `&`, `+`, `%`, `=`, quotes, `<`, `>` and Unicode letters.
 *   Control characters are left out (no operator types them into a name).
 * - EC2 Fleet ids: `fleet-` and a UUID (what CreateFleet returns), or `fleet-` and 17 hex digits.
 * - EKS: a cluster name of 1-100 and a node group name of 1-63 characters, alphanumerics, `-` and `_`,
 *   starting with an alphanumeric (CreateCluster and CreateNodegroup).
 *
 * Each run adds a target pool and a neighbour whose name is a near miss of the target's (one character
 * more, less or other, `+` for a space, the name percent-encoded...), reads and sets the target's desired
 * count (and, for a group, its warm pool), and checks that every call the emulator recorded names the target
 * exactly and that the neighbour is untouched. Each run has a region of its own (the emulator serves the
 * pools of the request's region), so runs do not see each other's pools. `PROP_RUNS` sets the runs per
 * property (20 by default).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsAdapters, createAwsAdapters } from '../../shared/adapters/aws/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import type { PoolKind } from '../../shared/domain/types.ts';
import { type AwsEmulator, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { eksAsgName } from '../../local/emulators/aws/context.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 20) };
const START = Date.parse('2025-03-03T09:00:00Z');

let world: World;
let emulator: AwsEmulator;
let run = 0;

beforeAll(async () => {
  world = new World({ start: START, seed: 11 });
  emulator = await startAwsEmulator(world, { pageSize: 2, eksUpdatePolls: 1 });
});
afterAll(async () => {
  await emulator?.close();
});

/** A region no earlier run used, and an adapter for it (closed by the caller). */
function nextRun(): { region: string; aws: AwsAdapters } {
  run += 1;
  world.calls.length = 0;
  const region = `us-prop-${run}`;
  const aws = createAwsAdapters({
    region,
    endpoints: emulator.endpoints,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key-for-tests-only' },
    retry: { maxAttempts: 2, baseDelayMs: 1 },
    poll: { intervalMs: 1, timeoutMs: 2_000 },
    requestTimeoutMs: 2_000,
    clock: () => new Date(world.now()),
  });
  return { region, aws };
}

function spec(region: string, kind: PoolKind, id: string, name: string, desired: number, max: number): WorldPoolSpec {
  return {
    id,
    cloud: 'aws',
    kind,
    name,
    region,
    zones: [`${region}a`, `${region}b`],
    instanceType: 'g5.12xlarge',
    capacityType: 'on-demand',
    desired,
    min: 0,
    max,
    bootSeconds: 0,
    readySeconds: 0,
    hourlyPrice: 5.67,
  };
}

const refOf = (s: WorldPoolSpec): PoolRef => ({
  id: s.id,
  cloud: 'aws',
  kind: s.kind,
  resource: s.name,
  location: { region: s.region, zones: s.zones },
});

// ---- names ------------------------------------------------------------------------------------------------

/** Characters of an ASG name: printable ASCII (space and every symbol), Latin and CJK letters, an emoji. */
const asgChar = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 3, arbitrary: fc.constantFrom(' ', '/', ':', '&', '+', '%', '=', '?', '#', '<', '>', '"', "'", '\\') },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ü', 'ß', 'Ω', 'ж', '日', '本', 'ﬁ', '\u00a0', '😀') },
);

/** An ASG name of 1-255 UTF-16 units (the limit counted conservatively), at the limit often. */
const asgName = fc
  .oneof(fc.array(asgChar, { minLength: 1, maxLength: 40 }), fc.array(asgChar, { minLength: 250, maxLength: 255 }))
  .map((cs) => {
    let s = cs.join('');
    while (s.length > 255) s = [...s].slice(0, -1).join('');
    return s;
  })
  .filter((s) => s.length >= 1);

/** A near miss of `name` (never equal to it), kept within `valid`. */
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
          fc.constant(target.replaceAll(' ', '+')),
          fc.constant(target.replaceAll('+', ' ')),
          fc.constant(encodeURIComponent(target)),
        )
        .map((neighbour) => ({ target, neighbour })),
    )
    .filter(({ target, neighbour }) => neighbour !== target && valid(neighbour));
}

const asgValid = (s: string) => s.length >= 1 && s.length <= 255;
const asgPair = nearMiss(asgName, asgChar, asgValid);

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const fleetId = fc.oneof(
  fc.uuid({ version: 4 }).map((u) => `fleet-${u}`),
  hex(17).map((h) => `fleet-${h}`),
);
/** Two fleet ids one hex digit apart. */
const fleetPair = fleetId
  .chain((target) =>
    fc
      .tuple(fc.integer({ min: 'fleet-'.length, max: target.length - 1 }), fc.constantFrom(...'0123456789abcdef'))
      .filter(([i]) => target[i] !== '-')
      .map(([i, c]) => ({ target, neighbour: target.slice(0, i) + c + target.slice(i + 1) })),
  )
  .filter(({ target, neighbour }) => target !== neighbour);

const eksChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_');
const eksFirst = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
const eksName = (max: number) =>
  fc
    .tuple(
      eksFirst,
      fc.oneof(
        fc.string({ unit: eksChar, maxLength: 12 }),
        fc.string({ unit: eksChar, minLength: max - 3, maxLength: max - 1 }),
      ),
    )
    .map(([a, b]) => a + b);
const eksValid = (max: number) => (s: string) => /^[0-9A-Za-z][A-Za-z0-9_-]*$/.test(s) && s.length <= max;
/** A node group `cluster/nodegroup` and a neighbour that differs in the cluster or in the node group. */
const eksPair = fc.oneof(
  fc.tuple(nearMiss(eksName(100), eksChar, eksValid(100)), eksName(63)).map(([c, ng]) => ({
    target: `${c.target}/${ng}`,
    neighbour: `${c.neighbour}/${ng}`,
  })),
  fc.tuple(eksName(100), nearMiss(eksName(63), eksChar, eksValid(63))).map(([c, ng]) => ({
    target: `${c}/${ng.target}`,
    neighbour: `${c}/${ng.neighbour}`,
  })),
);

// ---- what the emulator was asked ---------------------------------------------------------------------------

/** Every group, fleet or node group a recorded call named, by the parameter that names it. */
function namedInCalls(): string[] {
  const names: string[] = [];
  for (const c of world.calls) {
    const p = c.params as Record<string, unknown> | undefined;
    if (!p) continue;
    if (c.service === 'eks') {
      const path = String(p.path ?? '');
      const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[2] === 'node-groups') names.push(`${parts[1]}/${parts[3]}`);
      else {
        const query = new URLSearchParams(String(p.query ?? ''));
        const ng = query.get('nodegroupName');
        if (ng !== null) names.push(`${parts[1]}/${ng}`);
      }
      continue;
    }
    for (const [k, v] of Object.entries(p)) {
      if (k === 'AutoScalingGroupName' || /^AutoScalingGroupNames\.member\.\d+$/.test(k)) names.push(String(v));
      if (k === 'FleetId' || /^FleetId\.\d+$/.test(k)) names.push(String(v));
    }
  }
  return names;
}

// ---- properties -------------------------------------------------------------------------------------------

describe('AWS resource names (real SDK against the emulator)', () => {
  it('an Auto Scaling group of any valid name is read, resized and given a warm pool, and only it', async () => {
    await fc.assert(
      fc.asyncProperty(
        asgPair,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        async ({ target, neighbour }, before, after, warm) => {
          const { region, aws } = nextRun();
          try {
            // The neighbour comes first in the region's list, so a lookup that matched loosely would find it.
            const other = world.addPool(spec(region, 'auto-scaling-group', `n${run}`, neighbour, 2, 9));
            const mine = world.addPool(spec(region, 'auto-scaling-group', `t${run}`, target, before, 8));
            const ref = refOf(mine);
            const seen = await aws.capacity.describePool(ref);
            expect(seen).toMatchObject({ desired: before, min: 0, max: 8 });
            expect(seen.instances.map((i) => i.id).sort()).toEqual(
              world
                .instancesOf(mine.id)
                .map((i) => i.id)
                .sort(),
            );
            const set = await aws.capacity.setDesired(ref, { desired: after, reason: 'names' });
            expect(set).toEqual({ desired: after, previous: before, unchanged: after === before });
            expect(world.pool(mine.id)!.desired).toBe(after);
            await aws.capacity.setWarm!(ref, { size: warm, state: 'stopped', reason: 'names' });
            expect(world.pool(mine.id)!.warmPolicy).toBeDefined();
            expect((await aws.capacity.describePool(ref)).desired).toBe(after);
            // The neighbour: as it was, and never named.
            expect(world.pool(other.id)).toMatchObject({ desired: 2, max: 9 });
            expect(world.pool(other.id)!.warmPolicy).toBeUndefined();
            const named = namedInCalls();
            expect(named.length).toBeGreaterThan(0);
            expect(new Set(named)).toEqual(new Set([target]));
          } finally {
            aws.close();
          }
        },
      ),
      RUNS,
    );
  });

  it('an EC2 Fleet is read and resized by its id, and a fleet one digit apart is untouched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fleetPair,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        async ({ target, neighbour }, before, after) => {
          const { region, aws } = nextRun();
          try {
            const other = world.addPool(spec(region, 'ec2-fleet', `n${run}`, neighbour, 2, 20));
            const mine = world.addPool(spec(region, 'ec2-fleet', `t${run}`, target, before, 20));
            const ref = refOf(mine);
            expect((await aws.capacity.describePool(ref)).desired).toBe(before);
            const set = await aws.capacity.setDesired(ref, { desired: after, reason: 'names' });
            expect(set).toMatchObject({ desired: after, previous: before });
            expect(world.pool(mine.id)!.desired).toBe(after);
            expect(world.pool(other.id)!.desired).toBe(2);
            expect(new Set(namedInCalls())).toEqual(new Set([target]));
          } finally {
            aws.close();
          }
        },
      ),
      RUNS,
    );
  });

  it('an EKS node group of any valid cluster and node group name is read and resized, and only it', async () => {
    await fc.assert(
      fc.asyncProperty(
        eksPair,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        async ({ target, neighbour }, before, after) => {
          const { region, aws } = nextRun();
          try {
            const other = world.addPool(spec(region, 'eks-nodegroup', `n${run}`, neighbour, 2, 9));
            const mine = world.addPool(spec(region, 'eks-nodegroup', `t${run}`, target, before, 8));
            const ref = refOf(mine);
            expect(await aws.capacity.describePool(ref)).toMatchObject({ desired: before, max: 8 });
            const set = await aws.capacity.setDesired(ref, { desired: after, reason: 'names' });
            expect(set).toMatchObject({ desired: after, previous: before, unchanged: after === before });
            expect(world.pool(mine.id)!.desired).toBe(after);
            expect(world.pool(other.id)).toMatchObject({ desired: 2, max: 9 });
            // EKS calls name the node group; the Auto Scaling calls, the group behind it (never the neighbour's).
            expect(new Set(namedInCalls())).toEqual(new Set([target, eksAsgName(mine)]));
          } finally {
            aws.close();
          }
        },
      ),
      RUNS,
    );
  });
});
