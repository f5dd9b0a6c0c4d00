/**
 * `autoscaler advise`: MIG profiles through the capacity model, the candidates drawn from a fleet and its
 * recorded demand, the choice among simulated options, and the command end to end (the real autoscaler on an
 * hour of the default day).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { choose, evaluate, type Simulated } from '../../local/advise/evaluate.ts';
import { MIG_PROFILES, migPlans } from '../../local/advise/mig.ts';
import {
  baselinePool,
  type Candidate,
  candidates,
  FLOOR_QUANTILE,
  largestRiseNodes,
  quantile,
} from '../../local/advise/recommend.ts';
import { runAdvise } from '../../local/cli/commands/advise.ts';
import { main } from '../../local/cli/main.ts';
import { createHpaBaseline } from '../../local/sim/baselines/index.ts';
import { demoFromConfig } from '../../local/sim/from-config.ts';
import { defaultSpotProcess, spotSlots } from '../../local/sim/spot.ts';
import { defaultDayTrace } from '../../local/sim/trace.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import { DEFAULT_CATALOG } from '../../shared/domain/catalog.ts';
import { MODEL_PRESETS, servingPlan } from '../../shared/domain/capacity.ts';
import { REPO_ROOT } from '../events/support.ts';
import { fakeIo } from '../cli/support.ts';

const DEMO = path.join(REPO_ROOT, 'config/demo.json');
const llama8 = MODEL_PRESETS['llama3-8b'];

describe('MIG profiles', () => {
  it.each([
    // llama3-8b needs ~19 GiB with the KV cache: 1g.10gb and 2g.20gb... 20 GB is the vendor's GB; see the model.
    { gpu: 'a100-80gb', fits: ['3g.40gb', '4g.40gb', '7g.80gb'], not: ['1g.10gb'] },
    { gpu: 'h100-80gb', fits: ['3g.40gb', '7g.80gb'], not: ['1g.10gb'] },
    { gpu: 'a10g-24gb', fits: [], not: [] },
  ])('$gpu: which profiles hold llama3-8b at 12 s', ({ gpu, fits, not }) => {
    const names = migPlans(llama8, DEFAULT_CATALOG.gpus[gpu]!, 12_000).map((p) => p.profile.name);
    for (const f of fits) expect(names).toContain(f);
    for (const n of not) expect(names).not.toContain(n);
    if (!MIG_PROFILES[gpu]) expect(names).toEqual([]);
  });

  it('the 7g profile is the whole GPU: the same requests/s as the capacity model without MIG', () => {
    const gpu = DEFAULT_CATALOG.gpus['a100-80gb']!;
    const whole = servingPlan(llama8, gpu, 12_000, { gpusPerNode: 1, tensorParallel: 1 }).perReplicaRps;
    const seven = migPlans(llama8, gpu, 12_000).find((p) => p.profile.name === '7g.80gb')!;
    expect(seven.perGpuRps).toBeCloseTo(whole, 9);
  });

  it('a slice has its share of compute and bandwidth: 3g.40gb x2 serves less than the whole A100', () => {
    const plans = migPlans(llama8, DEFAULT_CATALOG.gpus['a100-80gb']!, 12_000);
    const three = plans.find((p) => p.profile.name === '3g.40gb')!;
    const seven = plans.find((p) => p.profile.name === '7g.80gb')!;
    expect(three.profile.perGpu).toBe(2);
    expect(three.perGpuRps).toBeLessThan(seven.perGpuRps);
    expect(three.perGpuRps).toBeGreaterThan(0);
  });
});

describe('demand figures', () => {
  it.each([
    { name: 'flat', rps: [10, 10, 10], window: 2, perNode: 5, nodes: 0 },
    {
      name: 'a rise of 12 within the window needs 3 nodes of 5',
      rps: [10, 14, 22, 22],
      window: 2,
      perNode: 5,
      nodes: 3,
    },
    // The rise from 10 to 30 takes 3 steps: a window of 2 sees at most 10 -> 22 (or 14 -> 30 = 16).
    { name: 'a slower rise counts only what fits the window', rps: [10, 14, 22, 30], window: 2, perNode: 5, nodes: 4 },
    { name: 'falls are not rises', rps: [30, 20, 10], window: 5, perNode: 5, nodes: 0 },
  ])('largestRiseNodes: $name', ({ rps, window, perNode, nodes }) => {
    expect(largestRiseNodes(rps, window, perNode)).toBe(nodes);
  });

  it.each([
    { xs: [], q: 0.05, v: 0 },
    { xs: [5, 1, 3], q: 0, v: 1 },
    { xs: [5, 1, 3], q: 1, v: 5 },
    { xs: Array.from({ length: 100 }, (_, i) => i), q: 0.05, v: 5 },
  ])('quantile($q) of $xs.length values', ({ xs, q, v }) => {
    expect(quantile(xs, q)).toBe(v);
  });
});

describe('candidates from the demo fleet', async () => {
  const resolved = await loadConfigFile(DEMO);
  const fleet = resolved.fleets[0]!;
  const base = baselinePool(fleet);
  const demand = (rps: number[]) => ({ stepSeconds: 60, rps, source: 'test' });

  it('the baseline pool is the cheapest on-demand pool per request/s', () => {
    expect(base.id).toBe('aws-g5-ondemand');
  });

  it('instance type: the cheapest AWS type per request/s (tensor-parallel size named), on-demand pools moved', () => {
    const c = candidates({ resolved, fleetId: fleet.id, demand: demand([100]) }).find(
      (x) => x.kind === 'instance-type',
    )!;
    expect(c.reasons[0]).toMatch(/tensor-parallel \d/);
    // g6e.xlarge (L40S) is cheaper per request/s than g5.xlarge in the catalog, but has no spot price there.
    expect(c.options).toHaveLength(1);
    expect(c.options[0]!.label).toMatch(/^g6e\.xlarge .* on aws-g5-ondemand$/);
    const changed = c.options[0]!.apply!(resolved.config);
    const pools = changed.fleets[0]!.pools;
    expect(pools.find((p) => p.id === 'aws-g5-ondemand')!.instanceType).toBe('g6e.xlarge');
    expect(pools.find((p) => p.id === 'aws-g5-spot')!.instanceType).toBe('g5.xlarge');
    // The configuration given is not changed.
    expect(resolved.config.fleets[0]!.pools.find((p) => p.id === 'aws-g5-ondemand')!.instanceType).toBe('g5.xlarge');
  });

  it('spot share: the other shares of 0, 0.5 and 1 (the demo has 1)', () => {
    const c = candidates({ resolved, fleetId: fleet.id, demand: demand([100]) }).find((x) => x.kind === 'spot-share')!;
    expect(c.options.map((o) => o.label)).toEqual(['spotShare 0', 'spotShare 0.5']);
    expect(c.options[1]!.apply!(resolved.config).fleets[0]!.policy!.placement!.spotShare).toBe(0.5);
  });

  it('warm pool: none, and the largest rise within a time to ready in nodes', () => {
    // 39.06 requests/s per g5.xlarge: a rise of 100 within 10 steps (600 s) needs 3 nodes.
    const rps = [50, 60, 80, 150, 150, 150, 150, 150, 150, 150, 150, 150];
    const c = candidates({ resolved, fleetId: fleet.id, demand: demand(rps) }).find((x) => x.kind === 'warm-pool')!;
    expect(c.reasons[0]).toContain('needs 3 node(s)');
    expect(c.options.map((o) => o.label)).toEqual(['no warm pool', 'warm 3-3']);
    const warm = c.options[1]!.apply!(resolved.config).fleets[0]!.pools.find((p) => p.id === base.id)!.warm!;
    expect([warm.min, warm.max]).toEqual([3, 3]);
  });

  it('warm pool: none to offer where the baseline pool cannot keep one (a fleet of spot pools alone), and why', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'advise-spot-'));
    try {
      const config = structuredClone(resolved.config);
      const f = config.fleets[0]!;
      f.pools = f.pools.filter((p) => p.capacityType === 'spot');
      delete f.policy!.placement!.onDemandBase;
      await writeFile(path.join(dir, 'spot.json'), JSON.stringify(config));
      const spotOnly = await loadConfigFile(path.join(dir, 'spot.json'));
      const c = candidates({ resolved: spotOnly, fleetId: fleet.id, demand: demand([100]) }).find(
        (x) => x.kind === 'warm-pool',
      )!;
      expect(c.reasons).toEqual(['azure-a100-spot (spot, azure-vmss) cannot keep warm capacity']);
      expect(c.options).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reservation: the floor held in 95% of the steps, priced as a capacity reservation; no Capacity Block for g5', () => {
    // 100 steps: 5 quiet ones (0 nodes) then 95 at 100 requests/s (3 nodes of 39.06): the 5th percentile is 3.
    const rps = [...Array(5).fill(0), ...Array(95).fill(100)];
    expect(FLOOR_QUANTILE).toBe(0.05);
    const c = candidates({ resolved, fleetId: fleet.id, demand: demand(rps) }).find((x) => x.kind === 'reservation')!;
    expect(c.reasons[0]).toContain('at least 3 node(s)');
    expect(c.prices!.capacity_reservation_usd_month).toBeCloseTo(3 * base.hourlyPrice * 730, 6);
    expect(c.prices!.capacity_block_usd_month).toBeUndefined();
    expect(c.options[0]!.label).toBe('reserve 3 (on-demand base 1 -> 3)');
  });

  it('MIG: the demo fleet has A100 and H100 pools and no profile beats their whole GPU for llama3-8b', () => {
    const c = candidates({ resolved, fleetId: fleet.id, demand: demand([100]) }).find((x) => x.kind === 'mig')!;
    expect(c.reasons.join('\n')).toMatch(/NVIDIA A100 80GB: whole GPU/);
    expect(c.options).toEqual([]);
  });
});

describe('choose', () => {
  const sim = (label: string, usd: number, slo: number): Simulated => ({
    label,
    cost_usd: usd,
    usd_per_month: usd,
    slo_attainment: slo,
    worst_hour_slo: slo,
    utilization: 0.5,
  });
  const candidate: Candidate = { kind: 'spot-share', question: 'q', reasons: [], options: [] };
  it.each([
    {
      name: 'the cheapest option at the target wins',
      current: sim('now', 100, 0.9995),
      options: [sim('a', 80, 0.9991), sim('b', 60, 0.99)],
      chosen: 'a',
    },
    {
      name: 'the configuration stays when it is the cheapest at the target',
      current: sim('now', 50, 0.9995),
      options: [sim('a', 80, 0.9999)],
      chosen: undefined,
    },
    {
      name: 'none at the target: the highest SLO wins',
      current: sim('now', 50, 0.95),
      options: [sim('a', 80, 0.98), sim('b', 70, 0.97)],
      chosen: 'a',
    },
  ])('$name', ({ current, options, chosen }) => {
    const r = choose({ ...candidate, options: options.map((o) => ({ label: o.label })) }, current, options, 0.999);
    expect(r.chosen).toBe(chosen);
    if (chosen) {
      const pick = options.find((o) => o.label === chosen)!;
      expect(r.delta_usd_per_month).toBeCloseTo(pick.usd_per_month - current.usd_per_month, 9);
      expect(r.delta_slo).toBeCloseTo(pick.slo_attainment - current.slo_attainment, 12);
    } else expect(r.delta_usd_per_month).toBe(0);
  });
});

describe('evaluate', () => {
  it('simulates the configuration and every option on the same demand; $/month from the run length', async () => {
    const resolved = await loadConfigFile(DEMO);
    const demo = demoFromConfig(resolved);
    const hours = 2;
    const trace = defaultDayTrace({ seed: 1, scale: demo.defaultDayScale, hours, stepSeconds: 60 });
    const list = candidates({
      resolved,
      fleetId: 'llm-demo',
      demand: { stepSeconds: 60, rps: trace.points.map((p) => p.rps), source: trace.source },
    });
    const labels: string[] = [];
    const advice = await evaluate({
      resolved,
      fleetId: 'llm-demo',
      candidates: list.filter((c) => c.kind === 'instance-type'),
      trace,
      spot: (d) => defaultSpotProcess({ seed: 1, slots: spotSlots(d.worldPools), durationSeconds: hours * 3600 }),
      hours,
      seed: 1,
      stepSeconds: 60,
      // The HPA baseline sizes each option's pools with the option's own throughput per node.
      controller: async (o) => {
        labels.push(o.demo.fleet.pools.find((p) => p.id === 'aws-g5-ondemand')!.instanceType);
        return createHpaBaseline();
      },
      cwd: REPO_ROOT,
      log: () => {},
    });
    expect(labels).toEqual(['g5.xlarge', 'g6e.xlarge']);
    expect(advice.current.usd_per_month).toBeCloseTo((advice.current.cost_usd * 730) / hours, 6);
    const r = advice.recommendations[0]!;
    expect(r.options).toHaveLength(1);
    expect(r.options[0]!.cost_usd).not.toBe(advice.current.cost_usd);
    expect(r.reasons.some((x) => x.startsWith('simulated as configured'))).toBe(true);
  });
});

describe('autoscaler advise', () => {
  it('end to end: every question answered with $/month and SLO from the autoscaler on an hour of demand', async () => {
    const io = fakeIo();
    expect(await main(['advise', '--fleet', 'llm-demo', '--hours', '1', '--json'], io)).toBe(0);
    const advice = JSON.parse(io.out.join('\n')) as {
      controller: string;
      current: Simulated;
      recommendations: Array<{ kind: string; advice: string; options: Simulated[] }>;
    };
    expect(advice.controller).toBe('autoscaler');
    expect(advice.recommendations.map((r) => r.kind)).toEqual([
      'instance-type',
      'mig',
      'spot-share',
      'warm-pool',
      'reservation',
    ]);
    expect(advice.current.usd_per_month).toBeGreaterThan(0);
    for (const r of advice.recommendations) for (const o of r.options) expect(o.slo_attainment).toBeGreaterThan(0);
  }, 120_000);

  it('runs a dated trace from its own weekday and time of day, as simulate does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'advise-dated-'));
    try {
      // Thursday 16 November 2023 from 18:17 UTC, twelve minutes.
      const rows = Array.from({ length: 12 }, (_, i) => `2023-11-16T18:${17 + i}:00,${i * 60},${6000 + 600 * i}`);
      await writeFile(path.join(dir, 'dated.csv'), `t_start_utc,offset_s,requests\n${rows.join('\n')}\n`);
      const starts = new Set<number>();
      const io = fakeIo(dir);
      const code = await runAdvise({ config: DEMO, trace: 'dated.csv', seed: 1, json: true }, io, {
        controller: async (o) => {
          starts.add(o.demo.startMs);
          return createHpaBaseline();
        },
      });
      expect(code, io.err.join('\n')).toBe(0);
      // Its first minute cut (it may be partial): 18:18 on the demo week's Thursday, for every option.
      expect([...starts]).toEqual([Date.parse('2026-01-08T18:18:00Z')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    { name: 'an unknown fleet is not found (1)', args: ['--fleet', 'nope'], code: 1 },
    { name: 'a trace that cannot be read is a usage error (2)', args: ['--trace', 'no-such.csv'], code: 2 },
    { name: '--value-unit without --trace (2)', args: ['--value-unit', 'rps'], code: 2 },
    { name: 'a negative --hours (2)', args: ['--hours', '-3'], code: 2 },
  ])('$name', async ({ args, code }) => {
    const io = fakeIo();
    expect(await main(['advise', ...args], io)).toBe(code);
  });
});

describe('recorded demand from the metrics store', () => {
  it("reads the decisions' demand query a sample a minute into a trace from the first sample; none: a clear error", async () => {
    const { MetricsStore } = await import('../../local/emulators/prometheus/store.ts');
    const { startPrometheusEmulator } = await import('../../local/emulators/prometheus/server.ts');
    const { createPrometheusMetrics } = await import('../../shared/adapters/prometheus/index.ts');
    const { recordedDemand, NoRecordedDemandError } = await import('../../local/advise/recorded.ts');
    const resolved = await loadConfigFile(DEMO);
    const fleet = resolved.fleets[0]!;
    const now = Date.parse('2026-01-05T12:00:00Z');
    const store = new MetricsStore();
    // Two hours of demand, one sample a minute, rising 1 request/s a minute; another fleet's series is left out.
    for (let m = 0; m < 120; m++) {
      const t = now / 1000 - 7200 + m * 60;
      store.add('fleet_rps', { fleet: 'llm-demo' }, t, 10 + m);
      store.add('fleet_rps', { fleet: 'other' }, t, 1000);
    }
    const prometheus = await startPrometheusEmulator(store, { now: () => now });
    try {
      const metrics = createPrometheusMetrics({ url: prometheus.url, timeoutMs: 5_000 });
      const trace = await recordedDemand(metrics, fleet, undefined, new Date(now), 3);
      expect(trace.source).toContain('sum(fleet_rps{fleet="llm-demo"})');
      expect(trace.points[0]).toEqual({ t: 0, rps: 10 });
      // The first sample's time: where advise starts its runs (on the demo week's same weekday and time).
      expect(trace.originMs).toBe(now - 7_200_000);
      expect(trace.points.at(-1)!.rps).toBeLessThan(1000);
      expect(trace.stepSeconds).toBe(60);
      const empty = new MetricsStore();
      const none = await startPrometheusEmulator(empty, { now: () => now });
      try {
        await expect(
          recordedDemand(
            createPrometheusMetrics({ url: none.url, timeoutMs: 5_000 }),
            fleet,
            undefined,
            new Date(now),
            3,
          ),
        ).rejects.toBeInstanceOf(NoRecordedDemandError);
      } finally {
        await none.close();
      }
    } finally {
      await prometheus.close();
    }
  });

  it("advise --from-metrics runs every option from the recorded window's own weekday and time of day", async () => {
    const { MetricsStore } = await import('../../local/emulators/prometheus/store.ts');
    const { startPrometheusEmulator } = await import('../../local/emulators/prometheus/server.ts');
    // Thursday 8 January 2026, 12:00 UTC; half an hour of demand, a sample a minute, from 11:30.
    const now = Date.parse('2026-01-08T12:00:00Z');
    const store = new MetricsStore();
    for (let m = 0; m <= 30; m++) store.add('fleet_rps', { fleet: 'llm-demo' }, now / 1000 - 1800 + m * 60, 100);
    const prometheus = await startPrometheusEmulator(store, { now: () => now });
    try {
      const starts = new Set<number>();
      const io = fakeIo();
      const code = await runAdvise(
        { config: DEMO, fromMetrics: 1, prometheus: prometheus.url, seed: 1, json: true },
        io,
        {
          controller: async (o) => {
            starts.add(o.demo.startMs);
            return createHpaBaseline();
          },
          now: () => new Date(now),
        },
      );
      expect(code, io.err.join('\n')).toBe(0);
      expect([...starts]).toEqual([Date.parse('2026-01-08T11:30:00Z')]);
    } finally {
      await prometheus.close();
    }
  }, 60_000);

  it.each([
    { name: '--prometheus without --from-metrics (2)', args: ['--prometheus', 'http://127.0.0.1:9'] },
    { name: '--from-metrics and --trace together (2)', args: ['--from-metrics', '24', '--trace', 'x.csv'] },
    // The demo configuration names no Prometheus.
    { name: '--from-metrics without a Prometheus (2)', args: ['--from-metrics', '24'] },
  ])('$name', async ({ args }) => {
    expect(await main(['advise', '--fleet', 'llm-demo', ...args], fakeIo())).toBe(2);
  });
});
