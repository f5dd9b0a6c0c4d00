/**
 * The GPU catalog: what each GPU can do (memory, dense FP16 TFLOPS, memory bandwidth) and what each cloud
 * instance type holds and costs. The data itself is a plain object literal in `catalog-data.ts`
 * (`DEFAULT_CATALOG`), with the source of every number beside it; this file holds the types, the validation
 * and the lookups.
 *
 * Users adjust it with `withOverrides` (their negotiated prices, a new instance type), never by editing
 * the defaults. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { DEFAULT_CATALOG } from './catalog-data.ts';
import { CATALOG_CLOUDS, type Catalog, GPU_VENDORS, type GpuSpec, type InstanceTypeSpec } from './catalog-types.ts';
import { ConfigError } from './errors.ts';

export { DEFAULT_CATALOG };

export {
  CATALOG_CLOUDS,
  type Catalog,
  type CatalogCloud,
  type CatalogOverrides,
  GPU_VENDORS,
  type GpuSpec,
  type GpuVendor,
  type InstanceTypeSpec,
} from './catalog-types.ts';

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();

export const GpuSpecSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  vendor: z.enum(GPU_VENDORS),
  memoryGb: positive,
  fp16Tflops: positive,
  memoryBandwidthGBps: positive,
  tdpWatts: positive.optional(),
  hourlyPriceUsd: nonNegative.optional(),
  aliases: z.array(z.string().min(1)).optional(),
  source: z.string().optional(),
});

export const InstanceTypeSpecSchema = z.strictObject({
  name: z.string().min(1),
  cloud: z.enum(CATALOG_CLOUDS),
  gpuId: z.string().min(1),
  gpusPerNode: z.number().int().positive(),
  vcpus: z.number().int().positive().optional(),
  memoryGiB: positive.optional(),
  onDemandHourly: nonNegative,
  spotHourly: nonNegative.optional(),
  source: z.string().optional(),
  notes: z.string().optional(),
});

const OverridesSchema = z.strictObject({
  gpus: z.record(z.string().min(1), z.record(z.string(), z.unknown())).optional(),
  instanceTypes: z.record(z.string().min(1), z.record(z.string(), z.unknown())).optional(),
});

/** `instanceTypes["g5.xlarge"].onDemandHourly`: keys that are not identifiers go in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    const s = String(seg);
    if (typeof seg === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function firstIssue(where: string, prefix: readonly PropertyKey[], error: z.ZodError): ConfigError {
  const issue = error.issues[0]!;
  // An unknown field (a typo) is named in the path, not only in the message.
  const extra = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  return new ConfigError(where, formatPath([...prefix, ...issue.path, ...extra]), issue.message);
}

/**
 * Checks a whole catalog: every entry against its schema, every key equal to the entry's id / name, every
 * instance type naming a GPU that exists. Throws `ConfigError` naming the first offending field.
 */
export function validateCatalog(catalog: Catalog, where = 'catalog'): Catalog {
  for (const [key, gpu] of Object.entries(catalog.gpus)) {
    const parsed = GpuSpecSchema.safeParse(gpu);
    if (!parsed.success) throw firstIssue(where, ['gpus', key], parsed.error);
    if (gpu.id !== key) throw new ConfigError(where, formatPath(['gpus', key, 'id']), `must equal its key "${key}"`);
  }
  for (const [key, it] of Object.entries(catalog.instanceTypes)) {
    const parsed = InstanceTypeSpecSchema.safeParse(it);
    if (!parsed.success) throw firstIssue(where, ['instanceTypes', key], parsed.error);
    if (it.name !== key) {
      throw new ConfigError(where, formatPath(['instanceTypes', key, 'name']), `must equal its key "${key}"`);
    }
    if (!Object.hasOwn(catalog.gpus, it.gpuId)) {
      const near = closeMatches(it.gpuId, Object.keys(catalog.gpus));
      throw new ConfigError(
        where,
        formatPath(['instanceTypes', key, 'gpuId']),
        `unknown GPU "${it.gpuId}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
      );
    }
  }
  return catalog;
}

/**
 * Merges a user's overrides onto `base`, entry by entry: fields given replace the base entry's fields,
 * fields not given keep theirs; an entry the base lacks is added (its `id` / `name` default to its key).
 * The result is validated as a whole, so a new instance type may name a GPU added in the same overrides.
 * `base` is not modified. Throws `ConfigError` (with `where` and the field path) for a bad override.
 */
export function withOverrides(base: Catalog, overrides: unknown, where = 'catalog overrides'): Catalog {
  if (overrides === undefined || overrides === null) return base;
  const parsed = OverridesSchema.safeParse(overrides);
  if (!parsed.success) throw firstIssue(where, [], parsed.error);
  const gpus: Record<string, GpuSpec> = { ...base.gpus };
  for (const [key, patch] of Object.entries(parsed.data.gpus ?? {})) {
    gpus[key] = { ...base.gpus[key], id: key, ...patch } as GpuSpec;
  }
  const instanceTypes: Record<string, InstanceTypeSpec> = { ...base.instanceTypes };
  for (const [key, patch] of Object.entries(parsed.data.instanceTypes ?? {})) {
    instanceTypes[key] = { ...base.instanceTypes[key], name: key, ...patch } as InstanceTypeSpec;
  }
  return validateCatalog({ gpus, instanceTypes }, where);
}

/** An unknown GPU or instance type name. Says which name and lists close matches. */
export class CatalogLookupError extends Error {
  readonly kind: 'gpu' | 'instance-type';
  readonly lookedUp: string;
  readonly suggestions: string[];
  constructor(kind: 'gpu' | 'instance-type', lookedUp: string, suggestions: string[]) {
    const what = kind === 'gpu' ? 'GPU' : 'instance type';
    super(
      `unknown ${what} "${lookedUp}" in the catalog` +
        (suggestions.length ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''),
    );
    this.name = 'CatalogLookupError';
    this.kind = kind;
    this.lookedUp = lookedUp;
    this.suggestions = suggestions;
  }
}
export const isCatalogLookupError = (e: unknown): e is CatalogLookupError => e instanceof CatalogLookupError;

/** The instance type called `name` (exact, case-sensitive: clouds' names are). */
export function instanceType(catalog: Catalog, name: string): InstanceTypeSpec {
  const it = Object.hasOwn(catalog.instanceTypes, name) ? catalog.instanceTypes[name] : undefined;
  if (!it) throw new CatalogLookupError('instance-type', name, closeMatches(name, Object.keys(catalog.instanceTypes)));
  return it;
}

const normalise = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The GPU with this id, or whose name or one of whose aliases matches ignoring case and punctuation
 * (`NVIDIA-A10G`, `nvidia-tesla-t4`, `NVIDIA-H100-80GB-HBM3` all resolve).
 */
export function gpuSpec(catalog: Catalog, idOrAlias: string): GpuSpec {
  if (Object.hasOwn(catalog.gpus, idOrAlias)) return catalog.gpus[idOrAlias]!;
  const wanted = normalise(idOrAlias);
  for (const gpu of Object.values(catalog.gpus)) {
    if ([gpu.id, gpu.name, ...(gpu.aliases ?? [])].some((n) => normalise(n) === wanted)) return gpu;
  }
  throw new CatalogLookupError('gpu', idOrAlias, closeMatches(idOrAlias, Object.keys(catalog.gpus)));
}

/** The GPU an instance type holds. */
export function gpuOf(catalog: Catalog, instanceTypeName: string): GpuSpec {
  const it = instanceType(catalog, instanceTypeName);
  if (!Object.hasOwn(catalog.gpus, it.gpuId)) {
    throw new CatalogLookupError('gpu', it.gpuId, closeMatches(it.gpuId, Object.keys(catalog.gpus)));
  }
  return catalog.gpus[it.gpuId]!;
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * Up to `limit` known names close to `name`: within an edit distance of a third of its length (at least 2),
 * or sharing its family prefix (`g5.` for `g5.3xlarge`), nearest first.
 */
export function closeMatches(name: string, known: readonly string[], limit = 3): string[] {
  const budget = Math.max(2, Math.floor(name.length / 3));
  const family = name.toLowerCase().split(/[.\-_]/)[0] ?? '';
  return known
    .map((k) => ({ k, d: distance(name, k) }))
    .filter(({ k, d }) => d <= budget || (family.length >= 2 && k.toLowerCase().split(/[.\-_]/)[0] === family))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, limit)
    .map(({ k }) => k);
}
