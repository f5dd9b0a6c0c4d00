/**
 * The receivers' ports on AWS: PutEvents on the autoscaler's bus (10 entries a call; any refused entry
 * fails the delivery, which the sender retries), and delivery claims in the state table under
 * `receiver#<kind>` (a conditional put of a pending claim with its lease, an update marking it delivered, a
 * consistent read of one taken; DynamoDB's TTL removes them), which the receivers' role may read and write
 * and nothing else of the table. A claim written before claims had states (no `claimState`) reads as delivered.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { TABLE_KEYS } from '../state/table.ts';
import type { BusEntry, ClaimResult, ReceiverPorts } from './ports.ts';

/** The partition key prefix of delivery claims (the receivers' IAM policy is scoped to it). */
export const CLAIM_PREFIX = 'receiver#';

/** A sort key of bounded length: long ids become a digest. */
const claimKey = (id: string) => (id.length <= 200 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`);

/** The table key of the claim of `id` of `kind`. */
const keyOf = (kind: string, id: string) => ({
  [TABLE_KEYS.partitionKey]: { S: `${CLAIM_PREFIX}${kind}` },
  [TABLE_KEYS.sortKey]: { S: claimKey(id) },
});

/** A claim's attributes: its state (`pending` or `delivered`) and, while pending, its lease's end (epoch ms). */
const STATE = 'claimState';
const LEASE = 'leaseUntilMs';

export function awsReceiverPorts(options: {
  events: Pick<EventBridgeClient, 'send'>;
  busName: string;
  dynamo: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  log?: ReceiverPorts['log'];
}): ReceiverPorts {
  return {
    async forward(entries: BusEntry[]) {
      for (let i = 0; i < entries.length; i += 10) {
        const batch = entries.slice(i, i + 10);
        const r = await options.events.send(
          new PutEventsCommand({
            Entries: batch.map((e) => ({
              EventBusName: options.busName,
              Source: e.source,
              DetailType: e.detailType,
              Detail: JSON.stringify(e.detail),
              ...(e.time ? { Time: e.time } : {}),
            })),
          }),
        );
        if (r.FailedEntryCount) {
          const codes = (r.Entries ?? []).filter((x) => x.ErrorCode).map((x) => x.ErrorCode);
          throw new Error(`PutEvents refused ${r.FailedEntryCount} of ${batch.length} entries (${codes.join(', ')})`);
        }
      }
    },
    async claim(kind, id, { now, leaseUntil, expiresAt }): Promise<ClaimResult> {
      const key = keyOf(kind, id);
      try {
        await options.dynamo.send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: {
              ...key,
              [STATE]: { S: 'pending' },
              [LEASE]: { N: String(leaseUntil.getTime()) },
              [TABLE_KEYS.ttlAttribute]: { N: String(Math.ceil(expiresAt.getTime() / 1000)) },
            },
            // Free, or pending with its holder's lease over (it died holding it).
            ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :pending AND #lease < :now)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#state': STATE, '#lease': LEASE },
            ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':now': { N: String(now.getTime()) } },
          }),
        );
        return 'claimed';
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
      const held = await options.dynamo.send(
        new GetItemCommand({
          TableName: options.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: '#state',
          ExpressionAttributeNames: { '#state': STATE },
        }),
      );
      // Gone since (its holder gave it back): another delivery may be taking it now; the sender retries.
      if (!held.Item) return 'in-flight';
      return held.Item[STATE]?.S === 'pending' ? 'in-flight' : 'delivered';
    },
    async complete(kind, id) {
      try {
        await options.dynamo.send(
          new UpdateItemCommand({
            TableName: options.tableName,
            Key: keyOf(kind, id),
            UpdateExpression: 'SET #state = :delivered REMOVE #lease',
            // Never creates a claim (it would have no TTL and stay forever).
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#state': STATE, '#lease': LEASE },
            ExpressionAttributeValues: { ':delivered': { S: 'delivered' } },
          }),
        );
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    },
    async release(kind, id) {
      await options.dynamo.send(
        new DeleteItemCommand({
          TableName: options.tableName,
          Key: keyOf(kind, id),
        }),
      );
    },
    now: () => new Date(),
    log: options.log ?? ((level, message, fields) => console[level](JSON.stringify({ level, message, ...fields }))),
  };
}
