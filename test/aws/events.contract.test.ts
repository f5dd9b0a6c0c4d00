/**
 * Contract tests: the events port through the real EventBridge client against the emulator, and the
 * per-entry retry rules against a recording fake (the emulator, like EventBridge, never throttles single
 * entries on demand).
 */
import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsEvents, PUT_EVENTS_BATCH } from '../../shared/adapters/aws/index.ts';
import { CloudError, PartialPublishError } from '../../shared/domain/errors.ts';
import type { DecisionEvent } from '../../shared/domain/ports.ts';
import { type Env, startEnv } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function decisions(n: number): DecisionEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    source: 'gpu-autoscaler',
    detailType: 'Scaling Decision',
    detail: { fleet: 'llama-70b', seq: i, pools: [{ id: 'aws-g5-spot', from: 5, to: 6 }] },
    time: new Date(Date.UTC(2025, 2, 3, 9, 0, i)).toISOString(),
  }));
}

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

describe('EventBridge PutEvents through the emulator', () => {
  it('sends 25 events in batches of 10: 3 calls, every event received in order', async () => {
    env = await startEnv({ adapter: { eventBusName: 'gpu-autoscaler' } });
    await env.aws.events.publish(decisions(25));
    const calls = env.world.callsTo('events', 'PutEvents');
    expect(PUT_EVENTS_BATCH).toBe(10);
    expect(calls.map((c) => (c.params as { body: { Entries: unknown[] } }).body.Entries.length)).toEqual([10, 10, 5]);
    const received = env.emulator.events.received;
    expect(received.map((e) => (e.detail as { seq: number }).seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(received[3]).toMatchObject({
      version: '0',
      source: 'gpu-autoscaler',
      'detail-type': 'Scaling Decision',
      region: 'us-east-1',
      account: '123456789012',
      time: '2025-03-03T09:00:03Z',
      eventBusName: 'gpu-autoscaler',
      detail: { fleet: 'llama-70b', pools: [{ id: 'aws-g5-spot', from: 5, to: 6 }] },
    });
  });

  it('reports refused entries by position after sending every batch', async () => {
    env = await startEnv();
    const events = decisions(12);
    events[3] = { ...events[3]!, source: '' };
    events[11] = { ...events[11]!, detailType: '' };
    const e = await rejection(env.aws.events.publish(events));
    expect(e).toMatchObject({ kind: 'invalid', code: 'InvalidArgument', cloud: 'aws' });
    // Typed: the refused entries by position (the others are on the bus).
    expect(e).toBeInstanceOf(PartialPublishError);
    expect(e).toMatchObject({ refused: [3, 11], total: 12 });
    expect(e.message).toContain('2 of 12 entries failed');
    expect(e.message).toContain('#3 Scaling Decision: InvalidArgument (Parameter Source is not valid');
    expect(e.message).toContain('#11 : InvalidArgument (Parameter DetailType is not valid');
    // Both batches went out once (a refused entry is not retried); the 10 good events arrived.
    expect(env.world.callsTo('events', 'PutEvents')).toHaveLength(2);
    expect(env.emulator.events.received).toHaveLength(10);
  });

  it('retries a throttled call (the SDK does) and delivers once', async () => {
    env = await startEnv();
    env.world.faults.inject({ service: 'events', operation: 'PutEvents', kind: 'throttle' });
    await env.aws.events.publish(decisions(3));
    expect(env.world.callsTo('events', 'PutEvents')).toHaveLength(2);
    expect(env.emulator.events.received).toHaveLength(3);
  });

  it('a call refused on every attempt is throttled with the EventBridge code', async () => {
    env = await startEnv();
    env.world.faults.inject({ service: 'events', operation: 'PutEvents', kind: 'throttle', times: 3 });
    const e = await rejection(env.aws.events.publish(decisions(1)));
    expect(e).toMatchObject({ kind: 'throttled', code: 'ThrottlingException', status: 400 });
  });

  it('entries the bus refuses one by one (every attempt): named by position, the others delivered', async () => {
    env = await startEnv();
    env.emulator.events.refuse((e) =>
      [2, 4].includes(e.detail.seq as number) ? { code: 'InternalFailure', message: 'internal' } : undefined,
    );
    const e = await rejection(env.aws.events.publish(decisions(5)));
    expect(e).toBeInstanceOf(PartialPublishError);
    expect(e).toMatchObject({ refused: [2, 4], total: 5, kind: 'transient', code: 'InternalFailure' });
    expect(env.emulator.events.received.map((r) => (r.detail as { seq: number }).seq)).toEqual([0, 1, 3]);
    env.emulator.events.refuse(undefined);
    await env.aws.events.publish(decisions(1));
    expect(env.emulator.events.received).toHaveLength(4);
  });

  it('a call refused whole (throttled on every attempt) refuses its batch only: the next batch is sent', async () => {
    env = await startEnv();
    env.world.faults.inject({ service: 'events', operation: 'PutEvents', kind: 'throttle', times: 3 });
    const e = await rejection(env.aws.events.publish(decisions(12)));
    expect(e).toBeInstanceOf(PartialPublishError);
    // Answered on the SDK's retries: the first sending's fate is not known.
    const first = Array.from({ length: 10 }, (_, i) => i);
    expect(e).toMatchObject({ kind: 'throttled', refused: first, unknown: first, total: 12 });
    expect(env.emulator.events.received.map((r) => (r.detail as { seq: number }).seq)).toEqual([10, 11]);
  });

  // A call that fails without the bus's answer may have been taken: its entries are `unknown` (a caller acts
  // on them only where a second actor cannot act as well); a call the bus answered, once, refused them.
  const fates: Array<{
    name: string;
    arm: (env: Env) => void;
    unknown: number[];
    received: number;
  }> = [
    {
      name: 'taken, then the answer lost (and every retry unanswered)',
      arm: (env) => {
        env.world.faults.inject({ service: 'events', kind: 'timeout', served: true, delayMs: 20 });
        env.world.faults.inject({ service: 'events', kind: 'timeout', delayMs: 20, times: 10 });
      },
      unknown: [0, 1],
      received: 2,
    },
    {
      name: 'never answered',
      arm: (env) => env.world.faults.inject({ service: 'events', kind: 'timeout', delayMs: 20, times: 10 }),
      unknown: [0, 1],
      received: 0,
    },
    {
      name: 'refused with an answer on its only attempt',
      arm: (env) => env.world.faults.inject({ service: 'events', kind: 'unauthorized' }),
      unknown: [],
      received: 0,
    },
  ];
  it.each(fates)('a call $name: refused [0, 1], unknown as it says', async (c) => {
    env = await startEnv();
    c.arm(env);
    const e = await rejection(env.aws.events.publish(decisions(2)));
    expect(e).toBeInstanceOf(PartialPublishError);
    expect(e).toMatchObject({ refused: [0, 1], unknown: c.unknown, total: 2 });
    expect(env.emulator.events.received).toHaveLength(c.received);
  });

  it('publishing nothing makes no call', async () => {
    env = await startEnv();
    await env.aws.events.publish([]);
    expect(env.world.callsTo('events')).toHaveLength(0);
  });
});

/** A fake EventBridge: answers each PutEvents from a script, records what was sent. */
function fakeBus(script: Array<(entries: number) => PutEventsCommandOutput>) {
  const sent: number[][] = [];
  const client = {
    send: async (cmd: PutEventsCommand) => {
      const entries = cmd.input.Entries ?? [];
      sent.push(entries.map((e) => JSON.parse(e.Detail ?? '{}').seq as number));
      const answer = script.shift();
      if (!answer) throw new Error('no scripted answer left');
      return answer(entries.length);
    },
  };
  return { sent, source: { events: () => client as never } };
}

function answer(errors: Array<string | undefined>): PutEventsCommandOutput {
  return {
    $metadata: {},
    FailedEntryCount: errors.filter(Boolean).length,
    Entries: errors.map((code, i) =>
      code ? { ErrorCode: code, ErrorMessage: `${code} message` } : { EventId: `id-${i}` },
    ),
  };
}

describe('entries refused one by one', () => {
  it('sends again only the entries refused for throttling, then succeeds', async () => {
    const bus = fakeBus([
      (n) => answer(Array.from({ length: n }, (_, i) => (i === 1 ? 'ThrottlingException' : undefined))),
      (n) => answer(Array(n).fill(undefined)),
    ]);
    await new AwsEvents(bus.source, { baseDelayMs: 1 }).publish(decisions(3));
    expect(bus.sent).toEqual([[0, 1, 2], [1]]);
  });

  it('gives up after maxAttempts on an entry that keeps failing (transient)', async () => {
    const fail = () => answer(['InternalFailure']);
    const bus = fakeBus([fail, fail, fail]);
    const e = await rejection(new AwsEvents(bus.source, { baseDelayMs: 1, maxAttempts: 3 }).publish(decisions(1)));
    expect(e).toMatchObject({ kind: 'transient', code: 'InternalFailure' });
    expect(bus.sent).toHaveLength(3);
  });

  it('a resend that fails without an answer: only the entry resent is refused (unknown), the other is on the bus', async () => {
    const bus = fakeBus([
      () => answer([undefined, 'ThrottlingException']),
      () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    ]);
    const e = await rejection(new AwsEvents(bus.source, { baseDelayMs: 1 }).publish(decisions(2)));
    expect(e).toMatchObject({ refused: [1], unknown: [1], total: 2, kind: 'transient' });
    expect(bus.sent).toEqual([[0, 1], [1]]);
  });

  it('a malformed entry beside a throttled one: invalid wins the kind, the throttled one is retried', async () => {
    const bus = fakeBus([() => answer(['MalformedDetail', 'ThrottlingException']), () => answer([undefined])]);
    const e = await rejection(new AwsEvents(bus.source, { baseDelayMs: 1 }).publish(decisions(2)));
    expect(e).toMatchObject({ kind: 'invalid', code: 'MalformedDetail' });
    expect(bus.sent).toEqual([[0, 1], [1]]);
  });
});
