/**
 * EC2 Auto Scaling warm pools for `auto-scaling-group` pools: PutWarmPool, DescribeWarmPool, DeleteWarmPool.
 *
 * The pool is sized relative to the group: MaxGroupPreparedCapacity = the group's desired count + the warm
 * size, so the service keeps max(MinSize, MaxGroupPreparedCapacity - DesiredCapacity) warm instances
 * (PutWarmPool's reference): a scale-out that draws on the pool does not refill it by itself (only up to
 * MinSize, the pool's `warm.min`), and with ReuseOnScaleIn a scale-in returns instances to the pool, stopped,
 * while it has room, instead of terminating them. So the engine says what is refilled (`setWarm`, on every
 * decision) and how many nodes a scale-in returns (`SetDesiredRequest.toWarm`: the pool is resized to the
 * group's new count + the warm size first, then the group). Size 0 deletes the warm pool (ForceDelete: its
 * instances are terminated even with lifecycle hooks).
 *
 * Removing one instance (TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity) lowers the
 * desired count by one, so a pool sized relative to the group would grow by one and the service would prepare
 * an instance for it (at the running price) until the next setWarm: `keepingWarmPoolSize` lowers
 * MaxGroupPreparedCapacity with it.
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
  type WarmPoolConfiguration,
} from '@aws-sdk/client-auto-scaling';
import { CloudError, WarmFloorNotRestoredError } from '../../domain/errors.ts';
import type { PoolRef, SetDesiredRequest, SetWarmRequest, SetWarmResult, WarmObservation } from '../../domain/ports.ts';
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

/** The warm pool's size the service keeps now: max(MinSize, MaxGroupPreparedCapacity (or MaxSize) - desired). */
function keptSize(group: AutoScalingGroup, config: WarmPoolConfiguration): number {
  const desired = group.DesiredCapacity ?? 0;
  const prepared = config.MaxGroupPreparedCapacity;
  const cap = prepared === undefined || prepared < 0 ? (group.MaxSize ?? 0) : prepared;
  return Math.max(config.MinSize ?? 0, cap - desired);
}

/** PutWarmPool sized relative to the group: `size` warm instances beside `desired` running ones. */
async function putRelative(
  clients: AwsClients,
  region: string,
  group: string,
  desired: number,
  size: number,
  min: number,
  poolState: 'Stopped' | 'Hibernated',
  operation: string,
): Promise<void> {
  await awsCall(operation, () =>
    clients.autoscaling(region).send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: group,
        MinSize: Math.min(min, size),
        MaxGroupPreparedCapacity: desired + size,
        PoolState: poolState,
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      }),
    ),
  );
}

function invalidWarm(operation: string, state: WarmState, size: number): CloudError | undefined {
  const poolState = POOL_STATE[state];
  if (poolState && Number.isInteger(size) && size >= 0) return undefined;
  return new CloudError({
    kind: 'invalid',
    cloud: 'aws',
    operation,
    message: poolState
      ? `size must be a whole number >= 0, got ${size}`
      : `an Auto Scaling warm pool keeps instances Stopped or Hibernated, not ${state}`,
  });
}

export async function setGroupWarm(clients: AwsClients, ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
  const region = ref.location.region;
  const operation = `setting the warm pool of aws auto-scaling-group ${ref.resource} to ${request.size} ${request.state}`;
  const invalid = invalidWarm(operation, request.state, request.size);
  if (invalid) throw invalid;
  const poolState = POOL_STATE[request.state]!;
  const group = await requireGroup(clients, region, ref.resource, operation);
  const config = group.WarmPoolConfiguration;
  const current = config && config.Status !== 'PendingDelete' ? config : undefined;
  const previous = current ? keptSize(group, current) : 0;
  if (request.size === 0) {
    if (!current) return { size: 0, previous: 0, unchanged: true };
    await awsCall(operation, () =>
      clients
        .autoscaling(region)
        .send(new DeleteWarmPoolCommand({ AutoScalingGroupName: ref.resource, ForceDelete: true })),
    );
    return { size: 0, previous, unchanged: false };
  }
  const desired = group.DesiredCapacity ?? 0;
  const min = Math.min(request.size, Math.max(0, request.min ?? 0));
  if (
    current &&
    (current.MinSize ?? 0) === min &&
    current.MaxGroupPreparedCapacity === desired + request.size &&
    current.PoolState === poolState &&
    current.InstanceReusePolicy?.ReuseOnScaleIn === true
  ) {
    return { size: request.size, previous, unchanged: true };
  }
  await putRelative(clients, region, ref.resource, desired, request.size, min, poolState, operation);
  return { size: request.size, previous, unchanged: false };
}

/**
 * A scale-in that returns instances to the warm pool (`SetDesiredRequest.toWarm`): `toWarm.nodes` of the
 * instances taken out go back, stopped, and the pool keeps `toWarm.warm` afterwards. The pool is first sized to
 * the group's new count + that warm size (MaxGroupPreparedCapacity), with MinSize at what it keeps until the
 * scale-in (`warm - nodes`: nothing is removed or prepared before it); the scale-in (`resize`) then returns as
 * many instances as the pool has room for and terminates the rest; MinSize is set back to the pool's floor.
 */
export async function scaleInToWarm(
  clients: AwsClients,
  ref: PoolRef,
  desired: number,
  toWarm: NonNullable<SetDesiredRequest['toWarm']>,
  operation: string,
  resize: () => Promise<void>,
): Promise<void> {
  const invalid = invalidWarm(operation, toWarm.state, toWarm.warm);
  if (invalid) throw invalid;
  const region = ref.location.region;
  const poolState = POOL_STATE[toWarm.state]!;
  const group = await requireGroup(clients, region, ref.resource, operation);
  const current = group.WarmPoolConfiguration;
  const floor = current && current.Status !== 'PendingDelete' ? (current.MinSize ?? 0) : 0;
  const until = Math.max(0, toWarm.warm - Math.max(0, toWarm.nodes));
  await putRelative(clients, region, ref.resource, desired, toWarm.warm, until, poolState, operation);
  await resize();
  if (Math.min(floor, toWarm.warm) !== until) {
    await putRelative(clients, region, ref.resource, desired, toWarm.warm, floor, poolState, operation);
  }
}

/**
 * Runs `shrinkByOne` (a call that lowers the group's desired count by one: TerminateInstanceInAutoScalingGroup
 * with ShouldDecrementDesiredCapacity) keeping the warm pool at the size the service keeps now. The size is
 * max(MinSize, MaxGroupPreparedCapacity (or MaxSize) - desired): one fewer desired would make it one larger,
 * so MaxGroupPreparedCapacity goes down by one first, with MinSize at the current size meanwhile (the pool
 * keeps its size before the removal as after it: nothing is removed or prepared); MinSize is set back once
 * done. A pool whose size does not depend on the desired count (MinSize binds, or an absolute size) is left
 * alone. If `shrinkByOne` fails, the pool is put back as it was (its floor the original one) and the error
 * is thrown.
 *
 * Once `shrinkByOne` succeeded the removal has succeeded, whatever follows: if setting MinSize back still
 * fails after the SDK's retries (the adapter's retry policy, retry.ts, runs on every call), it is not thrown
 * but returned, a `WarmFloorNotRestoredError` naming the original floor; the pool keeps its size meanwhile
 * (the temporary floor is that size), and the next removal or setWarm sets the original floor back.
 *
 * The original floor is the engine's configured `warm.min` (`warmMin`; MinSize is never raised to it here)
 * when the caller passes it, and only otherwise the MinSize read now. The configured value is the
 * robust one: a removal that failed half-way leaves MinSize at its temporary value, so on a retry the MinSize
 * read is no longer the original, and a value recorded before the change lives only as long as this call
 * (a Lambda that times out or is retried loses it); the configuration is there on every call.
 *
 * Invariant: removals in one group run one at a time. Two at once would each read the same
 * MaxGroupPreparedCapacity and both lower it to the same value (the pool would grow by one), and one could
 * read the other's temporary MinSize as the floor. The callers keep it: the engine's removals are executed
 * under the fleet's lease (one decision or drain step of a fleet at a time), and a decision's removals in one
 * pool run one after another (execute.ts's stages).
 */
export async function keepingWarmPoolSize(
  clients: AwsClients,
  region: string,
  group: AutoScalingGroup,
  operation: string,
  shrinkByOne: () => Promise<unknown>,
  /** The pool's configured warm floor (`warm.min`), when known. */
  warmMin?: number,
): Promise<WarmFloorNotRestoredError | undefined> {
  const config = group.WarmPoolConfiguration;
  const desired = group.DesiredCapacity ?? 0;
  if (!config || config.Status === 'PendingDelete' || desired < 1) {
    await shrinkByOne();
    return undefined;
  }
  const prepared = config.MaxGroupPreparedCapacity;
  const cap = prepared === undefined || prepared < 0 ? (group.MaxSize ?? 0) : prepared;
  const read = config.MinSize ?? 0;
  const size = keptSize(group, config);
  // The floor to end with: the configured one when given (see above). setWarm keeps MinSize at most the
  // configured floor, so a MinSize above it is one a removal left raised; a removal only ever lowers it.
  const min = warmMin === undefined ? read : Math.min(read, Math.max(0, warmMin));
  if (Math.max(min, cap - (desired - 1)) === size) {
    await shrinkByOne();
    if (read === min) return undefined;
    // A floor left raised by an earlier removal, and the size does not depend on it here: set it back.
    return restoreFloor(() => put(prepared === undefined || prepared < 0 ? -1 : prepared, min), group, read, min);
  }
  function put(maxPrepared: number, minSize: number) {
    return awsCall(operation, () =>
      clients.autoscaling(region).send(
        new PutWarmPoolCommand({
          AutoScalingGroupName: group.AutoScalingGroupName,
          MaxGroupPreparedCapacity: maxPrepared,
          MinSize: minSize,
          ...(config!.PoolState ? { PoolState: config!.PoolState } : {}),
          ...(config!.InstanceReusePolicy ? { InstanceReusePolicy: config!.InstanceReusePolicy } : {}),
        }),
      ),
    );
  }
  // Here cap - desired = size >= MinSize, and desired >= 1: cap - 1 >= size, a valid MinSize beside it.
  await put(cap - 1, size);
  try {
    await shrinkByOne();
  } catch (e) {
    // As it was: the same prepared capacity (-1: from MaxSize again), and the original floor.
    await put(prepared === undefined || prepared < 0 ? -1 : prepared, min).catch(() => undefined);
    throw e;
  }
  if (size === min) return undefined;
  return restoreFloor(() => put(cap - 1, min), group, size, min);
}

/** Sets the warm pool's floor back after a removal that succeeded; what failed is returned, never thrown. */
async function restoreFloor(
  put: () => Promise<unknown>,
  group: AutoScalingGroup,
  temporary: number,
  original: number,
): Promise<WarmFloorNotRestoredError | undefined> {
  try {
    await put();
    return undefined;
  } catch (cause) {
    return new WarmFloorNotRestoredError({
      cloud: 'aws',
      resource: group.AutoScalingGroupName ?? '',
      originalMinSize: original,
      temporaryMinSize: temporary,
      cause,
    });
  }
}
