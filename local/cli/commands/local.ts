/**
 * `autoscaler local serve` and `autoscaler local kubeconfig`: the local world served for other tools.
 *
 * `serve` starts the cloud emulators over the local world (`.autoscaler/world.json`, as the operator commands
 * leave it), one Kubernetes API server per configured cluster (https, with the run's CA) and the AWS Query/JSON
 * endpoint, keeps the world's clock on the wall clock (nodes become ready as time passes) and saves it every
 * few seconds and when stopped (Ctrl-C). It writes a kubeconfig (one context per cluster, trusting the CA
 * through `certificate-authority-data`, a bearer token) beside the world, and `serve.json` with the endpoints.
 * While it serves, the operator commands of the same state directory run on the served world (their payload
 * goes to the ops handler running in `serve`), so what they do shows in kubectl and the AWS CLI at once.
 *
 * `kubeconfig` prints (or writes, `--output`) that kubeconfig while a `serve` runs, so that `kubectl` and
 * other clients talk to the local clusters as to a real one.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { ResolvedConfig } from '../../../shared/config/load.ts';
import type { KubernetesEmulator } from '../../emulators/kubernetes/index.ts';
import { type CliIo, UsageError } from '../io.ts';
import { SERVE_FILE, type ServeInfo, servingInfo } from '../serving.ts';

export const KUBECONFIG_FILE = 'kubeconfig';

/** A kubeconfig (YAML) with one context per cluster; the first cluster's context is current. */
export function kubeconfigYaml(clusters: Map<string, KubernetesEmulator>, stringify: (v: unknown) => string): string {
  const names = [...clusters.keys()];
  if (names.length === 0) throw new Error('the configuration names no Kubernetes cluster');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((name) => ({
      name,
      cluster: {
        server: clusters.get(name)!.server,
        'certificate-authority-data': Buffer.from(clusters.get(name)!.ca).toString('base64'),
      },
    })),
    users: names.map((name) => ({ name: `${name}-user`, user: { token: clusters.get(name)!.token } })),
    contexts: names.map((name) => ({ name, context: { cluster: name, user: `${name}-user`, namespace: 'default' } })),
    'current-context': names[0],
  });
}

export interface Serving {
  info: ServeInfo;
  kubeconfigText: string;
  /** Stops serving: saves the world, closes every server, removes serve.json. */
  close(): Promise<void>;
}

/** Starts serving the local world (see the file comment); `close()` stops it. */
export async function startServing(o: { config: string; stateDir: string }, io: CliIo): Promise<Serving> {
  const stateDir = resolve(io.cwd, o.stateDir);
  const running = await servingInfo(stateDir);
  if (running) throw new UsageError(`the local world in ${stateDir} is already served (pid ${running.pid})`);
  const [
    { loadConfigFile },
    { openWorld, saveWorld, TABLE_DIR },
    { startLocalStack },
    { seedDeployments },
    { startLocalDynamo },
    YAML,
  ] = await Promise.all([
    import('../../../shared/config/load.ts'),
    import('./ops.ts'),
    import('../../stack.ts'),
    import('../../seed.ts'),
    import('../../dynalite.ts'),
    import('yaml'),
  ]);
  let resolved: ResolvedConfig;
  try {
    resolved = await loadConfigFile(resolve(io.cwd, o.config));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const world = await openWorld(stateDir, resolved, Date.now());
  await mkdir(stateDir, { recursive: true });
  const dynamo = await startLocalDynamo({ path: join(stateDir, TABLE_DIR) });
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    // The drains the ops function hands off go to the drain function's handler here, as deployed.
    stack = await startLocalStack({
      world,
      resolved,
      dynamo,
      clock: () => new Date(world.now()),
      fast: false,
      drains: 'invoke',
    });
  } catch (e) {
    await dynamo.close();
    throw e;
  }
  seedDeployments(world, resolved, stack.kubernetes);
  // The operator commands of other processes run here, on this world, through the ops function's handler.
  const [{ localHandler }, { localContext }] = await Promise.all([
    import('../../handler.ts'),
    import('../../../shared/runtime/handler.ts'),
  ]);
  const handler = localHandler({ trigger: 'ops', deps: async () => stack.deps });
  const opsServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        if (req.method !== 'POST' || req.url !== '/ops') throw new Error(`${req.method} ${req.url}: POST /ops only`);
        const result = await handler(
          JSON.parse(Buffer.concat(chunks).toString('utf8')),
          localContext('ops', 5 * 60_000),
        );
        const text = JSON.stringify({ result, now: world.now() });
        res.writeHead(200, { 'content-type': 'application/json' }).end(text);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e) }));
      }
    });
  });
  await new Promise<void>((done, fail) => {
    opsServer.once('error', fail);
    opsServer.listen(0, '127.0.0.1', () => done());
  });
  const kubeconfigText = kubeconfigYaml(stack.kubernetes, (v) => YAML.stringify(v));
  const kubeconfig = join(stateDir, KUBECONFIG_FILE);
  await writeFile(kubeconfig, kubeconfigText, { encoding: 'utf8', mode: 0o600 });
  await chmod(kubeconfig, 0o600);
  const info: ServeInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    kubeconfig,
    clusters: Object.fromEntries([...stack.kubernetes].map(([n, k]) => [n, { server: k.server }])),
    aws: { endpoint: stack.aws.endpoints.ec2, region: resolved.config.clouds.aws?.region ?? 'us-east-1' },
    ops: `http://127.0.0.1:${(opsServer.address() as AddressInfo).port}/ops`,
  };
  await writeFile(join(stateDir, SERVE_FILE), JSON.stringify(info, null, 2), 'utf8');
  // The world follows the wall clock (as between commands) and is saved now and then.
  const offset = world.now() - Date.now();
  let saving = Promise.resolve();
  const tick = setInterval(() => {
    world.advanceTo(Math.max(world.now(), Date.now() + offset));
  }, 1000);
  const save = setInterval(() => {
    saving = saving.then(() => saveWorld(stateDir, world)).catch(() => undefined);
  }, 10_000);
  tick.unref();
  save.unref();
  let closed = false;
  return {
    info,
    kubeconfigText,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      clearInterval(save);
      await saving;
      await new Promise<void>((done) => {
        opsServer.close(() => done());
        opsServer.closeAllConnections();
      });
      await stack.close();
      await dynamo.close();
      await saveWorld(stateDir, world);
      await rm(join(stateDir, SERVE_FILE), { force: true });
    },
  };
}

/** `autoscaler local serve`: serves until SIGINT or SIGTERM. */
export async function runServe(o: { config: string; stateDir: string }, io: CliIo): Promise<number> {
  const serving = await startServing(o, io);
  const { info } = serving;
  io.stdout(
    [
      `serving the local world of ${resolve(io.cwd, o.stateDir)} (pid ${info.pid}); Ctrl-C stops and saves it`,
      ...Object.entries(info.clusters).map(([name, c]) => `  kubernetes ${name}: ${c.server}`),
      `  aws: ${info.aws.endpoint} (region ${info.aws.region}, any access key)`,
      '',
      `  export KUBECONFIG=${info.kubeconfig}`,
      `  kubectl get nodes; kubectl get events -A`,
      `  aws --endpoint-url ${info.aws.endpoint} --region ${info.aws.region} ec2 describe-fleets`,
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await serving.close();
  io.stdout('stopped; the world is saved');
  return 0;
}

/** `autoscaler local kubeconfig`: the running serve's kubeconfig, printed or written to `--output`. */
export async function runKubeconfig(
  o: { stateDir: string; output?: string; cluster?: string },
  io: CliIo,
): Promise<number> {
  const stateDir = resolve(io.cwd, o.stateDir);
  const info = await servingInfo(stateDir);
  if (!info) {
    io.stderr(
      `autoscaler local kubeconfig: nothing serves the local world of ${stateDir}; start 'autoscaler local serve' first`,
    );
    return 1;
  }
  let text = await readFile(info.kubeconfig, 'utf8');
  if (o.cluster !== undefined) {
    if (!info.clusters[o.cluster]) {
      io.stderr(
        `autoscaler local kubeconfig: no cluster '${o.cluster}' (served: ${Object.keys(info.clusters).join(', ')})`,
      );
      return 1;
    }
    const YAML = await import('yaml');
    const doc = YAML.parse(text) as Record<string, unknown>;
    doc['current-context'] = o.cluster;
    text = YAML.stringify(doc);
  }
  if (o.output) {
    await writeFile(resolve(io.cwd, o.output), text, { encoding: 'utf8', mode: 0o600 });
    io.stdout(`wrote ${resolve(io.cwd, o.output)} (current context ${o.cluster ?? Object.keys(info.clusters)[0]})`);
  } else io.stdout(text);
  return 0;
}
