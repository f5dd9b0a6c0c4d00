/**
 * An operator's drain of a node whose cluster several fleets share is audited under each of them (ops.ts); the
 * drain function completes the deciding fleet's record, and each copy is written again from it, so that every
 * fleet's record says how the drain ended (drain-step.ts `mirrorToSharingFleets`). Over fakes.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDrainCommand } from '../../shared/app/drain-step.ts';
import { runOperatorCommand } from '../../shared/app/ops.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import type { DrainCommandSignal, OperatorCommandSignal } from '../../shared/domain/signals.ts';
import { fakeDeps } from '../support/fakes.ts';
import { opDrainSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
let resolved: ResolvedConfig;

beforeAll(async () => {
  const demo = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
  // A second fleet whose nodes join the same cluster (another model served on the same nodes' cluster).
  resolved = { ...demo, fleets: [...demo.fleets, { ...demo.fleets[0]!, id: 'llm-other' }] };
});

const drainNode: OperatorCommandSignal = opDrainSignal(T0, { eventId: 'op-drain-shared' });

const actions = (r: { outcome: { applied: Array<{ action: string }> } } | undefined) =>
  (r?.outcome.applied ?? []).map((a) => a.action).sort();

describe("an operator's drain audited under every fleet of the node's cluster", () => {
  it.each([
    { name: 'the drain function drains it: every copy says so', fail: false },
    { name: 'the drain fails: every copy says so', fail: true },
  ])('$name', async ({ fail }) => {
    const w = fakeDeps(resolved, T0);
    w.set('aws-g5-ondemand', { desired: 2 });
    w.deps.drainStep = true;
    w.cluster.addNode('node-a', 'i-0abc');
    if (fail)
      w.cluster.drain = async () => {
        throw new Error('pods would not leave');
      };

    const r = await runOperatorCommand(w.deps, drainNode);
    expect(r.ok).toBe(true);
    const decided = (r as { audit?: { fleetId: string; at: string; eventId: string } }).audit!;
    const other = resolved.fleets.map((f) => f.id).find((id) => id !== decided.fleetId)!;
    const before = await w.state.findAudit(other, decided.at, decided.eventId);
    // The copy, as ops wrote it: handed off, not drained yet.
    expect(actions(before?.record)).toEqual(
      actions(await w.state.findAudit(decided.fleetId, decided.at, decided.eventId).then((x) => x?.record)),
    );

    for (const e of w.events.published.filter((x) => x.source === DRAIN_SOURCE)) {
      const { commandId, ...rest } = e.detail as Omit<DrainCommandSignal, 'type' | 'eventId' | 'source' | 'time'> & {
        commandId: string;
      };
      const step = await runDrainCommand(w.deps, {
        type: 'drain-command',
        eventId: commandId,
        source: e.source,
        time: T0.toISOString(),
        ...rest,
      });
      expect(step.status).toBe('drain');
    }
    const own = await w.state.findAudit(decided.fleetId, decided.at, decided.eventId);
    const copy = await w.state.findAudit(other, decided.at, decided.eventId);
    // The drain function added its entries to the deciding fleet's record, and the copy has them too.
    if (fail) expect(own?.record.outcome.failed.length).toBeGreaterThan(before?.record.outcome.failed.length ?? 0);
    else expect(actions(own?.record).length).toBeGreaterThan(actions(before?.record).length);
    expect(copy?.key).toBe(before?.key);
    expect(copy?.record.fleetId).toBe(other);
    expect(actions(copy?.record)).toEqual(actions(own?.record));
    expect(copy?.record.outcome.failed).toEqual(own?.record.outcome.failed);
  });
});
