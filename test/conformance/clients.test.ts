/**
 * Real clients written by other people against the local world: `kubectl` (Go's client-go) and the AWS CLI
 * (Python's botocore), each driven as a user would, against the emulators served on 127.0.0.1 by
 * `autoscaler local serve` (https with the run's CA through a kubeconfig; the AWS endpoint with fake keys).
 *
 * kubectl: get (server-side printed tables), cordon, drain (the Eviction API), scale, uncordon, and the
 * Events the autoscaler's Kubernetes adapter records, read with `kubectl get events`. AWS CLI:
 * describe-fleets, modify-fleet, set-desired-capacity (and AWS's own error text above the group's maximum),
 * describe-warm-pool, describe-instances, put-events.
 *
 * Each part runs where its client is installed (`.ci/run` installs both from Debian: kubernetes-client,
 * awscli) and says it skipped otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type Serving, startServing } from '../../local/cli/commands/local.ts';
import { createKubernetesAdapters } from '../../shared/adapters/kubernetes/index.ts';
import { fakeIo } from '../cli/support.ts';

const installed = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
};
const haveKubectl = installed('kubectl', ['version', '--client']);
const haveAws = installed('aws', ['--version']);

const dir = mkdtempSync(path.join(tmpdir(), 'autoscaler-conformance-'));
let serving: Serving | undefined;

beforeAll(async () => {
  if (haveKubectl || haveAws) serving = await startServing({ config: 'config/demo.json', stateDir: dir }, fakeIo());
}, 60_000);
afterAll(async () => {
  await serving?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env }, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.skipIf(!haveKubectl)(
  `kubectl against the Kubernetes emulator${haveKubectl ? '' : ' (skipped: kubectl is not installed; apt-get install kubernetes-client)'}`,
  () => {
    const kubectl = (...args: string[]) =>
      run('kubectl', ['--request-timeout=30s', `--cache-dir=${path.join(dir, 'kube-cache')}`, ...args], {
        KUBECONFIG: serving!.info.kubeconfig,
      });

    it("get, cordon, drain, scale and uncordon; the autoscaler's Events in kubectl get events", async () => {
      const nodes = await kubectl('get', 'nodes');
      expect(nodes.stderr).toBe('');
      expect(nodes.code).toBe(0);
      // Server-side printing: the API server's columns, not only NAME and AGE.
      expect(nodes.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
      const node = (await kubectl('get', 'nodes', '-o', 'name')).stdout
        .trim()
        .split('\n')[0]!
        .replace(/^node\//, '');
      expect(node).not.toBe('');

      // The autoscaler's adapter cordons with a reason, through the same kubeconfig kubectl uses.
      const kc = YAML.parse(serving!.kubeconfigText) as {
        clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
        users: Array<{ name: string; user: { token: string } }>;
      };
      const { cluster } = createKubernetesAdapters({
        kubeconfig: {
          clusters: [
            {
              name: kc.clusters[0]!.name,
              server: kc.clusters[0]!.cluster.server,
              caData: kc.clusters[0]!.cluster['certificate-authority-data'],
              skipTLSVerify: false,
            },
          ],
          users: [{ name: 'u', token: kc.users[0]!.user.token }],
          contexts: [{ name: 'c', cluster: kc.clusters[0]!.name, user: 'u' }],
          currentContext: 'c',
        },
      });
      await cluster.cordon(node, 'conformance: spot interruption notice');
      const events = await kubectl('get', 'events', '-A');
      expect(events.code).toBe(0);
      expect(events.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
      expect(events.stdout).toMatch(
        new RegExp(
          `Normal\\s+Cordoned\\s+node/${node.replace(/\./g, '\\.')}\\s+Marked unschedulable: conformance: spot interruption notice`,
        ),
      );
      // Ages are printed by the server from its clock: the Event just written is seconds old, not `<invalid>`.
      expect(events.stdout).not.toContain('<invalid>');
      expect((await kubectl('get', 'nodes')).stdout).toContain('Ready,SchedulingDisabled');

      const drain = await kubectl('drain', node, '--ignore-daemonsets', '--timeout=60s');
      expect(drain.code, drain.stderr).toBe(0);
      expect(drain.stdout).toMatch(/evicted/);
      // kubectl 1.22 and later end with `drained`; older ones (Debian bookworm ships 1.20) with `evicted`.
      expect(drain.stdout).toMatch(new RegExp(`node/${node.replaceAll('.', '\\.')} (drained|evicted)`));

      const scale = await kubectl('scale', '-n', 'inference', 'deployment/llm-server', '--replicas=2');
      expect(scale.code, scale.stderr).toBe(0);
      expect(scale.stdout).toContain('deployment.apps/llm-server scaled');
      const deploy = await kubectl('get', 'deployments', '-n', 'inference');
      expect(deploy.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
      expect(deploy.stdout).toMatch(/llm-server\s+\d\/2/);

      const uncordon = await kubectl('uncordon', node);
      expect(uncordon.code, uncordon.stderr).toBe(0);
      expect((await kubectl('get', 'nodes')).stdout).not.toContain('SchedulingDisabled');
    }, 180_000);
  },
);

describe.skipIf(!haveAws)(
  `the AWS CLI against the AWS emulator${haveAws ? '' : ' (skipped: the AWS CLI is not installed; apt-get install awscli)'}`,
  () => {
    const aws = (...args: string[]) =>
      run('aws', ['--endpoint-url', serving!.info.aws.endpoint, '--output', 'json', ...args], {
        AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
        AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-emulator',
        AWS_DEFAULT_REGION: serving!.info.aws.region,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      });
    const json = (r: Run) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };

    it("describe-fleets and modify-fleet; set-desired-capacity with AWS's error text; describe-warm-pool, describe-instances, put-events", async () => {
      const fleets = json(await aws('ec2', 'describe-fleets')).Fleets as Array<{ FleetId: string }>;
      const fleetId = fleets[0]!.FleetId;
      expect(fleetId).toMatch(/^fleet-/);
      expect(
        json(
          await aws(
            'ec2',
            'modify-fleet',
            '--fleet-id',
            fleetId,
            '--target-capacity-specification',
            'TotalTargetCapacity=2',
          ),
        ).Return,
      ).toBe(true);

      const above = await aws(
        'autoscaling',
        'set-desired-capacity',
        '--auto-scaling-group-name',
        'gpu-demo-g5-ondemand',
        '--desired-capacity',
        '99',
      );
      expect(above.code).not.toBe(0);
      expect(above.stderr).toContain(
        'An error occurred (ValidationError) when calling the SetDesiredCapacity operation: New SetDesiredCapacity value 99 is above max value 32 for the AutoScalingGroup.',
      );
      const set = await aws(
        'autoscaling',
        'set-desired-capacity',
        '--auto-scaling-group-name',
        'gpu-demo-g5-ondemand',
        '--desired-capacity',
        '3',
      );
      expect(set.code, set.stderr).toBe(0);
      const groups = json(
        await aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'gpu-demo-g5-ondemand'),
      ).AutoScalingGroups as Array<{ DesiredCapacity: number }>;
      expect(groups[0]!.DesiredCapacity).toBe(3);

      const warm = json(
        await aws('autoscaling', 'describe-warm-pool', '--auto-scaling-group-name', 'gpu-demo-g5-ondemand'),
      );
      expect(warm.WarmPoolConfiguration).toMatchObject({ PoolState: 'Stopped' });

      const reservations = json(await aws('ec2', 'describe-instances')).Reservations as Array<{
        Instances: Array<{ InstanceType: string }>;
      }>;
      expect(reservations.flatMap((r) => r.Instances).some((i) => i.InstanceType === 'g5.xlarge')).toBe(true);

      const put = json(
        await aws(
          'events',
          'put-events',
          '--entries',
          JSON.stringify([{ Source: 'conformance', DetailType: 'Test', Detail: '{}', EventBusName: 'gpu-autoscaler' }]),
        ),
      );
      expect(put.FailedEntryCount).toBe(0);
    }, 180_000);
  },
);
