/**
 * Spot interruption warnings, rebalance recommendations, Azure Preempt and GCP preemption notices: cordon
 * and drain the node before the deadline, back the offering off, and place the replacement elsewhere.
 */
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler('spot-interruption');
