/**
 * What an operator's drain answers, over fakes: the ops function's message and the local CLI's (`drainedBy`,
 * from the decision's audit record as every path completed it) say who drained the node, per what became of
 * its `Drain Requested` command: handed to the drain function (pending on the bus, or drained there), drained
 * by the ops function itself after the bus refused it or did not answer, left to the bus's delivery, or failed,
 * each with its reason.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { drainedBy } from '../../local/cli/commands/ops.ts';
import { runDrainCommand } from '../../shared/app/drain-step.ts';
import { drainFates } from '../../shared/app/drain-fate.ts';
import { runOperatorCommand } from '../../shared/app/ops.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { DRAIN_SOURCE } from '../../shared/domain/drain-command.ts';
import type { DrainCommandSignal, OperatorCommandSignal } from '../../shared/domain/signals.ts';
import type { HandlerResult } from '../../shared/runtime/handler.ts';
import { StaleStateError } from '../../shared/state/records.ts';
import { type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { opDrainSignal } from '../support/signals.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
const FLEET = 'llm-demo';
let resolved: ResolvedConfig;

beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

const drainNode: OperatorCommandSignal = opDrainSignal(T0, { fleetId: FLEET });

const isCommand = (e: { source: string }) => e.source === DRAIN_SOURCE;

interface Case {
  name: string;
  /** What the bus and the state table do with the command. */
  arrange: (w: FakeWorld) => void;
  /** The drain function runs the commands the bus took, after the ops function answered. */
  deliver?: boolean;
  ops: { ok: boolean; message: RegExp; notMessage?: RegExp };
  /** The local CLI's answer, from the record completed by every path. */
  cli: { ok: boolean; message: RegExp };
  /** The node's drains that completed, by whoever made them. */
  drains: number;
}

const cases: Case[] = [
  {
    name: 'taken by the bus, not delivered yet: handed off, pending on the bus',
    arrange: () => {},
    ops: {
      ok: true,
      message:
        /^cordoned node-a in gpu-demo; handed to the drain function \(command .+\); its drain is pending on the bus/,
    },
    cli: { ok: true, message: /handed to the drain function .*; its drain is pending on the bus/ },
    drains: 0,
  },
  {
    name: 'taken by the bus and drained by the drain function',
    arrange: () => {},
    deliver: true,
    ops: { ok: true, message: /handed to the drain function .*; its drain is pending on the bus/ },
    cli: {
      ok: true,
      message: /^cordoned node-a in gpu-demo; handed to the drain function .*; drained by the drain function$/,
    },
    drains: 1,
  },
  {
    name: 'refused by the bus: drained by the ops function itself, with the refusal',
    arrange: (w) => {
      w.events.refuse = isCommand;
    },
    ops: {
      ok: true,
      message:
        /^cordoned node-a in gpu-demo; drained by the ops function itself: the bus refused its handoff: .*InternalFailure/,
      notMessage: /handed to the drain function/,
    },
    cli: { ok: true, message: /drained by the ops function itself: the bus refused its handoff/ },
    drains: 1,
  },
  {
    name: 'no answer, not on the bus: the ops function takes its claim and drains it itself',
    arrange: (w) => {
      w.events.answerLost = (e) => (isCommand(e) ? 'not-taken' : undefined);
    },
    ops: {
      ok: true,
      message: /drained by the ops function itself: its handoff's publish got no answer: /,
      notMessage: /handed to the drain function/,
    },
    cli: { ok: true, message: /drained by the ops function itself: its handoff's publish got no answer/ },
    drains: 1,
  },
  {
    name: 'no answer, the drain function acting on it (its claim taken): left to it',
    arrange: (w) => {
      w.events.answerLost = (e) => (isCommand(e) ? 'taken' : undefined);
      w.state.claimDrain = async (_f, c) => ({
        held: false,
        holder: { owner: 'delivery-1', by: 'drain', until: c.now + 60_000, done: false, at: T0.toISOString() },
      });
    },
    ops: {
      ok: true,
      message:
        /its handoff's publish got no answer: .*; its drain is left to the bus's delivery \(its claim is held by the drain function, still acting\)/,
    },
    cli: { ok: true, message: /its drain is left to the bus's delivery/ },
    drains: 0,
  },
  {
    name: 'no answer and the claim cannot be taken: left to the bus, with the claim error',
    arrange: (w) => {
      w.events.answerLost = (e) => (isCommand(e) ? 'not-taken' : undefined);
      w.state.claimDrain = async () => {
        throw new StaleStateError(FLEET, 0);
      };
    },
    ops: {
      ok: true,
      message: /its drain is left to the bus's delivery \(its claim could not be taken: .*\)/,
      notMessage: /drained by/,
    },
    cli: { ok: true, message: /left to the bus's delivery \(its claim could not be taken/ },
    drains: 0,
  },
  {
    name: 'refused by the bus, and the drain made here fails: failed, with both reasons',
    arrange: (w) => {
      w.events.refuse = isCommand;
      w.cluster.drain = async () => {
        throw new Error('pods would not leave');
      };
    },
    ops: {
      ok: false,
      message: /the bus refused its handoff: .*; the drain by the ops function itself failed: .*pods would not leave/,
    },
    cli: { ok: false, message: /the drain by the ops function itself failed: .*pods would not leave/ },
    drains: 0,
  },
];

describe("an operator's drain says who drained the node", () => {
  it.each(cases)('$name', async (c) => {
    const w = fakeDeps(resolved, T0);
    w.set('aws-g5-ondemand', { desired: 2 });
    w.deps.drainStep = true;
    w.cluster.addNode('node-a', 'i-0abc');
    c.arrange(w);

    const r = await runOperatorCommand(w.deps, drainNode);
    expect(r.ok).toBe(c.ops.ok);
    expect(r.message).toMatch(c.ops.message);
    if (c.ops.notMessage) expect(r.message).not.toMatch(c.ops.notMessage);

    if (c.deliver)
      for (const e of w.events.published.filter(isCommand)) {
        const d = e.detail as Omit<DrainCommandSignal, 'type' | 'eventId' | 'source' | 'time'> & { commandId: string };
        const { commandId, ...rest } = d;
        await runDrainCommand(w.deps, {
          type: 'drain-command',
          eventId: commandId,
          source: e.source,
          time: e.time ?? T0.toISOString(),
          ...rest,
        });
      }
    const cli = await drainedBy({ deps: { store: w.state }, deadLetters: [] }, {
      status: 'ops',
      ...r,
    } as HandlerResult);
    expect(cli).toMatchObject({ ok: c.cli.ok, message: expect.stringMatching(c.cli.message) });
    // The fake cluster's own drains (a case that makes it fail replaces it).
    expect(w.cluster.callsOf('drain')).toHaveLength(c.drains);
    // One command, one fate.
    expect(drainFates((cli as { audit: Parameters<typeof drainFates>[0] }).audit)).toHaveLength(1);
  });
});
