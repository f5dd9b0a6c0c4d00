/**
 * KEDA's `fallback`: when the fleet's metrics cannot be read (the store does not answer, or has nothing for
 * the fleet) `failureThreshold` decisions in a row, go to `replicas` nodes (`behavior: static`, KEDA's
 * default) or hold the current count (`behavior: currentReplicas`). A decision without any input is marked
 * `noData` in its history entry, so the count survives between invocations without more state; a decision
 * with data resets it. Before the threshold, and without a fallback, the fleet holds its size (the HPA's
 * behaviour with no metrics), and the reason says so either way.
 */
import type { FallbackPolicy } from '../domain/types.ts';
import type { Reasons } from './reasons.ts';
import type { HistoryEntry } from './types.ts';

/** Decisions in a row, newest first, that had no input (this one included when `noData`). */
export function failedReadsInARow(history: readonly HistoryEntry[], fleetId: string, noData: boolean): number {
  if (!noData) return 0;
  const own = history
    .filter((e) => !e.dryRun && (e.fleetId === undefined || e.fleetId === fleetId))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  let n = 1;
  for (const e of own) {
    if (!e.noData) break;
    n++;
  }
  return n;
}

/** The count the fallback asks for, or undefined when it does not apply (yet). */
export function applyFallback(
  current: number,
  x: number,
  fallback: FallbackPolicy | undefined,
  failures: number,
  reasons: Reasons,
): number {
  if (failures === 0) return x;
  if (!fallback) {
    reasons.add(
      'rule',
      'fallback.none',
      `no metric could be read ${failures} decision(s) in a row: holding ${current} (no fallback configured)`,
    );
    return x;
  }
  if (failures < fallback.failureThreshold) {
    reasons.add(
      'rule',
      'fallback.pending',
      `no metric could be read ${failures} decision(s) in a row: holding ${current} until ${fallback.failureThreshold}`,
    );
    return x;
  }
  if (fallback.behavior === 'currentReplicas') {
    reasons.add(
      'rule',
      'fallback.hold',
      `fallback after ${failures} failed metric reads: holding ${current} (currentReplicas)`,
    );
    return current;
  }
  return reasons.clip(
    'rule',
    'fallback.replicas',
    x,
    fallback.replicas,
    'fallback',
    `fallback after ${failures} failed metric reads: ${fallback.replicas} node(s)`,
  );
}
