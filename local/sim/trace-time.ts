/**
 * Times in a trace that are not ISO-8601 or numbers: what spreadsheets, databases and loggers write. The
 * detection (trace-detect.ts) reads ISO-8601 and numeric times; a time column in one of these forms is
 * rewritten as ISO-8601 first (`withReadableTimes`), so every reader after it sees the times it knows:
 *
 *   - a date with the year first and slashes or dots: `2023/11/16 18:15:46`, `2023.11.16`;
 *   - a date with the year last: `11/16/2023 6:15 PM` (month first, as US spreadsheets write it),
 *     `16/11/2023 18:15`, `16.11.2023 18:15`, `16-11-2023`. Month and day are told apart by the column's
 *     values: a first number over 12 makes every date day first, a second over 12 month first. Where no
 *     value settles it, the order whose times run closer together is taken (read in the wrong order, a trace
 *     jumps by months where the day changes), and on a tie month first for slashes and dashes, day first
 *     for dots (the convention of the countries that write dots);
 *   - a month by name: `16 Nov 2023 18:15:46`, `16-Nov-2023`, `Nov 16, 2023`, and HTTP's and JavaScript's
 *     `Thu, 16 Nov 2023 18:15:46 GMT`, `Thu Nov 16 2023 18:15:46 GMT+0000 (Coordinated Universal Time)`;
 *   - ISO-8601 dates followed by a zone name, as BigQuery exports them: `2023-11-16 18:15:46 UTC`;
 *   - a time of day alone (`18:15`, `18:15:46`, `6:15 PM`), beside a column of dates (`date,time,requests`):
 *     the two as one time. Without a date anywhere, the times of day from the first row's, a day later each
 *     time the clock goes back (a log kept over midnight), as offsets in seconds (`offset_s`): such a trace
 *     is not dated.
 *
 * The time of day, when there is one, is `H:MM`, `H:MM:SS` or `H:MM:SS.fff` (a comma for the point too), with
 * AM or PM or on the 24-hour clock; a zone (`Z`, `UTC`, `GMT`, `+05:30`, `-0800`, `GMT+0100`) moves it to UTC,
 * and a time without one is UTC, as ISO-8601 times without a zone are read here.
 */
import { isNumeric, parseIsoTime, splitCsv } from './trace.ts';

/** The order of a date's day and month when the year comes last. */
export type DateOrder = 'mdy' | 'dmy';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const WEEKDAY = String.raw`(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?`;
const CLOCK = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([ap])\.?m\.?)?`;
const ZONE = String.raw`(?:\s*(z|utc|gmt|(?:(?:utc|gmt)\s*)?[+-]\d{2}(?::?\d{2})?))?(?:\s*\([^)]*\))?`;
const TAIL = String.raw`(?:(?:[ T]|,\s*|\s+at\s+)${CLOCK})?${ZONE}$`;

/** Numeric dates: year first (`y`), year last (`l`, with its separator). */
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})([/.])(\d{1,2})\2(\d{1,2})${TAIL}`, 'i');
const YEAR_LAST = new RegExp(String.raw`^${WEEKDAY}(\d{1,2})([/.-])(\d{1,2})\2(\d{4})${TAIL}`, 'i');
/** A month by name: day first (`16 Nov 2023`, `16-Nov-2023`) or month first (`Nov 16, 2023`, `Thu Nov 16 2023`). */
const NAMED_DAY_FIRST = new RegExp(String.raw`^${WEEKDAY}(\d{1,2})[ -]([a-z]{3,9})\.?[ ,-]\s*(\d{4})${TAIL}`, 'i');
const NAMED_MONTH_FIRST = new RegExp(
  String.raw`^${WEEKDAY}([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})${TAIL}`,
  'i',
);
/** ISO-8601 with a zone's name after it (BigQuery's `2023-11-16 18:15:46 UTC`). */
const ISO_NAMED_ZONE = /^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)\s+(utc|gmt|z)$/i;
/** A time of day alone. */
const TIME_OF_DAY = new RegExp(`^${CLOCK}$`, 'i');

/** Epoch ms of a date and a clock (the regexes' groups from the clock on), or undefined where it is no time. */
function utcMs(year: number, month: number, day: number, clock: ReadonlyArray<string | undefined>): number | undefined {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return undefined;
  const [h, mi, sec, frac, half, zone] = clock;
  let hours = h === undefined ? 0 : Number(h);
  const minutes = mi === undefined ? 0 : Number(mi);
  const seconds = sec === undefined ? 0 : Number(sec);
  if (half !== undefined) {
    if (!(hours >= 1 && hours <= 12)) return undefined;
    hours = (hours % 12) + (half.toLowerCase() === 'p' ? 12 : 0);
  }
  if (!(hours <= 23 && minutes <= 59 && seconds <= 60)) return undefined;
  const base = Date.UTC(year, month - 1, day, hours, minutes, seconds);
  // Date.UTC rolls 31 April over to 1 May: such a date is not one.
  if (new Date(base).getUTCDate() !== day) return undefined;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  return base + ms - zoneOffsetMs(zone);
}

/** A zone's offset from UTC in ms (`+05:30` is +5.5 h); none, `Z`, `UTC` and `GMT` are 0. */
function zoneOffsetMs(zone: string | undefined): number {
  const m = zone?.match(/([+-])(\d{2}):?(\d{2})?$/);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
}

/** A month's number from its name or an abbreviation of it (`Nov`, `Sept`, `November`), else undefined. */
const monthOf = (name: string) => {
  const n = name.toLowerCase();
  const i = MONTHS.findIndex((m) => n.length >= 3 && m.startsWith(n));
  return i >= 0 ? i + 1 : undefined;
};

/**
 * A date-time in one of the forms of the file comment (not ISO-8601 itself: `parseIsoTime` reads that), as
 * epoch ms; `order` says how a year-last numeric date is read. Undefined where it is none of them.
 */
export function parseDateTime(raw: string, order: DateOrder = 'mdy'): number | undefined {
  const s = raw.trim();
  let m = s.match(ISO_NAMED_ZONE);
  if (m) return parseIsoTime(`${m[1]}Z`);
  m = s.match(YEAR_FIRST);
  if (m) return utcMs(Number(m[1]), Number(m[3]), Number(m[4]), m.slice(5));
  m = s.match(YEAR_LAST);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[3])];
    return order === 'mdy' ? utcMs(Number(m[4]), a, b, m.slice(5)) : utcMs(Number(m[4]), b, a, m.slice(5));
  }
  m = s.match(NAMED_DAY_FIRST);
  if (m) {
    const month = monthOf(m[2]!);
    return month === undefined ? undefined : utcMs(Number(m[3]), month, Number(m[1]), m.slice(4));
  }
  m = s.match(NAMED_MONTH_FIRST);
  if (m) {
    const month = monthOf(m[1]!);
    return month === undefined ? undefined : utcMs(Number(m[3]), month, Number(m[2]), m.slice(4));
  }
  return undefined;
}

/** Whether a text is a date without a time of day (`2023-11-16`, `11/16/2023`, `16 Nov 2023`). */
export function isDateOnly(raw: string, order: DateOrder = 'mdy'): boolean {
  const s = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return parseIsoTime(s) !== undefined;
  return !s.includes(':') && parseDateTime(s, order) !== undefined;
}

/** Seconds since midnight of a time of day alone (`18:15`, `18:15:46.5`, `6:15 PM`), else undefined. */
export function parseTimeOfDay(raw: string): number | undefined {
  const m = raw.trim().match(TIME_OF_DAY);
  if (!m) return undefined;
  const ms = utcMs(1970, 1, 1, [...m.slice(1), undefined]);
  return ms === undefined ? undefined : ms / 1000;
}

/**
 * How a column's year-last numeric dates are read (see the file comment): a number over 12 first or second
 * settles it; else the order whose times run closer together (the largest step between rows); on a tie,
 * `mdy` for slashes and dashes, `dmy` for dots.
 */
export function dateOrderOf(values: Iterable<string>): DateOrder {
  const vote = new DateOrderVote();
  for (const v of values) vote.add(v);
  return vote.order();
}

/** `dateOrderOf` over a column's values given one at a time (a file read a line at a time, trace-detect.ts). */
export class DateOrderVote {
  private dayFirst = false;
  private monthFirst = false;
  private dots = false;
  /** The largest step between rows read in each order (infinite once a value is no date in it). */
  private readonly widest: Record<DateOrder, number> = { mdy: 0, dmy: 0 };
  private readonly previous: Partial<Record<DateOrder, number>> = {};

  add(value: string): void {
    const m = value.trim().match(YEAR_LAST);
    if (m) {
      if (Number(m[1]) > 12) this.dayFirst = true;
      if (Number(m[3]) > 12) this.monthFirst = true;
      if (m[2] === '.') this.dots = true;
    }
    for (const order of ['mdy', 'dmy'] as const) {
      if (this.widest[order] === Number.POSITIVE_INFINITY) continue;
      const t = parseDateTime(value, order);
      if (t === undefined) {
        this.widest[order] = Number.POSITIVE_INFINITY;
        continue;
      }
      const p = this.previous[order];
      if (p !== undefined) this.widest[order] = Math.max(this.widest[order], Math.abs(t - p));
      this.previous[order] = t;
    }
  }

  order(): DateOrder {
    if (this.dayFirst !== this.monthFirst) return this.dayFirst ? 'dmy' : 'mdy';
    const tie: DateOrder = this.dots ? 'dmy' : 'mdy';
    const other: DateOrder = tie === 'mdy' ? 'dmy' : 'mdy';
    return this.widest[other] < this.widest[tie] ? other : tie;
  }
}

/** How a column's date-times were read, for a trace's layout: `time: dates month first like '11/16/2023 18:00'`. */
export function dateTimeNote(column: string, sample: string, order: DateOrder): string {
  return `${column}: ${describe(sample, order)} like '${sample}'`;
}

/** How a time column's text is read: as it is, or rewritten (`withReadableTimes`). */
type TimeForm =
  | { kind: 'as-is' }
  | { kind: 'date-time'; order: DateOrder }
  | { kind: 'clock-with-date'; dateIndex: number; order: DateOrder }
  | { kind: 'clock' };

/** Whether a cell is a time every reader knows: a number or ISO-8601. */
const known = (cell: string) => cell === '' || isNumeric(cell) || parseIsoTime(cell) !== undefined;

/**
 * The same CSV text with its time column (`timeIndex` of the header) as ISO-8601, where it holds times in
 * another form of the file comment; or as it is, with `note` undefined, where its first time is a number or
 * ISO-8601 already, or none of those forms (the reader then says what it expected). `note` says how the
 * times were read, for the layout. Blank lines stay, so errors name the file's own line numbers.
 */
export function withReadableTimes(
  body: string,
  timeIndex: (header: readonly string[]) => number,
): { body: string; note?: string } {
  const head = firstRows(body);
  if (!head) return { body };
  const [header, first] = head;
  const ti = timeIndex(header);
  const cell = first[ti]?.trim() ?? '';
  if (ti < 0 || known(cell)) return { body };
  const rows = (
    body.includes('"') ? splitCsv(body) : body.split(/\r?\n/).map((l, i) => ({ line: i + 1, fields: l.split(',') }))
  ).filter((r) => r.fields.some((f) => f.trim() !== ''));
  const data = rows.slice(1);
  const times = data.map((r) => r.fields[ti]?.trim() ?? '');
  const form = formOf(header, data, ti, times);
  if (form.kind === 'as-is') return { body };
  const name = header[ti]!.trim();
  const out: string[][] = [];
  let note: string;
  if (form.kind === 'clock') {
    // Times of day from the first one, a day later each time the clock goes back.
    let day = 0;
    let previous = Number.NEGATIVE_INFINITY;
    const start = parseTimeOfDay(times[0]!)!;
    out.push(['offset_s', ...rowFields(rows[0]!.fields, ti)]);
    for (const r of data) {
      const raw = r.fields[ti]?.trim() ?? '';
      const s = parseTimeOfDay(raw);
      if (s === undefined) out.push([raw, ...rowFields(r.fields, ti)]);
      else {
        if (s < previous) day++;
        previous = s;
        out.push([String(day * 86_400 + s - start), ...rowFields(r.fields, ti)]);
      }
    }
    note = `${name}: times of day like '${times[0]}', a day later where the clock goes back; not dated`;
  } else if (form.kind === 'clock-with-date') {
    out.push(['timestamp', ...rowFields(rows[0]!.fields, -1)]);
    for (const r of data) {
      const date = r.fields[form.dateIndex]?.trim() ?? '';
      const clock = parseTimeOfDay(r.fields[ti]?.trim() ?? '');
      const day = dayMs(date, form.order);
      // A cell that is not one is left for the reader to name.
      const at =
        day === undefined || clock === undefined ? `${date} ${r.fields[ti]?.trim() ?? ''}` : iso(day + clock * 1000);
      out.push([at, ...rowFields(r.fields, -1)]);
    }
    note = `${header[form.dateIndex]!.trim()} and ${name} as one time, like '${data[0]!.fields[form.dateIndex]?.trim()} ${times[0]}'`;
  } else {
    out.push(rows[0]!.fields);
    for (const r of data) {
      const raw = r.fields[ti]?.trim() ?? '';
      const at = dateAsIso(raw, form.order);
      out.push(r.fields.map((f, i) => (i === ti ? (at ?? raw) : f)));
    }
    note = dateTimeNote(name, times[0]!, form.order);
  }
  // Blank lines where the file had them (the header's line and each row's own).
  const lines: string[] = [];
  const at = [rows[0]!.line, ...data.map((r) => r.line)];
  for (let k = 0; k < out.length; k++) {
    while (lines.length < at[k]! - 1) lines.push('');
    lines.push(out[k]!.map(csvCell).join(','));
  }
  return { body: `${lines.join('\n')}\n`, note };
}

/** The header and the first data row (quoted fields read as CSV), or undefined without them. */
function firstRows(body: string): [string[], string[]] | undefined {
  const lines = body.split(/\r?\n/, 64).filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  if (!lines[0]!.includes('"') && !lines[1]!.includes('"')) return [lines[0]!.split(','), lines[1]!.split(',')];
  const rows = splitCsv(lines.slice(0, 2).join('\n'));
  return rows.length < 2 ? undefined : [rows[0]!.fields, rows[1]!.fields];
}

/** Which form a time column's text is in (`TimeForm`), from its first value and, for the order, all of them. */
function formOf(
  header: readonly string[],
  data: ReadonlyArray<{ fields: string[] }>,
  ti: number,
  times: readonly string[],
): TimeForm {
  const first = times[0] ?? '';
  if (parseTimeOfDay(first) !== undefined) {
    // A column of dates beside it: the first other column whose first value is a date alone, in either order.
    const dateIndex = header.findIndex((_, i) => {
      const v = data[0]?.fields[i] ?? '';
      return i !== ti && (isDateOnly(v, 'mdy') || isDateOnly(v, 'dmy'));
    });
    if (dateIndex < 0) return { kind: 'clock' };
    const dates = data.map((r) => r.fields[dateIndex]?.trim() ?? '');
    return { kind: 'clock-with-date', dateIndex, order: dateOrderOf(dates) };
  }
  if (parseDateTime(first, 'mdy') === undefined && parseDateTime(first, 'dmy') === undefined) return { kind: 'as-is' };
  return { kind: 'date-time', order: dateOrderOf(times) };
}

/** The cells of a row but the time column's (`skip`; -1 skips none). */
const rowFields = (fields: readonly string[], skip: number) => fields.filter((_, i) => i !== skip);

/** Epoch ms of a date's midnight (ISO or another form), or undefined. */
function dayMs(raw: string, order: DateOrder): number | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(raw) ? parseIsoTime(raw) : parseDateTime(raw, order);
}

/** A date-time as ISO-8601 (a date alone as `YYYY-MM-DD`, which the readers take as a day), or undefined. */
function dateAsIso(raw: string, order: DateOrder): string | undefined {
  const ms = parseDateTime(raw, order);
  if (ms === undefined) return undefined;
  return isDateOnly(raw, order) ? iso(ms).slice(0, 10) : iso(ms);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What a time's form was read as, for the layout. */
function describe(sample: string, order: DateOrder): string {
  if (YEAR_LAST.test(sample.trim())) return order === 'mdy' ? 'dates month first' : 'dates day first';
  return 'dates';
}

function csvCell(x: string): string {
  return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}
