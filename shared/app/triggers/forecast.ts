/**
 * `forecast`: the periodic tick (EventBridge Scheduler, every 5 minutes by default; one schedule per fleet
 * or one for all): each fleet's demand forecast over its pools' time to ready, read from the metrics
 * store's history, and a decision that scales ahead of it.
 */
import { fleetsTicked } from './routes.ts';
import { decisionTrigger } from './trigger.ts';

export const forecast = decisionTrigger('forecast', ['tick'], fleetsTicked);
