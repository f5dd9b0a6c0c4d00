/**
 * The HTTP transport under the Compute SDK's REST mode.
 *
 * google-gax (REST "fallback" mode) sends every request through `authClient.fetch(url, init)` and takes
 * headers from `authClient.getRequestHeaders()`. We hand it this object instead of a google-auth-library
 * client, for three reasons found by reading google-gax 5 (fallback.ts, fallbackServiceStub.ts):
 * - gax has no client-side timeout on REST: its deadline goes to a gRPC option the REST stub ignores, so a
 *   hung connection waits for the socket. Here every attempt carries an `AbortSignal.timeout`.
 * - gax turns a Google JSON error into a `GoogleError` that keeps only the gRPC code: the body's
 *   `errors[].reason` is lost, and Compute says "rate limited" as HTTP 403 `rateLimitExceeded`, which would
 *   then read as PERMISSION_DENIED. With google-auth-library clients the error is instead a `GaxiosError`
 *   whose message is the raw body. Here a non-2xx answer becomes a `GcpHttpError` with status, reason and
 *   body, whichever credentials are used.
 * - The credentials only provide headers, so tests pass a fixed token and no token endpoint is ever called.
 */
import { ConfigError } from '../../domain/errors.ts';
import { parseFailure } from '../credential-errors.ts';

/** Anything that can say which headers authorise a request: google-auth-library's GoogleAuth or a fake. */
export interface GcpCredentials {
  getRequestHeaders(url?: string): Promise<Headers | Record<string, string>>;
}

/** The Google JSON error body: `{ "error": { code, message, errors: [{ message, domain, reason }], status?, details? } }`. */
export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: Array<{ message?: string; domain?: string; reason?: string; location?: string; locationType?: string }>;
  details?: Array<{ '@type'?: string; reason?: string; domain?: string; [k: string]: unknown }>;
}

/** A non-2xx answer from the API, with the body's reason kept. */
export class GcpHttpError extends Error {
  readonly status: number;
  /** `errors[0].reason` (`notFound`, `rateLimitExceeded`...), else the ErrorInfo reason of `details`. */
  readonly reason?: string;
  /** `error.status` when the API sends one (`RESOURCE_EXHAUSTED`, `NOT_FOUND`...). */
  readonly errorStatus?: string;
  readonly body?: GoogleErrorBody;
  readonly method: string;
  readonly url: string;

  constructor(init: { status: number; method: string; url: string; body?: GoogleErrorBody; text?: string }) {
    const reason =
      init.body?.errors?.find((e) => e.reason)?.reason ?? init.body?.details?.find((d) => d.reason)?.reason;
    super(`HTTP ${init.status}${reason ? ` ${reason}` : ''}: ${init.body?.message ?? init.text?.slice(0, 200) ?? ''}`);
    this.name = 'GcpHttpError';
    this.status = init.status;
    this.reason = reason;
    this.errorStatus = init.body?.status;
    this.body = init.body;
    this.method = init.method;
    this.url = init.url;
  }
}

/** No answer: the attempt timed out or the connection failed. */
export class GcpTransportError extends Error {
  readonly timedOut: boolean;
  /** `TIMEOUT`, or the socket error code (`ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`...). */
  readonly code: string;
  readonly url: string;

  constructor(init: { url: string; timedOut: boolean; code: string; cause: unknown }) {
    super(init.timedOut ? `no answer in time from ${init.url}` : `connection failed (${init.code}) to ${init.url}`, {
      cause: init.cause,
    });
    this.name = 'GcpTransportError';
    this.timedOut = init.timedOut;
    this.code = init.code;
    this.url = init.url;
  }
}

export interface TransportOptions {
  credentials: () => Promise<GcpCredentials>;
  /** Per-attempt timeout of a request. */
  requestTimeoutMs: number;
  /** Per-attempt timeout of an `operations.wait` request (Compute holds it open up to 2 minutes). */
  waitTimeoutMs: number;
  fetch?: typeof globalThis.fetch;
}

/** The object given to the SDK clients as `authClient` (it implements what google-gax calls on one). */
export interface GaxAuthClient {
  getRequestHeaders(url?: string): Promise<Headers>;
  fetch(input: string | URL, init?: RequestInit & Record<string, unknown>): Promise<Response>;
}

export function createTransport(options: TransportOptions): GaxAuthClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const headersFor = async (url?: string): Promise<Headers> => {
    const creds = await options.credentials();
    return new Headers(await creds.getRequestHeaders(url));
  };
  return {
    getRequestHeaders: headersFor,
    async fetch(input, init = {}) {
      const url = String(input);
      const method = (init.method ?? 'GET').toUpperCase();
      const headers = new Headers(init.headers);
      (await headersFor(url)).forEach((v, k) => {
        headers.set(k, v);
      });
      const timeoutMs = /\/operations\/[^/?]+\/wait(\?|$)/.test(url) ? options.waitTimeoutMs : options.requestTimeoutMs;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      const failed = (e: unknown) =>
        new GcpTransportError({
          url,
          timedOut: timeout.aborted,
          code: timeout.aborted ? 'TIMEOUT' : socketCode(e),
          cause: e,
        });
      let res: Response;
      try {
        res = await doFetch(url, { method, headers, body: init.body as BodyInit | undefined, signal });
      } catch (e) {
        throw failed(e);
      }
      // The body is read here, under the same timeout, so a stalled body is a transport error too.
      let body: ArrayBuffer;
      try {
        body = await res.arrayBuffer();
      } catch (e) {
        throw failed(e);
      }
      if (res.ok) {
        const empty = res.status === 204 || res.status === 205 || res.status === 304;
        return new Response(empty ? null : body, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      }
      const text = new TextDecoder().decode(body);
      throw new GcpHttpError({ status: res.status, method, url, body: parseErrorBody(text), text });
    },
  };
}

function parseErrorBody(text: string): GoogleErrorBody | undefined {
  try {
    const json = JSON.parse(text) as unknown;
    const first = Array.isArray(json) ? json.find((x) => x && typeof x === 'object' && 'error' in x) : json;
    const err = (first as { error?: unknown } | undefined)?.error;
    return err && typeof err === 'object' ? (err as GoogleErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

function socketCode(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return e instanceof Error ? e.name : 'UNKNOWN';
}

/** Credentials that always send the same bearer token (emulators and tests; no token endpoint is called). */
export function staticToken(token: string): GcpCredentials {
  return { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }) };
}

/**
 * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity federation on AWS,
 * the metadata server on GCP), loaded on first use.
 */
export async function applicationDefaultCredentials(): Promise<GcpCredentials> {
  const { GoogleAuth } = await import('google-auth-library');
  return new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/compute'] });
}

/** A service account key (the JSON file's content, e.g. from a secret), as request credentials. */
export async function serviceAccountCredentials(keyJson: string): Promise<GcpCredentials> {
  const { GoogleAuth } = await import('google-auth-library');
  let credentials: Record<string, unknown>;
  try {
    credentials = JSON.parse(keyJson) as Record<string, unknown>;
  } catch (e) {
    // Never JSON.parse's message: it quotes the key.
    throw new ConfigError('gcp', 'GcpServiceAccountKey', `the service account key is ${parseFailure(e, keyJson)}`);
  }
  return new GoogleAuth({ credentials, scopes: ['https://www.googleapis.com/auth/compute'] });
}
