/**
 * Azure Resource Manager errors -> CloudError. ARM answers `{ error: { code, message, target?, details? } }`;
 * the SDK turns that into a RestError with `code` and `statusCode`, and a failed async operation into the
 * operation's own `error` (see pipeline.ts). The code decides the kind; the HTTP status is the fallback.
 */
import { isRestError } from '@azure/arm-compute';
import { CloudError, type CloudErrorKind } from '../../domain/errors.ts';

/** The platform could not place the VMs: try another size, zone, region or capacity type. */
export const INSUFFICIENT_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'AllocationFailed',
  'ZonalAllocationFailed',
  'SkuNotAvailable',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
  'QuotaExceeded',
  // Compute answers OperationNotAllowed when a write would exceed a vCPU quota ("...exceeding approved
  // standardNCADSA100v4Family Cores quota"). On a scale request that is the usual cause, and the right reaction
  // is the same as for allocation failures: place elsewhere and back off this offering, not retry.
  'OperationNotAllowed',
]);

export const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'ResourceNotFound',
  'NotFound',
  'ParentResourceNotFound',
  'ResourceGroupNotFound',
  'PatchResourceNotFound',
  'SubscriptionNotFound',
]);

export const THROTTLED_CODES: ReadonlySet<string> = new Set([
  'TooManyRequests',
  'SubscriptionRequestsThrottled',
  'ResourceRequestsThrottled',
  'TenantRequestsThrottled',
]);

export const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'Conflict',
  'AnotherOperationInProgress',
  'OperationPreempted',
  'PreconditionFailed',
  'ConcurrentUpdateConflict',
]);

export const UNAUTHORIZED_CODES: ReadonlySet<string> = new Set([
  'AuthenticationFailed',
  'AuthorizationFailed',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'ExpiredAuthenticationToken',
  'LinkedAuthorizationFailed',
  'SubscriptionNotRegistered',
]);

export const INVALID_CODES: ReadonlySet<string> = new Set([
  'InvalidParameter',
  'BadRequest',
  'InvalidRequestContent',
  'InvalidRequestFormat',
  'MissingApiVersionParameter',
  'InvalidApiVersionParameter',
  'NoRegisteredProviderFound',
  'PropertyChangeNotAllowed',
  'InvalidResourceType',
  'MethodNotAllowed',
]);

export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'InternalServerError',
  'InternalExecutionError',
  'InternalOperationError',
  'ServiceUnavailable',
  'GatewayTimeout',
  'RetryableError',
  // Network faults the SDK reports as RestError codes (after its own retries).
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

/**
 * The server's certificate could not be verified: a trust configuration problem (wrong endpoint, missing CA),
 * which no retry cures. Reported as `unauthorized`: the server failed to authenticate itself.
 */
export const TLS_VERIFICATION_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** @azure/identity's errors when no credential could be had. */
const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
]);

/** An ARM error body (`error` of an error answer or of a failed async operation). */
export interface ArmErrorBody {
  code?: string;
  message?: string;
  target?: string;
  details?: ArmErrorBody[];
}

/** The kind of an ARM error code, or undefined when the code says nothing we know. */
export function kindOfCode(code: string | undefined): CloudErrorKind | undefined {
  if (!code) return undefined;
  if (INSUFFICIENT_CAPACITY_CODES.has(code)) return 'insufficient-capacity';
  if (NOT_FOUND_CODES.has(code)) return 'not-found';
  if (THROTTLED_CODES.has(code)) return 'throttled';
  if (CONFLICT_CODES.has(code)) return 'conflict';
  if (UNAUTHORIZED_CODES.has(code) || TLS_VERIFICATION_CODES.has(code)) return 'unauthorized';
  if (INVALID_CODES.has(code)) return 'invalid';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  return undefined;
}

/** The kind an HTTP status says, when the code did not. */
export function kindOfStatus(status: number | undefined): CloudErrorKind | undefined {
  if (status === undefined) return undefined;
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 408 || status >= 500) return 'transient';
  if (status >= 400) return 'invalid';
  return undefined;
}

interface RestErrorLike {
  code?: string;
  statusCode?: number;
  message: string;
}

/** Maps anything the Azure SDK or @azure/identity throws to a CloudError saying what was being done. */
export function toCloudError(e: unknown, operation: string): CloudError {
  if (e instanceof CloudError) return e;
  if (isRestError(e)) {
    const r = e as RestErrorLike;
    const kind = kindOfCode(r.code) ?? kindOfStatus(r.statusCode) ?? 'transient';
    return new CloudError({
      kind,
      cloud: 'azure',
      operation,
      code: r.code,
      status: r.statusCode,
      message: r.message,
      cause: e,
    });
  }
  const name = e instanceof Error ? e.name : undefined;
  if (name && CREDENTIAL_ERROR_NAMES.has(name)) {
    return new CloudError({ kind: 'unauthorized', cloud: 'azure', operation, code: name, cause: e });
  }
  if (name === 'AbortError') {
    return new CloudError({ kind: 'transient', cloud: 'azure', operation, code: 'AbortError', cause: e });
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  const kind = (typeof code === 'string' && kindOfCode(code)) || 'transient';
  return new CloudError({
    kind,
    cloud: 'azure',
    operation,
    code: typeof code === 'string' ? code : undefined,
    cause: e,
  });
}

/** A CloudError from the `error` of an async operation that ended Failed (or Canceled). */
export function fromOperationError(error: ArmErrorBody | undefined, operation: string, cause: unknown): CloudError {
  const code = error?.code;
  const kind = kindOfCode(code) ?? 'transient';
  return new CloudError({
    kind,
    cloud: 'azure',
    operation,
    code: code ?? 'OperationFailed',
    message: error?.message ?? (cause instanceof Error ? cause.message : undefined),
    cause,
  });
}
