/**
 * The emulator's objects against real samples in ../shared/corpus/k8s (API round-trip fixtures with every
 * field set, and Karpenter's own NodePool manifests): every field we send must exist in the real object
 * with the same JSON type. Skipped when the corpus is not beside the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesEmulator } from '../../local/emulators/kubernetes/index.ts';
import { closeAll, corpusDir, karpenterWorld, raw, startCluster } from './support.ts';

const present = existsSync(corpusDir);
const load = (file: string) => JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8')) as Record<string, unknown>;

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/**
 * Fields of `ours` missing from `real` or of another type. `maps` are paths of free-form maps (labels,
 * capacity): their values are compared with the sample's first value. Arrays are compared item by item
 * with the sample's first item.
 */
function mismatches(ours: unknown, real: unknown, at: string, maps: ReadonlySet<string>): string[] {
  if (typeOf(ours) !== typeOf(real)) return [`${at}: ${typeOf(ours)}, corpus has ${typeOf(real)}`];
  if (Array.isArray(ours)) {
    const sample = (real as unknown[])[0];
    return sample === undefined ? [] : ours.flatMap((o, i) => mismatches(o, sample, `${at}[${i}]`, maps));
  }
  if (typeOf(ours) !== 'object') return [];
  const r = real as Record<string, unknown>;
  return Object.entries(ours as Record<string, unknown>).flatMap(([k, v]) => {
    if (maps.has(at)) {
      const sample = Object.values(r)[0];
      return sample === undefined ? [] : mismatches(v, sample, `${at}.${k}`, maps);
    }
    return k in r ? mismatches(v, r[k], `${at}.${k}`, maps) : [`${at}.${k}: not in the corpus`];
  });
}

const MAPS = new Set(['.metadata.labels', '.metadata.annotations', '.status.capacity', '.status.allocatable']);

describe.skipIf(!present)(
  `kubernetes emulator vs the corpus${present ? '' : ` (skipped: ${corpusDir} not found)`}`,
  () => {
    let emu: KubernetesEmulator;

    beforeAll(async () => {
      ({ emu } = await startCluster(karpenterWorld(2)));
      emu.state.addDeployment({ namespace: 'ml', name: 'llm', replicas: 1 });
    });
    afterAll(closeAll);

    it('has a comparison that catches a field the real object does not have, or a wrong type', () => {
      const real = load('core-v1-node-roundtrip-fixture.json');
      expect(mismatches({ spec: { bogus: 1, unschedulable: 'yes' } }, real, '', MAPS)).toEqual([
        '.spec.bogus: not in the corpus',
        '.spec.unschedulable: string, corpus has boolean',
      ]);
    });

    it('serves Nodes whose fields all exist in core/v1 Node with the same types', async () => {
      const real = load('core-v1-node-roundtrip-fixture.json');
      const name = emu.state.nodeViews()[0]!.name;
      await raw(
        emu,
        'PATCH',
        `/api/v1/nodes/${name}`,
        { spec: { unschedulable: true, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] } },
        'application/merge-patch+json',
      );
      const node = (await raw(emu, 'GET', `/api/v1/nodes/${name}`)).body;
      expect(node).toMatchObject({ kind: real.kind, apiVersion: real.apiVersion });
      expect(mismatches(node, real, '', MAPS)).toEqual([]);
    });

    it('serves Scales whose fields all exist in autoscaling/v1 Scale with the same types', async () => {
      const real = load('autoscaling-v1-scale-roundtrip-fixture.json');
      const scale = (await raw(emu, 'GET', '/apis/apps/v1/namespaces/ml/deployments/llm/scale')).body;
      expect(scale).toMatchObject({ kind: real.kind, apiVersion: real.apiVersion });
      expect(mismatches(scale, real, '', MAPS)).toEqual([]);
    });

    it('accepts a full policy/v1 Eviction (preconditions on the real pod, no dry run)', async () => {
      const real = load('policy-v1-eviction-roundtrip-fixture.json') as {
        metadata: Record<string, unknown>;
        deleteOptions: { preconditions: Record<string, string>; dryRun?: string[] };
      };
      const [pod] = emu.state.podRecords({ namespace: 'ml' });
      const body = structuredClone(real);
      Object.assign(body.metadata, { name: pod!.name, namespace: 'ml' });
      body.deleteOptions.preconditions = { uid: pod!.uid, resourceVersion: pod!.resourceVersion };
      delete body.deleteOptions.dryRun;
      const res = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, body);
      expect(res.status).toBe(201);
    });

    it('refuses an Eviction whose uid precondition does not match the pod, with 409', async () => {
      const [pod] = emu.state.podRecords({ namespace: 'ml' });
      const res = await raw(emu, 'POST', `/api/v1/namespaces/ml/pods/${pod!.name}/eviction`, {
        metadata: { name: pod!.name, namespace: 'ml' },
        deleteOptions: { preconditions: { uid: 'uidValue' } },
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ reason: 'Conflict' });
    });

    it.each([
      'karpenter-v1-nodepool-default-with-budgets.from-yaml.json',
      'karpenter-v1-nodepool-general-purpose.from-yaml.json',
    ])('serves the spec of the real NodePool %s back as written', async (file) => {
      const real = load(file) as { metadata: { name: string }; spec: Record<string, unknown> };
      const name = `corpus-${real.metadata.name}`;
      emu.state.addNodePool({ name, spec: real.spec });
      const np = (await raw(emu, 'GET', `/apis/karpenter.sh/v1/nodepools/${name}`)).body;
      expect(np).toMatchObject({ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', spec: real.spec });
    });

    it('serves its own NodePools with fields the real manifests have (ObjectMeta from the Node fixture)', async () => {
      const a = load('karpenter-v1-nodepool-default-with-budgets.from-yaml.json') as { spec: Record<string, unknown> };
      const b = load('karpenter-v1-nodepool-general-purpose.from-yaml.json') as { spec: Record<string, unknown> };
      const objectMeta = load('core-v1-node-roundtrip-fixture.json').metadata;
      emu.state.addNodePool({ name: 'gpu-l4', limits: { 'nvidia.com/gpu': '8' } });
      const np = (await raw(emu, 'GET', '/apis/karpenter.sh/v1/nodepools/gpu-l4')).body as {
        metadata: unknown;
        spec: Record<string, unknown>;
      };
      const reference = {
        ...b.spec,
        ...a.spec,
        template: {
          spec: { ...(b.spec.template as { spec: object }).spec, ...(a.spec.template as { spec: object }).spec },
        },
      };
      // limits are a free-form ResourceList (the sample's cpu is a number, ours are strings: both are quantities).
      expect(mismatches({ ...np.spec, limits: undefined }, { ...reference, limits: undefined }, '.spec', MAPS)).toEqual(
        [],
      );
      expect(mismatches(np.metadata, objectMeta, '.metadata', MAPS)).toEqual([]);
    });
  },
);
