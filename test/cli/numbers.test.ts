import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../local/cli/io.ts';
import { main } from '../../local/cli/main.ts';
import { REPO_ROOT } from '../events/support.ts';

function fakeIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => '',
    env: {},
    cwd: REPO_ROOT,
  };
}

// Number() reads '0x10' as 16 and ' 5 ' as 5: the command line takes decimal digits only, and refuses the
// rest before anything runs (no stack is started for a usage error).
describe('numbers on the command line are strict', () => {
  it.each([
    ['hex target', ['scale', '--fleet', 'llm-demo', '--target', '0x10', '--reason', 'r'], '--target'],
    ['padded target', ['scale', '--fleet', 'llm-demo', '--target', ' 5 ', '--reason', 'r'], '--target'],
    ['exponent that is no integer', ['scale', '--fleet', 'llm-demo', '--target', '1e-1', '--reason', 'r'], '--target'],
    ['hex seed', ['simulate', '--seed', '0x10'], '--seed'],
    ['padded hours', ['simulate', '--hours', ' 2 '], '--hours'],
  ])('%s is a usage error', async (_, args, option) => {
    const io = fakeIo();
    expect(await main(args, io)).toBe(2);
    expect(io.err.join('\n')).toContain(option);
  });
});
