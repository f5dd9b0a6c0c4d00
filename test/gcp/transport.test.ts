import { describe, expect, it } from 'vitest';
import { createTransport, GcpHttpError, GcpTransportError, staticToken } from '../../shared/adapters/gcp/transport.ts';

const BASE = 'http://127.0.0.1:9/compute/v1/projects/p/zones/z';

/** A fake fetch: records what it was given and answers with `respond`. */
function fakeFetch(respond: (url: string, init: RequestInit) => Promise<Response>) {
  const seen: Array<{ url: string; headers: Headers; method?: string }> = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    seen.push({ url: String(input), headers: new Headers(init.headers), method: init.method });
    return respond(String(input), init);
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const transport = (fetch: typeof globalThis.fetch, timeouts = { requestTimeoutMs: 1_000, waitTimeoutMs: 1_000 }) =>
  createTransport({ credentials: async () => staticToken('tok'), fetch, ...timeouts });

/** Resolves after `ms`, or rejects like fetch when the request's signal aborts first. */
const slow = (ms: number) => (_url: string, init: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    const t = setTimeout(() => resolve(new Response('{}', { status: 200 })), ms);
    init.signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(init.signal?.reason);
    });
  });

describe('GCP transport', () => {
  it("adds the credentials' headers to the SDK's and passes a 2xx answer through", async () => {
    const f = fakeFetch(async () => new Response('{"name":"m"}', { status: 200 }));
    const res = await transport(f.fetch).fetch(`${BASE}/instanceGroupManagers/m`, {
      method: 'get',
      headers: { 'x-goog-api-client': 'gax/5' },
    });
    expect(await res.json()).toEqual({ name: 'm' });
    expect(f.seen[0]!.headers.get('authorization')).toBe('Bearer tok');
    expect(f.seen[0]!.headers.get('x-goog-api-client')).toBe('gax/5');
    expect(f.seen[0]!.method).toBe('GET');
  });

  it('turns a Google JSON error into a GcpHttpError that keeps the reason', async () => {
    const body = {
      error: {
        code: 403,
        message: 'Rate Limit Exceeded',
        errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }],
      },
    };
    const f = fakeFetch(async () => new Response(JSON.stringify(body), { status: 403 }));
    const e = await transport(f.fetch)
      .fetch(`${BASE}/instanceGroupManagers/m`)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GcpHttpError);
    expect(e).toMatchObject({ status: 403, reason: 'rateLimitExceeded', method: 'GET' });
  });

  it('keeps the status of a non-JSON error (an HTML 502 from a proxy)', async () => {
    const f = fakeFetch(async () => new Response('<html>Bad Gateway</html>', { status: 502 }));
    const e = await transport(f.fetch)
      .fetch(`${BASE}/instanceGroupManagers/m`)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'GcpHttpError', status: 502, reason: undefined, body: undefined });
  });

  it('names the socket error of a failed connection', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const f = fakeFetch(async () => Promise.reject(refused));
    const e = await transport(f.fetch)
      .fetch(`${BASE}/instanceGroupManagers/m`)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GcpTransportError);
    expect(e).toMatchObject({ code: 'ECONNREFUSED', timedOut: false });
  });

  it('times out a request after requestTimeoutMs but lets operations.wait run to waitTimeoutMs', async () => {
    const t = transport(fakeFetch(slow(100)).fetch, { requestTimeoutMs: 20, waitTimeoutMs: 1_000 });
    const e = await t.fetch(`${BASE}/operations/operation-1`).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'GcpTransportError', code: 'TIMEOUT', timedOut: true });
    const res = await t.fetch(`${BASE}/operations/operation-1/wait?`, { method: 'POST' });
    expect(res.status).toBe(200);
  });
});
