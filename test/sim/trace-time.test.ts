/** Trace times that are not ISO-8601 or numbers (local/sim/trace-time.ts), and the traces that hold them. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectTrace, detectTraceCsv, isCsvText, readDetectedTrace } from '../../local/sim/trace-detect.ts';
import { dateOrderOf, parseDateTime, parseTimeOfDay } from '../../local/sim/trace-time.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const at = (iso: string) => Date.parse(iso);

describe('parseDateTime', () => {
  it.each([
    ['2023/11/16 18:15:46', '2023-11-16T18:15:46Z'],
    ['2023.11.16 18:00:00.123', '2023-11-16T18:00:00.123Z'],
    ['2023/11/16', '2023-11-16T00:00:00Z'],
    ['11/16/2023 6:15 PM', '2023-11-16T18:15:00Z'],
    ['11/16/2023 12:15 AM', '2023-11-16T00:15:00Z'],
    ['11/16/2023 18:00:00-0800', '2023-11-17T02:00:00Z'],
    ['11/16/2023 18:00 +05:30', '2023-11-16T12:30:00Z'],
    ['16-Nov-2023 18:15', '2023-11-16T18:15:00Z'],
    ['Nov 16, 2023 18:15:01.5', '2023-11-16T18:15:01.500Z'],
    ['November 16, 2023', '2023-11-16T00:00:00Z'],
    ['Thu, 16 Nov 2023 18:00:00 GMT', '2023-11-16T18:00:00Z'],
    ['Thu Nov 16 2023 18:00:00 GMT+0100 (Central European Standard Time)', '2023-11-16T17:00:00Z'],
    ['2023-11-16 18:00:00 UTC', '2023-11-16T18:00:00Z'],
  ])('reads %s', (text, iso) => {
    expect(parseDateTime(text, 'mdy')).toBe(at(iso));
  });

  it('reads a year-last date in the order it is given', () => {
    expect(parseDateTime('02/03/2024 10:00', 'mdy')).toBe(at('2024-02-03T10:00:00Z'));
    expect(parseDateTime('02/03/2024 10:00', 'dmy')).toBe(at('2024-03-02T10:00:00Z'));
    expect(parseDateTime('16.11.2023 18:00', 'mdy')).toBeUndefined();
    expect(parseDateTime('16.11.2023 18:00', 'dmy')).toBe(at('2023-11-16T18:00:00Z'));
  });

  it.each([
    '31/04/2023',
    '1/2/2023 25:00',
    '11/16/2023 13:00 PM',
    'Mayday 16 2023',
    'garbage',
    '18:00',
    '2023-11-16',
    '',
  ])('is not a time: %s', (text) => {
    expect(parseDateTime(text, 'dmy')).toBeUndefined();
  });
});

describe('parseTimeOfDay and dateOrderOf', () => {
  it('reads a time of day alone, on either clock', () => {
    expect(parseTimeOfDay('6:15 PM')).toBe(18 * 3600 + 15 * 60);
    expect(parseTimeOfDay('18:15:46.5')).toBe(18 * 3600 + 15 * 60 + 46.5);
    expect(parseTimeOfDay('25:00')).toBeUndefined();
    expect(parseTimeOfDay('11/16/2023')).toBeUndefined();
  });

  it('tells day from month by a number over 12, else by the times running closer together', () => {
    expect(dateOrderOf(['16/11/2023 18:00'])).toBe('dmy');
    expect(dateOrderOf(['11/16/2023 18:00'])).toBe('mdy');
    // Over midnight: month first is one minute, day first a month.
    expect(dateOrderOf(['01/02/2023 23:59', '01/03/2023 00:00'])).toBe('mdy');
    expect(dateOrderOf(['02/01/2023 23:59', '03/01/2023 00:00'])).toBe('dmy');
    // Nothing settles it: month first for slashes, day first for dots.
    expect(dateOrderOf(['01/02/2023', '01/02/2023'])).toBe('mdy');
    expect(dateOrderOf(['01.02.2023'])).toBe('dmy');
  });
});

describe('traces with such times', () => {
  it('reads a spreadsheet export with dates month first, and says how', () => {
    const d = detectTraceCsv(csv('Date,Requests', '11/16/2023 6:00 PM,60', '11/16/2023 6:01 PM,120'), 'x.csv');
    expect(d.trace.points.map((p) => [p.t, p.rps])).toEqual([
      [0, 1],
      [60, 2],
    ]);
    expect(d.originMs).toBe(at('2023-11-16T18:00:00Z'));
    expect(d.layout).toBe(
      "Date (ISO-8601) x Requests (requests per row) (Date: dates month first like '11/16/2023 6:00 PM')",
    );
  });

  it('reads dates day first over midnight as minutes apart, not months', () => {
    const d = detectTraceCsv(csv('time,count', '01/02/2024 23:59,60', '02/02/2024 00:00,60'), 'x.csv');
    expect(d.trace.durationSeconds).toBe(120);
    expect(d.originMs).toBe(at('2024-02-01T23:59:00Z'));
  });

  it('reads a date and a time of day in columns of their own as one time', () => {
    const d = detectTraceCsv(
      csv('date,time,requests', '2023-11-16,23:59:00,60', '2023-11-17,00:00:00,120', '2023-11-17,00:01:00,30'),
      'x.csv',
    );
    expect(d.trace.points.map((p) => p.rps)).toEqual([1, 2, 0.5]);
    expect(d.originMs).toBe(at('2023-11-16T23:59:00Z'));
    expect(d.layout).toMatch(
      /^timestamp \(ISO-8601\) x requests .*date and time as one time, like '2023-11-16 23:59:00'/,
    );
    // Dates day first beside the time of day, the first of them over 12: the same minutes, dated.
    const dmy = detectTraceCsv(
      csv('date,time,requests', '16/11/2023,23:59:00,60', '17/11/2023,00:00:00,120', '17/11/2023,00:01:00,30'),
      'y.csv',
    );
    expect(dmy.trace.points.map((p) => p.rps)).toEqual([1, 2, 0.5]);
    expect(dmy.originMs).toBe(at('2023-11-16T23:59:00Z'));
  });

  it('reads times of day alone from the first, a day later where the clock goes back, undated', () => {
    const d = detectTraceCsv(csv('time,requests', '23:58,60', '23:59,120', '00:00,30'), 'x.csv');
    expect(d.trace.points.map((p) => [p.t, p.rps])).toEqual([
      [0, 1],
      [60, 2],
      [120, 0.5],
    ]);
    expect(d.originMs).toBeUndefined();
  });

  it('reads a log of requests with quoted HTTP dates', () => {
    const d = detectTraceCsv(
      csv(
        'time,path',
        '"Thu, 16 Nov 2023 18:00:05 GMT",/a',
        '"Thu, 16 Nov 2023 18:00:50 GMT",/b',
        '"Thu, 16 Nov 2023 18:01:10 GMT",/a',
      ),
      'x.csv',
    );
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([2, 1]);
    expect(d.originMs).toBe(at('2023-11-16T18:00:00Z'));
  });

  it('reads a semicolon table with decimal commas', () => {
    const d = detectTrace('timestamp;rps\n16.11.2023 18:00;1,5\n16.11.2023 18:01;2,25\n', 'x.csv');
    expect(d.trace.points.map((p) => p.rps)).toEqual([1.5, 2.25]);
    expect(d.layout).toMatch(/^semicolon-separated, decimal commas: /);
  });

  it('still says what it expected of a time it cannot read, with its line', () => {
    expect(() => detectTraceCsv(csv('time,requests', '11/16/2023 18:00,60', 'soon,60'), 'x.csv')).toThrow(
      /x\.csv \(line 3, column 'time'\): expected an ISO-8601 timestamp.*'soon'/,
    );
    expect(() => detectTraceCsv(csv('time,requests', 'noon,60'), 'y.csv')).toThrow(/y\.csv.*'noon'/);
  });

  it('reads a file log whose times are in another form a line at a time, with the figures of the file read whole', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-time-'));
    try {
      const rows = Array.from({ length: 240 }, (_, i) => {
        const s = 18 * 3600 + i * 1.5;
        const hh = Math.floor(s / 3600);
        const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
        const ss = String(Math.floor(s % 60)).padStart(2, '0');
        return `2023/11/16 ${hh}:${mm}:${ss},${i}`;
      });
      const file = path.join(dir, 'log.txt');
      const text = csv('timestamp,tokens', ...rows);
      await writeFile(file, text);
      expect(await isCsvText(file)).toBe(true);
      const d = await readDetectedTrace(file);
      expect(d.trace.points.map((p) => p.rps * 60)).toEqual([40, 40, 40, 40, 40, 40]);
      expect(d).toEqual(detectTrace(text, file));
      // Day first, told only by its last rows (13 February): its first pass reads every date before counting.
      const days = Array.from({ length: 13 }, (_, k) => `${String(k + 1).padStart(2, '0')}/02/2024 10:00:00,1`);
      const dmy = csv('time,tokens', ...days);
      await writeFile(path.join(dir, 'days.csv'), dmy);
      const e = await readDetectedTrace(path.join(dir, 'days.csv'));
      expect(e.originMs).toBe(Date.UTC(2024, 1, 1, 10));
      expect(e.trace.durationSeconds).toBe(12 * 86_400 + 60);
      expect(e.layout).toContain("(time: dates day first like '01/02/2024 10:00:00')");
      expect(e).toEqual(detectTrace(dmy, path.join(dir, 'days.csv')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
