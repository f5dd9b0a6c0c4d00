/**
 * The receivers' HTTP in and out, independent of Lambda: a Function URL event becomes an `HttpRequest`
 * (lower-case headers, the body decoded), and an `HttpResponse` becomes what the Function URL returns.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string;
  /** The invocation's time left when the request arrived (ms), when known: a delivery claim's lease ends then. */
  remainingMs?: number;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Why a delivery was refused with 401 (never the token or the key itself). */
export class ReceiverAuthError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`unauthenticated delivery: ${reason}`, options);
    this.name = 'ReceiverAuthError';
    this.reason = reason;
  }
}

/**
 * The receiver could not verify a delivery because what it verifies against is unavailable (Google's signing
 * certificates could not be fetched): the verifier's failure, not the sender's, answered with a retryable 5xx.
 */
export class VerifierUnavailableError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the delivery could not be verified: ${reason}`, options);
    this.name = 'VerifierUnavailableError';
    this.reason = reason;
  }
}

export const isReceiverAuthError = (e: unknown): e is ReceiverAuthError => e instanceof ReceiverAuthError;

export function fromFunctionUrl(
  event: APIGatewayProxyEventV2,
  context?: { getRemainingTimeInMillis?: () => number },
): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
  const raw = event.body ?? '';
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    headers,
    query,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    ...(context?.getRemainingTimeInMillis ? { remainingMs: context.getRemainingTimeInMillis() } : {}),
  };
}

export function toFunctionUrl(r: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: r.status,
    headers: { 'content-type': 'application/json', ...r.headers },
    body: r.body === undefined ? '' : JSON.stringify(r.body),
  };
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): HttpResponse => ({
  status,
  ...(body === undefined ? {} : { body }),
  ...(headers ? { headers } : {}),
});
