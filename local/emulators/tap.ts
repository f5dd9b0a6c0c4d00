/**
 * A tap on an emulator's (or dynalite's) HTTP server, for latency benchmarks: every request waits `delayMs`
 * before it is served (a real service's round trip, added on 127.0.0.1), and is reported once answered,
 * with the operations the emulator recorded while serving it (`World.record`; for DynamoDB, the request's
 * `X-Amz-Target`). The times say which requests ran one after the other: how many round trips in a row a
 * decision takes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface ServedRequest {
  /** Which server: `dynamodb`, `aws`, `azure`, `gcp`, `kubernetes`, `prometheus`. */
  server: string;
  method: string;
  /** The URL's path (no query). */
  path: string;
  /** What the emulator recorded while serving it, as `service.operation` (`ec2.ModifyFleet`, `kubernetes.patchNode`). */
  operations: string[];
  /** `performance.now()` when the request arrived, and when its answer was sent (or the connection closed). */
  start: number;
  end: number;
}

export interface RequestTap {
  /** Added before each request is served, ms. */
  delayMs?: number;
  /** Each request, once answered. */
  served?(request: ServedRequest): void;
}

const serving = new AsyncLocalStorage<ServedRequest>();

/** Names an operation of the request being served (the emulators' `World.record` calls it). */
export function noteOperation(service: string, operation: string): void {
  serving.getStore()?.operations.push(`${service}.${operation}`);
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Puts the tap in front of the server's request listeners. Nothing changes without a tap. */
export function tapServer(server: HttpServer | HttpsServer, name: string, tap: RequestTap | undefined): void {
  if (!tap || (!tap.delayMs && !tap.served)) return;
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry: ServedRequest = {
      server: name,
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0]!,
      operations: [],
      start: performance.now(),
      end: 0,
    };
    const target = req.headers['x-amz-target'];
    if (name === 'dynamodb' && typeof target === 'string') entry.operations.push(`dynamodb.${target.split('.').pop()}`);
    res.once('close', () => {
      entry.end = performance.now();
      tap.served?.(entry);
    });
    const serve = () =>
      serving.run(entry, () => {
        for (const listener of listeners) listener.call(server, req, res);
      });
    if (tap.delayMs) setTimeout(serve, tap.delayMs);
    else serve();
  });
}
