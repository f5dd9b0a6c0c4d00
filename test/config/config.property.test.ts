/**
 * Properties of the configuration loader (shared/config) over random valid variants of config/demo.json
 * (config-arbitraries.ts). What README.md ("Configuration") and the modules promise: a valid configuration is
 * accepted and resolves the same way every time without being changed; its parsed form is itself a valid input
 * that resolves to the same thing; what a file leaves out takes the documented default; a fleet's policy
 * overrides the file's `defaults`, which override the built-in ones, field by field; every pool resource and
 * schedule is routed, and an alarm name to its first mapping; the forecast schedule's period is its rate.
 * Invalid changes: config-errors.property.test.ts. `PROP_RUNS` sets the runs per property (300 by default).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forecastIntervalSeconds } from '../../shared/config/forecast-schedule.ts';
import type { ResolvedConfig } from '../../shared/config/load.ts';
import { DEFAULT_POLICY } from '../../shared/config/policy.ts';
import { alarmRoutes, routingOf } from '../../shared/config/routing.ts';
import { MODEL_PRESETS, rpsPerNode } from '../../shared/domain/capacity.ts';
import { DEFAULT_CATALOG } from '../../shared/domain/catalog.ts';
import { alarmRef } from '../../shared/domain/routing.ts';
import { CLOUD_OF_KIND } from '../../shared/domain/types.ts';
import {
  DEFAULT_DISK_GB,
  DEFAULT_DISK_TYPE,
  DEFAULT_RESUME_SECONDS,
  type DISK_PRICES,
  type WarmState,
  warmHourlyPrice,
} from '../../shared/domain/warm.ts';
import { type Json, load, validDoc } from './config-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };

function accepted(doc: unknown) {
  const o = load(doc);
  if (!o.ok) throw new Error(`refused: ${o.error.message}`);
  return o.resolved;
}

describe('configuration: valid files', () => {
  it('accepts every valid configuration, resolves it the same way twice without changing it, and resolving its parsed form again changes nothing', () => {
    /** What a resolution says, as text (the catalog is compared apart: it is the built-in one unless overridden). */
    const text = (r: ResolvedConfig) => JSON.stringify({ config: r.config, fleets: r.fleets, schedules: r.schedules });
    fc.assert(
      fc.property(validDoc, (doc) => {
        const before = JSON.stringify(doc);
        const once = accepted(doc);
        expect(JSON.stringify(doc)).toBe(before);
        const again = accepted(doc);
        expect(text(again)).toBe(text(once));
        expect(isDeepStrictEqual(again.catalog, once.catalog)).toBe(true);
        // The parsed form, written to a file and read back, is a valid input with the same meaning.
        const reread = accepted(JSON.parse(JSON.stringify(once.config)));
        expect(text(reread)).toBe(text(once));
        expect(isDeepStrictEqual(reread.catalog, once.catalog)).toBe(true);
      }),
      RUNS,
    );
  });

  it('applies the documented defaults to what the file leaves out', () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const r = accepted(doc);
        const top = doc as Json & Record<string, Json | undefined>;
        expect(r.config.forecast).toEqual({
          lookbackHours: 48,
          seasonHours: 24,
          scaleIn: false,
          stepSeconds: 300,
          ...top.forecast,
        });
        expect(r.config.events).toEqual({ source: 'gpu-autoscaler', ...top.events });
        expect(r.config.audit).toEqual({ ttlDays: 90, ...top.audit });
        expect(r.config.lambda).toEqual({ interruptionProvisionedConcurrency: 1, fleetConcurrency: 10, ...top.lambda });
        expect(r.config.alarms).toHaveLength(((top.alarms as unknown[] | undefined) ?? []).length);
        const schedules = (top.schedules as unknown as Json[] | undefined) ?? [];
        // Each schedule is a window of each of its fleets, in file order, its days Monday to Friday by default.
        for (const f of doc.fleets) {
          const windows = schedules
            .filter((s) => (s.fleets as string[]).includes(f.id))
            .map(({ fleets: _, ...w }) => ({ days: [1, 2, 3, 4, 5], ...w }));
          expect(r.schedules[f.id] ?? []).toEqual(windows);
        }
        const spotOverride = (top.catalog?.instanceTypes as Record<string, Json> | undefined)?.['g5.xlarge']
          ?.spotHourly;
        doc.fleets.forEach((f, fi) => {
          const fleet = r.fleets[fi]!;
          const slo = { p95LatencyMs: 15_000, availability: 0.995, ...(f.slo as Json | undefined) };
          expect(fleet.slo).toEqual(slo);
          const model = f.workload === undefined ? undefined : MODEL_PRESETS[f.workload as keyof typeof MODEL_PRESETS];
          f.pools.forEach((p, pi) => {
            const pool = fleet.pools[pi]!;
            const it = DEFAULT_CATALOG.instanceTypes[p.instanceType as string]!;
            const spot = p.instanceType === 'g5.xlarge' && spotOverride !== undefined ? spotOverride : it.spotHourly;
            expect(pool.id).toBe(p.id);
            expect(pool.min).toBe(p.min ?? 0);
            expect(pool.max).toBe(p.max);
            expect(pool.timeToReadySeconds).toBe(p.timeToReadySeconds ?? 600);
            // The catalog's price for the capacity type; reserved capacity is already paid.
            const price = { reserved: 0, spot: spot ?? it.onDemandHourly, 'on-demand': it.onDemandHourly }[
              p.capacityType as 'spot'
            ];
            expect(pool.hourlyPrice).toBe(p.hourlyPrice ?? price);
            expect(pool.gpusPerNode).toBe(it.gpusPerNode);
            if (p.rpsPerNode !== undefined) expect(pool.rpsPerNode).toBe(p.rpsPerNode);
            else expect(pool.rpsPerNode).toBe(rpsPerNode(r.catalog, model!, it.name, slo.p95LatencyMs));
            expect(pool.priority).toBe(p.priority);
            // A pool's nodes join its own cluster, else its fleet Deployment's.
            expect(pool.tags?.cluster).toBe(p.cluster ?? (f.deployment as Json | undefined)?.cluster);
            const warm = p.warm as Json | undefined;
            if (!warm) {
              expect(pool.warm).toBeUndefined();
              return;
            }
            const state = (warm.state ?? 'stopped') as WarmState;
            const cloud = CLOUD_OF_KIND[p.kind] as keyof typeof DEFAULT_DISK_TYPE;
            const diskType = (p.diskType ?? DEFAULT_DISK_TYPE[cloud]) as keyof typeof DISK_PRICES;
            const diskGb = (p.diskGb ?? DEFAULT_DISK_GB) as number;
            expect(pool.warm).toEqual({
              min: warm.min ?? 0,
              max: warm.max,
              state,
              resumeSeconds: warm.resumeSeconds ?? DEFAULT_RESUME_SECONDS[state],
              diskType,
              diskGb,
              hourlyPrice: warm.hourlyPrice ?? warmHourlyPrice(diskType, diskGb, state, it.memoryGiB ?? 0),
            });
          });
        });
      }),
      RUNS,
    );
  });

  it("merges a fleet's policy over the defaults over the built-in policy, field by field", () => {
    /** A layer in the engine's words: HPA's behavior is scaleUp/scaleDown, Karpenter's limits are safety's. */
    const words = (l: Json | undefined) => {
      const layer = (l ?? {}) as Record<string, Json | undefined>;
      const budgets = [layer.safety?.hourlyBudgetUsd, layer.limits?.hourlyUsd].filter((v) => v !== undefined);
      return {
        ...layer,
        scaleUp: layer.scaleUp ?? layer.behavior?.scaleUp,
        scaleDown: layer.scaleDown ?? layer.behavior?.scaleDown,
        safety: {
          ...layer.safety,
          hourlyBudgetUsd: budgets.length ? Math.min(...(budgets as number[])) : undefined,
          maxGpus: layer.limits?.gpus,
          disruptionBudgets: (layer.disruption as Json | undefined)?.budgets,
        },
      } as Record<string, Json | undefined>;
    };
    fc.assert(
      fc.property(validDoc, (doc) => {
        const r = accepted(doc);
        const d = words(doc.defaults as Json | undefined);
        doc.fleets.forEach((f, fi) => {
          const policy = r.fleets[fi]!.policy;
          const l = words(f.policy);
          const base = DEFAULT_POLICY as unknown as Record<string, unknown>;
          for (const k of ['minNodes', 'maxNodes', 'tolerance', 'metrics', 'demandBuffer', 'scaleToZero'] as const) {
            expect(policy[k], k).toEqual(l[k] ?? d[k] ?? base[k]);
          }
          for (const dir of ['scaleUp', 'scaleDown'] as const) {
            for (const k of ['stabilizationWindowSeconds', 'selectPolicy', 'policies', 'tolerance'] as const) {
              expect(policy[dir][k], `${dir}.${k}`).toEqual(l[dir]?.[k] ?? d[dir]?.[k] ?? DEFAULT_POLICY[dir][k]);
            }
          }
          const keys = <T extends object>(...os: Array<T | undefined>) =>
            new Set(os.flatMap((o) => Object.keys(o ?? {})));
          for (const section of ['placement', 'safety'] as const) {
            const got = policy[section] as unknown as Record<string, unknown>;
            const builtIn = DEFAULT_POLICY[section] as unknown as Record<string, unknown>;
            for (const k of keys(got, builtIn, l[section], d[section])) {
              // maxPerCloud in both layers is left out: a per-cloud record, replaced or merged cloud by cloud.
              if (k === 'maxPerCloud' && l.placement?.maxPerCloud && d.placement?.maxPerCloud) continue;
              expect(got[k], `${section}.${k}`).toEqual(l[section]?.[k] ?? d[section]?.[k] ?? builtIn[k]);
            }
          }
          const fallback = (l.fallback ?? d.fallback) as Json | undefined;
          expect(policy.fallback).toEqual(fallback ? { behavior: 'static', ...fallback } : undefined);
        });
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Routing and the forecast schedule.

describe('configuration: routing', () => {
  it('routes every pool resource of a dimension and every schedule, and each alarm name to its first mapping', () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        const r = accepted(doc);
        const routing = routingOf(r);
        expect(routingOf(r)).toBe(routing);
        const dims = {
          'auto-scaling-group': 'AutoScalingGroupName',
          'ec2-fleet': 'FleetId',
          'azure-vmss': 'VMScaleSetName',
        };
        for (const f of r.fleets) {
          for (const p of f.pools) {
            const dim = dims[p.kind as keyof typeof dims];
            if (dim) expect(routing.dimensions[dim]![p.resource]).toEqual({ fleetId: f.id, poolId: p.id });
          }
        }
        for (const s of r.config.schedules)
          expect(routing.ticks[s.name]).toEqual({ purpose: 'schedule', window: s.name });
        for (const a of r.config.alarms) {
          const first = r.config.alarms.find((b) => b.alarm === a.alarm)!;
          const ref = {
            fleetId: first.fleetId,
            ...(first.poolId ? { poolId: first.poolId } : {}),
            ...(first.metric ? { metric: first.metric } : {}),
          };
          if (!a.alarm.endsWith('*')) expect(alarmRef(routing, a.alarm)).toEqual(ref);
          else
            expect(routing.alarmPrefixes.filter((p) => p.prefix === a.alarm.slice(0, -1))).toEqual([
              { prefix: a.alarm.slice(0, -1), ...ref },
            ]);
        }
      }),
      RUNS,
    );
  });

  it('keeps the first mapping of an alarm name, whatever the names', () => {
    const mapping = fc.record({
      alarm: fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('a', 'b', '*', '-') }),
      fleetId: fc.constantFrom('f', 'g'),
    });
    fc.assert(
      fc.property(fc.array(mapping, { maxLength: 8 }), (alarms) => {
        const routes = alarmRoutes(alarms.map((a) => ({ ...a })));
        const exact = alarms.filter((a) => !a.alarm.endsWith('*'));
        expect(Object.keys(routes.alarms).sort()).toEqual([...new Set(exact.map((a) => a.alarm))].sort());
        for (const a of exact)
          expect(routes.alarms[a.alarm]).toEqual({ fleetId: exact.find((b) => b.alarm === a.alarm)!.fleetId });
        const prefixes = alarms.filter((a) => a.alarm.endsWith('*')).map((a) => a.alarm.slice(0, -1));
        expect(routes.alarmPrefixes.map((p) => p.prefix)).toEqual([...new Set(prefixes)]);
      }),
      RUNS,
    );
  });
});

describe('forecast schedule period', () => {
  const UNITS = { minute: 60, hour: 3600, day: 86_400 };
  it('is n units of a positive rate(n unit), and none for anything else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...(Object.keys(UNITS) as Array<keyof typeof UNITS>)),
        fc.boolean(),
        fc.string({ maxLength: 3, unit: fc.constantFrom(' ', '\t', '\n') }),
        (n, unit, plural, pad) => {
          const expr = `${pad}rate(${n} ${unit}${plural ? 's' : ''})${pad}`;
          expect(forecastIntervalSeconds(expr)).toBe(n > 0 ? n * UNITS[unit] : undefined);
          expect(forecastIntervalSeconds(`cron(0/${n} * * * ? *)`)).toBeUndefined();
          expect(forecastIntervalSeconds(`rate(${n} ${unit}${plural ? 's' : ''}`)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });
});
