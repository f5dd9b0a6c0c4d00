/**
 * The drain handoff's event on the autoscaler's own bus: a decision publishes one per node it cordoned for a
 * notice (`shared/app/handoff.ts`); the drain function's rule (stacks/patterns.ts) and the event router
 * (events/registry.ts) read the same pair.
 */
export const DRAIN_SOURCE = 'autoscaler.drain';
export const DRAIN_DETAIL_TYPE = 'Drain Requested';
