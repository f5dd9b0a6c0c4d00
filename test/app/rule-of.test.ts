/** The label of a decision: the rules its count came from and what clipped it. */
import { describe, expect, it } from 'vitest';
import { ruleOf } from '../../shared/app/fleets.ts';
import type { Reason } from '../../shared/engine/types.ts';

const r = (kind: Reason['kind'], code: string, extra: Partial<Reason> = {}): Reason => ({
  kind,
  code,
  message: code,
  ...extra,
});

describe('ruleOf', () => {
  it.each([
    { name: 'no reasons', reasons: [], label: 'no rule' },
    {
      name: 'the rules in order, each once',
      reasons: [r('signal', 'signal.tick'), r('rule', 'demand.rps'), r('rule', 'hpa.metric'), r('rule', 'demand.rps')],
      label: 'demand.rps+hpa.metric',
    },
    {
      name: 'a limit that clipped the count, with before and after',
      reasons: [r('rule', 'demand.forecast'), r('safety', 'safety.max-step', { before: 12, after: 8 })],
      label: 'demand.forecast; safety.max-step 12->8',
    },
    {
      name: 'a limit that changed nothing and placement reasons are left out',
      reasons: [
        r('rule', 'demand.rps'),
        r('limit', 'limit.max', { before: 4, after: 4 }),
        r('placement', 'placement.cheapest', { before: 1, after: 3 }),
      ],
      label: 'demand.rps',
    },
  ])('$name', ({ reasons, label }) => {
    expect(ruleOf(reasons)).toBe(label);
  });
});
