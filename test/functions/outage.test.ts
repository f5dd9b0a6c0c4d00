/**
 * A cloud API outage: a pool that cannot be described keeps its last known count for everything that
 * depends on it (the engine does not count its nodes as lost, the Deployment keeps their replicas), the
 * decision is `partial`, and the event is retried (an API that is down is worth a retry).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { utilizationAlarm } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const replicas = (h: Harness) =>
  h.stack.kubernetes.get('gpu-demo')!.state.deploymentStatus('inference', 'llm-server')!.desired;

describe('a pool its cloud cannot describe', () => {
  it('keeps its last known count: the Deployment is not shrunk, the result is partial and retried', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, 'azure-a100-spot': 2 }, block: null });
    // A first decision at a steady load observes every pool (and remembers their counts).
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 70);
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 70);
    await h.invoke('alarm', utilizationAlarm(T0, 70));
    const before = replicas(h);
    const desired = h.desired();
    expect(before).toBeGreaterThan(0);

    // Azure's API is down for every call of the next decision.
    h.world.faults.inject({ service: 'arm', kind: 'server-error', times: 1000 });
    const id = crypto.randomUUID();
    await expect(h.invoke('alarm', utilizationAlarm(T0 + 60_000, 70, { id }))).rejects.toThrow();
    expect(replicas(h)).toBe(before);
    expect(h.desired()['azure-a100-spot']).toBe(desired['azure-a100-spot']);
    const audit = await h.audit(id);
    expect(audit?.outcome.status).toBe('partial');
    expect(audit?.outcome.failed).toContainEqual(
      expect.objectContaining({ poolId: 'azure-a100-spot', action: 'describe' }),
    );
    // The engine saw the Azure pool at its last known count, pinned.
    const plan = audit!.plan as { pools: Array<{ poolId: string; current: number; target: number }> };
    expect(plan.pools.find((p) => p.poolId === 'azure-a100-spot')).toMatchObject({ current: 2, target: 2 });
  });

  it('never observed: the Deployment is left as it is', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'azure-a100-spot': 2 }, block: null });
    const before = replicas(h);
    h.world.faults.inject({ service: 'arm', kind: 'server-error', times: 1000 });
    await expect(h.invoke('alarm', utilizationAlarm(T0, 140))).rejects.toThrow();
    expect(replicas(h)).toBe(before);
  });
});
