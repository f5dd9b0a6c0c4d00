/**
 * Kubernetes API errors -> CloudError. @kubernetes/client-node throws `ApiException` with the HTTP `code`
 * and the response `body` as text (a meta/v1 Status), except for 401, where it drops the body; network
 * failures and our own request timeouts reject `fetch` (TypeError with a `cause`, or the abort signal's
 * `TimeoutError`). The Status `reason` is kept as the error's code (`NotFound`, `Conflict`, `TooManyRequests`...).
 */
import { ApiException } from '@kubernetes/client-node';
import { CloudError, type CloudErrorKind } from '../../domain/errors.ts';

/** Status reasons (k8s.io/apimachinery/pkg/apis/meta/v1 StatusReason) per kind. */
export const notFoundReasons: ReadonlySet<string> = new Set(['NotFound']);
export const conflictReasons: ReadonlySet<string> = new Set(['Conflict', 'AlreadyExists']);
export const throttledReasons: ReadonlySet<string> = new Set(['TooManyRequests']);
export const unauthorizedReasons: ReadonlySet<string> = new Set(['Unauthorized', 'Forbidden']);
export const invalidReasons: ReadonlySet<string> = new Set([
  'Invalid',
  'BadRequest',
  'UnsupportedMediaType',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
]);
/** Worth a retry: the server or the path to it failed, or a list's continue token expired (re-list). */
export const transientReasons: ReadonlySet<string> = new Set([
  'InternalError',
  'ServiceUnavailable',
  'Timeout',
  'ServerTimeout',
  'Expired',
  'Gone',
]);

/** The reason the API server gives for an HTTP code, for answers without a Status body (401). */
const REASON_OF_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** The Status body of an ApiException, when there is one. */
export function statusOf(e: unknown): KubeStatus | undefined {
  if (!(e instanceof ApiException)) return undefined;
  const body: unknown = e.body;
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? (body as KubeStatus) : undefined;
}

/** Milliseconds the server asked us to wait (Retry-After header or `details.retryAfterSeconds`). */
export function retryAfterMs(e: unknown): number | undefined {
  if (e instanceof CloudError) return retryAfterMs(e.cause);
  if (!(e instanceof ApiException)) return undefined;
  const headers = (e.headers ?? {}) as Record<string, string>;
  const header = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = header !== undefined ? Number(header) : undefined;
  if (seconds !== undefined && Number.isFinite(seconds)) return seconds * 1000;
  const fromBody = (statusOf(e)?.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  return fromBody ? fromBody * 1000 : undefined;
}

function kindOfStatus(status: number): CloudErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408 || status === 410 || status >= 500) return 'transient';
  return 'invalid';
}

function kindOfReason(reason: string): CloudErrorKind | undefined {
  if (notFoundReasons.has(reason)) return 'not-found';
  if (conflictReasons.has(reason)) return 'conflict';
  if (throttledReasons.has(reason)) return 'throttled';
  if (unauthorizedReasons.has(reason)) return 'unauthorized';
  if (invalidReasons.has(reason)) return 'invalid';
  if (transientReasons.has(reason)) return 'transient';
  return undefined;
}

/** Network-level failures: the request may not have reached the server, or its answer was lost. */
function networkCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'Timeout';
  if (e instanceof TypeError && e.cause !== undefined) {
    const cause = e.cause as { code?: string; name?: string };
    if (cause.name === 'TimeoutError') return 'Timeout';
    return cause.code ?? cause.name ?? 'NetworkError';
  }
  return undefined;
}

/** Maps anything the client throws to a CloudError; `operation` says what was being done. */
export function toCloudError(e: unknown, operation: string): CloudError {
  if (e instanceof CloudError) return e;
  if (e instanceof ApiException) {
    const status = statusOf(e);
    const code = status?.reason || REASON_OF_STATUS[e.code] || String(e.code);
    const kind = (status?.reason ? kindOfReason(status.reason) : undefined) ?? kindOfStatus(e.code);
    return new CloudError({
      kind,
      cloud: 'kubernetes',
      operation,
      code,
      status: e.code,
      message: status?.message ?? `HTTP ${e.code}`,
      cause: e,
    });
  }
  const net = networkCode(e);
  if (net) {
    return new CloudError({ kind: 'transient', cloud: 'kubernetes', operation, code: net, cause: e });
  }
  // Anything else is ours (configuration, a request the client refused to build): retrying will not help.
  const name = e instanceof Error ? e.name : 'Error';
  return new CloudError({ kind: 'invalid', cloud: 'kubernetes', operation, code: name, cause: e });
}
