/**
 * Dependencies of a deployed function, from its environment:
 * - `AUTOSCALER_CONFIG` (JSON) or `AUTOSCALER_CONFIG_FILE`: the configuration;
 * - `TABLE_NAME`: the DynamoDB table; `EVENT_BUS_NAME`: the bus decisions are published on;
 * - AWS credentials and region from the Lambda role (the SDK's default chain);
 * - Azure: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` (from the SST secret), subscription in
 *   the configuration or `AZURE_SUBSCRIPTION_ID`;
 * - GCP: `GOOGLE_APPLICATION_CREDENTIALS_JSON` (the service account key from the SST secret) or workload
 *   identity federation through `GOOGLE_APPLICATION_CREDENTIALS`;
 * - Kubernetes: `KUBECONFIG_<CLUSTER>` (upper case, dashes as underscores) holding the kubeconfig content;
 * - Prometheus: `clouds.prometheus.url` in the configuration; else CloudWatch GetMetricData with
 *   `clouds.cloudwatch` (the Lambda role's credentials); else no metrics store: alarms carry values.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppDeps, AppLogger } from '../app/deps.ts';
import { loadConfigFromEnv } from '../config/load.ts';
import { ConfigError } from '../domain/errors.ts';
import { StateStore } from '../state/store.ts';
import { type CloudConnections, createClouds } from './clouds.ts';
import { clusterNames } from './local.ts';

export const kubeconfigVar = (cluster: string) => `KUBECONFIG_${cluster.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

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
  for (const name of clusterNames(resolved)) {
    const kubeconfig = env[kubeconfigVar(name)];
    if (kubeconfig) kubernetes[name] = { kubeconfig };
  }
  const connections: CloudConnections = {
    aws: { region, eventBusName: env.EVENT_BUS_NAME ?? resolved.config.events.busName ?? 'default' },
    ...(resolved.config.clouds.azure || env.AZURE_SUBSCRIPTION_ID
      ? { azure: { subscriptionId: resolved.config.clouds.azure?.subscriptionId ?? env.AZURE_SUBSCRIPTION_ID } }
      : {}),
    ...(resolved.config.clouds.gcp ? { gcp: { project: resolved.config.clouds.gcp.project } } : {}),
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
  return {
    resolved,
    store: new StateStore({
      client: new DynamoDBClient({ region }),
      tableName,
      auditTtlDays: resolved.config.audit.ttlDays,
    }),
    clouds,
    events: clouds.events!,
    ...(metrics ? { metrics } : {}),
    clock: () => new Date(),
    logger,
    ...(deadline ? { deadline } : {}),
    newId: randomUUID,
  };
}
