/**
 * EC2 Auto Scaling warm pools (PutWarmPool, DescribeWarmPool, DeleteWarmPool) over the world's warm instances.
 *
 * - The pool's size is the service's: max(MinSize, MaxGroupPreparedCapacity - DesiredCapacity), with
 *   MaxGroupPreparedCapacity defaulting to the group's MaxSize (-1 removes a value set before); equal values
 *   give an absolute size. Instances are prepared (`Warmed:Pending` while they boot and load, billed as running),
 *   then `Warmed:Stopped` or `Warmed:Hibernated` (billed for their volumes only).
 * - Scale-out draws on the pool first: SetDesiredCapacity starts warm instances (their activity says
 *   "from warm pool"); one that cannot start for capacity stays warm, a `Failed` activity says why, and the
 *   group launches a new instance instead. The pool refills itself.
 * - `InstanceReusePolicy.ReuseOnScaleIn` returns instances to the pool on scale-in while it has room.
 * - A group that requests Spot Instances (a mixed instances policy with no on-demand) cannot have a warm pool;
 *   `Running` is refused here: it is a warm pool that bills the instances, which this project does not offer.
 */
import type { WorldPool, WorldWarmInstance } from '../world.ts';
import { AwsApiError, asgNameOf, findAsgPool, launchTemplateOf, type RequestContext } from './context.ts';
import { page, type QueryParams, readPageToken, type XmlObject } from './wire.ts';

const POOL_STATES = { Stopped: 'stopped', Hibernated: 'hibernated' } as const;
const STATE_NAME = { stopped: 'Stopped', hibernated: 'Hibernated', suspended: 'Stopped' } as const;

function validation(message: string): AwsApiError {
  return new AwsApiError(400, 'ValidationError', message);
}

function requireGroup(ctx: RequestContext, params: QueryParams): WorldPool {
  const name = params.AutoScalingGroupName;
  if (!name) {
    throw validation(
      "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null",
    );
  }
  const pool = findAsgPool(ctx, name);
  if (pool?.kind !== 'auto-scaling-group') {
    throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  }
  return pool;
}

function optionalInt(params: QueryParams, name: string, member: string, min: number): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw validation(
      `1 validation error detected: Value '${raw}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  }
  return n;
}

/** The group's warm pool as DescribeAutoScalingGroups and DescribeWarmPool show it, or undefined. */
export function warmPoolConfiguration(pool: WorldPool): XmlObject | undefined {
  const p = pool.warmPolicy;
  if (!p) return undefined;
  return {
    ...(p.maxPrepared !== undefined ? { MaxGroupPreparedCapacity: p.maxPrepared } : {}),
    MinSize: p.min,
    PoolState: STATE_NAME[p.state],
    InstanceReusePolicy: { ReuseOnScaleIn: p.reuseOnScaleIn },
  };
}

export function warmLifecycleState(w: WorldWarmInstance): string {
  return w.phase === 'warming' ? 'Warmed:Pending' : `Warmed:${STATE_NAME[w.state]}`;
}

function putWarmPool(ctx: RequestContext, params: QueryParams): XmlObject {
  const pool = requireGroup(ctx, params);
  if (pool.capacityType === 'spot') {
    throw validation(
      'You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template that requests Spot Instances.',
    );
  }
  const stateName = params.PoolState ?? 'Stopped';
  const state = POOL_STATES[stateName as keyof typeof POOL_STATES];
  if (!state) {
    throw validation(
      `1 validation error detected: Value '${stateName}' at 'poolState' failed to satisfy constraint: Member must satisfy enum value set: [Stopped, Hibernated]`,
    );
  }
  const before = pool.warmPolicy;
  const rawPrepared = optionalInt(params, 'MaxGroupPreparedCapacity', 'maxGroupPreparedCapacity', -1);
  // -1 removes a value set before; absent keeps it.
  const maxPrepared = rawPrepared === undefined ? before?.maxPrepared : rawPrepared === -1 ? undefined : rawPrepared;
  const rawMin = optionalInt(params, 'MinSize', 'minSize', -1);
  const min = rawMin === undefined ? (before?.min ?? 0) : Math.max(0, rawMin);
  if (maxPrepared !== undefined && maxPrepared < min) {
    throw validation('MinSize of a warm pool cannot be greater than MaxGroupPreparedCapacity.');
  }
  const reuseRaw = params['InstanceReusePolicy.ReuseOnScaleIn'];
  const reuseOnScaleIn = reuseRaw === undefined ? (before?.reuseOnScaleIn ?? false) : reuseRaw === 'true';
  ctx.world.setWarmPolicy(pool.id, {
    state,
    min,
    ...(maxPrepared !== undefined ? { maxPrepared } : {}),
    preparedFromMax: maxPrepared === undefined,
    reuseOnScaleIn,
    autoRefill: true,
    autoResume: true,
  });
  return {};
}

function describeWarmPool(ctx: RequestContext, params: QueryParams): XmlObject {
  const pool = requireGroup(ctx, params);
  const offset = readPageToken('DescribeWarmPool', params.NextToken);
  if (offset === undefined) throw new AwsApiError(400, 'InvalidNextToken', 'The token is invalid.');
  const size = optionalInt(params, 'MaxRecords', 'maxRecords', 1) ?? 50;
  const lt = launchTemplateOf(pool);
  const all = ctx.world.warmOf(pool.id);
  const p = page(
    'DescribeWarmPool',
    all,
    offset,
    ctx.options.pageSize > 0 ? Math.min(size, ctx.options.pageSize) : size,
  );
  return {
    WarmPoolConfiguration: warmPoolConfiguration(pool),
    Instances: p.items.map((w) => ({
      InstanceId: w.id,
      InstanceType: w.instanceType,
      AvailabilityZone: w.zone,
      LifecycleState: warmLifecycleState(w),
      HealthStatus: 'Healthy',
      LaunchTemplate: { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '1' },
      ProtectedFromScaleIn: false,
    })),
    NextToken: p.nextToken,
  };
}

function deleteWarmPool(ctx: RequestContext, params: QueryParams): XmlObject {
  const pool = requireGroup(ctx, params);
  if (!pool.warmPolicy) {
    throw validation(`No warm pool found for Auto Scaling group ${asgNameOf(pool)}.`);
  }
  // The service terminates the pool's instances and then removes it (`PendingDelete` meanwhile); the world
  // does both at once.
  ctx.world.setWarmPolicy(pool.id, undefined);
  return {};
}

export const WARM_POOL_ACTIONS: Record<string, (ctx: RequestContext, params: QueryParams) => XmlObject> = {
  PutWarmPool: putWarmPool,
  DescribeWarmPool: describeWarmPool,
  DeleteWarmPool: deleteWarmPool,
};
