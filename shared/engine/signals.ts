/**
 * Sorts the decision's signals into what each step of the engine needs, and explains each one.
 * Signals naming another fleet are ignored; capacity notices other than a failed launch are logged only
 * (aws-node-termination-handler style: observed, not driven on).
 */
import { type CapacityNoticeSignal, type InterruptionSignal, noticeKeepsNode, type Signal } from '../domain/signals.ts';
import { operatorCommand } from './operator.ts';
import { implausibleNotice } from './plausibility.ts';
import type { SignalContext } from './signal-context.ts';
import type { Reasons } from './reasons.ts';
import { inForce } from './time.ts';
import type { DecisionState } from './types.ts';

/**
 * The source of the launch failures the application makes of a grow the cloud refused for capacity (one new
 * decision backs the offering off and places the nodes again): see `refusalSignals`.
 */
export const REFUSED_GROW_SOURCE = 'gpu-autoscaler.execute';

/**
 * The source of the launch failures the application makes of a pool's observation: creations the cloud keeps
 * failing for capacity (`PoolObservation.launchFailures`). They stop the pool's launches and back its
 * offering off like a cloud's notice, but they are a state each decision sees again while it lasts, not an
 * event: the nodes they concern count as lost once, through the launch shortfall, not once per decision.
 */
export const OBSERVED_FAILURE_SOURCE = 'gpu-autoscaler.observe';

/**
 * A launch failure the application makes (a grow the cloud refused, creations an observation shows failing),
 * shaped as the clouds' own notices are: a `capacity-notice` of kind `launch-unsuccessful` for one pool.
 */
export function launchFailureSignal(f: {
  source: typeof REFUSED_GROW_SOURCE | typeof OBSERVED_FAILURE_SOURCE;
  cloud: CapacityNoticeSignal['cloud'];
  eventId: string;
  time: string;
  fleetId: string;
  poolId: string;
  zone?: string;
  detail: string;
}): CapacityNoticeSignal {
  const { zone, ...rest } = f;
  return { type: 'capacity-notice', kind: 'launch-unsuccessful', instanceIds: [], ...rest, ...(zone ? { zone } : {}) };
}

export type { InstanceNotice, ReservationNotice, SignalContext } from './signal-context.ts';

const describe = (s: Signal): string => `${s.type} ${s.eventId} from ${s.source}`;

function interruption(
  s: InterruptionSignal,
  ctx: SignalContext,
  handled: Handled,
  now: number,
  reasons: Reasons,
): void {
  const implausible = implausibleNotice(s, now);
  if (implausible !== undefined) {
    reasons.add(
      'signal',
      'signal.implausible',
      `${s.cloud} ${s.kind} for ${s.instanceIds.join(', ') || 'no instance'} refused: ${implausible}`,
      { eventId: s.eventId, poolId: s.poolId },
    );
    return;
  }
  let fresh = 0;
  for (const instanceId of s.instanceIds) {
    if (!firstFor(handled, instanceId, noticeKeepsNode(s.kind, s.action), ctx)) continue;
    fresh++;
    ctx.notices.push({
      eventId: s.eventId,
      instanceId,
      kind: s.kind,
      cloud: s.cloud,
      poolId: s.poolId,
      zone: s.zone,
      deadline: s.deadline,
      action: s.action,
      ...(s.gone ? { gone: true as const } : {}),
    });
  }
  const dup = s.instanceIds.length - fresh;
  reasons.add(
    'signal',
    s.kind === 'rebalance' ? 'signal.rebalance' : 'signal.interruption',
    `${s.cloud} ${s.kind} for ${s.instanceIds.join(', ') || 'no instance'}` +
      `${s.deadline ? ` by ${s.deadline}` : ''}${dup ? ` (${dup} already handled)` : ''}`,
    { eventId: s.eventId, poolId: s.poolId },
  );
}

/** Instances whose interruption is handled (earlier, or by a notice of this decision): whether the node stays. */
type Handled = Map<string, boolean>;

/**
 * Whether a notice for `instanceId` is the first of its kind for it: not if the instance was handled already,
 * unless that left the node in place (a rebalance recommendation, maintenance it comes back from) and this
 * notice ends it (the interruption warning that follows a rebalance recommendation: its node is drained before
 * the deadline and removed). An ending notice supersedes a keeping one of the same decision (one outcome per
 * instance). Records the instance as handled.
 */
function firstFor(handled: Handled, instanceId: string, keeps: boolean, ctx: SignalContext): boolean {
  const kept = handled.get(instanceId);
  if (kept === false || (kept === true && keeps)) return false;
  if (kept === true) {
    const i = ctx.notices.findIndex((n) => n.instanceId === instanceId);
    if (i >= 0) ctx.notices.splice(i, 1);
  }
  handled.set(instanceId, keeps);
  return true;
}

/** Classifies the signals; `state` gives the manual target, pause and handled interruptions in force. */
export function readSignals(
  signals: readonly Signal[],
  fleetId: string,
  state: DecisionState,
  now: number,
  reasons: Reasons,
): SignalContext {
  const ctx: SignalContext = {
    eventIds: [],
    notices: [],
    reservations: [],
    alarmValues: new Map(),
    launchFailures: [],
    dryRun: false,
    manualTarget: state.manualTarget && inForce(state.manualTarget.until, now) ? state.manualTarget : undefined,
    paused: state.paused && inForce(state.paused.until, now) ? state.paused : undefined,
    drains: [],
  };
  const handled: Handled = new Map((state.interruptedInstances ?? []).map((i) => [i.instanceId, i.kept === true]));
  for (const s of signals) {
    if (s.fleetId !== undefined && s.fleetId !== fleetId) {
      reasons.add('signal', 'signal.ignored', `${describe(s)} is for fleet ${s.fleetId}: ignored`, {
        eventId: s.eventId,
      });
      continue;
    }
    ctx.eventIds.push(s.eventId);
    switch (s.type) {
      case 'metric-alarm':
        if (s.metricName !== undefined && s.value !== undefined) ctx.alarmValues.set(s.metricName, s.value);
        reasons.add(
          'signal',
          'signal.metric-alarm',
          `alarm ${s.alarmName} is ${s.state}${s.metricName ? ` on ${s.metricName}` : ''}` +
            `${s.value !== undefined ? ` = ${s.value}` : ''}${s.threshold !== undefined ? ` (threshold ${s.threshold})` : ''}`,
          { eventId: s.eventId },
        );
        break;
      case 'interruption':
        interruption(s, ctx, handled, now, reasons);
        break;
      case 'reservation-change': {
        ctx.reservations.push({
          eventId: s.eventId,
          kind: s.kind,
          reservationIds: s.reservationIds,
          reservationType: s.reservationType,
          utilization: s.utilization,
          endTime: s.endTime,
          instanceCount: s.instanceCount,
        });
        const implausible = s.instanceIds?.length
          ? implausibleNotice({ time: s.time, deadline: s.endTime, kind: 'reservation-interruption' }, now)
          : undefined;
        if (implausible !== undefined)
          reasons.add(
            'signal',
            'signal.implausible',
            `reservation interruption of ${s.instanceIds!.join(', ')} refused: ${implausible}`,
            { eventId: s.eventId },
          );
        for (const instanceId of implausible === undefined ? (s.instanceIds ?? []) : []) {
          if (!firstFor(handled, instanceId, false, ctx)) continue;
          ctx.notices.push({
            eventId: s.eventId,
            instanceId,
            kind: 'reservation-interruption',
            cloud: s.cloud,
            reservationIds: s.reservationIds,
            poolId: s.poolId,
            zone: s.zone,
            deadline: s.endTime,
          });
        }
        reasons.add(
          'signal',
          'signal.reservation',
          `reservation ${s.reservationIds.join(', ')} ${s.kind}${s.endTime ? ` (ends ${s.endTime})` : ''}`,
          { eventId: s.eventId },
        );
        break;
      }
      case 'tick':
        reasons.add('signal', 'signal.tick', `${s.purpose} tick${s.window ? ` for window ${s.window}` : ''}`, {
          eventId: s.eventId,
        });
        break;
      case 'operator-command':
        operatorCommand(s, ctx, now, reasons);
        break;
      case 'capacity-notice':
        if (s.kind === 'launch-unsuccessful' && s.poolId) {
          ctx.launchFailures.push({
            poolId: s.poolId,
            ...(s.zone ? { zone: s.zone } : {}),
            eventId: s.eventId,
            ...(s.source === REFUSED_GROW_SOURCE ? { refusedGrow: true } : {}),
            ...(s.source === OBSERVED_FAILURE_SOURCE ? { observed: true } : {}),
          });
          reasons.add(
            'signal',
            'signal.capacity',
            `launch failed in pool ${s.poolId}${s.zone ? ` in zone ${s.zone}` : ''}: offering backed off`,
            { eventId: s.eventId, poolId: s.poolId },
          );
        } else {
          reasons.add('signal', 'signal.ignored', `${s.cloud} ${s.kind}: observed, no decision`, {
            eventId: s.eventId,
          });
        }
        break;
    }
  }
  return ctx;
}
