/**
 * Which nodes an earlier decision planned to remove after a notice are still there (not terminated), as the
 * decision reads them from its observation for the engine (`DecisionInput.stillThere`).
 */
import { describe, expect, it } from 'vitest';
import { removalsStillThere } from '../../shared/app/decision.ts';
import type { ObservedInstance } from '../../shared/domain/ports.ts';
import type { HandledInterruption } from '../../shared/engine/types.ts';

const handled = (instanceId: string, over: Partial<HandledInterruption> = {}): HandledInterruption => ({
  instanceId,
  poolId: 'spot',
  deadline: '2026-03-02T12:02:00.000Z',
  at: '2026-03-02T12:00:00.000Z',
  removing: true,
  ...over,
});
const instance = (id: string, over: Partial<ObservedInstance> = {}): ObservedInstance => ({
  id,
  capacityType: 'spot',
  lifecycle: 'ready',
  ...over,
});

describe('removalsStillThere', () => {
  it.each([
    { name: 'observed, serving', h: [handled('i-1')], seen: [instance('i-1')], expected: ['i-1'] },
    {
      name: 'observed by its node name',
      h: [handled('node-1')],
      seen: [instance('i-1', { nodeName: 'node-1' })],
      expected: ['node-1'],
    },
    {
      name: 'shutting down',
      h: [handled('i-1')],
      seen: [instance('i-1', { lifecycle: 'terminating' })],
      expected: ['i-1'],
    },
    { name: 'terminated', h: [handled('i-1')], seen: [instance('i-1', { lifecycle: 'terminated' })], expected: [] },
    { name: 'no longer listed', h: [handled('i-1')], seen: [instance('i-2')], expected: [] },
    { name: 'no removal planned', h: [handled('i-1', { removing: undefined })], seen: [instance('i-1')], expected: [] },
    { name: 'in another pool', h: [handled('i-1', { poolId: 'od' })], seen: [instance('i-1')], expected: [] },
    { name: 'nothing handled', h: undefined, seen: [instance('i-1')], expected: [] },
  ])('$name', ({ h, seen, expected }) => {
    expect(removalsStillThere(h, { instances: new Map([['spot', seen]]) })).toEqual(expected);
  });
});
