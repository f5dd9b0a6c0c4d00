/**
 * EKS managed node group pools (`eks-nodegroup`, resource = `cluster/nodegroup`). The desired count is the
 * node group's `scalingConfig.desiredSize`; instances come from the Auto Scaling groups behind it
 * (`resources.autoScalingGroups`). Resizing is UpdateNodegroupConfig with the idempotency token as
 * `clientRequestToken`, then DescribeUpdate every `intervalMs` until the update is Successful, Failed or
 * Cancelled (or `timeoutMs` passes). A failed update is a `CloudError` carrying the update's errors.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  type ErrorDetail,
  type Nodegroup,
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

export async function setNodegroupDesired(
  clients: AwsClients,
  ref: PoolRef,
  request: SetDesiredRequest,
  poll: PollOptions,
): Promise<SetDesiredResult> {
  const operation = `resizing aws eks-nodegroup ${ref.resource} to ${request.desired}`;
  const { cluster, nodegroup } = splitNodegroup(ref.resource);
  const ng = await describeNodegroup(clients, ref, operation);
  const previous = ng.scalingConfig?.desiredSize ?? 0;
  if (previous === request.desired) return { desired: previous, previous, unchanged: true };
  const eks = clients.eks(ref.location.region);
  const started = await awsCall(operation, () =>
    eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName: cluster,
        nodegroupName: nodegroup,
        scalingConfig: { desiredSize: request.desired },
        clientRequestToken: request.idempotencyToken,
      }),
    ),
  );
  const updateId = started.update?.id;
  if (!updateId)
    throw new CloudError({
      kind: 'transient',
      cloud: 'aws',
      operation,
      message: 'UpdateNodegroupConfig returned no update id',
    });
  const intervalMs = poll.intervalMs ?? 2_000;
  const deadline = Date.now() + (poll.timeoutMs ?? 300_000);
  let update = started.update;
  while (update?.status === 'InProgress' || update?.status === undefined) {
    if (Date.now() >= deadline) {
      throw new CloudError({
        kind: 'transient',
        cloud: 'aws',
        operation,
        code: 'InProgress',
        message: `update ${updateId} still in progress after ${poll.timeoutMs ?? 300_000} ms`,
      });
    }
    await sleep(intervalMs);
    const out = await awsCall(operation, () =>
      eks.send(new DescribeUpdateCommand({ name: cluster, updateId, nodegroupName: nodegroup })),
    );
    update = out.update;
  }
  if (update.status !== 'Successful') throw updateFailure(operation, updateId, update.status, update.errors ?? []);
  return { desired: request.desired, previous, unchanged: false, operationId: updateId };
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
