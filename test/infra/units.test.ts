/**
 * The pure parts of the stacks: IAM statements, window schedules, secret names, deploy settings. No SST,
 * no Pulumi: these run on any checkout.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import type { PoolConfig } from '../../shared/config/schema.ts';
import { FUNCTION_SPECS, functionSpec } from '../../stacks/function-specs.ts';
import { MANAGED_TAG, type PolicyContext, statementsFor, UNSCOPABLE_ACTIONS } from '../../stacks/permissions.ts';
import { FORECAST_INPUT, windowSchedules } from '../../stacks/schedule-windows.ts';
import { secretNames } from '../../stacks/secret-names.ts';
import { DEFAULT_FORECAST_SCHEDULE, loadDeploySettings } from '../../stacks/settings.ts';
import { INFRA_CONFIG, writeConfig } from './support/config.ts';

const config = parseConfig(INFRA_CONFIG);
const pools = config.fleets.flatMap((f) => f.pools);
const ctx = (p: readonly PoolConfig[] = pools): PolicyContext => ({
  partition: 'aws',
  account: '123456789012',
  tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/state',
  busArn: 'arn:aws:events:us-east-1:123456789012:event-bus/gpu-autoscaler-ci',
  eventSource: 'gpu-autoscaler',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
  pools: p,
});

describe('statementsFor', () => {
  it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))('%s: named actions; `*` only where unscopable', (_, spec) => {
    for (const s of statementsFor(spec, ctx())) {
      for (const a of s.actions) expect(a, a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      if (s.resources.includes('*')) {
        expect(s.resources).toEqual(['*']);
        for (const a of s.actions) expect(Object.keys(UNSCOPABLE_ACTIONS), a).toContain(a);
      }
    }
  });

  it('resizes only the configured groups, in their own regions, and only when tagged', () => {
    const statements = statementsFor(functionSpec('alarm'), ctx());
    const asg = statements.find((s) => s.actions.includes('autoscaling:SetDesiredCapacity'))!;
    expect(asg.resources).toEqual([
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/chat-g5-od',
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/chat-p5-block',
    ]);
    expect(asg.conditions).toEqual([
      { test: 'StringEquals', variable: `aws:ResourceTag/${MANAGED_TAG}`, values: ['true'] },
    ]);
    const eks = statements.find((s) => s.actions.includes('eks:DescribeUpdate'))!;
    expect(eks.resources).toEqual([
      'arn:aws:eks:us-west-2:123456789012:cluster/chat-eks',
      'arn:aws:eks:us-west-2:123456789012:nodegroup/chat-eks/gpu-ng/*',
    ]);
  });

  it('only the functions that hand drains off may put Drain Requested commands', () => {
    const drainSource = (st: { actions: string[]; conditions?: Array<{ values: string[] }> }) =>
      st.actions.includes('events:PutEvents') &&
      (st.conditions ?? []).some((c) => c.values.includes('autoscaler.drain'));
    const holders = FUNCTION_SPECS.filter((s) => statementsFor(s, ctx()).some(drainSource)).map((s) => s.key);
    expect(holders.sort()).toEqual(['capacity-reservation', 'ops', 'spot-interruption']);
  });

  it('grants nothing for a pool kind the configuration does not use', () => {
    const azureOnly = pools.filter((p) => p.kind === 'azure-vmss');
    const actions = statementsFor(functionSpec('alarm'), ctx(azureOnly)).flatMap((s) => s.actions);
    expect(
      actions.filter((a) => /ModifyFleet|SetDesiredCapacity|UpdateNodegroupConfig|DescribeFleets/.test(a)),
    ).toEqual([]);
  });

  it.each([
    ['only the forecast reads metrics', 'cloudwatch:GetMetricData', ['forecast']],
    ['every function writes state', 'dynamodb:PutItem', FUNCTION_SPECS.map((s) => s.key)],
    // The drain function decides nothing: it completes the decision's audit record, and publishes nothing.
    [
      'every function but the drain function publishes (the spot function its drain commands too)',
      'events:PutEvents',
      FUNCTION_SPECS.filter((s) => s.key !== 'drain').map((s) => s.key),
    ],
  ])('%s', (_, action, expected) => {
    const holders = FUNCTION_SPECS.filter((s) => statementsFor(s, ctx()).some((st) => st.actions.includes(action)));
    expect(holders.map((s) => s.key)).toEqual(expected);
  });

  it('refuses an EKS pool whose resource is not cluster/nodegroup', () => {
    const bad = pools.map((p) => (p.kind === 'eks-nodegroup' ? { ...p, resource: 'gpu-ng' } : p));
    expect(() => statementsFor(functionSpec('alarm'), ctx(bad))).toThrow(/pool eks-ng: .*'cluster\/nodegroup'/);
  });
});

describe('windowSchedules', () => {
  type WindowOverride = { days?: readonly number[]; start?: string; end?: string };
  const window = ({ days, ...over }: WindowOverride) =>
    parseConfig({
      ...INFRA_CONFIG,
      schedules: [
        {
          name: 'w',
          fleets: ['chat'],
          timeZone: 'UTC',
          start: '08:00',
          end: '18:00',
          ...over,
          ...(days ? { days: [...days] } : {}),
        },
      ],
    }).schedules;

  it.each([
    // ISO weekdays 1..5 are Monday..Friday; cron names avoid cron's own Sunday=1 numbering.
    [
      'weekdays',
      { days: [1, 2, 3, 4, 5] },
      'cron(0 8 ? * MON,TUE,WED,THU,FRI *)',
      'cron(0 18 ? * MON,TUE,WED,THU,FRI *)',
    ],
    ['minutes kept', { start: '07:45', end: '19:30', days: [6] }, 'cron(45 7 ? * SAT *)', 'cron(30 19 ? * SAT *)'],
    // Fri 22:00 - Sat 06:00 (and Sat, Sun): the end edge falls on the next day, Sunday wrapping to Monday.
    [
      'wraps midnight',
      { start: '22:00', end: '06:00', days: [5, 6, 7] },
      'cron(0 22 ? * FRI,SAT,SUN *)',
      'cron(0 6 ? * MON,SAT,SUN *)',
    ],
    // start = end: the whole day, midnight to midnight.
    ['whole day', { start: '09:00', end: '09:00', days: [7] }, 'cron(0 0 ? * SUN *)', 'cron(0 0 ? * MON *)'],
  ] as const)('%s', (_, over, start, end) => {
    const [s, e] = windowSchedules(window(over));
    expect([s!.edge, s!.expression, e!.edge, e!.expression]).toEqual(['start', start, 'end', end]);
  });

  it('names are valid Scheduler names, unique, and the input names the window and edge', () => {
    const schedules = windowSchedules(
      parseConfig({
        ...INFRA_CONFIG,
        schedules: [
          { name: 'business hours (EU)', fleets: ['chat'], timeZone: 'Europe/Paris', start: '08:00', end: '18:00' },
          { name: 'business hours [EU]', fleets: ['chat'], timeZone: 'Europe/Paris', start: '09:00', end: '17:00' },
          { name: 'x'.repeat(80), fleets: ['chat'], timeZone: 'UTC', start: '01:00', end: '02:00' },
        ],
      }).schedules,
    );
    const names = schedules.map((s) => s.name);
    for (const n of names) expect(n).toMatch(/^[0-9A-Za-z._-]{1,64}$/);
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, 4)).toEqual([
      'business-hours-EU-start',
      'business-hours-EU-end',
      'business-hours-EU-2-start',
      'business-hours-EU-2-end',
    ]);
    expect(schedules[0]!.input).toMatchObject({ kind: 'schedule', window: 'business hours (EU)', edge: 'start' });
    expect(schedules[0]!.input.scheduleArn).toBe('<aws.scheduler.schedule-arn>');
  });

  it('the forecast input asks for a forecast tick with the Scheduler context', () => {
    expect(FORECAST_INPUT).toEqual({
      kind: 'forecast',
      scheduleArn: '<aws.scheduler.schedule-arn>',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      attemptNumber: '<aws.scheduler.attempt-number>',
    });
  });
});

describe('secretNames', () => {
  it('asks only for the clouds the pools use', () => {
    expect(secretNames(config)).toEqual({
      azure: true,
      gcp: true,
      kubeconfigs: { 'chat-eks': 'KubeconfigChat', 'chat-gke': 'KubeconfigChatGke' },
    });
    const awsOnly = parseConfig({
      ...INFRA_CONFIG,
      clouds: {},
      fleets: [{ id: 'chat', pools: INFRA_CONFIG.fleets[0]!.pools.filter((p) => p.kind === 'ec2-fleet') }],
      alarms: [],
      schedules: [],
    });
    expect(secretNames(awsOnly)).toEqual({ azure: false, gcp: false, kubeconfigs: {} });
  });

  it.each([
    ['not PascalCase', 'kube-config'],
    ['taken by the GCP key', 'GcpServiceAccountKey'],
  ])('refuses a kubeconfig secret name %s', (_, name) => {
    const bad = parseConfig({ ...INFRA_CONFIG, clouds: { kubernetes: { c: { kubeconfigSecret: name } } } });
    expect(() => secretNames(bad)).toThrow(/clouds\.kubernetes\.c\.kubeconfigSecret/);
  });
});

describe('loadDeploySettings', () => {
  const root = path.resolve(import.meta.dirname, '..', '..');

  it('defaults', async () => {
    const file = writeConfig();
    const s = await loadDeploySettings({ AUTOSCALER_CONFIG_FILE: file }, root);
    expect(s).toMatchObject({
      configFile: file,
      forecastSchedule: DEFAULT_FORECAST_SCHEDULE,
      opsPrincipals: [],
      alertEmail: undefined,
      reservedConcurrency: true,
    });
    expect(s.resolved.fleets.map((f) => f.id)).toEqual(['chat']);
  });

  it('reads every variable', async () => {
    const s = await loadDeploySettings(
      {
        AUTOSCALER_CONFIG_FILE: writeConfig(),
        AUTOSCALER_FORECAST_SCHEDULE: 'off',
        AUTOSCALER_OPS_PRINCIPALS: 'arn:aws:iam::123456789012:role/oncall, arn:aws:iam::123456789012:root',
        AUTOSCALER_ALERT_EMAIL: 'oncall@example.com',
        AUTOSCALER_RESERVED_CONCURRENCY: 'false',
      },
      root,
    );
    expect(s).toMatchObject({
      forecastSchedule: undefined,
      opsPrincipals: ['arn:aws:iam::123456789012:role/oncall', 'arn:aws:iam::123456789012:root'],
      alertEmail: 'oncall@example.com',
      reservedConcurrency: false,
    });
  });

  it.each([
    ['a schedule expression', { AUTOSCALER_FORECAST_SCHEDULE: 'every 5 minutes' }, /AUTOSCALER_FORECAST_SCHEDULE/],
    ['a principal', { AUTOSCALER_OPS_PRINCIPALS: 'oncall' }, /AUTOSCALER_OPS_PRINCIPALS: 'oncall'/],
    ['an e-mail address', { AUTOSCALER_ALERT_EMAIL: 'oncall' }, /AUTOSCALER_ALERT_EMAIL/],
    ['a boolean', { AUTOSCALER_RESERVED_CONCURRENCY: 'yes' }, /AUTOSCALER_RESERVED_CONCURRENCY/],
  ])('refuses a malformed %s', async (_, env, message) => {
    await expect(loadDeploySettings({ AUTOSCALER_CONFIG_FILE: writeConfig(), ...env }, root)).rejects.toThrow(message);
  });

  it('refuses an invalid configuration file, naming the file and the field', async () => {
    const file = writeConfig();
    writeFileSync(file, JSON.stringify({ ...INFRA_CONFIG, fleets: [] }));
    await expect(loadDeploySettings({ AUTOSCALER_CONFIG_FILE: file }, root)).rejects.toThrow(`${file}: fleets`);
  });
});
