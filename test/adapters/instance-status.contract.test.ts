/**
 * What each cloud says of instances an interruption notice names (`CapacityPort.instanceStatus`), read by
 * the real SDK clients from the emulators in the clouds' wire formats: EC2 DescribeInstances and
 * DescribeSpotInstanceRequests, the VMSS VM instance view, GCP `instances.get`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Env as AwsEnv, POOLS, refOfSpec, startEnv as startAws } from '../aws/support.ts';
import { ON_DEMAND_POOL, refFor, SPOT_POOL, startAzureTestEnv } from '../azure/support.ts';
import { REGIONAL, refOf, startEnv as startGcp, ZONAL } from '../gcp/support.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function aws(): Promise<AwsEnv> {
  const e = await startAws();
  closers.push(() => e.close());
  return e;
}

describe('AWS: instance state and spot request status', () => {
  const fleet = refOfSpec(POOLS.fleet);
  const asg = refOfSpec(POOLS.asg);

  it('a spot instance running undisturbed: its request is fulfilled, not marked', async () => {
    const e = await aws();
    const [i] = e.world.instancesOf(POOLS.fleet.id);
    const [s] = await e.aws.capacity.instanceStatus!(fleet, [{ id: i!.id }]);
    expect(s).toEqual({
      id: i!.id,
      found: true,
      state: 'running',
      ended: false,
      spot: true,
      marked: false,
      detail: 'fulfilled',
    });
    expect(e.world.callsTo('ec2', 'DescribeSpotInstanceRequests')).toHaveLength(1);
  });

  it('a spot instance EC2 takes back: its request is marked-for-termination', async () => {
    const e = await aws();
    const [i] = e.world.instancesOf(POOLS.fleet.id);
    e.world.interrupt(i!, 'spot', 120);
    const [s] = await e.aws.capacity.instanceStatus!(fleet, [{ id: i!.id }]);
    expect(s).toMatchObject({ found: true, spot: true, marked: true, detail: 'marked-for-termination', ended: false });
  });

  it('an on-demand instance is not spot (the spot requests read alongside find none); an unknown id is not found', async () => {
    const e = await aws();
    const [i] = e.world.instancesOf(POOLS.asg.id);
    const out = await e.aws.capacity.instanceStatus!(asg, [{ id: i!.id }, { id: 'i-0000000000000dead' }]);
    expect(out).toEqual([
      { id: i!.id, found: true, state: 'running', ended: false, spot: false, detail: 'instance lifecycle on-demand' },
      { id: 'i-0000000000000dead', found: false },
    ]);
    // Read at the same time as the instances, not after them: one round trip for both.
    expect(e.world.callsTo('ec2', 'DescribeSpotInstanceRequests')).toHaveLength(1);
  });

  it('an instance its owner terminated has ended (not by an interruption), its request closed', async () => {
    const e = await aws();
    const [i] = e.world.instancesOf(POOLS.fleet.id);
    // Removing a chosen instance of an EC2 Fleet ends it with TerminateInstances (EC2 describes it for an hour).
    await e.aws.capacity.removeInstance!(fleet, i!.id);
    const [s] = await e.aws.capacity.instanceStatus!(fleet, [{ id: i!.id }]);
    expect(s).toMatchObject({
      found: true,
      state: 'terminated',
      ended: true,
      marked: false,
      detail: 'instance-terminated-by-user',
    });
  });
});

describe('Azure: the scale set priority and the VM instance view', () => {
  it('a Spot VM is spot with its power state; an on-demand one is not; an unknown one is not found', async () => {
    const e = await startAzureTestEnv([SPOT_POOL, ON_DEMAND_POOL]);
    closers.push(() => e.close());
    const spot = await e.adapters.capacity.instanceStatus!(refFor(SPOT_POOL), [
      { id: `${SPOT_POOL.name}_0` },
      { id: `${SPOT_POOL.name}_99` },
      { id: '__proto__' },
    ]);
    expect(spot).toEqual([
      {
        id: `${SPOT_POOL.name}_0`,
        found: true,
        state: 'PowerState/running',
        spot: true,
        detail: 'priority Spot, ProvisioningState/succeeded',
      },
      { id: `${SPOT_POOL.name}_99`, found: false },
      { id: '__proto__', found: false },
    ]);
    const [od] = await e.adapters.capacity.instanceStatus!(refFor(ON_DEMAND_POOL), [
      { id: `${ON_DEMAND_POOL.name}_0` },
    ]);
    expect(od).toMatchObject({ found: true, spot: false, detail: expect.stringMatching(/^priority Regular/) });
    expect(e.world.callsTo('arm', 'virtualMachineScaleSetVMs.getInstanceView').length).toBeGreaterThanOrEqual(3);
  });
});

describe('GCP: instances.get', () => {
  it('a SPOT VM with its status, STOPPING once preempted; an on-demand VM; an unknown one', async () => {
    const e = await startGcp();
    closers.push(() => e.close());
    const [vm] = e.world.instancesOf(ZONAL.id);
    const before = await e.gcp.capacity.instanceStatus!(refOf(ZONAL), [{ id: vm!.id }, { id: 'gpu-l4-spot-zzzz' }]);
    expect(before).toEqual([
      { id: vm!.id, found: true, state: 'RUNNING', spot: true, detail: 'provisioning model SPOT' },
      { id: 'gpu-l4-spot-zzzz', found: false },
    ]);
    e.world.interrupt(vm!, 'spot', 30);
    const [after] = await e.gcp.capacity.instanceStatus!(refOf(ZONAL), [{ id: vm!.id }]);
    expect(after).toMatchObject({ state: 'STOPPING', spot: true });

    e.world.setDesired(REGIONAL.id, 1);
    const [od] = e.world.instancesOf(REGIONAL.id);
    const [s] = await e.gcp.capacity.instanceStatus!(refOf(REGIONAL), [{ id: od!.id, zone: od!.zone }]);
    expect(s).toMatchObject({ found: true, spot: false, detail: 'provisioning model STANDARD' });
    const read = e.world.callsTo('compute', 'instances.get').map((c) => (c.params as { instance: string }).instance);
    expect(new Set(read)).toEqual(new Set([vm!.id, 'gpu-l4-spot-zzzz', od!.id]));
  });
});
