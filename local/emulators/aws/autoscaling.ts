/**
 * EC2 Auto Scaling Query API (Version 2011-01-01) over the world's `auto-scaling-group` pools and the groups
 * behind EKS managed node groups (`eks-<nodegroup>-<uuid>`).
 *
 * Instance lifecycle states map from the world: pending -> `Pending`; running (the VM is up, the node not yet
 * serving) -> `Pending:Wait` (a launch lifecycle hook holds the instance until the node is ready, the usual
 * pattern for GPU node groups); ready -> `InService`; terminating -> `Terminating`, but a spot instance under
 * an interruption notice keeps its state until EC2 takes it back (`shownState`). Health is `Healthy`.
 *
 * Capacity errors are asynchronous in Auto Scaling, as in the real service: SetDesiredCapacity is accepted,
 * the launches that cannot be served fail and show up as a `Failed` scaling activity. That happens when the
 * world has no capacity left (its shortfall) and when a test injects `insufficient-capacity` (or
 * `operation-failed`) on SetDesiredCapacity: then no instance starts until the world advances.
 */
import { shownState, type WorldInstance, type WorldPool } from '../world.ts';
import {
  AwsApiError,
  asgNameOf,
  poolIndex,
  createdAtOf,
  awsPools,
  findAsgPool,
  launchTemplateOf,
  liveInstances,
  nextId,
  type RequestContext,
  type ScalingActivity,
  subnetOf,
} from './context.ts';
import { WARM_POOL_ACTIONS, warmPoolConfiguration } from './warm-pool.ts';
import { filtersParam, listParam, page, type QueryParams, readPageToken, uuidOf, type XmlObject } from './wire.ts';

type Handler = (ctx: RequestContext, params: QueryParams) => XmlObject | undefined;

export const AUTOSCALING_ACTIONS: Record<string, Handler> = {
  DescribeAutoScalingGroups: describeAutoScalingGroups,
  SetDesiredCapacity: setDesiredCapacity,
  TerminateInstanceInAutoScalingGroup: terminateInstanceInAutoScalingGroup,
  DescribeScalingActivities: describeScalingActivities,
  ...WARM_POOL_ACTIONS,
};

// ---- parameters -------------------------------------------------------------------------------------------

function validation(message: string): AwsApiError {
  return new AwsApiError(400, 'ValidationError', message);
}

function required(params: QueryParams, name: string, member: string): string {
  const v = params[name];
  if (v === undefined || v === '') {
    throw validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
}

function intParam(
  params: QueryParams,
  name: string,
  member: string,
  range?: { min: number; max: number },
): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw validation(`Value '${raw}' at '${member}' failed to satisfy constraint: Member must be an integer`);
  if (range && n > range.max) {
    throw validation(
      `1 validation error detected: Value '${n}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`,
    );
  }
  if (range && n < range.min) {
    throw validation(
      `1 validation error detected: Value '${n}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`,
    );
  }
  return n;
}

function boolParam(params: QueryParams, name: string, member: string): boolean {
  const raw = required(params, name, member);
  if (raw !== 'true' && raw !== 'false')
    throw validation(`Value '${raw}' at '${member}' failed to satisfy constraint: Member must be a boolean`);
  return raw === 'true';
}

function offsetOf(action: string, params: QueryParams): number {
  const offset = readPageToken(action, params.NextToken);
  if (offset === undefined) throw new AwsApiError(400, 'InvalidNextToken', 'The token is invalid.');
  return offset;
}

function pageSize(ctx: RequestContext, requested: number | undefined, fallback: number): number {
  const size = requested ?? fallback;
  return ctx.options.pageSize > 0 ? Math.min(size, ctx.options.pageSize) : size;
}

function groupNotFound(name: string): AwsApiError {
  return validation(`AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
}

// ---- groups -----------------------------------------------------------------------------------------------

function groups(ctx: RequestContext): WorldPool[] {
  return awsPools(ctx).filter((p) => asgNameOf(p) !== undefined);
}

/** The groups of `names` (a name no group has left out), in the order `groups` lists them. */
function named(ctx: RequestContext, names: readonly string[]): WorldPool[] {
  const index = poolIndex(ctx);
  return index.inOrder(names.flatMap((name) => index.byAsgName.get(name) ?? []));
}

function groupArn(ctx: RequestContext, pool: WorldPool): string {
  const name = asgNameOf(pool)!;
  return `arn:aws:autoscaling:${ctx.region}:${ctx.options.accountId}:autoScalingGroup:${uuidOf(`asg/${pool.id}`)}:autoScalingGroupName/${name}`;
}

const LIFECYCLE: Record<string, string> = {
  pending: 'Pending',
  running: 'Pending:Wait',
  ready: 'InService',
  terminating: 'Terminating',
};

function groupTags(pool: WorldPool): Record<string, string> {
  const tags: Record<string, string> = { ...(pool.tags ?? {}) };
  if (pool.kind === 'eks-nodegroup') {
    const [cluster, nodegroup] = pool.name.split('/');
    tags['eks:cluster-name'] = cluster ?? '';
    tags['eks:nodegroup-name'] = nodegroup ?? '';
    tags[`k8s.io/cluster-autoscaler/${cluster}`] = 'owned';
    tags['k8s.io/cluster-autoscaler/enabled'] = 'true';
  }
  return tags;
}

function groupData(ctx: RequestContext, pool: WorldPool): XmlObject {
  const name = asgNameOf(pool)!;
  const lt = launchTemplateOf(pool);
  const spot = pool.capacityType === 'spot';
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: groupArn(ctx, pool),
    MixedInstancesPolicy: spot
      ? {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '$Latest' },
            Overrides: [{ InstanceType: pool.instanceType }],
          },
          InstancesDistribution: {
            OnDemandAllocationStrategy: 'prioritized',
            OnDemandBaseCapacity: 0,
            OnDemandPercentageAboveBaseCapacity: 0,
            SpotAllocationStrategy: 'price-capacity-optimized',
          },
        }
      : undefined,
    LaunchTemplate: spot ? undefined : { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '$Latest' },
    MinSize: pool.min,
    MaxSize: pool.max,
    DesiredCapacity: pool.desired,
    DefaultCooldown: 300,
    AvailabilityZones: pool.zones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: liveInstances(ctx, pool).map((i) => instanceData(ctx, pool, i)),
    CreatedTime: createdAtOf(ctx, pool),
    SuspendedProcesses: [],
    VPCZoneIdentifier: pool.zones.map((z) => subnetOf(pool, z)).join(','),
    EnabledMetrics: [],
    Tags: Object.entries(groupTags(pool)).map(([Key, Value]) => ({
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      Key,
      Value,
      PropagateAtLaunch: true,
    })),
    TerminationPolicies: ['AllocationStrategy', 'OldestLaunchTemplate', 'OldestInstance'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${ctx.options.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: spot,
    ...(pool.warmPolicy
      ? { WarmPoolConfiguration: warmPoolConfiguration(pool), WarmPoolSize: ctx.world.warmOf(pool.id).length }
      : {}),
  };
}

function instanceData(ctx: RequestContext, pool: WorldPool, i: WorldInstance): XmlObject {
  const lt = launchTemplateOf(pool);
  return {
    InstanceId: i.id,
    InstanceType: i.instanceType,
    AvailabilityZone: i.zone,
    LifecycleState: LIFECYCLE[shownState(i, ctx.world.now())] ?? 'InService',
    HealthStatus: 'Healthy',
    LaunchTemplate: { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '1' },
    ProtectedFromScaleIn: false,
  };
}

function describeAutoScalingGroups(ctx: RequestContext, params: QueryParams): XmlObject {
  const names = listParam(params, 'AutoScalingGroupNames.member');
  // Unknown names are left out of the answer, not refused: that is how Auto Scaling reports them.
  let selected = names.length ? named(ctx, names) : groups(ctx);
  const filters = filtersParam(params, 'autoscaling');
  selected = selected.filter((p) => {
    const tags = groupTags(p);
    for (const [name, values] of filters) {
      if (name.startsWith('tag:')) {
        if (!values.includes(tags[name.slice(4)] ?? '\u0000')) return false;
      } else if (name === 'tag-key') {
        if (!values.some((v) => v in tags)) return false;
      } else if (name === 'tag-value') {
        if (!Object.values(tags).some((v) => values.includes(v))) return false;
      } else {
        throw validation(`Filter name ${name} is invalid.`);
      }
    }
    return true;
  });
  const size = pageSize(ctx, intParam(params, 'MaxRecords', 'maxRecords', { min: 1, max: 100 }), 50);
  const p = page('DescribeAutoScalingGroups', selected, offsetOf('DescribeAutoScalingGroups', params), size);
  return { AutoScalingGroups: p.items.map((g) => groupData(ctx, g)), NextToken: p.nextToken };
}

function requireGroup(ctx: RequestContext, name: string): WorldPool {
  const pool = findAsgPool(ctx, name);
  if (!pool) throw groupNotFound(name);
  return pool;
}

function activity(
  ctx: RequestContext,
  pool: WorldPool,
  a: Omit<ScalingActivity, 'ActivityId' | 'AutoScalingGroupName' | 'StartTime'>,
): ScalingActivity {
  const name = asgNameOf(pool)!;
  const full: ScalingActivity = {
    ActivityId: nextId(ctx, 'activity'),
    AutoScalingGroupName: name,
    StartTime: ctx.world.nowIso(),
    ...a,
  };
  const list = ctx.state.activities.get(name) ?? [];
  list.push(full);
  ctx.state.activities.set(name, list);
  return full;
}

function capacityMessage(pool: WorldPool, zone: string): string {
  return (
    `We currently do not have sufficient ${pool.instanceType} capacity in the Availability Zone you requested (${zone}). ` +
    'Our system will be working on provisioning additional capacity. You can currently get capacity by not specifying ' +
    'an Availability Zone in your request or choosing a different Availability Zone. Launching EC2 instance failed.'
  );
}

/**
 * Applies a new desired count to a group as Auto Scaling does, and records the scaling activities: one per
 * launched or terminated instance, and a failed one when launches could not be served. Shared with EKS, whose
 * node group updates end in the same call on the group behind the node group.
 */
export function applyDesired(
  ctx: RequestContext,
  pool: WorldPool,
  desired: number,
  cause: string,
  opts: { noCapacity?: boolean } = {},
): void {
  const before = new Set(ctx.world.instancesOf(pool.id).map((i) => i.id));
  const warmBefore = new Set(ctx.world.warmOf(pool.id).map((w) => w.id));
  const previous = pool.desired;
  const failedStarts: string[] = [];
  const stop = ctx.world.on((e) => {
    if (e.type === 'launch-failed' && e.poolId === pool.id) failedStarts.push(e.zone);
  });
  let outcome: ReturnType<typeof ctx.world.setDesired>;
  try {
    outcome = ctx.world.setDesired(pool.id, desired, { deferLaunch: opts.noCapacity });
  } finally {
    stop();
  }
  const after = ctx.world.instancesOf(pool.id);
  const at = ctx.world.nowIso();
  const reason = `At ${at} ${cause} changing the desired capacity from ${previous} to ${desired}.`;
  for (const i of after) {
    if (before.has(i.id)) continue;
    activity(ctx, pool, {
      Description: warmBefore.has(i.id)
        ? `Launching a new EC2 instance from warm pool: ${i.id}`
        : `Launching a new EC2 instance: ${i.id}`,
      Cause: `${reason} At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${previous} to ${desired}.`,
      StatusCode: 'Successful',
      EndTime: at,
      Progress: 100,
      Details: JSON.stringify({ 'Subnet ID': subnetOf(pool, i.zone), 'Availability Zone': i.zone }),
    });
  }
  for (const zone of failedStarts) {
    const message = capacityMessage(pool, zone).replace(
      'Launching EC2 instance failed.',
      'Starting EC2 instance from warm pool failed.',
    );
    activity(ctx, pool, {
      Description: `Launching a new EC2 instance from warm pool.  Status Reason: ${message}`,
      Cause: `${reason} At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${previous} to ${desired}.`,
      StatusCode: 'Failed',
      StatusMessage: message,
      EndTime: at,
      Progress: 100,
      Details: JSON.stringify({ 'Subnet ID': subnetOf(pool, zone), 'Availability Zone': zone }),
    });
  }
  const warmAfter = new Set(ctx.world.warmOf(pool.id).map((w) => w.id));
  for (const id of before) {
    if (after.some((i) => i.id === id)) continue;
    activity(ctx, pool, {
      Description: warmAfter.has(id) ? `Moving EC2 instance to warm pool: ${id}` : `Terminating EC2 instance: ${id}`,
      Cause: `${reason} At ${at} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${previous} to ${desired}.`,
      StatusCode: 'Successful',
      EndTime: at,
      Progress: 100,
      Details: '{}',
    });
  }
  if (outcome.shortfall > 0) {
    const zone = pool.zones[0] ?? `${pool.region}a`;
    const message = capacityMessage(pool, zone);
    activity(ctx, pool, {
      Description: `Launching a new EC2 instance.  Status Reason: ${message}`,
      Cause: `${reason} At ${at} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${previous} to ${desired}.`,
      StatusCode: 'Failed',
      StatusMessage: message,
      EndTime: at,
      Progress: 100,
      Details: JSON.stringify({ 'Subnet ID': subnetOf(pool, zone), 'Availability Zone': zone }),
    });
  }
}

function setDesiredCapacity(ctx: RequestContext, params: QueryParams): undefined {
  const name = required(params, 'AutoScalingGroupName', 'autoScalingGroupName');
  required(params, 'DesiredCapacity', 'desiredCapacity');
  const desired = intParam(params, 'DesiredCapacity', 'desiredCapacity')!;
  const pool = requireGroup(ctx, name);
  if (desired > pool.max)
    throw validation(
      `New SetDesiredCapacity value ${desired} is above max value ${pool.max} for the AutoScalingGroup.`,
    );
  if (desired < pool.min)
    throw validation(
      `New SetDesiredCapacity value ${desired} is below min value ${pool.min} for the AutoScalingGroup.`,
    );
  const noCapacity = ctx.fault?.kind === 'insufficient-capacity' || ctx.fault?.kind === 'operation-failed';
  applyDesired(ctx, pool, desired, 'a user request explicitly set group desired capacity', { noCapacity });
  return undefined;
}

function terminateInstanceInAutoScalingGroup(ctx: RequestContext, params: QueryParams): XmlObject {
  const instanceId = required(params, 'InstanceId', 'instanceId');
  const decrement = boolParam(params, 'ShouldDecrementDesiredCapacity', 'shouldDecrementDesiredCapacity');
  const inst = ctx.world.instance(instanceId);
  const pool = inst ? groups(ctx).find((p) => p.id === inst.poolId) : undefined;
  if (!inst || !pool || inst.state === 'terminated') {
    throw validation(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
  }
  if (decrement && pool.desired <= pool.min) {
    throw validation(
      `Currently, desiredSize equals minSize (${pool.min}). Terminating instance without replacement will violate group's min size constraint. ` +
        "Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
    );
  }
  const previous = pool.desired;
  ctx.world.terminateInstance(instanceId, { decrementDesired: decrement });
  const at = ctx.world.nowIso();
  const a = activity(ctx, pool, {
    Description: `Terminating EC2 instance: ${instanceId}`,
    Cause: decrement
      ? `At ${at} instance ${instanceId} was taken out of service in response to a user request, shrinking the capacity from ${previous} to ${pool.desired}.`
      : `At ${at} instance ${instanceId} was taken out of service in response to a user request.`,
    StatusCode: 'InProgress',
    Progress: 0,
    Details: JSON.stringify({ 'Subnet ID': subnetOf(pool, inst.zone), 'Availability Zone': inst.zone }),
  });
  return { Activity: { ...a } };
}

function describeScalingActivities(ctx: RequestContext, params: QueryParams): XmlObject {
  const name = params.AutoScalingGroupName;
  let list: ScalingActivity[];
  if (name) {
    requireGroup(ctx, name);
    list = [...(ctx.state.activities.get(name) ?? [])];
  } else {
    list = [...ctx.state.activities.values()].flat();
  }
  const ids = listParam(params, 'ActivityIds.member');
  if (ids.length) list = list.filter((a) => ids.includes(a.ActivityId));
  // Kept oldest first (a stable sort keeps the order of activities started at the same time); sent newest first.
  const newestFirst = list.sort((a, b) => a.StartTime.localeCompare(b.StartTime)).reverse();
  const size = pageSize(ctx, intParam(params, 'MaxRecords', 'maxRecords', { min: 1, max: 100 }), 100);
  const p = page('DescribeScalingActivities', newestFirst, offsetOf('DescribeScalingActivities', params), size);
  return { Activities: p.items.map((a) => ({ ...a })), NextToken: p.nextToken };
}
