/**
 * What EC2 says about a pool's instances (zone, state, how they were bought, node name, launch time), read
 * with DescribeInstances and an `instance-id` filter: unlike `InstanceIds`, a filter does not fail the whole
 * call when one instance has just gone, and it pages.
 *
 * Lifecycle mapping, from the most specific signal the group gives:
 * - EC2 state `pending` -> pending; `shutting-down`/`stopping` -> terminating; `terminated`/`stopped` ->
 *   terminated; `running` -> running, or ready when the group says the instance serves:
 * - EC2 Fleet: `instanceHealth` `healthy` (status checks passed).
 * - Auto Scaling (and the group behind an EKS node group): `LifecycleState` `InService` and `HealthStatus`
 *   `Healthy`; `Pending:Wait` (a launch hook waiting for the node) and `Pending:Proceed` are running;
 *   `Terminating*`, `Detaching`, `Standby*` leave the serving set. Warm-pool instances (`Warmed:*`) are not
 *   part of the group's capacity and are left out by the caller.
 */
import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { InstanceLifecycle } from '../../domain/ports.ts';
import type { CapacityType } from '../../domain/types.ts';
import type { AwsClients } from './clients.ts';
import { awsCall } from './errors.ts';

/** Follows `NextToken` until the last page. An empty token ends the listing too (DescribeSpotPriceHistory sends one). */
export async function allPages<T>(
  fetch: (token: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const { items, next } = await fetch(token);
    out.push(...items);
    if (!next || seen.has(next)) return out;
    seen.add(next);
    token = next;
  }
}

/** Instance ids per DescribeInstances call (the filter's value list is bounded). */
const IDS_PER_CALL = 200;

export async function describeInstances(
  clients: AwsClients,
  region: string,
  ids: string[],
  operation: string,
): Promise<Map<string, Instance>> {
  const out = new Map<string, Instance>();
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const chunk = ids.slice(i, i + IDS_PER_CALL);
    const reservations = await allPages(async (token) => {
      const r = await awsCall(operation, () =>
        clients
          .ec2(region)
          .send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: chunk }], NextToken: token })),
      );
      return { items: r.Reservations ?? [], next: r.NextToken };
    });
    for (const res of reservations)
      for (const inst of res.Instances ?? []) if (inst.InstanceId) out.set(inst.InstanceId, inst);
  }
  return out;
}

/**
 * The instances carrying a tag (the `aws:ec2:fleet-id` EC2 Fleet puts on its instances, the
 * `aws:autoscaling:groupName` of a group's), read at the same time as the group itself: the group's members
 * need not be known first. Members the tag query did not return (just launched) are read by id after.
 */
export async function describeTaggedInstances(
  clients: AwsClients,
  region: string,
  tag: { key: string; value: string },
  operation: string,
): Promise<Map<string, Instance>> {
  const out = new Map<string, Instance>();
  const reservations = await allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }],
          NextToken: token,
        }),
      ),
    );
    return { items: r.Reservations ?? [], next: r.NextToken };
  });
  for (const res of reservations)
    for (const inst of res.Instances ?? []) if (inst.InstanceId) out.set(inst.InstanceId, inst);
  return out;
}

/** `details` with the members it lacks read by id (none when the tag query returned them all). */
export async function withMissing(
  clients: AwsClients,
  region: string,
  details: Map<string, Instance>,
  ids: string[],
  operation: string,
): Promise<Map<string, Instance>> {
  const missing = ids.filter((id) => !details.has(id));
  if (!missing.length) return details;
  for (const [id, inst] of await describeInstances(clients, region, missing, operation)) details.set(id, inst);
  return details;
}

export function ec2Lifecycle(state: string | undefined, serving: boolean): InstanceLifecycle {
  switch (state) {
    case 'pending':
      return 'pending';
    case 'running':
      return serving ? 'ready' : 'running';
    case 'shutting-down':
    case 'stopping':
      return 'terminating';
    case 'terminated':
    case 'stopped':
      return 'terminated';
    default:
      return serving ? 'ready' : 'pending';
  }
}

export function asgLifecycle(lifecycleState: string | undefined, healthStatus: string | undefined): InstanceLifecycle {
  const s = lifecycleState ?? '';
  if (s === 'InService') return healthStatus === 'Healthy' ? 'ready' : 'running';
  if (s === 'Pending') return 'pending';
  if (s.startsWith('Pending:')) return 'running';
  if (s === 'Terminated') return 'terminated';
  if (
    s.startsWith('Terminating') ||
    s.startsWith('Detach') ||
    s.startsWith('Standby') ||
    s.startsWith('EnteringStandby')
  )
    return 'terminating';
  return 'running';
}

/** Spot, reserved (a capacity reservation or block) or on-demand, from what EC2 says about the instance. */
export function capacityTypeOf(inst: Instance | undefined, fallback: CapacityType): CapacityType {
  if (!inst) return fallback;
  if (inst.InstanceLifecycle === 'spot') return 'spot';
  if (inst.InstanceLifecycle === 'capacity-block' || inst.CapacityReservationId) return 'reserved';
  return 'on-demand';
}
