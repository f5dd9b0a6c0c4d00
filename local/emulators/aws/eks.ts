/**
 * EKS REST JSON API over the world's `eks-nodegroup` pools (named `cluster/nodegroup`): DescribeNodegroup,
 * UpdateNodegroupConfig, DescribeUpdate and ListUpdates (`updateIds` oldest first, `maxResults` 1-100 with a
 * `nextToken`). An update held `InProgress` (many `eksUpdatePolls`, a world that does not move) leaves the
 * node group `UPDATING` with its old size, as EKS does until the update ends.
 *
 * A config update is a long-running operation: it answers `InProgress`, stays so for
 * `eksUpdatePolls` DescribeUpdate calls (or `eksUpdateSeconds` of world time), then ends. `Successful`
 * applies the scaling config to the world (through the node group's Auto Scaling group, with its scaling
 * activities). An injected `operation-failed` fault makes it end `Failed` with a `NodeCreationFailure` error
 * and nothing applied; `insufficient-capacity` makes it succeed while the group's launches fail (the node
 * group then reports an `AsgInstanceLaunchFailures` health issue). The same `clientRequestToken` returns the
 * same update, as EKS does; a second update while one is in progress is a `ResourceInUseException`.
 * Timestamps are epoch seconds, as the REST JSON protocol sends them.
 */
import type { WorldPool } from '../world.ts';
import { applyDesired } from './autoscaling.ts';
import {
  AwsApiError,
  awsPools,
  createdAtOf,
  eksAsgName,
  type EksUpdate,
  nextId,
  type RequestContext,
  reservationOf,
  subnetOf,
} from './context.ts';
import { page, readPageToken, uuidOf } from './wire.ts';

export interface EksResponse {
  status: number;
  body: unknown;
}

export interface EksRoute {
  operation: string;
  cluster: string;
  nodegroup?: string;
  updateId?: string;
}

/** Maps a method and path onto the operation (`undefined` when no route matches). */
export function eksRoute(method: string, path: string): EksRoute | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'clusters' || parts.length < 3) return undefined;
  const cluster = parts[1]!;
  if (method === 'GET' && parts[2] === 'node-groups' && parts.length === 4) {
    return { operation: 'DescribeNodegroup', cluster, nodegroup: parts[3] };
  }
  if (method === 'POST' && parts[2] === 'node-groups' && parts.length === 5 && parts[4] === 'update-config') {
    return { operation: 'UpdateNodegroupConfig', cluster, nodegroup: parts[3] };
  }
  if (method === 'GET' && parts[2] === 'updates' && parts.length === 3) {
    return { operation: 'ListUpdates', cluster };
  }
  if (method === 'GET' && parts[2] === 'updates' && parts.length === 4) {
    return { operation: 'DescribeUpdate', cluster, updateId: parts[3] };
  }
  return undefined;
}

function epochSeconds(ms: number): number {
  return ms / 1000;
}

function nodegroups(ctx: RequestContext): WorldPool[] {
  return awsPools(ctx).filter((p) => p.kind === 'eks-nodegroup');
}

function requireNodegroup(ctx: RequestContext, cluster: string, nodegroup: string | undefined): WorldPool {
  const inCluster = nodegroups(ctx).filter((p) => p.name.split('/')[0] === cluster);
  if (inCluster.length === 0) {
    throw new AwsApiError(404, 'ResourceNotFoundException', `No cluster found for name: ${cluster}.`, {
      clusterName: cluster,
    });
  }
  const pool = inCluster.find((p) => p.name === `${cluster}/${nodegroup}`);
  if (!pool) {
    throw new AwsApiError(404, 'ResourceNotFoundException', `No node group found for name: ${nodegroup}.`, {
      clusterName: cluster,
      nodegroupName: nodegroup,
    });
  }
  return pool;
}

function invalidParameter(pool: WorldPool, message: string): AwsApiError {
  const [clusterName, nodegroupName] = pool.name.split('/');
  return new AwsApiError(400, 'InvalidParameterException', message, { clusterName, nodegroupName });
}

function capacityTypeOf(ctx: RequestContext, pool: WorldPool): string {
  if (pool.capacityType === 'spot') return 'SPOT';
  if (pool.capacityType === 'reserved' && reservationOf(ctx, pool)?.type === 'capacity-block') return 'CAPACITY_BLOCK';
  return 'ON_DEMAND';
}

function inProgress(ctx: RequestContext, pool: WorldPool): EksUpdate | undefined {
  return [...ctx.state.updates.values()].find((u) => u.poolId === pool.id && u.status === 'InProgress');
}

function nodegroupBody(ctx: RequestContext, pool: WorldPool): unknown {
  const [clusterName, nodegroupName] = pool.name.split('/');
  const created = Date.parse(createdAtOf(ctx, pool));
  const modified = Date.parse(pool.updatedAt);
  return {
    nodegroup: {
      nodegroupName,
      nodegroupArn: `arn:aws:eks:${ctx.region}:${ctx.options.accountId}:nodegroup/${clusterName}/${nodegroupName}/${uuidOf(`ng/${pool.id}`)}`,
      clusterName,
      version: ctx.options.kubernetesVersion,
      releaseVersion: `${ctx.options.kubernetesVersion}.0-20250101`,
      createdAt: epochSeconds(created),
      modifiedAt: epochSeconds(Math.max(created, modified)),
      status: inProgress(ctx, pool) ? 'UPDATING' : 'ACTIVE',
      capacityType: capacityTypeOf(ctx, pool),
      scalingConfig: { minSize: pool.min, maxSize: pool.max, desiredSize: pool.desired },
      instanceTypes: [pool.instanceType],
      subnets: pool.zones.map((z) => subnetOf(pool, z)),
      amiType: 'AL2023_x86_64_NVIDIA',
      nodeRole: `arn:aws:iam::${ctx.options.accountId}:role/${clusterName}-node-role`,
      labels: { ...(pool.tags ?? {}) },
      resources: { autoScalingGroups: [{ name: eksAsgName(pool) }] },
      diskSize: 100,
      health: { issues: ctx.state.nodegroupIssues.get(pool.id) ?? [] },
      updateConfig: { maxUnavailable: 1 },
      tags: { ...(pool.tags ?? {}) },
    },
  };
}

function updateBody(u: EksUpdate): unknown {
  return {
    update: {
      id: u.id,
      status: u.status,
      type: 'ConfigUpdate',
      params: u.params,
      createdAt: epochSeconds(u.createdAt),
      errors: u.errors,
    },
  };
}

/** Ends an update: applies it, or fails it. */
function finish(ctx: RequestContext, u: EksUpdate): void {
  const pool = ctx.world.pool(u.poolId);
  if (!pool) {
    u.status = 'Cancelled';
    return;
  }
  if (u.outcome === 'fail') {
    u.status = 'Failed';
    u.errors = [
      {
        errorCode: 'NodeCreationFailure',
        errorMessage: 'Instances failed to join the kubernetes cluster',
        resourceIds: [eksAsgName(pool)],
      },
    ];
    return;
  }
  const { minSize, maxSize, desiredSize } = u.scaling;
  if (minSize !== undefined || maxSize !== undefined) {
    ctx.world.updatePool(pool.id, { min: minSize ?? pool.min, max: maxSize ?? pool.max });
  }
  if (desiredSize !== undefined) {
    const noCapacity = u.outcome === 'apply-no-capacity';
    applyDesired(
      ctx,
      pool,
      desiredSize,
      `a user request update of AutoScalingGroup constraints to min: ${pool.min}, max: ${pool.max}, desired: ${desiredSize}`,
      { noCapacity },
    );
    if (noCapacity) {
      ctx.state.nodegroupIssues.set(pool.id, [
        {
          code: 'AsgInstanceLaunchFailures',
          message: `Could not launch ${capacityTypeOf(ctx, pool) === 'SPOT' ? 'Spot' : 'On-Demand'} Instances. InsufficientInstanceCapacity - We currently do not have sufficient ${pool.instanceType} capacity in the Availability Zone you requested. Launching EC2 instance failed.`,
          resourceIds: [eksAsgName(pool)],
        },
      ]);
    } else {
      ctx.state.nodegroupIssues.delete(pool.id);
    }
  }
  u.status = 'Successful';
}

/** Ends the updates that have run for their time on the world clock, even if nobody polls them. */
export function progressEksUpdates(ctx: RequestContext): void {
  for (const u of ctx.state.updates.values()) {
    if (u.status === 'InProgress' && ctx.world.now() - u.createdAt >= ctx.options.eksUpdateSeconds * 1000)
      finish(ctx, u);
  }
}

function describeNodegroup(ctx: RequestContext, route: EksRoute): EksResponse {
  const pool = requireNodegroup(ctx, route.cluster, route.nodegroup);
  return { status: 200, body: nodegroupBody(ctx, pool) };
}

function wholeNumber(pool: WorldPool, name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidParameter(pool, `${name} is not valid`);
  return v;
}

function updateNodegroupConfig(ctx: RequestContext, route: EksRoute, body: unknown): EksResponse {
  const pool = requireNodegroup(ctx, route.cluster, route.nodegroup);
  const input = (body ?? {}) as {
    scalingConfig?: Record<string, unknown>;
    clientRequestToken?: unknown;
    labels?: unknown;
    taints?: unknown;
    updateConfig?: unknown;
  };
  const token = typeof input.clientRequestToken === 'string' ? input.clientRequestToken : undefined;
  if (token) {
    const same = [...ctx.state.updates.values()].find((u) => u.poolId === pool.id && u.token === token);
    if (same) return { status: 200, body: updateBody(same) };
  }
  const sc = input.scalingConfig ?? {};
  const scaling = {
    minSize: wholeNumber(pool, 'minSize', sc.minSize),
    maxSize: wholeNumber(pool, 'maxSize', sc.maxSize),
    desiredSize: wholeNumber(pool, 'desiredSize', sc.desiredSize),
  };
  if (
    scaling.minSize === undefined &&
    scaling.maxSize === undefined &&
    scaling.desiredSize === undefined &&
    !input.labels &&
    !input.taints &&
    !input.updateConfig
  ) {
    throw invalidParameter(pool, 'No changes needed');
  }
  const min = scaling.minSize ?? pool.min;
  const max = scaling.maxSize ?? pool.max;
  const desired = scaling.desiredSize ?? pool.desired;
  if (max < 1) throw invalidParameter(pool, 'maxSize is not valid');
  if (desired > max) throw invalidParameter(pool, "desiredSize can't be greater than maxSize");
  if (min > desired)
    throw invalidParameter(pool, `Minimum capacity ${min} can't be greater than desired size ${desired}`);
  const running = inProgress(ctx, pool);
  if (running) {
    const [clusterName, nodegroupName] = pool.name.split('/');
    throw new AwsApiError(
      409,
      'ResourceInUseException',
      `Nodegroup ${nodegroupName} is already being updated (update ${running.id}).`,
      {
        clusterName,
        nodegroupName,
      },
    );
  }
  const params: Array<{ type: string; value: string }> = [];
  if (scaling.minSize !== undefined) params.push({ type: 'MinSize', value: String(scaling.minSize) });
  if (scaling.maxSize !== undefined) params.push({ type: 'MaxSize', value: String(scaling.maxSize) });
  if (scaling.desiredSize !== undefined) params.push({ type: 'DesiredSize', value: String(scaling.desiredSize) });
  const [cluster, nodegroup] = pool.name.split('/') as [string, string];
  const fault = ctx.fault?.kind;
  const update: EksUpdate = {
    id: nextId(ctx, 'eks-update'),
    poolId: pool.id,
    cluster,
    nodegroup,
    token,
    createdAt: ctx.world.now(),
    params,
    scaling,
    pollsLeft: ctx.options.eksUpdatePolls,
    outcome: fault === 'operation-failed' ? 'fail' : fault === 'insufficient-capacity' ? 'apply-no-capacity' : 'apply',
    status: 'InProgress',
    errors: [],
  };
  ctx.state.updates.set(update.id, update);
  return { status: 200, body: updateBody(update) };
}

function describeUpdate(ctx: RequestContext, route: EksRoute, query: URLSearchParams): EksResponse {
  const nodegroup = query.get('nodegroupName') ?? undefined;
  if (nodegroup !== undefined) requireNodegroup(ctx, route.cluster, nodegroup);
  const u = route.updateId ? ctx.state.updates.get(route.updateId) : undefined;
  if (!u || u.cluster !== route.cluster || (nodegroup !== undefined && u.nodegroup !== nodegroup)) {
    throw new AwsApiError(404, 'ResourceNotFoundException', `No update found for ID: ${route.updateId}.`, {
      clusterName: route.cluster,
      nodegroupName: nodegroup,
    });
  }
  if (u.status === 'InProgress') {
    if (u.pollsLeft > 0) u.pollsLeft -= 1;
    else finish(ctx, u);
  }
  return { status: 200, body: updateBody(u) };
}

function listUpdates(ctx: RequestContext, route: EksRoute, query: URLSearchParams): EksResponse {
  const nodegroup = query.get('nodegroupName') ?? undefined;
  if (nodegroup !== undefined) requireNodegroup(ctx, route.cluster, nodegroup);
  else if (!nodegroups(ctx).some((p) => p.name.split('/')[0] === route.cluster)) {
    throw new AwsApiError(404, 'ResourceNotFoundException', `No cluster found for name: ${route.cluster}.`, {
      clusterName: route.cluster,
    });
  }
  const raw = query.get('maxResults');
  const size = raw === null ? 100 : Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new AwsApiError(400, 'InvalidParameterException', 'maxResults must be between 1 and 100', {
      clusterName: route.cluster,
    });
  }
  const ids = [...ctx.state.updates.values()]
    .filter((u) => u.cluster === route.cluster && (nodegroup === undefined || u.nodegroup === nodegroup))
    .map((u) => u.id);
  const offset = readPageToken('ListUpdates', query.get('nextToken') ?? undefined);
  if (offset === undefined) throw new AwsApiError(400, 'InvalidParameterException', 'The nextToken is not valid.');
  const p = page('ListUpdates', ids, offset, size);
  return { status: 200, body: { updateIds: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
}

export function handleEks(ctx: RequestContext, route: EksRoute, query: URLSearchParams, body: unknown): EksResponse {
  progressEksUpdates(ctx);
  switch (route.operation) {
    case 'ListUpdates':
      return listUpdates(ctx, route, query);
    case 'DescribeNodegroup':
      return describeNodegroup(ctx, route);
    case 'UpdateNodegroupConfig':
      return updateNodegroupConfig(ctx, route, body);
    default:
      return describeUpdate(ctx, route, query);
  }
}
