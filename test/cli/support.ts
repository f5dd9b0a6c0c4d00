import type { CliIo } from '../../local/cli/io.ts';
import { REPO_ROOT } from '../events/support.ts';

/** A CliIo that keeps what a command writes. */
export function fakeIo(
  cwd = REPO_ROOT,
  env: Record<string, string> = { USER: 'tester' },
): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => '',
    env,
    cwd,
  };
}
