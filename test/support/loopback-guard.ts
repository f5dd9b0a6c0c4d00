/**
 * Loaded before every test file (vitest setupFiles): any connection to an address off loopback fails the
 * test, credentials are fake, and the AWS SDK is kept off the instance metadata service.
 */
import net from 'node:net';

process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKEFAKE';
process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key-for-tests-only';
process.env.AWS_SESSION_TOKEN = '';
delete process.env.AWS_SESSION_TOKEN;
process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_PROFILE = '';
delete process.env.AWS_PROFILE;
process.env.POWERTOOLS_DEV = 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
delete process.env.HTTP_PROXY;
delete process.env.HTTPS_PROXY;
delete process.env.http_proxy;
delete process.env.https_proxy;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0:0:0:0:0:0:0:1']);

export function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === '') return true; // Node defaults to localhost
  if (LOOPBACK_NAMES.has(host)) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  if (/^::ffff:127\./i.test(host)) return true;
  return false;
}

const original = net.Socket.prototype.connect;
// biome-ignore lint/suspicious/noExplicitAny: mirrors net.Socket#connect's overloads
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: any[]) {
  const first = args[0];
  let host: string | undefined;
  let path: string | undefined;
  if (Array.isArray(first)) {
    // Internal normalized form: [options, callback]
    host = first[0]?.host;
    path = first[0]?.path;
  } else if (typeof first === 'object' && first !== null) {
    host = first.host;
    path = first.path;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : undefined;
  } else if (typeof first === 'string') {
    path = first; // unix socket
  }
  // http.Agent passes `path: null` for TCP connections: only a real string is a unix socket.
  if (typeof path !== 'string' && !isLoopback(host)) {
    const err = new Error(`loopback guard: connection to ${host} refused in tests (only 127.0.0.1 is allowed)`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return original.apply(this, args as Parameters<typeof original>);
} as typeof net.Socket.prototype.connect;
