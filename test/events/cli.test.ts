import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../local/cli/io.ts';
import { main } from '../../local/cli/main.ts';
import { REPO_ROOT } from './support.ts';

function fakeIo(stdin = ''): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => stdin,
    env: {},
    cwd: REPO_ROOT,
  };
}

const sample = (source: string, name = 'valid') => `events/samples/${source}/${name}.json`;
const tmp = mkdtempSync(path.join(tmpdir(), 'parse-event-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('autoscaler parse-event', () => {
  it('prints the signal as JSON and exits 0', async () => {
    const io = fakeIo();
    expect(await main(['parse-event', sample('aws-spot-interruption')], io)).toBe(0);
    expect(io.err).toEqual([]);
    expect(io.out.join('')).toContain('\n  "type": "interruption"'); // 2-space indent
    expect(JSON.parse(io.out.join(''))).toMatchObject({
      type: 'interruption',
      kind: 'warning',
      deadline: '2025-03-04T10:17:00.000Z',
    });
  });

  it('prints a no-op and exits 0', async () => {
    const io = fakeIo();
    expect(await main(['parse-event', sample('azure-scheduled-events', 'freeze')], io)).toBe(0);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ type: 'no-op' });
  });

  it('prints one line naming the source, the field and what was expected, and exits 2', async () => {
    const io = fakeIo();
    expect(await main(['parse-event', sample('aws-spot-interruption', 'invalid')], io)).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(
      /^autoscaler parse-event: aws\.ec2 \/ EC2 Spot Instance Interruption Warning: invalid event at detail\.instance-action: expected one of "terminate", "stop", "hibernate", got "action"$/,
    );
  });

  it('reads standard input for - and when no file is given', async () => {
    const text = JSON.stringify({ command: 'status', time: '2025-03-04T09:00:00Z' });
    for (const args of [['parse-event', '-'], ['parse-event']]) {
      const io = fakeIo(text);
      expect(await main(args, io)).toBe(0);
      expect(JSON.parse(io.out.join(''))).toMatchObject({ type: 'operator-command', command: 'status' });
    }
  });

  it('exits 2 on text that is not JSON', async () => {
    const io = fakeIo('{"detail-type": ');
    expect(await main(['parse-event', '-'], io)).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(
      /^autoscaler parse-event: stdin: invalid event at \(root\): expected a JSON document, got /,
    );
  });

  it('maps fleets with --context and dates bare documents with --now', async () => {
    const context = path.join(tmp, 'context.json');
    writeFileSync(
      context,
      JSON.stringify({
        dimensions: { AutoScalingGroupName: { 'chat-g5-spot': { fleetId: 'chat', poolId: 'aws-g5-spot' } } },
      }),
    );
    const io = fakeIo();
    expect(await main(['parse-event', '--context', context, sample('aws-cloudwatch-alarm')], io)).toBe(0);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ fleetId: 'chat', poolId: 'aws-g5-spot' });
    const io2 = fakeIo();
    expect(await main(['parse-event', '--now', '2025-03-04T10:15:00Z', sample('azure-scheduled-events')], io2)).toBe(0);
    expect(JSON.parse(io2.out.join(''))).toMatchObject({ time: '2025-03-04T10:15:00.000Z' });
  });

  it.each([
    ['a missing file', ['parse-event', 'events/samples/nope.json'], /cannot read events\/samples\/nope\.json: ENOENT/],
    ['an unknown option', ['parse-event', '--fast', 'x.json'], /unknown option '--fast'/],
    ['two files', ['parse-event', 'a.json', 'b.json'], /too many arguments for 'parse-event'/],
    ['a bad --now', ['parse-event', '--now', 'soon', 'a.json'], /--now soon: not an ISO time/],
  ])('exits 2 on %s', async (_, args, message) => {
    const io = fakeIo();
    expect(await main(args, io)).toBe(2);
    expect(io.err.join('\n')).toMatch(message);
  });

  it('rejects a context file that does not validate', async () => {
    const context = path.join(tmp, 'bad-context.json');
    writeFileSync(context, JSON.stringify({ alarms: { a: { fleet: 'x' } } }));
    const io = fakeIo();
    expect(await main(['parse-event', '--context', context, sample('aws-cloudwatch-alarm')], io)).toBe(2);
    expect(io.err.join('')).toMatch(/--context .*bad-context\.json: alarms\.a/);
  });

  it('works as a real process: exit 0 with JSON, exit 2 with one line', () => {
    const node = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
    const run = (file: string) =>
      spawnSync(node, ['bin/autoscaler.mjs', 'parse-event', file], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
    const ok = run(sample('gcp-preemption-pubsub'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      type: 'interruption',
      cloud: 'gcp',
      instanceIds: ['chat-l4-spot-7x2k'],
    });
    const bad = run(sample('gcp-preemption-pubsub', 'invalid'));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^autoscaler parse-event: gcp\.pubsub: invalid event at message\.data: expected base64-encoded JSON/,
      ),
    ]);
  });
});
