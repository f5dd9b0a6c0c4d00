/**
 * The Pub/Sub push receiver: tokens made with a key generated for the run and verified by google-auth-library
 * against certificates served on 127.0.0.1 (never Google). Forged, expired, wrongly addressed and replayed
 * deliveries are refused; a valid one reaches the bus (the AWS emulator) and parses as the functions read it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { type GoogleOidc, startGoogleOidc } from '../../local/emulators/gcp/google-oidc.ts';
import { World } from '../../local/emulators/world.ts';
import { startLocalDynamo } from '../../local/dynalite.ts';
import { awsReceiverPorts } from '../../shared/receivers/aws.ts';
import type { HttpRequest } from '../../shared/receivers/http.ts';
import { CERTS_FETCH, pubsubReceiverHandler } from '../../shared/receivers/lambda.ts';
import { type PubSubReceiverConfig, receivePubSubPush } from '../../shared/receivers/pubsub.ts';
import { FakePorts } from './support.ts';

const CONFIG: PubSubReceiverConfig = {
  audience: 'gpu-autoscaler-test-pubsub',
  serviceAccountEmail: 'pubsub-push@gpu-fleet.iam.gserviceaccount.com',
  subscription: 'projects/gpu-fleet/subscriptions/gpu-autoscaler-preemptions',
};

let oidc: GoogleOidc;
let verifier: OAuth2Client;
beforeAll(async () => {
  oidc = await startGoogleOidc();
  verifier = new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: oidc.certsUrl } });
});
afterAll(() => oidc.close());

const nowS = () => Math.floor(Date.now() / 1000);
function claims(over: Record<string, unknown> = {}) {
  return {
    iss: 'https://accounts.google.com',
    aud: CONFIG.audience,
    azp: '112233445566778899001',
    sub: '112233445566778899001',
    email: CONFIG.serviceAccountEmail,
    email_verified: true,
    iat: nowS() - 10,
    exp: nowS() + 3590,
    ...over,
  };
}

function push(token: string | undefined, body: unknown = pushBody()): HttpRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    query: {},
    body: JSON.stringify(body),
  };
}

function pushBody(messageId = '9182736450123') {
  const body = loadSample<{ message: Record<string, unknown>; subscription: string }>('gcp-preemption-pubsub');
  body.message.messageId = messageId;
  body.subscription = CONFIG.subscription!;
  return body;
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', () => undefined],
    ['not a JWT', () => 'not-a-token'],
    ['forged: signed by another key under a served key id', () => oidc.forge(claims())],
    ['expired', () => oidc.sign(claims({ iat: nowS() - 7200, exp: nowS() - 3600 }))],
    ['another audience', () => oidc.sign(claims({ aud: 'someone-else' }))],
    ['another issuer', () => oidc.sign(claims({ iss: 'https://evil.example.com' }))],
    ['another service account', () => oidc.sign(claims({ email: 'intruder@evil.iam.gserviceaccount.com' }))],
    ['an unverified email', () => oidc.sign(claims({ email_verified: false }))],
  ])('%s: 401, nothing forwarded, the token never logged', async (_name, token) => {
    const ports = new FakePorts();
    const t = token();
    const r = await receivePubSubPush(push(t), CONFIG, verifier, ports);
    expect(r.status).toBe(401);
    expect(ports.forwarded).toEqual([]);
    expect(ports.claims.size).toBe(0);
    const logged = JSON.stringify(ports.logs);
    expect(logged).toMatch(/refused/);
    if (t && t.split('.').length === 3) {
      // Neither the signature nor the payload of the token.
      expect(logged).not.toContain(t.split('.')[2]!.slice(0, 20));
      expect(logged).not.toContain(t.split('.')[1]!.slice(0, 20));
    }
  });

  it('a delivery of another subscription: 401', async () => {
    const ports = new FakePorts();
    const body = pushBody();
    body.subscription = 'projects/other/subscriptions/x';
    expect((await receivePubSubPush(push(oidc.sign(claims()), body), CONFIG, verifier, ports)).status).toBe(401);
  });
});

describe("Google's certificates unavailable: the verifier failed, not the token", () => {
  // Each case has its own client (no cached certificates) and fails fast: no retry, a 300 ms timeout.
  const failFast = (certsUrl: string) =>
    new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: certsUrl },
      transporterOptions: { timeout: 300, retryConfig: { retry: 0, noResponseRetries: 0 } },
    });
  let down: GoogleOidc;
  beforeAll(async () => {
    down = await startGoogleOidc();
  });
  afterAll(() => down.close());

  it.each([
    [
      'the certificates endpoint down (connection refused)',
      async () => {
        const gone = await startGoogleOidc();
        await gone.close();
        return gone.certsUrl;
      },
      /could not be fetched \(ECONNREFUSED\)/,
    ],
    [
      'the certificates endpoint answering 500',
      async () => {
        down.certsAnswer = '500';
        return down.certsUrl;
      },
      /answered 500/,
    ],
    [
      'the certificates endpoint hanging past the timeout',
      async () => {
        down.certsAnswer = 'hang';
        return down.certsUrl;
      },
      // The request aborted by its timeout signal (the name depends on the fetch implementation).
      /could not be fetched \((TimeoutError|AbortError)\)/,
    ],
  ])(
    '%s: 503, nothing forwarded, logged as the verifier failing, the token never logged',
    async (_name, setUp, reason) => {
      const ports = new FakePorts();
      const token = oidc.sign(claims());
      const r = await receivePubSubPush(push(token), CONFIG, failFast(await setUp()), ports);
      expect(r.status).toBe(503);
      expect(ports.forwarded).toEqual([]);
      expect(ports.claims.size).toBe(0);
      expect(ports.logs).toHaveLength(1);
      expect(ports.logs[0]!.message).toMatch(/certificates unavailable/);
      expect(ports.logs[0]!.message).not.toMatch(/refused/);
      expect(ports.logs[0]!.fields?.reason).toMatch(reason);
      const logged = JSON.stringify(ports.logs);
      for (const part of token.split('.')) expect(logged).not.toContain(part.slice(0, 20));
    },
  );

  it('once the certificates are served again, the redelivery is verified and forwarded', async () => {
    down.certsAnswer = '500';
    const verifierOfDown = failFast(down.certsUrl);
    const ports = new FakePorts();
    // A token of the emulator whose certificates this client fetches.
    const own = down.sign(claims());
    expect((await receivePubSubPush(push(own), CONFIG, verifierOfDown, ports)).status).toBe(503);
    down.certsAnswer = 'ok';
    expect(await receivePubSubPush(push(own), CONFIG, verifierOfDown, ports)).toMatchObject({
      status: 200,
      body: { status: 'forwarded' },
    });
  });

  it("the deployed client's fetch (CERTS_FETCH): one retry after a 500, then 503", async () => {
    down.certsAnswer = '500';
    const before = down.fetches;
    const deployed = new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: down.certsUrl },
      transporterOptions: { ...CERTS_FETCH },
    });
    const ports = new FakePorts();
    expect((await receivePubSubPush(push(down.sign(claims())), CONFIG, deployed, ports)).status).toBe(503);
    expect(down.fetches - before).toBe(2);
    expect(ports.forwarded).toEqual([]);
  });

  it('a token whose key id the served certificates do not hold is still refused (401)', async () => {
    down.certsAnswer = 'ok';
    const ports = new FakePorts();
    const r = await receivePubSubPush(push(oidc.sign(claims())), CONFIG, failFast(down.certsUrl), ports);
    expect(r.status).toBe(401);
    expect(ports.logs[0]!.message).toMatch(/refused/);
  });
});

describe('delivery', () => {
  it('forwards the LogEntry once; a replayed delivery (same message id) is acknowledged, not forwarded', async () => {
    const ports = new FakePorts();
    const token = oidc.sign(claims());
    const first = await receivePubSubPush(push(token), CONFIG, verifier, ports);
    expect(first).toMatchObject({ status: 200, body: { status: 'forwarded' } });
    expect(ports.forwarded).toHaveLength(1);
    expect(ports.forwarded[0]).toMatchObject({
      source: 'autoscaler.gcp.compute.preemption',
      detailType: 'GCP Audit Log Entry',
    });
    const replay = await receivePubSubPush(push(token), CONFIG, verifier, ports);
    expect(replay).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(ports.forwarded).toHaveLength(1);
  });

  it('a Cloud Monitoring notification goes on the bus as an incident', async () => {
    const ports = new FakePorts();
    const body = loadSample<{ message: Record<string, unknown> }>('gcp-monitoring-incident', 'pubsub');
    body.message.messageId = '55';
    const r = await receivePubSubPush(
      push(oidc.sign(claims()), { ...body, subscription: CONFIG.subscription }),
      CONFIG,
      verifier,
      ports,
    );
    expect(r.status).toBe(200);
    expect(ports.forwarded[0]).toMatchObject({ source: 'autoscaler.gcp.monitoring' });
  });

  it('an invocation that died holding the claim (a timeout before PutEvents answered): a redelivery within its lease is answered 503, the one after it is forwarded', async () => {
    // Before claims had leases, the redelivery found the id claimed and was acknowledged as a duplicate: lost.
    const ports = new FakePorts();
    const token = oidc.sign(claims());
    const forward = ports.forward.bind(ports);
    ports.forward = () => new Promise<void>(() => undefined);
    void receivePubSubPush({ ...push(token), remainingMs: 9_000 }, CONFIG, verifier, ports);
    await new Promise((r) => setTimeout(r, 20));
    ports.forward = forward;
    ports.clock = new Date(ports.clock.getTime() + 5_000);
    expect(await receivePubSubPush(push(token), CONFIG, verifier, ports)).toMatchObject({ status: 503 });
    expect(ports.forwarded).toEqual([]);
    ports.clock = new Date(ports.clock.getTime() + 10_000); // 15 s after: past 9 s and the 5 s margin
    expect((await receivePubSubPush(push(token), CONFIG, verifier, ports)).body).toMatchObject({ status: 'forwarded' });
    expect(ports.forwarded).toHaveLength(1);
    expect((await receivePubSubPush(push(token), CONFIG, verifier, ports)).body).toMatchObject({ status: 'duplicate' });
  });

  it('a failed PutEvents gives the claim back and answers 500, so the redelivery is forwarded', async () => {
    const ports = new FakePorts();
    ports.failForward = true;
    const token = oidc.sign(claims());
    expect((await receivePubSubPush(push(token), CONFIG, verifier, ports)).status).toBe(500);
    ports.failForward = false;
    expect((await receivePubSubPush(push(token), CONFIG, verifier, ports)).body).toMatchObject({ status: 'forwarded' });
  });

  it.each([
    ['a body that is not JSON', 'nope', 400],
    ['no message id', { message: { data: 'e30=' } }, 400],
  ])('%s: %s', async (_name, body, status) => {
    const req = push(oidc.sign(claims()));
    req.body = typeof body === 'string' ? body : JSON.stringify(body);
    expect((await receivePubSubPush(req, CONFIG, verifier, new FakePorts())).status).toBe(status);
  });

  it('data that is neither a LogEntry nor an incident is acknowledged and logged', async () => {
    const ports = new FakePorts();
    const body = pushBody();
    body.message.data = Buffer.from('{"hello":1}').toString('base64');
    const r = await receivePubSubPush(push(oidc.sign(claims()), body), CONFIG, verifier, ports);
    expect(r).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(ports.forwarded).toEqual([]);
  });
});

describe('the Function URL handler, with the real ports', () => {
  it('verifies, claims in DynamoDB, puts on the bus; the event parses as a GCP preemption', async () => {
    const dynamo = await startLocalDynamo();
    const aws = await startAwsEmulator(new World({ start: Date.now() }));
    const events = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: aws.endpoints.events,
      credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' },
    });
    try {
      const ports = awsReceiverPorts({
        events,
        busName: 'gpu-autoscaler-test',
        dynamo: dynamo.client as DynamoDBClient,
        tableName: dynamo.tableName,
        log: () => undefined,
      });
      const env = {
        PUBSUB_AUDIENCE: CONFIG.audience,
        PUBSUB_SERVICE_ACCOUNT: CONFIG.serviceAccountEmail,
        EVENT_BUS_NAME: 'unused',
        TABLE_NAME: 'unused',
      };
      const handler = pubsubReceiverHandler({ env, ports, verifier });
      const event = {
        requestContext: { http: { method: 'POST' } },
        headers: { Authorization: `Bearer ${oidc.sign(claims())}`, 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(pushBody('777'))).toString('base64'),
        isBase64Encoded: true,
      } as unknown as APIGatewayProxyEventV2;
      expect((await handler(event)).statusCode).toBe(200);
      expect((await handler(event)).body).toMatch(/duplicate/);
      expect(aws.events.received).toHaveLength(1);
      expect(normalizeEvent(aws.events.received[0])).toMatchObject({
        type: 'interruption',
        cloud: 'gcp',
        kind: 'preempt',
        instanceIds: ['chat-l4-spot-7x2k'],
      });
      // The certificates were fetched once and cached.
      expect(oidc.fetches).toBe(1);
    } finally {
      events.destroy();
      await aws.close();
      await dynamo.close();
    }
  });
});
