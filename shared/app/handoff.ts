/**
 * The drain handoff, the deciding side. Karpenter separates the interruption handler (which cordons the node
 * and marks it for deletion) from the termination controller (which drains and deletes it asynchronously,
 * re-validating first); here a decision that drains (on a spot notice, a reservation's interruption, an
 * operator's drain) cordons the node under its lease, records its plan, and hands each drain, with the
 * removal of its instance that follows, to the drain function as one command on the autoscaler's bus
 * (`Drain Requested`, published alongside the decision's own event, or after its audit record for an
 * operator's drain, which the drain function finds there). The decision's
 * invocation ends once it is recorded; the drain function (`drain-step.ts`) waits for the drain's latest safe
 * start within its own timeout, re-validates, drains, removes under the fleet's lease, and completes the
 * decision's audit record. A command whose publish failed is drained by the deciding invocation itself; when
 * the bus may have taken it all the same, both paths run it, and its claim (`drain-claim.ts`) lets one act.
 */
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../domain/drain-command.ts';
import { isPartialPublish } from '../domain/errors.ts';
import type { DecisionEvent } from '../domain/ports.ts';
import type { Signal } from '../domain/signals.ts';
import { keyId } from '../state/bounded.ts';
import type { AppliedAction } from '../state/records.ts';
import type { HandedDrain } from './drains.ts';

/** A drain command as published, with what the audit record says of it. */
export interface DrainCommandOut {
  commandId: string;
  drain: HandedDrain;
  /**
   * What the drain function validates the command against: the fleet's state (a notice's drain: the instance
   * recorded as handled), or the decision's audit record (an operator's: the command listed there).
   */
  checkedBy: 'state' | 'audit';
  event: DecisionEvent;
}

/**
 * The command id of a drain: the deciding event's id and the instance (or an operator's node), so that a republish acts once;
 * bounded as ids in keys are (`keyId`: at most 200 bytes, well within an event id's 256 and the idempotency
 * key's bounds, events/fields.ts), distinct ids staying distinct.
 */
export function drainCommandId(eventId: string, target: string): string {
  return keyId(`${eventId}#drain#${target}`);
}

/**
 * One command per drain handed off. A notice's drain (an instance of a pool) names the notice its instance came
 * in (a batched notice's own event id, else the decision's): what the drain function re-validates it against,
 * with the fleet's state. An operator's drain names its node only: the drain function finds the command in the
 * decision's audit record (`checkedBy: 'audit'`), which is therefore written before the command is published.
 */
export function drainCommands(
  req: { fn: string; fleetId: string; eventId: string },
  at: string,
  handed: readonly HandedDrain[],
  signals: readonly Signal[],
): DrainCommandOut[] {
  const out: DrainCommandOut[] = [];
  for (const drain of handed) {
    const { action } = drain;
    const instanceId = action.instanceId;
    const poolId = action.poolId;
    const ofNotice = instanceId !== undefined && poolId !== undefined;
    const notice = ofNotice
      ? signals.find((s) => s.type === 'interruption' && s.instanceIds.includes(instanceId))
      : undefined;
    const commandId = drainCommandId(req.eventId, ofNotice ? instanceId : drain.node);
    const removal = ofNotice
      ? drain.removals.find((r) => r.instanceId === instanceId && r.poolId === poolId)
      : undefined;
    const detail = {
      commandId,
      fleetId: req.fleetId,
      decision: { eventId: req.eventId, at, fn: req.fn },
      ...(ofNotice ? { noticeEventId: notice?.eventId ?? req.eventId } : {}),
      cluster: drain.cluster,
      node: drain.node,
      ...(ofNotice ? { instanceId, poolId } : {}),
      deadline: action.deadline,
      ...(action.startBy ? { startBy: action.startBy } : {}),
      reason: action.reason,
      ...(removal ? { removeReason: removal.reason } : {}),
    };
    out.push({
      commandId,
      drain,
      checkedBy: ofNotice ? 'state' : 'audit',
      event: { source: DRAIN_SOURCE, detailType: DRAIN_DETAIL_TYPE, time: at, detail },
    });
  }
  return out;
}

/** What the decision's audit record says of each drain handed off (the drain function adds how it went). */
export function handedApplied(commands: readonly DrainCommandOut[]): AppliedAction[] {
  return commands.map((c) => ({
    ...(c.drain.action.poolId ? { poolId: c.drain.action.poolId } : {}),
    action: 'drain-handoff',
    detail: {
      command: c.commandId,
      cluster: c.drain.cluster,
      node: c.drain.node,
      ...(c.drain.action.startBy ? { startBy: c.drain.action.startBy } : {}),
      removal: c.drain.removals.length > 0,
    },
  }));
}

/**
 * The commands a failed publish may have left off the bus: `refused`, those the bus answered it refused
 * (`PartialPublishError` names them by position; the entries it does not name are on it, and the drain function
 * drains them), and `unknown`, those whose call failed without a clear answer (a timeout, a reset connection):
 * they may be on the bus, and the drain function may drain them too. Any other failure leaves every command's
 * fate unknown (nothing says which reached the bus). The deciding invocation drains both, each under the
 * command's claim (`drain-claim.ts`), which makes a command act once whichever path runs it.
 */
export function undeliveredCommands(
  commands: readonly DrainCommandOut[],
  error: unknown,
): { refused: DrainCommandOut[]; unknown: DrainCommandOut[] } {
  if (!isPartialPublish(error) || error.total !== commands.length) return { refused: [], unknown: [...commands] };
  const unknown = new Set(error.unknown);
  const at = (i: number) => (commands[i] ? [commands[i]] : []);
  return {
    refused: error.refused.filter((i) => !unknown.has(i)).flatMap(at),
    unknown: error.unknown.flatMap(at),
  };
}

/**
 * What the audit record says of each command the bus refused (or, `unknown`, may not have taken), beside its
 * `drain-handoff` entry (the record was written before the bus answered): its drain made by the deciding
 * invocation itself, under the command's claim (a `drain-not-claimed` entry says when another path had it).
 */
export function refusedApplied(
  refused: readonly DrainCommandOut[],
  why: string,
  fate: 'refused' | 'unknown' = 'refused',
): AppliedAction[] {
  return refused.map((c) => ({
    ...(c.drain.action.poolId ? { poolId: c.drain.action.poolId } : {}),
    action: fate === 'refused' ? 'drain-handoff-refused' : 'drain-handoff-unknown',
    detail: {
      command: c.commandId,
      cluster: c.drain.cluster,
      node: c.drain.node,
      drainedBy: 'decision',
      error: why,
    },
  }));
}
