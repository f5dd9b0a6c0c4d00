/**
 * Alarm wiring: CloudWatch alarm actions may invoke the alarm function (scoped by alarm ARN), configured
 * SNS topics deliver to it, and alarms declared with a metric and a threshold are created. The pure wiring
 * first, then `sst.config.ts` under Pulumi mocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import type { ConfigInput } from '../../shared/config/schema.ts';
import { ALARM_ACTION_PRINCIPAL, AlarmWiringError, alarmWiring } from '../../stacks/alarm-wiring.ts';
import { FAKE_SECRETS, INFRA_CONFIG, writeConfig } from './support/config.ts';
import {
  MOCK_ACCOUNT,
  PLATFORM_INSTALLED,
  type ProgramRun,
  ofType,
  runSstConfig,
  SKIP_MESSAGE,
} from './support/sst-harness.ts';

if (!PLATFORM_INSTALLED) console.warn(`test/infra/alarms.test.ts skipped: ${SKIP_MESSAGE}`);

const TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:gpu-alarms`;
const AT = { partition: 'aws', region: 'us-east-1', account: MOCK_ACCOUNT };

const WITH_ALARMS: ConfigInput = {
  ...INFRA_CONFIG,
  clouds: {
    ...INFRA_CONFIG.clouds,
    cloudwatch: {
      namespace: 'GpuFleet',
      metrics: { gpu_utilization: { metricName: 'GPUUtilization', labels: { fleet: 'FleetId' } } },
    },
  },
  alarms: [
    { alarm: 'chat-queue-depth-high', fleetId: 'chat', snsTopicArn: TOPIC },
    { alarm: 'chat-gpu-*', fleetId: 'chat' },
    { alarm: 'chat-gpu-hot', fleetId: 'chat', metric: 'gpu_utilization', threshold: 85, evaluationPeriods: 2 },
    { alarm: 'chat-gpu-cold', fleetId: 'chat', metric: 'gpu_utilization', threshold: 20, comparison: 'below' },
  ],
};

describe('alarmWiring', () => {
  const wiring = alarmWiring(parseConfig(WITH_ALARMS), AT);

  it('one permission per alarm, scoped by its ARN (a prefix by an ARN pattern)', () => {
    expect(wiring.permissions.map((p) => p.sourceArn)).toEqual([
      `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:chat-queue-depth-high`,
      `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:chat-gpu-*`,
      `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:chat-gpu-hot`,
      `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:chat-gpu-cold`,
    ]);
    expect(wiring.snsTopics).toEqual([TOPIC]);
  });

  it('creates the alarms with a metric and a threshold, from the CloudWatch mapping', () => {
    expect(wiring.created).toEqual([
      expect.objectContaining({
        name: 'chat-gpu-hot',
        namespace: 'GpuFleet',
        metricName: 'GPUUtilization',
        dimensions: { FleetId: 'chat' },
        statistic: 'Average',
        threshold: 85,
        comparisonOperator: 'GreaterThanThreshold',
        period: 60,
        evaluationPeriods: 2,
      }),
      expect.objectContaining({ name: 'chat-gpu-cold', comparisonOperator: 'LessThanThreshold', evaluationPeriods: 3 }),
    ]);
  });

  it.each([
    [
      'a threshold on a prefix',
      { alarm: 'x-*', fleetId: 'chat', metric: 'gpu_utilization', threshold: 1 },
      'alarms[0].threshold',
    ],
    ['a threshold without a metric', { alarm: 'x', fleetId: 'chat', threshold: 1 }, 'alarms[0].metric'],
  ])('%s is refused with the field', (_name, alarm, path) => {
    const config = parseConfig({ ...WITH_ALARMS, alarms: [alarm] });
    expect(() => alarmWiring(config, AT)).toThrow(AlarmWiringError);
    expect(() => alarmWiring(config, AT)).toThrow(path);
  });

  it('a created alarm needs clouds.cloudwatch', () => {
    const config = parseConfig({
      ...INFRA_CONFIG,
      alarms: [{ alarm: 'x', fleetId: 'chat', metric: 'gpu_utilization', threshold: 1 }],
    });
    expect(() => alarmWiring(config, AT)).toThrow(/clouds.cloudwatch/);
  });
});

describe.skipIf(!PLATFORM_INSTALLED)('alarm wiring in sst.config.ts (offline, Pulumi mocks)', () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runSstConfig({
      stage: 'ci',
      env: { AUTOSCALER_CONFIG_FILE: writeConfig(WITH_ALARMS), ...FAKE_SECRETS },
    });
  }, 120_000);
  const alarmFn = () => ofType(run, 'aws:lambda/function:Function').find((l) => l.name === 'AlarmFunction')!;

  it('CloudWatch alarm actions may invoke the alarm function, alarm by alarm', () => {
    const perms = ofType(run, 'aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === ALARM_ACTION_PRINCIPAL,
    );
    expect(perms.map((p) => p.inputs.sourceArn).sort()).toEqual(
      alarmWiring(parseConfig(WITH_ALARMS), AT)
        .permissions.map((p) => p.sourceArn)
        .sort(),
    );
    for (const p of perms) {
      expect(p.inputs.function).toBe(alarmFn().state.name);
      expect(p.inputs.action).toBe('lambda:InvokeFunction');
      expect(p.inputs.sourceAccount).toBe(MOCK_ACCOUNT);
    }
  });

  it('the configured SNS topic delivers to the alarm function, with a permission scoped to it', () => {
    const subs = ofType(run, 'aws:sns/topicSubscription:TopicSubscription').filter((s) => s.inputs.topic === TOPIC);
    expect(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual([['lambda', alarmFn().state.arn]]);
    const perm = ofType(run, 'aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === 'sns.amazonaws.com',
    );
    expect(perm.map((p) => p.inputs.sourceArn)).toEqual([TOPIC]);
  });

  it('creates the declared alarms, whose actions invoke the function', () => {
    const created = ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) =>
      a.name.startsWith('ConfiguredAlarm-'),
    );
    expect(created.map((a) => a.inputs.name).sort()).toEqual(['chat-gpu-cold', 'chat-gpu-hot']);
    for (const a of created) {
      expect(a.inputs.alarmActions).toEqual([alarmFn().state.arn]);
      expect(a.inputs.okActions).toEqual([alarmFn().state.arn]);
      expect(a.inputs).toMatchObject({
        namespace: 'GpuFleet',
        metricName: 'GPUUtilization',
        dimensions: { FleetId: 'chat' },
      });
    }
  });
});
