/**
 * A small AWS world and the adapter pointed at its emulator, for the contract tests. Every test gets its own
 * world, emulator and clients (a server on 127.0.0.1:0 starts in a few milliseconds), so no test sees
 * another's changes. Pages are capped at 2 items, so every listing in every test goes through paging.
 */
import { type AwsAdapterOptions, type AwsAdapters, createAwsAdapters } from '../../shared/adapters/aws/index.ts';
import type { PoolRef } from '../../shared/domain/ports.ts';
import { type AwsEmulator, type AwsEmulatorOptions, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';

export const REGION = 'us-east-1';
export const START = Date.parse('2025-03-03T09:00:00Z');
export const HOUR = 3_600_000;

const common = {
  cloud: 'aws' as const,
  region: REGION,
  zones: ['us-east-1a', 'us-east-1b'],
  instanceType: 'g5.12xlarge',
  min: 0,
  max: 20,
  bootSeconds: 90,
  readySeconds: 420,
};

/** The world's AWS pools, one per kind, plus an instant fleet and a pool drawing on a capacity block. */
export const POOLS = {
  fleet: {
    ...common,
    id: 'aws-g5-spot',
    kind: 'ec2-fleet',
    name: 'fleet-0a1b2c3d4e5f60718',
    capacityType: 'spot',
    desired: 5,
    hourlyPrice: 2.1,
  },
  instantFleet: {
    ...common,
    id: 'aws-g5-instant',
    kind: 'ec2-fleet',
    name: 'fleet-0ffffeeeeddddcccc',
    capacityType: 'on-demand',
    desired: 1,
    hourlyPrice: 5.67,
  },
  asg: {
    ...common,
    id: 'aws-g5-od',
    kind: 'auto-scaling-group',
    name: 'gpu-g5-ondemand',
    capacityType: 'on-demand',
    desired: 3,
    min: 1,
    max: 8,
    hourlyPrice: 5.67,
  },
  eks: {
    ...common,
    id: 'aws-eks-l4',
    kind: 'eks-nodegroup',
    name: 'prod/gpu-l4',
    instanceType: 'g6.xlarge',
    capacityType: 'on-demand',
    desired: 2,
    max: 6,
    hourlyPrice: 0.8,
  },
  block: {
    ...common,
    id: 'aws-p5-block',
    kind: 'auto-scaling-group',
    name: 'gpu-p5-block',
    instanceType: 'p5.48xlarge',
    zones: ['us-east-1a'],
    capacityType: 'reserved',
    desired: 2,
    max: 4,
    hourlyPrice: 0,
    reservationId: 'cr-0b10c000000000001',
  },
} satisfies Record<string, WorldPoolSpec>;

export function refOfSpec(spec: WorldPoolSpec): PoolRef {
  return {
    id: spec.id,
    cloud: 'aws',
    kind: spec.kind,
    resource: spec.name,
    location: { region: spec.region, zones: spec.zones },
  };
}

export function makeWorld(): World {
  const world = new World({ start: START, seed: 7 });
  world.addReservation({
    id: 'cr-0b10c000000000001',
    cloud: 'aws',
    type: 'capacity-block',
    instanceType: 'p5.48xlarge',
    zone: 'us-east-1a',
    total: 4,
    start: START - HOUR,
    end: START + 24 * HOUR,
  });
  world.addReservation({
    id: 'cr-0b10c000000000002',
    cloud: 'aws',
    type: 'capacity-block',
    instanceType: 'p5.48xlarge',
    zone: 'us-east-1b',
    total: 8,
    start: START + 48 * HOUR,
    end: START + 72 * HOUR,
  });
  world.addReservation({
    id: 'cr-0d0c0000000000003',
    cloud: 'aws',
    type: 'odcr',
    instanceType: 'g5.12xlarge',
    zone: 'us-east-1a',
    total: 3,
    start: START - 24 * HOUR,
    end: START + 30 * 24 * HOUR,
  });
  world.addReservation({
    id: 'cr-0f0c0000000000004',
    cloud: 'aws',
    type: 'future-odcr',
    instanceType: 'g6.xlarge',
    zone: 'us-east-1b',
    total: 10,
    start: START + 7 * 24 * HOUR,
    end: START + 37 * 24 * HOUR,
  });
  world.addReservation({
    id: 'cr-0e0c0000000000005',
    cloud: 'aws',
    type: 'odcr',
    instanceType: 'g5.12xlarge',
    zone: 'us-east-1b',
    total: 2,
    start: START - 48 * HOUR,
    end: START - HOUR,
  });
  // Another cloud's and another region's reservations are not listed by EC2 in us-east-1.
  world.addReservation({
    id: 'cr-0a0a0000000000006',
    cloud: 'aws',
    type: 'odcr',
    instanceType: 'g5.12xlarge',
    zone: 'us-west-2a',
    total: 2,
    start: START - HOUR,
    end: START + HOUR,
  });
  world.addReservation({
    id: 'gcp-res-1',
    cloud: 'gcp',
    type: 'odcr',
    instanceType: 'a2-highgpu-1g',
    zone: 'us-central1-a',
    total: 2,
    start: START - HOUR,
    end: START + HOUR,
  });
  for (const spec of Object.values(POOLS)) world.addPool(spec);
  return world;
}

export interface Env {
  world: World;
  emulator: AwsEmulator;
  aws: AwsAdapters;
  close(): Promise<void>;
}

/** Test settings: 2-item pages, fast retries and polls, a short request timeout. */
export const FAST: Pick<AwsAdapterOptions, 'retry' | 'poll' | 'requestTimeoutMs' | 'credentials'> = {
  retry: { maxAttempts: 3, baseDelayMs: 5 },
  poll: { intervalMs: 10, timeoutMs: 2_000 },
  requestTimeoutMs: 400,
  credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key-for-tests-only' },
};

export async function startEnv(
  options: { emulator?: AwsEmulatorOptions; adapter?: Partial<AwsAdapterOptions>; world?: World } = {},
): Promise<Env> {
  const world = options.world ?? makeWorld();
  const emulator = await startAwsEmulator(world, {
    pageSize: 2,
    fleetTypes: { [POOLS.instantFleet.name]: 'instant' },
    ...options.emulator,
  });
  const aws = createAwsAdapters({
    region: REGION,
    endpoints: emulator.endpoints,
    clock: () => new Date(world.now()),
    ...FAST,
    ...options.adapter,
  });
  return {
    world,
    emulator,
    aws,
    close: async () => {
      aws.close();
      await emulator.close();
    },
  };
}
