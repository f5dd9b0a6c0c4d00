/**
 * The node agent's entry point (the container's command): reads its settings, builds the monitor for its
 * cloud, and polls until SIGTERM. AWS credentials come from the SDK's default chain: in the DaemonSet, a
 * projected service account token exchanged for the agent role (`AWS_ROLE_ARN`,
 * `AWS_WEB_IDENTITY_TOKEN_FILE`), which may do nothing but `events:PutEvents` on the autoscaler's bus.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type AgentLogger, NodeAgent } from './agent.ts';
import { type AgentConfig, loadAgentConfig } from './config.ts';
import { AwsImdsMonitor } from './monitors/aws.ts';
import { AzureScheduledEventsMonitor } from './monitors/azure.ts';
import { GceMetadataMonitor } from './monitors/gcp.ts';
import { type DrainState, KubernetesDrainState, NEVER_DRAINED } from './node.ts';
import type { Monitor } from './notice.ts';
import { BusPublisher } from './publisher.ts';

const log =
  (level: string) =>
  (message: string, fields?: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
  };
export const jsonLogger: AgentLogger = { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };

export function monitorFor(config: AgentConfig): Monitor {
  const common = {
    ...(config.metadataEndpoint ? { endpoint: config.metadataEndpoint } : {}),
    ...(config.nodeName ? { node: config.nodeName } : {}),
  };
  switch (config.cloud) {
    case 'aws':
      return new AwsImdsMonitor(common);
    case 'azure':
      return new AzureScheduledEventsMonitor(common);
    case 'gcp':
      return new GceMetadataMonitor({ ...common, waitSeconds: Math.max(1, Math.round(config.intervalMs / 1000)) });
  }
}

async function drainStateFor(config: AgentConfig): Promise<DrainState> {
  // Only Azure's protocol takes an acknowledgement; only in a cluster can the agent see its node.
  if (config.cloud !== 'azure' || !config.nodeName || !process.env.KUBERNETES_SERVICE_HOST) return NEVER_DRAINED;
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromCluster();
  return new KubernetesDrainState(kc.makeApiClient(k8s.CoreV1Api), config.nodeName);
}

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadAgentConfig(env);
  const agent = new NodeAgent({
    monitor: monitorFor(config),
    publisher: new BusPublisher({
      client: new EventBridgeClient({ region: config.region }),
      busName: config.busName,
    }),
    drain: await drainStateFor(config),
    logger: jsonLogger,
    intervalMs: config.intervalMs,
  });
  const stop = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => stop.abort());
  jsonLogger.info('node agent started', { cloud: config.cloud, bus: config.busName, node: config.nodeName });
  await agent.run(stop.signal);
  jsonLogger.info('node agent stopped');
}
