/**
 * EC2 Fleet pools (`ec2-fleet`, resource = fleet id). The desired count is the fleet's total target
 * capacity; instances are its active instances, with EC2's view of each. Only `maintain` fleets can be
 * resized (ModifyFleet has no idempotency token and refuses the other types).
 *
 * The fleet's `ExcessCapacityTerminationPolicy` is the adapter's to set: a removal (removeFleetInstance)
 * lowers the target with `no-termination` and ends the chosen instance itself; a lower target asked through
 * setDesired means "the fleet chooses what ends", so a scale-in sends `termination` (the fleet keeps the last
 * policy it was given, and would otherwise end nothing). Targets count instances: fleets with weighted
 * capacity (a unit other than one instance) are not supported.
 */
import {
  type ActiveInstance,
  DescribeFleetInstancesCommand,
  DescribeFleetsCommand,
  type FleetData,
  type Instance,
  ModifyFleetCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CloudError, messageOf } from '../../domain/errors.ts';
import type {
  ObservedInstance,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
} from '../../domain/ports.ts';
import type { AwsClients } from './clients.ts';
import { awsCall, toCloudError } from './errors.ts';
import { allPages, capacityTypeOf, describeTaggedInstances, ec2Lifecycle, withMissing } from './instances.ts';

async function describeFleet(clients: AwsClients, ref: PoolRef, operation: string): Promise<FleetData> {
  const out = await awsCall(operation, () =>
    clients.ec2(ref.location.region).send(new DescribeFleetsCommand({ FleetIds: [ref.resource] })),
  );
  const fleet = out.Fleets?.find((f) => f.FleetId === ref.resource);
  if (!fleet || fleet.FleetState?.startsWith('deleted')) {
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `fleet ${ref.resource} does not exist${fleet ? ` (${fleet.FleetState})` : ''}`,
    });
  }
  return fleet;
}

function defaultCapacityType(fleet: FleetData): 'spot' | 'on-demand' | 'reserved' {
  const t = fleet.TargetCapacitySpecification?.DefaultTargetCapacityType;
  if (t === 'spot') return 'spot';
  if (t === 'capacity-block') return 'reserved';
  return 'on-demand';
}

function requireMaintain(fleet: FleetData, ref: PoolRef, operation: string): void {
  if (fleet.Type !== 'maintain') {
    throw new CloudError({
      kind: 'invalid',
      cloud: 'aws',
      operation,
      message: `fleet ${ref.resource} is of type ${fleet.Type}; only maintain fleets can be modified`,
    });
  }
}

/** The fleet's active instances (all pages). */
async function activeInstances(clients: AwsClients, ref: PoolRef, operation: string): Promise<ActiveInstance[]> {
  return allPages(async (token) => {
    const r = await awsCall(operation, () =>
      clients
        .ec2(ref.location.region)
        .send(new DescribeFleetInstancesCommand({ FleetId: ref.resource, NextToken: token })),
    );
    return { items: r.ActiveInstances ?? [], next: r.NextToken };
  });
}

export async function describeFleetPool(clients: AwsClients, ref: PoolRef, now: Date): Promise<PoolObservation> {
  const operation = `describing aws ec2-fleet ${ref.resource}`;
  // The fleet, its active instances and the instances it tagged, at once.
  const [fleet, active, tagged] = await Promise.all([
    describeFleet(clients, ref, operation),
    activeInstances(clients, ref, operation),
    describeTaggedInstances(clients, ref.location.region, { key: FLEET_TAG, value: ref.resource }, operation),
  ]);
  const ids = active.map((a) => a.InstanceId).filter((id): id is string => !!id);
  const details = await withMissing(clients, ref.location.region, tagged, ids, operation);
  const fallback = defaultCapacityType(fleet);
  const instances: ObservedInstance[] = active
    .filter((a) => a.InstanceId)
    .map((a) => {
      const inst = details.get(a.InstanceId!);
      return {
        id: a.InstanceId!,
        zone: inst?.Placement?.AvailabilityZone,
        instanceType: a.InstanceType ?? inst?.InstanceType,
        capacityType: capacityTypeOf(inst, fallback),
        lifecycle: ec2Lifecycle(inst?.State?.Name, a.InstanceHealth === 'healthy'),
        nodeName: inst?.PrivateDnsName || undefined,
        launchedAt: inst?.LaunchTime?.toISOString(),
      };
    });
  return {
    ref,
    desired: fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0,
    ready: instances.filter((i) => i.lifecycle === 'ready').length,
    instances,
    observedAt: now.toISOString(),
  };
}

export async function setFleetDesired(
  clients: AwsClients,
  ref: PoolRef,
  request: SetDesiredRequest,
): Promise<SetDesiredResult> {
  const operation = `resizing aws ec2-fleet ${ref.resource} to ${request.desired}`;
  // From the observation when there is one (ModifyFleet itself refuses a fleet that is not `maintain`).
  const fleet = request.observed ? undefined : await describeFleet(clients, ref, operation);
  const previous = request.observed?.desired ?? fleet?.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
  if (previous === request.desired) return { desired: previous, previous, unchanged: true };
  if (fleet) requireMaintain(fleet, ref, operation);
  await awsCall(operation, () =>
    clients.ec2(ref.location.region).send(
      new ModifyFleetCommand({
        FleetId: ref.resource,
        TargetCapacitySpecification: { TotalTargetCapacity: request.desired },
        ...(request.desired < previous ? { ExcessCapacityTerminationPolicy: 'termination' as const } : {}),
      }),
    ),
  );
  return { desired: request.desired, previous, unchanged: false };
}

/** The tag EC2 Fleet puts on the instances it launches. */
const FLEET_TAG = 'aws:ec2:fleet-id';
const ENDED_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

function ended(inst: Instance | undefined): boolean {
  return ENDED_STATES.has(inst?.State?.Name ?? '');
}

/** Ending or ended because a TerminateInstances asked for it (EC2's state reason `Client.UserInitiatedShutdown`). */
function terminatedOnRequest(inst: Instance | undefined): boolean {
  return ended(inst) && inst?.StateReason?.Code === 'Client.UserInitiatedShutdown';
}

/**
 * Removes exactly the chosen instance of a `maintain` fleet and lowers the fleet's target by one. EC2 Fleet
 * has no call that does both (lowering the target alone lets the fleet end an instance of its own choosing,
 * per its excess capacity policy), so this takes three steps:
 *
 * 1. Read: DescribeFleets (target T, type), DescribeFleetInstances (the active instances), DescribeInstances
 *    (their states and state reasons; the chosen one's `aws:ec2:fleet-id` tag).
 *    - Neither active in the fleet nor an ended instance tagged with it: `not-found`, nothing changes.
 *    - Ended by a TerminateInstances (`shutting-down`/`terminated`, reason `Client.UserInitiatedShutdown`),
 *      or no longer active and ended: already removed, nothing changes (the target is not lowered again).
 * 2. ModifyFleet: TotalTargetCapacity T-1 with ExcessCapacityTerminationPolicy `no-termination`, so the fleet
 *    ends none of its instances for the lower target. Skipped when the fleet holds more instances than its
 *    target (a removal whose termination failed, a replacement launched ahead by capacity rebalancing): it
 *    then does not replace the chosen one anyway. A failure here changes nothing.
 * 3. TerminateInstances for the chosen instance: the fleet, at its target without it, does not replace it.
 *
 * When step 3 fails (after the SDK's retries), the target is T-1 and the instance still runs: the fleet ends
 * nothing (`no-termination`) and will not replace the instance when it ends (at the end of its spot notice,
 * or when a later call terminates it). The error is TerminateInstances' own, mapped to its kind and code
 * (`unauthorized`/UnauthorizedOperation without `ec2:TerminateInstances`, `transient` after retries,
 * `invalid`/OperationNotPermitted for termination protection), and says the target was lowered. Calling
 * again is safe: the fleet then holds one more than its target, so step 2 is skipped and only the
 * termination is tried again.
 *
 * The steps read and then write the target: the caller serializes removals and resizes of one fleet.
 */
export async function removeFleetInstance(
  clients: AwsClients,
  ref: PoolRef,
  instanceId: string,
  operation: string,
): Promise<void> {
  const region = ref.location.region;
  // The three reads at once (the fleet's instances by its tag; any other asked for by id after).
  const [fleet, activeList, tagged] = await Promise.all([
    describeFleet(clients, ref, operation),
    activeInstances(clients, ref, operation),
    describeTaggedInstances(clients, region, { key: FLEET_TAG, value: ref.resource }, operation),
  ]);
  requireMaintain(fleet, ref, operation);
  const active = new Set(activeList.map((a) => a.InstanceId).filter((id): id is string => !!id));
  const details = await withMissing(clients, region, tagged, [...new Set([...active, instanceId])], operation);
  const inst = details.get(instanceId);
  if (!active.has(instanceId)) {
    const tagged = inst?.Tags?.some((t) => t.Key === FLEET_TAG && t.Value === ref.resource) ?? false;
    if (tagged && ended(inst)) return;
    throw new CloudError({
      kind: 'not-found',
      cloud: 'aws',
      operation,
      message: `instance ${instanceId} is not in fleet ${ref.resource}`,
    });
  }
  if (terminatedOnRequest(inst)) return;

  const target = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
  // Instances the fleet counts: all its active ones but those already terminated on request.
  const held = [...active].filter((id) => !terminatedOnRequest(details.get(id))).length;
  const lowered = held <= target;
  if (lowered) {
    await awsCall(operation, () =>
      clients.ec2(region).send(
        new ModifyFleetCommand({
          FleetId: ref.resource,
          TargetCapacitySpecification: { TotalTargetCapacity: target - 1 },
          ExcessCapacityTerminationPolicy: 'no-termination',
        }),
      ),
    );
  }
  try {
    await clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (e) {
    const mapped = toCloudError(e, operation);
    if (!lowered) throw mapped;
    throw new CloudError({
      kind: mapped.kind,
      cloud: 'aws',
      operation,
      code: mapped.code,
      status: mapped.status,
      message:
        `the fleet's target is lowered to ${target - 1} (no-termination) but TerminateInstances failed: the ` +
        `instance still runs, and the fleet will not replace it when it ends (${messageOf(e)})`,
      cause: e,
    });
  }
}
