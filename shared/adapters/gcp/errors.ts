/**
 * Compute Engine errors onto typed CloudErrors.
 *
 * Compute reports failures in two places:
 * - the HTTP answer (`{ error: { code, message, errors: [{ reason }] } }`), with camelCase reasons
 *   (`notFound`, `rateLimitExceeded`, `resourceNotReady`...). Rate limiting is HTTP 403 `rateLimitExceeded`
 *   (https://cloud.google.com/compute/api-quota), so the reason decides before the status does;
 * - a long-running operation that ends DONE with `error.errors[].code` in UPPER_SNAKE
 *   (`ZONE_RESOURCE_POOL_EXHAUSTED`, `QUOTA_EXCEEDED`, `CONDITION_NOT_MET`...), sometimes with
 *   `httpErrorStatusCode`.
 * One table of named code sets covers both; the HTTP status is the fallback when no code is known.
 */
import { CloudError, type CloudErrorKind } from '../../domain/errors.ts';
import { GcpHttpError, GcpTransportError } from './transport.ts';

/** The cloud has no capacity (or no quota) for the VMs: try another zone, type or later. */
export const INSUFFICIENT_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'REGION_RESOURCE_POOL_EXHAUSTED',
  'RESOURCE_POOL_EXHAUSTED',
  'QUOTA_EXCEEDED',
  'quotaExceeded',
  'insufficientCapacity',
]);

export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['notFound', 'NOT_FOUND', 'RESOURCE_NOT_FOUND']);

export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'RATE_LIMIT_EXCEEDED',
  'RESOURCE_OPERATION_RATE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
]);

/** Another operation holds the resource, or a precondition (fingerprint) no longer holds. */
export const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'alreadyExists',
  'conflict',
  'resourceNotReady',
  'resourceInUseByAnotherResource',
  'conditionNotMet',
  'ALREADY_EXISTS',
  'ABORTED',
  'RESOURCE_NOT_READY',
  'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE',
  'CONDITION_NOT_MET',
]);

export const UNAUTHORIZED_CODES: ReadonlySet<string> = new Set([
  'forbidden',
  'insufficientPermissions',
  'authError',
  'accessNotConfigured',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
]);

export const INVALID_CODES: ReadonlySet<string> = new Set([
  'invalid',
  'badRequest',
  'invalidParameter',
  'INVALID_ARGUMENT',
  'INVALID_FIELD_VALUE',
  'INVALID_USAGE',
  'FAILED_PRECONDITION',
  'OUT_OF_RANGE',
]);

export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'backendError',
  'internalError',
  'INTERNAL_ERROR',
  'INTERNAL',
  'SERVICE_UNAVAILABLE',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'TIMEOUT',
]);

const KIND_SETS: Array<[ReadonlySet<string>, CloudErrorKind]> = [
  [INSUFFICIENT_CAPACITY_CODES, 'insufficient-capacity'],
  [NOT_FOUND_CODES, 'not-found'],
  [THROTTLING_CODES, 'throttled'],
  [CONFLICT_CODES, 'conflict'],
  [UNAUTHORIZED_CODES, 'unauthorized'],
  [INVALID_CODES, 'invalid'],
  [TRANSIENT_CODES, 'transient'],
];

/** The kind a Compute reason or code stands for; undefined when the code is not one we know. */
export function kindOfCode(code: string | undefined): CloudErrorKind | undefined {
  if (!code) return undefined;
  for (const [set, kind] of KIND_SETS) if (set.has(code)) return kind;
  return undefined;
}

/** The kind an HTTP status stands for, when no code says more. */
export function kindOfHttpStatus(status: number): CloudErrorKind {
  if (status === 404) return 'not-found';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 408 || status >= 500) return 'transient';
  return 'invalid';
}

/** gRPC status codes, as google-gax's `GoogleError.code` carries them. */
const GRPC_KIND: Record<number, CloudErrorKind> = {
  3: 'invalid',
  4: 'transient',
  5: 'not-found',
  6: 'conflict',
  7: 'unauthorized',
  8: 'throttled',
  9: 'invalid',
  10: 'conflict',
  11: 'invalid',
  13: 'transient',
  14: 'transient',
  16: 'unauthorized',
};

/** What Compute reports in `Operation.error` of an operation that ended DONE with errors. */
export interface OperationErrorInfo {
  name?: string | null;
  httpErrorStatusCode?: number | null;
  httpErrorMessage?: string | null;
  error?: { errors?: Array<{ code?: string | null; message?: string | null }> | null } | null;
}

/** An operation that ended DONE with `error`: the request was accepted and then failed. */
export class GcpOperationError extends Error {
  readonly operation: OperationErrorInfo;
  readonly code?: string;

  constructor(operation: OperationErrorInfo) {
    const errors = operation.error?.errors ?? [];
    const known = errors.find((e) => kindOfCode(e.code ?? undefined)) ?? errors[0];
    super(`operation ${operation.name ?? '?'} failed: ${errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`);
    this.name = 'GcpOperationError';
    this.operation = operation;
    this.code = known?.code ?? undefined;
  }
}

/**
 * Maps anything an SDK call threw onto a CloudError: keeps Compute's reason or operation code as `code`,
 * the HTTP status, and the original error as `cause`. `operation` says what was being done.
 */
export function toCloudError(e: unknown, operation: string): CloudError {
  if (e instanceof CloudError) return e;
  const base = { cloud: 'gcp' as const, operation, cause: e };
  if (e instanceof GcpHttpError) {
    const kind = kindOfCode(e.reason) ?? kindOfCode(e.errorStatus) ?? kindOfHttpStatus(e.status);
    return new CloudError({ ...base, kind, code: e.reason ?? e.errorStatus ?? String(e.status), status: e.status });
  }
  if (e instanceof GcpTransportError) {
    return new CloudError({ ...base, kind: 'transient', code: e.code });
  }
  if (e instanceof GcpOperationError) {
    const status = e.operation.httpErrorStatusCode ?? undefined;
    const kind = kindOfCode(e.code) ?? (status ? kindOfHttpStatus(status) : 'transient');
    return new CloudError({ ...base, kind, code: e.code, status });
  }
  if (e && typeof e === 'object') {
    // Errors that did not come through our transport: GaxiosError (`status` is HTTP) or GoogleError
    // (`code` is a gRPC status number).
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400) {
      return new CloudError({ ...base, kind: kindOfHttpStatus(status), code: String(status), status });
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && GRPC_KIND[code]) {
      return new CloudError({ ...base, kind: GRPC_KIND[code], code: `grpc-${code}` });
    }
  }
  // Not an API answer (a programming error or an unexpected payload): not worth retrying.
  return new CloudError({ ...base, kind: 'invalid', code: 'UNEXPECTED' });
}
