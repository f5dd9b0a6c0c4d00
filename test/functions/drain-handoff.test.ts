/**
 * The drain handoff end to end over the emulators and dynalite: the spot-interruption function cordons the
 * node under notice, records its decision and puts a `Drain Requested` command on the bus (PutEvents to the
 * EventBridge emulator on 127.0.0.1); the local stack delivers it, as the drain function's rule does, to the
 * real drain handler (middy, Powertools idempotency, the event schema), which drains the node, removes the
 * instance under the fleet's lease and completes the decision's audit record. Redelivered and forged
 * commands change nothing; a malformed one is rejected with its reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SPOT_NOTICE_SECONDS, type WorldInstance } from '../../local/emulators/world.ts';
import type { DeliveredEvent } from '../../local/stack.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { spotWarning } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function takeBack(h: Harness, poolId: string): WorldInstance {
  const i = h.world.instancesOf(poolId)[0]!;
  h.world.interrupt(i, 'spot', SPOT_NOTICE_SECONDS[i.cloud]);
  return i;
}

/** The drain commands the bus received, as EventBridge delivers them. */
function commands(h: Harness): DeliveredEvent[] {
  return h.stack.aws.events.received
    .filter((e) => e.source === DRAIN_SOURCE && e['detail-type'] === DRAIN_DETAIL_TYPE)
    .map(({ eventBusName: _b, ...e }) => e);
}

const terminations = (h: Harness) => h.world.callsTo('ec2', 'TerminateInstances').length;

describe('drain handoff (spot-interruption -> bus -> drain function)', () => {
  it('the decision cordons and hands off; the drain function drains, removes and completes the audit record', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, drains: 'invoke' });
    const victim = takeBack(h, 'aws-g5-spot');
    const id = crypto.randomUUID();
    const result = await h.invoke('spot-interruption', spotWarning(victim, id));
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET }] });

    // One command on the bus, for the instance, naming the decision.
    const sent = commands(h);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.detail).toMatchObject({
      commandId: `${id}#drain#${victim.id}`,
      fleetId: FLEET,
      decision: { eventId: id, fn: 'spot-interruption' },
      noticeEventId: id,
      instanceId: victim.id,
      poolId: 'aws-g5-spot',
      node: victim.nodeName,
      deadline: new Date(T0 + 120_000).toISOString(),
    });

    await h.stack.idle();
    expect(h.stack.deadLetters).toEqual([]);
    // Drained (no pod of the fleet left on the node) and removed (EC2 Fleet's removal ends the instance).
    const pods = h.stack.kubernetes
      .get('gpu-demo')!
      .state.podRecords({ namespace: 'inference', nodeName: victim.nodeName });
    expect(pods).toEqual([]);
    expect(h.world.callsTo('ec2', 'TerminateInstances').map((c) => JSON.stringify(c.params))).toEqual([
      expect.stringContaining(victim.id),
    ]);
    // One audit record: the decision's, with the handoff and, completed by the drain function, the drain and
    // the removal.
    const audits = await h.audits();
    expect(audits).toHaveLength(1);
    const actions = audits[0]!.outcome.applied.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['drain-handoff', 'drain', 'remove-instance']));
    expect(audits[0]!.outcome.status).toBe('applied');
  });

  it('a redelivered command acts once; a second command for the same drain removes nothing more', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, drains: 'invoke' });
    const victim = takeBack(h, 'aws-g5-spot');
    await h.invoke('spot-interruption', spotWarning(victim));
    await h.stack.idle();
    expect(terminations(h)).toBe(1);
    const [command] = commands(h);
    // The same delivery again (EventBridge delivers at least once): the idempotency record answers it.
    const again = await h.invoke('drain', command);
    expect(again).toMatchObject({ status: 'drain', outcome: 'drained', removed: true });
    // The same command published again under another EventBridge id: the same command id, answered alike.
    await h.invoke('drain', { ...command, id: crypto.randomUUID() });
    // Another command id for the same drain: drained again (an empty node), the removal already in the audit.
    const detail = { ...(command!.detail as Record<string, unknown>), commandId: `${crypto.randomUUID()}#drain` };
    const other = await h.invoke('drain', { ...command, id: crypto.randomUUID(), detail });
    expect(other).toMatchObject({ status: 'drain', removed: false });
    expect(terminations(h)).toBe(1);
    expect(h.world.callsTo('ec2', 'ModifyFleet').length).toBeLessThanOrEqual(1);
  });

  it('a malformed command is rejected with its reason; a forged one changes no capacity', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2 }, drains: 'invoke' });
    const victim = h.world.instancesOf('aws-g5-spot')[0]!;
    const envelope = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': DRAIN_DETAIL_TYPE,
      source: DRAIN_SOURCE,
      account: '123456789012',
      time: new Date(T0).toISOString(),
      region: 'us-east-1',
      resources: [],
    };
    const detail = {
      commandId: `forged#drain#${victim.id}`,
      fleetId: FLEET,
      decision: { eventId: 'forged', at: new Date(T0).toISOString(), fn: 'spot-interruption' },
      noticeEventId: 'forged',
      cluster: 'gpu-demo',
      node: victim.nodeName,
      instanceId: victim.id,
      poolId: 'aws-g5-spot',
      deadline: new Date(T0 + 120_000).toISOString(),
      reason: 'spot warning',
      removeReason: 'drained',
    };
    const writes = h.writes().length;
    const { node: _n, ...noNode } = detail;
    const malformed = await h.invoke('drain', { ...envelope, detail: noNode });
    expect(malformed).toMatchObject({ status: 'rejected', path: 'detail.node' });
    // Valid in form, but no decision of the fleet planned this drain: nothing is drained or removed.
    const forged = await h.invoke('drain', { ...envelope, id: crypto.randomUUID(), detail });
    expect(forged).toMatchObject({ status: 'rejected' });
    expect((forged as { reason: string }).reason).toMatch(/no drain planned/);
    expect(h.writes().length).toBe(writes);
    const rejected = await h.rejected();
    expect(rejected.map((r) => r.fn)).toEqual(['drain', 'drain']);
    expect(rejected.every((r) => r.reason.length > 0)).toBe(true);
  });
});
