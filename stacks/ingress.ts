/**
 * Who may put events on the autoscaler's bus (stacks/ingress-policy.ts): the node agent's role, the
 * receivers' roles, the functions' roles and the account's rules; the bus's resource policy denies every
 * other principal.
 */
import type { Functions } from './functions.ts';
import { AGENT_EVENT_SOURCES, agentTrustPolicy, busPolicy, putEventsPolicy } from './ingress-policy.ts';
import type { Receiver } from './receivers.ts';
import type { DeploySettings } from './settings.ts';

export function ingress(input: {
  settings: DeploySettings;
  bus: aws.cloudwatch.EventBus;
  functions: Functions;
  receivers: Receiver[];
  eventSource: string;
}) {
  const partition = aws.getPartitionOutput().partition;
  const account = aws.getCallerIdentityOutput().accountId;
  const agentRole = new aws.iam.Role('NodeAgentRole', {
    description: 'The GPU node agent: puts interruption notices on the autoscaler bus, nothing else',
    maxSessionDuration: 3600,
    assumeRolePolicy: $resolve([partition, account]).apply(([partition, account]) =>
      JSON.stringify(agentTrustPolicy({ partition, account, issuers: input.settings.agentOidcIssuers })),
    ),
    inlinePolicies: [
      {
        name: 'put-notices',
        policy: input.bus.arn.apply((arn) => JSON.stringify(putEventsPolicy(arn, AGENT_EVENT_SOURCES))),
      },
    ],
  });
  const functionRoles = Object.values(input.functions).map((f) => f.fn.nodes.role.arn);
  const handoffRoles = Object.values(input.functions)
    .filter((f) => f.spec.uses.includes('hand-off-drains'))
    .map((f) => f.fn.nodes.role.arn);
  const receiverRoles = input.receivers.map((r) => r.fn.nodes.role.arn);
  const policy = new aws.cloudwatch.EventBusPolicy('BusPolicy', {
    eventBusName: input.bus.name,
    policy: $resolve({
      busArn: input.bus.arn,
      account,
      agentRoleArn: agentRole.arn,
      functionRoleArns: $resolve(functionRoles),
      handoffRoleArns: $resolve(handoffRoles),
      receiverRoleArns: $resolve(receiverRoles),
    }).apply(({ busArn, account, agentRoleArn, functionRoleArns, handoffRoleArns, receiverRoleArns }) =>
      JSON.stringify(
        busPolicy({
          busArn,
          account,
          agentRoleArn,
          receivers: input.receivers.map((r, i) => ({ roleArn: receiverRoleArns[i]!, sources: r.sources })),
          functionRoleArns,
          handoffRoleArns,
          eventSource: input.eventSource,
        }),
      ),
    ),
  });
  return { agentRole, policy };
}
