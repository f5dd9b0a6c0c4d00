/**
 * The forecast function end to end: a day of demand history in the metrics store (served over the
 * Prometheus HTTP API the function queries, `sum(fleet_rps{fleet="llm-demo"})`), a scheduled tick, and the
 * seasonal forecast raising the fleet ahead of a peak that comes back at the same time of day. A falling
 * forecast never scales in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, startHarness } from '../support/stack.ts';
import { sample, tick } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Monday 22:00 in New York: outside the business-hours window, whose floor would hide the forecast. */
const T0 = Date.parse('2026-01-06T03:00:00Z');
const STEP_S = 300;
const DAY_MS = 86_400_000;

/** `fleet_rps` every 5 minutes over the last 25 hours (a full season and the level window before it). */
function demandHistory(h: Harness, rps: (sinceYesterdayMs: number) => number) {
  for (let t = T0 - DAY_MS - 3600_000; t <= T0; t += STEP_S * 1000) {
    h.metrics.add('fleet_rps', { fleet: FLEET }, t / 1000, rps(t - (T0 - DAY_MS)));
  }
}

/** GPU utilization at the policy's 70% target: the reactive part holds the fleet where it is. */
function utilizationAtTarget(h: Harness) {
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 70);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 70);
}

const codes = (plan: Plan) => plan.reasons.map((r) => r.code);

interface ForecastCase {
  name: string;
  desired: Record<string, number>;
  /** Demand (rps) at a time, counted from this time yesterday. */
  rps: (sinceYesterdayMs: number) => number;
  /** Nodes the tick must end with, and whether the forecast raised them. */
  target: number;
  raised: boolean;
}

const CASES: ForecastCase[] = [
  {
    name: 'a peak that came 5 minutes after this time yesterday: scaled out ahead of it',
    desired: { 'aws-g5-ondemand': 2 },
    // 60 rps all day, 3,000 rps from 5 minutes after this time yesterday for three hours.
    rps: (t) => (t >= 5 * 60_000 && t < 3 * 3600_000 ? 3000 : 60),
    // The peak x 1.2 (demandBuffer) needs far more than the 2 nodes; the scale-up policy (4 pods or 100%
    // per 15 s) lets 2 grow to max(2 + 4, 2 x 2) = 6 in one decision.
    target: 6,
    raised: true,
  },
  {
    name: 'flat demand (the control): nothing to get ahead of',
    desired: { 'aws-g5-ondemand': 2 },
    rps: () => 60,
    // The 2 nodes hold it, and the mix wants the one above the on-demand base on spot: the consolidation
    // launches its g5 spot replacement, and the on-demand node goes once it serves (make-before-break).
    target: 3,
    raised: false,
  },
  {
    name: 'demand that fell after this time yesterday: no scale-in on the forecast',
    desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 4 },
    // 180 rps now: x 1.2 = 216 rps, what the 6 g5 nodes serve (39 rps each); 5 rps forecast from 5 minutes
    // on (1 node): the forecast never lowers. The SLO headroom raises it instead: yesterday the demand came
    // back from 5 to 180 rps within one lead time, a jump no multiplier of the demand now bounds, so the
    // headroom holds up to the prior's reach (2 x 180 rps), spot counted at its survival, placed: 8 nodes.
    rps: (t) => (t >= 5 * 60_000 && t < 3 * 3600_000 ? 5 : 180),
    target: 8,
    raised: false,
  },
];

describe('forecast function', () => {
  it.each(CASES)('$name', async (c) => {
    h = await startHarness({ desired: c.desired, start: T0, block: null });
    demandHistory(h, c.rps);
    utilizationAtTarget(h);
    const before = h.totalDesired();
    const id = crypto.randomUUID();
    const result = await h.invoke('forecast', tick(T0, 'forecast', id));
    const audit = await h.audit(id);
    // A failed action says which and why (a CI run once saw these ticks come back partial).
    expect(result, JSON.stringify(audit?.outcome.failed)).toMatchObject({
      status: 'decided',
      decisions: [{ fleetId: FLEET, currentNodes: before, targetNodes: c.target }],
    });
    const plan = audit!.plan as Plan;
    // The forecast was read and used (its demand turned into nodes), and only raised the fleet if at all.
    expect(codes(plan)).toContain('demand.forecast');
    expect(codes(plan).includes('demand.forecast-ahead')).toBe(c.raised);
    expect(audit!.notes ?? []).not.toContainEqual(expect.stringMatching(/forecast/));
    expect(h.totalDesired()).toBe(c.target);
    expect(h.totalDesired()).toBeGreaterThanOrEqual(before);
  });

  it('a forecaster that predicted the last day worse than the last value is not used, and the plan says so', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, start: T0, block: null });
    // Two days: the day before yesterday swings between 60 and 600 rps every 5 minutes, yesterday is flat at 60
    // but for the same 3,000 rps peak as above. Replayed over the last day, the seasonal forecast (the two days
    // before each origin, averaged) swings where the demand did not: far worse than the last value.
    for (let t = T0 - 2 * DAY_MS - 3600_000; t <= T0; t += STEP_S * 1000) {
      const sinceYesterday = t - (T0 - DAY_MS);
      const rps =
        t < T0 - DAY_MS - 3600_000
          ? (t / (STEP_S * 1000)) % 2 === 0
            ? 600
            : 60
          : sinceYesterday >= 5 * 60_000 && sinceYesterday < 3 * 3600_000
            ? 3000
            : 60;
      h.metrics.add('fleet_rps', { fleet: FLEET }, t / 1000, rps);
    }
    utilizationAtTarget(h);
    const id = crypto.randomUUID();
    await h.invoke('forecast', tick(T0, 'forecast', id));
    const plan = (await h.audit(id))!.plan as Plan;
    const unskilled = plan.reasons.find((r) => r.code === 'forecast.unskilled');
    expect(unskilled?.message).toMatch(/forecast not used: over the last 24 h .* \(MASE \d+\.\d\d\)/);
    expect(codes(plan)).not.toContain('demand.forecast-ahead');
    expect(codes(plan)).not.toContain('demand.forecast');
  });

  it('an EventBridge Scheduler tick for another fleet decides nothing; for this fleet, it decides', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, start: T0, block: null });
    demandHistory(h, (t) => (t >= 5 * 60_000 && t < 3 * 3600_000 ? 3000 : 60));
    utilizationAtTarget(h);
    const other = await h.invoke('forecast', sample('aws-scheduler', 'valid', { at: T0 }));
    expect(other).toMatchObject({ status: 'no-op', reason: expect.stringContaining('chat') });
    expect(h.writes()).toEqual([]);
    expect(await h.audits()).toEqual([]);

    const ours = await h.invoke('forecast', sample('aws-scheduler', 'valid', { at: T0, replace: { chat: FLEET } }));
    expect(ours, JSON.stringify((await h.audits()).map((a) => a.outcome.failed))).toMatchObject({
      status: 'decided',
      decisions: [{ fleetId: FLEET, targetNodes: 6 }],
    });
  });
});
