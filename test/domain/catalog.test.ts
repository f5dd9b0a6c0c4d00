import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Catalog,
  CatalogLookupError,
  closeMatches,
  DEFAULT_CATALOG,
  gpuOf,
  gpuSpec,
  instanceType,
  isCatalogLookupError,
  validateCatalog,
  withOverrides,
} from '../../shared/domain/catalog.ts';
import { ConfigError } from '../../shared/domain/errors.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const sharedDir = path.resolve(repoRoot, '..', 'shared');
const seedsDir = path.join(sharedDir, 'seeds');
const haveSeeds = existsSync(seedsDir);
const seed = (prefix: string): string => {
  const file = readdirSync(seedsDir).find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`no seed ${prefix}* in ${seedsDir}`);
  return readFileSync(path.join(seedsDir, file), 'utf8');
};

/** Calls `fn` and returns what it threw (fails the test if it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('DEFAULT_CATALOG', () => {
  it('validates: every entry matches its schema and its key, every instance type names a known GPU', () => {
    expect(validateCatalog(DEFAULT_CATALOG)).toBe(DEFAULT_CATALOG);
    for (const it of Object.values(DEFAULT_CATALOG.instanceTypes)) {
      expect(DEFAULT_CATALOG.gpus[it.gpuId], `${it.name} -> ${it.gpuId}`).toBeDefined();
    }
  });

  it('is frozen, so no caller can change the defaults under another', () => {
    expect(Object.isFrozen(DEFAULT_CATALOG.instanceTypes['g5.xlarge'])).toBe(true);
    expect(Object.isFrozen(DEFAULT_CATALOG.gpus)).toBe(true);
  });

  // Every GPU and instance type the seeds name (a seedless check, so it runs in every clone).
  it.each([
    'a100-40gb',
    'a100-80gb',
    'h100-80gb',
    'h200-141gb',
    'b200-192gb',
    'a10g-24gb',
    'l4-24gb',
    't4-16gb',
    'v100-32gb',
    'mi300x-192gb',
    'mi350x-288gb',
  ])('has GPU %s', (id) => {
    expect(DEFAULT_CATALOG.gpus[id]?.id).toBe(id);
  });

  it.each([
    ['p4d.24xlarge', 'a100-40gb', 8],
    ['p5.48xlarge', 'h100-80gb', 8],
    ['g5.xlarge', 'a10g-24gb', 1],
    ['g5.2xlarge', 'a10g-24gb', 1],
    ['g5.4xlarge', 'a10g-24gb', 1],
    ['g5.12xlarge', 'a10g-24gb', 4],
    ['g5.24xlarge', 'a10g-24gb', 4],
    ['g5.48xlarge', 'a10g-24gb', 8],
    ['g4dn.xlarge', 't4-16gb', 1],
    ['g4dn.2xlarge', 't4-16gb', 1],
    ['g6.xlarge', 'l4-24gb', 1],
    ['a2-highgpu-1g', 'a100-40gb', 1],
    ['a2-highgpu-8g', 'a100-40gb', 8],
    ['a3-highgpu-8g', 'h100-80gb', 8],
    ['g2-standard-4', 'l4-24gb', 1],
    ['n1-standard-4+nvidia-tesla-t4', 't4-16gb', 1],
    ['Standard_NC24ads_A100_v4', 'a100-80gb', 1],
    ['Standard_NC4as_T4_v3', 't4-16gb', 1],
    ['Standard_ND96isr_H100_v5', 'h100-80gb', 8],
  ])('has instance type %s with %i x %s', (name, gpuId, gpus) => {
    expect(instanceType(DEFAULT_CATALOG, name)).toMatchObject({ name, gpuId, gpusPerNode: gpus });
  });

  it('has aliases that resolve to one GPU each', () => {
    const owner = new Map<string, string>();
    for (const gpu of Object.values(DEFAULT_CATALOG.gpus)) {
      for (const n of [gpu.id, gpu.name, ...(gpu.aliases ?? [])]) {
        const key = n.toLowerCase().replace(/[^a-z0-9]/g, '');
        expect(owner.get(key) ?? gpu.id, `${n} is claimed by ${owner.get(key)} and ${gpu.id}`).toBe(gpu.id);
        owner.set(key, gpu.id);
      }
    }
  });
});

describe.skipIf(!haveSeeds)('the seeds, read from ../shared/seeds (skipped when that folder is absent)', () => {
  it('seed 002 GPUSpecs: memory, TFLOPS, bandwidth, price and watts are the catalog numbers', () => {
    // 'a100_80gb': GPUSpecs('A100 80GB', 80, 312, 2039, 3.20, 400),
    const re = /'(\w+)': GPUSpecs\('[^']*', ([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+)\)/g;
    const ids: Record<string, string> = {
      a100_80gb: 'a100-80gb',
      a100_40gb: 'a100-40gb',
      v100_32gb: 'v100-32gb',
      h100_80gb: 'h100-80gb',
      t4_16gb: 't4-16gb',
    };
    const found = [...seed('002_').matchAll(re)];
    expect(found.map((m) => m[1]).sort()).toEqual(Object.keys(ids).sort());
    for (const [, key, mem, tflops, bw, price, watts] of found) {
      expect(DEFAULT_CATALOG.gpus[ids[key!]!], key).toMatchObject({
        memoryGb: Number(mem),
        fp16Tflops: Number(tflops),
        memoryBandwidthGBps: Number(bw),
        hourlyPriceUsd: Number(price),
        tdpWatts: Number(watts),
      });
    }
  });

  it('seed 000 GPUSpec: memory, FP16 TFLOPS and bandwidth are the catalog numbers', () => {
    const ids: Record<string, string> = {
      A100_40GB: 'a100-40gb',
      A100_80GB: 'a100-80gb',
      H100_80GB: 'h100-80gb',
      A10G: 'a10g-24gb',
      L4: 'l4-24gb',
      T4: 't4-16gb',
    };
    const blocks = [...seed('000_').matchAll(/"(\w+)": GPUSpec\(([\s\S]*?)\)/g)];
    expect(blocks.map((m) => m[1]).sort()).toEqual(Object.keys(ids).sort());
    for (const [, key, body] of blocks) {
      const field = (name: string) => Number(new RegExp(`${name}=([\\d.]+)`).exec(body!)![1]);
      expect(DEFAULT_CATALOG.gpus[ids[key!]!], key).toMatchObject({
        memoryGb: field('memory_gb'),
        fp16Tflops: field('fp16_tflops'),
        memoryBandwidthGBps: field('memory_bandwidth_gbps'),
      });
    }
  });

  it('seed 000 GPUInstanceType: GPU, count, vCPUs, memory, on-demand and spot prices are the catalog numbers', () => {
    const gpuIds: Record<string, string> = {
      A100_40GB: 'a100-40gb',
      A100_80GB: 'a100-80gb',
      H100_80GB: 'h100-80gb',
      A10G: 'a10g-24gb',
      L4: 'l4-24gb',
      T4: 't4-16gb',
    };
    const chunks = seed('000_')
      .split(/GPUInstanceType\(\s*\n/)
      .slice(1)
      .filter((c) => c.includes('instance_type="'));
    expect(chunks).toHaveLength(10);
    for (const c of chunks) {
      const str = (name: string) => new RegExp(`${name}="([^"]+)"`).exec(c)![1]!;
      const num = (name: string) => Number(new RegExp(`${name}=(?:Decimal\\(")?([\\d.]+)`).exec(c)![1]);
      const name = str('instance_type');
      expect(instanceType(DEFAULT_CATALOG, name), name).toMatchObject({
        gpuId: gpuIds[/gpu_specs\["(\w+)"\]/.exec(c)![1]!],
        gpusPerNode: num('gpu_count'),
        vcpus: num('vcpus'),
        memoryGiB: num('memory_gb'),
        onDemandHourly: num('hourly_price'),
        spotHourly: num('spot_price'),
      });
    }
  });

  it("seed 000 _get_on_demand_prices are the catalog's on-demand prices", () => {
    const block = /prices = \{([\s\S]*?)\}/.exec(seed('000_'))![1]!;
    const found = [...block.matchAll(/"([\w.]+)": ([\d.]+)/g)];
    expect(found.length).toBe(6);
    for (const [, name, price] of found) {
      expect(instanceType(DEFAULT_CATALOG, name!).onDemandHourly, name).toBe(Number(price));
    }
  });

  it('seed 003 GPU_CATALOG: memory, bandwidth (TB/s x 1000), watts and price are the catalog numbers', () => {
    const ids: Record<string, string> = {
      H100: 'h100-80gb',
      H200: 'h200-141gb',
      B200: 'b200-192gb',
      MI300X: 'mi300x-192gb',
      MI350X: 'mi350x-288gb',
    };
    const blocks = [...seed('003_').matchAll(/"(\w+)": GPUSpec\(([\s\S]*?)\)/g)].filter((m) =>
      m[2]!.includes('memory_bandwidth_tbs'),
    );
    expect(blocks.map((m) => m[1]).sort()).toEqual(Object.keys(ids).sort());
    for (const [, key, body] of blocks) {
      const field = (name: string) => Number(new RegExp(`${name}=([\\d.]+)`).exec(body!)![1]);
      expect(DEFAULT_CATALOG.gpus[ids[key!]!], key).toMatchObject({
        memoryGb: field('memory_gb'),
        memoryBandwidthGBps: Math.round(field('memory_bandwidth_tbs') * 1000),
        tdpWatts: field('power_watts'),
        hourlyPriceUsd: field('cost_per_hour'),
      });
    }
  });

  it('every AWS, Azure and GCP GPU instance type named anywhere in the seeds is in the catalog', () => {
    const text = readdirSync(seedsDir)
      .map((f) => readFileSync(path.join(seedsDir, f), 'utf8'))
      .join('\n');
    const names = new Set(
      [
        ...text.matchAll(/\b(?:p[345][a-z]*|g[456][a-z]*)\.\d*x?large\b/g),
        ...text.matchAll(/\bStandard_N[A-Za-z0-9_]+/g),
        ...text.matchAll(/\b(?:a2|a3|g2)-(?:highgpu|megagpu|ultragpu|standard)-\d+g?\b/g),
      ].map((m) => m[0]),
    );
    expect(names.size).toBeGreaterThanOrEqual(14);
    for (const name of names) expect(() => instanceType(DEFAULT_CATALOG, name), name).not.toThrow();
    // seed 004 names GCP's N1 + T4 as "n1-standard-4 + nvidia-tesla-t4".
    expect(text).toContain('n1-standard-4 + nvidia-tesla-t4');
    expect(gpuOf(DEFAULT_CATALOG, 'n1-standard-4+nvidia-tesla-t4').id).toBe('t4-16gb');
  });
});

describe('lookups', () => {
  it.each([
    // [asked, expected id]: catalog ids, marketing names, k8s gpu.product labels, GCP accelerator types, DCGM names
    ['a10g-24gb', 'a10g-24gb'],
    ['NVIDIA A10G', 'a10g-24gb'],
    ['NVIDIA-A10G', 'a10g-24gb'],
    ['Tesla T4', 't4-16gb'],
    ['nvidia-tesla-t4', 't4-16gb'],
    ['NVIDIA-H100-80GB-HBM3', 'h100-80gb'],
    ['NVIDIA-A100-SXM4-40GB', 'a100-40gb'],
    ['nvidia-a100-80gb', 'a100-80gb'],
    ['nvidia-l4', 'l4-24gb'],
    ['MI300X', 'mi300x-192gb'],
  ])('gpuSpec(%j) is %s', (asked, id) => {
    expect(gpuSpec(DEFAULT_CATALOG, asked).id).toBe(id);
  });

  it.skipIf(!existsSync(path.join(sharedDir, 'corpus', 'metrics')))(
    'every DCGM modelName in the recorded dcgm-exporter scrape resolves',
    () => {
      const prom = readFileSync(
        path.join(sharedDir, 'corpus', 'metrics', 'dcgm-exporter-scrape-datadog-fixture.prom'),
        'utf8',
      );
      const names = new Set([...prom.matchAll(/modelName="([^"]+)"/g)].map((m) => m[1]!));
      expect([...names].sort()).toEqual(['NVIDIA A10G', 'Tesla T4']);
      for (const n of names) expect(() => gpuSpec(DEFAULT_CATALOG, n)).not.toThrow();
    },
  );

  it('gpuOf gives the GPU of an instance type', () => {
    expect(gpuOf(DEFAULT_CATALOG, 'p5.48xlarge').name).toBe('NVIDIA H100 80GB');
    expect(gpuOf(DEFAULT_CATALOG, 'Standard_NC24ads_A100_v4').memoryGb).toBe(80);
  });

  it.each([
    // [asked, a suggestion that must be offered]
    ['g5.xlarg', 'g5.xlarge'], // one letter short
    ['G5.xlarge', 'g5.xlarge'], // wrong case: names are case-sensitive, but the suggestion finds it
    ['g5.3xlarge', 'g5.2xlarge'], // no such size; same family
    ['Standard_NC24ads_A100_v3', 'Standard_NC24ads_A100_v4'],
    ['a2-highgpu-16g', 'a2-highgpu-1g'],
  ])('instanceType(%j) throws a CatalogLookupError suggesting %s', (asked, suggestion) => {
    const e = thrown(() => instanceType(DEFAULT_CATALOG, asked));
    expect(isCatalogLookupError(e)).toBe(true);
    const err = e as CatalogLookupError;
    expect(err.kind).toBe('instance-type');
    expect(err.lookedUp).toBe(asked);
    expect(err.suggestions).toContain(suggestion);
    expect(err.message).toContain(`unknown instance type "${asked}"`);
    expect(err.message).toContain(`"${suggestion}"`);
  });

  it('an unknown GPU lists the family, and a name far from everything lists nothing', () => {
    const e = thrown(() => gpuSpec(DEFAULT_CATALOG, 'A100')) as CatalogLookupError;
    // "A100" alone is ambiguous (40 GB or 80 GB), so it is no alias; both share its family prefix.
    expect(e.suggestions).toEqual(['a100-40gb', 'a100-80gb']);
    const far = thrown(() => instanceType(DEFAULT_CATALOG, 'zz-nothing-like-it')) as CatalogLookupError;
    expect(far.suggestions).toEqual([]);
    expect(far.message).toBe('unknown instance type "zz-nothing-like-it" in the catalog');
  });

  it('closeMatches orders by edit distance and caps the list', () => {
    expect(
      closeMatches('g5.2xlarge', ['g5.2xlarge', 'g5.4xlarge', 'g5.xlarge', 'g5.12xlarge', 'p5.48xlarge'], 3),
    ).toEqual([
      'g5.2xlarge', // distance 0
      // distance 1 each, then alphabetical: insert "1"; "2" -> "4"; (g5.xlarge, delete "2", is cut by the limit)
      'g5.12xlarge',
      'g5.4xlarge',
    ]);
  });
});

describe('withOverrides', () => {
  it('merges per entry: the fields given change, the others stay, the base is untouched', () => {
    const c = withOverrides(DEFAULT_CATALOG, {
      instanceTypes: { 'g5.xlarge': { onDemandHourly: 0.8, spotHourly: 0.25 } },
    });
    expect(c.instanceTypes['g5.xlarge']).toEqual({
      ...DEFAULT_CATALOG.instanceTypes['g5.xlarge'],
      onDemandHourly: 0.8,
      spotHourly: 0.25,
    });
    expect(DEFAULT_CATALOG.instanceTypes['g5.xlarge']!.onDemandHourly).toBe(1.01);
    expect(c.instanceTypes['p5.48xlarge']).toBe(DEFAULT_CATALOG.instanceTypes['p5.48xlarge']);
    expect(c.gpus).toEqual(DEFAULT_CATALOG.gpus);
  });

  it('adds a new GPU and an instance type that uses it; id and name default to their keys', () => {
    const c = withOverrides(DEFAULT_CATALOG, {
      gpus: {
        'gb200-186gb': {
          name: 'NVIDIA GB200',
          vendor: 'nvidia',
          memoryGb: 186,
          fp16Tflops: 2500,
          memoryBandwidthGBps: 8000,
        },
      },
      instanceTypes: {
        'p6e-gb200.36xlarge': { cloud: 'aws', gpuId: 'gb200-186gb', gpusPerNode: 4, onDemandHourly: 100 },
      },
    });
    expect(c.gpus['gb200-186gb']!.id).toBe('gb200-186gb');
    expect(gpuOf(c, 'p6e-gb200.36xlarge').memoryGb).toBe(186);
  });

  it('accepts undefined and null as no overrides', () => {
    expect(withOverrides(DEFAULT_CATALOG, undefined)).toBe(DEFAULT_CATALOG);
    expect(withOverrides(DEFAULT_CATALOG, null)).toBe(DEFAULT_CATALOG);
  });

  it.each([
    [
      'a negative price',
      'instanceTypes["g5.xlarge"].onDemandHourly',
      { instanceTypes: { 'g5.xlarge': { onDemandHourly: -1 } } },
    ],
    [
      'a price given as text',
      'instanceTypes["g5.xlarge"].spotHourly',
      { instanceTypes: { 'g5.xlarge': { spotHourly: '0.3' } } },
    ],
    [
      'a misspelt field',
      'instanceTypes["g5.xlarge"].onDemandHourlyy',
      { instanceTypes: { 'g5.xlarge': { onDemandHourlyy: 1 } } },
    ],
    [
      'a fractional GPU count',
      'instanceTypes["g5.xlarge"].gpusPerNode',
      { instanceTypes: { 'g5.xlarge': { gpusPerNode: 1.5 } } },
    ],
    ['an unknown cloud', 'instanceTypes["g5.xlarge"].cloud', { instanceTypes: { 'g5.xlarge': { cloud: 'oracle' } } }],
    ['an unknown GPU', 'instanceTypes["g5.xlarge"].gpuId', { instanceTypes: { 'g5.xlarge': { gpuId: 'a10g' } } }],
    [
      'a new entry missing its cloud',
      'instanceTypes["x1.large"].cloud',
      { instanceTypes: { 'x1.large': { gpuId: 't4-16gb', gpusPerNode: 1, onDemandHourly: 1 } } },
    ],
    ['an id that is not its key', 'gpus["l4-24gb"].id', { gpus: { 'l4-24gb': { id: 'l4' } } }],
    ['zero bandwidth', 'gpus["l4-24gb"].memoryBandwidthGBps', { gpus: { 'l4-24gb': { memoryBandwidthGBps: 0 } } }],
    ['an unknown section', 'gpu', { gpu: {} }],
    ['an entry that is not an object', 'gpus["l4-24gb"]', { gpus: { 'l4-24gb': 5 } }],
  ])('rejects %s with a ConfigError naming %s', (_what, expectedPath, overrides) => {
    const e = thrown(() => withOverrides(DEFAULT_CATALOG, overrides, 'fleet.yaml: catalog'));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).path).toBe(expectedPath);
    expect((e as ConfigError).message).toContain(`fleet.yaml: catalog: ${expectedPath}: `);
  });

  it('suggests the GPU meant when an override names an unknown one', () => {
    const e = thrown(() => withOverrides(DEFAULT_CATALOG, { instanceTypes: { 'g5.xlarge': { gpuId: 'a10g' } } }));
    expect((e as Error).message).toContain('did you mean a10g-24gb');
  });

  it('validateCatalog catches a hand-built catalog whose instance type names a missing GPU', () => {
    const broken: Catalog = { gpus: {}, instanceTypes: { 'g5.xlarge': DEFAULT_CATALOG.instanceTypes['g5.xlarge']! } };
    expect(() => validateCatalog(broken)).toThrow(ConfigError);
    expect(() => gpuOf(broken, 'g5.xlarge')).toThrow(CatalogLookupError);
  });
});
