/**
 * How long a pool's nodes take to serve, learned from the fleet's own launches. The configuration states each
 * pool's time to ready (`timeToReadySeconds`), and every lead the engine plans over follows from it: the SLO
 * headroom's window, the forecast's reach, a schedule floor's launch ahead of its window, an ending
 * reservation's replacements, a warm node's break-even time. GPU nodes take 5 to 16 minutes from request to
 * serving (the reports in ../shared/traces/README.md), and a pool whose nodes take longer than it says is
 * planned short: its capacity comes after the lead it was sized for.
 *
 * What is observed: at each decision, the pool's instances with the time the cloud started them (EC2
 * `LaunchTime`, a Kubernetes object's `creationTimestamp`, an Azure VM's `timeCreated`) and whether they serve.
 * An instance first seen not serving and no older than the pool's time to ready is a launch being followed
 * (one first seen older has an unknown start: a warm node resumed on a cloud that keeps its creation time, an
 * instance from before the fleet's state; one the previous observation listed in the pool's warm capacity is a
 * warm node resuming, which takes its resume time, not a launch's); when a later decision sees it serving, its launch took at least as
 * long as it had run when last seen not serving. That lower bound is the sample: never longer than the launch
 * took, so the learning only ever lengthens a pool's time to ready on evidence. Instances that end before they
 * serve are dropped (a launch that fails is a shortfall, shortfall.ts, not a slow boot).
 *
 * What is used: a pool with at least `BOOT_MIN_SAMPLES` launches seen serving counts as its time to ready the
 * larger of the configured one and the `BOOT_QUANTILE` of their lower bounds (the last `BOOT_SAMPLES`, from
 * the last `BOOT_MEMORY_SECONDS`): a launch slower than nine in ten seen is still planned for. The configured
 * time stays the floor: a pool whose nodes serve sooner keeps the lead the operator stated. The state is the
 * application's (the fleet's state, saved with each decision); the functions here are pure.
 */
import type { ObservedInstance } from '../domain/ports.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { ms } from './time.ts';

/** Completed launches kept per pool. */
export const BOOT_SAMPLES = 20;
/** Launches seen serving before they count: fewer say little of the pool's spread. */
export const BOOT_MIN_SAMPLES = 3;
/** The quantile of the launches' lower bounds a pool's lead counts (nearest rank). */
export const BOOT_QUANTILE = 0.9;
/** How long a completed launch is remembered, seconds: a week (images, models and regions change). */
export const BOOT_MEMORY_SECONDS = 7 * 86_400;

/** What the fleet has seen of its launches, per pool. */
export interface BootState {
  /** Launches being followed, by pool and instance id: when the cloud started it, when it was last seen not serving. */
  booting: Record<string, Record<string, { launchedAt: string; seenAt: string }>>;
  /** Completed launches, oldest first: at least how long each took to serve (seconds), and when it was seen serving. */
  samples: Record<string, Array<{ seconds: number; at: string }>>;
  /** The instances each pool's warm capacity held when last observed: one of them starting is a resume. */
  warm?: Record<string, string[]>;
}

/** A pool's time to ready as learned, when its launches say more than its configuration (`Pool.timeToReadyLearned`). */
export type LearnedTimeToReady = NonNullable<Pool['timeToReadyLearned']>;

const SERVING = new Set(['ready']);
const STARTING = new Set(['pending', 'running']);

/**
 * The state after this observation: `instances` by pool id, for the pools observed (a pool not in the map was
 * not observed: what is known of it is kept), and the instances each observed pool keeps warm (`warm`, by pool
 * id). Pure: returns a new state.
 */
export function updateBoots(
  state: BootState | undefined,
  pools: readonly Pool[],
  instances: ReadonlyMap<string, readonly ObservedInstance[]>,
  now: Date,
  warm: ReadonlyMap<string, readonly string[]> = new Map(),
): BootState {
  const t = now.getTime();
  const at = now.toISOString();
  const next: BootState = { booting: {}, samples: {} };
  // What is known of a pool the fleet no longer has goes with it.
  const ids = new Set(pools.map((p) => p.id));
  for (const [poolId, s] of Object.entries(state?.samples ?? {})) {
    const kept = s.filter((x) => ms(x.at) > t - BOOT_MEMORY_SECONDS * 1000);
    if (kept.length && ids.has(poolId)) next.samples[poolId] = kept.map((x) => ({ ...x }));
  }
  for (const [poolId, b] of Object.entries(state?.booting ?? {})) {
    if (ids.has(poolId) && !instances.has(poolId)) next.booting[poolId] = { ...b };
  }
  const warmNext: Record<string, string[]> = {};
  for (const [poolId, w] of Object.entries(state?.warm ?? {})) {
    if (ids.has(poolId) && !instances.has(poolId)) warmNext[poolId] = [...w];
  }
  for (const pool of pools) {
    const seen = instances.get(pool.id);
    if (!seen) continue;
    const before = state?.booting?.[pool.id] ?? {};
    const wasWarm = new Set(state?.warm?.[pool.id] ?? []);
    const warmNow = warm.get(pool.id) ?? [];
    if (warmNow.length) warmNext[pool.id] = [...warmNow];
    const booting: Record<string, { launchedAt: string; seenAt: string }> = {};
    const samples = next.samples[pool.id] ?? [];
    for (const i of seen) {
      const launched = i.launchedAt ? ms(i.launchedAt) : Number.NaN;
      if (!Number.isFinite(launched) || launched > t) continue;
      // An instance started again (a warm node resumed) is a new launch: the one followed before is over.
      const prior = before[i.id];
      const followed = prior && prior.launchedAt === i.launchedAt ? prior : undefined;
      if (STARTING.has(i.lifecycle)) {
        if (followed) booting[i.id] = { launchedAt: followed.launchedAt, seenAt: at };
        else if (t - launched <= pool.timeToReadySeconds * 1000 && !wasWarm.has(i.id))
          booting[i.id] = { launchedAt: i.launchedAt!, seenAt: at };
      } else if (SERVING.has(i.lifecycle) && followed) {
        samples.push({ seconds: Math.max(0, (ms(followed.seenAt) - launched) / 1000), at });
      }
    }
    if (Object.keys(booting).length) next.booting[pool.id] = booting;
    if (samples.length) next.samples[pool.id] = samples.slice(-BOOT_SAMPLES);
  }
  if (Object.keys(warmNext).length) next.warm = warmNext;
  return next;
}

/** The time to ready a pool's launches have shown, when it is longer than the configured one. */
export function learnedTimeToReady(pool: Pool, state: BootState | undefined): LearnedTimeToReady | undefined {
  const s = state?.samples?.[pool.id] ?? [];
  if (s.length < BOOT_MIN_SAMPLES) return undefined;
  const sorted = s.map((x) => x.seconds).sort((a, b) => a - b);
  const observed = Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(BOOT_QUANTILE * sorted.length) - 1)]!);
  return observed > pool.timeToReadySeconds
    ? { configured: pool.timeToReadySeconds, observed, launches: s.length }
    : undefined;
}

/** The fleet with each pool's time to ready as its launches have shown it, where longer than configured. */
export function withLearnedTimeToReady(fleet: Fleet, state: BootState | undefined): Fleet {
  let changed = false;
  const pools = fleet.pools.map((p) => {
    const l = learnedTimeToReady(p, state);
    if (!l) return p;
    changed = true;
    return { ...p, timeToReadySeconds: l.observed, timeToReadyLearned: l };
  });
  return changed ? { ...fleet, pools } : fleet;
}
