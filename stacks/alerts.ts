/**
 * Dead letters and their alarms. Every function has a dead-letter queue that receives both what
 * EventBridge could not deliver to it (rule target DLQ) and what failed after Lambda's asynchronous retries
 * (on-failure destination); the Scheduler has its own. One alarm per queue fires on the first message and
 * notifies the alerts topic (subscribe an address with `AUTOSCALER_ALERT_EMAIL`, or any SNS subscriber).
 */

/** 14 days, SQS's maximum: time to read, fix and redrive. */
const RETENTION_SECONDS = 14 * 24 * 3600;

export interface DeadLetters {
  queue: aws.sqs.Queue;
  alarm: aws.cloudwatch.MetricAlarm;
}

export function alerts(input: { alertEmail: string | undefined }) {
  const topic = new aws.sns.Topic('Alerts', {});
  if (input.alertEmail) {
    new aws.sns.TopicSubscription('AlertsEmail', { topic: topic.arn, protocol: 'email', endpoint: input.alertEmail });
  }

  /** A dead-letter queue named `<id>DeadLetters` and an alarm on its depth. */
  function deadLetters(id: string, what: string): DeadLetters {
    const queue = new aws.sqs.Queue(`${id}DeadLetters`, {
      messageRetentionSeconds: RETENTION_SECONDS,
      // SQS-managed keys: EventBridge and Scheduler can send to them without a KMS key policy.
      sqsManagedSseEnabled: true,
    });
    const alarm = new aws.cloudwatch.MetricAlarm(`${id}DeadLettersAlarm`, {
      alarmDescription: `Dead letters of ${what}: events that were never acted on. Read them, fix the cause, redrive.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      // Any message at all: a dead letter is a signal the autoscaler missed.
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    });
    return { queue, alarm };
  }

  return { topic, deadLetters };
}
