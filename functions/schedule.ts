/**
 * Business-hours schedules: windows in an IANA time zone set floors and ceilings, freeze scale-down, or
 * scale to zero off hours.
 */
import { schedule } from '../shared/app/triggers/schedule.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(schedule, normalizeEvent);
