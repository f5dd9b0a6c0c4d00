/**
 * AWS: the instance metadata service with IMDSv2 sessions. A token comes from `PUT /latest/api/token`
 * (`X-aws-ec2-metadata-token-ttl-seconds`) and goes on every read as `X-aws-ec2-metadata-token`; a 401 means
 * the token expired, and one new token is asked for. Two paths carry notices, each a 404 until there is one:
 *
 * - `latest/meta-data/spot/instance-action`: `{"action": "terminate"|"stop"|"hibernate", "time": "..."}`,
 *   two minutes before `time`;
 * - `latest/meta-data/events/recommendations/rebalance`: `{"noticeTime": "..."}`.
 *
 * The notices do not name the instance: `instance-id`, `placement/region` and
 * `placement/availability-zone` are read once and added.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 */
import { AGENT_DETAIL_TYPES, AGENT_SOURCES } from '../../events/schemas/agent/node-notices.ts';
import { MetadataError, type Monitor, type Notice, parseJson, request } from '../notice.ts';

export const AWS_IMDS_ENDPOINT = 'http://169.254.169.254';
/** The longest session IMDS grants (6 hours); a token is renewed a minute before it ends. */
const TOKEN_TTL_SECONDS = 21_600;
const SERVICE = 'aws imds';

export interface AwsImdsOptions {
  endpoint?: string;
  timeoutMs?: number;
  /** Kubernetes node name, added to each notice for the audit record. */
  node?: string;
  now?: () => number;
}

interface Identity {
  instanceId: string;
  region?: string;
  zone?: string;
}

export class AwsImdsMonitor implements Monitor {
  readonly name = 'aws';
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly node?: string;
  private readonly now: () => number;
  /** One session shared by concurrent reads (a promise, so parallel reads ask for one token, not several). */
  private token?: Promise<{ value: string; expiresAt: number }>;
  private identity?: Identity;

  constructor(options: AwsImdsOptions = {}) {
    this.endpoint = (options.endpoint ?? AWS_IMDS_ENDPOINT).replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 1_000;
    if (options.node) this.node = options.node;
    this.now = options.now ?? Date.now;
  }

  /** The current session token; a new one when it is `refused` (IMDS said 401 to it) or about to expire. */
  private async session(refused?: string): Promise<string> {
    const current = this.token ? await this.token.catch(() => undefined) : undefined;
    if (current && current.value !== refused && current.expiresAt > this.now()) return current.value;
    const next = this.newToken();
    this.token = next;
    return (await next).value;
  }

  private async newToken(): Promise<{ value: string; expiresAt: number }> {
    const r = await request(`${this.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      timeoutMs: this.timeoutMs,
    });
    if (r.status !== 200 || r.text === '') {
      throw new MetadataError(SERVICE, `PUT /latest/api/token answered ${r.status}`, { status: r.status });
    }
    return { value: r.text, expiresAt: this.now() + (TOKEN_TTL_SECONDS - 60) * 1000 };
  }

  /** The body of a metadata path, or undefined on 404. */
  private async read(path: string): Promise<string | undefined> {
    let refused: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.session(refused);
      const r = await request(`${this.endpoint}/latest/meta-data/${path}`, {
        headers: { 'X-aws-ec2-metadata-token': token },
        timeoutMs: this.timeoutMs,
      });
      if (r.status === 200) return r.text;
      if (r.status === 404) return undefined;
      // 401: the session token expired or was never valid; ask once for a new one.
      if (r.status === 401 && attempt === 0) {
        refused = token;
        continue;
      }
      throw new MetadataError(SERVICE, `GET ${path} answered ${r.status}`, { status: r.status });
    }
    throw new MetadataError(SERVICE, `GET ${path}: a new session token was refused too`, { status: 401 });
  }

  private async who(): Promise<Identity> {
    if (this.identity) return this.identity;
    const [instanceId, region, zone] = await Promise.all([
      this.read('instance-id'),
      this.read('placement/region'),
      this.read('placement/availability-zone'),
    ]);
    if (!instanceId) throw new MetadataError(SERVICE, 'instance-id is missing');
    this.identity = { instanceId, ...(region ? { region } : {}), ...(zone ? { zone } : {}) };
    return this.identity;
  }

  private place(id: Identity): Record<string, unknown> {
    return {
      'instance-id': id.instanceId,
      ...(id.region ? { region: id.region } : {}),
      ...(id.zone ? { 'availability-zone': id.zone } : {}),
      ...(this.node ? { node: this.node } : {}),
    };
  }

  async poll(): Promise<Notice[]> {
    const [action, rebalance] = await Promise.all([
      this.read('spot/instance-action'),
      this.read('events/recommendations/rebalance'),
    ]);
    if (action === undefined && rebalance === undefined) return [];
    const id = await this.who();
    const out: Notice[] = [];
    if (action !== undefined) {
      const doc = parseJson(SERVICE, 'spot/instance-action', action) as { action?: unknown; time?: unknown };
      out.push({
        key: `spot:${String(doc.time)}`,
        source: AGENT_SOURCES.awsImds,
        detailType: AGENT_DETAIL_TYPES.spotInstanceAction,
        detail: { action: doc.action, time: doc.time, ...this.place(id) },
      });
    }
    if (rebalance !== undefined) {
      const doc = parseJson(SERVICE, 'events/recommendations/rebalance', rebalance) as { noticeTime?: unknown };
      out.push({
        key: `rebalance:${String(doc.noticeTime)}`,
        source: AGENT_SOURCES.awsImds,
        detailType: AGENT_DETAIL_TYPES.rebalanceRecommendation,
        detail: { noticeTime: doc.noticeTime, ...this.place(id) },
      });
    }
    return out;
  }
}
