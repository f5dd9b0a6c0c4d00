/**
 * The decision engine's input and output. Pure data: a `DecisionInput` goes into `decide(input, now)` and a
 * `Plan` comes out. A plan is printable (`formatPlan`), storable for audit (JSON, no class instances) and
 * executable: the executor maps each action onto one port call (`set-desired` onto `CapacityPort.setDesired`,
 * `remove-instance` onto `CapacityPort.removeInstance`, `cordon-drain` onto `ClusterPort.cordon` + `drain`,
 * `scale-deployment` onto `ClusterPort.scaleDeployment`) and decides nothing; `nextState` is what it saves.
 */
import type { WarmState } from '../domain/warm.ts';
import type { CapacityReservation } from '../domain/ports.ts';
import type { CapacityType, Cloud, Fleet, ScheduleWindow } from '../domain/types.ts';
import type { Signal } from '../domain/signals.ts';
import type { BootState } from './boot-times.ts';

/** One current fleet-level metric value, per node (e.g. mean `gpu_utilization` %, `queue_depth` per node). */
export interface MetricValue {
  /** Matches `MetricTarget.metric` in the fleet policy. */
  metric: string;
  /** Average over the nodes that serve traffic (the ready ones), as the HPA's AverageValue/Utilization targets. */
  value: number;
}

/** One point of the demand forecast. */
export interface ForecastPoint {
  /** ISO time the forecast is for. */
  at: string;
  /** Requests per second expected then. */
  rps: number;
}

/**
 * How well the forecast predicted this fleet's own recent demand (shared/forecast/skill.ts): the forecaster
 * replayed over the history the decision reads, its points against the readings that came, and against the
 * naive forecast the SLO headroom scales (the last value at each origin).
 */
export interface ForecastSkill {
  /** Forecast origins replayed, and points compared (origins x points ahead). */
  origins: number;
  points: number;
  /** Mean absolute error of the forecaster, and of the last value, over the same points (requests/s). */
  mae: number;
  maeLastValue: number;
  /** mae / maeLastValue: the mean absolute scaled error against the last value (below 1: better than it). */
  mase: number;
  /** The span of history the origins cover, seconds. */
  windowSeconds: number;
}

/**
 * One past decision, as `Plan.historyEntry` produced it and the functions stored it. The engine reads the
 * history for what the HPA keeps in memory: the recommendations of the last minutes (stabilization
 * windows) and the scale events (behavior policies' periods, cooldowns).
 */
export interface HistoryEntry {
  /** ISO time of the decision. */
  at: string;
  fleetId?: string;
  /** The unstabilized recommendation of that decision (the HPA's `timestampedRecommendation`). */
  recommendation: number;
  /**
   * The capacity (requests/s) behind `recommendation`, when the inputs gave one. The stabilization windows
   * read it in nodes of the decision's own placement, so that a reservation starting or ending does not
   * turn yesterday's node count into the wrong capacity.
   */
  requiredRps?: number;
  /** Fleet nodes observed before the decision (sum of the pools' desired counts). */
  from: number;
  /** Fleet nodes the decision asked for. */
  to: number;
  /**
   * Nodes of `from` the cloud took back on the decision's notices: not a scale-in of its own (the disruption
   * budgets do not count them; the behavior policies count the change as it is).
   */
  taken?: number;
  /**
   * True when the decision changed the fleet's size and was executed (not a dry run, not paused). Only
   * applied entries count as scale events; the executor stores `false` when it could not apply the plan.
   */
  applied: boolean;
  /** Dry-run plans (operator `plan`/`explain`) are stored for audit only: the engine ignores them. */
  dryRun?: boolean;
  /** The decision had no metric and no demand to go by (the metrics store down or empty): KEDA's fallback counts these. */
  noData?: boolean;
  /** Per-pool changes of that decision, for audit. */
  pools?: Array<{ poolId: string; from: number; to: number }>;
  /** Ids of the events that triggered the decision. */
  signalIds?: string[];
}

/** An offering (pool, optionally one zone) recently interrupted or short of capacity: not grown until `until`. */
export interface OfferingBackoff {
  poolId: string;
  /** When set, only that zone of the pool; a multi-zone pool keeps growing in its other zones. */
  zone?: string;
  /** ISO time the backoff lapses. */
  until: string;
  reason: 'interrupted' | 'insufficient-capacity';
}

/** An operator's `scale` command in force. */
export interface ManualTarget {
  /** Fleet-wide node count, or the pool's count when `poolId` is set. */
  target: number;
  poolId?: string;
  /** ISO time after which the target lapses; without it the target stays until replaced or cleared. */
  until?: string;
  /** Who asked. */
  by: string;
  reason: string;
}

/** An operator's `pause` in force. */
export interface PauseState {
  /** ISO time the pause lapses; without it the fleet stays paused until `resume`. */
  until?: string;
  by: string;
  reason: string;
}

/** An instance whose interruption was already handled (drain planned), so a repeated notice is not counted twice. */
export interface HandledInterruption {
  instanceId: string;
  poolId?: string;
  /** ISO deadline the cloud gave. */
  deadline?: string;
  /** ISO time the engine first planned its replacement. */
  at: string;
  /**
   * Its removal was planned (the node is gone at the deadline and its pool ends a chosen instance): until it is
   * made, the pool's count keeps the node, which later decisions do not count as capacity (`addStillLeaving`).
   */
  removing?: true;
  /**
   * The notice it was handled for leaves the node in place (a rebalance it was replaced ahead for, maintenance
   * it comes back from: `noticeKeepsNode`): a later notice that ends it is handled as a new one.
   */
  kept?: true;
}

/**
 * What the fleet has learned of its spot offerings (`spot-risk.ts`): per offering (`pool/zone`, `pool/*`)
 * the node-hours held and the nodes lost, both decayed; and the recent losses, the episodes of which are
 * the correlated-loss scenarios the placement hedges.
 */
export interface SpotRiskState {
  /** ISO time of the last update (exposure is counted from it). */
  at: string;
  offerings: Record<string, { hours: number; losses: number }>;
  /** Nodes lost and nodes the offering held then. */
  events: Array<{ at: string; offering: string; nodes: number; held?: number }>;
}

/** A need (requests/s) held at its highest for a while (warm-sizing.ts). */
export interface HeldNeed {
  rps: number;
  /** ISO time it was last raised. */
  at: string;
  /**
   * A pool's: the warm nodes it had after nodes last went back to it (a scale-in's), and when. They were
   * serving until then, so they are kept for the pool's break-even time from then, like a need (warm.ts).
   */
  kept?: { nodes: number; at: string };
  /**
   * A pool's: its warm nodes resumed by bridges (decide.ts `warm.bridge`) not yet back, and when the last
   * went. They serve while the cold launches they bridge boot, and the scale-in that follows once those serve
   * returns them, so a refill does not prepare nodes in their place for the pool's time to ready from then
   * (a node prepared now is warm no sooner than they are back; warm-sizing.ts `outstanding`).
   */
  out?: { nodes: number; at: string };
  /**
   * Raised by the prior of a fleet without demand history (every warm pool at its maximum, decide.ts), not by a
   * need the history measured: it stands until the history speaks, not for a break-even time (warm-sizing.ts).
   */
  prior?: true;
}

/**
 * The need (requests/s) the warm pools are sized for, held at its highest for a while (warm-sizing.ts): for
 * each warm pool for its own break-even time (`pools`); `rps` and `at` are the highest of them, for the reasons
 * (and, in a state saved before `pools`, the one hold of every pool).
 */
export interface WarmHold extends HeldNeed {
  pools?: Record<string, HeldNeed>;
}

/** The warm pools' sizing a decision made with the SLO headroom (warm-sizing.ts), for warm.ts to act on. */
export interface WarmPlan {
  /** Warm nodes each warm pool keeps at most for the held need: what is there is not cut below it. */
  targets: Record<string, number>;
  /**
   * Warm nodes each warm pool needs for this decision's own need (before the hold): a pool below it is
   * refilled (a preparation each); between it and `targets` it keeps what it has, and nodes a scale-in takes
   * out return to it rather than ending (warm.ts).
   */
  needTargets?: Record<string, number>;
  /** The need they are sized for (held), and its parts this decision: the demand band and the spot hedge. */
  needRps: number;
  demandRps: number;
  hedgeRps: number;
  /** What the warm maxima leave to cold launches. */
  leftRps: number;
}

/** Durable per-fleet state kept by the functions between decisions. */
export interface DecisionState {
  paused?: PauseState;
  manualTarget?: ManualTarget;
  offeringBackoff: OfferingBackoff[];
  interruptedInstances?: HandledInterruption[];
  spotRisk?: SpotRiskState;
  /** The launches followed and how long the completed ones took to serve, per pool (boot-times.ts). */
  boots?: BootState;
  /** The warm pools' need, held at its highest for the break-even time (warm-sizing.ts). */
  warmHold?: WarmHold;
  /**
   * Warm nodes per pool resumed in place of cold launches a rate limit left no room for: later decisions
   * launch their cold replacements while the plan still needs the capacity (decide.ts).
   */
  warmBridge?: Record<string, number>;
  /**
   * Each pool's count when it was last observed. A pool its cloud cannot describe goes into the next
   * decision at this count, pinned (the application's observation does it), rather than out of it.
   */
  lastKnown?: Record<string, { desired: number; ready: number }>;
}

/** Everything one decision depends on. Nothing else is read: no clock, no I/O. */
export interface DecisionInput {
  /** The fleet with its policy and its pools as observed now (`desired`, `ready`). */
  fleet: Fleet;
  /** What triggered this decision (alarm, interruption, reservation change, tick, operator command). May be empty. */
  signals: Signal[];
  /** Current fleet-level metric values, per node. */
  metrics?: MetricValue[];
  /** Observed demand. */
  demand?: { rps: number };
  /**
   * Future demand; points beyond the lead time (time to ready + decision interval) are ignored, and a
   * forecast never scales in.
   */
  forecast?: ForecastPoint[];
  /**
   * How well that forecaster predicted the fleet's recent demand: a forecast no better than the last value
   * (MASE at or above 1) is not used (engine/forecast.ts `usableForecast`).
   */
  forecastSkill?: ForecastSkill;
  /**
   * The fleet's recorded demand, `[unix seconds, requests/s]`, any order (the metrics store's range at one
   * sample a minute). With it the capacity held above the demand is sized for `slo.availability` from the
   * peaks this history shows over a lead time (`headroom.ts`), and spot capacity counts at its expected
   * survival (`spot-risk.ts`); an empty array means "no history yet": the documented priors. Without it
   * (undefined) the demand buffer alone sets the headroom.
   */
  demandHistory?: ReadonlyArray<readonly [number, number]>;
  /**
   * The demand's season (seconds): the cycle the headroom's seasonal level looks back over (headroom.ts), the
   * forecaster's too (`forecast.seasonHours`). A day when absent (`HEADROOM_SEASON_SECONDS`). The level needs a
   * season of `demandHistory` behind a lead window before it is a candidate.
   */
  demandSeasonSeconds?: number;
  /**
   * Longest time until the next decision, seconds (the forecast schedule's period): what a decision holds
   * must last until the next one's launches are ready. Default `DEFAULT_DECISION_INTERVAL_SECONDS`.
   */
  decisionIntervalSeconds?: number;
  /**
   * Instances the observation still shows (not terminated) among those an earlier decision planned to remove
   * after a notice (`HandledInterruption.removing`): nodes on their way out whose removal has not lowered their
   * pool's count yet. Until their deadline they are not capacity (`decide.ts` counts them as leaving), so a
   * later decision does not undo the replacements their notice launched.
   */
  stillThere?: readonly string[];
  /**
   * Pools of the fleet whose count is unknown (their cloud could not describe them, and no count of them
   * was ever observed): the fleet's Deployment is not scaled, rather than shrunk to the pools that answered.
   */
  unobservedPools?: readonly string[];
  /** The fleet's schedule windows; the engine keeps those active at `now` (passing only active ones is fine). */
  schedule?: ScheduleWindow[];
  /** Past decisions of this fleet, any order. Entries older than the longest window are ignored. */
  history: HistoryEntry[];
  state: DecisionState;
  /** Capacity reservations of the fleet's regions; without it, reserved pools are trusted as configured. */
  reservations?: CapacityReservation[];
  /** Plan only: the plan is computed and explained, nothing is to be executed. */
  dryRun?: boolean;
}

export type ReasonKind = 'signal' | 'rule' | 'limit' | 'placement' | 'safety';

/**
 * One step of the explanation: which signal, rule, limit, placement choice or safety clipped or drove the plan.
 *
 * Codes: signal.{metric-alarm, interruption, rebalance, reservation, tick, operator, capacity, ignored};
 * rules hpa.{metric, missing-metrics, no-metrics}, keda.{activation, inactive, deactivation},
 * demand.{rps, forecast, forecast-ahead}, forecast.{skill, unskilled}, manual.target; limits hpa.stabilized,
 * limit.{scale-up-rate, scale-down-rate, min, max, conflict, capacity, pool-min, pool-max, cloud-max};
 * placement.{reserved-first, cheapest, floor, scale-in, spot-share, fallback-on-demand, spot-over-share,
 * interruption, rebalance, reservation-active, reservation-expiring, reservation-ended, reservation-lapsed,
 * reservation-unusable, short-of-capacity, cloud-not-allowed, pinned}; safety.{schedule, freeze,
 * freeze-scale-down, cooldown, max-step, not-ready, budget, budget-below-min, paused, dry-run}.
 */
export interface Reason {
  kind: ReasonKind;
  /** Stable machine-readable code, e.g. `hpa.metric`, `limit.max`, `safety.budget`, `placement.reserved-first`. */
  code: string;
  /** One human sentence. */
  message: string;
  /** For limits: the node count before and after this limit. */
  before?: number;
  after?: number;
  /** For limits: what clipped it (`maxNodes`, `behavior.scaleUp`, `safety.maxStepUp`, `window business-hours`...). */
  clippedBy?: string;
  poolId?: string;
  /** The signal this reason is about. */
  eventId?: string;
}

/** Set a pool's desired count (CapacityPort.setDesired, or ClusterPort.scaleDeployment for a Deployment). */
export interface SetDesiredAction {
  type: 'set-desired';
  poolId: string;
  /** The pool's desired count as observed. */
  from: number;
  /**
   * The count to set now. It does not include the instances that `cordon-drain` (remove) and `replace`
   * actions take out of this pool: removing each of those lowers the pool by one more.
   */
  to: number;
  /**
   * A shrink of a pool that keeps warm capacity: how many of the nodes that go are stopped back into its warm
   * pool instead of ending (they keep their disks: no new preparation when they are resumed again; they bill
   * their disks only from then), and the warm nodes the pool keeps afterwards. The rest end. Planned by
   * warm.ts; each cloud's adapter does it with its own primitive (ASG warm pool with ReuseOnScaleIn, VMSS
   * deallocate, MIG stopInstances / suspendInstances).
   */
  toWarm?: { nodes: number; warm: number; state: WarmState };
  /** Why, in words, for `SetDesiredRequest.reason`. */
  reason: string;
}

/** Cordon a node, then drain it before its deadline (ClusterPort.cordon, then ClusterPort.drain). */
export interface CordonDrainAction {
  type: 'cordon-drain';
  poolId?: string;
  /** Cloud instance id (resolve the node with `ClusterPort.findNodeByInstance`). */
  instanceId?: string;
  /** Kubernetes node name, when known (operator `drain`). */
  node?: string;
  /** The cluster the node is in, when the fleet says so (the pool's, else the Deployment's). */
  cluster?: string;
  /** ISO time the drain must end by. */
  deadline: string;
  /**
   * ISO time the eviction of the node's pods may start at the latest (the deadline less the pods' grace and a
   * margin: `drainStartBy`): until then the node, cordoned at once so that nothing new lands on it, keeps
   * serving. Absent: the drain starts at once (the notice leaves no time to serve beyond the pods' grace).
   */
  startBy?: string;
  reason: string;
}

/**
 * End one chosen instance of a pool once it is drained, lowering the pool by one (`CapacityPort.removeInstance`),
 * so the pool does not relaunch in the offering being taken back.
 */
export interface RemoveInstanceAction {
  type: 'remove-instance';
  poolId: string;
  instanceId: string;
  reason: string;
}

/** Scale the fleet's Kubernetes Deployment to the replicas the planned GPUs hold (`ClusterPort.scaleDeployment`). */
export interface ScaleDeploymentAction {
  type: 'scale-deployment';
  cluster: string;
  namespace: string;
  name: string;
  replicas: number;
  reason: string;
}

/**
 * Replace an instance at risk (rebalance recommendation): the replacement is launched in `toPool` (a grow of
 * this plan) and the instance is cordoned so that no new work lands on it; it goes when its notice comes.
 */
export interface ReplaceAction {
  type: 'replace';
  instanceId: string;
  fromPool: string;
  toPool: string;
  /** The cluster the node is in, when the fleet says so. */
  cluster?: string;
  reason: string;
}

/** Record an offering backoff in the fleet state (no cloud call). */
export interface MarkOfferingAction {
  type: 'mark-offering';
  poolId: string;
  zone?: string;
  /** ISO time the backoff lapses. */
  until: string;
  reason: 'interrupted' | 'insufficient-capacity';
}

/** Tell the operators something (publish as an event, print); no cloud call. */
export interface ReportAction {
  type: 'report';
  code: string;
  message: string;
}

/** Set how many warm (stopped) nodes a pool keeps (`CapacityPort.setWarm`); planned by warm.ts. */
export interface SetWarmAction {
  type: 'set-warm';
  poolId: string;
  /** The pool's warm target as observed (0 when it has no warm pool yet). */
  from: number;
  to: number;
  state: WarmState;
  reason: string;
}

export type Action =
  | SetDesiredAction
  | CordonDrainAction
  | RemoveInstanceAction
  | ReplaceAction
  | ScaleDeploymentAction
  | MarkOfferingAction
  | ReportAction
  | SetWarmAction;

/** One pool in the plan. */
export interface PoolPlan {
  poolId: string;
  cloud: Cloud;
  capacityType: CapacityType;
  /** Desired count as observed. */
  current: number;
  /** Count after the plan, instance removals included. */
  target: number;
  delta: number;
  /** USD per node-hour. */
  hourlyPrice: number;
  /** Why this pool may not grow in this decision (backoff, reservation ending, cloud not allowed), if so. */
  blocked?: string;
}

/** What the hourly budget removed. */
export interface BudgetCut {
  budgetUsd: number;
  /** Nodes and cost before and after the cut. */
  nodesBefore: number;
  nodesAfter: number;
  costBefore: number;
  costAfter: number;
  /** Nodes removed per pool, the most expensive node first. */
  removed: Array<{ poolId: string; nodes: number; hourlyPrice: number }>;
  /** True when even the fleet's floor costs more than the budget: the floor is kept, the budget is exceeded. */
  unmet: boolean;
}

/** The decision. */
export interface Plan {
  fleetId: string;
  /** ISO time of the decision (`now`). */
  at: string;
  /** Nothing may be executed: a dry run (input flag, or operator `plan`/`explain`). */
  dryRun: boolean;
  /** The fleet is paused: `actions` holds no cloud change; `suppressedActions` says what would have been done. */
  paused: boolean;
  /** Sum of the pools' observed desired counts, and of their ready counts. */
  currentNodes: number;
  readyNodes: number;
  /** The raw recommendation (metrics, demand, forecast, activation, or the manual target) before any limit. */
  recommendedNodes: number;
  /** Capacity (requests/s) the demand, metrics and forecast ask for, when they gave one. */
  requiredRps?: number;
  /** Fleet nodes after every limit, safety rule and the placement. */
  targetNodes: number;
  pools: PoolPlan[];
  /** What to execute, in order (grow first, drain, then shrink). Empty when paused. */
  actions: Action[];
  /** Actions a pause held back. */
  suppressedActions: Action[];
  /** Why, in the order the engine applied its steps. */
  reasons: Reason[];
  /** USD per hour of the target, and of the current fleet. */
  costPerHour: number;
  currentCostPerHour: number;
  budgetCut?: BudgetCut;
  /** The manual target in force for this decision (from state or from a `scale` command in the signals). */
  manualTarget?: ManualTarget;
  /** The fleet's spot risk after this decision, to store with its state (SLO sizing only). */
  spotRisk?: SpotRiskState;
  /** The warm pools' targets sized with the SLO headroom (SLO sizing with warm pools only); warm.ts acts on them. */
  warm?: WarmPlan;
  /** What to append to the fleet's history once the plan was executed (or not: see `HistoryEntry.applied`). */
  historyEntry: HistoryEntry;
  /**
   * The fleet's state after this decision, to save once the plan is executed: lapsed backoffs, pauses,
   * manual targets and old interruptions dropped; the operator's scale, pause and resume applied; the
   * offerings this plan backs off and the interruptions it handles added. Saved even when paused (a pause
   * holds back cloud changes, not bookkeeping); never for a dry run.
   */
  nextState: DecisionState;
}
