/**
 * Finds what a raw payload is. EventBridge events go by (source, detail-type) through the registry; every
 * other delivery is recognised by its shape, in this order: SNS records, a Lambda alarm action
 * (`alarmData`), the Azure Monitor common alert schema, an IMDS Scheduled Events document, Event Grid
 * (one event, or an array of them), a CloudEvent, a Pub/Sub push request, a Cloud Logging LogEntry, a
 * Cloud Monitoring incident, an operator command, an EventBridge Scheduler tick, an EventBridge event, and
 * the IMDS spot instance-action document. Envelopes that carry another payload (SNS `Message`, Pub/Sub
 * `data`, CloudEvent `data`) are opened and their payload routed again, with error paths that say where it
 * sat. Pure: no I/O, no clock.
 */
import { ParseError } from '../shared/domain/errors.ts';
import type { Normalized } from '../shared/domain/signals.ts';
import { combine } from './combine.ts';
import { type NormalizeContext, noop } from './context.ts';
import { decodeBase64, isRecord, tryJson } from './fields.ts';
import { forwardedKind } from '../shared/domain/forwarded.ts';
import {
  decode,
  describeValue,
  formatPath,
  type Path,
  parseWith,
  partitionItems,
  type Renames,
  withRejected,
} from './parse.ts';
import { findEventBridgeDecoder } from './registry.ts';
import { cloudWatchAlarmAction } from './schemas/aws/cloudwatch-alarm-action.ts';
import { EventBridgeSchema } from './schemas/aws/eventbridge.ts';
import { imdsSpotInstanceAction } from './schemas/aws/imds-spot-instance-action.ts';
import { schedulerTick } from './schemas/aws/scheduler.ts';
import { cloudWatchAlarmSns, SnsNotificationSchema, SnsRecordSchema } from './schemas/aws/sns.ts';
import {
  MAINTENANCE_SCHEDULED_EVENT,
  maintenanceScheduledEventGrid,
  otherEventGridEvent,
} from './schemas/azure/event-grid.ts';
import { azureMonitorAlert } from './schemas/azure/monitor-alert.ts';
import { scheduledEventsDocument } from './schemas/azure/scheduled-events.ts';
import { otherLogEntry, PREEMPTED_METHOD, preemptionLogEntry } from './schemas/gcp/audit-log.ts';
import {
  AUDIT_LOG_WRITTEN,
  CloudEventSchema,
  PUBSUB_MESSAGE_PUBLISHED,
  PubSubPushSchema,
} from './schemas/gcp/envelopes.ts';
import { monitoringIncident } from './schemas/gcp/monitoring-incident.ts';
import { operatorCommand } from './schemas/ops/operator-command.ts';

type Obj = Record<string, unknown>;

interface Shape {
  name: string;
  matches: (o: Obj) => boolean;
  normalize: (o: Obj, ctx: NormalizeContext, at: Path) => Normalized;
}

function snsRecord(rec: unknown, ctx: NormalizeContext, at: Path): Normalized {
  const r = parseWith(SnsRecordSchema, rec, 'aws.sns', at);
  const message = tryJson(r.Sns.Message);
  const messageAt = [...at, 'Sns', 'Message'];
  if (message === undefined)
    throw new ParseError('aws.sns', formatPath(messageAt), 'a JSON message (a CloudWatch alarm or an event)', {
      received: describeValue(r.Sns.Message),
    });
  if (isRecord(message.value) && 'AlarmName' in message.value)
    return decode(cloudWatchAlarmSns, rec, 'aws.sns / CloudWatch alarm', ctx, at);
  return routeEvent(message.value, ctx, messageAt);
}

/** Reads the Capacity Block docs' spellings (`detail_type`, `customer_event_id`) as EventBridge's own. */
function eventBridgeSpellings(o: Obj): { event: Obj; renames: Renames } {
  const event: Obj = { ...o };
  const renames: Record<string, string> = {};
  for (const [doc, real] of [
    ['detail_type', 'detail-type'],
    ['customer_event_id', 'id'],
  ] as const) {
    if (!(real in event) && doc in event) {
      event[real] = event[doc];
      delete event[doc];
      renames[real] = doc;
    }
  }
  return { event, renames };
}

function eventBridgeEvent(o: Obj, ctx: NormalizeContext, at: Path): Normalized {
  const { event, renames } = eventBridgeSpellings(o);
  const source = typeof event.source === 'string' ? event.source : '?';
  const detailType = typeof event['detail-type'] === 'string' ? event['detail-type'] : '?';
  const name = `${source} / ${detailType}`;
  const decoder = findEventBridgeDecoder(source, detailType);
  if (decoder) return decode(decoder, event, name, ctx, at, renames);
  // Forwarders put a cloud's own payload on the custom bus as an event's `detail` (docs/deploy.md,
  // "Forwarding Azure and GCP notices"): the envelope is checked, then the payload routed as if it had come
  // directly. (The Azure Scheduled Events document has a decoder of its own in the registry.)
  if (forwardedKind(source, detailType)) {
    const e = parseWith(EventBridgeSchema, event, name, at, renames);
    return routeEvent(e.detail, ctx, [...at, 'detail']);
  }
  const e = parseWith(EventBridgeSchema, event, name, at, renames);
  return noop(e.source, `${e.source} / ${e['detail-type']}: not an event the autoscaler acts on`, e.id);
}

function eventGridEvent(o: Obj, ctx: NormalizeContext, at: Path): Normalized {
  return typeof o.eventType === 'string' && MAINTENANCE_SCHEDULED_EVENT.test(o.eventType)
    ? decode(maintenanceScheduledEventGrid, o, 'azure.eventgrid / scheduledevents', ctx, at)
    : decode(otherEventGridEvent, o, 'azure.eventgrid', ctx, at);
}

function logEntry(o: unknown, ctx: NormalizeContext, at: Path): Normalized {
  const method = isRecord(o) && isRecord(o.protoPayload) ? o.protoPayload.methodName : undefined;
  return method === PREEMPTED_METHOD
    ? decode(preemptionLogEntry, o, `gcp.logging / ${PREEMPTED_METHOD}`, ctx, at)
    : decode(otherLogEntry, o, 'gcp.logging', ctx, at);
}

function pubSubMessage(o: unknown, ctx: NormalizeContext, at: Path): Normalized {
  const push = parseWith(PubSubPushSchema, o, 'gcp.pubsub', at);
  const dataAt = [...at, 'message', 'data'];
  const text = decodeBase64(push.message.data);
  const json = text === undefined ? undefined : tryJson(text);
  if (json === undefined)
    throw new ParseError(
      'gcp.pubsub',
      formatPath(dataAt),
      'base64-encoded JSON (a LogEntry or a Monitoring incident)',
      {
        received: describeValue(push.message.data),
      },
    );
  return routeEvent(json.value, ctx, dataAt);
}

function cloudEvent(o: Obj, ctx: NormalizeContext, at: Path): Normalized {
  const ce = parseWith(CloudEventSchema, o, 'cloudevents', at);
  if (ce.type === AUDIT_LOG_WRITTEN) return logEntry(ce.data, ctx, [...at, 'data']);
  if (ce.type === PUBSUB_MESSAGE_PUBLISHED) return pubSubMessage(ce.data, ctx, [...at, 'data']);
  return noop(ce.source, `CloudEvent ${ce.type}: not acted on`, ce.id);
}

const SHAPES: readonly Shape[] = [
  {
    name: 'SNS notification',
    matches: (o) => 'Records' in o,
    normalize: (o, ctx, at) => {
      const n = parseWith(SnsNotificationSchema, o, 'aws.sns', at);
      return combine(n.Records.map((r, i) => snsRecord(r, ctx, [...at, 'Records', i])));
    },
  },
  {
    name: 'CloudWatch alarm Lambda action',
    matches: (o) => 'alarmData' in o,
    normalize: (o, ctx, at) => decode(cloudWatchAlarmAction, o, 'aws.cloudwatch / alarm action', ctx, at),
  },
  {
    name: 'Azure Monitor common alert',
    matches: (o) =>
      'schemaId' in o ||
      'essentials' in o ||
      'alertContext' in o ||
      (isRecord(o.data) && ('essentials' in o.data || 'alertContext' in o.data)),
    normalize: (o, ctx, at) => decode(azureMonitorAlert, o, 'azure.monitor / common alert schema', ctx, at),
  },
  {
    name: 'Azure Scheduled Events document',
    matches: (o) => 'DocumentIncarnation' in o || 'Events' in o,
    normalize: (o, ctx, at) => decode(scheduledEventsDocument, o, 'azure.scheduledevents', ctx, at),
  },
  {
    name: 'Event Grid event',
    matches: (o) => 'eventType' in o && ('subject' in o || 'eventTime' in o || 'dataVersion' in o),
    normalize: eventGridEvent,
  },
  { name: 'CloudEvent', matches: (o) => 'specversion' in o, normalize: cloudEvent },
  {
    name: 'Pub/Sub push request',
    matches: (o) => isRecord(o.message) && ('subscription' in o || 'data' in o.message),
    normalize: pubSubMessage,
  },
  {
    name: 'Cloud Logging LogEntry',
    matches: (o) => 'protoPayload' in o || ('logName' in o && 'insertId' in o),
    normalize: logEntry,
  },
  {
    name: 'Cloud Monitoring incident',
    matches: (o) => 'incident' in o,
    normalize: (o, ctx, at) => decode(monitoringIncident, o, 'gcp.monitoring / incident', ctx, at),
  },
  {
    name: 'operator command',
    matches: (o) => 'command' in o,
    normalize: (o, ctx, at) => decode(operatorCommand, o, 'autoscaler.ops / operator command', ctx, at),
  },
  {
    name: 'EventBridge Scheduler tick',
    matches: (o) => 'scheduleArn' in o || ('scheduledTime' in o && 'kind' in o),
    normalize: (o, ctx, at) => decode(schedulerTick, o, 'aws.scheduler / tick', ctx, at),
  },
  {
    name: 'EventBridge event',
    matches: (o) => 'detail-type' in o || 'detail_type' in o || ('detail' in o && 'source' in o),
    normalize: eventBridgeEvent,
  },
  {
    name: 'IMDS spot instance-action',
    matches: (o) => 'action' in o && 'time' in o,
    normalize: (o, ctx, at) => decode(imdsSpotInstanceAction, o, 'aws.ec2 / IMDS spot instance-action', ctx, at),
  },
];

export const KNOWN_SHAPES: readonly string[] = SHAPES.map((s) => s.name);

function describeKeys(o: Obj): string {
  const keys = Object.keys(o);
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 5).join(', ');
  return `an object with ${shown}${keys.length > 5 ? ', ...' : ''}`;
}

/** Normalizes `raw`, found at `at` inside the delivery (empty at the top). Throws `ParseError`. */
export function routeEvent(raw: unknown, ctx: NormalizeContext, at: Path): Normalized {
  if (Array.isArray(raw)) {
    if (raw.length === 0)
      throw new ParseError('azure.eventgrid', formatPath(at), 'at least one event in the array', { received: '[]' });
    // Each event of the array on its own: a malformed one is rejected, the others act.
    const { valid, rejected } = partitionItems(raw, (x, i) => {
      if (Array.isArray(x))
        throw new ParseError('unknown', formatPath([...at, i]), 'an event object', { received: 'an array' });
      return routeEvent(x, ctx, [...at, i]);
    });
    return withRejected(combine(valid), rejected);
  }
  if (!isRecord(raw))
    throw new ParseError('unknown', formatPath(at), 'a JSON object (an event)', { received: describeValue(raw) });
  const shape = SHAPES.find((s) => s.matches(raw));
  if (!shape)
    throw new ParseError('unknown', formatPath(at), `a known event (${KNOWN_SHAPES.join(', ')})`, {
      received: describeKeys(raw),
    });
  return shape.normalize(raw, ctx, at);
}
