/**
 * Alarm actions as data: for each configured alarm, the resource-policy permission that lets CloudWatch
 * invoke the alarm function directly (an alarm's Lambda action, principal
 * `lambda.alarms.cloudwatch.amazonaws.com`, scoped by the alarm's ARN, a prefix alarm by an ARN pattern);
 * the alarms to create (those with a `metric` and a `threshold`, their metric read from `clouds.cloudwatch`);
 * and the SNS topics the alarm function subscribes to. Pure: no SST globals; errors name the field.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
 */
import type { Config } from '../shared/config/schema.ts';

export const ALARM_ACTION_PRINCIPAL = 'lambda.alarms.cloudwatch.amazonaws.com';

export interface AlarmPermission {
  /** The alarm name, or the prefix of a `prefix*` mapping. */
  alarm: string;
  /** `arn:...:alarm:NAME`, or `arn:...:alarm:PREFIX*`. */
  sourceArn: string;
}

export interface CreatedAlarm {
  name: string;
  fleetId: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic?: string;
  extendedStatistic?: string;
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold';
  period: number;
  evaluationPeriods: number;
  snsTopicArn?: string;
}

export interface AlarmWiring {
  permissions: AlarmPermission[];
  created: CreatedAlarm[];
  snsTopics: string[];
}

export class AlarmWiringError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'AlarmWiringError';
    this.path = path;
  }
}

const ALARM_NAME = /^[^\s*][^*]{0,254}$/;

export function alarmWiring(config: Config, at: { partition: string; region: string; account: string }): AlarmWiring {
  const arn = (name: string) => `arn:${at.partition}:cloudwatch:${at.region}:${at.account}:alarm:${name}`;
  const permissions: AlarmPermission[] = [];
  const created: CreatedAlarm[] = [];
  const topics = new Set<string>();
  const seen = new Set<string>();
  config.alarms.forEach((a, i) => {
    const path = `alarms[${i}]`;
    const prefix = a.alarm.endsWith('*');
    const name = prefix ? a.alarm.slice(0, -1) : a.alarm;
    if (!ALARM_NAME.test(name))
      throw new AlarmWiringError(`${path}.alarm`, `'${a.alarm}' is not an alarm name (or a prefix ending in *)`);
    if (!seen.has(a.alarm)) {
      seen.add(a.alarm);
      permissions.push({ alarm: a.alarm, sourceArn: arn(prefix ? `${name}*` : name) });
    }
    if (a.snsTopicArn) topics.add(a.snsTopicArn);
    if (a.threshold === undefined) return;
    if (prefix) throw new AlarmWiringError(`${path}.threshold`, 'an alarm created by the deploy needs an exact name');
    if (!a.metric)
      throw new AlarmWiringError(`${path}.metric`, 'an alarm with a threshold needs the metric it watches');
    const cw = config.clouds.cloudwatch;
    if (!cw)
      throw new AlarmWiringError(
        `${path}.metric`,
        `'${a.metric}': a created alarm reads its metric from clouds.cloudwatch, which is not configured`,
      );
    const m = cw.metrics?.[a.metric];
    const stat = m?.stat ?? 'Average';
    const percentile = /^(p|tm|wm|tc|ts)\d/.test(stat);
    created.push({
      name,
      fleetId: a.fleetId,
      namespace: m?.namespace ?? cw.namespace,
      metricName: m?.metricName ?? a.metric,
      dimensions: { [m?.labels?.fleet ?? 'fleet']: a.fleetId },
      ...(percentile ? { extendedStatistic: stat } : { statistic: stat }),
      threshold: a.threshold,
      comparisonOperator: a.comparison === 'below' ? 'LessThanThreshold' : 'GreaterThanThreshold',
      period: a.periodSeconds ?? 60,
      evaluationPeriods: a.evaluationPeriods ?? 3,
      ...(a.snsTopicArn ? { snsTopicArn: a.snsTopicArn } : {}),
    });
  });
  return { permissions, created, snsTopics: [...topics].sort() };
}
