/**
 * GPU rightsizing: from a fleet's configuration, the capacity model and its recorded demand, the changes worth
 * simulating, each with the figures that suggest it. Pure: (configuration, demand) in, candidates out; the
 * simulation of each candidate (local/advise/evaluate.ts) says what it costs and what it does to the SLO.
 *
 * Five questions (issue 15, seeds 000 and 003):
 * - instance type: the cheapest type of the baseline pool's cloud per request/s at the fleet's latency target
 *   (the capacity model's serving plan, with its tensor-parallel size), on-demand prices from the catalog;
 * - MIG: for pools on GPUs with MIG (A100, H100, H200, B200), the profile serving the most requests/s per GPU,
 *   against the whole GPU;
 * - spot share: the fleet's `placement.spotShare` at 0, 0.5 and 1 beside its own;
 * - warm pool: on the baseline pool (when its kind can keep warm capacity), none, its own, and the count
 *   that covers the largest rise of the recorded demand within one time to ready;
 * - reservations: the demand's steady floor (the node count needed in 95% of the recorded minutes: the 5th
 *   percentile, so one quiet minute does not set it) on the baseline type, against a capacity reservation
 *   (EC2 ODCR, Azure capacity reservation, GCP reservation: all billed at the on-demand price whether used or
 *   not) and, where AWS sells them, an EC2 Capacity Block (prices in CAPACITY_BLOCK_HOURLY).
 */
import type { Config, FleetConfig, PoolConfig } from '../../shared/config/schema.ts';
import type { ResolvedConfig } from '../../shared/config/load.ts';
import { CapacityError, nodePlan } from '../../shared/domain/capacity.ts';
import type { Fleet, Pool } from '../../shared/domain/types.ts';
import { migPlans } from './mig.ts';

export const HOURS_PER_MONTH = 730;

/**
 * EC2 Capacity Block effective hourly rates, USD per instance-hour, from AWS's "Amazon EC2 Capacity Blocks for
 * ML Pricing" page (US East; AWS updates these rates regularly, so they are a reference, as the catalog's
 * prices are). Capacity Blocks are sold for these types only; durations in 1-day steps up to 14 days and
 * 7-day steps up to 182 days; 1, 2, 4, ... 64 instances.
 */
export const CAPACITY_BLOCK_HOURLY: Record<string, number> = {
  'p5.48xlarge': 39.33,
  'p4d.24xlarge': 14.75,
};
export const CAPACITY_BLOCK_SIZES = [1, 2, 4, 8, 16, 32, 64] as const;
export const CAPACITY_BLOCK_MAX_DAYS = 182;

/** The share of recorded minutes whose demand the reserved floor covers (see the file comment). */
export const FLOOR_QUANTILE = 0.05;

export type RecommendationKind = 'instance-type' | 'mig' | 'spot-share' | 'warm-pool' | 'reservation';

/** One way to configure the fleet, to be simulated. `apply` returns a changed copy of the configuration. */
export interface ConfigOption {
  label: string;
  /** Undefined for the configuration as it is. */
  apply?: (config: Config) => Config;
}

export interface Candidate {
  kind: RecommendationKind;
  /** What was looked at, in one line. */
  question: string;
  /** Figures from the capacity model, the catalog and the demand, one sentence each. */
  reasons: string[];
  /** Options to simulate besides the current configuration (none: nothing better to try). */
  options: ConfigOption[];
  /** Monthly figures that need no simulation (reservation prices), USD. */
  prices?: Record<string, number>;
}

export interface RecordedDemand {
  stepSeconds: number;
  /** Requests/s in each step. */
  rps: number[];
  source: string;
}

/** The cheapest on-demand pool per request/s (what the simulation's start and the floor are sized on). */
export function baselinePool(fleet: Fleet): Pool {
  const cloudPools = fleet.pools.filter((p) => p.cloud !== 'kubernetes');
  const onDemand = cloudPools.filter((p) => p.capacityType === 'on-demand');
  const from = onDemand.length ? onDemand : cloudPools;
  if (from.length === 0) throw new Error(`fleet '${fleet.id}' has no cloud pools`);
  return from.reduce((best, p) => (p.hourlyPrice / p.rpsPerNode < best.hourlyPrice / best.rpsPerNode ? p : best));
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  // The value at or below which a share q of the values lie: at least 1 - q of them are >= it.
  const i = Math.min(s.length - 1, Math.max(0, Math.floor(q * s.length)));
  return s[i]!;
}

const money = (x: number) => `$${x.toFixed(x >= 100 ? 0 : 2)}`;

function fleetConfigIndex(config: Config, fleetId: string): number {
  const i = config.fleets.findIndex((f) => f.id === fleetId);
  if (i < 0) throw new Error(`no fleet '${fleetId}' in the configuration`);
  return i;
}

/** A copy of the configuration with the fleet changed by `change`. */
export function changeFleet(config: Config, fleetId: string, change: (f: FleetConfig) => void): Config {
  const copy = structuredClone(config);
  change(copy.fleets[fleetConfigIndex(copy, fleetId)]!);
  return copy;
}

const poolsOf = (f: FleetConfig, ids: Set<string>): PoolConfig[] => f.pools.filter((p) => ids.has(p.id));

export interface AdviseInput {
  resolved: ResolvedConfig;
  fleetId: string;
  demand: RecordedDemand;
}

export function candidates(input: AdviseInput): Candidate[] {
  const fleet = input.resolved.fleets.find((f) => f.id === input.fleetId);
  if (!fleet) throw new Error(`no fleet '${input.fleetId}' in the configuration`);
  return [
    instanceTypeCandidate(input, fleet),
    migCandidate(input, fleet),
    spotShareCandidate(fleet),
    warmCandidate(input, fleet),
    reservationCandidate(input, fleet),
  ];
}

function instanceTypeCandidate({ resolved, fleetId }: AdviseInput, fleet: Fleet): Candidate {
  const base = baselinePool(fleet);
  const question = `instance type of ${base.id} (${base.instanceType}, ${base.cloud}) at ${fleet.slo.p95LatencyMs} ms per request`;
  if (!fleet.workload)
    return {
      kind: 'instance-type',
      question,
      reasons: ['the fleet names no workload: no capacity model to compare types'],
      options: [],
    };
  const model = fleet.workload;
  const ranked: Array<{ name: string; perRps: number; tp: number; rps: number; gpu: string; price: number }> = [];
  for (const it of Object.values(resolved.catalog.instanceTypes)) {
    if (it.cloud !== base.cloud) continue;
    try {
      const plan = nodePlan(resolved.catalog, model, it.name, fleet.slo.p95LatencyMs);
      if (!(plan.rpsPerNode > 0)) continue;
      ranked.push({
        name: it.name,
        perRps: it.onDemandHourly / plan.rpsPerNode,
        tp: plan.tensorParallel,
        rps: plan.rpsPerNode,
        gpu: plan.gpu.name,
        price: it.onDemandHourly,
      });
    } catch (e) {
      if (!(e instanceof CapacityError)) throw e;
    }
  }
  ranked.sort((a, b) => a.perRps - b.perRps);
  const current = ranked.find((r) => r.name === base.instanceType);
  const best = ranked[0];
  const line = (r: (typeof ranked)[number]) =>
    `${r.name} (${r.gpu}, tensor-parallel ${r.tp}): ${r.rps.toFixed(1)} requests/s per node at ${money(r.price)}/h, ${money(r.perRps * 100)}/h per 100 requests/s`;
  const reasons = ranked.slice(0, 3).map(line);
  if (current && !ranked.slice(0, 3).includes(current)) reasons.push(`now: ${line(current)}`);
  if (!best || best.name === base.instanceType)
    return {
      kind: 'instance-type',
      question,
      reasons: [...reasons, `${base.instanceType} is already the cheapest per request/s on ${base.cloud}`],
      options: [],
    };
  // Every pool of the fleet on the same cloud and type moves together (spot and on-demand of one type).
  const moving = new Set(
    fleet.pools.filter((p) => p.cloud === base.cloud && p.instanceType === base.instanceType).map((p) => p.id),
  );
  const spotOk = resolved.catalog.instanceTypes[best.name]?.spotHourly !== undefined;
  if (!spotOk && fleet.pools.some((p) => moving.has(p.id) && p.capacityType === 'spot')) {
    reasons.push(`${best.name} has no spot price in the catalog: its spot pools keep their type`);
    for (const p of fleet.pools) if (p.capacityType === 'spot') moving.delete(p.id);
  }
  return {
    kind: 'instance-type',
    question,
    reasons,
    options: [
      {
        label: `${best.name} (tensor-parallel ${best.tp}) on ${[...moving].join(', ')}`,
        apply: (config) =>
          changeFleet(config, fleetId, (f) => {
            for (const p of poolsOf(f, moving)) {
              p.instanceType = best.name;
              delete p.hourlyPrice;
              delete p.rpsPerNode;
              if (p.warm) delete p.warm.hourlyPrice;
            }
            if (f.deployment && best.tp !== f.deployment.gpusPerReplica) f.deployment.gpusPerReplica = best.tp;
          }),
      },
    ],
  };
}

function migCandidate({ resolved, fleetId }: AdviseInput, fleet: Fleet): Candidate {
  const model = fleet.workload;
  const onMig = fleet.pools.filter((p) => p.cloud !== 'kubernetes');
  const reasons: string[] = [];
  const options: ConfigOption[] = [];
  if (!model) return { kind: 'mig', question: 'MIG profiles', reasons: ['the fleet names no workload'], options };
  const seen = new Set<string>();
  for (const p of onMig) {
    const it = resolved.catalog.instanceTypes[p.instanceType];
    if (!it) continue;
    const gpu = resolved.catalog.gpus[it.gpuId];
    if (!gpu) continue;
    const plans = migPlans(model, gpu, fleet.slo.p95LatencyMs);
    if (plans.length === 0) continue;
    let whole: number;
    try {
      whole = nodePlan(resolved.catalog, model, p.instanceType, fleet.slo.p95LatencyMs).rpsPerNode / it.gpusPerNode;
    } catch (e) {
      if (!(e instanceof CapacityError)) throw e;
      continue;
    }
    const best = plans.reduce((a, b) => (b.perGpuRps > a.perGpuRps ? b : a));
    const smallest = plans.reduce((a, b) => (b.profile.computeSevenths < a.profile.computeSevenths ? b : a));
    const key = `${gpu.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      reasons.push(
        `${gpu.name}: whole GPU ${whole.toFixed(1)} requests/s; ` +
          plans.map((m) => `${m.profile.name} x${m.profile.perGpu} ${m.perGpuRps.toFixed(1)}`).join(', ') +
          ' requests/s per GPU',
      );
      if (smallest.profile.computeSevenths < 7)
        reasons.push(
          `the smallest profile holding ${model.name} on ${gpu.name} is ${smallest.profile.name} (${smallest.profile.perGpu} per GPU, ${smallest.perInstanceRps.toFixed(1)} requests/s each)`,
        );
    }
    if (best.perGpuRps > whole * 1.001 && best.profile.computeSevenths < 7) {
      const rps = best.perGpuRps * it.gpusPerNode;
      options.push({
        label: `${p.id}: MIG ${best.profile.name} x${best.profile.perGpu * it.gpusPerNode} per node (${rps.toFixed(1)} requests/s per node)`,
        apply: (config) =>
          changeFleet(config, fleetId, (f) => {
            const pc = f.pools.find((x) => x.id === p.id);
            if (pc) pc.rpsPerNode = rps;
          }),
      });
    }
  }
  if (seen.size === 0) reasons.push('no pool of the fleet runs on a GPU with MIG (A100, H100, H200, B200)');
  else if (options.length === 0)
    reasons.push('no MIG profile serves more requests/s per GPU than the whole GPU: keep whole GPUs for this fleet');
  return { kind: 'mig', question: "MIG profiles on the fleet's large GPUs", reasons, options };
}

function spotShareCandidate(fleet: Fleet): Candidate {
  const current = fleet.policy.placement.spotShare;
  const question = `spot share (now ${current}, on-demand base ${fleet.policy.placement.onDemandBase})`;
  if (!fleet.pools.some((p) => p.capacityType === 'spot'))
    return { kind: 'spot-share', question, reasons: ['the fleet has no spot pool'], options: [] };
  const shares = [0, 0.5, 1].filter((s) => Math.abs(s - current) > 1e-9);
  return {
    kind: 'spot-share',
    question,
    reasons: [
      `spot pools: ${fleet.pools
        .filter((p) => p.capacityType === 'spot')
        .map((p) => `${p.id} ${money(p.hourlyPrice)}/h`)
        .join(', ')}`,
    ],
    options: shares.map((s) => ({
      label: `spotShare ${s}`,
      apply: (config) =>
        changeFleet(config, fleet.id, (f) => {
          f.policy ??= {};
          f.policy.placement = { ...(f.policy.placement ?? {}), spotShare: s };
        }),
    })),
  };
}

const WARM_KINDS = new Set(['auto-scaling-group', 'azure-vmss', 'gcp-mig', 'gcp-regional-mig']);

/**
 * Nodes of `rpsPerNode` that cover the largest rise of demand within `windowSteps` steps: max over k of
 * (max of rps[k..k+window] - rps[k]).
 */
export function largestRiseNodes(rps: readonly number[], windowSteps: number, rpsPerNode: number): number {
  let rise = 0;
  for (let k = 0; k < rps.length; k++) {
    let peak = rps[k]!;
    for (let j = k + 1; j <= Math.min(rps.length - 1, k + windowSteps); j++) peak = Math.max(peak, rps[j]!);
    rise = Math.max(rise, peak - rps[k]!);
  }
  return Math.max(0, Math.ceil(rise / rpsPerNode - 1e-9));
}

function warmCandidate({ demand }: AdviseInput, fleet: Fleet): Candidate {
  const base = baselinePool(fleet);
  const question = `warm pool of ${base.id} (now ${base.warm ? `${base.warm.min}-${base.warm.max}` : 'none'})`;
  if (!WARM_KINDS.has(base.kind) || base.capacityType === 'spot')
    return {
      kind: 'warm-pool',
      question,
      reasons: [`${base.id} (${base.capacityType}, ${base.kind}) cannot keep warm capacity`],
      options: [],
    };
  const windowSteps = Math.max(1, Math.round(base.timeToReadySeconds / demand.stepSeconds));
  const n = Math.min(base.max, largestRiseNodes(demand.rps, windowSteps, base.rpsPerNode));
  const reasons = [
    `the largest rise of the recorded demand within one time to ready (${base.timeToReadySeconds} s) needs ${n} node(s) of ${base.rpsPerNode.toFixed(1)} requests/s`,
  ];
  const options: ConfigOption[] = [];
  const set = (w: { min: number; max: number } | undefined) => (config: Config) =>
    changeFleet(config, fleet.id, (f) => {
      const pc = f.pools.find((x) => x.id === base.id)!;
      if (w === undefined) delete pc.warm;
      else pc.warm = { ...(pc.warm ?? { state: 'stopped' as const }), min: w.min, max: w.max };
    });
  if (base.warm) options.push({ label: 'no warm pool', apply: set(undefined) });
  if (n > 0 && !(base.warm && base.warm.min === n && base.warm.max === n))
    options.push({ label: `warm ${n}-${n}`, apply: set({ min: n, max: n }) });
  return { kind: 'warm-pool', question, reasons, options };
}

function reservationCandidate({ demand }: AdviseInput, fleet: Fleet): Candidate {
  const base = baselinePool(fleet);
  const nodes = demand.rps.map((r) => Math.ceil(r / base.rpsPerNode - 1e-9));
  const needed = quantile(nodes, FLOOR_QUANTILE);
  // No more than the pool can run, as the warm pool's count (a reservation its pool cannot hold is paid for
  // nothing, and an on-demand base above it is never reached).
  const floor = Math.min(base.max, fleet.policy.maxNodes, needed);
  const days = (demand.rps.length * demand.stepSeconds) / 86_400;
  const question = `reservations for the steady floor on ${base.instanceType}`;
  const reasons = [
    `the demand needs at least ${needed} node(s) of ${base.instanceType} in ${Math.round((1 - FLOOR_QUANTILE) * 100)}% of the ${demand.rps.length} recorded steps (${(days * 24).toFixed(1)} h)` +
      (floor < needed ? `; ${base.id} and the fleet hold at most ${floor}: ${floor} reserved` : ''),
  ];
  if (floor === 0)
    return { kind: 'reservation', question, reasons: [...reasons, 'no steady floor: nothing to reserve'], options: [] };
  const od = fleet.pools.find((p) => p.instanceType === base.instanceType && p.capacityType === 'on-demand');
  const onDemandHourly = od?.hourlyPrice ?? base.hourlyPrice;
  const prices: Record<string, number> = {
    capacity_reservation_usd_month: floor * onDemandHourly * HOURS_PER_MONTH,
  };
  reasons.push(
    `a capacity reservation (EC2 ODCR, Azure capacity reservation, GCP reservation) of ${floor} bills the on-demand price whether used or not: ${money(prices.capacity_reservation_usd_month!)}/month; it buys assured capacity, not a discount`,
  );
  const block = CAPACITY_BLOCK_HOURLY[base.instanceType];
  if (block !== undefined) {
    const size = [...CAPACITY_BLOCK_SIZES].reverse().find((s) => s <= floor);
    const term = Math.max(1, Math.min(CAPACITY_BLOCK_MAX_DAYS, Math.floor(days)));
    if (size) {
      prices.capacity_block_usd_month = size * block * HOURS_PER_MONTH;
      reasons.push(
        `an EC2 Capacity Block of ${size} x ${base.instanceType} at ${money(block)}/h: ${money(prices.capacity_block_usd_month)}/month, ${term} day(s) (the recorded demand covers ${days.toFixed(1)} days; longer terms need longer history)`,
      );
    }
  } else reasons.push(`AWS sells Capacity Blocks for ${Object.keys(CAPACITY_BLOCK_HOURLY).join(' and ')} only`);
  const baseNow = fleet.policy.placement.onDemandBase;
  const options: ConfigOption[] =
    floor > baseNow
      ? [
          {
            label: `reserve ${floor} (on-demand base ${baseNow} -> ${floor})`,
            apply: (config) =>
              changeFleet(config, fleet.id, (f) => {
                f.policy ??= {};
                f.policy.placement = { ...(f.policy.placement ?? {}), onDemandBase: floor };
              }),
          },
        ]
      : [];
  if (options.length === 0) reasons.push(`the on-demand base (${baseNow}) already covers the floor`);
  return { kind: 'reservation', question, reasons, options, prices };
}
