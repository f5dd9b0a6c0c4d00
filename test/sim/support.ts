/** Small fleets and traces with round numbers, for hand-checked simulation tests. */
import type { Cloud, Pool, PoolKind, ScheduleWindow } from '../../shared/domain/types.ts';
import { DEFAULT_POLICY } from '../../shared/config/policy.ts';
import type { WorldPoolSpec, WorldReservation } from '../../local/emulators/world.ts';
import type { DemoFleet } from '../../local/sim/demo.ts';
import type { SpotSchedule } from '../../local/sim/spot.ts';
import type { DemandTrace } from '../../local/sim/trace.ts';
import type { CliIo } from '../../local/cli/io.ts';

export const T0 = Date.parse('2026-01-05T00:00:00Z');

export interface TinyPool {
  id: string;
  cloud?: Cloud;
  kind?: PoolKind;
  capacityType?: Pool['capacityType'];
  rpsPerNode?: number;
  gpusPerNode?: number;
  hourlyPrice?: number;
  readySeconds?: number;
  bootSeconds?: number;
  zones?: string[];
  desired?: number;
  /** The pool's minimum (default 0). */
  min?: number;
  max?: number;
  reservationId?: string;
}

/** A fleet of the given pools (default: on-demand, 10 rps, 1 USD/h, ready after 600 s, one zone). */
export function tinyDemo(pools: TinyPool[], reservations: WorldReservation[] = []): DemoFleet {
  const full = pools.map((p) => ({
    cloud: 'aws' as Cloud,
    kind: 'auto-scaling-group' as PoolKind,
    capacityType: 'on-demand' as Pool['capacityType'],
    rpsPerNode: 10,
    gpusPerNode: 1,
    hourlyPrice: 1,
    readySeconds: 600,
    zones: ['z1'],
    desired: 0,
    min: 0,
    max: 100,
    ...p,
    bootSeconds: Math.min(p.bootSeconds ?? 0, p.readySeconds ?? 600),
  }));
  const fleetPools: Pool[] = full.map((p) => ({
    id: p.id,
    cloud: p.cloud,
    kind: p.kind,
    resource: `res-${p.id}`,
    location: { region: 'r1', zones: p.zones },
    instanceType: 'g5.xlarge',
    gpuModel: 'a10g-24gb',
    gpusPerNode: p.gpusPerNode,
    capacityType: p.capacityType,
    hourlyPrice: p.hourlyPrice,
    rpsPerNode: p.rpsPerNode,
    min: p.min,
    max: p.max,
    timeToReadySeconds: p.readySeconds,
    desired: p.desired,
    ready: p.desired,
    ...(p.reservationId ? { reservationId: p.reservationId } : {}),
  }));
  const worldPools: WorldPoolSpec[] = full.map((p) => ({
    id: p.id,
    cloud: p.cloud,
    kind: p.kind,
    name: `res-${p.id}`,
    region: 'r1',
    zones: p.zones,
    instanceType: 'g5.xlarge',
    capacityType: p.capacityType,
    desired: p.desired,
    min: p.min,
    max: p.max,
    bootSeconds: p.bootSeconds,
    readySeconds: p.readySeconds,
    hourlyPrice: p.hourlyPrice,
    ...(p.reservationId ? { reservationId: p.reservationId } : {}),
  }));
  const onDemand = fleetPools.filter((p) => p.capacityType === 'on-demand');
  return {
    fleet: {
      id: 'tiny',
      slo: { p95LatencyMs: 1000, availability: 0.99 },
      policy: DEFAULT_POLICY,
      pools: fleetPools,
    },
    worldPools,
    reservations,
    cluster: { name: 'c', namespace: 'n', deployment: 'd', replicas: 0, podsPerNode: {}, labels: {} },
    startMs: T0,
    baselinePoolId: onDemand.sort((a, b) => a.hourlyPrice / a.rpsPerNode - b.hourlyPrice / b.rpsPerNode)[0]?.id ?? '',
    defaultDayScale: 1,
  };
}

/** A trace of constant rates: `[startMinute, rps]` pieces, lasting `minutes` in all. */
export function stepTrace(pieces: Array<[number, number]>, minutes: number): DemandTrace {
  return {
    stepSeconds: 60,
    points: pieces.map(([m, rps]) => ({ t: m * 60, rps })),
    durationSeconds: minutes * 60,
    source: 'test trace',
  };
}

export const NO_SPOT: SpotSchedule = { source: 'none', changes: [], mapping: [] };

/** Every controller `autoscaler simulate` runs, in the order it reports them. */
export const CONTROLLERS = ['autoscaler', 'reactive', 'hpa', 'karpenter', 'spothedge', 'static', 'oracle'] as const;

/** A command line's input and output in memory: what it prints to each stream, line by line. */
export function fakeIo(cwd: string, tty?: CliIo['tty']) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => '',
    env: {},
    cwd,
    tty,
  };
  return { io, out, err };
}

/** A schedule window every day, 01:00-02:00 UTC, that holds at least `minNodes` nodes. */
export function nightShift(minNodes: number): ScheduleWindow {
  return { name: 'night-shift', timeZone: 'UTC', days: [1, 2, 3, 4, 5, 6, 7], start: '01:00', end: '02:00', minNodes };
}
