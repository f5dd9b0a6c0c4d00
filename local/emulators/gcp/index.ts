/**
 * A loopback Compute Engine API (REST v1) over the simulated world, for the real @google-cloud/compute
 * client: managed instance groups (zonal and regional: get, resize, listManagedInstances,
 * deleteInstances), zone and region operations (get, wait), instance templates (get) and reservations
 * (aggregatedList). See resources.ts for how the world maps onto MIGs.
 *
 * Every request is recorded (`world.record('compute', method, params)`, method as in the API:
 * `instanceGroupManagers.resize`, `regionOperations.wait`...), then `world.faults.take('compute', method)`
 * decides whether it fails:
 * - throttle: HTTP 403 `rateLimitExceeded` (Compute's documented answer) or 429 RESOURCE_EXHAUSTED
 *   (`throttleStatus`);
 * - server-error: 503 (or 500, `serverErrorStatus`) `backendError`;
 * - timeout: no answer; the connection is dropped after `delayMs`;
 * - conflict: 400 `resourceNotReady` (Compute's answer while another operation holds the group);
 * - unauthorized: 403 `forbidden` (missing IAM permission);
 * - insufficient-capacity on a resize: the operation is accepted and ends DONE with
 *   ZONE_RESOURCE_POOL_EXHAUSTED. The group keeps the new targetSize and launches nothing now (GCE keeps
 *   trying: the world launches on its next advance when capacity allows). On a poll it ends the polled
 *   operation with that error; on any other call it is a 503;
 * - operation-failed on a resize/deleteInstances: the operation ends DONE with CONDITION_NOT_MET (412) and
 *   changes nothing; on a poll it ends the polled operation so; on any other call it is a 503.
 * Requests without credentials (no Authorization nor X-Goog-Api-Key header) get 401.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { World } from '../world.ts';
import { type ErrorAnswer, forbidden, loginRequired, rateLimited, resourceNotReady, serverError } from './errors.ts';
import { OperationStore } from './operations.ts';
import { routeCall, serve } from './routes.ts';
import { type RequestTap, tapServer } from '../tap.ts';
import { messageOf } from '../../../shared/domain/errors.ts';

export interface GcpEmulatorOptions {
  host?: string;
  port?: number;
  /** Project of pools that have no `scope`. */
  project?: string;
  /** Polls (`get` or `wait`) an operation answers RUNNING before DONE; 0 = DONE at once. Default 1. */
  operationPolls?: number;
  /** How long `operations.wait` holds a request for an operation that is not DONE. Default 20 ms. */
  waitMs?: number;
  /** `listManagedInstancesResults` of every group: PAGELESS (GCE's default: no paging) or PAGINATED. */
  listManagedInstancesResults?: 'PAGELESS' | 'PAGINATED';
  throttleStatus?: 403 | 429;
  serverErrorStatus?: 500 | 503;
  /** Answer 401 to requests without credentials. Default true. */
  requireAuth?: boolean;
  /** Latency added to every request and a report of each (benchmarks); none by default. */
  tap?: RequestTap;
}

export interface GcpEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startGcpEmulator(world: World, options: GcpEmulatorOptions = {}): Promise<GcpEmulator> {
  const host = options.host ?? '127.0.0.1';
  const ctx = {
    world,
    project: options.project ?? 'emulator-project',
    operations: new OperationStore(world, options.operationPolls ?? 1),
    listManagedInstancesResults: options.listManagedInstancesResults ?? 'PAGELESS',
  };
  const waitMs = options.waitMs ?? 20;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, e: ErrorAnswer) => send(res, e.status, e.body);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const text = await readBody(req);
    const call = routeCall(req.method ?? 'GET', url, text);
    if ('error' in call) {
      world.record('compute', 'unknown', { method: req.method, path: url.pathname });
      sendError(res, call.error);
      return;
    }
    world.record('compute', call.method, call.params);
    if (options.requireAuth !== false && !req.headers.authorization && !req.headers['x-goog-api-key']) {
      sendError(res, loginRequired());
      return;
    }
    const fault = world.faults.take('compute', call.method);
    if (fault) {
      switch (fault.kind) {
        case 'throttle':
          return sendError(res, rateLimited(options.throttleStatus ?? 403));
        case 'server-error':
          return sendError(res, serverError(options.serverErrorStatus ?? 503));
        case 'timeout':
          later(fault.delayMs, () => req.socket.destroy());
          return;
        case 'conflict':
          return sendError(res, resourceNotReady(call.resource));
        case 'unauthorized':
          return sendError(res, forbidden(`compute.${call.method}`, call.resource));
        default:
          if (!call.operationFaults.has(fault.kind))
            return sendError(res, serverError(options.serverErrorStatus ?? 503));
      }
    }
    const answer = serve(ctx, call, fault?.kind);
    if ('error' in answer) return sendError(res, answer.error);
    // operations.wait holds the request a little while when the operation is not DONE.
    if (answer.holdUntilDone && !answer.done()) later(waitMs, () => send(res, 200, answer.body()));
    else send(res, 200, answer.body());
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, { error: { code: 500, message: `emulator bug: ${messageOf(e)}` } });
    });
  });
  tapServer(server, 'gcp', options.tap);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host}:${port}`,
    host,
    port,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
