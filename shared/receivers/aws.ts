/**
 * The receivers' ports on AWS: PutEvents on the autoscaler's bus (10 entries a call; any refused entry
 * fails the delivery, which the sender retries), and delivery claims in the state table under
 * `receiver#<kind>` (a conditional put; DynamoDB's TTL removes them), which the receivers' role may write
 * and nothing else of the table.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { TABLE_KEYS } from '../state/table.ts';
import type { BusEntry, ReceiverPorts } from './ports.ts';

/** The partition key prefix of delivery claims (the receivers' IAM policy is scoped to it). */
export const CLAIM_PREFIX = 'receiver#';

/** A sort key of bounded length: long ids become a digest. */
const claimKey = (id: string) => (id.length <= 200 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`);

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
    async claim(kind, id, expiresAt) {
      try {
        await options.dynamo.send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: {
              [TABLE_KEYS.partitionKey]: { S: `${CLAIM_PREFIX}${kind}` },
              [TABLE_KEYS.sortKey]: { S: claimKey(id) },
              [TABLE_KEYS.ttlAttribute]: { N: String(Math.ceil(expiresAt.getTime() / 1000)) },
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
          }),
        );
        return true;
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException) return false;
        throw e;
      }
    },
    async release(kind, id) {
      await options.dynamo.send(
        new DeleteItemCommand({
          TableName: options.tableName,
          Key: {
            [TABLE_KEYS.partitionKey]: { S: `${CLAIM_PREFIX}${kind}` },
            [TABLE_KEYS.sortKey]: { S: claimKey(id) },
          },
        }),
      );
    },
    now: () => new Date(),
    log: options.log ?? ((level, message, fields) => console[level](JSON.stringify({ level, message, ...fields }))),
  };
}
