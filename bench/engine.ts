/**
 * Benchmark of the decision engine: `npm run bench:engine`.
 *
 * Builds 1,000 fleets (seeded, so every run decides the same fleets) with pools on AWS, Azure, GCP and
 * Kubernetes — spot, on-demand and reserved, one to three zones — realistic policies (HPA default
 * behavior, spot mix and spread, budgets, schedule windows), histories, metrics, demand, forecasts and, for
 * some, an interruption. Times `decide` over all of them for several rounds against a trivial baseline
 * measured in the same run (the bare HPA formula ceil(current x value / target) per fleet), and prints the
 * time per decision and the ratio to the baseline.
 */
import type { Signal } from '../shared/domain/signals.ts';
import type { Cloud, Fleet, Pool, PoolKind, ScheduleWindow } from '../shared/domain/types.ts';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, decide } from '../shared/engine/index.ts';
import type { DecisionInput, HistoryEntry } from '../shared/engine/types.ts';

const FLEETS = 1000;
const ROUNDS = 7;
const NOW = new Date('2026-03-02T12:00:00Z');

/** mulberry32: a small seeded PRNG, so that the fleets are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const iso = (secondsFromNow: number) => new Date(NOW.getTime() + secondsFromNow * 1000).toISOString();

const SHAPES: Array<{ cloud: Cloud; kind: PoolKind; zones: string[]; price: number }> = [
  { cloud: 'aws', kind: 'auto-scaling-group', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], price: 1.21 },
  { cloud: 'aws', kind: 'ec2-fleet', zones: ['us-west-2a'], price: 4.1 },
  { cloud: 'azure', kind: 'azure-vmss', zones: ['1', '2'], price: 3.67 },
  { cloud: 'gcp', kind: 'gcp-regional-mig', zones: ['us-central1-a', 'us-central1-b'], price: 2.48 },
  { cloud: 'gcp', kind: 'gcp-mig', zones: ['europe-west4-a'], price: 2.93 },
  { cloud: 'kubernetes', kind: 'karpenter-nodepool', zones: ['us-east-1a', 'us-east-1b'], price: 1.45 },
  { cloud: 'kubernetes', kind: 'k8s-deployment', zones: ['us-east-1a'], price: 1.3 },
];

function makePool(fleetIndex: number, i: number): Pool {
  const shape = pick(SHAPES);
  const capacityType = pick(['spot', 'spot', 'on-demand', 'on-demand', 'reserved'] as const);
  const max = int(4, 40);
  const desired = int(0, Math.min(max, 16));
  return {
    id: `f${fleetIndex}-p${i}`,
    cloud: shape.cloud,
    kind: shape.kind,
    resource: `gpu-${fleetIndex}-${i}`,
    location: { region: 'r', zones: shape.zones },
    instanceType: 'gpu',
    gpuModel: pick(['A10G', 'L4', 'A100', 'H100']),
    gpusPerNode: pick([1, 4, 8]),
    capacityType,
    hourlyPrice: capacityType === 'reserved' ? 0 : capacityType === 'spot' ? shape.price * 0.35 : shape.price,
    rpsPerNode: int(4, 60),
    min: capacityType === 'on-demand' ? int(0, 1) : 0,
    max,
    timeToReadySeconds: int(120, 900),
    desired,
    ready: Math.max(0, desired - int(0, 2)),
    reservationId: capacityType === 'reserved' ? `cr-${fleetIndex}-${i}` : undefined,
  };
}

const BUSINESS_HOURS: ScheduleWindow = {
  name: 'business-hours',
  timeZone: 'Europe/Paris',
  days: [1, 2, 3, 4, 5],
  start: '08:00',
  end: '20:00',
  minNodes: 2,
};

function makeInput(k: number): DecisionInput {
  const pools = Array.from({ length: int(3, 8) }, (_, i) => makePool(k, i));
  const fleet: Fleet = {
    id: `fleet-${k}`,
    slo: { p95LatencyMs: 800, availability: 0.995 },
    pools,
    policy: {
      minNodes: int(0, 2),
      maxNodes: int(40, 200),
      tolerance: 0.1,
      metrics: [
        { metric: 'gpu_utilization', target: 70 },
        { metric: 'queue_depth', target: 8, activation: 1 },
      ],
      demandBuffer: 0.2,
      scaleUp: DEFAULT_SCALE_UP,
      scaleDown: DEFAULT_SCALE_DOWN,
      placement: {
        onDemandBase: int(0, 3),
        spotShare: 0.6,
        maxSpotSharePerZone: 0.5,
        offeringBackoffSeconds: 900,
        maxPerCloud: { azure: 30 },
      },
      safety: {
        maxStepUp: 20,
        maxStepDown: 10,
        scaleUpCooldownSeconds: 60,
        scaleDownCooldownSeconds: 300,
        hourlyBudgetUsd: random() < 0.5 ? int(20, 400) : undefined,
      },
      scaleToZero: random() < 0.2,
    },
  };
  const history: HistoryEntry[] = Array.from({ length: 20 }, (_, h) => {
    const from = int(0, 40);
    return {
      at: iso(-15 * (h + 1)),
      fleetId: fleet.id,
      recommendation: int(0, 40),
      from,
      to: from + int(-3, 3),
      applied: random() < 0.3,
    };
  });
  const signals: Signal[] = [];
  if (random() < 0.1) {
    const spot = pools.find((p) => p.capacityType === 'spot');
    if (spot)
      signals.push({
        type: 'interruption',
        eventId: `ev-${k}`,
        source: 'aws.ec2',
        time: NOW.toISOString(),
        cloud: spot.cloud,
        kind: 'warning',
        instanceIds: [`i-${k}`],
        poolId: spot.id,
        deadline: iso(120),
      });
  }
  return {
    fleet,
    signals,
    metrics: [
      { metric: 'gpu_utilization', value: int(5, 160) },
      { metric: 'queue_depth', value: int(0, 30) },
    ],
    demand: { rps: int(0, 2000) },
    forecast: [
      { at: iso(300), rps: int(0, 2000) },
      { at: iso(900), rps: int(0, 2000) },
    ],
    schedule: random() < 0.33 ? [BUSINESS_HOURS] : [],
    history,
    state: { offeringBackoff: [] },
  };
}

/**
 * A fleet sized by its SLO (its own demand history: 48 h at one minute, a daily cycle with bursts), at 0.999,
 * with spot on two or three clouds and warm nodes on its on-demand Auto Scaling groups: the path that runs the
 * headroom estimate, the spot hedge (with its running shares) and the warm sizing on every decision, which the
 * metric-driven fleets above never reach.
 */
const SLO_SHAPES: Array<{ cloud: Cloud; kind: PoolKind; zones: string[]; price: number }> = [
  { cloud: 'aws', kind: 'auto-scaling-group', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], price: 1.01 },
  { cloud: 'azure', kind: 'azure-vmss', zones: ['1', '2', '3'], price: 2.1 },
  { cloud: 'gcp', kind: 'gcp-regional-mig', zones: ['us-central1-a', 'us-central1-b'], price: 0.7 },
];

function makeSloInput(k: number): DecisionInput {
  const base = makeInput(k);
  const rpsPerNode = [39, 97, 26];
  const pools: Pool[] = [];
  SLO_SHAPES.forEach((shape, c) => {
    if (c === 2 && random() < 0.5) return;
    for (const capacityType of ['spot', 'on-demand'] as const) {
      const max = int(20, 60);
      const desired = int(0, 12);
      const warm = capacityType === 'on-demand' && shape.kind === 'auto-scaling-group';
      pools.push({
        id: `s${k}-${shape.cloud}-${capacityType}`,
        cloud: shape.cloud,
        kind: shape.kind,
        resource: `slo-${k}-${c}-${capacityType}`,
        location: { region: 'r', zones: shape.zones },
        instanceType: 'gpu',
        gpuModel: 'A10G',
        gpusPerNode: 1,
        capacityType,
        hourlyPrice: capacityType === 'spot' ? shape.price * 0.3 : shape.price,
        rpsPerNode: rpsPerNode[c],
        min: capacityType === 'on-demand' && c === 0 ? 1 : 0,
        max,
        timeToReadySeconds: 600,
        desired,
        ready: desired,
        ...(warm
          ? {
              warm: {
                min: 0,
                max: 24,
                state: 'stopped' as const,
                resumeSeconds: 120,
                diskType: 'gp3' as const,
                diskGb: 100,
                hourlyPrice: 0.011,
              },
              warmObserved: { ready: 10, warming: 0, target: 10 },
            }
          : {}),
      });
    }
  });
  const peak = int(200, 1500);
  const now = NOW.getTime() / 1000;
  const demandHistory = Array.from({ length: 2880 }, (_, i) => {
    const t = now - (2879 - i) * 60;
    const day = 0.55 + 0.45 * Math.sin((2 * Math.PI * t) / 86_400);
    const burst = random() < 0.03 ? 1 + random() : 1;
    return [t, peak * day * burst * (0.9 + 0.2 * random())] as const;
  });
  return {
    ...base,
    fleet: {
      ...base.fleet,
      id: `slo-${k}`,
      slo: { p95LatencyMs: 800, availability: 0.999 },
      pools,
      policy: { ...base.fleet.policy, maxNodes: 200, placement: { ...base.fleet.policy.placement, spotShare: 1 } },
    },
    signals: [],
    metrics: [],
    demand: { rps: demandHistory[demandHistory.length - 1][1] },
    demandHistory,
    forecast: [],
    schedule: [],
  };
}

/** The trivial baseline: the bare HPA formula, once per fleet. */
function baseline(inputs: DecisionInput[]): number {
  let sum = 0;
  for (const i of inputs) {
    const current = i.fleet.pools.reduce((n, p) => n + p.desired, 0);
    const value = i.metrics?.[0]?.value ?? 0;
    sum += Math.ceil((current * value) / i.fleet.policy.metrics[0].target);
  }
  return sum;
}

function engine(inputs: DecisionInput[]): number {
  let sum = 0;
  for (const i of inputs) sum += decide(i, NOW).targetNodes;
  return sum;
}

function time(
  fn: (inputs: DecisionInput[]) => number,
  inputs: DecisionInput[],
  repeat: number,
): { ms: number; check: number } {
  const start = performance.now();
  let check = 0;
  for (let r = 0; r < repeat; r++) check += fn(inputs);
  return { ms: (performance.now() - start) / repeat, check };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const inputs = Array.from({ length: FLEETS }, (_, k) => makeInput(k));
const clouds = new Map<string, number>();
for (const i of inputs) for (const p of i.fleet.pools) clouds.set(p.cloud, (clouds.get(p.cloud) ?? 0) + 1);

// Warm-up (JIT, Intl formatters), then the measured rounds.
engine(inputs);
baseline(inputs);
const engineRounds: number[] = [];
const baselineRounds: number[] = [];
let check = 0;
for (let r = 0; r < ROUNDS; r++) {
  const e = time(engine, inputs, 1);
  // The baseline is too fast to time once: repeat it and take the mean per round.
  const b = time(baseline, inputs, 200);
  engineRounds.push(e.ms);
  baselineRounds.push(b.ms);
  check += e.check + b.check;
}

const perDecisionUs = (median(engineRounds) * 1000) / FLEETS;
const basePerFleetUs = (median(baselineRounds) * 1000) / FLEETS;
console.log(
  `engine benchmark: ${FLEETS} fleets, ${[...clouds].map(([c, n]) => `${n} ${c} pools`).join(', ')}; ${ROUNDS} rounds (median)`,
);
console.log(`  decide:   ${median(engineRounds).toFixed(1)} ms per round, ${perDecisionUs.toFixed(1)} us per decision`);
console.log(
  `  baseline: ${median(baselineRounds).toFixed(3)} ms per round, ${basePerFleetUs.toFixed(3)} us per fleet (ceil(current x value / target))`,
);
console.log(`  ratio:    ${(perDecisionUs / basePerFleetUs).toFixed(0)}x the baseline`);
console.log(`  (checksum ${check})`);

// SLO-sized fleets (makeSloInput): fewer of them, each decision doing far more; the same baseline per fleet.
const SLO_FLEETS = 100;
const sloInputs = Array.from({ length: SLO_FLEETS }, (_, k) => makeSloInput(FLEETS + k));
engine(sloInputs);
const sloRounds: number[] = [];
let sloCheck = 0;
for (let r = 0; r < ROUNDS; r++) {
  const e = time(engine, sloInputs, 1);
  sloRounds.push(e.ms);
  sloCheck += e.check;
}
const sloPerDecisionUs = (median(sloRounds) * 1000) / SLO_FLEETS;
console.log(
  `SLO-sized fleets: ${SLO_FLEETS} fleets at 0.999 with 48 h of demand history, spot on two or three clouds and warm nodes; ${ROUNDS} rounds (median)`,
);
console.log(`  decide:   ${median(sloRounds).toFixed(1)} ms per round, ${sloPerDecisionUs.toFixed(0)} us per decision`);
console.log(
  `  ratio:    ${(sloPerDecisionUs / basePerFleetUs).toFixed(0)}x the baseline, ${(sloPerDecisionUs / perDecisionUs).toFixed(0)}x a metric-driven decision`,
);
console.log(`  (checksum ${sloCheck})`);
