/**
 * HPA stabilization windows: TestNormalizeDesiredReplicas of horizontal_test.go (5-minute scale-down
 * window) and the scale-up window of "Configurable scaling behavior".
 */
import { describe, expect, it } from 'vitest';
import type { TimedRecommendation } from '../../shared/engine/history.ts';
import { stabilize } from '../../shared/engine/hpa-stabilization.ts';

const NOW = Date.parse('2026-03-02T12:00:00Z');
const ago = (minutes: number, replicas: number): TimedRecommendation => ({ at: NOW - minutes * 60_000, replicas });

describe('scale-down stabilization (TestNormalizeDesiredReplicas)', () => {
  // The Go test calls the window-only stabilizer; the behavior-aware one also moves no further than the
  // current count, so the fleet is taken at 10 replicas (above every recommendation) to compare.
  it.each([
    { name: 'empty log', recs: [], desired: 5, expected: 5 },
    { name: 'stabilize', recs: [ago(2, 4), ago(1, 5)], desired: 3, expected: 5 },
    { name: 'no stabilize', recs: [ago(2, 1), ago(1, 2)], desired: 3, expected: 3 },
    { name: 'no stabilize - old recommendations', recs: [ago(10, 10), ago(9, 9)], desired: 3, expected: 3 },
    {
      name: 'stabilize - old recommendations',
      recs: [ago(10, 10), ago(1, 4), ago(2, 5), ago(9, 9)],
      desired: 3,
      expected: 5,
    },
  ])('$name', ({ recs, desired, expected }) => {
    expect(
      stabilize({ current: 10, desired, recommendations: recs, now: NOW, upWindowSeconds: 0, downWindowSeconds: 300 }),
    ).toBe(expected);
  });

  it('a scale-down waits for the whole window: the highest recommendation of the last 5 minutes', () => {
    // "the algorithm looks into previously computed desired states, and uses the highest value from the
    // specified interval": 8 four minutes ago keeps a fleet of 10 at 8, not 2.
    expect(
      stabilize({
        current: 10,
        desired: 2,
        recommendations: [ago(4, 8)],
        now: NOW,
        upWindowSeconds: 0,
        downWindowSeconds: 300,
      }),
    ).toBe(8);
    // Six minutes later the 8 is out of the window.
    expect(
      stabilize({
        current: 10,
        desired: 2,
        recommendations: [ago(6, 8)],
        now: NOW,
        upWindowSeconds: 0,
        downWindowSeconds: 300,
      }),
    ).toBe(2);
  });
});

describe('scale-up stabilization', () => {
  it('takes the lowest recommendation of the up window (default 0 s: none)', () => {
    const recs = [ago(0.5, 3), ago(2, 1)];
    // Up window 60 s: 3 (30 s ago) is the lowest in the window with 8 -> scale 2 -> 3 only.
    expect(
      stabilize({
        current: 2,
        desired: 8,
        recommendations: recs,
        now: NOW,
        upWindowSeconds: 60,
        downWindowSeconds: 300,
      }),
    ).toBe(3);
    // Default up window 0: straight to 8.
    expect(
      stabilize({
        current: 2,
        desired: 8,
        recommendations: recs,
        now: NOW,
        upWindowSeconds: 0,
        downWindowSeconds: 300,
      }),
    ).toBe(8);
  });

  it('a recommendation below the current count in the up window holds the count', () => {
    expect(
      stabilize({
        current: 5,
        desired: 9,
        recommendations: [ago(0.5, 4)],
        now: NOW,
        upWindowSeconds: 120,
        downWindowSeconds: 0,
      }),
    ).toBe(5);
  });
});
