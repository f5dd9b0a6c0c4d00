/**
 * Azure: IMDS Scheduled Events. `GET /metadata/scheduledevents?api-version=2020-07-01` with `Metadata: true`
 * returns `{ DocumentIncarnation, Events: [...] }`; the incarnation changes whenever the events do. A new
 * incarnation with events goes on the bus whole (the functions pick the most urgent event), with what IMDS
 * says about the VM (`/metadata/instance/compute`: name, scale set, resource group, subscription, location,
 * zone), as the `autoscaler.azure.scheduledevents` contract (events/schemas/azure/scheduled-events.ts) says.
 *
 * Acknowledging: an event is approved with `POST` of `{"StartRequests": [{"EventId": ...}]}`, which lets the
 * platform start it before `NotBefore`. The protocol expects it once the VM is ready, so the agent approves
 * only events that concern its own VM, that it has put on the bus, and only once the node is drained (the
 * autoscaler cordoned it and evicted its pods). Freeze events (a pause of seconds) are never approved: the
 * platform starts them on its own.
 *
 * @see https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events
 * @see https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service
 */
import {
  FORWARDED_SCHEDULED_EVENTS_DETAIL_TYPE,
  FORWARDED_SCHEDULED_EVENTS_SOURCE,
} from '../../events/schemas/azure/scheduled-events.ts';
import { MetadataError, type Monitor, type Notice, parseJson, request } from '../notice.ts';

export const AZURE_IMDS_ENDPOINT = 'http://169.254.169.254';
export const SCHEDULED_EVENTS_API_VERSION = '2020-07-01';
export const INSTANCE_API_VERSION = '2021-02-01';
const SERVICE = 'azure imds';
/** Event types the agent approves once the node is drained. */
const APPROVED_TYPES = new Set(['Preempt', 'Reboot', 'Redeploy', 'Terminate']);

export interface AzureImdsOptions {
  endpoint?: string;
  timeoutMs?: number;
  node?: string;
}

interface ScheduledEvent {
  EventId: string;
  EventType: string;
  EventStatus: string;
  Resources: string[];
}

interface Compute {
  name?: string;
  vmScaleSetName?: string;
  resourceGroupName?: string;
  subscriptionId?: string;
  location?: string;
  zone?: string;
}

export class AzureScheduledEventsMonitor implements Monitor {
  readonly name = 'azure';
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly node?: string;
  private compute?: Compute;
  private incarnation?: number;
  /** Events of this VM put on the bus and not yet approved, by id. */
  /** This VM's approvable events not yet approved, with the keys of the notices that carry them. */
  private readonly pending = new Map<string, { event: ScheduledEvent; keys: Set<string> }>();
  private readonly approved = new Set<string>();
  private lastEvents: ScheduledEvent[] = [];

  constructor(options: AzureImdsOptions = {}) {
    this.endpoint = (options.endpoint ?? AZURE_IMDS_ENDPOINT).replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 1_000;
    if (options.node) this.node = options.node;
  }

  private url(path: string, apiVersion: string): string {
    return `${this.endpoint}/metadata/${path}?api-version=${apiVersion}`;
  }

  private async get(path: string, apiVersion: string): Promise<unknown> {
    const r = await request(this.url(path, apiVersion), { headers: { Metadata: 'true' }, timeoutMs: this.timeoutMs });
    if (r.status !== 200) {
      throw new MetadataError(SERVICE, `GET /metadata/${path} answered ${r.status}: ${r.text.slice(0, 120)}`, {
        status: r.status,
      });
    }
    return parseJson(SERVICE, `/metadata/${path}`, r.text);
  }

  private async vm(): Promise<Compute> {
    this.compute ??= (await this.get('instance/compute', INSTANCE_API_VERSION)) as Compute;
    return this.compute;
  }

  async poll(): Promise<Notice[]> {
    const doc = (await this.get('scheduledevents', SCHEDULED_EVENTS_API_VERSION)) as {
      DocumentIncarnation?: unknown;
      Events?: unknown;
    };
    if (typeof doc.DocumentIncarnation !== 'number' || !Array.isArray(doc.Events)) {
      throw new MetadataError(SERVICE, 'the scheduled events document has no DocumentIncarnation or Events');
    }
    const events = doc.Events as ScheduledEvent[];
    this.lastEvents = events;
    this.incarnation = doc.DocumentIncarnation;
    if (events.length === 0) return [];
    const c = await this.vm();
    const key = `azure:${doc.DocumentIncarnation}`;
    for (const e of events) {
      if (APPROVED_TYPES.has(e.EventType) && c.name && e.Resources?.includes(c.name) && !this.approved.has(e.EventId)) {
        const keys = this.pending.get(e.EventId)?.keys ?? new Set<string>();
        this.pending.set(e.EventId, { event: e, keys: keys.add(key) });
      }
    }
    return [
      {
        key,
        source: FORWARDED_SCHEDULED_EVENTS_SOURCE,
        detailType: FORWARDED_SCHEDULED_EVENTS_DETAIL_TYPE,
        detail: {
          DocumentIncarnation: doc.DocumentIncarnation,
          Events: events,
          ...(c.name ? { vmName: c.name } : {}),
          ...(c.vmScaleSetName ? { vmScaleSetName: c.vmScaleSetName } : {}),
          ...(c.resourceGroupName ? { resourceGroupName: c.resourceGroupName } : {}),
          ...(c.subscriptionId ? { subscriptionId: c.subscriptionId } : {}),
          ...(c.location ? { location: c.location } : {}),
          ...(c.zone !== undefined ? { zone: c.zone } : {}),
        },
      },
    ];
  }

  /** The incarnation last read (for logs). */
  get documentIncarnation(): number | undefined {
    return this.incarnation;
  }

  /**
   * Approves this VM's pending events once the node is drained. Events that left the document (started or
   * cancelled) are forgotten. Returns the approved ids.
   */
  async settle(drained: () => Promise<boolean>, onBus: ReadonlySet<string>): Promise<string[]> {
    const present = new Set(this.lastEvents.map((e) => e.EventId));
    for (const id of [...this.pending.keys()]) if (!present.has(id)) this.pending.delete(id);
    // Only what a notice on the bus told the autoscaler: an approval hastens the platform's action, which the
    // autoscaler must hear of first (a notice the bus refused is approved once a later poll puts it).
    const ready = [...this.pending.values()]
      .filter((p) => p.event.EventStatus === 'Scheduled' && [...p.keys].some((k) => onBus.has(k)))
      .map((p) => p.event);
    if (ready.length === 0 || !(await drained())) return [];
    const ids = ready.map((e) => e.EventId);
    const r = await request(this.url('scheduledevents', SCHEDULED_EVENTS_API_VERSION), {
      method: 'POST',
      headers: { Metadata: 'true', 'Content-Type': 'application/json' },
      body: JSON.stringify({ StartRequests: ids.map((EventId) => ({ EventId })) }),
      timeoutMs: this.timeoutMs,
    });
    if (r.status !== 200) {
      throw new MetadataError(SERVICE, `approving ${ids.join(', ')} answered ${r.status}: ${r.text.slice(0, 120)}`, {
        status: r.status,
      });
    }
    for (const id of ids) {
      this.pending.delete(id);
      this.approved.add(id);
    }
    return ids;
  }
}
