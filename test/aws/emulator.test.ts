/**
 * The emulator on the wire: the real error shapes of each protocol (checked on the raw HTTP answers), the
 * requests the real services refuse, and behaviours the adapter does not exercise (EKS idempotency tokens,
 * spot price history windows, scaling activities, hanging connections at close).
 */
import {
  DescribeScalingActivitiesCommand,
  paginateDescribeAutoScalingGroups,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeFleetsCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  ModifyFleetCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../shared/adapters/aws/index.ts';
import { startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { FAST, HOUR, makeWorld, POOLS, REGION, START } from './support.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options?: Parameters<typeof startAwsEmulator>[1]) {
  const world = makeWorld();
  const emulator = await startAwsEmulator(world, options);
  const clients = new AwsClients({ region: REGION, endpoints: emulator.endpoints, ...FAST, retry: { maxAttempts: 1 } });
  cleanups.push(
    () => emulator.close(),
    () => clients.destroy(),
  );
  return { world, emulator, clients };
}

/** A request signed enough for routing: the emulator reads the credential scope, not the signature. */
function signed(service: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20250303/${REGION}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': '20250303T090000Z',
  };
}

function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

async function caught(p: Promise<unknown>): Promise<Record<string, unknown>> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Record<string, unknown>) => e,
  );
}

describe('error shapes on the wire', () => {
  it('EC2: <Response><Errors><Error><Code> with a RequestID, HTTP 400', async () => {
    const { emulator } = await start();
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { ...signed('ec2'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: form({ Action: 'DescribeFleetInstances', Version: '2016-11-15' }),
    });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>MissingParameter<\/Code><Message>The request must contain the parameter FleetId<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('EC2: an unsigned request is refused', async () => {
    const { emulator } = await start();
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ Action: 'DescribeFleets', Version: '2016-11-15' }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('EC2: success answers carry the namespace and a requestId', async () => {
    const { emulator } = await start();
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { ...signed('ec2'), 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ Action: 'DescribeFleets', Version: '2016-11-15', 'FleetId.1': POOLS.fleet.name }),
    });
    const body = await res.text();
    expect(body).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<DescribeFleetsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><fleetSet><item>/,
    );
    expect(body).toContain('<totalTargetCapacity>5</totalTargetCapacity>');
  });

  it('Auto Scaling: <ErrorResponse> with Type Sender, HTTP 400; unknown actions refused', async () => {
    const { emulator } = await start();
    const post = (params: Record<string, string>) =>
      fetch(emulator.endpoint, {
        method: 'POST',
        headers: { ...signed('autoscaling'), 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ Version: '2011-01-01', ...params }),
      });
    const res = await post({ Action: 'SetDesiredCapacity', AutoScalingGroupName: POOLS.asg.name });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /<ErrorResponse xmlns="http:\/\/autoscaling\.amazonaws\.com\/doc\/2011-01-01\/"><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const unknown = await post({ Action: 'DeleteAutoScalingGroup', AutoScalingGroupName: POOLS.asg.name });
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('Auto Scaling: server faults are Type Receiver', async () => {
    const { emulator, world } = await start();
    world.faults.inject({ service: 'autoscaling', kind: 'server-error' });
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { ...signed('autoscaling'), 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ Version: '2011-01-01', Action: 'DescribeAutoScalingGroups' }),
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('<Type>Receiver</Type><Code>InternalFailure</Code>');
  });

  it('EKS: x-amzn-ErrorType header and a JSON body with the message and the names', async () => {
    const { emulator } = await start();
    const res = await fetch(`${emulator.endpoint}/clusters/prod/node-groups/missing`, { headers: signed('eks') });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toEqual({
      clusterName: 'prod',
      nodegroupName: 'missing',
      message: 'No node group found for name: missing.',
    });
  });

  it('EKS: throttling is a 429 ThrottlingException', async () => {
    const { emulator, world } = await start();
    world.faults.inject({ service: 'eks', kind: 'throttle' });
    const res = await fetch(`${emulator.endpoint}/clusters/prod/node-groups/gpu-l4`, { headers: signed('eks') });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
  });

  it('EventBridge: {"__type", "message"}; more than 10 entries fail the whole call', async () => {
    const { emulator, clients } = await start();
    const entries = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' }));
    const e = await caught(clients.events().send(new PutEventsCommand({ Entries: entries })));
    expect(e).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: {
        ...signed('events'),
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body: JSON.stringify({ Entries: [] }),
    });
    expect(await res.json()).toEqual({
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
  });
});

describe('what the real services refuse or allow', () => {
  it.each([
    { name: 'Source missing', entry: { DetailType: 'd', Detail: '{}' }, code: 'InvalidArgument' },
    { name: 'DetailType missing', entry: { Source: 's', Detail: '{}' }, code: 'InvalidArgument' },
    { name: 'Detail missing', entry: { Source: 's', DetailType: 'd' }, code: 'InvalidArgument' },
    { name: 'Detail not JSON', entry: { Source: 's', DetailType: 'd', Detail: '{nope' }, code: 'MalformedDetail' },
    {
      name: 'Detail a JSON array, not an object',
      entry: { Source: 's', DetailType: 'd', Detail: '[1]' },
      code: 'MalformedDetail',
    },
  ])('PutEvents entry with $name: $code', async ({ entry, code }) => {
    const { clients, emulator } = await start();
    const out = await clients
      .events()
      .send(new PutEventsCommand({ Entries: [{ Source: 'ok', DetailType: 'ok', Detail: '{"a":1}' }, entry] }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries?.[1]).toMatchObject({ ErrorCode: code });
    expect(emulator.events.received).toHaveLength(1);
  });

  it('PutEvents to a bus that does not exist is accepted, as EventBridge does', async () => {
    const { clients, emulator } = await start();
    const out = await clients.events().send(
      new PutEventsCommand({
        Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'no-such-bus' }],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(emulator.events.received[0]?.eventBusName).toBe('no-such-bus');
  });

  it('DescribeInstances: unknown ids and InstanceIds with MaxResults are refused', async () => {
    const { clients } = await start();
    const unknown = await caught(
      clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    );
    expect(unknown).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0000000000000dead' does not exist",
    });
    const combo = await caught(
      clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'], MaxResults: 5 })),
    );
    expect(combo).toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('DescribeInstances answers a tag or instance-id filter as the whole region filtered: terminated included, Name per instance', async () => {
    const { clients, world } = await start();
    const gone = world.instancesOf(POOLS.asg.id)[0]!.id;
    await clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    const ids = async (filters: Array<{ Name: string; Values: string[] }>) => {
      const out = await clients.ec2().send(new DescribeInstancesCommand({ Filters: filters }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    };
    const every = await ids([]);
    const live = (poolId: string) => world.instancesOf(poolId).map((i) => i.id);
    expect(every).toContain(gone);
    // A group's tag: its live instances and the one just terminated, no other pool's.
    expect(await ids([{ Name: 'tag:aws:autoscaling:groupName', Values: [POOLS.asg.name] }])).toEqual([
      ...live(POOLS.asg.id),
      gone,
    ]);
    // An EKS node group's (the Auto Scaling group EKS names) and a fleet's.
    const eks = await ids([{ Name: 'tag:eks:nodegroup-name', Values: ['gpu-l4'] }]);
    expect(eks).toEqual(live(POOLS.eks.id));
    expect(eks.length).toBeGreaterThan(0);
    expect(
      await ids([{ Name: 'tag:aws:ec2:fleet-id', Values: [POOLS.fleet.name, 'fleet-00000000000000000'] }]),
    ).toEqual(live(POOLS.fleet.id));
    // Name is each instance's own: one instance.
    const one = world.instancesOf(POOLS.fleet.id)[0]!;
    expect(await ids([{ Name: 'tag:Name', Values: [one.nodeName] }])).toEqual([one.id]);
    // Ids across pools, a repeated one, one unknown (a filter does not refuse it), and the terminated one.
    const picked = [
      live(POOLS.eks.id)[0]!,
      live(POOLS.fleet.id)[0]!,
      gone,
      live(POOLS.eks.id)[0]!,
      'i-0000000000000dead',
    ];
    expect(new Set(await ids([{ Name: 'instance-id', Values: picked }]))).toEqual(new Set(picked.slice(0, 3)));
    // A pool's own tag with an identity tag's key: its instances carry it too.
    world.updatePool(POOLS.asg.id, { tags: { 'eks:nodegroup-name': 'gpu-l4' } });
    expect(new Set(await ids([{ Name: 'tag:eks:nodegroup-name', Values: ['gpu-l4'] }]))).toEqual(
      new Set([...live(POOLS.asg.id), gone, ...live(POOLS.eks.id)]),
    );
    // Two filters: both hold.
    expect(
      await ids([
        { Name: 'tag:aws:autoscaling:groupName', Values: [POOLS.asg.name] },
        { Name: 'instance-state-name', Values: ['terminated'] },
      ]),
    ).toEqual([gone]);
  });

  it('SetDesiredCapacity below min and for an unknown group', async () => {
    const { clients } = await start();
    const below = await caught(
      clients
        .autoscaling()
        .send(new SetDesiredCapacityCommand({ AutoScalingGroupName: POOLS.asg.name, DesiredCapacity: 0 })),
    );
    expect(below).toMatchObject({
      Code: 'ValidationError',
      message: 'New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.',
    });
    const unknown = await caught(
      clients.autoscaling().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'nope', DesiredCapacity: 1 })),
    );
    expect(unknown).toMatchObject({
      Code: 'ValidationError',
      message: 'AutoScalingGroup name not found - AutoScalingGroup nope not found',
    });
  });

  it('DescribeAutoScalingGroups pages with the SDK paginator, EKS groups included', async () => {
    const { clients, world } = await start({ pageSize: 2 });
    const names: string[] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: clients.autoscaling() }, {})) {
      names.push(...(page.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName!));
    }
    // Three groups (two Auto Scaling pools and the group behind the EKS node group) in pages of 2.
    expect(names).toHaveLength(3);
    expect(names).toEqual(expect.arrayContaining([POOLS.asg.name, POOLS.block.name]));
    expect(names.some((n) => /^eks-gpu-l4-[0-9a-f-]{36}$/.test(n))).toBe(true);
    expect(world.callsTo('autoscaling', 'DescribeAutoScalingGroups')).toHaveLength(2);
  });

  it('SetDesiredCapacity records its scaling activities, newest first', async () => {
    const { clients, world } = await start();
    await clients
      .autoscaling()
      .send(new SetDesiredCapacityCommand({ AutoScalingGroupName: POOLS.asg.name, DesiredCapacity: 5 }));
    world.advance(60);
    await clients
      .autoscaling()
      .send(new SetDesiredCapacityCommand({ AutoScalingGroupName: POOLS.asg.name, DesiredCapacity: 4 }));
    const out = await clients
      .autoscaling()
      .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: POOLS.asg.name }));
    // Two launches (3 -> 5), then one termination (5 -> 4), listed newest first; pages of 100 by default.
    expect(out.Activities?.map((a) => a.Description?.split(':')[0])).toEqual([
      'Terminating EC2 instance',
      'Launching a new EC2 instance',
      'Launching a new EC2 instance',
    ]);
    expect(out.Activities?.every((a) => a.StatusCode === 'Successful')).toBe(true);
    expect(out.Activities?.[0]?.StartTime?.toISOString()).toBe(new Date(START + 60_000).toISOString());
  });

  it('EKS: the same clientRequestToken returns the same update; another update meanwhile is ResourceInUse', async () => {
    const { clients, world } = await start({ eksUpdatePolls: 5 });
    const eks = clients.eks();
    const input = {
      clusterName: 'prod',
      nodegroupName: 'gpu-l4',
      scalingConfig: { desiredSize: 4 },
      clientRequestToken: 'tok-7',
    };
    const first = await eks.send(new UpdateNodegroupConfigCommand(input));
    const again = await eks.send(new UpdateNodegroupConfigCommand(input));
    expect(again.update?.id).toBe(first.update?.id);
    const other = await caught(
      eks.send(
        new UpdateNodegroupConfigCommand({ ...input, clientRequestToken: 'tok-8', scalingConfig: { desiredSize: 5 } }),
      ),
    );
    expect(other).toMatchObject({ name: 'ResourceInUseException', $metadata: { httpStatusCode: 409 } });
    const ng = await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'gpu-l4' }));
    expect(ng.nodegroup?.status).toBe('UPDATING');
    expect(world.pool(POOLS.eks.id)!.desired).toBe(2);
  });

  it('EKS: an update nobody polls ends after its time on the world clock', async () => {
    const { clients, world } = await start({ eksUpdatePolls: 100, eksUpdateSeconds: 30 });
    const eks = clients.eks();
    await eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName: 'prod',
        nodegroupName: 'gpu-l4',
        scalingConfig: { desiredSize: 3 },
      }),
    );
    world.advance(31);
    const ng = await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'gpu-l4' }));
    expect(ng.nodegroup).toMatchObject({ status: 'ACTIVE', scalingConfig: { desiredSize: 3 } });
    expect(world.instancesOf(POOLS.eks.id)).toHaveLength(3);
  });

  it.each([
    {
      name: 'desired above max',
      scalingConfig: { desiredSize: 7 },
      message: "desiredSize can't be greater than maxSize",
    },
    {
      name: 'min above desired',
      scalingConfig: { minSize: 3 },
      message: "Minimum capacity 3 can't be greater than desired size 2",
    },
    { name: 'negative desired', scalingConfig: { desiredSize: -1 }, message: 'desiredSize is not valid' },
  ])('EKS UpdateNodegroupConfig refuses $name', async ({ scalingConfig, message }) => {
    const { clients } = await start();
    const e = await caught(
      clients
        .eks()
        .send(new UpdateNodegroupConfigCommand({ clusterName: 'prod', nodegroupName: 'gpu-l4', scalingConfig })),
    );
    expect(e).toMatchObject({
      name: 'InvalidParameterException',
      message,
      clusterName: 'prod',
      nodegroupName: 'gpu-l4',
    });
  });

  it('spot price history: a window returns its changes plus the last change before it, newest first', async () => {
    const { clients } = await start();
    const ec2 = clients.ec2();
    const out = await ec2.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['g5.12xlarge'],
        AvailabilityZone: 'us-east-1a',
        StartTime: new Date(START - 2.5 * HOUR),
        EndTime: new Date(START - HOUR),
        MaxResults: 100,
      }),
    );
    // Hourly changes at START-2h and START-1h fall in the window; START-3h is the last one before it.
    expect(out.SpotPriceHistory?.map((p) => p.Timestamp?.getTime())).toEqual([
      START - HOUR,
      START - 2 * HOUR,
      START - 3 * HOUR,
    ]);
    // Earlier prices stay within 5% of the current 2.1.
    for (const p of out.SpotPriceHistory ?? [])
      expect(Math.abs(Number(p.SpotPrice) / 2.1 - 1)).toBeLessThanOrEqual(0.05);
  });
});

describe('EC2 TerminateInstances and the fleet excess capacity policy', () => {
  it('answers TerminateInstancesResponse with the instancesSet of state changes, on the wire', async () => {
    const { emulator, world } = await start();
    const id = world.instancesOf(POOLS.fleet.id)[0]!.id;
    const res = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { ...signed('ec2'), 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ Action: 'TerminateInstances', Version: '2016-11-15', 'InstanceId.1': id }),
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<TerminateInstancesResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><instancesSet><item>/,
    );
    expect(body).toContain(
      `<instanceId>${id}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name></previousState>`,
    );
  });

  it('a terminated instance is described terminated, user initiated, for an hour; terminating it again succeeds', async () => {
    const { clients, world } = await start();
    const id = world.instancesOf(POOLS.fleet.id)[1]!.id;
    const first = await clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(first.TerminatingInstances).toEqual([
      {
        InstanceId: id,
        CurrentState: { Code: 32, Name: 'shutting-down' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
    expect(world.instance(id)).toBeUndefined();

    world.advance(1800);
    const described = await clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const inst = described.Reservations?.[0]?.Instances?.[0];
    expect(inst).toMatchObject({
      InstanceId: id,
      State: { Code: 48, Name: 'terminated' },
      StateReason: { Code: 'Client.UserInitiatedShutdown' },
      StateTransitionReason: 'User initiated (2025-03-03 09:00:00 GMT)',
    });
    expect(inst?.Tags).toContainEqual({ Key: 'aws:ec2:fleet-id', Value: POOLS.fleet.name });

    // TerminateInstances is idempotent: terminated before and after.
    const again = await clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(again.TerminatingInstances?.[0]).toMatchObject({
      CurrentState: { Code: 48, Name: 'terminated' },
      PreviousState: { Code: 48, Name: 'terminated' },
    });

    // An hour after its termination (1800 s + 1800 s) EC2 no longer knows it.
    world.advance(1800);
    const gone = await caught(clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] })));
    expect(gone).toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  it.each([
    {
      name: 'an unknown id',
      ids: (known: string) => [known, 'i-0000000000000dead'],
      code: 'InvalidInstanceID.NotFound',
    },
    { name: 'a malformed id', ids: (known: string) => [known, 'i-nope'], code: 'InvalidInstanceID.Malformed' },
  ])('$name fails the whole call with $code and terminates nothing', async ({ ids, code }) => {
    const { clients, world } = await start();
    const known = world.instancesOf(POOLS.fleet.id)[0]!.id;
    const e = await caught(clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: ids(known) })));
    expect(e).toMatchObject({ name: code });
    expect(world.instance(known)?.state).toBe('ready');
  });

  it('an instance under a spot notice stays running until the deadline, then is terminated by EC2 for an hour', async () => {
    const { clients, world } = await start();
    const inst = world.instancesOf(POOLS.fleet.id)[0]!;
    world.interrupt(inst, 'spot', 120);
    const describe = async () =>
      (await clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [inst.id] }))).Reservations?.[0]
        ?.Instances?.[0];
    const request = async () =>
      (
        await clients
          .ec2()
          .send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'instance-id', Values: [inst.id] }] }))
      ).SpotInstanceRequests?.[0];
    // Under the notice: running, no state reason yet; the spot request is marked for termination.
    const during = await describe();
    expect(during?.State).toEqual({ Code: 16, Name: 'running' });
    expect(during?.StateReason).toBeUndefined();
    expect((await request())?.Status?.Code).toBe('marked-for-termination');
    // At the deadline EC2 takes it back: terminated, Server.SpotInstanceTermination, the request closed.
    world.advance(121);
    expect(world.instance(inst.id)).toBeUndefined();
    expect(await describe()).toMatchObject({
      State: { Code: 48, Name: 'terminated' },
      StateReason: { Code: 'Server.SpotInstanceTermination' },
    });
    expect(await request()).toMatchObject({ State: 'closed', Status: { Code: 'instance-terminated-no-capacity' } });
    // Visible for about an hour, then gone.
    world.advance(3600);
    const e = await caught(clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [inst.id] })));
    expect(e).toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  it('an instance under a spot notice that the user terminates is ended by the user', async () => {
    const { clients, world } = await start();
    const inst = world.instancesOf(POOLS.fleet.id)[0]!;
    world.interrupt(inst, 'spot', 120);
    await clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [inst.id] }));
    const out = await clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [inst.id] }));
    expect(out.Reservations?.[0]?.Instances?.[0]).toMatchObject({
      State: { Name: 'terminated' },
      StateReason: { Code: 'Client.UserInitiatedShutdown' },
    });
  });

  it.each([
    // A maintain fleet at its target, and an Auto Scaling group, replace an instance terminated by id.
    { name: 'a fleet at its target replaces it', poolId: POOLS.fleet.id, lowerFirst: false, replaced: true },
    { name: 'an Auto Scaling group replaces it', poolId: POOLS.asg.id, lowerFirst: false, replaced: true },
    // Lowered by one with no-termination first, the fleet holds its target without it.
    { name: 'a fleet lowered first does not', poolId: POOLS.fleet.id, lowerFirst: true, replaced: false },
  ])('TerminateInstances: $name', async ({ poolId, lowerFirst, replaced }) => {
    const { clients, world } = await start();
    const before = world.instancesOf(poolId).length;
    const id = world.instancesOf(poolId)[0]!.id;
    if (lowerFirst) {
      await clients.ec2().send(
        new ModifyFleetCommand({
          FleetId: POOLS.fleet.name,
          TargetCapacitySpecification: { TotalTargetCapacity: before - 1 },
          ExcessCapacityTerminationPolicy: 'no-termination',
        }),
      );
      expect(world.instancesOf(poolId)).toHaveLength(before);
    }
    await clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    world.advance(600);
    const live = world.instancesOf(poolId);
    expect(live.map((i) => i.id)).not.toContain(id);
    expect(live).toHaveLength(replaced ? before : before - 1);
  });

  it('ModifyFleet: no-termination keeps the surplus; termination (alone) ends it; DescribeFleets says which', async () => {
    const { clients, world } = await start();
    const policy = async () =>
      (await clients.ec2().send(new DescribeFleetsCommand({ FleetIds: [POOLS.fleet.name] }))).Fleets?.[0]
        ?.ExcessCapacityTerminationPolicy;
    expect(await policy()).toBe('termination');
    await clients.ec2().send(
      new ModifyFleetCommand({
        FleetId: POOLS.fleet.name,
        TargetCapacitySpecification: { TotalTargetCapacity: 2 },
        ExcessCapacityTerminationPolicy: 'no-termination',
      }),
    );
    world.advance(600);
    // Target 2, 5 instances: none ended, none launched.
    expect(world.instancesOf(POOLS.fleet.id)).toHaveLength(5);
    expect(await policy()).toBe('no-termination');

    await clients
      .ec2()
      .send(new ModifyFleetCommand({ FleetId: POOLS.fleet.name, ExcessCapacityTerminationPolicy: 'termination' }));
    expect(world.instancesOf(POOLS.fleet.id)).toHaveLength(2);
    expect(await policy()).toBe('termination');

    const bad = await caught(
      clients.ec2().send(
        new ModifyFleetCommand({
          FleetId: POOLS.fleet.name,
          TargetCapacitySpecification: { TotalTargetCapacity: 1 },
          ExcessCapacityTerminationPolicy: 'sometimes' as 'termination',
        }),
      ),
    );
    expect(bad).toMatchObject({ name: 'InvalidParameterValue' });
    expect(world.pool(POOLS.fleet.id)!.desired).toBe(2);
  });
});

describe('recording and faults', () => {
  it('records every request with its parameters', async () => {
    const { clients, world } = await start();
    await clients.autoscaling().send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: POOLS.asg.name,
        DesiredCapacity: 4,
        HonorCooldown: false,
      }),
    );
    expect(world.callsTo('autoscaling', 'SetDesiredCapacity')).toEqual([
      {
        service: 'autoscaling',
        operation: 'SetDesiredCapacity',
        at: START,
        params: {
          Action: 'SetDesiredCapacity',
          Version: '2011-01-01',
          AutoScalingGroupName: POOLS.asg.name,
          DesiredCapacity: '4',
          HonorCooldown: 'false',
        },
      },
    ]);
  });

  it('close() ends a connection left hanging by a timeout fault', async () => {
    const { emulator, world } = await start();
    world.faults.inject({ service: 'ec2', kind: 'timeout', delayMs: 60_000 });
    const pending = fetch(emulator.endpoint, {
      method: 'POST',
      headers: { ...signed('ec2'), 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ Action: 'DescribeFleets', Version: '2016-11-15' }),
    }).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 50));
    const began = Date.now();
    await emulator.close();
    expect(await pending).toBe('dropped');
    expect(Date.now() - began).toBeLessThan(1_000);
  });
});
