/**
 * The ops function is invoked directly, never by an event: its resource policy names one IAM role, the
 * ops invoker, and that role may invoke nothing else. Operators (or a CI job) assume the role; who may
 * assume it is `AUTOSCALER_OPS_PRINCIPALS`, or the account, which leaves the choice to IAM policies.
 * Note: a principal of the same account whose own IAM policy allows `lambda:InvokeFunction` on the
 * function can still invoke it (same-account access is the union of both policies): keep such grants off
 * `*`, or add a permissions boundary.
 */
import type { Functions } from './functions.ts';
import type { DeploySettings } from './settings.ts';

export function ops(input: { settings: DeploySettings; functions: Functions }) {
  const { fn } = input.functions.ops;
  const partition = aws.getPartitionOutput().partition;
  const account = aws.getCallerIdentityOutput().accountId;
  const principals =
    input.settings.opsPrincipals.length > 0
      ? input.settings.opsPrincipals
      : [$interpolate`arn:${partition}:iam::${account}:root`];

  const role = new aws.iam.Role('OpsInvoker', {
    description: 'Invokes the GPU autoscaler ops function (and nothing else)',
    maxSessionDuration: 3600,
    assumeRolePolicy: $jsonStringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: principals }, Action: 'sts:AssumeRole' }],
    }),
    inlinePolicies: [
      {
        name: 'invoke-ops',
        policy: $jsonStringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn.arn }],
        }),
      },
    ],
  });
  const permission = new aws.lambda.Permission('OpsInvoke', {
    action: 'lambda:InvokeFunction',
    function: fn.name,
    principal: role.arn,
  });
  return { role, permission };
}
