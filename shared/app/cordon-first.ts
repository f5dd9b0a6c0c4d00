/**
 * Cordon first: the node of an instance a reclaim notice names is cordoned as soon as the notice arrives,
 * alongside the fleet's lease and before the observation, rather than after them. A cordon is idempotent,
 * reversible and takes no capacity away (the pods on the node keep serving; only new ones stop landing on
 * it), so it needs less proof than a drain or a termination, which still wait for the decision and the
 * cloud's own word (`notices.ts`). What it does need:
 *
 * - a notice that takes the capacity back (a spot warning, a preemption, a reservation's interruption: the
 *   engine drains every such node it accepts; not a rebalance recommendation or maintenance, where it may
 *   keep the node);
 * - a plausible notice (`implausibleNotice`: not dated 1970 or 9999, a deadline within the kind's window);
 * - an instance that is a GPU node of one of the fleets' clusters, found by its provider id or name (a forged
 *   or mistyped id, `__proto__`, names none, and nothing is cordoned);
 * - no paused fleet on the node's cluster: a pause holds back every cloud change, a cordon included. The fleets'
 *   pauses are read alongside the nodes' listing: from the state each fleet's notice enlistment returns (the
 *   spot trigger's batch, `FleetReads`: no request of its own), else one read of each fleet's state; a cluster a
 *   paused fleet uses, or whose fleets' state was not read, is left to the decisions (which hold it back when
 *   paused, and cordon it otherwise).
 *
 * A node already unschedulable is left as it is and not counted as cordoned here (someone else cordoned it:
 * it is not ours to uncordon). When the decision's check against the cloud refutes the notice, it uncordons
 * exactly the nodes cordoned here (`uncordonRefuted`) and its audit record says so. Never throws: what could
 * not be done is returned with its error, and the decision cordons the node again in its plan.
 */
import { fleetClusters, isNodeOf } from '../domain/clusters.ts';
import type { InterruptionKind, InterruptionSignal, Signal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import { implausibleNotice } from '../engine/plausibility.ts';
import { inForce } from '../engine/time.ts';
import type { AppliedAction, FailedAction } from '../state/records.ts';
import type { FleetReads } from './fleet-reads.ts';
import type { AppDeps } from './deps.ts';
import { failureOf } from './observe.ts';
import { messageOf } from '../domain/errors.ts';

/** Notices whose node the engine always cordons and drains when it accepts them. */
export const CORDON_FIRST_KINDS: ReadonlySet<InterruptionKind> = new Set([
  'warning',
  'preempt',
  'reservation-interruption',
]);

/** At most this many instances of one notice are cordoned ahead of the decision (an Azure document names up to a few dozen). */
export const CORDON_FIRST_MAX = 100;

export interface EarlyCordon {
  instanceId: string;
  cluster: string;
  node: string;
  /** True when this cordoned it (false: it was already unschedulable, or the cordon failed). */
  cordoned: boolean;
  /** ISO time of the cordon, on the application's clock. */
  at?: string;
  error?: string;
  /**
   * Settles once the cordon's Kubernetes Event is recorded too: the cordon resolves as soon as the node is
   * unschedulable (what the decision waits for), and the invocation waits for this before it ends.
   */
  recorded?: Promise<void>;
}

/** Whether a signal's nodes are cordoned ahead of its decision. */
export function cordonsFirst(s: Signal, now: number): s is InterruptionSignal {
  return (
    s.type === 'interruption' &&
    CORDON_FIRST_KINDS.has(s.kind) &&
    s.instanceIds.length > 0 &&
    implausibleNotice(s, now) === undefined
  );
}

/**
 * Finds the nodes of the notice's instances in the fleets' clusters (one listing per cluster, at once) and
 * cordons each (at once). Resolves to what was found and done; never rejects.
 */
export async function cordonEarly(
  signal: Signal,
  fleets: readonly Fleet[],
  deps: AppDeps,
  /** The fleets' states as their notices' enlistments read them; without it, each fleet's state is read here. */
  reads?: FleetReads,
): Promise<EarlyCordon[]> {
  if (!cordonsFirst(signal, deps.clock().getTime())) return [];
  const ids = [...new Set(signal.instanceIds)].slice(0, CORDON_FIRST_MAX);
  const now = deps.clock().getTime();
  const held = Promise.all(
    fleets.map(async (f) => {
      try {
        const state = reads ? await reads.stateOf(f.id) : await deps.store.getState(f.id);
        if (!state) throw new Error('its notice enlistment read nothing');
        return state.paused !== undefined && inForce(state.paused.until, now) ? fleetClusters(f) : [];
      } catch (e) {
        deps.logger.warn('cordon first: fleet state not read', { fleetId: f.id, error: messageOf(e) });
        return fleetClusters(f);
      }
    }),
  ).then((c) => new Set(c.flat()));
  const clusters = [...new Set(fleets.flatMap(fleetClusters))];
  const why = `${signal.cloud} ${signal.kind} notice ${signal.eventId}${signal.deadline ? ` (capacity taken back by ${signal.deadline})` : ''}: cordoned before the decision`;
  const found = await Promise.all(
    clusters.map(async (name) => {
      const port = deps.clouds.cluster(name);
      if (!port) return [];
      try {
        const nodes = await port.listGpuNodes();
        return ids.flatMap((id) => {
          const node = nodes.find((n) => isNodeOf(n, id));
          return node ? [{ id, cluster: name, node }] : [];
        });
      } catch (e) {
        deps.logger.warn('cordon first: nodes not listed', { cluster: name, error: String(e) });
        return [];
      }
    }),
  );
  // One node per instance: the first cluster that has it; none on a cluster a paused fleet uses.
  const paused = await held;
  const byInstance = new Map<string, (typeof found)[number][number]>();
  for (const f of found.flat()) if (!byInstance.has(f.id)) byInstance.set(f.id, f);
  for (const [id, f] of byInstance) if (paused.has(f.cluster)) byInstance.delete(id);
  return Promise.all(
    [...byInstance.values()].map(async ({ id, cluster, node }): Promise<EarlyCordon> => {
      const base = { instanceId: id, cluster, node: node.name };
      if (node.unschedulable) return { ...base, cordoned: false };
      // Resolved once the node is unschedulable; the Event the adapter records after it is waited for apart.
      let cordoned: () => void = () => {};
      const unschedulable = new Promise<'cordoned'>((resolve) => {
        cordoned = () => resolve('cordoned');
      });
      const whole = deps.clouds.cluster(cluster)!.cordon(node.name, why, { onCordoned: cordoned });
      try {
        await Promise.race([unschedulable, whole]);
        return {
          ...base,
          cordoned: true,
          at: deps.clock().toISOString(),
          recorded: whole.then(
            () => undefined,
            () => undefined,
          ),
        };
      } catch (e) {
        return { ...base, cordoned: false, error: messageOf(e) };
      }
    }),
  );
}

/** Every early cordon's Event recorded (or failed to be): what an invocation waits for before it ends. */
export async function earlyRecorded(early: Promise<readonly EarlyCordon[]> | undefined): Promise<void> {
  if (!early) return;
  const cordons = await early.catch(() => []);
  await Promise.all(cordons.map((c) => c.recorded));
}

/**
 * What the audit record says of the cordons made ahead of the decision: each made, as applied; each that
 * failed, as a note (the plan's own cordon of that node is what counts).
 */
export function earlyApplied(early: readonly EarlyCordon[], poolOf: (id: string) => string | undefined) {
  const applied: AppliedAction[] = [];
  const notes: string[] = [];
  for (const e of early) {
    const poolId = poolOf(e.instanceId);
    if (e.cordoned)
      applied.push({
        ...(poolId ? { poolId } : {}),
        action: 'cordon',
        detail: { cluster: e.cluster, node: e.node, instanceId: e.instanceId, before: 'the lease', at: e.at },
      });
    else if (e.error) notes.push(`cordon of ${e.node} before the decision failed (${e.error}); the plan cordons it`);
  }
  return { applied, notes };
}

/**
 * Uncordons the nodes cordoned ahead of the decision whose notice the cloud refuted (the instance healthy, not
 * marked for interruption, not spot, unknown): each recorded as applied, with why, or as failed.
 */
export async function uncordonRefuted(
  early: readonly EarlyCordon[],
  refuted: ReadonlyMap<string, { poolId?: string; reason: string }>,
  deps: AppDeps,
): Promise<{ applied: AppliedAction[]; failed: FailedAction[] }> {
  const applied: AppliedAction[] = [];
  const failed: FailedAction[] = [];
  await Promise.all(
    early
      .filter((e) => e.cordoned && refuted.has(e.instanceId))
      .map(async (e) => {
        const { poolId, reason } = refuted.get(e.instanceId)!;
        const why = `the notice for ${e.instanceId} was refuted: ${reason}`;
        try {
          await deps.clouds.cluster(e.cluster)!.uncordon(e.node, why);
          applied.push({
            ...(poolId ? { poolId } : {}),
            action: 'uncordon',
            detail: { cluster: e.cluster, node: e.node, instanceId: e.instanceId, why },
          });
        } catch (error) {
          failed.push(failureOf(poolId, `uncordon ${e.node}`, error));
        }
      }),
  );
  return { applied, failed };
}
