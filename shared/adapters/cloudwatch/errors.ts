/**
 * CloudWatch errors onto `CloudError`, on top of the AWS adapter's tables (errors.ts there): one difference.
 * A read's only limits are rates and concurrency, so CloudWatch's limit codes are throttling here
 * (`LimitExceeded`, the query code of `LimitExceededFault`, and `LimitExceededException`, which the SDK
 * itself counts as throttling), where the Auto Scaling meaning of `LimitExceeded` (a quota) is not.
 * Everything else maps as for any AWS service: `Throttling` -> throttled, `InvalidParameterValue`,
 * `InvalidParameterCombination`, `MissingParameter`, `InvalidNextToken` -> invalid, `AccessDenied` ->
 * unauthorized, 5xx (`InternalServiceError`) and timeouts -> transient.
 *
 * The SDK's exceptions carry the query-compatible code as `Code` (CloudWatch speaks JSON 1.0 with
 * `x-amzn-query-error: Code;Sender`), which `awsErrorCode` reads first.
 */
import { CloudError, messageOf } from '../../domain/errors.ts';
import { awsErrorCode, awsErrorStatus, kindOfAwsError } from '../aws/errors.ts';
import { BackoffRetryStrategy } from '../aws/retry.ts';

export const cloudWatchThrottlingErrorCodes: ReadonlySet<string> = new Set([
  'LimitExceeded',
  'LimitExceededFault',
  'LimitExceededException',
]);

export function toCloudWatchError(e: unknown, operation: string): CloudError {
  if (e instanceof CloudError) return e;
  const code = awsErrorCode(e);
  const status = awsErrorStatus(e);
  const message = messageOf(e);
  const kind = code && cloudWatchThrottlingErrorCodes.has(code) ? 'throttled' : kindOfAwsError(code, status, message);
  return new CloudError({ kind, cloud: 'aws', operation, code, status, message, cause: e });
}

type RetryInfo = Parameters<BackoffRetryStrategy['refreshRetryTokenForRetry']>[1];
type RetryToken = Parameters<BackoffRetryStrategy['refreshRetryTokenForRetry']>[0];

/** The AWS adapter's backoff, with CloudWatch's limit codes retried as throttling (the SDK sees a client error). */
export class CloudWatchRetryStrategy extends BackoffRetryStrategy {
  override refreshRetryTokenForRetry(token: RetryToken, info: RetryInfo): Promise<RetryToken> {
    const code = awsErrorCode(info.error);
    const throttled = code !== undefined && cloudWatchThrottlingErrorCodes.has(code);
    return super.refreshRetryTokenForRetry(token, throttled ? { ...info, errorType: 'THROTTLING' } : info);
  }
}
