/**
 * The state table: fleet state, leases, idempotency records and audit records, keyed as
 * shared/state/table.ts says. Point-in-time recovery is on; audit records carry `expiresAt` (epoch seconds)
 * and DynamoDB's TTL deletes them after `audit.ttlDays`. Not linked to any function: SST's link would
 * grant `dynamodb:*`, so stacks/permissions.ts grants the five item actions explicitly.
 */
import { TABLE_KEYS } from '../shared/state/table.ts';

export function storage() {
  const table = new aws.dynamodb.Table('State', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: TABLE_KEYS.partitionKey,
    rangeKey: TABLE_KEYS.sortKey,
    attributes: [
      { name: TABLE_KEYS.partitionKey, type: 'S' },
      { name: TABLE_KEYS.sortKey, type: 'S' },
    ],
    pointInTimeRecovery: { enabled: true },
    ttl: { attributeName: TABLE_KEYS.ttlAttribute, enabled: true },
    // A stage that keeps its data on removal also refuses an accidental table deletion.
    deletionProtectionEnabled: $app.removal !== 'remove',
  });
  return { table };
}
