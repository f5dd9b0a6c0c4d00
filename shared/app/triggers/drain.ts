/**
 * `drain`: the drains decisions hand off (`Drain Requested` on the autoscaler's bus, `handoff.ts`): each
 * command's node drained from its latest safe start, after re-validating, and its instance removed under the
 * fleet's lease, in a function of its own (`drain-step.ts`), so that the decision's invocation ends once it is
 * recorded and the drain may wait as long as the notice allows.
 */
import { runDrainCommand } from '../drain-step.ts';
import type { Trigger } from './trigger.ts';

export const drain: Trigger<'drain', 'drain-command'> = {
  name: 'drain',
  accepts: ['drain-command'],
  run: (signal, deps) => runDrainCommand(deps, signal),
};
