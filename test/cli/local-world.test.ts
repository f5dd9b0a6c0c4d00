/**
 * The local world remembers: the emulated clouds and the autoscaler's table are kept in --state-dir between
 * commands (each command here is a fresh start of the stack, as a new process would be), nodes launched by
 * one command become ready as time passes (`--advance`), `history` reads the audit trail back with its
 * filters, `plan` without --fleet covers every fleet, and `reset` starts over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OpsResult } from '../../shared/app/ops.ts';
import { main } from '../../local/cli/main.ts';
import { fakeIo } from './support.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'autoscaler-world-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[], user = 'tester'): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo(undefined, { USER: user });
  const code = await main([...args, '--state-dir', tmp], io);
  return { code, out: io.out.join('\n'), err: io.err.join('\n') };
}
async function json(args: string[]): Promise<OpsResult> {
  const r = await run([...args, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as OpsResult;
}
const desired = (r: OpsResult) => r.fleets![0]!.pools.reduce((n, p) => n + (p.desired ?? 0), 0);
const ready = (r: OpsResult) => r.fleets![0]!.pools.reduce((n, p) => n + (p.ready ?? 0), 0);

describe('the local world between commands', () => {
  it('scale, then status shows the new count; nodes are ready after --advance; history; reset', async () => {
    const first = await json(['status']);
    expect(desired(first)).toBe(1);

    const scaled = await run(['scale', '--fleet', 'llm-demo', '--target', '6', '--reason', 'launch event'], 'jdoe');
    expect(scaled.code, scaled.err).toBe(0);
    expect(scaled.out).toMatch(/manual target 6; plan 1 -> 6 nodes \(applied\)/);

    // A new start of everything: the clouds still hold the six nodes, five of them booting.
    const after = await json(['status', '--fleet', 'llm-demo']);
    expect(desired(after)).toBe(6);
    expect(ready(after)).toBe(1);
    expect(after.fleets![0]!.manualTarget).toMatchObject({ target: 6, by: 'jdoe' });
    expect(after.fleets![0]!.nodes.filter((n) => n.state === 'pending')).toHaveLength(5);

    const wide = await run(['status', '-o', 'wide', '--advance', '15m']);
    expect(wide.code, wide.err).toBe(0);
    expect(wide.out).toMatch(/name +instance +pool +state +zone +age/);
    // Each pool's time to ready: the configured one, nothing learned yet (no launch followed to serving).
    expect(wide.out).toMatch(/\$\/node-h +ready after/);
    expect(wide.out).toMatch(/aws-g5-spot .* 600s\n/);
    // Every node ready, fifteen minutes old (give or take the seconds the commands took).
    const rows = wide.out.split('\n').filter((l) => / ready /.test(l) && /(1[5-6]m|0s)$/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(ready(await json(['status']))).toBe(6);

    const pause = await run(['pause', '--fleet', 'llm-demo', '--reason', 'model rollout'], 'asmith');
    expect(pause.code, pause.err).toBe(0);

    const all = await json(['history']);
    expect(all.history!.map((h) => h.trigger.actor)).toEqual(['asmith', 'jdoe']);
    expect(all.history![1]).toMatchObject({ fleetId: 'llm-demo', status: 'applied', currentNodes: 1, targetNodes: 6 });
    expect((await json(['history', '--actor', 'jdoe'])).history!.map((h) => h.trigger.reason)).toEqual([
      'launch event',
    ]);
    expect((await json(['history', '--trigger', 'alarm'])).history).toEqual([]);
    expect((await json(['history', '--trigger', 'operator-command', '--limit', '1'])).history).toHaveLength(1);
    // The range is the world's time: both records are within the last hour, none before the hour before.
    expect((await json(['history', '--until', '2000-01-01T00:00:00Z'])).history).toEqual([]);
    const table = await run(['history', '--fleet', 'llm-demo']);
    expect(table.out).toMatch(/fleet +at +trigger +actor +status +nodes +reason/);
    expect(table.out).toMatch(/llm-demo .* ops\/operator-command +jdoe +applied +1->6 +launch event/);

    // plan without --fleet: every fleet (one here), with its explanation.
    const plan = await json(['plan']);
    expect(plan.plans!.map((p) => p.fleetId)).toEqual(['llm-demo']);
    expect(plan.plan).toMatchObject({ dryRun: true });

    const reset = await run(['reset']);
    expect(reset.code).toBe(0);
    const fresh = await json(['status']);
    expect(desired(fresh)).toBe(1);
    expect(fresh.fleets![0]!.paused).toBeUndefined();
    expect((await json(['history'])).history).toEqual([]);
  }, 120_000);

  it("drain: the ops function cordons and hands off; the drain function's handler drains in this process", async () => {
    const status = await json(['status']);
    const node = status.fleets![0]!.nodes.find((n) => n.name)!.name!;
    const drained = await json(['drain', '--node', node, '--reason', 'bad GPU']);
    expect(drained.ok).toBe(true);
    expect(drained.message).toMatch(/handed to the drain function.*; drained by the drain function$/);
    // The decision's audit record, as the drain function completed it: the handoff, then the drain.
    const actions = drained.audit!.outcome.applied.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['cordon-drain', 'drain-handoff', 'drain']));
    expect(actions.indexOf('drain-handoff')).toBeLessThan(actions.indexOf('drain'));
    // As a dry run: nothing handed off.
    const dry = await json(['drain', '--node', node, '--reason', 'bad GPU', '--dry-run']);
    expect(dry.message).toMatch(/^would cordon and drain/);
    expect(dry.audit!.outcome.applied.map((a) => a.action)).not.toContain('drain-handoff');
  }, 120_000);
});
