/**
 * Which fleets a signal concerns, by signal type (several triggers accept the same type: a Capacity Block's
 * interruption reaches both the spot and the reservation functions).
 */
import type {
  CapacityNoticeSignal,
  InterruptionSignal,
  ReservationChangeSignal,
  TickSignal,
} from '../../domain/signals.ts';
import type { AppDeps } from '../deps.ts';
import type { FleetRoute } from '../fleets.ts';
import { REACTIVE } from './trigger.ts';

export function fleetsInterrupted(signal: InterruptionSignal, deps: AppDeps): FleetRoute {
  const fleets = deps.resolved.fleets.filter((f) =>
    f.pools.some((p) =>
      signal.poolId
        ? p.id === signal.poolId
        : p.cloud === signal.cloud && (!signal.region || p.location.region === signal.region),
    ),
  );
  if (!fleets.length) return { noOp: `no fleet has ${signal.cloud} pools for the interrupted instances` };
  return { fleets, gather: REACTIVE };
}

/**
 * A launch the cloud could not make (`launch-unsuccessful` mapped to a pool) goes to the pool's fleet: the
 * engine backs the offering off and places the nodes again. Other capacity notices are observed only.
 */
export function fleetsShortOfCapacity(signal: CapacityNoticeSignal, deps: AppDeps): FleetRoute {
  const fleets =
    signal.kind === 'launch-unsuccessful' && signal.poolId
      ? deps.resolved.fleets.filter((f) => f.pools.some((p) => p.id === signal.poolId))
      : [];
  if (!fleets.length)
    return {
      noOp: `${signal.kind} of ${signal.instanceIds.join(', ') || 'an instance'} observed; the groups reconcile it`,
    };
  return { fleets, gather: REACTIVE };
}

export function fleetsReserved(signal: ReservationChangeSignal, deps: AppDeps): FleetRoute {
  const fleets = deps.resolved.fleets;
  const byId = fleets.filter((f) =>
    f.pools.some((p) => p.reservationId && signal.reservationIds.includes(p.reservationId)),
  );
  // Else (an underutilization notice of reservations the pools do not name) the fleets with reserved pools
  // of that instance type in that region; an event naming neither id nor type of ours is not for us.
  const byType = byId.length
    ? byId
    : fleets.filter((f) =>
        f.pools.some(
          (p) =>
            p.capacityType === 'reserved' &&
            p.cloud === signal.cloud &&
            signal.instanceType !== undefined &&
            p.instanceType === signal.instanceType &&
            (!signal.region || p.location.region === signal.region),
        ),
      );
  if (!byType.length) return { noOp: `reservation ${signal.reservationIds.join(', ')} backs no configured pool` };
  return { fleets: byType, gather: REACTIVE };
}

/**
 * A tick: a forecast tick decides for its fleet (or every fleet) with the demand forecast; a schedule tick
 * for the fleets its window applies to (or every window's), so the window's floor, ceiling or freeze takes
 * effect on time.
 */
export function fleetsTicked(signal: TickSignal, deps: AppDeps): FleetRoute {
  const scoped = signal.fleetId ? deps.resolved.fleets.filter((f) => f.id === signal.fleetId) : deps.resolved.fleets;
  if (!scoped.length) return { noOp: `${signal.purpose} tick for fleet ${signal.fleetId}: no such fleet` };
  if (signal.purpose === 'forecast') return { fleets: scoped, gather: { ...REACTIVE, forecast: true } };
  const windows = deps.resolved.config.schedules.filter((w) => !signal.window || w.name === signal.window);
  const ids = new Set(windows.flatMap((w) => w.fleets));
  const scheduled = scoped.filter((f) => ids.has(f.id));
  if (!scheduled.length) return { noOp: `schedule ${signal.window ?? '(any)'} applies to no fleet` };
  return { fleets: scheduled, gather: REACTIVE };
}
