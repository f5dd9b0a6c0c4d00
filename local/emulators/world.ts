/**
 * The simulated world behind every emulator: pools of instances with a lifecycle
 * (pending -> running -> ready after the pool's boot and ready times), spot capacity that can be taken back
 * with the cloud's notice, capacity reservations and blocks, prices, billing, and a clock that only moves
 * when the owner advances it. Emulators (local/emulators/<cloud>) expose it over each cloud's real wire
 * protocol; the offline simulation drives its clock.
 *
 * Nothing here reads the real clock or does I/O.
 */
import type { CapacityType, Cloud, PoolKind } from '../../shared/domain/types.ts';
import {
  DEFAULT_DISK_GB,
  DEFAULT_DISK_TYPE,
  DEFAULT_RESUME_SECONDS,
  type WarmState,
  warmHourlyPrice,
} from '../../shared/domain/warm.ts';
import { CAPACITY_BLOCK_RECLAIM_SECONDS } from '../../shared/engine/defaults.ts';
import { FaultInjector } from './faults.ts';
import { noteOperation } from './tap.ts';

export type InstanceState = 'pending' | 'running' | 'ready' | 'terminating' | 'terminated';

export interface WorldPoolSpec {
  /** Stable id, shared with configuration (`aws-g5-spot`). */
  id: string;
  cloud: Cloud;
  kind: PoolKind;
  /** The cloud's name for the group: fleet id, ASG name, `cluster/nodegroup`, VMSS name, MIG name, NodePool name. */
  name: string;
  region: string;
  zones: string[];
  instanceType: string;
  capacityType: CapacityType;
  desired: number;
  min: number;
  max: number;
  /** Seconds from launch to running (the VM is up). */
  bootSeconds: number;
  /** Seconds from launch to ready (serving: node joined, image pulled, model loaded). */
  readySeconds: number;
  /** USD per instance-hour, billed from launch to termination. */
  hourlyPrice: number;
  reservationId?: string;
  /** Azure `subscription/resourceGroup`, GCP project. */
  scope?: string;
  /** Kubernetes cluster the instances join as nodes, if any. */
  cluster?: string;
  tags?: Record<string, string>;
  /** How the pool's instances behave when kept warm (stopped); absent = the pool cannot keep any. */
  warm?: WorldWarmSpec;
  /**
   * `instances`: no group keeps the pool at a count. Instances are launched one at a time (`launchInstance`,
   * as an EC2 CreateFleet of type `instant` or one VM create does) and ended one at a time; the World never
   * launches or ends one on its own, except when the cloud takes capacity back, and an instance taken back
   * is not replaced. `desired` then follows the instances (those not under notice). Default `group`.
   */
  management?: 'group' | 'instances';
}

/** The physics of a pool's warm (stopped) instances. */
export interface WorldWarmSpec {
  /** Seconds from a resume to serving. */
  resumeSeconds: number;
  /** USD per warm instance-hour (its disks). */
  hourlyPrice: number;
  /** Chance (0..1) that a resume fails for lack of capacity, on top of the zone's own capacity; default 0. */
  resumeFailureRate?: number;
}

/**
 * The group's warm-pool policy, as the cloud's API set it (ASG PutWarmPool, MIG standby policy). Absent = no
 * warm pool. The cloud keeps `warmTargetOf(pool)` warm instances: max(min, maxPrepared - desired), or `min`
 * when `maxPrepared` is absent and `preparedFromMax` is false (AWS sizes a pool without MaxGroupPreparedCapacity
 * from the group's MaxSize: `preparedFromMax`).
 */
export interface WorldWarmPolicy {
  state: WarmState;
  min: number;
  maxPrepared?: number;
  preparedFromMax?: boolean;
  /** Scale-in returns instances to the warm pool (ASG `InstanceReusePolicy.ReuseOnScaleIn`) while it has room. */
  reuseOnScaleIn: boolean;
  /** The cloud refills the pool itself (ASG, MIG `SCALE_OUT_POOL`); false: only explicit calls (Azure). */
  autoRefill: boolean;
  /** The cloud draws on the pool when the group scales out (ASG, MIG `SCALE_OUT_POOL`). */
  autoResume: boolean;
}

/**
 * A warm instance: not in the group's running set. `warming` = launched and preparing (boot, image pull, model
 * to disk; billed as a running instance until `warmAt`), then `warm` (stopped: billed its disks only).
 */
export interface WorldWarmInstance {
  id: string;
  poolId: string;
  zone: string;
  index: number;
  nodeName: string;
  instanceType: string;
  phase: 'warming' | 'warm';
  state: WarmState;
  launchedAt: number;
  warmAt: number;
  /** Billing so far is settled up to here. */
  billedTo: number;
}

export interface WorldPool extends WorldPoolSpec {
  /** Monotonic counter used for instance names. */
  seq: number;
  /** ISO time of the last change of desired. */
  updatedAt: string;
  /**
   * The group's excess-capacity policy, as the last `setDesired` with a `noTermination` option set it (EC2
   * Fleet `ExcessCapacityTerminationPolicy`; kept until set again). When true, a desired count below the live
   * instances ends none of them: the surplus goes only as instances end otherwise (interrupted, terminated by
   * id), and none is replaced while the group holds at least its desired count. Absent = false.
   */
  noTermination?: boolean;
  /** The group's warm-pool policy (see `WorldWarmPolicy`); absent = none. */
  warmPolicy?: WorldWarmPolicy;
}

export interface WorldInstance {
  id: string;
  poolId: string;
  cloud: Cloud;
  zone: string;
  instanceType: string;
  capacityType: CapacityType;
  state: InstanceState;
  /** Kubernetes node name, if the pool's instances join a cluster. */
  nodeName: string;
  launchedAt: number;
  runningAt: number;
  readyAt: number;
  /** When a terminating instance is gone (end of notice). */
  terminateAt?: number;
  terminatedAt?: number;
  /** Set when the cloud took the instance back (spot, reservation end). */
  interrupted?: { kind: 'spot' | 'reservation'; noticeAt: number; deadline: number };
  /** Index within the pool (Azure instanceId). */
  index: number;
}

export interface WorldReservation {
  id: string;
  cloud: Cloud;
  type: 'capacity-block' | 'odcr' | 'future-odcr';
  instanceType: string;
  zone: string;
  total: number;
  start: number;
  /**
   * When its capacity ends: its instances are terminated then. A Capacity Block's end date as EC2 lists and
   * sends it is 30 minutes later (`endDateOf`): EC2 terminates a block's instances from 30 minutes
   * before its end date, and warns 10 minutes before that (the world's `expiring` event, 10 minutes before
   * `end`).
   */
  end: number;
  cancelled?: boolean;
}

/**
 * A Capacity Block's end date, as DescribeCapacityReservations and its EventBridge events give it: 30 minutes
 * after its instances are terminated ("You can use all the instances you reserved until 30 minutes before the
 * end time of the Capacity Block", EC2 User Guide, Capacity Blocks). Another reservation's end date is its end.
 */
export function endDateOf(r: Pick<WorldReservation, 'type' | 'end'>): number {
  return r.type === 'capacity-block' ? r.end + CAPACITY_BLOCK_RECLAIM_SECONDS * 1000 : r.end;
}

export type WorldEvent =
  | {
      type: 'interruption-notice';
      cloud: Cloud;
      poolId: string;
      instanceId: string;
      nodeName: string;
      zone: string;
      at: number;
      deadline: number;
      reason: 'spot' | 'reservation';
    }
  | { type: 'rebalance-recommendation'; cloud: Cloud; poolId: string; instanceId: string; zone: string; at: number }
  | {
      type: 'instance-state';
      poolId: string;
      instanceId: string;
      state: InstanceState;
      at: number;
      /** The instance as it ended (a `terminated` event only: it is no longer in the world). */
      instance?: WorldInstance;
    }
  | { type: 'launch-failed'; poolId: string; zone: string; count: number; reason: string; at: number }
  | { type: 'reservation'; reservationId: string; kind: 'active' | 'expiring' | 'expired'; at: number };

/**
 * Whether a group's capacity drops by one when the cloud takes one of its spot instances back, instead of the
 * group launching a replacement: an Azure Spot scale set with evictionPolicy Delete (the emulator's, see
 * azure/resources.ts) deletes the evicted VM with its disks, and new VMs come only from raising the scale
 * set's instance count again, by hand or by autoscale (learn.microsoft.com, "Azure Spot Virtual Machines for
 * Virtual Machine Scale Sets", Eviction policy); Spot Try Restore, which the emulator does not enable, would
 * restore them opportunistically. Auto Scaling groups, EC2 Fleets of type `maintain` and managed instance
 * groups replace it once it is gone.
 */
export function reclaimLowersCapacity(pool: Pick<WorldPool, 'cloud' | 'capacityType'>): boolean {
  return pool.cloud === 'azure' && pool.capacityType === 'spot';
}

/** Notice each cloud gives before it takes spot capacity back. */
export const SPOT_NOTICE_SECONDS: Record<Cloud, number> = { aws: 120, azure: 30, gcp: 30, kubernetes: 30 };

/**
 * The state a cloud shows for an instance: one under a spot notice keeps the state it had until the deadline
 * (EC2 and Azure take it back then; the notice is the EventBridge event, the scheduled event and the instance
 * metadata), so it is described as it was: ready, running or pending. Any other instance as the world has it.
 * GCP's emulator does not use it: a preempted instance is `STOPPING` from the notice (ACPI soft off).
 */
export function shownState(i: WorldInstance, now: number): WorldInstance['state'] {
  if (i.state !== 'terminating' || i.interrupted?.kind !== 'spot') return i.state;
  if (i.readyAt <= now) return 'ready';
  return i.runningAt <= now ? 'running' : 'pending';
}

export interface SetDesiredOutcome {
  previous: number;
  desired: number;
  launched: number;
  terminated: number;
  /** Instances that could not be launched now (capacity). The group keeps trying on every `advance`. */
  shortfall: number;
}

export interface CallRecord {
  service: string;
  operation: string;
  at: number;
  params?: unknown;
}

/** A world as JSON (`World.snapshot()`); infinite capacities are `null`. */
export interface WorldSnapshot {
  version: 1;
  clock: number;
  rngState: number;
  pools: WorldPool[];
  instances: WorldInstance[];
  reservations: WorldReservation[];
  spotCapacity: Array<[string, number | null]>;
  onDemandCapacity: Array<[string, number | null]>;
  expiringNotified: string[];
  settledCost: Array<[string, number | null]>;
  settledHours: Array<[string, number | null]>;
  warmInstances: WorldWarmInstance[];
  settledWarmCost: Array<[string, number | null]>;
  armedResumeFailures: Array<[string, number | null]>;
  warmCounters: Array<[string, { resumes: number; failedResumes: number }]>;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export interface WorldOptions {
  /** Simulated start time (ms since epoch). */
  start: number;
  /** Seed for ids. */
  seed?: number;
}

/** A small deterministic PRNG (mulberry32), so ids and choices repeat for a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class World {
  readonly faults = new FaultInjector();
  readonly calls: CallRecord[] = [];
  private clock: number;
  /** The state of the id generator (mulberry32's), kept so a restored world goes on with new ids. */
  private rngState: number;
  private readonly pools = new Map<string, WorldPool>();
  private readonly instances = new Map<string, WorldInstance>();
  /**
   * The same instances by pool, each pool's in the order `instances` holds them (`instancesOf` reads one pool's
   * without a pass over every instance of the world: a stack of 1,000 fleets has thousands).
   */
  private readonly byPool = new Map<string, Map<string, WorldInstance>>();
  /** Pools by `cloud|region`, as `poolsIn` lists them; reset when a pool is added or its tags change. */
  private readonly poolsByRegion = new Map<string, readonly WorldPool[]>();
  private readonly reservations = new Map<string, WorldReservation>();
  /** Spot capacity per `poolId|zone`; absent = unlimited. */
  private readonly spotCapacity = new Map<string, number>();
  /** On-demand capacity per `poolId|zone`; absent = unlimited. */
  private readonly onDemandCapacity = new Map<string, number>();
  private readonly listeners: Array<(e: WorldEvent) => void> = [];
  private readonly expiringNotified = new Set<string>();
  /** Warm instances of every pool, by id (not in `instances`: they are not part of any running group). */
  private readonly warmInstances = new Map<string, WorldWarmInstance>();
  private readonly settledWarmCost = new Map<string, number>();
  /** Resumes that will fail for capacity, per pool, armed by tests (`failNextResumes`). */
  private readonly armedResumeFailures = new Map<string, number>();
  /** Per pool: warm instances resumed into service, and resumes that failed (fell back to a cold launch). */
  private readonly warmCounters = new Map<string, { resumes: number; failedResumes: number }>();
  /** Accumulated cost per pool, USD, for instances already terminated. */
  private readonly settledCost = new Map<string, number>();
  /** Accumulated instance-hours per pool for instances already terminated. */
  private readonly settledHours = new Map<string, number>();

  constructor(options: WorldOptions) {
    this.clock = options.start;
    this.rngState = (options.seed ?? 1) >>> 0;
  }

  // ---- persistence ---------------------------------------------------------------------------------------
  /**
   * Everything the world holds, as JSON (the local CLI keeps it between commands). Not kept: the fault
   * injector, the call log and the listeners, which belong to one process.
   */
  snapshot(): WorldSnapshot {
    const entries = (m: Map<string, number>) => [...m].map(([k, v]): [string, number | null] => [k, finite(v)]);
    return {
      version: 1,
      clock: this.clock,
      rngState: this.rngState,
      pools: [...this.pools.values()].map((p) => structuredClone(p)),
      instances: [...this.instances.values()].map((i) => structuredClone(i)),
      reservations: [...this.reservations.values()].map((r) => structuredClone(r)),
      spotCapacity: entries(this.spotCapacity),
      onDemandCapacity: entries(this.onDemandCapacity),
      expiringNotified: [...this.expiringNotified],
      settledCost: entries(this.settledCost),
      settledHours: entries(this.settledHours),
      warmInstances: [...this.warmInstances.values()].map((w) => structuredClone(w)),
      settledWarmCost: entries(this.settledWarmCost),
      armedResumeFailures: entries(this.armedResumeFailures),
      warmCounters: [...this.warmCounters].map(([k, v]) => [k, { ...v }]),
    };
  }

  /** A world as `snapshot()` left it. Throws on a snapshot of another version. */
  static restore(snap: WorldSnapshot): World {
    if (snap.version !== 1) throw new Error(`world snapshot version ${String(snap.version)} is not 1`);
    const w = new World({ start: snap.clock });
    w.rngState = snap.rngState >>> 0;
    for (const p of snap.pools) w.pools.set(p.id, structuredClone(p));
    for (const i of snap.instances) w.track(structuredClone(i));
    for (const r of snap.reservations) w.reservations.set(r.id, structuredClone(r));
    const fill = (m: Map<string, number>, from: Array<[string, number | null]>) => {
      for (const [k, v] of from) m.set(k, v ?? Number.POSITIVE_INFINITY);
    };
    fill(w.spotCapacity, snap.spotCapacity);
    fill(w.onDemandCapacity, snap.onDemandCapacity);
    for (const id of snap.expiringNotified) w.expiringNotified.add(id);
    fill(w.settledCost, snap.settledCost);
    fill(w.settledHours, snap.settledHours);
    for (const x of snap.warmInstances ?? []) w.warmInstances.set(x.id, structuredClone(x));
    fill(w.settledWarmCost, snap.settledWarmCost ?? []);
    fill(w.armedResumeFailures, snap.armedResumeFailures ?? []);
    for (const [k, v] of snap.warmCounters ?? []) w.warmCounters.set(k, { ...v });
    return w;
  }

  /** Adds an instance to `instances` and to its pool's in `byPool`. */
  private track(inst: WorldInstance): void {
    this.instances.set(inst.id, inst);
    let pool = this.byPool.get(inst.poolId);
    if (!pool) {
      pool = new Map();
      this.byPool.set(inst.poolId, pool);
    }
    pool.set(inst.id, inst);
  }

  /** The next number of the id generator (mulberry32, as `mulberry32()` computes it). */
  private rand(): number {
    this.rngState = (this.rngState + 0x6d2b79f5) >>> 0;
    let t = this.rngState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  // ---- clock ---------------------------------------------------------------------------------------------
  now(): number {
    return this.clock;
  }
  nowIso(): string {
    return new Date(this.clock).toISOString();
  }
  /** Moves the clock forward and plays every lifecycle transition due on the way, in time order. */
  advance(seconds: number): void {
    this.advanceTo(this.clock + seconds * 1000);
  }
  advanceTo(ms: number): void {
    if (ms < this.clock) throw new Error(`world clock cannot go back (${new Date(ms).toISOString()})`);
    for (;;) {
      const next = this.nextTransition();
      if (next === undefined || next > ms) break;
      this.clock = Math.max(this.clock, next);
      this.step();
    }
    this.clock = ms;
    this.step();
  }

  on(listener: (e: WorldEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Records a call an emulator served, so tests can say which cloud calls were made. */
  record(service: string, operation: string, params?: unknown): void {
    this.calls.push({ service, operation, at: this.clock, params });
    noteOperation(service, operation);
  }
  callsTo(service: string, operation?: string): CallRecord[] {
    return this.calls.filter((c) => c.service === service && (operation === undefined || c.operation === operation));
  }

  // ---- pools ---------------------------------------------------------------------------------------------
  addPool(spec: WorldPoolSpec): WorldPool {
    if (this.pools.has(spec.id)) throw new Error(`pool ${spec.id} exists`);
    if (spec.readySeconds < spec.bootSeconds) throw new Error(`pool ${spec.id}: readySeconds < bootSeconds`);
    const pool: WorldPool = { ...spec, seq: 0, desired: 0, updatedAt: this.nowIso() };
    this.pools.set(spec.id, pool);
    this.poolsByRegion.clear();
    if (spec.desired > 0) {
      if (spec.management === 'instances') for (let k = 0; k < spec.desired; k++) this.launchInstance(spec.id);
      else this.setDesired(spec.id, spec.desired);
      // Pools present at the start of the world are already serving.
      for (const inst of this.instancesOf(spec.id)) {
        inst.launchedAt = inst.runningAt = inst.readyAt = this.clock;
        inst.state = 'ready';
      }
    }
    return pool;
  }
  pool(id: string): WorldPool | undefined {
    return this.pools.get(id);
  }
  /** Finds a pool by its cloud name (and kind, when names could collide across kinds). */
  findPool(cloud: Cloud, name: string, kind?: PoolKind): WorldPool | undefined {
    for (const p of this.pools.values()) {
      if (p.cloud === cloud && p.name === name && (kind === undefined || p.kind === kind)) return p;
    }
    return undefined;
  }
  allPools(): WorldPool[] {
    return [...this.pools.values()];
  }
  /**
   * The pools of one cloud in one region, in the order `allPools` lists them: what an emulated API answers
   * from, on every request (kept between pool additions, so a world of thousands is not filtered each time).
   */
  poolsIn(cloud: Cloud, region: string): readonly WorldPool[] {
    const key = `${cloud}|${region}`;
    let pools = this.poolsByRegion.get(key);
    if (!pools) {
      pools = [...this.pools.values()].filter((p) => p.cloud === cloud && p.region === region);
      this.poolsByRegion.set(key, pools);
    }
    return pools;
  }
  updatePool(id: string, patch: Partial<Pick<WorldPool, 'min' | 'max' | 'tags' | 'hourlyPrice'>>): void {
    const p = this.requirePool(id);
    Object.assign(p, patch);
    // A new list: what the emulators index per list (the pools' tags) is built again.
    if (patch.tags !== undefined) this.poolsByRegion.clear();
  }

  /** Live instances: not terminated (terminating ones still count until their deadline). */
  instancesOf(poolId: string, opts: { includeTerminated?: boolean } = {}): WorldInstance[] {
    const out: WorldInstance[] = [];
    for (const i of this.byPool.get(poolId)?.values() ?? []) {
      if (opts.includeTerminated || i.state !== 'terminated') out.push(i);
    }
    return out;
  }
  instance(id: string): WorldInstance | undefined {
    return this.instances.get(id);
  }
  findInstanceByNode(nodeName: string): WorldInstance | undefined {
    for (const i of this.instances.values()) if (i.nodeName === nodeName && i.state !== 'terminated') return i;
    return undefined;
  }
  allInstances(): WorldInstance[] {
    return [...this.instances.values()].filter((i) => i.state !== 'terminated');
  }
  readyCount(poolId: string): number {
    return this.instancesOf(poolId).filter((i) => i.state === 'ready').length;
  }
  /**
   * The seats of a group its instances do not fill, which the group launches into: its desired count less the
   * instances not under notice and those under notice. An instance the cloud is taking back is still a member
   * of its group until it is gone (an Auto Scaling group replaces a Spot Instance once it is terminated, an EC2
   * Fleet of type `maintain` and a managed instance group once it is interrupted or preempted; a scale set with
   * evictionPolicy Delete lowers its capacity when it deletes it: `reclaimLowersCapacity`), so it holds its
   * seat until its deadline.
   */
  unfilledSeats(pool: WorldPool): number {
    return Math.max(0, pool.desired - this.instancesOf(pool.id).length);
  }

  /**
   * Sets a group's desired count, as the cloud's group controller would: launches what is missing where
   * capacity allows (the rest is a shortfall retried on every advance) and terminates the surplus, pending
   * instances first, then the newest. `deferLaunch` launches nothing now (see below). `noTermination` sets
   * the group's excess-capacity policy (see `WorldPool.noTermination`; omitted = unchanged): with `true`, the
   * desired count drops but no instance is ended until something else ends one.
   */
  setDesired(
    poolId: string,
    desired: number,
    opts: { deferLaunch?: boolean; noTermination?: boolean } = {},
  ): SetDesiredOutcome {
    const pool = this.requirePool(poolId);
    if (!Number.isInteger(desired) || desired < 0)
      throw new Error(`desired must be a whole number >= 0, got ${desired}`);
    if (pool.management === 'instances') throw new Error(`pool ${poolId} has no group: launch or end its instances`);
    const previous = pool.desired;
    pool.desired = desired;
    if (opts.noTermination !== undefined) pool.noTermination = opts.noTermination;
    pool.updatedAt = this.nowIso();
    if (opts.deferLaunch) {
      // The group accepted the count but its launches failed (a capacity error the cloud reports
      // asynchronously): nothing starts now; the whole increase is a shortfall retried on the next advance.
      const shortfall = this.unfilledSeats(pool);
      if (shortfall > 0) return { previous, desired, launched: 0, terminated: 0, shortfall };
    }
    const { launched, terminated, shortfall } = this.reconcile(pool);
    return { previous, desired, launched, terminated, shortfall };
  }

  /**
   * Launches one instance of a pool managed by `instances` in one of `zones` (default: all the pool's zones),
   * the zone with the fewest live instances that has capacity, as an instant fleet request does. Returns
   * undefined, launching nothing, when none of the zones has capacity (an insufficient-capacity error) or the
   * pool is at its max.
   */
  launchInstance(poolId: string, zones?: readonly string[]): WorldInstance | undefined {
    const pool = this.requirePool(poolId);
    if (pool.management !== 'instances') throw new Error(`pool ${poolId} is a group: set its desired count`);
    const live = this.instancesOf(pool.id).filter((i) => i.state !== 'terminating');
    if (live.length >= pool.max) return undefined;
    const allowed = pool.zones.filter((z) => !zones || zones.includes(z));
    const candidates = allowed
      .map((z) => ({ z, n: live.filter((i) => i.zone === z).length, room: this.headroom(pool, z) }))
      .filter((c) => c.room > 0)
      .sort((a, b) => a.n - b.n);
    if (candidates.length === 0) return undefined;
    const inst = this.launch(pool, candidates[0]!.z);
    this.reconcile(pool);
    return inst;
  }

  /** Terminates one instance now; `decrementDesired` lowers the group's desired count too. */
  terminateInstance(instanceId: string, opts: { decrementDesired?: boolean } = {}): void {
    const inst = this.instances.get(instanceId);
    if (!inst || inst.state === 'terminated') return;
    const pool = this.requirePool(inst.poolId);
    this.finish(inst);
    if (opts.decrementDesired && pool.desired > 0) pool.desired -= 1;
    this.reconcile(pool);
  }

  // ---- capacity ------------------------------------------------------------------------------------------
  /**
   * Sets how many spot instances a pool can hold in a zone. When running spot instances exceed it, the excess
   * gets the cloud's interruption notice and is gone at the deadline (newest first).
   */
  setSpotCapacity(poolId: string, zone: string, capacity: number, opts: { rebalanceLeadSeconds?: number } = {}): void {
    const pool = this.requirePool(poolId);
    this.spotCapacity.set(`${poolId}|${zone}`, capacity);
    if (pool.capacityType !== 'spot') return;
    const live = this.instancesOf(poolId).filter((i) => i.zone === zone && i.state !== 'terminating');
    const excess = live.length - capacity;
    if (excess > 0) {
      const victims = live.sort((a, b) => b.launchedAt - a.launchedAt).slice(0, excess);
      for (const v of victims) this.interrupt(v, 'spot', SPOT_NOTICE_SECONDS[pool.cloud], opts.rebalanceLeadSeconds);
    }
    this.reconcile(pool);
  }
  spotCapacityOf(poolId: string, zone: string): number {
    return this.spotCapacity.get(`${poolId}|${zone}`) ?? Number.POSITIVE_INFINITY;
  }
  setOnDemandCapacity(poolId: string, zone: string, capacity: number): void {
    this.onDemandCapacity.set(`${poolId}|${zone}`, capacity);
    this.reconcile(this.requirePool(poolId));
  }

  /** Takes an instance back with notice (spot preemption, reservation end). */
  interrupt(
    inst: WorldInstance,
    kind: 'spot' | 'reservation',
    noticeSeconds: number,
    rebalanceLeadSeconds?: number,
  ): void {
    if (inst.state === 'terminating' || inst.state === 'terminated') return;
    const pool = this.requirePool(inst.poolId);
    if (rebalanceLeadSeconds && pool.cloud === 'aws') {
      this.emit({
        type: 'rebalance-recommendation',
        cloud: pool.cloud,
        poolId: pool.id,
        instanceId: inst.id,
        zone: inst.zone,
        at: this.clock,
      });
    }
    const deadline = this.clock + noticeSeconds * 1000;
    inst.interrupted = { kind, noticeAt: this.clock, deadline };
    inst.state = 'terminating';
    inst.terminateAt = deadline;
    this.emit({
      type: 'interruption-notice',
      cloud: pool.cloud,
      poolId: pool.id,
      instanceId: inst.id,
      nodeName: inst.nodeName,
      zone: inst.zone,
      at: this.clock,
      deadline,
      reason: kind,
    });
  }

  // ---- reservations --------------------------------------------------------------------------------------
  addReservation(r: WorldReservation): void {
    this.reservations.set(r.id, { ...r });
  }
  reservation(id: string): WorldReservation | undefined {
    return this.reservations.get(id);
  }
  allReservations(): WorldReservation[] {
    return [...this.reservations.values()];
  }
  reservationState(r: WorldReservation): 'scheduled' | 'active' | 'expired' | 'cancelled' {
    if (r.cancelled) return 'cancelled';
    if (this.clock < r.start) return 'scheduled';
    if (this.clock >= r.end) return 'expired';
    return 'active';
  }
  reservationUsed(id: string): number {
    let n = 0;
    for (const p of this.pools.values()) {
      if (p.reservationId === id) n += this.instancesOf(p.id).filter((i) => i.state !== 'terminating').length;
    }
    return n;
  }

  // ---- billing -------------------------------------------------------------------------------------------
  /**
   * Cost so far of a pool (or all pools), USD: every instance bills from launch until it is gone, and every warm
   * instance too (`warmCostUsd`).
   */
  costUsd(poolId?: string): number {
    let total = this.warmCostUsd(poolId);
    for (const p of this.pools.values()) {
      if (poolId && p.id !== poolId) continue;
      total += this.settledCost.get(p.id) ?? 0;
      for (const i of this.instancesOf(p.id)) total += ((this.clock - i.launchedAt) / 3_600_000) * p.hourlyPrice;
    }
    return total;
  }

  /** Instance-hours billed so far of a pool (or all pools): every instance counts from launch until it is gone. */
  instanceHours(poolId?: string): number {
    let total = 0;
    for (const p of this.pools.values()) {
      if (poolId && p.id !== poolId) continue;
      total += this.settledHours.get(p.id) ?? 0;
      for (const i of this.instancesOf(p.id)) total += (this.clock - i.launchedAt) / 3_600_000;
    }
    return total;
  }

  // ---- warm capacity -------------------------------------------------------------------------------------
  /** Warm instances of a pool (warming and warm), oldest first. */
  warmOf(poolId: string): WorldWarmInstance[] {
    return [...this.warmInstances.values()].filter((w) => w.poolId === poolId).sort((a, b) => a.index - b.index);
  }
  warmInstance(id: string): WorldWarmInstance | undefined {
    return this.warmInstances.get(id);
  }
  /** How many warm instances the group's policy keeps now (0 without a warm pool). */
  warmTargetOf(pool: WorldPool): number {
    const p = pool.warmPolicy;
    if (!p) return 0;
    const prepared = p.maxPrepared ?? (p.preparedFromMax ? pool.max : undefined);
    return prepared === undefined ? p.min : Math.max(p.min, prepared - pool.desired);
  }
  /**
   * Sets (or, with undefined, removes) a pool's warm-pool policy, as the cloud's API does; the cloud then
   * prepares or removes warm instances to match.
   */
  setWarmPolicy(poolId: string, policy: WorldWarmPolicy | undefined): void {
    const pool = this.requirePool(poolId);
    if (policy) {
      this.ensureWarmPhysics(pool, policy.state);
      pool.warmPolicy = { ...policy };
    } else {
      delete pool.warmPolicy;
      for (const w of this.warmOf(poolId)) this.finishWarm(w);
    }
    this.reconcileWarm(pool);
  }
  /** Resumes that fail for capacity next in this pool (the cloud's InsufficientInstanceCapacity on start). */
  failNextResumes(poolId: string, count: number): void {
    this.requirePool(poolId);
    this.armedResumeFailures.set(poolId, count);
  }
  /** Warm instances resumed into service so far, and resumes that failed, of a pool (or all pools). */
  warmResumes(poolId?: string): { resumes: number; failedResumes: number } {
    let resumes = 0;
    let failedResumes = 0;
    for (const [id, c] of this.warmCounters) {
      if (poolId && id !== poolId) continue;
      resumes += c.resumes;
      failedResumes += c.failedResumes;
    }
    return { resumes, failedResumes };
  }
  /** What warm instances have cost so far (preparing at the instance price, then their disks), USD. */
  warmCostUsd(poolId?: string): number {
    let total = 0;
    for (const [id, c] of this.settledWarmCost) if (!poolId || id === poolId) total += c;
    for (const w of this.warmInstances.values()) if (!poolId || w.poolId === poolId) total += this.unsettledWarm(w);
    return total;
  }
  /**
   * Stops running instances of a pool into its warm pool (Azure deallocate, GCP stopInstances and
   * suspendInstances): the group's running count drops by as many. An instance still booting finishes
   * preparing first (`warming`). A returned instance keeps its disk: resuming it needs no new preparation, and
   * it bills its disks only from now. `raiseTarget` (GCP: the call raises targetStoppedSize or
   * targetSuspendedSize by as many) grows the group's warm target with them, so the group does not remove them
   * as a surplus; `state` is the warm state they are kept in.
   */
  stopInstances(poolId: string, instanceIds: string[], opts: { raiseTarget?: boolean; state?: WarmState } = {}): void {
    const pool = this.requirePool(poolId);
    this.ensureWarmPhysics(pool, opts.state ?? 'stopped');
    let stopped = 0;
    for (const id of instanceIds) {
      const inst = this.instances.get(id);
      if (!inst || inst.poolId !== poolId || inst.state === 'terminating') continue;
      if (pool.desired > 0) pool.desired -= 1;
      this.stopIntoWarm(inst, pool, opts.state);
      stopped++;
    }
    if (opts.raiseTarget && stopped > 0) {
      const p = pool.warmPolicy;
      pool.warmPolicy = p
        ? {
            ...p,
            min: p.min + stopped,
            ...(p.maxPrepared !== undefined ? { maxPrepared: p.maxPrepared + stopped } : {}),
          }
        : {
            state: opts.state ?? 'stopped',
            min: stopped,
            maxPrepared: stopped,
            reuseOnScaleIn: false,
            autoRefill: true,
            autoResume: false,
          };
    }
    this.reconcile(pool);
  }
  /**
   * Starts warm instances of a pool (Azure start, GCP startInstances and resumeInstances): each resumes into the
   * running group (its desired count grows by one) or, without capacity, stays warm. `lowerTarget` (GCP: the call
   * lowers targetStoppedSize or targetSuspendedSize by as many as it starts) shrinks the group's warm target with
   * them, so the group does not replace them in the pool. Returns the ids that could not start.
   */
  startWarm(poolId: string, warmIds: string[], opts: { lowerTarget?: boolean } = {}): string[] {
    const pool = this.requirePool(poolId);
    const failed: string[] = [];
    let started = 0;
    for (const id of warmIds) {
      const w = this.warmInstances.get(id);
      if (!w || w.poolId !== poolId || w.phase !== 'warm') continue;
      if (this.resumeOne(pool, w)) {
        pool.desired += 1;
        started++;
      } else failed.push(id);
    }
    const p = pool.warmPolicy;
    if (opts.lowerTarget && started > 0 && p) {
      pool.warmPolicy = {
        ...p,
        min: Math.max(0, p.min - started),
        ...(p.maxPrepared !== undefined ? { maxPrepared: Math.max(0, p.maxPrepared - started) } : {}),
      };
    }
    this.reconcile(pool);
    return failed;
  }
  /** Deletes warm instances (Azure deleteInstances of deallocated VMs, GCP deleteInstances). */
  deleteWarm(warmIds: string[]): void {
    for (const id of warmIds) {
      const w = this.warmInstances.get(id);
      if (w) this.finishWarm(w);
    }
  }
  /**
   * Prepares `count` new warm instances in a pool now, whatever its policy (Azure: create, then deallocate);
   * `prepared` makes them warm at once (a world that starts with a warm pool already filled).
   */
  addWarm(poolId: string, count: number, opts: { prepared?: boolean } = {}): void {
    const pool = this.requirePool(poolId);
    this.ensureWarmPhysics(pool, pool.warmPolicy?.state ?? 'stopped');
    for (let k = 0; k < count; k++) {
      this.prepareWarm(pool);
      if (opts.prepared) {
        const w = this.warmOf(pool.id).at(-1)!;
        w.phase = 'warm';
        w.warmAt = this.clock;
      }
    }
  }

  /** A pool set up without warm physics gets the defaults (shared/domain/warm.ts) when it first keeps some. */
  private ensureWarmPhysics(pool: WorldPool, state: WarmState): void {
    const cloud = pool.cloud === 'kubernetes' ? 'aws' : pool.cloud;
    pool.warm ??= {
      resumeSeconds: Math.min(pool.readySeconds, DEFAULT_RESUME_SECONDS[state]),
      hourlyPrice: warmHourlyPrice(DEFAULT_DISK_TYPE[cloud], DEFAULT_DISK_GB, state),
    };
  }

  private counters(poolId: string): { resumes: number; failedResumes: number } {
    let c = this.warmCounters.get(poolId);
    if (!c) {
      c = { resumes: 0, failedResumes: 0 };
      this.warmCounters.set(poolId, c);
    }
    return c;
  }

  private rateOf(w: WorldWarmInstance): number {
    const pool = this.requirePool(w.poolId);
    return w.phase === 'warming' ? pool.hourlyPrice : (pool.warm?.hourlyPrice ?? 0);
  }
  private unsettledWarm(w: WorldWarmInstance): number {
    return ((this.clock - w.billedTo) / 3_600_000) * this.rateOf(w);
  }
  private settleWarm(w: WorldWarmInstance): void {
    this.settledWarmCost.set(w.poolId, (this.settledWarmCost.get(w.poolId) ?? 0) + this.unsettledWarm(w));
    w.billedTo = this.clock;
  }
  private finishWarm(w: WorldWarmInstance): void {
    this.settleWarm(w);
    this.warmInstances.delete(w.id);
  }

  /** Keeps an auto-refilled warm pool at its target: prepares what is missing, removes the surplus. */
  private reconcileWarm(pool: WorldPool): void {
    if (!pool.warm || !pool.warmPolicy?.autoRefill) return;
    const warm = this.warmOf(pool.id);
    const target = this.warmTargetOf(pool);
    if (warm.length > target) {
      // Warming ones first, then the newest.
      const surplus = warm
        .sort((a, b) => (a.phase === b.phase ? b.index - a.index : a.phase === 'warming' ? -1 : 1))
        .slice(0, warm.length - target);
      for (const w of surplus) this.finishWarm(w);
      return;
    }
    for (let k = warm.length; k < target; k++) if (!this.prepareWarm(pool)) break;
  }

  /** Launches one instance that prepares and then stops into the warm pool; false without capacity. */
  private prepareWarm(pool: WorldPool): boolean {
    const counts = pool.zones.map((z) => ({
      z,
      n: this.warmOf(pool.id).filter((w) => w.zone === z).length,
      room: this.headroom(pool, z),
    }));
    const zone = counts.filter((c) => c.room > 0).sort((a, b) => a.n - b.n)[0]?.z;
    if (zone === undefined) return false;
    pool.seq += 1;
    const index = pool.seq - 1;
    const id = this.instanceId(pool, index);
    const w: WorldWarmInstance = {
      id,
      poolId: pool.id,
      zone,
      index,
      nodeName: this.nodeName(pool, id, index),
      instanceType: pool.instanceType,
      phase: pool.readySeconds === 0 ? 'warm' : 'warming',
      state: pool.warmPolicy?.state ?? 'stopped',
      launchedAt: this.clock,
      warmAt: this.clock + pool.readySeconds * 1000,
      billedTo: this.clock,
    };
    this.warmInstances.set(id, w);
    return true;
  }

  /** A running instance stops into the warm pool (keeping its id, zone and node name). */
  private stopIntoWarm(inst: WorldInstance, pool: WorldPool, state?: WarmState): void {
    const prepared = inst.state === 'ready';
    this.finish(inst);
    const w: WorldWarmInstance = {
      id: inst.id,
      poolId: pool.id,
      zone: inst.zone,
      index: inst.index,
      nodeName: inst.nodeName,
      instanceType: inst.instanceType,
      phase: prepared ? 'warm' : 'warming',
      state: state ?? pool.warmPolicy?.state ?? 'stopped',
      launchedAt: inst.launchedAt,
      warmAt: prepared ? this.clock : inst.readyAt,
      billedTo: this.clock,
    };
    this.warmInstances.set(w.id, w);
  }

  /** Resumes up to `count` warm instances into the group, zones balanced; returns how many resumed. */
  private resumeWarm(pool: WorldPool, count: number, live: WorldInstance[]): number {
    let resumed = 0;
    const tried = new Set<string>();
    while (resumed < count) {
      const ready = this.warmOf(pool.id).filter((w) => w.phase === 'warm' && !tried.has(w.id));
      if (ready.length === 0) break;
      const inZone = (z: string) => live.filter((i) => i.zone === z).length;
      const w = ready.sort((a, b) => inZone(a.zone) - inZone(b.zone) || a.index - b.index)[0]!;
      tried.add(w.id);
      const inst = this.resumeOne(pool, w);
      if (!inst) break; // the cloud falls back to launching new instances for the rest
      live.push(inst);
      resumed++;
    }
    return resumed;
  }

  /**
   * One warm instance starts: without capacity in its zone (or on an armed or random capacity failure) it stays
   * stopped and a `launch-failed` event says so; otherwise it is pending again, serving `resumeSeconds` later.
   */
  private resumeOne(pool: WorldPool, w: WorldWarmInstance): WorldInstance | undefined {
    const armed = this.armedResumeFailures.get(pool.id) ?? 0;
    const rate = pool.warm?.resumeFailureRate ?? 0;
    const noCapacity = this.headroom(pool, w.zone) <= 0 || armed > 0 || (rate > 0 && this.rand() < rate);
    if (noCapacity) {
      if (armed > 0) this.armedResumeFailures.set(pool.id, armed - 1);
      this.counters(pool.id).failedResumes += 1;
      this.emit({
        type: 'launch-failed',
        poolId: pool.id,
        zone: w.zone,
        count: 1,
        reason: `warm instance ${w.id} could not start: insufficient capacity`,
        at: this.clock,
      });
      return undefined;
    }
    this.finishWarm(w);
    const resume = (pool.warm?.resumeSeconds ?? pool.readySeconds) * 1000;
    const inst: WorldInstance = {
      id: w.id,
      poolId: pool.id,
      cloud: pool.cloud,
      zone: w.zone,
      instanceType: w.instanceType,
      capacityType: pool.capacityType,
      state: resume === 0 ? 'ready' : 'pending',
      nodeName: w.nodeName,
      launchedAt: this.clock,
      runningAt: this.clock + Math.min(pool.bootSeconds * 1000, resume),
      readyAt: this.clock + resume,
      index: w.index,
    };
    this.track(inst);
    this.counters(pool.id).resumes += 1;
    return inst;
  }

  // ---- internals -----------------------------------------------------------------------------------------
  private requirePool(id: string): WorldPool {
    const p = this.pools.get(id);
    if (!p) throw new Error(`no pool ${id} in the world`);
    return p;
  }

  private emit(e: WorldEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  private nextTransition(): number | undefined {
    let next: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && t > this.clock && (next === undefined || t < next)) next = t;
    };
    for (const i of this.instances.values()) {
      if (i.state === 'pending') consider(i.runningAt);
      else if (i.state === 'running') consider(i.readyAt);
      else if (i.state === 'terminating') consider(i.terminateAt);
    }
    for (const w of this.warmInstances.values()) if (w.phase === 'warming') consider(w.warmAt);
    for (const r of this.reservations.values()) {
      consider(r.start);
      consider(r.end - 10 * 60_000);
      consider(r.end);
    }
    return next;
  }

  /** Plays everything due at the current clock. */
  private step(): void {
    const now = this.clock;
    for (const r of this.reservations.values()) {
      // An On-Demand Capacity Reservation's instances outlive it, at on-demand rates ("the instances run using
      // On-Demand capacity", EC2 User Guide): it ends with no warning and takes no instance. A Capacity Block
      // warns 10 minutes before its instances are terminated, at its `end`.
      if (r.cancelled || r.type !== 'capacity-block') continue;
      if (now >= r.end - 10 * 60_000 && now < r.end && !this.expiringNotified.has(r.id)) {
        this.expiringNotified.add(r.id);
        this.emit({ type: 'reservation', reservationId: r.id, kind: 'expiring', at: now });
      }
      if (now >= r.end) {
        for (const p of this.pools.values()) {
          if (p.reservationId !== r.id) continue;
          for (const i of this.instancesOf(p.id)) {
            if (i.state !== 'terminating') this.finish(i);
          }
        }
      }
    }
    for (const i of this.instances.values()) {
      if (i.state === 'pending' && now >= i.runningAt) this.transition(i, 'running');
      if (i.state === 'running' && now >= i.readyAt) this.transition(i, 'ready');
      if (i.state === 'terminating' && i.terminateAt !== undefined && now >= i.terminateAt) this.reclaim(i);
    }
    for (const w of this.warmInstances.values()) {
      if (w.phase === 'warming' && now >= w.warmAt) {
        this.settleWarm(w);
        w.phase = 'warm';
      }
    }
    for (const p of this.pools.values()) this.reconcile(p);
  }

  private transition(i: WorldInstance, state: InstanceState): void {
    i.state = state;
    this.emit({ type: 'instance-state', poolId: i.poolId, instanceId: i.id, state, at: this.clock });
  }

  /**
   * An instance under notice reaches its deadline: the cloud takes it. A group that lowers its capacity then
   * (`reclaimLowersCapacity`) loses the seat it held (one held while the instances fill no more than the desired
   * count); any other group launches into it on its next reconcile.
   */
  private reclaim(i: WorldInstance): void {
    const pool = this.requirePool(i.poolId);
    if (pool.management !== 'instances' && reclaimLowersCapacity(pool)) {
      const members = this.instancesOf(pool.id).length;
      if (members <= pool.desired && pool.desired > 0) {
        pool.desired -= 1;
        pool.updatedAt = this.nowIso();
      }
    }
    this.finish(i);
  }

  private finish(i: WorldInstance): void {
    if (i.state === 'terminated') return;
    const pool = this.requirePool(i.poolId);
    const cost = ((this.clock - i.launchedAt) / 3_600_000) * pool.hourlyPrice;
    this.settledCost.set(pool.id, (this.settledCost.get(pool.id) ?? 0) + cost);
    this.settledHours.set(pool.id, (this.settledHours.get(pool.id) ?? 0) + (this.clock - i.launchedAt) / 3_600_000);
    i.state = 'terminated';
    i.terminatedAt = this.clock;
    this.instances.delete(i.id);
    this.byPool.get(i.poolId)?.delete(i.id);
    this.emit({
      type: 'instance-state',
      poolId: i.poolId,
      instanceId: i.id,
      state: 'terminated',
      at: this.clock,
      instance: { ...i },
    });
  }

  /** Capacity left for a new instance of the pool in a zone. */
  private headroom(pool: WorldPool, zone: string): number {
    const live =
      this.instancesOf(pool.id).filter((i) => i.zone === zone && i.state !== 'terminating').length +
      this.warmOf(pool.id).filter((w) => w.zone === zone && w.phase === 'warming').length;
    let cap = Number.POSITIVE_INFINITY;
    if (pool.capacityType === 'spot') cap = this.spotCapacityOf(pool.id, zone);
    else if (pool.capacityType === 'on-demand') cap = this.onDemandCapacity.get(`${pool.id}|${zone}`) ?? cap;
    let left = cap - live;
    if (pool.reservationId) {
      const r = this.reservations.get(pool.reservationId);
      if (!r || this.reservationState(r) !== 'active' || r.zone !== zone) return 0;
      left = Math.min(left, r.total - this.reservationUsed(r.id));
    }
    return left;
  }

  private reconcile(pool: WorldPool): { launched: number; terminated: number; shortfall: number } {
    // Instances under notice are members until they are gone: a surplus is taken from the others, and a
    // group launches into their seats only then (`unfilledSeats`).
    const live = this.instancesOf(pool.id).filter((i) => i.state !== 'terminating');
    if (pool.management === 'instances') {
      // No group: the count is whatever runs.
      pool.desired = live.length;
      return { launched: 0, terminated: 0, shortfall: 0 };
    }
    let launched = 0;
    let terminated = 0;
    if (live.length > pool.desired) {
      // A group that keeps its excess (EC2 Fleet `no-termination`) ends nothing and launches nothing.
      if (pool.noTermination) return { launched, terminated, shortfall: 0 };
      const order = (s: InstanceState) => (s === 'pending' ? 0 : s === 'running' ? 1 : 2);
      const surplus = live
        .sort((a, b) => order(a.state) - order(b.state) || b.launchedAt - a.launchedAt)
        .slice(0, live.length - pool.desired);
      let room = pool.warmPolicy?.reuseOnScaleIn ? this.warmTargetOf(pool) - this.warmOf(pool.id).length : 0;
      for (const i of surplus) {
        if (room > 0 && i.state !== 'pending') {
          room--;
          this.stopIntoWarm(i, pool);
        } else this.finish(i);
        terminated++;
      }
      this.reconcileWarm(pool);
      return { launched, terminated, shortfall: 0 };
    }
    // Instances under notice hold their seats until they are gone (`unfilledSeats`).
    let missing = this.unfilledSeats(pool);
    if (missing > 0 && pool.warmPolicy?.autoResume) {
      const resumed = this.resumeWarm(pool, missing, live);
      launched += resumed;
      missing -= resumed;
    }
    while (missing > 0) {
      // Balance across zones: the zone with the fewest live instances that still has headroom.
      const counts = pool.zones.map((z) => ({
        z,
        n: live.filter((i) => i.zone === z).length,
        room: this.headroom(pool, z),
      }));
      const candidates = counts.filter((c) => c.room > 0).sort((a, b) => a.n - b.n);
      if (candidates.length === 0) break;
      const inst = this.launch(pool, candidates[0]!.z);
      live.push(inst);
      launched++;
      missing--;
    }
    this.reconcileWarm(pool);
    return { launched, terminated, shortfall: missing };
  }

  private launch(pool: WorldPool, zone: string): WorldInstance {
    pool.seq += 1;
    const index = pool.seq - 1;
    const id = this.instanceId(pool, index);
    const nodeName = this.nodeName(pool, id, index);
    const inst: WorldInstance = {
      id,
      poolId: pool.id,
      cloud: pool.cloud,
      zone,
      instanceType: pool.instanceType,
      capacityType: pool.capacityType,
      state: pool.bootSeconds === 0 && pool.readySeconds === 0 ? 'ready' : 'pending',
      nodeName,
      launchedAt: this.clock,
      runningAt: this.clock + pool.bootSeconds * 1000,
      readyAt: this.clock + pool.readySeconds * 1000,
      index,
    };
    this.track(inst);
    return inst;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.rand() * 16).toString(16);
    return s;
  }

  private instanceId(pool: WorldPool, index: number): string {
    switch (pool.cloud) {
      case 'aws':
        return `i-0${this.hex(16)}`;
      case 'azure':
        return `${pool.name}_${index}`;
      case 'gcp':
        return `${pool.name}-${this.hex(4)}`;
      default:
        return `${pool.name}-${this.hex(5)}`;
    }
  }

  private nodeName(pool: WorldPool, id: string, index: number): string {
    switch (pool.cloud) {
      case 'aws':
        return `ip-10-${Math.floor(this.rand() * 256)}-${Math.floor(this.rand() * 256)}-${Math.floor(this.rand() * 254) + 1}.${pool.region}.compute.internal`;
      case 'azure':
        return `${pool.name}${index.toString(36).padStart(6, '0')}`;
      default:
        return id;
    }
  }
}
