/**
 * Spot risk: what spot capacity is worth over the coming lead time, learned from the losses the fleet has
 * seen per offering (a spot pool in one zone, `pool/zone`; `pool/*` when the zone is not known).
 *
 *   - Survival. Each offering's loss rate is its nodes lost (interruption notices, launches the cloud could
 *     not make) over the node-hours it held, both decayed with a one-day time constant so that the estimate
 *     follows the market, plus a prior worth one loss at `SPOT_PRIOR_LOSS_RATE`. A spot node counts at
 *     exp(-rate x lead) of its throughput: the placement buys enough spot for the expected loss.
 *   - Correlated loss. The mean is not the target's quantile: offerings vanish together (the zones of one
 *     market, sometimes several clouds at once). Losses within one lead time of each other form an episode;
 *     each episode seen in the last week is a scenario that may happen again, each offering losing the share
 *     of its nodes it lost then. A scenario of probability p over a lead window (the episodes of the same
 *     offerings, plus the prior's one, x lead / (span of memory + the prior's span)) above 1 - availability
 *     must be survived: the capacity left must
 *     serve the demand at the conditional target 1 - (1 - availability) / p (`hedgeTargets`). The placement meets it
 *     by buying more spot elsewhere or by falling back to on-demand, whichever costs less (decide.ts) —
 *     SkyServe/SpotHedge's dynamic fallback, with the cheaper over-provisioning as the alternative.
 *
 * The state (`SpotRiskState`) is folded by `updateSpotRisk(state, fleet, losses, now)`: pure, returned in
 * the plan, stored by the application with the fleet's state.
 */
import type { Fleet, Pool } from '../domain/types.ts';
import { zoneInPool } from '../domain/zones.ts';
import { ms } from './time.ts';
import type { SpotRiskState } from './types.ts';

/**
 * Prior spot loss rate, per node-hour: 5,532 instances lost over 19,304 instance-hours held, pooled over the
 * 20 zones of the SkyServe/SpotHedge spot availability traces that ever had capacity (Mao et al., EuroSys'25;
 * `spot_availability/summary.csv`). Worth one observed loss: the fleet's own record soon outweighs it.
 */
export const SPOT_PRIOR_LOSS_RATE = 0.287;

/** Time constant of the decay of exposure and losses, seconds: a day (the markets' daily cycle). */
export const SPOT_RISK_DECAY_SECONDS = 86_400;

/** How long loss episodes are remembered as scenarios, seconds: a week; at most `SPOT_MAX_EVENTS` losses. */
export const SPOT_EPISODE_MEMORY_SECONDS = 7 * 86_400;
export const SPOT_MAX_EVENTS = 500;

export const offeringKey = (poolId: string, zone?: string) => `${poolId}/${zone ?? '*'}`;

/**
 * Prior chance, per 900 s lead window, that every spot offering of one cloud loses all its nodes together:
 * 1.12%. Pooled over the 26,484 windows of 15 minutes of the SkyServe/SpotHedge spot availability traces
 * (Mao et al., EuroSys'25; `spot_availability/{AWS1,AWS2,AWS3,GCP1}`, each set's zones taken as one
 * fleet's spot offerings, the capacity held at a window's start): in 1.12% of them the set lost all of it
 * within the window (in 4.0% two or more zones lost capacity together; AWS2's and AWS3's zones span three
 * regions, so losses are correlated beyond one region). Until the fleet has seen its own correlated losses,
 * this is the first loss it hedges: the capacity that is not spot (on-demand, reserved, warm) must serve
 * the demand at the conditional target when all spot goes. Scaled linearly to other leads.
 */
export const SPOT_PRIOR_ALL_LOST_PROBABILITY = 0.0112;
/** The window `SPOT_PRIOR_ALL_LOST_PROBABILITY` is measured over, seconds. */
export const SPOT_PRIOR_WINDOW_SECONDS = 900;

/**
 * The time one episode is expected in under the prior (seconds): the window over the all-lost probability,
 * about 22 h. A set of offerings the fleet has seen fail together has its episode rate learned as the loss
 * rate is (a Gamma-Poisson posterior mean): (episodes + 1) / (span of memory + this), the prior worth one
 * episode. The bare count over the span (the maximum-likelihood rate) read one episode in the first hour as
 * a loss every four lead windows, and hedged it with an on-demand fleet as large as the spot one.
 */
export const SPOT_PRIOR_SPAN_SECONDS = SPOT_PRIOR_WINDOW_SECONDS / SPOT_PRIOR_ALL_LOST_PROBABILITY;

/**
 * A loss this decision learned of: nodes of an offering interrupted, or asked for and not launched (the
 * capacity was counted on and is not there either way). Both count towards the offering's loss rate and
 * make episodes.
 */
export interface SpotLoss {
  poolId: string;
  zone?: string;
  nodes: number;
}

/**
 * The risk state after this decision: exposure of the spot nodes held since the last update, decayed;
 * the new losses counted and remembered.
 */
export function updateSpotRisk(
  prev: SpotRiskState | undefined,
  fleet: Fleet,
  losses: readonly SpotLoss[],
  now: number,
): SpotRiskState {
  const last = ms(prev?.at);
  const dt = Number.isNaN(last) ? 0 : Math.max(0, (now - last) / 1000);
  const decay = Math.exp(-dt / SPOT_RISK_DECAY_SECONDS);
  const offerings: SpotRiskState['offerings'] = {};
  const entry = (k: string) => {
    offerings[k] ??= { hours: 0, losses: 0 };
    return offerings[k];
  };
  for (const [k, o] of Object.entries(prev?.offerings ?? {})) {
    offerings[k] = { hours: o.hours * decay, losses: o.losses * decay };
  }
  for (const pool of fleet.pools) {
    if (pool.capacityType !== 'spot') continue;
    const zones = pool.location.zones.length ? pool.location.zones : [undefined];
    const held = Math.max(0, pool.desired);
    entry(offeringKey(pool.id)).hours += (held * dt) / 3600;
    for (const z of zones) {
      entry(offeringKey(pool.id, z)).hours += ((held / zones.length) * dt) / 3600;
    }
  }
  const at = new Date(now).toISOString();
  const events = (prev?.events ?? []).filter((e) => now - ms(e.at) <= SPOT_EPISODE_MEMORY_SECONDS * 1000);
  for (const l of losses) {
    if (!(l.nodes > 0)) continue;
    const pool = fleet.pools.find((p) => p.id === l.poolId);
    if (pool?.capacityType !== 'spot') continue;
    // The zone as the pool writes it (Azure `eastus-az2` is the pool's `2`), as the offering's backoff is: a loss
    // under another spelling would be learned under an offering nothing reads. A zone the pool does not have
    // is a loss of the pool's.
    const zone =
      l.zone === undefined
        ? undefined
        : zoneInPool(pool.cloud, l.zone, pool.location.zones, undefined, pool.location.region);
    const k = offeringKey(l.poolId, zone);
    entry(k).losses += l.nodes;
    const zones = Math.max(1, pool.location.zones.length);
    const held = zone !== undefined ? pool.desired / zones : pool.desired;
    events.push({ at, offering: k, nodes: l.nodes, held: Math.max(l.nodes, held) });
  }
  return { at, offerings, events: events.slice(-SPOT_MAX_EVENTS) };
}

/** Loss rate per node-hour of one offering (the prior blended with what it has seen). */
function lossRate(state: SpotRiskState | undefined, key: string): number {
  const o = state?.offerings[key];
  return ((o?.losses ?? 0) + 1) / ((o?.hours ?? 0) + 1 / SPOT_PRIOR_LOSS_RATE);
}

/**
 * Expected share of a spot pool's nodes still there after `leadSeconds`: per zone exp(-rate x lead),
 * averaged over its zones (a pool spreads evenly); 1 for a pool that is not spot.
 */
export function poolSurvival(state: SpotRiskState | undefined, pool: Pool, leadSeconds: number): number {
  if (pool.capacityType !== 'spot') return 1;
  const zones = pool.location.zones.length ? pool.location.zones : [undefined];
  let sum = 0;
  for (const z of zones) {
    const rate = Math.max(lossRate(state, offeringKey(pool.id, z)), lossRate(state, offeringKey(pool.id)));
    sum += Math.exp((-rate * leadSeconds) / 3600);
  }
  return sum / zones.length;
}

/** Offerings that may be lost together, the share of each that goes, and how likely that is. */
export interface LossScenario {
  /** Share of each offering's nodes lost (0..1), by offering key. */
  losses: Record<string, number>;
  /** Probability of the scenario within one lead window. */
  probability: number;
  /** ISO time of the latest episode it was seen in (absent for the prior). */
  seen?: string;
  /** The documented prior (`priorScenario`), not an episode the fleet saw. */
  prior?: boolean;
}

/**
 * The prior correlated losses: for each cloud, every spot offering of that cloud lost at once (`pool/*` of its
 * spot pools), at `SPOT_PRIOR_ALL_LOST_PROBABILITY` per 900 s, scaled to the lead. The traces' correlated
 * losses span the zones and regions of one cloud; spot markets of different clouds are taken as independent
 * until the fleet sees them fail together (then that episode is a scenario of its own).
 */
export function priorScenarios(fleet: Fleet, leadSeconds: number): LossScenario[] {
  if (!(leadSeconds > 0)) return [];
  const byCloud = new Map<string, Pool[]>();
  for (const p of fleet.pools) {
    if (p.capacityType !== 'spot') continue;
    byCloud.set(p.cloud, [...(byCloud.get(p.cloud) ?? []), p]);
  }
  const probability = Math.min(1, (SPOT_PRIOR_ALL_LOST_PROBABILITY * leadSeconds) / SPOT_PRIOR_WINDOW_SECONDS);
  return [...byCloud.values()].map((pools) => ({
    losses: Object.fromEntries(pools.map((p) => [offeringKey(p.id), 1])),
    probability,
    prior: true,
  }));
}

/**
 * The scenarios to hedge: each episode of losses within one lead time of each other (offerings that failed
 * together), each offering losing the share of its nodes it lost then; the probability of the same set of
 * offerings failing again within one lead window is (episodes of that set + 1) x lead / (span of memory +
 * `SPOT_PRIOR_SPAN_SECONDS`): the prior is worth one episode. The
 * mean loss of each offering is priced by its survival; an episode is what the mean does not show.
 */
export function lossScenarios(state: SpotRiskState | undefined, leadSeconds: number, now: number): LossScenario[] {
  const events = [...(state?.events ?? [])]
    .map((e) => ({ ...e, t: ms(e.at) }))
    .filter((e) => !Number.isNaN(e.t) && e.t <= now)
    .sort((a, b) => a.t - b.t);
  if (events.length === 0) return [];
  const episodes: Array<{ lost: Map<string, { nodes: number; held: number }>; last: number }> = [];
  for (const e of events) {
    let cur = episodes[episodes.length - 1];
    if (!cur || e.t - cur.last > leadSeconds * 1000) {
      cur = { lost: new Map(), last: e.t };
      episodes.push(cur);
    }
    cur.last = e.t;
    const o = cur.lost.get(e.offering) ?? { nodes: 0, held: 0 };
    o.nodes += e.nodes;
    o.held = Math.max(o.held, e.held ?? e.nodes);
    cur.lost.set(e.offering, o);
  }
  const span = Math.max(leadSeconds, Math.min(SPOT_EPISODE_MEMORY_SECONDS, (now - events[0].t) / 1000 + leadSeconds));
  const bySet = new Map<string, { losses: Record<string, number>; count: number; seen: number }>();
  for (const ep of episodes) {
    const key = [...ep.lost.keys()].sort().join(',');
    const cur = bySet.get(key) ?? { losses: {}, count: 0, seen: ep.last };
    cur.count++;
    cur.seen = Math.max(cur.seen, ep.last);
    // The worst share each offering lost in any episode of this set.
    for (const [k, o] of ep.lost)
      cur.losses[k] = Math.max(cur.losses[k] ?? 0, Math.min(1, o.nodes / Math.max(1, o.held)));
    bySet.set(key, cur);
  }
  // The rate of a set's episodes, as the loss rate is learned: the prior (one episode per
  // `SPOT_PRIOR_SPAN_SECONDS`, the all-lost prior's rate) blended with what the fleet has seen. A short memory
  // with one episode in it is then no longer read as a loss every few lead windows.
  return [...bySet.values()].map((s) => ({
    losses: s.losses,
    probability: Math.min(1, ((s.count + 1) * leadSeconds) / (span + SPOT_PRIOR_SPAN_SECONDS)),
    seen: new Date(s.seen).toISOString(),
  }));
}

/**
 * The scenarios a target must survive, each with the conditional target the capacity left must meet:
 * 1 - (1 - availability) / p (the joint chance of the loss and a demand peak above that level stays within
 * the target). Scenarios at or below 1 - availability need no hedge.
 */
export function hedgeTargets(
  scenarios: readonly LossScenario[],
  availability: number,
): Array<LossScenario & { target: number }> {
  const allowed = 1 - Math.min(1, Math.max(0, availability));
  return scenarios
    .filter((s) => s.probability > allowed)
    .map((s) => ({ ...s, target: Math.max(0, 1 - allowed / s.probability) }));
}

/**
 * The throughput (requests/s) a layout loses in a scenario: per spot pool, its nodes spread evenly over its
 * zones, each zone losing its share (`pool/*` the whole pool's share).
 */
export function capacityLost(
  losses: Readonly<Record<string, number>>,
  counts: ReadonlyArray<{ pool: Pool; nodes: number }>,
): number {
  let rps = 0;
  for (const { pool, nodes } of counts) {
    if (pool.capacityType !== 'spot' || nodes <= 0) continue;
    const zones = pool.location.zones.length ? pool.location.zones : [undefined];
    const whole = losses[offeringKey(pool.id)] ?? 0;
    let share = 0;
    for (const z of zones) share += Math.max(whole, z === undefined ? 0 : (losses[offeringKey(pool.id, z)] ?? 0));
    rps += (nodes * Math.max(0, pool.rpsPerNode) * share) / zones.length;
  }
  return rps;
}
