/**
 * The GPU catalog's types: GPUs and the instance types that carry them. Apart from `catalog.ts` (schemas,
 * lookups) so that the built-in data (`catalog-data.ts`) and the code that reads it import them from here,
 * not from each other.
 */

export const GPU_VENDORS = ['nvidia', 'amd'] as const;
export type GpuVendor = (typeof GPU_VENDORS)[number];

/** Clouds that sell GPU instance types (Kubernetes pools run on one of them). */
export const CATALOG_CLOUDS = ['aws', 'azure', 'gcp'] as const;
export type CatalogCloud = (typeof CATALOG_CLOUDS)[number];

export interface GpuSpec {
  /** Catalog key, e.g. `a100-80gb`. */
  id: string;
  /** Marketing name, e.g. `NVIDIA A100 80GB`. */
  name: string;
  vendor: GpuVendor;
  /** Device memory, GB as the vendor states it (the seed compares it with GiB-based model sizes). */
  memoryGb: number;
  /** Dense FP16/BF16 tensor throughput, TFLOPS (no sparsity). */
  fp16Tflops: number;
  /** Device memory bandwidth, GB/s. */
  memoryBandwidthGBps: number;
  tdpWatts?: number;
  /** USD per GPU-hour as a seed gives it (a reference figure; instance types carry the real prices). */
  hourlyPriceUsd?: number;
  /**
   * Other spellings of this GPU found in the wild: Kubernetes `nvidia.com/gpu.product` labels, GCP
   * accelerator types, EC2 `GpuInfo` names. Matched case- and punctuation-insensitively by `gpuSpec`.
   */
  aliases?: string[];
  /** Where the numbers come from. */
  source?: string;
}

export interface InstanceTypeSpec {
  /** The cloud's own name: `g5.xlarge`, `Standard_NC24ads_A100_v4`, `a2-highgpu-1g`. */
  name: string;
  cloud: CatalogCloud;
  /** Key into `Catalog.gpus`. */
  gpuId: string;
  gpusPerNode: number;
  vcpus?: number;
  memoryGiB?: number;
  /** USD per node-hour, on-demand (pay-as-you-go). */
  onDemandHourly: number;
  /** USD per node-hour, spot / preemptible, as a reference point (real spot prices move). */
  spotHourly?: number;
  /** Where the prices and sizes come from. */
  source?: string;
  notes?: string;
}

export interface Catalog {
  gpus: Record<string, GpuSpec>;
  instanceTypes: Record<string, InstanceTypeSpec>;
}

/** A user's partial changes: per entry, the fields to change (or a whole new entry). */
export interface CatalogOverrides {
  gpus?: Record<string, Partial<GpuSpec>>;
  instanceTypes?: Record<string, Partial<InstanceTypeSpec>>;
}
