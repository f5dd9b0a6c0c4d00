import { execSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { isLoopback } from './support/loopback-guard.ts';

describe('loopback guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['127.3.2.1', true],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['ec2.us-east-1.amazonaws.com', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });

  it('refuses a connection off loopback', async () => {
    await expect(fetch('http://192.0.2.1:8080/')).rejects.toThrow();
    const err = await fetch('http://192.0.2.1:8080/').catch((e: Error) => e);
    expect(String((err as Error & { cause?: Error }).cause?.message)).toMatch(/loopback guard/);
  });

  it('allows 127.0.0.1', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.text()).toBe('ok');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps credentials fake and the SDK off instance metadata', () => {
    expect(process.env.AWS_ACCESS_KEY_ID).toMatch(/FAKE/);
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
  });
});

describe('loopback guard: the other channels', () => {
  const guarded = (e: unknown) => String((e as Error)?.message ?? e);

  it('UDP: a datagram off loopback is refused; one to 127.0.0.1 arrives', async () => {
    const receiver = dgram.createSocket('udp4');
    const sender = dgram.createSocket('udp4');
    try {
      await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
      const got = new Promise<string>((r) => receiver.once('message', (m) => r(String(m))));
      await new Promise<void>((r, j) =>
        sender.send('hi', receiver.address().port, '127.0.0.1', (e) => (e ? j(e) : r())),
      );
      expect(await got).toBe('hi');
      const refused = await new Promise<Error | null>((r) => sender.send('x', 53, '192.0.2.1', (e) => r(e)));
      expect(guarded(refused)).toMatch(/loopback guard: UDP send to 192.0.2.1/);
      const err = new Promise<Error>((r) => sender.once('error', r));
      sender.connect(53, '8.8.8.8');
      expect(guarded(await err)).toMatch(/loopback guard: UDP connect/);
    } finally {
      receiver.close();
      sender.close();
    }
  });

  it('DNS: lookups of other names and every query to a DNS server are refused; localhost resolves', async () => {
    await expect(dns.promises.lookup('example.com')).rejects.toThrow(/loopback guard: DNS lookup of example.com/);
    await expect(dns.promises.resolve4('example.com')).rejects.toThrow(/loopback guard: DNS resolve4/);
    await expect(new dns.promises.Resolver().resolveTxt('example.com')).rejects.toThrow(/loopback guard/);
    const cbError = await new Promise<Error | null>((r) => dns.resolve('example.com', (e) => r(e)));
    expect(guarded(cbError)).toMatch(/loopback guard: DNS resolve/);
    expect((await dns.promises.lookup('localhost')).address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('child processes: Node children run the guard; other programs are refused', () => {
    const child = spawnSync(
      process.execPath,
      ['-e', "fetch('http://192.0.2.1:8080/').catch((e) => { console.log(e.cause?.message); })"],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.stdout).toMatch(/loopback guard/);
    expect(() => spawnSync('curl', ['http://192.0.2.1/'])).toThrow(/loopback guard: spawnSync of 'curl'/);
    expect(() => execSync('curl http://192.0.2.1/')).toThrow(/loopback guard: execSync of 'curl'/);
  });

  it('worker threads: a worker runs the guard before its own code', async () => {
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads'); fetch('http://192.0.2.1:8080/').catch((e) => parentPort.postMessage(String(e.cause?.message)));",
      { eval: true },
    );
    try {
      const message = await new Promise<string>((r) => worker.once('message', r));
      expect(message).toMatch(/loopback guard/);
    } finally {
      await worker.terminate();
    }
  });
});

describe('loopback guard: programs that do not connect', () => {
  it('lets bash check a script without running it, and refuses bash running one', () => {
    expect(() => spawnSync('bash', ['-n', '/dev/null'])).not.toThrow();
    expect(() => spawnSync('bash', ['-c', 'echo hi'])).toThrow(/loopback guard/);
  });
});
