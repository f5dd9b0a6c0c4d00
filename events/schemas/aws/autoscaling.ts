import { z } from 'zod';
import type { CapacityNoticeSignal } from '../../../shared/domain/signals.ts';
import { compact, resolveFleet, withFleet } from '../../context.ts';
import { ec2InstanceId, identifier } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';

const LIFECYCLE_KINDS = {
  'EC2 Instance-launch Lifecycle Action': 'launch-lifecycle',
  'EC2 Instance-terminate Lifecycle Action': 'terminate-lifecycle',
} as const;

/**
 * Auto Scaling lifecycle actions: an instance waits in Pending:Wait or Terminating:Wait until a lifecycle
 * hook is completed. Observed (a `capacity-notice` mapped to its pool by `AutoScalingGroupName`); the
 * signal keeps the hook name and token so that a function can complete the action after draining.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "c1e3a5b7-9d0f-4b2c-8e4a-6c8e0a2c4e6f",
 *   "detail-type": "EC2 Instance-terminate Lifecycle Action", "source": "aws.autoscaling",
 *   "account": "731482956104", "time": "2025-03-04T11:02:19Z", "region": "us-east-1",
 *   "resources": ["arn:aws:autoscaling:us-east-1:731482956104:autoScalingGroup:5c2a...:autoScalingGroupName/chat-g5-spot"],
 *   "detail": { "LifecycleActionToken": "2f6b9c1d-3e5a-4c7e-9b1d-4f6a8c0e2b4d", "AutoScalingGroupName": "chat-g5-spot",
 *     "LifecycleHookName": "drain-before-terminate", "EC2InstanceId": "i-0a1b2c3d4e5f60718",
 *     "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING", "Origin": "AutoScalingGroup", "Destination": "EC2" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
 */
export const AutoScalingLifecycleActionSchema = eventBridge(
  'aws.autoscaling',
  ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
  z.object({
    LifecycleActionToken: identifier('a lifecycle action token'),
    AutoScalingGroupName: z.string().min(1),
    LifecycleHookName: z.string().min(1),
    EC2InstanceId: ec2InstanceId,
    LifecycleTransition: z.enum(['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']),
    NotificationMetadata: z.string().optional(),
    Origin: z.string().optional(),
    Destination: z.string().optional(),
  }),
);
export type AutoScalingLifecycleActionEvent = z.infer<typeof AutoScalingLifecycleActionSchema>;

export const autoScalingLifecycleAction: Decoder<typeof AutoScalingLifecycleActionSchema> = {
  schema: AutoScalingLifecycleActionSchema,
  toSignal: (e, ctx) => {
    const d = e.detail;
    const signal: CapacityNoticeSignal = {
      type: 'capacity-notice',
      ...base(e),
      cloud: 'aws',
      kind: LIFECYCLE_KINDS[e['detail-type']],
      instanceIds: [d.EC2InstanceId],
      detail: `${d.AutoScalingGroupName}: ${d.LifecycleHookName}`,
      lifecycleAction: {
        autoScalingGroupName: d.AutoScalingGroupName,
        hookName: d.LifecycleHookName,
        token: d.LifecycleActionToken,
        transition: d.LifecycleTransition,
      },
    };
    return withFleet(signal, resolveFleet(ctx, { dimensions: { AutoScalingGroupName: d.AutoScalingGroupName } }));
  },
};

const RESULT_KINDS = {
  'EC2 Instance Launch Successful': 'launch-successful',
  'EC2 Instance Launch Unsuccessful': 'launch-unsuccessful',
  'EC2 Instance Terminate Successful': 'terminate-successful',
  'EC2 Instance Terminate Unsuccessful': 'terminate-unsuccessful',
} as const;

/** The key of `Details` that names the zone of the launch or termination. */
const AVAILABILITY_ZONE = 'Availability Zone';

/**
 * Auto Scaling launch and terminate results. Observed (`capacity-notice`): the autoscaler reads the group's
 * state itself, but a run of unsuccessful launches is worth logging next to the decision that caused it.
 * A failed launch may carry no instance id. The zone (`Details['Availability Zone']`) goes in the signal: a
 * group's launch that fails in one zone is made in another (the default `balanced-best-effort` capacity
 * distribution strategy), so only that zone is backed off.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "e4a6c8e0-2b4d-4f6a-9c1e-7a9c1e3a5c7e",
 *   "detail-type": "EC2 Instance Launch Unsuccessful", "source": "aws.autoscaling",
 *   "account": "731482956104", "time": "2025-03-04T11:05:44Z", "region": "us-east-1",
 *   "resources": ["arn:aws:autoscaling:us-east-1:731482956104:autoScalingGroup:5c2a...:autoScalingGroupName/chat-g5-spot"],
 *   "detail": { "StatusCode": "Failed", "AutoScalingGroupName": "chat-g5-spot", "ActivityId": "7b9d1f3a-...",
 *     "Details": { "Availability Zone": "us-east-1b", "Subnet ID": "subnet-0a1b2c3d4e5f67890" },
 *     "RequestId": "7b9d1f3a-...", "StatusMessage": "We currently do not have sufficient g5.12xlarge capacity ...",
 *     "EndTime": "2025-03-04T11:05:44.210Z", "EC2InstanceId": "", "StartTime": "2025-03-04T11:05:40.002Z",
 *     "Cause": "At 2025-03-04T11:05:38Z an instance was started in response to a difference between desired and actual capacity ..." }
 * }
 * ```
 * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
 */
export const AutoScalingResultSchema = eventBridge(
  'aws.autoscaling',
  [
    'EC2 Instance Launch Successful',
    'EC2 Instance Launch Unsuccessful',
    'EC2 Instance Terminate Successful',
    'EC2 Instance Terminate Unsuccessful',
  ],
  z.object({
    StatusCode: z.string().min(1),
    AutoScalingGroupName: z.string().min(1),
    ActivityId: z.string().optional(),
    Description: z.string().optional(),
    Details: z.record(z.string(), z.unknown()).optional(),
    StatusMessage: z.string().optional(),
    Cause: z.string().optional(),
    EC2InstanceId: z
      .union([z.literal(''), ec2InstanceId], { error: 'an EC2 instance id (i-...), or empty for a failed launch' })
      .optional(),
  }),
);
export type AutoScalingResultEvent = z.infer<typeof AutoScalingResultSchema>;

export const autoScalingResult: Decoder<typeof AutoScalingResultSchema> = {
  schema: AutoScalingResultSchema,
  toSignal: (e, ctx) => {
    const d = e.detail;
    const why = d.StatusMessage || d.Description || d.Cause;
    const zone = d.Details?.[AVAILABILITY_ZONE];
    const signal: CapacityNoticeSignal = compact({
      type: 'capacity-notice',
      ...base(e),
      cloud: 'aws',
      kind: RESULT_KINDS[e['detail-type']],
      instanceIds: d.EC2InstanceId ? [d.EC2InstanceId] : [],
      zone: typeof zone === 'string' && zone !== '' ? zone : undefined,
      detail: why ? `${d.AutoScalingGroupName}: ${d.StatusCode}: ${why}` : `${d.AutoScalingGroupName}: ${d.StatusCode}`,
    });
    return withFleet(signal, resolveFleet(ctx, { dimensions: { AutoScalingGroupName: d.AutoScalingGroupName } }));
  },
};
