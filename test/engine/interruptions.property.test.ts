/**
 * Properties of the interruption notices' effects (engine/interruptions.ts) over random fleets of 1-5 pools on
 * the four clouds (spot, on-demand and reserved, some on a reservation, some whose adapter cannot end a chosen
 * instance) and random notices: every kind, with or without a pool id, a reservation, a zone (the pools' own,
 * other spellings of them, zones no pool has), a deadline (none, one that does not parse) and what the cloud
 * will do. What the file comment promises: a notice maps to its pool by pool id, else reservation, else the
 * only pool of the matching capacity type in its zone, else it is reported; warnings, preemptions and
 * reservation interruptions drain before the deadline, remove the instance and back the offering off; a
 * rebalance replaces with no drain; maintenance drains and keeps the node unless the cloud ends it, and never
 * backs off. Through `readSignals`, a notice delivered again (the same event, or an instance an earlier decision
 * handled) drains, removes or replaces its instance at most once. `PROP_RUNS` sets the runs per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type InterruptionKind,
  type InterruptionSignal,
  noticeKeepsNode,
  type ReservationChangeSignal,
  type Signal,
} from '../../shared/domain/signals.ts';
import type { Cloud, Pool, PoolKind } from '../../shared/domain/types.ts';
import { zoneInPool } from '../../shared/domain/zones.ts';
import { decide } from '../../shared/engine/decide.ts';
import { DEFAULT_DRAIN_SECONDS } from '../../shared/engine/defaults.ts';
import {
  addStillLeaving,
  DRAIN_LEAD_SECONDS,
  drainStartBy,
  type InterruptionEffects,
  interruptionEffects,
  takenBeforeRemoval,
} from '../../shared/engine/interruptions.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import type { InstanceNotice } from '../../shared/engine/signals.ts';
import { readSignals } from '../../shared/engine/signals.ts';
import type { HandledInterruption } from '../../shared/engine/types.ts';
import { fleetInput } from './arbitraries.ts';
import { at, pool, T0 } from './fixtures.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const NOW = T0.getTime();

const KIND: Record<Cloud, PoolKind> = {
  aws: 'auto-scaling-group',
  azure: 'azure-vmss',
  gcp: 'gcp-mig',
  kubernetes: 'karpenter-nodepool',
};
/** Zones as each cloud's pools write them (a Kubernetes pool's nodes are one of the clouds'). */
const POOL_ZONES: Record<Cloud, string[]> = {
  aws: ['us-east-1a', 'us-east-1b'],
  azure: ['1', '2'],
  gcp: ['us-central1-a', 'us-central1-b'],
  kubernetes: ['us-east-1a', 'us-central1-b'],
};
/**
 * Zones as notices write them: the pools' own, Azure's other spellings of zone 2 (Event Grid `eastus-az2`, the
 * Kubernetes label `eastus-2`), another case, and zones no pool has. AWS zone ids (`use1-az1`) are left to
 * the pipeline properties below: an id names no zone of a pool without aliases.
 */
const NOTICE_ZONES = ['us-east-1a', 'US-EAST-1B', 'us-central1-a', 'us-central1-b', '1', '2', 'eu-west-1c', 'eastus-3'];
const KINDS: InterruptionKind[] = ['warning', 'rebalance', 'preempt', 'maintenance', 'reservation-interruption'];
/** What the cloud says it will do: the first four end the VM (engine/interruptions.ts `GONE_ACTIONS`). */
const ACTIONS = ['terminate', 'delete', 'stop', 'hibernate', 'reboot', 'freeze', 'redeploy'];
const GONE = new Set(ACTIONS.slice(0, 4));

const poolArb = (i: number): fc.Arbitrary<Pool> =>
  fc
    .record({
      cloud: fc.constantFrom<Cloud>('aws', 'azure', 'gcp', 'kubernetes'),
      capacityType: fc.constantFrom('spot', 'on-demand', 'reserved' as const),
      zones: fc.constantFrom([0], [1], [0, 1]),
      reservation: fc.option(fc.constantFrom('cr-1', 'cr-2'), { nil: undefined }),
      removable: fc.constantFrom(undefined, true, false),
      cluster: fc.option(fc.constantFrom('gpu-east', 'gpu-west'), { nil: undefined }),
      desired: fc.integer({ min: 0, max: 6 }),
    })
    .map((r) =>
      pool({
        id: `p${i}`,
        cloud: r.cloud,
        kind: KIND[r.cloud],
        capacityType: r.capacityType,
        location: { region: 'r1', zones: r.zones.map((z) => POOL_ZONES[r.cloud][z]) },
        desired: r.desired,
        ...(r.capacityType === 'reserved' && r.reservation ? { reservationId: r.reservation } : {}),
        ...(r.removable !== undefined ? { removable: r.removable } : {}),
        ...(r.cluster ? { tags: { cluster: r.cluster } } : {}),
      }),
    );

const poolsArb = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i))));

/** A notice for instance `i-<instance>` (shrunk to few instances, so that some repeat). */
const noticeArb = (poolIds: readonly string[], zones: readonly string[] = NOTICE_ZONES) =>
  fc
    .record({
      kind: fc.constantFrom(...KINDS),
      instance: fc.nat(5),
      // A pool of the fleet, another fleet's, or none.
      poolId: fc.option(fc.constantFrom(...poolIds, 'p-other'), { nil: undefined, freq: 2 }),
      reservationIds: fc.option(fc.subarray(['cr-1', 'cr-2', 'cr-9'], { minLength: 1 }), { nil: undefined }),
      zone: fc.option(fc.constantFrom(...zones), { nil: undefined, freq: 4 }),
      // Seconds from now: past, within the pods' grace and margin, a spot notice's two minutes, an hour.
      deadline: fc.oneof(
        fc.integer({ min: -120, max: 3600 }).map((s): string | undefined => at(s)),
        fc.constantFrom(undefined, 'tomorrow-ish'),
      ),
      action: fc.option(fc.constantFrom(...ACTIONS), { nil: undefined }),
      event: fc.nat(9),
    })
    .map(
      (r): InstanceNotice => ({
        eventId: `ev-${r.event}`,
        instanceId: `i-${r.instance}`,
        kind: r.kind,
        ...(r.poolId !== undefined ? { poolId: r.poolId } : {}),
        ...(r.reservationIds !== undefined ? { reservationIds: r.reservationIds } : {}),
        ...(r.zone !== undefined ? { zone: r.zone } : {}),
        ...(r.deadline !== undefined ? { deadline: r.deadline } : {}),
        ...(r.action !== undefined ? { action: r.action } : {}),
      }),
    );

/** Pools and notices of distinct instances (one notice each), the offering backoff and the fleet's cluster. */
const effectsArb = poolsArb.chain((pools) =>
  fc.record({
    pools: fc.constant(pools),
    notices: fc
      .array(noticeArb(pools.map((p) => p.id)), { maxLength: 8 })
      .map((ns) => ns.map((n, k) => ({ ...n, instanceId: `i-${k}` }))),
    backoffSeconds: fc.integer({ min: 0, max: 3600 }),
    cluster: fc.option(fc.constantFrom('fleet-cluster'), { nil: undefined }),
  }),
);

type EffectsInput = { pools: Pool[]; notices: InstanceNotice[]; backoffSeconds: number; cluster: string | undefined };
const effectsOf = (g: EffectsInput, reasons = new Reasons()): InterruptionEffects =>
  interruptionEffects(g.notices, g.pools, g.backoffSeconds, NOW, reasons, g.cluster);

/**
 * The pool the file comment maps a notice to: the pool its id names (none when the id is not the fleet's),
 * else the one pool on its reservation, else the only pool in its zone of the capacity type the notice takes
 * back (reserved for a reservation interruption, spot for a warning, preemption or rebalance, any for
 * maintenance, which happens to every VM).
 */
function mappedPool(n: InstanceNotice, pools: readonly Pool[]): Pool | undefined {
  if (n.poolId !== undefined) return pools.find((p) => p.id === n.poolId);
  const onReservation = pools.filter(
    (p) => p.reservationId !== undefined && n.reservationIds?.includes(p.reservationId),
  );
  if (onReservation.length === 1) return onReservation[0];
  if (n.zone === undefined) return undefined;
  const type = n.kind === 'reservation-interruption' ? 'reserved' : n.kind === 'maintenance' ? undefined : 'spot';
  const inZone = pools.filter(
    (p) =>
      // Of the cloud that sent it, or Kubernetes (a counterexample the property found: an AWS zone id,
      // `use1-az1`, read as the Azure zone 1 of another cloud's pool).
      (n.cloud === undefined || p.cloud === n.cloud || p.cloud === 'kubernetes') &&
      zoneInPool(p.cloud, n.zone as string, p.location.zones, undefined, p.location.region) !== undefined &&
      (type === undefined || p.capacityType === type),
  );
  return inZone.length === 1 ? inZone[0] : undefined;
}

/** The cloud takes the node back: any notice but maintenance, and maintenance that terminates, stops, deletes. */
const gone = (n: InstanceNotice) => n.kind !== 'maintenance' || GONE.has(n.action ?? '');
const count = <T>(xs: readonly T[], p: (x: T) => boolean) => xs.filter(p).length;
const byInstance = <T extends { instanceId?: string }>(xs: readonly T[], id: string) =>
  xs.filter((x) => x.instanceId === id);

describe('interruptionEffects: properties', () => {
  it('gives each notice one outcome, in the pool the documented rule maps it to: a drain, a rebalance, or a report', () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        expect(fx.drains.length + fx.rebalances.length + fx.reports.length).toBe(g.notices.length);
        for (const n of g.notices) {
          const p = mappedPool(n, g.pools);
          const drains = byInstance(fx.drains, n.instanceId);
          const rebalances = byInstance(fx.rebalances, n.instanceId);
          const reports = fx.reports.filter((r) => r.message.includes(`instance ${n.instanceId} `));
          if (!p) {
            expect([drains, rebalances]).toEqual([[], []]);
            expect(reports).toEqual([expect.objectContaining({ type: 'report', code: 'interruption.unmapped' })]);
          } else if (n.kind === 'rebalance') {
            expect(drains).toEqual([]);
            expect(rebalances).toEqual([{ instanceId: n.instanceId, poolId: p.id, eventId: n.eventId }]);
            expect(reports).toEqual([]);
          } else {
            expect(drains).toEqual([expect.objectContaining({ type: 'cordon-drain', poolId: p.id })]);
            expect(rebalances).toEqual([]);
            expect(reports).toEqual([]);
          }
        }
      }),
      RUNS,
    );
  });

  it("drains by the notice's deadline (two minutes without one), starting no later than the deadline less the pods' grace and margin", () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        for (const d of fx.drains) {
          const n = g.notices.find((x) => x.instanceId === d.instanceId)!;
          const given = Date.parse(n.deadline ?? '');
          const end = Number.isNaN(given) ? NOW + DEFAULT_DRAIN_SECONDS * 1000 : given;
          expect(Date.parse(d.deadline)).toBe(end);
          const latest = end - DRAIN_LEAD_SECONDS * 1000;
          if (d.startBy === undefined) expect(latest).toBeLessThanOrEqual(NOW);
          else {
            // The node serves, cordoned, until then: after now, and no later than the latest safe start.
            expect(Date.parse(d.startBy)).toBeGreaterThan(NOW);
            expect(Date.parse(d.startBy)).toBeLessThanOrEqual(latest);
          }
        }
      }),
      RUNS,
    );
  });

  it('a rebalance replaces with no drain and no removal; maintenance the cloud does not end drains and keeps the node', () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        for (const n of g.notices) {
          if (!mappedPool(n, g.pools)) continue;
          const removed = byInstance(fx.removals, n.instanceId).length;
          if (n.kind === 'rebalance') {
            expect(byInstance(fx.drains, n.instanceId)).toEqual([]);
            expect(removed).toBe(0);
          } else if (!gone(n)) {
            expect(byInstance(fx.drains, n.instanceId)).toHaveLength(1);
            expect(removed).toBe(0);
          } else {
            expect(byInstance(fx.drains, n.instanceId)).toHaveLength(1);
            expect(removed).toBeLessThanOrEqual(1);
          }
        }
      }),
      RUNS,
    );
  });

  it("counts each pool's leaving nodes as its notices the cloud ends: removed where the pool ends a chosen instance, else lowered", () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        for (const p of g.pools) {
          const ofPool = g.notices.filter((n) => mappedPool(n, g.pools)?.id === p.id && gone(n));
          const ending = ofPool.filter((n) => n.kind !== 'rebalance');
          expect(fx.leaving.get(p.id) ?? 0).toBe(ofPool.length);
          const removals = fx.removals.filter((r) => r.poolId === p.id);
          expect(removals.map((r) => r.instanceId).sort()).toEqual(
            p.removable === false ? [] : ending.map((n) => n.instanceId).sort(),
          );
          expect(fx.notRemoved.get(p.id) ?? 0).toBe(p.removable === false ? ending.length : 0);
        }
        // Nothing leaves, is removed or lowered in a pool no notice maps to.
        const ids = new Set(g.pools.map((p) => p.id));
        for (const k of [...fx.leaving.keys(), ...fx.notRemoved.keys(), ...fx.removals.map((r) => r.poolId)])
          expect(ids.has(k)).toBe(true);
      }),
      RUNS,
    );
  });

  it("backs off once per offering, in the pool's own zone spelling, each pool a notice takes capacity back from; maintenance none", () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const reasons = new Reasons();
        const fx = effectsOf(g, reasons);
        const expected = new Set<string>();
        for (const n of g.notices) {
          const p = mappedPool(n, g.pools);
          if (!p || n.kind === 'maintenance') continue;
          const zone =
            n.zone === undefined
              ? undefined
              : zoneInPool(p.cloud, n.zone, p.location.zones, undefined, p.location.region);
          expected.add(`${p.id}/${zone ?? '*'}`);
          // A zone the pool does not know backs the whole pool off, and says so.
          if (n.zone !== undefined && zone === undefined)
            expect(reasons.list.some((r) => r.code === 'placement.zone-unknown' && r.poolId === p.id)).toBe(true);
        }
        const keys = fx.marks.map((m) => `${m.poolId}/${m.zone ?? '*'}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(expected);
        for (const m of fx.marks) {
          expect(m).toMatchObject({ type: 'mark-offering', reason: 'interrupted' });
          expect(m.until).toBe(new Date(NOW + g.backoffSeconds * 1000).toISOString());
          if (m.zone !== undefined) expect(g.pools.find((p) => p.id === m.poolId)?.location.zones).toContain(m.zone);
        }
      }),
      RUNS,
    );
  });

  it('learns as lost the nodes warnings, preemptions and reservation interruptions take back (not rebalances, not maintenance)', () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        for (const p of g.pools) {
          const taken = count(
            g.notices,
            (n) => mappedPool(n, g.pools)?.id === p.id && n.kind !== 'rebalance' && n.kind !== 'maintenance',
          );
          expect(fx.lost.filter((l) => l.poolId === p.id).reduce((s, l) => s + l.nodes, 0)).toBe(taken);
        }
        for (const l of fx.lost) expect(l.nodes).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it('a notice read after its node was taken back (gone) drains, removes and lowers nothing; its node is learned in its pool, and its backoff runs from the deadline', () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const notices = g.notices.map((n) => ({ ...n, gone: true as const }));
        const fx = interruptionEffects(notices, g.pools, g.backoffSeconds, NOW, new Reasons(), g.cluster);
        expect([fx.drains, fx.removals, fx.rebalances, fx.lost]).toEqual([[], [], [], []]);
        expect([fx.leaving.size, fx.notRemoved.size]).toEqual([0, 0]);
        for (const p of g.pools) {
          const taken = count(notices, (n) => mappedPool(n, g.pools)?.id === p.id);
          expect(fx.lostBefore.filter((l) => l.poolId === p.id).reduce((s, l) => s + l.nodes, 0)).toBe(taken);
        }
        expect(fx.reports).toHaveLength(count(notices, (n) => mappedPool(n, g.pools) === undefined));
        for (const m of fx.marks) {
          expect(m.until >= at(0) && m.until <= at(g.backoffSeconds)).toBe(true);
          const pool = g.pools.find((p) => p.id === m.poolId)!;
          const zoneOf = (n: InstanceNotice) =>
            n.zone === undefined
              ? undefined
              : zoneInPool(pool.cloud, n.zone, pool.location.zones, undefined, pool.location.region);
          const from = notices
            .filter((n) => mappedPool(n, g.pools)?.id === m.poolId && zoneOf(n) === m.zone)
            .map((n) => Math.min(NOW, Number.isNaN(Date.parse(n.deadline ?? '')) ? NOW : Date.parse(n.deadline!)));
          expect(m.until).toBe(new Date(Math.max(...from) + g.backoffSeconds * 1000).toISOString());
        }
      }),
      RUNS,
    );
  });

  it("drains in the pool's cluster, else the fleet's", () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const fx = effectsOf(g);
        for (const d of fx.drains) {
          const p = g.pools.find((x) => x.id === d.poolId);
          const cluster = p?.tags?.cluster ?? g.cluster;
          if (cluster === undefined) expect(Object.hasOwn(d, 'cluster')).toBe(false);
          else expect(d.cluster).toBe(cluster);
        }
      }),
      RUNS,
    );
  });

  it('is pure: the same notices give the same effects and reasons, and the inputs are not changed', () => {
    fc.assert(
      fc.property(effectsArb, (g) => {
        const before = structuredClone(g);
        const ra = new Reasons();
        const rb = new Reasons();
        const a = effectsOf(g, ra);
        expect(g).toEqual(before);
        expect(effectsOf(structuredClone(g), rb)).toEqual(a);
        expect(rb.list).toEqual(ra.list);
      }),
      RUNS,
    );
  });
});

describe('drainStartBy: properties', () => {
  it("is the deadline less the pods' grace and margin when that is after now, else absent (drain at once)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -600_000, max: 600_000 }), fc.constantFrom(Number.NaN, Infinity, -Infinity)),
        fc.integer({ min: -600_000, max: 600_000 }),
        (deadline, now) => {
          const by = drainStartBy(NOW + deadline, NOW + now);
          const latest = NOW + deadline - DRAIN_LEAD_SECONDS * 1000;
          if (Number.isFinite(latest) && latest > NOW + now) expect(by).toBe(latest);
          else expect(by).toBeUndefined();
        },
      ),
      RUNS,
    );
  });
});

/**
 * A signal of the fleet naming a few instances (an interruption of any kind, or a reservation's instances
 * interrupted), dated now with a plausible deadline: an implausible one is refused as a whole (plausibility.ts).
 */
const signalArb = (poolIds: readonly string[]): fc.Arbitrary<Signal> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: noticeArb(poolIds, [...NOTICE_ZONES, 'use1-az1'])
        .chain((n) =>
          fc.record({ n: fc.constant(n), ids: fc.subarray(['i-0', 'i-1', 'i-2', 'i-3', 'i-4'], { minLength: 1 }) }),
        )
        .map(
          ({ n, ids }): InterruptionSignal => ({
            type: 'interruption',
            eventId: n.eventId,
            source: 'test',
            time: T0.toISOString(),
            cloud: 'aws',
            kind: n.kind,
            instanceIds: [n.instanceId, ...ids],
            ...(n.poolId !== undefined ? { poolId: n.poolId } : {}),
            ...(n.zone !== undefined ? { zone: n.zone } : {}),
            ...(n.deadline !== undefined && !Number.isNaN(Date.parse(n.deadline)) ? { deadline: n.deadline } : {}),
            ...(n.action !== undefined ? { action: n.action } : {}),
          }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          reservation: fc.constantFrom('cr-1', 'cr-2', 'cr-9'),
          ids: fc.subarray(['i-0', 'i-1', 'i-5'], { minLength: 1 }),
          end: fc.integer({ min: 0, max: 3000 }),
          event: fc.nat(9),
        })
        .map(
          (r): ReservationChangeSignal => ({
            type: 'reservation-change',
            eventId: `rv-${r.event}`,
            source: 'test',
            time: T0.toISOString(),
            cloud: 'aws',
            kind: 'interrupted',
            reservationIds: [r.reservation],
            instanceIds: r.ids,
            endTime: at(r.end),
          }),
        ),
    },
  );

/** Signals with redeliveries (some signals again, later in the batch) and the instances an earlier decision handled. */
const pipelineArb = poolsArb.chain((pools) =>
  fc
    .record({
      pools: fc.constant(pools),
      signals: fc.array(signalArb(pools.map((p) => p.id)), { minLength: 1, maxLength: 5 }),
      again: fc.array(fc.nat(4), { maxLength: 3 }),
      handled: fc.subarray(['i-0', 'i-2', 'i-5']),
      // Whether the earlier decision's notice kept the node (a rebalance, maintenance it comes back from).
      kept: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    })
    .map((g) => ({
      pools: g.pools,
      signals: [...g.signals, ...g.again.map((k) => g.signals[k % g.signals.length])],
      handled: g.handled.map(
        (instanceId, k): HandledInterruption => ({ instanceId, at: at(-60), ...(g.kept[k] ? { kept: true } : {}) }),
      ),
    })),
);

describe('readSignals, then interruptionEffects: a notice delivered again', () => {
  it('drains, removes or replaces each instance at most once, none an earlier decision handled unless it kept the node and this notice ends it; leaving counts distinct instances', () => {
    fc.assert(
      fc.property(pipelineArb, (g) => {
        const state = { offeringBackoff: [], interruptedInstances: g.handled };
        const sig = readSignals(g.signals, 'llm', state, NOW, new Reasons());
        const fx = interruptionEffects(sig.notices, g.pools, 600, NOW, new Reasons());
        // Whether each instance handled earlier kept its node (a rebalance, maintenance it comes back from).
        const handled = new Map(g.handled.map((h) => [h.instanceId, h.kept === true]));
        // The notice acted on for each instance: the first not handled yet, unless a later one ends a node the
        // first (or the earlier decision's) left in place: that one supersedes it.
        const first = new Map<string, InstanceNotice>();
        for (const s of g.signals) {
          const ids = s.type === 'interruption' || s.type === 'reservation-change' ? (s.instanceIds ?? []) : [];
          const keeps = s.type === 'interruption' && noticeKeepsNode(s.kind, s.action);
          for (const instanceId of ids) {
            const before = first.get(instanceId);
            const kept = before ? noticeKeepsNode(before.kind, before.action) : handled.get(instanceId);
            if (kept === false || (kept === true && keeps)) continue;
            first.set(
              instanceId,
              s.type === 'interruption'
                ? {
                    eventId: s.eventId,
                    instanceId,
                    kind: s.kind,
                    cloud: s.cloud,
                    poolId: s.poolId,
                    zone: s.zone,
                    action: s.action,
                  }
                : {
                    eventId: s.eventId,
                    instanceId,
                    kind: 'reservation-interruption',
                    ...(s.type === 'reservation-change'
                      ? { cloud: s.cloud, reservationIds: s.reservationIds }
                      : { reservationIds: [] }),
                  },
            );
          }
        }
        for (const id of new Set([...fx.drains, ...fx.removals, ...fx.rebalances].map((a) => a.instanceId!))) {
          expect(handled.get(id)).not.toBe(false);
          expect(byInstance(fx.drains, id).length + byInstance(fx.rebalances, id).length).toBe(1);
          expect(byInstance(fx.removals, id).length).toBeLessThanOrEqual(1);
        }
        for (const p of g.pools) {
          const leaving = [...first.values()].filter((n) => mappedPool(n, g.pools)?.id === p.id && gone(n));
          expect(fx.leaving.get(p.id) ?? 0).toBe(leaving.length);
        }
      }),
      RUNS,
    );
  });

  it('a plan drains, removes or replaces each noticed instance at most once, whatever the signals repeat', () => {
    fc.assert(
      fc.property(fleetInput(), fc.boolean(), (i, twice) => {
        const signals = twice ? [...i.signals, ...i.signals] : i.signals;
        const plan = decide({ ...i, signals }, T0);
        const acts = [...plan.actions, ...plan.suppressedActions];
        const ids = new Set(
          acts.flatMap((a) =>
            a.type === 'cordon-drain' || a.type === 'remove-instance' || a.type === 'replace'
              ? [a.instanceId ?? '']
              : [],
          ),
        );
        ids.delete('');
        for (const id of ids) {
          const of = (t: string) => count(acts, (a) => a.type === t && 'instanceId' in a && a.instanceId === id);
          expect(of('cordon-drain') + of('replace')).toBe(1);
          expect(of('remove-instance')).toBeLessThanOrEqual(of('cordon-drain'));
        }
      }),
      RUNS,
    );
  });
});

/** Instances an earlier decision handled: some with a removal planned, some still shown, deadlines around now. */
const handledArb = (poolIds: readonly string[]) =>
  fc
    .array(
      fc.record({
        poolId: fc.option(fc.constantFrom(...poolIds, 'p-gone'), { nil: undefined, freq: 6 }),
        removing: fc.boolean(),
        there: fc.boolean(),
        deadline: fc.oneof(
          fc.integer({ min: -600, max: 600 }).map((s): string | undefined => at(s)),
          fc.constantFrom(undefined, 'never'),
        ),
      }),
      { maxLength: 8 },
    )
    .map((hs) =>
      hs.map((h, k) => ({
        handled: {
          instanceId: `i-${k}`,
          ...(h.poolId !== undefined ? { poolId: h.poolId } : {}),
          ...(h.deadline !== undefined ? { deadline: h.deadline } : {}),
          at: at(-120),
          ...(h.removing ? { removing: true as const } : {}),
        } satisfies HandledInterruption,
        there: h.there,
      })),
    );

describe('nodes under a notice an earlier decision handled', () => {
  it('still there before their deadline, in a pool that ends chosen instances: counted as leaving, once each', () => {
    fc.assert(
      fc.property(
        poolsArb.chain((pools) => fc.record({ pools: fc.constant(pools), hs: handledArb(pools.map((p) => p.id)) })),
        ({ pools, hs }) => {
          const fx = interruptionEffects([], pools, 600, NOW, new Reasons());
          const stillThere = hs.filter((h) => h.there).map((h) => h.handled.instanceId);
          const total = addStillLeaving(
            fx,
            hs.map((h) => h.handled),
            stillThere,
            pools,
            NOW,
            new Reasons(),
          );
          let sum = 0;
          for (const p of pools) {
            const leaving = count(
              hs,
              ({ handled: h, there }) =>
                there &&
                h.removing === true &&
                h.poolId === p.id &&
                p.removable !== false &&
                Date.parse(h.deadline ?? '') > NOW,
            );
            expect(fx.leaving.get(p.id) ?? 0).toBe(leaving);
            sum += leaving;
          }
          expect(total).toBe(sum);
          expect([...fx.leaving.keys()].every((k) => pools.some((p) => p.id === k))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("taken back before their removal: at most what each pool is short of, none still shown or past the drain function's timeout", () => {
    fc.assert(
      fc.property(
        poolsArb.chain((pools) =>
          fc.record({
            pools: fc.constant(pools),
            hs: handledArb(pools.map((p) => p.id)),
            missing: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: pools.length, maxLength: pools.length }),
          }),
        ),
        ({ pools, hs, missing }) => {
          const short = new Map(pools.map((p, k) => [p.id, missing[k]] as const).filter(([, n]) => n > 0));
          const stillThere = hs.filter((h) => h.there).map((h) => h.handled.instanceId);
          const taken = takenBeforeRemoval(
            hs.map((h) => h.handled),
            stillThere,
            short,
            NOW,
            new Reasons(),
          );
          for (const p of pools) {
            // The drain function's invocation may still remove them until its timeout (150 s) past the deadline.
            const eligible = count(
              hs,
              ({ handled: h, there }) =>
                !there && h.removing === true && h.poolId === p.id && Date.parse(h.deadline ?? '') >= NOW - 150_000,
            );
            expect(taken.get(p.id) ?? 0).toBe(Math.min(eligible, short.get(p.id) ?? 0));
          }
          for (const n of taken.values()) expect(n).toBeGreaterThan(0);
        },
      ),
      RUNS,
    );
  });
});
