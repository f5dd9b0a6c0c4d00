/**
 * What the normalizer may know besides the event: which fleet and pool an alarm, a dimension value or a tag
 * stands for, how a scheduled rule's ticks are meant, and the time the caller received the event. It is plain
 * data passed in (no lookups): mapping an instance id to its pool needs the cloud and is left to the functions.
 */
import { z } from 'zod';
import type { FleetRef, NormalizeContext } from '../shared/domain/routing.ts';
import { alarmRef } from '../shared/domain/routing.ts';
import type { NoOp, Signal } from '../shared/domain/signals.ts';

export type { AlarmRef, FleetRef, NormalizeContext, TickRule } from '../shared/domain/routing.ts';
export { alarmRef } from '../shared/domain/routing.ts';

const FleetRefSchema = z.strictObject({ fleetId: z.string().min(1), poolId: z.string().min(1).optional() });
const AlarmRefSchema = FleetRefSchema.extend({ metric: z.string().min(1).optional() });

/** Validates a `NormalizeContext` read from a file (the CLI's `--context`). */
export const NormalizeContextSchema = z.strictObject({
  now: z.iso.datetime({ offset: true }).optional(),
  alarms: z.record(z.string(), AlarmRefSchema).optional(),
  alarmPrefixes: z.array(AlarmRefSchema.extend({ prefix: z.string() })).optional(),
  dimensions: z.record(z.string(), z.record(z.string(), FleetRefSchema)).optional(),
  tagKeys: z.strictObject({ fleet: z.string().min(1).optional(), pool: z.string().min(1).optional() }).optional(),
  ticks: z
    .record(
      z.string(),
      z.strictObject({
        purpose: z.enum(['forecast', 'schedule']),
        window: z.string().min(1).optional(),
        fleetId: z.string().min(1).optional(),
      }),
    )
    .optional(),
});

export interface FleetHints {
  alarmName?: string;
  dimensions?: Record<string, string>;
  tags?: Record<string, string>;
}

/**
 * The fleet (and pool) a signal maps to: by alarm name first, then by the first configured dimension whose
 * value is known, then by tags. Undefined when nothing maps.
 */
export function resolveFleet(ctx: NormalizeContext, hints: FleetHints): FleetRef | undefined {
  const alarm = hints.alarmName === undefined ? undefined : alarmRef(ctx, hints.alarmName);
  if (alarm) return alarm.poolId ? { fleetId: alarm.fleetId, poolId: alarm.poolId } : { fleetId: alarm.fleetId };
  if (ctx.dimensions && hints.dimensions) {
    for (const [key, values] of Object.entries(ctx.dimensions)) {
      const v = hints.dimensions[key];
      if (v !== undefined && Object.hasOwn(values, v)) return values[v];
    }
  }
  if (hints.tags) {
    const fleetId = hints.tags[ctx.tagKeys?.fleet ?? 'fleet'];
    if (fleetId) {
      const poolId = hints.tags[ctx.tagKeys?.pool ?? 'pool'];
      return poolId ? { fleetId, poolId } : { fleetId };
    }
  }
  return undefined;
}

/** Drops keys whose value is undefined, so signals print and compare cleanly. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A signal with its fleet and pool, when `ref` has them. */
export function withFleet<T extends Signal>(signal: T, ref: FleetRef | undefined): T {
  return compact({ ...signal, fleetId: ref?.fleetId ?? signal.fleetId, poolId: ref?.poolId ?? signal.poolId });
}

export function noop(source: string, reason: string, eventId?: string): NoOp {
  return compact({ type: 'no-op', eventId: eventId || undefined, source, reason });
}
