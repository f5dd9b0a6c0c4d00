/**
 * The spot hedge's running share: how long the capacity a loss scenario takes is missing before the warm
 * nodes resumed for it serve (each cloud's notice, the drain's lead, what the notice's invocation can wait,
 * the warm pools' resume), and the share of the need running capacity keeps for it.
 */
import { describe, expect, it } from 'vitest';
import { functionSpec } from '../../stacks/function-specs.ts';
import {
  DRAIN_LEAD_SECONDS,
  NOTICE_HANDLER_TIMEOUT_SECONDS,
  SPOT_NOTICE_SECONDS,
  servedUnderNotice,
} from '../../shared/engine/interruptions.ts';
import { replacementGapSeconds, runningShare } from '../../shared/engine/spot-hedge.ts';
import { SPOT_NOTICE_SECONDS as WORLD_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { pool } from './fixtures.ts';

describe('servedUnderNotice', () => {
  it("agrees with the spot-interruption function's timeout and the simulated clouds' notices", () => {
    expect(NOTICE_HANDLER_TIMEOUT_SECONDS).toBe(functionSpec('spot-interruption').timeoutSeconds);
    expect(SPOT_NOTICE_SECONDS).toEqual(WORLD_NOTICE_SECONDS);
    expect(DRAIN_LEAD_SECONDS).toBe(40);
  });

  const cases = [
    // EC2's 120 s notice: its node could serve 80 s, but the 60 s invocation waits 15 s (60 - 5 - 40).
    { cloud: 'aws' as const, served: 15 },
    // 30 s: no more than the drain's lead.
    { cloud: 'azure' as const, served: 0 },
    { cloud: 'gcp' as const, served: 0 },
  ];
  it.each(cases)('$cloud: $served s', ({ cloud, served }) => {
    expect(servedUnderNotice(cloud)).toBe(served);
  });
});

describe('replacementGapSeconds and runningShare', () => {
  const pools = [
    pool({ id: 'g5-spot', cloud: 'aws', capacityType: 'spot' }),
    pool({ id: 'a100-spot', cloud: 'azure', capacityType: 'spot' }),
  ];
  const cases: Array<{ name: string; losses: Record<string, number>; resume: number; gap: number }> = [
    { name: 'an AWS loss: the resume less what the node serves', losses: { 'g5-spot/*': 1 }, resume: 120, gap: 105 },
    { name: 'an Azure loss: the whole resume', losses: { 'a100-spot/*': 1 }, resume: 120, gap: 120 },
    { name: 'both: the longer', losses: { 'g5-spot/us-east-1a': 0.5, 'a100-spot/2': 1 }, resume: 120, gap: 120 },
    { name: 'warm nodes that serve before the node stops', losses: { 'g5-spot/*': 1 }, resume: 10, gap: 0 },
    { name: 'an offering lost in no share', losses: { 'a100-spot/*': 0, 'g5-spot/*': 1 }, resume: 120, gap: 105 },
  ];
  it.each(cases)('$name', ({ losses, resume, gap }) => {
    expect(replacementGapSeconds(losses, pools, resume)).toBe(gap);
  });

  // The prior scenario at a 900 s lead: p = 1.12%; at 99.9% the allowance is 0.1% of the lead.
  const shares = [
    { name: 'a 120 s gap: a third', gap: 120, share: 1 - (0.001 * 900) / (0.0112 * 120) },
    { name: 'a 105 s gap', gap: 105, share: 1 - (0.001 * 900) / (0.0112 * 105) },
    { name: 'a gap within the allowance: none', gap: 60, share: 0 },
    { name: 'no gap: none', gap: 0, share: 0 },
  ];
  it.each(shares)('$name', ({ gap, share }) => {
    expect(runningShare(0.0112, 0.999, 900, gap)).toBeCloseTo(share, 12);
  });

  it('never falls as the target rises or the gap grows', () => {
    let last = 0;
    for (const availability of [0.99, 0.995, 0.999, 0.9995, 0.9999]) {
      const s = runningShare(0.0112, availability, 900, 105);
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
    last = 0;
    for (const gap of [0, 30, 60, 90, 105, 120, 600]) {
      const s = runningShare(0.0112, 0.999, 900, gap);
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
  });
});
