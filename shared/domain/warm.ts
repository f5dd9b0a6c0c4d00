/**
 * Warm capacity: stopped (or hibernated, or suspended) GPU nodes a pool keeps beside its running ones, which
 * serve again in a minute or two instead of the ten a cold launch takes, and bill only their disks meanwhile.
 *
 * Each cloud has its own primitive, and only some pool kinds can use one:
 * - EC2 Auto Scaling warm pools (`auto-scaling-group`): instances wait `Stopped` or `Hibernated`
 *   (PutWarmPool `PoolState`; `Running` is a warm pool too, but it bills the instance, so it is not offered).
 *   A warm pool refuses groups that request Spot Instances.
 * - Azure VM scale sets (`azure-vmss`): instances are deallocated and started again ("stopped").
 * - GCP managed instance groups (`gcp-mig`, `gcp-regional-mig`): the standby policy keeps stopped
 *   (`targetStoppedSize`) or suspended (`targetSuspendedSize`) VMs and resumes them on scale-out.
 * EC2 Fleets, EKS managed node groups, Kubernetes Deployments and Karpenter NodePools have no such pool.
 *
 * Pure data and arithmetic: no I/O, no SDK.
 */
import type { CapacityType, Cloud, DiskType, PoolKind, WarmState } from './types.ts';

// The vocabulary of a pool's warm capacity is part of the domain model (`Pool.warm`); re-exported here so the
// warm rules and their words are read from one module.
export { DISK_TYPES, WARM_STATES } from './types.ts';
export type { DiskType, WarmPolicy, WarmState } from './types.ts';

/** The warm states each pool kind's cloud primitive offers; kinds absent here cannot keep warm capacity. */
export const WARM_STATES_OF_KIND: Partial<Record<PoolKind, readonly WarmState[]>> = {
  'auto-scaling-group': ['stopped', 'hibernated'],
  'azure-vmss': ['stopped'],
  'gcp-mig': ['stopped', 'suspended'],
  'gcp-regional-mig': ['stopped', 'suspended'],
};

/** Why a pool kind cannot keep warm capacity, in words for a configuration error. */
export function warmUnsupportedReason(kind: PoolKind, capacityType: CapacityType): string | undefined {
  if (!WARM_STATES_OF_KIND[kind]) {
    return (
      `a ${kind} pool cannot keep warm capacity: EC2 Fleets, EKS node groups, Kubernetes Deployments and ` +
      'Karpenter NodePools have no pool of stopped instances (use an auto-scaling-group, azure-vmss or gcp-mig pool)'
    );
  }
  if (capacityType === 'spot') {
    return (
      'a spot pool cannot keep warm capacity: a stopped spot VM holds no claim on spot capacity, and EC2 Auto ' +
      'Scaling refuses a warm pool on a group that requests Spot Instances'
    );
  }
  return undefined;
}

/**
 * Seconds from a resume request to a serving node, by warm state, when the pool does not say.
 *
 * A cold GPU node spends its ten minutes on provisioning, node bootstrap, image pull and model load
 * (../shared/traces/README.md: KAITO measured 284 s provisioning, 126 s node init, 101 s image pull and 195 s
 * vLLM init on one A100; reports range from ~5 to 16 min). A warm node keeps its disk: the VM exists, the node
 * is bootstrapped and registered, the image is pulled and the weights are on the local disk. What is left is
 * starting the VM (tens of seconds on each cloud: EC2 "Stopped" warm-pool instances, Azure `start` of a
 * deallocated VM, GCP `start`/`resume`), the kubelet reporting Ready again, and the model server loading the
 * weights from the local disk into the GPU. Hibernated and suspended VMs also keep their memory (the server's
 * process and its host-side copy of the weights), so they skip the OS boot. The issue that asked for warm
 * capacity states "about a minute or two"; these defaults take its upper end. Measure yours and set
 * `warm.resumeSeconds`.
 */
export const DEFAULT_RESUME_SECONDS: Record<WarmState, number> = { stopped: 120, hibernated: 90, suspended: 90 };

export interface DiskPrice {
  cloud: Exclude<Cloud, 'kubernetes'>;
  /** USD per GB-month, as the cloud's page states it. */
  perGbMonth: number;
  source: string;
}

/** Hours in a month, as the clouds' per-month disk prices count them (730 = 8,760 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * Public list prices of the disk each cloud's GPU nodes boot from (2025, the catalog's regions).
 */
export const DISK_PRICES: Record<DiskType, DiskPrice> = {
  gp3: {
    cloud: 'aws',
    perGbMonth: 0.08,
    source:
      'https://aws.amazon.com/ebs/pricing/ (gp3, US East (N. Virginia): $0.08/GB-month; baseline IOPS and throughput included)',
  },
  'premium-ssd': {
    cloud: 'azure',
    // Premium SSD is sold by disk tier: P10 (128 GiB) is $19.71/month in East US, LRS: 19.71 / 128.
    perGbMonth: 0.154,
    source:
      'https://azure.microsoft.com/pricing/details/managed-disks/ (Premium SSD P10, 128 GiB, East US, LRS: $19.71/month)',
  },
  'standard-ssd': {
    cloud: 'azure',
    // Standard SSD E10 (128 GiB) is $9.60/month in East US, LRS: 9.60 / 128.
    perGbMonth: 0.075,
    source:
      'https://azure.microsoft.com/pricing/details/managed-disks/ (Standard SSD E10, 128 GiB, East US, LRS: $9.60/month)',
  },
  'pd-balanced': {
    cloud: 'gcp',
    perGbMonth: 0.1,
    source:
      'https://cloud.google.com/compute/disks-image-pricing (Balanced persistent disk, us-central1: $0.100/GB-month)',
  },
  'pd-ssd': {
    cloud: 'gcp',
    perGbMonth: 0.17,
    source: 'https://cloud.google.com/compute/disks-image-pricing (SSD persistent disk, us-central1: $0.170/GB-month)',
  },
};

/** The disk type a pool's nodes boot from when it does not say: each cloud's general-purpose SSD. */
export const DEFAULT_DISK_TYPE: Record<Exclude<Cloud, 'kubernetes'>, DiskType> = {
  aws: 'gp3',
  azure: 'premium-ssd',
  gcp: 'pd-balanced',
};

/**
 * GB of disk a GPU node keeps when the pool does not say: the OS and node image, the model server's container
 * image (vLLM's is ~10 GB) and the weights of an 8B-parameter model in FP16 (16 GB), with room for logs and a
 * second model version. AKS's default OS disk for such VM sizes is 128 GB; set `diskGb` to the launch
 * template's or scale set's own size.
 */
export const DEFAULT_DISK_GB = 100;

/**
 * The hourly price of a warm node: its disk, GB x the disk type's price per GB-hour. A hibernated or suspended
 * node also keeps its memory on disk (AWS writes RAM to the root EBS volume; GCP charges a suspended VM for
 * the storage of its memory), counted at the same price per GB.
 */
export function warmHourlyPrice(diskType: DiskType, diskGb: number, state: WarmState, memoryGiB = 0): number {
  const perGbHour = DISK_PRICES[diskType].perGbMonth / HOURS_PER_MONTH;
  const gb = diskGb + (state === 'stopped' ? 0 : memoryGiB);
  return gb * perGbHour;
}
