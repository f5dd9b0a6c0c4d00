/**
 * Cordon first (shared/app/cordon-first.ts) and the notice check alongside the observation (shared/app/notices.ts),
 * over fakes: the node of a reclaim notice is cordoned alongside the lease, only on a plausible notice that names
 * a node of the fleet's cluster; a notice the cloud refutes has its node uncordoned, and the audit says so.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cordonEarly, cordonsFirst, earlyRecorded } from '../../shared/app/cordon-first.ts';
import { FleetReads } from '../../shared/app/fleet-reads.ts';
import { demandQuery, metricQuery } from '../../shared/app/inputs.ts';
import { spotInterruption } from '../../shared/app/triggers/spot-interruption.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { metricsQueryText } from '../../shared/domain/ports.ts';
import type { InterruptionSignal } from '../../shared/domain/signals.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { spotWarningSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
const FLEET = 'llm-demo';
let resolved: ResolvedConfig;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

/** The demo fleet over fakes, two spot nodes (i-1 on node-1, i-2 on node-2), a quiet demand. */
function world(): FakeWorld {
  const w = fakeDeps(resolved, T0);
  w.set('aws-g5-ondemand', { desired: 2 });
  w.set('aws-p5-capacity-block', { desired: 0 });
  w.set('azure-a100-spot', { desired: 0 });
  w.set('gcp-l4', { desired: 0 });
  w.set('aws-g5-spot', {
    desired: 2,
    instances: [
      { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a', nodeName: 'node-1' },
      { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b', nodeName: 'node-2' },
    ],
  });
  w.cluster.addNode('node-1', 'i-1');
  w.cluster.addNode('node-2', 'i-2');
  const fleet = resolved.fleets[0]!;
  w.metrics.values.set(metricsQueryText(demandQuery(fleet)), 20);
  w.metrics.values.set(metricsQueryText(metricQuery(FLEET, 'gpu_utilization')), 30);
  return w;
}

const warning = (over: Partial<InterruptionSignal> = {}): InterruptionSignal => spotWarningSignal(T0, over);

describe('which notices cordon first', () => {
  const cases: Array<{ name: string; notice: InterruptionSignal; cordons: string[] }> = [
    { name: 'an EC2 spot warning for a node of the cluster', notice: warning(), cordons: ['node-1'] },
    {
      name: 'a preemption naming two nodes',
      notice: warning({ kind: 'preempt', instanceIds: ['i-1', 'i-2'] }),
      cordons: ['node-1', 'node-2'],
    },
    {
      name: 'a rebalance recommendation: the engine may keep the node',
      notice: warning({ kind: 'rebalance' }),
      cordons: [],
    },
    { name: 'maintenance: the node comes back', notice: warning({ kind: 'maintenance' }), cordons: [] },
    {
      name: 'a notice dated 1970',
      notice: warning({ time: '1970-01-01T00:00:00Z', deadline: '1970-01-01T00:02:00Z' }),
      cordons: [],
    },
    { name: 'a deadline in 9999', notice: warning({ deadline: '9999-12-31T23:59:59Z' }), cordons: [] },
    {
      name: 'an instance no node of the cluster is (`__proto__`)',
      notice: warning({ instanceIds: ['__proto__', 'i-9'] }),
      cordons: [],
    },
  ];
  it.each(cases)('$name', async ({ notice, cordons }) => {
    const w = world();
    const early = await cordonEarly(notice, resolved.fleets, w.deps);
    expect(
      w.cluster
        .callsOf('cordon')
        .map(([n]) => n)
        .sort(),
    ).toEqual(cordons);
    expect(
      early
        .filter((e) => e.cordoned)
        .map((e) => e.node)
        .sort(),
    ).toEqual(cordons);
    expect(cordonsFirst(notice, T0.getTime())).toBe(
      notice.kind !== 'rebalance' &&
        notice.kind !== 'maintenance' &&
        !notice.time.startsWith('1970') &&
        !notice.deadline?.startsWith('9999'),
    );
  });

  it("resolves once the node is unschedulable; the cordon's Event is waited for apart, before the invocation ends", async () => {
    const w = world();
    let record: () => void = () => {};
    const eventWritten = new Promise<void>((r) => {
      record = r;
    });
    // A cluster whose Event write is slow: the node is unschedulable at once, the Event comes later.
    w.cluster.cordon = async (node: string, _why?: string, options?: { onCordoned?: () => void }) => {
      const n = w.cluster.nodes.find((x) => x.name === node)!;
      n.unschedulable = true;
      options?.onCordoned?.();
      await eventWritten;
    };
    const early = await cordonEarly(warning(), resolved.fleets, w.deps);
    expect(early).toMatchObject([{ node: 'node-1', cordoned: true }]);
    let recorded = false;
    const all = earlyRecorded(Promise.resolve(early)).then(() => {
      recorded = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(recorded).toBe(false);
    record();
    await all;
    expect(recorded).toBe(true);
  });

  it('a node already unschedulable is not cordoned again, and is not counted as cordoned here', async () => {
    const w = world();
    w.cluster.nodes[0]!.unschedulable = true;
    const early = await cordonEarly(warning(), resolved.fleets, w.deps);
    expect(w.cluster.callsOf('cordon')).toEqual([]);
    expect(early).toEqual([expect.objectContaining({ node: 'node-1', cordoned: false })]);
  });

  it('a cluster that cannot be listed cordons nothing and throws nothing (the plan cordons)', async () => {
    const w = world();
    w.cluster.nextError = new Error('apiserver down');
    expect(await cordonEarly(warning(), resolved.fleets, w.deps)).toEqual([]);
  });
});

describe('a spot warning through the trigger', () => {
  it("reads the fleets' pauses from their notices' enlistments when given them: no read of its own", async () => {
    const w = world();
    const paused = {
      ...(await w.state.getState(FLEET)),
      paused: { by: 'ops', reason: 'rollout', until: '2026-03-02T16:00:00Z' },
    };
    w.state.calls.length = 0;
    const reads = new FleetReads([FLEET]);
    const early = cordonEarly(warning(), resolved.fleets, w.deps, reads);
    reads.settle(FLEET, paused);
    expect(await early).toEqual([]);
    expect(w.cluster.callsOf('cordon')).toEqual([]);
    expect(w.state.calls).toEqual([]);
    // Not paused: cordoned, still without a read.
    const w2 = world();
    const free = new FleetReads([FLEET]);
    const early2 = cordonEarly(warning(), resolved.fleets, w2.deps, free);
    free.settle(FLEET, await w2.state.getState(FLEET));
    w2.state.calls.length = 0;
    expect((await early2).map((e) => [e.node, e.cordoned])).toEqual([['node-1', true]]);
    expect(w2.state.calls).toEqual([]);
  });

  it('a fleet whose enlistment read nothing leaves its cluster to the decision; the first settle wins', async () => {
    const w = world();
    const reads = new FleetReads([FLEET]);
    reads.settle(FLEET);
    reads.settle(FLEET, await w.state.getState(FLEET));
    expect(await reads.stateOf(FLEET)).toBeUndefined();
    expect(await reads.stateOf('another-fleet')).toBeUndefined();
    expect(await cordonEarly(warning(), resolved.fleets, w.deps, reads)).toEqual([]);
    expect(w.cluster.callsOf('cordon')).toEqual([]);
  });

  it('a failed enlistment does not hold the cordon back: the invocation ends with the error', async () => {
    const w = world();
    w.state.nextError = new Error('ProvisionedThroughputExceededException');
    await expect(spotInterruption.run(warning(), w.deps)).rejects.toThrow(/ProvisionedThroughput/);
    // Its state not read, the fleet's cluster is left to the decision the retry makes.
    expect(w.cluster.callsOf('cordon')).toEqual([]);
  });

  it('cordons alongside the lease: with the fleet busy, the node is cordoned anyway and the event retried', async () => {
    const w = world();
    await w.state.acquireLease(FLEET, 'someone', T0, 150_000, 'other-event');
    await expect(spotInterruption.run(warning(), w.deps)).rejects.toThrow(/another invocation/);
    expect(w.cluster.callsOf('cordon')).toEqual([['node-1']]);
    expect(w.cluster.nodes[0]!.unschedulable).toBe(true);
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([]);
  });

  it('a confirmed notice: the plan does not cordon again, the drain evicts at once, the audit says the cordon came first', async () => {
    const w = world();
    w.capacity.aws.statuses.set('i-1', { id: 'i-1', found: true, spot: true, marked: true, state: 'running' });
    await spotInterruption.run(warning(), w.deps);
    expect(w.cluster.callsOf('cordon')).toEqual([['node-1']]);
    expect(w.cluster.callsOf('drain')).toEqual([['node-1']]);
    expect(w.cluster.drainOptions).toEqual([{ cordoned: true }]);
    expect(w.capacity.aws.callsOf('removeInstance')).toEqual([['aws-g5-spot', 'i-1']]);
    const applied = w.state.audit[0]!.outcome.applied;
    expect(applied[0]).toMatchObject({
      poolId: 'aws-g5-spot',
      action: 'cordon',
      detail: { node: 'node-1', before: 'the lease' },
    });
    expect(applied.find((a) => a.action === 'cordon-drain')?.detail).toMatchObject({ cordoned: 'before the lease' });
  });

  it('the notice check starts with the observation, not after it', async () => {
    const w = world();
    w.capacity.aws.statuses.set('i-1', { id: 'i-1', found: true, spot: true, marked: true, state: 'running' });
    await spotInterruption.run(warning(), w.deps);
    const methods = w.capacity.aws.calls.map((c) => c.method);
    // One read, of the one spot pool of the notice's cloud and region, before any pool is described.
    expect(w.capacity.aws.callsOf('instanceStatus')).toEqual([['aws-g5-spot', ['i-1']]]);
    expect(methods.indexOf('instanceStatus')).toBeLessThan(methods.indexOf('describePool'));
  });

  const refuted: Array<{ name: string; status: Parameters<FakeWorld['capacity']['aws']['statuses']['set']>[1] }> = [
    {
      name: 'the spot request is not marked for termination',
      status: { id: 'i-1', found: true, spot: true, marked: false, state: 'running', detail: 'fulfilled' },
    },
    { name: 'the instance is on-demand', status: { id: 'i-1', found: true, spot: false, state: 'running' } },
  ];
  it.each(refuted)(
    'refuted ($name): the node is uncordoned, nothing drained or removed, the audit says why',
    async ({ status }) => {
      const w = world();
      w.capacity.aws.statuses.set('i-1', status);
      await spotInterruption.run(warning(), w.deps);
      expect(w.cluster.callsOf('cordon')).toEqual([['node-1']]);
      expect(w.cluster.callsOf('uncordon')).toEqual([['node-1']]);
      expect(w.cluster.nodes[0]!.unschedulable).toBe(false);
      expect(w.cluster.callsOf('drain')).toEqual([]);
      expect(w.capacity.aws.callsOf('removeInstance')).toEqual([]);
      const audit = w.state.audit[0]!;
      expect(audit.outcome.applied.map((a) => a.action)).toEqual(expect.arrayContaining(['cordon', 'uncordon']));
      expect(audit.notes?.some((n) => /node-1 uncordoned: the notice for i-1 was refuted/.test(n))).toBe(true);
    },
  );

  it('refuted, on a node someone else had cordoned: it stays cordoned', async () => {
    const w = world();
    w.cluster.nodes[0]!.unschedulable = true;
    w.capacity.aws.statuses.set('i-1', { id: 'i-1', found: true, spot: true, marked: false, state: 'running' });
    await spotInterruption.run(warning(), w.deps);
    expect(w.cluster.callsOf('uncordon')).toEqual([]);
    expect(w.cluster.nodes[0]!.unschedulable).toBe(true);
  });
});
