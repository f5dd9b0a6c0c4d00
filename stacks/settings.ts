/**
 * Deployment settings: what `sst.config.ts` reads before it creates anything. The autoscaler configuration
 * file is validated here (the same loader the functions use), so a bad file fails the deploy before any
 * resource changes. Pure Node: no SST globals, so tests and `tsc` read it like any module.
 */
import { resolve } from 'node:path';
import { type ResolvedConfig, loadConfigFile } from '../shared/config/load.ts';
import { functionSpec } from './function-specs.ts';

/** The environment variables `sst deploy` reads (docs/deploy.md lists them). */
export interface DeployEnvironment {
  /** The configuration file, relative to the repository root. Default `config/demo.json`. */
  AUTOSCALER_CONFIG_FILE?: string;
  /** The forecast job's EventBridge Scheduler expression. Default `rate(5 minutes)`; `off` disables it. */
  AUTOSCALER_FORECAST_SCHEDULE?: string;
  /** Comma-separated IAM principal ARNs allowed to assume the ops invoker role. Default: the account root. */
  AUTOSCALER_OPS_PRINCIPALS?: string;
  /** An e-mail address subscribed to the dead-letter alarms' topic (confirm the subscription once). */
  AUTOSCALER_ALERT_EMAIL?: string;
  /** `false` drops reserved concurrency (new accounts whose concurrency quota is 10 cannot reserve any). */
  AUTOSCALER_RESERVED_CONCURRENCY?: string;
  /** Comma-separated OIDC issuer URLs of the clusters running the node agent (AKS, GKE, EKS, any). */
  AUTOSCALER_AGENT_OIDC_ISSUERS?: string;
  /** The Pub/Sub push subscription's service account e-mail; setting it creates the Pub/Sub receiver. */
  AUTOSCALER_PUBSUB_SERVICE_ACCOUNT?: string;
  /** `projects/P/subscriptions/S`: the Pub/Sub receiver then refuses deliveries of any other subscription. */
  AUTOSCALER_PUBSUB_SUBSCRIPTION?: string;
  /** `true` creates the Event Grid receiver (and asks for its key, the secret `EventGridReceiverKey`). */
  AUTOSCALER_EVENTGRID_RECEIVER?: string;
}

export interface DeploySettings {
  /** Absolute path of the configuration file; it is copied into every function's bundle. */
  configFile: string;
  resolved: ResolvedConfig;
  /** `rate(...)` or `cron(...)`, or undefined when the forecast schedule is off. */
  forecastSchedule: string | undefined;
  /** Principals the ops invoker role trusts; empty means the deploying account's root (IAM then decides). */
  opsPrincipals: string[];
  alertEmail: string | undefined;
  reservedConcurrency: boolean;
  /** OIDC issuers the node agent's role trusts (its service account's tokens). */
  agentOidcIssuers: string[];
  pubsub: { serviceAccount: string; subscription?: string } | undefined;
  eventGridReceiver: boolean;
}

export const DEFAULT_CONFIG_FILE = 'config/demo.json';
export const DEFAULT_FORECAST_SCHEDULE = 'rate(5 minutes)';

const SCHEDULE_EXPRESSION = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;
const PRINCIPAL_ARN = /^arn:aws[\w-]*:(iam|sts)::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+|assumed-role\/.+)$/;

/** Reads and validates the deploy settings; throws an Error naming the variable or the file field. */
export async function loadDeploySettings(env: DeployEnvironment, root: string): Promise<DeploySettings> {
  const configFile = resolve(root, env.AUTOSCALER_CONFIG_FILE || DEFAULT_CONFIG_FILE);
  const resolved = await loadConfigFile(configFile);

  const schedule = (env.AUTOSCALER_FORECAST_SCHEDULE ?? DEFAULT_FORECAST_SCHEDULE).trim();
  if (schedule !== 'off' && !SCHEDULE_EXPRESSION.test(schedule)) {
    throw new Error(`AUTOSCALER_FORECAST_SCHEDULE: '${schedule}' is not rate(N minutes|hours|days), cron(...) or off`);
  }

  const opsPrincipals = (env.AUTOSCALER_OPS_PRINCIPALS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of opsPrincipals) {
    if (!PRINCIPAL_ARN.test(p))
      throw new Error(`AUTOSCALER_OPS_PRINCIPALS: '${p}' is not an IAM role, user or root ARN`);
  }

  const alertEmail = env.AUTOSCALER_ALERT_EMAIL?.trim() || undefined;
  if (alertEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alertEmail)) {
    throw new Error(`AUTOSCALER_ALERT_EMAIL: '${alertEmail}' is not an e-mail address`);
  }

  const reserved = (env.AUTOSCALER_RESERVED_CONCURRENCY ?? 'true').trim().toLowerCase();
  if (reserved !== 'true' && reserved !== 'false') {
    throw new Error(`AUTOSCALER_RESERVED_CONCURRENCY: '${reserved}' is neither true nor false`);
  }
  // Lambda refuses provisioned concurrency above the function's reserved concurrency: said before any resource
  // changes, not by AWS halfway through the deploy.
  const warm = resolved.config.lambda?.interruptionProvisionedConcurrency ?? 0;
  const spotReserved = functionSpec('spot-interruption').reserved;
  if (reserved === 'true' && warm > spotReserved) {
    throw new Error(
      `${configFile}: lambda.interruptionProvisionedConcurrency: ${warm} warm containers, above the ${spotReserved} ` +
        'the spot-interruption function reserves (Lambda refuses more): at most that, or AUTOSCALER_RESERVED_CONCURRENCY=false',
    );
  }

  const agentOidcIssuers = (env.AUTOSCALER_AGENT_OIDC_ISSUERS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const i of agentOidcIssuers) {
    if (!/^https:\/\/[a-z0-9.-]+(:\d+)?(\/[\w.~%-]+)*\/?$/i.test(i))
      throw new Error(`AUTOSCALER_AGENT_OIDC_ISSUERS: '${i}' is not an https:// OIDC issuer URL`);
  }

  const pubsubAccount = env.AUTOSCALER_PUBSUB_SERVICE_ACCOUNT?.trim() || undefined;
  if (pubsubAccount && !/^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(pubsubAccount)) {
    throw new Error(
      `AUTOSCALER_PUBSUB_SERVICE_ACCOUNT: '${pubsubAccount}' is not a service account e-mail (NAME@PROJECT.iam.gserviceaccount.com)`,
    );
  }
  const subscription = env.AUTOSCALER_PUBSUB_SUBSCRIPTION?.trim() || undefined;
  if (
    subscription &&
    !/^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/subscriptions\/[A-Za-z][\w.~+%-]{2,254}$/.test(subscription)
  ) {
    throw new Error(`AUTOSCALER_PUBSUB_SUBSCRIPTION: '${subscription}' is not projects/PROJECT/subscriptions/NAME`);
  }
  if (subscription && !pubsubAccount) {
    throw new Error(
      'AUTOSCALER_PUBSUB_SUBSCRIPTION: set AUTOSCALER_PUBSUB_SERVICE_ACCOUNT too (the receiver needs both)',
    );
  }

  const eventGrid = env.AUTOSCALER_EVENTGRID_RECEIVER?.trim().toLowerCase();
  if (eventGrid !== undefined && eventGrid !== '' && eventGrid !== 'true' && eventGrid !== 'false') {
    throw new Error(`AUTOSCALER_EVENTGRID_RECEIVER: '${eventGrid}' is neither true nor false`);
  }

  return {
    configFile,
    resolved,
    forecastSchedule: schedule === 'off' ? undefined : schedule,
    opsPrincipals,
    alertEmail,
    reservedConcurrency: reserved === 'true',
    agentOidcIssuers,
    pubsub: pubsubAccount ? { serviceAccount: pubsubAccount, ...(subscription ? { subscription } : {}) } : undefined,
    eventGridReceiver: eventGrid === 'true',
  };
}
