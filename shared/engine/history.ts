/**
 * Reads a fleet's decision history into what the Kubernetes HPA keeps in memory between syncs:
 * `recommendations` (timestamped unstabilized recommendations, for the stabilization windows) and
 * `scaleUpEvents` / `scaleDownEvents` (timestamped replica changes, for the behavior policies' periods),
 * plus the time of the last scale in each direction (for cooldowns). A recommendation recorded with the
 * capacity it was for is read in nodes of the current placement (`inNodes`): the same capacity may need a
 * different number of nodes once a reservation started or ended, or a pool filled up.
 * Dry-run entries, entries of other fleets and entries whose time does not parse are ignored.
 */
import { ms } from './time.ts';
import type { HistoryEntry } from './types.ts';

export interface TimedRecommendation {
  at: number;
  replicas: number;
  /** The capacity (requests/s) that recommendation was for, when recorded: read in nodes of today's placement. */
  rps?: number;
}

/** A change of the fleet's size; `change` is the magnitude (always > 0), as in the HPA's timestampedScaleEvent. */
export interface ScaleEvent {
  at: number;
  change: number;
}

export interface FleetHistory {
  recommendations: TimedRecommendation[];
  scaleUps: ScaleEvent[];
  scaleDowns: ScaleEvent[];
  /**
   * The scale-ins the disruption budgets count: a scale-down less the nodes the cloud took back on its notices
   * (`HistoryEntry.taken`). As `scaleDowns` when absent.
   */
  disruptions?: ScaleEvent[];
  /** Epoch ms of the latest applied scale-up / scale-down, or -Infinity. */
  lastScaleUp: number;
  lastScaleDown: number;
  /**
   * Epoch ms of the fleet's latest recorded decision, or -Infinity: the HPA's rate policies apply at each of
   * its syncs since then (`hpa-behavior.ts`). Absent in a history built by hand: one sync.
   */
  lastDecision?: number;
}

export function readHistory(entries: readonly HistoryEntry[], fleetId: string): FleetHistory {
  const out: FleetHistory = {
    recommendations: [],
    scaleUps: [],
    scaleDowns: [],
    disruptions: [],
    lastScaleUp: Number.NEGATIVE_INFINITY,
    lastScaleDown: Number.NEGATIVE_INFINITY,
  };
  let lastDecision = Number.NEGATIVE_INFINITY;
  for (const e of entries) {
    if (e.dryRun || (e.fleetId !== undefined && e.fleetId !== fleetId)) continue;
    const at = ms(e.at);
    if (Number.isNaN(at)) continue;
    lastDecision = Math.max(lastDecision, at);
    if (Number.isFinite(e.recommendation)) {
      const rps = e.requiredRps !== undefined && Number.isFinite(e.requiredRps) ? { rps: e.requiredRps } : {};
      out.recommendations.push({ at, replicas: e.recommendation, ...rps });
    }
    if (!e.applied || e.to === e.from) continue;
    if (e.to > e.from) {
      out.scaleUps.push({ at, change: e.to - e.from });
      out.lastScaleUp = Math.max(out.lastScaleUp, at);
    } else {
      out.scaleDowns.push({ at, change: e.from - e.to });
      out.lastScaleDown = Math.max(out.lastScaleDown, at);
      const voluntary = e.from - e.to - Math.max(0, e.taken ?? 0);
      if (voluntary > 0) out.disruptions?.push({ at, change: voluntary });
    }
  }
  return { ...out, lastDecision };
}

/** HPA `getReplicasChangePerPeriod`: the sum of changes of events strictly after now - period. */
export function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.at > cutoff) sum += e.change;
  return sum;
}

/**
 * The recommendations within `windowSeconds`, each in nodes of the placement `nodesFor` describes: the
 * capacity it was for when recorded, its node count otherwise (entries written before capacities were).
 */
export function inNodes(
  recommendations: readonly TimedRecommendation[],
  nodesFor: (rps: number) => number,
  windowSeconds: number,
  now: number,
): TimedRecommendation[] {
  const cutoff = now - windowSeconds * 1000;
  const memo = new Map<number, number>();
  const out: TimedRecommendation[] = [];
  for (const r of recommendations) {
    if (r.at <= cutoff) continue;
    if (r.rps === undefined) {
      out.push(r);
      continue;
    }
    let n = memo.get(r.rps);
    if (n === undefined) {
      n = nodesFor(r.rps);
      memo.set(r.rps, n);
    }
    out.push({ at: r.at, replicas: n, rps: r.rps });
  }
  return out;
}

/**
 * The history with `nodes` that never came taken out of its scale-ups: nodes a pool was asked for that the
 * cloud could not launch (shortfall.ts) are no growth of the fleet, so a behavior policy's period does not
 * count them. They were asked for at or before `askedBy` (the launch grace before now: a node asked for later
 * is not counted as missing yet); they come out of the latest scale-ups recorded by then first.
 */
export function withoutNotComing(history: FleetHistory, nodes: number, askedBy: number): FleetHistory {
  if (nodes <= 0) return history;
  let left = nodes;
  const scaleUps = history.scaleUps.map((e) => ({ ...e }));
  for (const e of [...scaleUps].sort((a, b) => b.at - a.at)) {
    if (left <= 0) break;
    if (e.at > askedBy) continue;
    const taken = Math.min(left, e.change);
    e.change -= taken;
    left -= taken;
  }
  return { ...history, scaleUps: scaleUps.filter((e) => e.change > 0) };
}
