/**
 * Each candidate's options simulated on the fleet's recorded demand: the same run (trace, spot process,
 * seed, physics) as `autoscaler simulate`, with one controller, on the configuration as it is and with each
 * option applied. What an option costs per month and what it does to the SLO are the differences to the
 * configuration as it is. The option chosen per question is the cheapest whose SLO attainment reaches the
 * fleet's `slo.availability` (or, if none does, the one with the highest attainment), kept only when it is
 * cheaper than, or serves more than, the configuration as it is.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../../shared/config/load.ts';
import type { Config } from '../../shared/config/schema.ts';
import type { Controller, AutoscalerControllerOptions } from '../sim/controller.ts';
import type { DemoFleet } from '../sim/demo.ts';
import { demoFromConfig } from '../sim/from-config.ts';
import { runSimulation } from '../sim/runner.ts';
import type { SpotSchedule } from '../sim/spot.ts';
import { type DemandTrace, offeredRequests } from '../sim/trace.ts';
import { type Candidate, HOURS_PER_MONTH, type RecommendationKind } from './recommend.ts';

export interface Simulated {
  label: string;
  cost_usd: number;
  usd_per_month: number;
  slo_attainment: number;
  worst_hour_slo: number;
  /** Served / serving capacity over the run (every serving node is equally busy in the physics). */
  utilization: number;
}

export interface Recommendation {
  kind: RecommendationKind;
  question: string;
  /** The option chosen, or undefined when the configuration as it is stays best. */
  chosen?: string;
  /** One line: what to do. */
  advice: string;
  reasons: string[];
  /** Chosen option minus the configuration as it is (0 when nothing is chosen). */
  delta_usd_per_month: number;
  delta_slo: number;
  options: Simulated[];
  prices?: Record<string, number>;
}

export interface Advice {
  fleetId: string;
  demand: { source: string; hours: number; steps: number; peak_rps: number; mean_rps: number };
  availability: number;
  controller: string;
  current: Simulated;
  recommendations: Recommendation[];
}

export interface EvaluateOptions {
  resolved: ResolvedConfig;
  fleetId: string;
  candidates: Candidate[];
  trace: DemandTrace;
  /** The spot process for a fleet (each option's World has the same pools' spot slots). */
  spot: (demo: DemoFleet) => SpotSchedule;
  hours: number;
  seed: number;
  stepSeconds: number;
  /** The controller each option runs under (the autoscaler, through its handlers, by default). */
  controller: (options: AutoscalerControllerOptions) => Promise<Controller>;
  cwd: string;
  /** Replaces the fleet's `slo.availability` (the autoscaler's target and the choice's). */
  availability?: number;
  /** When each option's run starts (ms; default the demo's start): a dated trace's own (`alignedStart`). */
  startMs?: number;
  log: (line: string) => void;
  /** Called after each simulation (progress). */
  onSimulated?: (done: number, total: number) => void;
}

export async function evaluate(o: EvaluateOptions): Promise<Advice> {
  const fleet = o.resolved.fleets.find((f) => f.id === o.fleetId);
  if (!fleet) throw new Error(`no fleet '${o.fleetId}' in the configuration`);
  const availability = o.availability ?? fleet.slo.availability;
  const dir = await mkdtemp(join(tmpdir(), 'autoscaler-advise-'));
  const total = 1 + o.candidates.reduce((n, c) => n + c.options.length, 0);
  let done = 0;
  let controllerName = '';
  try {
    const simulate = async (label: string, config: Config): Promise<Simulated> => {
      const resolved = resolveConfig(config, `${label} (advise)`);
      const demo = demoFromConfig(resolved, {
        fleetId: o.fleetId,
        ...(o.startMs !== undefined ? { startMs: o.startMs } : {}),
      });
      const file = join(dir, `config-${done}.json`);
      const { $schema: _s, ...plain } = config as Config & { $schema?: string };
      await writeFile(file, JSON.stringify(plain), 'utf8');
      const controller = await o.controller({
        demo,
        configFile: file,
        seed: o.seed,
        hours: o.hours,
        stepSeconds: o.stepSeconds,
        cwd: o.cwd,
        log: o.log,
        ...(o.availability !== undefined ? { availability: o.availability } : {}),
      });
      controllerName = controller.name;
      const result = await runSimulation({
        trace: o.trace,
        spot: o.spot(demo),
        demo,
        hours: o.hours,
        seed: o.seed,
        stepSeconds: o.stepSeconds,
        controllers: [controller],
      });
      const run = result.runs[0]!;
      const s = run.summary;
      let served = 0;
      let capacity = 0;
      run.series.t.forEach((_, k) => {
        served += run.series.servedRps[k]!;
        for (const c of Object.values(run.series.capacityRpsByCloud)) capacity += c[k]!;
      });
      o.onSimulated?.(++done, total);
      return {
        label,
        cost_usd: s.cost_usd,
        usd_per_month: (s.cost_usd * HOURS_PER_MONTH) / o.hours,
        slo_attainment: s.slo_attainment,
        worst_hour_slo: s.worst_hour_slo,
        utilization: capacity > 0 ? served / capacity : 0,
      };
    };

    const current = await simulate('as configured', o.resolved.config);
    const recommendations: Recommendation[] = [];
    for (const c of o.candidates) {
      const options: Simulated[] = [];
      for (const option of c.options) options.push(await simulate(option.label, option.apply!(o.resolved.config)));
      recommendations.push(choose(c, current, options, availability));
    }
    const rps = o.trace.points.length ? demandFigures(o) : { peak_rps: 0, mean_rps: 0 };
    return {
      fleetId: o.fleetId,
      demand: { source: o.trace.source, hours: o.hours, steps: Math.ceil((o.hours * 3600) / o.stepSeconds), ...rps },
      availability,
      controller: controllerName,
      current,
      recommendations,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function demandFigures(o: EvaluateOptions): { peak_rps: number; mean_rps: number } {
  const steps = Math.ceil((o.hours * 3600) / o.stepSeconds);
  let peak = 0;
  let sum = 0;
  for (let k = 0; k < steps; k++) {
    const r = rpsAt(o.trace, k * o.stepSeconds, (k + 1) * o.stepSeconds);
    peak = Math.max(peak, r);
    sum += r;
  }
  return { peak_rps: peak, mean_rps: steps ? sum / steps : 0 };
}

function rpsAt(trace: DemandTrace, from: number, to: number): number {
  return offeredRequests(trace, from, to) / (to - from);
}

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;

/** The option to take for one question (see the file comment). */
export function choose(c: Candidate, current: Simulated, options: Simulated[], availability: number): Recommendation {
  const base = {
    kind: c.kind,
    question: c.question,
    reasons: [...c.reasons],
    options,
    ...(c.prices ? { prices: c.prices } : {}),
  };
  const all = [current, ...options];
  const meeting = all.filter((s) => s.slo_attainment >= availability);
  const pick = meeting.length
    ? meeting.reduce((a, b) => (b.usd_per_month < a.usd_per_month ? b : a))
    : all.reduce((a, b) =>
        b.slo_attainment > a.slo_attainment ||
        (b.slo_attainment === a.slo_attainment && b.usd_per_month < a.usd_per_month)
          ? b
          : a,
      );
  const line = (s: Simulated) =>
    `${s.label}: $${s.usd_per_month.toFixed(0)}/month, SLO ${pct(s.slo_attainment)} (worst hour ${pct(s.worst_hour_slo)})`;
  if (options.length) base.reasons.push(...all.map((s) => `simulated ${line(s)}`));
  if (pick === current) {
    return {
      ...base,
      advice:
        options.length === 0
          ? 'keep the configuration as it is'
          : `keep the configuration as it is (no option is cheaper at an SLO of ${availability}, or serves more)`,
      delta_usd_per_month: 0,
      delta_slo: 0,
    };
  }
  const dUsd = pick.usd_per_month - current.usd_per_month;
  const dSlo = pick.slo_attainment - current.slo_attainment;
  return {
    ...base,
    chosen: pick.label,
    advice: `${pick.label}: ${dUsd <= 0 ? 'saves' : 'costs'} $${Math.abs(dUsd).toFixed(0)}/month, SLO ${dSlo >= 0 ? '+' : ''}${(dSlo * 100).toFixed(3)} points`,
    delta_usd_per_month: dUsd,
    delta_slo: dSlo,
  };
}
