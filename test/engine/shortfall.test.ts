/**
 * Nodes a pool was asked for that the cloud could not launch: detected from the observation (`launched`)
 * or from the engine's own history (not ready long after they were asked for), cancelled in that pool,
 * backed off as short of capacity and placed elsewhere.
 */
import { describe, expect, it } from 'vitest';
import type { CapacityNoticeSignal } from '../../shared/domain/signals.ts';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import { OBSERVED_FAILURE_SOURCE } from '../../shared/engine/signals.ts';
import type { HistoryEntry, Plan } from '../../shared/engine/types.ts';
import { at, fleet, input, past, pool, T0 } from './fixtures.ts';

const counts = (plan: Plan) => Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]));
// Time to ready 300 s: a node is late after 300 + max(120, 75) = 420 s.
const spotPool = (over: Partial<Pool>) => pool({ id: 'spot', capacityType: 'spot', hourlyPrice: 0.3, ...over });
const od = pool({ id: 'od', hourlyPrice: 1, desired: 0 });
const raise = (secondsAgo: number, from: number, to: number): HistoryEntry =>
  past(secondsAgo, { from, to, applied: true, pools: [{ poolId: 'spot', from, to }] });
// An older decision without changes: the history reaches back past the window.
const covered = past(1800, { applied: false, pools: [] });

function run(spot: Partial<Pool>, history: HistoryEntry[]) {
  const f = fleet([spotPool(spot), od], { metrics: [], placement: { spotShare: 1, offeringBackoffSeconds: 900 } });
  // 50 rps x 1.2 = 60 rps: 6 nodes' worth.
  return decide(input(f, { demand: { rps: 50 }, history }), T0);
}

describe('nodes that are not coming', () => {
  it.each([
    {
      // Raised 2 -> 6 twenty minutes ago, only 2 ready: the 4 others are late, placed on on-demand.
      name: 'late after the time to ready: cancelled and placed elsewhere',
      spot: { desired: 6, ready: 2 },
      history: [covered, raise(1200, 2, 6)],
      expected: { spot: 2, od: 4 },
      short: 4,
    },
    {
      // Raised five minutes ago: still within 420 s, booting.
      name: 'still within the time to ready: booting, kept',
      spot: { desired: 6, ready: 2 },
      history: [covered, raise(300, 2, 6)],
      expected: { spot: 6, od: 0 },
      short: 0,
    },
    {
      // No record from before the window: the engine cannot tell when they were asked for.
      name: 'no history reaching back: taken as booting',
      spot: { desired: 6, ready: 2 },
      history: [raise(300, 5, 6)],
      expected: { spot: 6, od: 0 },
      short: 0,
    },
    {
      // The cloud says 3 instances exist: 3 were never launched, asked for 5 minutes ago (past the 120 s
      // launch grace) — no need to wait for the time to ready.
      name: 'never launched (observed): cancelled at once',
      spot: { desired: 6, ready: 2, launched: 3 },
      history: [raise(300, 2, 6)],
      expected: { spot: 3, od: 3 },
      short: 3,
    },
    {
      // Asked for a minute ago: the cloud may not have started them yet.
      name: 'not launched yet within the launch grace',
      spot: { desired: 6, ready: 2, launched: 3 },
      history: [raise(60, 2, 6)],
      expected: { spot: 6, od: 0 },
      short: 0,
    },
  ])('$name', ({ spot, history, expected, short }) => {
    const plan = run(spot, history);
    expect(counts(plan)).toEqual(expected);
    const marks = plan.actions.filter((a) => a.type === 'mark-offering');
    if (short > 0) {
      expect(marks).toEqual([
        { type: 'mark-offering', poolId: 'spot', until: at(900), reason: 'insufficient-capacity' },
      ]);
      expect(plan.reasons.find((r) => r.code === 'placement.short-of-capacity')?.message).toMatch(
        new RegExp(`${short} node\\(s\\)`),
      );
      expect(plan.actions).toContainEqual(
        expect.objectContaining({ type: 'set-desired', poolId: 'spot', to: 6 - short }),
      );
    } else expect(marks).toEqual([]);
  });

  it('a launch the cloud says failed gets no launch grace: the nodes not launched are placed elsewhere now', () => {
    // Asked for a minute ago (inside the 120 s grace), and the cloud's event says the pool could not launch.
    const f = fleet([spotPool({ desired: 6, ready: 2, launched: 3 }), od], {
      metrics: [],
      placement: { spotShare: 1, offeringBackoffSeconds: 900 },
    });
    const notice = (over: Partial<CapacityNoticeSignal> = {}): CapacityNoticeSignal => ({
      type: 'capacity-notice',
      eventId: 'e1',
      source: 'aws.ec2fleet',
      time: at(0),
      cloud: 'aws',
      kind: 'launch-unsuccessful',
      instanceIds: [],
      fleetId: f.id,
      poolId: 'spot',
      ...over,
    });
    const decideWith = (signals: CapacityNoticeSignal[]) =>
      decide(input(f, { demand: { rps: 50 }, history: [raise(60, 2, 6)], signals }), T0);
    expect(counts(decideWith([notice()]))).toEqual({ spot: 3, od: 3 });
    // The notice of another pool, or an observed one, leaves the grace as it is.
    expect(counts(decideWith([notice({ poolId: 'od' })]))).toEqual({ spot: 6, od: 0 });
    expect(counts(decideWith([notice({ kind: 'launch-successful' })]))).toEqual({ spot: 6, od: 0 });
    // With the SLO sizing the spot risk learns the loss: the 3 nodes not launched, once (not the notice's
    // node on top of them).
    const learned = decide(
      input(f, {
        demand: { rps: 50 },
        demandHistory: [[T0.getTime() / 1000 - 60, 50]],
        history: [raise(60, 2, 6)],
        signals: [notice()],
      }),
      T0,
    ).nextState.spotRisk;
    expect(learned?.events.filter((e) => e.offering.startsWith('spot')).reduce((n, e) => n + e.nodes, 0)).toBe(3);
  });

  it('creations an observation shows failing act as the notice: placed elsewhere now, the loss counted once', () => {
    const observed = (f: ReturnType<typeof fleet>, source = OBSERVED_FAILURE_SOURCE): CapacityNoticeSignal => ({
      type: 'capacity-notice',
      eventId: 'e1#observed:spot:us-central1-a',
      source,
      time: at(0),
      cloud: 'gcp',
      kind: 'launch-unsuccessful',
      instanceIds: [],
      zone: 'us-central1-a',
      fleetId: f.id,
      poolId: 'spot',
    });
    const placement = { spotShare: 1, offeringBackoffSeconds: 900 };
    const short = fleet([spotPool({ desired: 6, ready: 2, launched: 3 }), od], { metrics: [], placement });
    const plan = decide(
      input(short, { demand: { rps: 50 }, history: [raise(60, 2, 6)], signals: [observed(short)] }),
      T0,
    );
    // The 3 nodes not launched go to on-demand in this decision; the offering is backed off.
    expect(counts(plan)).toEqual({ spot: 3, od: 3 });
    expect(plan.nextState.offeringBackoff.map((b) => b.poolId)).toContain('spot');
    expect(plan.reasons.map((r) => r.message).join('\n')).toMatch(/launch failed in pool spot in zone us-central1-a/);
    // A state every decision sees while it lasts, not an event: a decision that sees it with no node missing
    // (an earlier one placed them) learns no loss from it, where a cloud's notice counts one node.
    const whole = fleet([spotPool({ desired: 3, ready: 3, launched: 3 }), od], { metrics: [], placement });
    const lossOf = (signal: CapacityNoticeSignal) =>
      decide(
        input(whole, { demand: { rps: 50 }, demandHistory: [[T0.getTime() / 1000 - 60, 50]], signals: [signal] }),
        T0,
      )
        .nextState.spotRisk?.events.filter((e) => e.offering.startsWith('spot'))
        .reduce((n, e) => n + e.nodes, 0) ?? 0;
    expect(lossOf(observed(whole))).toBe(0);
    expect(lossOf(observed(whole, 'gcp.compute'))).toBe(1);
  });

  describe('a launch that failed in one zone of a pool with others (Auto Scaling launches there instead)', () => {
    const zones = ['us-east-1a', 'us-east-1b'];
    const twoZones = spotPool({ desired: 6, ready: 2, launched: 3, location: { region: 'us-east-1', zones } });
    const f = fleet([twoZones, od], { metrics: [], placement: { spotShare: 1, offeringBackoffSeconds: 900 } });
    const notice = (eventId: string, zone?: string): CapacityNoticeSignal => ({
      type: 'capacity-notice',
      eventId,
      source: 'aws.autoscaling',
      time: at(0),
      cloud: 'aws',
      kind: 'launch-unsuccessful',
      instanceIds: [],
      ...(zone ? { zone } : {}),
      fleetId: f.id,
      poolId: 'spot',
    });
    const backedOff = (zone: string) => ({
      poolId: 'spot',
      zone,
      until: at(600),
      reason: 'insufficient-capacity' as const,
    });
    it.each([
      {
        name: 'the other zone open: the nodes keep their grace, only the zone is backed off',
        signals: [notice('e1', 'us-east-1a')],
        state: [],
        expected: { spot: 6, od: 0 },
        zoneMarks: ['us-east-1a'],
        poolMark: false,
      },
      {
        name: 'the other zone backed off already: no zone left, placed elsewhere now',
        signals: [notice('e1', 'us-east-1a')],
        state: [backedOff('us-east-1b')],
        expected: { spot: 3, od: 3 },
        zoneMarks: ['us-east-1a'],
        poolMark: true,
      },
      {
        name: 'both zones failing in one decision: placed elsewhere now',
        signals: [notice('e1', 'us-east-1a'), notice('e2', 'us-east-1b')],
        state: [],
        expected: { spot: 3, od: 3 },
        zoneMarks: ['us-east-1a', 'us-east-1b'],
        poolMark: true,
      },
      {
        name: 'a zone the pool does not have: the whole pool backed off',
        signals: [notice('e1', 'eu-west-1a')],
        state: [],
        expected: { spot: 3, od: 3 },
        zoneMarks: [],
        poolMark: true,
      },
      {
        name: 'no zone named: the whole pool backed off',
        signals: [notice('e1')],
        state: [],
        expected: { spot: 3, od: 3 },
        zoneMarks: [],
        poolMark: true,
      },
    ])('$name', ({ signals, state, expected, zoneMarks, poolMark }) => {
      const plan = decide(
        input(f, {
          demand: { rps: 50 },
          history: [raise(60, 2, 6)],
          signals,
          state: { offeringBackoff: state },
        }),
        T0,
      );
      expect(counts(plan)).toEqual(expected);
      const marks = plan.actions.filter((a) => a.type === 'mark-offering' && a.poolId === 'spot');
      expect(marks.flatMap((m) => (m.type === 'mark-offering' && m.zone ? [m.zone] : [])).sort()).toEqual(zoneMarks);
      expect(marks.some((m) => m.type === 'mark-offering' && m.zone === undefined)).toBe(poolMark);
    });

    it('a zone named in a pool of one zone: the pool backed off, its nodes placed elsewhere now', () => {
      const one = fleet([spotPool({ desired: 6, ready: 2, launched: 3 }), od], {
        metrics: [],
        placement: { spotShare: 1, offeringBackoffSeconds: 900 },
      });
      const plan = decide(
        input(one, {
          demand: { rps: 50 },
          history: [raise(60, 2, 6)],
          signals: [{ ...notice('e1', 'us-east-1a'), fleetId: one.id }],
        }),
        T0,
      );
      expect(counts(plan)).toEqual({ spot: 3, od: 3 });
    });
  });

  it('does not count a pool that is short against the ready nodes it keeps', () => {
    // 4 late nodes cancelled, 2 ready kept: cancelling never-ready nodes takes nothing from what serves.
    const plan = run({ desired: 6, ready: 2 }, [covered, raise(1200, 2, 6)]);
    expect(plan.reasons.map((r) => r.code)).not.toContain('safety.not-ready');
  });
});
