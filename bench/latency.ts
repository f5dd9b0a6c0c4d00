/**
 * The handlers' warm decision latency, for `npm run bench`: the real alarm and forecast functions (middy,
 * Powertools idempotency on DynamoDB, the event schemas, the engine, the SDK clients) in-process over the
 * local stack (every cloud emulator and dynalite on 127.0.0.1, local/stack.ts), as the simulation
 * runs them, on the demo fleet.
 *
 * Each round advances the simulated clock by a minute and invokes, with fresh event ids, an alarm state
 * change (the high alarm in ALARM while the fleet's utilization is above 70%, else the low one) and a
 * forecast tick; the fleet's utilization swings between 35% and 105% over two hours, so some decisions
 * scale out, some in, some change nothing, as in a day. The first rounds warm up (JIT, SDK clients,
 * connections) and are not measured.
 *
 * The baseline, measured in the same run and interleaved with the handlers (one before each invocation):
 * a DynamoDB GetItem of the fleet's state item, strongly consistent, with the same client on the same
 * dynalite: the cheapest round trip a decision makes. Latencies are wall-clock milliseconds; the ratios are
 * what to compare between machines.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { loadConfigFile } from '../shared/config/load.ts';
import { MetricsStore } from '../local/emulators/prometheus/store.ts';
import { mulberry32, World } from '../local/emulators/world.ts';
import { createHandler, type FunctionName, type HandlerResult, localContext } from '../shared/runtime/handler.ts';
import { startLocalStack } from '../local/stack.ts';
import { seedDeployments } from '../local/seed.ts';
import { DEMO_CONFIG_FILE } from '../local/sim/autoscaler.ts';
import * as P from '../local/sim/autoscaler-events.ts';
import { DEMO_START, demoFleet } from '../local/sim/demo.ts';
import { defaultDayTrace, meanRps } from '../local/sim/trace.ts';
import { table } from './sim.ts';

export interface LatencyOptions {
  /** Measured rounds (each: one alarm and one forecast invocation); default 200. */
  rounds?: number;
  /** Rounds before the measured ones; default 20. */
  warmup?: number;
}

export interface Percentiles {
  p50_ms: number;
  p99_ms: number;
}

export interface HandlerLatency extends Percentiles {
  handler: FunctionName;
  event: string;
  invocations: number;
  /** p50 and p99 as a ratio of the baseline's p50 and p99. */
  p50_ratio: number;
  p99_ratio: number;
  /** Decisions that changed a pool's desired count, of the measured invocations. */
  scaled: number;
  /** Cloud API calls (emulators' records) per invocation, mean. */
  cloud_calls: number;
  /** Result statuses of the measured invocations (decided, partial, no-op, rejected). */
  statuses: Record<string, number>;
}

export interface LatencyResult {
  rounds: number;
  warmup: number;
  baseline: Percentiles & { what: string; samples: number };
  handlers: HandlerLatency[];
  seconds: number;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const FLEET = 'llm-demo';
/** Monday 15:00 UTC: 10:00 in New York, inside the demo's business hours and its capacity block. */
const START = DEMO_START + 15 * 3_600_000;

/** The fleet's GPU utilization (percent) at a time: 70 +- 35 over a two-hour period. */
const utilizationAt = (ms: number) => 70 + 35 * Math.sin((2 * Math.PI * (ms - START)) / 7_200_000);

export async function measureDecisionLatency(options: LatencyOptions = {}): Promise<LatencyResult> {
  const rounds = options.rounds ?? 200;
  const warmup = options.warmup ?? 20;
  const began = performance.now();
  // The functions' JSON logs and EMF metrics would flood the report (as in the simulation).
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const resolved = await loadConfigFile(DEMO_CONFIG_FILE);
  const demo = demoFleet();
  const world = new World({ start: START, seed: 7 });
  for (const spec of demo.worldPools) world.addPool(spec);
  for (const r of demo.reservations) world.addReservation(r);

  // Two days of demand before the start (the forecaster's history) and the run ahead, minute by minute.
  const metrics = new MetricsStore();
  const day = defaultDayTrace({ seed: 1, scale: demo.defaultDayScale, hours: 24 });
  const from = START / 1000 - 48 * 3600;
  const to = START / 1000 + (rounds + warmup + 5) * 60;
  for (let t = from; t <= to; t += 60) {
    const sinceMidnight = t - DEMO_START / 1000;
    metrics.add(
      'fleet_rps',
      { fleet: FLEET },
      t,
      meanRps(day, mod(sinceMidnight, 86400), mod(sinceMidnight, 86400) + 60),
    );
    for (const pool of ['aws-g5-spot', 'aws-g5-ondemand']) {
      metrics.add('gpu_utilization', { fleet: FLEET, pool, cloud: 'aws' }, t, utilizationAt(t * 1000));
    }
  }

  const stack = await startLocalStack({ world, resolved, metricsStore: metrics });
  try {
    seedDeployments(world, resolved, stack.kubernetes);
    const names: FunctionName[] = ['alarm', 'forecast'];
    const handlers = new Map(
      names.map((name) => [name, createHandler({ trigger: name, deps: async () => stack.deps })]),
    );
    const rand = mulberry32(11);
    const id = () => `bench-${Math.floor(rand() * 2 ** 52).toString(16)}`;
    const getItem = new GetItemCommand({
      TableName: stack.dynamo.tableName,
      Key: { pk: { S: `FLEET#${FLEET}` }, sk: { S: 'STATE' } },
      ConsistentRead: true,
    });

    const baseline: number[] = [];
    const samples = new Map<FunctionName, number[]>(names.map((n) => [n, []]));
    const stats = new Map(names.map((n) => [n, { scaled: 0, calls: 0, statuses: {} as Record<string, number> }]));
    const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
      const t = performance.now();
      const value = await fn();
      return { ms: performance.now() - t, value };
    };

    for (let round = 0; round < warmup + rounds; round++) {
      world.advance(60);
      const now = new Date(world.now());
      const u = utilizationAt(world.now());
      const high = u > 70;
      const events: Record<FunctionName, unknown> = {
        alarm: P.alarmStateChange(
          { id: id(), time: now },
          {
            alarmName: `${FLEET}-gpu-utilization-${high ? 'high' : 'low'}`,
            state: 'ALARM',
            previousState: 'OK',
            namespace: 'GpuFleet',
            metricName: 'GPUUtilization',
            dimensions: { fleet: FLEET },
            datapoints: [Math.round(u * 100) / 100],
            threshold: high ? 70 : 30,
            comparison: high ? 'GreaterThanThreshold' : 'LessThanThreshold',
            periodSeconds: 60,
          },
        ),
        forecast: P.scheduledTick({ id: id(), time: now }, 'gpu-autoscaler-forecast'),
      } as Record<FunctionName, unknown>;
      const measured = round >= warmup;
      for (const name of names) {
        const base = await timed(() => stack.dynamo.client.send(getItem));
        const before = world.calls.length;
        const desired = world.allPools().map((p) => p.desired);
        const { ms, value } = await timed(
          async () => (await handlers.get(name)!(events[name], localContext(name, 60_000))) as HandlerResult,
        );
        if (!measured) continue;
        baseline.push(base.ms);
        samples.get(name)!.push(ms);
        const s = stats.get(name)!;
        s.calls += world.calls.length - before;
        s.statuses[value.status] = (s.statuses[value.status] ?? 0) + 1;
        if (world.allPools().some((p, i) => p.desired !== desired[i])) s.scaled++;
      }
    }

    const base = { p50_ms: percentile(baseline, 0.5), p99_ms: percentile(baseline, 0.99) };
    return {
      rounds,
      warmup,
      baseline: {
        what: 'DynamoDB GetItem of the fleet state (consistent read), same client, same dynalite',
        samples: baseline.length,
        ...base,
      },
      handlers: names.map((name) => {
        const xs = samples.get(name)!;
        const s = stats.get(name)!;
        const p50 = percentile(xs, 0.5);
        const p99 = percentile(xs, 0.99);
        return {
          handler: name,
          event: name === 'alarm' ? 'CloudWatch Alarm State Change' : 'Scheduled Event (forecast rule)',
          invocations: xs.length,
          p50_ms: p50,
          p99_ms: p99,
          p50_ratio: p50 / base.p50_ms,
          p99_ratio: p99 / base.p99_ms,
          scaled: s.scaled,
          cloud_calls: s.calls / xs.length,
          statuses: s.statuses,
        };
      }),
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await stack.close();
  }
}

function mod(x: number, m: number): number {
  return ((x % m) + m) % m;
}

export function formatLatency(r: LatencyResult): string {
  const ms = (x: number) => x.toFixed(1);
  const rows = r.handlers.map((h) => [
    h.handler,
    String(h.invocations),
    ms(h.p50_ms),
    ms(h.p99_ms),
    `${h.p50_ratio.toFixed(1)}x`,
    `${h.p99_ratio.toFixed(1)}x`,
    `${h.scaled}`,
    h.cloud_calls.toFixed(1),
  ]);
  rows.push([
    'baseline: GetItem',
    String(r.baseline.samples),
    ms(r.baseline.p50_ms),
    ms(r.baseline.p99_ms),
    '1.0x',
    '1.0x',
    '-',
    '-',
  ]);
  return [
    `warm decision latency: ${r.rounds} rounds after ${r.warmup} of warm-up, the demo fleet over the local stack; ${r.seconds.toFixed(0)} s`,
    `baseline: ${r.baseline.what}`,
    '',
    table(['handler', 'calls', 'p50 ms', 'p99 ms', 'p50 / baseline', 'p99 / baseline', 'scaled', 'cloud calls'], rows),
  ].join('\n');
}
