/**
 * The harness and the arbitraries of `safety.property.test.ts`: the real handlers (`local/handler.ts`: middy,
 * Powertools' idempotency on a dynalite table, `parseAndReject`, the triggers and the decision path) over the
 * ports' fakes (`test/support/fakes.ts`), on a clock the test moves; random sequences of the events and
 * operator commands they take, each run and recorded step by step (what the clouds were asked, the audit
 * records written, the state before and after).
 */
import fc from 'fast-check';
import { demandQuery, metricQuery } from '../../shared/app/inputs.ts';
import type { ResolvedConfig } from '../../shared/config/load.ts';
import { metricsQueryText } from '../../shared/domain/ports.ts';
import type { SafetyPolicy } from '../../shared/domain/types.ts';
import { type FunctionName, type HandlerResult, localContext } from '../../shared/runtime/handler.ts';
import type { AuditRecord, FleetState } from '../../shared/state/records.ts';
import { localHandler } from '../../local/handler.ts';
import type { LocalDynamo } from '../../local/dynalite.ts';
import { type Call, type FakeWorld, fakeDeps } from '../support/fakes.ts';
import { FLEET } from '../support/stack.ts';
import { ACTOR, command, tick, utilizationAlarm } from './support.ts';

/** Calls of the fakes that change a cloud or a cluster (everything else reads). */
export const MUTATING = new Set([
  'setDesired',
  'setWarm',
  'removeInstance',
  'cordon',
  'uncordon',
  'drain',
  'scaleDeployment',
]);

export interface Rig {
  w: FakeWorld;
  resolved: ResolvedConfig;
  /** The application's clock (ms); the test moves it. */
  now: number;
  invoke(fn: FunctionName, event: unknown): Promise<HandlerResult>;
  /** Every mutating call made so far, across the clouds' fakes and the cluster's (each port's in order). */
  mutations(): Call[];
  /** Where each port's calls are now, for `mutationsSince`. */
  mark(): number[];
  mutationsSince(mark: number[]): Call[];
  desired(): Record<string, number>;
  total(): number;
  /** Running nodes' $/h at the fakes' desired counts. */
  cost(): number;
  setLoad(load: Load): void;
}

export interface Load {
  rps: number;
  utilization: number;
}

/** The fleet over fakes, its pools at `desired` (default each pool's min), with idempotency on `dynamo`'s table. */
export function rig(
  resolved: ResolvedConfig,
  start: number,
  dynamo: LocalDynamo,
  desired: Record<string, number> = {},
): Rig {
  const fleet = resolved.fleets[0]!;
  const w = fakeDeps(resolved, new Date(start));
  for (const p of fleet.pools) w.set(p.id, { desired: desired[p.id] ?? p.min });
  const handlers = new Map<FunctionName, ReturnType<typeof localHandler>>();
  const sources = () => [...Object.values(w.capacity).map((c) => c.calls), w.cluster.calls];
  const mutating = (from?: number[]) =>
    sources()
      .flatMap((calls, i) => calls.slice(from?.[i] ?? 0))
      .filter((c) => MUTATING.has(c.method));
  const r: Rig = {
    w,
    resolved,
    now: start,
    invoke: async (fn, event) => {
      let h = handlers.get(fn);
      if (!h) {
        h = localHandler({ trigger: fn, deps: async () => w.deps });
        handlers.set(fn, h);
      }
      return (await h(structuredClone(event), localContext(fn, 60_000))) as HandlerResult;
    },
    mutations: () => mutating(),
    mark: () => sources().map((calls) => calls.length),
    mutationsSince: (mark) => mutating(mark),
    desired: () =>
      Object.fromEntries(fleet.pools.map((p) => [p.id, w.capacity[p.cloud].pools.get(p.id)?.desired ?? 0])),
    total: () => Object.values(r.desired()).reduce((a, b) => a + b, 0),
    cost: () => {
      const d = r.desired();
      return fleet.pools.reduce((sum, p) => sum + (d[p.id] ?? 0) * p.hourlyPrice, 0);
    },
    setLoad: (load) => {
      w.metrics.values.set(metricsQueryText(demandQuery(fleet)), load.rps);
      w.metrics.values.set(metricsQueryText(metricQuery(FLEET, 'gpu_utilization')), load.utilization);
    },
  };
  w.deps.clock = () => new Date(r.now);
  w.deps.idempotency = { tableName: dynamo.tableName, client: dynamo.client };
  w.deps.leaseWaitMs = 5_000;
  return r;
}

/** The configuration with the fleet's safety policy changed. */
export function withSafety(resolved: ResolvedConfig, safety: Partial<SafetyPolicy>): ResolvedConfig {
  const copy = structuredClone(resolved);
  const policy = copy.fleets[0]!.policy;
  Object.assign(policy.safety, safety);
  return copy;
}

// ---- events and commands ----------------------------------------------------------------------------------

export type Op =
  | { kind: 'alarm'; high: boolean }
  | { kind: 'forecast' }
  | { kind: 'schedule' }
  | { kind: 'scale'; target: number; ttlMinutes?: number; pool?: string; dryRun: boolean }
  | { kind: 'clear-target'; dryRun: boolean }
  | { kind: 'pause'; ttlMinutes?: number; dryRun: boolean }
  | { kind: 'resume'; dryRun: boolean }
  | { kind: 'plan' }
  | { kind: 'redeliver'; pick: number };

export interface Step {
  /** Seconds since the step before. */
  after: number;
  /** The load from this step on (unchanged when absent). */
  load?: Load;
  op: Op;
}

export const loadArb: fc.Arbitrary<Load> = fc.record({
  rps: fc.integer({ min: 0, max: 1500 }),
  utilization: fc.integer({ min: 0, max: 200 }),
});

export function opArb(options: {
  pools: readonly string[];
  weights?: Partial<Record<Op['kind'], number>>;
}): fc.Arbitrary<Op> {
  const wt = (k: Op['kind'], d: number) => options.weights?.[k] ?? d;
  const ttl = fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined });
  return fc.oneof(
    { weight: wt('alarm', 4), arbitrary: fc.record({ kind: fc.constant('alarm' as const), high: fc.boolean() }) },
    { weight: wt('forecast', 4), arbitrary: fc.constant({ kind: 'forecast' as const }) },
    { weight: wt('schedule', 1), arbitrary: fc.constant({ kind: 'schedule' as const }) },
    {
      weight: wt('scale', 2),
      arbitrary: fc.record(
        {
          kind: fc.constant('scale' as const),
          target: fc.integer({ min: 0, max: 80 }),
          ttlMinutes: ttl,
          pool: fc.option(fc.constantFrom(...options.pools), { nil: undefined, freq: 4 }),
          dryRun: fc.boolean(),
        },
        { requiredKeys: ['kind', 'target', 'dryRun'] },
      ),
    },
    {
      weight: wt('clear-target', 1),
      arbitrary: fc.record({ kind: fc.constant('clear-target' as const), dryRun: fc.boolean() }),
    },
    {
      weight: wt('pause', 2),
      arbitrary: fc.record(
        { kind: fc.constant('pause' as const), ttlMinutes: ttl, dryRun: fc.boolean() },
        { requiredKeys: ['kind', 'dryRun'] },
      ),
    },
    { weight: wt('resume', 1), arbitrary: fc.record({ kind: fc.constant('resume' as const), dryRun: fc.boolean() }) },
    { weight: wt('plan', 1), arbitrary: fc.constant({ kind: 'plan' as const }) },
    { weight: wt('redeliver', 2), arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(20) }) },
  );
}

export function stepsArb(options: {
  pools: readonly string[];
  weights?: Partial<Record<Op['kind'], number>>;
  maxSteps?: number;
}): fc.Arbitrary<Step[]> {
  return fc.array(
    fc.record(
      {
        after: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 120, max: 1200 })),
        load: loadArb,
        op: opArb(options),
      },
      { requiredKeys: ['after', 'op'] },
    ),
    { minLength: 1, maxLength: options.maxSteps ?? 6 },
  );
}

/** An event as its function receives it, with the function's name. */
export interface Delivery {
  fn: FunctionName;
  id: string;
  event: unknown;
  /** A dry run or a read-only command. */
  dryRun: boolean;
  op: Op;
}

/** The delivery of `op` at `at` (a fresh event id each). */
export function deliveryOf(op: Exclude<Op, { kind: 'redeliver' }>, at: number, n: number): Delivery {
  const id = crypto.randomUUID();
  const why = { actor: ACTOR, reason: `property step ${n}`, requestId: id };
  const ttl = (m: number | undefined) => (m === undefined ? {} : { ttl: `${m}m` });
  switch (op.kind) {
    case 'alarm':
      return {
        fn: 'alarm',
        id,
        event: utilizationAlarm(at, op.high ? 140 : 10, { id, low: !op.high }),
        dryRun: false,
        op,
      };
    case 'forecast':
      return { fn: 'forecast', id, event: tick(at, 'forecast', id), dryRun: false, op };
    case 'schedule':
      return { fn: 'schedule', id, event: tick(at, 'schedule-business-hours', id), dryRun: false, op };
    case 'scale':
      return {
        fn: 'ops',
        id,
        event: command(
          {
            command: 'scale',
            fleetId: FLEET,
            target: op.target,
            ...ttl(op.ttlMinutes),
            ...(op.pool ? { poolId: op.pool } : {}),
            ...(op.dryRun ? { dryRun: true } : {}),
            ...why,
          },
          at,
        ),
        dryRun: op.dryRun,
        op,
      };
    case 'clear-target':
    case 'resume':
      return {
        fn: 'ops',
        id,
        event: command({ command: op.kind, fleetId: FLEET, ...(op.dryRun ? { dryRun: true } : {}), ...why }, at),
        dryRun: op.dryRun,
        op,
      };
    case 'pause':
      return {
        fn: 'ops',
        id,
        event: command(
          { command: 'pause', fleetId: FLEET, ...ttl(op.ttlMinutes), ...(op.dryRun ? { dryRun: true } : {}), ...why },
          at,
        ),
        dryRun: op.dryRun,
        op,
      };
    case 'plan':
      return {
        fn: 'ops',
        id,
        event: command({ command: 'plan', fleetId: FLEET, requestId: id }, at),
        dryRun: true,
        op,
      };
  }
}

/** What one step did. */
export interface Trace {
  at: number;
  delivery: Delivery;
  /** Set when this step delivered an event again: the index of its first delivery's step. */
  redeliveryOf?: number;
  result?: HandlerResult;
  error?: unknown;
  /** The mutating calls this step made. */
  mutations: Call[];
  /** Audit records this step wrote (new ones; the fake store appends). */
  audits: AuditRecord[];
  stateBefore: FleetState;
  stateAfter: FleetState;
  desiredBefore: Record<string, number>;
  desiredAfter: Record<string, number>;
  costBefore: number;
  costAfter: number;
}

/** Runs `steps` on `r`, from `load`; every step's trace, in order. */
export async function runSteps(r: Rig, steps: readonly Step[], load: Load): Promise<Trace[]> {
  r.setLoad(load);
  const out: Trace[] = [];
  for (const [n, step] of steps.entries()) {
    r.now += step.after * 1000;
    if (step.load) r.setLoad(step.load);
    let delivery: Delivery;
    let redeliveryOf: number | undefined;
    const firsts = out.flatMap((t, i) => (t.redeliveryOf === undefined ? [i] : []));
    if (step.op.kind === 'redeliver') {
      if (!firsts.length) continue;
      redeliveryOf = firsts[step.op.pick % firsts.length]!;
      delivery = out[redeliveryOf]!.delivery;
    } else delivery = deliveryOf(step.op, r.now, n);
    const stateBefore = await r.w.state.getState(FLEET);
    const mark = r.mark();
    const audits = r.w.state.audit.length;
    const desiredBefore = r.desired();
    const costBefore = r.cost();
    let result: HandlerResult | undefined;
    let error: unknown;
    try {
      result = await r.invoke(delivery.fn, delivery.event);
    } catch (e) {
      error = e;
    }
    out.push({
      at: r.now,
      delivery,
      ...(redeliveryOf !== undefined ? { redeliveryOf } : {}),
      ...(result ? { result } : {}),
      ...(error !== undefined ? { error } : {}),
      mutations: r.mutationsSince(mark),
      audits: r.w.state.audit.slice(audits),
      stateBefore,
      stateAfter: await r.w.state.getState(FLEET),
      desiredBefore,
      desiredAfter: r.desired(),
      costBefore,
      costAfter: r.cost(),
    });
  }
  return out;
}

/** Whether the fleet's pause is in force at `at`, by the state. */
export function pausedAt(state: FleetState, at: number): boolean {
  const p = state.paused;
  if (!p) return false;
  return p.until === undefined || Date.parse(p.until) > at;
}

/** Initial desired counts: each pool within [min, max] (the reserved pool at 0), the fleet within its limits. */
export function initialArb(resolved: ResolvedConfig): fc.Arbitrary<Record<string, number>> {
  const fleet = resolved.fleets[0]!;
  return fc
    .tuple(
      ...fleet.pools.map((p) =>
        p.capacityType === 'reserved' ? fc.constant(0) : fc.integer({ min: p.min, max: Math.min(p.max, 8) }),
      ),
    )
    .map((counts) => Object.fromEntries(fleet.pools.map((p, i) => [p.id, counts[i]!])))
    .filter((d) => {
      const total = Object.values(d).reduce((a, b) => a + b, 0);
      return total >= fleet.policy.minNodes && total <= fleet.policy.maxNodes;
    });
}
