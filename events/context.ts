/**
 * What the normalizer may know besides the event: which fleet and pool an alarm, a dimension value or a tag
 * stands for, how a scheduled rule's ticks are meant, and the time the caller received the event. It is plain
 * data passed in (no lookups): mapping an instance id to its pool needs the cloud and is left to the functions.
 */
import { z } from 'zod';
import type { NoOp, Signal } from '../shared/domain/signals.ts';

export interface FleetRef {
  fleetId: string;
  poolId?: string;
}

/** What an alarm stands for: its fleet and pool, and the metric it watches as the engine names it. */
export interface AlarmRef extends FleetRef {
  metric?: string;
}

export interface TickRule {
  purpose: 'forecast' | 'schedule';
  /** For schedule ticks: the business-hours window the rule stands for. */
  window?: string;
  fleetId?: string;
}

export interface NormalizeContext {
  /**
   * When the caller received the event (ISO). Used only where a payload carries no time of its own: a bare
   * Azure Scheduled Events document, an operator command without `time`. Never read from the clock here.
   */
  now?: string;
  /** Alarm name (CloudWatch alarm, Azure Monitor alert rule, Cloud Monitoring policy) -> fleet and pool. */
  alarms?: Record<string, AlarmRef>;
  /**
   * Alarm name prefixes (a configured `prefix*`) -> fleet and pool, for names no exact entry has: the
   * longest matching prefix wins, then the first listed.
   */
  alarmPrefixes?: Array<AlarmRef & { prefix: string }>;
  /**
   * Dimension, label or resource name -> value -> fleet and pool, e.g.
   * `{ AutoScalingGroupName: { 'gpu-g5-spot': { fleetId: 'chat', poolId: 'aws-g5-spot' } } }`.
   * Keys seen: CloudWatch/Azure dimensions, Cloud Monitoring metric and resource labels,
   * `AutoScalingGroupName` (Auto Scaling events), `FleetId` (EC2 Fleet events), `VMScaleSetName` (forwarded
   * Azure documents), `CapacityReservationId` (Capacity Blocks, future-dated and underutilized reservations).
   */
  dimensions?: Record<string, Record<string, FleetRef>>;
  /** Tag or label keys naming the fleet and pool (default `fleet` and `pool`). */
  tagKeys?: { fleet?: string; pool?: string };
  /** EventBridge rule or Scheduler schedule name -> what its ticks are for (else the name convention applies). */
  ticks?: Record<string, TickRule>;
}

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

/**
 * What an alarm name stands for: its exact entry, else the longest configured prefix it starts with (the
 * first listed among equals). The one rule for mapping alarms, wildcards included.
 */
export function alarmRef(ctx: Pick<NormalizeContext, 'alarms' | 'alarmPrefixes'>, name: string): AlarmRef | undefined {
  if (ctx.alarms && Object.hasOwn(ctx.alarms, name)) return ctx.alarms[name];
  let best: (AlarmRef & { prefix: string }) | undefined;
  for (const p of ctx.alarmPrefixes ?? []) {
    if (name.startsWith(p.prefix) && (!best || p.prefix.length > best.prefix.length)) best = p;
  }
  if (!best) return undefined;
  const { prefix: _prefix, ...ref } = best;
  return ref;
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
