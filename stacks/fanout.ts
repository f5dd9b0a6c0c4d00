/**
 * One decision per fleet: the forecast tick and each business-hours window edge are one EventBridge
 * Scheduler schedule per fleet, whose input names the fleet (`fleetId`), so each fleet is decided by its own
 * invocation. A failing fleet is retried alone (Scheduler's and Lambda's retries of that one invocation, then
 * its dead letters), and a slow one delays no other. Concurrency is bounded by the functions' reserved
 * concurrency (`lambda.fleetConcurrency`, default 10: ten fleets' resize calls at once stay far below EC2's
 * and ARM's write rate limits), and a flexible time window spreads the invocations of many fleets over a
 * couple of minutes instead of queueing them all on the same second. Pure: no SST globals.
 */
import { createHash } from 'node:crypto';
import type { Config, ScheduleConfig } from '../shared/config/schema.ts';
import type { FunctionSpec } from './function-specs.ts';
import { SCHEDULER_CONTEXT, windowSchedules } from './schedule-windows.ts';

export interface FleetSchedule {
  /** Scheduler schedule name: `[0-9A-Za-z._-]{1,64}`, unique in the group. */
  name: string;
  fleetId: string;
  purpose: 'forecast' | 'schedule';
  /** `rate(...)`/`cron(...)`; the forecast's comes from the deploy settings. */
  expression?: string;
  timeZone?: string;
  window?: string;
  input: Record<string, string>;
}

/** A name within Scheduler's 64 characters: long ones end in a digest of the whole, so they stay unique. */
export function scheduleName(base: string): string {
  const clean = base.replace(/[^0-9A-Za-z._-]+/g, '-');
  if (clean.length <= 64) return clean;
  return `${clean.slice(0, 55)}-${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
}

/** The forecast schedule of each fleet. */
export function forecastSchedules(config: Config): FleetSchedule[] {
  return config.fleets.map((f) => ({
    name: scheduleName(`forecast-${f.id}`),
    fleetId: f.id,
    purpose: 'forecast',
    input: { kind: 'forecast', fleetId: f.id, ...SCHEDULER_CONTEXT },
  }));
}

/** Each window edge, once per fleet of the window. */
export function fleetWindowSchedules(schedules: readonly ScheduleConfig[]): FleetSchedule[] {
  const byName = new Map(schedules.map((s) => [s.name, s]));
  return windowSchedules(schedules).flatMap((w) =>
    (byName.get(w.window)?.fleets ?? []).map((fleetId) => ({
      name: scheduleName(`${fleetId}.${w.name}`),
      fleetId,
      purpose: 'schedule' as const,
      expression: w.expression,
      timeZone: w.timeZone,
      window: w.window,
      input: { ...w.input, fleetId },
    })),
  );
}

/**
 * Minutes over which Scheduler may spread one tick's invocations: none while the fleets fit in the
 * concurrency at once; else one minute per `concurrency * 30` fleets (a decision takes about 2 s, so a
 * container decides ~30 fleets a minute), at most 4 (the forecast ticks every 5 minutes).
 */
export function flexibleWindowMinutes(fleets: number, concurrency: number): number | undefined {
  if (fleets <= concurrency) return undefined;
  return Math.min(4, Math.max(1, Math.ceil(fleets / (concurrency * 30))));
}

/**
 * Reserved concurrency: the tick functions decide one fleet per invocation (stacks/fanout.ts), as many at
 * once as `lambda.fleetConcurrency`; the others as their spec says.
 */
export function reservedFor(spec: FunctionSpec, lambda: { fleetConcurrency: number }): number {
  return spec.key === 'forecast' || spec.key === 'schedule' ? lambda.fleetConcurrency : spec.reserved;
}
