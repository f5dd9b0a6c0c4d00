/**
 * GCP Pub/Sub push (preemption audit logs from a log sink, Cloud Monitoring incidents) on a Function URL:
 * verifies the push's OIDC token and puts the message on the autoscaler's bus.
 */
import { pubsubReceiverHandler } from '../shared/receivers/lambda.ts';

export const handler = pubsubReceiverHandler();
