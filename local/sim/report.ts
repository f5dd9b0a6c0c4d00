/**
 * The HTML report of a run: one self-contained file (inline CSS and SVG, no script, font or stylesheet from
 * anywhere else) with the summary table; SLO attainment over time for every controller against the fleet's
 * target, with PASS or MISS; the main controller's capacity by type (reserved, on-demand, spot serving, then
 * booting and warm) against demand, with interruptions and launch failures marked on it; each other
 * controller's capacity as small multiples on the same scale; cost over time; the events and actions on a
 * timeline, each decision labelled with the rule that acted; and, when given, the rightsizing advice.
 */
import type { CapacityType } from '../../shared/domain/types.ts';
import type { Advice } from '../advise/evaluate.ts';
import { TIMELINE_KINDS, type TimelineEntry } from './controller.ts';
import type { ControllerRun, RunResult } from './runner.ts';
import { costRows, type SummaryRows, summaryRows } from './summary.ts';

export interface ReportOptions {
  /** The controller whose capacity and timeline are drawn; default `autoscaler` if present, else the first. */
  primary?: string;
  title?: string;
  /** The fleet's SLO target (`slo.availability`): the target line, and PASS or MISS per controller. */
  availability?: number;
  /** Rightsizing advice (`autoscaler advise`) on the same demand, shown as a section. */
  advice?: Advice;
}

/** Capacity by type: what serves (reserved, on-demand, spot), then what does not serve yet (booting, warm). */
const TYPE_LAYERS: Array<{ key: CapacityType | 'booting' | 'warm'; label: string; color: string; opacity: number }> = [
  { key: 'reserved', label: 'reserved', color: '#6a3d9a', opacity: 0.6 },
  { key: 'on-demand', label: 'on-demand', color: '#1f78b4', opacity: 0.55 },
  { key: 'spot', label: 'spot', color: '#33a02c', opacity: 0.55 },
  { key: 'booting', label: 'booting (not serving)', color: '#ff7f00', opacity: 0.3 },
  { key: 'warm', label: 'warm (stopped)', color: '#a6cee3', opacity: 0.35 },
];
const MARK_COLORS: Record<string, string> = { interruption: '#d62728', 'launch-failed': '#000000' };
/** Controllers by name keep their colour from report to report; others take the palette in turn. */
const CONTROLLER_COLORS: Record<string, string> = {
  autoscaler: '#d62728',
  reactive: '#1f77b4',
  hpa: '#2ca02c',
  static: '#9467bd',
  karpenter: '#ff7f0e',
  spothedge: '#17becf',
  oracle: '#555555',
};
const PALETTE = ['#e377c2', '#8c564b', '#bcbd22', '#17becf', '#ff7f0e'];
const KIND_COLORS: Record<string, string> = {
  action: '#1f77b4',
  interruption: '#d62728',
  'launch-failed': '#000000',
  reservation: '#9467bd',
  alarm: '#ff7f0e',
  forecast: '#2ca02c',
  schedule: '#17becf',
  note: '#7f7f7f',
  error: '#000000',
};

const W = 960;
const H = 300;
const M = { top: 16, right: 150, bottom: 36, left: 96 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
/** Points per series drawn at most (longer series are averaged into buckets). */
const MAX_POINTS = 720;

export function renderReport(result: RunResult, options: ReportOptions = {}): string {
  if (result.runs.length === 0) throw new Error('report: no controller runs');
  const primary = result.runs.find((r) => r.name === (options.primary ?? 'autoscaler')) ?? result.runs[0]!;
  const title = options.title ?? `Simulation report: fleet ${result.fleetId}`;
  const hours = result.hours;
  const start = new Date(result.startMs).toISOString().replace('.000Z', 'Z');
  const target = options.availability;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1000px; color: #1d1d1f; padding: 0 12px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #555; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e3e3e3; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f5f5f7; }
tr.primary td { font-weight: 600; }
svg.chart { display: block; width: 100%; height: auto; background: #fff; border: 1px solid #e3e3e3; border-radius: 4px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.axis line, .axis path { stroke: #999; } .grid line { stroke: #eee; }
details { margin-top: 12px; } .events td, .advice td { text-align: left; white-space: normal; }
.note { color: #555; font-size: 12px; }
.pass { color: #1b7f2a; font-weight: 600; } .miss { color: #b00020; font-weight: 600; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px; }
.multiples figure { margin: 0; } .multiples figcaption { font-size: 12px; color: #333; margin: 2px 0; }
ul.reasons { margin: 4px 0 12px 18px; padding: 0; font-size: 13px; color: #333; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(`${formatHours(hours)} from ${start}, ${result.stepSeconds} s steps, seed ${result.seed}. Demand: ${result.trace.source}${result.trace.looped ? ' (looped)' : ''}. Spot: ${result.spot.source}.`)}</p>
<h2>Summary</h2>
${summaryTable(result, primary.name)}
<p class="note">Cost excludes the capacity block's upfront fee (paid whether it is used or not, the same for every controller). SLO attainment = served / offered requests. Idle = unused share of billed capacity.</p>
<h2>Cost by kind (USD)</h2>
${rowsTable(costRows(result), result, primary.name, 'costs')}
<p class="note">Ready nodes by capacity type; nodes booting (cold launches), resuming (warm nodes started again) and draining (under a notice) serve nothing; warm prep = warm nodes launched and prepared at the running price before they stop, warm disks = stopped nodes. Each step's cost is split by what the nodes did at its start.</p>
<h2>SLO attainment over time${target !== undefined ? ` against the target ${esc(pctText(target))}` : ''}</h2>
${sloVerdicts(result, target)}
${sloChart(result, target)}
<h2>Capacity by type against demand: ${esc(primary.name)}</h2>
${capacityChart(primary, result)}
<h2>Capacity of the other controllers</h2>
${smallMultiples(result, primary)}
<h2>Nodes serving, booting and warm: ${esc(primary.name)}</h2>
${nodesChart(primary, result)}
<h2>Cost over time</h2>
${costChart(result)}
<h2>Events and actions: ${esc(primary.name)}</h2>
${timelineChart(primary, result)}
${eventsTable(primary)}
${options.advice ? adviceSection(options.advice) : ''}
</body>
</html>
`;
}

function summaryTable(result: RunResult, primary: string): string {
  return rowsTable(summaryRows(result), result, primary, 'summary');
}

function rowsTable(rows: SummaryRows, result: RunResult, primary: string, cls: string): string {
  const head = rows.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.rows
    .map(
      (r, i) =>
        `<tr${result.runs[i]!.name === primary ? ' class="primary"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------------------
// Charts

interface Scale {
  x: (hours: number) => number;
  y: (v: number) => number;
}

/** The layers of capacity by type, in requests/s per step, each stacked on the one before. */
function typeLayers(
  run: ControllerRun,
): Array<{ key: string; label: string; color: string; opacity: number; ys: number[] }> {
  const zero = run.series.t.map(() => 0);
  const of = (key: (typeof TYPE_LAYERS)[number]['key']): number[] =>
    key === 'booting'
      ? (run.series.bootingRps ?? zero)
      : key === 'warm'
        ? (run.series.warmRps ?? zero)
        : (run.series.capacityRpsByType?.[key] ?? zero);
  return TYPE_LAYERS.map((l) => ({ ...l, ys: of(l.key) })).filter((l) => l.ys.some((v) => v > 0));
}

function stackedAreas(
  hoursOf: number[],
  layers: ReturnType<typeof typeLayers>,
  s: Scale,
  maxPoints = MAX_POINTS,
): { paths: string; top: number[] } {
  let base = new Array<number>(hoursOf.length).fill(0);
  const paths: string[] = [];
  for (const l of layers) {
    const upper = base.map((b, i) => b + l.ys[i]!);
    const lo = downsample(hoursOf, base, maxPoints);
    const up = downsample(hoursOf, upper, maxPoints);
    const d = `M${up.map(([h, v]) => `${f(s.x(h))},${f(s.y(v))}`).join('L')}L${lo
      .reverse()
      .map(([h, v]) => `${f(s.x(h))},${f(s.y(v))}`)
      .join('L')}Z`;
    paths.push(
      `<path class="area" data-series="${esc(l.key)}" d="${d}" fill="${l.color}" fill-opacity="${l.opacity}" stroke="${l.color}" stroke-width="0.5"><title>${esc(l.label)} capacity (requests/s)</title></path>`,
    );
    base = upper;
  }
  return { paths: paths.join('\n'), top: base };
}

/** Interruptions and launch failures of a run, as ticks along the top of a chart. */
function eventMarks(run: ControllerRun, result: RunResult, s: Scale, height = 10): string {
  return run.timeline
    .filter((e) => e.kind === 'interruption' || e.kind === 'launch-failed')
    .slice(0, 2000)
    .map((e) => {
      const h = (e.at - result.startMs) / 3_600_000;
      const x = s.x(Math.min(result.hours, Math.max(0, h)));
      const color = MARK_COLORS[e.kind]!;
      const shape =
        e.kind === 'interruption'
          ? `<rect class="mark" data-kind="interruption" x="${f(x - 1)}" y="${M.top}" width="2" height="${height}" fill="${color}">`
          : `<path class="mark" data-kind="launch-failed" d="M${f(x - 4)},${M.top}L${f(x + 4)},${M.top}L${f(x)},${M.top + height}Z" fill="${color}">`;
      const close = e.kind === 'interruption' ? '</rect>' : '</path>';
      return `${shape}<title>${esc(`${clock(e.at)} ${e.kind}${e.poolId ? ` [${e.poolId}]` : ''}: ${e.message}`)}</title>${close}`;
    })
    .join('\n');
}

function capacityChart(run: ControllerRun, result: RunResult): string {
  const hoursOf = run.series.t.map((t) => t / 3600);
  const layers = typeLayers(run);
  const totals = hoursOf.map((_, i) => layers.reduce((a, l) => a + l.ys[i]!, 0));
  const maxY = niceMax(Math.max(1, ...totals, ...run.series.offeredRps));
  const s = scale(result.hours, maxY);
  const { paths } = stackedAreas(hoursOf, layers, s);
  const demand = linePath(downsample(hoursOf, run.series.offeredRps), s);
  const kinds = new Set(run.timeline.map((e) => e.kind));
  const legend = [
    ...layers.map((l) => ({ label: l.label, color: l.color, line: false })),
    { label: 'demand (offered)', color: '#111', line: true },
    ...(kinds.has('interruption') ? [{ label: 'interruption', color: MARK_COLORS.interruption!, line: true }] : []),
    ...(kinds.has('launch-failed')
      ? [{ label: 'launch failed', color: MARK_COLORS['launch-failed']!, line: true }]
      : []),
  ];
  return svg(
    'capacity',
    `Requests per second offered, and the capacity of ${run.name} by type (stacked): serving reserved, on-demand and spot, then booting and warm`,
    `${axes(s, result.hours, maxY, 'requests/s', result.startMs)}
${paths}
<path class="line" data-series="demand" d="${demand}" fill="none" stroke="#111" stroke-width="1.4"><title>demand (requests/s)</title></path>
${eventMarks(run, result, s)}
${legendSvg(legend)}`,
  );
}

/** Each controller but the primary: its serving capacity by type against demand, all on one scale. */
function smallMultiples(result: RunResult, primary: ControllerRun): string {
  const others = result.runs.filter((r) => r !== primary);
  if (others.length === 0) return '<p class="note">No other controller in this run.</p>';
  const servingOf = (r: ControllerRun) => typeLayers(r).filter((l) => l.key !== 'booting' && l.key !== 'warm');
  const maxY = niceMax(
    Math.max(
      1,
      ...others.flatMap((r) => {
        const layers = servingOf(r);
        return r.series.t.map((_, i) =>
          Math.max(
            r.series.offeredRps[i]!,
            layers.reduce((a, l) => a + l.ys[i]!, 0),
          ),
        );
      }),
    ),
  );
  const figures = others.map((r) => {
    const sw = 320;
    const sh = 150;
    const m = { top: 8, right: 8, bottom: 20, left: 40 };
    const x = (h: number) => m.left + (h / result.hours) * (sw - m.left - m.right);
    const y = (v: number) => m.top + (sh - m.top - m.bottom) * (1 - v / maxY);
    const s: Scale = { x, y };
    const hoursOf = r.series.t.map((t) => t / 3600);
    const { paths } = stackedAreas(hoursOf, servingOf(r), s, 240);
    const demand = linePath(downsample(hoursOf, r.series.offeredRps, 240), s);
    const marks = r.timeline
      .filter((e) => e.kind === 'interruption' || e.kind === 'launch-failed')
      .slice(0, 500)
      .map((e) => {
        const xx = x(Math.min(result.hours, Math.max(0, (e.at - result.startMs) / 3_600_000)));
        return `<rect class="mark" data-kind="${esc(e.kind)}" x="${f(xx - 0.75)}" y="${m.top}" width="1.5" height="6" fill="${MARK_COLORS[e.kind]}"><title>${esc(`${clock(e.at)} ${e.kind}: ${e.message}`)}</title></rect>`;
      })
      .join('');
    const yTicks = [0, maxY / 2, maxY]
      .map((v) => `<text x="${m.left - 4}" y="${f(y(v) + 4)}" text-anchor="end">${fmtTick(v)}</text>`)
      .join('');
    const xTicks = [0, result.hours / 2, result.hours]
      .map(
        (h, i) =>
          `<text x="${f(x(h))}" y="${sh - 6}" text-anchor="${['start', 'middle', 'end'][i]}">${axisLabel(result.startMs, h)}</text>`,
      )
      .join('');
    const sum = r.summary;
    return `<figure><figcaption>${esc(`${r.name}: SLO ${pctText(sum.slo_attainment)}, $${sum.cost_usd.toFixed(2)}`)}</figcaption>
<svg class="chart small" data-chart="multiple" data-controller="${esc(r.name)}" viewBox="0 0 ${sw} ${sh}" role="img" aria-label="${esc(`capacity of ${r.name} by type against demand`)}" xmlns="http://www.w3.org/2000/svg">
<line x1="${m.left}" x2="${sw - m.right}" y1="${f(y(0))}" y2="${f(y(0))}" stroke="#999"/>
${paths}
<path class="line" data-series="demand" d="${demand}" fill="none" stroke="#111" stroke-width="1"><title>demand (requests/s)</title></path>
${marks}${yTicks}${xTicks}
</svg></figure>`;
  });
  return `<div class="multiples">${figures.join('\n')}</div>
<p class="note">Serving capacity by type (reserved purple, on-demand blue, spot green) in requests/s against demand (black), on one scale; interruptions in red, launch failures in black along the top.</p>`;
}

// ---------------------------------------------------------------------------------------------------------
// SLO attainment over time

/** Windows of about 1/96 of the run (15 minutes in a day), whole steps, at least one step. */
export function sloWindows(
  series: { t: number[]; offeredRps: number[]; servedRps: number[] },
  stepSeconds: number,
  hours: number,
): Array<{ from: number; to: number; attainment: number | undefined }> {
  const per = Math.max(1, Math.round((hours * 3600) / 96 / stepSeconds));
  const out: Array<{ from: number; to: number; attainment: number | undefined }> = [];
  for (let k = 0; k < series.t.length; k += per) {
    let offered = 0;
    let served = 0;
    const end = Math.min(series.t.length, k + per);
    for (let i = k; i < end; i++) {
      offered += series.offeredRps[i]!;
      served += series.servedRps[i]!;
    }
    out.push({
      from: series.t[k]! / 3600,
      to: (series.t[end - 1]! + stepSeconds) / 3600,
      attainment: offered > 0 ? served / offered : undefined,
    });
  }
  return out;
}

export function verdict(attainment: number, target: number): 'PASS' | 'MISS' {
  return attainment >= target ? 'PASS' : 'MISS';
}

function sloVerdicts(result: RunResult, target: number | undefined): string {
  const rows = result.runs
    .map((r) => {
      const a = r.summary.slo_attainment;
      const v = target === undefined ? '' : verdict(a, target);
      return `<tr><td>${esc(r.name)}</td><td>${pctText(a)}</td><td>${pctText(r.summary.worst_hour_slo)}</td><td>${
        v ? `<span class="${v.toLowerCase()}">${v}</span>` : '-'
      }</td></tr>`;
    })
    .join('\n');
  return `<table class="slo"><thead><tr><th>controller</th><th>SLO attainment</th><th>worst hour</th><th>${
    target === undefined ? 'target not given' : `target ${pctText(target)}`
  }</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function sloChart(result: RunResult, target: number | undefined): string {
  const windows = result.runs.map((r) => sloWindows(r.series, result.stepSeconds, result.hours));
  const values = windows.flatMap((w) => w.flatMap((x) => (x.attainment === undefined ? [] : [x.attainment])));
  // The axis shows what matters near the top: from a round percentage below the lowest value and the target.
  const low = Math.min(1, ...values, ...(target !== undefined ? [target] : []));
  const span = 1 - low;
  const step = span <= 0.002 ? 0.0005 : span <= 0.01 ? 0.002 : span <= 0.05 ? 0.01 : span <= 0.2 ? 0.05 : 0.1;
  const minY = Math.max(0, Math.floor((low - step / 2) / step) * step);
  const x = (h: number) => M.left + (h / result.hours) * PW;
  const y = (v: number) => M.top + PH - ((v - minY) / (1 - minY)) * PH;
  const legend: Array<{ label: string; color: string; line: boolean }> = [];
  const lines = result.runs
    .map((run, i) => {
      const color = CONTROLLER_COLORS[run.name] ?? PALETTE[i % PALETTE.length]!;
      const v = target === undefined ? '' : ` ${verdict(run.summary.slo_attainment, target)}`;
      legend.push({ label: `${run.name}${v}`, color, line: true });
      const segs: string[] = [];
      let pen = 'M';
      for (const w of windows[i]!) {
        if (w.attainment === undefined) {
          pen = 'M';
          continue;
        }
        segs.push(`${pen}${f(x(w.from))},${f(y(w.attainment))}L${f(x(w.to))},${f(y(w.attainment))}`);
        pen = 'L';
      }
      const style = run.name === 'oracle' ? ' stroke-dasharray="5 3"' : '';
      return `<path class="line" data-series="${esc(run.name)}" d="${segs.join('') || `M${M.left},${f(y(1))}`}" fill="none" stroke="${color}" stroke-width="1.6"${style}><title>${esc(`${run.name}: served / offered per window (overall ${pctText(run.summary.slo_attainment)})`)}</title></path>`;
    })
    .join('\n');
  const ticks: number[] = [];
  for (let v = minY; v <= 1 + 1e-9; v += step) ticks.push(v);
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${M.left}" x2="${M.left + PW}" y1="${f(y(v))}" y2="${f(y(v))}"/><text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end" stroke="none">${pctTick(v, step)}</text>`,
    )
    .join('');
  const xLabels = timeTicks(result.hours)
    .map(
      (h) =>
        `<line x1="${f(x(h))}" x2="${f(x(h))}" y1="${M.top + PH}" y2="${M.top + PH + 4}" stroke="#999"/><text x="${f(x(h))}" y="${M.top + PH + 16}" text-anchor="middle">${axisLabel(result.startMs, h)}</text>`,
    )
    .join('');
  const targetLine =
    target === undefined
      ? ''
      : `<line class="target" data-series="target" x1="${M.left}" x2="${M.left + PW}" y1="${f(y(target))}" y2="${f(y(target))}" stroke="#b00020" stroke-width="1.2" stroke-dasharray="6 4"><title>target ${esc(pctText(target))}</title></line>
<text x="${M.left + PW - 4}" y="${f(y(target) - 4)}" text-anchor="end" fill="#b00020">target ${esc(pctText(target))}</text>`;
  if (target !== undefined) legend.push({ label: `target ${pctText(target)}`, color: '#b00020', line: true });
  return svg(
    'slo',
    'SLO attainment (served / offered requests) of every controller over time, per window, against the target',
    `<g class="grid">${grid}</g>
<g class="axis"><line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/></g>
${xLabels}
<text x="14" y="${M.top + PH / 2}" transform="rotate(-90 14 ${M.top + PH / 2})" text-anchor="middle">served / offered</text>
${targetLine}
${lines}
${legendSvg(legend)}`,
  );
}

const pctText = (v: number) => `${(v * 100).toFixed(3).replace(/\.?0+$/, '')}%`;
const pctTick = (v: number, step: number) => `${(v * 100).toFixed(step < 0.001 ? 2 : step < 0.01 ? 1 : 0)}%`;

// ---------------------------------------------------------------------------------------------------------
// Advice

function adviceSection(a: Advice): string {
  const rows = a.recommendations
    .map(
      (r) =>
        `<tr><td>${esc(r.kind)}</td><td>${esc(r.advice)}</td><td>${
          r.chosen
            ? esc(`${r.delta_usd_per_month <= 0 ? '-' : '+'}$${Math.abs(r.delta_usd_per_month).toFixed(0)}`)
            : '-'
        }</td><td>${r.chosen ? esc(`${r.delta_slo >= 0 ? '+' : ''}${(r.delta_slo * 100).toFixed(3)} pt`) : '-'}</td></tr>`,
    )
    .join('\n');
  const details = a.recommendations
    .map(
      (r) =>
        `<p><strong>${esc(r.kind)}</strong>: ${esc(r.question)}</p><ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`,
    )
    .join('\n');
  return `<h2>Rightsizing advice: fleet ${esc(a.fleetId)}</h2>
<p class="meta">${esc(`Each option simulated on this run's demand (${formatHours(a.demand.hours)}) with the ${a.controller} controller; as configured: $${a.current.usd_per_month.toFixed(0)}/month, SLO ${pctText(a.current.slo_attainment)}; target ${pctText(a.availability)}.`)}</p>
<table class="advice"><thead><tr><th>question</th><th>advice</th><th>$/month</th><th>SLO</th></tr></thead><tbody>
${rows}
</tbody></table>
<details><summary>Figures behind each answer</summary>
${details}
</details>`;
}

/** Nodes serving, booting (launched or resumed, not serving yet) and warm (stopped, disks billed) over time. */
function nodesChart(run: ControllerRun, result: RunResult): string {
  const hoursOf = run.series.t.map((t) => t / 3600);
  const series: Array<{ label: string; color: string; ys: number[] }> = [
    { label: 'serving', color: '#2e7d32', ys: run.series.readyNodes },
    { label: 'booting', color: '#ef6c00', ys: run.series.bootingNodes },
    { label: 'warm (stopped)', color: '#1565c0', ys: run.series.warmNodes },
  ];
  const maxY = niceMax(Math.max(1, ...series.flatMap((x) => x.ys)));
  const s = scale(result.hours, maxY);
  const lines = series
    .map(
      (x) =>
        `<path class="line" data-series="${esc(x.label)}" d="${linePath(downsample(hoursOf, x.ys), s)}" fill="none" stroke="${x.color}" stroke-width="1.8"><title>${esc(x.label)} nodes</title></path>`,
    )
    .join('\n');
  const legend = series.map((x) => ({ label: x.label, color: x.color, line: true }));
  return svg(
    'nodes',
    `Nodes serving, booting and warm of ${run.name}`,
    `${axes(s, result.hours, maxY, 'nodes', result.startMs)}\n${lines}\n${legendSvg(legend)}`,
  );
}

function costChart(result: RunResult): string {
  const maxY = niceMax(Math.max(1, ...result.runs.map((r) => r.series.costUsd[r.series.costUsd.length - 1] ?? 0)));
  const s = scale(result.hours, maxY);
  const legend: Array<{ label: string; color: string; line: boolean }> = [];
  const lines = result.runs
    .map((run, i) => {
      const color = CONTROLLER_COLORS[run.name] ?? PALETTE[i % PALETTE.length]!;
      legend.push({ label: run.name, color, line: true });
      const style = run.name === 'oracle' ? ' stroke-dasharray="5 3"' : '';
      // Cost at the end of each step: x = end of the step.
      const xs = run.series.t.map((t) => (t + result.stepSeconds) / 3600);
      const d = linePath([[0, 0], ...downsample(xs, run.series.costUsd)], s);
      return `<path class="line" data-series="${esc(run.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${style}><title>${esc(run.name)}: cost so far (USD)</title></path>`;
    })
    .join('\n');
  return svg(
    'cost',
    'Cost so far of every controller, USD',
    `${axes(s, result.hours, maxY, 'USD', result.startMs)}\n${lines}\n${legendSvg(legend)}`,
  );
}

function timelineChart(run: ControllerRun, result: RunResult): string {
  const present = [...new Set(run.timeline.map((e) => e.kind))];
  const kinds = [
    ...TIMELINE_KINDS.filter((k) => present.includes(k)),
    ...present.filter((k) => !(TIMELINE_KINDS as readonly string[]).includes(k)).sort(),
  ];
  const rows = Math.max(1, kinds.length);
  const rowH = 26;
  const height = M.top + M.bottom + rows * rowH;
  const left = M.left;
  const width = PW;
  const x = (h: number) => left + (h / result.hours) * width;
  const marks = run.timeline
    .slice(0, 5000)
    .map((e) => {
      const row = kinds.indexOf(e.kind);
      const h = (e.at - result.startMs) / 3_600_000;
      const color = KIND_COLORS[e.kind] ?? '#444';
      // Routine ticks (a forecast or note every few minutes) are thin and short, so they do not fill their lane.
      const routine = e.kind === 'forecast' || e.kind === 'note';
      const y = M.top + row * rowH + (routine ? 9 : 5);
      return `<rect class="mark" data-kind="${esc(e.kind)}"${e.rule ? ` data-rule="${esc(e.rule)}"` : ''} x="${f(x(h) - (routine ? 0.5 : 1.5))}" y="${y}" width="${routine ? 1 : 3}" height="${rowH - (routine ? 18 : 10)}" fill="${color}"${routine ? ' fill-opacity="0.6"' : ''}><title>${esc(`${clock(e.at)} ${e.rule ?? e.kind}${e.poolId ? ` [${e.poolId}]` : ''}: ${e.message}`)}</title></rect>`;
    })
    .join('\n');
  const labels = kinds
    .map((k, i) => `<text x="${left - 6}" y="${M.top + i * rowH + rowH / 2 + 4}" text-anchor="end">${esc(k)}</text>`)
    .join('\n');
  const grid = kinds
    .map(
      (_, i) =>
        `<line x1="${left}" x2="${left + width}" y1="${M.top + (i + 1) * rowH}" y2="${M.top + (i + 1) * rowH}" stroke="#eee"/>`,
    )
    .join('');
  const ticks = timeTicks(result.hours)
    .map(
      (h) =>
        `<line x1="${f(x(h))}" x2="${f(x(h))}" y1="${height - M.bottom}" y2="${height - M.bottom + 4}" stroke="#999"/><text x="${f(x(h))}" y="${height - M.bottom + 16}" text-anchor="middle">${axisLabel(result.startMs, h)}</text>`,
    )
    .join('');
  const empty = run.timeline.length === 0 ? `<text x="${left + 8}" y="${M.top + 16}">no events</text>` : '';
  return `<svg class="chart" data-chart="timeline" viewBox="0 0 ${W} ${height}" role="img" aria-label="Events and actions of ${esc(run.name)} over time" xmlns="http://www.w3.org/2000/svg">
<rect x="${left}" y="${M.top}" width="${width}" height="${rows * rowH}" fill="#fafafa" stroke="#ddd"/>
${grid}
${labels}
<line class="axis" x1="${left}" x2="${left + width}" y1="${height - M.bottom}" y2="${height - M.bottom}" stroke="#999"/>
${ticks}
${marks}
${empty}
</svg>`;
}

function eventsTable(run: ControllerRun): string {
  const shown = run.timeline.slice(0, 2000);
  const rows = shown
    .map(
      (e: TimelineEntry) =>
        `<tr><td>${clock(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.rule ?? '')}</td><td>${esc(e.poolId ?? '')}</td><td>${esc(e.message)}</td></tr>`,
    )
    .join('\n');
  const more =
    run.timeline.length > shown.length
      ? `<p class="note">${run.timeline.length - shown.length} more not shown.</p>`
      : '';
  return `<details><summary>All ${run.timeline.length} events and actions of ${esc(run.name)}</summary>
<table class="events"><thead><tr><th>time (UTC)</th><th>kind</th><th>rule that acted</th><th>pool</th><th>what</th></tr></thead><tbody>
${rows}
</tbody></table>${more}</details>`;
}

// ---------------------------------------------------------------------------------------------------------
// SVG helpers

function svg(name: string, label: string, body: string): string {
  return `<svg class="chart" data-chart="${name}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">
${body}
</svg>`;
}

function scale(hours: number, maxY: number): Scale {
  return {
    x: (h) => M.left + (h / hours) * PW,
    y: (v) => M.top + PH - (v / maxY) * PH,
  };
}

function axes(s: Scale, hours: number, maxY: number, unit: string, startMs: number): string {
  const step = niceStep(maxY);
  const yTicks: number[] = [];
  for (let v = 0; v <= maxY + step / 1000; v += step) yTicks.push(v);
  const grid = yTicks
    .map((v) => `<line x1="${M.left}" x2="${M.left + PW}" y1="${f(s.y(v))}" y2="${f(s.y(v))}"/>`)
    .join('');
  const yLabels = yTicks
    .map((v) => `<text x="${M.left - 6}" y="${f(s.y(v) + 4)}" text-anchor="end">${fmtTick(v)}</text>`)
    .join('');
  const xLabels = timeTicks(hours)
    .map(
      (h) =>
        `<line x1="${f(s.x(h))}" x2="${f(s.x(h))}" y1="${M.top + PH}" y2="${M.top + PH + 4}" stroke="#999"/><text x="${f(s.x(h))}" y="${M.top + PH + 16}" text-anchor="middle">${axisLabel(startMs, h)}</text>`,
    )
    .join('');
  return `<g class="grid">${grid}</g>
<g class="axis"><line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/></g>
${yLabels}${xLabels}
<text x="14" y="${M.top + PH / 2}" transform="rotate(-90 14 ${M.top + PH / 2})" text-anchor="middle">${esc(unit)}</text>`;
}

function legendSvg(items: Array<{ label: string; color: string; line: boolean }>): string {
  const x = M.left + PW + 14;
  return items
    .map((it, i) => {
      const y = M.top + 8 + i * 18;
      const mark = it.line
        ? `<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${it.color}" stroke-width="2"/>`
        : `<rect x="${x}" y="${y - 6}" width="16" height="12" fill="${it.color}" fill-opacity="0.55"/>`;
      return `${mark}<text x="${x + 22}" y="${y + 4}">${esc(it.label)}</text>`;
    })
    .join('\n');
}

function linePath(points: Array<[number, number]>, s: Scale): string {
  return `M${points.map(([h, v]) => `${f(s.x(h))},${f(s.y(v))}`).join('L')}`;
}

/** Averages a series into at most MAX_POINTS buckets. */
export function downsample(xs: number[], ys: number[], max = MAX_POINTS): Array<[number, number]> {
  if (xs.length <= max) return xs.map((x, i) => [x, ys[i]!]);
  const out: Array<[number, number]> = [];
  const size = xs.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * size);
    const to = Math.max(from + 1, Math.floor((b + 1) * size));
    let sum = 0;
    for (let i = from; i < to; i++) sum += ys[i]!;
    out.push([xs[from]!, sum / (to - from)]);
  }
  return out;
}

function timeTicks(hours: number): number[] {
  const every = hours <= 3 ? 0.5 : hours <= 12 ? 1 : hours <= 48 ? 3 : 24;
  const out: number[] = [];
  for (let h = 0; h <= hours + 1e-9; h += every) out.push(h);
  return out;
}

/** A round tick step for about five ticks up to `v`. */
function niceStep(v: number): number {
  const raw = v / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The top of the axis: `v` rounded up to a whole number of tick steps. */
function niceMax(v: number): number {
  const step = niceStep(v);
  return Math.ceil(v / step - 1e-9) * step;
}

function fmtTick(v: number): string {
  return v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(1)}`;
}

/** An axis label `hours` into the run: the UTC time, with the day after the first (`+1d 06:00`). */
function axisLabel(startMs: number, hours: number): string {
  const day = Math.floor(hours / 24 + 1e-9);
  const time = clock(startMs + hours * 3_600_000);
  if (day === 0) return time;
  return time === '00:00' ? `+${day}d` : `+${day}d ${time}`;
}

/** A run's length for people: `22 h 20 min`, `45 min`, `3 d 2 h`. */
export function formatHours(hours: number): string {
  const minutes = Math.round(hours * 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : `${Math.round(hours * 3600)} s`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
