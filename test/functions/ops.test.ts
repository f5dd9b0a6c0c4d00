/**
 * The ops function end to end: operator commands (the CLI's and the API's JSON) through the same middy and
 * Powertools stack, against the emulators and dynalite. Status and plan change nothing; scale, pause, resume
 * and drain change what they say, are audited with who asked and why, and act once per request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import type { HandlerResult } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { ACTOR, command, planCapacityRps, tick, utilizationAlarm } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Fleet utilization as the metrics store serves it: at 140% of the 70% target, the fleet wants twice its size. */
function hot(h: Harness) {
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
}

type Ops = Extract<HandlerResult, { status: 'ops' }>;
async function ops(h: Harness, c: Record<string, unknown>, at = T0): Promise<Ops> {
  const r = await h.invoke('ops', command(c, at));
  expect(r.status).toBe('ops');
  return r as Ops;
}

const why = { actor: ACTOR, reason: 'launch event' };

describe('ops function', () => {
  it('status: every pool as the clouds report it, and the cost; nothing changes', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'azure-a100-spot': 1, 'gcp-l4': 1 } });
    const r = await ops(h, { command: 'status' });
    expect(r.ok).toBe(true);
    const pools = Object.fromEntries(r.fleets![0]!.pools.map((p) => [p.poolId, p.desired]));
    expect(pools).toEqual(h.desired());
    // 2 x $1.01 (g5 on demand) + $0.73 (A100 spot) + $0.70 (L4).
    expect(r.fleets![0]!.costPerHour).toBeCloseTo(3.45, 6);
    expect(h.writes()).toEqual([]);
  });

  it("status: each pool's time to ready, and what its launches took where longer than configured", async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 } });
    const store = h.stack.deps.store;
    const state = await store.getState(FLEET);
    const took = (s: number) => ({ seconds: s, at: new Date(T0).toISOString() });
    await store.saveState({
      ...state,
      boots: { booting: {}, samples: { 'aws-g5-spot': [took(840), took(900), took(780)] } },
    });
    const r = await ops(h, { command: 'status' });
    const pools = r.fleets![0]!.pools;
    expect(pools.find((p) => p.poolId === 'aws-g5-spot')).toMatchObject({
      timeToReadySeconds: 600,
      timeToReadyLearned: { configured: 600, observed: 900, launches: 3 },
    });
    const g5 = pools.find((p) => p.poolId === 'aws-g5-ondemand')!;
    expect(g5.timeToReadySeconds).toBe(600);
    expect(g5.timeToReadyLearned).toBeUndefined();
  });

  it('status: a pool its cloud does not describe says why; the others are reported', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'azure-a100-spot': 1, 'gcp-l4': 1 } });
    // Refused credentials, for as long as the adapter would retry.
    h.world.faults.inject({
      service: 'arm',
      operation: 'virtualMachineScaleSets.get',
      kind: 'unauthorized',
      times: 10,
    });
    const r = await ops(h, { command: 'status' });
    const pools = r.fleets![0]!.pools;
    const azure = pools.find((p) => p.poolId === 'azure-a100-spot')!;
    expect(azure.desired).toBeUndefined();
    // The cloud's own error, as the adapter reported it.
    expect(azure.error).toEqual(expect.any(String));
    expect(azure.error).not.toBe('not observed');
    expect(pools.find((p) => p.poolId === 'gcp-l4')).toMatchObject({ desired: 1 });
    // 2 x $1.01 (g5 on demand) + $0.70 (L4): the pool not described counts for nothing.
    expect(r.fleets![0]!.costPerHour).toBeCloseTo(2.72, 6);
  });

  it('plan: a dry run says what it would do and does nothing', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    hot(h);
    const before = h.desired();
    const version = (await h.stack.deps.store.getState(FLEET)).version;
    const r = await ops(h, { command: 'plan', fleetId: FLEET });
    // 2 nodes at 140% of the target: twice their capacity, in whichever pools the placement chose.
    expect(r).toMatchObject({ ok: true, plan: { dryRun: true, currentNodes: 2 } });
    const plan = r.plan!;
    expect(planCapacityRps(h, plan, 'target')).toBeGreaterThanOrEqual(2 * planCapacityRps(h, plan, 'current'));
    expect(plan.actions.some((a) => a.type === 'set-desired')).toBe(true);
    expect(r.explanation).toMatch(new RegExp(`DRY RUN[\\s\\S]*Nodes: 2 \\(2 ready\\) -> ${plan.targetNodes}`));
    expect(h.desired()).toEqual(before);
    expect(h.writes()).toEqual([]);
    expect((await h.stack.deps.store.getState(FLEET)).version).toBe(version);
    expect(r.audit).toMatchObject({ dryRun: true, outcome: { status: 'dry-run', applied: [] } });
    // Asked twice, answered twice: read-only commands are not deduplicated.
    expect((await ops(h, { command: 'plan', fleetId: FLEET })).plan!.targetNodes).toBe(plan.targetNodes);
  });

  it('scale with a ttl: the manual target is applied, kept in the state until it lapses, and acts once', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    const request = {
      command: 'scale',
      fleetId: FLEET,
      target: 6,
      ttl: '2h',
      requestId: 'ops-2026-01-05-0001',
      ...why,
    };
    const first = await ops(h, request);
    expect(first).toMatchObject({ ok: true, plan: { targetNodes: 6 }, audit: { outcome: { status: 'applied' } } });
    expect(h.totalDesired()).toBe(6);
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.manualTarget).toEqual({
      target: 6,
      until: new Date(T0 + 2 * 3600_000).toISOString(),
      by: ACTOR,
      reason: 'launch event',
    });
    expect(first.audit!.trigger).toMatchObject({ fn: 'ops', actor: ACTOR, reason: 'launch event' });

    // The same request again (a retried API call): the stored answer, no cloud call, one audit record.
    const writes = h.writes().length;
    expect(await ops(h, request)).toEqual(first);
    expect(h.writes()).toHaveLength(writes);
    expect(await h.audits()).toHaveLength(1);

    // Two hours later the target has lapsed: the next decision drops it from the state.
    h.world.advanceTo(T0 + 2 * 3600_000 + 60_000);
    await h.invoke('schedule', tick(h.world.now(), 'schedule-business-hours'));
    expect((await h.stack.deps.store.getState(FLEET)).manualTarget).toBeUndefined();
  });

  it('pause: a following alarm changes nothing and the audit says what it would have done; resume acts again', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    hot(h);
    const paused = await ops(h, { command: 'pause', fleetId: FLEET, ttl: '30m', ...why });
    // The pause is a signal the engine applies: its plan holds everything back, its next state keeps the pause.
    expect(paused).toMatchObject({ ok: true, audit: { paused: true, outcome: { status: 'paused', applied: [] } } });
    expect((await h.stack.deps.store.getState(FLEET)).paused).toEqual({
      until: new Date(T0 + 30 * 60_000).toISOString(),
      by: ACTOR,
      reason: 'launch event',
    });

    const alarmId = crypto.randomUUID();
    const result = await h.invoke('alarm', utilizationAlarm(T0, 140, { id: alarmId }));
    expect(result).toMatchObject({ status: 'decided', decisions: [{ status: 'paused', currentNodes: 2 }] });
    expect(h.totalDesired()).toBe(2);
    expect(h.writes()).toEqual([]);
    const audit = await h.audit(alarmId);
    expect(audit).toMatchObject({ paused: true, outcome: { status: 'paused', applied: [] } });
    const plan = audit!.plan as Plan;
    expect(plan.actions).toEqual([]);
    // What it would have done: grow the fleet to the plan's target.
    const grow = plan.suppressedActions.filter((a) => a.type === 'set-desired');
    expect(grow.reduce((n, a) => n + a.to - a.from, 0)).toBe(plan.targetNodes - 2);
    expect(plan.targetNodes).toBeGreaterThan(2);

    const resumed = await ops(h, { command: 'resume', fleetId: FLEET, ...why }, T0 + 1000);
    expect(resumed).toMatchObject({ ok: true, plan: { paused: false, targetNodes: plan.targetNodes } });
    expect((await h.stack.deps.store.getState(FLEET)).paused).toBeUndefined();
    expect(h.totalDesired()).toBe(plan.targetNodes);
  });

  it.each([
    { command: 'scale', target: 6, ttl: '1h' },
    { command: 'pause', ttl: '30m' },
    { command: 'drain', node: 'NODE' },
  ])('$command as a dry run: nothing changes, the answer says what it would do', async (c) => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    const [i] = h.world.instancesOf('aws-g5-ondemand');
    const before = h.desired();
    const fleet = c.command === 'drain' ? {} : { fleetId: FLEET };
    const r = await ops(h, { ...c, ...fleet, ...(c.node ? { node: i!.nodeName } : {}), ...why, dryRun: true });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/dry run|would/);
    expect(r.audit).toMatchObject({ dryRun: true });
    expect(h.desired()).toEqual(before);
    expect(h.writes()).toEqual([]);
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state).toMatchObject({ version: 0 });
    expect(state.paused).toBeUndefined();
    expect(state.manualTarget).toBeUndefined();
    // The scale plan says where the 6 nodes would be.
    if (c.command === 'scale') expect(r.plan).toMatchObject({ dryRun: true, targetNodes: 6 });
  });

  it('drain: the node is cordoned and its pods evicted; audited with who asked', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    const [i] = h.world.instancesOf('aws-g5-ondemand');
    const k = h.stack.kubernetes.get('gpu-demo')!.state;
    expect(k.podRecords({ nodeName: i!.nodeName }).length).toBeGreaterThan(0);
    const r = await ops(h, { command: 'drain', node: i!.nodeName, ...why });
    expect(r).toMatchObject({ ok: true, message: expect.stringContaining(i!.nodeName) });
    expect(k.nodeOverlay(i!.nodeName)?.unschedulable).toBe(true);
    expect(k.podRecords({ nodeName: i!.nodeName })).toEqual([]);
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create').length).toBeGreaterThan(0);
    expect(r.audit).toMatchObject({
      trigger: { actor: ACTOR, reason: 'launch event' },
      outcome: { status: 'applied' },
    });
    // By instance id too: the same node is found.
    const again = await ops(h, { command: 'drain', node: i!.id, ...why, requestId: 'drain-again' });
    expect(again.message).toContain(i!.nodeName);
  });

  it.each([
    { name: 'scale without an actor', c: { command: 'scale', fleetId: FLEET, target: 4, reason: 'x' }, path: 'actor' },
    { name: 'pause without a reason', c: { command: 'pause', fleetId: FLEET, actor: ACTOR }, path: 'reason' },
    { name: 'resume without either', c: { command: 'resume', fleetId: FLEET }, path: 'actor' },
    { name: 'drain without a reason', c: { command: 'drain', node: 'n-1', actor: ACTOR }, path: 'reason' },
  ])('a changing command is rejected with its reason: $name', async ({ c, path }) => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    const result = await h.invoke('ops', command(c, T0));
    expect(result).toMatchObject({ status: 'rejected', path: expect.stringContaining(path) });
    expect((result as { reason: string }).reason).toMatch(/who asks|why/);
    expect(h.writes()).toEqual([]);
    expect(await h.audits()).toEqual([]);
    const [rejected] = await h.rejected();
    expect(rejected).toMatchObject({ fn: 'ops', path: expect.stringContaining(path) });
  });

  it('history: the audit trail by time range, trigger and actor, newest first; plan without a fleet covers every fleet', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    await ops(h, { command: 'scale', fleetId: FLEET, target: 3, ...why });
    h.world.advanceTo(T0 + 3600_000);
    await ops(h, { command: 'pause', fleetId: FLEET, actor: 'asmith', reason: 'model rollout' }, T0 + 3600_000);
    const at = (r: Ops) => r.history!.map((a) => `${a.trigger.actor} ${a.trigger.reason}`);
    const all = await ops(h, { command: 'history' });
    expect(at(all)).toEqual(['asmith model rollout', `${ACTOR} launch event`]);
    expect(all.history![1]).toMatchObject({ fleetId: FLEET, status: 'applied', currentNodes: 2, targetNodes: 3 });
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['by actor', { actor: 'asmith' }, ['asmith model rollout']],
      ['by trigger (function)', { trigger: 'ops' }, ['asmith model rollout', `${ACTOR} launch event`]],
      ['by trigger (signal)', { trigger: 'metric-alarm' }, []],
      ['since', { since: new Date(T0 + 60_000).toISOString() }, ['asmith model rollout']],
      ['until', { until: new Date(T0 + 60_000).toISOString() }, [`${ACTOR} launch event`]],
      ['limit', { limit: 1 }, ['asmith model rollout']],
    ];
    for (const [name, history, expected] of cases) {
      expect(at(await ops(h, { command: 'history', fleetId: FLEET, history })), name).toEqual(expected);
    }
    // A query on another command, or an inverted range, is rejected.
    const bad = await h.invoke('ops', command({ command: 'status', history: { limit: 1 } }, T0));
    expect(bad).toMatchObject({ status: 'rejected' });
    const inverted = await h.invoke(
      'ops',
      command({ command: 'history', history: { since: '2026-01-06T00:00:00Z', until: '2026-01-05T00:00:00Z' } }, T0),
    );
    expect(inverted).toMatchObject({ status: 'rejected' });

    const plan = await ops(h, { command: 'plan' });
    expect(plan.plans!.map((p) => p.fleetId)).toEqual(h.resolved.fleets.map((f) => f.id));
    expect(plan.plans![0]!.explanation).toMatch(/DRY RUN/);
  });

  it('status lists every node of every pool with its state', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'gcp-l4': 1 } });
    const r = await ops(h, { command: 'status' });
    const nodes = r.fleets![0]!.nodes;
    expect(nodes.map((n) => n.poolId).sort()).toEqual(['aws-g5-ondemand', 'aws-g5-ondemand', 'gcp-l4']);
    for (const n of nodes) expect(n).toMatchObject({ instanceId: expect.any(String), state: 'ready' });
  });

  it('a command for a fleet that does not exist answers not ok, changes nothing', async () => {
    h = await startHarness();
    const r = await ops(h, { command: 'pause', fleetId: 'chat', ...why });
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining("no fleet 'chat'") });
    expect(h.writes()).toEqual([]);
  });
});
