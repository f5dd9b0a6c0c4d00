/**
 * A decision's audit record is written in order, each write from a value of its own: no write starts while
 * another of the record is in flight, and no object handed to a write is changed afterwards (the SDK
 * serializes it after the call returns, and a write in flight would carry whatever it was changed to). The
 * writes are held in flight a moment here, and each record compared with what it was when handed over.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { drainCommandId } from '../../shared/app/handoff.ts';
import { alarm } from '../../shared/app/triggers/alarm.ts';
import { spotInterruption } from '../../shared/app/triggers/spot-interruption.ts';
import { demandQuery, metricQuery } from '../../shared/app/inputs.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import { metricsQueryText } from '../../shared/domain/ports.ts';
import type { Signal } from '../../shared/domain/signals.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { spotWarningSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
const FLEET = 'llm-demo';
let resolved: ResolvedConfig;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

interface Write {
  method: 'putAudit' | 'amendAudit';
  /** The object handed to the write, and what it was then. */
  given: unknown;
  handed: unknown;
  /** What it was when the write went out (after its time in flight). */
  sent?: unknown;
}

/** Each audit write held in flight for a moment, the object it was given kept with a copy of it. */
function watchAuditWrites(w: FakeWorld): { writes: Write[]; overlapped: () => boolean } {
  const writes: Write[] = [];
  let inFlight = 0;
  let overlapped = false;
  const held = async <T>(write: Write, run: () => Promise<T>): Promise<T> => {
    writes.push(write);
    if (inFlight++ > 0) overlapped = true;
    try {
      await new Promise((r) => setTimeout(r, 5));
      write.sent = structuredClone(write.given);
      return await run();
    } finally {
      inFlight--;
    }
  };
  const put = w.state.putAudit.bind(w.state);
  const amend = w.state.amendAudit.bind(w.state);
  w.state.putAudit = (record, key) =>
    held({ method: 'putAudit', given: record, handed: structuredClone(record) }, () => put(record, key));
  w.state.amendAudit = (fleetId, key, change) =>
    held({ method: 'amendAudit', given: change, handed: structuredClone(change) }, () => amend(fleetId, key, change));
  return { writes, overlapped: () => overlapped };
}

const notice: Signal = spotWarningSignal(T0);

const isCommand = (e: { source: string }) => e.source === DRAIN_SOURCE;

function spotWorld(): FakeWorld {
  const w = fakeDeps(resolved, T0);
  w.set('aws-g5-ondemand', { desired: 2 });
  w.set('aws-g5-spot', {
    desired: 2,
    instances: [
      { id: 'i-1', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1a', nodeName: 'node-1' },
      { id: 'i-2', capacityType: 'spot', lifecycle: 'ready', zone: 'us-east-1b', nodeName: 'node-2' },
    ],
  });
  w.cluster.addNode('node-1', 'i-1');
  return w;
}

describe("a decision's audit record: ordered writes of values never changed after", () => {
  const cases: Array<{
    name: string;
    world: () => FakeWorld;
    run: (w: FakeWorld) => Promise<unknown>;
    /** The record's writes, in order. */
    writes: Array<Write['method']>;
    /** The record as it ends (the fake store's copy). */
    actions: string[];
  }> = [
    {
      name: 'an alarm (the common path): one write',
      world: () => {
        const w = fakeDeps(resolved, T0);
        w.set('aws-g5-ondemand', { desired: 2 });
        const fleet = resolved.fleets[0]!;
        w.metrics.values.set(metricsQueryText(demandQuery(fleet)), 200);
        w.metrics.values.set(metricsQueryText(metricQuery(FLEET, 'gpu_utilization')), 140);
        return w;
      },
      run: (w) =>
        alarm.run(
          {
            type: 'metric-alarm',
            eventId: 'alarm-1',
            source: 'aws.cloudwatch',
            time: T0.toISOString(),
            cloud: 'aws',
            alarmName: 'llm-demo-gpu-utilization-high',
            state: 'ALARM',
            alarmKind: 'metric',
            dimensions: {},
          },
          w.deps,
        ),
      writes: ['putAudit'],
      actions: [],
    },
    {
      name: 'a notice drained by the deciding invocation (no drain function): written, then written whole with the drain',
      world: () => {
        const w = spotWorld();
        // The drain outlives the lease: the record is completed after it.
        w.cluster.drainGate = new Promise((r) => setTimeout(r, 50));
        return w;
      },
      run: (w) => spotInterruption.run(notice, w.deps),
      writes: ['putAudit', 'putAudit'],
      actions: ['cordon-drain', 'drain', 'remove-instance'],
    },
    {
      name: 'every drain command refused by the bus: the refusal appended at once, then the drain',
      world: () => {
        const w = spotWorld();
        w.deps.drainStep = true;
        w.events.refuse = isCommand;
        return w;
      },
      run: (w) => spotInterruption.run(notice, w.deps),
      writes: ['putAudit', 'amendAudit', 'amendAudit'],
      actions: ['cordon-drain', 'drain-handoff', 'drain-handoff-refused', 'drain', 'remove-instance'],
    },
    {
      name: "a drain command's publish unanswered: its claim taken and said so at once, then the drain",
      world: () => {
        const w = spotWorld();
        w.deps.drainStep = true;
        w.events.answerLost = (e) => (isCommand(e) ? 'not-taken' : undefined);
        return w;
      },
      run: (w) => spotInterruption.run(notice, w.deps),
      writes: ['putAudit', 'amendAudit', 'amendAudit'],
      actions: ['cordon-drain', 'drain-handoff', 'drain-handoff-unknown', 'drain', 'remove-instance'],
    },
    {
      name: 'a drain command on the bus: handed off, one write',
      world: () => {
        const w = spotWorld();
        w.deps.drainStep = true;
        return w;
      },
      run: (w) => spotInterruption.run(notice, w.deps),
      writes: ['putAudit'],
      actions: ['cordon-drain', 'drain-handoff'],
    },
  ];

  it.each(cases)('$name', async (c) => {
    const w = c.world();
    const watched = watchAuditWrites(w);
    await c.run(w);
    expect(watched.writes.map((x) => x.method)).toEqual(c.writes);
    expect(watched.overlapped()).toBe(false);
    for (const [i, x] of watched.writes.entries()) {
      // Unchanged while in flight, and after.
      expect(x.sent, `write ${i} (${x.method}) in flight`).toEqual(x.handed);
      expect(x.given, `write ${i} (${x.method}) after it`).toEqual(x.handed);
    }
    const record = w.state.audit.find((a) => a.fleetId === FLEET)!;
    expect(record.outcome.applied.map((a) => a.action).filter((a) => c.actions.includes(a))).toEqual(c.actions);
    if (c.actions.includes('drain-handoff'))
      expect(record.outcome.applied.find((a) => a.action === 'drain-handoff')?.detail).toMatchObject({
        command: drainCommandId('spot-1', 'i-1'),
      });
  });
});
