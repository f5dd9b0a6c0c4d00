/** Builders for engine tests: a pool, a fleet policy and a decision input with overridable defaults. */
import type { Fleet, FleetPolicy, Pool, ScalingRules } from '../../shared/domain/types.ts';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP } from '../../shared/engine/defaults.ts';
import type { DecisionInput, HistoryEntry } from '../../shared/engine/types.ts';

export const T0 = new Date('2026-03-02T12:00:00Z');
export const at = (secondsFromT0: number): string => new Date(T0.getTime() + secondsFromT0 * 1000).toISOString();

export function pool(over: Partial<Pool> & { id: string }): Pool {
  const desired = over.desired ?? 0;
  return {
    cloud: 'aws',
    kind: 'auto-scaling-group',
    resource: over.id,
    location: { region: 'us-east-1', zones: ['us-east-1a'] },
    instanceType: 'g5.xlarge',
    gpuModel: 'A10G',
    gpusPerNode: 1,
    capacityType: 'on-demand',
    hourlyPrice: 1,
    rpsPerNode: 10,
    min: 0,
    max: 100,
    timeToReadySeconds: 300,
    ready: over.ready ?? desired,
    ...over,
    desired,
  };
}

/**
 * A pool's warm capacity as the demo's on-demand g5 pool has it: up to 20 nodes stopped, 120 s to resume, a 100 GB
 * gp3 disk at $0.011/h.
 */
export const warmSpec = (over: Partial<NonNullable<Pool['warm']>> = {}): NonNullable<Pool['warm']> => ({
  min: 0,
  max: 20,
  state: 'stopped',
  resumeSeconds: 120,
  diskType: 'gp3',
  diskGb: 100,
  hourlyPrice: 0.011,
  ...over,
});

type PolicyOverrides = Partial<Omit<FleetPolicy, 'placement' | 'safety'>> & {
  placement?: Partial<FleetPolicy['placement']>;
  safety?: Partial<FleetPolicy['safety']>;
};

/** Rules that let any change through at once (no stabilization, 1000 nodes per 15 s). */
export const FREE: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 1000, periodSeconds: 15 }],
};

/** The Kubernetes defaults, for tests about them. */
export const HPA_DEFAULTS = { scaleUp: DEFAULT_SCALE_UP, scaleDown: DEFAULT_SCALE_DOWN };

/**
 * A permissive policy, so that a test sees the one rule it is about: no stabilization and no rate limit
 * (FREE), no step limit, no cooldown, no budget, everything on-demand, 10% tolerance.
 */
export function policy(over: PolicyOverrides = {}): FleetPolicy {
  return {
    minNodes: 0,
    maxNodes: 1000,
    tolerance: 0.1,
    metrics: [{ metric: 'gpu_utilization', target: 70 }],
    demandBuffer: 0.2,
    scaleUp: FREE,
    scaleDown: FREE,
    scaleToZero: false,
    ...over,
    placement: {
      onDemandBase: 0,
      spotShare: 0,
      maxSpotSharePerZone: 1,
      offeringBackoffSeconds: 600,
      ...over.placement,
    },
    safety: {
      maxStepUp: 1000,
      maxStepDown: 1000,
      scaleUpCooldownSeconds: 0,
      scaleDownCooldownSeconds: 0,
      ...over.safety,
    },
  };
}

export function fleet(pools: Pool[], over: PolicyOverrides = {}, id = 'llm'): Fleet {
  return { id, slo: { p95LatencyMs: 500, availability: 0.995 }, policy: policy(over), pools };
}

export function input(f: Fleet, over: Partial<DecisionInput> = {}): DecisionInput {
  return { fleet: f, signals: [], history: [], state: { offeringBackoff: [] }, ...over };
}

/** A history entry `secondsAgo` before T0. */
export function past(secondsAgo: number, over: Partial<HistoryEntry>): HistoryEntry {
  return { at: at(-secondsAgo), recommendation: 0, from: 0, to: 0, applied: false, ...over };
}
