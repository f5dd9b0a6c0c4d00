/**
 * Properties of the Kubernetes capacity adapter (@kubernetes/client-node against the loopback API server)
 * over `k8s-deployment` pools (`namespace/name`) named at Kubernetes' documented limits ("Object Names and
 * IDs"): a namespace is an RFC 1123 label (1-63 of `a-z`, `0-9`, `-`, alphanumeric at both ends), a
 * Deployment name a DNS subdomain (1-253 of `a-z`, `0-9`, `-`, `.`, alphanumeric at both ends; dot-separated
 * labels of at most 63, so its pods' names and the `app` label the emulator gives them stay valid).
 *
 * Each run seeds a target Deployment and a near-miss neighbour (another name or namespace one character
 * apart, or the same name in another namespace) if the cluster does not hold them yet (runs share the
 * server, and shrinking repeats names), reads and scales the target, and checks that the target's
 * replicas are what was set, the neighbour's are what they were, and every Deployment call the server
 * recorded named the target. `PROP_RUNS` sets the runs per property (20 by default).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesAdapters, type KubernetesAdapters } from '../../shared/adapters/kubernetes/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import { type KubernetesEmulator, startKubernetesEmulator } from '../../local/emulators/kubernetes/index.ts';
import { World } from '../../local/emulators/world.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 20) };
const START = Date.parse('2026-01-05T00:00:00Z');

let world: World;
let emu: KubernetesEmulator;
let k8s: KubernetesAdapters;

beforeAll(async () => {
  world = new World({ start: START, seed: 19 });
  emu = await startKubernetesEmulator(world, { cluster: 'prod' });
  k8s = createKubernetesAdapters({
    kubeconfig: emu.kubeconfig,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    poll: { intervalMs: 1 },
    timeoutMs: 3_000,
    pageSize: 2,
    clock: () => new Date(world.now()),
  });
});
afterAll(async () => {
  await emu?.close();
});

const ref = (resource: string): PoolRef => ({
  id: 'names',
  cloud: 'kubernetes',
  kind: 'k8s-deployment',
  resource,
  location: { region: 'us-east-1', zones: ['us-east-1a'] },
});

// ---- names ------------------------------------------------------------------------------------------------

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const labelChar = fc.constantFrom(...`${ALNUM}-`);
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const isLabel = (s: string) => LABEL.test(s);
const isSubdomain = (s: string) => s.length <= 253 && s.split('.').every(isLabel);

/** An RFC 1123 label, short or at its 63-character limit. */
const label = fc
  .tuple(
    fc.constantFrom(...ALNUM),
    fc.oneof(
      fc.string({ unit: labelChar, maxLength: 10 }),
      fc.string({ unit: labelChar, minLength: 60, maxLength: 61 }),
    ),
    fc.constantFrom(...ALNUM),
  )
  .map(([a, b, c]) => a + b + c)
  .filter(isLabel);
const shortLabel = fc
  .tuple(fc.constantFrom(...ALNUM), fc.string({ unit: labelChar, maxLength: 8 }), fc.constantFrom(...ALNUM))
  .map(([a, b, c]) => a + b + c)
  .filter(isLabel);
/** A DNS subdomain: one label, a few dotted ones, or four of 63 (253 characters, the limit). */
const subdomain = fc
  .oneof(
    label,
    fc.array(shortLabel, { minLength: 2, maxLength: 4 }).map((ls) => ls.join('.')),
    fc.array(label, { minLength: 4, maxLength: 4 }).map((ls) =>
      ls
        .join('.')
        .slice(0, 253)
        .replace(/[-.]+$/, ''),
    ),
  )
  .filter(isSubdomain);

const nameChar = fc.constantFrom(...`${ALNUM}-.`);
function nearMiss(target: string, char: fc.Arbitrary<string>, valid: (s: string) => boolean) {
  return fc
    .oneof(
      char.map((c) => target + c),
      fc.constant(target.slice(0, -1)),
      fc.tuple(fc.nat(target.length - 1), char).map(([i, c]) => target.slice(0, i) + c + target.slice(i + 1)),
    )
    .filter((n) => n !== target && valid(n));
}

const cases = fc.tuple(label, subdomain).chain(([ns, name]) =>
  fc
    .oneof(
      nearMiss(name, nameChar, isSubdomain).map((n) => ({ namespace: ns, name: n })),
      nearMiss(ns, labelChar, isLabel).map((n) => ({ namespace: n, name })),
      label.filter((n) => n !== ns).map((n) => ({ namespace: n, name })),
    )
    .map((neighbour) => ({ target: { namespace: ns, name }, neighbour })),
);

function seed(d: { namespace: string; name: string }, replicas: number): void {
  if (!emu.state.deploymentStatus(d.namespace, d.name))
    emu.state.addDeployment({ namespace: d.namespace, name: d.name, replicas, gpusPerPod: 0 });
}

/** `namespace/name` of every Deployment (or its scale) call recorded. */
function addressedInCalls(): string[] {
  return world
    .callsTo('kubernetes')
    .filter((c) => c.operation.startsWith('deployments.'))
    .map((c) => {
      const path = String((c.params as { path?: unknown } | undefined)?.path ?? '');
      const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/.exec(path);
      return m ? `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}` : `unrouted ${path}`;
    });
}

// ---- properties -------------------------------------------------------------------------------------------

describe('Kubernetes resource names (real client against the API server emulator)', () => {
  it('a Deployment of any valid namespace and name is read and scaled, and only it', async () => {
    await fc.assert(
      fc.asyncProperty(cases, fc.integer({ min: 0, max: 4 }), async ({ target, neighbour }, after) => {
        seed(neighbour, 2);
        seed(target, 1);
        world.calls.length = 0;
        const other = emu.state.deploymentStatus(neighbour.namespace, neighbour.name)!.desired;
        const before = emu.state.deploymentStatus(target.namespace, target.name)!.desired;
        const r = ref(`${target.namespace}/${target.name}`);
        expect((await k8s.capacity.describePool(r)).desired).toBe(before);
        const set = await k8s.capacity.setDesired(r, { desired: after, reason: 'names' });
        expect(set).toMatchObject({ desired: after, previous: before, unchanged: after === before });
        expect(emu.state.deploymentStatus(target.namespace, target.name)!.desired).toBe(after);
        expect(emu.state.deploymentStatus(neighbour.namespace, neighbour.name)!.desired).toBe(other);
        expect(new Set(addressedInCalls())).toEqual(new Set([`${target.namespace}/${target.name}`]));
      }),
      RUNS,
    );
  });

  it('a Deployment name the API refuses ("." or "..") is refused before anything is sent', async () => {
    // A counterexample the property found: `ml/.` read and scaled the Deployment `ml/scale` (the path's `.`
    // segment resolved away before sending).
    await fc.assert(
      fc.asyncProperty(label, fc.constantFrom('.', '..'), async (ns, bad) => {
        seed({ namespace: ns, name: 'scale' }, 1);
        world.calls.length = 0;
        const e = await k8s.capacity.setDesired(ref(`${ns}/${bad}`), { desired: 3, reason: 'names' }).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toMatchObject({ kind: 'invalid' });
        expect(world.calls).toHaveLength(0);
        expect(emu.state.deploymentStatus(ns, 'scale')!.desired).toBe(1);
      }),
      RUNS,
    );
  });
});
