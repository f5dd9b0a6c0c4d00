/**
 * The receivers' delivery claims against a real DynamoDB (dynalite on 127.0.0.1): the conditions the AWS ports
 * write do what the fakes of the other receiver tests model. A claim is pending with a lease, delivered once
 * marked so, taken over once its lease is over (its holder died), and given back on a failed forward; marking
 * one delivered never creates a claim; a claim written before claims had states reads as delivered.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import { awsReceiverPorts, CLAIM_PREFIX } from '../../shared/receivers/aws.ts';
import { claimTimes, type ReceiverPorts } from '../../shared/receivers/ports.ts';

let dynamo: LocalDynamo;
let ports: ReceiverPorts;
const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (ms: number, remainingMs = 10_000) => claimTimes(new Date(T0 + ms), 48 * 3600_000, remainingMs);

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  ports = awsReceiverPorts({
    events: { send: async () => ({ FailedEntryCount: 0, Entries: [] }) },
    busName: 'b',
    dynamo: dynamo.client as DynamoDBClient,
    tableName: dynamo.tableName,
    log: () => undefined,
  });
});
afterAll(async () => {
  await dynamo?.close();
});

const item = async (kind: string, id: string) =>
  (
    await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: `${CLAIM_PREFIX}${kind}` }, sk: { S: id } },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('delivery claims in DynamoDB', () => {
  it('pending within its lease (10 s left and 5 s of margin), taken over after it, delivered once marked', async () => {
    expect(await ports.claim('eventgrid', 'e-1', at(0))).toBe('claimed');
    expect(await item('eventgrid', 'e-1')).toMatchObject({
      claimState: { S: 'pending' },
      leaseUntilMs: { N: String(T0 + 15_000) },
      expiresAt: { N: String((T0 + 48 * 3600_000) / 1000) },
    });
    expect(await ports.claim('eventgrid', 'e-1', at(15_000))).toBe('in-flight');
    // Its holder died: the lease is over and the next delivery takes the claim.
    expect(await ports.claim('eventgrid', 'e-1', at(15_001))).toBe('claimed');
    expect(await ports.claim('eventgrid', 'e-1', at(20_000))).toBe('in-flight');
    await ports.complete('eventgrid', 'e-1');
    expect(await item('eventgrid', 'e-1')).toMatchObject({ claimState: { S: 'delivered' } });
    expect((await item('eventgrid', 'e-1'))?.leaseUntilMs).toBeUndefined();
    // Delivered: a replay, however late (until DynamoDB's TTL removes it).
    expect(await ports.claim('eventgrid', 'e-1', at(3600_000))).toBe('delivered');
  });

  it('given back after a failed forward: the retry claims it again', async () => {
    expect(await ports.claim('pubsub', 'm-1', at(0))).toBe('claimed');
    await ports.release('pubsub', 'm-1');
    expect(await item('pubsub', 'm-1')).toBeUndefined();
    expect(await ports.claim('pubsub', 'm-1', at(1_000))).toBe('claimed');
  });

  it('marking an id delivered that has no claim creates none (it would have no TTL)', async () => {
    await ports.complete('pubsub', 'never-claimed');
    expect(await item('pubsub', 'never-claimed')).toBeUndefined();
  });

  it('a claim of the version before claims had states (no claimState) is a replay, as it was then', async () => {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: { pk: { S: `${CLAIM_PREFIX}eventgrid` }, sk: { S: 'old-1' }, expiresAt: { N: String(T0 / 1000 + 3600) } },
      }),
    );
    expect(await ports.claim('eventgrid', 'old-1', at(0))).toBe('delivered');
  });

  it('kinds do not share claims', async () => {
    expect(await ports.claim('eventgrid', 'shared-id', at(0))).toBe('claimed');
    expect(await ports.claim('pubsub', 'shared-id', at(0))).toBe('claimed');
  });
});
