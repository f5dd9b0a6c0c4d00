/**
 * Operators: status, plan (a dry run that explains), scale, pause, resume, drain. Changes are audited with
 * who asked and why.
 */
import { ops } from '../shared/app/triggers/ops.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(ops, normalizeEvent);
