/**
 * Properties of the operator's commands as the engine reads them (engine/operator.ts, through `readSignals`,
 * which starts from the state's pause and manual target in force), over random sequences of every command:
 * targets fleet-wide or one pool's, whole, fractional, negative, infinite or missing; expiries past, exactly
 * now, ahead, absent or unparsable; dry runs; drains with or without a node and a cluster; commands for
 * another fleet. The state's pause and target are absent, lapsed or in force.
 *
 * What the comments promise: `scale` sets the manual target (its whole part) until it expires and
 * `clear-target` removes it; `pause` and `resume` set and clear the pause; a `scale` or `pause` whose
 * `expiresAt` has passed (time.ts `inForce`: not later than now; an unparsable time is open-ended) is ignored,
 * and so is a `scale` without a valid target: the last command in force wins, else the state's. `plan`,
 * `explain` and a command asking for a dry run make the plan a dry run; `drain` asks for its node's drain.
 * Each command of the fleet is explained once, under its event id: `signal.ignored` when it changes nothing.
 * `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPERATOR_COMMANDS, type OperatorCommandSignal } from '../../shared/domain/signals.ts';
import { operatorCommand } from '../../shared/engine/operator.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import type { SignalContext } from '../../shared/engine/signal-context.ts';
import { readSignals } from '../../shared/engine/signals.ts';
import { iso } from '../../shared/engine/time.ts';
import type { DecisionState, ManualTarget, PauseState } from '../../shared/engine/types.ts';
import { T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const NOW = T0.getTime();
const FLEET = 'llm';

/** An expiry: none, lapsed, exactly now, a millisecond ahead, ahead, or a text that is no time. */
const expiryArb = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -7200, max: 7200 }).map((s) => iso(NOW + s * 1000)),
  fc.constantFrom(iso(NOW), iso(NOW - 1), iso(NOW + 1)),
  fc.constantFrom('soon', 'yyyy-mm-dd', ''),
);
/** A target: whole, fractional, negative, infinite, not a number, or missing. */
const targetArb = fc.oneof(
  fc.nat(40),
  fc.double({ min: -5, max: 50, noNaN: true }),
  fc.constantFrom(undefined, -1, -0, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e9),
);

const commandArb = fc.record({
  command: fc.constantFrom(...OPERATOR_COMMANDS),
  target: targetArb,
  expiresAt: expiryArb,
  poolId: fc.option(fc.constantFrom('p0', 'p1'), { nil: undefined }),
  reason: fc.option(fc.constantFrom('launch traffic', 'rollout'), { nil: undefined }),
  actor: fc.constantFrom('jdoe', 'oncall', 'arn:aws:sts::731482956104:assumed-role/oncall/jdoe'),
  node: fc.option(fc.constantFrom('ip-10-0-1-17.ec2.internal', 'aks-gpu-vmss000003', ''), { nil: undefined }),
  cluster: fc.option(fc.constantFrom('gpu-east', ''), { nil: undefined }),
  dryRun: fc.option(fc.boolean(), { nil: undefined }),
  other: fc.boolean(),
});
type CommandData = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

const signalOf = (d: CommandData, i: number): OperatorCommandSignal => ({
  type: 'operator-command',
  eventId: `op-${i}`,
  source: 'autoscaler.ops',
  time: iso(NOW),
  fleetId: d.other ? 'other' : FLEET,
  command: d.command,
  actor: d.actor,
  ...(d.reason !== undefined ? { reason: d.reason } : {}),
  ...(d.target !== undefined ? { target: d.target } : {}),
  ...(d.expiresAt !== undefined ? { expiresAt: d.expiresAt } : {}),
  ...(d.poolId !== undefined ? { poolId: d.poolId } : {}),
  ...(d.node !== undefined ? { node: d.node } : {}),
  ...(d.cluster !== undefined ? { cluster: d.cluster } : {}),
  ...(d.dryRun !== undefined ? { dryRun: d.dryRun } : {}),
});

/** The state an earlier decision left: no pause or target, or one lapsed, in force, or open-ended. */
const stateArb = fc.record({
  paused: fc.option(expiryArb, { nil: null }),
  target: fc.option(fc.tuple(fc.nat(20), expiryArb), { nil: null }),
});
const stateOf = (s: typeof stateArb extends fc.Arbitrary<infer T> ? T : never): DecisionState => ({
  offeringBackoff: [],
  ...(s.paused !== null
    ? { paused: { ...(s.paused !== undefined ? { until: s.paused } : {}), by: 'earlier', reason: 'operator pause' } }
    : {}),
  ...(s.target !== null
    ? {
        manualTarget: {
          target: s.target[0],
          ...(s.target[1] !== undefined ? { until: s.target[1] } : {}),
          by: 'earlier',
          reason: 'operator scale',
        },
      }
    : {}),
});

/** In force at NOW, as time.ts states it: absent or unparsable (open-ended), else later than now. */
const live = (until: string | undefined): boolean => until === undefined || !(Date.parse(until) <= NOW);
const validTarget = (t: number | undefined): t is number => t !== undefined && Number.isFinite(t) && t >= 0;

describe('operator commands: properties', () => {
  it('the last command of the fleet in force wins, else the state pause and target in force; a target is its whole part', () => {
    fc.assert(
      fc.property(stateArb, fc.array(commandArb, { maxLength: 8 }), (s, data) => {
        const state = stateOf(s);
        const signals = data.map(signalOf);
        const ctx = readSignals(signals, FLEET, state, NOW, new Reasons());
        let target: ManualTarget | undefined =
          state.manualTarget && live(state.manualTarget.until) ? state.manualTarget : undefined;
        let paused: PauseState | undefined = state.paused && live(state.paused.until) ? state.paused : undefined;
        for (const c of signals) {
          if (c.fleetId !== FLEET) continue;
          if (c.command === 'scale' && live(c.expiresAt) && validTarget(c.target))
            target = {
              target: Math.floor(c.target),
              poolId: c.poolId,
              until: c.expiresAt,
              by: c.actor,
              reason: c.reason ?? 'operator scale',
            };
          if (c.command === 'clear-target') target = undefined;
          if (c.command === 'pause' && live(c.expiresAt))
            paused = { until: c.expiresAt, by: c.actor, reason: c.reason ?? 'operator pause' };
          if (c.command === 'resume') paused = undefined;
        }
        expect(ctx.manualTarget).toEqual(target);
        expect(ctx.paused).toEqual(paused);
        if (ctx.manualTarget) {
          expect(Number.isInteger(ctx.manualTarget.target)).toBe(true);
          expect(ctx.manualTarget.target).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS,
    );
  });

  it('a dry run when a command of the fleet is plan or explain or asks for one; a drain per command naming a node, in order', () => {
    fc.assert(
      fc.property(stateArb, fc.array(commandArb, { maxLength: 8 }), (s, data) => {
        const signals = data.map(signalOf);
        const ctx = readSignals(signals, FLEET, stateOf(s), NOW, new Reasons());
        const mine = signals.filter((c) => c.fleetId === FLEET);
        expect(ctx.dryRun).toBe(mine.some((c) => c.command === 'plan' || c.command === 'explain' || c.dryRun === true));
        expect(ctx.drains).toEqual(
          mine
            .filter((c) => c.command === 'drain' && c.node)
            .map((c) => ({
              node: c.node,
              ...(c.cluster ? { cluster: c.cluster } : {}),
              eventId: c.eventId,
              reason: `operator drain by ${c.actor}`,
            })),
        );
        expect(ctx.eventIds).toEqual(mine.map((c) => c.eventId));
      }),
      RUNS,
    );
  });

  it('explains each command once, under its event id: ignored when lapsed, without a valid target or node', () => {
    fc.assert(
      fc.property(commandArb, stateArb, (d, s) => {
        const c = signalOf({ ...d, other: false }, 0);
        const state = stateOf(s);
        const ctx: SignalContext = {
          eventIds: [],
          notices: [],
          reservations: [],
          alarmValues: new Map(),
          launchFailures: [],
          dryRun: false,
          ...(state.manualTarget ? { manualTarget: state.manualTarget } : {}),
          ...(state.paused ? { paused: state.paused } : {}),
          drains: [],
        };
        const reasons = new Reasons();
        operatorCommand(c, ctx, NOW, reasons);
        expect(reasons.list).toHaveLength(1);
        const [r] = reasons.list;
        expect(r!.eventId).toBe(c.eventId);
        const ignored =
          ((c.command === 'scale' || c.command === 'pause') && !live(c.expiresAt)) ||
          (c.command === 'scale' && !validTarget(c.target)) ||
          (c.command === 'drain' && !c.node);
        expect(r!.code).toBe(ignored ? 'signal.ignored' : 'signal.operator');
        expect(r!.message).toContain(`${c.command} by ${c.actor}`);
        // An ignored command changes neither the target, nor the pause, nor the drains.
        if (ignored) {
          expect(ctx.manualTarget).toBe(state.manualTarget);
          expect(ctx.paused).toBe(state.paused);
          expect(ctx.drains).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  it('commands for another fleet change nothing and are explained as ignored', () => {
    fc.assert(
      fc.property(stateArb, fc.array(commandArb, { maxLength: 6 }), (s, data) => {
        const state = stateOf(s);
        const signals = data.map((d, i) => signalOf({ ...d, other: true }, i));
        const reasons = new Reasons();
        const ctx = readSignals(signals, FLEET, state, NOW, reasons);
        const none = readSignals([], FLEET, state, NOW, new Reasons());
        expect(ctx).toEqual(none);
        expect(reasons.list.map((r) => [r.code, r.eventId])).toEqual(signals.map((c) => ['signal.ignored', c.eventId]));
      }),
      RUNS,
    );
  });
});
