/**
 * GCP: the Compute Engine metadata server (`Metadata-Flavor: Google` on every request, and on every
 * answer). Two values carry notices:
 *
 * - `instance/preempted`: `FALSE`, then `TRUE` when Compute Engine preempts the Spot VM (30 s before it
 *   stops);
 * - `instance/maintenance-event`: `NONE`, or `MIGRATE_ON_HOST_MAINTENANCE` / `TERMINATE_ON_HOST_MAINTENANCE`
 *   60 s before a host maintenance event (GPU VMs are terminated, not migrated).
 *
 * The monitor waits for changes instead of sleeping: `?wait_for_change=true&last_etag=E&timeout_sec=N`
 * answers at once when the value's ETag is no longer E, else after N seconds. Both values are watched at
 * once; a change of one ends the other's wait, so a notice is seen within milliseconds. The first read of
 * each value has no ETag and returns at once.
 *
 * @see https://cloud.google.com/compute/docs/metadata/querying-metadata#waitforchange
 * @see https://cloud.google.com/compute/docs/instances/create-use-spot#detect-preemption
 * @see https://cloud.google.com/compute/docs/metadata/getting-live-migration-notice
 */
import { AGENT_DETAIL_TYPES, AGENT_SOURCES } from '../../events/schemas/agent/node-notices.ts';
import { MetadataError, type Monitor, type Notice, request } from '../notice.ts';

export const GCE_METADATA_ENDPOINT = 'http://metadata.google.internal';
const SERVICE = 'gce metadata';

export interface GceMetadataOptions {
  endpoint?: string;
  /** How long one wait may hang (seconds): the agent's poll interval. */
  waitSeconds?: number;
  node?: string;
  now?: () => Date;
}

interface Identity {
  instanceId: string;
  instanceName: string;
  zone: string;
  project?: string;
}

interface Watched {
  value?: string;
  etag?: string;
}

export class GceMetadataMonitor implements Monitor {
  readonly name = 'gcp';
  readonly waits = true;
  private readonly endpoint: string;
  private readonly waitSeconds: number;
  private readonly node?: string;
  private readonly now: () => Date;
  private identity?: Identity;
  private readonly watched: Record<'preempted' | 'maintenance-event', Watched> = {
    preempted: {},
    'maintenance-event': {},
  };
  /** When each notice value was first seen (the metadata server dates nothing). */
  private readonly seen = new Map<string, string>();
  /** The maintenance value last read, and how many maintenance notices began (each one's key). */
  private lastMaintenance: string | undefined;
  private maintenanceNotices = 0;

  constructor(options: GceMetadataOptions = {}) {
    this.endpoint = (options.endpoint ?? GCE_METADATA_ENDPOINT).replace(/\/$/, '');
    this.waitSeconds = options.waitSeconds ?? 2;
    if (options.node) this.node = options.node;
    this.now = options.now ?? (() => new Date());
  }

  private async read(path: string, wait?: { etag: string; signal: AbortSignal }): Promise<Watched> {
    const query = wait
      ? `?wait_for_change=true&last_etag=${encodeURIComponent(wait.etag)}&timeout_sec=${this.waitSeconds}`
      : '';
    const r = await request(`${this.endpoint}/computeMetadata/v1/${path}${query}`, {
      headers: { 'Metadata-Flavor': 'Google' },
      // A wait hangs up to timeout_sec by design; a little more before giving up on the server.
      timeoutMs: (wait ? this.waitSeconds : 0) * 1000 + 2_000,
      ...(wait ? { signal: wait.signal } : {}),
    });
    if (r.status !== 200) {
      throw new MetadataError(SERVICE, `GET ${path} answered ${r.status}: ${r.text.slice(0, 120)}`, {
        status: r.status,
      });
    }
    if (r.headers.get('metadata-flavor') !== 'Google') {
      throw new MetadataError(SERVICE, `GET ${path}: the answer has no Metadata-Flavor: Google header`);
    }
    const etag = r.headers.get('etag');
    return { value: r.text.trim(), ...(etag ? { etag } : {}) };
  }

  private async who(): Promise<Identity> {
    if (this.identity) return this.identity;
    const [id, name, zone, project] = await Promise.all([
      this.read('instance/id'),
      this.read('instance/name'),
      this.read('instance/zone'),
      this.read('project/project-id').catch(() => ({ value: undefined })),
    ]);
    if (!id.value || !name.value || !zone.value)
      throw new MetadataError(SERVICE, 'instance id, name or zone is missing');
    this.identity = {
      instanceId: id.value,
      instanceName: name.value,
      // `projects/123456789/zones/us-central1-a`: the short name is what the pools and the logs use.
      zone: zone.value.split('/').pop()!,
      ...(project.value ? { project: project.value } : {}),
    };
    return this.identity;
  }

  /** Reads both values (waiting for a change after the first read) and returns the notices they carry. */
  async poll(): Promise<Notice[]> {
    const keys = Object.keys(this.watched) as Array<keyof GceMetadataMonitor['watched']>;
    const first = keys.some((k) => this.watched[k].etag === undefined);
    const stop = new AbortController();
    const results = await Promise.all(
      keys.map(async (k) => {
        const w = this.watched[k];
        try {
          const r =
            first || w.etag === undefined
              ? await this.read(`instance/${k}`)
              : await this.read(`instance/${k}`, { etag: w.etag, signal: stop.signal });
          // A change of one value ends the other's wait.
          if (r.etag !== w.etag) stop.abort();
          return [k, r] as const;
        } catch (e) {
          if (stop.signal.aborted && e instanceof Error && e.name === 'AbortError') return [k, w] as const;
          stop.abort();
          throw e;
        }
      }),
    );
    for (const [k, r] of results) this.watched[k] = r;
    const preempted = this.watched.preempted.value === 'TRUE';
    const maintenance = this.watched['maintenance-event'].value;
    const notable = maintenance !== undefined && maintenance !== 'NONE';
    // Each notice a new one when the value changes to it, even to one seen before (a maintenance cancelled,
    // then scheduled again): the metadata server's ETag is the value's, the same again for the same value.
    if (notable && maintenance !== this.lastMaintenance) this.maintenanceNotices += 1;
    this.lastMaintenance = maintenance;
    if (!preempted && !notable) return [];
    const id = await this.who();
    const place = {
      instanceId: id.instanceId,
      instanceName: id.instanceName,
      zone: id.zone,
      ...(id.project ? { project: id.project } : {}),
      ...(this.node ? { node: this.node } : {}),
    };
    const out: Notice[] = [];
    if (preempted) {
      out.push({
        key: 'preempted',
        source: AGENT_SOURCES.gcpMetadata,
        detailType: AGENT_DETAIL_TYPES.gcePreempted,
        detail: { preempted: 'TRUE', ...place, observedAt: this.firstSeen('preempted') },
      });
    }
    if (notable) {
      const key = `maintenance:${maintenance}:${this.maintenanceNotices}`;
      out.push({
        key,
        source: AGENT_SOURCES.gcpMetadata,
        detailType: AGENT_DETAIL_TYPES.gceMaintenance,
        detail: { maintenanceEvent: maintenance, ...place, observedAt: this.firstSeen(key) },
      });
    }
    return out;
  }

  private firstSeen(key: string): string {
    let t = this.seen.get(key);
    if (!t) {
      t = this.now().toISOString();
      this.seen.set(key, t);
    }
    return t;
  }
}
