/**
 * Small worlds, short traces and an observer for the properties of baselines.property.test.ts: a controller
 * wrapped so that every launch it asks of its World (`launchInstance`), every event it is handed and the
 * World's instances after each of its calls are recorded, without changing what it does.
 */
import fc from 'fast-check';
import type { WorldEvent, WorldInstance, WorldReservation } from '../../local/emulators/world.ts';
import type { Controller, ControllerContext, StartMode, StepContext } from '../../local/sim/controller.ts';
import type { DemoFleet } from '../../local/sim/demo.ts';
import { type ControllerRun, type RunOptions, runSimulation } from '../../local/sim/runner.ts';
import type { SpotChange, SpotSchedule } from '../../local/sim/spot.ts';
import type { DemandTrace } from '../../local/sim/trace.ts';
import { NO_SPOT, T0, type TinyPool, tinyDemo } from './support.ts';

// ---------------------------------------------------------------------------------------------------------
// Running and observing

/** One `launchInstance` call: when, on which pool and zones, whether it launched, each pool's live count before. */
export interface LaunchAttempt {
  at: number;
  poolId: string;
  zones: string[];
  ok: boolean;
  zone?: string;
  /** Live (not terminating) instances per pool just before the call. */
  live: Record<string, number>;
}

/** One controller call (`step`): what it was handed and the World around it. */
export interface ObservedCall {
  at: number;
  stepIndex: number;
  events: readonly WorldEvent[];
  /** Live instances (not terminated) before and after the call, by id. */
  before: Map<string, WorldInstance>;
  after: Map<string, WorldInstance>;
  /** Launch attempts made during the call (indices into `attempts`). */
  attempts: LaunchAttempt[];
}

export interface Observation {
  attempts: LaunchAttempt[];
  calls: ObservedCall[];
  /** The World's live instances right after `settle` (before the clock starts). */
  settled: WorldInstance[];
}

const snapshot = (ctx: ControllerContext) =>
  new Map(ctx.world.allInstances().map((i) => [i.id, { ...i, interrupted: i.interrupted && { ...i.interrupted } }]));

/** `inner`, recording what it does (see `Observation`). */
export function observed(inner: Controller): { controller: Controller; obs: Observation } {
  const obs: Observation = { attempts: [], calls: [], settled: [] };
  let current: ObservedCall | undefined;
  const controller: Controller = {
    name: inner.name,
    ...(inner.poolManagement ? { poolManagement: inner.poolManagement } : {}),
    ...(inner.initialDesired
      ? { initialDesired: (demo, foresight, mode) => inner.initialDesired!(demo, foresight, mode) }
      : {}),
    async start(ctx) {
      const world = ctx.world;
      const original = world.launchInstance.bind(world);
      world.launchInstance = (poolId: string, zones?: readonly string[]) => {
        const live = Object.fromEntries(
          world.allPools().map((p) => [p.id, world.instancesOf(p.id).filter((i) => i.state !== 'terminating').length]),
        );
        const inst = original(poolId, zones);
        const pool = world.pool(poolId)!;
        const attempt: LaunchAttempt = {
          at: world.now(),
          poolId,
          zones: [...(zones ?? pool.zones)],
          ok: inst !== undefined,
          ...(inst ? { zone: inst.zone } : {}),
          live,
        };
        obs.attempts.push(attempt);
        current?.attempts.push(attempt);
        return inst;
      };
      await inner.start(ctx);
    },
    async settle(ctx) {
      await inner.settle?.(ctx);
      obs.settled = ctx.world.allInstances().filter((i) => i.state !== 'terminating');
    },
    async step(ctx: StepContext) {
      current = {
        at: ctx.now,
        stepIndex: ctx.stepIndex,
        events: [...ctx.events],
        before: snapshot(ctx),
        after: new Map(),
        attempts: [],
      };
      await inner.step(ctx);
      current.after = snapshot(ctx);
      obs.calls.push(current);
      current = undefined;
    },
    async stop() {
      await inner.stop();
    },
  };
  return { controller, obs };
}

/** Runs one controller on a world; its run and what the observer saw. */
export async function runObserved(
  inner: Controller,
  over: Partial<RunOptions> & Pick<RunOptions, 'trace' | 'demo' | 'hours'>,
): Promise<{ run: ControllerRun; obs: Observation }> {
  const { controller, obs } = observed(inner);
  const result = await runSimulation({ spot: NO_SPOT, seed: 1, controllers: [controller], ...over });
  return { run: result.runs[0]!, obs };
}

/** The demo with the fleet's `minNodes` replaced. */
export function withMinNodes(demo: DemoFleet, minNodes: number): DemoFleet {
  return { ...demo, fleet: { ...demo.fleet, policy: { ...demo.fleet.policy, minNodes } } };
}

/** Nodes live at the start of each step, all pools. */
export const nodesAt = (run: ControllerRun, k: number) => run.series.readyNodes[k]! + run.series.bootingNodes[k]!;

// ---------------------------------------------------------------------------------------------------------
// Demand

/** A demand trace of constant pieces: each a number of minutes at a rate (requests/s), `minutes` in all. */
export function pieceTrace(pieces: ReadonlyArray<{ minutes: number; rps: number }>): DemandTrace {
  let m = 0;
  const points = pieces.map((p) => {
    const point = { t: m * 60, rps: p.rps };
    m += p.minutes;
    return point;
  });
  return { stepSeconds: 60, points, durationSeconds: m * 60, source: 'property trace' };
}

/** Constant pieces of demand, rates in whole requests/s up to `maxRps`, lasting `minMinutes`..`maxMinutes`. */
export const piecesArb = (maxRps: number, minMinutes = 10, maxMinutes = 45) =>
  fc
    .array(
      fc.record({
        minutes: fc.integer({ min: 1, max: 20 }),
        // Demand below a millionth of a request a second is none: the rules' tolerances (1e-9) differ there.
        rps: fc.oneof(
          fc.integer({ min: 0, max: maxRps }),
          fc.double({ min: 0, max: maxRps, noNaN: true }).map((x) => (x < 1e-6 ? 0 : x)),
        ),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((pieces) => {
      const total = pieces.reduce((s, p) => s + p.minutes, 0);
      // Stretch the last piece to the minimum length, cut the whole to the maximum.
      const out = pieces.map((p) => ({ ...p }));
      if (total < minMinutes) out[out.length - 1]!.minutes += minMinutes - total;
      let left = maxMinutes;
      return out
        .map((p) => {
          const minutes = Math.min(p.minutes, left);
          left -= minutes;
          return { ...p, minutes };
        })
        .filter((p) => p.minutes > 0);
    });

export const hoursOf = (pieces: ReadonlyArray<{ minutes: number }>) => pieces.reduce((s, p) => s + p.minutes, 0) / 60;

export const startModeArb = fc.constantFrom<StartMode>('warm', 'cold');

// ---------------------------------------------------------------------------------------------------------
// Worlds

export const readyArb = fc.constantFrom(0, 60, 120, 600);

/** One on-demand pool, as the on-demand baselines scale it. */
export const onePoolArb = fc.record({
  rpsPerNode: fc.constantFrom(5, 10, 13),
  hourlyPrice: fc.constantFrom(0.5, 1, 1.7),
  readySeconds: readyArb,
});

export interface KarpenterWorld {
  demo: DemoFleet;
  spot: SpotSchedule;
  pieces: Array<{ minutes: number; rps: number }>;
  /** Pool ids in Karpenter's order: reserved, spot, on-demand, each by price. */
  order: string[];
}

/**
 * A fleet Karpenter provisions across: 0..1 capacity block (8 GPUs, price 0, its reservation somewhere around
 * the run), 1..2 spot pools (zones a and/or b, capacities changing during the run), 1..2 on-demand pools, with
 * prices consistent with the capacity types (reserved 0 < every spot price < every on-demand price, all
 * distinct), every pool minimum 0, small maxima.
 */
export const karpenterWorldArb: fc.Arbitrary<KarpenterWorld> = fc
  .record({
    block: fc.option(
      fc.record({
        startMin: fc.integer({ min: -30, max: 30 }),
        lengthMin: fc.integer({ min: 15, max: 90 }),
      }),
      { nil: undefined },
    ),
    spot: fc.array(
      fc.record({
        zones: fc.constantFrom<string[]>(['a'], ['b'], ['a', 'b']),
        max: fc.integer({ min: 1, max: 6 }),
        changes: fc.array(
          fc.record({
            zone: fc.constantFrom('a', 'b'),
            t: fc.integer({ min: 0, max: 50 * 60 }),
            capacity: fc.integer({ min: 0, max: 4 }),
          }),
          { maxLength: 6 },
        ),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    onDemand: fc.array(fc.record({ max: fc.integer({ min: 2, max: 30 }) }), { minLength: 1, maxLength: 2 }),
    spotPrices: fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 2 }),
    odPrices: fc.uniqueArray(fc.integer({ min: 10, max: 30 }), { minLength: 2, maxLength: 2 }),
    readySeconds: readyArb,
    minNodes: fc.integer({ min: 0, max: 2 }),
    pieces: piecesArb(60, 15, 50),
  })
  .map((w) => {
    const pools: TinyPool[] = [];
    const reservations: WorldReservation[] = [];
    if (w.block) {
      pools.push({
        id: 'block',
        capacityType: 'reserved',
        hourlyPrice: 0,
        gpusPerNode: 8,
        rpsPerNode: 80,
        max: 1,
        zones: ['a'],
        reservationId: 'cb',
        readySeconds: w.readySeconds,
      });
      reservations.push({
        id: 'cb',
        cloud: 'aws',
        type: 'capacity-block',
        instanceType: 'p5.48xlarge',
        zone: 'a',
        total: 1,
        start: T0 + w.block.startMin * 60_000,
        end: T0 + (w.block.startMin + w.block.lengthMin) * 60_000,
      });
    }
    const changes: SpotChange[] = [];
    w.spot.forEach((s, i) => {
      const id = `spot${i}`;
      pools.push({
        id,
        capacityType: 'spot',
        hourlyPrice: w.spotPrices[i]! / 10,
        max: s.max,
        zones: s.zones,
        readySeconds: w.readySeconds,
      });
      for (const c of [...s.changes].sort((a, b) => a.t - b.t)) {
        if (s.zones.includes(c.zone)) changes.push({ t: c.t, poolId: id, zone: c.zone, capacity: c.capacity });
      }
    });
    w.onDemand.forEach((o, i) => {
      pools.push({
        id: `od${i}`,
        hourlyPrice: w.odPrices[i]! / 10,
        max: o.max,
        zones: ['a'],
        readySeconds: w.readySeconds,
      });
    });
    changes.sort((a, b) => a.t - b.t);
    const demo = withMinNodes(tinyDemo(pools, reservations), w.minNodes);
    const rank = (p: TinyPool) => ({ reserved: 0, spot: 1, 'on-demand': 2 })[p.capacityType ?? 'on-demand'];
    const order = [...pools]
      .sort((a, b) => rank(a) - rank(b) || (a.hourlyPrice ?? 1) - (b.hourlyPrice ?? 1))
      .map((p) => p.id);
    return {
      demo,
      spot: { source: 'property', mapping: [], changes },
      pieces: w.pieces,
      order,
    };
  });
