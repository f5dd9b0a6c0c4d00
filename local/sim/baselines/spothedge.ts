/**
 * The `spothedge` baseline: SkyServe's spot policy with SpotHedge's placement, the reference issue 10 names for
 * spot serving with a dynamic fallback to on-demand (Mao et al., "SkyServe: Serving AI Models across Regions and
 * Clouds with Spot Instances", EuroSys'25; its policy as SkyPilot ships it: `sky/serve/autoscalers.py`
 * `FallbackRequestRateAutoscaler` with `dynamic_ondemand_fallback: true`, `sky/serve/spot_placer.py`
 * `DynamicFallbackSpotPlacer` (`spot_placer: dynamic_fallback`, the default placer), defaults from
 * `sky/serve/constants.py`; docs.skypilot.co "Using Spot Instances for Serving" and "Autoscaling").
 *
 * A SkyServe service's replicas share one resources spec, so a replica here is a node of the fleet's baseline
 * instance type (the g5.xlarge of the demo): spot replicas in the spot pools of that type, in any of their
 * zones, and on-demand ones in the baseline pool. Same physics as every controller (time to ready, spot notices
 * and their end, prices); its pools have no group: replicas are launched and ended one by one.
 *
 * - Target replicas: `ceil(qps / target_qps_per_replica)` within `[min_replicas, max_replicas]`, the qps over
 *   the last 60 s (`AUTOSCALER_QPS_WINDOW_SIZE_SECONDS`). SkyServe has no default `target_qps_per_replica` (the
 *   service sets it): here 70% of a node's throughput, the utilization target of the hpa and karpenter baselines.
 * - Hysteresis: the target rises once the computed count has stayed above it for `upscale_delay_seconds` (300 s
 *   default) and falls once it has stayed below for `downscale_delay_seconds` (1200 s), counted in decisions
 *   (every `AUTOSCALER_DEFAULT_DECISION_INTERVAL_SECONDS`, 20 s); here once per step (60 s), so 5 and 20 steps.
 * - Spot replicas: `target - base_ondemand_fallback_replicas`; those launched beyond it go, replicas not ready
 *   first, then the newest (`_select_replicas_to_scale_down`).
 * - Dynamic on-demand fallback: on-demand replicas = the base + the spot replicas wanted and not ready (the
 *   spot count "can fail to UP due to the capacity issue, and on-demand should fill the gap between the required
 *   number of spot and ready spot"); they go, not ready first, then the newest, as spot replicas become ready.
 *   The gap is counted from zero up: the policy as written could go below the base while a spot surplus is
 *   still being removed, which no operator would want of a reference.
 * - Placement (SpotHedge's dynamic placement): every zone of those spot pools is a location, active or
 *   preempted; a new spot replica goes to the cheapest active location holding no replica, else to the
 *   cheapest active one (then the one with the fewest); a location whose replica is preempted, or where a launch
 *   fails for capacity, is preempted, and when fewer than two locations are active all are active again; a
 *   launch that succeeds makes its location active. A failed launch is tried again within the step at the next
 *   location not tried yet (SkyServe's 20 s decisions are below the step; with two locations its reset would
 *   otherwise send every retry back to the one that just failed).
 * - Preemption: SkyServe reads no notice: a spot replica counts, and serves, until its instance is gone (its
 *   readiness probe fails); then its location is preempted and the replica launched again, with on-demand
 *   fallback until it is ready.
 * - `num_overprovision`: unset by default, so no replica beyond the target.
 *
 * The operator's hard floors, as every controller holds them: the baseline pool's minimum is
 * `base_ondemand_fallback_replicas`; the fleet's `minNodes`, raised by each schedule window's `minNodes` while it
 * is active, is `min_replicas` (an operator's `sky serve update` at the window's edges: a new spec sets the
 * target to the count computed within its bounds at once, `update_version`). `max_replicas` is the fleet's `maxNodes`. The capacity block (another
 * instance type) is not a replica of this service.
 */
import { ceilTolerant } from '../../../shared/domain/capacity.ts';
import type { World, WorldInstance } from '../../emulators/world.ts';
import type { Controller, ControllerContext, StepContext } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import { baselinePool } from './common.ts';
import { scheduleFloorAt } from './oracle.ts';

/** SkyServe's defaults used here (sky/serve/constants.py), and the target this comparison sets. */
export const SKYSERVE_DEFAULTS = {
  qpsWindowSeconds: 60,
  decisionIntervalSeconds: 20,
  upscaleDelaySeconds: 300,
  downscaleDelaySeconds: 1200,
  numOverprovision: 0,
  /** Not a SkyServe default (the service sets `target_qps_per_replica`): the hpa and karpenter baselines' 70%. */
  targetUtilizationPercent: 70,
} as const;

export interface SpotHedgeOptions {
  name?: string;
  /** `target_qps_per_replica` as a share of a replica's throughput, percent. Default 70. */
  targetPercent?: number;
}

/** A spot location: a zone of a spot pool of the replicas' instance type. */
export interface SpotLocation {
  poolId: string;
  zone: string;
  hourlyPrice: number;
}

/** SpotHedge's dynamic placement: locations active or preempted, spread over the active ones. */
export class SpotPlacer {
  private readonly preempted = new Set<string>();
  readonly locations: readonly SpotLocation[];
  constructor(locations: readonly SpotLocation[]) {
    this.locations = locations;
  }

  private static key(l: Pick<SpotLocation, 'poolId' | 'zone'>): string {
    return `${l.poolId}|${l.zone}`;
  }

  isActive(l: Pick<SpotLocation, 'poolId' | 'zone'>): boolean {
    return !this.preempted.has(SpotPlacer.key(l));
  }

  active(): SpotLocation[] {
    return this.locations.filter((l) => this.isActive(l));
  }

  /** A replica there was preempted or could not launch; fewer than two active left: all are active again. */
  setPreempted(l: Pick<SpotLocation, 'poolId' | 'zone'>): void {
    this.preempted.add(SpotPlacer.key(l));
    if (this.active().length < 2) this.preempted.clear();
  }

  setActive(l: Pick<SpotLocation, 'poolId' | 'zone'>): void {
    this.preempted.delete(SpotPlacer.key(l));
  }

  /**
   * The location for the next spot replica, among `allowed` (locations that may take one now): the cheapest
   * active one holding none of `current` (the live replicas' locations), else the cheapest active one, fewest
   * replicas first at a tie, then the order of the locations. Undefined when no allowed location is active.
   */
  next(
    current: readonly Pick<SpotLocation, 'poolId' | 'zone'>[],
    allowed: (l: SpotLocation) => boolean = () => true,
  ): SpotLocation | undefined {
    const count = (l: SpotLocation) => current.filter((c) => SpotPlacer.key(c) === SpotPlacer.key(l)).length;
    const active = this.active().filter(allowed);
    const unused = active.filter((l) => count(l) === 0);
    const pool = unused.length > 0 ? unused : active;
    let best: SpotLocation | undefined;
    for (const l of pool) {
      if (!best || l.hourlyPrice < best.hourlyPrice || (l.hourlyPrice === best.hourlyPrice && count(l) < count(best)))
        best = l;
    }
    return best;
  }
}

/**
 * SkyServe's target with hysteresis: one decision. `computed` is the count the qps asks for (within bounds),
 * `counters` the consecutive decisions above and below; returns the new target and counters.
 */
export function hysteresis(
  target: number,
  computed: number,
  counters: { up: number; down: number },
  periods: { up: number; down: number },
): { target: number; up: number; down: number } {
  if (target === 0) return { target: computed, up: 0, down: 0 };
  if (computed > target) {
    const up = counters.up + 1;
    return up >= periods.up ? { target: computed, up: 0, down: 0 } : { target, up, down: 0 };
  }
  if (computed < target) {
    const down = counters.down + 1;
    return down >= periods.down ? { target: computed, up: 0, down: 0 } : { target, up: 0, down };
  }
  return { target, up: 0, down: 0 };
}

/** The spot locations of a fleet for replicas of the baseline pool's instance type: each zone of each such pool. */
export function spotLocationsOf(demo: DemoFleet, instanceType: string): SpotLocation[] {
  return demo.worldPools
    .filter((p) => p.capacityType === 'spot' && p.instanceType === instanceType)
    .flatMap((p) => p.zones.map((zone) => ({ poolId: p.id, zone, hourlyPrice: p.hourlyPrice })));
}

export function createSpotHedgeBaseline(options: SpotHedgeOptions = {}): Controller {
  const targetPercent = options.targetPercent ?? SKYSERVE_DEFAULTS.targetUtilizationPercent;
  const periods = {
    up: 1,
    down: 1,
  };
  let odPoolId = '';
  let targetQps = 1;
  let base = 0;
  let minReplicas = 1;
  let maxReplicas = 1;
  let demo: DemoFleet | undefined;
  let placer = new SpotPlacer([]);
  let target = 0;
  let counters = { up: 0, down: 0 };
  /** `min_replicas` as the last decision saw it (the fleet's floor raised by an active window). */
  let lastFloor = 0;
  /** Live replicas: instance id -> its location (spot) or undefined (on-demand). */
  let spot = new Map<string, SpotLocation>();
  let onDemand = new Set<string>();

  const live = (world: World, id: string): WorldInstance | undefined => {
    const i = world.instance(id);
    return i && i.state !== 'terminated' ? i : undefined;
  };
  /** Ready as SkyServe's probe sees it: serving, under a notice or not. */
  const isReady = (world: World, id: string) => {
    const i = live(world, id);
    return !!i && (i.state === 'ready' || (i.state === 'terminating' && i.readyAt <= world.now()));
  };
  const floorAt = (t: number) => Math.min(maxReplicas, Math.max(minReplicas, demo ? scheduleFloorAt(demo, t) : 0));
  const bounded = (n: number, t: number) => Math.min(maxReplicas, Math.max(floorAt(t), n));

  /** Removal order: replicas not ready first, then the newest. */
  const removalOrder = (world: World, ids: Iterable<string>) =>
    [...ids].sort(
      (a, b) =>
        Number(isReady(world, a)) - Number(isReady(world, b)) ||
        (live(world, b)?.launchedAt ?? 0) - (live(world, a)?.launchedAt ?? 0),
    );

  /** Replicas whose instance is gone: a spot one's location is preempted (its probe failed). */
  function sync(world: World) {
    for (const [id, loc] of [...spot]) {
      if (live(world, id)) continue;
      spot.delete(id);
      placer.setPreempted(loc);
    }
    for (const id of [...onDemand]) if (!live(world, id)) onDemand.delete(id);
  }

  /**
   * Launches one spot replica through the placer; a failed launch preempts its location and tries the next one
   * not tried in this step (`failed`, the locations that failed since the step began).
   */
  function launchSpot(world: World, failed: Set<string>): boolean {
    const full = (poolId: string) => {
      const pool = world.pool(poolId)!;
      return world.instancesOf(poolId).filter((i) => i.state !== 'terminating').length >= pool.max;
    };
    for (;;) {
      const loc = placer.next([...spot.values()], (l) => !full(l.poolId) && !failed.has(`${l.poolId}|${l.zone}`));
      if (!loc) return false;
      const inst = world.launchInstance(loc.poolId, [loc.zone]);
      if (inst) {
        spot.set(inst.id, loc);
        placer.setActive(loc);
        return true;
      }
      failed.add(`${loc.poolId}|${loc.zone}`);
      placer.setPreempted(loc);
    }
  }

  /**
   * One decision (`FallbackRequestRateAutoscaler.evaluate_scaling`): spot replicas to the target less the base,
   * on-demand ones to the base plus the spot replicas not ready. `assumeReady`: the start, where whatever runs
   * is ready when the clock starts.
   */
  function evaluate(world: World, assumeReady = false) {
    const spotWanted = Math.max(0, target - base);
    const readySpot = assumeReady ? spot.size : [...spot.keys()].filter((id) => isReady(world, id)).length;
    if (spot.size < spotWanted) {
      const failed = new Set<string>();
      for (let n = spot.size; n < spotWanted; n++) if (!launchSpot(world, failed)) break;
    } else if (spot.size > spotWanted) {
      for (const id of removalOrder(world, spot.keys()).slice(0, spot.size - spotWanted)) {
        spot.delete(id);
        world.terminateInstance(id);
      }
    }
    const spotReady = assumeReady ? spot.size : readySpot;
    const odWanted = base + Math.max(0, spotWanted - spotReady);
    if (onDemand.size < odWanted) {
      for (let n = onDemand.size; n < odWanted; n++) {
        const inst = world.launchInstance(odPoolId);
        if (!inst) break;
        onDemand.add(inst.id);
      }
    } else if (onDemand.size > odWanted) {
      for (const id of removalOrder(world, onDemand).slice(0, onDemand.size - odWanted)) {
        onDemand.delete(id);
        world.terminateInstance(id);
      }
    }
  }

  function computed(rps: number, t: number): number {
    return bounded(ceilTolerant(Math.max(0, rps) / targetQps), t);
  }

  return {
    name: options.name ?? 'spothedge',
    poolManagement: 'instances',
    async start(ctx: ControllerContext) {
      demo = ctx.demo;
      const pool = baselinePool(ctx.demo, undefined);
      odPoolId = pool.id;
      targetQps = pool.rpsPerNode * (targetPercent / 100);
      const spec = ctx.demo.worldPools.find((p) => p.id === pool.id)!;
      base = Math.max(0, Math.min(spec.min, spec.max));
      minReplicas = Math.max(base, ctx.demo.fleet.policy.minNodes ?? 1, 1);
      maxReplicas = Math.max(minReplicas, ctx.demo.fleet.policy.maxNodes ?? minReplicas);
      placer = new SpotPlacer(spotLocationsOf(ctx.demo, spec.instanceType));
      periods.up = Math.max(1, Math.round(SKYSERVE_DEFAULTS.upscaleDelaySeconds / ctx.stepSeconds));
      periods.down = Math.max(1, Math.round(SKYSERVE_DEFAULTS.downscaleDelaySeconds / ctx.stepSeconds));
      spot = new Map();
      onDemand = new Set();
      counters = { up: 0, down: 0 };
      target = 0;
    },
    async settle(ctx: ControllerContext) {
      const rps = (ctx.foresight.offeredPerStep[0] ?? 0) / ctx.stepSeconds;
      lastFloor = floorAt(ctx.now);
      target = ctx.startMode === 'cold' ? lastFloor : computed(rps, ctx.now);
      evaluate(ctx.world, true);
    },
    async step(ctx: StepContext) {
      sync(ctx.world);
      const want = computed(ctx.stepMetrics.offeredRps, ctx.now);
      const floor = floorAt(ctx.now);
      if (floor !== lastFloor) {
        // A new spec (a window's edge): `update_version` sets the target to the count computed within the new
        // bounds at once, its hysteresis counters cleared.
        lastFloor = floor;
        target = want;
        counters = { up: 0, down: 0 };
      } else {
        const next = hysteresis(target, want, counters, periods);
        counters = { up: next.up, down: next.down };
        target = next.target;
      }
      evaluate(ctx.world);
    },
    async stop() {},
  };
}
