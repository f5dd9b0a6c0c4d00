/**
 * Field schemas shared by every event schema: identifiers that refuse documentation placeholders, times in
 * the formats the clouds really send (ISO 8601 with `Z`, `+0000` or nanoseconds; RFC 1123 dates from AWS
 * Health and Azure Scheduled Events; epoch seconds from Cloud Monitoring), numbers sent as strings, and JSON
 * carried inside a string (SNS `Message`, CloudWatch `reasonData`) or inside base64 (Pub/Sub `data`).
 * Times are always turned into canonical ISO strings (`2024-05-01T12:00:00.000Z`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Template syntax found in documentation samples: `yyyy-mm-ddThh:mm:ssZ`, `[Customer Account ID]`,
 * `<account_number>`, `{subscription-id}`, `%s`. A value holding one of them was never sent by a cloud.
 *
 * Every check runs in time linear in the value's length: a bracketed span is found with two `indexOf`s (the
 * first opening bracket and the first closing one after it), never with a pattern such as `/\[[^\]]*\]/`,
 * which rescans the rest of the text from every opening bracket (quadratic: 33 s on 200k of `[`).
 */
const BRACKETS: ReadonlyArray<readonly [string, string]> = [
  // Bracketed first, so that `[Current time in yyyy-mm-ddThh:mm:ssZ]` is reported whole.
  ['[', ']'],
  ['<', '>'],
  ['{', '}'],
];
const PLACEHOLDER_WORDS: readonly RegExp[] = [
  // Both start with a literal, so each position is tried once and the match is bounded: linear.
  /yyyy-mm-dd(?:[T ]hh:mm(?::ss)?Z?)?|hh:mm(?::ss)?/i,
  // printf verbs, but not URL escapes such as %2F or %d3
  /%[sdvq](?![0-9a-fA-F])/,
];

/** The placeholder text inside `value`, if it holds one. Linear in `value.length`. */
export function findPlaceholder(value: string): string | undefined {
  for (const [open, close] of BRACKETS) {
    const i = value.indexOf(open);
    if (i < 0) continue;
    const j = value.indexOf(close, i + 1);
    if (j >= 0) return value.slice(i, j + 1);
  }
  for (const re of PLACEHOLDER_WORDS) {
    const m = re.exec(value);
    if (m) return m[0];
  }
  return undefined;
}

/**
 * The longest identifier accepted (characters). Real ones are far shorter: EventBridge ids are UUIDs, ARNs
 * stay under 2,048 and Azure resource ids under a few hundred; an Azure Scheduled Events document merges
 * its event ids, so a merged id is bounded by its events, not by this.
 */
export const MAX_IDENTIFIER_LENGTH = 2048;
/** The longest time text accepted: ISO 8601 with nanoseconds and an offset is 35 characters. */
const MAX_TIME_LENGTH = 64;

type Ctx = z.core.$RefinementCtx<unknown>;

function placeholderIssue(ctx: Ctx, what: string, value: string): boolean {
  const p = findPlaceholder(value);
  if (p === undefined) return false;
  ctx.addIssue({ code: 'custom', message: `${what}, not the documentation placeholder '${p}'` });
  return true;
}

/**
 * The longest CloudWatch alarm name: PutMetricAlarm's `AlarmName` is 1 to 255 characters (Amazon CloudWatch
 * API Reference, PutMetricAlarm, Request Parameters).
 */
export const MAX_ALARM_NAME_LENGTH = 255;
/**
 * The longest Azure VM name a Scheduled Events document lists: a VM or scale-set name is at most 64
 * characters (Azure Resource Manager, "Naming rules and restrictions for Azure resources",
 * Microsoft.Compute virtualMachines and virtualMachineScaleSets, Linux), and a scale set's VM is named
 * `<scale set>_<instance id>`: 64 + 1 + a 10-digit instance id is under 80.
 */
export const MAX_AZURE_VM_NAME_LENGTH = 80;
/**
 * The longest EventBridge event id accepted: EventBridge generates a 36-character UUID for every event
 * (Amazon EventBridge User Guide, "Amazon EventBridge events", `id`); 256 leaves room for a forwarder's own
 * ids without letting an id stand for a document.
 */
export const MAX_EVENT_ID_LENGTH = 256;

/**
 * The longest event id a signal carries (index.ts `SIGNAL_ID_LIMITS`): an operator's request id or a forwarder's
 * own. A drain command names its deciding event and its notice by theirs, so it accepts as long.
 */
export const MAX_SIGNAL_EVENT_ID_LENGTH = 1024;

/**
 * The event id of a signal that merges several events (a Scheduled Events document's Preempts, an Event Grid
 * array): their ids joined with `+` while that is no longer than an event id (`MAX_EVENT_ID_LENGTH`); past it
 * (a mass eviction's document lists dozens: 30 GUIDs joined are 1,109 characters, and the whole document was
 * refused) the first id's first 64 characters, how many more, and a digest of them all. The same events give
 * the same id on every delivery, other events another, and it fits wherever event ids go (keys, drain commands).
 */
export function mergedEventId(ids: readonly string[]): string {
  const joined = ids.join('+');
  if (joined.length <= MAX_EVENT_ID_LENGTH) return joined;
  const digest = createHash('sha256').update(joined).digest('hex').slice(0, 32);
  return `${Array.from(ids[0] ?? '')
    .slice(0, 64)
    .join('')}+${ids.length - 1}-more~${digest}`;
}

/**
 * A non-empty identifier (event id, instance id, ARN, account) that is not a documentation placeholder, of
 * at most `max` characters (the service's own limit where it states one).
 */
export const identifier = (what: string, pattern?: RegExp, max = MAX_IDENTIFIER_LENGTH) =>
  z.string({ error: what }).superRefine((v, ctx) => {
    if (v.length > max)
      ctx.addIssue({
        code: 'custom',
        message: `${what} (at most ${max} characters, got ${v.length})`,
      });
    else if (v.trim() === '') ctx.addIssue({ code: 'custom', message: `${what} (non-empty)` });
    else if (placeholderIssue(ctx, what, v)) return;
    else if (pattern && !pattern.test(v)) ctx.addIssue({ code: 'custom', message: what });
  });

export const awsAccountId = identifier('a 12-digit AWS account id', /^\d{12}$/);
export const awsRegion = identifier('an AWS region such as us-east-1', /^[a-z]{2}(-[a-z]+)+-\d+$/);
/** A CloudWatch alarm's name. */
export const alarmName = identifier('a CloudWatch alarm name', undefined, MAX_ALARM_NAME_LENGTH);
export const ec2InstanceId = identifier('an EC2 instance id (i-...)', /^i-[0-9a-f]{8,17}$/);
export const capacityReservationId = identifier('a capacity reservation id (cr-...)', /^cr-[0-9a-z]{8,17}$/);

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HTTP_DATE =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC)$/;

/** Milliseconds since the epoch for a UTC calendar time, or undefined when a component is out of range. */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined; // 30 February
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * The latest time accepted: the first of December 9999. The deadlines and windows derived from an event's
 * time (minutes to days later) must stay within ISO 8601's four-digit years, where `toISOString` writes the
 * extended `+010000-...` form that no reader of ours parses.
 */
const LATEST_MILLIS = Date.UTC(9999, 11, 1);

/** `ms` as an ISO string when it lies from the epoch to `LATEST_MILLIS`, else undefined. */
const isoInRange = (ms: number): string | undefined =>
  ms >= 0 && ms <= LATEST_MILLIS ? new Date(ms).toISOString() : undefined;

/** Canonical ISO string for an ISO 8601 time with a zone (`Z`, `+00:00`, `+0000`), or undefined. */
export function parseIsoTime(value: string): string | undefined {
  const m = ISO_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = utcMillis(+y!, +mo!, +d!, +h!, +mi!, +s!, ms);
  if (local === undefined) return undefined;
  let offsetMinutes = 0;
  if (zone!.toUpperCase() !== 'Z') {
    const digits = zone!.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone![0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return isoInRange(local - offsetMinutes * 60_000);
}

/** Canonical ISO string for an RFC 1123 date (`Mon, 11 Apr 2026 22:26:58 GMT`; the weekday is not checked). */
export function parseHttpDate(value: string): string | undefined {
  const m = HTTP_DATE.exec(value);
  if (!m) return undefined;
  const [, d, mon, y, h, mi, s] = m;
  const mo = MONTHS.indexOf(mon!) + 1;
  if (mo === 0) return undefined;
  const t = utcMillis(+y!, mo, +d!, +h!, +mi!, +s!, 0);
  return t === undefined ? undefined : isoInRange(t);
}

/** ISO time `seconds` after `iso`. */
export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

const timeField = (what: string, parse: (v: string) => string | undefined) =>
  z.string({ error: what }).transform((v, ctx) => {
    if (v.length > MAX_TIME_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `${what} (at most ${MAX_TIME_LENGTH} characters, got ${v.length})` });
      return z.NEVER;
    }
    if (placeholderIssue(ctx, what, v)) return z.NEVER;
    const t = parse(v);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: what });
      return z.NEVER;
    }
    return t;
  });

/** An ISO 8601 time with a zone, returned as a canonical ISO string. */
export const isoTime = () => timeField('an ISO 8601 time', parseIsoTime);
/** An RFC 1123 date (`Sat, 05 Jun 2016 15:10:09 GMT`), returned as a canonical ISO string. */
export const httpDate = () => timeField('an RFC 1123 date such as Tue, 09 Aug 2022 17:07:32 GMT', parseHttpDate);
/** Either of the two, for fields whose format the provider does not pin down. */
export const anyTime = () =>
  timeField('an ISO 8601 time or an RFC 1123 date', (v) => parseIsoTime(v) ?? parseHttpDate(v));

/** Seconds since the epoch (Cloud Monitoring incidents), returned as a canonical ISO string. */
export const epochSeconds = () =>
  z.number({ error: 'seconds since the epoch' }).transform((v, ctx) => {
    // 1e11 s is year 5138: anything larger is milliseconds or garbage.
    if (!Number.isFinite(v) || v < 0 || v >= 1e11) {
      ctx.addIssue({ code: 'custom', message: 'seconds since the epoch' });
      return z.NEVER;
    }
    return new Date(Math.round(v * 1000)).toISOString();
  });

/**
 * A decimal number written the way JSON writes one: an optional minus, digits with an optional fraction, an
 * optional exponent. Nothing else: no surrounding spaces, no `+`, no hex (`0x10`), octal or binary
 * prefixes, no `Infinity`, no empty string — all of which `Number()` would accept.
 */
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Longer number texts are not numbers a cloud sends (a double has 17 significant digits). */
const MAX_NUMBER_LENGTH = 64;

/** The finite number a decimal text spells, or undefined (see `DECIMAL` for what is refused). */
export function parseDecimal(text: string): number | undefined {
  if (text.length > MAX_NUMBER_LENGTH || !DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A finite number, also when sent as a decimal string (`"threshold": "25"`); strict, see `parseDecimal`. */
export const numeric = (what = 'a number') =>
  z.unknown().transform((v, ctx) => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    const n = typeof v === 'string' ? parseDecimal(v) : undefined;
    if (n !== undefined) return n;
    ctx.addIssue({ code: 'custom', message: `${what} (decimal digits, such as 25 or 0.5)` });
    return z.NEVER;
  });

/** JSON text carried in a string field, validated by `schema`. */
export const jsonString = <S extends z.ZodType>(schema: S, what = 'a JSON document in a string') =>
  z
    .string({ error: what })
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: what });
        return z.NEVER;
      }
    })
    .pipe(schema);

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes base64 text to a string, or undefined when it is not base64. */
export function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64').toString('utf8');
}

/** Parses JSON without throwing: `undefined` when the text is not JSON. */
export function tryJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export { isRecord } from '../shared/domain/types.ts';

/** `[{ name, value }]` dimension lists (SNS alarm triggers, Azure Monitor) as a record. */
export const nameValueList = z
  .array(z.object({ name: z.string(), value: z.string() }))
  .transform((list) => Object.fromEntries(list.map((d) => [d.name, d.value])) as Record<string, string>);
