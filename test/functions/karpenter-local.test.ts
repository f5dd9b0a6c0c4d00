/**
 * A Karpenter NodePool pool end to end on the local stack: the seeding puts the NodePool in the Kubernetes
 * emulator of its cluster (bound to the World pool of its name), the adapter describes it from its nodes and
 * its GPU limit, and a decision that grows the pool patches the limit, which the emulator turns into nodes.
 * (It used to fail with "nodepools.karpenter.sh not found": the seeding skipped Kubernetes pools.)
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { utilizationAlarm } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function withKarpenterPool() {
  const raw = JSON.parse(await readFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)), 'utf8'));
  const fleet = raw.fleets[0];
  // The Karpenter pool is the only one that may grow: the others are at their maximum.
  for (const p of fleet.pools) p.max = p.min;
  fleet.pools.push({
    id: 'k8s-l4-karpenter',
    kind: 'karpenter-nodepool',
    resource: 'gpu-l4',
    region: 'us-east-1',
    zones: ['us-east-1a'],
    instanceType: 'g6.xlarge',
    capacityType: 'on-demand',
    min: 1,
    max: 16,
    timeToReadySeconds: 300,
    cluster: 'gpu-demo',
  });
  delete raw.$schema;
  return resolveConfig(parseConfig(raw));
}

describe('a Karpenter NodePool pool on the local stack', () => {
  it('is seeded, observed and grown through its GPU limit', async () => {
    h = await startHarness({ resolved: await withKarpenterPool(), block: null });
    const k = h.stack.kubernetes.get('gpu-demo')!.state;
    expect(k.nodePoolObject('gpu-l4')).toMatchObject({ spec: { limits: { 'nvidia.com/gpu': '1' } } });
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
    h.metrics.add('fleet_rps', { fleet: FLEET }, T0 / 1000, 80);
    const id = crypto.randomUUID();
    await h.invoke('alarm', utilizationAlarm(T0, 140, { id }));
    const audit = await h.audit(id);
    // Observed like every other pool: no describe failure.
    expect(audit!.outcome.failed.filter((f) => f.poolId === 'k8s-l4-karpenter')).toEqual([]);
    const planned = (audit!.plan as Plan).pools.find((p) => p.poolId === 'k8s-l4-karpenter')!;
    expect(planned.target).toBeGreaterThan(1);
    expect(k.nodePoolObject('gpu-l4')).toMatchObject({
      spec: { limits: { 'nvidia.com/gpu': String(planned.target) } },
    });
    expect(h.desired()['k8s-l4-karpenter']).toBe(planned.target);
  });
});
