/**
 * What the runner asks of a controller (the autoscaler, or a baseline), and what it gives one.
 *
 * The runner owns the clock: it advances each controller's World, computes the step's physics, fills the
 * metrics store, then awaits `controller.step(ctx)` with the world frozen at the end of the step. A
 * controller acts on its World (directly, or through the emulators' real cloud APIs); whatever it does takes
 * effect at that instant. Nothing a controller does may move the clock.
 */
import type { AuditRecord } from '../../shared/state/records.ts';
import type { MetricsStore } from '../emulators/prometheus/store.ts';
import type { World, WorldEvent } from '../emulators/world.ts';
import type { DemoFleet } from './demo.ts';
import type { LaunchFailure, StepMetrics } from './physics.ts';
import type { SpotSchedule } from './spot.ts';
import type { DemandTrace } from './trace.ts';

/** Kinds the report draws in their own rows; controllers may use others. */
export const TIMELINE_KINDS = [
  'action',
  'interruption',
  'launch-failed',
  'reservation',
  'alarm',
  'forecast',
  'schedule',
  'note',
  'error',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number] | (string & {});

export interface TimelineEntry {
  /** ms since the epoch (simulated). */
  at: number;
  kind: TimelineKind;
  poolId?: string;
  message: string;
  /** The rule that acted (the decision's rule and what clipped it), where the controller knows it. */
  rule?: string;
}

/** The whole run ahead. Only the oracle reads it: it is the bound that knows the future. */
export interface Foresight {
  trace: DemandTrace;
  spot: SpotSchedule;
  /** The run's step, seconds. */
  stepSeconds: number;
  /** Requests offered in each step, exactly as the physics will see them (the trace looped if the run is longer). */
  offeredPerStep: readonly number[];
}

/**
 * How a run starts. `warm` (the default): every controller starts from the count its own rule holds for the
 * first step's demand, all ready, as if it had been running before. `cold` (`--cold-start`): every controller
 * starts at its minimums, all ready.
 */
export type StartMode = 'warm' | 'cold';

export interface ControllerContext {
  readonly world: World;
  readonly demo: DemoFleet;
  /** Filled by the runner at the end of every step (see runner.ts for the series); serve it with the Prometheus emulator. */
  readonly metricsStore: MetricsStore;
  /** Simulated time now, ms since the epoch. */
  readonly now: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
  readonly seed: number;
  readonly foresight: Foresight;
  readonly startMode: StartMode;
  /** Adds an entry to this controller's timeline (`at` defaults to now). */
  record(entry: { at?: number; kind: TimelineKind; poolId?: string; message: string; rule?: string }): void;
}

export interface StepContext extends ControllerContext {
  /** Index of the step that just ended (0-based). */
  readonly stepIndex: number;
  /** The physics of the step that just ended, [now - step, now). */
  readonly stepMetrics: StepMetrics;
  /**
   * World events since the previous call, in order: interruption notices, rebalance recommendations,
   * instance state changes, launch failures, reservations (`active` and `expired` added by the runner,
   * `expiring` from the World).
   */
  readonly events: readonly WorldEvent[];
}

export interface Controller {
  readonly name: string;
  /**
   * How the controller's World holds the fleet's pools: `group` (the default: each pool is a cloud group
   * kept at a desired count) or `instances` (no group: the controller launches and ends instances one by
   * one, as Karpenter does; see `WorldPoolSpec.management`).
   */
  readonly poolManagement?: 'group' | 'instances';
  /**
   * Desired counts per pool (group pools) before the clock starts: with `warm`, the count the controller's
   * rule holds for the first step's demand (`foresight.offeredPerStep[0]`); with `cold`, its minimums.
   * Default: the demo fleet's starting counts (`worldPools[].desired`).
   */
  initialDesired?(demo: DemoFleet, foresight: Foresight, mode: StartMode): Record<string, number>;
  start(ctx: ControllerContext): Promise<void>;
  /**
   * Runs after `start` and before the clock starts, for a controller whose rule needs its own machinery to
   * size the start (the autoscaler decides through its handlers; Karpenter provisions nodes for the HPA's
   * replicas). It acts on the World at the start time; whatever runs when it returns is ready at the start.
   * Not measured (no scaling actions, no replacements).
   */
  settle?(ctx: ControllerContext): Promise<void>;
  step(ctx: StepContext): Promise<void>;
  /**
   * Group pools could not launch what they were asked for, at this instant (after `step`, or at the start):
   * the clouds' events for it (Auto Scaling's EC2 Instance Launch Unsuccessful, EC2 Fleet's Error) reach a
   * real fleet seconds after the failed launch. A controller that does not listen to the clouds' events
   * leaves it out, and learns it as it otherwise would.
   */
  launchFailed?(ctx: ControllerContext, failures: readonly LaunchFailure[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What `autoscaler simulate` passes to `createAutoscalerController` (exported by local/sim/autoscaler.ts).
 */
export interface AutoscalerControllerOptions {
  demo: DemoFleet;
  /** `--config FILE`, resolved against the working directory; undefined without it. */
  configFile?: string;
  seed: number;
  hours: number;
  stepSeconds: number;
  /** The working directory of the command. */
  cwd: string;
  /** Overrides the fleet's `slo.availability` (`--availability`); undefined keeps the configuration's. */
  availability?: number;
  /** Diagnostics to standard error, one line each. */
  log: (line: string) => void;
  /**
   * Called once the run ends, before the state store closes, with every decision's audit record (`--decisions`):
   * the record an operator's `history` and `explain` read in the cloud (trigger, plan with its reasons, outcome),
   * oldest first.
   */
  decisions?: (records: readonly AuditRecord[]) => void | Promise<void>;
}

/** The module local/sim/autoscaler.ts, as the simulate command loads it. */
export interface AutoscalerModule {
  createAutoscalerController(options: AutoscalerControllerOptions): Controller | Promise<Controller>;
}
