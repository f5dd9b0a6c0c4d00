/**
 * Which interruption notices the cloud's own status contradicts (`contradiction`), case by case.
 */
import { describe, expect, it } from 'vitest';
import { contradiction, isInterruptionCode } from '../../shared/domain/notices.ts';
import type { InstanceStatus } from '../../shared/domain/ports.ts';
import type { InterruptionKind } from '../../shared/domain/signals.ts';

const running = { id: 'i-1', found: true, state: 'running' } as const;

describe('contradiction', () => {
  it.each<{ name: string; kind: InterruptionKind; status: InstanceStatus; refused: RegExp | undefined }>([
    {
      name: 'an EC2 warning for a spot instance whose request is marked for termination acts',
      kind: 'warning',
      status: { ...running, spot: true, marked: true, detail: 'marked-for-termination' },
      refused: undefined,
    },
    {
      name: 'an EC2 warning for a spot instance whose request is only fulfilled is refused (not marked)',
      kind: 'warning',
      status: { ...running, spot: true, marked: false, detail: 'fulfilled' },
      refused: /spot request of instance i-1 is fulfilled, not marked/,
    },
    {
      name: 'a warning for an on-demand instance is refused (not spot)',
      kind: 'warning',
      status: { ...running, spot: false, detail: 'instance lifecycle on-demand' },
      refused: /not a spot instance \(instance lifecycle on-demand\)/,
    },
    {
      name: 'a preemption of a VM the cloud does not know is refused',
      kind: 'preempt',
      status: { id: 'vmss_99', found: false },
      refused: /the cloud has no instance vmss_99/,
    },
    {
      name: 'a notice for an instance already ended by someone else is refused',
      kind: 'warning',
      status: { ...running, state: 'terminated', ended: true, spot: true, marked: false },
      refused: /already ended \(terminated\)/,
    },
    {
      name: 'a GCP preemption of a SPOT VM already STOPPING acts (what a preemption does)',
      kind: 'preempt',
      status: { ...running, state: 'STOPPING', spot: true },
      refused: undefined,
    },
    {
      name: 'a rebalance recommendation needs a spot instance, not a marked request',
      kind: 'rebalance',
      status: { ...running, spot: true, marked: false, detail: 'fulfilled' },
      refused: undefined,
    },
    {
      name: 'maintenance is checked for the instance only: on demand is fine',
      kind: 'maintenance',
      status: { ...running, spot: false },
      refused: undefined,
    },
    {
      name: 'a reservation interruption is not a spot notice',
      kind: 'reservation-interruption',
      status: { ...running, spot: false },
      refused: undefined,
    },
    {
      name: 'what the cloud does not say (no spot or mark read) contradicts nothing',
      kind: 'warning',
      status: { ...running },
      refused: undefined,
    },
  ])('$name', ({ kind, status, refused }) => {
    const reason = contradiction(kind, status);
    if (refused) expect(reason).toMatch(refused);
    else expect(reason).toBeUndefined();
  });

  it('a notice read after its deadline whose VM is gone: the cloud no longer knowing it is what it announced', () => {
    expect(contradiction('preempt', { id: 'vmss_3', found: false }, true)).toBeUndefined();
    // Ended otherwise (a user, the group) is still a contradiction, late or not; so is a VM not run as spot.
    expect(
      contradiction('warning', { ...running, state: 'terminated', ended: true, spot: true, marked: false }, true),
    ).toMatch(/already ended \(terminated\)/);
    expect(contradiction('preempt', { ...running, spot: false }, true)).toMatch(/not a spot instance/);
  });
});

describe('isInterruptionCode', () => {
  it.each([
    ['marked-for-termination', true],
    ['marked-for-stop', true],
    ['marked-for-hibernation', true],
    ['instance-terminated-no-capacity', true],
    ['instance-stopped-by-price', true],
    ['instance-terminated-by-user', false],
    ['fulfilled', false],
    ['pending-fulfillment', false],
    ['request-canceled-and-instance-running', false],
    ['marked-for-termination-later', false],
  ])('%s -> %s', (code, expected) => {
    expect(isInterruptionCode(code)).toBe(expected);
  });
});
