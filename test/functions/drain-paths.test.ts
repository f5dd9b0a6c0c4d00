/**
 * Every path that drains hands its drains to the drain function, end to end over the emulators and dynalite
 * (`drains: 'invoke'`: the local stack delivers each `Drain Requested` command to the real drain handler, as
 * the function's rule does): the capacity-reservation function on a reservation's interruption and the ops
 * function on an operator's drain each cordon the node, record their decision and publish one command; the
 * drain function drains (and, for an interrupted instance, removes) and completes the decision's audit record.
 * A redelivered event publishes no second command, a dry run publishes none, and a stale or refuted command
 * changes no capacity.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorldInstance } from '../../local/emulators/world.ts';
import type { DeliveredEvent } from '../../local/stack.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { ACTOR, command, sample } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const BLOCK_POOL = 'aws-p5-capacity-block';
/** The block's instances are taken back ten minutes after the warning. */
const NOTICE_SECONDS = 600;

/** The drain commands the bus received, as EventBridge delivers them. */
function commands(h: Harness): DeliveredEvent[] {
  return h.stack.aws.events.received
    .filter((e) => e.source === DRAIN_SOURCE && e['detail-type'] === DRAIN_DETAIL_TYPE)
    .map(({ eventBusName: _b, ...e }) => e);
}

/** A Capacity Block's interruption warning for one of its instances, as EC2 sends it. */
function blockInterruption(h: Harness, id: string): { event: unknown; instance: WorldInstance } {
  const instance = h.world.instancesOf(BLOCK_POOL)[0]!;
  h.world.interrupt(instance, 'reservation', NOTICE_SECONDS);
  const event = sample('aws-capacity-reservation-interruption', 'valid', {
    at: T0,
    id,
    replace: { 'i-07a8b9c0d1e2f3a4b': instance.id, 'us-east-2': 'us-east-1', use2: 'use1' },
  });
  const detail = (event as { detail: Record<string, unknown> }).detail;
  detail['instance-termination-time'] = new Date(T0 + NOTICE_SECONDS * 1000).toISOString();
  return { event, instance };
}

const pods = (h: Harness, node: string | undefined) =>
  h.stack.kubernetes.get('gpu-demo')!.state.podRecords({ namespace: 'inference', nodeName: node });

type Path = 'capacity-reservation' | 'ops';

/** The deciding event of a path (a fresh id each), and the node it drains. */
function decidingEvent(
  h: Harness,
  path: Path,
  id: string,
): { fn: Path; event: unknown; node: string; instance: string } {
  if (path === 'capacity-reservation') {
    const { event, instance } = blockInterruption(h, id);
    return { fn: path, event, node: instance.nodeName!, instance: instance.id };
  }
  const instance = h.world.instancesOf('aws-g5-ondemand')[0]!;
  const event = command(
    { command: 'drain', node: instance.nodeName, actor: ACTOR, reason: 'bad GPU', requestId: id },
    T0,
  );
  return { fn: path, event, node: instance.nodeName!, instance: instance.id };
}

const DESIRED = { 'aws-g5-ondemand': 2, [BLOCK_POOL]: 1 };

describe('every path hands its drains to the drain function', () => {
  const cases: Array<{ name: string; path: Path; removes: boolean; fn: string }> = [
    {
      name: "a Capacity Block's interruption (capacity-reservation)",
      path: 'capacity-reservation',
      removes: true,
      fn: 'capacity-reservation',
    },
    { name: "an operator's drain (ops)", path: 'ops', removes: false, fn: 'ops' },
  ];

  it.each(cases)(
    '$name: cordoned, recorded and one command published; drained and completed by the drain function',
    async (c) => {
      h = await startHarness({ desired: DESIRED, drains: 'invoke' });
      const id = crypto.randomUUID();
      const d = decidingEvent(h, c.path, id);
      const removals = () => h!.world.callsTo('autoscaling', 'TerminateInstanceInAutoScalingGroup').length;
      const before = h.world.instance(d.instance)!.state;
      const result = await h.invoke(d.fn, d.event);
      expect(['decided', 'ops']).toContain(result.status);
      if (c.path === 'ops')
        expect(result).toMatchObject({ ok: true, message: expect.stringContaining('handed to the drain function') });
      // Cordoned by the decision, before the drain function runs.
      expect(h.stack.kubernetes.get('gpu-demo')!.state.nodeOverlay(d.node)?.unschedulable).toBe(true);
      const sent = commands(h);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.detail).toMatchObject({ fleetId: FLEET, decision: { eventId: id, fn: c.fn }, node: d.node });
      if (c.removes)
        expect(sent[0]!.detail).toMatchObject({ instanceId: d.instance, removeReason: expect.any(String) });
      else expect(sent[0]!.detail).not.toHaveProperty('instanceId');

      await h.stack.idle();
      expect(h.stack.deadLetters).toEqual([]);
      expect(pods(h, d.node)).toEqual([]);
      // A reservation's instance is removed once drained; an operator's node stays (cordoned, empty).
      expect(removals()).toBe(c.removes ? 1 : 0);
      if (!c.removes) expect(h.world.instance(d.instance)?.state).toBe(before);
      // The decision's audit record: the drain requested, then completed by the drain function.
      const audit = await h.audit(id);
      const actions = audit!.outcome.applied.map((a) => a.action);
      expect(actions).toEqual(
        expect.arrayContaining(['drain-handoff', 'drain', ...(c.removes ? ['remove-instance'] : [])]),
      );
      expect(actions.indexOf('drain-handoff')).toBeLessThan(actions.indexOf('drain'));
      expect(audit!.outcome.failed).toEqual([]);
    },
  );

  it.each(cases)('$name, redelivered: no second command; the command redelivered drains nothing twice', async (c) => {
    h = await startHarness({ desired: DESIRED, drains: 'invoke' });
    const id = crypto.randomUUID();
    const d = decidingEvent(h, c.path, id);
    await h.invoke(d.fn, d.event);
    await h.stack.idle();
    const evictions = h.world.callsTo('kubernetes', 'pods.eviction.create').length;
    const terminations = h.world.callsTo('autoscaling', 'TerminateInstanceInAutoScalingGroup').length;
    // The same event again (at-least-once delivery): answered by its idempotency record.
    await h.invoke(d.fn, d.event);
    await h.stack.idle();
    expect(commands(h)).toHaveLength(1);
    // The command again, under another EventBridge id: the same command id, answered alike.
    const [sent] = commands(h);
    await h.invoke('drain', { ...sent, id: crypto.randomUUID() });
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create').length).toBe(evictions);
    expect(h.world.callsTo('autoscaling', 'TerminateInstanceInAutoScalingGroup').length).toBe(terminations);
    const audit = await h.audit(id);
    expect(audit!.outcome.applied.filter((a) => a.action === 'drain')).toHaveLength(1);
  });
});

describe("an operator's drain command", () => {
  it('as a dry run publishes nothing and changes nothing', async () => {
    h = await startHarness({ desired: DESIRED, drains: 'invoke' });
    const d = decidingEvent(h, 'ops', crypto.randomUUID());
    const r = await h.invoke('ops', { ...(d.event as object), dryRun: true });
    expect(r).toMatchObject({ status: 'ops', ok: true, message: expect.stringContaining('would') });
    await h.stack.idle();
    expect(commands(h)).toEqual([]);
    expect(h.writes()).toEqual([]);
  });

  /** One operator drain decided, its command taken off the bus and not delivered: what a test then sends. */
  async function handedOff() {
    const taken: DeliveredEvent[] = [];
    h = await startHarness({ desired: DESIRED, drains: (e) => taken.push(e) });
    const id = crypto.randomUUID();
    const d = decidingEvent(h!, 'ops', id);
    await h!.invoke('ops', d.event);
    await new Promise((r) => setImmediate(r));
    expect(taken).toHaveLength(1);
    const { eventBusName: _b, ...command } = taken[0]! as DeliveredEvent & { eventBusName?: string };
    return { h: h!, id, node: d.node, command: command as DeliveredEvent & { detail: Record<string, unknown> } };
  }

  const cases: Array<{
    name: string;
    /** What changes before the command is delivered, or the command as delivered. */
    change: (x: Awaited<ReturnType<typeof handedOff>>) => Promise<Record<string, unknown>>;
    status: 'rejected' | 'drain';
    reason: RegExp;
    path?: string;
  }> = [
    {
      name: 'the node made schedulable again since the decision: skipped, nothing evicted',
      change: async (x) => {
        await x.h.stack.deps.clouds.cluster('gpu-demo')!.uncordon(x.node, 'the operator changed their mind');
        return x.command.detail;
      },
      status: 'drain',
      reason: /schedulable again/,
    },
    {
      name: 'a command no audit record lists (forged): rejected',
      change: async (x) => ({ ...x.command.detail, commandId: `${crypto.randomUUID()}#drain#${x.node}` }),
      status: 'rejected',
      reason: /hands off no drain/,
    },
    {
      name: 'another node than the decision handed off: rejected',
      change: async (x) => ({ ...x.command.detail, node: x.h.world.instancesOf('aws-g5-ondemand')[1]!.nodeName }),
      status: 'rejected',
      reason: /hands off no drain of node/,
    },
    {
      name: 'a decision that does not exist: rejected',
      change: async (x) => ({
        ...x.command.detail,
        decision: { ...(x.command.detail.decision as object), eventId: 'no-such-decision' },
      }),
      status: 'rejected',
      reason: /was not found/,
    },
    {
      name: 'an instance without its pool and notice (malformed): rejected with the field',
      change: async (x) => ({ ...x.command.detail, instanceId: 'i-0123456789abcdef0' }),
      status: 'rejected',
      reason: /poolId|required/,
      path: 'detail.poolId',
    },
  ];
  it.each(cases)('$name', async (c) => {
    const x = await handedOff();
    const detail = await c.change(x);
    const writes = x.h.writes().length;
    const evictions = x.h.world.callsTo('kubernetes', 'pods.eviction.create').length;
    const r = await x.h.invoke('drain', { ...x.command, id: crypto.randomUUID(), detail });
    expect(r.status).toBe(c.status);
    if (r.status === 'drain') expect(r).toMatchObject({ outcome: 'skipped', skipped: expect.stringMatching(c.reason) });
    else {
      expect((r as { reason: string }).reason).toMatch(c.reason);
      if (c.path) expect(r).toMatchObject({ path: c.path });
      // Kept, with its reason.
      const rejected = await x.h.rejected();
      expect(rejected).toEqual([expect.objectContaining({ fn: 'drain', reason: expect.stringMatching(c.reason) })]);
    }
    // No capacity changed, no pod evicted.
    expect(x.h.world.callsTo('kubernetes', 'pods.eviction.create').length).toBe(evictions);
    expect(x.h.writes().length).toBe(writes);
  });
});
