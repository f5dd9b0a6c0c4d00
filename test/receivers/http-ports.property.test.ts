/**
 * Properties of the receivers' plumbing: the Function URL request and response (shared/receivers/http.ts) and
 * the AWS ports (shared/receivers/aws.ts) over fake EventBridge and DynamoDB clients that record each command.
 *
 * What their comments promise: a request's headers are lower-cased, a base64 body is decoded to the text sent,
 * a response's body is its JSON (empty when there is none) with a JSON content type unless a header says
 * otherwise. The ports put every entry on the bus in order, 10 to a PutEvents call, each detail as its JSON
 * and its time when it has one; a call that refuses any entry fails the forward, naming how many. A delivery id
 * is claimed once while it is pending within its lease or delivered, and taken over once the lease is over (a
 * conditional put under `receiver#<kind>`, its TTL at or after the expiry); completing never creates a claim;
 * long ids go under a bounded key, and a failure other than the condition is thrown. `PROP_RUNS` sets
 * the runs per property (300 by default).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsReceiverPorts, CLAIM_PREFIX } from '../../shared/receivers/aws.ts';
import { fromFunctionUrl, json, toFunctionUrl } from '../../shared/receivers/http.ts';
import type { BusEntry } from '../../shared/receivers/ports.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const text = fc.string({ unit: 'binary', maxLength: 40 });
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);

describe('fromFunctionUrl', () => {
  it('lower-cases header names, keeps values and query parameters, drops undefined ones', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(headerName, fc.option(text, { nil: undefined })), {
          selector: ([k]) => k.toLowerCase(),
          maxLength: 8,
        }),
        // `__proto__` left out: set on a plain object it names the prototype, not a parameter (nothing reads one).
        fc.dictionary(
          fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
          fc.option(text, { nil: undefined }),
          { maxKeys: 5 },
        ),
        fc.option(fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT', 'DELETE'), { nil: undefined }),
        (headers, query, method) => {
          const event = {
            headers: Object.fromEntries(headers),
            queryStringParameters: query,
            ...(method ? { requestContext: { http: { method } } } : {}),
          } as unknown as APIGatewayProxyEventV2;
          const req = fromFunctionUrl(event);
          expect(req.method).toBe(method ?? 'GET');
          const wantHeaders = Object.fromEntries(
            headers.filter(([, v]) => v !== undefined).map(([k, v]) => [k.toLowerCase(), v]),
          );
          expect(req.headers).toEqual(wantHeaders);
          expect(req.query).toEqual(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)));
        },
      ),
      RUNS,
    );
  });

  it('a body, base64-encoded or not, is the text sent; none is empty', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: undefined }),
        fc.boolean(),
        (body, b64) => {
          const event = {
            headers: {},
            ...(body === undefined ? {} : { body: b64 ? Buffer.from(body, 'utf8').toString('base64') : body }),
            isBase64Encoded: b64,
          } as unknown as APIGatewayProxyEventV2;
          expect(fromFunctionUrl(event).body).toBe(body ?? '');
        },
      ),
      RUNS,
    );
  });
});

describe('toFunctionUrl', () => {
  it("answers the response's status, its body as JSON (empty without one) and a JSON content type by default", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.option(fc.jsonValue(), { nil: undefined }),
        fc.option(
          fc.dictionary(
            headerName.map((h) => h.toLowerCase()),
            text,
            { maxKeys: 4 },
          ),
          { nil: undefined },
        ),
        (status, body, headers) => {
          const r = toFunctionUrl(json(status, body, headers));
          expect(r.statusCode).toBe(status);
          if (body === undefined) expect(r.body).toBe('');
          else expect(JSON.parse(r.body!)).toEqual(JSON.parse(JSON.stringify(body)));
          expect(r.headers?.['content-type']).toBe(headers?.['content-type'] ?? 'application/json');
          for (const [k, v] of Object.entries(headers ?? {})) expect(r.headers?.[k]).toBe(v);
        },
      ),
      RUNS,
    );
  });
});

/** A fake EventBridge: records each PutEvents call, refuses the entries `refuse` says. */
function fakeEvents(refuse: (callIndex: number, entryIndex: number) => boolean = () => false) {
  const calls: PutEventsRequestEntry[][] = [];
  const client = {
    async send(cmd: unknown) {
      if (!(cmd instanceof PutEventsCommand)) throw new Error('not a PutEvents');
      const entries = cmd.input.Entries ?? [];
      const call = calls.length;
      calls.push(entries);
      const results = entries.map((_, i) =>
        refuse(call, i) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'refused' } : { EventId: `e-${call}-${i}` },
      );
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  };
  return { calls, client: client as unknown as Pick<EventBridgeClient, 'send'> };
}

/**
 * A fake DynamoDB: items by pk and sk; a claim's put taken when the item is absent or pending with its lease
 * before `:now`, an update only of an existing item (the conditions the ports write, which the dynalite test in
 * claims.test.ts checks against a real DynamoDB); `fail` makes a call throw.
 */
function fakeDynamo() {
  type Item = Record<string, { S?: string; N?: string }>;
  const items = new Map<string, Item>();
  const log: Array<{ op: 'put' | 'update' | 'get' | 'delete'; pk: string; sk: string; ttl?: string }> = [];
  let fail: Error | undefined;
  const keyOf = (pk: string, sk: string) => JSON.stringify([pk, sk]);
  const conditionFailed = () =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  const client = {
    async send(cmd: unknown) {
      if (fail) throw fail;
      if (cmd instanceof PutItemCommand) {
        const item = cmd.input.Item as Item;
        const pk = item.pk!.S!;
        const sk = item.sk!.S!;
        log.push({ op: 'put', pk, sk, ttl: item.expiresAt?.N });
        const held = items.get(keyOf(pk, sk));
        const now = Number(cmd.input.ExpressionAttributeValues?.[':now']?.N);
        if (held && !(held.claimState?.S === 'pending' && Number(held.leaseUntilMs?.N) < now)) throw conditionFailed();
        items.set(keyOf(pk, sk), item);
        return {};
      }
      const key = (cmd as { input: { Key: Record<string, { S?: string }> } }).input.Key;
      const k = keyOf(key.pk!.S!, key.sk!.S!);
      if (cmd instanceof UpdateItemCommand) {
        log.push({ op: 'update', pk: key.pk!.S!, sk: key.sk!.S! });
        const held = items.get(k);
        if (!held) throw conditionFailed();
        const { leaseUntilMs: _lease, ...rest } = held;
        items.set(k, { ...rest, claimState: { S: 'delivered' } });
        return {};
      }
      if (cmd instanceof GetItemCommand) {
        log.push({ op: 'get', pk: key.pk!.S!, sk: key.sk!.S! });
        const held = items.get(k);
        return held ? { Item: held } : {};
      }
      if (cmd instanceof DeleteItemCommand) {
        log.push({ op: 'delete', pk: key.pk!.S!, sk: key.sk!.S! });
        items.delete(k);
        return {};
      }
      throw new Error('unexpected command');
    },
  };
  return {
    items,
    log,
    failWith: (e: Error | undefined) => {
      fail = e;
    },
    client: client as unknown as Pick<DynamoDBClient, 'send'>,
  };
}

const entryArb: fc.Arbitrary<BusEntry> = fc.record(
  {
    source: fc.constantFrom('autoscaler.azure.eventgrid', 'autoscaler.gcp.monitoring'),
    detailType: fc.constantFrom('Azure Event Grid Event', 'GCP Monitoring Incident'),
    detail: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    time: fc.date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
  },
  { requiredKeys: ['source', 'detailType', 'detail'] },
);

describe('awsReceiverPorts.forward', () => {
  it('puts every entry once, in order, 10 to a call, each detail as its JSON and its time when it has one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { maxLength: 35 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (entries, bus) => {
          const events = fakeEvents();
          const dynamo = fakeDynamo();
          const ports = awsReceiverPorts({
            events: events.client,
            busName: bus,
            dynamo: dynamo.client,
            tableName: 't',
            log: () => undefined,
          });
          await ports.forward(entries);
          expect(events.calls.length).toBe(Math.ceil(entries.length / 10));
          for (const c of events.calls) expect(c.length).toBeGreaterThanOrEqual(1);
          for (const c of events.calls) expect(c.length).toBeLessThanOrEqual(10);
          const sent = events.calls.flat();
          expect(sent).toHaveLength(entries.length);
          for (const [i, e] of entries.entries()) {
            const s = sent[i]!;
            expect(s.EventBusName).toBe(bus);
            expect(s.Source).toBe(e.source);
            expect(s.DetailType).toBe(e.detailType);
            expect(JSON.parse(s.Detail!)).toEqual(JSON.parse(JSON.stringify(e.detail)));
            expect(s.Time).toEqual(e.time);
          }
          expect(dynamo.log).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('a call that refuses any entry fails the forward, saying how many of its batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 35 }),
        fc.integer({ min: 0, max: 34 }),
        async (entries, at) => {
          const refused = at % entries.length;
          const call = Math.floor(refused / 10);
          const events = fakeEvents((c, i) => c * 10 + i === refused);
          const ports = awsReceiverPorts({
            events: events.client,
            busName: 'b',
            dynamo: fakeDynamo().client,
            tableName: 't',
            log: () => undefined,
          });
          const batch = Math.min(10, entries.length - call * 10);
          await expect(ports.forward(entries)).rejects.toThrow(
            `PutEvents refused 1 of ${batch} entries (InternalFailure)`,
          );
          // The batches after the refused one are not sent.
          expect(events.calls).toHaveLength(call + 1);
        },
      ),
      RUNS,
    );
  });
});

describe('awsReceiverPorts.claim, complete and release', () => {
  const idArb = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
    fc.string({ minLength: 190, maxLength: 400 }),
  );
  const kindArb = fc.constantFrom('eventgrid', 'pubsub');
  type Op = { op: 'claim' | 'complete' | 'release'; kind: string; id: string; advanceMs: number };
  const times = (nowMs: number, expiresAt: Date) => ({
    now: new Date(nowMs),
    leaseUntil: new Date(nowMs + 15_000),
    expiresAt,
  });

  it('an id is claimed once while pending within its lease or delivered; a lapsed lease is taken over; under receiver#<kind>, with a bounded key and its TTL', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(idArb, { minLength: 1, maxLength: 5 }).chain((ids) =>
          fc.array(
            fc.record({
              op: fc.constantFrom<Op['op']>('claim', 'claim', 'complete', 'release'),
              kind: kindArb,
              id: fc.constantFrom(...ids),
              // Time passing between two operations: often none, sometimes past a lease.
              advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40_000 })),
            }),
            { maxLength: 25 },
          ),
        ),
        fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        async (ops, expiresAt) => {
          const dynamo = fakeDynamo();
          const ports = awsReceiverPorts({
            events: fakeEvents().client,
            busName: 'b',
            dynamo: dynamo.client,
            tableName: 't',
            log: () => undefined,
          });
          // The model: each (kind, id)'s claim, pending until a lease's end or delivered.
          const model = new Map<string, { state: 'pending' | 'delivered'; leaseUntil: number }>();
          let now = Date.parse('2026-06-01T00:00:00Z');
          for (const o of ops) {
            now += o.advanceMs;
            const k = JSON.stringify([o.kind, o.id]);
            const held = model.get(k);
            if (o.op === 'claim') {
              const want = !held
                ? 'claimed'
                : held.state === 'delivered'
                  ? 'delivered'
                  : held.leaseUntil >= now
                    ? 'in-flight'
                    : 'claimed';
              expect(await ports.claim(o.kind, o.id, times(now, expiresAt))).toBe(want);
              if (want === 'claimed') model.set(k, { state: 'pending', leaseUntil: now + 15_000 });
            } else if (o.op === 'complete') {
              await ports.complete(o.kind, o.id);
              if (held) held.state = 'delivered';
            } else {
              await ports.release(o.kind, o.id);
              model.delete(k);
            }
          }
          for (const w of dynamo.log) {
            expect(w.pk.startsWith(CLAIM_PREFIX)).toBe(true);
            expect(w.sk.length).toBeGreaterThan(0);
            expect(w.sk.length).toBeLessThanOrEqual(200);
            if (w.op === 'put') expect(Number(w.ttl) * 1000).toBeGreaterThanOrEqual(expiresAt.getTime());
            if (w.op === 'put') expect(Number(w.ttl) * 1000).toBeLessThan(expiresAt.getTime() + 1000);
          }
          // Completing never creates a claim.
          expect(dynamo.items.size).toBe(model.size);
        },
      ),
      RUNS,
    );
  });

  it('distinct ids of one kind get distinct keys (a short id as it is, a long one digested)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(idArb, { minLength: 1, maxLength: 8 }), async (ids) => {
        const dynamo = fakeDynamo();
        const ports = awsReceiverPorts({
          events: fakeEvents().client,
          busName: 'b',
          dynamo: dynamo.client,
          tableName: 't',
          log: () => undefined,
        });
        for (const id of ids)
          expect(await ports.claim('pubsub', id, times(0, new Date('2026-01-01T00:00:00Z')))).toBe('claimed');
        const keys = dynamo.log.filter((w) => w.op === 'put').map((w) => w.sk);
        expect(new Set(keys).size).toBe(ids.length);
        for (const [i, id] of ids.entries()) if (id.length <= 200) expect(keys[i]).toBe(id);
      }),
      RUNS,
    );
  });

  it('a failure other than the condition is thrown, not taken for a replay', async () => {
    await fc.assert(
      fc.asyncProperty(idArb, kindArb, fc.string({ minLength: 1, maxLength: 30 }), async (id, kind, message) => {
        const dynamo = fakeDynamo();
        const ports = awsReceiverPorts({
          events: fakeEvents().client,
          busName: 'b',
          dynamo: dynamo.client,
          tableName: 't',
          log: () => undefined,
        });
        const boom = new Error(message);
        dynamo.failWith(boom);
        await expect(ports.claim(kind, id, times(0, new Date('2026-01-01T00:00:00Z')))).rejects.toBe(boom);
        await expect(ports.complete(kind, id)).rejects.toBe(boom);
      }),
      RUNS,
    );
  });
});
