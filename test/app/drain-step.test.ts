/**
 * The drain handoff over fakes: the decision's side (`handoff.ts`: one command per drain, published with the
 * decision, the drains not started) and the drain function's step (`drain-step.ts`: validated against the
 * configuration and the fleet's state, re-validated after its wait, drained, removed under the lease, the
 * decision's audit record completed), table by table.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { drainedBy } from '../../local/cli/commands/ops.ts';
import { runDrainCommand } from '../../shared/app/drain-step.ts';
import type { HandlerResult } from '../../shared/runtime/handler.ts';
import { drainCommandId, drainCommands } from '../../shared/app/handoff.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { WarmFloorNotRestoredError } from '../../shared/domain/errors.ts';
import type { CapacityPort, PendingNotice, RemoveInstanceOptions } from '../../shared/domain/ports.ts';
import type { DrainCommandSignal, InterruptionSignal } from '../../shared/domain/signals.ts';
import type { AuditRecord } from '../../shared/state/records.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
const FLEET = 'llm-demo';
const NODE = 'ip-10-0-1-17.ec2.internal';
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const DECISION = { eventId: 'evt-1', at: T0.toISOString(), fn: 'spot-interruption' };
let resolved: ResolvedConfig;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

const notice: InterruptionSignal = {
  type: 'interruption',
  eventId: 'evt-1',
  source: 'aws.ec2',
  time: T0.toISOString(),
  cloud: 'aws',
  kind: 'warning',
  instanceIds: [INSTANCE],
  deadline: new Date(T0.getTime() + 120_000).toISOString(),
};

function command(over: Partial<DrainCommandSignal> = {}): DrainCommandSignal {
  return {
    type: 'drain-command',
    eventId: drainCommandId('evt-1', INSTANCE),
    source: 'autoscaler.drain',
    time: T0.toISOString(),
    fleetId: FLEET,
    decision: DECISION,
    noticeEventId: 'evt-1',
    cluster: 'gpu-demo',
    node: NODE,
    instanceId: INSTANCE,
    poolId: 'aws-g5-spot',
    deadline: notice.deadline!,
    startBy: new Date(T0.getTime() + 80_000).toISOString(),
    reason: 'spot warning',
    removeReason: 'drained: spot warning',
    ...over,
  };
}

interface Setup {
  /** The fleet's state records the drain as planned (the decision handled the notice). */
  planned?: boolean;
  /** The notice as recorded with the state: handled by whom, refuted or not; undefined: not recorded. */
  recorded?: { by?: string; refused?: boolean };
  /** The node in the cluster: cordoned or not; undefined: gone. */
  node?: { unschedulable: boolean; name?: string };
  /** The decision's audit record exists (with its applied actions). */
  audit?: AuditRecord['outcome']['applied'];
}

function world(s: Setup): FakeWorld {
  const w = fakeDeps(resolved, T0);
  w.set('aws-g5-spot', { desired: 2 });
  w.state.states.set(FLEET, {
    fleetId: FLEET,
    version: 3,
    offeringBackoff: [],
    ...(s.planned !== false
      ? { interruptedInstances: [{ instanceId: INSTANCE, poolId: 'aws-g5-spot', at: T0.toISOString() }] }
      : {}),
  });
  if (s.recorded) {
    const n: PendingNotice = {
      key: 'evt-1',
      eventId: 'evt-1',
      at: T0.toISOString(),
      signal: notice,
      ...(s.recorded.by
        ? {
            handled: {
              by: s.recorded.by,
              at: T0.toISOString(),
              currentNodes: 2,
              targetNodes: 2,
              ...(s.recorded.refused
                ? { refused: [{ instanceId: INSTANCE, reason: 'the spot request is active' }] }
                : {}),
            },
          }
        : {}),
    };
    w.state.notices.set(FLEET, new Map([[n.key, n]]));
  }
  if (s.node) {
    w.cluster.addNode(s.node.name ?? NODE, INSTANCE);
    w.cluster.nodes[0]!.unschedulable = s.node.unschedulable;
  }
  if (s.audit)
    w.state.audit.push({
      fleetId: FLEET,
      at: DECISION.at,
      eventId: DECISION.eventId,
      trigger: { fn: 'spot-interruption', signal: 'interruption', source: 'aws.ec2' },
      dryRun: false,
      paused: false,
      outcome: { status: 'no-change', applied: structuredClone(s.audit), failed: [] },
    });
  return w;
}

const removals = (w: FakeWorld) => w.capacity.aws.callsOf('removeInstance');
const drains = (w: FakeWorld) => w.cluster.callsOf('drain');

describe('runDrainCommand', () => {
  const handed = [{ action: 'drain-handoff', poolId: 'aws-g5-spot' }];
  const cases: Array<{
    name: string;
    setup: Setup;
    command?: Partial<DrainCommandSignal>;
    status: 'drain' | 'rejected';
    outcome?: 'drained' | 'skipped';
    reason?: RegExp;
    drained: number;
    removed: number;
  }> = [
    {
      name: 'a planned drain: drained, then removed',
      setup: { recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handed },
      status: 'drain',
      outcome: 'drained',
      drained: 1,
      removed: 1,
    },
    {
      name: 'the node already gone: an empty drain, the instance still removed',
      setup: { recorded: { by: 'evt-1' }, audit: handed },
      status: 'drain',
      outcome: 'drained',
      drained: 1,
      removed: 1,
    },
    {
      name: 'no removal planned: drained only',
      setup: { recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handed },
      command: { removeReason: undefined },
      status: 'drain',
      outcome: 'drained',
      drained: 1,
      removed: 0,
    },
    {
      name: 'removed by an earlier delivery (the audit record says so): drained, not removed again',
      setup: {
        recorded: { by: 'evt-1' },
        node: { unschedulable: true },
        audit: [...handed, { poolId: 'aws-g5-spot', action: 'remove-instance', detail: INSTANCE }],
      },
      status: 'drain',
      outcome: 'drained',
      drained: 1,
      removed: 0,
    },
    {
      name: 'the node made schedulable again since the decision: skipped, nothing removed',
      setup: { recorded: { by: 'evt-1' }, node: { unschedulable: false }, audit: handed },
      status: 'drain',
      outcome: 'skipped',
      reason: /schedulable again/,
      drained: 0,
      removed: 0,
    },
    {
      name: "the instance is another node's now: skipped",
      setup: { recorded: { by: 'evt-1' }, node: { unschedulable: true, name: 'other-node' }, audit: handed },
      status: 'drain',
      outcome: 'skipped',
      reason: /now node other-node/,
      drained: 0,
      removed: 0,
    },
    {
      name: 'the notice refuted in the decision: rejected, nothing done',
      setup: { recorded: { by: 'evt-1', refused: true }, node: { unschedulable: true } },
      status: 'rejected',
      reason: /refuted/,
      drained: 0,
      removed: 0,
    },
    {
      name: 'no drain planned in the fleet state (a forged command): rejected',
      setup: { planned: false, node: { unschedulable: true } },
      status: 'rejected',
      reason: /no drain planned/,
      drained: 0,
      removed: 0,
    },
    {
      name: 'the notice handled by another decision: rejected',
      setup: { recorded: { by: 'evt-9' }, node: { unschedulable: true } },
      status: 'rejected',
      reason: /handled by the decision of evt-9/,
      drained: 0,
      removed: 0,
    },
    {
      name: 'the notice recorded, not yet handled: rejected',
      setup: { recorded: {}, node: { unschedulable: true } },
      status: 'rejected',
      reason: /no decision has handled it/,
      drained: 0,
      removed: 0,
    },
    {
      name: 'a fleet not configured: rejected',
      setup: { node: { unschedulable: true } },
      command: { fleetId: 'no-such-fleet' },
      status: 'rejected',
      reason: /not configured/,
      drained: 0,
      removed: 0,
    },
    {
      name: "a pool not the fleet's: rejected",
      setup: { node: { unschedulable: true } },
      command: { poolId: 'someone-elses-pool' },
      status: 'rejected',
      reason: /not a pool of fleet/,
      drained: 0,
      removed: 0,
    },
  ];
  it.each(cases)('$name', async (c) => {
    const w = world(c.setup);
    const r = await runDrainCommand(w.deps, command(c.command));
    expect(r.status).toBe(c.status);
    if (r.status === 'drain') {
      expect(r.outcome).toBe(c.outcome);
      if (c.reason) expect(r.skipped).toMatch(c.reason);
    } else {
      expect(r.reason).toMatch(c.reason!);
      // Kept with its reason, as a malformed event is.
      expect(w.state.rejected).toEqual([expect.objectContaining({ fn: 'drain', reason: r.reason })]);
    }
    expect(drains(w)).toHaveLength(c.drained);
    expect(removals(w)).toHaveLength(c.removed);
    // Evictions start at once on a node the decision cordoned.
    for (const o of w.cluster.drainOptions) expect(o).toEqual({ cordoned: true });
  });

  it("completes the decision's audit record with the drain and the removal", async () => {
    const w = world({ recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handed });
    await runDrainCommand(w.deps, command());
    expect(w.state.audit).toHaveLength(1);
    expect(w.state.audit[0]!.outcome.applied.map((a) => a.action)).toEqual([
      'drain-handoff',
      'drain',
      'remove-instance',
    ]);
    expect(w.state.audit[0]!.outcome.status).toBe('applied');
  });

  it("a removal that succeeded with a warning (the warm pool's floor not set back): removed, the warning in the audit record, the pool's configured warm.min given to the adapter", async () => {
    const w = world({ recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handed });
    const state = w.state.states.get(FLEET)!;
    state.interruptedInstances = [{ instanceId: INSTANCE, poolId: 'aws-g5-ondemand', at: T0.toISOString() }];
    const port = w.capacity.aws;
    const remove = port.removeInstance!;
    const given: Array<RemoveInstanceOptions | undefined> = [];
    (port as { removeInstance: CapacityPort['removeInstance'] }).removeInstance = async (ref, id, options) => {
      given.push(options);
      await remove(ref, id);
      const cause = new Error('PutWarmPool: transient');
      return {
        warning: new WarmFloorNotRestoredError({
          cloud: 'aws',
          resource: ref.resource,
          originalMinSize: 1,
          temporaryMinSize: 2,
          cause,
        }),
      };
    };
    const r = await runDrainCommand(w.deps, command({ poolId: 'aws-g5-ondemand' }));
    expect(r).toMatchObject({ removed: true });
    expect(given).toEqual([expect.objectContaining({ warmMin: 1 })]);
    const removal = w.state.audit[0]!.outcome.applied.find((a) => a.action === 'remove-instance');
    expect(removal?.detail).toMatchObject({
      instanceId: INSTANCE,
      warning: expect.stringMatching(/MinSize 2 instead of 1/),
    });
    expect(w.state.audit[0]!.outcome.failed).toEqual([]);
  });

  it('the same command delivered again after its amend (its idempotency record not completed): each entry once, and the local CLI reports the drain done', async () => {
    // The handoff as the decision records it: the command, its cluster and node.
    const handoff = [
      { ...handed[0]!, detail: { command: drainCommandId('evt-1', INSTANCE), cluster: 'gpu-demo', node: NODE } },
    ];
    const w = world({ recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handoff });
    const first = await runDrainCommand(w.deps, command());
    expect(first).toMatchObject({ status: 'drain', outcome: 'drained', removed: true });
    // The first delivery died after its amend: its claim not settled, its lease over (taken over).
    for (const c of w.state.drainClaims.values()) Object.assign(c, { done: false, until: 0 });
    const again = await runDrainCommand(w.deps, command());
    expect(again).toMatchObject({ status: 'drain', outcome: 'drained', removed: false });
    const record = w.state.audit[0]!;
    expect(record.outcome.applied.map((a) => a.action)).toEqual(['drain-handoff', 'drain', 'remove-instance']);
    expect(removals(w)).toHaveLength(1);
    // The local CLI's answer to an operator's drain: one drain per handoff, so done.
    const answered = await drainedBy({ deps: { store: w.state }, deadLetters: [] }, {
      status: 'ops',
      ok: true,
      message: 'drain handed to the drain function',
      audit: record,
    } as HandlerResult);
    expect(answered).toMatchObject({ ok: true, message: expect.stringContaining('drained by the drain function') });
  });

  it("two drains of one decision at once: the decision's audit record keeps both", async () => {
    const other = 'i-0b1b2c3d4e5f60718';
    const w = world({ recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: [...handed, ...handed] });
    const state = w.state.states.get(FLEET)!;
    w.state.states.set(FLEET, {
      ...state,
      interruptedInstances: [
        ...state.interruptedInstances!,
        { instanceId: other, poolId: 'aws-g5-spot', at: T0.toISOString() },
      ],
    });
    w.state.notices.get(FLEET)!.get('evt-1')!.signal = { ...notice, instanceIds: [INSTANCE, other] };
    w.cluster.addNode('ip-10-0-1-18.ec2.internal', other);
    w.cluster.nodes[1]!.unschedulable = true;
    // Drains only (no removal): neither waits for the lease, both complete the record at once.
    await Promise.all([
      runDrainCommand(w.deps, command({ removeReason: undefined })),
      runDrainCommand(
        w.deps,
        command({
          eventId: drainCommandId('evt-1', other),
          instanceId: other,
          node: 'ip-10-0-1-18.ec2.internal',
          removeReason: undefined,
        }),
      ),
    ]);
    expect(drains(w)).toHaveLength(2);
    expect(w.state.audit).toHaveLength(1);
    const applied = w.state.audit[0]!.outcome.applied;
    expect(
      applied
        .filter((a) => a.action === 'drain')
        .map((a) => (a.detail as { node: string }).node)
        .sort(),
    ).toEqual([NODE, 'ip-10-0-1-18.ec2.internal'].sort());
  });

  it('the removal under the lease: a lease another holds past the wait is a retryable error, nothing removed', async () => {
    const w = world({ recorded: { by: 'evt-1' }, node: { unschedulable: true }, audit: handed });
    w.state.states.set(FLEET, {
      ...w.state.states.get(FLEET)!,
      leaseOwner: 'someone',
      leaseUntil: T0.getTime() + 60_000,
    });
    await expect(runDrainCommand(w.deps, command())).rejects.toThrow(/retry/);
    expect(removals(w)).toHaveLength(0);
    expect(w.state.audit[0]!.outcome.failed.map((f) => f.action)).toEqual([`remove-instance ${INSTANCE}`]);
  });
});

describe('drainCommands', () => {
  const drain = (instanceId: string | undefined, poolId: string | undefined) => ({
    action: {
      type: 'cordon-drain' as const,
      ...(instanceId ? { instanceId } : {}),
      ...(poolId ? { poolId } : {}),
      deadline: notice.deadline!,
      startBy: new Date(T0.getTime() + 80_000).toISOString(),
      reason: 'spot warning',
    },
    cluster: 'gpu-demo',
    node: NODE,
    removals: instanceId && poolId ? [{ type: 'remove-instance' as const, poolId, instanceId, reason: 'drained' }] : [],
  });
  const cases = [
    {
      name: "a notice's drain: one command naming its notice and the decision",
      handed: [drain(INSTANCE, 'aws-g5-spot')],
      signals: [notice],
      ids: [`evt-1#drain#${INSTANCE}`],
      noticeEventId: 'evt-1',
    },
    {
      name: "a batched notice's instance: the command names that notice",
      handed: [drain('i-0b1b2c3d4e5f60718', 'aws-g5-spot')],
      signals: [notice, { ...notice, eventId: 'evt-2', instanceIds: ['i-0b1b2c3d4e5f60718'] }],
      ids: ['evt-1#drain#i-0b1b2c3d4e5f60718'],
      noticeEventId: 'evt-2',
    },
    {
      name: "an operator's drain (a node, no instance or pool): one command naming the node, checked by the audit",
      handed: [drain(undefined, undefined)],
      signals: [],
      ids: [`evt-1#drain#${NODE}`],
      checkedBy: 'audit',
    },
  ];
  it.each(cases)('$name', ({ handed, signals, ids, noticeEventId, checkedBy }) => {
    const out = drainCommands(
      { fn: 'spot-interruption', fleetId: FLEET, eventId: 'evt-1' },
      T0.toISOString(),
      handed,
      signals,
    );
    expect(out.map((c) => c.commandId)).toEqual(ids);
    for (const c of out) {
      expect(c.event).toMatchObject({ source: 'autoscaler.drain', detailType: 'Drain Requested' });
      expect(c.checkedBy).toBe(checkedBy ?? 'state');
      if (checkedBy === 'audit') {
        // The node only: no instance, pool, notice or removal.
        expect(c.event.detail).toMatchObject({ node: NODE, cluster: 'gpu-demo', decision: { eventId: 'evt-1' } });
        for (const k of ['instanceId', 'poolId', 'noticeEventId', 'removeReason'])
          expect(c.event.detail).not.toHaveProperty(k);
      } else
        expect(c.event.detail).toMatchObject({
          noticeEventId,
          decision: { eventId: 'evt-1' },
          removeReason: 'drained',
        });
    }
  });

  it('bounds a long command id', () => {
    const id = drainCommandId('e'.repeat(400), INSTANCE);
    expect(id.length).toBeLessThanOrEqual(256);
    expect(drainCommandId('e'.repeat(400), 'i-0b')).not.toBe(id);
  });
});
