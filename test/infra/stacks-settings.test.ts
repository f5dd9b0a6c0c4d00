/**
 * `sst.config.ts` with the repository's own `config/demo.json` (the default file) and the deploy settings
 * turned the other way: forecast off, no reserved concurrency, named ops principals. Own file: SST's
 * components keep per-process state, so each program run gets a fresh worker.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../stacks/function-specs.ts';
import { FAKE_SECRETS } from './support/config.ts';
import {
  ofType,
  PLATFORM_INSTALLED,
  type ProgramRun,
  REPO_ROOT,
  runSstConfig,
  SKIP_MESSAGE,
} from './support/sst-harness.ts';

const HAS_DEMO = existsSync(path.join(REPO_ROOT, 'config', 'demo.json'));
if (!PLATFORM_INSTALLED) console.warn(`test/infra/stacks-settings.test.ts skipped: ${SKIP_MESSAGE}`);

const ONCALL = 'arn:aws:iam::123456789012:role/oncall';

describe.skipIf(!PLATFORM_INSTALLED || !HAS_DEMO)(
  'sst.config.ts with config/demo.json and non-default settings',
  () => {
    let run: ProgramRun;
    beforeAll(async () => {
      const env: Record<string, string> = {
        AUTOSCALER_FORECAST_SCHEDULE: 'off',
        AUTOSCALER_RESERVED_CONCURRENCY: 'false',
        AUTOSCALER_OPS_PRINCIPALS: ONCALL,
        AUTOSCALER_ALERT_EMAIL: 'oncall@example.com',
        // The demo uses Azure and GCP, and no kubeconfig.
        SST_SECRET_AzureTenantId: FAKE_SECRETS.SST_SECRET_AzureTenantId!,
        SST_SECRET_AzureClientId: FAKE_SECRETS.SST_SECRET_AzureClientId!,
        SST_SECRET_AzureClientSecret: FAKE_SECRETS.SST_SECRET_AzureClientSecret!,
        SST_SECRET_GcpServiceAccountKey: FAKE_SECRETS.SST_SECRET_GcpServiceAccountKey!,
      };
      delete process.env.AUTOSCALER_CONFIG_FILE;
      run = await runSstConfig({ stage: 'staging', env });
    }, 120_000);

    it('reads config/demo.json by default and copies it into every bundle', () => {
      // SST resolves `from` against the app root (and refuses a file that does not exist).
      for (const b of run.builds) {
        expect(b.copyFiles).toEqual([
          { from: path.join(REPO_ROOT, 'config', 'demo.json'), to: 'autoscaler.json', isDir: false },
        ]);
      }
    });

    it('links only the cloud credentials when no kubeconfig is configured', () => {
      for (const b of run.builds)
        expect(Object.keys(b.links).sort()).toEqual([
          'AzureClientId',
          'AzureClientSecret',
          'AzureTenantId',
          'GcpServiceAccountKey',
        ]);
    });

    it('creates no forecast schedule when it is off, and keeps the window schedules', () => {
      const names = ofType(run, 'aws:scheduler/schedule:Schedule').map((s) => s.inputs.name);
      // One per fleet of the window (the demo's one fleet), none for the forecast.
      expect(names).toEqual(['llm-demo.business-hours-start', 'llm-demo.business-hours-end']);
    });

    it('reserves no concurrency when told not to', () => {
      const fns = ofType(run, 'aws:lambda/function:Function');
      expect(fns).toHaveLength(FUNCTION_SPECS.length);
      for (const f of fns) expect(f.inputs.reservedConcurrentExecutions, f.name).toBeUndefined();
    });

    it('the ops invoker trusts the named principals only', () => {
      const role = ofType(run, 'aws:iam/role:Role').find((r) => r.name === 'OpsInvoker')!;
      expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
        { Effect: 'Allow', Principal: { AWS: [ONCALL] }, Action: 'sts:AssumeRole' },
      ]);
    });

    it('subscribes the alert address to the dead-letter alarms’ topic', () => {
      const [sub] = ofType(run, 'aws:sns/topicSubscription:TopicSubscription');
      expect(sub?.inputs).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.com' });
    });

    it('filters the alarm rule on the demo’s alarm names', () => {
      const rule = ofType(run, 'aws:cloudwatch/eventRule:EventRule').find((r) => r.name === 'AlarmStateChangeRule')!;
      expect(JSON.parse(rule.inputs.eventPattern).detail).toEqual({
        alarmName: ['llm-demo-gpu-utilization-high', 'llm-demo-gpu-utilization-low'],
      });
    });

    it('a stage other than production can be removed with its table', () => {
      const [table] = ofType(run, 'aws:dynamodb/table:Table');
      expect(table?.inputs.deletionProtectionEnabled).toBe(false);
    });
  },
);
