/**
 * Operator commands from the command line: `status`, `plan`, `explain`, `scale`, `pause`, `resume`, `drain`.
 *
 * The same payload goes either to the deployed ops function through Lambda Invoke (`--function NAME`), or,
 * locally, to the same handler running against the cloud emulators and dynalite: the emulated clouds are
 * seeded from the configuration (every pool at its minimum) and the autoscaler's table is kept on disk in
 * `--state-dir` between runs, so a pause or a manual target stays in force for the next command.
 */
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDecimal } from '../../../events/fields.ts';
import type { OpsResult } from '../../../shared/app/ops.ts';
import type { HandlerResult } from '../../../shared/runtime/handler.ts';
import { type CliIo, type Command, UsageError } from '../io.ts';
import { table } from '../table.ts';

const OPTIONS = {
  fleet: { type: 'string' },
  pool: { type: 'string' },
  target: { type: 'string' },
  reason: { type: 'string' },
  actor: { type: 'string' },
  ttl: { type: 'string' },
  'expires-at': { type: 'string' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  function: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = (
  name: string,
) => `usage: autoscaler ${name} [--fleet ID] [--pool ID] [--target N] [--reason TEXT] [--actor WHO]
                  [--ttl 30m|2h|1d | --expires-at ISO] [--node NAME] [--dry-run] [--json]
                  [--function NAME [--region R] | --config FILE [--state-dir DIR]]

  status                   pools, desired and ready nodes, cost per hour, pause and manual target, recent decisions
  plan|explain --fleet ID  the decision the autoscaler would take now, with its reasons (changes nothing)
  scale --fleet ID --target N [--pool ID] --reason TEXT [--ttl 2h]   a manual target, audited
  pause --fleet ID --reason TEXT [--ttl 1h]   hands off: decisions are computed and logged, nothing is applied
  resume --fleet ID --reason TEXT
  drain --node NAME --reason TEXT   cordon a node and evict its pods (PodDisruptionBudgets respected)

  --function NAME  invoke the deployed ops function (Lambda Invoke) instead of running locally
  --config FILE    configuration for a local run (default config/demo.json)
  --actor WHO      who asks (default: $USER); kept in the audit record with --reason`;

function payload(command: string, v: Record<string, string | boolean | undefined>, io: CliIo): Record<string, unknown> {
  const target = v.target === undefined ? undefined : parseDecimal(String(v.target));
  if (v.target !== undefined && (target === undefined || !Number.isInteger(target) || target < 0)) {
    throw new UsageError(`--target must be a whole number >= 0, got '${v.target}'`);
  }
  const out: Record<string, unknown> = { command };
  if (v.fleet) out.fleetId = v.fleet;
  if (v.pool) out.poolId = v.pool;
  if (target !== undefined) out.target = target;
  if (v.reason) out.reason = v.reason;
  const actor = (v.actor as string | undefined) ?? io.env.USER ?? io.env.USERNAME ?? userInfo().username;
  if (actor) out.actor = actor;
  if (v.ttl) out.ttl = v.ttl;
  if (v['expires-at']) out.expiresAt = v['expires-at'];
  if (v.node) out.node = v.node;
  if (v['dry-run']) out.dryRun = true;
  return out;
}

async function invokeRemote(
  fn: string,
  region: string | undefined,
  body: Record<string, unknown>,
): Promise<HandlerResult> {
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient(region ? { region } : {});
  try {
    const out = await client.send(
      new InvokeCommand({ FunctionName: fn, Payload: new TextEncoder().encode(JSON.stringify(body)) }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
    if (out.FunctionError) throw new Error(`the ops function failed (${out.FunctionError}): ${text}`);
    return JSON.parse(text) as HandlerResult;
  } finally {
    client.destroy();
  }
}

async function invokeLocal(
  configPath: string,
  stateDir: string,
  body: Record<string, unknown>,
): Promise<HandlerResult> {
  // Locally the function's logs and EMF metrics would only clutter the terminal.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const [
    { loadConfigFile },
    { World },
    { startLocalStack },
    { seedWorld, seedDeployments },
    { createHandler, localContext },
    { startLocalDynamo },
  ] = await Promise.all([
    import('../../../shared/config/load.ts'),
    import('../../emulators/world.ts'),
    import('../../stack.ts'),
    import('../../seed.ts'),
    import('../../../shared/runtime/handler.ts'),
    import('../../dynalite.ts'),
  ]);
  const resolved = await loadConfigFile(configPath);
  await mkdir(stateDir, { recursive: true });
  const dynamo = await startLocalDynamo({ path: stateDir });
  // Closed whatever fails after it starts: its server would keep the command from exiting, and its LevelDB lock
  // the next command from starting.
  try {
    const world = new World({ start: Date.now() });
    seedWorld(world, resolved);
    const stack = await startLocalStack({ world, resolved, dynamo, clock: () => new Date() });
    try {
      seedDeployments(world, resolved, stack.kubernetes);
      const handler = createHandler({ name: 'ops', deps: async () => stack.deps });
      return (await handler(body, localContext('ops', 5 * 60_000))) as HandlerResult;
    } finally {
      await stack.close();
    }
  } finally {
    await dynamo.close();
  }
}

function print(result: HandlerResult, io: CliIo): void {
  if (result.status === 'rejected') {
    io.stderr(`rejected: ${result.reason}`);
    return;
  }
  if (result.status !== 'ops') {
    io.stdout(JSON.stringify(result, null, 2));
    return;
  }
  const r = result as OpsResult;
  io.stdout(r.message);
  for (const f of r.fleets ?? []) {
    io.stdout('');
    const flags = [
      f.paused
        ? `PAUSED by ${f.paused.by}${f.paused.until ? ` until ${f.paused.until}` : ''} (${f.paused.reason})`
        : '',
      f.manualTarget
        ? `manual target ${f.manualTarget.target}${f.manualTarget.poolId ? ` on ${f.manualTarget.poolId}` : ''} by ${f.manualTarget.by}`
        : '',
    ].filter(Boolean);
    io.stdout(`fleet ${f.fleetId}: $${f.costPerHour.toFixed(2)}/h${flags.length ? `  [${flags.join('; ')}]` : ''}`);
    io.stdout(
      table(
        ['pool', 'cloud', 'kind', 'capacity', 'desired', 'ready', 'min', 'max', '$/node-h'],
        f.pools.map((p) => [
          p.poolId,
          p.cloud,
          p.kind,
          p.capacityType,
          p.error ? `error: ${p.error}` : String(p.desired),
          String(p.ready ?? '-'),
          String(p.min),
          String(p.max),
          p.hourlyPrice.toFixed(3),
        ]),
      ),
    );
    if (f.offeringBackoff.length)
      io.stdout(
        `backed off: ${f.offeringBackoff.map((b) => `${b.poolId}${b.zone ? `/${b.zone}` : ''} until ${b.until} (${b.reason})`).join(', ')}`,
      );
    if (f.recent.length) {
      io.stdout('recent decisions:');
      io.stdout(
        table(
          ['at', 'by', 'signal', 'status', 'target'],
          f.recent.map((a) => [
            a.at,
            a.trigger.actor ?? a.trigger.fn,
            a.trigger.signal,
            a.status,
            String(a.targetNodes ?? '-'),
          ]),
        ),
      );
    }
  }
  if (r.explanation) io.stdout(`\n${r.explanation}`);
  if (r.audit?.outcome.failed.length) {
    io.stdout(`\nfailed: ${r.audit.outcome.failed.map((x) => `${x.poolId ?? ''} ${x.action}: ${x.error}`).join('; ')}`);
  }
}

export function ops(command: string): Command {
  return async (args, io) => {
    let values: Record<string, string | boolean | undefined>;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (values.help) {
      io.stdout(HELP(command));
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (see --help)`);
    const body = payload(command, values, io);
    const result = values.function
      ? await invokeRemote(values.function as string, values.region as string | undefined, body)
      : await invokeLocal(
          resolve(io.cwd, (values.config as string | undefined) ?? 'config/demo.json'),
          resolve(io.cwd, (values['state-dir'] as string | undefined) ?? '.autoscaler/state'),
          body,
        );
    if (values.json) io.stdout(JSON.stringify(result, null, 2));
    else print(result, io);
    if (result.status === 'rejected') return 2;
    if (result.status === 'ops' && !result.ok) return 1;
    return 0;
  };
}
