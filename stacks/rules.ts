/**
 * EventBridge rules (stacks/patterns.ts) on the default bus and on the autoscaler's bus, each targeting its
 * function with a retry policy and the function's dead-letter queue. One queue policy per dead-letter
 * queue lets exactly the rules that target it send to it.
 */
import type { Config } from '../shared/config/schema.ts';
import type { FunctionKey } from './function-specs.ts';
import type { Functions } from './functions.ts';
import { eventRules, type RuleSpec } from './patterns.ts';

/** EventBridge's own retries of a failed delivery (throttled or unavailable Lambda service). */
const DELIVERY_RETRIES = 8;

export interface DeployedRule {
  spec: RuleSpec;
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
  permission: aws.lambda.Permission;
}

export function rules(input: { config: Config; bus: aws.cloudwatch.EventBus; functions: Functions }) {
  const deployed: DeployedRule[] = eventRules(input.config).map((spec) => {
    const { fn, deadLetters, spec: fnSpec, target: invoked } = input.functions[spec.target];
    const eventBusName = spec.bus === 'default' ? 'default' : input.bus.name;
    const rule = new aws.cloudwatch.EventRule(`${spec.id}Rule`, {
      eventBusName,
      description: spec.description,
      eventPattern: JSON.stringify(spec.pattern),
    });
    const target = new aws.cloudwatch.EventTarget(`${spec.id}Target`, {
      eventBusName,
      rule: rule.name,
      // The published version when the function keeps warm containers (only it uses them).
      arn: invoked.arn,
      deadLetterConfig: { arn: deadLetters.queue.arn },
      retryPolicy: {
        maximumRetryAttempts: DELIVERY_RETRIES,
        // EventBridge's minimum is 60 s; an event older than the function's own limit is not worth delivering.
        maximumEventAgeInSeconds: Math.max(60, fnSpec.maxEventAgeSeconds),
      },
    });
    const permission = new aws.lambda.Permission(`${spec.id}Invoke`, {
      action: 'lambda:InvokeFunction',
      function: fn.name,
      ...(invoked.qualifier ? { qualifier: invoked.qualifier } : {}),
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    return { spec, rule, target, permission };
  });

  // One policy per queue (SQS keeps a single policy): the rules targeting that function, and no others.
  const byTarget = new Map<FunctionKey, DeployedRule[]>();
  for (const r of deployed) byTarget.set(r.spec.target, [...(byTarget.get(r.spec.target) ?? []), r]);
  const queuePolicies = [...byTarget].map(([key, targeting]) => {
    const { deadLetters, spec } = input.functions[key];
    return new aws.sqs.QueuePolicy(`${spec.component}DeadLettersPolicy`, {
      queueUrl: deadLetters.queue.url,
      policy: $jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EventBridgeRuleDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: deadLetters.queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': targeting.map((r) => r.rule.arn) } },
          },
        ],
      }),
    });
  });
  return { rules: deployed, queuePolicies };
}
