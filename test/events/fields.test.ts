import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  decodeBase64,
  findPlaceholder,
  identifier,
  MAX_IDENTIFIER_LENGTH,
  numeric,
  parseDecimal,
  parseHttpDate,
  parseIsoTime,
} from '../../events/fields.ts';

describe('parseIsoTime', () => {
  it.each([
    ['EventBridge', '2019-10-02T17:04:40Z', '2019-10-02T17:04:40.000Z'],
    ['CloudWatch +0000', '2024-02-17T11:53:08.431+0000', '2024-02-17T11:53:08.431Z'],
    ['offset with colon', '2025-03-04T15:45:00+05:30', '2025-03-04T10:15:00.000Z'],
    ['negative offset', '2021-12-08T11:42:45.071-08:00', '2021-12-08T19:42:45.071Z'],
    // Nanoseconds are cut to milliseconds, not rounded.
    ['nanoseconds', '2023-09-16T10:42:31.782066320Z', '2023-09-16T10:42:31.782Z'],
    ['.NET 7 digits', '2023-08-28T20:02:29.6649537Z', '2023-08-28T20:02:29.664Z'],
    ['Unix epoch', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['leap day', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s: %s', (_, input, expected) => {
    expect(parseIsoTime(input)).toBe(expected);
  });

  it.each([
    ['no zone', '2025-03-04T10:15:00'],
    ['30 February', '2025-02-30T00:00:00Z'],
    ['not a leap year', '2025-02-29T00:00:00Z'],
    ['hour 24', '2025-03-04T24:00:00Z'],
    ['before the epoch', '0001-01-01T00:00:00Z'],
    ['offset hour 25', '2025-03-04T10:15:00+2500'],
    ['placeholder', 'yyyy-mm-ddThh:mm:ssZ'],
    ['RFC 1123', 'Tue, 09 Aug 2022 17:07:32 GMT'],
    ['empty', ''],
  ])('rejects %s', (_, input) => {
    expect(parseIsoTime(input)).toBeUndefined();
  });
});

describe('parseHttpDate', () => {
  it.each([
    ['IMDS', 'Tue, 09 Aug 2022 17:07:32 GMT', '2022-08-09T17:07:32.000Z'],
    ['one-digit day (Health)', 'Tue, 7 Mar 2023 06:06:01 GMT', '2023-03-07T06:06:01.000Z'],
    // The docs' weekday is sometimes wrong (5 June 2016 was a Sunday): the date counts, not the weekday.
    ['wrong weekday', 'Sat, 05 Jun 2016 15:10:09 GMT', '2016-06-05T15:10:09.000Z'],
    ['no weekday', '11 Apr 2026 22:26:58 GMT', '2026-04-11T22:26:58.000Z'],
  ])('%s: %s', (_, input, expected) => {
    expect(parseHttpDate(input)).toBe(expected);
  });

  it.each([
    ['31 February', 'Tue, 31 Feb 2025 10:00:00 GMT'],
    ['unknown month', 'Tue, 04 Foo 2025 10:00:00 GMT'],
    ['ISO', '2025-03-04T10:00:00Z'],
    ['local zone', 'Tue, 04 Mar 2025 10:00:00 PST'],
  ])('rejects %s', (_, input) => {
    expect(parseHttpDate(input)).toBeUndefined();
  });
});

describe('findPlaceholder', () => {
  it.each([
    ['yyyy-mm-ddThh:mm:ssZ', 'yyyy-mm-ddThh:mm:ssZ'],
    ['[Current time in yyyy-mm-ddThh:mm:ssZ]', '[Current time in yyyy-mm-ddThh:mm:ssZ]'],
    ['[Customer Account ID]', '[Customer Account ID]'],
    ['<account_number>', '<account_number>'],
    ['/subscriptions/{subscription-id}/resourceGroups/rg', '{subscription-id}'],
    ['https://www.googleapis.com/compute/v1/projects/p/zones/%s', '%s'],
    ['<aws.scheduler.scheduled-time>', '<aws.scheduler.scheduled-time>'],
  ])('finds the placeholder in %s', (input, found) => {
    expect(findPlaceholder(input)).toBe(found);
  });

  it.each([
    'i-0a1b2c3d4e5f60718',
    'arn:aws:events:us-east-1:731482956104:rule/gpu-autoscaler-forecast',
    // URL escapes in GCP log names are not printf verbs.
    'projects/p/logs/cloudaudit.googleapis.com%2Fsystem_event',
    'projects/p/logs/x%d3y',
    '2025-03-04T10:15:00Z',
  ])('finds none in %s', (input) => {
    expect(findPlaceholder(input)).toBeUndefined();
  });
});

describe('decodeBase64', () => {
  it('decodes standard and URL-safe base64, and refuses other text', () => {
    expect(decodeBase64('eyJhIjoxfQ==')).toBe('{"a":1}');
    expect(decodeBase64(Buffer.from('{"k":"??>"}').toString('base64url'))).toBe('{"k":"??>"}');
    expect(decodeBase64('not base64 !!')).toBeUndefined();
  });
});

describe('findPlaceholder on hostile text', () => {
  // 200k characters: the old bracket patterns rescanned the rest of the text from every opening bracket
  // (33 s here); the scan is linear now, so these finish well within the test's time limit.
  const n = 200_000;
  it.each([
    ['only opening brackets', '['.repeat(n), undefined],
    ['opening angle brackets', '<'.repeat(n), undefined],
    ['opening braces', '{'.repeat(n), undefined],
    ['a closing bracket at the very end', `${'['.repeat(n)}]`, `${'['.repeat(n)}]`],
    ['closing before opening', `${']'.repeat(n)}[`, undefined],
    ['many hh: starts', 'hh:'.repeat(n / 3), undefined],
    ['percent signs', '%'.repeat(n), undefined],
  ])('%s', (_, input, found) => {
    expect(findPlaceholder(input)).toBe(found);
  });

  it('finds the same span as before: first opening bracket to the first closing one after it', () => {
    expect(findPlaceholder('a ] b [x [y] z]')).toBe('[x [y]');
    expect(findPlaceholder('x <a> [b]')).toBe('[b]');
  });
});

describe('field lengths', () => {
  it('refuses an identifier longer than the limit, saying so', () => {
    const r = identifier('an event id').safeParse('a'.repeat(MAX_IDENTIFIER_LENGTH + 1));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain(`at most ${MAX_IDENTIFIER_LENGTH} characters`);
    expect(identifier('an event id').safeParse('a'.repeat(MAX_IDENTIFIER_LENGTH)).success).toBe(true);
  });
});

describe('parseDecimal and numeric: strict decimal numbers', () => {
  it.each([
    ['integer', '25', 25],
    ['negative', '-3', -3],
    ['fraction', '0.5', 0.5],
    ['leading dot', '.5', 0.5],
    ['trailing dot', '5.', 5],
    ['exponent', '1e3', 1000],
    ['negative exponent', '2.5E-1', 0.25],
  ])('reads %s: %s', (_, text, n) => {
    expect(parseDecimal(text)).toBe(n);
    expect(z.object({ v: numeric() }).parse({ v: text }).v).toBe(n);
  });

  it.each([
    ['hex', '0x10'],
    ['octal prefix', '0o7'],
    ['binary prefix', '0b1'],
    ['surrounding spaces', ' 5 '],
    ['leading space', ' 5'],
    ['plus sign', '+5'],
    ['empty', ''],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
    ['overflow', '1e999'],
    ['thousands separator', '1,000'],
    ['underscore separator', '1_000'],
    ['unit', '5s'],
    ['very long', '1'.repeat(100)],
  ])('refuses %s: %j', (_, text) => {
    expect(parseDecimal(text)).toBeUndefined();
    const r = z.object({ v: numeric('a threshold') }).safeParse({ v: text });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('a threshold (decimal digits');
  });
});
