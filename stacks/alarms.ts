/**
 * The alarm function's direct triggers besides the EventBridge rule (stacks/alarm-wiring.ts): CloudWatch
 * alarm actions invoking it (a permission per configured alarm, scoped by its ARN), the alarms the
 * configuration declares with a metric and a threshold (ALARM and OK both invoke the function, and notify the
 * alarm's SNS topic when it has one), and a subscription of the function to each configured SNS topic.
 */
import { ALARM_ACTION_PRINCIPAL, alarmWiring } from './alarm-wiring.ts';
import type { Functions } from './functions.ts';
import type { Config } from '../shared/config/schema.ts';

export function alarms(input: {
  config: Config;
  functions: Functions;
  partition: string;
  region: string;
  account: string;
}) {
  const { fn } = input.functions.alarm;
  const wiring = alarmWiring(input.config, input);
  const permissions = wiring.permissions.map(
    (p, i) =>
      new aws.lambda.Permission(`AlarmActionInvoke${i}`, {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: ALARM_ACTION_PRINCIPAL,
        sourceArn: p.sourceArn,
        sourceAccount: input.account,
      }),
  );
  const created = wiring.created.map((a) => {
    const actions = [fn.arn, ...(a.snsTopicArn ? [a.snsTopicArn] : [])];
    return new aws.cloudwatch.MetricAlarm(`ConfiguredAlarm-${a.name.replace(/[^A-Za-z0-9-]/g, '-')}`, {
      name: a.name,
      alarmDescription: `GPU autoscaler: fleet ${a.fleetId} (from the configuration)`,
      namespace: a.namespace,
      metricName: a.metricName,
      dimensions: a.dimensions,
      ...(a.statistic ? { statistic: a.statistic } : { extendedStatistic: a.extendedStatistic! }),
      threshold: a.threshold,
      comparisonOperator: a.comparisonOperator,
      period: a.period,
      evaluationPeriods: a.evaluationPeriods,
      // No data is no reason to scale: the alarm keeps its state.
      treatMissingData: 'ignore',
      alarmActions: actions,
      okActions: actions,
    });
  });
  const subscriptions = wiring.snsTopics.map((topic, i) => {
    const permission = new aws.lambda.Permission(`AlarmTopicInvoke${i}`, {
      action: 'lambda:InvokeFunction',
      function: fn.name,
      principal: 'sns.amazonaws.com',
      sourceArn: topic,
    });
    const subscription = new aws.sns.TopicSubscription(`AlarmTopicSubscription${i}`, {
      topic,
      protocol: 'lambda',
      endpoint: fn.arn,
    });
    return { permission, subscription };
  });
  return { permissions, created, subscriptions };
}
