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

describe('capacity-reservation hands its drains to the drain function', () => {
  it("a block's interruption: cordoned and recorded here; drained, removed and completed by the drain function", async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 1, [BLOCK_POOL]: 1 }, drains: 'invoke' });
    const id = crypto.randomUUID();
    const { event, instance } = blockInterruption(h, id);
    const result = await h.invoke('capacity-reservation', event);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET }] });
    const sent = commands(h);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.detail).toMatchObject({
      fleetId: FLEET,
      decision: { eventId: id, fn: 'capacity-reservation' },
      instanceId: instance.id,
      poolId: BLOCK_POOL,
      node: instance.nodeName,
    });
    await h.stack.idle();
    expect(h.stack.deadLetters).toEqual([]);
    expect(pods(h, instance.nodeName)).toEqual([]);
    const audit = await h.audit(id);
    const actions = audit!.outcome.applied.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['drain-handoff', 'drain', 'remove-instance']));
  });
});
