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
 *     each episode seen in the last week is a scenario that may happen again, and so is each offering alone
 *     (the prior). A scenario of probability p over a lead window (episodes seen x lead / span of memory) that
 *     exceeds 1 - availability must be survived: the capacity left when its offerings all go must serve the
 *     demand at the conditional target 1 - (1 - availability) / p (`hedgeTargets`). The placement meets it
 *     by buying more spot elsewhere or by falling back to on-demand, whichever costs less (decide.ts) —
 *     SkyServe/SpotHedge's dynamic fallback, with the cheaper over-provisioning as the alternative.
 *
 * The state (`SpotRiskState`) is folded by `updateSpotRisk(state, fleet, losses, now)`: pure, returned in
 * the plan, stored by the application with the fleet's state.
 */
import type { Fleet, Pool } from '../domain/types.ts';
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

/** A loss this decision learned of: nodes of an offering interrupted or not launched. */
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
    const k = offeringKey(l.poolId, l.zone);
    entry(k).losses += l.nodes;
    events.push({ at, offering: k, nodes: l.nodes });
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

/** A set of offerings that may be lost together, and how likely that is within one lead window. */
export interface LossScenario {
  offerings: string[];
  /** Probability of the scenario within one lead window. */
  probability: number;
  /** Where it comes from, for the explanation. */
  source: 'episode' | 'prior';
  /** ISO time of the (latest) episode it was seen in. */
  seen?: string;
}

/**
 * The scenarios to hedge: each offering alone at its survival's complement (the prior), and each episode of
 * losses within one lead time of each other, at (episodes with the same offerings) x lead / memory span.
 */
export function lossScenarios(
  state: SpotRiskState | undefined,
  fleet: Fleet,
  leadSeconds: number,
  now: number,
): LossScenario[] {
  const out: LossScenario[] = [];
  for (const pool of fleet.pools) {
    if (pool.capacityType !== 'spot') continue;
    for (const z of pool.location.zones.length ? pool.location.zones : [undefined]) {
      const k = offeringKey(pool.id, z);
      const rate = Math.max(lossRate(state, k), lossRate(state, offeringKey(pool.id)));
      out.push({ offerings: [k], probability: 1 - Math.exp((-rate * leadSeconds) / 3600), source: 'prior' });
    }
  }
  const events = [...(state?.events ?? [])]
    .map((e) => ({ ...e, t: ms(e.at) }))
    .filter((e) => !Number.isNaN(e.t) && e.t <= now)
    .sort((a, b) => a.t - b.t);
  if (events.length === 0) return out;
  const episodes: Array<{ offerings: Set<string>; last: number }> = [];
  for (const e of events) {
    const cur = episodes[episodes.length - 1];
    if (cur && e.t - cur.last <= leadSeconds * 1000) {
      cur.offerings.add(e.offering);
      cur.last = e.t;
    } else episodes.push({ offerings: new Set([e.offering]), last: e.t });
  }
  const span = Math.max(leadSeconds, Math.min(SPOT_EPISODE_MEMORY_SECONDS, (now - events[0].t) / 1000 + leadSeconds));
  const byKey = new Map<string, { offerings: string[]; count: number; seen: number }>();
  for (const ep of episodes) {
    const offerings = [...ep.offerings].sort();
    const key = offerings.join(',');
    const cur = byKey.get(key);
    if (cur) {
      cur.count++;
      cur.seen = Math.max(cur.seen, ep.last);
    } else byKey.set(key, { offerings, count: 1, seen: ep.last });
  }
  for (const s of byKey.values()) {
    out.push({
      offerings: s.offerings,
      probability: Math.min(1, (s.count * leadSeconds) / span),
      source: 'episode',
      seen: new Date(s.seen).toISOString(),
    });
  }
  return out;
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
 * The throughput (requests/s) a layout's spot nodes of `offerings` hold: per pool, its nodes spread evenly
 * over its zones; `pool/*` takes the whole pool.
 */
export function capacityIn(offerings: readonly string[], counts: ReadonlyArray<{ pool: Pool; nodes: number }>): number {
  const set = new Set(offerings);
  let rps = 0;
  for (const { pool, nodes } of counts) {
    if (pool.capacityType !== 'spot' || nodes <= 0) continue;
    if (set.has(offeringKey(pool.id))) {
      rps += nodes * pool.rpsPerNode;
      continue;
    }
    const zones = pool.location.zones.length ? pool.location.zones : [undefined];
    const lost = zones.filter((z) => set.has(offeringKey(pool.id, z))).length;
    rps += (nodes * pool.rpsPerNode * lost) / zones.length;
  }
  return rps;
}
