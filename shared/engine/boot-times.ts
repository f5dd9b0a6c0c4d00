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
 * instance from before the fleet's state); when a later decision sees it serving, its launch took at least as
 * long as it had run when last seen not serving. That lower bound is the sample: never longer than the launch
 * took, so the learning only ever lengthens a pool's time to ready on evidence. An instance listed without a
 * launch time (a GCP managed instance group's `listManagedInstances` gives none) is followed from its first
 * sight, where the pool's previous observation did not list it: it was launched since, so it had run at least
 * from its first sight to the last sight of it not serving, the same lower bound, shorter by up to a decision
 * interval. Instances that end before they
 * serve are dropped (a launch that fails is a shortfall, shortfall.ts, not a slow boot). One the previous
 * observation listed in the pool's warm capacity is a warm node resuming: it is followed the same way as a
 * resume, and its samples are the pool's resume time's (`updateBoots`).
 *
 * What is used: a pool with at least `BOOT_MIN_SAMPLES` launches seen serving counts as its time to ready the
 * larger of the configured one and the `BOOT_QUANTILE` of their lower bounds (the last `BOOT_SAMPLES`, from
 * the last `BOOT_MEMORY_SECONDS`): a launch slower than nine in ten seen is still planned for; a warm pool its
 * resume time likewise. The configured times stay the floor: a pool whose nodes serve sooner keeps the leads
 * the operator stated. The state is the application's (the fleet's state, saved with each decision); the
 * functions here are pure.
 */
import type { ObservedInstance } from '../domain/ports.ts';
import type { Fleet, Pool, WarmPolicy } from '../domain/types.ts';
import { ms } from './time.ts';

/** Completed launches kept per pool. */
export const BOOT_SAMPLES = 20;
/** Launches seen serving before they count: fewer say little of the pool's spread. */
export const BOOT_MIN_SAMPLES = 3;
/** The quantile of the launches' lower bounds a pool's lead counts (nearest rank). */
export const BOOT_QUANTILE = 0.9;
/** How long a completed launch is remembered, seconds: a week (images, models and regions change). */
export const BOOT_MEMORY_SECONDS = 7 * 86_400;

/** A completed launch or resume: at least how long it took to serve (seconds), and when it was seen serving. */
export interface BootSample {
  seconds: number;
  at: string;
}

/** What the fleet has seen of its launches and warm resumes, per pool. */
export interface BootState {
  /**
   * Launches being followed, by pool and instance id: when the cloud started it (`sighted`: when it was first
   * seen starting, the cloud giving no launch time), when it was last seen not serving.
   */
  booting: Record<string, Record<string, Launch>>;
  /** Completed launches, oldest first. */
  samples: Record<string, BootSample[]>;
  /**
   * The instances each pool's warm capacity held when last observed, and when: one of them starting is a warm
   * node resuming, which takes its resume time, not a launch's.
   */
  warm?: Record<string, { ids: string[]; at: string }>;
  /** Resumes being followed, by pool and instance id: when it started at the latest, when last seen not serving. */
  resuming?: Record<string, Record<string, { startedAt: string; seenAt: string }>>;
  /** Completed resumes, oldest first. */
  resumes?: Record<string, BootSample[]>;
  /**
   * The instances each pool listed without a launch time at its last observation, and when: kept for a pool that
   * listed such instances or none at all, so that one listed starting later and not then is known to be new.
   */
  listed?: Record<string, { ids: string[]; at: string }>;
}

/** A launch being followed (`BootState.booting`). */
export interface Launch {
  launchedAt: string;
  seenAt: string;
  /** `launchedAt` is when it was first seen starting: the cloud lists it without a launch time. */
  sighted?: true;
}

/** A pool's time to ready as learned, when its launches say more than its configuration (`Pool.timeToReadyLearned`). */
export type LearnedTimeToReady = NonNullable<Pool['timeToReadyLearned']>;

const SERVING = new Set(['ready']);
const STARTING = new Set(['pending', 'running']);

/** The samples of `from` within the memory, for the pools in `ids`. */
function remembered(from: Record<string, BootSample[]> | undefined, ids: ReadonlySet<string>, t: number) {
  const out: Record<string, BootSample[]> = {};
  for (const [poolId, s] of Object.entries(from ?? {})) {
    const kept = s.filter((x) => ms(x.at) > t - BOOT_MEMORY_SECONDS * 1000);
    if (kept.length && ids.has(poolId)) out[poolId] = kept.map((x) => ({ ...x }));
  }
  return out;
}

/** What `from` holds of the pools in `ids` that this observation did not list (kept as it is). */
function unobserved<T>(
  from: Record<string, T> | undefined,
  ids: ReadonlySet<string>,
  listed: ReadonlyMap<string, unknown>,
) {
  const out: Record<string, T> = {};
  for (const [poolId, v] of Object.entries(from ?? {})) if (ids.has(poolId) && !listed.has(poolId)) out[poolId] = v;
  return out;
}

/**
 * The state after this observation: `instances` by pool id, for the pools observed (a pool not in the map was
 * not observed: what is known of it is kept), and the instances each observed pool keeps warm (`warm`, by pool
 * id). Pure: returns a new state.
 *
 * A warm node resuming is followed as a resume: it started no later than it was first seen starting, and at its
 * launch time where that is after the pool's previous observation (EC2 sets `LaunchTime` at each start; Azure and
 * GCP keep the creation time), and it is sampled, as a launch is, at how long it had run when last seen not
 * serving.
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
  // What is known of a pool the fleet no longer has goes with it.
  const ids = new Set(pools.map((p) => p.id));
  const next: BootState = {
    booting: unobserved(state?.booting, ids, instances),
    samples: remembered(state?.samples, ids, t),
  };
  const warmNext = unobserved(state?.warm, ids, instances);
  const listedNext = unobserved(state?.listed, ids, instances);
  const resumingNext = unobserved(state?.resuming, ids, instances);
  const resumesNext = remembered(state?.resumes, ids, t);
  for (const pool of pools) {
    const seen = instances.get(pool.id);
    if (!seen) continue;
    const before = state?.booting?.[pool.id] ?? {};
    const resumingBefore = state?.resuming?.[pool.id] ?? {};
    const wasWarm = state?.warm?.[pool.id];
    // A listing of this same instant (an observation delivered again) is not a previous observation.
    const warmIds = new Set(wasWarm && ms(wasWarm.at) < t ? wasWarm.ids : []);
    const warmNow = warm.get(pool.id) ?? [];
    if (warmNow.length) warmNext[pool.id] = { ids: [...warmNow], at };
    const listedBefore = state?.listed?.[pool.id] ? new Set(state.listed[pool.id]!.ids) : undefined;
    const unstamped = seen.filter((i) => !i.launchedAt).map((i) => i.id);
    if (unstamped.length || !seen.length) listedNext[pool.id] = { ids: unstamped, at };
    const booting: Record<string, Launch> = {};
    const resuming: Record<string, { startedAt: string; seenAt: string }> = {};
    const samples = next.samples[pool.id] ?? [];
    const resumes = resumesNext[pool.id] ?? [];
    for (const i of seen) {
      const launched = i.launchedAt ? ms(i.launchedAt) : Number.NaN;
      const r = resumingBefore[i.id];
      if (r) {
        // A resume followed: on until it serves, dropped if it ends first.
        if (STARTING.has(i.lifecycle)) resuming[i.id] = { startedAt: r.startedAt, seenAt: at };
        else if (SERVING.has(i.lifecycle))
          resumes.push({ seconds: Math.max(0, (ms(r.seenAt) - ms(r.startedAt)) / 1000), at });
        continue;
      }
      // An instance started again outside the warm capacity is a new launch: the one followed before is over.
      const prior = before[i.id];
      const followed =
        prior && (prior.launchedAt === i.launchedAt || (prior.sighted && !i.launchedAt)) ? prior : undefined;
      if (!followed && warmIds.has(i.id)) {
        if (STARTING.has(i.lifecycle)) {
          const since = ms(wasWarm!.at);
          const started = Number.isFinite(launched) && launched > since && launched <= t ? launched : t;
          resuming[i.id] = { startedAt: new Date(started).toISOString(), seenAt: at };
        }
        continue;
      }
      if (!i.launchedAt) {
        // No launch time: a launch since the pool's previous observation, followed from its first sight.
        if (STARTING.has(i.lifecycle)) {
          if (followed) booting[i.id] = { ...followed, seenAt: at };
          else if (listedBefore && !listedBefore.has(i.id))
            booting[i.id] = { launchedAt: at, seenAt: at, sighted: true };
        } else if (SERVING.has(i.lifecycle) && followed) {
          samples.push({ seconds: Math.max(0, (ms(followed.seenAt) - ms(followed.launchedAt)) / 1000), at });
        }
        continue;
      }
      if (!Number.isFinite(launched) || launched > t) continue;
      if (STARTING.has(i.lifecycle)) {
        if (followed) booting[i.id] = { launchedAt: followed.launchedAt, seenAt: at };
        else if (t - launched <= pool.timeToReadySeconds * 1000)
          booting[i.id] = { launchedAt: i.launchedAt!, seenAt: at };
      } else if (SERVING.has(i.lifecycle) && followed) {
        samples.push({ seconds: Math.max(0, (ms(followed.seenAt) - launched) / 1000), at });
      }
    }
    if (Object.keys(booting).length) next.booting[pool.id] = booting;
    if (samples.length) next.samples[pool.id] = samples.slice(-BOOT_SAMPLES);
    if (Object.keys(resuming).length) resumingNext[pool.id] = resuming;
    if (resumes.length) resumesNext[pool.id] = resumes.slice(-BOOT_SAMPLES);
  }
  if (Object.keys(warmNext).length) next.warm = warmNext;
  if (Object.keys(listedNext).length) next.listed = listedNext;
  if (Object.keys(resumingNext).length) next.resuming = resumingNext;
  if (Object.keys(resumesNext).length) next.resumes = resumesNext;
  return next;
}

/** The quantile of `s` (nearest rank) where there are enough of them and it exceeds `configured`. */
function learned(s: readonly BootSample[] | undefined, configured: number) {
  if (!s || s.length < BOOT_MIN_SAMPLES) return undefined;
  const sorted = s.map((x) => x.seconds).sort((a, b) => a - b);
  const observed = Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(BOOT_QUANTILE * sorted.length) - 1)]!);
  return observed > configured ? { configured, observed, samples: s.length } : undefined;
}

/** The time to ready a pool's launches have shown, when it is longer than the configured one. */
export function learnedTimeToReady(pool: Pool, state: BootState | undefined): LearnedTimeToReady | undefined {
  const l = learned(state?.samples?.[pool.id], pool.timeToReadySeconds);
  return l ? { configured: l.configured, observed: l.observed, launches: l.samples } : undefined;
}

/** The resume time a warm pool's resumes have shown, when it is longer than the configured one. */
export function learnedResumeSeconds(
  pool: Pool,
  state: BootState | undefined,
): NonNullable<WarmPolicy['resumeLearned']> | undefined {
  if (!pool.warm) return undefined;
  const l = learned(state?.resumes?.[pool.id], pool.warm.resumeSeconds);
  return l ? { configured: l.configured, observed: l.observed, resumes: l.samples } : undefined;
}

/**
 * The fleet with each pool's time to ready as its launches have shown it, and each warm pool's resume time as
 * its resumes have, where longer than configured.
 */
export function withLearnedTimeToReady(fleet: Fleet, state: BootState | undefined): Fleet {
  let changed = false;
  const pools = fleet.pools.map((p) => {
    const l = learnedTimeToReady(p, state);
    const r = learnedResumeSeconds(p, state);
    if (!l && !r) return p;
    changed = true;
    return {
      ...p,
      ...(l ? { timeToReadySeconds: l.observed, timeToReadyLearned: l } : {}),
      ...(r && p.warm ? { warm: { ...p.warm, resumeSeconds: r.observed, resumeLearned: r } } : {}),
    };
  });
  return changed ? { ...fleet, pools } : fleet;
}
