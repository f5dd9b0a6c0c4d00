/**
 * AWS error codes mapped onto the domain's `CloudError` kinds, in named sets (Karpenter's
 * `unfulfillableCapacityErrorCodes` style). The SDK's exceptions carry the wire code as `Code` (Query
 * protocols, where modeled faults are named after their shape, e.g. `ScalingActivityInProgressFault`) or as
 * `name` (EC2, JSON protocols); both are read. Codes not listed fall back to the HTTP status.
 */
import { CloudError, type CloudErrorKind, messageOf } from '../../domain/errors.ts';

/** The cloud has no capacity for the request (EC2 Fleet, Auto Scaling launches, capacity reservations). */
export const insufficientCapacityErrorCodes: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'ReservationCapacityExceeded',
  'MaxSpotInstanceCountExceeded',
  'SpotMaxPriceTooLow',
  'UnfulfillableCapacity',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
]);

export const throttlingErrorCodes: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

export const notFoundErrorCodes: ReadonlySet<string> = new Set([
  'InvalidFleetId.NotFound',
  'InvalidInstanceID.NotFound',
  'InvalidCapacityReservationId.NotFound',
  'ResourceNotFoundException',
  'NotFoundException',
]);

export const unauthorizedErrorCodes: ReadonlySet<string> = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'OptInRequired',
]);

export const conflictErrorCodes: ReadonlySet<string> = new Set([
  'ResourceInUseException',
  'ResourceInUse',
  'ResourceContention',
  'ScalingActivityInProgress',
  'IncorrectState',
  'IncorrectInstanceState',
  'FleetNotInModifiableState',
  'ConcurrentModificationException',
]);

export const transientErrorCodes: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'InternalException',
  'InternalServerError',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

export const invalidErrorCodes: ReadonlySet<string> = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidRequestException',
  'MissingParameter',
  'InvalidAction',
  'InvalidPaginationToken',
  'InvalidNextToken',
  'InvalidFleetId.Malformed',
  'InvalidInstanceID.Malformed',
  'UnsupportedOperation',
  // TerminateInstances on an instance with termination protection (`disableApiTermination`).
  'OperationNotPermitted',
  'ClientException',
  'LimitExceeded',
  'SerializationException',
  'InvalidArgument',
  'MalformedDetail',
]);

const SETS: Array<[ReadonlySet<string>, CloudErrorKind]> = [
  [insufficientCapacityErrorCodes, 'insufficient-capacity'],
  [throttlingErrorCodes, 'throttled'],
  [notFoundErrorCodes, 'not-found'],
  [unauthorizedErrorCodes, 'unauthorized'],
  [conflictErrorCodes, 'conflict'],
  [transientErrorCodes, 'transient'],
  [invalidErrorCodes, 'invalid'],
];

/** Node.js socket errors: the request may not have reached the service. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

interface SdkErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The AWS error code of an SDK exception (the wire code, not the exception class name). */
export function awsErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as SdkErrorLike;
  if (typeof err.Code === 'string' && err.Code) return err.Code;
  if (typeof err.name === 'string' && err.name && err.name !== 'Error') return err.name;
  if (typeof err.code === 'string' && NETWORK_ERROR_CODES.has(err.code)) return err.code;
  return undefined;
}

export function awsErrorStatus(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  return (e as SdkErrorLike).$metadata?.httpStatusCode;
}

/**
 * Auto Scaling answers an unknown group or instance with a plain `ValidationError`; only its message tells
 * "not found" apart from a bad value. This is the one place that reads an error message.
 */
function isAutoScalingNotFound(code: string | undefined, message: string): boolean {
  return code === 'ValidationError' && /\bnot found\b/i.test(message);
}

export function kindOfAwsError(code: string | undefined, status: number | undefined, message = ''): CloudErrorKind {
  if (isAutoScalingNotFound(code, message)) return 'not-found';
  if (code !== undefined) {
    for (const [set, kind] of SETS) if (set.has(code)) return kind;
    if (NETWORK_ERROR_CODES.has(code)) return 'transient';
  }
  if (status === undefined) return 'transient';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'transient';
  return 'invalid';
}

/**
 * Maps anything an AWS SDK call threw onto a `CloudError` that says what was being done, keeps the AWS code
 * and HTTP status, and the original error as `cause`. A `CloudError` passes through unchanged.
 */
export function toCloudError(e: unknown, operation: string): CloudError {
  if (e instanceof CloudError) return e;
  const code = awsErrorCode(e);
  const status = awsErrorStatus(e);
  const message = messageOf(e);
  return new CloudError({
    kind: kindOfAwsError(code, status, message),
    cloud: 'aws',
    operation,
    code,
    status,
    message,
    cause: e,
  });
}

/** Runs an SDK call and maps what it throws. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toCloudError(e, operation);
  }
}
