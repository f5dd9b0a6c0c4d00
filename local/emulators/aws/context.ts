/**
 * What the AWS emulator's protocol handlers share: the world, the request's region and account, the emulator's
 * own state (what is not capacity: fleet types, scaling activities, EKS updates, events received) and the
 * API error every handler throws, which each protocol renders in its own shape.
 */
import type { Fault } from '../faults.ts';
import type { World, WorldInstance, WorldPool } from '../world.ts';
import { hexOf, uuidOf } from './wire.ts';

/** An AWS API error: rendered as EC2 `<Response><Errors>`, Query `<ErrorResponse>`, or JSON with its type. */
export class AwsApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra JSON members (EKS puts `clusterName`, `nodegroupName` beside `message`). */
  readonly fields: Record<string, unknown>;
  constructor(status: number, code: string, message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export type FleetType = 'maintain' | 'request' | 'instant';

export interface ScalingActivity {
  ActivityId: string;
  AutoScalingGroupName: string;
  Description: string;
  Cause: string;
  StartTime: string;
  EndTime?: string;
  StatusCode: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  StatusMessage?: string;
  Progress: number;
  Details: string;
}

export interface EksUpdate {
  id: string;
  poolId: string;
  cluster: string;
  nodegroup: string;
  token?: string;
  createdAt: number;
  params: Array<{ type: string; value: string }>;
  scaling: { minSize?: number; maxSize?: number; desiredSize?: number };
  /** DescribeUpdate answers still `InProgress` before the update ends. */
  pollsLeft: number;
  /** How it ends: applied, applied but the launches fail for capacity, or failed. */
  outcome: 'apply' | 'apply-no-capacity' | 'fail';
  status: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  errors: Array<{ errorCode: string; errorMessage: string; resourceIds: string[] }>;
}

/** An event as a rule target would receive it (EventBridge envelope), plus the bus it was put on. */
export interface ReceivedEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  eventBusName: string;
}

/**
 * An instance ended by TerminateInstances or taken back by EC2 at the end of a spot notice. The world forgets
 * an instance once it is gone; EC2 keeps a terminated instance visible (`terminated`, with its state reason)
 * for about an hour, and so does the emulator.
 */
export interface TerminatedInstance {
  /** The instance as it was, with the world pool it belonged to. */
  instance: WorldInstance;
  /** World time of the termination. */
  at: number;
}

/** How long EC2 keeps describing a terminated instance. */
export const TERMINATED_VISIBLE_MS = 3_600_000;

/** Says whether PutEvents refuses an entry otherwise valid: its error code and message, or undefined to accept it. */
export type RefuseEvent = (entry: {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}) => { code: string; message: string } | undefined;

export interface AwsEmulatorState {
  /** Scaling activities per Auto Scaling group name, newest last. */
  activities: Map<string, ScalingActivity[]>;
  updates: Map<string, EksUpdate>;
  /** Node group health issues per pool id (AsgInstanceLaunchFailures after a failed launch). */
  nodegroupIssues: Map<string, Array<{ code: string; message: string; resourceIds: string[] }>>;
  received: ReceivedEvent[];
  /** Told of each event PutEvents accepted (after it is in `received`): a rule's target, locally. */
  onEvent?: (event: ReceivedEvent) => void;
  /**
   * Refuses an entry PutEvents would accept, one by one, as EventBridge does under load (`FailedEntryCount`):
   * a test or the stack sets it (`AwsEmulator.events.refuse`); undefined accepts.
   */
  refuseEvent?: RefuseEvent;
  /** When the emulator first saw each pool (the world keeps no creation time): its CreateTime. */
  created: Map<string, string>;
  /** Instances TerminateInstances ended or EC2 took back, by id (see TerminatedInstance). */
  terminated: Map<string, TerminatedInstance>;
  seq: number;
}

export interface ResolvedAwsEmulatorOptions {
  accountId: string;
  /** Caps every page (0 = the API's own default page size). */
  pageSize: number;
  eksUpdatePolls: number;
  /** Seconds of world time after which an EKS update ends even if nobody polls it. */
  eksUpdateSeconds: number;
  fleetTypes: Record<string, FleetType>;
  kubernetesVersion: string;
}

export interface RequestContext {
  world: World;
  state: AwsEmulatorState;
  options: ResolvedAwsEmulatorOptions;
  region: string;
  requestId: string;
  /** A fault the handler renders itself (insufficient capacity, a failed operation), if one was taken. */
  fault?: Fault;
}

/** Next id in the emulator's own sequence (activity ids, update ids, event ids): deterministic per run. */
export function nextId(ctx: RequestContext, kind: string): string {
  ctx.state.seq += 1;
  return uuidOf(`${kind}/${ctx.state.seq}`);
}

// ---- world views shared by EC2, Auto Scaling and EKS -----------------------------------------------------

/** The pool's creation time as AWS reports it: when the emulator first saw the pool. */
export function createdAtOf(ctx: RequestContext, pool: WorldPool): string {
  let at = ctx.state.created.get(pool.id);
  if (!at) {
    at = ctx.world.nowIso();
    ctx.state.created.set(pool.id, at);
  }
  return at;
}

export function awsPools(ctx: RequestContext): readonly WorldPool[] {
  return ctx.world.poolsIn('aws', ctx.region);
}

/** The Auto Scaling group behind an EKS managed node group (`eks-<nodegroup>-<uuid>`, as EKS names them). */
export function eksAsgName(pool: WorldPool): string {
  const ng = pool.name.split('/')[1] ?? pool.name;
  return `eks-${ng}-${uuidOf(`asg/${pool.id}`)}`;
}

/** Auto Scaling group name of a pool, if the pool is (or is backed by) one. */
export function asgNameOf(pool: WorldPool): string | undefined {
  if (pool.kind === 'auto-scaling-group') return pool.name;
  if (pool.kind === 'eks-nodegroup') return eksAsgName(pool);
  return undefined;
}

export function findAsgPool(ctx: RequestContext, name: string): WorldPool | undefined {
  return poolIndex(ctx).byAsgName.get(name);
}

/**
 * The tags every instance of a pool carries because of what the pool is (its kind and name, which never
 * change): `aws:ec2:fleet-id` on an EC2 Fleet's, `aws:autoscaling:groupName` on a group's, and an EKS node
 * group's own. In the order EC2 lists them after the pool's tags and `Name`.
 */
export function identityTags(pool: WorldPool): Record<string, string> {
  const tags: Record<string, string> = {};
  if (pool.kind === 'ec2-fleet') tags['aws:ec2:fleet-id'] = pool.name;
  const asg = asgNameOf(pool);
  if (asg) tags['aws:autoscaling:groupName'] = asg;
  if (pool.kind === 'eks-nodegroup') {
    const [cluster, nodegroup] = pool.name.split('/');
    tags['eks:cluster-name'] = cluster ?? '';
    tags['eks:nodegroup-name'] = nodegroup ?? '';
    tags[`kubernetes.io/cluster/${cluster}`] = 'owned';
  }
  return tags;
}

/**
 * The tags every instance of `pool` carries whatever the instance: the pool's own and its identity's (the
 * identity's win, as on the instances), not `Name` (each instance's node name).
 */
export function poolTags(pool: WorldPool): Record<string, string> {
  const { Name: _name, ...own } = pool.tags ?? {};
  return Object.assign(own, identityTags(pool));
}

/** Lookups over the region's AWS pools (`poolIndex`). */
export interface AwsPoolIndex {
  /** The pools in `awsPools` order (the order an answer lists them in). */
  inOrder(pools: Iterable<WorldPool>): WorldPool[];
  /** The pool of each Auto Scaling group name (the first, as a search in `awsPools` order finds it). */
  byAsgName: ReadonlyMap<string, WorldPool>;
  /** The pools whose every instance carries a tag (`poolTags`), by key and value (`tagKey`). */
  byTag: ReadonlyMap<string, readonly WorldPool[]>;
}

/** The `byTag` key of a tag. */
export const tagKey = (key: string, value: string) => `${key}\u0000${value}`;

const indexes = new WeakMap<readonly WorldPool[], AwsPoolIndex>();

/**
 * The region's AWS pools indexed, built once per list of pools (`World.poolsIn` makes a new list when a pool is
 * added or its tags change): an API call answers from the pools it names without a pass over a world of
 * thousands.
 */
export function poolIndex(ctx: RequestContext): AwsPoolIndex {
  const pools = awsPools(ctx);
  let index = indexes.get(pools);
  if (!index) {
    const position = new Map<string, number>();
    const byAsgName = new Map<string, WorldPool>();
    const byTag = new Map<string, WorldPool[]>();
    pools.forEach((pool, k) => {
      position.set(pool.id, k);
      const asg = asgNameOf(pool);
      if (asg !== undefined && !byAsgName.has(asg)) byAsgName.set(asg, pool);
      for (const [key, value] of Object.entries(poolTags(pool))) {
        const tagged = byTag.get(tagKey(key, value));
        if (tagged) tagged.push(pool);
        else byTag.set(tagKey(key, value), [pool]);
      }
    });
    const inOrder = (some: Iterable<WorldPool>) =>
      [...new Set(some)].sort((a, b) => position.get(a.id)! - position.get(b.id)!);
    index = { inOrder, byAsgName, byTag };
    indexes.set(pools, index);
  }
  return index;
}

/** The world pool `poolId` when it is one of the region's AWS pools (`awsPools`). */
export function awsPoolHere(ctx: RequestContext, poolId: string): WorldPool | undefined {
  const pool = ctx.world.pool(poolId);
  return pool !== undefined && pool.cloud === 'aws' && pool.region === ctx.region ? pool : undefined;
}

export function reservationOf(ctx: RequestContext, pool: WorldPool) {
  return pool.reservationId ? ctx.world.reservation(pool.reservationId) : undefined;
}

/** EC2's name for how an instance is bought: `spot`, `capacity-block`, or undefined for on-demand. */
export function instanceLifecycleOf(ctx: RequestContext, pool: WorldPool): string | undefined {
  if (pool.capacityType === 'spot') return 'spot';
  if (pool.capacityType === 'reserved' && reservationOf(ctx, pool)?.type === 'capacity-block') return 'capacity-block';
  return undefined;
}

/** Instances of the region's AWS pools that TerminateInstances ended within the last hour of world time. */
export function recentlyTerminated(ctx: RequestContext): TerminatedInstance[] {
  const out: TerminatedInstance[] = [];
  for (const [id, t] of ctx.state.terminated) {
    if (ctx.world.now() - t.at >= TERMINATED_VISIBLE_MS) ctx.state.terminated.delete(id);
    else if (awsPoolHere(ctx, t.instance.poolId)) out.push(t);
  }
  return out;
}

export function liveInstances(ctx: RequestContext, pool: WorldPool): WorldInstance[] {
  return ctx.world.instancesOf(pool.id).sort((a, b) => a.index - b.index);
}

export function subnetOf(pool: WorldPool, zone: string): string {
  return `subnet-0${hexOf(`subnet/${pool.region}/${zone}`, 16)}`;
}

export function vpcOf(pool: WorldPool): string {
  return `vpc-0${hexOf(`vpc/${pool.region}`, 16)}`;
}

export function launchTemplateOf(pool: WorldPool): { id: string; name: string } {
  return { id: `lt-0${hexOf(`lt/${pool.id}`, 16)}`, name: `${pool.id}-lt` };
}

const DIRECTIONS: Record<string, string> = {
  east: 'e',
  west: 'w',
  north: 'n',
  south: 's',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

/** `us-east-1a` -> `use1-az1`, `ap-southeast-2b` -> `apse2-az2`. */
export function zoneIdOf(zone: string): string {
  const m = /^([a-z]+)-([a-z]+)-(\d+)([a-z])$/.exec(zone);
  if (!m) return zone;
  return `${m[1]}${DIRECTIONS[m[2]!] ?? m[2]![0]}${m[3]}-az${m[4]!.charCodeAt(0) - 96}`;
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
