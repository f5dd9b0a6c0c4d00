/**
 * The spot hedge's running share: how long the capacity a loss scenario takes is missing before the warm
 * nodes resumed for it serve (each cloud's notice, the drain's lead, what the notice's invocation can wait,
 * the warm pools' resume), and the share of the need running capacity keeps for it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlacementPolicy, Pool } from '../../shared/domain/types.ts';
import { costPerRps, Layout, type Slot, sortSlots } from '../../shared/engine/layout.ts';
import { PlacementPath } from '../../shared/engine/placement-path.ts';
import { functionSpec } from '../../stacks/function-specs.ts';
import {
  DRAIN_LEAD_SECONDS,
  NOTICE_HANDLER_TIMEOUT_SECONDS,
  SPOT_NOTICE_SECONDS,
  servedUnderNotice,
} from '../../shared/engine/interruptions.ts';
import {
  type HedgeRequirement,
  HedgeSearch,
  poolSpreads,
  replacementGapSeconds,
  runningShare,
  slack,
  spreads,
} from '../../shared/engine/spot-hedge.ts';
import { SPOT_NOTICE_SECONDS as WORLD_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { pool } from './fixtures.ts';

describe('servedUnderNotice', () => {
  it("agrees with the drain function's timeout and the simulated clouds' notices", () => {
    expect(NOTICE_HANDLER_TIMEOUT_SECONDS).toBe(functionSpec('drain').timeoutSeconds);
    expect(SPOT_NOTICE_SECONDS).toEqual(WORLD_NOTICE_SECONDS);
    expect(DRAIN_LEAD_SECONDS).toBe(40);
  });

  const cases = [
    // EC2's 120 s notice: its node serves 80 s (120 - 40), which the drain function's 150 s allows (150 - 5 - 40).
    { cloud: 'aws' as const, served: 80 },
    // 30 s: no more than the drain's lead.
    { cloud: 'azure' as const, served: 0 },
    { cloud: 'gcp' as const, served: 0 },
  ];
  it.each(cases)('$cloud: $served s', ({ cloud, served }) => {
    expect(servedUnderNotice(cloud)).toBe(served);
  });
});

describe('replacementGapSeconds and runningShare', () => {
  const pools = [
    pool({ id: 'g5-spot', cloud: 'aws', capacityType: 'spot' }),
    pool({ id: 'a100-spot', cloud: 'azure', capacityType: 'spot' }),
  ];
  const cases: Array<{ name: string; losses: Record<string, number>; resume: number; gap: number }> = [
    { name: 'an AWS loss: the resume less what the node serves', losses: { 'g5-spot/*': 1 }, resume: 120, gap: 40 },
    { name: 'an Azure loss: the whole resume', losses: { 'a100-spot/*': 1 }, resume: 120, gap: 120 },
    { name: 'both: the longer', losses: { 'g5-spot/us-east-1a': 0.5, 'a100-spot/2': 1 }, resume: 120, gap: 120 },
    { name: 'warm nodes that serve before the node stops', losses: { 'g5-spot/*': 1 }, resume: 10, gap: 0 },
    { name: 'an offering lost in no share', losses: { 'a100-spot/*': 0, 'g5-spot/*': 1 }, resume: 120, gap: 40 },
  ];
  it.each(cases)('$name', ({ losses, resume, gap }) => {
    expect(replacementGapSeconds(losses, pools, resume)).toBe(gap);
  });

  // The prior scenario at a 900 s lead: p = 1.12%; at 99.9% the allowance is 0.1% of the lead.
  const shares = [
    { name: 'a 120 s gap: a third', gap: 120, share: 1 - (0.001 * 900) / (0.0112 * 120) },
    { name: 'a 105 s gap', gap: 105, share: 1 - (0.001 * 900) / (0.0112 * 105) },
    { name: 'a gap within the allowance: none', gap: 60, share: 0 },
    { name: 'no gap: none', gap: 0, share: 0 },
  ];
  it.each(shares)('$name', ({ gap, share }) => {
    expect(runningShare(0.0112, 0.999, 900, gap)).toBeCloseTo(share, 12);
  });

  it('never falls as the target rises or the gap grows', () => {
    let last = 0;
    for (const availability of [0.99, 0.995, 0.999, 0.9995, 0.9999]) {
      const s = runningShare(0.0112, availability, 900, 105);
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
    last = 0;
    for (const gap of [0, 30, 60, 90, 105, 120, 600]) {
      const s = runningShare(0.0112, 0.999, 900, gap);
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
  });
});

/** A spot pool of `cloud` in region r. */
const spotPool = (id: string, cloud: Pool['cloud'], hourlyPrice: number, rpsPerNode: number, zones: string[]) =>
  pool({ id, cloud, capacityType: 'spot', hourlyPrice, rpsPerNode, location: { region: 'r', zones } });

/** A pool's placement slot, as the layout builds it (no reservation, no backoff). */
const slot = (p: Pool): Slot => ({
  pool: p,
  tier: p.capacityType === 'spot' ? 'spot' : p.capacityType === 'reserved' ? 'reserved' : 'on-demand',
  min: p.min,
  growCap: p.max,
  costPerRps: costPerRps(p),
  zones: p.location.zones.length,
  pinned: false,
});

describe('the hedge spreads spot over other markets before it buys on-demand', () => {
  // A large spot node on one cloud, a small one on another at about the same price per request/s, and
  // on-demand at 2.5 times it: the path puts spot on the cheapest market first (two zones: a half per zone
  // lets it take every spot node).
  const od = pool({ id: 'od', hourlyPrice: 1, rpsPerNode: 40, min: 1, desired: 1 });
  const big = spotPool('big', 'azure', 0.73, 100, ['1', '2']);
  const small = spotPool('small', 'aws', 0.3, 40, ['a', 'b']);
  const policy: PlacementPolicy = {
    onDemandBase: 1,
    spotShare: 1,
    maxSpotSharePerZone: 0.5,
    offeringBackoffSeconds: 180,
  };
  const baseline = (share = 0.5) =>
    new Layout(
      sortSlots([od, big, small].map(slot)),
      { ...policy, maxSpotSharePerZone: share },
      [0, 0, 0].map(() => 0),
    );
  const start = () => {
    const b = baseline();
    b.set(b.indexOf('od'), 1);
    return b;
  };
  // Losing all of a cloud's spot: what is left must serve 200 rps of a 600 rps need on its own.
  const req = (pool: string): HedgeRequirement => ({
    losses: { [`${pool}/*`]: 1 },
    probability: 0.0112,
    target: 0.91,
    rps: 600,
    runningRps: 200,
  });

  const cases = [
    { name: 'the policy share and every even spread tighter than it', share: 0.5, zones: 4, out: [0.5, 1 / 3, 1 / 4] },
    { name: 'no spread tighter than one zone holding all', share: 1, zones: 1, out: [1] },
    { name: 'a policy already tighter than a half', share: 0.3, zones: 4, out: [0.3, 1 / 4] },
  ];
  it.each(cases)('spreads: $name', ({ share, zones, out }) => {
    const b = baseline(share);
    const s =
      zones === 1
        ? new Layout(
            [slot(big)].map((x) => ({ ...x, zones: 1 })),
            b.policy,
            [0],
          )
        : b;
    expect(spreads(s)).toEqual(out.map((x) => expect.closeTo(x, 12)));
  });

  it('a spread the policy allows meets a market loss with the other market, cheaper than on-demand', () => {
    const b = start();
    const reqs = [req('big'), req('small')];
    const h = new HedgeSearch(b, new PlacementPath(b), 600, 7, 64, reqs).at(1000);
    expect(h).toBeDefined();
    const layout = h!.path.at(h!.nodes);
    for (const r of reqs) expect(slack(layout, r, 1000)).toBeGreaterThanOrEqual(-1e-6);
    expect(h!.spotSharePerZone).toBeLessThan(0.5);
    expect(h!.extraBase).toBe(0);
    expect(layout.counts[layout.indexOf('small')]).toBeGreaterThan(0);
  });

  it('poolSpreads: an even spread over 2 ... p of the spot pools that may grow', () => {
    expect(poolSpreads(baseline())).toEqual([0.5]);
    const one = new Layout([slot(big)], policy, [0]);
    expect(poolSpreads(one)).toEqual([]);
  });

  it('a small fleet: one spot node on each market (per pool), not on-demand, when a zone spread cannot part them', () => {
    // Need 150 rps: the path places od + 2 big (two zones, a node each: no zone spread parts them, each zone's
    // cap rounds up to a node). Losing either cloud's spot must leave 50 rps running (150 with 100 rps of
    // warm nodes): od alone serves 40. A zone spread meets it only with another on-demand node ($2.73/h);
    // one big and one small spot node meet both losses ($2.03/h).
    const b = start();
    const need = (pool: string): HedgeRequirement => ({ ...req(pool), rps: 150, runningRps: 50 });
    const reqs = [need('big'), need('small')];
    const path = new PlacementPath(b);
    const h = new HedgeSearch(b, path, 150, path.nodesFor(150).nodes, 64, reqs).at(100);
    expect(h).toMatchObject({ perPool: true, spotSharePerZone: 0.5, extraBase: 0 });
    const layout = h!.path.at(h!.nodes);
    const counts = Object.fromEntries(['od', 'big', 'small'].map((id) => [id, layout.counts[layout.indexOf(id)]]));
    expect(counts).toEqual({ od: 1, big: 1, small: 1 });
    for (const r of reqs) expect(slack(layout, r, 100)).toBeGreaterThanOrEqual(0);
    expect(h!.path.costAt(h!.nodes)).toBeCloseTo(2.03, 9);
    // The zone spreads alone, with every on-demand base: an on-demand node more at best.
    const byZone = [0.5, 1 / 3, 1 / 4].flatMap((share) =>
      [0, 1, 2].map((k) => {
        const p = new PlacementPath(
          new Layout(b.slots, { ...b.policy, onDemandBase: 1 + k, maxSpotSharePerZone: share }, b.counts),
        );
        for (let n = p.nodesFor(150).nodes; n <= 64 && p.reach(n) === n; n++)
          if (reqs.every((r) => slack(p.at(n), r, 100) >= 0)) return p.costAt(n);
        return Number.POSITIVE_INFINITY;
      }),
    );
    expect(Math.min(...byZone)).toBeCloseTo(2.73, 9);
  });

  it('never costs more than the on-demand base alone, and every choice meets every requirement', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 1500 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.integer({ min: 0, max: 2000 }),
        (need, running, warm) => {
          const b = start();
          const reqs = [
            { ...req('big'), rps: need, runningRps: need * running },
            { ...req('small'), rps: need, runningRps: need * running * 0.7 },
          ];
          const path = new PlacementPath(b);
          const from = path.nodesFor(need).nodes;
          const h = new HedgeSearch(b, path, need, from, 64, reqs).at(warm);
          if (!h) return;
          const layout = h.path.at(h.nodes);
          for (const r of reqs) expect(slack(layout, r, warm)).toBeGreaterThanOrEqual(-1e-6 * need);
          // The on-demand base alone (the policy's spread): the cheapest of those is never beaten by less.
          let alone = Number.POSITIVE_INFINITY;
          for (let k = 0; k <= 40; k++) {
            const p = new PlacementPath(new Layout(b.slots, { ...b.policy, onDemandBase: 1 + k }, b.counts));
            for (let n = Math.max(from, p.nodesFor(need).nodes); n <= 64 && p.reach(n) === n; n++) {
              if (reqs.every((r) => slack(p.at(n), r, warm) >= -1e-9 * r.rps)) {
                alone = Math.min(alone, p.costAt(n));
                break;
              }
            }
          }
          expect(h.path.costAt(h.nodes)).toBeLessThanOrEqual(alone + 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('a deferred spot pool', () => {
  // An Azure spot pool, the cheapest per request/s, whose loss keeps a third of the need running (30 s notice),
  // an AWS one whose loss keeps none (a node serves 80 s of its notice), and an on-demand base.
  const od = pool({ id: 'od', hourlyPrice: 1, rpsPerNode: 10, min: 1, desired: 1 });
  const z = spotPool('z', 'azure', 1.4, 40, ['1']);
  const s = spotPool('s', 'aws', 0.38, 10, ['a', 'b']);
  const policy: PlacementPolicy = {
    onDemandBase: 1,
    spotShare: 1,
    maxSpotSharePerZone: 1,
    offeringBackoffSeconds: 180,
  };
  const start = (deferred?: string) => {
    const slots = sortSlots([od, z, s].map(slot)).map((x) => (x.pool.id === deferred ? { ...x, deferred: true } : x));
    const b = new Layout(slots, policy, [0, 0, 0]);
    b.set(b.indexOf('od'), 1);
    return b;
  };
  const counts = (l: Layout) => Object.fromEntries(['od', 'z', 's'].map((id) => [id, l.counts[l.indexOf(id)]]));

  it('is filled after every other spot pool with room, and emptied first', () => {
    const plain = new PlacementPath(start());
    expect(counts(plain.at(4))).toEqual({ od: 1, z: 3, s: 0 });
    const path = new PlacementPath(start('z'));
    expect(counts(path.at(4))).toEqual({ od: 1, z: 0, s: 3 });
    // With the other pool full (its max), the deferred pool takes the rest rather than on-demand.
    const capped = start('z');
    const full = new Layout(
      capped.slots.map((x) => (x.pool.id === 's' ? { ...x, growCap: 2 } : x)),
      policy,
      capped.counts,
    );
    expect(counts(new PlacementPath(full).at(5))).toEqual({ od: 1, z: 2, s: 2 });
    // Removing: the deferred pool's nodes go first.
    const both = start('z');
    both.set(both.indexOf('z'), 2);
    both.set(both.indexOf('s'), 2);
    expect(counts(new PlacementPath(both).at(4))).toEqual({ od: 1, z: 1, s: 2 });
  });

  it("does not override the operator's priorities: a deferred pool of a higher priority still comes first", () => {
    // z at priority 1 (Cluster Autoscaler's priority expander), s at 0: deferred, z still takes the spot nodes
    // while it has room, and gives them up after s's on the way down.
    const slots = sortSlots([od, { ...z, priority: 1 }, s].map(slot)).map((x) =>
      x.pool.id === 'z' ? { ...x, deferred: true } : x,
    );
    const b = new Layout(slots, policy, [0, 0, 0]);
    b.set(b.indexOf('od'), 1);
    expect(counts(new PlacementPath(b).at(4))).toEqual({ od: 1, z: 3, s: 0 });
    const both = new Layout(slots, policy, [0, 0, 0]);
    both.set(both.indexOf('od'), 1);
    both.set(both.indexOf('z'), 2);
    both.set(both.indexOf('s'), 2);
    expect(counts(new PlacementPath(both).at(4))).toEqual({ od: 1, z: 2, s: 1 });
  });

  // Need 100 rps; 200 rps of warm nodes. Losing z keeps a third of it running; losing s none.
  const reqs: HedgeRequirement[] = [
    { losses: { 'z/*': 1 }, probability: 0.0112, target: 0.91, rps: 100, runningRps: 33, gapSeconds: 120 },
    { losses: { 's/*': 1 }, probability: 0.0112, target: 0.91, rps: 100, runningRps: 0, gapSeconds: 40 },
  ];

  it('is what the hedge chooses when the running share of its market costs nodes, and only then', () => {
    const b = start();
    const path = new PlacementPath(b);
    const search = new HedgeSearch(b, path, 100, path.nodesFor(100).nodes, 64, reqs);
    const plain = search.at(200, false);
    const h = search.at(200);
    expect(plain?.deferred).toBeUndefined();
    expect(h?.deferred).toEqual(['z']);
    const layout = h!.path.at(h!.nodes);
    expect(counts(layout)).toEqual({ od: 1, z: 0, s: 9 });
    for (const r of reqs) expect(slack(layout, r, 200)).toBeGreaterThanOrEqual(0);
    expect(h!.path.costAt(h!.nodes)).toBeCloseTo(4.42, 9);
    expect(h!.path.costAt(h!.nodes)).toBeLessThan(plain!.path.costAt(plain!.nodes) - 0.1);
    // No running share anywhere: no pool is deferred, whatever it would cost.
    const free = reqs.map((r) => ({ ...r, runningRps: 0 }));
    const none = new HedgeSearch(b, path, 100, path.nodesFor(100).nodes, 64, free).at(200);
    expect(none?.deferred).toBeUndefined();
  });

  it("defers a cloud's spot pools together, where deferring one would move spot to another of its pools", () => {
    // A second Azure spot pool, cheaper per request/s than the AWS one: deferring z alone puts spot on z2, which
    // the same Azure loss takes (the prior loses a cloud's spot market whole).
    const z2 = spotPool('z2', 'azure', 1.1, 30, ['2']);
    const slots = sortSlots([od, z, z2, s].map(slot));
    const b = new Layout(slots, policy, [0, 0, 0, 0]);
    b.set(b.indexOf('od'), 1);
    const azure: HedgeRequirement = { ...reqs[0]!, losses: { 'z/*': 1, 'z2/*': 1 } };
    const both = [azure, reqs[1]!];
    const path = new PlacementPath(b);
    const h = new HedgeSearch(b, path, 100, path.nodesFor(100).nodes, 64, both).at(200);
    expect(h?.deferred).toEqual(['z', 'z2']);
    const layout = h!.path.at(h!.nodes);
    expect(layout.counts[layout.indexOf('z')] + layout.counts[layout.indexOf('z2')]).toBe(0);
    expect(layout.counts[layout.indexOf('s')]).toBe(9);
    for (const r of both) expect(slack(layout, r, 200)).toBeGreaterThanOrEqual(0);
  });
});
