/**
 * CapacityPort for GCP managed instance groups: zonal (`gcp-mig`) and regional (`gcp-regional-mig`).
 *
 * - describePool: `instanceGroupManagers.get` (targetSize) and `listManagedInstances` (every page), each
 *   instance's lifecycle from its status, current action and health (mapping.ts), its capacity type and
 *   machine type from its instance template (templates are immutable, so each is read once per process).
 * - setDesired: `get`, then `resize` with a requestId and `operations.wait` until DONE.
 * - removeInstance: `deleteInstances` (which also lowers targetSize by one) and wait.
 * - listReservations: `reservations.aggregatedList`, the zones of the region.
 *
 * - setWarm: the standby pool (standby.ts): `patch` of the standby policy and target, and its operation.
 * - A scale-out of a pool that keeps standby VMs starts them first (standby.ts): `startInstances` (or
 *   `resumeInstances`) of ready standby VMs, which raises targetSize and lowers targetStoppedSize
 *   (targetSuspendedSize) by as many, then `resize` for the rest; a VM that could not start for capacity stays
 *   parked and is counted in `resumeFailures`, its share created new by the resize.
 * - A scale-in that returns VMs to the standby pool (`SetDesiredRequest.toWarm`): `stopInstances` (or
 *   `suspendInstances`) of chosen running VMs, which lowers targetSize and raises targetStoppedSize
 *   (targetSuspendedSize) by as many (the API reference of both methods), then `resize` for the rest.
 *
 * A MIG has no room for a reason (no labels): `SetDesiredRequest.reason` is not sent.
 */
import { randomUUID } from 'node:crypto';
import { CloudError, isNotFound } from '../../domain/errors.ts';
import type { WarmState } from '../../domain/warm.ts';
import type {
  CapacityPort,
  CapacityReservation,
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
} from '../../domain/ports.ts';
import { CAPACITY_TYPES, type CapacityType } from '../../domain/types.ts';
import { type ComputeClients, type google, NO_SDK_RETRY } from './clients.ts';
import { INSUFFICIENT_CAPACITY_CODES, toCloudError } from './errors.ts';
import {
  capacityTypeOfTemplate,
  failedCreationCodes,
  isFailedCreation,
  lifecycleOf,
  machineTypeName,
  parseInstanceUrl,
  parseTemplateUrl,
  requestIdFor,
} from './mapping.ts';
import { isPending, type OperationScope, type PollOptions, waitForOperation } from './operations.ts';
import { type RetryOptions, withRetry } from './retry.ts';
import { hasStandby, parkedState, standbyMatches, standbyPatch, standbyPhase, warmOf } from './standby.ts';

type Mig = google.cloud.compute.v1.IInstanceGroupManager;
type ManagedInstance = google.cloud.compute.v1.IManagedInstance;
type Operation = google.cloud.compute.v1.IOperation;
/** What the group's standby methods do to VMs (`standbyAction`). */
type StandbyAction = 'start' | 'resume' | 'stop' | 'suspend';
/** Any of those methods, as `standbyAction` calls it. */
type StandbyCall = (request: object, options: typeof NO_SDK_RETRY) => Promise<[{ latestResponse: unknown }]>;

/** A MIG's address: project and either a zone (zonal) or a region (regional). */
export type MigLocation = OperationScope & { name: string };

/** Largest MIG Compute allows: 1,000 VMs zonal, 2,000 regional. */
const MAX_SIZE = { zonal: 1000, regional: 2000 } as const;

export interface GcpCapacityOptions {
  clients: ComputeClients;
  /** Project for pools whose ref has no `scope`. */
  project?: string;
  retry: RetryOptions;
  poll: PollOptions;
  /** Page size of listManagedInstances (Compute allows up to 500). */
  pageSize: number;
  clock: () => number;
}

interface TemplateInfo {
  capacityType: CapacityType;
  machineType?: string;
}

export class GcpCapacity implements CapacityPort {
  readonly cloud = 'gcp' as const;
  private readonly o: GcpCapacityOptions;
  private readonly templates = new Map<string, Promise<TemplateInfo>>();

  constructor(options: GcpCapacityOptions) {
    this.o = options;
  }

  /**
   * Builds the Compute clients a decision uses, calling nothing: construction parses the SDK's protos.json
   * (about 0.9 s in a bundled function, measured by bench/coldstart.ts), which would otherwise fall on the
   * first decision. Called during init by functions that keep warm containers.
   */
  async preload(): Promise<void> {
    const c = this.o.clients;
    await Promise.all([c.zonalMigs(), c.regionalMigs(), c.zoneOperations(), c.regionOperations(), c.instances()]);
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    const loc = this.locate(ref, 'describing');
    const what = `describing gcp mig ${loc.name}`;
    const [mig, managed] = await Promise.all([this.getMig(loc, what), this.listManaged(loc, what)]);
    const fallbackTemplate = mig.instanceTemplate || mig.versions?.[0]?.instanceTemplate || undefined;
    const standby: Array<{ id: string; phase: 'ready' | 'warming' }> = [];
    const withStandby = hasStandby(mig);
    const launchFailures = new Map<string, { zone?: string; code: string }>();
    const real = managed.filter((mi) => {
      if (isFailedCreation(mi)) {
        // Creations the MIG keeps failing for capacity: the zone's offering cannot launch now.
        const code = failedCreationCodes(mi).find((c) => INSUFFICIENT_CAPACITY_CODES.has(c));
        const zone = parseInstanceUrl(mi.instance ?? '').zone || ('zone' in loc ? loc.zone : undefined);
        if (code && !launchFailures.has(zone ?? ''))
          launchFailures.set(zone ?? '', { ...(zone ? { zone } : {}), code });
        return false;
      }
      const phase = withStandby ? standbyPhase(mi) : undefined;
      if (phase) standby.push({ id: mi.name || parseInstanceUrl(mi.instance ?? '').name, phase });
      return phase === undefined;
    });
    const urls = new Set<string>();
    for (const mi of real) {
      const url = mi.version?.instanceTemplate || fallbackTemplate;
      if (url) urls.add(url);
    }
    const info = new Map<string, TemplateInfo>();
    await Promise.all([...urls].map(async (url) => info.set(url, await this.template(url, what))));
    const tagged = ref.tags?.capacityType as CapacityType | undefined;
    const defaultType: CapacityType = tagged && CAPACITY_TYPES.includes(tagged) ? tagged : 'on-demand';
    const instances = real.map((mi): ObservedInstance => {
      const url = mi.instance ?? '';
      const parsed = parseInstanceUrl(url);
      const t = info.get(mi.version?.instanceTemplate || fallbackTemplate || '');
      return {
        id: mi.name || parsed.name,
        zone: parsed.zone,
        instanceType: machineTypeName(mi.propertiesFromFlexibilityPolicy?.machineType) ?? t?.machineType,
        capacityType: t?.capacityType ?? defaultType,
        lifecycle: lifecycleOf(mi),
      };
    });
    return {
      ref,
      desired: mig.targetSize ?? 0,
      ready: instances.filter((i) => i.lifecycle === 'ready').length,
      instances,
      observedAt: new Date(this.o.clock()).toISOString(),
      ...(withStandby ? { warm: warmOf(mig, standby) } : {}),
      ...(launchFailures.size ? { launchFailures: [...launchFailures.values()] } : {}),
    };
  }

  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    const loc = this.locate(ref, 'resizing');
    const what = `resizing gcp mig ${loc.name} to ${request.desired}`;
    const max = 'zone' in loc ? MAX_SIZE.zonal : MAX_SIZE.regional;
    if (!Number.isInteger(request.desired) || request.desired < 0 || request.desired > max) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'gcp',
        operation: what,
        message: `size must be a whole number from 0 to ${max}`,
      });
    }
    let previous = request.observed?.desired ?? (await this.getMig(loc, what)).targetSize ?? 0;
    if (previous === request.desired) return { desired: previous, previous, unchanged: true };
    const first = previous;
    let resumeFailures = 0;
    if (ref.warm && request.desired > previous) {
      // Standby VMs first. The group's own count (a redelivery may find them started already).
      previous = (await this.getMig(loc, what)).targetSize ?? previous;
      if (previous >= request.desired) {
        return { desired: previous, previous: first, unchanged: previous === first };
      }
      const parked = await this.parkedStandby(loc, what);
      const chosen = parked.slice(0, request.desired - previous);
      let resumed: OperationProgress = {};
      for (const state of ['stopped', 'suspended'] as const) {
        const urls = chosen.filter((c) => c.state === state).map((c) => c.url);
        if (urls.length === 0) continue;
        const key: StandbyAction = state === 'suspended' ? 'resume' : 'start';
        const token = request.idempotencyToken ? requestIdFor(`${request.idempotencyToken}:${key}`) : randomUUID();
        const doing = `${what}: ${state === 'suspended' ? 'resuming' : 'starting'} ${urls.length} standby VM(s)`;
        const op = await withRetry(doing, this.o.retry, () => this.standbyAction(loc, key, urls, token));
        resumed = progressOf(await this.wait(loc, op, doing, request.waitMs));
        if (resumed.pending) return { desired: previous, previous: first, unchanged: false, ...resumed };
      }
      if (chosen.length > 0) {
        // Each VM started raised targetSize by one; one that could not start (capacity) did not.
        const after = (await this.getMig(loc, what)).targetSize ?? previous;
        resumeFailures = Math.max(0, chosen.length - Math.max(0, after - previous));
        previous = after;
        if (previous >= request.desired) {
          return {
            desired: previous,
            previous: first,
            unchanged: false,
            ...resumed,
            ...(resumeFailures > 0 ? { resumeFailures } : {}),
          };
        }
      }
    }
    let stopped: OperationProgress = {};
    if (request.toWarm && request.toWarm.nodes > 0 && request.desired < previous) {
      // A scale-in that returns VMs to the standby pool: stopInstances (suspendInstances) of chosen running VMs
      // lowers targetSize and raises targetStoppedSize (targetSuspendedSize) by as many; a resize ends the rest.
      const n = Math.min(request.toWarm.nodes, previous - request.desired);
      const chosen = await this.runningToStop(loc, what, n);
      if (chosen.length > 0) {
        const token = request.idempotencyToken ? requestIdFor(`${request.idempotencyToken}:standby`) : randomUUID();
        const suspend = request.toWarm.state === 'suspended';
        const doing = `${what}: ${suspend ? 'suspending' : 'stopping'} ${chosen.length} VM(s) into the standby pool`;
        const op = await withRetry(doing, this.o.retry, () =>
          this.standbyAction(loc, suspend ? 'suspend' : 'stop', chosen, token),
        );
        const done = await this.wait(loc, op, doing, request.waitMs);
        stopped = progressOf(done);
        if (stopped.pending) return { desired: previous, previous, unchanged: false, ...stopped };
        previous -= chosen.length;
        if (previous === request.desired) return { desired: previous, previous: first, unchanged: false, ...stopped };
      }
    }
    // The same requestId on every attempt: Compute answers a repeated requestId with the first operation.
    const requestId = request.idempotencyToken ? requestIdFor(request.idempotencyToken) : randomUUID();
    // A redelivery (the same idempotency token) gets the operation the first delivery started, and waits on it.
    const op = await withRetry(what, this.o.retry, () => this.resize(loc, request.desired, requestId));
    const done = await this.wait(loc, op, what, request.waitMs);
    return {
      desired: request.desired,
      previous: first,
      unchanged: false,
      ...progressOf(done),
      ...(resumeFailures > 0 ? { resumeFailures } : {}),
    };
  }

  /** URLs of the group's standby VMs ready to start (stopped) or resume (suspended), in the order listed. */
  private async parkedStandby(loc: MigLocation, what: string): Promise<Array<{ url: string; state: WarmState }>> {
    const managed = await this.listManaged(loc, what);
    return managed
      .filter((mi) => mi.instance && standbyPhase(mi) === 'ready')
      .map((mi) => ({ url: mi.instance!, state: parkedState(mi) }));
  }

  /**
   * One of the four standby methods of the group's client, zonal or regional, on `instances`: `start` (stopped
   * VMs) or `resume` (suspended VMs) out of the standby pool, `stop` or `suspend` into it. The four share their
   * request's shape: the group's address, a requestId and `{ instances }` as the method's request resource
   * (`instanceGroupManagersStartInstancesRequestResource`, `regionInstanceGroupManagers...` for a regional group).
   */
  private async standbyAction(
    loc: MigLocation,
    action: StandbyAction,
    instances: string[],
    requestId: string,
  ): Promise<Operation> {
    const resource = `${action[0]!.toUpperCase()}${action.slice(1)}InstancesRequestResource`;
    const [client, scope, prefix] =
      'zone' in loc
        ? [await this.o.clients.zonalMigs(), { zone: loc.zone }, 'instanceGroupManagers']
        : [await this.o.clients.regionalMigs(), { region: loc.region }, 'regionInstanceGroupManagers'];
    // The four methods of either client take the same request (its resource key aside) and return an LRO.
    const call = client[`${action}Instances`].bind(client) as unknown as StandbyCall;
    const request = { project: loc.project, instanceGroupManager: loc.name, requestId, ...scope };
    const [lro] = await call({ ...request, [`${prefix}${resource}`]: { instances } }, NO_SDK_RETRY);
    return lro.latestResponse as Operation;
  }

  /** URLs of `n` running VMs of the group (not standby, no action under way), the last listed first. */
  private async runningToStop(loc: MigLocation, what: string, n: number): Promise<string[]> {
    const managed = await this.listManaged(loc, what);
    const running = managed.filter(
      (mi) => mi.instance && (mi.currentAction ?? 'NONE') === 'NONE' && mi.instanceStatus === 'RUNNING',
    );
    return running
      .slice(-n)
      .reverse()
      .map((mi) => mi.instance!);
  }

  async setWarm(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
    const loc = this.locate(ref, 'setting the standby pool of');
    const what = `setting the standby pool of gcp mig ${loc.name} to ${request.size} ${request.state}`;
    if (request.state === 'hibernated' || !Number.isInteger(request.size) || request.size < 0) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'gcp',
        operation: what,
        message:
          request.state === 'hibernated'
            ? 'a managed instance group keeps standby VMs stopped or suspended, not hibernated'
            : `size must be a whole number >= 0, got ${request.size}`,
      });
    }
    const mig = await this.getMig(loc, what);
    const previous = (mig.targetStoppedSize ?? 0) + (mig.targetSuspendedSize ?? 0);
    if (standbyMatches(mig, request.size, request.state)) return { size: request.size, previous, unchanged: true };
    const requestId = request.idempotencyToken ? requestIdFor(request.idempotencyToken) : randomUUID();
    const body = standbyPatch(request.size, request.state);
    const op = await withRetry(what, this.o.retry, () => this.patch(loc, body, requestId));
    const done = await this.wait(loc, op, what, request.waitMs);
    return { size: request.size, previous, unchanged: false, ...progressOf(done) };
  }

  /**
   * What Compute says now of instances an interruption notice names (`instances.get` in the zone each was
   * observed in, else the group's zone): its status and whether it runs as spot (`scheduling.provisioningModel`
   * SPOT, or the legacy `preemptible`). A preempted VM goes STOPPING then TERMINATED, what the notice
   * announced, so no status here is `ended`; an instance Compute does not know (404) is not found.
   */
  async instanceStatus(
    ref: PoolRef,
    instances: ReadonlyArray<{ id: string; zone?: string }>,
  ): Promise<InstanceStatus[]> {
    const loc = this.locate(ref, 'reading instances of');
    const c = await this.o.clients.instances();
    return Promise.all(
      instances.map(async ({ id, zone: observed }): Promise<InstanceStatus> => {
        const zone = observed ?? ('zone' in loc ? loc.zone : undefined);
        if (!zone) return { id, found: false };
        const what = `reading gcp instance ${id} in ${zone}`;
        try {
          const inst = await withRetry(what, this.o.retry, async () => {
            const [vm] = await c.get({ project: loc.project, zone, instance: id }, NO_SDK_RETRY);
            return vm;
          });
          const s = inst.scheduling;
          const model = s?.provisioningModel ?? (s?.preemptible ? 'preemptible' : 'STANDARD');
          return {
            id,
            found: true,
            ...(inst.status ? { state: inst.status } : {}),
            spot: s?.provisioningModel === 'SPOT' || s?.preemptible === true,
            detail: `provisioning model ${model}`,
          };
        } catch (e) {
          if (isNotFound(e)) return { id, found: false };
          throw e;
        }
      }),
    );
  }

  async removeInstance(ref: PoolRef, instanceId: string, limit?: WaitLimit): Promise<OperationProgress> {
    const loc = this.locate(ref, 'removing an instance from');
    const what = `removing instance ${instanceId} from gcp mig ${loc.name}`;
    const managed = await this.listManaged(loc, what);
    const mi = managed.find((m) => (m.name || parseInstanceUrl(m.instance ?? '').name) === instanceId);
    if (!mi?.instance) {
      throw new CloudError({
        kind: 'not-found',
        cloud: 'gcp',
        operation: what,
        code: 'notFound',
        message: `no instance ${instanceId} in the group`,
      });
    }
    const url = mi.instance;
    const requestId = randomUUID();
    const op = await withRetry(what, this.o.retry, () => this.deleteInstances(loc, [url], requestId));
    return progressOf(await this.wait(loc, op, what, limit?.waitMs));
  }

  async listReservations(region: string): Promise<CapacityReservation[]> {
    const project = this.o.project;
    const what = `listing gcp reservations in ${region}`;
    if (!project) {
      throw new CloudError({ kind: 'invalid', cloud: 'gcp', operation: what, message: 'no project configured' });
    }
    const c = await this.o.clients.reservations();
    return withRetry(what, this.o.retry, async () => {
      const out: CapacityReservation[] = [];
      const pages = c.aggregatedListAsync(
        { project, maxResults: this.o.pageSize },
        { ...NO_SDK_RETRY, autoPaginate: false },
      );
      for await (const [scope, list] of pages) {
        const zone = scope.startsWith('zones/') ? scope.slice('zones/'.length) : '';
        if (!zone.startsWith(`${region}-`)) continue;
        for (const r of list.reservations ?? []) out.push(toReservation(r, zone));
      }
      return out;
    });
  }

  // ---- calls -------------------------------------------------------------------------------------------

  /** Waits on an operation until DONE, or until `waitMs` (then it is returned still running). */
  private wait(loc: MigLocation, op: Operation, what: string, waitMs: number | undefined): Promise<Operation> {
    return waitForOperation(this.o.clients, loc, op, what, {
      poll: this.o.poll,
      retry: this.o.retry,
      ...(waitMs !== undefined ? { waitMs } : {}),
    });
  }

  private locate(ref: PoolRef, doing: string): MigLocation {
    const project = ref.scope || this.o.project;
    const fail = (message: string) =>
      new CloudError({ kind: 'invalid', cloud: 'gcp', operation: `${doing} gcp mig ${ref.resource}`, message });
    if (ref.kind !== 'gcp-mig' && ref.kind !== 'gcp-regional-mig') throw fail(`pool kind ${ref.kind} is not a GCP MIG`);
    if (!project) throw fail('no project: set the pool scope or the adapter project');
    if (ref.kind === 'gcp-mig') {
      const zone = ref.location.zones[0];
      if (!zone) throw fail('a zonal MIG needs a zone');
      return { project, zone, name: ref.resource };
    }
    if (!ref.location.region) throw fail('a regional MIG needs a region');
    return { project, region: ref.location.region, name: ref.resource };
  }

  private getMig(loc: MigLocation, what: string): Promise<Mig> {
    return withRetry(what, this.o.retry, async () => {
      const base = { project: loc.project, instanceGroupManager: loc.name };
      if ('zone' in loc) {
        const [mig] = await (await this.o.clients.zonalMigs()).get({ ...base, zone: loc.zone }, NO_SDK_RETRY);
        return mig;
      }
      const [mig] = await (await this.o.clients.regionalMigs()).get({ ...base, region: loc.region }, NO_SDK_RETRY);
      return mig;
    });
  }

  /** Every managed instance, page by page (each page retried on its own). */
  private async listManaged(loc: MigLocation, what: string): Promise<ManagedInstance[]> {
    const all: ManagedInstance[] = [];
    let pageToken: string | undefined;
    do {
      const page = await withRetry(what, this.o.retry, () => this.listPage(loc, pageToken));
      all.push(...page.items);
      pageToken = page.next;
    } while (pageToken);
    return all;
  }

  private async listPage(loc: MigLocation, pageToken?: string): Promise<{ items: ManagedInstance[]; next?: string }> {
    const options = { ...NO_SDK_RETRY, autoPaginate: false };
    const base = { project: loc.project, instanceGroupManager: loc.name, maxResults: this.o.pageSize, pageToken };
    if ('zone' in loc) {
      const c = await this.o.clients.zonalMigs();
      const [items, , raw] = await c.listManagedInstances({ ...base, zone: loc.zone }, options);
      return { items, next: raw?.nextPageToken || undefined };
    }
    const c = await this.o.clients.regionalMigs();
    const [items, , raw] = await c.listManagedInstances({ ...base, region: loc.region }, options);
    return { items, next: raw?.nextPageToken || undefined };
  }

  private async resize(loc: MigLocation, size: number, requestId: string): Promise<Operation> {
    const base = { project: loc.project, instanceGroupManager: loc.name, size, requestId };
    if ('zone' in loc) {
      const [lro] = await (await this.o.clients.zonalMigs()).resize({ ...base, zone: loc.zone }, NO_SDK_RETRY);
      return lro.latestResponse as Operation;
    }
    const [lro] = await (await this.o.clients.regionalMigs()).resize({ ...base, region: loc.region }, NO_SDK_RETRY);
    return lro.latestResponse as Operation;
  }

  private async patch(loc: MigLocation, body: Mig, requestId: string): Promise<Operation> {
    const base = { project: loc.project, instanceGroupManager: loc.name, requestId };
    if ('zone' in loc) {
      const c = await this.o.clients.zonalMigs();
      const [lro] = await c.patch({ ...base, zone: loc.zone, instanceGroupManagerResource: body }, NO_SDK_RETRY);
      return lro.latestResponse as Operation;
    }
    const c = await this.o.clients.regionalMigs();
    const [lro] = await c.patch({ ...base, region: loc.region, instanceGroupManagerResource: body }, NO_SDK_RETRY);
    return lro.latestResponse as Operation;
  }

  private async deleteInstances(loc: MigLocation, instances: string[], requestId: string): Promise<Operation> {
    const body = { instances, skipInstancesOnValidationError: false };
    const base = { project: loc.project, instanceGroupManager: loc.name, requestId };
    if ('zone' in loc) {
      const c = await this.o.clients.zonalMigs();
      const [lro] = await c.deleteInstances(
        { ...base, zone: loc.zone, instanceGroupManagersDeleteInstancesRequestResource: body },
        NO_SDK_RETRY,
      );
      return lro.latestResponse as Operation;
    }
    const c = await this.o.clients.regionalMigs();
    const [lro] = await c.deleteInstances(
      { ...base, region: loc.region, regionInstanceGroupManagersDeleteInstancesRequestResource: body },
      NO_SDK_RETRY,
    );
    return lro.latestResponse as Operation;
  }

  /** Capacity and machine type of an instance template, read once per template (templates never change). */
  private template(url: string, what: string): Promise<TemplateInfo> {
    let p = this.templates.get(url);
    if (!p) {
      p = this.readTemplate(url, what);
      this.templates.set(url, p);
      p.catch(() => this.templates.delete(url));
    }
    return p;
  }

  private async readTemplate(url: string, what: string): Promise<TemplateInfo> {
    const t = parseTemplateUrl(url);
    if (!t) throw toCloudError(new Error(`not an instance template URL: ${url}`), what);
    const template = await withRetry(what, this.o.retry, async () => {
      if (t.region) {
        const c = await this.o.clients.regionInstanceTemplates();
        const [tpl] = await c.get({ project: t.project, region: t.region, instanceTemplate: t.name }, NO_SDK_RETRY);
        return tpl;
      }
      const c = await this.o.clients.instanceTemplates();
      const [tpl] = await c.get({ project: t.project, instanceTemplate: t.name }, NO_SDK_RETRY);
      return tpl;
    });
    return {
      capacityType: capacityTypeOfTemplate(template),
      machineType: machineTypeName(template.properties?.machineType),
    };
  }
}

/** What a caller is told of an operation: its name and selfLink, and whether it is still running. */
function progressOf(op: Operation): OperationProgress {
  return {
    ...(op.name ? { operationId: op.name } : {}),
    ...(op.selfLink ? { operationUrl: op.selfLink } : {}),
    ...(isPending(op) ? { pending: true } : {}),
  };
}

function toReservation(r: google.cloud.compute.v1.IReservation, zone: string): CapacityReservation {
  const sku = r.specificReservation;
  const total = Number(sku?.count ?? 0);
  const used = Number(sku?.inUseCount ?? 0);
  return {
    id: r.name ?? '',
    cloud: 'gcp',
    type: 'odcr',
    instanceType: machineTypeName(sku?.instanceProperties?.machineType) ?? '',
    zone,
    total,
    available: Math.max(0, total - used),
    state: r.status === 'READY' ? 'active' : (r.status ?? 'unknown').toLowerCase(),
    startTime: r.creationTimestamp || undefined,
    endTime: r.deleteAtTime || undefined,
  };
}
