/** formatPlan: what an operator reads for `autoscaler plan`. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import { formatPlan } from '../../shared/engine/format.ts';
import { at, fleet, input, pool, T0 } from './fixtures.ts';

describe('formatPlan', () => {
  it('prints the change, the pools, the actions and every reason in order', () => {
    const f = fleet(
      [
        pool({ id: 'spot', capacityType: 'spot', hourlyPrice: 0.4, desired: 2 }),
        pool({ id: 'od', hourlyPrice: 1.2, desired: 1 }),
      ],
      {
        placement: { spotShare: 1 },
        safety: { maxStepUp: 2, hourlyBudgetUsd: 100 },
      },
    );
    const plan = decide(
      input(f, {
        dryRun: true,
        metrics: [{ metric: 'gpu_utilization', value: 140 }],
        signals: [
          {
            type: 'interruption',
            eventId: 'e1',
            source: 'aws.ec2',
            time: T0.toISOString(),
            cloud: 'aws',
            kind: 'warning',
            instanceIds: ['i-1'],
            poolId: 'spot',
            deadline: at(120),
          },
        ],
      }),
      T0,
    );
    const text = formatPlan(plan);
    expect(text).toContain('Plan for fleet llm at 2026-03-02T12:00:00.000Z [DRY RUN]');
    // 3 nodes serve 30 rps at 140% of the 70% target: 60 rps of capacity, 6 nodes; max step +2 -> 5.
    expect(text).toContain('Nodes: 3 (3 ready) -> 5  (recommended 6 for 60.0 rps)');
    expect(text).toMatch(/spot\s+aws\s+spot\s+2\s+1\s+-1\s+0\.40/);
    expect(text).toContain('spot: may not grow (offering backed off until');
    expect(text).toContain('Actions (dry run, not executed):');
    expect(text).toContain('cordon-drain  i-1 (spot) from 2026-03-02T12:01:20.000Z by 2026-03-02T12:02:00.000Z');
    expect(text).toContain('remove        i-1 (spot)');
    expect(text).toMatch(/\[safety\]\s+safety\.max-step\s+at most \+2 per decision \[6 -> 5 by safety\.maxStepUp\]/);
    const why = text.slice(text.indexOf('Why:'));
    expect(why.split('\n').length - 1).toBe(plan.reasons.length);
  });

  it('shows actions held back by a pause', () => {
    const f = fleet([pool({ id: 'od', desired: 2 })]);
    const plan = decide(
      input(f, {
        metrics: [{ metric: 'gpu_utilization', value: 140 }],
        state: { offeringBackoff: [], paused: { by: 'bob', reason: 'incident' } },
      }),
      T0,
    );
    const text = formatPlan(plan);
    expect(text).toContain('[PAUSED]');
    expect(text).toContain('Actions:\n  none');
    expect(text).toContain('Held back by the pause:\n  1. set-desired   od: 2 -> 4');
  });
});
