/**
 * The capacity-reservation function end to end, on the project's samples moved onto the demo's Capacity
 * Block (one p5.48xlarge in us-east-1a, pool `aws-p5-capacity-block`): delivered, capacity moves onto it;
 * expiring, capacity moves off it before the end; an ODCR underutilization notice (AWS Health) is reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../shared/engine/types.ts';
import { BLOCK_ID, FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { sample } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const BLOCK_POOL = 'aws-p5-capacity-block';
/** The samples' block is in us-east-2; the demo's in us-east-1. */
const ONTO_DEMO_BLOCK = { 'cr-0f1e2d3c4b5a69788': BLOCK_ID, 'us-east-2': 'us-east-1' };
/** Monday 22:00 in New York: outside the business-hours window (whose floor of 3 would add a node). */
const OFF_HOURS = Date.parse('2026-01-06T03:00:00Z');

function blockEvent(name: 'reservation-delivered' | 'expiration-warning', end: number) {
  const event = sample('aws-capacity-block', name, { at: T0, replace: ONTO_DEMO_BLOCK });
  (event.detail as Record<string, unknown>)['end-date'] = new Date(end).toISOString().replace('.000Z', 'Z');
  return event;
}

const sum = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);

describe('capacity-reservation function', () => {
  it('Capacity Block delivered: a node moves onto the reserved pool (already paid), the fleet keeps its size', async () => {
    const end = T0 + 6 * 3600_000;
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2 }, block: { start: T0, end } });
    const before = h.desired();
    const result = await h.invoke('capacity-reservation', blockEvent('reservation-delivered', end));
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    const after = h.desired();
    expect(after[BLOCK_POOL]).toBe(1);
    expect(sum(after)).toBe(sum(before));
    expect(h.world.instancesOf(BLOCK_POOL)).toHaveLength(1);
    const [audit] = await h.audits();
    expect((audit!.plan as Plan).reasons.map((r) => r.code)).toContain('placement.reservation-active');
  });

  it('Capacity Block expiration warning: capacity moves off the block before its end, replaced elsewhere', async () => {
    // The warning comes 40 minutes before the end; the block's instance is taken at the end.
    const end = T0 + 40 * 60_000;
    h = await startHarness({
      desired: { 'aws-g5-ondemand': 2, [BLOCK_POOL]: 1 },
      block: { start: T0 - 3600_000, end },
    });
    const [blockInstance] = h.world.instancesOf(BLOCK_POOL);
    const before = h.desired();
    const result = await h.invoke('capacity-reservation', blockEvent('expiration-warning', end));
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'applied' }] });
    // Replacements for the block's nodes are asked for now, while the block still runs (its node may serve
    // until the end, or go now): the nodes outside the block cover the block's, and the block does not grow.
    const after = h.desired();
    const outside = (d: Record<string, number>) => sum(d) - d[BLOCK_POOL]!;
    expect(outside(after)).toBeGreaterThanOrEqual(outside(before) + before[BLOCK_POOL]!);
    expect(after[BLOCK_POOL]).toBeLessThanOrEqual(before[BLOCK_POOL]!);
    expect(h.world.now()).toBeLessThan(end);
    const [audit] = await h.audits();
    const plan = audit!.plan as Plan;
    expect(plan.pools.find((p) => p.poolId === BLOCK_POOL)!.blocked).toMatch(BLOCK_ID);
    expect(plan.reasons.map((r) => r.code)).toContainEqual(
      expect.stringMatching(/^placement\.reservation-(expiring|unusable)$/),
    );

    // At the end the cloud takes the block's instance back; the fleet keeps what replaced it.
    h.world.advanceTo(end);
    expect(h.world.instance(blockInstance!.id)).toBeUndefined();
    expect(h.world.allInstances().filter((i) => i.poolId !== BLOCK_POOL)).toHaveLength(outside(after));
  });

  it('ODCR underutilization (AWS Health): reported for the operators, no capacity change', async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2 }, start: OFF_HOURS, block: null });
    const id = crypto.randomUUID();
    const result = await h.invoke(
      'capacity-reservation',
      sample('aws-health-odcr-underutilization', 'valid', { at: OFF_HOURS, id }),
    );
    expect(result).toMatchObject({ status: 'decided', decisions: [{ fleetId: FLEET, status: 'no-change' }] });
    expect(h.writes()).toEqual([]);
    const audit = await h.audit(id);
    expect(audit!.outcome.applied).toContainEqual({
      action: 'report',
      detail: {
        code: 'reservation.underutilized',
        // 25% and 12.5% in use: 18.75% on average, rounded.
        message: expect.stringContaining('cr-0a1b2c3d4e5f67890, cr-0b2c3d4e5f6a78901 is 19% used'),
      },
    });
    expect(h.stack.published().map((e) => e.detail.eventId)).toContain(id);
  });

  it('a Capacity Block that backs no pool (another region, another reservation) is a no-op', async () => {
    h = await startHarness();
    const event = sample('aws-capacity-block', 'reservation-delivered', { at: T0 });
    const result = await h.invoke('capacity-reservation', event);
    expect(result).toMatchObject({ status: 'no-op', reason: expect.stringContaining('cr-0f1e2d3c4b5a69788') });
    expect(h.writes()).toEqual([]);
    expect(await h.audits()).toEqual([]);
  });
});
