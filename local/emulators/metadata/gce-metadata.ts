/**
 * The Compute Engine metadata server on 127.0.0.1:
 *
 * - every request needs `Metadata-Flavor: Google` (else 403) and must not carry `X-Forwarded-For` (403);
 *   every answer carries `Metadata-Flavor: Google` and the value's `ETag`;
 * - `GET /computeMetadata/v1/<path>` returns the value as text;
 * - `?wait_for_change=true` hangs until the value changes; with `last_etag=E` it answers at once when the
 *   ETag is no longer E; `timeout_sec=N` ends the wait after N seconds with the unchanged value.
 *
 * @see https://cloud.google.com/compute/docs/metadata/querying-metadata
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { type LoopbackServer, listen, reply } from './server.ts';

export interface GceMetadataEmulator extends LoopbackServer {
  set(path: string, value: string): void;
  /** Requests still waiting for a change. */
  readonly waiting: number;
}

const etagOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

export async function startGceMetadata(instance: {
  id: string;
  name: string;
  zone: string;
  project: string;
  projectNumber: string;
}): Promise<GceMetadataEmulator> {
  const values = new Map<string, string>([
    ['instance/id', instance.id],
    ['instance/name', instance.name],
    ['instance/zone', `projects/${instance.projectNumber}/zones/${instance.zone}`],
    ['project/project-id', instance.project],
    ['instance/preempted', 'FALSE'],
    ['instance/maintenance-event', 'NONE'],
  ]);
  const waiters = new Map<string, Set<() => void>>();
  const headers = (value: string) => ({
    'metadata-flavor': 'Google',
    'content-type': 'application/text',
    etag: etagOf(value),
  });
  const answer = (res: http.ServerResponse, path: string) => {
    const value = values.get(path)!;
    reply(res, 200, value, headers(value));
  };
  const server = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const text = (status: number, body: string) =>
      reply(res, status, body, { 'metadata-flavor': 'Google', 'content-type': 'text/html; charset=UTF-8' });
    if (req.headers['x-forwarded-for']) return text(403, 'Request denied: X-Forwarded-For header is present.\n');
    if (req.headers['metadata-flavor'] !== 'Google') return text(403, 'Missing Metadata-Flavor:Google header.\n');
    if (req.method !== 'GET' || !url.pathname.startsWith('/computeMetadata/v1/')) return text(404, 'Not Found\n');
    const path = url.pathname.slice('/computeMetadata/v1/'.length);
    if (!values.has(path)) return text(404, 'Not Found\n');
    if (url.searchParams.get('wait_for_change') !== 'true') return answer(res, path);
    const last = url.searchParams.get('last_etag');
    if (last && last !== etagOf(values.get(path)!)) return answer(res, path);
    const timeoutSec = Number(url.searchParams.get('timeout_sec') ?? '0');
    const set = waiters.get(path) ?? new Set();
    waiters.set(path, set);
    const wake = () => {
      set.delete(wake);
      clearTimeout(timer);
      answer(res, path);
    };
    const timer = timeoutSec > 0 ? setTimeout(wake, timeoutSec * 1000) : undefined;
    set.add(wake);
    res.on('close', () => {
      set.delete(wake);
      clearTimeout(timer);
    });
  });
  return {
    ...server,
    get waiting() {
      return [...waiters.values()].reduce((n, s) => n + s.size, 0);
    },
    set: (path, value) => {
      const before = values.get(path);
      values.set(path, value);
      if (before !== value) for (const wake of [...(waiters.get(path) ?? [])]) wake();
    },
  };
}
