/**
 * A loopback Azure Resource Manager for Microsoft.Compute scale sets, over https with a CA made for the run
 * (the Azure SDK sends bearer tokens over TLS only). The real `@azure/arm-compute` client talks to it.
 *
 * Served (every route needs `Authorization: Bearer ...` and `?api-version=`, like ARM):
 *   GET   /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}
 *   PATCH  same (sku.capacity -> the world's desired count; answers 200 + Azure-AsyncOperation)
 *   GET   .../virtualMachineScaleSets/{vmss}/virtualMachines[?$expand=instanceView]     (paged: nextLink)
 *   GET   .../virtualMachineScaleSets/{vmss}/virtualMachines/{instanceId}[/instanceView]
 *   POST  .../virtualMachineScaleSets/{vmss}/delete  { instanceIds }   (202 + Azure-AsyncOperation + Location)
 *   POST  .../virtualMachineScaleSets/{vmss}/start|deallocate  [{ instanceIds }]   (same; see warm.ts)
 *   GET   /subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{id}[?monitor=true]
 *   GET   /subscriptions/{sub}/providers/Microsoft.Compute/capacityReservationGroups
 *   GET   .../resourceGroups/{rg}/providers/Microsoft.Compute/capacityReservationGroups/{group}/capacityReservations
 *
 * World mapping: see resources.ts (VMSS, VMs, readiness through the application-health `vmHealth`) and
 * reservations.ts. A pool's `scope` is `subscriptionId/resourceGroup`; a pool without one answers in any
 * subscription and resource group. A PATCH of `sku.capacity` sets the world's desired count when the
 * operation is created (a real scale set starts creating VMs while its operation is InProgress); when the
 * world cannot place every VM, the operation ends Failed with ZonalAllocationFailed / AllocationFailed, and
 * each seat it could not fill is listed as a Failed VM until deleted or placed (failed.ts).
 * Deallocated VMs are the world's warm instances (warm.ts): they count in `sku.capacity`, so a PATCH leaves
 * them be and sets the running count to the rest.
 *
 * Faults (`world.faults`, service `arm`, operations `virtualMachineScaleSets.get|update|deleteInstances`,
 * `virtualMachineScaleSetVMs.list|get|getInstanceView`, `operationStatus.get`,
 * `capacityReservationGroups.listBySubscription`, `capacityReservations.listByCapacityReservationGroup`):
 * throttle -> 429 TooManyRequests with Retry-After; server-error -> 500 InternalExecutionError; timeout ->
 * the connection hangs `delayMs` and is dropped; insufficient-capacity -> 409 SkuNotAvailable;
 * operation-failed -> on update/deleteInstances the write is accepted and its operation ends Failed
 * (AllocationFailed / InternalExecutionError) without changing the world, elsewhere 500; conflict -> 409
 * Conflict; unauthorized -> 403 AuthorizationFailed.
 *
 * Retry-After on 429s and on InProgress operations is `retryAfterSeconds` (default 0): the SDK waits what
 * the header says, so 0 keeps clients at their own (test-sized) retry and poll intervals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { World, WorldPool } from '../world.ts';
import { type ArmError, type ArmErrorAnswer, allocationFailed, armErrors, faultAnswer } from './errors.ts';
import { type AsyncOperation, OperationStore } from './operations.ts';
import { reservationGroupsResponse, reservationsResponse } from './reservations.ts';
import { type VmssAddress, scopeOf, uuidFrom, vmInstanceView, vmResource, vmssId, vmssResource } from './resources.ts';
import { testTls } from './tls.ts';
import { capacityOf, warmVmResource } from './warm.ts';
import { FailedVms, failedInstanceView, failedVmResource } from './failed.ts';
import { type RequestTap, tapServer } from '../tap.ts';
import { messageOf } from '../../../shared/domain/errors.ts';

/** Microsoft.Compute api-versions for virtualMachineScaleSets, up to the one @azure/arm-compute 24 sends. */
export const COMPUTE_API_VERSIONS: readonly string[] = [
  '2015-06-15',
  '2016-03-30',
  '2017-03-30',
  '2017-12-01',
  '2018-04-01',
  '2018-06-01',
  '2018-10-01',
  '2019-03-01',
  '2019-07-01',
  '2019-12-01',
  '2020-06-01',
  '2020-12-01',
  '2021-03-01',
  '2021-04-01',
  '2021-07-01',
  '2021-11-01',
  '2022-03-01',
  '2022-08-01',
  '2022-11-01',
  '2023-03-01',
  '2023-07-01',
  '2023-09-01',
  '2024-03-01',
  '2024-07-01',
  '2024-11-01',
  '2025-04-01',
  '2025-11-01',
  '2026-03-01',
];

export interface AzureEmulatorOptions {
  /** An async operation ends on this status poll (default 1: the first poll already says Succeeded/Failed). */
  operationPolls?: number;
  /** VMs per page of the virtualMachines list (default 50). */
  pageSize?: number;
  /** Seconds in Retry-After on 429s and InProgress operations (default 0). */
  retryAfterSeconds?: number;
  /** The only bearer token accepted; default: any non-empty token. */
  token?: string;
  /** api-versions served (default COMPUTE_API_VERSIONS). */
  apiVersions?: readonly string[];
  /** End a scale-out's operation Failed when the world could not place every VM (default true). */
  failOnShortfall?: boolean;
  /**
   * List a Failed VM for each seat of the scale set the world could not fill, as Compute leaves them after an
   * allocation failure (failed.ts; default true). False lists only the VMs that run or are warm.
   */
  listFailedVms?: boolean;
  /** Latency added to every request and a report of each (benchmarks); none by default. */
  tap?: RequestTap;
}

export interface AzureEmulator {
  /** `https://127.0.0.1:{port}`: the ARM endpoint to give the SDK client. */
  endpoint: string;
  /** PEM of the test CA that signed the server certificate: what a client must trust. */
  ca: string;
  /** Changes settings of the running emulator (page size, polls per operation...). */
  configure(patch: AzureEmulatorOptions): void;
  close(): Promise<void>;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: unknown;
  requestId: string;
  apiVersion: string;
}

interface Route {
  /** Operation name for call records and faults (`virtualMachineScaleSets.update`). */
  operation: string;
  /** Resource type named in api-version errors. */
  type: string;
  write: boolean;
  /** RBAC action, for AuthorizationFailed. */
  action: string;
  scope: string;
  /** Whether an injected `operation-failed` becomes a Failed async operation (writes with one). */
  asyncWrite?: boolean;
  serve(ctx: Ctx, failOperation: boolean): void;
}

const VMSS_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/virtualmachinescalesets\/([^/]+)(\/.*)?$/i;
const OPERATION_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;
const CRG_LIST_PATH = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/capacityreservationgroups$/i;
const CR_LIST_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/capacityreservationgroups\/([^/]+)\/capacityreservations$/i;
const WELL_FORMED_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const VMSS_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export async function startAzureEmulator(world: World, options: AzureEmulatorOptions = {}): Promise<AzureEmulator> {
  const settings = {
    operationPolls: 1,
    pageSize: 50,
    retryAfterSeconds: 0,
    failOnShortfall: true,
    listFailedVms: true,
    apiVersions: COMPUTE_API_VERSIONS,
    token: undefined as string | undefined,
    ...options,
  };
  const tls = testTls();
  const ops = new OperationStore();
  const timers = new Set<NodeJS.Timeout>();
  const firstSeen = new Map<string, string>();
  const failedVms = new FailedVms(world);
  const failedOf = (pool: WorldPool) => (settings.listFailedVms ? failedVms.of(pool) : []);
  let requestSeq = 0;
  let endpoint = '';

  // ---- answers -------------------------------------------------------------------------------------------
  function send(
    ctx: Pick<Ctx, 'res' | 'requestId'>,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const { res, requestId } = ctx;
    res.statusCode = status;
    res.sendDate = false;
    res.setHeader('Date', new Date(world.now()).toUTCString());
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expires', '-1');
    res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('x-ms-request-id', requestId);
    res.setHeader('x-ms-correlation-request-id', requestId);
    res.setHeader(
      'x-ms-routing-request-id',
      `EMULATOR:${world.nowIso().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
    );
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body === undefined) {
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', String(Buffer.byteLength(text)));
    res.end(text);
  }
  const sendError = (ctx: Pick<Ctx, 'res' | 'requestId'>, a: ArmErrorAnswer) =>
    send(ctx, a.status, { error: a.error }, a.headers);

  // ---- resources -----------------------------------------------------------------------------------------
  function findVmss(a: VmssAddress): { pool: WorldPool; addr: VmssAddress } | ArmErrorAnswer {
    const candidates = world.allPools().filter((p) => p.cloud === 'azure' && p.kind === 'azure-vmss');
    const inGroup = (p: WorldPool) => {
      const s = scopeOf(p);
      return !s || (same(s.subscription, a.subscription) && same(s.resourceGroup, a.resourceGroup));
    };
    const pool = candidates.find((p) => same(p.name, a.name) && inGroup(p));
    if (!pool) {
      return candidates.some(inGroup)
        ? armErrors.resourceNotFound(VMSS_TYPE, a.name, a.resourceGroup)
        : armErrors.resourceGroupNotFound(a.resourceGroup);
    }
    const s = scopeOf(pool);
    return {
      pool,
      addr: {
        subscription: s?.subscription ?? a.subscription,
        resourceGroup: s?.resourceGroup ?? a.resourceGroup,
        name: pool.name,
      },
    };
  }
  const isAnswer = (x: unknown): x is ArmErrorAnswer => typeof x === 'object' && x !== null && 'error' in x;

  function vmssBody(pool: WorldPool, addr: VmssAddress) {
    const id = vmssId(addr);
    if (!firstSeen.has(id.toLowerCase())) firstSeen.set(id.toLowerCase(), world.nowIso());
    const body = vmssResource(pool, addr, {
      provisioningState: ops.inProgress(id) ? 'Updating' : 'Succeeded',
      timeCreated: firstSeen.get(id.toLowerCase())!,
    });
    // Deallocated VMs are members of the scale set: they count in its capacity.
    (body.sku as { capacity: number }).capacity = capacityOf(pool, world.warmOf(pool.id).length);
    return body;
  }

  function operationUrls(op: AsyncOperation, apiVersion: string) {
    const base = `${endpoint}/subscriptions/${op.subscription}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${uuidFrom(`p:${op.id}`)}`;
    return {
      asyncOperation: `${base}&api-version=${apiVersion}`,
      location: `${base}&monitor=true&api-version=${apiVersion}`,
    };
  }

  // ---- handlers ------------------------------------------------------------------------------------------
  function getVmss(ctx: Ctx, a: VmssAddress) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, found);
    send(ctx, 200, vmssBody(found.pool, found.addr));
  }

  function updateVmss(ctx: Ctx, a: VmssAddress, failOperation: boolean) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, armErrors.patchResourceNotFound(vmssId(a), a.name));
    const { pool, addr } = found;
    if (typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body)) {
      return sendError(ctx, armErrors.invalidRequestContent('the body must be a JSON object'));
    }
    const sku = (ctx.body as { sku?: { capacity?: unknown } }).sku;
    const capacity = sku?.capacity;
    if (
      capacity !== undefined &&
      !(Number.isInteger(capacity) && (capacity as number) >= 0 && (capacity as number) <= 1000)
    ) {
      return sendError(
        ctx,
        armErrors.invalidParameter(
          'sku.capacity',
          `The value ${JSON.stringify(capacity)} of parameter 'sku.capacity' is out of range. The value must be between '0' and '1000', inclusive.`,
        ),
      );
    }
    let error: ArmError | undefined;
    if (failOperation) {
      error = allocationFailed(pool.zones.length > 0);
    } else if (typeof capacity === 'number' && capacity !== capacityOf(pool, world.warmOf(pool.id).length)) {
      // The capacity counts deallocated VMs: the running ones are what is left; below the deallocated count,
      // the newest deallocated VMs go too.
      const warm = world.warmOf(pool.id);
      if (capacity < warm.length) world.deleteWarm(warm.slice(capacity).map((w) => w.id));
      const outcome = world.setDesired(pool.id, Math.max(0, capacity - warm.length));
      if (settings.failOnShortfall && outcome.shortfall > 0) error = allocationFailed(pool.zones.length > 0);
      if (settings.listFailedVms && outcome.shortfall > 0) failedVms.record(pool, outcome.shortfall);
    }
    const op = ops.create({
      subscription: addr.subscription,
      location: pool.region,
      resourceId: vmssId(addr),
      now: world.nowIso(),
      polls: settings.operationPolls,
      error,
    });
    const urls = operationUrls(op, ctx.apiVersion);
    send(ctx, 200, vmssBody(pool, addr), {
      'Azure-AsyncOperation': urls.asyncOperation,
      'Azure-AsyncNotification': 'Enabled',
      'x-ms-ratelimit-remaining-subscription-writes': '1199',
    });
  }

  function listVms(ctx: Ctx, a: VmssAddress) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, found);
    const { pool, addr } = found;
    const expand = ctx.url.searchParams.get('$expand');
    const withView = expand !== null && same(expand, 'instanceView');
    const all = [
      ...world.instancesOf(pool.id).map((inst) => ({
        index: inst.index,
        render: () => vmResource(pool, addr, inst, { instanceView: withView, now: world.now() }),
      })),
      ...world
        .warmOf(pool.id)
        .map((w) => ({ index: w.index, render: () => warmVmResource(pool, addr, w, { instanceView: withView }) })),
      ...failedOf(pool).map((f) => ({
        index: f.index,
        render: () => failedVmResource(pool, addr, f, { instanceView: withView }),
      })),
    ].sort((x, y) => x.index - y.index);
    const skip = Number.parseInt(ctx.url.searchParams.get('$skiptoken') ?? '0', 10) || 0;
    const size = Math.max(1, settings.pageSize);
    const page = all.slice(skip, skip + size);
    const body: Record<string, unknown> = {
      value: page.map((vm) => vm.render()),
    };
    if (skip + size < all.length) {
      const next = new URL(`${endpoint}${vmssId(addr)}/virtualMachines`);
      next.searchParams.set('api-version', ctx.apiVersion);
      if (expand) next.searchParams.set('$expand', expand);
      next.searchParams.set('$skiptoken', String(skip + size));
      body.nextLink = next.toString();
    }
    send(ctx, 200, body);
  }

  function getVm(ctx: Ctx, a: VmssAddress, instanceId: string, viewOnly: boolean) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, found);
    const { pool, addr } = found;
    const inst = world.instancesOf(pool.id).find((i) => String(i.index) === instanceId);
    const warm = world.warmOf(pool.id).find((w) => String(w.index) === instanceId);
    const failed = failedOf(pool).find((f) => String(f.index) === instanceId);
    if (!inst && failed) {
      if (viewOnly) return send(ctx, 200, failedInstanceView(pool, failed));
      const expand = ctx.url.searchParams.get('$expand');
      return send(
        ctx,
        200,
        failedVmResource(pool, addr, failed, { instanceView: expand !== null && same(expand, 'instanceView') }),
      );
    }
    if (!inst && warm) {
      const expand = ctx.url.searchParams.get('$expand');
      const vm = warmVmResource(pool, addr, warm, {
        instanceView: viewOnly || (expand !== null && same(expand, 'instanceView')),
      });
      return send(ctx, 200, viewOnly ? (vm.properties as { instanceView: unknown }).instanceView : vm);
    }
    if (!inst) {
      return sendError(
        ctx,
        armErrors.resourceNotFound(VMSS_TYPE, `${a.name}/virtualMachines/${instanceId}`, a.resourceGroup),
      );
    }
    if (viewOnly) return send(ctx, 200, vmInstanceView(inst, world.now()));
    const expand = ctx.url.searchParams.get('$expand');
    send(
      ctx,
      200,
      vmResource(pool, addr, inst, { instanceView: expand !== null && same(expand, 'instanceView'), now: world.now() }),
    );
  }

  function deleteInstances(ctx: Ctx, a: VmssAddress, failOperation: boolean) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, found);
    const { pool, addr } = found;
    const ids = (ctx.body as { instanceIds?: unknown } | undefined)?.instanceIds;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string')) {
      return sendError(
        ctx,
        armErrors.invalidParameter('instanceIds', "Required parameter 'instanceIds' is missing (null)."),
      );
    }
    const live = world.instancesOf(pool.id);
    const warm = world.warmOf(pool.id);
    const failed = failedOf(pool);
    const victims = [];
    const warmVictims: string[] = [];
    const failedVictims: string[] = [];
    for (const id of ids as string[]) {
      const inst = live.find((i) => String(i.index) === id);
      const w = warm.find((x) => String(x.index) === id);
      if (w) {
        warmVictims.push(w.id);
        continue;
      }
      if (!inst && failed.some((f) => String(f.index) === id)) {
        failedVictims.push(id);
        continue;
      }
      if (!inst) {
        return sendError(
          ctx,
          armErrors.invalidParameter(
            'instanceIds',
            `The provided instanceId ${id} is not an active Virtual Machine Scale Set VM instanceId.`,
          ),
        );
      }
      victims.push(inst);
    }
    let error: ArmError | undefined;
    if (failOperation) error = armErrors.internal().error;
    else {
      for (const v of victims) world.terminateInstance(v.id, { decrementDesired: true });
      world.deleteWarm(warmVictims);
      failedVms.delete(pool, failedVictims);
    }
    acceptOperation(ctx, pool, addr, error, '1198');
  }

  /** 202 Accepted for a long-running VMSS action: its operation (failing with `error`, if any) and its URLs. */
  function acceptOperation(
    ctx: Ctx,
    pool: { region: string },
    addr: VmssAddress,
    error: ArmError | undefined,
    remainingWrites: string,
  ) {
    const op = ops.create({
      subscription: addr.subscription,
      location: pool.region,
      resourceId: vmssId(addr),
      now: world.nowIso(),
      polls: settings.operationPolls,
      error,
    });
    const urls = operationUrls(op, ctx.apiVersion);
    send(ctx, 202, undefined, {
      'Azure-AsyncOperation': urls.asyncOperation,
      Location: urls.location,
      'Retry-After': String(settings.retryAfterSeconds),
      'x-ms-ratelimit-remaining-subscription-writes': remainingWrites,
    });
  }

  /**
   * `start` and `deallocate` of chosen VMs (`{ instanceIds }`; none = every VM): deallocate stops running VMs
   * into the world's warm instances, start resumes deallocated ones. A VM that cannot start for capacity stays
   * deallocated and the operation ends Failed with AllocationFailed, as Compute's does; the others started.
   */
  function powerAction(ctx: Ctx, a: VmssAddress, action: 'start' | 'deallocate', failOperation: boolean) {
    const found = findVmss(a);
    if (isAnswer(found)) return sendError(ctx, found);
    const { pool, addr } = found;
    const raw = (ctx.body as { instanceIds?: unknown } | undefined)?.instanceIds;
    if (raw !== undefined && (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string'))) {
      return sendError(ctx, armErrors.invalidParameter('instanceIds', 'instanceIds must be a list of strings.'));
    }
    const live = world.instancesOf(pool.id);
    const warm = world.warmOf(pool.id);
    const ids = (raw as string[] | undefined) ?? [...live, ...warm].map((x) => String(x.index));
    for (const id of ids) {
      if (!live.some((i) => String(i.index) === id) && !warm.some((w) => String(w.index) === id)) {
        return sendError(
          ctx,
          armErrors.invalidParameter(
            'instanceIds',
            `The provided instanceId ${id} is not an active Virtual Machine Scale Set VM instanceId.`,
          ),
        );
      }
    }
    let error: ArmError | undefined;
    if (failOperation) error = armErrors.internal().error;
    else if (action === 'deallocate') {
      world.stopInstances(
        pool.id,
        live.filter((i) => ids.includes(String(i.index))).map((i) => i.id),
      );
    } else {
      const failed = world.startWarm(
        pool.id,
        warm.filter((w) => ids.includes(String(w.index))).map((w) => w.id),
      );
      if (failed.length > 0) error = allocationFailed(pool.zones.length > 0);
    }
    acceptOperation(ctx, pool, addr, error, '1197');
  }

  function operationStatus(ctx: Ctx, subscription: string, id: string) {
    const op = ops.get(subscription, id);
    if (!op) return sendError(ctx, armErrors.entityNotFound());
    ops.poll(op, world.nowIso());
    const monitor = ctx.url.searchParams.get('monitor') === 'true';
    if (op.status === 'InProgress') {
      const headers: Record<string, string> = { 'Retry-After': String(settings.retryAfterSeconds) };
      if (monitor)
        return send(ctx, 202, undefined, { ...headers, Location: operationUrls(op, ctx.apiVersion).location });
      return send(ctx, 200, OperationStore.body(op), headers);
    }
    if (monitor) {
      // The Location URL of a finished operation: 200 and no body, or the operation's error.
      if (op.status === 'Failed' && op.error) return send(ctx, 409, { error: op.error });
      return send(ctx, 200);
    }
    send(ctx, 200, OperationStore.body(op));
  }

  // ---- routing -------------------------------------------------------------------------------------------
  function armRoute(method: string, path: string): Route | ArmErrorAnswer {
    let m = OPERATION_PATH.exec(path);
    if (m) {
      const [, sub, , id] = m.map((s) => (s === undefined ? s : decodeURIComponent(s)));
      if (method !== 'GET') return armErrors.methodNotAllowed(method);
      return {
        operation: 'operationStatus.get',
        type: 'locations/operations',
        write: false,
        action: 'Microsoft.Compute/locations/operations/read',
        scope: `/subscriptions/${sub}`,
        serve: (ctx) => operationStatus(ctx, sub!, id!),
      };
    }
    m = CRG_LIST_PATH.exec(path);
    if (m) {
      const sub = decodeURIComponent(m[1]!);
      if (method !== 'GET') return armErrors.methodNotAllowed(method);
      return {
        operation: 'capacityReservationGroups.listBySubscription',
        type: 'capacityReservationGroups',
        write: false,
        action: 'Microsoft.Compute/capacityReservationGroups/read',
        scope: `/subscriptions/${sub}`,
        serve: (ctx) => send(ctx, 200, reservationGroupsResponse(world, sub)),
      };
    }
    m = CR_LIST_PATH.exec(path);
    if (m) {
      const [sub, rg, group] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
      if (method !== 'GET') return armErrors.methodNotAllowed(method);
      return {
        operation: 'capacityReservations.listByCapacityReservationGroup',
        type: 'capacityReservationGroups/capacityReservations',
        write: false,
        action: 'Microsoft.Compute/capacityReservationGroups/capacityReservations/read',
        scope: `/subscriptions/${sub}/resourceGroups/${rg}`,
        serve: (ctx) => {
          const answer = reservationsResponse(world, sub, rg, group, ctx.url.searchParams.get('$expand'));
          if (isAnswer(answer)) return sendError(ctx, answer);
          send(ctx, 200, answer);
        },
      };
    }
    m = VMSS_PATH.exec(path);
    if (!m) return armErrors.noRoute(path);
    const a: VmssAddress = {
      subscription: decodeURIComponent(m[1]!),
      resourceGroup: decodeURIComponent(m[2]!),
      name: decodeURIComponent(m[3]!),
    };
    const scope = vmssId(a);
    const tail = (m[4] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
    const read = (operation: string, type: string, serve: Route['serve']): Route => ({
      operation,
      type,
      write: false,
      action: `Microsoft.Compute/${type}/read`,
      scope,
      serve,
    });
    if (tail.length === 0) {
      if (method === 'GET')
        return read('virtualMachineScaleSets.get', 'virtualMachineScaleSets', (ctx) => getVmss(ctx, a));
      if (method === 'PATCH') {
        return {
          operation: 'virtualMachineScaleSets.update',
          type: 'virtualMachineScaleSets',
          write: true,
          asyncWrite: true,
          action: 'Microsoft.Compute/virtualMachineScaleSets/write',
          scope,
          serve: (ctx, fail) => updateVmss(ctx, a, fail),
        };
      }
      return armErrors.methodNotAllowed(method);
    }
    if (tail.length === 1 && same(tail[0]!, 'delete')) {
      if (method !== 'POST') return armErrors.methodNotAllowed(method);
      return {
        operation: 'virtualMachineScaleSets.deleteInstances',
        type: 'virtualMachineScaleSets',
        write: true,
        asyncWrite: true,
        action: 'Microsoft.Compute/virtualMachineScaleSets/delete/action',
        scope,
        serve: (ctx, fail) => deleteInstances(ctx, a, fail),
      };
    }
    if (tail.length === 1 && (same(tail[0]!, 'start') || same(tail[0]!, 'deallocate'))) {
      if (method !== 'POST') return armErrors.methodNotAllowed(method);
      const action = same(tail[0]!, 'start') ? 'start' : 'deallocate';
      return {
        operation: `virtualMachineScaleSets.${action}`,
        type: 'virtualMachineScaleSets',
        write: true,
        asyncWrite: true,
        action: `Microsoft.Compute/virtualMachineScaleSets/${action}/action`,
        scope,
        serve: (ctx, fail) => powerAction(ctx, a, action, fail),
      };
    }
    if (same(tail[0]!, 'virtualMachines')) {
      if (method !== 'GET') return armErrors.methodNotAllowed(method);
      const vmType = 'virtualMachineScaleSets/virtualMachines';
      if (tail.length === 1) return read('virtualMachineScaleSetVMs.list', vmType, (ctx) => listVms(ctx, a));
      if (tail.length === 2)
        return read('virtualMachineScaleSetVMs.get', vmType, (ctx) => getVm(ctx, a, tail[1]!, false));
      if (tail.length === 3 && same(tail[2]!, 'instanceView')) {
        return read('virtualMachineScaleSetVMs.getInstanceView', vmType, (ctx) => getVm(ctx, a, tail[1]!, true));
      }
    }
    return armErrors.noRoute(path);
  }

  /** Where to say the provider is, in api-version errors. */
  function locationFor(path: string): string {
    const op = OPERATION_PATH.exec(path);
    if (op) return decodeURIComponent(op[2]!);
    const m = VMSS_PATH.exec(path);
    const found = m && findVmss({ subscription: m[1]!, resourceGroup: m[2]!, name: decodeURIComponent(m[3]!) });
    return found && !isAnswer(found) ? found.pool.region : 'global';
  }

  function authError(req: IncomingMessage): ArmErrorAnswer | undefined {
    const header = req.headers.authorization;
    if (!header) return armErrors.missingAuthorization();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return armErrors.malformedAuthorization();
    if (settings.token !== undefined && m[1] !== settings.token) return armErrors.invalidToken();
    return undefined;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requestSeq += 1;
    const requestId = uuidFrom(`request:${requestSeq}`);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    const base = { res, requestId };
    const r = armRoute(method, url.pathname);
    if (isAnswer(r)) {
      world.record('arm', 'unknown', { method, path: url.pathname });
      return sendError(base, r);
    }
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch (e) {
        world.record('arm', r.operation, {
          method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: text,
        });
        return sendError(base, armErrors.invalidRequestContent((e as Error).message));
      }
    }
    world.record('arm', r.operation, { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });

    const denied = authError(req);
    if (denied) return sendError(base, denied);
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) return sendError(base, armErrors.missingApiVersion());
    if (!settings.apiVersions.includes(apiVersion)) {
      return sendError(
        base,
        WELL_FORMED_API_VERSION.test(apiVersion)
          ? armErrors.noRegisteredProvider(apiVersion, r.type, locationFor(url.pathname), settings.apiVersions)
          : armErrors.invalidApiVersion(apiVersion, settings.apiVersions),
      );
    }

    const ctx: Ctx = { req, res, url, body, requestId, apiVersion };
    const fault = world.faults.take('arm', r.operation);
    if (fault?.kind === 'timeout') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        req.socket.destroy();
      }, fault.delayMs);
      timers.add(timer);
      req.socket.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    if (fault?.kind === 'operation-failed' && r.asyncWrite) return r.serve(ctx, true);
    if (fault) {
      const m = VMSS_PATH.exec(url.pathname);
      const found = m && findVmss({ subscription: m[1]!, resourceGroup: m[2]!, name: decodeURIComponent(m[3]!) });
      const pool = found && !isAnswer(found) ? found.pool : undefined;
      return sendError(
        base,
        faultAnswer(fault.kind, {
          write: r.write,
          action: r.action,
          scope: r.scope,
          size: pool?.instanceType ?? 'Standard_NC24ads_A100_v4',
          location: pool?.region ?? 'eastus',
          retryAfterSeconds: settings.retryAfterSeconds,
        }),
      );
    }
    r.serve(ctx, false);
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      sendError(
        { res, requestId: 'emulator-error' },
        {
          status: 500,
          error: { code: 'InternalServerError', message: `emulator: ${messageOf(e)}` },
        },
      );
    });
  });
  tapServer(server, 'azure', options.tap);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    ca: tls.ca,
    configure(patch) {
      Object.assign(settings, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
