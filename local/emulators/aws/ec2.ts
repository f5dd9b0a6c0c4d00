/**
 * EC2 Query API (Version 2016-11-15) over the world: EC2 Fleets (the world's `ec2-fleet` pools, named by
 * fleet id), instances of every AWS pool, capacity reservations and blocks, and spot price history.
 *
 * Element names follow the EC2 API reference and the SDK's deserializers (`fleetSet/item`,
 * `targetCapacitySpecification`, `activeInstanceSet`, `reservationSet/item/instancesSet/item`,
 * `capacityReservationSet`, `spotPriceHistorySet`). Instance states map from the world's lifecycle:
 * pending -> `pending`; running and ready -> `running` (EC2 Fleet `instanceHealth` is `healthy` only once
 * the world says ready: status checks and node readiness passed); terminating -> `shutting-down`, but an
 * instance under a spot notice stays `running` until the deadline, as EC2 keeps it (the notice is the
 * EventBridge event, the instance metadata and the spot request's `marked-for-termination`), and is then
 * described `terminated` with the state reason `Server.SpotInstanceTermination` for an hour.
 *
 * ModifyFleet honours `ExcessCapacityTerminationPolicy` (kept by the fleet until set again, as DescribeFleets
 * reports it): with `no-termination` a lower target ends no instance. TerminateInstances ends instances in the
 * world; EC2 keeps describing a terminated instance for about an hour, and so does the emulator for the
 * instances its TerminateInstances ended (`terminated`, reason `Client.UserInitiatedShutdown`).
 */
import { endDateOf, shownState, type WorldInstance, type WorldPool } from '../world.ts';
import {
  AwsApiError,
  awsPoolHere,
  createdAtOf,
  awsPools,
  identityTags,
  instanceLifecycleOf,
  isoOf,
  launchTemplateOf,
  liveInstances,
  poolIndex,
  type RequestContext,
  tagKey,
  recentlyTerminated,
  reservationOf,
  subnetOf,
  vpcOf,
  zoneIdOf,
} from './context.ts';
import { SPOT_REQUEST_ACTIONS, spotRequestId } from './spot-requests.ts';
import { filtersParam, hexOf, listParam, page, type QueryParams, readPageToken, type XmlObject } from './wire.ts';

type Handler = (ctx: RequestContext, params: QueryParams) => XmlObject;

export const EC2_ACTIONS: Record<string, Handler> = {
  DescribeFleets: describeFleets,
  DescribeFleetInstances: describeFleetInstances,
  ModifyFleet: modifyFleet,
  DescribeInstances: describeInstances,
  DescribeCapacityReservations: describeCapacityReservations,
  DescribeSpotPriceHistory: describeSpotPriceHistory,
  TerminateInstances: terminateInstances,
  ...SPOT_REQUEST_ACTIONS,
};

const DEFAULT_PAGE = 1000;

// ---- parameters -------------------------------------------------------------------------------------------

function missing(name: string): AwsApiError {
  return new AwsApiError(400, 'MissingParameter', `The request must contain the parameter ${name}`);
}

function invalidValue(name: string, value: string, why: string): AwsApiError {
  return new AwsApiError(400, 'InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. ${why}`);
}

function intParam(params: QueryParams, name: string, range?: { min: number; max: number }): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw invalidValue(name, raw, 'Expected an integer.');
  if (range && (n < range.min || n > range.max)) {
    throw invalidValue(name, raw, `Must be between ${range.min} and ${range.max}.`);
  }
  return n;
}

function pageSize(ctx: RequestContext, requested: number | undefined, fallback = DEFAULT_PAGE): number {
  const size = requested ?? fallback;
  return ctx.options.pageSize > 0 ? Math.min(size, ctx.options.pageSize) : size;
}

function offsetOf(action: string, params: QueryParams): number {
  const offset = readPageToken(action, params.NextToken);
  if (offset === undefined) {
    throw new AwsApiError(400, 'InvalidPaginationToken', 'The specified pagination token is not valid or is expired.');
  }
  return offset;
}

// ---- fleets -----------------------------------------------------------------------------------------------

function fleets(ctx: RequestContext): WorldPool[] {
  return awsPools(ctx).filter((p) => p.kind === 'ec2-fleet');
}

function requireFleet(ctx: RequestContext, fleetId: string | undefined): WorldPool {
  if (!fleetId) throw missing('FleetId');
  const pool = fleets(ctx).find((p) => p.name === fleetId);
  if (!pool) throw new AwsApiError(400, 'InvalidFleetId.NotFound', `The fleet ID '${fleetId}' does not exist`);
  return pool;
}

function fleetTypeOf(ctx: RequestContext, pool: WorldPool) {
  return ctx.options.fleetTypes[pool.name] ?? 'maintain';
}

/** `spot`, `on-demand`, or `capacity-block` (a fleet launching into a capacity block). */
function defaultCapacityType(ctx: RequestContext, pool: WorldPool): string {
  if (pool.capacityType === 'spot') return 'spot';
  return instanceLifecycleOf(ctx, pool) === 'capacity-block' ? 'capacity-block' : 'on-demand';
}

function fleetData(ctx: RequestContext, pool: WorldPool): XmlObject {
  // An instance under an interruption notice still runs, and the fleet counts it, until it is terminated.
  const live = liveInstances(ctx, pool);
  const kind = defaultCapacityType(ctx, pool);
  const lt = launchTemplateOf(pool);
  const reservation = reservationOf(ctx, pool);
  return {
    activityStatus: ctx.world.unfilledSeats(pool) > 0 ? 'pending_fulfillment' : 'fulfilled',
    createTime: createdAtOf(ctx, pool),
    fleetId: pool.name,
    fleetState: 'active',
    excessCapacityTerminationPolicy: pool.noTermination ? 'no-termination' : 'termination',
    fulfilledCapacity: live.length,
    fulfilledOnDemandCapacity: kind === 'on-demand' ? live.length : 0,
    launchTemplateConfigs: [
      {
        launchTemplateSpecification: { launchTemplateId: lt.id, version: '$Latest' },
        overrides: pool.zones.map((z) => ({
          instanceType: pool.instanceType,
          subnetId: subnetOf(pool, z),
          availabilityZone: z,
        })),
      },
    ],
    targetCapacitySpecification: {
      totalTargetCapacity: pool.desired,
      onDemandTargetCapacity: kind === 'on-demand' ? pool.desired : 0,
      spotTargetCapacity: kind === 'spot' ? pool.desired : 0,
      defaultTargetCapacityType: kind,
      targetCapacityUnitType: 'units',
    },
    terminateInstancesWithExpiration: false,
    type: fleetTypeOf(ctx, pool),
    replaceUnhealthyInstances: false,
    spotOptions: { allocationStrategy: 'price-capacity-optimized', instanceInterruptionBehavior: 'terminate' },
    onDemandOptions: {
      allocationStrategy: 'lowest-price',
      capacityReservationOptions:
        reservation && kind === 'on-demand' ? { usageStrategy: 'use-capacity-reservations-first' } : undefined,
    },
    tagSet: Object.entries(pool.tags ?? {}).map(([key, value]) => ({ key, value })),
    errorSet: [],
    fleetInstanceSet: [],
  };
}

function describeFleets(ctx: RequestContext, params: QueryParams): XmlObject {
  const ids = listParam(params, 'FleetId');
  const all = ids.length ? ids.map((id) => requireFleet(ctx, id)) : fleets(ctx);
  const size = pageSize(ctx, intParam(params, 'MaxResults', { min: 1, max: 1000 }));
  const p = page('DescribeFleets', all, offsetOf('DescribeFleets', params), size);
  return { fleetSet: p.items.map((f) => fleetData(ctx, f)), nextToken: p.nextToken };
}

function describeFleetInstances(ctx: RequestContext, params: QueryParams): XmlObject {
  const pool = requireFleet(ctx, params.FleetId);
  const size = pageSize(ctx, intParam(params, 'MaxResults', { min: 1, max: 1000 }));
  const p = page('DescribeFleetInstances', liveInstances(ctx, pool), offsetOf('DescribeFleetInstances', params), size);
  return {
    activeInstanceSet: p.items.map((i) => ({
      instanceId: i.id,
      instanceType: i.instanceType,
      spotInstanceRequestId: pool.capacityType === 'spot' ? spotRequestId(i) : undefined,
      instanceHealth: shownState(i, ctx.world.now()) === 'ready' ? 'healthy' : 'unhealthy',
    })),
    nextToken: p.nextToken,
    fleetId: pool.name,
  };
}

const EXCESS_POLICIES: ReadonlySet<string> = new Set(['termination', 'no-termination']);

/**
 * Sets the fleet's total target capacity and, when given, its `ExcessCapacityTerminationPolicy`: with
 * `termination` a lower target ends the surplus (the world's choice: pending first, then the newest), with
 * `no-termination` it ends nothing and the surplus goes only as instances end otherwise (without being
 * replaced). The policy is the fleet's until set again. Only `maintain` fleets can be modified. An injected
 * `insufficient-capacity` fault answers EC2's `InsufficientInstanceCapacity` (HTTP 500, as EC2 sends it); an
 * `operation-failed` fault accepts the target and fails the launches (the fleet stays short until the world
 * advances).
 */
function modifyFleet(ctx: RequestContext, params: QueryParams): XmlObject {
  const pool = requireFleet(ctx, params.FleetId);
  const total = intParam(params, 'TargetCapacitySpecification.TotalTargetCapacity');
  const policy = params.ExcessCapacityTerminationPolicy;
  if (policy !== undefined && !EXCESS_POLICIES.has(policy)) {
    throw invalidValue('ExcessCapacityTerminationPolicy', policy, 'Expected termination or no-termination.');
  }
  const noTermination = policy === undefined ? undefined : policy === 'no-termination';
  if (total === undefined && policy === undefined) {
    // Changing only the launch template configuration is valid; the world has none to change.
    if (Object.keys(params).some((k) => k.startsWith('LaunchTemplateConfig.'))) return { return: true };
    throw missing('TargetCapacitySpecification');
  }
  if (total !== undefined && total < 0)
    throw invalidValue('TargetCapacitySpecification.TotalTargetCapacity', String(total), 'Must be >= 0.');
  const type = fleetTypeOf(ctx, pool);
  if (type !== 'maintain') {
    throw new AwsApiError(
      400,
      'UnsupportedOperation',
      `Fleet ${pool.name} is of type ${type}; only fleets of type maintain can be modified.`,
    );
  }
  if (total === undefined) {
    // Only the policy: the fleet applies it to the target it has (with `termination`, any surplus goes).
    ctx.world.setDesired(pool.id, pool.desired, { noTermination });
    return { return: true };
  }
  if (ctx.fault?.kind === 'insufficient-capacity' && total > pool.desired) {
    const zone = pool.zones[0] ?? `${pool.region}a`;
    throw new AwsApiError(
      500,
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${pool.instanceType} capacity in the Availability Zone you requested (${zone}). ` +
        'Our system will be working on provisioning additional capacity. You can currently get capacity by not ' +
        'specifying an Availability Zone in your request or choosing a different Availability Zone.',
    );
  }
  ctx.world.setDesired(pool.id, total, { deferLaunch: ctx.fault?.kind === 'operation-failed', noTermination });
  return { return: true };
}

// ---- instances --------------------------------------------------------------------------------------------

const STATE_CODES: Record<string, [number, string]> = {
  pending: [0, 'pending'],
  running: [16, 'running'],
  ready: [16, 'running'],
  terminating: [32, 'shutting-down'],
  terminated: [48, 'terminated'],
};

/**
 * EC2's state of an instance: an instance under a spot interruption notice stays `running` until the notice's
 * deadline (EC2 stops or terminates it then; the notice is the EventBridge event and the instance metadata), so
 * only an instance leaving for another reason (TerminateInstances, a scale-in) is `shutting-down`.
 */
function stateOf(ctx: RequestContext, i: WorldInstance): [number, string] {
  return STATE_CODES[shownState(i, ctx.world.now())] ?? [16, 'running'];
}

function instanceTags(pool: WorldPool, i: WorldInstance): Array<{ key: string; value: string }> {
  return Object.entries(tagsOf(pool, i.nodeName)).map(([key, value]) => ({ key, value }));
}

/** The tags EC2 shows on an instance of `pool`: the pool's, `Name` (the instance's node name), its identity's. */
function tagsOf(pool: WorldPool, nodeName: string): Record<string, string> {
  const tags: Record<string, string> = { ...(pool.tags ?? {}) };
  tags.Name = nodeName;
  return Object.assign(tags, identityTags(pool));
}

/** `yyyy-mm-dd hh:mm:ss GMT`, as EC2 writes times in a StateTransitionReason. */
function gmtOf(ms: number): string {
  return `${isoOf(ms).slice(0, 19).replace('T', ' ')} GMT`;
}

/**
 * Why the instance is leaving, as EC2 says it: `Client.UserInitiatedShutdown` for an instance TerminateInstances
 * ended, `Server.SpotInstanceTermination` for a spot instance taken back.
 */
function stateReasonOf(i: WorldInstance): { reason: string; stateReason?: XmlObject } {
  if (i.state === 'terminated' && i.interrupted?.kind === 'spot') {
    return {
      reason: '',
      stateReason: {
        code: 'Server.SpotInstanceTermination',
        message: 'Server.SpotInstanceTermination: Spot instance termination',
      },
    };
  }
  if (i.state === 'terminated' && i.terminatedAt !== undefined) {
    return {
      reason: `User initiated (${gmtOf(i.terminatedAt)})`,
      stateReason: {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
    };
  }
  return { reason: '' };
}

function instanceData(ctx: RequestContext, pool: WorldPool, i: WorldInstance): XmlObject {
  const [code, name] = stateOf(ctx, i);
  const { reason, stateReason } = stateReasonOf(i);
  const gone = i.state === 'terminated';
  const lifecycle = instanceLifecycleOf(ctx, pool);
  const reservation = reservationOf(ctx, pool);
  const ip = /^ip-(\d+)-(\d+)-(\d+)-(\d+)\./.exec(i.nodeName);
  return {
    instanceId: i.id,
    imageId: `ami-0${hexOf(`ami/${pool.id}`, 16)}`,
    instanceState: { code, name },
    privateDnsName: gone ? '' : i.nodeName,
    dnsName: '',
    reason,
    stateReason,
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: isoOf(i.launchedAt),
    placement: { availabilityZone: i.zone, groupName: '', tenancy: 'default', availabilityZoneId: zoneIdOf(i.zone) },
    monitoring: { state: 'disabled' },
    subnetId: subnetOf(pool, i.zone),
    vpcId: vpcOf(pool),
    privateIpAddress: ip && !gone ? `${ip[1]}.${ip[2]}.${ip[3]}.${ip[4]}` : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    instanceLifecycle: lifecycle,
    spotInstanceRequestId: pool.capacityType === 'spot' ? spotRequestId(i) : undefined,
    capacityReservationId: reservation?.id,
    capacityBlockId: lifecycle === 'capacity-block' ? reservation?.id : undefined,
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    tagSet: instanceTags(pool, i),
    ebsOptimized: true,
    enaSupport: true,
  };
}

function matchesFilters(
  filters: Map<string, string[]>,
  values: Record<string, string | undefined>,
  tags: Array<{ key: string; value: string }>,
): boolean {
  for (const [name, wanted] of filters) {
    if (name.startsWith('tag:')) {
      const tag = tags.find((t) => t.key === name.slice(4));
      if (!tag || !wanted.includes(tag.value)) return false;
    } else if (name === 'tag-key') {
      if (!tags.some((t) => wanted.includes(t.key))) return false;
    } else if (name in values) {
      const v = values[name];
      if (v === undefined || !wanted.includes(v)) return false;
    } else {
      throw new AwsApiError(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
    }
  }
  return true;
}

/**
 * The live instances of the region's AWS pools that a DescribeInstances call may answer with, read only where
 * the call points: the instances it names (`InstanceId`, an `instance-id` filter), or the pools whose every
 * instance carries a tag it filters on (`poolTags`: a group's name, a fleet's id, an EKS node group's tags, a
 * pool's own; not `Name`, each instance's), in `awsPools` order. Otherwise every live instance of the region's
 * AWS pools. The filters still decide on each one (applied after): this spares a pass over every instance of a
 * world of thousands of pools.
 */
function liveCandidates(
  ctx: RequestContext,
  ids: readonly string[],
  filters: ReadonlyMap<string, string[]>,
): WorldInstance[] {
  const named = ids.length ? ids : filters.get('instance-id');
  if (named) {
    const out: WorldInstance[] = [];
    for (const id of new Set(named)) {
      const i = ctx.world.instance(id);
      if (i && i.state !== 'terminated' && awsPoolHere(ctx, i.poolId)) out.push(i);
    }
    return out;
  }
  const byTag = [...filters].find(([name]) => name.startsWith('tag:') && name !== 'tag:Name');
  if (!byTag) return ctx.world.allInstances().filter((i) => awsPoolHere(ctx, i.poolId));
  const [name, wanted] = byTag;
  const index = poolIndex(ctx);
  return index
    .inOrder(wanted.flatMap((v) => index.byTag.get(tagKey(name.slice(4), v)) ?? []))
    .flatMap((pool) => ctx.world.instancesOf(pool.id));
}

function describeInstances(ctx: RequestContext, params: QueryParams): XmlObject {
  const ids = listParam(params, 'InstanceId');
  const maxResults = intParam(params, 'MaxResults', { min: 5, max: 1000 });
  if (ids.length && maxResults !== undefined) {
    throw new AwsApiError(
      400,
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  const filters = filtersParam(params, 'ec2');
  const all = [...liveCandidates(ctx, ids, filters), ...recentlyTerminated(ctx).map((t) => t.instance)];
  const poolOf = (i: WorldInstance) => ctx.world.pool(i.poolId)!;
  let selected = all;
  if (ids.length) {
    const unknown = ids.filter((id) => !all.some((i) => i.id === id));
    if (unknown.length) throw instancesNotFound(unknown);
    selected = ids.map((id) => all.find((i) => i.id === id)!);
  }
  selected = selected.filter((i) => {
    const pool = poolOf(i);
    return matchesFilters(
      filters,
      {
        'instance-id': i.id,
        'instance-state-name': stateOf(ctx, i)[1],
        'availability-zone': i.zone,
        'instance-type': i.instanceType,
        'private-dns-name': i.nodeName,
        'instance-lifecycle': instanceLifecycleOf(ctx, pool),
      },
      instanceTags(pool, i),
    );
  });
  const p = page('DescribeInstances', selected, offsetOf('DescribeInstances', params), pageSize(ctx, maxResults));
  return {
    reservationSet: p.items.map((i) => ({
      reservationId: `r-0${hexOf(`r/${i.id}`, 16)}`,
      ownerId: ctx.options.accountId,
      groupSet: [],
      instancesSet: [instanceData(ctx, poolOf(i), i)],
    })),
    nextToken: p.nextToken,
  };
}

function instancesNotFound(unknown: string[]): AwsApiError {
  return unknown.length === 1
    ? new AwsApiError(400, 'InvalidInstanceID.NotFound', `The instance ID '${unknown[0]}' does not exist`)
    : new AwsApiError(400, 'InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`);
}

/** `i-` and 8 or 17 hexadecimal digits. */
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * Ends instances now, in the world: the group an instance belonged to replaces it only when it then holds
 * fewer than its desired count (an EC2 Fleet whose target was lowered first does not). As EC2 does: one
 * unknown id fails the whole call (`InvalidInstanceID.NotFound`) and nothing is terminated; terminating an
 * instance already terminated succeeds again (`terminated` before and after); a running instance answers
 * `shutting-down` (EC2's state right after the call) and is then described `terminated` for an hour.
 */
function terminateInstances(ctx: RequestContext, params: QueryParams): XmlObject {
  const ids = [...new Set(listParam(params, 'InstanceId'))];
  if (ids.length === 0) throw missing('InstanceId');
  const malformed = ids.find((id) => !INSTANCE_ID.test(id));
  if (malformed) throw new AwsApiError(400, 'InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`);
  const pools = new Set(awsPools(ctx).map((p) => p.id));
  const ended = new Set(recentlyTerminated(ctx).map((t) => t.instance.id));
  const live = (id: string) => {
    const i = ctx.world.instance(id);
    return i && pools.has(i.poolId) && i.state !== 'terminated' ? i : undefined;
  };
  const unknown = ids.filter((id) => !live(id) && !ended.has(id));
  if (unknown.length) throw instancesNotFound(unknown);
  const terminated = { code: 48, name: 'terminated' };
  return {
    instancesSet: ids.map((id) => {
      const i = live(id);
      if (!i) return { instanceId: id, currentState: terminated, previousState: terminated };
      const [code, name] = stateOf(ctx, i);
      const at = ctx.world.now();
      // Ended by the user, even under a spot notice: its state reason says so, not the notice.
      const { interrupted: _notice, ...rest } = i;
      ctx.state.terminated.set(id, { instance: { ...rest, state: 'terminated', terminatedAt: at }, at });
      ctx.world.terminateInstance(id);
      return { instanceId: id, currentState: { code: 32, name: 'shutting-down' }, previousState: { code, name } };
    }),
  };
}

// ---- capacity reservations ----------------------------------------------------------------------------------

function describeCapacityReservations(ctx: RequestContext, params: QueryParams): XmlObject {
  const all = ctx.world
    .allReservations()
    .filter((r) => r.cloud === 'aws' && r.zone.startsWith(ctx.region))
    .sort((a, b) => a.id.localeCompare(b.id));
  const ids = listParam(params, 'CapacityReservationId');
  let selected = all;
  if (ids.length) {
    selected = ids.map((id) => {
      const r = all.find((x) => x.id === id);
      if (!r)
        throw new AwsApiError(
          400,
          'InvalidCapacityReservationId.NotFound',
          `The capacity reservation ID '${id}' does not exist`,
        );
      return r;
    });
  }
  const filters = filtersParam(params, 'ec2');
  const rows = selected
    .map((r) => {
      // A Capacity Block stays active until its end date, 30 minutes after its instances are terminated (the
      // world's end), with nothing available in those 30 minutes.
      const worldState = ctx.world.reservationState(r);
      const state = worldState === 'expired' && ctx.world.now() < endDateOf(r) ? 'active' : worldState;
      const used = ctx.world.reservationUsed(r.id);
      const available = worldState === 'expired' || state === 'cancelled' ? 0 : Math.max(0, r.total - used);
      const reservationType = r.type === 'capacity-block' ? 'capacity-block' : 'default';
      return { r, state, available, reservationType };
    })
    .filter(({ r, state, reservationType }) =>
      matchesFilters(
        filters,
        { state, 'instance-type': r.instanceType, 'availability-zone': r.zone, 'reservation-type': reservationType },
        [],
      ),
    );
  const size = pageSize(ctx, intParam(params, 'MaxResults', { min: 1, max: 1000 }));
  const p = page('DescribeCapacityReservations', rows, offsetOf('DescribeCapacityReservations', params), size);
  return {
    nextToken: p.nextToken,
    capacityReservationSet: p.items.map(({ r, state, available, reservationType }) => ({
      capacityReservationId: r.id,
      ownerId: ctx.options.accountId,
      capacityReservationArn: `arn:aws:ec2:${ctx.region}:${ctx.options.accountId}:capacity-reservation/${r.id}`,
      availabilityZoneId: zoneIdOf(r.zone),
      instanceType: r.instanceType,
      instancePlatform: 'Linux/UNIX',
      availabilityZone: r.zone,
      tenancy: 'default',
      totalInstanceCount: r.total,
      availableInstanceCount: available,
      ebsOptimized: true,
      ephemeralStorage: false,
      state,
      startDate: isoOf(r.start),
      endDate: isoOf(endDateOf(r)),
      endDateType: 'limited',
      instanceMatchCriteria: 'targeted',
      createDate: isoOf(Math.min(r.start, ctx.world.now())),
      tagSet: [],
      reservationType,
      capacityBlockId: r.type === 'capacity-block' ? r.id : undefined,
      deliveryPreference: r.type === 'future-odcr' ? 'fixed' : undefined,
    })),
  };
}

// ---- spot prices ------------------------------------------------------------------------------------------

const HOUR = 3_600_000;
/** Price changes kept per instance type and zone: one an hour over the last six hours. */
const HISTORY_POINTS = 6;

interface PricePoint {
  instanceType: string;
  zone: string;
  time: number;
  price: number;
}

/**
 * Spot price history, deterministic: for each spot pool's instance type and zone, one price change an hour;
 * the latest is the pool's hourly price (what the world bills), earlier ones within +-5% of it.
 */
function priceHistory(ctx: RequestContext): PricePoint[] {
  const out: PricePoint[] = [];
  const seen = new Set<string>();
  const latest = Math.floor(ctx.world.now() / HOUR) * HOUR;
  for (const pool of awsPools(ctx)) {
    if (pool.capacityType !== 'spot') continue;
    for (const zone of pool.zones) {
      const key = `${pool.instanceType}|${zone}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (let k = 0; k < HISTORY_POINTS; k++) {
        const time = latest - k * HOUR;
        const wobble = k === 0 ? 0 : (Number.parseInt(hexOf(`${key}|${time}`, 4), 16) / 0xffff - 0.5) * 0.1;
        out.push({ instanceType: pool.instanceType, zone, time, price: pool.hourlyPrice * (1 + wobble) });
      }
    }
  }
  return out;
}

function timeParam(params: QueryParams, name: string): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw invalidValue(name, raw, 'Expected an ISO 8601 time.');
  return t;
}

/**
 * Like EC2: with a start time, the price changes in [StartTime, EndTime] plus the last change before
 * StartTime for each instance type and zone; newest first.
 */
function describeSpotPriceHistory(ctx: RequestContext, params: QueryParams): XmlObject {
  const types = listParam(params, 'InstanceType');
  const products = listParam(params, 'ProductDescription');
  const zone = params.AvailabilityZone;
  const start = timeParam(params, 'StartTime');
  const end = timeParam(params, 'EndTime') ?? ctx.world.now();
  if (start !== undefined && start > end) {
    throw new AwsApiError(400, 'InvalidParameterValue', 'The start time must be before the end time.');
  }
  const filters = filtersParam(params, 'ec2');
  const product = 'Linux/UNIX';
  const candidates = priceHistory(ctx).filter(
    (p) =>
      p.time <= end &&
      (types.length === 0 || types.includes(p.instanceType)) &&
      (products.length === 0 || products.includes(product)) &&
      (zone === undefined || p.zone === zone) &&
      matchesFilters(
        filters,
        { 'instance-type': p.instanceType, 'availability-zone': p.zone, 'product-description': product },
        [],
      ),
  );
  let selected = candidates;
  if (start !== undefined) {
    const lastBefore = new Map<string, PricePoint>();
    for (const p of candidates) {
      if (p.time >= start) continue;
      const key = `${p.instanceType}|${p.zone}`;
      const prev = lastBefore.get(key);
      if (!prev || prev.time < p.time) lastBefore.set(key, p);
    }
    selected = [...candidates.filter((p) => p.time >= start), ...lastBefore.values()];
  }
  selected.sort(
    (a, b) => b.time - a.time || a.instanceType.localeCompare(b.instanceType) || a.zone.localeCompare(b.zone),
  );
  const size = pageSize(ctx, intParam(params, 'MaxResults', { min: 1, max: 1000 }));
  const p = page('DescribeSpotPriceHistory', selected, offsetOf('DescribeSpotPriceHistory', params), size);
  return {
    nextToken: p.nextToken ?? '',
    spotPriceHistorySet: p.items.map((x) => ({
      availabilityZone: x.zone,
      availabilityZoneId: zoneIdOf(x.zone),
      instanceType: x.instanceType,
      productDescription: product,
      spotPrice: x.price.toFixed(6),
      timestamp: isoOf(x.time),
    })),
  };
}
