/**
 * Faults: each cloud x each fault the emulators inject on its resize (throttling, 5xx, a connection that
 * hangs, a failed long-running operation, no capacity) and its whole API down. A hot alarm asks for more
 * capacity, and the configuration leaves room to grow only in the faulted cloud's pool (the others are at
 * their maximum), so its resize is always attempted; Lambda's first attempt is judged:
 *
 * - `others failed`: a failure recorded on a pool of another cloud, or on the Deployment (must be 0);
 * - `not audited`: no audit record, or the faulted pool neither resized nor recorded as failed;
 * - `retry wrong`: the event not retried (the handler did not throw) although a failure a retry can fix was
 *   recorded (throttled, transient, conflict), or retried for a failure a retry cannot fix;
 * - `Deployment moved without capacity`: the Deployment's replicas changed although no pool changed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FaultKind, FaultSpec } from '../../local/emulators/faults.ts';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { isRetryableKind } from '../../shared/domain/errors.ts';
import { hot, utilizationAlarm } from './delivery.ts';
import { chaosStack, DEMO_CONFIG, FLEET, T0 } from './stack.ts';
import type { Row } from './table.ts';

type Cloud = 'aws' | 'azure' | 'gcp';
export const FAULTS = [
  'throttle',
  'server-error',
  'timeout',
  'operation-failed',
  'insufficient-capacity',
  'api-down',
] as const;
export type ChaosFault = (typeof FAULTS)[number];

/** The pool resized in each cloud, and where its resize goes on the wire. */
export const TARGETS: Record<Cloud, { poolId: string; writes: Array<{ service: string; operation: string }> }> = {
  aws: { poolId: 'aws-g5-ondemand', writes: [{ service: 'autoscaling', operation: 'SetDesiredCapacity' }] },
  azure: { poolId: 'azure-a100-spot', writes: [{ service: 'arm', operation: 'virtualMachineScaleSets.update' }] },
  gcp: { poolId: 'gcp-l4', writes: [{ service: 'compute', operation: 'instanceGroupManagers.resize' }] },
};
const SERVICES: Record<Cloud, string[]> = { aws: ['ec2', 'autoscaling'], azure: ['arm'], gcp: ['compute'] };

/** The fault specs for one case: on the resize (enough times to outlast the adapter's retries), or the API. */
export function faultSpecs(cloud: Cloud, fault: ChaosFault): FaultSpec[] {
  if (fault === 'api-down')
    return SERVICES[cloud].map((service) => ({ service, kind: 'server-error', times: 1_000_000 }));
  return TARGETS[cloud].writes.map((w) => ({ ...w, kind: fault as FaultKind, times: 50, delayMs: 200 }));
}

const DESIRED: Record<string, number> = { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, 'azure-a100-spot': 2, 'gcp-l4': 2 };

/** The demo with every pool but `target` held at its current count (max = desired), so only `target` can grow. */
function onlyGrows(target: string) {
  const raw = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as {
    fleets: Array<{ pools: Array<{ id: string; max: number; min: number }> }>;
  };
  for (const p of raw.fleets[0]!.pools) {
    if (p.id === target) continue;
    p.max = DESIRED[p.id] ?? 0;
    p.min = Math.min(p.min, p.max);
  }
  return resolveConfig(parseConfig(raw));
}

async function one(cloud: Cloud, fault: ChaosFault): Promise<Record<string, number>> {
  const target = TARGETS[cloud].poolId;
  const resolved = onlyGrows(target);
  const s = await chaosStack({ resolved, desired: DESIRED });
  try {
    hot(s, 190);
    const cluster = s.stack.kubernetes.get('gpu-demo')!.state;
    const before = cluster.deploymentStatus('inference', 'llm-server')!;
    for (const spec of faultSpecs(cloud, fault)) s.world.faults.inject(spec);
    const id = randomUUID();
    const threw = await s.invoke('alarm', utilizationAlarm(T0, 190, id)).then(
      () => false,
      () => true,
    );
    s.world.faults.clear();
    const after = cluster.deploymentStatus('inference', 'llm-server')!;
    const audit = (await s.stack.deps.store.listAudit(FLEET, 10)).find((a) => a.eventId === id);
    const poolsOf = new Map(resolved.fleets[0]!.pools.map((p) => [p.id, p.cloud]));
    const failed = audit?.outcome.failed ?? [];
    const applied = audit?.outcome.applied ?? [];
    const others = failed.filter(
      (f) => f.action !== 'publish' && (f.poolId === undefined || poolsOf.get(f.poolId) !== cloud),
    ).length;
    const resized = applied.some((a) => a.poolId === target && a.action === 'set-desired');
    const recorded = failed.some((f) => f.poolId === target);
    const retryable = failed.some((f) => isRetryableKind(f.kind));
    const changed = applied.some(
      (a) =>
        a.action === 'set-desired' &&
        (a.detail as { from?: number; to?: number })?.from !== (a.detail as { to?: number })?.to,
    );
    return {
      'others failed': others,
      'not audited': !audit || (!resized && !recorded) ? 1 : 0,
      'retry wrong': retryable !== threw ? 1 : 0,
      'Deployment moved without capacity': !changed && after.desired !== before.desired ? 1 : 0,
    };
  } finally {
    await s.close();
  }
}

export async function faults(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const cloud of ['aws', 'azure', 'gcp'] as const) {
    const totals: Record<string, number> = {};
    const missed: string[] = [];
    for (const fault of FAULTS) {
      const r = await one(cloud, fault);
      for (const [k, n] of Object.entries(r)) totals[k] = (totals[k] ?? 0) + n;
      if (Object.values(r).some((n) => n > 0))
        missed.push(
          `${fault} (${Object.entries(r)
            .filter(([, n]) => n)
            .map(([k]) => k)
            .join(', ')})`,
        );
    }
    rows.push({
      name: `faults: ${cloud}`,
      scale: `${FAULTS.length} faults on its resize or its whole API: ${FAULTS.join(', ')}`,
      failures: totals,
      ...(missed.length ? { figures: `wrong: ${missed.join('; ')}` } : {}),
    });
  }
  return rows;
}
