/**
 * Dependencies of a deployed function, from its environment:
 * - `AUTOSCALER_CONFIG` (JSON) or `AUTOSCALER_CONFIG_FILE`: the configuration;
 * - `TABLE_NAME`: the DynamoDB table; `EVENT_BUS_NAME`: the bus decisions are published on;
 * - AWS credentials and region from the Lambda role (the SDK's default chain);
 * - Azure: the service principal from the linked SST secrets `AzureTenantId`, `AzureClientId`,
 *   `AzureClientSecret`, read at cold start (else @azure/identity's own chain: `AZURE_*` variables, workload or
 *   managed identity); subscription in the configuration or `AZURE_SUBSCRIPTION_ID`;
 * - GCP: the service account key from the SST secret `GcpServiceAccountKey` (or the environment variable
 *   `GOOGLE_APPLICATION_CREDENTIALS_JSON`), else Application Default Credentials (workload identity
 *   federation through `GOOGLE_APPLICATION_CREDENTIALS`);
 * - Kubernetes: per cluster, the SST secret named by `clouds.kubernetes.<cluster>.kubeconfigSecret` (or the
 *   environment variable `KUBECONFIG_<CLUSTER>`, upper case, dashes as underscores) holding the kubeconfig;
 * - Prometheus: `clouds.prometheus.url` in the configuration; else CloudWatch GetMetricData with
 *   `clouds.cloudwatch` (the Lambda role's credentials); else no metrics store: alarms carry values.
 */
import { forecastIntervalSeconds } from '../config/forecast-schedule.ts';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AzureAdapterOptions } from '../adapters/azure/index.ts';
import type { GcpCredentials } from '../adapters/gcp/transport.ts';
import type { AppDeps, AppLogger } from '../app/deps.ts';
import { loadConfigFromEnv } from '../config/load.ts';
import { ConfigError } from '../domain/errors.ts';
import { StateStore } from '../state/store.ts';
import { type CloudConnections, configuredClusters, createClouds } from './clouds.ts';

export const kubeconfigVar = (cluster: string) => `KUBECONFIG_${cluster.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** A linked SST secret's value (SST encrypts linked secrets into the function's bundle), or undefined. */
async function sstSecret(name: string | undefined): Promise<string | undefined> {
  if (!name) return undefined;
  try {
    const { Resource } = await import('sst/resource');
    const value = (Resource as unknown as Record<string, { value?: unknown } | undefined>)[name]?.value;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    // Not linked to this function, or not running under SST: fall back to the environment.
    return undefined;
  }
}

type AzureCredential = NonNullable<AzureAdapterOptions['credential']>;

/** A ClientSecretCredential made on the first token request (so @azure/identity loads only when used). */
export function servicePrincipal(tenantId: string, clientId: string, clientSecret: string): AzureCredential {
  let credential: Promise<AzureCredential> | undefined;
  return {
    getToken: async (scopes, options) => {
      credential ??= import('@azure/identity').then(
        (m) => new m.ClientSecretCredential(tenantId, clientId, clientSecret),
      );
      return (await credential).getToken(scopes, options);
    },
  };
}

export async function productionDeps(
  logger: AppLogger,
  env: Record<string, string | undefined> = process.env,
  deadline?: () => number | undefined,
): Promise<AppDeps> {
  const resolved = await loadConfigFromEnv(env);
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new ConfigError('environment', 'TABLE_NAME', 'the DynamoDB table name is not set');
  const region = resolved.config.clouds.aws?.region ?? env.AWS_REGION ?? 'us-east-1';
  const kubernetes: NonNullable<CloudConnections['kubernetes']> = {};
  for (const name of configuredClusters(resolved)) {
    const secretName = resolved.config.clouds.kubernetes?.[name]?.kubeconfigSecret;
    const kubeconfig = (await sstSecret(secretName)) ?? env[kubeconfigVar(name)];
    if (kubeconfig) kubernetes[name] = { kubeconfig };
  }
  const gcpKey = (await sstSecret('GcpServiceAccountKey')) ?? env.GOOGLE_APPLICATION_CREDENTIALS_JSON;
  let gcpAuth: GcpCredentials | undefined;
  if (resolved.config.clouds.gcp && gcpKey) {
    // Built on the first GCP call: functions that never reach GCP never load google-auth-library.
    let auth: Promise<GcpCredentials> | undefined;
    gcpAuth = {
      getRequestHeaders: async (url?: string) => {
        auth ??= import('../adapters/gcp/transport.ts').then((m) => m.serviceAccountCredentials(gcpKey));
        return (await auth).getRequestHeaders(url);
      },
    };
  }
  // The Azure service principal, decrypted from the bundle at cold start; @azure/identity is imported on the
  // first Azure call only.
  const [tenantId, clientId, clientSecret] = await Promise.all(
    ['AzureTenantId', 'AzureClientId', 'AzureClientSecret'].map((n) => sstSecret(n)),
  );
  const azureCredential =
    tenantId && clientId && clientSecret ? servicePrincipal(tenantId, clientId, clientSecret) : undefined;
  const connections: CloudConnections = {
    aws: { region, eventBusName: env.EVENT_BUS_NAME ?? resolved.config.events.busName ?? 'default' },
    ...(resolved.config.clouds.azure || env.AZURE_SUBSCRIPTION_ID
      ? {
          azure: {
            subscriptionId: resolved.config.clouds.azure?.subscriptionId ?? env.AZURE_SUBSCRIPTION_ID,
            ...(azureCredential ? { credential: azureCredential } : {}),
          },
        }
      : {}),
    ...(resolved.config.clouds.gcp
      ? { gcp: { project: resolved.config.clouds.gcp.project, ...(gcpAuth ? { authClient: gcpAuth } : {}) } }
      : {}),
    kubernetes,
  };
  const clouds = createClouds(connections);
  let metrics: AppDeps['metrics'];
  if (resolved.config.clouds.prometheus) {
    const { createPrometheusMetrics } = await import('../adapters/prometheus/index.ts');
    metrics = createPrometheusMetrics({ url: resolved.config.clouds.prometheus.url, timeoutMs: 5_000 });
  } else if (resolved.config.clouds.cloudwatch) {
    const { createCloudWatchMetrics } = await import('../adapters/cloudwatch/index.ts');
    const cw = resolved.config.clouds.cloudwatch;
    metrics = createCloudWatchMetrics({
      region: cw.region ?? region,
      namespace: cw.namespace,
      ...(cw.metrics ? { metrics: cw.metrics } : {}),
      requestTimeoutMs: 5_000,
    });
  }
  const client = new DynamoDBClient({ region });
  const interval = forecastIntervalSeconds(env.AUTOSCALER_FORECAST_SCHEDULE);
  return {
    resolved,
    store: new StateStore({ client, tableName, auditTtlDays: resolved.config.audit.ttlDays }),
    idempotency: { tableName, client },
    clouds,
    events: clouds.events!,
    ...(metrics ? { metrics } : {}),
    clock: () => new Date(),
    // A drain's wait for its latest safe start, on the clock above.
    waitUntil: (at: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()))),
    logger,
    ...(deadline ? { deadline } : {}),
    ...(interval ? { decisionIntervalSeconds: interval } : {}),
    newId: randomUUID,
    // The stack deploys the drain function with its rule on the bus (stacks/patterns.ts `DrainRequested`):
    // the decisions on notices hand their drains to it.
    drainStep: true,
  };
}
