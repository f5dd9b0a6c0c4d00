/**
 * The fleet's state after a decision, as data (the application saves it and changes nothing in it):
 *
 *   - what has lapsed goes: offering backoffs past their end, pauses and manual targets past their expiry,
 *     handled interruptions older than a day;
 *   - the operator's commands of this decision are applied once: `scale` sets the manual target, `pause`
 *     pauses, `resume` resumes (readSignals already folded them, with the state's, into the signal context);
 *   - the plan's own facts are added: offerings it backs off (extending a backoff already there) and the
 *     interruptions it handles, those whose node was gone when it read them too (so a repeated notice is not
 *     counted twice);
 *   - what the decision learned: the spot risk updated with its losses, and each pool's count as it entered
 *     the decision (its last known count, for a decision its cloud cannot describe it in);
 *   - the warm pools' hold when the decision sized one (the state's stays otherwise), and its record of warm
 *     nodes serving in place of cold launches (`warmBridge`), which replaces the last one: a pool the decision
 *     no longer records has no bridge left, and without any the state has none.
 */
import type { SignalContext } from './signal-context.ts';
import type { Action, DecisionState, HandledInterruption, SpotRiskState, WarmHold } from './types.ts';
import { noticeKeepsNode } from '../domain/signals.ts';
import type { Pool } from '../domain/types.ts';

/** How long a handled interruption is remembered: repeated notices of one instance come within minutes. */
export const HANDLED_INTERRUPTION_MEMORY_MS = 86_400_000;

export function nextState(
  state: DecisionState,
  sig: SignalContext,
  actions: readonly Action[],
  now: Date,
  learned: {
    pools: readonly Pool[];
    spotRisk?: SpotRiskState;
    warmHold?: WarmHold;
    warmBridge?: Readonly<Record<string, number>>;
  } = { pools: [] },
): DecisionState {
  const t = now.getTime();
  const { paused: _p, manualTarget: _m, warmBridge: _b, ...rest } = state;
  const next: DecisionState = {
    ...rest,
    offeringBackoff: state.offeringBackoff.filter((b) => Date.parse(b.until) > t).map((b) => ({ ...b })),
    ...(state.interruptedInstances
      ? {
          interruptedInstances: state.interruptedInstances.filter(
            (i) => Date.parse(i.at) > t - HANDLED_INTERRUPTION_MEMORY_MS,
          ),
        }
      : {}),
    ...(sig.paused ? { paused: sig.paused } : {}),
    ...(sig.manualTarget ? { manualTarget: sig.manualTarget } : {}),
    ...(learned.spotRisk ? { spotRisk: learned.spotRisk } : {}),
    ...(learned.warmHold ? { warmHold: learned.warmHold } : {}),
    ...(learned.warmBridge && Object.keys(learned.warmBridge).length > 0
      ? { warmBridge: { ...learned.warmBridge } }
      : {}),
  };
  if (learned.pools.length) {
    next.lastKnown = { ...state.lastKnown };
    for (const p of learned.pools) next.lastKnown[p.id] = { desired: p.desired, ready: p.ready };
  }
  for (const a of actions) {
    if (a.type === 'mark-offering') {
      const existing = next.offeringBackoff.find((b) => b.poolId === a.poolId && b.zone === a.zone);
      if (existing) {
        if (a.until > existing.until) existing.until = a.until;
      } else {
        next.offeringBackoff.push({
          poolId: a.poolId,
          ...(a.zone ? { zone: a.zone } : {}),
          until: a.until,
          reason: a.reason,
        });
      }
    }
    if ((a.type === 'cordon-drain' && a.instanceId) || a.type === 'replace') {
      const instanceId = a.instanceId!;
      const removing =
        a.type === 'cordon-drain' && actions.some((r) => r.type === 'remove-instance' && r.instanceId === instanceId);
      const notice = sig.notices.find((n) => n.instanceId === instanceId);
      const kept = a.type === 'replace' || (notice !== undefined && noticeKeepsNode(notice.kind, notice.action));
      remember(next, {
        instanceId,
        ...(a.type === 'replace' ? { poolId: a.fromPool } : a.poolId ? { poolId: a.poolId } : {}),
        ...(a.type === 'cordon-drain' ? { deadline: a.deadline } : {}),
        at: now.toISOString(),
        ...(removing ? { removing: true as const } : {}),
        ...(kept ? { kept: true as const } : {}),
      });
    }
  }
  // A notice read after its node was taken back (`InstanceNotice.gone`) has no drain to remember it by: it is
  // remembered here, so that the same reclaim read again (through another path, in a later document) is not
  // learned twice.
  for (const n of sig.notices) {
    if (!n.gone) continue;
    remember(next, {
      instanceId: n.instanceId,
      ...(n.poolId ? { poolId: n.poolId } : {}),
      ...(n.deadline ? { deadline: n.deadline } : {}),
      at: now.toISOString(),
    });
  }
  return next;
}

/**
 * Records a handled interruption once per instance. A record of a notice that ends the node replaces one
 * handled earlier for a notice that kept it (readSignals let the ending one through): the node now goes.
 */
function remember(next: DecisionState, handled: HandledInterruption): void {
  next.interruptedInstances ??= [];
  const earlier = next.interruptedInstances.findIndex((i) => i.instanceId === handled.instanceId);
  if (earlier >= 0 && next.interruptedInstances[earlier].kept && !handled.kept)
    next.interruptedInstances.splice(earlier, 1);
  if (!next.interruptedInstances.some((i) => i.instanceId === handled.instanceId))
    next.interruptedInstances.push(handled);
}
