/**
 * `autoscaler local serve` and `autoscaler local kubeconfig`: the local world served over https with its CA,
 * a kubeconfig any client can use, and the operator commands kept off a world that is being served.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startServing } from '../../local/cli/commands/local.ts';
import { main } from '../../local/cli/main.ts';
import { fakeIo } from './support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'autoscaler-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function get(server: string, ca: string, token: string, p: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server}${p}`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('autoscaler local', () => {
  it('kubeconfig without a serve: not found (1), said on standard error', async () => {
    const io = fakeIo();
    expect(await main(['local', 'kubeconfig', '--state-dir', dir], io)).toBe(1);
    expect(io.err.join('\n')).toContain("start 'autoscaler local serve'");
  });

  it('serve: a kubeconfig whose CA and token reach the cluster; operator commands run on the served world; saved when stopped', async () => {
    const serving = await startServing({ config: 'config/demo.json', stateDir: dir }, fakeIo());
    try {
      const io = fakeIo();
      expect(await main(['local', 'kubeconfig', '--state-dir', dir], io)).toBe(0);
      const kc = YAML.parse(io.out.join('\n')) as {
        clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
        users: Array<{ user: { token: string } }>;
        'current-context': string;
      };
      expect(kc['current-context']).toBe('gpu-demo');
      const { server, 'certificate-authority-data': caData } = kc.clusters[0]!.cluster;
      expect(server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = Buffer.from(caData, 'base64').toString();
      const nodes = await get(server, ca, kc.users[0]!.user.token, '/api/v1/nodes');
      expect(nodes.status).toBe(200);
      expect((nodes.body as { kind: string }).kind).toBe('NodeList');
      // The wrong token is refused, as a real API server does.
      expect((await get(server, ca, 'wrong', '/api/v1/nodes')).status).toBe(401);

      // Operator commands run on the served world: a drain shows at once as the adapter's Events.
      const token = kc.users[0]!.user.token;
      const node = (nodes.body as { items: Array<{ metadata: { name: string } }> }).items[0]!.metadata.name;
      const drain = fakeIo();
      expect(await main(['drain', '--node', node, '--reason', 'bad GPU', '--state-dir', dir], drain)).toBe(0);
      const events = (await get(server, ca, token, '/api/v1/events')).body as {
        items: Array<{ reason: string; involvedObject: { name: string }; source: { component: string } }>;
      };
      expect(events.items.map((e) => [e.reason, e.involvedObject.name, e.source.component])).toContainEqual([
        'Cordoned',
        node,
        'gpu-fleet-autoscaler',
      ]);
      const status = fakeIo();
      expect(await main(['status', '--state-dir', dir, '-o', 'wide'], status)).toBe(0);
      expect(status.out.join('\n')).toContain(node);
      const advance = fakeIo();
      expect(await main(['status', '--state-dir', dir, '--advance', '10m'], advance)).toBe(2);
      expect(advance.err.join('\n')).toContain('is served');
      const unknown = fakeIo();
      expect(await main(['local', 'kubeconfig', '--state-dir', dir, '--cluster', 'nope'], unknown)).toBe(1);
    } finally {
      await serving.close();
    }
    expect(existsSync(path.join(dir, 'serve.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'world.json'))).toBe(true);
  }, 60_000);
});
