/**
 * The critical path's depth: round trips in a row, from the servers' own records of each request.
 */
import { describe, expect, it } from 'vitest';
import { depths, removalSteps } from '../../bench/latency.ts';
import type { ServedRequest } from '../../local/emulators/tap.ts';

const req = (start: number, end: number, op = 'x'): ServedRequest => ({
  server: 'aws',
  method: 'POST',
  path: '/',
  operations: [op],
  start,
  end,
});

describe('depths', () => {
  it.each([
    { name: 'one request', requests: [req(0, 10)], expected: [1] },
    { name: 'three in a row', requests: [req(0, 10), req(11, 20), req(21, 30)], expected: [1, 2, 3] },
    // The two reads overlap: the write after them is the second round trip, not the third.
    { name: 'two at once, then one', requests: [req(0, 10), req(1, 12), req(13, 20)], expected: [1, 1, 2] },
    // A long request and a chain beside it: the chain's depth does not depend on the long one.
    { name: 'a chain beside a long one', requests: [req(0, 100), req(1, 10), req(11, 20)], expected: [1, 1, 2] },
    {
      name: 'order of the records does not matter',
      requests: [req(21, 30), req(0, 10), req(11, 20)],
      expected: [3, 1, 2],
    },
  ])('$name', ({ requests, expected }) => {
    expect(depths(requests)).toEqual(expected);
  });
});

describe('removalSteps', () => {
  const call = (operation: string, params: Record<string, unknown>) => ({ service: 'ec2', operation, at: 0, params });
  it('tells a removal (TerminateInstances, a ModifyFleet with no-termination) from a grow', () => {
    const grow = req(0, 10, 'ec2.ModifyFleet');
    const lower = req(20, 30, 'ec2.ModifyFleet');
    const end = req(31, 40, 'ec2.TerminateInstances');
    const asg = req(5, 15, 'autoscaling.SetDesiredCapacity');
    const steps = removalSteps(
      [end, asg, lower, grow],
      [
        call('ModifyFleet', { 'TargetCapacitySpecification.TotalTargetCapacity': '3' }),
        call('DescribeFleets', {}),
        call('ModifyFleet', { ExcessCapacityTerminationPolicy: 'no-termination' }),
      ],
    );
    expect([grow, asg, lower, end].map((r) => steps.has(r))).toEqual([false, false, true, true]);
  });
});
