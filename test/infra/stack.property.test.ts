/**
 * Properties of the whole stack (`sst.config.ts` run under Pulumi's mocks, support/sst-harness.ts) over
 * random deploy settings (test/infra/stack-arbitraries.ts): receivers on or off, reserved concurrency on or
 * off, the forecast schedule (rate, cron, off), ops principals, alert address, agent issuers, and
 * configuration variants (1-3 fleets of any pool kinds, alarms, business-hours windows, warm containers,
 * fleet concurrency, event source).
 *
 * What the README ("Deploy") and the stacks' comments promise, for every combination: every EventBridge
 * rule target, every schedule and every asynchronously invoked function (and the warm version the rules
 * invoke) has a dead-letter queue (stacks/alerts.ts, rules.ts, schedules.ts, functions.ts); no policy has a
 * wildcard action, and a `*` resource only for UNSCOPABLE_ACTIONS (stacks/permissions.ts); the receivers
 * write only their own claims (`dynamodb:LeadingKeys` = `receiver#<kind>`, stacks/receivers.ts) and put only
 * their own sources; every rule reaches its handler with its pattern, one forecast schedule per fleet unless
 * the schedule is off, one window schedule per edge and fleet (stacks/fanout.ts); the receivers exist
 * exactly when their settings say, and concurrency is reserved exactly when `AUTOSCALER_RESERVED_CONCURRENCY`
 * says; invalid settings are refused with an error naming the variable (stacks/settings.ts). Each run
 * evaluates the whole stack (~0.5 s): `PROP_RUNS` sets the runs per property (6 by default). Skips when
 * `.sst/platform` is not installed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.ts';
import type { ConfigInput } from '../../shared/config/schema.ts';
import { CLAIM_PREFIX } from '../../shared/receivers/aws.ts';
import { fleetWindowSchedules, forecastSchedules, reservedFor } from '../../stacks/fanout.ts';
import { FUNCTION_SPECS } from '../../stacks/function-specs.ts';
import { RECEIVER_EVENT_SOURCES } from '../../stacks/ingress-policy.ts';
import { eventRules } from '../../stacks/patterns.ts';
import { UNSCOPABLE_ACTIONS } from '../../stacks/permissions.ts';
import { loadDeploySettings } from '../../stacks/settings.ts';
import { configArb, type Env, expectedSettings, invalidEnv, validEnv } from './stack-arbitraries.ts';
import { FAKE_SECRETS, INFRA_CONFIG, writeConfig } from './support/config.ts';
import {
  type Inputs,
  ofType,
  PLATFORM_INSTALLED,
  type ProgramRun,
  REPO_ROOT,
  runSstConfig,
  SKIP_MESSAGE,
} from './support/sst-harness.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 6) };
const TIMEOUT = 600_000;

if (!PLATFORM_INSTALLED) console.warn(`test/infra/stack.property.test.ts skipped: ${SKIP_MESSAGE}`);

/** The deploy's environment variables of the worker, unset for the runs (each run sets its own). */
const saved: Env = {};
beforeAll(() => {
  for (const k of Object.keys(process.env))
    if (k.startsWith('AUTOSCALER_')) {
      saved[k] = process.env[k]!;
      delete process.env[k];
    }
});
afterAll(() => {
  Object.assign(process.env, saved);
});

const runs = new Map<string, ProgramRun>();
/** Runs the stack for these settings and configuration (once per distinct pair). */
async function stack(env: Env, config: ConfigInput): Promise<ProgramRun> {
  const key = JSON.stringify([env, config]);
  let run = runs.get(key);
  if (!run) {
    run = await runSstConfig({
      stage: 'ci',
      env: { ...FAKE_SECRETS, AUTOSCALER_CONFIG_FILE: writeConfig(config), ...env },
    });
    runs.set(key, run);
  }
  return run;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);
const component = (key: string) => FUNCTION_SPECS.find((s) => s.key === key)!.component;

/** Every policy document the stack creates, with its owner. */
function documents(run: ProgramRun): { owner: string; doc: Inputs }[] {
  const out: { owner: string; doc: Inputs }[] = [];
  for (const role of ofType(run, 'aws:iam/role:Role')) {
    out.push({ owner: `${role.name} trust`, doc: JSON.parse(role.inputs.assumeRolePolicy) });
    for (const p of role.inputs.inlinePolicies ?? []) out.push({ owner: role.name, doc: JSON.parse(p.policy) });
  }
  for (const type of ['aws:sqs/queuePolicy:QueuePolicy', 'aws:iam/rolePolicy:RolePolicy', 'aws:iam/policy:Policy'])
    for (const p of ofType(run, type)) out.push({ owner: p.name, doc: JSON.parse(p.inputs.policy) });
  for (const p of ofType(run, 'aws:cloudwatch/eventBusPolicy:EventBusPolicy'))
    out.push({ owner: p.name, doc: JSON.parse(p.inputs.policy) });
  return out;
}

const settingsAndConfig = fc.record({ env: validEnv, config: configArb() });

describe.skipIf(!PLATFORM_INSTALLED)('the stack over random deploy settings (Pulumi mocks)', () => {
  it(
    'every rule target, schedule and asynchronously invoked function has a dead-letter queue',
    async () => {
      await fc.assert(
        fc.asyncProperty(settingsAndConfig, async ({ env, config }) => {
          const run = await stack(env, config);
          const queues = new Set(ofType(run, 'aws:sqs/queue:Queue').map((q) => q.state.arn as string));
          const targets = ofType(run, 'aws:cloudwatch/eventTarget:EventTarget');
          expect(targets.length).toBeGreaterThan(0);
          for (const t of targets) expect(queues.has(t.inputs.deadLetterConfig?.arn), t.name).toBe(true);
          for (const s of ofType(run, 'aws:scheduler/schedule:Schedule'))
            expect(queues.has(s.inputs.target.deadLetterConfig?.arn), s.name).toBe(true);
          // Each function invoked asynchronously (all but ops) and each version a rule invokes: an on-failure
          // destination that is a dead-letter queue.
          const configs = ofType(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig');
          const lambdas = ofType(run, 'aws:lambda/function:Function');
          const invoked = new Set<string>([
            ...targets.map((t) => t.inputs.arn as string),
            ...ofType(run, 'aws:scheduler/schedule:Schedule').map((s) => s.inputs.target.arn as string),
            ...ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm').flatMap((a) => list(a.inputs.alarmActions)),
            ...ofType(run, 'aws:sns/topicSubscription:TopicSubscription')
              .filter((s) => s.inputs.protocol === 'lambda')
              .map((s) => s.inputs.endpoint as string),
          ]);
          for (const arn of invoked) {
            const fn = lambdas.find((l) => l.state.arn === arn || l.state.qualifiedArn === arn);
            if (!fn) continue; // an SNS topic of an alarm action
            const qualifier = fn.state.arn === arn ? undefined : fn.state.version;
            const c = configs.find(
              (x) => x.inputs.functionName === fn.state.name && (x.inputs.qualifier ?? undefined) === qualifier,
            );
            expect(queues.has(c?.inputs.destinationConfig?.onFailure?.destination), `${arn}`).toBe(true);
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'no policy has a wildcard action, `*` resources only for unscopable actions, receivers write only their claims',
    async () => {
      await fc.assert(
        fc.asyncProperty(settingsAndConfig, async ({ env, config }) => {
          const run = await stack(env, config);
          const docs = documents(run);
          const statements = docs.flatMap(({ owner, doc }) => (doc.Statement as Inputs[]).map((s) => ({ owner, s })));
          const allows = statements.filter(({ s }) => s.Effect !== 'Deny');
          expect(
            allows.flatMap(({ owner, s }) =>
              list(s.Action)
                .filter((a) => a.includes('*'))
                .map((a) => `${owner}: ${a}`),
            ),
          ).toEqual([]);
          expect(
            allows
              .filter(({ s }) => list(s.Resource).includes('*'))
              .flatMap(({ owner, s }) =>
                list(s.Action)
                  .filter((a) => !Object.hasOwn(UNSCOPABLE_ACTIONS, a))
                  .map((a) => `${owner}: ${a}`),
              ),
          ).toEqual([]);
          const table = ofType(run, 'aws:dynamodb/table:Table')[0]!.state.arn;
          for (const kind of ['pubsub', 'eventgrid'] as const) {
            const role = ofType(run, 'aws:iam/role:Role').find(
              (r) => r.name === `${kind === 'pubsub' ? 'Pubsub' : 'Eventgrid'}ReceiverRole`,
            );
            if (!role) continue;
            const own = statements.filter(({ owner }) => owner === role.name).map(({ s }) => s);
            for (const s of own.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')))) {
              expect(list(s.Resource)).toEqual([table]);
              expect(s.Condition).toEqual({
                'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`${CLAIM_PREFIX}${kind}`] },
              });
            }
            for (const s of own.filter((s) => list(s.Action).includes('events:PutEvents')))
              expect(s.Condition).toEqual({ StringEquals: { 'events:source': [...RECEIVER_EVENT_SOURCES[kind]] } });
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'every rule and schedule reaches its handler with its pattern or input',
    async () => {
      await fc.assert(
        fc.asyncProperty(settingsAndConfig, async ({ env, config }) => {
          const run = await stack(env, config);
          const parsed = parseConfig(config);
          const lambdas = ofType(run, 'aws:lambda/function:Function');
          const bus = ofType(run, 'aws:cloudwatch/eventBus:EventBus')[0]!;
          const rules = ofType(run, 'aws:cloudwatch/eventRule:EventRule');
          const specs = eventRules(parsed);
          expect(rules.map((r) => r.name).sort()).toEqual(specs.map((s) => `${s.id}Rule`).sort());
          for (const spec of specs) {
            const rule = rules.find((r) => r.name === `${spec.id}Rule`)!;
            expect(JSON.parse(rule.inputs.eventPattern)).toEqual(spec.pattern);
            expect(rule.inputs.eventBusName).toBe(spec.bus === 'default' ? 'default' : bus.state.name);
            const targets = ofType(run, 'aws:cloudwatch/eventTarget:EventTarget').filter(
              (t) => t.inputs.rule === rule.state.name,
            );
            expect(targets).toHaveLength(1);
            const fn = lambdas.find(
              (l) => l.state.arn === targets[0]!.inputs.arn || l.state.qualifiedArn === targets[0]!.inputs.arn,
            );
            expect(fn?.name).toBe(`${component(spec.target)}Function`);
            const perms = ofType(run, 'aws:lambda/permission:Permission').filter(
              (p) => p.inputs.sourceArn === rule.state.arn,
            );
            expect(perms.map((p) => [p.inputs.principal, p.inputs.function])).toEqual([
              ['events.amazonaws.com', fn!.state.name],
            ]);
          }
          const expected = expectedSettings(env);
          const schedules = ofType(run, 'aws:scheduler/schedule:Schedule');
          const forecasts = schedules.filter((s) => s.name.startsWith('ForecastSchedule-'));
          const forecastFn = lambdas.find((l) => l.name === 'ForecastFunction')!;
          expect(forecasts.map((f) => f.inputs.name)).toEqual(
            expected.forecast ? forecastSchedules(parsed).map((f) => f.name) : [],
          );
          for (const f of forecasts) {
            expect(f.inputs.scheduleExpression).toBe(expected.forecast);
            expect(f.inputs.target.arn).toBe(forecastFn.state.arn);
          }
          const windows = schedules.filter((s) => s.name.startsWith('WindowSchedule-'));
          const scheduleFn = lambdas.find((l) => l.name === 'ScheduleFunction')!;
          expect(windows.map((w) => [w.inputs.name, JSON.parse(w.inputs.target.input).fleetId])).toEqual(
            fleetWindowSchedules(parsed.schedules).map((w) => [w.name, w.fleetId]),
          );
          for (const w of windows) expect(w.inputs.target.arn).toBe(scheduleFn.state.arn);
          // Schedule names are unique in their group.
          const names = schedules.map((s) => s.inputs.name);
          expect(new Set(names).size).toBe(names.length);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'the receivers exist exactly when their settings say; concurrency is reserved exactly when told',
    async () => {
      await fc.assert(
        fc.asyncProperty(settingsAndConfig, async ({ env, config }) => {
          const run = await stack(env, config);
          const parsed = parseConfig(config);
          const expected = expectedSettings(env);
          const lambdas = ofType(run, 'aws:lambda/function:Function');
          const names = lambdas.map((l) => l.name);
          expect(names.includes('PubsubReceiverFunction')).toBe(expected.pubsub);
          expect(names.includes('EventgridReceiverFunction')).toBe(expected.eventgrid);
          expect(run.outputs.pubsubReceiverUrl !== undefined).toBe(expected.pubsub);
          expect(run.outputs.eventGridReceiverUrl !== undefined).toBe(expected.eventgrid);
          expect(lambdas).toHaveLength(FUNCTION_SPECS.length + Number(expected.pubsub) + Number(expected.eventgrid));
          const urls = ofType(run, 'aws:lambda/functionUrl:FunctionUrl');
          expect(urls).toHaveLength(Number(expected.pubsub) + Number(expected.eventgrid));
          // The bus lets each receiver put its own sources, and nobody else's.
          const policy = JSON.parse(ofType(run, 'aws:cloudwatch/eventBusPolicy:EventBusPolicy')[0]!.inputs.policy);
          const receiverStatements = policy.Statement.filter((s: Inputs) => String(s.Sid).startsWith('Receiver'));
          expect(receiverStatements).toHaveLength(Number(expected.pubsub) + Number(expected.eventgrid));
          for (const spec of FUNCTION_SPECS) {
            const fn = lambdas.find((l) => l.name === `${spec.component}Function`)!;
            expect(fn.inputs.reservedConcurrentExecutions, spec.key).toBe(
              expected.reserved ? reservedFor(spec, parsed.lambda) : undefined,
            );
          }
          for (const l of lambdas.filter((l) => l.name.endsWith('ReceiverFunction')))
            expect(l.inputs.reservedConcurrentExecutions).toBe(expected.reserved ? 5 : undefined);
          // Warm containers exactly as configured, on the spot function's published version.
          const warm = ofType(run, 'aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig');
          expect(warm.map((w) => w.inputs.provisionedConcurrentExecutions)).toEqual(
            parsed.lambda.interruptionProvisionedConcurrency > 0
              ? [parsed.lambda.interruptionProvisionedConcurrency]
              : [],
          );
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it('invalid settings are refused with an error naming the variable', async () => {
    await fc.assert(
      fc.asyncProperty(invalidEnv, async ({ env, variable }) => {
        await expect(loadDeploySettings(env, REPO_ROOT)).rejects.toThrow(new RegExp(`^${variable}:`));
      }),
      { numRuns: RUNS.numRuns * 10 },
    );
  });
});

/**
 * Counterexample (shrunk by hand from the random settings): the default settings (reserved concurrency on)
 * and `lambda.interruptionProvisionedConcurrency: 11`, which the configuration schema accepts (0..100).
 * The spot function then reserves 10 (stacks/function-specs.ts) and keeps 11 warm: Lambda refuses provisioned
 * concurrency above the function's reserved concurrency, so the deploy fails at AWS after other resources
 * changed, though stacks/settings.ts promises "a bad file fails the deploy before any resource changes".
 */
describe('fixed: warm containers above the spot function’s reserved concurrency are refused', () => {
  it('the settings are refused before any resource, naming the field; without reserved concurrency they are not', async () => {
    const config = { ...INFRA_CONFIG, lambda: { interruptionProvisionedConcurrency: 11, fleetConcurrency: 10 } };
    await expect(
      loadDeploySettings({ ...FAKE_SECRETS, AUTOSCALER_CONFIG_FILE: writeConfig(config) }, REPO_ROOT),
    ).rejects.toThrow(/lambda\.interruptionProvisionedConcurrency: 11 warm containers, above the 10/);
    await expect(
      loadDeploySettings(
        { ...FAKE_SECRETS, AUTOSCALER_CONFIG_FILE: writeConfig(config), AUTOSCALER_RESERVED_CONCURRENCY: 'false' },
        REPO_ROOT,
      ),
    ).resolves.toBeDefined();
    const ten = { ...INFRA_CONFIG, lambda: { interruptionProvisionedConcurrency: 10, fleetConcurrency: 10 } };
    await expect(
      loadDeploySettings({ ...FAKE_SECRETS, AUTOSCALER_CONFIG_FILE: writeConfig(ten) }, REPO_ROOT),
    ).resolves.toBeDefined();
  });
});
