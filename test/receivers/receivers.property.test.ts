/**
 * Properties of the Event Grid and Pub/Sub receivers (shared/receivers/eventgrid.ts, pubsub.ts) and of their
 * Function URL handlers (lambda.ts), over random deliveries, with fake ports (test/receivers/support.ts) and,
 * for Pub/Sub, a fake verifier that answers the token's claims (the token's own checks are pubsub.test.ts's).
 *
 * What their comments promise. Event Grid: no key or a wrong one is 401 whatever the request, the handshake
 * included; the validation handshake answers its code and forwards nothing; the OPTIONS handshake echoes the
 * origin; each event of a valid array goes on the bus once, as it was sent, with its time, and a replay is
 * acknowledged without forwarding; an event older than Event Grid's retries is refused (400, nothing
 * forwarded); any other body is answered 400 with an error, never an exception; a failed forward gives the
 * claims back and answers 500. Pub/Sub: a token is accepted only from Google for the push service account
 * with a verified email; a push's base64 data goes on the bus as it was published (a LogEntry or an incident),
 * with its publish time, once; data that is neither is acknowledged and not forwarded; a failed forward gives
 * the claim back and answers 500; the logged reason of a refused token never holds the token. The handlers
 * take the environment's settings trimmed, refuse a missing one naming it, and always answer. `PROP_RUNS`
 * sets the runs per property (300 by default).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import type { OAuth2Client } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/domain/errors.ts';
import { EVENTGRID_SOURCES, MAX_EVENT_AGE_MS, receiveEventGrid } from '../../shared/receivers/eventgrid.ts';
import type { HttpRequest, HttpResponse } from '../../shared/receivers/http.ts';
import {
  eventGridReceiverHandler,
  portsFromEnv,
  pubsubConfigFromEnv,
  pubsubReceiverHandler,
} from '../../shared/receivers/lambda.ts';
import {
  PUBSUB_SOURCES,
  type PubSubReceiverConfig,
  reasonOf,
  receivePubSubPush,
} from '../../shared/receivers/pubsub.ts';
import { FakePorts } from './support.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const KEY = 'k'.repeat(20) + 'EventGridReceiverKeyForTests';
const NOW = new FakePorts().clock.getTime();
const VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

const errorOf = (r: HttpResponse) => (r.body as { error?: unknown } | undefined)?.error;
/** What the receiver parsed: the body as JSON would give it back. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

function post(body: string, headers: Record<string, string> = {}, query: Record<string, string> = { code: KEY }) {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, query, body };
}

// --- Event Grid ---------------------------------------------------------------------------------------------

/** A time within Event Grid's retries (24 h back) or a little ahead (clocks differ). */
const freshTime = fc.integer({ min: NOW - 24 * 3600_000, max: NOW + 3600_000 }).map((t) => new Date(t).toISOString());
const gridEvent = (id: fc.Arbitrary<string>) =>
  fc.record({
    id,
    topic: fc.constantFrom('/subscriptions/7d3e1a9b/resourceGroups/gpu', '/subscriptions/x'),
    subject: fc.string({ maxLength: 30 }),
    eventType: fc.constantFrom(
      'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
      'Microsoft.ResourceNotifications.Maintenance.ScheduledEventEmitted',
      'Some.Other.Type',
    ),
    eventTime: freshTime,
    data: fc.jsonValue({ maxDepth: 3 }),
    dataVersion: fc.constantFrom('1', '2'),
    metadataVersion: fc.constant('1'),
  });
const gridId = fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }));

/** Bodies of every shape: not JSON, JSON of any kind, arrays of near-events with fields missing or mistyped. */
const anyValue = fc.oneof(
  fc.constantFrom(null, true, 0, '', 'x', [], {}),
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);
const nearEvent = fc.record(
  {
    id: anyValue,
    eventType: fc.oneof(anyValue, fc.constant(VALIDATION)),
    eventTime: fc.oneof(anyValue, freshTime),
    data: anyValue,
  },
  { requiredKeys: [] },
);
const anyBody = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('null', '[]', '[null]', '{}', '[1]', '"x"', 'true', '[[]]', '{"data":null}', '[{"data":null}]'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.array(fc.oneof(nearEvent, anyValue), { maxLength: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        schemaId: fc.oneof(anyValue, fc.constant('azureMonitorCommonAlertSchema')),
        data: fc.oneof(anyValue, fc.record({ essentials: anyValue })),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

describe('receiveEventGrid', () => {
  it('no key, or not the key (in the query or the header): 401 whatever the request, nothing claimed or forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constant(KEY.slice(0, -1)), fc.constant(`${KEY} `)), {
          nil: undefined,
        }),
        fc.boolean(),
        fc.constantFrom('POST', 'OPTIONS', 'GET'),
        fc.oneof(anyBody, fc.constant(JSON.stringify([{ eventType: VALIDATION, data: { validationCode: 'c' } }]))),
        fc.boolean(),
        async (presented, inHeader, method, body, handshake) => {
          fc.pre(presented !== KEY);
          const ports = new FakePorts();
          const req: HttpRequest = {
            method,
            headers: {
              ...(presented !== undefined && inHeader ? { 'x-autoscaler-key': presented } : {}),
              ...(handshake
                ? { 'aeg-event-type': 'SubscriptionValidation', 'webhook-request-origin': 'eventgrid.azure.net' }
                : {}),
            },
            query: presented !== undefined && !inHeader ? { code: presented } : {},
            body,
          };
          const r = await receiveEventGrid(req, KEY, ports);
          expect(r.status).toBe(401);
          expect(ports.forwarded).toEqual([]);
          expect(ports.claims.size).toBe(0);
          expect(JSON.stringify(ports.logs)).not.toContain(KEY);
        },
      ),
      RUNS,
    );
  });

  it('the validation handshake answers its code, with or without the header, and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.boolean(),
        fc.array(gridEvent(gridId), { maxLength: 2 }),
        async (code, header, more) => {
          const ports = new FakePorts();
          const body = [
            { id: 'v', eventType: VALIDATION, eventTime: new Date(NOW).toISOString(), data: { validationCode: code } },
            ...more,
          ];
          const r = await receiveEventGrid(
            post(JSON.stringify(body), header ? { 'aeg-event-type': 'SubscriptionValidation' } : {}),
            KEY,
            ports,
          );
          expect(r).toEqual({ status: 200, body: { validationResponse: code } });
          expect(ports.forwarded).toEqual([]);
          expect(ports.claims.size).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('the OPTIONS handshake echoes the origin it was sent, and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 60 }), async (origin) => {
        const ports = new FakePorts();
        const r = await receiveEventGrid(
          { method: 'OPTIONS', headers: { 'webhook-request-origin': origin }, query: { code: KEY }, body: '' },
          KEY,
          ports,
        );
        expect(r).toMatchObject({ status: 200, headers: { 'webhook-allowed-origin': origin } });
        expect(ports.forwarded).toEqual([]);
      }),
      RUNS,
    );
  });

  it('any body is answered 200 or 400 (with an error), never an exception; a 400 claims and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, fc.boolean(), async (body, header) => {
        const ports = new FakePorts();
        const r = await receiveEventGrid(
          post(body, header ? { 'aeg-event-type': 'SubscriptionValidation' } : {}),
          KEY,
          ports,
        );
        expect([200, 400]).toContain(r.status);
        if (r.status === 400) {
          expect(typeof errorOf(r)).toBe('string');
          expect((errorOf(r) as string).length).toBeGreaterThan(0);
          expect(ports.forwarded).toEqual([]);
          expect(ports.claims.size).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it('valid events go on the bus once each, as sent, with their time; a replay forwards nothing again', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(gridEvent(fc.oneof(gridId, fc.constantFrom('same-1', 'same-2'))), { minLength: 1, maxLength: 8 }),
        async (events) => {
          const ports = new FakePorts();
          const body = JSON.stringify(events);
          const r = await receiveEventGrid(post(body), KEY, ports);
          // The first of each id is forwarded; a repeated id within the delivery counts as a duplicate.
          const firsts = events.filter((e, i) => events.findIndex((x) => x.id === e.id) === i);
          expect(r).toEqual({
            status: 200,
            body: { status: 'forwarded', forwarded: firsts.length, duplicates: events.length - firsts.length },
          });
          expect(ports.forwarded).toEqual(
            firsts.map((e) => ({ ...EVENTGRID_SOURCES.event, detail: asJson(e), time: new Date(e.eventTime) })),
          );
          const replay = await receiveEventGrid(post(body), KEY, ports);
          expect(replay).toEqual({
            status: 200,
            body: { status: 'duplicate', forwarded: 0, duplicates: events.length },
          });
          expect(ports.forwarded).toHaveLength(firsts.length);
        },
      ),
      RUNS,
    );
  });

  it('an event older than Event Grid retries is refused (400 naming it), and nothing of the delivery is forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(gridEvent(fc.uuid()), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.integer({ min: 1, max: 30 * 24 * 3600_000 }),
        async (events, pick, older) => {
          const i = pick % events.length;
          events[i]!.eventTime = new Date(NOW - MAX_EVENT_AGE_MS - older).toISOString();
          const ports = new FakePorts();
          const r = await receiveEventGrid(post(JSON.stringify(events)), KEY, ports);
          expect(r.status).toBe(400);
          expect(errorOf(r)).toMatch(/^\[\d+\]/);
          // The first event that is wrong is named: the old one, unless an earlier one is.
          expect(errorOf(r)).toContain(`[${i}]`);
          expect(ports.forwarded).toEqual([]);
          expect(ports.claims.size).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('an Azure Monitor alert goes on the bus once as it was sent; another condition or time is another alert', async () => {
    const alertArb = fc.record({
      schemaId: fc.constant('azureMonitorCommonAlertSchema'),
      data: fc.record({
        essentials: fc.record({
          alertId: fc.string({ minLength: 1, maxLength: 40 }),
          monitorCondition: fc.constantFrom('Fired', 'Resolved'),
          firedDateTime: freshTime,
          severity: fc.constantFrom('Sev0', 'Sev3'),
        }),
        alertContext: fc.jsonValue({ maxDepth: 2 }),
      }),
    });
    await fc.assert(
      fc.asyncProperty(alertArb, async (alert) => {
        const ports = new FakePorts();
        const body = JSON.stringify(alert);
        expect(await receiveEventGrid(post(body), KEY, ports)).toMatchObject({ status: 200, body: { forwarded: 1 } });
        expect(ports.forwarded).toEqual([{ ...EVENTGRID_SOURCES.alert, detail: asJson(alert) }]);
        expect(await receiveEventGrid(post(body), KEY, ports)).toMatchObject({
          status: 200,
          body: { status: 'duplicate' },
        });
        const resolved = structuredClone(alert);
        resolved.data.essentials.monitorCondition =
          alert.data.essentials.monitorCondition === 'Fired' ? 'Resolved' : 'Fired';
        expect(await receiveEventGrid(post(JSON.stringify(resolved)), KEY, ports)).toMatchObject({
          body: { forwarded: 1 },
        });
        expect(ports.forwarded).toHaveLength(2);
      }),
      RUNS,
    );
  });

  it('a failed forward gives every claim back and answers 500; the retry forwards them all', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(gridEvent(fc.uuid()), { minLength: 1, maxLength: 6, selector: (e) => e.id }),
        async (events) => {
          const ports = new FakePorts();
          ports.failForward = true;
          const body = JSON.stringify(events);
          expect((await receiveEventGrid(post(body), KEY, ports)).status).toBe(500);
          expect(ports.claims.size).toBe(0);
          ports.failForward = false;
          expect(await receiveEventGrid(post(body), KEY, ports)).toMatchObject({
            status: 200,
            body: { forwarded: events.length },
          });
        },
      ),
      RUNS,
    );
  });

  it('a claim that fails partway gives back those before it: the retry forwards every event', async () => {
    // A counterexample the property found: the second of two claims throwing (throttled) left the first claimed,
    // and the sender's retry took that event for a replay: it was never forwarded.
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(gridEvent(fc.uuid()), { minLength: 1, maxLength: 6, selector: (e) => e.id }),
        fc.nat(),
        async (events, pick) => {
          const bad = events[pick % events.length]!.id;
          let down = true;
          const ports = new FakePorts();
          const claim = ports.claim.bind(ports);
          ports.claim = async (k, id, exp) => {
            if (down && id === bad) throw new Error('ProvisionedThroughputExceededException');
            return claim(k, id, exp);
          };
          const body = JSON.stringify(events);
          await receiveEventGrid(post(body), KEY, ports).catch(() => undefined);
          down = false;
          await receiveEventGrid(post(body), KEY, ports);
          expect(new Set(ports.forwarded.map((f) => (f.detail as { id: string }).id))).toEqual(
            new Set(events.map((e) => e.id)),
          );
        },
      ),
      RUNS,
    );
  });

  it('an event with an empty id is refused (400 naming it): it could never be claimed, and every retry failed', async () => {
    const ports = new FakePorts();
    const event = {
      id: '',
      eventType: 'Microsoft.Resources.ResourceActionSuccess',
      eventTime: new Date(NOW).toISOString(),
      subject: 's',
      data: {},
      dataVersion: '1',
    };
    const r = await receiveEventGrid(post(JSON.stringify([event])), KEY, ports);
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatch(/\[0\]\.id/);
    expect(ports.forwarded).toEqual([]);
  });

  it('a method other than POST or OPTIONS is 405, saying which are allowed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'), anyBody, async (method, body) => {
        const ports = new FakePorts();
        const r = await receiveEventGrid({ method, headers: {}, query: { code: KEY }, body }, KEY, ports);
        expect(r).toMatchObject({ status: 405, headers: { allow: 'POST, OPTIONS' } });
        expect(ports.forwarded).toEqual([]);
      }),
      RUNS,
    );
  });
});

// --- Pub/Sub ------------------------------------------------------------------------------------------------

const CONFIG: PubSubReceiverConfig = {
  audience: 'gpu-autoscaler-test-pubsub',
  serviceAccountEmail: 'pubsub-push@gpu-fleet.iam.gserviceaccount.com',
  subscription: 'projects/gpu-fleet/subscriptions/gpu-autoscaler-preemptions',
};
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMTIyMzMifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const GOOD_CLAIMS = {
  iss: 'https://accounts.google.com',
  aud: CONFIG.audience,
  sub: '112233',
  email: CONFIG.serviceAccountEmail,
  email_verified: true,
};

/** A verifier that accepts any token and answers `claims` (the signature's checks are google-auth-library's). */
function verifier(claims: Record<string, unknown> | undefined = GOOD_CLAIMS) {
  const calls: Array<{ idToken: string; audience: unknown }> = [];
  const v = {
    calls,
    async verifyIdToken(o: { idToken: string; audience?: unknown }) {
      calls.push({ idToken: o.idToken, audience: o.audience });
      return { getPayload: () => claims };
    },
  };
  return v as typeof v & Pick<OAuth2Client, 'verifyIdToken'>;
}

/** A push with the Authorization header given (none when null). */
function push(body: string, authorization: string | null = `Bearer ${TOKEN}`): HttpRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== null ? { authorization } : {}) },
    query: {},
    body,
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
const extraFields = fc.dictionary(
  fc.string({ maxLength: 8 }).filter((k) => !['protoPayload', 'incident', '__proto__'].includes(k)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);
/** A LogEntry (a protoPayload), or a Monitoring notification (an incident), with other fields. */
const dataArb = fc.oneof(
  fc
    .record({
      protoPayload: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      extra: extraFields,
    })
    .map(({ protoPayload, extra }) => ({
      kind: PUBSUB_SOURCES.logEntry,
      data: { ...extra, protoPayload } as Record<string, unknown>,
    })),
  fc
    .record({
      incident: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      extra: extraFields,
    })
    .map(({ incident, extra }) => ({
      kind: PUBSUB_SOURCES.incident,
      data: { ...extra, incident } as Record<string, unknown>,
    })),
);
const messageIdArb = fc.oneof(
  fc.stringMatching(/^[0-9]{1,19}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);
const publishTimeArb = fc.option(
  fc.oneof(
    fc.integer({ min: NOW - 7 * 24 * 3600_000, max: NOW }).map((t) => new Date(t).toISOString()),
    fc.constantFrom('not a time', ''),
  ),
  { nil: undefined },
);

describe('receivePubSubPush', () => {
  it('accepts a token only from Google, for the push service account, with its email verified', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            iss: fc.constantFrom(
              'https://accounts.google.com',
              'accounts.google.com',
              'https://evil.example.com',
              '',
              'ACCOUNTS.GOOGLE.COM',
            ),
            email: fc.constantFrom(
              CONFIG.serviceAccountEmail,
              'intruder@evil.iam.gserviceaccount.com',
              `${CONFIG.serviceAccountEmail} `,
            ),
            email_verified: fc.constantFrom<unknown>(true, false, 'true', 1, undefined),
          },
          { requiredKeys: [] },
        ),
        dataArb,
        async (claims, d) => {
          const ports = new FakePorts();
          const body = JSON.stringify({
            message: { data: b64(d.data), messageId: '1' },
            subscription: CONFIG.subscription,
          });
          const r = await receivePubSubPush(push(body), CONFIG, verifier(claims), ports);
          const ok =
            (claims.iss === 'https://accounts.google.com' || claims.iss === 'accounts.google.com') &&
            claims.email === CONFIG.serviceAccountEmail &&
            claims.email_verified === true;
          expect(r.status).toBe(ok ? 200 : 401);
          expect(ports.forwarded).toHaveLength(ok ? 1 : 0);
          if (!ok) expect(ports.claims.size).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('no Bearer token of three parts: 401, and the verifier is not asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.constantFrom(
              `bearer ${TOKEN}`,
              TOKEN,
              `Bearer ${TOKEN}.x`,
              `Bearer  ${TOKEN}`,
              'Bearer a.b',
              `Basic ${TOKEN}`,
            ),
          ),
          { nil: undefined },
        ),
        async (authorization) => {
          fc.pre(!/^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(authorization ?? ''));
          const ports = new FakePorts();
          const v = verifier();
          const r = await receivePubSubPush(push('{}', authorization ?? null), CONFIG, v, ports);
          expect(r.status).toBe(401);
          expect(v.calls).toEqual([]);
          expect(ports.logs.map((l) => l.message)).toEqual(['pubsub delivery refused']);
        },
      ),
      RUNS,
    );
  });

  it("a push's data goes on the bus as published, by kind, with its publish time, once; a replay is acknowledged", async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, messageIdArb, fc.boolean(), publishTimeArb, async (d, id, snake, publishTime) => {
        const ports = new FakePorts();
        const message = {
          data: b64(d.data),
          ...(snake ? { message_id: id } : { messageId: id }),
          ...(publishTime !== undefined ? { publishTime } : {}),
          attributes: { 'logging.googleapis.com/timestamp': '2025-03-04T10:15:00Z' },
        };
        const body = JSON.stringify({ message, subscription: CONFIG.subscription });
        const r = await receivePubSubPush(push(body), CONFIG, verifier(), ports);
        expect(r).toEqual({ status: 200, body: { status: 'forwarded', messageId: id, source: d.kind.source } });
        const time = publishTime !== undefined ? new Date(publishTime) : undefined;
        expect(ports.forwarded).toEqual([
          { ...d.kind, detail: asJson(d.data), ...(time && !Number.isNaN(time.getTime()) ? { time } : {}) },
        ]);
        expect(await receivePubSubPush(push(body), CONFIG, verifier(), ports)).toEqual({
          status: 200,
          body: { status: 'duplicate', messageId: id },
        });
        expect(ports.forwarded).toHaveLength(1);
      }),
      RUNS,
    );
  });

  it('data that is not a LogEntry or an incident is acknowledged, not claimed or forwarded', async () => {
    const notOurs = fc.oneof(
      fc.string({ maxLength: 30 }).map((s) => Buffer.from(s).toString('base64')),
      fc.string({ maxLength: 30 }),
      fc
        .jsonValue({ maxDepth: 2 })
        .filter((v) => {
          const o = v as Record<string, unknown> | null;
          return (
            typeof o !== 'object' ||
            o === null ||
            Array.isArray(o) ||
            !(
              (typeof o.protoPayload === 'object' && o.protoPayload !== null) ||
              (typeof o.incident === 'object' && o.incident !== null)
            )
          );
        })
        .map(b64),
      fc.constantFrom(b64({ protoPayload: 'x' }), b64({ incident: null }), b64([{ protoPayload: {} }])),
    );
    await fc.assert(
      fc.asyncProperty(notOurs, messageIdArb, async (data, id) => {
        const ports = new FakePorts();
        const body = JSON.stringify({ message: { data, messageId: id }, subscription: CONFIG.subscription });
        const r = await receivePubSubPush(push(body), CONFIG, verifier(), ports);
        expect(r).toEqual({ status: 200, body: { status: 'ignored', messageId: id } });
        expect(ports.forwarded).toEqual([]);
        expect(ports.claims.size).toBe(0);
      }),
      RUNS,
    );
  });

  it('another subscription, or none, is refused (401) when one is configured; accepted when none is', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(`${CONFIG.subscription}-2`)), { nil: undefined }),
        dataArb,
        async (subscription, d) => {
          fc.pre(subscription !== CONFIG.subscription);
          const body = JSON.stringify({
            message: { data: b64(d.data), messageId: '7' },
            ...(subscription !== undefined ? { subscription } : {}),
          });
          const refused = new FakePorts();
          expect((await receivePubSubPush(push(body), CONFIG, verifier(), refused)).status).toBe(401);
          expect(refused.forwarded).toEqual([]);
          const { subscription: _, ...open } = CONFIG;
          const ports = new FakePorts();
          expect((await receivePubSubPush(push(body), open, verifier(), ports)).status).toBe(200);
        },
      ),
      RUNS,
    );
  });

  it('any other body with a valid token is answered 200, 400 (with an error) or 401, never an exception', async () => {
    await fc.assert(
      // The body `null` included: it threw a TypeError (a 500, redelivered), a counterexample the property found.
      fc.asyncProperty(fc.oneof(anyBody, fc.constantFrom('null', ' null ', '0', '"push"')), async (body) => {
        const ports = new FakePorts();
        const r = await receivePubSubPush(push(body), CONFIG, verifier(), ports);
        expect([200, 400, 401]).toContain(r.status);
        if (r.status === 400) expect(typeof errorOf(r)).toBe('string');
        if (r.status !== 200) expect(ports.forwarded).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a failed forward gives the claim back and answers 500; the redelivery is forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(dataArb, messageIdArb, async (d, id) => {
        const ports = new FakePorts();
        ports.failForward = true;
        const body = JSON.stringify({
          message: { data: b64(d.data), messageId: id },
          subscription: CONFIG.subscription,
        });
        expect((await receivePubSubPush(push(body), CONFIG, verifier(), ports)).status).toBe(500);
        expect(ports.claims.size).toBe(0);
        ports.failForward = false;
        expect(await receivePubSubPush(push(body), CONFIG, verifier(), ports)).toMatchObject({
          status: 200,
          body: { status: 'forwarded' },
        });
      }),
      RUNS,
    );
  });
});

describe('reasonOf: why a token was refused, without the token', () => {
  const segment = (min: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},60}$`));
  /** A token as Google signs one: each part longer than 8 characters. */
  const jwtArb = fc.tuple(segment(8), segment(8), segment(8));
  /** google-auth-library's messages that carry the token or its payload (oauth2client.js). */
  const templates: Array<(jwt: string, payload: string) => string> = [
    (jwt) => `Invalid token signature: ${jwt}`,
    (jwt) => `Wrong number of segments in token: ${jwt}`,
    (_, p) => `No issue time in token: ${p}`,
    (_, p) => `Expiration time too far in future: ${p}`,
    (_, p) => `Token used too late, 1741083305.123 > 1741079705: ${p}`,
    (_, p) => `Token used too early, 1741083305.123 < 1741090000: ${p}`,
    (jwt) => `request failed for ${jwt}\nmore lines`,
  ];
  it('keeps neither the payload nor the signature, one line of at most 200 characters', () => {
    fc.assert(
      fc.property(
        jwtArb,
        fc.nat({ max: templates.length - 1 }),
        fc.jsonValue({ maxDepth: 2 }),
        ([h, p, s], t, claims) => {
          const jwt = `${h}.${p}.${s}`;
          const payload = JSON.stringify({ email: 'a@b.c', iat: 1, exp: 2, claims });
          const reason = reasonOf(new Error(templates[t]!(jwt, payload)));
          expect(reason).not.toContain(p);
          expect(reason).not.toContain(s);
          expect(reason).not.toContain('"email"');
          expect(reason).not.toContain('\n');
          expect(reason.length).toBeLessThanOrEqual(200);
        },
      ),
      RUNS,
    );
  });
});

// --- The Function URL handlers ------------------------------------------------------------------------------

const envValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '  ', ' x ', 'aud'));

describe('the handlers’ settings', () => {
  it('pubsubConfigFromEnv: each setting trimmed; a missing or blank one refused, naming it', () => {
    fc.assert(
      fc.property(
        fc.option(envValue, { nil: undefined }),
        fc.option(envValue, { nil: undefined }),
        fc.option(envValue, { nil: undefined }),
        (audience, account, subscription) => {
          const env = { PUBSUB_AUDIENCE: audience, PUBSUB_SERVICE_ACCOUNT: account, PUBSUB_SUBSCRIPTION: subscription };
          const missing = [
            ['PUBSUB_AUDIENCE', audience],
            ['PUBSUB_SERVICE_ACCOUNT', account],
          ].find(([, v]) => !v?.trim());
          if (missing) {
            expect(() => pubsubConfigFromEnv(env)).toThrow(ConfigError);
            try {
              pubsubConfigFromEnv(env);
            } catch (e) {
              expect((e as ConfigError).path).toBe(missing[0]);
            }
            return;
          }
          expect(pubsubConfigFromEnv(env)).toEqual({
            audience: audience!.trim(),
            serviceAccountEmail: account!.trim(),
            ...(subscription?.trim() ? { subscription: subscription.trim() } : {}),
          });
        },
      ),
      RUNS,
    );
  });

  it('portsFromEnv: the bus and the table are required, a blank one refused naming it', () => {
    fc.assert(
      fc.property(fc.option(envValue, { nil: undefined }), fc.option(envValue, { nil: undefined }), (bus, table) => {
        const env = { EVENT_BUS_NAME: bus, TABLE_NAME: table, AWS_REGION: 'us-east-1' };
        const missing = [
          ['EVENT_BUS_NAME', bus],
          ['TABLE_NAME', table],
        ].find(([, v]) => !v?.trim());
        if (!missing) {
          expect(typeof portsFromEnv(env).forward).toBe('function');
          return;
        }
        let error: unknown;
        try {
          portsFromEnv(env);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).path).toBe(missing[0]);
      }),
      RUNS,
    );
  });
});

/** A Function URL event: any method, header names in any case, the body base64-encoded or not. */
function urlEvent(
  method: string,
  headers: Record<string, string>,
  query: Record<string, string>,
  body: string,
  base64: boolean,
) {
  return {
    requestContext: { http: { method } },
    headers,
    queryStringParameters: query,
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
  } as unknown as APIGatewayProxyEventV2;
}
const upperSome = (h: string, mask: number) => [...h].map((c, i) => ((mask >> i) & 1 ? c.toUpperCase() : c)).join('');

describe('the Function URL handlers', () => {
  it('the Event Grid handler answers every delivery with a status and a JSON body, never 500 while the ports work', async () => {
    const ports = new FakePorts();
    const handler = await eventGridReceiverHandler({ ports, key: KEY });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'POST', 'OPTIONS', 'GET'),
        anyBody,
        fc.boolean(),
        fc.nat(),
        fc.boolean(),
        async (method, body, base64, mask, keyInHeader) => {
          const headers: Record<string, string> = {
            [upperSome('content-type', mask)]: 'application/json',
            [upperSome('webhook-request-origin', mask >> 3)]: 'eventgrid.azure.net',
            ...(keyInHeader ? { [upperSome('x-autoscaler-key', mask >> 5)]: KEY } : {}),
          };
          const r = await handler(urlEvent(method, headers, keyInHeader ? {} : { code: KEY }, body, base64));
          expect([200, 400, 405]).toContain(r.statusCode);
          expect(r.headers?.['content-type']).toBe('application/json');
          if (r.body) JSON.parse(r.body);
        },
      ),
      RUNS,
    );
  });

  it('the Event Grid handler forwards a valid delivery, base64-encoded or not, as the receiver does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(gridEvent(fc.uuid()), { minLength: 1, maxLength: 4, selector: (e) => e.id }),
        fc.boolean(),
        async (events, base64) => {
          const ports = new FakePorts();
          const handler = await eventGridReceiverHandler({ ports, key: KEY });
          const r = await handler(
            urlEvent(
              'POST',
              { 'Content-Type': 'application/json', 'X-Autoscaler-Key': KEY },
              {},
              JSON.stringify(events),
              base64,
            ),
          );
          expect(r.statusCode).toBe(200);
          expect(JSON.parse(r.body!)).toEqual({ status: 'forwarded', forwarded: events.length, duplicates: 0 });
          expect(ports.forwarded.map((f) => f.detail)).toEqual(asJson(events));
        },
      ),
      RUNS,
    );
  });

  it('the Pub/Sub handler forwards a valid push, base64-encoded or not, with the Authorization header in any case', async () => {
    const env = { PUBSUB_AUDIENCE: ` ${CONFIG.audience} `, PUBSUB_SERVICE_ACCOUNT: CONFIG.serviceAccountEmail };
    await fc.assert(
      fc.asyncProperty(dataArb, messageIdArb, fc.boolean(), fc.nat(), async (d, id, base64, mask) => {
        const ports = new FakePorts();
        const v = verifier();
        const handler = pubsubReceiverHandler({ env, ports, verifier: v as unknown as OAuth2Client });
        const body = JSON.stringify({ message: { data: b64(d.data), messageId: id }, subscription: 'any' });
        const r = await handler(
          urlEvent('POST', { [upperSome('authorization', mask)]: `Bearer ${TOKEN}` }, {}, body, base64),
        );
        expect(r.statusCode).toBe(200);
        expect(ports.forwarded).toEqual([{ ...d.kind, detail: asJson(d.data) }]);
        // The configured audience, trimmed, is the one the token is checked against.
        expect(v.calls).toEqual([{ idToken: TOKEN, audience: CONFIG.audience }]);
      }),
      RUNS,
    );
  });
});
