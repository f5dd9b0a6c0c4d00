/**
 * Reading Auto Scaling groups by name (DescribeAutoScalingGroups, every page). An unknown name is left out of
 * the service's answer, so `requireGroup` turns an empty answer into `not-found`.
 */
import { type AutoScalingGroup, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudError } from '../../domain/errors.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import { allPages } from './instances.ts';

export async function describeGroups(
  clients: AwsClients,
  region: string,
  names: string[],
  operation: string,
): Promise<AutoScalingGroup[]> {
  return allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients
        .autoscaling(region)
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names, NextToken: token })),
    );
    return { items: r.AutoScalingGroups ?? [], next: r.NextToken };
  });
}

export async function requireGroup(
  clients: AwsClients,
  region: string,
  name: string,
  operation: string,
): Promise<AutoScalingGroup> {
  const [group] = await describeGroups(clients, region, [name], operation);
  if (!group)
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `auto scaling group ${name} does not exist`,
    });
  return group;
}
