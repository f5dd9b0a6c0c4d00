/**
 * Properties of the hourly budget cut (budget.ts) over random placement paths, and of the reservation view
 * (reservations.ts) over random reservations, listings and reservation notices.
 *
 * The budget: the plan never costs more per hour than the budget unless the floor alone does (then the floor is
 * kept and the cut says `unmet`); the count kept is the largest on the path that fits, so more demand (or more
 * budget) never buys fewer nodes; the cut states what it removed and what it cost. The reservation view: one
 * state at a time (usable, ending, ended, lapsed or not usable), the latest notice wins, a reservation only ever
 * moves towards its end as time passes, a Capacity Block's capacity ends 30 minutes before its end date, and an
 * On-Demand Capacity Reservation's nodes outlive it. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityReservation } from '../../shared/domain/ports.ts';
import type { ReservationChangeKind } from '../../shared/domain/signals.ts';
import type { Cloud, PlacementPolicy, Pool } from '../../shared/domain/types.ts';
import { buildBaseline } from '../../shared/engine/baseline.ts';
import { applyBudget } from '../../shared/engine/budget.ts';
import { CAPACITY_BLOCK_RECLAIM_SECONDS } from '../../shared/engine/defaults.ts';
import { PlacementPath } from '../../shared/engine/placement-path.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { type ReservationView, reservationView } from '../../shared/engine/reservations.ts';
import type { ReservationNotice } from '../../shared/engine/signals.ts';
import { at, fleet, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
/** budget.ts compares costs with this absolute tolerance. */
const EPSILON = 1e-9;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('applyBudget: the hourly budget cut', () => {
  const poolArb = (i: number): fc.Arbitrary<Pool> =>
    fc
      .record({
        cloud: fc.constantFrom<Cloud>('aws', 'azure'),
        capacityType: fc.constantFrom('spot', 'on-demand', 'reserved' as const),
        hourlyPrice: fc.oneof(fc.constantFrom(0, 0.5, 1, 2, 3), fc.double({ min: 0, max: 10, noNaN: true })),
        rpsPerNode: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 0.5, 2.5)),
        min: fc.integer({ min: 0, max: 2 }),
        span: fc.integer({ min: 0, max: 12 }),
        desired: fc.integer({ min: 0, max: 14 }),
        zones: fc.integer({ min: 1, max: 3 }),
        priority: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
      })
      .map((r) =>
        pool({
          id: `p${i}`,
          cloud: r.cloud,
          kind: r.cloud === 'aws' ? 'auto-scaling-group' : 'azure-vmss',
          location: { region: 'r1', zones: ['z-a', 'z-b', 'z-c'].slice(0, r.zones) },
          capacityType: r.capacityType,
          hourlyPrice: r.hourlyPrice,
          rpsPerNode: r.rpsPerNode,
          min: r.min,
          max: r.min + r.span,
          desired: r.desired,
          ...(r.priority !== undefined ? { priority: r.priority } : {}),
        }),
      );
  const placementArb: fc.Arbitrary<PlacementPolicy> = fc.record({
    onDemandBase: fc.integer({ min: 0, max: 4 }),
    spotShare: fc.oneof(fc.constantFrom(0, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    maxSpotSharePerZone: fc.oneof(fc.constant(1), fc.double({ min: 0.2, max: 1, noNaN: true })),
    offeringBackoffSeconds: fc.constant(600),
    maxPerCloud: fc.option(fc.record({ aws: fc.integer({ min: 0, max: 30 }) }), { nil: undefined, freq: 2 }),
  });
  /** A placement path from a baseline `decide` would build (reserved pools on free capacity, pool limits). */
  const pathArb = fc
    .integer({ min: 1, max: 5 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i))))
    .chain((pools) => fc.tuple(fc.constant(pools), placementArb, fc.integer({ min: 0, max: 60 })))
    .map(([pools, placement, fillUpTo]) => {
      const baseline = buildBaseline(
        {
          fleet: fleet(pools, { placement }),
          leaving: new Map(),
          backoffs: [],
          reservationNotices: [],
          reservationHorizonSeconds: 900,
          fillUpTo,
          now: T0.getTime(),
        },
        new Reasons(),
      );
      const path = new PlacementPath(baseline);
      return { path, bottom: path.reach(Number.NEGATIVE_INFINITY), top: path.reach(Number.POSITIVE_INFINITY) };
    });
  type Walked = typeof pathArb extends fc.Arbitrary<infer T> ? T : never;
  /** A budget: any, or exactly what some count costs (nudged or not), or none. */
  const budgetArb = fc.oneof(
    fc.constant(undefined),
    fc.double({ min: 0, max: 120, noNaN: true }),
    fc.record({ k: fc.nat(80), nudge: fc.constantFrom(1, 1 - 1e-12, 1 + 1e-12, 0.99) }),
  );
  const budgetOf = (w: Walked, b: number | { k: number; nudge: number } | undefined) =>
    b === undefined || typeof b === 'number' ? b : w.path.costAt(b.k) * b.nudge;
  /** The count the budget is applied to: one the path places (decide clips to `path.reach` first). */
  const countOf = (w: Walked, raw: number) => w.path.reach(raw);

  it('never costs more than the budget unless the floor alone does, and keeps the largest count that fits', () => {
    fc.assert(
      fc.property(pathArb, fc.nat(80), fc.nat(40), budgetArb, (w, raw, lo, b) => {
        const { path, bottom } = w;
        const x = countOf(w, raw);
        const budget = budgetOf(w, b);
        const reasons = new Reasons();
        const { nodes, cut } = applyBudget(path, x, lo, budget, reasons);
        const fits = (n: number) => budget === undefined || path.costAt(n) <= budget + EPSILON;
        expect(nodes).toBeLessThanOrEqual(x);
        if (fits(x)) {
          // Within the budget: nothing changes, nothing is said.
          expect(nodes).toBe(x);
          expect(cut).toBeUndefined();
          expect(reasons.list).toEqual([]);
          return;
        }
        expect(cut).toBeDefined();
        // The floor: `lo`, or the fewest nodes the path places when that is more; never below it.
        const floor = Math.min(x, Math.max(lo, bottom));
        expect(nodes).toBeGreaterThanOrEqual(floor);
        if (cut?.unmet) {
          // Even the floor costs more than the budget: the floor is kept.
          expect(fits(floor)).toBe(false);
          expect(nodes).toBe(floor);
        } else {
          expect(fits(nodes)).toBe(true);
          // The largest count that fits (costs grow with the count).
          if (nodes < x) expect(fits(nodes + 1)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('more demand or more budget never buys fewer nodes', () => {
    fc.assert(
      fc.property(pathArb, fc.nat(80), fc.nat(80), fc.nat(40), budgetArb, budgetArb, (w, a, b, lo, p, q) => {
        const [x1, x2] = [countOf(w, a), countOf(w, b)].sort((m, n) => m - n);
        const budget = budgetOf(w, p);
        const nodes = (x: number, usd: number | undefined) => applyBudget(w.path, x, lo, usd, new Reasons()).nodes;
        expect(nodes(x2, budget)).toBeGreaterThanOrEqual(nodes(x1, budget));
        const other = budgetOf(w, q);
        if (budget === undefined || other === undefined) return;
        const [small, large] = [budget, other].sort((m, n) => m - n);
        expect(nodes(x2, large)).toBeGreaterThanOrEqual(nodes(x2, small));
      }),
      RUNS,
    );
  });

  it('the cut states the nodes and cost before and after, what it removed, and says so in the reasons', () => {
    fc.assert(
      fc.property(pathArb, fc.nat(80), fc.nat(40), budgetArb, (w, raw, lo, b) => {
        const { path } = w;
        const x = countOf(w, raw);
        const budget = budgetOf(w, b);
        const reasons = new Reasons();
        const { nodes, cut } = applyBudget(path, x, lo, budget, reasons);
        if (!cut) return;
        expect(cut.budgetUsd).toBe(budget);
        expect(cut.nodesBefore).toBe(x);
        expect(cut.nodesAfter).toBe(nodes);
        expect(close(cut.costBefore, path.costAt(x))).toBe(true);
        expect(close(cut.costAfter, path.costAt(nodes))).toBe(true);
        expect(cut.unmet).toBe(path.costAt(nodes) > cut.budgetUsd + EPSILON);
        // What it removed: the pools' nodes between the two layouts of the path, at their prices.
        const before = path.at(x);
        const after = path.at(nodes);
        expect(new Set(cut.removed.map((r) => r.poolId)).size).toBe(cut.removed.length);
        for (const r of cut.removed) {
          const i = before.indexOf(r.poolId);
          expect(r.nodes).toBeGreaterThan(0);
          expect(r.nodes).toBe(before.counts[i] - after.counts[i]);
          expect(r.hourlyPrice).toBe(before.slots[i].pool.hourlyPrice);
        }
        // Listed as its doc says: the most expensive node first (then by pool id).
        for (let k = 1; k < cut.removed.length; k++)
          expect(cut.removed[k].hourlyPrice).toBeLessThanOrEqual(cut.removed[k - 1].hourlyPrice);
        expect(sum(cut.removed.map((r) => r.nodes))).toBe(x - nodes);
        expect(close(sum(cut.removed.map((r) => r.nodes * r.hourlyPrice)), cut.costBefore - cut.costAfter)).toBe(true);
        const said = reasons.list.find((r) => r.code === 'safety.budget');
        expect(said).toMatchObject({ kind: 'safety', before: x, after: nodes, clippedBy: 'safety.hourlyBudgetUsd' });
        expect(reasons.has('safety.budget-below-min')).toBe(cut.unmet);
      }),
      RUNS,
    );
  });
});

describe('reservationView: what a reservation can take and what happens to its nodes', () => {
  const NOW = T0.getTime();
  const KINDS: ReservationChangeKind[] = [
    'delivered',
    'active',
    'expiring',
    'expired',
    'interrupted',
    'underutilized',
    'scheduled',
  ];
  const STARTING = new Set<string>(['delivered', 'active', 'underutilized']);
  /** One reservation, listed or not, and the notices of this decision (about it, or another one). */
  const caseArb = fc.record({
    cloud: fc.constantFrom<Cloud>('aws', 'azure', 'gcp'),
    reserved: fc.boolean(),
    // Its type, the same in the listing and in the notices that say one.
    type: fc.constantFrom('capacity-block', 'odcr', 'future-odcr', 'interruptible-odcr'),
    list: fc.constantFrom('none', 'listed', 'missing'),
    state: fc.constantFrom('active', 'active', 'scheduled', 'payment-pending', 'expired', 'cancelled'),
    available: fc.integer({ min: -2, max: 6 }),
    // Ends (seconds from now): often near the horizon or a Capacity Block's 30 minutes.
    listedEnd: fc.option(
      fc.oneof(fc.constantFrom(0, 300, 900, 1800, 2400, 2700, 3600), fc.integer({ min: -3600, max: 10_800 })),
      { nil: undefined },
    ),
    notices: fc.array(
      fc.record({
        mine: fc.boolean(),
        kind: fc.constantFrom(...KINDS),
        typed: fc.boolean(),
        end: fc.option(fc.oneof(fc.constantFrom(0, 300, 1800, 2400), fc.integer({ min: -3600, max: 10_800 })), {
          nil: undefined,
        }),
      }),
      { maxLength: 3 },
    ),
    horizon: fc.oneof(fc.constantFrom(0, 600, 900), fc.integer({ min: 0, max: 7200 })),
  });
  type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

  const ID = 'cr-1';
  function inputsOf(c: Case, over: { cloud?: Cloud; shift?: number } = {}) {
    const shift = over.shift ?? 0;
    const p = pool({
      id: 'res',
      cloud: over.cloud ?? c.cloud,
      capacityType: 'reserved',
      hourlyPrice: 0,
      ...(c.reserved ? { reservationId: ID } : {}),
    });
    const reservations: CapacityReservation[] | undefined =
      c.list === 'none'
        ? undefined
        : [
            {
              id: c.list === 'listed' ? ID : 'cr-other',
              cloud: p.cloud,
              type: c.type,
              instanceType: p.instanceType,
              zone: 'z-a',
              total: 8,
              available: c.available,
              state: c.state,
              ...(c.listedEnd !== undefined ? { endTime: at(c.listedEnd + shift) } : {}),
            },
          ];
    const notices: ReservationNotice[] = c.notices.map((n, k) => ({
      eventId: `res-${k}`,
      kind: n.kind,
      reservationIds: [n.mine ? ID : 'cr-other'],
      ...(n.typed ? { reservationType: c.type } : {}),
      ...(n.end !== undefined ? { endTime: at(n.end + shift) } : {}),
    }));
    return { pool: p, reservations, notices };
  }
  const viewOf = (c: Case, now = NOW, horizon = c.horizon, over: { cloud?: Cloud; shift?: number } = {}) => {
    const { pool: p, reservations, notices } = inputsOf(c, over);
    return reservationView(p, reservations, notices, now, horizon);
  };
  /** Facts of a case the doc speaks of: the latest notice about it, its end, and whether it is an EC2 block. */
  function factsOf(c: Case) {
    const { pool: p, reservations, notices } = inputsOf(c);
    const latest = notices.filter((n) => n.reservationIds.includes(ID)).at(-1);
    const listed = reservations?.find((r) => r.id === ID);
    const end = latest?.endTime ?? listed?.endTime;
    const type = latest?.reservationType ?? listed?.type;
    const block = p.cloud === 'aws' && type === 'capacity-block';
    // A Capacity Block's capacity ends 30 minutes before its end date.
    const capacityEnd =
      end === undefined ? undefined : Date.parse(end) - (block ? CAPACITY_BLOCK_RECLAIM_SECONDS : 0) * 1000;
    const odcr = !block && (type === 'odcr' || type === 'future-odcr');
    return { latest, listed, capacityEnd, odcr, reservations };
  }
  /** Where a view is on the way to the end: usable, then ending (or not usable), then ended or lapsed. */
  const rank = (v: ReservationView) => (v.usable ? 0 : v.ended || v.lapsed ? 2 : 1);

  it('is in one state at a time, says why when not usable, and has room only when usable', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const v = viewOf(c);
        const states = [v.usable, !!v.ending, !!v.ended, !!v.lapsed].filter(Boolean).length;
        expect(states).toBeLessThanOrEqual(1);
        expect(v.why === undefined).toBe(v.usable);
        if (v.activated) expect(v.usable).toBe(true);
        if (v.room !== undefined) expect(v.usable).toBe(true);
        if (v.endsAt !== undefined) expect(v.ending).toBe(true);
        const { listed } = factsOf(c);
        if (v.usable && c.reserved) expect(v.room).toBe(listed ? Math.max(0, listed.available) : undefined);
        // A pool on no reservation (or without a listing and a notice) is trusted as configured.
        if (!c.reserved) expect(v).toEqual({ usable: true, activated: false });
        if (c.list === 'none' && c.notices.every((n) => !n.mine)) expect(v).toEqual({ usable: true, activated: false });
      }),
      RUNS,
    );
  });

  it('the latest notice about it wins: earlier ones, and those about other reservations, change nothing', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const mine = c.notices.filter((n) => n.mine);
        const onlyLatest = { ...c, notices: mine.slice(-1) };
        expect(viewOf(onlyLatest)).toEqual(viewOf(c));
      }),
      RUNS,
    );
  });

  it('expired or interrupted: its nodes are gone, or, an ODCR expired, they run on as on-demand', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const v = viewOf(c);
        const { latest, odcr } = factsOf(c);
        if (!c.reserved || !latest) return;
        if (latest.kind === 'interrupted') expect(v).toMatchObject({ usable: false, ended: true });
        if (latest.kind === 'expired')
          expect(v).toMatchObject(odcr ? { usable: false, lapsed: true } : { usable: false, ended: true });
      }),
      RUNS,
    );
  });

  it('ends when its capacity ends, is ending within the horizon (or when it says expiring), and an ODCR never is', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const v = viewOf(c);
        const { latest, capacityEnd, odcr } = factsOf(c);
        if (!c.reserved) return;
        const endsIn = capacityEnd === undefined ? undefined : capacityEnd - NOW;
        // Its end passed: its nodes are gone (an ODCR's run on).
        if (endsIn !== undefined && endsIn <= 0)
          expect(odcr && latest?.kind !== 'interrupted' ? v.lapsed : v.ended).toBe(true);
        if (odcr) {
          expect(v.ending).toBeUndefined();
          if (v.ended) expect(latest?.kind).toBe('interrupted');
        }
        if (v.ending) {
          const inHorizon = endsIn !== undefined && endsIn > 0 && endsIn <= c.horizon * 1000;
          expect(inHorizon || latest?.kind === 'expiring').toBe(true);
          expect(v.endsAt).toBe(capacityEnd === undefined ? undefined : new Date(capacityEnd).toISOString());
        }
      }),
      RUNS,
    );
  });

  it('usable, and activated, when the latest notice says it started and it does not end within the horizon', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const v = viewOf(c);
        const { latest, capacityEnd, odcr, listed, reservations } = factsOf(c);
        if (!c.reserved) return;
        const later = capacityEnd === undefined || capacityEnd > NOW + c.horizon * 1000;
        const lapsedState = odcr && (listed?.state === 'expired' || listed?.state === 'cancelled');
        if (latest && STARTING.has(latest.kind) && later && !lapsedState)
          expect(v).toMatchObject({ usable: true, activated: true });
        // Without such a notice: a listed state other than active, or a listing without it, is not usable.
        if (!(latest && STARTING.has(latest.kind))) {
          if (listed && listed.state !== 'active') expect(v.usable).toBe(false);
          if (reservations !== undefined && !listed) expect(v.usable).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('only moves towards its end as time passes and as the horizon grows', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 7200 }), fc.integer({ min: 0, max: 7200 }), (c, dt, dh) => {
        const v = viewOf(c);
        expect(rank(viewOf(c, NOW + dt * 1000))).toBeGreaterThanOrEqual(rank(v));
        const wider = viewOf(c, NOW, c.horizon + dh);
        expect(rank(wider)).toBeGreaterThanOrEqual(rank(v));
        if (v.ending) expect(wider.ending).toBe(true);
      }),
      RUNS,
    );
  });

  it("an EC2 Capacity Block ends 30 minutes before its end date: as another cloud's block ending then", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const block: Case = { ...c, type: 'capacity-block' };
        // Only where the type is known: listed, or said by the latest notice about it.
        const latest = c.notices.filter((n) => n.mine).at(-1);
        if (c.list !== 'listed' && !latest?.typed) return;
        const ec2 = viewOf(block, NOW, c.horizon, { cloud: 'aws' });
        const azure = viewOf(block, NOW, c.horizon, { cloud: 'azure', shift: -CAPACITY_BLOCK_RECLAIM_SECONDS });
        const { why: _a, ...a } = ec2;
        const { why: _b, ...b } = azure;
        expect(a).toEqual(b);
      }),
      RUNS,
    );
  });
});
