/**
 * The drains decisions hand off (`Drain Requested` on the autoscaler's bus): each node drained from its latest
 * safe start, re-validated first, and its instance removed under the fleet's lease.
 */
import { drain } from '../shared/app/triggers/drain.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(drain, normalizeEvent);
