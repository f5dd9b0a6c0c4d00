/**
 * Nothing leaves the machine: every connection the AWS adapter opens goes to the emulator on 127.0.0.1,
 * credentials come from the fake environment (never from the instance metadata service), and an adapter
 * left with its production endpoints is stopped by the loopback guard before any DNS lookup.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsAdapters } from '../../shared/adapters/aws/index.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import { type Env, POOLS, REGION, refOfSpec, startEnv } from './support.ts';

const connections: Array<{ host?: string; port?: number }> = [];
const guarded = net.Socket.prototype.connect;

beforeAll(() => {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors net.Socket#connect's overloads
  net.Socket.prototype.connect = function recordingConnect(this: net.Socket, ...args: any[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'object' && first !== null) connections.push({ host: first.host, port: Number(first.port) });
    return guarded.apply(this, args as Parameters<typeof guarded>);
  } as typeof net.Socket.prototype.connect;
});
afterAll(() => {
  net.Socket.prototype.connect = guarded;
});

const IMDS = ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2'];

describe('connections', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
    connections.length = 0;
  });

  it('with env credentials, every call of every port goes to the emulator only', async () => {
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('AKIAFAKEFAKEFAKEFAKE');
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
    env = await startEnv({ adapter: { credentials: undefined } });
    const port = Number(new URL(env.emulator.endpoint).port);
    await env.aws.capacity.describePool(refOfSpec(POOLS.fleet));
    await env.aws.capacity.setDesired(refOfSpec(POOLS.asg), { desired: 4, reason: 'test' });
    await env.aws.capacity.setDesired(refOfSpec(POOLS.eks), { desired: 3, reason: 'test' });
    await env.aws.capacity.listReservations(REGION);
    await env.aws.events.publish([{ source: 'gpu-autoscaler', detailType: 'Scaling Decision', detail: {} }]);
    expect(connections.length).toBeGreaterThan(0);
    for (const c of connections) expect(c).toEqual({ host: '127.0.0.1', port });
  });

  it('production endpoints are refused by the guard, and the metadata service is never asked', async () => {
    const aws = createAwsAdapters({
      region: REGION,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      requestTimeoutMs: 1_000,
    });
    try {
      const e = await aws.capacity.describePool(refOfSpec(POOLS.fleet)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(CloudError);
      expect((e as CloudError).kind).toBe('transient');
      expect((e as CloudError).message).toContain('loopback guard');
    } finally {
      aws.close();
    }
    // The call went for the regional EC2 endpoint and was stopped there (a refused connection is not one
    // the SDK retries); no credential lookup went out.
    expect(connections.length).toBeGreaterThan(0);
    expect(new Set(connections.map((c) => c.host))).toEqual(new Set(['ec2.us-east-1.amazonaws.com']));
    expect(connections.some((c) => IMDS.includes(c.host ?? ''))).toBe(false);
  });
});
