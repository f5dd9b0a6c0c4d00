/**
 * Events: the core `v1` Event (what client-go's event recorder writes, and what Karpenter, Cluster Autoscaler
 * and this autoscaler emit: `POST /api/v1/namespaces/{ns}/events`) and its `events.k8s.io/v1` view of the same
 * store (`regarding`, `note`, `reportingController`, `deprecated*` fields), as the API server serves both.
 *
 * Stored as given, with the server's own fields added (uid, resourceVersion, creationTimestamp). What the
 * API server validates: the namespace of the path and of the body agree; `involvedObject`, `reason` and the
 * name (or `generateName`) are present. Events of cluster-scoped objects (nodes) live in `default`.
 */
import { rfc3339 } from './objects.ts';
import type { Json } from './patch.ts';
import { badRequest, invalid, notFound } from './status.ts';

type Obj = Record<string, Json>;

export interface EventStoreOptions {
  now: () => number;
  nextRv: () => string;
  uid: () => string;
}

export class EventStore {
  private readonly events = new Map<string, Obj>();
  private readonly o: EventStoreOptions;

  constructor(o: EventStoreOptions) {
    this.o = o;
  }

  /** `POST /api/v1/namespaces/{ns}/events`: the stored Event (201). */
  create(namespace: string, body: unknown): Obj {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body is not an Event object');
    const e = structuredClone(body) as Obj;
    const meta = (e.metadata ?? {}) as Obj;
    if (meta.namespace !== undefined && meta.namespace !== namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    let name = meta.name as string | undefined;
    if (!name && typeof meta.generateName === 'string') name = `${meta.generateName}${this.o.uid().slice(0, 5)}`;
    const errors = [
      ...(name ? [] : [{ field: 'metadata.name', value: '', detail: 'name or generateName is required' }]),
      ...(e.involvedObject && typeof e.involvedObject === 'object'
        ? []
        : [{ field: 'involvedObject', value: null, detail: 'Required value' }]),
      ...(typeof e.reason === 'string' && e.reason ? [] : [{ field: 'reason', value: '', detail: 'Required value' }]),
      ...(e.type === undefined || e.type === 'Normal' || e.type === 'Warning'
        ? []
        : [{ field: 'type', value: e.type, detail: 'supported values: "Normal", "Warning"' }]),
    ];
    if (errors.length) throw invalid('Event', { group: '', resource: 'events', name: name ?? '' }, errors);
    const key = `${namespace}/${name}`;
    if (this.events.has(key)) throw badRequest(`events "${name}" already exists`);
    const now = rfc3339(this.o.now());
    const stored: Obj = {
      kind: 'Event',
      apiVersion: 'v1',
      ...e,
      metadata: {
        ...meta,
        name: name!,
        namespace,
        uid: this.o.uid(),
        resourceVersion: this.o.nextRv(),
        creationTimestamp: now,
      },
      firstTimestamp: e.firstTimestamp ?? now,
      lastTimestamp: e.lastTimestamp ?? now,
      count: e.count ?? 1,
      type: e.type ?? 'Normal',
    };
    this.events.set(key, stored);
    return stored;
  }

  list(namespace?: string): Obj[] {
    return [...this.events.values()].filter(
      (e) => namespace === undefined || (e.metadata as Obj).namespace === namespace,
    );
  }

  get(namespace: string, name: string): Obj {
    const e = this.events.get(`${namespace}/${name}`);
    if (!e) throw notFound({ group: '', resource: 'events', name });
    return e;
  }
}

/** An `events.k8s.io/v1` Event from a core one (the API server's conversion of the same object). */
export function toEventsV1(e: Obj): Obj {
  const source = (e.source ?? {}) as Obj;
  return {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata: e.metadata!,
    eventTime: e.eventTime ?? null,
    ...(e.series ? { series: e.series } : {}),
    reportingController: e.reportingComponent ?? source.component ?? '',
    reportingInstance: e.reportingInstance ?? source.host ?? '',
    ...(e.action ? { action: e.action } : {}),
    reason: e.reason!,
    regarding: e.involvedObject!,
    ...(e.related ? { related: e.related } : {}),
    note: e.message ?? '',
    type: e.type!,
    deprecatedSource: source,
    deprecatedFirstTimestamp: e.firstTimestamp ?? null,
    deprecatedLastTimestamp: e.lastTimestamp ?? null,
    deprecatedCount: e.count ?? 1,
  };
}
