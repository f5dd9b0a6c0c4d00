/**
 * `schedule`: a business-hours window's edge (EventBridge Scheduler): a decision for the fleets the window
 * applies to, so its floor, ceiling or freeze takes effect on time.
 */
import { fleetsTicked } from './routes.ts';
import { decisionTrigger } from './trigger.ts';

export const schedule = decisionTrigger('schedule', ['tick'], fleetsTicked);
