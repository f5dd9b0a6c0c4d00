/**
 * Compute Engine's JSON error answers, as the real API sends them:
 * `{ "error": { "code": 404, "message": "...", "errors": [{ "message", "domain": "global", "reason": "notFound" }] } }`.
 */

export interface ErrorAnswer {
  status: number;
  body: { error: Record<string, unknown> };
}

function answer(status: number, message: string, reason: string, extra: Record<string, unknown> = {}): ErrorAnswer {
  const { domain = 'global', status: grpcStatus, ...detail } = extra;
  const error: Record<string, unknown> = { code: status, message, errors: [{ message, domain, reason, ...detail }] };
  if (grpcStatus) error.status = grpcStatus;
  return { status, body: { error } };
}

export const notFound = (resource: string): ErrorAnswer =>
  answer(404, `The resource '${resource}' was not found`, 'notFound');

export const required = (field: string): ErrorAnswer =>
  answer(400, `Required field '${field}' not specified`, 'required');

export const invalidValue = (field: string, value: unknown, why: string): ErrorAnswer =>
  answer(400, `Invalid value for field '${field}': '${String(value)}'. ${why}`, 'invalid');

export const parseError = (why: string): ErrorAnswer =>
  answer(400, `Invalid JSON payload received. ${why}`, 'parseError');

/** No credentials at all (401, as Google's front end answers). */
export const loginRequired = (): ErrorAnswer =>
  answer(
    401,
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    'required',
    { location: 'Authorization', locationType: 'header', status: 'UNAUTHENTICATED' },
  );

/** The caller lacks the IAM permission for the method (403 forbidden). */
export const forbidden = (permission: string, resource: string): ErrorAnswer =>
  answer(403, `Required '${permission}' permission for '${resource}'`, 'forbidden');

/**
 * Rate quota exceeded. Compute documents HTTP 403 `rateLimitExceeded` (https://cloud.google.com/compute/api-quota);
 * newer front ends answer 429 RESOURCE_EXHAUSTED for per-minute quota metrics. Both are rendered.
 */
export const rateLimited = (status: 403 | 429): ErrorAnswer =>
  status === 403
    ? answer(403, 'Rate Limit Exceeded', 'rateLimitExceeded', { domain: 'usageLimits' })
    : answer(
        429,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com'.",
        'rateLimitExceeded',
        { status: 'RESOURCE_EXHAUSTED' },
      );

export const serverError = (status: 500 | 503): ErrorAnswer =>
  status === 500
    ? answer(500, 'Internal error. Please try again or contact Google Support.', 'backendError')
    : answer(503, 'The service is currently unavailable.', 'backendError');

/** Another operation is running on the resource: Compute answers 400 `resourceNotReady`. */
export const resourceNotReady = (resource: string): ErrorAnswer =>
  answer(400, `The resource '${resource}' is not ready`, 'resourceNotReady');

/** Errors carried by an operation that ends DONE with `error` (not an HTTP error). */
export interface OperationFailure {
  errors: Array<{ code: string; message: string }>;
  httpErrorStatusCode: number;
  httpErrorMessage: string;
}

export const zoneResourcePoolExhausted = (zone: string, project: string): OperationFailure => ({
  errors: [
    {
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
      message: `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
    },
  ],
  httpErrorStatusCode: 503,
  httpErrorMessage: 'SERVICE UNAVAILABLE',
});

/** A precondition failure, as in the real `compute.instanceGroupManagers.*` operation sample (HTTP 412). */
export const conditionNotMet = (what: string): OperationFailure => ({
  errors: [
    { code: 'CONDITION_NOT_MET', message: `${what} cannot be applied: the group's update policy does not allow it.` },
  ],
  httpErrorStatusCode: 412,
  httpErrorMessage: 'PRECONDITION FAILED',
});
