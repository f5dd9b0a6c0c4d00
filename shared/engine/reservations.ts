/**
 * Whether a reserved pool's reservation can take nodes now.
 *
 * Reserved capacity (EC2 On-Demand Capacity Reservations and Capacity Blocks, Azure capacity reservation
 * groups, GCP reservations) is paid whether used or not, so the placement fills it first — but only while
 * the reservation is active and not about to expire: a capacity block's instances are terminated at its
 * end (EC2 sends the expiration warning 40 minutes before), so capacity moves off a reservation whose end
 * falls within the fleet's longest time to ready plus a margin, early enough for replacements to serve.
 *
 * The latest reservation signal wins over the listed state: `delivered`/`active` (and `underutilized`) make
 * a reservation usable, `expiring`/`expired`/`interrupted` end it. Without a reservation list, a reserved
 * pool is trusted as configured.
 */
import type { CapacityReservation } from '../domain/ports.ts';
import type { Pool } from '../domain/types.ts';
import type { ReservationNotice } from './signals.ts';
import { ms } from './time.ts';

export interface ReservationView {
  usable: boolean;
  /** A signal of this decision made it usable (moves capacity onto it). */
  activated: boolean;
  /** Nodes it can still take beyond the pool's current count (undefined: as many as the pool's max). */
  room?: number;
  /** Why it is not usable. */
  why?: string;
  /** Not usable because it ends (signal, or its end within the horizon), rather than not active or unknown. */
  ending?: boolean;
}

const ENDING = new Set(['expiring', 'expired', 'interrupted']);
const STARTING = new Set(['delivered', 'active', 'underutilized']);

export function reservationView(
  pool: Pool,
  reservations: readonly CapacityReservation[] | undefined,
  notices: readonly ReservationNotice[],
  now: number,
  horizonSeconds: number,
): ReservationView {
  const id = pool.reservationId;
  if (id === undefined) return { usable: true, activated: false };
  let latest: ReservationNotice | undefined;
  for (const n of notices) if (n.reservationIds.includes(id)) latest = n;
  const listed = reservations?.find((r) => r.id === id);
  const endTime = ms(latest?.endTime ?? listed?.endTime);
  const room = listed ? Math.max(0, listed.available) : undefined;

  if (latest && ENDING.has(latest.kind))
    return { usable: false, activated: false, why: `reservation ${id} ${latest.kind}` };
  if (!Number.isNaN(endTime) && endTime <= now + horizonSeconds * 1000) {
    return {
      usable: false,
      activated: false,
      ending: true,
      why: `reservation ${id} ends ${new Date(endTime).toISOString()}`,
    };
  }
  if (latest && STARTING.has(latest.kind)) return { usable: true, activated: true, room };
  if (reservations === undefined) return { usable: true, activated: false };
  if (!listed) return { usable: false, activated: false, why: `reservation ${id} not found` };
  if (listed.state !== 'active')
    return { usable: false, activated: false, why: `reservation ${id} is ${listed.state}` };
  return { usable: true, activated: false, room };
}
