/**
 * `capacity-reservation`: Capacity Block and reservation events (delivered, expiring, expired, interrupted,
 * underutilized; EC2 and AWS Health): capacity moves onto a reservation that became usable and off one that
 * ends; a reservation's interrupted instances are handled as interruptions: their nodes are cordoned by the
 * decision and their drains, with the removals after them, go to the drain function (`drain.ts`,
 * `handoff.ts`), so that a block ending under many nodes never holds this function past its timeout.
 */
import { decisionTrigger } from './trigger.ts';
import { fleetsInterrupted, fleetsReserved, fleetsShortOfCapacity } from './routes.ts';

export const capacityReservation = decisionTrigger(
  'capacity-reservation',
  ['reservation-change', 'interruption', 'capacity-notice'],
  (s, deps) =>
    s.type === 'reservation-change'
      ? fleetsReserved(s, deps)
      : s.type === 'interruption'
        ? fleetsInterrupted(s, deps)
        : fleetsShortOfCapacity(s, deps),
  { handoff: true },
);
