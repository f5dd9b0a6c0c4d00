/** The forecast schedule's period: the longest time between two decisions, as the engine's lead time reads it. */
import { describe, expect, it } from 'vitest';
import { forecastIntervalSeconds } from '../../shared/config/forecast-schedule.ts';

describe('forecastIntervalSeconds', () => {
  it.each([
    { expression: 'rate(5 minutes)', seconds: 300 },
    { expression: 'rate(1 minute)', seconds: 60 },
    { expression: ' rate(2 hours) ', seconds: 7200 },
    { expression: 'rate(1 day)', seconds: 86_400 },
    // A cron has no single period; off and a missing setting have none: the engine's default applies.
    { expression: 'cron(0/5 * * * ? *)', seconds: undefined },
    { expression: 'off', seconds: undefined },
    { expression: undefined, seconds: undefined },
    { expression: 'rate(0 minutes)', seconds: undefined },
  ])('$expression -> $seconds', ({ expression, seconds }) => {
    expect(forecastIntervalSeconds(expression)).toBe(seconds);
  });
});
