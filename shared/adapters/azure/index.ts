/**
 * Azure adapters: the only place (with its siblings) that imports @azure/*.
 *
 * Production: `createAzureAdapters()` with AZURE_SUBSCRIPTION_ID set, and credentials from
 * @azure/identity's DefaultAzureCredential (AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, workload
 * or managed identity...), imported only when no credential is passed in, so tests and cold starts that
 * inject one do not load it. Locally: point `endpoint` at the ARM emulator and trust its `ca`.
 *
 * Clients are made on first use, one per subscription (a pool's scope may name its own).
 */
import { rootCertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import type { CapacityPort } from '../../domain/ports.ts';
import { AzureCapacity } from './capacity.ts';
import { attemptTimeoutPolicy, OperationErrors } from './pipeline.ts';

export type TokenCredential = ConstructorParameters<typeof ComputeManagementClient>[0];

export interface AzureAdapterOptions {
  /** Default subscription; a pool scope `subscriptionId/resourceGroup` overrides it. Default: AZURE_SUBSCRIPTION_ID. */
  subscriptionId?: string;
  /** ARM endpoint (default https://management.azure.com). */
  endpoint?: string;
  /** Token credential; default DefaultAzureCredential from @azure/identity, loaded lazily. */
  credential?: TokenCredential;
  /** HTTP retries of throttling (429/503 honour Retry-After), 5xx and network faults, by the SDK's retry policy. */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Long-running operations: poll interval (when ARM gives no Retry-After) and how long to wait in all. */
  poll?: { intervalMs?: number; timeoutMs?: number };
  /** Time limit of one HTTP attempt; a timed-out attempt is retried. */
  requestTimeoutMs?: number;
  /** Extra CA certificate (PEM) to trust besides the public roots, e.g. the emulator's test CA. */
  ca?: string;
  /** The adapter's clock (observation times, reservation states). */
  now?: () => Date;
  /** Environment to read defaults from (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface AzureAdapters {
  capacity: CapacityPort;
}

export const AZURE_DEFAULTS = {
  retry: { maxAttempts: 4, baseDelayMs: 800, maxDelayMs: 30_000 },
  // A VM scale set's update operation ends when its VMs are provisioned: minutes for GPU sizes.
  poll: { intervalMs: 5_000, timeoutMs: 10 * 60_000 },
  requestTimeoutMs: 30_000,
} as const;

async function defaultCredential(): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

export function createAzureAdapters(options: AzureAdapterOptions = {}): AzureAdapters {
  const env = options.env ?? process.env;
  const retry = { ...AZURE_DEFAULTS.retry, ...options.retry };
  const poll = { ...AZURE_DEFAULTS.poll, ...options.poll };
  const requestTimeoutMs = options.requestTimeoutMs ?? AZURE_DEFAULTS.requestTimeoutMs;
  const operationErrors = new OperationErrors();
  let credential: Promise<TokenCredential> | undefined;
  const clients = new Map<string, Promise<ComputeManagementClient>>();

  async function makeClient(subscriptionId: string): Promise<ComputeManagementClient> {
    credential ??= options.credential ? Promise.resolve(options.credential) : defaultCredential();
    const client = new ComputeManagementClient(await credential, subscriptionId, {
      endpoint: options.endpoint,
      retryOptions: {
        maxRetries: Math.max(0, retry.maxAttempts - 1),
        retryDelayInMs: retry.baseDelayMs,
        maxRetryDelayInMs: retry.maxDelayMs,
      },
      // The extra CA is added to the public roots (setting `ca` alone would replace them).
      tlsOptions: options.ca ? { ca: [...rootCertificates, options.ca] } : undefined,
      userAgentOptions: { userAgentPrefix: 'gpu-fleet-autoscaler' },
    });
    client.pipeline.addPolicy(attemptTimeoutPolicy(requestTimeoutMs), { afterPhase: 'Retry' });
    client.pipeline.addPolicy(operationErrors.policy);
    return client;
  }

  function compute(subscriptionId: string): Promise<ComputeManagementClient> {
    let client = clients.get(subscriptionId);
    if (!client) {
      client = makeClient(subscriptionId);
      // A failed credential load must not stick: the next call tries again.
      client.catch(() => {
        clients.delete(subscriptionId);
        credential = undefined;
      });
      clients.set(subscriptionId, client);
    }
    return client;
  }

  return {
    capacity: new AzureCapacity({
      compute,
      operationErrors,
      defaultSubscription: options.subscriptionId ?? env.AZURE_SUBSCRIPTION_ID,
      poll,
      now: options.now ?? (() => new Date()),
    }),
  };
}

export { AzureCapacity } from './capacity.ts';
export { fromOperationError, kindOfCode, kindOfStatus, toCloudError } from './errors.ts';
