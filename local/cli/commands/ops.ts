/**
 * Operator commands from the command line: `status`, `plan`, `explain`, `scale`, `clear-target`, `pause`, `resume`, `drain`,
 * `history`, and `reset` for the local world.
 *
 * The same payload goes either to the deployed ops function through Lambda Invoke (`--function NAME`), or,
 * locally, to the same handler running against the cloud emulators and dynalite. A drain goes from the ops
 * function to the drain function as it does when deployed (a `Drain Requested` command on the bus): locally,
 * the local stack delivers it to the drain function's handler in this process, and the command waits for it. The local world remembers:
 * the emulated clouds (`world.json`) and the autoscaler's table (`table/`) are kept in `--state-dir`
 * (`.autoscaler/` by default) between commands, and the world's clock follows the wall clock (nodes launched
 * by one command are ready some minutes later), or moves ahead with `--advance 10m`.
 *
 * The payload is validated (every issue listed) and, locally, the fleet, pool and configuration checked
 * before any emulator or dynalite starts.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DRAIN_FUNCTION, type DrainFate, drainAnswer, drainFates } from '../../../shared/app/drain-fate.ts';
import type { OpsResult } from '../../../shared/app/ops.ts';
import type { ResolvedConfig } from '../../../shared/config/load.ts';
import type { FleetStatePort } from '../../../shared/state/records.ts';
import type { HandlerResult } from '../../../shared/runtime/handler.ts';
import type { World, WorldSnapshot } from '../../emulators/world.ts';
import { formatAge, type OpsOptions } from '../args.ts';
import { type CliIo, UsageError } from '../io.ts';
import { servingInfo, stateDirError } from '../serving.ts';
import { table } from '../table.ts';

/** Exit codes (main.ts documents them). */
const OK = 0;
const FAILURE = 1;
const USAGE = 2;

export const WORLD_FILE = 'world.json';
export const TABLE_DIR = 'table';

/** The ops function's payload for a command line. */
export function payload(command: string, o: OpsOptions, io: CliIo): Record<string, unknown> {
  const out: Record<string, unknown> = { command };
  if (o.fleet !== undefined) out.fleetId = o.fleet;
  if (o.pool !== undefined) out.poolId = o.pool;
  if (o.target !== undefined) out.target = o.target;
  if (o.reason !== undefined) out.reason = o.reason;
  if (command !== 'history') {
    const actor = o.actor ?? io.env.USER ?? io.env.USERNAME ?? safeUserName();
    if (actor) out.actor = actor;
  }
  if (o.ttl !== undefined) out.ttl = o.ttl;
  if (o.expiresAt !== undefined) out.expiresAt = o.expiresAt;
  if (o.node !== undefined) out.node = o.node;
  if (o.dryRun) out.dryRun = true;
  if (o.history && command === 'history') out.history = o.history;
  return out;
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Every issue the ops function would reject the payload for, as one usage error. */
async function validate(body: Record<string, unknown>): Promise<void> {
  const { OperatorCommandSchema } = await import('../../../events/schemas/ops/operator-command.ts');
  const r = OperatorCommandSchema.safeParse(body);
  if (r.success) return;
  const flag: Record<string, string> = { fleetId: '--fleet', poolId: '--pool', expiresAt: '--expires-at' };
  const lines = r.error.issues.map((i) => {
    const field = String(i.path[0] ?? '');
    const name = i.path.length > 1 ? `--${String(i.path[1])}` : (flag[field] ?? `--${field}`);
    return `${name}: ${i.message}`;
  });
  throw new UsageError(lines.join('; '));
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

/** Unknown fleets and pools are "not found" (exit 1), told before anything starts. */
function checkIds(resolved: ResolvedConfig, body: Record<string, unknown>): string | undefined {
  const fleetId = body.fleetId as string | undefined;
  if (fleetId === undefined) return undefined;
  const fleet = resolved.fleets.find((f) => f.id === fleetId);
  if (!fleet) return `no fleet '${fleetId}' (configured: ${resolved.fleets.map((f) => f.id).join(', ')})`;
  const poolId = body.poolId as string | undefined;
  if (poolId !== undefined && !fleet.pools.some((p) => p.id === poolId))
    return `no pool '${poolId}' in fleet '${fleetId}' (its pools: ${fleet.pools.map((p) => p.id).join(', ')})`;
  return undefined;
}

/** The local world as the last command left it, or a new one seeded from the configuration. */
export async function openWorld(stateDir: string, resolved: ResolvedConfig, now: number): Promise<World> {
  const [{ World }, { seedWorld }] = await Promise.all([import('../../emulators/world.ts'), import('../../seed.ts')]);
  let world: World;
  let text: string | undefined;
  try {
    text = await readFile(join(stateDir, WORLD_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw stateDirError(e, stateDir);
  }
  if (text === undefined) world = new World({ start: now });
  else {
    try {
      world = World.restore(JSON.parse(text) as WorldSnapshot);
    } catch (e) {
      throw new UsageError(
        `${join(stateDir, WORLD_FILE)}: not a saved world (${(e as Error).message}); 'autoscaler reset' starts over`,
      );
    }
  }
  // Pools added to the configuration since are seeded at their minimum; the others keep their state.
  seedWorld(world, resolved);
  // Time has passed since the last command: nodes booting then may be ready now.
  if (world.now() < now) world.advanceTo(now);
  return world;
}

export async function saveWorld(stateDir: string, world: World): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, WORLD_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(world.snapshot()), 'utf8');
  await rename(tmp, file);
}

async function invokeLocal(
  resolved: ResolvedConfig,
  stateDir: string,
  body: Record<string, unknown>,
  advanceSeconds: number | undefined,
): Promise<{ result: HandlerResult; now: number }> {
  // Locally the function's logs and EMF metrics would only clutter the terminal.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const [{ startLocalStack }, { seedDeployments }, { localContext }, { localHandler }, { startLocalDynamo }] =
    await Promise.all([
      import('../../stack.ts'),
      import('../../seed.ts'),
      import('../../../shared/runtime/handler.ts'),
      import('../../handler.ts'),
      import('../../dynalite.ts'),
    ]);
  const serving = await servingInfo(stateDir);
  if (serving) {
    // The world is served: the command runs there, on the live world (which follows the clock by itself).
    if (advanceSeconds)
      throw new UsageError(
        `--advance moves a command's own copy of the world; the world in ${stateDir} is served (pid ${serving.pid}) and follows the clock`,
      );
    const response = await fetch(serving.ops, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { result?: HandlerResult; now?: number; error?: string };
    if (!response.ok || !answer.result) throw new Error(`the served world could not run the command: ${answer.error}`);
    return { result: answer.result, now: answer.now ?? Date.now() };
  }
  const world = await openWorld(stateDir, resolved, Date.now());
  if (advanceSeconds) world.advance(advanceSeconds);
  // The world's clock runs with the wall clock from where it stands (ahead of it after --advance).
  const offset = world.now() - Date.now();
  const clock = () => new Date(Date.now() + offset);
  await mkdir(stateDir, { recursive: true });
  const dynamo = await startLocalDynamo({ path: join(stateDir, TABLE_DIR) });
  // Closed whatever fails after it starts: its server would keep the command from exiting, and its LevelDB lock
  // the next command from starting.
  try {
    // The drains the ops function hands off run here, in this process, through the drain function's own
    // handler (the local stack's bus delivers each command to it): waited for before the world is saved.
    const stack = await startLocalStack({ world, resolved, dynamo, clock, drains: 'invoke' });
    try {
      seedDeployments(world, resolved, stack.kubernetes);
      const handler = localHandler({ trigger: 'ops', deps: async () => stack.deps });
      let result = (await handler(body, localContext('ops', 5 * 60_000))) as HandlerResult;
      await stack.idle();
      result = await drainedBy(stack, result);
      world.advanceTo(Math.max(world.now(), clock().getTime()));
      await saveWorld(stateDir, world);
      return { result, now: world.now() };
    } finally {
      await stack.close();
    }
  } finally {
    await dynamo.close();
  }
}

/**
 * The answer to a command whose drain was handed off (in-process, `invokeLocal`): its decision's audit record
 * as every path completed it, and who drained the node (the drain function, or the ops function itself after
 * its handoff's publish failed), or that the drain is pending on the bus; failed if it failed or was given up.
 */
export async function drainedBy(
  stack: { deps: { store: FleetStatePort }; deadLetters: ReadonlyArray<{ error: string }> },
  result: HandlerResult,
): Promise<HandlerResult> {
  if (result.status !== 'ops' || !result.audit) return result;
  if (!drainFates(result.audit).length) return result;
  const { fleetId, at, eventId } = result.audit;
  const audit = (await stack.deps.store.findAudit(fleetId, at, eventId))?.record ?? result.audit;
  // A command the local bus delivered and the drain function gave up on (dead-lettered) failed there.
  const given = stack.deadLetters.map((d) => d.error);
  const fates = drainFates(audit).map(
    (f): DrainFate =>
      given.length && f.by === DRAIN_FUNCTION && f.state === 'pending'
        ? { ...f, state: 'failed', why: given.join('; ') }
        : f,
  );
  const ok = fates.every((f) => f.state !== 'failed');
  return { ...result, ok: result.ok && ok, message: drainAnswer(audit, fates) ?? result.message, audit };
}

/** Runs an operator command; returns the exit code. */
export async function runOps(command: string, o: OpsOptions, io: CliIo): Promise<number> {
  const body = payload(command, o, io);
  await validate(body);
  let result: HandlerResult;
  // What "now" is for the nodes' ages: the local world's clock, or the wall clock.
  let now = Date.now();
  if (o.function !== undefined) {
    if (o.advanceSeconds !== undefined)
      throw new UsageError('--advance moves the local world only, not with --function');
    result = await invokeRemote(o.function, o.region, body);
  } else {
    const { loadConfigFile } = await import('../../../shared/config/load.ts');
    let resolved: ResolvedConfig;
    try {
      resolved = await loadConfigFile(resolve(io.cwd, o.config));
    } catch (e) {
      // A configuration that cannot be read or does not validate is the caller's to fix.
      throw new UsageError((e as Error).message);
    }
    const missing = checkIds(resolved, body);
    if (missing) {
      io.stderr(`autoscaler ${command}: ${missing}`);
      return FAILURE;
    }
    ({ result, now } = await invokeLocal(resolved, resolve(io.cwd, o.stateDir), body, o.advanceSeconds));
  }
  if (o.json || o.output === 'json') io.stdout(JSON.stringify(result, null, 2));
  else print(result, io, { wide: o.output === 'wide', now });
  if (result.status === 'rejected') return USAGE;
  if (result.status === 'ops' && !result.ok) return FAILURE;
  return OK;
}

/** `autoscaler reset`: forgets the local world and the table (only those). */
export async function resetLocal(o: { stateDir: string; function?: string }, io: CliIo): Promise<number> {
  if (o.function !== undefined) throw new UsageError('reset clears the local world only; it takes no --function');
  const dir = resolve(io.cwd, o.stateDir);
  try {
    await rm(join(dir, WORLD_FILE), { force: true });
    await rm(join(dir, TABLE_DIR), { recursive: true, force: true });
  } catch (e) {
    throw stateDirError(e, o.stateDir);
  }
  io.stdout(`local world reset: ${dir} (the next command seeds every pool at its minimum)`);
  return OK;
}

function print(result: HandlerResult, io: CliIo, opts: { wide: boolean; now: number }): void {
  if (result.status === 'rejected') {
    io.stderr(`rejected: ${result.reason}`);
    return;
  }
  if (result.status !== 'ops') {
    io.stdout(JSON.stringify(result, null, 2));
    return;
  }
  const r = result as OpsResult;
  if (!r.ok) {
    io.stderr(r.message);
    return;
  }
  io.stdout(r.message);
  for (const f of r.fleets ?? []) {
    io.stdout('');
    const flags = [
      f.paused
        ? `PAUSED by ${f.paused.by}${f.paused.until ? ` until ${f.paused.until}` : ''} (${f.paused.reason})`
        : '',
      f.manualTarget
        ? `manual target ${f.manualTarget.target}${f.manualTarget.poolId ? ` on ${f.manualTarget.poolId}` : ''} by ${f.manualTarget.by}${f.manualTarget.until ? ` until ${f.manualTarget.until}` : ''}`
        : '',
    ].filter(Boolean);
    io.stdout(`fleet ${f.fleetId}: $${f.costPerHour.toFixed(2)}/h${flags.length ? `  [${flags.join('; ')}]` : ''}`);
    io.stdout(
      table(
        ['pool', 'cloud', 'kind', 'capacity', 'desired', 'ready', 'min', 'max', '$/node-h', 'ready after'],
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
          p.timeToReadyLearned
            ? `${p.timeToReadyLearned.observed}s (${p.timeToReadyLearned.launches} launches; configured ${p.timeToReadySeconds}s)`
            : `${p.timeToReadySeconds}s`,
        ]),
      ),
    );
    if (opts.wide) {
      io.stdout('nodes:');
      io.stdout(
        f.nodes.length
          ? table(
              ['name', 'instance', 'pool', 'state', 'zone', 'age'],
              f.nodes.map((n) => [
                n.name ?? '-',
                n.instanceId,
                n.poolId,
                n.state,
                n.zone ?? '-',
                n.launchedAt ? formatAge((opts.now - Date.parse(n.launchedAt)) / 1000) : '-',
              ]),
            )
          : '  (none)',
      );
    }
    if (f.offeringBackoff.length)
      io.stdout(
        `backed off: ${f.offeringBackoff.map((b) => `${b.poolId}${b.zone ? `/${b.zone}` : ''} until ${b.until} (${b.reason})`).join(', ')}`,
      );
    if (f.recent.length) {
      io.stdout('recent decisions:');
      io.stdout(historyTable(f.recent, false));
    }
  }
  if (r.history) io.stdout(r.history.length ? historyTable(r.history, true) : '(no audit record matches)');
  if (r.plans && r.plans.length > 1) for (const p of r.plans) io.stdout(`\n== ${p.fleetId}\n${p.explanation}`);
  else if (r.explanation) io.stdout(`\n${r.explanation}`);
  if (r.audit?.outcome.failed.length) {
    io.stdout(`\nfailed: ${r.audit.outcome.failed.map((x) => `${x.poolId ?? ''} ${x.action}: ${x.error}`).join('; ')}`);
  }
}

function historyTable(records: NonNullable<OpsResult['history']>, withFleet: boolean): string {
  return table(
    [...(withFleet ? ['fleet'] : []), 'at', 'trigger', 'actor', 'status', 'nodes', 'reason'],
    records.map((a) => [
      ...(withFleet ? [a.fleetId] : []),
      a.at,
      `${a.trigger.fn}/${a.trigger.signal}`,
      a.trigger.actor ?? '-',
      `${a.status}${a.dryRun && a.status !== 'dry-run' ? ' (dry run)' : ''}${a.failed ? ` (${a.failed} failed)` : ''}`,
      a.targetNodes === undefined ? '-' : `${a.currentNodes ?? '?'}->${a.targetNodes}`,
      a.trigger.reason ?? '-',
    ]),
  );
}
