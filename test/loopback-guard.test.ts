import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
