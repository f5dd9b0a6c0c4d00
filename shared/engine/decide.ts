/**
 * `decide(input, now)`: the scaling decision for one fleet. Pure and deterministic — no clock read, no I/O,
 * no SDK, no randomness: the same input and instant give the same plan.
 *
 * Steps, in order (each one appends its reasons):
 *   1. signals: operator commands (dry run, manual target, pause), interruptions, reservation changes;
 *   2. baseline placement: interrupted nodes leave, nodes the cloud could not launch are cancelled (their
 *      pool backed off), blocked offerings, reservations (filled when usable, kept until their end when
 *      ending), pinned pool;
 *   3. raw recommendation in capacity (requests/s): demand with its SLO headroom over the lead time (time to
 *      ready + decision interval, headroom.ts; with warm pools, over the time a warm node takes to serve,
 *      the warm nodes covering the rest of the lead: warm-sizing.ts), HPA metrics, forecast over the same
 *      lead time, KEDA activation — turned into nodes by the placement, spot counted at its expected survival
 *      and hedged against the loss scenarios the fleet has seen and the prior correlated loss, warm nodes
 *      counting as capacity that is not spot (spot-risk.ts, spot-hedge.ts) — or the operator's target;
 *   4. HPA stabilization windows (over recorded capacities, read in today's nodes) and behavior policies
 *      (skipped for a manual target);
 *   5. schedule freezes, cooldowns, the max step (an ending reservation's replacements are not held by
 *      them), disruption budgets; no scale-in below what the ready nodes must serve while others boot;
 *   6. hard bounds: min/max, windows (a window starting within the lead time sets its floor now, so its
 *      nodes are ready by its start), scale-to-zero, pool minimums; then pool capacity and the GPU limit;
 *   7. the hourly budget;
 *   8. placement of the final count, warm nodes resumed first where what serves within a resume time is
 *      short (interruptions, rises), the warm pools' targets (`plan.warm`), actions (the Deployment's replicas
 *      and instance removals included), pause and dry run;
 *   9. the fleet's next state (next-state.ts): what the application saves once it executed the plan.
 * Pause means hands off: the plan says what it would do, and holds back every cloud change, interruption
 * handling included (backoffs are still recorded). A freeze holds the size but still replaces interrupted
 * capacity.
 */
import { applyPause, buildActions, poolPlans, reasonSummary } from './actions.ts';
import { backoffsInForce, launchFailureMarks, launchStopped } from './backoff.ts';
import { buildBaseline } from './baseline.ts';
import { fleetBounds } from './bounds.ts';
import { applyBudget } from './budget.ts';
import { applyDisruptionBudgets } from './disruption.ts';
import { applyFallback, failedReadsInARow } from './fallback.ts';
import { applyGpuLimit } from './limits.ts';
import { DEFAULT_DECISION_INTERVAL_SECONDS, RESERVATION_EXIT_MARGIN_SECONDS } from './defaults.ts';
import {
  chooseLevel,
  DemandHistory,
  headroom,
  headroomAbove,
  LEVEL_CHOICE_AVAILABILITY,
  LEVEL_NOW,
  levelWords,
} from './headroom.ts';
import { type HedgeRequirement, HedgeSearch, replacementGapSeconds, runningShare } from './spot-hedge.ts';
import {
  hedgeTargets,
  lossScenarios,
  poolSurvival,
  priorScenarios,
  SPOT_PRIOR_LOSS_RATE,
  updateSpotRisk,
} from './spot-risk.ts';
import { slack } from './spot-hedge.ts';
import {
  bridge,
  heldWarmTargets,
  holdWarmNeeds,
  sizeWithWarm,
  warmPoolsOf,
  warmCapacityFor,
  warmScaleIn,
  warmTarget,
  withBridged,
  type ForecastNeeds,
  type WarmSizing,
} from './warm-sizing.ts';
import { forecastPeak, usableForecast } from './forecast.ts';
import { inNodes, readHistory, withoutNotComing } from './history.ts';
import { normalize } from './hpa-normalize.ts';
import { addStillLeaving, interruptionEffects, lateLosses, takenBeforeRemoval } from './interruptions.ts';
import { consolidate } from './consolidate.ts';
import { nextState } from './next-state.ts';
import { BOOT_QUANTILE } from './boot-times.ts';
import { PlacementPath } from './placement-path.ts';
import { addOne } from './placement-steps.ts';
import { explainPlacement } from './placement-explain.ts';
import { Reasons } from './reasons.ts';
import { recommend } from './recommend.ts';
import { budgetUnmetReport, invalidWindowReport, reservationReports, unknownPoolReport } from './reports.ts';
import { applyCooldown, applyFreeze, applyMaxStep, cooldownHolding } from './safety.ts';
import { activeWindows, aheadInstants, combineWindows, upcomingFloor } from './schedule.ts';
import { LAUNCH_GRACE_SECONDS, launchShortfalls } from './shortfall.ts';
import { readSignals } from './signals.ts';
import { inForce, iso } from './time.ts';
import type { Layout } from './layout.ts';
import type { DecisionInput, Plan, SpotRiskState, WarmHold, WarmPlan } from './types.ts';

/**
 * The layout for `x` nodes, the last `forFloor` of them placed where a node costs least; with the nodes
 * added for the floor by pool.
 */
function placeFloor(path: PlacementPath, x: number, forFloor: number): { layout: Layout; floor: Map<string, number> } {
  const floor = new Map<string, number>();
  if (forFloor <= 0) return { layout: path.at(x), floor };
  const layout = path.at(x - forFloor);
  for (let k = 0; k < forFloor; k++) {
    const step = addOne(layout, true);
    if (!step) return { layout: path.at(x), floor: new Map() };
    const id = layout.slots[step.index].pool.id;
    floor.set(id, (floor.get(id) ?? 0) + 1);
  }
  return { layout, floor };
}

/** The forecast peaks within the cold lead and the warm lead (see warm-sizing.ts). */
function forecastNeeds(
  input: DecisionInput,
  t: number,
  lead: number,
  interval: number,
  warm: ReturnType<typeof warmPoolsOf>,
): ForecastNeeds {
  if (!input.forecast || warm.length === 0) return { coldRps: 0, warmRps: 0 };
  const resume = Math.max(...warm.map((v) => v.pool.warm.resumeSeconds));
  const peak = (s: number) => forecastPeak(input.forecast!, t, s) ?? 0;
  return { coldRps: peak(lead), warmRps: peak(Math.min(lead, interval + resume)) };
}

/**
 * The warm pools' need while the fleet has no lead window of demand history (requests/s): every warm pool at
 * its configured `warm.max`, 0 once the history has one. Without history the SLO headroom is a multiple of
 * the demand now (headroom.ts), which gives no scale for a rise from idle (a multiple of zero); the warm
 * maxima are the standby the operator configured, and a warm node bills its disks only (about 1% of its
 * running price: the catalog's disk prices, see warm-sizing.ts), so holding them until the history speaks
 * costs little. The hold they raise is the prior's (`HeldNeed.prior`): it stands until the history has a lead
 * window, then gives way to the need the history measures (a need held for a break-even time is one demand
 * showed; this one no demand did).
 */
function unknownScaleRps(sizing: WarmSizing, pools: ReturnType<typeof warmPoolsOf>): number {
  if (sizing.cold.windows > 0) return 0;
  return pools.reduce((rps, v) => rps + v.pool.warm.max * v.pool.rpsPerNode, 0);
}

export function decide(given: DecisionInput, now: Date): Plan {
  const t = now.getTime();
  const reasons = new Reasons();
  // A forecast that predicted the fleet's recent demand no better than the last value is not used (forecast.ts).
  const forecast = usableForecast(given, reasons);
  const input: DecisionInput = forecast === given.forecast ? given : (({ forecast: _unused, ...rest }) => rest)(given);
  const { fleet } = input;
  const policy = fleet.policy;

  // 1. Signals and state.
  const sig = readSignals(input.signals, fleet.id, input.state, t, reasons);
  const dryRun = input.dryRun === true || sig.dryRun;
  const { active, invalid } = activeWindows(input.schedule ?? [], t);
  const windows = combineWindows(active);
  if (windows.names.length > 0)
    reasons.add('safety', 'safety.schedule', `active window(s): ${windows.names.join(', ')}`);
  // The lead time: a node asked for now serves after its time to ready, and the next decision may come one
  // interval later; what this decision holds must last that long.
  const ttr = Math.max(0, ...fleet.pools.map((p) => p.timeToReadySeconds));
  const interval = Math.max(0, input.decisionIntervalSeconds ?? DEFAULT_DECISION_INTERVAL_SECONDS);
  const lead = ttr + interval;
  // A pool whose own launches took longer than its configuration says is planned at what they took (the
  // application learns it, boot-times.ts): every lead below follows from it.
  const pct = `${Math.round(BOOT_QUANTILE * 100)}th percentile`;
  for (const p of fleet.pools) {
    const l = p.timeToReadyLearned;
    if (l)
      reasons.add(
        'rule',
        'lead.time-to-ready',
        `${p.id}: its launches took at least ${l.observed}s to serve (${pct} of ${l.launches} seen), not the ` +
          `configured ${l.configured}s: its time to ready counts ${l.observed}s`,
        { poolId: p.id },
      );
    const r = p.warm?.resumeLearned;
    if (r)
      reasons.add(
        'rule',
        'lead.resume-time',
        `${p.id}: its warm nodes took at least ${r.observed}s to serve once resumed (${pct} of ${r.resumes} seen), ` +
          `not the configured ${r.configured}s: a warm node counts ${r.observed}s`,
        { poolId: p.id },
      );
  }
  // A window about to start: its floor is ready by its start, so its nodes launch now.
  const soon = upcomingFloor(input.schedule ?? [], active, aheadInstants(t, ttr, lead));
  if (soon.minNodes !== undefined && soon.minNodes > (windows.minNodes ?? Number.NEGATIVE_INFINITY)) {
    windows.minNodes = soon.minNodes;
    windows.names.push(...soon.names.map((n) => `${n} (starts within ${lead}s)`));
    reasons.add(
      'safety',
      'safety.schedule-ahead',
      `window(s) ${soon.names.join(', ')} start within the lead time (${lead}s): their floor of ${soon.minNodes} launches now, ready by the start`,
    );
  }
  const history = readHistory(input.history, fleet.id);
  const ready = fleet.pools.reduce((n, p) => n + p.ready, 0);
  const manual = sig.manualTarget && inForce(sig.manualTarget.until, t) ? sig.manualTarget : undefined;
  const fleetManual = manual && manual.poolId === undefined ? manual : undefined;
  const pinned = manual?.poolId !== undefined ? { poolId: manual.poolId, target: manual.target } : undefined;

  // 2. Baseline placement.
  const effects = interruptionEffects(
    sig.notices,
    fleet.pools,
    policy.placement.offeringBackoffSeconds,
    t,
    reasons,
    fleet.deployment?.cluster,
  );
  const earlier = addStillLeaving(effects, input.state.interruptedInstances, input.stillThere, fleet.pools, t, reasons);
  const launchMarks = launchFailureMarks(sig.launchFailures, fleet, t);
  // The pools whose launches this decision's failures stopped (not those whose other zones launch instead).
  const stopped = launchStopped(
    sig.launchFailures.filter((f) => !f.refusedGrow),
    fleet,
    [...input.state.offeringBackoff, ...effects.marks, ...launchMarks],
    t,
  );
  const shortfall = launchShortfalls(fleet, input.history, t, reasons, stopped);
  const taken = takenBeforeRemoval(input.state.interruptedInstances, input.stillThere, shortfall.missing, t, reasons);
  const takenBack = [...taken.values()].reduce((n, k) => n + k, 0);
  // The nodes the fleet has: the count its pools were asked for, less the nodes an earlier decision already
  // replaced that are still in it until their removal, or that the cloud took back before it (counted once:
  // their replacements are in the count).
  const current = fleet.pools.reduce((n, p) => n + p.desired, 0) - earlier - takenBack;
  // The nodes the fleet has (ready and booting): the count its pools were asked for, less the nodes the cloud
  // could not launch. The rate limits grow from it, not from a count that never existed: the Kubernetes HPA
  // computes its scale-up limit from the current replicas ("4 pods or a 100% of the currently running
  // replicas may at most be added every 15 seconds", Horizontal Pod Autoscaling, Default behavior; "the
  // number of pods to be changed is re-calculated based on the number of current replicas", Scaling
  // policies). From the count asked for, the decision after a failed launch doubles it again: 3 nodes, 7
  // asked for, 14 allowed.
  const notComing = [...shortfall.missing.values()].reduce((n, k) => n + k, 0);
  // The nodes taken back are among those not coming, and already out of `current`.
  const present = current - (notComing - takenBack);
  // Of those, the nodes this decision's notices take back: their going is the cloud's, not a scale-in a
  // disruption budget counts (its own comment), now or in the decisions after (`HistoryEntry.taken`).
  const leavingNow = Math.max(0, [...effects.leaving.values()].reduce((n, k) => n + k, 0) - earlier);
  const kept = present - leavingNow;
  // The scale events the behavior policies count, without the nodes that never came.
  const rateHistory = withoutNotComing(history, notComing, t - LAUNCH_GRACE_SECONDS * 1000);
  if (notComing > 0) {
    reasons.add(
      'limit',
      'limit.rate-base',
      `the rate limits count the ${present} node(s) the fleet has, not the ${current} asked for: ${notComing} could not launch`,
    );
  }
  const marks = [...effects.marks, ...shortfall.marks, ...launchMarks];
  // SLO sizing (with the demand history): spot counts at its expected survival over the lead time, learned
  // from the losses this fleet has seen per offering, this decision's included.
  const sloSizing = input.demandHistory !== undefined;
  let spotRisk: SpotRiskState | undefined;
  let survival: Map<string, number> | undefined;
  if (sloSizing) {
    const losses = [
      ...effects.lost,
      ...lateLosses(effects.lostBefore, shortfall.missing, taken),
      // Less the nodes taken back under a notice already counted (`taken`).
      ...[...shortfall.missing]
        .map(([poolId, nodes]) => ({ poolId, nodes: nodes - (taken.get(poolId) ?? 0) }))
        .filter((l) => l.nodes > 0),
      // A grow the executor saw refused lost no node the fleet held: backed off and placed again, not a loss.
      // A notice whose pool's nodes the shortfall already counts (no launch grace after the notice) is
      // those nodes: counted once. Failures seen in an observation are a state, seen by every decision while
      // it lasts: their nodes count through the shortfall only.
      ...sig.launchFailures
        .filter((f) => !f.refusedGrow && !f.observed && !shortfall.missing.has(f.poolId))
        .map((f) => ({ poolId: f.poolId, zone: f.zone, nodes: 1 })),
    ];
    spotRisk = updateSpotRisk(input.state.spotRisk, fleet, losses, t);
    survival = new Map(
      fleet.pools.filter((p) => p.capacityType === 'spot').map((p) => [p.id, poolSurvival(spotRisk, p, lead)]),
    );
    if (survival.size > 0) {
      reasons.add(
        'placement',
        'placement.spot-survival',
        `spot counted at its expected survival over ${lead}s: ` +
          [...survival].map(([id, s]) => `${id} ${(s * 100).toFixed(1)}%`).join(', '),
      );
    }
  }
  const baseline = buildBaseline(
    {
      fleet,
      survival,
      leaving: effects.leaving,
      notComing: shortfall.missing,
      backoffs: backoffsInForce(input.state.offeringBackoff, marks, t),
      reservations: input.reservations,
      reservationNotices: sig.reservations,
      reservationHorizonSeconds: Math.max(lead, ttr + RESERVATION_EXIT_MARGIN_SECONDS),
      pinned,
      fillUpTo: windows.freeze
        ? 0
        : Math.min(policy.maxNodes, windows.maxNodes ?? Number.POSITIVE_INFINITY, present + policy.safety.maxStepUp),
      now: t,
    },
    reasons,
  );
  let path = new PlacementPath(baseline);
  const reports = [...invalid.map(invalidWindowReport), ...effects.reports, ...reservationReports(sig.reservations)];
  if (pinned && baseline.indexOf(pinned.poolId) < 0) reports.push(unknownPoolReport(pinned.poolId, fleet.id));

  // 3. Raw recommendation.
  const metrics = new Map<string, number>(sig.alarmValues);
  for (const m of input.metrics ?? []) metrics.set(m.metric, m.value);
  const scaleToZero = policy.scaleToZero || windows.scaleToZero;
  const demandNow = input.demand && Number.isFinite(input.demand.rps) ? Math.max(0, input.demand.rps) : undefined;
  // Read once: every headroom below (level candidates, horizons, hedge targets) asks it for its lead windows.
  const samples = new DemandHistory(
    (input.demandHistory ?? []).filter(([s]) => s * 1000 <= t).map(([s, rps]) => ({ at: s * 1000, rps })),
  );
  // The level the headroom scales (headroom.ts): the demand now, or the highest since the previous decision,
  // whichever the fleet's history serves with less capacity at the level's reference target (99.9%, whatever the
  // fleet's: one level for every target, so the headroom never falls as the target rises).
  const level =
    sloSizing && demandNow !== undefined
      ? chooseLevel(samples, lead, LEVEL_CHOICE_AVAILABILITY, interval, input.demandSeasonSeconds)
      : undefined;
  const slo =
    sloSizing && demandNow !== undefined
      ? headroom(demandNow, samples, lead, fleet.slo.availability, level ?? LEVEL_NOW)
      : undefined;
  if (level && slo && demandNow !== undefined) {
    const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
    // Whether each keeps the target is judged with the prior's window, as its headroom was sized (headroom.ts).
    const keeps = (x: (typeof level.scores)[number]) => (x.keepsTarget ? 'keeps the target' : 'misses the target');
    const score = (x: (typeof level.scores)[number]) =>
      `${x.basis} ${headroomAbove(x)} loses ${pct(x.lossShare)} (${pct(x.sizedLossShare)} with the prior: ${keeps(x)}) holding ${x.meanRps.toFixed(0)} rps on average`;
    // What the level did: the headroom over the lead as a ratio of the demand now (the estimator's default), and
    // on the level and form chosen (nodes).
    const plain = level.basis === 'now' && (level.form ?? 'ratio') === 'ratio';
    const onNow = plain ? slo : headroom(demandNow, samples, lead, fleet.slo.availability, LEVEL_NOW);
    const before = path.nodesFor(onNow.rps).nodes;
    const after = path.nodesFor(slo.rps).nodes;
    const form = level.form === 'offset' ? ' plus an amount' : '';
    reasons.add(
      'rule',
      'demand.level',
      `the headroom scales ${levelWords(level, slo.levelRps)}${form}: ` +
        (level.scores.length > 0
          ? `replayed over ${level.windows} lead window(s) of ${lead}s at the level's reference target ` +
            `${pct(LEVEL_CHOICE_AVAILABILITY)} (whatever the fleet's), ${level.scores.map(score).join(', ')}`
          : `no lead window of ${lead}s in the history yet: a burst seen since the previous decision is the only scale there is`) +
        `; over ${lead}s ${onNow.rps.toFixed(0)} rps as a multiple of the demand now, ${slo.rps.toFixed(0)} rps as chosen`,
      { before, after },
    );
  }
  // Warm capacity (warm-sizing.ts): running plus booting capacity covers what may come before a warm node
  // resumed by the next decision serves; the warm nodes the fleet has cover the rest of the cold lead.
  const warmView = sloSizing && !fleetManual ? warmPoolsOf(baseline) : [];
  const sizing: WarmSizing | undefined =
    slo && demandNow !== undefined
      ? sizeWithWarm(
          demandNow,
          samples,
          fleet.slo.availability,
          lead,
          interval,
          demandNow,
          warmView,
          // Warm pools are refilled to this decision's own need only (the hold keeps what is there, warm.ts):
          // counted are the warm nodes there and those the demand band refills.
          0,
          forecastNeeds(input, t, lead, interval, warmView),
          level ?? LEVEL_NOW,
        )
      : undefined;
  let sloHeld = slo;
  if (slo && sizing) {
    sloHeld = { ...sizing.running, rps: sizing.heldRps };
    const saved = Math.max(0, sizing.cold.rps - sizing.heldRps);
    reasons.add(
      'rule',
      'warm.headroom',
      `warm capacity replaces running headroom: a cold launch serves within ${sizing.coldLeadSeconds}s ` +
        `(demand up to ${headroomAbove(sizing.cold)}: ${sizing.cold.rps.toFixed(0)} rps), a warm node within ` +
        `${sizing.warmLeadSeconds}s (decision interval ${interval}s + resume ${sizing.resumeSeconds}s: ` +
        `${headroomAbove(sizing.running)}, ${sizing.running.rps.toFixed(0)} rps); ${sizing.availableNodes} warm node(s) ` +
        `(${sizing.availableRps.toFixed(0)} rps) cover the rest: running and booting capacity held at ` +
        `${sizing.heldRps.toFixed(0)} rps` +
        (saved > 0 ? `, ${saved.toFixed(0)} rps less than without warm` : ''),
    );
  }
  const rec = recommend(
    {
      fleet,
      current,
      ready,
      metrics,
      demand: input.demand,
      forecast: input.forecast,
      scaleToZero,
      path,
      now: t,
      // With warm capacity the forecast looks ahead the warm lead: the held headroom already covers its peak
      // within the cold lead beyond the warm nodes (warm-sizing.ts).
      leadSeconds: sizing ? sizing.warmLeadSeconds : lead,
      headroom: sloHeld,
    },
    reasons,
  );
  // The spot hedge: the capacity left when the offerings of a loss scenario all go must still serve the
  // demand at the scenario's conditional target; more spot elsewhere or a larger on-demand base, the cheaper.
  // Beside the correlated losses the fleet has seen, the prior ones: every spot offering of a cloud at once. Warm nodes
  // count as capacity that is not spot (they resume within about a notice's time); the warm pools are sized
  // for what the running layout lacks in the scenarios (below).
  let hedgeWarmRps = 0;
  let warmRps = 0;
  /** The placement before the hedge, and the count the hedge asked for. */
  let unhedged: { path: PlacementPath; nodes: number } | undefined;
  let warmHold: WarmHold | undefined;
  let warmTargets: ReturnType<typeof warmTarget> | undefined;
  let warmNeedTargets: ReturnType<typeof warmTarget> | undefined;
  /** The hedge's requirements and the warm capacity they count (the consolidation keeps meeting them). */
  let hedged: { reqs: HedgeRequirement[]; warmRps: number } | undefined;
  if (sloSizing && !fleetManual && demandNow !== undefined && demandNow > 0 && rec.requiredRps !== undefined) {
    const scenarios = [...lossScenarios(spotRisk, lead, t), ...priorScenarios(fleet, lead)];
    // From the drain of the nodes under notice until the warm nodes resumed for them serve, the running
    // capacity left serves alone: it keeps the share of the scenario's need the target asks for that gap
    // (spot-hedge.ts `runningShare`; the gap from each cloud's notice and the warm pools' resume time).
    const reqs = hedgeTargets(scenarios, fleet.slo.availability).map((s) => {
      const rps = headroom(demandNow, samples, lead, s.target, level ?? LEVEL_NOW).rps;
      const gap = sizing ? replacementGapSeconds(s.losses, fleet.pools, sizing.resumeSeconds) : 0;
      const share = runningShare(s.probability, fleet.slo.availability, lead, gap);
      return { ...s, rps, runningRps: rps * share, gapSeconds: gap };
    });
    // The warm pools' need: the demand band the running headroom leaves to them, and what the layout the hedge
    // chooses lacks in a scenario (the cheapest that meets every scenario with all the warm nodes the pools may
    // hold: a spread layout keeps another market's spot when one goes, and lacks less than the placement
    // without a hedge); held at its highest for the break-even time of a preparation.
    // The placements the hedge tries are built once; it is asked for the warm pools' sizing, then for the plan.
    const search = new HedgeSearch(baseline, path, rec.requiredRps, rec.nodes, policy.maxNodes, reqs);
    if (sizing) {
      const most = warmCapacityFor(warmView, Number.POSITIVE_INFINITY).rps;
      const chosen = search.at(most, false);
      const layout = chosen ? chosen.path.at(chosen.nodes) : path.at(rec.nodes);
      for (const r of reqs) hedgeWarmRps = Math.max(hedgeWarmRps, -slack(layout, { ...r, runningRps: 0 }));
      const unknown = unknownScaleRps(sizing, warmView);
      const need = Math.max(sizing.demandBandRps, hedgeWarmRps, unknown);
      warmHold = holdWarmNeeds(input.state.warmHold, warmView, need, t, unknown > 0 && unknown >= need);
      warmTargets = heldWarmTargets(warmView, warmHold);
      // A rise the fleet has not reached yet (the rate limits let a decision only double it): warm nodes bridge
      // it (`warm.bridge`), so the pools keep the nodes they have for what the running headroom asks above the
      // capacity the fleet holds (kept, not prepared, and not held once the fleet has it).
      const rising = Math.max(0, sizing.heldRps - baseline.capacity());
      if (rising > 0) {
        const bridgeTargets = warmTarget(warmView, rising).targets;
        for (const v of warmView) {
          const keep = Math.min(bridgeTargets.get(v.pool.id) ?? 0, v.ready + v.warming);
          if (keep > (warmTargets.targets.get(v.pool.id) ?? 0)) warmTargets.targets.set(v.pool.id, keep);
        }
      }
      warmNeedTargets = warmTarget(warmView, need);
      // What the warm pools hold after this decision: the nodes there (kept up to the held need) and those
      // refilled for this decision's need (warm.ts).
      warmRps = warmCapacityFor(warmView, need).rps;
    }
    const h = search.at(warmRps);
    hedged = { reqs, warmRps };
    const spread = h !== undefined && (h.perPool || h.spotSharePerZone !== policy.placement.maxSpotSharePerZone);
    const deferred = h?.deferred;
    if (h && (h.nodes !== rec.nodes || h.extraBase > 0 || spread || deferred)) {
      unhedged = { path, nodes: h.nodes };
      const b = h.binding;
      reasons.add(
        'placement',
        'placement.spot-hedge',
        `hedge against losing ${Object.entries(b?.losses ?? {})
          .map(([k, share]) => `${(share * 100).toFixed(0)}% of ${k}`)
          .join(
            ' + ',
          )} together${b?.prior ? ' (the prior: no correlated loss seen yet' : ` again (seen ${b?.seen}`}, ` +
          `p=${((b?.probability ?? 0) * 100).toFixed(1)}% per ${lead}s): what is left serves ${(b?.rps ?? 0).toFixed(0)} rps ` +
          `(demand at ${((b?.target ?? 0) * 100).toFixed(2)}%): ${rec.nodes} -> ${h.nodes} node(s)` +
          (h.extraBase > 0 ? `, on-demand base +${h.extraBase}` : '') +
          (spread
            ? `, spot spread at most ${(h.spotSharePerZone * 100).toFixed(0)}% per ${h.perPool ? 'spot pool' : 'zone'} (policy ${(policy.placement.maxSpotSharePerZone * 100).toFixed(0)}% per zone)`
            : '') +
          (deferred
            ? `, spot placed in ${deferred.join(', ')} only where the other spot pools have no room${deferredWhy(reqs, deferred)}`
            : '') +
          (warmRps > 0 ? ` (${warmRps.toFixed(0)} rps of warm nodes counted)` : '') +
          (b?.gapSeconds !== undefined && sizing
            ? b.runningRps
              ? `; ${((b.runningRps / Math.max(1e-9, b.rps)) * 100).toFixed(1)}% of it running for the ${b.gapSeconds}s the lost capacity is missing (warm resume ${sizing.resumeSeconds}s less what the nodes under notice serve)`
              : `; none of it running: the ${b.gapSeconds}s the lost capacity is missing fit the target's allowance`
            : ''),
        { before: rec.nodes, after: h.nodes },
      );
      path = h.path;
      rec.nodes = h.nodes;
    } else if (!h && reqs.length > 0) {
      reasons.add(
        'placement',
        'placement.spot-hedge',
        `the pools cannot hedge the spot loss scenarios: sized for the demand only`,
      );
    }
  }

  // At zero demand (no hedge to size) the warm pools keep their held need and the nodes scale-ins returned: a
  // lull of a minute must not give up prepared nodes the break-even time keeps (a new preparation each when
  // demand comes back). Without history they are sized for the scale the history cannot give yet. Without a
  // reading of the demand now (the metrics store did not answer) nothing is sized: the need held so far stands
  // and nothing is refilled (a missing reading is no reason to give up prepared nodes either).
  if (!warmHold && !fleetManual && warmView.length > 0) {
    let need = 0;
    if (sizing) {
      const unknown = unknownScaleRps(sizing, warmView);
      need = Math.max(sizing.demandBandRps, unknown);
      warmHold = holdWarmNeeds(input.state.warmHold, warmView, need, t, unknown > 0 && unknown >= need);
    } else if (input.state.warmHold) {
      warmHold = input.state.warmHold;
      reasons.add(
        'rule',
        'warm.unmeasured',
        `warm: no reading of the demand now: the warm pools keep the need held so far (${warmHold.rps.toFixed(1)} rps) and the nodes they have within it, none is prepared`,
      );
    }
    if (warmHold) {
      warmTargets = heldWarmTargets(warmView, warmHold);
      warmNeedTargets = warmTarget(warmView, need);
    }
  }

  // Nodes of an ending reservation serve until its end but do not last: a count the operator or the floor
  // asks for is a count of lasting nodes, and these come on top.
  const ending = baseline.slots.reduce((n, s, i) => n + (s.ending ? baseline.counts[i] : 0), 0);
  const endingRps = baseline.slots.reduce(
    (rps, s, i) => rps + (s.ending ? baseline.counts[i] * Math.max(0, s.pool.rpsPerNode) : 0),
    0,
  );
  // KEDA's fallback when nothing could be read for a while (not for an operator's target).
  const failedReads = fleetManual ? 0 : failedReadsInARow(input.history, fleet.id, rec.noData);
  const recommendedNodes = fleetManual
    ? fleetManual.target + ending
    : applyFallback(current, rec.nodes, policy.fallback, failedReads, reasons);

  // 4. HPA stabilization and behavior, unless an operator set the target. Past recommendations recorded
  // as capacity are read in nodes of this decision's placement.
  let x = recommendedNodes;
  // The most the rate limits allow this decision (what the warm nodes resumed first may bring the fleet to).
  let upCap = Math.min(policy.maxNodes, present + Math.max(0, policy.safety.maxStepUp));
  if (fleetManual) {
    const { target, by, reason, until } = fleetManual;
    reasons.add(
      'rule',
      'manual.target',
      `manual target ${target} by ${by} (${reason})${until ? ` until ${until}` : ''}` +
        (ending ? `, plus ${ending} node(s) of an ending reservation` : ''),
    );
  } else {
    const window = Math.max(policy.scaleUp.stabilizationWindowSeconds, policy.scaleDown.stabilizationWindowSeconds);
    const recommendations = inNodes(history.recommendations, (rps) => path.nodesFor(rps).nodes, window, t);
    const wanted = x;
    x = normalize(present, x, { ...rateHistory, recommendations }, policy, t, reasons);
    // Nodes that go back to warm pools are held only for the warm lead (warm-sizing.ts `warmScaleIn`).
    const downWindow = policy.scaleDown.stabilizationWindowSeconds;
    if (sizing && wanted < x && x <= current && sizing.warmLeadSeconds < downWindow) {
      const shorter = {
        ...policy,
        scaleDown: { ...policy.scaleDown, stabilizationWindowSeconds: sizing.warmLeadSeconds },
      };
      const floor = normalize(present, wanted, { ...rateHistory, recommendations }, shorter, t, new Reasons());
      const y = warmScaleIn(path, baseline, x, floor, warmView);
      if (y < x) {
        x = reasons.clip(
          'limit',
          'warm.scale-in',
          x,
          y,
          'stabilizationWindowSeconds',
          `scale-down held for ${sizing.warmLeadSeconds}s (decision interval ${interval}s + resume ${sizing.resumeSeconds}s), not ${downWindow}s, ` +
            `for the ${x - y} node(s) that go back to warm pools: they serve again within the warm lead`,
        );
      }
    }
    upCap = Math.min(
      upCap,
      normalize(present, policy.maxNodes, { ...rateHistory, recommendations }, policy, t, new Reasons()),
    );
  }

  // 5. Freezes, cooldowns, max step.
  x = applyFreeze(current, x, windows, reasons);
  // Whether a cooldown holds this decision's change (the warm bridge's replacements wait for it too, below).
  const cooling = !fleetManual && cooldownHolding(current, x, policy.safety, history, t) !== undefined;
  if (!fleetManual) x = applyCooldown(current, x, policy.safety, history, t, reasons);
  x = applyMaxStep(present, x, policy.safety, reasons);
  // A disruption budget counts nodes that go: the nodes the fleet has, not those the cloud never launched.
  if (!fleetManual) x = applyDisruptionBudgets(kept, x, policy.safety.disruptionBudgets, history, t, reasons);
  // A decision on interruption notices replaces what the cloud takes back and removes none of the nodes the
  // fleet keeps: a scale-in waits for a decision without one (the next tick or alarm). The fleet is losing
  // capacity there, spot markets lose it together, and the notice's path is the one that must be quick (a
  // scale-in reads the Deployment before its write). Karpenter's interruption handling likewise only replaces;
  // its consolidation is another controller.
  if (!fleetManual && sig.notices.length > 0 && x < kept) {
    x = reasons.clip(
      'safety',
      'safety.notice-hold',
      x,
      kept,
      'interruption notice',
      `scale-in held at the ${kept} node(s) the fleet keeps: this decision replaces the ${sig.notices.length} node(s) under notice, and a decision without a notice removes what is not needed`,
    );
  }

  // Replacements for an ending reservation are launched all at once, ahead of its end: the rate limits
  // hold growth, not the capacity the fleet already counts on (a p5.48xlarge block is ~27 g5 nodes).
  if (!fleetManual && !windows.freeze && endingRps > 0 && x < recommendedNodes) {
    const replace = Math.max(0, path.nodesFor(path.capacityAt(path.base) + endingRps).nodes - path.base);
    const lifted = Math.min(recommendedNodes, x + replace);
    x = reasons.clip(
      'safety',
      'safety.replacements',
      x,
      lifted,
      'reservation ending',
      `+${lifted - x} node(s) replace reserved capacity that ends within the lead time, all launched now (not held by the rate limits)`,
    );
  }

  // No scale-in below what the ready nodes must serve now: nodes still booting do not serve yet (the HPA's
  // unready pods). It only keeps nodes of the baseline, which the ceiling and the max step already allow.
  if (!fleetManual && rec.nowRps !== undefined && x < path.base) {
    const keep = Math.min(path.readyFloor(rec.nowRps), present + Math.max(0, policy.safety.maxStepUp));
    if (x < keep) {
      x = reasons.clip(
        'safety',
        'safety.not-ready',
        x,
        keep,
        'readiness',
        `scale-in held at ${keep}: the ready nodes must serve ${rec.nowRps.toFixed(0)} rps until the nodes still booting do`,
      );
    }
  }

  // 6. Hard bounds, then what the pools can hold.
  const poolMins = baseline.slots.reduce((n, s) => n + s.min, 0);
  const bounds = fleetBounds(policy, windows, rec.activity, scaleToZero, current, poolMins, reasons);
  // The floor counts lasting nodes (the budget, a hard limit, may still cut to the plain floor).
  const plainFloor = bounds.lo;
  // What a later step may add on top (warm nodes resumed, cold replacements for them) stays within the
  // ceiling too: a window's, or the pools' minimums where those are above it.
  upCap = Math.min(upCap, bounds.hi);
  if (ending > 0 && bounds.lo > 0) bounds.lo = Math.min(bounds.hi, bounds.lo + ending);
  const needed = x;
  if (x < bounds.lo)
    x = reasons.clip('limit', 'limit.min', x, bounds.lo, bounds.loBy, `below the floor (${bounds.loBy})`);
  if (x > bounds.hi)
    x = reasons.clip('limit', 'limit.max', x, bounds.hi, bounds.hiBy, `above the ceiling (${bounds.hiBy})`);
  const full = 'the pools cannot hold more (max, reservations, backoff, cloud maxima)';
  x = reasons.clip('limit', 'limit.capacity', x, path.reach(x), 'pools', full);
  x = applyGpuLimit(path, x, plainFloor, policy.safety.maxGpus, reasons);

  // 7. Budget.
  const budget = applyBudget(path, x, plainFloor, policy.safety.hourlyBudgetUsd, reasons);
  // The hard limits every later step keeps for what it adds (cold replacements for warm bridges, consolidation's
  // swaps, warm nodes resumed): the GPU limit and the budget.
  const { maxGpus, hourlyBudgetUsd } = policy.safety;
  const withinHardLimits = (l: Layout) =>
    (maxGpus === undefined || l.gpus() <= maxGpus) &&
    (hourlyBudgetUsd === undefined || l.cost() <= hourlyBudgetUsd + 1e-9);
  x = budget.nodes;
  if (budget.cut?.unmet) reports.push(budgetUnmetReport(fleet.id, budget.cut));

  // 8. Placement, actions, pause, dry run. Nodes added only to meet the floor go where a node costs least
  // (the floor counts nodes, not throughput).
  // A fleet held below the hedged count (rate limits, step, budget) serves the demand first: the placement
  // before the hedge, when it serves more at that count (the hedge's larger on-demand base puts small regular
  // nodes first) and keeps the hard limits the count was cut to on the hedged one (its nodes may cost more:
  // the budget and the GPU limit were checked on the hedged placement).
  if (
    unhedged &&
    x < unhedged.nodes &&
    unhedged.path.capacityAt(x) > path.capacityAt(x) + 1e-9 &&
    (withinHardLimits(unhedged.path.at(x)) || !withinHardLimits(path.at(x)))
  ) {
    reasons.add(
      'placement',
      'placement.spot-hedge',
      `held at ${x} of the ${unhedged.nodes} node(s) the hedge asks for: placed for the demand first (${unhedged.path.capacityAt(x).toFixed(0)} rps instead of ${path.capacityAt(x).toFixed(0)}); the hedge follows as the limits allow`,
    );
    path = unhedged.path;
  }
  // Warm nodes that serve in place of cold launches (a rise the rate limits clipped, below): while the plan
  // still holds all the capacity the fleet has (the rise persists), cold launches in the pools the placement
  // picks replace them as the limits allow; the scale-in that follows, once they serve, returns the warm nodes
  // (the most expensive per request/s go first, never below what the ready nodes must serve). When the plan
  // falls instead, the scale-in returns them at once and nothing is replaced.
  const warmBridge: Record<string, number> = {};
  if (sizing && !fleetManual && !windows.freeze && !budget.cut && !cooling && x >= current) {
    for (const [poolId, swapped] of Object.entries(input.state.warmBridge ?? {})) {
      const i = baseline.indexOf(poolId);
      const n = i < 0 ? 0 : Math.min(Math.max(0, Math.floor(swapped)), baseline.counts[i]);
      if (n <= 0) continue;
      let k = 0;
      // One by one while the limits leave room (the rate limits, the GPU limit, the budget, the scale-up
      // cooldown: a replacement is a scale-out) and the placement adds outside the warm node's pool.
      const fits = (m: number) =>
        withinHardLimits(path.at(m)) && cooldownHolding(current, m, policy.safety, history, t) === undefined;
      while (k < n && x + k + 1 <= upCap && path.reach(x + k + 1) === x + k + 1 && fits(x + k + 1)) {
        if (path.at(x + k + 1).counts[i] !== path.at(x).counts[i]) break;
        k++;
      }
      if (k > 0) {
        x = reasons.clip(
          'placement',
          'warm.replace',
          x,
          x + k,
          'warm bridge',
          `+${k} cold launch(es) replace warm node(s) of ${poolId} resumed in place of cold launches for a rise: ` +
            `the plan still needs the capacity; the scale-in returns the warm nodes once the cold ones serve`,
        );
      }
      if (n - k > 0) warmBridge[poolId] = n - k;
    }
  }
  const forFloor = budget.cut ? 0 : Math.max(0, x - Math.max(needed, path.base));
  const placed = placeFloor(path, x, forFloor);
  const { floor } = placed;
  let final = placed.layout;
  explainPlacement(path, final, reasons, { nodes: floor, by: bounds.loBy });
  // Replacement consolidation (consolidate.ts): serving nodes whose capacity cheaper nodes of their tier would
  // hold (or spot, for on-demand nodes the capacity-type mix does not want), replaced once they serve. Only in a
  // plan sized by its need alone that does not grow: no limit, floor, freeze, cooldown or budget holding it, no
  // notice or failed launch in play, no operator target. Within a tier, no launch within a lead time of a
  // scale-out (what a rise added is for the rise); on-demand onto spot launches then too (the on-demand node
  // serves until the spot node does).
  if (
    sloSizing &&
    policy.placement.consolidation !== 'off' &&
    !fleetManual &&
    !windows.freeze &&
    !budget.cut &&
    !cooling &&
    forFloor === 0 &&
    rec.requiredRps !== undefined &&
    rec.nowRps !== undefined &&
    x === rec.nodes &&
    x <= current &&
    notComing === 0 &&
    effects.leaving.size === 0 &&
    sig.launchFailures.length === 0
  ) {
    const c = consolidate({
      final,
      baseline,
      requiredRps: rec.requiredRps,
      readyRps: Math.min(rec.nowRps, baseline.readyCapacity()),
      ...(hedged ? { hedge: hedged } : {}),
      minNodes: bounds.lo,
      maxNodes: upCap,
      launch: t - history.lastScaleUp >= lead * 1000,
      priorSurvival: Math.exp((-SPOT_PRIOR_LOSS_RATE * lead) / 3600),
      // A swap that puts fewer nodes in than it takes out is a scale-in too: the max step holds it as it holds the
      // plan's (`maxStepDown` from the nodes the fleet has), with the cooldowns and the disruption budgets.
      allowed: (l) =>
        withinHardLimits(l) &&
        applyMaxStep(present, l.total, policy.safety, new Reasons()) === l.total &&
        cooldownHolding(current, l.total, policy.safety, history, t) === undefined &&
        applyDisruptionBudgets(kept, l.total, policy.safety.disruptionBudgets, history, t, new Reasons()) === l.total,
    });
    let before = x;
    for (const { from, to, add, launched, saving, done, total } of c.swaps) {
      const A = final.slots[from].pool;
      const B = final.slots[to].pool;
      const what = `${A.id} node ($${A.hourlyPrice.toFixed(2)}/h, ${A.rpsPerNode.toFixed(0)} rps) replaced by ${add} ${B.id} node(s) ($${B.hourlyPrice.toFixed(2)}/h each)`;
      const holds = `${rec.requiredRps.toFixed(0)} rps over the lead${hedged?.reqs.length ? ' and every spot hedge scenario' : ''} still held, $${saving.toFixed(2)}/h saved`;
      reasons.add(
        'placement',
        'placement.consolidate',
        done
          ? `consolidation: one ${what}: ${holds}; the replacements serve, so it goes now`
          : `consolidation: one ${what}: ${holds}; ${launched > 0 ? `${launched} launched now` : 'they are booting'}, the node goes once they serve (make-before-break)`,
        { before, after: total, poolId: A.id },
      );
      before = total;
    }
    if (c.swaps.length > 0) {
      x = c.layout.total;
      final = c.layout;
    }
  }
  // Replacements and rises resume warm nodes first: what serves within a resume time falls short of the
  // running headroom (nodes under notice, cold launches still booting), so ready warm nodes resume now, on
  // top of the cold launches that restore the lasting capacity (within the rate limits); the scale-in that
  // follows returns them.
  if (sizing && !windows.freeze && !budget.cut) {
    const b = bridge(final, warmView, sizing.running.rps, effects.leaving);
    let room = Math.max(0, upCap - x);
    // Cold launches the plan adds outside the warm pools: when the limits leave no room on top, a warm node
    // resumed (serving within its resume time) takes the place of one of them (serving within a time to
    // ready), node for node as the rate limits count. The state records them (`warmBridge`): the next
    // decisions launch their cold replacements while the plan still needs the capacity (above).
    const bridged = new Map<string, number>();
    const coldAdds = final.slots
      .map((slot, i) => ({
        i,
        // Nodes a pool's minimum holds are not a rise's launches: a warm node never takes their place.
        added: slot.pool.warm
          ? 0
          : Math.max(0, final.counts[i] - Math.max(slot.min, slot.pool.desired - (slot.notComing ?? 0))),
      }))
      .filter((c) => c.added > 0);
    // A resumed node is a node like any other for the hard limits: its cloud's maximum, the budget, the GPUs.
    const fits = (v: (typeof warmView)[number]) => {
      final.set(v.index, final.counts[v.index] + 1);
      const ok = final.cloudRoom(v.pool.cloud) >= 0 && withinHardLimits(final);
      final.set(v.index, final.counts[v.index] - 1);
      return ok;
    };
    for (const v of warmView) {
      const want = b.nodes.get(v.pool.id) ?? 0;
      let n = 0;
      let swapped = 0;
      while (n < want) {
        // On top of the plan's count while the limits leave room, else in place of a cold launch.
        let c: (typeof coldAdds)[number] | undefined;
        if (n - swapped >= room || !fits(v)) {
          c = coldAdds.find((a) => a.added > 0);
          if (!c) break;
          final.set(c.i, final.counts[c.i] - 1);
          if (!fits(v)) {
            final.set(c.i, final.counts[c.i] + 1);
            break;
          }
          c.added--;
          swapped++;
        }
        final.set(v.index, final.counts[v.index] + 1);
        n++;
      }
      if (swapped > 0 && !dryRun && !sig.paused) warmBridge[v.pool.id] = (warmBridge[v.pool.id] ?? 0) + swapped;
      if (n <= 0) continue;
      if (!dryRun && !sig.paused) bridged.set(v.pool.id, n);
      x += n - swapped;
      room -= n - swapped;
      reasons.add(
        'placement',
        'warm.bridge',
        `${v.pool.id}: +${n} warm node(s) resumed now: what serves within ${v.pool.warm.resumeSeconds}s ` +
          `(${b.soonRps.toFixed(0)} rps: ready nodes kept, nodes resuming) is ${b.shortRps.toFixed(0)} rps short of the ` +
          `${sizing.running.rps.toFixed(0)} rps the next ${sizing.warmLeadSeconds}s may need; cold launches serve in ${v.pool.timeToReadySeconds}s` +
          (swapped > 0
            ? ` (${swapped} in place of cold launches the limits leave no room beside: ${v.pool.id} ${final.counts[v.index] - n} -> ${final.counts[v.index]}; ` +
              `cold launches replace them while the rise persists)`
            : ''),
        { before: x - (n - swapped), after: x, poolId: v.pool.id },
      );
    }
    // The nodes resumed are the pool's still while they bridge (`HeldNeed.out`): no refill prepares nodes in
    // their place (warm.ts).
    if (warmHold && bridged.size > 0) warmHold = withBridged(warmHold, warmView, bridged, t);
  }
  const warmPlan: WarmPlan | undefined =
    warmHold && warmTargets
      ? {
          targets: Object.fromEntries(warmTargets.targets),
          ...(warmNeedTargets ? { needTargets: Object.fromEntries(warmNeedTargets.targets) } : {}),
          needRps: warmHold.rps,
          demandRps: sizing?.demandBandRps ?? 0,
          hedgeRps: hedgeWarmRps,
          leftRps: warmTargets.leftRps,
        }
      : undefined;
  const why = reasonSummary(current, x, reasons);
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
  // A pool whose count is unknown holds GPUs the Deployment's replicas cannot be computed without.
  const unknown = input.unobservedPools ?? [];
  const held = fleet.deployment && unknown.length > 0;
  if (held)
    reasons.add(
      'safety',
      'safety.deployment-held',
      `the Deployment is not scaled: no count known for ${unknown.join(', ')} (never observed)`,
    );
  const { actions, suppressedActions } = applyPause(
    held ? all.filter((a) => a.type !== 'scale-deployment') : all,
    sig.paused,
    reasons,
  );
  const paused = sig.paused !== undefined;
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
    ...(rec.requiredRps !== undefined && !fleetManual ? { requiredRps: rec.requiredRps } : {}),
    targetNodes: x,
    pools,
    actions,
    suppressedActions,
    reasons: reasons.list,
    costPerHour: final.cost(),
    currentCostPerHour: baseline.slots.reduce((usd, s) => usd + s.pool.desired * s.pool.hourlyPrice, 0),
    budgetCut: budget.cut,
    manualTarget: manual,
    ...(spotRisk ? { spotRisk } : {}),
    ...(warmPlan ? { warm: warmPlan } : {}),
    historyEntry: {
      at: iso(t),
      fleetId: fleet.id,
      recommendation: rec.nodes,
      ...(rec.noData && !fleetManual ? { noData: true } : {}),
      ...(rec.requiredRps !== undefined ? { requiredRps: rec.requiredRps } : {}),
      // The change of the nodes the fleet has: the next decision's behavior periods count it.
      from: present,
      to: x,
      ...(leavingNow > 0 ? { taken: leavingNow } : {}),
      applied: !dryRun && !paused && (x !== present || x !== current),
      dryRun,
      pools: pools.filter((p) => p.delta !== 0).map((p) => ({ poolId: p.poolId, from: p.current, to: p.target })),
      signalIds: sig.eventIds,
    },
    nextState: nextState(input.state, sig, [...actions, ...suppressedActions], now, {
      pools: fleet.pools,
      ...(spotRisk ? { spotRisk } : {}),
      ...(warmHold ? { warmHold } : {}),
      warmBridge,
    }),
  };
}

/**
 * Why the hedge deferred spot pools, for its reason: the running share their market's loss asks for (the other
 * markets' losses ask less).
 */
function deferredWhy(reqs: readonly HedgeRequirement[], poolIds: readonly string[]): string {
  const share = (r: HedgeRequirement) => (r.runningRps ?? 0) / Math.max(1e-9, r.rps);
  const loses = (r: HedgeRequirement) =>
    Object.entries(r.losses).some(([k, lost]) => lost > 0 && poolIds.includes(k.slice(0, k.lastIndexOf('/'))));
  let most: HedgeRequirement | undefined;
  for (const r of reqs) if (loses(r) && share(r) > (most ? share(most) : 0)) most = r;
  if (!most) return '';
  return ` (losing ${poolIds.length > 1 ? 'them' : 'it'} asks ${(share(most) * 100).toFixed(1)}% of the need to stay running for the ${most.gapSeconds ?? 0}s ${poolIds.length > 1 ? 'their' : 'its'} capacity is missing)`;
}
