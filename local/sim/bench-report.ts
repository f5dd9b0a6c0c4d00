/**
 * The benchmark's HTML report (`npm run bench` writes it): for each scenario, a cost-versus-SLO chart (the
 * autoscaler's point for each availability target, joined in target order, and each baseline's point) and
 * the figures behind it. One self-contained file: inline SVG and CSS, no script, nothing fetched.
 *
 * Axes: cost as a multiple of the oracle's (log scale); SLO attainment in "nines", -log10(1 - SLO), so that
 * 99%, 99.9% and 99.99% are evenly spaced (100% is drawn at the top, beyond 99.999%).
 */

export interface BenchPoint {
  cost_usd: number;
  slo_attainment: number;
  worst_hour_slo?: number;
}

export interface BenchScenario {
  name: string;
  notes?: string[];
  /** By availability target (`0.999`). */
  autoscaler: Record<string, BenchPoint>;
  /** By baseline name; `oracle` sets the cost scale. */
  baselines: Record<string, BenchPoint>;
  /** PASS/MISS lines for the scenario. */
  targets?: Array<{ target: string; pass: boolean; detail: string }>;
  unservable?: string;
}

export interface BenchReport {
  title: string;
  /** How the figures were produced (command, machine, seed). */
  subtitle: string;
  scenarios: BenchScenario[];
  /** Extra preformatted sections (forecast accuracy, ...). */
  sections?: Array<{ title: string; text: string }>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number, d = 3) => `${(x * 100).toFixed(d)}%`;

const MAX_NINES = 5.3;
/** SLO attainment in nines, 100% drawn at the top. */
export const nines = (slo: number) => (slo >= 1 ? MAX_NINES : Math.min(MAX_NINES, Math.max(0, -Math.log10(1 - slo))));

const COLORS: Record<string, string> = {
  autoscaler: '#1565c0',
  reactive: '#8d6e63',
  hpa: '#f9a825',
  karpenter: '#c62828',
  spothedge: '#00838f',
  static: '#6a1b9a',
  oracle: '#2e7d32',
};

/** One scenario's chart: SVG with one `<g data-point>` per point. */
export function costSloChart(s: BenchScenario): string {
  const W = 460;
  const H = 300;
  const M = { left: 56, right: 16, top: 16, bottom: 40 };
  const oracleCost = s.baselines.oracle?.cost_usd;
  const scale = oracleCost && oracleCost > 0 ? oracleCost : 1;
  const points = [
    ...Object.entries(s.autoscaler).map(([t, p]) => ({ who: 'autoscaler', label: `autoscaler @${t}`, p })),
    ...Object.entries(s.baselines).map(([b, p]) => ({ who: b, label: b, p })),
  ].filter((x) => x.p.cost_usd > 0);
  const xs = points.map((x) => Math.log10(x.p.cost_usd / scale));
  const x0 = Math.floor(Math.min(0, ...xs) * 4) / 4 - 0.05;
  let x1 = Math.ceil(Math.max(0.2, ...xs) * 4) / 4 + 0.05;
  if (x1 - x0 < 0.5) x1 = x0 + 0.5;
  const ys = points.map((x) => nines(x.p.slo_attainment));
  const y0 = Math.max(0, Math.floor(Math.min(2, ...ys)));
  const y1 = MAX_NINES;
  const px = (v: number) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="#fafafa" stroke="#ccc"/>`,
  );
  for (let n = Math.ceil(y0); n <= 5; n++) {
    const label = n === 0 ? '0%' : `${(100 - 100 * 10 ** -n).toFixed(Math.max(0, n - 2))}%`;
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(n).toFixed(1)}" y2="${py(n).toFixed(1)}" stroke="#e0e0e0"${n === 3 ? ' stroke-dasharray="4 3" stroke="#999"' : ''}/>`,
      `<text x="${M.left - 4}" y="${(py(n) + 4).toFixed(1)}" font-size="10" text-anchor="end">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${M.left - 4}" y="${(py(MAX_NINES) + 4).toFixed(1)}" font-size="10" text-anchor="end">100%</text>`,
  );
  for (const m of [0.5, 1, 1.5, 2, 3, 5, 10, 20, 50]) {
    const v = Math.log10(m);
    if (v < x0 || v > x1) continue;
    parts.push(
      `<line x1="${px(v).toFixed(1)}" x2="${px(v).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e0e0e0"${m === 1.5 ? ' stroke-dasharray="4 3" stroke="#999"' : ''}/>`,
      `<text x="${px(v).toFixed(1)}" y="${H - M.bottom + 14}" font-size="10" text-anchor="middle">${m}x</text>`,
    );
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">cost / oracle's (log)</text>`,
    `<text x="12" y="${(M.top + H - M.bottom) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${(M.top + H - M.bottom) / 2})">SLO attainment</text>`,
  );
  const auto = points.filter((x) => x.who === 'autoscaler');
  if (auto.length > 1) {
    const d = auto
      .map(
        (x, i) =>
          `${i ? 'L' : 'M'}${px(Math.log10(x.p.cost_usd / scale)).toFixed(1)},${py(nines(x.p.slo_attainment)).toFixed(1)}`,
      )
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS.autoscaler}" stroke-width="1.5"/>`);
  }
  for (const x of points) {
    const cx = px(Math.log10(x.p.cost_usd / scale));
    const cy = py(nines(x.p.slo_attainment));
    const color = COLORS[x.who] ?? '#455a64';
    parts.push(
      `<g data-point="${esc(x.label)}"><circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4" fill="${color}"/>` +
        `<text x="${(cx + 6).toFixed(1)}" y="${(cy - 5).toFixed(1)}" font-size="10" fill="${color}">${esc(x.label)}</text>` +
        `<title>${esc(`${x.label}: ${pct(x.p.slo_attainment)} at $${x.p.cost_usd.toFixed(2)} (${(x.p.cost_usd / scale).toFixed(2)}x oracle)`)}</title></g>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" data-chart="cost-slo" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`cost versus SLO, ${s.name}`)}">${parts.join('')}</svg>`;
}

function scenarioSection(s: BenchScenario): string {
  const oracle = s.baselines.oracle?.cost_usd;
  const row = (who: string, p: BenchPoint) =>
    `<tr><td>${esc(who)}</td><td>${pct(p.slo_attainment)}</td><td>${p.worst_hour_slo === undefined ? '-' : pct(p.worst_hour_slo, 2)}</td><td>$${p.cost_usd.toFixed(2)}</td><td>${oracle ? (p.cost_usd / oracle).toFixed(2) : '-'}</td></tr>`;
  const rows = [
    ...Object.entries(s.autoscaler).map(([t, p]) => row(`autoscaler @${t}`, p)),
    ...Object.entries(s.baselines).map(([b, p]) => row(b, p)),
  ].join('');
  const targets = (s.targets ?? [])
    .map(
      (t) =>
        `<li class="${t.pass ? 'pass' : 'miss'}">${t.pass ? 'PASS' : 'MISS'} ${esc(t.target)}: ${esc(t.detail)}</li>`,
    )
    .join('');
  return `<section class="scenario"><h2>${esc(s.name)}</h2>${(s.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join('')}
<div class="row">${costSloChart(s)}
<table><thead><tr><th>controller</th><th>SLO</th><th>worst hour</th><th>cost</th><th>x oracle</th></tr></thead><tbody>${rows}</tbody></table></div>
${targets ? `<ul class="targets">${targets}</ul>` : ''}${s.unservable ? `<p class="note">${esc(s.unservable)}</p>` : ''}</section>`;
}

export function renderBenchReport(r: BenchReport): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin:0 0 4px}
.scenario{border-top:1px solid #ddd;padding:12px 0}
.row{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
tr:nth-child(even){background:#f5f5f5}.note{font-size:12px;color:#555;margin:2px 0}
.pass{color:#2e7d32}.miss{color:#c62828}ul.targets{font-size:12px}pre{font-size:12px;background:#f5f5f5;padding:8px;overflow:auto}
</style></head><body>
<h1>${esc(r.title)}</h1><p class="note">${esc(r.subtitle)}</p>
${r.scenarios.map(scenarioSection).join('\n')}
${(r.sections ?? []).map((x) => `<section><h2>${esc(x.title)}</h2><pre>${esc(x.text)}</pre></section>`).join('\n')}
</body></html>
`;
}
