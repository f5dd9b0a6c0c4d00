/**
 * The fleet state cannot be saved after the decision acted (another invocation took the expired lease and
 * saved first): the clouds were changed all the same, so the history says so (the retry's rate limits and
 * cooldowns must see it) and the audit record says what was applied and that the save failed; then the
 * handler throws, for Lambda to retry the event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import { StaleStateError } from '../../shared/state/store.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { utilizationAlarm } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the state save refused after the actions', () => {
  it('records the history and the audit, then throws for a retry', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: null });
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
    const store = h.stack.deps.store;
    store.saveState = async (state) => {
      throw new StaleStateError(state.fleetId, state.version);
    };
    const id = crypto.randomUUID();

    await expect(h.invoke('alarm', utilizationAlarm(T0, 140, { id }))).rejects.toMatchObject({
      name: 'StaleStateError',
    });

    const audit = await h.audit(id);
    const plan = audit!.plan as Plan;
    // At 140% of a 70% target the fleet grew, and the clouds were asked for it.
    expect(plan.targetNodes).toBeGreaterThan(plan.currentNodes);
    expect(audit!.outcome.applied.some((a) => a.action === 'set-desired')).toBe(true);
    expect(audit!.outcome.failed).toEqual([expect.objectContaining({ action: 'save-state' })]);
    const history = await store.loadHistory(FLEET, new Date(T0 - 3600_000));
    expect(history).toHaveLength(1);
    expect(history[0]!.signalIds).toContain(id);
  });
});
