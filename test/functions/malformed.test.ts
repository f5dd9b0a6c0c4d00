/**
 * Malformed events, one per source (`events/samples/<source>/invalid.json`), each sent to the function whose
 * rule would deliver that source: nothing changes in any cloud or in the fleet's state, no decision is
 * audited, and the event is kept in the table (REJECTED#<day>) with the reason and the field path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSamples, loadSample } from '../../events/samples.ts';
import { type FunctionName, localContext } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness } from '../support/stack.ts';
import { localHandler } from '../../local/handler.ts';

/** The function each source is delivered to (the rules and subscriptions in stacks/). */
const RECEIVER: Record<string, FunctionName> = {
  'aws-autoscaling-lifecycle': 'spot-interruption',
  'aws-autoscaling-result': 'spot-interruption',
  'aws-capacity-block': 'capacity-reservation',
  'aws-capacity-reservation-interruption': 'capacity-reservation',
  'aws-cloudwatch-alarm': 'alarm',
  'aws-cloudwatch-alarm-configuration-change': 'alarm',
  'aws-cloudwatch-alarm-lambda-action': 'alarm',
  'aws-cloudwatch-alarm-sns': 'alarm',
  'aws-ec2-fleet-instance-change': 'spot-interruption',
  'aws-ec2-fleet-notice': 'spot-interruption',
  'aws-future-capacity-reservation': 'capacity-reservation',
  'aws-health-odcr-underutilization': 'capacity-reservation',
  'aws-health-scheduled-change': 'spot-interruption',
  'aws-imds-spot-instance-action': 'spot-interruption',
  'aws-instance-state-change': 'spot-interruption',
  'aws-rebalance-recommendation': 'spot-interruption',
  'aws-scheduled-event': 'forecast',
  'aws-scheduler': 'schedule',
  'aws-spot-interruption': 'spot-interruption',
  'azure-event-grid': 'spot-interruption',
  'azure-monitor-alert': 'alarm',
  'azure-scheduled-events': 'spot-interruption',
  'azure-scheduled-events-forwarded': 'spot-interruption',
  'agent-aws-spot-instance-action': 'spot-interruption',
  'agent-aws-rebalance': 'spot-interruption',
  'agent-gce-preempted': 'spot-interruption',
  'agent-gce-maintenance': 'spot-interruption',
  'gcp-monitoring-incident': 'alarm',
  'gcp-preemption-cloudevent': 'spot-interruption',
  'gcp-preemption-logentry': 'spot-interruption',
  'gcp-preemption-pubsub': 'spot-interruption',
  'operator-command': 'ops',
};

const INVALID = listSamples().filter((s) => s.name === 'invalid');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, 'azure-a100-spot': 1, 'gcp-l4': 1 } });
});
afterAll(async () => {
  await h?.close();
});

describe('malformed events change nothing and are recorded with their reason', () => {
  it('every source with an invalid sample has a receiving function here', () => {
    expect(INVALID.length).toBeGreaterThan(0);
    expect(INVALID.map((s) => s.source).filter((s) => !(s in RECEIVER))).toEqual([]);
  });

  it.each(INVALID.map((s) => ({ source: s.source, fn: RECEIVER[s.source]! })))(
    '$source -> $fn',
    async ({ source, fn }) => {
      const desired = h.desired();
      const writes = h.writes().length;
      const published = h.stack.published().length;
      const raw = loadSample(source, 'invalid');
      const rejectedBefore = (await h.rejected()).length;

      const result = await h.invoke(fn, raw);

      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(String) });
      const { reason, path } = result as { reason: string; path?: string };
      expect(reason).toMatch(/invalid event|expected/);
      expect(path).toBeTruthy();
      // The reason names the field it is about.
      expect(reason).toContain(path!);

      expect(h.desired()).toEqual(desired);
      expect(h.writes()).toHaveLength(writes);
      expect(h.stack.published()).toHaveLength(published);
      expect(await h.audits(FLEET)).toEqual([]);
      expect((await h.stack.deps.store.getState(FLEET)).version).toBe(0);

      const rejected = await h.rejected();
      expect(rejected).toHaveLength(rejectedBefore + 1);
      const record = rejected.find((r) => r.reason === reason && r.fn === fn);
      expect(record).toMatchObject({ fn, reason, path });
      // The event itself is kept, as it came.
      expect(record!.raw).toEqual(raw);
    },
  );

  it('a well-formed event sent to the wrong function is rejected too, saying which function it is not for', async () => {
    const writes = h.writes().length;
    const result = await h.invoke('alarm', loadSample('aws-spot-interruption', 'valid'));
    expect(result).toMatchObject({
      status: 'rejected',
      reason: 'an event of type interruption is not for the alarm function (check the rule that sent it)',
    });
    expect(h.writes()).toHaveLength(writes);
    expect(await h.audits(FLEET)).toEqual([]);
  });

  // A payload nested thousands of levels deep parses in Lambda, but JSON.stringify overflows the stack on it:
  // the rejection used to fail while being stored, and the event was retried and dead-lettered.
  it('a malformed event nested 6,000 levels deep is rejected (not retried), stored in a bounded form', async () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 6000; i++) nested = { n: nested };
    const raw = { version: '0', id: 'deep-1', 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: nested };
    // Invoked directly: the harness's structuredClone would overflow on it before the handler does.
    const handler = localHandler({ trigger: 'spot-interruption', deps: async () => h.stack.deps });
    const result = await handler(raw, localContext('spot-interruption'));
    expect(result).toMatchObject({ status: 'rejected' });
    const record = (await h.rejected()).find((r) => r.eventId === 'deep-1');
    expect(record).toMatchObject({ fn: 'spot-interruption' });
    expect(JSON.stringify(record!.raw)).toContain('nested deeper than');
  });

  it('a malformed event with a 2,000-character id is rejected and stored under a bounded key, with its id', async () => {
    const id = `bad-${'z'.repeat(1996)}`;
    const result = await h.invoke('alarm', { ...(loadSample('aws-cloudwatch-alarm', 'invalid') as object), id });
    expect(result).toMatchObject({ status: 'rejected' });
    expect((await h.rejected()).map((r) => r.eventId)).toContain(id);
  });
});
