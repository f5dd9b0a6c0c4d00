/**
 * Waiting on Compute operations (zonal or regional): `operations.wait` until the operation is DONE, an
 * error if it ended with one, and a transient CloudError if it is still running at the poll deadline.
 * With a wait limit (the invocation's deadline), `operations.get` every `intervalMs` instead (`wait` is held
 * open by Compute for up to 2 minutes, past any deadline), and an operation still running when the limit
 * has passed is returned as it is, not DONE: the caller reports it pending.
 */
import { CloudError } from '../../domain/errors.ts';
import type { ComputeClients, google } from './clients.ts';
import { NO_SDK_RETRY } from './clients.ts';
import { GcpOperationError, toCloudError } from './errors.ts';
import { type RetryOptions, sleep, withRetry } from './retry.ts';

type Operation = google.cloud.compute.v1.IOperation;

export interface PollOptions {
  /** Pause between two `wait` calls that came back before the operation was DONE. */
  intervalMs: number;
  /** Give up waiting after this long (the operation may still finish on its own). */
  timeoutMs: number;
}

export const DEFAULT_POLL: PollOptions = { intervalMs: 1_000, timeoutMs: 5 * 60_000 };

/** Where the operation lives: a zone (zonal MIGs) or a region (regional MIGs). */
export type OperationScope = { project: string; zone: string } | { project: string; region: string };

/**
 * Waits until `op` is DONE and returns it; throws the mapped CloudError (kind from the operation's error
 * code, e.g. ZONE_RESOURCE_POOL_EXHAUSTED -> insufficient-capacity) if it ended with an error.
 */
export async function waitForOperation(
  clients: ComputeClients,
  scope: OperationScope,
  op: Operation,
  what: string,
  opts: { poll: PollOptions; retry: RetryOptions; now?: () => number; waitMs?: number },
): Promise<Operation> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.poll.timeoutMs;
  const limit = opts.waitMs === undefined ? undefined : now() + Math.max(0, opts.waitMs);
  let current = op;
  const name = op.name;
  if (!name) throw new CloudError({ kind: 'invalid', cloud: 'gcp', operation: what, message: 'operation has no name' });
  while (current.status !== 'DONE') {
    if (limit !== undefined && limit < deadline) {
      const left = limit - now();
      if (left <= 0) return current;
      await sleep(Math.min(opts.poll.intervalMs, left));
      current = await withRetry(`${what}: reading ${name}`, opts.retry, () => getOnce(clients, scope, name));
      continue;
    }
    if (now() >= deadline) {
      throw new CloudError({
        kind: 'transient',
        cloud: 'gcp',
        operation: what,
        code: 'OPERATION_TIMEOUT',
        message: `operation ${name} still ${current.status ?? 'PENDING'} after ${opts.poll.timeoutMs} ms`,
      });
    }
    const waited = await withRetry(`${what}: waiting for ${name}`, opts.retry, () => waitOnce(clients, scope, name));
    if (waited.status !== 'DONE') await sleep(opts.poll.intervalMs);
    current = waited;
  }
  if (current.error?.errors?.length) throw toCloudError(new GcpOperationError(current), what);
  return current;
}

/** Whether the operation was still running when the wait ended (its limit passed). */
export const isPending = (op: Operation): boolean => op.status !== 'DONE';

async function getOnce(clients: ComputeClients, scope: OperationScope, operation: string): Promise<Operation> {
  if ('zone' in scope) {
    const c = await clients.zoneOperations();
    const [op] = await c.get({ project: scope.project, zone: scope.zone, operation }, NO_SDK_RETRY);
    return op;
  }
  const c = await clients.regionOperations();
  const [op] = await c.get({ project: scope.project, region: scope.region, operation }, NO_SDK_RETRY);
  return op;
}

async function waitOnce(clients: ComputeClients, scope: OperationScope, operation: string): Promise<Operation> {
  if ('zone' in scope) {
    const c = await clients.zoneOperations();
    const [op] = await c.wait({ project: scope.project, zone: scope.zone, operation }, NO_SDK_RETRY);
    return op;
  }
  const c = await clients.regionOperations();
  const [op] = await c.wait({ project: scope.project, region: scope.region, operation }, NO_SDK_RETRY);
  return op;
}
