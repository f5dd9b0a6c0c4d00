/**
 * Envelopes, batches and the rules for one delivery holding several events.
 */
import { describe, expect, it } from 'vitest';
import { normalizeEvent, safeNormalize } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import type { ParseError } from '../../shared/domain/errors.ts';

const NOW = '2025-03-04T09:00:00.000Z';

function parseError(raw: unknown): ParseError {
  const r = safeNormalize(raw, { now: NOW });
  if (r.success) throw new Error(`accepted: ${JSON.stringify(r.value)}`);
  return r.error;
}

const preempt = (id: string, vm: string, notBefore: string) => ({
  EventId: id,
  EventStatus: 'Scheduled',
  EventType: 'Preempt',
  ResourceType: 'VirtualMachine',
  Resources: [vm],
  NotBefore: notBefore,
  EventSource: 'Platform',
  DurationInSeconds: -1,
});

describe('envelopes', () => {
  it('opens an EventBridge event delivered through SNS', () => {
    const sns = loadSample<{ Records: { Sns: { Message: string } }[] }>('aws-cloudwatch-alarm-sns');
    sns.Records[0]!.Sns.Message = JSON.stringify(loadSample('aws-spot-interruption'));
    expect(normalizeEvent(sns)).toMatchObject({
      type: 'interruption',
      kind: 'warning',
      eventId: '0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21',
    });
  });

  it('reports errors inside a payload at its place in the envelope', () => {
    const sns = loadSample<{ Records: { Sns: { Message: string } }[] }>('aws-cloudwatch-alarm-sns');
    sns.Records[0]!.Sns.Message = JSON.stringify(loadSample('aws-spot-interruption', 'invalid'));
    expect(parseError(sns)).toMatchObject({ path: 'Records[0].Sns.Message.detail.instance-action' });
  });

  it('reads a Cloud Monitoring incident from a Pub/Sub push', () => {
    expect(normalizeEvent(loadSample('gcp-monitoring-incident', 'pubsub'))).toMatchObject({
      type: 'metric-alarm',
      cloud: 'gcp',
    });
  });

  it('acknowledges EventBridge events and CloudEvents it does not act on', () => {
    const other = { ...loadSample<object>('aws-spot-interruption'), 'detail-type': 'EC2 Instance Something New' };
    expect(normalizeEvent(other)).toMatchObject({
      type: 'no-op',
      source: 'aws.ec2',
      eventId: '0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21',
    });
    const ce = { ...loadSample<object>('gcp-preemption-cloudevent'), type: 'google.cloud.storage.object.v1.finalized' };
    expect(normalizeEvent(ce)).toMatchObject({ type: 'no-op', reason: expect.stringMatching(/storage/) });
  });

  it('still validates the envelope of an event it does not act on', () => {
    const other = { ...loadSample<object>('aws-spot-interruption'), 'detail-type': 'Something', account: '[Account]' };
    expect(parseError(other)).toMatchObject({ source: 'aws.ec2 / Something', path: 'account' });
  });

  it('reads the Capacity Block docs spellings and reports errors under them', () => {
    const docs = loadSample<Record<string, unknown>>('aws-capacity-block');
    docs.detail_type = docs['detail-type'];
    docs.customer_event_id = `${(docs.detail as Record<string, string>)['capacity-reservation-id']}-delivered`;
    delete docs['detail-type'];
    delete docs.id;
    expect(normalizeEvent(docs)).toMatchObject({
      type: 'reservation-change',
      kind: 'delivered',
      eventId: 'cr-0f1e2d3c4b5a69788-delivered',
    });
    docs.customer_event_id = '[Capacity Reservation Id]-delivered';
    expect(parseError(docs)).toMatchObject({ path: 'customer_event_id' });
  });

  it.each([
    ['null', null, ''],
    ['a number', 42, ''],
    ['an empty array', [], ''],
    ['an unknown object', { hello: 'world' }, ''],
    ['a nested array', [[{}]], '[0]'],
  ])('refuses %s', (_, raw, path) => {
    expect(parseError(raw)).toMatchObject({ path });
  });
});

describe('batches', () => {
  it('merges the Preempt events of one IMDS document: all VMs, the earliest NotBefore', () => {
    const doc = {
      DocumentIncarnation: 9,
      Events: [
        preempt('A1', 'vm_1', 'Tue, 04 Mar 2025 10:16:00 GMT'),
        preempt('A2', 'vm_2', 'Tue, 04 Mar 2025 10:15:30 GMT'),
        { ...preempt('R1', 'vm_3', 'Tue, 04 Mar 2025 11:00:00 GMT'), EventType: 'Reboot' },
      ],
    };
    // Preempt outranks Reboot: the Reboot of vm_3 comes back in the next incarnation.
    expect(normalizeEvent(doc, { now: NOW })).toMatchObject({
      type: 'interruption',
      kind: 'preempt',
      instanceIds: ['vm_1', 'vm_2'],
      deadline: '2025-03-04T10:15:30.000Z',
      eventId: 'A1+A2',
    });
  });

  it("merges a mass eviction's document into one signal whose id stays an event id's length, the same on every delivery", () => {
    // 30 Preempts: their GUIDs joined are 1,109 characters, past what a signal's id may be: the whole document
    // was refused (no drain, no replacement); past 256 the drain commands handed off on it were.
    const guid = (i: number) => `${String(i).padStart(8, '0')}-4B1D-4C2A-9F3E-5A6B7C8D9E0F`;
    const doc = (n: number, from = 0) => ({
      DocumentIncarnation: 9,
      Events: Array.from({ length: n }, (_, i) =>
        preempt(guid(from + i), `vmss_${from + i}`, 'Tue, 04 Mar 2025 10:16:00 GMT'),
      ),
    });
    const signal = normalizeEvent(doc(30), { now: NOW });
    expect(signal).toMatchObject({ type: 'interruption', kind: 'preempt' });
    if (signal.type !== 'interruption') return;
    expect(signal.instanceIds).toHaveLength(30);
    expect(signal.eventId.length).toBeLessThanOrEqual(256);
    expect(signal.eventId).toMatch(/^00000000-4B1D-4C2A-9F3E-5A6B7C8D9E0F\+29-more~[0-9a-f]{32}$/);
    expect(normalizeEvent(doc(30), { now: NOW })).toMatchObject({ eventId: signal.eventId });
    expect(normalizeEvent(doc(30, 1), { now: NOW })).not.toMatchObject({ eventId: signal.eventId });
    // Short enough, the ids joined as they are.
    expect(normalizeEvent(doc(2), { now: NOW })).toMatchObject({ eventId: `${guid(0)}+${guid(1)}` });
  });

  it('a document of Freezes alone is a no-op whose id is bounded as a merged id', () => {
    // Before, every EventId joined with `+`, unbounded: 30 Freezes gave an id of 1,109 characters.
    const guid = (i: number) => `${String(i).padStart(8, '0')}-4B1D-4C2A-9F3E-5A6B7C8D9E0F`;
    const doc = {
      DocumentIncarnation: 3,
      Events: Array.from({ length: 30 }, (_, i) => ({
        ...preempt(guid(i), `vmss_${i}`, 'Tue, 04 Mar 2025 10:16:00 GMT'),
        EventType: 'Freeze',
        DurationInSeconds: 5,
      })),
    };
    const n = normalizeEvent(doc, { now: NOW });
    expect(n.type).toBe('no-op');
    expect(n.eventId?.length).toBeLessThanOrEqual(256);
    expect(n.eventId).toMatch(/\+29-more~[0-9a-f]{32}$/);
  });

  it('needs a time for a bare document whose events have started', () => {
    const doc = { DocumentIncarnation: 2, Events: [{ ...preempt('S1', 'vm_1', ''), EventStatus: 'Started' }] };
    expect(() => normalizeEvent(doc)).toThrow(expect.objectContaining({ path: 'Events[0].NotBefore' }));
    expect(normalizeEvent(doc, { now: NOW })).toMatchObject({ deadline: NOW, time: NOW });
  });

  it('merges an Event Grid array of preemptions into one signal', () => {
    const [one] = loadSample<Record<string, unknown>[]>('azure-event-grid');
    const two = structuredClone(one!) as {
      id: string;
      data: { resources: { armResource: { properties: Record<string, unknown> } }[] };
    };
    two.id = 'second';
    Object.assign(two.data.resources[0]!.armResource.properties, { EventId: 'B2', Resources: ['chat-nc24-spot_8'] });
    expect(normalizeEvent([one, two])).toMatchObject({
      type: 'interruption',
      instanceIds: ['chat-nc24-spot_3', 'chat-nc24-spot_8'],
      eventId: '8A0C2E4A-6C8E-4A0C-9E2A-4C6E8A0C2E4A+B2',
    });
  });

  it('lets the most urgent signal of a batch win and lists the reasons when none is a signal', () => {
    const [grid] = loadSample<Record<string, unknown>[]>('azure-event-grid');
    const validation = {
      id: 'v1',
      topic: 't',
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2025-03-04T10:00:00Z',
      data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9853b6' },
      dataVersion: '1',
    };
    expect(normalizeEvent([validation, grid])).toMatchObject({ type: 'interruption' });
    expect(
      normalizeEvent([validation, { ...validation, id: 'v2', eventType: 'Microsoft.Resources.ResourceWriteSuccess' }]),
    ).toMatchObject({
      type: 'no-op',
      reason: expect.stringMatching(/subscription validation.*; Event Grid Microsoft\.Resources\.ResourceWriteSuccess/),
    });
  });
});
