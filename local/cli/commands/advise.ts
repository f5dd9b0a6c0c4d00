/**
 * `autoscaler advise --fleet X`: GPU rightsizing. From the fleet's recorded demand (`--from-metrics HOURS`: its
 * metrics store, the query the decisions read; `--trace`, a CSV of requests over time as `simulate` reads it;
 * without either, the simulation's default business day scaled to the fleet),
 * the capacity model and the catalog, what to change (instance type with its tensor-parallel size, MIG
 * profiles, spot share, warm pool, reservations), each option simulated on that demand through the real
 * handlers: its $/month and its effect on the SLO against the configuration as it is.
 */
import { resolve } from 'node:path';
import type { ResolvedConfig } from '../../../shared/config/load.ts';
import type { Advice } from '../../advise/evaluate.ts';
import type { AutoscalerControllerOptions, Controller } from '../../sim/controller.ts';
import type { CliIo } from '../io.ts';
import { UsageError } from '../io.ts';
import { table } from '../table.ts';

export interface AdviseOptions {
  fleet?: string;
  config: string;
  trace?: string;
  timeColumn?: string;
  timeUnit?: string;
  valueColumn?: string;
  valueUnit?: string;
  spotTrace?: string;
  hours?: number;
  seed: number;
  json?: boolean;
  /** Read the recorded demand from the metrics store (Prometheus) over this many hours. */
  fromMetrics?: number;
  /** The Prometheus to read it from (default: the configuration's `clouds.prometheus.url`). */
  prometheus?: string;
}

const STEP_SECONDS = 60;

export interface AdviseDeps {
  /** The controller each option runs under; default the autoscaler (local/sim/autoscaler.ts). */
  controller?: (o: AutoscalerControllerOptions) => Promise<Controller>;
  /** The time `--from-metrics` reads back from; default now. */
  now?: () => Date;
}

export async function runAdvise(o: AdviseOptions, io: CliIo, deps: AdviseDeps = {}): Promise<number> {
  const [
    { loadConfigFile },
    trace,
    detect,
    spot,
    { demoFromConfig },
    { candidates, baselinePool },
    { evaluate },
    { alignedStart },
  ] = await Promise.all([
    import('../../../shared/config/load.ts'),
    import('../../sim/trace.ts'),
    import('../../sim/trace-detect.ts'),
    import('../../sim/spot.ts'),
    import('../../sim/from-config.ts'),
    import('../../advise/recommend.ts'),
    import('../../advise/evaluate.ts'),
    import('../../sim/demo.ts'),
  ]);
  let resolved: ResolvedConfig;
  try {
    resolved = await loadConfigFile(resolve(io.cwd, o.config));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const fleetId = o.fleet ?? (resolved.fleets.length === 1 ? resolved.fleets[0]!.id : undefined);
  if (fleetId === undefined)
    throw new UsageError(`--fleet is needed: the configuration has ${resolved.fleets.map((f) => f.id).join(', ')}`);
  const fleet = resolved.fleets.find((f) => f.id === fleetId);
  if (!fleet) {
    io.stderr(`autoscaler advise: no fleet '${fleetId}' (configured: ${resolved.fleets.map((f) => f.id).join(', ')})`);
    return 1;
  }
  const demo = demoFromConfig(resolved, { fleetId });

  let demand: Awaited<ReturnType<typeof trace.loadTraceCsv>>;
  let hours: number;
  let startMs: number | undefined;
  if (o.fromMetrics !== undefined) {
    const url = o.prometheus ?? resolved.config.clouds.prometheus?.url;
    if (!url)
      throw new UsageError(
        '--from-metrics reads Prometheus: give --prometheus URL or clouds.prometheus.url in the configuration',
      );
    const [{ createPrometheusMetrics }, { recordedDemand, NoRecordedDemandError }] = await Promise.all([
      import('../../../shared/adapters/prometheus/index.ts'),
      import('../../advise/recorded.ts'),
    ]);
    const cfg = resolved.config.fleets.find((f) => f.id === fleetId);
    try {
      const recorded = await recordedDemand(
        createPrometheusMetrics({ url, timeoutMs: 30_000 }),
        fleet,
        cfg?.demandQuery,
        deps.now?.() ?? new Date(),
        o.fromMetrics,
      );
      demand = recorded;
      // The recorded window runs from its own weekday and time of day, as a dated trace does.
      startMs = alignedStart(recorded.originMs);
    } catch (e) {
      if (e instanceof NoRecordedDemandError) {
        io.stderr(`autoscaler advise: ${e.message}`);
        return 1;
      }
      throw e;
    }
    hours = o.hours ?? demand.durationSeconds / 3600;
  } else if (o.trace) {
    try {
      // As simulate reads it: the columns as named, or read from the header (partial edges cut, and said).
      demand = await detect.loadTraceArg(
        resolve(io.cwd, o.trace),
        {
          timeColumn: o.timeColumn,
          valueColumn: o.valueColumn,
          valueUnit: o.valueUnit as never,
          timeUnit: o.timeUnit as never,
        },
        (cut) => io.stderr(`autoscaler advise: ${o.trace}: ${cut}`),
        // A dated trace runs from its own weekday and time of day, as simulate and the benchmark run it.
        (at) => {
          startMs = alignedStart(at);
        },
      );
    } catch (e) {
      if (trace.isTraceError(e)) throw new UsageError(e.message);
      throw e;
    }
    hours = o.hours ?? demand.durationSeconds / 3600;
  } else {
    hours = o.hours ?? 24;
    demand = trace.defaultDayTrace({ seed: o.seed, scale: demo.defaultDayScale, hours, stepSeconds: STEP_SECONDS });
  }
  const steps = Math.ceil((hours * 3600) / STEP_SECONDS);
  const rps = Array.from(
    { length: steps },
    (_, k) => trace.offeredRequests(demand, k * STEP_SECONDS, (k + 1) * STEP_SECONDS) / STEP_SECONDS,
  );
  const spotTraces = o.spotTrace ? await spot.loadSpotTraces(resolve(io.cwd, o.spotTrace)) : undefined;
  const schedule = (d: typeof demo) =>
    spotTraces
      ? spot.scheduleFromTraces(spotTraces, spot.spotSlots(d.worldPools), hours * 3600, o.spotTrace!)
      : spot.defaultSpotProcess({ seed: o.seed, slots: spot.spotSlots(d.worldPools), durationSeconds: hours * 3600 });

  const list = candidates({ resolved, fleetId, demand: { stepSeconds: STEP_SECONDS, rps, source: demand.source } });
  const controller =
    deps.controller ??
    (async (options: AutoscalerControllerOptions) => {
      const { createAutoscalerController } = await import('../../sim/autoscaler.ts');
      return createAutoscalerController(options);
    });
  const advice = await evaluate({
    resolved,
    fleetId,
    candidates: list,
    trace: demand,
    spot: schedule,
    hours,
    seed: o.seed,
    stepSeconds: STEP_SECONDS,
    controller,
    cwd: io.cwd,
    log: (line) => io.stderr(line),
    onSimulated: (done, total) => io.stderr(`advise: simulated ${done}/${total}`),
    ...(startMs !== undefined ? { startMs } : {}),
  });
  if (o.json) io.stdout(JSON.stringify(advice, null, 2));
  else io.stdout(formatAdvice(advice, baselinePool(fleet).id));
  return 0;
}

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;

export function formatAdvice(a: Advice, baseline: string): string {
  const out = [
    `fleet ${a.fleetId}: ${a.demand.source}, ${a.demand.hours} h (peak ${a.demand.peak_rps.toFixed(1)}, mean ${a.demand.mean_rps.toFixed(1)} requests/s), SLO target ${a.availability}`,
    `as configured (${a.controller} controller, baseline pool ${baseline}): $${a.current.usd_per_month.toFixed(0)}/month, SLO ${pct(a.current.slo_attainment)}, worst hour ${pct(a.current.worst_hour_slo)}, nodes ${(a.current.utilization * 100).toFixed(0)}% busy`,
    '',
    table(
      ['question', 'advice', '$/month', 'SLO'],
      a.recommendations.map((r) => [
        r.kind,
        r.advice,
        r.chosen ? `${r.delta_usd_per_month <= 0 ? '-' : '+'}$${Math.abs(r.delta_usd_per_month).toFixed(0)}` : '-',
        r.chosen ? `${r.delta_slo >= 0 ? '+' : ''}${(r.delta_slo * 100).toFixed(3)} pt` : '-',
      ]),
    ),
  ];
  for (const r of a.recommendations) {
    out.push('', `${r.kind}: ${r.question}`);
    for (const reason of r.reasons) out.push(`  - ${reason}`);
  }
  return out.join('\n');
}
