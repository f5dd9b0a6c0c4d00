/**
 * EKS managed node group pools (`eks-nodegroup`, resource = `cluster/nodegroup`). The desired count is the
 * node group's `scalingConfig.desiredSize`; instances come from the Auto Scaling groups behind it
 * (`resources.autoScalingGroups`). Resizing is UpdateNodegroupConfig with the idempotency token as
 * `clientRequestToken`, then DescribeUpdate every `intervalMs` until the update is Successful, Failed or
 * Cancelled (or `timeoutMs` passes). A failed update is a `CloudError` carrying the update's errors.
 *
 * The wait ends at the caller's `waitMs` too (the invocation's deadline): the update is then returned
 * `pending` with its id. The node group says `UPDATING` until it ends, and keeps its old `desiredSize`
 * meanwhile, so the next decision asks for the same size again: the update already running for that size
 * (ListUpdates, then DescribeUpdate, newest first) is waited on instead of starting another, which EKS
 * would refuse anyway (`ResourceInUseException`). One running for another size is waited on first, within the
 * same limit; still running then, the resize is a `conflict` (retried).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  type EKSClient,
  type ErrorDetail,
  ListUpdatesCommand,
  type Nodegroup,
  type Update,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { CloudError, type CloudErrorKind } from '../../domain/errors.ts';
import type { PoolObservation, PoolRef, SetDesiredRequest, SetDesiredResult } from '../../domain/ports.ts';
import type { CapacityType } from '../../domain/types.ts';
import { groupInstances, removeGroupInstance } from './asg.ts';
import { describeGroups } from './groups.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';

export interface PollOptions {
  /** Between two DescribeUpdate calls (default 2 s). */
  intervalMs?: number;
  /** Longest wait for an update to end (default 5 min). */
  timeoutMs?: number;
}

/** EKS update error codes (ErrorDetail.errorCode) per kind; the rest are transient. */
const UPDATE_ERROR_KINDS: Record<string, CloudErrorKind> = {
  AccessDenied: 'unauthorized',
  OperationNotPermitted: 'unauthorized',
  SubnetNotFound: 'not-found',
  SecurityGroupNotFound: 'not-found',
  VpcIdNotFound: 'not-found',
  K8sResourceNotFound: 'not-found',
  ConfigurationConflict: 'conflict',
  IpNotAvailable: 'insufficient-capacity',
  InsufficientFreeAddresses: 'insufficient-capacity',
  EniLimitReached: 'insufficient-capacity',
  InsufficientNumberOfReplicas: 'insufficient-capacity',
};

export function splitNodegroup(resource: string): { cluster: string; nodegroup: string } {
  const i = resource.indexOf('/');
  if (i <= 0 || i === resource.length - 1) {
    throw new CloudError({
      kind: 'invalid',
      cloud: 'aws',
      operation: `reading eks node group ${resource}`,
      message: 'expected cluster/nodegroup',
    });
  }
  return { cluster: resource.slice(0, i), nodegroup: resource.slice(i + 1) };
}

async function describeNodegroup(clients: AwsClients, ref: PoolRef, operation: string): Promise<Nodegroup> {
  const { cluster, nodegroup } = splitNodegroup(ref.resource);
  const out = await awsCall(operation, () =>
    clients
      .eks(ref.location.region)
      .send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup })),
  );
  if (!out.nodegroup)
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `node group ${ref.resource} does not exist`,
    });
  return out.nodegroup;
}

function capacityTypeOf(ng: Nodegroup): CapacityType {
  if (ng.capacityType === 'SPOT') return 'spot';
  if (ng.capacityType === 'CAPACITY_BLOCK') return 'reserved';
  return 'on-demand';
}

function groupNames(ng: Nodegroup): string[] {
  return (ng.resources?.autoScalingGroups ?? []).map((g) => g.name).filter((n): n is string => !!n);
}

export async function describeNodegroupPool(clients: AwsClients, ref: PoolRef, now: Date): Promise<PoolObservation> {
  const operation = `describing aws eks-nodegroup ${ref.resource}`;
  const ng = await describeNodegroup(clients, ref, operation);
  const names = groupNames(ng);
  const groups = names.length ? await describeGroups(clients, ref.location.region, names, operation) : [];
  const instances = await groupInstances(clients, ref.location.region, groups, capacityTypeOf(ng), operation);
  return {
    ref,
    desired: ng.scalingConfig?.desiredSize ?? 0,
    ready: instances.filter((i) => i.lifecycle === 'ready').length,
    min: ng.scalingConfig?.minSize,
    max: ng.scalingConfig?.maxSize,
    instances,
    observedAt: now.toISOString(),
  };
}

function updateFailure(operation: string, updateId: string, status: string, errors: ErrorDetail[]): CloudError {
  const first = errors[0];
  const kind: CloudErrorKind =
    status === 'Cancelled' ? 'conflict' : (UPDATE_ERROR_KINDS[first?.errorCode ?? ''] ?? 'transient');
  const detail = errors
    .map((e) => `${e.errorCode}: ${e.errorMessage}${e.resourceIds?.length ? ` (${e.resourceIds.join(', ')})` : ''}`)
    .join('; ');
  return new CloudError({
    kind,
    cloud: 'aws',
    operation,
    code: first?.errorCode ?? status,
    message: `update ${updateId} ${status.toLowerCase()}${detail ? `: ${detail}` : ''}`,
    cause: errors,
  });
}

/** The size an update sets (its `DesiredSize` parameter), when it sets one. */
function desiredOf(update: Update): number | undefined {
  const p = update.params?.find((x) => x.type === 'DesiredSize');
  return p?.value === undefined ? undefined : Number(p.value);
}

/** Updates of the node group looked at when one is running: the newest ones (ListUpdates lists oldest first). */
const RECENT_UPDATES = 25;

/** The node group's update still in progress, if any: ListUpdates (every page), then DescribeUpdate, newest first. */
async function runningUpdate(
  eks: EKSClient,
  cluster: string,
  nodegroup: string,
  operation: string,
): Promise<Update | undefined> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall(operation, () =>
      eks.send(new ListUpdatesCommand({ name: cluster, nodegroupName: nodegroup, nextToken, maxResults: 100 })),
    );
    ids.push(...(page.updateIds ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  for (const updateId of ids.slice(-RECENT_UPDATES).reverse()) {
    const out = await awsCall(operation, () =>
      eks.send(new DescribeUpdateCommand({ name: cluster, updateId, nodegroupName: nodegroup })),
    );
    if (out.update?.status === 'InProgress') return out.update;
  }
  return undefined;
}

/**
 * Polls an update until it ends or `until` (ms, the earlier of the poll timeout and the caller's limit).
 * Returns the update as last seen: still `InProgress` when the time ran out.
 */
async function pollUpdate(
  eks: EKSClient,
  names: { cluster: string; nodegroup: string },
  first: Update,
  until: number,
  intervalMs: number,
  operation: string,
): Promise<Update> {
  let update = first;
  while (update.status === 'InProgress' || update.status === undefined) {
    const left = until - Date.now();
    if (left <= 0) return update;
    await sleep(Math.min(intervalMs, left));
    const out = await awsCall(operation, () =>
      eks.send(new DescribeUpdateCommand({ name: names.cluster, updateId: first.id, nodegroupName: names.nodegroup })),
    );
    if (out.update) update = out.update;
  }
  return update;
}

export async function setNodegroupDesired(
  clients: AwsClients,
  ref: PoolRef,
  request: SetDesiredRequest,
  poll: PollOptions,
): Promise<SetDesiredResult> {
  const operation = `resizing aws eks-nodegroup ${ref.resource} to ${request.desired}`;
  const names = splitNodegroup(ref.resource);
  const { cluster, nodegroup } = names;
  const intervalMs = poll.intervalMs ?? 2_000;
  const timeoutMs = poll.timeoutMs ?? 300_000;
  const started = Date.now();
  const timeout = started + timeoutMs;
  const limit = request.waitMs === undefined ? undefined : started + Math.max(0, request.waitMs);
  const until = Math.min(timeout, limit ?? Number.POSITIVE_INFINITY);
  const ng = await describeNodegroup(clients, ref, operation);
  const previous = ng.scalingConfig?.desiredSize ?? 0;
  const eks = clients.eks(ref.location.region);
  let update: Update | undefined;
  if (ng.status === 'UPDATING') {
    const running = await runningUpdate(eks, cluster, nodegroup, operation);
    if (running?.id && desiredOf(running) === request.desired) {
      // Already asked for (an invocation that stopped waiting, or a redelivery): wait on it, start nothing.
      update = running;
    } else if (running?.id) {
      // Another size is being set: it ends first (EKS runs one update at a time).
      const other = await pollUpdate(eks, names, running, until, intervalMs, operation);
      if (other.status === 'InProgress') {
        throw new CloudError({
          kind: 'conflict',
          cloud: 'aws',
          operation,
          code: 'ResourceInUseException',
          message: `update ${running.id} (to ${desiredOf(running) ?? '?'}) still in progress`,
        });
      }
      return setNodegroupDesired(
        clients,
        ref,
        { ...request, ...remaining(request, started) },
        { ...poll, timeoutMs: timeout - Date.now() },
      );
    }
  }
  if (!update && previous === request.desired) return { desired: previous, previous, unchanged: true };
  if (!update) {
    const out = await awsCall(operation, () =>
      eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName: cluster,
          nodegroupName: nodegroup,
          scalingConfig: { desiredSize: request.desired },
          clientRequestToken: request.idempotencyToken,
        }),
      ),
    );
    update = out.update;
  }
  const updateId = update?.id;
  if (!update || !updateId)
    throw new CloudError({
      kind: 'transient',
      cloud: 'aws',
      operation,
      message: 'UpdateNodegroupConfig returned no update id',
    });
  const last = await pollUpdate(eks, names, update, until, intervalMs, operation);
  if (last.status === 'InProgress' || last.status === undefined) {
    if (limit !== undefined && limit <= timeout)
      return { desired: request.desired, previous, unchanged: false, operationId: updateId, pending: true };
    throw new CloudError({
      kind: 'transient',
      cloud: 'aws',
      operation,
      code: 'InProgress',
      message: `update ${updateId} still in progress after ${timeoutMs} ms`,
    });
  }
  if (last.status !== 'Successful') throw updateFailure(operation, updateId, last.status, last.errors ?? []);
  return { desired: request.desired, previous, unchanged: false, operationId: updateId };
}

/** What is left of the caller's wait limit after `started`. */
function remaining(request: SetDesiredRequest, started: number): { waitMs?: number } {
  return request.waitMs === undefined ? {} : { waitMs: Math.max(0, request.waitMs - (Date.now() - started)) };
}

export async function removeNodegroupInstance(clients: AwsClients, ref: PoolRef, instanceId: string): Promise<void> {
  const operation = `removing instance ${instanceId} from aws eks-nodegroup ${ref.resource}`;
  const ng = await describeNodegroup(clients, ref, operation);
  const groups = await describeGroups(clients, ref.location.region, groupNames(ng), operation);
  const owner = groups.find((g) => g.Instances?.some((i) => i.InstanceId === instanceId));
  if (!owner?.AutoScalingGroupName) {
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `instance ${instanceId} is not in node group ${ref.resource}`,
    });
  }
  await removeGroupInstance(clients, ref.location.region, owner.AutoScalingGroupName, instanceId, operation);
}
