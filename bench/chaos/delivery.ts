/**
 * Delivery scenarios: redelivery (each event delivered many times, the copies at once: acted on once),
 * concurrency (many events for one fleet at once: no update lost), and an invocation held past its lease
 * (no write after another invocation took the fleet). Lambda's retries are played here: a delivery that
 * throws (a busy lease, an idempotency record still in progress) is delivered again after a pause, as Lambda
 * retries an asynchronous event, up to `attempts` times; one that still throws is dead-lettered.
 */
import { randomUUID } from 'node:crypto';
import * as P from '../../local/sim/autoscaler-events.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import type { CapacityPort, ClusterPort } from '../../shared/domain/ports.ts';
import { type FunctionName, localContext } from '../../shared/runtime/handler.ts';
import { type ChaosStack, chaosStack, FLEET, T0 } from './stack.ts';
import type { Row } from './table.ts';
import { localHandler } from '../../local/handler.ts';

/** The demo's GPU utilization alarm as EventBridge delivers it. */
export function utilizationAlarm(at: number, value: number, id = randomUUID()) {
  return P.alarmStateChange(
    { id, time: new Date(at) },
    {
      alarmName: `${FLEET}-gpu-utilization-high`,
      state: 'ALARM',
      previousState: 'OK',
      namespace: 'GpuFleet',
      metricName: 'GPUUtilization',
      dimensions: { fleet: FLEET },
      datapoints: [value],
      threshold: 75,
      comparison: 'GreaterThanThreshold',
      periodSeconds: 60,
    },
  );
}

export function hot(s: ChaosStack, value = 140): void {
  s.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, value);
  s.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, value);
}

/** Delivers an event as Lambda does: retried after a pause while it throws, dead-lettered after `attempts`. */
export async function deliver(
  invoke: () => Promise<unknown>,
  attempts = 3,
  pauseMs = 50,
): Promise<{ ok: boolean; tries: number; error?: unknown }> {
  let error: unknown;
  for (let tries = 1; tries <= attempts; tries++) {
    try {
      await invoke();
      return { ok: true, tries };
    } catch (e) {
      error = e;
      await new Promise((r) => setTimeout(r, pauseMs * tries));
    }
  }
  return { ok: false, tries: attempts, error };
}

async function auditsByEvent(s: ChaosStack): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const a of await s.stack.deps.store.listAudit(FLEET, 100_000)) out.set(a.eventId, (out.get(a.eventId) ?? 0) + 1);
  return out;
}

/** Decisions per event that acted (changed something in a cloud or the cluster: `applied` or `partial`). */
async function actionsByEvent(s: ChaosStack): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const a of await s.stack.deps.store.listAudit(FLEET, 100_000))
    if (a.outcome.status === 'applied' || a.outcome.status === 'partial')
      out.set(a.eventId, (out.get(a.eventId) ?? 0) + 1);
  return out;
}

export async function redelivery(options: { events: number; copies: number }): Promise<Row> {
  const s = await chaosStack({ desired: { 'aws-g5-ondemand': 2 } });
  let dead = 0;
  const ids: string[] = [];
  try {
    for (let e = 0; e < options.events; e++) {
      const id = randomUUID();
      ids.push(id);
      // Alternately hot and cool: the decisions change things, so a second action would show.
      const event = utilizationAlarm(T0, e % 2 ? 40 : 140, id);
      const copies = await Promise.all(
        // Lambda retries an asynchronous event after about 1 and 2 minutes; 10 and 20 s here, still longer than
        // a decision on a loaded machine.
        Array.from({ length: options.copies }, () => deliver(() => s.invokeInNewContainer('alarm', event), 3, 10_000)),
      );
      dead += copies.filter((c) => !c.ok).length;
    }
    const audits = await auditsByEvent(s);
    const acted = await actionsByEvent(s);
    // Acting twice is a second decision that changed something; one that re-observed and changed nothing
    // (a copy that got past deduplication after the first finished) is counted apart.
    const twice = ids.filter((id) => (acted.get(id) ?? 0) > 1).length;
    const again = ids.filter((id) => (audits.get(id) ?? 0) > Math.max(1, acted.get(id) ?? 0)).length;
    const never = ids.filter((id) => !audits.has(id)).length;
    return {
      name: 'redelivery',
      scale: `${options.events.toLocaleString('en-US')} events, each delivered ${options.copies} times at once`,
      failures: { 'acted on twice': twice, 'never decided': never, 'dead-lettered deliveries': dead },
      figures: `${(options.events * options.copies).toLocaleString('en-US')} deliveries, ${[...audits.values()].reduce((a, b) => a + b, 0)} decisions for ${audits.size} events; decided again without acting: ${again}`,
    };
  } finally {
    await s.close();
  }
}

export async function concurrency(options: { events: number }): Promise<Row> {
  const s = await chaosStack({ desired: { 'aws-g5-ondemand': 2 } });
  try {
    hot(s);
    const before = await s.stack.deps.store.getState(FLEET);
    const ids = Array.from({ length: options.events }, () => randomUUID());
    const results = await Promise.all(
      ids.map((id, i) =>
        deliver(() => s.invokeInNewContainer('alarm', utilizationAlarm(T0, i % 2 ? 40 : 140, id)), 10, 500),
      ),
    );
    const after = await s.stack.deps.store.getState(FLEET);
    const audits = await auditsByEvent(s);
    const decided = ids.filter((id) => audits.has(id)).length;
    const history = await s.stack.deps.store.loadHistory(FLEET, new Date(T0 - 3600_000));
    // Every decision saves the state once (versioned) and appends one history entry: a decision whose state
    // or history is missing is a lost update.
    const lostState = decided - (after.version - before.version);
    const lostHistory = decided - history.length;
    return {
      name: 'concurrency',
      scale: `${options.events} events for one fleet at once`,
      failures: {
        'lost updates (state)': Math.abs(lostState),
        'lost updates (history)': Math.abs(lostHistory),
        'acted on twice': ids.filter((id) => (audits.get(id) ?? 0) > 1).length,
        'dead-lettered': results.filter((r) => !r.ok).length,
      },
      figures: `${decided} decisions; state version +${after.version - before.version}; up to ${Math.max(...results.map((r) => r.tries))} deliveries of one event (busy lease)`,
    };
  } finally {
    await s.close();
  }
}

/**
 * An invocation held past its lease: its first cloud write stalls until the lease has expired and another
 * invocation has taken the fleet and decided; every write the stale invocation attempts after that is counted.
 */
export async function lease(runs = 3): Promise<Row> {
  let stale = 0;
  let stolen = 0;
  let savedStale = 0;
  for (let run = 0; run < runs; run++) {
    const s = await chaosStack({ desired: { 'aws-g5-ondemand': 1 + run, 'aws-g5-spot': 1 } });
    try {
      hot(s);
      const deps = s.stack.deps;
      const ttl = 150_000;
      let taken = false;
      const after: string[] = [];
      const hold = (port: CapacityPort): CapacityPort =>
        Object.assign(Object.create(port) as CapacityPort, {
          setDesired: async (
            ref: Parameters<CapacityPort['setDesired']>[0],
            req: Parameters<CapacityPort['setDesired']>[1],
          ) => {
            if (taken) after.push(`set-desired ${ref.id}`);
            const r = await port.setDesired(ref, req);
            if (!taken) {
              taken = true;
              // The lease expired while this write was in flight (its time passed for this invocation too: a
              // write checks the lease against when it was taken); a newer invocation takes the fleet.
              s.world.advance(ttl / 1000 + 1);
              await deps.store.acquireLease(FLEET, `newer-${run}`, deps.clock(), ttl);
            }
            return r;
          },
          removeInstance: port.removeInstance
            ? async (...a: Parameters<NonNullable<CapacityPort['removeInstance']>>) => {
                if (taken) after.push(`remove-instance ${a[0].id}`);
                return port.removeInstance!(...a);
              }
            : undefined,
          setWarm: port.setWarm
            ? async (...a: Parameters<NonNullable<CapacityPort['setWarm']>>) => {
                if (taken) after.push(`set-warm ${a[0].id}`);
                return port.setWarm!(...a);
              }
            : undefined,
        });
      const watch = (c: ClusterPort): ClusterPort =>
        Object.assign(Object.create(c) as ClusterPort, {
          scaleDeployment: async (...a: Parameters<ClusterPort['scaleDeployment']>) => {
            if (taken) after.push('scale-deployment');
            return c.scaleDeployment(...a);
          },
          cordon: async (node: string) => {
            if (taken) after.push(`cordon ${node}`);
            return c.cordon(node);
          },
        });
      const held: AppDeps = {
        ...deps,
        leaseTtlMs: ttl,
        clouds: {
          capacityFor: (pool) => {
            const port = deps.clouds.capacityFor(pool);
            return port ? hold(port) : undefined;
          },
          cluster: (name) => {
            const c = deps.clouds.cluster(name);
            return c ? watch(c) : undefined;
          },
        },
      };
      const handler = localHandler({ trigger: 'alarm' as FunctionName, deps: async () => held });
      const version = (await deps.store.getState(FLEET)).version;
      await handler(utilizationAlarm(T0, 140), localContext('alarm')).catch(() => undefined);
      if (taken) stolen++;
      stale += after.length;
      if ((await deps.store.getState(FLEET)).version !== version) savedStale++;
    } finally {
      await s.close();
    }
  }
  return {
    name: 'lease',
    scale: `${runs} invocations held past their lease (their first write outlived it; another took the fleet)`,
    failures: {
      'stale writes': stale,
      'stale state saved': savedStale,
      'lease never lost (not exercised)': runs - stolen,
    },
  };
}
