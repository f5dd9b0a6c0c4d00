/**
 * The raw recommendation: how many nodes the metrics, the demand and the forecast ask for, before any
 * stabilization, rate or limit.
 *
 *   - Each policy metric gives ceil(current x value / target) through the HPA replica calculator
 *     (hpa-replicas.ts); the largest over metrics wins (HPA: "the largest of the desired replica counts").
 *   - Demand gives the fewest nodes whose capacity, in placement order, serves rps x (1 + demandBuffer):
 *     ceil(rps x (1 + buffer) / rpsPerNode) for one pool, and the fill of the placement for mixed pools. It is an
 *     absolute requirement, not a ratio: no tolerance band (the buffer is its headroom, the scale-down
 *     stabilization its hysteresis).
 *   - The forecast peak within the fleet's time to ready gives nodes the same way, and only raises the
 *     recommendation (forecast.ts).
 *   - As the HPA does, a policy metric without a value forbids a scale-down, and with no input at all the
 *     count is held.
 *   - KEDA activation (activation.ts): at zero a fleet stays at zero until an input is above its activation
 *     threshold; with scale-to-zero, a fleet whose inputs are all at or below their thresholds goes to zero.
 */
import type { Fleet } from '../domain/types.ts';
import { DEFAULT_ACTIVATION, DEFAULT_TOLERANCE } from './defaults.ts';
import { forecastPeak } from './forecast.ts';
import { metricReplicas, type Tolerances } from './hpa-replicas.ts';
import type { PlacementPath } from './placement-path.ts';
import type { Reasons } from './reasons.ts';
import type { DecisionInput } from './types.ts';

export type Activity = 'active' | 'inactive' | 'unknown';

export interface Recommendation {
  nodes: number;
  /** KEDA's view: an input above its activation threshold, all at or below, or no evidence. */
  activity: Activity;
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
}

export const tolerancesOf = (fleet: Fleet): Tolerances => ({
  scaleUp: fleet.policy.scaleUp.tolerance ?? fleet.policy.tolerance ?? DEFAULT_TOLERANCE,
  scaleDown: fleet.policy.scaleDown.tolerance ?? fleet.policy.tolerance ?? DEFAULT_TOLERANCE,
});

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function demandNodes(path: PlacementPath, rps: number, buffer: number, what: string, reasons: Reasons): number {
  const required = rps * (1 + buffer);
  const { nodes, short } = path.nodesFor(required);
  reasons.add(
    'rule',
    what === 'forecast' ? 'demand.forecast' : 'demand.rps',
    `${what} ${fmt(rps)} rps x ${fmt(1 + buffer)} = ${fmt(required)} rps needs ${nodes} node(s) in placement order` +
      (short ? ' (all pools full: short of capacity)' : ''),
  );
  return nodes;
}

export function recommend(input: RecommendInput, reasons: Reasons): Recommendation {
  const { fleet, current, ready, metrics } = input;
  const policy = fleet.policy;
  const tolerances = tolerancesOf(fleet);
  const candidates: number[] = [];
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
      candidates.push(n);
      reasons.add(
        'rule',
        value > activation ? 'keda.activation' : 'keda.inactive',
        `${m.metric} ${fmt(value)} ${value > activation ? '>' : '<='} activation ${fmt(activation)} at zero nodes: ${n}`,
      );
      continue;
    }
    const r = metricReplicas({ current, ready, value, target: m.target, tolerances });
    candidates.push(r.replicas);
    const how = {
      'within-tolerance': `within tolerance (-${tolerances.scaleDown}/+${tolerances.scaleUp}): hold ${current}`,
      scaled:
        current > ready
          ? `${current - ready} node(s) not reporting counted conservatively: ${r.replicas}`
          : `ceil(${ready} x ${fmt(value)} / ${fmt(m.target)}) = ${r.replicas}`,
      'missing-hold': `${current - ready} node(s) not reporting yet, counted conservatively: hold ${current}`,
      'no-ready-nodes': `no node ready to report it: hold ${current}`,
    }[r.outcome];
    reasons.add(
      'rule',
      'hpa.metric',
      `${m.metric} ${fmt(value)} vs target ${fmt(m.target)} (ratio ${r.ratio.toFixed(3)}): ${how}`,
    );
  }

  const buffer = policy.demandBuffer;
  if (input.demand && Number.isFinite(input.demand.rps)) {
    const rps = Math.max(0, input.demand.rps);
    if (rps > DEFAULT_ACTIVATION) active = true;
    candidates.push(rps > 0 ? demandNodes(input.path, rps, buffer, 'demand', reasons) : 0);
  }

  let nodes: number;
  let activity: Activity = active ? 'active' : 'unknown';
  if (candidates.length === 0) {
    nodes = current;
    reasons.add('rule', 'hpa.no-metrics', `no metric value and no demand: hold ${current}`);
  } else {
    nodes = Math.max(...candidates);
    if (!active && invalid === 0) activity = 'inactive';
    if (invalid > 0 && nodes < current) {
      reasons.add(
        'rule',
        'hpa.missing-metrics',
        `${invalid} metric(s) without a value: no scale-down (hold ${current})`,
      );
      nodes = current;
    }
  }
  if (activity === 'inactive' && input.scaleToZero && nodes > 0) {
    reasons.add('rule', 'keda.deactivation', `every input at or below its activation threshold: scale to zero`);
    nodes = 0;
  }

  const lead = Math.max(0, ...fleet.pools.map((p) => p.timeToReadySeconds));
  const peak = input.forecast ? forecastPeak(input.forecast, input.now, lead) : undefined;
  if (peak !== undefined && peak > 0) {
    const ahead = demandNodes(input.path, peak, buffer, 'forecast', reasons);
    if (activity !== 'active') activity = 'active';
    if (ahead > nodes) {
      reasons.add(
        'rule',
        'demand.forecast-ahead',
        `forecast within ${lead}s raises ${nodes} to ${ahead} (never lowers)`,
        { before: nodes, after: ahead },
      );
      nodes = ahead;
    }
  }
  return { nodes, activity };
}
