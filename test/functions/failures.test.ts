/**
 * One cloud failing while a decision grows several: the other clouds are applied, the failure is recorded in
 * the audit record with its pool and kind, and then the outcome depends on the kind. A failure a retry can
 * fix (a 5xx, throttling) makes the handler throw once the decision is recorded, so Lambda retries the event
 * (and the retry does what is still missing); one it cannot (refused credentials) makes the result `partial`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../local/emulators/faults.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { gpusOf, utilizationAlarm } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Nodes over three clouds well above the utilization target: the plan grows Azure (the cheapest spot per
 * rps) to its max of 12, and the rest spills over to AWS.
 */
async function hotFleet(): Promise<Harness> {
  const h = await startHarness({
    desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, 'azure-a100-spot': 10, 'gcp-l4': 1 },
    block: null,
  });
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
  return h;
}

const AZURE = 'azure-a100-spot';
/** The plan grows the pool (the precondition of these tests: the failing cloud has something to do). */
const grows = (plan: Plan, poolId: string) => plan.pools.some((p) => p.poolId === poolId && p.target > p.current);
/** Every call of it fails, as long as the outage lasts. */
const outage = (kind: FaultKind) => ({
  service: 'arm',
  operation: 'virtualMachineScaleSets.update',
  kind,
  times: 1000,
});

describe('one cloud failing', () => {
  it('a persistent 5xx on Azure: AWS applied, the failure recorded as transient, the handler throws; the retry completes', async () => {
    h = await hotFleet();
    h.world.faults.inject(outage('server-error'));
    const before = h.desired();
    const id = crypto.randomUUID();
    const event = utilizationAlarm(T0, 140, { id });

    await expect(h.invoke('alarm', event)).rejects.toMatchObject({
      name: 'RetryableActionsError',
      message: expect.stringContaining(AZURE),
    });
    // The adapter retried the update itself (4 attempts) before giving up.
    expect(h.world.faults.fired.length).toBe(4);

    const audit = await h.audit(id);
    const plan = audit!.plan as Plan;
    expect(grows(plan, AZURE)).toBe(true);
    expect(audit!.outcome.status).toBe('partial');
    expect(audit!.outcome.failed).toEqual([
      expect.objectContaining({ poolId: AZURE, action: 'set-desired', kind: 'transient' }),
    ]);
    // Every other pool the plan grew was grown; Azure stayed where it was.
    const after = h.desired();
    const others = plan.pools.filter((p) => p.poolId !== AZURE && p.target > p.current);
    expect(others.length).toBeGreaterThan(0);
    for (const p of others) expect(after[p.poolId]).toBe(p.target);
    expect(after[AZURE]).toBe(before[AZURE]);

    // The outage ends; a minute later Lambda delivers the event again: decided anew (the failed attempt left
    // no idempotency record) on what the clouds now say, without a failure, and nothing done twice: the fleet
    // does not go past what the first decision recommended (the first plan itself was clipped by the
    // scale-up rate, which the retry a minute later may complete).
    h.world.faults.clear();
    h.world.advance(60);
    const retry = await h.invoke('alarm', event);
    expect(retry).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET }] });
    const audits = (await h.audits()).filter((a) => a.eventId === id);
    expect(audits).toHaveLength(2);
    expect(audits.find((a) => a.at !== audit!.at)!.outcome.failed).toEqual([]);
    const retryPlan = audits.find((a) => a.at !== audit!.at)!.plan as Plan;
    expect(retryPlan.targetNodes).toBeLessThanOrEqual(Math.max(plan.recommendedNodes, plan.targetNodes));
    expect(h.desired()[AZURE]).toBe(plan.pools.find((p) => p.poolId === AZURE)!.target);
  });

  it('Azure refusing the credentials: AWS applied, the failure recorded, a partial result (a retry would not help)', async () => {
    h = await hotFleet();
    h.world.faults.inject(outage('unauthorized'));
    const before = h.desired();
    const id = crypto.randomUUID();
    const result = await h.invoke('alarm', utilizationAlarm(T0, 140, { id }));
    expect(result).toMatchObject({ status: 'partial', decisions: [{ fleetId: FLEET, status: 'partial' }], errors: [] });
    const audit = await h.audit(id);
    expect(grows(audit!.plan as Plan, AZURE)).toBe(true);
    expect(audit!.outcome.failed).toEqual([
      expect.objectContaining({ poolId: AZURE, action: 'set-desired', kind: 'unauthorized' }),
    ]);
    expect(h.desired()[AZURE]).toBe(before[AZURE]);
    expect(h.totalDesired()).toBeGreaterThan(Object.values(before).reduce((a, b) => a + b, 0));
    // The Deployment is set as the plan says (the executor changes nothing in it): its replicas for the Azure
    // GPUs stay pending until the next decision, which observes the pools and sets the Deployment again.
    const k = h.stack.kubernetes.get('gpu-demo')!.state;
    const scale = audit!.plan!.actions.find((a) => a.type === 'scale-deployment');
    expect(k.deploymentStatus('inference', 'llm-server')!.desired).toBe(
      scale?.type === 'scale-deployment' && scale.replicas,
    );
    expect(gpusOf(h)).toBeLessThan(scale?.type === 'scale-deployment' ? scale.replicas : 0);
    // Published with the failure, for whoever watches the bus.
    const published = h.stack.published().find((e) => e.detail.eventId === id)!;
    expect(published.detail.failed).toEqual([{ poolId: AZURE, action: 'set-desired', kind: 'unauthorized' }]);
  });
});
