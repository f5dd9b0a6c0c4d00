/**
 * Whether `autoscaler local serve` is serving a state directory's world: its `serve.json` and the process
 * that wrote it. Read by `local` (to refuse a second serve, to print the kubeconfig) and by the operator
 * commands (to run on the served world), each without importing the other.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './io.ts';

export const SERVE_FILE = 'serve.json';

export interface ServeInfo {
  pid: number;
  startedAt: string;
  kubeconfig: string;
  clusters: Record<string, { server: string }>;
  aws: { endpoint: string; region: string };
  /** Where the operator commands send their payload while the world is served (the ops handler runs here). */
  ops: string;
}

/**
 * What a failed read or write under a state directory throws: a state directory that is a file (or under one)
 * is the flag's wrong value, said as such (a usage error naming it, exit 2); any other error as it came.
 */
export function stateDirError(e: unknown, stateDir: string): unknown {
  return (e as NodeJS.ErrnoException).code === 'ENOTDIR'
    ? new UsageError(`--state-dir ${stateDir}: not a directory`)
    : e;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running `serve` of this state directory, if any (a stale file of a stopped one is ignored). */
export async function servingInfo(stateDir: string): Promise<ServeInfo | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, SERVE_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw stateDirError(e, stateDir);
  }
  let info: ServeInfo;
  try {
    info = JSON.parse(text) as ServeInfo;
  } catch {
    return undefined; // a file cut short by a stopped serve: stale
  }
  return typeof info?.pid === 'number' && alive(info.pid) ? info : undefined;
}
