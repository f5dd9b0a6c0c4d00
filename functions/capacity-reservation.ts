/**
 * Capacity Blocks and capacity reservations starting, expiring, interrupted or underused: move capacity
 * onto a reservation when it is active, off it before it ends, and report underused ones.
 */
import { capacityReservation } from '../shared/app/triggers/capacity-reservation.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(capacityReservation, normalizeEvent);
