/**
 * What the application layer counts reaches the function's EMF metrics: a decision that grows the fleet
 * counts one decision and its actions.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { tick, utilizationAlarm } from './support.ts';
import { localHandler } from '../../local/handler.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('application counters', () => {
  it('a decision is counted with its actions', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: null });
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
    h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
    const metrics = new Metrics({ namespace: 'GpuAutoscalerTest', serviceName: 'alarm' });
    const added = vi.spyOn(metrics, 'addMetric');
    const stack = h.stack;
    const handler = localHandler({ trigger: 'alarm', deps: async () => stack.deps, metrics });
    const id = crypto.randomUUID();

    await handler(utilizationAlarm(T0, 140, { id }), localContext('alarm'));

    const counted = (name: string) => added.mock.calls.filter((c) => c[0] === name).map((c) => c[2]);
    const audit = await h.audit(id);
    expect(counted('Decisions')).toEqual([1]);
    // Every action the audit record lists as applied (at 140% of a 70% target the fleet grew: at least one).
    expect(audit!.outcome.applied.length).toBeGreaterThan(0);
    expect(counted('Actions')).toEqual([audit!.outcome.applied.length]);
    expect(counted('ActionFailures')).toEqual([]);
  });
});

describe('metrics unavailable (KEDA fallback)', () => {
  it('a decision with nothing to go by says so in the log and as a metric, every time', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, block: null });
    // The metrics store has nothing for the fleet: no utilization, no demand, no history for a forecast.
    const metrics = new Metrics({ namespace: 'GpuAutoscalerTest', serviceName: 'forecast' });
    const added = vi.spyOn(metrics, 'addMetric');
    const warnings: Array<{ message: string; extra?: Record<string, unknown> }> = [];
    const stack = h.stack;
    const deps = {
      ...stack.deps,
      logger: {
        ...stack.deps.logger,
        warn: (message: string, extra?: Record<string, unknown>) => warnings.push({ message, extra }),
      },
    };
    const handler = localHandler({ trigger: 'forecast', deps: async () => deps, metrics });
    for (let i = 0; i < 2; i++)
      await handler(tick(T0 + i * 300_000, 'forecast', crypto.randomUUID()), localContext('forecast'));
    expect(added.mock.calls.filter((c) => c[0] === 'MetricsFallback')).toHaveLength(2);
    const said = warnings.filter((w) => w.message === 'metrics unavailable');
    expect(said.map((w) => w.extra?.code)).toEqual(['fallback.none', 'fallback.none']);
    expect(String(said[1]!.extra?.reason)).toMatch(/no metric could be read 2 decision\(s\) in a row: holding \d+/);
  });
});
