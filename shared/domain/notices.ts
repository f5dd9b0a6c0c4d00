/**
 * Checking an interruption notice against what the cloud itself says of the instance (aws-node-termination-
 * handler and Karpenter act on a notice as it comes; a forged, replayed or mistaken one then drains and ends
 * a healthy node). A notice the cloud contradicts changes no capacity and is recorded with the reason:
 *
 * - the instance is unknown to the cloud, or has already ended (nothing is left to drain or replace: its
 *   loss shows in the pool's own observation, which the engine reconciles); unknown is no contradiction for a
 *   notice read after its deadline whose instance is gone (`gone`): the cloud took it back as announced;
 * - a spot notice (an EC2 warning or rebalance recommendation, an Azure or GCP preemption) for an instance
 *   the cloud does not run as spot;
 * - an EC2 interruption warning for an instance whose spot request is not marked for interruption
 *   (`marked-for-termination`, `-stop`, `-hibernation`) nor already interrupted (`instance-terminated-*`,
 *   `instance-stopped-*`, `instance-hibernated-*`): EC2 marks the request when it sends the warning
 *   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-request-status.html).
 *
 * Maintenance and reservation notices are checked for the instance only (the clouds show no mark for them
 * that this reads). What the cloud cannot say (a read that failed) contradicts nothing. Pure.
 */
import type { InstanceStatus } from './ports.ts';
import type { InterruptionKind } from './signals.ts';

const SPOT_KINDS: ReadonlySet<InterruptionKind> = new Set(['warning', 'preempt', 'rebalance']);

/**
 * EC2 spot request status codes that say the instance is (being) interrupted: marked, or already taken back
 * (`instance-terminated-no-capacity`, `instance-stopped-by-price`...); ended by its owner is not.
 */
export function isInterruptionCode(code: string): boolean {
  if (/^marked-for-(termination|stop|hibernation)$/.test(code)) return true;
  return /^instance-(terminated|stopped|hibernated)-/.test(code) && !code.endsWith('-by-user');
}

/**
 * Why the cloud contradicts a notice of `kind` for this instance, or undefined when it does not. `gone`: the
 * notice came after its deadline and the instance is gone from its pool (`InterruptionSignal.gone`): that the
 * cloud no longer knows it is what the notice announced (an Azure Spot VM evicted with the Delete policy is
 * deleted), not a contradiction; ended otherwise still is.
 */
export function contradiction(kind: InterruptionKind, status: InstanceStatus, gone = false): string | undefined {
  if (!status.found) return gone ? undefined : `the cloud has no instance ${status.id}`;
  if (status.ended) return `instance ${status.id} has already ended (${status.state ?? 'ended'})`;
  if (SPOT_KINDS.has(kind) && status.spot === false)
    return `instance ${status.id} is not a spot instance${status.detail ? ` (${status.detail})` : ''}`;
  if (kind === 'warning' && status.marked === false)
    return `the spot request of instance ${status.id} is ${status.detail ?? 'not marked'}, not marked for interruption`;
  return undefined;
}
