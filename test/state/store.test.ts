import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import { LeaseBusyError, StaleStateError, StateStore } from '../../shared/state/store.ts';

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
    const a = await store.acquireLease('f2', 'inv-a', now, 30_000);
    expect(a.version).toBe(0);
    await expect(store.acquireLease('f2', 'inv-b', now, 30_000)).rejects.toBeInstanceOf(LeaseBusyError);
    // The same owner may renew.
    await store.acquireLease('f2', 'inv-a', now, 30_000);
    // After expiry another owner takes it; the first can no longer save.
    const later = new Date(now.getTime() + 31_000);
    const b = await store.acquireLease('f2', 'inv-b', later, 30_000);
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
      { at: '2026-03-02T09:00:00.000Z', kind: 'recommendation', nodes: 3 },
      { at: '2026-03-02T09:50:00.000Z', kind: 'recommendation', nodes: 5 },
      { at: '2026-03-02T09:55:00.000Z', kind: 'action', nodes: 5 },
    ]);
    const recent = await store.loadHistory<{ at: string; nodes: number }>('f3', new Date('2026-03-02T09:30:00Z'));
    expect(recent.map((h) => h.at)).toEqual(['2026-03-02T09:50:00.000Z', '2026-03-02T09:55:00.000Z']);
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
});
