/**
 * The forecast job (every 5 minutes): reads the demand history, forecasts the next hours with a seasonal
 * baseline and scales out ahead by the pools' time to ready (never in on a forecast).
 */
import { forecast } from '../shared/app/triggers/forecast.ts';
import { normalizeEvent } from '../events/index.ts';
import { lambdaHandler } from '../shared/runtime/lambda.ts';

export const handler = lambdaHandler(forecast, normalizeEvent);
