/**
 * The fleet's next state: the warm pools' hold and the record of warm nodes serving in place of cold
 * launches (`warmBridge`) are what this decision says, set where the rest of the next state is computed.
 */
import { describe, expect, it } from 'vitest';
import { nextState } from '../../shared/engine/next-state.ts';
import { Reasons } from '../../shared/engine/reasons.ts';
import { readSignals } from '../../shared/engine/signals.ts';
import type { DecisionState, WarmHold } from '../../shared/engine/types.ts';
import { T0 } from './fixtures.ts';

const hold = (rps: number): WarmHold => ({ rps, at: T0.toISOString() });
const before: DecisionState = { offeringBackoff: [], warmHold: hold(100), warmBridge: { a: 2, b: 1 } };

describe('next state: warm hold and warm bridge', () => {
  it.each<{
    name: string;
    learned: { warmHold?: WarmHold; warmBridge?: Record<string, number> };
    expected: Pick<DecisionState, 'warmHold' | 'warmBridge'>;
  }>([
    {
      name: 'the bridge this decision records replaces the last one',
      learned: { warmBridge: { a: 1 } },
      expected: { warmHold: hold(100), warmBridge: { a: 1 } },
    },
    {
      name: 'no bridge recorded: the last one is gone',
      learned: { warmBridge: {} },
      expected: { warmHold: hold(100), warmBridge: undefined },
    },
    {
      name: 'nothing said about the bridge: gone too',
      learned: {},
      expected: { warmHold: hold(100), warmBridge: undefined },
    },
    {
      name: 'a hold this decision sized replaces the state one',
      learned: { warmHold: hold(300), warmBridge: { b: 1 } },
      expected: { warmHold: hold(300), warmBridge: { b: 1 } },
    },
  ])('$name', ({ learned, expected }) => {
    const sig = readSignals([], 'llm', before, T0.getTime(), new Reasons());
    const next = nextState(before, sig, [], T0, { pools: [], ...learned });
    expect(next.warmHold).toEqual(expected.warmHold);
    expect(next.warmBridge).toEqual(expected.warmBridge);
    expect(Object.hasOwn(next, 'warmBridge')).toBe(expected.warmBridge !== undefined);
    // The state passed in is not changed.
    expect(before.warmBridge).toEqual({ a: 2, b: 1 });
  });
});
