/**
 * The Pub/Sub push receiver: a push subscription (on the topic a log sink or a Cloud Monitoring channel
 * feeds) POSTs each message here with an OIDC token Google signs for the subscription's service account.
 *
 * A delivery is accepted only when the token (`Authorization: Bearer`) is verified with google-auth-library
 * (signature against Google's certificates, `aud` = the configured audience, `exp`/`iat`, `iss` =
 * accounts.google.com) and names the configured service account (`email`, `email_verified`): anything else
 * is 401, and the reason is logged, never the token. When Google's certificates cannot be fetched (connection
 * refused, a timeout, an error status from the certificates endpoint) nothing was learnt about the token: the
 * delivery is answered 503 and logged as the verifier's failure, and Pub/Sub redelivers it with backoff (any
 * non-2xx answer is a failed delivery). A message id already delivered (a replay, within its
 * 7-day retention) is acknowledged and not forwarded again; one another invocation is forwarding now is answered
 * 503 (redelivered: forwarded by the redelivery if that invocation died holding it, `ports.ts`). The decoded `message.data` goes on the bus as
 * `detail`: a LogEntry as `autoscaler.gcp.compute.preemption`, a Cloud Monitoring notification as
 * `autoscaler.gcp.monitoring` (shared/domain/forwarded.ts `FORWARDED`); another payload is acknowledged and logged.
 *
 * @see https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 * @see https://cloud.google.com/pubsub/docs/push#receive_push
 */
import { gaxios, type OAuth2Client } from 'google-auth-library';
import { type HttpRequest, type HttpResponse, json, ReceiverAuthError, VerifierUnavailableError } from './http.ts';
import { type BusEntry, claimTimes, type ReceiverPorts, settle } from './ports.ts';
import { FORWARDED } from '../domain/forwarded.ts';
import { messageOf } from '../domain/errors.ts';

export interface PubSubReceiverConfig {
  /** The `aud` the push subscription puts in its tokens (`--push-auth-token-audience`). */
  audience: string;
  /** The service account the push subscription signs as (`--push-auth-service-account`). */
  serviceAccountEmail: string;
  /** `projects/P/subscriptions/S`: when set, deliveries of another subscription are refused. */
  subscription?: string;
}

/** Pub/Sub keeps an unacknowledged message 7 days at most: a claim outlives every redelivery. */
const RETENTION_MS = 7 * 24 * 3600 * 1000;
const GOOGLE_ISSUERS = new Set(['accounts.google.com', 'https://accounts.google.com']);

export const PUBSUB_SOURCES = { logEntry: FORWARDED.gcpPreemption, incident: FORWARDED.gcpMonitoring } as const;

const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** The library's reason without the token or the payload it sometimes appends (`...: {json}`). */
export function reasonOf(e: unknown): string {
  const text = messageOf(e).split('\n')[0]!;
  return text
    .replace(JWT_LIKE, '<token>')
    .replace(/:\s*(\{.*|<token>.*)$/, '')
    .slice(0, 200);
}

/**
 * Why Google's certificates could not be fetched, or undefined when `e` is not a failed fetch. verifyIdToken's
 * only request is the certificates' fetch, and gaxios reports every failure of a request as a GaxiosError
 * carrying the request's `config` and either the `response` (its `status`) or the cause's `code`
 * (`ECONNREFUSED`, `TimeoutError`, ...); a refused token is a plain Error.
 */
export function certificateFetchFailure(e: unknown): string | undefined {
  if (!(e instanceof gaxios.GaxiosError)) return undefined;
  if (e.status !== undefined) return `the certificates endpoint answered ${e.status}`;
  return `the certificates could not be fetched (${e.code ?? e.error?.name ?? 'no response'})`;
}

/**
 * The verified token's claims; a ReceiverAuthError saying what was wrong with the token, or a
 * VerifierUnavailableError when Google's certificates could not be fetched (the token was not judged).
 */
export async function verifyPushToken(
  verifier: Pick<OAuth2Client, 'verifyIdToken'>,
  authorization: string | undefined,
  config: PubSubReceiverConfig,
): Promise<{ email: string; sub?: string }> {
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) throw new ReceiverAuthError('no Bearer token in the Authorization header');
  let payload: Record<string, unknown> | undefined;
  try {
    const ticket = await verifier.verifyIdToken({ idToken: m[1]!, audience: config.audience });
    payload = ticket.getPayload() as Record<string, unknown> | undefined;
  } catch (e) {
    const unavailable = certificateFetchFailure(e);
    if (unavailable !== undefined) throw new VerifierUnavailableError(unavailable, { cause: e });
    // google-auth-library says why (wrong audience, expired, bad signature, unknown issuer), but some of its
    // messages carry the token or its payload: only the reason is kept.
    throw new ReceiverAuthError(`token refused: ${reasonOf(e)}`);
  }
  if (!payload) throw new ReceiverAuthError('token has no payload');
  if (!GOOGLE_ISSUERS.has(String(payload.iss)))
    throw new ReceiverAuthError(`issuer ${String(payload.iss)} is not Google`);
  if (payload.email !== config.serviceAccountEmail)
    throw new ReceiverAuthError(`token is for ${String(payload.email)}, not the push service account`);
  if (payload.email_verified !== true) throw new ReceiverAuthError('the email of the token is not verified');
  return { email: payload.email as string, ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}) };
}

interface PushBody {
  message?: { data?: unknown; messageId?: unknown; message_id?: unknown; publishTime?: unknown };
  subscription?: unknown;
}

/** What a message's data is, for the bus; undefined when it is neither. */
function classify(data: unknown): { source: string; detailType: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const o = data as Record<string, unknown>;
  if (typeof o.protoPayload === 'object' && o.protoPayload !== null) return PUBSUB_SOURCES.logEntry;
  if (typeof o.incident === 'object' && o.incident !== null) return PUBSUB_SOURCES.incident;
  return undefined;
}

export async function receivePubSubPush(
  req: HttpRequest,
  config: PubSubReceiverConfig,
  verifier: Pick<OAuth2Client, 'verifyIdToken'>,
  ports: ReceiverPorts,
): Promise<HttpResponse> {
  if (req.method !== 'POST') return json(405, { error: 'POST only' }, { allow: 'POST' });
  try {
    await verifyPushToken(verifier, req.headers.authorization, config);
  } catch (e) {
    if (e instanceof ReceiverAuthError) {
      ports.log('warn', 'pubsub delivery refused', { reason: e.reason });
      return json(401, { error: 'unauthenticated' });
    }
    if (e instanceof VerifierUnavailableError) {
      // Our side failed, not the sender: a 5xx, so Pub/Sub redelivers with backoff once the certificates are back.
      ports.log(
        'warn',
        "pubsub delivery not verified: Google's signing certificates unavailable; Pub/Sub will redeliver",
        {
          reason: e.reason,
        },
      );
      return json(503, { error: 'the token could not be verified now; retry' });
    }
    throw e;
  }
  let body: PushBody;
  try {
    body = JSON.parse(req.body) as PushBody;
  } catch {
    return json(400, { error: 'the body is not JSON' });
  }
  // JSON that is no object (`null`, a number) is no push either.
  const message = body !== null && typeof body === 'object' ? body.message : undefined;
  const id = message?.messageId ?? message?.message_id;
  if (typeof id !== 'string' || id === '' || typeof message?.data !== 'string') {
    // Pub/Sub would redeliver a 4xx until the message expires: a body that is not a push is answered 400
    // once and logged (it was not sent by Pub/Sub).
    return json(400, { error: 'not a Pub/Sub push: message.messageId and message.data are required' });
  }
  if (config.subscription && body.subscription !== config.subscription) {
    ports.log('warn', 'pubsub delivery of another subscription refused', { subscription: String(body.subscription) });
    return json(401, { error: 'unauthenticated' });
  }
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
  } catch {
    data = undefined;
  }
  const kind = classify(data);
  if (!kind) {
    // Acknowledged (a redelivery would not change it) and logged with the message id to find it.
    ports.log('warn', 'pubsub message is neither a LogEntry nor a Monitoring notification: not forwarded', {
      messageId: id,
    });
    return json(200, { status: 'ignored', messageId: id });
  }
  const claim = await ports.claim('pubsub', id, claimTimes(ports.now(), RETENTION_MS, req.remainingMs));
  if (claim === 'delivered') {
    ports.log('info', 'pubsub message already delivered: not forwarded again', { messageId: id });
    return json(200, { status: 'duplicate', messageId: id });
  }
  if (claim === 'in-flight') {
    ports.log('info', 'pubsub message being forwarded by another invocation: Pub/Sub will redeliver', {
      messageId: id,
    });
    return json(503, { error: 'being forwarded by another request; retry', messageId: id });
  }
  const published = typeof message.publishTime === 'string' ? new Date(message.publishTime) : undefined;
  const entry: BusEntry = {
    ...kind,
    detail: data,
    ...(published && !Number.isNaN(published.getTime()) ? { time: published } : {}),
  };
  try {
    await ports.forward([entry]);
  } catch (e) {
    await ports.release('pubsub', id).catch(() => undefined);
    ports.log('warn', 'forwarding failed; Pub/Sub will redeliver', { messageId: id, error: String(e) });
    return json(500, { error: 'not forwarded; retry' });
  }
  await settle(ports, 'pubsub', [id]);
  return json(200, { status: 'forwarded', messageId: id, source: kind.source });
}
