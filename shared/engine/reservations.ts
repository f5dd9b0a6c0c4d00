/**
 * Whether a reserved pool's reservation can take nodes now, and what happens to the nodes it holds.
 *
 * Reserved capacity (EC2 On-Demand Capacity Reservations and Capacity Blocks, Azure capacity reservation
 * groups, GCP reservations) is paid whether used or not, so the placement fills it first — but only while
 * the reservation is active and not about to end. A reservation that ends within the fleet's longest time to
 * ready plus a margin is *ending*: it takes no new node, but the nodes on it keep serving until the end —
 * they are already paid — while the placement launches their replacements elsewhere, ahead by the time to
 * ready, so that the replacements serve before the cloud takes the reservation back. Once it has ended (its
 * end passed, an `expired`/`interrupted` notice, a listed state other than active), its nodes are gone and the
 * pool moves off it. A Capacity Block's end is its capacity's: EC2 terminates its instances from 30 minutes
 * before the end date it lists and sends (`CAPACITY_BLOCK_RECLAIM_SECONDS`; the expiration warning comes 10
 * minutes before that). An On-Demand Capacity Reservation's instances outlive it (they run on at on-demand
 * rates): its end replaces nothing, and after it the pool keeps its nodes, as on-demand ones, and takes no new
 * one (*lapsed*).
 *
 * The latest reservation signal wins over the listed state where the listing has not caught up with it yet:
 * `delivered`/`active` (and `underutilized`) make usable a reservation listed in another state or not listed
 * yet, `expired`/`interrupted` end it whatever the listing says, `expiring` makes an active one ending. The
 * listing wins where it says the reservation is no more: an ODCR listed expired or cancelled has lapsed,
 * whatever start notice came before, and an `expiring` one no longer listed active (or at all) is gone, not
 * ending. Without a reservation list, a reserved pool is trusted as configured.
 */
import type { CapacityReservation } from '../domain/ports.ts';
import type { Pool } from '../domain/types.ts';
import type { ReservationNotice } from './signals.ts';
import { CAPACITY_BLOCK_RECLAIM_SECONDS } from './defaults.ts';
import { ms } from './time.ts';

export interface ReservationView {
  usable: boolean;
  /** A signal of this decision made it usable (capacity moves onto it). */
  activated: boolean;
  /** Nodes it can still take beyond the pool's current count (undefined: as many as the pool's max). */
  room?: number;
  /** Why it is not usable. */
  why?: string;
  /**
   * It ends soon but has not ended: its nodes stay and serve until the end (ISO `endsAt` when known), their
   * capacity does not count towards what the fleet needs, and the pool takes no new node.
   */
  ending?: boolean;
  endsAt?: string;
  /** It has ended (its end passed, or the cloud said expired/interrupted): its nodes are gone. */
  ended?: boolean;
  /**
   * An On-Demand Capacity Reservation that ended (expired or cancelled): its nodes run on at on-demand rates, it
   * takes no new node.
   */
  lapsed?: boolean;
}

const ENDED = new Set(['expired', 'interrupted']);
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
  const end = latest?.endTime ?? listed?.endTime;
  // An EC2 Capacity Block's instances are terminated from 30 minutes before its end date: that is when its
  // capacity ends, and what its replacements must be serving by (EC2's rule: an Azure block reservation's end
  // is taken as it is).
  const block =
    pool.cloud === 'aws' && (latest?.reservationType === 'capacity-block' || listed?.type === 'capacity-block');
  const endTime = ms(end) - (block ? CAPACITY_BLOCK_RECLAIM_SECONDS * 1000 : 0);
  const room = listed ? Math.max(0, listed.available) : undefined;
  // An On-Demand Capacity Reservation's instances outlive it: expired or cancelled, they "run using On-Demand
  // capacity" (EC2 User Guide, Instance lifecycle in a group; Cancel a Capacity Reservation). Its end takes no
  // node away: nothing is replaced ahead of it, and after it the pool keeps its nodes and takes no new one.
  const type = latest?.reservationType ?? listed?.type;
  const runsOn = !block && (type === 'odcr' || type === 'future-odcr');
  const lapsed = (when: string): ReservationView => ({
    usable: false,
    activated: false,
    lapsed: true,
    why: `reservation ${id} ${when}: its instances run on as on-demand`,
  });

  if (latest && ENDED.has(latest.kind)) {
    if (runsOn && latest.kind === 'expired') return lapsed('expired');
    return { usable: false, activated: false, ended: true, why: `reservation ${id} ${latest.kind}` };
  }
  if (!Number.isNaN(endTime) && endTime <= now) {
    if (runsOn) return lapsed(`ended ${new Date(endTime).toISOString()}`);
    return {
      usable: false,
      activated: false,
      ended: true,
      why: `reservation ${id} ended ${new Date(endTime).toISOString()}`,
    };
  }
  if (runsOn && listed && (listed.state === 'expired' || listed.state === 'cancelled')) return lapsed(listed.state);
  if (listed && listed.state !== 'active' && !(latest && STARTING.has(latest.kind)))
    return { usable: false, activated: false, why: `reservation ${id} is ${listed.state}` };
  if (reservations !== undefined && !listed && !(latest && STARTING.has(latest.kind)))
    return { usable: false, activated: false, why: `reservation ${id} not found` };
  const endsSoon = !runsOn && !Number.isNaN(endTime) && endTime <= now + horizonSeconds * 1000;
  if ((latest?.kind === 'expiring' && !runsOn) || endsSoon) {
    const endsAt = Number.isNaN(endTime) ? undefined : new Date(endTime).toISOString();
    return {
      usable: false,
      activated: false,
      ending: true,
      ...(endsAt ? { endsAt } : {}),
      why: `reservation ${id} ${endsAt ? `ends ${endsAt}` : 'is expiring'}${block && endsAt ? ` (capacity block: its instances are terminated from ${CAPACITY_BLOCK_RECLAIM_SECONDS / 60} minutes before its end date, ${end})` : ''}`,
    };
  }
  if (latest && STARTING.has(latest.kind)) return { usable: true, activated: true, room };
  return { usable: true, activated: false, room };
}
