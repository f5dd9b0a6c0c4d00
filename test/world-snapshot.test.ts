/**
 * A World survives a snapshot as JSON: pools, instances (booting ones included), reservations, capacities,
 * billing and the id generator go on where they were, so the local CLI's world remembers between commands.
 */
import { describe, expect, it } from 'vitest';
import { World, type WorldSnapshot } from '../local/emulators/world.ts';

const T0 = Date.parse('2026-01-05T00:00:00Z');

function busyWorld(): World {
  const w = new World({ start: T0, seed: 7 });
  w.addPool({
    id: 'spot',
    cloud: 'aws',
    kind: 'auto-scaling-group',
    name: 'gpu-spot',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b'],
    instanceType: 'g5.xlarge',
    capacityType: 'spot',
    desired: 2,
    min: 0,
    max: 10,
    bootSeconds: 90,
    readySeconds: 600,
    hourlyPrice: 0.5,
  });
  w.addPool({
    id: 'reserved',
    cloud: 'aws',
    kind: 'auto-scaling-group',
    name: 'gpu-p5',
    region: 'us-east-1',
    zones: ['us-east-1a'],
    instanceType: 'p5.48xlarge',
    capacityType: 'reserved',
    desired: 0,
    min: 0,
    max: 2,
    bootSeconds: 120,
    readySeconds: 900,
    hourlyPrice: 31,
    reservationId: 'cr-1',
  });
  w.addReservation({
    id: 'cr-1',
    cloud: 'aws',
    type: 'capacity-block',
    instanceType: 'p5.48xlarge',
    zone: 'us-east-1a',
    total: 1,
    start: T0,
    end: T0 + 3600_000,
  });
  w.setOnDemandCapacity('reserved', 'us-east-1a', Number.POSITIVE_INFINITY);
  w.setSpotCapacity('spot', 'us-east-1b', 3);
  w.advance(300);
  w.setDesired('spot', 5);
  w.setDesired('reserved', 1);
  w.terminateInstance(w.instancesOf('spot')[0]!.id);
  w.advance(60);
  return w;
}

describe('World snapshot', () => {
  it('restores the same world, through JSON', () => {
    const w = busyWorld();
    const snap = JSON.parse(JSON.stringify(w.snapshot())) as WorldSnapshot;
    const r = World.restore(snap);
    expect(r.snapshot()).toEqual(w.snapshot());
    expect(r.now()).toBe(w.now());
    expect(r.costUsd()).toBeCloseTo(w.costUsd(), 9);
    expect(r.spotCapacityOf('reserved', 'us-east-1a')).toBe(Number.POSITIVE_INFINITY);
    // The indexes restore builds again: each pool's instances, in the same order, and the pools of a region.
    for (const p of w.allPools()) expect(r.instancesOf(p.id)).toEqual(w.instancesOf(p.id));
    expect(r.poolsIn('aws', 'us-east-1')).toEqual(w.poolsIn('aws', 'us-east-1'));
  });

  it('goes on as the original would: the same transitions, the same new ids', () => {
    const a = busyWorld();
    const b = World.restore(JSON.parse(JSON.stringify(a.snapshot())) as WorldSnapshot);
    for (const w of [a, b]) {
      w.advance(600);
      w.setDesired('spot', 8);
      w.advance(4000);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(b.readyCount('spot')).toBe(a.readyCount('spot'));
    // The reservation ended on the way: its instance is gone in both.
    expect(b.instancesOf('reserved')).toEqual([]);
  });

  it('keeps every piece of state the world has (a new field must be added to the snapshot)', () => {
    const w = busyWorld() as unknown as Record<string, unknown>;
    const perProcess = ['faults', 'calls', 'listeners'];
    // Indexes of what the snapshot keeps (instances by pool, pools by region): restore builds them again.
    const derived = ['byPool', 'poolsByRegion'];
    const kept = Object.keys(busyWorld().snapshot()).filter((k) => k !== 'version');
    expect(
      Object.keys(w)
        .filter((k) => !perProcess.includes(k) && !derived.includes(k))
        .sort(),
    ).toEqual(kept.sort());
  });

  it('refuses a snapshot of another version', () => {
    expect(() => World.restore({ version: 2 } as unknown as WorldSnapshot)).toThrow(/version 2 is not 1/);
  });
});
