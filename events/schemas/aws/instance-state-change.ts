import { z } from 'zod';
import type { CapacityNoticeSignal } from '../../../shared/domain/signals.ts';
import { ec2InstanceId } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';

/**
 * EC2 Instance State-change Notification: an instance entered pending, running, stopping, stopped,
 * shutting-down or terminated. Observed, not acted on: it becomes a `capacity-notice`. The EC2 docs sample
 * has no `version`. (Powertools' test copy spells `instance_id`; EC2 sends `instance-id`, and so must we.)
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "3a5c7e9f-0b2d-4f6a-8c1e-5d7f9b1d3e5a",
 *   "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-03-04T10:17:03Z", "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1:731482956104:instance/i-0a1b2c3d4e5f60718"],
 *   "detail": { "instance-id": "i-0a1b2c3d4e5f60718", "state": "shutting-down" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
 */
export const InstanceStateChangeSchema = eventBridge(
  'aws.ec2',
  ['EC2 Instance State-change Notification'],
  z.object({
    'instance-id': ec2InstanceId,
    state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']),
  }),
);
export type InstanceStateChangeEvent = z.infer<typeof InstanceStateChangeSchema>;

export const instanceStateChange: Decoder<typeof InstanceStateChangeSchema> = {
  schema: InstanceStateChangeSchema,
  toSignal: (e): CapacityNoticeSignal => ({
    type: 'capacity-notice',
    ...base(e),
    cloud: 'aws',
    kind: 'state-change',
    instanceIds: [e.detail['instance-id']],
    detail: e.detail.state,
  }),
};
