/**
 * Interruption and reservation signals through `decide`: replacement elsewhere with a drain before the
 * deadline, rebalance replacement without drain, maintenance, backoff marks, duplicate notices, reservations
 * delivered, expiring and underutilized, failed launches, and signals for other fleets.
 */
import { describe, expect, it } from 'vitest';
import type { InterruptionSignal, ReservationChangeSignal, Signal } from '../../shared/domain/signals.ts';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import type { Action, DecisionInput, Plan } from '../../shared/engine/types.ts';
import { at, fleet, input, pool, T0 } from './fixtures.ts';

const notice = (over: Partial<InterruptionSignal>): InterruptionSignal => ({
  type: 'interruption',
  eventId: 'ev-1',
  source: 'aws.ec2',
  time: T0.toISOString(),
  cloud: 'aws',
  kind: 'warning',
  instanceIds: ['i-1'],
  poolId: 'spot-a',
  deadline: at(120),
  ...over,
});
const reservation = (over: Partial<ReservationChangeSignal>): ReservationChangeSignal => ({
  type: 'reservation-change',
  eventId: 'rv-1',
  source: 'aws.ec2',
  time: T0.toISOString(),
  cloud: 'aws',
  kind: 'active',
  reservationIds: ['cr-1'],
  ...over,
});

const spotFleet = (extra: Pool[] = []) =>
  fleet(
    [
      pool({ id: 'spot-a', capacityType: 'spot', hourlyPrice: 0.3, desired: 3 }),
      pool({ id: 'spot-b', capacityType: 'spot', hourlyPrice: 0.4, desired: 1 }),
      pool({ id: 'od', hourlyPrice: 1, desired: 0 }),
      ...extra,
    ],
    { placement: { spotShare: 1, offeringBackoffSeconds: 900 } },
  );
const run = (signals: Signal[], over: Partial<DecisionInput> = {}, f = spotFleet()) =>
  decide(input(f, { metrics: [{ metric: 'gpu_utilization', value: 70 }], signals, ...over }), T0);
const ofType = <T extends Action['type']>(plan: Plan, type: T) =>
  plan.actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
const targets = (plan: Plan) => Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]));

describe('spot interruption warning', () => {
  it('replaces the node elsewhere, drains it before the deadline and backs the offering off', () => {
    const plan = run([notice({})]);
    // The fleet keeps 4 nodes: spot-a loses i-1 and may not grow, the replacement goes to spot-b.
    expect(plan.targetNodes).toBe(4);
    expect(targets(plan)).toEqual({ 'spot-a': 2, 'spot-b': 2, od: 0 });
    expect(ofType(plan, 'mark-offering')).toEqual([
      { type: 'mark-offering', poolId: 'spot-a', zone: undefined, until: at(900), reason: 'interrupted' },
    ]);
    expect(ofType(plan, 'cordon-drain')).toEqual([
      expect.objectContaining({ poolId: 'spot-a', instanceId: 'i-1', deadline: at(120) }),
    ]);
    expect(ofType(plan, 'remove-instance')).toEqual([expect.objectContaining({ poolId: 'spot-a', instanceId: 'i-1' })]);
    // spot-a's desired stays 3 now: removing i-1 after its drain lowers it to 2.
    expect(ofType(plan, 'set-desired')).toEqual([expect.objectContaining({ poolId: 'spot-b', from: 1, to: 2 })]);
    // Grow first, then drain.
    expect(plan.actions.map((a) => a.type)).toEqual([
      'mark-offering',
      'set-desired',
      'cordon-drain',
      'remove-instance',
    ]);
  });

  const drainTimes: Array<{ name: string; deadline: string; startBy: string | undefined; why: RegExp }> = [
    // EC2's two-minute notice: 30 s of pod grace and 10 s of margin before the deadline, the node serves 80 s.
    {
      name: 'a two-minute notice: cordoned now, drained 40 s before its deadline',
      deadline: at(120),
      startBy: at(80),
      why: /cordoned now, it serves until its drain starts by .*:01:20\.000Z \(the deadline less 30s of pod grace and 10s of margin\)/,
    },
    // Azure's and GCP's 30 s: nothing to serve beyond the grace.
    {
      name: 'a 30 s notice: drained at once',
      deadline: at(30),
      startBy: undefined,
      why: /cordoned and drained now \(30s left: no more than the pods' grace and margin, 40s\)/,
    },
  ];
  it.each(drainTimes)('$name', ({ deadline, startBy, why }) => {
    const plan = run([notice({ deadline })]);
    const [drain] = ofType(plan, 'cordon-drain');
    expect(drain?.startBy).toBe(startBy);
    expect(plan.reasons.find((r) => r.code === 'placement.interruption')?.message).toMatch(why);
  });

  it('falls back to on-demand when no other spot offering has room', () => {
    const f = fleet(
      [pool({ id: 'spot-a', capacityType: 'spot', hourlyPrice: 0.3, desired: 2 }), pool({ id: 'od', hourlyPrice: 1 })],
      { placement: { spotShare: 1 } },
    );
    const plan = run([notice({ instanceIds: ['i-1', 'i-2'] })], {}, f);
    expect(targets(plan)).toEqual({ 'spot-a': 0, od: 2 });
    expect(plan.reasons.map((r) => r.code)).toContain('placement.fallback-on-demand');
    expect(ofType(plan, 'cordon-drain')).toHaveLength(2);
  });

  it('does not count a notice twice', () => {
    const state = {
      offeringBackoff: [{ poolId: 'spot-a', until: at(800), reason: 'interrupted' as const }],
      interruptedInstances: [{ instanceId: 'i-1', poolId: 'spot-a', at: at(-60) }],
    };
    // The earlier decision already planned i-1's replacement and drain; the pool still shows desired 3.
    const plan = run([notice({})], { state });
    expect(ofType(plan, 'cordon-drain')).toEqual([]);
    expect(plan.reasons.find((r) => r.code === 'signal.interruption')?.message).toMatch(/1 already handled/);
  });

  it('finds the pool from the zone when the notice carries no pool id', () => {
    const f = fleet(
      [
        pool({
          id: 'spot-a',
          capacityType: 'spot',
          desired: 2,
          location: { region: 'us-east-1', zones: ['us-east-1c'] },
        }),
        pool({ id: 'od', desired: 1, location: { region: 'us-east-1', zones: ['us-east-1c'] } }),
      ],
      { placement: { spotShare: 1 } },
    );
    const plan = run([notice({ poolId: undefined, zone: 'us-east-1c' })], {}, f);
    expect(ofType(plan, 'cordon-drain')[0]).toMatchObject({ poolId: 'spot-a' });
  });

  it('reports a notice it cannot map to a pool', () => {
    const plan = run([notice({ poolId: undefined, zone: 'eu-west-1a' })]);
    expect(ofType(plan, 'report')[0]).toMatchObject({ code: 'interruption.unmapped' });
    expect(ofType(plan, 'set-desired')).toEqual([]);
  });

  describe('read after its node was taken back (gone)', () => {
    // The notice came 60 s after a 30 s deadline: spot-a already counts 2 of its 3 nodes (the group's count
    // went down with the instance, as an Azure scale set's does when it deletes an evicted VM).
    const late = notice({ cloud: 'azure', kind: 'preempt', deadline: at(-60), zone: 'us-east-1a', gone: true });
    const lateFleet = () =>
      fleet(
        [
          pool({ id: 'spot-a', capacityType: 'spot', hourlyPrice: 0.3, desired: 2 }),
          pool({ id: 'spot-b', capacityType: 'spot', hourlyPrice: 0.4, desired: 1 }),
          pool({ id: 'od', hourlyPrice: 1, desired: 0 }),
        ],
        { placement: { spotShare: 1, offeringBackoffSeconds: 900 } },
      );

    it('nothing to drain, remove or lower; the offering backed off from the reclaim, the loss learned', () => {
      const plan = run([late], { demandHistory: [] }, lateFleet());
      expect(ofType(plan, 'cordon-drain')).toEqual([]);
      expect(ofType(plan, 'remove-instance')).toEqual([]);
      expect(ofType(plan, 'report')).toEqual([]);
      // From the deadline (60 s ago) for the 900 s backoff: until 840 s from now.
      expect(ofType(plan, 'mark-offering')).toEqual([
        { type: 'mark-offering', poolId: 'spot-a', zone: 'us-east-1a', until: at(840), reason: 'interrupted' },
      ]);
      expect(plan.reasons.find((r) => r.code === 'placement.interruption-late')?.message).toMatch(
        /instance i-1 of spot-a was taken back by .* before this decision read its notice: its pool no longer counts it \(nothing to drain\); zone us-east-1a backed off, the loss learned/,
      );
      expect(plan.spotRisk?.events).toEqual([expect.objectContaining({ offering: 'spot-a/us-east-1a', nodes: 1 })]);
      // Remembered, so that the same reclaim read again is not learned twice.
      expect(plan.nextState.interruptedInstances).toEqual([
        expect.objectContaining({ instanceId: 'i-1', poolId: 'spot-a', deadline: at(-60) }),
      ]);
      const again = run([{ ...late, eventId: 'ev-2' }], { demandHistory: [], state: plan.nextState }, lateFleet());
      expect(again.reasons.find((r) => r.code === 'signal.interruption')?.message).toMatch(/1 already handled/);
      expect(again.spotRisk?.events).toHaveLength(1);
    });

    it('a backoff that lapsed before the notice was read is not set again; the loss is still learned', () => {
      const plan = run([{ ...late, time: at(-1030), deadline: at(-1000) }], { demandHistory: [] }, lateFleet());
      expect(ofType(plan, 'mark-offering')).toEqual([]);
      expect(plan.spotRisk?.events).toEqual([expect.objectContaining({ offering: 'spot-a/us-east-1a', nodes: 1 })]);
    });

    it("a pool short of the node (its group could not launch the replacement) learns it once, as the pool's loss", () => {
      // The group kept its count of 3 and could not launch the replacement: 2 launched.
      const f = lateFleet();
      f.pools[0] = { ...f.pools[0]!, desired: 3, ready: 2, launched: 2 };
      const plan = run([late], { demandHistory: [] }, f);
      expect(plan.reasons.map((r) => r.code)).toContain('placement.short-of-capacity');
      const events = plan.spotRisk?.events ?? [];
      expect(events.reduce((n, e) => n + e.nodes, 0)).toBe(1);
    });
  });

  it('while paused: hands off (no drain, no replacement), the backoff is still recorded', () => {
    const plan = run([notice({})], { state: { offeringBackoff: [], paused: { by: 'bob', reason: 'incident' } } });
    expect(plan.actions.map((a) => a.type)).toEqual(['mark-offering']);
    expect(plan.suppressedActions.map((a) => a.type)).toEqual(['set-desired', 'cordon-drain', 'remove-instance']);
    // The next state keeps the pause and records the backoff and the interruption (so a repeat is not new).
    expect(plan.nextState).toMatchObject({
      paused: { by: 'bob' },
      offeringBackoff: [{ poolId: 'spot-a', reason: 'interrupted' }],
      interruptedInstances: [{ instanceId: 'i-1', poolId: 'spot-a' }],
    });
  });
});

describe('a node under a notice handled earlier, still there until its removal', () => {
  // The decision on the notice: i-1 of spot-a is drained, then removed; its replacement goes to spot-b.
  const first = run([notice({})]);
  // The next decision, 30 s later: spot-a still shows desired 3 (i-1 in it until its removal), spot-b 2.
  const later = (over: Partial<DecisionInput>, util = 50, afterMs = 30_000) =>
    decide(
      input(
        fleet(
          [
            pool({ id: 'spot-a', capacityType: 'spot', hourlyPrice: 0.3, desired: 3 }),
            pool({ id: 'spot-b', capacityType: 'spot', hourlyPrice: 0.4, desired: 2 }),
            pool({ id: 'od', hourlyPrice: 1, desired: 0 }),
          ],
          { placement: { spotShare: 1, offeringBackoffSeconds: 900 } },
        ),
        { metrics: [{ metric: 'gpu_utilization', value: util }], state: first.nextState, ...over },
      ),
      new Date(T0.getTime() + afterMs),
    );

  it('the decision on the notice records that its removal was planned', () => {
    expect(first.nextState.interruptedInstances).toEqual([
      { instanceId: 'i-1', poolId: 'spot-a', deadline: at(120), at: at(0), removing: true },
    ]);
  });

  it('is not counted as capacity: the fleet has 4 nodes, not 5, and keeps its replacement', () => {
    const plan = later({ stillThere: ['i-1'] });
    expect(plan.currentNodes).toBe(4);
    expect(plan.targetNodes).toBe(4);
    // spot-a keeps i-1 in its count until its removal lowers it: no change to any pool.
    expect(ofType(plan, 'set-desired')).toEqual([]);
    expect(plan.reasons.find((r) => r.code === 'placement.still-leaving')?.message).toMatch(/^spot-a: 1 node/);
    // Scaling in goes from the 4 nodes it has: one of spot-a's others, i-1 still kept in the count.
    expect(ofType(later({ stillThere: ['i-1'] }, 30), 'set-desired')).toEqual([
      expect.objectContaining({ poolId: 'spot-a', from: 3, to: 2 }),
    ]);
  });

  it('taken back before its removal: cancelled in its pool, and not placed again', () => {
    const taken = (afterMs: number) =>
      decide(
        input(
          fleet(
            [
              pool({ id: 'spot-a', capacityType: 'spot', hourlyPrice: 0.3, desired: 3, launched: 2 }),
              pool({ id: 'spot-b', capacityType: 'spot', hourlyPrice: 0.4, desired: 2 }),
              pool({ id: 'od', hourlyPrice: 1, desired: 0 }),
            ],
            { placement: { spotShare: 1, offeringBackoffSeconds: 900 } },
          ),
          { metrics: [{ metric: 'gpu_utilization', value: 50 }], state: first.nextState, stillThere: [] },
        ),
        new Date(T0.getTime() + afterMs),
      );
    // At its deadline the cloud took i-1: spot-a holds 2 of the 3 it was asked for.
    const plan = taken(150_000);
    expect(plan.currentNodes).toBe(4);
    expect(plan.reasons.find((r) => r.code === 'placement.taken-before-removal')?.message).toMatch(/^spot-a: 1 of/);
    expect(ofType(plan, 'set-desired')).toEqual([expect.objectContaining({ poolId: 'spot-a', from: 3, to: 2 })]);
    expect(plan.targetNodes).toBe(4);
    // Past the drain function's timeout after the deadline, a pool still short is short of capacity, as any.
    const late = taken(120_000 + 151_000);
    expect(late.reasons.map((r) => r.code)).not.toContain('placement.taken-before-removal');
    expect(late.currentNodes).toBe(5);
  });

  it.each([
    ['gone from the observation', { stillThere: [] }],
    ['past its deadline', { stillThere: ['i-1'] }, 150_000],
    [
      'whose removal was not planned (a pool that cannot end a chosen instance)',
      {
        stillThere: ['i-1'],
        state: { ...first.nextState, interruptedInstances: [{ instanceId: 'i-1', poolId: 'spot-a', at: at(0) }] },
      },
    ],
  ])('counts as before when %s', (_, over, afterMs = 30_000) => {
    const plan = later(over, 50, afterMs);
    expect(plan.currentNodes).toBe(5);
    expect(plan.reasons.map((r) => r.code)).not.toContain('placement.still-leaving');
  });
});

describe('rebalance recommendation', () => {
  it('replaces the instance without a drain deadline', () => {
    const plan = run([notice({ kind: 'rebalance', deadline: undefined })]);
    expect(ofType(plan, 'replace')).toEqual([
      expect.objectContaining({ instanceId: 'i-1', fromPool: 'spot-a', toPool: 'spot-b' }),
    ]);
    expect(ofType(plan, 'cordon-drain')).toEqual([]);
    expect(ofType(plan, 'set-desired')).toEqual([expect.objectContaining({ poolId: 'spot-b', to: 2 })]);
  });

  it('removes the instance at risk when the fleet needs fewer nodes, and leaves the rest of the scale-in to a decision without a notice', () => {
    // ceil(4 x 35 / 70) = 2: no replacement needed, the instance at risk goes; the other node the metric does
    // not need stays until a decision without a notice (the next tick or alarm) removes it.
    const low = { metrics: [{ metric: 'gpu_utilization', value: 35 }] };
    const plan = run([notice({ kind: 'rebalance', deadline: undefined })], low);
    expect(ofType(plan, 'replace')).toEqual([]);
    expect(ofType(plan, 'cordon-drain')).toEqual([expect.objectContaining({ instanceId: 'i-1' })]);
    expect(ofType(plan, 'remove-instance')).toEqual([expect.objectContaining({ instanceId: 'i-1' })]);
    expect(plan.targetNodes).toBe(3);
    expect(plan.reasons.find((r) => r.code === 'safety.notice-hold')).toMatchObject({ before: 2, after: 3 });
    // Without the notice the same fleet scales in to the 2 it needs.
    expect(run([], low).targetNodes).toBe(2);
  });

  it('scales in no pool on an interruption warning: the node under notice goes, the others wait', () => {
    // The warning takes spot-a's i-1; at 35% the fleet needs 2 of its 4 nodes. The decision keeps the other 3
    // (none of spot-b's goes) and a later one scales in; nothing is replaced, since the 3 hold the need.
    const plan = run([notice({})], { metrics: [{ metric: 'gpu_utilization', value: 35 }] });
    expect(plan.targetNodes).toBe(3);
    expect(targets(plan)).toEqual({ 'spot-a': 2, 'spot-b': 1, od: 0 });
    expect(plan.reasons.some((r) => r.code === 'safety.notice-hold')).toBe(true);
    expect(ofType(plan, 'cordon-drain')).toEqual([expect.objectContaining({ instanceId: 'i-1' })]);
  });
});

describe('maintenance', () => {
  it('drains before a reboot and keeps the node', () => {
    const plan = run([notice({ kind: 'maintenance', action: 'reboot', cloud: 'azure' })]);
    expect(ofType(plan, 'cordon-drain')).toEqual([expect.objectContaining({ instanceId: 'i-1' })]);
    expect(ofType(plan, 'remove-instance')).toEqual([]);
    expect(ofType(plan, 'set-desired')).toEqual([]);
    expect(ofType(plan, 'mark-offering')).toEqual([]);
  });

  it('replaces a node the maintenance terminates, without backing the offering off', () => {
    const plan = run([notice({ kind: 'maintenance', action: 'terminate' })]);
    expect(ofType(plan, 'cordon-drain')).toHaveLength(1);
    expect(ofType(plan, 'remove-instance')).toHaveLength(1);
    expect(ofType(plan, 'mark-offering')).toEqual([]);
    expect(plan.targetNodes).toBe(4);
  });
});

describe('reservations', () => {
  const reserved = (over: Partial<Pool> = {}) =>
    pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, max: 2, reservationId: 'cr-1', ...over });

  it('delivered/active: reserved nodes are added first; the nodes they replace go once they serve', () => {
    const f = { ...spotFleet([reserved()]), policy: { ...spotFleet().policy, metrics: [] } };
    // 30 rps x 1.2 = 36 rps: 4 nodes' worth once the reservation serves.
    const demand = { rps: 30 };
    const first = decide(input(f, { demand, signals: [reservation({ kind: 'delivered' })] }), T0);
    // Nothing is removed while the reserved nodes boot: the ready spot nodes keep serving the demand.
    expect(targets(first)).toEqual({ 'spot-a': 3, 'spot-b': 1, od: 0, res: 2 });
    expect(first.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(['placement.reservation-active', 'safety.not-ready']),
    );
    expect(first.actions.filter((a) => a.type === 'set-desired')).toEqual([
      expect.objectContaining({ poolId: 'res', from: 0, to: 2 }),
    ]);
    // Once they serve, 2 reserved + 2 spot (40 rps) serve 36: two spot nodes go, from the most concentrated
    // pool first (spot-a holds 3 in one zone).
    const served = f.pools.map((p) => (p.id === 'res' ? { ...p, desired: 2, ready: 2 } : p));
    const second = decide(input({ ...f, pools: served }, { demand }), T0);
    expect(targets(second)).toEqual({ 'spot-a': 1, 'spot-b': 1, od: 0, res: 2 });
  });

  it('expiring: the reserved nodes serve until the end, their replacements are placed ahead', () => {
    const plan = run([reservation({ kind: 'expiring', endTime: at(2400) })], {}, spotFleet([reserved({ desired: 2 })]));
    // 6 nodes serve 60 rps at target; without the reservation's 20 rps, 2 nodes are added elsewhere.
    expect(targets(plan)).toMatchObject({ res: 2 });
    expect(plan.targetNodes).toBe(8);
    expect(plan.pools.find((p) => p.poolId === 'res')?.blocked).toMatch(/cr-1 ends/);
    expect(plan.actions.some((a) => a.type === 'set-desired' && a.poolId === 'res')).toBe(false);
  });

  it('underutilized: a report, and capacity moves onto it', () => {
    const plan = run(
      [reservation({ kind: 'underutilized', utilization: 0.25 })],
      {},
      spotFleet([reserved({ desired: 0 })]),
    );
    expect(ofType(plan, 'report')).toEqual([
      expect.objectContaining({ code: 'reservation.underutilized', message: expect.stringMatching(/25% used/) }),
    ]);
    expect(targets(plan).res).toBe(2);
  });

  it('an interruption of reservation instances drains them and replaces them elsewhere', () => {
    const plan = run(
      [reservation({ kind: 'interrupted', instanceIds: ['i-9'], endTime: at(600) })],
      {},
      spotFleet([reserved({ desired: 2 })]),
    );
    expect(ofType(plan, 'cordon-drain')).toEqual([
      expect.objectContaining({ poolId: 'res', instanceId: 'i-9', deadline: at(600) }),
    ]);
    expect(targets(plan).res).toBe(0);
    expect(plan.targetNodes).toBe(6);
  });
});

describe('other signals', () => {
  it('a failed launch backs the pool off for capacity', () => {
    const plan = run([
      {
        type: 'capacity-notice',
        eventId: 'c1',
        source: 'aws.autoscaling',
        time: T0.toISOString(),
        cloud: 'aws',
        kind: 'launch-unsuccessful',
        instanceIds: [],
        poolId: 'spot-a',
      },
    ]);
    expect(ofType(plan, 'mark-offering')).toEqual([
      expect.objectContaining({ poolId: 'spot-a', reason: 'insufficient-capacity' }),
    ]);
    expect(plan.pools.find((p) => p.poolId === 'spot-a')?.blocked).toMatch(/insufficient-capacity/);
  });

  it('ignores signals for another fleet', () => {
    const plan = run([notice({ fleetId: 'other' })]);
    expect(plan.actions).toEqual([]);
    expect(plan.reasons.map((r) => r.code)).toContain('signal.ignored');
    expect(plan.historyEntry.signalIds).toEqual([]);
  });

  it('an operator drain cordons and drains the node without removing it', () => {
    const plan = run([
      {
        type: 'operator-command',
        eventId: 'o1',
        source: 'operator',
        time: T0.toISOString(),
        command: 'drain',
        actor: 'alice',
        node: 'ip-10-0-0-1',
      },
    ]);
    expect(ofType(plan, 'cordon-drain')).toEqual([expect.objectContaining({ node: 'ip-10-0-0-1' })]);
    expect(ofType(plan, 'remove-instance')).toEqual([]);
  });
});

describe('zones named differently from the pool', () => {
  const azureFleet = () =>
    fleet(
      [
        pool({
          id: 'az-spot',
          cloud: 'azure',
          kind: 'azure-vmss',
          capacityType: 'spot',
          hourlyPrice: 0.3,
          desired: 2,
          location: { region: 'eastus', zones: ['1', '2'] },
        }),
        pool({ id: 'od', hourlyPrice: 1, desired: 0 }),
      ],
      { placement: { spotShare: 1, offeringBackoffSeconds: 900 } },
    );

  it("Azure eastus-az2 backs off the pool's zone 2, not a zone no offering has", () => {
    const plan = run(
      [notice({ cloud: 'azure', kind: 'preempt', poolId: 'az-spot', zone: 'eastus-az2' })],
      {},
      azureFleet(),
    );
    expect(ofType(plan, 'mark-offering')).toEqual([expect.objectContaining({ poolId: 'az-spot', zone: '2' })]);
  });

  it('a notice without a pool finds the only spot pool of its zone under either spelling', () => {
    const plan = run(
      [notice({ cloud: 'azure', kind: 'preempt', poolId: undefined, zone: 'eastus-az1' })],
      {},
      azureFleet(),
    );
    expect(ofType(plan, 'cordon-drain')).toEqual([expect.objectContaining({ poolId: 'az-spot' })]);
  });

  it("a notice without a pool is not matched to another cloud's pool (an AWS zone id reads as an Azure zone number)", () => {
    const plan = run([notice({ cloud: 'aws', poolId: undefined, zone: 'use1-az1' })], {}, azureFleet());
    expect(ofType(plan, 'cordon-drain')).toEqual([]);
    expect(ofType(plan, 'mark-offering')).toEqual([]);
    expect(plan.actions.some((a) => a.type === 'report' && a.code === 'interruption.unmapped')).toBe(true);
  });

  it('an AWS zone id the pool cannot map backs the whole pool off, saying why', () => {
    const plan = run([notice({ zone: 'use1-az6' })]);
    expect(ofType(plan, 'mark-offering')).toEqual([expect.objectContaining({ poolId: 'spot-a', zone: undefined })]);
    expect(plan.reasons.map((r) => r.code)).toContain('placement.zone-unknown');
  });
});

describe('implausible notice times are refused with the reason', () => {
  // T0 is the decision's now; each case would otherwise drain and remove a healthy instance.
  it.each([
    [
      'a spot warning dated 1970',
      { time: '1970-01-01T00:00:00.000Z', deadline: '1970-01-01T00:02:00.000Z' },
      'more than 6 hours ago',
    ],
    [
      'a Preempt whose deadline is in 9999',
      { kind: 'preempt' as const, cloud: 'azure' as const, deadline: '9999-12-31T23:59:59.000Z' },
      'minutes after the notice',
    ],
    ['a notice dated tomorrow', { time: at(86_400), deadline: at(86_520) }, 'in the future'],
    ['a deadline long before the notice', { deadline: at(-3600) }, 'before the notice itself'],
  ])('%s', (_, over, why) => {
    const plan = run([notice(over)]);
    expect(ofType(plan, 'cordon-drain')).toEqual([]);
    expect(ofType(plan, 'mark-offering')).toEqual([]);
    const refused = plan.reasons.find((r) => r.code === 'signal.implausible');
    expect(refused?.message).toContain(why);
  });

  it.each([
    ['a spot warning delivered 5 hours late (Lambda retries)', { time: at(-5 * 3600), deadline: at(-5 * 3600 + 120) }],
    ['an Azure Reboot 15 minutes ahead', { kind: 'maintenance' as const, cloud: 'azure' as const, deadline: at(900) }],
    ['a notice 2 minutes ahead of our clock', { time: at(120), deadline: at(240) }],
  ])('%s is acted on', (_, over) => {
    const plan = run([notice(over)]);
    expect(plan.reasons.map((r) => r.code)).not.toContain('signal.implausible');
    expect(ofType(plan, 'cordon-drain')).toHaveLength(1);
  });

  it('a reservation interruption ending in 9999 is refused', () => {
    const plan = run([reservation({ kind: 'interrupted', instanceIds: ['i-1'], endTime: '9999-01-01T00:00:00.000Z' })]);
    expect(ofType(plan, 'cordon-drain')).toEqual([]);
    expect(plan.reasons.map((r) => r.code)).toContain('signal.implausible');
  });
});
