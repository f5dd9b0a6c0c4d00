/**
 * The HTML report of a run: one self-contained file (inline CSS and SVG, no script, font or stylesheet from
 * anywhere else) with the summary table, demand against ready capacity per cloud for the main controller,
 * cost over time for every controller, and the events and actions on a timeline.
 */
import type { Cloud } from '../../shared/domain/types.ts';
import { CLOUDS } from '../../shared/domain/types.ts';
import { TIMELINE_KINDS, type TimelineEntry } from './controller.ts';
import type { ControllerRun, RunResult } from './runner.ts';
import { summaryRows } from './summary.ts';

export interface ReportOptions {
  /** The controller whose capacity and timeline are drawn; default `autoscaler` if present, else the first. */
  primary?: string;
  title?: string;
}

const CLOUD_COLORS: Record<Cloud, string> = { aws: '#ff9900', azure: '#0078d4', gcp: '#34a853', kubernetes: '#7b61ff' };
/** Controllers by name keep their colour from report to report; others take the palette in turn. */
const CONTROLLER_COLORS: Record<string, string> = {
  autoscaler: '#d62728',
  reactive: '#1f77b4',
  hpa: '#2ca02c',
  static: '#9467bd',
  oracle: '#555555',
};
const PALETTE = ['#e377c2', '#8c564b', '#bcbd22', '#17becf', '#ff7f0e'];
const KIND_COLORS: Record<string, string> = {
  action: '#1f77b4',
  interruption: '#d62728',
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
details { margin-top: 12px; } .events td { text-align: left; white-space: normal; }
.note { color: #555; font-size: 12px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(`${hours} h from ${start}, ${result.stepSeconds} s steps, seed ${result.seed}. Demand: ${result.trace.source}${result.trace.looped ? ' (looped)' : ''}. Spot: ${result.spot.source}.`)}</p>
<h2>Summary</h2>
${summaryTable(result, primary.name)}
<p class="note">Cost excludes the capacity block's upfront fee (paid whether it is used or not, the same for every controller). SLO attainment = served / offered requests. Idle = unused share of billed capacity.</p>
<h2>Demand and ready capacity per cloud: ${esc(primary.name)}</h2>
${capacityChart(primary, result)}
<h2>Nodes serving, booting and warm: ${esc(primary.name)}</h2>
${nodesChart(primary, result)}
<h2>Cost over time</h2>
${costChart(result)}
<h2>Events and actions: ${esc(primary.name)}</h2>
${timelineChart(primary, result)}
${eventsTable(primary)}
</body>
</html>
`;
}

function summaryTable(result: RunResult, primary: string): string {
  const rows = summaryRows(result);
  const head = rows.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.rows
    .map(
      (r, i) =>
        `<tr${result.runs[i]!.name === primary ? ' class="primary"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------------------
// Charts

interface Scale {
  x: (hours: number) => number;
  y: (v: number) => number;
}

function capacityChart(run: ControllerRun, result: RunResult): string {
  const hoursOf = run.series.t.map((t) => t / 3600);
  const clouds = CLOUDS.filter((c) => run.series.capacityRpsByCloud[c].some((v) => v > 0));
  const stacked: Array<{ cloud: Cloud; lower: number[]; upper: number[] }> = [];
  let base = new Array<number>(hoursOf.length).fill(0);
  for (const c of clouds) {
    const upper = base.map((b, i) => b + run.series.capacityRpsByCloud[c][i]!);
    stacked.push({ cloud: c, lower: base, upper });
    base = upper;
  }
  const maxY = niceMax(Math.max(1, ...base, ...run.series.offeredRps));
  const s = scale(result.hours, maxY);
  const areas = stacked
    .map(({ cloud, lower, upper }) => {
      const lo = downsample(hoursOf, lower);
      const up = downsample(hoursOf, upper);
      const d = `M${up.map(([h, v]) => `${f(s.x(h))},${f(s.y(v))}`).join('L')}L${lo
        .reverse()
        .map(([h, v]) => `${f(s.x(h))},${f(s.y(v))}`)
        .join('L')}Z`;
      return `<path class="area" data-series="${cloud}" d="${d}" fill="${CLOUD_COLORS[cloud]}" fill-opacity="0.55" stroke="${CLOUD_COLORS[cloud]}" stroke-width="0.5"><title>ready capacity on ${cloud} (requests/s)</title></path>`;
    })
    .join('\n');
  const demand = linePath(downsample(hoursOf, run.series.offeredRps), s);
  const legend = [
    ...stacked.map((x) => ({ label: `${x.cloud} capacity`, color: CLOUD_COLORS[x.cloud], line: false })),
    { label: 'demand (offered)', color: '#111', line: true },
  ];
  return svg(
    'capacity',
    `Requests per second offered, and the ready capacity of ${run.name} per cloud (stacked)`,
    `${axes(s, result.hours, maxY, 'requests/s', result.startMs)}
${areas}
<path class="line" data-series="demand" d="${demand}" fill="none" stroke="#111" stroke-width="1.4"><title>demand (requests/s)</title></path>
${legendSvg(legend)}`,
  );
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
      const y = M.top + row * rowH + 5;
      return `<rect class="mark" data-kind="${esc(e.kind)}" x="${f(x(h) - 1.5)}" y="${y}" width="3" height="${rowH - 10}" fill="${color}"><title>${esc(`${clock(e.at)} ${e.kind}${e.poolId ? ` [${e.poolId}]` : ''}: ${e.message}`)}</title></rect>`;
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
        `<tr><td>${clock(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.poolId ?? '')}</td><td>${esc(e.message)}</td></tr>`,
    )
    .join('\n');
  const more =
    run.timeline.length > shown.length
      ? `<p class="note">${run.timeline.length - shown.length} more not shown.</p>`
      : '';
  return `<details><summary>All ${run.timeline.length} events and actions of ${esc(run.name)}</summary>
<table class="events"><thead><tr><th>time (UTC)</th><th>kind</th><th>pool</th><th>what</th></tr></thead><tbody>
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

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
