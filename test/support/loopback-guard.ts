/**
 * Loaded before every test file (vitest setupFiles): any connection to an address off loopback fails the
 * test — TCP, UDP, DNS lookups and queries, and the same in child processes (Node children load this file
 * first; other programs are refused) and worker threads (which import it first) — credentials are fake, and
 * the AWS SDK is kept off the instance metadata service.
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import workerThreads from 'node:worker_threads';

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

// ---- the other channels: UDP, DNS, child processes, worker threads ----------------------------------------
// Each refuses what could leave the machine, with an error naming the guard; ESM named imports of the
// built-ins see the patched functions through `syncBuiltinESMExports`.

class LoopbackGuardError extends Error {
  readonly code = 'ELOOPBACKGUARD';
  constructor(what: string) {
    super(`loopback guard: ${what} refused in tests (only 127.0.0.1 is allowed)`);
    this.name = 'LoopbackGuardError';
  }
}

// UDP: a datagram to, or a connected socket on, an address off loopback. No address: Node sends to localhost.
// biome-ignore lint/suspicious/noExplicitAny: mirrors dgram.Socket's overloads
type AnyFn = (...args: any[]) => any;
const udpAddress = (args: unknown[]): string | undefined =>
  args.find((a) => typeof a === 'string') as string | undefined;
for (const method of ['send', 'connect'] as const) {
  const originalUdp = dgram.Socket.prototype[method] as AnyFn;
  (dgram.Socket.prototype as unknown as Record<string, AnyFn>)[method] = function guardedUdp(
    this: dgram.Socket,
    ...args: unknown[]
  ) {
    const address = udpAddress(method === 'send' ? args.slice(1) : args);
    if (!isLoopback(address)) {
      const err = new LoopbackGuardError(`UDP ${method} to ${address}`);
      const cb = args.findLast((a) => typeof a === 'function') as ((e: Error) => void) | undefined;
      if (cb) process.nextTick(cb, err);
      else process.nextTick(() => this.emit('error', err));
      return;
    }
    return originalUdp.apply(this, args);
  };
}

// DNS: a lookup of a name that is not loopback, and every query to a DNS server (resolve*, reverse, any
// Resolver), which would send UDP packets from inside c-ares where the dgram guard cannot see them.
const DNS_QUERIES = /^(resolve\w*|reverse|lookupService)$/;
function guardDns(target: Record<string, unknown>, promises: boolean): void {
  for (const name of Object.keys(target)) {
    const fn = target[name];
    if (typeof fn !== 'function' || !(name === 'lookup' || DNS_QUERIES.test(name))) continue;
    target[name] = function guardedDns(this: unknown, ...args: unknown[]) {
      const host = args[0] as string | undefined;
      // Servers listening on every interface look up 0.0.0.0 or ::; connecting there is still refused above.
      if (name === 'lookup' && (isLoopback(host) || host === '0.0.0.0' || host === '::'))
        return (fn as AnyFn).apply(this, args);
      const err = new LoopbackGuardError(`DNS ${name} of ${host}`);
      if (promises) return Promise.reject(err);
      const cb = args.findLast((a) => typeof a === 'function') as ((e: Error) => void) | undefined;
      if (cb) process.nextTick(cb, err);
      else throw err;
    };
  }
}
guardDns(dns as unknown as Record<string, unknown>, false);
guardDns(dns.promises as unknown as Record<string, unknown>, true);
guardDns(dns.Resolver.prototype as unknown as Record<string, unknown>, false);
guardDns(dns.promises.Resolver.prototype as unknown as Record<string, unknown>, true);

// Child processes: Node runs with this guard preloaded (NODE_OPTIONS --import); a Chromium browser (the report
// test's) runs with every request sent to a dead proxy on loopback unless it is for loopback itself, and no
// name resolves but localhost; other programs are refused, except esbuild's own service binary (it bundles
// files, it does not connect anywhere) and `bash -n` (a syntax check runs nothing).
const GUARD = import.meta.url;
const isNode = (file: string) => file === process.execPath || /(^|[/\\])node(\.exe)?$/.test(file);
const isEsbuild = (file: string) => /[/\\]@?esbuild[/\\]|[/\\]esbuild(\.exe)?$/.test(file);
const isChromium = (file: string) => /(^|[/\\])(chromium|chromium-browser|chrome|headless_shell)(\.exe)?$/.test(file);
const BROWSER_GUARD = [
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=127.0.0.1;localhost;[::1]',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];
function guardedEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const base = env ?? process.env;
  const options = base.NODE_OPTIONS ?? '';
  return options.includes(GUARD) ? base : { ...base, NODE_OPTIONS: `${options} --import=${GUARD}`.trim() };
}
/**
 * kubectl and the AWS CLI (the conformance test's real clients) run with every request sent through a dead
 * proxy on loopback unless it is for loopback itself (both honour HTTPS_PROXY/HTTP_PROXY and NO_PROXY, and
 * resolve no name themselves behind a proxy), and the AWS CLI kept off the instance metadata service.
 */
const isProxiedCli = (file: string) => /(^|[/\\])(kubectl|aws)$/.test(file);
const CLI_GUARD_ENV = {
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost,::1',
  no_proxy: '127.0.0.1,localhost,::1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
/** `bash -n FILE` (or sh): a syntax check that runs nothing. */
const isSyntaxCheck = (file: string, args: unknown) =>
  /(^|[/\\])(ba)?sh$/.test(file) && Array.isArray(args) && args[0] === '-n' && !args.includes('-c');
function checkProgram(file: string, how: string, args?: unknown): void {
  if (!isNode(file) && !isEsbuild(file) && !isChromium(file) && !isProxiedCli(file) && !isSyntaxCheck(file, args))
    throw new LoopbackGuardError(`${how} of '${file}' (only Node, which runs the guard, may be started)`);
}
const cp = childProcess as unknown as Record<string, AnyFn>;
for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const) {
  const originalCp = cp[name]!;
  cp[name] = function guardedSpawn(file: string, ...rest: unknown[]) {
    checkProgram(file, name, rest[0]);
    if (isChromium(file)) rest[0] = [...BROWSER_GUARD, ...((Array.isArray(rest[0]) ? rest[0] : []) as string[])];
    const at = rest.findIndex((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
    const envOf = (env: NodeJS.ProcessEnv | undefined) =>
      isProxiedCli(file) ? { ...guardedEnv(env), ...CLI_GUARD_ENV } : guardedEnv(env);
    if (at >= 0) rest[at] = { ...(rest[at] as object), env: envOf((rest[at] as { env?: NodeJS.ProcessEnv }).env) };
    else {
      const args = Array.isArray(rest[0]) ? [rest.shift()] : [];
      rest = [...args, { env: envOf(undefined) }, ...rest];
    }
    return originalCp.call(this, file, ...rest);
  };
}
for (const name of ['exec', 'execSync'] as const) {
  const originalCp = cp[name]!;
  cp[name] = function guardedExec(command: string, ...rest: unknown[]) {
    checkProgram(command.trim().split(/\s+/)[0] ?? '', name);
    const options =
      typeof rest[0] === 'object' && rest[0] !== null ? (rest.shift() as { env?: NodeJS.ProcessEnv }) : {};
    return originalCp.call(this, command, { ...options, env: guardedEnv(options.env) }, ...rest);
  };
}
{
  const originalFork = cp.fork!;
  cp.fork = function guardedFork(modulePath: string, ...rest: unknown[]) {
    const at = rest.findIndex((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
    if (at >= 0) rest[at] = { ...(rest[at] as object), env: guardedEnv((rest[at] as { env?: NodeJS.ProcessEnv }).env) };
    else rest.push({ env: guardedEnv(undefined) });
    return originalFork.call(this, modulePath, ...rest);
  };
}

// Worker threads: a new realm without this file's patches; the worker first imports the guard, then runs
// its own code.
{
  const OriginalWorker = workerThreads.Worker;
  class GuardedWorker extends OriginalWorker {
    constructor(filename: string | URL, options: workerThreads.WorkerOptions = {}) {
      const code = options.eval
        ? `import(${JSON.stringify(GUARD)}).then(() => { eval(${JSON.stringify(String(filename))}); });`
        : `import(${JSON.stringify(GUARD)}).then(() => import(${JSON.stringify(String(filename instanceof URL ? filename : pathToFileURL(String(filename))))}));`;
      super(code, { ...options, eval: true });
    }
  }
  (workerThreads as { Worker: typeof OriginalWorker }).Worker = GuardedWorker;
}

syncBuiltinESMExports();
