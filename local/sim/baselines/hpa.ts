/**
 * The HPA baseline: a Kubernetes HorizontalPodAutoscaler with its defaults and a 70% utilization target,
 * on-demand only, where a pod is one GPU node of the baseline pool. It reuses the engine's HPA code
 * (shared/engine: replica calculator, stabilization windows, behavior policies) and its defaults:
 * tolerance 0.1; scale-up max(+100%, +4) per 15 s, no stabilization; scale-down 100% per 15 s after a
 * 300 s stabilization window. The operator's floors and ceilings, which bind every controller, as a Kubernetes
 * operator sets them: minReplicas the HPA default 1 raised to the pool's minimum and the fleet's `minNodes`
 * (`poolMinimum`); the schedule windows' `minNodes` as a KEDA `cron` trigger per window, a second metric whose
 * proposal is the window's floor while it is active (the HPA takes the larger proposal, and its scale-down
 * stabilization holds a floor 300 s past its window); maxReplicas (which an HPA must set) the pool's maximum,
 * held to the fleet's `maxNodes` (`poolCeiling`): the nodes the Cluster Autoscaler could give its pods.
 *
 * The metric is the demand utilization over the READY nodes (offered / their capacity, percent): the
 * seed's definition, which goes above 100% when demand exceeds what is ready, as a utilization that counts
 * queued work does. Nodes still booting report nothing (unready pods), as the HPA sees them. The HPA syncs
 * every 15 s (`HPA_SYNC_PERIOD_SECONDS`): each simulation step (60 s by default) runs the syncs that end in it
 * on the step's metrics (what is ready changes at steps), so a burst's scale-up goes the four syncs' way a
 * minute, as a cluster's HPA does. It starts with the count it holds for the first step's demand and floor (a
 * cold start: minReplicas).
 */
import { ceilTolerant } from '../../../shared/domain/capacity.ts';
import {
  applyBehavior,
  DEFAULT_SCALE_DOWN,
  DEFAULT_SCALE_UP,
  DEFAULT_TOLERANCE,
  HPA_SYNC_PERIOD_SECONDS,
  metricReplicas,
  stabilize,
} from '../../../shared/engine/index.ts';
import type { ScaleEvent, TimedRecommendation } from '../../../shared/engine/index.ts';
import type { Controller, ControllerContext, Foresight, StartMode, StepContext } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import type { Pool } from '../../../shared/domain/types.ts';
import { baselinePool, onlyPool, poolCeiling, poolFloorAt, poolMinimum } from './common.ts';

export interface HpaOptions {
  name?: string;
  poolId?: string;
  /** Utilization target, percent. Default 70. */
  targetPercent?: number;
  minReplicas?: number;
  maxReplicas?: number;
}

/** One HorizontalPodAutoscaler's loop: its recommendations history and scale events, one sync at a time. */
export interface HpaLoop {
  /**
   * One sync: `current` replicas (the scale target's spec), `ready` of them ready and reporting,
   * `valuePercent` the metric over the ready ones; `floor` the replicas a second metric proposes (a KEDA
   * `cron` trigger's `desiredReplicas` while its window is active: the HPA takes the larger proposal, then
   * stabilizes it). Returns the replicas the HPA sets (clamped to min/max).
   */
  sync(input: { now: number; current: number; ready: number; valuePercent: number; floor?: number }): number;
  /**
   * The syncs of a step of `stepSeconds` that ends `now` (one every `HPA_SYNC_PERIOD_SECONDS`, the last at
   * `now`), each on the step's metrics and the replicas the one before set, and `floorAt` its time's floor.
   * Returns the replicas set last.
   */
  syncStep(input: {
    now: number;
    current: number;
    ready: number;
    valuePercent: number;
    stepSeconds: number;
    floorAt?: (now: number) => number;
  }): number;
  clamp(n: number): number;
}

export function createHpaLoop(options: { targetPercent?: number; minReplicas?: number; maxReplicas?: number } = {}) {
  const target = options.targetPercent ?? 70;
  const minReplicas = options.minReplicas ?? 1;
  const maxReplicas = options.maxReplicas ?? 100;
  let recommendations: TimedRecommendation[] = [];
  const scaleUps: ScaleEvent[] = [];
  const scaleDowns: ScaleEvent[] = [];
  const clamp = (n: number) => Math.min(Math.max(n, minReplicas), maxReplicas);
  const loop: HpaLoop = {
    clamp,
    sync({ now, current, ready, valuePercent, floor = 0 }) {
      const rec = metricReplicas({
        current,
        ready,
        value: valuePercent,
        target,
        tolerances: { scaleUp: DEFAULT_TOLERANCE, scaleDown: DEFAULT_TOLERANCE },
      });
      // The largest proposal of its metrics (the HPA's computeReplicasForMetrics), then stabilized.
      const proposed = Math.max(rec.replicas, floor);
      const stabilized = stabilize({
        current,
        desired: proposed,
        recommendations,
        now,
        upWindowSeconds: DEFAULT_SCALE_UP.stabilizationWindowSeconds,
        downWindowSeconds: DEFAULT_SCALE_DOWN.stabilizationWindowSeconds,
      });
      recommendations.push({ at: now, replicas: proposed });
      const horizon = now - Math.max(DEFAULT_SCALE_DOWN.stabilizationWindowSeconds, 15) * 1000;
      recommendations = recommendations.filter((r) => r.at > horizon);
      const limited = applyBehavior(
        current,
        stabilized,
        { scaleUps, scaleDowns },
        DEFAULT_SCALE_UP,
        DEFAULT_SCALE_DOWN,
        now,
      );
      const desired = clamp(limited.replicas);
      if (desired > current) scaleUps.push({ at: now, change: desired - current });
      else if (desired < current) scaleDowns.push({ at: now, change: current - desired });
      return desired;
    },
    syncStep({ now, current, ready, valuePercent, stepSeconds, floorAt }) {
      const syncs = Math.max(1, Math.floor(stepSeconds / HPA_SYNC_PERIOD_SECONDS));
      let replicas = current;
      for (let k = syncs - 1; k >= 0; k--) {
        // The step's utilization and ready pods (they change at steps); the replicas the sync before set.
        const at = now - k * HPA_SYNC_PERIOD_SECONDS * 1000;
        replicas = loop.sync({ now: at, current: replicas, ready, valuePercent, floor: floorAt?.(at) ?? 0 });
      }
      return replicas;
    },
  };
  return loop;
}

export function createHpaBaseline(options: HpaOptions = {}): Controller {
  const target = options.targetPercent ?? 70;
  let poolId = '';
  let loop = createHpaLoop(options);
  // maxReplicas: the option, held to the pool's maximum and the fleet's maxNodes (one pod a node);
  // minReplicas: the option (the HPA's default 1), raised to the pool's minimum and the fleet's minNodes.
  const bounded = (demo: DemoFleet, pool: Pool) => ({
    ...options,
    minReplicas: Math.max(options.minReplicas ?? 1, poolMinimum(demo, pool)),
    maxReplicas: Math.min(options.maxReplicas ?? Number.POSITIVE_INFINITY, poolCeiling(demo, pool)),
  });
  let floorAt: ((t: number) => number) | undefined;

  return {
    name: options.name ?? 'hpa',
    initialDesired(demo: DemoFleet, foresight: Foresight, mode: StartMode) {
      const pool = baselinePool(demo, options.poolId);
      poolId = pool.id;
      loop = createHpaLoop(bounded(demo, pool));
      if (mode === 'cold') return onlyPool(demo, poolId, loop.clamp(0));
      const rps = (foresight.offeredPerStep[0] ?? 0) / foresight.stepSeconds;
      const rule = Math.max(
        ceilTolerant(rps / (pool.rpsPerNode * (target / 100))),
        poolFloorAt(demo, pool, demo.startMs),
      );
      return onlyPool(demo, poolId, loop.clamp(rule));
    },
    async start(ctx: ControllerContext) {
      const pool = baselinePool(ctx.demo, options.poolId);
      poolId ||= pool.id;
      loop = createHpaLoop(bounded(ctx.demo, pool));
      // The schedule windows' floors: a KEDA cron trigger per window, a second metric of the HPA.
      floorAt = (t) => poolFloorAt(ctx.demo, pool, t);
    },
    async step(ctx: StepContext) {
      const pool = ctx.stepMetrics.pools.find((p) => p.poolId === poolId)!;
      const current = ctx.world.pool(poolId)!.desired;
      // The pods the HPA counts: ready and not being deleted (the replica calculator sets a terminating pod
      // aside, kubernetes/pkg/controller/podautoscaler/replica_calculator.go `groupPods`), never more than the
      // replicas it set. The utilization is each one's share of the demand over all that still serve.
      const ready = pool.ready;
      const capacity = pool.serving * pool.rpsPerNode;
      const value = capacity > 0 ? (ctx.stepMetrics.offeredRps / capacity) * 100 : 0;
      const desired = loop.syncStep({
        now: ctx.now,
        current,
        ready,
        valuePercent: value,
        stepSeconds: ctx.stepSeconds,
        ...(floorAt ? { floorAt } : {}),
      });
      if (desired !== current) ctx.world.setDesired(poolId, desired);
    },
    async stop() {},
  };
}
