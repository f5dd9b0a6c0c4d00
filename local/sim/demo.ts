/**
 * The demo fleet: one LLM workload (llama3-8b) served from pools on AWS, Azure and GCP, and the Kubernetes
 * Deployment that runs on them. Prices come from the catalog (shared/domain/catalog-data.ts) and throughput
 * from the capacity model (shared/domain/capacity.ts); nothing here is a hand-written figure except the
 * shape of the fleet (pool sizes, zones, names) and its timings. See README.md for the table.
 */
import { type Catalog, DEFAULT_CATALOG, instanceType } from '../../shared/domain/catalog.ts';
import { MODEL_PRESETS, nodePlan } from '../../shared/domain/capacity.ts';
import type {
  CapacityType,
  Cloud,
  Fleet,
  Pool,
  PoolKind,
  ScheduleWindow,
  WorkloadModel,
} from '../../shared/domain/types.ts';
import { DEFAULT_POLICY } from '../../shared/config/policy.ts';
import {
  DEFAULT_DISK_GB,
  DEFAULT_DISK_TYPE,
  DEFAULT_RESUME_SECONDS,
  type WarmPolicy,
  warmHourlyPrice,
} from '../../shared/domain/warm.ts';
import type { WorldPoolSpec, WorldReservation } from '../emulators/world.ts';
import type { PoolPhysics } from './physics.ts';
import { SEED_RPS_PER_REPLICA } from './trace.ts';

/** Monday 5 January 2026, 00:00 UTC: the default day starts at midnight. */
export const DEMO_START = Date.parse('2026-01-05T00:00:00Z');

const DAY_MS = 86_400_000;

/**
 * The demo's start moved to the same weekday (DEMO_START is a Monday) and UTC time of day as `utcMs`: where a
 * dated trace runs (the benchmark's scenarios, `simulate --trace`), so that the business-hours window and the
 * simulated clock follow the trace's own week.
 */
export function alignedStart(utcMs: number): number {
  const d = new Date(utcMs);
  const dayOfWeekFromMonday = (d.getUTCDay() + 6) % 7;
  return DEMO_START + dayOfWeekFromMonday * DAY_MS + (((utcMs % DAY_MS) + DAY_MS) % DAY_MS);
}
/**
 * The demo's business-hours window, as config/demo.json states it for the fleet (a test keeps the two alike):
 * at least 3 nodes on weekdays 08:00-18:00 in New York.
 */
export const DEMO_SCHEDULE: ScheduleWindow[] = [
  {
    name: 'business-hours',
    timeZone: 'America/New_York',
    days: [1, 2, 3, 4, 5],
    start: '08:00',
    end: '18:00',
    minNodes: 3,
  },
];

/** Seconds from launch to serving for a GPU node with model load (boot, join, image pull, model load). */
export const DEFAULT_TIME_TO_READY_SECONDS = 600;
/** Seconds from launch to a running VM (the rest of the time to ready is join, image pull and model load). */
export const DEFAULT_BOOT_SECONDS = 120;
/**
 * Latency target per request. llama3-8b generates 200 tokens per request; the slowest GPU of the demo (L4)
 * needs ~10 s for that at batch 1 (the capacity model's roofline), so 12 s (60 ms per token) is a target every
 * pool can meet.
 */
export const DEMO_LATENCY_TARGET_MS = 12_000;

export interface DemoOptions {
  /** Start of the run (ms since the epoch). Default DEMO_START. */
  startMs?: number;
  timeToReadySeconds?: number;
  bootSeconds?: number;
  catalog?: Catalog;
  model?: WorkloadModel;
  latencyTargetMs?: number;
  /** The capacity block: delivered `startHours` into the run, lasting `hours`, with `instances` p5.48xlarge. */
  capacityBlock?: { startHours: number; hours: number; instances: number };
  /** GCP's L4 group: on-demand (default) or spot. */
  gcpCapacityType?: 'on-demand' | 'spot';
  /**
   * Warm capacity (stopped nodes) on the on-demand Auto Scaling group and the GCP group: on by default;
   * `false` runs the demo without (`--no-warm`).
   */
  warm?: boolean;
  /** Chance that a warm node fails to start for capacity (`--warm-start-failure`); default 0 (see README). */
  warmStartFailureRate?: number;
}

/**
 * The demo's warm capacity, per pool: how many stopped nodes the engine may keep (between `min` and `max`),
 * stopped, the default resume time and each cloud's default disk (shared/domain/warm.ts).
 */
export const DEMO_WARM: Record<string, { min: number; max: number }> = {
  'aws-g5-ondemand': { min: 1, max: 24 },
  'gcp-l4': { min: 0, max: 8 },
};

/** The Kubernetes side: the model server's Deployment and the cluster its GPU nodes join. */
export interface DemoCluster {
  /** Cluster name (the World's `cluster` of every pool). */
  name: string;
  namespace: string;
  deployment: string;
  /** Replicas at the start: one model replica per tensor-parallel group on every starting node. */
  replicas: number;
  /** Model replicas (pods) each node of a pool runs (a p5.48xlarge holds 8 one-GPU replicas). */
  podsPerNode: Record<string, number>;
  /** Labels of the Deployment's pods. */
  labels: Record<string, string>;
}

export interface DemoFleet {
  fleet: Fleet;
  /**
   * The operator's schedule windows for the fleet (its configuration's `schedules`): their floors are hard
   * floors every controller is held to, the oracle's included (baselines/oracle.ts).
   */
  schedule?: ScheduleWindow[];
  worldPools: WorldPoolSpec[];
  reservations: WorldReservation[];
  cluster: DemoCluster;
  startMs: number;
  /** The on-demand pool with the lowest price per request/s: where the on-demand baselines scale. */
  baselinePoolId: string;
  /**
   * Factor applied to seed 002's hourly pattern for the default day: the baseline pool's rpsPerNode divided by
   * the seed's 10 requests/s per replica, so that one node of the baseline pool plays the seed's replica
   * (the seed's peak of 200 rps = 20 replicas becomes 20 nodes' worth of demand).
   */
  defaultDayScale: number;
}

interface PoolShape {
  id: string;
  cloud: Cloud;
  kind: PoolKind;
  resource: string;
  region: string;
  zones: string[];
  instanceType: string;
  capacityType: CapacityType;
  min: number;
  max: number;
  desired: number;
  reservationId?: string;
  scope?: string;
}

const CAPACITY_BLOCK_ID = 'cr-0c4b1d2e3f4a5b6c7';
const CLUSTER = 'gpu-demo';

/** Builds the demo fleet (see the file comment). */
export function demoFleet(options: DemoOptions = {}): DemoFleet {
  const startMs = options.startMs ?? DEMO_START;
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const model = options.model ?? MODEL_PRESETS['llama3-8b'];
  const latencyTargetMs = options.latencyTargetMs ?? DEMO_LATENCY_TARGET_MS;
  const readySeconds = options.timeToReadySeconds ?? DEFAULT_TIME_TO_READY_SECONDS;
  const bootSeconds = Math.min(options.bootSeconds ?? DEFAULT_BOOT_SECONDS, readySeconds);
  const block = options.capacityBlock ?? { startHours: 9, hours: 8, instances: 1 };

  const shapes: PoolShape[] = [
    {
      id: 'aws-g5-spot',
      cloud: 'aws',
      kind: 'ec2-fleet',
      resource: 'fleet-6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b',
      region: 'us-east-1',
      zones: ['us-east-1a', 'us-east-1b'],
      instanceType: 'g5.xlarge',
      capacityType: 'spot',
      min: 0,
      max: 24,
      desired: 2,
    },
    {
      id: 'aws-g5-ondemand',
      cloud: 'aws',
      kind: 'auto-scaling-group',
      resource: 'gpu-demo-g5-ondemand',
      region: 'us-east-1',
      zones: ['us-east-1a', 'us-east-1b'],
      instanceType: 'g5.xlarge',
      capacityType: 'on-demand',
      min: 1,
      max: 32,
      desired: 2,
    },
    {
      id: 'aws-p5-capacity-block',
      cloud: 'aws',
      kind: 'auto-scaling-group',
      resource: 'gpu-demo-p5-block',
      region: 'us-east-1',
      zones: ['us-east-1a'],
      instanceType: 'p5.48xlarge',
      capacityType: 'reserved',
      min: 0,
      max: block.instances,
      desired: 0,
      reservationId: CAPACITY_BLOCK_ID,
    },
    {
      id: 'azure-a100-spot',
      cloud: 'azure',
      kind: 'azure-vmss',
      resource: 'vmss-gpu-demo-a100-spot',
      region: 'eastus',
      zones: ['1', '2'],
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType: 'spot',
      min: 0,
      max: 12,
      desired: 0,
      scope: '00000000-0000-0000-0000-0000000000de/rg-gpu-demo',
    },
    {
      id: 'gcp-l4',
      cloud: 'gcp',
      kind: 'gcp-mig',
      resource: 'mig-gpu-demo-l4',
      region: 'us-central1',
      zones: ['us-central1-a'],
      instanceType: 'g2-standard-4',
      capacityType: options.gcpCapacityType ?? 'on-demand',
      min: 0,
      max: 16,
      desired: 0,
      scope: 'gpu-demo-project',
    },
  ];

  const warmOf = (s: PoolShape): WarmPolicy | undefined => {
    const w = options.warm === false || s.capacityType === 'spot' ? undefined : DEMO_WARM[s.id];
    if (!w || s.cloud === 'kubernetes') return undefined;
    const diskType = DEFAULT_DISK_TYPE[s.cloud];
    return {
      ...w,
      state: 'stopped',
      resumeSeconds: Math.min(readySeconds, DEFAULT_RESUME_SECONDS.stopped),
      diskType,
      diskGb: DEFAULT_DISK_GB,
      hourlyPrice: warmHourlyPrice(diskType, DEFAULT_DISK_GB, 'stopped'),
    };
  };
  const podsPerNode: Record<string, number> = {};
  const pools: Pool[] = shapes.map((s) => {
    const it = instanceType(catalog, s.instanceType);
    const plan = nodePlan(catalog, model, s.instanceType, latencyTargetMs);
    podsPerNode[s.id] = plan.replicasPerNode;
    let hourlyPrice: number;
    if (s.capacityType === 'reserved') hourlyPrice = 0;
    else if (s.capacityType === 'spot') {
      if (it.spotHourly === undefined) throw new Error(`catalog: ${s.instanceType} has no spot price`);
      hourlyPrice = it.spotHourly;
    } else hourlyPrice = it.onDemandHourly;
    return {
      id: s.id,
      cloud: s.cloud,
      kind: s.kind,
      resource: s.resource,
      location: { region: s.region, zones: s.zones },
      instanceType: s.instanceType,
      gpuModel: it.gpuId,
      gpusPerNode: it.gpusPerNode,
      capacityType: s.capacityType,
      hourlyPrice,
      rpsPerNode: plan.rpsPerNode,
      min: s.min,
      max: s.max,
      timeToReadySeconds: readySeconds,
      desired: s.desired,
      ready: s.desired,
      ...(s.reservationId ? { reservationId: s.reservationId } : {}),
      ...(warmOf(s) ? { warm: warmOf(s) } : {}),
      tags: { cluster: CLUSTER, ...(s.scope ? { scope: s.scope } : {}) },
    };
  });

  const worldPools: WorldPoolSpec[] = pools.map((p) => {
    const s = shapes.find((x) => x.id === p.id)!;
    return {
      id: p.id,
      cloud: p.cloud,
      kind: p.kind,
      name: p.resource,
      region: p.location.region,
      zones: p.location.zones,
      instanceType: p.instanceType,
      capacityType: p.capacityType,
      desired: p.desired,
      min: p.min,
      max: p.max,
      bootSeconds,
      readySeconds,
      hourlyPrice: p.hourlyPrice,
      ...(p.reservationId ? { reservationId: p.reservationId } : {}),
      ...(s.scope ? { scope: s.scope } : {}),
      ...(p.warm
        ? {
            warm: {
              resumeSeconds: p.warm.resumeSeconds,
              hourlyPrice: p.warm.hourlyPrice,
              resumeFailureRate: options.warmStartFailureRate ?? 0,
            },
          }
        : {}),
      cluster: CLUSTER,
      tags: { ...p.tags },
    };
  });

  const reservations: WorldReservation[] = [
    {
      id: CAPACITY_BLOCK_ID,
      cloud: 'aws',
      type: 'capacity-block',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: block.instances,
      start: startMs + block.startHours * 3_600_000,
      end: startMs + (block.startHours + block.hours) * 3_600_000,
    },
  ];

  const onDemand = pools.filter((p) => p.capacityType === 'on-demand');
  const baseline = onDemand.reduce((best, p) =>
    p.hourlyPrice / p.rpsPerNode < best.hourlyPrice / best.rpsPerNode ? p : best,
  );

  const fleet: Fleet = {
    id: 'llm-demo',
    endpoint: 'inference/llm-server',
    workload: model,
    slo: { p95LatencyMs: latencyTargetMs, availability: 0.999 },
    policy: { ...DEFAULT_POLICY, minNodes: 2, maxNodes: 64 },
    pools,
  };

  return {
    fleet,
    schedule: DEMO_SCHEDULE,
    worldPools,
    reservations,
    cluster: {
      name: CLUSTER,
      namespace: 'inference',
      deployment: 'llm-server',
      replicas: pools.reduce((n, p) => n + p.desired * podsPerNode[p.id]!, 0),
      podsPerNode,
      labels: { app: 'llm-server', model: model.name },
    },
    startMs,
    baselinePoolId: baseline.id,
    defaultDayScale: baseline.rpsPerNode / SEED_RPS_PER_REPLICA,
  };
}

/** Throughput and GPUs per node of each pool, for the physics. */
export function poolPhysics(demo: DemoFleet): Map<string, PoolPhysics> {
  return new Map(demo.fleet.pools.map((p) => [p.id, { rpsPerNode: p.rpsPerNode, gpusPerNode: p.gpusPerNode }]));
}

/** A pool of the demo fleet by id (throws for an unknown id). */
export function demoPool(demo: DemoFleet, id: string): Pool {
  const p = demo.fleet.pools.find((x) => x.id === id);
  if (!p) throw new Error(`no pool ${id} in the demo fleet`);
  return p;
}
