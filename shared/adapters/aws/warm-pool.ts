/**
 * EC2 Auto Scaling warm pools for `auto-scaling-group` pools: PutWarmPool, DescribeWarmPool, DeleteWarmPool.
 *
 * The pool is given an absolute size: MinSize = MaxGroupPreparedCapacity = size ("only when
 * MaxGroupPreparedCapacity and MinSize are set to the same value does the warm pool have an absolute size",
 * PutWarmPool's reference), so it does not follow the group's desired count. ReuseOnScaleIn is on: a node
 * taken out on scale-in waits stopped rather than being terminated, and the next scale-out resumes it. Size 0
 * deletes the warm pool (ForceDelete: its instances are terminated even with lifecycle hooks).
 *
 * Instances in the pool are `Warmed:*` (`Warmed:Pending` while they are prepared, then `Warmed:Stopped` or
 * `Warmed:Hibernated`); they are not the group's and not counted in its DesiredCapacity. Scale-out draws on the
 * pool first; an instance that cannot start for capacity is replaced by a new launch (a Failed activity).
 */
import {
  type AutoScalingGroup,
  DeleteWarmPoolCommand,
  DescribeWarmPoolCommand,
  type Instance,
  PutWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudError } from '../../domain/errors.ts';
import type { PoolRef, SetWarmRequest, SetWarmResult, WarmObservation } from '../../domain/ports.ts';
import type { WarmState } from '../../domain/warm.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import { allPages } from './instances.ts';
import { requireGroup } from './groups.ts';

const POOL_STATE: Partial<Record<WarmState, 'Stopped' | 'Hibernated'>> = {
  stopped: 'Stopped',
  hibernated: 'Hibernated',
};
const STATE_OF: Record<string, WarmState> = { Stopped: 'stopped', Hibernated: 'hibernated' };

/** The warm pool's instances, every page. */
export async function warmPoolInstances(
  clients: AwsClients,
  region: string,
  group: string,
  operation: string,
): Promise<Instance[]> {
  return allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients.autoscaling(region).send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group, NextToken: token })),
    );
    return { items: r.Instances ?? [], next: r.NextToken };
  });
}

/**
 * What a group's warm pool holds, or undefined when it has none (DescribeAutoScalingGroups says so: no
 * `WarmPoolConfiguration`, and no DescribeWarmPool call is made).
 */
export async function observeWarmPool(
  clients: AwsClients,
  region: string,
  group: AutoScalingGroup,
  operation: string,
  /** The warm pool's instances, when they were read with the group. */
  read?: Instance[],
): Promise<WarmObservation | undefined> {
  const config = group.WarmPoolConfiguration;
  if (!config || config.Status === 'PendingDelete') return undefined;
  const instances = read ?? (await warmPoolInstances(clients, region, group.AutoScalingGroupName!, operation));
  const live = instances.filter(
    (i) => i.InstanceId && !i.LifecycleState?.startsWith('Warmed:Terminat') && i.LifecycleState !== 'Warmed:Terminated',
  );
  const ready = live.filter((i) => i.LifecycleState === 'Warmed:Stopped' || i.LifecycleState === 'Warmed:Hibernated');
  const prepared = config.MaxGroupPreparedCapacity;
  const min = config.MinSize ?? 0;
  const desired = group.DesiredCapacity ?? 0;
  const target =
    prepared === undefined || prepared < 0
      ? Math.max(min, (group.MaxSize ?? 0) - desired)
      : Math.max(min, prepared - desired);
  return {
    target,
    ready: ready.length,
    warming: live.length - ready.length,
    ...(config.PoolState && STATE_OF[config.PoolState] ? { state: STATE_OF[config.PoolState] } : {}),
    instanceIds: live.map((i) => i.InstanceId!),
  };
}

export async function setGroupWarm(clients: AwsClients, ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
  const region = ref.location.region;
  const operation = `setting the warm pool of aws auto-scaling-group ${ref.resource} to ${request.size} ${request.state}`;
  const poolState = POOL_STATE[request.state];
  if (!poolState || !Number.isInteger(request.size) || request.size < 0) {
    throw new CloudError({
      kind: 'invalid',
      cloud: 'aws',
      operation,
      message: poolState
        ? `size must be a whole number >= 0, got ${request.size}`
        : `an Auto Scaling warm pool keeps instances Stopped or Hibernated, not ${request.state}`,
    });
  }
  const group = await requireGroup(clients, region, ref.resource, operation);
  const config = group.WarmPoolConfiguration;
  const current = config && config.Status !== 'PendingDelete' ? config : undefined;
  const previous = current ? (current.MinSize ?? 0) : 0;
  if (request.size === 0) {
    if (!current) return { size: 0, previous: 0, unchanged: true };
    await awsCall(operation, () =>
      clients
        .autoscaling(region)
        .send(new DeleteWarmPoolCommand({ AutoScalingGroupName: ref.resource, ForceDelete: true })),
    );
    return { size: 0, previous, unchanged: false };
  }
  if (
    current &&
    current.MinSize === request.size &&
    current.MaxGroupPreparedCapacity === request.size &&
    current.PoolState === poolState &&
    current.InstanceReusePolicy?.ReuseOnScaleIn === true
  ) {
    return { size: request.size, previous, unchanged: true };
  }
  await awsCall(operation, () =>
    clients.autoscaling(region).send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: ref.resource,
        MinSize: request.size,
        MaxGroupPreparedCapacity: request.size,
        PoolState: poolState,
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      }),
    ),
  );
  return { size: request.size, previous, unchanged: false };
}
