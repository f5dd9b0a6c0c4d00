/**
 * The Lambda functions, one per trigger, as data: handler file, memory, timeout, reserved concurrency, asynchronous
 * retries and what each one calls. `stacks/functions.ts` turns each into an `sst.aws.Function`; the
 * offline tests read the same table. Pure: no SST globals.
 *
 * Sizing. Lambda gives CPU in proportion to memory (one full vCPU at 1,769 MB), and these functions are
 * CPU-bound only at cold start (parsing the bundled SDKs) and while deciding, so memory buys latency, not
 * room. Timeouts are a little above the slowest path each function takes (a cloud's resize call plus its
 * retries); the fleet lease in DynamoDB outlives every timeout (shared/app/deps.ts `leaseTtlMs`).
 */

import type { TriggerName } from '../shared/app/triggers/index.ts';

/** What a function is allowed to touch; `stacks/permissions.ts` turns each into IAM statements. */
export type Capability =
  /** Describe and resize the configured pools (EC2 Fleet, ASG, EKS node groups, reservations, spot prices). */
  | 'pools'
  /** Read and write fleet state, leases, idempotency records and audit records in the table. */
  | 'state'
  /** Put decision events on the autoscaler's bus. */
  | 'publish'
  /** Read CloudWatch metrics (the forecast's demand history). */
  | 'metrics'
  /** Hold the Azure, GCP and Kubernetes credentials the configuration needs. */
  | 'cloud-credentials'
  /**
   * End one chosen instance (`ec2:TerminateInstances`, `autoscaling:TerminateInstanceInAutoScalingGroup`):
   * only the functions whose decisions drain and remove an interrupted node.
   */
  | 'remove-instances'
  /**
   * Put `Drain Requested` commands on the autoscaler's bus (shared/app/handoff.ts): the functions whose
   * decisions hand their drains to the drain function (notices, reservations ending, operators' drains).
   */
  | 'hand-off-drains';

/** One function per trigger (`shared/app/triggers/index.ts` lists them); a type only, nothing of the app is bundled here. */
export type FunctionKey = TriggerName;

export interface FunctionSpec {
  key: FunctionKey;
  /** SST component name (PascalCase, unique in the app). */
  component: string;
  /** `functions/<key>.handler`, as `sst.aws.Function` wants it. */
  handler: string;
  /** The source file the handler names. */
  file: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency: caps a burst so it cannot overrun a cloud's API rate limits. */
  reserved: number;
  /** Lambda's own retries of a failed asynchronous invocation (0..2) before it goes to the dead letters. */
  retries: 0 | 1 | 2;
  /** An asynchronous event older than this is not worth acting on: it goes to the dead letters instead. */
  maxEventAgeSeconds: number;
  uses: readonly Capability[];
}

const ACTING: readonly Capability[] = ['pools', 'state', 'publish', 'cloud-credentials'];
/** Interruption notices end in `cordon-drain` with `remove`: the node taken back is ended by the function. */
const REMOVING: readonly Capability[] = [...ACTING, 'remove-instances'];

function spec<K extends FunctionKey>(
  key: K,
  s: Omit<FunctionSpec, 'key' | 'handler' | 'file' | 'component'>,
): FunctionSpec & { key: K } {
  const component = key
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return { key, component, handler: `functions/${key}.handler`, file: `functions/${key}.ts`, ...s };
}

/** Each trigger's spec, by its name: the compiler refuses a trigger without one or a spec without a trigger. */
const SPECS: { [K in FunctionKey]: FunctionSpec & { key: K } } = {
  alarm: spec('alarm', {
    description: 'Scales a fleet on a CloudWatch, Azure Monitor or GCP Monitoring alarm',
    memoryMb: 1024,
    timeoutSeconds: 60,
    // Alarms on many fleets flip together when a region's demand moves; five at a time keeps resize calls
    // well under EC2's and ARM's write rate limits, and the per-fleet lease serialises the rest anyway.
    reserved: 5,
    retries: 2,
    // An alarm state older than 15 minutes has been superseded by fresher metrics and the forecast.
    maxEventAgeSeconds: 900,
    uses: ACTING,
  }),
  'spot-interruption': spec('spot-interruption', {
    description: 'Replaces capacity on spot interruption, rebalance, Azure eviction and GCP preemption notices',
    // A full vCPU: the notice gives two minutes, and a cold start plus the replacement call must fit well
    // inside them.
    memoryMb: 1769,
    // 60 s leaves a minute of the two-minute notice even when EventBridge delivery and a cold start are slow.
    timeoutSeconds: 60,
    // A mass reclaim sends hundreds of warnings in seconds; ten at a time replace capacity without tripping
    // EC2's DescribeInstances/ModifyFleet throttles (the rest wait in Lambda's async queue for seconds).
    reserved: 10,
    retries: 1,
    // After two minutes the instance is gone: acting on the warning then would only confuse the state.
    maxEventAgeSeconds: 120,
    uses: [...REMOVING, 'hand-off-drains'],
  }),
  drain: spec('drain', {
    description: 'Drains and removes the nodes under notice that decisions hand off (Drain Requested on the bus)',
    memoryMb: 1024,
    // Long enough to wait, the node serving cordoned, until the drain's latest safe start (an EC2 Spot
    // notice's two minutes less the pods' grace and a margin: 80 s in), then drain until the notice's end and
    // remove the instance: the notice's 120 s plus up to 25 s of delivery and 5 s to record. The engine's
    // `NOTICE_HANDLER_TIMEOUT_SECONDS` is this (a test checks they agree).
    timeoutSeconds: 150,
    // Each drain holds an execution for up to two minutes while it mostly waits: a mass reclaim's drains must
    // not queue behind each other (a queued drain starts late and its node is taken with its pods). Its cloud
    // writes are few (the evictions, one removal per node), well under the APIs' rate limits.
    reserved: 100,
    retries: 2,
    // A command older than the notice it drains for has nothing left to drain.
    maxEventAgeSeconds: 180,
    uses: ['pools', 'state', 'cloud-credentials', 'remove-instances'],
  }),
  'capacity-reservation': spec('capacity-reservation', {
    description: 'Moves capacity in and out of Capacity Blocks and reservations (EC2 and AWS Health events)',
    memoryMb: 1024,
    // Capacity Block interruption warnings share the spot handler's urgency.
    timeoutSeconds: 60,
    reserved: 2,
    retries: 2,
    maxEventAgeSeconds: 3600,
    // Its interrupted instances' drains go to the drain function; it removes them itself only when the
    // handoff cannot be published.
    uses: [...REMOVING, 'hand-off-drains'],
  }),
  forecast: spec('forecast', {
    description: 'Forecasts demand and pre-scales fleets (EventBridge Scheduler, every 5 minutes by default)',
    memoryMb: 1024,
    // Reads the demand history of every fleet, then decides; must end before the next tick.
    timeoutSeconds: 180,
    // One fleet per invocation (stacks/fanout.ts): the deploy reserves `lambda.fleetConcurrency` instead; a
    // fleet's lease keeps two ticks of one fleet from overlapping.
    reserved: 1,
    // The next tick replaces a failed one; retrying would only overlap it.
    retries: 0,
    maxEventAgeSeconds: 240,
    uses: [...ACTING, 'metrics'],
  }),
  schedule: spec('schedule', {
    description: 'Applies business-hours windows at their start and end (EventBridge Scheduler)',
    memoryMb: 1024,
    timeoutSeconds: 120,
    // Window edges of several schedules fall on the same minute; two at a time is plenty.
    reserved: 2,
    retries: 2,
    maxEventAgeSeconds: 3600,
    uses: ACTING,
  }),
  ops: spec('ops', {
    description: 'Operator commands (status, plan, scale, pause, resume, drain), invoked only by the ops invoker role',
    memoryMb: 1024,
    timeoutSeconds: 120,
    reserved: 2,
    // Invoked synchronously by an operator, who sees the error and decides.
    retries: 0,
    maxEventAgeSeconds: 60,
    // An operator's drain goes to the drain function (the node cordoned and the command recorded here).
    uses: [...ACTING, 'hand-off-drains'],
  }),
};

export const FUNCTION_SPECS: readonly FunctionSpec[] = Object.values(SPECS);

export function functionSpec(key: FunctionKey): FunctionSpec {
  const s = FUNCTION_SPECS.find((f) => f.key === key);
  if (!s) throw new Error(`no function '${key}'`);
  return s;
}
