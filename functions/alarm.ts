/**
 * CloudWatch alarm state changes (EventBridge, Lambda alarm action, SNS) and Azure Monitor / Cloud Monitoring alerts:
 * a reactive decision for the alarm's fleet.
 */
import { alarm } from '../shared/app/triggers/alarm.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(alarm, normalizeEvent);
