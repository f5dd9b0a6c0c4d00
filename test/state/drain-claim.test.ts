/**
 * A drain command's claim in the DynamoDB store (dynalite on 127.0.0.1) and in the tests' fake, which must keep
 * the same rules: one conditional put takes it (free, ours, or its holder's lease over without the drain done);
 * a held claim is answered with its holder; settled done it stays taken, released it is free again; a claim
 * no longer ours is not settled by us.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import type { DrainClaimAnswer } from '../../shared/domain/ports.ts';
import type { FleetStatePort } from '../../shared/state/records.ts';
import { StateStore } from '../../shared/state/store.ts';
import { FakeState } from '../support/fakes.ts';

let db: LocalDynamo;
beforeAll(async () => {
  db = await startLocalDynamo();
});
afterAll(async () => {
  await db.close();
});

const T = Date.parse('2026-01-05T15:00:00Z');
type Step =
  | { claim: string; at: number; until: number; expect: 'held' | { owner: string; done: boolean } }
  | { settle: string; how: 'done' | 'released' };

const cases: Array<{ name: string; steps: Step[] }> = [
  {
    name: 'free: taken; by another while its lease runs: its holder answered',
    steps: [
      { claim: 'a', at: T, until: T + 60_000, expect: 'held' },
      { claim: 'b', at: T + 1_000, until: T + 61_000, expect: { owner: 'a', done: false } },
      { claim: 'a', at: T + 2_000, until: T + 62_000, expect: 'held' },
    ],
  },
  {
    name: 'a holder that died (its lease over, not done): taken over',
    steps: [
      { claim: 'a', at: T, until: T + 60_000, expect: 'held' },
      { claim: 'b', at: T + 60_001, until: T + 120_000, expect: 'held' },
      { claim: 'a', at: T + 60_002, until: T + 120_000, expect: { owner: 'b', done: false } },
    ],
  },
  {
    name: 'done: never taken again, its lease over or not',
    steps: [
      { claim: 'a', at: T, until: T + 60_000, expect: 'held' },
      { settle: 'a', how: 'done' },
      { claim: 'b', at: T + 1_000, until: T + 61_000, expect: { owner: 'a', done: true } },
      { claim: 'b', at: T + 3_600_000, until: T + 3_660_000, expect: { owner: 'a', done: true } },
    ],
  },
  {
    name: 'released: free again',
    steps: [
      { claim: 'a', at: T, until: T + 60_000, expect: 'held' },
      { settle: 'a', how: 'released' },
      { claim: 'b', at: T + 1_000, until: T + 61_000, expect: 'held' },
    ],
  },
  {
    name: 'settled by an owner that lost it: left alone',
    steps: [
      { claim: 'a', at: T, until: T + 60_000, expect: 'held' },
      { claim: 'b', at: T + 60_001, until: T + 120_000, expect: 'held' },
      { settle: 'a', how: 'done' },
      { settle: 'a', how: 'released' },
      { claim: 'c', at: T + 60_002, until: T + 120_000, expect: { owner: 'b', done: false } },
    ],
  },
];

const stores: Array<{ store: string; make: () => FleetStatePort }> = [
  { store: 'dynamodb', make: () => new StateStore({ client: db.client, tableName: db.tableName }) },
  { store: 'fake', make: () => new FakeState() },
];

describe.each(stores)('drain claims ($store)', ({ make }) => {
  it.each(cases)('$name', async (c) => {
    const store = make();
    const commandId = `${crypto.randomUUID()}#drain#i-0a1b2c3d4e5f60718`;
    for (const step of c.steps) {
      if ('settle' in step) {
        await store.settleDrain('llm-demo', commandId, step.settle, step.how);
        continue;
      }
      const answer: DrainClaimAnswer = await store.claimDrain('llm-demo', {
        commandId,
        owner: step.claim,
        by: 'drain',
        now: step.at,
        until: step.until,
      });
      if (step.expect === 'held') expect(answer, `${step.claim} at ${step.at - T}`).toEqual({ held: true });
      else
        expect(answer, `${step.claim} at ${step.at - T}`).toMatchObject({
          held: false,
          holder: { ...step.expect, by: 'drain' },
        });
    }
  });

  it('claims of two fleets, or of two commands, are apart', async () => {
    const store = make();
    const id = crypto.randomUUID();
    const claim = (fleet: string, commandId: string, owner: string) =>
      store.claimDrain(fleet, { commandId, owner, by: 'drain', now: T, until: T + 60_000 });
    expect(await claim('llm-demo', `${id}#drain#a`, 'a')).toEqual({ held: true });
    expect(await claim('other', `${id}#drain#a`, 'b')).toEqual({ held: true });
    expect(await claim('llm-demo', `${id}#drain#b`, 'c')).toEqual({ held: true });
  });
});
