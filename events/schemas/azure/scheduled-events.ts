import { z } from 'zod';
import { ParseError } from '../../../shared/domain/errors.ts';
import { createHash } from 'node:crypto';
import type {
  CapacityNoticeSignal,
  InterruptionSignal,
  Normalized,
  RejectedItem,
} from '../../../shared/domain/signals.ts';
import { compact, type NormalizeContext, noop, resolveFleet, withFleet } from '../../context.ts';
import { httpDate, identifier, MAX_AZURE_VM_NAME_LENGTH, mergedEventId, parseIsoTime } from '../../fields.ts';
import { FORWARDED } from '../../../shared/domain/forwarded.ts';
import { type Decoder, type Path, parseWith, partitionItems, withRejected } from '../../parse.ts';
import { base, eventBridge } from '../aws/eventbridge.ts';

export const AZURE_SCHEDULED_EVENTS = 'azure.scheduledevents';

/**
 * One entry of `Events`. `NotBefore` is blank once the event has started. `Resources` are VM (instance)
 * names; in a scale set, the instance names of the scale set's VMs.
 */
export const AzureScheduledEventSchema = z
  .object({
    EventId: identifier('a scheduled event id'),
    EventStatus: z.enum(['Scheduled', 'Started']),
    EventType: z.enum(['Freeze', 'Reboot', 'Redeploy', 'Preempt', 'Terminate']),
    ResourceType: z.literal('VirtualMachine'),
    Resources: z.array(identifier('a VM name', undefined, MAX_AZURE_VM_NAME_LENGTH)).min(1),
    NotBefore: z.union([z.literal(''), httpDate()], { error: 'an RFC 1123 date, or blank once started' }),
    Description: z.string().optional(),
    EventSource: z.enum(['Platform', 'User']).optional(),
    DurationInSeconds: z.number().optional(),
  })
  .superRefine((e, ctx) => {
    if (e.EventStatus === 'Scheduled' && e.NotBefore === '')
      ctx.addIssue({ code: 'custom', path: ['NotBefore'], message: 'a NotBefore time for a Scheduled event' });
  });
export type AzureScheduledEvent = z.infer<typeof AzureScheduledEventSchema>;

/**
 * The IMDS Scheduled Events document (`GET /metadata/scheduledevents`), as polled on a VM.
 *
 * @example
 * ```json
 * {
 *   "DocumentIncarnation": 7,
 *   "Events": [{ "EventId": "5E2F7A10-3C4B-4D6E-9F81-2A3B4C5D6E7F", "EventStatus": "Scheduled", "EventType": "Preempt",
 *     "ResourceType": "VirtualMachine", "Resources": ["chat-nc24-spot_3"], "NotBefore": "Tue, 04 Mar 2025 10:15:30 GMT",
 *     "Description": "", "EventSource": "Platform", "DurationInSeconds": -1 }]
 * }
 * ```
 * @see https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events
 */
export const ScheduledEventsDocumentSchema = z.object({
  DocumentIncarnation: z.number().int().min(0),
  // Each event is checked on its own (`scheduledEvents`): one malformed event does not sink the others.
  Events: z.array(z.unknown()),
});
export type ScheduledEventsDocument = z.infer<typeof ScheduledEventsDocumentSchema>;

/**
 * The events of a document, each checked with `AzureScheduledEventSchema` on its own: the valid ones, and a
 * rejection for each malformed one. All malformed: the first one's `ParseError` is thrown.
 */
export function scheduledEvents(
  items: readonly unknown[],
  at: Path,
): { valid: AzureScheduledEvent[]; rejected: RejectedItem[] } {
  return partitionItems(items, (item, i) =>
    parseWith(AzureScheduledEventSchema, item, AZURE_SCHEDULED_EVENTS, [...at, i]),
  );
}

/**
 * What a set of events says, for deduplication: the id, type, status, start time and VMs of each. A
 * document updated in place keeps its EventIds but changes one of these (Scheduled -> Started, a moved
 * NotBefore, more VMs); a redelivery changes none.
 */
export function scheduledEventsRevision(events: readonly AzureScheduledEvent[]): string {
  const content = events
    .map((e) => [e.EventId, e.EventType, e.EventStatus, e.NotBefore, [...e.Resources].sort().join(',')].join('|'))
    .sort()
    .join('\n');
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/**
 * How each event type is handled, in order of urgency. Freeze (a pause of seconds for a live migration) is
 * not acted on; Terminate is a deletion someone asked for (a scale-in, an operator): observed, not replaced.
 */
const TYPES = {
  Preempt: { rank: 0, signal: 'interruption', kind: 'preempt' },
  Redeploy: { rank: 1, signal: 'interruption', kind: 'maintenance', action: 'redeploy' },
  Reboot: { rank: 2, signal: 'interruption', kind: 'maintenance', action: 'reboot' },
  Terminate: { rank: 3, signal: 'capacity-notice', kind: 'terminate-scheduled', action: 'delete' },
} as const;

export interface ScheduledEventsOrigin {
  /** When the envelope says the document was sent; a bare document has none (then `ctx.now`). */
  time?: string;
  region?: string;
  zone?: string;
  dimensions?: Record<string, string>;
  /** Where `Events` sits in the payload, for errors. */
  eventsPath: string;
}

/**
 * One signal for a set of scheduled events. Rule: the most urgent event type present wins
 * (Preempt > Redeploy > Reboot > Terminate); every event of that type is merged into the signal (all their
 * VM names; the earliest NotBefore is the deadline; the event ids joined with `+` are the `eventId`, so the
 * same events seen through IMDS, a forwarder or Event Grid are one signal). Other types in the same batch
 * are dropped: a VM's document rarely mixes them, and the next incarnation brings them again.
 * No events, or only Freeze: a no-op.
 */
export function scheduledEventsSignal(
  events: AzureScheduledEvent[],
  origin: ScheduledEventsOrigin,
  ctx: NormalizeContext,
): Normalized {
  if (events.length === 0) return noop(AZURE_SCHEDULED_EVENTS, 'no scheduled events in the document');
  const actionable = events.filter((e) => e.EventType !== 'Freeze');
  if (actionable.length === 0) {
    // Bounded as a signal's merged id is (a document of dozens of Freezes).
    const ids = mergedEventId(events.map((e) => e.EventId));
    const secs = Math.max(...events.map((e) => e.DurationInSeconds ?? 0));
    return noop(AZURE_SCHEDULED_EVENTS, `Freeze (a pause of up to ${secs}s for a live migration): not acted on`, ids);
  }
  const rank = (e: AzureScheduledEvent) => TYPES[e.EventType as keyof typeof TYPES].rank;
  const top = Math.min(...actionable.map(rank));
  const group = actionable.filter((e) => rank(e) === top);
  const how = TYPES[group[0]!.EventType as keyof typeof TYPES];
  const notBefore = group
    .map((e) => e.NotBefore)
    .filter((t) => t !== '')
    .sort()[0];
  // `ctx.now` may carry an offset: canonical like every time of a signal.
  const now = ctx.now === undefined ? undefined : (parseIsoTime(ctx.now) ?? ctx.now);
  const time = origin.time ?? now ?? notBefore;
  if (time === undefined) {
    const i = events.indexOf(group[0]!);
    throw new ParseError(
      AZURE_SCHEDULED_EVENTS,
      `${origin.eventsPath}[${i}].NotBefore`,
      'a NotBefore time, or NormalizeContext.now for a document that has none',
      { received: '""' },
    );
  }
  const common = {
    eventId: mergedEventId(group.map((e) => e.EventId)),
    revision: scheduledEventsRevision(group),
    source: AZURE_SCHEDULED_EVENTS,
    time,
    cloud: 'azure' as const,
    instanceIds: [...new Set(group.flatMap((e) => e.Resources))],
  };
  const ref = origin.dimensions && resolveFleet(ctx, { dimensions: origin.dimensions });
  if (how.signal === 'capacity-notice') {
    const notice: CapacityNoticeSignal = {
      type: 'capacity-notice',
      ...common,
      kind: how.kind,
      detail: `${group[0]!.EventSource ?? 'Platform'} ${how.action} not before ${notBefore ?? time}`,
    };
    return withFleet(notice, ref);
  }
  const signal: InterruptionSignal = compact({
    type: 'interruption',
    ...common,
    kind: how.kind,
    deadline: notBefore ?? time,
    action: 'action' in how ? how.action : undefined,
    region: origin.region,
    zone: origin.zone,
  });
  return withFleet(signal, ref);
}

export const scheduledEventsDocument: Decoder<typeof ScheduledEventsDocumentSchema> = {
  schema: ScheduledEventsDocumentSchema,
  toSignal: (doc, ctx) => {
    const { valid, rejected } = scheduledEvents(doc.Events, ['Events']);
    return withRejected(scheduledEventsSignal(valid, { eventsPath: 'Events' }, ctx), rejected);
  },
};

export const FORWARDED_SCHEDULED_EVENTS_SOURCE = FORWARDED.azureScheduledEvents.source;
export const FORWARDED_SCHEDULED_EVENTS_DETAIL_TYPE = FORWARDED.azureScheduledEvents.detailType;

/**
 * An IMDS Scheduled Events document put on the EventBridge bus by the forwarder that polls IMDS on each
 * Azure VM. `detail` is the document plus what the forwarder reads from IMDS instance metadata
 * (`compute.vmScaleSetName`, `resourceGroupName`, `subscriptionId`, `location`, `zone`). The scale set name
 * maps the signal to a pool through the `VMScaleSetName` dimension.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "f2b4d6f8-0a2c-4e4a-9d6f-7b9d1f3b5d7f",
 *   "detail-type": "Azure Scheduled Events Document", "source": "autoscaler.azure.scheduledevents",
 *   "account": "731482956104", "time": "2025-03-04T10:15:02Z", "region": "us-east-1", "resources": [],
 *   "detail": { "DocumentIncarnation": 7, "Events": [{ "EventId": "5E2F7A10-...", "EventStatus": "Scheduled",
 *     "EventType": "Preempt", "ResourceType": "VirtualMachine", "Resources": ["chat-nc24-spot_3"],
 *     "NotBefore": "Tue, 04 Mar 2025 10:15:30 GMT", "EventSource": "Platform", "DurationInSeconds": -1 }],
 *     "vmScaleSetName": "chat-nc24-spot", "resourceGroupName": "gpu-fleet", "location": "eastus", "zone": "2" }
 * }
 * ```
 * @see https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events
 * @see https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service
 */
export const ForwardedScheduledEventsSchema = eventBridge(
  FORWARDED_SCHEDULED_EVENTS_SOURCE,
  [FORWARDED_SCHEDULED_EVENTS_DETAIL_TYPE],
  ScheduledEventsDocumentSchema.extend({
    vmName: z.string().min(1).optional(),
    vmScaleSetName: z.string().min(1).optional(),
    resourceGroupName: z.string().min(1).optional(),
    subscriptionId: identifier('an Azure subscription id').optional(),
    location: z.string().min(1).optional(),
    zone: z.string().optional(),
  }),
);
export type ForwardedScheduledEvents = z.infer<typeof ForwardedScheduledEventsSchema>;

export const forwardedScheduledEvents: Decoder<typeof ForwardedScheduledEventsSchema> = {
  schema: ForwardedScheduledEventsSchema,
  toSignal: (e, ctx) => {
    const d = e.detail;
    const { valid, rejected } = scheduledEvents(d.Events, ['detail', 'Events']);
    const n = scheduledEventsSignal(
      valid,
      compact({
        time: base(e).time,
        region: d.location,
        zone: d.zone || undefined,
        dimensions: d.vmScaleSetName ? { VMScaleSetName: d.vmScaleSetName } : undefined,
        eventsPath: 'detail.Events',
      }),
      ctx,
    );
    return withRejected(n.type === 'no-op' && n.eventId === undefined ? { ...n, eventId: e.id } : n, rejected);
  },
};
