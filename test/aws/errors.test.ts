/**
 * The AWS error table and the retry strategy, without a server: every code the adapter maps, the HTTP
 * status fallbacks, how the code is read from the SDK's exceptions, and when the strategy retries.
 */
import { ScalingActivityInProgressFault } from '@aws-sdk/client-auto-scaling';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ResourceNotFoundException } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { BackoffRetryStrategy, kindOfAwsError, toCloudError } from '../../shared/adapters/aws/index.ts';
import { CloudError, type CloudErrorKind, isInsufficientCapacity, isNotFound } from '../../shared/domain/errors.ts';

const codes: Array<[string, CloudErrorKind]> = [
  ['InsufficientInstanceCapacity', 'insufficient-capacity'],
  ['InsufficientCapacity', 'insufficient-capacity'],
  ['InsufficientHostCapacity', 'insufficient-capacity'],
  ['InsufficientReservedInstanceCapacity', 'insufficient-capacity'],
  ['ReservationCapacityExceeded', 'insufficient-capacity'],
  ['MaxSpotInstanceCountExceeded', 'insufficient-capacity'],
  ['SpotMaxPriceTooLow', 'insufficient-capacity'],
  ['UnfulfillableCapacity', 'insufficient-capacity'],
  ['VcpuLimitExceeded', 'insufficient-capacity'],
  ['RequestLimitExceeded', 'throttled'],
  ['Throttling', 'throttled'],
  ['ThrottlingException', 'throttled'],
  ['TooManyRequestsException', 'throttled'],
  ['InvalidFleetId.NotFound', 'not-found'],
  ['InvalidInstanceID.NotFound', 'not-found'],
  ['InvalidCapacityReservationId.NotFound', 'not-found'],
  ['ResourceNotFoundException', 'not-found'],
  ['AuthFailure', 'unauthorized'],
  ['UnauthorizedOperation', 'unauthorized'],
  ['AccessDenied', 'unauthorized'],
  ['AccessDeniedException', 'unauthorized'],
  ['ExpiredToken', 'unauthorized'],
  ['InvalidClientTokenId', 'unauthorized'],
  ['ResourceInUseException', 'conflict'],
  ['ScalingActivityInProgress', 'conflict'],
  ['ResourceContention', 'conflict'],
  ['IncorrectState', 'conflict'],
  ['InternalError', 'transient'],
  ['InternalFailure', 'transient'],
  ['ServiceUnavailable', 'transient'],
  ['Unavailable', 'transient'],
  ['ServerException', 'transient'],
  ['TimeoutError', 'transient'],
  ['ECONNRESET', 'transient'],
  ['ValidationError', 'invalid'],
  ['ValidationException', 'invalid'],
  ['InvalidParameterValue', 'invalid'],
  ['InvalidParameterException', 'invalid'],
  ['MissingParameter', 'invalid'],
];

describe('kindOfAwsError', () => {
  it.each(codes)('%s -> %s', (code, kind) => {
    // A 400 status where the code says otherwise: the code decides.
    expect(kindOfAwsError(code, 400)).toBe(kind);
  });

  it.each([
    { name: 'throttled by status', status: 429, kind: 'throttled' },
    { name: 'forbidden', status: 403, kind: 'unauthorized' },
    { name: 'unauthenticated', status: 401, kind: 'unauthorized' },
    { name: 'gone', status: 404, kind: 'not-found' },
    { name: 'conflict', status: 409, kind: 'conflict' },
    { name: 'bad gateway', status: 502, kind: 'transient' },
    { name: 'other client error', status: 400, kind: 'invalid' },
    { name: 'no answer at all', status: undefined, kind: 'transient' },
  ])('an unknown code falls back to the status: $name', ({ status, kind }) => {
    expect(kindOfAwsError('SomethingNew', status)).toBe(kind);
  });

  it.each([
    { message: 'AutoScalingGroup name not found - AutoScalingGroup gpu not found', kind: 'not-found' },
    { message: 'Instance Id not found - No managed instance found for instance ID: i-0123', kind: 'not-found' },
    { message: 'New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup.', kind: 'invalid' },
  ])('Auto Scaling ValidationError "$message" is $kind', ({ message, kind }) => {
    expect(kindOfAwsError('ValidationError', 400, message)).toBe(kind);
  });
});

describe('toCloudError', () => {
  it('reads the wire code of an EC2 exception and keeps status and cause', () => {
    const sdk = new EC2ServiceException({
      name: 'InsufficientInstanceCapacity',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
      message: 'We currently do not have sufficient p5.48xlarge capacity',
    });
    const e = toCloudError(sdk, 'resizing aws ec2-fleet fleet-1 to 4');
    expect(e).toMatchObject({
      kind: 'insufficient-capacity',
      code: 'InsufficientInstanceCapacity',
      status: 500,
      cloud: 'aws',
    });
    expect(isInsufficientCapacity(e)).toBe(true);
    expect(e.cause).toBe(sdk);
    expect(e.message).toBe(
      'resizing aws ec2-fleet fleet-1 to 4: insufficient-capacity (InsufficientInstanceCapacity): We currently do not have sufficient p5.48xlarge capacity',
    );
  });

  it('reads Code, not the class name, of a modeled Query fault', () => {
    const sdk = new ScalingActivityInProgressFault({
      $metadata: { httpStatusCode: 400 },
      message: 'Scaling activity in progress',
    });
    Object.assign(sdk, { Code: 'ScalingActivityInProgress' });
    expect(sdk.name).toBe('ScalingActivityInProgressFault');
    expect(toCloudError(sdk, 'x')).toMatchObject({ kind: 'conflict', code: 'ScalingActivityInProgress' });
  });

  it('maps an EKS ResourceNotFoundException', () => {
    const sdk = new ResourceNotFoundException({
      $metadata: { httpStatusCode: 404 },
      message: 'No node group found for name: ng.',
    });
    const e = toCloudError(sdk, 'describing');
    expect(isNotFound(e)).toBe(true);
    expect(e.code).toBe('ResourceNotFoundException');
  });

  it('maps socket errors and timeouts as transient', () => {
    expect(toCloudError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'x')).toMatchObject({
      kind: 'transient',
      code: 'ECONNRESET',
    });
    expect(
      toCloudError(Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), 'x'),
    ).toMatchObject({
      kind: 'transient',
      code: 'TimeoutError',
    });
  });

  it('passes a CloudError through unchanged', () => {
    const original = new CloudError({ kind: 'conflict', cloud: 'aws', operation: 'a' });
    expect(toCloudError(original, 'b')).toBe(original);
  });
});

describe('BackoffRetryStrategy', () => {
  const throttled = { errorType: 'THROTTLING' as const, error: { name: 'RequestLimitExceeded' } };
  const transient = { errorType: 'TRANSIENT' as const, error: { name: 'InternalError' } };

  it('retries throttling and transient errors up to maxAttempts', async () => {
    const s = new BackoffRetryStrategy({ maxAttempts: 3, baseDelayMs: 10, random: () => 0.5 });
    let token = await s.acquireInitialRetryToken('');
    token = await s.refreshRetryTokenForRetry(token, transient);
    expect(token.getRetryCount()).toBe(1);
    token = await s.refreshRetryTokenForRetry(token, throttled);
    expect(token.getRetryCount()).toBe(2);
    // A third failure would be the fourth attempt: refused.
    await expect(s.refreshRetryTokenForRetry(token, transient)).rejects.toThrow('No retry token available');
  });

  it.each([
    { name: 'client errors', info: { errorType: 'CLIENT_ERROR' as const, error: { name: 'ValidationError' } } },
    {
      name: 'non-transient server errors (501)',
      info: { errorType: 'SERVER_ERROR' as const, error: { name: 'NotImplemented' } },
    },
    {
      name: 'capacity errors sent as HTTP 500',
      info: { errorType: 'TRANSIENT' as const, error: { name: 'InsufficientInstanceCapacity' } },
    },
  ])('does not retry $name', async ({ info }) => {
    const s = new BackoffRetryStrategy({ maxAttempts: 5 });
    await expect(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(''), info)).rejects.toThrow();
  });

  it.each([
    // Full jitter with random 0.5: half of base x 2^retry.
    { name: 'first transient retry', retry: 0, info: transient, expected: 5 },
    { name: 'third transient retry', retry: 2, info: transient, expected: 20 },
    // Throttling uses 5 x base by default.
    { name: 'first throttling retry', retry: 0, info: throttled, expected: 25 },
    // Capped at maxDelayMs (1000), then halved by the jitter.
    { name: 'late retry, capped', retry: 12, info: transient, expected: 500 },
  ])('delay: $name', ({ retry, info, expected }) => {
    const s = new BackoffRetryStrategy({ baseDelayMs: 10, maxDelayMs: 1_000, random: () => 0.5 });
    expect(s.delayFor(retry, info)).toBe(expected);
  });

  it('waits at least as long as a Retry-After hint, up to the cap', () => {
    const s = new BackoffRetryStrategy({ baseDelayMs: 10, maxDelayMs: 1_000, random: () => 0 });
    const soon = s.delayFor(0, { ...throttled, retryAfterHint: new Date(Date.now() + 300) });
    expect(soon).toBeGreaterThan(250);
    expect(soon).toBeLessThanOrEqual(300);
    expect(s.delayFor(0, { ...throttled, retryAfterHint: new Date(Date.now() + 60_000) })).toBe(1_000);
  });
});
