/**
 * Server-side printing: the API server answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what
 * kubectl sends for `get`) with a `meta.k8s.io/v1` Table: `columnDefinitions` (name, type, format, description,
 * priority: 0 always shown, 1 with `-o wide`) and one row per object with its `cells` and, by default
 * (`includeObject=Metadata`), the object's metadata as a `PartialObjectMetadata`.
 *
 * The columns are the API server's own printers (pkg/printers/internalversion) for nodes, pods, deployments,
 * PodDisruptionBudgets and events, and Karpenter's `additionalPrinterColumns` for NodePools; any other kind
 * gets Name and Age, as a custom resource without printer columns does. Ages are kubectl's
 * `duration.HumanDuration`.
 */
import type { Json } from './patch.ts';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'date';
  format?: string;
  description: string;
  priority: number;
}

type Obj = Record<string, Json>;
type Cell = string | number;

/** Which Table version a request's Accept header asks for, if any (v1 preferred when both are offered). */
export function tableVersion(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  if (!accept) return undefined;
  const offers = accept.split(',').map((part) => {
    const params = Object.fromEntries(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    return params;
  });
  const tables = offers.filter((p) => p.as === 'Table' && (p.g === undefined || p.g === 'meta.k8s.io'));
  if (tables.some((p) => p.v === 'v1' || p.v === undefined)) return 'v1';
  if (tables.some((p) => p.v === 'v1beta1')) return 'v1beta1';
  return undefined;
}

/** kubectl's duration.HumanDuration. */
export function humanDuration(seconds: number): string {
  if (seconds < -1) return '<invalid>';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / 24 / 365)}y${Math.floor((h / 24) % 365)}d`;
}

const get = (o: Json | undefined, path: string): Json | undefined => {
  let v: Json | undefined = o;
  for (const k of path.split('.')) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj)[k] : undefined;
  return v;
};
const str = (v: Json | undefined, dflt = '<none>'): string =>
  v === undefined || v === null || v === '' ? dflt : String(v);

function age(ts: Json | undefined, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const seconds = (now - Date.parse(ts)) / 1000;
  // The world's clock moves in steps (a served world every second): a time written by a client up to a
  // couple of minutes ahead of it is now, not `<invalid>`.
  return humanDuration(seconds < 0 && seconds > -120 ? 0 : seconds);
}

const col = (name: string, type: Column['type'], description: string, priority = 0, format?: string): Column => ({
  name,
  type,
  ...(format ? { format } : {}),
  description,
  priority,
});
const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = col(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

interface Printer {
  columns: Column[];
  cells(o: Obj, now: number): Cell[];
}

const conditionStatus = (o: Obj, type: string): string | undefined => {
  const conditions = get(o, 'status.conditions');
  if (!Array.isArray(conditions)) return undefined;
  const c = conditions.find((x) => (x as Obj).type === type) as Obj | undefined;
  return c ? String(c.status) : undefined;
};

const PRINTERS: Record<string, Printer> = {
  Node: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r'", 1),
      col('Container-Runtime', 'string', 'Container Runtime Version reported by the node', 1),
    ],
    cells(o, now) {
      const ready = conditionStatus(o, 'Ready');
      const status = [ready === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady'];
      if (get(o, 'spec.unschedulable') === true) status.push('SchedulingDisabled');
      const labels = (get(o, 'metadata.labels') ?? {}) as Record<string, string>;
      const roles = Object.keys(labels)
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .filter(Boolean)
        .sort();
      const addresses = (get(o, 'status.addresses') ?? []) as Array<{ type: string; address: string }>;
      const address = (t: string) => addresses.find((a) => a.type === t)?.address ?? '<none>';
      return [
        str(get(o, 'metadata.name')),
        status.join(','),
        roles.length ? roles.join(',') : '<none>',
        age(get(o, 'metadata.creationTimestamp'), now),
        str(get(o, 'status.nodeInfo.kubeletVersion')),
        address('InternalIP'),
        address('ExternalIP'),
        str(get(o, 'status.nodeInfo.osImage'), '<unknown>'),
        str(get(o, 'status.nodeInfo.kernelVersion'), '<unknown>'),
        str(get(o, 'status.nodeInfo.containerRuntimeVersion'), '<unknown>'),
      ];
    },
  },
  Pod: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      AGE,
      col(
        'IP',
        'string',
        'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
        1,
      ),
      col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col(
        'Nominated Node',
        'string',
        'nominatedNodeName is set only when this pod preempts other pods on the node.',
        1,
      ),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells(o, now) {
      const containers = (get(o, 'spec.containers') ?? []) as Json[];
      const statuses = (get(o, 'status.containerStatuses') ?? []) as Obj[];
      // Without container statuses (the emulator keeps none), the pod's Ready condition stands for its containers.
      const ready = statuses.length
        ? statuses.filter((c) => c.ready === true).length
        : conditionStatus(o, 'Ready') === 'True'
          ? containers.length
          : 0;
      const restarts = statuses.reduce((a, c) => a + Number(c.restartCount ?? 0), 0);
      const status =
        get(o, 'metadata.deletionTimestamp') !== undefined ? 'Terminating' : str(get(o, 'status.phase'), 'Unknown');
      return [
        str(get(o, 'metadata.name')),
        `${ready}/${containers.length}`,
        status,
        String(restarts),
        age(get(o, 'metadata.creationTimestamp'), now),
        str(get(o, 'status.podIP')),
        str(get(o, 'spec.nodeName')),
        str(get(o, 'status.nominatedNodeName')),
        '<none>',
      ];
    },
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      col(
        'Available',
        'string',
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
      AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    cells(o, now) {
      const containers = (get(o, 'spec.template.spec.containers') ?? []) as Obj[];
      const match = (get(o, 'spec.selector.matchLabels') ?? {}) as Record<string, string>;
      return [
        str(get(o, 'metadata.name')),
        `${Number(get(o, 'status.readyReplicas') ?? 0)}/${Number(get(o, 'spec.replicas') ?? 0)}`,
        Number(get(o, 'status.updatedReplicas') ?? 0),
        Number(get(o, 'status.availableReplicas') ?? 0),
        age(get(o, 'metadata.creationTimestamp'), now),
        containers.map((c) => String(c.name)).join(',') || '<none>',
        containers.map((c) => String(c.image)).join(',') || '<none>',
        Object.entries(match)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(',') || '<none>',
      ];
    },
  },
  PodDisruptionBudget: {
    columns: [
      NAME,
      col('Min Available', 'string', 'The minimum number of pods that must be available.'),
      col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
      AGE,
    ],
    cells(o, now) {
      return [
        str(get(o, 'metadata.name')),
        str(get(o, 'spec.minAvailable'), 'N/A'),
        str(get(o, 'spec.maxUnavailable'), 'N/A'),
        Number(get(o, 'status.disruptionsAllowed') ?? 0),
        age(get(o, 'metadata.creationTimestamp'), now),
      ];
    },
  },
  // Karpenter's NodePool CRD additionalPrinterColumns (karpenter.sh_nodepools.yaml).
  NodePool: {
    columns: [
      NAME,
      col('NodeClass', 'string', '', 0),
      col('Nodes', 'string', '', 0),
      col('Ready', 'string', '', 0),
      AGE,
      col('Weight', 'integer', '', 1),
      col('CPU', 'string', '', 1),
      col('Memory', 'string', '', 1),
    ],
    cells(o, now) {
      return [
        str(get(o, 'metadata.name')),
        str(get(o, 'spec.template.spec.nodeClassRef.name'), ''),
        str(get(o, 'status.resources.nodes'), ''),
        conditionStatus(o, 'Ready') ?? '',
        age(get(o, 'metadata.creationTimestamp'), now),
        get(o, 'spec.weight') === undefined ? '' : Number(get(o, 'spec.weight')),
        str(get(o, 'status.resources.cpu'), ''),
        str(get(o, 'status.resources.memory'), ''),
      ];
    },
  },
  Event: {
    columns: [
      col('Last Seen', 'string', 'Time when last this event was observed.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      col(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      col('Object', 'string', 'The object that this event is about. Mapped from Event.involvedObject.'),
      col('Subobject', 'string', 'The subobject (fieldPath) of the involved object.', 1),
      col(
        'Source',
        'string',
        'The component reporting this event. Should be a short machine understandable string.',
        1,
      ),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col(
        'First Seen',
        'string',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        1,
      ),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      { ...NAME, priority: 1 },
    ],
    cells(o, now) {
      // Core v1 Events, and events.k8s.io/v1 ones read through their deprecated* and regarding fields.
      const involved = (get(o, 'involvedObject') ?? get(o, 'regarding') ?? {}) as Obj;
      const last = get(o, 'lastTimestamp') ?? get(o, 'deprecatedLastTimestamp') ?? get(o, 'eventTime');
      const first = get(o, 'firstTimestamp') ?? get(o, 'deprecatedFirstTimestamp') ?? get(o, 'eventTime');
      const source = get(o, 'source.component') ?? get(o, 'reportingController') ?? get(o, 'reportingComponent');
      return [
        age(last, now),
        str(get(o, 'type'), ''),
        str(get(o, 'reason'), ''),
        `${String(involved.kind ?? '').toLowerCase()}/${str(involved.name, '')}`,
        str(involved.fieldPath, ''),
        str(source, ''),
        str(get(o, 'message') ?? get(o, 'note'), ''),
        age(first, now),
        String(get(o, 'count') ?? get(o, 'deprecatedCount') ?? 1),
        str(get(o, 'metadata.name')),
      ];
    },
  },
};

const DEFAULT_PRINTER: Printer = {
  columns: [NAME, AGE],
  cells: (o, now) => [str(get(o, 'metadata.name')), age(get(o, 'metadata.creationTimestamp'), now)],
};

/**
 * A list or single-object reply as a Table. `kind` is the object kind (`Node`); `includeObject` is the
 * request's (`None`, `Metadata` (default) or `Object`).
 */
export function toTable(body: Obj, now: number, version: 'v1' | 'v1beta1', includeObject = 'Metadata'): Obj {
  const isList = Array.isArray(body.items);
  const kind = isList ? String(body.kind).replace(/List$/, '') : String(body.kind);
  const itemApiVersion = String(body.apiVersion);
  const items = (isList ? body.items : [body]) as Obj[];
  const printer = PRINTERS[kind] ?? DEFAULT_PRINTER;
  const apiVersion = `meta.k8s.io/${version}`;
  const rows = items.map((item) => {
    const row: Obj = { cells: printer.cells(item, now) };
    if (includeObject === 'Object') row.object = { kind, apiVersion: itemApiVersion, ...item };
    else if (includeObject !== 'None')
      row.object = { kind: 'PartialObjectMetadata', apiVersion, metadata: (item.metadata ?? {}) as Json };
    return row;
  });
  const metadata = isList
    ? ((body.metadata ?? {}) as Obj)
    : { resourceVersion: get(body, 'metadata.resourceVersion') ?? '' };
  return {
    kind: 'Table',
    apiVersion,
    metadata: metadata as Json,
    columnDefinitions: printer.columns as unknown as Json,
    rows,
  };
}
