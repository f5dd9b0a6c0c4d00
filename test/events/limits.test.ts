import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isParseError } from '../../shared/domain/errors.ts';
import { normalizeEvent, safeNormalize } from '../../events/index.ts';
import { parseHttpDate, parseIsoTime } from '../../events/fields.ts';

/** A sample event, parsed afresh for each case. */
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../events/samples/${name}.json`, import.meta.url), 'utf8'));

const NOW = '2025-03-04T10:15:00Z';

/** Sets the value at a dotted path (array indexes as numbers) of a parsed sample. */
function put(doc: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let at: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return doc;
}

describe('ids too long to be real are rejected, naming the field', () => {
  it.each([
    ['a CloudWatch alarm name of 256 characters', 'aws-cloudwatch-alarm/valid', 'detail.alarmName', 256, /at most 255/],
    ['an EventBridge id of 257 characters', 'aws-spot-interruption/valid', 'id', 257, /at most 256/],
    ['an Azure VM name of 81 characters', 'azure-scheduled-events/terminate', 'Events.0.Resources.0', 81, /at most 80/],
    [
      'a fleet tag of 2,000 characters (checked on the signal)',
      'aws-health-scheduled-change/valid',
      'detail.affectedEntities.0.tags.fleet',
      2000,
      /fleetId.*at most 255/,
    ],
  ])('%s', (_, name, path, length, message) => {
    const result = safeNormalize(put(sample(name), path, 'x'.repeat(length)), { now: NOW });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.message).toMatch(message);
  });

  it.each([
    ['a CloudWatch alarm name of 255 characters', 'aws-cloudwatch-alarm/valid', 'detail.alarmName', 255],
    ['an Azure VM name of 80 characters', 'azure-scheduled-events/terminate', 'Events.0.Resources.0', 80],
  ])('accepts %s', (_, name, path, length) => {
    expect(() => normalizeEvent(put(sample(name), path, 'x'.repeat(length)), { now: NOW })).not.toThrow();
  });

  it('rejects a placeholder that reached the signal from a tag', () => {
    const doc = put(sample('aws-health-scheduled-change/valid'), 'detail.affectedEntities.0.tags.fleet', '<fleet>');
    try {
      normalizeEvent(doc, { now: NOW });
      expect.unreachable('a placeholder fleet was accepted');
    } catch (e) {
      expect(isParseError(e)).toBe(true);
      expect((e as Error).message).toMatch(/fleetId.*placeholder/);
    }
  });
});

describe('times whose deadlines would leave four-digit years are rejected', () => {
  it.each([
    ['the last second of 9999', '9999-12-31T23:59:59Z'],
    ['an offset that crosses into year 10000', '9999-12-31T20:00:00-05:00'],
  ])('ISO: %s', (_, input) => {
    expect(parseIsoTime(input)).toBeUndefined();
  });
  it('HTTP date: the last day of 9999', () => {
    expect(parseHttpDate('Fri, 31 Dec 9999 23:59:59 GMT')).toBeUndefined();
  });
  it('keeps a time late in 9999 before December', () => {
    expect(parseIsoTime('9999-06-01T00:00:00Z')).toBe('9999-06-01T00:00:00.000Z');
  });
  it('a spot warning at the end of 9999 is a parse error, not a signal with an unreadable deadline', () => {
    const doc = put(sample('aws-spot-interruption/valid'), 'time', '9999-12-31T23:59:59Z');
    expect(safeNormalize(doc, { now: NOW }).success).toBe(false);
  });
});
