/**
 * Small random simulation worlds for the physics and accounting properties (physics.property.test.ts): a few
 * pools on the three clouds (on-demand, spot, and sometimes a capacity block), a short trace of per-minute
 * rates, a spot schedule, and a script of what a controller does at each step (desired counts, terminations,
 * warm nodes prepared, stopped, started and deleted, and sometimes a cloud warm-pool policy). The controller
 * that plays the script (`Scripted`) keeps every instance life the World had (the copies the World sends as it
 * ends them, and the ones live at the end) and every warm node's life, so that the tests can recompute from
 * them, independently of the runner, who served, who was billed what, and when.
 */
import fc from 'fast-check';
import type { WorldInstance, WorldWarmInstance } from '../../local/emulators/world.ts';
import type { Controller, ControllerContext, StepContext } from '../../local/sim/controller.ts';
import type { SpotChange, SpotSchedule } from '../../local/sim/spot.ts';
import type { DemandTrace } from '../../local/sim/trace.ts';
import type { Cloud, PoolKind } from '../../shared/domain/types.ts';
import { T0, type TinyPool } from './support.ts';

export const KIND_OF: Record<Exclude<Cloud, 'kubernetes'>, PoolKind> = {
  aws: 'auto-scaling-group',
  azure: 'azure-vmss',
  gcp: 'gcp-mig',
};

export const BLOCK_POOL = 'block';

export type Action =
  | { kind: 'desired'; pool: number; n: number }
  | { kind: 'terminate'; pool: number; pick: number; decrement: boolean }
  | { kind: 'addWarm'; pool: number; count: number }
  | { kind: 'startWarm'; pool: number; count: number }
  | { kind: 'stop'; pool: number; count: number }
  | { kind: 'deleteWarm'; pool: number; count: number }
  | {
      kind: 'policy';
      pool: number;
      min: number;
      maxPrepared: number | undefined;
      reuseOnScaleIn: boolean;
      autoRefill: boolean;
      autoResume: boolean;
    };

export interface Scenario {
  pools: TinyPool[];
  /** A capacity block (the pool `block`), seconds from the start. */
  block?: { start: number; end: number; total: number };
  minutes: number;
  /** Requests/s for each minute. */
  rates: number[];
  spot: SpotChange[];
  /** What the controller does at the end of each step (index = step). */
  script: Action[][];
  /** Whether the script may set warm-pool policies (the cloud then prepares, resumes and removes warm nodes itself). */
  policies: boolean;
  /** Every time (ready, boot, resume, spot change, notice, block) on a whole minute: AWS only, stopped warm nodes. */
  aligned: boolean;
}

export interface ScenarioOptions {
  aligned?: boolean;
  policies?: boolean;
  /** Whether the controller acts at all (false: an empty script). */
  acts?: boolean;
  maxMinutes?: number;
}

const seconds = (aligned: boolean, max: number) =>
  aligned ? fc.integer({ min: 0, max: max / 60 }).map((m) => m * 60) : fc.integer({ min: 0, max });

function poolArb(aligned: boolean, i: number): fc.Arbitrary<TinyPool> {
  return fc
    .record({
      cloud: aligned ? fc.constant<Exclude<Cloud, 'kubernetes'>>('aws') : fc.constantFrom('aws', 'azure', 'gcp'),
      capacityType: fc.constantFrom('on-demand', 'spot'),
      rpsPerNode: fc.integer({ min: 1, max: 40 }),
      gpusPerNode: fc.constantFrom(1, 1, 4, 8),
      hourlyPrice: fc.constantFrom(0, 0.25, 0.5, 1, 1.3, 3.7),
      readySeconds: seconds(aligned, 900),
      bootFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      zones: fc.constantFrom(['z1'], ['z1', 'z2']),
      desired: fc.integer({ min: 0, max: 4 }),
      max: fc.integer({ min: 4, max: 8 }),
    })
    .map(
      (p): TinyPool => ({
        id: `p${i}`,
        cloud: p.cloud,
        kind: KIND_OF[p.cloud],
        capacityType: p.capacityType as TinyPool['capacityType'],
        rpsPerNode: p.rpsPerNode,
        gpusPerNode: p.gpusPerNode,
        hourlyPrice: p.hourlyPrice,
        readySeconds: p.readySeconds,
        bootSeconds: aligned
          ? Math.floor((p.readySeconds / 60) * p.bootFraction) * 60
          : Math.floor(p.readySeconds * p.bootFraction),
        zones: [...p.zones],
        desired: p.desired,
        max: p.max,
      }),
    );
}

function actionArb(pools: number, policies: boolean): fc.Arbitrary<Action> {
  const pool = fc.integer({ min: 0, max: pools - 1 });
  const count = fc.integer({ min: 1, max: 3 });
  const arbs: Array<fc.Arbitrary<Action>> = [
    fc.record({ kind: fc.constant('desired' as const), pool, n: fc.integer({ min: 0, max: 8 }) }),
    fc.record({ kind: fc.constant('desired' as const), pool, n: fc.integer({ min: 0, max: 8 }) }),
    fc.record({
      kind: fc.constant('terminate' as const),
      pool,
      pick: fc.nat({ max: 20 }),
      decrement: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('addWarm' as const), pool, count }),
    fc.record({ kind: fc.constant('startWarm' as const), pool, count }),
    fc.record({ kind: fc.constant('stop' as const), pool, count }),
    fc.record({ kind: fc.constant('deleteWarm' as const), pool, count }),
  ];
  if (policies)
    arbs.push(
      fc.record({
        kind: fc.constant('policy' as const),
        pool,
        min: fc.integer({ min: 0, max: 2 }),
        maxPrepared: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        reuseOnScaleIn: fc.boolean(),
        autoRefill: fc.boolean(),
        autoResume: fc.boolean(),
      }),
    );
  return fc.oneof(...arbs);
}

export function scenarioArb(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const aligned = options.aligned ?? false;
  const policies = options.policies ?? false;
  const acts = options.acts ?? true;
  const maxMinutes = options.maxMinutes ?? 30;
  return fc
    .record({
      n: fc.integer({ min: 1, max: 3 }),
      minutes: fc.integer({ min: 3, max: maxMinutes }),
      withBlock: fc.boolean(),
    })
    .chain(({ n, minutes, withBlock }) =>
      fc
        .record({
          pools: fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(aligned, i))),
          rates: fc.array(
            fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 150, noNaN: true })),
            {
              minLength: minutes,
              maxLength: minutes,
            },
          ),
          block: withBlock
            ? fc
                .record({
                  start: fc.integer({ min: 0, max: minutes }),
                  length: fc.integer({ min: 1, max: minutes }),
                  total: fc.integer({ min: 1, max: 2 }),
                  rps: fc.integer({ min: 5, max: 100 }),
                  desired: fc.integer({ min: 0, max: 2 }),
                  ready: fc.integer({ min: 0, max: 5 }),
                })
                .map((b) => b)
            : fc.constant(undefined),
          rawSpot: fc.array(
            fc.record({
              t: aligned
                ? fc.integer({ min: 0, max: minutes }).map((m) => m * 60)
                : fc.integer({ min: 0, max: minutes * 60 }),
              slot: fc.nat({ max: 5 }),
              capacity: fc.integer({ min: 0, max: 5 }),
            }),
            { maxLength: 8 },
          ),
          script: acts
            ? fc.array(fc.array(actionArb(n + (withBlock ? 1 : 0), policies), { maxLength: 3 }), {
                minLength: minutes,
                maxLength: minutes,
              })
            : fc.constant(Array.from({ length: minutes }, () => [] as Action[])),
        })
        .map(({ pools, rates, block, rawSpot, script }): Scenario => {
          const all: TinyPool[] = [...pools];
          let b: Scenario['block'];
          if (block) {
            b = { start: block.start * 60, end: (block.start + block.length) * 60, total: block.total };
            all.push({
              id: BLOCK_POOL,
              cloud: 'aws',
              kind: 'auto-scaling-group',
              capacityType: 'reserved',
              rpsPerNode: block.rps,
              gpusPerNode: 8,
              hourlyPrice: 0,
              readySeconds: block.ready * 60,
              zones: ['z1'],
              desired: block.desired,
              max: 2,
              reservationId: 'cb',
            });
          }
          const slots = pools.flatMap((p) =>
            p.capacityType === 'spot' ? (p.zones ?? ['z1']).map((zone) => ({ poolId: p.id, zone })) : [],
          );
          const spot =
            slots.length === 0
              ? []
              : rawSpot
                  .map((c) => ({ t: c.t, capacity: c.capacity, ...slots[c.slot % slots.length]! }))
                  .sort((x, y) => x.t - y.t);
          return { pools: all, block: b, minutes, rates, spot, script, policies, aligned };
        }),
    );
}

export function traceOf(s: Pick<Scenario, 'rates' | 'minutes'>): DemandTrace {
  return {
    stepSeconds: 60,
    points: s.rates.map((rps, m) => ({ t: m * 60, rps })),
    durationSeconds: s.minutes * 60,
    source: 'property trace',
  };
}

export function spotOf(s: Pick<Scenario, 'spot'>): SpotSchedule {
  return { source: 'property spot', changes: s.spot.map((c) => ({ ...c })), mapping: [] };
}

/** One warm node's life as the controller saw it (warm nodes change only in its calls when no policy is set). */
export interface WarmLife {
  w: WorldWarmInstance;
  from: number;
  to?: number;
}

/** What the scripted controller saw at the end of a step (after its actions). */
export interface Seen {
  at: number;
  /** Each pool's desired count when the call began (the cloud's own changes since the last call included). */
  desiredBefore: Record<string, number>;
  desired: Record<string, number>;
  /** Non-terminating instances per `pool|zone`, before and after the controller's actions. */
  heldBefore: Record<string, number>;
  heldAfter: Record<string, number>;
}

/** Plays a scenario's script on its World and keeps every life it had. */
export class Scripted implements Controller {
  readonly name: string;
  private readonly script: Action[][];
  private readonly poolIds: string[];
  world: ControllerContext['world'] | undefined;
  /** Instance lives the World ended (its own copies, as it ended them). */
  readonly ended: WorldInstance[] = [];
  /** Instance lives still live at the end. */
  live: WorldInstance[] = [];
  readonly warm = new Map<WorldWarmInstance, WarmLife>();
  readonly seen: Seen[] = [];
  /** Instances this controller terminated (id, launchedAt), and when. */
  readonly terminatedByMe: Array<{ id: string; launchedAt: number; at: number }> = [];
  endMs = 0;

  constructor(name: string, scenario: Pick<Scenario, 'script' | 'pools'>) {
    this.name = name;
    this.script = scenario.script;
    this.poolIds = scenario.pools.map((p) => p.id);
  }

  async start(ctx: ControllerContext): Promise<void> {
    this.world = ctx.world;
    this.endMs = ctx.endMs;
    ctx.world.on((e) => {
      if (e.type === 'instance-state' && e.state === 'terminated' && e.instance) this.ended.push({ ...e.instance });
    });
    this.snapWarm(ctx.now);
  }

  private held(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.world!.allInstances()) {
      if (i.state === 'terminating') continue;
      const k = `${i.poolId}|${i.zone}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }

  private snapWarm(now: number): void {
    const current = new Set(this.world!.allPools().flatMap((p) => this.world!.warmOf(p.id)));
    for (const [w, life] of this.warm) if (life.to === undefined && !current.has(w)) life.to = now;
    for (const w of current) if (!this.warm.has(w)) this.warm.set(w, { w, from: now });
  }

  async step(ctx: StepContext): Promise<void> {
    const world = ctx.world;
    this.snapWarm(ctx.now);
    const heldBefore = this.held();
    const desiredBefore = Object.fromEntries(world.allPools().map((p) => [p.id, p.desired]));
    for (const a of this.script[ctx.stepIndex] ?? []) this.apply(a, ctx);
    this.snapWarm(ctx.now);
    this.seen.push({
      at: ctx.now,
      desiredBefore,
      desired: Object.fromEntries(world.allPools().map((p) => [p.id, p.desired])),
      heldBefore,
      heldAfter: this.held(),
    });
  }

  private apply(a: Action, ctx: StepContext): void {
    const world = ctx.world;
    const poolId = this.poolIds[a.pool % this.poolIds.length]!;
    const pool = world.pool(poolId)!;
    // Warm nodes only where a cloud keeps them: on-demand groups.
    const warmable = pool.capacityType === 'on-demand';
    switch (a.kind) {
      case 'desired':
        world.setDesired(poolId, Math.min(a.n, pool.max));
        return;
      case 'terminate': {
        const live = world.instancesOf(poolId);
        if (live.length === 0) return;
        const i = live[a.pick % live.length]!;
        this.terminatedByMe.push({ id: i.id, launchedAt: i.launchedAt, at: ctx.now });
        world.terminateInstance(i.id, { decrementDesired: a.decrement });
        return;
      }
      case 'addWarm':
        if (warmable) world.addWarm(poolId, a.count);
        return;
      case 'startWarm': {
        if (!warmable) return;
        const ids = world
          .warmOf(poolId)
          .filter((w) => w.phase === 'warm')
          .slice(0, a.count)
          .map((w) => w.id);
        world.startWarm(poolId, ids);
        return;
      }
      case 'stop': {
        if (!warmable) return;
        const ids = world
          .instancesOf(poolId)
          .filter((i) => i.state !== 'terminating')
          .slice(0, a.count)
          .map((i) => i.id);
        for (const id of ids) {
          const i = world.instance(id)!;
          this.terminatedByMe.push({ id, launchedAt: i.launchedAt, at: ctx.now });
        }
        world.stopInstances(poolId, ids);
        return;
      }
      case 'deleteWarm':
        world.deleteWarm(
          world
            .warmOf(poolId)
            .slice(0, a.count)
            .map((w) => w.id),
        );
        return;
      case 'policy':
        if (!warmable) return;
        world.setWarmPolicy(poolId, {
          state: 'stopped',
          min: a.min,
          ...(a.maxPrepared !== undefined ? { maxPrepared: a.maxPrepared } : {}),
          reuseOnScaleIn: a.reuseOnScaleIn,
          autoRefill: a.autoRefill,
          autoResume: a.autoResume,
        });
        return;
    }
  }

  async stop(): Promise<void> {
    const world = this.world!;
    this.snapWarm(world.now());
    for (const life of this.warm.values()) life.to ??= world.now();
    this.live = world.allInstances().map((i) => ({ ...i }));
  }

  /** Every instance life of the run. */
  lives(): WorldInstance[] {
    return [...this.ended, ...this.live];
  }
}

export { T0 };
