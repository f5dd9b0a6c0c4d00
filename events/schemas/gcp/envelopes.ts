import { z } from 'zod';
import { identifier, isoTime } from '../../fields.ts';

/**
 * A Pub/Sub push request (what a push subscription POSTs to an HTTPS endpoint, e.g. a Lambda function URL
 * behind the forwarder). `message.data` is base64: a LogEntry from a log sink or a Cloud Monitoring incident;
 * the router decodes and normalizes it.
 *
 * @example
 * ```json
 * { "message": { "data": "eyJwcm90b1BheWxvYWQiOnsuLi59fQ==", "messageId": "9876543210123456",
 *     "publishTime": "2025-03-04T10:15:04.118Z", "attributes": { "logging.googleapis.com/timestamp": "2025-03-04T10:15:03.418211Z" } },
 *   "subscription": "projects/gpu-fleet-prod/subscriptions/gpu-autoscaler-preemptions" }
 * ```
 * @see https://cloud.google.com/pubsub/docs/push#receive_push
 */
export const PubSubPushSchema = z.object({
  message: z.object({
    data: z.string({ error: 'base64 message data' }),
    messageId: identifier('a Pub/Sub message id').optional(),
    message_id: z.string().optional(),
    publishTime: isoTime().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
  }),
  subscription: z.string().optional(),
});
export type PubSubPush = z.infer<typeof PubSubPushSchema>;

/**
 * A CloudEvent in structured mode (Eventarc, Cloud Run functions). Two types carry what we act on:
 * `google.cloud.audit.log.v1.written` (`data` is a LogEntry) and
 * `google.cloud.pubsub.topic.v1.messagePublished` (`data` is `{ message, subscription }` as in a push
 * request). Other types are no-ops.
 *
 * @example
 * ```json
 * { "specversion": "1.0", "id": "projects/gpu-fleet-prod/logs/cloudaudit.googleapis.com%2Fsystem_event-k3v9d2e1a7b",
 *   "source": "//cloudaudit.googleapis.com/projects/gpu-fleet-prod/logs/system_event",
 *   "type": "google.cloud.audit.log.v1.written", "time": "2025-03-04T10:15:04.002914Z",
 *   "datacontenttype": "application/json; charset=utf-8", "data": { "protoPayload": { "methodName": "compute.instances.preempted", "...": "..." } } }
 * ```
 * @see https://github.com/googleapis/google-cloudevents
 * @see https://cloud.google.com/eventarc/docs/cloudevents
 */
export const CloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: identifier('a CloudEvent id'),
  source: z.string().min(1),
  type: z.string().min(1),
  time: isoTime().optional(),
  datacontenttype: z.string().optional(),
  data: z.unknown(),
});
export type CloudEvent = z.infer<typeof CloudEventSchema>;

export const AUDIT_LOG_WRITTEN = 'google.cloud.audit.log.v1.written';
export const PUBSUB_MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
