/** Properties of the capacity model that must hold for any model, GPU and demand (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CapacityOptions,
  fit as capacityFit,
  gpusForDemand,
  isCapacityError,
  rpsPerNode,
  throughput,
} from '../../shared/domain/capacity.ts';
import { DEFAULT_CATALOG, type GpuSpec } from '../../shared/domain/catalog.ts';
import type { WorkloadModel } from '../../shared/domain/types.ts';

const model: fc.Arbitrary<WorkloadModel> = fc.record({
  name: fc.constant('arbitrary'),
  parametersBillions: fc.double({ min: 0.05, max: 500, noNaN: true }),
  bytesPerParam: fc.constantFrom(0.5, 1, 2, 4),
  computePerTokenTflops: fc.double({ min: 0, max: 2, noNaN: true }),
  avgTokensPerRequest: fc.integer({ min: 1, max: 2000 }),
  contextLength: fc.constant(4096),
});
const gpu = fc.constantFrom(...Object.values(DEFAULT_CATALOG.gpus));
const formula = fc.constantFrom<CapacityOptions['formula']>('roofline', 'seed');
const latencyMs = fc.double({ min: 50, max: 1e6, noNaN: true });

/** Runs `fn`, or returns undefined when the model cannot be served as asked (a legitimate outcome here). */
function servable<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (isCapacityError(e) && e.reason !== 'invalid-input') return undefined;
    throw e;
  }
}

describe('capacity model properties', () => {
  it('more target requests per second never yields fewer GPUs or nodes', () => {
    fc.assert(
      fc.property(
        model,
        gpu,
        latencyMs,
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        (m, g, latency, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const small = servable(() =>
            gpusForDemand({ model: m, gpu: g, latencyTargetMs: latency, targetRps: lo, gpusPerNode: 8 }),
          );
          const big = servable(() =>
            gpusForDemand({ model: m, gpu: g, latencyTargetMs: latency, targetRps: hi, gpusPerNode: 8 }),
          );
          // Servability depends on model, GPU and latency only, never on the target.
          expect(big === undefined).toBe(small === undefined);
          if (!small || !big) return;
          expect(big.gpus).toBeGreaterThanOrEqual(small.gpus);
          expect(big.nodes!).toBeGreaterThanOrEqual(small.nodes!);
          expect(big.capacityRps).toBeGreaterThanOrEqual(hi * 1.2 * (1 - 1e-9));
        },
      ),
    );
  });

  it('more buffer never yields fewer GPUs', () => {
    fc.assert(
      fc.property(
        model,
        gpu,
        latencyMs,
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (m, g, latency, target, x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const small = servable(() =>
            gpusForDemand({ model: m, gpu: g, latencyTargetMs: latency, targetRps: target, buffer: lo }),
          );
          if (!small) return;
          const big = gpusForDemand({ model: m, gpu: g, latencyTargetMs: latency, targetRps: target, buffer: hi });
          expect(big.gpus).toBeGreaterThanOrEqual(small.gpus);
        },
      ),
    );
  });

  it('throughput is monotone non-decreasing in the batch size (both formulas); roofline latency too', () => {
    fc.assert(
      fc.property(
        model,
        gpu,
        formula,
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 1024 }),
        (m, g, f, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const small = servable(() => throughput(m, g, lo, undefined, { formula: f }));
          if (!small) return;
          const big = throughput(m, g, hi, undefined, { formula: f });
          expect(big.tokensPerSecond).toBeGreaterThanOrEqual(small.tokensPerSecond * (1 - 1e-12));
          expect(big.requestsPerSecond).toBeGreaterThanOrEqual(small.requestsPerSecond * (1 - 1e-12));
          if (f === 'roofline')
            expect(big.latencyPerRequestMs).toBeGreaterThanOrEqual(small.latencyPerRequestMs * (1 - 1e-12));
        },
      ),
    );
  });

  it('a model that fits on a GPU fits on any GPU with more memory, with no larger TP group', () => {
    fc.assert(
      fc.property(model, gpu, fc.double({ min: 1, max: 16, noNaN: true }), (m, g, factor) => {
        const bigger: GpuSpec = { ...g, id: `${g.id}-bigger`, memoryGb: g.memoryGb * factor };
        const onSmall = capacityFit(m, g);
        const onBig = capacityFit(m, bigger);
        if (onSmall.fits) expect(onBig.fits).toBe(true);
        if (onSmall.tensorParallel !== undefined) {
          expect(onBig.tensorParallel).toBeDefined();
          expect(onBig.tensorParallel!).toBeLessThanOrEqual(onSmall.tensorParallel);
        }
        // The same across the catalog's real GPUs.
        for (const other of Object.values(DEFAULT_CATALOG.gpus)) {
          if (other.memoryGb >= g.memoryGb && onSmall.fits) expect(capacityFit(m, other).fits).toBe(true);
        }
      }),
    );
  });

  it('a looser latency target never lowers the requests per second a node serves', () => {
    const names = Object.keys(DEFAULT_CATALOG.instanceTypes);
    fc.assert(
      fc.property(model, fc.constantFrom(...names), latencyMs, latencyMs, (m, name, a, b) => {
        const [tight, loose] = a <= b ? [a, b] : [b, a];
        const strict = servable(() => rpsPerNode(DEFAULT_CATALOG, m, name, tight));
        if (strict === undefined) return;
        expect(rpsPerNode(DEFAULT_CATALOG, m, name, loose)).toBeGreaterThanOrEqual(strict);
      }),
    );
  });
});
