/**
 * fast-check generators of configurations for the configuration's properties: valid variants of
 * config/demo.json (one to three fleets, any subset of its pools and three more kinds, random policies in the
 * defaults and the fleets, alarms, schedules, clouds, optional fields given or left to their defaults) and
 * the loader run as a function returns it: its result or its `ConfigError`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseConfig, type ResolvedConfig, resolveConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import { CLOUD_OF_KIND, type PoolKind } from '../../shared/domain/types.ts';
import { DISK_PRICES, DISK_TYPES, WARM_STATES_OF_KIND } from '../../shared/domain/warm.ts';
import { REPO_ROOT } from '../events/support.ts';

export type Json = Record<string, unknown>;
export type Doc = Json & { fleets: FleetDoc[] };
export type FleetDoc = Json & { id: string; pools: PoolDoc[]; policy?: Json };
export type PoolDoc = Json & { id: string; kind: PoolKind; capacityType: string };

export const DEMO = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'demo.json'), 'utf8')) as Doc;
export const clone = <T>(v: T): T => structuredClone(v);

/** The loader's outcome: the resolved configuration, or the `ConfigError` (anything else thrown escapes). */
export type Outcome = { ok: true; resolved: ResolvedConfig } | { ok: false; error: ConfigError };

export function load(doc: unknown, where = 'c.json'): Outcome {
  try {
    return { ok: true, resolved: resolveConfig(parseConfig(doc, where), where) };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, error: e };
    throw e;
  }
}

/** The issues' paths of a rejected configuration (a failed expectation when it was accepted). */
export function issuePaths(outcome: Outcome): string[] {
  if (outcome.ok) throw new Error('the configuration was accepted');
  return outcome.error.issues.map((i) => i.path);
}

const int = (min: number, max: number) => fc.integer({ min, max });
/** A double in [min, max], never NaN or -0 (JSON has neither once serialized). */
const num = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v));
/** Some of the keys of a record: each optional, fast-check leaves some out. */
const some = <T extends Record<string, unknown>>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Partial<T>>;

const rules = some({
  stabilizationWindowSeconds: int(0, 3600),
  selectPolicy: fc.constantFrom('Max', 'Min', 'Disabled'),
  policies: fc.array(
    fc.record({ type: fc.constantFrom('Pods', 'Percent'), value: int(1, 200), periodSeconds: int(1, 1800) }),
    { maxLength: 3 },
  ),
  tolerance: num(0, 1),
});

const CLOUD_NAMES = ['aws', 'azure', 'gcp', 'kubernetes'] as const;

/** Rules for one direction, given as `scaleUp` (ours) or `behavior.scaleUp` (HPA's), never both. */
const direction = fc.option(fc.tuple(rules, fc.boolean()), { nil: undefined });

/** A valid policy layer (the file's `defaults` or a fleet's `policy`), min and max apart. */
export const policyLayer: fc.Arbitrary<Json> = fc
  .record({
    fields: some({
      minNodes: int(0, 4),
      maxNodes: int(4, 128),
      tolerance: num(0, 1),
      metrics: fc.array(
        some({
          metric: fc.constantFrom('gpu_utilization', 'queue_depth', 'kv_cache'),
          target: num(0.5, 100),
          activation: num(0, 50),
        }).map((m) => ({ metric: 'gpu_utilization', target: 70, ...m })),
        { maxLength: 2 },
      ),
      demandBuffer: num(0, 5),
      placement: some({
        onDemandBase: int(0, 8),
        spotShare: num(0, 1),
        maxSpotSharePerZone: num(0.01, 1),
        offeringBackoffSeconds: int(0, 3600),
        maxPerCloud: some({ aws: int(0, 32), azure: int(0, 32), gcp: int(0, 32), kubernetes: int(0, 32) }),
        allowedClouds: fc.subarray([...CLOUD_NAMES]),
        consolidation: fc.constantFrom('replace', 'off'),
      }),
      safety: some({
        maxStepUp: int(1, 32),
        maxStepDown: int(1, 32),
        scaleUpCooldownSeconds: int(0, 900),
        scaleDownCooldownSeconds: int(0, 900),
        hourlyBudgetUsd: num(0.01, 1000),
      }),
      scaleToZero: fc.boolean(),
      limits: some({ gpus: int(1, 256), hourlyUsd: num(0.01, 1000) }),
      fallback: some({
        failureThreshold: int(1, 10),
        replicas: int(0, 16),
        behavior: fc.constantFrom('static', 'currentReplicas'),
      }).map((f) => ({ failureThreshold: 3, replicas: 1, ...f })),
      disruption: fc.record({
        budgets: fc.array(
          some({
            nodes: fc.oneof(
              int(0, 20),
              int(0, 100).map((n) => `${n}%`),
            ),
            windowSeconds: int(1, 86_400),
          }).map((b) => ({ nodes: 1, ...b })),
          { minLength: 1, maxLength: 3 },
        ),
      }),
    }),
    up: direction,
    down: direction,
  })
  .map(({ fields, up, down }) => {
    const layer: Json = { ...fields };
    const behavior: Json = {};
    if (up) (up[1] ? behavior : layer).scaleUp = up[0];
    if (down) (down[1] ? behavior : layer).scaleDown = down[0];
    if (Object.keys(behavior).length) layer.behavior = behavior;
    return layer;
  });

/** The disk types of a cloud (none for Kubernetes pools). */
const disksOf = (kind: PoolKind) => DISK_TYPES.filter((d) => DISK_PRICES[d].cloud === CLOUD_OF_KIND[kind]);

/** Kinds the demo lacks, each made from one of its pools. */
const EXTRA_POOLS: PoolDoc[] = [
  { ...DEMO.fleets[0]!.pools[1]!, id: 'eks-g5', kind: 'eks-nodegroup', resource: 'gpu-demo/g5', warm: undefined },
  {
    ...DEMO.fleets[0]!.pools[1]!,
    id: 'karpenter-g5',
    kind: 'karpenter-nodepool',
    resource: 'gpu',
    warm: undefined,
  },
  {
    ...DEMO.fleets[0]!.pools[1]!,
    id: 'k8s-server',
    kind: 'k8s-deployment',
    resource: 'inference/llm-server',
    warm: undefined,
  },
  {
    ...DEMO.fleets[0]!.pools[4]!,
    id: 'gcp-l4-regional',
    kind: 'gcp-regional-mig',
    resource: 'mig-gpu-demo-l4-regional',
    zones: ['us-central1-a', 'us-central1-b'],
  },
].map((p) => JSON.parse(JSON.stringify(p)) as PoolDoc);
const POOLS: PoolDoc[] = [...DEMO.fleets[0]!.pools, ...EXTRA_POOLS];

/** Changes to one pool that keep it valid. */
const poolTweak = some({
  bounds: fc.tuple(int(0, 64), int(0, 64), fc.boolean()),
  timeToReadySeconds: fc.option(int(1, 3600), { nil: undefined }),
  hourlyPrice: num(0, 100),
  rpsPerNode: num(0.001, 1000),
  priority: int(-1000, 1000),
  diskGb: int(1, 65_536),
  disk: fc.nat(),
  tags: fc.dictionary(fc.constantFrom('team', 'env', 'cost-center'), fc.string({ maxLength: 8 })),
  warm: fc.option(
    some({
      bounds: fc.tuple(int(0, 16), int(0, 16), fc.boolean()),
      state: fc.nat(),
      resumeSeconds: int(1, 3600),
      hourlyPrice: num(0, 10),
    }),
    { nil: undefined },
  ),
});
type PoolTweak = typeof poolTweak extends fc.Arbitrary<infer T> ? T : never;

function tweakPool(p: PoolDoc, t: PoolTweak): PoolDoc {
  const out: PoolDoc = { ...p };
  if (t.bounds) {
    const [a, b, withMin] = t.bounds;
    out.max = Math.max(a, b);
    if (withMin) out.min = Math.min(a, b);
    else delete out.min;
  }
  if ('timeToReadySeconds' in t) {
    if (t.timeToReadySeconds === undefined) delete out.timeToReadySeconds;
    else out.timeToReadySeconds = t.timeToReadySeconds;
  }
  for (const k of ['hourlyPrice', 'rpsPerNode', 'priority', 'diskGb', 'tags'] as const) {
    if (t[k] !== undefined) out[k] = t[k];
  }
  const disks = disksOf(p.kind);
  if (t.disk !== undefined && disks.length) out.diskType = disks[t.disk % disks.length];
  const states = WARM_STATES_OF_KIND[p.kind];
  if ('warm' in t) {
    if (!t.warm || !states || p.capacityType === 'spot') delete out.warm;
    else {
      const [a, b, withMin] = t.warm.bounds ?? [0, 1, false];
      out.warm = {
        max: Math.max(a, b),
        ...(withMin ? { min: Math.min(a, b) } : {}),
        ...(t.warm.state !== undefined ? { state: states[t.warm.state % states.length] } : {}),
        ...(t.warm.resumeSeconds !== undefined ? { resumeSeconds: t.warm.resumeSeconds } : {}),
        ...(t.warm.hourlyPrice !== undefined ? { hourlyPrice: t.warm.hourlyPrice } : {}),
      };
    }
  }
  return out;
}

const fleetArb = some({
  pools: fc.subarray(
    POOLS.map((_, i) => i),
    { minLength: 1, maxLength: 4 },
  ),
  tweaks: fc.array(poolTweak, { maxLength: 4 }),
  workload: fc.option(fc.constantFrom('llama3-8b', 'bert-large'), { nil: undefined }),
  slo: fc.option(some({ p95LatencyMs: num(12_000, 60_000), availability: num(0.5, 1) }), { nil: undefined }),
  policy: fc.option(policyLayer, { nil: undefined }),
  deployment: fc.boolean(),
  endpoint: fc.boolean(),
  demandQuery: fc.string({ minLength: 1, maxLength: 12 }),
});
type FleetGen = typeof fleetArb extends fc.Arbitrary<infer T> ? T : never;

/** Fleet `i` of the document: the demo's, its pools renamed apart from the other fleets'. */
function buildFleet(g: FleetGen, i: number, promQl: boolean): FleetDoc {
  const base = clone(DEMO.fleets[0]!);
  const id = i === 0 ? base.id : `${base.id}-${i}`;
  const suffix = i === 0 ? '' : `-${i}`;
  const f: FleetDoc = { ...base, id };
  f.pools = (g.pools ?? [0]).map((pi, k) => {
    const p = tweakPool(clone(POOLS[pi]!), g.tweaks?.[k] ?? {});
    // An EC2 Fleet is named by its id (`fleet-` and a UUID): another fleet's differs in its last digits.
    const resource =
      p.kind === 'ec2-fleet' && i > 0
        ? `${String(p.resource).slice(0, -2)}${i.toString(16).padStart(2, '0')}`
        : `${String(p.resource)}${suffix}`;
    return { ...p, id: `${p.id}${suffix}`, resource };
  });
  if ('workload' in g) {
    if (g.workload === undefined) {
      delete f.workload;
      for (const p of f.pools) p.rpsPerNode ??= 10;
    } else f.workload = g.workload;
  }
  if ('slo' in g) {
    if (g.slo === undefined) delete f.slo;
    else f.slo = g.slo;
  }
  if ('policy' in g) {
    if (g.policy === undefined) delete f.policy;
    else f.policy = g.policy;
  }
  if (g.deployment === false) delete f.deployment;
  if (g.endpoint === false) delete f.endpoint;
  if (g.demandQuery !== undefined && promQl) f.demandQuery = g.demandQuery;
  return f;
}

const TIME_ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const hhmm = fc
  .tuple(int(0, 23), int(0, 59))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

const scheduleArb = some({
  fleets: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  timeZone: fc.constantFrom(...TIME_ZONES),
  days: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
  start: hhmm,
  end: hhmm,
  minNodes: int(0, 16),
  maxNodes: int(0, 64),
  freezeScaleDown: fc.boolean(),
  freeze: fc.boolean(),
  scaleToZero: fc.boolean(),
});

const alarmArb = some({
  alarm: fc.oneof(
    fc.string({ minLength: 1, maxLength: 10 }),
    fc.string({ maxLength: 6 }).map((s) => `${s}*`),
  ),
  fleet: fc.nat(),
  pool: fc.nat(),
  metric: fc.constantFrom('gpu_utilization', 'queue_depth'),
  threshold: num(-100, 100),
  comparison: fc.constantFrom('above', 'below'),
  periodSeconds: int(1, 3600),
  evaluationPeriods: int(1, 10),
  snsTopicArn: fc.constantFrom('arn:aws:sns:us-east-1:123456789012:alarms'),
});

const cloudsArb = fc.constantFrom<Json | undefined>(
  undefined,
  {},
  DEMO.clouds as Json,
  { ...(DEMO.clouds as Json), prometheus: { url: 'https://prometheus.internal:9090' } },
  {
    aws: { region: 'us-east-1', endpoints: { ec2: 'http://127.0.0.1:4566' } },
    kubernetes: { 'gpu-demo': { kubeconfigSecret: 'KubeconfigGpuDemo', server: 'https://k8s.internal' } },
    cloudwatch: {
      namespace: 'GpuFleet',
      metrics: { gpu_utilization: { metricName: 'GPUUtilization', labels: { fleet: 'FleetId' }, stat: 'Average' } },
    },
  },
  {
    cloudwatch: { namespace: 'GpuFleet', region: 'eu-west-1' },
    prometheus: { url: 'http://127.0.0.1:9090' },
  },
);

/** Top-level sections with defaults: absent, the demo's, or random (each field optional). */
const topArb = some({
  $schema: fc.constantFrom('./schema.json', undefined),
  forecast: fc.option(
    some({ lookbackHours: int(1, 336), seasonHours: int(1, 168), scaleIn: fc.boolean(), stepSeconds: int(1, 3600) }),
    { nil: undefined },
  ),
  events: fc.option(
    some({ source: fc.string({ minLength: 1, maxLength: 12 }), busName: fc.string({ maxLength: 8 }) }),
    {
      nil: undefined,
    },
  ),
  audit: fc.option(some({ ttlDays: int(1, 3650) }), { nil: undefined }),
  lambda: fc.option(some({ interruptionProvisionedConcurrency: int(0, 100), fleetConcurrency: int(2, 1000) }), {
    nil: undefined,
  }),
  catalog: fc.option(fc.record({ instanceTypes: fc.record({ 'g5.xlarge': some({ spotHourly: num(0, 5) }) }) }), {
    nil: undefined,
  }),
});

/** A configuration the documentation says is valid, near config/demo.json. */
export const validDoc: fc.Arbitrary<Doc> = fc
  .record({
    fleets: fc.array(fleetArb, { minLength: 1, maxLength: 2 }),
    defaults: fc.option(policyLayer, { nil: undefined }),
    keepDefaults: fc.boolean(),
    clouds: cloudsArb,
    alarms: fc.option(fc.array(alarmArb, { maxLength: 3 }), { nil: undefined }),
    schedules: fc.option(fc.array(scheduleArb, { maxLength: 2 }), { nil: undefined }),
    top: topArb,
  })
  .map((g) => {
    const doc = clone(DEMO);
    if (g.clouds === undefined) delete doc.clouds;
    else doc.clouds = clone(g.clouds);
    const clouds = (g.clouds ?? {}) as Json;
    const promQl = !clouds.cloudwatch || !!clouds.prometheus;
    doc.fleets = g.fleets.map((f, i) => buildFleet(f, i, promQl));
    if (g.defaults !== undefined) doc.defaults = g.defaults;
    else if (!g.keepDefaults) delete doc.defaults;
    const fleets = doc.fleets;
    if (g.alarms === undefined) delete doc.alarms;
    else {
      doc.alarms = g.alarms.map(({ fleet, pool, ...a }) => {
        const f = fleets[(fleet ?? 0) % fleets.length]!;
        return {
          alarm: 'a',
          ...a,
          fleetId: f.id,
          ...(pool !== undefined ? { poolId: f.pools[pool % f.pools.length]!.id } : {}),
        };
      });
    }
    if (g.schedules === undefined) delete doc.schedules;
    else {
      doc.schedules = g.schedules.map((s, i) => ({
        name: `window-${i}`,
        timeZone: 'UTC',
        start: '08:00',
        end: '18:00',
        ...s,
        fleets: [...new Set((s.fleets ?? [0]).map((n) => fleets[n % fleets.length]!.id))],
      }));
    }
    for (const [k, v] of Object.entries(g.top)) {
      if (v === undefined) delete doc[k];
      else doc[k] = v;
    }
    return doc;
  });
