/**
 * What EC2 says now of instances an interruption notice names (CapacityPort.instanceStatus): their state and
 * whether they run as spot (DescribeInstances, `instance-id` filter: an instance EC2 does not know is simply
 * absent), and, read at the same time, their spot request's status (DescribeSpotInstanceRequests,
 * `instance-id` filter; none for an on-demand instance): `marked-for-termination`, `marked-for-stop` or `marked-for-hibernation` once EC2 has decided to
 * interrupt it, `fulfilled` while it runs undisturbed.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-request-status.html
 */
import { DescribeSpotInstanceRequestsCommand, type SpotInstanceRequest } from '@aws-sdk/client-ec2';
import { isInterruptionCode } from '../../domain/notices.ts';
import type { InstanceStatus, PoolRef } from '../../domain/ports.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';
import { allPages, describeInstances } from './instances.ts';

/** Instance ids per DescribeSpotInstanceRequests call (the filter's value list is bounded). */
const IDS_PER_CALL = 200;

async function spotRequests(
  clients: AwsClients,
  region: string,
  instanceIds: string[],
  operation: string,
): Promise<Map<string, SpotInstanceRequest>> {
  const out = new Map<string, SpotInstanceRequest>();
  for (let i = 0; i < instanceIds.length; i += IDS_PER_CALL) {
    const chunk = instanceIds.slice(i, i + IDS_PER_CALL);
    const requests = await allPages(async (token) => {
      const r = await awsCall(operation, () =>
        clients.ec2(region).send(
          new DescribeSpotInstanceRequestsCommand({
            Filters: [{ Name: 'instance-id', Values: chunk }],
            NextToken: token,
          }),
        ),
      );
      return { items: r.SpotInstanceRequests ?? [], next: r.NextToken };
    });
    // The newest request of an instance wins (a persistent request keeps older ones closed).
    for (const req of requests.sort((a, b) => (a.CreateTime?.getTime() ?? 0) - (b.CreateTime?.getTime() ?? 0)))
      if (req.InstanceId) out.set(req.InstanceId, req);
  }
  return out;
}

export async function instanceStatus(
  clients: AwsClients,
  ref: PoolRef,
  instances: ReadonlyArray<{ id: string }>,
): Promise<InstanceStatus[]> {
  const operation = `reading the status of ${instances.map((i) => i.id).join(', ')} in aws ${ref.kind} ${ref.resource}`;
  const ids = [...new Set(instances.map((i) => i.id))];
  // Both reads at once: a notice is about to take capacity away, and the cordon waits for this check. The
  // spot requests are asked for every id (an on-demand instance simply has none) rather than after learning
  // which instances are spot, which would put one round trip after the other.
  const [found, requests] = await Promise.all([
    describeInstances(clients, ref.location.region, ids, operation),
    spotRequests(clients, ref.location.region, ids, operation),
  ]);
  return instances.map(({ id }): InstanceStatus => {
    const inst = found.get(id);
    if (!inst) return { id, found: false };
    const state = inst.State?.Name;
    const spot = inst.InstanceLifecycle === 'spot';
    const code = requests.get(id)?.Status?.Code;
    // Ended by EC2 taking it back is what the notice said would happen; ended otherwise, it contradicts it.
    const interrupted = inst.StateReason?.Code === 'Server.SpotInstanceTermination';
    return {
      id,
      found: true,
      ...(state ? { state } : {}),
      ended: state === 'terminated' && !interrupted,
      spot,
      ...(spot && code ? { marked: isInterruptionCode(code), detail: code } : {}),
      ...(!spot ? { detail: `instance lifecycle ${inst.InstanceLifecycle ?? 'on-demand'}` } : {}),
    };
  });
}
