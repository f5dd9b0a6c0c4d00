/**
 * Batches: one malformed item of an Event Grid array, a Scheduled Events document or an Event Grid
 * maintenance event's `resources` is rejected on its own (with its path and reason) and the valid items
 * still give their signal; only a batch whose every item is malformed is a ParseError. And documents the
 * cloud updates in place: the same EventIds with other content give another `revision`.
 */
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { isParseError } from '../../shared/domain/errors.ts';
import type { InterruptionSignal } from '../../shared/domain/signals.ts';
import { NormalizedSchema } from './support.ts';

const NOW = { now: '2025-03-04T10:15:05.000Z' };
type Doc = { DocumentIncarnation: number; Events: Record<string, unknown>[] };
const doc = () => loadSample('azure-scheduled-events', 'valid') as Doc;
const preempt = (id: string, vm: string) => ({ ...doc().Events[0]!, EventId: id, Resources: [vm] });

describe('one bad item does not sink a batch', () => {
  it('Scheduled Events document: the valid Preempts act, the malformed one is rejected with its path', () => {
    const d = doc();
    d.Events = [preempt('E-1', 'vm_1'), { ...preempt('E-2', 'vm_2'), NotBefore: 'soon' }, preempt('E-3', 'vm_3')];
    const n = normalizeEvent(d, NOW) as InterruptionSignal;
    expect(NormalizedSchema.safeParse(n).success).toBe(true);
    expect(n).toMatchObject({
      type: 'interruption',
      kind: 'preempt',
      eventId: 'E-1+E-3',
      instanceIds: ['vm_1', 'vm_3'],
    });
    expect(n.rejected).toEqual([
      expect.objectContaining({ eventId: 'E-2', path: 'Events[1].NotBefore', source: 'azure.scheduledevents' }),
    ]);
    expect(n.rejected![0]!.item).toEqual(d.Events[1]);
  });

  it('forwarded document: the same, with paths under detail', () => {
    const e = loadSample('azure-scheduled-events-forwarded', 'valid') as { detail: Doc };
    e.detail.Events = [preempt('E-1', 'vm_1'), { ...preempt('E-2', 'vm_2'), EventType: 'Explode' }];
    const n = normalizeEvent(e, NOW) as InterruptionSignal;
    expect(n.instanceIds).toEqual(['vm_1']);
    expect(n.rejected?.map((r) => r.path)).toEqual(['detail.Events[1].EventType']);
  });

  it('Event Grid array: the valid event acts, the malformed one is rejected', () => {
    const [good] = loadSample('azure-event-grid', 'valid') as Record<string, unknown>[];
    const bad = { ...good!, id: 'bad-grid-event', eventTime: 'yesterday' };
    const n = normalizeEvent([bad, good], NOW) as InterruptionSignal;
    expect(n).toMatchObject({ type: 'interruption', instanceIds: ['chat-nc24-spot_3'] });
    expect(n.rejected).toEqual([expect.objectContaining({ eventId: 'bad-grid-event', path: '[0].eventTime' })]);
  });

  it('Event Grid maintenance event: one malformed resource of several is rejected', () => {
    const [e] = loadSample('azure-event-grid', 'valid') as { data: { resources: Record<string, unknown>[] } }[];
    const res = e!.data.resources[0]!;
    e!.data.resources = [res, { ...res, armResource: 'garbled' }];
    const n = normalizeEvent([e], NOW) as InterruptionSignal;
    expect(n.type).toBe('interruption');
    // Named from the delivery's root, as the array's own errors are (`[0].eventTime` above).
    expect(n.rejected?.map((r) => r.path)).toEqual(['[0].data.resources[1].armResource']);
  });

  it.each([
    ['every event of a document malformed', () => ({ ...doc(), Events: [{ EventId: 'x' }, { EventId: 'y' }] })],
    ['every event of an Event Grid array malformed', () => [{ eventType: 'x', subject: 1 }, 'not an event']],
  ])('%s: a ParseError for the delivery', (_, make) => {
    let error: unknown;
    try {
      normalizeEvent(make(), NOW);
    } catch (e) {
      error = e;
    }
    expect(isParseError(error)).toBe(true);
  });

  it('a well-formed batch has no rejections', () => {
    expect(normalizeEvent(doc(), NOW).rejected).toBeUndefined();
  });
});

describe('documents updated in place: revision', () => {
  const revision = (d: Doc) => (normalizeEvent(d, NOW) as InterruptionSignal).revision;
  it.each([
    ['Scheduled -> Started', (d: Doc) => Object.assign(d.Events[0]!, { EventStatus: 'Started', NotBefore: '' })],
    ['NotBefore moved', (d: Doc) => Object.assign(d.Events[0]!, { NotBefore: 'Tue, 04 Mar 2025 10:16:30 GMT' })],
    [
      'one more VM',
      (d: Doc) => Object.assign(d.Events[0]!, { Resources: ['chat-nc24-spot_3', 'chat-nc24-spot_5', 'x_9'] }),
    ],
  ])('%s: same event id, another revision', (_, update) => {
    const before = doc();
    const after = doc();
    update(after);
    expect(normalizeEvent(after, NOW).eventId).toBe(normalizeEvent(before, NOW).eventId);
    expect(revision(after)).not.toBe(revision(before));
  });

  it.each([
    ['a redelivery', (_: Doc) => {}],
    ['a new incarnation that changes nothing in the event', (d: Doc) => Object.assign(d, { DocumentIncarnation: 8 })],
    [
      'the VMs listed in another order',
      (d: Doc) => Object.assign(d.Events[0]!, { Resources: ['chat-nc24-spot_5', 'chat-nc24-spot_3'] }),
    ],
  ])('%s: the same revision', (_, update) => {
    const after = doc();
    update(after);
    expect(revision(after)).toBe(revision(doc()));
  });
});
