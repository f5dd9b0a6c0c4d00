/** The cold-start benchmark's helpers (bench/coldstart.ts): the retargeted sample and the child's figures. */
import { describe, expect, it } from 'vitest';
import { parseFigures, spotWarning } from '../../bench/coldstart.ts';

describe('coldstart bench helpers', () => {
  it('the EC2 Spot warning sample moves onto an instance, a time and an id', () => {
    const at = Date.parse('2026-01-05T15:00:00Z');
    const e = spotWarning({ id: 'i-0123456789abcdef0', zone: 'us-east-1c' }, at, 'evt-1') as Record<string, unknown>;
    expect(e).toMatchObject({
      id: 'evt-1',
      time: '2026-01-05T15:00:00Z',
      resources: ['arn:aws:ec2:us-east-1c:instance/i-0123456789abcdef0'],
      detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' },
    });
    expect(JSON.stringify(e)).not.toContain('i-0a1b2c3d4e5f60718');
  });

  it("reads the figures line among the child's other output, and says when there is none", () => {
    const line = JSON.stringify({
      import_ms: 1,
      init_ms: 2,
      first_ms: 3,
      warm_ms: 4,
      statuses: ['decided', 'decided'],
    });
    expect(parseFigures(`noise\nCOLDSTART_FIGURES ${line}\n`).first_ms).toBe(3);
    expect(() => parseFigures('nothing here')).toThrow(/no figures/);
  });
});
