/**
 * Removing a chosen instance of an EC2 Fleet (CapacityPort.removeInstance on `ec2-fleet`), through the real
 * EC2 client against the emulator: ModifyFleet (target - 1, `no-termination`) and then TerminateInstances, so
 * that exactly the chosen instance ends and the fleet neither ends another nor replaces it.
 */
import { DescribeFleetsCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../shared/adapters/aws/index.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import { SPOT_NOTICE_SECONDS, type World } from '../../local/emulators/world.ts';
import { type Env, FAST, POOLS, REGION, refOfSpec, startEnv } from './support.ts';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start(): Promise<Env> {
  env = await startEnv();
  return env;
}

const fleet = refOfSpec(POOLS.fleet);
const FLEET_ID = POOLS.fleet.id;

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

function liveIds(world: World): string[] {
  return world
    .instancesOf(FLEET_ID)
    .map((i) => i.id)
    .sort();
}

/** The EC2 calls that change something, in order. */
function writes(world: World): string[] {
  return world.calls
    .filter((c) => c.service === 'ec2' && (c.operation === 'ModifyFleet' || c.operation === 'TerminateInstances'))
    .map((c) => c.operation);
}

describe('removeInstance on an EC2 Fleet', () => {
  it.each([
    { name: 'a healthy instance (scale-in of a chosen node)', interrupted: false },
    { name: 'an instance under a spot interruption notice', interrupted: true },
  ])('ends exactly the chosen instance and lowers the target by one: $name', async ({ interrupted }) => {
    const { aws, world } = await start();
    const victim = world.instancesOf(FLEET_ID)[2]!;
    if (interrupted) world.interrupt(victim, 'spot', SPOT_NOTICE_SECONDS.aws);
    const others = liveIds(world).filter((id) => id !== victim.id);

    await aws.capacity.removeInstance!(fleet, victim.id);

    expect(world.instance(victim.id)).toBeUndefined();
    expect(liveIds(world)).toEqual(others);
    expect(world.pool(FLEET_ID)!.desired).toBe(4);
    expect(writes(world)).toEqual(['ModifyFleet', 'TerminateInstances']);
    expect(world.callsTo('ec2', 'ModifyFleet')[0]!.params).toMatchObject({
      FleetId: POOLS.fleet.name,
      'TargetCapacitySpecification.TotalTargetCapacity': '4',
      ExcessCapacityTerminationPolicy: 'no-termination',
    });
    expect(world.callsTo('ec2', 'TerminateInstances')[0]!.params).toMatchObject({ 'InstanceId.1': victim.id });

    // An hour later the fleet holds its 4 without a launch: nothing replaced the chosen one, nothing else ended.
    world.advance(3600);
    expect(liveIds(world)).toEqual(others);
    const o = await aws.capacity.describePool(fleet);
    expect(o).toMatchObject({ desired: 4, ready: 4 });
  });

  it('(why) lowering the target alone lets the fleet end an instance of its own choosing', async () => {
    const { aws, world } = await start();
    const [first, , victim] = world.instancesOf(FLEET_ID);
    await aws.capacity.setDesired(fleet, { desired: 4, reason: 'the old fallback' });
    // The fleet's `termination` policy picks among instances launched together: here the first, not the victim.
    expect(world.instance(first!.id)).toBeUndefined();
    expect(world.instance(victim!.id)?.state).toBe('ready');
  });

  it('repeating the call changes nothing: no second lowering, no call that writes', async () => {
    const { aws, world } = await start();
    const victim = world.instancesOf(FLEET_ID)[1]!.id;
    await aws.capacity.removeInstance!(fleet, victim);
    const after = liveIds(world);
    world.calls.length = 0;

    await aws.capacity.removeInstance!(fleet, victim);

    expect(world.pool(FLEET_ID)!.desired).toBe(4);
    expect(liveIds(world)).toEqual(after);
    expect(writes(world)).toEqual([]);
  });

  it.each([
    { name: 'an unknown instance', id: (_w: World) => 'i-0000000000000dead' },
    { name: "another group's instance", id: (w: World) => w.instancesOf(POOLS.asg.id)[0]!.id },
    { name: "another fleet's instance", id: (w: World) => w.instancesOf(POOLS.instantFleet.id)[0]!.id },
  ])('$name is not-found, and nothing changes', async ({ id }) => {
    const { aws, world } = await start();
    const before = liveIds(world);
    const e = await rejection(aws.capacity.removeInstance!(fleet, id(world)));
    expect(e).toMatchObject({ kind: 'not-found', cloud: 'aws' });
    expect(world.pool(FLEET_ID)!.desired).toBe(5);
    expect(liveIds(world)).toEqual(before);
    expect(writes(world)).toEqual([]);
  });

  it('a fault on TerminateInstances: the mapped error; the target is one lower and the instance still runs', async () => {
    const { aws, world } = await start();
    const victim = world.instancesOf(FLEET_ID)[3]!.id;
    const before = liveIds(world);
    world.faults.inject({ service: 'ec2', operation: 'TerminateInstances', kind: 'unauthorized' });

    const e = await rejection(aws.capacity.removeInstance!(fleet, victim));
    expect(e).toMatchObject({ kind: 'unauthorized', code: 'UnauthorizedOperation', status: 403 });
    expect(e.message).toContain("the fleet's target is lowered to 4");
    expect(e.cause).toBeInstanceOf(Error);

    // The documented state: target 4, all 5 instances running (no-termination ends none), none replaced.
    expect(world.pool(FLEET_ID)!.desired).toBe(4);
    world.advance(600);
    expect(liveIds(world)).toEqual(before);
    expect(world.instance(victim)?.state).toBe('ready');
    expect((await aws.capacity.describePool(fleet)).desired).toBe(4);

    // Calling again only terminates: the fleet holds one more than its target, so it is not lowered again.
    world.calls.length = 0;
    await aws.capacity.removeInstance!(fleet, victim);
    expect(writes(world)).toEqual(['TerminateInstances']);
    expect(world.pool(FLEET_ID)!.desired).toBe(4);
    expect(liveIds(world)).toEqual(before.filter((id) => id !== victim));
  });

  it('a fault on ModifyFleet changes nothing: the target stays, nothing is terminated', async () => {
    const { aws, world } = await start();
    const victim = world.instancesOf(FLEET_ID)[0]!.id;
    const before = liveIds(world);
    world.faults.inject({ service: 'ec2', operation: 'ModifyFleet', kind: 'conflict' });
    const e = await rejection(aws.capacity.removeInstance!(fleet, victim));
    expect(e).toMatchObject({ kind: 'conflict', code: 'IncorrectState' });
    expect(world.pool(FLEET_ID)!.desired).toBe(5);
    expect(liveIds(world)).toEqual(before);
    expect(world.callsTo('ec2', 'TerminateInstances')).toEqual([]);
  });

  it('two removals at once lower the target twice (one after the other), not once', async () => {
    const { aws, world } = await start();
    const [a, b] = world.instancesOf(FLEET_ID);
    const others = liveIds(world).filter((id) => id !== a!.id && id !== b!.id);
    await Promise.all([aws.capacity.removeInstance!(fleet, a!.id), aws.capacity.removeInstance!(fleet, b!.id)]);
    expect(world.pool(FLEET_ID)!.desired).toBe(3);
    expect(liveIds(world)).toEqual(others);
    expect(
      world
        .callsTo('ec2', 'ModifyFleet')
        .map((c) => (c.params as Record<string, string>)['TargetCapacitySpecification.TotalTargetCapacity']),
    ).toEqual(['4', '3']);
  });

  it('a later scale-in through setDesired sets the termination policy again, so the fleet ends its surplus', async () => {
    const { aws, world, emulator } = await start();
    await aws.capacity.removeInstance!(fleet, world.instancesOf(FLEET_ID)[0]!.id);
    const clients = new AwsClients({ region: REGION, endpoints: emulator.endpoints, ...FAST });
    const policy = async () => {
      const out = await clients.ec2().send(new DescribeFleetsCommand({ FleetIds: [POOLS.fleet.name] }));
      return out.Fleets?.[0]?.ExcessCapacityTerminationPolicy;
    };
    expect(await policy()).toBe('no-termination');

    await aws.capacity.setDesired(fleet, { desired: 2, reason: 'scale in' });
    expect(world.callsTo('ec2', 'ModifyFleet').at(-1)!.params).toMatchObject({
      'TargetCapacitySpecification.TotalTargetCapacity': '2',
      ExcessCapacityTerminationPolicy: 'termination',
    });
    expect(world.instancesOf(FLEET_ID)).toHaveLength(2);
    expect(await policy()).toBe('termination');
    clients.destroy();

    // Growing does not touch the policy.
    await aws.capacity.setDesired(fleet, { desired: 3, reason: 'scale out' });
    expect(world.callsTo('ec2', 'ModifyFleet').at(-1)!.params).not.toHaveProperty('ExcessCapacityTerminationPolicy');
  });

  it('a fleet that is not of type maintain cannot be modified (invalid), and nothing is terminated', async () => {
    const { aws, world } = await start();
    const instant = refOfSpec(POOLS.instantFleet);
    const e = await rejection(aws.capacity.removeInstance!(instant, world.instancesOf(POOLS.instantFleet.id)[0]!.id));
    expect(e.kind).toBe('invalid');
    expect(writes(world)).toEqual([]);
  });
});
