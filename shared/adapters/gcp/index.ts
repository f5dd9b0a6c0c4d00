/**
 * GCP adapters: capacity on managed instance groups through @google-cloud/compute over REST.
 *
 * Production: `createGcpAdapters({ project })` talks to compute.googleapis.com with Application Default
 * Credentials. Emulator: `createGcpAdapters({ project, endpoint: emulator.endpoint, authClient:
 * staticToken('fake') })`, with small retry and poll intervals in tests.
 */
import type { CapacityPort } from '../../domain/ports.ts';
import { GcpCapacity } from './capacity.ts';
import { computeClients } from './clients.ts';
import { DEFAULT_POLL, type PollOptions } from './operations.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
import { applicationDefaultCredentials, createTransport, type GcpCredentials } from './transport.ts';

export { GcpCapacity } from './capacity.ts';
export { GcpOperationError, kindOfCode, toCloudError } from './errors.ts';
export { lifecycleOf, requestIdFor } from './mapping.ts';
export type { PollOptions } from './operations.ts';
export type { RetryOptions } from './retry.ts';
export {
  type GcpCredentials,
  GcpHttpError,
  GcpTransportError,
  serviceAccountCredentials,
  staticToken,
} from './transport.ts';

export interface GcpAdapterOptions {
  /** Project for pools without a `scope`, and for reservations. Default: GOOGLE_CLOUD_PROJECT. */
  project?: string;
  /** A full base URL (`http://127.0.0.1:4567`); overrides apiEndpoint, port and protocol. */
  endpoint?: string;
  /** API host. Default `compute.googleapis.com`. */
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Request headers provider. Default: Application Default Credentials (google-auth-library). */
  authClient?: GcpCredentials;
  retry?: Partial<RetryOptions>;
  poll?: Partial<PollOptions>;
  /** Per-attempt timeouts: requests, and `operations.wait` (which Compute holds open up to 2 minutes). */
  timeouts?: { requestMs?: number; waitMs?: number };
  /** listManagedInstances page size (1-500). */
  pageSize?: number;
  /** The adapter's clock for `observedAt`. */
  clock?: () => number;
}

export interface GcpAdapters {
  capacity: CapacityPort;
  /** Closes the SDK clients that were created. */
  close(): Promise<void>;
}

export function createGcpAdapters(options: GcpAdapterOptions = {}): GcpAdapters {
  const conn = connection(options);
  let credentials: Promise<GcpCredentials> | undefined;
  const authClient = createTransport({
    credentials: () => {
      credentials ??= options.authClient ? Promise.resolve(options.authClient) : applicationDefaultCredentials();
      return credentials;
    },
    requestTimeoutMs: options.timeouts?.requestMs ?? 30_000,
    waitTimeoutMs: options.timeouts?.waitMs ?? 150_000,
  });
  const clients = computeClients({ ...conn, authClient });
  const capacity = new GcpCapacity({
    clients,
    project: options.project ?? process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    poll: { ...DEFAULT_POLL, ...options.poll },
    pageSize: Math.min(500, Math.max(1, options.pageSize ?? 500)),
    clock: options.clock ?? Date.now,
  });
  return { capacity, close: () => clients.close() };
}

function connection(o: GcpAdapterOptions): { apiEndpoint: string; port: number; protocol: 'http' | 'https' } {
  if (o.endpoint) {
    const u = new URL(o.endpoint);
    const protocol = u.protocol === 'http:' ? 'http' : 'https';
    return { apiEndpoint: u.hostname, port: Number(u.port) || (protocol === 'http' ? 80 : 443), protocol };
  }
  const protocol = o.protocol ?? 'https';
  return { apiEndpoint: o.apiEndpoint ?? 'compute.googleapis.com', port: o.port ?? 443, protocol };
}
