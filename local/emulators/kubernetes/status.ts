/**
 * `meta/v1 Status` bodies, shaped like the API server's (k8s.io/apimachinery/pkg/api/errors): every failure
 * the emulator answers is one of these, with the same `reason`, `code` and `details` the real server sends.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural, e.g. `deployments`), as the API server puts it. */
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An API error: the HTTP code is `status.code`; extra response headers (Retry-After) ride along. */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message ?? status.reason ?? String(status.code));
    this.name = 'ApiError';
    this.status = status;
    this.headers = headers;
  }
}

/** Identifies a resource in messages and `details`: `deployments.apps "x"`. */
export interface ResourceId {
  group: string;
  resource: string;
  name: string;
}

const qualified = (r: { group: string; resource: string }) => (r.group ? `${r.resource}.${r.group}` : r.resource);

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new ApiError(status);
}

export function success(code: number): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

export const notFound = (r: ResourceId) =>
  failure(404, 'NotFound', `${qualified(r)} "${r.name}" not found`, { name: r.name, group: r.group, kind: r.resource });

/** A path the server does not serve at all. */
export const unknownPath = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const conflict = (r: ResourceId) =>
  failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name: r.name, group: r.group, kind: r.resource },
  );

/** A delete precondition (uid, resourceVersion) that does not match the object. */
export const preconditionFailed = (r: ResourceId, field: 'UID' | 'ResourceVersion', want: string, have: string) =>
  failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${r.name}": Precondition failed: ${field} in precondition: ${want}, ${field} in object meta: ${have}`,
    { name: r.name, group: r.group, kind: r.resource },
  );

export interface FieldError {
  field: string;
  value: unknown;
  detail: string;
}

/** 422, `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
export function invalid(kind: string, r: ResourceId, errors: FieldError[]): ApiError {
  const causes = errors.map((e) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`,
    field: e.field,
  }));
  const what = errors.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`).join(', ');
  return failure(422, 'Invalid', `${kind}${r.group ? `.${r.group}` : ''} "${r.name}" is invalid: ${what}`, {
    name: r.name,
    group: r.group,
    kind,
    causes,
  });
}

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

/** A patch that cannot be applied (failed JSON patch `test`, missing path). */
export const unprocessable = (message: string) => failure(422, 'Invalid', message);

export const unsupportedMediaType = (accepted: readonly string[]) =>
  failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );

export const methodNotAllowed = () =>
  failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

/** API priority and fairness throttling: 429 with Retry-After. */
export function throttled(retryAfterSeconds = 1): ApiError {
  const e = failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {
    retryAfterSeconds,
  });
  e.headers['Retry-After'] = String(retryAfterSeconds);
  return e;
}

/** The eviction subresource's answer when a PodDisruptionBudget does not allow the disruption. */
export const disruptionBudgetViolated = (pdb: string, desiredHealthy: number, currentHealthy: number) =>
  failure(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdb} needs ${desiredHealthy} healthy pods and has ${currentHealthy} currently`,
      },
    ],
  });

export const internalError = (message: string) =>
  failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
