/**
 * The capacity model: how much memory a model needs, how many GPUs it must be split over, how many tokens
 * and requests per second a GPU serves at a batch size, which batch size meets a latency target, and how
 * many GPUs and nodes a demand needs. Pure functions of (model, GPU, options): no I/O, no clock.
 *
 * The formulas are those of seed 002, "ML Model Serving - GPU Capacity Planning"
 * (`MLServingCapacityModel`), generalised to tensor parallelism (seed 003's power-of-two TP sizes and its
 * 0.95^(tp-1) efficiency) and to settable overheads. Two things in the seed are deliberate choices kept here:
 *
 * - Units. The seed converts bytes to "GB" by dividing by 1024^3 (GiB), both for model memory and for
 *   bandwidth (`memory_bandwidth_gbps * 1024**3`), and compares GiB-sized models with the vendor's GB of
 *   device memory. We do the same by default (`bytesPerGb: 1024 ** 3`); pass `bytesPerGb: 1e9` for SI units.
 *   The seed's way makes memory needs ~7% smaller and bandwidth ~7% larger than SI would.
 *
 * - Throughput. Two formulas, chosen with `formula`:
 *
 *   `'seed'` reproduces `calculate_inference_throughput` exactly:
 *       compute_time_per_token = compute_per_token_tflops / TFLOPS
 *       memory_time_per_token  = avg_tokens_per_request x bytes_per_param x parameters / (GB/s x 1024^3)
 *       bottleneck = max(both);  tokens/s = batch / bottleneck;  requests/s = tokens/s / avg_tokens
 *       latency_ms = 1000 / requests/s
 *   Its memory term streams the weights once per *token of the request*, so it is a time per request, not
 *   per token; dividing tokens/s by avg_tokens again makes memory-bound requests/s avg_tokens times too small
 *   (an 8B model on an A10G: 0.26 req/s at batch 256). Its latency is 1/throughput, which falls as the batch
 *   grows (Little's law says latency = requests in flight / throughput = batch / requests/s), and its compute
 *   time does not grow with the batch. With it, a bigger batch always looks better and an 8B model on an
 *   A10G or L4 meets no latency target under 3.9 s. Its own worked example (175B on A100 80GB) never fits.
 *
 *   `'roofline'` (the default) keeps the seed's two terms and its max(), per decoding step:
 *       compute time per token = compute_per_token_tflops / TFLOPS          (the seed's term)
 *       memory time per step   = bytes_per_param x parameters / (GB/s x 1024^3)
 *                              = the seed's memory term / avg_tokens_per_request
 *       step time   = max(batch x compute time per token, memory time per step)
 *       tokens/s    = batch / step time;  requests/s = tokens/s / avg_tokens_per_request
 *       latency per request = avg_tokens_per_request x step time  (= batch / requests/s, Little's law)
 *   Memory-bound, its requests/s is exactly the seed's tokens/s; compute-bound, throughput levels off at
 *   TFLOPS / compute_per_token; latency grows with the batch, so the latency target caps the batch.
 *
 * Assumptions of both (and of the seed): decode only (prefill, i.e. time to first token, is not modelled);
 * the KV cache is the seed's fixed 20% of the weights, not a function of batch x context, so memory does
 * not limit the batch (`maxBatch` does); no speculative decoding or quantised KV; tensor parallelism scales
 * compute and bandwidth by tp x 0.95^(tp-1) (seed 003), within one node.
 */
import type { Catalog, GpuSpec, InstanceTypeSpec } from './catalog.ts';
import { formatPath, gpuOf, instanceType } from './catalog.ts';
import { ConfigError } from './errors.ts';
import type { WorkloadModel } from './types.ts';

export type ThroughputFormula = 'roofline' | 'seed';

export interface MemoryOptions {
  /** KV cache as a share of the weights (seed: 0.2). */
  kvCacheOverhead?: number;
  /** Framework (CUDA context, activations, allocator) as a share of the weights (seed: 0.15). */
  frameworkOverhead?: number;
  /** Safety buffer as a share of the weights (seed: 0.1). */
  safetyBuffer?: number;
  /** Bytes in a "GB" for model sizes and bandwidth (seed: 1024^3). */
  bytesPerGb?: number;
}

export interface CapacityOptions extends MemoryOptions {
  /** Throughput formula (see the file comment). Default `'roofline'`. */
  formula?: ThroughputFormula;
  /** Largest tensor-parallel group considered: one NVLink node of 8 GPUs (seed 003's `tensor_parallel_max`). */
  maxTensorParallel?: number;
  /** Per-extra-GPU efficiency of tensor parallelism: a group of tp runs at tp x e^(tp-1) (seed 003: 0.95). */
  tensorParallelEfficiency?: number;
  /** Largest batch considered (default 256; the seed's loop stops at 128). */
  maxBatch?: number;
}

/** The seed's defaults, and ours where the seed has none. */
export const CAPACITY_DEFAULTS = {
  kvCacheOverhead: 0.2,
  frameworkOverhead: 0.15,
  safetyBuffer: 0.1,
  bytesPerGb: 1024 ** 3,
  formula: 'roofline' as ThroughputFormula,
  maxTensorParallel: 8,
  tensorParallelEfficiency: 0.95,
  maxBatch: 256,
  /** Demand headroom (seed: `safety_buffer = 1.2`). */
  demandBuffer: 0.2,
} as const;

export type CapacityErrorReason = 'does-not-fit' | 'latency-infeasible' | 'invalid-input';

/** The model cannot be served as asked: it does not fit, no batch meets the latency target, or bad input. */
export class CapacityError extends Error {
  readonly reason: CapacityErrorReason;
  constructor(reason: CapacityErrorReason, message: string) {
    super(message);
    this.name = 'CapacityError';
    this.reason = reason;
  }
}
export const isCapacityError = (e: unknown): e is CapacityError => e instanceof CapacityError;

/**
 * Named workload models. The first, second and fourth are seed 002's `model_profiles`; `llama3-8b` is the
 * demo fleet's model: 8.03e9 parameters as seed 003's "llama-3.1-8b", 2 FLOPs per parameter per token like
 * the seed's 0.14 TFLOP for 70B, and 200 tokens per request like the seed's llama2_70b (the Azure 2023
 * conversation trace in ../shared/traces averages 211 generated tokens).
 */
export const MODEL_PRESETS = {
  'gpt-3.5-175b': {
    name: 'gpt-3.5-175b',
    parametersBillions: 175,
    bytesPerParam: 2,
    computePerTokenTflops: 0.36,
    avgTokensPerRequest: 150,
    contextLength: 4096,
  },
  'llama2-70b': {
    name: 'llama2-70b',
    parametersBillions: 70,
    bytesPerParam: 2,
    computePerTokenTflops: 0.14,
    avgTokensPerRequest: 200,
    contextLength: 4096,
  },
  'llama3-8b': {
    name: 'llama3-8b',
    parametersBillions: 8.03,
    bytesPerParam: 2,
    computePerTokenTflops: 0.016,
    avgTokensPerRequest: 200,
    contextLength: 8192,
  },
  'bert-large': {
    name: 'bert-large',
    parametersBillions: 0.34,
    bytesPerParam: 2,
    computePerTokenTflops: 0.001,
    avgTokensPerRequest: 128,
    contextLength: 512,
  },
} as const satisfies Record<string, WorkloadModel>;
export type ModelPresetName = keyof typeof MODEL_PRESETS;

// ---------------------------------------------------------------------------------------------------------
// Memory and fit

export interface ModelMemory {
  /** parameters x bytes per parameter / bytesPerGb (the seed's `base_model_memory_gb`). */
  weightsGb: number;
  kvCacheGb: number;
  frameworkGb: number;
  safetyGb: number;
  /** framework + safety. */
  overheadGb: number;
  /** weights x (1 + kv + framework + safety) (the seed's `total_memory_required_gb`). */
  totalGb: number;
}

/** Seed 002 `calculate_model_memory_requirements`, with settable overheads. */
export function modelMemory(model: WorkloadModel, opts: MemoryOptions = {}): ModelMemory {
  checkModel(model);
  const kv = share(opts.kvCacheOverhead, CAPACITY_DEFAULTS.kvCacheOverhead, 'kvCacheOverhead');
  const fw = share(opts.frameworkOverhead, CAPACITY_DEFAULTS.frameworkOverhead, 'frameworkOverhead');
  const safety = share(opts.safetyBuffer, CAPACITY_DEFAULTS.safetyBuffer, 'safetyBuffer');
  const weightsGb = weightBytes(model) / bytesPerGb(opts);
  return {
    weightsGb,
    kvCacheGb: weightsGb * kv,
    frameworkGb: weightsGb * fw,
    safetyGb: weightsGb * safety,
    overheadGb: weightsGb * (fw + safety),
    totalGb: weightsGb * (1 + kv + fw + safety),
  };
}

export interface Fit {
  /** The whole model fits in one GPU (the seed's `memory_fits`). */
  fits: boolean;
  /**
   * Smallest power-of-two tensor-parallel size whose GPUs together hold the model, up to
   * `maxTensorParallel` (default 8, one node); undefined when even that is too small.
   */
  tensorParallel: number | undefined;
  /** totalGb / tensorParallel (or totalGb when nothing fits). */
  memoryPerGpuGb: number;
  memory: ModelMemory;
}

/** Whether a model fits one GPU and, if not, over how many it must be split. */
export function fit(model: WorkloadModel, gpu: GpuSpec, opts: CapacityOptions = {}): Fit {
  const memory = modelMemory(model, opts);
  const tensorParallel = tensorParallelSizes(maxTp(opts)).find((tp) => memory.totalGb / tp <= gpu.memoryGb);
  return {
    fits: memory.totalGb <= gpu.memoryGb,
    tensorParallel,
    memoryPerGpuGb: memory.totalGb / (tensorParallel ?? 1),
    memory,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Throughput

export interface Throughput {
  formula: ThroughputFormula;
  batchSize: number;
  /** GPUs serving one replica of the model. */
  tensorParallel: number;
  /** compute_per_token_tflops / (TFLOPS of the TP group). */
  computeTimePerTokenS: number;
  /** roofline: weights / bandwidth (one decoding step). seed: the seed's term, avg_tokens times that. */
  memoryTimePerTokenS: number;
  /** Time for one decoding step of the whole batch (seed: the bottleneck time, whatever the batch). */
  stepTimeS: number;
  bound: 'compute' | 'memory';
  /** Per replica (TP group). */
  tokensPerSecond: number;
  /** Per replica (TP group). */
  requestsPerSecond: number;
  requestsPerSecondPerGpu: number;
  /** roofline: avg_tokens x step time. seed: 1000 / requests per second. */
  latencyPerRequestMs: number;
}

/**
 * Tokens and requests per second of one replica of `model` on `tp` GPUs of this kind at `batchSize`
 * (see the file comment for both formulas). `tp` defaults to the smallest size that fits; a `tp` that
 * does not hold the model throws `CapacityError('does-not-fit')` (the seed returns `memory_fits: False`).
 */
export function throughput(
  model: WorkloadModel,
  gpu: GpuSpec,
  batchSize: number,
  tp?: number,
  opts: CapacityOptions = {},
): Throughput {
  if (!Number.isInteger(batchSize) || batchSize < 1) invalid(`batch size must be a positive integer, got ${batchSize}`);
  const tensorParallel = tp ?? requireFit(model, gpu, opts);
  if (!Number.isInteger(tensorParallel) || tensorParallel < 1) {
    invalid(`tensor-parallel size must be a positive integer, got ${tensorParallel}`);
  }
  const memory = modelMemory(model, opts);
  if (memory.totalGb / tensorParallel > gpu.memoryGb) {
    throw new CapacityError(
      'does-not-fit',
      `${model.name} needs ${memory.totalGb.toFixed(1)} GB, ${(memory.totalGb / tensorParallel).toFixed(1)} GB per GPU ` +
        `at tensor-parallel ${tensorParallel}; ${gpu.id} has ${gpu.memoryGb} GB`,
    );
  }
  const efficiency = opts.tensorParallelEfficiency ?? CAPACITY_DEFAULTS.tensorParallelEfficiency;
  if (!(efficiency > 0 && efficiency <= 1)) invalid(`tensorParallelEfficiency must be in (0, 1], got ${efficiency}`);
  const scale = tensorParallel * efficiency ** (tensorParallel - 1);
  const tflops = gpu.fp16Tflops * scale;
  const bytesPerSecond = gpu.memoryBandwidthGBps * bytesPerGb(opts) * scale;
  const tokens = model.avgTokensPerRequest;
  const computeTimePerTokenS = model.computePerTokenTflops / tflops;
  const weightsStreamS = weightBytes(model) / bytesPerSecond;
  const formula = opts.formula ?? CAPACITY_DEFAULTS.formula;

  if (formula === 'seed') {
    const memoryTimePerTokenS = tokens * weightsStreamS;
    const stepTimeS = Math.max(computeTimePerTokenS, memoryTimePerTokenS);
    const tokensPerSecond = batchSize / stepTimeS;
    const requestsPerSecond = tokensPerSecond / tokens;
    return {
      formula,
      batchSize,
      tensorParallel,
      computeTimePerTokenS,
      memoryTimePerTokenS,
      stepTimeS,
      bound: computeTimePerTokenS > memoryTimePerTokenS ? 'compute' : 'memory',
      tokensPerSecond,
      requestsPerSecond,
      requestsPerSecondPerGpu: requestsPerSecond / tensorParallel,
      latencyPerRequestMs: 1000 / requestsPerSecond,
    };
  }
  const stepTimeS = Math.max(batchSize * computeTimePerTokenS, weightsStreamS);
  const tokensPerSecond = batchSize / stepTimeS;
  const requestsPerSecond = tokensPerSecond / tokens;
  return {
    formula,
    batchSize,
    tensorParallel,
    computeTimePerTokenS,
    memoryTimePerTokenS: weightsStreamS,
    stepTimeS,
    bound: batchSize * computeTimePerTokenS > weightsStreamS ? 'compute' : 'memory',
    tokensPerSecond,
    requestsPerSecond,
    requestsPerSecondPerGpu: requestsPerSecond / tensorParallel,
    latencyPerRequestMs: tokens * stepTimeS * 1000,
  };
}

export interface BatchChoice extends Throughput {
  /** Every batch size tried, with whether it met the target (the seed's `batch_analysis`, plus misses). */
  considered: { batchSize: number; requestsPerSecond: number; latencyPerRequestMs: number; withinTarget: boolean }[];
}

/**
 * Seed 002 `optimize_batch_size`: among batch sizes 1, 2, 4, ... up to `maxBatch` (and `maxBatch` itself),
 * the one with the most requests per second whose latency per request is within `latencyTargetMs`; on a
 * tie, the smaller batch. Undefined when no batch meets the target (the seed then reports batch 1 at 0 req/s).
 * Pass `opts.tensorParallel` to fix the TP size; it defaults to the smallest that fits.
 */
export function bestBatchSize(
  model: WorkloadModel,
  gpu: GpuSpec,
  latencyTargetMs: number,
  maxBatch: number = CAPACITY_DEFAULTS.maxBatch,
  opts: CapacityOptions & { tensorParallel?: number } = {},
): BatchChoice | undefined {
  positiveNumber(latencyTargetMs, 'latency target (ms)');
  if (!Number.isInteger(maxBatch) || maxBatch < 1) invalid(`maxBatch must be a positive integer, got ${maxBatch}`);
  const tp = opts.tensorParallel ?? requireFit(model, gpu, opts);
  const considered: BatchChoice['considered'] = [];
  let best: Throughput | undefined;
  for (const batch of batchCandidates(maxBatch)) {
    const t = throughput(model, gpu, batch, tp, opts);
    const withinTarget = t.latencyPerRequestMs <= latencyTargetMs;
    considered.push({
      batchSize: batch,
      requestsPerSecond: t.requestsPerSecond,
      latencyPerRequestMs: t.latencyPerRequestMs,
      withinTarget,
    });
    if (withinTarget && (!best || t.requestsPerSecond > best.requestsPerSecond)) best = t;
  }
  return best && { ...best, considered };
}

// ---------------------------------------------------------------------------------------------------------
// Serving plans: tensor-parallel size x batch size for a latency target

export interface ServingPlan {
  gpuId: string;
  tensorParallel: number;
  batchSize: number;
  bound: 'compute' | 'memory';
  /** One replica (TP group). */
  perReplicaRps: number;
  perGpuRps: number;
  latencyPerRequestMs: number;
  /** The chosen batch's full figures. */
  throughput: Throughput;
}

/**
 * The best way to serve `model` on this GPU within `latencyTargetMs`: every power-of-two TP size from the
 * smallest that fits up to `maxTensorParallel` (and `gpusPerNode`: a replica does not span nodes) is tried
 * with its best batch, and the one with the most requests per second per GPU wins (the smaller TP on a tie).
 * A larger TP than memory needs can win only when the smaller ones cannot meet the target.
 * Throws `CapacityError` when the model does not fit or no TP size and batch meets the target.
 */
export function servingPlan(
  model: WorkloadModel,
  gpu: GpuSpec,
  latencyTargetMs: number,
  opts: CapacityOptions & { gpusPerNode?: number; tensorParallel?: number } = {},
): ServingPlan {
  positiveNumber(latencyTargetMs, 'latency target (ms)');
  if (opts.tensorParallel !== undefined && opts.gpusPerNode !== undefined && opts.tensorParallel > opts.gpusPerNode) {
    invalid(`tensor-parallel ${opts.tensorParallel} does not fit a node of ${opts.gpusPerNode} GPUs`);
  }
  const limit = Math.min(maxTp(opts), opts.gpusPerNode ?? Number.POSITIVE_INFINITY);
  const memory = modelMemory(model, opts);
  const sizes =
    opts.tensorParallel !== undefined
      ? [opts.tensorParallel]
      : tensorParallelSizes(limit).filter((tp) => memory.totalGb / tp <= gpu.memoryGb);
  if (sizes.length === 0) {
    throw new CapacityError(
      'does-not-fit',
      `${model.name} needs ${memory.totalGb.toFixed(1)} GB; ${limit === Number.POSITIVE_INFINITY ? 'no' : `up to ${limit}`} ` +
        `${gpu.id} GPUs (${gpu.memoryGb} GB each) in one tensor-parallel group cannot hold it`,
    );
  }
  let best: BatchChoice | undefined;
  let fastest: Throughput | undefined;
  for (const tp of sizes) {
    const choice = bestBatchSize(model, gpu, latencyTargetMs, opts.maxBatch ?? CAPACITY_DEFAULTS.maxBatch, {
      ...opts,
      tensorParallel: tp,
    });
    const atOne = throughput(model, gpu, 1, tp, opts);
    if (!fastest || atOne.latencyPerRequestMs < fastest.latencyPerRequestMs) fastest = atOne;
    if (choice && (!best || choice.requestsPerSecondPerGpu > best.requestsPerSecondPerGpu)) best = choice;
  }
  if (!best) {
    throw new CapacityError(
      'latency-infeasible',
      `${model.name} on ${gpu.id}: the fastest configuration (tensor-parallel ${fastest!.tensorParallel}, batch 1) takes ` +
        `${fastest!.latencyPerRequestMs.toFixed(0)} ms per request, above the ${latencyTargetMs} ms target`,
    );
  }
  const { considered: _considered, ...chosen } = best;
  return {
    gpuId: gpu.id,
    tensorParallel: chosen.tensorParallel,
    batchSize: chosen.batchSize,
    bound: chosen.bound,
    perReplicaRps: chosen.requestsPerSecond,
    perGpuRps: chosen.requestsPerSecondPerGpu,
    latencyPerRequestMs: chosen.latencyPerRequestMs,
    throughput: chosen,
  };
}

type DemandTarget =
  | { targetRps: number; targetTokensPerSecond?: undefined }
  | { targetTokensPerSecond: number; targetRps?: undefined };

export type DemandInput = DemandTarget &
  CapacityOptions & {
    model: WorkloadModel;
    gpu: GpuSpec;
    latencyTargetMs: number;
    /** Headroom over the target (seed: 0.2). */
    buffer?: number;
    /** When given, replicas are packed into whole nodes of this many GPUs. */
    gpusPerNode?: number;
    /** Fix the TP size instead of choosing it. */
    tensorParallel?: number;
  };

export interface DemandSizing extends ServingPlan {
  /** The target in requests per second (tokens per second / avg tokens per request when given in tokens). */
  targetRps: number;
  /** target x (1 + buffer). */
  requiredRps: number;
  /** Replicas (TP groups) = ceil(required / perReplicaRps). */
  replicas: number;
  /** GPUs in those replicas = replicas x tensorParallel. */
  gpus: number;
  /** Nodes of `gpusPerNode` that hold the replicas (undefined without gpusPerNode). */
  nodes: number | undefined;
  /** nodes x gpusPerNode (undefined without gpusPerNode). */
  provisionedGpus: number | undefined;
  /** replicas x perReplicaRps. */
  capacityRps: number;
  /** target / capacity. */
  utilization: number;
}

/**
 * Seed 002 `calculate_cluster_requirements`: GPUs = ceil(target x (1 + buffer) / requests per second per GPU),
 * rounded up to whole tensor-parallel groups and, given `gpusPerNode`, whole nodes. Ceilings ignore
 * floating-point noise of one part in 10^12 (0.1 x 3 / 0.1 is 3, not 4).
 */
export function gpusForDemand(input: DemandInput): DemandSizing {
  const { model, gpu, latencyTargetMs, gpusPerNode } = input;
  const buffer = input.buffer ?? CAPACITY_DEFAULTS.demandBuffer;
  if (!Number.isFinite(buffer) || buffer < 0) invalid(`buffer must be a non-negative number, got ${buffer}`);
  if (gpusPerNode !== undefined && (!Number.isInteger(gpusPerNode) || gpusPerNode < 1)) {
    invalid(`gpusPerNode must be a positive integer, got ${gpusPerNode}`);
  }
  let targetRps: number;
  if (input.targetRps !== undefined && input.targetTokensPerSecond === undefined) targetRps = input.targetRps;
  else if (input.targetTokensPerSecond !== undefined && input.targetRps === undefined) {
    targetRps = input.targetTokensPerSecond / model.avgTokensPerRequest;
  } else invalid('give exactly one of targetRps and targetTokensPerSecond');
  if (!Number.isFinite(targetRps) || targetRps < 0) invalid(`target must be a non-negative number, got ${targetRps}`);

  const plan = servingPlan(model, gpu, latencyTargetMs, input);
  const requiredRps = targetRps * (1 + buffer);
  // Any positive demand needs a replica, even one so small the division underflows to 0.
  const replicas = requiredRps > 0 ? Math.max(1, ceilTolerant(requiredRps / plan.perReplicaRps)) : 0;
  const replicasPerNode = gpusPerNode === undefined ? undefined : Math.floor(gpusPerNode / plan.tensorParallel);
  const nodes = replicasPerNode === undefined ? undefined : Math.ceil(replicas / replicasPerNode);
  const capacityRps = replicas * plan.perReplicaRps;
  return {
    ...plan,
    targetRps,
    requiredRps,
    replicas,
    gpus: replicas * plan.tensorParallel,
    nodes,
    provisionedGpus: nodes === undefined ? undefined : nodes * gpusPerNode!,
    capacityRps,
    utilization: capacityRps > 0 ? targetRps / capacityRps : 0,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Per node, from the catalog: what pools carry

export interface NodePlan extends ServingPlan {
  instanceType: InstanceTypeSpec;
  gpu: GpuSpec;
  /** floor(gpusPerNode / tensorParallel). */
  replicasPerNode: number;
  rpsPerNode: number;
}

/** How one node of `instanceTypeName` serves `model` within the latency target (see `servingPlan`). */
export function nodePlan(
  catalog: Catalog,
  model: WorkloadModel,
  instanceTypeName: string,
  latencyTargetMs: number,
  opts: CapacityOptions = {},
): NodePlan {
  const it = instanceType(catalog, instanceTypeName);
  const gpu = gpuOf(catalog, instanceTypeName);
  const plan = servingPlan(model, gpu, latencyTargetMs, { ...opts, gpusPerNode: it.gpusPerNode });
  const replicasPerNode = Math.floor(it.gpusPerNode / plan.tensorParallel);
  return { ...plan, instanceType: it, gpu, replicasPerNode, rpsPerNode: replicasPerNode * plan.perReplicaRps };
}

/**
 * Requests per second one node of `instanceTypeName` serves within `latencyTargetMs`: what `Pool.rpsPerNode`
 * holds. Throws `CatalogLookupError` for an unknown instance type and `CapacityError` when the model does not
 * fit one node or no batch meets the target.
 */
export function rpsPerNode(
  catalog: Catalog,
  model: WorkloadModel,
  instanceTypeName: string,
  latencyTargetMs: number,
  opts: CapacityOptions = {},
): number {
  return nodePlan(catalog, model, instanceTypeName, latencyTargetMs, opts).rpsPerNode;
}

/**
 * USD per hour per request/s of capacity (node price / rpsPerNode), for ranking instance types: lower is
 * better. Prices from the catalog (`onDemandHourly`, or `spotHourly` with `capacityType: 'spot'`) unless
 * `hourlyPriceUsd` is given.
 */
export function costPerRps(
  catalog: Catalog,
  model: WorkloadModel,
  instanceTypeName: string,
  latencyTargetMs: number,
  opts: CapacityOptions & { capacityType?: 'on-demand' | 'spot'; hourlyPriceUsd?: number } = {},
): number {
  const plan = nodePlan(catalog, model, instanceTypeName, latencyTargetMs, opts);
  let price = opts.hourlyPriceUsd;
  if (price === undefined) {
    price = opts.capacityType === 'spot' ? plan.instanceType.spotHourly : plan.instanceType.onDemandHourly;
    if (price === undefined) {
      throw new ConfigError('catalog', formatPath(['instanceTypes', instanceTypeName, 'spotHourly']), 'no spot price');
    }
  }
  return price / plan.rpsPerNode;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** ceil that ignores floating-point noise of one part in 10^12; monotone in x. */
export function ceilTolerant(x: number): number {
  return Math.ceil(x * (1 - 1e-12));
}

/** 1, 2, 4, ... up to `limit`. */
function tensorParallelSizes(limit: number): number[] {
  const sizes: number[] = [];
  for (let tp = 1; tp <= limit; tp *= 2) sizes.push(tp);
  return sizes;
}

/** Powers of two up to maxBatch, and maxBatch itself. */
function batchCandidates(maxBatch: number): number[] {
  const out: number[] = [];
  for (let b = 1; b <= maxBatch; b *= 2) out.push(b);
  if (out[out.length - 1] !== maxBatch) out.push(maxBatch);
  return out;
}

function requireFit(model: WorkloadModel, gpu: GpuSpec, opts: CapacityOptions): number {
  // biome-ignore lint/suspicious/noFocusedTests: the capacity model's fit(), not Jasmine's focused test
  const f = fit(model, gpu, opts);
  if (f.tensorParallel === undefined) {
    throw new CapacityError(
      'does-not-fit',
      `${model.name} needs ${f.memory.totalGb.toFixed(1)} GB; ${maxTp(opts)} x ${gpu.id} (${gpu.memoryGb} GB each) cannot hold it`,
    );
  }
  return f.tensorParallel;
}

function maxTp(opts: CapacityOptions): number {
  const v = opts.maxTensorParallel ?? CAPACITY_DEFAULTS.maxTensorParallel;
  if (!Number.isInteger(v) || v < 1) invalid(`maxTensorParallel must be a positive integer, got ${v}`);
  return v;
}

function bytesPerGb(opts: MemoryOptions): number {
  const v = opts.bytesPerGb ?? CAPACITY_DEFAULTS.bytesPerGb;
  positiveNumber(v, 'bytesPerGb');
  return v;
}

function weightBytes(model: WorkloadModel): number {
  return Math.round(model.parametersBillions * 1e9) * model.bytesPerParam;
}

function share(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) invalid(`${what} must be a non-negative number, got ${v}`);
  return v;
}

function positiveNumber(v: number, what: string): void {
  if (!Number.isFinite(v) || v <= 0) invalid(`${what} must be a positive number, got ${v}`);
}

function checkModel(m: WorkloadModel): void {
  positiveNumber(m.parametersBillions, `${m.name}: parametersBillions`);
  positiveNumber(m.bytesPerParam, `${m.name}: bytesPerParam`);
  positiveNumber(m.avgTokensPerRequest, `${m.name}: avgTokensPerRequest`);
  if (!Number.isFinite(m.computePerTokenTflops) || m.computePerTokenTflops < 0) {
    invalid(`${m.name}: computePerTokenTflops must be a non-negative number, got ${m.computePerTokenTflops}`);
  }
}

function invalid(message: string): never {
  throw new CapacityError('invalid-input', message);
}
