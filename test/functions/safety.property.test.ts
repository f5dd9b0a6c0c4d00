/**
 * Properties of the application layer's safety promises, over random sequences of events (GPU alarms, forecast
 * and schedule ticks) and operator commands (scale, clear-target, pause, resume, plan, each maybe a dry run),
 * with the clock moving between them and events delivered again, through the real handlers (middy, Powertools'
 * idempotency on dynalite, the triggers, the decision path, the engine) over the ports' fakes.
 *
 * What the README and the code's comments promise:
 * - a redelivered event (same id) acts once: its second delivery gets the first answer and changes no capacity,
 *   writes no audit record and leaves the fleet's state as it was ("a redelivered event acts once");
 * - dry run and pause never change a cloud ("hands off: decisions logged, nothing applied"), but every such
 *   decision is still decided, explained (its reasons) and audited, a dry run leaving the state as it was;
 * - desired counts never leave each pool's [min, max] nor the fleet's [minNodes, maxNodes];
 * - a decision grows the fleet by at most `maxStepUp` and shrinks it by at most `maxStepDown` (a floor, the
 *   ceiling or what the pools can hold win: "hard bounds ... come after and win"), and no scale-out or scale-in
 *   comes within its cooldown of the last applied one in the same direction ("an operator's manual target is
 *   not held by cooldowns"; a floor still wins);
 * - a scale-up never takes the fleet's hourly cost past `hourlyBudgetUsd` (unless the configured floor alone
 *   costs more: "the floor wins ... and reports it");
 * - a malformed event changes nothing and is kept with its reason ("stored with the reason, acknowledged and
 *   never retried");
 * - every decision that acts leaves an audit record, and what it says was applied (each pool's `from -> to`)
 *   is what the clouds were asked and what the plan said.
 *
 * The bugs they found are kept at the end, each with its counterexample and the focused test that failed before
 * its fix.
 * `PROP_RUNS` sets the runs per property (20 by default: each run drives the real handlers several times).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSamples, loadSample } from '../../events/samples.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import { loadConfigFile, type ResolvedConfig } from '../../shared/config/load.ts';
import type { Plan } from '../../shared/engine/types.ts';
import type { FunctionName } from '../../shared/runtime/handler.ts';
import { DEMO_CONFIG, FLEET, T0 } from '../support/stack.ts';
import {
  deliveryOf,
  initialArb,
  type Load,
  loadArb,
  pausedAt,
  rig,
  runSteps,
  type Step,
  stepsArb,
  type Op,
  type Trace,
  withSafety,
} from './safety-arbitraries.ts';
import { ACTOR, command, sample } from './support.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 20) };

let dynamo: LocalDynamo;
let demo: ResolvedConfig;
let POOLS: string[];
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  demo = await loadConfigFile(DEMO_CONFIG);
  POOLS = demo.fleets[0]!.pools.map((p) => p.id);
});
afterAll(async () => {
  await dynamo?.close();
});

/** The plans of the decisions a step audited that were executed (not a dry run, not paused). */
function acted(t: Trace): Array<{ plan: Plan; status: string }> {
  return t.audits
    .filter((a) => !a.dryRun && !a.paused && ['applied', 'partial'].includes(a.outcome.status))
    .map((a) => ({ plan: a.plan as Plan, status: a.outcome.status }));
}
/** The audit entry each mutating call of the fakes leaves. */
const ENTRY_OF: Record<string, string> = {
  setDesired: 'set-desired',
  setWarm: 'set-warm',
  scaleDeployment: 'scale-deployment',
};
const codes = (plan: Plan) => new Set(plan.reasons.map((r) => r.code));
const fmt = (traces: Trace[]) =>
  traces
    .map(
      (t, i) =>
        `#${i} +${new Date(t.at).toISOString()} ${t.delivery.fn} ${JSON.stringify(t.delivery.op)}${t.redeliveryOf !== undefined ? ` (again #${t.redeliveryOf})` : ''}: ` +
        `${JSON.stringify(t.desiredBefore)} -> ${JSON.stringify(t.desiredAfter)} ${t.error ? `ERROR ${String(t.error)}` : ''}`,
    )
    .join('\n');

/** A scenario of the properties below: the pools' counts at the start, the load, and the steps. */
type StepsScenario = { initial: Record<string, number>; load: Load; steps: Step[] };
/** The limits the step and cooldown property draws. */
type StepSafety = {
  maxStepUp: number;
  maxStepDown: number;
  scaleUpCooldownSeconds: number;
  scaleDownCooldownSeconds: number;
};

const scenario = (options: { maxSteps?: number; weights?: Parameters<typeof stepsArb>[0]['weights'] } = {}) =>
  fc.record({
    initial: fc.constant(null).chain(() => initialArb(demo)),
    load: loadArb,
    steps: fc.constant(null).chain(() => stepsArb({ pools: POOLS, ...options })),
  });

describe('the application layer keeps its safety promises over random events and commands', () => {
  it('a redelivered event acts once: the first answer, no cloud call, no audit record, the state as it was', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ weights: { redeliver: 5 } }), async ({ initial, load, steps }) => {
        const r = rig(demo, T0, dynamo, initial);
        const traces = await runSteps(r, steps, load);
        for (const t of traces) {
          if (t.redeliveryOf === undefined) continue;
          const first = traces[t.redeliveryOf]!;
          // A read-only command (plan) is answered again, not deduplicated; a dry run changes nothing anyway.
          if (first.error !== undefined || first.delivery.op.kind === 'plan') continue;
          expect(t.error, fmt(traces)).toBeUndefined();
          expect(t.result, fmt(traces)).toEqual(first.result);
          expect(t.mutations, fmt(traces)).toEqual([]);
          expect(t.audits, fmt(traces)).toEqual([]);
          expect(t.stateAfter, fmt(traces)).toEqual(t.stateBefore);
          expect(t.desiredAfter).toEqual(t.desiredBefore);
        }
      }),
      RUNS,
    );
  });

  it('dry run and pause change no cloud, and are still decided, explained and audited', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ weights: { pause: 4, plan: 2, redeliver: 1 } }), async ({ initial, load, steps }) => {
        const r = rig(demo, T0, dynamo, initial);
        const traces = await runSteps(r, steps, load);
        for (const t of traces) {
          if (t.redeliveryOf !== undefined || t.error !== undefined) continue;
          const op = t.delivery.op;
          const paused = pausedAt(t.stateBefore, t.at) && !(op.kind === 'resume' && !t.delivery.dryRun);
          if (!paused && !t.delivery.dryRun) continue;
          expect(t.mutations, fmt(traces)).toEqual([]);
          expect(t.desiredAfter).toEqual(t.desiredBefore);
          const record = t.audits.find((a) => a.eventId === t.delivery.id);
          expect(record, fmt(traces)).toBeDefined();
          const plan = record!.plan as Plan;
          expect(plan.reasons.length).toBeGreaterThan(0);
          expect(
            record!.outcome.applied.filter((a) => ['set-desired', 'set-warm', 'cordon', 'drain'].includes(a.action)),
          ).toEqual([]);
          if (t.delivery.dryRun) {
            expect(record).toMatchObject({ dryRun: true, outcome: { status: 'dry-run' } });
            expect(t.stateAfter, fmt(traces)).toEqual(t.stateBefore);
          } else expect(record, fmt(traces)).toMatchObject({ paused: true, outcome: { status: 'paused' } });
        }
      }),
      RUNS,
    );
  });

  it("desired counts never leave each pool's [min, max] nor the fleet's [minNodes, maxNodes]", async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ weights: { scale: 4 } }), async ({ initial, load, steps }) => {
        const r = rig(demo, T0, dynamo, initial);
        const traces = await runSteps(r, steps, load);
        const fleet = demo.fleets[0]!;
        for (const t of traces) {
          for (const p of fleet.pools) {
            expect(t.desiredAfter[p.id], `${p.id}\n${fmt(traces)}`).toBeGreaterThanOrEqual(p.min);
            expect(t.desiredAfter[p.id], `${p.id}\n${fmt(traces)}`).toBeLessThanOrEqual(p.max);
          }
          const total = Object.values(t.desiredAfter).reduce((a, b) => a + b, 0);
          expect(total, fmt(traces)).toBeGreaterThanOrEqual(fleet.policy.minNodes);
          expect(total, fmt(traces)).toBeLessThanOrEqual(fleet.policy.maxNodes);
          for (const a of t.audits) {
            const plan = a.plan as Plan;
            for (const pp of plan.pools) {
              const p = fleet.pools.find((x) => x.id === pp.poolId)!;
              expect(pp.target).toBeGreaterThanOrEqual(p.min);
              expect(pp.target).toBeLessThanOrEqual(p.max);
            }
          }
        }
      }),
      RUNS,
    );
  });

  /** Every decision of a scenario within the max steps, and no change within its cooldown. */
  const keepsStepsAndCooldowns = async (safety: StepSafety, s: StepsScenario) => {
    const resolved = withSafety(demo, safety);
    const r = rig(resolved, T0, dynamo, s.initial);
    const traces = await runSteps(r, s.steps, s.load);
    let lastUp = Number.NEGATIVE_INFINITY;
    let lastDown = Number.NEGATIVE_INFINITY;
    for (const t of traces) {
      for (const { plan } of acted(t)) {
        const c = codes(plan);
        const up = plan.targetNodes - plan.currentNodes;
        // An operator's manual target (the fleet's or a pool's) is not held by cooldowns.
        const manual = plan.manualTarget !== undefined;
        const why = `${JSON.stringify(safety)} ${[...c].join(',')}\n${fmt(traces)}`;
        if (up > safety.maxStepUp) expect(c.has('limit.min'), `step up ${up}: ${why}`).toBe(true);
        if (-up > safety.maxStepDown)
          expect(c.has('limit.max') || c.has('limit.capacity'), `step down ${-up}: ${why}`).toBe(true);
        if (up > 0 && !manual && !c.has('limit.min'))
          expect(t.at - lastUp, `scale-up in cooldown: ${why}`).toBeGreaterThanOrEqual(
            safety.scaleUpCooldownSeconds * 1000,
          );
        if (up < 0 && !manual && !c.has('limit.max'))
          expect(t.at - lastDown, `scale-in in cooldown: ${why}`).toBeGreaterThanOrEqual(
            safety.scaleDownCooldownSeconds * 1000,
          );
        if (up > 0) lastUp = t.at;
        if (up < 0) lastDown = t.at;
      }
    }
  };

  it('each decision keeps maxStepUp and maxStepDown, and no change comes within its cooldown', async () => {
    const safetyArb = fc.record({
      maxStepUp: fc.integer({ min: 1, max: 6 }),
      maxStepDown: fc.integer({ min: 1, max: 4 }),
      scaleUpCooldownSeconds: fc.constantFrom(0, 60, 300, 900),
      scaleDownCooldownSeconds: fc.constantFrom(0, 60, 300, 900),
    });
    await fc.assert(
      fc.asyncProperty(
        safetyArb,
        scenario({ maxSteps: 8, weights: { redeliver: 0, plan: 0 } }),
        keepsStepsAndCooldowns,
      ),
      RUNS,
    );
  });

  it('keeps maxStepDown when consolidation drops a node it need not replace (a counterexample the property found)', async () => {
    // The demo at 0 utilization and 710 rps after two alarms; the tick plans the 2 nodes maxStepDown allows out
    // of 22, and a consolidation swap took one more gcp-l4 node out with nothing in (its capacity was slack):
    // 3 out in one decision. A swap is held by the max step as the plan is.
    await keepsStepsAndCooldowns(
      { maxStepUp: 2, maxStepDown: 2, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0 },
      {
        initial: {
          'aws-g5-spot': 8,
          'aws-g5-ondemand': 1,
          'aws-p5-capacity-block': 0,
          'azure-a100-spot': 2,
          'gcp-l4': 7,
        },
        load: { rps: 0, utilization: 0 },
        steps: [
          { after: 1, load: { rps: 0, utilization: 94 }, op: { kind: 'alarm', high: false } },
          { after: 1, load: { rps: 710, utilization: 0 }, op: { kind: 'alarm', high: false } },
          { after: 120, op: { kind: 'forecast' } },
        ],
      },
    );
  });

  it('a scale-up never takes the hourly cost past the budget (unless the floor alone costs more)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 40 }),
        scenario({ weights: { scale: 3, alarm: 6 } }),
        async (budget, s) => {
          const resolved = withSafety(demo, { hourlyBudgetUsd: budget });
          const r = rig(resolved, T0, dynamo, s.initial);
          const traces = await runSteps(r, s.steps, s.load);
          for (const t of traces) {
            if (t.costAfter <= t.costBefore + 1e-9 || t.costAfter <= budget + 1e-6) continue;
            const unmet = t.audits.some((a) => (a.plan as Plan).budgetCut?.unmet);
            expect(unmet, `$${t.costBefore} -> $${t.costAfter} over $${budget}\n${fmt(traces)}`).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('every decision that acts is audited, and its record says what the clouds were asked', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ weights: { scale: 3 } }), async ({ initial, load, steps }) => {
        const r = rig(demo, T0, dynamo, initial);
        const traces = await runSteps(r, steps, load);
        for (const t of traces) {
          // Every cloud write of the step is in the outcome of an executed decision's record (neither a dry run
          // nor paused), under its pool and with the count it asked for.
          const executed = t.audits.filter((a) => !a.dryRun && !a.paused);
          for (const m of t.mutations) {
            const action = ENTRY_OF[m.method] ?? m.method;
            const entry = executed
              .flatMap((a) => a.outcome.applied)
              .find(
                (e) =>
                  e.action === action &&
                  e.poolId === m.args[0] &&
                  (e.detail as { to?: number } | undefined)?.to === m.args[1],
              );
            expect(entry, `${m.method} ${JSON.stringify(m.args)} not audited\n${fmt(traces)}`).toBeDefined();
          }
          const asked = t.mutations.filter((m) => m.method === 'setDesired').map((m) => `${m.args[0]}:${m.args[1]}`);
          const recorded: string[] = [];
          for (const a of t.audits) {
            const plan = a.plan as Plan;
            for (const e of a.outcome.applied) {
              if (e.action !== 'set-desired' || typeof e.detail !== 'object') continue;
              const d = e.detail as { from: number; to: number };
              const pp = plan.pools.find((p) => p.poolId === e.poolId)!;
              expect({ from: d.from, to: d.to }, fmt(traces)).toEqual({ from: pp.current, to: pp.target });
              expect(t.desiredBefore[e.poolId!]).toBe(d.from);
              expect(t.desiredAfter[e.poolId!]).toBe(d.to);
              recorded.push(`${e.poolId}:${d.to}`);
            }
            // The history entry the decision saved says the same.
            if (!a.dryRun && !a.paused && a.outcome.status === 'applied') {
              expect(plan.historyEntry.to, fmt(traces)).toBe(plan.targetNodes);
            }
          }
          expect(recorded.sort(), fmt(traces)).toEqual(asked.sort());
          // No pool changed without a set-desired the record names.
          for (const p of POOLS)
            if (t.desiredAfter[p] !== t.desiredBefore[p])
              expect(recorded.some((x) => x.startsWith(`${p}:`))).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('concurrent deliveries', () => {
  it('copies of events delivered at once, retried as Lambda retries them: each event decided and audited once', async () => {
    const opsArb = fc.array(
      fc.record({
        op: fc.constantFrom<Exclude<Op, { kind: 'redeliver' }>>(
          { kind: 'alarm', high: true },
          { kind: 'alarm', high: false },
          { kind: 'forecast' },
          { kind: 'schedule' },
          { kind: 'scale', target: 6, dryRun: false },
        ),
        copies: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(initialArb(demo), loadArb, opsArb, async (initial, load, ops) => {
        const r = rig(demo, T0, dynamo, initial);
        r.setLoad(load);
        const deliveries = ops.map((o, n) => ({ ...deliveryOf(o.op, r.now, n), copies: o.copies }));
        // A delivery refused while its twin runs, or while the fleet's lease is busy, is retried (Lambda).
        const deliver = async (fn: FunctionName, event: unknown) => {
          for (let attempt = 0; ; attempt++) {
            try {
              return await r.invoke(fn, event);
            } catch (e) {
              if (attempt >= 50) throw e;
              await new Promise((ok) => setTimeout(ok, 5));
            }
          }
        };
        const results = await Promise.all(
          deliveries.flatMap((d) => Array.from({ length: d.copies }, () => deliver(d.fn, d.event))),
        );
        let k = 0;
        for (const d of deliveries) {
          const answers = results.slice(k, k + d.copies);
          k += d.copies;
          // Every copy gets the one answer; one audit record per event.
          for (const a of answers) expect(a).toEqual(answers[0]);
          expect(r.w.state.audit.filter((a) => a.eventId === d.id)).toHaveLength(1);
        }
        // One saved state per event decided (none lost, none twice), one history entry each.
        const state = await r.w.state.getState(FLEET);
        expect(state.version).toBe(deliveries.length);
        expect(r.w.state.history.get(FLEET)?.size ?? 0).toBe(deliveries.length);
      }),
      RUNS,
    );
  });
});

/** The function each source's events go to (as in malformed.test.ts). */
const RECEIVER: Record<string, FunctionName> = {
  'aws-cloudwatch-alarm': 'alarm',
  'aws-spot-interruption': 'spot-interruption',
  'aws-scheduler': 'schedule',
  'aws-scheduled-event': 'forecast',
  'aws-capacity-block': 'capacity-reservation',
  'operator-command': 'ops',
  'azure-scheduled-events': 'spot-interruption',
  'gcp-preemption-pubsub': 'spot-interruption',
};

/** A JSON value with one leaf or key of it replaced, removed or retyped. */
function corrupt(value: unknown, path: number[], junk: unknown): unknown {
  if (typeof value !== 'object' || value === null || path.length === 0) return junk;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (!entries.length) return junk;
  const i = path[0]! % entries.length;
  const [k, v] = entries[i]!;
  const next = path.length === 1 && path[0]! % 3 === 0 ? undefined : corrupt(v, path.slice(1), junk);
  if (Array.isArray(value)) return value.map((x, j) => (j === i ? next : x));
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (next === undefined) delete out[k];
  else out[k] = next;
  return out;
}

describe('malformed events', () => {
  it('change no capacity and are kept with their reason; never retried', async () => {
    const sources = Object.keys(RECEIVER).filter((s) =>
      listSamples().some((x) => x.source === s && x.name === 'valid'),
    );
    const eventArb = fc.oneof(
      // Junk of any shape, to any function.
      fc.record({
        fn: fc.constantFrom(...(Object.values(RECEIVER) as FunctionName[])),
        raw: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
      }),
      // A valid sample with one part of it removed or replaced by junk.
      fc
        .record({
          source: fc.constantFrom(...sources),
          path: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
          junk: fc.oneof(fc.jsonValue(), fc.constant(''), fc.constant(null), fc.constant(-1)),
        })
        .map(({ source, path, junk }) => ({
          fn: RECEIVER[source]!,
          raw: corrupt(loadSample(source, 'valid'), path, junk),
        })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 3 }), async (events) => {
        const r = rig(demo, T0, dynamo, { 'aws-g5-ondemand': 2 });
        r.setLoad({ rps: 100, utilization: 60 });
        for (const { fn, raw } of events) {
          const before = {
            desired: r.desired(),
            mark: r.mark(),
            audits: r.w.state.audit.length,
            version: (await r.w.state.getState(FLEET)).version,
          };
          const rejected = r.w.state.rejected.length;
          const result = await r.invoke(fn, raw);
          if (result.status !== 'rejected') continue;
          expect(r.desired()).toEqual(before.desired);
          expect(r.mutationsSince(before.mark)).toEqual([]);
          expect(r.w.state.audit).toHaveLength(before.audits);
          expect((await r.w.state.getState(FLEET)).version).toBe(before.version);
          const kept = r.w.state.rejected.slice(rejected);
          expect(kept, JSON.stringify(raw).slice(0, 300)).toHaveLength(1);
          expect(kept[0]).toMatchObject({ fn, reason: result.reason });
        }
      }),
      { numRuns: RUNS.numRuns * 3 },
    );
  });
});

describe('fixed: the hourly budget holds when the placement moves to the unhedged path after the budget check', () => {
  // Counterexample (shrunk by the budget property): hourlyBudgetUsd 3; aws-g5-spot 1, aws-g5-ondemand 1 ($1.31/h);
  // demand 160 rps; a forecast tick. The budget is checked on the hedged placement (6 nodes: the on-demand node and
  // g5 spot, $2.51/h); then `shared/engine/decide.ts` (the `if (unhedged && x < unhedged.nodes ...)` branch, lines
  // 625-632, `path = unhedged.path`) places the 6 nodes on the path without the hedge, whose spot goes to
  // azure-a100-spot ($0.73/h a node) instead: azure-a100-spot 0 -> 4, $4.23/h over the $3/h budget, with no
  // `budgetCut` at all. (A larger case: budget 15, 21 -> 25 nodes, the budget cut to $14.42/h, placed at $15.28/h.)
  it('a scale-up never costs more than hourlyBudgetUsd', async () => {
    const resolved = withSafety(demo, { hourlyBudgetUsd: 3 });
    const r = rig(resolved, T0, dynamo, { 'aws-g5-spot': 1, 'aws-g5-ondemand': 1 });
    const [t] = await runSteps(r, [{ after: 1, op: { kind: 'forecast' } }], { rps: 160, utilization: 0 });
    expect(t!.costBefore).toBeCloseTo(1.31, 6);
    const plan = t!.audits[0]!.plan as Plan;
    expect(plan.targetNodes).toBeGreaterThan(plan.currentNodes);
    expect(plan.costPerHour).toBeLessThanOrEqual(3);
    expect(t!.costAfter).toBeLessThanOrEqual(3);
  });
});

describe('fixed: a spot warning for a paused fleet cordons no node', () => {
  // Counterexample: the fleet paused (`pause`, ttl 1h), then an EC2 Spot interruption warning for one of its
  // spot instances a minute later. The decision is `paused` and holds back its plan's actions, but the node was
  // cordoned ahead of the decision (`shared/app/cordon-first.ts` `cordonEarly`, started by the spot trigger's
  // `ahead` option in `shared/app/triggers/spot-interruption.ts`), which never looks at the pause; nothing
  // uncordons it (only a notice the cloud refutes is undone), and the paused audit record lists the cordon as
  // applied. Pause is "hands off: decisions logged, nothing applied" (README), "holds back every cloud change,
  // interruption handling included" (shared/engine/decide.ts).
  it('nothing is cordoned while the fleet is paused', async () => {
    const r = rig(demo, T0, dynamo, { 'aws-g5-ondemand': 2 });
    const spot = ['i-0000000000000a001', 'i-0000000000000a002'];
    r.w.set('aws-g5-spot', {
      desired: 2,
      instances: spot.map((id, i) => ({
        id,
        capacityType: 'spot',
        lifecycle: 'ready',
        zone: 'us-east-1a',
        nodeName: `node-a${i + 1}`,
      })),
    });
    for (const [i, id] of spot.entries()) r.w.cluster.addNode(`node-a${i + 1}`, id);
    r.setLoad({ rps: 100, utilization: 60 });
    const why = { actor: ACTOR, reason: 'model rollout', requestId: 'pause-1' };
    const paused = await r.invoke('ops', command({ command: 'pause', fleetId: FLEET, ttl: '1h', ...why }, r.now));
    expect(paused).toMatchObject({ status: 'ops', ok: true });
    r.now += 60_000;
    const mark = r.mark();
    const warning = sample('aws-spot-interruption', 'valid', {
      at: r.now,
      replace: { 'i-0a1b2c3d4e5f60718': spot[0]! },
    });
    const result = await r.invoke('spot-interruption', warning);
    expect(result).toMatchObject({ status: 'decided', decisions: [{ status: 'paused' }] });
    expect(r.mutationsSince(mark)).toEqual([]);
    expect(r.w.cluster.nodes.every((n) => !n.unschedulable)).toBe(true);
  });
});
