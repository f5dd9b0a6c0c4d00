/**
 * Where events go, from the configuration: alarm names and prefixes, resource names and scheduled rules ->
 * fleets and pools, and the metric each alarm watches. The normalizer's context (without the time of the
 * event) and the alarm lookup the app layer uses are this one object, resolved once per configuration when
 * the dependencies are built, not per event.
 */
import type { AlarmRef, NormalizeContext } from '../domain/routing.ts';
import type { ResolvedConfig } from './load.ts';
import type { Config } from './schema.ts';

export type Routing = Required<Pick<NormalizeContext, 'alarms' | 'alarmPrefixes' | 'dimensions' | 'ticks'>>;

/**
 * The configured alarms: exact names, and prefixes for names ending in `*`. Where two mappings give the same
 * name or prefix, the first configured wins.
 */
export function alarmRoutes(alarms: Config['alarms']): Pick<Routing, 'alarms' | 'alarmPrefixes'> {
  // Null-prototype maps: an alarm, a resource or a schedule may be named `__proto__` or `constructor`.
  const exact: Record<string, AlarmRef> = Object.create(null);
  const prefixes: Routing['alarmPrefixes'] = [];
  for (const a of alarms) {
    const ref: AlarmRef = {
      fleetId: a.fleetId,
      ...(a.poolId ? { poolId: a.poolId } : {}),
      ...(a.metric ? { metric: a.metric } : {}),
    };
    if (a.alarm.endsWith('*')) {
      const prefix = a.alarm.slice(0, -1);
      if (!prefixes.some((p) => p.prefix === prefix)) prefixes.push({ prefix, ...ref });
    } else if (!Object.hasOwn(exact, a.alarm)) {
      exact[a.alarm] = ref;
    }
  }
  return { alarms: exact, alarmPrefixes: prefixes };
}

function resolveRouting(resolved: ResolvedConfig): Routing {
  const dimensions: Routing['dimensions'] = {
    AutoScalingGroupName: Object.create(null),
    FleetId: Object.create(null),
    VMScaleSetName: Object.create(null),
  };
  for (const f of resolved.fleets) {
    for (const p of f.pools) {
      const ref = { fleetId: f.id, poolId: p.id };
      if (p.kind === 'auto-scaling-group') dimensions.AutoScalingGroupName![p.resource] = ref;
      if (p.kind === 'ec2-fleet') dimensions.FleetId![p.resource] = ref;
      if (p.kind === 'azure-vmss') dimensions.VMScaleSetName![p.resource] = ref;
    }
  }
  const ticks: Routing['ticks'] = Object.create(null);
  for (const s of resolved.config.schedules) ticks[s.name] = { purpose: 'schedule', window: s.name };
  return { ...alarmRoutes(resolved.config.alarms), dimensions, ticks };
}

// Keyed by the resolved configuration itself: a configuration derived from another (narrowed to one fleet,
// another availability) is a new object and gets its own routing.
const ROUTINGS = new WeakMap<ResolvedConfig, Routing>();

/** The configuration's routing, resolved on the first call for that configuration and kept with it. */
export function routingOf(resolved: ResolvedConfig): Routing {
  let r = ROUTINGS.get(resolved);
  if (!r) {
    r = resolveRouting(resolved);
    ROUTINGS.set(resolved, r);
  }
  return r;
}
