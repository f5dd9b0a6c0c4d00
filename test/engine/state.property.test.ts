/**
 * Properties of the state a decision carries to the next one: `nextState` (engine/next-state.ts), the history
 * readers (engine/history.ts) and the bounds on what is stored (state/bounded.ts), over random states, runs of
 * decisions (their marks, drains, removals and replacements, the operator's commands, what they learned, at
 * times minutes to days apart) and random histories. What their comments promise: the state stays bounded (one
 * backoff per offering, each in force; each handled interruption once, for a day), a backoff is extended, the
 * operator's commands are applied once, a decision applied twice (its event redelivered) changes nothing more,
 * the state survives JSON; the history readers ignore other fleets' entries, dry runs and unparsable times, and
 * count scale events strictly after `now - period`; ids in keys and stored events keep their bounds.
 * `PROP_RUNS` sets the runs per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type InterruptionKind,
  type InterruptionSignal,
  noticeKeepsNode,
  type OperatorCommandSignal,
  type Signal,
} from '../../shared/domain/signals.ts';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import {
  changeInPeriod,
  type FleetHistory,
  inNodes,
  readHistory,
  type ScaleEvent,
  type TimedRecommendation,
  withoutNotComing,
} from '../../shared/engine/history.ts';
import { HANDLED_INTERRUPTION_MEMORY_MS, nextState } from '../../shared/engine/next-state.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { readSignals } from '../../shared/engine/signals.ts';
import { inForce } from '../../shared/engine/time.ts';
import type {
  Action,
  DecisionState,
  HandledInterruption,
  HistoryEntry,
  MarkOfferingAction,
  OfferingBackoff,
  SpotRiskState,
  WarmHold,
} from '../../shared/engine/types.ts';
import {
  depthBounded,
  keyId,
  MAX_KEY_ID_BYTES,
  MAX_STORED_DEPTH,
  storedForm,
  TOO_DEEP,
  boundedText,
} from '../../shared/state/bounded.ts';
import { fleetInput } from './arbitraries.ts';
import { pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const FLEET = 'llm';
const DAY = HANDLED_INTERRUPTION_MEMORY_MS;
const POOL_IDS = ['p0', 'p1', 'p2'];
const ZONES = [undefined, 'z-a', 'z-b'];
const iso = (t: number) => new Date(t).toISOString();
const offering = (b: { poolId: string; zone?: string }) => `${b.poolId}/${b.zone ?? '*'}`;

// ---- Generators: plain data (a counterexample reads as it is), times in seconds from the decision's now.

/**
 * One of a decision's actions: a mark (for `seconds`; 0 lapses as it is set, the policy allows it), a drain of a
 * noticed instance, its removal, a replacement, and what the state does not record (an operator's drain of a
 * node, a grow, a report).
 */
const actionArb = fc.record({
  type: fc.constantFrom('mark', 'drain', 'remove', 'replace', 'node-drain', 'grow', 'report'),
  instance: fc.nat(7),
  poolId: fc.constantFrom(...POOL_IDS),
  noPool: fc.boolean(),
  zone: fc.constantFrom(...ZONES),
  toPool: fc.constantFrom(...POOL_IDS),
  seconds: fc.integer({ min: 0, max: 3600 }),
  reason: fc.constantFrom('interrupted', 'insufficient-capacity' as const),
});
type ActionData = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

function actionAt(d: ActionData, now: number): Action {
  const instanceId = `i-${d.instance}`;
  switch (d.type) {
    case 'mark':
      return {
        type: 'mark-offering',
        poolId: d.poolId,
        ...(d.zone !== undefined ? { zone: d.zone } : {}),
        until: iso(now + d.seconds * 1000),
        reason: d.reason,
      };
    case 'drain':
      return {
        type: 'cordon-drain',
        instanceId,
        ...(d.noPool ? {} : { poolId: d.poolId }),
        deadline: iso(now + d.seconds * 1000),
        reason: 'warning notice',
      };
    case 'remove':
      return { type: 'remove-instance', poolId: d.poolId, instanceId, reason: 'warning notice' };
    case 'replace':
      return { type: 'replace', instanceId, fromPool: d.poolId, toPool: d.toPool, reason: 'rebalance notice' };
    case 'node-drain':
      return { type: 'cordon-drain', node: 'ip-10-0-0-1', deadline: iso(now), reason: 'operator drain' };
    case 'grow':
      return { type: 'set-desired', poolId: d.poolId, from: 1, to: 2, reason: 'grow' };
    default:
      return { type: 'report', code: 'x', message: 'y' };
  }
}

/** The operator's commands (some for another fleet, some lapsed, some without a valid target) and a notice. */
const signalArb = fc.record({
  command: fc.constantFrom('scale', 'pause', 'resume', 'clear-target', 'status', 'notice' as const),
  target: fc.integer({ min: -1, max: 40 }),
  poolId: fc.option(fc.constantFrom(...POOL_IDS), { nil: undefined }),
  expires: fc.option(fc.integer({ min: -600, max: 7200 }), { nil: undefined }),
  other: fc.boolean(),
  n: fc.nat(7),
});
type SignalData = typeof signalArb extends fc.Arbitrary<infer T> ? T : never;

function signalAt(d: SignalData, now: number): Signal {
  if (d.command === 'notice')
    return {
      type: 'interruption',
      eventId: `int-${d.n}`,
      source: 'aws.ec2',
      time: iso(now),
      cloud: 'aws',
      kind: 'warning',
      instanceIds: [`i-${d.n}`],
      poolId: 'p0',
      deadline: iso(now + 120_000),
    };
  return {
    type: 'operator-command',
    eventId: `op-${d.n}`,
    source: 'ops',
    time: iso(now),
    ...(d.other ? { fleetId: 'other' } : {}),
    command: d.command,
    actor: `actor-${d.n}`,
    target: d.target,
    ...(d.command === 'scale' && d.poolId ? { poolId: d.poolId } : {}),
    ...(d.expires !== undefined ? { expiresAt: iso(now + d.expires * 1000) } : {}),
  } satisfies OperatorCommandSignal;
}

const spotRiskAt = (losses: number, now: number): SpotRiskState => ({
  at: iso(now),
  offerings: { 'p0/*': { hours: 10, losses } },
  events: losses ? [{ at: iso(now), offering: 'p0/*', nodes: losses }] : [],
});
const bridgeArb = fc.dictionary(fc.constantFrom(...POOL_IDS), fc.nat(4), { maxKeys: 3 });

/** What the decision learned: the pools as it observed them, and sometimes a spot risk, a warm hold, a bridge. */
const learnedArb = fc.record({
  pools: fc.subarray(POOL_IDS),
  counts: fc.array(fc.tuple(fc.nat(20), fc.nat(20)), { minLength: 3, maxLength: 3 }),
  losses: fc.option(fc.nat(5), { nil: undefined }),
  holdRps: fc.option(fc.nat(500), { nil: undefined }),
  warmBridge: fc.option(bridgeArb, { nil: undefined }),
});
type Learned = NonNullable<Parameters<typeof nextState>[4]>;

function learnedAt(l: typeof learnedArb extends fc.Arbitrary<infer T> ? T : never, now: number): Learned {
  return {
    pools: l.pools.map((id, k): Pool => pool({ id, desired: l.counts[k][0], ready: Math.min(...l.counts[k]) })),
    ...(l.losses !== undefined ? { spotRisk: spotRiskAt(l.losses, now) } : {}),
    ...(l.holdRps !== undefined ? { warmHold: { rps: l.holdRps, at: iso(now) } satisfies WarmHold } : {}),
    ...(l.warmBridge ? { warmBridge: l.warmBridge } : {}),
  };
}

/** A state earlier decisions left: one backoff per offering, each instance handled once, maybe a pause, a target. */
const stateArb = fc.record({
  backoff: fc.uniqueArray(
    fc.record({
      poolId: fc.constantFrom(...POOL_IDS),
      zone: fc.constantFrom(...ZONES),
      until: fc.integer({ min: -3600, max: 3600 }),
      reason: fc.constantFrom('interrupted', 'insufficient-capacity' as const),
    }),
    { selector: offering, maxLength: 5 },
  ),
  handled: fc.uniqueArray(
    fc.record({
      instance: fc.nat(7),
      poolId: fc.option(fc.constantFrom(...POOL_IDS), { nil: undefined }),
      ago: fc.integer({ min: 0, max: 2 * 86_400 }),
      removing: fc.boolean(),
    }),
    { selector: (h) => h.instance, maxLength: 5 },
  ),
  // A pause: none (null), open-ended (undefined), or lapsing at that second.
  paused: fc.option(fc.option(fc.integer({ min: -600, max: 3600 }), { nil: undefined }), { nil: null }),
  manual: fc.option(
    fc.record({
      target: fc.nat(30),
      poolId: fc.option(fc.constantFrom(...POOL_IDS), { nil: undefined }),
      until: fc.option(fc.integer({ min: -600, max: 3600 }), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  losses: fc.option(fc.nat(5), { nil: undefined }),
  holdRps: fc.option(fc.nat(500), { nil: undefined }),
  warmBridge: fc.option(bridgeArb, { nil: undefined }),
  lastKnown: fc.option(
    fc.dictionary(fc.constantFrom(...POOL_IDS), fc.record({ desired: fc.nat(9), ready: fc.nat(9) })),
    { nil: undefined },
  ),
});

function stateAt(s: typeof stateArb extends fc.Arbitrary<infer T> ? T : never, now: number): DecisionState {
  return {
    offeringBackoff: s.backoff.map(
      (b): OfferingBackoff => ({
        poolId: b.poolId,
        ...(b.zone !== undefined ? { zone: b.zone } : {}),
        until: iso(now + b.until * 1000),
        reason: b.reason,
      }),
    ),
    ...(s.handled.length
      ? {
          interruptedInstances: s.handled.map(
            (h): HandledInterruption => ({
              instanceId: `i-${h.instance}`,
              ...(h.poolId !== undefined ? { poolId: h.poolId } : {}),
              deadline: iso(now - h.ago * 1000 + 120_000),
              at: iso(now - h.ago * 1000),
              ...(h.removing ? { removing: true as const } : {}),
            }),
          ),
        }
      : {}),
    ...(s.paused !== null
      ? {
          paused: {
            ...(s.paused !== undefined ? { until: iso(now + s.paused * 1000) } : {}),
            by: 'alice',
            reason: 'incident',
          },
        }
      : {}),
    ...(s.manual
      ? {
          manualTarget: {
            target: s.manual.target,
            ...(s.manual.poolId ? { poolId: s.manual.poolId } : {}),
            ...(s.manual.until !== undefined ? { until: iso(now + s.manual.until * 1000) } : {}),
            by: 'bob',
            reason: 'operator scale',
          },
        }
      : {}),
    ...(s.losses !== undefined ? { spotRisk: spotRiskAt(s.losses, now) } : {}),
    ...(s.holdRps !== undefined ? { warmHold: { rps: s.holdRps, at: iso(now) } } : {}),
    ...(s.warmBridge ? { warmBridge: s.warmBridge } : {}),
    ...(s.lastKnown ? { lastKnown: s.lastKnown } : {}),
  };
}

/** One decision: how long after the last one (seconds; now and then more than a day), its signals, actions, learning. */
const stepArb = fc.record({
  after: fc.oneof(fc.integer({ min: 0, max: 3 * 3600 }), fc.integer({ min: 0, max: 2 * 86_400 })),
  signals: fc.array(signalArb, { maxLength: 3 }),
  actions: fc.array(actionArb, { maxLength: 6 }),
  learned: learnedArb,
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** One decision applied to `state` at `now`, as decide does: the signals read with the state, then the next state. */
function apply(state: DecisionState, step: Step, now: number) {
  const signals = step.signals.map((s) => signalAt(s, now));
  const actions = step.actions.map((a) => actionAt(a, now));
  const learned = learnedAt(step.learned, now);
  const sig = readSignals(signals, FLEET, state, now, new Reasons());
  return { next: nextState(state, sig, actions, new Date(now), learned), signals, actions, learned };
}

/** Backoffs compared as a set (their order means nothing). */
const sorted = (s: DecisionState): DecisionState => ({
  ...s,
  offeringBackoff: [...s.offeringBackoff].sort((a, b) => offering(a).localeCompare(offering(b))),
});

const qualifying = (a: Action): a is Action & { instanceId: string } =>
  (a.type === 'cordon-drain' && a.instanceId !== undefined) || a.type === 'replace';

describe('nextState: properties', () => {
  it('is deterministic, changes nothing it is given, and survives JSON: the next decision from the saved state is the same', () => {
    fc.assert(
      fc.property(stateArb, stepArb, stepArb, (state0, s1, s2) => {
        const t = T0.getTime();
        const state = stateAt(state0, t);
        const given = structuredClone(state);
        const { next, signals, actions, learned } = apply(state, s1, t);
        expect(state).toEqual(given);
        const sig = readSignals(structuredClone(signals), FLEET, structuredClone(state), t, new Reasons());
        expect(
          nextState(structuredClone(state), sig, structuredClone(actions), new Date(t), structuredClone(learned)),
        ).toEqual(next);
        const saved = JSON.parse(JSON.stringify(next)) as DecisionState;
        expect(saved).toEqual(next);
        const t2 = t + s2.after * 1000;
        expect(apply(saved, s2, t2).next).toEqual(apply(next, s2, t2).next);
      }),
      RUNS,
    );
  });

  it('stays bounded over any run of decisions: one backoff per offering, in force or set now; each handled instance once, for a day', () => {
    fc.assert(
      fc.property(stateArb, fc.array(stepArb, { minLength: 1, maxLength: 12 }), (state0, steps) => {
        let t = T0.getTime();
        let state = stateAt(state0, t);
        const known = new Set(Object.keys(state.lastKnown ?? {}));
        for (const step of steps) {
          t += step.after * 1000;
          const { next, actions, learned } = apply(state, step, t);
          const marks = actions.filter((a): a is MarkOfferingAction => a.type === 'mark-offering');
          const keys = next.offeringBackoff.map(offering);
          expect(new Set(keys).size).toBe(keys.length);
          // However many decisions: no more backoffs than offerings, no more handled than instances (8 here).
          expect(keys.length).toBeLessThanOrEqual(POOL_IDS.length * ZONES.length);
          expect(next.interruptedInstances?.length ?? 0).toBeLessThanOrEqual(8);
          for (const b of next.offeringBackoff)
            if (Date.parse(b.until) <= t) expect(marks.some((m) => offering(m) === offering(b))).toBe(true);
          const ids = (next.interruptedInstances ?? []).map((h) => h.instanceId);
          expect(new Set(ids).size).toBe(ids.length);
          for (const h of next.interruptedInstances ?? []) {
            expect(Date.parse(h.at)).toBeGreaterThan(t - DAY);
            expect(Date.parse(h.at)).toBeLessThanOrEqual(t);
          }
          for (const p of learned?.pools ?? []) known.add(p.id);
          expect(Object.keys(next.lastKnown ?? {}).every((k) => known.has(k))).toBe(true);
          if (next.paused) expect(inForce(next.paused.until, t)).toBe(true);
          if (next.manualTarget) expect(inForce(next.manualTarget.until, t)).toBe(true);
          state = next;
        }
      }),
      RUNS,
    );
  });

  it("extends a backoff already there: each offering's backoff lapses at the latest of the state's in force and this decision's marks", () => {
    fc.assert(
      fc.property(stateArb, stepArb, (state0, step) => {
        const t = T0.getTime();
        const state = stateAt(state0, t);
        const { next, actions } = apply(state, step, t);
        const latest = new Map<string, number>();
        const raise = (key: string, until: string) =>
          latest.set(key, Math.max(latest.get(key) ?? Number.NEGATIVE_INFINITY, Date.parse(until)));
        for (const b of state.offeringBackoff) if (Date.parse(b.until) > t) raise(offering(b), b.until);
        for (const a of actions) if (a.type === 'mark-offering') raise(offering(a), a.until);
        expect(new Map(next.offeringBackoff.map((b) => [offering(b), Date.parse(b.until)]))).toEqual(latest);
        for (const b of next.offeringBackoff) expect(Object.hasOwn(b, 'zone')).toBe(b.zone !== undefined);
      }),
      RUNS,
    );
  });

  it('records each instance the decision drains or replaces once: its pool, its deadline, when first handled, whether its removal is planned, whether its node stays', () => {
    fc.assert(
      fc.property(stateArb, stepArb, (state0, step) => {
        const t = T0.getTime();
        const state = stateAt(state0, t);
        const { next, actions, signals } = apply(state, step, t);
        const sig = readSignals(signals, FLEET, state, t, new Reasons());
        const kept = (state.interruptedInstances ?? []).filter((h) => Date.parse(h.at) > t - DAY);
        const expected: HandledInterruption[] = [...kept];
        for (const a of actions.filter(qualifying)) {
          // Whether the node stays after its notice (a rebalance replaced ahead, maintenance it comes back from):
          // a record of one that stayed gives way to a notice that ends it.
          const notice = sig.notices.find((n) => n.instanceId === a.instanceId);
          const keeps = a.type === 'replace' || (notice !== undefined && noticeKeepsNode(notice.kind, notice.action));
          const earlier = expected.findIndex((h) => h.instanceId === a.instanceId);
          if (earlier >= 0 && expected[earlier].kept && !keeps) expected.splice(earlier, 1);
          if (expected.some((h) => h.instanceId === a.instanceId)) continue;
          const removing =
            a.type === 'cordon-drain' &&
            actions.some((r) => r.type === 'remove-instance' && r.instanceId === a.instanceId);
          expected.push({
            instanceId: a.instanceId,
            ...(a.type === 'replace'
              ? { poolId: a.fromPool }
              : a.type === 'cordon-drain' && a.poolId
                ? { poolId: a.poolId }
                : {}),
            ...(a.type === 'cordon-drain' ? { deadline: a.deadline } : {}),
            at: iso(t),
            ...(removing ? { removing: true as const } : {}),
            ...(keeps ? { kept: true as const } : {}),
          });
        }
        expect(next.interruptedInstances ?? []).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("applies the operator's commands of the decision once, and drops pauses and targets past their expiry", () => {
    fc.assert(
      fc.property(stateArb, stepArb, (state0, step) => {
        const t = T0.getTime();
        const state = stateAt(state0, t);
        const { next, signals } = apply(state, step, t);
        // The last command of this fleet in force wins; without one, the state's pause or target if in force.
        let paused = state.paused && inForce(state.paused.until, t) ? state.paused.by : undefined;
        let target = state.manualTarget && inForce(state.manualTarget.until, t) ? state.manualTarget.target : undefined;
        for (const s of signals) {
          if (s.type !== 'operator-command' || s.fleetId !== undefined) continue;
          const live = inForce(s.expiresAt, t);
          if (s.command === 'pause' && live) paused = s.actor;
          if (s.command === 'resume') paused = undefined;
          if (s.command === 'scale' && live && s.target !== undefined && s.target >= 0) target = s.target;
          if (s.command === 'clear-target') target = undefined;
        }
        expect(next.paused?.by).toBe(paused);
        expect(next.manualTarget?.target).toBe(target);
        expect(Object.hasOwn(next, 'paused')).toBe(paused !== undefined);
        expect(Object.hasOwn(next, 'manualTarget')).toBe(target !== undefined);
      }),
      RUNS,
    );
  });

  it('keeps what the decision learned: pool counts as they entered, the spot risk, a warm hold it sized, the bridge it records (none without)', () => {
    fc.assert(
      fc.property(stateArb, stepArb, (state0, step) => {
        const t = T0.getTime();
        const state = stateAt(state0, t);
        const { next, learned } = apply(state, step, t);
        const pools = learned?.pools ?? [];
        const lastKnown = {
          ...state.lastKnown,
          ...Object.fromEntries(pools.map((p) => [p.id, { desired: p.desired, ready: p.ready }])),
        };
        if (pools.length) expect(next.lastKnown).toEqual(lastKnown);
        else expect(next.lastKnown).toEqual(state.lastKnown);
        expect(next.spotRisk).toEqual(learned?.spotRisk ?? state.spotRisk);
        expect(next.warmHold).toEqual(learned?.warmHold ?? state.warmHold);
        const bridge = learned?.warmBridge && Object.keys(learned.warmBridge).length ? learned.warmBridge : undefined;
        expect(next.warmBridge).toEqual(bridge);
        expect(Object.hasOwn(next, 'warmBridge')).toBe(bridge !== undefined);
      }),
      RUNS,
    );
  });

  it('a decision applied twice (its event redelivered) changes nothing more; later, its instances keep the time first handled', () => {
    fc.assert(
      fc.property(stateArb, stepArb, fc.integer({ min: 1, max: 6 * 3600 }), (state0, step, later) => {
        const t = T0.getTime();
        const once = apply(stateAt(state0, t), step, t).next;
        expect(sorted(apply(once, step, t).next)).toEqual(sorted(once));
        const again = apply(once, step, t + later * 1000).next;
        const t2 = t + later * 1000;
        const first = new Map((once.interruptedInstances ?? []).map((h) => [h.instanceId, h]));
        for (const h of again.interruptedInstances ?? []) {
          const f = first.get(h.instanceId);
          // Handled more than a day before, it is forgotten: the redelivered decision handles it anew.
          if (f && Date.parse(f.at) > t2 - DAY) expect(h).toEqual(f);
          else expect(h.at).toBe(iso(t2));
        }
        for (const h of once.interruptedInstances ?? [])
          if (Date.parse(h.at) > t2 - DAY)
            expect(again.interruptedInstances?.some((x) => x.instanceId === h.instanceId)).toBe(true);
      }),
      RUNS,
    );
  });

  it('decide: the signals delivered again to the next decision drain, remove or replace none of the instances already handled', () => {
    fc.assert(
      fc.property(fleetInput(), fc.integer({ min: 0, max: 600 }), (i, later) => {
        const first = decide(i, T0);
        const handled = new Set((first.nextState.interruptedInstances ?? []).map((h) => h.instanceId));
        const second = decide({ ...i, state: first.nextState }, new Date(T0.getTime() + later * 1000));
        for (const a of [...second.actions, ...second.suppressedActions]) {
          if (a.type === 'cordon-drain' || a.type === 'remove-instance' || a.type === 'replace')
            expect(handled.has(a.instanceId ?? '')).toBe(false);
        }
        const ids = (second.nextState.interruptedInstances ?? []).map((h) => h.instanceId);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      RUNS,
    );
  });

  it('decide: a node kept after an earlier notice (a rebalance it was replaced for, maintenance it comes back from) is drained when a notice that ends it comes', () => {
    // EC2 sends a rebalance recommendation, then the interruption warning: the warning was taken for a repeat
    // and ignored for a day (a counterexample the property found): the node was never drained before its end.
    fc.assert(
      fc.property(
        fleetInput(),
        fc.nat(5),
        fc.constantFrom<InterruptionKind>('rebalance', 'maintenance'),
        fc.constantFrom<InterruptionKind>('warning', 'preempt'),
        fc.integer({ min: 60, max: 6 * 3600 }),
        (i, k, firstKind, kind, later) => {
          const p = i.fleet.pools[k % i.fleet.pools.length];
          const notice = (eventId: string, kind: InterruptionKind, t: number): InterruptionSignal => ({
            type: 'interruption',
            eventId,
            source: 'test',
            time: iso(t),
            cloud: 'aws',
            kind,
            instanceIds: ['i-r'],
            poolId: p.id,
            ...(kind === 'rebalance' ? {} : { deadline: iso(t + 120_000) }),
            ...(kind === 'maintenance' ? { action: 'reboot' } : {}),
          });
          const t0 = T0.getTime();
          const first = decide({ ...i, signals: [notice('n1', firstKind, t0)] }, T0);
          const acts = [...first.actions, ...first.suppressedActions];
          const handled = acts.some(
            (a) => (a.type === 'replace' || a.type === 'cordon-drain') && a.instanceId === 'i-r',
          );
          if (!handled || acts.some((a) => a.type === 'remove-instance' && a.instanceId === 'i-r')) return;
          const t2 = t0 + later * 1000;
          const second = decide({ ...i, signals: [notice('n2', kind, t2)], state: first.nextState }, new Date(t2));
          const drains = [...second.actions, ...second.suppressedActions].filter(
            (a) => a.type === 'cordon-drain' && a.instanceId === 'i-r',
          );
          expect(drains).toHaveLength(1);
          // Handled once more, the warning delivered again is a repeat.
          const third = decide(
            { ...i, signals: [notice('n2', kind, t2)], state: second.nextState },
            new Date(t2 + 30_000),
          );
          expect(
            [...third.actions, ...third.suppressedActions].some(
              (a) => (a.type === 'cordon-drain' || a.type === 'replace') && a.instanceId === 'i-r',
            ),
          ).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

// ---- The history readers.

const entryArb = (fleets: readonly (string | undefined)[]) =>
  fc
    .record({
      ago: fc.integer({ min: -60, max: 1800 }),
      fleetId: fc.constantFrom(...fleets),
      recommendation: fc.oneof(fc.nat(40), fc.constantFrom(Number.NaN, Infinity)),
      requiredRps: fc.option(fc.oneof(fc.double({ min: 0, max: 900, noNaN: true }), fc.constant(Number.NaN)), {
        nil: undefined,
      }),
      from: fc.nat(30),
      to: fc.nat(30),
      applied: fc.boolean(),
      dryRun: fc.option(fc.boolean(), { nil: undefined }),
      badTime: fc.boolean(),
    })
    .map(
      (e): HistoryEntry => ({
        at: e.badTime ? 'yesterday' : iso(T0.getTime() - e.ago * 1000),
        ...(e.fleetId !== undefined ? { fleetId: e.fleetId } : {}),
        recommendation: e.recommendation,
        ...(e.requiredRps !== undefined ? { requiredRps: e.requiredRps } : {}),
        from: e.from,
        to: e.to,
        applied: e.applied,
        ...(e.dryRun !== undefined ? { dryRun: e.dryRun } : {}),
      }),
    );

/** Entries of this fleet (or written before fleet ids), and the same with others' entries, dry runs and bad times. */
const historiesArb = fc
  .record({
    own: fc.array(
      entryArb([FLEET, undefined]).map((e) => ({
        ...e,
        dryRun: false,
        at: e.at === 'yesterday' ? iso(T0.getTime()) : e.at,
      })),
      { maxLength: 10 },
    ),
    noise: fc.array(
      fc.oneof(
        entryArb(['other', 'llm-2', 'LLM']),
        entryArb([FLEET, undefined]).map((e): HistoryEntry => ({ ...e, dryRun: true })),
        entryArb([FLEET, undefined]).map((e): HistoryEntry => ({ ...e, at: 'not a time' })),
      ),
      { maxLength: 10 },
    ),
    seed: fc.array(fc.nat(), { maxLength: 20 }),
  })
  .map((h) => {
    // The noise interleaved anywhere, the own entries in their order.
    const mixed: HistoryEntry[] = [...h.own];
    for (const [k, e] of h.noise.entries()) mixed.splice((h.seed[k] ?? 0) % (mixed.length + 1), 0, e);
    return { own: h.own, mixed };
  });

const eventsArb = fc.array(
  fc.record({
    at: fc.integer({ min: -1000, max: 100 }).map((s) => T0.getTime() + s * 1000),
    change: fc.integer({ min: 1, max: 9 }),
  }),
  { maxLength: 10 },
);

describe('history: properties', () => {
  it("readHistory ignores other fleets' entries, dry runs and times that do not parse", () => {
    fc.assert(
      fc.property(historiesArb, ({ own, mixed }) => {
        expect(readHistory(mixed, FLEET)).toEqual(readHistory(own, FLEET));
      }),
      RUNS,
    );
  });

  it('reads a scale event of each applied change (its magnitude, > 0), the latest of each direction, and finite recommendations', () => {
    fc.assert(
      fc.property(historiesArb, ({ own }) => {
        const h = readHistory(own, FLEET);
        const applied = own.filter((e) => e.applied && e.to !== e.from);
        const ups = applied.filter((e) => e.to > e.from);
        const downs = applied.filter((e) => e.to < e.from);
        expect(h.scaleUps.map((e) => e.change)).toEqual(ups.map((e) => e.to - e.from));
        expect(h.scaleDowns.map((e) => e.change)).toEqual(downs.map((e) => e.from - e.to));
        for (const e of [...h.scaleUps, ...h.scaleDowns]) expect(e.change).toBeGreaterThan(0);
        expect(h.lastScaleUp).toBe(Math.max(Number.NEGATIVE_INFINITY, ...ups.map((e) => Date.parse(e.at))));
        expect(h.lastScaleDown).toBe(Math.max(Number.NEGATIVE_INFINITY, ...downs.map((e) => Date.parse(e.at))));
        expect(h.recommendations.length).toBe(own.filter((e) => Number.isFinite(e.recommendation)).length);
        for (const r of h.recommendations) {
          expect(Number.isFinite(r.replicas)).toBe(true);
          if (r.rps !== undefined) expect(Number.isFinite(r.rps)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('changeInPeriod sums the changes strictly after now - period: one at the cutoff is not counted', () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.constantFrom(15, 60, 300, 600),
        fc.integer({ min: 1, max: 9 }),
        (events, period, change) => {
          const now = T0.getTime();
          const sum = events.filter((e) => e.at > now - period * 1000).reduce((s, e) => s + e.change, 0);
          expect(changeInPeriod(events, period, now)).toBe(sum);
          expect(changeInPeriod([...events, { at: now - period * 1000, change }], period, now)).toBe(sum);
          expect(changeInPeriod([...events, { at: now - period * 1000 + 1, change }], period, now)).toBe(sum + change);
          // A longer period counts at least as much.
          expect(changeInPeriod(events, period * 2, now)).toBeGreaterThanOrEqual(sum);
        },
      ),
      RUNS,
    );
  });

  it('inNodes keeps the recommendations within the window, in order, each recorded capacity read in nodes of today', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: -900, max: 0 }).map((s) => T0.getTime() + s * 1000),
            replicas: fc.nat(30),
            rps: fc.option(fc.constantFrom(10, 25.5, 100, 0), { nil: undefined }),
          }),
          { maxLength: 10 },
        ),
        fc.constantFrom(0, 60, 300, 600),
        fc.integer({ min: 1, max: 50 }),
        (recs, window, perNode) => {
          const rs: TimedRecommendation[] = recs.map((r) =>
            r.rps === undefined ? { at: r.at, replicas: r.replicas } : r,
          );
          const nodesFor = (rps: number) => Math.ceil(rps / perNode);
          const now = T0.getTime();
          const out = inNodes(rs, nodesFor, window, now);
          const inside = rs.filter((r) => r.at > now - window * 1000);
          expect(out).toEqual(inside.map((r) => (r.rps === undefined ? r : { ...r, replicas: nodesFor(r.rps) })));
        },
      ),
      RUNS,
    );
  });

  it('withoutNotComing takes the nodes that never came out of the latest scale-ups asked for by then, leaving the rest as it was', () => {
    fc.assert(
      fc.property(
        eventsArb,
        eventsArb,
        fc.integer({ min: -3, max: 40 }),
        fc.integer({ min: -600, max: 100 }),
        (ups, downs, nodes, by) => {
          const history: FleetHistory = {
            recommendations: [{ at: T0.getTime(), replicas: 3 }],
            scaleUps: ups,
            scaleDowns: downs,
            lastScaleUp: Math.max(Number.NEGATIVE_INFINITY, ...ups.map((e) => e.at)),
            lastScaleDown: Math.max(Number.NEGATIVE_INFINITY, ...downs.map((e) => e.at)),
          };
          const given = structuredClone(history);
          const askedBy = T0.getTime() + by * 1000;
          const out = withoutNotComing(history, nodes, askedBy);
          expect(history).toEqual(given);
          if (nodes <= 0) {
            expect(out).toBe(history);
            return;
          }
          const total = (es: readonly ScaleEvent[]) => es.reduce((s, e) => s + e.change, 0);
          const asked = ups.filter((e) => e.at <= askedBy);
          expect(total(out.scaleUps)).toBe(total(ups) - Math.min(nodes, total(asked)));
          for (const e of out.scaleUps) expect(e.change).toBeGreaterThan(0);
          // Scale-ups after askedBy are untouched; of those before, an earlier one loses nodes only once every later one is gone.
          expect(out.scaleUps.filter((e) => e.at > askedBy)).toEqual(ups.filter((e) => e.at > askedBy));
          const left = (e: ScaleEvent) => out.scaleUps.filter((x) => x.at === e.at).reduce((s, x) => s + x.change, 0);
          const had = (e: ScaleEvent) => ups.filter((x) => x.at === e.at).reduce((s, x) => s + x.change, 0);
          for (const e of asked)
            if (left(e) < had(e)) for (const later of asked) if (later.at > e.at) expect(left(later)).toBe(0);
          expect({ ...out, scaleUps: [] }).toEqual({ ...history, scaleUps: [] });
        },
      ),
      RUNS,
    );
  });
});

// ---- What is stored: ids in keys, rejected events, free texts.

/** Ids of any characters (well-formed UTF-16), short and long, some sharing a long prefix. */
const idArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', minLength: 40, maxLength: 260 }),
  fc
    .tuple(fc.constantFrom('a'.repeat(190), 'é'.repeat(100), '😀'.repeat(60)), fc.string({ maxLength: 30 }))
    .map(([p, s]) => p + s),
);

/** How many levels of arrays and objects a value nests (without recursion: some nest thousands deep). */
function nestingOf(value: unknown): number {
  let most = 0;
  const todo: Array<[unknown, number]> = [[value, 0]];
  while (todo.length) {
    const [v, depth] = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    most = Math.max(most, depth + 1);
    for (const x of Object.values(v as Record<string, unknown>)) todo.push([x, depth + 1]);
  }
  return most;
}

/** A JSON value nested `depth` levels (arrays and objects alternating) around `leaf`. */
function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let k = 0; k < depth; k++) v = k % 2 ? { k: v } : [v];
  return v;
}

describe('bounded: properties', () => {
  it('keyId: an id within the limit as it is, a longer one as its first 64 characters and a digest, bounded; distinct ids stay distinct', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const k = keyId(a);
        const short = /^[\s\S]{1,64}~[0-9a-f]{32}$/u.test(a);
        if (Buffer.byteLength(a, 'utf8') <= MAX_KEY_ID_BYTES && a.isWellFormed() && !short) expect(k).toBe(a);
        else {
          const head = Array.from(a.toWellFormed()).slice(0, 64).join('');
          expect(k.startsWith(`${head}~`)).toBe(true);
          expect(k.slice(head.length + 1)).toMatch(/^[0-9a-f]{32}$/);
          // 64 characters of at most 4 bytes, '~' and 32 hex digits.
          expect(Buffer.byteLength(k, 'utf8')).toBeLessThanOrEqual(64 * 4 + 33);
        }
        expect(keyId(a)).toBe(k);
        if (a !== b) expect(keyId(b)).not.toBe(k);
      }),
      RUNS,
    );
  });

  it("keyId: an id shaped as another's key, or differing only in unpaired surrogates, is told apart (counterexamples the property found)", () => {
    const long = 'x'.repeat(300);
    expect(keyId(keyId(long))).not.toBe(keyId(long));
    expect(keyId(`${'x'.repeat(201)}\ud800`)).not.toBe(keyId(`${'x'.repeat(201)}\ud801`));
    expect(keyId('a\ud800')).not.toBe(keyId('a\ud801'));
  });

  it('storedForm keeps every key of a JSON value, `__proto__` included (a copy by assignment set its prototype)', () => {
    expect(storedForm(JSON.parse('{"__proto__":{"a":1}}')).text).toBe('{"__proto__":{"a":1}}');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(JSON.parse(storedForm(v).text)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      RUNS,
    );
  });

  it('depthBounded copies a value nested within the limit as it is, and cuts a deeper one at the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (v, max) => {
        const copy = depthBounded(v, max);
        expect(nestingOf(copy)).toBeLessThanOrEqual(max);
        if (nestingOf(v) <= max) expect(copy).toEqual(v);
        else expect(JSON.stringify(copy)).toContain(JSON.stringify(TOO_DEEP));
      }),
      RUNS,
    );
  });

  it('storedForm: never throws, however deep; its text within maxBytes, the JSON of the bounded value unless truncated, else a prefix of it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ stringUnit: 'binary' }),
          fc.tuple(fc.integer({ min: 0, max: 12_000 }), fc.string({ unit: 'binary' })).map(([d, s]) => nested(d, s)),
        ),
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
        (v, maxBytes) => {
          const { text, truncated } = storedForm(v, maxBytes);
          const full = JSON.stringify(depthBounded(v)) ?? 'null';
          expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(maxBytes ?? 200_000);
          expect(truncated).toBe(Buffer.byteLength(full, 'utf8') > (maxBytes ?? 200_000));
          if (truncated) expect(full.startsWith(text)).toBe(true);
          else {
            expect(text).toBe(full);
            expect(nestingOf(JSON.parse(text))).toBeLessThanOrEqual(MAX_STORED_DEPTH);
            // As JSON carries it (-0 is written 0).
            if (nestingOf(v) <= MAX_STORED_DEPTH) expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
          }
        },
      ),
      RUNS,
    );
  });

  it('boundedText keeps a text within max as it is, else its first max characters and how many were left out', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 0, max: 200 }), (text, max) => {
        const out = boundedText(text, max);
        if (text.length <= max) expect(out).toBe(text);
        else expect(out).toBe(`${text.slice(0, max)}... (${text.length - max} more characters)`);
      }),
      RUNS,
    );
  });
});
