/**
 * Compute resources rendered from the world, in the shapes of the real API (see ../shared/corpus/gcp):
 * instance group managers, managed instances, instance templates, reservations.
 *
 * World -> MIG mapping: a world pool with cloud `gcp` and kind `gcp-mig` (zonal: its first zone) or
 * `gcp-regional-mig` (its region) is a MIG named `pool.name` in project `pool.scope`. Its template is
 * `{name}-template` (global), whose scheduling says SPOT for spot pools and whose reservation affinity names
 * the pool's reservation for reserved pools. Instances are the pool's world instances:
 * - pending    -> instanceStatus PROVISIONING then STAGING, currentAction CREATING
 * - running    -> RUNNING, currentAction VERIFYING (autohealing initial delay), health UNKNOWN
 * - ready      -> RUNNING, currentAction NONE, health HEALTHY
 * - terminating (spot preemption notice) -> STOPPING, currentAction NONE
 * and the group's shortfall (instances it could not launch for capacity) as entries with currentAction
 * CREATING, no status and a last attempt that failed with ZONE_RESOURCE_POOL_EXHAUSTED, as GCE shows a MIG
 * that keeps trying.
 */
import { createHash } from 'node:crypto';
import type { World, WorldInstance, WorldPool, WorldReservation } from '../world.ts';

export const API = 'https://www.googleapis.com/compute/v1';

export interface MigAddress {
  project: string;
  zone?: string;
  region?: string;
  name: string;
}

/** A stable numeric id (Compute ids are unsigned 64-bit numbers, sent as strings). */
export function numericId(seed: string): string {
  const h = createHash('sha1').update(seed).digest();
  return (h.readBigUInt64BE(0) >> 1n).toString();
}

export function projectOf(pool: WorldPool, defaultProject: string): string {
  return pool.scope ?? defaultProject;
}

export function findMig(world: World, addr: MigAddress, defaultProject: string): WorldPool | undefined {
  return world.allPools().find((p) => {
    if (p.cloud !== 'gcp' || p.name !== addr.name || projectOf(p, defaultProject) !== addr.project) return false;
    if (addr.zone !== undefined) return p.kind === 'gcp-mig' && p.zones[0] === addr.zone;
    return p.kind === 'gcp-regional-mig' && p.region === addr.region;
  });
}

export function migPath(pool: WorldPool, project: string): string {
  return pool.kind === 'gcp-mig'
    ? `projects/${project}/zones/${pool.zones[0]}/instanceGroupManagers/${pool.name}`
    : `projects/${project}/regions/${pool.region}/instanceGroupManagers/${pool.name}`;
}

export const templateName = (pool: WorldPool): string => `${pool.name}-template`;
export const templateUrl = (pool: WorldPool, project: string): string =>
  `${API}/projects/${project}/global/instanceTemplates/${templateName(pool)}`;
const healthCheckUrl = (pool: WorldPool, project: string): string =>
  `${API}/projects/${project}/global/healthChecks/${pool.name}-hc`;
export const instanceUrl = (project: string, zone: string, name: string): string =>
  `${API}/projects/${project}/zones/${zone}/instances/${name}`;

const ACTIONS = [
  'none',
  'creating',
  'creatingWithoutRetries',
  'verifying',
  'recreating',
  'deleting',
  'abandoning',
  'restarting',
  'refreshing',
  'resuming',
  'starting',
  'stopping',
  'suspending',
] as const;

export interface ManagedInstanceJson {
  instance: string;
  id: string;
  name: string;
  currentAction: string;
  instanceStatus?: string;
  instanceHealth?: Array<{ healthCheck: string; detailedHealthState: string }>;
  lastAttempt?: { errors: { errors: Array<{ code: string; message: string }> } };
  version: { instanceTemplate: string };
}

/** The instances the group shows: its world instances (index order), then the launches still pending. */
export function managedInstances(world: World, pool: WorldPool, project: string): ManagedInstanceJson[] {
  const version = { instanceTemplate: templateUrl(pool, project) };
  const hc = healthCheckUrl(pool, project);
  const live = world.instancesOf(pool.id).sort((a, b) => a.index - b.index);
  const out: ManagedInstanceJson[] = live.map((i) => ({
    instance: instanceUrl(project, i.zone, i.id),
    id: numericId(`instance/${project}/${i.id}`),
    name: i.id,
    ...stateOf(world, i, hc),
    version,
  }));
  // Standby VMs (the world's warm instances): stopped (TERMINATED, as Compute shows a stopped VM) or
  // SUSPENDED; STOPPING / SUSPENDING while the group still prepares them.
  for (const w of world.warmOf(pool.id)) {
    const suspended = w.state === 'suspended';
    out.push({
      instance: instanceUrl(project, w.zone, w.id),
      id: numericId(`instance/${project}/${w.id}`),
      name: w.id,
      ...(w.phase === 'warming'
        ? { currentAction: suspended ? 'SUSPENDING' : 'STOPPING', instanceStatus: 'RUNNING' }
        : { currentAction: 'NONE', instanceStatus: suspended ? 'SUSPENDED' : 'TERMINATED' }),
      version,
    });
  }
  // A preempted VM is still the group's until it is gone (it holds its seat: `World.unfilledSeats`).
  const shortfall = world.unfilledSeats(pool);
  for (let k = 0; k < shortfall; k++) {
    const zone = pool.zones[k % pool.zones.length]!;
    const name = `${pool.name}-${numericId(`pending/${pool.id}/${k}`).slice(-4)}`;
    out.push({
      instance: instanceUrl(project, zone, name),
      id: numericId(`instance/${project}/${name}`),
      name,
      currentAction: 'CREATING',
      lastAttempt: {
        errors: {
          errors: [
            {
              code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
              message: `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
            },
          ],
        },
      },
      version,
    });
  }
  return out;
}

function stateOf(
  world: World,
  i: WorldInstance,
  hc: string,
): Pick<ManagedInstanceJson, 'currentAction' | 'instanceStatus' | 'instanceHealth'> {
  switch (i.state) {
    case 'pending': {
      const provisioning = world.now() < i.launchedAt + (i.runningAt - i.launchedAt) / 2;
      return { currentAction: 'CREATING', instanceStatus: provisioning ? 'PROVISIONING' : 'STAGING' };
    }
    case 'running':
      return {
        currentAction: 'VERIFYING',
        instanceStatus: 'RUNNING',
        instanceHealth: [{ healthCheck: hc, detailedHealthState: 'UNKNOWN' }],
      };
    case 'ready':
      return {
        currentAction: 'NONE',
        instanceStatus: 'RUNNING',
        instanceHealth: [{ healthCheck: hc, detailedHealthState: 'HEALTHY' }],
      };
    case 'terminating':
      return { currentAction: 'NONE', instanceStatus: 'STOPPING' };
    default:
      return { currentAction: 'NONE', instanceStatus: 'TERMINATED' };
  }
}

/** The standby policy and targets of a group that keeps warm instances. */
function standbyOf(pool: WorldPool): Record<string, unknown> {
  const p = pool.warmPolicy;
  if (!p) return {};
  return {
    standbyPolicy: { mode: p.autoResume ? 'SCALE_OUT_POOL' : 'MANUAL', initialDelaySec: pool.readySeconds },
    targetStoppedSize: p.state === 'suspended' ? 0 : p.min,
    targetSuspendedSize: p.state === 'suspended' ? p.min : 0,
  };
}

export function renderMig(
  world: World,
  pool: WorldPool,
  project: string,
  listManagedInstancesResults: 'PAGELESS' | 'PAGINATED',
): Record<string, unknown> {
  const path = migPath(pool, project);
  const managed = managedInstances(world, pool, project);
  const currentActions: Record<string, number> = Object.fromEntries(ACTIONS.map((a) => [a, 0]));
  for (const mi of managed) {
    const key = mi.currentAction.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    currentActions[key] = (currentActions[key] ?? 0) + 1;
  }
  const template = templateUrl(pool, project);
  const where =
    pool.kind === 'gcp-mig'
      ? { zone: `${API}/projects/${project}/zones/${pool.zones[0]}` }
      : {
          region: `${API}/projects/${project}/regions/${pool.region}`,
          distributionPolicy: {
            zones: pool.zones.map((z) => ({ zone: `${API}/projects/${project}/zones/${z}` })),
            targetShape: 'EVEN',
          },
        };
  const groupPath = path.replace('/instanceGroupManagers/', '/instanceGroups/');
  return {
    kind: 'compute#instanceGroupManager',
    id: numericId(`mig/${path}`),
    creationTimestamp: new Date(world.now() - 86_400_000).toISOString(),
    name: pool.name,
    ...where,
    instanceTemplate: template,
    versions: [{ instanceTemplate: template }],
    instanceGroup: `${API}/${groupPath}`,
    baseInstanceName: pool.name,
    fingerprint: createHash('sha1').update(`${path}/${pool.desired}/${pool.updatedAt}`).digest('base64').slice(0, 11),
    currentActions,
    status: {
      isStable: managed.every((mi) => mi.currentAction === 'NONE'),
      versionTarget: { isReached: true },
      stateful: { hasStatefulConfig: false, perInstanceConfigs: { allEffective: true } },
    },
    targetSize: pool.desired,
    ...standbyOf(pool),
    listManagedInstancesResults,
    autoHealingPolicies: [
      {
        healthCheck: healthCheckUrl(pool, project),
        initialDelaySec: Math.max(0, pool.readySeconds - pool.bootSeconds),
      },
    ],
    updatePolicy: {
      type: 'OPPORTUNISTIC',
      instanceRedistributionType: pool.kind === 'gcp-mig' ? 'NONE' : 'PROACTIVE',
      minimalAction: 'REPLACE',
      replacementMethod: 'SUBSTITUTE',
    },
    selfLink: `${API}/${path}`,
  };
}

/** A pool's world instance (not a standby one) by name in a project and zone, with its pool. */
export function findInstance(
  world: World,
  project: string,
  zone: string,
  name: string,
  defaultProject: string,
): { pool: WorldPool; instance: WorldInstance } | undefined {
  const instance = world.allInstances().find((i) => i.cloud === 'gcp' && i.id === name && i.zone === zone);
  const pool = instance ? world.pool(instance.poolId) : undefined;
  if (!instance || !pool || projectOf(pool, defaultProject) !== project || instance.state === 'terminated')
    return undefined;
  return { pool, instance };
}

/** Instance status as Compute shows it: PROVISIONING / STAGING, RUNNING, STOPPING under a preemption notice. */
function instanceStatusOf(world: World, i: WorldInstance): string {
  if (i.state === 'pending')
    return world.now() < i.launchedAt + (i.runningAt - i.launchedAt) / 2 ? 'PROVISIONING' : 'STAGING';
  if (i.state === 'terminating') return 'STOPPING';
  return 'RUNNING';
}

/**
 * `instances.get`: the instance resource, with the fields a reader of its state needs (status, its
 * scheduling from the group's template, zone, machine type, the group that created it in `created-by`).
 */
export function renderInstance(
  world: World,
  pool: WorldPool,
  i: WorldInstance,
  project: string,
): Record<string, unknown> {
  const template = renderTemplate(world, pool, project) as { properties: { scheduling: unknown } };
  return {
    kind: 'compute#instance',
    id: numericId(`instance/${project}/${i.id}`),
    creationTimestamp: new Date(i.launchedAt).toISOString(),
    name: i.id,
    machineType: `${API}/projects/${project}/zones/${i.zone}/machineTypes/${i.instanceType}`,
    status: instanceStatusOf(world, i),
    zone: `${API}/projects/${project}/zones/${i.zone}`,
    scheduling: template.properties.scheduling,
    metadata: {
      kind: 'compute#metadata',
      items: [
        { key: 'instance-template', value: `projects/${project}/global/instanceTemplates/${templateName(pool)}` },
        { key: 'created-by', value: `projects/${project}/${migPath(pool, project).split('/').slice(2).join('/')}` },
      ],
    },
    ...(i.state === 'pending' ? {} : { lastStartTimestamp: new Date(i.runningAt).toISOString() }),
    selfLink: instanceUrl(project, i.zone, i.id),
  };
}

export function renderTemplate(world: World, pool: WorldPool, project: string): Record<string, unknown> {
  const spot = pool.capacityType === 'spot';
  const reserved = pool.capacityType === 'reserved' && pool.reservationId;
  return {
    kind: 'compute#instanceTemplate',
    id: numericId(`template/${project}/${templateName(pool)}`),
    creationTimestamp: new Date(world.now() - 86_400_000).toISOString(),
    name: templateName(pool),
    properties: {
      machineType: pool.instanceType,
      scheduling: spot
        ? {
            provisioningModel: 'SPOT',
            preemptible: true,
            automaticRestart: false,
            onHostMaintenance: 'TERMINATE',
            instanceTerminationAction: 'DELETE',
          }
        : { provisioningModel: 'STANDARD', preemptible: false, automaticRestart: true, onHostMaintenance: 'TERMINATE' },
      reservationAffinity: reserved
        ? {
            consumeReservationType: 'SPECIFIC_RESERVATION',
            key: 'compute.googleapis.com/reservation-name',
            values: [pool.reservationId],
          }
        : { consumeReservationType: spot ? 'NO_RESERVATION' : 'ANY_RESERVATION' },
    },
    selfLink: templateUrl(pool, project),
  };
}

export function renderReservation(world: World, r: WorldReservation, project: string): Record<string, unknown> {
  const zonePath = `projects/${project}/zones/${r.zone}`;
  return {
    kind: 'compute#reservation',
    id: numericId(`reservation/${zonePath}/${r.id}`),
    creationTimestamp: new Date(r.start).toISOString(),
    selfLink: `${API}/${zonePath}/reservations/${r.id}`,
    zone: `${API}/${zonePath}`,
    name: r.id,
    specificReservation: {
      instanceProperties: { machineType: r.instanceType },
      count: String(r.total),
      inUseCount: String(Math.min(r.total, world.reservationUsed(r.id))),
    },
    specificReservationRequired: true,
    status: 'READY',
    ...(Number.isFinite(r.end) ? { deleteAtTime: new Date(r.end).toISOString() } : {}),
  };
}
