/**
 * Pure mappings from Compute resources to the domain: a managed instance's lifecycle, an instance
 * template's capacity type, resource URLs, request ids. No SDK, no I/O.
 */
import { createHash } from 'node:crypto';
import type { InstanceLifecycle } from '../../domain/ports.ts';
import type { CapacityType } from '../../domain/types.ts';

/** The fields of a `ManagedInstance` (listManagedInstances) the mapping reads. */
export interface ManagedInstanceView {
  instance?: string | null;
  name?: string | null;
  instanceStatus?: string | null;
  currentAction?: string | null;
  instanceHealth?: Array<{ detailedHealthState?: string | null }> | null;
  lastAttempt?: { errors?: { errors?: Array<{ code?: string | null }> | null } | null } | null;
  version?: { instanceTemplate?: string | null } | null;
  propertiesFromFlexibilityPolicy?: { machineType?: string | null } | null;
}

const LEAVING_ACTIONS = new Set(['DELETING', 'ABANDONING']);
const COMING_ACTIONS = new Set(['CREATING', 'CREATING_WITHOUT_RETRIES', 'RECREATING', 'STARTING', 'RESUMING']);
const BOOTING_STATUSES = new Set(['PENDING', 'PROVISIONING', 'STAGING']);
const STOPPING_STATUSES = new Set(['STOPPING', 'SUSPENDING', 'DEPROVISIONING']);
const STOPPED_STATUSES = new Set(['TERMINATED', 'STOPPED', 'SUSPENDED']);

/**
 * A managed instance's lifecycle, from the MIG's own fields:
 * - `currentAction` DELETING/ABANDONING, or health DRAINING, or status STOPPING/SUSPENDING -> terminating
 *   (a preempted spot VM goes STOPPING -> TERMINATED);
 * - `currentAction` CREATING/RECREATING/STARTING/RESUMING, no status yet, or PROVISIONING/STAGING -> pending;
 * - TERMINATED/STOPPED/SUSPENDED with no action bringing it back -> terminated;
 * - RUNNING with `currentAction` NONE and every health check HEALTHY -> ready. A MIG without health checks
 *   cannot tell serving from booted, so RUNNING + NONE counts as ready there;
 * - any other RUNNING (VERIFYING during the autohealing initial delay, health UNKNOWN/UNHEALTHY/TIMEOUT,
 *   REFRESHING, RESTARTING) -> running.
 */
export function lifecycleOf(mi: ManagedInstanceView): InstanceLifecycle {
  const action = mi.currentAction || 'NONE';
  const status = mi.instanceStatus || '';
  const health = (mi.instanceHealth ?? []).map((h) => h.detailedHealthState || 'UNKNOWN');
  if (LEAVING_ACTIONS.has(action) || STOPPING_STATUSES.has(status) || health.includes('DRAINING')) return 'terminating';
  if (COMING_ACTIONS.has(action) || status === '' || BOOTING_STATUSES.has(status)) return 'pending';
  if (STOPPED_STATUSES.has(status)) return 'terminated';
  if (status === 'RUNNING' && action === 'NONE' && health.every((h) => h === 'HEALTHY')) return 'ready';
  return 'running';
}

/**
 * True for an instance the MIG has not managed to create (it keeps trying): no status yet and a last
 * attempt that failed, e.g. ZONE_RESOURCE_POOL_EXHAUSTED. It is not a VM, so it is not reported as one.
 */
export function isFailedCreation(mi: ManagedInstanceView): boolean {
  return !mi.instanceStatus && (mi.lastAttempt?.errors?.errors?.length ?? 0) > 0;
}

/** The codes of a failed creation's last attempt (`isFailedCreation`), in order, without empty ones. */
export function failedCreationCodes(mi: ManagedInstanceView): string[] {
  return (mi.lastAttempt?.errors?.errors ?? []).map((e) => e.code ?? '').filter((c) => c !== '');
}

/** The fields of an `InstanceTemplate` the mapping reads. */
export interface TemplateView {
  properties?: {
    machineType?: string | null;
    scheduling?: { provisioningModel?: string | null; preemptible?: boolean | null } | null;
    reservationAffinity?: { consumeReservationType?: string | null } | null;
  } | null;
}

/**
 * Capacity type from the instance template: `scheduling.provisioningModel` SPOT (or legacy
 * `preemptible`) -> spot; RESERVATION_BOUND (calendar-mode reservations) or a SPECIFIC_RESERVATION
 * affinity -> reserved; anything else (STANDARD, FLEX_START) -> on-demand.
 */
export function capacityTypeOfTemplate(t: TemplateView): CapacityType {
  const scheduling = t.properties?.scheduling;
  if (scheduling?.provisioningModel === 'SPOT' || scheduling?.preemptible) return 'spot';
  if (scheduling?.provisioningModel === 'RESERVATION_BOUND') return 'reserved';
  if (t.properties?.reservationAffinity?.consumeReservationType === 'SPECIFIC_RESERVATION') return 'reserved';
  return 'on-demand';
}

/** `g2-standard-8` from `g2-standard-8` or `.../zones/us-central1-a/machineTypes/g2-standard-8`. */
export function machineTypeName(machineType: string | null | undefined): string | undefined {
  if (!machineType) return undefined;
  return machineType.slice(machineType.lastIndexOf('/') + 1) || undefined;
}

/** The zone and name of an instance URL `.../projects/{p}/zones/{zone}/instances/{name}`. */
export function parseInstanceUrl(url: string): { project?: string; zone?: string; name: string } {
  const m = /(?:projects\/([^/]+)\/)?zones\/([^/]+)\/instances\/([^/?]+)/.exec(url);
  if (m) return { project: m[1], zone: m[2], name: m[3]! };
  return { name: url.slice(url.lastIndexOf('/') + 1) };
}

/** Where an instance template lives: global (`/global/instanceTemplates/`) or regional. */
export function parseTemplateUrl(url: string): { project: string; region?: string; name: string } | undefined {
  const m = /projects\/([^/]+)\/(?:global|regions\/([^/]+))\/instanceTemplates\/([^/?]+)/.exec(url);
  return m ? { project: m[1]!, region: m[2], name: m[3]! } : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Compute's `requestId` must be a UUID (not the zero UUID). A token that is one is used as is; any other
 * token becomes a name-based UUID (version 5 layout, SHA-1 of a fixed namespace and the token), so the
 * same token always gives the same requestId.
 */
export function requestIdFor(token: string): string {
  if (UUID.test(token) && !/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(token)) return token.toLowerCase();
  const hash = createHash('sha1').update('gpu-fleet-autoscaler/gcp-request-id\n').update(token).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
