/**
 * The `autoscaler` command line: help, version, exit codes and flag checks (all before anything starts: a
 * rejected command creates no state directory, starts no emulator and no dynalite), for every command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { joinNegativeValues, main } from '../../local/cli/main.ts';
import { REPO_ROOT } from '../events/support.ts';
import { fakeIo } from './support.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'autoscaler-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COMMANDS = [
  'simulate',
  'parse-event',
  'status',
  'plan',
  'explain',
  'scale',
  'pause',
  'resume',
  'drain',
  'history',
  'reset',
  'advise',
];

describe('autoscaler: conventions', () => {
  it('--version prints the package version, exit 0', async () => {
    const io = fakeIo();
    expect(await main(['--version'], io)).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(io.out.join('').trim()).toBe(version);
  });

  it('no command: the usage on standard error, exit 2; --help: on standard output, exit 0', async () => {
    const io = fakeIo();
    expect(await main([], io)).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toMatch(/Usage: autoscaler/);
    const help = fakeIo();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.err).toEqual([]);
    const text = help.out.join('');
    for (const c of COMMANDS) expect(text).toContain(c);
    expect(text).toMatch(/Exit codes[\s\S]*0 +success[\s\S]*1 +failure or not found[\s\S]*2 +usage error/);
  });

  it('an unknown command is a usage error on standard error', async () => {
    const io = fakeIo();
    expect(await main(['scael'], io)).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toMatch(/unknown command 'scael'/);
  });

  it.each(COMMANDS.filter((c) => c !== 'simulate'))('%s --help: its own text with examples, exit 0', async (c) => {
    const io = fakeIo();
    expect(await main([c, '--help'], io)).toBe(0);
    const text = io.out.join('');
    expect(text).toMatch(new RegExp(`Usage: autoscaler ${c}`));
    expect(text).toMatch(new RegExp(`Examples:\\n {2}\\$ autoscaler ${c}`));
  });

  it('status, scale and history have different help', async () => {
    const texts = await Promise.all(
      ['status', 'scale', 'history'].map(async (c) => {
        const io = fakeIo();
        await main([c, '--help'], io);
        return io.out.join('');
      }),
    );
    expect(new Set(texts).size).toBe(3);
    expect(texts[0]).toMatch(/-o, --output/);
    expect(texts[1]).toMatch(/--target <n>/);
    expect(texts[2]).toMatch(/--since <time>/);
  });
});

describe('autoscaler: rejected before anything starts (exit 2, nothing created)', () => {
  const stateDir = path.join(tmp, 'never');
  it.each([
    ['scale without --reason', ['scale', '--fleet', 'llm-demo', '--target', '3'], /required option '--reason <text>'/],
    ['scale without --target', ['scale', '--fleet', 'llm-demo', '--reason', 'x'], /required option '--target <n>'/],
    [
      'a negative target',
      ['scale', '--fleet', 'llm-demo', '--target', '-3', '--reason', 'x'],
      /'-3' is invalid\. expected a whole number >= 0/,
    ],
    [
      'a fractional target',
      ['scale', '--fleet', 'llm-demo', '--target', '2.5', '--reason', 'x'],
      /expected a whole number >= 0/,
    ],
    [
      'a bad ttl',
      ['scale', '--fleet', 'llm-demo', '--target', '3', '--reason', 'x', '--ttl', '5x'],
      /--ttl: a duration such as 90s/,
    ],
    [
      'ttl and expires-at',
      ['pause', '--fleet', 'llm-demo', '--reason', 'x', '--ttl', '1h', '--expires-at', '2030-01-01T00:00:00Z'],
      /--ttl: either ttl or expiresAt/,
    ],
    ['drain without --node', ['drain', '--reason', 'x'], /required option '--node <name>'/],
    ['pause without --fleet', ['pause', '--reason', 'x'], /required option '--fleet <id>'/],
    ['a negative limit', ['history', '--limit', '-5'], /'-5' is invalid\. expected a whole number from 1 to 1000/],
    ['a bad --since', ['history', '--since', 'yesterday'], /--since must be an ISO time or an age/],
    ['since after until', ['history', '--since', '1h', '--until', '2h'], /--since 1h is after --until 2h/],
    ['a bad output', ['status', '-o', 'yaml'], /argument 'yaml' is invalid/],
    ['a bad --advance', ['status', '--advance', 'soon'], /--advance must be a duration/],
    [
      '--advance with --function',
      ['status', '--advance', '10m', '--function', 'ops'],
      /--advance moves the local world only/,
    ],
    ['an unknown option', ['status', '--fast'], /unknown option '--fast'/],
    ['a configuration that is not there', ['status', '--config', 'nope.json'], /nope\.json/],
  ])('%s', async (_, args, message) => {
    const io = fakeIo();
    expect(await main([...args, '--state-dir', stateDir], io)).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err.join('\n')).toMatch(message);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('an unknown fleet or pool is "not found": exit 1, nothing started', async () => {
    for (const args of [
      ['plan', '--fleet', 'nope'],
      ['scale', '--fleet', 'llm-demo', '--pool', 'nope', '--target', '1', '--reason', 'x'],
    ]) {
      const io = fakeIo();
      expect(await main([...args, '--state-dir', stateDir], io)).toBe(1);
      expect(io.err.join('')).toMatch(/no (fleet|pool) 'nope'/);
      expect(existsSync(stateDir)).toBe(false);
    }
  });

  it('simulate: a missing file is a usage error; a negative number is parsed and refused clearly', async () => {
    const io = fakeIo();
    expect(await main(['simulate', '--trace', 'nope.csv'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/--trace: cannot read nope\.csv/);
    const io2 = fakeIo();
    expect(await main(['simulate', '--hours', '-3'], io2)).toBe(2);
    expect(io2.err.join('')).toMatch(/--hours must be a number of hours > 0 and <= 744, got '-3'/);
    expect(io2.err.join('')).not.toMatch(/ambiguous/);
  });

  it('joins a negative value to its flag for parsers that would take it for a flag', () => {
    expect(joinNegativeValues(['--hours', '-3', '--seed', '2', '--json'])).toEqual([
      '--hours=-3',
      '--seed',
      '2',
      '--json',
    ]);
    expect(joinNegativeValues(['--json', '-h'])).toEqual(['--json', '-h']);
  });
});
