/**
 * Warm capacity planning: how many stopped nodes each pool with `warm` keeps, and why.
 *
 * With the SLO sizing (the decision input carries the demand history), the decision sizes the warm pools with
 * the headroom model over two horizons and the spot hedge (warm-sizing.ts) and hands the targets over in
 * `plan.warm`; this module turns them into `set-warm` actions and reasons. Without it, the rule below:
 *
 * A node serves `timeToReadySeconds` after a cold launch, or `warm.resumeSeconds` after a warm one resumes. So
 * the demand that may arrive within a resume time can only be met by nodes already running (the plan's
 * running headroom); what may arrive later, within a cold launch's time to ready, can be met by warm nodes
 * resumed on demand; what arrives later still, by cold launches. The planner sizes the warm pools for that
 * middle band:
 *
 *   rise(h)   = the largest rise of the fleet's required capacity (requests/s) within h seconds, over the
 *               decisions of the last `WARM_LOOKBACK_SECONDS` (learned online from what the fleet has seen);
 *   headroom  = what the plan's running target serves beyond the demand now;
 *   warm rps  = rise(time to ready) - max(headroom, rise(resume time)), at least 0;
 *   warm node = ceil(warm rps / rpsPerNode), cheapest pool per request/s first, within [warm.min, warm.max].
 *
 * Without two decisions to learn from, each pool keeps `warm.min`. A warm node costs its disks
 * (`warm.hourlyPrice`); the reasons say so beside what the same capacity would cost running, and state when
 * the rises within a resume time exceed the running headroom (warm nodes cannot help there).
 *
 * Scale-in returns nodes to the warm pool. A node resumed for a rise (or a replacement) and scaled in once
 * the cold launches serve would otherwise end while its pool prepares a new one (a full time to ready at the
 * running price), once per resume. So a shrink of a warm pool (`set-desired` below the count observed) says
 * how many of its nodes go back to the warm pool (`toWarm`): with the SLO sizing, as many as the pool has
 * room for, up to `warm.max` (they were serving until now: a prepared node kept costs its disks, one given up
 * a new preparation), and the pool keeps what it then has for its break-even time from now (time to ready x
 * running price / disk price, `warmHoldSeconds`), the ski-rental rule applied to the nodes returned as
 * warm-sizing.ts applies it to the need; without it, up to the pool's rule target. The warm target after the
 * plan is what the pool then has, never below this decision's own need (a pool below it is refilled) and
 * never above what it keeps (the held need, the nodes returned within the break-even time); a pool's scale-out draws
 * on its ready warm nodes first, and what it resumed is not refilled unless the need asks for it. The nodes a
 * bridge resumed (decide.ts `warm.bridge`: for a rise the cold launches meet later, or a replacement) come back
 * with the scale-in once those cold launches serve, a time to ready from now: a node prepared meanwhile would be
 * warm no sooner. So they count as the pool's while they are out, for the pool's time to ready since the last
 * went (`HeldNeed.out`, warm-sizing.ts `outstanding`), and the refill prepares only what the need asks beyond
 * them (`warm.out`); the returns take them off. Before, each bridge prepared as many nodes as it resumed, and the
 * pool, full again when they came back, ended them (the 2023 code hour: 10 preparations, $1.68). Each cloud
 * returns nodes with its own primitive (ASG warm pool sized relative to the group, with ReuseOnScaleIn;
 * VMSS deallocate; MIG stopInstances / suspendInstances): the adapters.
 *
 * Pure: no clock, no I/O.
 */
import type { Pool } from '../domain/types.ts';
import type { Action, DecisionInput, HistoryEntry, Plan, Reason, SetWarmAction } from './types.ts';
import { outstanding, poolHold, warmHoldSeconds } from './warm-sizing.ts';

/** The decisions the rises are learned from: a day (demand's daily cycle holds its steepest ramps). */
export const WARM_LOOKBACK_SECONDS = 24 * 3600;

interface Sample {
  t: number;
  rps: number;
}

/** Required capacity (requests/s) of past decisions in the lookback, oldest first, and now's. */
function samples(history: readonly HistoryEntry[], fleetId: string, now: number, rpsNow?: number): Sample[] {
  const out: Sample[] = [];
  for (const h of history) {
    if (h.dryRun || h.requiredRps === undefined || (h.fleetId !== undefined && h.fleetId !== fleetId)) continue;
    const t = Date.parse(h.at);
    if (!Number.isFinite(t) || t < now - WARM_LOOKBACK_SECONDS * 1000 || t > now) continue;
    out.push({ t, rps: h.requiredRps });
  }
  if (rpsNow !== undefined) out.push({ t: now, rps: rpsNow });
  return out.sort((a, b) => a.t - b.t);
}

/**
 * The largest rise of `rps` from one sample to a later one at most `horizonSeconds` after it (a sliding-window
 * minimum: O(n)). 0 when it never rose; undefined with fewer than two samples.
 */
export function maxRise(series: readonly Sample[], horizonSeconds: number): number | undefined {
  if (series.length < 2) return undefined;
  const window: number[] = []; // indices of a deque whose rps increase
  let best = 0;
  let head = 0;
  for (let j = 0; j < series.length; j++) {
    const s = series[j]!;
    while (head < window.length && series[window[head]!]!.t < s.t - horizonSeconds * 1000) head++;
    if (head < window.length) best = Math.max(best, s.rps - series[window[head]!]!.rps);
    while (window.length > head && series[window[window.length - 1]!]!.rps >= s.rps) window.pop();
    window.push(j);
  }
  return best;
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 3 : 2)}`;

/**
 * The warm targets for a plan, as actions and reasons. Nothing while the fleet is paused (hands off), and a
 * dry run only explains.
 */
export function planWarm(
  input: DecisionInput,
  plan: Plan,
  now: Date,
): {
  actions: SetWarmAction[];
  reasons: Reason[];
  returns: Map<string, number>;
  /** Per pool: the nodes kept after a return, and since when (`HeldNeed.kept`), for the next state. */
  kept: Map<string, { nodes: number; at: string }>;
  /** Per pool: the nodes still out on bridges after this decision's returns (`HeldNeed.out`), for the next state. */
  out: Map<string, { nodes: number; at: string }>;
} {
  const pools = input.fleet.pools.filter((p): p is Pool & { warm: NonNullable<Pool['warm']> } => !!p.warm);
  if (pools.length === 0) return { actions: [], reasons: [], returns: new Map(), kept: new Map(), out: new Map() };
  const t = now.getTime();
  const reasons: Reason[] = [];
  const target = new Map(plan.pools.map((p) => [p.poolId, p.target]));
  const runningRps = input.fleet.pools.reduce((s, p) => s + (target.get(p.id) ?? p.desired) * p.rpsPerNode, 0);
  const buffer = input.fleet.policy.demandBuffer;
  // The demand now: measured, else what the plan's required capacity implies without its buffer.
  const demandNow = input.demand?.rps ?? (plan.requiredRps !== undefined ? plan.requiredRps / (1 + buffer) : undefined);
  const series = samples(input.history, input.fleet.id, t, plan.requiredRps);
  const coldLead = Math.max(...pools.map((p) => p.timeToReadySeconds));
  const resume = Math.min(...pools.map((p) => p.warm.resumeSeconds));
  const riseCold = maxRise(series, coldLead);
  const riseWarm = maxRise(series, resume);
  const headroom = demandNow === undefined ? undefined : Math.max(0, runningRps - demandNow);

  const want = new Map<string, number>(pools.map((p) => [p.id, p.warm.min]));
  if (plan.warm) {
    // Sized with the SLO headroom by the decision (warm-sizing.ts).
    const w = plan.warm;
    for (const p of pools) want.set(p.id, w.targets[p.id] ?? p.warm.min);
    reasons.push({
      kind: 'rule',
      code: 'warm.demand',
      message:
        `warm: sized for ${w.needRps.toFixed(1)} rps (held at its highest for the break-even time of a preparation): ` +
        `${w.demandRps.toFixed(1)} rps of demand the running headroom leaves to warm nodes, ` +
        `${w.hedgeRps.toFixed(1)} rps the capacity that is not spot lacks when the spot offerings fail together`,
    });
    if (w.leftRps > 1e-9) {
      reasons.push({
        kind: 'limit',
        code: 'warm.max',
        message: `warm: ${w.leftRps.toFixed(1)} rps left to running capacity and cold launches (warm maxima reached)`,
        clippedBy: 'warm.max',
      });
    }
  } else if (riseCold === undefined || headroom === undefined) {
    reasons.push({
      kind: 'rule',
      code: 'warm.minimum',
      message: `warm: no demand history to learn rises from yet; each warm pool keeps its minimum`,
    });
  } else {
    let needRps = Math.max(0, riseCold - Math.max(headroom, riseWarm ?? 0));
    const byPrice = [...pools].sort((a, b) => a.hourlyPrice / a.rpsPerNode - b.hourlyPrice / b.rpsPerNode);
    for (const p of byPrice) {
      const n = Math.min(p.warm.max, Math.max(p.warm.min, Math.ceil(needRps / p.rpsPerNode - 1e-9)));
      want.set(p.id, n);
      needRps = Math.max(0, needRps - n * p.rpsPerNode);
    }
    reasons.push({
      kind: 'rule',
      code: 'warm.demand',
      message:
        `warm: demand rose up to ${riseCold.toFixed(1)} rps within a cold launch's ${coldLead} s and ` +
        `${(riseWarm ?? 0).toFixed(1)} rps within a resume's ${resume} s (last ${WARM_LOOKBACK_SECONDS / 3600} h); ` +
        `the running target has ${headroom.toFixed(1)} rps of headroom`,
    });
    if (riseWarm !== undefined && riseWarm > headroom + 1e-9) {
      reasons.push({
        kind: 'rule',
        code: 'warm.short',
        message:
          `warm: rises within ${resume} s (${riseWarm.toFixed(1)} rps) exceed the running headroom ` +
          `(${headroom.toFixed(1)} rps): no warm node serves that fast; requests may wait for the resume`,
      });
    }
    if (needRps > 1e-9) {
      reasons.push({
        kind: 'limit',
        code: 'warm.max',
        message: `warm: ${needRps.toFixed(1)} rps of rises are left to cold launches (warm maxima reached)`,
        clippedBy: 'warm.max',
      });
    }
  }

  // Scale-in returns nodes to the warm pool where it has room; a pool is refilled only up to this decision's
  // own need, and keeps what it has up to the held need, and the nodes that went back to it for its break-even
  // time since they did.
  const { grows, shrinks } = sizeChanges(plan);
  const returns = new Map<string, number>();
  const kept = new Map<string, { nodes: number; at: string }>();
  const outAfter = new Map<string, { nodes: number; at: string }>();
  /** Per pool: its warm nodes after this decision's resumes and returns, before any refill. */
  const present = new Map<string, number>();
  const planned = new Map(plan.pools.map((p) => [p.poolId, p]));
  const hold = plan.nextState.warmHold ?? input.state.warmHold;
  for (const p of pools) {
    const ready = Math.max(0, p.warmObserved?.ready ?? 0);
    const have = ready + Math.max(0, p.warmObserved?.warming ?? 0);
    const pp = planned.get(p.id);
    // A warm pool's scale-out resumes its ready warm nodes first: the group's, which counts the replacements of
    // nodes a removal then takes off (the pool's net change does not: 4 -> 6 less one removed is +1, and the
    // group resumed 2).
    const resumed = pp ? Math.min(ready, Math.max(0, pp.target - pp.current, grows.get(p.id) ?? 0)) : 0;
    const haveAfter = Math.max(0, have - resumed);
    const shrink = shrinks.get(p.id)?.nodes ?? 0;
    const held = want.get(p.id)!;
    let keepCap = held;
    let returnCap = held;
    let keptNodes = 0;
    let needed = held;
    const own = poolHold(hold, p.id);
    let out = 0;
    if (plan.warm) {
      needed = plan.warm.needTargets?.[p.id] ?? held;
      // Nodes out on bridges come back once the cold launches they bridge serve: not prepared again meanwhile.
      out = outstanding(own, p, t);
      if (out > 0 && needed > haveAfter) {
        const refill = Math.max(0, needed - out);
        reasons.push({
          kind: 'placement',
          code: 'warm.out',
          message:
            `${p.id}: ${out} warm node(s) resumed by bridges are not back yet: they count as the pool's for its ` +
            `${p.timeToReadySeconds} s time to ready since the last went (a node prepared now would be warm no sooner), ` +
            `so the pool is refilled for ${refill} of the ${needed} its need asks, not ${needed}`,
          poolId: p.id,
          before: needed,
          after: refill,
        });
        needed = refill;
      }
      // A node the scale-in takes out was serving until now: kept, a prepared node costs its disks, given up
      // a new preparation when it is needed again. So it goes back up to the pool's maximum, and the pool keeps
      // what it then has for its break-even time (the ski-rental rule, as for a need), beside the held need.
      returnCap = p.warm.max;
      const k = own?.kept;
      keptNodes = k && t - Date.parse(k.at) < warmHoldSeconds(p) * 1000 ? k.nodes : 0;
    }
    const back = Math.min(shrink, Math.max(0, returnCap - haveAfter));
    if (plan.warm && back > 0) {
      keptNodes = Math.max(keptNodes, haveAfter + back);
      kept.set(p.id, { nodes: keptNodes, at: now.toISOString() });
      // Those back are no longer out.
      if (out > 0 && own?.out) outAfter.set(p.id, { nodes: Math.max(0, out - back), at: own.out.at });
    }
    keepCap = Math.max(keepCap, keptNodes);
    const n = Math.min(p.warm.max, Math.max(p.warm.min, needed, Math.min(keepCap, haveAfter + back)));
    want.set(p.id, n);
    present.set(p.id, haveAfter + back);
    if (shrinks.has(p.id)) returns.set(p.id, back);
    if (shrink > 0) {
      reasons.push({
        kind: 'placement',
        code: 'warm.return',
        message:
          `${p.id}: ${back} of the ${shrink} node(s) the scale-in takes out go back to the warm pool ` +
          `(${p.warm.state}: they keep their disks, so resuming them needs no new preparation; ` +
          `${usd(p.warm.hourlyPrice)}/h each for their disks from now)` +
          (back < shrink ? `, ${shrink - back} end (the warm pool keeps at most ${returnCap})` : ''),
        poolId: p.id,
        before: haveAfter,
        after: haveAfter + back,
      });
    }
  }

  const actions: SetWarmAction[] = [];
  for (const p of pools) {
    const n = want.get(p.id)!;
    const from = p.warmObserved?.target ?? 0;
    const cost = n * p.warm.hourlyPrice;
    const running = n * p.hourlyPrice;
    const have = present.get(p.id) ?? (p.warmObserved?.ready ?? 0) + (p.warmObserved?.warming ?? 0);
    const message =
      `${p.id}: keep ${n} warm node(s) ${p.warm.state} (${from} now): ${usd(cost)}/h for their disks, against ` +
      `${usd(running)}/h for the same ${(n * p.rpsPerNode).toFixed(1)} rps kept running; they serve within ` +
      `${p.warm.resumeSeconds} s of a rise instead of ${p.timeToReadySeconds} s` +
      (p.warmObserved && have < n ? `; ${n - have} used up or not yet there are refilled` : '');
    reasons.push({ kind: 'placement', code: 'warm.pool', message, poolId: p.id, before: from, after: n });
    if (n !== from || p.warmObserved === undefined) {
      if (n === 0 && p.warmObserved === undefined) continue;
      actions.push({ type: 'set-warm', poolId: p.id, from, to: n, state: p.warm.state, reason: message });
    }
  }
  return { actions, reasons, returns, kept, out: outAfter };
}

/**
 * The plan's group size changes per pool (`set-desired`, executed or held back): the nodes a scale-out adds
 * (before any removal takes one off), and the shrinks below the count observed.
 */
function sizeChanges(plan: Plan): { grows: Map<string, number>; shrinks: Map<string, { nodes: number }> } {
  const grows = new Map<string, number>();
  const shrinks = new Map<string, { nodes: number }>();
  for (const a of [...plan.actions, ...plan.suppressedActions]) {
    if (a.type !== 'set-desired') continue;
    if (a.to > a.from) grows.set(a.poolId, (grows.get(a.poolId) ?? 0) + a.to - a.from);
    else if (a.to < a.from) shrinks.set(a.poolId, { nodes: a.from - a.to });
  }
  return { grows, shrinks };
}

/**
 * The plan with its warm actions (held back while paused, like every cloud change) and reasons; the shrinks
 * of pools that keep warm capacity say how many of their nodes go back to the warm pool and what it keeps
 * (`SetDesiredAction.toWarm`).
 */
export function withWarm(input: DecisionInput, plan: Plan, now: Date): Plan {
  const { actions, reasons, returns, kept, out } = planWarm(input, plan, now);
  if (actions.length === 0 && reasons.length === 0) return plan;
  const held = plan.paused || plan.dryRun;
  const warmOf = new Map(input.fleet.pools.filter((p) => p.warm).map((p) => [p.id, p.warm!]));
  const targets = new Map<string, number>();
  for (const p of input.fleet.pools) {
    const a = actions.find((x) => x.poolId === p.id);
    targets.set(p.id, a ? a.to : (p.warmObserved?.target ?? 0));
  }
  const annotate = (list: Action[]): Action[] =>
    list.map((a) => {
      if (a.type !== 'set-desired' || a.to >= a.from) return a;
      const back = returns.get(a.poolId);
      const w = warmOf.get(a.poolId);
      if (back === undefined || !w) return a;
      return { ...a, toWarm: { nodes: back, warm: targets.get(a.poolId) ?? 0, state: w.state } };
    });
  // The nodes a scale-in returns are kept from now on, and no longer out on bridges (held back while paused or
  // in a dry run: none returns).
  const hold = plan.nextState.warmHold;
  const warmPoolIds = input.fleet.pools.filter((p) => p.warm).map((p) => p.id);
  const nextState =
    !held && hold && (kept.size > 0 || out.size > 0)
      ? {
          ...plan.nextState,
          warmHold: {
            ...hold,
            pools: Object.fromEntries(
              // A hold saved before the per-pool holds is every warm pool's: each keeps it, not only those named.
              [
                ...new Set([...(hold.pools ? Object.keys(hold.pools) : warmPoolIds), ...kept.keys(), ...out.keys()]),
              ].map((id) => {
                const { out: was, ...own } = poolHold(hold, id) ?? { rps: hold.rps, at: hold.at };
                const k = kept.get(id);
                const o = out.has(id) ? out.get(id) : was;
                return [id, { ...own, ...(k ? { kept: k } : {}), ...(o && o.nodes > 0 ? { out: o } : {}) }];
              }),
            ),
          },
        }
      : plan.nextState;
  return {
    ...plan,
    nextState,
    actions: held ? annotate(plan.actions) : [...annotate(plan.actions), ...actions],
    suppressedActions: plan.paused
      ? [...annotate(plan.suppressedActions), ...actions]
      : annotate(plan.suppressedActions),
    reasons: [...plan.reasons, ...reasons],
  };
}
