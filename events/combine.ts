import type { InterruptionSignal, Normalized, Signal } from '../shared/domain/signals.ts';
import { compact, noop } from './context.ts';
import { mergedEventId } from './fields.ts';

/** The order of urgency when one delivery carries several results. */
const RANK: Record<Signal['type'], number> = {
  interruption: 0,
  'reservation-change': 1,
  'metric-alarm': 2,
  'operator-command': 3,
  tick: 4,
  'capacity-notice': 5,
  'drain-command': 6,
};

const unique = <T>(xs: T[]) => [...new Set(xs)];

/**
 * One result for a delivery that held several events (an Event Grid array, SNS records): the most urgent
 * signal wins (interruption > reservation change > alarm > command > tick > notice); interruptions of the
 * same cloud and kind are merged into one (all instances, the earliest deadline, the event ids joined with
 * `+`). When nothing is a signal, one no-op lists the reasons. Malformed items rejected on the way are kept
 * in `rejected`, whatever wins.
 */
export function combine(results: Normalized[]): Normalized {
  if (results.length === 1) return results[0]!;
  const rejected = results.flatMap((r) => r.rejected ?? []);
  const merged = merge(results.map(({ rejected: _, ...r }) => r as Normalized));
  return rejected.length ? { ...merged, rejected } : merged;
}

function merge(results: Normalized[]): Normalized {
  const signals = results.filter((r): r is Signal => r.type !== 'no-op');
  if (signals.length === 0) {
    const first = results[0]!;
    return noop(
      first.source,
      unique(results.map((r) => (r.type === 'no-op' ? r.reason : ''))).join('; '),
      first.eventId,
    );
  }
  const best = Math.min(...signals.map((s) => RANK[s.type]));
  const first = signals.find((s) => RANK[s.type] === best)!;
  if (first.type !== 'interruption') return first;
  const same = signals.filter(
    (s): s is InterruptionSignal => s.type === 'interruption' && s.cloud === first.cloud && s.kind === first.kind,
  );
  const deadlines = same.map((s) => s.deadline).filter((d): d is string => d !== undefined);
  return compact({
    ...first,
    eventId: mergedEventId(unique(same.map((s) => s.eventId))),
    instanceIds: unique(same.flatMap((s) => s.instanceIds)),
    deadline: deadlines.length ? deadlines.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)) : undefined,
  });
}
