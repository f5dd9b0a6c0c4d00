import { z } from 'zod';
import type { InterruptionSignal } from '../../../shared/domain/signals.ts';
import { compact } from '../../context.ts';
import { addSeconds, ec2InstanceId } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, zoneOfInstance, eventBridge } from './eventbridge.ts';

/** EC2 gives a spot instance two minutes between the warning and the interruption. */
export const SPOT_WARNING_SECONDS = 120;

/**
 * EC2 Spot Instance Interruption Warning: EC2 will stop, hibernate or terminate a spot instance. The event
 * carries the action but not the time; the deadline is the event time plus two minutes (the time IMDS
 * `spot/instance-action` would show).
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "0d1b2a53-7f3e-4c55-9d1e-4f0c8a7b9e21",
 *   "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-03-04T10:15:00Z", "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1a:instance/i-0a1b2c3d4e5f60718"],
 *   "detail": { "instance-id": "i-0a1b2c3d4e5f60718", "instance-action": "terminate" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 */
export const SpotInterruptionWarningSchema = eventBridge(
  'aws.ec2',
  ['EC2 Spot Instance Interruption Warning'],
  z.object({
    'instance-id': ec2InstanceId,
    'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
  }),
);
export type SpotInterruptionWarningEvent = z.infer<typeof SpotInterruptionWarningSchema>;

export const spotInterruptionWarning: Decoder<typeof SpotInterruptionWarningSchema> = {
  schema: SpotInterruptionWarningSchema,
  toSignal: (e): InterruptionSignal =>
    compact({
      type: 'interruption',
      ...aws(e),
      kind: 'warning',
      instanceIds: [e.detail['instance-id']],
      zone: zoneOfInstance(e, e.detail['instance-id']),
      deadline: addSeconds(e.time, SPOT_WARNING_SECONDS),
      action: e.detail['instance-action'],
    }),
};
