/**
 * Interruption notices are checked against what the cloud says of the instance before they act, end to end
 * (the spot-interruption function, the real SDK clients, the emulators' DescribeInstances and
 * DescribeSpotInstanceRequests): a notice the cloud contradicts drains, removes and backs off nothing, and
 * the audit record says why; the same notice once EC2 has marked the instance acts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SPOT_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { FLEET, type Harness, startHarness } from '../support/stack.ts';
import { spotWarning } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function warning(h: Harness, poolId: string, id: string) {
  const i = h.world.instancesOf(poolId)[0]!;
  return { i, event: spotWarning(i, id) };
}

describe('a spot warning the cloud contradicts', () => {
  it.each([
    {
      name: 'for an on-demand instance (EC2: instance lifecycle on-demand)',
      poolId: 'aws-g5-ondemand',
      reason: /is not a spot instance \(instance lifecycle on-demand\)/,
    },
    {
      name: 'for a spot instance EC2 has not marked (its spot request is fulfilled)',
      poolId: 'aws-g5-spot',
      reason: /spot request of instance i-[0-9a-f]+ is fulfilled, not marked for interruption/,
    },
  ])('$name changes no capacity and is recorded with the reason', async ({ poolId, reason }) => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2, 'aws-g5-ondemand': 2 }, block: null });
    const before = h.desired();
    const { i, event } = warning(h, poolId, 'forged-warning-1');
    await h.invoke('spot-interruption', event);

    // Nothing drained, ended or backed off for it; every pool kept its count.
    expect(h.world.callsTo('kubernetes', 'pods.eviction.create')).toHaveLength(0);
    expect(h.world.callsTo('ec2', 'TerminateInstances')).toHaveLength(0);
    expect(h.world.instance(i.id)?.state).not.toBe('terminating');
    expect(h.desired()).toEqual(before);
    const state = await h.stack.deps.store.getState(FLEET);
    expect(state.offeringBackoff ?? []).toEqual([]);
    expect(state.interruptedInstances ?? []).toEqual([]);

    const audit = await h.audit('forged-warning-1');
    const plan = audit!.plan as unknown as { actions: Array<{ type: string }> };
    expect(plan.actions.filter((a) => a.type === 'cordon-drain' || a.type === 'remove-instance')).toEqual([]);
    expect(audit!.notes?.join('\n')).toMatch(
      new RegExp(`aws warning notice forged-warning-1 for ${i.id} refused: the cloud says .*${reason.source}`),
    );
    expect(h.world.callsTo('ec2', 'DescribeInstances').length).toBeGreaterThan(0);
  });

  it('acts once EC2 has marked the instance for termination', async () => {
    h = await startHarness({ desired: { 'aws-g5-spot': 2, 'aws-g5-ondemand': 2 }, block: null });
    const { i, event } = warning(h, 'aws-g5-spot', 'real-warning-1');
    h.world.interrupt(i, 'spot', SPOT_NOTICE_SECONDS.aws);
    await h.invoke('spot-interruption', event);
    const audit = await h.audit('real-warning-1');
    const plan = audit!.plan as unknown as { actions: Array<{ type: string; instanceId?: string }> };
    expect(plan.actions.filter((a) => a.type === 'cordon-drain').map((a) => a.instanceId)).toEqual([i.id]);
    expect(audit!.notes ?? []).not.toContainEqual(expect.stringMatching(/refused/));
    expect(h.world.callsTo('ec2', 'DescribeSpotInstanceRequests').length).toBeGreaterThan(0);
  });
});
