/**
 * A bus that refuses some drain commands, end to end over the emulators and dynalite: two spot warnings decided
 * together (the second recorded while the fleet was busy) hand two drains off in one PutEvents; the EventBridge
 * emulator refuses the entries a case names, one by one, as EventBridge does under load. The commands it took
 * are drained by the drain function, the ones it refused by the deciding invocation itself: each node is
 * drained exactly once, and the decision's audit record says by whom.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SPOT_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { spotWarning } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The drain commands the bus accepted. */
const accepted = (h: Harness) =>
  h.stack.aws.events.received.filter((e) => e.source === DRAIN_SOURCE && e['detail-type'] === DRAIN_DETAIL_TYPE);

describe('drain commands the bus refuses are drained by the deciding invocation, the others by the drain function', () => {
  const cases: Array<{ name: string; refuse: number[] }> = [
    { name: 'none refused', refuse: [] },
    { name: 'one of two refused', refuse: [1] },
    { name: 'every one refused', refuse: [0, 1] },
  ];

  it.each(cases)('$name: each node drained exactly once, the audit record says by whom', async (c) => {
    h = await startHarness({ desired: { 'aws-g5-spot': 3 }, drains: 'invoke' });
    const victims = h.world.instancesOf('aws-g5-spot').slice(0, 2);
    for (const v of victims) h.world.interrupt(v, 'spot', SPOT_NOTICE_SECONDS[v.cloud]);
    const refused = new Set(c.refuse.map((i) => victims[i]!.id));
    // Every attempt at a refused entry fails (the adapter retries InternalFailure, then gives up).
    h.stack.aws.events.refuse((e) =>
      e.source === DRAIN_SOURCE && refused.has(e.detail.instanceId as string)
        ? { code: 'InternalFailure', message: 'an internal error occurred' }
        : undefined,
    );
    // Each node's drains, by whoever makes them.
    const cluster = h.stack.deps.clouds.cluster('gpu-demo')!;
    const drain = cluster.drain.bind(cluster);
    const drained = new Map<string, number>();
    cluster.drain = (node, ...rest) => {
      drained.set(node, (drained.get(node) ?? 0) + 1);
      return drain(node, ...rest);
    };

    // The two notices decided together: the second arrives while another invocation holds the fleet.
    const ids = victims.map(() => crypto.randomUUID());
    const store = h.stack.deps.store;
    await store.acquireLease(FLEET, 'someone', new Date(T0), 150_000, 'other-event');
    const runs = victims.map((v, i) => h!.invoke('spot-interruption', spotWarning(v, ids[i]!)));
    await vi.waitFor(async () => expect((await store.readFleet(FLEET)).notices ?? []).toHaveLength(2), {
      timeout: 10_000,
    });
    await store.releaseLease(FLEET, 'someone');
    await Promise.all(runs);
    await h.stack.idle();
    expect(h.stack.deadLetters).toEqual([]);

    // On the bus: the commands not refused, once each.
    expect(
      accepted(h)
        .map((e) => (e.detail as { instanceId: string }).instanceId)
        .sort(),
    ).toEqual(
      victims
        .filter((v) => !refused.has(v.id))
        .map((v) => v.id)
        .sort(),
    );
    // Each node drained exactly once, and its instance removed once.
    expect(Object.fromEntries(drained)).toEqual(Object.fromEntries(victims.map((v) => [v.nodeName, 1])));
    for (const v of victims)
      expect(
        h.world.callsTo('ec2', 'TerminateInstances').filter((t) => JSON.stringify(t.params).includes(v.id)),
      ).toHaveLength(1);

    // The decision's record: one drain per node, each handoff kept (the record is only appended to); a refused
    // command said so beside it (drained by the decision), an accepted one has its handoff only (its drain the
    // drain function's).
    const audits = await h.audits();
    const decided = audits.find((a) => a.outcome.applied.some((x) => x.action === 'drain'))!;
    const of = (action: string, node: string) =>
      decided.outcome.applied.filter(
        (a) => a.action === action && (a.detail as { node?: string } | undefined)?.node === node,
      );
    for (const v of victims) {
      expect(of('drain', v.nodeName!)).toHaveLength(1);
      expect(of('drain-handoff', v.nodeName!)).toHaveLength(1);
      if (refused.has(v.id))
        expect(of('drain-handoff-refused', v.nodeName!)).toEqual([
          expect.objectContaining({ detail: expect.objectContaining({ drainedBy: 'decision' }) }),
        ]);
      else expect(of('drain-handoff-refused', v.nodeName!)).toEqual([]);
    }
    expect(decided.outcome.failed).toEqual([]);
  });
});
