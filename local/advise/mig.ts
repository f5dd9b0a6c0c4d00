/**
 * NVIDIA Multi-Instance GPU (MIG) profiles, and how the capacity model serves a workload on one.
 *
 * The profiles are NVIDIA's ("Supported MIG Profiles", MIG User Guide): a profile `Ng.Mgb` has N of the GPU's
 * 7 compute slices (SMs) and a share of its memory in eighths; `perGpu` is how many of that profile one GPU
 * holds. A100 40GB: 1g.5gb (x7), 2g.10gb (x3), 3g.20gb (x2), 4g.20gb (x1), 7g.40gb (x1); the 80 GB A100 has the
 * same profiles with twice the memory; H100 80GB adds 1g.20gb (one compute slice, a quarter of the memory,
 * x4); H200 and B200 follow the H100's layout at their own memory sizes. Other GPUs (A10G, L4, T4, L40S, V100,
 * AMD) have no MIG.
 *
 * A slice is modelled as a smaller GPU: compute = TFLOPS x slices / 7, bandwidth and memory = the GPU's x its
 * memory eighths / 8 (memory as the profile's name states it). That is the capacity model's own roofline,
 * not a measurement: real slices also share nothing of L2 and copy engines beyond their fraction.
 */
import type { GpuSpec } from '../../shared/domain/catalog-types.ts';
import { CapacityError, type CapacityOptions, servingPlan } from '../../shared/domain/capacity.ts';
import type { WorkloadModel } from '../../shared/domain/types.ts';

export interface MigProfile {
  name: string;
  /** Compute slices of 7. */
  computeSevenths: number;
  /** Memory (and bandwidth) in eighths of the GPU's. */
  memoryEighths: number;
  /** Memory of one instance, GB, as the profile's name says. */
  memoryGb: number;
  /** Instances of this profile one GPU holds. */
  perGpu: number;
}

const layout = (gb: (eighths: number) => number, withQuarterOneG: boolean): MigProfile[] => [
  { name: `1g.${gb(1)}gb`, computeSevenths: 1, memoryEighths: 1, memoryGb: gb(1), perGpu: 7 },
  ...(withQuarterOneG
    ? [{ name: `1g.${gb(2)}gb`, computeSevenths: 1, memoryEighths: 2, memoryGb: gb(2), perGpu: 4 }]
    : []),
  { name: `2g.${gb(2)}gb`, computeSevenths: 2, memoryEighths: 2, memoryGb: gb(2), perGpu: 3 },
  { name: `3g.${gb(4)}gb`, computeSevenths: 3, memoryEighths: 4, memoryGb: gb(4), perGpu: 2 },
  { name: `4g.${gb(4)}gb`, computeSevenths: 4, memoryEighths: 4, memoryGb: gb(4), perGpu: 1 },
  { name: `7g.${gb(8)}gb`, computeSevenths: 7, memoryEighths: 8, memoryGb: gb(8), perGpu: 1 },
];

/** Memory per eighth as NVIDIA names the profiles (e.g. H200: 1g.18gb, 2g.35gb, 3g.71gb, 7g.141gb). */
const named =
  (byEighths: Record<number, number>) =>
  (eighths: number): number =>
    byEighths[eighths]!;

/** MIG profiles per catalog GPU id; GPUs without MIG are absent. */
export const MIG_PROFILES: Record<string, MigProfile[]> = {
  'a100-40gb': layout(named({ 1: 5, 2: 10, 4: 20, 8: 40 }), false),
  'a100-80gb': layout(named({ 1: 10, 2: 20, 4: 40, 8: 80 }), false),
  'h100-80gb': layout(named({ 1: 10, 2: 20, 4: 40, 8: 80 }), true),
  'h200-141gb': layout(named({ 1: 18, 2: 35, 4: 71, 8: 141 }), true),
  'b200-192gb': layout(named({ 1: 23, 2: 45, 4: 90, 8: 180 }), true),
};

export interface MigPlan {
  profile: MigProfile;
  /** One instance of the profile, serving one replica (tensor-parallel 1). */
  perInstanceRps: number;
  /** perGpu x perInstanceRps. */
  perGpuRps: number;
  batchSize: number;
  latencyPerRequestMs: number;
}

/** The GPU one instance of `profile` behaves as. */
export function sliceOf(gpu: GpuSpec, profile: MigProfile): GpuSpec {
  return {
    ...gpu,
    id: `${gpu.id}/${profile.name}`,
    name: `${gpu.name} MIG ${profile.name}`,
    memoryGb: profile.memoryGb,
    fp16Tflops: (gpu.fp16Tflops * profile.computeSevenths) / 7,
    memoryBandwidthGBps: (gpu.memoryBandwidthGBps * profile.memoryEighths) / 8,
  };
}

/**
 * Every profile of this GPU that holds the model and meets the latency target, with its throughput; the
 * whole-GPU profile (7g) included, so a caller compares like with like. Empty for a GPU without MIG.
 */
export function migPlans(
  model: WorkloadModel,
  gpu: GpuSpec,
  latencyTargetMs: number,
  opts: CapacityOptions = {},
): MigPlan[] {
  const out: MigPlan[] = [];
  for (const profile of MIG_PROFILES[gpu.id] ?? []) {
    try {
      const plan = servingPlan(model, sliceOf(gpu, profile), latencyTargetMs, {
        ...opts,
        gpusPerNode: 1,
        tensorParallel: 1,
      });
      out.push({
        profile,
        perInstanceRps: plan.perReplicaRps,
        perGpuRps: plan.perReplicaRps * profile.perGpu,
        batchSize: plan.batchSize,
        latencyPerRequestMs: plan.latencyPerRequestMs,
      });
    } catch (e) {
      // Does not fit the slice, or too slow for the target: not a candidate.
      if (!(e instanceof CapacityError)) throw e;
    }
  }
  return out;
}
