/** The world's warm instances: preparing billed as running, then disks only; resume time; capacity failures. */
import { describe, expect, it } from 'vitest';
import { World, type WorldEvent, type WorldPoolSpec } from '../local/emulators/world.ts';

const START = Date.parse('2026-01-05T00:00:00Z');
const POOL: WorldPoolSpec = {
  id: 'p',
  cloud: 'aws',
  kind: 'auto-scaling-group',
  name: 'g',
  region: 'us-east-1',
  zones: ['us-east-1a'],
  instanceType: 'g5.xlarge',
  capacityType: 'on-demand',
  desired: 0,
  min: 0,
  max: 10,
  bootSeconds: 120,
  readySeconds: 600,
  hourlyPrice: 1,
  warm: { resumeSeconds: 120, hourlyPrice: 0.01 },
};
const policy = {
  state: 'stopped' as const,
  min: 2,
  maxPrepared: 2,
  reuseOnScaleIn: true,
  autoRefill: true,
  autoResume: true,
};

function world(): World {
  const w = new World({ start: START, seed: 1 });
  w.addPool(POOL);
  return w;
}

describe('warm instances in the world', () => {
  it('bills preparing instances as running, then their disks only', () => {
    const w = world();
    w.setWarmPolicy('p', policy);
    w.advance(600);
    // Two instances prepared for 10 minutes at $1/h.
    expect(w.warmCostUsd('p')).toBeCloseTo(2 * (10 / 60), 9);
    w.advance(3600);
    // Then an hour stopped at $0.01/h each.
    expect(w.warmCostUsd('p')).toBeCloseTo(2 * (10 / 60) + 2 * 0.01, 9);
    expect(w.costUsd('p')).toBeCloseTo(w.warmCostUsd('p'), 9);
    expect(w.instanceHours('p')).toBe(0);
  });

  it('resumes warm instances first: they serve after resumeSeconds, a cold one after readySeconds', () => {
    const w = world();
    w.setWarmPolicy('p', policy);
    w.advance(600);
    w.setDesired('p', 3);
    expect(w.warmResumes('p')).toEqual({ resumes: 2, failedResumes: 0 });
    w.advance(120);
    expect(w.readyCount('p')).toBe(2);
    w.advance(480);
    expect(w.readyCount('p')).toBe(3);
    // The pool refilled itself meanwhile.
    expect(w.warmOf('p').filter((x) => x.phase === 'warm')).toHaveLength(2);
  });

  it('a resume without capacity leaves the instance warm, says so, and launches cold instead', () => {
    const w = world();
    const events: WorldEvent[] = [];
    w.on((e) => events.push(e));
    w.setWarmPolicy('p', { ...policy, min: 1, maxPrepared: 1 });
    w.advance(600);
    w.failNextResumes('p', 1);
    w.setDesired('p', 1);
    expect(w.warmResumes('p')).toEqual({ resumes: 0, failedResumes: 1 });
    expect(w.instancesOf('p')).toHaveLength(1);
    expect(w.warmOf('p')).toHaveLength(1);
    expect(events.some((e) => e.type === 'launch-failed' && /could not start/.test(e.reason))).toBe(true);
  });

  it('fails resumes at the pool rate: every resume fails at 1, none at 0', () => {
    const w = world();
    w.addPool({ ...POOL, id: 'q', name: 'h', warm: { resumeSeconds: 60, hourlyPrice: 0.01, resumeFailureRate: 1 } });
    w.setWarmPolicy('q', policy);
    w.advance(600);
    w.setDesired('q', 2);
    expect(w.warmResumes('q')).toEqual({ resumes: 0, failedResumes: 1 });
    expect(w.instancesOf('q')).toHaveLength(2);
  });

  it('returns scaled-in instances to the pool while it has room (reuse on scale-in)', () => {
    const w = world();
    w.setDesired('p', 4);
    w.advance(600);
    w.setWarmPolicy('p', { ...policy, min: 0, maxPrepared: 0, reuseOnScaleIn: true });
    w.setWarmPolicy('p', { ...policy, min: 3, maxPrepared: 3, autoRefill: false });
    w.setDesired('p', 1);
    expect(w.warmOf('p')).toHaveLength(3);
    expect(w.warmOf('p').every((x) => x.phase === 'warm')).toBe(true);
  });

  it('a returned instance keeps its disk: no new preparation when it resumes, its disks billed from the return', () => {
    const w = world();
    // A group sized relative to the warm pool (MaxGroupPreparedCapacity = desired + 1), reusing on scale-in.
    w.setDesired('p', 3);
    w.advance(600);
    w.setWarmPolicy('p', { ...policy, min: 0, maxPrepared: 4, preparedFromMax: false });
    w.advance(600);
    const before = w.warmCostUsd('p');
    const ran = w.instancesOf('p').map((i) => i.id);
    // One prepared warm node; the scale-in 3 -> 1 returns two (the pool's size becomes 4 - 1 = 3: room for 2).
    w.setDesired('p', 1);
    const warm = w.warmOf('p');
    expect(warm).toHaveLength(3);
    expect(warm.filter((x) => ran.includes(x.id))).toHaveLength(2);
    expect(warm.every((x) => x.phase === 'warm')).toBe(true);
    w.advance(3600);
    // From the return on, disks only: three warm nodes for an hour at $0.01.
    expect(w.warmCostUsd('p') - before).toBeCloseTo(3 * 0.01, 9);
    // Resuming them is no preparation: they serve after resumeSeconds, and nothing new is launched warm.
    w.setDesired('p', 3);
    expect(w.warmResumes('p').resumes).toBe(2);
    w.advance(120);
    expect(w.instancesOf('p').filter((i) => i.state === 'ready')).toHaveLength(3);
    expect(w.warmOf('p')).toHaveLength(1);
  });

  it('stops chosen instances into the standby pool, raising its target (GCP stopInstances / suspendInstances)', () => {
    const w = world();
    w.setDesired('p', 4);
    w.advance(600);
    w.setWarmPolicy('p', { ...policy, min: 1, maxPrepared: 1, reuseOnScaleIn: false });
    w.advance(600);
    const chosen = w
      .instancesOf('p')
      .slice(0, 2)
      .map((i) => i.id);
    w.stopInstances('p', chosen, { raiseTarget: true, state: 'suspended' });
    expect(w.pool('p')!.desired).toBe(2);
    expect(w.pool('p')!.warmPolicy).toMatchObject({ min: 3, maxPrepared: 3 });
    const warm = w.warmOf('p');
    expect(warm).toHaveLength(3);
    expect(warm.filter((x) => chosen.includes(x.id)).every((x) => x.state === 'suspended' && x.phase === 'warm')).toBe(
      true,
    );
  });
});
