/**
 * Spot interruption warnings, rebalance recommendations, Azure Preempt and GCP preemption notices: cordon
 * and drain the node before the deadline, back the offering off, and place the replacement elsewhere.
 */
import { spotInterruption } from '../shared/app/triggers/spot-interruption.ts';
import { normalizeEvent } from '../events/index.ts';
import { warmLambdaHandler } from '../shared/runtime/lambda.ts';

// Loaded during init: with provisioned concurrency the container is ready before the notice arrives.
export const handler = await warmLambdaHandler(spotInterruption, normalizeEvent);
