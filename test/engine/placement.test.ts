/**
 * Placement of the fleet's nodes over its pools: reserved first, cheapest per unit of throughput, the
 * on-demand base and spot share (Azure Spot Priority Mix), spot spread per pool and zone, offering backoff
 * with on-demand as the fallback, per-pool and per-cloud maxima, allowed clouds, and scale-in order.
 * The fleet size is driven by a manual target so that each test is about placement only.
 */
import { describe, expect, it } from 'vitest';
import type { CapacityReservation } from '../../shared/domain/ports.ts';
import type { OperatorCommandSignal, ReservationChangeSignal } from '../../shared/domain/signals.ts';
import type { Pool } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import type { DecisionInput } from '../../shared/engine/types.ts';
import { at, fleet, input, pool, T0 } from './fixtures.ts';

const scaleTo = (target: number): OperatorCommandSignal => ({
  type: 'operator-command',
  eventId: `scale-${target}`,
  source: 'operator',
  time: T0.toISOString(),
  command: 'scale',
  actor: 'alice',
  target,
});

type Policy = Parameters<typeof fleet>[1];
function place(pools: Pool[], target: number, over: Policy = {}, extra: Partial<DecisionInput> = {}) {
  const plan = decide(input(fleet(pools, over), { signals: [scaleTo(target)], ...extra }), T0);
  return { plan, counts: Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target])) };
}
const spot = (id: string, over: Partial<Pool> = {}) => pool({ id, capacityType: 'spot', hourlyPrice: 0.4, ...over });

describe('reserved capacity first', () => {
  it('fills an active reservation before cheaper-looking pools', () => {
    const { counts, plan } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, max: 4, reservationId: 'cr-1' }),
        spot('spot', { hourlyPrice: 0.1 }),
      ],
      6,
      { placement: { spotShare: 1 } },
    );
    expect(counts).toEqual({ res: 4, spot: 2 });
    // Free reserved capacity is taken as soon as it is usable, before the count is placed.
    expect(plan.reasons.map((r) => r.code)).toContain('placement.reservation-active');
  });

  it('takes only the room the reservation has left', () => {
    const reservations: CapacityReservation[] = [
      {
        id: 'cr-1',
        cloud: 'aws',
        type: 'odcr',
        instanceType: 'g5.xlarge',
        zone: 'us-east-1a',
        total: 8,
        available: 2,
        state: 'active',
      },
    ];
    // 1 running on it + 2 available = 3 (the other 5 are used by someone else).
    const { counts } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 1, reservationId: 'cr-1' }),
        pool({ id: 'od' }),
      ],
      6,
      {},
      { reservations },
    );
    expect(counts).toEqual({ res: 3, od: 3 });
  });

  it('does not use a reservation not active yet, and moves nodes off it', () => {
    const reservations: CapacityReservation[] = [
      {
        id: 'cr-1',
        cloud: 'aws',
        type: 'capacity-block',
        instanceType: 'p5.48xlarge',
        zone: 'us-east-1a',
        total: 4,
        available: 0,
        state: 'scheduled',
      },
    ];
    const { counts, plan } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
        pool({ id: 'od' }),
      ],
      4,
      {},
      { reservations },
    );
    expect(counts).toEqual({ res: 0, od: 4 });
    expect(plan.pools.find((p) => p.poolId === 'res')?.blocked).toMatch(/cr-1/);
    expect(plan.reasons.find((r) => r.code === 'placement.reservation-unusable')?.message).toMatch(
      /4 node\(s\) move off/,
    );
  });

  /**
   * A capacity block whose capacity ends at `capacityEnd` (seconds from now): its end date, as EC2 lists it, is
   * 30 minutes later (EC2 terminates a block's instances from 30 minutes before its end date).
   */
  const ending = (capacityEnd: number, type = 'capacity-block'): CapacityReservation[] => [
    {
      id: 'cr-1',
      cloud: 'aws',
      type,
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 4,
      available: 0,
      state: 'active',
      endTime: at(capacityEnd + (type === 'capacity-block' ? 1800 : 0)),
    },
  ];

  it('keeps the nodes of a reservation about to end until its end, and places their replacements ahead', () => {
    // Time to ready 300 s + 600 s margin: an end within 15 minutes is "about to end". The 4 reserved nodes
    // are paid and serve until then; the operator's 4 nodes are lasting ones, so 4 on-demand come on top.
    const { counts, plan } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
        pool({ id: 'od' }),
      ],
      4,
      {},
      { reservations: ending(14 * 60) },
    );
    expect(counts).toEqual({ res: 4, od: 4 });
    expect(plan.actions.filter((a) => a.type === 'set-desired')).toEqual([
      expect.objectContaining({ poolId: 'od', from: 0, to: 4 }),
    ]);
    expect(plan.pools.find((p) => p.poolId === 'res')?.blocked).toMatch(/cr-1 ends/);
    expect(plan.reasons.find((r) => r.code === 'placement.reservation-expiring')?.message).toMatch(
      /4 node\(s\) serve until then/,
    );
  });

  it('does not count an ending reservation as capacity for the demand', () => {
    // 100 rps x 1.2 = 120 rps: the reserved nodes (40 rps) end within the horizon, so 12 on-demand nodes.
    const plan = decide(
      input(
        fleet(
          [
            pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
            pool({ id: 'od', desired: 8 }),
          ],
          { metrics: [] },
        ),
        { demand: { rps: 100 }, reservations: ending(14 * 60) },
      ),
      T0,
    );
    expect(Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]))).toEqual({ res: 4, od: 12 });
  });

  it('moves off a reservation once it has ended', () => {
    const { counts, plan } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, ready: 0, reservationId: 'cr-1' }),
        pool({ id: 'od', desired: 4 }),
      ],
      4,
      {},
      { reservations: ending(-60) },
    );
    expect(counts).toEqual({ res: 0, od: 4 });
    expect(plan.reasons.find((r) => r.code === 'placement.reservation-ended')?.message).toMatch(/4 node\(s\) move off/);
  });

  it('keeps using a reservation that ends after the horizon', () => {
    const reservations: CapacityReservation[] = [
      {
        id: 'cr-1',
        cloud: 'aws',
        type: 'capacity-block',
        instanceType: 'p5.48xlarge',
        zone: 'us-east-1a',
        total: 4,
        available: 0,
        state: 'active',
        // Its capacity ends in 16 minutes, 30 minutes before its end date.
        endTime: at(16 * 60 + 1800),
      },
    ];
    const { counts } = place(
      [
        pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
        pool({ id: 'od' }),
      ],
      4,
      {},
      { reservations },
    );
    expect(counts).toEqual({ res: 4, od: 0 });
  });

  it("ends a capacity block's capacity 30 minutes before its end date; an ODCR's at its end date", () => {
    const pools = () => [
      pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
      pool({ id: 'od' }),
    ];
    const endDate = (seconds: number, type: string): CapacityReservation[] => [
      { ...ending(0)[0]!, type, endTime: at(seconds) },
    ];
    // End date in 40 minutes: the block's instances go in 10 (within the 15-minute horizon): ending, its 4
    // nodes replaced ahead; an ODCR with the same end date lasts past the horizon and keeps its nodes.
    const block = place(pools(), 4, {}, { reservations: endDate(40 * 60, 'capacity-block') });
    expect(block.counts).toEqual({ res: 4, od: 4 });
    expect(block.plan.pools.find((p) => p.poolId === 'res')?.blocked).toMatch(
      /cr-1 ends .*capacity block: its instances are terminated from 30 minutes before its end date/,
    );
    expect(place(pools(), 4, {}, { reservations: endDate(40 * 60, 'odcr') }).counts).toEqual({ res: 4, od: 0 });
    // The 30 minutes are EC2's: an Azure block reservation ending in 20 minutes is beyond the horizon.
    const azure = [{ ...pools()[0]!, cloud: 'azure' as const }, pools()[1]!];
    const azureBlock = [{ ...endDate(20 * 60, 'capacity-block')[0]!, cloud: 'azure' as const }];
    expect(place(azure, 4, {}, { reservations: azureBlock }).counts).toEqual({ res: 4, od: 0 });
    // End date in 20 minutes: the block's instances are being terminated: its nodes are gone, they move off.
    const gone = place(pools(), 4, {}, { reservations: endDate(20 * 60, 'capacity-block') });
    expect(gone.counts).toEqual({ res: 0, od: 4 });
    expect(gone.plan.reasons.find((r) => r.code === 'placement.reservation-ended')?.message).toMatch(/move off/);
    // The expiration warning's end date counts the same way, the listing aside.
    const warning: ReservationChangeSignal = {
      type: 'reservation-change',
      eventId: 'rv-1',
      source: 'aws.ec2',
      time: T0.toISOString(),
      cloud: 'aws',
      kind: 'expiring',
      reservationIds: ['cr-1'],
      reservationType: 'capacity-block',
      endTime: at(20 * 60),
    };
    // Without a listing, the warning's type says it: an end date in 20 minutes (a warning delivered late) is a
    // capacity gone 10 minutes ago, and the nodes move off; a reservation of no stated type would be ending.
    const targets = (signal: ReservationChangeSignal) =>
      Object.fromEntries(
        decide(input(fleet(pools()), { signals: [scaleTo(4), signal] }), T0).pools.map((p) => [p.poolId, p.target]),
      );
    expect(targets(warning)).toEqual({ res: 0, od: 4 });
    const { reservationType: _t, ...untyped } = warning;
    expect(targets(untyped)).toEqual({ res: 4, od: 4 });
  });
});

describe('an On-Demand Capacity Reservation outlives its end (its instances run on at on-demand rates)', () => {
  const odcr = (over: Partial<CapacityReservation>): CapacityReservation[] => [
    {
      id: 'cr-1',
      cloud: 'aws',
      type: 'odcr',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 4,
      available: 0,
      state: 'active',
      ...over,
    },
  ];
  const pools = () => [
    pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 4, reservationId: 'cr-1' }),
    pool({ id: 'od' }),
  ];

  it('replaces nothing ahead of its end', () => {
    const { counts, plan } = place(pools(), 4, {}, { reservations: odcr({ endTime: at(5 * 60) }) });
    expect(counts).toEqual({ res: 4, od: 0 });
    expect(plan.reasons.map((r) => r.code)).not.toContain('placement.reservation-expiring');
  });

  it.each([
    ['its end passed', { endTime: at(-60), state: 'expired' }],
    ['cancelled', { state: 'cancelled' }],
  ] as const)('once %s, keeps its nodes, adds none, and a scale-in takes them first', (_, over) => {
    const kept = place(pools(), 4, {}, { reservations: odcr(over) });
    expect(kept.counts).toEqual({ res: 4, od: 0 });
    expect(kept.plan.reasons.find((r) => r.code === 'placement.reservation-lapsed')?.message).toMatch(
      /its instances run on as on-demand; its 4 node\(s\) stay, none is added/,
    );
    expect(place(pools(), 6, {}, { reservations: odcr(over) }).counts).toEqual({ res: 4, od: 2 });
    // With 2 on-demand nodes beside them, a scale-in to 4 takes 2 of the lapsed reservation's.
    const [res, od] = pools();
    const both = [res!, { ...od!, desired: 2, ready: 2 }];
    expect(place(both, 4, {}, { reservations: odcr(over) }).counts).toEqual({ res: 2, od: 2 });
  });

  it('prices the nodes of a lapsed one at on-demand rates (the plan, its cost, the reason)', () => {
    const [res, od] = pools();
    const priced = [{ ...res!, onDemandHourlyPrice: 55 }, od!];
    const { plan } = place(priced, 4, {}, { reservations: odcr({ state: 'expired', endTime: at(-60) }) });
    expect(plan.pools.find((p) => p.poolId === 'res')?.hourlyPrice).toBe(55);
    expect(plan.costPerHour).toBeCloseTo(4 * 55, 9);
    expect(plan.currentCostPerHour).toBeCloseTo(4 * 55, 9);
    expect(plan.reasons.find((r) => r.code === 'placement.reservation-lapsed')?.message).toMatch(
      /they run at the on-demand price, \$55\.00\/h each/,
    );
    // While it is active they cost what is configured (already paid: 0).
    const active = place(priced, 4, {}, { reservations: odcr({}) }).plan;
    expect(active.pools.find((p) => p.poolId === 'res')?.hourlyPrice).toBe(0);
    expect(active.costPerHour).toBe(0);
  });

  it('an interrupted one (an interruptible reservation reclaimed) takes its nodes: they move off', () => {
    const interrupted: ReservationChangeSignal = {
      type: 'reservation-change',
      eventId: 'rv-1',
      source: 'aws.ec2',
      time: T0.toISOString(),
      cloud: 'aws',
      kind: 'interrupted',
      reservationIds: ['cr-1'],
    };
    const plan = decide(input(fleet(pools()), { signals: [scaleTo(4), interrupted], reservations: odcr({}) }), T0);
    expect(Object.fromEntries(plan.pools.map((p) => [p.poolId, p.target]))).toEqual({ res: 0, od: 4 });
  });
});

describe('cheapest per unit of throughput', () => {
  it('prefers $/h per rps over $/h per node', () => {
    // h100: $8/h for 200 rps = $0.04 per rps; a10: $1/h for 10 rps = $0.10 per rps.
    const { counts } = place(
      [
        pool({ id: 'a10', hourlyPrice: 1, rpsPerNode: 10, max: 10 }),
        pool({ id: 'h100', hourlyPrice: 8, rpsPerNode: 200, max: 2 }),
      ],
      5,
    );
    expect(counts).toEqual({ a10: 3, h100: 2 });
  });

  it('breaks ties by pool id, deterministically', () => {
    const { counts } = place([pool({ id: 'b' }), pool({ id: 'a' })], 3);
    expect(counts).toEqual({ b: 0, a: 3 });
  });
});

describe('on-demand base and spot share (Azure Spot Priority Mix)', () => {
  it.each([
    // Base 2 regular; of the 8 above it, 50% spot -> 4 spot, 6 on-demand.
    { n: 10, base: 2, share: 0.5, spot: 4, od: 6 },
    // 7 above the base: floor(3.5) = 3 spot (rounding favours on-demand).
    { n: 9, base: 2, share: 0.5, spot: 3, od: 6 },
    // Below the base: all on-demand.
    { n: 2, base: 3, share: 1, spot: 0, od: 2 },
    // No base, all spot.
    { n: 5, base: 0, share: 1, spot: 5, od: 0 },
  ])('$n nodes, base $base, share $share -> $spot spot, $od on-demand', ({ n, base, share, spot: s, od }) => {
    const { counts } = place([spot('spot', { hourlyPrice: 0.3 }), pool({ id: 'od' })], n, {
      placement: { onDemandBase: base, spotShare: share },
    });
    expect(counts).toEqual({ spot: s, od });
  });

  it('counts reserved nodes as regular capacity for the base', () => {
    // 3 reserved cover the base of 2; the 3 nodes above max(base, reserved) are 2/3 spot -> 2 spot, 1 od.
    const { counts } = place(
      [pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, max: 3 }), spot('spot'), pool({ id: 'od' })],
      6,
      { placement: { onDemandBase: 2, spotShare: 2 / 3 } },
    );
    expect(counts).toEqual({ res: 3, spot: 2, od: 1 });
  });
});

describe('spot spread over pools and zones (at most ceil(share x spot) per pool-zone, at least 1)', () => {
  const pools = () => [
    spot('s1', { hourlyPrice: 0.3 }),
    spot('s2', { hourlyPrice: 0.4 }),
    spot('s3', { hourlyPrice: 0.5, location: { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] } }),
    pool({ id: 'od', hourlyPrice: 1 }),
  ];

  it('keeps at most ceil(maxSpotSharePerZone x spot) per pool and zone', () => {
    // 8 spot at 25% per zone: at most 2 per zone; s3 has two zones, so 4.
    const { counts } = place(pools(), 8, { placement: { spotShare: 1, maxSpotSharePerZone: 0.25 } });
    expect(counts).toEqual({ s1: 2, s2: 2, s3: 4, od: 0 });
  });

  it('shares spot evenly, and puts what the spread cannot hold on on-demand', () => {
    // Two one-zone spot pools at 50%: each may hold ceil(0.5 x spot), so they share 6 evenly, 3 + 3.
    const { counts } = place(
      [spot('s1', { hourlyPrice: 0.3 }), spot('s2', { hourlyPrice: 0.4 }), pool({ id: 'od' })],
      6,
      { placement: { spotShare: 1, maxSpotSharePerZone: 0.5 } },
    );
    expect(counts).toEqual({ s1: 3, s2: 3, od: 0 });
    // A single spot pool at 50%: the first spot node is allowed (ceil(0.5) = 1), a second would be 100% in one zone.
    const single = place([spot('s1'), pool({ id: 'od' })], 4, {
      placement: { spotShare: 1, maxSpotSharePerZone: 0.5 },
    });
    expect(single.counts).toEqual({ s1: 1, od: 3 });
    expect(single.plan.reasons.map((r) => r.code)).toContain('placement.fallback-on-demand');
  });
});

describe('offering backoff', () => {
  const backoff = (until: string, zone?: string) => ({
    offeringBackoff: [{ poolId: 'spot-a', zone, until, reason: 'interrupted' as const }],
  });

  it('skips a backed-off offering and falls back to on-demand', () => {
    const pools = [spot('spot-a', { desired: 2 }), pool({ id: 'od', desired: 0 })];
    const { counts, plan } = place(pools, 5, { placement: { spotShare: 1 } }, { state: backoff(at(300)) });
    // spot-a keeps its 2 but may not grow: 3 more on on-demand.
    expect(counts).toEqual({ 'spot-a': 2, od: 3 });
    expect(plan.pools.find((p) => p.poolId === 'spot-a')?.blocked).toMatch(/backed off/);
    expect(plan.reasons.map((r) => r.code)).toContain('placement.fallback-on-demand');
  });

  it('uses the offering again once the backoff lapsed', () => {
    const { counts } = place(
      [spot('spot-a', { desired: 2 }), pool({ id: 'od' })],
      5,
      { placement: { spotShare: 1 } },
      { state: backoff(at(-1)) },
    );
    expect(counts).toEqual({ 'spot-a': 5, od: 0 });
  });

  it('a zone backoff on a multi-zone pool still lets it grow elsewhere, with a narrower spread', () => {
    const pools = [
      spot('spot-a', { hourlyPrice: 0.3, location: { region: 'us-east-1', zones: ['a', 'b'] } }),
      spot('spot-b', { location: { region: 'us-east-1', zones: ['c'] } }),
      pool({ id: 'od' }),
    ];
    const policy = { placement: { spotShare: 1, maxSpotSharePerZone: 0.5 } };
    // 4 spot at 50% per zone: at most 2 per zone. spot-a is cheaper and spans two zones: all 4.
    expect(place(pools, 4, policy).counts).toEqual({ 'spot-a': 4, 'spot-b': 0, od: 0 });
    // Zone a backed off: spot-a counts one zone, so 2 there and 2 in spot-b.
    expect(place(pools, 4, policy, { state: backoff(at(300), 'a') }).counts).toEqual({
      'spot-a': 2,
      'spot-b': 2,
      od: 0,
    });
  });

  it('moves off the backed-off pool first on a scale-in', () => {
    const pools = [spot('spot-a', { desired: 3, hourlyPrice: 0.2 }), spot('spot-b', { desired: 3, hourlyPrice: 0.4 })];
    const { counts } = place(pools, 4, { placement: { spotShare: 1 } }, { state: backoff(at(300)) });
    expect(counts).toEqual({ 'spot-a': 1, 'spot-b': 3 });
  });
});

describe('pool and cloud limits', () => {
  it('respects per-cloud maxima', () => {
    const pools = [
      pool({ id: 'aws', hourlyPrice: 0.5 }),
      pool({ id: 'az', cloud: 'azure', kind: 'azure-vmss', hourlyPrice: 0.8 }),
    ];
    const { counts, plan } = place(pools, 6, { placement: { maxPerCloud: { aws: 4 } } });
    expect(counts).toEqual({ aws: 4, az: 2 });
    // A fleet already above the cloud maximum comes down to it.
    const over = place(
      [pool({ id: 'aws', desired: 6 }), pool({ id: 'az', cloud: 'azure', kind: 'azure-vmss', hourlyPrice: 2 })],
      6,
      { placement: { maxPerCloud: { aws: 4 } } },
    );
    expect(over.counts).toEqual({ aws: 4, az: 2 });
    expect(over.plan.reasons.map((r) => r.code)).toContain('limit.cloud-max');
    expect(plan.targetNodes).toBe(6);
  });

  it('moves nodes off clouds the policy does not allow', () => {
    const pools = [
      pool({ id: 'aws', desired: 2 }),
      pool({ id: 'gcp', cloud: 'gcp', kind: 'gcp-mig', desired: 2, hourlyPrice: 0.1 }),
    ];
    const { counts } = place(pools, 4, { placement: { allowedClouds: ['aws'] } });
    expect(counts).toEqual({ aws: 4, gcp: 0 });
  });

  it('respects each pool min and max', () => {
    const pools = [pool({ id: 'a', min: 2, max: 3, hourlyPrice: 0.5 }), pool({ id: 'b', hourlyPrice: 1 })];
    expect(place(pools, 6).counts).toEqual({ a: 3, b: 3 });
    expect(place(pools, 1).counts).toEqual({ a: 2, b: 0 });
  });

  it('places Kubernetes pools like any other, by price per throughput', () => {
    const pools = [
      pool({ id: 'deploy', cloud: 'kubernetes', kind: 'k8s-deployment', hourlyPrice: 0.9, rpsPerNode: 10, max: 2 }),
      pool({ id: 'karpenter', cloud: 'kubernetes', kind: 'karpenter-nodepool', hourlyPrice: 1.5, rpsPerNode: 10 }),
    ];
    expect(place(pools, 5).counts).toEqual({ deploy: 2, karpenter: 3 });
  });
});

describe('scale-in order', () => {
  it('removes on-demand before reserved, most expensive per throughput first', () => {
    const pools = [
      // A reservation of 2, full: nothing to add onto it.
      pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 2, max: 2 }),
      pool({ id: 'od-cheap', hourlyPrice: 1, desired: 2 }),
      pool({ id: 'od-dear', hourlyPrice: 2, desired: 2 }),
    ];
    expect(place(pools, 3).counts).toEqual({ res: 2, 'od-cheap': 1, 'od-dear': 0 });
  });

  it('removes spot while there is more than the mix wants, from the most concentrated pool', () => {
    const pools = [
      spot('s1', { desired: 4, hourlyPrice: 0.2 }),
      spot('s2', { desired: 1, hourlyPrice: 0.4 }),
      pool({ id: 'od', desired: 5 }),
    ];
    // 10 -> 8 with 50% spot above a base of 0: spot 5 -> 4, od 5 -> 4; the spot node comes from s1 (4 in one zone).
    expect(place(pools, 8, { placement: { spotShare: 0.5 } }).counts).toEqual({ s1: 3, s2: 1, od: 4 });
  });

  it('removes spot within the mix before reserved capacity (already paid)', () => {
    const pools = [
      pool({ id: 'res', capacityType: 'reserved', hourlyPrice: 0, desired: 2, max: 2 }),
      spot('s', { desired: 1 }),
      pool({ id: 'od', desired: 3, min: 3 }),
    ];
    // 6 -> 5 with 50% spot above a base of 0: 1 spot is below the 1 the mix allows at 5 (floor(5 x 0.5) = 2),
    // the on-demand pool is at its min: the spot node goes, not a reserved one.
    expect(place(pools, 5, { placement: { spotShare: 0.5 } }).counts).toEqual({ res: 2, s: 0, od: 3 });
  });
});
