/**
 * On time: what a decision launches must serve when it is needed, a time to ready later. Schedule floors
 * launch ahead of their window, and the replacements of an ending reservation all launch ahead of its end,
 * whatever the rate limits.
 */
import { describe, expect, it } from 'vitest';
import type { CapacityReservation } from '../../shared/domain/ports.ts';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import { decide } from '../../shared/engine/decide.ts';
import { at, fleet, input, pool, T0 } from './fixtures.ts';

// T0 is Monday 2026-03-02 12:00 UTC.
const window = (start: string, end: string): ScheduleWindow => ({
  name: 'business-hours',
  timeZone: 'UTC',
  days: [1, 2, 3, 4, 5],
  start,
  end,
  minNodes: 6,
});

describe('schedule floors are ready by the window start', () => {
  const f = () => fleet([pool({ id: 'od', desired: 2, timeToReadySeconds: 600 })], { metrics: [] });

  it.each([
    // Lead = 600 s to ready + 300 s to the next decision: a window starting in 10 or 15 minutes launches now.
    { name: 'starts in 10 minutes: launches now', start: '12:10', expected: 6, ahead: true },
    {
      name: 'starts in 15 minutes: launches now (the next decision is too late)',
      start: '12:15',
      expected: 6,
      ahead: true,
    },
    // In 20 minutes the next decision (in 5) is still a time to ready ahead of it.
    { name: 'starts in 20 minutes: not yet', start: '12:20', expected: 2, ahead: false },
    { name: 'already active: its floor holds', start: '11:00', expected: 6, ahead: false },
  ])('$name', ({ start, expected, ahead }) => {
    const plan = decide(input(f(), { schedule: [window(start, '18:00')], demand: { rps: 10 } }), T0);
    expect(plan.targetNodes).toBe(expected);
    expect(plan.reasons.some((r) => r.code === 'safety.schedule-ahead')).toBe(ahead);
    if (ahead) expect(plan.reasons.find((r) => r.code === 'limit.min')?.clippedBy).toContain('starts within 900s');
  });
});

describe('schedule floors of short windows and of windows sharing a name', () => {
  const f = () => fleet([pool({ id: 'od', desired: 2, timeToReadySeconds: 600 })], { metrics: [] });
  const short = (start: string, end: string, minNodes: number, name = 'batch'): ScheduleWindow => ({
    name,
    timeZone: 'UTC',
    days: [1],
    start,
    end,
    minNodes,
  });

  it('launches the floor of a window shorter than the decision interval that starts between the two looks ahead', () => {
    // 12:12-12:14 lies between now + time to ready (12:10) and now + lead (12:15): the next decision (12:05)
    // would launch nodes ready at 12:15, after it ended. Looked at only at 12:10 and 12:15, it was missed.
    const plan = decide(input(f(), { schedule: [short('12:12', '12:14', 5)], demand: { rps: 10 } }), T0);
    expect(plan.targetNodes).toBe(5);
    expect(plan.reasons.some((r) => r.code === 'safety.schedule-ahead')).toBe(true);
  });

  it('launches nothing for a window that ends before a node launched now could serve it', () => {
    const plan = decide(input(f(), { schedule: [short('12:02', '12:08', 5)], demand: { rps: 10 } }), T0);
    expect(plan.targetNodes).toBe(2);
  });

  it('launches the floor of a window about to start that shares its name with the one active now', () => {
    // A schedule named `peak` for the morning (floor 2) and the afternoon (floor 10): at 11:55 the afternoon's
    // floor launches, though a window named `peak` is active. Told apart by name, it was skipped.
    const windows = [short('08:00', '12:00', 2, 'peak'), short('12:00', '18:00', 10, 'peak')];
    const plan = decide(input(f(), { schedule: windows, demand: { rps: 10 } }), new Date(T0.getTime() - 5 * 60_000));
    expect(plan.targetNodes).toBe(10);
  });
});

describe('replacements for an ending reservation', () => {
  // A reserved pool of one big node (600 rps) whose block ends in 15 minutes, and an on-demand pool of
  // 10 rps nodes; the max step is 4 nodes per decision.
  const f = () =>
    fleet(
      [
        pool({
          id: 'block',
          capacityType: 'reserved',
          reservationId: 'cr-1',
          hourlyPrice: 0,
          rpsPerNode: 600,
          desired: 1,
          max: 1,
          timeToReadySeconds: 600,
        }),
        pool({ id: 'od', desired: 2, timeToReadySeconds: 600 }),
      ],
      { metrics: [], safety: { maxStepUp: 4 } },
    );
  const block: CapacityReservation = {
    id: 'cr-1',
    cloud: 'aws',
    type: 'capacity-block',
    instanceType: 'p5.48xlarge',
    zone: 'us-east-1a',
    total: 1,
    available: 0,
    state: 'active',
    // Its capacity ends in 15 minutes: EC2 terminates a block's instances 30 minutes before its end date.
    endTime: at(900 + 1800),
  };

  it('launches every replacement now, not capped by the max step', () => {
    // 400 rps x 1.2 = 480 rps without the block: 48 on-demand nodes, +46 at once (the max step allows 4).
    const plan = decide(input(f(), { demand: { rps: 400 }, reservations: [block] }), T0);
    expect(plan.pools.find((p) => p.poolId === 'od')?.target).toBe(48);
    expect(plan.pools.find((p) => p.poolId === 'block')?.target).toBe(1);
    expect(plan.reasons.some((r) => r.code === 'safety.replacements')).toBe(true);
  });

  it('launches them once the end is within the time to ready plus the 10-minute margin, not before', () => {
    // Time to ready 600 s + RESERVATION_EXIT_MARGIN_SECONDS 600 s: a capacity that ends in 19 minutes is replaced
    // now (a node reported at 16 minutes, or a decision an interval late, still serves before it ends); one
    // that ends in 21 minutes is left to a later decision.
    const ends = (s: number) => ({ ...block, endTime: at(s + 1800) });
    const soon = decide(input(f(), { demand: { rps: 400 }, reservations: [ends(1140)] }), T0);
    expect(soon.pools.find((p) => p.poolId === 'od')?.target).toBe(48);
    const later = decide(input(f(), { demand: { rps: 400 }, reservations: [ends(1260)] }), T0);
    // The block still serves the 480 rps alone until then: the on-demand nodes are not needed yet.
    expect(later.pools.find((p) => p.poolId === 'od')?.target).toBe(0);
    expect(later.reasons.some((r) => r.code === 'safety.replacements')).toBe(false);
  });

  it('still holds growth beyond the replacements to the max step', () => {
    // The block lasts: 800 x 1.2 = 960 rps, 600 on the block and 36 on-demand nodes: +34, capped at 3 + 4.
    const plan = decide(input(f(), { demand: { rps: 800 }, reservations: [{ ...block, endTime: at(86_400) }] }), T0);
    expect(plan.targetNodes).toBe(7);
    expect(plan.reasons.some((r) => r.code === 'safety.replacements')).toBe(false);
  });
});
