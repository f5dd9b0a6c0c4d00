/**
 * Properties of the offering backoffs (backoff.ts) and of the nodes a pool was asked for that are not coming
 * (shortfall.ts), over random fleets (1-4 pools, 0-3 zones each), backoffs lapsing around now, launch
 * failures and histories of applied changes.
 *
 * What each function's comment promises: a failed launch backs off its pool's offering (the zone when the pool
 * has it, else the whole pool) for the policy's `offeringBackoffSeconds` from now, in force from now until
 * then and not after; a pool may not grow at all when a backoff has no zone, when it has one zone, or when
 * every zone is backed off, else only its zones backed off are closed; a launch failure stops a pool's
 * launches only when no zone is left to launch in; the backoffs in force are the state's until they lapse
 * plus this decision's. A shortfall is never negative, never more than the nodes not launched (or not
 * ready), nodes asked for within the grace are not counted (unless the cloud said the launch failed), and
 * it grows only as time passes. None of them depends on the clock's origin. `PROP_RUNS` sets the runs per
 * property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapacityType, Fleet, Pool } from '../../shared/domain/types.ts';
import { backoffsInForce, launchFailureMarks, launchStopped, poolBackoff } from '../../shared/engine/backoff.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { LAUNCH_GRACE_SECONDS, LATE_GRACE_FRACTION, launchShortfalls } from '../../shared/engine/shortfall.ts';
import { iso } from '../../shared/engine/time.ts';
import type { HistoryEntry, MarkOfferingAction, OfferingBackoff } from '../../shared/engine/types.ts';
import { fleet, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const t0 = T0.getTime();
const ZONES = ['z-a', 'z-b', 'z-c'];
/** A zone no pool has. */
const FOREIGN = 'z-x';

const poolArb = (i: number): fc.Arbitrary<Pool> =>
  fc
    .record({
      capacityType: fc.constantFrom<CapacityType>('spot', 'on-demand', 'reserved'),
      zones: fc.subarray(ZONES),
      desired: fc.integer({ min: 0, max: 20 }),
      ready: fc.integer({ min: 0, max: 22 }),
      launched: fc.option(fc.integer({ min: 0, max: 22 }), { nil: undefined }),
      timeToReadySeconds: fc.integer({ min: 30, max: 900 }),
    })
    .map((r) =>
      pool({
        id: `p${i}`,
        capacityType: r.capacityType,
        location: { region: 'r1', zones: r.zones },
        desired: r.desired,
        ready: r.ready,
        ...(r.launched !== undefined ? { launched: r.launched } : {}),
        timeToReadySeconds: r.timeToReadySeconds,
      }),
    );

const fleetArb: fc.Arbitrary<Fleet> = fc
  .tuple(
    fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i)))),
    fc.integer({ min: 0, max: 1800 }),
  )
  .map(([pools, offeringBackoffSeconds]) => fleet(pools, { placement: { offeringBackoffSeconds } }));

/** A zone for a pool of the fleet: one of the pool's, one it does not have, or none. */
const zoneArb = fc.option(fc.constantFrom(...ZONES, FOREIGN), { nil: undefined });

/** Launch failures of the fleet's pools (sometimes of a pool it does not have). */
const failuresArb = (f: Fleet) =>
  fc.array(
    fc
      .record({ pool: fc.nat(f.pools.length), zone: zoneArb })
      .map((r) => ({ poolId: f.pools[r.pool]?.id ?? 'ghost', ...(r.zone !== undefined ? { zone: r.zone } : {}) })),
    { maxLength: 5 },
  );

/** Backoffs of the fleet's pools lapsing within ten minutes either side of now, a few never (unparsable). */
const backoffsArb = (f: Fleet) =>
  fc.array(
    fc
      .record({
        pool: fc.nat(f.pools.length),
        zone: fc.oneof({ weight: 6, arbitrary: zoneArb }, { weight: 1, arbitrary: fc.constant('') }),
        until: fc.oneof(
          { weight: 12, arbitrary: fc.integer({ min: -600, max: 600 }) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        reason: fc.constantFrom('interrupted', 'insufficient-capacity' as const),
      })
      .map(
        (r): OfferingBackoff => ({
          poolId: f.pools[r.pool]?.id ?? 'ghost',
          ...(r.zone !== undefined ? { zone: r.zone } : {}),
          until: r.until === undefined ? 'never' : iso(t0 + r.until * 1000),
          reason: r.reason,
        }),
      ),
    { maxLength: 6 },
  );

/** The backoffs shifted in time (an unparsable `until` stays as it is). */
const shifted = <T extends { until: string }>(list: readonly T[], ms: number): T[] =>
  list.map((b) => (Number.isNaN(Date.parse(b.until)) ? b : { ...b, until: iso(Date.parse(b.until) + ms) }));

/** In force at `now`: lapses after it, or never says when (time.ts `inForce`). */
const lapsesAfter = (b: { until: string }, now: number) => {
  const t = Date.parse(b.until);
  return Number.isNaN(t) || t > now;
};

/** The zones a pool may not grow in: all of them when it may not grow at all. */
const closed = (p: Pool, r: ReturnType<typeof poolBackoff>) =>
  r.whole ? new Set(p.location.zones.length ? p.location.zones : ['*']) : r.zones;
const sorted = (s: Set<string>) => [...s].sort();

describe('launchFailureMarks: properties', () => {
  it("backs off each failing pool of the fleet until now + offeringBackoffSeconds: the zone named when it is the pool's, else the pool", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), failuresArb(f))),
        ([f, failures]) => {
          const marks = launchFailureMarks(failures, f, t0);
          const known = failures.filter((x) => f.pools.some((p) => p.id === x.poolId));
          expect(marks).toHaveLength(known.length);
          marks.forEach((m, k) => {
            const p = f.pools.find((x) => x.id === known[k].poolId) as Pool;
            const zone = known[k].zone;
            expect(m).toStrictEqual({
              type: 'mark-offering',
              poolId: p.id,
              ...(zone !== undefined && p.location.zones.includes(zone) ? { zone } : {}),
              until: iso(t0 + f.policy.placement.offeringBackoffSeconds * 1000),
              reason: 'insufficient-capacity',
            });
          });
        },
      ),
      RUNS,
    );
  });

  it("backs off the zone a failure names in any of its cloud's spellings (Event Grid's eastus-az2 is the pool's 2)", () => {
    const z = pool({
      id: 'z',
      cloud: 'azure',
      capacityType: 'spot',
      location: { region: 'eastus', zones: ['1', '2'] },
    });
    const f = fleet([z]);
    const [named] = launchFailureMarks([{ poolId: 'z', zone: 'eastus-az2' }], f, t0);
    expect(named.zone).toBe('2');
    const held = poolBackoff(z, [named], t0);
    expect(held.whole).toBeUndefined();
    expect([...held.zones]).toEqual(['2']);
    // A zone the pool does not have: the whole pool, as before.
    expect(launchFailureMarks([{ poolId: 'z', zone: 'westus-az3' }], f, t0)[0].zone).toBeUndefined();
  });

  it('keeps the offering closed from now until the backoff lapses, and open from then on', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) =>
          fc.tuple(fc.constant(f), failuresArb(f), fc.integer({ min: 0, max: 1800 }), fc.integer({ min: 0, max: 999 })),
        ),
        ([f, failures, after, ms]) => {
          const marks = launchFailureMarks(failures, f, t0);
          const lapse = t0 + f.policy.placement.offeringBackoffSeconds * 1000;
          const t = t0 + after * 1000 + ms;
          for (const p of f.pools) {
            const mine = marks.filter((m) => m.poolId === p.id);
            const shut = closed(p, poolBackoff(p, marks, t));
            if (t >= lapse || mine.length === 0) expect(shut.size).toBe(0);
            // Each zone a failure named is closed; a failure naming none of the pool's zones closes it all.
            else
              for (const m of mine) {
                if (m.zone) expect(shut.has(m.zone)).toBe(true);
                else expect(poolBackoff(p, marks, t).whole).toBeDefined();
              }
          }
        },
      ),
      RUNS,
    );
  });

  it("does not depend on the clock's origin", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), failuresArb(f))),
        fc.integer({ min: -1e12, max: 1e12 }),
        ([f, failures], shift) => {
          expect(launchFailureMarks(failures, f, t0 + shift)).toStrictEqual(
            shifted(launchFailureMarks(failures, f, t0), shift),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('poolBackoff: properties', () => {
  it("holds the whole pool back for a backoff without a zone, any of a one-zone pool's, or all its zones'; else the zones backed off", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), backoffsArb(f), fc.integer({ min: -700, max: 700 }))),
        ([f, backoffs, at]) => {
          const now = t0 + at * 1000;
          for (const p of f.pools) {
            const r = poolBackoff(p, backoffs, now);
            const mine = backoffs.filter((b) => b.poolId === p.id && lapsesAfter(b, now));
            const zones = new Set(mine.flatMap((b) => (b.zone && p.location.zones.includes(b.zone) ? [b.zone] : [])));
            const whole =
              mine.some((b) => !b.zone) ||
              (mine.length > 0 && p.location.zones.length <= 1) ||
              (p.location.zones.length > 0 && p.location.zones.every((z) => zones.has(z)));
            expect(r.whole !== undefined).toBe(whole);
            if (!whole) expect(sorted(r.zones)).toEqual(sorted(zones));
          }
        },
      ),
      RUNS,
    );
  });

  it('closes no more as time passes, and no less with another backoff', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) =>
          fc.tuple(
            fc.constant(f),
            backoffsArb(f),
            backoffsArb(f),
            fc.integer({ min: -700, max: 700 }),
            fc.integer({ min: 0, max: 1400 }),
          ),
        ),
        ([f, backoffs, more, at, later]) => {
          const now = t0 + at * 1000;
          for (const p of f.pools) {
            const shut = closed(p, poolBackoff(p, backoffs, now));
            const then = closed(p, poolBackoff(p, backoffs, now + later * 1000));
            for (const z of then) expect(shut.has(z)).toBe(true);
            const withMore = closed(p, poolBackoff(p, [...more, ...backoffs], now));
            for (const z of shut) expect(withMore.has(z)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it("does not depend on the clock's origin", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), backoffsArb(f), fc.integer({ min: -700, max: 700 }))),
        fc.integer({ min: -1e12, max: 1e12 }),
        ([f, backoffs, at], shift) => {
          const now = t0 + at * 1000;
          for (const p of f.pools) {
            const a = poolBackoff(p, backoffs, now);
            const b = poolBackoff(p, shifted(backoffs, shift), now + shift);
            expect(b.whole !== undefined).toBe(a.whole !== undefined);
            expect(sorted(closed(p, b))).toEqual(sorted(closed(p, a)));
          }
        },
      ),
      RUNS,
    );
  });
});

describe('launchStopped: properties', () => {
  it('stops a failing pool only when it has no zone left to launch in', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), failuresArb(f), backoffsArb(f))),
        ([f, failures, state]) => {
          const backoffs = [...state, ...launchFailureMarks(failures, f, t0)];
          const stopped = launchStopped(failures, f, backoffs, t0);
          for (const id of stopped) expect(failures.some((x) => x.poolId === id)).toBe(true);
          for (const p of f.pools) {
            if (!failures.some((x) => x.poolId === p.id)) continue;
            expect(stopped.has(p.id)).toBe(poolBackoff(p, backoffs, t0).whole !== undefined);
          }
        },
      ),
      RUNS,
    );
  });

  it('stops a pool whose failure names no zone of it, or a pool of one zone; with only its own marks, not a pool whose other zones launch', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) => fc.tuple(fc.constant(f), failuresArb(f))),
        ([f, failures]) => {
          if (f.policy.placement.offeringBackoffSeconds === 0) return;
          const stopped = launchStopped(failures, f, launchFailureMarks(failures, f, t0), t0);
          for (const p of f.pools) {
            const mine = failures.filter((x) => x.poolId === p.id);
            if (mine.length === 0) continue;
            const named = new Set(mine.flatMap((x) => (x.zone && p.location.zones.includes(x.zone) ? [x.zone] : [])));
            const noZoneLeft =
              p.location.zones.length <= 1 ||
              mine.some((x) => !x.zone || !p.location.zones.includes(x.zone)) ||
              p.location.zones.every((z) => named.has(z));
            expect(stopped.has(p.id)).toBe(noZoneLeft);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('backoffsInForce: properties', () => {
  const marksArb = (f: Fleet) =>
    fc
      .tuple(failuresArb(f), fc.integer({ min: -600, max: 600 }))
      .map(([failures, at]): MarkOfferingAction[] => launchFailureMarks(failures, f, t0 + at * 1000));

  it("keeps the state's backoffs until they lapse, in order, and this decision's marks", () => {
    fc.assert(
      fc.property(
        fleetArb.chain((f) =>
          fc.tuple(backoffsArb(f), marksArb(f), fc.integer({ min: -700, max: 700 }), fc.integer({ min: 0, max: 1400 })),
        ),
        ([state, marks, at, later]) => {
          const now = t0 + at * 1000;
          const out = backoffsInForce(state, marks, now);
          expect(out).toStrictEqual([...state.filter((b) => lapsesAfter(b, now)), ...marks]);
          // Once more changes nothing; later, no backoff of the state comes back.
          expect(backoffsInForce(out.slice(0, out.length - marks.length), marks, now)).toStrictEqual(out);
          const then = backoffsInForce(state, [], now + later * 1000);
          for (const b of then) expect(out).toContain(b);
        },
      ),
      RUNS,
    );
  });
});

/** Histories of this fleet (and another), some entries dry runs or not applied, within an hour either side. */
const historyArb = (f: Fleet) =>
  fc.array(
    fc
      .record({
        ago: fc.oneof(fc.integer({ min: -120, max: 2400 }), fc.integer({ min: 0, max: 200 })),
        applied: fc.boolean(),
        dryRun: fc.option(fc.boolean(), { nil: undefined, freq: 3 }),
        fleetId: fc.option(fc.constantFrom(f.id, 'other'), { nil: undefined }),
        pools: fc.option(
          fc.array(
            fc.record({ pool: fc.nat(f.pools.length - 1), from: fc.nat(20), to: fc.nat(20) }).map((c) => ({
              poolId: f.pools[c.pool].id,
              from: c.from,
              to: c.to,
            })),
            { maxLength: 3 },
          ),
          { nil: undefined, freq: 4 },
        ),
      })
      .map(
        (h): HistoryEntry => ({
          at: iso(t0 - h.ago * 1000),
          recommendation: 0,
          from: 0,
          to: 0,
          applied: h.applied,
          ...(h.dryRun !== undefined ? { dryRun: h.dryRun } : {}),
          ...(h.fleetId !== undefined ? { fleetId: h.fleetId } : {}),
          ...(h.pools !== undefined ? { pools: h.pools } : {}),
        }),
      ),
    { maxLength: 6 },
  );

const launchFailedArb = (f: Fleet) => fc.subarray(f.pools.map((p) => p.id)).map((ids) => new Set(ids));
const shortfallArb = fleetArb.chain((f) => fc.tuple(fc.constant(f), historyArb(f), launchFailedArb(f)));

const shortfall = (f: Fleet, history: readonly HistoryEntry[], now: number, failed?: ReadonlySet<string>) => {
  const reasons = new Reasons();
  return { ...launchShortfalls(f, history, now, reasons, failed), reasons: reasons.list };
};

describe('launchShortfalls: properties', () => {
  it('counts no more than the nodes not launched (or not ready), never a reserved pool, each short pool backed off', () => {
    fc.assert(
      fc.property(shortfallArb, ([f, history, failed]) => {
        const { missing, marks, reasons } = shortfall(f, history, t0, failed);
        for (const [id, n] of missing) {
          const p = f.pools.find((x) => x.id === id) as Pool;
          expect(p.capacityType).not.toBe('reserved');
          expect(Number.isInteger(n)).toBe(true);
          expect(n).toBeGreaterThan(0);
          expect(n).toBeLessThanOrEqual(p.desired - Math.max(0, p.launched ?? p.ready));
          expect(n).toBeLessThanOrEqual(p.desired);
        }
        expect(marks).toStrictEqual(
          [...missing.keys()].map((poolId) => ({
            type: 'mark-offering',
            poolId,
            until: iso(t0 + f.policy.placement.offeringBackoffSeconds * 1000),
            reason: 'insufficient-capacity',
          })),
        );
        const said = reasons.filter((r) => r.code === 'placement.short-of-capacity').map((r) => r.poolId);
        expect(said).toEqual([...missing.keys()]);
      }),
      RUNS,
    );
  });

  it('gives a launch the cloud said failed no grace: all the nodes it did not launch', () => {
    fc.assert(
      fc.property(shortfallArb, ([f, history, failed]) => {
        const without = shortfall(f, history, t0).missing;
        const { missing } = shortfall(f, history, t0, failed);
        for (const p of f.pools) {
          const n = missing.get(p.id) ?? 0;
          // A notice never lowers the count; it only matters where the cloud says what it launched.
          expect(n).toBeGreaterThanOrEqual(without.get(p.id) ?? 0);
          if (p.launched === undefined || !failed.has(p.id)) expect(n).toBe(without.get(p.id) ?? 0);
          else if (p.capacityType !== 'reserved') expect(n).toBe(Math.max(0, p.desired - p.launched));
        }
      }),
      RUNS,
    );
  });

  it('does not count nodes asked for within the grace, and takes a node not ready as booting without a history reaching back', () => {
    fc.assert(
      fc.property(shortfallArb, ([f, history, failed]) => {
        const { missing } = shortfall(f, history, t0, failed);
        const mine = history.filter((e) => !e.dryRun && (e.fleetId === undefined || e.fleetId === f.id));
        for (const p of f.pools) {
          const n = missing.get(p.id) ?? 0;
          if (p.launched !== undefined && failed.has(p.id)) continue;
          const grace =
            p.launched !== undefined
              ? LAUNCH_GRACE_SECONDS
              : p.timeToReadySeconds + Math.max(LAUNCH_GRACE_SECONDS, LATE_GRACE_FRACTION * p.timeToReadySeconds);
          const since = t0 - grace * 1000;
          const raised = mine
            .filter((e) => e.applied && Date.parse(e.at) > since)
            .flatMap((e) => e.pools ?? [])
            .filter((c) => c.poolId === p.id && c.to > c.from)
            .reduce((k, c) => k + c.to - c.from, 0);
          const unserved = p.desired - Math.max(0, p.launched ?? p.ready);
          expect(n).toBeLessThanOrEqual(Math.max(0, unserved - raised));
          const reaches = mine.some((e) => e.pools !== undefined && Date.parse(e.at) <= since);
          if (p.launched === undefined && !reaches) expect(n).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("ignores dry runs and other fleets' history", () => {
    fc.assert(
      fc.property(
        shortfallArb.chain(([f, history, failed]) =>
          fc.tuple(
            fc.constant(f),
            fc.constant(history),
            fc.constant(failed),
            historyArb(f).map((h) => h.map((e) => ({ ...e, dryRun: true }))),
            historyArb(f).map((h) => h.map((e) => ({ ...e, fleetId: 'other' }))),
          ),
        ),
        ([f, history, failed, dry, other]) => {
          const a = shortfall(f, history, t0, failed);
          const b = shortfall(f, [...dry, ...history, ...other], t0, failed);
          expect(b.missing).toEqual(a.missing);
        },
      ),
      RUNS,
    );
  });

  it('counts no fewer nodes as time passes, and no more with another raise applied within the grace', () => {
    fc.assert(
      fc.property(
        shortfallArb.chain(([f, history, failed]) =>
          fc.tuple(
            fc.constant(f),
            fc.constant(history),
            fc.constant(failed),
            fc.integer({ min: 0, max: 3600 }),
            fc.record({ pool: fc.nat(f.pools.length - 1), up: fc.integer({ min: 1, max: 10 }), ago: fc.nat(119) }),
          ),
        ),
        ([f, history, failed, later, raise]) => {
          const now = shortfall(f, history, t0, failed).missing;
          const then = shortfall(f, history, t0 + later * 1000, failed).missing;
          for (const [id, n] of now) expect(then.get(id) ?? 0).toBeGreaterThanOrEqual(n);
          const id = f.pools[raise.pool].id;
          const recent: HistoryEntry = {
            at: iso(t0 - raise.ago * 1000),
            recommendation: 0,
            from: 0,
            to: 0,
            applied: true,
            pools: [{ poolId: id, from: 0, to: raise.up }],
          };
          const raised = shortfall(f, [...history, recent], t0, failed).missing;
          for (const p of f.pools) expect(raised.get(p.id) ?? 0).toBeLessThanOrEqual(now.get(p.id) ?? 0);
        },
      ),
      RUNS,
    );
  });

  it("does not depend on the clock's origin", () => {
    fc.assert(
      fc.property(shortfallArb, fc.integer({ min: -1e12, max: 1e12 }), ([f, history, failed], shift) => {
        const moved = history.map((e) => ({ ...e, at: iso(Date.parse(e.at) + shift) }));
        const a = shortfall(f, history, t0, failed);
        const b = shortfall(f, moved, t0 + shift, failed);
        expect(b.missing).toEqual(a.missing);
        expect(b.marks).toStrictEqual(shifted(a.marks, shift));
      }),
      RUNS,
    );
  });
});
