/**
 * The Event Grid receiver: an Event Grid subscription (Azure Resource Notifications' scheduled events, the
 * Event Grid schema) and Azure Monitor action groups (common alert schema) POST here.
 *
 * Authentication: Event Grid webhooks carry no signature, so the endpoint URL holds a shared secret, as
 * Event Grid supports it (`?code=KEY` in the endpoint, or an `x-autoscaler-key` delivery attribute marked
 * secret); it is compared in constant time with the SST secret `EventGridReceiverKey`. No key or a wrong one
 * is 401, the validation handshake included.
 *
 * - Handshake: `aeg-event-type: SubscriptionValidation` with a `Microsoft.EventGrid.SubscriptionValidationEvent`
 *   is answered `{"validationResponse": code}`; the CloudEvents `OPTIONS` handshake with
 *   `WebHook-Allowed-Origin`.
 * - Notifications: each event goes on the bus as `autoscaler.azure.eventgrid` (an alert as
 *   `autoscaler.azure.monitor`). An event id already delivered (a replay) is not forwarded again; one another
 *   invocation is forwarding now makes the delivery's answer 503 once the rest are forwarded (Event Grid
 *   retries it; the retry forwards it if that invocation died holding it, `ports.ts`); an event older than
 *   Event Grid's 24 hours of retries is refused (400: Event Grid does not retry a 400), as is an empty array.
 *
 * @see https://learn.microsoft.com/azure/event-grid/webhook-event-delivery
 * @see https://learn.microsoft.com/azure/event-grid/security-authentication#authenticate-event-delivery-to-webhook-endpoints
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { type HttpRequest, type HttpResponse, json } from './http.ts';
import { type BusEntry, claimTimes, type ReceiverPorts, settle } from './ports.ts';
import { FORWARDED } from '../domain/forwarded.ts';

export const EVENTGRID_SOURCES = { event: FORWARDED.azureEventGrid, alert: FORWARDED.azureMonitor } as const;

/** Event Grid retries a delivery for 24 hours; an hour more for clock differences. */
export const MAX_EVENT_AGE_MS = 25 * 3600 * 1000;
/** Claims outlive every retry (and the age limit above). */
const CLAIM_MS = 48 * 3600 * 1000;
const VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of the presented key with the configured one. */
export function keyMatches(presented: string | undefined, key: string): boolean {
  if (!presented || !key) return false;
  return timingSafeEqual(digest(presented), digest(key));
}

interface GridEvent {
  id?: unknown;
  eventType?: unknown;
  eventTime?: unknown;
  data?: { validationCode?: unknown };
}

export async function receiveEventGrid(req: HttpRequest, key: string, ports: ReceiverPorts): Promise<HttpResponse> {
  if (!keyMatches(req.query.code ?? req.headers['x-autoscaler-key'], key)) {
    ports.log('warn', 'event grid delivery refused', { reason: 'no key, or not the receiver key' });
    return json(401, { error: 'unauthenticated' });
  }
  if (req.method === 'OPTIONS') {
    const origin = req.headers['webhook-request-origin'];
    return origin ? json(200, undefined, { 'webhook-allowed-origin': origin }) : json(400, { error: 'no origin' });
  }
  if (req.method !== 'POST') return json(405, { error: 'POST only' }, { allow: 'POST, OPTIONS' });
  let body: unknown;
  try {
    body = JSON.parse(req.body);
  } catch {
    return json(400, { error: 'the body is not JSON' });
  }

  if (!Array.isArray(body)) {
    const alert = body as { schemaId?: unknown; data?: { essentials?: Record<string, unknown> } };
    const e = alert?.data?.essentials;
    if (alert?.schemaId !== 'azureMonitorCommonAlertSchema' || !e || typeof e.alertId !== 'string') {
      return json(400, { error: 'neither an Event Grid array nor an Azure Monitor common alert' });
    }
    const id = `${e.alertId}:${String(e.monitorCondition)}:${String(e.resolvedDateTime ?? e.firedDateTime)}`;
    return forwardOnce(ports, req, [{ id, entry: { ...EVENTGRID_SOURCES.alert, detail: body } }]);
  }

  const events = body as GridEvent[];
  if (req.headers['aeg-event-type'] === 'SubscriptionValidation' || events[0]?.eventType === VALIDATION) {
    const code = events[0]?.data?.validationCode;
    if (events[0]?.eventType !== VALIDATION || typeof code !== 'string')
      return json(400, { error: 'a validation request without a validation code' });
    ports.log('info', 'event grid subscription validated');
    return json(200, { validationResponse: code });
  }
  // Event Grid never delivers an empty array: answering it "duplicate" would say something was delivered.
  if (events.length === 0) return json(400, { error: 'an empty Event Grid array: no events' });
  const now = ports.now().getTime();
  const out: Array<{ id: string; entry: BusEntry }> = [];
  for (const [i, e] of events.entries()) {
    if (typeof e?.id !== 'string' || typeof e.eventType !== 'string' || typeof e.eventTime !== 'string')
      return json(400, { error: `[${i}]: an Event Grid event has id, eventType and eventTime` });
    // An empty id cannot be claimed (DynamoDB refuses an empty key): every retry would fail. One of blanks can.
    if (e.id === '') return json(400, { error: `[${i}].id: empty` });
    const t = Date.parse(e.eventTime);
    if (Number.isNaN(t)) return json(400, { error: `[${i}].eventTime: not a time` });
    if (now - t > MAX_EVENT_AGE_MS)
      return json(400, { error: `[${i}]: event ${e.id} of ${e.eventTime} is older than Event Grid's retries` });
    out.push({ id: e.id, entry: { ...EVENTGRID_SOURCES.event, detail: e, time: new Date(t) } });
  }
  return forwardOnce(ports, req, out);
}

async function forwardOnce(
  ports: ReceiverPorts,
  req: HttpRequest,
  items: Array<{ id: string; entry: BusEntry }>,
): Promise<HttpResponse> {
  const times = claimTimes(ports.now(), CLAIM_MS, req.remainingMs);
  // An id repeated within the delivery is a duplicate of its first (claiming it again would find it pending).
  const seen = new Set<string>();
  const unique = items.filter((it) => !seen.has(it.id) && seen.add(it.id));
  const fresh: typeof items = [];
  let inFlight = 0;
  try {
    // Claimed inside the try: a claim that fails partway gives back those before it, or the sender's retry would
    // take them for replays and they would never be forwarded.
    for (const it of unique) {
      const claim = await ports.claim('eventgrid', it.id, times);
      if (claim === 'claimed') fresh.push(it);
      else if (claim === 'in-flight') inFlight += 1;
    }
  } catch (e) {
    for (const f of fresh) await ports.release('eventgrid', f.id).catch(() => undefined);
    throw e;
  }
  const duplicates = items.length - fresh.length - inFlight;
  if (duplicates) ports.log('info', 'event grid events already delivered: not forwarded again', { duplicates });
  if (fresh.length > 0) {
    try {
      await ports.forward(fresh.map((f) => f.entry));
    } catch (e) {
      for (const f of fresh) await ports.release('eventgrid', f.id).catch(() => undefined);
      ports.log('warn', 'forwarding failed; Event Grid will retry', { error: String(e) });
      return json(500, { error: 'not forwarded; retry' });
    }
    await settle(
      ports,
      'eventgrid',
      fresh.map((f) => f.id),
    );
  }
  if (inFlight) {
    // The retry finds those forwarded now delivered, and forwards the others if their holder died.
    ports.log('info', 'event grid events being forwarded by another invocation: Event Grid will retry', { inFlight });
    return json(503, {
      error: 'being forwarded by another request; retry',
      forwarded: fresh.length,
      duplicates,
      inFlight,
    });
  }
  if (fresh.length === 0) return json(200, { status: 'duplicate', forwarded: 0, duplicates });
  return json(200, { status: 'forwarded', forwarded: fresh.length, duplicates });
}
