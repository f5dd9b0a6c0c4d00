/**
 * The raw recommendation: how much capacity (requests/s) the demand, the metrics and the forecast ask for,
 * and how many nodes the placement needs for it, before any stabilization, rate or limit. Capacity, not node
 * counts, because the fleet's nodes differ: a p5.48xlarge serves ~60 times what a g5.xlarge does, so "one
 * node more" means nothing until the placement says which.
 *
 *   - Demand is the primary signal: the fleet needs rps x (1 + demandBuffer) of capacity, compared with the
 *     capacity of the nodes it has asked for — booting ones included, so a decision does not add again
 *     what is already on its way, and without the nodes that are leaving (interruptions) or whose
 *     reservation ends (their replacements must be there in time). No tolerance band: the buffer is its
 *     headroom, the scale-down stabilization its hysteresis.
 *   - Each policy metric gives the HPA's recommendation in capacity (`metricCapacity`): the load of the
 *     serving nodes scaled to the target, booting capacity as the HPA's missing pods. With demand known,
 *     metrics are a check: they may only raise the requirement (nodes hotter than the demand says); without
 *     demand they drive it both ways, the largest over metrics winning.
 *   - SLO headroom (headroom.ts), when the inputs carry the demand history: the capacity that serves the peak
 *     of the coming lead time at `slo.availability`, learned from the fleet's own demand, replaces the buffer:
 *     the larger of it, the demand and the forecast wins.
 *   - The forecast peak within the lead time (time to ready + decision interval), with the same buffer, only
 *     raises it (forecast.ts).
 *   - As the HPA does, without demand a policy metric without a value forbids a scale-down, and with no input
 *     at all the count is held.
 *   - KEDA activation: at zero a fleet stays at zero until an input is above its activation threshold
 *     (at zero there is no per-node average: the value is the fleet's total, ceil(value / target) nodes, at
 *     least one); with scale-to-zero, a fleet whose inputs are all at or below their thresholds goes to zero.
 */
import type { Fleet } from '../domain/types.ts';
import { DEFAULT_ACTIVATION, DEFAULT_TOLERANCE } from './defaults.ts';
import { forecastPeak } from './forecast.ts';
import { type Headroom, headroomAbove, levelWords, priorRatio } from './headroom.ts';
import { metricCapacity, type Tolerances } from './hpa-replicas.ts';
import type { PlacementPath } from './placement-path.ts';
import type { Reasons } from './reasons.ts';
import type { DecisionInput } from './types.ts';

export type Activity = 'active' | 'inactive' | 'unknown';

export interface Recommendation {
  nodes: number;
  /** KEDA's view: an input above its activation threshold, all at or below, or no evidence. */
  activity: Activity;
  /** Capacity (requests/s) the inputs ask for, forecast included; undefined when the count is held for lack of input. */
  requiredRps?: number;
  /** Capacity the fleet must serve right now (demand or metrics with their headroom, no forecast). */
  nowRps?: number;
  /** No metric, no demand and no forecast: nothing to go by (KEDA's fallback counts these decisions). */
  noData: boolean;
}

export interface RecommendInput {
  fleet: Fleet;
  current: number;
  ready: number;
  /** Metric values by name (input metrics, then alarm values). */
  metrics: ReadonlyMap<string, number>;
  demand?: DecisionInput['demand'];
  forecast?: DecisionInput['forecast'];
  /** Scale-to-zero enabled (policy or active window). */
  scaleToZero: boolean;
  path: PlacementPath;
  now: number;
  /** Time to ready + decision interval, seconds: how far ahead the forecast looks. */
  leadSeconds: number;
  /** SLO headroom over the lead time, when the demand history was given. */
  headroom?: Headroom;
}

export const tolerancesOf = (fleet: Fleet): Tolerances => ({
  scaleUp: fleet.policy.scaleUp.tolerance ?? fleet.policy.tolerance ?? DEFAULT_TOLERANCE,
  scaleDown: fleet.policy.scaleDown.tolerance ?? fleet.policy.tolerance ?? DEFAULT_TOLERANCE,
});

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Requests/s the observed nodes serve now: each pool's ready nodes (at most its desired count). */
export const servingRps = (fleet: Fleet): number =>
  fleet.pools.reduce((rps, p) => rps + Math.max(0, Math.min(p.ready, p.desired)) * Math.max(0, p.rpsPerNode), 0);

function demandRps(path: PlacementPath, rps: number, buffer: number, what: string, reasons: Reasons): number {
  const required = rps * (1 + buffer);
  const { nodes, short } = path.nodesFor(required);
  reasons.add(
    'rule',
    what === 'forecast' ? 'demand.forecast' : 'demand.rps',
    `${what} ${fmt(rps)} rps x ${fmt(1 + buffer)} = ${fmt(required)} rps of capacity: ${nodes} node(s) in placement order` +
      (short ? ' (all pools full: short of capacity)' : ''),
  );
  return required;
}

export function recommend(input: RecommendInput, reasons: Reasons): Recommendation {
  const { fleet, current, metrics, path } = input;
  const policy = fleet.policy;
  const tolerances = tolerancesOf(fleet);
  const lasting = path.capacityAt(path.base);
  const serving = servingRps(fleet);
  // With the SLO headroom the availability target sizes what is held above the demand (the buffer is the
  // headroom of a fleet without a demand history): the demand and the forecast count as they are.
  const buffer = input.headroom ? 0 : policy.demandBuffer;
  const demandKnown = input.demand !== undefined && Number.isFinite(input.demand.rps);
  /** Capacity candidates (requests/s) and node candidates (activation at zero). */
  const capacities: number[] = [];
  const nodeCounts: number[] = [];
  let invalid = 0;
  let active = false;

  for (const m of policy.metrics) {
    const value = metrics.get(m.metric);
    if (value === undefined || !Number.isFinite(value) || !(m.target > 0)) {
      invalid++;
      continue;
    }
    const activation = m.activation ?? DEFAULT_ACTIVATION;
    if (value > activation) active = true;
    if (current === 0) {
      // At zero there is no per-node average: the value is the fleet's total, as the HPA reads object
      // metrics at zero replicas (ceil(usageRatio)); KEDA activates to at least one.
      const n = value > activation ? Math.max(1, Math.ceil(value / m.target)) : 0;
      nodeCounts.push(n);
      reasons.add(
        'rule',
        value > activation ? 'keda.activation' : 'keda.inactive',
        `${m.metric} ${fmt(value)} ${value > activation ? '>' : '<='} activation ${fmt(activation)} at zero nodes: ${n}`,
      );
      continue;
    }
    const r = metricCapacity({ lasting, serving, value, target: m.target, tolerances });
    // With demand known the metric is a check: it may raise the requirement, never lower it.
    const counted = !demandKnown || (r.outcome === 'scaled' && r.rps > lasting);
    if (counted) capacities.push(r.rps);
    const how = {
      'within-tolerance': `within tolerance (-${tolerances.scaleDown}/+${tolerances.scaleUp}): hold ${fmt(r.rps)} rps`,
      scaled:
        lasting > serving
          ? `capacity still booting counted conservatively: ${fmt(r.rps)} rps`
          : `${fmt(serving)} rps serving x ${r.ratio.toFixed(3)} = ${fmt(r.rps)} rps`,
      'missing-hold': `capacity still booting, counted conservatively: hold ${fmt(r.rps)} rps`,
      'no-ready-nodes': `no node ready to report it: hold ${fmt(r.rps)} rps`,
    }[r.outcome];
    const short = counted && path.nodesFor(r.rps).short ? ' (all pools full: short of capacity)' : '';
    reasons.add(
      'rule',
      'hpa.metric',
      `${m.metric} ${fmt(value)} vs target ${fmt(m.target)} (ratio ${r.ratio.toFixed(3)}): ${how}${short}` +
        (demandKnown ? (counted ? ' (above the demand: raises it)' : ' (a check: the demand decides)') : ''),
    );
  }

  if (demandKnown) {
    const rps = Math.max(0, input.demand?.rps ?? 0);
    if (rps > DEFAULT_ACTIVATION) active = true;
    const buffered = rps > 0 ? demandRps(path, rps, buffer, 'demand', reasons) : 0;
    capacities.push(buffered);
    const h = input.headroom;
    if (h && h.rps > 0) {
      capacities.push(h.rps);
      const before = path.nodesFor(buffered).nodes;
      const after = path.nodesFor(h.rps).nodes;
      reasons.add(
        'rule',
        'demand.headroom',
        `SLO ${(h.availability * 100).toFixed(2)}%: peak over the next ${h.leadSeconds}s up to ${headroomAbove(h)} ` +
          `${levelWords(h.level, h.levelRps)} (${h.windows ? `learned from ${h.windows} window(s) over ${(h.historySeconds / 3600).toFixed(1)} h of demand` : 'no history'}` +
          `${h.prior ? `, prior x${priorRatio(h.leadSeconds).toFixed(2)} still weighing` : ''}): ${fmt(h.rps)} rps` +
          `${h.capped ? ` (capped at the most the history has seen or the prior expects)` : ''}, ` +
          (after > before
            ? `+${after - before} node(s) above the ${buffer > 0 ? 'buffered ' : ''}demand`
            : `within the ${buffer > 0 ? 'buffered ' : ''}demand`),
        { before, after: Math.max(before, after) },
      );
    }
  }

  let nodes: number;
  let requiredRps: number | undefined;
  let activity: Activity = active ? 'active' : 'unknown';
  let noData = false;
  if (capacities.length === 0 && nodeCounts.length === 0) {
    nodes = current;
    reasons.add('rule', 'hpa.no-metrics', `no metric value and no demand: hold ${current}`);
    noData = true;
  } else {
    if (capacities.length > 0) {
      requiredRps = Math.max(...capacities);
      nodes = path.nodesFor(requiredRps).nodes;
    } else nodes = 0;
    if (nodeCounts.length > 0) nodes = Math.max(nodes, ...nodeCounts);
    if (!active && invalid === 0) activity = 'inactive';
    if (invalid > 0 && !demandKnown && nodes < current) {
      reasons.add(
        'rule',
        'hpa.missing-metrics',
        `${invalid} metric(s) without a value: no scale-down (hold ${current})`,
      );
      nodes = current;
      requiredRps = undefined;
    }
  }
  if (activity === 'inactive' && input.scaleToZero && nodes > 0) {
    reasons.add('rule', 'keda.deactivation', `every input at or below its activation threshold: scale to zero`);
    nodes = 0;
    requiredRps = 0;
  }
  if (requiredRps === undefined && nodeCounts.length > 0) requiredRps = path.capacityAt(nodes);
  const nowRps = requiredRps;

  const lead = input.leadSeconds;
  const peak = input.forecast ? forecastPeak(input.forecast, input.now, lead) : undefined;
  if (peak !== undefined && peak > 0) {
    const ahead = demandRps(path, peak, buffer, 'forecast', reasons);
    const aheadNodes = path.nodesFor(ahead).nodes;
    if (activity !== 'active') activity = 'active';
    if (aheadNodes > nodes) {
      reasons.add(
        'rule',
        'demand.forecast-ahead',
        `forecast within ${lead}s raises ${nodes} to ${aheadNodes} node(s) (never lowers)`,
        { before: nodes, after: aheadNodes },
      );
      nodes = aheadNodes;
      requiredRps = Math.max(requiredRps ?? 0, ahead);
    } else if (requiredRps !== undefined) requiredRps = Math.max(requiredRps, ahead);
  }
  return { nodes, activity, requiredRps, nowRps, noData: noData && peak === undefined };
}
