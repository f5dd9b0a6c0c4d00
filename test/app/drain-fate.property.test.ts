/**
 * Properties of a drain's fate read from its decision's audit record (shared/app/drain-fate.ts), over random
 * records built from a model: per command handed off, the path its publish took (taken by the bus; refused,
 * with or without its claim; unanswered, drained here, found claimed by another, or its claim not taken) and
 * what its drain became (drained, skipped, failed, not yet), the entries in any order among other actions.
 *
 * What its comments promise: one fate per command handed off, in the record's order; who drains it (the drain
 * function on the bus's delivery, the deciding function after its publish failed, or the holder of its claim)
 * and how far it is (drained, skipped or failed with why, or pending, with why when the record says it); in
 * words, never "handed to the drain function" of a drain the deciding invocation made or left to the bus
 * unanswered; the operator's answer names every node handed off and where a pending one will be told, and is
 * undefined when nothing was handed off. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DRAIN_FUNCTION,
  type DrainFate,
  describeDrainFate,
  drainAnswer,
  drainFates,
} from '../../shared/app/drain-fate.ts';
import type { AppliedAction, AuditRecord, FailedAction } from '../../shared/state/records.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const FN = 'ops';

type Path = 'taken' | 'refused' | 'refused-unclaimed' | 'unknown' | 'lost' | 'unknown-unclaimed';
interface Command {
  command: string;
  node: string;
  cluster: string;
  path: Path;
  /** For `lost`: what the publish was, who holds the claim and whether it is done. */
  lostPublish: 'refused' | 'unknown';
  heldBy: string;
  done: boolean;
  drain: 'none' | 'drained' | 'skipped' | 'failed';
  why: string;
  publishError: string;
  claimError: string;
  /** The drain function's own entry for a claim it found done: not the deciding invocation's. */
  drainFnNotClaimed: boolean;
}

const commandArb = (i: number): fc.Arbitrary<Command> =>
  fc.record({
    command: fc.constant(`cmd-${i}`),
    node: fc.constant(`node-${i}`),
    cluster: fc.constantFrom('gpu-demo', 'gpu-b'),
    path: fc.constantFrom<Path>('taken', 'refused', 'refused-unclaimed', 'unknown', 'lost', 'unknown-unclaimed'),
    lostPublish: fc.constantFrom('refused', 'unknown' as const),
    heldBy: fc.constantFrom(DRAIN_FUNCTION, 'spot-interruption', FN),
    done: fc.boolean(),
    drain: fc.constantFrom('none', 'drained', 'skipped', 'failed' as const),
    why: fc.string({ minLength: 1, maxLength: 20 }),
    publishError: fc.string({ minLength: 1, maxLength: 20 }),
    claimError: fc.string({ minLength: 1, maxLength: 20 }),
    drainFnNotClaimed: fc.boolean(),
  });

/** The record's entries for the commands, other actions among them, in an order drawn by `order`. */
function recordOf(commands: Command[], order: number[]): Pick<AuditRecord, 'outcome' | 'trigger' | 'eventId'> {
  const handoffs: AppliedAction[] = commands.map((c) => ({
    poolId: 'gpu-a',
    action: 'drain-handoff',
    detail: { command: c.command, cluster: c.cluster, node: c.node, removal: true },
  }));
  const others: AppliedAction[] = [
    { poolId: 'gpu-a', action: 'set-desired', detail: { from: 3, to: 2 } },
    { poolId: 'gpu-a', action: 'cordon', detail: { node: 'node-x' } },
  ];
  const failed: FailedAction[] = [{ action: 'publish', error: 'bus down' }];
  for (const c of commands) {
    const d = { command: c.command, cluster: c.cluster, node: c.node };
    if (c.path === 'refused' || c.path === 'refused-unclaimed')
      others.push({ action: 'drain-handoff-refused', detail: { ...d, drainedBy: 'decision', error: c.publishError } });
    if (c.path === 'unknown')
      others.push({ action: 'drain-handoff-unknown', detail: { ...d, drainedBy: 'decision', error: c.publishError } });
    if (c.path === 'lost')
      others.push({
        action: 'drain-not-claimed',
        detail: { ...d, by: FN, heldBy: c.heldBy, done: c.done, publish: c.lostPublish, error: c.publishError },
      });
    if (c.path === 'refused-unclaimed' || c.path === 'unknown-unclaimed')
      failed.push({ poolId: 'gpu-a', action: `drain-claim ${c.node}`, error: c.claimError });
    if (c.drainFnNotClaimed)
      others.push({ action: 'drain-not-claimed', detail: { ...d, by: DRAIN_FUNCTION, heldBy: FN, done: true } });
    if (c.drain === 'drained')
      others.push({
        action: 'drain',
        detail: { cluster: c.cluster, node: c.node, evicted: [], remaining: [], complete: true },
      });
    if (c.drain === 'skipped')
      others.push({ action: 'drain', detail: { cluster: c.cluster, node: c.node, skipped: c.why } });
    if (c.drain === 'failed') failed.push({ poolId: 'gpu-a', action: `cordon-drain ${c.node}`, error: c.why });
  }
  // Any order of the other entries; the handoffs in theirs, among them.
  const shuffled = others.map((a, i) => ({ a, k: order[i % order.length]! + i / 1000 })).sort((x, y) => x.k - y.k);
  const applied: AppliedAction[] = shuffled.map((s) => s.a);
  for (const [i, h] of handoffs.entries()) {
    const after = applied.indexOf(handoffs[i - 1]!) + 1;
    const at = after + ((order[i % order.length] ?? 0) % (applied.length - after + 1));
    applied.splice(at, 0, h);
  }
  return {
    eventId: 'ops-drain-1',
    trigger: { fn: FN, signal: 'operator-command', source: 'autoscaler.ops' },
    outcome: { status: 'applied', applied, failed: [...failed].reverse() },
  };
}

/** The fate the model says. */
function expected(c: Command): DrainFate {
  const made: Pick<DrainFate, 'state' | 'why'> =
    c.drain === 'drained'
      ? { state: 'drained' }
      : c.drain === 'skipped'
        ? { state: 'skipped', why: c.why }
        : c.drain === 'failed'
          ? { state: 'failed', why: c.why }
          : { state: 'pending' };
  const base = { command: c.command, cluster: c.cluster, node: c.node };
  switch (c.path) {
    case 'taken':
      return { ...base, publish: 'taken', by: DRAIN_FUNCTION, ...made };
    case 'refused':
    case 'refused-unclaimed':
      return { ...base, publish: 'refused', publishError: c.publishError, by: FN, ...made };
    case 'unknown':
      return { ...base, publish: 'unknown', publishError: c.publishError, by: FN, ...made };
    case 'lost':
      return {
        ...base,
        publish: c.lostPublish,
        publishError: c.publishError,
        by: c.heldBy,
        ...(made.state === 'pending' && !c.done
          ? { state: 'pending', why: `its claim is held by the ${c.heldBy} function, still acting` }
          : made),
      };
    case 'unknown-unclaimed':
      return {
        ...base,
        publish: 'unknown',
        by: DRAIN_FUNCTION,
        ...(made.state === 'pending'
          ? { state: 'pending', why: `its claim could not be taken: ${c.claimError}` }
          : made),
      };
  }
}

const caseArb = fc
  .nat({ max: 5 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, i) => commandArb(i))),
      fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 12 }),
    ),
  );

describe('drainFates', () => {
  it('one fate per command handed off, in order, with who drains it and how far it is', () => {
    fc.assert(
      fc.property(caseArb, ([commands, order]) => {
        expect(drainFates(recordOf(commands, order))).toEqual(commands.map(expected));
      }),
      RUNS,
    );
  });
});

describe('drainFates: nodes of one name in two clusters', () => {
  it("a failure is the command's of its pool, not every command's for a node of that name", () => {
    // Found reading the property's model: failures were matched by the node's name alone.
    const record = {
      trigger: { fn: 'spot-interruption' },
      outcome: {
        applied: [
          { poolId: 'east-pool', action: 'drain-handoff', detail: { command: 'c1', cluster: 'east', node: 'gpu-1' } },
          { poolId: 'west-pool', action: 'drain-handoff', detail: { command: 'c2', cluster: 'west', node: 'gpu-1' } },
        ],
        failed: [{ poolId: 'west-pool', action: 'cordon-drain gpu-1', kind: 'transient', error: 'the API timed out' }],
      },
    } as unknown as Pick<AuditRecord, 'outcome' | 'trigger'>;
    const [east, west] = drainFates(record);
    expect(east).toMatchObject({ command: 'c1', cluster: 'east', state: 'pending' });
    expect(west).toMatchObject({ command: 'c2', cluster: 'west', state: 'failed', why: 'the API timed out' });
  });
});

describe('describeDrainFate and drainAnswer', () => {
  it('says "handed to the drain function" only of a command the bus took, and who drained it', () => {
    fc.assert(
      fc.property(caseArb, ([commands, order]) => {
        for (const f of drainFates(recordOf(commands, order))) {
          const s = describeDrainFate(f);
          expect(s.includes('handed to the drain function')).toBe(f.publish === 'taken');
          if (f.publishError) expect(s).toContain(f.publishError);
          if (f.state === 'drained')
            expect(s).toContain(
              f.by === DRAIN_FUNCTION ? 'drained by the drain function' : `drained by the ${f.by} function itself`,
            );
          else expect(s).not.toMatch(/drained by/);
          if (f.state === 'skipped' || f.state === 'failed') expect(s).toContain(f.why!);
          if (f.state === 'failed') expect(s).toContain('failed');
          if (f.state === 'pending') expect(s).toMatch(/pending|left to the bus's delivery/);
          if (f.state === 'pending' && f.why) expect(s).toContain(f.why);
        }
      }),
      RUNS,
    );
  });

  it("the operator's answer names each node handed off, and where a pending one will be told; none without one", () => {
    fc.assert(
      fc.property(caseArb, ([commands, order]) => {
        const record = recordOf(commands, order);
        const answer = drainAnswer(record);
        if (!commands.length) {
          expect(answer).toBeUndefined();
          return;
        }
        for (const c of commands) expect(answer).toContain(`cordoned ${c.node} in ${c.cluster}; `);
        const pending = drainFates(record).some((f) => f.state === 'pending');
        expect(answer!.includes(`the audit record of ${record.eventId} says when it is done`)).toBe(pending);
      }),
      RUNS,
    );
  });
});
