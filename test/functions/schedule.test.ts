/**
 * The schedule function end to end: the demo's `business-hours` window (Monday to Friday, 08:00-18:00 in
 * New York, at least 3 nodes) raises the fleet's floor when its tick comes inside the window, and leaves the
 * fleet alone outside it. Ticks come from an EventBridge scheduled rule or an EventBridge Scheduler schedule
 * (the project's samples, moved to the demo fleet and the test's time).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, startHarness } from '../support/stack.ts';
import { sample } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Monday 10:00 in New York (inside the window) and Monday 22:00 (outside). */
const IN_HOURS = Date.parse('2026-01-05T15:00:00Z');
const OFF_HOURS = Date.parse('2026-01-06T03:00:00Z');

const ruleTick = (at: number) => sample('aws-scheduled-event', 'schedule', { at });
const schedulerTick = (at: number) => sample('aws-scheduler', 'schedule', { at, replace: { chat: FLEET } });

interface ScheduleCase {
  name: string;
  at: number;
  event: (at: number) => unknown;
  /** Nodes after the tick, from 2 (the policy's own minNodes) at the start. */
  target: number;
}

const CASES: ScheduleCase[] = [
  // The window's floor is 3: 2 -> 3.
  { name: 'scheduled rule tick inside the window raises the floor', at: IN_HOURS, event: ruleTick, target: 3 },
  { name: 'Scheduler tick inside the window raises the floor', at: IN_HOURS, event: schedulerTick, target: 3 },
  { name: 'scheduled rule tick outside the window changes nothing', at: OFF_HOURS, event: ruleTick, target: 2 },
  { name: 'Scheduler tick outside the window changes nothing', at: OFF_HOURS, event: schedulerTick, target: 2 },
];

describe('schedule function', () => {
  it.each(CASES)('$name', async (c) => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, start: c.at, block: null });
    const result = await h.invoke('schedule', c.event(c.at));
    expect(result).toMatchObject({
      status: 'decided',
      decisions: [{ fleetId: FLEET, currentNodes: 2, targetNodes: c.target }],
    });
    expect(h.totalDesired()).toBe(c.target);
    const [audit] = await h.audits();
    expect(audit).toMatchObject({ trigger: { fn: 'schedule', signal: 'tick' } });
    const codes = (audit!.plan as Plan).reasons.map((r) => r.code);
    expect(codes.includes('safety.schedule')).toBe(c.at === IN_HOURS);
    // Outside the window not one call changes anything (no resize, no Deployment patch).
    expect(h.writes().length > 0).toBe(c.target !== 2);
  });

  it('a tick of a window the configuration does not have is a no-op', async () => {
    h = await startHarness({ start: IN_HOURS });
    const event = sample('aws-scheduler', 'schedule', {
      at: IN_HOURS,
      replace: { chat: FLEET },
    }) as Record<string, unknown>;
    event.window = 'weekend-batch';
    const result = await h.invoke('schedule', event);
    expect(result).toMatchObject({ status: 'no-op', reason: expect.stringContaining('weekend-batch') });
    expect(h.writes()).toEqual([]);
  });
});
