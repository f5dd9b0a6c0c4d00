/**
 * Auto Scaling group pools (`auto-scaling-group`, resource = group name), and the groups behind EKS managed
 * node groups. DescribeAutoScalingGroups leaves unknown names out of its answer: an empty answer is
 * `not-found`. SetDesiredCapacity ignores cooldowns (the engine has its own) and has no idempotency token;
 * a count outside the group's min/max is refused by the service (`ValidationError` -> `invalid`).
 */
import {
  type AutoScalingGroup,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudError, type WarmFloorNotRestoredError } from '../../domain/errors.ts';
import type {
  ObservedInstance,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
} from '../../domain/ports.ts';
import type { CapacityType } from '../../domain/types.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import type { Instance } from '@aws-sdk/client-ec2';
import { asgLifecycle, capacityTypeOf, describeInstances, describeTaggedInstances, withMissing } from './instances.ts';
import { requireGroup } from './groups.ts';
import { keepingWarmPoolSize, observeWarmPool, scaleInToWarm, warmPoolInstances } from './warm-pool.ts';

/** The tag EC2 Auto Scaling puts on a group's instances. */
const GROUP_TAG = 'aws:autoscaling:groupName';

/** The group's instances with EC2's details (zone, how bought, node name); warm-pool instances left out. */
export async function groupInstances(
  clients: AwsClients,
  region: string,
  groups: AutoScalingGroup[],
  fallback: CapacityType,
  operation: string,
  /** The instances read by the group's tag at the same time as the group, when they were. */
  tagged?: Map<string, Instance>,
): Promise<ObservedInstance[]> {
  const members = groups
    .flatMap((g) => g.Instances ?? [])
    .filter((i) => i.InstanceId && !i.LifecycleState?.startsWith('Warmed'));
  const ids = members.map((m) => m.InstanceId!);
  const details = tagged
    ? await withMissing(clients, region, tagged, ids, operation)
    : await describeInstances(clients, region, ids, operation);
  return members.map((m) => {
    const inst = details.get(m.InstanceId!);
    return {
      id: m.InstanceId!,
      zone: m.AvailabilityZone ?? inst?.Placement?.AvailabilityZone,
      instanceType: m.InstanceType ?? inst?.InstanceType,
      capacityType: capacityTypeOf(inst, fallback),
      lifecycle: asgLifecycle(m.LifecycleState, m.HealthStatus),
      nodeName: inst?.PrivateDnsName || undefined,
      launchedAt: inst?.LaunchTime?.toISOString(),
    };
  });
}

function groupCapacityType(group: AutoScalingGroup): CapacityType {
  const d = group.MixedInstancesPolicy?.InstancesDistribution;
  if (d && (d.OnDemandBaseCapacity ?? 0) === 0 && d.OnDemandPercentageAboveBaseCapacity === 0) return 'spot';
  return 'on-demand';
}

export async function describeGroupPool(clients: AwsClients, ref: PoolRef, now: Date): Promise<PoolObservation> {
  const operation = `describing aws auto-scaling-group ${ref.resource}`;
  const region = ref.location.region;
  // The group, its instances (by the tag the group puts on them) and, for a pool that keeps warm capacity,
  // its warm pool: at once.
  const [group, tagged, warmPool] = await Promise.all([
    requireGroup(clients, region, ref.resource, operation),
    describeTaggedInstances(clients, region, { key: GROUP_TAG, value: ref.resource }, operation),
    ref.warm ? warmPoolInstances(clients, region, ref.resource, operation).catch(() => undefined) : undefined,
  ]);
  const [instances, warm] = await Promise.all([
    groupInstances(clients, region, [group], groupCapacityType(group), operation, tagged),
    observeWarmPool(clients, region, group, operation, warmPool),
  ]);
  return {
    ...(warm ? { warm } : {}),
    ref,
    desired: group.DesiredCapacity ?? 0,
    ready: instances.filter((i) => i.lifecycle === 'ready').length,
    min: group.MinSize,
    max: group.MaxSize,
    instances,
    observedAt: now.toISOString(),
  };
}

export async function setGroupDesired(
  clients: AwsClients,
  ref: PoolRef,
  request: SetDesiredRequest,
): Promise<SetDesiredResult> {
  const operation = `resizing aws auto-scaling-group ${ref.resource} to ${request.desired}`;
  const previous =
    request.observed?.desired ??
    (await requireGroup(clients, ref.location.region, ref.resource, operation)).DesiredCapacity ??
    0;
  if (previous === request.desired) return { desired: previous, previous, unchanged: true };
  const resize = async () => {
    await awsCall(operation, () =>
      clients.autoscaling(ref.location.region).send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: ref.resource,
          DesiredCapacity: request.desired,
          HonorCooldown: false,
        }),
      ),
    );
  };
  // A scale-in that returns instances to the warm pool: the pool gets room for them around the resize.
  if (request.toWarm && request.desired < previous) {
    await scaleInToWarm(clients, ref, request.desired, request.toWarm, operation, resize);
  } else await resize();
  return { desired: request.desired, previous, unchanged: false };
}

/**
 * Terminates one instance of a group and lowers its desired count, after checking the instance belongs to
 * that group (TerminateInstanceInAutoScalingGroup itself would take any group's instance). The warm pool keeps
 * its size (keepingWarmPoolSize); a floor it could not set back after the removal is returned, not thrown.
 */
export async function removeGroupInstance(
  clients: AwsClients,
  region: string,
  groupName: string,
  instanceId: string,
  operation: string,
  /** The pool's configured warm floor (`warm.min`), when it keeps warm capacity (see keepingWarmPoolSize). */
  warmMin?: number,
): Promise<WarmFloorNotRestoredError | undefined> {
  const group = await requireGroup(clients, region, groupName, operation);
  if (!group.Instances?.some((i) => i.InstanceId === instanceId)) {
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `instance ${instanceId} is not in group ${groupName}`,
    });
  }
  const terminate = () =>
    awsCall(operation, () =>
      clients.autoscaling(region).send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
  return keepingWarmPoolSize(clients, region, group, operation, terminate, warmMin);
}
