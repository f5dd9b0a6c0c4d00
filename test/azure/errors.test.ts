/**
 * ARM error codes and SDK errors -> CloudError kinds, with the code and the original kept.
 */
import { RestError } from '@azure/arm-compute';
import { describe, expect, it } from 'vitest';
import { fromOperationError, toCloudError } from '../../shared/adapters/azure/errors.ts';
import { CloudError, isInsufficientCapacity, isRetryable } from '../../shared/domain/errors.ts';

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('toCloudError', () => {
  it.each([
    // ARM codes decide first.
    {
      name: 'AllocationFailed',
      error: new RestError('x', { code: 'AllocationFailed', statusCode: 200 }),
      kind: 'insufficient-capacity',
    },
    {
      name: 'ZonalAllocationFailed',
      error: new RestError('x', { code: 'ZonalAllocationFailed' }),
      kind: 'insufficient-capacity',
    },
    {
      name: 'SkuNotAvailable (409)',
      error: new RestError('x', { code: 'SkuNotAvailable', statusCode: 409 }),
      kind: 'insufficient-capacity',
    },
    {
      name: 'OverconstrainedAllocationRequest',
      error: new RestError('x', { code: 'OverconstrainedAllocationRequest', statusCode: 409 }),
      kind: 'insufficient-capacity',
    },
    // Quota: Compute says OperationNotAllowed (409); treated like capacity, see errors.ts.
    {
      name: 'OperationNotAllowed (quota)',
      error: new RestError('x', { code: 'OperationNotAllowed', statusCode: 409 }),
      kind: 'insufficient-capacity',
    },
    {
      name: 'ResourceNotFound',
      error: new RestError('x', { code: 'ResourceNotFound', statusCode: 404 }),
      kind: 'not-found',
    },
    {
      name: 'ParentResourceNotFound',
      error: new RestError('x', { code: 'ParentResourceNotFound', statusCode: 404 }),
      kind: 'not-found',
    },
    {
      name: 'TooManyRequests',
      error: new RestError('x', { code: 'TooManyRequests', statusCode: 429 }),
      kind: 'throttled',
    },
    { name: 'Conflict', error: new RestError('x', { code: 'Conflict', statusCode: 409 }), kind: 'conflict' },
    {
      name: 'AuthorizationFailed',
      error: new RestError('x', { code: 'AuthorizationFailed', statusCode: 403 }),
      kind: 'unauthorized',
    },
    {
      name: 'InvalidAuthenticationToken',
      error: new RestError('x', { code: 'InvalidAuthenticationToken', statusCode: 401 }),
      kind: 'unauthorized',
    },
    {
      name: 'InvalidParameter',
      error: new RestError('x', { code: 'InvalidParameter', statusCode: 400 }),
      kind: 'invalid',
    },
    {
      name: 'MissingApiVersionParameter',
      error: new RestError('x', { code: 'MissingApiVersionParameter', statusCode: 400 }),
      kind: 'invalid',
    },
    {
      name: 'InternalExecutionError',
      error: new RestError('x', { code: 'InternalExecutionError', statusCode: 500 }),
      kind: 'transient',
    },
    // The status decides when the code is unknown.
    {
      name: 'unknown code, 404',
      error: new RestError('x', { code: 'SomethingNew', statusCode: 404 }),
      kind: 'not-found',
    },
    { name: 'unknown code, 429', error: new RestError('x', { statusCode: 429 }), kind: 'throttled' },
    { name: 'unknown code, 409', error: new RestError('x', { statusCode: 409 }), kind: 'conflict' },
    { name: 'unknown code, 403', error: new RestError('x', { statusCode: 403 }), kind: 'unauthorized' },
    { name: 'unknown code, 422', error: new RestError('x', { statusCode: 422 }), kind: 'invalid' },
    { name: 'unknown code, 503', error: new RestError('x', { statusCode: 503 }), kind: 'transient' },
    // Transport.
    { name: 'ECONNRESET', error: new RestError('socket hang up', { code: 'ECONNRESET' }), kind: 'transient' },
    {
      name: 'ETIMEDOUT (attempt timeout)',
      error: new RestError('no answer', { code: 'ETIMEDOUT' }),
      kind: 'transient',
    },
    {
      name: 'an untrusted certificate',
      error: new RestError('x', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      kind: 'unauthorized',
    },
    { name: 'AbortError', error: named('AbortError'), kind: 'transient' },
    // @azure/identity.
    { name: 'CredentialUnavailableError', error: named('CredentialUnavailableError'), kind: 'unauthorized' },
    { name: 'AuthenticationError', error: named('AuthenticationError'), kind: 'unauthorized' },
    { name: 'anything else', error: new TypeError('boom'), kind: 'transient' },
  ])('maps $name to $kind', ({ error, kind }) => {
    const e = toCloudError(error, 'resizing azure vmss rg/vmss-a');
    expect(e).toBeInstanceOf(CloudError);
    expect(e.kind).toBe(kind);
    expect(e.cloud).toBe('azure');
    expect(e.cause).toBe(error);
    expect(e.message.startsWith('resizing azure vmss rg/vmss-a: ')).toBe(true);
    if (error instanceof RestError) {
      expect(e.code).toBe(error.code);
      expect(e.status).toBe(error.statusCode);
    }
  });

  it('leaves a CloudError as it is', () => {
    const original = new CloudError({ kind: 'conflict', cloud: 'azure', operation: 'x' });
    expect(toCloudError(original, 'y')).toBe(original);
  });
});

describe('fromOperationError', () => {
  it.each([
    {
      name: 'AllocationFailed',
      error: { code: 'AllocationFailed', message: 'Allocation failed.' },
      kind: 'insufficient-capacity',
      retryable: false,
    },
    {
      name: 'InternalExecutionError',
      error: { code: 'InternalExecutionError', message: 'retry later' },
      kind: 'transient',
      retryable: true,
    },
    {
      name: 'an unknown code',
      error: { code: 'VMExtensionProvisioningError', message: 'x' },
      kind: 'transient',
      retryable: true,
    },
    { name: 'no error body', error: undefined, kind: 'transient', retryable: true },
  ])('maps a Failed operation with $name to $kind', ({ error, kind, retryable }) => {
    const cause = new Error('The long-running operation has failed');
    const e = fromOperationError(error, 'resizing azure vmss rg/vmss-a to 9', cause);
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(error?.code ?? 'OperationFailed');
    expect(isRetryable(e)).toBe(retryable);
    expect(e.cause).toBe(cause);
  });

  it('keeps the ARM message for the log', () => {
    const e = fromOperationError(
      { code: 'ZonalAllocationFailed', message: 'no capacity in zone 2' },
      'resizing',
      undefined,
    );
    expect(isInsufficientCapacity(e)).toBe(true);
    expect(e.message).toBe('resizing: insufficient-capacity (ZonalAllocationFailed): no capacity in zone 2');
  });
});
