/**
 * Who drained each node a decision handed off, read from the decision's audit record (`handoff.ts`): the
 * command's handoff (`drain-handoff`), what the deciding invocation added when its publish failed (its own
 * drain: `drain-handoff-refused` / `drain-handoff-unknown`; the command's claim found taken:
 * `drain-not-claimed`; the claim not taken: a `drain-claim <node>` failure), and the drain itself (`drain`, or
 * a `cordon-drain <node>` failure), whoever made it. The ops function's answer and the CLI's say it from here,
 * so that neither says "handed to the drain function" of a drain the deciding invocation made, or of one
 * nobody has made yet.
 */
import type { AuditRecord } from '../state/records.ts';

/** The drain function's name in `by` (the deciding functions go by their own: `ops`, `spot-interruption`...). */
export const DRAIN_FUNCTION = 'drain';

export interface DrainFate {
  command: string;
  cluster: string;
  node: string;
  /** What became of its publish: taken by the bus, refused by it, or failed without an answer (it may be on it). */
  publish: 'taken' | 'refused' | 'unknown';
  /** The publish's error, when the record says it. */
  publishError?: string;
  /**
   * Who drains it: the drain function (`drain`, on the bus's delivery), or the function that holds or held its
   * claim (the deciding function itself, after its publish failed).
   */
  by: string;
  /**
   * How far it is: drained, skipped (`why`: its re-validation), failed (`why`: the error), or pending (nobody
   * has drained it yet: on the bus, or its claim's holder still acting; `why` when the record says why).
   */
  state: 'drained' | 'skipped' | 'failed' | 'pending';
  why?: string;
}

type Detail = Record<string, unknown>;
const detailOf = (a: { detail?: unknown }): Detail =>
  a.detail && typeof a.detail === 'object' ? (a.detail as Detail) : {};
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Each command the record hands off, in its order, with who drains it and how far it is. */
export function drainFates(record: Pick<AuditRecord, 'outcome' | 'trigger'>): DrainFate[] {
  const { applied, failed } = record.outcome;
  const entry = (action: string, command: string) =>
    applied.find((a) => a.action === action && detailOf(a).command === command);
  return applied
    .filter((a) => a.action === 'drain-handoff')
    .map((handoff) => {
      const d = detailOf(handoff);
      const command = String(d.command);
      const node = String(d.node);
      const cluster = String(d.cluster);
      // The node's drain, whoever made it (one path acts on a command: its claim), and its failure.
      const drain = applied.find(
        (a) => a.action === 'drain' && detailOf(a).node === node && detailOf(a).cluster === cluster,
      );
      // A failure names the node and its pool: two nodes of one name in two clusters are told apart by the pool.
      const ofThis = (f: { poolId?: string }) =>
        f.poolId === undefined || handoff.poolId === undefined || f.poolId === handoff.poolId;
      const drainFailed = failed.find((f) => f.action === `cordon-drain ${node}` && ofThis(f));
      const made = (): Pick<DrainFate, 'state' | 'why'> => {
        if (drain) {
          const skipped = text(detailOf(drain).skipped);
          return skipped !== undefined ? { state: 'skipped', why: skipped } : { state: 'drained' };
        }
        if (drainFailed) return { state: 'failed', why: drainFailed.error };
        return { state: 'pending' };
      };
      const base = { command, cluster, node };
      // Drained by the deciding invocation itself: the bus refused it, or did not answer.
      const here = entry('drain-handoff-refused', command) ?? entry('drain-handoff-unknown', command);
      if (here) {
        const error = text(detailOf(here).error);
        return {
          ...base,
          publish: here.action === 'drain-handoff-refused' ? 'refused' : 'unknown',
          ...(error !== undefined ? { publishError: error } : {}),
          // `drainedBy: 'decision'`: the function that made the decision.
          by: record.trigger.fn,
          ...made(),
        };
      }
      // The deciding invocation found its claim taken: its holder drains it.
      const lost = applied.find(
        (a) => a.action === 'drain-not-claimed' && detailOf(a).command === command && detailOf(a).by !== DRAIN_FUNCTION,
      );
      if (lost) {
        const l = detailOf(lost);
        const error = text(l.error);
        const state = made();
        return {
          ...base,
          publish: l.publish === 'refused' ? 'refused' : 'unknown',
          ...(error !== undefined ? { publishError: error } : {}),
          by: String(l.heldBy),
          ...(state.state === 'pending' && l.done !== true
            ? { state: 'pending', why: `its claim is held by the ${String(l.heldBy)} function, still acting` }
            : state),
        };
      }
      // The deciding invocation could not take its claim (its publish unanswered): left to the bus's delivery.
      const unclaimed = failed.find((f) => f.action === `drain-claim ${node}` && ofThis(f));
      const state = made();
      if (unclaimed)
        return {
          ...base,
          publish: 'unknown',
          by: DRAIN_FUNCTION,
          ...(state.state === 'pending'
            ? { state: 'pending', why: `its claim could not be taken: ${unclaimed.error}` }
            : state),
        };
      return { ...base, publish: 'taken', by: DRAIN_FUNCTION, ...state };
    });
}

/** One command's fate in words: who drained it (or that it is pending on the bus) and why. */
export function describeDrainFate(f: DrainFate): string {
  const who = f.by === DRAIN_FUNCTION ? 'the drain function' : `the ${f.by} function itself`;
  const err = f.publishError ? `: ${f.publishError}` : '';
  const publish =
    f.publish === 'taken'
      ? `handed to the drain function (command ${f.command})`
      : f.publish === 'refused'
        ? `the bus refused its handoff${err}`
        : `its handoff's publish got no answer${err}`;
  switch (f.state) {
    case 'drained':
      return f.publish === 'taken' ? `${publish}; drained by ${who}` : `drained by ${who}: ${publish}`;
    case 'skipped':
      return `${publish}; ${who} skipped it: ${f.why}`;
    case 'failed':
      return `${publish}; the drain by ${who} failed: ${f.why}`;
    case 'pending':
      if (f.publish === 'taken') return `${publish}; its drain is pending on the bus`;
      if (f.by === DRAIN_FUNCTION)
        return `${publish}; its drain is left to the bus's delivery${f.why ? ` (${f.why})` : ''}`;
      return `${publish}; its drain is pending with ${who}${f.why ? ` (${f.why})` : ''}`;
  }
}

/**
 * The answer to an operator's drain from its decision's record: per node handed off, that it was cordoned and
 * what became of its drain; undefined when the record hands nothing off (drained in the decision itself).
 */
export function drainAnswer(
  record: Pick<AuditRecord, 'outcome' | 'trigger' | 'eventId'>,
  fates: readonly DrainFate[] = drainFates(record),
): string | undefined {
  if (!fates.length) return undefined;
  return fates
    .map(
      (f) =>
        `cordoned ${f.node} in ${f.cluster}; ${describeDrainFate(f)}${f.state === 'pending' ? `; the audit record of ${record.eventId} says when it is done` : ''}`,
    )
    .join('; ');
}
