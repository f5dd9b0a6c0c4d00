/**
 * What lapses and what an operator clears: a manual target set without a ttl stays in force until
 * `clear-target` removes it (and a decision then runs without it); and with several fleets, a `drain` is
 * audited under each fleet whose nodes join the drained node's cluster, so that `status` shows it.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import type { HandlerResult } from '../../shared/runtime/handler.ts';
import { DEMO_CONFIG, FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { ACTOR, command } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Ops = Extract<HandlerResult, { status: 'ops' }>;
async function ops(h: Harness, c: Record<string, unknown>, at = T0): Promise<Ops> {
  const r = await h.invoke('ops', command(c, at));
  expect(r.status).toBe('ops');
  return r as Ops;
}
const why = { actor: ACTOR, reason: 'launch event' };

describe('a manual target without a ttl, and clear-target', () => {
  it('stays in force hours later, until clear-target removes it; the next decision runs without it', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    await ops(h, { command: 'scale', fleetId: FLEET, target: 5, ...why });
    const day = T0 + 3 * 3600_000; // hours later: nothing makes it lapse
    h.world.advanceTo(day);
    expect((await h.stack.deps.store.getState(FLEET)).manualTarget).toMatchObject({ target: 5, by: ACTOR });
    const status = await ops(h, { command: 'status' }, day);
    expect(status.fleets![0]!.manualTarget).toMatchObject({ target: 5 });

    const cleared = await ops(h, { command: 'clear-target', fleetId: FLEET, ...why, reason: 'event over' }, day);
    expect(cleared).toMatchObject({ ok: true, message: expect.stringContaining('manual target 5 (set by') });
    expect((await h.stack.deps.store.getState(FLEET)).manualTarget).toBeUndefined();
    expect(cleared.plan?.reasons.map((r) => r.message)).toContainEqual(
      expect.stringContaining('manual target cleared'),
    );
    expect(cleared.audit).toMatchObject({ trigger: { actor: ACTOR, reason: 'event over' } });
    // Nothing left to clear: said so, nothing fails.
    const again = await ops(h, { command: 'clear-target', fleetId: FLEET, ...why, requestId: 'clear-2' }, day);
    expect(again.message).toContain('no manual target was in force');
  });

  it.each([
    { name: 'without a reason', c: { command: 'clear-target', fleetId: FLEET, actor: ACTOR }, path: 'reason' },
    { name: 'without a fleet', c: { command: 'clear-target', ...why }, path: 'fleetId' },
  ])('is refused $name', async ({ c, path }) => {
    h = await startHarness({ block: null });
    const r = await h.invoke('ops', command(c, T0));
    expect(r).toMatchObject({ status: 'rejected', path });
  });
});

describe('drain with several fleets', () => {
  it('audits under each fleet on the cluster, so status shows it for each', async () => {
    const raw = JSON.parse(await readFile(DEMO_CONFIG, 'utf8')) as { fleets: Array<Record<string, unknown>> };
    const demo = raw.fleets[0] as { id: string; pools: Array<Record<string, unknown>>; deployment?: unknown };
    const batch = {
      ...demo,
      id: 'batch',
      deployment: undefined,
      pools: [
        { ...demo.pools.find((p) => p.id === 'aws-g5-ondemand')!, id: 'batch-g5', resource: 'batch-g5-asg', min: 1 },
      ],
    };
    raw.fleets.push(batch);
    const resolved = resolveConfig(parseConfig(raw, 'two fleets'), 'two fleets');
    h = await startHarness({ resolved, desired: { 'aws-g5-ondemand': 2 }, block: null });
    const [i] = h.world.instancesOf('aws-g5-ondemand');
    const r = await ops(h, { command: 'drain', node: i!.nodeName, ...why });
    expect(r.ok).toBe(true);
    for (const fleetId of [FLEET, 'batch']) {
      const audits = await h.audits(fleetId);
      expect(audits.map((a) => a.trigger.signal)).toContain('operator-command');
    }
    const status = await ops(h, { command: 'status' });
    for (const f of status.fleets!) expect(f.recent.map((a) => a.eventId)).toContain(r.audit!.eventId);
    expect(await h.audits('cluster')).toEqual([]);
  });
});
