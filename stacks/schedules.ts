/**
 * EventBridge Scheduler: one forecast schedule per fleet and, per business-hours window edge
 * (stacks/schedule-windows.ts), one schedule per fleet of the window (stacks/fanout.ts), in their own
 * schedule group. Scheduler invokes the functions with its own
 * execution role (allowed to invoke those two functions and to send to its dead-letter queue, nothing
 * else), retries twice, then dead-letters.
 */
import type { DeadLetters } from './alerts.ts';
import type { Functions } from './functions.ts';
import type { DeploySettings } from './settings.ts';
import { fleetWindowSchedules, flexibleWindowMinutes, forecastSchedules } from './fanout.ts';

export function schedules(input: {
  settings: DeploySettings;
  functions: Functions;
  deadLetters: (id: string, what: string) => DeadLetters;
}) {
  const { settings, functions } = input;
  const forecast = functions.forecast;
  const schedule = functions.schedule;
  const account = aws.getCallerIdentityOutput().accountId;

  const group = new aws.scheduler.ScheduleGroup('Schedules', { name: `${$app.name}-${$app.stage}` });
  const deadLetters = input.deadLetters('Scheduler', 'EventBridge Scheduler (forecast and business-hours ticks)');
  const role = new aws.iam.Role('SchedulerRole', {
    assumeRolePolicy: $jsonStringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          // Only schedules of this account (confused-deputy guard).
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        },
      ],
    }),
    inlinePolicies: [
      {
        name: 'invoke-and-dead-letter',
        policy: $jsonStringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [forecast.fn.arn, schedule.fn.arn] },
            { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: deadLetters.queue.arn },
          ],
        }),
      },
    ],
  });

  const target = (arn: $util.Input<string>, inputJson: string, maxAge: number) => ({
    arn,
    roleArn: role.arn,
    input: inputJson,
    deadLetterConfig: { arn: deadLetters.queue.arn },
    retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: maxAge },
  });

  const config = settings.resolved.config;
  const spread = flexibleWindowMinutes(config.fleets.length, config.lambda.fleetConcurrency);
  const flexibleTimeWindow = spread
    ? { mode: 'FLEXIBLE' as const, maximumWindowInMinutes: spread }
    : { mode: 'OFF' as const };

  const forecastSchedules_ = settings.forecastSchedule
    ? forecastSchedules(config).map(
        (f) =>
          new aws.scheduler.Schedule(`ForecastSchedule-${f.name}`, {
            name: f.name,
            groupName: group.name,
            description: `Forecast demand and pre-scale fleet ${f.fleetId}`,
            scheduleExpression: settings.forecastSchedule!,
            flexibleTimeWindow,
            target: target(forecast.fn.arn, JSON.stringify(f.input), forecast.spec.maxEventAgeSeconds),
          }),
      )
    : [];

  const windows = fleetWindowSchedules(config.schedules).map(
    (w) =>
      new aws.scheduler.Schedule(`WindowSchedule-${w.name}`, {
        name: w.name,
        groupName: group.name,
        description: `Business-hours window '${w.window}' of fleet ${w.fleetId}: ${w.input.edge}`,
        scheduleExpression: w.expression!,
        scheduleExpressionTimezone: w.timeZone!,
        flexibleTimeWindow,
        target: target(schedule.fn.arn, JSON.stringify(w.input), schedule.spec.maxEventAgeSeconds),
      }),
  );

  return { group, role, deadLetters, forecastSchedules: forecastSchedules_, windows };
}
