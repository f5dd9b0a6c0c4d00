/**
 * CapacityPort for Azure VM scale sets (pool kind `azure-vmss`), through @azure/arm-compute.
 *
 * PoolRef: `resource` is the scale-set name; `scope` is `subscriptionId/resourceGroup` (or just the resource
 * group, in the adapter's default subscription; `/subscriptions/{s}/resourceGroups/{rg}` is accepted too).
 *
 * Observation: `sku.capacity` is the desired count; VMs come from the scale set's VM list with
 * `$expand=instanceView`, all pages. Lifecycle of a VM:
 *   provisioningState Deleting, or power state stopping/stopped/deallocating/deallocated -> terminating
 *   provisioningState Creating or Failed, or power state starting                      -> pending
 *   Succeeded (or Updating) and PowerState/running:
 *     the instance view's vmHealth (Application Health extension / LB probe) says HealthState/healthy -> ready
 *     vmHealth says anything else (initializing, unhealthy, unknown)                                  -> running
 *     no vmHealth, and the scale set has an Application Health extension (not reported yet)          -> running
 *     no vmHealth and no health extension: the cloud cannot know more                                -> ready
 * A Failed VM is `pending`: not serving, and not going away by itself.
 * Capacity type: priority Spot (or legacy Low) -> spot; a capacity reservation group -> reserved; else on-demand.
 * Zones are reported as `{region}-{n}` (the Kubernetes topology form), unless the pool's own zones use `n`.
 * The VM name `{vmss}_{instanceId}` is the instance id; the computer name is the node name (AKS registers
 * nodes under their hostnames).
 *
 * setDesired PATCHes `sku.capacity` and waits for the async operation (Azure-AsyncOperation); a Failed
 * operation becomes a CloudError with ARM's code (AllocationFailed -> insufficient-capacity). VMSS has no
 * field for the reason, so it is not written. removeInstance uses deleteInstances (which lowers the capacity).
 */
import { type ComputeManagementClient, isRestError } from '@azure/arm-compute';
import { CloudError, isCloudError } from '../../domain/errors.ts';
import type {
  CapacityPort,
  CapacityReservation,
  InstanceLifecycle,
  ObservedInstance,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
} from '../../domain/ports.ts';
import type { CapacityType, PoolKind } from '../../domain/types.ts';
import { fromOperationError, toCloudError } from './errors.ts';
import type { OperationErrors } from './pipeline.ts';

type VirtualMachineScaleSet = Awaited<ReturnType<ComputeManagementClient['virtualMachineScaleSets']['get']>>;
type ScaleSetVm = Awaited<ReturnType<ComputeManagementClient['virtualMachineScaleSetVMs']['get']>>;
type CapacityReservationGroup = Awaited<ReturnType<ComputeManagementClient['capacityReservationGroups']['get']>>;
type ArmCapacityReservation = Awaited<ReturnType<ComputeManagementClient['capacityReservations']['get']>>;

/** Options every long-running call takes (update, deleteInstances). */
interface LroOptions {
  updateIntervalInMs: number;
  abortSignal: AbortSignal;
  onResponse: (response: { headers: { get(name: string): string | undefined } }) => void;
}
interface Poller<T> {
  pollUntilDone(): Promise<T>;
}

export interface AzureCapacityDeps {
  compute(subscriptionId: string): Promise<ComputeManagementClient>;
  operationErrors: OperationErrors;
  defaultSubscription?: string;
  poll: { intervalMs: number; timeoutMs: number };
  now(): Date;
}

export interface ScaleSetAddress {
  subscription: string;
  resourceGroup: string;
  name: string;
}

/** Where a pool's scale set is, from its ref. */
export function addressOf(ref: PoolRef, defaultSubscription?: string): ScaleSetAddress {
  const parts = (ref.scope ?? '').split('/').filter(Boolean);
  let subscription: string | undefined;
  let resourceGroup: string | undefined;
  if (
    parts.length === 4 &&
    parts[0]!.toLowerCase() === 'subscriptions' &&
    parts[2]!.toLowerCase() === 'resourcegroups'
  ) {
    [, subscription, , resourceGroup] = parts;
  } else if (parts.length === 2) {
    [subscription, resourceGroup] = parts;
  } else if (parts.length === 1) {
    [subscription, resourceGroup] = [defaultSubscription, parts[0]];
  }
  if (!subscription || !resourceGroup) {
    throw new CloudError({
      kind: 'invalid',
      cloud: 'azure',
      operation: `locating azure vmss ${ref.resource} of pool ${ref.id}`,
      code: 'InvalidPoolScope',
      message: `scope must be 'subscriptionId/resourceGroup' (or a resource group with a default subscription), got '${ref.scope ?? ''}'`,
    });
  }
  return { subscription, resourceGroup, name: ref.resource };
}

const HEALTH_EXTENSION_TYPES = new Set(['applicationhealthlinux', 'applicationhealthwindows']);
const STOPPING_POWER_STATES = new Set(['stopping', 'stopped', 'deallocating', 'deallocated']);

export function capacityTypeOf(vmss: VirtualMachineScaleSet): CapacityType {
  const profile = vmss.virtualMachineProfile;
  const priority = profile?.priority?.toLowerCase();
  if (priority === 'spot' || priority === 'low') return 'spot';
  if (profile?.capacityReservation?.capacityReservationGroup?.id) return 'reserved';
  return 'on-demand';
}

function hasHealthExtension(vmss: VirtualMachineScaleSet): boolean {
  const extensions = vmss.virtualMachineProfile?.extensionProfile?.extensions ?? [];
  return extensions.some((e) => HEALTH_EXTENSION_TYPES.has((e.type ?? '').toLowerCase()));
}

export function lifecycleOf(vm: ScaleSetVm, healthExtension: boolean): InstanceLifecycle {
  const provisioning = (vm.provisioningState ?? '').toLowerCase();
  const statuses = vm.instanceView?.statuses ?? [];
  const power = statuses
    .find((s) => s.code?.toLowerCase().startsWith('powerstate/'))
    ?.code?.slice('PowerState/'.length)
    .toLowerCase();
  if (provisioning === 'deleting' || (power !== undefined && STOPPING_POWER_STATES.has(power))) return 'terminating';
  if (provisioning === 'creating' || provisioning === 'failed' || power === 'starting') return 'pending';
  if (power !== 'running') return provisioning === 'succeeded' && power === undefined ? 'running' : 'pending';
  const health = vm.instanceView?.vmHealth?.status?.code?.toLowerCase();
  if (health !== undefined) return health === 'healthstate/healthy' ? 'ready' : 'running';
  return healthExtension ? 'running' : 'ready';
}

function zoneName(zone: string | undefined, region: string, poolZones: string[]): string | undefined {
  if (!zone) return undefined;
  return poolZones.includes(zone) ? zone : `${region}-${zone}`;
}

const sameRegion = (a: string | undefined, b: string) =>
  (a ?? '').toLowerCase().replace(/\s+/g, '') === b.toLowerCase().replace(/\s+/g, '');

function resourceGroupOf(id: string | undefined): string | undefined {
  return id ? /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] : undefined;
}

export class AzureCapacity implements CapacityPort {
  readonly cloud = 'azure' as const;
  private readonly deps: AzureCapacityDeps;

  constructor(deps: AzureCapacityDeps) {
    this.deps = deps;
  }

  supports(kind: PoolKind): boolean {
    return kind === 'azure-vmss';
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `describing azure vmss ${a.resourceGroup}/${a.name}`;
    try {
      const client = await this.deps.compute(a.subscription);
      const vmss = await client.virtualMachineScaleSets.get(a.resourceGroup, a.name);
      const capacityType = capacityTypeOf(vmss);
      const health = hasHealthExtension(vmss);
      const region = vmss.location ?? ref.location.region;
      const instances: ObservedInstance[] = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(a.resourceGroup, a.name, {
        expand: 'instanceView',
      })) {
        const lifecycle = lifecycleOf(vm, health);
        const nodeName = vm.instanceView?.computerName ?? vm.osProfile?.computerName;
        instances.push({
          id: vm.name ?? `${a.name}_${vm.instanceId}`,
          zone: zoneName(vm.zones?.[0], region, ref.location.zones),
          instanceType: vm.sku?.name ?? vmss.sku?.name,
          capacityType,
          lifecycle,
          ...(nodeName ? { nodeName } : {}),
          ...(vm.timeCreated ? { launchedAt: vm.timeCreated.toISOString() } : {}),
        });
      }
      return {
        ref,
        desired: vmss.sku?.capacity ?? 0,
        ready: instances.filter((i) => i.lifecycle === 'ready').length,
        instances,
        observedAt: this.deps.now().toISOString(),
      };
    } catch (e) {
      throw toCloudError(e, what);
    }
  }

  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `resizing azure vmss ${a.resourceGroup}/${a.name} to ${request.desired}`;
    let client: ComputeManagementClient;
    let previous: number;
    try {
      client = await this.deps.compute(a.subscription);
      previous = (await client.virtualMachineScaleSets.get(a.resourceGroup, a.name)).sku?.capacity ?? 0;
    } catch (e) {
      throw toCloudError(e, what);
    }
    if (previous === request.desired) return { desired: previous, previous, unchanged: true };
    const { result, operationId } = await this.runOperation(what, (o) =>
      client.virtualMachineScaleSets.update(a.resourceGroup, a.name, { sku: { capacity: request.desired } }, o),
    );
    return { desired: result.sku?.capacity ?? request.desired, previous, unchanged: false, operationId };
  }

  async removeInstance(ref: PoolRef, instanceId: string): Promise<void> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `removing ${instanceId} from azure vmss ${a.resourceGroup}/${a.name}`;
    // Accepts the VM name `{vmss}_{instanceId}` (what describePool reports) or the bare instance id.
    const id = instanceId.startsWith(`${a.name}_`) ? instanceId.slice(a.name.length + 1) : instanceId;
    let client: ComputeManagementClient;
    try {
      client = await this.deps.compute(a.subscription);
    } catch (e) {
      throw toCloudError(e, what);
    }
    try {
      await this.runOperation(what, (o) =>
        client.virtualMachineScaleSets.deleteInstances(a.resourceGroup, a.name, { instanceIds: [id] }, o),
      );
    } catch (e) {
      // The one parameter is the instance id: Compute answers InvalidParameter ("The provided instanceId 7 is
      // not an active Virtual Machine Scale Set VM instanceId") when the VM is not (or no longer) there.
      if (isCloudError(e) && e.code === 'InvalidParameter') {
        throw new CloudError({
          kind: 'not-found',
          cloud: 'azure',
          operation: what,
          code: e.code,
          status: e.status,
          cause: e.cause,
        });
      }
      throw e;
    }
  }

  /**
   * Capacity reservations of the default subscription in the region, one entry per reservation. `id` is the
   * reservation group's name (what a scale set references); Block reservations are capacity blocks with a
   * schedule, Targeted ones are on-demand reservations (`odcr`). Used = VMs associated with the reservation.
   */
  async listReservations(region: string): Promise<CapacityReservation[]> {
    const what = `listing azure capacity reservations in ${region}`;
    const subscription = this.deps.defaultSubscription;
    if (!subscription) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'azure',
        operation: what,
        code: 'MissingSubscription',
        message: 'no default subscription (subscriptionId option or AZURE_SUBSCRIPTION_ID)',
      });
    }
    try {
      const client = await this.deps.compute(subscription);
      const out: CapacityReservation[] = [];
      for await (const group of client.capacityReservationGroups.listBySubscription()) {
        const rg = resourceGroupOf(group.id);
        if (!sameRegion(group.location, region) || !rg || !group.name) continue;
        for await (const r of client.capacityReservations.listByCapacityReservationGroup(rg, group.name)) {
          out.push(this.reservation(group, r, region));
        }
      }
      return out;
    } catch (e) {
      throw toCloudError(e, what);
    }
  }

  private reservation(group: CapacityReservationGroup, r: ArmCapacityReservation, region: string): CapacityReservation {
    const block = group.reservationType?.toLowerCase() === 'block';
    const total = r.sku.capacity ?? 0;
    const used =
      r.instanceView?.utilizationInfo?.virtualMachinesAllocated?.length ?? r.virtualMachinesAssociated?.length ?? 0;
    const start = r.scheduleProfile?.start ? new Date(r.scheduleProfile.start) : r.timeCreated;
    const end = r.scheduleProfile?.end ? new Date(r.scheduleProfile.end) : undefined;
    const now = this.deps.now().getTime();
    let state = (r.provisioningState ?? 'Succeeded').toLowerCase();
    if (state === 'succeeded') {
      if (block && start && now < start.getTime()) state = 'scheduled';
      else if (block && end && now >= end.getTime()) state = 'expired';
      else state = 'active';
    }
    return {
      id: group.name!,
      cloud: 'azure',
      type: block ? 'capacity-block' : 'odcr',
      instanceType: r.sku.name ?? '',
      zone: zoneName(r.zones?.[0], region, []) ?? region,
      total,
      available: Math.max(0, total - used),
      state,
      ...(start && !Number.isNaN(start.getTime()) ? { startTime: start.toISOString() } : {}),
      ...(end && !Number.isNaN(end.getTime()) ? { endTime: end.toISOString() } : {}),
    };
  }

  /**
   * Runs a long-running operation to its end: polls every `poll.intervalMs` (or what ARM's Retry-After says),
   * gives up after `poll.timeoutMs` with a transient `OperationTimeout`, and maps a Failed operation to its
   * ARM error code.
   */
  private async runOperation<T>(
    what: string,
    start: (options: LroOptions) => Poller<T>,
  ): Promise<{ result: T; operationId?: string }> {
    let statusUrl: string | undefined;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.deps.poll.timeoutMs);
    const operationId = () => (statusUrl ? new URL(statusUrl).pathname.split('/').pop() : undefined);
    try {
      const poller = start({
        updateIntervalInMs: this.deps.poll.intervalMs,
        abortSignal: abort.signal,
        onResponse: (response) => {
          statusUrl ??= response.headers.get('azure-asyncoperation') ?? undefined;
        },
      });
      const result = await poller.pollUntilDone();
      return { result, operationId: operationId() };
    } catch (e) {
      if (abort.signal.aborted) {
        throw new CloudError({
          kind: 'transient',
          cloud: 'azure',
          operation: what,
          code: 'OperationTimeout',
          message: `operation ${operationId() ?? '(not started)'} still running after ${this.deps.poll.timeoutMs} ms`,
          cause: e,
        });
      }
      const failed = this.deps.operationErrors.take(statusUrl);
      if (failed && !isRestError(e)) throw fromOperationError(failed, what, e);
      throw toCloudError(e, what);
    } finally {
      clearTimeout(timer);
    }
  }
}
