/**
 * How events map to fleets: what the normalizer may know besides the event (which fleet and pool an alarm, a
 * dimension value or a tag stands for, how a scheduled rule's ticks are meant, the time the caller received
 * the event), and the one rule for mapping alarm names, wildcards included. Plain data and pure functions:
 * the event normalizer (`events/`) reads it, the configuration (`shared/config/routing.ts`) builds it, and the
 * runtime takes the normalizer itself as a `Normalizer` from the function that composes it.
 */
import type { Normalized } from './signals.ts';

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

/** Turns a raw event into a signal or a no-op; throws `ParseError` for a malformed event (`events/`'s `normalizeEvent`). */
export type Normalizer = (raw: unknown, ctx: NormalizeContext) => Normalized;

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
