/**
 * The forecast schedule's period, which bounds the time between two decisions of a fleet when no alarm or
 * notice comes: what a decision holds must last until the next one's launches serve (the engine's lead time).
 * The deploy passes the forecast schedule's EventBridge Scheduler expression to the functions
 * (`AUTOSCALER_FORECAST_SCHEDULE`, `rate(5 minutes)` by default); a `rate(...)` gives its period, a `cron(...)`
 * or `off` gives none (the engine then assumes its default, `DEFAULT_DECISION_INTERVAL_SECONDS`).
 */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/** Seconds between two forecast ticks of `expression`, or undefined when it is not a positive `rate(...)`. */
export function forecastIntervalSeconds(expression: string | undefined): number | undefined {
  const m = RATE.exec((expression ?? '').trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = UNIT_SECONDS[m[2]!.replace(/s$/, '')]!;
  return n > 0 ? n * unit : undefined;
}
