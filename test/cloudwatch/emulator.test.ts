/**
 * The emulator's GetMetricData on the wire (raw HTTP, for the protocol's error shapes) and through the real
 * SDK client (statistics, dimension matching, time bounds, paging tokens, the requests CloudWatch refuses).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from '../../local/emulators/aws/index.ts';
import type { MetricsStore } from '../../local/emulators/prometheus/store.ts';
import { World } from '../../local/emulators/world.ts';
import { CREDENTIALS, EMULATOR_MAPPING, fillStore, REGION, T0 } from './support.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Latency samples of one service: six in the first minute, one in the second. */
function latencyStore(): MetricsStore {
  const store = fillStore();
  for (const [i, v] of [5, 1, 4, 2, 3, 9].entries()) store.add('latency', { svc: 'api' }, T0 + i * 10, v);
  store.add('latency', { svc: 'api' }, T0 + 60, 7);
  return store;
}

async function start(store = latencyStore(), pageSize?: number) {
  const world = new World({ start: T0 * 1000 });
  const emulator = await startAwsEmulator(world, {
    cloudwatch: { store, ...EMULATOR_MAPPING, ...(pageSize ? { pageSize } : {}) },
  });
  const client = new CloudWatchClient({
    region: REGION,
    endpoint: emulator.endpoints.cloudwatch,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  cleanups.push(
    () => emulator.close(),
    () => client.destroy(),
  );
  return { world, emulator, client };
}

function stat(
  metricName: string,
  dims: Record<string, string>,
  Stat: string,
  Period = 60,
  Namespace = 'GpuFleet',
): MetricDataQuery {
  return {
    Id: 'm1',
    MetricStat: {
      Metric: {
        Namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      },
      Period,
      Stat,
    },
  };
}

function input(queries: MetricDataQuery[], from: number, to: number, more: Partial<GetMetricDataCommandInput> = {}) {
  return {
    MetricDataQueries: queries,
    StartTime: new Date(from * 1000),
    EndTime: new Date(to * 1000),
    ScanBy: 'TimestampAscending' as const,
    ...more,
  };
}

async function points(client: CloudWatchClient, queries: MetricDataQuery[], from: number, to: number) {
  const out = await client.send(new GetMetricDataCommand(input(queries, from, to)));
  return out.MetricDataResults!.map((r) => ({
    id: r.Id,
    status: r.StatusCode,
    points: (r.Timestamps ?? []).map((t, i) => [t.getTime() / 1000 - T0, r.Values![i]]),
  }));
}

function signed(): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20250303/${REGION}/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': '20250303T090000Z',
  };
}

async function raw(emulator: AwsEmulator, target: string, body: unknown, headers: Record<string, string> = signed()) {
  const res = await fetch(emulator.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `GraniteServiceVersion20100801.${target}`,
      'x-amzn-query-mode': 'true',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const VALID = {
  MetricDataQueries: [
    { Id: 'm1', MetricStat: { Metric: { Namespace: 'GpuFleet', MetricName: 'latency' }, Period: 60, Stat: 'Sum' } },
  ],
  StartTime: T0,
  EndTime: T0 + 120,
};

describe('the protocol on the wire', () => {
  it('answers JSON 1.0 with epoch-second timestamps', async () => {
    const { emulator } = await start();
    const res = await raw(emulator, 'GetMetricData', {
      ...VALID,
      MetricDataQueries: [
        {
          ...VALID.MetricDataQueries[0],
          MetricStat: {
            ...VALID.MetricDataQueries[0]!.MetricStat,
            Metric: { Namespace: 'GpuFleet', MetricName: 'latency', Dimensions: [{ Name: 'svc', Value: 'api' }] },
          },
        },
      ],
      ScanBy: 'TimestampAscending',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(res.body).toEqual({
      MetricDataResults: [
        { Id: 'm1', Label: 'latency', Timestamps: [T0, T0 + 60], Values: [24, 7], StatusCode: 'Complete' },
      ],
      Messages: [],
    });
  });

  it.each([
    {
      name: 'an unsigned request',
      target: 'GetMetricData',
      body: VALID,
      headers: {},
      status: 403,
      query: 'MissingAuthenticationToken;Sender',
      type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
    },
    {
      name: 'an operation the emulator does not serve',
      target: 'PutMetricData',
      body: {},
      status: 400,
      query: 'UnknownOperationException;Sender',
      type: 'com.amazon.coral.service#UnknownOperationException',
    },
    {
      name: 'StartTime not before EndTime',
      target: 'GetMetricData',
      body: { ...VALID, EndTime: T0 },
      status: 400,
      query: 'InvalidParameterValue;Sender',
      type: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
    },
    {
      name: 'no queries',
      target: 'GetMetricData',
      body: { StartTime: T0, EndTime: T0 + 60 },
      status: 400,
      query: 'MissingParameter;Sender',
      type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
    },
  ])(
    '$name: $status with the query code in x-amzn-query-error',
    async ({ target, body, headers, status, query, type }) => {
      const { emulator } = await start();
      const res = await raw(emulator, target, body, headers);
      expect(res.status).toBe(status);
      expect(res.headers.get('x-amzn-query-error')).toBe(query);
      expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      expect(res.body.__type).toBe(type);
      expect(typeof res.body.message).toBe('string');
    },
  );

  it.each([
    {
      kind: 'throttle',
      status: 400,
      query: 'Throttling;Sender',
      type: 'com.amazon.coral.availability#ThrottlingException',
    },
    {
      kind: 'server-error',
      status: 500,
      query: 'InternalServiceError;Receiver',
      type: 'com.amazonaws.cloudwatch#InternalServiceFault',
    },
    {
      kind: 'unauthorized',
      status: 403,
      query: 'AccessDenied;Sender',
      type: 'com.amazon.coral.service#AccessDeniedException',
    },
  ] as const)('fault $kind: $status $query', async ({ kind, status, query, type }) => {
    const { emulator, world } = await start();
    world.faults.inject({ service: 'cloudwatch', operation: 'GetMetricData', kind });
    const res = await raw(emulator, 'GetMetricData', VALID);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-amzn-query-error')).toBe(query);
    expect(res.body.__type).toBe(type);
    expect(world.calls.filter((c) => c.service === 'cloudwatch')).toHaveLength(1);
  });

  it('the SDK reads the query code: InvalidParameterValueException with Code InvalidParameterValue', async () => {
    const { client } = await start();
    const err = await client
      .send(new GetMetricDataCommand(input([stat('latency', { svc: 'api' }, 'Average', 45)], T0, T0 + 60)))
      .then(
        () => undefined,
        (e: Record<string, unknown>) => e,
      );
    expect(err).toMatchObject({
      name: 'InvalidParameterValueException',
      Code: 'InvalidParameterValue',
      $fault: 'client',
    });
  });
});

describe('statistics over a period', () => {
  it.each([
    // First minute: 5, 1, 4, 2, 3, 9 (sum 24); second minute: 7.
    {
      stat: 'Average',
      expected: [
        [0, 4],
        [60, 7],
      ],
    },
    {
      stat: 'Sum',
      expected: [
        [0, 24],
        [60, 7],
      ],
    },
    {
      stat: 'Minimum',
      expected: [
        [0, 1],
        [60, 7],
      ],
    },
    {
      stat: 'Maximum',
      expected: [
        [0, 9],
        [60, 7],
      ],
    },
    {
      stat: 'SampleCount',
      expected: [
        [0, 6],
        [60, 1],
      ],
    },
    // Nearest rank of 1 2 3 4 5 9: p50 is the 3rd, p90 the 6th (ceil(5.4)).
    {
      stat: 'p50',
      expected: [
        [0, 3],
        [60, 7],
      ],
    },
    {
      stat: 'p90',
      expected: [
        [0, 9],
        [60, 7],
      ],
    },
  ])('$stat', async ({ stat: s, expected }) => {
    const { client } = await start();
    const [r] = await points(client, [stat('latency', { svc: 'api' }, s)], T0, T0 + 120);
    expect(r).toEqual({ id: 'm1', status: 'Complete', points: expected });
  });

  it('high resolution: a 10 s period sees each sample', async () => {
    const { client } = await start();
    const [r] = await points(client, [stat('latency', { svc: 'api' }, 'Average', 10)], T0, T0 + 70);
    expect(r!.points).toEqual([
      [0, 5],
      [10, 1],
      [20, 4],
      [30, 2],
      [40, 3],
      [50, 9],
      [60, 7],
    ]);
  });

  it('rounds StartTime down to the minute; EndTime is exclusive', async () => {
    const { client } = await start();
    // Start 00:30 -> 00:00 (all six first-minute samples); end 01:00 leaves out the sample at 01:00.
    const [r] = await points(client, [stat('latency', { svc: 'api' }, 'Sum')], T0 + 30, T0 + 60);
    expect(r!.points).toEqual([[0, 24]]);
  });
});

describe('metrics from the store', () => {
  it('a metric is its exact set of dimensions', async () => {
    const { client } = await start();
    const results = await points(
      client,
      [
        // Published with FleetId and Pool: a read with FleetId alone finds nothing.
        { ...stat('GPUUtilization', { FleetId: 'llm' }, 'Average'), Id: 'fleet' },
        { ...stat('GPUUtilization', { FleetId: 'llm', Pool: 'a' }, 'Average'), Id: 'pool' },
        // The same store series under the default namespace, labels as dimensions.
        { ...stat('gpu_utilization', { fleet: 'llm', pool: 'a' }, 'Average'), Id: 'plain' },
      ],
      T0,
      T0 + 120,
    );
    expect(results).toEqual([
      { id: 'fleet', status: 'Complete', points: [] },
      // Pool a: 40 + (k mod 7).
      {
        id: 'pool',
        status: 'Complete',
        points: [
          [0, 40],
          [60, 41],
        ],
      },
      {
        id: 'plain',
        status: 'Complete',
        points: [
          [0, 40],
          [60, 41],
        ],
      },
    ]);
  });

  it('SEARCH over a schema with exact terms, aggregated', async () => {
    const { client } = await start();
    const [r] = await points(
      client,
      [
        {
          Id: 'e1',
          Expression: `SUM(SEARCH('{GpuFleet,FleetId,Pool} MetricName="GPUUtilization" FleetId="llm"', 'Maximum', 60))`,
        },
      ],
      T0 + 600,
      T0 + 660,
    );
    // Minute 10: a 43, b 60, c 90.
    expect(r!.points).toEqual([[600, 193]]);
  });

  it('leaves out queries with ReturnData false; ScanBy defaults to newest first', async () => {
    const { client } = await start();
    const out = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          { ...stat('latency', { svc: 'api' }, 'Sum'), Id: 'hidden', ReturnData: false },
          { ...stat('latency', { svc: 'api' }, 'Sum'), Id: 'shown' },
        ],
        StartTime: new Date(T0 * 1000),
        EndTime: new Date((T0 + 120) * 1000),
      }),
    );
    expect(out.MetricDataResults!.map((r) => r.Id)).toEqual(['shown']);
    expect(out.MetricDataResults![0]!.Values).toEqual([7, 24]);
  });
});

describe('paging', () => {
  it('pages by MaxDatapoints with a token bound to the request', async () => {
    const { client } = await start();
    const first = await client.send(
      new GetMetricDataCommand(
        input([stat('fleet_rps', { fleet: 'llm' }, 'Average')], T0, T0 + 300, { MaxDatapoints: 2 }),
      ),
    );
    expect(first.MetricDataResults![0]).toMatchObject({ Values: [10, 11], StatusCode: 'PartialData' });
    const second = await client.send(
      new GetMetricDataCommand(
        input([stat('fleet_rps', { fleet: 'llm' }, 'Average')], T0, T0 + 300, {
          MaxDatapoints: 2,
          NextToken: first.NextToken,
        }),
      ),
    );
    expect(second.MetricDataResults![0]).toMatchObject({ Values: [12, 13], StatusCode: 'PartialData' });
    // The same token on another request is refused.
    const err = await client
      .send(
        new GetMetricDataCommand(
          input([stat('fleet_rps', { fleet: 'llm' }, 'Average')], T0, T0 + 600, {
            MaxDatapoints: 2,
            NextToken: first.NextToken,
          }),
        ),
      )
      .then(
        () => undefined,
        (e: Record<string, unknown>) => e,
      );
    expect(err).toMatchObject({ name: 'InvalidNextToken', Code: 'InvalidNextToken' });
  });
});

describe('requests CloudWatch refuses', () => {
  const ok = stat('latency', { svc: 'api' }, 'Sum');
  it.each([
    { name: 'an id with a capital first', queries: [{ ...ok, Id: 'M1' }], code: 'InvalidParameterValue' },
    { name: 'the same id twice', queries: [ok, ok], code: 'InvalidParameterValue' },
    { name: 'a period of 45 s', queries: [stat('latency', {}, 'Sum', 45)], code: 'InvalidParameterValue' },
    { name: 'an unknown statistic', queries: [stat('latency', {}, 'Avg')], code: 'InvalidParameterValue' },
    {
      name: 'both a MetricStat and an Expression',
      queries: [{ ...ok, Expression: 'SUM(METRICS())' }],
      code: 'InvalidParameterCombination',
    },
    {
      name: 'metric math the emulator does not evaluate',
      queries: [{ Id: 'e1', Expression: 'm1 * 2', Period: 60 }],
      code: 'InvalidParameterValue',
    },
    {
      name: 'a search with a partial-match term',
      queries: [{ Id: 'e1', Expression: `SUM(SEARCH('{GpuFleet,fleet} llm', 'Average', 60))` }],
      code: 'InvalidParameterValue',
    },
  ])('$name: $code', async ({ queries, code }) => {
    const { client } = await start();
    const err = await client.send(new GetMetricDataCommand(input(queries, T0, T0 + 120))).then(
      () => undefined,
      (e: Record<string, unknown>) => e,
    );
    expect(err).toMatchObject({ Code: code, $metadata: { httpStatusCode: 400 } });
  });
});
