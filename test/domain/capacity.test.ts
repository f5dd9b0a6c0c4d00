/**
 * The capacity model against numbers worked out by hand from seed 002's formulas. Conventions in the
 * working: GiB = 1024^3 = 1,073,741,824 bytes (the seed's "GB"); W = weight bytes; BW = GB/s x GiB;
 * c = compute time per token = TFLOP per token / TFLOPS; m = W / BW (one decoding step, roofline);
 * tokens = avg tokens per request; e(tp) = tp x 0.95^(tp-1).
 */
import { describe, expect, it } from 'vitest';
import {
  CAPACITY_DEFAULTS,
  type CapacityError,
  ceilTolerant,
  costPerRps,
  fit as capacityFit,
  bestBatchSize,
  gpusForDemand,
  isCapacityError,
  MODEL_PRESETS,
  modelMemory,
  nodePlan,
  rpsPerNode,
  servingPlan,
  throughput,
} from '../../shared/domain/capacity.ts';
import { DEFAULT_CATALOG, isCatalogLookupError, withOverrides } from '../../shared/domain/catalog.ts';
import { ConfigError } from '../../shared/domain/errors.ts';
import type { WorkloadModel } from '../../shared/domain/types.ts';

const gpus = DEFAULT_CATALOG.gpus;
const A100_80 = gpus['a100-80gb']!;
const A100_40 = gpus['a100-40gb']!;
const H100 = gpus['h100-80gb']!;
const H200 = gpus['h200-141gb']!;
const MI300X = gpus['mi300x-192gb']!;
const A10G = gpus['a10g-24gb']!;
const L4 = gpus['l4-24gb']!;
const T4 = gpus['t4-16gb']!;
const { 'gpt-3.5-175b': GPT35, 'llama2-70b': LLAMA70, 'llama3-8b': LLAMA8, 'bert-large': BERT } = MODEL_PRESETS;

/** |actual - expected| <= rel x |expected|: the hand working below keeps 5-6 significant figures. */
function close(actual: number | undefined, expected: number, rel = 1e-5): void {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

function capacityError(fn: () => unknown): CapacityError {
  try {
    fn();
  } catch (e) {
    if (isCapacityError(e)) return e;
    throw e;
  }
  throw new Error('expected a CapacityError');
}

describe('modelMemory (seed 002 calculate_model_memory_requirements)', () => {
  it.each<
    [string, WorkloadModel, object, { weightsGb: number; kvCacheGb: number; overheadGb: number; totalGb: number }]
  >([
    // 70e9 x 2 / 1024^3 = 130.3852 GB weights; kv 20% = 26.0770; framework 15% + safety 10% = 32.5963;
    // total x1.45 = 189.0585 GB.
    [
      'llama2-70b fp16',
      LLAMA70,
      {},
      { weightsGb: 130.38516, kvCacheGb: 26.07703, overheadGb: 32.59629, totalGb: 189.05848 },
    ],
    // 175e9 x 2 / 1024^3 = 325.9629; x1.45 = 472.6462 (the seed's "Model requires 472.6GB").
    [
      'gpt-3.5 175B fp16',
      GPT35,
      {},
      { weightsGb: 325.9629, kvCacheGb: 65.19258, overheadGb: 81.49073, totalGb: 472.64621 },
    ],
    // 0.34e9 x 2 / 1024^3 = 0.633299; x1.45 = 0.918284.
    ['bert-large fp16', BERT, {}, { weightsGb: 0.633299, kvCacheGb: 0.12666, overheadGb: 0.158325, totalGb: 0.918284 }],
    // 8.03e9 x 2 / 1024^3 = 14.95704; x1.45 = 21.68771.
    [
      'llama3-8b fp16',
      LLAMA8,
      {},
      { weightsGb: 14.957041, kvCacheGb: 2.991408, overheadGb: 3.73926, totalGb: 21.687709 },
    ],
    // int4: 70e9 x 0.5 / 1024^3 = 32.59629; x1.45 = 47.26462.
    [
      'llama2-70b int4',
      { ...LLAMA70, bytesPerParam: 0.5 },
      {},
      { weightsGb: 32.59629, kvCacheGb: 6.519258, overheadGb: 8.149073, totalGb: 47.26462 },
    ],
    // overheads settable: kv 50%, nothing else -> 130.3852 x 1.5 = 195.5777.
    [
      'llama2-70b, kv 0.5 only',
      LLAMA70,
      { kvCacheOverhead: 0.5, frameworkOverhead: 0, safetyBuffer: 0 },
      { weightsGb: 130.38516, kvCacheGb: 65.19258, overheadGb: 0, totalGb: 195.57774 },
    ],
    // SI units: 140e9 / 1e9 = 140 GB; x1.45 = 203.
    [
      'llama2-70b, SI GB',
      LLAMA70,
      { bytesPerGb: 1e9 },
      { weightsGb: 140, kvCacheGb: 28, overheadGb: 35, totalGb: 203 },
    ],
  ])('%s', (_name, model, opts, want) => {
    const m = modelMemory(model, opts);
    close(m.weightsGb, want.weightsGb);
    close(m.kvCacheGb, want.kvCacheGb);
    if (want.overheadGb === 0) expect(m.overheadGb).toBe(0);
    else close(m.overheadGb, want.overheadGb);
    close(m.totalGb, want.totalGb);
    close(m.frameworkGb + m.safetyGb, m.overheadGb, 1e-12);
  });

  it('rejects a model with no parameters', () => {
    expect(capacityError(() => modelMemory({ ...LLAMA8, parametersBillions: 0 })).reason).toBe('invalid-input');
  });
});

describe('fit', () => {
  it.each([
    // [case, model, gpu, fits, tensorParallel, memoryPerGpuGb]
    // 189.06 > 80: no; /2 = 94.53 > 80; /4 = 47.26 fits -> TP 4.
    ['llama2-70b on A100 80GB', LLAMA70, A100_80, false, 4, 47.26462],
    // /4 = 47.26 > 40; /8 = 23.63 -> TP 8.
    ['llama2-70b on A100 40GB', LLAMA70, A100_40, false, 8, 23.63231],
    // /2 = 94.53 <= 141 -> TP 2.
    ['llama2-70b on H200', LLAMA70, H200, false, 2, 94.52924],
    // 189.06 <= 192: one MI300X holds it (seed 003: "Single MI300X can handle 70B").
    ['llama2-70b on MI300X', LLAMA70, MI300X, true, 1, 189.05848],
    // 472.65 / 8 = 59.08 <= 80 -> TP 8 (/4 = 118.2 does not).
    ['gpt-3.5 on A100 80GB', GPT35, A100_80, false, 8, 59.08078],
    // 21.69 <= 24.
    ['llama3-8b on A10G', LLAMA8, A10G, true, 1, 21.687709],
    // 21.69 > 16; /2 = 10.84.
    ['llama3-8b on T4', LLAMA8, T4, false, 2, 10.843854],
    ['bert-large on T4', BERT, T4, true, 1, 0.918284],
  ])('%s', (_name, model, gpu, fits, tp, perGpu) => {
    const f = capacityFit(model, gpu);
    expect(f.fits).toBe(fits);
    expect(f.tensorParallel).toBe(tp);
    close(f.memoryPerGpuGb, perGpu);
  });

  it('gives no TP size when even 8 GPUs are too small, and finds one when more are allowed', () => {
    // gpt-3.5 on A100 40GB: 472.65 / 8 = 59.08 > 40; / 16 = 29.54 fits.
    expect(capacityFit(GPT35, A100_40).tensorParallel).toBeUndefined();
    expect(capacityFit(GPT35, A100_40, { maxTensorParallel: 16 }).tensorParallel).toBe(16);
  });
});

describe("throughput, formula 'seed' (seed 002 calculate_inference_throughput, exactly)", () => {
  // bert-large on T4: c = 0.001 / 65 = 1.538462e-5 s; the seed's memory term
  // = 128 tokens x 2 B x 340e6 / (300 x 1024^3) = 8.704e10 / 3.221225e11 = 0.2702077 s.
  // bottleneck = memory; tokens/s = batch / 0.2702077; req/s = tokens/s / 128; latency = 1000 / req/s.
  it.each([
    [1, 3.700856, 0.02891294, 34586.59],
    [32, 118.42741, 0.9252141, 1080.831],
    [128, 473.70963, 3.700856, 270.2077],
  ])('bert-large on T4, batch %i: %f tokens/s, %f req/s, %f ms', (batch, tps, rps, latency) => {
    const t = throughput(BERT, T4, batch, undefined, { formula: 'seed' });
    expect(t.bound).toBe('memory');
    close(t.computeTimePerTokenS, 1.538462e-5);
    close(t.memoryTimePerTokenS, 0.2702077);
    close(t.tokensPerSecond, tps);
    close(t.requestsPerSecond, rps);
    close(t.latencyPerRequestMs, latency);
  });

  it('gpt-3.5 on one A100 80GB does not fit, as in the seed ("Model requires 472.6GB, GPU has 80GB")', () => {
    const e = capacityError(() => throughput(GPT35, A100_80, 1, 1, { formula: 'seed' }));
    expect(e.reason).toBe('does-not-fit');
    expect(e.message).toContain('needs 472.6 GB');
    expect(e.message).toContain('a100-80gb has 80 GB');
  });
});

describe("throughput, formula 'roofline' (the default)", () => {
  it.each([
    // bert-large on T4: m = 6.8e8 / (300 x 1024^3) = 2.110998e-3 s; c = 1.538462e-5 s; crossover at
    // batch m / c = 137.2.
    // batch 1: step = m; 1 / m = 473.7096 tokens/s; req/s = 473.7096 / 128 = 3.700856 (the seed's tokens/s
    // at batch 1); latency 128 x m = 270.21 ms.
    ['bert-large T4 b1', BERT, T4, 1, 'memory', 473.70963, 3.700856, 270.2077],
    // batch 128 (< 137.2): still memory-bound, 128 / m = 60634.83 tokens/s = 473.7096 req/s, same latency.
    ['bert-large T4 b128', BERT, T4, 128, 'memory', 60634.832, 473.70963, 270.2077],
    // batch 256: compute-bound, step = 256 c = 3.938462e-3; tokens/s = 65 / 0.001 = 65000; req/s = 507.8125;
    // latency = 128 x 3.938462 ms = 504.123 ms.
    ['bert-large T4 b256', BERT, T4, 256, 'compute', 65000, 507.8125, 504.1231],
    // llama3-8b on A10G: W = 16.06e9 B; m = 16.06e9 / (600 x 1024^3) = 0.02492840 s; c = 0.016 / 125 = 1.28e-4.
    // batch 1: 1 / m = 40.11489 tokens/s; / 200 = 0.2005744 req/s; latency 200 x m = 4985.68 ms.
    ['llama3-8b A10G b1', LLAMA8, A10G, 1, 'memory', 40.114888, 0.20057444, 4985.68],
    // batch 128: 128 c = 0.016384 < m: 128 / m = 5134.706 tokens/s = 25.67353 req/s.
    ['llama3-8b A10G b128', LLAMA8, A10G, 128, 'memory', 5134.7056, 25.673528, 4985.68],
    // batch 256: 256 c = 0.032768 > m: 125 / 0.016 = 7812.5 tokens/s = 39.0625 req/s; latency 6553.6 ms.
    ['llama3-8b A10G b256', LLAMA8, A10G, 256, 'compute', 7812.5, 39.0625, 6553.6],
    // llama3-8b on H100: m = 16.06e9 / (3350 x 1024^3) = 4.464788e-3; 256 c = 256 x 0.016 / 989 = 4.1416e-3 < m.
    // 256 / m = 57337.55 tokens/s = 286.6877 req/s; latency 200 x m = 892.958 ms.
    ['llama3-8b H100 b256', LLAMA8, H100, 256, 'memory', 57337.546, 286.68773, 892.9576],
    // llama3-8b on L4: m = 16.06e9 / (300 x 1024^3) = 0.04985680; 256 c = 256 x 0.016 / 121 = 0.033851 < m.
    // 256 / m = 5134.706 tokens/s = 25.67353 req/s; latency 9971.36 ms.
    ['llama3-8b L4 b256', LLAMA8, L4, 256, 'memory', 5134.7056, 25.673528, 9971.3604],
  ])('%s', (_name, model, gpu, batch, bound, tps, rps, latency) => {
    const t = throughput(model, gpu, batch);
    expect(t.tensorParallel).toBe(1);
    expect(t.bound).toBe(bound);
    close(t.tokensPerSecond, tps);
    close(t.requestsPerSecond, rps);
    close(t.latencyPerRequestMs, latency);
    // Little's law: latency = requests in flight / throughput.
    close(t.latencyPerRequestMs, (batch / t.requestsPerSecond) * 1000, 1e-9);
  });

  it("memory-bound, its requests/s is the seed's tokens/s: the seed divides by avg tokens twice", () => {
    // bert-large on T4 at batch 32: roofline 32 / m / 128 = 118.4274 req/s = the seed's tokens/s.
    const roofline = throughput(BERT, T4, 32);
    const seed = throughput(BERT, T4, 32, 1, { formula: 'seed' });
    close(roofline.requestsPerSecond, seed.tokensPerSecond, 1e-12);
    close(roofline.requestsPerSecond, seed.requestsPerSecond * BERT.avgTokensPerRequest, 1e-12);
  });

  it('scales over a tensor-parallel group by tp x 0.95^(tp-1) (seed 003)', () => {
    // llama2-70b on 4 x A100 80GB: e(4) = 4 x 0.857375 = 3.4295;
    // m = 140e9 / (2039 x 1024^3 x 3.4295) = 0.01864576 s; c = 0.14 / (312 x 3.4295) = 1.308406e-4.
    // batch 128: 128 c = 0.016748 < m, memory-bound: 128 / m = 6864.831 tokens/s, / 200 = 34.32415 req/s per
    // replica, / 4 = 8.581038 per GPU; latency 200 x m = 3729.15 ms.
    const t = throughput(LLAMA70, A100_80, 128);
    expect(t.tensorParallel).toBe(4);
    expect(t.bound).toBe('memory');
    close(t.memoryTimePerTokenS, 0.01864576);
    close(t.computeTimePerTokenS, 1.308406e-4);
    close(t.requestsPerSecond, 34.324154);
    close(t.requestsPerSecondPerGpu, 8.5810385);
    close(t.latencyPerRequestMs, 3729.1524);
  });

  it('SI units (bytesPerGb 1e9) make memory-bound throughput 1024^3 / 1e9 = 7.37% lower', () => {
    const gib = throughput(LLAMA8, A10G, 1);
    const si = throughput(LLAMA8, A10G, 1, 1, { bytesPerGb: 1e9 });
    // m = 16.06e9 / 600e9 = 0.0267667 s: 0.186800 req/s.
    close(si.requestsPerSecond, 0.18680024);
    close(gib.requestsPerSecond / si.requestsPerSecond, 1024 ** 3 / 1e9, 1e-12);
  });

  it.each([
    ['a batch of 0', () => throughput(LLAMA8, A10G, 0), 'invalid-input'],
    ['a fractional batch', () => throughput(LLAMA8, A10G, 1.5), 'invalid-input'],
    ['a TP size that does not hold the model', () => throughput(LLAMA70, A100_80, 1, 2), 'does-not-fit'],
    ['a model no TP size holds', () => throughput(GPT35, A100_40, 1), 'does-not-fit'],
    [
      'a TP efficiency above 1',
      () => throughput(LLAMA8, A10G, 1, 2, { tensorParallelEfficiency: 1.5 }),
      'invalid-input',
    ],
  ])('throws a CapacityError for %s', (_what, fn, reason) => {
    expect(capacityError(fn).reason).toBe(reason);
  });
});

describe('bestBatchSize (seed 002 optimize_batch_size)', () => {
  it.each([
    // [case, model, gpu, target ms, maxBatch, options, expected batch, expected req/s]
    // roofline bert-large on T4: batches up to 128 take 270.2 ms, 256 takes 504.1 ms. At 300 ms: 128, 473.71 req/s.
    ['bert T4 300 ms', BERT, T4, 300, 256, {}, 128, 473.70963],
    // at 600 ms 256 fits too and serves more: 507.8125 req/s.
    ['bert T4 600 ms', BERT, T4, 600, 256, {}, 256, 507.8125],
    // llama3-8b on A10G: 128 -> 4985.7 ms (25.67 req/s), 256 -> 6553.6 ms (39.06 req/s).
    ['llama3-8b A10G 6000 ms', LLAMA8, A10G, 6000, 256, {}, 128, 25.673528],
    ['llama3-8b A10G 7000 ms', LLAMA8, A10G, 7000, 256, {}, 256, 39.0625],
    // maxBatch 100: candidates 1..64 and 100; 100 c = 0.0128 < m: 100 / m / 200 = 20.05744 req/s.
    ['llama3-8b A10G maxBatch 100', LLAMA8, A10G, 7000, 100, {}, 100, 20.057444],
    // the seed: latency = 1000 / req/s falls with the batch, so the largest batch wins. Its loop stops at 128:
    // batch 128 -> 270.2 ms, 3.700856 req/s; batch 64 -> 540.4 ms; batch 32 -> 1080.8 ms (misses 1000 ms).
    ['seed: bert T4 1000 ms, batches to 128', BERT, T4, 1000, 128, { formula: 'seed' }, 128, 3.700856],
  ] as const)('%s', (_name, model, gpu, target, maxBatch, opts, batch, rps) => {
    const best = bestBatchSize(model, gpu, target, maxBatch, opts);
    expect(best?.batchSize).toBe(batch);
    close(best?.requestsPerSecond, rps);
    expect(best!.latencyPerRequestMs).toBeLessThanOrEqual(target);
  });

  it('lists what it considered, and which batches met the target', () => {
    const best = bestBatchSize(BERT, T4, 1000, 128, { formula: 'seed' })!;
    expect(best.considered.map((c) => c.batchSize)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
    // seed latencies: 34586.6 / batch ms: only 64 (540.4) and 128 (270.2) are within 1000 ms.
    expect(best.considered.filter((c) => c.withinTarget).map((c) => c.batchSize)).toEqual([64, 128]);
  });

  it('prefers the smaller batch when two serve the same (compute-bound plateau)', () => {
    // bert-large on T4 with maxBatch 512: 256 and 512 are both compute-bound at 65000 tokens/s (507.8 req/s);
    // 512 only adds latency (1008 ms).
    expect(bestBatchSize(BERT, T4, 2000, 512)?.batchSize).toBe(256);
  });

  it('is undefined when no batch meets the target', () => {
    // llama3-8b on L4 takes 9971 ms at batch 1.
    expect(bestBatchSize(LLAMA8, L4, 5000)).toBeUndefined();
  });
});

describe('gpusForDemand (seed 002 calculate_cluster_requirements)', () => {
  it("the seed's own example (gpt-3.5, 1000 req/s, 800 ms, A100 80GB) cannot be met: 8-way TP needs 4.3 s", () => {
    // The seed crashes here (the model fits no single GPU, so its rps per GPU is 0 and it divides by it).
    // With TP 8: m = 350e9 / (2039 x 1024^3 x 5.586698) = 0.02861513 s; 150 tokens x m = 4292.27 ms > 800.
    const e = capacityError(() => gpusForDemand({ model: GPT35, gpu: A100_80, targetRps: 1000, latencyTargetMs: 800 }));
    expect(e.reason).toBe('latency-infeasible');
    expect(e.message).toContain('tensor-parallel 8, batch 1) takes 4292 ms per request, above the 800 ms target');
  });

  it('the same at a 5 s target: 41 replicas of 8 A100s', () => {
    // TP 8 (the only size that fits). batch 128: 128 c = 128 x 0.36 / (312 x 5.586698) = 0.026436 < m:
    // 4292.27 ms, 128 / m / 150 = 29.82105 req/s. batch 256: compute-bound, 7930.9 ms > 5000.
    // 1000 x 1.2 / 29.82105 = 40.24 -> 41 replicas = 328 GPUs = 41 p4de-style nodes of 8.
    const d = gpusForDemand({ model: GPT35, gpu: A100_80, targetRps: 1000, latencyTargetMs: 5000, gpusPerNode: 8 });
    expect(d).toMatchObject({ tensorParallel: 8, batchSize: 128, bound: 'memory', replicas: 41, gpus: 328, nodes: 41 });
    close(d.perReplicaRps, 29.821054);
    close(d.perGpuRps, 3.7276317);
    close(d.utilization, 1000 / (41 * 29.821054));
  });

  it.each([
    // [case, input, replicas, gpus, nodes]
    // llama3-8b on A10G at 7000 ms: 39.0625 req/s per GPU. 100 x 1.2 / 39.0625 = 3.072 -> 4.
    ['100 req/s', { targetRps: 100 }, 4, 4, 4],
    // the same in tokens: 20000 tokens/s / 200 tokens = 100 req/s.
    ['20000 tokens/s', { targetTokensPerSecond: 20000 }, 4, 4, 4],
    // no buffer: 100 / 39.0625 = 2.56 -> 3.
    ['100 req/s, no buffer', { targetRps: 100, buffer: 0 }, 3, 3, 3],
    // 4 GPUs per node (g5.12xlarge): 4 replicas -> 1 node.
    ['100 req/s, 4 GPUs per node', { targetRps: 100, gpusPerNode: 4 }, 4, 4, 1],
    // 0 req/s: nothing.
    ['0 req/s', { targetRps: 0 }, 0, 0, 0],
  ])('llama3-8b on A10G, %s', (_name, target, replicas, gpuCount, nodes) => {
    const d = gpusForDemand({ model: LLAMA8, gpu: A10G, latencyTargetMs: 7000, gpusPerNode: 1, ...target });
    expect(d).toMatchObject({ replicas, gpus: gpuCount, nodes, batchSize: 256, bound: 'compute', tensorParallel: 1 });
  });

  it('rounds up to whole TP groups and to whole nodes', () => {
    // llama2-70b on A100 80GB at 5000 ms: TP 4 (TP 1, 2 do not fit). TP 4, batch 128: 3729.15 ms, 34.32415 req/s;
    // batch 256: 6699.0 ms, misses. TP 8: batch 256 takes 4112.3 ms and serves 62.25178 req/s, 7.78 per GPU,
    // less than TP 4's 8.58 per GPU, so TP 4 wins.
    // 100 x 1.2 / 34.32415 = 3.496 -> 4 replicas = 16 GPUs; 2 replicas per 8-GPU node -> 2 nodes.
    const d = gpusForDemand({ model: LLAMA70, gpu: A100_80, targetRps: 100, latencyTargetMs: 5000, gpusPerNode: 8 });
    expect(d).toMatchObject({
      tensorParallel: 4,
      batchSize: 128,
      replicas: 4,
      gpus: 16,
      nodes: 2,
      provisionedGpus: 16,
    });
    // 110 req/s: 132 / 34.32 = 3.85 -> still 4; 120 req/s: 144 / 34.32 = 4.195 -> 5 replicas, 20 GPUs, 3 nodes.
    expect(
      gpusForDemand({ model: LLAMA70, gpu: A100_80, targetRps: 120, latencyTargetMs: 5000, gpusPerNode: 8 }),
    ).toMatchObject({
      replicas: 5,
      gpus: 20,
      nodes: 3,
      provisionedGpus: 24,
    });
  });

  it('takes a larger TP group when the smallest that fits cannot meet the target', () => {
    // llama2-70b on A100 80GB at 3000 ms: TP 4 takes 3729 ms at batch 1; TP 8 takes 200 x 0.011446 = 2289.2 ms.
    // TP 8, batch 64: 64 c = 64 x 0.14 / (312 x 5.586698) = 5.1404e-3 < m = 0.011446: 2289.2 ms,
    // 64 / 0.011446052 / 200 = 27.95724 req/s; batch 128: 0.010281 < m, 55.91447 req/s, 2289.2 ms;
    // batch 256: 0.020562 > m: 4112.3 ms, misses. -> batch 128, 55.91447 req/s per 8 GPUs.
    const d = gpusForDemand({ model: LLAMA70, gpu: A100_80, targetRps: 100, latencyTargetMs: 3000 });
    expect(d).toMatchObject({ tensorParallel: 8, batchSize: 128, nodes: undefined });
    close(d.perReplicaRps, 55.914475);
    // 120 / 55.914475 = 2.146 -> 3 replicas, 24 GPUs.
    expect(d).toMatchObject({ replicas: 3, gpus: 24 });
  });

  it('ceilings ignore floating-point noise', () => {
    expect(ceilTolerant((0.1 * 3) / 0.1)).toBe(3); // 3.0000000000000004
    expect(ceilTolerant(3.000001)).toBe(4);
    expect(ceilTolerant(0)).toBe(0);
  });

  it.each([
    ['both targets', { targetRps: 1, targetTokensPerSecond: 200 }],
    ['no target', {}],
    ['a negative target', { targetRps: -1 }],
    ['a negative buffer', { targetRps: 1, buffer: -0.1 }],
    ['a TP group larger than a node', { targetRps: 1, tensorParallel: 2, gpusPerNode: 1 }],
  ])('rejects %s', (_what, extra) => {
    const input = { model: LLAMA8, gpu: A10G, latencyTargetMs: 7000, ...extra } as Parameters<typeof gpusForDemand>[0];
    expect(capacityError(() => gpusForDemand(input)).reason).toBe('invalid-input');
  });
});

describe('rpsPerNode and costPerRps (what pools carry)', () => {
  // The demo fleet: llama3-8b on g5 (A10G), Azure A100, GCP L4 and a p5 / p4d capacity block, at a 12 s target.
  it.each([
    // one A10G: batch 256, compute-bound, 39.0625 req/s (6553.6 ms).
    ['g5.xlarge', 39.0625, 1, 256],
    // four A10Gs: 4 replicas of TP 1: 156.25.
    ['g5.12xlarge', 156.25, 1, 256],
    // one L4: batch 256, memory-bound, 25.67353 req/s (9971.4 ms).
    ['g2-standard-4', 25.673528, 1, 256],
    ['g6.xlarge', 25.673528, 1, 256],
    // one A100 80GB: c = 0.016 / 312 = 5.128205e-5; m = 16.06e9 / (2039 x 1024^3) = 7.335502e-3; crossover 143:
    // batch 256 compute-bound: 312 / 0.016 = 19500 tokens/s = 97.5 req/s (2626 ms).
    ['Standard_NC24ads_A100_v4', 97.5, 1, 256],
    ['a2-highgpu-1g', 97.5, 1, 256], // A100 40GB: same TFLOPS, compute-bound at 256 too: 97.5
    // 8 x A100 40GB: 8 x 97.5 = 780.
    ['p4d.24xlarge', 780, 1, 256],
    // 8 x H100: 8 x 286.6877 = 2293.502 (memory-bound at 256, 893 ms).
    ['p5.48xlarge', 2293.5018, 1, 256],
  ])('llama3-8b on %s: %f req/s per node', (name, rps, tp, batch) => {
    const plan = nodePlan(DEFAULT_CATALOG, LLAMA8, name, 12_000);
    expect(plan).toMatchObject({ tensorParallel: tp, batchSize: batch });
    close(rpsPerNode(DEFAULT_CATALOG, LLAMA8, name, 12_000), rps);
    expect(plan.rpsPerNode).toBeGreaterThan(0);
  });

  it('uses a larger TP within the node when the target needs it', () => {
    // llama3-8b on g5.12xlarge at 2000 ms: TP 1 takes 4985.7 ms, TP 2 2624.0 ms, TP 4 1453.8 ms at batch 1.
    // TP 4 (e = 3.4295): c = 0.016 / (125 x 3.4295) = 3.732322e-5, m = 0.02492840 / 3.4295 = 7.268815e-3;
    // batch 256: 9.5547e-3 > m, compute-bound: 1910.9 ms <= 2000: 125 x 3.4295 / 0.016 / 200 = 133.9648 req/s.
    const plan = nodePlan(DEFAULT_CATALOG, LLAMA8, 'g5.12xlarge', 2000);
    expect(plan).toMatchObject({ tensorParallel: 4, batchSize: 256, bound: 'compute', replicasPerNode: 1 });
    close(plan.rpsPerNode, 133.96484);
  });

  it('costPerRps ranks by USD per hour per req/s', () => {
    // g5.xlarge: 1.01 / 39.0625 = 0.025856; spot 0.30 / 39.0625 = 0.00768; a negotiated 0.9 / 39.0625 = 0.02304.
    close(costPerRps(DEFAULT_CATALOG, LLAMA8, 'g5.xlarge', 12_000), 0.025856);
    close(costPerRps(DEFAULT_CATALOG, LLAMA8, 'g5.xlarge', 12_000, { capacityType: 'spot' }), 0.00768);
    close(costPerRps(DEFAULT_CATALOG, LLAMA8, 'g5.xlarge', 12_000, { hourlyPriceUsd: 0.9 }), 0.02304);
    // p5.48xlarge: 98.32 / 2293.502 = 0.042869; Azure A100: 3.67 / 97.5 = 0.037641. The A10G is cheapest here.
    close(costPerRps(DEFAULT_CATALOG, LLAMA8, 'p5.48xlarge', 12_000), 0.042869);
    close(costPerRps(DEFAULT_CATALOG, LLAMA8, 'Standard_NC24ads_A100_v4', 12_000), 0.037641);
  });

  it('follows catalog overrides', () => {
    // Halve the A10G's bandwidth: m doubles to 0.0498568 (like the L4): batch 256 memory-bound, 25.67353 req/s.
    const c = withOverrides(DEFAULT_CATALOG, { gpus: { 'a10g-24gb': { memoryBandwidthGBps: 300 } } });
    close(rpsPerNode(c, LLAMA8, 'g5.xlarge', 12_000), 25.673528);
  });

  it('a spot price the catalog lacks is a ConfigError naming the field', () => {
    expect(() => costPerRps(DEFAULT_CATALOG, LLAMA8, 'g6.xlarge', 12_000, { capacityType: 'spot' })).toThrow(
      ConfigError,
    );
    try {
      costPerRps(DEFAULT_CATALOG, LLAMA8, 'g6.xlarge', 12_000, { capacityType: 'spot' });
    } catch (e) {
      expect((e as ConfigError).path).toBe('instanceTypes["g6.xlarge"].spotHourly');
    }
  });

  it.each([
    // 21.69 GB does not fit one T4, and g4dn.xlarge has one GPU.
    [
      'a model that does not fit the node',
      () => rpsPerNode(DEFAULT_CATALOG, LLAMA8, 'g4dn.xlarge', 12_000),
      'does-not-fit',
    ],
    // L4 needs 9971 ms at batch 1; g2-standard-4 has one GPU, so no larger TP.
    ['a target no batch meets', () => rpsPerNode(DEFAULT_CATALOG, LLAMA8, 'g2-standard-4', 2000), 'latency-infeasible'],
    ['a zero latency target', () => rpsPerNode(DEFAULT_CATALOG, LLAMA8, 'g5.xlarge', 0), 'invalid-input'],
  ])('throws a CapacityError for %s', (_what, fn, reason) => {
    expect(capacityError(fn).reason).toBe(reason);
  });

  it('an unknown instance type is a CatalogLookupError with suggestions', () => {
    try {
      rpsPerNode(DEFAULT_CATALOG, LLAMA8, 'g5.xlargee', 12_000);
      expect.unreachable();
    } catch (e) {
      expect(isCatalogLookupError(e)).toBe(true);
      expect((e as Error).message).toContain('"g5.xlarge"');
    }
  });

  it('servingPlan with a fixed TP size uses it', () => {
    // llama3-8b on A10G with TP 2 at 7000 ms: batch 256, 74.21875 req/s per replica (2 x 39.0625 x 0.95).
    const plan = servingPlan(LLAMA8, A10G, 7000, { tensorParallel: 2 });
    expect(plan.tensorParallel).toBe(2);
    close(plan.perReplicaRps, 74.21875);
  });

  it('defaults are the seed figures', () => {
    expect(CAPACITY_DEFAULTS).toMatchObject({
      kvCacheOverhead: 0.2,
      frameworkOverhead: 0.15,
      safetyBuffer: 0.1,
      bytesPerGb: 1024 ** 3,
      demandBuffer: 0.2,
      tensorParallelEfficiency: 0.95,
    });
  });
});
