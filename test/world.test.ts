import { describe, expect, it } from 'vitest';
import { World, type WorldEvent, type WorldPoolSpec } from '../local/emulators/world.ts';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const spec = (over: Partial<WorldPoolSpec> = {}): WorldPoolSpec => ({
  id: 'aws-g5-spot',
  cloud: 'aws',
  kind: 'auto-scaling-group',
  name: 'gpu-g5-spot',
  region: 'us-east-1',
  zones: ['us-east-1a', 'us-east-1b'],
  instanceType: 'g5.xlarge',
  capacityType: 'spot',
  desired: 0,
  min: 0,
  max: 10,
  bootSeconds: 90,
  readySeconds: 600,
  hourlyPrice: 0.5,
  ...over,
});

describe('World', () => {
  it('launches instances that become ready after the pool time to ready, spread over zones', () => {
    const w = new World({ start: T0 });
    w.addPool(spec());
    const out = w.setDesired('aws-g5-spot', 4);
    expect(out).toMatchObject({ previous: 0, desired: 4, launched: 4, shortfall: 0 });
    expect(
      w
        .instancesOf('aws-g5-spot')
        .map((i) => i.zone)
        .sort(),
    ).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b']);
    w.advance(89);
    expect(w.instancesOf('aws-g5-spot').every((i) => i.state === 'pending')).toBe(true);
    w.advance(1);
    expect(w.instancesOf('aws-g5-spot').every((i) => i.state === 'running')).toBe(true);
    expect(w.readyCount('aws-g5-spot')).toBe(0);
    w.advance(510);
    expect(w.readyCount('aws-g5-spot')).toBe(4);
  });

  it('bills every instance from launch: 4 nodes x 0.5 USD x 1 h = 2 USD', () => {
    const w = new World({ start: T0 });
    w.addPool(spec());
    w.setDesired('aws-g5-spot', 4);
    w.advance(3600);
    expect(w.costUsd()).toBeCloseTo(2, 6);
    w.setDesired('aws-g5-spot', 0);
    w.advance(3600);
    expect(w.costUsd()).toBeCloseTo(2, 6);
  });

  it('takes spot capacity back with the cloud notice and relaunches when capacity returns', () => {
    const w = new World({ start: T0 });
    const events: WorldEvent[] = [];
    w.on((e) => events.push(e));
    w.addPool(spec({ desired: 2, zones: ['us-east-1a'] }));
    w.setSpotCapacity('aws-g5-spot', 'us-east-1a', 1);
    const notices = events.filter((e) => e.type === 'interruption-notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ cloud: 'aws', deadline: T0 + 120_000 });
    // The group wants 2 but capacity is 1: the replacement cannot launch.
    expect(w.instancesOf('aws-g5-spot').filter((i) => i.state !== 'terminating')).toHaveLength(1);
    w.advance(120);
    expect(w.instancesOf('aws-g5-spot')).toHaveLength(1);
    w.setSpotCapacity('aws-g5-spot', 'us-east-1a', 5);
    expect(w.instancesOf('aws-g5-spot')).toHaveLength(2);
  });

  it('keeps an instance under notice in its group until its deadline, then replaces it', () => {
    const w = new World({ start: T0 });
    w.addPool(spec({ desired: 2, zones: ['us-east-1a', 'us-east-1b'] }));
    const before = w.instancesOf('aws-g5-spot').map((i) => i.id);
    w.setSpotCapacity('aws-g5-spot', 'us-east-1a', 0);
    // Under notice it still holds its seat: nothing is launched, the group shows no seat unfilled.
    expect(w.instancesOf('aws-g5-spot').map((i) => i.id)).toEqual(before);
    expect(w.unfilledSeats(w.pool('aws-g5-spot')!)).toBe(0);
    w.advance(119);
    expect(w.instancesOf('aws-g5-spot')).toHaveLength(2);
    // Gone at the deadline: the group launches its replacement where capacity is left.
    w.advance(1);
    const after = w.instancesOf('aws-g5-spot');
    expect(after).toHaveLength(2);
    expect(after.filter((i) => !before.includes(i.id)).map((i) => [i.zone, i.launchedAt])).toEqual([
      ['us-east-1b', T0 + 120_000],
    ]);
    expect(w.pool('aws-g5-spot')!.desired).toBe(2);
  });

  it('lowers an Azure Spot scale set by the VM it evicts (evictionPolicy Delete), replacing nothing', () => {
    const w = new World({ start: T0 });
    w.addPool(
      spec({ id: 'azure-spot', cloud: 'azure', kind: 'azure-vmss', name: 'vmss-spot', zones: ['1', '2'], desired: 3 }),
    );
    w.setSpotCapacity('azure-spot', '1', 0);
    const leaving = w.instancesOf('azure-spot').filter((i) => i.state === 'terminating');
    expect(leaving).toHaveLength(2);
    expect(w.pool('azure-spot')!.desired).toBe(3);
    w.advance(30);
    expect(w.instancesOf('azure-spot')).toHaveLength(1);
    expect(w.pool('azure-spot')!.desired).toBe(1);
    // The capacity is the operator's to raise again.
    expect(w.setDesired('azure-spot', 3).launched).toBe(2);
  });

  it('lowers an Azure Spot scale set only by seats the evicted VMs still held', () => {
    const w = new World({ start: T0 });
    w.addPool(
      spec({ id: 'azure-spot', cloud: 'azure', kind: 'azure-vmss', name: 'vmss-spot', zones: ['1', '2'], desired: 4 }),
    );
    w.setSpotCapacity('azure-spot', '1', 0);
    // A scale-in to the two VMs not under notice before the eviction: the evicted two held no seat.
    w.setDesired('azure-spot', 2);
    expect(w.instancesOf('azure-spot')).toHaveLength(4);
    w.advance(30);
    expect(w.instancesOf('azure-spot')).toHaveLength(2);
    expect(w.pool('azure-spot')!.desired).toBe(2);
  });

  it('ends an instance under notice that the controller removes, lowering its group with it', () => {
    const w = new World({ start: T0 });
    w.addPool(spec({ desired: 2, zones: ['us-east-1a', 'us-east-1b'] }));
    w.setSpotCapacity('aws-g5-spot', 'us-east-1a', 0);
    const [leaving] = w.instancesOf('aws-g5-spot').filter((i) => i.state === 'terminating');
    w.terminateInstance(leaving!.id, { decrementDesired: true });
    expect(w.pool('aws-g5-spot')!.desired).toBe(1);
    expect(w.instancesOf('aws-g5-spot')).toHaveLength(1);
    // Replaced by the controller's own raise, in a zone with capacity.
    w.setDesired('aws-g5-spot', 2);
    expect(w.instancesOf('aws-g5-spot').map((i) => i.zone)).toEqual(['us-east-1b', 'us-east-1b']);
  });

  it('launches reserved capacity only while the reservation is active, and ends it at its end', () => {
    const w = new World({ start: T0 });
    w.addReservation({
      id: 'cr-0abc',
      cloud: 'aws',
      type: 'capacity-block',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 2,
      start: T0 + 3600_000,
      end: T0 + 7200_000,
    });
    w.addPool(spec({ id: 'aws-p5-cb', capacityType: 'reserved', reservationId: 'cr-0abc', zones: ['us-east-1a'] }));
    expect(w.setDesired('aws-p5-cb', 3).shortfall).toBe(3);
    w.advance(3600);
    expect(w.instancesOf('aws-p5-cb')).toHaveLength(2);
    w.advance(3600);
    expect(w.instancesOf('aws-p5-cb')).toHaveLength(0);
  });

  it("keeps an On-Demand Capacity Reservation's instances past its end, without a warning, and launches no more", () => {
    const w = new World({ start: T0 });
    const events: WorldEvent[] = [];
    w.on((e) => events.push(e));
    w.addReservation({
      id: 'cr-0odcr',
      cloud: 'aws',
      type: 'odcr',
      instanceType: 'p5.48xlarge',
      zone: 'us-east-1a',
      total: 2,
      start: T0,
      end: T0 + 3600_000,
    });
    w.addPool(spec({ id: 'aws-p5-odcr', capacityType: 'reserved', reservationId: 'cr-0odcr', zones: ['us-east-1a'] }));
    w.setDesired('aws-p5-odcr', 2);
    w.advance(7200);
    expect(w.instancesOf('aws-p5-odcr')).toHaveLength(2);
    expect(w.reservationState(w.reservation('cr-0odcr')!)).toBe('expired');
    expect(events.filter((e) => e.type === 'reservation')).toEqual([]);
    expect(w.setDesired('aws-p5-odcr', 3).shortfall).toBe(1);
  });
});
