/**
 * `alarm`: a CloudWatch alarm state change (EventBridge, a Lambda alarm action, SNS), an Azure Monitor alert
 * or a Cloud Monitoring incident: a reactive decision for the fleet the alarm is configured for. An alarm
 * without data decides nothing.
 */
import { alarmRef } from '../../domain/routing.ts';
import { routingOf } from '../../config/routing.ts';
import type { MetricAlarmSignal } from '../../domain/signals.ts';
import type { AppDeps } from '../deps.ts';
import type { FleetRoute } from '../fleets.ts';
import { decisionTrigger, REACTIVE } from './trigger.ts';

export function fleetOfAlarm(signal: MetricAlarmSignal, deps: AppDeps): FleetRoute {
  if (signal.state === 'INSUFFICIENT_DATA')
    return { noOp: `alarm ${signal.alarmName} has insufficient data: no action on missing data` };
  // The normalizer maps the alarm's name (exact or a configured prefix) to its fleet; a signal built
  // without it (a caller's own) is mapped here by the same rule.
  const id =
    signal.fleetId ??
    alarmRef(routingOf(deps.resolved), signal.alarmName)?.fleetId ??
    signal.dimensions.fleet ??
    signal.dimensions.Fleet;
  const fleet = deps.resolved.fleets.find((f) => f.id === id);
  if (!fleet) return { noOp: `alarm ${signal.alarmName} maps to no configured fleet` };
  return { fleets: [fleet], gather: REACTIVE };
}

export const alarm = decisionTrigger('alarm', ['metric-alarm'], fleetOfAlarm);
