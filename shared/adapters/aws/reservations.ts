/**
 * Capacity reservations and capacity blocks (DescribeCapacityReservations), paged to the end.
 *
 * Reservation type: `capacity-block` when EC2 says `ReservationType: capacity-block`; a reservation that has
 * not started yet (`scheduled`, `assessing`, `delayed`, `pending`) is a `future-odcr`; the rest are `odcr`.
 */
import { type CapacityReservation as Ec2Reservation, DescribeCapacityReservationsCommand } from '@aws-sdk/client-ec2';
import type { CapacityReservation } from '../../domain/ports.ts';
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
