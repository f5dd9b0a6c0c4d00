/**
 * Operator commands (`autoscaler plan|explain|scale|clear-target|pause|resume|drain|status|history`) as the
 * engine reads them: `plan`/`explain` make the plan a dry run; `scale` sets a manual target (fleet-wide, or one
 * pool's) until it expires; `clear-target` removes it; `pause`/`resume` set or clear the pause (the plan's
 * next state keeps them);
 * `drain` cordons and drains one node. A `scale` or `pause` whose `expiresAt` has passed is ignored.
 */
import type { OperatorCommandSignal } from '../domain/signals.ts';
import type { Reasons } from './reasons.ts';
import type { SignalContext } from './signal-context.ts';
import { inForce } from './time.ts';

export function operatorCommand(s: OperatorCommandSignal, ctx: SignalContext, now: number, reasons: Reasons): void {
  const who = `${s.command} by ${s.actor}${s.reason ? ` (${s.reason})` : ''}`;
  if (s.dryRun) ctx.dryRun = true;
  if ((s.command === 'scale' || s.command === 'pause') && !inForce(s.expiresAt, now)) {
    reasons.add('signal', 'signal.ignored', `operator ${who} expired at ${s.expiresAt}: ignored`, {
      eventId: s.eventId,
    });
    return;
  }
  switch (s.command) {
    case 'plan':
    case 'explain':
      ctx.dryRun = true;
      reasons.add('signal', 'signal.operator', `operator ${who}: dry run, nothing is executed`, { eventId: s.eventId });
      return;
    case 'scale':
      if (s.target === undefined || !Number.isFinite(s.target) || s.target < 0) {
        reasons.add('signal', 'signal.ignored', `operator ${who} without a valid target: ignored`, {
          eventId: s.eventId,
        });
        return;
      }
      ctx.manualTarget = {
        target: Math.floor(s.target),
        poolId: s.poolId,
        until: s.expiresAt,
        by: s.actor,
        reason: s.reason ?? 'operator scale',
      };
      reasons.add('signal', 'signal.operator', `operator ${who}: manual target ${Math.floor(s.target)}`, {
        eventId: s.eventId,
        poolId: s.poolId,
      });
      return;
    case 'clear-target':
      ctx.manualTarget = undefined;
      reasons.add('signal', 'signal.operator', `operator ${who}: manual target cleared`, { eventId: s.eventId });
      return;
    case 'pause':
      ctx.paused = { until: s.expiresAt, by: s.actor, reason: s.reason ?? 'operator pause' };
      reasons.add('signal', 'signal.operator', `operator ${who}: fleet paused`, { eventId: s.eventId });
      return;
    case 'resume':
      ctx.paused = undefined;
      reasons.add('signal', 'signal.operator', `operator ${who}: fleet resumed`, { eventId: s.eventId });
      return;
    case 'drain':
      if (!s.node) {
        reasons.add('signal', 'signal.ignored', `operator ${who} without a node: ignored`, { eventId: s.eventId });
        return;
      }
      ctx.drains.push({
        node: s.node,
        ...(s.cluster ? { cluster: s.cluster } : {}),
        eventId: s.eventId,
        reason: `operator drain by ${s.actor}`,
      });
      reasons.add('signal', 'signal.operator', `operator ${who}: drain node ${s.node}`, { eventId: s.eventId });
      return;
    case 'status':
    case 'history':
      reasons.add('signal', 'signal.operator', `operator ${who}: ${s.command} only`, { eventId: s.eventId });
      return;
  }
}
