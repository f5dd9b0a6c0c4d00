/**
 * The simulation's physics for one step, as pure arithmetic over what the World holds (see README.md):
 *
 * - a node serves only once ready (the World's `readyAt`: boot, join, image pull, model load); a spot node
 *   under notice still serves until the end of its notice, then it is gone;
 * - a serving node serves up to its pool's `rpsPerNode` (the capacity model's throughput);
 * - requests offered in the step = the trace's rate integrated over the step; served = min(offered,
 *   capacity x step); the rest is unserved (dropped: requests do not carry over to the next step);
 * - the load balancer spreads served requests over pools in proportion to their capacity, so every serving
 *   node runs at the same utilization = served / (capacity x step);
 * - demand utilization = offered / (capacity x step) (the seed's "utilization": above 1 when demand exceeds
 *   what is ready; Infinity when nothing is ready and requests arrive);
 * - queue depth = the step's unserved requests (requests that found no free capacity in the step).
 *
 * Billing and instance-hours are the World's (from launch until gone); this file does not duplicate them.
 */
import type { Cloud } from '../../shared/domain/types.ts';
import type { World, WorldInstance, WorldPool } from '../emulators/world.ts';

/** What one pool looks like at the start of a step. */
export interface PoolState {
  poolId: string;
  cloud: Cloud;
  capacityType: WorldPool['capacityType'];
  rpsPerNode: number;
  gpusPerNode: number;
  /** The count the pool was asked for. */
  desired: number;
  /** Instances that exist (pending, running, ready, under notice): all are billed. */
  live: number;
  /** Ready instances not under notice. */
  ready: number;
  /** Instances that serve: ready, plus ready ones under notice until their deadline. */
  serving: number;
  /** Launched (or resumed), not ready yet. */
  booting: number;
  /** Warm (stopped) nodes ready to resume, and those still being prepared: billed their disks, serving nothing. */
  warm?: number;
}

export interface PoolStepMetrics extends PoolState {
  capacityRps: number;
  servedRequests: number;
  /** served / capacity, 0..1 (0 when the pool serves nothing). */
  utilization: number;
}

export interface StepMetrics {
  /** Seconds from the start of the run: the start of the step. */
  t: number;
  stepSeconds: number;
  offeredRequests: number;
  offeredRps: number;
  capacityRps: number;
  servedRequests: number;
  unservedRequests: number;
  /** served / (capacity x step), 0..1. */
  utilization: number;
  /** offered / (capacity x step): above 1 when demand exceeds ready capacity; Infinity with none ready. */
  demandUtilization: number;
  /** Unserved requests of the step. */
  queueDepth: number;
  ready: number;
  serving: number;
  desired: number;
  live: number;
  /** Nodes launched or resumed, not serving yet; warm (stopped) nodes. */
  booting: number;
  warm: number;
  pools: PoolStepMetrics[];
}

/** Per-pool figures the physics needs that the World does not hold. */
export interface PoolPhysics {
  rpsPerNode: number;
  gpusPerNode: number;
}

/**
 * Whether an instance serves at `now`: ready, or ready before its notice and the notice not yet over. One still
 * loading when its notice came serves nothing: its node is cordoned from the notice (the autoscaler's drain, a
 * node termination handler), so it gets no traffic when it would have been ready.
 */
export function isServing(i: WorldInstance, now: number): boolean {
  if (i.state === 'ready') return true;
  if (i.state !== 'terminating') return false;
  const noticeAt = i.interrupted?.noticeAt ?? now;
  return i.readyAt <= Math.min(now, noticeAt) && (i.terminateAt === undefined || now < i.terminateAt);
}

/** Reads each pool's counts from the World at its current time. */
export function observePools(world: World, physics: ReadonlyMap<string, PoolPhysics>): PoolState[] {
  const now = world.now();
  return world.allPools().map((p) => {
    const f = physics.get(p.id);
    if (!f) throw new Error(`no throughput for pool ${p.id}`);
    let ready = 0;
    let serving = 0;
    let booting = 0;
    const live = world.instancesOf(p.id);
    for (const i of live) {
      if (i.state === 'ready') ready++;
      if (isServing(i, now)) serving++;
      if (i.state === 'pending' || i.state === 'running') booting++;
    }
    return {
      poolId: p.id,
      cloud: p.cloud,
      capacityType: p.capacityType,
      rpsPerNode: f.rpsPerNode,
      gpusPerNode: f.gpusPerNode,
      desired: p.desired,
      live: live.length,
      ready,
      serving,
      booting,
      warm: world.warmOf(p.id).length,
    };
  });
}

/**
 * A launch the cloud could not make: a group pool was asked for more nodes than its zones had capacity for,
 * and its shortfall (desired over live) grew. Reported once while the shortfall lasts; again if it grows.
 */
export interface LaunchFailure {
  poolId: string;
  /** The zone the group would have launched in next (its fewest live instances): none had capacity. */
  zone: string;
  /** Nodes asked for that do not exist. */
  short: number;
  desired: number;
  live: number;
  /** ms since the epoch (simulated). */
  at: number;
}

/**
 * The pools whose shortfall (desired over live: what the group could not launch for lack of capacity) grew
 * since `last`, which it updates: a launch failure once when it grows, not again while it lasts.
 */
export function shortfallGrowth(
  world: World,
  physics: ReadonlyMap<string, PoolPhysics>,
  last: Map<string, number>,
): LaunchFailure[] {
  const failed: LaunchFailure[] = [];
  for (const p of observePools(world, physics)) {
    const short = Math.max(0, p.desired - p.live);
    if (short > (last.get(p.poolId) ?? 0)) {
      // Groups balance their zones: the next launch goes where the fewest instances run.
      const live = world.instancesOf(p.poolId);
      const zones = world.pool(p.poolId)!.zones;
      const count = (z: string) => live.filter((i) => i.zone === z).length;
      const zone = zones.reduce((a, b) => (count(b) < count(a) ? b : a), zones[0]!);
      failed.push({ poolId: p.poolId, zone, short, desired: p.desired, live: p.live, at: world.now() });
    }
    last.set(p.poolId, short);
  }
  return failed;
}

/** One step: `offeredRequests` arrive over `stepSeconds` and meet the pools' serving capacity. */
export function stepPhysics(t: number, stepSeconds: number, offeredRequests: number, pools: PoolState[]): StepMetrics {
  const capacityRps = pools.reduce((s, p) => s + p.serving * p.rpsPerNode, 0);
  const capacity = capacityRps * stepSeconds;
  const served = Math.min(offeredRequests, capacity);
  const utilization = capacity > 0 ? served / capacity : 0;
  const poolMetrics = pools.map((p) => {
    const poolCapacity = p.serving * p.rpsPerNode;
    return {
      ...p,
      capacityRps: poolCapacity,
      servedRequests: capacityRps > 0 ? (served * poolCapacity) / capacityRps : 0,
      utilization: poolCapacity > 0 ? utilization : 0,
    };
  });
  const sum = (f: (p: PoolState) => number) => pools.reduce((s, p) => s + f(p), 0);
  return {
    t,
    stepSeconds,
    offeredRequests,
    offeredRps: offeredRequests / stepSeconds,
    capacityRps,
    servedRequests: served,
    unservedRequests: offeredRequests - served,
    utilization,
    demandUtilization: capacity > 0 ? offeredRequests / capacity : offeredRequests > 0 ? Number.POSITIVE_INFINITY : 0,
    queueDepth: offeredRequests - served,
    ready: sum((p) => p.ready),
    serving: sum((p) => p.serving),
    desired: sum((p) => p.desired),
    live: sum((p) => p.live),
    booting: sum((p) => p.booting),
    warm: sum((p) => p.warm ?? 0),
    pools: poolMetrics,
  };
}

/** Running totals of a run. */
export interface Totals {
  offeredRequests: number;
  servedRequests: number;
  unservedRequests: number;
}

export function addStep(totals: Totals, m: StepMetrics): void {
  totals.offeredRequests += m.offeredRequests;
  totals.servedRequests += m.servedRequests;
  totals.unservedRequests += m.unservedRequests;
}

/**
 * GPU-hours billed: sum over pools of the World's instance-hours x GPUs per node.
 * Idle fraction: the share of billed capacity that served nothing, 1 - served / sum over pools of
 * (instance-hours x 3600 x rpsPerNode). Billed capacity counts booting nodes too (they bill and serve
 * nothing), so a controller that launches early or often pays for it here as well as in cost.
 */
export function billedFigures(
  world: World,
  physics: ReadonlyMap<string, PoolPhysics>,
  servedRequests: number,
): { gpuHours: number; idleFraction: number; instanceHours: number } {
  let gpuHours = 0;
  let capacityRequests = 0;
  let instanceHours = 0;
  for (const p of world.allPools()) {
    const f = physics.get(p.id);
    if (!f) continue;
    const h = world.instanceHours(p.id);
    instanceHours += h;
    gpuHours += h * f.gpusPerNode;
    capacityRequests += h * 3600 * f.rpsPerNode;
  }
  const idleFraction = capacityRequests > 0 ? Math.max(0, 1 - servedRequests / capacityRequests) : 0;
  return { gpuHours, idleFraction, instanceHours };
}
