/**
 * The HTTP side of the Kubernetes emulator: routes, bearer-token authentication, patch content types,
 * label/field selectors, paging (`limit`/`continue`), fault injection and Status error bodies.
 *
 * Patch content types, per resource (anything else is a 415 with a Status body):
 * - nodes, deployments: JSON patch, merge patch, strategic merge patch (served as a merge patch);
 * - deployments/scale: merge and strategic merge patch only. The real API server also takes a JSON patch
 *   here; the emulator refuses it on purpose, so a client that sends @kubernetes/client-node's default
 *   content type (`application/json-patch+json`) with a merge-patch body fails loudly instead of silently;
 * - nodepools (a custom resource): JSON patch and merge patch; like the real server, no strategic merge.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { World } from '../world.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { toEventsV1 } from './events.ts';
import { renderList } from './objects.ts';
import { tableVersion, toTable } from './table.ts';
import { JSON_PATCH, type Json, MERGE_PATCH, STRATEGIC_MERGE_PATCH } from './patch.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { KubernetesState } from './state.ts';
import {
  ApiError,
  badRequest,
  conflict,
  internalError,
  methodNotAllowed,
  success,
  throttled,
  unauthorized,
  unknownPath,
  unsupportedMediaType,
} from './status.ts';
import { messageOf } from '../../../shared/domain/errors.ts';

type Method = 'GET' | 'PATCH' | 'PUT' | 'POST';

export interface Request {
  method: Method;
  params: string[];
  query: URLSearchParams;
  contentType: string;
  body: unknown;
}

export interface Reply {
  status: number;
  body: Json;
}

interface Route {
  pattern: RegExp;
  ops: Partial<Record<Method, string>>;
  /** Patch content types accepted (PATCH only). */
  patchTypes?: readonly string[];
  handle(state: KubernetesState, req: Request): Reply;
}

const ok = (body: Json): Reply => ({ status: 200, body });
const SEG = '([^/]+)';
const NODE_FIELDS = ['metadata.name', 'spec.unschedulable'];
const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.schedulerName', 'status.phase'];
const META_FIELDS = ['metadata.name', 'metadata.namespace'];
const ALL_PATCHES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH] as const;

function fieldValue(obj: Json, path: string): string {
  let v: Json | undefined = obj;
  for (const part of path.split('.')) v = v && typeof v === 'object' && !Array.isArray(v) ? v[part] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

/** A list with selectors and paging applied, like the API server's list handler. */
function list(
  kind: string,
  apiVersion: string,
  items: Json[],
  req: Request,
  state: KubernetesState,
  fields: string[],
): Reply {
  const labels = parseLabelSelector(req.query.get('labelSelector') ?? undefined);
  const fieldReqs = parseFieldSelector(req.query.get('fieldSelector') ?? undefined, fields);
  const selected = items.filter((item) => {
    const meta = (item as { metadata?: { labels?: Record<string, string> } }).metadata;
    if (!matchesLabels(meta?.labels, labels)) return false;
    return matchesFields(Object.fromEntries(fieldReqs.map((f) => [f.field, fieldValue(item, f.field)])), fieldReqs);
  });
  let start = 0;
  const token = req.query.get('continue');
  if (token) {
    try {
      start = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start: number }).start;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    if (!Number.isInteger(start) || start < 0) throw badRequest('continue key is not valid');
  }
  const limit = Number(req.query.get('limit') ?? 0);
  const end = limit > 0 ? start + limit : selected.length;
  const page = selected.slice(start, end);
  const more = end < selected.length;
  const cont = more
    ? Buffer.from(JSON.stringify({ rv: state.currentRv(), start: end })).toString('base64url')
    : undefined;
  const stripped = page.map((item) => {
    if (apiVersion.includes('.')) return item; // custom resources keep kind/apiVersion on items
    const { kind: _k, apiVersion: _a, ...rest } = item as Record<string, Json>;
    return rest as Json;
  });
  return ok(
    renderList(kind, apiVersion, stripped, state.currentRv(), {
      continue: cont,
      remaining: more ? selected.length - end : undefined,
    }),
  );
}

const EVENT_FIELDS = [
  ...META_FIELDS,
  'involvedObject.kind',
  'involvedObject.name',
  'involvedObject.namespace',
  'involvedObject.uid',
  'reason',
  'type',
  'source',
  'reportingComponent',
];
const V1_EVENT_FIELDS = [...META_FIELDS, 'regarding.kind', 'regarding.name', 'regarding.namespace', 'reason', 'type'];
const eventsV1 = (items: Json[]): Json[] => items.map((e) => toEventsV1(e as Record<string, Json>) as Json);

export const ROUTES: Route[] = [
  {
    pattern: /^\/api\/v1\/events$/,
    ops: { GET: 'events.list' },
    handle: (s, r) => list('EventList', 'v1', s.events.list(), r, s, EVENT_FIELDS),
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${SEG}/events$`),
    ops: { GET: 'events.list', POST: 'events.create' },
    handle: (s, r) => {
      const ns = r.params[0]!;
      if (r.method === 'POST') return { status: 201, body: s.events.create(ns, r.body) };
      return list('EventList', 'v1', s.events.list(ns), r, s, EVENT_FIELDS);
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${SEG}/events/${SEG}$`),
    ops: { GET: 'events.get' },
    handle: (s, r) => ok(s.events.get(r.params[0]!, r.params[1]!)),
  },
  {
    pattern: /^\/apis\/events\.k8s\.io\/v1\/events$/,
    ops: { GET: 'events.list' },
    handle: (s, r) => list('EventList', 'events.k8s.io/v1', eventsV1(s.events.list()), r, s, V1_EVENT_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/events\\.k8s\\.io/v1/namespaces/${SEG}/events$`),
    ops: { GET: 'events.list' },
    handle: (s, r) =>
      list('EventList', 'events.k8s.io/v1', eventsV1(s.events.list(r.params[0]!)), r, s, V1_EVENT_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/events\\.k8s\\.io/v1/namespaces/${SEG}/events/${SEG}$`),
    ops: { GET: 'events.get' },
    handle: (s, r) => ok(toEventsV1(s.events.get(r.params[0]!, r.params[1]!))),
  },
  {
    pattern: /^\/api\/v1\/nodes$/,
    ops: { GET: 'nodes.list' },
    handle: (s, r) => list('NodeList', 'v1', s.nodeObjects(), r, s, NODE_FIELDS),
  },
  {
    pattern: new RegExp(`^/api/v1/nodes/${SEG}$`),
    ops: { GET: 'nodes.get', PATCH: 'nodes.patch' },
    patchTypes: ALL_PATCHES,
    handle: (s, r) =>
      ok(r.method === 'GET' ? s.nodeObject(r.params[0]!) : s.patchNode(r.params[0]!, r.contentType, r.body)),
  },
  {
    pattern: /^\/api\/v1\/pods$/,
    ops: { GET: 'pods.list' },
    handle: (s, r) => list('PodList', 'v1', s.podObjects(), r, s, POD_FIELDS),
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${SEG}/pods$`),
    ops: { GET: 'pods.list' },
    handle: (s, r) => list('PodList', 'v1', s.podObjects(r.params[0]!), r, s, POD_FIELDS),
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${SEG}/pods/${SEG}$`),
    ops: { GET: 'pods.get' },
    handle: (s, r) => ok(s.podObject(r.params[0]!, r.params[1]!)),
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${SEG}/pods/${SEG}/eviction$`),
    ops: { POST: 'pods.eviction.create' },
    handle: (s, r) => {
      s.evict(r.params[0]!, r.params[1]!, r.body, r.query.getAll('dryRun').includes('All'));
      return { status: 201, body: success(201) as unknown as Json };
    },
  },
  {
    pattern: /^\/apis\/apps\/v1\/deployments$/,
    ops: { GET: 'deployments.list' },
    handle: (s, r) => list('DeploymentList', 'apps/v1', s.deploymentObjects(), r, s, META_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/apps/v1/namespaces/${SEG}/deployments$`),
    ops: { GET: 'deployments.list' },
    handle: (s, r) => list('DeploymentList', 'apps/v1', s.deploymentObjects(r.params[0]!), r, s, META_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/apps/v1/namespaces/${SEG}/deployments/${SEG}$`),
    ops: { GET: 'deployments.get', PATCH: 'deployments.patch' },
    patchTypes: ALL_PATCHES,
    handle: (s, r) => {
      const [ns, name] = r.params as [string, string];
      return ok(r.method === 'GET' ? s.deploymentObject(ns, name) : s.patchDeployment(ns, name, r.contentType, r.body));
    },
  },
  {
    pattern: new RegExp(`^/apis/apps/v1/namespaces/${SEG}/deployments/${SEG}/scale$`),
    ops: { GET: 'deployments.scale.get', PATCH: 'deployments.scale.patch', PUT: 'deployments.scale.update' },
    patchTypes: [MERGE_PATCH, STRATEGIC_MERGE_PATCH],
    handle: (s, r) => {
      const [ns, name] = r.params as [string, string];
      if (r.method === 'GET') return ok(s.scaleObject(ns, name));
      if (r.method === 'PUT') return ok(s.replaceScale(ns, name, r.body));
      return ok(s.patchScale(ns, name, r.contentType, r.body));
    },
  },
  {
    pattern: /^\/apis\/policy\/v1\/poddisruptionbudgets$/,
    ops: { GET: 'poddisruptionbudgets.list' },
    handle: (s, r) => list('PodDisruptionBudgetList', 'policy/v1', s.pdbObjects(), r, s, META_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/policy/v1/namespaces/${SEG}/poddisruptionbudgets$`),
    ops: { GET: 'poddisruptionbudgets.list' },
    handle: (s, r) => list('PodDisruptionBudgetList', 'policy/v1', s.pdbObjects(r.params[0]!), r, s, META_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/policy/v1/namespaces/${SEG}/poddisruptionbudgets/${SEG}$`),
    ops: { GET: 'poddisruptionbudgets.get' },
    handle: (s, r) => ok(s.pdbObject(r.params[0]!, r.params[1]!)),
  },
  {
    pattern: /^\/apis\/karpenter\.sh\/v1\/nodepools$/,
    ops: { GET: 'nodepools.list' },
    handle: (s, r) => list('NodePoolList', 'karpenter.sh/v1', s.nodePoolObjects(), r, s, META_FIELDS),
  },
  {
    pattern: new RegExp(`^/apis/karpenter\\.sh/v1/nodepools/${SEG}$`),
    ops: { GET: 'nodepools.get', PATCH: 'nodepools.patch', PUT: 'nodepools.update' },
    patchTypes: [JSON_PATCH, MERGE_PATCH],
    handle: (s, r) => {
      const name = r.params[0]!;
      if (r.method === 'GET') return ok(s.nodePoolObject(name));
      if (r.method === 'PUT') return ok(s.replaceNodePool(name, r.body));
      return ok(s.patchNodePool(name, r.contentType, r.body));
    },
  },
];

/** Discovery and /version: answered without touching the cluster state. */
function discovery(path: string, serverAddress: string, buildDate: string): Json | undefined {
  if (path === '/version') return versionInfo(buildDate);
  if (path === '/api') return apiVersions(serverAddress);
  if (path === '/apis') return apiGroupList();
  if (path === '/api/v1') return apiResourceList('', 'v1');
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  return m[2] ? apiResourceList(m[1]!, m[2]) : apiGroup(m[1]!);
}

export interface HandlerOptions {
  world: World;
  state: KubernetesState;
  token: string;
  serverAddress: () => string;
  timers: Set<NodeJS.Timeout>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Renders an injected fault the way the API server fails; a timeout hangs, then drops the connection. */
function renderFault(
  kind: string,
  delayMs: number,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Set<NodeJS.Timeout>,
): void {
  if (kind === 'timeout') {
    const t = setTimeout(() => {
      timers.delete(t);
      req.socket.destroy();
    }, delayMs);
    timers.add(t);
    return;
  }
  const error =
    kind === 'throttle'
      ? throttled(1)
      : kind === 'unauthorized'
        ? unauthorized()
        : kind === 'conflict'
          ? conflict({ group: '', resource: 'objects', name: 'injected' })
          : internalError(`injected ${kind} fault`);
  send(res, error.status.code, error.status, error.headers);
}

export function createHandler(o: HandlerOptions) {
  const buildDate = o.world.nowIso().replace(/\.\d{3}Z$/, 'Z');
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const method = (req.method ?? 'GET') as Method;
      const raw = await readBody(req);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const route = ROUTES.find((r) => r.pattern.test(path));
      const op = route ? route.ops[method] : discovery(path, '', '') !== undefined ? 'discovery.get' : undefined;
      if (op) {
        o.world.record('kubernetes', op, {
          method,
          path,
          query: Object.fromEntries(url.searchParams),
          contentType: raw ? contentType : undefined,
          body: raw ? safeJson(raw) : undefined,
        });
        const fault = o.world.faults.take('kubernetes', op);
        if (fault) return renderFault(fault.kind, fault.delayMs, req, res, o.timers);
      }
      if (req.headers.authorization !== `Bearer ${o.token}`) throw unauthorized();
      if (!route) {
        const doc = method === 'GET' ? discovery(path, o.serverAddress(), buildDate) : undefined;
        if (doc === undefined) throw unknownPath();
        return send(res, 200, doc);
      }
      if (!op) throw methodNotAllowed();
      let body: unknown;
      if (method === 'PATCH' && !(route.patchTypes ?? []).includes(contentType)) {
        throw unsupportedMediaType(route.patchTypes ?? []);
      }
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch (e) {
          throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
        }
      }
      o.state.sync();
      const params = route.pattern.exec(path)!.slice(1).map(decodeURIComponent);
      const reply = route.handle(o.state, { method, params, query: url.searchParams, contentType, body });
      // Server-side printing: kubectl asks for a Table (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
      const table = method === 'GET' ? tableVersion(req.headers.accept) : undefined;
      const printable =
        reply.body && typeof reply.body === 'object' && !Array.isArray(reply.body) && 'kind' in reply.body;
      if (table && printable && reply.status === 200) {
        const includeObject = url.searchParams.get('includeObject') ?? 'Metadata';
        return send(res, 200, toTable(reply.body as Record<string, Json>, o.world.now(), table, includeObject), {
          'Content-Type': `application/json;as=Table;v=${table};g=meta.k8s.io`,
        });
      }
      send(res, reply.status, reply.body);
    } catch (e) {
      const error = e instanceof ApiError ? e : internalError(messageOf(e));
      send(res, error.status.code, error.status, error.headers);
    }
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
