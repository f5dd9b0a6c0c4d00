/**
 * Zone names as each cloud writes them, and which of a pool's zones a notice's zone denotes.
 *
 * - Azure: a logical zone number, written `2` (the VMSS `zones` and the Scheduled Events forwarder),
 *   `eastus-2` (the Kubernetes `topology.kubernetes.io/zone` label) or `eastus-az2` (Event Grid's
 *   `armResource.zones`): all the same zone 2 of the region. A spelling naming another region than the
 *   pool's (or than the pool's zone names) denotes none of its zones: zone 2 of westus is not eastus's.
 * - AWS: a zone name (`us-east-1a`) or a zone id (`use1-az1`, capacity reservation interruptions). Names map
 *   to ids differently in each account, so an id matches a pool's zone only through `aliases` (id -> name,
 *   from what EC2 reported for the account's instances) or when the pool lists the id itself.
 * - GCP and Kubernetes: names (`us-central1-a`), compared as they are, case aside.
 * Pure: no I/O.
 */
import type { Cloud } from './types.ts';

const AZURE_ZONE = /^(?:([a-z][a-z0-9]*)-)?(?:az)?([1-9])$/i;

/** Azure's logical zone number in any of its spellings, or undefined. */
export function azureZoneNumber(zone: string): string | undefined {
  return AZURE_ZONE.exec(zone.trim())?.[2];
}

/** The region an Azure zone's spelling names (`eastus` of `eastus-az2`), lower case; undefined for a bare number. */
function azureZoneRegion(zone: string): string | undefined {
  return AZURE_ZONE.exec(zone.trim())?.[1]?.toLowerCase();
}

/** An AWS Availability Zone id such as `use1-az1` (not a zone name). */
export const isAwsZoneId = (zone: string): boolean => /^[a-z]{2,}\d+-az\d+$/.test(zone);

/**
 * The zone of `poolZones` that `zone` denotes on `cloud`, written as the pool writes it; undefined when it
 * denotes none of them (another zone, an Azure zone of another region than `region`, the pool's, or an AWS
 * zone id with no alias for it).
 */
export function zoneInPool(
  cloud: Cloud,
  zone: string,
  poolZones: readonly string[],
  aliases?: Readonly<Record<string, string>>,
  region?: string,
): string | undefined {
  const exact = poolZones.find((z) => z === zone);
  if (exact !== undefined) return exact;
  const lower = zone.trim().toLowerCase();
  if (cloud === 'azure') {
    const n = azureZoneNumber(lower);
    if (n === undefined) return undefined;
    const named = azureZoneRegion(lower);
    const pools = region?.trim().toLowerCase();
    if (named !== undefined && pools && named !== pools) return undefined;
    return poolZones.find((z) => {
      const own = azureZoneRegion(z);
      return azureZoneNumber(z) === n && (named === undefined || own === undefined || own === named);
    });
  }
  if (cloud === 'aws' && isAwsZoneId(lower)) {
    const name = aliases && Object.hasOwn(aliases, lower) ? aliases[lower] : undefined;
    return name === undefined ? undefined : poolZones.find((z) => z.toLowerCase() === name.toLowerCase());
  }
  return poolZones.find((z) => z.toLowerCase() === lower);
}
