/**
 * The simulation runner: each controller on its own World built from the same demo fleet, trace and spot
 * schedule (same physics, same run), one step at a time, and the figures of each run.
 *
 * A step k covers [t_k, t_k + step):
 *   1. the physics reads the World at t_k (who serves) and the trace over the step (who asks);
 *   2. the World advances to t_k + step, applying on the way, at their exact times, the spot capacity
 *      changes (the World sends each cloud's interruption notice) and the capacity block's start and end;
 *   3. the metrics of the step go into the metrics store, stamped t_k + step;
 *   4. the controller's `step` runs at t_k + step with the step's metrics and the world events since its
 *      last call, the clock frozen until it returns.
 *
 * Measured the same way for every controller:
 * - scaling actions: pools whose desired count a call of the controller changed (one per pool per call);
 * - interruptions: spot interruption notices, plus instances still running on a capacity block when it ends;
 * - replacement time of a spot interruption notice: from the notice to the end of the first controller call
 *   that raised any pool's desired count (another pool, or the same one) at or after the notice. A notice
 *   without such a call within `replacementWindowSeconds` (default 30 min) is counted as not replaced (the
 *   cloud's own group may still have replaced it at its deadline, or the controller found the fleet big enough
 *   without it: neither is the controller's request). An Azure Spot eviction lowers its scale set (the World's
 *   `reclaimLowersCapacity`), so a call that sets it back raises it;
 * - the worst hour: the lowest SLO attainment of any clock hour (UTC) the run covers, from the per-step series.
 *
 * Start (`startMode`): each World starts with the controller's `initialDesired` counts (default: the demo
 * fleet's starting counts); then `start`, then, for a controller that has it, `settle` (with `warm`, its own rule sizes the
 * fleet for the first step's demand); whatever runs then has been serving for a while: it is ready at once.
 */
import type { CapacityType, Cloud } from '../../shared/domain/types.ts';
import { CAPACITY_TYPES, CLOUDS } from '../../shared/domain/types.ts';
import { MetricsStore } from '../emulators/prometheus/store.ts';
import { World, type WorldEvent } from '../emulators/world.ts';
import type { Controller, ControllerContext, Foresight, StartMode, StepContext, TimelineEntry } from './controller.ts';
import { type DemoFleet, demoPool, poolPhysics } from './demo.ts';
import { CostLedger, type CostBreakdown } from './cost-breakdown.ts';
import {
  addStep,
  billedFigures,
  observePools,
  shortfallGrowth,
  type StepMetrics,
  stepPhysics,
  type Totals,
} from './physics.ts';
import type { SpotSchedule } from './spot.ts';
import { type DemandTrace, offeredRequests } from './trace.ts';

export interface RunOptions {
  trace: DemandTrace;
  spot: SpotSchedule;
  demo: DemoFleet;
  hours: number;
  seed: number;
  /** Default 60 s. */
  stepSeconds?: number;
  controllers: Controller[];
  onProgress?: (p: Progress) => void;
  /** Default 1800 s (see the file comment). */
  replacementWindowSeconds?: number;
  /** Default `warm` (see controller.ts). */
  startMode?: StartMode;
}

export interface Progress {
  controller: string;
  /** 0-based index of the controller, and how many there are. */
  index: number;
  count: number;
  /** Steps done of this controller's run. */
  step: number;
  steps: number;
}

/** The figures `--json` prints for each controller. */
export interface ControllerSummary {
  cost_usd: number;
  /** served / offered requests (1 when nothing was offered). */
  slo_attainment: number;
  unserved_requests: number;
  offered_requests: number;
  served_requests: number;
  gpu_hours: number;
  idle_fraction: number;
  scaling_actions: number;
  interruptions: number;
  /** Longest time from a spot interruption notice to the controller's replacement request; null with none. */
  max_replacement_seconds: number | null;
  /** Spot interruption notices not followed by a replacement request within the window. */
  unreplaced_interruptions: number;
  /** The lowest SLO attainment of any clock hour (UTC) of the run (a partly covered hour counts what it covers). */
  worst_hour_slo: number;
  /** Warm (stopped) nodes resumed into service, and resumes that failed for capacity (a cold launch instead). */
  warm_resumes: number;
  warm_failed_resumes: number;
  /** What warm nodes cost (preparing, then their disks), USD; part of `cost_usd`. */
  warm_cost_usd: number;
  /** `cost_usd` by what the nodes were doing, and per pool (cost-breakdown.ts). */
  cost_breakdown: CostBreakdown;
}

export interface RunSeries {
  /** Seconds from the start: the start of each step. */
  t: number[];
  offeredRps: number[];
  servedRps: number[];
  /** Serving capacity per cloud (requests/s) during each step. */
  capacityRpsByCloud: Record<Cloud, number[]>;
  /** Nodes billed (live) per cloud at the start of each step. */
  nodesByCloud: Record<Cloud, number[]>;
  /** Cost so far at the end of each step, USD. */
  costUsd: number[];
  /** Serving capacity per capacity type (requests/s) during each step. */
  capacityRpsByType: Record<CapacityType, number[]>;
  /** Capacity (requests/s) of the nodes booting, and of the warm (stopped) nodes, at the start of each step. */
  bootingRps: number[];
  warmRps: number[];
  /** Nodes serving, booting (launched or resumed, not serving yet) and warm (stopped) at the start of each step. */
  readyNodes: number[];
  bootingNodes: number[];
  warmNodes: number[];
}

export interface Replacement {
  noticeAt: number;
  poolId: string;
  instanceId: string;
  /** When the controller's replacement request came; undefined if none within the window. */
  replacedAt?: number;
}

export interface ControllerRun {
  name: string;
  summary: ControllerSummary;
  series: RunSeries;
  timeline: TimelineEntry[];
  replacements: Replacement[];
}

export interface RunResult {
  startMs: number;
  hours: number;
  stepSeconds: number;
  seed: number;
  trace: { source: string; durationSeconds: number; looped: boolean };
  spot: { source: string };
  fleetId: string;
  runs: ControllerRun[];
}

export async function runSimulation(options: RunOptions): Promise<RunResult> {
  const stepSeconds = options.stepSeconds ?? 60;
  if (!(stepSeconds > 0)) throw new Error(`stepSeconds must be > 0, got ${stepSeconds}`);
  if (!(options.hours > 0)) throw new Error(`hours must be > 0, got ${options.hours}`);
  const names = new Set<string>();
  for (const c of options.controllers) {
    if (names.has(c.name)) throw new Error(`two controllers are named '${c.name}'`);
    names.add(c.name);
  }
  // Tolerant: 31/60 h is 1860.0000000000002 s, 31 steps of 60 s, not 32 (a run as long as its trace).
  const steps = Math.ceil((options.hours * 3600) / stepSeconds - 1e-9);
  const offeredPerStep = Array.from({ length: steps }, (_, k) =>
    offeredRequests(options.trace, k * stepSeconds, (k + 1) * stepSeconds),
  );
  const foresight: Foresight = { trace: options.trace, spot: options.spot, stepSeconds, offeredPerStep };
  const startMode = options.startMode ?? 'warm';
  const runs: ControllerRun[] = [];
  for (const [index, controller] of options.controllers.entries()) {
    runs.push(await runOne(controller, options, { index, steps, stepSeconds, foresight, startMode }));
  }
  return {
    startMs: options.demo.startMs,
    hours: options.hours,
    stepSeconds,
    seed: options.seed,
    trace: {
      source: options.trace.source,
      durationSeconds: options.trace.durationSeconds,
      looped: steps * stepSeconds > options.trace.durationSeconds + 1e-9,
    },
    spot: { source: options.spot.source },
    fleetId: options.demo.fleet.id,
    runs,
  };
}

interface Shared {
  index: number;
  steps: number;
  stepSeconds: number;
  foresight: Foresight;
  startMode: StartMode;
}

/**
 * The fleet at its minimums: every pool at its min, and the fleet's `minNodes` made up on the baseline pool
 * (the cheapest on-demand pool per request/s), as `demoFromConfig` starts a configured fleet.
 */
export function minimumCounts(demo: DemoFleet): Record<string, number> {
  const counts = Object.fromEntries(demo.worldPools.map((p) => [p.id, p.min]));
  const short = demo.fleet.policy.minNodes - Object.values(counts).reduce((a, b) => a + b, 0);
  if (short > 0) {
    const base = demoPool(demo, demo.baselinePoolId);
    counts[base.id] = Math.min(base.max, (counts[base.id] ?? 0) + short);
  }
  return counts;
}

/**
 * The lowest SLO attainment (served / offered) of any clock hour (UTC) the series covers; a step belongs to
 * the hour its start falls in; an hour with nothing offered is left out (1 when none has demand).
 */
export function worstHourSlo(
  series: Pick<RunSeries, 't' | 'offeredRps' | 'servedRps'>,
  startMs: number,
  stepSeconds: number,
): number {
  const hours = new Map<number, { offered: number; served: number }>();
  series.t.forEach((t, k) => {
    const hour = Math.floor((startMs + t * 1000) / 3_600_000);
    const h = hours.get(hour) ?? { offered: 0, served: 0 };
    h.offered += series.offeredRps[k]! * stepSeconds;
    h.served += series.servedRps[k]! * stepSeconds;
    hours.set(hour, h);
  });
  let worst = 1;
  for (const h of hours.values()) if (h.offered > 0) worst = Math.min(worst, h.served / h.offered);
  return worst;
}

/** A point where the runner stops the World's clock to apply something at its exact time. */
interface Stop {
  at: number;
  run: () => void;
  /** Runs before the other stops of its instant: a block's end counts what it takes back before anything
   * else at that instant advances the World to it (and the block's nodes with it). */
  first?: boolean;
}

async function runOne(controller: Controller, options: RunOptions, shared: Shared): Promise<ControllerRun> {
  const { demo, spot, seed } = options;
  const { steps, stepSeconds, foresight, startMode } = shared;
  const startMs = demo.startMs;
  const endMs = startMs + steps * stepSeconds * 1000;
  const physics = poolPhysics(demo);
  const windowMs = (options.replacementWindowSeconds ?? 1800) * 1000;

  const world = new World({ start: startMs, seed });
  const events: WorldEvent[] = [];
  world.on((e) => events.push(e));
  const management = controller.poolManagement ?? 'group';
  for (const spec of demo.worldPools) world.addPool({ ...spec, desired: 0, management });
  for (const r of demo.reservations) world.addReservation(r);
  for (const ch of spot.changes) if (ch.t === 0) world.setSpotCapacity(ch.poolId, ch.zone, ch.capacity);
  if (management === 'group') {
    const initial =
      controller.initialDesired?.(demo, foresight, startMode) ??
      Object.fromEntries(demo.worldPools.map((p) => [p.id, p.desired]));
    for (const [poolId, n] of Object.entries(initial)) if (n > 0) world.setDesired(poolId, n);
  }

  const timeline: TimelineEntry[] = [];
  const record: ControllerContext['record'] = (e) => {
    timeline.push({ ...e, at: e.at ?? world.now() });
  };
  let interruptions = 0;

  // Stops: spot changes after the start, capacity block start and end.
  const stops: Stop[] = [];
  for (const ch of spot.changes) {
    if (ch.t <= 0) continue;
    const at = startMs + ch.t * 1000;
    if (at > endMs) continue;
    stops.push({
      at,
      run: () => {
        world.advanceTo(at);
        world.setSpotCapacity(ch.poolId, ch.zone, ch.capacity);
      },
    });
  }
  for (const r of demo.reservations) {
    if (r.start > startMs && r.start <= endMs) {
      stops.push({
        at: r.start,
        run: () => {
          world.advanceTo(r.start);
          events.push({ type: 'reservation', reservationId: r.id, kind: 'active', at: r.start });
        },
      });
    }
    if (r.end > startMs && r.end <= endMs) {
      stops.push({
        at: r.end,
        first: true,
        run: () => {
          // Everything still on the block when it ends is taken back, without notice.
          let onBlock = 0;
          for (const p of world.allPools()) {
            if (p.reservationId !== r.id) continue;
            onBlock += world.instancesOf(p.id).filter((i) => i.state !== 'terminating').length;
          }
          world.advanceTo(r.end);
          interruptions += onBlock;
          events.push({ type: 'reservation', reservationId: r.id, kind: 'expired', at: r.end });
          if (onBlock > 0)
            record({
              at: r.end,
              kind: 'interruption',
              message: `capacity block ${r.id} ended: ${onBlock} instance(s) taken back`,
            });
        },
      });
    }
  }
  stops.sort((a, b) => a.at - b.at || Number(b.first ?? false) - Number(a.first ?? false));

  const metricsStore = new MetricsStore();
  const totals: Totals = { offeredRequests: 0, servedRequests: 0, unservedRequests: 0 };
  const series: RunSeries = {
    t: [],
    offeredRps: [],
    servedRps: [],
    capacityRpsByCloud: emptyByCloud(),
    nodesByCloud: emptyByCloud(),
    capacityRpsByType: Object.fromEntries(CAPACITY_TYPES.map((c) => [c, [] as number[]])) as unknown as Record<
      CapacityType,
      number[]
    >,
    bootingRps: [],
    warmRps: [],
    costUsd: [],
    readyNodes: [],
    bootingNodes: [],
    warmNodes: [],
  };
  const replacements: Replacement[] = [];
  let pending: Replacement[] = [];
  let actions = 0;
  const shortfall = new Map<string, number>();

  const baseContext = (): ControllerContext => ({
    world,
    demo,
    metricsStore,
    now: world.now(),
    startMs,
    endMs,
    stepSeconds,
    seed,
    foresight,
    startMode,
    record,
  });

  /** Runs a controller call and measures its actions and replacement requests. */
  const measured = async (call: () => Promise<void>) => {
    const before = new Map(world.allPools().map((p) => [p.id, p.desired]));
    await call();
    let raised = false;
    for (const p of world.allPools()) {
      const was = before.get(p.id) ?? 0;
      if (p.desired === was) continue;
      actions++;
      if (p.desired > was) raised = true;
      record({ kind: 'action', poolId: p.id, message: `${p.id}: desired ${was} -> ${p.desired}` });
    }
    const now = world.now();
    if (raised) {
      for (const r of pending) r.replacedAt = now;
      pending = [];
    }
    pending = pending.filter((r) => now - r.noticeAt <= windowMs);
  };

  /**
   * A pool asked for more than the cloud could launch (no capacity in its zones): a launch failure when its
   * shortfall (desired over live) grows, once for an ongoing shortfall. The controller hears of it at once,
   * as the cloud's event reaches a real fleet seconds after the failed launch (`Controller.launchFailed`);
   * what it does may fail to launch in turn, heard of again at the same instant (in at most as many rounds
   * as there are pools).
   */
  const launchesFailed = async (ctx: ControllerContext) => {
    if (management !== 'group') return;
    for (let round = 0; round < world.allPools().length; round++) {
      const failed = shortfallGrowth(world, physics, shortfall);
      for (const f of failed)
        record({
          at: f.at,
          kind: 'launch-failed',
          poolId: f.poolId,
          message: `${f.poolId}: ${f.short} of ${f.desired} node(s) could not launch (no capacity)`,
        });
      if (failed.length === 0 || !controller.launchFailed) return;
      await measured(() => controller.launchFailed!(ctx, failed));
    }
  };

  await controller.start(baseContext());
  await controller.settle?.(baseContext());
  // As World.addPool does: what runs at the start has been serving for a while.
  for (const i of world.allInstances()) {
    if (i.state === 'terminating') continue;
    i.launchedAt = i.runningAt = i.readyAt = startMs;
    i.state = 'ready';
  }
  events.length = 0;
  await launchesFailed(baseContext());
  const ledger = new CostLedger(world);
  let stopIndex = 0;
  try {
    for (let k = 0; k < steps; k++) {
      const t0 = startMs + k * stepSeconds * 1000;
      const t1 = t0 + stepSeconds * 1000;
      const pools = observePools(world, physics);
      ledger.open();
      const m = stepPhysics(k * stepSeconds, stepSeconds, foresight.offeredPerStep[k]!, pools);
      addStep(totals, m);
      series.t.push(k * stepSeconds);
      series.offeredRps.push(m.offeredRps);
      series.readyNodes.push(m.serving);
      series.bootingNodes.push(m.booting);
      series.warmNodes.push(m.warm);
      series.servedRps.push(m.servedRequests / stepSeconds);
      for (const cloud of CLOUDS) {
        series.capacityRpsByCloud[cloud].push(
          m.pools.filter((p) => p.cloud === cloud).reduce((s, p) => s + p.capacityRps, 0),
        );
        series.nodesByCloud[cloud].push(m.pools.filter((p) => p.cloud === cloud).reduce((s, p) => s + p.live, 0));
      }
      for (const type of CAPACITY_TYPES)
        series.capacityRpsByType[type].push(
          m.pools.filter((p) => p.capacityType === type).reduce((s, p) => s + p.capacityRps, 0),
        );
      series.bootingRps.push(m.pools.reduce((s, p) => s + p.booting * p.rpsPerNode, 0));
      series.warmRps.push(m.pools.reduce((s, p) => s + (p.warm ?? 0) * p.rpsPerNode, 0));
      while (stopIndex < stops.length && stops[stopIndex]!.at <= t1) stops[stopIndex++]!.run();
      world.advanceTo(t1);
      ledger.close();
      publishStep(metricsStore, demo.fleet.id, t1 / 1000, m);
      series.costUsd.push(world.costUsd());

      const batch = events.splice(0);
      for (const e of batch) {
        if (e.type === 'interruption-notice') {
          interruptions++;
          record({
            at: e.at,
            kind: 'interruption',
            poolId: e.poolId,
            message: `${e.cloud} ${e.reason} notice for ${e.instanceId} (${e.zone}), gone at ${new Date(e.deadline).toISOString()}`,
          });
          if (e.reason === 'spot') {
            const r: Replacement = { noticeAt: e.at, poolId: e.poolId, instanceId: e.instanceId };
            replacements.push(r);
            pending.push(r);
          }
        } else if (e.type === 'launch-failed') {
          record({ at: e.at, kind: 'launch-failed', poolId: e.poolId, message: e.reason });
        } else if (e.type === 'reservation') {
          record({ at: e.at, kind: 'reservation', message: `capacity block ${e.reservationId} ${e.kind}` });
        }
      }
      const ctx: StepContext = { ...baseContext(), stepIndex: k, stepMetrics: m, events: batch };
      await measured(() => controller.step(ctx));
      // The launches that failed since the step began (the group's replacements during the step, what the
      // controller asked for just now): the next step begins at this instant.
      if (k < steps - 1) await launchesFailed(ctx);
      options.onProgress?.({
        controller: controller.name,
        index: shared.index,
        count: options.controllers.length,
        step: k + 1,
        steps,
      });
    }
  } finally {
    await controller.stop();
  }

  const billed = billedFigures(world, physics, totals.servedRequests);
  const replaced = replacements.filter((r) => r.replacedAt !== undefined);
  const summary: ControllerSummary = {
    cost_usd: world.costUsd(),
    slo_attainment: totals.offeredRequests > 0 ? totals.servedRequests / totals.offeredRequests : 1,
    unserved_requests: totals.unservedRequests,
    offered_requests: totals.offeredRequests,
    served_requests: totals.servedRequests,
    gpu_hours: billed.gpuHours,
    idle_fraction: billed.idleFraction,
    scaling_actions: actions,
    interruptions,
    max_replacement_seconds:
      replaced.length > 0 ? Math.max(...replaced.map((r) => (r.replacedAt! - r.noticeAt) / 1000)) : null,
    unreplaced_interruptions: replacements.length - replaced.length,
    worst_hour_slo: worstHourSlo(series, startMs, stepSeconds),
    warm_resumes: world.warmResumes().resumes,
    warm_failed_resumes: world.warmResumes().failedResumes,
    warm_cost_usd: world.warmCostUsd(),
    cost_breakdown: ledger.breakdown(),
  };
  timeline.sort((a, b) => a.at - b.at);
  return { name: controller.name, summary, series, timeline, replacements };
}

/**
 * The series the runner writes each step, stamped at the end of the step (labels: fleet, and pool and cloud
 * where per pool):
 *   fleet_rps                   requests/s offered (arrivals)
 *   fleet_served_rps            requests/s served
 *   fleet_capacity_rps          requests/s the serving nodes can take
 *   fleet_demand_utilization    offered / capacity, percent (above 100 when demand exceeds what is ready)
 *   queue_depth                 requests of the step that found no capacity
 *   gpu_utilization             percent busy of a pool's serving nodes (only pools with serving nodes)
 *   ready_nodes, desired_nodes  per pool
 */
export function publishStep(store: Pick<MetricsStore, 'add'>, fleet: string, tSeconds: number, m: StepMetrics): void {
  store.add('fleet_rps', { fleet }, tSeconds, m.offeredRps);
  store.add('fleet_served_rps', { fleet }, tSeconds, m.servedRequests / m.stepSeconds);
  store.add('fleet_capacity_rps', { fleet }, tSeconds, m.capacityRps);
  store.add('fleet_demand_utilization', { fleet }, tSeconds, m.demandUtilization * 100);
  store.add('queue_depth', { fleet }, tSeconds, m.queueDepth);
  for (const p of m.pools) {
    const labels = { fleet, pool: p.poolId, cloud: p.cloud };
    if (p.serving > 0) store.add('gpu_utilization', labels, tSeconds, p.utilization * 100);
    store.add('ready_nodes', labels, tSeconds, p.ready);
    store.add('desired_nodes', labels, tSeconds, p.desired);
  }
}

function emptyByCloud(): Record<Cloud, number[]> {
  return Object.fromEntries(CLOUDS.map((c) => [c, [] as number[]])) as unknown as Record<Cloud, number[]>;
}
