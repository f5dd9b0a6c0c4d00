/**
 * A drain command acts once, whichever path runs it, end to end over the emulators and dynalite: the
 * spot-interruption function cordons the node under notice and publishes its `Drain Requested` command; when
 * that PutEvents fails, the deciding invocation drains the command itself, and the drain function may also
 * receive it (the bus took it before the call failed). Each path takes the command's claim in the state store
 * first; the one that finds it taken does nothing and says so. Each case counts every drain of the node and
 * every termination of its instance, by whoever makes them.
 */
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SPOT_NOTICE_SECONDS, type WorldInstance } from '../../local/emulators/world.ts';
import type { DeliveredEvent } from '../../local/stack.ts';
import { drainCommandId } from '../../shared/app/handoff.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import type { HandlerResult } from '../../shared/runtime/handler.ts';
import { StaleStateError } from '../../shared/state/records.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { spotWarning } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Only the PutEvents call carrying the drain commands (the decision's own event goes in its own call). */
const drainCall = (params: unknown) =>
  ((params as { body?: { Entries?: Array<{ Source?: string }> } }).body?.Entries ?? []).some(
    (e) => e.Source === DRAIN_SOURCE,
  );

interface World {
  h: Harness;
  victim: WorldInstance;
  /** Drains of the victim's node, by whoever makes them. */
  drains: () => number;
  terminations: () => number;
}

async function world(deliver: (e: DeliveredEvent) => void): Promise<World> {
  const harness = await startHarness({ desired: { 'aws-g5-spot': 2 }, drains: deliver });
  h = harness;
  const victim = harness.world.instancesOf('aws-g5-spot')[0]!;
  harness.world.interrupt(victim, 'spot', SPOT_NOTICE_SECONDS[victim.cloud]);
  const cluster = harness.stack.deps.clouds.cluster('gpu-demo')!;
  const drain = cluster.drain.bind(cluster);
  let drains = 0;
  cluster.drain = (node, ...rest) => {
    if (node === victim.nodeName) drains += 1;
    return drain(node, ...rest);
  };
  return {
    h: harness,
    victim,
    drains: () => drains,
    terminations: () =>
      harness.world.callsTo('ec2', 'TerminateInstances').filter((t) => JSON.stringify(t.params).includes(victim.id))
        .length,
  };
}

type Publish = 'taken-answer-lost' | 'never-answered' | 'entry-refused' | 'call-refused';

function arm(w: World, publish: Publish) {
  const faults = w.h.world.faults;
  switch (publish) {
    case 'taken-answer-lost':
      // The bus takes the commands, the answer is lost; the SDK's retries are not answered either.
      faults.inject({ service: 'events', kind: 'timeout', served: true, delayMs: 20, matches: drainCall });
      faults.inject({ service: 'events', kind: 'timeout', delayMs: 20, times: 10, matches: drainCall });
      return;
    case 'never-answered':
      faults.inject({ service: 'events', kind: 'timeout', delayMs: 20, times: 10, matches: drainCall });
      return;
    case 'entry-refused':
      w.h.stack.aws.events.refuse((e) =>
        e.source === DRAIN_SOURCE ? { code: 'InternalFailure', message: 'an internal error occurred' } : undefined,
      );
      return;
    case 'call-refused':
      // Answered with an error on its only attempt: the bus took nothing.
      faults.inject({ service: 'events', kind: 'unauthorized', matches: drainCall });
      return;
  }
}

describe('a drain command acts once, whichever path runs it', () => {
  const cases: Array<{
    name: string;
    publish: Publish;
    /** When the drain function receives the command the bus took: as the bus delivers it, or after the decision. */
    delivery: 'at-once' | 'after-the-decision';
    /** The record's entry for the command, beside its handoff (undefined: the handoff removed, every one refused). */
    entry?: 'drain-handoff-unknown' | 'drain-handoff-refused';
  }> = [
    // (1) The bug: the deciding invocation drained the command, and the drain function drained it again.
    {
      name: 'PutEvents timed out after the bus took the command, delivered at once',
      publish: 'taken-answer-lost',
      delivery: 'at-once',
    },
    {
      name: 'PutEvents timed out after the bus took the command, delivered after the deciding invocation drained it',
      publish: 'taken-answer-lost',
      delivery: 'after-the-decision',
      entry: 'drain-handoff-unknown',
    },
    // Ambiguous, and the bus did not take it: the deciding invocation drains it, through its claim.
    {
      name: 'PutEvents never answered (the bus did not take the command)',
      publish: 'never-answered',
      delivery: 'at-once',
      entry: 'drain-handoff-unknown',
    },
    // (4) A clear refusal still falls back at once.
    { name: 'the bus refused the entry', publish: 'entry-refused', delivery: 'at-once' },
    { name: 'the bus refused the call, answered once', publish: 'call-refused', delivery: 'at-once' },
  ];

  it.each(cases)('$name: drained and removed once in total', async (c) => {
    const later: DeliveredEvent[] = [];
    const runs: Array<Promise<HandlerResult>> = [];
    const w = await world((e) => {
      if (e.source !== DRAIN_SOURCE || e['detail-type'] !== DRAIN_DETAIL_TYPE) return;
      if (c.delivery === 'at-once') runs.push(w.h.invoke('drain', e));
      else later.push(e);
    });
    arm(w, c.publish);
    const id = crypto.randomUUID();
    const decided = await w.h.invoke('spot-interruption', spotWarning(w.victim, id));
    expect(decided).toMatchObject({ status: 'decided' });
    for (const e of later) runs.push(w.h.invoke('drain', e));
    const delivered = await Promise.all(runs);
    const taken = c.publish === 'taken-answer-lost';
    expect(delivered).toHaveLength(taken ? 1 : 0);

    expect(w.drains()).toBe(1);
    expect(w.terminations()).toBe(1);

    const record = (await w.h.audit(id))!;
    const of = (action: string) =>
      record.outcome.applied.filter(
        (a) => a.action === action && (a.detail as { node?: string } | undefined)?.node === w.victim.nodeName,
      );
    expect(of('drain')).toHaveLength(1);
    expect(record.outcome.applied.filter((a) => a.action === 'remove-instance')).toHaveLength(1);
    const command = drainCommandId(id, w.victim.id);
    if (taken) {
      // The path that lost the claim did nothing, and said so.
      const lost = of('drain-not-claimed');
      expect(lost).toHaveLength(1);
      expect(lost[0]!.detail).toMatchObject({ command, done: expect.any(Boolean) });
      const drainFunctionLost = delivered[0]!.status === 'drain' && delivered[0]!.outcome === 'not-claimed';
      if (c.delivery === 'after-the-decision') {
        expect(delivered[0]).toMatchObject({
          status: 'drain',
          outcome: 'not-claimed',
          removed: false,
          claim: { commandId: command, holder: { by: 'spot-interruption', done: true } },
        });
      }
      // Whoever lost, the other drained: the record's handoff entry says by whom.
      expect(of('drain-handoff-unknown')).toHaveLength(drainFunctionLost ? 1 : 0);
    } else {
      expect(of('drain-not-claimed')).toEqual([]);
    }
    if (c.entry)
      expect(of(c.entry)).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ command, drainedBy: 'decision' }) }),
      ]);
    expect(w.h.stack.deadLetters).toEqual([]);
  });
});

/** Removes the drain function's idempotency records: as after their expiry, or a delivery that died before completing its own. */
async function forgetIdempotency(h: Harness) {
  const doc = DynamoDBDocumentClient.from(h.stack.dynamo.client);
  const out = await doc.send(
    new QueryCommand({
      TableName: h.stack.dynamo.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'idempotency#drain' },
    }),
  );
  for (const item of out.Items ?? [])
    await doc.send(new DeleteCommand({ TableName: h.stack.dynamo.tableName, Key: { pk: item.pk, sk: item.sk } }));
  return out.Items?.length ?? 0;
}

describe('deliveries of one command', () => {
  it('(2) a command delivered again after its drain was done (its idempotency record gone) does nothing', async () => {
    const delivered: DeliveredEvent[] = [];
    const w = await world((e) => delivered.push(e));
    await w.h.invoke('spot-interruption', spotWarning(w.victim, crypto.randomUUID()));
    const first = await w.h.invoke('drain', delivered[0]);
    expect(first).toMatchObject({ status: 'drain', outcome: 'drained', removed: true });
    expect(await forgetIdempotency(w.h)).toBe(1);
    const again = await w.h.invoke('drain', { ...delivered[0]!, id: crypto.randomUUID() });
    expect(again).toMatchObject({
      status: 'drain',
      outcome: 'not-claimed',
      removed: false,
      claim: { holder: { by: 'drain', done: true } },
    });
    expect(w.drains()).toBe(1);
    expect(w.terminations()).toBe(1);
  });

  const holders: Array<{
    name: string;
    /** The claim another invocation holds when the command is delivered, and what becomes of it. */
    holder: { until: number; settles?: 'done' };
    outcome: 'drained' | 'not-claimed';
    drains: number;
  }> = [
    // (3) It died mid-drain: its lease is over, the delivery takes the drain over and completes it once.
    {
      name: 'a holder that died (its lease over): the delivery completes the drain once',
      holder: { until: T0 - 1 },
      outcome: 'drained',
      drains: 1,
    },
    // Acting still (the deciding invocation's fallback): the delivery waits, and finds it done.
    {
      name: 'a holder still acting, then done: the delivery waits for it and does nothing',
      holder: { until: T0 + 120_000, settles: 'done' },
      outcome: 'not-claimed',
      drains: 0,
    },
  ];

  it.each(holders)('$name', async (c) => {
    const delivered: DeliveredEvent[] = [];
    const w = await world((e) => delivered.push(e));
    const id = crypto.randomUUID();
    await w.h.invoke('spot-interruption', spotWarning(w.victim, id));
    const store = w.h.stack.deps.store;
    const commandId = drainCommandId(id, w.victim.id);
    const claim = await store.claimDrain(FLEET, {
      commandId,
      owner: 'another',
      by: 'spot-interruption',
      now: T0 - 150_000,
      until: c.holder.until,
    });
    expect(claim).toEqual({ held: true });
    if (c.holder.settles) setTimeout(() => void store.settleDrain(FLEET, commandId, 'another', c.holder.settles!), 300);
    const result = await w.h.invoke('drain', delivered[0]);
    expect(result).toMatchObject({ status: 'drain', outcome: c.outcome });
    expect(w.drains()).toBe(c.drains);
    expect(w.terminations()).toBe(c.drains);
  });
});

describe('the claim cannot be taken (the state table failing) on the deciding invocation', () => {
  const cases: Array<{ name: string; publish: Publish; drains: number }> = [
    // Nothing else has a refused command: drained all the same.
    { name: 'a refused command is drained all the same', publish: 'call-refused', drains: 1 },
    // The drain function may be draining it: left to the delivery (a node left cordoned beats one drained twice).
    { name: 'a command whose fate is unknown is left to its delivery', publish: 'never-answered', drains: 0 },
  ];
  it.each(cases)('$name, the failure recorded', async (c) => {
    const w = await world(() => undefined);
    arm(w, c.publish);
    const store = w.h.stack.deps.store;
    store.claimDrain = async () => {
      throw new StaleStateError(FLEET, 0);
    };
    const id = crypto.randomUUID();
    await w.h.invoke('spot-interruption', spotWarning(w.victim, id));
    expect(w.drains()).toBe(c.drains);
    expect(w.terminations()).toBe(c.drains);
    const record = (await w.h.audit(id))!;
    expect(record.outcome.failed).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: `drain-claim ${w.victim.nodeName}` })]),
    );
  });
});
