import { describe, expect, it } from 'vitest';
import { World, type WorldPoolSpec } from '../../local/emulators/world.ts';
import { billedFigures, isServing, observePools, type PoolState, stepPhysics } from '../../local/sim/physics.ts';

const T0 = Date.parse('2026-01-05T00:00:00Z');

const poolState = (over: Partial<PoolState>): PoolState => ({
  poolId: 'p',
  cloud: 'aws',
  capacityType: 'on-demand',
  rpsPerNode: 10,
  gpusPerNode: 1,
  desired: 0,
  live: 0,
  ready: 0,
  serving: 0,
  booting: 0,
  ...over,
});

const spec = (over: Partial<WorldPoolSpec> = {}): WorldPoolSpec => ({
  id: 'od',
  cloud: 'aws',
  kind: 'auto-scaling-group',
  name: 'asg-od',
  region: 'us-east-1',
  zones: ['us-east-1a'],
  instanceType: 'g5.xlarge',
  capacityType: 'on-demand',
  desired: 0,
  min: 0,
  max: 10,
  bootSeconds: 120,
  readySeconds: 600,
  hourlyPrice: 1,
  ...over,
});

describe('stepPhysics', () => {
  it.each([
    {
      // 2 nodes x 10 rps = 20 rps of capacity; 25 rps for 60 s = 1500 offered; 1200 served; 300 unserved.
      name: '2 nodes x 10 rps, demand 25 rps for 60 s',
      serving: 2,
      offered: 1500,
      served: 1200,
      unserved: 300,
      utilization: 1,
      demandUtilization: 1.25,
    },
    {
      // 15 rps on 20 rps of capacity: 75% busy.
      name: 'demand under capacity is all served',
      serving: 2,
      offered: 900,
      served: 900,
      unserved: 0,
      utilization: 0.75,
      demandUtilization: 0.75,
    },
    {
      name: 'nothing serves: everything is unserved',
      serving: 0,
      offered: 600,
      served: 0,
      unserved: 600,
      utilization: 0,
      demandUtilization: Number.POSITIVE_INFINITY,
    },
    {
      name: 'no demand, nothing serving',
      serving: 0,
      offered: 0,
      served: 0,
      unserved: 0,
      utilization: 0,
      demandUtilization: 0,
    },
  ])('$name', ({ serving, offered, served, unserved, utilization, demandUtilization }) => {
    const m = stepPhysics(0, 60, offered, [poolState({ serving, ready: serving, live: serving, desired: serving })]);
    expect(m.offeredRequests).toBe(offered);
    expect(m.servedRequests).toBeCloseTo(served, 9);
    expect(m.unservedRequests).toBeCloseTo(unserved, 9);
    expect(m.queueDepth).toBeCloseTo(unserved, 9);
    expect(m.utilization).toBeCloseTo(utilization, 9);
    expect(m.demandUtilization).toBe(demandUtilization);
    expect(m.offeredRps).toBeCloseTo(offered / 60, 9);
  });

  it('spreads served requests over pools by capacity: every serving node is equally busy', () => {
    // 3 x 10 + 1 x 30 = 60 rps of capacity; 30 rps offered: half of it, 15 rps per pool.
    const m = stepPhysics(0, 60, 1800, [
      poolState({ poolId: 'a', serving: 3, ready: 3 }),
      poolState({ poolId: 'b', serving: 1, ready: 1, rpsPerNode: 30, cloud: 'azure' }),
      poolState({ poolId: 'c', serving: 0, live: 2, booting: 2 }),
    ]);
    expect(m.capacityRps).toBe(60);
    expect(m.pools.map((p) => p.servedRequests)).toEqual([900, 900, 0]);
    expect(m.pools.map((p) => p.utilization)).toEqual([0.5, 0.5, 0]);
    expect(m.live).toBe(2);
  });
});

describe('physics over the World', () => {
  it('a new node bills from launch and serves only after its time to ready', () => {
    const world = new World({ start: T0 });
    world.addPool(spec());
    world.setDesired('od', 2);
    const physics = new Map([['od', { rpsPerNode: 10, gpusPerNode: 1 }]]);
    world.advance(599);
    let [p] = observePools(world, physics);
    expect(p).toMatchObject({ live: 2, ready: 0, serving: 0, booting: 2 });
    expect(stepPhysics(0, 60, 600, [p!]).unservedRequests).toBe(600);
    world.advance(1);
    [p] = observePools(world, physics);
    expect(p).toMatchObject({ live: 2, ready: 2, serving: 2, booting: 0 });
    // Billed for the 10 minutes of loading: 2 nodes x 1/6 h x 1 USD.
    expect(world.costUsd()).toBeCloseTo(2 / 6, 9);
  });

  it('a spot node under notice serves until the end of its notice, then is gone', () => {
    const world = new World({ start: T0 });
    world.addPool(spec({ id: 's', capacityType: 'spot', desired: 2 }));
    const physics = new Map([['s', { rpsPerNode: 10, gpusPerNode: 1 }]]);
    world.setSpotCapacity('s', 'us-east-1a', 1);
    world.advance(119);
    let [p] = observePools(world, physics);
    // One ready node and one under notice, both serving.
    expect(p).toMatchObject({ ready: 1, serving: 2 });
    const leaving = world.instancesOf('s').find((i) => i.state === 'terminating')!;
    expect(isServing(leaving, world.now())).toBe(true);
    world.advance(1);
    [p] = observePools(world, physics);
    expect(p).toMatchObject({ ready: 1, serving: 1, live: 1 });
  });

  it('GPU-hours and idle fraction come from billed instance-hours', () => {
    const world = new World({ start: T0 });
    world.addPool(spec({ desired: 2 }));
    world.addPool(spec({ id: 'big', name: 'asg-big', desired: 1 }));
    world.advance(3600);
    const physics = new Map([
      ['od', { rpsPerNode: 10, gpusPerNode: 1 }],
      ['big', { rpsPerNode: 40, gpusPerNode: 8 }],
    ]);
    // Billed capacity: 2 x 10 x 3600 + 1 x 40 x 3600 = 216,000 requests; 54,000 served -> 75% idle.
    // GPU-hours: 2 x 1 + 1 x 8 = 10.
    expect(billedFigures(world, physics, 54_000)).toEqual({ gpuHours: 10, idleFraction: 0.75, instanceHours: 3 });
  });
});
