/**
 * ARM's error answers, in the real shape: `{ "error": { "code", "message", "target"?, "details"? } }` with the
 * status ARM uses for each code. Messages follow the real ones closely enough to read the same in a log.
 */
import type { FaultKind } from '../faults.ts';

export interface ArmError {
  code: string;
  message: string;
  target?: string;
  details?: ArmError[];
}

export interface ArmErrorAnswer {
  status: number;
  error: ArmError;
  headers?: Record<string, string>;
}

export const armErrors = {
  missingApiVersion: (): ArmErrorAnswer => ({
    status: 400,
    error: {
      code: 'MissingApiVersionParameter',
      message: 'The api-version query parameter (?api-version=) is required for all requests.',
    },
  }),
  invalidApiVersion: (version: string, supported: readonly string[]): ArmErrorAnswer => ({
    status: 400,
    error: {
      code: 'InvalidApiVersionParameter',
      message: `The api-version '${version}' is invalid. The supported versions are '${supported.join(',')}'.`,
    },
  }),
  /** What ARM says for a well-formed api-version that the resource provider does not serve for that type. */
  noRegisteredProvider: (
    version: string,
    type: string,
    location: string,
    supported: readonly string[],
  ): ArmErrorAnswer => ({
    status: 400,
    error: {
      code: 'NoRegisteredProviderFound',
      message: `No registered resource provider found for location '${location}' and API version '${version}' for type '${type}'. The supported api-versions are '${supported.join(', ')}'.`,
    },
  }),
  missingAuthorization: (): ArmErrorAnswer => ({
    status: 401,
    error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." },
    headers: {
      'WWW-Authenticate':
        'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
    },
  }),
  malformedAuthorization: (): ArmErrorAnswer => ({
    status: 401,
    error: {
      code: 'AuthenticationFailed',
      message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    },
  }),
  invalidToken: (): ArmErrorAnswer => ({
    status: 401,
    error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' },
  }),
  authorizationFailed: (action: string, scope: string): ArmErrorAnswer => ({
    status: 403,
    error: {
      code: 'AuthorizationFailed',
      message: `The client 'autoscaler' with object id '00000000-0000-0000-0000-000000000000' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
  }),
  resourceGroupNotFound: (rg: string): ArmErrorAnswer => ({
    status: 404,
    error: { code: 'ResourceGroupNotFound', message: `Resource group '${rg}' could not be found.` },
  }),
  resourceNotFound: (type: string, name: string, rg: string): ArmErrorAnswer => ({
    status: 404,
    error: {
      code: 'ResourceNotFound',
      message: `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    },
  }),
  /** PATCH of a missing resource: ARM's gateway answers before the provider (see the corpus recording). */
  patchResourceNotFound: (id: string, name: string): ArmErrorAnswer => ({
    status: 404,
    error: {
      code: 'PatchResourceNotFound',
      target: name,
      message: `The resource '${id}' was not found when evaluating policies for a PATCH operation.`,
    },
    headers: { 'x-ms-failure-cause': 'gateway' },
  }),
  entityNotFound: (): ArmErrorAnswer => ({
    status: 404,
    error: { code: 'NotFound', message: 'The entity was not found in this Azure location.' },
  }),
  noRoute: (path: string): ArmErrorAnswer => ({
    status: 404,
    error: {
      code: 'InvalidResourceType',
      message: `The resource type could not be found for the request path '${path}'.`,
    },
  }),
  methodNotAllowed: (method: string): ArmErrorAnswer => ({
    status: 405,
    error: { code: 'MethodNotAllowed', message: `The requested resource does not support http method '${method}'.` },
  }),
  invalidRequestContent: (detail: string): ArmErrorAnswer => ({
    status: 400,
    error: {
      code: 'InvalidRequestContent',
      message: `The request content was invalid and could not be deserialized: '${detail}'.`,
    },
  }),
  invalidParameter: (target: string, message: string): ArmErrorAnswer => ({
    status: 400,
    error: { code: 'InvalidParameter', target, message },
  }),
  throttled: (retryAfterSeconds: number, write: boolean): ArmErrorAnswer => ({
    status: 429,
    error: {
      code: 'TooManyRequests',
      message: `The request is being throttled as the limit has been reached for operation type - ${write ? 'Write' : 'Read'}_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits`,
    },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  }),
  internal: (): ArmErrorAnswer => ({
    status: 500,
    error: { code: 'InternalExecutionError', message: 'An internal execution error occurred. Please retry later.' },
  }),
  conflict: (): ArmErrorAnswer => ({
    status: 409,
    error: {
      code: 'Conflict',
      message:
        'The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.',
    },
  }),
  skuNotAvailable: (size: string, location: string): ArmErrorAnswer => ({
    status: 409,
    error: {
      code: 'SkuNotAvailable',
      message: `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    },
  }),
};

/** The error an async operation ends with when the platform could not place the VMs. */
export function allocationFailed(zonal: boolean): ArmError {
  return {
    code: zonal ? 'ZonalAllocationFailed' : 'AllocationFailed',
    message: zonal
      ? 'Allocation failed. We do not have sufficient capacity for the requested VM size in this zone. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance'
      : 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance',
  };
}

/**
 * The synchronous answer for an injected fault (`timeout` is not an answer, and `operation-failed` on an
 * operation with an async status becomes a Failed operation instead: the caller handles both).
 */
export function faultAnswer(
  kind: Exclude<FaultKind, 'timeout'>,
  ctx: { write: boolean; action: string; scope: string; size: string; location: string; retryAfterSeconds: number },
): ArmErrorAnswer {
  switch (kind) {
    case 'throttle':
      return armErrors.throttled(ctx.retryAfterSeconds, ctx.write);
    case 'server-error':
    case 'operation-failed':
      return armErrors.internal();
    case 'insufficient-capacity':
      return armErrors.skuNotAvailable(ctx.size, ctx.location);
    case 'conflict':
      return armErrors.conflict();
    case 'unauthorized':
      return armErrors.authorizationFailed(ctx.action, ctx.scope);
  }
}
