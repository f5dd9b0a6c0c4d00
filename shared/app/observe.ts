/**
 * Observing a fleet: every pool described through its adapter, in parallel. A pool whose cloud fails is
 * left out of this decision (and reported); the others go on. The observations are kept: the executor
 * writes from them.
 */
import { isCloudError, messageOf } from '../domain/errors.ts';
import { type ObservedInstance, type PoolObservation, refOf } from '../domain/ports.ts';
import type { CapacityNoticeSignal } from '../domain/signals.ts';
import type { Fleet, Pool } from '../domain/types.ts';
import { launchFailureSignal, OBSERVED_FAILURE_SOURCE } from '../engine/signals.ts';
import type { FailedAction } from '../state/records.ts';
import type { AppDeps } from './deps.ts';

export type PoolFailure = FailedAction;

export interface FleetObservation {
  /** The fleet with observed `desired` and `ready` (pools that could not be observed are left out). */
  fleet: Fleet;
  instances: Map<string, ObservedInstance[]>;
  /** Each pool as its adapter described it (under the fleet's lease). */
  observations: Map<string, PoolObservation>;
  failures: PoolFailure[];
}

export function failureOf(poolId: string | undefined, action: string, e: unknown): PoolFailure {
  return {
    ...(poolId !== undefined ? { poolId } : {}),
    action,
    error: messageOf(e),
    ...(isCloudError(e) ? { kind: e.kind, ...(e.code ? { code: e.code } : {}) } : {}),
  };
}

export async function observeFleet(fleet: Fleet, deps: AppDeps): Promise<FleetObservation> {
  const instances = new Map<string, ObservedInstance[]>();
  const observations = new Map<string, PoolObservation>();
  const failures: PoolFailure[] = [];
  const results = await Promise.all(
    fleet.pools.map(async (pool): Promise<Pool | undefined> => {
      const port = deps.clouds.capacityFor(pool);
      if (!port) {
        failures.push({
          poolId: pool.id,
          action: 'describe',
          error: `no ${pool.cloud} adapter configured for ${pool.kind}`,
        });
        return undefined;
      }
      try {
        const obs = await port.describePool(refOf(pool));
        instances.set(pool.id, obs.instances);
        observations.set(pool.id, obs);
        // Instances that exist, those under an interruption notice included (the interruption is handled as
        // such): a pool that keeps fewer than its desired count is short of capacity, and the engine places
        // the rest elsewhere.
        const launched = obs.instances.filter((i) => i.lifecycle !== 'terminated').length;
        // Whether the adapter ends a chosen instance: the engine plans removals or lowers the count.
        return {
          ...pool,
          desired: obs.desired,
          ready: obs.ready,
          launched,
          removable: Boolean(port.removeInstance),
          ...(obs.warm
            ? { warmObserved: { ready: obs.warm.ready, warming: obs.warm.warming, target: obs.warm.target } }
            : {}),
        };
      } catch (e) {
        failures.push(failureOf(pool.id, 'describe', e));
        return undefined;
      }
    }),
  );
  return {
    fleet: { ...fleet, pools: results.filter((p): p is Pool => p !== undefined) },
    instances,
    observations,
    failures,
  };
}

/** The pool an instance belongs to, from an observation. */
export function poolOfInstance(obs: FleetObservation, instanceId: string): string | undefined {
  return observedInstance(obs, instanceId)?.poolId;
}

/** An instance as observed (by instance id or node name), with its pool. */
export function observedInstance(
  obs: FleetObservation,
  instanceId: string,
): { poolId: string; instance: ObservedInstance } | undefined {
  for (const [poolId, list] of obs.instances) {
    const instance = list.find((i) => i.id === instanceId || i.nodeName === instanceId);
    if (instance) return { poolId, instance };
  }
  return undefined;
}

/**
 * The launch failures a fleet's observation shows (`PoolObservation.launchFailures`: creations the cloud keeps
 * failing for capacity), as the engine reads the clouds' own notices: one `capacity-notice`
 * `launch-unsuccessful` per pool and zone, from `OBSERVED_FAILURE_SOURCE`. The decision backs that offering
 * off and places the nodes elsewhere at once, where it would otherwise wait out their launch grace. Clouds
 * that send an event for it (Auto Scaling, EC2 Fleet) report none here.
 */
export function observedFailureSignals(obs: FleetObservation, eventId: string, at: Date): CapacityNoticeSignal[] {
  const out: CapacityNoticeSignal[] = [];
  for (const pool of obs.fleet.pools) {
    for (const f of obs.observations.get(pool.id)?.launchFailures ?? []) {
      out.push(
        launchFailureSignal({
          source: OBSERVED_FAILURE_SOURCE,
          cloud: pool.cloud,
          eventId: `${eventId}#observed:${pool.id}${f.zone ? `:${f.zone}` : ''}`,
          time: at.toISOString(),
          fleetId: obs.fleet.id,
          poolId: pool.id,
          ...(f.zone ? { zone: f.zone } : {}),
          detail: `${pool.id}: the cloud keeps failing to create instances${f.zone ? ` in ${f.zone}` : ''} (${f.code})`,
        }),
      );
    }
  }
  return out;
}
