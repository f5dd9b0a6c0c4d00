/**
 * EC2 Fleet pools (`ec2-fleet`, resource = fleet id). The desired count is the fleet's total target
 * capacity; instances are its active instances, with EC2's view of each. Only `maintain` fleets can be
 * resized (ModifyFleet has no idempotency token and refuses the other types).
 */
import {
  DescribeFleetInstancesCommand,
  DescribeFleetsCommand,
  type FleetData,
  ModifyFleetCommand,
} from '@aws-sdk/client-ec2';
import { CloudError } from '../../domain/errors.ts';
import type {
  ObservedInstance,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
} from '../../domain/ports.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import { allPages, capacityTypeOf, describeInstances, ec2Lifecycle } from './instances.ts';

async function describeFleet(clients: AwsClients, ref: PoolRef, operation: string): Promise<FleetData> {
  const out = await awsCall(operation, () =>
    clients.ec2(ref.location.region).send(new DescribeFleetsCommand({ FleetIds: [ref.resource] })),
  );
  const fleet = out.Fleets?.find((f) => f.FleetId === ref.resource);
  if (!fleet || fleet.FleetState?.startsWith('deleted')) {
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `fleet ${ref.resource} does not exist${fleet ? ` (${fleet.FleetState})` : ''}`,
    });
  }
  return fleet;
}

function defaultCapacityType(fleet: FleetData): 'spot' | 'on-demand' | 'reserved' {
  const t = fleet.TargetCapacitySpecification?.DefaultTargetCapacityType;
  if (t === 'spot') return 'spot';
  if (t === 'capacity-block') return 'reserved';
  return 'on-demand';
}

export async function describeFleetPool(clients: AwsClients, ref: PoolRef, now: Date): Promise<PoolObservation> {
  const operation = `describing aws ec2-fleet ${ref.resource}`;
  const fleet = await describeFleet(clients, ref, operation);
  const active = await allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients
        .ec2(ref.location.region)
        .send(new DescribeFleetInstancesCommand({ FleetId: ref.resource, NextToken: token })),
    );
    return { items: r.ActiveInstances ?? [], next: r.NextToken };
  });
  const ids = active.map((a) => a.InstanceId).filter((id): id is string => !!id);
  const details = await describeInstances(clients, ref.location.region, ids, operation);
  const fallback = defaultCapacityType(fleet);
  const instances: ObservedInstance[] = active
    .filter((a) => a.InstanceId)
    .map((a) => {
      const inst = details.get(a.InstanceId!);
      return {
        id: a.InstanceId!,
        zone: inst?.Placement?.AvailabilityZone,
        instanceType: a.InstanceType ?? inst?.InstanceType,
        capacityType: capacityTypeOf(inst, fallback),
        lifecycle: ec2Lifecycle(inst?.State?.Name, a.InstanceHealth === 'healthy'),
        nodeName: inst?.PrivateDnsName || undefined,
        launchedAt: inst?.LaunchTime?.toISOString(),
      };
    });
  return {
    ref,
    desired: fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0,
    ready: instances.filter((i) => i.lifecycle === 'ready').length,
    instances,
    observedAt: now.toISOString(),
  };
}

export async function setFleetDesired(
  clients: AwsClients,
  ref: PoolRef,
  request: SetDesiredRequest,
): Promise<SetDesiredResult> {
  const operation = `resizing aws ec2-fleet ${ref.resource} to ${request.desired}`;
  const fleet = await describeFleet(clients, ref, operation);
  const previous = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
  if (previous === request.desired) return { desired: previous, previous, unchanged: true };
  if (fleet.Type !== 'maintain') {
    throw new CloudError({
      kind: 'invalid',
      cloud: 'aws',
      operation,
      message: `fleet ${ref.resource} is of type ${fleet.Type}; only maintain fleets can be modified`,
    });
  }
  await awsCall(operation, () =>
    clients.ec2(ref.location.region).send(
      new ModifyFleetCommand({
        FleetId: ref.resource,
        TargetCapacitySpecification: { TotalTargetCapacity: request.desired },
      }),
    ),
  );
  return { desired: request.desired, previous, unchanged: false };
}
