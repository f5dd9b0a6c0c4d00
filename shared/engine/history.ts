/**
 * Reads a fleet's decision history into what the Kubernetes HPA keeps in memory between syncs:
 * `recommendations` (timestamped unstabilized recommendations, for the stabilization windows) and
 * `scaleUpEvents` / `scaleDownEvents` (timestamped replica changes, for the behavior policies' periods),
 * plus the time of the last scale in each direction (for cooldowns).
 * Dry-run entries, entries of other fleets and entries whose time does not parse are ignored.
 */
import { ms } from './time.ts';
import type { HistoryEntry } from './types.ts';

export interface TimedRecommendation {
  at: number;
  replicas: number;
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
  /** Epoch ms of the latest applied scale-up / scale-down, or -Infinity. */
  lastScaleUp: number;
  lastScaleDown: number;
}

export function readHistory(entries: readonly HistoryEntry[], fleetId: string): FleetHistory {
  const out: FleetHistory = {
    recommendations: [],
    scaleUps: [],
    scaleDowns: [],
    lastScaleUp: Number.NEGATIVE_INFINITY,
    lastScaleDown: Number.NEGATIVE_INFINITY,
  };
  for (const e of entries) {
    if (e.dryRun || (e.fleetId !== undefined && e.fleetId !== fleetId)) continue;
    const at = ms(e.at);
    if (Number.isNaN(at)) continue;
    if (Number.isFinite(e.recommendation)) out.recommendations.push({ at, replicas: e.recommendation });
    if (!e.applied || e.to === e.from) continue;
    if (e.to > e.from) {
      out.scaleUps.push({ at, change: e.to - e.from });
      out.lastScaleUp = Math.max(out.lastScaleUp, at);
    } else {
      out.scaleDowns.push({ at, change: e.from - e.to });
      out.lastScaleDown = Math.max(out.lastScaleDown, at);
    }
  }
  return out;
}

/** HPA `getReplicasChangePerPeriod`: the sum of changes of events strictly after now - period. */
export function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.at > cutoff) sum += e.change;
  return sum;
}
