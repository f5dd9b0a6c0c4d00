/**
 * Two pipeline policies the Azure SDK does not have:
 *
 * - `attemptTimeoutPolicy`: a time limit on each HTTP attempt, inside the SDK's retry loop. The SDK's own
 *   `timeout` aborts the whole call with an AbortError that its retry policy never retries; this one fails
 *   the attempt with an ETIMEDOUT RestError, which the SDK's exponential retry strategy does retry.
 * - `OperationErrors`: core-lro ends a Failed async operation with a plain Error whose only trace of ARM's
 *   error code is in its message. This policy keeps the `error` of every Failed/Canceled operation-status
 *   answer, keyed by the status URL, so the adapter can map the real code (AllocationFailed...) without
 *   reading message text.
 */
import { type ComputeManagementClient, RestError } from '@azure/arm-compute';
import type { ArmErrorBody } from './errors.ts';

type Pipeline = ComputeManagementClient['pipeline'];
export type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];

export function attemptTimeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: 'attemptTimeoutPolicy',
    async sendRequest(request, next) {
      if (!(timeoutMs > 0)) return next(request);
      const outer = request.abortSignal;
      const attempt = new AbortController();
      const onOuterAbort = () => attempt.abort();
      if (outer?.aborted) attempt.abort();
      else outer?.addEventListener('abort', onOuterAbort, { once: true });
      const timer = setTimeout(() => attempt.abort(), timeoutMs);
      request.abortSignal = attempt.signal;
      try {
        return await next(request);
      } catch (e) {
        if (attempt.signal.aborted && !outer?.aborted) {
          throw new RestError(`no answer from ${new URL(request.url).host} within ${timeoutMs} ms`, {
            code: 'ETIMEDOUT',
            request,
          });
        }
        throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuterAbort);
        request.abortSignal = outer;
      }
    },
  };
}

const OPERATION_STATUS_PATH = /\/providers\/microsoft\.compute\/locations\/[^/]+\/operations\/[^/]+$/i;
const keyOf = (url: string) => new URL(url).pathname.toLowerCase();

export class OperationErrors {
  private readonly errors = new Map<string, ArmErrorBody>();
  /** Bound on remembered errors, in case some are never taken. */
  private readonly limit = 256;

  readonly policy: PipelinePolicy = {
    name: 'armOperationErrors',
    sendRequest: async (request, next) => {
      const response = await next(request);
      if (
        request.method === 'GET' &&
        response.status === 200 &&
        OPERATION_STATUS_PATH.test(new URL(request.url).pathname)
      ) {
        this.remember(request.url, response.bodyAsText);
      }
      return response;
    },
  };

  private remember(url: string, text: string | null | undefined): void {
    if (!text) return;
    let body: { status?: unknown; error?: ArmErrorBody };
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    const status = typeof body.status === 'string' ? body.status.toLowerCase() : '';
    if (status !== 'failed' && status !== 'canceled' && status !== 'cancelled') return;
    if (this.errors.size >= this.limit) this.errors.delete(this.errors.keys().next().value!);
    this.errors.set(keyOf(url), body.error ?? { code: status === 'failed' ? 'OperationFailed' : 'OperationCanceled' });
  }

  /** The error of the operation behind that status URL, once (then forgotten). */
  take(statusUrl: string | undefined): ArmErrorBody | undefined {
    if (!statusUrl) return undefined;
    const key = keyOf(statusUrl);
    const error = this.errors.get(key);
    this.errors.delete(key);
    return error;
  }
}
