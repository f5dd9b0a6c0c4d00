/**
 * One decision per fleet at 1,000 fleets (stacks/fanout.ts), in the local stack (emulated clouds, dynalite,
 * the real handlers and SDK clients):
 *
 * 1. One forecast tick decided for every fleet: each fleet's own Scheduler input (`fleetId`), invoked with at
 *    most `lambda.fleetConcurrency` decisions at once, as the reserved concurrency bounds them. Prints the
 *    wall time, the peak of concurrent decisions, the cloud API calls and the throttled or failed decisions.
 * 2. One alarm's decision latency with 1,000 fleets configured against 1 fleet (same pools, same event):
 *    the median over the samples, as a ratio; target <= 1.5 (PASS/MISS).
 *
 * `npm run bench:fleets [-- --fleets 1000 --pools 5 --samples 20]`
 */
import { parseArgs } from 'node:util';
import { parseConfig, resolveConfig } from '../shared/config/load.ts';
import type { ConfigInput } from '../shared/config/schema.ts';
import type { ResolvedConfig } from '../shared/config/load.ts';
import { World } from '../local/emulators/world.ts';
import { seedWorld } from '../local/seed.ts';
import { startLocalStack } from '../local/stack.ts';
import { localContext } from '../shared/runtime/handler.ts';
import { loadSample } from '../events/samples.ts';
import { localHandler } from '../local/handler.ts';

const START = Date.parse('2025-03-03T15:00:00Z');
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TYPES = ['g5.xlarge', 'g5.2xlarge', 'g6.xlarge', 'g6e.xlarge', 'g5.4xlarge'];

function fleetsConfig(fleets: number, pools: number, concurrency: number): ConfigInput {
  return {
    version: 1,
    clouds: { aws: { region: 'us-east-1' } },
    fleets: Array.from({ length: fleets }, (_, f) => {
      const id = `fleet-${String(f).padStart(4, '0')}`;
      return {
        id,
        policy: { minNodes: 1, maxNodes: 40 },
        pools: Array.from({ length: pools }, (_, p) => ({
          id: `${id}-p${p}`,
          kind: 'auto-scaling-group' as const,
          resource: `${id}-asg-${p}`,
          region: 'us-east-1',
          zones: [ZONES[p % ZONES.length]!],
          instanceType: TYPES[p % TYPES.length]!,
          capacityType: p === 0 ? ('on-demand' as const) : ('spot' as const),
          min: 0,
          max: 8,
          hourlyPrice: 1 + p / 2,
          rpsPerNode: 4,
        })),
      };
    }),
    alarms: [{ alarm: 'fleet-0000-gpu-high', fleetId: 'fleet-0000' }],
    lambda: { interruptionProvisionedConcurrency: 1, fleetConcurrency: concurrency },
  };
}

function tickInput(fleetId: string, at: number) {
  return {
    kind: 'forecast',
    fleetId,
    scheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/gpu-autoscaler/forecast-${fleetId}`,
    scheduledTime: new Date(at).toISOString().replace('.000Z', 'Z'),
    executionId: `exec-${fleetId}-${at}`,
    attemptNumber: '1',
  };
}

function alarmEvent(i: number, at: number) {
  const e = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>('aws-cloudwatch-alarm');
  e.id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  e.time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  e.resources = ['arn:aws:cloudwatch:us-east-1:731482956104:alarm:fleet-0000-gpu-high'];
  e.detail.alarmName = 'fleet-0000-gpu-high';
  return e;
}

async function withStack<T>(
  resolved: ResolvedConfig,
  run: (s: Awaited<ReturnType<typeof startLocalStack>>, world: World) => Promise<T>,
) {
  const world = new World({ start: START, seed: 3 });
  seedWorld(world, resolved);
  const stack = await startLocalStack({ world, resolved });
  try {
    return await run(stack, world);
  } finally {
    await stack.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function alarmLatency(resolved: ResolvedConfig, samples: number): Promise<number[]> {
  return withStack(resolved, async (stack, world) => {
    const handler = localHandler({ trigger: 'alarm', deps: async () => stack.deps });
    const out: number[] = [];
    for (let i = 0; i < samples + 2; i++) {
      world.advance(600);
      const t = performance.now();
      await handler(alarmEvent(i, world.now()), localContext('alarm'));
      if (i >= 2) out.push(performance.now() - t); // the first two warm the clients and the table
    }
    return out;
  });
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      fleets: { type: 'string', default: '1000' },
      pools: { type: 'string', default: '5' },
      samples: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '10' },
    },
  });
  const fleets = Number(values.fleets);
  const pools = Number(values.pools);
  const samples = Number(values.samples);
  const concurrency = Number(values.concurrency);
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const resolvedMany = resolveConfig(parseConfig(fleetsConfig(fleets, pools, concurrency), 'bench'), 'bench');
  const resolvedOne = resolveConfig(parseConfig(fleetsConfig(1, pools, concurrency), 'bench'), 'bench');

  console.log(`${fleets} fleets of ${pools} pools, at most ${concurrency} decisions at once (lambda.fleetConcurrency)`);
  // 1. One tick, one decision per fleet.
  const tick = await withStack(resolvedMany, async (stack, world) => {
    const handler = localHandler({ trigger: 'forecast', deps: async () => stack.deps });
    const calls0 = world.calls.length;
    const queue = resolvedMany.fleets.map((f) => f.id);
    let inFlight = 0;
    let peak = 0;
    const statuses: Record<string, number> = {};
    let throttled = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          try {
            const r = (await handler(tickInput(id, world.now()), localContext('forecast'))) as { status: string };
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          } catch (e) {
            const name = e instanceof Error ? e.name : 'Error';
            statuses[`error:${name}`] = (statuses[`error:${name}`] ?? 0) + 1;
            if (/Throttl|LeaseBusy|Retryable/.test(name)) throttled += 1;
          } finally {
            inFlight -= 1;
          }
        }
      }),
    );
    return {
      seconds: (performance.now() - began) / 1000,
      peak,
      statuses,
      throttled,
      calls: world.calls.length - calls0,
    };
  });
  console.log(
    `one tick decided for all: ${tick.seconds.toFixed(1)} s wall, ${((tick.seconds * 1000) / fleets).toFixed(1)} ms per fleet, peak ${tick.peak} concurrent decisions, ${tick.calls} cloud API calls (${(tick.calls / tick.seconds).toFixed(0)}/s), ${tick.throttled} throttled or retried`,
  );
  console.log(`  results: ${JSON.stringify(tick.statuses)}`);

  // 2. One event's latency, 1,000 fleets configured against 1.
  const one = await alarmLatency(resolvedOne, samples);
  const thousand = await alarmLatency(resolvedMany, samples);
  const ratio = median(thousand) / median(one);
  console.log(
    `alarm decision latency (median of ${samples}): 1 fleet ${median(one).toFixed(1)} ms, ${fleets} fleets ${median(thousand).toFixed(1)} ms: ratio ${ratio.toFixed(2)} (target <= 1.5) ${ratio <= 1.5 ? 'PASS' : 'MISS'}`,
  );
  return 0;
}

if (import.meta.main) process.exitCode = await main();
