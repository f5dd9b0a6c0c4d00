import { z } from 'zod';
import type { ReservationChangeSignal } from '../../../shared/domain/signals.ts';
import { compact, resolveFleet, withFleet } from '../../context.ts';
import { anyTime, capacityReservationId } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, eventBridge } from './eventbridge.ts';

/**
 * The EC2 docs give two sets of names for the same two events (the EventBridge event reference uses the
 * short ones): both are accepted.
 */
export const CAPACITY_BLOCK_DETAIL_TYPES = {
  'Capacity Block Delivered': 'delivered',
  'Capacity Block Reservation Delivered': 'delivered',
  'Capacity Block Expiration Warning': 'expiring',
  'Capacity Block Reservation Expiration Warning': 'expiring',
} as const;

/**
 * Capacity Block delivered (the block started: its capacity is usable) and expiration warning (sent 40
 * minutes before the end; instances are terminated from 30 minutes before the end). The docs sample spells
 * `detail_type` and `customer_event_id` and shows no `region`; the router reads the underscore spellings.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "a7c9e1b3-5d7f-4a9c-8e0b-2d4f6a8c0e2a",
 *   "detail-type": "Capacity Block Delivered", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-03-10T11:30:00Z", "region": "us-east-2",
 *   "resources": ["arn:aws:ec2:us-east-2:731482956104:capacity-reservation/cr-0f1e2d3c4b5a69788"],
 *   "detail": { "capacity-reservation-id": "cr-0f1e2d3c4b5a69788", "end-date": "2025-03-17T11:30:00Z" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-monitor.html
 */
export const CapacityBlockSchema = eventBridge(
  'aws.ec2',
  Object.keys(CAPACITY_BLOCK_DETAIL_TYPES) as [
    keyof typeof CAPACITY_BLOCK_DETAIL_TYPES,
    ...(keyof typeof CAPACITY_BLOCK_DETAIL_TYPES)[],
  ],
  z.object({
    'capacity-reservation-id': capacityReservationId,
    'end-date': anyTime().optional(),
  }),
);
export type CapacityBlockEvent = z.infer<typeof CapacityBlockSchema>;

export const capacityBlock: Decoder<typeof CapacityBlockSchema> = {
  schema: CapacityBlockSchema,
  toSignal: (e, ctx) => {
    const id = e.detail['capacity-reservation-id'];
    const signal: ReservationChangeSignal = compact({
      type: 'reservation-change',
      ...aws(e),
      kind: CAPACITY_BLOCK_DETAIL_TYPES[e['detail-type']],
      reservationIds: [id],
      reservationType: 'capacity-block',
      endTime: e.detail['end-date'],
    });
    return withFleet(signal, resolveFleet(ctx, { dimensions: { CapacityReservationId: id } }));
  },
};
