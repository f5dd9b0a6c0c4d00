/**
 * `sst.config.ts` run offline with SST's own components under Pulumi mocks (support/sst-harness.ts): what
 * a deploy would create, checked property by property. Skips when `.sst/platform` is not installed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import { TABLE_KEYS } from '../../shared/state/table.ts';
import { FUNCTION_SPECS, type FunctionKey } from '../../stacks/function-specs.ts';
import { eventRules } from '../../stacks/patterns.ts';
import { UNSCOPABLE_ACTIONS } from '../../stacks/permissions.ts';
import { fleetWindowSchedules, forecastSchedules, reservedFor } from '../../stacks/fanout.ts';
import { windowSchedules } from '../../stacks/schedule-windows.ts';
import { FAKE_SECRETS, INFRA_CONFIG, writeConfig } from './support/config.ts';
import {
  type Inputs,
  MOCK_ACCOUNT,
  PLATFORM_INSTALLED,
  type ProgramRun,
  ofType,
  type RecordedResource,
  runSstConfig,
  SKIP_MESSAGE,
} from './support/sst-harness.ts';

if (!PLATFORM_INSTALLED) console.warn(`test/infra/stacks.test.ts skipped: ${SKIP_MESSAGE}`);

const config = parseConfig(INFRA_CONFIG);

describe.skipIf(!PLATFORM_INSTALLED)('sst.config.ts (offline, Pulumi mocks)', () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runSstConfig({
      stage: 'ci',
      env: { AUTOSCALER_CONFIG_FILE: writeConfig(), AUTOSCALER_FORECAST_SCHEDULE: 'rate(5 minutes)', ...FAKE_SECRETS },
    });
  }, 120_000);

  const lambdas = () => ofType(run, 'aws:lambda/function:Function');
  const byArn = (arn: string) =>
    run.resources.find((r) => r.state.arn === arn || (r.state.version !== '$LATEST' && r.state.qualifiedArn === arn));
  const lambdaOf = (key: FunctionKey) => {
    const spec = FUNCTION_SPECS.find((s) => s.key === key)!;
    return lambdas().find((l) => l.name === `${spec.component}Function`)!;
  };
  const queueArns = () => new Set(ofType(run, 'aws:sqs/queue:Queue').map((q) => q.state.arn as string));

  it('outputs what the README tells operators to use', () => {
    expect(Object.keys(run.outputs).sort()).toEqual(
      [
        '_protect',
        'agentRole',
        'alertsTopic',
        'bus',
        'busArn',
        'eventGridReceiverUrl',
        'pubsubAudience',
        'pubsubReceiverUrl',
        'functionRoles',
        'opsFunction',
        'opsInvokerRole',
        'scheduleGroup',
        'table',
      ].sort(),
    );
    const roles = ofType(run, 'aws:iam/role:Role');
    for (const spec of FUNCTION_SPECS) {
      expect(run.outputs.functionRoles[spec.key]).toBe(
        roles.find((r) => r.name === `${spec.component}Role`)?.state.arn,
      );
    }
  });

  it('needs nothing from the SST CLI beyond bootstrap and builds', () => {
    expect(run.unknownRpc).toEqual([]);
  });

  describe('functions', () => {
    it('creates exactly the six functions, each built from its own handler file', () => {
      expect(run.builds.map((b) => b.handler).sort()).toEqual(FUNCTION_SPECS.map((s) => s.handler).sort());
      expect(lambdas()).toHaveLength(FUNCTION_SPECS.length);
    });

    it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))('%s: handler file exists', (_, spec) => {
      expect(run.builds.find((b) => b.handler === spec.handler)?.fileExists).toBe(true);
    });

    it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))('%s: runtime, architecture, size', (key, spec) => {
      const fn = lambdaOf(key).inputs;
      expect(fn.runtime).toBe('nodejs24.x');
      expect(fn.architectures).toEqual(['arm64']);
      expect(fn.memorySize).toBe(spec.memoryMb);
      expect(fn.timeout).toBe(spec.timeoutSeconds);
      expect(fn.reservedConcurrentExecutions).toBe(reservedFor(spec, config.lambda));
      expect(fn.loggingConfig.logFormat).toBe('JSON');
    });

    it('the spot handler keeps one warm container (provisioned concurrency on its published version)', () => {
      const spot = lambdaOf('spot-interruption');
      expect(spot.inputs.publish).toBe(true);
      const provisioned = ofType(run, 'aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig');
      expect(
        provisioned.map((p) => [p.inputs.functionName, p.inputs.qualifier, p.inputs.provisionedConcurrentExecutions]),
      ).toEqual([[spot.state.name, spot.state.version, 1]]);
      // Its version retries and dead-letters like the function.
      const versionConfig = ofType(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').find(
        (c) => c.inputs.qualifier === spot.state.version && c.inputs.functionName === spot.state.name,
      );
      expect(versionConfig?.inputs.destinationConfig.onFailure.destination).toBe(
        ofType(run, 'aws:sqs/queue:Queue').find((q) => q.name === 'SpotInterruptionDeadLetters')?.state.arn,
      );
      for (const key of FUNCTION_SPECS.map((s) => s.key).filter((k) => k !== 'spot-interruption'))
        expect(lambdaOf(key).inputs.publish, key).not.toBe(true);
    });

    it('the spot handler finishes well inside the two-minute notice', () => {
      // Half the notice at most: EventBridge delivery and a cold start come out of the same two minutes.
      expect(lambdaOf('spot-interruption').inputs.timeout).toBeLessThanOrEqual(60);
    });

    it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))('%s: environment', (key) => {
      const env = lambdaOf(key).inputs.environment.variables as Record<string, string>;
      const table = ofType(run, 'aws:dynamodb/table:Table')[0]!;
      const bus = ofType(run, 'aws:cloudwatch/eventBus:EventBus')[0]!;
      expect(env).toMatchObject({
        TABLE_NAME: table.state.name,
        EVENT_BUS_NAME: bus.state.name,
        AUTOSCALER_CONFIG_FILE: '/var/task/autoscaler.json',
        POWERTOOLS_SERVICE_NAME: `gpu-autoscaler-${key}`,
        POWERTOOLS_METRICS_NAMESPACE: 'GpuAutoscaler',
      });
      // Credentials are linked (encrypted in the bundle), never environment variables.
      expect(Object.keys(env).filter((k) => k.startsWith('AZURE_'))).toEqual([]);
      // Lambda refuses more than 4 KB of environment: the large secrets travel as links.
      expect(Buffer.byteLength(JSON.stringify(env))).toBeLessThan(4096);
    });

    it('copies the configuration into every bundle and links only the secrets', () => {
      for (const b of run.builds) {
        expect(b.copyFiles.map((c) => c.to)).toEqual(['autoscaler.json']);
        expect(Object.keys(b.links).sort()).toEqual([
          'AzureClientId',
          'AzureClientSecret',
          'AzureTenantId',
          'GcpServiceAccountKey',
          'KubeconfigChat',
          'KubeconfigChatGke',
        ]);
        // SST hands the nodejs options and the architecture to its esbuild step as `properties`.
        expect(b.properties).toMatchObject({ format: 'esm', minify: true, splitting: true, architecture: 'arm64' });
      }
    });

    it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))(
      '%s: async failures go to its dead-letter queue',
      (key, spec) => {
        const config = ofType(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').find(
          (c) => c.inputs.functionName === lambdaOf(key).state.name,
        );
        expect(config?.inputs).toMatchObject({
          maximumRetryAttempts: spec.retries,
          maximumEventAgeInSeconds: spec.maxEventAgeSeconds,
        });
        const queue = config!.inputs.destinationConfig.onFailure.destination;
        expect(queue).toBe(
          ofType(run, 'aws:sqs/queue:Queue').find((q) => q.name === `${spec.component}DeadLetters`)?.state.arn,
        );
      },
    );
  });

  describe('EventBridge rules', () => {
    const rules = () => ofType(run, 'aws:cloudwatch/eventRule:EventRule');

    it.each(eventRules(config).map((r) => [r.id, r] as const))(
      '%s reaches its handler with its pattern',
      (id, spec) => {
        const rule = rules().find((r) => r.name === `${id}Rule`)!;
        expect(JSON.parse(rule.inputs.eventPattern)).toEqual(spec.pattern);
        const bus = ofType(run, 'aws:cloudwatch/eventBus:EventBus')[0]!;
        expect(rule.inputs.eventBusName).toBe(spec.bus === 'default' ? 'default' : bus.state.name);

        const targets = ofType(run, 'aws:cloudwatch/eventTarget:EventTarget').filter(
          (t) => t.inputs.rule === rule.state.name,
        );
        expect(targets).toHaveLength(1);
        const target = targets[0]!;
        const fn = byArn(target.inputs.arn)!;
        const build = run.builds.find((b) => `${b.functionID}Function` === fn.name)!;
        expect(build.handler).toBe(`functions/${spec.target}.handler`);

        const permission = ofType(run, 'aws:lambda/permission:Permission').filter(
          (p) => p.inputs.sourceArn === rule.state.arn,
        );
        expect(permission.map((p) => [p.inputs.principal, p.inputs.function])).toEqual([
          ['events.amazonaws.com', fn.state.name],
        ]);
        // A function with warm containers is invoked through its published version (only it uses them).
        const warm = fn.state.version !== '$LATEST';
        expect(target.inputs.arn).toBe(warm ? fn.state.qualifiedArn : fn.state.arn);
        expect(permission[0]!.inputs.qualifier).toBe(warm ? fn.state.version : undefined);
      },
    );

    it('every target has a dead-letter queue, its function’s, that lets that rule send', () => {
      const policies = ofType(run, 'aws:sqs/queuePolicy:QueuePolicy');
      for (const target of ofType(run, 'aws:cloudwatch/eventTarget:EventTarget')) {
        const dlq = target.inputs.deadLetterConfig?.arn;
        expect(queueArns().has(dlq), target.name).toBe(true);
        expect(target.inputs.retryPolicy.maximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
        const queue = ofType(run, 'aws:sqs/queue:Queue').find((q) => q.state.arn === dlq)!;
        const policy = policies.find((p) => p.inputs.queueUrl === queue.state.url)!;
        const rule = rules().find((r) => r.state.name === target.inputs.rule)!;
        const statement = JSON.parse(policy.inputs.policy).Statement[0];
        expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
        expect(statement.Condition.ArnEquals['aws:SourceArn']).toContain(rule.state.arn);
      }
    });

    it('no rule targets the ops function', () => {
      const ops = lambdaOf('ops').state.arn;
      expect(ofType(run, 'aws:cloudwatch/eventTarget:EventTarget').filter((t) => t.inputs.arn === ops)).toEqual([]);
    });
  });

  describe('dead letters', () => {
    it('one queue per function and one for the Scheduler, each with a depth alarm', () => {
      const queues = ofType(run, 'aws:sqs/queue:Queue');
      expect(queues.map((q) => q.name).sort()).toEqual(
        [...FUNCTION_SPECS.map((s) => `${s.component}DeadLetters`), 'SchedulerDeadLetters'].sort(),
      );
      const alarms = ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm');
      const topic = ofType(run, 'aws:sns/topic:Topic')[0]!;
      for (const q of queues) {
        const alarm = alarms.find((a) => a.inputs.dimensions?.QueueName === q.state.name);
        expect(alarm?.inputs, q.name).toMatchObject({
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
          alarmActions: [topic.state.arn],
        });
        expect(q.inputs.sqsManagedSseEnabled).toBe(true);
      }
    });
  });

  describe('IAM', () => {
    function documents(): { owner: string; doc: Inputs }[] {
      const out: { owner: string; doc: Inputs }[] = [];
      for (const role of ofType(run, 'aws:iam/role:Role')) {
        for (const p of role.inputs.inlinePolicies ?? []) out.push({ owner: role.name, doc: JSON.parse(p.policy) });
      }
      for (const p of ofType(run, 'aws:sqs/queuePolicy:QueuePolicy'))
        out.push({ owner: p.name, doc: JSON.parse(p.inputs.policy) });
      for (const p of ofType(run, 'aws:iam/rolePolicy:RolePolicy'))
        out.push({ owner: p.name, doc: JSON.parse(p.inputs.policy) });
      return out;
    }
    const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);

    it('no policy has a wildcard action', () => {
      const wild = documents().flatMap(({ owner, doc }) =>
        doc.Statement.flatMap((s: Inputs) =>
          list(s.Action)
            .filter((a) => a.includes('*'))
            .map((a) => `${owner}: ${a}`),
        ),
      );
      expect(wild).toEqual([]);
    });

    it('a `*` resource only for actions that have no resource type', () => {
      const misuse = documents().flatMap(({ owner, doc }) =>
        doc.Statement.filter((s: Inputs) => list(s.Resource).includes('*')).flatMap((s: Inputs) =>
          list(s.Action)
            .filter((a) => !Object.hasOwn(UNSCOPABLE_ACTIONS, a))
            .map((a) => `${owner}: ${a}`),
        ),
      );
      expect(misuse).toEqual([]);
    });

    it('function roles carry only the basic execution managed policy', () => {
      for (const role of ofType(run, 'aws:iam/role:Role')) {
        for (const arn of role.inputs.managedPolicyArns ?? []) {
          expect(arn, role.name).toBe('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
        }
      }
    });

    it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))('%s: table, bus and pools scoped', (_, spec) => {
      const role = ofType(run, 'aws:iam/role:Role').find((r) => r.name === `${spec.component}Role`)!;
      const statements: Inputs[] = JSON.parse(role.inputs.inlinePolicies[0].policy).Statement;
      const table = ofType(run, 'aws:dynamodb/table:Table')[0]!;
      const bus = ofType(run, 'aws:cloudwatch/eventBus:EventBus')[0]!;
      const find = (action: string) => statements.find((s) => list(s.Action).includes(action));
      expect(find('dynamodb:PutItem')?.Resource).toEqual([table.state.arn]);
      const puts = statements.filter((s) => list(s.Action).includes('events:PutEvents'));
      expect(puts.map((s) => s.Resource)).toEqual(puts.map(() => [bus.state.arn]));
      // Decisions with the configured source; drain commands, by the functions that hand drains off only.
      expect(puts.map((s) => s.Condition)).toEqual([
        ...(spec.uses.includes('publish') ? [{ StringEquals: { 'events:source': ['gpu-autoscaler.test'] } }] : []),
        ...(spec.uses.includes('hand-off-drains') ? [{ StringEquals: { 'events:source': ['autoscaler.drain'] } }] : []),
      ]);
      expect(find('ec2:ModifyFleet')).toMatchObject({
        Resource: [`arn:aws:ec2:us-east-1:${MOCK_ACCOUNT}:fleet/fleet-0123abcd-0000-4000-8000-000000000001`],
        Condition: { StringEquals: { 'aws:ResourceTag/gpu-autoscaler:managed': ['true'] } },
      });
      // Only the configured fleets' own instances may be terminated (the interrupted one), and only by the
      // functions that remove interrupted nodes.
      if (spec.uses.includes('remove-instances'))
        expect(find('ec2:TerminateInstances')).toMatchObject({
          Resource: [`arn:aws:ec2:us-east-1:${MOCK_ACCOUNT}:instance/*`],
          Condition: {
            StringEquals: { 'aws:ResourceTag/aws:ec2:fleet-id': ['fleet-0123abcd-0000-4000-8000-000000000001'] },
          },
        });
      expect(find('eks:UpdateNodegroupConfig')?.Resource).toEqual([
        `arn:aws:eks:us-west-2:${MOCK_ACCOUNT}:nodegroup/chat-eks/gpu-ng/*`,
      ]);
      expect(find('cloudwatch:GetMetricData') !== undefined).toBe(spec.uses.includes('metrics'));
    });
  });

  describe('Scheduler', () => {
    const schedules = () => ofType(run, 'aws:scheduler/schedule:Schedule');

    it('one forecast schedule per fleet, every 5 minutes, its input naming the fleet', () => {
      const forecasts = schedules().filter((s) => s.name.startsWith('ForecastSchedule-'));
      expect(forecasts.map((f) => f.inputs.name)).toEqual(forecastSchedules(config).map((f) => f.name));
      for (const f of forecasts) {
        expect(f.inputs.scheduleExpression).toBe('rate(5 minutes)');
        expect(f.inputs.target.arn).toBe(lambdaOf('forecast').state.arn);
        expect(JSON.parse(f.inputs.target.input)).toMatchObject({ kind: 'forecast', fleetId: 'chat' });
      }
    });

    it('one schedule per window edge and fleet, in the window’s time zone, targeting the schedule function', () => {
      const expected = fleetWindowSchedules(config.schedules);
      const windows = schedules().filter((s) => s.name.startsWith('WindowSchedule-'));
      expect(
        windows.map((w) => [w.inputs.name, w.inputs.scheduleExpression, w.inputs.scheduleExpressionTimezone]),
      ).toEqual(expected.map((e) => [e.name, e.expression, e.timeZone]));
      for (const w of windows) {
        expect(w.inputs.target.arn).toBe(lambdaOf('schedule').state.arn);
        expect(JSON.parse(w.inputs.target.input)).toMatchObject({ kind: 'schedule', fleetId: 'chat' });
      }
      // The same edges as the windows have, once per fleet.
      expect(windows).toHaveLength(windowSchedules(config.schedules).length * 1);
    });

    it('every schedule has a dead-letter queue, and its role may only invoke the two functions and send there', () => {
      const role = ofType(run, 'aws:iam/role:Role').find((r) => r.name === 'SchedulerRole')!;
      const dlq = ofType(run, 'aws:sqs/queue:Queue').find((q) => q.name === 'SchedulerDeadLetters')!;
      for (const s of schedules()) {
        expect(s.inputs.target.deadLetterConfig.arn).toBe(dlq.state.arn);
        expect(s.inputs.target.roleArn).toBe(role.state.arn);
        expect(s.inputs.flexibleTimeWindow).toEqual({ mode: 'OFF' });
      }
      const statements = JSON.parse(role.inputs.inlinePolicies[0].policy).Statement;
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [lambdaOf('forecast').state.arn, lambdaOf('schedule').state.arn],
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq.state.arn },
      ]);
      expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
        Service: 'scheduler.amazonaws.com',
      });
    });
  });

  describe('table', () => {
    it('keys, point-in-time recovery and TTL as configured', () => {
      const tables = ofType(run, 'aws:dynamodb/table:Table');
      expect(tables).toHaveLength(1);
      expect(tables[0]!.inputs).toMatchObject({
        billingMode: 'PAY_PER_REQUEST',
        hashKey: TABLE_KEYS.partitionKey,
        rangeKey: TABLE_KEYS.sortKey,
        pointInTimeRecovery: { enabled: true },
        ttl: { attributeName: TABLE_KEYS.ttlAttribute, enabled: true },
      });
    });
  });

  describe('ops access', () => {
    it('the ops function is invokable only by the ops invoker role, which may invoke nothing else', () => {
      const ops = lambdaOf('ops');
      const invoker = ofType(run, 'aws:iam/role:Role').find((r) => r.name === 'OpsInvoker')!;
      const permissions = ofType(run, 'aws:lambda/permission:Permission').filter(
        (p) => p.inputs.function === ops.state.name,
      );
      expect(permissions.map((p) => p.inputs.principal)).toEqual([invoker.state.arn]);
      expect(JSON.parse(invoker.inputs.inlinePolicies[0].policy).Statement).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: ops.state.arn },
      ]);
    });
  });

  it('secrets live only in the functions', () => {
    const secretValues = Object.values(FAKE_SECRETS);
    const holders = (r: RecordedResource) => secretValues.some((v) => JSON.stringify(r.inputs).includes(v));
    const holding = run.resources.filter(holders).map((r) => r.type);
    // SST's link references only (encrypted into the bundles); no function's configuration holds a value.
    expect([...new Set(holding)].sort()).toEqual(['sst:sst:LinkRef']);
  });
});
