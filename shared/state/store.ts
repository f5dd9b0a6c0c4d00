/**
 * State in one DynamoDB table (pk/sk, TTL on `expiresAt`):
 *
 * | pk                      | sk                         | what                                                   |
 * |-------------------------|----------------------------|--------------------------------------------------------|
 * | `FLEET#<id>`            | `STATE`                    | pause, manual target, offering backoff, cooldown times, lease, version |
 * | `FLEET#<id>`            | `HIST#<iso time>#<n>`      | the engine's history: recommendations and actions (TTL: a day)        |
 * | `FLEET#<id>`            | `AUDIT#<iso time>#<event>` | one audit record per decision: trigger, plan with reasons, outcome     |
 * | `REJECTED#<yyyy-mm-dd>` | `<iso time>#<event id>`    | malformed or stale events, kept with the reason (in a bounded form)    |
 * | `idempotency#<fn>`      | `<hash>`                   | Powertools idempotency records (same table, sort key mode)             |
 *
 * Ids inside keys are bounded (`keyId`: a long id becomes its first characters and a digest); every record
 * keeps the full id in an attribute (`eventId`, `fleetId`).
 *
 * Concurrency: a fleet's decision runs under a lease (a conditional write on the STATE item) and ends with a
 * conditional write on `version`, so two events for one fleet can never both act on the same stale state.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DecisionState } from '../engine/types.ts';
import { boundedText, keyId, storedForm } from './bounded.ts';

/**
 * The durable per-fleet state: what the engine reads as `DecisionState` (pause, manual target, offering
 * backoff, interruptions already handled), plus the version used for conditional writes.
 */
export interface FleetState extends DecisionState {
  fleetId: string;
  /** Each pool's count when it was last observed: kept for a pool its cloud cannot describe. */
  lastKnown?: Record<string, { desired: number; ready: number }>;
  /** Bumped on every save; a save must name the version it read. */
  version: number;
}

export interface AuditRecord {
  fleetId: string;
  at: string;
  eventId: string;
  /** What triggered it: the function, the signal type, the source, and for operators who asked and why. */
  trigger: { fn: string; signal: string; source: string; actor?: string; reason?: string };
  dryRun: boolean;
  paused: boolean;
  /** The plan as the engine produced it (with its reasons). */
  plan?: unknown;
  outcome: {
    status: 'applied' | 'partial' | 'failed' | 'dry-run' | 'paused' | 'no-change' | 'rejected' | 'state-change';
    applied: Array<{ poolId?: string; action: string; detail?: unknown }>;
    failed: Array<{ poolId?: string; action: string; error: string; kind?: string; code?: string }>;
  };
  /** Inputs that were missing or degraded (metrics store down, no forecast...). */
  notes?: string[];
}

export interface RejectedEvent {
  at: string;
  eventId: string;
  fn: string;
  reason: string;
  /** The field path that was wrong, when known. */
  path?: string;
  raw: unknown;
}

/** Another invocation holds the fleet's lease. Retryable: Lambda retries the event. */
export class LeaseBusyError extends Error {
  readonly fleetId: string;
  constructor(fleetId: string, owner: string) {
    super(`fleet ${fleetId} is being decided by another invocation (${owner}); retry`);
    this.name = 'LeaseBusyError';
    this.fleetId = fleetId;
  }
}

/** The fleet state changed since it was read (another invocation saved first). Retryable. */
export class StaleStateError extends Error {
  readonly fleetId: string;
  constructor(fleetId: string, version: number) {
    super(`fleet ${fleetId} state changed since version ${version} was read; retry`);
    this.name = 'StaleStateError';
    this.fleetId = fleetId;
  }
}

export interface StateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long history entries are kept (seconds). */
  historyTtlSeconds?: number;
  auditTtlDays?: number;
}

const fleetPk = (id: string) => `FLEET#${keyId(id)}`;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export class StateStore {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly historyTtlSeconds: number;
  private readonly auditTtlDays: number;

  constructor(options: StateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    this.historyTtlSeconds = options.historyTtlSeconds ?? 24 * 3600;
    this.auditTtlDays = options.auditTtlDays ?? 90;
  }

  async getState(fleetId: string): Promise<FleetState> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: fleetPk(fleetId), sk: 'STATE' }, ConsistentRead: true }),
    );
    return toState(fleetId, out.Item);
  }

  /**
   * Takes the fleet's lease until `now + ttlMs` (a conditional write: free, expired, or already ours) and
   * returns the state read with it. Throws LeaseBusyError when another owner holds it.
   */
  async acquireLease(fleetId: string, owner: string, now: Date, ttlMs: number): Promise<FleetState> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(fleetId), sk: 'STATE' },
          UpdateExpression: 'SET leaseOwner = :o, leaseUntil = :u',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :o',
          ExpressionAttributeValues: { ':o': owner, ':u': now.getTime() + ttlMs, ':now': now.getTime() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(fleetId, out.Attributes);
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new LeaseBusyError(fleetId, 'another invocation');
      throw e;
    }
  }

  /** Releases the lease if we still hold it (a lease that expired and was taken by another is left alone). */
  async releaseLease(fleetId: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(fleetId), sk: 'STATE' },
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :o',
          ExpressionAttributeValues: { ':o': owner },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  /**
   * Saves the state if its version is still `state.version` (and, with `owner`, we still hold the lease);
   * bumps the version and releases the lease. Throws StaleStateError otherwise.
   */
  async saveState(state: FleetState, owner?: string): Promise<FleetState> {
    const next: FleetState = { ...state, version: state.version + 1 };
    const condition = state.version === 0 ? '(attribute_not_exists(version) OR version = :v)' : 'version = :v';
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: fleetPk(state.fleetId), sk: 'STATE', ...next },
          ConditionExpression: owner
            ? `${condition} AND (attribute_not_exists(leaseOwner) OR leaseOwner = :o)`
            : condition,
          ExpressionAttributeValues: owner ? { ':v': state.version, ':o': owner } : { ':v': state.version },
        }),
      );
      return next;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new StaleStateError(state.fleetId, state.version);
      throw e;
    }
  }

  /** Appends history entries (each needs an ISO `at`). */
  async appendHistory(fleetId: string, entries: Array<{ at: string } & Record<string, unknown>>): Promise<void> {
    let n = 0;
    for (const entry of entries) {
      n += 1;
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: fleetPk(fleetId),
            sk: `HIST#${entry.at}#${String(n).padStart(3, '0')}#${Math.random().toString(36).slice(2, 8)}`,
            entry,
            expiresAt: epochSeconds(entry.at) + this.historyTtlSeconds,
          },
        }),
      );
    }
  }

  /** History entries at or after `since`, oldest first. */
  async loadHistory<T = Record<string, unknown>>(fleetId: string, since: Date): Promise<T[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': fleetPk(fleetId), ':a': `HIST#${since.toISOString()}`, ':b': 'HIST#~' },
    });
    return items.map((i) => i.entry as T);
  }

  async putAudit(record: AuditRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: fleetPk(record.fleetId),
          // A retry of the same event at the same (simulated) time adds a record rather than replacing one.
          sk: `AUDIT#${record.at}#${keyId(record.eventId)}#${Math.random().toString(36).slice(2, 8)}`,
          ...record,
          expiresAt: epochSeconds(record.at) + this.auditTtlDays * 86400,
        },
      }),
    );
  }

  /**
   * The fleet's audit records, newest first: at most `limit`, within `range` when given (ISO times, inclusive;
   * records are keyed by their time, so the range is a key condition, not a filter).
   */
  async listAudit(fleetId: string, limit = 20, range: { since?: string; until?: string } = {}): Promise<AuditRecord[]> {
    const ranged = range.since !== undefined || range.until !== undefined;
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: ranged ? 'pk = :pk AND sk BETWEEN :a AND :b' : 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: ranged
          ? {
              ':pk': fleetPk(fleetId),
              ':a': `AUDIT#${range.since ?? ''}`,
              // '~' sorts after every character of a record's time, event id and suffix.
              ':b': `AUDIT#${range.until ?? '~'}~`,
            }
          : { ':pk': fleetPk(fleetId), ':p': 'AUDIT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(stripKeys) as unknown as AuditRecord[];
  }

  /**
   * Stores a rejected event with its reason. The event is kept in a bounded form (nesting cut at 64 levels,
   * 200 KB of JSON; `rawTruncated` says when it was cut), so that storing a rejection cannot fail on the
   * event's size or depth and turn it into a retry.
   */
  async putRejected(rejected: RejectedEvent): Promise<void> {
    const raw = storedForm(rejected.raw ?? null);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `REJECTED#${rejected.at.slice(0, 10)}`,
          sk: `${rejected.at}#${keyId(rejected.eventId)}`,
          ...rejected,
          eventId: boundedText(rejected.eventId, 10_000),
          reason: boundedText(rejected.reason),
          ...(rejected.path === undefined ? {} : { path: boundedText(rejected.path) }),
          raw: raw.text,
          ...(raw.truncated ? { rawTruncated: true } : {}),
          expiresAt: epochSeconds(rejected.at) + this.auditTtlDays * 86400,
        },
      }),
    );
  }

  /** Rejected events of one day (yyyy-mm-dd); a truncated copy comes back as its text. */
  async listRejected(day: string): Promise<RejectedEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `REJECTED#${day}` },
    });
    return items.map(
      (i) => ({ ...stripKeys(i), raw: i.rawTruncated ? String(i.raw) : JSON.parse(String(i.raw)) }) as RejectedEvent,
    );
  }

  private async queryAll(input: {
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...((out.Items ?? []) as Record<string, unknown>[]));
      start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return items;
  }
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = item;
  return rest;
}

function toState(fleetId: string, item: Record<string, unknown> | undefined): FleetState {
  if (!item || item.version === undefined) return { fleetId, version: 0, offeringBackoff: [] };
  const { pk: _pk, sk: _sk, leaseOwner: _o, leaseUntil: _u, ...rest } = item;
  return {
    offeringBackoff: [],
    ...(rest as Partial<FleetState>),
    fleetId,
    version: Number(item.version),
  } as FleetState;
}
