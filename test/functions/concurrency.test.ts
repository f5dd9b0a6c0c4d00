/**
 * Two events for one fleet at the same time (an alarm and a forecast tick, each in its own invocation): the
 * fleet lease serializes their decisions, so the second observes what the first did (its resizes, its saved
 * state, its history) instead of acting on the same stale state; both are audited, the state version moves
 * twice, and the fleet ends where running them one after the other would have left it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import type { FunctionName } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { tick, utilizationAlarm } from './support.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** A fleet at twice its utilization target, with a day of flat demand behind the forecast. */
async function hotFleet(): Promise<Harness> {
  const h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: null });
  harnesses.push(h);
  // The test is about the lease's serialization, not about how long a waiter gives up after: on a loaded machine
  // the first decision can outlast the stack's 10 s wait, and the waiter would give up (a retryable error that
  // Lambda retries). Waiting up to the test's own timeout keeps the assertion on the order, not on the speed.
  h.stack.deps.leaseWaitMs = 25_000;
  for (let t = T0 - 25 * 3600_000; t <= T0; t += 300_000) h.metrics.add('fleet_rps', { fleet: FLEET }, t / 1000, 60);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
  return h;
}

interface Delivery {
  fn: FunctionName;
  id: string;
  event: unknown;
}

function deliveries(): Delivery[] {
  const alarmId = crypto.randomUUID();
  const tickId = crypto.randomUUID();
  return [
    { fn: 'alarm', id: alarmId, event: utilizationAlarm(T0, 140, { id: alarmId }) },
    { fn: 'forecast', id: tickId, event: tick(T0, 'forecast', tickId) },
  ];
}

describe('two concurrent events for one fleet', () => {
  it('an alarm and a forecast tick: serialized by the lease, both audited, consistent with a sequential run', async () => {
    const h = await hotFleet();
    const both = deliveries();
    const results = await Promise.all(both.map((d) => h.invoke(d.fn, d.event)));
    for (const r of results) expect(r).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET }] });

    // Both audited; the state was saved twice (version 0 -> 2): neither save was refused as stale.
    const plans = await Promise.all(both.map(async (d) => (await h.audit(d.id))!.plan as Plan));
    expect((await h.stack.deps.store.getState(FLEET)).version).toBe(2);

    // One decided first on the 4 nodes there were; the other observed the first's resizes, not 4 again.
    const [first, second] = plans[0]!.currentNodes === 4 ? [0, 1] : [1, 0];
    expect(plans[first]!.currentNodes).toBe(4);
    expect(plans[first]!.targetNodes).toBeGreaterThan(4);
    expect(plans[second]!.currentNodes).toBe(plans[first]!.targetNodes);
    // The history holds both, chained: the second started from where the first ended.
    const history = await h.stack.deps.store.loadHistory(FLEET, new Date(T0 - 3600_000));
    const entry = (d: Delivery) => history.find((e) => e.signalIds?.includes(d.id))!;
    expect(history).toHaveLength(2);
    expect(entry(both[second]!).from).toBe(entry(both[first]!).to);

    // Never beyond the limits: the fleet's maxNodes (64) and each pool's max.
    const final = h.desired();
    expect(h.totalDesired()).toBeLessThanOrEqual(64);
    for (const p of h.resolved.fleets[0]!.pools) expect(final[p.id]).toBeLessThanOrEqual(p.max);

    // The same two events one after the other, in the order the lease let them through: the same fleet.
    const s = await hotFleet();
    const again = deliveries();
    await s.invoke(again[first]!.fn, again[first]!.event);
    await s.invoke(again[second]!.fn, again[second]!.event);
    expect(final).toEqual(s.desired());
  });

  it('the same event delivered twice at once: one decision; the other delivery fails to be retried, then answers it', async () => {
    const h = await hotFleet();
    const [alarm] = deliveries();
    const settled = await Promise.allSettled([h.invoke('alarm', alarm!.event), h.invoke('alarm', alarm!.event)]);
    const done = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.filter((s) => s.status === 'rejected');
    expect(done).toHaveLength(1);
    // Powertools refuses a delivery whose twin is in progress; Lambda retries it.
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    expect((await h.audits()).filter((a) => a.eventId === alarm!.id)).toHaveLength(1);
    const writes = h.writes().length;
    // The retry gets the stored answer and does nothing.
    expect(await h.invoke('alarm', alarm!.event)).toEqual((done[0] as PromiseFulfilledResult<unknown>).value);
    expect(h.writes()).toHaveLength(writes);
  });
});
