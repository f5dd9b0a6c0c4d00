/**
 * Interruption notices checked against the cloud before they act: for each pool a notice was resolved to,
 * one read of what its cloud says now of the instances named (`CapacityPort.instanceStatus`: EC2 instance
 * state and spot request status, the VMSS VM instance view, the GCP instance), judged by `contradiction`
 * (`shared/domain/notices.ts`). An instance the cloud contradicts (unknown, already ended otherwise, not
 * spot, not marked for interruption) is taken out of its notice, which then drains, removes and backs off
 * nothing for it; the decision's audit record says which and why. What cannot be checked (the adapter has
 * no such read, or the read failed: an outage must not swallow a real reclaim) acts as it came, and the
 * audit record says it was not checked. The reads start alongside the observation where the pool a notice is
 * for can be told before it (`prefetchStatuses`), so the check adds no round trip before the cordon's drain.
 */
import type { InstanceStatus } from '../domain/ports.ts';
import { contradiction } from '../domain/notices.ts';
import type { InterruptionSignal, Signal } from '../domain/signals.ts';
import type { Fleet, Pool } from '../domain/types.ts';
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

/** A pool's statuses by instance id, or why they could not be read. */
type PoolStatuses = Map<string, InstanceStatus> | string;

/** One read of a pool's instances: what it asked (each id with the zone it named) and what came back. */
export interface StatusRead {
  asked: Map<string, string | undefined>;
  read: PoolStatuses;
}

/** Reads the statuses of these instances of one pool (each with its zone); never rejects. */
async function readStatuses(
  pool: Pool | undefined,
  poolId: string,
  instances: Map<string, string | undefined>,
  deps: AppDeps,
): Promise<PoolStatuses> {
  const port = pool ? deps.clouds.capacityFor(pool) : undefined;
  if (!pool || !port?.instanceStatus)
    return pool ? `the ${pool.cloud} adapter of ${poolId} reads no instance status` : `${poolId} not observed`;
  try {
    const list = await port.instanceStatus(
      refOf(pool),
      [...instances].map(([id, zone]) => ({ id, ...(zone ? { zone } : {}) })),
    );
    if (!list.length) return `the ${pool.cloud} adapter of ${poolId} reads no instance status`;
    return new Map(list.map((s) => [s.id, s]));
  } catch (e) {
    return `the status of ${[...instances.keys()].join(', ')} could not be read (${(e as Error).message})`;
  }
}

/** Pools a notice may be for before the observation says (at most this many are read ahead). */
const PREFETCH_POOLS = 2;
/** A notice naming more instances than this is checked after the observation only (for the instances observed). */
const PREFETCH_INSTANCES = 100;

/**
 * The checks started before the observation, alongside it: for each notice, the pool it names, else the
 * fleet's pools of its cloud and region that run the capacity it takes back (spot for a spot warning or a
 * preemption, reserved for a reservation's interruption), when there are at most two. The check then uses a
 * read made ahead for the pool the observation resolves each instance to, when it asked for that instance
 * in the zone observed (or found it); else it reads again after the observation, as before.
 */
export function prefetchStatuses(
  signals: readonly Signal[],
  fleet: Fleet,
  deps: AppDeps,
): Map<string, Promise<StatusRead>> {
  const wanted = new Map<string, Map<string, string | undefined>>();
  for (const s of signals) {
    if (s.type !== 'interruption' || !s.instanceIds.length) continue;
    const type = s.kind === 'reservation-interruption' ? 'reserved' : s.kind === 'maintenance' ? undefined : 'spot';
    const candidates = s.poolId
      ? fleet.pools.filter((p) => p.id === s.poolId)
      : fleet.pools.filter(
          (p) =>
            p.cloud === s.cloud &&
            (!s.region || p.location.region === s.region) &&
            (type === undefined || p.capacityType === type) &&
            deps.clouds.capacityFor(p)?.instanceStatus !== undefined,
        );
    if (!candidates.length || candidates.length > PREFETCH_POOLS || s.instanceIds.length > PREFETCH_INSTANCES) continue;
    for (const p of candidates) {
      const ids = wanted.get(p.id) ?? new Map<string, string | undefined>();
      for (const id of s.instanceIds) ids.set(id, s.zone);
      wanted.set(p.id, ids);
    }
  }
  const out = new Map<string, Promise<StatusRead>>();
  for (const [poolId, asked] of wanted) {
    const pool = fleet.pools.find((p) => p.id === poolId);
    out.set(
      poolId,
      readStatuses(pool, poolId, asked, deps).then((read) => ({ asked, read })),
    );
  }
  return out;
}

/** Whether a read made ahead answers for these instances (each in the zone now known for it). */
function answers(ahead: StatusRead, instances: Map<string, string | undefined>): boolean {
  if (typeof ahead.read === 'string') return true;
  const read = ahead.read;
  return [...instances].every(
    ([id, zone]) => ahead.asked.has(id) && (read.get(id)?.found === true || ahead.asked.get(id) === zone),
  );
}

/** Reads each pool's instances once (or takes the read made ahead): the statuses by instance id, or why they could not be read. */
async function statusesByPool(
  wanted: Map<string, Map<string, string | undefined>>,
  obs: FleetObservation,
  deps: AppDeps,
  ahead?: ReadonlyMap<string, Promise<StatusRead>>,
): Promise<Map<string, PoolStatuses>> {
  const out = new Map<string, PoolStatuses>();
  await Promise.all(
    [...wanted].map(async ([poolId, instances]) => {
      const early = ahead?.get(poolId);
      const done = early ? await early : undefined;
      if (done && answers(done, instances)) {
        out.set(poolId, done.read);
        return;
      }
      const pool = obs.fleet.pools.find((p) => p.id === poolId);
      out.set(poolId, await readStatuses(pool, poolId, instances, deps));
    }),
  );
  return out;
}

export async function checkNotices(
  signals: Signal[],
  obs: FleetObservation,
  deps: AppDeps,
  ahead?: ReadonlyMap<string, Promise<StatusRead>>,
): Promise<CheckedNotices> {
  const notices = signals.filter((s): s is InterruptionSignal => s.type === 'interruption' && s.poolId !== undefined);
  if (!notices.length) return { signals, refused: [], notes: [] };
  const wanted = new Map<string, Map<string, string | undefined>>();
  for (const s of notices) {
    const ids = wanted.get(s.poolId!) ?? new Map<string, string | undefined>();
    for (const id of s.instanceIds) ids.set(id, observedInstance(obs, id)?.instance.zone ?? s.zone);
    wanted.set(s.poolId!, ids);
  }
  const statuses = await statusesByPool(wanted, obs, deps, ahead);
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
      const reason = status ? contradiction(s.kind, status, s.gone === true) : undefined;
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
