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
 * A Failed VM is `pending`: not serving, and not going away by itself. One the platform could not allocate
 * (`allocationFailureOf`: `ProvisioningState/failed/AllocationFailed` or another capacity code, and it never ran)
 * is not an instance at all: it is left out of `instances` (the pool did not launch it, so the decision counts it
 * short, as for a seat an EC2 Fleet could not fill) and reported per zone in `launchFailures` (the decision backs
 * the offering off at once, as on a launch-failure notice). Compute does not retry such a VM; a scale-in deletes
 * it first (below), so it is gone after the decision that cancels it.
 * Capacity type: priority Spot (or legacy Low) -> spot; a capacity reservation group -> reserved; else on-demand.
 * Zones are reported as `{region}-{n}` (the Kubernetes topology form), unless the pool's own zones use `n`.
 * The VM name `{vmss}_{instanceId}` is the instance id; the computer name is the node name (AKS registers
 * nodes under their hostnames).
 *
 * setDesired PATCHes `sku.capacity` and waits for the async operation (Azure-AsyncOperation); a Failed
 * operation becomes a CloudError with ARM's code (AllocationFailed -> insufficient-capacity). VMSS has no
 * field for the reason, so it is not written. removeInstance uses deleteInstances (which lowers the capacity).
 * A scale-in deletes the VMs that could not be allocated first (`deleteInstances` with their ids: each lowers
 * the capacity by one), then PATCHes the capacity for the rest: lowering the capacity alone lets the scale set
 * choose by its scale-in policy, and it may end a VM that serves while one that never ran stays.
 *
 * Warm capacity (not on Spot scale sets): deallocated VMs. They stay members of the scale set (counted in
 * `sku.capacity`) but bill their disks only. describePool reports them as `warm` (PowerState/deallocated ready
 * to start, deallocating still being stopped), not as instances, and `desired` = capacity - deallocated.
 * setDesired starts deallocated VMs first (`virtualMachineScaleSets.start` with their instance ids, a
 * long-running operation); those that cannot start for capacity (AllocationFailed) stay deallocated, and the
 * capacity is raised for the rest (cold launches); `resumeFailures` says how many. A scale-in that returns
 * VMs to the warm pool (`SetDesiredRequest.toWarm`) deallocates the newest running VMs (`deallocate` with
 * their instance ids) instead of deleting them, then lowers the capacity for the rest. setWarm raises the
 * capacity and deallocates the new VMs once created (`deallocate`), or deletes surplus deallocated VMs.
 */
import { type ComputeManagementClient, isRestError, type VirtualMachineScaleSetVM } from '@azure/arm-compute';
import { CloudError, isCloudError } from '../../domain/errors.ts';
import type {
  CapacityPort,
  CapacityReservation,
  InstanceLifecycle,
  InstanceStatus,
  ObservedInstance,
  OperationProgress,
  PoolObservation,
  PoolRef,
  SetDesiredRequest,
  SetDesiredResult,
  SetWarmRequest,
  SetWarmResult,
  WaitLimit,
  WarmObservation,
} from '../../domain/ports.ts';
import type { CapacityType } from '../../domain/types.ts';
import { fromOperationError, INSUFFICIENT_CAPACITY_CODES, toCloudError } from './errors.ts';
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

function powerOf(vm: ScaleSetVm): string | undefined {
  return (vm.instanceView?.statuses ?? [])
    .find((s) => s.code?.toLowerCase().startsWith('powerstate/'))
    ?.code?.slice('PowerState/'.length)
    .toLowerCase();
}

/** A deallocated VM of a scale set that is not Spot is warm capacity: `ready` to start, or still `warming`. */
export function warmPhaseOf(vm: ScaleSetVm, capacityType: CapacityType): 'ready' | 'warming' | undefined {
  if (capacityType === 'spot' || (vm.provisioningState ?? '').toLowerCase() === 'deleting') return undefined;
  const power = powerOf(vm);
  if (power === 'deallocated') return 'ready';
  if (power === 'deallocating') return 'warming';
  return undefined;
}

/**
 * Power states of a VM whose failed state is not its creation's: it runs (or is starting), or it is deallocated
 * (warm capacity, or a Spot VM evicted to deallocated) and a start of it failed.
 */
const NOT_CREATION_POWER_STATES = new Set(['running', 'starting', 'deallocating', 'deallocated']);

/**
 * The capacity code of a VM the scale set could not allocate: its provisioning failed with one of
 * `INSUFFICIENT_CAPACITY_CODES` (`ProvisioningState/failed/AllocationFailed`) and it is not running. A running
 * VM's failed state is its last operation's (a network update, say), not its allocation's: cluster-autoscaler's
 * Azure provider checks the power state for the same reason (kubernetes/autoscaler #5767). A deallocated VM whose
 * start failed stays what it was (warm capacity that did not resume, reported as such by setDesired).
 */
export function allocationFailureOf(vm: ScaleSetVm): string | undefined {
  if ((vm.provisioningState ?? '').toLowerCase() !== 'failed') return undefined;
  const power = powerOf(vm);
  if (power !== undefined && NOT_CREATION_POWER_STATES.has(power)) return undefined;
  for (const st of vm.instanceView?.statuses ?? []) {
    const m = /^ProvisioningState\/failed\/(.+)$/i.exec(st.code ?? '');
    if (m && INSUFFICIENT_CAPACITY_CODES.has(m[1]!)) return m[1];
  }
  return undefined;
}

export function lifecycleOf(vm: ScaleSetVm, healthExtension: boolean): InstanceLifecycle {
  const provisioning = (vm.provisioningState ?? '').toLowerCase();
  const power = powerOf(vm);
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

interface ScaleSetMembers {
  /** VMs that run (or are being created), deallocated ones left out. */
  running: number;
  /** Instance ids of deallocated VMs, ready to start, lowest first. */
  deallocated: string[];
  /** VMs being deallocated. */
  warming: number;
  /** Every VM's instance id. */
  all: string[];
  /** Instance ids of the VMs that run (or are being created), newest (highest) first. */
  runningIds: string[];
  /** Instance ids of VMs that could not be allocated (counted in `running`: the capacity holds them). */
  failedIds: string[];
}

function warmObservation(warm: Array<{ id: string; phase: 'ready' | 'warming' }>): WarmObservation {
  const ready = warm.filter((w) => w.phase === 'ready').length;
  return {
    target: warm.length,
    ready,
    warming: warm.length - ready,
    state: 'stopped',
    instanceIds: warm.map((w) => w.id),
  };
}

export class AzureCapacity implements CapacityPort {
  readonly cloud = 'azure' as const;
  private readonly deps: AzureCapacityDeps;

  constructor(deps: AzureCapacityDeps) {
    this.deps = deps;
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `describing azure vmss ${a.resourceGroup}/${a.name}`;
    try {
      const client = await this.deps.compute(a.subscription);
      // The scale set and its VMs at once.
      const [vmss, vms] = await Promise.all([
        client.virtualMachineScaleSets.get(a.resourceGroup, a.name),
        (async () => {
          const all: VirtualMachineScaleSetVM[] = [];
          for await (const vm of client.virtualMachineScaleSetVMs.list(a.resourceGroup, a.name, {
            expand: 'instanceView',
          }))
            all.push(vm);
          return all;
        })(),
      ]);
      const capacityType = capacityTypeOf(vmss);
      const health = hasHealthExtension(vmss);
      const region = vmss.location ?? ref.location.region;
      const instances: ObservedInstance[] = [];
      const warm: Array<{ id: string; phase: 'ready' | 'warming' }> = [];
      // VMs the platform could not allocate, per zone: not launched, and the offering is backed off.
      const launchFailures = new Map<string, { zone?: string; code: string }>();
      for (const vm of vms) {
        const failed = allocationFailureOf(vm);
        if (failed) {
          const zone = zoneName(vm.zones?.[0], region, ref.location.zones);
          if (!launchFailures.has(zone ?? ''))
            launchFailures.set(zone ?? '', { ...(zone ? { zone } : {}), code: failed });
          continue;
        }
        const phase = warmPhaseOf(vm, capacityType);
        if (phase) {
          warm.push({ id: vm.name ?? `${a.name}_${vm.instanceId}`, phase });
          continue;
        }
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
        desired: Math.max(0, (vmss.sku?.capacity ?? 0) - warm.length),
        ready: instances.filter((i) => i.lifecycle === 'ready').length,
        instances,
        observedAt: this.deps.now().toISOString(),
        ...(warm.length > 0 ? { warm: warmObservation(warm) } : {}),
        ...(launchFailures.size > 0 ? { launchFailures: [...launchFailures.values()] } : {}),
      };
    } catch (e) {
      throw toCloudError(e, what);
    }
  }

  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `resizing azure vmss ${a.resourceGroup}/${a.name} to ${request.desired}`;
    const started = Date.now();
    const left = () => (request.waitMs === undefined ? undefined : request.waitMs - (Date.now() - started));
    let client: ComputeManagementClient;
    let members: ScaleSetMembers;
    let updating: boolean;
    try {
      client = await this.deps.compute(a.subscription);
      // A pool that keeps warm VMs needs the VM list (to find the deallocated ones), and so does a scale-in (to
      // find VMs that could not be allocated): a scale-out of any other pool, one GET.
      const vmss = await client.virtualMachineScaleSets.get(a.resourceGroup, a.name);
      updating = (vmss.provisioningState ?? '').toLowerCase() === 'updating';
      members =
        ref.warm || request.desired < (vmss.sku?.capacity ?? 0)
          ? await this.members(client, a, vmss)
          : {
              running: vmss.sku?.capacity ?? 0,
              deallocated: [],
              warming: 0,
              all: [],
              runningIds: [],
              failedIds: [],
            };
    } catch (e) {
      throw toCloudError(e, what);
    }
    const previous = members.running;
    // Already asked for (a redelivery, or an invocation that stopped waiting): the scale set is on it, and
    // nothing is started again; while it says Updating, the operation is still pending.
    if (previous === request.desired)
      return { desired: previous, previous, unchanged: true, ...(updating ? { pending: true } : {}) };
    let resumeFailures = 0;
    let operationId: string | undefined;
    if (request.desired > members.running && members.deallocated.length > 0) {
      // Warm first: start deallocated VMs; those that cannot start (capacity) stay deallocated.
      const ids = members.deallocated.slice(0, request.desired - members.running);
      try {
        const resumed = await this.runOperation(
          `${what}: starting deallocated VMs ${ids.join(', ')}`,
          (o) =>
            client.virtualMachineScaleSets.start(a.resourceGroup, a.name, {
              vmInstanceIDs: { instanceIds: ids },
              ...o,
            }),
          left(),
        );
        // Still starting at the deadline: the next call sees them running, or still deallocated, and goes on.
        if (resumed.pending) {
          const { pending, operationId: id, operationUrl } = resumed;
          return { desired: previous, previous, unchanged: false, pending, operationId: id, operationUrl };
        }
        operationId = resumed.operationId;
      } catch (e) {
        if (!(isCloudError(e) && e.kind === 'insufficient-capacity')) throw e;
      }
      try {
        members = await this.members(client, a);
      } catch (e) {
        throw toCloudError(e, what);
      }
      resumeFailures = ids.filter((id) => members.deallocated.includes(id)).length;
      if (members.running === request.desired) {
        return { desired: request.desired, previous, unchanged: false, operationId, resumeFailures };
      }
    }
    /**
     * A scale-in step on chosen VMs: runs it, then reads the members again. What to return when the step is
     * still pending at the deadline or the scale set is down to the count; undefined to go on.
     */
    const scaleInStep = async (
      doing: string,
      start: (o: LroOptions) => Poller<unknown>,
    ): Promise<SetDesiredResult | undefined> => {
      const step = await this.runOperation(doing, start, left());
      operationId = step.operationId;
      if (step.pending) {
        const { pending, operationUrl } = step;
        return { desired: previous, previous, unchanged: false, pending, operationId, operationUrl };
      }
      try {
        members = await this.members(client, a);
      } catch (e) {
        throw toCloudError(e, what);
      }
      return members.running <= request.desired
        ? { desired: members.running, previous, unchanged: false, operationId }
        : undefined;
    };
    if (request.desired < members.running && members.failedIds.length > 0) {
      // VMs that could not be allocated go first: they serve nothing, and Compute does not retry them.
      const ids = members.failedIds.slice(0, members.running - request.desired);
      const done = await scaleInStep(`${what}: deleting VMs ${ids.join(', ')} that could not be allocated`, (o) =>
        client.virtualMachineScaleSets.deleteInstances(a.resourceGroup, a.name, { instanceIds: ids }, o),
      );
      if (done) return done;
    }
    if (request.toWarm && request.toWarm.nodes > 0 && request.desired < members.running) {
      // A scale-in that returns VMs to the warm pool: the newest running VMs are deallocated (they stay members
      // of the scale set, billing their disks only) instead of being deleted; the capacity then drops for the rest.
      const ids = members.runningIds.slice(0, Math.min(request.toWarm.nodes, members.running - request.desired));
      if (ids.length > 0) {
        const done = await scaleInStep(`${what}: deallocating VMs ${ids.join(', ')} back to the warm pool`, (o) =>
          client.virtualMachineScaleSets.deallocate(a.resourceGroup, a.name, {
            vmInstanceIDs: { instanceIds: ids },
            ...o,
          }),
        );
        if (done) return done;
      }
    }
    // The capacity counts deallocated VMs: the running count is what is set beside them.
    const capacity = request.desired + members.deallocated.length + members.warming;
    const update = await this.runOperation(
      what,
      (o) => client.virtualMachineScaleSets.update(a.resourceGroup, a.name, { sku: { capacity } }, o),
      left(),
    );
    const accepted = (update.result?.sku?.capacity ?? capacity) - members.deallocated.length - members.warming;
    return {
      desired: accepted,
      previous,
      unchanged: false,
      operationId: update.operationId ?? operationId,
      ...(update.operationUrl ? { operationUrl: update.operationUrl } : {}),
      ...(update.pending ? { pending: true } : {}),
      ...(resumeFailures > 0 ? { resumeFailures } : {}),
    };
  }

  /**
   * Keeps `size` deallocated VMs: more are made by raising the capacity and deallocating the new VMs once the
   * update is done (they are created with the model's image, then stopped); fewer by deleting the newest.
   */
  async setWarm(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `setting the deallocated VMs of azure vmss ${a.resourceGroup}/${a.name} to ${request.size}`;
    const started = Date.now();
    const left = () => (request.waitMs === undefined ? undefined : request.waitMs - (Date.now() - started));
    if (request.state !== 'stopped' || !Number.isInteger(request.size) || request.size < 0) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'azure',
        operation: what,
        message:
          request.state !== 'stopped'
            ? `a scale set keeps warm VMs deallocated ('stopped'), not ${request.state}`
            : `size must be a whole number >= 0, got ${request.size}`,
      });
    }
    let client: ComputeManagementClient;
    let members: ScaleSetMembers;
    let spot: boolean;
    try {
      client = await this.deps.compute(a.subscription);
      spot = capacityTypeOf(await client.virtualMachineScaleSets.get(a.resourceGroup, a.name)) === 'spot';
      members = await this.members(client, a);
    } catch (e) {
      throw toCloudError(e, what);
    }
    if (spot) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'azure',
        operation: what,
        message: 'a Spot scale set keeps no warm VMs',
      });
    }
    const previous = members.deallocated.length + members.warming;
    if (request.size === previous) return { size: previous, previous, unchanged: true };
    if (request.size < previous) {
      const surplus = [...members.deallocated].sort((x, y) => Number(y) - Number(x)).slice(0, previous - request.size);
      if (surplus.length === 0) return { size: previous, previous, unchanged: true };
      const { operationId, operationUrl, pending } = await this.runOperation(
        what,
        (o) => client.virtualMachineScaleSets.deleteInstances(a.resourceGroup, a.name, { instanceIds: surplus }, o),
        left(),
      );
      return { size: previous - surplus.length, previous, unchanged: false, operationId, operationUrl, pending };
    }
    const before = new Set(members.all);
    const capacity = members.all.length + (request.size - previous);
    const raised = await this.runOperation(
      what,
      (o) => client.virtualMachineScaleSets.update(a.resourceGroup, a.name, { sku: { capacity } }, o),
      left(),
    );
    // Still creating at the deadline: the next call finds the new VMs running and deallocates them then.
    if (raised.pending) {
      const { operationId, operationUrl } = raised;
      return { size: previous, previous, unchanged: false, operationId, operationUrl, pending: true };
    }
    let after: ScaleSetMembers;
    try {
      after = await this.members(client, a);
    } catch (e) {
      throw toCloudError(e, what);
    }
    const created = after.all.filter((id) => !before.has(id));
    if (created.length === 0) return { size: previous, previous, unchanged: false };
    const { operationId, operationUrl, pending } = await this.runOperation(
      `${what}: deallocating ${created.join(', ')}`,
      (o) =>
        client.virtualMachineScaleSets.deallocate(a.resourceGroup, a.name, {
          vmInstanceIDs: { instanceIds: created },
          ...o,
        }),
      left(),
    );
    return { size: previous + created.length, previous, unchanged: false, operationId, operationUrl, pending };
  }

  /** The scale set's VMs by instance id: running ones counted, deallocated ones (ready to start) listed. */
  private async members(
    client: ComputeManagementClient,
    a: ScaleSetAddress,
    read?: VirtualMachineScaleSet,
  ): Promise<ScaleSetMembers> {
    const vmss = read ?? (await client.virtualMachineScaleSets.get(a.resourceGroup, a.name));
    const capacityType = capacityTypeOf(vmss);
    const out: ScaleSetMembers = { running: 0, deallocated: [], warming: 0, all: [], runningIds: [], failedIds: [] };
    let listed = 0;
    for await (const vm of client.virtualMachineScaleSetVMs.list(a.resourceGroup, a.name, { expand: 'instanceView' })) {
      listed++;
      const id = vm.instanceId ?? '';
      out.all.push(id);
      const phase = warmPhaseOf(vm, capacityType);
      if (phase === 'ready') out.deallocated.push(id);
      else if (phase === 'warming') out.warming++;
      else if (allocationFailureOf(vm)) out.failedIds.push(id);
      else if (lifecycleOf(vm, false) !== 'terminating') out.runningIds.push(id);
    }
    out.runningIds.sort((x, y) => Number(y) - Number(x));
    out.failedIds.sort((x, y) => Number(y) - Number(x));
    // The capacity may run ahead of the VMs listed (some still being created): running = capacity - warm.
    out.running = Math.max(0, Math.max(vmss.sku?.capacity ?? 0, listed) - out.deallocated.length - out.warming);
    out.deallocated.sort((x, y) => Number(x) - Number(y));
    return out;
  }

  /**
   * What Compute says now of VMs an interruption notice names: the scale set's priority (Spot or not) and each
   * VM's instance view (`virtualMachineScaleSetVMs.getInstanceView`: its provisioning and power state). A VM
   * the scale set does not have (404, or a name of another scale set) is not found. A Spot VM being evicted
   * shows `Deleting` or `PowerState/deallocating`, what a Preempt announces; nothing here is `ended`, since
   * a VM that has gone is no longer in the scale set at all.
   */
  async instanceStatus(ref: PoolRef, instances: ReadonlyArray<{ id: string }>): Promise<InstanceStatus[]> {
    const a = addressOf(ref, this.deps.defaultSubscription);
    const what = `reading the status of ${instances.map((i) => i.id).join(', ')} in azure vmss ${a.resourceGroup}/${a.name}`;
    try {
      const client = await this.deps.compute(a.subscription);
      const vmss = await client.virtualMachineScaleSets.get(a.resourceGroup, a.name);
      const priority = vmss.virtualMachineProfile?.priority ?? 'Regular';
      const spot = capacityTypeOf(vmss) === 'spot';
      return await Promise.all(
        instances.map(async ({ id: name }): Promise<InstanceStatus> => {
          const id = name.startsWith(`${a.name}_`) ? name.slice(a.name.length + 1) : name;
          if (!/^\d+$/.test(id)) return { id: name, found: false };
          let view: Awaited<ReturnType<ComputeManagementClient['virtualMachineScaleSetVMs']['getInstanceView']>>;
          try {
            view = await client.virtualMachineScaleSetVMs.getInstanceView(a.resourceGroup, a.name, id);
          } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return { id: name, found: false };
            throw e;
          }
          const codes = (view.statuses ?? []).map((s) => s.code ?? '');
          const power = codes.find((c) => c.toLowerCase().startsWith('powerstate/'));
          const provisioning = codes.find((c) => c.toLowerCase().startsWith('provisioningstate/'));
          return {
            id: name,
            found: true,
            ...(power ? { state: power } : provisioning ? { state: provisioning } : {}),
            spot,
            detail: `priority ${priority}${provisioning ? `, ${provisioning}` : ''}`,
          };
        }),
      );
    } catch (e) {
      throw toCloudError(e, what);
    }
  }

  async removeInstance(ref: PoolRef, instanceId: string, limit?: WaitLimit): Promise<OperationProgress> {
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
      const { operationId, operationUrl, pending } = await this.runOperation(
        what,
        (o) => client.virtualMachineScaleSets.deleteInstances(a.resourceGroup, a.name, { instanceIds: [id] }, o),
        limit?.waitMs,
      );
      return { operationId, operationUrl, pending };
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
   * ARM error code. With `waitMs` (the invocation's deadline) shorter than that, polling stops once it has
   * passed and the operation is returned `pending` with its Azure-AsyncOperation URL: the scale set goes on
   * with it (and says `Updating` meanwhile). The budget counts from the call but never cuts the write itself:
   * until ARM has answered it, nobody knows whether it was accepted.
   */
  private async runOperation<T>(
    what: string,
    start: (options: LroOptions) => Poller<T>,
    waitMs?: number,
  ): Promise<{ result?: T; operationId?: string; operationUrl?: string; pending?: boolean }> {
    let statusUrl: string | undefined;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.deps.poll.timeoutMs);
    const budget = waitMs !== undefined && waitMs < this.deps.poll.timeoutMs ? Math.max(0, waitMs) : undefined;
    let over = false;
    let cut = false;
    const stopWaiting = () => {
      cut = true;
      abort.abort();
    };
    const budgetTimer =
      budget === undefined
        ? undefined
        : setTimeout(() => {
            over = true;
            if (statusUrl) stopWaiting();
          }, budget);
    const operationId = () => (statusUrl ? new URL(statusUrl).pathname.split('/').pop() : undefined);
    const progress = () => ({
      ...(operationId() ? { operationId: operationId() } : {}),
      ...(statusUrl ? { operationUrl: statusUrl } : {}),
    });
    try {
      const poller = start({
        updateIntervalInMs: this.deps.poll.intervalMs,
        abortSignal: abort.signal,
        onResponse: (response) => {
          statusUrl ??= response.headers.get('azure-asyncoperation') ?? undefined;
          // The write was answered after the budget ran out: stop at its answer, polling nothing.
          if (over && statusUrl && !cut) queueMicrotask(stopWaiting);
        },
      });
      const result = await poller.pollUntilDone();
      return { result, ...progress() };
    } catch (e) {
      if (cut) return { ...progress(), pending: true };
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
      clearTimeout(budgetTimer);
    }
  }
}
