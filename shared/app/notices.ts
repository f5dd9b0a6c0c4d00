/**
 * Interruption notices checked against the cloud before they act: for each pool a notice was resolved to,
 * one read of what its cloud says now of the instances named (`CapacityPort.instanceStatus`: EC2 instance
 * state and spot request status, the VMSS VM instance view, the GCP instance), judged by `contradiction`
 * (`shared/domain/notices.ts`). An instance the cloud contradicts (unknown, already ended otherwise, not
 * spot, not marked for interruption) is taken out of its notice, which then drains, removes and backs off
 * nothing for it; the decision's audit record says which and why. What cannot be checked (the adapter has
 * no such read, or the read failed: an outage must not swallow a real reclaim) acts as it came, and the
 * audit record says it was not checked.
 */
import type { InstanceStatus } from '../domain/ports.ts';
import { contradiction } from '../domain/notices.ts';
import type { InterruptionSignal, Signal } from '../domain/signals.ts';
import { refOf } from '../domain/ports.ts';
import type { AppDeps } from './deps.ts';
import { type FleetObservation, observedInstance } from './observe.ts';

export interface RefusedNotice {
  eventId: string;
  instanceId: string;
  poolId: string;
  reason: string;
}

export interface CheckedNotices {
  signals: Signal[];
  refused: RefusedNotice[];
  /** What the audit record says of the checks: each refusal with its reason, and each check not made. */
  notes: string[];
}

/** Reads each pool's instances once: the statuses by instance id, or why they could not be read. */
async function statusesByPool(
  wanted: Map<string, Map<string, string | undefined>>,
  obs: FleetObservation,
  deps: AppDeps,
): Promise<Map<string, Map<string, InstanceStatus> | string>> {
  const out = new Map<string, Map<string, InstanceStatus> | string>();
  await Promise.all(
    [...wanted].map(async ([poolId, instances]) => {
      const pool = obs.fleet.pools.find((p) => p.id === poolId);
      const port = pool ? deps.clouds.capacityFor(pool) : undefined;
      if (!pool || !port?.instanceStatus) {
        out.set(
          poolId,
          pool ? `the ${pool.cloud} adapter of ${poolId} reads no instance status` : `${poolId} not observed`,
        );
        return;
      }
      try {
        const list = await port.instanceStatus(
          refOf(pool),
          [...instances].map(([id, zone]) => ({ id, ...(zone ? { zone } : {}) })),
        );
        if (!list.length) out.set(poolId, `the ${pool.cloud} adapter of ${poolId} reads no instance status`);
        else out.set(poolId, new Map(list.map((s) => [s.id, s])));
      } catch (e) {
        out.set(
          poolId,
          `the status of ${[...instances.keys()].join(', ')} could not be read (${(e as Error).message})`,
        );
      }
    }),
  );
  return out;
}

export async function checkNotices(signals: Signal[], obs: FleetObservation, deps: AppDeps): Promise<CheckedNotices> {
  const notices = signals.filter((s): s is InterruptionSignal => s.type === 'interruption' && s.poolId !== undefined);
  if (!notices.length) return { signals, refused: [], notes: [] };
  const wanted = new Map<string, Map<string, string | undefined>>();
  for (const s of notices) {
    const ids = wanted.get(s.poolId!) ?? new Map<string, string | undefined>();
    for (const id of s.instanceIds) ids.set(id, observedInstance(obs, id)?.instance.zone ?? s.zone);
    wanted.set(s.poolId!, ids);
  }
  const statuses = await statusesByPool(wanted, obs, deps);
  const refused: RefusedNotice[] = [];
  const notes: string[] = [];
  const unread = new Set<string>();
  const out: Signal[] = [];
  for (const s of signals) {
    if (s.type !== 'interruption' || s.poolId === undefined) {
      out.push(s);
      continue;
    }
    const read = statuses.get(s.poolId);
    if (typeof read === 'string' || read === undefined) {
      if (read && !unread.has(s.poolId)) notes.push(`interruption notices for ${s.poolId} not checked: ${read}`);
      unread.add(s.poolId);
      out.push(s);
      continue;
    }
    const kept: string[] = [];
    for (const id of s.instanceIds) {
      const status = read.get(id);
      const reason = status ? contradiction(s.kind, status) : undefined;
      if (reason === undefined) {
        kept.push(id);
        continue;
      }
      refused.push({ eventId: s.eventId, instanceId: id, poolId: s.poolId, reason });
      notes.push(`${s.cloud} ${s.kind} notice ${s.eventId} for ${id} refused: the cloud says ${reason}`);
    }
    if (kept.length) out.push(kept.length === s.instanceIds.length ? s : { ...s, instanceIds: kept });
  }
  if (refused.length)
    deps.logger.warn('interruption notices refused', { refused: refused.map((r) => `${r.instanceId}: ${r.reason}`) });
  return { signals: out, refused, notes };
}
