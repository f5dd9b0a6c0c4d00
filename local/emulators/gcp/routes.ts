/**
 * Compute REST v1 routes of the emulator: which API method a request is, its parameters, and the answer
 * from the world. Validation follows the real API: missing required fields -> 400 `required`, bad values
 * -> 400 `invalid`, unknown resources -> 404 `notFound`.
 */
import type { FaultKind } from '../faults.ts';
import type { World, WorldPool } from '../world.ts';
import {
  conditionNotMet,
  type ErrorAnswer,
  invalidValue,
  notFound,
  type OperationFailure,
  parseError,
  required,
  zoneResourcePoolExhausted,
} from './errors.ts';
import type { OperationScope, OperationStore } from './operations.ts';
import {
  findInstance,
  findMig,
  type MigAddress,
  managedInstances,
  numericId,
  projectOf,
  renderMig,
  renderInstance,
  renderReservation,
  renderTemplate,
  templateName,
} from './resources.ts';
import { messageOf } from '../../../shared/domain/errors.ts';

export interface Context {
  world: World;
  project: string;
  operations: OperationStore;
  listManagedInstancesResults: 'PAGELESS' | 'PAGINATED';
}

type Query = Record<string, string>;

export type Call =
  | {
      op:
        | 'migGet'
        | 'migList'
        | 'migResize'
        | 'migDelete'
        | 'migPatch'
        | 'migStop'
        | 'migSuspend'
        | 'migStart'
        | 'migResume';
      addr: MigAddress;
      query: Query;
      body: string;
    }
  | { op: 'opGet' | 'opWait'; scope: OperationScope; name: string }
  | { op: 'templateGet'; project: string; region?: string; name: string }
  | { op: 'instanceGet'; project: string; zone: string; name: string }
  | { op: 'reservationsAggregated'; project: string; query: Query };

export type RoutedCall = Call & {
  /** The API method, as in `compute.<method>` (`instanceGroupManagers.resize`, `regionOperations.wait`). */
  method: string;
  /** The resource path named in error messages. */
  resource: string;
  params: Record<string, unknown>;
  /** Which operation faults the call can render (the others are rendered as 503 by the server). */
  operationFaults: ReadonlySet<FaultKind>;
};

export type Answer = { error: ErrorAnswer } | { body: () => unknown; holdUntilDone?: boolean; done: () => boolean };

const MIG =
  /^\/compute\/v1\/projects\/([^/]+)\/(zones|regions)\/([^/]+)\/instanceGroupManagers\/([^/]+)(?:\/([^/]+))?$/;
const OPERATION = /^\/compute\/v1\/projects\/([^/]+)\/(zones|regions)\/([^/]+)\/operations\/([^/]+)(\/wait)?$/;
const TEMPLATE = /^\/compute\/v1\/projects\/([^/]+)\/(?:global|regions\/([^/]+))\/instanceTemplates\/([^/]+)$/;
const INSTANCE = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/;
const RESERVATIONS = /^\/compute\/v1\/projects\/([^/]+)\/aggregated\/reservations$/;
const MIG_ACTIONS: Record<
  string,
  'migList' | 'migResize' | 'migDelete' | 'migStop' | 'migSuspend' | 'migStart' | 'migResume'
> = {
  listManagedInstances: 'migList',
  resize: 'migResize',
  deleteInstances: 'migDelete',
  stopInstances: 'migStop',
  suspendInstances: 'migSuspend',
  startInstances: 'migStart',
  resumeInstances: 'migResume',
};
const NONE: ReadonlySet<FaultKind> = new Set();
const BOTH: ReadonlySet<FaultKind> = new Set(['insufficient-capacity', 'operation-failed']);
const FAILED_ONLY: ReadonlySet<FaultKind> = new Set(['operation-failed']);

/** Which API method a request is; a 404 answer for paths and verbs the API does not have. */
export function routeCall(verb: string, url: URL, body: string): RoutedCall | { error: ErrorAnswer } {
  const path = decodeURIComponent(url.pathname);
  const query: Query = Object.fromEntries(url.searchParams);
  let m = MIG.exec(path);
  if (m) {
    const [, project, kind, location, name, action] = m as unknown as string[];
    const regional = kind === 'regions';
    const addr: MigAddress = regional ? { project, region: location, name } : { project, zone: location, name };
    const op = action === undefined ? (verb === 'PATCH' ? 'migPatch' : 'migGet') : MIG_ACTIONS[action];
    if (op && verb === (op === 'migGet' ? 'GET' : op === 'migPatch' ? 'PATCH' : 'POST')) {
      const apiMethod = op === 'migPatch' ? 'patch' : (action ?? 'get');
      const method = `${regional ? 'regionInstanceGroupManagers' : 'instanceGroupManagers'}.${apiMethod}`;
      const resource = `projects/${project}/${kind}/${location}/instanceGroupManagers/${name}`;
      const operationFaults = op === 'migResize' ? BOTH : op === 'migList' ? NONE : FAILED_ONLY;
      return {
        op,
        addr,
        query,
        body,
        method,
        resource,
        params: { ...placeOf(addr), instanceGroupManager: name, ...query },
        operationFaults,
      };
    }
  }
  m = OPERATION.exec(path);
  if (m) {
    const [, project, kind, location, name, wait] = m as unknown as string[];
    const regional = kind === 'regions';
    if (verb === (wait ? 'POST' : 'GET')) {
      const scope: OperationScope = regional ? { project, region: location } : { project, zone: location };
      return {
        op: wait ? 'opWait' : 'opGet',
        scope,
        name,
        method: `${regional ? 'regionOperations' : 'zoneOperations'}.${wait ? 'wait' : 'get'}`,
        resource: `projects/${project}/${kind}/${location}/operations/${name}`,
        params: { ...scope, operation: name },
        operationFaults: BOTH,
      };
    }
  }
  m = TEMPLATE.exec(path);
  if (m && verb === 'GET') {
    const [, project, region, name] = m as unknown as [string, string, string | undefined, string];
    return {
      op: 'templateGet',
      project,
      region,
      name,
      method: region ? 'regionInstanceTemplates.get' : 'instanceTemplates.get',
      resource: `projects/${project}/${region ? `regions/${region}` : 'global'}/instanceTemplates/${name}`,
      params: { project, region, instanceTemplate: name },
      operationFaults: NONE,
    };
  }
  m = INSTANCE.exec(path);
  if (m && verb === 'GET') {
    const [, project, zone, name] = m as unknown as [string, string, string, string];
    return {
      op: 'instanceGet',
      project,
      zone,
      name,
      method: 'instances.get',
      resource: `projects/${project}/zones/${zone}/instances/${name}`,
      params: { project, zone, instance: name },
      operationFaults: NONE,
    };
  }
  m = RESERVATIONS.exec(path);
  if (m && verb === 'GET') {
    const project = m[1]!;
    return {
      op: 'reservationsAggregated',
      project,
      query,
      method: 'reservations.aggregatedList',
      resource: `projects/${project}/aggregated/reservations`,
      params: { project, ...query },
      operationFaults: NONE,
    };
  }
  return { error: notFound(path.replace(/^\/compute\/v1\//, '')) };
}

/** The answer to a call, from the world; `fault` is an operation fault armed for it, if any. */
export function serve(ctx: Context, call: RoutedCall, fault?: FaultKind): Answer {
  const operationFault = fault && call.operationFaults.has(fault) ? fault : undefined;
  switch (call.op) {
    case 'migGet':
    case 'migList':
    case 'migResize':
    case 'migPatch':
    case 'migDelete':
    case 'migStop':
    case 'migSuspend':
    case 'migStart':
    case 'migResume': {
      const pool = findMig(ctx.world, call.addr, ctx.project);
      if (!pool) return { error: notFound(call.resource) };
      const project = call.addr.project;
      if (call.op === 'migGet') {
        return ready(() => renderMig(ctx.world, pool, project, ctx.listManagedInstancesResults));
      }
      if (call.op === 'migList') return listManaged(ctx, call, pool, project);
      const requestId = call.query.requestId;
      if (requestId !== undefined && !isUuid(requestId)) {
        return { error: invalidValue('requestId', requestId, 'The request id must be a valid UUID.') };
      }
      const same = ctx.operations.forRequestId(project, requestId);
      if (same) return ready(() => same);
      const target = {
        targetLink: `https://www.googleapis.com/compute/v1/${call.resource}`,
        targetId: numericId(`mig/${call.resource}`),
      };
      const scope: OperationScope = { project, zone: call.addr.zone, region: call.addr.region };
      const type = `compute.${call.method}`;
      if (call.op === 'migResize') {
        const size = call.query.size;
        if (size === undefined || size === '') return { error: required('size') };
        const n = Number(size);
        const max = pool.kind === 'gcp-mig' ? 1000 : 2000;
        if (!Number.isInteger(n) || n < 0 || n > max) {
          return { error: invalidValue('size', size, `Must be a whole number from 0 to ${max}.`) };
        }
        let failure: OperationFailure | undefined;
        if (operationFault === 'insufficient-capacity') {
          // Accepted, then no VM could be created; the group keeps its new target and keeps trying.
          ctx.world.setDesired(pool.id, n, { deferLaunch: true });
          failure = zoneResourcePoolExhausted(call.addr.zone ?? pool.zones[0]!, project);
        } else if (operationFault === 'operation-failed') {
          failure = conditionNotMet('Resize');
        } else {
          ctx.world.setDesired(pool.id, n);
        }
        const op = ctx.operations.create({ scope, operationType: type, ...target, requestId, failure });
        return ready(() => op);
      }
      if (call.op === 'migPatch') {
        const patched = patchStandby(ctx.world, pool, call.body);
        if ('error' in patched) return patched;
        let failure: OperationFailure | undefined;
        if (operationFault === 'operation-failed') failure = conditionNotMet('Patch');
        else patched.apply();
        const op = ctx.operations.create({ scope, operationType: type, ...target, requestId, failure });
        return ready(() => op);
      }
      // deleteInstances, stopInstances, suspendInstances, startInstances, resumeInstances: chosen members of the group.
      let body: { instances?: unknown; skipInstancesOnValidationError?: unknown; forceStop?: unknown };
      try {
        body = call.body ? (JSON.parse(call.body) as typeof body) : {};
      } catch (e) {
        return { error: parseError(messageOf(e)) };
      }
      const urls = Array.isArray(body.instances) ? body.instances.map(String) : [];
      if (urls.length === 0) return { error: required('resource.instances') };
      if (call.op === 'migStart' || call.op === 'migResume') {
        // Standby VMs of the group: startInstances takes stopped ones, resumeInstances suspended ones ("In this
        // request, you can only specify instances that are stopped"). Each call raises targetSize and lowers
        // targetStoppedSize (targetSuspendedSize) by the VMs it starts (the API reference of both methods):
        // the group does not replenish its standby pool for them, whatever its standbyPolicy.mode. A VM that
        // cannot start for capacity stays parked (the world's `launch-failed` event says so).
        const want = call.op === 'migStart' ? 'stopped' : 'suspended';
        const parked: string[] = [];
        for (const [i, url] of urls.entries()) {
          const m = /(?:zones\/([^/]+)\/)?instances\/([^/]+)$/.exec(url);
          const w = m ? ctx.world.warmInstance(m[2]!) : undefined;
          const member = w && w.poolId === pool.id && (!m?.[1] || m[1] === w.zone);
          if (member && w.phase === 'warm' && w.state === want) parked.push(w.id);
          else if (body.skipInstancesOnValidationError !== true) {
            const running = m ? ctx.world.instance(m[2]!) : undefined;
            const known = member || (running && running.poolId === pool.id);
            return {
              error: invalidValue(
                `resource.instances[${i}]`,
                url,
                known
                  ? `You can only specify instances that are ${want === 'stopped' ? 'stopped' : 'suspended'} in this request.`
                  : 'The instance is not a member of the instance group.',
              ),
            };
          }
        }
        let failure: OperationFailure | undefined;
        if (operationFault === 'operation-failed')
          failure = conditionNotMet(call.op === 'migStart' ? 'Start' : 'Resume');
        else ctx.world.startWarm(pool.id, parked, { lowerTarget: true });
        const op = ctx.operations.create({ scope, operationType: type, ...target, requestId, failure });
        return ready(() => op);
      }
      const members: string[] = [];
      for (const [i, url] of urls.entries()) {
        const m = /(?:zones\/([^/]+)\/)?instances\/([^/]+)$/.exec(url);
        const inst = m ? ctx.world.instance(m[2]!) : undefined;
        const member = inst && inst.poolId === pool.id && (!m?.[1] || m[1] === inst.zone);
        // stopInstances and suspendInstances take running VMs only ("You can only specify instances that are
        // running in this request").
        const running = inst && inst.state !== 'terminating';
        if (member && (call.op === 'migDelete' || running)) members.push(inst.id);
        else if (member && body.skipInstancesOnValidationError !== true) {
          return { error: invalidValue(`resource.instances[${i}]`, url, 'The instance is not running.') };
        } else if (body.skipInstancesOnValidationError !== true) {
          return {
            error: invalidValue(`resource.instances[${i}]`, url, 'The instance is not a member of the instance group.'),
          };
        }
      }
      let failure: OperationFailure | undefined;
      if (call.op === 'migStop' || call.op === 'migSuspend') {
        // The group's targetSize drops and its targetStoppedSize (targetSuspendedSize) grows by as many: the
        // VMs join the standby pool, keeping their disks (and, suspended, their memory).
        if (operationFault === 'operation-failed')
          failure = conditionNotMet(call.op === 'migStop' ? 'Stop' : 'Suspend');
        else {
          const state = call.op === 'migSuspend' ? 'suspended' : 'stopped';
          const other = pool.warmPolicy && pool.warmPolicy.min > 0 && pool.warmPolicy.state !== state;
          if (other) {
            return {
              error: invalidValue(
                'resource.instances',
                urls[0]!,
                'This emulator keeps one kind of standby VM per group.',
              ),
            };
          }
          ctx.world.stopInstances(pool.id, members, { raiseTarget: true, state });
        }
      } else if (operationFault === 'operation-failed') failure = conditionNotMet('DeleteInstances');
      else for (const id of members) ctx.world.terminateInstance(id, { decrementDesired: true });
      const op = ctx.operations.create({ scope, operationType: type, ...target, requestId, failure });
      return ready(() => op);
    }
    case 'opGet':
    case 'opWait': {
      if (!ctx.operations.find(call.scope, call.name)) return { error: notFound(call.resource) };
      if (operationFault === 'insufficient-capacity') {
        const zone = call.scope.zone ?? `${call.scope.region}-a`;
        ctx.operations.fail(call.name, zoneResourcePoolExhausted(zone, call.scope.project));
      } else if (operationFault === 'operation-failed') {
        ctx.operations.fail(call.name, conditionNotMet('The operation'));
      }
      const op = ctx.operations.poll(call.name);
      return { body: () => op, holdUntilDone: call.op === 'opWait', done: () => ctx.operations.isDone(call.name) };
    }
    case 'templateGet': {
      const pool = ctx.world
        .allPools()
        .find(
          (p) =>
            p.cloud === 'gcp' &&
            !call.region &&
            templateName(p) === call.name &&
            projectOf(p, ctx.project) === call.project,
        );
      if (!pool) return { error: notFound(call.resource) };
      return ready(() => renderTemplate(ctx.world, pool, call.project));
    }
    case 'instanceGet': {
      const found = findInstance(ctx.world, call.project, call.zone, call.name, ctx.project);
      if (!found) return { error: notFound(call.resource) };
      return ready(() => renderInstance(ctx.world, found.pool, found.instance, call.project));
    }
    case 'reservationsAggregated': {
      const items: Record<string, { reservations: unknown[] }> = {};
      for (const r of ctx.world.allReservations()) {
        if (r.cloud !== 'gcp' || ctx.world.reservationState(r) !== 'active') continue;
        items[`zones/${r.zone}`] ??= { reservations: [] };
        items[`zones/${r.zone}`]!.reservations.push(renderReservation(ctx.world, r, call.project));
      }
      return ready(() => ({
        kind: 'compute#reservationAggregatedList',
        id: `projects/${call.project}/aggregated/reservations`,
        items,
        selfLink: `https://www.googleapis.com/compute/v1/${call.resource}`,
      }));
    }
  }
}

/**
 * A PATCH of the group (JSON merge semantics): the standby policy and the stopped / suspended targets are read;
 * other fields are accepted and left as they are. The world then keeps that many warm instances: prepared, then
 * stopped (or suspended); `SCALE_OUT_POOL` resumes them first on a resize up and refills the pool afterwards,
 * `MANUAL` keeps them without using them.
 */
function patchStandby(world: World, pool: WorldPool, text: string): { error: ErrorAnswer } | { apply: () => void } {
  let body: {
    standbyPolicy?: { mode?: unknown; initialDelaySec?: unknown };
    targetStoppedSize?: unknown;
    targetSuspendedSize?: unknown;
  };
  try {
    body = text ? (JSON.parse(text) as typeof body) : {};
  } catch (e) {
    return { error: parseError(messageOf(e)) };
  }
  const size = (field: 'targetStoppedSize' | 'targetSuspendedSize') => {
    const v = body[field];
    if (v === undefined || v === null) return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : Number.NaN;
  };
  const stopped = size('targetStoppedSize');
  const suspended = size('targetSuspendedSize');
  for (const [field, n] of [
    ['targetStoppedSize', stopped],
    ['targetSuspendedSize', suspended],
  ] as const) {
    if (Number.isNaN(n)) return { error: invalidValue(field, String(body[field]), 'Must be a whole number >= 0.') };
  }
  const mode = body.standbyPolicy?.mode;
  if (mode !== undefined && mode !== 'MANUAL' && mode !== 'SCALE_OUT_POOL') {
    return { error: invalidValue('standbyPolicy.mode', String(mode), 'Must be MANUAL or SCALE_OUT_POOL.') };
  }
  if ((stopped ?? 0) > 0 && (suspended ?? 0) > 0) {
    return {
      error: invalidValue(
        'targetSuspendedSize',
        String(suspended),
        'This emulator keeps one kind of standby VM per group.',
      ),
    };
  }
  const current = pool.warmPolicy;
  return {
    apply: () => {
      const state = (suspended ?? 0) > 0 ? 'suspended' : (stopped ?? 0) > 0 ? 'stopped' : (current?.state ?? 'stopped');
      const n = state === 'suspended' ? (suspended ?? current?.min ?? 0) : (stopped ?? current?.min ?? 0);
      const scaleOut = mode === undefined ? (current?.autoResume ?? false) : mode === 'SCALE_OUT_POOL';
      if (n === 0 && !scaleOut) return world.setWarmPolicy(pool.id, undefined);
      world.setWarmPolicy(pool.id, {
        state,
        min: n,
        maxPrepared: n,
        reuseOnScaleIn: false,
        autoRefill: true,
        autoResume: scaleOut,
      });
    },
  };
}

const placeOf = ({ project, zone, region }: MigAddress) => (zone ? { project, zone } : { project, region });

function ready(body: () => unknown): Answer {
  return { body, done: () => true };
}

function listManaged(
  ctx: Context,
  call: { query: Query },
  pool: NonNullable<ReturnType<typeof findMig>>,
  project: string,
): Answer {
  const { maxResults, pageToken } = call.query;
  const size = maxResults === undefined || maxResults === '' ? 500 : Number(maxResults);
  if (!Number.isInteger(size) || size < 0 || size > 500) {
    return { error: invalidValue('maxResults', maxResults, 'Must be between 0 and 500.') };
  }
  let offset = 0;
  if (pageToken) {
    const decoded = decodePageToken(pageToken);
    if (decoded === undefined) return { error: invalidValue('pageToken', pageToken, 'Invalid page token.') };
    offset = decoded;
  }
  const all = managedInstances(ctx.world, pool, project);
  // PAGELESS (GCE's default for a group) ignores maxResults and pageToken and returns everything.
  const paged = ctx.listManagedInstancesResults === 'PAGINATED';
  const page = paged ? all.slice(offset, offset + (size === 0 ? 500 : size)) : all;
  const next = paged && offset + page.length < all.length ? encodePageToken(offset + page.length) : undefined;
  return ready(() => ({
    ...(page.length > 0 ? { managedInstances: page } : {}),
    ...(next ? { nextPageToken: next } : {}),
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (s: string) => UUID.test(s) && !/^[0-]+$/.test(s);

const encodePageToken = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function decodePageToken(token: string): number | undefined {
  try {
    const o = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown }).o;
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}
