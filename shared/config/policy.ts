/**
 * Policy defaults and merging: the built-in defaults, then the file's `defaults`, then the fleet's `policy`,
 * field by field.
 */
import type { FleetPolicy, ScalingRules } from '../domain/types.ts';
import { DEFAULT_DEMAND_BUFFER, DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, DEFAULT_TOLERANCE } from '../engine/defaults.ts';
import type { PolicyConfig } from './schema.ts';

/**
 * Defaults an operator of GPU fleets would expect:
 * - the engine's HPA defaults (`shared/engine/defaults.ts`, each citing the Kubernetes default it reproduces):
 *   tolerance 0.1, scale up max(+100%, +4) per 15 s, scale down 100% per 15 s after a 300 s stabilization
 *   window, and its 20% demand buffer;
 * - a 70% GPU utilization target (seed 002);
 * - one on-demand node as a base, 70% of the rest on spot, no more than half the spot nodes in one pool+zone;
 * - offerings that were interrupted or short of capacity skipped for 3 minutes (Karpenter's unavailable
 *   offerings cache, `UnavailableOfferingsTTL` in aws/karpenter-provider-aws pkg/cache: 3 minutes); their
 *   share goes to the next offering or on-demand in the same decision;
 * - at most 16 nodes added and 8 removed per decision, no scale-in within 5 minutes of the last one.
 */
export const DEFAULT_POLICY: FleetPolicy = {
  minNodes: 1,
  maxNodes: 64,
  tolerance: DEFAULT_TOLERANCE,
  metrics: [{ metric: 'gpu_utilization', target: 70 }],
  demandBuffer: DEFAULT_DEMAND_BUFFER,
  scaleUp: DEFAULT_SCALE_UP,
  scaleDown: DEFAULT_SCALE_DOWN,
  placement: {
    onDemandBase: 1,
    spotShare: 0.7,
    maxSpotSharePerZone: 0.5,
    offeringBackoffSeconds: 180,
  },
  safety: {
    maxStepUp: 16,
    maxStepDown: 8,
    scaleUpCooldownSeconds: 0,
    scaleDownCooldownSeconds: 300,
  },
  scaleToZero: false,
};

function mergeRules(base: ScalingRules, over: PolicyConfig['scaleUp']): ScalingRules {
  if (!over) return base;
  return {
    stabilizationWindowSeconds: over.stabilizationWindowSeconds ?? base.stabilizationWindowSeconds,
    selectPolicy: over.selectPolicy ?? base.selectPolicy,
    policies: over.policies ?? base.policies,
    ...(over.tolerance !== undefined || base.tolerance !== undefined
      ? { tolerance: over.tolerance ?? base.tolerance }
      : {}),
  };
}

/** Merges policy layers over a base, field by field (arrays replace, objects merge). */
export function mergePolicy(base: FleetPolicy, ...layers: Array<PolicyConfig | undefined>): FleetPolicy {
  let p = base;
  for (const layer of layers) {
    if (!layer) continue;
    const l = familiar(layer);
    p = {
      minNodes: l.minNodes ?? p.minNodes,
      maxNodes: l.maxNodes ?? p.maxNodes,
      tolerance: l.tolerance ?? p.tolerance,
      metrics: l.metrics ?? p.metrics,
      demandBuffer: l.demandBuffer ?? p.demandBuffer,
      scaleUp: mergeRules(p.scaleUp, l.scaleUp),
      scaleDown: mergeRules(p.scaleDown, l.scaleDown),
      placement: {
        ...p.placement,
        ...stripUndefined(l.placement ?? {}),
        // Cloud by cloud: a fleet that caps one cloud keeps the file's caps of the others.
        ...(p.placement.maxPerCloud && l.placement?.maxPerCloud
          ? { maxPerCloud: { ...p.placement.maxPerCloud, ...stripUndefined(l.placement.maxPerCloud) } }
          : {}),
      },
      safety: { ...p.safety, ...stripUndefined(l.safety ?? {}) },
      scaleToZero: l.scaleToZero ?? p.scaleToZero,
      ...((l.fallback ?? p.fallback) ? { fallback: l.fallback ?? p.fallback } : {}),
    };
  }
  return p;
}

/**
 * Familiar vocabulary in our own words: HPA's `behavior.scaleUp`/`scaleDown` are `scaleUp`/`scaleDown`, and
 * Karpenter's `limits.gpus`/`limits.hourlyUsd` are `safety.maxGpus`/`safety.hourlyBudgetUsd` (the tighter one
 * when both are given; the configuration's checks refuse a scaleUp given both ways).
 */
export function familiar(l: PolicyConfig): PolicyConfig {
  const { behavior, limits, disruption, ...rest } = l;
  if (!behavior && !limits && !disruption) return l;
  const budgets = [rest.safety?.hourlyBudgetUsd, limits?.hourlyUsd].filter((v): v is number => v !== undefined);
  return {
    ...rest,
    scaleUp: rest.scaleUp ?? behavior?.scaleUp,
    scaleDown: rest.scaleDown ?? behavior?.scaleDown,
    safety: {
      ...rest.safety,
      ...(budgets.length ? { hourlyBudgetUsd: Math.min(...budgets) } : {}),
      ...(limits?.gpus !== undefined ? { maxGpus: limits.gpus } : {}),
      ...(disruption ? { disruptionBudgets: disruption.budgets } : {}),
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
