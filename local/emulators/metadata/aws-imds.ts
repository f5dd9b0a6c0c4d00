/**
 * The EC2 instance metadata service, IMDSv2 only (`HttpTokens: required`, as the GPU node launch templates
 * should set it), on 127.0.0.1:
 *
 * - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1..21600) returns a token; no or a
 *   bad TTL is 400, a request with `X-Forwarded-For` is 403 (IMDS refuses proxied token requests);
 * - `GET /latest/meta-data/<path>` needs `X-aws-ec2-metadata-token`: none, unknown or expired is 401;
 *   a path with no value is 404 (so `spot/instance-action` is 404 until a notice is posted);
 * - answers are `text/plain`, JSON documents included.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 */
import { randomBytes } from 'node:crypto';
import { type LoopbackServer, listen, reply } from './server.ts';

export interface AwsImdsEmulator extends LoopbackServer {
  /** Posts (or with undefined, withdraws) the spot instance action. */
  setSpotAction(doc: { action: string; time: string } | undefined): void;
  setRebalance(doc: { noticeTime: string } | undefined): void;
  /** Makes every token issued so far expire (the next read is 401). */
  expireTokens(): void;
  /** Every request, `METHOD path status`. */
  readonly log: string[];
}

export async function startAwsImds(options: {
  instanceId: string;
  region: string;
  zone: string;
  now?: () => number;
}): Promise<AwsImdsEmulator> {
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  const values = new Map<string, string>([
    ['instance-id', options.instanceId],
    ['placement/region', options.region],
    ['placement/availability-zone', options.zone],
    ['instance-type', 'g5.xlarge'],
  ]);
  const log: string[] = [];
  const server = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    const done = (status: number, body = '') => {
      log.push(`${req.method} ${url.pathname} ${status}`);
      reply(res, status, body, { 'content-type': 'text/plain' });
    };
    if (url.pathname === '/latest/api/token') {
      if (req.method !== 'PUT') return done(405);
      if (req.headers['x-forwarded-for']) return done(403);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return done(400);
      const token = randomBytes(30).toString('base64');
      tokens.set(token, now() + ttl * 1000);
      return done(200, token);
    }
    if (!url.pathname.startsWith('/latest/meta-data/')) return done(404);
    if (req.method !== 'GET') return done(405);
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expires = typeof token === 'string' ? tokens.get(token) : undefined;
    if (expires === undefined || expires <= now()) return done(401);
    const value = values.get(url.pathname.slice('/latest/meta-data/'.length));
    return value === undefined ? done(404) : done(200, value);
  });
  return {
    ...server,
    log,
    setSpotAction: (doc) =>
      doc ? values.set('spot/instance-action', JSON.stringify(doc)) : values.delete('spot/instance-action'),
    setRebalance: (doc) =>
      doc
        ? values.set('events/recommendations/rebalance', JSON.stringify(doc))
        : values.delete('events/recommendations/rebalance'),
    expireTokens: () => {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
  };
}
