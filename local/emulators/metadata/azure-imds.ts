/**
 * Azure IMDS Scheduled Events and instance metadata on 127.0.0.1:
 *
 * - every request needs `Metadata: true` and an `api-version` query parameter, and must not carry
 *   `X-Forwarded-For`: otherwise 400 with IMDS's JSON error;
 * - `GET /metadata/scheduledevents` returns `{ DocumentIncarnation, Events }`; the incarnation goes up
 *   whenever the events change;
 * - `POST /metadata/scheduledevents` with `{"StartRequests": [{"EventId": ...}]}` approves events: each
 *   approved event becomes `Started` with a blank `NotBefore` (a new incarnation); a body that is not that
 *   shape is 400;
 * - `GET /metadata/instance/compute` returns the VM's compute metadata.
 *
 * @see https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events
 */
import { type LoopbackServer, listen, reply } from './server.ts';

export interface AzureScheduledEventIn {
  EventId: string;
  EventType: 'Freeze' | 'Reboot' | 'Redeploy' | 'Preempt' | 'Terminate';
  Resources: string[];
  NotBefore: string;
  EventStatus?: 'Scheduled' | 'Started';
  DurationInSeconds?: number;
}

export interface AzureImdsEmulator extends LoopbackServer {
  /** Replaces the events (a new incarnation). */
  setEvents(events: AzureScheduledEventIn[]): void;
  /** The StartRequests received, in order. */
  readonly approvals: string[][];
  readonly incarnation: number;
}

export interface AzureVm {
  name: string;
  vmScaleSetName?: string;
  resourceGroupName: string;
  subscriptionId: string;
  location: string;
  zone: string;
}

const error = (message: string) => JSON.stringify({ error: message });

export async function startAzureImds(vm: AzureVm): Promise<AzureImdsEmulator> {
  let incarnation = 1;
  let events: Required<AzureScheduledEventIn>[] = [];
  const approvals: string[][] = [];
  const document = () =>
    JSON.stringify({
      DocumentIncarnation: incarnation,
      Events: events.map((e) => ({
        EventId: e.EventId,
        EventStatus: e.EventStatus,
        EventType: e.EventType,
        ResourceType: 'VirtualMachine',
        Resources: e.Resources,
        NotBefore: e.NotBefore,
        Description: '',
        EventSource: 'Platform',
        DurationInSeconds: e.DurationInSeconds,
      })),
    });
  const server = await listen((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    const json = (status: number, text: string) =>
      reply(res, status, text, { 'content-type': 'application/json; charset=utf-8' });
    if (req.headers['x-forwarded-for'])
      return json(400, error('Bad request. Request with X-Forwarded-For header is not allowed.'));
    if (req.headers.metadata !== 'true') return json(400, error('Bad request. Required metadata header not specified'));
    if (!url.searchParams.get('api-version'))
      return json(
        400,
        error(
          'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds',
        ),
      );
    if (url.pathname === '/metadata/instance/compute' && req.method === 'GET') {
      return json(200, JSON.stringify({ ...vm, vmScaleSetName: vm.vmScaleSetName ?? '' }));
    }
    if (url.pathname !== '/metadata/scheduledevents') return json(404, error('Not found'));
    if (req.method === 'GET') return json(200, document());
    if (req.method !== 'POST') return json(405, error('Method not allowed'));
    let ids: string[];
    try {
      const parsed = JSON.parse(body) as { StartRequests?: Array<{ EventId?: unknown }> };
      if (!Array.isArray(parsed.StartRequests) || parsed.StartRequests.some((s) => typeof s?.EventId !== 'string'))
        throw new Error('shape');
      ids = parsed.StartRequests.map((s) => s.EventId as string);
    } catch {
      return json(400, error('Bad request. The request body is not a valid StartRequests document'));
    }
    approvals.push(ids);
    let changed = false;
    events = events.map((e) => {
      if (!ids.includes(e.EventId) || e.EventStatus === 'Started') return e;
      changed = true;
      return { ...e, EventStatus: 'Started', NotBefore: '' };
    });
    if (changed) incarnation += 1;
    return reply(res, 200, '');
  });
  return {
    ...server,
    approvals,
    get incarnation() {
      return incarnation;
    },
    setEvents: (next) => {
      events = next.map((e) => ({ EventStatus: 'Scheduled', DurationInSeconds: -1, ...e }));
      incarnation += 1;
    },
  };
}
