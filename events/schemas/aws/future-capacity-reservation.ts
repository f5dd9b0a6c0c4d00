import { z } from 'zod';
import type { ReservationChangeSignal, ReservationChangeKind } from '../../../shared/domain/signals.ts';
import { resolveFleet, withFleet } from '../../context.ts';
import { capacityReservationId } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, eventBridge } from './eventbridge.ts';

/**
 * How each state maps onto the domain's reservation kinds. `Delayed` stays `scheduled` (the capacity is
 * still coming, later); `Failed` and `Unsupported` become `expired` (the capacity will not come).
 */
export const FUTURE_RESERVATION_DETAIL_TYPES = {
  'EC2 Capacity Reservation Scheduled': 'scheduled',
  'EC2 Capacity Reservation Delayed': 'scheduled',
  'EC2 Capacity Reservation Active': 'active',
  'EC2 Capacity Reservation Expired': 'expired',
  'EC2 Capacity Reservation Failed': 'expired',
  'EC2 Capacity Reservation Unsupported': 'expired',
} as const satisfies Record<string, ReservationChangeKind>;

type DetailType = keyof typeof FUTURE_RESERVATION_DETAIL_TYPES;

/**
 * State changes of a future-dated On-Demand Capacity Reservation: scheduled, delayed, active, expired,
 * failed, unsupported (the state is in the detail-type and, lower-case, in `detail.state`).
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "c9e1a3b5-7d9f-4c1e-8a2b-4d6f8a0c2e4b",
 *   "detail-type": "EC2 Capacity Reservation Active", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-04-01T00:00:04Z", "region": "us-west-2",
 *   "resources": ["arn:aws:ec2:us-west-2:731482956104:capacity-reservation/cr-05a6b7c8d9e0f1a2b"],
 *   "detail": { "capacity-reservation-id": "cr-05a6b7c8d9e0f1a2b", "state": "active" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-fcr-state.html
 */
export const FutureCapacityReservationSchema = eventBridge(
  'aws.ec2',
  Object.keys(FUTURE_RESERVATION_DETAIL_TYPES) as [DetailType, ...DetailType[]],
  z.object({
    'capacity-reservation-id': capacityReservationId,
    state: z.enum(['scheduled', 'delayed', 'active', 'expired', 'failed', 'unsupported']).optional(),
  }),
);
export type FutureCapacityReservationEvent = z.infer<typeof FutureCapacityReservationSchema>;

export const futureCapacityReservation: Decoder<typeof FutureCapacityReservationSchema> = {
  schema: FutureCapacityReservationSchema,
  toSignal: (e, ctx) => {
    const id = e.detail['capacity-reservation-id'];
    const signal: ReservationChangeSignal = {
      type: 'reservation-change',
      ...aws(e),
      kind: FUTURE_RESERVATION_DETAIL_TYPES[e['detail-type']],
      reservationIds: [id],
      reservationType: 'future-odcr',
    };
    return withFleet(signal, resolveFleet(ctx, { dimensions: { CapacityReservationId: id } }));
  },
};
