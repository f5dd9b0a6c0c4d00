/**
 * The run's figures as a table (terminal and report) and as the `--json` object.
 */
import { COST_KINDS, type CostKind } from './cost-breakdown.ts';
import type { ControllerSummary, RunResult } from './runner.ts';

export interface SummaryRows {
  header: string[];
  rows: string[][];
}

export function summaryRows(result: RunResult): SummaryRows {
  const oracle = result.runs.find((r) => r.name === 'oracle');
  const header = [
    'controller',
    'cost USD',
    'x oracle',
    'SLO',
    'worst hour',
    'unserved',
    'GPU-h',
    'idle',
    'actions',
    'interruptions',
    'max replace',
  ];
  const rows = result.runs.map((r) => {
    const s = r.summary;
    const ratio = oracle && oracle.summary.cost_usd > 0 ? (s.cost_usd / oracle.summary.cost_usd).toFixed(2) : '-';
    return [
      r.name,
      s.cost_usd.toFixed(2),
      ratio,
      `${(s.slo_attainment * 100).toFixed(3)}%`,
      `${(s.worst_hour_slo * 100).toFixed(2)}%`,
      Math.round(s.unserved_requests).toLocaleString('en-US'),
      s.gpu_hours.toFixed(1),
      `${(s.idle_fraction * 100).toFixed(1)}%`,
      String(s.scaling_actions),
      String(s.interruptions),
      s.max_replacement_seconds === null ? '-' : `${Math.round(s.max_replacement_seconds)} s`,
    ];
  });
  return { header, rows };
}

const KIND_LABELS: Record<CostKind, string> = {
  running_on_demand: 'on-demand',
  running_spot: 'spot',
  running_reserved: 'reserved',
  booting: 'booting',
  resuming: 'resuming',
  draining: 'draining',
  warm_preparing: 'warm prep',
  warm_disks: 'warm disks',
};

/**
 * Where each controller's cost went (cost-breakdown.ts), USD: running by capacity type, booting, resuming,
 * draining, warm preparations and warm disks; kinds no controller paid for are left out.
 */
export function costRows(result: RunResult): SummaryRows {
  const kinds = COST_KINDS.filter((k) => result.runs.some((r) => r.summary.cost_breakdown.by_kind[k] >= 0.005));
  const header = ['controller', 'cost USD', ...kinds.map((k) => KIND_LABELS[k]), 'warm preparations'];
  const rows = result.runs.map((r) => {
    const b = r.summary.cost_breakdown;
    const prepared = Object.values(b.warm_preparations).reduce((a, n) => a + n, 0);
    return [r.name, r.summary.cost_usd.toFixed(2), ...kinds.map((k) => b.by_kind[k].toFixed(2)), String(prepared)];
  });
  return { header, rows };
}

/** The cost breakdown as a plain-text table (see `costRows`). */
export function formatCostTable(result: RunResult): string {
  return formatRows(costRows(result));
}

/** A plain-text table, columns aligned (numbers right, the first column left). */
export function formatSummaryTable(result: RunResult): string {
  return formatRows(summaryRows(result));
}

function formatRows({ header, rows }: SummaryRows): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The `--json` object: the run's settings, and each controller's figures by name. */
export function summaryJson(result: RunResult): {
  run: {
    start: string;
    hours: number;
    step_seconds: number;
    seed: number;
    trace: string;
    trace_looped: boolean;
    spot: string;
    fleet: string;
  };
  results: Record<string, ControllerSummary>;
} {
  return {
    run: {
      start: new Date(result.startMs).toISOString(),
      hours: result.hours,
      step_seconds: result.stepSeconds,
      seed: result.seed,
      trace: result.trace.source,
      trace_looped: result.trace.looped,
      spot: result.spot.source,
      fleet: result.fleetId,
    },
    results: Object.fromEntries(result.runs.map((r) => [r.name, r.summary])),
  };
}
