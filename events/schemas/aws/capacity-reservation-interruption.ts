import { z } from 'zod';
import type { InterruptionSignal } from '../../../shared/domain/signals.ts';
import { compact } from '../../context.ts';
import { ec2InstanceId, identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, eventBridge } from './eventbridge.ts';

const zoneId = identifier('an Availability Zone id such as use1-az2');

/**
 * EC2 Capacity Reservation Instance Interruption Warning: an instance running in a Capacity Block (at the
 * block's end) or in an interruptible Capacity Reservation (reclaimed by its owner) will be stopped or
 * terminated at `instance-termination-time`. The Capacity Block variant names the zone
 * `availability-zone-id` and sets `instance-lifecycle: capacity-block`; the interruptible-reservation
 * variant names it `azId` (and its docs sample sends `resources` as one string).
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "b8d0f2a4-6c8e-4b0d-9f1a-3c5e7a9c1e3b",
 *   "detail-type": "EC2 Capacity Reservation Instance Interruption Warning", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-03-17T10:50:00Z", "region": "us-east-2",
 *   "resources": ["arn:aws:ec2:us-east-2:731482956104:instance/i-07a8b9c0d1e2f3a4b"],
 *   "detail": { "instance-id": "i-07a8b9c0d1e2f3a4b", "instance-action": "terminate",
 *     "instance-termination-time": "2025-03-17T11:00:00Z", "availability-zone-id": "use2-az1",
 *     "instance-lifecycle": "capacity-block" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-monitor.html
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-interruptible-cr.html
 */
export const CapacityReservationInterruptionSchema = eventBridge(
  'aws.ec2',
  ['EC2 Capacity Reservation Instance Interruption Warning'],
  z.object({
    'instance-id': ec2InstanceId,
    'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
    'instance-termination-time': isoTime(),
    'availability-zone-id': zoneId.optional(),
    azId: zoneId.optional(),
    'instance-lifecycle': z.string().optional(),
  }),
);
export type CapacityReservationInterruptionEvent = z.infer<typeof CapacityReservationInterruptionSchema>;

export const capacityReservationInterruption: Decoder<typeof CapacityReservationInterruptionSchema> = {
  schema: CapacityReservationInterruptionSchema,
  toSignal: (e): InterruptionSignal =>
    compact({
      type: 'interruption',
      ...aws(e),
      kind: 'reservation-interruption',
      instanceIds: [e.detail['instance-id']],
      deadline: e.detail['instance-termination-time'],
      action: e.detail['instance-action'],
      zone: e.detail['availability-zone-id'] ?? e.detail.azId,
    }),
};
