/**
 * Karpenter NodePool rules the emulator applies: the CRD's validation of the fields the autoscaler writes,
 * the default spec of a NodePool seeded for a World pool, and the pool size a NodePool write asks for.
 */
import type { WorldPool } from '../world.ts';
import { gpusOf } from './nodes.ts';
import type { Json } from './patch.ts';
import type { FieldError } from './status.ts';

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Integer and suffixed quantities (`8`, `16`, `2k`, `8000Gi`). */
export function parseQuantity(q: Json | undefined): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) return undefined;
  const scale: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Number(m[1]) * (m[2] ? scale[m[2]]! : 1);
}

/** The NodePool CRD's OpenAPI validation of `weight` (1..100), `replicas` (>= 0) and `limits` (quantities). */
export function validateNodePool(spec: Record<string, Json>): FieldError[] {
  const errors: FieldError[] = [];
  const { weight, replicas, limits } = spec;
  const wholeIn = (v: Json, min: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (weight !== undefined && !wholeIn(weight, 1, 100)) {
    errors.push({ field: 'spec.weight', value: weight, detail: 'spec.weight in body should be between 1 and 100' });
  }
  if (replicas !== undefined && !wholeIn(replicas, 0, Number.MAX_SAFE_INTEGER)) {
    errors.push({
      field: 'spec.replicas',
      value: replicas,
      detail: 'spec.replicas in body should be greater than or equal to 0',
    });
  }
  if (limits !== undefined && !isObject(limits)) {
    errors.push({ field: 'spec.limits', value: limits, detail: 'spec.limits in body must be of type object' });
  } else if (limits !== undefined) {
    for (const [k, v] of Object.entries(limits)) {
      if (parseQuantity(v) === undefined) {
        errors.push({ field: `spec.limits.${k}`, value: v, detail: 'quantities must match the regular expression' });
      }
    }
  }
  return errors;
}

/** A NodePool for a World pool: its capacity type, instance type and zones as requirements. */
export function defaultNodePoolSpec(pool: WorldPool | undefined): Record<string, Json> {
  const requirements: Json[] = [
    { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
    { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
  ];
  if (pool) {
    requirements.push(
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: [pool.capacityType] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [pool.instanceType] },
      { key: 'topology.kubernetes.io/zone', operator: 'In', values: [...pool.zones] },
    );
  }
  const nodeClassRef =
    pool?.cloud === 'aws'
      ? { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }
      : { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' };
  return {
    template: { spec: { requirements, nodeClassRef, expireAfter: '720h' } },
    disruption: {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '1m',
      budgets: [{ nodes: '10%' }],
    },
  };
}

/**
 * The World pool size a NodePool write asks for, or undefined when it asks nothing new: a changed
 * `spec.replicas` (static NodePool); else a changed GPU limit, as `floor(limit / gpus per node)`.
 */
export function targetNodes(
  pool: WorldPool,
  spec: Record<string, Json>,
  previous: Record<string, Json>,
): number | undefined {
  if (typeof spec.replicas === 'number') return spec.replicas !== previous.replicas ? spec.replicas : undefined;
  const { gpus, resource } = gpusOf(pool);
  const limitOf = (s: Record<string, Json>) => (isObject(s.limits) ? parseQuantity(s.limits[resource]) : undefined);
  const limit = limitOf(spec);
  if (limit === undefined || limit === limitOf(previous) || gpus === 0) return undefined;
  return Math.floor(limit / gpus);
}
