/**
 * Through the spot-interruption function: an Azure Scheduled Events document with one malformed event acts
 * on the valid ones and records the malformed one (REJECTED#day) on its own; a document updated in place
 * (same EventId, now Started) is acted on again, while a redelivery of the same document is not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SPOT_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { sample } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DEMO_SUBSCRIPTION = '00000000-0000-0000-0000-0000000000de';
type Forwarded = { id: string; detail: { Events: Record<string, unknown>[] } };

function preemptDocument(h: Harness, n: number): { event: Forwarded; vms: string[] } {
  const vms = h.world.instancesOf('azure-a100-spot').slice(0, n);
  for (const i of vms) h.world.interrupt(i, 'spot', SPOT_NOTICE_SECONDS[i.cloud]);
  const event = sample<Forwarded>('azure-scheduled-events-forwarded', 'valid', {
    at: T0,
    replace: {
      'chat-nc24-spot_3': vms[0]?.id ?? 'none_1',
      'chat-nc24-spot_5': (vms[1] ?? vms[0])?.id ?? 'none_2',
      'chat-nc24-spot': 'vmss-gpu-demo-a100-spot',
      'gpu-fleet': 'rg-gpu-demo',
      '7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': DEMO_SUBSCRIPTION,
    },
  });
  return { event, vms: vms.map((v) => v.id) };
}

describe('batches and updated documents through the handler', () => {
  it('one malformed event of a document is rejected on its own; the valid one acts', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 2 }, block: null });
    const { event, vms } = preemptDocument(h, 1);
    const good = event.detail.Events[0]!;
    good.Resources = [vms[0]];
    event.detail.Events = [good, { ...good, EventId: 'BROKEN-1', NotBefore: 'whenever' }];

    const result = await h.invoke('spot-interruption', event);

    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    expect(h.world.callsTo('arm', 'virtualMachineScaleSets.deleteInstances')).toHaveLength(1);
    const rejected = await h.rejected();
    expect(rejected).toEqual([
      expect.objectContaining({ eventId: 'BROKEN-1', path: 'detail.Events[1].NotBefore', fn: 'spot-interruption' }),
    ]);
    expect(rejected[0]!.raw).toMatchObject({ EventId: 'BROKEN-1', NotBefore: 'whenever' });
  });

  it('a document updated in place is decided again; a redelivery is not', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 2 }, block: null });
    const { event } = preemptDocument(h, 1);
    expect(await h.invoke('spot-interruption', event)).toMatchObject({ status: 'decided' });
    // The same document again (another forwarder delivery of it): deduplicated, no second decision.
    await h.invoke('spot-interruption', { ...event, id: crypto.randomUUID() });
    expect(await h.audits()).toHaveLength(1);
    // The cloud updated it in place: the event started. Same EventId, new content: a second decision.
    const started = structuredClone(event);
    Object.assign(started.detail.Events[0]!, { EventStatus: 'Started', NotBefore: '' });
    started.id = crypto.randomUUID();
    expect(await h.invoke('spot-interruption', started)).toMatchObject({ status: 'decided' });
    const audits = await h.audits();
    expect(audits).toHaveLength(2);
    expect(new Set(audits.map((a) => a.eventId)).size).toBe(1);
  });
});

describe('notices for instances not observed in the pool', () => {
  // The forwarder names the demo's own scale set (so the notice maps to its pool), but no such VMs exist.
  it('a Preempt naming __proto__, constructor and a VM that does not exist changes nothing and is reported', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 2, 'aws-g5-spot': 1 }, block: null });
    const before = h.desired();
    const { event } = preemptDocument(h, 0);
    event.detail.Events[0]!.Resources = ['__proto__', 'constructor', 'vmss-gpu-demo-a100-spot_99'];
    const result = await h.invoke('spot-interruption', event);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'no-change' }] });
    expect(h.desired()).toEqual(before);
    expect(h.writes()).toEqual([]);
    expect((await h.stack.deps.store.getState(FLEET)).offeringBackoff).toEqual([]);
    const [audit] = await h.audits();
    const reports = ((audit!.plan as { actions: Array<{ type: string; message?: string }> }).actions ?? []).filter(
      (a) => a.type === 'report',
    );
    expect(reports.map((r) => r.message).join('\n')).toMatch(/__proto__[\s\S]*constructor[\s\S]*_99/);
  });
});
