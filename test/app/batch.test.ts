/**
 * A fleet's notices decided together (shared/app/batch.ts), over fakes: notices that arrive while the fleet's
 * lease is held are recorded with its state; the invocation that takes the lease decides them all in one plan;
 * the others return that decision, each with its own audit record; redeliveries act on nothing again.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { demandQuery, metricQuery } from '../../shared/app/inputs.ts';
import { spotInterruption } from '../../shared/app/triggers/spot-interruption.ts';
import type { TriggerResult } from '../../shared/app/triggers/trigger.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { metricsQueryText } from '../../shared/domain/ports.ts';
import type { InterruptionSignal } from '../../shared/domain/signals.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { spotWarningSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
const FLEET = 'llm-demo';
const IDS = ['i-1', 'i-2', 'i-3', 'i-4'];
let resolved: ResolvedConfig;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

/** Four spot nodes, each confirmed by the cloud as marked for interruption unless `refuted` names it. */
function world(refuted: string[] = []): FakeWorld {
  const w = fakeDeps(resolved, T0);
  w.deps.leaseWaitMs = 5_000;
  w.set('aws-g5-ondemand', { desired: 2 });
  w.set('aws-p5-capacity-block', { desired: 0 });
  w.set('azure-a100-spot', { desired: 0 });
  w.set('gcp-l4', { desired: 0 });
  w.set('aws-g5-spot', {
    desired: IDS.length,
    instances: IDS.map((id, n) => ({
      id,
      capacityType: 'spot' as const,
      lifecycle: 'ready' as const,
      zone: 'us-east-1a',
      nodeName: `node-${n + 1}`,
    })),
  });
  for (const [n, id] of IDS.entries()) {
    w.cluster.addNode(`node-${n + 1}`, id);
    w.capacity.aws.statuses.set(id, { id, found: true, spot: true, marked: !refuted.includes(id), state: 'running' });
  }
  w.metrics.values.set(metricsQueryText(demandQuery(resolved.fleets[0]!)), 20);
  w.metrics.values.set(metricsQueryText(metricQuery(FLEET, 'gpu_utilization')), 30);
  return w;
}

const warning = (id: string): InterruptionSignal => spotWarningSignal(T0, { eventId: `spot-${id}`, instanceIds: [id] });

/** Runs the notices of `ids` while another invocation holds the lease; frees it once all are recorded. */
async function burst(w: FakeWorld, ids: string[]): Promise<TriggerResult[]> {
  await w.state.acquireLease(FLEET, 'someone', T0, 150_000, 'other-event');
  const runs = ids.map((id) => spotInterruption.run(warning(id), w.deps));
  await vi.waitFor(() => expect(w.state.calls.filter((c) => c.method === 'enlist')).toHaveLength(ids.length));
  await w.state.releaseLease(FLEET, 'someone');
  return Promise.all(runs);
}

type Decided = Extract<TriggerResult, { status: 'decided' | 'partial' }>;
const decisionOf = (r: TriggerResult) => (r as Decided).decisions[0]!;

describe('notices that arrive together are decided together', () => {
  it('three notices while the fleet is busy: one decision for all three, the others return it', async () => {
    const w = world();
    const results = await burst(w, ['i-1', 'i-2', 'i-3']);
    const statuses = results.map((r) => decisionOf(r).status);
    // One invocation decided (its plan cordons, drains and removes all three); two were batched into it.
    expect(statuses.filter((s) => s === 'batched')).toHaveLength(2);
    const decider = results.find((r) => decisionOf(r).status !== 'batched')!;
    const by = w.state.audit.find((a) => a.outcome.status !== 'batched')!;
    expect(by.notices?.sort()).toEqual(['spot-i-1', 'spot-i-2', 'spot-i-3'].filter((e) => e !== by.eventId).sort());
    expect(decider).toMatchObject({ status: 'decided' });
    for (const r of results.filter((x) => x !== decider))
      expect(decisionOf(r).handledBy).toEqual({ eventId: by.eventId, at: by.at });
    const drains = by.plan!.actions.filter((a) => a.type === 'cordon-drain').map((a) => a.instanceId);
    expect(drains.sort()).toEqual(['i-1', 'i-2', 'i-3']);
    expect(
      w.capacity.aws
        .callsOf('removeInstance')
        .map(([, id]) => id)
        .sort(),
    ).toEqual(['i-1', 'i-2', 'i-3']);
    // One decision's save (and the lease taken once for it); every notice audited on its own.
    expect(w.state.calls.filter((c) => c.method === 'saveState')).toHaveLength(1);
    expect(w.state.audit.map((a) => a.eventId).sort()).toEqual(['spot-i-1', 'spot-i-2', 'spot-i-3']);
    for (const a of w.state.audit.filter((x) => x.outcome.status === 'batched')) {
      expect(a.handledBy).toEqual({ eventId: by.eventId, at: by.at });
      // Each notice's own node was cordoned by its own invocation, ahead of any decision.
      expect(a.outcome.applied.map((x) => x.action)).toEqual(['cordon']);
    }
    // Every node cordoned ahead, each once more by the plan for the notices its invocation did not receive.
    expect(new Set(w.cluster.callsOf('cordon').map(([n]) => n))).toEqual(new Set(['node-1', 'node-2', 'node-3']));
  });

  it('redeliveries of a batched notice and of the deciding one act on nothing again', async () => {
    const w = world();
    await burst(w, ['i-1', 'i-2']);
    const removed = w.capacity.aws.callsOf('removeInstance').length;
    const writes = () => w.capacity.aws.callsOf('setDesired').length + w.capacity.aws.callsOf('removeInstance').length;
    const before = writes();
    // One after the other, as the idempotency layer lets them through (two copies of one event never run at once).
    const again: TriggerResult[] = [];
    for (const id of ['i-1', 'i-2', 'i-1', 'i-2']) again.push(await spotInterruption.run(warning(id), w.deps));
    expect(writes()).toBe(before);
    expect(w.capacity.aws.callsOf('removeInstance')).toHaveLength(removed);
    expect(w.cluster.callsOf('drain')).toHaveLength(2);
    for (const r of again) expect(['batched', 'no-change']).toContain(decisionOf(r).status);
  });

  it('a notice the cloud refutes in the batch: its own invocation uncordons the node it cordoned', async () => {
    const w = world(['i-2']);
    const results = await burst(w, ['i-1', 'i-2']);
    expect(w.cluster.callsOf('uncordon')).toEqual([['node-2']]);
    expect(w.cluster.nodes.find((n) => n.name === 'node-2')!.unschedulable).toBe(false);
    expect(w.cluster.callsOf('drain').map(([n]) => n)).toEqual(['node-1']);
    expect(w.capacity.aws.callsOf('removeInstance').map(([, id]) => id)).toEqual(['i-1']);
    const i2 = w.state.audit.find((a) => a.eventId === 'spot-i-2')!;
    expect(i2.outcome.applied.map((a) => a.action)).toEqual(expect.arrayContaining(['cordon', 'uncordon']));
    expect(results).toHaveLength(2);
  });

  it('a notice alone decides at once, with the lease taken in the request that records it', async () => {
    const w = world();
    await spotInterruption.run(warning('i-4'), w.deps);
    // The decision's own requests: the cordon ahead of it reads the fleet's pause from the notice's enlistment.
    expect(w.state.calls.map((c) => c.method)).toEqual(['enlist', 'saveState', 'putAudit']);
    expect([...(w.state.notices.get(FLEET)?.values() ?? [])]).toEqual([
      expect.objectContaining({ eventId: 'spot-i-4', handled: expect.objectContaining({ by: 'spot-i-4' }) }),
    ]);
  });
});
