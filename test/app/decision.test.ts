/**
 * The decision path over fakes (no emulator, no dynalite): a trigger's signal through the lease, the
 * observation, the engine, the executor and the record, table by table. Each case takes milliseconds; the
 * end-to-end tests over the emulators (test/functions) stay.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDecision } from '../../shared/app/decision.ts';
import { demandQuery, metricQuery } from '../../shared/app/inputs.ts';
import { runOperatorCommand } from '../../shared/app/ops.ts';
import { alarm } from '../../shared/app/triggers/alarm.ts';
import { spotInterruption } from '../../shared/app/triggers/spot-interruption.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import { type ObservedInstance, metricsQueryText } from '../../shared/domain/ports.ts';
import type { MetricAlarmSignal, OperatorCommandSignal, Signal } from '../../shared/domain/signals.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { spotWarningSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z'); // a Monday, 10:00 in New York: business hours (floor 3)
const FLEET = 'llm-demo';
let resolved: ResolvedConfig;
let w: FakeWorld;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});
afterEach(() => {
  w = undefined as unknown as FakeWorld;
});

/** The demo fleet over fakes: 2 on-demand nodes, the rest empty, demand at `rps`. */
function world(rps: number, utilization: number): FakeWorld {
  const f = fakeDeps(resolved, T0);
  f.set('aws-g5-ondemand', { desired: 2 });
  f.set('aws-g5-spot', { desired: 0 });
  f.set('aws-p5-capacity-block', { desired: 0 });
  f.set('azure-a100-spot', { desired: 0 });
  f.set('gcp-l4', { desired: 0 });
  const fleet = resolved.fleets[0]!;
  f.metrics.values.set(metricsQueryText(demandQuery(fleet)), rps);
  f.metrics.values.set(metricsQueryText(metricQuery(FLEET, 'gpu_utilization')), utilization);
  return f;
}

const hotAlarm = (id = 'alarm-1'): MetricAlarmSignal => ({
  type: 'metric-alarm',
  eventId: id,
  source: 'aws.cloudwatch',
  time: T0.toISOString(),
  cloud: 'aws',
  alarmName: 'llm-demo-gpu-utilization-high',
  state: 'ALARM',
  alarmKind: 'metric',
  dimensions: {},
});

const command = (c: Partial<OperatorCommandSignal>): OperatorCommandSignal => ({
  type: 'operator-command',
  eventId: `op-${c.command}`,
  source: 'cli',
  time: T0.toISOString(),
  command: 'status',
  actor: 'alice',
  reason: 'test',
  fleetId: FLEET,
  ...c,
});

const grown = (f: FakeWorld) =>
  Object.values(f.capacity).flatMap((c) => c.callsOf('setDesired').filter(([, to]) => (to as number) > 0));

describe('a decision records in few writes, and the state write releases the lease', () => {
  it('an alarm on a hot fleet: grows, saves the next state, appends history, audits, publishes', async () => {
    w = world(200, 140);
    const r = await alarm.run(hotAlarm(), w.deps);
    expect(r).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    expect(grown(w).length).toBeGreaterThan(0);
    const methods = w.state.calls.map((c) => c.method);
    // The lease (with the state and history read in it); the state and the history entry in one write that
    // releases the lease; the audit. No renewal before the cloud writes (the lease is young), no release.
    expect(methods).toEqual(['acquireLease', 'saveState', 'putAudit']);
    expect(await w.state.loadHistory(FLEET, new Date(0))).toEqual([expect.objectContaining({ applied: true })]);
    expect(w.state.lease(FLEET)).toEqual({});
    expect((await w.state.getState(FLEET)).version).toBe(1);
    expect(w.state.audit[0]!.plan!.actions.some((a) => a.type === 'scale-deployment')).toBe(true);
    expect(w.events.published.map((e) => e.detailType)).toEqual(['Scaling Decision']);
  });

  it('a dry run takes no lease and saves nothing', async () => {
    w = world(200, 140);
    const out = await runDecision(w.deps, {
      fn: 'ops',
      fleetId: FLEET,
      eventId: 'e1',
      source: 'cli',
      signals: [],
      gather: { metrics: true, demand: true },
      dryRun: true,
    });
    expect(out.audit.outcome.status).toBe('dry-run');
    expect(w.state.calls.map((c) => c.method)).toEqual(['readFleet', 'putAudit']);
    expect(grown(w)).toEqual([]);
  });
});

describe('the executor decides nothing', () => {
  const cases: Array<{ name: string; error: Error; expected: { status: string; retried: boolean } }> = [
    {
      name: 'a throttled cloud: the decision is recorded, the event retried',
      error: new CloudError({ kind: 'throttled', cloud: 'aws', operation: 'grow', message: 'slow down' }),
      expected: { status: 'partial', retried: true },
    },
    {
      name: 'refused credentials: recorded, acknowledged as partial (a retry would not help)',
      error: new CloudError({ kind: 'unauthorized', cloud: 'aws', operation: 'grow', message: 'no' }),
      expected: { status: 'partial', retried: false },
    },
  ];
  it.each(cases)('$name', async ({ error, expected }) => {
    w = world(200, 140);
    for (const c of Object.values(w.capacity)) for (const id of c.pools.keys()) c.refuse.set(id, error);
    const run = alarm.run(hotAlarm(), w.deps);
    if (expected.retried) await expect(run).rejects.toMatchObject({ name: 'RetryableActionsError' });
    else await expect(run).resolves.toMatchObject({ status: expected.status });
    expect(w.state.audit[0]!.outcome.failed.length).toBeGreaterThan(0);
    // Saved all the same: the next decision sees what was done.
    expect((await w.state.getState(FLEET)).version).toBe(1);
  });

  it.each(cases)('$name: the Deployment waits for the capacity (its replicas are held)', async ({ error }) => {
    w = world(200, 140);
    for (const c of Object.values(w.capacity)) for (const id of c.pools.keys()) c.refuse.set(id, error);
    await alarm.run(hotAlarm(), w.deps).catch(() => undefined);
    expect(w.state.audit[0]!.plan!.actions.some((a) => a.type === 'scale-deployment')).toBe(true);
    expect(w.cluster.callsOf('scaleDeployment')).toEqual([]);
    const held = w.state.audit[0]!.outcome.applied.find((a) => a.action === 'scale-deployment');
    expect(held?.detail).toMatchObject({
      why: expect.stringMatching(/failed and no pool changed: the replicas follow the capacity/),
    });
  });

  it('with every grow applied, the Deployment follows', async () => {
    w = world(200, 140);
    await alarm.run(hotAlarm(), w.deps);
    expect(w.cluster.callsOf('scaleDeployment').length).toBe(1);
  });

  it('a refusal for capacity becomes a launch-failure signal and one new decision, recorded as one', async () => {
    w = world(200, 140);
    const refused = new CloudError({
      kind: 'insufficient-capacity',
      cloud: 'aws',
      operation: 'growing aws-g5-spot',
      message: 'InsufficientInstanceCapacity',
    });
    // The pool the plan grows most, found by a first run on a copy of the world.
    const probe = world(200, 140);
    await alarm.run(hotAlarm('probe'), probe.deps);
    const first = probe.state.audit[0]!.plan!.pools.toSorted((a, b) => b.delta - a.delta)[0]!;
    const target = first.poolId;
    w.capacity[first.cloud as 'aws'].refuse.set(target, refused);
    const r = await alarm.run(hotAlarm('a-1'), w.deps);
    expect(r).toMatchObject({ status: 'partial' });
    expect(w.state.audit.map((a) => [a.eventId, a.trigger.signal])).toEqual([
      ['a-1', 'metric-alarm'],
      ['a-1#refused', 'capacity-notice'],
    ]);
    const second = w.state.audit[1]!.plan!;
    // The engine backed the offering off and placed the nodes elsewhere.
    expect(second.pools.find((p) => p.poolId === target)!.blocked).toMatch(/backed off/);
    expect(second.pools.find((p) => p.poolId === target)!.delta).toBe(0);
    expect((await w.state.getState(FLEET)).offeringBackoff).toEqual([
      expect.objectContaining({ poolId: target, reason: 'insufficient-capacity' }),
    ]);
  });
});

describe('creations a cloud keeps failing, seen in the observation', () => {
  it('back the offering off in this decision and place its nodes elsewhere, said in the plan', async () => {
    w = world(200, 140);
    w.set('gcp-l4', { desired: 4 });
    // The GCP group keeps failing to create its 4 instances in one zone (listManagedInstances' lastAttempt).
    const gcp = w.capacity.gcp;
    const describe = gcp.describePool.bind(gcp);
    gcp.describePool = async (ref) => {
      const obs = await describe(ref);
      return ref.id === 'gcp-l4'
        ? { ...obs, launchFailures: [{ zone: 'us-central1-a', code: 'ZONE_RESOURCE_POOL_EXHAUSTED' }] }
        : obs;
    };
    await alarm.run(hotAlarm('a-1'), w.deps);
    const plan = w.state.audit[0]!.plan!;
    expect(plan.reasons).toContainEqual(
      expect.objectContaining({
        code: 'signal.capacity',
        message: expect.stringMatching(/pool gcp-l4 in zone us-central1-a/),
      }),
    );
    expect(plan.pools.find((p) => p.poolId === 'gcp-l4')!.blocked).toMatch(/backed off/);
    expect((await w.state.getState(FLEET)).offeringBackoff).toContainEqual(
      expect.objectContaining({ poolId: 'gcp-l4', reason: 'insufficient-capacity' }),
    );
  });
});

describe('operator commands are signals the engine applies once', () => {
  it('pause: saved by the plan; a following alarm calls no cloud and says what it held back', async () => {
    w = world(200, 140);
    const paused = await runOperatorCommand(w.deps, command({ command: 'pause' }));
    expect(paused.audit).toMatchObject({ paused: true, outcome: { status: 'paused' } });
    expect((await w.state.getState(FLEET)).paused).toMatchObject({ by: 'alice' });
    const r = await alarm.run(hotAlarm(), w.deps);
    expect(r).toMatchObject({ decisions: [{ status: 'paused' }] });
    expect(grown(w)).toEqual([]);
    expect(w.state.audit.at(-1)!.plan!.suppressedActions.length).toBeGreaterThan(0);
    await runOperatorCommand(w.deps, command({ command: 'resume', eventId: 'op-resume' }));
    expect((await w.state.getState(FLEET)).paused).toBeUndefined();
  });

  it('scale: the manual target is in the next state and the plan', async () => {
    w = world(20, 30);
    const r = await runOperatorCommand(w.deps, command({ command: 'scale', target: 6 }));
    expect(r.plan!.targetNodes).toBe(6);
    expect((await w.state.getState(FLEET)).manualTarget).toMatchObject({ target: 6, by: 'alice' });
  });

  it('drain: the node is found, and the plan cordons and drains it', async () => {
    w = world(20, 30);
    w.cluster.addNode('node-a', 'i-0abc');
    const r = await runOperatorCommand(w.deps, command({ command: 'drain', node: 'i-0abc' }));
    expect(r).toMatchObject({ ok: true, message: expect.stringContaining('cordoned and drained node-a') });
    expect(w.cluster.callsOf('cordon')).toEqual([['node-a']]);
    expect(w.cluster.callsOf('drain')).toEqual([['node-a']]);
  });
});

describe('the critical path', () => {
  it('writes each pool from the observation made under the lease, not read again', async () => {
    w = world(200, 140);
    await alarm.run(hotAlarm(), w.deps);
    const requests = Object.values(w.capacity).flatMap((c) => c.requests);
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(r.observed).toEqual(expect.objectContaining({ desired: expect.any(Number) }));
    // One describe per pool: the observation.
    for (const c of Object.values(w.capacity)) {
      const described = c.callsOf('describePool').map(([id]) => id);
      expect(new Set(described).size).toBe(described.length);
    }
  });

  it.each([
    { name: 'a young lease is not renewed before a write', heldMs: 0, renewals: 0, written: true },
    { name: 'past half its time the lease is renewed first', heldMs: 80_000, renewals: 1, written: true },
    { name: 'a lease another took meanwhile stops every write', heldMs: 151_000, renewals: 1, written: false },
  ])('fencing: $name', async ({ heldMs, renewals, written }) => {
    w = world(200, 140);
    let now = T0;
    w.deps.clock = () => now;
    w.deps.leaseTtlMs = 150_000;
    // The first describe takes `heldMs` (the invocation stalls); past the lease, another invocation takes it.
    const aws = w.capacity.aws;
    const describe = aws.describePool.bind(aws);
    let stalled = false;
    aws.describePool = async (ref) => {
      if (!stalled) {
        stalled = true;
        now = new Date(T0.getTime() + heldMs);
        if (heldMs > 150_000) await w.state.acquireLease(FLEET, 'newer', now, 150_000);
      }
      return describe(ref);
    };
    const outcome = runDecision(w.deps, {
      fn: 'alarm',
      fleetId: FLEET,
      eventId: 'e1',
      source: 'aws.cloudwatch',
      signals: [hotAlarm()],
      gather: { metrics: true, demand: true },
    });
    if (written) await outcome;
    else await expect(outcome).rejects.toThrow();
    const acquired = w.state.calls.filter((c) => c.method === 'acquireLease' && c.args[1] !== 'newer').length;
    expect(acquired - 1).toBe(renewals);
    expect(grown(w).length > 0).toBe(written);
  });
});

/** Writes to the pools (resizes, warm capacity, removals). */
const cloudWrites = (f: FakeWorld) =>
  Object.values(f.capacity).flatMap((c) =>
    c.calls.filter((x) => ['setDesired', 'setWarm', 'removeInstance'].includes(x.method)),
  ).length;

describe('near the deadline, what was applied is recorded as it completes', () => {
  const alarmRequest = (eventId: string) => ({
    fn: 'alarm',
    fleetId: FLEET,
    eventId,
    source: 'aws.cloudwatch',
    signals: [hotAlarm(eventId)],
    gather: { metrics: true, demand: true },
  });

  it('each applied action is recorded; the final save replaces the progress and its history entry', async () => {
    w = world(200, 140);
    w.deps.deadline = () => T0.getTime() + 5_000; // 5 s left: near
    await runDecision(w.deps, alarmRequest('e1'));
    const progress = w.state.calls.filter((c) => c.method === 'saveProgress').map((c) => c.args[2] as string[]);
    const writes = cloudWrites(w) + w.cluster.callsOf('scaleDeployment').length;
    // One record per cloud write, each with all applied so far.
    expect(progress).toHaveLength(writes);
    expect(progress.at(-1)).toHaveLength(writes);
    expect((await w.state.readFleet(FLEET)).progress).toBeUndefined();
    expect(await w.state.loadHistory(FLEET, new Date(0))).toHaveLength(1);
  });

  it('far from it, nothing more is written', async () => {
    w = world(200, 140);
    w.deps.deadline = () => T0.getTime() + 50_000;
    await runDecision(w.deps, alarmRequest('e1'));
    expect(w.state.calls.map((c) => c.method)).toEqual(['acquireLease', 'saveState', 'putAudit']);
  });

  it('a redelivery after the invocation died takes its lease over and repeats none of its writes', async () => {
    w = world(200, 140);
    w.deps.deadline = () => T0.getTime() + 5_000;
    const initial = Object.fromEntries(
      Object.entries(w.capacity).flatMap(([, c]) => [...c.pools].map(([id, p]) => [id, structuredClone(p)])),
    );
    // The first delivery applies its resizes, then hangs on the Deployment until Lambda ends it.
    const scale = w.cluster.scaleDeployment.bind(w.cluster);
    let calls = 0;
    w.cluster.scaleDeployment = (ns, name, replicas) =>
      ++calls === 1 ? new Promise(() => {}) : scale(ns, name, replicas);
    void runDecision(w.deps, alarmRequest('e1'));
    await vi.waitFor(() => expect(w.cluster.callsOf('scaleDeployment').length + calls).toBeGreaterThan(0));
    const resized = cloudWrites(w);
    expect(resized).toBeGreaterThan(0);
    const recorded = (await w.state.readFleet(FLEET)).progress;
    expect(recorded?.applied).toHaveLength(resized);
    expect(w.state.lease(FLEET).owner).toBe('owner-1');
    // The clouds still report the old counts (an observation that lags): the same plan is made again.
    for (const [id, p] of Object.entries(initial)) w.set(id, structuredClone(p));
    const again = await runDecision(w.deps, alarmRequest('e1'));
    // The lease was taken over before it expired; no resize was made twice.
    expect(cloudWrites(w)).toBe(resized);
    expect(
      again.audit.outcome.applied.filter((a) => a.detail === 'applied by an earlier delivery of this event'),
    ).toHaveLength(resized);
    expect(w.state.lease(FLEET)).toEqual({});
    // The history has what each delivery did: the first's resizes (recorded with its progress) and the second.
    expect(await w.state.loadHistory(FLEET, new Date(0))).toHaveLength(2);
    expect((await w.state.readFleet(FLEET)).progress).toBeUndefined();
  });

  it('another event waits for the lease as before', async () => {
    w = world(200, 140);
    await w.state.acquireLease(FLEET, 'someone', T0, 150_000, 'other-event');
    await expect(runDecision(w.deps, alarmRequest('e1'))).rejects.toThrow(/another invocation/);
  });
});

describe('an interruption', () => {
  it('cordons with the observed node name while the pools grow, drains after the lease, then removes the instance', async () => {
    w = world(20, 30);
    w.set('aws-g5-spot', {
      desired: 2,
      instances: [
        { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a', nodeName: 'node-1' },
        { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b', nodeName: 'node-2' },
      ],
    });
    w.cluster.addNode('node-1', 'i-1');
    let open = () => {};
    w.cluster.drainGate = new Promise<void>((r) => {
      open = r;
    });
    const notice: Signal = spotWarningSignal(T0);
    const run = spotInterruption.run(notice, w.deps);
    // The drain waits: the decision is recorded and its lease given back meanwhile; nothing is removed yet.
    await vi.waitFor(() => expect(w.state.calls.map((c) => c.method)).toContain('putAudit'));
    expect(w.state.lease(FLEET)).toEqual({});
    expect(w.cluster.callsOf('findNodeByInstance')).toEqual([]);
    expect(w.cluster.callsOf('cordon')).toEqual([['node-1']]);
    expect(w.cluster.callsOf('drain')).toEqual([['node-1']]);
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([]);
    open();
    await run;
    // Then removed, under the lease taken again and given back; the decision's one audit record says so.
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([['aws-g5-spot', 'i-1']]);
    // The notice recorded with the lease taken (one request, whose read of the fleet's pause the cordon ahead of
    // the decision takes), then as before.
    expect(w.state.calls.map((c) => c.method)).toEqual([
      'enlist',
      'saveState',
      'putAudit',
      'acquireLease',
      'releaseLease',
      'putAudit',
    ]);
    expect(w.state.lease(FLEET)).toEqual({});
    expect(w.state.audit).toHaveLength(1);
    expect(w.state.audit[0]!.outcome.applied.map((a) => a.action)).toEqual(
      expect.arrayContaining(['cordon-drain', 'drain', 'remove-instance']),
    );
  });

  it('a drain over before the other actions: the removal is made under the same lease', async () => {
    w = world(20, 30);
    w.set('aws-g5-spot', {
      desired: 2,
      instances: [
        { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a', nodeName: 'node-1' },
        { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b', nodeName: 'node-2' },
      ],
    });
    w.cluster.addNode('node-1', 'i-1');
    await spotInterruption.run(
      {
        type: 'interruption',
        eventId: 'spot-1',
        source: 'aws.ec2',
        time: T0.toISOString(),
        cloud: 'aws',
        kind: 'warning',
        instanceIds: ['i-1'],
        deadline: new Date(T0.getTime() + 120_000).toISOString(),
        zone: 'us-east-1a',
        region: 'us-east-1',
      },
      w.deps,
    );
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([['aws-g5-spot', 'i-1']]);
    // The cordon ahead of the decision reads the pause from the notice's enlistment: no read of its own.
    expect(w.state.calls.map((c) => c.method)).toEqual(['enlist', 'saveState', 'putAudit']);
  });

  it('cordons and drains the node, removes the instance and places the capacity elsewhere', async () => {
    w = world(20, 30);
    w.set('aws-g5-spot', {
      desired: 2,
      instances: [
        { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a' },
        { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b' },
      ],
    });
    w.cluster.addNode('node-1', 'i-1');
    const notice: Signal = {
      type: 'interruption',
      eventId: 'spot-1',
      source: 'aws.ec2',
      time: T0.toISOString(),
      cloud: 'aws',
      kind: 'warning',
      instanceIds: ['i-1'],
      deadline: new Date(T0.getTime() + 120_000).toISOString(),
      zone: 'us-east-1a',
      region: 'us-east-1',
    };
    await spotInterruption.run(notice, w.deps);
    expect(w.cluster.callsOf('cordon')).toEqual([['node-1']]);
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([['aws-g5-spot', 'i-1']]);
    const state = await w.state.getState(FLEET);
    expect(state.interruptedInstances).toEqual([expect.objectContaining({ instanceId: 'i-1', poolId: 'aws-g5-spot' })]);
    expect(state.offeringBackoff).toEqual([expect.objectContaining({ poolId: 'aws-g5-spot', reason: 'interrupted' })]);
  });
});

describe('a node an earlier decision is removing after its notice', () => {
  const instances: ObservedInstance[] = [
    { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a' },
    { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b' },
  ];
  const removing = {
    instanceId: 'i-1',
    poolId: 'aws-g5-spot',
    deadline: new Date(T0.getTime() + 90_000).toISOString(),
    at: new Date(T0.getTime() - 30_000).toISOString(),
    removing: true as const,
  };
  const decideWith = async (seen: ObservedInstance[], desired = 2) => {
    w = world(20, 30);
    w.set('aws-g5-spot', { desired, instances: seen });
    w.state.states.set(FLEET, { fleetId: FLEET, version: 1, offeringBackoff: [], interruptedInstances: [removing] });
    await alarm.run(hotAlarm(), w.deps);
    return w.state.audit.at(-1)!.plan!;
  };
  const codes = (plan: Plan) => plan.reasons.map((r) => r.code);

  it('is not counted as capacity while the observation still shows it', async () => {
    const plan = await decideWith(instances);
    expect(plan.reasons.find((r) => r.code === 'placement.still-leaving')?.message).toMatch(/^aws-g5-spot: 1 node/);
    // The fleet's 4 nodes (2 on-demand, 2 spot) less i-1, whose replacement the earlier decision placed.
    expect(plan.currentNodes).toBe(3);
  });

  it('taken back before its removal: its pool is short of it, and it is not placed again', async () => {
    const plan = await decideWith([{ ...instances[0]!, lifecycle: 'terminated' }, instances[1]!]);
    expect(codes(plan)).not.toContain('placement.still-leaving');
    expect(plan.reasons.find((r) => r.code === 'placement.taken-before-removal')?.message).toMatch(
      /^aws-g5-spot: 1 of the node/,
    );
    expect(plan.currentNodes).toBe(3);
  });

  it('once removed (the pool lowered with it), counted as any other', async () => {
    const plan = await decideWith([instances[1]!], 1);
    expect(codes(plan)).not.toContain('placement.still-leaving');
    expect(codes(plan)).not.toContain('placement.taken-before-removal');
    expect(plan.currentNodes).toBe(3);
  });
});

describe('the demand season the configuration sets', () => {
  it('is the season the headroom looks back over: a ramp every other day, met from two days earlier', async () => {
    // Six days of demand a minute apart up to now: the office day (600 rps from 09:00 to 17:00) every other day,
    // 20 rps through the rest.
    const t0 = T0.getTime() / 1000;
    const points: Array<[number, number]> = Array.from({ length: 6 * 1440 }, (_, k) => {
      const i = k + 1;
      const day = Math.floor(i / 1440);
      const m = i % 1440;
      const wobble = 1 + 0.05 * Math.sin(i * 0.7);
      const rps = day % 2 === 1 ? 20 : m >= 540 && m < 1020 ? 600 : m >= 537 && m < 540 ? 200 + 130 * (m - 537) : 20;
      return [t0 - (6 * 1440 - k - 1) * 60, rps * wobble];
    });
    const level = async (seasonHours: number) => {
      const forecast = { ...resolved.config.forecast, seasonHours, lookbackHours: 144 };
      const f = fakeDeps({ ...resolved, config: { ...resolved.config, forecast } }, T0);
      f.set('aws-g5-ondemand', { desired: 2 });
      const fleet = resolved.fleets[0]!;
      f.metrics.values.set(metricsQueryText(demandQuery(fleet)), 20);
      f.metrics.series.set(metricsQueryText(demandQuery(fleet)), [{ labels: {}, points }]);
      const r = await runDecision(f.deps, {
        fn: 'forecast',
        fleetId: FLEET,
        eventId: 'tick-1',
        source: 'aws.events',
        signals: [],
        gather: { demand: true, metrics: true },
        dryRun: true,
      });
      return r.plan.reasons.find((x) => x.code === 'demand.level')?.message ?? '';
    };
    expect(await level(48)).toMatch(/what the same lead reached 2 day\(s\) earlier/);
    expect(await level(24)).not.toMatch(/same lead reached/);
  });
});
