/**
 * The autoscaler under simulation: the real Lambda handlers (middy, Powertools, idempotency, the event
 * schemas, the engine) with the real SDK clients against the cloud emulators and dynalite, on the
 * simulated clock. What happens in the world reaches them as each cloud's real event payload:
 *
 * - CloudWatch alarms, simulated over the fleet's metrics: `<fleet>-gpu-utilization-high` goes to ALARM when
 *   demand runs above 75% of ready capacity for 2 consecutive minutes (and back to OK below it), and
 *   `<fleet>-gpu-utilization-low` when it runs below 30% for 15 minutes; each state change is an EventBridge
 *   "CloudWatch Alarm State Change" to the alarm function;
 * - the forecast rule ticks every 5 minutes, the business-hours schedules tick at their windows' edges;
 * - spot capacity taken back becomes the cloud's own notice: an EC2 Spot Instance Interruption Warning (and
 *   rebalance recommendations), an Azure Scheduled Events Preempt document from the forwarder, a GCP
 *   preemption audit-log entry pushed by Pub/Sub — to the spot-interruption function;
 * - a launch the cloud could not make (a group pool's shortfall grew: the runner says so at once) becomes
 *   Auto Scaling's EC2 Instance Launch Unsuccessful or EC2 Fleet's Error, to the spot-interruption function;
 * - the capacity block's delivery and expiration warning go to the capacity-reservation function.
 *
 * A handler that throws is retried once (as Lambda retries an asynchronous invocation), then recorded as an
 * error (it would be in the dead-letter queue). Each invocation has its function's own timeout
 * (stacks/function-specs.ts). The drains a decision on a notice hands off (`Drain Requested` on the bus) go
 * to the drain function once that invocation ends, as the function's rule delivers them (the clock stands
 * still within a step). One whose drains wait for their latest safe start (the drain function's, within its
 * own timeout) is parked on the simulated clock and followed on at the first step at or after it
 * (parked.ts); its outcome is recorded when it ends.
 *
 * Start: the World holds the fleet at its minimums. With a warm start (`settle`), before the clock starts, the
 * first minute's demand is published as the fleet's metrics and the forecast function decides through the
 * real path, again until the pools' desired counts stop changing (at most `SETTLE_ROUNDS` decisions: the
 * safety's step limits can need more than one); the nodes it launched count as ready between decisions, as
 * the runner makes them ready at the start, and the warm nodes it asked for as prepared. That is the count the
 * autoscaler's own rule holds for the first minute's demand. The rounds are decided at instants before the
 * start, `settleSpacingSeconds` apart (the application's clock runs behind the World's meanwhile): the
 * scale-up policies limit a change per period (the HPA default: +4 or +100% per 15 s), a rule about change
 * over time, so rounds decided at one instant would hold the start at the first round's limit (from the
 * demo's 2 nodes: 6, then 12), not at the count the rule holds for the demand; and a launch is taken as
 * coming for `LAUNCH_GRACE_SECONDS`, so rounds at one instant would count nodes asked of a spot offering
 * without capacity as capacity at the start (13 g5 spot nodes at the start of the 2023 conversation trace
 * with the AWS2 spot traces), where a fleet that had been running would have seen them not launch.
 */
import { fileURLToPath } from 'node:url';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import type { DemoFleet } from './demo.ts';
import type { Cloud, FleetPolicy } from '../../shared/domain/types.ts';
import { isWindowActive } from '../../shared/engine/schedule.ts';
import { LAUNCH_GRACE_SECONDS } from '../../shared/engine/shortfall.ts';
import { type MetricsStore, seriesKey } from '../emulators/prometheus/store.ts';
import { subnetOf } from '../emulators/aws/context.ts';
import { endDateOf, mulberry32, SPOT_NOTICE_SECONDS, type World, type WorldEvent } from '../emulators/world.ts';
import { FUNCTION_NAMES, type FunctionName, type HandlerResult, localContext } from '../../shared/runtime/handler.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { functionSpec } from '../../stacks/function-specs.ts';
import { type Outcome, SimulatedWaits } from './parked.ts';
import type { DeliveredEvent } from '../stack.ts';
import { seedDeployments } from '../seed.ts';
import * as P from './autoscaler-events.ts';
import type { AutoscalerControllerOptions, Controller, ControllerContext, StepContext } from './controller.ts';
import type { LaunchFailure } from './physics.ts';
import { poolPhysics } from './demo.ts';
import { observePools, stepPhysics } from './physics.ts';
import { minimumCounts, publishStep } from './runner.ts';
import type { DemandTrace } from './trace.ts';
import { localHandler } from '../handler.ts';
import { messageOf } from '../../shared/domain/errors.ts';

export const DEMO_CONFIG_FILE = fileURLToPath(new URL('../../config/demo.json', import.meta.url));

/** Alarm thresholds on the fleet's demand utilization (offered / ready capacity, percent). */
export const ALARMS = {
  high: { threshold: 75, periods: 2 },
  low: { threshold: 30, periods: 15 },
} as const;
export const FORECAST_EVERY_SECONDS = 300;
/** Decisions at most before the clock starts (see the file comment). */
export const SETTLE_ROUNDS = 6;

/**
 * Seconds between two decisions of the warm start (see the file comment): the longest period over which the
 * fleet's scale-up rules limit a change (its scale-up policies' periods, its scale-up stabilization window,
 * its scale-up cooldown), so that each round's limit starts afresh, and at least the engine's launch grace
 * (`LAUNCH_GRACE_SECONDS`), so that each round sees whether the nodes the one before asked for launched.
 */
export function settleSpacingSeconds(policy: FleetPolicy): number {
  return Math.max(
    1,
    ...policy.scaleUp.policies.map((p) => p.periodSeconds),
    policy.scaleUp.stabilizationWindowSeconds ?? 0,
    policy.safety.scaleUpCooldownSeconds,
    LAUNCH_GRACE_SECONDS,
  );
}

interface AlarmState {
  name: string;
  state: 'OK' | 'ALARM';
  breaches: number;
  recent: number[];
}

export interface AutoscalerOptions extends AutoscalerControllerOptions {
  /**
   * Demand the fleet saw before the run (the metrics history the forecaster reads), seconds relative to the
   * run's start (negative). Without it the forecaster starts with no history and forecasts the recent level.
   */
  history?: DemandTrace;
}

type Handler = ReturnType<typeof localHandler>;

/** The configuration with the fleet's `slo.availability` replaced (`--availability`). */
export function withAvailability(resolved: ResolvedConfig, fleetId: string, availability: number): ResolvedConfig {
  if (!(availability > 0 && availability <= 1)) {
    throw new Error(`availability must be a number > 0 and <= 1, got ${availability}`);
  }
  return {
    ...resolved,
    config: {
      ...resolved.config,
      fleets: resolved.config.fleets.map((f) => (f.id === fleetId ? { ...f, slo: { ...f.slo, availability } } : f)),
    },
    fleets: resolved.fleets.map((f) => (f.id === fleetId ? { ...f, slo: { ...f.slo, availability } } : f)),
  };
}

/**
 * The configuration without warm capacity on pools whose simulated pool has none (`--no-warm` runs the same
 * configuration without it), so the autoscaler and the world agree.
 */
export function withoutWarmBeyondDemo(resolved: ResolvedConfig, demo: DemoFleet): ResolvedConfig {
  const warm = new Set(demo.fleet.pools.filter((p) => p.warm).map((p) => p.id));
  return {
    ...resolved,
    fleets: resolved.fleets.map((f) => ({
      ...f,
      pools: f.pools.map((p) => {
        if (!p.warm || warm.has(p.id)) return p;
        const { warm: _w, ...rest } = p;
        return rest;
      }),
    })),
  };
}

/** The configuration narrowed to the one fleet the simulation puts in its World. */
export function onlyFleet(resolved: ResolvedConfig, fleetId: string): ResolvedConfig {
  const i = resolved.fleets.findIndex((f) => f.id === fleetId);
  if (i < 0)
    throw new Error(
      `the configuration has no fleet '${fleetId}' (it has ${resolved.fleets.map((f) => f.id).join(', ')})`,
    );
  const config = {
    ...resolved.config,
    fleets: [resolved.config.fleets[i]!],
    alarms: resolved.config.alarms.filter((a) => a.fleetId === fleetId),
    schedules: resolved.config.schedules
      .filter((w) => w.fleets.includes(fleetId))
      .map((w) => ({ ...w, fleets: [fleetId] })),
  };
  return {
    ...resolved,
    config,
    fleets: [resolved.fleets[i]!],
    schedules: { [fleetId]: resolved.schedules[fleetId] ?? [] },
  };
}

/**
 * The store, for the warm start's rounds (decided before the start): a sample of a series that already has
 * a later one (the demand history a run may start with) is left out; the history says what the fleet saw then.
 */
function notBefore(store: MetricsStore): Pick<MetricsStore, 'add'> {
  return {
    add(name, labels, timeSeconds, value) {
      const key = seriesKey({ __name__: name, ...labels });
      const series = store
        .select([{ name: '__name__', op: '=', value: name }])
        .find((s) => seriesKey(s.labels) === key);
      const last = series?.times[series.times.length - 1];
      if (last !== undefined && last > timeSeconds) return;
      store.add(name, labels, timeSeconds, value);
    },
  };
}

/**
 * Most audit records `decisions` reads per fleet: four decisions a minute for a month (the longest `--hours`,
 * 744), more than a run makes (a forecast tick every 5 minutes, alarms and notices between).
 */
const AUDIT_EXPORT_LIMIT = 744 * 60 * 4;

export function createAutoscalerController(options: AutoscalerOptions): Controller {
  let stack: LocalStack | undefined;
  let resolved: ResolvedConfig;
  const handlers = new Map<FunctionName, Handler>();
  const rand = mulberry32(options.seed * 7919 + 17);
  const alarms = new Map<string, { high: AlarmState; low: AlarmState }>();
  const windows = new Map<string, boolean>();
  let lastForecast = Number.NEGATIVE_INFINITY;
  let incarnation = 1;
  /** Invocations waiting on the simulated clock (their drains' starts). */
  let waits = new SimulatedWaits<HandlerResult>(() => Date.now());
  /** How far the application's clock runs behind the World's (ms): only during the warm start's rounds. */
  let clockBehindMs = 0;

  const uuid = () => {
    const h = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
    return `${h(8)}-${h(4)}-4${h(3)}-${(8 + Math.floor(rand() * 4)).toString(16)}${h(3)}-${h(12)}`;
  };

  /** The drain commands the decisions put on the bus, for the drain function (`startLocalStack`'s `drains`). */
  const handedOff: DeliveredEvent[] = [];

  async function invoke(ctx: ControllerContext, fn: FunctionName, event: unknown, kind: string, what: string) {
    await invokeOnce(ctx, fn, event, kind, what);
    // (The stack hands each command over once PutEvents has answered.)
    await new Promise((r) => setImmediate(r));
    // The drains the invocation handed off, each to the drain function, as its rule delivers them.
    while (fn !== 'drain' && handedOff.length) {
      const e = handedOff.shift()!;
      const d = e.detail as { node?: string; instanceId?: string };
      await invokeOnce(ctx, 'drain', e, 'drain', `the drain of ${d.node ?? '?'} (${d.instanceId ?? '?'})`);
    }
  }

  async function invokeOnce(ctx: ControllerContext, fn: FunctionName, event: unknown, kind: string, what: string) {
    const handler = handlers.get(fn)!;
    // Each invocation with its function's own timeout, as deployed: it bounds how long its drains may wait.
    const timeoutMs = functionSpec(fn).timeoutSeconds * 1000;
    for (let attempt = 0; attempt < 2; attempt++) {
      let outcome: Outcome<HandlerResult> | undefined;
      let parked = false;
      const ended = await waits.run(
        async () => (await handler(event, localContext(fn, timeoutMs))) as HandlerResult,
        (o) => {
          outcome = o;
          // An invocation parked on its drains ends at a later step: its outcome is recorded then.
          if (parked) recordOutcome(ctx, fn, kind, what, o);
        },
      );
      if (!ended) {
        parked = true;
        return;
      }
      // Thrown: retried once, as Lambda retries an asynchronous invocation.
      if (outcome && (outcome.result || attempt === 1)) {
        recordOutcome(ctx, fn, kind, what, outcome);
        return;
      }
    }
  }

  function recordOutcome(
    ctx: ControllerContext,
    fn: FunctionName,
    kind: string,
    what: string,
    { result, error }: Outcome<HandlerResult>,
  ) {
    if (!result) {
      ctx.record({
        kind: 'error',
        message: `${fn} failed twice on ${what}: ${messageOf(error)}`,
      });
      return;
    }
    if (result.status === 'decided' || result.status === 'partial') {
      for (const d of result.decisions) {
        const changed = d.targetNodes !== undefined && d.currentNodes !== undefined && d.targetNodes !== d.currentNodes;
        ctx.record({
          kind: changed ? 'action' : kind,
          message: `${fn} on ${what}: ${d.fleetId} ${d.currentNodes ?? '?'} -> ${d.targetNodes ?? '?'} nodes (${d.status})`,
          rule: d.rule,
        });
      }
      for (const e of result.errors) ctx.record({ kind: 'error', message: `${fn}: ${e.fleetId}: ${e.error}` });
    } else if (result.status === 'rejected') {
      ctx.record({ kind: 'error', message: `${fn} rejected ${what}: ${result.reason}` });
    } else if (result.status === 'no-op') {
      ctx.record({ kind: 'note', message: `${fn} on ${what}: no-op (${result.reason})` });
    } else if (result.status === 'drain' && result.outcome !== 'drained') {
      ctx.record({
        kind: result.outcome === 'failed' ? 'error' : 'note',
        message: `${fn}: ${what} ${result.outcome}${result.skipped ? ` (${result.skipped})` : ''}`,
      });
    }
  }

  /** Simulated CloudWatch alarms over each step's demand utilization. */
  async function evaluateAlarms(ctx: StepContext) {
    const value = Number.isFinite(ctx.stepMetrics.demandUtilization) ? ctx.stepMetrics.demandUtilization * 100 : 1000;
    for (const fleet of resolved.fleets) {
      let a = alarms.get(fleet.id);
      if (!a) {
        a = {
          high: { name: `${fleet.id}-gpu-utilization-high`, state: 'OK', breaches: 0, recent: [] },
          low: { name: `${fleet.id}-gpu-utilization-low`, state: 'OK', breaches: 0, recent: [] },
        };
        alarms.set(fleet.id, a);
      }
      for (const [which, cfg] of [
        ['high', ALARMS.high],
        ['low', ALARMS.low],
      ] as const) {
        const s = a[which];
        const breach = which === 'high' ? value > cfg.threshold : value < cfg.threshold;
        s.breaches = breach ? s.breaches + 1 : 0;
        s.recent = [...s.recent, Math.round(value * 100) / 100].slice(-cfg.periods);
        const next = s.breaches >= cfg.periods ? 'ALARM' : breach ? s.state : 'OK';
        if (next === s.state) continue;
        const previous = s.state;
        s.state = next;
        const event = P.alarmStateChange(
          { id: uuid(), time: new Date(ctx.now) },
          {
            alarmName: s.name,
            state: next,
            previousState: previous,
            namespace: 'GpuFleet',
            metricName: 'GPUUtilization',
            dimensions: { fleet: fleet.id },
            datapoints: s.recent,
            threshold: cfg.threshold,
            comparison: which === 'high' ? 'GreaterThanThreshold' : 'LessThanThreshold',
            periodSeconds: ctx.stepSeconds,
          },
        );
        ctx.record({ kind: 'alarm', message: `${s.name} ${previous} -> ${next} at ${value.toFixed(0)}%` });
        await invoke(ctx, 'alarm', event, 'alarm', `alarm ${s.name} ${next}`);
      }
    }
  }

  function interruptionPayload(
    world: World,
    e: Extract<WorldEvent, { type: 'interruption-notice' }>,
    now: Date,
  ): unknown {
    const pool = world.pool(e.poolId)!;
    // The envelope is EventBridge's (in the bus's AWS region); where the VM is goes in the detail.
    const o = { id: uuid(), time: now };
    switch (e.cloud as Cloud) {
      case 'aws': {
        // EC2 stamps its warning with the time it gave it, two minutes before the instance stops (the deadline
        // the function reads from it), though the event reaches the function at the end of the step it came in.
        const given = new Date(Math.min(now.getTime(), e.deadline - SPOT_NOTICE_SECONDS.aws * 1000));
        return P.spotInterruptionWarning({ ...o, time: given, region: pool.region }, e.instanceId, e.zone);
      }
      case 'azure': {
        const [subscriptionId, resourceGroup] = (pool.scope ?? 'subscription/resource-group').split('/');
        incarnation += 1;
        return P.azurePreempt(
          o,
          {
            name: e.instanceId,
            scaleSet: pool.name,
            resourceGroup: resourceGroup!,
            subscriptionId: subscriptionId!,
            location: pool.region,
            zone: e.zone,
          },
          new Date(e.deadline),
          incarnation,
        );
      }
      case 'gcp':
        return P.gcpPreemption(o, {
          name: e.instanceId,
          project: pool.scope ?? 'project',
          zone: e.zone,
          numericId: String(1e18 + Math.floor(rand() * 8e18)).slice(0, 19),
        });
      default:
        return undefined;
    }
  }

  async function worldEvents(ctx: StepContext) {
    const now = new Date(ctx.now);
    for (const e of ctx.events) {
      if (e.type === 'interruption-notice' && e.reason === 'spot') {
        const payload = interruptionPayload(ctx.world, e, now);
        if (!payload) continue;
        await invoke(ctx, 'spot-interruption', payload, 'interruption', `${e.cloud} preemption of ${e.instanceId}`);
      } else if (e.type === 'rebalance-recommendation') {
        const pool = ctx.world.pool(e.poolId)!;
        await invoke(
          ctx,
          'spot-interruption',
          P.rebalanceRecommendation({ id: uuid(), time: now, region: pool.region }, e.instanceId, e.zone),
          'interruption',
          `rebalance recommendation for ${e.instanceId}`,
        );
      } else if (e.type === 'reservation' && (e.kind === 'active' || e.kind === 'expiring')) {
        const r = ctx.world.reservation(e.reservationId);
        // Capacity Block events: an On-Demand Capacity Reservation sends neither.
        if (r?.cloud !== 'aws' || r.type !== 'capacity-block') continue;
        const event = P.capacityBlockEvent(
          { id: uuid(), time: now },
          e.kind === 'active' ? 'delivered' : 'expiring',
          r.id,
          new Date(endDateOf(r)),
        );
        await invoke(
          ctx,
          'capacity-reservation',
          event,
          'reservation',
          `capacity block ${r.id} ${e.kind === 'active' ? 'delivered' : 'expiring'}`,
        );
      }
    }
  }

  /**
   * The cloud's own event for a launch it could not make, as its rule delivers it to the spot-interruption
   * function: Auto Scaling's EC2 Instance Launch Unsuccessful for a group, EC2 Fleet's Error (no launch
   * specification could launch) for a fleet. Azure and GCP send no event the autoscaler reads for a failed
   * scale-out (their groups retry, and the next decision sees the nodes missing). A group's launch fails in
   * one zone at a time and is tried in the next (the default `balanced-best-effort` strategy); the world's
   * groups launch wherever a zone has capacity, so a shortfall means every zone failed: one event per zone,
   * the zone it would have launched in first.
   */
  function launchFailurePayloads(world: World, f: LaunchFailure, now: Date): unknown[] {
    const pool = world.pool(f.poolId)!;
    const configured = resolved.fleets.flatMap((fl) => fl.pools).find((p) => p.id === f.poolId);
    switch (configured?.kind) {
      case 'auto-scaling-group':
        return [f.zone, ...pool.zones.filter((z) => z !== f.zone)].map((zone) =>
          P.autoScalingLaunchUnsuccessful(
            { id: uuid(), time: now, region: pool.region },
            {
              name: configured.resource,
              instanceType: pool.instanceType,
              zone,
              subnetId: subnetOf(pool, zone),
              previous: f.live,
              desired: f.desired,
            },
          ),
        );
      case 'ec2-fleet':
        return [
          P.ec2FleetLaunchSpecsBlacklisted(
            { id: uuid(), time: now, region: pool.region },
            {
              fleetId: configured.resource,
              instanceType: pool.instanceType,
              zones: pool.zones,
              spot: pool.capacityType === 'spot',
            },
          ),
        ];
      default:
        return [];
    }
  }

  async function ticks(ctx: StepContext) {
    const now = new Date(ctx.now);
    for (const s of resolved.config.schedules) {
      const active = isWindowActive({ ...s }, ctx.now);
      const was = windows.get(s.name);
      windows.set(s.name, active);
      if (was === undefined || was === active) continue;
      ctx.record({ kind: 'schedule', message: `window ${s.name} ${active ? 'opens' : 'closes'}` });
      await invoke(
        ctx,
        'schedule',
        P.scheduledTick({ id: uuid(), time: now }, `gpu-autoscaler-schedule-${s.name}`),
        'schedule',
        `schedule ${s.name}`,
      );
    }
    if (ctx.now - lastForecast >= FORECAST_EVERY_SECONDS * 1000) {
      lastForecast = ctx.now;
      await invoke(
        ctx,
        'forecast',
        P.scheduledTick({ id: uuid(), time: now }, 'gpu-autoscaler-forecast'),
        'forecast',
        'forecast tick',
      );
    }
  }

  return {
    name: 'autoscaler',
    initialDesired: (demo) => minimumCounts(demo),
    async start(ctx) {
      // The functions' JSON logs and EMF metrics would drown the progress bar.
      process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      resolved = withoutWarmBeyondDemo(
        onlyFleet(await loadConfigFile(options.configFile ?? DEMO_CONFIG_FILE), ctx.demo.fleet.id),
        ctx.demo,
      );
      if (options.availability !== undefined) {
        resolved = withAvailability(resolved, ctx.demo.fleet.id, options.availability);
      }
      for (const f of resolved.fleets) {
        for (const p of f.pools) {
          if (p.cloud !== 'kubernetes' && !ctx.world.pool(p.id)) {
            throw new Error(`configuration pool ${p.id} (fleet ${f.id}) is not in the simulated world`);
          }
        }
      }
      stack = await startLocalStack({
        world: ctx.world,
        resolved,
        metricsStore: ctx.metricsStore,
        clock: () => new Date(ctx.world.now() - clockBehindMs),
        drains: (e) => handedOff.push(e),
      });
      // The forecast rule ticks every FORECAST_EVERY_SECONDS: the longest time between two decisions.
      stack.deps.decisionIntervalSeconds = FORECAST_EVERY_SECONDS;
      // A drain waits for its latest safe start on the simulated clock (parked.ts).
      const clock = stack.deps.clock;
      waits = new SimulatedWaits<HandlerResult>(() => clock().getTime());
      stack.deps.waitUntil = waits.waitUntil;
      stack.deps.parked = waits.parked;
      seedDeployments(ctx.world, resolved, stack.kubernetes);
      for (const name of FUNCTION_NAMES)
        handlers.set(name, localHandler({ trigger: name, deps: async () => stack!.deps }));
      if (options.history) {
        for (const f of resolved.fleets) {
          for (const p of options.history.points) {
            ctx.metricsStore.add('fleet_rps', { fleet: f.id }, Math.floor(ctx.startMs / 1000) + p.t, p.rps);
          }
        }
      }
      for (const s of resolved.config.schedules) windows.set(s.name, isWindowActive({ ...s }, ctx.now));
    },
    async settle(ctx) {
      if (ctx.startMode !== 'warm') return;
      const physics = poolPhysics(ctx.demo);
      const counts = () =>
        ctx.world
          .allPools()
          .map((p) => `${p.id}=${p.desired}`)
          .join(',');
      let before = counts();
      const spacingMs = Math.max(...resolved.fleets.map((f) => settleSpacingSeconds(f.policy)), 1) * 1000;
      // What the rounds asked for, as a fleet that was running would have it: launched nodes ready, and warm
      // nodes prepared (its warm pools filled). Before each round and after the last, which may have asked for
      // warm nodes without changing a running count (the loop then stops).
      const asRunningBefore = () => {
        for (const i of ctx.world.allInstances()) {
          if (i.state === 'pending' || i.state === 'running') {
            i.runningAt = i.readyAt = ctx.now;
            i.state = 'ready';
          }
        }
        for (const p of ctx.world.allPools()) {
          for (const w of ctx.world.warmOf(p.id)) {
            if (w.phase === 'warming') {
              w.phase = 'warm';
              w.warmAt = w.billedTo = ctx.now;
            }
          }
        }
      };
      try {
        for (let round = 0; round < SETTLE_ROUNDS; round++) {
          // Round r is decided (SETTLE_ROUNDS - r) spacings before the start.
          clockBehindMs = (SETTLE_ROUNDS - round) * spacingMs;
          const at = ctx.now - clockBehindMs;
          asRunningBefore();
          const m = stepPhysics(
            0,
            ctx.stepSeconds,
            ctx.foresight.offeredPerStep[0] ?? 0,
            observePools(ctx.world, physics),
          );
          for (const f of resolved.fleets) publishStep(notBefore(ctx.metricsStore), f.id, at / 1000, m);
          await invoke(
            ctx,
            'forecast',
            P.scheduledTick({ id: uuid(), time: new Date(at) }, 'gpu-autoscaler-forecast'),
            'forecast',
            'the start (sizing for the first minute)',
          );
          const after = counts();
          if (after === before) break;
          before = after;
        }
        asRunningBefore();
      } finally {
        clockBehindMs = 0;
      }
    },
    async step(ctx) {
      // Drains whose start has come (their nodes served until now), and what their invocations do after.
      await waits.resume();
      await worldEvents(ctx);
      await evaluateAlarms(ctx);
      await ticks(ctx);
    },
    async launchFailed(ctx, failures) {
      const now = new Date(ctx.now);
      for (const f of failures) {
        for (const payload of launchFailurePayloads(ctx.world, f, now)) {
          await invoke(
            ctx,
            'spot-interruption',
            payload,
            'note',
            `the failed launch of ${f.short} node(s) in ${f.poolId}`,
          );
        }
      }
    },
    async stop() {
      await waits.finish();
      if (stack && options.decisions) {
        const records = (
          await Promise.all(resolved.fleets.map((f) => stack!.deps.store.listAudit(f.id, AUDIT_EXPORT_LIMIT)))
        ).flat();
        // Oldest first: by time, then in the order they were written (the store lists newest first).
        await options.decisions(records.reverse().sort((a, b) => a.at.localeCompare(b.at)));
      }
      await stack?.close();
      stack = undefined;
    },
  };
}
