/**
 * The six functions (stacks/function-specs.ts), each an `sst.aws.Function` on nodejs24.x/arm64 with its own
 * dead-letter queue, least-privilege statements (stacks/permissions.ts) and the configuration file copied
 * into its bundle. Bundles: ESM, minified, tree-shaken, with code splitting so that modules imported
 * lazily (the GCP and Azure clients) stay in chunks a cold start never reads. The AWS SDK is bundled, not
 * taken from the runtime, so what runs is the version the tests ran (bench/bundles.ts measures them).
 */
import { relative } from 'node:path';
import { FUNCTION_SPECS, type FunctionKey, type FunctionSpec } from './function-specs.ts';
import { reservedFor } from './fanout.ts';
import { statementsFor } from './permissions.ts';
import type { CloudSecrets } from './secrets.ts';
import type { DeploySettings } from './settings.ts';
import type { DeadLetters } from './alerts.ts';

/** Where the configuration file lands in each bundle (Lambda's working directory is the bundle root). */
export const CONFIG_PATH_IN_BUNDLE = 'autoscaler.json';
export const LAMBDA_TASK_ROOT = '/var/task';

export interface DeployedFunction {
  spec: FunctionSpec;
  fn: sst.aws.Function;
  deadLetters: DeadLetters;
  /**
   * What triggers invoke: the published version when the function keeps provisioned (warm) containers,
   * since only invocations of that version use them; else the function.
   */
  target: { arn: $util.Output<string>; qualifier?: $util.Output<string> };
}

/** Warm containers per function: the spot-interruption function's, from the configuration. */
export function provisionedFor(spec: FunctionSpec, lambda: { interruptionProvisionedConcurrency: number }): number {
  return spec.key === 'spot-interruption' ? lambda.interruptionProvisionedConcurrency : 0;
}

export type Functions = Record<FunctionKey, DeployedFunction>;

export function functions(input: {
  settings: DeploySettings;
  root: string;
  table: aws.dynamodb.Table;
  bus: aws.cloudwatch.EventBus;
  secrets: CloudSecrets;
  deadLetters: (id: string, what: string) => DeadLetters;
}): Functions {
  const { settings, table, bus, secrets } = input;
  const config = settings.resolved.config;
  const partition = aws.getPartitionOutput().partition;
  const account = aws.getCallerIdentityOutput().accountId;
  const pools = config.fleets.flatMap((f) => f.pools);

  // Every credential is linked (SST encrypts it into the bundle, the function decrypts it at cold start):
  // none is an environment variable, which `lambda:GetFunctionConfiguration` would show in clear.
  const linked = [
    ...(secrets.azure ? [secrets.azure.tenantId, secrets.azure.clientId, secrets.azure.clientSecret] : []),
    ...(secrets.gcp ? [secrets.gcp] : []),
    ...new Set(Object.values(secrets.kubeconfigs)),
  ];

  const out = {} as Functions;
  for (const spec of FUNCTION_SPECS) {
    const deadLetters = input.deadLetters(spec.component, `the ${spec.key} function`);
    const credentials = spec.uses.includes('cloud-credentials');
    const permissions = $resolve([partition, account, table.arn, bus.arn, deadLetters.queue.arn]).apply(
      ([partition, account, tableArn, busArn, deadLetterQueueArn]) =>
        statementsFor(spec, {
          partition,
          account,
          tableArn,
          busArn,
          eventSource: config.events.source,
          deadLetterQueueArn,
          pools,
        }),
    );
    const provisioned = provisionedFor(spec, config.lambda);
    const fn = new sst.aws.Function(spec.component, {
      handler: spec.handler,
      description: spec.description,
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      memory: `${spec.memoryMb} MB`,
      timeout: `${spec.timeoutSeconds} seconds`,
      concurrency:
        settings.reservedConcurrency || provisioned > 0
          ? {
              ...(settings.reservedConcurrency ? { reserved: reservedFor(spec, config.lambda) } : {}),
              ...(provisioned > 0 ? { provisioned } : {}),
            }
          : undefined,
      // Provisioned concurrency lives on a published version.
      ...(provisioned > 0 ? { versioning: true } : {}),
      retries: spec.retries,
      environment: {
        TABLE_NAME: table.name,
        EVENT_BUS_NAME: bus.name,
        AUTOSCALER_CONFIG_FILE: `${LAMBDA_TASK_ROOT}/${CONFIG_PATH_IN_BUNDLE}`,
        // The forecast schedule's period bounds the time between decisions: the engine's lead time reads it.
        AUTOSCALER_FORECAST_SCHEDULE: settings.forecastSchedule ?? 'off',
        POWERTOOLS_SERVICE_NAME: `gpu-autoscaler-${spec.key}`,
        POWERTOOLS_METRICS_NAMESPACE: 'GpuAutoscaler',
      },
      // Secrets only: linking the table or the bus would grant wildcard actions.
      link: credentials ? linked : [],
      permissions,
      copyFiles: [{ from: relative(input.root, settings.configFile), to: CONFIG_PATH_IN_BUNDLE }],
      nodejs: { format: 'esm', minify: true, splitting: true },
      logging: { format: 'json', retention: '1 month' },
      transform: {
        eventInvokeConfig: (args: aws.lambda.FunctionEventInvokeConfigArgs) => {
          args.maximumEventAgeInSeconds = spec.maxEventAgeSeconds;
          args.destinationConfig = { onFailure: { destination: deadLetters.queue.arn } };
          return undefined;
        },
      },
    });
    let target: DeployedFunction['target'] = { arn: fn.arn };
    if (provisioned > 0) {
      const version = fn.nodes.function.version;
      target = { arn: fn.nodes.function.qualifiedArn, qualifier: version };
      // The version's own asynchronous settings (the function's apply to unqualified invocations only).
      new aws.lambda.FunctionEventInvokeConfig(`${spec.component}VersionInvokeConfig`, {
        functionName: fn.name,
        qualifier: version,
        maximumRetryAttempts: spec.retries,
        maximumEventAgeInSeconds: spec.maxEventAgeSeconds,
        destinationConfig: { onFailure: { destination: deadLetters.queue.arn } },
      });
    }
    out[spec.key] = { spec, fn, deadLetters, target };
  }
  return out;
}
