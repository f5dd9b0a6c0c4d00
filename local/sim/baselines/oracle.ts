/**
 * The oracle: the cheapest capacity that serves all demand when the future is known. It knows every step's
 * demand and every zone's spot availability ahead, and still pays the time to ready: a node bills from
 * launch and serves only `ceil(timeToReady / step)` steps later (nodes running at the start serve at once).
 *
 * The plan (`planOracle`) is built life by life. A life is one node of one pool, alive over steps
 * [from, to), serving from `from + lag` (or from the start for a node running at the start). It may exist only
 * where its pool has room in every step of its life:
 *   - on-demand: the pool's maximum;
 *   - a capacity block: its instances, in steps that lie wholly inside the block (ended before it expires);
 *   - spot: zones x the lowest availability of any of the pool's zones over the step (spot groups place
 *     nodes evenly across zones and the oracle removes nodes so as to keep them even, so no zone ever holds
 *     more than its availability and no node is ever taken back), at most the pool's maximum;
 * and where the fleet holds fewer than its `maxNodes` in every step of it. The operator's ceilings bind the
 * oracle as they bind the autoscaler: an oracle that served a peak above them would set a bar no controller of
 * this fleet could reach (where they bind, the oracle's plan leaves demand unserved and its SLO says so).
 * Each round, for every pool, the candidate lives are the runs of steps with demand still unserved, within
 * the pool's room, merged across gaps no longer than the pool's lag (keeping a node through a short gap costs
 * no more than launching a new one, which pays the lag again), each launched `lag` steps ahead. The
 * candidate with the lowest cost per request it would serve is taken; the demand it serves is removed; until
 * no demand is left. Cost-per-request greedy is not a proof of optimality: the oracle is a feasible plan
 * that serves everything, close to the lower bound and well under any online controller's cost.
 *
 * The operator's hard floors bind it as they bind every controller (a floor that does not depend on the
 * controller is not a controller's cost): each pool's minimum is alive all along (before the greedy plan: those
 * nodes serve demand too), and where the plan holds fewer than the fleet's `minNodes` the cheapest node with
 * room makes them up. The schedule's windows raise that floor while they are active (the demo's business
 * hours: 3 nodes), since they are the operator's hard floors too (`floors.minNodesAt`, per step).
 *
 * The controller then sets each pool's desired count to the plan's count step by step, scaling spot pools in
 * by terminating nodes in the fullest zone (booting ones first, then the newest).
 */
import { isWindowActive } from '../../../shared/engine/schedule.ts';
import type { World } from '../../emulators/world.ts';
import type { Controller, Foresight, StartMode, StepContext } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import type { SpotSchedule } from '../spot.ts';

export interface OracleSource {
  poolId: string;
  rpsPerNode: number;
  hourlyPrice: number;
  /** Steps from launch to serving. */
  lagSteps: number;
  /** Nodes the pool may hold in each step (Infinity for no limit). */
  available: number[];
  /** The pool's minimum (the operator's hard floor; default 0). */
  min?: number;
}

/**
 * The operator's hard floors, which bind every controller alike (a controller-independent floor is not a
 * controller's cost): each pool's minimum (`OracleSource.min`) and the fleet's `minNodes`; and its ceiling, the
 * fleet's `maxNodes` (each pool's maximum is in its `OracleSource.available`).
 */
export interface OracleBounds {
  minNodes?: number;
  /** The fleet's floor per step where it varies (schedule windows), at least `minNodes`. */
  minNodesAt?: readonly number[];
  /** The most nodes the fleet may hold in any step (default: no limit). */
  maxNodes?: number;
}

export interface OracleLife {
  poolId: string;
  /** Alive over steps [from, to). */
  from: number;
  to: number;
  servesFrom: number;
}

export interface OraclePlan {
  /** Nodes alive (billed) per pool per step. */
  alive: Record<string, number[]>;
  lives: OracleLife[];
  /** Requests/s x steps the plan could not serve (0 unless the spot availability or the ceilings bind). */
  unservedRpsSteps: number;
  /** What the plan costs in the World's terms (node-steps x price), USD. */
  costUsd: number;
}

const EPS = 1e-9;

export function planOracle(
  offeredRps: readonly number[],
  sources: readonly OracleSource[],
  stepSeconds: number,
  /** `warm` (default): a node alive at step 0 serves at once (it was running before); `cold`: it pays the lag too. */
  startMode: StartMode = 'warm',
  floors: OracleBounds = {},
): OraclePlan {
  const n = offeredRps.length;
  const residual = offeredRps.map((r) => Math.max(0, r));
  const used = new Map(sources.map((s) => [s.poolId, new Array<number>(n).fill(0)]));
  // Nodes of every pool per step, against the fleet's ceiling.
  const fleetUsed = new Array<number>(n).fill(0);
  const maxNodes = floors.maxNodes ?? Number.POSITIVE_INFINITY;
  const fleetRoom = (k: number) => fleetUsed[k]! < maxNodes;
  const lives: OracleLife[] = [];
  let costUsd = 0;
  const stepHours = stepSeconds / 3600;
  const take = (source: OracleSource, life: OracleLife) => {
    lives.push(life);
    costUsd += (life.to - life.from) * stepHours * source.hourlyPrice;
    const u = used.get(source.poolId)!;
    for (let k = life.from; k < life.to; k++) {
      u[k]! += 1;
      fleetUsed[k]! += 1;
    }
    for (let k = Math.max(life.servesFrom, life.from); k < life.to; k++)
      residual[k] = Math.max(0, residual[k]! - source.rpsPerNode);
  };

  // Each pool's minimum first: its nodes are there all along (running at the start, as every controller's
  // are), and serve the demand.
  for (const source of sources) {
    for (let i = 0; i < (source.min ?? 0); i++) take(source, { poolId: source.poolId, from: 0, to: n, servesFrom: 0 });
  }
  for (;;) {
    if (!residual.some((r) => r > EPS)) break;
    let best: { life: OracleLife; source: OracleSource; ratio: number; served: number; cost: number } | undefined;
    for (const source of sources) {
      for (const life of candidates(source, used.get(source.poolId)!, residual, startMode === 'warm', fleetRoom)) {
        let served = 0;
        for (let k = Math.max(life.servesFrom, life.from); k < life.to; k++)
          served += Math.min(source.rpsPerNode, residual[k]!);
        if (served <= EPS) continue;
        const cost = (life.to - life.from) * stepHours * source.hourlyPrice;
        const ratio = cost / served;
        if (!best || ratio < best.ratio - 1e-12 || (Math.abs(ratio - best.ratio) <= 1e-12 && served > best.served)) {
          best = { life, source, ratio, served, cost };
        }
      }
    }
    if (!best) break;
    take(best.source, best.life);
  }
  // Then the fleet's minimum where the plan holds fewer nodes: made up step by step with the cheapest node
  // that has room in every step of its life, launched its lag ahead (later when the pool has no room then).
  // With a cold start, a floor at step 0 is the fleet at its minimum (running, ready); a later one is launched
  // no earlier than the end of step 0, as every controller's first launch.
  const floorAt = (k: number) => Math.max(floors.minNodes ?? 0, floors.minNodesAt?.[k] ?? 0);
  if (Array.from({ length: n }, (_, k) => floorAt(k)).some((f) => f > 0)) {
    const warm = startMode === 'warm';
    for (;;) {
      const short = Array.from({ length: n }, (_, k) => fleetUsed[k]! < Math.min(floorAt(k), maxNodes));
      const start = short.indexOf(true);
      if (start < 0) break;
      let chosen: { source: OracleSource; from: number } | undefined;
      for (const source of [...sources].sort((a, b) => a.hourlyPrice - b.hourlyPrice)) {
        const u = used.get(source.poolId)!;
        const room = (k: number) => u[k]! < source.available[k]! && fleetRoom(k);
        if (!room(start)) continue;
        const earliest =
          start === 0 ? 0 : warm ? Math.max(0, start - source.lagSteps) : Math.max(1, start - source.lagSteps);
        // The earliest launch from which the pool has room in every step up to `start`.
        let from = start;
        while (from > earliest && room(from - 1)) from--;
        chosen = { source, from };
        break;
      }
      if (!chosen) break;
      const { source, from } = chosen;
      const u = used.get(source.poolId)!;
      let end = start;
      while (end < n && short[end] && u[end]! < source.available[end]! && fleetRoom(end)) end++;
      // A node alive at step 0 was running before the clock started (warm), or is the fleet at its minimum (cold).
      const servesFrom = from === 0 && (warm || start === 0) ? 0 : from + source.lagSteps;
      take(source, { poolId: source.poolId, from, to: end, servesFrom });
    }
  }

  const alive: Record<string, number[]> = {};
  for (const [id, u] of used) alive[id] = u;
  return { alive, lives, unservedRpsSteps: residual.reduce((a, b) => a + (b > EPS ? b : 0), 0), costUsd };
}

/** The candidate lives of one pool given what it already runs and the demand left. */
function candidates(
  source: OracleSource,
  used: readonly number[],
  residual: readonly number[],
  warm: boolean,
  fleetRoom: (k: number) => boolean = () => true,
): OracleLife[] {
  const n = residual.length;
  const lag = source.lagSteps;
  const out: OracleLife[] = [];
  let k = 0;
  while (k < n) {
    // A window of consecutive steps with room for one more node, in the pool and in the fleet.
    const room = (i: number) => used[i]! < source.available[i]! && fleetRoom(i);
    if (!room(k)) {
      k++;
      continue;
    }
    const a = k;
    while (k < n && room(k)) k++;
    const b = k;
    // Runs of unserved demand inside the window, merged across gaps of at most `lag` steps.
    let i = a;
    while (i < b) {
      if (!(residual[i]! > EPS)) {
        i++;
        continue;
      }
      const start = i;
      let end = i + 1;
      let j = end;
      while (j < b) {
        if (residual[j]! > EPS) {
          end = j + 1;
          j++;
        } else if (j - end < lag) j++;
        else break;
      }
      i = end;
      // Launch `lag` steps ahead; with a warm start, a node running at the start serves at once. With a cold
      // one, nothing runs before the clock starts and the first launch is at the end of step 0, the first
      // moment any controller acts.
      const from = warm && start - lag <= 0 && a === 0 ? 0 : Math.max(a, start - lag, warm ? 0 : 1);
      const servesFrom = warm && from === 0 ? 0 : from + lag;
      if (servesFrom < end) out.push({ poolId: source.poolId, from, to: end, servesFrom });
    }
  }
  return out;
}

/** The pools of the demo fleet as the oracle sees them over the run. */
export function oracleSources(demo: DemoFleet, foresight: Foresight): OracleSource[] {
  const n = foresight.offeredPerStep.length;
  const dt = foresight.stepSeconds;
  return demo.worldPools.map((spec) => {
    const pool = demo.fleet.pools.find((p) => p.id === spec.id)!;
    const lagSteps = Math.ceil(spec.readySeconds / dt - 1e-9);
    let available: number[];
    if (spec.capacityType === 'spot') {
      const perZone = spec.zones.map((z) => slotAvailability(foresight.spot, spec.id, z, n, dt));
      available = Array.from({ length: n }, (_, k) => spec.zones.length * Math.min(...perZone.map((a) => a[k]!)));
    } else if (spec.reservationId) {
      const r = demo.reservations.find((x) => x.id === spec.reservationId);
      available = Array.from({ length: n }, (_, k) => {
        const t0 = demo.startMs + k * dt * 1000;
        const t1 = t0 + dt * 1000;
        return r && !r.cancelled && t0 >= r.start && t1 < r.end ? r.total : 0;
      });
    } else available = new Array<number>(n).fill(Number.POSITIVE_INFINITY);
    // The pool's maximum: the operator's ceiling, as the autoscaler keeps it.
    available = available.map((a) => Math.min(a, Math.max(0, spec.max)));
    return {
      poolId: spec.id,
      rpsPerNode: pool.rpsPerNode,
      hourlyPrice: spec.hourlyPrice,
      lagSteps,
      available,
      min: Math.max(0, spec.min ?? 0),
    };
  });
}

/**
 * A zone's spot availability per step: the lowest capacity in force at any time in [t_k, t_k+1], the end
 * included (a drop at the boundary lands before the controller acts there). Infinity for a zone the
 * schedule does not mention.
 */
export function slotAvailability(
  schedule: SpotSchedule,
  poolId: string,
  zone: string,
  steps: number,
  stepSeconds: number,
): number[] {
  const changes = schedule.changes.filter((c) => c.poolId === poolId && c.zone === zone);
  const out = new Array<number>(steps).fill(Number.POSITIVE_INFINITY);
  if (changes.length === 0) return out;
  let i = 0;
  let current = Number.POSITIVE_INFINITY;
  for (let k = 0; k < steps; k++) {
    const t0 = k * stepSeconds;
    const t1 = t0 + stepSeconds;
    while (i < changes.length && changes[i]!.t <= t0) current = changes[i++]!.capacity;
    let low = current;
    for (let j = i; j < changes.length && changes[j]!.t <= t1; j++) low = Math.min(low, changes[j]!.capacity);
    out[k] = low;
  }
  return out;
}

/**
 * The fleet's floor in each step from its schedule windows (0 where none is active): the largest `minNodes`
 * of the windows active at the step's start, as the autoscaler reads them (shared/engine/schedule.ts).
 */
export function scheduleFloors(demo: DemoFleet, steps: number, stepSeconds: number): number[] {
  return Array.from({ length: steps }, (_, k) => scheduleFloorAt(demo, demo.startMs + k * stepSeconds * 1000));
}

/** The largest `minNodes` of the fleet's schedule windows active at `t` (0 where none is). */
export function scheduleFloorAt(demo: DemoFleet, t: number): number {
  let floor = 0;
  for (const w of demo.schedule ?? []) {
    if (!((w.minNodes ?? 0) > 0)) continue;
    try {
      if (isWindowActive(w, t)) floor = Math.max(floor, w.minNodes ?? 0);
    } catch (e) {
      // A malformed window is inactive, as the engine treats it (it reports it in its plans).
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return floor;
}

export interface OracleOptions {
  name?: string;
}

export function createOracle(options: OracleOptions = {}): Controller {
  let plan: OraclePlan | undefined;
  let spotPools = new Set<string>();
  const planFor = (demo: DemoFleet, foresight: Foresight, mode: StartMode) => {
    const offeredRps = foresight.offeredPerStep.map((r) => r / foresight.stepSeconds);
    plan = planOracle(offeredRps, oracleSources(demo, foresight), foresight.stepSeconds, mode, {
      minNodes: demo.fleet.policy.minNodes,
      minNodesAt: scheduleFloors(demo, offeredRps.length, foresight.stepSeconds),
      ...(demo.fleet.policy.maxNodes !== undefined ? { maxNodes: demo.fleet.policy.maxNodes } : {}),
    });
    spotPools = new Set(demo.worldPools.filter((p) => p.capacityType === 'spot').map((p) => p.id));
    return plan;
  };
  return {
    name: options.name ?? 'oracle',
    initialDesired(demo, foresight, mode) {
      const p = planFor(demo, foresight, mode);
      return Object.fromEntries(Object.entries(p.alive).map(([id, a]) => [id, a[0] ?? 0]));
    },
    async start(ctx) {
      if (!plan) planFor(ctx.demo, ctx.foresight, ctx.startMode);
    },
    async step(ctx: StepContext) {
      const next = ctx.stepIndex + 1;
      if (!plan || next >= ctx.foresight.offeredPerStep.length) return;
      for (const [poolId, alive] of Object.entries(plan.alive)) {
        scaleTo(ctx.world, poolId, alive[next]!, spotPools.has(poolId));
      }
    },
    async stop() {},
  };
}

/** Sets a pool to `n` nodes; a balanced scale-in removes nodes from the zone that holds the most. */
export function scaleTo(world: World, poolId: string, n: number, balanced: boolean): void {
  const pool = world.pool(poolId)!;
  const live = world.instancesOf(poolId).filter((i) => i.state !== 'terminating');
  if (!balanced || n >= live.length) {
    if (pool.desired !== n) world.setDesired(poolId, n);
    return;
  }
  // Drop any launch the group still owes, then remove nodes one by one from the fullest zone.
  if (pool.desired !== live.length) world.setDesired(poolId, live.length);
  for (let count = live.length; count > n; count--) {
    const now = world.instancesOf(poolId).filter((i) => i.state !== 'terminating');
    const byZone = new Map<string, typeof now>();
    for (const i of now) byZone.set(i.zone, [...(byZone.get(i.zone) ?? []), i]);
    const fullest = [...byZone.values()].sort((x, y) => y.length - x.length)[0]!;
    const victim = fullest.sort(
      (x, y) => Number(x.state === 'ready') - Number(y.state === 'ready') || y.launchedAt - x.launchedAt,
    )[0]!;
    world.terminateInstance(victim.id, { decrementDesired: true });
  }
}
