import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import { keyId, MAX_STORED_BYTES, MAX_STORED_DEPTH, TOO_DEEP } from '../../shared/state/bounded.ts';
import { AuditNotFoundError, LeaseBusyError, StaleStateError, StateStore } from '../../shared/state/store.ts';

let db: LocalDynamo;
let store: StateStore;
const now = new Date('2026-03-02T10:00:00Z');

beforeAll(async () => {
  db = await startLocalDynamo();
  store = new StateStore({ client: db.client, tableName: db.tableName });
});
afterAll(async () => {
  await db.close();
});

describe('StateStore on dynalite', () => {
  it('starts a fleet at version 0 and saves with a version check', async () => {
    const s0 = await store.getState('f1');
    expect(s0).toEqual({ fleetId: 'f1', version: 0, offeringBackoff: [] });
    const s1 = await store.saveState({ ...s0, paused: { by: 'ops', reason: 'test' } });
    expect(s1.version).toBe(1);
    expect((await store.getState('f1')).paused).toEqual({ by: 'ops', reason: 'test' });
    // Saving again from the stale version 0 fails.
    await expect(store.saveState({ ...s0, offeringBackoff: [] })).rejects.toBeInstanceOf(StaleStateError);
  });

  it('gives the lease to one owner at a time, and again once it expires', async () => {
    const { state: a } = await store.acquireLease('f2', 'inv-a', now, 30_000);
    expect(a.version).toBe(0);
    await expect(store.acquireLease('f2', 'inv-b', now, 30_000)).rejects.toBeInstanceOf(LeaseBusyError);
    // The same owner may renew.
    await store.acquireLease('f2', 'inv-a', now, 30_000);
    // After expiry another owner takes it; the first can no longer save.
    const later = new Date(now.getTime() + 31_000);
    const { state: b } = await store.acquireLease('f2', 'inv-b', later, 30_000);
    await expect(store.saveState({ ...a, paused: { by: 'x', reason: 'y' } }, 'inv-a')).rejects.toBeInstanceOf(
      StaleStateError,
    );
    const saved = await store.saveState(b, 'inv-b');
    expect(saved.version).toBe(1);
    await store.releaseLease('f2', 'inv-b');
    await store.acquireLease('f2', 'inv-c', later, 30_000);
  });

  it('keeps history in time order and returns only what is recent', async () => {
    await store.appendHistory('f3', [
      { at: '2026-03-02T09:00:00.000Z', recommendation: 3, from: 2, to: 3, applied: true },
      { at: '2026-03-02T09:50:00.000Z', recommendation: 5, from: 3, to: 5, applied: true },
      { at: '2026-03-02T09:55:00.000Z', recommendation: 5, from: 5, to: 5, applied: false },
    ]);
    const recent = await store.loadHistory('f3', new Date('2026-03-02T09:30:00Z'));
    expect(recent.map((h) => h.at)).toEqual(['2026-03-02T09:50:00.000Z', '2026-03-02T09:55:00.000Z']);
  });

  it('takes the lease with the state and history in one read, and saves both in one write that releases it', async () => {
    const first = await store.acquireLease('f5', 'inv-a', now, 30_000);
    expect(first).toEqual({ state: { fleetId: 'f5', version: 0, offeringBackoff: [] }, history: [], historyKeys: [] });
    const entry = (at: string, to: number) => ({ at, recommendation: to, from: 2, to, applied: true });
    await store.saveState({ ...first.state, paused: { by: 'ops', reason: 'test' } }, 'inv-a', {
      append: [entry('2026-03-02T09:00:00.000Z', 3), entry('2026-03-02T09:58:00.000Z', 4)],
    });
    // Released in that write: another owner takes the lease at once and reads what was saved.
    const second = await store.acquireLease('f5', 'inv-b', now, 30_000);
    expect(second.state).toMatchObject({ version: 1, paused: { by: 'ops', reason: 'test' } });
    expect(second.history.map((h) => h.to)).toEqual([3, 4]);
    // An entry appended on its own (a save that failed) survives the next save, which drops the old one.
    await store.appendHistory('f5', [entry('2026-03-02T09:59:00.000Z', 5)]);
    await store.saveState(second.state, 'inv-b', {
      append: [entry('2026-03-02T10:00:00.000Z', 6)],
      drop: [second.historyKeys[0]!],
    });
    expect((await store.readFleet('f5')).history.map((h) => h.to)).toEqual([4, 5, 6]);
    // A save from a stale version writes nothing, history included.
    await expect(
      store.saveState(second.state, undefined, { append: [entry('2026-03-02T10:01:00.000Z', 7)] }),
    ).rejects.toBeInstanceOf(StaleStateError);
    expect((await store.loadHistory('f5', new Date(0))).map((h) => h.to)).toEqual([4, 5, 6]);
  });

  it('records progress under the lease; the same event takes a lease it never gave back; the save clears it', async () => {
    const entry = { at: '2026-03-02T09:59:00.000Z', recommendation: 4, from: 2, to: 4, applied: true };
    await store.acquireLease('f7', 'inv-a', now, 30_000, 'event-1');
    await store.saveProgress('f7', 'inv-a', { eventId: 'event-1', applied: ['set-desired:p:4'], entry, key: 'k1' });
    await store.saveProgress('f7', 'inv-a', {
      eventId: 'event-1',
      applied: ['set-desired:p:4', 'scale-deployment:ns/d:4'],
      entry: { ...entry, to: 5 },
      key: 'k1',
    });
    // Another event waits; a redelivery of the same event takes the lease over before it expires.
    await expect(store.acquireLease('f7', 'inv-b', now, 30_000, 'event-2')).rejects.toBeInstanceOf(LeaseBusyError);
    const read = await store.acquireLease('f7', 'inv-c', now, 30_000, 'event-1');
    expect(read.progress).toEqual({ eventId: 'event-1', applied: ['set-desired:p:4', 'scale-deployment:ns/d:4'] });
    expect(read.history.map((h) => h.to)).toEqual([5]);
    // The first invocation, if it still ran, records nothing more.
    await expect(
      store.saveProgress('f7', 'inv-a', { eventId: 'event-1', applied: [], entry, key: 'k1' }),
    ).rejects.toBeInstanceOf(StaleStateError);
    await store.saveState(read.state, 'inv-c', { append: [{ ...entry, to: 6 }], keys: ['k2'] });
    const after = await store.readFleet('f7');
    expect(after.progress).toBeUndefined();
    expect(after.history.map((h) => h.to)).toEqual([5, 6]);
    await store.acquireLease('f7', 'inv-d', now, 30_000);
  });

  it('enlists a notice and takes a free lease in one request; a busy lease leaves the notice recorded', async () => {
    const signal = (id: string) => ({
      type: 'interruption' as const,
      eventId: id,
      source: 'aws.ec2',
      time: now.toISOString(),
      cloud: 'aws' as const,
      kind: 'warning' as const,
      instanceIds: [`i-${id}`],
    });
    const notice = (id: string) => ({ eventId: id, at: now.toISOString(), signal: signal(id) });
    // A lease held for no event (a renewal, an operator command) is not taken, and says so.
    await store.acquireLease('f-notices', 'ops', now, 30_000);
    const busy = await store.enlist('f-notices', 'inv-a', now, 30_000, notice('n-a'));
    expect(busy).toMatchObject({ held: false, holder: { owner: 'ops' } });
    expect(busy.holder?.eventId).toBeUndefined();
    expect(busy.notices.map((n) => n.eventId)).toEqual(['n-a']);
    await store.releaseLease('f-notices', 'ops');
    // Free: the next enlist takes it and reads every notice recorded.
    const b = await store.enlist('f-notices', 'inv-b', now, 30_000, notice('n-b'));
    expect(b).toMatchObject({ held: true });
    expect(b.notices.map((n) => n.eventId).sort()).toEqual(['n-a', 'n-b']);
    // Held: a third notice is recorded, the lease stays inv-b's (for its event, n-b).
    const c = await store.enlist('f-notices', 'inv-c', now, 30_000, notice('n-c'));
    expect(c).toMatchObject({ held: false, holder: { owner: 'inv-b', eventId: 'n-b' } });
    expect(await store.noticeStatus('f-notices', 'n-c')).toEqual({
      holder: { owner: 'inv-b', until: now.getTime() + 30_000, eventId: 'n-b' },
    });
    // inv-b decides n-a and n-b: its save marks them handled and releases the lease.
    const handled = { by: 'n-b', at: now.toISOString(), currentNodes: 2, targetNodes: 2 };
    await store.saveState(
      b.state,
      'inv-b',
      { append: [] },
      {
        handled: [
          { key: b.notices.find((n) => n.eventId === 'n-a')!.key, handled },
          {
            key: b.notices.find((n) => n.eventId === 'n-b')!.key,
            handled: { ...handled, refused: [{ instanceId: 'i-n-b', reason: 'not marked' }] },
          },
        ],
      },
    );
    // A waiting invocation's small read: its notice handled (with what was refused), the lease free.
    expect(await store.noticeStatus('f-notices', 'n-b')).toEqual({
      handled: { ...handled, refused: [{ instanceId: 'i-n-b', reason: 'not marked' }] },
    });
    expect(await store.noticeStatus('f-notices', 'n-c')).toEqual({});
    // Enlisting n-a again (a redelivery) keeps it handled; n-c is still pending; the lease was free again.
    const again = await store.enlist('f-notices', 'inv-d', now, 30_000, notice('n-a'));
    expect(again.held).toBe(true);
    const byId = Object.fromEntries(again.notices.map((n) => [n.eventId, n]));
    expect(byId['n-a']!.handled).toEqual(handled);
    expect(byId['n-b']!.handled?.refused).toEqual([{ instanceId: 'i-n-b', reason: 'not marked' }]);
    expect(byId['n-c']!.handled).toBeUndefined();
    // The state read without the lease sees the notices too, and none of them leaks into the state.
    const read = await store.readFleet('f-notices');
    expect(read.notices).toHaveLength(3);
    expect(Object.keys(read.state).some((k) => k.startsWith('N#'))).toBe(false);
    // A save drops notices by key.
    await store.saveState(read.state, 'inv-d', { append: [] }, { handled: [], drop: [byId['n-a']!.key] });
    expect((await store.readFleet('f-notices')).notices?.map((n) => n.eventId).sort()).toEqual(['n-b', 'n-c']);
  });

  it('reads the state and history written before they were kept together', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const doc = DynamoDBDocumentClient.from(db.client);
    await doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { pk: 'FLEET#f6', sk: 'STATE', version: 4, offeringBackoff: [], paused: { by: 'ops', reason: 'old' } },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          pk: 'FLEET#f6',
          sk: 'HIST#2026-03-02T09:40:00.000Z#001#abc',
          entry: { at: '2026-03-02T09:40:00.000Z', recommendation: 2, from: 2, to: 2, applied: false },
        },
      }),
    );
    const read = await store.acquireLease('f6', 'inv-a', now, 30_000);
    expect(read.state).toMatchObject({ version: 4, paused: { by: 'ops', reason: 'old' } });
    expect(read.history.map((h) => h.at)).toEqual(['2026-03-02T09:40:00.000Z']);
    // Not yet in the kept history: the next save carries it in.
    expect(read.historyKeys).toEqual(['']);
    await store.saveState(read.state, 'inv-a', { append: read.history });
    expect((await store.readFleet('f6')).history.map((h) => h.at)).toEqual(['2026-03-02T09:40:00.000Z']);
    expect((await store.getState('f6')).paused).toEqual({ by: 'ops', reason: 'old' });
  });

  it('stores audit records newest first and rejected events with their reason', async () => {
    for (const at of ['2026-03-02T09:00:00.000Z', '2026-03-02T09:10:00.000Z']) {
      await store.putAudit({
        fleetId: 'f4',
        at,
        eventId: `e-${at}`,
        dryRun: false,
        paused: false,
        trigger: { fn: 'alarm', signal: 'metric-alarm', source: 'aws.cloudwatch' },
        outcome: { status: 'applied', applied: [{ poolId: 'p', action: 'set-desired' }], failed: [] },
      });
    }
    const audit = await store.listAudit('f4');
    expect(audit.map((a) => a.at)).toEqual(['2026-03-02T09:10:00.000Z', '2026-03-02T09:00:00.000Z']);
    // A time range is inclusive at both ends; either end may be open.
    const at = async (range: { since?: string; until?: string }) =>
      (await store.listAudit('f4', 20, range)).map((a) => a.at.slice(11, 16));
    expect(await at({ since: '2026-03-02T09:00:00.000Z', until: '2026-03-02T09:00:00.000Z' })).toEqual(['09:00']);
    expect(await at({ since: '2026-03-02T09:05:00.000Z' })).toEqual(['09:10']);
    expect(await at({ until: '2026-03-02T09:10:00.000Z' })).toEqual(['09:10', '09:00']);
    expect(await at({ until: '2026-03-02T08:59:59.999Z' })).toEqual([]);
    await store.putRejected({
      at: now.toISOString(),
      eventId: 'bad-1',
      fn: 'alarm',
      reason: 'expected a string',
      path: 'detail.state.value',
      raw: { a: 1 },
    });
    const rejected = await store.listRejected('2026-03-02');
    expect(rejected[0]).toMatchObject({ eventId: 'bad-1', path: 'detail.state.value', raw: { a: 1 } });
  });

  it('lists audit records past a query page: up to the limit asked, newest first', async () => {
    // DynamoDB answers a Query with at most 1 MB of items (the rest behind LastEvaluatedKey): 300 records of
    // about 8 KB (a plan's reasons run to several KB) take more than two pages.
    const note = 'x'.repeat(8_000);
    const ats = Array.from({ length: 300 }, (_, i) => new Date(Date.UTC(2026, 2, 3, 0, i)).toISOString());
    for (const at of ats)
      await store.putAudit({
        fleetId: 'paged',
        at,
        eventId: `e-${at}`,
        dryRun: false,
        paused: false,
        trigger: { fn: ats.indexOf(at) % 3 === 0 ? 'alarm' : 'forecast', signal: 'tick', source: 'aws.scheduler' },
        outcome: { status: 'no-change', applied: [], failed: [] },
        notes: [note],
      });
    const all = await store.listAudit('paged', 10_000);
    expect(all.map((a) => a.at)).toEqual([...ats].reverse());
    expect((await store.listAudit('paged', 250)).map((a) => a.at)).toEqual([...ats].reverse().slice(0, 250));
    const range = { since: ats[10], until: ats[289] };
    expect((await store.listAudit('paged', 10_000, range)).map((a) => a.at)).toEqual(ats.slice(10, 290).reverse());
    expect(await store.listAudit('paged', 0)).toEqual([]);
    // Filtered: read on past the pages until the limit is kept (every third record is an alarm's).
    const alarms = ats.filter((_, i) => i % 3 === 0).reverse();
    const kept = await store.listAudit('paged', 90, {}, (a) => a.trigger.fn === 'alarm');
    expect(kept.map((a) => a.at)).toEqual(alarms.slice(0, 90));
    expect((await store.listAudit('paged', 500, {}, (a) => a.trigger.fn === 'alarm')).length).toBe(100);
  });
});

describe('bounded keys and stored forms', () => {
  // DynamoDB refuses a sort key over 1,024 bytes (dynalite too): an Azure Scheduled Events document with 30
  // Preempt events has a merged id of about 1,100 characters.
  const longId = Array.from(
    { length: 30 },
    (_, i) => `5E2F7A10-3C4B-4D6E-9F81-2A3B4C5D6E${String(i).padStart(2, '0')}`,
  ).join('+');

  it('stores an audit record for a 1,109-character event id, keeping the full id', async () => {
    expect(longId.length).toBe(1109);
    await store.putAudit({
      fleetId: 'long-ids',
      at: now.toISOString(),
      eventId: longId,
      dryRun: false,
      paused: false,
      trigger: { fn: 'spot-interruption', signal: 'interruption', source: 'azure.scheduledevents' },
      outcome: { status: 'applied', applied: [], failed: [] },
    });
    const [audit] = await store.listAudit('long-ids');
    expect(audit?.eventId).toBe(longId);
  });

  describe('amendAudit: several invocations completing one record at once each keep what they add', () => {
    const cases: Array<{
      name: string;
      status: 'applied' | 'no-change' | 'partial' | 'failed';
      changes: Array<{ failed: boolean; changed: boolean }>;
      after: string;
    }> = [
      {
        name: 'two drains at once, nothing failed',
        status: 'applied',
        changes: [
          { failed: false, changed: false },
          { failed: false, changed: false },
        ],
        after: 'applied',
      },
      {
        name: 'a removal made on a no-change record',
        status: 'no-change',
        changes: [
          { failed: false, changed: true },
          { failed: false, changed: false },
        ],
        after: 'applied',
      },
      {
        name: 'one failed: partial',
        status: 'applied',
        changes: [
          { failed: true, changed: false },
          { failed: false, changed: true },
        ],
        after: 'partial',
      },
      {
        name: 'a failed record stays failed',
        status: 'failed',
        changes: [{ failed: true, changed: true }],
        after: 'failed',
      },
    ];
    it.each(cases)('$name', async (c) => {
      const fleetId = `amend-${crypto.randomUUID()}`;
      const key = await store.putAudit({
        fleetId,
        at: now.toISOString(),
        eventId: 'evt-1',
        dryRun: false,
        paused: false,
        trigger: { fn: 'ops', signal: 'operator-command', source: 'ops' },
        outcome: { status: c.status, applied: [{ action: 'drain-handoff' }], failed: [] },
      });
      await Promise.all(
        c.changes.map((ch, i) =>
          store.amendAudit(fleetId, key, {
            applied: [{ action: 'drain', detail: { node: `n-${i}` } }],
            failed: ch.failed ? [{ action: `remove-instance i-${i}`, error: 'throttled' }] : [],
            changed: ch.changed,
          }),
        ),
      );
      const found = await store.findAudit(fleetId, now.toISOString(), 'evt-1');
      const applied = found!.record.outcome.applied;
      expect(applied[0]).toEqual({ action: 'drain-handoff' });
      expect(
        applied
          .slice(1)
          .map((a) => (a.detail as { node: string }).node)
          .sort(),
      ).toEqual(c.changes.map((_, i) => `n-${i}`));
      expect(found!.record.outcome.failed).toHaveLength(c.changes.filter((ch) => ch.failed).length);
      expect(found!.record.outcome.status).toBe(c.after);
    });

    const redelivered: Array<{
      name: string;
      /** Each amend: its applied entries (by action) under the command's keys, and whether it failed or changed. */
      amends: Array<{ command: string; actions: string[]; failed?: boolean; changed?: boolean }>;
      applied: string[];
      failed: number;
      status: string;
    }> = [
      {
        name: 'the same command twice: its drain once',
        amends: [
          { command: 'c1', actions: ['drain'] },
          { command: 'c1', actions: ['drain'] },
        ],
        applied: ['drain-handoff', 'drain'],
        failed: 0,
        status: 'no-change',
      },
      {
        name: 'a redelivery that removes what the first could not: the drain once, the removal added',
        amends: [
          { command: 'c1', actions: ['drain'], failed: true },
          { command: 'c1', actions: ['drain', 'remove-instance'], changed: true },
        ],
        applied: ['drain-handoff', 'drain', 'remove-instance'],
        failed: 1,
        status: 'partial',
      },
      {
        name: 'a redelivery whose removal fails again: the drain once, the failure said again',
        amends: [
          { command: 'c1', actions: ['drain'], failed: true },
          { command: 'c1', actions: ['drain'], failed: true },
        ],
        applied: ['drain-handoff', 'drain'],
        failed: 2,
        status: 'partial',
      },
      {
        name: 'two commands: each keeps its own',
        amends: [
          { command: 'c1', actions: ['drain'] },
          { command: 'c2', actions: ['drain'] },
        ],
        applied: ['drain-handoff', 'drain', 'drain'],
        failed: 0,
        status: 'no-change',
      },
    ];
    it.each(redelivered)('idempotent per entry key: $name', async (c) => {
      const fleetId = `amend-${crypto.randomUUID()}`;
      const key = await store.putAudit({
        fleetId,
        at: now.toISOString(),
        eventId: 'evt-1',
        dryRun: false,
        paused: false,
        trigger: { fn: 'spot-interruption', signal: 'interruption', source: 'aws.ec2' },
        outcome: { status: 'no-change', applied: [{ action: 'drain-handoff' }], failed: [] },
      });
      for (const a of c.amends)
        await store.amendAudit(fleetId, key, {
          applied: a.actions.map((action) => ({ action, detail: { command: a.command } })),
          failed: a.failed ? [{ action: 'remove-instance i-1', error: 'throttled', kind: 'throttled' }] : [],
          changed: a.changed ?? false,
          keys: a.actions.map((action) => `${a.command}#${action}`),
        });
      const found = await store.findAudit(fleetId, now.toISOString(), 'evt-1');
      expect(found!.record.outcome.applied.map((a) => a.action)).toEqual(c.applied);
      expect(found!.record.outcome.failed).toHaveLength(c.failed);
      expect(found!.record.outcome.status).toBe(c.status);
      // The keys are the store's: not part of the record read back.
      expect(found!.record).not.toHaveProperty('amendKeys');
    });

    const missing: Array<{ name: string; fleetId: string; key: () => Promise<string> }> = [
      { name: 'no record at the key', fleetId: 'amend-none', key: async () => 'AUDIT#2026-03-02T10:00:00.000Z#x#abc' },
      {
        name: "another fleet's record at the key",
        fleetId: 'amend-other',
        key: () =>
          store.putAudit({
            fleetId: `amend-owner-${crypto.randomUUID()}`,
            at: now.toISOString(),
            eventId: 'evt-1',
            dryRun: false,
            paused: false,
            trigger: { fn: 'ops', signal: 'operator-command', source: 'ops' },
            outcome: { status: 'applied', applied: [], failed: [] },
          }),
      },
    ];
    it.each(missing)('$name: a typed error (its fleet and key), and no record is created', async (c) => {
      const key = await c.key();
      const error = await store.amendAudit(c.fleetId, key, { applied: [], failed: [], changed: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuditNotFoundError);
      expect(error).toMatchObject({ fleetId: c.fleetId, key });
      expect(await store.listAudit(c.fleetId)).toEqual([]);
    });
  });

  it('stores rejected events with 2,000-character ids, each under its own key', async () => {
    const a = `${'x'.repeat(1999)}a`;
    const b = `${'x'.repeat(1999)}b`;
    for (const eventId of [a, b])
      await store.putRejected({
        at: '2026-03-05T10:00:00.000Z',
        eventId,
        fn: 'alarm',
        reason: 'bad',
        raw: { id: eventId },
      });
    const rejected = await store.listRejected('2026-03-05');
    expect(rejected.map((r) => r.eventId).sort()).toEqual([a, b]);
  });

  it('stores a rejected event nested 20,000 levels deep in a bounded form', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    await store.putRejected({ at: '2026-03-06T10:00:00.000Z', eventId: 'deep', fn: 'alarm', reason: 'bad', raw: deep });
    const [r] = await store.listRejected('2026-03-06');
    let cur = r?.raw as { a: unknown } | string;
    let depth = 0;
    while (typeof cur === 'object') {
      cur = (cur as { a: { a: unknown } }).a as { a: unknown } | string;
      depth++;
    }
    expect(depth).toBe(MAX_STORED_DEPTH);
    expect(cur).toBe(TOO_DEEP);
  });

  it('cuts a rejected event over 200 KB and says so', async () => {
    const raw = { blob: 'é'.repeat(300_000) };
    await store.putRejected({ at: '2026-03-07T10:00:00.000Z', eventId: 'big', fn: 'alarm', reason: 'bad', raw });
    const [r] = await store.listRejected('2026-03-07');
    expect(r).toMatchObject({ rawTruncated: true });
    expect(Buffer.byteLength(String(r?.raw))).toBeLessThanOrEqual(MAX_STORED_BYTES);
  });
});

describe('keyId', () => {
  it.each([
    ['short ids as they are', 'evt-1', 'evt-1'],
    ['200 bytes as they are', 'a'.repeat(200), 'a'.repeat(200)],
  ])('keeps %s', (_, id, expected) => {
    expect(keyId(id)).toBe(expected);
  });
  it('turns a long id into its first 64 characters and a digest, distinct per id', () => {
    const k1 = keyId(`${'y'.repeat(500)}1`);
    const k2 = keyId(`${'y'.repeat(500)}2`);
    expect(k1).toMatch(/^y{64}~[0-9a-f]{32}$/);
    expect(k1).not.toBe(k2);
    // Multi-byte characters count in bytes.
    expect(keyId('é'.repeat(150))).not.toBe('é'.repeat(150));
  });
});
