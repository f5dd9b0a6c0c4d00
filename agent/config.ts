/**
 * The agent's settings, from its environment (the DaemonSet sets them; docs/deploy.md lists them). Every
 * problem is reported at once, naming the variable.
 */
export type AgentCloud = 'aws' | 'azure' | 'gcp';

export interface AgentConfig {
  cloud: AgentCloud;
  /** The autoscaler's bus: its name, or its ARN from another account or region. */
  busName: string;
  /** The bus's region (the SDK's `AWS_REGION`). */
  region: string;
  /** The Kubernetes node the pod runs on (downward API `spec.nodeName`); without it nothing is approved early. */
  nodeName?: string;
  intervalMs: number;
  /** Overrides the metadata service's address (tests; a proxy). */
  metadataEndpoint?: string;
}

export class AgentConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`node agent configuration: ${problems.join('; ')}`);
    this.name = 'AgentConfigError';
    this.problems = problems;
  }
}

const CLOUDS: readonly AgentCloud[] = ['aws', 'azure', 'gcp'];

export function loadAgentConfig(env: Record<string, string | undefined>): AgentConfig {
  const problems: string[] = [];
  const cloud = env.AGENT_CLOUD?.trim().toLowerCase();
  if (!cloud || !CLOUDS.includes(cloud as AgentCloud))
    problems.push(`AGENT_CLOUD: '${cloud ?? ''}' is not one of ${CLOUDS.join(', ')}`);
  const busName = env.EVENT_BUS_NAME?.trim();
  if (!busName) problems.push('EVENT_BUS_NAME: the autoscaler bus name or ARN (the deploy output `bus`) is not set');
  const region = (env.AWS_REGION ?? env.AWS_DEFAULT_REGION)?.trim();
  if (!region) problems.push("AWS_REGION: the bus's region is not set");
  const interval = env.POLL_INTERVAL_MS?.trim() ? Number(env.POLL_INTERVAL_MS) : 1_000;
  // Between 0.5 and 2 s: slower polling eats into a 30 s notice, faster only loads the metadata service.
  if (!Number.isInteger(interval) || interval < 500 || interval > 2_000)
    problems.push(`POLL_INTERVAL_MS: '${env.POLL_INTERVAL_MS}' is not a whole number of milliseconds from 500 to 2000`);
  const endpoint = env.METADATA_ENDPOINT?.trim();
  if (endpoint && !/^http:\/\/[^/\s]+\/?$/.test(endpoint))
    problems.push(`METADATA_ENDPOINT: '${endpoint}' is not an http://host[:port] address`);
  if (problems.length) throw new AgentConfigError(problems);
  return {
    cloud: cloud as AgentCloud,
    busName: busName!,
    region: region!,
    ...(env.NODE_NAME?.trim() ? { nodeName: env.NODE_NAME.trim() } : {}),
    intervalMs: interval,
    ...(endpoint ? { metadataEndpoint: endpoint } : {}),
  };
}
