/**
 * Invocations parked on the simulated clock (local/sim/parked.ts): one that waits for a drain's start is
 * left parked and followed on once the clock gets there; one that does not wait ends at once; drains are let
 * go in order, and every wait at the end of a run.
 */
import { describe, expect, it } from 'vitest';
import type { DrainOutcome, PendingDrain } from '../../shared/app/drains.ts';
import { SimulatedWaits } from '../../local/sim/parked.ts';

/** An invocation with one drain that waits until `at` (as execute.ts's startDrain does), then ends. */
function invocation(waits: SimulatedWaits<string>, log: string[], name: string, at: number | undefined) {
  return async () => {
    const drain = { action: {}, cluster: 'c', node: name, removals: [] } as unknown as PendingDrain;
    drain.done = (async (): Promise<DrainOutcome> => {
      if (at !== undefined) {
        drain.waitingUntil = at;
        await waits.waitUntil(at);
        drain.waitingUntil = undefined;
      }
      log.push(`${name} drained`);
      return { result: { node: name, evicted: [], remaining: [], complete: true } };
    })().then((o) => {
      drain.settled = o;
      return o;
    });
    log.push(`${name} decided`);
    waits.parked([drain]);
    await drain.done;
    log.push(`${name} removed`);
    return name;
  };
}

describe('SimulatedWaits', () => {
  it('parks an invocation until the clock reaches its drain, then follows it to its end', async () => {
    let now = 0;
    const waits = new SimulatedWaits<string>(() => now);
    const log: string[] = [];
    const ended: string[] = [];
    expect(await waits.run(invocation(waits, log, 'a', 75), (o) => ended.push(o.result ?? 'error'))).toBe(false);
    expect(await waits.run(invocation(waits, log, 'b', 60), (o) => ended.push(o.result ?? 'error'))).toBe(false);
    expect(await waits.run(invocation(waits, log, 'c', undefined), (o) => ended.push(o.result ?? 'error'))).toBe(true);
    expect(waits.waiting).toBe(2);
    now = 60;
    await waits.resume();
    expect(ended).toEqual(['c', 'b']);
    now = 120;
    await waits.resume();
    expect(ended).toEqual(['c', 'b', 'a']);
    expect(log).toEqual([
      'a decided',
      'b decided',
      // c's drain does not wait: it runs as soon as it starts.
      'c drained',
      'c decided',
      'c removed',
      'b drained',
      'b removed',
      'a drained',
      'a removed',
    ]);
  });

  it('lets every wait go at the end of a run', async () => {
    const waits = new SimulatedWaits<string>(() => 0);
    const log: string[] = [];
    const ended: string[] = [];
    await waits.run(invocation(waits, log, 'a', 1_000), (o) => ended.push(o.result ?? 'error'));
    await waits.finish();
    expect(ended).toEqual(['a']);
    expect(waits.waiting).toBe(0);
  });

  it('reports an invocation that throws', async () => {
    const waits = new SimulatedWaits<string>(() => 0);
    let error: unknown;
    const ended = await waits.run(
      async () => {
        throw new Error('boom');
      },
      (o) => {
        error = o.error;
      },
    );
    expect(ended).toBe(true);
    expect((error as Error).message).toBe('boom');
  });
});
