/**
 * Arbitraries for the properties of local/advise/: the demo configuration (config/demo.json) with its baseline
 * on-demand pool, placement and warm capacity varied, and recorded demand of random shapes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseConfig, type ResolvedConfig, resolveConfig } from '../../shared/config/load.ts';
import type { Config } from '../../shared/config/schema.ts';
import type { RecordedDemand } from '../../local/advise/recommend.ts';
import { REPO_ROOT } from '../events/support.ts';

export const FLEET_ID = 'llm-demo';
const DEMO_JSON: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config/demo.json'), 'utf8'));

/** AWS types the capacity model fits llama3-8b on; p4d and p5 have Capacity Blocks. */
export const AWS_TYPES = ['g5.xlarge', 'g5.2xlarge', 'g6.xlarge', 'g6e.xlarge', 'p4d.24xlarge', 'p5.48xlarge'] as const;

export interface Variation {
  odType: string;
  odMin: number;
  odMax: number;
  timeToReadySeconds: number;
  warm: { min: number; max: number } | undefined;
  onDemandBase: number;
  spotShare: number;
  spotType: string;
  p95LatencyMs: number;
  /** Without the GCP L4 pool (else often the cheapest per request/s, hence the baseline). */
  dropL4: boolean;
}

export const variationArb: fc.Arbitrary<Variation> = fc
  .record({
    odType: fc.constantFrom(...AWS_TYPES),
    odMax: fc.integer({ min: 1, max: 40 }),
    odMin: fc.integer({ min: 0, max: 2 }),
    timeToReadySeconds: fc.integer({ min: 30, max: 1800 }),
    warm: fc.option(
      fc
        .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }))
        .map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
      { nil: undefined },
    ),
    onDemandBase: fc.integer({ min: 0, max: 40 }),
    spotShare: fc.constantFrom(0, 0.25, 0.5, 0.75, 1),
    spotType: fc.constantFrom('g5.xlarge', 'g5.2xlarge', 'p5.48xlarge'),
    p95LatencyMs: fc.constantFrom(12_000, 15_000, 20_000),
    dropL4: fc.boolean(),
  })
  .map((v) => ({ ...v, odMin: Math.min(v.odMin, v.odMax) }));

/** The demo configuration with the variation applied (validated as the loader does). */
export function configOf(v: Variation): Config {
  const raw = structuredClone(DEMO_JSON) as {
    fleets: Array<{
      slo: { p95LatencyMs: number };
      policy: { placement: Record<string, number> };
      pools: Array<Record<string, unknown>>;
    }>;
  };
  const f = raw.fleets[0]!;
  f.slo.p95LatencyMs = v.p95LatencyMs;
  f.policy.placement.onDemandBase = v.onDemandBase;
  f.policy.placement.spotShare = v.spotShare;
  const od = f.pools.find((p) => p.id === 'aws-g5-ondemand')!;
  od.instanceType = v.odType;
  od.min = v.odMin;
  od.max = v.odMax;
  od.timeToReadySeconds = v.timeToReadySeconds;
  if (v.warm) od.warm = { ...v.warm, state: 'stopped' };
  else delete od.warm;
  f.pools.find((p) => p.id === 'aws-g5-spot')!.instanceType = v.spotType;
  if (v.dropL4) f.pools = f.pools.filter((p) => p.id !== 'gcp-l4');
  return parseConfig(raw, 'property');
}

export function resolvedOf(v: Variation): ResolvedConfig {
  return resolveConfig(configOf(v), 'property');
}

/** Requests/s of a step: mostly moderate, sometimes zero, sometimes a spike. */
const rpsArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 400, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.double({ min: 400, max: 3000, noNaN: true }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) },
);

/** A steady level with noise: a floor worth reserving. */
const steadyArb = fc
  .tuple(
    fc.double({ min: 0, max: 3000, noNaN: true }),
    fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 1, maxLength: 150 }),
  )
  .map(([level, noise]) => noise.map((x) => level * (1 + x)));

export const demandArb: fc.Arbitrary<RecordedDemand> = fc.record({
  stepSeconds: fc.constantFrom(15, 60, 300, 900),
  rps: fc.oneof(fc.array(rpsArb, { minLength: 1, maxLength: 150 }), steadyArb),
  source: fc.constant('property'),
});
