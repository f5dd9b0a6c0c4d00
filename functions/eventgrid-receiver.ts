/**
 * Azure Event Grid (scheduled events from Resource Notifications) and Azure Monitor alerts on a Function
 * URL: answers the subscription handshake, checks the delivery key and puts the events on the bus.
 */
import { eventGridReceiverHandler } from '../shared/receivers/lambda.ts';

export const handler = await eventGridReceiverHandler();
