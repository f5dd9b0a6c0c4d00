/**
 * `decide(input, now)`: the scaling decision for one fleet. Pure and deterministic — no clock read, no I/O,
 * no SDK, no randomness: the same input and instant give the same plan.
 *
 * Steps, in order (each one appends its reasons):
 *   1. signals: operator commands (dry run, manual target, pause), interruptions, reservation changes;
 *   2. baseline placement: interrupted nodes leave, blocked offerings, reservations, pinned pool;
 *   3. raw recommendation: HPA metrics, demand, forecast, KEDA activation — or the operator's target;
 *   4. HPA stabilization windows and behavior policies (skipped for a manual target);
 *   5. schedule freezes, cooldowns, the max step;
 *   6. hard bounds: min/max, windows, scale-to-zero, pool minimums; then pool capacity;
 *   7. the hourly budget;
 *   8. placement of the final count, actions, pause and dry run.
 * Pause means hands off: the plan says what it would do, and holds back every cloud change, interruption
 * handling included (backoffs are still recorded). A freeze holds the size but still replaces interrupted
 * capacity.
 */
import { allowedWhilePaused, buildActions, poolPlans } from './actions.ts';
import { buildBaseline } from './baseline.ts';
import { fleetBounds } from './bounds.ts';
import { applyBudget } from './budget.ts';
import { RESERVATION_EXIT_MARGIN_SECONDS } from './defaults.ts';
import { readHistory } from './history.ts';
import { applyBehavior } from './hpa-behavior.ts';
import { stabilize } from './hpa-stabilization.ts';
import { interruptionEffects } from './interruptions.ts';
import { PlacementPath } from './placement-path.ts';
import { explainPlacement } from './placement-explain.ts';
import { Reasons } from './reasons.ts';
import { recommend } from './recommend.ts';
import { applyCooldown, applyFreeze, applyMaxStep } from './safety.ts';
import { activeWindows, combineWindows } from './schedule.ts';
import { readSignals } from './signals.ts';
import { inForce, iso } from './time.ts';
import type { Action, DecisionInput, MarkOfferingAction, OfferingBackoff, Plan, ReportAction } from './types.ts';

export function decide(input: DecisionInput, now: Date): Plan {
  const t = now.getTime();
  const { fleet } = input;
  const policy = fleet.policy;
  const reasons = new Reasons();

  // 1. Signals and state.
  const sig = readSignals(input.signals, fleet.id, input.state, t, reasons);
  const dryRun = input.dryRun === true || sig.dryRun;
  const { active, invalid } = activeWindows(input.schedule ?? [], t);
  const windows = combineWindows(active);
  if (windows.names.length > 0)
    reasons.add('safety', 'safety.schedule', `active window(s): ${windows.names.join(', ')}`);
  const history = readHistory(input.history, fleet.id);
  const current = fleet.pools.reduce((n, p) => n + p.desired, 0);
  const ready = fleet.pools.reduce((n, p) => n + p.ready, 0);
  const reports: ReportAction[] = invalid.map((name) => ({
    type: 'report',
    code: 'schedule.invalid',
    message: `window ${name} has an unknown time zone or a malformed time: ignored`,
  }));

  // 2. Baseline placement.
  const backoffSeconds = policy.placement.offeringBackoffSeconds;
  const effects = interruptionEffects(sig.notices, fleet.pools, backoffSeconds, t, reasons);
  const marks: MarkOfferingAction[] = [...effects.marks];
  for (const f of sig.launchFailures) {
    if (fleet.pools.some((p) => p.id === f.poolId)) {
      marks.push({
        type: 'mark-offering',
        poolId: f.poolId,
        zone: f.zone,
        until: iso(t + backoffSeconds * 1000),
        reason: 'insufficient-capacity',
      });
    }
  }
  const backoffs: OfferingBackoff[] = [...input.state.offeringBackoff.filter((b) => inForce(b.until, t)), ...marks];
  const manual = sig.manualTarget && inForce(sig.manualTarget.until, t) ? sig.manualTarget : undefined;
  const pinned = manual?.poolId !== undefined ? { poolId: manual.poolId, target: manual.target } : undefined;
  const lead = Math.max(0, ...fleet.pools.map((p) => p.timeToReadySeconds));
  const baseline = buildBaseline(
    {
      fleet,
      leaving: effects.leaving,
      backoffs,
      reservations: input.reservations,
      reservationNotices: sig.reservations,
      reservationHorizonSeconds: lead + RESERVATION_EXIT_MARGIN_SECONDS,
      pinned,
      now: t,
    },
    reasons,
  );
  reports.push(...effects.reports, ...reservationReports(sig.reservations));
  if (pinned && !fleet.pools.some((p) => p.id === pinned.poolId)) {
    reports.push({
      type: 'report',
      code: 'manual.unknown-pool',
      message: `manual target for pool ${pinned.poolId}: no such pool in fleet ${fleet.id}, ignored`,
    });
  }
  const path = new PlacementPath(baseline);

  // 3. Raw recommendation.
  const metrics = new Map<string, number>(sig.alarmValues);
  for (const m of input.metrics ?? []) metrics.set(m.metric, m.value);
  const scaleToZero = policy.scaleToZero || windows.scaleToZero;
  const rec = recommend(
    { fleet, current, ready, metrics, demand: input.demand, forecast: input.forecast, scaleToZero, path, now: t },
    reasons,
  );
  const fleetManual = manual && manual.poolId === undefined ? manual : undefined;
  const recommendedNodes = fleetManual ? fleetManual.target : rec.nodes;

  // 4. HPA stabilization and behavior, unless an operator set the target.
  let x = recommendedNodes;
  if (fleetManual) {
    reasons.add(
      'rule',
      'manual.target',
      `manual target ${fleetManual.target} by ${fleetManual.by} (${fleetManual.reason})${fleetManual.until ? ` until ${fleetManual.until}` : ''}`,
    );
  } else {
    x = reasons.clip(
      'limit',
      'hpa.stabilized',
      x,
      stabilize({
        current,
        desired: x,
        recommendations: history.recommendations,
        now: t,
        upWindowSeconds: policy.scaleUp.stabilizationWindowSeconds,
        downWindowSeconds: policy.scaleDown.stabilizationWindowSeconds,
      }),
      'stabilizationWindowSeconds',
      x >= current
        ? 'scale-up stabilized: the lowest recommendation of the up window'
        : 'scale-down stabilized: the highest recommendation of the down window',
    );
    const b = applyBehavior(current, x, history, policy.scaleUp, policy.scaleDown, t);
    x = reasons.clip(
      'limit',
      b.limitedBy === 'scaleUp' ? 'limit.scale-up-rate' : 'limit.scale-down-rate',
      x,
      b.replicas,
      `behavior.${b.limitedBy}`,
      `behavior ${b.limitedBy} policies allow ${b.limit} now`,
    );
  }

  // 5. Freezes, cooldowns, max step.
  x = applyFreeze(current, x, windows, reasons);
  if (!fleetManual) x = applyCooldown(current, x, policy.safety, history, t, reasons);
  x = applyMaxStep(current, x, policy.safety, reasons);

  // 6. Hard bounds, then what the pools can hold.
  const poolMins = baseline.slots.reduce((n, s) => n + s.min, 0);
  const bounds = fleetBounds(policy, windows, rec.activity, scaleToZero, current, poolMins, reasons);
  if (x < bounds.lo)
    x = reasons.clip('limit', 'limit.min', x, bounds.lo, bounds.loBy, `below the floor (${bounds.loBy})`);
  if (x > bounds.hi)
    x = reasons.clip('limit', 'limit.max', x, bounds.hi, bounds.hiBy, `above the ceiling (${bounds.hiBy})`);
  x = reasons.clip(
    'limit',
    'limit.capacity',
    x,
    path.reach(x),
    'pools',
    'the pools cannot hold more (max, reservations, backoff, cloud maxima)',
  );

  // 7. Budget.
  const budget = applyBudget(path, x, bounds.lo, policy.safety.hourlyBudgetUsd, reasons);
  x = budget.nodes;
  if (budget.cut?.unmet)
    reports.push({
      type: 'report',
      code: 'budget.unmet',
      message: `fleet ${fleet.id}: its floor costs $${budget.cut.costAfter.toFixed(2)}/h, above the $${budget.cut.budgetUsd.toFixed(2)}/h budget`,
    });

  // 8. Placement, actions, pause, dry run.
  const final = path.at(x);
  explainPlacement(path, final, reasons);
  const why = reasonSummary(
    current,
    x,
    reasons.list.map((r) => r.code),
  );
  const all = buildActions({
    fleet,
    baseline,
    final,
    effects,
    marks,
    operatorDrains: sig.drains,
    reports,
    why,
    now: t,
  });
  const paused = sig.paused !== undefined;
  let actions: Action[] = all;
  let suppressedActions: Action[] = [];
  if (paused) {
    actions = all.filter(allowedWhilePaused);
    suppressedActions = all.filter((a) => !allowedWhilePaused(a));
    reasons.add(
      'safety',
      'safety.paused',
      `paused by ${sig.paused?.by} (${sig.paused?.reason})${sig.paused?.until ? ` until ${sig.paused.until}` : ''}: ${suppressedActions.length} action(s) held back`,
    );
  }
  if (dryRun) reasons.add('safety', 'safety.dry-run', 'dry run: nothing is executed');
  const pools = poolPlans(fleet, final);
  return {
    fleetId: fleet.id,
    at: iso(t),
    dryRun,
    paused,
    currentNodes: current,
    readyNodes: ready,
    recommendedNodes,
    targetNodes: x,
    pools,
    actions,
    suppressedActions,
    reasons: reasons.list,
    costPerHour: final.cost(),
    currentCostPerHour: fleet.pools.reduce((usd, p) => usd + p.desired * p.hourlyPrice, 0),
    budgetCut: budget.cut,
    manualTarget: manual,
    historyEntry: {
      at: iso(t),
      fleetId: fleet.id,
      recommendation: rec.nodes,
      from: current,
      to: x,
      applied: !dryRun && !paused && x !== current,
      dryRun,
      pools: pools.filter((p) => p.delta !== 0).map((p) => ({ poolId: p.poolId, from: p.current, to: p.target })),
      signalIds: sig.eventIds,
    },
  };
}

function reservationReports(notices: ReturnType<typeof readSignals>['reservations']): ReportAction[] {
  return notices
    .filter((n) => n.kind === 'underutilized')
    .map((n) => ({
      type: 'report' as const,
      code: 'reservation.underutilized',
      message: `reservation ${n.reservationIds.join(', ')} is ${n.utilization !== undefined ? `${Math.round(n.utilization * 100)}% ` : 'under-'}used (event ${n.eventId}): capacity moves onto it where pools allow`,
    }));
}

function reasonSummary(current: number, target: number, codes: string[]): string {
  const drivers = [...new Set(codes.filter((c) => !c.startsWith('signal.') && !c.startsWith('placement.')))].slice(
    0,
    4,
  );
  return `autoscaler: ${current} -> ${target} nodes${drivers.length ? ` (${drivers.join(', ')})` : ''}`;
}
