/**
 * `spot-interruption`: EC2 Spot interruption warnings and rebalance recommendations, Azure Scheduled Events
 * (Preempt), GCP preemptions, and the clouds' capacity notices: the interrupted nodes are cordoned (first:
 * alongside the fleet's lease, `cordon-first.ts`) and drained, removed, and their capacity placed elsewhere,
 * the notices of one fleet that arrive together in one decision (`batch.ts`); a failed launch backs its
 * offering off. The drains and the removals after them go to the drain function (`drain.ts`, `handoff.ts`):
 * the decision ends once recorded.
 */
import { cordonEarly } from '../cordon-first.ts';
import { decisionTrigger } from './trigger.ts';
import { fleetsInterrupted, fleetsShortOfCapacity } from './routes.ts';

export const spotInterruption = decisionTrigger(
  'spot-interruption',
  ['interruption', 'capacity-notice'],
  (s, deps) => (s.type === 'interruption' ? fleetsInterrupted(s, deps) : fleetsShortOfCapacity(s, deps)),
  { ahead: cordonEarly, batch: true, handoff: true },
);
