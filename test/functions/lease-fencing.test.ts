/**
 * Fencing: an invocation held past its fleet lease (here: its first resize takes longer than the lease, which
 * expires, and another invocation takes it) makes no further cloud write, records the writes it did not make,
 * and cannot save its state; the event is retried. A write checks the lease against the time it was taken
 * (renewing it past half its time), so the stall is time passing on the invocation's clock too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../shared/app/deps.ts';
import type { CapacityPort } from '../../shared/domain/ports.ts';
import { localContext } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { utilizationAlarm } from './support.ts';
import { localHandler } from '../../local/handler.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an invocation held past its lease', () => {
  it('writes nothing after another invocation took the lease, and says so', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: null });
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
    const deps = h.stack.deps;
    const ttl = 150_000;
    let stolen = false;
    const writesAfterSteal: string[] = [];
    const stall = (port: CapacityPort): CapacityPort => ({
      ...port,
      describePool: port.describePool.bind(port),
      setDesired: async (ref, req) => {
        if (stolen) writesAfterSteal.push(ref.id);
        const r = await port.setDesired(ref, req);
        if (!stolen) {
          // The first resize took longer than the lease: it expired, and another invocation took the fleet.
          stolen = true;
          h!.world.advance(ttl / 1000 + 1);
          await deps.store.acquireLease(FLEET, 'newer-invocation', deps.clock(), ttl);
        }
        return r;
      },
    });
    const held: AppDeps = {
      ...deps,
      leaseTtlMs: ttl,
      clouds: {
        capacityFor: (pool) => {
          const port = deps.clouds.capacityFor(pool);
          return port ? stall(port) : undefined;
        },
        cluster: (name) => deps.clouds.cluster(name),
      },
    };
    const handler = localHandler({ trigger: 'alarm', deps: async () => held });
    const scalesBefore = h.world.callsTo('kubernetes').filter((c) => /scale/.test(c.operation)).length;

    // Retried: the lease was lost, so neither the remaining writes nor the state were made.
    await expect(handler(utilizationAlarm(T0, 140), localContext('alarm'))).rejects.toThrow();
    expect(stolen).toBe(true);
    expect(writesAfterSteal).toEqual([]);
    // The Deployment was not scaled by the stale invocation.
    expect(h.world.callsTo('kubernetes').filter((c) => /scale/.test(c.operation)).length).toBe(scalesBefore);
    expect((await deps.store.getState(FLEET)).version).toBe(0);
  });
});
