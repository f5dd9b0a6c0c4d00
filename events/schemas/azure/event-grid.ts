import { z } from 'zod';
import { compact, noop } from '../../context.ts';
import { identifier, isoTime } from '../../fields.ts';
import { type Decoder, parseWith, partitionItems, withRejected } from '../../parse.ts';
import { AzureScheduledEventSchema, scheduledEventsSignal } from './scheduled-events.ts';

/**
 * One Event Grid event (Event Grid schema). Webhooks receive an array of them; the router normalizes each
 * and merges the results (see `combine`).
 *
 * @see https://learn.microsoft.com/azure/event-grid/event-schema
 */
export const EventGridEventSchema = z.object({
  id: identifier('an Event Grid event id'),
  topic: z.string().optional(),
  subject: z.string(),
  eventType: z.string().min(1),
  eventTime: isoTime(),
  data: z.unknown(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
});
export type EventGridEvent = z.infer<typeof EventGridEventSchema>;

/** One entry of `data.resources` of a Microsoft.Maintenance scheduled event. */
export const ScheduledEventResourceSchema = z.object({
  armResource: z.object({
    zones: z.array(z.string()).optional(),
    location: z.string().optional(),
    properties: AzureScheduledEventSchema,
  }),
});

export const MAINTENANCE_SCHEDULED_EVENT = /^microsoft\.maintenance\/scheduledevents\/write$/i;

/**
 * Scheduled Events delivered through Event Grid (`microsoft.maintenance/scheduledevents/Write`): each
 * `data.resources[].armResource.properties` is one scheduled event with the IMDS fields; they are read
 * like an IMDS document (same signal, same `eventId`), dated by `eventTime`.
 *
 * @example
 * ```json
 * [{
 *   "id": "0c2e4a6c-8e0a-4c2e-8f4b-6d8f0b2d4f6b",
 *   "topic": "/subscriptions/7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d/resourceGroups/gpu-fleet/providers/Microsoft.EventGrid/topics/scheduled-events",
 *   "subject": "/providers/microsoft.idmapping/.../providers/microsoft.maintenance/scheduledevents/8A0C2E4A-...",
 *   "eventType": "microsoft.maintenance/scheduledevents/Write", "eventTime": "2025-03-04T10:15:01.1234567Z",
 *   "data": { "resourceLocation": "eastus", "resources": [{ "armResource": { "zones": ["eastus-az2"],
 *     "properties": { "EventId": "8A0C2E4A-...", "EventStatus": "Scheduled", "EventType": "Preempt", "ResourceType": "VirtualMachine",
 *       "Resources": ["chat-nc24-spot_3"], "NotBefore": "Tue, 04 Mar 2025 10:15:31 GMT", "EventSource": "Platform", "DurationInSeconds": -1 } } }] },
 *   "dataVersion": "3.0", "metadataVersion": "1"
 * }]
 * ```
 * @see https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-event-service
 */
export const MaintenanceScheduledEventGridSchema = EventGridEventSchema.extend({
  eventType: z.string().regex(MAINTENANCE_SCHEDULED_EVENT),
  data: z.object({
    resourceLocation: z.string().optional(),
    // Each resource is checked on its own (`ScheduledEventResourceSchema`): a malformed one is rejected,
    // the others act.
    resources: z.array(z.unknown()).min(1),
  }),
});
export type MaintenanceScheduledEventGrid = z.infer<typeof MaintenanceScheduledEventGridSchema>;

export const maintenanceScheduledEventGrid: Decoder<typeof MaintenanceScheduledEventGridSchema> = {
  schema: MaintenanceScheduledEventGridSchema,
  toSignal: (e, ctx) => {
    const { valid, rejected } = partitionItems(e.data.resources, (r, i) =>
      parseWith(ScheduledEventResourceSchema, r, 'azure.eventgrid / scheduledevents', ['data', 'resources', i]),
    );
    const arms = valid.map((r) => r.armResource);
    const zones = [...new Set(arms.flatMap((a) => a.zones ?? []).filter((z) => z !== ''))];
    const signal = scheduledEventsSignal(
      arms.map((a) => a.properties),
      compact({
        time: e.eventTime,
        region: e.data.resourceLocation || arms[0]!.location || undefined,
        zone: zones.length === 1 ? zones[0] : undefined,
        eventsPath: 'data.resources',
      }),
      ctx,
    );
    return withRejected(signal, rejected);
  },
};

/** Any other Event Grid event: validated, then acknowledged as a no-op. */
export const otherEventGridEvent: Decoder<typeof EventGridEventSchema> = {
  schema: EventGridEventSchema,
  toSignal: (e) =>
    noop(
      'azure.eventgrid',
      /SubscriptionValidationEvent$/i.test(e.eventType)
        ? 'Event Grid subscription validation: answered by the forwarder, nothing to do here'
        : `Event Grid ${e.eventType}: not acted on`,
      e.id,
    ),
};
