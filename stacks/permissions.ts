/**
 * Least-privilege IAM statements per function, from what it uses (`FunctionSpec.uses`) and the configured
 * pools. Every action is named (no `*` in an action); resources are scoped by ARN and, where the service
 * supports it, by the `gpu-autoscaler:managed` tag. A `*` resource appears only for the actions listed in
 * `UNSCOPABLE_ACTIONS`, each with the reason (the Service Authorization Reference lists no resource type
 * for them). Pure: takes strings, returns data, so the offline tests check it directly.
 *
 * SST's `link` would grant `dynamodb:*` on the table and `events:*`-style wildcards on a bus: the stacks
 * never link the table or the bus, they pass these statements as the function's `permissions`.
 */
import { DRAIN_SOURCE } from '../shared/domain/drain-command.ts';
import type { PoolConfig } from '../shared/config/schema.ts';
import type { FunctionSpec } from './function-specs.ts';

export interface Condition {
  test: string;
  variable: string;
  values: string[];
}

/** The shape `sst.aws.Function` accepts in `permissions` (effect defaults to allow). */
export interface Statement {
  actions: string[];
  resources: string[];
  conditions?: Condition[];
}

export interface PolicyContext {
  partition: string;
  account: string;
  tableArn: string;
  busArn: string;
  /** The event `source` the functions publish decisions with (`config.events.source`). */
  eventSource: string;
  /** The function's own dead-letter queue (its asynchronous on-failure destination). */
  deadLetterQueueArn: string;
  pools: readonly PoolConfig[];
}

/** The tag every EC2 Fleet and Auto Scaling group the autoscaler may resize must carry, with value `true`. */
export const MANAGED_TAG = 'gpu-autoscaler:managed';

/**
 * Actions that accept only `*` as resource, with the reason. Anything else with a `*` resource is a bug
 * (the offline tests enforce it).
 */
export const UNSCOPABLE_ACTIONS: Readonly<Record<string, string>> = {
  'ec2:DescribeFleets': 'EC2 Describe* actions support no resource-level permissions',
  'ec2:DescribeFleetInstances': 'EC2 Describe* actions support no resource-level permissions',
  'ec2:DescribeInstances': 'EC2 Describe* actions support no resource-level permissions',
  'ec2:DescribeCapacityReservations': 'EC2 Describe* actions support no resource-level permissions',
  'ec2:DescribeSpotInstanceRequests': 'EC2 Describe* actions support no resource-level permissions',
  'autoscaling:DescribeAutoScalingGroups': 'Auto Scaling Describe* actions support no resource-level permissions',
  'cloudwatch:GetMetricData': 'GetMetricData defines no resource type (metrics are not IAM resources)',
};

export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

const tagged = (): Condition[] => [
  { test: 'StringEquals', variable: `aws:ResourceTag/${MANAGED_TAG}`, values: ['true'] },
];

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function poolsOfKind(pools: readonly PoolConfig[], kind: PoolConfig['kind']): PoolConfig[] {
  return pools.filter((p) => p.kind === kind);
}

/** `cluster/nodegroup` (the config's EKS pool resource) split, or an Error naming the pool. */
function eksNames(pool: PoolConfig): { cluster: string; nodegroup: string } {
  const m = /^([\w-]+)\/([\w-]+)$/.exec(pool.resource);
  if (!m) throw new Error(`pool ${pool.id}: an eks-nodegroup resource is 'cluster/nodegroup', got '${pool.resource}'`);
  return { cluster: m[1]!, nodegroup: m[2]! };
}

function poolStatements(ctx: PolicyContext): Statement[] {
  const { partition, account } = ctx;
  const out: Statement[] = [];

  const fleets = poolsOfKind(ctx.pools, 'ec2-fleet');
  if (fleets.length > 0) {
    out.push({
      actions: ['ec2:ModifyFleet'],
      resources: unique(fleets.map((p) => `arn:${partition}:ec2:${p.region}:${account}:fleet/${p.resource}`)),
      conditions: tagged(),
    });
    // `*`: EC2 Describe* actions support no resource-level permissions.
    out.push({ actions: ['ec2:DescribeFleetInstances', 'ec2:DescribeFleets'], resources: ['*'] });
  }

  const groups = poolsOfKind(ctx.pools, 'auto-scaling-group');
  if (groups.length > 0) {
    out.push({
      actions: ['autoscaling:SetDesiredCapacity'],
      resources: unique(
        groups.map(
          (p) =>
            `arn:${partition}:autoscaling:${p.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${p.resource}`,
        ),
      ),
      conditions: tagged(),
    });
    // `*`: Auto Scaling Describe* actions support no resource-level permissions.
    out.push({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] });
  }

  const nodegroups = poolsOfKind(ctx.pools, 'eks-nodegroup');
  if (nodegroups.length > 0) {
    const names = nodegroups.map((p) => ({ p, ...eksNames(p) }));
    // The node group ARN ends in a UUID EKS assigns at creation: scoped to the named group, any UUID.
    const nodegroupArns = unique(
      names.map(
        ({ p, cluster, nodegroup }) =>
          `arn:${partition}:eks:${p.region}:${account}:nodegroup/${cluster}/${nodegroup}/*`,
      ),
    );
    out.push({ actions: ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'], resources: nodegroupArns });
    // DescribeUpdate authorises on the cluster (required) and the node group the update belongs to; ListUpdates
    // (the update still in progress, picked up rather than started again) on the cluster.
    out.push({
      actions: ['eks:DescribeUpdate', 'eks:ListUpdates'],
      resources: unique([
        ...names.map(({ p, cluster }) => `arn:${partition}:eks:${p.region}:${account}:cluster/${cluster}`),
        ...nodegroupArns,
      ]),
    });
  }

  // `*`: EC2 Describe* actions support no resource-level permissions. Instances map interruption notices to
  // pools, and they and their spot requests' status check each notice; reservations feed placement.
  out.push({
    actions: ['ec2:DescribeCapacityReservations', 'ec2:DescribeInstances', 'ec2:DescribeSpotInstanceRequests'],
    resources: ['*'],
  });
  return out;
}

/**
 * Ending one chosen instance (CapacityPort.removeInstance): an EC2 Fleet's interrupted instance, only
 * instances the configured fleets launched (EC2 tags them `aws:ec2:fleet-id`); a group's, only in the
 * configured groups that carry the managed tag.
 */
function removalStatements(ctx: PolicyContext): Statement[] {
  const { partition, account } = ctx;
  const out: Statement[] = [];
  const fleets = poolsOfKind(ctx.pools, 'ec2-fleet');
  if (fleets.length > 0) {
    out.push({
      actions: ['ec2:TerminateInstances'],
      resources: unique(fleets.map((p) => `arn:${partition}:ec2:${p.region}:${account}:instance/*`)),
      conditions: [
        {
          test: 'StringEquals',
          variable: 'aws:ResourceTag/aws:ec2:fleet-id',
          values: unique(fleets.map((p) => p.resource)),
        },
      ],
    });
  }
  const groups = poolsOfKind(ctx.pools, 'auto-scaling-group');
  if (groups.length > 0) {
    out.push({
      actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
      resources: unique(
        groups.map(
          (p) =>
            `arn:${partition}:autoscaling:${p.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${p.resource}`,
        ),
      ),
      conditions: tagged(),
    });
  }
  return out;
}

/** The IAM statements of one function. */
export function statementsFor(spec: FunctionSpec, ctx: PolicyContext): Statement[] {
  const out: Statement[] = [];
  if (spec.uses.includes('pools')) out.push(...poolStatements(ctx));
  if (spec.uses.includes('remove-instances')) out.push(...removalStatements(ctx));
  if (spec.uses.includes('state')) out.push({ actions: [...TABLE_ACTIONS], resources: [ctx.tableArn] });
  if (spec.uses.includes('publish')) {
    out.push({
      actions: ['events:PutEvents'],
      resources: [ctx.busArn],
      conditions: [{ test: 'StringEquals', variable: 'events:source', values: [ctx.eventSource] }],
    });
  }
  if (spec.uses.includes('hand-off-drains')) {
    out.push({
      actions: ['events:PutEvents'],
      resources: [ctx.busArn],
      conditions: [{ test: 'StringEquals', variable: 'events:source', values: [DRAIN_SOURCE] }],
    });
  }
  // `*`: GetMetricData defines no resource type.
  if (spec.uses.includes('metrics')) out.push({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] });
  // Lambda sends a failed asynchronous invocation to the on-failure destination with the function's role.
  out.push({ actions: ['sqs:SendMessage'], resources: [ctx.deadLetterQueueArn] });
  return out;
}
