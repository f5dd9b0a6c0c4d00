/**
 * The Event Grid receiver: the delivery key (query or header), the subscription validation handshake, the
 * CloudEvents OPTIONS handshake, and forged, expired and replayed deliveries.
 */
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { keyMatches, receiveEventGrid } from '../../shared/receivers/eventgrid.ts';
import type { HttpRequest } from '../../shared/receivers/http.ts';
import { FakePorts } from './support.ts';

const KEY = 'k'.repeat(20) + 'EventGridReceiverKeyForTests';

function delivery(
  body: unknown,
  auth: { query?: string; header?: string } = { query: KEY },
  extra: Record<string, string> = {},
): HttpRequest {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth.header ? { 'x-autoscaler-key': auth.header } : {}),
      ...extra,
    },
    query: auth.query ? { code: auth.query } : {},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

const events = () => loadSample<Array<Record<string, unknown>>>('azure-event-grid');
const fresh = (ports: FakePorts) => {
  const e = events();
  for (const x of e) x.eventTime = new Date(ports.now().getTime() - 60_000).toISOString();
  return e;
};

const validation = [
  {
    id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    topic: '/subscriptions/7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d',
    subject: '',
    data: {
      validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
      validationUrl: 'https://rp-eastus2.eventgrid.azure.net/x',
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: '2025-03-04T10:15:00Z',
    metadataVersion: '1',
    dataVersion: '1',
  },
];

describe('authentication', () => {
  it.each([
    ['no key', {}],
    ['a wrong key in the query', { query: 'wrong' }],
    ['a key that is a prefix of the right one', { query: KEY.slice(0, -1) }],
    ['a wrong key in the header', { header: 'wrong' }],
  ])('%s: 401, nothing forwarded, even for the handshake', async (_name, auth) => {
    const ports = new FakePorts();
    expect((await receiveEventGrid(delivery(fresh(ports), auth), KEY, ports)).status).toBe(401);
    const handshake = delivery(validation, auth, { 'aeg-event-type': 'SubscriptionValidation' });
    expect((await receiveEventGrid(handshake, KEY, ports)).status).toBe(401);
    expect(ports.forwarded).toEqual([]);
    expect(JSON.stringify(ports.logs)).not.toContain(KEY);
  });

  it('compares keys in constant time over digests (any length)', () => {
    expect(keyMatches(KEY, KEY)).toBe(true);
    expect(keyMatches(`${KEY}x`, KEY)).toBe(false);
    expect(keyMatches(undefined, KEY)).toBe(false);
    expect(keyMatches('', '')).toBe(false);
  });
});

describe('handshakes', () => {
  it('answers the subscription validation with its code', async () => {
    const r = await receiveEventGrid(
      delivery(validation, { query: KEY }, { 'aeg-event-type': 'SubscriptionValidation' }),
      KEY,
      new FakePorts(),
    );
    expect(r).toEqual({ status: 200, body: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' } });
  });

  it('answers the CloudEvents abuse-protection OPTIONS with the allowed origin', async () => {
    const req: HttpRequest = {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'eventgrid.azure.net' },
      query: { code: KEY },
      body: '',
    };
    const r = await receiveEventGrid(req, KEY, new FakePorts());
    expect(r).toMatchObject({ status: 200, headers: { 'webhook-allowed-origin': 'eventgrid.azure.net' } });
  });
});

describe('deliveries', () => {
  it('forwards each event once (key in the header too); a replay is acknowledged and not forwarded', async () => {
    const ports = new FakePorts();
    const body = fresh(ports);
    const first = await receiveEventGrid(delivery(body, { header: KEY }), KEY, ports);
    expect(first).toMatchObject({ status: 200, body: { status: 'forwarded', forwarded: body.length } });
    const replay = await receiveEventGrid(delivery(body), KEY, ports);
    expect(replay).toMatchObject({ status: 200, body: { status: 'duplicate', duplicates: body.length } });
    expect(ports.forwarded).toHaveLength(body.length);
    // What the functions read from the bus: the event as `detail`.
    const onBus = {
      version: '0',
      id: 'a7c9e1f3-5b7d-4f9b-8d1f-3b5d7f9b1d3f',
      'detail-type': ports.forwarded[0]!.detailType,
      source: ports.forwarded[0]!.source,
      account: '731482956104',
      time: '2025-03-04T10:15:05Z',
      region: 'us-east-1',
      resources: [],
      detail: ports.forwarded[0]!.detail,
    };
    expect(normalizeEvent(onBus).type).not.toBe('no-op');
  });

  it('refuses an event older than Event Grid retries (an expired delivery replayed later)', async () => {
    const ports = new FakePorts();
    const body = events();
    for (const x of body) x.eventTime = new Date(ports.now().getTime() - 26 * 3600_000).toISOString();
    const r = await receiveEventGrid(delivery(body), KEY, ports);
    expect(r.status).toBe(400);
    expect(ports.forwarded).toEqual([]);
  });

  it('forwards an Azure Monitor common alert as an alert', async () => {
    const ports = new FakePorts();
    const alert = loadSample('azure-monitor-alert');
    expect((await receiveEventGrid(delivery(alert), KEY, ports)).status).toBe(200);
    expect(ports.forwarded[0]).toMatchObject({ source: 'autoscaler.azure.monitor', detailType: 'Azure Monitor Alert' });
  });

  it.each([
    ['not JSON', 'nope'],
    ['an event without an id', [{ eventType: 'x', eventTime: '2025-03-04T10:15:00Z' }]],
    ['an object that is not an alert', { hello: 1 }],
  ])('%s: 400', async (_name, body) => {
    expect((await receiveEventGrid(delivery(body), KEY, new FakePorts())).status).toBe(400);
  });

  it('an invocation that died holding the claims (a timeout before PutEvents answered): a retry within its lease is answered 503, the one after it forwards every event', async () => {
    // Before claims had leases, the retry found the ids claimed and answered "duplicate": nothing was ever forwarded.
    const ports = new FakePorts();
    const body = fresh(ports);
    const forward = ports.forward.bind(ports);
    ports.forward = () => new Promise<void>(() => undefined); // never answers: Lambda ends the invocation
    const dying = { ...delivery(body), remainingMs: 10_000 };
    void receiveEventGrid(dying, KEY, ports);
    await new Promise((r) => setTimeout(r, 10));
    ports.forward = forward;
    ports.clock = new Date(ports.clock.getTime() + 10_000); // Event Grid's first retry, 10 s later
    const early = await receiveEventGrid(delivery(body), KEY, ports);
    expect(early).toMatchObject({ status: 503, body: { forwarded: 0, inFlight: body.length } });
    expect(ports.forwarded).toEqual([]);
    ports.clock = new Date(ports.clock.getTime() + 30_000); // the next, 30 s later: the lease (10 s + 5 s) is over
    const late = await receiveEventGrid(delivery(body), KEY, ports);
    expect(late).toMatchObject({ status: 200, body: { status: 'forwarded', forwarded: body.length } });
    expect(ports.forwarded).toHaveLength(body.length);
    expect((await receiveEventGrid(delivery(body), KEY, ports)).body).toMatchObject({ status: 'duplicate' });
  });

  it('forwards the events not in flight and answers 503 for the one another invocation holds', async () => {
    const ports = new FakePorts();
    const one = fresh(ports)[0]!;
    const body = [one, { ...one, id: `${String(one.id)}-2` }, { ...one, id: `${String(one.id)}-3` }];
    await ports.claim('eventgrid', String(body[0]!.id), {
      now: ports.now(),
      leaseUntil: new Date(ports.now().getTime() + 15_000),
      expiresAt: new Date(ports.now().getTime() + 48 * 3600_000),
    });
    const r = await receiveEventGrid(delivery(body), KEY, ports);
    expect(r).toMatchObject({ status: 503, body: { forwarded: body.length - 1, inFlight: 1, duplicates: 0 } });
    expect(ports.forwarded).toHaveLength(body.length - 1);
    // Its holder forwards it and marks it delivered: the retry is a duplicate of them all.
    await ports.complete('eventgrid', String(body[0]!.id));
    expect((await receiveEventGrid(delivery(body), KEY, ports)).body).toMatchObject({
      status: 'duplicate',
      duplicates: body.length,
    });
  });

  it('marking a claim delivered fails after PutEvents: 200 (the events are on the bus), logged', async () => {
    const ports = new FakePorts();
    ports.failComplete = true;
    const body = fresh(ports);
    expect((await receiveEventGrid(delivery(body), KEY, ports)).body).toMatchObject({ status: 'forwarded' });
    expect(ports.logs.some((l) => l.level === 'warn' && /could not be marked delivered/.test(l.message))).toBe(true);
  });

  it('an empty array is refused (400), not answered as a duplicate', async () => {
    const ports = new FakePorts();
    expect(await receiveEventGrid(delivery([]), KEY, ports)).toMatchObject({ status: 400 });
  });

  it('a failed PutEvents releases the claims and answers 500, so Event Grid retries', async () => {
    const ports = new FakePorts();
    ports.failForward = true;
    const body = fresh(ports);
    expect((await receiveEventGrid(delivery(body), KEY, ports)).status).toBe(500);
    ports.failForward = false;
    expect((await receiveEventGrid(delivery(body), KEY, ports)).body).toMatchObject({ status: 'forwarded' });
  });
});
