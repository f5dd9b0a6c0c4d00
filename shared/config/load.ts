/**
 * Loading configuration: JSON or YAML text -> validated `Config` -> `ResolvedConfig`, where every pool has its price
 * (from the catalog unless set) and throughput (from the capacity model unless set), every fleet its merged
 * policy, and every schedule is attached to its fleets. Errors are `ConfigError`s naming the file and field.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { type Catalog, DEFAULT_CATALOG, formatPath, instanceType, withOverrides } from '../domain/catalog.ts';
import { MODEL_PRESETS, rpsPerNode } from '../domain/capacity.ts';
import { clusterOfPoolConfig } from '../domain/clusters.ts';
import { ConfigError, messageOf } from '../domain/errors.ts';
import { resourceNameProblem } from '../domain/names.ts';
import { CLOUD_OF_KIND, type Fleet, type Pool, type ScheduleWindow, type WorkloadModel } from '../domain/types.ts';
import {
  DEFAULT_DISK_GB,
  DEFAULT_DISK_TYPE,
  DEFAULT_RESUME_SECONDS,
  DISK_PRICES,
  WARM_STATES_OF_KIND,
  type WarmPolicy,
  warmHourlyPrice,
  warmUnsupportedReason,
} from '../domain/warm.ts';
import { DEFAULT_POLICY, mergePolicy } from './policy.ts';
import { type Config, ConfigSchema, type FleetConfig, type PolicyConfig, type PoolConfig } from './schema.ts';

export interface ResolvedConfig {
  config: Config;
  catalog: Catalog;
  fleets: Fleet[];
  /** Schedule windows per fleet id. */
  schedules: Record<string, ScheduleWindow[]>;
}

/** Validates a parsed configuration object; a `ConfigError` lists every issue found. */
export function parseConfig(value: unknown, where = 'config'): Config {
  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw ConfigError.of(
      where,
      (parsed.error as z.ZodError).issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const config = parsed.data;
  // Every issue is listed, not only the first.
  const issues: Array<{ path: string; message: string }> = [];
  const fail = (path: string, message: string) => issues.push({ path, message });
  // Cross-field checks zod cannot see.
  const fleetIds = new Set<string>();
  // Pool ids are unique across fleets (the emulated world, the events' resource maps and the interruption
  // routing key on them), and one cloud resource is scaled by one pool only: two would undo each other.
  const poolIds = new Map<string, string>();
  const resources = new Map<string, string>();
  config.fleets.forEach((f, fi) => {
    if (fleetIds.has(f.id)) fail(`fleets[${fi}].id`, `duplicate fleet id '${f.id}'`);
    fleetIds.add(f.id);
    f.pools.forEach((p, pi) => {
      const at = `fleets[${fi}].pools[${pi}]`;
      const owner = poolIds.get(p.id);
      if (owner !== undefined) {
        fail(`${at}.id`, `duplicate pool id '${p.id}' (already a pool of fleet '${owner}')`);
      }
      poolIds.set(p.id, f.id);
      // What names the resource: an AWS group or fleet its region and name (the cluster its nodes join and a
      // scope say nothing of it), an Azure scale set or GCP group its scope too, a Kubernetes object its context
      // and cluster.
      const cloud = CLOUD_OF_KIND[p.kind];
      const names = cloud === 'aws' ? [] : cloud === 'kubernetes' ? [p.scope ?? '', p.cluster ?? ''] : [p.scope ?? ''];
      const resource = [p.kind, ...names, p.region, p.resource].join('|');
      const scaledBy = resources.get(resource);
      if (scaledBy !== undefined) {
        fail(`${at}.resource`, `${p.kind} '${p.resource}' is already scaled by pool '${scaledBy}'`);
      }
      resources.set(resource, p.id);
      const badName = resourceNameProblem(p.kind, p.resource, p.scope);
      if (badName) fail(`${at}.${badName.field}`, badName.message);
      if (p.min > p.max) fail(`${at}.min`, `min ${p.min} is above max ${p.max}`);
      if (p.capacityType === 'reserved' && !p.reservationId && p.kind !== 'k8s-deployment') {
        fail(`${at}.reservationId`, 'a reserved pool needs the reservation or capacity block id');
      }
      if ((p.kind === 'gcp-mig' || p.kind === 'gcp-regional-mig' || p.kind === 'azure-vmss') && !p.scope) {
        fail(`${at}.scope`, `a ${p.kind} pool needs its scope (GCP project / Azure subscription/resourceGroup)`);
      }
      if (p.kind === 'gcp-mig' && p.zones.length !== 1) {
        fail(`${at}.zones`, 'a zonal managed instance group has exactly one zone');
      }
      checkWarm(p, at, fail);
    });
  });
  // HPA's words and ours for the same rules: one or the other.
  const behaviorTwice = (policy: PolicyConfig | undefined, at: string) => {
    for (const dir of ['scaleUp', 'scaleDown'] as const) {
      if (policy?.[dir] && policy.behavior?.[dir])
        fail(`${at}.behavior.${dir}`, `${dir} is given twice (policy.${dir} and policy.behavior.${dir}): keep one`);
    }
  };
  behaviorTwice(config.defaults, 'defaults');
  for (const [fi, f] of config.fleets.entries()) behaviorTwice(f.policy, `fleets[${fi}].policy`);
  // A configured demandQuery is PromQL, which only Prometheus runs (CloudWatch is read by metric).
  if (config.clouds.cloudwatch && !config.clouds.prometheus) {
    config.fleets.forEach((f, fi) => {
      if (f.demandQuery !== undefined)
        fail(
          `fleets[${fi}].demandQuery`,
          'a PromQL query needs clouds.prometheus; with clouds.cloudwatch the demand is read as fleet_rps (map it in clouds.cloudwatch.metrics)',
        );
    });
  }
  config.alarms.forEach((a, i) => {
    const fleet = config.fleets.find((f) => f.id === a.fleetId);
    if (!fleet) fail(`alarms[${i}].fleetId`, `no fleet '${a.fleetId}'`);
    else if (a.poolId && !fleet.pools.some((p) => p.id === a.poolId)) {
      fail(`alarms[${i}].poolId`, `no pool '${a.poolId}' in fleet '${a.fleetId}'`);
    }
  });
  config.schedules.forEach((s, i) => {
    s.fleets.forEach((id, j) => {
      if (!fleetIds.has(id)) fail(`schedules[${i}].fleets[${j}]`, `no fleet '${id}'`);
    });
  });
  if (issues.length) throw ConfigError.of(where, issues);
  return config;
}

/**
 * Warm capacity only where the pool's cloud has a pool of stopped instances, in a state it offers. Each problem
 * is listed with the others (`fail`), not thrown: the file's other problems are said too.
 */
function checkWarm(p: PoolConfig, at: string, fail: (path: string, message: string) => void): void {
  if (p.diskType && DISK_PRICES[p.diskType].cloud !== CLOUD_OF_KIND[p.kind]) {
    fail(`${at}.diskType`, `${p.diskType} is a ${DISK_PRICES[p.diskType].cloud} disk, not one of a ${p.kind} pool`);
  }
  if (!p.warm) return;
  const unsupported = warmUnsupportedReason(p.kind, p.capacityType);
  if (unsupported) {
    fail(`${at}.warm`, unsupported);
    return;
  }
  const states = WARM_STATES_OF_KIND[p.kind]!;
  if (!states.includes(p.warm.state)) {
    fail(`${at}.warm.state`, `a ${p.kind} pool keeps warm nodes ${states.join(' or ')}, not ${p.warm.state}`);
  }
  if (p.warm.min > p.warm.max) fail(`${at}.warm.min`, `min ${p.warm.min} is above max ${p.warm.max}`);
}

/** A pool's warm capacity with its defaults and its price (its disks only). */
function resolveWarm(p: PoolConfig, memoryGiB: number | undefined): WarmPolicy | undefined {
  if (!p.warm) return undefined;
  const cloud = CLOUD_OF_KIND[p.kind];
  if (cloud === 'kubernetes') return undefined;
  const diskType = p.diskType ?? DEFAULT_DISK_TYPE[cloud];
  const diskGb = p.diskGb ?? DEFAULT_DISK_GB;
  return {
    min: p.warm.min,
    max: p.warm.max,
    state: p.warm.state,
    resumeSeconds: p.warm.resumeSeconds ?? DEFAULT_RESUME_SECONDS[p.warm.state],
    diskType,
    diskGb,
    hourlyPrice: p.warm.hourlyPrice ?? warmHourlyPrice(diskType, diskGb, p.warm.state, memoryGiB ?? 0),
  };
}

function workloadOf(f: FleetConfig, where: string, fi: number): WorkloadModel | undefined {
  if (f.workload === undefined) return undefined;
  if (typeof f.workload !== 'string') return f.workload;
  const preset = Object.hasOwn(MODEL_PRESETS, f.workload)
    ? (MODEL_PRESETS as Record<string, WorkloadModel>)[f.workload]
    : undefined;
  if (!preset) {
    throw new ConfigError(
      where,
      `fleets[${fi}].workload`,
      `unknown preset '${f.workload}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`,
    );
  }
  return preset;
}

function resolvePool(
  p: PoolConfig,
  f: FleetConfig,
  model: WorkloadModel | undefined,
  catalog: Catalog,
  where: string,
  at: string,
): Pool {
  const cloud = CLOUD_OF_KIND[p.kind];
  let hourlyPrice = p.hourlyPrice;
  let gpuModel = p.tags?.gpuModel ?? 'unknown';
  let gpusPerNode = Number(p.tags?.gpusPerNode ?? 1);
  const known = Object.hasOwn(catalog.instanceTypes, p.instanceType)
    ? catalog.instanceTypes[p.instanceType]
    : undefined;
  const onDemand = known && p.capacityType === 'reserved' ? { onDemandHourlyPrice: known.onDemandHourly } : {};
  if (known) {
    gpuModel = known.gpuId;
    gpusPerNode = known.gpusPerNode;
    if (hourlyPrice === undefined) {
      if (p.capacityType === 'reserved') hourlyPrice = 0;
      else if (p.capacityType === 'spot') hourlyPrice = known.spotHourly ?? known.onDemandHourly;
      else hourlyPrice = known.onDemandHourly;
    }
  }
  if (hourlyPrice === undefined) {
    if (p.kind === 'k8s-deployment') hourlyPrice = 0;
    else
      throw new ConfigError(
        where,
        `${at}.hourlyPrice`,
        `instance type '${p.instanceType}' is not in the catalog: give hourlyPrice`,
      );
  }
  let rps = p.rpsPerNode;
  if (rps === undefined) {
    if (!model) throw new ConfigError(where, `${at}.rpsPerNode`, `give rpsPerNode or the fleet's workload`);
    try {
      instanceType(catalog, p.instanceType);
      rps = rpsPerNode(catalog, model, p.instanceType, f.slo.p95LatencyMs);
    } catch (e) {
      throw new ConfigError(where, `${at}.instanceType`, messageOf(e));
    }
  }
  const warm = resolveWarm(p, known?.memoryGiB);
  const cluster = clusterOfPoolConfig(p, f.deployment);
  return {
    id: p.id,
    cloud,
    kind: p.kind,
    resource: p.resource,
    location: { region: p.region, zones: p.zones },
    instanceType: p.instanceType,
    gpuModel,
    gpusPerNode,
    capacityType: p.capacityType,
    hourlyPrice,
    ...onDemand,
    rpsPerNode: rps,
    min: p.min,
    max: p.max,
    timeToReadySeconds: p.timeToReadySeconds,
    desired: 0,
    ready: 0,
    ...(p.reservationId ? { reservationId: p.reservationId } : {}),
    ...(warm ? { warm } : {}),
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
    tags: {
      ...(p.tags ?? {}),
      ...(p.scope ? { scope: p.scope } : {}),
      ...(cluster ? { cluster } : {}),
    },
  };
}

/** Resolves prices, throughput, policies and schedules. */
export function resolveConfig(config: Config, where = 'config'): ResolvedConfig {
  const catalog = config.catalog
    ? withOverrides(DEFAULT_CATALOG, config.catalog, `${where}: catalog`)
    : DEFAULT_CATALOG;
  const issues: Array<{ path: string; message: string }> = [];
  /** Runs one resolution step; its ConfigError joins the list (every pool's is reported, not only the first). */
  const attempt = <T>(step: () => T): T | undefined => {
    try {
      return step();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues.push(...e.issues);
      return undefined;
    }
  };
  const fleets = config.fleets.map((f, fi): Fleet => {
    const model = attempt(() => workloadOf(f, where, fi));
    const policy = mergePolicy(DEFAULT_POLICY, config.defaults, f.policy);
    if (policy.minNodes > policy.maxNodes) {
      // At the field the file has: the fleet's own, else the defaults' it inherits (said once for all fleets).
      const own =
        f.policy?.minNodes !== undefined ? 'minNodes' : f.policy?.maxNodes !== undefined ? 'maxNodes' : undefined;
      const path = own
        ? `fleets[${fi}].policy.${own}`
        : config.defaults?.minNodes !== undefined
          ? 'defaults.minNodes'
          : 'defaults.maxNodes';
      if (!issues.some((i) => i.path === path))
        issues.push({ path, message: `minNodes ${policy.minNodes} is above maxNodes ${policy.maxNodes}` });
    }
    return {
      id: f.id,
      ...(f.endpoint ? { endpoint: f.endpoint } : {}),
      ...(model ? { workload: model } : {}),
      slo: f.slo,
      policy,
      pools: f.pools.flatMap((p, pi) => {
        const pool = attempt(() => resolvePool(p, f, model, catalog, where, `fleets[${fi}].pools[${pi}]`));
        return pool ? [pool] : [];
      }),
      ...(f.deployment ? { deployment: { ...f.deployment } } : {}),
    };
  });
  if (issues.length) throw ConfigError.of(where, issues);
  // Null-prototype: a fleet may be called `constructor`.
  const schedules: Record<string, ScheduleWindow[]> = Object.create(null);
  for (const s of config.schedules) {
    const { fleets: ids, ...window } = s;
    for (const id of ids) {
      schedules[id] ??= [];
      schedules[id].push(window);
    }
  }
  return { config, catalog, fleets, schedules };
}

/** Reads, validates and resolves a configuration file. */
export async function loadConfigFile(path: string): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, '', `cannot read: ${(e as Error).message}`);
  }
  return resolveConfig(parseConfig(await parseConfigText(text, path), path), path);
}

/**
 * The document in a configuration file: YAML for `.yaml`/`.yml` (the `yaml` package, loaded only then, so a
 * function configured in JSON does not pay for it), JSON otherwise.
 */
export async function parseConfigText(text: string, path: string): Promise<unknown> {
  if (/\.ya?ml$/i.test(path)) {
    const { parseDocument } = await import('yaml');
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
      throw ConfigError.of(
        path,
        doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
      );
    }
    return doc.toJS({ maxAliasCount: 100 });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, '', `not valid JSON: ${(e as Error).message}`);
  }
}

/** The deployed functions read the configuration from `AUTOSCALER_CONFIG` (JSON) or `AUTOSCALER_CONFIG_FILE`. */
export async function loadConfigFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<ResolvedConfig> {
  if (env.AUTOSCALER_CONFIG) {
    let value: unknown;
    try {
      value = JSON.parse(env.AUTOSCALER_CONFIG);
    } catch (e) {
      throw new ConfigError('AUTOSCALER_CONFIG', '', `not valid JSON: ${(e as Error).message}`);
    }
    return resolveConfig(parseConfig(value, 'AUTOSCALER_CONFIG'), 'AUTOSCALER_CONFIG');
  }
  if (env.AUTOSCALER_CONFIG_FILE) return loadConfigFile(env.AUTOSCALER_CONFIG_FILE);
  throw new ConfigError('environment', 'AUTOSCALER_CONFIG', 'set AUTOSCALER_CONFIG (JSON) or AUTOSCALER_CONFIG_FILE');
}
