/**
 * Familiar vocabulary in the configuration, each mapped to the autoscaler's own rules: HPA's
 * `behavior.{scaleUp,scaleDown}`, Karpenter's `limits.{gpus,hourlyUsd}`, Cluster Autoscaler's pool `priority`.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';

const pool = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  kind: 'auto-scaling-group',
  resource: id,
  region: 'r',
  zones: ['a'],
  instanceType: 'g5.xlarge',
  capacityType: 'on-demand',
  max: 4,
  ...over,
});
const resolve = (policy: Record<string, unknown>, pools = [pool('p')], defaults: Record<string, unknown> = {}) =>
  resolveConfig(parseConfig({ version: 1, defaults, fleets: [{ id: 'f', workload: 'llama3-8b', policy, pools }] }));
const rules = { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] };

describe('configuration vocabulary', () => {
  it("HPA's behavior.scaleUp and behavior.scaleDown are scaleUp and scaleDown", () => {
    const hpa = resolve({ behavior: { scaleUp: rules, scaleDown: { stabilizationWindowSeconds: 900 } } }).fleets[0]!;
    const ours = resolve({ scaleUp: rules, scaleDown: { stabilizationWindowSeconds: 900 } }).fleets[0]!;
    expect(hpa.policy).toEqual(ours.policy);
    expect(hpa.policy.scaleUp.stabilizationWindowSeconds).toBe(60);
    expect(hpa.policy.scaleDown.stabilizationWindowSeconds).toBe(900);
  });

  it('refuses the same rules given both ways, naming both', () => {
    expect(() => resolve({ scaleUp: rules, behavior: { scaleUp: rules } })).toThrow(
      /fleets\[0\]\.policy\.behavior\.scaleUp: scaleUp is given twice/,
    );
  });

  it.each([
    ['limits.gpus', { limits: { gpus: 16 } }, { maxGpus: 16 }],
    ['limits.hourlyUsd', { limits: { hourlyUsd: 40 } }, { hourlyBudgetUsd: 40 }],
    [
      'the tighter of limits.hourlyUsd and safety.hourlyBudgetUsd',
      { limits: { hourlyUsd: 40 }, safety: { hourlyBudgetUsd: 30 } },
      { hourlyBudgetUsd: 30 },
    ],
  ])("Karpenter's %s", (_, policy, safety) => {
    expect(resolve(policy).fleets[0]!.policy.safety).toMatchObject(safety);
  });

  it("Karpenter's disruption.budgets: counts and percentages; anything else is refused", () => {
    const budgets = [{ nodes: 2 }, { nodes: '10%', windowSeconds: 600 }];
    expect(resolve({ disruption: { budgets } }).fleets[0]!.policy.safety.disruptionBudgets).toEqual(budgets);
    expect(() => resolve({ disruption: { budgets: [{ nodes: '10' }] } })).toThrow(/budgets\[0\]\.nodes/);
    expect(() => resolve({ disruption: { budgets: [{ nodes: -1 }] } })).toThrow(/budgets\[0\]\.nodes/);
    expect(() => resolve({ disruption: { budgets: [] } })).toThrow(/disruption\.budgets/);
  });

  it("KEDA's fallback: behavior static by default; a threshold of 0 is refused", () => {
    expect(resolve({ fallback: { failureThreshold: 3, replicas: 2 } }).fleets[0]!.policy.fallback).toEqual({
      failureThreshold: 3,
      replicas: 2,
      behavior: 'static',
    });
    expect(() => resolve({ fallback: { failureThreshold: 0, replicas: 2 } })).toThrow(/fallback\.failureThreshold/);
  });

  it('limits in the defaults apply to every fleet, a fleet may override them', () => {
    expect(resolve({}, undefined, { limits: { gpus: 8 } }).fleets[0]!.policy.safety.maxGpus).toBe(8);
    expect(resolve({ limits: { gpus: 4 } }, undefined, { limits: { gpus: 8 } }).fleets[0]!.policy.safety.maxGpus).toBe(
      4,
    );
  });

  it("a pool's priority reaches the engine; out of range or fractional is refused", () => {
    const f = resolve({}, [pool('p', { priority: 10 }), pool('q')]).fleets[0]!;
    expect(f.pools.map((p) => p.priority)).toEqual([10, undefined]);
    expect(() => resolve({}, [pool('p', { priority: 1.5 })])).toThrow(/pools\[0\]\.priority/);
    expect(() => resolve({}, [pool('p', { priority: 5000 })])).toThrow(/pools\[0\]\.priority/);
  });
});
