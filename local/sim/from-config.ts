/**
 * A simulated fleet from a configuration file (`autoscaler simulate --config FILE`): the fleet as the
 * functions will see it (prices from the catalog, throughput from the capacity model, merged policy), its
 * cloud pools in the World (at their minimum, the fleet's `minNodes` made up on the cheapest on-demand pool,
 * all serving at the start), and for every reserved pool a capacity block of `max` instances from 09:00 to
 * 17:00 of the first day (a configuration names its reservations but not their times).
 */
import type { ResolvedConfig } from '../../shared/config/load.ts';
import type { Pool } from '../../shared/domain/types.ts';
import type { WorldReservation } from '../emulators/world.ts';
import { worldPoolsFromConfig } from '../seed.ts';
import { DEMO_START, type DemoFleet } from './demo.ts';
import { SEED_RPS_PER_REPLICA } from './trace.ts';

export interface FromConfigOptions {
  /** The fleet to simulate (default: the first). */
  fleetId?: string;
  startMs?: number;
  /** When each reserved pool's capacity block runs, hours from the start. */
  reservationWindow?: { startHours: number; hours: number };
}

const perRps = (p: Pool) => p.hourlyPrice / p.rpsPerNode;

export function demoFromConfig(resolved: ResolvedConfig, options: FromConfigOptions = {}): DemoFleet {
  const index = options.fleetId ? resolved.fleets.findIndex((f) => f.id === options.fleetId) : 0;
  if (index < 0) throw new Error(`no fleet '${options.fleetId}' in the configuration`);
  const configured = resolved.fleets[index]!;
  const fleetConfig = resolved.config.fleets[index]!;
  const cloudPools = configured.pools.filter((p) => p.cloud !== 'kubernetes');
  if (cloudPools.length === 0) throw new Error(`fleet '${configured.id}' has no cloud pools to simulate`);
  const startMs = options.startMs ?? DEMO_START;
  const window = options.reservationWindow ?? { startHours: 9, hours: 8 };

  // Start at every pool's minimum; make up the fleet's minNodes on the cheapest on-demand pool.
  const initial = new Map(cloudPools.map((p) => [p.id, p.min]));
  const onDemand = cloudPools.filter((p) => p.capacityType === 'on-demand');
  const baseline = (onDemand.length ? onDemand : cloudPools).reduce((best, p) => (perRps(p) < perRps(best) ? p : best));
  const short = configured.policy.minNodes - [...initial.values()].reduce((a, b) => a + b, 0);
  if (short > 0) initial.set(baseline.id, Math.min(baseline.max, initial.get(baseline.id)! + short));

  const fleetIds = new Set(cloudPools.map((p) => p.id));
  const worldPools = worldPoolsFromConfig(resolved, (id, min) => initial.get(id) ?? min).filter((w) =>
    fleetIds.has(w.id),
  );
  const reservations: WorldReservation[] = [];
  for (const p of cloudPools) {
    if (p.capacityType !== 'reserved' || !p.reservationId || reservations.some((r) => r.id === p.reservationId))
      continue;
    reservations.push({
      id: p.reservationId,
      cloud: p.cloud,
      type: 'capacity-block',
      instanceType: p.instanceType,
      zone: p.location.zones[0]!,
      total: p.max,
      start: startMs + window.startHours * 3_600_000,
      end: startMs + (window.startHours + window.hours) * 3_600_000,
    });
  }

  const pools = configured.pools.map((p) => ({ ...p, desired: initial.get(p.id) ?? 0, ready: initial.get(p.id) ?? 0 }));
  const gpusPerReplica = fleetConfig.deployment?.gpusPerReplica ?? 1;
  const podsPerNode = Object.fromEntries(cloudPools.map((p) => [p.id, Math.floor(p.gpusPerNode / gpusPerReplica)]));
  return {
    fleet: { ...configured, pools },
    schedule: resolved.schedules[configured.id] ?? [],
    worldPools,
    reservations,
    cluster: {
      name: fleetConfig.deployment?.cluster ?? 'none',
      namespace: fleetConfig.deployment?.namespace ?? 'default',
      deployment: fleetConfig.deployment?.name ?? configured.id,
      replicas: cloudPools.reduce((n, p) => n + (initial.get(p.id) ?? 0) * podsPerNode[p.id]!, 0),
      podsPerNode,
      labels: { app: fleetConfig.deployment?.name ?? configured.id },
    },
    startMs,
    baselinePoolId: baseline.id,
    defaultDayScale: baseline.rpsPerNode / SEED_RPS_PER_REPLICA,
  };
}
