/**
 * The Compute SDK clients, the only place that loads @google-cloud/compute.
 *
 * Each client is imported from its own build file, not the package index: the index loads all ~100
 * Compute clients (about 0.8-1.4 s of cold start on Node 24), one client file about 0.15 s. Each is created
 * on first use, so a process that never touches GCP never loads the SDK. Construction parses the 11 MB
 * protos.json once per process (~0.3 s, cached by google-gax for the next clients).
 */
import type { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import type { InstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/instance_templates_client.js';
import type { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import type { RegionInstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js';
import type { RegionInstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/region_instance_templates_client.js';
import type { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import type { ReservationsClient } from '@google-cloud/compute/build/src/v1/reservations_client.js';
import type { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import type { GaxAuthClient } from './transport.ts';

export type { google } from '@google-cloud/compute/build/protos/protos.js';

export interface ClientConnection {
  /** Host name, e.g. `compute.googleapis.com` or `127.0.0.1`. */
  apiEndpoint: string;
  port: number;
  protocol: 'http' | 'https';
  authClient: GaxAuthClient;
}

/** Call options for every SDK call: the adapter retries (retry.ts), the SDK never does. */
export const NO_SDK_RETRY = { retry: null } as const;

type Ctor<T> = new (opts: {
  apiEndpoint: string;
  port: number;
  protocol: string;
  fallback: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK types this as google-auth-library's AuthClient class; gax only calls getRequestHeaders and fetch on it
  authClient: any;
}) => T;

export interface ComputeClients {
  zonalMigs(): Promise<InstanceGroupManagersClient>;
  regionalMigs(): Promise<RegionInstanceGroupManagersClient>;
  zoneOperations(): Promise<ZoneOperationsClient>;
  regionOperations(): Promise<RegionOperationsClient>;
  instanceTemplates(): Promise<InstanceTemplatesClient>;
  /** Instances themselves (`instances.get`: an instance's own status, for checking interruption notices). */
  instances(): Promise<InstancesClient>;
  regionInstanceTemplates(): Promise<RegionInstanceTemplatesClient>;
  reservations(): Promise<ReservationsClient>;
  close(): Promise<void>;
}

/**
 * A named export of a Compute client file (CommonJS). Node's own `import()` exposes it by name; a function
 * bundled by esbuild (as `sst deploy` builds it, with code splitting) gets a chunk whose only export is
 * `default`, the module's `exports`: without this, every GCP call of a deployed function failed with "... is
 * not a constructor" (found by bench/coldstart.ts, which runs the bundled function).
 */
export function named<M extends object, K extends keyof M & string>(module: M, key: K): M[K] {
  const value = module[key] ?? (module as { default?: Partial<M> }).default?.[key];
  if (value === undefined) throw new Error(`@google-cloud/compute: the module has no export '${key}'`);
  return value as M[K];
}

export function computeClients(conn: ClientConnection): ComputeClients {
  const made: Array<Promise<{ close(): Promise<void> }>> = [];
  const lazy = <T extends { close(): Promise<void> }>(load: () => Promise<Ctor<T>>) => {
    let client: Promise<T> | undefined;
    return () => {
      if (!client) {
        client = load().then(
          (C) =>
            new C({
              apiEndpoint: conn.apiEndpoint,
              port: conn.port,
              protocol: conn.protocol,
              fallback: true,
              authClient: conn.authClient,
            }),
        );
        made.push(client);
      }
      return client;
    };
  };
  // Literal specifiers, so bundlers (esbuild) can follow them.
  return {
    zonalMigs: lazy(async () =>
      named(
        await import('@google-cloud/compute/build/src/v1/instance_group_managers_client.js'),
        'InstanceGroupManagersClient',
      ),
    ),
    regionalMigs: lazy(async () =>
      named(
        await import('@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js'),
        'RegionInstanceGroupManagersClient',
      ),
    ),
    zoneOperations: lazy(async () =>
      named(await import('@google-cloud/compute/build/src/v1/zone_operations_client.js'), 'ZoneOperationsClient'),
    ),
    regionOperations: lazy(async () =>
      named(await import('@google-cloud/compute/build/src/v1/region_operations_client.js'), 'RegionOperationsClient'),
    ),
    instanceTemplates: lazy(async () =>
      named(await import('@google-cloud/compute/build/src/v1/instance_templates_client.js'), 'InstanceTemplatesClient'),
    ),
    instances: lazy(async () =>
      named(await import('@google-cloud/compute/build/src/v1/instances_client.js'), 'InstancesClient'),
    ),
    regionInstanceTemplates: lazy(async () =>
      named(
        await import('@google-cloud/compute/build/src/v1/region_instance_templates_client.js'),
        'RegionInstanceTemplatesClient',
      ),
    ),
    reservations: lazy(async () =>
      named(await import('@google-cloud/compute/build/src/v1/reservations_client.js'), 'ReservationsClient'),
    ),
    async close() {
      const clients = await Promise.allSettled(made);
      await Promise.all(clients.map((c) => (c.status === 'fulfilled' ? c.value.close() : undefined)));
    },
  };
}
