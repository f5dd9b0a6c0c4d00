/** Signals as the event normalizer gives them, for the app-layer tests. */
import type { InterruptionSignal, OperatorCommandSignal } from '../../shared/domain/signals.ts';

/**
 * An EC2 Spot interruption warning received at `now` for instance i-1 in us-east-1a (event id spot-1), with its
 * two minutes' notice; fields replaced by `over`.
 */
export function spotWarningSignal(now: Date, over: Partial<InterruptionSignal> = {}): InterruptionSignal {
  return {
    type: 'interruption',
    eventId: 'spot-1',
    source: 'aws.ec2',
    time: now.toISOString(),
    cloud: 'aws',
    kind: 'warning',
    instanceIds: ['i-1'],
    deadline: new Date(now.getTime() + 120_000).toISOString(),
    zone: 'us-east-1a',
    region: 'us-east-1',
    ...over,
  };
}

/** An operator's `drain` of node i-0abc at `now` (actor alice, reason "bad GPU"); fields replaced by `over`. */
export function opDrainSignal(now: Date, over: Partial<OperatorCommandSignal> = {}): OperatorCommandSignal {
  return {
    type: 'operator-command',
    eventId: 'op-drain',
    source: 'cli',
    time: now.toISOString(),
    command: 'drain',
    node: 'i-0abc',
    actor: 'alice',
    reason: 'bad GPU',
    ...over,
  };
}
