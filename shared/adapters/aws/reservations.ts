/**
 * Capacity reservations and capacity blocks (DescribeCapacityReservations), and spot prices
 * (DescribeSpotPriceHistory), both paged to the end.
 *
 * Reservation type: `capacity-block` when EC2 says `ReservationType: capacity-block`; a reservation that has
 * not started yet (`scheduled`, `assessing`, `delayed`, `pending`) is a `future-odcr`; the rest are `odcr`.
 */
import {
  type _InstanceType,
  type CapacityReservation as Ec2Reservation,
  DescribeCapacityReservationsCommand,
  DescribeSpotPriceHistoryCommand,
} from '@aws-sdk/client-ec2';
import type { CapacityReservation, SpotPrice } from '../../domain/ports.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import { allPages } from './instances.ts';

const NOT_STARTED = new Set(['scheduled', 'assessing', 'delayed', 'pending', 'payment-pending']);

export function reservationOf(r: Ec2Reservation): CapacityReservation {
  const state = r.State ?? 'unknown';
  const type =
    r.ReservationType === 'capacity-block' ? 'capacity-block' : NOT_STARTED.has(state) ? 'future-odcr' : 'odcr';
  return {
    id: r.CapacityReservationId ?? '',
    cloud: 'aws',
    type,
    instanceType: r.InstanceType ?? '',
    zone: r.AvailabilityZone ?? '',
    total: r.TotalInstanceCount ?? 0,
    available: r.AvailableInstanceCount ?? 0,
    state,
    startTime: r.StartDate?.toISOString(),
    endTime: r.EndDate?.toISOString(),
  };
}

export async function listReservations(clients: AwsClients, region: string): Promise<CapacityReservation[]> {
  const operation = `listing aws capacity reservations in ${region}`;
  const all = await allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients.ec2(region).send(new DescribeCapacityReservationsCommand({ NextToken: token })),
    );
    return { items: r.CapacityReservations ?? [], next: r.NextToken };
  });
  return all.filter((r) => r.CapacityReservationId).map(reservationOf);
}

/**
 * The current Linux spot price of each instance type in each zone: a history from `now` (EC2 then also
 * returns the last change before it), reduced to the latest entry per type and zone.
 */
export async function spotPrices(
  clients: AwsClients,
  region: string,
  instanceTypes: string[],
  now: Date,
): Promise<SpotPrice[]> {
  if (instanceTypes.length === 0) return [];
  const operation = `reading aws spot prices in ${region}`;
  const history = await allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients.ec2(region).send(
        new DescribeSpotPriceHistoryCommand({
          InstanceTypes: instanceTypes as _InstanceType[],
          ProductDescriptions: ['Linux/UNIX'],
          StartTime: now,
          NextToken: token,
        }),
      ),
    );
    return { items: r.SpotPriceHistory ?? [], next: r.NextToken };
  });
  const latest = new Map<string, SpotPrice>();
  for (const h of history) {
    if (!h.InstanceType || !h.AvailabilityZone || !h.SpotPrice || !h.Timestamp) continue;
    const price: SpotPrice = {
      instanceType: h.InstanceType,
      zone: h.AvailabilityZone,
      price: Number(h.SpotPrice),
      time: h.Timestamp.toISOString(),
    };
    const key = `${price.instanceType}|${price.zone}`;
    const prev = latest.get(key);
    if (!prev || prev.time < price.time) latest.set(key, price);
  }
  return [...latest.values()].sort(
    (a, b) => a.instanceType.localeCompare(b.instanceType) || a.zone.localeCompare(b.zone),
  );
}
