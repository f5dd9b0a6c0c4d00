import { describe, expect, it } from 'vitest';
import { GcpOperationError, toCloudError } from '../../shared/adapters/gcp/errors.ts';
import { GcpHttpError, GcpTransportError } from '../../shared/adapters/gcp/transport.ts';
import { CloudError, type CloudErrorKind } from '../../shared/domain/errors.ts';

const http = (status: number, reason?: string, extra: Record<string, unknown> = {}) =>
  new GcpHttpError({
    status,
    method: 'GET',
    url: 'https://compute.googleapis.com/compute/v1/projects/p/zones/z/instanceGroupManagers/m',
    body: { code: status, message: 'm', errors: reason ? [{ message: 'm', domain: 'global', reason }] : [], ...extra },
  });

const op = (code: string, httpErrorStatusCode?: number) =>
  new GcpOperationError({
    name: 'operation-1',
    httpErrorStatusCode,
    error: { errors: [{ code, message: `${code} happened` }] },
  });

describe('toCloudError', () => {
  it.each<{ name: string; error: unknown; kind: CloudErrorKind; code?: string; status?: number }>([
    { name: '404 notFound', error: http(404, 'notFound'), kind: 'not-found', code: 'notFound', status: 404 },
    // Compute's documented rate-limit answer: a 403 that is not a permission problem.
    {
      name: '403 rateLimitExceeded',
      error: http(403, 'rateLimitExceeded'),
      kind: 'throttled',
      code: 'rateLimitExceeded',
    },
    { name: '403 forbidden', error: http(403, 'forbidden'), kind: 'unauthorized', code: 'forbidden', status: 403 },
    { name: '403 quotaExceeded (resource quota)', error: http(403, 'quotaExceeded'), kind: 'insufficient-capacity' },
    {
      name: '429 RESOURCE_EXHAUSTED without reason',
      error: http(429, undefined, { status: 'RESOURCE_EXHAUSTED' }),
      kind: 'throttled',
      code: 'RESOURCE_EXHAUSTED',
    },
    { name: '429 bare', error: http(429), kind: 'throttled', code: '429' },
    { name: '409 alreadyExists', error: http(409, 'alreadyExists'), kind: 'conflict' },
    // Compute answers 400 while another operation holds the resource: retryable, not invalid.
    { name: '400 resourceNotReady', error: http(400, 'resourceNotReady'), kind: 'conflict', code: 'resourceNotReady' },
    { name: '400 invalid', error: http(400, 'invalid'), kind: 'invalid', code: 'invalid' },
    // `required` is a missing field on a 400 and missing credentials on a 401: the status decides.
    { name: '400 required', error: http(400, 'required'), kind: 'invalid', code: 'required' },
    {
      name: '401 required UNAUTHENTICATED',
      error: http(401, 'required', { status: 'UNAUTHENTICATED' }),
      kind: 'unauthorized',
    },
    { name: '412 conditionNotMet', error: http(412, 'conditionNotMet'), kind: 'conflict' },
    { name: '500 backendError', error: http(500, 'backendError'), kind: 'transient', status: 500 },
    { name: '503 bare', error: http(503), kind: 'transient', code: '503' },
    { name: '502 from a proxy', error: http(502, 'badGateway'), kind: 'transient' },
    {
      name: 'operation ZONE_RESOURCE_POOL_EXHAUSTED',
      error: op('ZONE_RESOURCE_POOL_EXHAUSTED', 503),
      kind: 'insufficient-capacity',
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
      status: 503,
    },
    {
      name: 'operation ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
      error: op('ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS'),
      kind: 'insufficient-capacity',
    },
    { name: 'operation QUOTA_EXCEEDED', error: op('QUOTA_EXCEEDED', 403), kind: 'insufficient-capacity' },
    { name: 'operation RESOURCE_POOL_EXHAUSTED', error: op('RESOURCE_POOL_EXHAUSTED'), kind: 'insufficient-capacity' },
    { name: 'operation CONDITION_NOT_MET (412)', error: op('CONDITION_NOT_MET', 412), kind: 'conflict', status: 412 },
    { name: 'operation RESOURCE_NOT_FOUND', error: op('RESOURCE_NOT_FOUND', 404), kind: 'not-found' },
    { name: 'operation with an unknown code and HTTP 400', error: op('SOMETHING_NEW', 400), kind: 'invalid' },
    { name: 'operation with an unknown code and no status', error: op('SOMETHING_NEW'), kind: 'transient' },
    {
      name: 'transport timeout',
      error: new GcpTransportError({ url: 'u', timedOut: true, code: 'TIMEOUT', cause: new Error('t') }),
      kind: 'transient',
      code: 'TIMEOUT',
    },
    {
      name: 'connection reset',
      error: new GcpTransportError({ url: 'u', timedOut: false, code: 'ECONNRESET', cause: new Error('r') }),
      kind: 'transient',
      code: 'ECONNRESET',
    },
    // Errors that bypass our transport: a GaxiosError (HTTP status) and a GoogleError (gRPC code).
    { name: 'GaxiosError-like 404', error: Object.assign(new Error('x'), { status: 404 }), kind: 'not-found' },
    { name: 'GoogleError-like UNAVAILABLE', error: Object.assign(new Error('x'), { code: 14 }), kind: 'transient' },
    {
      name: 'GoogleError-like RESOURCE_EXHAUSTED',
      error: Object.assign(new Error('x'), { code: 8 }),
      kind: 'throttled',
    },
    { name: 'a programming error', error: new TypeError('x is undefined'), kind: 'invalid', code: 'UNEXPECTED' },
  ])('$name -> $kind', ({ error, kind, code, status }) => {
    const e = toCloudError(error, 'resizing gcp mig gpu-a');
    expect(e).toBeInstanceOf(CloudError);
    expect(e.kind).toBe(kind);
    expect(e.cloud).toBe('gcp');
    expect(e.cause).toBe(error);
    expect(e.message.startsWith('resizing gcp mig gpu-a: ')).toBe(true);
    if (code !== undefined) expect(e.code).toBe(code);
    if (status !== undefined) expect(e.status).toBe(status);
  });

  it('keeps a CloudError as it is', () => {
    const original = new CloudError({ kind: 'conflict', cloud: 'gcp', operation: 'x' });
    expect(toCloudError(original, 'y')).toBe(original);
  });

  it('takes the ErrorInfo reason from details when errors[] has none', () => {
    const e = new GcpHttpError({
      status: 403,
      method: 'GET',
      url: 'u',
      body: {
        code: 403,
        message: 'Quota exceeded',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED' }],
      },
    });
    expect(toCloudError(e, 'x')).toMatchObject({ kind: 'throttled', code: 'RATE_LIMIT_EXCEEDED' });
  });

  it('names the first known code of an operation with several errors', () => {
    const e = new GcpOperationError({
      name: 'op',
      error: {
        errors: [
          { code: 'SOMETHING_NEW', message: 'a' },
          { code: 'QUOTA_EXCEEDED', message: "Quota 'NVIDIA_L4_GPUS' exceeded." },
        ],
      },
    });
    expect(toCloudError(e, 'x')).toMatchObject({ kind: 'insufficient-capacity', code: 'QUOTA_EXCEEDED' });
  });
});
