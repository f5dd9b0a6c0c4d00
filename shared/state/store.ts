/**
 * State in one DynamoDB table (pk/sk, TTL on `expiresAt`):
 *
 * | pk                      | sk                         | what                                                   |
 * |-------------------------|----------------------------|--------------------------------------------------------|
 * | `FLEET#<id>`            | `STATE`                    | the state (pause, manual target, offering backoff, handled interruptions...), the decision history of the last hour, lease, version |
 * | `FLEET#<id>`            | `AUDIT#<iso time>#<event>` | one audit record per decision: trigger, plan with reasons, outcome     |
 * | `REJECTED#<yyyy-mm-dd>` | `<iso time>#<event id>`    | malformed or stale events, kept with the reason (in a bounded form)    |
 * | `DRAIN#<fleet id>`      | `<command id>`             | a drain command's claim: who acts on it, until when, whether it is done |
 * | `idempotency#<fn>`      | `<hash>`                   | Powertools idempotency records (same table, sort key mode)             |
 *
 * The STATE item holds the engine's state in `state` (a map) and the decision history in `history` (a map
 * from `<iso time>#<suffix>` to an entry), so that one request takes the lease and reads both, and one
 * request saves both and releases the lease: a decision makes two requests to its fleet's state. Items
 * written before (the state's fields at the top level, the history as `HIST#<iso time>#<n>` items) are read
 * as they are until the next save moves them.
 *
 * Ids inside keys are bounded (`keyId`: a long id becomes its first characters and a digest); every record
 * keeps the full id in an attribute (`eventId`, `fleetId`).
 *
 * Concurrency: a fleet's decision runs under a lease (a conditional write on the STATE item) and ends with a
 * conditional write on `version`, so two events for one fleet can never both act on the same stale state.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AuditChange,
  type DrainClaimAnswer,
  type DrainClaimRequest,
  type Enlisted,
  type FleetRead,
  type NoticeHandled,
  type NoticeUpdate,
  type PendingNotice,
  type Progress,
  withoutHeld,
} from '../domain/ports.ts';
import type { HistoryEntry } from '../engine/types.ts';
import {
  AuditNotFoundError,
  type AuditRecord,
  DrainClaimBusyError,
  enlistedAnswer,
  type FleetState,
  type FleetStatePort,
  LeaseBusyError,
  type RejectedEvent,
  StaleStateError,
} from './records.ts';

export {
  AuditNotFoundError,
  type AuditRecord,
  type FleetState,
  LeaseBusyError,
  type RejectedEvent,
  StaleStateError,
} from './records.ts';
import { boundedText, keyId, storedForm } from './bounded.ts';

export interface StateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  auditTtlDays?: number;
}

const fleetPk = (id: string) => `FLEET#${keyId(id)}`;
/** A drain command's claim: its own partition per fleet, apart from the audit records' queries. */
const drainKey = (fleetId: string, commandId: string) => ({ pk: `DRAIN#${keyId(fleetId)}`, sk: keyId(commandId) });
/** The STATE item's attributes holding the fleet's notices (`enlist`): `N#<bounded event id>`. */
const NOTICE_PREFIX = 'N#';
/** The write time of this process's latest audit record (ms): strictly increasing, for the keys' order. */
let lastAuditWrite = 0;

/** `leaseEvent` of a lease taken for no event (the three lease fields exist together or not at all). */
const NO_EVENT = '-';
/** The key of an event's notice: its id, bounded. */
export const noticeKey = (eventId: string): string => keyId(eventId);
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The state port on one DynamoDB table. */
export class StateStore implements FleetStatePort {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly auditTtlDays: number;

  constructor(options: StateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    this.auditTtlDays = options.auditTtlDays ?? 90;
  }

  async getState(fleetId: string): Promise<FleetState> {
    return (await this.readFleet(fleetId)).state;
  }

  async readFleet(fleetId: string): Promise<FleetRead<FleetState, HistoryEntry>> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: fleetPk(fleetId), sk: 'STATE' }, ConsistentRead: true }),
    );
    return this.fleetRead(fleetId, out.Item);
  }

  /**
   * Takes the fleet's lease until `now + ttlMs` (a conditional write: free, expired, or already ours) and
   * returns the state and history read with it. Throws LeaseBusyError when another owner holds it.
   */
  async acquireLease(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    eventId?: string,
  ): Promise<FleetRead<FleetState, HistoryEntry>> {
    const base = 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :o';
    const takeover = eventId !== undefined && eventId !== '' && eventId !== NO_EVENT;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(fleetId), sk: 'STATE' },
          // The three lease fields are always set together (no event: NO_EVENT), so that `enlist` can take a
          // free lease with `if_not_exists` on each.
          UpdateExpression:
            'SET leaseOwner = :o, leaseUntil = :u, leaseEvent = :le, history = if_not_exists(history, :empty)',
          // The same event's redelivery takes over a lease its first delivery never gave back (the
          // idempotency record keeps two deliveries of one event from running at once). Not an event whose id is
          // the no-event marker: it would take over any lease taken for no event; it waits for the lease's end.
          ConditionExpression: takeover ? `${base} OR leaseEvent = :e` : base,
          ExpressionAttributeValues: {
            ':o': owner,
            ':u': now.getTime() + ttlMs,
            ':now': now.getTime(),
            ':empty': {},
            ':le': eventId ?? NO_EVENT,
            ...(takeover ? { ':e': eventId } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.fleetRead(fleetId, out.Attributes);
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new LeaseBusyError(fleetId, 'another invocation');
      throw e;
    }
  }

  /**
   * Records the notice as the item's `N#<event>` attribute unless it is there (a handled notice stays handled)
   * and takes the lease if no one holds it, in one unconditional update (each lease field `if_not_exists`:
   * they are set and removed together); the item as it is then says whether the lease is ours.
   */
  async enlist(
    fleetId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    notice: Omit<PendingNotice, 'key' | 'handled'>,
  ): Promise<Enlisted<FleetState, HistoryEntry>> {
    const key = noticeKey(notice.eventId);
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: fleetPk(fleetId), sk: 'STATE' },
        UpdateExpression:
          'SET #n = if_not_exists(#n, :n), leaseOwner = if_not_exists(leaseOwner, :o), leaseUntil = if_not_exists(leaseUntil, :u), leaseEvent = if_not_exists(leaseEvent, :e), history = if_not_exists(history, :empty)',
        ExpressionAttributeNames: { '#n': NOTICE_PREFIX + key },
        ExpressionAttributeValues: {
          ':n': { ...notice, key },
          ':o': owner,
          ':u': now.getTime() + ttlMs,
          ':e': notice.eventId,
          ':empty': {},
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = out.Attributes ?? {};
    return enlistedAnswer(await this.fleetRead(fleetId, item), owner, {
      owner: item.leaseOwner as string | undefined,
      until: item.leaseUntil as number | undefined,
      eventId: item.leaseEvent === NO_EVENT ? undefined : (item.leaseEvent as string | undefined),
    });
  }

  /** The notice's `handled` and the lease's fields only (a projection: the item holds every notice). */
  async noticeStatus(
    fleetId: string,
    eventId: string,
  ): Promise<{ handled?: NoticeHandled; holder?: { owner: string; until: number; eventId?: string } }> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: fleetPk(fleetId), sk: 'STATE' },
        ConsistentRead: true,
        ProjectionExpression: '#n.handled, leaseOwner, leaseUntil, leaseEvent',
        ExpressionAttributeNames: { '#n': NOTICE_PREFIX + noticeKey(eventId) },
      }),
    );
    const item = out.Item ?? {};
    const handled = (item[NOTICE_PREFIX + noticeKey(eventId)] as { handled?: NoticeHandled } | undefined)?.handled;
    const event = item.leaseEvent === NO_EVENT ? undefined : (item.leaseEvent as string | undefined);
    return {
      ...(handled ? { handled } : {}),
      ...(item.leaseOwner !== undefined
        ? {
            holder: {
              owner: String(item.leaseOwner),
              until: Number(item.leaseUntil),
              ...(event !== undefined ? { eventId: event } : {}),
            },
          }
        : {}),
    };
  }

  /** Releases the lease if we still hold it (a lease that expired and was taken by another is left alone). */
  async releaseLease(fleetId: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(fleetId), sk: 'STATE' },
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil, leaseEvent',
          ConditionExpression: 'leaseOwner = :o',
          ExpressionAttributeValues: { ':o': owner },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  /**
   * Saves the state if its version is still `state.version` (and, with `owner`, we still hold the lease),
   * bumps the version, releases the lease, and appends and drops history entries, in one conditional
   * write. Throws StaleStateError otherwise.
   */
  async saveState(
    state: FleetState,
    owner?: string,
    history: { append: HistoryEntry[]; drop?: string[]; keys?: Array<string | undefined> } = { append: [] },
    notices?: NoticeUpdate,
  ): Promise<FleetState> {
    const next: FleetState = { ...state, version: state.version + 1 };
    const { fleetId: _f, version: _v, ...decisionState } = next;
    const condition = state.version === 0 ? '(attribute_not_exists(version) OR version = :v)' : 'version = :v';
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':v': state.version, ':next': next.version, ':state': decisionState };
    const set = ['#state = :state', 'version = :next'];
    const remove = ['leaseOwner', 'leaseUntil', 'leaseEvent', 'progress'];
    if (history.append.length || history.drop?.length) {
      // Entries are keyed in a map, so appending and dropping touch distinct paths of one attribute. The map
      // exists once the lease was taken; a save without one makes sure of it first (as `appendHistory`: before,
      // it wrote the map whole, and the entries appended outside a save were lost).
      const keys = history.append.map((e, i) => history.keys?.[i] ?? historyKey(e));
      if (!owner) await this.ensureHistoryMap(state.fleetId);
      history.append.forEach((e, i) => {
        names[`#a${i}`] = keys[i]!;
        values[`:a${i}`] = e;
        set.push(`history.#a${i} = :a${i}`);
      });
      (history.drop ?? []).forEach((key, i) => {
        names[`#d${i}`] = key;
        remove.push(`history.#d${i}`);
      });
    }
    // The notices this decision handled are marked with it; those past keeping are dropped.
    notices?.handled.forEach(({ key, handled }, i) => {
      names[`#h${i}`] = NOTICE_PREFIX + key;
      values[`:h${i}`] = handled;
      set.push(`#h${i}.handled = :h${i}`);
    });
    notices?.drop?.forEach((key, i) => {
      names[`#x${i}`] = NOTICE_PREFIX + key;
      remove.push(`#x${i}`);
    });
    if (owner) values[':o'] = owner;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(state.fleetId), sk: 'STATE' },
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ConditionExpression: owner
            ? `${condition} AND (attribute_not_exists(leaseOwner) OR leaseOwner = :o)${history.append.length ? ' AND attribute_exists(history)' : ''}`
            : condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return next;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new StaleStateError(state.fleetId, state.version);
      throw e;
    }
  }

  async saveProgress(
    fleetId: string,
    owner: string,
    progress: Progress & { entry: HistoryEntry; key: string },
  ): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: fleetPk(fleetId), sk: 'STATE' },
          UpdateExpression: 'SET progress = :p, history.#k = :e',
          ConditionExpression: 'leaseOwner = :o AND attribute_exists(history)',
          ExpressionAttributeNames: { '#k': progress.key },
          ExpressionAttributeValues: {
            ':p': { eventId: progress.eventId, applied: progress.applied },
            ':e': progress.entry,
            ':o': owner,
          },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new StaleStateError(fleetId, -1);
      throw e;
    }
  }

  /** Appends history entries to the fleet's history, whatever its state's version (no lease needed). */
  /** The fleet's history map, made empty when there is none: an entry can be set inside it only once it exists. */
  private async ensureHistoryMap(fleetId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: fleetPk(fleetId), sk: 'STATE' },
        UpdateExpression: 'SET history = if_not_exists(history, :empty)',
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
  }

  async appendHistory(fleetId: string, entries: HistoryEntry[]): Promise<void> {
    if (!entries.length) return;
    const key = { pk: fleetPk(fleetId), sk: 'STATE' };
    await this.ensureHistoryMap(fleetId);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    entries.forEach((e, i) => {
      names[`#a${i}`] = historyKey(e);
      values[`:a${i}`] = e;
    });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${entries.map((_, i) => `history.#a${i} = :a${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** History entries at or after `since`, oldest first. */
  async loadHistory(fleetId: string, since: Date): Promise<HistoryEntry[]> {
    const { history } = await this.readFleet(fleetId);
    return history.filter((h) => Date.parse(h.at) >= since.getTime());
  }

  /** The state and history of a STATE item (and, for an item written before the history map, its HIST# items). */
  private async fleetRead(
    fleetId: string,
    item: Record<string, unknown> | undefined,
  ): Promise<FleetRead<FleetState, HistoryEntry>> {
    const state = toState(fleetId, item);
    const progress = item?.progress as Progress | undefined;
    const notices = Object.entries(item ?? {})
      .filter(([k]) => k.startsWith(NOTICE_PREFIX))
      .map(([, v]) => v as PendingNotice)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const withProgress = <T extends object>(r: T) => ({
      ...r,
      ...(progress ? { progress } : {}),
      ...(notices.length ? { notices } : {}),
    });
    const legacy = item !== undefined && item.version !== undefined && item.state === undefined;
    if (!legacy) {
      const kept = Object.entries((item?.history ?? {}) as Record<string, HistoryEntry>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return withProgress({ state, history: kept.map(([, e]) => e), historyKeys: kept.map(([k]) => k) });
    }
    // Written before the history map: the HIST# items (a key of '' says the entry is not in the map yet).
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': fleetPk(fleetId), ':h': 'HIST#' },
    });
    const history = items.map((i) => i.entry as HistoryEntry);
    return withProgress({ state, history, historyKeys: history.map(() => '') });
  }

  async putAudit(record: AuditRecord, key?: string): Promise<string> {
    // A retry of the same event at the same (simulated) time adds a record rather than replacing one; its key
    // ends with the time it was written (ms, base 36, fixed width) and a random part, so that the latest written
    // sorts last (`findAudit`). Before, the random part alone: any of them sorted last.
    lastAuditWrite = Math.max(Date.now(), lastAuditWrite + 1);
    const written = lastAuditWrite.toString(36).padStart(9, '0');
    const sk = key ?? `AUDIT#${record.at}#${keyId(record.eventId)}#${written}${Math.random().toString(36).slice(2, 6)}`;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: fleetPk(record.fleetId),
          sk,
          ...record,
          expiresAt: epochSeconds(record.at) + this.auditTtlDays * 86400,
        },
      }),
    );
    return sk;
  }

  async amendAudit(fleetId: string, key: string, change: AuditChange): Promise<void> {
    let left = change;
    // A refusal of the keys' condition: the record read to say why, the entries it holds left out, again
    // (each round leaves out at least one entry, so it ends).
    for (;;) {
      const refused = await this.amendOnce(fleetId, key, left);
      if (!refused) return;
      const got = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: fleetPk(fleetId), sk: key }, ConsistentRead: true }),
      );
      if (!got.Item) throw new AuditNotFoundError(fleetId, key, { cause: refused });
      const held = new Set<string>(got.Item[AMEND_KEYS] instanceof Set ? (got.Item[AMEND_KEYS] as Set<string>) : []);
      const next = withoutHeld(left, held);
      // Already applied, every entry: what failed this time is still said.
      if (next.applied.length === left.applied.length) throw refused;
      if (next.applied.length === 0 && next.failed.length === 0) return;
      left = next;
    }
  }

  /**
   * One amend in one request, conditional on the record existing and holding none of the entries' keys; the
   * condition's failure is returned (the caller reads the record to tell which part of it failed).
   */
  private async amendOnce(
    fleetId: string,
    key: string,
    change: AuditChange,
  ): Promise<ConditionalCheckFailedException | undefined> {
    const Key = { pk: fleetPk(fleetId), sk: key };
    const keys = (change.keys ?? []).filter((k): k is string => k !== undefined);
    const names: Record<string, string> = {
      '#o': 'outcome',
      '#a': 'applied',
      '#f': 'failed',
      ...(keys.length ? { '#k': AMEND_KEYS } : {}),
    };
    const values: Record<string, unknown> = {
      ':a': [...change.applied],
      ':f': [...change.failed],
      ...(keys.length ? { ':k': new Set(keys) } : {}),
      ...Object.fromEntries(keys.map((k, i) => [`:k${i}`, k])),
    };
    const append = `SET #o.#a = list_append(#o.#a, :a), #o.#f = list_append(#o.#f, :f)`;
    const add = keys.length ? ' ADD #k :k' : '';
    const fresh = ['attribute_exists(pk)', ...keys.map((_, i) => `NOT contains(#k, :k${i})`)].join(' AND ');
    // The status moves with the lists when the record's says it should (one request), else the lists alone.
    const to = change.failed.length ? 'partial' : change.changed ? 'applied' : undefined;
    if (to) {
      const from = to === 'partial' ? ['applied', 'no-change'] : ['no-change'];
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: `${append}, #o.#s = :to${add}`,
            ConditionExpression: `${fresh} AND #o.#s IN (${from.map((_, i) => `:s${i}`).join(', ')})`,
            ExpressionAttributeNames: { ...names, '#s': 'status' },
            ExpressionAttributeValues: {
              ...values,
              ':to': to,
              ...Object.fromEntries(from.map((f, i) => [`:s${i}`, f])),
            },
          }),
        );
        return undefined;
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: `${append}${add}`,
          ConditionExpression: fresh,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return undefined;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return e;
      throw e;
    }
  }

  /** The audit record of one decision (its time and event: the key's prefix), with its key; the latest of several. */
  async findAudit(
    fleetId: string,
    at: string,
    eventId: string,
  ): Promise<{ key: string; record: AuditRecord } | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': fleetPk(fleetId), ':p': `AUDIT#${at}#${keyId(eventId)}#` },
        ConsistentRead: true,
      }),
    );
    const items = (out.Items ?? []).filter((i) => i.eventId === eventId && i.at === at);
    const item = items[items.length - 1];
    if (!item) return undefined;
    return { key: String(item.sk), record: stripKeys(item) as unknown as AuditRecord };
  }

  /**
   * The fleet's audit records, newest first: at most `limit`, within `range` when given (ISO times, inclusive;
   * records are keyed by their time, so the range is a key condition, not a filter). Read page by page: a
   * Query answers at most 1 MB of items (the DynamoDB Query API reference, "Limit" and "LastEvaluatedKey"), a
   * few hundred records once their plans' reasons are in them. With `keep`, each page is filtered as it comes
   * and only the records kept are held: a filter that matches few reads far without holding what it passes.
   */
  async listAudit(
    fleetId: string,
    limit = 20,
    range: { since?: string; until?: string } = {},
    keep?: (record: AuditRecord) => boolean,
  ): Promise<AuditRecord[]> {
    const ranged = range.since !== undefined || range.until !== undefined;
    // A range that ends before it starts holds no record (DynamoDB refuses such a BETWEEN).
    if (range.since !== undefined && range.until !== undefined && range.since > range.until) return [];
    const items: AuditRecord[] = [];
    let start: Record<string, unknown> | undefined;
    while (items.length < limit) {
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
          // With a filter the records it passes do not count: a page as large as DynamoDB answers.
          ...(keep ? {} : { Limit: limit - items.length }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const record = stripKeys(item) as unknown as AuditRecord;
        if (!keep || keep(record)) items.push(record);
        if (items.length >= limit) break;
      }
      start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
      if (!start) break;
    }
    return items;
  }

  /**
   * Takes a drain command's claim in one conditional put: no claim yet, ours already, or one whose holder's
   * lease ended before now without the drain done (taken over). A held claim is answered with its holder, read
   * consistently after the refused put.
   */
  async claimDrain(fleetId: string, claim: DrainClaimRequest, again = true): Promise<DrainClaimAnswer> {
    const Key = drainKey(fleetId, claim.commandId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...Key,
            fleetId,
            commandId: boundedText(claim.commandId, 10_000),
            owner: claim.owner,
            by: claim.by,
            until: claim.until,
            done: false,
            at: new Date(claim.now).toISOString(),
            expiresAt: Math.floor(claim.now / 1000) + this.auditTtlDays * 86400,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #o = :o OR (#d = :no AND #u < :now)',
          ExpressionAttributeNames: { '#o': 'owner', '#d': 'done', '#u': 'until' },
          ExpressionAttributeValues: { ':o': claim.owner, ':no': false, ':now': claim.now },
        }),
      );
      return { held: true };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    const item = out.Item;
    // Released (deleted) between the put and the read: asked once more (then free, or its new holder's).
    if (!item && again) return this.claimDrain(fleetId, claim, false);
    // Taken and given back twice while asked: contended (retryable).
    if (!item) throw new DrainClaimBusyError(fleetId, claim.commandId, { owner: '?', by: '?', until: claim.now });
    return {
      held: false,
      holder: {
        owner: String(item.owner),
        by: String(item.by),
        until: Number(item.until),
        done: item.done === true,
        at: String(item.at),
      },
    };
  }

  /** Ends our claim: kept as done, or given back (deleted); one no longer ours is left alone. */
  async settleDrain(fleetId: string, commandId: string, owner: string, how: 'done' | 'released'): Promise<void> {
    const Key = drainKey(fleetId, commandId);
    const mine = { ConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' } };
    try {
      if (how === 'released')
        await this.doc.send(
          new DeleteCommand({ TableName: this.tableName, Key, ...mine, ExpressionAttributeValues: { ':o': owner } }),
        );
      else
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET #d = :yes',
            ...mine,
            ExpressionAttributeNames: { ...mine.ExpressionAttributeNames, '#d': 'done' },
            ExpressionAttributeValues: { ':o': owner, ':yes': true },
          }),
        );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
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
  const { pk: _pk, sk: _sk, expiresAt: _e, [AMEND_KEYS]: _k, ...rest } = item;
  return rest;
}

/** The audit record's attribute holding the keys of the entries amends added (a string set). */
const AMEND_KEYS = 'amendKeys';

/** The key of a history entry in the STATE item's `history` map: its time first, so keys sort by time. */
function historyKey(entry: HistoryEntry): string {
  return `${entry.at}#${Math.random().toString(36).slice(2, 10)}`;
}

function toState(fleetId: string, item: Record<string, unknown> | undefined): FleetState {
  if (!item || item.version === undefined) return { fleetId, version: 0, offeringBackoff: [] };
  // The state's own map; before it, the state's fields were the item's.
  const {
    pk: _pk,
    sk: _sk,
    leaseOwner: _o,
    leaseUntil: _u,
    leaseEvent: _e,
    progress: _p,
    history: _h,
    state: kept,
    ...rest0
  } = item;
  const legacy = Object.fromEntries(Object.entries(rest0).filter(([k]) => !k.startsWith(NOTICE_PREFIX)));
  const rest = kept && typeof kept === 'object' ? (kept as Record<string, unknown>) : legacy;
  return {
    offeringBackoff: [],
    ...(rest as Partial<FleetState>),
    fleetId,
    version: Number(item.version),
  } as FleetState;
}
